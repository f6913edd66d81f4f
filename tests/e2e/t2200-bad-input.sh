#!/usr/bin/env bash
# Bad input gets a Kubernetes Status with the right code and a clear message, changes nothing,
# and never crashes or wedges the server.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts"
k create namespace bad >/dev/null
CM=/api/v1/namespaces/bad/configmaps
STS=/apis/apps/v1/namespaces/bad/statefulsets

post() { # path body -> "<code> <body>"
    curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -X POST "$SERVER_URL$1" --data-binary @- -w '\n%{http_code}' <<<"$2"
}
expect() { # desc path code pattern body
    local out code
    out=$(post "$2" "$5")
    code=$(tail -n1 <<<"$out")
    if [ "$code" = "$3" ] && grep -qE -- "$4" <<<"$out" && grep -q '"kind":"Status"' <<<"$out"; then
        ok "$1"
    else
        not_ok "$1"; { echo "wanted $3 /$4/"; echo "$out"; } | diag
    fi
}
RV0=$(api GET "$CM" | sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' | head -1)

expect "malformed JSON is a 400" "$CM" 400 'not valid JSON' '{"metadata":{"name":"x"'
expect "a JSON array where an object belongs is a 400" "$CM" 400 'BadRequest' '[1,2,3]'
deep=$(printf '{"a":%.0s' $(seq 1 500))1$(printf '}%.0s' $(seq 1 500))
expect "deeply nested JSON is refused" "$CM" 400 'nesting' "$deep"
expect "wrong kind for the URL" "$CM" 400 'does not match the expected kind' \
    '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}'
expect "wrong apiVersion for the URL" "$CM" 400 'does not match the expected API version' \
    '{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}'
expect "a name that is not DNS-1123" "$CM" 422 'metadata.name: Invalid value: \\"Bad_Name\\"' \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}'
expect "a missing name" "$CM" 422 'name or generateName is required' \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}'
expect "a wrong type is a 400 naming the field" "$CM" 400 'cannot unmarshal number into Go struct field' \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":1}}'
expect "a bad quantity is refused" /api/v1/namespaces/bad/persistentvolumeclaims 400 'quantities must match the regular expression' \
    '{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2 Gi"}}}}'
expect "an unknown field with fieldValidation=Strict" "$STS?fieldValidation=Strict" 400 'unknown field \\"spec.foo\\"' \
    '{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"foo":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}'
expect "creating into a missing namespace" /api/v1/namespaces/nope/configmaps 404 'namespaces \\"nope\\" not found' \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'
expect "namespace in the body must match the URL" "$CM" 400 'does not match the namespace' \
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}'

big=$(head -c 3200000 /dev/zero | tr '\0' 'a')
out=$(printf '{"metadata":{"name":"big"},"data":{"a":"%s"}}' "$big" | curl -sS --cacert "$CA" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST \
    "$SERVER_URL$CM" --data-binary @- -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 413 ] && grep -q RequestEntityTooLarge <<<"$out" && ok "a body over 3 MiB is a 413" || { not_ok "a body over 3 MiB is a 413"; head -c 300 <<<"$out" | diag; }

out=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
    -X POST "$SERVER_URL$CM" -d 'hello' -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 415 ] && ok "an unsupported media type is a 415" || { not_ok "an unsupported media type is a 415"; diag <<<"$out"; }
out=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X PUT "$SERVER_URL$CM" -d '{}' -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 405 ] && grep -q MethodNotAllowed <<<"$out" && ok "PUT on a collection is a 405" || { not_ok "PUT on a collection is a 405"; diag <<<"$out"; }
out=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$SERVER_URL/api/v1/nothings" -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 404 ] && ok "an unknown resource is a 404" || not_ok "an unknown resource is a 404"
out=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$SERVER_URL$CM?labelSelector=a+in+%28" -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 400 ] && ok "a bad label selector is a 400" || { not_ok "a bad label selector is a 400"; diag <<<"$out"; }
out=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$SERVER_URL$CM?fieldSelector=spec.nope%3Dx" -w '\n%{http_code}')
[ "$(tail -n1 <<<"$out")" = 400 ] && grep -q 'not supported' <<<"$out" && ok "an unsupported field selector is a 400" || { not_ok "an unsupported field selector is a 400"; diag <<<"$out"; }

# Bad patches
k create configmap good -n bad --from-literal=a=b >/dev/null
patch() { # type body
    curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -H "Content-Type: $1" -X PATCH \
        "$SERVER_URL$CM/good" --data-binary "$2" -w '\n%{http_code}'
}
out=$(patch application/json-patch+json '[{"op":"nope","path":"/a"}]')
[ "$(tail -n1 <<<"$out")" -ge 400 ] && [ "$(tail -n1 <<<"$out")" -lt 500 ] && ok "an unknown JSON patch op is refused" || { not_ok "an unknown JSON patch op is refused"; diag <<<"$out"; }
out=$(patch application/json-patch+json '[{"op":"test","path":"/data/a","value":"zzz"}]')
[ "$(tail -n1 <<<"$out")" = 422 ] && ok "a failed JSON patch test is a 422" || { not_ok "a failed JSON patch test is a 422"; diag <<<"$out"; }
out=$(patch application/merge-patch+json '{"data":')
[ "$(tail -n1 <<<"$out")" = 400 ] && ok "a malformed merge patch is a 400" || { not_ok "a malformed merge patch is a 400"; diag <<<"$out"; }
out=$(patch application/strategic-merge-patch+json '{"data":{"a":5}}')
[ "$(tail -n1 <<<"$out")" = 422 ] && grep -q '"field":"patch"' <<<"$out" && ok "a patch producing a wrong type is a 422 on the patch" || { not_ok "a patch producing a wrong type is a 422 on the patch"; diag <<<"$out"; }
out=$(patch application/apply-patch+yaml 'x: 1')
[ "$(tail -n1 <<<"$out")" = 415 ] && ok "server-side apply patches are a 415" || { not_ok "server-side apply patches are a 415"; diag <<<"$out"; }
check_out "the failed patches changed nothing" '^b$' k get configmap good -n bad -o jsonpath='{.data.a}'

# Nothing was created by the failed requests, and the server is alive.
check_out "no failed create left an object" '^good$' k get configmaps -n bad -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'
check_out "the server still answers" '^ok$' curl -sS --cacert "$CA" "$SERVER_URL/readyz"

# Garbage on the wire: the server survives.
for i in 1 2 3; do
    head -c 2000 /dev/urandom | timeout 3 openssl s_client -quiet -connect "${SERVER_URL#https://}" >/dev/null 2>&1
    printf 'GET /%%zz HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 3 openssl s_client -quiet -connect "${SERVER_URL#https://}" >/dev/null 2>&1
done
head -c 5000 /dev/urandom | timeout 3 bash -c "cat > /dev/tcp/${SERVER_URL#https://}" 2>/dev/null
HOSTPORT=${SERVER_URL#https://}
timeout 3 bash -c "cat </dev/urandom > /dev/tcp/${HOSTPORT%:*}/${HOSTPORT##*:}" 2>/dev/null
check_out "the server survives garbage connections" '^ok$' curl -sS --cacert "$CA" "$SERVER_URL/readyz"
check_out "and still serves the API" '^good' k get configmap good -n bad --no-headers
