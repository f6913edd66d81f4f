#!/usr/bin/env bash
# The eight StatefulSet conformance tests of upstream's test/e2e/apps/statefulset.go
# (STATEFULSET.md §2 #5, #6, #10, #11, #12, #13, #14, #15) with real kubectl on the sim node.
# Readiness is broken and repaired with the sim annotation sim.berth.io/ready, pod failure with
# sim.berth.io/fail.
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

sts_server || { not_ok "server starts"; exit 1; }
ok "server starts"

unready() { kn annotate pod "$@" sim.berth.io/ready=false --overwrite >/dev/null; }
ready() { kn annotate pod "$@" sim.berth.io/ready- >/dev/null; }

# --- #5 rolling updates and roll backs of template modifications ---
sts_apply ss 3 >/dev/null
expect "#5: 3 replicas ready" 90 ready_is ss 3
R1=$(jp sts ss .status.currentRevision)
[ -n "$R1" ] && [ "$R1" = "$(jp sts ss .status.updateRevision)" ] &&
    ok "#5: currentRevision == updateRevision on create" || not_ok "#5: revisions on create"
[ "$(rev_of ss-0)" = "$R1" ] && [ "$(rev_of ss-2)" = "$R1" ] && ok "#5: pods labelled with the revision" ||
    not_ok "#5: pods labelled with the revision"
watch_revisions "$E2E_TMP/r5.watch"
kn set image sts/ss web=registry.example/web:v2 >/dev/null
expect "#5: the update completes" 180 rolled_out ss 3
watch_stop
R2=$(jp sts ss .status.updateRevision)
[ "$R2" != "$R1" ] && ok "#5: image change makes a new updateRevision" || not_ok "#5: new updateRevision"
order=$(first_at "$E2E_TMP/r5.watch" "$R2")
[ "$order" = "ss-2 ss-1 ss-0" ] && ok "#5: pods update in reverse ordinal order" ||
    { not_ok "#5: reverse order (got $order)"; diag <"$E2E_TMP/r5.watch"; }
[ "$(jp pod ss-1 '.spec.containers[0].image')" = "registry.example/web:v2" ] &&
    ok "#5: pods run the new image" || not_ok "#5: pods run the new image"
watch_revisions "$E2E_TMP/r5b.watch"
kn set image sts/ss web=registry.example/web:v1 >/dev/null
expect "#5: the roll back completes" 180 rolled_out ss 3
watch_stop
[ "$(jp sts ss .status.updateRevision)" = "$R1" ] && ok "#5: reverting is detected as a rollback (old revision reused)" ||
    not_ok "#5: rollback reuses $R1 (got $(jp sts ss .status.updateRevision))"
order=$(first_at "$E2E_TMP/r5b.watch" "$R1")
[ "$order" = "ss-2 ss-1 ss-0" ] && ok "#5: pods roll back in reverse ordinal order" ||
    { not_ok "#5: reverse rollback (got $order)"; diag <"$E2E_TMP/r5b.watch"; }
kn delete sts ss --wait=false >/dev/null
expect "#5: set deleted, pods gone" 60 pods_are ss ""

# --- #6 canary and phased rolling updates ---
sts_apply cn 3 '  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 3' >/dev/null
expect "#6: 3 replicas ready" 90 ready_is cn 3
C1=$(jp sts cn .status.currentRevision)
kn set image sts/cn web=registry.example/web:v2 >/dev/null
updrev_moved() { [ "$(jp sts cn .status.updateRevision)" != "$C1" ]; }
expect "#6: partition 3 records the update revision" 30 updrev_moved
C2=$(jp sts cn .status.updateRevision)
sleep 3
[ "$(rev_of cn-0)$(rev_of cn-1)$(rev_of cn-2)" = "$C1$C1$C1" ] && ok "#6: partition 3 of 3 changes no pod" ||
    not_ok "#6: partition 3 of 3 changes no pod"
kn patch sts cn -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}' >/dev/null
canary_done() { [ "$(rev_of cn-2)" = "$C2" ] && ready_is cn 3; }
expect "#6: partition 2 updates the canary cn-2" 120 canary_done
[ "$(rev_of cn-1)$(rev_of cn-0)" = "$C1$C1" ] && ok "#6: cn-0 and cn-1 keep the current revision" ||
    not_ok "#6: below the partition unchanged"
