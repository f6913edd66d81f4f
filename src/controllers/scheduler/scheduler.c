/* scheduler.c — the scheduling cycle, failure handling, volume pre-binding and binding.
 *
 * One pass of sched__sync for a pending pod is upstream's scheduling cycle plus its binding
 * cycle, minus the parts berth has no use for (preemption, pod affinity, topology spread):
 *   PreFilter (volume claims) -> Filter per node -> Score -> Reserve (assume the pod on the
 *   node in the cache) -> PreBind (pre-bind PVs / select the node for provisioning, then wait)
 *   -> Bind (pods/binding).
 * Upstream's PreBind blocks a goroutine until the claims are bound; here the pod is simply
 * looked at again when its claims change (and on a slow timer), and the decision is kept in the
 * API objects themselves (the PV's claimRef, the claim's selected-node annotation), so the wait
 * survives restarts and costs no thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "controllers/scheduler/internal.h"
#include "controllers/scheduler/scheduler.h"
#include "controllers/volume/volume.h"

#define WORKERS 4
#define VOLUME_WAIT_MS 2000 /* poll while claims bind (events usually come first) */
/* An unschedulable pod is retried at once on the cluster events that can help it, and else after
 * 1 s, 2 s, 4 s, ... up to 5 minutes: upstream retries it on events and, failing those, moves it
 * back to the active queue after podMaxInUnschedulablePodsDuration (5 min). */
#define INITIAL_BACKOFF_MS 1000
#define MAX_BACKOFF_MS 300000
#define NOTE_LENGTH_LIMIT 1024

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static const char *ann(const json_t *obj, const char *key)
{
    return jget_str(jpath(obj, "metadata.annotations"), key);
}

static bool is_terminal(const json_t *pod)
{
    const char *phase = jpath_str(pod, "status.phase");
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

static bool responsible(const json_t *pod)
{
    const char *n = jpath_str(pod, "spec.schedulerName");
    return !n || !*n || !strcmp(n, SCHED_NAME);
}

static const char *node_of(const json_t *pod)
{
    const char *n = jpath_str(pod, "spec.nodeName");
    return n && *n ? n : NULL;
}

/* Does this pod wait for us? */
static bool wants_scheduling(const json_t *pod)
{
    return !node_of(pod) && !is_terminal(pod) && !jpath(pod, "metadata.deletionTimestamp") &&
           responsible(pod);
}

static int64_t mono_ms(void)
{
    return ktime_mono_ms();
}

/* --- pending pods --- */

static void free_pending(void *p)
{
    struct pending *pd = p;
    if (!pd)
        return;
    for (size_t i = 0; i < pd->nclaims; i++)
        free(pd->claims[i]);
    free(pd->claims);
    free(pd->ns);
    free(pd);
}

static void free_assume(void *p)
{
    struct pv_assume *a = p;
    if (!a)
        return;
    free(a->claim);
    free(a);
}

static struct pending *new_pending(const json_t *pod)
{
    struct pending *pd = xcalloc(1, sizeof(*pd));
    size_t i;
    json_t *vol;

    pd->ns = xstrdup(str_or_empty(jpath_str(pod, "metadata.namespace")));
    json_array_foreach (jpath(pod, "spec.volumes"), i, vol) {
        const char *c = jpath_str(vol, "persistentVolumeClaim.claimName");
        char *eph = NULL;
        if (!c && json_is_object(jget(vol, "ephemeral")))
            c = eph = xasprintf("%s-%s", str_or_empty(jpath_str(pod, "metadata.name")),
                                str_or_empty(jget_str(vol, "name")));
        if (!c)
            continue;
        pd->claims = xrealloc(pd->claims, (pd->nclaims + 1) * sizeof(*pd->claims));
        pd->claims[pd->nclaims++] = xstrdup(c);
        free(eph);
    }
    return pd;
}

struct keys {
    char **k;
    size_t n;
};

static void keys_add(struct keys *ks, const char *k)
{
    ks->k = xrealloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
    ks->k[ks->n++] = xstrdup(k);
}

/* Enqueue the collected keys (outside the lock) and free them. */
static void keys_enqueue(struct sched *s, struct keys *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        wq_add(s->q, ks->k[i]);
        free(ks->k[i]);
    }
    free(ks->k);
    ks->k = NULL;
    ks->n = 0;
}

/* Retry every pod the last attempt found no node for (a cluster event may have helped);
 * with_claims_only: only those that use claims (volume events). */
