/* statefulset.c — the StatefulSet controller: informers and handlers that turn events into
 * keys, the sync of one key, and sts_update, the reconcile skeleton (upstream
 * StatefulSetController and defaultStatefulSetControl.UpdateStatefulSet; STATEFULSET.md §1.3).
 *
 * Handlers only enqueue "namespace/name" keys: a pod's event goes to the set its controller
 * reference names (checked by UID), an orphan's to every set whose selector matches it. A sync
 * reads the caches, writes through the client, and is safe to repeat: there are no
 * "expectations" (as upstream), so a cache that lags behind our own writes only costs an
 * AlreadyExists and a retry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/statefulset/internal.h"

#define SUBSYS "statefulset"
#define WORKERS 5 /* upstream ConcurrentStatefulSetSyncs */
#define BATCH_THREADS 16
/* Pacing of pod- and claim-triggered syncs (workqueue.h): at most a fifth of a core on one
 * set, resynced at least once a second while its pods change. */
#define PACING_FACTOR 4
#define PACING_MAX_MS 1000

/* --- errors and events --- */

void sts__errf(struct sts_err *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

void sts__err_client(struct sts_err *e, int rc, const struct kstatus *st)
{
    if (st && st->message[0])
        sts__errf(e, "%s", st->message);
    else
        sts__errf(e, "%s", strerror(rc < 0 ? -rc : rc));
}

void sts__event(struct sts_control *ctl, const json_t *set, const char *type, const char *reason,
                const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    json_t *ref;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctl->on_event)
        ctl->on_event(ctl->event_ctx, set, type, reason, msg);
    if (!ctl->recorder)
        return;
    /* list items may come without kind and apiVersion: name the set explicitly */
    ref = json_pack("{s:s,s:s,s:{s:s?,s:s?,s:s?,s:s?}}", "apiVersion", "apps/v1", "kind",
                    "StatefulSet", "metadata", "name", jpath_str(set, "metadata.name"), "namespace",
                    jpath_str(set, "metadata.namespace"), "uid", jpath_str(set, "metadata.uid"),
                    "resourceVersion", jpath_str(set, "metadata.resourceVersion"));
    recorder_eventf(ctl->recorder, ref, type, reason, "%s", msg);
    json_decref(ref);
}

/* --- the reconcile skeleton --- */

static int cmp_desc_ordinal(const void *pa, const void *pb)
{
    int a = sts__ordinal(*(json_t *const *)pa), b = sts__ordinal(*(json_t *const *)pb);
    return a > b ? -1 : a < b;
}

static void run_release(struct sts_run *r)
{
    for (int i = 0; r->replicas_v && i < r->replicas; i++)
        json_decref(r->replicas_v[i]);
    for (size_t i = 0; i < r->ncondemned; i++)
        json_decref(r->condemned[i]);
    free(r->replicas_v);
    free(r->condemned);
    free(r->facts);
    json_decref(r->cur_set);
    json_decref(r->upd_set);
    json_decref(r->cur_rev);
    json_decref(r->upd_rev);
    json_decref(r->claims);
    pthread_mutex_destroy(&r->mu);
    sts__status_release(&r->status);
}

/* Split the pods into the in-range replicas (placeholders where missing) and the condemned,
 * and find the first unavailable pod (in-range first, then condemned from the lowest). */
