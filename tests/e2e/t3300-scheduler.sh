#!/usr/bin/env bash
# Scheduling as kubectl shows it: the NODE column, the Scheduled and FailedScheduling events in
# `kubectl describe` with upstream's messages, PodScheduled conditions, and pods that wait for a
# node selector, a taint, a cordon, resources or their claims, then get scheduled once the
# cluster changes.
. "$(dirname "$0")/../lib/e2e.sh"

NODE=n1
start_server --runtime sim --node-name "$NODE" || {
    not_ok "server starts with the sim runtime"
    exit 1
}
ok "server starts with the sim runtime"

ready() { [ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
eventually 30 ready && ok "node $NODE is Ready" || not_ok "node $NODE is Ready"

# pod NAME [SPEC-LINE...]: apply a busybox pod; extra lines go under spec (two-space indent).
pod() {
    local name=$1
    shift
    {
        printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: default}\nspec:\n' "$name"
        printf '  containers: [{name: c, image: busybox:1.36}]\n'
        local l
        for l in "$@"; do printf '  %s\n' "$l"; done
    } | k apply -f - >/dev/null
}
node_of() { k get pod "$1" -o jsonpath='{.spec.nodeName}'; }
on_node() { [ "$(node_of "$1")" = "$2" ]; }
cond() { k get pod "$1" -o jsonpath="{.status.conditions[?(@.type==\"PodScheduled\")].$2}"; }
# The FailedScheduling message of pod $1 matches the regex $2.
failed_with() { k describe pod "$1" | grep -E "Warning +FailedScheduling .*default-scheduler +$2"; }

# --- a plain pod lands on the node ---
pod plain
eventually 20 on_node plain "$NODE" && ok "a pod is bound to the node" || not_ok "a pod is bound to the node"
check_out "kubectl get -o wide shows the NODE column" "^plain +[0-9]+/[0-9]+ +[A-Za-z]+ +[0-9]+ +[0-9a-z]+ +[^ ]+ +$NODE " \
    k get pod plain -o wide
check_out "describe shows the Scheduled event" \
    "Normal +Scheduled .*default-scheduler +Successfully assigned default/plain to $NODE" \
    k describe pod plain
check_out "the pod is PodScheduled=True" '^True$' cond plain status

# --- nodeSelector: Pending with upstream's message until the node gets the label ---
pod picky 'nodeSelector: {disk: ssd}'
MSG_AFF="0/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity/selector\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with picky "$MSG_AFF" && ok "nodeSelector mismatch: FailedScheduling in describe" || {
    not_ok "nodeSelector mismatch: FailedScheduling in describe"
    k describe pod picky | diag
}
check_out "PodScheduled=False, reason Unschedulable" '^False Unschedulable$' \
    sh -c "echo \$(kubectl get pod picky -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].status}') \$(kubectl get pod picky -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].reason}')"
check_out "the condition carries the message" "didn't match Pod's node affinity/selector" cond picky message
check_out "kubectl get shows it Pending with no node" '^picky +0/1 +Pending .*<none>' k get pod picky -o wide
k label node "$NODE" disk=ssd >/dev/null
eventually 20 on_node picky "$NODE" && ok "labelling the node schedules the waiting pod" || not_ok "labelling the node schedules the waiting pod"
eventually 10 sh -c "[ \"\$(kubectl get pod picky -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].status}')\" = True ]" &&
    ok "PodScheduled turns True once bound" || not_ok "PodScheduled turns True once bound"

# --- required node affinity, matchExpressions ---
pod affine 'affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: NotIn, values: [ssd]}]}]}}}'
eventually 20 failed_with affine "$MSG_AFF" && ok "required node affinity mismatch is reported" || not_ok "required node affinity mismatch is reported"

# --- a tainted node ---
k taint node "$NODE" dedicated=db:NoSchedule >/dev/null
pod intolerant
MSG_TAINT="0/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: db\}\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with intolerant "$MSG_TAINT" && ok "a NoSchedule taint keeps a pod off the node" || {
    not_ok "a NoSchedule taint keeps a pod off the node"
    k describe pod intolerant | diag
}
pod tolerant 'tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]'
eventually 20 on_node tolerant "$NODE" && ok "a tolerating pod is scheduled on the tainted node" || not_ok "a tolerating pod is scheduled on the tainted node"
pod tolerant-all 'tolerations: [{operator: Exists}]'
eventually 20 on_node tolerant-all "$NODE" && ok "operator Exists without a key tolerates every taint" || not_ok "operator Exists without a key tolerates every taint"
k taint node "$NODE" dedicated=db:NoSchedule- >/dev/null
eventually 20 on_node intolerant "$NODE" && ok "removing the taint schedules the waiting pod" || not_ok "removing the taint schedules the waiting pod"

# --- a cordoned node ---
k cordon "$NODE" >/dev/null
pod cordoned
MSG_CORDON="0/1 nodes are available: 1 node\(s\) were unschedulable\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with cordoned "$MSG_CORDON" && ok "a cordoned node takes no new pod" || {
    not_ok "a cordoned node takes no new pod"
    k describe pod cordoned | diag
}
k uncordon "$NODE" >/dev/null
eventually 20 on_node cordoned "$NODE" && ok "uncordon schedules the waiting pod" || not_ok "uncordon schedules the waiting pod"

