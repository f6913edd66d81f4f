/* nodelifecycle.c — node health from Lease renewals, Unknown conditions, taints, and pods marked
 * not ready on unhealthy nodes (upstream's tryUpdateNodeHealth, doNoScheduleTaintingPass,
 * doNoExecuteTaintingPass and MarkPodsNotReady).
 *
 * Health is judged on this controller's clock, not on the timestamps the agent writes: a node's
 * probe time is "when we last saw its lease renewed or its Ready heartbeat change", as upstream
 * does, so clock skew between machines does not matter. Each node is looked at again when its
 * grace period would run out (wq_add_after), and every few seconds while it is unhealthy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "controllers/nodelifecycle/nodelifecycle.h"

#define GRACE_MS 40000
#define STARTUP_GRACE_MS 60000
#define MONITOR_PERIOD_MS 5000

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static int64_t mono_ms(void)
{
    return ktime_mono_ms();
}

static json_t *find_condition(const json_t *obj, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (jpath(obj, "status.conditions"), i, c) {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

static const char *condition_status(const json_t *obj, const char *type)
{
    return jget_str(find_condition(obj, type), "status");
}

/* Objects from the informers and the server carry kind and apiVersion, as events need. */
static void event(struct nlc *c, const json_t *obj, const char *type, const char *reason,
                  const char *msg)
{
    recorder_eventf(c->rec, obj, type, reason, "%s", msg);
}

/* --- handlers --- */

static void on_node_add(void *ctx, const json_t *obj)
{
    struct nlc *c = ctx;
    const char *name = jpath_str(obj, "metadata.name");
    if (name)
        wq_add(c->q, name);
}

static void on_node_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_node_add(ctx, cur);
}

static void on_node_delete(void *ctx, const json_t *obj)
{
    struct nlc *c = ctx;
    const char *name = jpath_str(obj, "metadata.name");
    if (!name)
        return;
    pthread_mutex_lock(&c->mu);
    json_object_del(c->health, name);
    pthread_mutex_unlock(&c->mu);
}

static void on_lease(void *ctx, const json_t *obj)
{
    struct nlc *c = ctx;
    const char *ns = jpath_str(obj, "metadata.namespace");
    const char *name = jpath_str(obj, "metadata.name");
    if (ns && name && !strcmp(ns, NLC_LEASE_NAMESPACE))
        wq_add(c->q, name);
}

static void on_lease_add(void *ctx, const json_t *obj)
{
    on_lease(ctx, obj);
}

static void on_lease_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_lease(ctx, cur);
}

/* A pod that lands on (or changes on) an unhealthy node is marked not ready too (upstream's
 * podUpdated -> processPod). */
static void on_pod(void *ctx, const json_t *obj)
{
    struct nlc *c = ctx;
    const char *node = jpath_str(obj, "spec.nodeName");
    const char *st = condition_status(obj, "Ready");
    if (!node || !*node || !st || !strcmp(st, "False"))
        return; /* nothing we could change */
    json_t *n = informer_get(c->nodes, NULL, node);
    const char *ready = condition_status(n, "Ready");
    bool unhealthy = n && ready && strcmp(ready, "True");
    json_decref(n);
    if (!unhealthy)
        return;
    char *key = obj_key(obj);
    wq_add(c->q, key);
    free(key);
}

static void on_pod_add(void *ctx, const json_t *obj)
{
    on_pod(ctx, obj);
}

static void on_pod_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_pod(ctx, cur);
}

/* --- pods --- */

/* MarkPodsNotReady for one pod: Ready=False with a new transition time, its other fields kept,
 * written with the pod's resourceVersion (upstream's UpdateStatus) so that a stale cache can
 * never move the transition time of a pod already marked. */
static int mark_pod_not_ready(struct nlc *c, const json_t *pod)
{
    const json_t *cond = find_condition(pod, "Ready");
    const char *st = jget_str(cond, "status");
    char now[KTIME_BUFSZ];
    struct kstatus ks;

    if (!cond || (st && !strcmp(st, "False")))
        return 0;
    json_t *np = json_deep_copy(pod);
    json_t *nc = find_condition(np, "Ready");
    jset_str(nc, "status", "False");
    jset_str(nc, "lastTransitionTime", ktime_format(ktime_now(), now));
    int rc = kclient_update_status(c->client, RES_PODS, jpath_str(pod, "metadata.namespace"), np,
                                   NULL, &ks);
    json_decref(np);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0) {
        log_info("nodelifecycle", "marking pod %s/%s not ready: %s",
                 jpath_str(pod, "metadata.namespace"), jpath_str(pod, "metadata.name"), ks.message);
        return rc;
    }
    event(c, pod, "Warning", "NodeNotReady", "Node is not ready");
    return 0;
}

