/* expand.c — expansion of bound claims (beyond upstream for local volumes: STATEFULSET.md §7
 * item 2). Raising spec.resources.requests.storage of a bound claim whose class allows it (the
 * API server checks that) grows the volume and then the claim, reported the way upstream's
 * flow reports a resize that needs no file system step on the node (in-tree expand controller,
 * then external-resizer with RecoverVolumeExpansionFailure, beta and on in 1.32):
 *
 *   event   ExternalExpanding (Warning, volume_expand) "waiting for an external controller to
 *           expand this PVC"
 *   status  conditions += Resizing=True, allocatedResources.storage = the new size,
 *           allocatedResourceStatuses.storage = ControllerResizeInProgress
 *   event   Resizing "External resizer is resizing volume <pv>"
 *   volume  spec.capacity.storage = the new size
 *   status  capacity.storage = the new size, the resize conditions and
 *           allocatedResourceStatuses.storage removed (allocatedResources stays)
 *   event   VolumeResizeSuccessful "Resize volume succeeded"
 *
 * A local-path volume is a directory whose size is not enforced, so "resizing" it is the
 * bookkeeping. Only volumes of the local-path provisioner are expanded; for any other volume
 * the claim gets upstream's ExternalExpanding event and waits, as it would for a resizer that
 * is not there. Every step is repeatable: an interrupted expansion resumes at the size recorded
 * in allocatedResources.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "controllers/volume/internal.h"

struct vol_expander {
    struct kclient *c;
    struct informer *pvs, *pvcs;
    struct vol_events ev;        /* the resizer's events */
    struct vol_events ev_expand; /* the expand controller's */
    struct vol_cache claims;     /* newer copies of what this controller wrote (internal.h) */
    struct vol_cache volumes;
    struct workqueue *q;
    struct ctrl_loop *loop;
};

#define IN_PROGRESS "ControllerResizeInProgress"

static const char *resize_status(const json_t *claim)
{
    const char *s = jpath_str(claim, "status.allocatedResourceStatuses.storage");
    return s ? s : "";
}

static bool is_resize_condition(const char *type)
{
    static const char *const known[] = {"Resizing", "FileSystemResizePending",
                                        "ControllerResizeError", "NodeResizeError"};
    for (size_t i = 0; i < ARRAY_SIZE(known); i++)
        if (!strcmp(type, known[i]))
            return true;
    return false;
}

/* MergeResizeConditionsOfPVC: conditions of other kinds stay; a resize condition stays only if
 * it is in add (keeping its old transition time when the status is unchanged). add may be
 * NULL. Returns the new array (new reference). */
static json_t *merge_conditions(const json_t *old, const json_t *add)
{
    json_t *res = json_array(), *pending = add ? json_deep_copy(add) : json_array();
    size_t i, j;
    json_t *c, *n;

    json_array_foreach(old, i, c)
    {
        const char *type = jget_str(c, "type") ? jget_str(c, "type") : "";
        if (!is_resize_condition(type)) {
            json_array_append(res, c);
            continue;
        }
        json_array_foreach(pending, j, n)
        {
            if (strcmp(type, jget_str(n, "type") ? jget_str(n, "type") : ""))
                continue;
            json_array_append(res, json_equal(jget(n, "status"), jget(c, "status")) ? c : n);
            json_array_remove(pending, j);
            break;
        }
    }
    json_array_extend(res, pending);
    json_decref(pending);
    return res;
}

static void set_conditions(json_t *status, json_t *conds)
{
    if (json_array_size(conds))
        json_object_set(status, "conditions", conds);
    else
        json_object_del(status, "conditions");
    json_decref(conds);
}

/* markControllerResizeInProgress */
static int mark_in_progress(struct vol_expander *x, json_t *claim, const json_t *size, json_t **out)
{
    char now[KTIME_BUFSZ];
    json_t *cl = json_deep_copy(claim), *st = jensure_obj(cl, "status");
    json_t *cond = json_object(), *add = json_array();
    int rc;

    jset_str(cond, "type", "Resizing");
    jset_str(cond, "status", "True");
    jset_str(cond, "lastTransitionTime", ktime_format(ktime_now(), now));
    json_array_append_new(add, cond);
    set_conditions(st, merge_conditions(jget_arr(st, "conditions"), add));
    json_decref(add);
    jset_str(jensure_obj(st, "allocatedResourceStatuses"), "storage", IN_PROGRESS);
    json_object_set(jensure_obj(st, "allocatedResources"), "storage", (json_t *)size);
    rc = vol__update(x->c, &x->claims, RES_PERSISTENTVOLUMECLAIMS, cl, true, out);
    json_decref(cl);
    return rc;
}

