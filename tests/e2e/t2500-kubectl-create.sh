#!/usr/bin/env bash
# kubectl's imperative commands use typed clients that send request bodies as Kubernetes
# protobuf (create namespace/configmap/secret/service/serviceaccount; drain's deletes); client-go
# controllers do the same for Scale and Binding. berth decodes them and answers JSON.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts"

# exactly(DESC, WANT, CMD...): CMD succeeds and prints exactly WANT (stdout and stderr: no
# warnings either).
exactly() {
    local desc=$1 want=$2
    shift 2
    _run "$@"
    if [ $RC -eq 0 ] && [ "$OUT" = "$want" ]; then ok "$desc"; else
        not_ok "$desc"
        { echo "command: $*"; echo "status: $RC; wanted: $want"; echo "$OUT"; } | diag
    fi
}
jqget() { # jqget FILTER kubectl-get-args...
    local f=$1
    shift
    kubectl get "$@" -o json | jq -c "$f"
}

# --- create namespace ---
exactly "create namespace" "namespace/demo created" k create namespace demo
check_out "the namespace is Active" '^Active$' k get namespace demo -o jsonpath='{.status.phase}'
check_out "it carries the kubernetes.io/metadata.name label" '^demo$' \
    k get namespace demo -o jsonpath='{.metadata.labels.kubernetes\.io/metadata\.name}'
check_out "it has the kubernetes finalizer" '^\["kubernetes"\]$' jqget .spec.finalizers ns demo
check_fail "creating it twice is AlreadyExists" \
    '^Error from server \(AlreadyExists\): namespaces "demo" already exists$' \
    k create namespace demo
check_fail "a bad name is refused by validation" \
    'The Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' \
    k create namespace Bad_Name

# --- create configmap ---
exactly "create configmap" "configmap/cm1 created" \
    k create configmap cm1 -n demo --from-literal=a=b --from-literal=greeting='hello world'
check_out "its data" '^\{"a":"b","greeting":"hello world"\}$' jqget .data cm cm1 -n demo
check_out "no empty fields were stored" '^\["apiVersion","data","kind","metadata"\]$' \
    jqget keys cm cm1 -n demo
printf 'bin\0\377\001' >"$E2E_TMP/bin.dat"
exactly "create configmap with a binary file" "configmap/cm2 created" \
    k create configmap cm2 -n demo --from-file=bin.dat="$E2E_TMP/bin.dat" --from-literal=x=y
check_out "binary data is kept, base64" "^\"$(base64 <"$E2E_TMP/bin.dat")\"$" \
    jqget '.binaryData["bin.dat"]' cm cm2 -n demo
check_out "text data next to it" '^\{"x":"y"\}$' jqget .data cm cm2 -n demo

# --- create secret ---
exactly "create secret generic" "secret/s1 created" \
    k create secret generic s1 -n demo --from-literal=user=admin --from-literal=pass=s3cr3t
check_out "its data, base64" '^\{"pass":"czNjcjN0","user":"YWRtaW4="\}$' jqget .data secret s1 -n demo
check_out "type Opaque" '^Opaque$' k get secret s1 -n demo -o jsonpath='{.type}'
exactly "create secret docker-registry" "secret/reg created" \
    k create secret docker-registry reg -n demo --docker-server=r.example --docker-username=u \
    --docker-password=p
check_out "its type" '^kubernetes.io/dockerconfigjson$' k get secret reg -n demo -o jsonpath='{.type}'
check_out "its .dockerconfigjson" '"auths":\{"r.example":\{"username":"u","password":"p","auth":"dTpw"\}\}' \
    bash -c "kubectl get secret reg -n demo -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d"

# --- create service ---
exactly "create service clusterip" "service/svc1 created" \
    k create service clusterip svc1 -n demo --tcp=80:8080
check_out "its ports" '^\[\{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080\}\]$' \
    jqget .spec.ports svc svc1 -n demo
