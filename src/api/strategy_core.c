/* strategy_core.c — the core/v1 kinds other than Pod: Namespace, Service, Endpoints,
 * PersistentVolume, PersistentVolumeClaim, Event, Node, ConfigMap, Secret, ServiceAccount.
 *
 * Upstream: pkg/apis/core/v1/defaults.go, pkg/apis/core/validation/validation.go,
 * pkg/apis/core/validation/events.go and pkg/registry/core/<kind>/strategy.go (plus the
 * service REST storage's patchAllocatedValues and ip-family initialisation).
 */
#include <string.h>

#include "api/strategy_internal.h"
#include "base/alloc.h"
#include "base/base64.h"
#include "base/ktime.h"
#include "base/names.h"

static const char *str_or(const json_t *obj, const char *key, const char *def)
{
    const char *s = jget_str(obj, key);
    return s ? s : def;
}

static void set_default_str(json_t *obj, const char *key, const char *val)
{
    if (!*str_or(obj, key, ""))
        jset_str(obj, key, val);
}

/* Go's %#v of a []string / []core.<Named>. */
static char *go_slice(const json_t *arr, const char *type)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *v;

    strbuf_addf(&sb, "%s{", type);
    json_array_foreach(arr, i, v)
    {
        if (i)
            strbuf_addstr(&sb, ", ");
        strbuf_add_json_str(&sb, json_is_string(v) ? json_string_value(v) : "");
    }
    strbuf_addch(&sb, '}');
    return strbuf_detach(&sb, NULL);
}

static void invalid_slice(struct ferrs *e, const char *field, const json_t *arr, const char *type,
                          const char *detail)
{
    char *raw = go_slice(arr, type);
    strat__invalid_raw(e, field, raw, detail);
    free(raw);
}

static bool json_eq_or_absent(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return !a && !b;
    return json_equal(a, b);
}

/* --- Namespace --- */

static void namespace_defaults(json_t *ns)
{
    json_t *m = jget_obj(ns, "metadata");
    const char *name = str_or(m, "name", "");

    /* SetDefaults_Namespace + the strategy's Canonicalize: the label always equals the name. */
    if (*name)
        jset_str(jensure_obj(m, "labels"), "kubernetes.io/metadata.name", name);
    set_default_str(jensure_obj(ns, "status"), "phase", "Active");
}

static void namespace_prepare_create(json_t *ns)
{
    json_t *status = json_object();
    json_t *fins = jensure_arr(jensure_obj(ns, "spec"), "finalizers");
    size_t i;
    json_t *v;
    bool have = false;

    jset_str(status, "phase", "Active");
    json_object_set_new(ns, "status", status);
    json_array_foreach(fins, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), "kubernetes"))
            have = true;
    }
    if (!have)
        json_array_append_new(fins, json_string("kubernetes"));
}

static void namespace_prepare_update(json_t *ns, const json_t *old)
{
    const json_t *of = jget(jget_obj(old, "spec"), "finalizers");

    strat__prepare_update_meta(ns, old);
    /* spec.finalizers only change through namespaces/finalize */
    if (of)
        json_object_set(jensure_obj(ns, "spec"), "finalizers", (json_t *)of);
    else
        json_object_del(jensure_obj(ns, "spec"), "finalizers");
}

static void validate_finalizer_name(struct ferrs *e, const char *field, const char *name)
{
    static const char *const standard[] = {"kubernetes", "orphan", "foregroundDeletion", NULL};
    strat__check_qualified(e, field, name);
    if (!strchr(name, '/') && !strat__in(name, standard))
        ferr_invalid_str(e, field, name,
                         "name is neither a standard finalizer name nor is it fully qualified");
}

static void namespace_validate(const json_t *ns, struct ferrs *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(jget_arr(jget_obj(ns, "spec"), "finalizers"), i, v)
    {
        validate_finalizer_name(e, "spec.finalizers",
                                json_is_string(v) ? json_string_value(v) : "");
    }
}

static void namespace_validate_update(const json_t *ns, const json_t *old, struct ferrs *e)
{
    namespace_validate(ns, e);
}

static void namespace_validate_status(const json_t *ns, const json_t *old, struct ferrs *e)
{
    const char *phase = str_or(jget_obj(ns, "status"), "phase", "");
    if (!jget_str(jget_obj(ns, "metadata"), "deletionTimestamp")) {
        if (strcmp(phase, "Active"))
            ferr_invalid_str(e, "status.Phase", phase,
                             "may only be 'Active' if `deletionTimestamp` is empty");
    } else if (strcmp(phase, "Terminating")) {
        ferr_invalid_str(e, "status.Phase", phase,
                         "may only be 'Terminating' if `deletionTimestamp` is not empty");
    }
}

static bool namespace_field_value(const json_t *ns, const char *field, const char **val)
{
    if (strcmp(field, "status.phase"))
        return false;
    *val = str_or(jget_obj(ns, "status"), "phase", "");
    return true;
}

const struct res_strategy strat__namespace = {
    .defaults = namespace_defaults,
    .prepare_create = namespace_prepare_create,
    .prepare_update = namespace_prepare_update,
    .validate = namespace_validate,
    .validate_update = namespace_validate_update,
    .validate_status = namespace_validate_status,
    .field_value = namespace_field_value,
};

/* --- Service --- */

static const char *svc_type(const json_t *spec)
{
    const char *t = str_or(spec, "type", "");
    return *t ? t : "ClusterIP";
}

static bool svc_headless(const json_t *spec)
{
    return !strcmp(str_or(spec, "clusterIP", ""), "None");
}

static bool svc_externally_accessible(const json_t *spec)
{
    const char *t = svc_type(spec);
    return !strcmp(t, "LoadBalancer") || !strcmp(t, "NodePort") ||
           (!strcmp(t, "ClusterIP") && json_array_size(jget_arr(spec, "externalIPs")));
}