static void partition_pods(struct sts_run *r, json_t *const *pods, size_t npods)
{
    r->replicas_v = xcalloc((size_t)r->replicas + 1, sizeof(*r->replicas_v));
    r->condemned = xcalloc(npods + 1, sizeof(*r->condemned));
    for (size_t i = 0; i < npods; i++) {
        int ord = sts__ordinal(pods[i]);
        if (ord >= r->start && ord < r->start + r->replicas) {
            if (!r->replicas_v[ord - r->start])
                r->replicas_v[ord - r->start] = json_incref(pods[i]);
        } else if (ord >= 0) {
            r->condemned[r->ncondemned++] = json_incref(pods[i]);
        }
    }
    for (int i = 0; i < r->replicas; i++)
        if (!r->replicas_v[i])
            r->replicas_v[i] = sts__new_versioned_pod(r->cur_set, r->upd_set, r->cur_name,
                                                      r->upd_name, r->start + i);
    if (r->ncondemned > 1)
        qsort(r->condemned, r->ncondemned, sizeof(*r->condemned), cmp_desc_ordinal);
    for (int i = 0; i < r->replicas && !r->first_unavailable; i++) {
        struct sts_facts tmp;
        if (sts__facts(r, r->replicas_v[i], &tmp)->unavailable)
            r->first_unavailable = r->replicas_v[i];
    }
    for (size_t i = r->ncondemned; i > 0 && !r->first_unavailable; i--) {
        struct sts_facts tmp;
        if (sts__facts(r, r->condemned[i - 1], &tmp)->unavailable)
            r->first_unavailable = r->condemned[i - 1];
    }
}

static void recount(struct sts_run *r)
{
    sts__count(r, r->replicas_v, (size_t)r->replicas, true);
    sts__count(r, r->condemned, r->ncondemned, false);
}

static bool is_on_delete(const json_t *set)
{
    const char *t = jpath_str(set, "spec.updateStrategy.type");
    return t && !strcmp(t, "OnDelete");
}

static bool is_deleting(const json_t *obj)
{
    const json_t *dt = jpath(obj, "metadata.deletionTimestamp");
    return dt && !json_is_null(dt);
}

int sts_update(struct sts_control *ctl, const json_t *set, json_t *const *pods, size_t npods,
               json_t *const *revisions, size_t nrevisions, json_t *const *claims, size_t nclaims,
               json_t **status_out)
{
    struct sts_run r = {0};
    struct sts_err e = {{0}}, se = {{0}}, he = {{0}}, xe = {{0}};
    json_t **revs = xcalloc(nrevisions + 1, sizeof(*revs));
    const char *policy = jpath_str(set, "spec.podManagementPolicy");
    int rc = 0, src = 0, hrc, xrc = 0;
    bool stop;

    if (status_out)
        *status_out = NULL;
    r.ctl = ctl;
    r.set = set;
    r.ns = jpath_str(set, "metadata.namespace");
    r.name = jpath_str(set, "metadata.name");
    r.uid = jpath_str(set, "metadata.uid");
    r.start = sts__start_ordinal(set);
    r.replicas = sts__replicas(set);
    if (r.replicas < 0)
        r.replicas = 0;
    r.min_ready = (int)jpath_int(set, "spec.minReadySeconds", 0);
    r.monotonic = !(policy && !strcmp(policy, "Parallel"));
    r.now = ctl->now ? ctl->now : time(NULL);
    r.claims = json_object();
    pthread_mutex_init(&r.mu, NULL);
    for (size_t i = 0; i < nclaims; i++) {
        const char *nm = jpath_str(claims[i], "metadata.name");
        if (nm)
            json_object_set(r.claims, nm, claims[i]);
    }
    for (size_t i = 0; i < nrevisions; i++)
        revs[i] = revisions[i];
    sts__sort_revisions(revs, nrevisions);

    rc = sts__get_revisions(&r, revs, nrevisions, &e);
    if (rc < 0)
        goto truncate;
    r.cur_set = sts__apply_revision(set, r.cur_rev);
    r.upd_set = sts__apply_revision(set, r.upd_rev);
    if (!r.cur_set || !r.upd_set) {
        sts__errf(&e, "cannot apply the revisions of StatefulSet %s/%s", r.ns, r.name);
        rc = -EINVAL;
        goto truncate;
    }
    r.status.observed_generation = jpath_int(set, "metadata.generation", 0);
    r.status.current_revision = xstrdup(r.cur_name);
    r.status.update_revision = xstrdup(r.upd_name);
    r.status.collision_count = r.collision_count;
    sts__facts_add(&r, pods, npods);
    sts__count(&r, pods, npods, true);
    partition_pods(&r, pods, npods);

    if (is_deleting(set))
        goto status; /* the garbage collector removes the pods */
    xrc = sts__expand_claims(&r, &xe);
    rc = sts__scale(&r, &stop, &e);
    recount(&r);
    if (stop || rc < 0)
        goto status;
    /* OnDelete: pods take the update revision only when someone deletes them */
    if (!is_on_delete(set))
        rc = sts__rolling_update(&r, &e);
status:
    src = sts__write_status(&r, &se);
    if (src < 0)
        log_warn(SUBSYS, "could not update status of %s/%s: %s", r.ns, r.name, se.msg);
    if (status_out)
        *status_out = sts__status_json(&r.status);
truncate:
    hrc = sts__truncate_history(&r, pods, npods, revs, nrevisions, &he);
    if (rc < 0)
        log_info(SUBSYS, "sync of %s/%s: %s", r.ns, r.name, e.msg);
    if (xrc < 0)
        log_info(SUBSYS, "expanding claims of %s/%s: %s", r.ns, r.name, xe.msg);
    if (hrc < 0)
        log_info(SUBSYS, "truncating history of %s/%s: %s", r.ns, r.name, he.msg);
    if (!rc)
        rc = src;
    if (!rc)
        rc = xrc;
    if (!rc)
        rc = hrc;
    free(revs);
    run_release(&r);
    return rc;
}