# --- resources ---
pod hungry 'containers: [{name: c, image: busybox:1.36, resources: {requests: {cpu: "1000", memory: 1Ti}}}]'
MSG_RES="0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory\. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod\."
eventually 20 failed_with hungry "$MSG_RES" && ok "requests beyond allocatable: Insufficient cpu and memory" || {
    not_ok "requests beyond allocatable: Insufficient cpu and memory"
    k describe pod hungry | diag
}
k delete pod hungry --wait=false >/dev/null

# --- claims (STATEFULSET.md §6) ---
k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: manual-now}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-wait}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: now, namespace: default}
spec: {storageClassName: manual-now, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: later, namespace: default}
spec: {storageClassName: local-wait, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
EOF
pod claims-now 'volumes: [{name: d, persistentVolumeClaim: {claimName: now}}]'
MSG_IMM="0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with claims-now "$MSG_IMM" && ok "an unbound Immediate claim keeps the pod Pending" || {
    not_ok "an unbound Immediate claim keeps the pod Pending"
    k describe pod claims-now | diag
}
pod claims-missing 'volumes: [{name: d, persistentVolumeClaim: {claimName: nosuch}}]'
eventually 20 failed_with claims-missing '0/1 nodes are available: persistentvolumeclaim "nosuch" not found\.' &&
    ok "a missing claim is reported" || not_ok "a missing claim is reported"

pod claims-later 'volumes: [{name: d, persistentVolumeClaim: {claimName: later}}]'
MSG_NOPV="0/1 nodes are available: 1 node\(s\) didn't find available persistent volumes to bind\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with claims-later "$MSG_NOPV" && ok "WaitForFirstConsumer without a fitting volume: no node" || {
    not_ok "WaitForFirstConsumer without a fitting volume: no node"
    k describe pod claims-later | diag
}
# A volume on another node does not help; one on this node does.
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-elsewhere}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-wait
  hostPath: {path: /tmp/pv-elsewhere}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [other]}]}]}}
EOF
sleep 1
check_out "a volume pinned to another node leaves the pod Pending" '^$' node_of claims-later
# The smallest fitting volume wins among those Available when the pod is scheduled: take the
# pod away while two volumes appear, so that both are there when it comes back.
k delete pod claims-later --wait=true >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-here-big}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-wait
  hostPath: {path: /tmp/pv-here-big}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: In, values: [ssd]}]}]}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-here}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-wait
  hostPath: {path: /tmp/pv-here}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: In, values: [ssd]}]}]}}
EOF
avail() { [ "$(k get pv "$1" -o jsonpath='{.status.phase}')" = Available ]; }
eventually 20 avail pv-here && eventually 20 avail pv-here-big || not_ok "the volumes become Available (volume binder)"
pod claims-later 'volumes: [{name: d, persistentVolumeClaim: {claimName: later}}]'
eventually 20 sh -c "[ \"\$(kubectl get pv pv-here -o jsonpath='{.spec.claimRef.name}')\" = later ]" &&
    ok "the scheduler pre-binds the smallest fitting volume on the node" || {
    not_ok "the scheduler pre-binds the smallest fitting volume on the node"
    k get pv -o wide | diag
}
check_out "the larger volume stays unclaimed" '^$' k get pv pv-here-big -o jsonpath='{.spec.claimRef.name}'
eventually 30 on_node claims-later "$NODE" && ok "the pod is bound once its claim is" || {
    not_ok "the pod is bound once its claim is"
    k get pvc,pv | diag
}
check_out "the claim is Bound to that volume" '^pv-here$' k get pvc later -o jsonpath='{.spec.volumeName}'

# A bound claim whose volume is pinned elsewhere: the pod cannot go anywhere.
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-pinned}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual-now
  claimRef: {namespace: default, name: pinned}
  hostPath: {path: /tmp/pv-pinned}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [other]}]}]}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pinned, namespace: default}
spec: {storageClassName: manual-now, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
EOF
eventually 20 sh -c "[ \"\$(kubectl get pvc pinned -o jsonpath='{.status.phase}')\" = Bound ]" || not_ok "claim pinned binds (volume binder)"
pod claims-pinned 'volumes: [{name: d, persistentVolumeClaim: {claimName: pinned}}]'
MSG_CONFLICT="0/1 nodes are available: 1 node\(s\) had volume node affinity conflict\. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling\."
eventually 20 failed_with claims-pinned "$MSG_CONFLICT" && ok "a bound volume's node affinity restricts the pod" || {
    not_ok "a bound volume's node affinity restricts the pod"
    k describe pod claims-pinned | diag
}

# --- another scheduler's pods are left alone ---
pod other-sched 'schedulerName: someone-else'
sleep 1
check_out "pods of another scheduler stay unbound" '^$' node_of other-sched
if k describe pod other-sched | grep -q FailedScheduling; then
    not_ok "and get no FailedScheduling from us"
else
    ok "and get no FailedScheduling from us"
fi

exit 0