static void service_defaults(json_t *svc)
{
    json_t *spec = jensure_obj(svc, "spec"), *port, *ing;
    const char *type;
    size_t i;

    set_default_str(spec, "sessionAffinity", "None");
    if (!strcmp(str_or(spec, "sessionAffinity", ""), "None")) {
        json_object_del(spec, "sessionAffinityConfig");
    } else if (!strcmp(str_or(spec, "sessionAffinity", ""), "ClientIP") &&
               !jget(jget_obj(jget_obj(spec, "sessionAffinityConfig"), "clientIP"),
                     "timeoutSeconds")) {
        json_object_set_new(spec, "sessionAffinityConfig",
                            json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
    }
    set_default_str(spec, "type", "ClusterIP");
    type = svc_type(spec);
    json_array_foreach(jget_arr(spec, "ports"), i, port)
    {
        json_t *tp = jget(port, "targetPort");
        set_default_str(port, "protocol", "TCP");
        if (!tp || json_is_null(tp) || (json_is_integer(tp) && !json_integer_value(tp)) ||
            (json_is_string(tp) && !*json_string_value(tp)))
            json_object_set_new(port, "targetPort", json_integer(jget_int(port, "port", 0)));
    }
    if (svc_externally_accessible(spec))
        set_default_str(spec, "externalTrafficPolicy", "Cluster");
    if (!jget(spec, "internalTrafficPolicy") &&
        strat__in(type, (const char *const[]){"NodePort", "LoadBalancer", "ClusterIP", NULL}))
        jset_str(spec, "internalTrafficPolicy", "Cluster");
    if (!strcmp(type, "LoadBalancer")) {
        if (!jget(spec, "allocateLoadBalancerNodePorts"))
            jset_bool(spec, "allocateLoadBalancerNodePorts", true);
        json_t *ingress = jget_arr(jget_obj(jget_obj(svc, "status"), "loadBalancer"), "ingress");
        json_array_foreach(ingress, i, ing)
        {
            if (*str_or(ing, "ip", "") && !jget(ing, "ipMode"))
                jset_str(ing, "ipMode", "VIP");
        }
    }
    /* IP families (the service allocator's initIPFamilyFields, for berth's single-stack IPv4
     * cluster): headless services without a selector get RequireDualStack. */
    if (strcmp(type, "ExternalName")) {
        bool any_family = svc_headless(spec) && !json_object_size(jget_obj(spec, "selector"));
        if (!jget(spec, "ipFamilyPolicy"))
            jset_str(spec, "ipFamilyPolicy", any_family ? "RequireDualStack" : "SingleStack");
        if (!json_array_size(jget_arr(spec, "ipFamilies")))
            json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
    }
}

/* NormalizeClusterIPs: keep clusterIP and clusterIPs in step for clients that set only one. */
static void normalize_cluster_ips(json_t *svc, const json_t *old)
{
    json_t *spec = jensure_obj(svc, "spec"), *ips = jget_arr(spec, "clusterIPs");
    const json_t *ospec = jget_obj(old, "spec");
    const char *ip = str_or(spec, "clusterIP", "");

    if (!old) {
        if (*ip && !json_array_size(ips))
            json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
        return;
    }
    if (*ip && !json_array_size(ips)) {
        /* only the singular was given: an old client */
        if (!strcmp(ip, str_or(ospec, "clusterIP", "")) && jget(ospec, "clusterIPs"))
            json_object_set(spec, "clusterIPs", jget(ospec, "clusterIPs"));
        else
            json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
        return;
    }
    if (strcmp(ip, str_or(ospec, "clusterIP", "")) &&
        json_eq_or_absent(jget(ospec, "clusterIPs"), ips)) {
        if (!*ip)
            json_object_del(spec, "clusterIPs");
        else if (json_array_size(ips))
            json_array_set_new(ips, 0, json_string(ip));
    }
}

/* The service storage's patchAllocatedValues: an update that leaves out what the server
 * allocated (clusterIP(s), node ports) keeps the allocated values. */
static void patch_allocated(json_t *svc, const json_t *old)
{
    json_t *spec = jensure_obj(svc, "spec"), *port, *oport;
    const json_t *ospec = jget_obj(old, "spec");
    const char *nt = svc_type(spec), *ot = svc_type(ospec);
    size_t i, j;

    if (strcmp(nt, "ExternalName") && strcmp(ot, "ExternalName")) {
        if (!*str_or(spec, "clusterIP", "") && jget_str(ospec, "clusterIP"))
            jset_str(spec, "clusterIP", jget_str(ospec, "clusterIP"));
        if (!json_array_size(jget_arr(spec, "clusterIPs")) && jget(ospec, "clusterIPs") &&
            !strcmp(str_or(spec, "clusterIP", ""), str_or(ospec, "clusterIP", "")))
            json_object_set(spec, "clusterIPs", jget(ospec, "clusterIPs"));
    }
    if (strat__in(nt, (const char *const[]){"NodePort", "LoadBalancer", NULL}) &&
        strat__in(ot, (const char *const[]){"NodePort", "LoadBalancer", NULL})) {
        json_array_foreach(jget_arr(spec, "ports"), i, port)
        {
            if (jget_int(port, "nodePort", 0))
                continue;
            json_array_foreach(jget_arr(ospec, "ports"), j, oport)
            {
                long long np = jget_int(oport, "nodePort", 0);
                bool used = false;
                size_t k;
                json_t *p2;
                if (strcmp(str_or(oport, "name", ""), str_or(port, "name", "")) || !np)
                    continue;
                json_array_foreach(jget_arr(spec, "ports"), k, p2)
                {
                    if (jget_int(p2, "nodePort", 0) == np)
                        used = true;
                }
                if (!used)
                    jset_int(port, "nodePort", np);
                break;
            }
        }
    }
}

static void service_prepare_create(json_t *svc)
{
    json_object_set_new(svc, "status", json_pack("{s:{}}", "loadBalancer"));
    normalize_cluster_ips(svc, NULL);
}

static void service_prepare_update(json_t *svc, const json_t *old)
{
    strat__prepare_update_meta(svc, old);
    patch_allocated(svc, old);
    normalize_cluster_ips(svc, old);
}

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

/* %#v of the core.ServicePort key upstream uses for its duplicate check. */
static char *go_service_port_key(const char *proto, long long port)
{
    return xasprintf("core.ServicePort{Name:\"\", Protocol:\"%s\", AppProtocol:(*string)(nil), "
                     "Port:%lld, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, "
                     "NodePort:0}",
                     proto, port);
}

static void validate_cluster_ips(const json_t *spec, struct ferrs *e)
{
    const char *ip = str_or(spec, "clusterIP", "");
    const json_t *ips = jget_arr(spec, "clusterIPs"), *fams = jget_arr(spec, "ipFamilies");
    static const char *const families[] = {"IPv4", "IPv6", NULL};
    static const char *const policies[] = {"PreferDualStack", "RequireDualStack", "SingleStack",
                                           NULL};
    char p[STRAT_PATH_MAX];
    bool bad = false;
    size_t i, j;
    json_t *v;

    if (*ip) {
        if (!json_array_size(ips))
            ferr_required(e, "spec.clusterIPs", NULL);
        else if (strcmp(json_string_value(json_array_get(ips, 0)) ?: "", ip))
            invalid_slice(e, "spec.clusterIPs", ips, "[]string",
                          "first value must match `clusterIP`");
    } else if (json_array_size(ips)) {
        invalid_slice(e, "spec.clusterIPs", ips, "[]string",
                      "must be empty when `clusterIP` is not specified");
    }
    json_array_foreach(fams, i, v)
    {
        const char *f = json_is_string(v) ? json_string_value(v) : "";
        strat__path(p, "spec.ipFamilies[%zu]", i);
        if (!strat__in(f, families))
            ferr_not_supported(e, p, f, families);
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(fams, j), v)) {
                strat__duplicate_str(e, p, f);
                break;
            }
    }
    if (jget_str(spec, "ipFamilyPolicy") && !strat__in(jget_str(spec, "ipFamilyPolicy"), policies))
        ferr_not_supported(e, "spec.ipFamilyPolicy", jget_str(spec, "ipFamilyPolicy"), policies);
    json_array_foreach(ips, i, v)
    {
        const char *cip = json_is_string(v) ? json_string_value(v) : "";
        if (i == 0 && !strcmp(cip, "None")) {
            if (json_array_size(ips) > 1) {
                bad = true;
                invalid_slice(e, "spec.clusterIPs", ips, "[]string",
                              "'None' must be the first and only value");
            }
            continue;
        }
        strat__path(p, "spec.clusterIPs[%zu]", i);
        if (!strat__check_ip(e, p, cip, false))
            bad = true;
    }
    if (json_array_size(ips) > 2)
        invalid_slice(e, "spec.clusterIPs", ips, "[]string", "may only hold up to 2 values");
    if (bad)
        return;
    if (json_array_size(ips) == 2) {
        bool v6a = strchr(json_string_value(json_array_get(ips, 0)), ':') != NULL;
        bool v6b = strchr(json_string_value(json_array_get(ips, 1)), ':') != NULL;
        if (v6a == v6b)
            invalid_slice(e, "spec.clusterIPs", ips, "[]string",
                          "may specify no more than one IP for each IP family");
    }
    if (!svc_headless(spec)) {
        json_array_foreach(ips, i, v)
        {
            const char *f = json_string_value(json_array_get(fams, i));
            bool v6 = strchr(json_string_value(v), ':') != NULL;
            if (!f)
                break;
            strat__path(p, "spec.clusterIPs[%zu]", i);
            if (!strcmp(f, "IPv4") && v6) {
                char *d = xasprintf("expected an IPv4 value as indicated by `ipFamilies[%zu]`", i);
                ferr_invalid_str(e, p, json_string_value(v), d);
                free(d);
            } else if (!strcmp(f, "IPv6") && !v6) {
                char *d = xasprintf("expected an IPv6 value as indicated by `ipFamilies[%zu]`", i);
                ferr_invalid_str(e, p, json_string_value(v), d);
                free(d);
            }
        }
    }
}

