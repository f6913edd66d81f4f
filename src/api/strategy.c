/* strategy.c — the strategy table (api/strategy.h), object metadata validation and the helpers
 * the per-group strategy files share (strategy_internal.h).
 *
 * Upstream sources: k8s.io/apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMeta,
 * ValidateObjectMetaUpdate), .../apis/meta/v1/validation (labels, label selectors) and
 * k8s.io/apiserver/pkg/registry/rest (BeforeCreate/BeforeUpdate).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/strategy_internal.h"
#include "base/alloc.h"
#include "base/base64.h"
#include "base/names.h"
#include "base/strbuf.h"

/* --- The table --- */

static const struct res_strategy *const table[RES_COUNT] = {
    [RES_NAMESPACES] = &strat__namespace,
    [RES_PODS] = &strat__pod,
    [RES_SERVICES] = &strat__service,
    [RES_ENDPOINTS] = &strat__endpoints,
    [RES_PERSISTENTVOLUMES] = &strat__persistentvolume,
    [RES_PERSISTENTVOLUMECLAIMS] = &strat__persistentvolumeclaim,
    [RES_EVENTS] = &strat__event,
    [RES_NODES] = &strat__node,
    [RES_CONFIGMAPS] = &strat__configmap,
    [RES_SECRETS] = &strat__secret,
    [RES_SERVICEACCOUNTS] = &strat__serviceaccount,
    [RES_STATEFULSETS] = &strat__statefulset,
    [RES_CONTROLLERREVISIONS] = &strat__controllerrevision,
    [RES_STORAGECLASSES] = &strat__storageclass,
    [RES_LEASES] = &strat__lease,
    [RES_ENDPOINTSLICES] = &strat__endpointslice,
};

static const struct res_strategy none;

const struct res_strategy *res_strategy(enum res_id id)
{
    if ((unsigned)id >= RES_COUNT || !table[id])
        return &none;
    return table[id];
}

/* --- Paths and value rendering --- */

void strat__path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, STRAT_PATH_MAX, fmt, ap);
    va_end(ap);
}

/* Go's %q (as api/errors.c renders string values). */
static void go_quote(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            strbuf_addch(sb, '\\');
            strbuf_addch(sb, *p);
        } else if (*p == '\n') {
            strbuf_addstr(sb, "\\n");
        } else if (*p == '\t') {
            strbuf_addstr(sb, "\\t");
        } else if (*p == '\r') {
            strbuf_addstr(sb, "\\r");
        } else if (*p < 0x20 || *p == 0x7f) {
            strbuf_addf(sb, "\\x%02x", *p);
        } else {
            strbuf_addch(sb, *p);
        }
    }
    strbuf_addch(sb, '"');
}

void strat__invalid_raw(struct ferrs *e, const char *field, const char *raw, const char *detail)
{
    ferr_add(e, FERR_INVALID, field, NULL, detail ? "%s" : NULL, detail);
    e->v[e->nr - 1].value = xstrdup(raw);
}

void strat__duplicate_raw(struct ferrs *e, const char *field, const char *raw)
{
    ferr_add(e, FERR_DUPLICATE, field, NULL, NULL);
    e->v[e->nr - 1].value = xstrdup(raw);
}

