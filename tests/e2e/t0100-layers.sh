#!/usr/bin/env bash
# The layers point downward (DESIGN.md §2): no library calls a function defined in a layer
# above it, and controllers and the agent never reach the store or the server.
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

# Each layer may use the layers listed after it (and the system libraries).
declare -A may_use=(
    [base]=""
    [api]="base"
    [store]="api base"
    [server]="store api base"
    [client]="api base"
    [controllers]="client api base"
    [agent]="client api base"
    [dns]="client api base"
)
defined() { nm --defined-only -g "build/lib$1.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
undefined() { nm -u "build/lib$1.a" 2>/dev/null | awk '{ print $NF }' | sort -u; }

for layer in "${!may_use[@]}"; do
    [ -f "build/lib$layer.a" ] || { not_ok "build/lib$layer.a exists"; continue; }
    bad=""
    for other in "${!may_use[@]}"; do
        [ "$other" = "$layer" ] && continue
        case " ${may_use[$layer]} " in *" $other "*) continue ;; esac
        hits=$(comm -12 <(undefined "$layer") <(defined "$other"))
        [ -n "$hits" ] && bad="$bad $other: $(echo $hits | head -c 200)"
    done
    if [ -z "$bad" ]; then ok "$layer calls only ${may_use[$layer]:-the system}"; else
        not_ok "$layer calls upward or sideways:$bad"; fi
done

# Controllers and the agent include no store or server header.
inc=$(grep -rlE '#include "(store|server)/' src/controllers src/agent src/client 2>/dev/null)
[ -z "$inc" ] && ok "controllers, agent and client include no store/ or server/ header" || not_ok "store/server headers included by: $inc"