/* --- the controller --- */

/* What the informers' handlers hold. The manager stops the shared informers before the
 * controllers, but a handler still running while the controller stops must not reach a freed
 * queue: handlers take the read lock for their whole run and stop takes the write lock, after
 * which handlers find the controller gone. */
struct sts_handle {
    pthread_rwlock_t lk;
    bool stopped;
    struct sts_controller *c;
};

struct sts_controller {
    struct sts_control ctl;
    struct kclient *client;
    struct informer *sets, *pods, *revs, *claims;
    struct workqueue *q;
    struct ctrl_loop *loop;
    struct sts_handle *h;
};

static struct sts_controller *handler_enter(void *ctx)
{
    struct sts_handle *h = ctx;

    pthread_rwlock_rdlock(&h->lk);
    if (h->stopped) {
        pthread_rwlock_unlock(&h->lk);
        return NULL;
    }
    return h->c;
}

static void handler_leave(void *ctx)
{
    pthread_rwlock_unlock(&((struct sts_handle *)ctx)->lk);
}

static void enqueue_obj(struct sts_controller *c, const json_t *set)
{
    char *key = obj_key(set);
    wq_add(c->q, key);
    free(key);
}

/* A pod's or a claim's change: paced, as a set of many replicas sees a stream of them (its
 * sync grows with its replicas); the set's own changes go at once. */
static void enqueue_paced(struct sts_controller *c, const json_t *set)
{
    char *key = obj_key(set);
    wq_add_paced(c->q, key);
    free(key);
}

static void enqueue_after(struct sts_controller *c, const json_t *set, int ms)
{
    char *key = obj_key(set);
    wq_add_after(c->q, key, ms);
    free(key);
}

static bool json_eq_or_null(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal(a, b);
}

static void on_set_add_(struct sts_controller *c, const json_t *obj)
{
    enqueue_obj(c, obj);
}

/* A change of the set's spec or metadata is synced at once; one of its status alone (our own
 * status write, mostly) is paced like the pods' changes it follows. */
static void on_set_update_(struct sts_controller *c, const json_t *old, const json_t *cur)
{
    static const char *const meta[] = {"metadata.labels", "metadata.annotations",
                                       "metadata.deletionTimestamp", "metadata.ownerReferences",
                                       "metadata.finalizers"};
    bool same =
        jpath_int(old, "metadata.generation", 0) == jpath_int(cur, "metadata.generation", 0);

    for (size_t i = 0; same && i < ARRAY_SIZE(meta); i++)
        same = json_eq_or_null(jpath(old, meta[i]), jpath(cur, meta[i]));
    if (same)
        enqueue_paced(c, cur);
    else
        enqueue_obj(c, cur);
}