static void service_validate(const json_t *svc, struct ferrs *e)
{
    static const char *const affinities[] = {"ClientIP", "None", NULL};
    static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort",
                                        NULL};
    static const char *const traffic[] = {"Cluster", "Local", NULL};
    const json_t *spec = jget_obj(svc, "spec"), *ports = jget_arr(spec, "ports");
    const char *type = str_or(spec, "type", ""), *aff = str_or(spec, "sessionAffinity", "");
    const char *first_ip = json_string_value(json_array_get(jget_arr(spec, "clusterIPs"), 0));
    char p[STRAT_PATH_MAX];
    json_t *names = json_object(), *port, *keys, *v;
    size_t i;

    if (!json_array_size(ports) && !svc_headless(spec) && strcmp(type, "ExternalName"))
        ferr_required(e, "spec.ports", NULL);
    if (!strcmp(type, "LoadBalancer") || !strcmp(type, "NodePort")) {
        if (svc_headless(spec)) {
            char *d = xasprintf("may not be set to 'None' for %s services", type);
            ferr_invalid_str(e, "spec.clusterIPs[0]", first_ip ? first_ip : "None", d);
            free(d);
        }
        if (!strcmp(type, "LoadBalancer")) {
            json_array_foreach(ports, i, port)
            {
                if (jget_int(port, "port", 0) != 10250)
                    continue;
                strat__path(p, "spec.ports[%zu]", i);
                ferr_invalid_int(e, p, 10250,
                                 "may not expose port 10250 externally since it is used by "
                                 "kubelet");
            }
        }
    } else if (!strcmp(type, "ExternalName")) {
        char *clean = xstrdup(str_or(spec, "externalName", ""));
        if (json_array_size(jget_arr(spec, "clusterIPs")))
            ferr_forbidden(e, "spec.clusterIPs", "may not be set for ExternalName services");
        if (json_array_size(jget_arr(spec, "ipFamilies")))
            ferr_forbidden(e, "spec.ipFamilies", "may not be set for ExternalName services");
        if (jget(spec, "ipFamilyPolicy"))
            ferr_forbidden(e, "spec.ipFamilyPolicy", "may not be set for ExternalName services");
        if (*clean && clean[strlen(clean) - 1] == '.')
            clean[strlen(clean) - 1] = 0;
        if (*clean)
            strat__check_dns_subdomain(e, "spec.externalName", clean);
        else
            ferr_required(e, "spec.externalName", NULL);
        free(clean);
    }
    json_array_foreach(ports, i, port)
    {
        const char *name = str_or(port, "name", ""), *proto = str_or(port, "protocol", "");
        strat__path(p, "spec.ports[%zu].name", i);
        if (json_array_size(ports) > 1 && !*name) {
            ferr_required(e, p, NULL);
        } else if (*name) {
            strat__check_dns_label(e, p, name);
            if (jget(names, name))
                strat__duplicate_str(e, p, name);
            else
                json_object_set_new(names, name, json_true());
        }
        strat__path(p, "spec.ports[%zu].port", i);
        strat__check_port_num(e, p, jget_int(port, "port", 0));
        strat__path(p, "spec.ports[%zu].protocol", i);
        if (!*proto)
            ferr_required(e, p, NULL);
        else if (!strat__in(proto, protocols))
            ferr_not_supported(e, p, proto, protocols);
        strat__path(p, "spec.ports[%zu].targetPort", i);
        strat__check_port_num_or_name(e, p, jget(port, "targetPort"));
    }
    json_decref(names);
    if (jget(spec, "selector"))
        strat__validate_labels(jget_obj(spec, "selector"), "spec.selector", e);
    if (!*aff)
        ferr_required(e, "spec.sessionAffinity", NULL);
    else if (!strat__in(aff, affinities))
        ferr_not_supported(e, "spec.sessionAffinity", aff, affinities);
    if (!strcmp(aff, "ClientIP")) {
        const json_t *cfg = jget_obj(spec, "sessionAffinityConfig");
        const json_t *cip = jget_obj(cfg, "clientIP");
        if (!cfg)
            ferr_required(e, "spec.sessionAffinityConfig",
                          "when session affinity type is ClientIP");
        else if (!cip)
            ferr_required(e, "spec.sessionAffinityConfig.clientIP",
                          "when session affinity type is ClientIP");
        else if (!jget(cip, "timeoutSeconds"))
            ferr_required(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                          "when session affinity type is ClientIP");
        else if (jget_int(cip, "timeoutSeconds", 0) <= 0 ||
                 jget_int(cip, "timeoutSeconds", 0) > 86400)
            ferr_invalid(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                         jget(cip, "timeoutSeconds"), "must be greater than 0 and less than 86400");
    } else if (!strcmp(aff, "None") && jget(spec, "sessionAffinityConfig")) {
        ferr_forbidden(e, "spec.sessionAffinityConfig",
                       "must not be set when session affinity is None");
    }
    if (strcmp(type, "ExternalName"))
        validate_cluster_ips(spec, e);
    json_array_foreach(jget_arr(spec, "externalIPs"), i, v)
    {
        strat__path(p, "spec.externalIPs[%zu]", i);
        strat__check_ip(e, p, json_is_string(v) ? json_string_value(v) : "", true);
    }
    if (!*type)
        ferr_required(e, "spec.type", NULL);
    else if (!strat__in(type, types))
        ferr_not_supported(e, "spec.type", type, types);
    if (!strcmp(type, "ClusterIP")) {
        json_array_foreach(ports, i, port)
        {
            if (!jget_int(port, "nodePort", 0))
                continue;
            strat__path(p, "spec.ports[%zu].nodePort", i);
            ferr_forbidden(e, p, "may not be used when `type` is 'ClusterIP'");
        }
    }
    keys = json_object();
    json_array_foreach(ports, i, port)
    {
        long long np = jget_int(port, "nodePort", 0);
        char *key;
        if (!np)
            continue;
        key = xasprintf("%s/%lld", str_or(port, "protocol", ""), np);
        if (jget(keys, key)) {
            strat__path(p, "spec.ports[%zu].nodePort", i);
            ferr_duplicate(e, p, jget(port, "nodePort"));
        }
        json_object_set_new(keys, key, json_true());
        free(key);
    }
    json_object_clear(keys);
    json_array_foreach(ports, i, port)
    {
        const char *proto = str_or(port, "protocol", "");
        long long num = jget_int(port, "port", 0);
        char *key = xasprintf("%s/%lld", proto, num);
        if (jget(keys, key)) {
            char *raw = go_service_port_key(proto, num);
            strat__path(p, "spec.ports[%zu]", i);
            strat__duplicate_raw(e, p, raw);
            free(raw);
        }
        json_object_set_new(keys, key, json_true());
        free(key);
    }
    json_decref(keys);
    /* validateServiceExternalTrafficPolicy */
    if (!svc_externally_accessible(spec)) {
        if (*str_or(spec, "externalTrafficPolicy", ""))
            ferr_invalid_str(e, "spec.externalTrafficPolicy",
                             jget_str(spec, "externalTrafficPolicy"),
                             "may only be set for externally-accessible services");
    } else if (!*str_or(spec, "externalTrafficPolicy", "")) {
        ferr_required(e, "spec.externalTrafficPolicy", NULL);
    } else if (!strat__in(jget_str(spec, "externalTrafficPolicy"), traffic)) {
        ferr_not_supported(e, "spec.externalTrafficPolicy", jget_str(spec, "externalTrafficPolicy"),
                           traffic);
    }
    if (jget_int(spec, "healthCheckNodePort", 0) &&
        !(!strcmp(type, "LoadBalancer") &&
          !strcmp(str_or(spec, "externalTrafficPolicy", ""), "Local")))
        ferr_invalid(e, "spec.healthCheckNodePort", jget(spec, "healthCheckNodePort"),
                     "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                     "'Local'");
    /* validateServiceInternalTrafficFieldsValue */
    if (!jget(spec, "internalTrafficPolicy")) {
        if (strat__in(type, (const char *const[]){"NodePort", "LoadBalancer", "ClusterIP", NULL}))
            ferr_required(e, "spec.internalTrafficPolicy", NULL);
    } else if (!strat__in(jget_str(spec, "internalTrafficPolicy"), traffic)) {
        ferr_not_supported(e, "spec.internalTrafficPolicy",
                           str_or(spec, "internalTrafficPolicy", ""), traffic);
    }
}

