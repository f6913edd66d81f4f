/* predicates.c — the pure parts of scheduling: resource sums, taints and tolerations, node
 * selectors and node affinity, as upstream's component-helpers and scheduler plugins define
 * them. Nothing here touches the network or the scheduler's state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/names.h"
#include "controllers/scheduler/internal.h"

/* --- resource vectors --- */

void sres_release(struct sres *r)
{
    for (size_t i = 0; i < r->nscalar; i++)
        free(r->scalar[i].name);
    free(r->scalar);
    memset(r, 0, sizeof(*r));
}

static int64_t *scalar_slot(struct sres *r, const char *name)
{
    for (size_t i = 0; i < r->nscalar; i++)
        if (!strcmp(r->scalar[i].name, name))
            return &r->scalar[i].val;
    r->scalar = xrealloc(r->scalar, (r->nscalar + 1) * sizeof(*r->scalar));
    r->scalar[r->nscalar].name = xstrdup(name);
    r->scalar[r->nscalar].val = 0;
    return &r->scalar[r->nscalar++].val;
}

int64_t sres_scalar(const struct sres *r, const char *name)
{
    for (size_t i = 0; i < r->nscalar; i++)
        if (!strcmp(r->scalar[i].name, name))
            return r->scalar[i].val;
    return 0;
}

void sres_add(struct sres *a, const struct sres *b, int sign)
{
    a->cpu += sign * b->cpu;
    a->mem += sign * b->mem;
    a->eph += sign * b->eph;
    a->pods += sign * b->pods;
    for (size_t i = 0; i < b->nscalar; i++)
        *scalar_slot(a, b->scalar[i].name) += sign * b->scalar[i].val;
}

void sres_copy(struct sres *dst, const struct sres *src)
{
    memset(dst, 0, sizeof(*dst));
    sres_add(dst, src, 1);
}

/* a = max(a, b) per resource, as upstream's maxResourceList. */
static void sres_max(struct sres *a, const struct sres *b)
{
    if (b->cpu > a->cpu)
        a->cpu = b->cpu;
    if (b->mem > a->mem)
        a->mem = b->mem;
    if (b->eph > a->eph)
        a->eph = b->eph;
    for (size_t i = 0; i < b->nscalar; i++) {
        int64_t *v = scalar_slot(a, b->scalar[i].name);
        if (b->scalar[i].val > *v)
            *v = b->scalar[i].val;
    }
}

static int64_t qty_value(const json_t *v, bool milli)
{
    struct quantity q;
    if (!json_is_string(v) || quantity_parse(json_string_value(v), &q) < 0)
        return 0;
    return milli ? quantity_milli_value(&q) : quantity_value(&q);
}

/* A ResourceList object into r (added). nonzero: upstream's NonMissingContainerRequests, the
 * defaults for scoring when cpu or memory is not requested at all. */
static void add_resource_list(struct sres *r, const json_t *list, bool nonzero)
{
    const char *name;
    json_t *v;

    if (nonzero) {
        if (!jget(list, "cpu"))
            r->cpu += 100;
        if (!jget(list, "memory"))
            r->mem += 200 * 1024 * 1024;
    }
    json_object_foreach ((json_t *)list, name, v) {
        if (!strcmp(name, "cpu"))
            r->cpu += qty_value(v, true);
        else if (!strcmp(name, "memory"))
            r->mem += qty_value(v, false);
        else if (!strcmp(name, "ephemeral-storage"))
            r->eph += qty_value(v, false);
        else if (!strcmp(name, "pods"))
            r->pods += qty_value(v, false);
        else if (strcmp(name, "storage"))
            *scalar_slot(r, name) += qty_value(v, false);
    }
}

static bool is_sidecar(const json_t *c)
{
    const char *rp = jget_str(c, "restartPolicy");
    return rp && !strcmp(rp, "Always");
}

static void aggregate(const json_t *pod, struct sres *reqs, bool nonzero)
{
    const json_t *spec = jget(pod, "spec");
    struct sres sidecars = {0}, init = {0};
    size_t i;
    json_t *c;

    memset(reqs, 0, sizeof(*reqs));
    json_array_foreach (jget_arr(spec, "containers"), i, c)
        add_resource_list(reqs, jpath(c, "resources.requests"), nonzero);
    /* InitContainerUse(i) = sum(sidecars before i) + init container i (KEP-753). */
    json_array_foreach (jget_arr(spec, "initContainers"), i, c) {
        struct sres use = {0};
        add_resource_list(&use, jpath(c, "resources.requests"), nonzero);
        if (is_sidecar(c)) {
            sres_add(reqs, &use, 1);
            sres_add(&sidecars, &use, 1);
            sres_release(&use);
            sres_copy(&use, &sidecars);
        } else {
            sres_add(&use, &sidecars, 1);
        }
        sres_max(&init, &use);
        sres_release(&use);
    }
    sres_max(reqs, &init);
    sres_release(&init);
    sres_release(&sidecars);
    add_resource_list(reqs, jget(spec, "overhead"), false);
}

