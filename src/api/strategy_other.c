/* strategy_other.c — the remaining groups: storage.k8s.io (StorageClass),
 * coordination.k8s.io (Lease) and discovery.k8s.io (EndpointSlice).
 *
 * Upstream: pkg/apis/storage/v1/defaults.go, pkg/apis/storage/validation,
 * pkg/apis/coordination/validation, pkg/apis/discovery/v1/defaults.go and
 * pkg/apis/discovery/validation.
 */
#include <arpa/inet.h>
#include <string.h>

#include "api/strategy_internal.h"
#include "base/alloc.h"

static const char *str_or(const json_t *obj, const char *key, const char *def)
{
    const char *s = jget_str(obj, key);
    return s ? s : def;
}

static void prepare_update_meta_only(json_t *obj, const json_t *old)
{
    strat__prepare_update_meta(obj, old);
}

/* --- StorageClass --- */

#define MAX_PROVISIONER_PARAMETER_SIZE (256 * 1024)
#define MAX_PROVISIONER_PARAMETER_LEN 512

static void sc_defaults(json_t *sc)
{
    if (!jget(sc, "reclaimPolicy"))
        jset_str(sc, "reclaimPolicy", "Delete");
    if (!jget(sc, "volumeBindingMode"))
        jset_str(sc, "volumeBindingMode", "Immediate");
}