static void service_validate_update(const json_t *svc, const json_t *old, struct ferrs *e)
{
    const json_t *spec = jget_obj(svc, "spec"), *ospec = jget_obj(old, "spec");
    const json_t *ips = jget_arr(spec, "clusterIPs"), *oips = jget_arr(ospec, "clusterIPs");
    size_t n = json_array_size(ips), on = json_array_size(oips), i;
    char p[STRAT_PATH_MAX];

    /* validateUpgradeDowngradeClusterIPs: immutable unless to/from ExternalName */
    if (strcmp(svc_type(spec), "ExternalName") && strcmp(svc_type(ospec), "ExternalName") &&
        !(svc_headless(spec) && svc_headless(ospec))) {
        if (n == on) {
            for (i = 0; i < on; i++) {
                if (json_equal(json_array_get(ips, i), json_array_get(oips, i)))
                    continue;
                strat__path(p, "spec.clusterIPs[%zu]", i);
                invalid_slice(e, p, ips, "[]string", "may not change once set");
            }
        } else if (on > n) {
            if (!n)
                invalid_slice(e, "spec.clusterIPs[0]", ips, "[]string",
                              "primary clusterIP can not be unset");
            if (n && !json_equal(json_array_get(ips, 0), json_array_get(oips, 0)))
                invalid_slice(e, "spec.clusterIPs[0]", ips, "[]string", "may not change once set");
            if (n == 1 && strcmp(str_or(spec, "ipFamilyPolicy", ""), "SingleStack"))
                invalid_slice(e, "spec.clusterIPs[0]", ips, "[]string",
                              "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the "
                              "secondary clusterIP");
        } else if (on && !json_equal(json_array_get(ips, 0), json_array_get(oips, 0))) {
            invalid_slice(e, "spec.clusterIPs[0]", ips, "[]string", "may not change once set");
        }
        /* validateUpgradeDowngradeIPFamilies: the primary family is fixed */
        const json_t *f = jget_arr(spec, "ipFamilies"), *of = jget_arr(ospec, "ipFamilies");
        if (json_array_size(f) && json_array_size(of) &&
            !json_equal(json_array_get(f, 0), json_array_get(of, 0)))
            invalid_slice(e, "spec.ipFamilies[0]", f, "[]core.IPFamily", "may not change once set");
    }
    service_validate(svc, e);
}

static void service_validate_status(const json_t *svc, const json_t *old, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *ing;

    json_t *ingress = jget_arr(jget_obj(jget_obj(svc, "status"), "loadBalancer"), "ingress");

    json_array_foreach(ingress, i, ing)
    {
        if (!jget_str(ing, "ip"))
            continue;
        strat__path(p, "status.loadBalancer.ingress[%zu].ip", i);
        strat__check_ip(e, p, jget_str(ing, "ip"), false);
    }
}

static bool service_field_value(const json_t *svc, const char *field, const char **val)
{
    if (strcmp(field, "spec.clusterIP") && strcmp(field, "spec.type"))
        return false;
    *val = str_or(jget_obj(svc, "spec"), field + 5, "");
    return true;
}

const struct res_strategy strat__service = {
    .defaults = service_defaults,
    .prepare_create = service_prepare_create,
    .prepare_update = service_prepare_update,
    .validate = service_validate,
    .validate_update = service_validate_update,
    .validate_status = service_validate_status,
    .field_value = service_field_value,
};

/* --- Endpoints --- */

static void endpoints_defaults(json_t *ep)
{
    size_t i, j;
    json_t *ss, *port;
    json_array_foreach(jget_arr(ep, "subsets"), i, ss)
        json_array_foreach(jget_arr(ss, "ports"), j, port) set_default_str(port, "protocol", "TCP");
}

static void validate_endpoint_address(struct ferrs *e, const char *path, const json_t *a)
{
    char p[STRAT_PATH_MAX];
    strat__path(p, "%s.ip", path);
    strat__check_ip(e, p, str_or(a, "ip", ""), true);
    if (*str_or(a, "hostname", "")) {
        strat__path(p, "%s.hostname", path);
        strat__check_dns_label(e, p, jget_str(a, "hostname"));
    }
    if (jget_str(a, "nodeName")) {
        strat__path(p, "%s.nodeName", path);
        strat__check_dns_subdomain(e, p, jget_str(a, "nodeName"));
    }
}

static void endpoints_validate(const json_t *ep, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    size_t i, j;
    json_t *ss, *a;

    json_array_foreach(jget_arr(ep, "subsets"), i, ss)
    {
        const json_t *ports = jget_arr(ss, "ports");
        if (!json_array_size(jget_arr(ss, "addresses")) &&
            !json_array_size(jget_arr(ss, "notReadyAddresses"))) {
            strat__path(p, "subsets[%zu]", i);
            ferr_required(e, p, "must specify `addresses` or `notReadyAddresses`");
        }
        json_array_foreach(jget_arr(ss, "addresses"), j, a)
        {
            strat__path(p, "subsets[%zu].addresses[%zu]", i, j);
            validate_endpoint_address(e, p, a);
        }
        json_array_foreach(jget_arr(ss, "notReadyAddresses"), j, a)
        {
            strat__path(p, "subsets[%zu].notReadyAddresses[%zu]", i, j);
            validate_endpoint_address(e, p, a);
        }
        json_array_foreach(ports, j, a)
        {
            const char *name = str_or(a, "name", ""), *proto = str_or(a, "protocol", "");
            strat__path(p, "subsets[%zu].ports[%zu].name", i, j);
            if (json_array_size(ports) > 1 && !*name)
                ferr_required(e, p, NULL);
            else if (*name)
                strat__check_dns_label(e, p, name);
            strat__path(p, "subsets[%zu].ports[%zu].port", i, j);
            strat__check_port_num(e, p, jget_int(a, "port", 0));
            strat__path(p, "subsets[%zu].ports[%zu].protocol", i, j);
            if (!*proto)
                ferr_required(e, p, NULL);
            else if (!strat__in(proto, protocols))
                ferr_not_supported(e, p, proto, protocols);
        }
    }
}

static void endpoints_validate_update(const json_t *ep, const json_t *old, struct ferrs *e)
{
    endpoints_validate(ep, e);
}

static void prepare_update_meta_only(json_t *obj, const json_t *old)
{
    strat__prepare_update_meta(obj, old);
}

