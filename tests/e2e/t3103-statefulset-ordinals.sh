#!/usr/bin/env bash
# spec.ordinals.start end to end (STATEFULSET.md §2 #26-#29).
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/t31-sts-lib.bash"

sts_server || { not_ok "server starts"; exit 1; }
ok "server starts"

# #26 setting .start.ordinal
sts_apply a 2 >/dev/null
expect "#26: a-0 and a-1" 90 pods_are a "a-0 a-1"
kn patch sts a -p '{"spec":{"replicas":3,"ordinals":{"start":2}}}' >/dev/null
settled() { pods_are "$1" "$2" && ready_is "$1" "$3"; }
expect "#26: replicas 3 from 2 gives a-2, a-3, a-4" 120 settled a "a-2 a-3 a-4" 3
check_out "#26: a-2 has pod-index 2" '^2$' jp pod a-2 '.metadata.labels.apps\.kubernetes\.io/pod-index'
check_out "#26: its claim is data-a-2" '^data-a-2$' jp pod a-2 '.spec.volumes[0].persistentVolumeClaim.claimName'

# #27 increasing it
sts_apply b 2 '  ordinals:
    start: 2' >/dev/null
expect "#27: b-2 and b-3" 90 settled b "b-2 b-3" 2
kn patch sts b -p '{"spec":{"ordinals":{"start":4}}}' >/dev/null
expect "#27: start 4 replaces them with b-4 and b-5" 120 settled b "b-4 b-5" 2

# #28 decreasing it
sts_apply c 2 '  ordinals:
    start: 3' >/dev/null
expect "#28: c-3 and c-4" 90 settled c "c-3 c-4" 2
kn patch sts c -p '{"spec":{"ordinals":{"start":2}}}' >/dev/null
expect "#28: start 2 gives c-2 and c-3" 120 settled c "c-2 c-3" 2

# #29 removing it
sts_apply d 2 '  ordinals:
    start: 3' >/dev/null
expect "#29: d-3 and d-4" 90 settled d "d-3 d-4" 2
kn patch sts d --type json -p '[{"op":"remove","path":"/spec/ordinals"}]' >/dev/null
expect "#29: without ordinals the pods are d-0 and d-1" 120 settled d "d-0 d-1" 2

# partition is an offset from start
kn patch sts d -p '{"spec":{"ordinals":{"start":5},"updateStrategy":{"rollingUpdate":{"partition":1}}}}' >/dev/null
expect "partition with a start: d-5 and d-6" 120 settled d "d-5 d-6" 2
R1=$(jp sts d .status.currentRevision)
kn set image sts/d web=registry.example/web:v2 >/dev/null
moved() { [ "$(rev_of d-6)" != "$R1" ] && [ -n "$(rev_of d-6)" ] && ready_is d 2; }
expect "partition 1 updates d-6 (start + 1)" 120 moved
[ "$(rev_of d-5)" = "$R1" ] && ok "d-5 keeps the current revision" || not_ok "d-5 keeps the current revision"
