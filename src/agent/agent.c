/* agent.c — the node agent: the pods bound to this node, run by pod workers.
 *
 * Shape (a kubelet's, cut down):
 *   - a reflector thread lists and watches the pods with spec.nodeName=<node> (a field
 *     selector, as the kubelet's pod config source) into a map keyed by namespace/name, and
 *     queues the key of every pod that changed;
 *   - pod workers (a work queue, so one worker per pod at a time, and a fixed pool however
 *     many pods there are) advance the runtime's state of the pod and write the status a
 *     kubelet would through pods/status, only when it differs from what the server has;
 *     timers (start delay, crash back-off) are delayed adds of the same key;
 *   - a pod with a deletionTimestamp is stopped, its final status written, and the object
 *     deleted with grace period 0 and a UID precondition, so that a pod of the same name
 *     created meanwhile is never touched;
 *   - the heartbeat thread (node.c) keeps the Node and its Lease fresh.
 * The runtime is the sim runtime (sim.c); the real one comes with a later issue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "base/alloc.h"
#include "base/fnv.h"
#include "base/json.h"
#include "base/ktime.h"
#include "base/log.h"

/* --- the pod map (agent.mu) --- */

static size_t bucket_of(const char *key)
{
    return fnv32a(key, strlen(key), FNV32_INIT) % AGENT_PODMAP_BUCKETS;
}

static struct simpod *map_find(struct agent *a, const char *key)
{
    for (struct simpod *sp = a->buckets[bucket_of(key)]; sp; sp = sp->next)
        if (!strcmp(sp->key, key))
            return sp;
    return NULL;
}

static struct simpod *map_add(struct agent *a, const char *key)
{
    struct simpod *sp = xcalloc(1, sizeof(*sp));
    size_t b = bucket_of(key);
    sp->key = xstrdup(key);
    sp->next = a->buckets[b];
    a->buckets[b] = sp;
    a->npods++;
    return sp;
}

static void map_remove(struct agent *a, struct simpod *sp)
{
    struct simpod **pp = &a->buckets[bucket_of(sp->key)];
    while (*pp && *pp != sp)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = sp->next;
        a->npods--;
    }
}

/* --- the claim index (agent.mu): a claim or volume event queues only the pods using it --- */

static void unindex_claims(struct agent *a, struct simpod *sp)
{
    size_t i;
    json_t *k;

    json_array_foreach(sp->claims, i, k)
    {
        json_t *pods = json_object_get(a->claim_pods, json_string_value(k));
        json_object_del(pods, sp->key);
        if (pods && !json_object_size(pods))
            json_object_del(a->claim_pods, json_string_value(k));
    }
    json_decref(sp->claims);
    sp->claims = NULL;
}

/* File sp under the claims of its obj (after any change of obj). */
static void index_claims(struct agent *a, struct simpod *sp)
{
    size_t i;
    json_t *k;

    unindex_claims(a, sp);
    if (!sp->obj)
        return;
    sp->claims = agent__pod_claim_keys(sp->obj);
    json_array_foreach(sp->claims, i, k)
    {
        json_t *pods = json_object_get(a->claim_pods, json_string_value(k));
        if (!pods) {
            pods = json_object();
            json_object_set_new(a->claim_pods, json_string_value(k), pods);
        }
        json_object_set_new(pods, sp->key, json_true());
    }
}

static void simpod_free(struct agent *a, struct simpod *sp)
{
    sim__pod_release(a, sp);
    json_decref(sp->claims);
    json_decref(sp->obj);
    free(sp->key);
    free(sp);
}

void agent__kick_volume_waiters(struct agent *a, const char *ns, const char *claim)
{
    char **keys = NULL;
    size_t n = 0, alloc = 0;

    if (!ns)
        return;
    pthread_mutex_lock(&a->mu);
    if (claim) {
        char *ckey = xasprintf("%s/%s", ns, claim);
        const char *pk;
        json_t *v;
        json_object_foreach(json_object_get(a->claim_pods, ckey), pk, v)
        {
            ALLOC_GROW(keys, n + 1, alloc);
            keys[n++] = xstrdup(pk);
        }
        free(ckey);
    }
    for (size_t b = 0; !claim && b < AGENT_PODMAP_BUCKETS; b++) {
        for (struct simpod *sp = a->buckets[b]; sp; sp = sp->next) {
            if (!sp->obj || strcmp(jpath_str(sp->obj, "metadata.namespace") ?: "", ns) ||
                !agent__pod_uses_claim(sp->obj, claim))
                continue;
            ALLOC_GROW(keys, n + 1, alloc);
            keys[n++] = xstrdup(sp->key);
        }
    }
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; i < n; i++) {
        wq_add(a->q, keys[i]);
        free(keys[i]);
    }
    free(keys);
}

