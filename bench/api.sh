#!/usr/bin/env bash
# api.sh — the API server benchmark (issue 2, DESIGN.md §7). Not part of `make test`.
#
#   bench/api.sh [-o RESULTS.md]
#
# Builds what it needs (`make all bench`), then on loopback, with its own servers on free ports,
# temp data dirs and a fresh HOME, measures each figure and a floor for it in the same run,
# and prints a Markdown table: figure, value, floor, ratio, target, met / not met. Every figure
# is the median of several rounds (the machine is shared). Raw output of each step goes to
# build/bench/api-raw.txt; -o also writes the table to a file.
#
#   creates/s       POST of a small ConfigMap (generateName), C keep-alive HTTPS connections;
#                   floor: raw SQLite inserts/s with the store's durability settings
#                   (build/bench/sqlite_floor: WAL, synchronous=FULL, one transaction each)
#   GETs/s, LISTs/s one of 1,000 pods, the namespace of 1,000 pods; floor: GET /readyz through
#                   the same client and connections (the server's bare HTTPS request rate)
#   watch fan-out   creates into a fresh namespace while M watches of it stream the events,
#                   M = 0, 1, 100; server CPU per delivered event with 100 watchers against
#                   the CPU of the one watcher's stream per event, and wall-clock events/s
#   start-to-ready  exec of `berth server` to the first 200 from /readyz, fresh data dir
#                   (certificates made) and a restart over the one holding the 1,000 pods;
#                   floor: exec of `berth version` to its exit
#   idle RSS        VmRSS after the start and IDLE seconds, fresh and with 1,000 pods; floor: a
#                   process that only loads the shared libraries berth loads (rss_floor)
#
# Environment: CONNS (4), SECS per round (3), ROUNDS (5), WATCHERS (100), PODS (1000),
# IDLE seconds (3), KEEP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

out_file=""
while getopts "o:" opt; do
    case $opt in
    o) out_file=$OPTARG ;;
    *) echo "usage: bench/api.sh [-o RESULTS.md]" >&2; exit 2 ;;
    esac
done

CONNS=${CONNS:-4}
SECS=${SECS:-3}
ROUNDS=${ROUNDS:-5}
WATCHERS=${WATCHERS:-100}
PODS=${PODS:-1000}
IDLE=${IDLE:-3}

BERTH=$ROOT/build/berth
APILOAD=$ROOT/build/bench/apiload
RAW=$ROOT/build/bench/api-raw.txt

make -s -j2 all bench >/dev/null

TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")
export HOME=$TMP/home
mkdir -p "$HOME"
SRV_PID=""

stop_server() {
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
    fi
    SRV_PID=""
}

cleanup() {
    stop_server
    if [ -n "${KEEP:-}" ]; then echo "# kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# start_server DIR: berth server on a free port; sets SRV_PID and KCFG.
start_server() {
    local dir=$1 url
    rm -f "$dir/kubeconfig.yaml"
    "$BERTH" server --data-dir "$dir" --listen 127.0.0.1:0 >>"$TMP/server.log" 2>&1 &
    SRV_PID=$!
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
    echo "api.sh: the server did not start; its log:" >&2
    tail -n 20 "$TMP/server.log" >&2
    exit 1
}

# step NAME CMD...: run a measurement, its output in $TMP/NAME.out and the raw log.
step() {
    local name=$1
    shift
    echo "# $name: $*" >&2
    {
        echo "## $name: $*"
        "$@" | tee "$TMP/$name.out"
        echo
    } >>"$RAW"
}

# get NAME KEY: a figure from a step's output.
get() { awk -v k="$2" '$1 == k { print $2; exit }' "$TMP/$1.out"; }

# rounds NAME KEY: the figure from every round of a step (NAME.1, NAME.2, ...), one a line.
rounds() {
    local r
    for r in $(seq 1 "$ROUNDS"); do get "$1.$r" "$2"; done
}

# median: of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratios A B: per-round A / B of two "rounds" lists given as files.
ratios() { paste "$1" "$2" | awk '{ print ($2 > 0 ? $1 / $2 : 0) }'; }

: >"$RAW"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "# berth API benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)"
    echo "# $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
    echo "# $(uname -sr); /tmp on $(df -T "$TMP" | awk 'NR == 2 { print $2 }')"
    echo
} >>"$RAW"

