/* binder.c — the PersistentVolume controller, after upstream's pv_controller.go (its "space
 * shuttle style" comments are the specification; STATEFULSET.md §6 summarises them).
 *
 * A binding is a pointer in each direction, pv.spec.claimRef and pvc.spec.volumeName, written
 * volume first. Nothing is transactional: any write may fail or be interrupted, other actors
 * (users, the scheduler, provisioners) write the same objects, so every sync re-derives what to
 * do from the current state, and every step is safe to repeat.
 *
 * Two queues with one worker each, claims and volumes, as upstream: two concurrent claim syncs
 * could pick the same volume. The API's resourceVersion preconditions make a lost race a
 * conflict, retried with backoff. Unbound claims and released volumes are looked at again by a
 * periodic resync, and a new or freed volume wakes the claims waiting for one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "controllers/volume/internal.h"

struct vol_binder {
    struct kclient *c;
    struct informer *pvs, *pvcs, *classes, *pods;
    struct vol_events ev;
    struct vol_cache volumes; /* key: name */
    struct vol_cache claims;  /* key: namespace/name */
    struct workqueue *claimq, *volumeq;
    struct ctrl_loop *claim_loop, *volume_loop;
    int wake_delay_ms; /* before waking waiting claims (0 in tests: they drain at once) */
};

#define RESYNC_KEY "resync" /* in the claim queue: claim keys always have a slash */

static int sync_claim(struct vol_binder *b, json_t *claim);
static int sync_volume(struct vol_binder *b, json_t *pv);

/* --- reading: the informers, overlaid with what this controller wrote --- */

static json_t *get_claim(struct vol_binder *b, const char *ns, const char *name)
{
    json_t *inf = informer_get(b->pvcs, ns, name);
    char *key = vol__key(ns, name);
    json_t *res = vol__cache_newest(&b->claims, key, inf);

    free(key);
    json_decref(inf);
    return res;
}

static json_t *get_pv(struct vol_binder *b, const char *name)
{
    json_t *inf = informer_get(b->pvs, NULL, name);
    json_t *res = vol__cache_newest(&b->volumes, name, inf);

    json_decref(inf);
    return res;
}

static void add_pvs(json_t ***v, size_t *n, size_t *alloc, json_t **add, size_t nadd)
{
    ALLOC_GROW(*v, *n + nadd, *alloc);
    memcpy(*v + *n, add, nadd * sizeof(*add));
    *n += nadd;
    free(add); /* the references moved into *v */
}

static int cmp_pv_names(const void *a, const void *b)
{
    return strcmp(vol__name(*(json_t *const *)a), vol__name(*(json_t *const *)b));
}

/* The volumes claim can get, newest versions, by name (the order of the informer's list, which
 * decides between volumes of the same size): those its key files in the claimRef index and
 * those with no claimRef, which are all vol__find_matching can accept, and those this
 * controller wrote whose informer copy is behind, as their newest claimRef may differ. *out:
 * array of new references (informer_list_free). */
static size_t candidate_pvs(struct vol_binder *b, const json_t *claim, json_t ***out)
{
    char *key = vol__key(vol__ns(claim), vol__name(claim)), **cached;
    size_t n = 0, alloc = 0, k, ncached;
    json_t **v = NULL, **got;

    k = informer_by_index(b->pvs, VOL_INDEX_CLAIM_REF, key, &got);
    add_pvs(&v, &n, &alloc, got, k);
    k = informer_by_index(b->pvs, VOL_INDEX_CLAIM_REF, "", &got);
    add_pvs(&v, &n, &alloc, got, k);
    free(key);
    ncached = vol__cache_keys(&b->volumes, &cached);
    for (size_t i = 0; i < ncached; i++) {
        json_t *pv = informer_get(b->pvs, NULL, cached[i]);
        if (pv) {
            ALLOC_GROW(v, n + 1, alloc);
            v[n++] = pv;
        }
        free(cached[i]);
    }
    free(cached);

    for (size_t i = 0; i < n; i++) {
        json_t *newest = vol__cache_newest(&b->volumes, vol__name(v[i]), v[i]);
        json_decref(v[i]);
        v[i] = newest; /* never NULL: the informer has the volume */
    }
    if (n)
        qsort(v, n, sizeof(*v), cmp_pv_names);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !strcmp(vol__name(v[k - 1]), vol__name(v[i])))
            json_decref(v[i]); /* a cached volume the index had too */
        else
            v[k++] = v[i];
    }
    *out = v;
    return k;
}

static json_t *get_class(struct vol_binder *b, const char *name)
{
    return *name ? informer_get(b->classes, NULL, name) : NULL;
}

json_t *vol__binder_ref_claim(struct vol_binder *b, const json_t *pv)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *ns = jget_str(ref, "namespace"), *name = jget_str(ref, "name");

    if (!ns || !name)
        return NULL;
    return get_claim(b, ns, name);
}

