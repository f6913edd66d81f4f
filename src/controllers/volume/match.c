/* match.c — which PersistentVolume a claim gets: upstream's FindMatchingVolume
 * (component-helpers/storage/volume/pv_helpers.go) over the access-mode index of
 * pkg/controller/volume/persistentvolume/index.go. Pure functions over JSON objects. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/selector.h"
#include "controllers/volume/internal.h"

/* A mode berth does not know: never matched by anything. */
#define VOL_UNKNOWN (1u << 4)

static unsigned mode_bit(const char *m)
{
    if (!strcmp(m, "ReadWriteOnce"))
        return VOL_RWO;
    if (!strcmp(m, "ReadOnlyMany"))
        return VOL_ROX;
    if (!strcmp(m, "ReadWriteMany"))
        return VOL_RWX;
    if (!strcmp(m, "ReadWriteOncePod"))
        return VOL_RWOP;
    return VOL_UNKNOWN;
}

unsigned vol__access_modes(const json_t *modes)
{
    unsigned bits = 0;
    size_t i;
    json_t *v;

    json_array_foreach(modes, i, v)
    {
        bits |= json_is_string(v) ? mode_bit(json_string_value(v)) : VOL_UNKNOWN;
    }
    return bits;
}

bool vol__volume_mode_mismatch(const json_t *claim, const json_t *pv)
{
    /* a nil volumeMode is Filesystem on both sides (HA upgrades, says upstream) */
    const char *cm = jpath_str(claim, "spec.volumeMode");
    const char *pm = jpath_str(pv, "spec.volumeMode");

    return strcmp(cm ? cm : "Filesystem", pm ? pm : "Filesystem") != 0;
}

bool vol__pv_bound_to_claim(const json_t *pv, const json_t *claim)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *uid;

    if (!json_is_object(ref))
        return false;
    if (strcmp(vol__name(claim), jget_str(ref, "name") ? jget_str(ref, "name") : "") ||
        strcmp(vol__ns(claim), jget_str(ref, "namespace") ? jget_str(ref, "namespace") : ""))
        return false;
    uid = jget_str(ref, "uid");
    return !uid || !*uid || !strcmp(uid, vol__uid(claim));
}

bool vol__access_modes_ok(const json_t *claim, const json_t *pv)
{
    const json_t *want = jpath(claim, "spec.accessModes");
    const json_t *have = jpath(pv, "spec.accessModes");
    size_t i, j;
    json_t *w, *h;

    json_array_foreach(want, i, w)
    {
        bool found = false;
        json_array_foreach(have, j, h)
        {
            if (json_equal(w, h)) {
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

static bool has_claim_ref(const json_t *pv)
{
    return json_is_object(jpath(pv, "spec.claimRef"));
}

void vol_index_claim_ref(const json_t *pv, void (*add)(void *arg, const char *value), void *arg)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    char *key;

    if (!json_is_object(ref)) {
        add(arg, "");
        return;
    }
    /* the key vol__pv_bound_to_claim compares with: absent fields read as "" */
    key = vol__key(jget_str(ref, "namespace") ? jget_str(ref, "namespace") : "",
                   jget_str(ref, "name") ? jget_str(ref, "name") : "");
    add(arg, key);
    free(key);
}

json_t *vol__find_matching(const json_t *claim, json_t *const *pvs, size_t n, bool delay)
{
    struct quantity req = vol__claim_request(claim), best_qty = {0, 0, QTY_BINARY_SI};
    const char *class = vol__claim_class(claim);
    const json_t *sel_json = jpath(claim, "spec.selector");
    struct label_selector *sel = NULL;
    json_t *best = NULL, *found = NULL;

    if (sel_json && !json_is_null(sel_json)) {
        struct strbuf err = STRBUF_INIT;
        int rc = label_selector_from_json(sel_json, &sel, &err);
        strbuf_release(&err);
        if (rc < 0)
            return NULL; /* unreachable after validation, as upstream notes */
    }
    for (size_t i = 0; i < n; i++) {
        json_t *pv = pvs[i];
        bool bound = vol__pv_bound_to_claim(pv, claim);
        struct quantity cap;

        /* the cheap rejections first: most volumes are bound to other claims */
        if (!bound && has_claim_ref(pv))
            continue;
        if (vol__deleting(pv))
            continue;
        cap = vol__pv_capacity(pv);
        if (quantity_cmp(&cap, &req) < 0)
            continue;
        if (vol__volume_mode_mismatch(claim, pv))
            continue;
        if (bound) {
            /* pre-bound to this claim (by a user, a provisioner or the scheduler) */
            found = pv;
            break;
        }
        if (delay)
            continue; /* WaitForFirstConsumer: the scheduler picks unbound volumes */
        if (strcmp(vol__phase(pv), "Available"))
            continue;
        if (sel && !label_selector_matches(sel, jpath(pv, "metadata.labels")))
            continue;
        if (strcmp(vol__pv_class(pv), class))
            continue;
        if (!best || quantity_cmp(&best_qty, &cap) > 0) {
            best = pv;
            best_qty = cap;
        }
    }
    label_selector_free(sel);
    return found ? found : best;
}

static int popcount(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static int cmp_groups(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    int d = popcount(x) - popcount(y);

    if (d)
        return d;
    return x < y ? -1 : x > y;
}

json_t *vol__find_best_match(const json_t *claim, json_t *const *pvs, size_t n, bool delay)
{
    unsigned want = vol__access_modes(jpath(claim, "spec.accessModes"));
    unsigned groups[32], *modes;
    size_t ngroups = 0;
    json_t **in_group, *match = NULL;

    if (want & VOL_UNKNOWN)
        return NULL;
    /* The index holds one group per distinct set of modes among the volumes; a claim may use
     * any group that has at least the modes it asks for, the smallest sets first (a claim for
     * RWO takes an RWO volume before an RWO+ROX one). */
    modes = xcalloc(n ? n : 1, sizeof(*modes));
    for (size_t i = 0; i < n; i++) {
        unsigned m = vol__access_modes(jpath(pvs[i], "spec.accessModes")) & ~VOL_UNKNOWN;
        bool seen = false;
        modes[i] = m;
        if ((m & want) != want)
            continue;
        for (size_t g = 0; g < ngroups; g++)
            seen |= groups[g] == m;
        if (!seen && ngroups < ARRAY_SIZE(groups))
            groups[ngroups++] = m;
    }
    qsort(groups, ngroups, sizeof(groups[0]), cmp_groups);
    in_group = xcalloc(n ? n : 1, sizeof(*in_group));
    for (size_t g = 0; g < ngroups && !match; g++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (modes[i] == groups[g])
                in_group[k++] = pvs[i];
        match = vol__find_matching(claim, in_group, k, delay);
    }
    free(in_group);
    free(modes);
    return match;
}

const char *vol__check_satisfy(const json_t *pv, const json_t *claim, char *buf, size_t bufsz)
{
    struct quantity req = vol__claim_request(claim), cap = vol__pv_capacity(pv);

    if (vol__deleting(pv)) {
        snprintf(buf, bufsz, "the volume is marked for deletion \"%s\"", vol__name(pv));
        return buf;
    }
    /* upstream compares Value(), the sizes rounded up to whole bytes */
    if (quantity_value(&cap) < quantity_value(&req))
        return "requested PV is too small";
    if (strcmp(vol__pv_class(pv), vol__claim_class(claim)))
        return "storageClassName does not match";
    if (vol__volume_mode_mismatch(claim, pv))
        return "incompatible volumeMode";
    if (!vol__access_modes_ok(claim, pv))
        return "incompatible accessMode";
    return NULL;
}
