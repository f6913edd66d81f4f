#!/usr/bin/env bash
# Runs every test: the unit test binaries (build/tests/*), then the end-to-end scripts
# (tests/e2e/t*.sh) in order. Both speak TAP ("ok ..." / "not ok ..."); this script counts the
# lines and ends with "N passed, N failed". Exit status 0 only if nothing failed.
#
#   tests/run.sh                 everything
#   tests/run.sh unit            only unit tests
#   tests/run.sh e2e [PATTERN]   only end-to-end scripts whose name matches PATTERN
set -uo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
pattern=${2:-}
passed=0
failed=0
failures=()
log_dir=build/test-logs
mkdir -p "$log_dir"

tally() { # name logfile rc seconds
    local name=$1 log=$2 rc=$3 secs=$4 p f
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # crashed or timed out without reporting a failure: that is a failure too
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failures+=("$name")
        printf '%-40s %3d passed, %3d FAILED %4ds  (log: %s)\n' "$name" "$p" "$f" "$secs" "$log"
        grep '^not ok ' "$log" | head -n 20 | sed 's/^/    /'
    else
        printf '%-40s %3d passed             %4ds\n' "$name" "$p" "$secs"
    fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
    for t in build/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        log="$log_dir/$name.log"
        t0=$SECONDS
        CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 "$t" >"$log" 2>&1
        tally "$name" "$log" $? $((SECONDS - t0))
    done
fi

if [ "$what" = all ] || [ "$what" = e2e ]; then
    for t in tests/e2e/t[0-9]*.sh; do
        [ -f "$t" ] || continue
        [ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
        name=$(basename "$t" .sh)
        log="$log_dir/$name.log"
        t0=$SECONDS
        timeout 600 bash "$t" >"$log" 2>&1
        tally "$name" "$log" $? $((SECONDS - t0))
    done
fi

echo
echo "total time: ${SECONDS}s"
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