static bool eq_or_absent(const json_t *a, const json_t *b)
{
    if (!a || json_is_null(a))
        return !b || json_is_null(b);
    return b && json_equal(a, b);
}

/* --- writes --- */

int vol__update_volume_phase(struct vol_binder *b, json_t *pv, const char *phase,
                             const char *message, const char *type, const char *reason,
                             json_t **out)
{
    char now[KTIME_BUFSZ];
    json_t *v, *st;
    int rc;

    if (!strcmp(vol__phase(pv), phase)) {
        if (out)
            *out = json_incref(pv);
        return 0;
    }
    v = json_deep_copy(pv);
    st = jensure_obj(v, "status");
    jset_str(st, "phase", phase);
    if (message && *message)
        jset_str(st, "message", message);
    else
        json_object_del(st, "message");
    /* The API server sets this on a phase change upstream; berth's does not yet, and a value
     * written by the client is kept there, so the controller writes it. */
    jset_str(st, "lastPhaseTransitionTime", ktime_format(ktime_now(), now));
    rc = vol__update(b->c, &b->volumes, RES_PERSISTENTVOLUMES, v, true, out);
    if (rc == 0 && reason)
        vol__eventf(&b->ev, v, RES_PERSISTENTVOLUMES, type, reason, "%s", message);
    json_decref(v);
    if (rc == 0)
        log_info("volume", "volume %s entered phase %s", vol__name(pv), phase);
    return rc;
}

/* updateClaimStatus: phase, and access modes and capacity from the volume (capacity only when
 * the claim becomes Bound: a later difference may be intentional, as during a resize). */
static int update_claim_status(struct vol_binder *b, json_t *claim, const char *phase,
                               const json_t *pv, json_t **out)
{
    bool becomes = strcmp(vol__phase(claim), phase) != 0, dirty = becomes;
    json_t *cl = json_deep_copy(claim), *st = jensure_obj(cl, "status");
    int rc;

    if (becomes)
        jset_str(st, "phase", phase);
    if (!pv) {
        if (jget(st, "accessModes")) {
            json_object_del(st, "accessModes");
            dirty = true;
        }
        if (jget(st, "capacity")) {
            json_object_del(st, "capacity");
            dirty = true;
        }
    } else {
        const json_t *modes = jpath(pv, "spec.accessModes");
        if (!eq_or_absent(jget(st, "accessModes"), modes)) {
            if (modes)
                json_object_set_new(st, "accessModes", json_deep_copy(modes));
            else
                json_object_del(st, "accessModes");
            dirty = true;
        }
        if (becomes) {
            const json_t *vcap = jpath(pv, "spec.capacity.storage");
            const json_t *ccap = jpath(st, "capacity.storage");
            if (!vcap) {
                log_warn("volume", "PersistentVolume \"%s\" is without a storage capacity",
                         vol__name(pv));
                json_decref(cl);
                return -EINVAL;
            }
            struct quantity vq = vol__qty(vcap), cq = vol__qty(ccap);
            if (!ccap || quantity_cmp(&vq, &cq) != 0) {
                json_object_set_new(st, "capacity", json_deep_copy(jpath(pv, "spec.capacity")));
                dirty = true;
            }
        }
    }
    if (!dirty) {
        json_decref(cl);
        if (out)
            *out = json_incref(claim);
        return 0;
    }
    rc = vol__update(b->c, &b->claims, RES_PERSISTENTVOLUMECLAIMS, cl, true, out);
    if (rc == 0 && becomes)
        log_info("volume", "claim %s/%s entered phase %s", vol__ns(claim), vol__name(claim), phase);
    json_decref(cl);
    return rc;
}

/* updateClaimStatusWithEvent: only a phase change writes and records the event. */
static int update_claim_status_event(struct vol_binder *b, json_t *claim, const char *phase,
                                     const char *type, const char *reason, const char *msg)
{
    json_t *nc = NULL;
    int rc;

    if (!strcmp(vol__phase(claim), phase))
        return 0;
    rc = update_claim_status(b, claim, phase, NULL, &nc);
    if (rc < 0)
        return rc;
    vol__eventf(&b->ev, nc, RES_PERSISTENTVOLUMECLAIMS, type, reason, "%s", msg);
    json_decref(nc);
    return 0;
}

/* bindVolumeToClaim (GetBindVolumeToClaim): claimRef with the claim's uid, and
 * bound-by-controller unless the volume was pre-bound to this claim by its creator. */