/* markOverallExpansionAsFinished */
static int mark_finished(struct vol_expander *x, json_t *claim, const json_t *size)
{
    json_t *cl = json_deep_copy(claim), *st = jensure_obj(cl, "status");
    json_t *ars;
    int rc;

    json_object_set(jensure_obj(st, "capacity"), "storage", (json_t *)size);
    set_conditions(st, merge_conditions(jget_arr(st, "conditions"), NULL));
    ars = jget_obj(st, "allocatedResourceStatuses");
    if (ars) {
        json_object_del(ars, "storage");
        if (!json_object_size(ars))
            json_object_del(st, "allocatedResourceStatuses");
    }
    rc = vol__update(x->c, &x->claims, RES_PERSISTENTVOLUMECLAIMS, cl, true, NULL);
    json_decref(cl);
    if (rc == 0)
        vol__eventf(&x->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "VolumeResizeSuccessful",
                    "Resize volume succeeded");
    return rc;
}

static int grow_volume(struct vol_expander *x, const json_t *pv, const json_t *size)
{
    struct quantity cap = vol__pv_capacity(pv), want = vol__qty(size);
    json_t *v;
    int rc;

    if (quantity_cmp(&cap, &want) >= 0)
        return 0;
    v = json_deep_copy(pv);
    json_object_set(jensure_obj(jensure_obj(v, "spec"), "capacity"), "storage", (json_t *)size);
    rc = vol__update(x->c, &x->volumes, RES_PERSISTENTVOLUMES, v, false, NULL);
    json_decref(v);
    if (rc == 0)
        log_info("volume", "volume %s resized to %s", vol__name(pv), json_string_value(size));
    return rc;
}

static bool wants_expansion(const json_t *claim)
{
    struct quantity req = vol__claim_request(claim);
    struct quantity cap = vol__qty(jpath(claim, "status.capacity.storage"));

    if (strcmp(vol__phase(claim), "Bound"))
        return false;
    return quantity_cmp(&req, &cap) > 0 || !strcmp(resize_status(claim), IN_PROGRESS);
}

static int expand(struct vol_expander *x, json_t *claim)
{
    const char *vn = jpath_str(claim, "spec.volumeName");
    const json_t *req = jpath(claim, "spec.resources.requests.storage");
    const json_t *alloc = jpath(claim, "status.allocatedResources.storage");
    const json_t *size;
    const char *prov, *ref_uid;
    json_t *pv = NULL, *marked = NULL;
    struct kstatus st;
    bool in_progress = !strcmp(resize_status(claim), IN_PROGRESS);
    int rc = 0;

    if (!vn || !*vn || !json_is_string(req))
        return 0;
    pv = informer_get(x->pvs, NULL, vn);
    if (pv) {
        json_t *newest = vol__cache_newest(&x->volumes, vn, pv);
        json_decref(pv);
        pv = newest;
    }
    if (!pv && kclient_get(x->c, RES_PERSISTENTVOLUMES, NULL, vn, &pv, &st) < 0)
        return 0;
    prov = vol__ann(pv, ANN_PROVISIONED_BY);
    ref_uid = jpath_str(pv, "spec.claimRef.uid");
    if (!in_progress)
        vol__eventf(&x->ev_expand, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning",
                    "ExternalExpanding", "waiting for an external controller to expand this PVC");
    if (!prov || strcmp(prov, LOCAL_PATH_PROVISIONER) || !ref_uid ||
        strcmp(ref_uid, vol__uid(claim)))
        goto out; /* no resizer in berth for this volume, or not bound to this claim */

    /* An expansion in progress finishes at the size it started with before a newer request
     * is taken up (expandAndRecover). */
    size = in_progress && json_is_string(alloc) ? alloc : req;
    if (!in_progress || !json_equal(alloc, size)) {
        rc = mark_in_progress(x, claim, size, &marked);
        if (rc < 0)
            goto out;
    } else {
        marked = json_incref(claim);
    }
    vol__eventf(&x->ev, marked, RES_PERSISTENTVOLUMECLAIMS, "Normal", "Resizing",
                "External resizer is resizing volume %s", vol__name(pv));
    rc = grow_volume(x, pv, size);
    if (rc < 0) {
        vol__eventf(&x->ev, marked, RES_PERSISTENTVOLUMECLAIMS, "Warning", "VolumeResizeFailed",
                    "resize volume \"%s\" by resizer \"%s\" failed: %s", vol__name(pv),
                    LOCAL_PATH_PROVISIONER, strerror(-rc));
        goto out;
    }
    rc = mark_finished(x, marked, size);
out:
    json_decref(marked);
    json_decref(pv);
    return rc;
}