static void kick_unschedulable(struct sched *s, bool with_claims_only)
{
    struct keys ks = {0};
    struct sched__ent *e = NULL;

    pthread_mutex_lock(&s->mu);
    while ((e = sched__map_next(&s->pending, e))) {
        struct pending *pd = e->val;
        if (pd->unschedulable && (!with_claims_only || pd->nclaims))
            keys_add(&ks, e->key);
    }
    pthread_mutex_unlock(&s->mu);
    keys_enqueue(s, &ks);
}

/* Wake the pending pods of namespace ns that use claim. */
static void wake_claim_users(struct sched *s, const char *ns, const char *claim)
{
    struct keys ks = {0};
    struct sched__ent *e = NULL;

    if (!ns || !claim)
        return;
    pthread_mutex_lock(&s->mu);
    while ((e = sched__map_next(&s->pending, e))) {
        struct pending *pd = e->val;
        if (strcmp(pd->ns, ns))
            continue;
        for (size_t i = 0; i < pd->nclaims; i++)
            if (!strcmp(pd->claims[i], claim)) {
                keys_add(&ks, e->key);
                break;
            }
    }
    pthread_mutex_unlock(&s->mu);
    keys_enqueue(s, &ks);
}

/* --- informer handlers: bookkeeping and enqueueing only --- */

/* Did anything but status and bookkeeping metadata change? (upstream's isPodUpdated) */
static bool pod_spec_changed(const json_t *old, const json_t *cur)
{
    static const char *const keys[] = {"spec", NULL};
    for (size_t i = 0; keys[i]; i++) {
        const json_t *a = jget(old, keys[i]), *b = jget(cur, keys[i]);
        if ((a == NULL) != (b == NULL) || (a && !json_equal((json_t *)a, (json_t *)b)))
            return true;
    }
    const json_t *la = jpath(old, "metadata.labels"), *lb = jpath(cur, "metadata.labels");
    const json_t *aa = jpath(old, "metadata.annotations"), *ab = jpath(cur, "metadata.annotations");
    return (la == NULL) != (lb == NULL) || (la && !json_equal((json_t *)la, (json_t *)lb)) ||
           (aa == NULL) != (ab == NULL) || (aa && !json_equal((json_t *)aa, (json_t *)ab));
}

static void pod_changed(struct sched *s, const json_t *old, const json_t *pod)
{
    char *key = obj_key(pod);
    const char *node = node_of(pod);
    bool enqueue = false, freed = false;

    pthread_mutex_lock(&s->mu);
    if (node) {
        free_pending(sched__map_del(&s->pending, key));
        if (is_terminal(pod)) {
            freed = sched__cache_get(&s->cache, key) != NULL;
            sched__cache_del(&s->cache, key);
        } else {
            sched__cache_set(&s->cache, key, pod, node, PREC_CONFIRMED);
        }
    } else if (!wants_scheduling(pod)) {
        free_pending(sched__map_del(&s->pending, key));
        sched__cache_del(&s->cache, key);
    } else {
        struct pending *pd = sched__map_get(&s->pending, key);
        if (!pd) {
            sched__map_put(&s->pending, key, new_pending(pod));
            enqueue = true;
        } else {
            /* our own status writes must not retry an unschedulable pod at once */
            enqueue = !pd->unschedulable || !old || pod_spec_changed(old, pod);
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (enqueue)
        wq_add(s->q, key);
    if (freed)
        kick_unschedulable(s, false);
    free(key);
}

static void on_pod_add(void *ctx, const json_t *obj)
{
    pod_changed(ctx, NULL, obj);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *cur)
{
    pod_changed(ctx, old, cur);
}

static void on_pod_delete(void *ctx, const json_t *obj)
{
    struct sched *s = ctx;
    char *key = obj_key(obj);
    bool freed;

    pthread_mutex_lock(&s->mu);
    freed = sched__cache_get(&s->cache, key) != NULL;
    sched__cache_del(&s->cache, key);
    free_pending(sched__map_del(&s->pending, key));
    pthread_mutex_unlock(&s->mu);
    if (freed)
        kick_unschedulable(s, false);
    free(key);
}

static bool subtree_differs(const json_t *a, const json_t *b, const char *path)
{
    const json_t *x = jpath(a, path), *y = jpath(b, path);
    if (!x || !y)
        return x != y;
    return !json_equal((json_t *)x, (json_t *)y);
}

static void on_node_add(void *ctx, const json_t *obj)
{
    kick_unschedulable(ctx, false);
}

/* Only changes that can make a pod fit (upstream's nodeSchedulingPropertiesChange). */
static void on_node_update(void *ctx, const json_t *old, const json_t *cur)
{
    if (subtree_differs(old, cur, "metadata.labels") || subtree_differs(old, cur, "spec") ||
        subtree_differs(old, cur, "status.allocatable") ||
        strcmp(str_or_empty(sched__node_ready(old)), str_or_empty(sched__node_ready(cur))))
        kick_unschedulable(ctx, false);
}

static void on_pvc(void *ctx, const json_t *obj)
{
    wake_claim_users(ctx, jpath_str(obj, "metadata.namespace"), jpath_str(obj, "metadata.name"));
}

static void on_pvc_add(void *ctx, const json_t *obj)
{
    on_pvc(ctx, obj);
}

static void on_pvc_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_pvc(ctx, cur);
}

static void on_pv(void *ctx, const json_t *obj)
{
    struct sched *s = ctx;
    const json_t *ref = jpath(obj, "spec.claimRef");
    const char *name = jpath_str(obj, "metadata.name");

    if (json_is_object(ref) && name) {
        /* our pre-binding is visible now: the informer's copy excludes the PV from here on */
        pthread_mutex_lock(&s->mu);
        free_assume(sched__map_del(&s->pv_assumed, name));
        pthread_mutex_unlock(&s->mu);
        wake_claim_users(s, jget_str(ref, "namespace"), jget_str(ref, "name"));
    }
    kick_unschedulable(s, true);
}

static void on_pv_add(void *ctx, const json_t *obj)
{
    on_pv(ctx, obj);
}

static void on_pv_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_pv(ctx, cur);
}

