/* strategy_apps.c — apps/v1: StatefulSet and ControllerRevision.
 *
 * Upstream: pkg/apis/apps/v1/defaults.go (SetDefaults_StatefulSet), pkg/apis/apps/validation
 * (ValidateStatefulSet*, ValidateControllerRevision*) and pkg/registry/apps/statefulset.
 * berth's own rules (STATEFULSET.md §7): raising resources.requests.storage of a claim template
 * is allowed on update, and set names too long for the controller-revision-hash label are
 * refused at create time.
 */
#include <stdlib.h>
#include <string.h>

#include "api/strategy_internal.h"
#include "base/alloc.h"
#include "base/names.h"
#include "base/selector.h"

/* <name>-<hash>: the revision hash is at most 10 characters and a label value at most 63. */
#define STS_NAME_MAX (63 - 11)

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

/* --- StatefulSet defaults --- */

static void claim_template_defaults(json_t *t)
{
    if (!json_is_object(t))
        return;
    /* The server fills these in (what kubectl then sees and re-sends on apply). */
    set_default_str(t, "apiVersion", "v1");
    set_default_str(t, "kind", "PersistentVolumeClaim");
    strat__pvc_spec_defaults(jensure_obj(t, "spec"));
    set_default_str(jensure_obj(t, "status"), "phase", "Pending");
}

static void sts_defaults(json_t *sts)
{
    json_t *spec = jensure_obj(sts, "spec"), *us, *ru, *rp, *t;
    size_t i;

    set_default_str(spec, "podManagementPolicy", "OrderedReady");
    us = jensure_obj(spec, "updateStrategy");
    if (!*str_or(us, "type", "")) {
        jset_str(us, "type", "RollingUpdate");
        /* rollingUpdate is only added when the type itself was defaulted */
        if (!jget_obj(us, "rollingUpdate"))
            json_object_set_new(us, "rollingUpdate", json_object());
    }
    ru = jget_obj(us, "rollingUpdate");
    if (!strcmp(str_or(us, "type", ""), "RollingUpdate") && ru && !jget(ru, "partition"))
        jset_int(ru, "partition", 0);
    /* StatefulSetAutoDeletePVC is GA in 1.32; maxUnavailable is not defaulted (gate off). */
    rp = jensure_obj(spec, "persistentVolumeClaimRetentionPolicy");
    set_default_str(rp, "whenDeleted", "Retain");
    set_default_str(rp, "whenScaled", "Retain");
    if (!jget(spec, "replicas"))
        jset_int(spec, "replicas", 1);
    if (!jget(spec, "revisionHistoryLimit"))
        jset_int(spec, "revisionHistoryLimit", 10);
    strat__podspec_defaults(jensure_obj(jensure_obj(spec, "template"), "spec"));
    json_array_foreach(jget_arr(spec, "volumeClaimTemplates"), i, t) claim_template_defaults(t);
}

static void sts_prepare_create(json_t *sts)
{
    /* create cannot set status; these two are not omitempty upstream */
    json_object_set_new(sts, "status",
                        json_pack("{s:i,s:i}", "replicas", 0, "availableReplicas", 0));
}

static void sts_prepare_update(json_t *sts, const json_t *old)
{
    strat__prepare_update_meta(sts, old);
}

/* --- StatefulSet validation --- */

