#!/usr/bin/env bash
# The classic static walkthrough (issue 4): five hand-made PersistentVolumes, four of 5Gi and one
# of 1Gi, and a StatefulSet whose 2Gi claims bind to the 5Gi ones; the 1Gi volume is never
# bound. Then: scale down keeps the claims Bound, a claim waits for a volume and binds as soon as
# one appears, deleting a claim releases its Retain volume, and the released volume is given
# back to a re-created claim by clearing claimRef.uid. Runs on the sim node, without a default
# StorageClass (as a cluster without one).
. "$(dirname "$0")/../lib/e2e.sh"

start_server --runtime sim --node-name sim-0 --no-default-storage-class ||
    { not_ok "server starts"; exit 1; }
ok "server starts"
DEMO=$E2E_ROOT/examples/statefulset-demo.yaml
C0=myappdata-statefulset-demo-0
C1=myappdata-statefulset-demo-1

pvc_is() { [ "$(k get pvc "$1" -n sts -o jsonpath='{.status.phase}')" = "$2" ]; }
pv_is() { [ "$(k get pv "$1" -o jsonpath='{.status.phase}')" = "$2" ]; }
vol_of() { k get pvc "$1" -n sts -o jsonpath='{.spec.volumeName}'; }

if eventually 20 k get sc local-path; then ok "the local-path class exists"; else not_ok "the local-path class exists"; fi
check_out "but is not the default: claims without a class get none" \
    '^local-path +berth.io/local-path +Delete +WaitForFirstConsumer +true +[0-9]+s$' k get sc local-path
check "apply the walkthrough" k apply -f "$DEMO"

if eventually 60 pvc_is "$C0" Bound && eventually 60 pvc_is "$C1" Bound; then
    ok "both claims bind"
else
    not_ok "both claims bind"
    k get pvc,pv -A 2>&1 | diag
fi
V0=$(vol_of "$C0")
V1=$(vol_of "$C1")
[ -n "$V0" ] && [ -n "$V1" ] && [ "$V0" != "$V1" ] && ok "each claim has its own volume ($V0, $V1)" ||
    not_ok "each claim has its own volume ($V0, $V1)"
[ "$V0" != pv005 ] && [ "$V1" != pv005 ] && ok "the 1Gi volume is not used" || not_ok "the 1Gi volume is not used"
# (which 5Gi volume each claim gets depends on which volumes exist when it looks: the manifest
# creates the volumes after the set; the unit tests check the order among volumes)
check_out "get pvc shows Bound, volume, capacity, modes" \
    "^$C0 +Bound +$V0 +5Gi +RWO(,RWX)? +<unset> +[0-9]+s$" k get pvc "$C0" -n sts
check_out "get pv shows the claim as ns/name" \
    "^$V0 +5Gi +RWO(,RWX)? +Retain +Bound +sts/$C0 +<unset> +[0-9]+s$" k get pv "$V0"
check_out "get pv: the 1Gi volume stays Available with no claim" \
    '^pv005 +1Gi +RWO,RWX +Retain +Available +<unset> +[0-9]+s$' k get pv pv005
check_out "the claim carries bind-completed" '^yes$' \
    k get pvc "$C0" -n sts -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/bind-completed}'
check_out "the claim carries bound-by-controller" '^yes$' \
    k get pvc "$C0" -n sts -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}'
check_out "the volume carries bound-by-controller" '^yes$' \
    k get pv "$V0" -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}'
UID0=$(k get pvc "$C0" -n sts -o jsonpath='{.metadata.uid}')
check_out "the volume's claimRef has the claim's uid" "^$UID0\$" \
    k get pv "$V0" -o jsonpath='{.spec.claimRef.uid}'
same_modes() { [ "$(k get pvc "$C0" -n sts -o jsonpath='{.status.accessModes}')" = "$(k get pv "$V0" -o jsonpath='{.spec.accessModes}')" ]; }
check "the claim's status has the volume's access modes" same_modes
check_out "and its capacity" '^5Gi$' k get pvc "$C0" -n sts -o jsonpath='{.status.capacity.storage}'
check_out "protection finalizers are on the claim" 'kubernetes.io/pvc-protection' \
    k get pvc "$C0" -n sts -o jsonpath='{.metadata.finalizers}'
check_out "and on the volume" 'kubernetes.io/pv-protection' \
    k get pv "$V0" -o jsonpath='{.metadata.finalizers}'
check_out "the volume has a phase transition time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' \
    k get pv "$V0" -o jsonpath='{.status.lastPhaseTransitionTime}'

# scale to 4: every 5Gi volume is used, the 1Gi one still not
check "scale to 4" k scale --replicas=4 sts statefulset-demo -n sts
if eventually 120 pvc_is myappdata-statefulset-demo-3 Bound; then ok "four claims bind"; else
    not_ok "four claims bind"; k get pvc -n sts 2>&1 | diag; fi
