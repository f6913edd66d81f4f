#!/usr/bin/env bash
# Node lifecycle: a node whose Lease is no longer renewed turns Ready=Unknown after the 40 s
# grace period, gets the unreachable taints, and its pods turn Ready=False without being
# deleted; once the lease is renewed and the node reports Ready again the taints go. The node
# here is a hand-made one ("ghost") whose agent is this script; the server's own sim node must
# stay untouched.
. "$(dirname "$0")/../lib/e2e.sh"

NODE=n1
start_server --runtime sim --node-name "$NODE" || {
    not_ok "server starts with the sim runtime"
    exit 1
}
ok "server starts with the sim runtime"

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
now_micro() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }

# What an agent does: post Ready=True with a fresh heartbeat, and renew the lease.
post_status() {
    local t
    t=$(now)
    api PUT /api/v1/nodes/ghost/status -H 'Content-Type: application/json' -d "$(
        k get node ghost -o json | jq --arg t "$t" '.status = {
            capacity: {cpu: "2", memory: "2Gi", pods: "10"},
            allocatable: {cpu: "2", memory: "2Gi", pods: "10"},
            conditions: [{type: "Ready", status: "True", reason: "KubeletReady",
                          message: "ready", lastHeartbeatTime: $t, lastTransitionTime: $t}]}'
    )" >/dev/null
}
renew_lease() {
    local body
    body=$(jq -n --arg t "$(now_micro)" '{apiVersion: "coordination.k8s.io/v1", kind: "Lease",
        metadata: {name: "ghost", namespace: "kube-node-lease"},
        spec: {holderIdentity: "ghost", leaseDurationSeconds: 40, renewTime: $t}}')
    if k get lease ghost -n kube-node-lease >/dev/null 2>&1; then
        api PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ghost \
            -H 'Content-Type: application/json' -d "$body" >/dev/null
    else
        api POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases \
            -H 'Content-Type: application/json' -d "$body" >/dev/null
    fi
}
ready_of() { k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'; }
taints_of() { k get node "$1" -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}'; }

eventually 30 sh -c "kubectl get ns kube-node-lease >/dev/null" || not_ok "kube-node-lease exists"
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata: {name: ghost, labels: {kubernetes.io/hostname: ghost}}
EOF
post_status
renew_lease
eventually 10 sh -c "[ \"\$(kubectl get node ghost -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" &&
    ok "the hand-made node reports Ready" || not_ok "the hand-made node reports Ready"
eventually 10 sh -c "[ -z \"\$(kubectl get node ghost -o jsonpath='{.spec.taints}')\" ]" &&
    ok "a Ready node carries no taint" || { not_ok "a Ready node carries no taint"; taints_of ghost | diag; }

# A pod running there (bound by hand, status posted as its agent would).
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: onghost, namespace: default}
spec: {nodeName: ghost, containers: [{name: c, image: busybox:1.36}]}
EOF
T=$(now)
api PUT /api/v1/namespaces/default/pods/onghost/status -H 'Content-Type: application/json' -d "$(
    k get pod onghost -o json | jq --arg t "$T" '.status = {phase: "Running", podIP: "10.42.9.9",
        podIPs: [{ip: "10.42.9.9"}],
        conditions: [{type: "PodScheduled", status: "True", lastTransitionTime: $t},
                     {type: "Ready", status: "True", lastTransitionTime: $t}]}'
)" >/dev/null
check_out "its pod is Ready" '^True$' k get pod onghost -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'

# Silence: no lease renewal, no status. Within the grace period nothing happens...
sleep 20
check_out "20 s of silence: still Ready" '^True$' ready_of ghost
# ...after it, Unknown.
eventually 40 sh -c "[ \"\$(kubectl get node ghost -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = Unknown ]" &&
    ok "after the grace period the node is Ready=Unknown" || { not_ok "after the grace period the node is Ready=Unknown"; k get node ghost -o yaml | diag; }
check_out "reason NodeStatusUnknown" '^NodeStatusUnknown$' k get node ghost -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'
check_out "message as upstream" '^Kubelet stopped posting node status\.$' k get node ghost -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'
check_out "kubectl get nodes shows NotReady" '^ghost +NotReady' k get node ghost
eventually 10 sh -c "kubectl get node ghost -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}' | grep -q 'node.kubernetes.io/unreachable:NoExecute'" &&
    ok "the node is tainted unreachable:NoExecute" || { not_ok "the node is tainted unreachable:NoExecute"; taints_of ghost | diag; }
check_out "and unreachable:NoSchedule" 'node.kubernetes.io/unreachable:NoSchedule' taints_of ghost
check_out "the NoExecute taint has timeAdded" '.+' k get node ghost -o jsonpath='{.spec.taints[?(@.effect=="NoExecute")].timeAdded}'
eventually 10 sh -c "[ \"\$(kubectl get pod onghost -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = False ]" &&
    ok "its pod turns Ready=False" || not_ok "its pod turns Ready=False"
check_out "the pod is not deleted" '^onghost ' k get pod onghost --no-headers
eventually 10 sh -c "kubectl describe pod onghost | grep -qE 'NodeNotReady +[0-9].* +node-controller +Node is not ready'" &&
    ok "describe shows NodeNotReady on the pod" || { not_ok "describe shows NodeNotReady on the pod"; k describe pod onghost | diag; }
check_out "the server's own node is untouched" '^True$' ready_of "$NODE"

# The agent comes back.
renew_lease
post_status
eventually 15 sh -c "[ -z \"\$(kubectl get node ghost -o jsonpath='{.spec.taints}')\" ]" &&
    ok "back to Ready: the taints go" || { not_ok "back to Ready: the taints go"; taints_of ghost | diag; }
check_out "and the node is Ready" '^True$' ready_of ghost

# A cordoned node gets the unschedulable taint, as upstream's TaintNodeByCondition.
k cordon ghost >/dev/null
eventually 10 sh -c "kubectl get node ghost -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}' | grep -q 'node.kubernetes.io/unschedulable:NoSchedule'" &&
    ok "cordon adds node.kubernetes.io/unschedulable:NoSchedule" || not_ok "cordon adds node.kubernetes.io/unschedulable:NoSchedule"
k uncordon ghost >/dev/null
eventually 10 sh -c "[ -z \"\$(kubectl get node ghost -o jsonpath='{.spec.taints}')\" ]" &&
    ok "uncordon removes it" || not_ok "uncordon removes it"
exit 0
