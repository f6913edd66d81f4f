#!/usr/bin/env bash
# The classic StatefulSet walkthrough (examples/statefulset-demo.yaml) as a kubectl transcript on
# the sim node: ordered creation seen in `get pod -w`, claims bound to the smallest fitting
# static volume, scaling in order, a reverse-ordinal rolling update followed with `rollout
# status`, a partitioned canary then partition 0, `rollout history` and `rollout undo`, and a
# scale down and up that keeps and reuses the claims.
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

NSP=sts
# static volumes, as on a cluster without a default StorageClass
start_server --runtime sim --no-default-storage-class || { not_ok "server starts"; exit 1; }
ok "server starts"
DEMO=$E2E_ROOT/examples/statefulset-demo.yaml
S=statefulset-demo

k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: sts
EOF
W=$E2E_TMP/pods.watch
kn get pod -w >"$W" 2>&1 &
WPID=$!
sleep 0.5
check_out "apply the walkthrough" "statefulset.apps/$S created" k apply -f "$DEMO"
expect "both replicas become ready" 90 ready_is $S 2
kill $WPID 2>/dev/null
wait $WPID 2>/dev/null || true

# -1 appears only after -0 runs ready (the watch prints READY as 1/1)
first0=$(grep -nE "^$S-0 +1/1 +Running" "$W" | head -1 | cut -d: -f1)
first1=$(grep -nE "^$S-1 " "$W" | head -1 | cut -d: -f1)
if [ -n "$first0" ] && [ -n "$first1" ] && [ "$first1" -gt "$first0" ]; then
    ok "get pod -w shows $S-0 Running 1/1 before $S-1 appears"
else
    not_ok "ordered creation in get pod -w"
    diag <"$W"
fi
check_out "get pods lists both, Running" "^$S-1 +1/1 +Running" kn get pods
check_out "each pod has its claim" "^myappdata-$S-1 +Bound" kn get pvc
check_out "claims bind the smallest fitting volumes, the 1Gi one stays Available" \
    '^pv005 +1Gi +RWO,RWX +Retain +Available' k get pv
check_out "hostname is the pod name" "^$S-0$" jp pod $S-0 .spec.hostname
check_out "subdomain is the service" "^myapp-svc$" jp pod $S-0 .spec.subdomain
check_out "pod-name label" "^$S-1$" jp pod $S-1 '.metadata.labels.statefulset\.kubernetes\.io/pod-name'
check_out "pod-index label" "^1$" jp pod $S-1 '.metadata.labels.apps\.kubernetes\.io/pod-index'

# scale up: in order
check_out "scale up to 4" "scaled" kn scale sts $S --replicas=4
expect "four replicas ready" 120 ready_is $S 4
check_out "the claims of -2 and -3 are made" "^myappdata-$S-3 +Bound" kn get pvc
PVC3_UID=$(uid_of pvc myappdata-$S-3)

# rolling update, highest ordinal first
REV1=$(jp sts $S .status.currentRevision)
watch_revisions "$E2E_TMP/rev.watch"
check_out "set image" "image updated" kn set image sts/$S myapp=ikubernetes/myapp:v2
check_out "rollout status waits for the update" "partitioned roll out complete|roll out complete" \
    kn rollout status sts/$S --timeout=180s
watch_stop
REV2=$(jp sts $S .status.updateRevision)
[ "$REV1" != "$REV2" ] && ok "a new revision ($REV2)" || not_ok "a new revision"
order=$(first_at "$E2E_TMP/rev.watch" "$REV2")
[ "$order" = "$S-3 $S-2 $S-1 $S-0" ] && ok "pods updated in reverse ordinal order" ||
    { not_ok "reverse ordinal update (got: $order)"; diag <"$E2E_TMP/rev.watch"; }
expect "currentRevision promoted" 30 rolled_out $S 4
check_out "pods run the new image" "^ikubernetes/myapp:v2$" jp pod $S-0 '.spec.containers[0].image'

# canary: partition 3 updates only -3
check_out "partition 3" "patched" \
    kn patch sts $S -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":3}}}}'
check_out "set image v3" "image updated" kn set image sts/$S myapp=ikubernetes/myapp:v3
canary() { [ "$(rev_of $S-3)" = "$(jp sts $S .status.updateRevision)" ] && ready_is $S 4; }
expect "the canary $S-3 is updated" 120 canary
REV3=$(jp sts $S .status.updateRevision)
sleep 2
[ "$(rev_of $S-2)" = "$REV2" ] && [ "$(rev_of $S-0)" = "$REV2" ] && ok "pods below the partition keep the old revision" ||
    not_ok "pods below the partition keep the old revision"
[ "$(jp sts $S .status.currentRevision)" = "$REV2" ] && ok "currentRevision stays during the canary" ||
    not_ok "currentRevision stays during the canary"
check_out "rollout status reports the partitioned roll out" "partitioned roll out complete" \
    kn rollout status sts/$S --timeout=60s
check_out "partition 0" "patched" \
    kn patch sts $S -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'
check_out "rollout status after partition 0" "roll out complete" kn rollout status sts/$S --timeout=180s
expect "every pod at the canary's revision" 60 rolled_out $S 4
[ "$(rev_of $S-0)" = "$REV3" ] && ok "$S-0 runs $REV3" || not_ok "$S-0 runs $REV3"

# history and undo
check_out "rollout history lists the revisions" '^3 ' kn rollout history sts/$S
grep -qE '^1 ' <<<"$OUT" && grep -qE '^2 ' <<<"$OUT" && ok "rollout history has revisions 1 and 2" ||
    { not_ok "rollout history has revisions 1 and 2"; diag <<<"$OUT"; }
check_out "rollout history --revision shows the template" 'ikubernetes/myapp:v2' \
    kn rollout history sts/$S --revision=2
NCR=$(kn get controllerrevisions --no-headers | wc -l)
check_out "rollout undo" "rolled back" kn rollout undo sts/$S
expect "undo rolls the pods back" 180 rolled_out $S 4
[ "$(jp sts $S .status.currentRevision)" = "$REV2" ] && ok "undo is detected as a rollback to $REV2" ||
    not_ok "undo reuses revision $REV2 (got $(jp sts $S .status.currentRevision))"
[ "$(kn get controllerrevisions --no-headers | wc -l)" = "$NCR" ] && ok "no new ControllerRevision for a rollback" ||
    not_ok "no new ControllerRevision for a rollback"
check_out "the rolled back revision is renumbered as the newest" '^4$' \
    jp controllerrevision "$REV2" .revision

# scale down keeps the claims, scale up reuses them
check_out "scale down to 2" "scaled" kn scale sts $S --replicas=2
expect "two pods left" 120 pods_are $S "$S-0 $S-1"
check_out "the claims of -2 and -3 stay Bound" "^myappdata-$S-3 +Bound" kn get pvc
check_out "scale up to 4" "scaled" kn scale sts $S --replicas=4
expect "four replicas ready again" 120 ready_is $S 4
[ "$(uid_of pvc myappdata-$S-3)" = "$PVC3_UID" ] && ok "$S-3 reuses its claim" || not_ok "$S-3 reuses its claim"
check_out "get sts shows READY 4/4" "^$S +4/4 " kn get sts