int vol__expander_sync(struct vol_expander *x, const char *key)
{
    char *ns, *name;
    json_t *claim;
    int rc = 0;

    key_split(key, &ns, &name);
    claim = informer_get(x->pvcs, ns, name);
    if (claim) {
        json_t *newest = vol__cache_newest(&x->claims, key, claim);
        json_decref(claim);
        claim = newest;
    }
    if (claim && wants_expansion(claim))
        rc = expand(x, claim);
    json_decref(claim);
    free(ns);
    free(name);
    return rc;
}

static int on_key(void *ctx, const char *key)
{
    return vol__expander_sync(ctx, key);
}

static void claim_changed(void *ctx, const json_t *claim)
{
    struct vol_expander *x = ctx;

    if (wants_expansion(claim)) {
        char *key = vol__key(vol__ns(claim), vol__name(claim));
        wq_add(x->q, key);
        free(key);
    }
}

static void on_claim_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    claim_changed(ctx, cur);
}

struct vol_expander *vol__expander_new(const struct ctrl_env *env, bool run)
{
    struct vol_expander *x = xcalloc(1, sizeof(*x));
    const struct informer_handlers ch = {claim_changed, on_claim_update, NULL, x};

    x->c = env->client;
    x->pvs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMES);
    x->pvcs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMECLAIMS);
    vol__events_init(&x->ev, env->client, "external-resizer " LOCAL_PATH_PROVISIONER);
    vol__events_init(&x->ev_expand, env->client, "volume_expand");
    x->ev.keep_log = x->ev_expand.keep_log = !run;
    x->ev_expand.log_into = &x->ev; /* tests read one log, in order */
    vol__cache_init(&x->claims);
    vol__cache_init(&x->volumes);
    x->q = wq_new("volume-expand", NULL);
    informer_add_handlers(x->pvcs, &ch);
    if (run)
        x->loop = ctrl_loop_start("volume-expand", x->q, 1, on_key, x);
    return x;
}

void vol__expander_free(struct vol_expander *x)
{
    if (!x)
        return;
    if (x->loop)
        ctrl_loop_stop(x->loop);
    else
        wq_shutdown(x->q);
    wq_free(x->q);
    vol__events_release(&x->ev);
    vol__events_release(&x->ev_expand);
    vol__cache_release(&x->claims);
    vol__cache_release(&x->volumes);
    free(x);
}

int vol__expander_drain(struct vol_expander *x, int max)
{
    int done = 0;

    while (done < max && wq_len(x->q)) {
        char *key = wq_get(x->q);
        if (!key)
            break;
        on_key(x, key);
        wq_forget(x->q, key);
        wq_done(x->q, key);
        free(key);
        done++;
    }
    return done;
}

struct vol_events *vol__expander_events(struct vol_expander *x)
{
    return &x->ev;
}

static int expand_start(const struct ctrl_env *env, void **state)
{
    *state = vol__expander_new(env, true);
    return 0;
}

static void expand_stop(void *state)
{
    vol__expander_free(state);
}

const struct controller_def volume_expand_controller_def = {
    .name = "volume-expand",
    .start = expand_start,
    .stop = expand_stop,
};