static void on_class_add(void *ctx, const json_t *obj)
{
    kick_unschedulable(ctx, true);
}

static void on_class_update(void *ctx, const json_t *old, const json_t *cur)
{
    kick_unschedulable(ctx, true);
}

/* --- the scheduling cycle --- */

struct nstatus {
    const char *r[8]; /* reasons */
    char *own[8];     /* the ones we allocated */
    int n;
    bool resolvable; /* only NodeResourcesFit failed: preemption could help */
};

static void st_add(struct nstatus *st, const char *r)
{
    if (st->n < 8)
        st->r[st->n++] = r;
}

static void st_add_own(struct nstatus *st, char *r)
{
    if (st->n < 8) {
        st->own[st->n] = r;
        st->r[st->n++] = r;
    } else {
        free(r);
    }
}

static void st_release(struct nstatus *st)
{
    for (int i = 0; i < 8; i++)
        free(st->own[i]);
    memset(st, 0, sizeof(*st));
}

/* What the pod asks for, computed once per cycle. */
struct podreq {
    struct sres req;
    int64_t nz_cpu, nz_mem;
};

/* NodeResourcesFit's fitsRequest, reasons in upstream's order. */
static void fit_resources(const struct podreq *pr, const struct sres *alloc,
                          const struct node_sum *sum, struct nstatus *st)
{
    static const struct sres none = {0};
    const struct sres *used = sum ? &sum->req : &none;
    int64_t npods = sum ? sum->npods : 0;
    const struct sres *r = &pr->req;

    if (npods + 1 > alloc->pods)
        st_add(st, "Too many pods");
    if (!r->cpu && !r->mem && !r->eph && !r->nscalar)
        return;
    if (r->cpu > 0 && r->cpu > alloc->cpu - used->cpu)
        st_add(st, "Insufficient cpu");
    if (r->mem > 0 && r->mem > alloc->mem - used->mem)
        st_add(st, "Insufficient memory");
    if (r->eph > 0 && r->eph > alloc->eph - used->eph)
        st_add(st, "Insufficient ephemeral-storage");
    for (size_t i = 0; i < r->nscalar; i++) {
        const char *name = r->scalar[i].name;
        if (r->scalar[i].val == 0)
            continue;
        if (r->scalar[i].val > sres_scalar(alloc, name) - sres_scalar(used, name))
            st_add_own(st, xasprintf("Insufficient %s", name));
    }
}

/* Run the filters on one node; true if the pod fits (plan filled for the volumes). */
static bool filter_node(struct sched *s, const json_t *pod, const struct podreq *pr,
                        const json_t *node, struct pvols *pv, struct vplan *plan,
                        struct nstatus *st)
{
    const json_t *tolerations = jpath(pod, "spec.tolerations");
    const char *name = str_or_empty(jpath_str(node, "metadata.name"));

