#!/usr/bin/env bash
# Update strategies end to end: OnDelete (STATEFULSET.md §2 #9) with berth's currentRevision
# promotion (§7 item 3), a partition with pod-0 deleted or failed (#7, #8), minReadySeconds
# (#17, #18), maxUnavailable, and berth's no-stuck-rollout rule (§7 item 1).
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

sts_server || { not_ok "server starts"; exit 1; }
ok "server starts"

# #9 OnDelete
sts_apply od 3 '  updateStrategy:
    type: OnDelete' >/dev/null
expect "#9: 3 replicas ready" 90 ready_is od 3
R1=$(jp sts od .status.currentRevision)
# --wait=false: kubectl's wait for a deletion (an informer whose precondition does not compare
# UIDs) hangs when the controller recreates the pod within ~100 ms of its deletion, after
# kubectl's GET and before its cache sync; what is checked here is the controller's work.
kn delete pod od-1 --wait=false >/dev/null
back1() { [ -n "$(rev_of od-1)" ] && [ "$(rev_of od-1)" = "$R1" ] && ready_is od 3; }
expect "#9: a deleted pod returns at the current revision" 90 back1
kn set image sts/od web=registry.example/web:v2 >/dev/null
moved() { [ "$(jp sts od .status.updateRevision)" != "$R1" ]; }
expect "#9: the template change makes an update revision" 30 moved
R2=$(jp sts od .status.updateRevision)
sleep 5
[ "$(rev_of od-0)$(rev_of od-1)$(rev_of od-2)" = "$R1$R1$R1" ] && ok "#9: no pod is replaced by the controller" ||
    not_ok "#9: no pod is replaced"
kn delete pod od-0 od-1 od-2 --wait=false >/dev/null
all_new() { [ "$(rev_of od-0)$(rev_of od-1)$(rev_of od-2)" = "$R2$R2$R2" ] && ready_is od 3; }
expect "#9: deleted pods return with the update revision" 120 all_new
check_out "#9: and the new image" '^registry.example/web:v2$' jp pod od-2 '.spec.containers[0].image'
promoted() { [ "$(jp sts od .status.currentRevision)" = "$R2" ] && [ "$(jp sts od .status.currentReplicas)" = 3 ]; }
expect "§7.3: OnDelete promotes currentRevision once every replica is updated" 30 promoted

# #7 / #8 partition 1, pod-0 deleted or failed during the update
for how in delete fail; do
    n=p$how
    sts_apply $n 3 '  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 1' >/dev/null
    expect "#7/#8 ($how): 3 replicas ready" 90 ready_is $n 3
    P1=$(jp sts $n .status.currentRevision)
    kn set image sts/$n web=registry.example/web:v2 >/dev/null
    if [ $how = delete ]; then
        kn delete pod $n-0 --wait=false >/dev/null
    else
        kn annotate pod $n-0 sim.berth.io/fail=true >/dev/null
    fi
    done_() {
        local u
        u=$(jp sts $n .status.updateRevision)
        [ "$u" != "$P1" ] && [ "$(rev_of $n-2)" = "$u" ] && [ "$(rev_of $n-1)" = "$u" ] &&
            [ "$(rev_of $n-0)" = "$P1" ] && [ "$(jp pod $n-0 .status.phase)" = Running ] && ready_is $n 3
    }
    expect "#7/#8 ($how): pod-0 comes back at the current revision, 1 and 2 update" 180 done_
done

# #17 / #18 minReadySeconds and availableReplicas
sts_apply mr 2 '  minReadySeconds: 30' >/dev/null
expect "#18: 1 ready" 60 ready_is mr 1
sleep 3
avail() { [ "$(jp sts mr .status.availableReplicas)" = "$1" ]; }
avail 0 && ok "#18: available stays 0 before minReadySeconds" || not_ok "#18: available 0 at first"
pods_are mr "mr-0" && ok "#18: mr-1 waits for mr-0 to be available" || not_ok "#18: mr-1 waits"
kn patch sts mr -p '{"spec":{"minReadySeconds":0}}' >/dev/null
expect "#18: minReadySeconds 0: 2 available" 90 avail 2
kn patch sts mr -p '{"spec":{"minReadySeconds":3600}}' >/dev/null
expect "#18: minReadySeconds 3600: 0 available" 30 avail 0
kn patch sts mr -p '{"spec":{"minReadySeconds":2}}' >/dev/null
expect "#17: availableReplicas reaches 2 after minReadySeconds (delayed requeue)" 30 avail 2
check_out "#18: get -o yaml shows availableReplicas: 2" 'availableReplicas: 2' kn get sts mr -o yaml

# maxUnavailable: a batch at a time, never more
# pods take 2 s to start, so the window where replaced pods are unavailable is observable
sts_apply mu 4 '  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 2' '      annotations:
        sim.berth.io/start-delay: "2s"' >/dev/null
expect "maxUnavailable: 4 ready" 120 ready_is mu 4
kn set image sts/mu web=registry.example/web:v2 >/dev/null
worst=0
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
    # ready pods that are not terminating; missing ones count as unavailable
    r=$(kn get pods -l app=mu -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' |
        awk '$1 == "True" && NF == 1' | wc -l)
    [ $((4 - r)) -gt $worst ] && worst=$((4 - r))
    rolled_out mu 4 && break
    sleep 0.1
done
rolled_out mu 4 && ok "maxUnavailable 2: the update completes" || not_ok "maxUnavailable 2: the update completes"
[ $worst -ge 1 ] && [ $worst -le 2 ] && ok "maxUnavailable 2: never more than 2 unready (saw $worst)" ||
    not_ok "maxUnavailable 2: saw $worst unready at worst"

# §7 item 1: a bad template is reverted and the set heals with no manual delete
for pmp in OrderedReady Parallel; do
    n=$(tr 'A-Z' 'a-z' <<<"${pmp:0:3}")x
    sts_apply $n 3 "  podManagementPolicy: $pmp" >/dev/null
    expect "§7.1 ($pmp): 3 ready" 90 ready_is $n 3
    G=$(jp sts $n .status.currentRevision)
    # the "bad" template: pods that crash-loop
    kn patch sts $n -p '{"spec":{"template":{"metadata":{"annotations":{"sim.berth.io/crash":"true"}}}}}' >/dev/null
    crashing() { [ "$(jp pod $n-2 '.metadata.annotations.sim\.berth\.io/crash')" = true ]; }
    expect "§7.1 ($pmp): $n-2 recreated at the bad revision" 60 crashing
    sleep 5
    [ "$(rev_of $n-1)" = "$G" ] && ok "§7.1 ($pmp): the rollout is stuck on the bad pod" || not_ok "§7.1 ($pmp): stuck"
    kn patch sts $n --type json -p '[{"op":"remove","path":"/spec/template/metadata/annotations"}]' >/dev/null
    healed() { rolled_out $n 3 && [ "$(jp sts $n .status.currentRevision)" = "$G" ] && [ "$(rev_of $n-2)" = "$G" ]; }
    expect "§7.1 ($pmp): reverting the template heals the set" 120 healed
done
