/* admission.c — the server's own admission steps, the ones that need state beyond the object:
 * namespace lifecycle, Service ClusterIP and NodePort allocation, the default StorageClass of
 * claims, a pod's service account name.
 *
 * Allocation keeps an in-memory set of the IPs and node ports in use, built from the cache at
 * start and updated on every allocation and release; writes that fail release what they took.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/quantity.h"
#include "server/internal.h"



static bool bit_get(const unsigned char *b, size_t i)
{
    return b[i / 8] & (1u << (i % 8));
}

static void bit_set(unsigned char *b, size_t i, bool v)
{
    if (v)
        b[i / 8] |= (unsigned char)(1u << (i % 8));
    else
        b[i / 8] &= (unsigned char)~(1u << (i % 8));
}

/* Offset of ip in the service CIDR, or -1 if outside (or the network/broadcast address). */
static long ip_offset(struct server *srv, const char *ip)
{
    struct in_addr a;
    if (!ip || inet_pton(AF_INET, ip, &a) != 1)
        return -1;
    uint32_t h = ntohl(a.s_addr);
    if ((h & srv->svc_mask) != srv->svc_net)
        return -1;
    long off = (long)(h - srv->svc_net);
    if (off <= 0 || (size_t)off >= srv->ip_count - 1)
        return -1;
    return off;
}

static void offset_ip(struct server *srv, long off, char *buf, size_t n)
{
    struct in_addr a = {.s_addr = htonl(srv->svc_net + (uint32_t)off)};
    inet_ntop(AF_INET, &a, buf, (socklen_t)n);
}

static void mark_service(struct server *srv, const json_t *svc, bool used)
{
    long off = ip_offset(srv, jpath_str(svc, "spec.clusterIP"));
    if (off > 0)
        bit_set(srv->ip_bits, (size_t)off, used);
    size_t i;
    json_t *p;
    json_array_foreach(jpath(svc, "spec.ports"), i, p)
    {
        int64_t np = jget_int(p, "nodePort", 0);
        if (np >= NODEPORT_MIN && np <= NODEPORT_MAX)
            bit_set(srv->port_bits, (size_t)(np - NODEPORT_MIN), used);
    }
}

int admission_init(struct server *srv)
{
    const char *cidr = srv->cfg.service_cidr ? srv->cfg.service_cidr : "10.43.0.0/16";
    char net[64];
    const char *slash = strchr(cidr, '/');
    struct in_addr a;
    int bits;

    if (!slash || (size_t)(slash - cidr) >= sizeof(net))
        return -EINVAL;
    snprintf(net, sizeof(net), "%.*s", (int)(slash - cidr), cidr);
    bits = atoi(slash + 1);
    if (inet_pton(AF_INET, net, &a) != 1 || bits < 8 || bits > 30)
        return -EINVAL;
    srv->svc_mask = bits == 0 ? 0 : ~0u << (32 - bits);
    srv->svc_net = ntohl(a.s_addr) & srv->svc_mask;
    srv->ip_count = (size_t)1 << (32 - bits);
    srv->ip_bits = xcalloc((srv->ip_count + 7) / 8, 1);
    srv->svc_next = 1;
    pthread_mutex_init(&srv->ip_lock, NULL);

    struct obj **items;
    size_t n;
    int64_t rev;
    cache_list(srv->cache, resource_get(RES_SERVICES), NULL, &items, &n, &rev);
    for (size_t i = 0; i < n; i++) {
        mark_service(srv, items[i]->json, true);
        obj_unref(items[i]);
    }
    free(items);
    return 0;
}

/* The first free IP, round robin from the last allocation (upstream allocates randomly;
 * sequential keeps the kubernetes Service at .1 and the output predictable). */
static long alloc_ip(struct server *srv)
{
    for (size_t tries = 0; tries < srv->ip_count; tries++) {
        long off = (long)srv->svc_next;
        srv->svc_next = srv->svc_next + 1 >= srv->ip_count - 1 ? 1 : srv->svc_next + 1;
        if (off > 0 && !bit_get(srv->ip_bits, (size_t)off))
            return off;
    }
    return -1;
}