bool agent__sleep(struct agent *a, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&a->wait_mu);
    while (!a->stop && pthread_cond_timedwait(&a->wait_cond, &a->wait_mu, &until) == 0)
        ;
    pthread_mutex_unlock(&a->wait_mu);
    return !a->stop;
}

/* --- the reflector: list, then watch, the pods bound to this node --- */

struct reflect {
    struct agent *a;
    char rv[64]; /* where the watch resumes */
    bool relist; /* the watch said 410 Expired (or another error): list again */
};

static void note_rv(struct reflect *r, const json_t *obj)
{
    const char *rv = jpath_str(obj, "metadata.resourceVersion");
    if (rv && *rv)
        snprintf(r->rv, sizeof(r->rv), "%s", rv);
}

static bool on_this_node(struct agent *a, const json_t *pod)
{
    return !strcmp(jpath_str(pod, "spec.nodeName") ?: "", a->cfg.node_name);
}

/* Put the newest pod object in the map; returns its key (caller frees) to queue. */
static char *upsert(struct agent *a, json_t *pod)
{
    char *key = obj_key(pod);
    pthread_mutex_lock(&a->mu);
    struct simpod *sp = map_find(a, key);
    if (!sp)
        sp = map_add(a, key);
    json_decref(sp->obj);
    sp->obj = json_incref(pod);
    index_claims(a, sp);
    pthread_mutex_unlock(&a->mu);
    return key;
}

static void gone(struct agent *a, const char *key)
{
    pthread_mutex_lock(&a->mu);
    struct simpod *sp = map_find(a, key);
    if (sp) {
        json_decref(sp->obj);
        sp->obj = NULL;
        index_claims(a, sp);
    }
    pthread_mutex_unlock(&a->mu);
    wq_add(a->q, key);
}

static char *field_selector(struct agent *a)
{
    return xasprintf("spec.nodeName=%s", a->cfg.node_name);
}

static int relist(struct reflect *r)
{
    struct agent *a = r->a;
    struct kstatus st = {0};
    char *fs = field_selector(a);
    struct klist_opts o = {NULL, fs};
    json_t *list = NULL;
    int rc = kclient_list(a->c, RES_PODS, NULL, &o, &list, &st);
    free(fs);
    if (rc < 0) {
        log_warn("agent", "listing the pods of node %s: %s (%s)", a->cfg.node_name, strerror(-rc),
                 st.message);
        return rc;
    }
    note_rv(r, list);

    /* Pods in the list replace what the map has; pods the map has and the list has not were
     * deleted while no watch was open. */
    json_t *items = jget_arr(list, "items");
    json_t *seen = json_object();
    size_t i;
    json_t *pod;
    json_array_foreach(items, i, pod)
    {
        if (!on_this_node(a, pod))
            continue;
        char *key = upsert(a, pod);
        json_object_set_new(seen, key, json_true());
        wq_add(a->q, key);
        free(key);
    }
    char **vanished = NULL;
    size_t n = 0, alloc = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t b = 0; b < AGENT_PODMAP_BUCKETS; b++)
        for (struct simpod *sp = a->buckets[b]; sp; sp = sp->next)
            if (sp->obj && !json_object_get(seen, sp->key)) {
                ALLOC_GROW(vanished, n + 1, alloc);
                vanished[n++] = xstrdup(sp->key);
            }
    pthread_mutex_unlock(&a->mu);
    for (size_t k = 0; k < n; k++) {
        gone(a, vanished[k]);
        free(vanished[k]);
    }
    free(vanished);
    json_decref(seen);
    json_decref(list);
    return 0;
}

