/* endpointslice.c — the EndpointSlice controller's sync and reconciler (upstream's
 * pkg/controller/endpointslice syncService and k8s.io/endpointslice Reconciler).
 *
 * Per address type of the Service, the desired endpoints are grouped by their resolved port
 * set ("port mapping"); for each mapping the reconciler
 *   1. walks the existing slices: keeps the endpoints still desired (updating those that
 *      changed), drops the others, and marks the slice for update or deletion;
 *   2. fills the slices already being updated with the endpoints not placed yet, fullest first;
 *   3. puts what is left into the unchanged slice that comes closest to full, or new slices.
 * A Service with no endpoint at all keeps one empty placeholder slice. Slices that would be
 * created while others are deleted are written over those instead. Slices whose creation or
 * update the informer has not shown yet make the sync wait (upstream's EndpointSliceTracker),
 * so a stale cache never makes a duplicate.
 */
#include <errno.h>
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

/* --- building endpoints --- */

static int cmp_canon(const void *a, const void *b)
{
    char *x = json_dump_canonical(*(json_t *const *)a),
         *y = json_dump_canonical(*(json_t *const *)b);
    int c = strcmp(x, y);
    free(x);
    free(y);
    return c;
}

/* The key of a port set (upstream NewPortMapKey): its ports in a fixed order. Caller frees. */
static char *port_key(const json_t *ports)
{
    size_t n = json_array_size(ports);
    json_t **items = xcalloc(n ? n : 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = ep__strip_empty(json_array_get(ports, i));
    qsort(items, n, sizeof(*items), cmp_canon);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, items[i]);
    free(items);
    char *k = json_dump_canonical(a);
    json_decref(a);
    return k;
}

/* upstream getEndpointPorts. */
static json_t *endpoint_ports(const json_t *svc, const json_t *pod)
{
    json_t *out = json_array();
    const json_t *ports = jpath(svc, "spec.ports");
    size_t i;
    json_t *sp;

    if (!json_array_size(ports))
        return out;
    json_array_foreach (ports, i, sp) {
        int num = ep__find_port(pod, sp);
        if (num < 0)
            continue;
        json_t *p = json_object();
        const char *proto = jget_str(sp, "protocol");
        jset_str(p, "name", str_or_empty(jget_str(sp, "name")));
        jset_int(p, "port", num);
        jset_str(p, "protocol", proto && *proto ? proto : "TCP");
        if (jget_str(sp, "appProtocol"))
            jset_str(p, "appProtocol", jget_str(sp, "appProtocol"));
        json_array_append_new(out, p);
    }
    return out;
}

static bool is_ipv6(const char *ip)
{
    return strchr(ip, ':') != NULL;
}

/* upstream getEndpointAddresses. */
static json_t *endpoint_addresses(const json_t *pod, const char *type)
{
    bool want6 = !strcmp(type, "IPv6");
    json_t *out = json_array();
    size_t i;
    json_t *p;

    json_array_foreach (jpath(pod, "status.podIPs"), i, p) {
        const char *ip = jget_str(p, "ip");
        if (ip && *ip && is_ipv6(ip) == want6)
            json_array_append_new(out, json_string(ip));
    }
    const char *ip = jpath_str(pod, "status.podIP");
    if (!json_array_size(jpath(pod, "status.podIPs")) && ip && *ip && is_ipv6(ip) == want6)
        json_array_append_new(out, json_string(ip));
    return out;
}

