#!/usr/bin/env bash
# The default StorageClass (issue 4): `berth server --no-default-storage-class` leaves
# local-path non-default, so a claim without a class waits for a static volume (FailedBinding);
# once a default class appears the waiting claim gets it (retroactive default class, upstream
# 1.28+), while a claim that asked for "" keeps asking for no class.
. "$(dirname "$0")/../lib/e2e.sh"

start_server --runtime sim --node-name sim-0 --no-default-storage-class ||
    { not_ok "server starts"; exit 1; }
ok "server starts"

events_of() { k get events -n vol --field-selector "involvedObject.name=$1"; }

if eventually 20 k get sc local-path; then ok "the local-path class exists"; else not_ok "the local-path class exists"; fi
check_out "and is not the default" '^local-path +berth.io/local-path +Delete +WaitForFirstConsumer +true +[0-9]+s$' \
    k get sc local-path

cat >"$E2E_TMP/claims.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: vol
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: late
  namespace: vol
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: classless
  namespace: vol
spec:
  storageClassName: ""
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
EOF
check "claims without a class" k apply -f "$E2E_TMP/claims.yaml"
check_out "no default: the class stays unset" '^$' k get pvc late -n vol -o jsonpath='{.spec.storageClassName}'
if eventually 20 bash -c "kubectl get events -n vol --field-selector involvedObject.name=late | grep -q FailedBinding"; then
    ok "it waits for a volume (FailedBinding)"
else
    not_ok "it waits for a volume (FailedBinding)"; k get events -n vol 2>&1 | diag
fi

check "make local-path the default" \
    k annotate sc local-path storageclass.kubernetes.io/is-default-class=true
if eventually 30 bash -c "[ \"\$(kubectl get pvc late -n vol -o jsonpath='{.spec.storageClassName}')\" = local-path ]"; then
    ok "the waiting claim gets the default class"
else
    not_ok "the waiting claim gets the default class"; k get pvc late -n vol -o yaml 2>&1 | diag
fi
if eventually 20 bash -c "kubectl get events -n vol --field-selector involvedObject.name=late | grep -q WaitForFirstConsumer"; then
    ok "and then waits for its first consumer"
else
    not_ok "and then waits for its first consumer"
fi
sleep 2
check_out "a claim for \"\" keeps no class" '"storageClassName": ""' \
    k get pvc classless -n vol -o json
check_out "and keeps waiting for a static volume" 'FailedBinding' events_of classless