static int on_pod_event(void *ctx, const char *type, json_t *obj)
{
    struct reflect *r = ctx;
    struct agent *a = r->a;

    if ((!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) && on_this_node(a, obj)) {
        char *key = upsert(a, obj);
        wq_add(a->q, key);
        free(key);
        note_rv(r, obj);
    } else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED") || !strcmp(type, "DELETED")) {
        /* deleted, or (against a server that ignored the field selector) not ours */
        char *key = obj_key(obj);
        gone(a, key);
        free(key);
        note_rv(r, obj);
    } else if (!strcmp(type, "BOOKMARK")) {
        note_rv(r, obj);
    } else {
        /* ERROR: a Status; 410 Expired and anything else mean list again */
        log_info("agent", "pod watch: %s (%lld); listing again", jget_str(obj, "message") ?: type,
                 (long long)jget_int(obj, "code", 0));
        r->relist = true;
        return 1;
    }
    return 0;
}

static void *reflector_main(void *arg)
{
    struct agent *a = arg;
    struct reflect r = {.a = a};
    int delay_ms = 0;

    while (!a->stop) {
        if (delay_ms && !agent__sleep(a, delay_ms))
            break;
        if (relist(&r) < 0) {
            delay_ms = delay_ms ? (delay_ms * 2 > 30000 ? 30000 : delay_ms * 2) : 500;
            continue;
        }
        delay_ms = 0;
        while (!a->stop) {
            struct kstatus st = {0};
            char *fs = field_selector(a);
            struct klist_opts o = {NULL, fs};
            r.relist = false;
            int rc =
                kclient_watch(a->c, RES_PODS, NULL, &o, r.rv, 300, on_pod_event, &r, &a->stop, &st);
            free(fs);
            if (a->stop)
                break;
            if (rc == 0 && !r.relist)
                continue; /* the server ended the stream: resume where it stopped */
            if (rc < 0 && rc != -ETIME) {
                log_warn("agent", "pod watch: %s (%s)", strerror(-rc), st.message);
                delay_ms = 500;
            }
            break;
        }
    }
    return NULL;
}

/* --- status writes --- */

static int64_t rv_num(const json_t *obj)
{
    const char *rv = jpath_str(obj, "metadata.resourceVersion");
    char *end;
    if (!rv || !*rv)
        return 0;
    long long v = strtoll(rv, &end, 10);
    return *end ? 0 : v;
}

static void remember_write(struct simpod *sp, json_t *desired, char *dc, const json_t *out)
{
    json_decref(sp->last);
    free(sp->last_c);
    free(sp->echo_c);
    sp->last = desired;
    sp->last_c = dc;
    sp->echo_c = json_dump_canonical(jget(out, "status") ?: json_null());
    sp->written_rv = rv_num(out);
}

/* Whether the status we would write is already what the server has, or what it answered
 * our last write of the same status with: its own normalisation of our status must not be
 * mistaken for someone else's change, which would make a write loop. */
static bool status_current(struct simpod *sp, const json_t *pod, const char *dc, const char *cc)
{
    if (!strcmp(dc, cc))
        return true;
    if (!sp->last_c || strcmp(dc, sp->last_c))
        return false;
    if (sp->echo_c && !strcmp(cc, sp->echo_c))
        return true;
    /* the cache has not caught up with our own write yet */
    int64_t rv = rv_num(pod);
    return rv && sp->written_rv && rv < sp->written_rv;
}

/* PUT pods/status; on a conflict write over the newest version of the same pod (the status
 * is ours to say). Returns 0 with *out, or a negative errno. */
static int put_status(struct agent *a, struct simpod *sp, const json_t *pod, json_t *desired,
                      json_t **out)
{
    json_t *body = json_copy((json_t *)pod);
    int rc = 0;

    json_object_set(body, "status", desired);
    for (int attempt = 0; attempt < 3; attempt++) {
        struct kstatus st = {0};
        json_t *fresh = NULL;
        rc = kclient_update_status(a->c, RES_PODS, jpath_str(pod, "metadata.namespace"), body, out,
                                   &st);
        if (rc != -ESTALE) {
            if (rc < 0 && rc != -ENOENT)
                log_warn("agent", "pod %s status: %s (%s)", sp->key, strerror(-rc), st.message);
            break;
        }
        char *ns = NULL, *name = NULL;
        key_split(sp->key, &ns, &name);
        rc = kclient_get(a->c, RES_PODS, ns, name, &fresh, &st);
        free(ns);
        free(name);
        if (rc == 0 && strcmp(jpath_str(fresh, "metadata.uid") ?: "", sp->uid))
            rc = -ENOENT; /* replaced by a pod of the same name: the watch will say so */
        if (rc == 0)
            json_object_set(body, "metadata", jget(fresh, "metadata"));
        json_decref(fresh);
        if (rc < 0)
            break;
        rc = -ESTALE;
    }
    json_decref(body);
    return rc;
}