const struct res_strategy strat__endpoints = {
    .defaults = endpoints_defaults,
    .prepare_update = prepare_update_meta_only,
    .validate = endpoints_validate,
    .validate_update = endpoints_validate_update,
};

/* --- PersistentVolumeClaim specs (shared with StatefulSet claim templates) --- */

static const char *const access_modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                           "ReadWriteOncePod", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

void strat__pvc_spec_defaults(json_t *spec)
{
    if (json_is_object(spec) && !jget(spec, "volumeMode"))
        jset_str(spec, "volumeMode", "Filesystem");
}

static void validate_access_modes(struct ferrs *e, const char *path, const json_t *modes,
                                  const char *required_detail)
{
    char p[STRAT_PATH_MAX];
    bool rwop = false, other = false;
    size_t i;
    json_t *v;

    strat__path(p, "%s.accessModes", path);
    if (!json_array_size(modes))
        ferr_required(e, p, required_detail);
    json_array_foreach(modes, i, v)
    {
        const char *m = json_is_string(v) ? json_string_value(v) : "";
        if (!strat__in(m, access_modes))
            ferr_not_supported(e, p, m, access_modes);
        if (!strcmp(m, "ReadWriteOncePod"))
            rwop = true;
        else if (strat__in(m, access_modes))
            other = true;
    }
    if (rwop && other)
        ferr_forbidden(e, p, "may not use ReadWriteOncePod with other access modes");
}

void strat__pvc_spec_validate(const json_t *spec, const char *path, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    const json_t *storage = jget(jget_obj(jget_obj(spec, "resources"), "requests"), "storage");
    struct quantity q;

    validate_access_modes(e, path, jget_arr(spec, "accessModes"),
                          "at least 1 access mode is required");
    if (jget(spec, "selector")) {
        strat__path(p, "%s.selector", path);
        strat__validate_label_selector(jget_obj(spec, "selector"), p, e);
    }
    /* upstream's path for the storage request is resources[storage] (sic) */
    strat__path(p, "%s.resources[storage]", path);
    if (!storage)
        ferr_required(e, p, NULL);
    else if (strat__qty(storage, &q) && (quantity_is_negative(&q) || quantity_is_zero(&q)))
        ferr_invalid(e, p, storage, "must be greater than zero");
    if (*str_or(spec, "storageClassName", "")) {
        strat__path(p, "%s.storageClassName", path);
        strat__check_dns_subdomain(e, p, jget_str(spec, "storageClassName"));
    }
    if (jget_str(spec, "volumeMode") && !strat__in(jget_str(spec, "volumeMode"), volume_modes)) {
        strat__path(p, "%s.volumeMode", path);
        ferr_not_supported(e, p, jget_str(spec, "volumeMode"), volume_modes);
    }
    if (jget(spec, "volumeAttributesClassName") &&
        !*str_or(spec, "volumeAttributesClassName", "")) {
        strat__path(p, "%s.volumeAttributesClassName", path);
        ferr_required(e, p, "an empty string is disallowed");
    }
}

/* --- PersistentVolumeClaim --- */

static void pvc_defaults(json_t *pvc)
{
    set_default_str(jensure_obj(pvc, "status"), "phase", "Pending");
    strat__pvc_spec_defaults(jensure_obj(pvc, "spec"));
}

static void pvc_prepare_create(json_t *pvc)
{
    json_object_set_new(pvc, "status", json_object());
}

static void pvc_validate(const json_t *pvc, struct ferrs *e)
{
    strat__pvc_spec_validate(jget_obj(pvc, "spec"), "spec", e);
}

static void pvc_validate_update(const json_t *pvc, const json_t *old, struct ferrs *e)
{
    const json_t *spec = jget_obj(pvc, "spec"), *ospec = jget_obj(old, "spec");
    json_t *a = json_deep_copy(spec ? spec : json_object());
    json_t *b = json_deep_copy(ospec ? ospec : json_object());
    const json_t *ns = jget(jget_obj(jget_obj(spec, "resources"), "requests"), "storage");
    const json_t *os = jget(jget_obj(jget_obj(ospec, "resources"), "requests"), "storage");
    struct quantity nq, oq;

    pvc_validate(pvc, e);
    /* Retroactive default class (1.28+): a claim created with no class at all may get one
     * later (upstream validateStorageClassUpgradeFromNil). */
    if (!jget(ospec, "storageClassName") &&
        !jget_str(jpath(old, "metadata.annotations"), "volume.beta.kubernetes.io/storage-class") &&
        *str_or(spec, "storageClassName", ""))
        json_object_del(a, "storageClassName");
    /* the binder may set volumeName once */
    if (!*str_or(ospec, "volumeName", "")) {
        json_object_del(a, "volumeName");
        json_object_del(b, "volumeName");
    }
    /* expansion of bound claims, and volumeAttributesClassName changes, are allowed */
    if (!strcmp(str_or(jget_obj(pvc, "status"), "phase", ""), "Bound")) {
        json_t *req = jget_obj(jget_obj(a, "resources"), "requests");
        if (req && os)
            json_object_set(req, "storage", (json_t *)os);
    }
    json_object_del(a, "volumeAttributesClassName");
    json_object_del(b, "volumeAttributesClassName");
    if (!json_equal(a, b))
        ferr_forbidden(e, "spec",
                       "spec is immutable after creation except resources.requests and "
                       "volumeAttributesClassName for bound claims");
    /* RecoverVolumeExpansionFailure (beta, on in 1.32): a request may go back down, to recover
     * from a failed expansion, but never to or below what the volume already has. */
    if (strat__qty(ns, &nq) && strat__qty(os, &oq) && quantity_cmp(&nq, &oq) < 0) {
        struct quantity cq;
        const json_t *cap = jget(jget_obj(jget_obj(old, "status"), "capacity"), "storage");
        if (!strat__qty(cap, &cq))
            cq = (struct quantity){0};
        if (quantity_cmp(&nq, &cq) <= 0)
            ferr_forbidden(e, "spec.resources.requests.storage",
                           "field can not be less than status.capacity");
    }
    if (!json_eq_or_absent(jget(spec, "volumeMode"), jget(ospec, "volumeMode")))
        ferr_invalid(e, "volumeMode", jget(spec, "volumeMode"), "field is immutable");
    json_decref(a);
    json_decref(b);
}

static void pvc_validate_status(const json_t *pvc, const json_t *old, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    const char *k;
    json_t *v;
    struct quantity q;

    if (!json_array_size(jget_arr(jget_obj(pvc, "spec"), "accessModes")))
        ferr_required(e, "Spec.accessModes", NULL);
    json_object_foreach(jget_obj(jget_obj(pvc, "status"), "capacity"), k, v)
    {
        strat__path(p, "status.capacity[%s]", k);
        if (strat__qty(v, &q) && quantity_is_negative(&q))
            ferr_invalid(e, p, v, "must be a valid resource quantity");
    }
}

const struct res_strategy strat__persistentvolumeclaim = {
    .defaults = pvc_defaults,
    .prepare_create = pvc_prepare_create,
    .prepare_update = prepare_update_meta_only,
    .validate = pvc_validate,
    .validate_update = pvc_validate_update,
    .validate_status = pvc_validate_status,
};

/* --- PersistentVolume --- */

static void pv_defaults(json_t *pv)
{
    json_t *spec = jensure_obj(pv, "spec"), *hp;

    set_default_str(jensure_obj(pv, "status"), "phase", "Pending");
    set_default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
    if (!jget(spec, "volumeMode"))
        jset_str(spec, "volumeMode", "Filesystem");
    if ((hp = jget_obj(spec, "hostPath")) && !jget(hp, "type"))
        jset_str(hp, "type", "");
}

