#!/usr/bin/env bash
# statefulset.sh — the StatefulSet benchmark (issue 3, DESIGN.md §7). Not part of `make test`.
#
#   bench/statefulset.sh [-o RESULTS.md]
#
# Builds what it needs (`make all bench`), then with its own servers on free ports (fresh data
# dirs, a fresh HOME) times, with the sim runtime:
#
#   Parallel create      `kubectl apply` of a headless Service and a Parallel StatefulSet of N
#                        replicas (N = 1,000) with a claim template, to readyReplicas == N
#   Parallel update      `kubectl set image` of that set, to updatedReplicas == readyReplicas ==
#                        N with currentRevision == updateRevision (RollingUpdate, the default
#                        maxUnavailable of 1: one pod at a time, highest ordinal first)
#   OrderedReady create  the same with NO replicas (NO = 100), one pod at a time
#   OrderedReady update  as above
#
# Each scenario runs against a fresh `berth server --runtime sim` (one for the Parallel set, one
# for the OrderedReady set), timed by build/bench/stsload from a watch on the StatefulSet that
# starts before kubectl runs. Before each scenario, its floor is measured on an API-only server
# (`--disable-controllers --disable-agent`, fresh data dir, running all along) through the unix
# socket the controllers use (plain HTTP): the API work the scenario cannot do without, with
# no controller, scheduler, binder or agent in the way —
#
#   Parallel create      N claims + N pods of the controller's shapes, CONNS connections (16:
#                        enough to saturate the server); pods/s = claim+pod pairs/s
#   OrderedReady create  the same through 1 connection, one pod after the other
#   updates              delete (grace 0) + create of each pod, 1 connection (a rolling update
#                        replaces one pod at a time)
#
# and the upstream bound: kube-controller-manager's default client rate limit, 20 QPS, for the
# same requests — (N claims + N pods) / 20 for a create, (N deletes + N creates) / 20 for an
# update: 10 pods/s whatever N is. The target (issue 3): Parallel create at ≥ 300 pods/s and
# within 2× of the floor (ratio ≥ 0.5).
#
# Prints a Markdown table (and with -o writes it to a file); the raw output of every step goes
# to build/bench/statefulset-raw.txt. Environment: N (1000), NO (100), CONNS (16), TIMEOUT
# seconds per scenario (1800), SETS (the sets to run: "par ord"), UPDATES=0 skips the rolling
# updates, BERTH (another build of berth to measure, e.g. one with a candidate fix) and NOTE (a
# line for the notes under the table, saying what that build is), KEEP=1 keeps the temp dir
# (server logs included).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

out_file=""
while getopts "o:" opt; do
    case $opt in
    o) out_file=$OPTARG ;;
    *) echo "usage: bench/statefulset.sh [-o RESULTS.md]" >&2; exit 2 ;;
    esac
done

N=${N:-1000}
NO=${NO:-100}
CONNS=${CONNS:-16}
TIMEOUT=${TIMEOUT:-1800}
SETS=${SETS:-par ord}
UPDATES=${UPDATES:-1}
QPS=20 # upstream kube-controller-manager --kube-api-qps default

BERTH=${BERTH:-$ROOT/build/berth}
STSLOAD=$ROOT/build/bench/stsload
RAW=$ROOT/build/bench/statefulset-raw.txt

make -s -j2 all bench >/dev/null

TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-stsbench.XXXXXX")
export HOME=$TMP/home
mkdir -p "$HOME"
declare -A PIDS=() # data dir -> server pid