static int alloc_port(struct server *srv)
{
    for (int p = NODEPORT_MIN; p <= NODEPORT_MAX; p++)
        if (!bit_get(srv->port_bits, (size_t)(p - NODEPORT_MIN)))
            return p;
    return -1;
}

static int admit_service(struct server *srv, json_t *svc, struct api_err *e)
{
    json_t *spec = jensure_obj(svc, "spec");
    const char *type = jget_str(spec, "type");
    const char *ip = jget_str(spec, "clusterIP");
    const char *name = jpath_str(svc, "metadata.name");
    struct ferrs errs = FERRS_INIT;
    char buf[64];
    int rc = 0;

    pthread_mutex_lock(&srv->ip_lock);
    if (type && !strcmp(type, "ExternalName")) {
        /* No IP for an ExternalName service. */
    } else if (ip && !strcmp(ip, "None")) {
        json_t *ips = json_array();
        json_array_append_new(ips, json_string("None"));
        json_object_set_new(spec, "clusterIPs", ips);
    } else if (ip && *ip) {
        long off = ip_offset(srv, ip);
        if (off < 0 || bit_get(srv->ip_bits, (size_t)off)) {
            json_t *v = json_pack("[s]", ip);
            ferr_invalid(&errs, "spec.clusterIPs", v,
                         off < 0 ? "failed to allocate IP %s: the provided IP (%s) is not in the "
                                   "valid range. The range of valid IPs is %s"
                                 : "failed to allocate IP %s: provided IP is already allocated",
                         ip, ip, srv->cfg.service_cidr ? srv->cfg.service_cidr : "10.43.0.0/16");
            json_decref(v);
            rc = -EINVAL;
        } else {
            bit_set(srv->ip_bits, (size_t)off, true);
            json_t *ips = json_array();
            json_array_append_new(ips, json_string(ip));
            json_object_set_new(spec, "clusterIPs", ips);
        }
    } else {
        long off = alloc_ip(srv);
        if (off < 0) {
            api_err_internal(e, "failed to allocate a serviceIP: range is full");
            pthread_mutex_unlock(&srv->ip_lock);
            return -ENOSPC;
        }
        bit_set(srv->ip_bits, (size_t)off, true);
        offset_ip(srv, off, buf, sizeof(buf));
        jset_str(spec, "clusterIP", buf);
        json_t *ips = json_array();
        json_array_append_new(ips, json_string(buf));
        json_object_set_new(spec, "clusterIPs", ips);
    }
    if (rc == 0 && type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))) {
        size_t i;
        json_t *p;
        json_array_foreach(jget_arr(spec, "ports"), i, p)
        {
            int64_t np = jget_int(p, "nodePort", 0);
            if (np) {
                if (np < NODEPORT_MIN || np > NODEPORT_MAX ||
                    bit_get(srv->port_bits, (size_t)(np - NODEPORT_MIN))) {
                    char *f = xasprintf("spec.ports[%zu].nodePort", i);
                    ferr_invalid_int(&errs, f, np,
                                     np < NODEPORT_MIN || np > NODEPORT_MAX
                                         ? "provided port is not in the valid range. The range "
                                           "of valid ports is 30000-32767"
                                         : "provided port is already allocated");
                    free(f);
                    rc = -EINVAL;
                    continue;
                }
            } else {
                np = alloc_port(srv);
                if (np < 0) {
                    api_err_internal(e, "failed to allocate a nodePort: range is full");
                    rc = -ENOSPC;
                    break;
                }
                jset_int(p, "nodePort", np);
            }
            bit_set(srv->port_bits, (size_t)(np - NODEPORT_MIN), true);
        }
    }
    pthread_mutex_unlock(&srv->ip_lock);
    if (rc == -EINVAL) {
        /* Give back whatever this object already took. */
        admit_release(srv, resource_get(RES_SERVICES), svc);
        api_err_invalid(e, "", "Service", name ? name : "", &errs);
    } else if (rc < 0) {
        admit_release(srv, resource_get(RES_SERVICES), svc);
    }
    ferrs_release(&errs);
    return rc;
}