kn delete pod cn-0 cn-2 --wait=false >/dev/null
back() { [ "$(rev_of cn-0)" = "$C1" ] && [ "$(rev_of cn-2)" = "$C2" ] && ready_is cn 3; }
expect "#6: deleted pods come back at their correct revisions" 120 back
kn patch sts cn -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}' >/dev/null
phase1() { [ "$(rev_of cn-1)" = "$C2" ] && ready_is cn 3; }
expect "#6: partition 1 updates cn-1" 120 phase1
kn patch sts cn -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}' >/dev/null
expect "#6: partition 0 completes the update" 120 rolled_out cn 3
[ "$(jp sts cn .status.currentRevision)" = "$C2" ] && ok "#6: currentRevision promoted" ||
    not_ok "#6: currentRevision promoted"
kn delete sts cn --wait=false >/dev/null

# --- #10 predictable order, halting on an unhealthy pod ---
W10=$E2E_TMP/w10.watch
kn get pods -w --no-headers -o custom-columns=NAME:.metadata.name >"$W10" 2>/dev/null &
WP=$!
sleep 0.5
sts_apply od 1 >/dev/null
expect "#10: od-0 ready" 60 ready_is od 1
unready od-0
notready0() { [ "$(jp sts od .status.readyReplicas)" = "0" ] || [ -z "$(jp sts od .status.readyReplicas)" ]; }
expect "#10: od-0 unready" 30 notready0
kn scale sts od --replicas=3 >/dev/null
sleep 10
pods_are od "od-0" && ok "#10: scale up halts while od-0 is unhealthy" ||
    not_ok "#10: scale up halts (pods: $(pods_of od))"
ready od-0
expect "#10: after repair, 3 ready" 120 ready_is od 3
kill $WP 2>/dev/null
wait $WP 2>/dev/null || true
created=$(awk '!seen[$1]++ && $1 ~ /^od-/ { print $1 }' "$W10" | tr '\n' ' ' | sed 's/ $//')
[ "$created" = "od-0 od-1 od-2" ] && ok "#10: creation order od-0, od-1, od-2" ||
    { not_ok "#10: creation order (got $created)"; diag <"$W10"; }
unready od-0 od-1 od-2
none_ready() { [ -z "$(jp sts od .status.readyReplicas)" ] || [ "$(jp sts od .status.readyReplicas)" = 0 ]; }
expect "#10: all unready" 30 none_ready
kn scale sts od --replicas=0 >/dev/null
sleep 10
pods_are od "od-0 od-1 od-2" && ok "#10: scale down halts while pods are unhealthy" ||
    not_ok "#10: scale down halts (pods: $(pods_of od))"
# the remaining pods are always a prefix od-0..od-k: deletion goes od-2, od-1, od-0
ready od-0 od-1 od-2
prefix_ok=1
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
    cur=$(pods_of od)
    case "$cur" in "" | "od-0" | "od-0 od-1" | "od-0 od-1 od-2") ;; *) prefix_ok=0 ;; esac
    [ -z "$cur" ] && break
    sleep 0.2
done
[ -z "$(pods_of od)" ] && [ $prefix_ok = 1 ] && ok "#10: scale down in order od-2, od-1, od-0" ||
    not_ok "#10: ordered scale down (left: $(pods_of od), prefix kept: $prefix_ok)"
kn delete sts od --wait=false >/dev/null

# --- #11 burst scaling with unhealthy pods ---
sts_apply bu 1 '  podManagementPolicy: Parallel' '      annotations:
        sim.berth.io/ready: "false"' >/dev/null
kn scale sts bu --replicas=3 >/dev/null
expect "#11: Parallel scale up reaches 3 pods with all unready" 60 pods_are bu "bu-0 bu-1 bu-2"
none_ready_bu() { [ -z "$(jp sts bu .status.readyReplicas)" ] || [ "$(jp sts bu .status.readyReplicas)" = 0 ]; }
none_ready_bu && ok "#11: none of them ready" || not_ok "#11: none of them ready"
kn scale sts bu --replicas=0 >/dev/null
expect "#11: Parallel scale down reaches 0 pods" 60 pods_are bu ""
zero_replicas() { [ "$(jp sts bu .status.replicas)" = 0 ]; }
expect "#11: status.replicas is 0" 30 zero_replicas
kn delete sts bu --wait=false >/dev/null