# --- server A: creates against raw SQLite, watch fan-out ---
# The disk is shared and its fsync latency swings from one second to the next, so the floor is
# measured in every round right before the creates, and the ratio is the median of the rounds'.
start_server "$TMP/a"
for r in $(seq 1 "$ROUNDS"); do
    step "sqlite.$r" "$ROOT/build/bench/sqlite_floor" -n 3000 -r 1 -t "$CONNS" -d "$TMP"
    step "create.$r" "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -t "$SECS" -r 1 create
    step "create1.$r" "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c 1 -t "$SECS" -r 1 -N bench1 create
done
step watch "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -r 3 -N watch \
    watch -w "0:3000,1:3000,$WATCHERS:1000"
stop_server

# --- server B: 1,000 pods, GET and LIST against the bare request rate ---
start_server "$TMP/b"
step pods "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -N pods create -K pod -n "$PODS" -P pod-
step readyz "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -t "$SECS" -r "$ROUNDS" readyz
step get "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -t "$SECS" -r "$ROUNDS" -N pods \
    get -P pod- -n "$PODS"
step list "$APILOAD" -k "$KCFG" -p "$SRV_PID" -c "$CONNS" -t "$SECS" -r "$ROUNDS" -N pods list
stop_server

# --- start-to-ready and idle RSS ---
step exec "$APILOAD" -r 21 exec -b "$BERTH"
step start_fresh "$APILOAD" -r "$ROUNDS" start -b "$BERTH" -D "$TMP/fresh" -f -i "$IDLE"
step start_pods "$APILOAD" -r "$ROUNDS" start -b "$BERTH" -D "$TMP/b" -i "$IDLE"
# shellcheck disable=SC2046 # one argument per library
step rss_floor "$ROOT/build/bench/rss_floor" -i "$IDLE" $(ldd "$BERTH" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')

# --- the table ---
# row FIGURE VALUE UNIT FLOOR FLOOR_TEXT TARGET_KIND TARGET
#   TARGET_KIND: min-ratio (ratio >= TARGET), max-ratio (ratio < TARGET), max (value < TARGET),
#   none (informative).
table=$TMP/table.md
{
    echo "| figure | value | floor (same run) | ratio | target | |"
    echo "|---|---|---|---|---|---|"
} >"$table"
row() {
    local fig=$1 val=$2 unit=$3 floor=$4 ftext=$5 kind=$6 target=${7:-}
    awk -v fig="$fig" -v val="$val" -v unit="$unit" -v floor="$floor" -v ftext="$ftext" \
        -v kind="$kind" -v target="$target" '
    function num(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
    BEGIN {
        ratio = floor > 0 ? val / floor : 0
        t = "—"; met = ""
        if (kind == "min-ratio") { t = "≥ " target " × floor"; met = ratio >= target ? "met" : "**not met**" }
        if (kind == "max-ratio") { t = "< " target " × floor"; met = ratio < target ? "met" : "**not met**" }
        if (kind == "max")       { t = "< " target " " unit; met = val < target ? "met" : "**not met**" }
        printf "| %s | %s %s | %s %s | %.2f | %s | %s |\n", fig, num(val), unit, num(floor), ftext, ratio, t, met
    }' >>"$table"
}

rounds sqlite sqlite_floor_inserts_per_sec >"$TMP/r.floor"
rounds sqlite store_concurrent_creates_per_sec >"$TMP/r.store"
rounds create rate >"$TMP/r.create"
rounds create1 rate >"$TMP/r.create1"
floor_ins=$(median <"$TMP/r.floor")
# The per-round ratios, and what the row prints as the floor so that value / floor is their
# median.
ratio_floor() { awk -v v="$(median <"$1")" -v r="$(ratios "$1" "$TMP/r.floor" | median)" \
    'BEGIN { print (r > 0 ? v / r : 0) }'; }
readyz=$(get readyz rate)
list_kb=$(awk -v b="$(get list bytes_per_req)" 'BEGIN { printf "%.0f", b / 1024 }')
list_mbs=$(awk -v b="$(get list bytes_per_req)" -v r="$(get list rate)" 'BEGIN { printf "%.0f", b * r / 1e6 }')
rss_floor_mb=$(awk -v k="$(get rss_floor rss_floor_kb)" 'BEGIN { print k / 1024 }')
W=$WATCHERS

row "creates/s, ConfigMap, $CONNS connections" "$(median <"$TMP/r.create")" "/s" \
    "$(ratio_floor "$TMP/r.create")" \
    "raw SQLite inserts/s (WAL, synchronous=FULL, a transaction each; median $floor_ins/s)" \
    min-ratio 0.70
row "creates/s, ConfigMap, 1 connection" "$(median <"$TMP/r.create1")" "/s" \
    "$(ratio_floor "$TMP/r.create1")" "raw SQLite inserts/s, as above" none
row "store_create/s, $CONNS threads, no HTTP (sqlite_floor)" "$(median <"$TMP/r.store")" "/s" \
    "$(ratio_floor "$TMP/r.store")" "raw SQLite inserts/s, as above" none
row "GETs/s, one of $PODS pods, $CONNS connections" "$(get get rate)" "/s" "$readyz" \
    "GET /readyz/s, same client (bare HTTPS request rate)" none
row "LISTs/s, $PODS pods ($list_kb KiB, $list_mbs MB/s), $CONNS connections" "$(get list rate)" "/s" \
    "$readyz" \
    "GET /readyz/s, as above" none
row "watch: server CPU per delivered event, $W watchers" \
    "$(get watch "watch${W}_delivery_cpu_us_per_event")" "µs" \
    "$(get watch watch1_stream_cpu_us_per_event)" "µs, 1 watcher (CPU of its stream thread)" \
    max-ratio 2
row "watch: events/s delivered to $W watchers" "$(get watch "watch${W}_events_per_sec")" "/s" \
    "$(get watch watch1_events_per_sec)" "/s delivered to 1 watcher" none
row "watch: creates/s while $W watchers are served" "$(get watch "watch${W}_writes_per_sec")" \
    "/s" "$(get watch watch0_writes_per_sec)" "/s with no watcher" none
row "start-to-ready, fresh data dir (certificates made)" "$(get start_fresh start_ms)" "ms" \
    "$(get exec exec_ms)" "ms, exec of \`berth version\`" max 100
row "start-to-ready, restart with $PODS pods" "$(get start_pods start_ms)" "ms" \
    "$(get exec exec_ms)" "ms, as above" max 100
row "idle RSS, fresh, after ${IDLE} s" \
    "$(awk -v k="$(get start_fresh rss_kb)" 'BEGIN { print k / 1024 }')" "MB" "$rss_floor_mb" \
    "MB, a process loading only berth's shared libraries" max 15
row "idle RSS, $PODS pods, after ${IDLE} s" \
    "$(awk -v k="$(get start_pods rss_kb)" 'BEGIN { print k / 1024 }')" "MB" "$rss_floor_mb" \
    "MB, as above" max 15

{
    echo
    echo "Medians of $ROUNDS rounds ($SECS s each for rates; 3 rounds for watch), loopback HTTPS,"
    echo "creates: the ratio is the median of the rounds' ratios to the floor measured right before"
    echo "(the floor column shows the rate that ratio implies);"
    echo "$CONNS keep-alive connections unless said; $(nproc) shared cores;" \
        "$(git rev-parse --short HEAD). Watch: $(get watch "watch${W}_cpu_us_per_event") µs" \
        "server CPU per event with $W watchers, writes included," \
        "against $(get watch watch1_cpu_us_per_event) µs with 1; stream threads" \
        "$(get watch "watch${W}_stream_cpu_us_per_event") µs per event with $W watchers;" \
        "write path $(get watch watch0_write_cpu_us_per_write) µs per create with no watcher," \
        "$(get watch "watch${W}_write_cpu_us_per_write") µs with $W." \
        "Load average (1, 5, 15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)."
} >>"$table"

echo
cat "$table"
cat "$table" >>"$RAW"
if [ -n "$out_file" ]; then
    cp "$table" "$out_file"
fi
