#!/usr/bin/env bash
# API semantics a controller relies on: generateName, no-op writes, generation, byte-exact
# annotations, finalizers, graceful pod deletion, propagationPolicy, delete preconditions,
# status and scale subresources, binding, ClusterIP allocation, deletecollection.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts"
k create namespace s >/dev/null
jp() { k get "$@"; }

# generateName
out=$(api POST /api/v1/namespaces/s/configmaps -H 'Content-Type: application/json' \
    -d '{"metadata":{"generateName":"gen-"},"data":{"a":"b"}}')
grep -qE '"name":"gen-[bcdfghjklmnpqrstvwxz2456789]{5}"' <<<"$out" && ok "generateName makes a unique name" || { not_ok "generateName"; diag <<<"$out"; }

# No-op writes: same resourceVersion, no event.
k create configmap noop -n s --from-literal=a=b >/dev/null
RV1=$(jp configmap noop -n s -o jsonpath='{.metadata.resourceVersion}')
k patch configmap noop -n s -p '{"data":{"a":"b"}}' >/dev/null
k apply -f - >/dev/null 2>&1 <<EOF2
apiVersion: v1
kind: ConfigMap
metadata: {name: noop, namespace: s}
data: {a: b}
EOF2
RV2=$(jp configmap noop -n s -o jsonpath='{.metadata.resourceVersion}')
k annotate configmap noop -n s kubectl.kubernetes.io/last-applied-configuration- >/dev/null 2>&1
RV2=$(jp configmap noop -n s -o jsonpath='{.metadata.resourceVersion}')
out=$(api PUT /api/v1/namespaces/s/configmaps/noop -H 'Content-Type: application/json' \
    -d "$(jp configmap noop -n s -o json)")
RV3=$(jp configmap noop -n s -o jsonpath='{.metadata.resourceVersion}')
[ "$RV2" = "$RV3" ] && ok "a PUT that changes nothing keeps the resourceVersion" || not_ok "no-op PUT ($RV2 -> $RV3)"
[ -n "$RV1" ] && ok "objects carry a resourceVersion" || not_ok "resourceVersion"

# Annotations byte-exact (including JSON text, unicode and trailing newline).
ANN=$'{"a":  1,\n "b":"\\u00e9<>&"}\n'
api PATCH /api/v1/namespaces/s/configmaps/noop -H 'Content-Type: application/merge-patch+json' \
    --data-binary "$(jq -n --arg v "$ANN" '{metadata:{annotations:{x:$v}}}')" >/dev/null
got=$(api GET /api/v1/namespaces/s/configmaps/noop | jq -r '.metadata.annotations.x'; echo .)
[ "${got%.}" = "$ANN"$'\n' ] && ok "annotations are kept byte-exact" || { not_ok "annotations byte-exact"; printf '%q\n' "$got" | diag; }

# generation: bumped by spec changes only
cat >"$E2E_TMP/sts.yaml" <<'EOF2'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: g, namespace: s}
spec:
  replicas: 1
  serviceName: g
  selector: {matchLabels: {app: g}}
  template:
    metadata: {labels: {app: g}}
    spec: {containers: [{name: c, image: busybox:1.36}]}
EOF2
k apply -f "$E2E_TMP/sts.yaml" >/dev/null
check_out "generation starts at 1" '^1$' jp sts g -n s -o jsonpath='{.metadata.generation}'
k label sts g -n s x=y >/dev/null
check_out "a label change keeps the generation" '^1$' jp sts g -n s -o jsonpath='{.metadata.generation}'
k scale sts g -n s --replicas=2 >/dev/null
check_out "a spec change bumps the generation" '^2$' jp sts g -n s -o jsonpath='{.metadata.generation}'
out=$(api PUT /apis/apps/v1/namespaces/s/statefulsets/g/status -H 'Content-Type: application/json' \
    -d "$(jp sts g -n s -o json | jq '.status={"replicas":0,"observedGeneration":2} | .spec.replicas=9')")
check_out "status writes leave the spec alone" '^2$' jp sts g -n s -o jsonpath='{.spec.replicas}'
check_out "status writes change the status" '^2$' jp sts g -n s -o jsonpath='{.status.observedGeneration}'
check_out "status writes keep the generation" '^2$' jp sts g -n s -o jsonpath='{.metadata.generation}'
out=$(api PUT /apis/apps/v1/namespaces/s/statefulsets/g -H 'Content-Type: application/json' \
    -d "$(jp sts g -n s -o json | jq '.status={"replicas":7}')")
check_out "main-resource writes cannot change the status" '^2$' jp sts g -n s -o jsonpath='{.status.observedGeneration}'

# scale subresource
out=$(api GET /apis/apps/v1/namespaces/s/statefulsets/g/scale)
grep -q '"kind":"Scale","apiVersion":"autoscaling/v1"' <<<"$out" && grep -q '"selector":"app=g"' <<<"$out" && ok "GET scale gives an autoscaling/v1 Scale with the selector" || { not_ok "scale GET"; diag <<<"$out"; }
out=$(api PUT /apis/apps/v1/namespaces/s/statefulsets/g/scale -H 'Content-Type: application/json' \
    -d "$(jq '.spec.replicas=3' <<<"$out")")
check_out "PUT scale sets replicas" '^3$' jp sts g -n s -o jsonpath='{.spec.replicas}'
check_fail "scale with a stale resourceVersion" 'Expected resource version to be 1, was' k scale sts g -n s --replicas=4 --resource-version=1