# --- #12 recreate an evicted (failed) pod ---
sts_apply ev 1 >/dev/null
expect "#12: ev-0 ready" 60 ready_is ev 1
U0=$(uid_of pod ev-0)
kn annotate pod ev-0 sim.berth.io/fail=true >/dev/null
new_uid_running() {
    local u
    u=$(uid_of pod ev-0)
    [ -n "$u" ] && [ "$u" != "$U0" ] && [ "$(jp pod ev-0 .status.phase)" = Running ]
}
expect "#12: the failed pod is deleted and ev-0 recreated Running with a new UID" 90 new_uid_running
check_out "#12: the deletion is an event" "delete Pod ev-0 in StatefulSet ev successful" \
    kn get events --field-selector involvedObject.name=ev
kn delete sts ev --wait=false >/dev/null

# --- #13 the scale subresource ---
sts_apply sc 1 >/dev/null
check_out "#13: GetScale: spec.replicas 1" '"replicas":1' \
    k get --raw "/apis/apps/v1/namespaces/$NSP/statefulsets/sc/scale"
expect "#13: status replicas 1" 60 ready_is sc 1
check_out "#13: GetScale: status.replicas 1" '"status":\{"replicas":1' \
    k get --raw "/apis/apps/v1/namespaces/$NSP/statefulsets/sc/scale"
check_out "#13: UpdateScale to 2" "scaled" kn scale sts sc --replicas=2
check_out "#13: spec.replicas is 2" '^2$' jp sts sc .spec.replicas
check_out "#13: patch /scale to 4" "patched" \
    kn patch sts sc --subresource=scale -p '{"spec":{"replicas":4}}'
check_out "#13: spec.replicas is 4" '^4$' jp sts sc .spec.replicas
kn delete sts sc --wait=false >/dev/null

# --- #14 list, patch and delete a collection ---
sts_apply co 1 >/dev/null
check_out "#14: patch labels" "patched" kn patch sts co -p '{"metadata":{"labels":{"e2e":"patched"}}}'
check_out "#14: patch replicas and image" "patched" kn patch sts co --type merge \
    -p '{"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:v9"}]}}}}'
check_out "#14: list across namespaces by label" "^$NSP +co " k get sts -A -l e2e=patched
check_out "#14: delete the collection by label" 'deleted' kn delete sts -l e2e=patched
check_out "#14: nothing left with the label" 'No resources found' k get sts -A -l e2e=patched

# --- #15 status endpoints ---
sts_apply st 1 >/dev/null
expect "#15: st ready" 60 ready_is st 1
check_out "#15: GET /status" '"kind":"StatefulSet"' \
    k get --raw "/apis/apps/v1/namespaces/$NSP/statefulsets/st/status"
W15=$E2E_TMP/w15.watch
kn get sts st -w -o json >"$W15" 2>&1 &
WP=$!
sleep 0.5
api GET "/apis/apps/v1/namespaces/$NSP/statefulsets/st/status" >"$E2E_TMP/st.json"
python3 - "$E2E_TMP/st.json" >"$E2E_TMP/st2.json" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
o.setdefault("status", {}).setdefault("conditions", []).append(
    {"type": "StatusUpdate", "status": "True", "reason": "E2E", "message": "Set from an e2e test"})
print(json.dumps(o))
EOF
check_out "#15: UpdateStatus appends a condition" '"StatusUpdate"' \
    api PUT "/apis/apps/v1/namespaces/$NSP/statefulsets/st/status" \
    -H 'Content-Type: application/json' --data-binary @"$E2E_TMP/st2.json"
check_out "#15: merge patch of the status conditions" "patched" kn patch sts st --subresource=status \
    --type merge -p '{"status":{"conditions":[{"type":"StatusPatched","status":"True"}]}}'
seen() { grep -q StatusUpdate "$W15" && grep -q StatusPatched "$W15"; }
expect "#15: both are seen on a watch" 10 seen
kill $WP 2>/dev/null
wait $WP 2>/dev/null || true