static void pv_prepare_create(json_t *pv)
{
    char now[KTIME_BUFSZ];
    json_t *status = json_object();

    /* PersistentVolumeLastPhaseTransitionTime is GA in 1.31 */
    jset_str(status, "phase", "Pending");
    jset_str(status, "lastPhaseTransitionTime", ktime_format(ktime_now(), now));
    json_object_set_new(pv, "status", status);
}

static const char *const pv_sources[] = {
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd",
    "quobyte", "cephfs", "iscsi", "cinder", "fc", "flexVolume", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "portworxVolume", "azureDisk", "scaleIO", "local", "storageos", "csi",
    NULL};

static void validate_node_selector(struct ferrs *e, const char *path, const json_t *ns)
{
    char p[STRAT_PATH_MAX];
    const json_t *terms = jget_arr(ns, "nodeSelectorTerms");
    size_t i, j, k;
    json_t *t, *r, *v;

    strat__path(p, "%s.nodeSelectorTerms", path);
    if (!json_array_size(terms)) {
        ferr_required(e, p, "must have at least one node selector term");
        return;
    }
    json_array_foreach(terms, i, t)
    {
        json_array_foreach(jget_arr(t, "matchExpressions"), j, r)
        {
            const char *op = str_or(r, "operator", "");
            size_t nv = json_array_size(jget_arr(r, "values"));
            char base[STRAT_PATH_MAX];
            strat__path(base, "%s.nodeSelectorTerms[%zu].matchExpressions[%zu]", path, i, j);
            strat__path(p, "%s.values", base);
            if (strat__in(op, (const char *const[]){"In", "NotIn", NULL})) {
                if (!nv)
                    ferr_required(e, p, "must be specified when `operator` is 'In' or 'NotIn'");
            } else if (strat__in(op, (const char *const[]){"Exists", "DoesNotExist", NULL})) {
                if (nv)
                    ferr_forbidden(e, p,
                                   "may not be specified when `operator` is 'Exists' or "
                                   "'DoesNotExist'");
            } else if (strat__in(op, (const char *const[]){"Gt", "Lt", NULL})) {
                if (nv != 1)
                    ferr_required(e, p,
                                  "must be specified single value when `operator` is 'Lt' or 'Gt'");
            } else {
                strat__path(p, "%s.operator", base);
                ferr_invalid_str(e, p, op, "not a valid selector operator");
            }
            strat__path(p, "%s.key", base);
            strat__check_qualified(e, p, str_or(r, "key", ""));
            json_array_foreach(jget_arr(r, "values"), k, v)
            {
                const char *msgs[NAME_MAX_MSGS];
                const char *val = json_is_string(v) ? json_string_value(v) : "";
                int n = name_check_label_value(val, msgs);
                strat__path(p, "%s.values[%zu]", base, k);
                for (int m = 0; m < n; m++)
                    ferr_invalid_str(e, p, val, msgs[m]);
            }
        }
    }
}

static void pv_validate(const json_t *pv, struct ferrs *e)
{
    static const char *const reclaim[] = {"Delete", "Recycle", "Retain", NULL};
    static const char *const storage_only[] = {"storage", NULL};
    const json_t *spec = jget_obj(pv, "spec"), *cap = jget_obj(spec, "capacity");
    const char *policy = str_or(spec, "persistentVolumeReclaimPolicy", "");
    const json_t *na = jget_obj(spec, "nodeAffinity");
    char p[STRAT_PATH_MAX];
    int num = 0;
    const char *k;
    json_t *v;

    validate_access_modes(e, "spec", jget_arr(spec, "accessModes"), NULL);
    if (!json_object_size(cap))
        ferr_required(e, "spec.capacity", NULL);
    if (!jget(cap, "storage") || json_object_size(cap) > 1) {
        ferr_not_supported(e, "spec.capacity", "", storage_only);
        free(e->v[e->nr - 1].value);
        e->v[e->nr - 1].value = cap ? json_dump_compact(cap) : xstrdup("{}");
    }
    json_object_foreach((json_t *)cap, k, v)
    {
        struct quantity q;
        strat__path(p, "spec.capacity[%s]", k);
        if (strat__qty(v, &q) && (quantity_is_negative(&q) || quantity_is_zero(&q)))
            ferr_invalid(e, p, v, "must be greater than zero");
    }
    if (*str_or(spec, "storageClassName", ""))
        strat__check_dns_subdomain(e, "spec.storageClassName", jget_str(spec, "storageClassName"));
    if (jget_str(spec, "volumeMode") && !strat__in(jget_str(spec, "volumeMode"), volume_modes))
        ferr_not_supported(e, "spec.volumeMode", jget_str(spec, "volumeMode"), volume_modes);
    if (*policy && !strat__in(policy, reclaim))
        ferr_not_supported(e, "spec.persistentVolumeReclaimPolicy", policy, reclaim);
    if (na) {
        if (jget(na, "required"))
            validate_node_selector(e, "spec.nodeAffinity.required", jget_obj(na, "required"));
        else
            ferr_required(e, "spec.nodeAffinity.required",
                          "must specify required node constraints");
    }
    for (const char *const *t = pv_sources; *t; t++) {
        const json_t *s = jget(spec, *t);
        if (!s)
            continue;
        strat__path(p, "spec.%s", *t);
        if (num++ > 0) {
            ferr_forbidden(e, p, "may not specify more than 1 volume type");
            continue;
        }
        if (!strcmp(*t, "hostPath") || !strcmp(*t, "local")) {
            const char *hp = str_or(s, "path", "");
            strat__path(p, "spec.%s.path", *t);
            if (!*hp)
                ferr_required(e, p, NULL);
            for (const char *c = hp; (c = strstr(c, "..")); c += 2) {
                if ((c == hp || c[-1] == '/') && (c[2] == 0 || c[2] == '/')) {
                    ferr_invalid_str(e, p, hp, "must not contain '..'");
                    break;
                }
            }
            if (!strcmp(*t, "local") && !na)
                ferr_required(e, "spec.nodeAffinity", "Local volume requires node affinity");
        } else if (!strcmp(*t, "nfs")) {
            const char *np = str_or(s, "path", "");
            if (!*str_or(s, "server", ""))
                ferr_required(e, "spec.nfs.server", NULL);
            if (!*np)
                ferr_required(e, "spec.nfs.path", NULL);
            if (np[0] != '/')
                ferr_invalid_str(e, "spec.nfs.path", np, "must be an absolute path");
        } else if (!strcmp(*t, "csi")) {
            if (!*str_or(s, "driver", ""))
                ferr_required(e, "spec.csi.driver", NULL);
            if (!*str_or(s, "volumeHandle", ""))
                ferr_required(e, "spec.csi.volumeHandle", NULL);
        }
    }
    if (!num)
        ferr_required(e, "spec", "must specify a volume type");
    /* do not allow hostPath mounts of '/' to have a 'recycle' reclaim policy */
    if (jget(spec, "hostPath") && !strcmp(policy, "Recycle")) {
        const char *hp = str_or(jget(spec, "hostPath"), "path", "");
        bool root = *hp != 0;
        for (const char *c = hp; *c; c++)
            if (*c != '/')
                root = false;
        if (root)
            ferr_forbidden(e, "spec.persistentVolumeReclaimPolicy",
                           "may not be 'recycle' for a hostPath mount of '/'");
    }
}