/* upstream podToEndpoint. */
static json_t *pod_endpoint(const json_t *pod, const json_t *node, const json_t *svc,
                            const char *type)
{
    bool serving = ep__pod_ready(pod);
    bool terminating = jpath(pod, "metadata.deletionTimestamp") != NULL;
    bool ready = jget_bool(jget(svc, "spec"), "publishNotReadyAddresses", false) ||
                 (serving && !terminating);
    json_t *ep = json_object(), *cond = json_object(), *ref = json_object();
    const char *node_name = jpath_str(pod, "spec.nodeName");
    const char *zone = jget_str(jpath(node, "metadata.labels"), "topology.kubernetes.io/zone");

    json_object_set_new(ep, "addresses", endpoint_addresses(pod, type));
    jset_bool(cond, "ready", ready);
    jset_bool(cond, "serving", serving);
    jset_bool(cond, "terminating", terminating);
    json_object_set_new(ep, "conditions", cond);
    jset_str(ref, "kind", "Pod");
    jset_str(ref, "namespace", str_or_empty(jpath_str(pod, "metadata.namespace")));
    jset_str(ref, "name", str_or_empty(jpath_str(pod, "metadata.name")));
    jset_str(ref, "uid", str_or_empty(jpath_str(pod, "metadata.uid")));
    json_object_set_new(ep, "targetRef", ref);
    if (node_name && *node_name)
        jset_str(ep, "nodeName", node_name);
    if (zone && *zone)
        jset_str(ep, "zone", zone);
    if (ep__should_set_hostname(pod, svc))
        jset_str(ep, "hostname", jpath_str(pod, "spec.hostname"));
    return ep;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The identity of an endpoint (upstream hashEndpoint): addresses, hostname and the target's
 * namespace/name. Caller frees. */
static char *endpoint_hash(const json_t *ep)
{
    const json_t *addrs = jget(ep, "addresses");
    size_t n = json_array_size(addrs);
    const char **a = xcalloc(n ? n : 1, sizeof(*a));
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < n; i++)
        a[i] = str_or_empty(json_string_value(json_array_get(addrs, i)));
    qsort(a, n, sizeof(*a), cmp_str);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s,", a[i]);
    strbuf_addf(&sb, "|%s|%s/%s", str_or_empty(jget_str(ep, "hostname")),
                str_or_empty(jpath_str(ep, "targetRef.namespace")),
                str_or_empty(jpath_str(ep, "targetRef.name")));
    free(a);
    return strbuf_detach(&sb, NULL);
}

/* --- the desired state of one port mapping --- */

struct group {
    char *key;
    json_t *ports;
    json_t *eps;   /* desired endpoints, in pod order */
    json_t *index; /* hash -> position in eps */
    bool *taken;
    size_t left, next;
};

static void group_add(struct group *g, json_t *ep)
{
    char *h = endpoint_hash(ep);
    if (!json_object_get(g->index, h)) {
        json_object_set_new(g->index, h, json_integer((json_int_t)json_array_size(g->eps)));
        json_array_append(g->eps, ep);
        g->left++;
    }
    free(h);
}

/* The desired version of an existing endpoint, claimed; NULL if not desired (any more). */
static json_t *group_take(struct group *g, const json_t *ep)
{
    if (!g)
        return NULL;
    char *h = endpoint_hash(ep);
    json_t *idx = json_object_get(g->index, h);
    free(h);
    if (!idx)
        return NULL;
    size_t i = (size_t)json_integer_value(idx);
    if (g->taken[i])
        return NULL;
    g->taken[i] = true;
    g->left--;
    return json_array_get(g->eps, i);
}

static json_t *group_pop(struct group *g)
{
    while (g->next < json_array_size(g->eps) && g->taken[g->next])
        g->next++;
    if (g->next >= json_array_size(g->eps))
        return NULL;
    g->taken[g->next] = true;
    g->left--;
    return json_array_get(g->eps, g->next);
}

/* --- slices --- */

struct slist {
    json_t **v;
    size_t n;
};

static void slist_add(struct slist *l, json_t *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = s;
}

