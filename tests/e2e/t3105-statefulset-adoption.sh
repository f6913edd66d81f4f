#!/usr/bin/env bash
# Ownership end to end (STATEFULSET.md §2 #2 and #3): matching orphans are adopted and
# non-matching pods released; a pod whose predecessor is unhealthy is still recreated.
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

sts_server || { not_ok "server starts"; exit 1; }
ok "server starts"

# #2 adopt matching orphans, release non-matching pods
sts_apply ad 1 >/dev/null
expect "#2: ad-0 ready" 90 ready_is ad 1
SET_UID=$(uid_of sts ad)
check_out "#2: the pod's controller is the set" "^StatefulSet ad $SET_UID true$" \
    jp pod ad-0 '.metadata.ownerReferences[0].kind}{" "}{.metadata.ownerReferences[0].name}{" "}{.metadata.ownerReferences[0].uid}{" "}{.metadata.ownerReferences[0].controller'
POD_UID=$(uid_of pod ad-0)
kn patch pod ad-0 --type json -p '[{"op":"remove","path":"/metadata/ownerReferences"}]' >/dev/null
adopted() { [ "$(jp pod ad-0 '.metadata.ownerReferences[0].uid')" = "$SET_UID" ]; }
expect "#2: clearing the owner references: re-adopted" 30 adopted
[ "$(uid_of pod ad-0)" = "$POD_UID" ] && ok "#2: the same pod was adopted, not replaced" || not_ok "#2: same pod adopted"
kn label pod ad-0 app- >/dev/null
released() { [ -z "$(jp pod ad-0 '.metadata.ownerReferences[0].uid')" ]; }
expect "#2: removing the labels: released" 30 released
kn label pod ad-0 app=ad >/dev/null
expect "#2: adding the labels back: adopted again" 30 adopted
[ "$(uid_of pod ad-0)" = "$POD_UID" ] && ok "#2: still the same pod" || not_ok "#2: still the same pod"

# #3 no deadlock when a pod's predecessor fails
sts_apply dl 2 >/dev/null
expect "#3: 2 ready" 90 ready_is dl 2
kn annotate pod dl-1 sim.berth.io/ready=false >/dev/null
one() { ready_is dl 1; }
expect "#3: dl-1 unhealthy" 30 one
U0=$(uid_of pod dl-0)
kn delete pod dl-0 --wait=false >/dev/null # as t3104: kubectl's wait races a fast recreation
recreated() { local u; u=$(uid_of pod dl-0); [ -n "$u" ] && [ "$u" != "$U0" ] && [ "$(jp pod dl-0 .status.phase)" = Running ]; }
expect "#3: dl-0 is recreated although dl-1 is unhealthy" 90 recreated
kn annotate pod dl-1 sim.berth.io/ready- >/dev/null
expect "#3: after dl-1 recovers, all are Running and Ready" 60 ready_is dl 2

# the set's deletion with --cascade=orphan keeps the pods; a new set adopts them
kn delete sts dl --cascade=orphan --timeout=60s >/dev/null
sleep 2
pods_are dl "dl-0 dl-1" && ok "orphan deletion keeps the pods" || not_ok "orphan deletion keeps the pods"
sts_apply dl 2 >/dev/null
NEW_UID=$(uid_of sts dl)
adopted_new() { [ "$(jp pod dl-1 '.metadata.ownerReferences[0].uid')" = "$NEW_UID" ]; }
expect "a new set of the same name adopts the orphans" 60 adopted_new