/* resolveControllerRef: the set the ref names, if its UID is the ref's (caller decrefs). */
static json_t *resolve_ref(struct sts_controller *c, const char *ns, const json_t *ref)
{
    const char *kind = jget_str(ref, "kind"), *uid = jget_str(ref, "uid"), *suid;
    json_t *set;

    if (!kind || strcmp(kind, "StatefulSet") || !jget_str(ref, "name"))
        return NULL;
    set = informer_get(c->sets, ns, jget_str(ref, "name"));
    suid = jpath_str(set, "metadata.uid");
    if (set && (!uid || !suid || strcmp(uid, suid))) {
        json_decref(set);
        return NULL;
    }
    return set;
}

/* GetPodStatefulSets: the sets of the pod's namespace whose selector matches its labels (a set
 * with an empty selector matches nothing). */
static void enqueue_matching_sets(struct sts_controller *c, const json_t *pod)
{
    const char *ns = jpath_str(pod, "metadata.namespace");
    json_t **sets;
    size_t n = informer_list(c->sets, ns, NULL, &sets), matched = 0;

    for (size_t i = 0; i < n; i++) {
        struct label_selector *sel;
        const json_t *s = jpath(sets[i], "spec.selector");
        if (!json_is_object(s) || !json_object_size(s) || sts__selector(sets[i], &sel) < 0)
            continue;
        if (!label_selector_is_empty(sel) &&
            label_selector_matches(sel, jpath(pod, "metadata.labels"))) {
            enqueue_paced(c, sets[i]);
            matched++;
        }
        label_selector_free(sel);
    }
    if (matched > 1)
        log_warn(SUBSYS,
                 "user error: more than one StatefulSet is selecting pods with labels of %s/%s", ns,
                 jpath_str(pod, "metadata.name"));
    informer_list_free(sets, n);
}

static void on_pod_delete_(struct sts_controller *c, const json_t *pod)
{
    const json_t *ref = sts__controller_of(pod);
    json_t *set;

    if (!ref)
        return;
    set = resolve_ref(c, jpath_str(pod, "metadata.namespace"), ref);
    if (set)
        enqueue_obj(c, set);
    json_decref(set);
}

static void on_pod_add_(struct sts_controller *c, const json_t *pod)
{
    const json_t *ref;
    json_t *set;

    if (is_deleting(pod)) {
        on_pod_delete_(c, pod);
        return;
    }
    ref = sts__controller_of(pod);
    if (!ref) {
        enqueue_matching_sets(c, pod);
        return;
    }
    set = resolve_ref(c, jpath_str(pod, "metadata.namespace"), ref);
    if (set)
        enqueue_paced(c, set);
    json_decref(set);
}

static bool pod_ready(const json_t *pod)
{
    size_t i;
    json_t *cond;

    json_array_foreach(jpath(pod, "status.conditions"), i, cond)
    {
        const char *t = jget_str(cond, "type"), *s = jget_str(cond, "status");
        if (t && !strcmp(t, "Ready"))
            return s && !strcmp(s, "True");
    }
    return false;
}

static const char *str0(const char *s)
{
    return s ? s : "";
}

/* Does this change of a pod let its set go on: a pod turning Ready or not, failing or
 * succeeding, while the set is waiting on its pods — OrderedReady, or a rolling update in
 * progress? Those are synced at once; the other changes of a pod (scheduled, running, its
 * status churn; a Parallel set's pods turning Ready, which only its status counts) are
 * paced. */
