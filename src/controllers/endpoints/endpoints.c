/* endpoints.c — the Endpoints controller's sync (upstream's syncService in
 * pkg/controller/endpoint/endpoints_controller.go).
 *
 * Subsets are built as upstream's RepackSubsets builds them: every (port, address) pair is
 * collected, addresses that offer exactly the same ports end up in one subset, an address that
 * is not ready on one port is not ready at all. Upstream then orders subsets and ports by a
 * hash of their Go representation; berth orders them by content instead (addresses by IP then
 * uid as upstream), which is just as canonical for "did anything change?".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "controllers/endpoints/endpoints.h"

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The address family the Service's endpoints use (upstream podToEndpointAddressForService). */
static const char *service_family(const json_t *svc, const json_t *pod)
{
    const json_t *fams = jpath(svc, "spec.ipFamilies");
    if (json_array_size(fams) && json_is_string(json_array_get(fams, 0)))
        return json_string_value(json_array_get(fams, 0));
    const char *ip =
        ep__headless(svc) ? jpath_str(pod, "status.podIP") : jpath_str(svc, "spec.clusterIP");
    return ip && strchr(ip, ':') ? "IPv6" : "IPv4";
}

static json_t *address_for(const json_t *svc, const json_t *pod, const char *ip)
{
    json_t *a = json_object();
    json_t *ref = json_object();
    const char *node = jpath_str(pod, "spec.nodeName");

    jset_str(a, "ip", ip);
    if (ep__should_set_hostname(pod, svc))
        jset_str(a, "hostname", jpath_str(pod, "spec.hostname"));
    if (node && *node)
        jset_str(a, "nodeName", node);
    jset_str(ref, "kind", "Pod");
    jset_str(ref, "namespace", str_or_empty(jpath_str(pod, "metadata.namespace")));
    jset_str(ref, "name", str_or_empty(jpath_str(pod, "metadata.name")));
    jset_str(ref, "uid", str_or_empty(jpath_str(pod, "metadata.uid")));
    json_object_set_new(a, "targetRef", ref);
    return a;
}

static json_t *port_for(const json_t *svc_port, int num)
{
    json_t *p = json_object();
    const char *name = jget_str(svc_port, "name"), *proto = jget_str(svc_port, "protocol");
    const char *app = jget_str(svc_port, "appProtocol");
    if (name && *name)
        jset_str(p, "name", name);
    jset_int(p, "port", num);
    jset_str(p, "protocol", proto && *proto ? proto : "TCP");
    if (app)
        jset_str(p, "appProtocol", app);
    return p;
}

/* portmap: canonical port (or "-" for the no-port sentinel) ->
 *   {"port": port or null, "addrs": {"<ip>|<uid>": ready}}
 * addrs: "<ip>|<uid>" -> the address object. */
static void map_address(json_t *portmap, json_t *addrs, const json_t *port, json_t *addr,
                        bool ready)
{
    char *pk = port ? json_dump_canonical(port) : xstrdup("-");
    char *ak =
        xasprintf("%s|%s", jget_str(addr, "ip"), str_or_empty(jpath_str(addr, "targetRef.uid")));
    json_t *e = json_object_get(portmap, pk);

    if (!json_object_get(addrs, ak))
        json_object_set(addrs, ak, addr);
    if (!e) {
        e = json_object();
        json_object_set(e, "port", port ? (json_t *)port : json_null());
        json_object_set_new(e, "addrs", json_object());
        json_object_set_new(portmap, pk, e);
    }
    json_t *set = json_object_get(e, "addrs");
    json_t *was = json_object_get(set, ak);
    if (!was || json_is_true(was)) /* not ready anywhere means not ready */
        json_object_set_new(set, ak, json_boolean(ready));
    free(pk);
    free(ak);
}

static int cmp_addr(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(str_or_empty(jget_str(x, "ip")), str_or_empty(jget_str(y, "ip")));
    if (c)
        return c;
    return strcmp(str_or_empty(jpath_str(x, "targetRef.uid")),
                  str_or_empty(jpath_str(y, "targetRef.uid")));
}

