/* common.c — what the endpoints and endpointslice controllers share: pod and port helpers
 * (upstream's endpointslice/util), the trigger-time tracker, and the informer wiring (which
 * Services a pod change concerns).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "controllers/endpoints/endpoints.h"

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* --- pods --- */

static const json_t *pod_condition(const json_t *pod, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (jpath(pod, "status.conditions"), i, c) {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

bool ep__pod_ready(const json_t *pod)
{
    const char *st = jget_str(pod_condition(pod, "Ready"), "status");
    return st && !strcmp(st, "True");
}

static bool pod_terminal(const json_t *pod)
{
    const char *phase = jpath_str(pod, "status.phase");
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

bool ep__should_be_in_endpoints(const json_t *pod, bool include_terminating)
{
    if (pod_terminal(pod))
        return false;
    if (!*str_or_empty(jpath_str(pod, "status.podIP")) &&
        !json_array_size(jpath(pod, "status.podIPs")))
        return false;
    if (!include_terminating && jpath(pod, "metadata.deletionTimestamp"))
        return false;
    return true;
}

bool ep__should_set_hostname(const json_t *pod, const json_t *svc)
{
    return *str_or_empty(jpath_str(pod, "spec.hostname")) &&
           !strcmp(str_or_empty(jpath_str(pod, "spec.subdomain")),
                   str_or_empty(jpath_str(svc, "metadata.name"))) &&
           !strcmp(str_or_empty(jpath_str(pod, "metadata.namespace")),
                   str_or_empty(jpath_str(svc, "metadata.namespace")));
}

static const char *proto(const json_t *port)
{
    const char *p = jget_str(port, "protocol");
    return p && *p ? p : "TCP";
}

static int named_port(const json_t *containers, const char *name, const char *protocol,
                      bool sidecars_only)
{
    size_t i, j;
    json_t *c, *p;
    json_array_foreach (containers, i, c) {
        if (sidecars_only && strcmp(str_or_empty(jget_str(c, "restartPolicy")), "Always"))
            continue;
        json_array_foreach (jget_arr(c, "ports"), j, p) {
            if (!strcmp(str_or_empty(jget_str(p, "name")), name) && !strcmp(proto(p), protocol))
                return (int)jget_int(p, "containerPort", -1);
        }
    }
    return -1;
}

int ep__find_port(const json_t *pod, const json_t *svc_port)
{
    const json_t *tp = jget(svc_port, "targetPort");
    if (!tp || json_is_null(tp))
        return (int)jget_int(svc_port, "port", -1);
    if (json_is_integer(tp))
        return (int)json_integer_value(tp);
    if (!json_is_string(tp))
        return -1;
    const char *name = json_string_value(tp);
    const char *protocol = proto(svc_port);
    int port = named_port(jpath(pod, "spec.containers"), name, protocol, false);
    if (port < 0) /* sidecars: restartable init containers */
        port = named_port(jpath(pod, "spec.initContainers"), name, protocol, true);
    return port;
}

static bool is_ipv6(const char *ip)
{
    return strchr(ip, ':') != NULL;
}

const char *ep__pod_ip(const json_t *pod, const char *family)
{
    bool want6 = !strcmp(family, "IPv6");
    size_t i;
    json_t *p;

    json_array_foreach (jpath(pod, "status.podIPs"), i, p) {
        const char *ip = jget_str(p, "ip");
        if (ip && *ip && is_ipv6(ip) == want6)
            return ip;
    }
    /* an agent that only fills podIP */
    const char *ip = jpath_str(pod, "status.podIP");
    if (!json_array_size(jpath(pod, "status.podIPs")) && ip && *ip && is_ipv6(ip) == want6)
        return ip;
    return NULL;
}

bool ep__selects(const json_t *svc, const json_t *labels)
{
    const json_t *sel = jpath(svc, "spec.selector");
    const char *k;
    json_t *v;

    if (!json_is_object(sel))
        return false;
    json_object_foreach ((json_t *)sel, k, v) {
        const char *have = jget_str(labels, k);
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)))
            return false;
    }
    return true;
}

