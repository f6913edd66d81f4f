/* retention.c — persistentVolumeClaimRetentionPolicy (KEP-1847, STATEFULSET.md §1.4), done
 * purely with owner references that the garbage collector acts on:
 *
 *   whenScaled \ whenDeleted   Retain                      Delete
 *   Retain                     no ref                      ref -> set
 *   Delete                     ref -> pod, condemned only  in range: ref -> set;
 *                                                          condemned: ref -> pod, no set ref
 *
 * Claims in a state the controller did not make are left alone: a stale ref (the set's or the
 * pod's name with another UID) means a previous incarnation manages it, and a foreign
 * controller ref means someone else does (a ConflictingController event; our own refs are
 * scrubbed and none added).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "controllers/statefulset/internal.h"

static bool policy_is_delete(const json_t *set, const char *which)
{
    const char *v = jget_str(jpath(set, "spec.persistentVolumeClaimRetentionPolicy"), which);
    return v && !strcmp(v, "Delete");
}

bool sts__when_scaled_delete(const json_t *set)
{
    return policy_is_delete(set, "whenScaled");
}

bool sts__when_deleted_delete(const json_t *set)
{
    return policy_is_delete(set, "whenDeleted");
}

static bool str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* matchesRef: same apiVersion, kind and name (not UID) */
static bool matches_ref(const json_t *ref, const json_t *obj, const char *api_version,
                        const char *kind)
{
    return str_eq(jget_str(ref, "apiVersion"), api_version) &&
           str_eq(jget_str(ref, "kind"), kind) &&
           str_eq(jget_str(ref, "name"), jpath_str(obj, "metadata.name"));
}

static const char *uid_of(const json_t *obj)
{
    const char *u = jpath_str(obj, "metadata.uid");
    return u ? u : "";
}

bool sts__has_stale_ref(const json_t *claim, const json_t *obj, const char *api_version,
                        const char *kind)
{
    size_t i;
    json_t *ref;

    json_array_foreach(jpath(claim, "metadata.ownerReferences"), i, ref)
    {
        if (matches_ref(ref, obj, api_version, kind))
            return !str_eq(jget_str(ref, "uid"), uid_of(obj));
    }
    return false;
}

static bool has_ref(const json_t *target, const json_t *owner)
{
    const char *uid = uid_of(owner);
    size_t i;
    json_t *ref;

    if (!*uid)
        return false;
    json_array_foreach(jpath(target, "metadata.ownerReferences"), i, ref)
    {
        if (str_eq(jget_str(ref, "uid"), uid))
            return true;
    }
    return false;
}

/* hasUnexpectedController: only relevant when some policy is Delete; a ref to the set or pod
 * with a wrong UID counts as unexpected too (pods were wrongly orphaned). */
static bool has_unexpected_controller(const json_t *claim, const json_t *set, const json_t *pod)
{
    size_t i;
    json_t *ref;

    if (!sts__when_scaled_delete(set) && !sts__when_deleted_delete(set))
        return false;
    json_array_foreach(jpath(claim, "metadata.ownerReferences"), i, ref)
    {
        if (matches_ref(ref, set, "apps/v1", "StatefulSet")) {
            if (!str_eq(jget_str(ref, "uid"), uid_of(set)))
                return true;
            continue;
        }
        if (matches_ref(ref, pod, "v1", "Pod")) {
            if (!str_eq(jget_str(ref, "uid"), uid_of(pod)))
                return true;
            continue;
        }
        if (jget_bool(ref, "controller", false))
            return true;
    }
    return false;
}

static bool has_non_controller_owner(const json_t *claim, const json_t *set, const json_t *pod)
{
    size_t i;
    json_t *ref;

    json_array_foreach(jpath(claim, "metadata.ownerReferences"), i, ref)
    {
        const char *u = jget_str(ref, "uid");
        if ((str_eq(u, uid_of(set)) && *uid_of(set)) || (str_eq(u, uid_of(pod)) && *uid_of(pod)))
            if (!jget_bool(ref, "controller", false))
                return true;
    }
    return false;
}