stop_server() {
    local dir=$1 pid=${PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Let it finish its shutdown before its data dir goes (it removes its socket).
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    PIDS[$dir]=""
}

cleanup() {
    local d
    for d in "${!PIDS[@]}"; do stop_server "$d"; done
    if [ -n "${KEEP:-}" ]; then echo "# kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# start_server DIR ARGS...: berth server on a free port with a fresh data dir DIR; sets
# SRV_PID and KCFG.
start_server() {
    local dir=$1 url
    shift
    mkdir -p "$dir"
    "$BERTH" server --data-dir "$dir" --listen 127.0.0.1:0 "$@" >>"$dir.log" 2>&1 &
    SRV_PID=$!
    PIDS[$dir]=$SRV_PID
    KCFG=$dir/kubeconfig.yaml
    for _ in $(seq 1 400); do
        if [ -s "$KCFG" ]; then
            url=$(sed -n 's/^ *server: //p' "$KCFG")
            if curl -fsS --cacert "$dir/pki/ca.crt" "$url/readyz" >/dev/null 2>&1; then
                return 0
            fi
        fi
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "statefulset.sh: the server did not start; its log:" >&2
    tail -n 20 "$dir.log" >&2
    exit 1
}

# eventually SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
eventually() {
    local end=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $end ]; then
            echo "statefulset.sh: gave up waiting for: $*" >&2
            exit 1
        fi
        sleep 0.2
    done
}

# step NAME CMD...: run a measurement, its output in $TMP/NAME.out and the raw log.
step() {
    local name=$1 rc=0
    shift
    echo "# $name: $*" >&2
    {
        echo "## $name: $*"
        "$@" >"$TMP/$name.out" || rc=$?
        cat "$TMP/$name.out"
        echo
    } >>"$RAW"
    return $rc
}

# get NAME KEY: a figure from a step's output ("-" when absent).
get() { awk -v k="$2" '$1 == k { print $2; f = 1; exit } END { if (!f) print "-" }' "$TMP/$1.out"; }

# manifest NAMESPACE POLICY REPLICAS: the Namespace, headless Service and StatefulSet, as the
# walkthrough has them (STATEFULSET.md), with a 1Gi claim template on the default class.
manifest() {
    cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: $1
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
    name: web
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: $1
spec:
  serviceName: web
  replicas: $3
  podManagementPolicy: $2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.8
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
EOF
}

# scenario KEY POLICY REPLICAS: floors and timings of one set's create and update, on a fresh
# sim server; steps KEY-create, KEY-update and their floors KEY-create-floor, KEY-update-floor.
scenario() {
    local key=$1 policy=$2 n=$3 conns=1 ns=$1 dir=$TMP/$1 rc
    [ "$policy" = Parallel ] && conns=$CONNS
    local fl=(-k "$FLOOR_KCFG" -u "$TMP/floor/api.sock" -p "$FLOOR_PID" -N "floor-$key" -n "$n")

    start_server "$dir" --runtime sim --node-name sim-0 --max-pods $((n + 100))
    local kc=$KCFG pid=$SRV_PID
    # The controllers make the default class; the node registers.
    eventually 30 kubectl --kubeconfig "$kc" get storageclass local-path
    eventually 30 kubectl --kubeconfig "$kc" wait --for=condition=Ready node/sim-0 --timeout=1s
    manifest "$ns" "$policy" "$n" >"$TMP/$key.yaml"

    step "$key-create-floor" "$STSLOAD" "${fl[@]}" -c "$conns" create
    rc=0
    step "$key-create" "$STSLOAD" -k "$kc" -p "$pid" -N "$ns" -n "$n" -t "$TIMEOUT" \
        watch ready -- kubectl --kubeconfig "$kc" apply -f "$TMP/$key.yaml" || rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 3 ] || exit 1

    if [ "$UPDATES" != 0 ] && [ $rc -eq 0 ]; then
        step "$key-update-floor" "$STSLOAD" "${fl[@]}" -c 1 recreate
        step "$key-update" "$STSLOAD" -k "$kc" -p "$pid" -N "$ns" -n "$n" -t "$TIMEOUT" \
            watch updated -- kubectl --kubeconfig "$kc" set image -n "$ns" statefulset/web \
            nginx=registry.k8s.io/nginx-slim:0.9 || rc=$?
        [ $rc -eq 0 ] || [ $rc -eq 3 ] || exit 1
    elif [ "$UPDATES" != 0 ]; then
        echo "# $key-update: skipped, the create timed out" >&2
    fi
    stop_server "$dir"
}

: >"$RAW"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "# berth StatefulSet benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)"
    echo "# $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
    echo "# $(uname -sr); /tmp on $(df -T "$TMP" | awk 'NR == 2 { print $2 }'); $(kubectl version --client 2>/dev/null | head -n 1)"
    echo
} >>"$RAW"

start_server "$TMP/floor" --disable-controllers --disable-agent
FLOOR_KCFG=$KCFG
FLOOR_PID=$SRV_PID

for set in $SETS; do
    case $set in
    par) scenario par Parallel "$N" ;;
    ord) scenario ord OrderedReady "$NO" ;;
    *) echo "statefulset.sh: SETS: par and/or ord, not $set" >&2; exit 2 ;;
    esac
done
stop_server "$TMP/floor"