static void slist_release(struct slist *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static bool reserved_label(const char *k)
{
    return !strcmp(k, LABEL_SERVICE_NAME) || !strcmp(k, LABEL_SLICE_MANAGED_BY) ||
           !strcmp(k, LABEL_HEADLESS);
}

/* upstream setEndpointSliceLabels: the Service's labels (without the reserved ones), the
 * headless label and the two slice labels; *changed when the non-reserved labels differ. */
static json_t *slice_labels(const json_t *slice, const json_t *svc, bool *changed)
{
    json_t *mine = json_object(), *want = json_object();
    const char *k;
    json_t *v;

    json_object_foreach (jpath(slice, "metadata.labels"), k, v)
        if (!reserved_label(k))
            json_object_set(mine, k, v);
    json_object_foreach (jpath(svc, "metadata.labels"), k, v)
        if (!reserved_label(k))
            json_object_set(want, k, v);
    *changed = !json_equal(mine, want);
    json_decref(mine);
    if (ep__headless(svc))
        jset_str(want, LABEL_HEADLESS, "");
    jset_str(want, LABEL_SERVICE_NAME, str_or_empty(jpath_str(svc, "metadata.name")));
    jset_str(want, LABEL_SLICE_MANAGED_BY, EPS_CONTROLLER);
    return want;
}

static json_t *owner_ref(const json_t *svc)
{
    json_t *o = json_object();
    jset_str(o, "apiVersion", "v1");
    jset_str(o, "kind", "Service");
    jset_str(o, "name", str_or_empty(jpath_str(svc, "metadata.name")));
    jset_str(o, "uid", str_or_empty(jpath_str(svc, "metadata.uid")));
    jset_bool(o, "controller", true);
    jset_bool(o, "blockOwnerDeletion", true);
    return o;
}

static bool owned_by(const json_t *slice, const json_t *svc)
{
    const char *uid = str_or_empty(jpath_str(svc, "metadata.uid"));
    size_t i;
    json_t *o;
    json_array_foreach (jpath(slice, "metadata.ownerReferences"), i, o) {
        if (!strcmp(str_or_empty(jget_str(o, "uid")), uid) &&
            !strcmp(str_or_empty(jget_str(o, "kind")), "Service") &&
            !strcmp(str_or_empty(jget_str(o, "apiVersion")), "v1"))
            return true;
    }
    return false;
}

/* upstream newEndpointSlice. */
static json_t *new_slice(const json_t *svc, const json_t *ports, const char *type)
{
    json_t *s = json_object(), *meta = json_object(), *owners = json_array();
    char *prefix = xasprintf("%s-", str_or_empty(jpath_str(svc, "metadata.name")));
    bool changed;

    jset_str(s, "apiVersion", "discovery.k8s.io/v1");
    jset_str(s, "kind", "EndpointSlice");
    if (strlen(prefix) > 253)
        prefix[strlen(prefix) - 1] = 0;
    jset_str(meta, "generateName", prefix);
    jset_str(meta, "namespace", str_or_empty(jpath_str(svc, "metadata.namespace")));
    json_object_set_new(meta, "labels", slice_labels(NULL, svc, &changed));
    json_array_append_new(owners, owner_ref(svc));
    json_object_set_new(meta, "ownerReferences", owners);
    json_object_set_new(s, "metadata", meta);
    jset_str(s, "addressType", type);
    json_object_set_new(s, "endpoints", json_array());
    json_object_set(s, "ports", (json_t *)ports);
    free(prefix);
    return s;
}

static size_t nendpoints(const json_t *slice)
{
    return json_array_size(jget(slice, "endpoints"));
}

static const char *slice_name(const json_t *slice)
{
    return str_or_empty(jpath_str(slice, "metadata.name"));
}

static int cmp_fullest(const void *a, const void *b)
{
    size_t x = nendpoints(*(json_t *const *)a), y = nendpoints(*(json_t *const *)b);
    if (x != y)
        return x > y ? -1 : 1;
    return strcmp(slice_name(*(json_t *const *)a), slice_name(*(json_t *const *)b));
}

struct changes {
    struct slist create, update, del;
};

static void changes_release(struct changes *ch)
{
    slist_release(&ch->create);
    slist_release(&ch->update);
    slist_release(&ch->del);
}

/* upstream reconcileByPortMapping for one port mapping (g NULL: nothing desired). */
static void reconcile_mapping(const json_t *svc, json_t *existing, struct group *g,
                              const json_t *ports, const char *type, struct changes *ch)
{
    struct slist upd = {0}, unchanged = {0};
    size_t i, j;
    json_t *slice;

    /* 1. keep what is still desired, update what changed */
    json_array_foreach (existing, i, slice) {
        json_t *keep = json_array();
        bool updated = false, lchanged;
        json_t *ep;
        json_array_foreach (jget(slice, "endpoints"), j, ep) {
            json_t *want = group_take(g, ep);
            if (!want)
                continue;
            json_array_append(keep, want);
            if (!ep__same(want, ep))
                updated = true;
        }
        json_t *labels = slice_labels(slice, svc, &lchanged);
        if (updated || json_array_size(keep) != nendpoints(slice)) {
            if (!json_array_size(keep)) {
                slist_add(&ch->del, json_incref(slice));
            } else {
                json_t *cp = json_deep_copy(slice);
                json_object_set(cp, "endpoints", keep);
                json_object_set(jensure_obj(cp, "metadata"), "labels", labels);
                slist_add(&upd, cp);
            }
        } else if (lchanged) {
            json_t *cp = json_deep_copy(slice);
            json_object_set(jensure_obj(cp, "metadata"), "labels", labels);
            slist_add(&upd, cp);
        } else {
            slist_add(&unchanged, json_incref(slice));
        }
        json_decref(labels);
        json_decref(keep);
    }

    /* 2. fill the slices being updated, fullest first */
    if (g && g->left && upd.n) {
        qsort(upd.v, upd.n, sizeof(*upd.v), cmp_fullest);
        for (i = 0; i < upd.n && g->left; i++) {
            json_t *eps = jget(upd.v[i], "endpoints");
            while (g->left && json_array_size(eps) < EPS_MAX_PER_SLICE)
                json_array_append(eps, group_pop(g));
        }
    }

    /* 3. the rest: into the unchanged slice closest to full, else new slices */
    while (g && g->left) {
        json_t *fill = NULL;
        size_t at = 0;
        if (g->left < EPS_MAX_PER_SLICE && unchanged.n) {
            size_t closest = EPS_MAX_PER_SLICE;
            for (i = 0; i < unchanged.n; i++) {
                size_t have = nendpoints(unchanged.v[i]);
                if (have + g->left > EPS_MAX_PER_SLICE)
                    continue;
                size_t diff = EPS_MAX_PER_SLICE - (g->left + have);
                if (diff < closest) {
                    closest = diff;
                    fill = unchanged.v[i];
                    at = i;
                }
            }
        }
        bool fresh = !fill;
        if (fresh) {
            fill = new_slice(svc, ports, type);
        } else {
            json_t *cp = json_deep_copy(fill);
            json_decref(fill);
            unchanged.v[at] = unchanged.v[--unchanged.n];
            fill = cp;
        }
        json_t *eps = jget(fill, "endpoints");
        while (g->left && json_array_size(eps) < EPS_MAX_PER_SLICE)
            json_array_append(eps, group_pop(g));
        slist_add(fresh ? &ch->create : &upd, fill);
    }

    for (i = 0; i < upd.n; i++)
        slist_add(&ch->update, json_incref(upd.v[i]));
    slist_release(&upd);
    slist_release(&unchanged);
}

/* upstream placeholderSliceCompare: the fields a placeholder is made of. */
static bool same_placeholder(const json_t *a, const json_t *b)
{
    static const char *const paths[] = {"metadata.namespace", "metadata.ownerReferences",
                                        "addressType", NULL};
    for (size_t i = 0; paths[i]; i++)
        if (!ep__same(jpath(a, paths[i]), jpath(b, paths[i])))
            return false;
    const json_t *la = jpath(a, "metadata.labels"), *lb = jpath(b, "metadata.labels");
    if (!la || !lb || !json_equal((json_t *)la, (json_t *)lb))
        return false;
    return json_array_size(jget(a, "endpoints")) == 0 &&
           json_array_size(jget(b, "endpoints")) == 0 && json_array_size(jget(a, "ports")) == 0 &&
           json_array_size(jget(b, "ports")) == 0;
}

/* --- the sync --- */

static const char *const address_types[] = {"IPv4", "IPv6"};

/* upstream getAddressTypesForService. */
static void supported_types(const json_t *svc, bool types[2])
{
    const json_t *fams = jpath(svc, "spec.ipFamilies");
    size_t i;
    json_t *f;

    types[0] = types[1] = false;
    json_array_foreach (fams, i, f) {
        const char *s = json_string_value(f);
        if (s && !strcmp(s, "IPv4"))
            types[0] = true;
        if (s && !strcmp(s, "IPv6"))
            types[1] = true;
    }
    if (types[0] || types[1])
        return;
    if (!ep__headless(svc)) {
        types[is_ipv6(jpath_str(svc, "spec.clusterIP")) ? 1 : 0] = true;
        return;
    }
    types[0] = types[1] = true; /* headless and no families: both, until defaulted */
}

struct ctx {
    struct epc *c;
    const char *key, *ns;
    const json_t *svc;
    int64_t trigger;
    json_t *written; /* name -> RV written, or -1 deleted */
    int err;
};

static void annotate(json_t *slice, int64_t trigger)
{
    json_t *meta = jensure_obj(slice, "metadata");
    json_t *ann = jensure_obj(meta, "annotations");
    if (trigger) {
        char buf[KTIME_BUFSZ];
        jset_str(ann, ANN_TRIGGER_TIME, ep__format_time(trigger, buf));
    } else {
        json_object_del(ann, ANN_TRIGGER_TIME);
    }
    if (!json_object_size(ann))
        json_object_del(meta, "annotations");
}

static void note_written(struct ctx *x, const json_t *res)
{
    const char *name = jpath_str(res, "metadata.name");
    const char *rv = jpath_str(res, "metadata.resourceVersion");
    if (name && rv)
        jset_int(x->written, name, strtoll(rv, NULL, 10));
}

/* upstream finalize: creates become updates of slices about to be deleted; then create,
 * update, delete. */
static int finalize(struct ctx *x, struct changes *ch)
{
    struct epc *c = x->c;
    struct kstatus st;
    int rc = 0;

    for (size_t i = 0; i < ch->del.n && ch->create.n;) {
        json_t *old = ch->del.v[i];
        json_t *nw = ch->create.v[ch->create.n - 1];
        if (!strcmp(str_or_empty(jget_str(old, "addressType")),
                    str_or_empty(jget_str(nw, "addressType"))) &&
            owned_by(old, x->svc)) {
            json_t *meta = jensure_obj(nw, "metadata");
            json_object_del(meta, "generateName");
            jset_str(meta, "name", slice_name(old));
            jset_str(meta, "resourceVersion",
                     str_or_empty(jpath_str(old, "metadata.resourceVersion")));
            ch->create.n--;
            slist_add(&ch->update, nw);
            json_decref(old);
            ch->del.v[i] = ch->del.v[--ch->del.n];
        } else {
            i++;
        }
    }

    if (!jpath(x->svc, "metadata.deletionTimestamp")) {
        for (size_t i = 0; i < ch->create.n; i++) {
            json_t *res = NULL;
            annotate(ch->create.v[i], x->trigger);
            int r =
                kclient_create(c->client, RES_ENDPOINTSLICES, x->ns, ch->create.v[i], &res, &st);
            if (r < 0) {
                log_info("endpointslice", "creating a slice for %s: %s", x->key, st.message);
                return r;
            }
            note_written(x, res);
            json_decref(res);
        }
    }
    for (size_t i = 0; i < ch->update.n; i++) {
        json_t *res = NULL;
        annotate(ch->update.v[i], x->trigger);
        int r = kclient_update(c->client, RES_ENDPOINTSLICES, x->ns, ch->update.v[i], &res, &st);
        if (r < 0) {
            log_info("endpointslice", "updating slice %s of %s: %s", slice_name(ch->update.v[i]),
                     x->key, st.message);
            return r;
        }
        note_written(x, res);
        json_decref(res);
    }
    for (size_t i = 0; i < ch->del.n; i++) {
        int r = kclient_delete(c->client, RES_ENDPOINTSLICES, x->ns, slice_name(ch->del.v[i]), NULL,
                               &st);
        if (r < 0 && r != -ENOENT) {
            log_info("endpointslice", "deleting slice %s of %s: %s", slice_name(ch->del.v[i]),
                     x->key, st.message);
            return r;
        }
        jset_int(x->written, slice_name(ch->del.v[i]), -1);
    }
    return rc;
}

static void free_groups(struct group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(g[i].key);
        json_decref(g[i].ports);
        json_decref(g[i].eps);
        json_decref(g[i].index);
        free(g[i].taken);
    }
    free(g);
}