void admit_release(struct server *srv, const struct resource *r, const json_t *obj)
{
    if (r->id != RES_SERVICES || !srv->ip_bits)
        return;
    pthread_mutex_lock(&srv->ip_lock);
    mark_service(srv, obj, false);
    pthread_mutex_unlock(&srv->ip_lock);
}

static void add_finalizer(json_t *obj, const char *f);

static int check_namespace(struct server *srv, const struct resource *r, const json_t *obj,
                           struct api_err *e)
{
    const char *ns = jpath_str(obj, "metadata.namespace");
    struct obj *n = cache_get(srv->cache, resource_get(RES_NAMESPACES), "", ns);
    if (!n) {
        api_err_not_found(e, "", "namespaces", ns);
        return -ENOENT;
    }
    const char *phase = jpath_str(n->json, "status.phase");
    bool terminating = jpath(n->json, "metadata.deletionTimestamp") ||
                       (phase && !strcmp(phase, "Terminating"));
    obj_unref(n);
    if (terminating) {
        char *msg = xasprintf("unable to create new content in namespace %s because it is being "
                              "terminated",
                              ns);
        api_err_forbidden(e, r->group, r->plural, jpath_str(obj, "metadata.name"), msg);
        free(msg);
        return -EPERM;
    }
    return 0;
}

/* The default StorageClass: annotated is-default-class "true"; the newest wins if several. */
static char *default_storage_class(struct server *srv)
{
    struct obj **items;
    size_t n;
    int64_t rev;
    char *best = NULL;
    const char *best_ts = NULL;

    cache_list(srv->cache, resource_get(RES_STORAGECLASSES), NULL, &items, &n, &rev);
    for (size_t i = 0; i < n; i++) {
        json_t *ann = jpath(items[i]->json, "metadata.annotations");
        const char *d = jget_str(ann, "storageclass.kubernetes.io/is-default-class");
        if (!d)
            d = jget_str(ann, "storageclass.beta.kubernetes.io/is-default-class");
        if (!d || strcmp(d, "true"))
            continue;
        const char *ts = jpath_str(items[i]->json, "metadata.creationTimestamp");
        if (!best || (ts && best_ts && strcmp(ts, best_ts) > 0)) {
            free(best);
            best = xstrdup(items[i]->name);
            best_ts = ts;
        }
    }
    for (size_t i = 0; i < n; i++)
        obj_unref(items[i]);
    free(items);
    return best;
}

int admit_create(struct server *srv, const struct resource *r, json_t *obj, struct api_err *e)
{
    if (r->namespaced && check_namespace(srv, r, obj, e) < 0)
        return -1;
    switch (r->id) {
    case RES_SERVICES:
        return admit_service(srv, obj, e) < 0 ? -1 : 0;
    case RES_PERSISTENTVOLUMES:
        add_finalizer(obj, "kubernetes.io/pv-protection");
        return 0;
    case RES_PERSISTENTVOLUMECLAIMS: {
        json_t *spec = jensure_obj(obj, "spec");
        add_finalizer(obj, "kubernetes.io/pvc-protection");
        if (!jget(spec, "storageClassName")) {
            char *sc = default_storage_class(srv);
            if (sc)
                jset_str(spec, "storageClassName", sc);
            free(sc);
        }
        return 0;
    }
    case RES_PODS: {
        json_t *spec = jensure_obj(obj, "spec");
        const char *sa = jget_str(spec, "serviceAccountName");
        if (!sa || !*sa) {
            sa = jget_str(spec, "serviceAccount");
            jset_str(spec, "serviceAccountName", sa && *sa ? sa : "default");
        }
        jset_str(spec, "serviceAccount", jget_str(spec, "serviceAccountName"));
        return 0;
    }
    default:
        return 0;
    }
}