# --- the table ---
table=$TMP/table.md
{
    echo "| scenario | seconds | pods/s | floor pods/s (same run) | ratio to floor |" \
        "upstream 20 QPS bound | × the bound | store writes per pod | floor at those writes |" \
        "server CPU per pod (floor) | target | |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$table"

# row KEY TEXT N REQUESTS_PER_POD FLOOR_TEXT TARGET(yes|no); no row for a step not run.
row() {
    local key=$1 text=$2 n=$3 rpp=$4 ftext=$5 target=$6
    if [ ! -e "$TMP/$key.out" ]; then
        [ "$target" = yes ] || return 0
        echo "| $text | not run | | | | | | | | | | |" >>"$table"
        return 0
    fi
    awk -v text="$text" -v n="$n" -v rpp="$rpp" -v qps="$QPS" -v ftext="$ftext" \
        -v target="$target" -v secs="$(get "$key" seconds)" -v rate="$(get "$key" pods_per_sec)" \
        -v ndone="$(get "$key" "done")" -v timeout="$(get "$key" timeout)" \
        -v cpu="$(get "$key" server_cpu_ms_per_pod)" -v wpp="$(get "$key" writes_per_pod)" \
        -v floor="$(get "$key-floor" pods_per_sec)" \
        -v fcpu="$(get "$key-floor" server_cpu_ms_per_pod)" '
    function num(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
    BEGIN {
        bound_s = n * rpp / qps; bound_rate = n / bound_s
        ratio = floor > 0 ? rate / floor : 0
        s = num(secs)
        if (timeout == 1) s = "> " s " (timed out, " ndone " of " n ")"
        t = "—"; met = ""
        if (target == "yes") {
            t = "≥ 300 pods/s, ≥ 0.5 × floor"
            met = (timeout != 1 && rate >= 300 && ratio >= 0.5) ? "met" : "**not met**"
        }
        # The floor does rpp writes a pod; at the writes a pod of the scenario the same rate
        # gives this many pods/s.
        wfloor = wpp > 0 ? floor * rpp / wpp : 0
        printf "| %s | %s | %s | %s %s | %.3f | %s s (%s pods/s) | %.2f | %.1f | %s pods/s | %s ms (%s ms) | %s | %s |\n", text, s, num(rate), num(floor), ftext, ratio, num(bound_s), num(bound_rate), rate / bound_rate, wpp, num(wfloor), num(cpu), num(fcpu), t, met
    }' >>"$table"
}

row par-create "Parallel, $N replicas: create to readyReplicas == $N" "$N" 2 \
    "($CONNS connections, claims + pods)" yes
row par-update "Parallel, $N replicas: rolling update" "$N" 2 "(1 connection, delete + create)" no
row ord-create "OrderedReady, $NO replicas: create to readyReplicas == $NO" "$NO" 2 \
    "(1 connection, claims + pods)" no
row ord-update "OrderedReady, $NO replicas: rolling update" "$NO" 2 \
    "(1 connection, delete + create)" no

detail() {
    local key=$1
    echo "$key: first pod $(get "$key" first_s) s, 10% $(get "$key" p10_s) s," \
        "50% $(get "$key" p50_s) s, 90% $(get "$key" p90_s) s$(
            [ "$(get "$key" created_s)" = - ] || echo ", all pods created $(get "$key" created_s) s"),"\
        "kubectl $(get "$key" command_s) s, server CPU $(get "$key" server_cpu_s) s."
}
{
    echo
    echo "Seconds from the start of kubectl (apply, or set image) to the status the scenario"
    echo "waits for, seen on a watch of the StatefulSet; pods/s = replicas / seconds. Floors:"
    echo "an API-only server, unix socket. The upstream bound counts only the requests of the"
    echo "floor (2 a pod) at 20 QPS. Store writes per pod: the store revisions the scenario made"
    echo "(every write of every kind: claims, volumes, bindings, statuses, Events, Endpoints...) per"
    echo "pod; \"floor at those writes\" is the floor's write rate divided by them. Server CPU: the"
    echo "whole \`berth server\` process (API server, controllers, sim agent) per pod, against the"
    echo "API-only server per pod of its floor."
    [ -z "${NOTE:-}" ] || echo "$NOTE"
    echo "$(nproc) shared cores; $(git rev-parse --short HEAD). Load average (1, 5, 15 min)" \
        "before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "Progress (time to the first pod ready or updated, then 10%, 50%, 90% of them):"
    echo
    for k in par-create par-update ord-create ord-update; do
        [ ! -e "$TMP/$k.out" ] || echo "- $(detail $k)"
    done
} >>"$table"

echo
cat "$table"
cat "$table" >>"$RAW"
if [ -n "$out_file" ]; then
    cp "$table" "$out_file"
fi
