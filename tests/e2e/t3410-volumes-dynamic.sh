#!/usr/bin/env bash
# Dynamic provisioning by the built-in local-path provisioner (issue 4): the default class
# `local-path`, WaitForFirstConsumer binding only once a pod is scheduled, the directory
# DATA/volumes/<pv>_<ns>_<claim> made and later deleted with the volume, a claim in use by a pod
# surviving its own deletion until the pod is gone, Immediate classes, and the refusals of a
# node-path provisioner. Runs on the sim node.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --runtime sim --node-name sim-0 || { not_ok "server starts"; exit 1; }
ok "server starts"

pvc_is() { [ "$(k get pvc "$1" -n vol -o jsonpath='{.status.phase}')" = "$2" ]; }
events_of() { k get events -n vol --field-selector "involvedObject.name=$1"; }
has_event() { events_of "$1" | grep -q "$2"; }

if eventually 20 k get sc local-path; then ok "the local-path class exists"; else
    not_ok "the local-path class exists"; tail -n 30 "$E2E_TMP/server.log" | diag; fi
check_out "get sc: default, provisioner, Delete, WaitForFirstConsumer, expandable" \
    '^local-path \(default\) +berth.io/local-path +Delete +WaitForFirstConsumer +true +[0-9]+s$' k get sc

cat >"$E2E_TMP/claim.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: vol
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: vol
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
check "create a claim without a class" k apply -f "$E2E_TMP/claim.yaml"
check_out "admission gives it the default class" '^local-path$' \
    k get pvc data -n vol -o jsonpath='{.spec.storageClassName}'
if eventually 20 has_event data WaitForFirstConsumer; then ok "WaitForFirstConsumer event"; else
    not_ok "WaitForFirstConsumer event"; k get events -n vol 2>&1 | diag; fi
check_out "with upstream's message" 'waiting for first consumer to be created before binding' events_of data
sleep 2
check_out "no pod: the claim stays Pending" '^Pending$' k get pvc data -n vol -o jsonpath='{.status.phase}'
check_out "and nothing is provisioned" '^No resources found' k get pv

cat >"$E2E_TMP/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: user
  namespace: vol
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data
EOF
check "a pod uses the claim" k apply -f "$E2E_TMP/pod.yaml"
if eventually 60 pvc_is data Bound; then ok "once the pod is scheduled the claim binds"; else
    not_ok "once the pod is scheduled the claim binds"
    k get pvc,pod -n vol -o wide 2>&1 | diag
    k get events -n vol 2>&1 | diag
fi
UID_=$(k get pvc data -n vol -o jsonpath='{.metadata.uid}')
PV=pvc-$UID_
DIR=$DATA/volumes/${PV}_vol_data
check_out "the volume is named pvc-<claim uid>" "^$PV\$" k get pvc data -n vol -o jsonpath='{.spec.volumeName}'
check_out "the scheduler chose the node" '^sim-0$' \
    k get pvc data -n vol -o jsonpath='{.metadata.annotations.volume\.kubernetes\.io/selected-node}'
check_out "the binder asked the provisioner" '^berth.io/local-path$' \
    k get pvc data -n vol -o jsonpath='{.metadata.annotations.volume\.kubernetes\.io/storage-provisioner}'
check_out "and the beta annotation too" '^berth.io/local-path$' \
    k get pvc data -n vol -o jsonpath='{.metadata.annotations.volume\.beta\.kubernetes\.io/storage-provisioner}'
check_out "get pv: 1Gi, RWO, Delete, Bound, claim, class" \
    "^$PV +1Gi +RWO +Delete +Bound +vol/data +local-path +<unset> +[0-9]+s\$" k get pv "$PV"
check_out "hostPath DirectoryOrCreate at DATA/volumes/<pv>_<ns>_<claim>" "^$DIR DirectoryOrCreate\$" \
    k get pv "$PV" -o jsonpath='{.spec.hostPath.path} {.spec.hostPath.type}'
check_out "pinned to the node" '^kubernetes.io/hostname In sim-0$' \
    k get pv "$PV" -o jsonpath='{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key} {.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].operator} {.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}'
check_out "provisioned-by" '^berth.io/local-path$' \
    k get pv "$PV" -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}'
check_out "claimRef with the claim's uid" "^$UID_\$" k get pv "$PV" -o jsonpath='{.spec.claimRef.uid}'
[ -d "$DIR" ] && ok "the directory exists" || not_ok "the directory exists ($DIR)"
[ "$(stat -c %a "$DIR" 2>/dev/null)" = 777 ] && ok "mode 0777, for any container user" ||
    not_ok "mode 0777, for any container user"
check_out "ExternalProvisioning event" "Waiting for a volume to be created either by the external provisioner 'berth.io/local-path'" events_of data
check_out "Provisioning event" 'External provisioner is provisioning volume for claim "vol/data"' events_of data
check_out "ProvisioningSucceeded event" "Successfully provisioned volume $PV" events_of data
if eventually 60 bash -c "kubectl get pod user -n vol | grep -q Running"; then ok "the pod runs"; else
    not_ok "the pod runs"; k get pod user -n vol -o yaml 2>&1 | tail -30 | diag; fi

