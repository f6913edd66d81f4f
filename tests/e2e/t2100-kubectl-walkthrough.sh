#!/usr/bin/env bash
# The kubectl commands of KUBECTL.md that need no controller or node, against a fresh server,
# asserting what kubectl prints.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts"
DEMO=$E2E_ROOT/examples/statefulset-demo.yaml

check_out "apply creates the namespace" '^namespace/sts created' k apply -f "$DEMO"
grep -q '^service/myapp-svc created' <<<"$OUT" && ok "apply creates the headless service" || not_ok "apply creates the headless service"
grep -q '^statefulset.apps/statefulset-demo created' <<<"$OUT" && ok "apply creates the statefulset" || not_ok "apply creates the statefulset"
[ "$(grep -c '^persistentvolume/pv00[1-5] created' <<<"$OUT")" = 5 ] && ok "apply creates five PVs" || not_ok "apply creates five PVs"

check_out "re-apply of an unchanged manifest changes nothing" 'namespace/sts unchanged' k apply -f "$DEMO"

check_out "get sts shows READY and AGE" '^statefulset-demo +0/2 +[0-9]+s$' k get sts -n sts
check_out "get sts -o wide shows containers and images" \
    'statefulset-demo +0/2 +[0-9]+s +myapp +ikubernetes/myapp:v1' k get sts -n sts -o wide
check_out "get svc shows a headless service" '^myapp-svc +ClusterIP +None +<none> +80/TCP +' k get svc -n sts
check_out "get pv shows capacity, modes and reclaim policy" \
    '^pv005 +1Gi +RWO,RWX +Retain +' k get pv
check_out "get pod in an empty namespace" 'No resources found in sts namespace.' k get pod -n sts
check_out "get all lists the service" '^service/myapp-svc +ClusterIP +None' k get all -n sts
grep -qE '^statefulset.apps/statefulset-demo +0/2' <<<"$OUT" && ok "get all lists the statefulset" || not_ok "get all lists the statefulset"
check_out "get ns shows Active namespaces" '^sts +Active +[0-9]+s' k get ns
check_out "get -o yaml round-trips the claim template" 'storage: 2Gi' k get sts statefulset-demo -n sts -o yaml
check_out "defaults are applied (podManagementPolicy)" '^OrderedReady$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.podManagementPolicy}'
check_out "defaults are applied (revisionHistoryLimit)" '^10$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.revisionHistoryLimit}'
check_out "get -A shows namespaces" '^sts +statefulset-demo' k get sts -A
check_out "--show-labels shows labels" 'app=myapp-svc' k get svc -n sts --show-labels

# get -w sees a change
WATCH_OUT=$E2E_TMP/watch.out
k get sts -n sts -w >"$WATCH_OUT" 2>&1 &
WPID=$!
eventually 10 grep -q 'statefulset-demo' "$WATCH_OUT"
check_out "scale" '^statefulset.apps/statefulset-demo scaled$' k scale --replicas=4 sts statefulset-demo -n sts
if eventually 10 grep -qE 'statefulset-demo +0/4' "$WATCH_OUT"; then ok "get -w sees the scale"; else
    not_ok "get -w sees the scale"; diag <"$WATCH_OUT"; fi
kill $WPID 2>/dev/null; wait $WPID 2>/dev/null
[ "$(grep -c 'statefulset-demo' "$WATCH_OUT")" = 2 ] && ok "get -w prints the initial row once" || { not_ok "get -w prints the initial row once"; diag <"$WATCH_OUT"; }
check_out "scale sets spec.replicas" '^4$' k get sts statefulset-demo -n sts -o jsonpath='{.spec.replicas}'
check_out "generation counts spec changes" '^2$' k get sts statefulset-demo -n sts -o jsonpath='{.metadata.generation}'

check_out "set image" '^statefulset.apps/statefulset-demo image updated$' \
    k set image sts/statefulset-demo myapp=ikubernetes/myapp:v2 -n sts
check_out "set image changed the template" '^ikubernetes/myapp:v2$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.template.spec.containers[0].image}'

check_out "patch (strategic merge)" '^statefulset.apps/statefulset-demo patched$' \
    k patch sts statefulset-demo -n sts -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":3}}}}'