static int cmp_canon(const void *a, const void *b)
{
    char *x = json_dump_canonical(*(json_t *const *)a),
         *y = json_dump_canonical(*(json_t *const *)b);
    int c = strcmp(x, y);
    free(x);
    free(y);
    return c;
}

static json_t *sorted_array(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    json_t **items = xcalloc(n ? n : 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(arr, i);
    qsort(items, n, sizeof(*items), cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, items[i]);
    free(items);
    return out;
}

/* upstream RepackSubsets: group the ports by the set of addresses (with readiness) offering
 * them; one subset per group. */
static json_t *repack(json_t *portmap, json_t *addrs)
{
    json_t *groups = json_object(); /* address-set key -> {"ready":[],"notready":[],"ports":[]} */
    const char *pk;
    json_t *e;

    json_object_foreach (portmap, pk, e) {
        json_t *set = json_object_get(e, "addrs");
        char *gk = json_dump_canonical(set);
        json_t *g = json_object_get(groups, gk);
        if (!g) {
            const char *ak;
            json_t *ready;
            g = json_object();
            json_object_set_new(g, "ready", json_array());
            json_object_set_new(g, "notready", json_array());
            json_object_set_new(g, "ports", json_array());
            json_object_foreach (set, ak, ready)
                json_array_append(json_object_get(g, json_is_true(ready) ? "ready" : "notready"),
                                  json_object_get(addrs, ak));
            json_object_set_new(groups, gk, g);
        }
        json_t *port = json_object_get(e, "port");
        if (!json_is_null(port))
            json_array_append(json_object_get(g, "ports"), port);
        free(gk);
    }

    json_t *subsets = json_array();
    const char *gk;
    json_t *g;
    json_object_foreach (groups, gk, g) {
        json_t *ss = json_object();
        json_t *r = json_object_get(g, "ready"), *nr = json_object_get(g, "notready");
        json_t *ports = json_object_get(g, "ports");
        if (json_array_size(r))
            json_object_set_new(ss, "addresses", sorted_array(r, cmp_addr));
        if (json_array_size(nr))
            json_object_set_new(ss, "notReadyAddresses", sorted_array(nr, cmp_addr));
        if (json_array_size(ports))
            json_object_set_new(ss, "ports", sorted_array(ports, cmp_canon));
        json_array_append_new(subsets, ss);
    }
    json_decref(groups);
    json_t *sorted = sorted_array(subsets, cmp_canon);
    json_decref(subsets);
    return sorted;
}

static void keep_first(json_t *ss, const char *field, size_t max)
{
    json_t *a = jget(ss, field);
    if (!a)
        return;
    while (json_array_size(a) > max)
        json_array_remove(a, json_array_size(a) - 1);
    if (!json_array_size(a))
        json_object_del(ss, field);
}

/* upstream truncateEndpoints: at most EP_MAX_CAPACITY addresses, spread over the subsets in
 * proportion, ready ones first. Returns true if anything was cut. */
static bool truncate_endpoints(json_t *subsets)
{
    size_t ready = 0, notready = 0, i;
    json_t *s;

    json_array_foreach (subsets, i, s) {
        ready += json_array_size(jget(s, "addresses"));
        notready += json_array_size(jget(s, "notReadyAddresses"));
    }
    if (ready + notready <= EP_MAX_CAPACITY)
        return false;
    bool cut_ready = ready > EP_MAX_CAPACITY;
    size_t max = cut_ready ? EP_MAX_CAPACITY : EP_MAX_CAPACITY - ready;
    size_t total = cut_ready ? ready : notready, left = max;
    json_array_foreach (subsets, i, s) {
        size_t in = json_array_size(jget(s, cut_ready ? "addresses" : "notReadyAddresses"));
        size_t add = (size_t)ceil((double)in / (double)total * (double)max);
        if (add > left)
            add = left;
        if (cut_ready) {
            keep_first(s, "addresses", add);
            json_object_del(s, "notReadyAddresses");
            left -= json_array_size(jget(s, "addresses"));
        } else {
            keep_first(s, "notReadyAddresses", add);
            left -= json_array_size(jget(s, "notReadyAddresses"));
        }
    }
    return true;
}

static json_t *wanted_labels(const json_t *svc)
{
    const json_t *l = jpath(svc, "metadata.labels");
    json_t *labels = json_is_object(l) ? json_deep_copy(l) : json_object();
    if (ep__headless(svc))
        jset_str(labels, LABEL_HEADLESS, "");
    else
        json_object_del(labels, LABEL_HEADLESS);
    jset_str(labels, LABEL_EP_MANAGED_BY, "endpoint-controller");
    return labels;
}

static bool managed_by_us(const json_t *ep)
{
    return !strcmp(str_or_empty(jget_str(jpath(ep, "metadata.labels"), LABEL_EP_MANAGED_BY)),
                   "endpoint-controller");
}

static int service_gone(struct epc *c, const char *key, const char *ns, const char *name)
{
    json_t *ep = informer_get(c->own, ns, name);
    int rc = 0;

    /* Only what we manage: an Endpoints someone keeps by hand for a Service-less name stays. */
    if (ep && managed_by_us(ep)) {
        struct kstatus st;
        rc = kclient_delete(c->client, RES_ENDPOINTS, ns, name, NULL, &st);
        if (rc == -ENOENT)
            rc = 0;
    }
    json_decref(ep);
    pthread_mutex_lock(&c->mu);
    json_object_del(c->triggers, key);
    json_object_del(c->written, key);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ep__sync_endpoints(void *ctx, const char *key)
{
    struct epc *c = ctx;
    char *ns, *name;
    json_t **pods = NULL, *svc, *cur = NULL, *portmap = NULL, *addrs = NULL, *subsets = NULL;
    size_t npods = 0;
    int rc = 0;

    if (!informer_synced(c->services) || !informer_synced(c->pods) || !informer_synced(c->own)) {
        wq_add_after(c->q, key, 100);
        return 0;
    }
    key_split(key, &ns, &name);
    svc = informer_get(c->services, ns, name);
    if (!svc) {
        rc = service_gone(c, key, ns, name);
        goto out;
    }
    if (!strcmp(str_or_empty(jpath_str(svc, "spec.type")), "ExternalName") ||
        !json_is_object(jpath(svc, "spec.selector")))
        goto out;

    /* the selected pods */
    json_t **all;
    size_t nall = informer_list(c->pods, ns, NULL, &all);
    pods = xcalloc(nall ? nall : 1, sizeof(*pods));
    for (size_t i = 0; i < nall; i++)
        if (ep__selects(svc, jpath(all[i], "metadata.labels")))
            pods[npods++] = json_incref(all[i]);
    informer_list_free(all, nall);

    pthread_mutex_lock(&c->mu);
    int64_t trigger = ep__trigger_compute(c, key, svc, pods, npods);
    pthread_mutex_unlock(&c->mu);

    bool tolerate = jget_bool(jget(svc, "spec"), "publishNotReadyAddresses", false);
    const json_t *ports = jpath(svc, "spec.ports");
    portmap = json_object();
    addrs = json_object();
    for (size_t i = 0; i < npods; i++) {
        const json_t *pod = pods[i];
        if (!ep__should_be_in_endpoints(pod, tolerate))
            continue;
        const char *ip = ep__pod_ip(pod, service_family(svc, pod));
        if (!ip)
            continue;
        json_t *addr = address_for(svc, pod, ip);
        bool ready = tolerate || ep__pod_ready(pod);
        if (!json_array_size(ports)) {
            if (!strcmp(str_or_empty(jpath_str(svc, "spec.clusterIP")), "None"))
                map_address(portmap, addrs, NULL, addr, ready);
        } else {
            size_t j;
            json_t *sp;
            json_array_foreach (ports, j, sp) {
                int num = ep__find_port(pod, sp);
                if (num < 0)
                    continue;
                json_t *p = port_for(sp, num);
                map_address(portmap, addrs, p, addr, ready);
                json_decref(p);
            }
        }
        json_decref(addr);
    }
    subsets = repack(portmap, addrs);

    cur = informer_get(c->own, ns, name);
    const char *cur_rv = jpath_str(cur, "metadata.resourceVersion");
    pthread_mutex_lock(&c->mu);
    const char *stale = jget_str(c->written, key);
    bool is_stale = stale && cur_rv && !strcmp(stale, cur_rv);
    if (!is_stale)
        json_object_del(c->written, key);
    pthread_mutex_unlock(&c->mu);
    if (is_stale) {
        rc = -EAGAIN; /* our last write is not in the cache yet */
        goto out;
    }

    json_t *labels = wanted_labels(svc);
    json_t *cut = json_deep_copy(subsets);
    bool truncated = truncate_endpoints(cut);
    const json_t *cur_ann = jpath(cur, "metadata.annotations");
    bool cap_ok = (jget(cur_ann, ANN_OVER_CAPACITY) != NULL) == truncated;
    const json_t *cur_subsets = jget(cur, "subsets");
    if (cur &&
        ep__same(json_array_size(cur_subsets) ? cur_subsets : NULL,
                 json_array_size(cut) ? cut : NULL) &&
        json_is_object(jpath(cur, "metadata.labels")) &&
        json_equal(jpath(cur, "metadata.labels"), labels) && cap_ok) {
        json_decref(labels);
        json_decref(cut);
        goto out;
    }

    json_t *obj = cur ? json_deep_copy(cur) : json_object();
    if (!cur) {
        jset_str(obj, "apiVersion", "v1");
        jset_str(obj, "kind", "Endpoints");
        json_t *meta = jensure_obj(obj, "metadata");
        jset_str(meta, "name", name);
        jset_str(meta, "namespace", ns);
    }
    json_t *meta = jensure_obj(obj, "metadata");
    json_object_set_new(meta, "labels", labels);
    json_t *ann = jensure_obj(meta, "annotations");
    if (trigger) {
        char buf[KTIME_BUFSZ];
        jset_str(ann, ANN_TRIGGER_TIME, ep__format_time(trigger, buf));
    } else {
        json_object_del(ann, ANN_TRIGGER_TIME);
    }
    if (truncated)
        jset_str(ann, ANN_OVER_CAPACITY, "truncated");
    else
        json_object_del(ann, ANN_OVER_CAPACITY);
    if (!json_object_size(ann))
        json_object_del(meta, "annotations");
    if (json_array_size(cut))
        json_object_set(obj, "subsets", cut);
    else
        json_object_del(obj, "subsets");
    json_decref(cut);

    struct kstatus st;
    json_t *res = NULL;
    if (!cur) {
        rc = kclient_create(c->client, RES_ENDPOINTS, ns, obj, NULL, &st);
    } else {
        rc = kclient_update(c->client, RES_ENDPOINTS, ns, obj, &res, &st);
        const char *nrv = jpath_str(res, "metadata.resourceVersion");
        if (rc == 0 && cur_rv && nrv && strcmp(nrv, cur_rv)) {
            pthread_mutex_lock(&c->mu);
            jset_str(c->written, key, cur_rv);
            pthread_mutex_unlock(&c->mu);
        }
    }
    if (rc < 0) {
        log_info("endpoints", "%s endpoints %s: %s", cur ? "updating" : "creating", key,
                 st.message);
        recorder_eventf(c->rec, obj, "Warning",
                        cur ? "FailedToUpdateEndpoint" : "FailedToCreateEndpoint",
                        cur ? "Failed to update endpoint %s/%s: %s"
                            : "Failed to create endpoint for service %s/%s: %s",
                        ns, name, st.message);
    }
    json_decref(res);
    json_decref(obj);
out:
    json_decref(subsets);
    json_decref(portmap);
    json_decref(addrs);
    json_decref(cur);
    json_decref(svc);
    for (size_t i = 0; i < npods; i++)
        json_decref(pods[i]);
    free(pods);
    free(ns);
    free(name);
    return rc;
}