void sched__pod_requests(const json_t *pod, struct sres *req, int64_t *nz_cpu, int64_t *nz_mem)
{
    struct sres nz;

    aggregate(pod, req, false);
    aggregate(pod, &nz, true);
    *nz_cpu = nz.cpu;
    *nz_mem = nz.mem;
    sres_release(&nz);
}

void sched__node_allocatable(const json_t *node, struct sres *alloc)
{
    memset(alloc, 0, sizeof(*alloc));
    add_resource_list(alloc, jpath(node, "status.allocatable"), false);
}

/* --- taints and tolerations --- */

static const char *str_or_empty(const json_t *o, const char *key)
{
    const char *s = jget_str(o, key);
    return s ? s : "";
}

bool sched__toleration_tolerates(const json_t *tol, const char *key, const char *value,
                                 const char *effect)
{
    const char *teffect = str_or_empty(tol, "effect"), *tkey = str_or_empty(tol, "key");
    const char *op = str_or_empty(tol, "operator");

    if (*teffect && strcmp(teffect, effect))
        return false;
    if (*tkey && strcmp(tkey, key))
        return false;
    if (!*op || !strcmp(op, "Equal"))
        return !strcmp(str_or_empty(tol, "value"), value ? value : "");
    return !strcmp(op, "Exists");
}

bool sched__tolerations_tolerate(const json_t *tolerations, const char *key, const char *value,
                                 const char *effect)
{
    size_t i;
    json_t *t;
    json_array_foreach (tolerations, i, t)
        if (sched__toleration_tolerates(t, key, value, effect))
            return true;
    return false;
}

const json_t *sched__untolerated_taint(const json_t *taints, const json_t *tolerations)
{
    size_t i;
    json_t *t;
    json_array_foreach (taints, i, t) {
        const char *effect = str_or_empty(t, "effect");
        if (strcmp(effect, "NoSchedule") && strcmp(effect, "NoExecute"))
            continue;
        if (!sched__tolerations_tolerate(tolerations, str_or_empty(t, "key"),
                                         str_or_empty(t, "value"), effect))
            return t;
    }
    return NULL;
}

int sched__intolerable_prefer_no_schedule(const json_t *taints, const json_t *tolerations)
{
    size_t i;
    json_t *t;
    int n = 0;
    json_array_foreach (taints, i, t) {
        if (strcmp(str_or_empty(t, "effect"), "PreferNoSchedule"))
            continue;
        if (!sched__tolerations_tolerate(tolerations, str_or_empty(t, "key"),
                                         str_or_empty(t, "value"), "PreferNoSchedule"))
            n++;
    }
    return n;
}

/* --- node selectors --- */

static bool valid_key(const char *k)
{
    const char *msgs[NAME_MAX_MSGS];
    return k && name_check_qualified(k, msgs) == 0;
}

static bool valid_value(const char *v)
{
    const char *msgs[NAME_MAX_MSGS];
    return v && name_check_label_value(v, msgs) == 0;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (!s || !*s)
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool in_values(const json_t *values, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach (values, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v))
            return true;
    return false;
}

/* One requirement of labels.NewRequirement + Requirement.Matches: -1 malformed, else 0/1. */
static int requirement_match(const json_t *req, const json_t *labels)
{
    const char *key = jget_str(req, "key"), *op = jget_str(req, "operator");
    const json_t *values = jget_arr(req, "values");
    size_t nv = json_array_size(values), i;
    json_t *x;

    if (!op || !valid_key(key))
        return -1;
    json_array_foreach (values, i, x)
        if (!json_is_string(x) || !valid_value(json_string_value(x)))
            return -1;
    const char *have = jget_str(labels, key);
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
        if (!nv)
            return -1;
        bool in = have && in_values(values, have);
        return !strcmp(op, "In") ? in : !in;
    }
    if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
        if (nv)
            return -1;
        return !strcmp(op, "Exists") ? have != NULL : have == NULL;
    }
    if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
        int64_t want, got;
        if (nv != 1 || !parse_i64(json_string_value(json_array_get(values, 0)), &want))
            return -1;
        if (!have || !parse_i64(have, &got))
            return 0;
        return !strcmp(op, "Gt") ? got > want : got < want;
    }
    return -1;
}

/* -1 when any requirement is malformed (the whole list is dropped, as upstream), else 0/1. */
static int requirements_match(const json_t *exprs, const json_t *labels)
{
    size_t i;
    json_t *r;
    int ok = 1;
    json_array_foreach (exprs, i, r) {
        int m = requirement_match(r, labels);
        if (m < 0)
            return -1;
        if (!m)
            ok = 0;
    }
    return ok;
}

bool sched__node_selector_requirements_match(const json_t *exprs, const json_t *labels)
{
    return requirements_match(exprs, labels) == 1;
}

/* matchFields: only In/NotIn with exactly one value; fields other than metadata.name read as
 * "". -1 malformed. */