bool sts__claim_owner_up_to_date(const json_t *claim, const json_t *set, const json_t *pod)
{
    bool scaled = sts__when_scaled_delete(set), deleted = sts__when_deleted_delete(set);
    bool scaled_down;

    if (sts__has_stale_ref(claim, set, "apps/v1", "StatefulSet") ||
        sts__has_stale_ref(claim, pod, "v1", "Pod"))
        return true; /* a previous incarnation manages it: hands off */
    if (has_unexpected_controller(claim, set, pod))
        return !(has_ref(claim, set) || has_ref(claim, pod)); /* scrub ours, add nothing */
    if (has_non_controller_owner(claim, set, pod))
        return false;
    scaled_down = !sts__in_range(set, pod);
    if (!scaled && !deleted)
        return !has_ref(claim, set) && !has_ref(claim, pod);
    if (!scaled && deleted)
        return has_ref(claim, set) && !has_ref(claim, pod);
    if (scaled && !deleted)
        return !has_ref(claim, set) && scaled_down == has_ref(claim, pod);
    /* both Delete: in range -> set ref only; scaled down -> pod ref only */
    return scaled_down != has_ref(claim, set) && scaled_down == has_ref(claim, pod);
}

static void add_controller_ref(json_t *refs, const json_t *owner, const char *api_version,
                               const char *kind)
{
    for (size_t i = 0; i < json_array_size(refs); i++)
        if (str_eq(jget_str(json_array_get(refs, i), "uid"), uid_of(owner)))
            return;
    json_array_append_new(refs, sts__controller_ref(owner, api_version, kind));
}

void sts__update_claim_owner_refs(json_t *claim, const json_t *set, const json_t *pod)
{
    bool unexpected = has_unexpected_controller(claim, set, pod);
    bool scaled = sts__when_scaled_delete(set), deleted = sts__when_deleted_delete(set);
    bool scaled_down = !sts__in_range(set, pod);
    json_t *meta = jensure_obj(claim, "metadata"), *refs = json_array(), *ref;
    size_t i;

    /* scrub every ref to our set and pod (by kind and name) */
    json_array_foreach(jget_arr(meta, "ownerReferences"), i, ref)
    {
        if (!matches_ref(ref, set, "apps/v1", "StatefulSet") && !matches_ref(ref, pod, "v1", "Pod"))
            json_array_append(refs, ref);
    }
    if (!unexpected) {
        if (scaled && scaled_down)
            add_controller_ref(refs, pod, "v1", "Pod");
        if (deleted && !(scaled && scaled_down))
            add_controller_ref(refs, set, "apps/v1", "StatefulSet");
    }
    if (json_array_size(refs))
        json_object_set_new(meta, "ownerReferences", refs);
    else {
        json_object_del(meta, "ownerReferences");
        json_decref(refs);
    }
}

int sts__claims_match_retention(struct sts_run *r, const json_t *set, const json_t *pod,
                                bool *match, struct sts_err *e)
{
    int ord = sts__ordinal(pod);
    size_t i;
    json_t *t;

    *match = true;
    json_array_foreach(jpath(set, "spec.volumeClaimTemplates"), i, t)
    {
        char *name = sts__claim_name(set, t, ord);
        const json_t *claim = sts__claim_get(r, name);
        /* a missing claim is picked up on a later pass */
        if (claim && !sts__claim_owner_up_to_date(claim, set, pod))
            *match = false;
        free(name);
        if (!*match)
            break;
    }
    (void)e;
    return 0;
}

int sts__update_claims_for_retention(struct sts_run *r, const json_t *set, const json_t *pod,
                                     struct sts_err *e)
{
    int ord = sts__ordinal(pod), rc = 0;
    size_t i;
    json_t *t;

    json_array_foreach(jpath(set, "spec.volumeClaimTemplates"), i, t)
    {
        char *name = sts__claim_name(set, t, ord);
        json_t *claim = sts__claim_get(r, name), *copy, *out = NULL;
        struct kstatus st = {0};

        if (!claim) {
            free(name);
            continue;
        }
        json_incref(claim);
        if (has_unexpected_controller(claim, set, pod))
            sts__event(r->ctl, r->set, "Warning", "ConflictingController",
                       "PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a "
                       "manging controller, the retention policy is ignored for this claim",
                       name);
        if (!sts__claim_owner_up_to_date(claim, set, pod)) {
            copy = json_deep_copy(claim);
            sts__update_claim_owner_refs(copy, set, pod);
            rc = kclient_update(r->ctl->client, RES_PERSISTENTVOLUMECLAIMS, r->ns, copy, &out, &st);
            json_decref(copy);
            if (rc < 0) {
                struct sts_err ce = {{0}};
                sts__err_client(&ce, rc, &st);
                sts__errf(e, "could not update claim %s for delete policy ownerRefs: %s", name,
                          ce.msg);
                json_decref(claim);
                free(name);
                return rc;
            }
            sts__claim_put(r, out);
        }
        json_decref(claim);
        free(name);
    }
    return rc;
}