/* upstream reconcileByAddressType. */
static int reconcile_type(struct ctx *x, json_t **pods, size_t npods, struct slist *existing,
                          const char *type)
{
    struct epc *c = x->c;
    struct changes ch = {0};
    json_t *by_port = json_object(); /* port key -> [slices] */
    struct group *groups = NULL;
    size_t ngroups = 0, nexisting = 0;
    bool publish = jget_bool(jget(x->svc, "spec"), "publishNotReadyAddresses", false);
    int rc = 0;

    for (size_t i = 0; i < existing->n; i++) {
        json_t *s = existing->v[i];
        if (strcmp(str_or_empty(jget_str(s, "addressType")), type))
            continue;
        nexisting++;
        if (!owned_by(s, x->svc)) {
            slist_add(&ch.del, json_incref(s));
            continue;
        }
        char *k = port_key(jget(s, "ports"));
        json_t *arr = json_object_get(by_port, k);
        if (!arr) {
            arr = json_array();
            json_object_set_new(by_port, k, arr);
        }
        json_array_append(arr, s);
        free(k);
    }

    for (size_t i = 0; i < npods; i++) {
        const json_t *pod = pods[i];
        if (!ep__should_be_in_endpoints(pod, true))
            continue;
        const char *nn = jpath_str(pod, "spec.nodeName");
        json_t *node = nn && *nn ? informer_get(c->nodes, NULL, nn) : NULL;
        if (!node && !publish) {
            /* upstream: skip the pod, and try again later */
            x->err = -EAGAIN;
            continue;
        }
        json_t *ports = endpoint_ports(x->svc, pod);
        json_t *ep = pod_endpoint(pod, node, x->svc, type);
        json_decref(node);
        if (json_array_size(jget(ep, "addresses"))) {
            char *k = port_key(ports);
            struct group *g = NULL;
            for (size_t j = 0; j < ngroups; j++)
                if (!strcmp(groups[j].key, k))
                    g = &groups[j];
            if (!g) {
                groups = xrealloc(groups, (ngroups + 1) * sizeof(*groups));
                g = &groups[ngroups++];
                memset(g, 0, sizeof(*g));
                g->key = k;
                k = NULL;
                g->ports = json_incref(ports);
                g->eps = json_array();
                g->index = json_object();
            }
            group_add(g, ep);
            free(k);
        }
        json_decref(ep);
        json_decref(ports);
    }
    for (size_t j = 0; j < ngroups; j++)
        groups[j].taken = xcalloc(json_array_size(groups[j].eps) + 1, sizeof(bool));

    for (size_t j = 0; j < ngroups; j++)
        reconcile_mapping(x->svc, json_object_get(by_port, groups[j].key), &groups[j],
                          groups[j].ports, type, &ch);
    const char *k;
    json_t *arr;
    json_object_foreach (by_port, k, arr) {
        bool desired = false;
        for (size_t j = 0; j < ngroups; j++)
            if (!strcmp(groups[j].key, k))
                desired = true;
        if (desired)
            continue;
        size_t i;
        json_t *s;
        json_array_foreach (arr, i, s)
            slist_add(&ch.del, json_incref(s));
    }

    /* no endpoints at all: keep (or make) one placeholder */
    if (nexisting == ch.del.n && ch.create.n < 1) {
        json_t *empty = json_array();
        json_t *ph = new_slice(x->svc, empty, type);
        json_decref(empty);
        if (ch.del.n == 1 && same_placeholder(ch.del.v[0], ph)) {
            slist_release(&ch.del);
            json_decref(ph);
        } else {
            slist_add(&ch.create, ph);
        }
    }

    rc = finalize(x, &ch);
    changes_release(&ch);
    free_groups(groups, ngroups);
    json_decref(by_port);
    return rc;
}