static void sc_validate(const json_t *sc, struct ferrs *e)
{
    static const char *const reclaim[] = {"Delete", "Retain", NULL};
    static const char *const modes[] = {"Immediate", "WaitForFirstConsumer", NULL};
    const char *prov = str_or(sc, "provisioner", "");
    const json_t *params = jget_obj(sc, "parameters");
    const char *k;
    json_t *v, *term, *req;
    long long total = 0;
    size_t i, j;
    char p[STRAT_PATH_MAX];

    if (!*prov) {
        ferr_required(e, "provisioner", NULL);
    } else {
        char *lower = xstrdup(prov);
        for (char *c = lower; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        strat__check_qualified(e, "provisioner", lower);
        free(lower);
    }
    if (json_object_size(params) > MAX_PROVISIONER_PARAMETER_LEN) {
        ferr_too_long(e, "parameters", MAX_PROVISIONER_PARAMETER_LEN);
    } else {
        json_object_foreach((json_t *)params, k, v)
        {
            if (!*k)
                ferr_invalid_str(e, "parameters", k, "field can not be empty.");
            total +=
                (long long)strlen(k) + (json_is_string(v) ? (long long)json_string_length(v) : 0);
        }
        if (total > MAX_PROVISIONER_PARAMETER_SIZE)
            ferr_too_long(e, "parameters", MAX_PROVISIONER_PARAMETER_SIZE);
    }
    if (*str_or(sc, "reclaimPolicy", "") && !strat__in(jget_str(sc, "reclaimPolicy"), reclaim))
        ferr_not_supported(e, "reclaimPolicy", jget_str(sc, "reclaimPolicy"), reclaim);
    if (!jget(sc, "volumeBindingMode"))
        ferr_required(e, "volumeBindingMode", NULL);
    else if (!strat__in(str_or(sc, "volumeBindingMode", ""), modes))
        ferr_not_supported(e, "volumeBindingMode", str_or(sc, "volumeBindingMode", ""), modes);
    json_array_foreach(jget_arr(sc, "allowedTopologies"), i, term)
    {
        json_t *keys = json_object();
        json_array_foreach(jget_arr(term, "matchLabelExpressions"), j, req)
        {
            const char *key = str_or(req, "key", "");
            strat__path(p, "allowedTopologies[%zu].matchLabelExpressions[%zu].values", i, j);
            if (!json_array_size(jget_arr(req, "values")))
                ferr_required(e, p, NULL);
            strat__path(p, "allowedTopologies[%zu].matchLabelExpressions[%zu].key", i, j);
            strat__check_qualified(e, p, key);
            if (jget(keys, key))
                strat__duplicate_str(e, p, key);
            json_object_set_new(keys, key, json_true());
        }
        json_decref(keys);
    }
}

static bool eq_or_absent(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return !a && !b;
    return json_equal(a, b);
}

static void sc_validate_update(const json_t *sc, const json_t *old, struct ferrs *e)
{
    sc_validate(sc, e);
    if (!eq_or_absent(jget_obj(sc, "parameters"), jget_obj(old, "parameters")))
        ferr_forbidden(e, "parameters", "updates to parameters are forbidden.");
    if (strcmp(str_or(sc, "provisioner", ""), str_or(old, "provisioner", "")))
        ferr_forbidden(e, "provisioner", "updates to provisioner are forbidden.");
    if (strcmp(str_or(sc, "reclaimPolicy", ""), str_or(old, "reclaimPolicy", "")))
        ferr_forbidden(e, "reclaimPolicy", "updates to reclaimPolicy are forbidden.");
    if (!eq_or_absent(jget(sc, "volumeBindingMode"), jget(old, "volumeBindingMode")))
        ferr_invalid(e, "volumeBindingMode", jget(sc, "volumeBindingMode"), "field is immutable");
}

const struct res_strategy strat__storageclass = {
    .defaults = sc_defaults,
    .prepare_update = prepare_update_meta_only,
    .validate = sc_validate,
    .validate_update = sc_validate_update,
};

/* --- Lease --- */

static void lease_validate(const json_t *lease, struct ferrs *e)
{
    static const char *const strategies[] = {"OldestEmulationVersion", NULL};
    const json_t *spec = jget_obj(lease, "spec");
    json_t *d = jget(spec, "leaseDurationSeconds"), *t = jget(spec, "leaseTransitions");

    if (json_is_integer(d) && json_integer_value(d) <= 0)
        ferr_invalid(e, "spec.leaseDurationSeconds", d, "must be greater than 0");
    if (json_is_integer(t) && json_integer_value(t) < 0)
        ferr_invalid(e, "spec.leaseTransitions", t, "must be greater than or equal to 0");
    if (jget_str(spec, "strategy") && !strat__in(jget_str(spec, "strategy"), strategies))
        ferr_not_supported(e, "spec.strategy", jget_str(spec, "strategy"), strategies);
    if (jget_str(spec, "preferredHolder") && !jget_str(spec, "strategy"))
        ferr_forbidden(e, "spec.preferredHolder", "may only be specified if `strategy` is defined");
}

static void lease_validate_update(const json_t *lease, const json_t *old, struct ferrs *e)
{
    lease_validate(lease, e);
}

const struct res_strategy strat__lease = {
    .prepare_update = prepare_update_meta_only,
    .validate = lease_validate,
    .validate_update = lease_validate_update,
};

/* --- EndpointSlice --- */

#define MAX_ENDPOINTS 1000
#define MAX_ADDRESSES 100
#define MAX_PORTS 20000

static void eps_defaults(json_t *eps)
{
    size_t i;
    json_t *port;

    json_array_foreach(jget_arr(eps, "ports"), i, port)
    {
        if (!jget(port, "name"))
            jset_str(port, "name", "");
        if (!jget(port, "protocol"))
            jset_str(port, "protocol", "TCP");
    }
}

static void too_many(struct ferrs *e, const char *field, size_t n, size_t max)
{
    json_t *v = json_integer((json_int_t)n);
    ferr_add(e, FERR_TOO_MANY, field, v, "must have at most %zu items", max);
    json_decref(v);
}

static void eps_validate(const json_t *eps, struct ferrs *e)
{
    static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    const char *at = str_or(eps, "addressType", "");
    const json_t *eps_list = jget_arr(eps, "endpoints"), *ports = jget_arr(eps, "ports");
    char p[STRAT_PATH_MAX];
    size_t i, j;
    json_t *ep, *a, *port, *names;

    if (!*at)
        ferr_required(e, "addressType", NULL);
    else if (!strat__in(at, types))
        ferr_not_supported(e, "addressType", at, types);
    if (json_array_size(eps_list) > MAX_ENDPOINTS) {
        too_many(e, "endpoints", json_array_size(eps_list), MAX_ENDPOINTS);
    } else {
        json_array_foreach(eps_list, i, ep)
        {
            const json_t *addrs = jget_arr(ep, "addresses");
            strat__path(p, "endpoints[%zu].addresses", i);
            if (!json_array_size(addrs))
                ferr_required(e, p, "must contain at least 1 address");
            else if (json_array_size(addrs) > MAX_ADDRESSES)
                too_many(e, p, json_array_size(addrs), MAX_ADDRESSES);
            json_array_foreach(addrs, j, a)
            {
                const char *ip = json_is_string(a) ? json_string_value(a) : "";
                unsigned char buf[16];
                strat__path(p, "endpoints[%zu].addresses[%zu]", i, j);
                if (!strcmp(at, "IPv4")) {
                    if (inet_pton(AF_INET, ip, buf) != 1)
                        ferr_invalid_str(e, p, ip, "must be a valid IPv4 address");
                    else
                        strat__check_ip(e, p, ip, true);
                } else if (!strcmp(at, "IPv6")) {
                    if (inet_pton(AF_INET6, ip, buf) != 1)
                        ferr_invalid_str(e, p, ip, "must be a valid IPv6 address");
                    else
                        strat__check_ip(e, p, ip, true);
                }
            }
            if (jget_str(ep, "nodeName")) {
                strat__path(p, "endpoints[%zu].nodeName", i);
                strat__check_dns_subdomain(e, p, jget_str(ep, "nodeName"));
            }
            if (jget_str(ep, "hostname")) {
                strat__path(p, "endpoints[%zu].hostname", i);
                strat__check_dns_label(e, p, jget_str(ep, "hostname"));
            }
        }
    }
    if (json_array_size(ports) > MAX_PORTS) {
        too_many(e, "ports", json_array_size(ports), MAX_PORTS);
        return;
    }
    names = json_object();
    json_array_foreach(ports, i, port)
    {
        const char *name = str_or(port, "name", "");
        strat__path(p, "ports[%zu].name", i);
        if (*name)
            strat__check_dns_label(e, p, name);
        if (jget(names, name))
            strat__duplicate_str(e, p, name);
        else
            json_object_set_new(names, name, json_true());
        strat__path(p, "ports[%zu].protocol", i);
        if (!jget_str(port, "protocol"))
            ferr_required(e, p, NULL);
        else if (!strat__in(jget_str(port, "protocol"), protocols))
            ferr_not_supported(e, p, jget_str(port, "protocol"), protocols);
    }
    json_decref(names);
}

static void eps_validate_update(const json_t *eps, const json_t *old, struct ferrs *e)
{
    eps_validate(eps, e);
    if (strcmp(str_or(eps, "addressType", ""), str_or(old, "addressType", "")))
        ferr_invalid_str(e, "addressType", str_or(eps, "addressType", ""), "field is immutable");
}

const struct res_strategy strat__endpointslice = {
    .defaults = eps_defaults,
    .prepare_update = prepare_update_meta_only,
    .validate = eps_validate,
    .validate_update = eps_validate_update,
};