void admit_prepare_update(struct server *srv, const struct resource *r, json_t *obj,
                          const json_t *old)
{
    (void)srv;
    if (r->id != RES_SERVICES)
        return;
    /* As upstream's patchAllocatedValues: an update that leaves out the allocated ClusterIP or
     * node ports keeps them. */
    json_t *spec = jensure_obj(obj, "spec"), *ospec = jget_obj(old, "spec");
    const char *type = jget_str(spec, "type"), *otype = jget_str(ospec, "type");
    if (type && !strcmp(type, "ExternalName"))
        return;
    if (!jget_str(spec, "clusterIP") && jget_str(ospec, "clusterIP"))
        json_object_set(spec, "clusterIP", jget(ospec, "clusterIP"));
    if (!jget(spec, "clusterIPs") && jget(ospec, "clusterIPs"))
        json_object_set(spec, "clusterIPs", jget(ospec, "clusterIPs"));
    if (type && otype && !strcmp(type, otype) &&
        (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))) {
        size_t i, j;
        json_t *p, *op;
        json_array_foreach(jget_arr(spec, "ports"), i, p)
        {
            if (jget(p, "nodePort"))
                continue;
            json_array_foreach(jget_arr(ospec, "ports"), j, op)
            {
                if (jget_int(op, "port", -1) == jget_int(p, "port", -2) && jget(op, "nodePort"))
                    json_object_set(p, "nodePort", jget(op, "nodePort"));
            }
        }
    }
}

/* Upstream's PersistentVolumeClaimResize plugin: a claim may grow only when it is bound and
 * its class allows expansion. */
static int admit_claim_resize(struct server *srv, const json_t *pvc, const json_t *old,
                              struct api_err *e)
{
    struct quantity nq, oq;
    const char *ns = jpath_str(pvc, "spec.resources.requests.storage");
    const char *os = jpath_str(old, "spec.resources.requests.storage");
    const char *name = jpath_str(pvc, "metadata.name");

    if (!ns || !os || quantity_parse(ns, &nq) < 0 || quantity_parse(os, &oq) < 0 ||
        quantity_cmp(&nq, &oq) <= 0)
        return 0;
    const char *phase = jpath_str(old, "status.phase");
    if (!phase || strcmp(phase, "Bound")) {
        api_err_forbidden(e, "", "persistentvolumeclaims", name,
                          "Only bound persistent volume claims can be expanded");
        return -EPERM;
    }
    const char *cls = jpath_str(pvc, "spec.storageClassName");
    struct obj *sc = cls && *cls ? cache_get(srv->cache, resource_get(RES_STORAGECLASSES), "", cls)
                                 : NULL;
    bool allowed = sc && jget_bool(sc->json, "allowVolumeExpansion", false);
    if (sc)
        obj_unref(sc);
    if (!allowed) {
        api_err_forbidden(e, "", "persistentvolumeclaims", name,
                          "only dynamically provisioned pvc can be resized and the storageclass "
                          "that provisions the pvc must support resize");
        return -EPERM;
    }
    return 0;
}

int admit_update(struct server *srv, const struct resource *r, json_t *obj, const json_t *old,
                 struct api_err *e)
{
    if (r->id == RES_PERSISTENTVOLUMECLAIMS)
        return admit_claim_resize(srv, obj, old, e);
    return 0;
}

/* Upstream's StorageObjectInUseProtection plugin: claims and volumes are born with the
 * finalizer that keeps them while in use. */
static void add_finalizer(json_t *obj, const char *f)
{
    json_t *fin = jensure_arr(jensure_obj(obj, "metadata"), "finalizers");
    size_t i;
    json_t *v;
    json_array_foreach(fin, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), f))
        return;
    json_array_append_new(fin, json_string(f));
}

int admit_delete(struct server *srv, const struct resource *r, const json_t *obj,
                 struct api_err *e)
{
    (void)srv;
    if (r->id == RES_NAMESPACES) {
        const char *name = jpath_str(obj, "metadata.name");
        static const char *const immortal[] = {"default", "kube-system", "kube-public"};
        for (size_t i = 0; i < ARRAY_SIZE(immortal); i++)
            if (name && !strcmp(name, immortal[i])) {
                api_err_forbidden(e, "", "namespaces", name, "this namespace may not be deleted");
                return -EPERM;
            }
    }
    return 0;
}