static int write_status(struct agent *a, struct simpod *sp, const json_t *pod)
{
    json_t *desired = sim__status(a, sp, pod), *out = NULL;
    char *dc = json_dump_canonical(desired);
    char *cc = json_dump_canonical(jget(pod, "status") ?: json_object());
    int rc = 0;

    if (status_current(sp, pod, dc, cc)) {
        if (!strcmp(dc, cc)) {
            remember_write(sp, desired, dc, pod); /* takes desired and dc */
            desired = NULL;
            dc = NULL;
        }
    } else {
        rc = put_status(a, sp, pod, desired, &out);
        if (rc == 0) {
            remember_write(sp, desired, dc, out);
            desired = NULL;
            dc = NULL;
        } else if (rc == -ENOENT) {
            rc = 0;
        }
    }
    json_decref(out);
    json_decref(desired);
    free(dc);
    free(cc);
    return rc;
}

/* --- pod workers --- */

static bool phase_terminal(const json_t *pod)
{
    const char *p = jpath_str(pod, "status.phase") ?: "";
    return !strcmp(p, "Succeeded") || !strcmp(p, "Failed");
}

static int run_pod(struct agent *a, struct simpod *sp, const json_t *pod)
{
    int64_t now = ktime_mono_ms();

    /* A pod that finished before this agent knew it: nothing runs, nothing to report. */
    if (phase_terminal(pod) && !sp->last)
        return 0;
    bool volumes = sp->started || agent__volumes_ready(a, pod);
    int64_t wake = sim__advance(a, sp, pod, volumes, now);
    int rc = write_status(a, sp, pod);
    if (wake)
        wq_add_after(a->q, sp->key, wake > now ? (int)(wake - now) : 1);
    return rc;
}

/* Deletion as a kubelet finishes it: stop the containers (the sim stops at once, unless the
 * pod is marked to refuse, which holds it Terminating for as long as the mark stays), report
 * the final status, then delete the object for good — guarded by the UID, so a new pod of the
 * same name is never removed. */
static int terminate_pod(struct agent *a, struct simpod *sp, const json_t *pod)
{
    struct kstatus st = {0};
    int rc;

    if (!strcmp(agent__ann(pod, SIM_ANN_REFUSE_TERMINATE) ?: "", "true")) {
        if (!sp->stopping_logged)
            log_info("agent", "pod %s refuses to terminate (%s)", sp->key,
                     SIM_ANN_REFUSE_TERMINATE);
        sp->stopping_logged = true;
        return 0;
    }
    if (sp->started && !(phase_terminal(pod) && !sp->last)) {
        sim__stop(a, sp);
        rc = write_status(a, sp, pod);
        if (rc < 0)
            return rc;
    }
    char *ns = NULL, *name = NULL;
    key_split(sp->key, &ns, &name);
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    o.grace_seconds = 0;
    o.uid = sp->uid;
    rc = kclient_delete(a->c, RES_PODS, ns, name, &o, &st);
    free(ns);
    free(name);
    if (rc == -ENOENT || rc == -ESTALE)
        rc = 0; /* already gone, or the name is another pod's now */
    if (rc < 0)
        log_warn("agent", "deleting pod %s: %s (%s)", sp->key, strerror(-rc), st.message);
    return rc;
}

static int sync_pod(struct agent *a, const char *key)
{
    pthread_mutex_lock(&a->mu);
    struct simpod *sp = map_find(a, key);
    if (!sp) {
        pthread_mutex_unlock(&a->mu);
        return 0;
    }
    if (!sp->obj) {
        /* gone from the API: forget it, and free its IP */
        map_remove(a, sp);
        pthread_mutex_unlock(&a->mu);
        simpod_free(a, sp);
        return 0;
    }
    json_t *pod = json_incref(sp->obj);
    pthread_mutex_unlock(&a->mu);

    if (strcmp(sp->uid, jpath_str(pod, "metadata.uid") ?: ""))
        sim__pod_reset(a, sp, pod);
    int rc =
        jpath(pod, "metadata.deletionTimestamp") ? terminate_pod(a, sp, pod) : run_pod(a, sp, pod);
    json_decref(pod);
    return rc;
}