static int bind_volume_to_claim(struct vol_binder *b, json_t *pv, const json_t *claim, json_t **out)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    bool by_controller = !vol__pv_bound_to_claim(pv, claim), dirty = false;
    json_t *v = json_deep_copy(pv);
    int rc;

    if (!json_is_object(ref) ||
        strcmp(jget_str(ref, "name") ? jget_str(ref, "name") : "", vol__name(claim)) ||
        strcmp(jget_str(ref, "namespace") ? jget_str(ref, "namespace") : "", vol__ns(claim)) ||
        strcmp(jget_str(ref, "uid") ? jget_str(ref, "uid") : "", vol__uid(claim))) {
        json_object_set_new(jensure_obj(v, "spec"), "claimRef", vol__claim_ref(claim));
        dirty = true;
    }
    if (by_controller && !vol__has_ann(v, ANN_BOUND_BY_CONTROLLER)) {
        vol__set_ann(v, ANN_BOUND_BY_CONTROLLER, "yes");
        dirty = true;
    }
    if (!dirty) {
        json_decref(v);
        *out = json_incref(pv);
        return 0;
    }
    log_info("volume", "claim %s/%s bound to volume %s", vol__ns(claim), vol__name(claim),
             vol__name(pv));
    rc = vol__update(b->c, &b->volumes, RES_PERSISTENTVOLUMES, v, false, out);
    json_decref(v);
    return rc;
}

/* bindClaimToVolume: volumeName (bound-by-controller when the controller chose it) and
 * bind-completed. */
static int bind_claim_to_volume(struct vol_binder *b, json_t *claim, const json_t *pv, json_t **out)
{
    const char *vn = jpath_str(claim, "spec.volumeName");
    bool should_bind = !vn || strcmp(vn, vol__name(pv)), dirty = false;
    json_t *cl = json_deep_copy(claim);
    int rc;

    if (should_bind) {
        jset_str(jensure_obj(cl, "spec"), "volumeName", vol__name(pv));
        if (!vol__has_ann(cl, ANN_BOUND_BY_CONTROLLER))
            vol__set_ann(cl, ANN_BOUND_BY_CONTROLLER, "yes");
        dirty = true;
    }
    if (!vol__has_ann(cl, ANN_BIND_COMPLETED)) {
        vol__set_ann(cl, ANN_BIND_COMPLETED, "yes");
        dirty = true;
    }
    if (!dirty) {
        json_decref(cl);
        *out = json_incref(claim);
        return 0;
    }
    rc = vol__update(b->c, &b->claims, RES_PERSISTENTVOLUMECLAIMS, cl, false, out);
    json_decref(cl);
    return rc;
}

/* bind: volume spec, volume status, claim spec, claim status, in that order; stops at the
 * first error (the next sync finishes the job). */
static int bind(struct vol_binder *b, json_t *pv, json_t *claim)
{
    json_t *v1 = NULL, *v2 = NULL, *c1 = NULL, *c2 = NULL;
    int rc;

    rc = bind_volume_to_claim(b, pv, claim, &v1);
    if (rc < 0)
        goto out;
    rc = vol__update_volume_phase(b, v1, "Bound", "", NULL, NULL, &v2);
    if (rc < 0)
        goto out;
    rc = bind_claim_to_volume(b, claim, v2, &c1);
    if (rc < 0)
        goto out;
    rc = update_claim_status(b, c1, "Bound", v2, &c2);
out:
    if (rc < 0)
        log_debug("volume", "binding %s/%s to %s: %d", vol__ns(claim), vol__name(claim),
                  vol__name(pv), rc);
    json_decref(v1);
    json_decref(v2);
    json_decref(c1);
    json_decref(c2);
    return rc;
}

/* unbindVolume: roll a binding back; the controller's own is removed entirely, a user's
 * pre-binding keeps its name and loses only the uid. */
static int unbind_volume(struct vol_binder *b, json_t *pv)
{
    json_t *v = json_deep_copy(pv), *nv = NULL;
    int rc;

    if (vol__has_ann(pv, ANN_BOUND_BY_CONTROLLER)) {
        json_object_del(jensure_obj(v, "spec"), "claimRef");
        vol__del_ann(v, ANN_BOUND_BY_CONTROLLER);
    } else {
        json_object_del(jpath(v, "spec.claimRef"), "uid");
    }
    rc = vol__update(b->c, &b->volumes, RES_PERSISTENTVOLUMES, v, false, &nv);
    json_decref(v);
    if (rc < 0)
        return rc;
    rc = vol__update_volume_phase(b, nv, "Available", "", NULL, NULL, NULL);
    json_decref(nv);
    return rc;
}

/* --- claims --- */

/* IsDelayBindingMode: the claim's class exists and is WaitForFirstConsumer. */
static int is_delay_binding(struct vol_binder *b, const json_t *claim, bool *delay)
{
    json_t *class = get_class(b, vol__claim_class(claim));
    const char *mode;

    *delay = false;
    if (!class)
        return 0;
    mode = jget_str(class, "volumeBindingMode");
    if (!mode) {
        log_warn("volume", "VolumeBindingMode not set for StorageClass \"%s\"", vol__name(class));
        json_decref(class);
        return -EINVAL;
    }
    *delay = !strcmp(mode, "WaitForFirstConsumer");
    json_decref(class);
    return 0;
}