static int fields_match(const json_t *exprs, const char *name)
{
    size_t i;
    json_t *r;
    int ok = 1;
    json_array_foreach (exprs, i, r) {
        const char *key = str_or_empty(r, "key"), *op = str_or_empty(r, "operator");
        const json_t *values = jget_arr(r, "values");
        if ((strcmp(op, "In") && strcmp(op, "NotIn")) || json_array_size(values) != 1 ||
            !json_is_string(json_array_get(values, 0)))
            return -1;
        const char *v = json_string_value(json_array_get(values, 0));
        const char *have = !strcmp(key, "metadata.name") ? name : "";
        bool eq = !strcmp(have, v);
        if (!strcmp(op, "In") ? !eq : eq)
            ok = 0;
    }
    return ok;
}

/* One NodeSelectorTerm: -1 empty or malformed (selects nothing), else 0/1. */
static int term_match(const json_t *term, const json_t *node, bool labels_only)
{
    const json_t *exprs = jget_arr(term, "matchExpressions");
    const json_t *fields = jget_arr(term, "matchFields");
    int lm = 1, fm = 1;

    if (!json_array_size(exprs) && !json_array_size(fields))
        return -1;
    if (json_array_size(exprs))
        lm = requirements_match(exprs, jpath(node, "metadata.labels"));
    if (lm < 0)
        return -1;
    if (json_array_size(fields)) {
        const char *name = jpath_str(node, "metadata.name");
        fm = fields_match(fields, name ? name : "");
        if (fm < 0)
            return -1;
        /* upstream only checks fields when the node has some: a labels-only node has none */
        if (labels_only || !name || !*name)
            fm = 1;
    }
    return lm && fm;
}

bool sched__node_selector_terms_match(const json_t *terms, const json_t *node, bool labels_only)
{
    size_t i;
    json_t *t;
    json_array_foreach (terms, i, t)
        if (term_match(t, node, labels_only) == 1)
            return true;
    return false;
}

bool sched__pod_matches_node(const json_t *pod, const json_t *node)
{
    const json_t *sel = jpath(pod, "spec.nodeSelector");
    const json_t *labels = jpath(node, "metadata.labels");
    const char *k;
    json_t *v;

    json_object_foreach ((json_t *)sel, k, v) {
        const char *have = jget_str(labels, k);
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)))
            return false;
    }
    const json_t *req =
        jpath(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    if (req && !json_is_null(req))
        return sched__node_selector_terms_match(jget_arr(req, "nodeSelectorTerms"), node, false);
    return true;
}

int64_t sched__preferred_affinity_score(const json_t *pod, const json_t *node)
{
    const json_t *pref =
        jpath(pod, "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution");
    size_t i;
    json_t *t;
    int64_t score = 0;
    json_array_foreach (pref, i, t) {
        int64_t w = jget_int(t, "weight", 0);
        if (w && term_match(jget(t, "preference"), node, false) == 1)
            score += w;
    }
    return score;
}

bool sched__pv_node_affinity_matches(const json_t *pv, const json_t *node)
{
    const json_t *req = jpath(pv, "spec.nodeAffinity.required");
    if (!req || json_is_null(req))
        return true;
    return sched__node_selector_terms_match(jget_arr(req, "nodeSelectorTerms"), node, true);
}

bool sched__topology_matches(const json_t *cls, const json_t *node)
{
    const json_t *terms = jget_arr(cls, "allowedTopologies");
    const json_t *labels = jpath(node, "metadata.labels");
    size_t i, j;
    json_t *t, *e;

    if (!json_array_size(terms))
        return true;
    json_array_foreach (terms, i, t) {
        bool ok = true;
        json_array_foreach (jget_arr(t, "matchLabelExpressions"), j, e) {
            const char *have = jget_str(labels, str_or_empty(e, "key"));
            if (!have || !in_values(jget_arr(e, "values"), have)) {
                ok = false;
                break;
            }
        }
        if (ok)
            return true;
    }
    return false;
}

/* --- node state --- */

const char *sched__node_ready(const json_t *node)
{
    size_t i;
    json_t *c;
    json_array_foreach (jpath(node, "status.conditions"), i, c) {
        const char *type = jget_str(c, "type");
        if (type && !strcmp(type, "Ready"))
            return jget_str(c, "status");
    }
    return NULL;
}

json_t *sched__node_taints(const json_t *node)
{
    const json_t *have = jpath(node, "spec.taints");
    json_t *taints = json_is_array(have) ? json_copy((json_t *)have) : json_array();
    const char *ready = sched__node_ready(node);
    size_t i;
    json_t *t;

    if (ready && !strcmp(ready, "True"))
        return taints;
    const char *key = ready && !strcmp(ready, "Unknown") ? TAINT_UNREACHABLE : TAINT_NOT_READY;
    json_array_foreach (taints, i, t) {
        if (!strcmp(str_or_empty(t, "key"), key) &&
            !strcmp(str_or_empty(t, "effect"), "NoSchedule"))
            return taints;
    }
    json_t *nt = json_object();
    jset_str(nt, "key", key);
    jset_str(nt, "effect", "NoSchedule");
    json_array_append_new(taints, nt);
    return taints;
}