static bool unblocks(const json_t *set, const json_t *old, const json_t *cur)
{
    const char *policy = jpath_str(set, "spec.podManagementPolicy");
    const char *op = str0(jpath_str(old, "status.phase")),
               *cp = str0(jpath_str(cur, "status.phase"));
    bool waiting =
        !(policy && !strcmp(policy, "Parallel")) ||
        strcmp(str0(jpath_str(set, "status.currentRevision")),
               str0(jpath_str(set, "status.updateRevision"))) ||
        jpath_int(set, "status.observedGeneration", 0) != jpath_int(set, "metadata.generation", 0);

    if (!waiting)
        return false;
    return pod_ready(old) != pod_ready(cur) ||
           (strcmp(op, cp) && (!strcmp(cp, "Failed") || !strcmp(cp, "Succeeded")));
}

static void on_pod_update_(struct sts_controller *c, const json_t *old, const json_t *cur)
{
    const char *orv = jpath_str(old, "metadata.resourceVersion");
    const char *crv = jpath_str(cur, "metadata.resourceVersion");
    const json_t *oref = sts__controller_of(old), *cref = sts__controller_of(cur);
    bool labels_changed =
        !json_eq_or_null(jpath(old, "metadata.labels"), jpath(cur, "metadata.labels"));
    bool ref_changed = !json_eq_or_null(oref, cref);
    const char *ns = jpath_str(cur, "metadata.namespace");
    json_t *set;

    if (orv && crv && !strcmp(orv, crv))
        return; /* a relist echo */
    if (ref_changed && oref) {
        set = resolve_ref(c, ns, oref);
        if (set)
            enqueue_paced(c, set);
        json_decref(set);
    }
    if (cref) {
        int min_ready;
        set = resolve_ref(c, ns, cref);
        if (!set)
            return;
        if (unblocks(set, old, cur))
            enqueue_obj(c, set);
        else
            enqueue_paced(c, set);
        /* a pod that just turned Ready becomes available minReadySeconds later */
        min_ready = (int)jpath_int(set, "spec.minReadySeconds", 0);
        if (!pod_ready(old) && pod_ready(cur) && min_ready > 0)
            enqueue_after(c, set, min_ready * 1000 + 1000);
        json_decref(set);
        return;
    }
    if (labels_changed || ref_changed)
        enqueue_matching_sets(c, cur);
}

/* berth: claims matter to a set after it wrote them (a claim bound later may be expanded; a
 * deleted claim of a Pending pod is recreated), so a claim's phase change or deletion syncs the
 * sets whose templates name it. */
static void enqueue_claim_sets(struct sts_controller *c, const json_t *claim)
{
    const char *ns = jpath_str(claim, "metadata.namespace");
    const char *cname = jpath_str(claim, "metadata.name");
    json_t **sets;
    size_t n = informer_list(c->sets, ns, NULL, &sets);

    for (size_t i = 0; cname && i < n; i++) {
        const char *sname = jpath_str(sets[i], "metadata.name");
        size_t k;
        json_t *t;
        json_array_foreach(jpath(sets[i], "spec.volumeClaimTemplates"), k, t)
        {
            char *prefix = xasprintf("%s-%s-", jpath_str(t, "metadata.name"), sname);
            bool mine =
                !strncmp(cname, prefix, strlen(prefix)) && sts__parse_name(cname, NULL) >= 0;
            free(prefix);
            if (mine) {
                enqueue_paced(c, sets[i]);
                break;
            }
        }
    }
    informer_list_free(sets, n);
}

static void on_claim_update_(struct sts_controller *c, const json_t *old, const json_t *cur)
{
    const char *op = jpath_str(old, "status.phase"), *cp = jpath_str(cur, "status.phase");

    if (strcmp(op ? op : "", cp ? cp : ""))
        enqueue_claim_sets(c, cur);
}

static void on_claim_delete_(struct sts_controller *c, const json_t *claim)
{
    enqueue_claim_sets(c, claim);
}

