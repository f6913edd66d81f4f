#!/usr/bin/env bash
# Expansion (issue 4, STATEFULSET.md §7 item 2): raising a bound claim's storage request on a
# class with allowVolumeExpansion grows the volume and the claim, with the events and the final
# status upstream's resize flow leaves; shrinking is refused, and so is expanding on a class
# without allowVolumeExpansion; raising a StatefulSet's claim template grows every claim of the
# set. Runs on the sim node.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --runtime sim --node-name sim-0 || { not_ok "server starts"; exit 1; }
ok "server starts"

pvc_is() { [ "$(k get pvc "$1" -n vol -o jsonpath='{.status.phase}')" = "$2" ]; }
cap_is() { [ "$(k get pvc "$1" -n vol -o jsonpath='{.status.capacity.storage}')" = "$2" ]; }
events_of() { k get events -n vol --field-selector "involvedObject.name=$1"; }

cat >"$E2E_TMP/grow.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: vol
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fixed
provisioner: berth.io/local-path
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: grow
  namespace: vol
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: stuck
  namespace: vol
spec:
  storageClassName: fixed
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: user
  namespace: vol
spec:
  containers:
  - name: app
    image: busybox:1.36
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: grow
EOF
eventually 20 k get sc local-path
check "claims and a pod" k apply -f "$E2E_TMP/grow.yaml"
if eventually 60 pvc_is grow Bound && eventually 60 pvc_is stuck Bound; then ok "both claims bind"; else
    not_ok "both claims bind"; k get pvc,pod -n vol 2>&1 | diag; fi
PV=$(k get pvc grow -n vol -o jsonpath='{.spec.volumeName}')

check_out "raise the request" 'persistentvolumeclaim/grow patched' \
    k patch pvc grow -n vol -p '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}'
if eventually 30 cap_is grow 3Gi; then ok "the claim's capacity follows"; else
    not_ok "the claim's capacity follows"; k get pvc grow -n vol -o yaml 2>&1 | diag; fi
check_out "and the volume's" '^3Gi$' k get pv "$PV" -o jsonpath='{.spec.capacity.storage}'
check_out "get pvc shows the new capacity" "^grow +Bound +$PV +3Gi +RWO +local-path " k get pvc grow -n vol
check_out "allocatedResources records the size" '^3Gi$' \
    k get pvc grow -n vol -o jsonpath='{.status.allocatedResources.storage}'
check_out "no resize status is left" '^$' \
    k get pvc grow -n vol -o jsonpath='{.status.allocatedResourceStatuses}'
check_out "no Resizing or FileSystemResizePending condition is left" '^$' \
    k get pvc grow -n vol -o jsonpath='{.status.conditions}'
check_out "ExternalExpanding event" 'waiting for an external controller to expand this PVC' events_of grow
check_out "Resizing event" "External resizer is resizing volume $PV" events_of grow
check_out "VolumeResizeSuccessful event" 'Resize volume succeeded' events_of grow

check_fail "shrinking is refused" \
    'spec.resources.requests.storage: Forbidden: field can not be less than status.capacity' \
    k patch pvc grow -n vol -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'
check_fail "a class without allowVolumeExpansion cannot expand" \
    'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize' \
    k patch pvc stuck -n vol -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'
check_out "that claim keeps its size" '^1Gi$' k get pvc stuck -n vol -o jsonpath='{.status.capacity.storage}'

# a StatefulSet's claim template
cat >"$E2E_TMP/sts.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: vol
spec:
  clusterIP: None
  selector:
    app: db
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: vol
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: db
        image: busybox:1.36
        volumeMounts:
        - name: data
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
EOF
check "a StatefulSet with a claim template" k apply -f "$E2E_TMP/sts.yaml"
if eventually 120 pvc_is data-db-1 Bound; then ok "its claims bind"; else
    not_ok "its claims bind"; k get pvc,pod -n vol 2>&1 | diag; fi
check_out "raise the template's request" 'statefulset.apps/db patched' \
    k patch sts db -n vol --type json \
    -p '[{"op":"replace","path":"/spec/volumeClaimTemplates/0/spec/resources/requests/storage","value":"2Gi"}]'
if eventually 60 cap_is data-db-0 2Gi && eventually 60 cap_is data-db-1 2Gi; then
    ok "every claim of the set grows"
else
    not_ok "every claim of the set grows"; k get pvc -n vol -o yaml 2>&1 | tail -60 | diag
fi
for c in data-db-0 data-db-1; do
    v=$(k get pvc "$c" -n vol -o jsonpath='{.spec.volumeName}')
    check_out "the volume of $c grows" '^2Gi$' k get pv "$v" -o jsonpath='{.spec.capacity.storage}'
done
check_fail "other template changes stay forbidden" \
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" \
    k patch sts db -n vol --type json \
    -p '[{"op":"replace","path":"/spec/volumeClaimTemplates/0/spec/accessModes","value":["ReadWriteOncePod"]}]'
check "scale up after the change" k scale --replicas=3 sts db -n vol
if eventually 120 pvc_is data-db-2 Bound; then ok "the new claim binds"; else not_ok "the new claim binds"; fi
check_out "at the template's new size" '^2Gi$' k get pvc data-db-2 -n vol -o jsonpath='{.status.capacity.storage}'
# the StatefulSet reports how many claims are at the template's size (berth's status extension)
if eventually 30 bash -c "[ \"\$(kubectl get sts db -n vol -o jsonpath='{.status.volumeClaimTemplates[0].compatibleReplicas}')\" = 3 ]"; then
    ok "the set reports its three claims at the template's size"
else
    not_ok "the set reports its three claims at the template's size"
    k get sts db -n vol -o jsonpath='{.status}' 2>&1 | diag
fi