/* emitEventForUnboundDelayBindingClaim */
static void event_delay_binding(struct vol_binder *b, const json_t *claim)
{
    json_t **pods;
    size_t n = informer_list(b->pods, vol__ns(claim), NULL, &pods);
    struct strbuf names = STRBUF_INIT;
    int count = 0;

    for (size_t i = 0; i < n; i++) {
        const char *node = jpath_str(pods[i], "spec.nodeName");
        if (!vol__pod_references_claim(pods[i], vol__name(claim)) || vol__pod_terminated(pods[i]) ||
            (node && *node))
            continue;
        if (count++)
            strbuf_addch(&names, ',');
        strbuf_addstr(&names, vol__name(pods[i]));
    }
    informer_list_free(pods, n);
    if (!count)
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding");
    else
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "WaitForPodScheduled",
                    "waiting for %s %s to be scheduled", count > 1 ? "pods" : "pod", names.buf);
    strbuf_release(&names);
}

/* assignDefaultStorageClass (retroactive default class, GA in 1.28). */
static int assign_default_class(struct vol_binder *b, const json_t *claim, bool *updated)
{
    json_t *class, *cl;
    int rc;

    *updated = false;
    if (vol__claim_has_class(claim))
        return 0;
    class = vol__default_class(b->classes);
    if (!class)
        return 0;
    cl = json_deep_copy(claim);
    jset_str(jensure_obj(cl, "spec"), "storageClassName", vol__name(class));
    rc = vol__update(b->c, &b->claims, RES_PERSISTENTVOLUMECLAIMS, cl, false, NULL);
    if (rc == 0) {
        log_info("volume", "assigned StorageClass %s to claim %s/%s", vol__name(class),
                 vol__ns(claim), vol__name(claim));
        *updated = true;
    }
    json_decref(cl);
    json_decref(class);
    return rc;
}

/* provisionClaim for a provisioner outside the controller (every provisioner is, for berth:
 * the local-path provisioner is a controller of its own): set the provisioner annotations the
 * provisioner waits for, and say so. */
static int provision_claim(struct vol_binder *b, json_t *claim)
{
    const char *cname = vol__claim_class(claim);
    json_t *class = get_class(b, cname), *cl;
    const char *prov, *cur;
    int rc;

    if (!class) {
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                    "storageclass.storage.k8s.io \"%s\" not found", cname);
        return 0;
    }
    prov = jget_str(class, "provisioner");
    if (!prov)
        prov = "";
    if (!strncmp(prov, "kubernetes.io/", 14)) {
        /* berth has no in-tree volume plugins; kubernetes.io/no-provisioner lands here too */
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                    "no volume plugin matched name: %s", prov);
        json_decref(class);
        return 0;
    }
    cur = vol__ann(claim, ANN_STORAGE_PROVISIONER);
    if (!cur || strcmp(cur, prov)) {
        cl = json_deep_copy(claim);
        vol__set_ann(cl, ANN_BETA_STORAGE_PROVISIONER, prov);
        vol__set_ann(cl, ANN_STORAGE_PROVISIONER, prov);
        rc = vol__update(b->c, &b->claims, RES_PERSISTENTVOLUMECLAIMS, cl, false, NULL);
        json_decref(cl);
        if (rc < 0) {
            vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                        "Error saving claim: %s", strerror(-rc));
            json_decref(class);
            return rc;
        }
    }
    vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "ExternalProvisioning",
                "Waiting for a volume to be created either by the external provisioner '%s' or "
                "manually by the system administrator. If volume creation is delayed, please "
                "verify that the provisioner is running and correctly registered.",
                prov);
    json_decref(class);
    return 0;
}