bool ep__headless(const json_t *svc)
{
    const char *ip = jpath_str(svc, "spec.clusterIP");
    return !ip || !*ip || !strcmp(ip, "None");
}

/* --- time --- */

static int64_t parse_us(const char *s)
{
    time_t t;
    int64_t us;
    if (!s || ktime_parse(s, &t, &us) < 0)
        return 0;
    return us;
}

int64_t ep__pod_trigger_time(const json_t *pod)
{
    return parse_us(jget_str(pod_condition(pod, "Ready"), "lastTransitionTime"));
}

char *ep__format_time(int64_t us, char *buf)
{
    int64_t frac = us % 1000000;
    if (!frac)
        return ktime_format((time_t)(us / 1000000), buf);
    ktime_format_micro(us, buf);
    /* RFC3339Nano drops trailing zeros of the fraction */
    size_t n = strlen(buf); /* ...ss.ffffffZ */
    size_t z = n - 1;
    while (buf[z - 1] == '0')
        z--;
    buf[z] = 'Z';
    buf[z + 1] = 0;
    return buf;
}

static int64_t min_nonzero(int64_t a, int64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

int64_t ep__trigger_compute(struct epc *c, const char *key, const json_t *svc, json_t **pods,
                            size_t n)
{
    json_t *state = json_object_get(c->triggers, key);
    bool known = state != NULL;
    json_t *last = jget(state, "pods");
    json_t *now_pods = json_object();
    int64_t min_changed = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t t = ep__pod_trigger_time(pods[i]);
        const char *name = jpath_str(pods[i], "metadata.name");
        if (!t || !name)
            continue;
        jset_int(now_pods, name, t);
        if (t > jget_int(last, name, 0))
            min_changed = min_nonzero(min_changed, t);
    }
    int64_t svc_t = parse_us(jpath_str(svc, "metadata.creationTimestamp"));
    if (svc_t > jget_int(state, "svc", 0))
        min_changed = min_nonzero(min_changed, svc_t);

    json_t *ns = json_object();
    json_object_set_new(ns, "pods", now_pods);
    jset_int(ns, "svc", svc_t);
    json_object_set_new(c->triggers, key, ns);
    return known ? min_changed : svc_t;
}

/* --- comparison --- */

json_t *ep__strip_empty(const json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach ((json_t *)v, k, x) {
            if (json_is_null(x) || (json_is_string(x) && !*json_string_value(x)))
                continue;
            json_object_set_new(o, k, ep__strip_empty(x));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach (v, i, x)
            json_array_append_new(a, ep__strip_empty(x));
        return a;
    }
    return json_incref((json_t *)v);
}

bool ep__same(const json_t *a, const json_t *b)
{
    json_t *x = a ? ep__strip_empty(a) : json_null(), *y = b ? ep__strip_empty(b) : json_null();
    bool eq = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

/* --- informer wiring --- */

/* Pod changes are batched (upstream's batch period, when set) and paced: a Service of many
 * pods is resynced as pods change at most as often as keeps its syncs to a tenth of a core
 * (the API server's work on the write comes on top), and at least once a second. Service
 * changes and our own objects' go at once. */
#define PACING_FACTOR 10
#define PACING_MAX_MS 1000

static void enqueue(struct epc *c, const char *key, bool batched)
{
    if (batched && c->batch_ms > 0)
        wq_add_after(c->q, key, c->batch_ms);
    else if (batched)
        wq_add_paced(c->q, key);
    else
        wq_add(c->q, key);
}

static void on_service(void *ctx, const json_t *obj)
{
    struct epc *c = ctx;
    char *key = obj_key(obj);
    enqueue(c, key, false);
    free(key);
}

static void on_service_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_service(ctx, cur);
}