    if (jget_bool(jget(node, "spec"), "unschedulable", false) &&
        !sched__tolerations_tolerate(tolerations, TAINT_UNSCHEDULABLE, "", "NoSchedule")) {
        st_add(st, "node(s) were unschedulable");
        return false;
    }
    json_t *taints = sched__node_taints(node);
    const json_t *t = sched__untolerated_taint(taints, tolerations);
    if (t) {
        st_add_own(st,
                   xasprintf("node(s) had untolerated taint {%s: %s}",
                             str_or_empty(jget_str(t, "key")), str_or_empty(jget_str(t, "value"))));
        json_decref(taints);
        return false;
    }
    json_decref(taints);
    if (!sched__pod_matches_node(pod, node)) {
        st_add(st, "node(s) didn't match Pod's node affinity/selector");
        return false;
    }
    struct sres alloc;
    sched__node_allocatable(node, &alloc);
    fit_resources(pr, &alloc, sched__cache_node(&s->cache, name), st);
    sres_release(&alloc);
    if (st->n) {
        st->resolvable = true;
        return false;
    }
    const char *vr[4];
    int nv = sched__volumes_filter(s, pv, node, plan, vr);
    for (int i = 0; i < nv; i++)
        st_add(st, vr[i]);
    return nv == 0;
}

struct scored {
    const json_t *node;
    struct vplan plan;
    int64_t least;  /* NodeResourcesFit, 0..100 */
    int64_t taints; /* intolerable PreferNoSchedule taints */
    int64_t aff;    /* preferred node affinity weight */
    int64_t npods;
};

/* NodeResourcesFit's LeastAllocated over cpu and memory (weights 1), on non-zero requests. */
static int64_t least_allocated(struct sched *s, const struct podreq *pr, const json_t *node)
{
    struct sres alloc;
    const struct node_sum *sum =
        sched__cache_node(&s->cache, str_or_empty(jpath_str(node, "metadata.name")));
    int64_t req_cpu = pr->nz_cpu + (sum ? sum->nz_cpu : 0);
    int64_t req_mem = pr->nz_mem + (sum ? sum->nz_mem : 0);
    int64_t score = 0;

    sched__node_allocatable(node, &alloc);
    if (alloc.cpu > 0 && req_cpu <= alloc.cpu)
        score += (alloc.cpu - req_cpu) * 100 / alloc.cpu;
    if (alloc.mem > 0 && req_mem <= alloc.mem)
        score += (alloc.mem - req_mem) * 100 / alloc.mem;
    sres_release(&alloc);
    return score / 2;
}

/* Pick the best of the feasible nodes: upstream's weights (NodeResourcesFit 1, TaintToleration
 * 3, NodeAffinity 2) with its normalisations; ties go to the node with fewer pods, then name
 * order, where upstream picks at random. */