void strat__duplicate_str(struct ferrs *e, const char *field, const char *value)
{
    json_t *v = json_string(value);
    ferr_duplicate(e, field, v);
    json_decref(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a JSON object, sorted (Go's fmt sorts map keys). Caller frees the array only. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
    const char *k;
    json_t *v;
    size_t i = 0;

    json_object_foreach((json_t *)obj, k, v)
        keys[i++] = k;
    qsort(keys, i, sizeof(*keys), cmp_str);
    *n = i;
    return keys;
}

char *strat__go_string_map(const json_t *obj)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n;
    const char **keys;

    if (!json_is_object(obj))
        return xstrdup("map[string]string(nil)");
    keys = sorted_keys(obj, &n);
    strbuf_addstr(&sb, "map[string]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addstr(&sb, ", ");
        go_quote(&sb, keys[i]);
        strbuf_addch(&sb, ':');
        go_quote(&sb, jget_str(obj, keys[i]) ? jget_str(obj, keys[i]) : "");
    }
    strbuf_addch(&sb, '}');
    free(keys);
    return strbuf_detach(&sb, NULL);
}

char *strat__go_label_selector(const json_t *sel)
{
    struct strbuf sb = STRBUF_INIT;
    const json_t *ml = jget_obj(sel, "matchLabels");
    size_t n, i;
    const char **keys;
    json_t *req, *v;

    if (!sel)
        return xstrdup("nil");
    strbuf_addstr(&sb, "&LabelSelector{MatchLabels:map[string]string{");
    keys = sorted_keys(ml, &n);
    for (i = 0; i < n; i++)
        strbuf_addf(&sb, "%s: %s,", keys[i], jget_str(ml, keys[i]) ? jget_str(ml, keys[i]) : "");
    free(keys);
    strbuf_addstr(&sb, "},MatchExpressions:[]LabelSelectorRequirement{");
    json_array_foreach(jget_arr(sel, "matchExpressions"), i, req)
    {
        size_t j;
        strbuf_addf(&sb, "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[",
                    jget_str(req, "key") ? jget_str(req, "key") : "",
                    jget_str(req, "operator") ? jget_str(req, "operator") : "");
        json_array_foreach(jget_arr(req, "values"), j, v)
            strbuf_addf(&sb, "%s%s", j ? " " : "", json_is_string(v) ? json_string_value(v) : "");
        strbuf_addstr(&sb, "],},");
    }
    strbuf_addstr(&sb, "},}");
    return strbuf_detach(&sb, NULL);
}

bool strat__in(const char *s, const char *const *set)
{
    if (!s)
        return false;
    for (; *set; set++)
        if (!strcmp(s, *set))
            return true;
    return false;
}

/* --- Simple field checks --- */

void strat__nonneg_value(struct ferrs *e, const char *field, long long v)
{
    if (v < 0)
        ferr_invalid_int(e, field, v, "must be greater than or equal to 0");
}

void strat__nonneg(struct ferrs *e, const char *field, const json_t *obj, const char *key)
{
    json_t *v = jget(obj, key);
    if (json_is_integer(v))
        strat__nonneg_value(e, field, json_integer_value(v));
}

static int add_msgs(struct ferrs *e, const char *field, const char *value, int n,
                    const char **msgs)
{
    for (int i = 0; i < n; i++)
        ferr_invalid_str(e, field, value, msgs[i]);
    return n;
}

int strat__check_dns_label(struct ferrs *e, const char *field, const char *value)
{
    const char *msgs[NAME_MAX_MSGS];
    return add_msgs(e, field, value, name_check_dns1123_label(value, msgs), msgs);
}

int strat__check_dns_subdomain(struct ferrs *e, const char *field, const char *value)
{
    const char *msgs[NAME_MAX_MSGS];
    return add_msgs(e, field, value, name_check_dns1123_subdomain(value, msgs), msgs);
}

int strat__check_qualified(struct ferrs *e, const char *field, const char *value)
{
    const char *msgs[NAME_MAX_MSGS];
    return add_msgs(e, field, value, name_check_qualified(value, msgs), msgs);
}

int strat__check_port_name(struct ferrs *e, const char *field, const char *value)
{
    const char *msgs[NAME_MAX_MSGS];
    return add_msgs(e, field, value, name_check_iana_svc_name(value, msgs), msgs);
}

int strat__check_config_key(struct ferrs *e, const char *field, const char *value)
{
    const char *msgs[NAME_MAX_MSGS];
    return add_msgs(e, field, value, name_check_config_map_key(value, msgs), msgs);
}

void strat__check_port_num(struct ferrs *e, const char *field, long long v)
{
    if (v < 1 || v > 65535)
        ferr_invalid_int(e, field, v, "must be between 1 and 65535, inclusive");
}

void strat__check_port_num_or_name(struct ferrs *e, const char *field, const json_t *v)
{
    if (json_is_integer(v))
        strat__check_port_num(e, field, json_integer_value(v));
    else if (json_is_string(v))
        strat__check_port_name(e, field, json_string_value(v));
    else /* absent: the zero IntOrString is the integer 0 */
        strat__check_port_num(e, field, 0);
}

bool strat__is_ip(const char *s)
{
    unsigned char a[16];
    return s && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

bool strat__check_ip(struct ferrs *e, const char *field, const char *ip, bool non_special)
{
    unsigned char a[16];
    bool v4;

    if (!ip)
        ip = "";
    if (inet_pton(AF_INET, ip, a) == 1) {
        v4 = true;
    } else if (inet_pton(AF_INET6, ip, a) == 1) {
        v4 = false;
    } else {
        ferr_invalid_str(e, field, ip,
                         "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        return false;
    }
    if (!non_special)
        return true;
    /* ValidateNonSpecialIP: endpoints may not point at these ranges. */
    static const unsigned char zero16[16];
    if (v4 ? !memcmp(a, zero16, 4) : !memcmp(a, zero16, 16)) {
        char *d = xasprintf("may not be unspecified (%s)", ip);
        ferr_invalid_str(e, field, ip, d);
        free(d);
    } else if (v4 ? a[0] == 127 : (!memcmp(a, zero16, 15) && a[15] == 1))
        ferr_invalid_str(e, field, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    else if (v4 ? (a[0] == 169 && a[1] == 254) : (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
        ferr_invalid_str(e, field, ip,
                         "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    else if (v4 ? (a[0] == 224 && a[1] == 0 && a[2] == 0) : (a[0] == 0xff && a[1] == 0x02))
        ferr_invalid_str(e, field, ip,
                         "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
    return true;
}

/* --- Labels, annotations, selectors --- */

void strat__validate_labels(const json_t *labels, const char *field, struct ferrs *e)
{
    const char *k;
    json_t *v;
    const char *msgs[NAME_MAX_MSGS];

    json_object_foreach((json_t *)labels, k, v)
    {
        const char *val = json_is_string(v) ? json_string_value(v) : "";
        strat__check_qualified(e, field, k);
        add_msgs(e, field, val, name_check_label_value(val, msgs), msgs);
    }
}

#define ANNOTATIONS_MAX (256 * 1024)

void strat__validate_annotations(const json_t *ann, const char *field, struct ferrs *e)
{
    const char *k;
    json_t *v;
    const char *msgs[NAME_MAX_MSGS];
    long long total = 0;

    json_object_foreach((json_t *)ann, k, v)
    {
        /* Annotation keys are qualified names, case-insensitively. */
        char *lower = xstrdup(k);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        add_msgs(e, field, k, name_check_qualified(lower, msgs), msgs);
        free(lower);
        total += (long long)strlen(k) + (json_is_string(v) ? (long long)json_string_length(v) : 0);
    }
    if (total > ANNOTATIONS_MAX)
        ferr_too_long(e, field, ANNOTATIONS_MAX);
}

void strat__validate_label_selector(const json_t *sel, const char *field, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    size_t i, j;
    json_t *req, *v;
    const char *msgs[NAME_MAX_MSGS];

    if (!sel)
        return;
    strat__path(p, "%s.matchLabels", field);
    strat__validate_labels(jget_obj(sel, "matchLabels"), p, e);
    json_array_foreach(jget_arr(sel, "matchExpressions"), i, req)
    {
        const char *op = jget_str(req, "operator");
        const char *key = jget_str(req, "key");
        size_t nv = json_array_size(jget_arr(req, "values"));

        if (strat__in(op, (const char *const[]){"In", "NotIn", NULL})) {
            if (!nv) {
                strat__path(p, "%s.matchExpressions[%zu].values", field, i);
                ferr_required(e, p, "must be specified when `operator` is 'In' or 'NotIn'");
            }
        } else if (strat__in(op, (const char *const[]){"Exists", "DoesNotExist", NULL})) {
            if (nv) {
                strat__path(p, "%s.matchExpressions[%zu].values", field, i);
                ferr_forbidden(e, p,
                               "may not be specified when `operator` is 'Exists' or "
                               "'DoesNotExist'");
            }
        } else {
            strat__path(p, "%s.matchExpressions[%zu].operator", field, i);
            ferr_invalid_str(e, p, op ? op : "", "not a valid selector operator");
        }
        strat__path(p, "%s.matchExpressions[%zu].key", field, i);
        strat__check_qualified(e, p, key ? key : "");
        json_array_foreach(jget_arr(req, "values"), j, v)
        {
            const char *val = json_is_string(v) ? json_string_value(v) : "";
            strat__path(p, "%s.matchExpressions[%zu].values[%zu]", field, i, j);
            add_msgs(e, p, val, name_check_label_value(val, msgs), msgs);
        }
    }
}

/* --- Quantities and data sizes --- */

bool strat__qty(const json_t *v, struct quantity *q)
{
    return json_is_string(v) && quantity_parse(json_string_value(v), q) == 0;
}

size_t strat__base64_decoded_len(const char *b64)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n;

    if (!b64 || base64_decode(b64, strlen(b64), &sb, NULL) < 0)
        return 0;
    n = sb.len;
    strbuf_release(&sb);
    return n;
}

/* --- Object metadata --- */

/* The name check of a resource's name rule. prefix: the value is a generateName prefix, so a
 * trailing '-' is allowed (upstream masks it before checking). */
static int check_name(const struct resource *r, const char *name, bool prefix,
                      const char *msgs[NAME_MAX_MSGS])
{
    char *masked = NULL;
    int n;

    if (r->name_rule == NAME_RULE_PATH_SEGMENT) {
        if (!prefix)
            return name_check_path_segment(name, msgs);
        /* IsValidPathSegmentPrefix: only the forbidden characters matter. */
        n = 0;
        if (strchr(name, '/'))
            msgs[n++] = "may not contain '/'";
        if (strchr(name, '%'))
            msgs[n++] = "may not contain '%'";
        return n;
    }
    /* maskTrailingDash, upstream's exact (odd) arithmetic: drop two characters, add "a". */
    if (prefix && strlen(name) > 1 && name[strlen(name) - 1] == '-') {
        masked = xasprintf("%.*sa", (int)strlen(name) - 2, name);
        name = masked;
    }
    switch (r->name_rule) {
    case NAME_RULE_LABEL:
        n = name_check_dns1123_label(name, msgs);
        break;
    case NAME_RULE_DNS1035:
        n = name_check_dns1035_label(name, msgs);
        break;
    default:
        n = name_check_dns1123_subdomain(name, msgs);
        break;
    }
    free(masked);
    return n;
}

/* metav1.Time's String(): "2026-11-25 07:08:37 +0000 UTC" for a stored "2026-11-25T07:08:37Z". */
static char *go_time(const char *t)
{
    if (!t)
        return xstrdup("null");
    if (strlen(t) == 20 && t[10] == 'T' && t[19] == 'Z')
        return xasprintf("%.10s %.8s +0000 UTC", t, t + 11);
    return xstrdup(t);
}

static void validate_owner_refs(const json_t *refs, struct ferrs *e)
{
    const char *f = "metadata.ownerReferences";
    char *first = NULL; /* "Kind/name" of the first controller reference */
    size_t i;
    json_t *ref;

    json_array_foreach(refs, i, ref)
    {
        const char *av = jget_str(ref, "apiVersion") ? jget_str(ref, "apiVersion") : "";
        const char *kind = jget_str(ref, "kind") ? jget_str(ref, "kind") : "";
        const char *name = jget_str(ref, "name") ? jget_str(ref, "name") : "";
        const char *uid = jget_str(ref, "uid") ? jget_str(ref, "uid") : "";
        const char *slash = strchr(av, '/');
        const char *version = slash ? slash + 1 : av;

        /* The paths are not indexed: upstream passes the list path to each element. */
        if (!*version || (slash && strchr(slash + 1, '/')))
            ferr_invalid_str(e, "metadata.ownerReferences.apiVersion", av,
                             "version must not be empty");
        if (!*kind)
            ferr_invalid_str(e, "metadata.ownerReferences.kind", kind, "must not be empty");
        if (!*name)
            ferr_invalid_str(e, "metadata.ownerReferences.name", name, "must not be empty");
        if (!*uid)
            ferr_invalid_str(e, "metadata.ownerReferences.uid", uid, "must not be empty");
        if (!slash && !strcmp(av, "v1") && !strcmp(kind, "Event"))
            ferr_invalid(e, f, ref, "/v1, Kind=Event is disallowed from being an owner");
        if (jget_bool(ref, "controller", false)) {
            char *cur = xasprintf("%s/%s", kind, name);
            if (first) {
                ferr_invalid(e, f, refs,
                             "Only one reference can have Controller set to true. Found "
                             "\"true\" in references for %s and %s",
                             first, cur);
                free(cur);
            } else {
                first = cur;
            }
        }
    }
    free(first);
}

/* Go's %#v of a []string. */
static char *go_string_slice(const json_t *arr)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *v;

    strbuf_addstr(&sb, "[]string{");
    json_array_foreach(arr, i, v)
    {
        if (i)
            strbuf_addstr(&sb, ", ");
        go_quote(&sb, json_is_string(v) ? json_string_value(v) : "");
    }
    strbuf_addch(&sb, '}');
    return strbuf_detach(&sb, NULL);
}

static bool arr_has_str(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return true;
    }
    return false;
}

static void validate_finalizers(const json_t *fins, struct ferrs *e)
{
    size_t i;
    json_t *v;

    json_array_foreach(fins, i, v)
    {
        strat__check_qualified(e, "metadata.finalizers",
                               json_is_string(v) ? json_string_value(v) : "");
    }
    if (arr_has_str(fins, "orphan") && arr_has_str(fins, "foregroundDeletion")) {
        char *raw = go_string_slice(fins);
        strat__invalid_raw(e, "metadata.finalizers", raw,
                           "finalizer orphan and foregroundDeletion cannot be both set");
        free(raw);
    }
}

/* ValidateImmutableField for a metadata string field. missing_ok: upstream's BeforeUpdate
 * copies the old value into an update that leaves the field out, so absence is no change. */
static void immutable_str(const json_t *m, const json_t *om, const char *key, bool missing_ok,
                          bool is_time, struct ferrs *e)
{
    const char *nv = jget_str(m, key), *ov = jget_str(om, key);
    char field[STRAT_PATH_MAX];

    if (!nv && missing_ok)
        return;
    if (!strcmp(nv ? nv : "", ov ? ov : ""))
        return;
    strat__path(field, "metadata.%s", key);
    if (is_time) {
        char *raw = go_time(nv);
        strat__invalid_raw(e, field, raw, "field is immutable");
        free(raw);
    } else {
        ferr_invalid_str(e, field, nv ? nv : "", "field is immutable");
    }
}

void validate_meta(const struct resource *r, const json_t *obj, const json_t *old,
                   struct ferrs *errs)
{
    const json_t *m = jget_obj(obj, "metadata");
    const char *name = jget_str(m, "name") ? jget_str(m, "name") : "";
    const char *ns = jget_str(m, "namespace") ? jget_str(m, "namespace") : "";
    const char *msgs[NAME_MAX_MSGS];
    int n;

    if (!old) {
        const char *gen = jget_str(m, "generateName");
        if (gen && *gen) {
            n = check_name(r, gen, true, msgs);
            add_msgs(errs, "metadata.generateName", gen, n, msgs);
        }
        if (!*name) {
            ferr_required(errs, "metadata.name", "name or generateName is required");
        } else {
            n = check_name(r, name, false, msgs);
            add_msgs(errs, "metadata.name", name, n, msgs);
        }
        if (r->namespaced) {
            if (!*ns)
                ferr_required(errs, "metadata.namespace", NULL);
            else
                add_msgs(errs, "metadata.namespace", ns, name_check_dns1123_label(ns, msgs),
                         msgs);
        } else if (*ns) {
            ferr_forbidden(errs, "metadata.namespace", "not allowed on this type");
        }
        strat__nonneg(errs, "metadata.generation", m, "generation");
    } else {
        const json_t *om = jget_obj(old, "metadata");
        /* Finalizers cannot be added once the object is being deleted. */
        if (jget_str(om, "deletionTimestamp")) {
            json_t *extra = json_array();
            size_t i;
            json_t *v;
            json_array_foreach(jget_arr(m, "finalizers"), i, v)
            {
                if (json_is_string(v) && !arr_has_str(jget_arr(om, "finalizers"),
                                                       json_string_value(v)) &&
                    !arr_has_str(extra, json_string_value(v)))
                    json_array_append(extra, v);
            }
            if (json_array_size(extra)) {
                char *list = go_string_slice(extra);
                ferr_add(errs, FERR_FORBIDDEN, "metadata.finalizers", NULL,
                         "no new finalizers can be added if the object is being deleted, found "
                         "new finalizers %s",
                         list);
                free(list);
            }
            json_decref(extra);
        }
        /* resourceVersion and generation are not checked: upstream's BeforeUpdate fills them
         * from the stored object before validation, so users never see those errors. */
        immutable_str(m, om, "name", false, false, errs);
        immutable_str(m, om, "namespace", false, false, errs);
        immutable_str(m, om, "uid", true, false, errs);
        immutable_str(m, om, "creationTimestamp", true, true, errs);
        if (jget_str(om, "deletionTimestamp"))
            immutable_str(m, om, "deletionTimestamp", true, true, errs);
        if (jget(om, "deletionGracePeriodSeconds") && jget(m, "deletionGracePeriodSeconds") &&
            !json_equal(jget(om, "deletionGracePeriodSeconds"),
                        jget(m, "deletionGracePeriodSeconds")))
            ferr_invalid(errs, "metadata.deletionGracePeriodSeconds",
                         jget(m, "deletionGracePeriodSeconds"), "field is immutable");
    }
    strat__validate_labels(jget_obj(m, "labels"), "metadata.labels", errs);
    strat__validate_annotations(jget_obj(m, "annotations"), "metadata.annotations", errs);
    validate_owner_refs(jget_arr(m, "ownerReferences"), errs);
    validate_finalizers(jget_arr(m, "finalizers"), errs);
}

static bool absent(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
}

void strat__prepare_update_meta(json_t *obj, const json_t *old)
{
    json_t *m = jget_obj(obj, "metadata");
    const json_t *om = jget_obj(old, "metadata");
    /* an update that leaves these out keeps the stored values */
    static const char *const keep_if_missing[] = {"uid", "deletionGracePeriodSeconds", NULL};
    /* and these can never be changed by an update: the stored value wins */
    static const char *const never_change[] = {"creationTimestamp", "deletionTimestamp", NULL};

    if (!m || !om)
        return;
    for (const char *const *k = keep_if_missing; *k; k++)
        if (absent(jget(m, *k)) && !absent(jget(om, *k)))
            json_object_set(m, *k, jget(om, *k));
    for (const char *const *k = never_change; *k; k++)
        if (!absent(jget(om, *k)))
            json_object_set(m, *k, jget(om, *k));
}