check_out "its selector" '^\{"app":"svc1"\}$' jqget .spec.selector svc svc1 -n demo
check_out "a cluster IP was allocated" '^10\.43\.[0-9]+\.[0-9]+$' \
    k get svc svc1 -n demo -o jsonpath='{.spec.clusterIP}'
check_out "kubectl get svc" '^svc1 +ClusterIP +10\.43\.[0-9.]+ +<none> +80/TCP ' \
    k get svc svc1 -n demo --no-headers
exactly "create service clusterip --clusterip=None" "service/hl created" \
    k create service clusterip hl -n demo --clusterip=None
check_out "a headless service" '^None$' k get svc hl -n demo -o jsonpath='{.spec.clusterIP}'
exactly "create service nodeport" "service/np created" \
    k create service nodeport np -n demo --tcp=5678:8080 --node-port=30080
check_out "its node port" '^NodePort 30080$' \
    k get svc np -n demo -o jsonpath='{.spec.type} {.spec.ports[0].nodePort}'
exactly "create service externalname" "service/en created" \
    k create service externalname en -n demo --external-name=db.example.com
check_out "its external name" '^ExternalName db.example.com$' \
    k get svc en -n demo -o jsonpath='{.spec.type} {.spec.externalName}'

# --- create serviceaccount ---
exactly "create serviceaccount" "serviceaccount/sa1 created" k create serviceaccount sa1 -n demo
check_out "kubectl get sa" '^sa1 ' k get sa sa1 -n demo --no-headers

# --- run (a JSON body, for comparison) ---
exactly "run a pod" "pod/p created" k run p -n demo --image=busybox:1.36 --restart=Never
check_out "the container with its image and upstream's defaults" \
    '^\[\{"image":"busybox:1.36","imagePullPolicy":"IfNotPresent","name":"p","resources":\{\},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"\}\]$' \
    jqget .spec.containers pod p -n demo
check_out "the pod's defaults" \
    '^\["ClusterFirst",true,"Never","default-scheduler",\{\},"default",30\]$' \
    jqget '[.spec.dnsPolicy,.spec.enableServiceLinks,.spec.restartPolicy,.spec.schedulerName,.spec.securityContext,.spec.serviceAccountName,.spec.terminationGracePeriodSeconds]' \
    pod p -n demo
check_out "the run label" '^\{"run":"p"\}$' jqget .metadata.labels pod p -n demo

# --- drain: the typed client deletes pods with a protobuf DeleteOptions ---
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata: {name: n1}
EOF
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: dp, namespace: demo}
spec: {nodeName: n1, containers: [{name: c, image: busybox:1.36}]}
EOF
check_out "drain deletes the pod with gracePeriodSeconds 0" '^node/n1 drained$' \
    k drain n1 --force --disable-eviction --grace-period=0 --timeout=30s
check_fail "the pod is gone" 'NotFound' k get pod dp -n demo
check_out "the node is cordoned" '^true$' k get node n1 -o jsonpath='{.spec.unschedulable}'

# --- bodies as client-go sends them (written out byte by byte) ---
pb() { # pb PATH FILE [METHOD]: send FILE as protobuf, print the body and the status
    api "${3:-POST}" "$1" -H 'Content-Type: application/vnd.kubernetes.protobuf' \
        -H 'Accept: application/vnd.kubernetes.protobuf,application/json' \
        --data-binary @"$2" -w '\n%{http_code}'
}
# DeleteOptions{gracePeriodSeconds: 7} on a bound pod: a graceful deletion of 7 s
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: gp, namespace: demo}
spec: {nodeName: n1, containers: [{name: c, image: busybox:1.36}]}
EOF
printf 'k8s\0\n\x13\n\x02v1\x12\x0dDeleteOptions\x12\x02\x08\x07\x1a\x00\x22\x00' >"$E2E_TMP/del7.pb"
out=$(pb /api/v1/namespaces/demo/pods/gp "$E2E_TMP/del7.pb" DELETE)
if [ "$(tail -n1 <<<"$out")" = 200 ] || [ "$(tail -n1 <<<"$out")" = 202 ]; then
    ok "DELETE with a protobuf DeleteOptions"