/* Enqueue the Services of the pod's namespace that select labels. */
static void enqueue_selecting(struct epc *c, const json_t *pod, const json_t *labels)
{
    const char *ns = jpath_str(pod, "metadata.namespace");
    json_t **svcs;
    size_t n = informer_list(c->services, ns, NULL, &svcs);
    for (size_t i = 0; i < n; i++) {
        if (!ep__selects(svcs[i], labels))
            continue;
        char *key = obj_key(svcs[i]);
        enqueue(c, key, true);
        free(key);
    }
    informer_list_free(svcs, n);
}

static void on_pod_add(void *ctx, const json_t *obj)
{
    enqueue_selecting(ctx, obj, jpath(obj, "metadata.labels"));
}

static bool differs(const json_t *a, const json_t *b, const char *path)
{
    const json_t *x = jpath(a, path), *y = jpath(b, path);
    if (!x || !y)
        return x != y;
    return !json_equal((json_t *)x, (json_t *)y);
}

/* upstream podEndpointsChanged, plus a terminal phase and the Ready transition time (the
 * trigger time). */
static void on_pod_update(void *ctx, const json_t *old, const json_t *cur)
{
    struct epc *c = ctx;
    const char *orv = jpath_str(old, "metadata.resourceVersion");
    const char *crv = jpath_str(cur, "metadata.resourceVersion");
    if (orv && crv && !strcmp(orv, crv))
        return;
    bool labels_changed = differs(old, cur, "metadata.labels") ||
                          differs(old, cur, "spec.hostname") || differs(old, cur, "spec.subdomain");
    bool changed = (jpath(old, "metadata.deletionTimestamp") != NULL) !=
                       (jpath(cur, "metadata.deletionTimestamp") != NULL) ||
                   ep__pod_ready(old) != ep__pod_ready(cur) || differs(old, cur, "status.podIPs") ||
                   differs(old, cur, "status.podIP") || pod_terminal(old) != pod_terminal(cur) ||
                   ep__pod_trigger_time(old) != ep__pod_trigger_time(cur) ||
                   differs(old, cur, "spec.nodeName");
    if (!changed && !labels_changed)
        return;
    enqueue_selecting(c, cur, jpath(cur, "metadata.labels"));
    if (labels_changed)
        enqueue_selecting(c, old, jpath(old, "metadata.labels"));
}

static void on_pod_delete(void *ctx, const json_t *obj)
{
    enqueue_selecting(ctx, obj, jpath(obj, "metadata.labels"));
}

/* Is there a Service of obj's namespace and name? */
static bool service_exists(struct informer *services, const json_t *obj)
{
    json_t *svc = informer_get(services, jpath_str(obj, "metadata.namespace"),
                               jpath_str(obj, "metadata.name"));
    json_decref(svc);
    return svc != NULL;
}

/* Our own objects: resync the Service when someone else changed or deleted them. */
static const char *owning_service(struct epc *c, const json_t *obj)
{
    if (!strcmp(c->name, "endpoints"))
        return jpath_str(obj, "metadata.name");
    const json_t *labels = jpath(obj, "metadata.labels");
    if (strcmp(str_or_empty(jget_str(labels, LABEL_SLICE_MANAGED_BY)), EPS_CONTROLLER))
        return NULL;
    return jget_str(labels, LABEL_SERVICE_NAME);
}

static void own_changed(struct epc *c, const json_t *obj, bool deleted)
{
    const char *svc = owning_service(c, obj);
    if (!svc)
        return;
    char *key = xasprintf("%s/%s", str_or_empty(jpath_str(obj, "metadata.namespace")), svc);
    if (!deleted && strcmp(c->name, "endpoints")) {
        /* a slice at the version we wrote is our own echo */
        const char *rv = jpath_str(obj, "metadata.resourceVersion");
        pthread_mutex_lock(&c->mu);
        json_t *exp = jget(json_object_get(c->written, key), jpath_str(obj, "metadata.name"));
        bool echo = exp && rv && json_integer_value(exp) == strtoll(rv, NULL, 10);
        pthread_mutex_unlock(&c->mu);
        if (echo) {
            free(key);
            return;
        }
    }
    /* an update may still be our echo, come before we noted the version we wrote: paced */
    enqueue(c, key, !deleted);
    free(key);
}

