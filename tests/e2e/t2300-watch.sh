#!/usr/bin/env bash
# Watch semantics: resume from a resourceVersion, initial state without one, selectors and
# their transitions, bookmarks, timeoutSeconds, and 410 Expired for a compacted revision.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers --watch-cache-size 16 || { not_ok "server starts"; exit 1; }
ok "server starts"
k create namespace w >/dev/null
CM=/api/v1/namespaces/w/configmaps

watch_for() { # seconds path -> output of a watch that is cut after <seconds>
    curl -sS -N --max-time "$1" --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$SERVER_URL$2" 2>/dev/null
    return 0
}
rv_of_list() { api GET "$1" | sed -n 's/.*"metadata":{"resourceVersion":"\([0-9]*\)"}.*/\1/p' | head -1; }

k create configmap a -n w --from-literal=k=1 >/dev/null
RV=$(rv_of_list "$CM")
[ -n "$RV" ] && ok "a list carries the revision it reflects ($RV)" || not_ok "a list carries its revision"
k create configmap b -n w --from-literal=k=2 >/dev/null
k label configmap a -n w tier=x >/dev/null
k delete configmap b -n w >/dev/null

out=$(watch_for 2 "$CM?watch=true&resourceVersion=$RV")
types=$(grep -o '"type":"[A-Z]*"' <<<"$out" | tr '\n' ' ')
[ "$types" = '"type":"ADDED" "type":"MODIFIED" "type":"DELETED" ' ] && ok "a watch from a revision replays exactly the later events" || { not_ok "replay from a revision"; diag <<<"$out"; }
grep -q '"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"b"' <<<"$out" && ok "events carry the full object with kind" || { not_ok "events carry the full object"; diag <<<"$out"; }

out=$(watch_for 2 "$CM?watch=true")
[ "$(grep -c '"type":"ADDED"' <<<"$out")" = 1 ] && grep -q '"name":"a"' <<<"$out" && ok "a watch without a revision starts with the current state" || { not_ok "initial state"; diag <<<"$out"; }

# Selector transitions: a label change moves an object in and out of a label-selected watch.
RV=$(rv_of_list "$CM")
k label configmap a -n w tier- >/dev/null
k label configmap a -n w tier=x >/dev/null
out=$(watch_for 2 "$CM?watch=true&labelSelector=tier%3Dx&resourceVersion=$RV")
types=$(grep -o '"type":"[A-Z]*"' <<<"$out" | tr '\n' ' ')
[ "$types" = '"type":"DELETED" "type":"ADDED" ' ] && ok "leaving and entering a selector are DELETED and ADDED" || { not_ok "selector transitions"; diag <<<"$out"; }

out=$(watch_for 2 "$CM?watch=true&fieldSelector=metadata.name%3Dnope&resourceVersion=$RV")
[ -z "$(grep '"type"' <<<"$out")" ] && ok "a field-selected watch sees nothing of other objects" || { not_ok "field selector watch"; diag <<<"$out"; }

# Live events reach a running watch.
RV=$(rv_of_list "$CM")
watch_for 3 "$CM?watch=true&resourceVersion=$RV" >"$E2E_TMP/live" &
LIVE=$!
sleep 0.5
k create configmap live -n w >/dev/null
wait $LIVE
grep -q '"name":"live"' "$E2E_TMP/live" && ok "a running watch sees a new object" || { not_ok "live events"; diag <"$E2E_TMP/live"; }

# timeoutSeconds ends the stream by itself.
start=$SECONDS
watch_for 10 "$CM?watch=true&resourceVersion=$RV&timeoutSeconds=1" >/dev/null
[ $((SECONDS - start)) -le 3 ] && ok "timeoutSeconds ends the watch" || not_ok "timeoutSeconds ends the watch"

# Bookmarks on request carry a revision; one comes two seconds before the deadline.
out=$(watch_for 5 "$CM?watch=true&resourceVersion=$RV&allowWatchBookmarks=true&timeoutSeconds=3")
grep -q '"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"' <<<"$out" && ok "bookmarks when asked for" || { not_ok "bookmarks"; diag <<<"$out"; }

# A Table watch (what kubectl get -w asks for) gets one-row tables.
out=$(curl -sS -N --max-time 2 --cacert "$CA" -H "Authorization: Bearer $TOKEN" \
    -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json' "$SERVER_URL$CM?watch=true&resourceVersion=$RV" 2>/dev/null)
grep -q '"object":{"kind":"Table","apiVersion":"meta.k8s.io/v1"' <<<"$out" && grep -q '"rows":\[{"cells":\["live"' <<<"$out" && ok "Table watches carry one-row tables" || { not_ok "table watch"; diag <<<"$out"; }

# Point watch through a name field selector while other objects change.
RV=$(rv_of_list "$CM")
k annotate configmap live -n w x=y >/dev/null
k annotate configmap a -n w x=y >/dev/null
out=$(watch_for 2 "$CM?watch=true&fieldSelector=metadata.name%3Dlive&resourceVersion=$RV")
[ "$(grep -c '"type"' <<<"$out")" = 1 ] && grep -q '"name":"live"' <<<"$out" && ok "metadata.name watches see only that object" || { not_ok "name watch"; diag <<<"$out"; }

# A revision older than the history window: 410 Expired as an ERROR event.
for i in $(seq 1 40); do k annotate configmap a -n w --overwrite n=$i >/dev/null; done
out=$(watch_for 2 "$CM?watch=true&resourceVersion=1")
grep -q '"type":"ERROR","object":{"kind":"Status".*"reason":"Expired".*"code":410' <<<"$out" && ok "a compacted revision is 410 Expired" || { not_ok "410 Expired"; diag <<<"$out"; }