static void pv_validate_update(const json_t *pv, const json_t *old, struct ferrs *e)
{
    const json_t *spec = jget_obj(pv, "spec"), *ospec = jget_obj(old, "spec");
    bool same = true;

    pv_validate(pv, e);
    for (const char *const *t = pv_sources; *t; t++) {
        json_t *a = jget(spec, *t), *b = jget(ospec, *t);
        if (!strcmp(*t, "csi") && a && b && !jget(b, "controllerExpandSecretRef")) {
            /* a controllerExpandSecretRef may be added later */
            json_t *ac = json_deep_copy(a);
            json_object_del(ac, "controllerExpandSecretRef");
            same &= json_equal(ac, b);
            json_decref(ac);
            continue;
        }
        same &= json_eq_or_absent(a, b);
    }
    if (!same)
        ferr_forbidden(e, "spec.persistentvolumesource",
                       "spec.persistentvolumesource is immutable after creation");
    if (!json_eq_or_absent(jget(spec, "volumeMode"), jget(ospec, "volumeMode")))
        ferr_invalid(e, "volumeMode", jget(spec, "volumeMode"), "field is immutable");
    if (jget(ospec, "nodeAffinity") &&
        !json_eq_or_absent(jget(spec, "nodeAffinity"), jget(ospec, "nodeAffinity")))
        ferr_invalid(e, "nodeAffinity", jget(spec, "nodeAffinity"), "field is immutable");
}

const struct res_strategy strat__persistentvolume = {
    .defaults = pv_defaults,
    .prepare_create = pv_prepare_create,
    .prepare_update = prepare_update_meta_only,
    .validate = pv_validate,
    .validate_update = pv_validate_update,
};

/* --- Event (core/v1: legacy validation only, as upstream for this version) --- */

static void event_validate(const json_t *ev, struct ferrs *e)
{
    const json_t *io = jget_obj(ev, "involvedObject");
    const char *ns = str_or(jget_obj(ev, "metadata"), "namespace", "");
    const char *ions = str_or(io, "namespace", "");

    if (!jget_str(ev, "eventTime")) {
        if (!*ions) {
            if (*ns && strcmp(ns, "default"))
                ferr_invalid_str(e, "involvedObject.namespace", ions,
                                 "does not match event.namespace");
        } else if (strcmp(ns, ions)) {
            ferr_invalid_str(e, "involvedObject.namespace", ions, "does not match event.namespace");
        }
    } else {
        const char *rc = str_or(ev, "reportingComponent", "");
        if (!*ions && strcmp(ns, "default") && strcmp(ns, "kube-system"))
            ferr_invalid_str(e, "involvedObject.namespace", ions, "does not match event.namespace");
        if (!*rc)
            ferr_required(e, "reportingComponent", NULL);
        strat__check_qualified(e, "reportingComponent", rc);
        if (!*str_or(ev, "reportingInstance", ""))
            ferr_required(e, "reportingInstance", NULL);
        if (strlen(str_or(ev, "reportingInstance", "")) > 128)
            ferr_invalid_str(e, "reportingInstance", "", "can have at most 128 characters");
        if (!*str_or(ev, "action", ""))
            ferr_required(e, "action", NULL);
        if (strlen(str_or(ev, "action", "")) > 128)
            ferr_invalid_str(e, "action", "", "can have at most 128 characters");
        if (!*str_or(ev, "reason", ""))
            ferr_required(e, "reason", NULL);
        if (strlen(str_or(ev, "reason", "")) > 128)
            ferr_invalid_str(e, "reason", "", "can have at most 128 characters");
        if (strlen(str_or(ev, "message", "")) > 1024)
            ferr_invalid_str(e, "message", "", "can have at most 1024 characters");
    }
    strat__check_dns_subdomain(e, "namespace", ns);
}

static void event_validate_update(const json_t *ev, const json_t *old, struct ferrs *e)
{
    event_validate(ev, e);
}

static bool event_field_value(const json_t *ev, const char *field, const char **val)
{
    static const char *const io_fields[] = {"kind", "namespace", "name", "uid", "apiVersion",
                                            "resourceVersion", "fieldPath", NULL};
    if (!strncmp(field, "involvedObject.", 15) && strat__in(field + 15, io_fields)) {
        *val = str_or(jget_obj(ev, "involvedObject"), field + 15, "");
        return true;
    }
    if (!strcmp(field, "reason") || !strcmp(field, "reportingComponent") ||
        !strcmp(field, "type")) {
        *val = str_or(ev, field, "");
        return true;
    }
    if (!strcmp(field, "source")) {
        *val = str_or(jget_obj(ev, "source"), "component", "");
        if (!**val)
            *val = str_or(ev, "reportingComponent", "");
        return true;
    }
    return false;
}

const struct res_strategy strat__event = {
    .prepare_update = prepare_update_meta_only,
    .validate = event_validate,
    .validate_update = event_validate_update,
    .field_value = event_field_value,
};

/* --- Node --- */

static void node_defaults(json_t *node)
{
    json_t *st = jget_obj(node, "status");
    if (st && jget_obj(st, "capacity") && !jget(st, "allocatable"))
        json_object_set_new(st, "allocatable", json_deep_copy(jget(st, "capacity")));
}