static int sync_unbound_claim(struct vol_binder *b, json_t *claim)
{
    const char *vn = jpath_str(claim, "spec.volumeName");
    json_t *pv;
    int rc;

    if (!vn || !*vn) {
        /* the user did not care which volume they get */
        json_t **pvs, *match;
        bool delay, updated;
        size_t n;

        rc = is_delay_binding(b, claim, &delay);
        if (rc < 0)
            return rc;
        n = candidate_pvs(b, claim, &pvs);
        match = vol__find_best_match(claim, pvs, n, delay);
        if (match) {
            rc = bind(b, match, claim);
            informer_list_free(pvs, n);
            return rc;
        }
        informer_list_free(pvs, n);
        /* no volume: perhaps a default class has appeared since the claim was created */
        rc = assign_default_class(b, claim, &updated);
        if (rc < 0 || updated)
            return rc;
        if (delay && !vol__has_ann(claim, ANN_SELECTED_NODE)) {
            event_delay_binding(b, claim);
        } else if (*vol__claim_class(claim)) {
            return provision_claim(b, claim);
        } else {
            vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "FailedBinding",
                        "no persistent volumes available for this claim and no storage class "
                        "is set");
        }
        return update_claim_status(b, claim, "Pending", NULL, NULL);
    }

    /* the user asked for a specific volume */
    pv = get_pv(b, vn);
    if (!pv)
        return update_claim_status(b, claim, "Pending", NULL, NULL);
    if (!json_is_object(jpath(pv, "spec.claimRef"))) {
        char buf[320];
        const char *why = vol__check_satisfy(pv, claim, buf, sizeof(buf));
        if (why) {
            vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "VolumeMismatch",
                        "Cannot bind to requested volume \"%s\": %s", vn, why);
            rc = update_claim_status(b, claim, "Pending", NULL, NULL);
        } else {
            rc = bind(b, pv, claim);
        }
    } else if (vol__pv_bound_to_claim(pv, claim)) {
        /* the volume points here already: finish the binding (with the uid) */
        rc = bind(b, pv, claim);
    } else if (!vol__has_ann(claim, ANN_BOUND_BY_CONTROLLER)) {
        /* a user's choice, taken by another claim: wait */
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "FailedBinding",
                    "volume \"%s\" already bound to a different claim.", vn);
        rc = update_claim_status(b, claim, "Pending", NULL, NULL);
    } else {
        /* the controller's own choice, taken by another claim: cannot happen unless someone
         * removed bind-completed from this claim */
        vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "FailedBinding",
                    "volume \"%s\" already bound to a different claim.", vn);
        log_warn("volume", "invalid binding of claim %s/%s to volume %s: volume already claimed",
                 vol__ns(claim), vol__name(claim), vn);
        rc = -EINVAL;
    }
    json_decref(pv);
    return rc;
}

static int sync_bound_claim(struct vol_binder *b, json_t *claim)
{
    const char *vn = jpath_str(claim, "spec.volumeName");
    const json_t *ref;
    json_t *pv;
    int rc;

    if (!vn || !*vn)
        return update_claim_status_event(b, claim, "Lost", "Warning", "ClaimLost",
                                         "Bound claim has lost reference to PersistentVolume. "
                                         "Data on the volume is lost!");
    pv = get_pv(b, vn);
    if (!pv)
        return update_claim_status_event(b, claim, "Lost", "Warning", "ClaimLost",
                                         "Bound claim has lost its PersistentVolume. Data on "
                                         "the volume is lost!");
    ref = jpath(pv, "spec.claimRef");
    if (!json_is_object(ref)) {
        /* the volume came unbound, or its update is still on the way: bind again */
        rc = bind(b, pv, claim);
    } else if (jget_str(ref, "uid") && !strcmp(jget_str(ref, "uid"), vol__uid(claim))) {
        rc = bind(b, pv, claim); /* all is well; fills in whatever is missing */
    } else {
        rc = update_claim_status_event(b, claim, "Lost", "Warning", "ClaimMisbound",
                                       "Two claims are bound to the same volume, this one is "
                                       "bound incorrectly");
    }
    json_decref(pv);
    return rc;
}

static int sync_claim(struct vol_binder *b, json_t *claim)
{
    if (!vol__has_ann(claim, ANN_BIND_COMPLETED))
        return sync_unbound_claim(b, claim);
    return sync_bound_claim(b, claim);
}

/* --- volumes --- */