/* upstream EndpointSliceTracker.StaleSlices, on resource versions: has the informer shown
 * every write of our last sync? */
static bool stale(struct epc *c, const char *key, struct slist *slices)
{
    json_t *w = json_object_get(c->written, key);
    const char *name;
    json_t *v;

    json_object_foreach (w, name, v) {
        const json_t *found = NULL;
        for (size_t i = 0; i < slices->n; i++)
            if (!strcmp(slice_name(slices->v[i]), name))
                found = slices->v[i];
        int64_t want = json_integer_value(v);
        if (want < 0) {
            if (found)
                return true;
            continue;
        }
        const char *rv = jpath_str(found, "metadata.resourceVersion");
        if (!found || !rv || strtoll(rv, NULL, 10) < want)
            return true;
    }
    return false;
}

int ep__sync_slices(void *ctx, const char *key)
{
    struct epc *c = ctx;
    char *ns, *name;
    json_t **pods = NULL, *svc;
    struct slist slices = {0};
    size_t npods = 0;
    int rc = 0;

    if (!informer_synced(c->services) || !informer_synced(c->pods) || !informer_synced(c->own) ||
        !informer_synced(c->nodes)) {
        wq_add_after(c->q, key, 100);
        return 0;
    }
    key_split(key, &ns, &name);
    svc = informer_get(c->services, ns, name);
    if (!svc) {
        /* the garbage collector deletes the slices through their owner reference */
        pthread_mutex_lock(&c->mu);
        json_object_del(c->triggers, key);
        json_object_del(c->written, key);
        pthread_mutex_unlock(&c->mu);
        goto out;
    }
    if (!strcmp(str_or_empty(jpath_str(svc, "spec.type")), "ExternalName") ||
        !json_is_object(jpath(svc, "spec.selector")))
        goto out;

    json_t **all;
    size_t nall = informer_list(c->pods, ns, NULL, &all);
    pods = xcalloc(nall ? nall : 1, sizeof(*pods));
    for (size_t i = 0; i < nall; i++)
        if (ep__selects(svc, jpath(all[i], "metadata.labels")))
            pods[npods++] = json_incref(all[i]);
    informer_list_free(all, nall);

    nall = informer_list(c->own, ns, NULL, &all);
    for (size_t i = 0; i < nall; i++) {
        const json_t *labels = jpath(all[i], "metadata.labels");
        if (strcmp(str_or_empty(jget_str(labels, LABEL_SERVICE_NAME)), name) ||
            strcmp(str_or_empty(jget_str(labels, LABEL_SLICE_MANAGED_BY)), EPS_CONTROLLER) ||
            jpath(all[i], "metadata.deletionTimestamp"))
            continue;
        slist_add(&slices, json_incref(all[i]));
    }
    informer_list_free(all, nall);

    struct ctx x = {c, key, ns, svc, 0, json_object(), 0};
    pthread_mutex_lock(&c->mu);
    bool is_stale = stale(c, key, &slices);
    if (!is_stale)
        x.trigger = ep__trigger_compute(c, key, svc, pods, npods);
    pthread_mutex_unlock(&c->mu);
    if (is_stale) {
        json_decref(x.written);
        rc = -EAGAIN; /* the informer has not shown our last writes yet */
        goto out;
    }

    bool types[2];
    supported_types(svc, types);
    struct changes gone = {0};
    for (size_t i = 0; i < slices.n; i++) {
        const char *t = str_or_empty(jget_str(slices.v[i], "addressType"));
        bool ok = (types[0] && !strcmp(t, "IPv4")) || (types[1] && !strcmp(t, "IPv6"));
        if (!ok)
            slist_add(&gone.del, json_incref(slices.v[i]));
    }
    for (int t = 0; t < 2 && rc == 0; t++)
        if (types[t])
            rc = reconcile_type(&x, pods, npods, &slices, address_types[t]);
    if (rc == 0 && gone.del.n)
        rc = finalize(&x, &gone);
    changes_release(&gone);
    if (rc == 0)
        rc = x.err;

    pthread_mutex_lock(&c->mu);
    json_object_set(c->written, key, x.written);
    pthread_mutex_unlock(&c->mu);
    json_decref(x.written);
    if (rc < 0 && rc != -EAGAIN) {
        recorder_eventf(c->rec, svc, "Warning", "FailedToUpdateEndpointSlices",
                        "Error updating Endpoint Slices for Service %s/%s: %s", ns, name,
                        strerror(-rc));
    }
out:
    slist_release(&slices);
    json_decref(svc);
    for (size_t i = 0; i < npods; i++)
        json_decref(pods[i]);
    free(pods);
    free(ns);
    free(name);
    return rc;
}
