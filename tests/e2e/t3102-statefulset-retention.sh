#!/usr/bin/env bash
# persistentVolumeClaimRetentionPolicy end to end (STATEFULSET.md §2 #19-#24): the owner
# references the controller writes, and what the garbage collector then deletes or keeps.
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

sts_server || { not_ok "server starts"; exit 1; }
ok "server starts"

policy() { printf '  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: %s\n    whenScaled: %s' "$1" "$2"; }
claims_of() {
    kn get pvc -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' 2>/dev/null |
        grep -E "^data-$1-[0-9]+$" | sort -V | tr '\n' ' ' | sed 's/ $//'
}
claims_are() { [ "$(claims_of "$1")" = "$2" ]; }
owner_kinds() { jp pvc "$1" '.metadata.ownerReferences[*].kind'; }

# #19 whenDeleted=Delete: the claims belong to the set and go with it
sts_apply wd 3 "$(policy Delete Retain)" >/dev/null
expect "#19: 3 replicas ready" 90 ready_is wd 3
SET_UID=$(uid_of sts wd)
check_out "#19: claims have the set as controller owner" "^$SET_UID$" jp pvc data-wd-1 '.metadata.ownerReferences[0].uid'
check_out "#19: a controller reference" '^true$' jp pvc data-wd-1 '.metadata.ownerReferences[0].controller'
kn delete sts wd >/dev/null
expect "#19: deleting the set deletes its claims" 90 claims_are wd ""

# #20 whenScaled=Delete: scaling 3 -> 1 leaves only claim 0
sts_apply ws 3 "$(policy Retain Delete)" >/dev/null
expect "#20: 3 replicas ready" 90 ready_is ws 3
check_out "#20: an in-range claim has no owner" '^$' owner_kinds data-ws-0
kn scale sts ws --replicas=1 >/dev/null
expect "#20: scaling to 1 leaves only data-ws-0" 120 claims_are ws "data-ws-0"
kn scale sts ws --replicas=3 >/dev/null
expect "#20: scaling back up makes new claims" 120 ready_is ws 3
claims_are ws "data-ws-0 data-ws-1 data-ws-2" && ok "#20: three claims again" || not_ok "#20: three claims again"
kn delete sts ws --wait=false >/dev/null

# #21 another controller owns a claim: it survives a scale down
k apply -n "$NSP" -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: owner
data: {}
EOF
CM_UID=$(uid_of configmap owner)
kn apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-cc-1
  labels:
    app: cc
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: $CM_UID
    controller: true
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
sts_apply cc 2 "$(policy Retain Delete)" >/dev/null
expect "#21: 2 replicas ready" 90 ready_is cc 2
check_out "#21: a ConflictingController event" "conflicting OwnerReference" \
    kn get events --field-selector reason=ConflictingController
kn scale sts cc --replicas=0 >/dev/null
expect "#21: the claim controlled by the ConfigMap survives the scale down" 120 claims_are cc "data-cc-1"
check_out "#21: still only the ConfigMap owns it" '^ConfigMap$' owner_kinds data-cc-1
kn patch pvc data-cc-1 --type json -p '[{"op":"remove","path":"/metadata/ownerReferences"}]' >/dev/null
kn scale sts cc --replicas=2 >/dev/null
expect "#21: back to 2" 120 ready_is cc 2
kn scale sts cc --replicas=1 >/dev/null
expect "#21: with the owner gone, the scale down deletes data-cc-1" 120 claims_are cc "data-cc-0"
kn delete sts cc --wait=false >/dev/null

# #24 other owners: a non-controller owner is kept and the set appended; a controller:false
# reference of the set becomes a controller reference. (A stale set reference, left alone by the
# controller, is a dangling owner the garbage collector acts on: the unit tests cover it.)
sts_apply ot 0 "$(policy Delete Retain)" >/dev/null
OT_UID=$(uid_of sts ot)
kn apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-ot-0
  labels: {app: ot}
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: $CM_UID}
spec: {accessModes: ["ReadWriteOnce"], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-ot-2
  labels: {app: ot}
  ownerReferences:
  - {apiVersion: apps/v1, kind: StatefulSet, name: ot, uid: $OT_UID, controller: false}
spec: {accessModes: ["ReadWriteOnce"], resources: {requests: {storage: 1Gi}}}
EOF
kn scale sts ot --replicas=3 >/dev/null
expect "#24: 3 replicas ready" 120 ready_is ot 3
check_out "#24: the non-controller owner is kept, the set appended" '^ConfigMap StatefulSet$' owner_kinds data-ot-0
check_out "#24: controller:false is reconciled to true" '^true$' \
    jp pvc data-ot-2 '.metadata.ownerReferences[0].controller'
kn delete sts ot >/dev/null
gone2() { ! kn get pvc data-ot-2 >/dev/null 2>&1; }
expect "#24: the set's own claim goes with the set" 90 gone2
sleep 3
check_out "#24: the claim the ConfigMap also owns stays" 'data-ot-0' kn get pvc data-ot-0
