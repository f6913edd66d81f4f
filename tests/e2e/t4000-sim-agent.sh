#!/usr/bin/env bash
# The node agent with the sim runtime: `berth agent --runtime sim` joins a `berth server`;
# pods bound to it by hand (pods/binding) go Running, the sim annotations show in kubectl's
# output, deletion finishes as a kubelet finishes it, and the local-path hand-off makes a
# volume's directory.
. "$(dirname "$0")/../lib/e2e.sh"

NODE=sim-1
AGENT_PID=""
AGENT_DATA=$E2E_TMP/agent-data

stop_agent() {
    if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
        kill "$AGENT_PID" 2>/dev/null
        wait "$AGENT_PID" 2>/dev/null
    fi
    AGENT_PID=""
}
trap 'stop_agent; cleanup' EXIT

start_server || { not_ok "server starts"; exit 1; }
ok "server starts"

printf '%s\n' "$TOKEN" >"$E2E_TMP/token"
mkdir -p "$AGENT_DATA"
"$BERTH" agent --server "$SERVER_URL" --token-file "$E2E_TMP/token" --ca-file "$CA" \
    --node-name "$NODE" --runtime sim --data-dir "$AGENT_DATA" >>"$E2E_TMP/agent.log" 2>&1 &
AGENT_PID=$!

check_fail "the agent refuses to run without --runtime sim (no silent fallback)" \
    'runtime "runc" is not available' \
    "$BERTH" agent --server "$SERVER_URL" --token-file "$E2E_TMP/token" --node-name x

# --- the node ---

node_ready() { k get node "$NODE" --no-headers 2>/dev/null | grep -qE "^$NODE +Ready "; }
if eventually 20 node_ready; then ok "the node registers and is Ready"; else
    not_ok "the node registers and is Ready"
    tail -n 30 "$E2E_TMP/agent.log" | diag
fi
check_out "kubectl get nodes shows it Ready with the agent's version" \
    "^$NODE +Ready +<none> +[0-9]+[smh] +v1\.32\.4-berth$" k get nodes
check_out "kubectl get nodes -o wide: internal IP, OS image, kernel, runtime" \
    "^$NODE +Ready .* 127\.0\.0\.1 +<none> +.+ +$(uname -r | sed 's/[.+]/\\&/g') +sim://berth$" \
    k get nodes -o wide
check_out "the node has the kubelet's labels" "kubernetes.io/hostname=$NODE" \
    k get node "$NODE" --show-labels
check_out "capacity: pods 110" "^110$" k get node "$NODE" -o 'jsonpath={.status.capacity.pods}{"\n"}'
check_out "the Lease in kube-node-lease is held by the node" "^$NODE 40$" \
    k get lease -n kube-node-lease "$NODE" \
    -o 'jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds}{"\n"}'
R1=$(k get lease -n kube-node-lease "$NODE" -o 'jsonpath={.spec.renewTime}')
lease_renewed() { [ "$(k get lease -n kube-node-lease "$NODE" -o 'jsonpath={.spec.renewTime}')" != "$R1" ]; }
if eventually 25 lease_renewed; then ok "the Lease is renewed"; else not_ok "the Lease is renewed"; fi

# --- pods ---