/* The handlers as the informers call them. */
#define HANDLER1(name)                                                                             \
    static void name(void *ctx, const json_t *obj)                                                 \
    {                                                                                              \
        struct sts_controller *c = handler_enter(ctx);                                             \
        if (c) {                                                                                   \
            name##_(c, obj);                                                                       \
            handler_leave(ctx);                                                                    \
        }                                                                                          \
    }
#define HANDLER2(name)                                                                             \
    static void name(void *ctx, const json_t *old, const json_t *cur)                              \
    {                                                                                              \
        struct sts_controller *c = handler_enter(ctx);                                             \
        if (c) {                                                                                   \
            name##_(c, old, cur);                                                                  \
            handler_leave(ctx);                                                                    \
        }                                                                                          \
    }
HANDLER1(on_set_add)
HANDLER2(on_set_update)
HANDLER1(on_pod_add)
HANDLER2(on_pod_update)
HANDLER1(on_pod_delete)
HANDLER2(on_claim_update)
HANDLER1(on_claim_delete)

static void free_list(json_t **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(items[i]);
    free(items);
}

int sts_reconcile(struct sts_control *ctl, const json_t *set, json_t *const *all_revs,
                  size_t nall_revs, json_t *const *all_pods, size_t nall_pods,
                  json_t *const *claims, size_t nclaims, json_t **status_out)
{
    struct label_selector *sel = NULL;
    json_t **revs = xcalloc(nall_revs + 1, sizeof(*revs)), **pods = NULL;
    size_t nrevs = 0, npods = 0;
    bool orphans = false;
    int rc;

    if (status_out)
        *status_out = NULL;
    if (sts__selector(set, &sel) < 0) {
        log_warn(SUBSYS, "error converting StatefulSet %s/%s selector",
                 jpath_str(set, "metadata.namespace"), jpath_str(set, "metadata.name"));
        free(revs);
        return 0; /* retrying cannot help */
    }

    /* adoptOrphanRevisions */
    for (size_t i = 0; i < nall_revs; i++) {
        if (!sts__revision_is_candidate(set, sel, all_revs[i]))
            continue;
        revs[nrevs++] = json_incref(all_revs[i]);
        if (!sts__controller_of(all_revs[i]))
            orphans = true;
    }
    if (orphans) {
        struct sts_err e = {{0}};
        rc = sts__can_adopt(ctl, set, &e);
        for (size_t i = 0; rc == 0 && i < nrevs; i++) {
            json_t *adopted = NULL;
            if (sts__controller_of(revs[i]))
                continue;
            rc = sts__adopt_revision(ctl, set, revs[i], &adopted, &e);
            if (rc == 0) {
                json_decref(revs[i]);
                revs[i] = adopted;
            }
        }
        if (rc < 0) {
            log_info(SUBSYS, "can't adopt ControllerRevisions of %s/%s: %s",
                     jpath_str(set, "metadata.namespace"), jpath_str(set, "metadata.name"), e.msg);
            goto out;
        }
    }

    /* getPodsForStatefulSet: every pod of the namespace, claimed */
    rc = sts__claim_pods(ctl, set, sel, all_pods, nall_pods, &pods, &npods);
    if (rc < 0)
        goto out;
    rc = sts_update(ctl, set, pods, npods, revs, nrevs, claims, nclaims, status_out);
out:
    if (pods)
        free_list(pods, npods);
    free_list(revs, nrevs);
    label_selector_free(sel);
    return rc;
}