static void validate_node_common(const json_t *node, struct ferrs *e)
{
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    const json_t *spec = jget_obj(node, "spec"), *st = jget_obj(node, "status");
    char p[STRAT_PATH_MAX];
    json_t *seen = json_object(), *t, *v;
    const char *k;
    size_t i;

    json_array_foreach(jget_arr(spec, "taints"), i, t)
    {
        const char *key = str_or(t, "key", ""), *eff = str_or(t, "effect", "");
        const char *val = str_or(t, "value", "");
        const char *msgs[NAME_MAX_MSGS];
        char *pair;
        int n;

        strat__path(p, "spec.taints[%zu].key", i);
        strat__check_qualified(e, p, key);
        strat__path(p, "spec.taints[%zu].value", i);
        n = name_check_label_value(val, msgs);
        for (int m = 0; m < n; m++)
            ferr_invalid_str(e, p, val, msgs[m]);
        strat__path(p, "spec.taints[%zu].effect", i);
        if (!*eff)
            ferr_required(e, p, NULL);
        else if (!strat__in(eff, effects))
            ferr_not_supported(e, p, eff, effects);
        pair = xasprintf("%s\x1f%s", key, eff);
        if (jget(seen, pair)) {
            strat__path(p, "spec.taints[%zu]", i);
            ferr_add(e, FERR_DUPLICATE, p, NULL, "taints must be unique by key and effect pair");
            e->v[e->nr - 1].value = xasprintf("%s:%s", key, eff);
        }
        json_object_set_new(seen, pair, json_true());
        free(pair);
    }
    json_decref(seen);
    json_array_foreach(jget_arr(spec, "podCIDRs"), i, v)
    {
        const char *cidr = json_is_string(v) ? json_string_value(v) : "";
        char *ip = xstrdup(cidr), *slash = strchr(ip, '/');
        bool ok = slash != NULL;
        if (slash) {
            *slash = 0;
            ok = strat__is_ip(ip) && slash[1] &&
                 strspn(slash + 1, "0123456789") == strlen(slash + 1);
        }
        if (!ok) {
            strat__path(p, "spec.podCIDRs[%zu]", i);
            ferr_invalid_str(e, p, cidr,
                             "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        }
        free(ip);
    }
    if (json_array_size(jget_arr(spec, "podCIDRs")) > 2)
        invalid_slice(e, "spec.podCIDRs", jget_arr(spec, "podCIDRs"), "[]string",
                      "may specify no more than one CIDR for each IP family");
    static const char *const lists[] = {"capacity", "allocatable", NULL};
    for (const char *const *l = lists; *l; l++) {
        json_object_foreach(jget_obj(st, *l), k, v)
        {
            struct quantity q;
            strat__path(p, "status.%s[%s]", *l, k);
            if (strat__qty(v, &q) && quantity_is_negative(&q))
                ferr_invalid(e, p, v, "must be greater than or equal to 0");
        }
    }
}

static void node_validate(const json_t *node, struct ferrs *e)
{
    validate_node_common(node, e);
}

static void node_validate_update(const json_t *node, const json_t *old, struct ferrs *e)
{
    const json_t *spec = jget_obj(node, "spec"), *ospec = jget_obj(old, "spec");
    const json_t *oc = jget_arr(ospec, "podCIDRs"), *nc = jget_arr(spec, "podCIDRs");
    size_t i;

    validate_node_common(node, e);
    if (json_array_size(oc)) {
        if (json_array_size(oc) != json_array_size(nc)) {
            ferr_forbidden(e, "spec.podCIDRs",
                           "node updates may not change podCIDR except from \"\" to valid");
        } else {
            for (i = 0; i < json_array_size(oc); i++)
                if (!json_equal(json_array_get(oc, i), json_array_get(nc, i)))
                    ferr_forbidden(e, "spec.podCIDRs",
                                   "node updates may not change podCIDR except from \"\" to valid");
        }
    }
    if (*str_or(ospec, "providerID", "") &&
        strcmp(str_or(ospec, "providerID", ""), str_or(spec, "providerID", "")))
        ferr_forbidden(e, "spec.providerID",
                       "node updates may not change providerID except from \"\" to valid");
}

static void node_validate_status(const json_t *node, const json_t *old, struct ferrs *e)
{
    validate_node_common(node, e);
}

static bool node_field_value(const json_t *node, const char *field, const char **val)
{
    if (strcmp(field, "spec.unschedulable"))
        return false;
    *val = jget_bool(jget_obj(node, "spec"), "unschedulable", false) ? "true" : "false";
    return true;
}

const struct res_strategy strat__node = {
    .defaults = node_defaults,
    .prepare_update = prepare_update_meta_only,
    .validate = node_validate,
    .validate_update = node_validate_update,
    .validate_status = node_validate_status,
    .field_value = node_field_value,
};

/* --- ConfigMap and Secret --- */

#define MAX_SECRET_SIZE (1024 * 1024)

static void configmap_validate(const json_t *cm, struct ferrs *e)
{
    const json_t *data = jget_obj(cm, "data"), *bin = jget_obj(cm, "binaryData");
    char p[STRAT_PATH_MAX];
    long long total = 0;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)data, k, v)
    {
        strat__path(p, "data[%s]", k);
        strat__check_config_key(e, p, k);
        if (jget(bin, k))
            ferr_invalid_str(e, p, k, "duplicate of key present in binaryData");
        total += json_is_string(v) ? (long long)json_string_length(v) : 0;
    }
    json_object_foreach((json_t *)bin, k, v)
    {
        strat__path(p, "binaryData[%s]", k);
        strat__check_config_key(e, p, k);
        total += (long long)strat__base64_decoded_len(json_string_value(v));
    }
    if (total > MAX_SECRET_SIZE)
        ferr_too_long(e, "", MAX_SECRET_SIZE);
}

/* The `immutable: true` rule shared by ConfigMap and Secret. */
static void validate_immutable_data(const json_t *obj, const json_t *old, const char *const *keys,
                                    struct ferrs *e)
{
    if (!jget_bool(old, "immutable", false))
        return;
    if (!jget_bool(obj, "immutable", false))
        ferr_forbidden(e, "immutable", "field is immutable when `immutable` is set");
    for (; *keys; keys++)
        if (!json_eq_or_absent(jget(obj, *keys), jget(old, *keys)))
            ferr_forbidden(e, *keys, "field is immutable when `immutable` is set");
}

static void configmap_validate_update(const json_t *cm, const json_t *old, struct ferrs *e)
{
    static const char *const keys[] = {"data", "binaryData", NULL};
    validate_immutable_data(cm, old, keys, e);
    configmap_validate(cm, e);
}

const struct res_strategy strat__configmap = {
    .prepare_update = prepare_update_meta_only,
    .validate = configmap_validate,
    .validate_update = configmap_validate_update,
};

static void secret_defaults(json_t *s)
{
    set_default_str(s, "type", "Opaque");
}

/* The v1 -> internal conversion merges stringData into data (stringData wins) and drops it. */
static void secret_merge_string_data(json_t *s)
{
    json_t *sd = jget_obj(s, "stringData"), *data, *v;
    const char *k;

    if (sd) {
        data = jensure_obj(s, "data");
        json_object_foreach(sd, k, v)
        {
            const char *str = json_is_string(v) ? json_string_value(v) : "";
            char *b64 = base64_encode(str, strlen(str));
            json_object_set_new(data, k, json_string(b64));
            free(b64);
        }
    }
    json_object_del(s, "stringData");
}

static void secret_prepare_create(json_t *s)
{
    secret_merge_string_data(s);
}

static void secret_prepare_update(json_t *s, const json_t *old)
{
    strat__prepare_update_meta(s, old);
    secret_merge_string_data(s);
}

static void secret_validate(const json_t *s, struct ferrs *e)
{
    const json_t *data = jget_obj(s, "data");
    const char *type = str_or(s, "type", "");
    char p[STRAT_PATH_MAX];
    long long total = 0;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)data, k, v)
    {
        strat__path(p, "data[%s]", k);
        strat__check_config_key(e, p, k);
        total += (long long)strat__base64_decoded_len(json_string_value(v));
    }
    if (total > MAX_SECRET_SIZE)
        ferr_too_long(e, "data", MAX_SECRET_SIZE);
    if (!strcmp(type, "kubernetes.io/service-account-token")) {
        if (!*str_or(jget_obj(jget_obj(s, "metadata"), "annotations"),
                     "kubernetes.io/service-account.name", ""))
            ferr_required(e, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
    } else if (!strcmp(type, "kubernetes.io/dockercfg")) {
        if (!jget(data, ".dockercfg"))
            ferr_required(e, "data[.dockercfg]", NULL);
    } else if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
        if (!jget(data, ".dockerconfigjson"))
            ferr_required(e, "data[.dockerconfigjson]", NULL);
    } else if (!strcmp(type, "kubernetes.io/basic-auth")) {
        if (!jget(data, "username") && !jget(data, "password")) {
            ferr_required(e, "data[username]", NULL);
            ferr_required(e, "data[password]", NULL);
        }
    } else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
        if (!strat__base64_decoded_len(jget_str(data, "ssh-privatekey")))
            ferr_required(e, "data[ssh-privatekey]", NULL);
    } else if (!strcmp(type, "kubernetes.io/tls")) {
        if (!jget(data, "tls.crt"))
            ferr_required(e, "data[tls.crt]", NULL);
        if (!jget(data, "tls.key"))
            ferr_required(e, "data[tls.key]", NULL);
    }
}

static void secret_validate_update(const json_t *s, const json_t *old, struct ferrs *e)
{
    static const char *const keys[] = {"data", NULL};
    const char *nt = str_or(s, "type", ""), *ot = str_or(old, "type", "");

    if (strcmp(nt, ot))
        ferr_invalid_str(e, "type", nt, "field is immutable");
    validate_immutable_data(s, old, keys, e);
    secret_validate(s, e);
}

static bool secret_field_value(const json_t *s, const char *field, const char **val)
{
    if (strcmp(field, "type"))
        return false;
    *val = str_or(s, "type", "");
    return true;
}

const struct res_strategy strat__secret = {
    .defaults = secret_defaults,
    .prepare_create = secret_prepare_create,
    .prepare_update = secret_prepare_update,
    .validate = secret_validate,
    .validate_update = secret_validate_update,
    .field_value = secret_field_value,
};

/* --- ServiceAccount: metadata only --- */

const struct res_strategy strat__serviceaccount = {
    .prepare_update = prepare_update_meta_only,
};