static int mark_pods_not_ready(struct nlc *c, const char *node)
{
    json_t **pods;
    size_t n = informer_list(c->pods, NULL, NULL, &pods);
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        const char *pn = jpath_str(pods[i], "spec.nodeName");
        if (!pn || strcmp(pn, node))
            continue;
        int r = mark_pod_not_ready(c, pods[i]);
        if (r < 0)
            rc = r;
    }
    informer_list_free(pods, n);
    return rc;
}

static int sync_pod(struct nlc *c, const char *key)
{
    char *ns, *name;
    int rc = 0;

    key_split(key, &ns, &name);
    json_t *pod = informer_get(c->pods, ns, name);
    const char *node = pod ? jpath_str(pod, "spec.nodeName") : NULL;
    json_t *n = node && *node ? informer_get(c->nodes, NULL, node) : NULL;
    const char *ready = n ? condition_status(n, "Ready") : NULL;
    if (n && ready && strcmp(ready, "True"))
        rc = mark_pod_not_ready(c, pod);
    json_decref(n);
    json_decref(pod);
    free(ns);
    free(name);
    return rc;
}

/* --- node health --- */

/* Conditions set to Unknown when the agent went silent (upstream's nodeConditionTypes). */
static const char *const watched_conditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                                 "PIDPressure", NULL};

/* Returns a copy of node with the conditions marked Unknown, or NULL if nothing changes. */
static json_t *mark_unknown(const json_t *node)
{
    json_t *nn = json_deep_copy(node);
    json_t *conds = jensure_arr(jensure_obj(nn, "status"), "conditions");
    char now[KTIME_BUFSZ];
    bool changed = false;

    ktime_format(ktime_now(), now);
    for (int i = 0; watched_conditions[i]; i++) {
        json_t *cond = find_condition(nn, watched_conditions[i]);
        if (!cond) {
            cond = json_object();
            jset_str(cond, "type", watched_conditions[i]);
            jset_str(cond, "status", "Unknown");
            jset_str(cond, "lastHeartbeatTime",
                     str_or_empty(jpath_str(node, "metadata.creationTimestamp")));
            jset_str(cond, "lastTransitionTime", now);
            jset_str(cond, "reason", "NodeStatusNeverUpdated");
            jset_str(cond, "message", "Kubelet never posted node status.");
            json_array_append_new(conds, cond);
            changed = true;
            continue;
        }
        const char *st = jget_str(cond, "status");
        if (st && !strcmp(st, "Unknown"))
            continue;
        jset_str(cond, "status", "Unknown");
        jset_str(cond, "reason", "NodeStatusUnknown");
        jset_str(cond, "message", "Kubelet stopped posting node status.");
        jset_str(cond, "lastTransitionTime", now);
        changed = true;
    }
    if (!changed) {
        json_decref(nn);
        return NULL;
    }
    return nn;
}

struct want_taint {
    const char *key;
    const char *effect;
};

/* The taints this controller owns, and which of them the node should carry. */
static const struct want_taint managed[] = {
    {TAINT_NOT_READY, "NoSchedule"},
    {TAINT_NOT_READY, "NoExecute"},
    {TAINT_UNREACHABLE, "NoSchedule"},
    {TAINT_UNREACHABLE, "NoExecute"},
    {"node.kubernetes.io/memory-pressure", "NoSchedule"},
    {"node.kubernetes.io/disk-pressure", "NoSchedule"},
    {"node.kubernetes.io/pid-pressure", "NoSchedule"},
    {"node.kubernetes.io/network-unavailable", "NoSchedule"},
    {"node.kubernetes.io/unschedulable", "NoSchedule"},
};

static bool is_true(const json_t *node, const char *type)
{
    const char *st = condition_status(node, type);
    return st && !strcmp(st, "True");
}

static bool wanted(const json_t *node, const struct want_taint *t)
{
    const char *ready = condition_status(node, "Ready");
    if (!strcmp(t->key, TAINT_NOT_READY))
        return ready && !strcmp(ready, "False");
    if (!strcmp(t->key, TAINT_UNREACHABLE))
        return ready && !strcmp(ready, "Unknown");
    if (!strcmp(t->key, "node.kubernetes.io/memory-pressure"))
        return is_true(node, "MemoryPressure");
    if (!strcmp(t->key, "node.kubernetes.io/disk-pressure"))
        return is_true(node, "DiskPressure");
    if (!strcmp(t->key, "node.kubernetes.io/pid-pressure"))
        return is_true(node, "PIDPressure");
    if (!strcmp(t->key, "node.kubernetes.io/network-unavailable"))
        return is_true(node, "NetworkUnavailable");
    return jget_bool(jget(node, "spec"), "unschedulable", false);
}