static void on_own_add(void *ctx, const json_t *obj)
{
    struct epc *c = ctx;
    if (strcmp(c->name, "endpoints")) {
        own_changed(c, obj, false);
        return;
    }
    /* upstream's checkLeftoverEndpoints: an Endpoints of ours whose Service is gone (deleted
     * while we were not running) is looked at, and deleted. */
    const json_t *labels = jpath(obj, "metadata.labels");
    if (!strcmp(str_or_empty(jget_str(labels, LABEL_EP_MANAGED_BY)), "endpoint-controller") &&
        !service_exists(c->services, obj))
        own_changed(c, obj, true);
}

static void on_own_update(void *ctx, const json_t *old, const json_t *cur)
{
    struct epc *c = ctx;
    if (strcmp(c->name, "endpoints"))
        own_changed(c, cur, false);
}

static void on_own_delete(void *ctx, const json_t *obj)
{
    own_changed(ctx, obj, true);
}

struct epc *ep__new(const char *name, struct kclient *client, struct informer_factory *f,
                    enum res_id own, const char *component)
{
    struct epc *c = xcalloc(1, sizeof(*c));

    c->name = name;
    c->client = client;
    c->services = informer_factory_get(f, RES_SERVICES);
    c->pods = informer_factory_get(f, RES_PODS);
    c->nodes = informer_factory_get(f, RES_NODES);
    c->own = informer_factory_get(f, own);
    c->q = wq_new(name, NULL);
    wq_set_pacing(c->q, PACING_FACTOR, PACING_MAX_MS);
    c->rec = recorder_new(client, component, "");
    c->triggers = json_object();
    c->written = json_object();
    pthread_mutex_init(&c->mu, NULL);

    informer_add_handlers(
        c->services, &(struct informer_handlers){on_service, on_service_update, on_service, c});
    informer_add_handlers(c->pods,
                          &(struct informer_handlers){on_pod_add, on_pod_update, on_pod_delete, c});
    informer_add_handlers(c->own,
                          &(struct informer_handlers){on_own_add, on_own_update, on_own_delete, c});
    return c;
}

void ep__free(struct epc *c)
{
    if (!c)
        return;
    wq_shutdown(c->q);
    recorder_free(c->rec);
    wq_free(c->q);
    json_decref(c->triggers);
    json_decref(c->written);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int start(const struct ctrl_env *env, void **state, const char *name, enum res_id own,
                 const char *component, ctrl_sync_fn sync)
{
    struct epc *c = ep__new(name, env->client, env->informers, own, component);
    c->loop = ctrl_loop_start(name, c->q, 2, sync, c);
    *state = c;
    return 0;
}

static int endpoints_start(const struct ctrl_env *env, void **state)
{
    return start(env, state, "endpoints", RES_ENDPOINTS, "endpoint-controller", ep__sync_endpoints);
}

static int slices_start(const struct ctrl_env *env, void **state)
{
    return start(env, state, "endpointslice", RES_ENDPOINTSLICES, "endpoint-slice-controller",
                 ep__sync_slices);
}

static void stop(void *state)
{
    struct epc *c = state;
    if (!c)
        return;
    ctrl_loop_stop(c->loop);
    ep__free(c);
}

const struct controller_def endpoints_controller_def = {
    .name = "endpoints",
    .start = endpoints_start,
    .stop = stop,
};

const struct controller_def endpointslice_controller_def = {
    .name = "endpointslice",
    .start = slices_start,
    .stop = stop,
};
