# t31-sts-lib.bash — helpers of the StatefulSet end-to-end tests (tests/e2e/t31*.sh), sourced
# after tests/lib/e2e.sh. Named .bash so that tests/run.sh does not run it as a test.
#
#   sts_server                 start `berth server --runtime sim` and make namespace $NSP
#   sts_apply NAME REPLICAS [SPEC_YAML] [TEMPLATE_META_YAML]
#                              apply a StatefulSet NAME (selector app=NAME, headless service
#                              NAME, claim template "data" of 1Gi) with extra spec lines
#   kn ARGS...                 kubectl in $NSP
#   jp KIND NAME PATH          kubectl get -o jsonpath={PATH}
#   ready_is NAME N            the set reports N ready replicas, for `eventually`
#   pods_are SET "a b c"       the set's pods (by name), sorted by ordinal, are exactly these
#   rev_of POD                 the pod's controller-revision-hash label
#   expect DESC SECONDS CMD... ok if CMD succeeds within SECONDS, else not ok with a diagnosis

NSP=${NSP:-sts}

kn() { kubectl -n "$NSP" "$@"; }

sts_server() {
    start_server --runtime sim "$@" || return 1
    k apply -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Namespace
metadata:
  name: $NSP
EOF
    # the namespace controller may need a moment to see it
    eventually 10 kn get serviceaccounts >/dev/null || true
}

sts_apply() {
    local name=$1 replicas=$2 spec=${3:-} tmeta=${4:-}
    kn apply -f - <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $name
spec:
  clusterIP: None
  selector:
    app: $name
  ports:
  - port: 80
    name: web
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: $name
spec:
  serviceName: $name
  replicas: $replicas
  selector:
    matchLabels:
      app: $name
$spec
  template:
    metadata:
      labels:
        app: $name
$tmeta
    spec:
      containers:
      - name: web
        image: registry.example/web:v1
        volumeMounts:
        - name: data
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
EOF
}

jp() { kn get "$1" "$2" -o jsonpath="{$3}" 2>/dev/null; }

ready_is() { [ "$(jp sts "$1" .status.readyReplicas)" = "$2" ]; }

# The pods of set $1 (named <set>-<ordinal>), by ordinal, space separated.
pods_of() {
    kn get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' 2>/dev/null |
        grep -E "^$1-[0-9]+\$" | sort -V | tr '\n' ' ' | sed 's/ $//'
}

# pods_are SET "ss-0 ss-1": exactly these pods exist (terminating ones count as existing)
pods_are() { [ "$(pods_of "$1")" = "$2" ]; }

# watch_revisions FILE: record "<pod> <revision>" lines of every pod change in $NSP until
# watch_stop; first_at FILE REV prints the pods in the order they first reached REV.
watch_revisions() {
    kn get pods -w --no-headers \
        -o custom-columns='NAME:.metadata.name,REV:.metadata.labels.controller-revision-hash' \
        >"$1" 2>/dev/null &
    WATCH_PID=$!
    sleep 0.5
}
watch_stop() { kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null || true; }
first_at() { awk -v r="$2" '$2 == r && !seen[$1]++ { print $1 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }

rev_of() { jp pod "$1" '.metadata.labels.controller-revision-hash'; }

uid_of() { jp "$1" "$2" .metadata.uid; }

expect() {
    local desc=$1 secs=$2
    shift 2
    if eventually "$secs" "$@"; then ok "$desc"; else
        not_ok "$desc"
        {
            echo "command: $*"
            kn get sts,pods,pvc -o wide 2>&1
            kn get events --sort-by=.lastTimestamp 2>&1 | tail -n 15
        } | diag
    fi
}

# The set is fully rolled out: every replica ready and updated, current == update revision.
rolled_out() {
    local name=$1 n=$2
    [ "$(jp sts "$name" .status.readyReplicas)" = "$n" ] &&
        [ "$(jp sts "$name" .status.updatedReplicas)" = "$n" ] &&
        [ "$(jp sts "$name" .status.currentRevision)" = "$(jp sts "$name" .status.updateRevision)" ]
}