# pod NAME [ANNOTATIONS-YAML-LINES...]: create an unscheduled pod
pod() {
    local name=$1
    shift
    {
        echo "apiVersion: v1"
        echo "kind: Pod"
        echo "metadata:"
        echo "  name: $name"
        if [ $# -gt 0 ]; then
            echo "  annotations:"
            local a
            for a in "$@"; do echo "    $a"; done
        fi
        echo "spec:"
        echo "  schedulerName: berth-e2e-by-hand"
        echo "  terminationGracePeriodSeconds: 30"
        echo "  containers:"
        echo "  - name: app"
        echo "    image: nginx:1.27"
    } | k apply -f - >/dev/null
}
bind() { # the scheduler's job, by hand
    api POST "/api/v1/namespaces/default/pods/$1/binding" -H 'Content-Type: application/json' \
        -d "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"$1\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"$NODE\"}}" >/dev/null
}
row() { k get pod "$1" --no-headers -o wide 2>/dev/null; }
row_matches() { row "$1" | grep -qE -- "$2"; }
wait_row() { # desc pod pattern seconds
    if eventually "${4:-15}" row_matches "$2" "$3"; then ok "$1"; else
        not_ok "$1"
        { echo "wanted: $3"; row "$2"; k get pod "$2" -o yaml; tail -n 20 "$E2E_TMP/agent.log"; } 2>&1 | diag
    fi
}

pod web
check_out "an unbound pod is Pending" "^web +0/1 +Pending +0 +[0-9]+s +<none> +<none>" row web
bind web
wait_row "a bound pod goes Running 1/1 with a pod IP on the node" web \
    "^web +1/1 +Running +0 +[0-9]+s +10\.42\.[0-9]+\.[0-9]+ +$NODE "
check_out "its conditions are the kubelet's" \
    "^PodReadyToStartContainers=True Initialized=True Ready=True ContainersReady=True PodScheduled=True $" \
    k get pod web -o 'jsonpath={range .status.conditions[*]}{.type}={.status} {end}{"\n"}'
check_out "container status: sim container and image IDs" "^sim://[0-9a-f]{64} sim://nginx:1\.27 true$" \
    k get pod web -o 'jsonpath={.status.containerStatuses[0].containerID} {.status.containerStatuses[0].imageID} {.status.containerStatuses[0].started}{"\n"}'

pod web2
bind web2
wait_row "a second pod runs too" web2 "^web2 +1/1 +Running"
IP1=$(k get pod web -o 'jsonpath={.status.podIP}')
IP2=$(k get pod web2 -o 'jsonpath={.status.podIP}')
[ -n "$IP1" ] && [ "$IP1" != "$IP2" ] && ok "pods get distinct IPs ($IP1, $IP2)" || not_ok "pods get distinct IPs ($IP1, $IP2)"

start=$SECONDS
check "kubectl delete pod finishes (the agent completes the deletion)" \
    timeout 20 kubectl delete pod web
[ $((SECONDS - start)) -lt 15 ] && ok "without waiting out the 30 s grace period" || not_ok "deletion took $((SECONDS - start)) s"
check_fail "the pod is gone" "NotFound" k get pod web

# --- the annotations ---

pod slow 'sim.berth.io/start-delay: "4s"'
bind slow
wait_row "start-delay: ContainerCreating at first" slow "^slow +0/1 +ContainerCreating +0 " 5
wait_row "start-delay: Running 1/1 after the delay" slow "^slow +1/1 +Running +0 " 15

pod unready 'sim.berth.io/ready: "false"'
bind unready
wait_row "ready=false: Running but 0/1" unready "^unready +0/1 +Running +0 "
k annotate pod unready sim.berth.io/ready- >/dev/null
wait_row "removing it makes the pod Ready: 1/1" unready "^unready +1/1 +Running +0 "
k annotate pod unready sim.berth.io/ready=false >/dev/null
wait_row "setting it again: 0/1" unready "^unready +0/1 +Running +0 "

pod crashy 'sim.berth.io/crash: "true"'
bind crashy
wait_row "crash: CrashLoopBackOff" crashy "^crashy +0/1 +CrashLoopBackOff +0 "
wait_row "crash: restarts after the 10 s back-off" crashy "^crashy +0/1 +CrashLoopBackOff +1 \(" 25
check_out "crash: the last state is an exit with code 1" "^1 Error back-off 20s restarting failed container=app pod=crashy_default" \
    k get pod crashy -o 'jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].state.waiting.message}{"\n"}'

pod doomed 'sim.berth.io/fail: "true"'
bind doomed
wait_row "fail: the pod fails (Error)" doomed "^doomed +0/1 +Error +0 "
check_out "fail: phase Failed, exit code 1" "^Failed 1$" \
    k get pod doomed -o 'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}{"\n"}'
check "a failed pod is deleted at once" timeout 10 kubectl delete pod doomed

pod stubborn 'sim.berth.io/refuse-terminate: "true"'
bind stubborn
wait_row "refuse-terminate: runs" stubborn "^stubborn +1/1 +Running"
check "delete without waiting" k delete pod stubborn --wait=false
sleep 3
check_out "refuse-terminate: stays Terminating" "^stubborn +1/1 +Terminating " row stubborn
k annotate pod stubborn sim.berth.io/refuse-terminate- >/dev/null
gone() { ! k get pod "$1" >/dev/null 2>&1; }
if eventually 10 gone stubborn; then ok "removing the mark lets the deletion finish"; else not_ok "removing the mark lets the deletion finish"; fi

# --- volumes ---

cat <<EOF | k apply -f - >/dev/null
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-db-0
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
spec:
  schedulerName: berth-e2e-by-hand
  containers:
  - name: db
    image: postgres:16
    volumeMounts:
    - name: data
      mountPath: /var/lib/postgresql/data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data-db-0
EOF
bind db-0
sleep 2
check_out "a pod waits in ContainerCreating while its claim is not Bound" \
    "^db-0 +0/1 +ContainerCreating " row db-0
cat <<EOF | k apply -f - >/dev/null
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-db-0
  annotations:
    berth.io/local-path-pending: "true"
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath:
    path: $AGENT_DATA/volumes/pv-db-0_default_data-db-0
  claimRef:
    namespace: default
    name: data-db-0
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values: [$NODE]
EOF
ann_gone() { [ -z "$(k get pv pv-db-0 -o 'jsonpath={.metadata.annotations.berth\.io/local-path-pending}')" ]; }
if eventually 10 ann_gone; then ok "local-path hand-off: the agent clears the pending mark"; else not_ok "local-path hand-off: the agent clears the pending mark"; fi
[ -d "$AGENT_DATA/volumes/pv-db-0_default_data-db-0" ] && ok "... after making the volume's directory" || not_ok "the volume's directory exists"
# bind the claim as the binder would
api PATCH /api/v1/namespaces/default/persistentvolumeclaims/data-db-0 \
    -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"volumeName":"pv-db-0"}}' >/dev/null