static int sync_volume(struct vol_binder *b, json_t *pv)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *ref_uid, *ref_ns, *ref_name, *vn;
    json_t *claim = NULL, *cur = NULL;
    int rc = 0;

    if (!json_is_object(ref))
        return vol__update_volume_phase(b, pv, "Available", "", NULL, NULL, NULL);
    ref_uid = jget_str(ref, "uid");
    if (!ref_uid || !*ref_uid) {
        /* reserved for a claim that has not been bound yet: the claim's sync does that */
        return vol__update_volume_phase(b, pv, "Available", "", NULL, NULL, NULL);
    }
    ref_ns = jget_str(ref, "namespace") ? jget_str(ref, "namespace") : "";
    ref_name = jget_str(ref, "name") ? jget_str(ref, "name") : "";
    claim = get_claim(b, ref_ns, ref_name);
    if (!claim && strcmp(vol__phase(pv), "Released") && strcmp(vol__phase(pv), "Failed")) {
        /* A volume created by a provisioner or bound by the scheduler may arrive before its
         * claim reaches the informer: ask the API server before releasing it. */
        struct kstatus st;
        rc = kclient_get(b->c, RES_PERSISTENTVOLUMECLAIMS, ref_ns, ref_name, &claim, &st);
        if (rc < 0 && rc != -ENOENT)
            return rc;
        rc = 0;
    }
    if (claim && strcmp(vol__uid(claim), ref_uid)) {
        /* the claim was deleted and created again, or the cache is behind: look again */
        struct kstatus st;
        json_decref(claim);
        claim = NULL;
        rc = kclient_get(b->c, RES_PERSISTENTVOLUMECLAIMS, ref_ns, ref_name, &claim, &st);
        if (rc < 0 && rc != -ENOENT)
            return rc;
        rc = 0;
        if (claim && strcmp(vol__uid(claim), ref_uid)) {
            json_decref(claim);
            claim = NULL;
        }
    }

    if (!claim) {
        /* The claim is gone: released, then the reclaim policy. A Failed phase is kept so
         * the user sees what went wrong while reclaiming is retried. */
        if (strcmp(vol__phase(pv), "Released") && strcmp(vol__phase(pv), "Failed")) {
            log_info("volume", "volume %s is released and reclaim policy %s will be executed",
                     vol__name(pv),
                     jpath_str(pv, "spec.persistentVolumeReclaimPolicy")
                         ? jpath_str(pv, "spec.persistentVolumeReclaimPolicy")
                         : "Retain");
            rc = vol__update_volume_phase(b, pv, "Released", "", NULL, NULL, &cur);
            if (rc < 0)
                return rc;
        } else {
            cur = json_incref(pv);
        }
        rc = vol__reclaim_volume(b, cur);
        json_decref(cur);
        return rc;
    }

    vn = jpath_str(claim, "spec.volumeName");
    if (!vn || !*vn) {
        if (vol__volume_mode_mismatch(claim, pv)) {
            vol__eventf(&b->ev, pv, RES_PERSISTENTVOLUMES, "Warning", "VolumeMismatch",
                        "Cannot bind PersistentVolume to requested PersistentVolumeClaim \"%s\" "
                        "due to incompatible volumeMode.",
                        vol__name(claim));
            vol__eventf(&b->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "VolumeMismatch",
                        "Cannot bind PersistentVolume \"%s\" to requested PersistentVolumeClaim "
                        "due to incompatible volumeMode.",
                        vol__name(pv));
        } else {
            /* Half-bound (by this controller, by the scheduler or a provisioner, or a user's
             * dangling volume): the claim's sync completes it, soon. */
            char *key = vol__key(ref_ns, ref_name);
            wq_add(b->claimq, key);
            free(key);
        }
    } else if (!strcmp(vn, vol__name(pv))) {
        rc = vol__update_volume_phase(b, pv, "Bound", "", NULL, NULL, NULL);
    } else if (vol__has_ann(pv, ANN_PROVISIONED_BY) &&
               !strcmp(jpath_str(pv, "spec.persistentVolumeReclaimPolicy")
                           ? jpath_str(pv, "spec.persistentVolumeReclaimPolicy")
                           : "",
                       "Delete")) {
        /* provisioned for this claim, which got bound elsewhere: not needed any more */
        if (strcmp(vol__phase(pv), "Released") && strcmp(vol__phase(pv), "Failed")) {
            rc = vol__update_volume_phase(b, pv, "Released", "", NULL, NULL, &cur);
            if (rc < 0)
                goto out;
        } else {
            cur = json_incref(pv);
        }
        rc = vol__reclaim_volume(b, cur);
        json_decref(cur);
    } else {
        /* bound to a claim that is bound elsewhere: the controller's binding is undone, a
         * user's pre-binding only loses the uid */
        rc = unbind_volume(b, pv);
    }
out:
    json_decref(claim);
    return rc;
}

/* --- keys --- */

int vol__binder_sync_claim(struct vol_binder *b, const char *key)
{
    char *ns, *name;
    json_t *claim;
    int rc = 0;

    key_split(key, &ns, &name);
    claim = get_claim(b, ns, name);
    if (claim) {
        rc = sync_claim(b, claim);
        json_decref(claim);
    }
    free(ns);
    free(name);
    return rc;
}

int vol__binder_sync_volume(struct vol_binder *b, const char *key)
{
    json_t *pv = get_pv(b, key);
    int rc = 0;

    if (pv) {
        rc = sync_volume(b, pv);
        json_decref(pv);
    }
    return rc;
}

static void resync(struct vol_binder *b)
{
    json_t **items;
    size_t n;

    n = informer_list(b->pvcs, NULL, NULL, &items);
    for (size_t i = 0; i < n; i++) {
        char *key = vol__key(vol__ns(items[i]), vol__name(items[i]));
        wq_add(b->claimq, key);
        free(key);
    }
    informer_list_free(items, n);
    n = informer_list(b->pvs, NULL, NULL, &items);
    for (size_t i = 0; i < n; i++)
        wq_add(b->volumeq, vol__name(items[i]));
    informer_list_free(items, n);
}

