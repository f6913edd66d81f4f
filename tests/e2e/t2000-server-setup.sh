#!/usr/bin/env bash
# First start: certificates, token, kubeconfig (0600), health checks, authentication, restart
# reusing what the first start created.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --disable-controllers || { not_ok "server starts"; exit 1; }
ok "server starts on a free port"

check_out "kubeconfig is mode 0600" '^600$' stat -c %a "$KUBECONFIG"
for f in ca.crt ca.key server.crt server.key admin.token; do
    [ -s "$DATA/pki/$f" ] && ok "pki/$f exists" || not_ok "pki/$f exists"
done
check_out "private keys are 0600" '^600$' stat -c %a "$DATA/pki/server.key"
check_out "berth kubeconfig prints the same kubeconfig" "$(sed -n 's/^ *server: //p' "$KUBECONFIG")" \
    "$BERTH" kubeconfig --data-dir "$DATA"
check_out "kubectl works with nothing but KUBECONFIG" '^default +Active' k get ns
for ns in default kube-system kube-public kube-node-lease; do
    check_out "namespace $ns exists" "^$ns " k get ns "$ns"
done
check_out "the kubernetes service exists" '^kubernetes +ClusterIP +10\.43\.0\.1 +<none> +443/TCP' k get svc kubernetes

for p in /readyz /livez /healthz; do
    check_out "$p answers ok without credentials" '^ok$' curl -sS --cacert "$CA" "$SERVER_URL$p"
done
check_out "the API needs credentials (401 Status)" '"code":401' curl -sS --cacert "$CA" "$SERVER_URL/api/v1/namespaces"
check_out "a wrong token is refused" '"reason":"Unauthorized"' \
    curl -sS --cacert "$CA" -H "Authorization: Bearer nope" "$SERVER_URL/api/v1/namespaces"
check_out "a client certificate signed by the CA authenticates" '"kind":"NamespaceList"' \
    curl -sS --cacert "$CA" --cert "$DATA/pki/admin.crt" --key "$DATA/pki/admin.key" "$SERVER_URL/api/v1/namespaces"
check_out "the serving certificate is valid for localhost" '"major":"1"' \
    curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" "https://localhost:${SERVER_URL##*:}/version"
check_out "/version reports 1.32" '"minor":"32"' api GET /version
check_out "kubectl version talks to the server" 'Server Version: v1.32' k version
check_out "TLS only: plain HTTP is not served" '.' sh -c "curl -sS http://${SERVER_URL#https://}/version 2>&1 || true"
grep -q '"major"' <<<"$OUT" && not_ok "plain HTTP gets no API answer" || ok "plain HTTP gets no API answer"

CA_SUM=$(sha256sum <"$DATA/pki/ca.crt")
TOK=$TOKEN
k create namespace keepme >/dev/null
stop_server
start_server --disable-controllers || { not_ok "server restarts"; exit 1; }
ok "server restarts on the same data dir"
[ "$(sha256sum <"$DATA/pki/ca.crt")" = "$CA_SUM" ] && ok "restart reuses the CA" || not_ok "restart reuses the CA"
[ "$TOKEN" = "$TOK" ] && ok "restart reuses the token" || not_ok "restart reuses the token"
check_out "objects survive a restart" '^keepme +Active' k get ns keepme
check_out "a restart keeps one kubernetes service" '^kubernetes ' k get svc kubernetes