api PATCH /api/v1/namespaces/default/persistentvolumeclaims/data-db-0/status \
    -H 'Content-Type: application/merge-patch+json' -d '{"status":{"phase":"Bound"}}' >/dev/null
wait_row "once the claim is Bound the pod runs" db-0 "^db-0 +1/1 +Running "
# a released volume's directory goes when the provisioner asks for it
touch "$AGENT_DATA/volumes/pv-db-0_default_data-db-0/PG_VERSION"
k annotate pv pv-db-0 berth.io/local-path-cleanup=requested >/dev/null
cleanup_done() { [ "$(k get pv pv-db-0 -o 'jsonpath={.metadata.annotations.berth\.io/local-path-cleanup}')" = done ]; }
if eventually 10 cleanup_done; then ok "local-path cleanup: the agent answers done"; else not_ok "local-path cleanup: the agent answers done"; fi
[ ! -e "$AGENT_DATA/volumes/pv-db-0_default_data-db-0" ] && ok "... after removing the directory" || not_ok "the volume's directory is removed"

# --- the agent goes away and comes back: running pods are adopted, not restarted ---

CID=$(k get pod web2 -o 'jsonpath={.status.containerStatuses[0].containerID}')
stop_agent
"$BERTH" agent --server "$SERVER_URL" --token-file "$E2E_TMP/token" --ca-file "$CA" \
    --node-name "$NODE" --runtime sim --data-dir "$AGENT_DATA" >>"$E2E_TMP/agent.log" 2>&1 &
AGENT_PID=$!
sleep 2
check_out "after an agent restart a running pod keeps its container" "^$CID$" \
    k get pod web2 -o 'jsonpath={.status.containerStatuses[0].containerID}{"\n"}'
pod late
bind late
wait_row "and new pods still start" late "^late +1/1 +Running"
kill -0 "$AGENT_PID" 2>/dev/null && ok "the agent is still running" || { not_ok "the agent died"; tail -n 30 "$E2E_TMP/agent.log" | diag; }
