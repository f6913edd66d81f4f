#!/usr/bin/env bash
# An acknowledged write survives kill -9: writers create ConfigMaps as fast as they can and
# record every name the server acknowledged (201); the server is killed with SIGKILL in the
# middle; after a restart every acknowledged object is there, and nothing else changed.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts"
k create namespace crash >/dev/null

writer() { # $1: id; appends acknowledged names to $E2E_TMP/acked.$1
    local i=0 code
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' -X POST "$SERVER_URL/api/v1/namespaces/crash/configmaps" \
            -d "{\"metadata\":{\"name\":\"w$1-$i\"},\"data\":{\"n\":\"$i\"}}") || return 0
        [ "$code" = 201 ] && echo "w$1-$i" >>"$E2E_TMP/acked.$1"
        [ "$code" = 000 ] && return 0
        i=$((i + 1))
    done
}
for w in 1 2 3 4; do writer $w & done
sleep 2
kill9_server
wait
cat "$E2E_TMP"/acked.* >"$E2E_TMP/acked"
N=$(wc -l <"$E2E_TMP/acked")
[ "$N" -gt 20 ] && ok "writers got $N acknowledgements before the kill" || not_ok "writers got only $N acknowledgements"

start_server --disable-controllers || { not_ok "server restarts after kill -9"; exit 1; }
ok "server restarts after kill -9"
k get configmaps -n crash -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort >"$E2E_TMP/have"
missing=$(sort "$E2E_TMP/acked" | comm -23 - "$E2E_TMP/have" | wc -l)
[ "$missing" = 0 ] && ok "every acknowledged write survived ($N)" || { not_ok "$missing acknowledged writes lost"; }
check_out "the data of a surviving object is intact" '^0$' k get configmap w1-0 -n crash -o jsonpath='{.data.n}'
check_out "writes work after the restart" 'configmap/after created' k create configmap after -n crash
