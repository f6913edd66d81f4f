/* protection.c — the storage object in-use protection finalizers, after upstream's
 * pvc_protection_controller.go and pv_protection_controller.go.
 *
 * kubernetes.io/pvc-protection is on every claim that is not being deleted (upstream's
 * admission plugin adds it at creation; berth's server has no such plugin, so this controller
 * adds it, as upstream's does for claims created without it). A claim being deleted keeps it
 * while a pod uses the claim: a pod scheduled to a node that names the claim in its volumes and
 * is not terminated (phase Succeeded or Failed, or deleted with nothing running). Before
 * letting go, the pods of the namespace are listed live, since the informer may not have seen a
 * pod created a moment ago.
 *
 * kubernetes.io/pv-protection is on every volume not being deleted; a volume being deleted keeps
 * it while it is Bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "controllers/volume/internal.h"

struct vol_protection {
    struct kclient *c;
    struct informer *pvs, *pvcs, *pods;
    struct workqueue *q;
    struct ctrl_loop *loop;
};

/* podIsShutDown: the kubelet is done with the pod (deleted with a zero grace period) */
static bool pod_shut_down(const json_t *pod)
{
    const json_t *g = jpath(pod, "metadata.deletionGracePeriodSeconds");
    return vol__deleting(pod) && json_is_integer(g) && json_integer_value(g) == 0;
}

static bool pod_uses_claim(const json_t *pod, const char *claim)
{
    const char *node = jpath_str(pod, "spec.nodeName");

    /* Only scheduled pods count: the kubelet refuses to start a pod whose claim is being
     * deleted, so an unscheduled one will never use it. */
    if (!node || !*node)
        return false;
    if (vol__pod_terminated(pod) || pod_shut_down(pod))
        return false;
    return vol__pod_references_claim(pod, claim);
}

static int claim_in_use(struct vol_protection *p, const char *ns, const char *name, bool *used)
{
    json_t **pods, *list = NULL;
    struct kstatus st;
    size_t n, i;
    json_t *pod;
    int rc;

    *used = false;
    n = informer_list(p->pods, ns, NULL, &pods);
    for (i = 0; i < n && !*used; i++)
        *used = pod_uses_claim(pods[i], name);
    informer_list_free(pods, n);
    if (*used)
        return 0;
    rc = kclient_list(p->c, RES_PODS, ns, NULL, &list, &st);
    if (rc < 0)
        return rc;
    json_array_foreach(jget_arr(list, "items"), i, pod)
    {
        if (pod_uses_claim(pod, name)) {
            *used = true;
            break;
        }
    }
    json_decref(list);
    return 0;
}

static int write_finalizer(struct vol_protection *p, enum res_id r, const json_t *obj,
                           const char *f, bool add)
{
    json_t *o = json_deep_copy(obj);
    int rc;

    if (add)
        vol__add_finalizer(o, f);
    else
        vol__remove_finalizer(o, f);
    rc = vol__update(p->c, NULL, r, o, false, NULL);
    if (rc == 0)
        log_info("volume", "%s protection finalizer %s %s%s%s", add ? "added" : "removed",
                 add ? "to" : "from", vol__ns(obj), *vol__ns(obj) ? "/" : "", vol__name(obj));
    json_decref(o);
    return rc == -ENOENT ? 0 : rc;
}

static int process_claim(struct vol_protection *p, const char *ns, const char *name)
{
    json_t *claim = informer_get(p->pvcs, ns, name);
    bool used;
    int rc = 0;

    if (!claim)
        return 0;
    if (vol__deleting(claim)) {
        if (vol__has_finalizer(claim, FINALIZER_PVC_PROTECTION)) {
            rc = claim_in_use(p, ns, name, &used);
            if (rc == 0 && !used)
                rc = write_finalizer(p, RES_PERSISTENTVOLUMECLAIMS, claim, FINALIZER_PVC_PROTECTION,
                                     false);
            else if (rc == 0)
                log_debug("volume", "keeping claim %s/%s: it is being used", ns, name);
        }
    } else if (!vol__has_finalizer(claim, FINALIZER_PVC_PROTECTION)) {
        rc = write_finalizer(p, RES_PERSISTENTVOLUMECLAIMS, claim, FINALIZER_PVC_PROTECTION, true);
    }
    json_decref(claim);
    return rc;
}

static int process_volume(struct vol_protection *p, const char *name)
{
    json_t *pv = informer_get(p->pvs, NULL, name);
    int rc = 0;

    if (!pv)
        return 0;
    if (vol__deleting(pv)) {
        if (vol__has_finalizer(pv, FINALIZER_PV_PROTECTION) && strcmp(vol__phase(pv), "Bound"))
            rc = write_finalizer(p, RES_PERSISTENTVOLUMES, pv, FINALIZER_PV_PROTECTION, false);
    } else if (!vol__has_finalizer(pv, FINALIZER_PV_PROTECTION)) {
        rc = write_finalizer(p, RES_PERSISTENTVOLUMES, pv, FINALIZER_PV_PROTECTION, true);
    }
    json_decref(pv);
    return rc;
}