check_out "partition is 3" '^3$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.updateStrategy.rollingUpdate.partition}'
check_out "patch (merge)" '^statefulset.apps/statefulset-demo patched$' \
    k patch sts statefulset-demo -n sts --type merge -p '{"spec":{"minReadySeconds":5}}'
check_out "merge patch applied" '^5$' k get sts statefulset-demo -n sts -o jsonpath='{.spec.minReadySeconds}'
check_out "patch (JSON)" '^statefulset.apps/statefulset-demo patched$' \
    k patch sts statefulset-demo -n sts --type json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
check_out "JSON patch applied" '^3$' k get sts statefulset-demo -n sts -o jsonpath='{.spec.replicas}'
check_out "a patch that changes nothing" 'patched \(no change\)' \
    k patch sts statefulset-demo -n sts -p '{"spec":{"replicas":3}}'

check_out "edit through EDITOR" '^statefulset.apps/statefulset-demo edited$' \
    env EDITOR='sed -i s/partition:\ 3/partition:\ 0/' kubectl edit sts/statefulset-demo -n sts
check_out "edit applied" '^0$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.updateStrategy.rollingUpdate.partition}'

check_out "describe names the set" '^Name: +statefulset-demo$' k describe sts statefulset-demo -n sts
grep -qE '^Replicas: +3 desired \| 0 total$' <<<"$OUT" && ok "describe shows replicas" || { not_ok "describe shows replicas"; diag <<<"$OUT"; }
grep -qE '^Update Strategy: +RollingUpdate$' <<<"$OUT" && ok "describe shows the update strategy" || not_ok "describe shows the update strategy"
grep -qE 'Name: +myappdata' <<<"$OUT" && ok "describe shows the claim template" || not_ok "describe shows the claim template"

check_out "explain a leaf field" '^FIELD: +partition <integer>' \
    k explain sts.spec.updateStrategy.rollingUpdate.partition
check_out "explain a pod field" 'FIELD: +image <string>' k explain pods.spec.containers.image

check_fail "create of an existing object" \
    'Error from server \(AlreadyExists\): error when creating ".*statefulset-demo.yaml": namespaces "sts" already exists' \
    k create -f "$DEMO"
check_fail "an invalid partition is refused with the upstream message" \
    'The StatefulSet "statefulset-demo" is invalid: spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0' \
    k patch sts statefulset-demo -n sts -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":-1}}}}'
check_out "the refused patch changed nothing" '^0$' \
    k get sts statefulset-demo -n sts -o jsonpath='{.spec.updateStrategy.rollingUpdate.partition}'
check_fail "immutable fields are forbidden" \
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" \
    k patch sts statefulset-demo -n sts -p '{"spec":{"serviceName":"other"}}'

k get sts statefulset-demo -n sts -o json >"$E2E_TMP/old.json"
k scale --replicas=2 sts statefulset-demo -n sts >/dev/null
check_fail "replace with a stale resourceVersion" \
    'Error from server \(Conflict\): error when replacing ".*old.json": Operation cannot be fulfilled on statefulsets.apps "statefulset-demo": the object has been modified; please apply your changes to the latest version and try again' \
    k replace -f "$E2E_TMP/old.json"

check_fail "an unauthenticated request" \
    '^error: You must be logged in to the server \(Unauthorized\)$' \
    k --token=not-the-token get pods -n sts

check_fail "get of a missing object" 'Error from server \(NotFound\): statefulsets.apps "nope" not found' \
    k get sts nope -n sts
cat >"$E2E_TMP/nons.yaml" <<'EOF2'
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: nons
EOF2
check_fail "apply into a missing namespace" \
    'Error from server \(NotFound\): error when creating ".*nons.yaml": namespaces "nons" not found' \
    k apply -f "$E2E_TMP/nons.yaml"

check_out "delete" '^statefulset.apps "statefulset-demo" deleted$' k delete sts statefulset-demo -n sts
check_fail "the deleted set is gone" 'NotFound' k get sts statefulset-demo -n sts
check_out "delete pv" '^persistentvolume "pv005" deleted$' k delete pv pv005 --wait=false
check_out "a PV keeps its protection finalizer until the controller releases it" \
    '^pv005 +1Gi +RWO,RWX +Retain +Terminating' k get pv pv005