# Finalizers: deletion waits for them.
k create configmap fin -n s >/dev/null
k patch configmap fin -n s --type merge -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null
check_out "delete of an object with finalizers returns at once (no wait)" 'deleted' k delete configmap fin -n s --wait=false
check_out "it stays, with a deletionTimestamp" '^.+Z$' jp configmap fin -n s -o jsonpath='{.metadata.deletionTimestamp}'
check_fail "no new finalizers while terminating... but removal deletes it" 'NotFound' \
    sh -c "kubectl patch configmap fin -n s --type merge -p '{\"metadata\":{\"finalizers\":null}}' >/dev/null; kubectl get configmap fin -n s"

# propagationPolicy recorded as the GC finalizers
k create configmap orph -n s >/dev/null
k delete configmap orph -n s --cascade=orphan --wait=false >/dev/null
check_out "--cascade=orphan records the orphan finalizer" 'orphan' jp configmap orph -n s -o jsonpath='{.metadata.finalizers}'
k create configmap fg -n s >/dev/null
k delete configmap fg -n s --cascade=foreground --wait=false >/dev/null
check_out "--cascade=foreground records foregroundDeletion" 'foregroundDeletion' jp configmap fg -n s -o jsonpath='{.metadata.finalizers}'

# Preconditions on delete
k create configmap pre -n s >/dev/null
out=$(api DELETE /api/v1/namespaces/s/configmaps/pre -H 'Content-Type: application/json' \
    -d '{"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}')
grep -q '"code":409' <<<"$out" && grep -q 'Precondition failed: UID in precondition' <<<"$out" && ok "a UID precondition that does not hold is a 409" || { not_ok "uid precondition"; diag <<<"$out"; }
UID_=$(jp configmap pre -n s -o jsonpath='{.metadata.uid}')
out=$(api DELETE /api/v1/namespaces/s/configmaps/pre -H 'Content-Type: application/json' \
    -d "{\"preconditions\":{\"uid\":\"$UID_\"}}")
grep -q '"status":"Success"' <<<"$out" && ok "a UID precondition that holds deletes" || { not_ok "uid precondition holds"; diag <<<"$out"; }

# Graceful pod deletion: a scheduled pod is marked, not removed; grace 0 removes it.
k run p --image=busybox:1.36 -n s --restart=Never >/dev/null
out=$(api POST /api/v1/namespaces/s/pods/p/binding -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}}')
check_out "binding assigns the node" '^n1$' jp pod p -n s -o jsonpath='{.spec.nodeName}'
out=$(api POST /api/v1/namespaces/s/pods/p/binding -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n2"}}')
grep -q '"code":409' <<<"$out" && ok "a second binding is a conflict" || { not_ok "second binding"; diag <<<"$out"; }
k delete pod p -n s --wait=false >/dev/null
check_out "a scheduled pod is deleted gracefully (30 s)" '^30$' jp pod p -n s -o jsonpath='{.metadata.deletionGracePeriodSeconds}'
check_out "and shows Terminating" 'Terminating' jp pod p -n s
k delete pod p -n s --grace-period=0 --force >/dev/null 2>&1
check_fail "grace 0 removes it" 'NotFound' jp pod p -n s
k run q --image=busybox:1.36 -n s --restart=Never >/dev/null
k delete pod q -n s --wait=false >/dev/null
check_fail "an unscheduled pod is deleted at once" 'NotFound' jp pod q -n s

# Services: ClusterIP allocation; headless stays None.
k create service clusterip one -n s --tcp=80:8080 >/dev/null
check_out "a ClusterIP is allocated from 10.43.0.0/16" '^10\.43\.[0-9]+\.[0-9]+$' jp svc one -n s -o jsonpath='{.spec.clusterIP}'
k create service clusterip two -n s --tcp=80:8080 >/dev/null
[ "$(jp svc one -n s -o jsonpath='{.spec.clusterIP}')" != "$(jp svc two -n s -o jsonpath='{.spec.clusterIP}')" ] && ok "each service gets its own IP" || not_ok "distinct IPs"
k create service clusterip hl -n s --clusterip=None >/dev/null
check_out "a headless service keeps None" '^None$' jp svc hl -n s -o jsonpath='{.spec.clusterIP}'
IP=$(jp svc one -n s -o jsonpath='{.spec.clusterIP}')
check_fail "a taken ClusterIP is refused" 'provided IP is already allocated' k create service clusterip three -n s --tcp=80 --clusterip="$IP"
k replace -f <(jp svc one -n s -o json | jq 'del(.spec.clusterIP, .spec.clusterIPs, .metadata.resourceVersion)') >/dev/null
check_out "an update that leaves out the ClusterIP keeps it" "^$IP\$" jp svc one -n s -o jsonpath='{.spec.clusterIP}'
k delete svc one -n s >/dev/null
k create service clusterip four -n s --tcp=80 --clusterip="$IP" >/dev/null
check_out "a released ClusterIP can be taken again" "^$IP\$" jp svc four -n s -o jsonpath='{.spec.clusterIP}'

# deletecollection by label
for i in 1 2 3; do k create configmap dc$i -n s >/dev/null; k label configmap dc$i -n s batch=x >/dev/null; done
out=$(api DELETE "/api/v1/namespaces/s/configmaps?labelSelector=batch%3Dx")
check_out "deletecollection deletes what the selector selects" '^$' jp configmaps -n s -l batch=x -o name

# Namespaces: Terminating on delete; the built-in ones cannot be deleted.
check_fail "default cannot be deleted" 'forbidden: this namespace may not be deleted' k delete namespace default
k create namespace gone >/dev/null
k delete namespace gone --wait=false >/dev/null
check_out "a deleted namespace is Terminating" 'Terminating' jp namespace gone
check_fail "no new content in a terminating namespace" 'because it is being terminated' k create configmap x -n gone