static int on_claim_key(void *ctx, const char *key)
{
    struct vol_binder *b = ctx;

    if (!strcmp(key, RESYNC_KEY)) {
        resync(b);
        wq_add_after(b->claimq, RESYNC_KEY, VOL_RESYNC_MS);
        return 0;
    }
    return vol__binder_sync_claim(b, key);
}

static int on_volume_key(void *ctx, const char *key)
{
    return vol__binder_sync_volume(ctx, key);
}

/* --- informer handlers: only enqueue --- */

static bool claim_unbound(const json_t *claim)
{
    const char *vn = jpath_str(claim, "spec.volumeName");
    return !vol__has_ann(claim, ANN_BIND_COMPLETED) && (!vn || !*vn);
}

/* Claims waiting for a volume, woken when one may have become usable, so that binding does not
 * wait for the resync: those that ask for no particular volume, and those that name pv_name
 * (NULL: none). only_unclassed: only claims without a class (a default class appeared).
 * The wake-up waits a moment, so that volumes created together (one `kubectl apply`) are all
 * there to choose from, as they would be at upstream's resync. */
static void enqueue_waiting_claims(struct vol_binder *b, const char *pv_name, bool only_unclassed)
{
    json_t **items;
    size_t n = informer_list(b->pvcs, NULL, NULL, &items);

    for (size_t i = 0; i < n; i++) {
        const char *vn = jpath_str(items[i], "spec.volumeName");
        bool wants = claim_unbound(items[i]) || (pv_name && vn && !strcmp(vn, pv_name) &&
                                                 !vol__has_ann(items[i], ANN_BIND_COMPLETED));
        if (!wants || (only_unclassed && vol__claim_has_class(items[i])))
            continue;
        char *key = vol__key(vol__ns(items[i]), vol__name(items[i]));
        if (b->wake_delay_ms)
            wq_add_after(b->claimq, key, b->wake_delay_ms);
        else
            wq_add(b->claimq, key);
        free(key);
    }
    informer_list_free(items, n);
}

static bool pv_offered(const json_t *pv)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *uid = jget_str(ref, "uid");

    return !vol__deleting(pv) && (!json_is_object(ref) || !uid || !*uid);
}

static void enqueue_ref(struct vol_binder *b, const json_t *ref)
{
    char *key = vol__key(jget_str(ref, "namespace") ? jget_str(ref, "namespace") : "",
                         jget_str(ref, "name") ? jget_str(ref, "name") : "");
    wq_add(b->claimq, key);
    free(key);
}

static void pv_changed(struct vol_binder *b, const json_t *old, const json_t *pv)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const json_t *old_ref = old ? jpath(old, "spec.claimRef") : NULL;

    wq_add(b->volumeq, vol__name(pv));
    /* pre-bound, or bound by the scheduler or a provisioner: that claim's turn; a claim whose
     * volume lost its claimRef must bind it again */
    if (json_is_object(ref))
        enqueue_ref(b, ref);
    if (json_is_object(old_ref) && !json_equal((json_t *)old_ref, (json_t *)ref))
        enqueue_ref(b, old_ref);
    /* a volume free for anyone: new, or newly Available */
    if (!json_is_object(ref) && pv_offered(pv) && !strcmp(vol__phase(pv), "Available") &&
        (!old || strcmp(vol__phase(old), "Available") || json_is_object(old_ref)))
        enqueue_waiting_claims(b, vol__name(pv), false);
}

static void on_pv_add(void *ctx, const json_t *pv)
{
    pv_changed(ctx, NULL, pv);
}

static void on_pv_update(void *ctx, const json_t *old, const json_t *cur)
{
    pv_changed(ctx, old, cur);
}

static void on_pv_delete(void *ctx, const json_t *pv)
{
    struct vol_binder *b = ctx;
    const json_t *ref = jpath(pv, "spec.claimRef");

    vol__cache_forget(&b->volumes, vol__name(pv));
    if (json_is_object(ref))
        enqueue_ref(b, ref);
}

static void claim_changed(struct vol_binder *b, const json_t *claim)
{
    char *key = vol__key(vol__ns(claim), vol__name(claim));

    wq_add(b->claimq, key);
    free(key);
}

static void on_claim_add(void *ctx, const json_t *claim)
{
    claim_changed(ctx, claim);
}

static void on_claim_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    claim_changed(ctx, cur);
}