static size_t pick(struct scored *sc, size_t n)
{
    int64_t max_t = 0, max_a = 0, best_total = -1;
    size_t best = 0;

    for (size_t i = 0; i < n; i++) {
        if (sc[i].taints > max_t)
            max_t = sc[i].taints;
        if (sc[i].aff > max_a)
            max_a = sc[i].aff;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t ts = max_t ? 100 - sc[i].taints * 100 / max_t : 100;
        int64_t as = max_a ? sc[i].aff * 100 / max_a : 0;
        int64_t total = sc[i].least + 3 * ts + 2 * as;
        if (total > best_total || (total == best_total && sc[i].npods < sc[best].npods)) {
            best_total = total;
            best = i;
        }
    }
    return best;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a reason1, b reason2" sorted as Go's sort.Strings over "<count> <reason>". */
static void add_histogram(struct strbuf *sb, json_t *hist)
{
    size_t n = json_object_size(hist), i = 0;
    char **items = xcalloc(n ? n : 1, sizeof(*items));
    const char *k;
    json_t *v;

    json_object_foreach (hist, k, v)
        items[i++] = xasprintf("%lld %s", (long long)json_integer_value(v), k);
    qsort(items, n, sizeof(*items), cmp_str);
    for (i = 0; i < n; i++) {
        strbuf_addf(sb, "%s%s", i ? ", " : "", items[i]);
        free(items[i]);
    }
    free(items);
}

static void hist_add(json_t *hist, const char *reason, int64_t n)
{
    json_t *v = json_object_get(hist, reason);
    json_object_set_new(hist, reason, json_integer((v ? json_integer_value(v) : 0) + n));
}

/* The DefaultPreemption PostFilter's message: berth does not preempt, and pods have no
 * priorities, so nodes that failed on resources find no victims. */
static void add_preemption(struct strbuf *sb, const json_t *pod, size_t nnodes, size_t resolvable)
{
    const char *policy = jpath_str(pod, "spec.preemptionPolicy");
    if (policy && !strcmp(policy, "Never")) {
        strbuf_addstr(sb, " preemption: not eligible due to preemptionPolicy=Never.");
        return;
    }
    json_t *hist = json_object();
    if (resolvable)
        hist_add(hist, "No preemption victims found for incoming pod", (int64_t)resolvable);
    if (nnodes > resolvable)
        hist_add(hist, "Preemption is not helpful for scheduling", (int64_t)(nnodes - resolvable));
    strbuf_addf(sb, " preemption: 0/%zu nodes are available: ", nnodes);
    add_histogram(sb, hist);
    strbuf_addch(sb, '.');
    json_decref(hist);
}

struct cycle {
    json_t **nodes; /* every node (references) */
    size_t nnodes;
    struct pvols pv;
    int prefilter; /* 1: the claims make the pod unschedulable everywhere */
    struct strbuf premsg;
    /* outcome */
    const json_t *node; /* chosen, borrowed from nodes */
    struct vplan plan;
    struct strbuf msg; /* why nothing fits */
};

/* The informer reads of a cycle, done before taking the lock (informer handlers take it). */
static void cycle_prepare(struct sched *s, const json_t *pod, struct cycle *cy)
{
    memset(cy, 0, sizeof(*cy));
    strbuf_init(&cy->premsg, 0);
    strbuf_init(&cy->msg, 0);
    cy->nnodes = informer_list(s->nodes, NULL, NULL, &cy->nodes);
    cy->prefilter = sched__volumes_prefilter(s, pod, &cy->pv, &cy->premsg);
    sched__volumes_list(s, &cy->pv);
}

static void cycle_release(struct cycle *cy)
{
    informer_list_free(cy->nodes, cy->nnodes);
    sched__pvols_release(&cy->pv);
    sched__vplan_release(&cy->plan);
    strbuf_release(&cy->premsg);
    strbuf_release(&cy->msg);
}

/* Filter and score every node (lock held). Sets cy->node, or cy->msg. */
static void cycle_run(struct sched *s, const json_t *pod, struct cycle *cy)
{
    size_t n = cy->nnodes, nfit = 0, resolvable = 0;
    struct scored *sc;
    struct podreq pr;
    json_t *hist;

    if (!n) {
        strbuf_addstr(&cy->msg, "no nodes available to schedule pods");
        return;
    }
    if (cy->prefilter) {
        strbuf_addf(&cy->msg, "0/%zu nodes are available: %s.", n, cy->premsg.buf);
        add_preemption(&cy->msg, pod, n, 0);
        return;
    }
    sched__pod_requests(pod, &pr.req, &pr.nz_cpu, &pr.nz_mem);
    sc = xcalloc(n, sizeof(*sc));
    hist = json_object();
    for (size_t i = 0; i < n; i++) {
        const json_t *node = cy->nodes[i];
        struct nstatus st = {0};
        struct vplan plan = {0};
        if (!filter_node(s, pod, &pr, node, &cy->pv, &plan, &st)) {
            for (int j = 0; j < st.n; j++)
                hist_add(hist, st.r[j], 1);
            if (st.resolvable)
                resolvable++;
            st_release(&st);
            continue;
        }
        const struct node_sum *sum =
            sched__cache_node(&s->cache, str_or_empty(jpath_str(node, "metadata.name")));
        json_t *taints = sched__node_taints(node);
        sc[nfit].node = node;
        sc[nfit].plan = plan;
        sc[nfit].least = least_allocated(s, &pr, node);
        sc[nfit].taints =
            sched__intolerable_prefer_no_schedule(taints, jpath(pod, "spec.tolerations"));
        sc[nfit].aff = sched__preferred_affinity_score(pod, node);
        sc[nfit].npods = sum ? sum->npods : 0;
        json_decref(taints);
        nfit++;
    }
    if (nfit) {
        size_t b = pick(sc, nfit);
        cy->node = sc[b].node;
        cy->plan = sc[b].plan;
        for (size_t i = 0; i < nfit; i++)
            if (i != b)
                sched__vplan_release(&sc[i].plan);
    } else {
        strbuf_addf(&cy->msg, "0/%zu nodes are available: ", n);
        add_histogram(&cy->msg, hist);
        strbuf_addch(&cy->msg, '.');
        add_preemption(&cy->msg, pod, n, resolvable);
    }
    json_decref(hist);
    free(sc);
    sres_release(&pr.req);
}

/* --- writes --- */

/* Set PodScheduled=False through pods/status unless it already says the same (upstream's
 * updatePod + UpdatePodCondition), and record FailedScheduling. */
static void record_failure(struct sched *s, const json_t *pod, const char *reason, const char *msg,
                           bool event)
{
    const json_t *cond = NULL;
    size_t i;
    json_t *c;

    json_array_foreach (jpath(pod, "status.conditions"), i, c) {
        const char *type = jget_str(c, "type");
        if (type && !strcmp(type, "PodScheduled"))
            cond = c;
    }
    const char *ostatus = jget_str(cond, "status");
    bool same_status = ostatus && !strcmp(ostatus, "False");
    if (!cond || !same_status || strcmp(str_or_empty(jget_str(cond, "reason")), reason) ||
        strcmp(str_or_empty(jget_str(cond, "message")), msg) ||
        (jget(cond, "lastProbeTime") && !json_is_null(jget(cond, "lastProbeTime")))) {
        char now[KTIME_BUFSZ];
        const char *ltt = same_status ? jget_str(cond, "lastTransitionTime") : NULL;
        struct strbuf body = STRBUF_INIT;
        struct kstatus st;

        if (!ltt)
            ltt = ktime_format(ktime_now(), now);
        strbuf_addstr(&body, "{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\","
                             "\"status\":\"False\",\"lastProbeTime\":null,\"lastTransitionTime\":");
        strbuf_add_json_str(&body, ltt);
        strbuf_addstr(&body, ",\"reason\":");
        strbuf_add_json_str(&body, reason);
        strbuf_addstr(&body, ",\"message\":");
        strbuf_add_json_str(&body, msg);
        strbuf_addstr(&body, "}]}}");
        int rc = kclient_patch(s->client, RES_PODS, jpath_str(pod, "metadata.namespace"),
                               jpath_str(pod, "metadata.name"), KPATCH_STRATEGIC, body.buf,
                               "status", NULL, &st);
        if (rc < 0 && rc != -ENOENT)
            log_warn("scheduler", "updating the condition of pod %s/%s: %s",
                     jpath_str(pod, "metadata.namespace"), jpath_str(pod, "metadata.name"),
                     st.message);
        strbuf_release(&body);
    }
    if (!event)
        return;
    if (strlen(msg) > NOTE_LENGTH_LIMIT) /* upstream's truncateMessage */
        recorder_eventf(s->rec, pod, "Warning", "FailedScheduling", "%.*s ...",
                        NOTE_LENGTH_LIMIT - 4, msg);
    else
        recorder_eventf(s->rec, pod, "Warning", "FailedScheduling", "%s", msg);
}

/* GetBindVolumeToClaim + the API update: point the PV's claimRef at the claim (uid included)
 * and mark it bound by a controller unless the user had pre-bound it. */
static int prebind_pv(struct sched *s, const json_t *vol, const json_t *pvc)
{
    const json_t *ref = jpath(vol, "spec.claimRef");
    const char *uid = str_or_empty(jpath_str(pvc, "metadata.uid"));
    const char *cname = str_or_empty(jpath_str(pvc, "metadata.name"));
    const char *cns = str_or_empty(jpath_str(pvc, "metadata.namespace"));
    bool was_bound = json_is_object(ref) && !strcmp(str_or_empty(jget_str(ref, "name")), cname) &&
                     !strcmp(str_or_empty(jget_str(ref, "namespace")), cns) &&
                     (!*str_or_empty(jget_str(ref, "uid")) || !strcmp(jget_str(ref, "uid"), uid));
    bool dirty = false;
    json_t *nv = json_deep_copy(vol);
    struct kstatus st;

    if (!was_bound || strcmp(str_or_empty(jget_str(ref, "uid")), uid)) {
        json_t *r = json_object();
        jset_str(r, "kind", "PersistentVolumeClaim");
        jset_str(r, "namespace", cns);
        jset_str(r, "name", cname);
        jset_str(r, "uid", uid);
        jset_str(r, "apiVersion", "v1");
        jset_str(r, "resourceVersion", str_or_empty(jpath_str(pvc, "metadata.resourceVersion")));
        json_object_set_new(jensure_obj(nv, "spec"), "claimRef", r);
        dirty = true;
    }
    if (!was_bound && !ann(vol, ANN_BOUND_BY_CONTROLLER)) {
        jset_str(jensure_obj(jensure_obj(nv, "metadata"), "annotations"), ANN_BOUND_BY_CONTROLLER,
                 "yes");
        dirty = true;
    }
    int rc = 0;
    if (dirty) {
        rc = kclient_update(s->client, RES_PERSISTENTVOLUMES, NULL, nv, NULL, &st);
        if (rc < 0)
            log_info("scheduler", "pre-binding volume %s to claim %s/%s: %s",
                     jpath_str(vol, "metadata.name"), cns, cname, st.message);
    }
    json_decref(nv);
    return rc;
}

/* Ask for provisioning on node: the selected-node annotation (PV controller and provisioner
 * take it from there; they remove it to ask for another node). */
static int select_node(struct sched *s, const json_t *pvc, const char *node)
{
    const char *cur = ann(pvc, ANN_SELECTED_NODE);
    struct strbuf body = STRBUF_INIT;
    struct kstatus st;

    if (cur && !strcmp(cur, node))
        return 0;
    strbuf_addstr(&body, "{\"metadata\":{\"annotations\":{\"" ANN_SELECTED_NODE "\":");
    strbuf_add_json_str(&body, node);
    strbuf_addstr(&body, "}}}");
    int rc =
        kclient_patch(s->client, RES_PERSISTENTVOLUMECLAIMS, jpath_str(pvc, "metadata.namespace"),
                      jpath_str(pvc, "metadata.name"), KPATCH_MERGE, body.buf, NULL, NULL, &st);
    if (rc < 0)
        log_info("scheduler", "selecting node %s for claim %s/%s: %s", node,
                 jpath_str(pvc, "metadata.namespace"), jpath_str(pvc, "metadata.name"), st.message);
    strbuf_release(&body);
    return rc;
}

static void unassume(struct sched *s, const char *key)
{
    pthread_mutex_lock(&s->mu);
    struct pod_rec *r = sched__cache_get(&s->cache, key);
    if (r && r->st == PREC_ASSUMED)
        sched__cache_del(&s->cache, key);
    pthread_mutex_unlock(&s->mu);
}

static void forget_pv_assumptions(struct sched *s, const struct vplan *plan)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < plan->nstatic; i++)
        free_assume(sched__map_del(&s->pv_assumed,
                                   str_or_empty(jpath_str(plan->st[i].pv, "metadata.name"))));
    pthread_mutex_unlock(&s->mu);
}