static bool is_managed(const json_t *taint)
{
    const char *k = str_or_empty(jget_str(taint, "key"));
    const char *e = str_or_empty(jget_str(taint, "effect"));
    for (size_t i = 0; i < ARRAY_SIZE(managed); i++)
        if (!strcmp(k, managed[i].key) && !strcmp(e, managed[i].effect))
            return true;
    return false;
}

static const json_t *has_taint(const json_t *taints, const char *key, const char *effect)
{
    size_t i;
    json_t *t;
    json_array_foreach (taints, i, t)
        if (!strcmp(str_or_empty(jget_str(t, "key")), key) &&
            !strcmp(str_or_empty(jget_str(t, "effect")), effect))
            return t;
    return NULL;
}

/* The node's taints with the managed ones made to match the conditions; NULL if unchanged. */
static json_t *reconcile_taints(const json_t *node)
{
    const json_t *have = jpath(node, "spec.taints");
    json_t *out = json_array();
    bool changed = false;
    size_t i;
    json_t *t;

    json_array_foreach (have, i, t) {
        if (is_managed(t)) {
            struct want_taint w = {jget_str(t, "key"), jget_str(t, "effect")};
            if (!wanted(node, &w)) {
                changed = true;
                continue;
            }
        }
        json_array_append(out, t);
    }
    for (size_t k = 0; k < ARRAY_SIZE(managed); k++) {
        if (!wanted(node, &managed[k]) || has_taint(have, managed[k].key, managed[k].effect))
            continue;
        json_t *nt = json_object();
        jset_str(nt, "key", managed[k].key);
        jset_str(nt, "effect", managed[k].effect);
        if (!strcmp(managed[k].effect, "NoExecute")) {
            char now[KTIME_BUFSZ];
            jset_str(nt, "timeAdded", ktime_format(ktime_now(), now));
        }
        json_array_append_new(out, nt);
        changed = true;
    }
    if (!changed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Update the probe time from what the agent did since we last looked; returns the health
 * record (borrowed, under mu). */
static json_t *observe(struct nlc *c, const char *name, const json_t *node, const json_t *lease)
{
    json_t *h = json_object_get(c->health, name);
    int64_t now = c->now_ms();
    const char *hb = jget_str(find_condition(node, "Ready"), "lastHeartbeatTime");
    const char *renew = jpath_str(lease, "spec.renewTime");

    if (!h) {
        h = json_object();
        json_object_set_new(c->health, name, h);
        jset_int(h, "probe", now);
        jset_str(h, "heartbeat", str_or_empty(hb));
        jset_str(h, "lease", str_or_empty(renew));
        return h;
    }
    if (strcmp(str_or_empty(hb), str_or_empty(jget_str(h, "heartbeat")))) {
        jset_str(h, "heartbeat", str_or_empty(hb));
        jset_int(h, "probe", now);
    }
    if (renew) {
        int64_t a = 0, b = 0;
        time_t t;
        const char *old = jget_str(h, "lease");
        bool newer = !old || !*old || ktime_parse(old, &t, &a) < 0 ||
                     (ktime_parse(renew, &t, &b) == 0 && b > a);
        if (newer && strcmp(renew, str_or_empty(old))) {
            jset_str(h, "lease", renew);
            jset_int(h, "probe", now);
        }
    }
    return h;
}

static int sync_node(struct nlc *c, const char *name)
{
    json_t *node = informer_get(c->nodes, NULL, name);
    json_t *lease = NULL, *upd = NULL, *taints = NULL;
    struct kstatus ks;
    int rc = 0;

    if (!node) {
        pthread_mutex_lock(&c->mu);
        json_object_del(c->health, name);
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    lease = informer_get(c->leases, NLC_LEASE_NAMESPACE, name);
    const char *ready_before = condition_status(node, "Ready");
    int64_t grace = ready_before ? c->grace_ms : c->startup_grace_ms;

    pthread_mutex_lock(&c->mu);
    json_t *h = observe(c, name, node, lease);
    int64_t left = jget_int(h, "probe", 0) + grace - c->now_ms();
    const char *seen = jget_str(h, "ready");
    bool was_ready = seen && !strcmp(seen, "True");
    pthread_mutex_unlock(&c->mu);

    /* The agent went silent: its conditions are Unknown now. */
    const json_t *cur = node;
    if (left < 0 && (upd = mark_unknown(node))) {
        json_t *out = NULL;
        rc = kclient_update_status(c->client, RES_NODES, NULL, upd, &out, &ks);
        if (rc < 0) {
            log_info("nodelifecycle", "marking node %s unknown: %s", name, ks.message);
            goto out;
        }
        json_decref(upd);
        upd = out;
        cur = upd;
    }

    const char *ready = condition_status(cur, "Ready");
    bool ready_now = ready && !strcmp(ready, "True");
    if (was_ready && !ready_now) { /* (NodeReady is the agent's to report) */
        char *msg = xasprintf("Node %s status is now: NodeNotReady", name);
        event(c, cur, "Normal", "NodeNotReady", msg);
        free(msg);
    }
    pthread_mutex_lock(&c->mu);
    h = json_object_get(c->health, name);
    if (h)
        jset_str(h, "ready", str_or_empty(ready));
    pthread_mutex_unlock(&c->mu);

    if ((taints = reconcile_taints(cur))) {
        json_t *nn = json_deep_copy(cur);
        json_object_set(jensure_obj(nn, "spec"), "taints", taints);
        rc = kclient_update(c->client, RES_NODES, NULL, nn, NULL, &ks);
        json_decref(nn);
        if (rc < 0) {
            log_info("nodelifecycle", "updating the taints of node %s: %s", name, ks.message);
            goto out;
        }
    }
    if (!ready_now)
        rc = mark_pods_not_ready(c, name);

    /* Look again when the grace period would run out, or soon while unhealthy. */
    if (!ready_now)
        wq_add_after(c->q, name, (int)c->monitor_period_ms);
    else if (left >= 0)
        wq_add_after(c->q, name, (int)(left + 1));
out:
    json_decref(taints);
    json_decref(upd);
    json_decref(lease);
    json_decref(node);
    return rc;
}

int nlc__sync(void *ctx, const char *key)
{
    struct nlc *c = ctx;
    if (!informer_synced(c->nodes) || !informer_synced(c->leases) || !informer_synced(c->pods)) {
        wq_add_after(c->q, key, 100);
        return 0;
    }
    return strchr(key, '/') ? sync_pod(c, key) : sync_node(c, key);
}

/* --- lifecycle --- */

struct nlc *nlc__new(struct kclient *client, struct informer_factory *f)
{
    struct nlc *c = xcalloc(1, sizeof(*c));

    c->client = client;
    c->nodes = informer_factory_get(f, RES_NODES);
    c->leases = informer_factory_get(f, RES_LEASES);
    c->pods = informer_factory_get(f, RES_PODS);
    c->q = wq_new("nodelifecycle", NULL);
    c->rec = recorder_new(client, "node-controller", "");
    c->health = json_object();
    c->now_ms = mono_ms;
    c->grace_ms = GRACE_MS;
    c->startup_grace_ms = STARTUP_GRACE_MS;
    c->monitor_period_ms = MONITOR_PERIOD_MS;
    pthread_mutex_init(&c->mu, NULL);

    informer_add_handlers(
        c->nodes, &(struct informer_handlers){on_node_add, on_node_update, on_node_delete, c});
    informer_add_handlers(c->leases,
                          &(struct informer_handlers){on_lease_add, on_lease_update, NULL, c});
    informer_add_handlers(c->pods, &(struct informer_handlers){on_pod_add, on_pod_update, NULL, c});
    return c;
}

void nlc__free(struct nlc *c)
{
    if (!c)
        return;
    wq_shutdown(c->q);
    recorder_free(c->rec);
    wq_free(c->q);
    json_decref(c->health);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int nlc_start(const struct ctrl_env *env, void **state)
{
    struct nlc *c = nlc__new(env->client, env->informers);
    c->loop = ctrl_loop_start("nodelifecycle", c->q, 1, nlc__sync, c);
    *state = c;
    return 0;
}

static void nlc_stop(void *state)
{
    struct nlc *c = state;
    if (!c)
        return;
    ctrl_loop_stop(c->loop);
    nlc__free(c);
}

const struct controller_def nodelifecycle_controller_def = {
    .name = "nodelifecycle",
    .start = nlc_start,
    .stop = nlc_stop,
};