static int sync(void *ctx, const char *key)
{
    struct agent *a = ctx;
    if (!strncmp(key, "pv:", 3))
        return agent__pv_sync(a, key + 3);
    return sync_pod(a, key);
}

/* --- start and stop --- */

int agent__start(struct kclient *c, const struct agent_config *cfg, const struct agent_tuning *t,
                 struct agent **out)
{
    if (!cfg->node_name || !*cfg->node_name)
        return -EINVAL;
    /* The sim runtime only when asked for: never a fallback. */
    if (!cfg->runtime || strcmp(cfg->runtime, "sim")) {
        log_error("agent", "runtime \"%s\" is not available (this version has \"sim\")",
                  cfg->runtime ? cfg->runtime : "");
        return -ENOTSUP;
    }

    struct agent *a = xcalloc(1, sizeof(*a));
    a->c = c;
    a->t = *t;
    a->cfg.node_name = xstrdup(cfg->node_name);
    a->cfg.runtime = xstrdup(cfg->runtime);
    a->cfg.data_dir = cfg->data_dir ? xstrdup(cfg->data_dir) : NULL;
    a->cfg.sim_start_delay_ms = cfg->sim_start_delay_ms > 0 ? cfg->sim_start_delay_ms : 0;
    a->cfg.internal_ip =
        xstrdup(cfg->internal_ip && *cfg->internal_ip ? cfg->internal_ip : "127.0.0.1");
    a->cfg.max_pods = cfg->max_pods > 0 ? cfg->max_pods : 110;
    pthread_mutex_init(&a->mu, NULL);
    a->claim_pods = json_object();
    pthread_mutex_init(&a->wait_mu, NULL);
    pthread_cond_init(&a->wait_cond, NULL);
    pthread_mutex_init(&a->ip_mu, NULL);
    agent__ipam_init(a, "10.42.0.0/16");

    /* Errors back off per pod from 50 ms to 30 s; successes are never rate limited. */
    struct wq_rate_limit rl = {50, 30000, 200, 1000};
    a->q = wq_new("agent", &rl);
    a->pvcs = informer_new(c, RES_PERSISTENTVOLUMECLAIMS, NULL, NULL);
    a->pvs = informer_new(c, RES_PERSISTENTVOLUMES, NULL, NULL);
    agent__volume_handlers(a);
    informer_start(a->pvcs);
    informer_start(a->pvs);
    a->loop = ctrl_loop_start("agent", a->q, a->t.workers, sync, a);

    if (pthread_create(&a->heartbeat, NULL, agent__heartbeat_main, a) == 0)
        a->heartbeat_started = true;
    if (pthread_create(&a->reflector, NULL, reflector_main, a) == 0)
        a->reflector_started = true;
    if (!a->heartbeat_started || !a->reflector_started) {
        agent_stop(a);
        return -EAGAIN;
    }
    log_info("agent", "node %s: %s runtime, InternalIP %s", a->cfg.node_name, a->cfg.runtime,
             a->cfg.internal_ip);
    *out = a;
    return 0;
}

int agent_start(struct kclient *c, const struct agent_config *cfg, struct agent **out)
{
    struct agent_tuning t = AGENT_TUNING_DEFAULT;
    return agent__start(c, cfg, &t, out);
}

void agent_stop(struct agent *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->wait_mu);
    a->stop = true;
    pthread_cond_broadcast(&a->wait_cond);
    pthread_mutex_unlock(&a->wait_mu);
    if (a->heartbeat_started)
        pthread_join(a->heartbeat, NULL);
    if (a->reflector_started)
        pthread_join(a->reflector, NULL);
    ctrl_loop_stop(a->loop);
    informer_free(a->pvcs);
    informer_free(a->pvs);
    wq_free(a->q);

    for (size_t b = 0; b < AGENT_PODMAP_BUCKETS; b++) {
        struct simpod *sp = a->buckets[b];
        while (sp) {
            struct simpod *next = sp->next;
            simpod_free(a, sp);
            sp = next;
        }
    }
    agent__ipam_release_all(a);
    json_decref(a->claim_pods);
    json_decref(a->node_status);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->wait_mu);
    pthread_cond_destroy(&a->wait_cond);
    pthread_mutex_destroy(&a->ip_mu);
    free((char *)a->cfg.node_name);
    free((char *)a->cfg.runtime);
    free((char *)a->cfg.data_dir);
    free((char *)a->cfg.internal_ip);
    free(a);
}