static bool caches_synced(struct sched *s)
{
    return informer_synced(s->pods) && informer_synced(s->nodes) && informer_synced(s->pvcs) &&
           informer_synced(s->pvs) && informer_synced(s->classes);
}

/* A pod with scheduling gates waits; upstream reports it this way. */
static void mark_gated(struct sched *s, const json_t *pod)
{
    record_failure(s, pod, "SchedulingGated",
                   "Scheduling is blocked due to non-empty scheduling gates", false);
}

/* The binding call and its aftermath. */
static int bind_pod(struct sched *s, const char *key, const json_t *pod, const char *node)
{
    const char *ns = jpath_str(pod, "metadata.namespace"), *name = jpath_str(pod, "metadata.name");
    struct kstatus st;
    int rc = kclient_bind(s->client, ns, name, node, &st);

    pthread_mutex_lock(&s->mu);
    struct pod_rec *r = sched__cache_get(&s->cache, key);
    if (rc == 0) {
        if (r && r->st == PREC_ASSUMED)
            r->st = PREC_BOUND;
        free_pending(sched__map_del(&s->pending, key));
    } else if (r && r->st == PREC_ASSUMED) {
        sched__cache_del(&s->cache, key);
    }
    pthread_mutex_unlock(&s->mu);

    if (rc == 0) {
        recorder_eventf(s->rec, pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", ns,
                        name, node);
        return 0;
    }
    /* gone, or bound by someone else meanwhile: the informer will tell */
    if (rc == -ENOENT || rc == -ESTALE)
        return 0;
    char *msg =
        xasprintf("binding rejected: running Bind plugin \"DefaultBinder\": %s", st.message);
    record_failure(s, pod, "SchedulerError", msg, true);
    free(msg);
    return rc;
}