int sts_controller_sync(struct sts_controller *c, const char *key)
{
    char *ns = NULL, *name = NULL;
    json_t *set, **revs = NULL, **pods = NULL, **claims = NULL, *status = NULL;
    size_t nrevs = 0, npods = 0, nclaims = 0;
    int rc = 0, min_ready;

    key_split(key, &ns, &name);
    set = informer_get(c->sets, ns, name);
    if (!set)
        goto out; /* deleted: the garbage collector cleans up */
    nrevs = informer_list(c->revs, ns, NULL, &revs);
    npods = informer_list(c->pods, ns, NULL, &pods);
    nclaims = informer_list(c->claims, ns, NULL, &claims);
    rc = sts_reconcile(&c->ctl, set, revs, nrevs, pods, npods, claims, nclaims, &status);
    min_ready = (int)jpath_int(set, "spec.minReadySeconds", 0);
    if (rc == 0 && min_ready > 0 && status &&
        jget_int(status, "availableReplicas", 0) != sts__replicas(set))
        enqueue_after(c, set, min_ready * 1000);
    informer_list_free(claims, nclaims);
    informer_list_free(pods, npods);
    informer_list_free(revs, nrevs);
out:
    json_decref(status);
    json_decref(set);
    free(ns);
    free(name);
    return rc;
}

static int sync_cb(void *ctx, const char *key)
{
    return sts_controller_sync(ctx, key);
}

int sts_controller_new(const struct ctrl_env *env, int workers, struct sts_controller **out)
{
    struct sts_controller *c = xcalloc(1, sizeof(*c));
    struct sts_handle *h = xcalloc(1, sizeof(*h));
    struct informer_handlers sh = {on_set_add, on_set_update, on_set_add, h};
    struct informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, h};
    struct informer_handlers ch = {NULL, on_claim_update, on_claim_delete, h};

    pthread_rwlock_init(&h->lk, NULL);
    h->c = c;
    c->h = h;
    c->client = env->client;
    c->ctl.client = env->client;
    c->ctl.recorder = recorder_new(env->client, "statefulset-controller", "");
    c->ctl.parallelism = BATCH_THREADS;
    c->q = wq_new("statefulset", NULL);
    wq_set_pacing(c->q, PACING_FACTOR, PACING_MAX_MS);
    c->sets = informer_factory_get(env->informers, RES_STATEFULSETS);
    c->pods = informer_factory_get(env->informers, RES_PODS);
    c->revs = informer_factory_get(env->informers, RES_CONTROLLERREVISIONS);
    c->claims = informer_factory_get(env->informers, RES_PERSISTENTVOLUMECLAIMS);
    informer_add_handlers(c->sets, &sh);
    informer_add_handlers(c->pods, &ph);
    informer_add_handlers(c->claims, &ch);
    if (workers > 0)
        c->loop = ctrl_loop_start("statefulset", c->q, workers, sync_cb, c);
    *out = c;
    return 0;
}

struct sts_control *sts_controller_control(struct sts_controller *c)
{
    return &c->ctl;
}

char *sts_controller_next_key(struct sts_controller *c)
{
    if (!wq_len(c->q))
        return NULL;
    return wq_get(c->q);
}

void sts_controller_done(struct sts_controller *c, const char *key)
{
    wq_done(c->q, key);
}

/* Stop the workers and free the controller; the handle is returned for the caller to free. */
static struct sts_handle *controller_stop(struct sts_controller *c)
{
    struct sts_handle *h = c->h;

    pthread_rwlock_wrlock(&h->lk);
    h->stopped = true;
    pthread_rwlock_unlock(&h->lk);
    if (c->loop)
        ctrl_loop_stop(c->loop);
    else
        wq_shutdown(c->q);
    wq_free(c->q);
    if (c->ctl.recorder)
        recorder_flush(c->ctl.recorder);
    free(c);
    return h;
}

void sts_controller_free(struct sts_controller *c)
{
    struct sts_handle *h;

    if (!c)
        return;
    h = controller_stop(c);
    pthread_rwlock_destroy(&h->lk);
    free(h);
}

static int start(const struct ctrl_env *env, void **state)
{
    struct sts_controller *c;
    int rc = sts_controller_new(env, WORKERS, &c);

    if (rc == 0)
        *state = c;
    return rc;
}

/* The manager stops the shared informers (informer_factory_stop) before the controllers. */
static void stop(void *state)
{
    sts_controller_free(state);
}

const struct controller_def statefulset_controller_def = {
    .name = "statefulset",
    .start = start,
    .stop = stop,
};