# a claim in use survives its own deletion until the pod is gone
check "delete the claim while the pod uses it" k delete pvc data -n vol --wait=false
sleep 3
check_out "the claim is still there, being deleted" '^[0-9]{4}-' \
    k get pvc data -n vol -o jsonpath='{.metadata.deletionTimestamp}'
check_out "kept by pvc-protection" 'kubernetes.io/pvc-protection' \
    k get pvc data -n vol -o jsonpath='{.metadata.finalizers}'
check_out "get pvc shows it Terminating" '^data +Terminating +' k get pvc data -n vol
check_out "still bound" "^$PV\$" k get pvc data -n vol -o jsonpath='{.spec.volumeName}'
[ -d "$DIR" ] && ok "the data is still there" || not_ok "the data is still there"
check "delete the pod" k delete pod user -n vol --wait=false
if eventually 60 bash -c "! kubectl get pvc data -n vol >/dev/null 2>&1"; then
    ok "once the pod is gone, so is the claim"
else
    not_ok "once the pod is gone, so is the claim"; k get pvc,pod -n vol -o yaml 2>&1 | tail -40 | diag
fi
if eventually 30 bash -c "! kubectl get pv $PV >/dev/null 2>&1"; then
    ok "the Delete volume is deleted"
else
    not_ok "the Delete volume is deleted"; k get pv "$PV" -o yaml 2>&1 | diag
fi
[ ! -e "$DIR" ] && ok "and its directory removed" || not_ok "and its directory removed"
[ -d "$DATA/volumes" ] && ok "the volumes directory itself stays" || not_ok "the volumes directory itself stays"

# an Immediate class provisions at once, on the server's node
cat >"$E2E_TMP/instant.yaml" <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: instant
provisioner: berth.io/local-path
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: now
  namespace: vol
spec:
  storageClassName: instant
  accessModes: ["ReadWriteOncePod"]
  resources:
    requests:
      storage: 2Gi
EOF
check "an Immediate class and a claim" k apply -f "$E2E_TMP/instant.yaml"
if eventually 30 pvc_is now Bound; then ok "binds with no pod"; else
    not_ok "binds with no pod"; k get events -n vol 2>&1 | diag; fi
PV2=$(k get pvc now -n vol -o jsonpath='{.spec.volumeName}')
check_out "on the server's node" '^sim-0$' \
    k get pv "$PV2" -o jsonpath='{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}'
check_out "with the class's reclaim policy and the claim's modes" '^Retain ReadWriteOncePod 2Gi$' \
    k get pv "$PV2" -o jsonpath='{.spec.persistentVolumeReclaimPolicy} {.spec.accessModes[0]} {.spec.capacity.storage}'
[ -d "$DATA/volumes/${PV2}_vol_now" ] && ok "its directory exists" || not_ok "its directory exists"
check "delete that claim" k delete pvc now -n vol
if eventually 30 bash -c "[ \"\$(kubectl get pv $PV2 -o jsonpath='{.status.phase}')\" = Released ]"; then
    ok "Retain: the provisioned volume is Released"
else
    not_ok "Retain: the provisioned volume is Released"
fi
sleep 2
check "and kept" k get pv "$PV2"
[ -d "$DATA/volumes/${PV2}_vol_now" ] && ok "with its directory" || not_ok "with its directory"

# what a node-path provisioner refuses
cat >"$E2E_TMP/refused.yaml" <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: shared
  namespace: vol
spec:
  storageClassName: instant
  accessModes: ["ReadWriteMany"]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: picky
  namespace: vol
spec:
  storageClassName: instant
  accessModes: ["ReadWriteOnce"]
  selector:
    matchLabels:
      disk: ssd
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: raw
  namespace: vol
spec:
  storageClassName: instant
  volumeMode: Block
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
check "claims the provisioner cannot serve" k apply -f "$E2E_TMP/refused.yaml"
if eventually 20 has_event shared ProvisioningFailed; then ok "ReadWriteMany is refused"; else
    not_ok "ReadWriteMany is refused"; k get events -n vol 2>&1 | diag; fi
check_out "with rancher's message" 'failed to provision volume with StorageClass "instant": NodePath only supports ReadWriteOnce and ReadWriteOncePod \(1.22\+\) access modes' events_of shared
if eventually 20 has_event picky ProvisioningFailed; then ok "a selector is refused"; else
    not_ok "a selector is refused"; fi
check_out "with rancher's message" 'claim.Spec.Selector is not supported' events_of picky
if eventually 20 has_event raw ProvisioningFailed; then ok "a block volume is refused"; else
    not_ok "a block volume is refused"; fi
check_out "with the library's message" 'berth.io/local-path does not support block volume provisioning' events_of raw
check_out "all three stay Pending" '^Pending Pending Pending$' \
    k get pvc shared picky raw -n vol -o jsonpath='{.items[*].status.phase}'