int sched__sync(void *ctx, const char *key)
{
    struct sched *s = ctx;
    char *ns, *name;
    struct cycle cy;
    int rc = 0;

    if (!caches_synced(s)) {
        wq_add_after(s->q, key, 100);
        return 0;
    }
    key_split(key, &ns, &name);
    json_t *pod = informer_get(s->pods, ns, name);
    if (!pod || !wants_scheduling(pod)) {
        pthread_mutex_lock(&s->mu);
        free_pending(sched__map_del(&s->pending, key));
        pthread_mutex_unlock(&s->mu);
        goto out;
    }
    if (json_array_size(jpath(pod, "spec.schedulingGates"))) {
        mark_gated(s, pod);
        goto out;
    }

    cycle_prepare(s, pod, &cy);
    pthread_mutex_lock(&s->mu);
    struct pod_rec *r = sched__cache_get(&s->cache, key);
    if (r && r->st != PREC_ASSUMED) {
        /* bound already; the informer has not caught up */
        pthread_mutex_unlock(&s->mu);
        cycle_release(&cy);
        goto out;
    }
    sched__cache_del(&s->cache, key); /* our own earlier reservation must not count */
    cycle_run(s, pod, &cy);
    struct pending *pd = sched__map_get(&s->pending, key);
    if (!pd) {
        pd = new_pending(pod);
        sched__map_put(&s->pending, key, pd);
    }
    const char *node = cy.node ? jpath_str(cy.node, "metadata.name") : NULL;
    if (node) {
        sched__cache_set(&s->cache, key, pod, node, PREC_ASSUMED);
        for (size_t i = 0; i < cy.plan.nstatic; i++) {
            struct pv_assume *a = xcalloc(1, sizeof(*a));
            a->claim = xasprintf("%s/%s", ns, jpath_str(cy.plan.st[i].pvc, "metadata.name"));
            a->at_ms = s->now_ms();
            free_assume(
                sched__map_put(&s->pv_assumed, jpath_str(cy.plan.st[i].pv, "metadata.name"), a));
        }
        pd->unschedulable = false;
        pd->attempts = 0;
    } else {
        pd->unschedulable = true;
        pd->attempts++;
    }
    int attempts = pd->attempts;
    pthread_mutex_unlock(&s->mu);

    if (!node) {
        int64_t delay = (int64_t)s->initial_backoff_ms << (attempts > 20 ? 20 : attempts - 1);
        if (delay > s->max_backoff_ms && s->max_backoff_ms >= s->initial_backoff_ms)
            delay = s->max_backoff_ms;
        record_failure(s, pod, "Unschedulable", cy.msg.buf, true);
        wq_add_after(s->q, key, (int)delay);
        cycle_release(&cy);
        goto out;
    }

    /* PreBind: start what the claims need on this node, then wait for the binder. */
    bool all_bound = true;
    for (size_t i = 0; i < cy.pv.n; i++)
        if (cy.pv.c[i].kind != PCLAIM_BOUND)
            all_bound = false;
    for (size_t i = 0; i < cy.plan.nstatic && rc == 0; i++)
        rc = prebind_pv(s, cy.plan.st[i].pv, cy.plan.st[i].pvc);
    for (size_t i = 0; i < cy.plan.nprov && rc == 0; i++)
        rc = select_node(s, cy.plan.prov[i], node);
    if (rc < 0) {
        forget_pv_assumptions(s, &cy.plan);
        unassume(s, key);
    } else if (!all_bound) {
        wq_add_after(s->q, key, VOLUME_WAIT_MS);
    } else {
        rc = bind_pod(s, key, pod, node);
    }
    cycle_release(&cy);
out:
    json_decref(pod);
    free(ns);
    free(name);
    return rc;
}

