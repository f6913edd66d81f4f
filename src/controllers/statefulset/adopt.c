/* adopt.c — which pods belong to a set (upstream PodControllerRefManager.ClaimPods with the
 * isMemberOf filter; STATEFULSET.md §1.3 step 3 and §1.9):
 *   - a pod controlled by someone else is ignored;
 *   - a pod the set controls stays while the selector and the name match; otherwise it is
 *     released (its owner reference removed), unless the set is being deleted;
 *   - an orphan that matches, is not being deleted, in the set's namespace, while the set is not
 *     being deleted, is adopted. Before the first adoption the set is read live from the API
 *     (not the cache): a set deleted or replaced meanwhile must not adopt anything.
 * Adoption and release are strategic merge patches carrying the pod's UID, so they apply to
 * exactly the pod that was examined.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/statefulset/internal.h"

static bool deleting(const json_t *obj)
{
    const json_t *dt = jpath(obj, "metadata.deletionTimestamp");
    return dt && !json_is_null(dt);
}

int sts__can_adopt(struct sts_control *ctl, const json_t *set, struct sts_err *e)
{
    const char *ns = jpath_str(set, "metadata.namespace"), *name = jpath_str(set, "metadata.name");
    const char *uid = jpath_str(set, "metadata.uid"), *fuid;
    struct kstatus st = {0};
    json_t *fresh = NULL;
    int rc;

    rc = kclient_get(ctl->client, RES_STATEFULSETS, ns, name, &fresh, &st);
    if (rc < 0) {
        sts__err_client(e, rc, &st);
        return rc;
    }
    fuid = jpath_str(fresh, "metadata.uid");
    if (!fuid || !uid || strcmp(fuid, uid)) {
        sts__errf(e, "original StatefulSet %s/%s is gone: got uid %s, wanted %s", ns, name,
                  fuid ? fuid : "", uid ? uid : "");
        rc = -EINVAL;
    } else if (deleting(fresh)) {
        sts__errf(e, "%s/%s has just been deleted at %s", ns, name,
                  jpath_str(fresh, "metadata.deletionTimestamp"));
        rc = -EINVAL;
    }
    json_decref(fresh);
    return rc;
}

static int patch_pod(struct sts_control *ctl, const json_t *pod, json_t *patch, struct sts_err *e)
{
    char *text = json_dump_compact(patch);
    struct kstatus st = {0};
    int rc;

    rc = kclient_patch(ctl->client, RES_PODS, jpath_str(pod, "metadata.namespace"),
                       jpath_str(pod, "metadata.name"), KPATCH_STRATEGIC, text, NULL, NULL, &st);
    if (rc < 0)
        sts__err_client(e, rc, &st);
    free(text);
    json_decref(patch);
    return rc;
}

static int adopt(struct sts_control *ctl, const json_t *set, const json_t *pod, struct sts_err *e)
{
    json_t *patch = json_pack("{s:{s:[o],s:s?}}", "metadata", "ownerReferences",
                              sts__controller_ref(set, "apps/v1", "StatefulSet"), "uid",
                              jpath_str(pod, "metadata.uid"));
    return patch_pod(ctl, pod, patch, e);
}

static int release(struct sts_control *ctl, const json_t *set, const json_t *pod, struct sts_err *e)
{
    json_t *patch =
        json_pack("{s:{s:[{s:s,s:s?}],s:s?}}", "metadata", "ownerReferences", "$patch", "delete",
                  "uid", jpath_str(set, "metadata.uid"), "uid", jpath_str(pod, "metadata.uid"));
    int rc = patch_pod(ctl, pod, patch, e);

    /* gone, or no longer ours (a UID mismatch is Invalid): nothing to release */
    if (rc == -ENOENT || rc == -EINVAL)
        rc = 0;
    return rc;
}

int sts__claim_pods(struct sts_control *ctl, const json_t *set, const struct label_selector *sel,
                    json_t *const *pods, size_t npods, json_t ***out, size_t *n)
{
    const char *uid = jpath_str(set, "metadata.uid");
    const char *ns = jpath_str(set, "metadata.namespace");
    json_t **claimed = xcalloc(npods + 1, sizeof(*claimed));
    int can_adopt = 1; /* 1: not checked yet; 0: yes; <0: the error */
    struct sts_err ae = {{0}};
    int first_rc = 0;
    size_t k = 0;

    for (size_t i = 0; i < npods; i++) {
        const json_t *pod = pods[i], *ref = sts__controller_of(pod);
        bool match =
            label_selector_matches(sel, jpath(pod, "metadata.labels")) && sts__is_member(set, pod);
        struct sts_err e = {{0}};
        int rc;

        if (ref) {
            const char *ruid = jget_str(ref, "uid");
            if (!ruid || !uid || strcmp(ruid, uid))
                continue; /* someone else's */
            if (match) {
                claimed[k++] = json_incref((json_t *)pod);
                continue;
            }
            if (deleting(set))
                continue;
            rc = release(ctl, set, pod, &e);
            if (rc < 0) {
                log_warn("statefulset", "releasing pod %s/%s: %s", ns,
                         jpath_str(pod, "metadata.name"), e.msg);
                if (!first_rc)
                    first_rc = rc;
            }
            continue;
        }
        if (deleting(set) || !match || deleting(pod))
            continue;
        if (strcmp(jpath_str(pod, "metadata.namespace") ? jpath_str(pod, "metadata.namespace") : "",
                   ns ? ns : ""))
            continue;
        if (can_adopt == 1)
            can_adopt = sts__can_adopt(ctl, set, &ae);
        if (can_adopt < 0) {
            log_warn("statefulset", "cannot adopt pod %s/%s: %s", ns,
                     jpath_str(pod, "metadata.name"), ae.msg);
            if (!first_rc)
                first_rc = can_adopt;
            continue;
        }
        rc = adopt(ctl, set, pod, &e);
        if (rc == -ENOENT)
            continue;
        if (rc < 0) {
            log_warn("statefulset", "adopting pod %s/%s: %s", ns, jpath_str(pod, "metadata.name"),
                     e.msg);
            if (!first_rc)
                first_rc = rc;
            continue;
        }
        claimed[k++] = json_incref((json_t *)pod);
    }
    *out = claimed;
    *n = k;
    return first_rc;
}
