# e2e.sh — shared by the end-to-end tests (tests/e2e/t*.sh). Source it, then:
#
#   start_server [ARGS...]     start build/berth server on a free port with a fresh data dir and
#                              a fresh HOME (kubectl's discovery cache), export KUBECONFIG
#   stop_server                stop it (also done at exit)
#   k ARGS...                  kubectl with the test's kubeconfig
#   ok DESC / not_ok DESC      TAP lines
#   check DESC CMD...          ok if CMD succeeds
#   check_out DESC PATTERN CMD...      ok if CMD succeeds and its output matches PATTERN
#                                      (extended regex, searched line by line with grep -E)
#   check_fail DESC PATTERN CMD...     ok if CMD fails and its output (stdout+stderr) matches
#   eventually SECONDS CMD...  retry CMD every 0.2 s until it succeeds or SECONDS pass
#
# Output is TAP: tests/run.sh counts "ok" / "not ok" lines. Diagnostics go to stderr prefixed
# with "# ".
set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH=${BERTH:-$E2E_ROOT/build/berth}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-e2e.XXXXXX")
E2E_PID=""
_tap_n=0

cleanup() {
    stop_server
    if [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$E2E_TMP"
    else
        echo "# kept $E2E_TMP" >&2
    fi
}
trap cleanup EXIT

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }
diag() { sed 's/^/# /' >&2; }

start_server() {
    DATA=${DATA:-$E2E_TMP/data}
    export HOME=$E2E_TMP/home
    mkdir -p "$HOME"
    rm -f "$DATA/kubeconfig.yaml"
    "$BERTH" server --data-dir "$DATA" --listen 127.0.0.1:0 "$@" >>"$E2E_TMP/server.log" 2>&1 &
    E2E_PID=$!
    export KUBECONFIG=$DATA/kubeconfig.yaml
    local i
    for i in $(seq 1 200); do
        if [ -s "$KUBECONFIG" ]; then
            SERVER_URL=$(sed -n 's/^ *server: //p' "$KUBECONFIG")
            TOKEN=$(sed -n 's/^ *token: //p' "$KUBECONFIG")
            CA=$DATA/pki/ca.crt
            if curl -fsS --cacert "$CA" "$SERVER_URL/readyz" >/dev/null 2>&1; then
                return 0
            fi
        fi
        if ! kill -0 "$E2E_PID" 2>/dev/null; then
            echo "# server exited during start:" >&2
            tail -n 30 "$E2E_TMP/server.log" | diag
            return 1
        fi
        sleep 0.05
    done
    echo "# server did not become ready" >&2
    return 1
}

stop_server() {
    if [ -n "$E2E_PID" ] && kill -0 "$E2E_PID" 2>/dev/null; then
        kill "$E2E_PID" 2>/dev/null
        wait "$E2E_PID" 2>/dev/null
    fi
    E2E_PID=""
}

kill9_server() {
    if [ -n "$E2E_PID" ]; then
        kill -9 "$E2E_PID" 2>/dev/null
        wait "$E2E_PID" 2>/dev/null
    fi
    E2E_PID=""
}

k() { kubectl "$@"; }

# curl against the API with the admin token: api GET /api/v1/namespaces
api() {
    local method=$1 path=$2
    shift 2
    curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X "$method" "$SERVER_URL$path" "$@"
}

_run() { # runs "$@", output in $OUT, status in $RC
    OUT=$("$@" 2>&1)
    RC=$?
}

check() {
    local desc=$1
    shift
    _run "$@"
    if [ $RC -eq 0 ]; then ok "$desc"; else
        not_ok "$desc"
        { echo "command: $*"; echo "status: $RC"; echo "$OUT"; } | diag
    fi
}

check_out() {
    local desc=$1 pat=$2
    shift 2
    _run "$@"
    if [ $RC -eq 0 ] && grep -qE -- "$pat" <<<"$OUT"; then ok "$desc"; else
        not_ok "$desc"
        { echo "command: $*"; echo "status: $RC; wanted: $pat"; echo "$OUT"; } | diag
    fi
}

check_fail() {
    local desc=$1 pat=$2
    shift 2
    _run "$@"
    if [ $RC -ne 0 ] && grep -qE -- "$pat" <<<"$OUT"; then ok "$desc"; else
        not_ok "$desc"
        { echo "command: $*"; echo "status: $RC (wanted failure); wanted: $pat"; echo "$OUT"; } | diag
    fi
}

eventually() {
    local secs=$1
    shift
    local end=$((SECONDS + secs))
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}