/* --- lifecycle --- */

struct sched *sched__new(struct kclient *client, struct informer_factory *f)
{
    struct sched *s = xcalloc(1, sizeof(*s));

    s->client = client;
    s->pods = informer_factory_get(f, RES_PODS);
    s->nodes = informer_factory_get(f, RES_NODES);
    s->pvcs = informer_factory_get(f, RES_PERSISTENTVOLUMECLAIMS);
    s->pvs = informer_factory_get(f, RES_PERSISTENTVOLUMES);
    s->classes = informer_factory_get(f, RES_STORAGECLASSES);
    informer_add_index(s->pvs, VOL_INDEX_CLAIM_REF, vol_index_claim_ref);
    s->q = wq_new("scheduler", NULL);
    s->rec = recorder_new(client, SCHED_NAME, "");
    s->now_ms = mono_ms;
    s->initial_backoff_ms = INITIAL_BACKOFF_MS;
    s->max_backoff_ms = MAX_BACKOFF_MS;
    pthread_mutex_init(&s->mu, NULL);

    informer_add_handlers(s->pods,
                          &(struct informer_handlers){on_pod_add, on_pod_update, on_pod_delete, s});
    informer_add_handlers(s->nodes,
                          &(struct informer_handlers){on_node_add, on_node_update, NULL, s});
    informer_add_handlers(s->pvcs, &(struct informer_handlers){on_pvc_add, on_pvc_update, NULL, s});
    informer_add_handlers(s->pvs, &(struct informer_handlers){on_pv_add, on_pv_update, NULL, s});
    informer_add_handlers(s->classes,
                          &(struct informer_handlers){on_class_add, on_class_update, NULL, s});
    return s;
}

void sched__free(struct sched *s)
{
    if (!s)
        return;
    wq_shutdown(s->q);
    recorder_free(s->rec);
    wq_free(s->q);
    sched__cache_release(&s->cache);
    sched__map_clear(&s->pending, free_pending);
    sched__map_clear(&s->pv_assumed, free_assume);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int sched_start(const struct ctrl_env *env, void **state)
{
    struct sched *s = sched__new(env->client, env->informers);
    s->loop = ctrl_loop_start("scheduler", s->q, WORKERS, sched__sync, s);
    *state = s;
    return 0;
}

static void sched_stop(void *state)
{
    struct sched *s = state;
    if (!s)
        return;
    ctrl_loop_stop(s->loop);
    sched__free(s);
}

const struct controller_def scheduler_controller_def = {
    .name = "scheduler",
    .start = sched_start,
    .stop = sched_stop,
};