else
    not_ok "DELETE with a protobuf DeleteOptions"; diag <<<"$out"
fi
check_out "its grace period is the one sent" '^7$' \
    k get pod gp -n demo -o jsonpath='{.metadata.deletionGracePeriodSeconds}'

# Scale{metadata{name web}, spec{replicas 3}} PUT on the scale subresource
k apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: demo}
spec:
  replicas: 1
  serviceName: hl
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox:1.36}]}
EOF
printf 'k8s\0\n\x17\n\x0eautoscaling/v1\x12\x05Scale\x12\x0b\n\x05\n\x03web\x12\x02\x08\x03\x1a\x00\x22\x00' \
    >"$E2E_TMP/scale.pb"
out=$(pb /apis/apps/v1/namespaces/demo/statefulsets/web/scale "$E2E_TMP/scale.pb" PUT)
if [ "$(tail -n1 <<<"$out")" = 200 ] && grep -q '"kind":"Scale"' <<<"$out"; then
    ok "PUT scale with a protobuf Scale (answered in JSON)"
else
    not_ok "PUT scale with a protobuf Scale"; diag <<<"$out"
fi
check_out "the replicas were set" '^3$' k get sts web -n demo -o jsonpath='{.spec.replicas}'

# Binding{metadata{name p}, target{kind Node, name n1}} POST on the binding subresource
out=$(k uncordon n1 2>&1)
printf 'k8s\0\n\x0d\n\x02v1\x12\x07Binding\x12\x11\n\x03\n\x01p\x12\x0a\n\x04Node\x1a\x02n1\x1a\x00\x22\x00' \
    >"$E2E_TMP/binding.pb"
out=$(pb /api/v1/namespaces/demo/pods/p/binding "$E2E_TMP/binding.pb")
if [ "$(tail -n1 <<<"$out")" = 201 ]; then
    ok "POST a protobuf Binding"
else
    not_ok "POST a protobuf Binding"; diag <<<"$out"
fi
check_out "the pod is bound" '^n1$' k get pod p -n demo -o jsonpath='{.spec.nodeName}'

# --- bad protobuf bodies: 400s with a clear message, nothing created ---
CM=/api/v1/namespaces/demo/configmaps
expect_pb() { # desc file pattern
    local out
    out=$(pb "$CM" "$2")
    if [ "$(tail -n1 <<<"$out")" = 400 ] && grep -qE -- "$3" <<<"$out" &&
        grep -q '"reason":"BadRequest"' <<<"$out"; then
        ok "$1"
    else
        not_ok "$1"; { echo "wanted 400 /$3/"; echo "$out"; } | diag
    fi
}
printf 'k8s\0\n\x0f\n\x02v1\x12\x09ConfigMap\x12\x05\n\x09\n\x02x' >"$E2E_TMP/trunc.pb"
expect_pb "a truncated message" "$E2E_TMP/trunc.pb" \
    'ConfigMap in version \\"v1\\" cannot be handled as a ConfigMap: unexpected EOF'
printf 'k8s\0\n\x0c\n\x02v1\x12\x06Secret\x12\x05\n\x03\n\x01x' >"$E2E_TMP/kind.pb"
expect_pb "the wrong kind for the URL" "$E2E_TMP/kind.pb" \
    'the kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)'
printf 'k8s\0\n\x0f\n\x02v1\x12\x09ConfigMap\x12\x02\x08\x01' >"$E2E_TMP/wire.pb"
expect_pb "a wrong wire type" "$E2E_TMP/wire.pb" 'proto: wrong wireType = 0 for field Metadata'
printf '{"metadata":{"name":"x"}}' >"$E2E_TMP/json.pb"
expect_pb "JSON sent as protobuf" "$E2E_TMP/json.pb" \
    'the object provided is unrecognized \(must be of type ConfigMap\): provided data does not appear to be a protobuf message'
check_out "none of them created anything" '^cm1 cm2$' \
    bash -c "kubectl get cm -n demo -o name | sed 's|configmap/||' | sort | tr '\n' ' ' | sed 's/ $//'"