check_out "four 5Gi volumes are Bound" '^4$' \
    bash -c "kubectl get pv --no-headers | grep -cE '^pv00[1-4] +5Gi .* Bound +sts/myappdata-statefulset-demo-[0-3] '"
check_out "the 1Gi volume is still Available" 'Available' k get pv pv005

# a fifth claim finds nothing: Pending, FailedBinding
check "scale to 5" k scale --replicas=5 sts statefulset-demo -n sts
C4=myappdata-statefulset-demo-4
eventually 60 k get pvc "$C4" -n sts
if eventually 30 bash -c "kubectl get events -n sts --field-selector involvedObject.name=$C4 | grep -q FailedBinding"; then
    ok "the fifth claim gets FailedBinding"
else
    not_ok "the fifth claim gets FailedBinding"
    k get events -n sts 2>&1 | tail -20 | diag
fi
check_out "with upstream's message" 'no persistent volumes available for this claim and no storage class is set' \
    k get events -n sts --field-selector involvedObject.name=$C4
check_out "and stays Pending" '^Pending$' k get pvc "$C4" -n sts -o jsonpath='{.status.phase}'
check_out "the 1Gi volume is still Available" 'Available' k get pv pv005

# a volume appears: the waiting claim binds at once (not at the next resync)
cat >"$E2E_TMP/pv006.yaml" <<'EOF'
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv006
spec:
  hostPath:
    path: /tmp/berth-demo/pv006
  accessModes: ["ReadWriteOnce"]
  capacity:
    storage: 3Gi
EOF
check "create a 3Gi volume" k apply -f "$E2E_TMP/pv006.yaml"
if eventually 8 pvc_is "$C4" Bound; then ok "the waiting claim binds as soon as a volume appears"; else
    not_ok "the waiting claim binds as soon as a volume appears"; k get pvc,pv -n sts 2>&1 | diag; fi
check_out "to that volume" '^pv006$' vol_of "$C4"

# scale down: pods go, claims stay Bound
check "scale to 2" k scale --replicas=2 sts statefulset-demo -n sts
eventually 120 bash -c "[ \$(kubectl get pod -n sts --no-headers 2>/dev/null | wc -l) = 2 ]"
check_out "after scale down all five claims are still Bound" '^5$' \
    bash -c "kubectl get pvc -n sts --no-headers | grep -c ' Bound '"
check_out "their volumes too" '^5$' bash -c "kubectl get pv --no-headers | grep -c ' Bound '"

# deleting an unused claim releases its Retain volume, which keeps its claimRef
check "delete the claim of ordinal 4" k delete pvc "$C4" -n sts --wait=false
if eventually 30 pv_is pv006 Released; then ok "its Retain volume is Released"; else
    not_ok "its Retain volume is Released"; k get pv 2>&1 | diag; fi
check_out "get pv still names the old claim" "^pv006 +3Gi +RWO +Retain +Released +sts/$C4 " k get pv pv006
sleep 2
check_out "and the volume is never bound again by itself" '^Released$' k get pv pv006 -o jsonpath='{.status.phase}'
check "Retain keeps the volume object" k get pv pv006

# re-attach: clear claimRef.uid, re-create the claim, it binds to the same volume
check "clear claimRef.uid" k patch pv pv006 --type json -p '[{"op":"remove","path":"/spec/claimRef/uid"}]'
if eventually 20 pv_is pv006 Available; then ok "the volume is Available, reserved for the claim"; else
    not_ok "the volume is Available, reserved for the claim"; k get pv pv006 -o yaml 2>&1 | diag; fi
cat >"$E2E_TMP/c4.yaml" <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: $C4
  namespace: sts
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
check "re-create the claim" k apply -f "$E2E_TMP/c4.yaml"
if eventually 20 pvc_is "$C4" Bound; then ok "the re-created claim binds"; else
    not_ok "the re-created claim binds"; k get pvc,pv -n sts 2>&1 | diag; fi
check_out "to the retained volume (pre-bound by name)" '^pv006$' vol_of "$C4"
check_out "with the volume's capacity" '^3Gi$' k get pvc "$C4" -n sts -o jsonpath='{.status.capacity.storage}'

# a claim that names its volume (pre-binding from the claim side)
cat >"$E2E_TMP/named.yaml" <<'EOF'
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-named
spec:
  hostPath:
    path: /tmp/berth-demo/pv-named
  accessModes: ["ReadWriteOnce"]
  capacity:
    storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: wants-named
  namespace: sts
spec:
  volumeName: pv-named
  storageClassName: ""
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
check "a claim naming its volume" k apply -f "$E2E_TMP/named.yaml"
if eventually 20 pvc_is wants-named Bound; then ok "binds to the named volume"; else
    not_ok "binds to the named volume"; k get pvc wants-named -n sts -o yaml 2>&1 | diag; fi
check_out "the claim was bound by the user, not the controller" '^$' \
    k get pvc wants-named -n sts -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}'
check_out "the 1Gi demo volume is still Available at the end" 'Available' k get pv pv005