static void on_claim_delete(void *ctx, const json_t *claim)
{
    struct vol_binder *b = ctx;
    const char *vn = jpath_str(claim, "spec.volumeName");
    char *key = vol__key(vol__ns(claim), vol__name(claim));
    json_t **pvs;
    size_t n;

    vol__cache_forget(&b->claims, key);
    if (vn && *vn)
        wq_add(b->volumeq, vn);
    /* and any volume half-bound to it (a claimRef with its uid names it, too) */
    n = informer_by_index(b->pvs, VOL_INDEX_CLAIM_REF, key, &pvs);
    free(key);
    for (size_t i = 0; i < n; i++) {
        const char *uid = jpath_str(pvs[i], "spec.claimRef.uid");
        if (uid && !strcmp(uid, vol__uid(claim)))
            wq_add(b->volumeq, vol__name(pvs[i]));
    }
    informer_list_free(pvs, n);
}

static void class_changed(struct vol_binder *b, const json_t *class)
{
    const char *d = vol__ann(class, ANN_DEFAULT_CLASS);
    const char *bd = vol__ann(class, ANN_BETA_DEFAULT_CLASS);

    if ((d && !strcmp(d, "true")) || (bd && !strcmp(bd, "true")))
        enqueue_waiting_claims(b, NULL, true);
}

static void on_class_add(void *ctx, const json_t *class)
{
    class_changed(ctx, class);
}

static void on_class_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    class_changed(ctx, cur);
}

/* --- lifecycle --- */

struct vol_binder *vol__binder_new(const struct ctrl_env *env, bool run)
{
    struct vol_binder *b = xcalloc(1, sizeof(*b));
    const struct informer_handlers pvh = {on_pv_add, on_pv_update, on_pv_delete, b};
    const struct informer_handlers pvch = {on_claim_add, on_claim_update, on_claim_delete, b};
    const struct informer_handlers sch = {on_class_add, on_class_update, NULL, b};

    b->c = env->client;
    b->pvs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMES);
    b->pvcs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMECLAIMS);
    b->classes = informer_factory_get(env->informers, RES_STORAGECLASSES);
    b->pods = informer_factory_get(env->informers, RES_PODS);
    informer_add_index(b->pvs, VOL_INDEX_CLAIM_REF, vol_index_claim_ref);
    vol__events_init(&b->ev, env->client, "persistentvolume-controller");
    b->ev.keep_log = !run;
    b->wake_delay_ms = run ? 500 : 0;
    vol__cache_init(&b->volumes);
    vol__cache_init(&b->claims);
    b->claimq = wq_new("claims", NULL);
    b->volumeq = wq_new("volumes", NULL);
    informer_add_handlers(b->pvs, &pvh);
    informer_add_handlers(b->pvcs, &pvch);
    informer_add_handlers(b->classes, &sch);
    if (run) {
        b->claim_loop = ctrl_loop_start("pv-binder-claims", b->claimq, 1, on_claim_key, b);
        b->volume_loop = ctrl_loop_start("pv-binder-volumes", b->volumeq, 1, on_volume_key, b);
        wq_add_after(b->claimq, RESYNC_KEY, VOL_RESYNC_MS);
    }
    return b;
}

void vol__binder_free(struct vol_binder *b)
{
    if (!b)
        return;
    if (b->claim_loop)
        ctrl_loop_stop(b->claim_loop);
    else
        wq_shutdown(b->claimq);
    if (b->volume_loop)
        ctrl_loop_stop(b->volume_loop);
    else
        wq_shutdown(b->volumeq);
    wq_free(b->claimq);
    wq_free(b->volumeq);
    vol__events_release(&b->ev);
    vol__cache_release(&b->volumes);
    vol__cache_release(&b->claims);
    free(b);
}

static int drain_one(struct workqueue *q, int (*fn)(void *, const char *), void *ctx)
{
    char *key;

    if (!wq_len(q))
        return 0;
    key = wq_get(q);
    if (!key)
        return 0;
    fn(ctx, key);
    wq_forget(q, key);
    wq_done(q, key);
    free(key);
    return 1;
}

int vol__binder_drain(struct vol_binder *b, int max)
{
    int done = 0;

    while (done < max) {
        int k = drain_one(b->claimq, on_claim_key, b);
        if (!k)
            k = drain_one(b->volumeq, on_volume_key, b);
        if (!k)
            break;
        done += k;
    }
    return done;
}

struct vol_events *vol__binder_events(struct vol_binder *b)
{
    return &b->ev;
}

struct kclient *vol__binder_client(struct vol_binder *b)
{
    return b->c;
}

struct informer *vol__binder_claims(struct vol_binder *b)
{
    return b->pvcs;
}

struct informer *vol__binder_pods(struct vol_binder *b)
{
    return b->pods;
}

struct vol_cache *vol__binder_volume_cache(struct vol_binder *b)
{
    return &b->volumes;
}

static int binder_start(const struct ctrl_env *env, void **state)
{
    *state = vol__binder_new(env, true);
    return 0;
}

static void binder_stop(void *state)
{
    vol__binder_free(state);
}

const struct controller_def volume_binder_controller_def = {
    .name = "persistentvolume-binder",
    .start = binder_start,
    .stop = binder_stop,
};