/* intstr.IntOrString's String(): the number, or the string, unquoted. */
static char *intstr_string(const json_t *v)
{
    if (json_is_integer(v))
        return xasprintf("%lld", (long long)json_integer_value(v));
    return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

/* validateRollingUpdateStatefulSet */
static void validate_rolling_update(const json_t *ru, struct ferrs *e)
{
    const char *f = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    const json_t *mu = jget(ru, "maxUnavailable");

    strat__nonneg(e, "spec.updateStrategy.rollingUpdate.partition", ru, "partition");
    if (!mu)
        return;
    char *raw = intstr_string(mu);
    long long val = 0;
    bool percent = false;

    if (json_is_string(mu)) {
        const char *s = json_string_value(mu);
        size_t n = strlen(s);
        bool ok = n >= 2 && s[n - 1] == '%' && strspn(s, "0123456789") == n - 1;
        if (!ok) {
            strat__invalid_raw(e, f, raw,
                               "a valid percent string must be a numeric string followed by an "
                               "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                               "'[0-9]+%')");
            /* IntValue() of a non-percent string is its Atoi, 0 when not a number */
            if (n && strspn(s, "0123456789") == n)
                val = strtoll(s, NULL, 10);
        } else {
            percent = true;
            val = strtoll(s, NULL, 10);
        }
    } else {
        val = json_integer_value(mu);
        if (val < 0)
            ferr_invalid_int(e, f, val, "must be greater than or equal to 0");
    }
    if (val == 0)
        strat__invalid_raw(e, f, raw, "cannot be 0");
    if (percent && val > 100)
        strat__invalid_raw(e, f, raw, "must not be greater than 100%");
    free(raw);
}

static void validate_retention(const json_t *rp, struct ferrs *e)
{
    static const char *const types[] = {"Retain", "Delete", NULL};
    static const char *const keys[] = {"whenDeleted", "whenScaled", NULL};
    char p[STRAT_PATH_MAX];

    if (!rp)
        return;
    for (const char *const *k = keys; *k; k++) {
        const char *v = str_or(rp, *k, "");
        strat__path(p, "spec.persistentVolumeClaimRetentionPolicy.%s", *k);
        if (!strat__in(v, types))
            ferr_not_supported(e, p, v, types);
    }
}

/* %#v of the internal update strategy structs (pointers render as nil or an address). */
static char *go_rolling_update(const json_t *ru)
{
    return xasprintf("apps.RollingUpdateStatefulSetStrategy{Partition:%lld, "
                     "MaxUnavailable:(*intstr.IntOrString)(%s)}",
                     (long long)jget_int(ru, "partition", 0),
                     jget(ru, "maxUnavailable") ? "0xc000000000" : "nil");
}

static void validate_sts_spec(const json_t *sts, bool update, struct ferrs *e)
{
    const json_t *spec = jget_obj(sts, "spec"), *us = jget_obj(spec, "updateStrategy");
    const json_t *sel = jget_obj(spec, "selector"), *tmpl = jget_obj(spec, "template");
    const json_t *tspec = jget_obj(tmpl, "spec"), *tlabels = jget_obj(jget_obj(tmpl, "metadata"),
                                                                       "labels");
    const char *pmp = str_or(spec, "podManagementPolicy", ""), *ut = str_or(us, "type", "");
    const char *rp = str_or(tspec, "restartPolicy", "");
    struct label_selector *ls = NULL;
    struct strbuf err = STRBUF_INIT;
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *t;

    if (!*pmp)
        ferr_required(e, "spec.podManagementPolicy", NULL);
    else if (strcmp(pmp, "OrderedReady") && strcmp(pmp, "Parallel"))
        ferr_invalid_str(e, "spec.podManagementPolicy", pmp,
                         "must be 'OrderedReady' or 'Parallel'");

    if (!*ut) {
        ferr_required(e, "spec.updateStrategy", NULL);
    } else if (!strcmp(ut, "OnDelete")) {
        if (jget(us, "rollingUpdate")) {
            char *raw = go_rolling_update(jget(us, "rollingUpdate"));
            strat__invalid_raw(e, "spec.updateStrategy.rollingUpdate", raw,
                               "only allowed for updateStrategy 'RollingUpdate'");
            free(raw);
        }
    } else if (!strcmp(ut, "RollingUpdate")) {
        if (jget(us, "rollingUpdate"))
            validate_rolling_update(jget(us, "rollingUpdate"), e);
    } else {
        char *raw = xasprintf("apps.StatefulSetUpdateStrategy{Type:\"%s\", "
                              "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(%s)}",
                              ut, jget(us, "rollingUpdate") ? "0xc000000000" : "nil");
        strat__invalid_raw(e, "spec.updateStrategy", raw, "must be 'RollingUpdate' or 'OnDelete'");
        free(raw);
    }

    validate_retention(jget_obj(spec, "persistentVolumeClaimRetentionPolicy"), e);
    if (!update) {
        json_array_foreach(jget_arr(spec, "volumeClaimTemplates"), i, t)
        {
            const char *cn = str_or(jget_obj(t, "metadata"), "name", "");
            strat__path(p, "spec.volumeClaimTemplates[%zu].metadata.name", i);
            if (!*cn)
                ferr_required(e, p, NULL);
            else
                strat__check_dns_subdomain(e, p, cn);
            strat__path(p, "spec.volumeClaimTemplates[%zu].spec", i);
            strat__pvc_spec_validate(jget_obj(t, "spec"), p, e);
        }
    }
    strat__nonneg(e, "spec.replicas", spec, "replicas");
    strat__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    strat__nonneg(e, "spec.ordinals.start", jget_obj(spec, "ordinals"), "start");
    strat__nonneg(e, "spec.revisionHistoryLimit", spec, "revisionHistoryLimit");
    /* serviceName becomes the pods' subdomain (checked on create, as upstream since 1.33) */
    if (!update && *str_or(spec, "serviceName", ""))
        strat__check_dns_label(e, "spec.serviceName", jget_str(spec, "serviceName"));

    if (!sel) {
        ferr_required(e, "spec.selector", NULL);
    } else {
        strat__validate_label_selector(sel, "spec.selector", e);
        if (!json_object_size(jget_obj(sel, "matchLabels")) &&
            !json_array_size(jget_arr(sel, "matchExpressions"))) {
            char *raw = strat__go_label_selector(sel);
            strat__invalid_raw(e, "spec.selector", raw,
                               "empty selector is invalid for statefulset");
            free(raw);
        }
    }
    if (label_selector_from_json(sel, &ls, &err) < 0) {
        char *raw = strat__go_label_selector(sel);
        strat__invalid_raw(e, "spec.selector", raw, "");
        free(raw);
    } else {
        /* ValidatePodTemplateSpecForStatefulSet (sic: labels and annotations at template.*) */
        /* a missing selector selects nothing, so it never matches either */
        if (!sel || (!label_selector_is_empty(ls) && !label_selector_matches(ls, tlabels))) {
            char *raw = strat__go_string_map(tlabels);
            strat__invalid_raw(e, "spec.template.metadata.labels", raw,
                               "`selector` does not match template `labels`");
            free(raw);
        }
        strat__validate_labels(tlabels, "spec.template.labels", e);
        strat__validate_annotations(jget_obj(jget_obj(tmpl, "metadata"), "annotations"),
                                    "spec.template.annotations", e);
        label_selector_free(ls);
    }
    strbuf_release(&err);

    if (strcmp(rp, "Always")) {
        static const char *const always[] = {"Always", NULL};
        ferr_not_supported(e, "spec.template.spec.restartPolicy", rp, always);
    }
    if (jget(tspec, "activeDeadlineSeconds"))
        ferr_forbidden(e, "spec.template.spec.activeDeadlineSeconds",
                       "activeDeadlineSeconds in StatefulSet is not Supported");
}

static void sts_validate(const json_t *sts, struct ferrs *e)
{
    const char *name = str_or(jget_obj(sts, "metadata"), "name", "");

    /* berth (#64023): pods of a longer name could never carry their controller-revision-hash */
    if (strlen(name) > STS_NAME_MAX)
        ferr_add(e, FERR_INVALID, "metadata.name", jget(jget_obj(sts, "metadata"), "name"),
                 "must be no more than %d characters, so that the controller-revision-hash label "
                 "of its pods (<name>-<10-character hash>) fits in 63 characters",
                 STS_NAME_MAX);
    validate_sts_spec(sts, false, e);
}

#define STS_FORBIDDEN                                                                              \
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "      \
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "        \
    "'minReadySeconds' are forbidden"

static json_t *claim_storage(const json_t *tmpl)
{
    return jget(jget_obj(jget_obj(jget_obj(tmpl, "spec"), "resources"), "requests"), "storage");
}

static void sts_validate_update(const json_t *sts, const json_t *old, struct ferrs *e)
{
    static const char *const mutable_fields[] = {
        "replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy", "minReadySeconds", NULL};
    const json_t *ospec = jget_obj(old, "spec");
    json_t *a = json_deep_copy(jget_obj(sts, "spec") ? jget_obj(sts, "spec") : json_object());
    json_t *b = json_deep_copy(ospec ? ospec : json_object());
    json_t *at = jget_arr(a, "volumeClaimTemplates"), *bt = jget_arr(b, "volumeClaimTemplates");

    validate_sts_spec(sts, true, e);
    for (const char *const *f = mutable_fields; *f; f++) {
        json_object_del(a, *f);
        json_object_del(b, *f);
    }
    /* berth: a claim template's storage request may grow (never shrink). */
    if (json_array_size(at) == json_array_size(bt)) {
        for (size_t i = 0; i < json_array_size(at); i++) {
            json_t *ns = claim_storage(json_array_get(at, i));
            json_t *os = claim_storage(json_array_get(bt, i));
            struct quantity nq, oq;
            if (strat__qty(ns, &nq) && strat__qty(os, &oq) && quantity_cmp(&nq, &oq) > 0)
                json_object_set(jget_obj(jget_obj(jget_obj(json_array_get(at, i), "spec"),
                                                  "resources"),
                                         "requests"),
                                "storage", os);
        }
    }
    if (!json_equal(a, b))
        ferr_forbidden(e, "spec", STS_FORBIDDEN);
    json_decref(a);
    json_decref(b);
}

static void sts_validate_status(const json_t *sts, const json_t *old, struct ferrs *e)
{
    static const char *const counts[] = {"replicas", "readyReplicas", "currentReplicas",
                                         "updatedReplicas", "availableReplicas", NULL};
    static const char *const le_replicas[] = {"readyReplicas", "currentReplicas",
                                              "updatedReplicas", "availableReplicas", NULL};
    const json_t *st = jget_obj(sts, "status"), *ost = jget_obj(old, "status");
    char p[STRAT_PATH_MAX];
    long long replicas = jget_int(st, "replicas", 0);

    for (const char *const *c = counts; *c; c++) {
        strat__path(p, "status.%s", *c);
        strat__nonneg(e, p, st, *c);
    }
    strat__nonneg(e, "status.observedGeneration", st, "observedGeneration");
    strat__nonneg(e, "status.collisionCount", st, "collisionCount");
    for (const char *const *c = le_replicas; *c; c++) {
        if (jget_int(st, *c, 0) > replicas) {
            strat__path(p, "status.%s", *c);
            ferr_invalid_int(e, p, jget_int(st, *c, 0), "cannot be greater than status.replicas");
        }
    }
    if (jget_int(st, "availableReplicas", 0) > jget_int(st, "readyReplicas", 0))
        ferr_invalid_int(e, "status.availableReplicas", jget_int(st, "availableReplicas", 0),
                         "cannot be greater than status.readyReplicas");
    /* IsDecremented: a set collisionCount may never go down or away */
    if (json_is_integer(jget(ost, "collisionCount")) &&
        (!json_is_integer(jget(st, "collisionCount")) ||
         jget_int(st, "collisionCount", 0) < jget_int(ost, "collisionCount", 0)))
        ferr_invalid_int(e, "status.collisionCount", jget_int(st, "collisionCount", 0),
                         "cannot be decremented");
}

const struct res_strategy strat__statefulset = {
    .defaults = sts_defaults,
    .prepare_create = sts_prepare_create,
    .prepare_update = sts_prepare_update,
    .validate = sts_validate,
    .validate_update = sts_validate_update,
    .validate_status = sts_validate_status,
};

/* --- ControllerRevision --- */

static void cr_validate(const json_t *cr, struct ferrs *e)
{
    /* the decoder writes an absent data as null (a Go value field) */
    if (!jget(cr, "data") || json_is_null(jget(cr, "data")))
        ferr_required(e, "data", "data is mandatory");
    strat__nonneg(e, "revision", cr, "revision");
}

static void cr_validate_update(const json_t *cr, const json_t *old, struct ferrs *e)
{
    const json_t *d = jget(cr, "data"), *od = jget(old, "data");

    cr_validate(cr, e);
    if (!((!d && !od) || (d && od && json_equal(d, od))))
        ferr_invalid(e, "data", d, "field is immutable");
}

static void cr_prepare_update(json_t *cr, const json_t *old)
{
    strat__prepare_update_meta(cr, old);
}

const struct res_strategy strat__controllerrevision = {
    .prepare_update = cr_prepare_update,
    .validate = cr_validate,
    .validate_update = cr_validate_update,
};