int vol__protection_sync(struct vol_protection *p, const char *key)
{
    int rc = 0;

    if (!strncmp(key, "pvc:", 4)) {
        char *ns, *name;
        key_split(key + 4, &ns, &name);
        rc = process_claim(p, ns, name);
        free(ns);
        free(name);
    } else if (!strncmp(key, "pv:", 3)) {
        rc = process_volume(p, key + 3);
    }
    return rc;
}

static int on_key(void *ctx, const char *key)
{
    return vol__protection_sync(ctx, key);
}

/* --- handlers --- */

static bool needs_work(const json_t *obj, const char *f)
{
    /* NeedToAddFinalizer or IsDeletionCandidate */
    return vol__deleting(obj) == vol__has_finalizer(obj, f);
}

static void enqueue_claim(struct vol_protection *p, const char *ns, const char *name)
{
    char *key = xasprintf("pvc:%s/%s", ns, name);
    wq_add(p->q, key);
    free(key);
}

static void claim_changed(void *ctx, const json_t *claim)
{
    if (needs_work(claim, FINALIZER_PVC_PROTECTION))
        enqueue_claim(ctx, vol__ns(claim), vol__name(claim));
}

static void on_claim_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    claim_changed(ctx, cur);
}

static void volume_changed(void *ctx, const json_t *pv)
{
    struct vol_protection *p = ctx;

    if (needs_work(pv, FINALIZER_PV_PROTECTION)) {
        char *key = xasprintf("pv:%s", vol__name(pv));
        wq_add(p->q, key);
        free(key);
    }
}

static void on_volume_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    volume_changed(ctx, cur);
}

/* enqueuePVCs: a pod that can no longer hold its claims (gone, terminated, or never
 * scheduled) may be what a claim being deleted waits for. */
static void pod_claims(struct vol_protection *p, const json_t *pod, bool deleted)
{
    const char *node = jpath_str(pod, "spec.nodeName");
    size_t i;
    json_t *v;

    if (!deleted && !vol__pod_terminated(pod) && !pod_shut_down(pod) && node && *node)
        return;
    json_array_foreach(jpath(pod, "spec.volumes"), i, v)
    {
        const char *cn = jpath_str(v, "persistentVolumeClaim.claimName");
        if (cn) {
            enqueue_claim(p, vol__ns(pod), cn);
        } else if (jget(v, "ephemeral")) {
            char *eph =
                xasprintf("%s-%s", vol__name(pod), jget_str(v, "name") ? jget_str(v, "name") : "");
            enqueue_claim(p, vol__ns(pod), eph);
            free(eph);
        }
    }
}

static void on_pod_add(void *ctx, const json_t *pod)
{
    pod_claims(ctx, pod, false);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *cur)
{
    pod_claims(ctx, cur, false);
    /* an update may hide the deletion of a pod and the creation of another of that name */
    if (old && strcmp(vol__uid(old), vol__uid(cur)))
        pod_claims(ctx, old, true);
}

static void on_pod_delete(void *ctx, const json_t *pod)
{
    pod_claims(ctx, pod, true);
}

/* --- lifecycle --- */

struct vol_protection *vol__protection_new(const struct ctrl_env *env, bool run)
{
    struct vol_protection *p = xcalloc(1, sizeof(*p));
    const struct informer_handlers ch = {claim_changed, on_claim_update, NULL, p};
    const struct informer_handlers vh = {volume_changed, on_volume_update, NULL, p};
    const struct informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, p};

    p->c = env->client;
    p->pvs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMES);
    p->pvcs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMECLAIMS);
    p->pods = informer_factory_get(env->informers, RES_PODS);
    p->q = wq_new("volume-protection", NULL);
    informer_add_handlers(p->pvcs, &ch);
    informer_add_handlers(p->pvs, &vh);
    informer_add_handlers(p->pods, &ph);
    if (run)
        p->loop = ctrl_loop_start("volume-protection", p->q, 1, on_key, p);
    return p;
}

void vol__protection_free(struct vol_protection *p)
{
    if (!p)
        return;
    if (p->loop)
        ctrl_loop_stop(p->loop);
    else
        wq_shutdown(p->q);
    wq_free(p->q);
    free(p);
}

int vol__protection_drain(struct vol_protection *p, int max)
{
    int done = 0;

    while (done < max && wq_len(p->q)) {
        char *key = wq_get(p->q);
        if (!key)
            break;
        on_key(p, key);
        wq_forget(p->q, key);
        wq_done(p->q, key);
        free(key);
        done++;
    }
    return done;
}

static int protection_start(const struct ctrl_env *env, void **state)
{
    *state = vol__protection_new(env, true);
    return 0;
}

static void protection_stop(void *state)
{
    vol__protection_free(state);
}

const struct controller_def volume_protection_controller_def = {
    .name = "volume-protection",
    .start = protection_start,
    .stop = protection_stop,
};
