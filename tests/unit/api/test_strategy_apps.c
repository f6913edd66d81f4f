/* StatefulSet and ControllerRevision strategies: defaults as upstream stores them, validation
 * with upstream's messages, the update rule and berth's own rules (STATEFULSET.md §7). */
#include "test.h"

#include "api/decode.h"
#include "api/resource.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/strbuf.h"

/* --- helpers (the server's write path, in its order) --- */

static void run_create(enum res_id id, json_t *obj, struct ferrs *e)
{
    const struct res_strategy *s = res_strategy(id);
    if (s->prepare_create)
        s->prepare_create(obj);
    if (s->defaults)
        s->defaults(obj);
    validate_meta(resource_get(id), obj, NULL, e);
    if (s->validate)
        s->validate(obj, e);
}

static void run_update(enum res_id id, json_t *obj, const json_t *old, struct ferrs *e)
{
    const struct res_strategy *s = res_strategy(id);
    if (s->prepare_update)
        s->prepare_update(obj, old);
    if (s->defaults)
        s->defaults(obj);
    validate_meta(resource_get(id), obj, old, e);
    if (s->validate_update)
        s->validate_update(obj, old, e);
}

static char *errs_text(const struct ferrs *e)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < e->nr; i++) {
        char *s = ferr_string(&e->v[i]);
        strbuf_addf(&sb, "%s%s", i ? "\n" : "", s);
        free(s);
    }
    return strbuf_detach(&sb, NULL);
}

#define assert_errs(e, want)                                                                       \
    do {                                                                                           \
        char *t_ = errs_text(e);                                                                   \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

/* Create obj (JSON text) and expect no errors; returns the stored form. */
static json_t *created(enum res_id id, const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    run_create(id, obj, &e);
    assert_errs(&e, "");
    ferrs_release(&e);
    return obj;
}

/* The errors of creating text. Caller frees. */
static char *create_errors(enum res_id id, const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    char *t;
    run_create(id, obj, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(obj);
    return t;
}

#define assert_create_errors(id, text, want)                                                       \
    do {                                                                                           \
        char *t_ = create_errors(id, text);                                                        \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

/* A minimal StatefulSet as the decoder hands it over (value structs present as {}). */
#define STS_META "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}"
#define STS_TEMPLATE                                                                               \
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{"       \
    "\"name\":\"nginx\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80,\"name\":"      \
    "\"web\"}],\"volumeMounts\":[{\"name\":\"www\",\"mountPath\":\"/usr/share/nginx/html\"}],"    \
    "\"resources\":{}}]}}"
#define STS_CLAIMS                                                                                 \
    "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"www\"},\"spec\":{\"accessModes\":["     \
    "\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]"
#define STS(extra_spec)                                                                            \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\"," STS_META ",\"spec\":{"                 \
    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"serviceName\":\"web\","                    \
    "\"updateStrategy\":{}," STS_TEMPLATE "," STS_CLAIMS extra_spec "}}"

/* --- defaults --- */

static void test_sts_defaults_minimal(void **state)
{
    json_t *sts = created(RES_STATEFULSETS, STS(""));
    assert_json_eq(
        sts,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\"," STS_META ",\"spec\":{"
        "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\",\"whenScaled\":"
        "\"Retain\"},\"podManagementPolicy\":\"OrderedReady\",\"replicas\":1,"
        "\"revisionHistoryLimit\":10,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
        "\"serviceName\":\"web\",\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
        "\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"imagePullPolicy\":\"IfNotPresent\","
        "\"name\":\"nginx\",\"ports\":[{\"containerPort\":80,\"name\":\"web\",\"protocol\":\"TCP\"}"
        "],"
        "\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\","
        "\"terminationMessagePolicy\":\"File\",\"volumeMounts\":[{\"mountPath\":"
        "\"/usr/share/nginx/html\",\"name\":\"www\"}]}],\"dnsPolicy\":\"ClusterFirst\","
        "\"restartPolicy\":\"Always\",\"schedulerName\":\"default-scheduler\","
        "\"securityContext\":{},\"terminationGracePeriodSeconds\":30}},"
        "\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0},\"type\":\"RollingUpdate\"},"
        "\"volumeClaimTemplates\":[{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
        "\"metadata\":{\"name\":\"www\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
        "\"resources\":{\"requests\":{\"storage\":\"1Gi\"}},\"volumeMode\":\"Filesystem\"},"
        "\"status\":{\"phase\":\"Pending\"}}]},"
        "\"status\":{\"availableReplicas\":0,\"replicas\":0}}");
    json_decref(sts);
}

static void test_sts_defaults_idempotent(void **state)
{
    json_t *sts = created(RES_STATEFULSETS, STS(""));
    json_t *again = json_deep_copy(sts);
    res_strategy(RES_STATEFULSETS)->defaults(again);
    assert_true(json_equal(sts, again));
    json_decref(sts);
    json_decref(again);
}

/* An explicit RollingUpdate type gets no rollingUpdate block (upstream adds it only when the
 * type itself was defaulted); OnDelete gets none either. */
static void test_sts_defaults_explicit_strategy(void **state)
{
    json_t *sts = tj(STS(""));
    json_object_set_new(json_object_get(json_object_get(sts, "spec"), "updateStrategy"), "type",
                        json_string("RollingUpdate"));
    res_strategy(RES_STATEFULSETS)->defaults(sts);
    assert_json_eq(jpath(sts, "spec.updateStrategy"), "{\"type\":\"RollingUpdate\"}");
    json_decref(sts);

    sts = tj(STS(""));
    json_object_set_new(json_object_get(json_object_get(sts, "spec"), "updateStrategy"), "type",
                        json_string("OnDelete"));
    res_strategy(RES_STATEFULSETS)->defaults(sts);
    assert_json_eq(jpath(sts, "spec.updateStrategy"), "{\"type\":\"OnDelete\"}");
    json_decref(sts);
}

/* replicas: 0 is a set pointer, not absent: it stays 0. Partition given stays. */
static void test_sts_defaults_keep_values(void **state)
{
    json_t *sts = created(RES_STATEFULSETS,
                          STS(",\"replicas\":0,\"podManagementPolicy\":\"Parallel\","
                              "\"revisionHistoryLimit\":0"));
    assert_int_equal(jpath_int(sts, "spec.replicas", -1), 0);
    assert_int_equal(jpath_int(sts, "spec.revisionHistoryLimit", -1), 0);
    assert_string_equal(jpath_str(sts, "spec.podManagementPolicy"), "Parallel");
    json_decref(sts);
}

/* maxUnavailable is not defaulted in 1.32 (MaxUnavailableStatefulSet is alpha, off). */
static void test_sts_defaults_no_max_unavailable(void **state)
{
    json_t *sts = created(RES_STATEFULSETS, STS(""));
    assert_null(jpath(sts, "spec.updateStrategy.rollingUpdate.maxUnavailable"));
    json_decref(sts);
}

static void test_sts_prepare_create_resets_status(void **state)
{
    json_t *sts = tj("{\"metadata\":{\"name\":\"web\"},\"status\":{\"replicas\":5,"
                     "\"readyReplicas\":5,\"currentRevision\":\"web-1\"}}");
    res_strategy(RES_STATEFULSETS)->prepare_create(sts);
    assert_json_eq(json_object_get(sts, "status"), "{\"availableReplicas\":0,\"replicas\":0}");
    json_decref(sts);
}

/* --- create validation --- */

static void test_sts_valid(void **state)
{
    assert_create_errors(RES_STATEFULSETS, STS(""), "");
    assert_create_errors(RES_STATEFULSETS,
                         STS(",\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
                             "\"partition\":3,\"maxUnavailable\":\"50%\"}}"),
                         "");
}

static void test_sts_partition_negative(void **state)
{
    struct ferrs e = FERRS_INIT;
    struct api_err ae = API_ERR_INIT;
    json_t *sts = tj(STS(""));
    json_object_set_new(json_object_get(json_object_get(sts, "spec"), "updateStrategy"),
                        "rollingUpdate", json_pack("{s:i}", "partition", -1));
    run_create(RES_STATEFULSETS, sts, &e);
    api_err_invalid(&ae, "apps", "StatefulSet", "web", &e);
    assert_string_equal(ae.message,
                        "StatefulSet.apps \"web\" is invalid: "
                        "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be "
                        "greater than or equal to 0");
    api_err_release(&ae);
    json_decref(sts);
}

static void test_sts_selector_missing(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    json_object_del(json_object_get(sts, "spec"), "selector");
    run_create(RES_STATEFULSETS, sts, &e);
    /* a nil selector selects nothing: upstream reports the mismatch too */
    assert_errs(&e, "spec.selector: Required value\n"
                    "spec.template.metadata.labels: Invalid value: "
                    "map[string]string{\"app\":\"web\"}: `selector` does not match template "
                    "`labels`");
    ferrs_release(&e);
    json_decref(sts);
}

static void test_sts_selector_empty(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    json_object_set_new(json_object_get(sts, "spec"), "selector", json_object());
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
                    "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid "
                    "for statefulset");
    ferrs_release(&e);
    json_decref(sts);
}

static void test_sts_selector_mismatch(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    json_object_set_new(json_object_get(sts, "spec"), "selector",
                        json_pack("{s:{s:s}}", "matchLabels", "app", "other"));
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "spec.template.metadata.labels: Invalid value: "
                    "map[string]string{\"app\":\"web\"}: `selector` does not match template "
                    "`labels`");
    ferrs_release(&e);
    json_decref(sts);
}

static void test_sts_selector_expressions(void **state)
{
    /* matchExpressions select too; a bad operator is reported at its path */
    assert_create_errors(RES_STATEFULSETS,
                         STS(",\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":"
                             "\"In\",\"values\":[\"web\",\"db\"]}]}"),
                         "");
    char *t = create_errors(RES_STATEFULSETS,
                            STS(",\"selector\":{\"matchExpressions\":[{\"key\":\"app\","
                                "\"operator\":\"Has\",\"values\":[\"web\"]}]}"));
    assert_non_null(strstr(t, "spec.selector.matchExpressions[0].operator: Invalid value: "
                              "\"Has\": not a valid selector operator"));
    free(t);
}

static void test_sts_enums(void **state)
{
    assert_create_errors(RES_STATEFULSETS, STS(",\"podManagementPolicy\":\"Random\""),
                         "spec.podManagementPolicy: Invalid value: \"Random\": must be "
                         "'OrderedReady' or 'Parallel'");
    assert_create_errors(RES_STATEFULSETS, STS(",\"updateStrategy\":{\"type\":\"Recreate\"}"),
                         "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{"
                         "Type:\"Recreate\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)"
                         "(nil)}: must be 'RollingUpdate' or 'OnDelete'");
    assert_create_errors(RES_STATEFULSETS,
                         STS(",\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":"
                             "\"Keep\"}"),
                         "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported "
                         "value: \"Keep\": supported values: \"Retain\", \"Delete\"");
}

static void test_sts_ondelete_forbids_rolling_update(void **state)
{
    assert_create_errors(RES_STATEFULSETS,
                         STS(",\"updateStrategy\":{\"type\":\"OnDelete\",\"rollingUpdate\":{"
                             "\"partition\":1}}"),
                         "spec.updateStrategy.rollingUpdate: Invalid value: "
                         "apps.RollingUpdateStatefulSetStrategy{Partition:1, "
                         "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for "
                         "updateStrategy 'RollingUpdate'");
}

static void test_sts_max_unavailable(void **state)
{
#define MU(v) STS(",\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{" \
                  "\"maxUnavailable\":" v "}}")
    assert_create_errors(RES_STATEFULSETS, MU("2"), "");
    assert_create_errors(RES_STATEFULSETS, MU("\"100%\""), "");
    assert_create_errors(RES_STATEFULSETS, MU("0"),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: "
                         "cannot be 0");
    assert_create_errors(RES_STATEFULSETS, MU("\"0%\""),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0%: "
                         "cannot be 0");
    assert_create_errors(RES_STATEFULSETS, MU("\"101%\""),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 101%: "
                         "must not be greater than 100%");
    assert_create_errors(RES_STATEFULSETS, MU("-1"),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: "
                         "must be greater than or equal to 0");
    assert_create_errors(RES_STATEFULSETS, MU("\"half\""),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: half: "
                         "a valid percent string must be a numeric string followed by an ending "
                         "'%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')\n"
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: half: "
                         "cannot be 0");
    /* a numeric string is not a percent, but its value is not 0 either */
    assert_create_errors(RES_STATEFULSETS, MU("\"5\""),
                         "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 5: "
                         "a valid percent string must be a numeric string followed by an ending "
                         "'%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
#undef MU
}

static void test_sts_counts_nonnegative(void **state)
{
    assert_create_errors(RES_STATEFULSETS,
                         STS(",\"replicas\":-1,\"minReadySeconds\":-2,\"revisionHistoryLimit\":-3,"
                             "\"ordinals\":{\"start\":-4}"),
                         "spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
                         "spec.minReadySeconds: Invalid value: -2: must be greater than or equal "
                         "to 0\n"
                         "spec.ordinals.start: Invalid value: -4: must be greater than or equal "
                         "to 0\n"
                         "spec.revisionHistoryLimit: Invalid value: -3: must be greater than or "
                         "equal to 0");
}

static void test_sts_template_restart_policy_and_deadline(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    json_t *tspec = jpath(sts, "spec.template.spec");
    jset_str(tspec, "restartPolicy", "OnFailure");
    jset_int(tspec, "activeDeadlineSeconds", 30);
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": "
                    "supported values: \"Always\"\n"
                    "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds "
                    "in StatefulSet is not Supported");
    ferrs_release(&e);
    json_decref(sts);
}

static void test_sts_service_name_label(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    jset_str(json_object_get(sts, "spec"), "serviceName", "Web.Svc");
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "spec.serviceName: Invalid value: \"Web.Svc\": a lowercase RFC 1123 label "
                    "must consist of lower case alphanumeric characters or '-', and must start and "
                    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
                    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    ferrs_release(&e);
    json_decref(sts);
    /* no serviceName at all is fine (optional since 1.33) */
    sts = tj(STS(""));
    json_object_del(json_object_get(sts, "spec"), "serviceName");
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "");
    json_decref(sts);
}

static void test_sts_claim_templates_validated(void **state)
{
    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    json_t *spec = jpath(json_array_get(jpath(sts, "spec.volumeClaimTemplates"), 0), "spec");
    json_object_del(spec, "accessModes");
    json_object_set_new(spec, "resources", json_pack("{s:{s:s}}", "requests", "storage", "0"));
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 "
                    "access mode is required\n"
                    "spec.volumeClaimTemplates[0].spec.resources[storage]: Invalid value: \"0\": "
                    "must be greater than zero");
    ferrs_release(&e);
    json_decref(sts);
}

/* berth §7 item 5: <name>-<10 chars> must fit in a 63-character label value. */
static void test_sts_long_name(void **state)
{
    char name53[54], name52[53];
    char *text;
    memset(name53, 'a', 53);
    name53[53] = 0;
    memset(name52, 'b', 52);
    name52[52] = 0;

    json_t *sts = tj(STS(""));
    struct ferrs e = FERRS_INIT;
    jset_str(json_object_get(sts, "metadata"), "name", name53);
    run_create(RES_STATEFULSETS, sts, &e);
    text = errs_text(&e);
    assert_non_null(strstr(text, "metadata.name: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                 "aaaaaaaaaaaaaaaaaaaa\": must be no more than 52 characters"));
    assert_non_null(strstr(text, "controller-revision-hash"));
    assert_int_equal(e.nr, 1);
    free(text);
    ferrs_release(&e);
    json_decref(sts);

    sts = tj(STS(""));
    jset_str(json_object_get(sts, "metadata"), "name", name52);
    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "");
    json_decref(sts);
}

/* --- update --- */

#define STS_FORBIDDEN                                                                              \
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "              \
    "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "                           \
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

/* Update old (a created set) with new = old's stored form edited by edit(). */
static char *update_errors(json_t *old, void (*edit)(json_t *))
{
    struct ferrs e = FERRS_INIT;
    json_t *n = json_deep_copy(old);
    char *t;
    edit(n);
    run_update(RES_STATEFULSETS, n, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(n);
    return t;
}

static void edit_mutable(json_t *n)
{
    json_t *spec = json_object_get(n, "spec");
    jset_int(spec, "replicas", 5);
    jset_int(spec, "minReadySeconds", 10);
    jset_int(spec, "revisionHistoryLimit", 3);
    json_object_set_new(spec, "ordinals", json_pack("{s:i}", "start", 1));
    jset_str(json_array_get(jpath(n, "spec.template.spec.containers"), 0), "image", "nginx:1.26");
    json_object_set_new(jpath(n, "spec.updateStrategy.rollingUpdate"), "partition",
                        json_integer(2));
    jset_str(jpath(n, "spec.persistentVolumeClaimRetentionPolicy"), "whenScaled", "Delete");
}

static void edit_service_name(json_t *n)
{
    jset_str(json_object_get(n, "spec"), "serviceName", "other");
}

static void edit_pod_management(json_t *n)
{
    jset_str(json_object_get(n, "spec"), "podManagementPolicy", "Parallel");
}

static void edit_selector(json_t *n)
{
    json_object_set_new(json_object_get(n, "spec"), "selector",
                        json_pack("{s:{s:s,s:s}}", "matchLabels", "app", "web", "tier", "x"));
    jset_str(jpath(n, "spec.template.metadata.labels"), "tier", "x");
}

static void set_claim_storage(json_t *n, const char *q)
{
    json_t *t = json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0);
    jset_str(jpath(t, "spec.resources.requests"), "storage", q);
}

static void edit_storage_up(json_t *n)
{
    set_claim_storage(n, "2Gi");
}

static void edit_storage_down(json_t *n)
{
    set_claim_storage(n, "512Mi");
}

static void edit_claim_access(json_t *n)
{
    json_t *t = json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0);
    json_object_set_new(jpath(t, "spec"), "accessModes", json_pack("[s]", "ReadWriteMany"));
}

static void edit_storage_up_and_class(json_t *n)
{
    json_t *t = json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0);
    set_claim_storage(n, "2Gi");
    jset_str(jpath(t, "spec"), "storageClassName", "fast");
}

/* kubectl apply re-sends the claim templates without the server's defaults (§9.1). */
static void edit_reapply_claims(json_t *n)
{
    json_t *t = json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0);
    json_object_del(t, "apiVersion");
    json_object_del(t, "kind");
    json_object_del(t, "status");
    json_object_del(jpath(t, "spec"), "volumeMode");
}

static void test_sts_update_mutable_fields(void **state)
{
    json_t *old = created(RES_STATEFULSETS, STS(""));
    char *t = update_errors(old, edit_mutable);
    assert_string_equal(t, "");
    free(t);
    t = update_errors(old, edit_reapply_claims);
    assert_string_equal(t, "");
    free(t);
    json_decref(old);
}

static void test_sts_update_immutable_fields(void **state)
{
    json_t *old = created(RES_STATEFULSETS, STS(""));
    void (*edits[])(json_t *) = {edit_service_name, edit_pod_management, edit_selector,
                                 edit_claim_access};
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char *t = update_errors(old, edits[i]);
        assert_string_equal(t, STS_FORBIDDEN);
        free(t);
    }
    json_decref(old);
}

/* berth §7 item 2: raising a claim template's storage is allowed; lowering it, or changing
 * anything else along with it, stays forbidden with the upstream message. */
static void test_sts_update_claim_storage(void **state)
{
    json_t *old = created(RES_STATEFULSETS, STS(""));
    char *t = update_errors(old, edit_storage_up);
    assert_string_equal(t, "");
    free(t);
    t = update_errors(old, edit_storage_down);
    assert_string_equal(t, STS_FORBIDDEN);
    free(t);
    t = update_errors(old, edit_storage_up_and_class);
    assert_string_equal(t, STS_FORBIDDEN);
    free(t);
    json_decref(old);
}

static void edit_name(json_t *n)
{
    jset_str(json_object_get(n, "metadata"), "name", "web2");
}

static void test_sts_update_meta_immutable(void **state)
{
    json_t *old = created(RES_STATEFULSETS, STS(""));
    char *t = update_errors(old, edit_name);
    assert_string_equal(t, "metadata.name: Invalid value: \"web2\": field is immutable");
    free(t);
    json_decref(old);
}

/* --- status --- */

static void test_sts_status(void **state)
{
    const struct res_strategy *s = res_strategy(RES_STATEFULSETS);
    json_t *old = created(RES_STATEFULSETS, STS(""));
    json_t *n = json_deep_copy(old);
    struct ferrs e = FERRS_INIT;

    json_object_set_new(n, "status",
                        json_pack("{s:i,s:i,s:i,s:i,s:i}", "replicas", 2, "readyReplicas", 3,
                                  "currentReplicas", -1, "updatedReplicas", 1,
                                  "availableReplicas", 2));
    s->validate_status(n, old, &e);
    assert_errs(&e,
                "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0\n"
                "status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas");
    ferrs_release(&e);

    json_object_set_new(json_object_get(old, "status"), "collisionCount", json_integer(2));
    json_object_set_new(n, "status",
                        json_pack("{s:i,s:i,s:i,s:i}", "replicas", 2, "readyReplicas", 1,
                                  "availableReplicas", 2, "collisionCount", 1));
    s->validate_status(n, old, &e);
    assert_errs(&e, "status.availableReplicas: Invalid value: 2: cannot be greater than "
                    "status.readyReplicas\n"
                    "status.collisionCount: Invalid value: 1: cannot be decremented");
    ferrs_release(&e);
    json_decref(n);
    json_decref(old);
}

/* --- through the decoder, as the server runs it --- */

/* The walkthrough's StatefulSet as a user writes it. */
#define WALKTHROUGH_STS                                                                            \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":"                \
    "\"statefulset-demo\",\"namespace\":\"sts\"},\"spec\":{\"serviceName\":\"myapp-svc\","         \
    "\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"myapp-pod\"}},\"template\":{"         \
    "\"metadata\":{\"labels\":{\"app\":\"myapp-pod\"}},\"spec\":{\"containers\":[{\"name\":"       \
    "\"myapp\",\"image\":\"ikubernetes/myapp:v1\",\"ports\":[{\"containerPort\":80,\"name\":"      \
    "\"web\"}],\"volumeMounts\":[{\"name\":\"myappdata\",\"mountPath\":"                          \
    "\"/usr/share/nginx/html\"}]}]}},\"volumeClaimTemplates\":[{\"metadata\":{\"name\":"           \
    "\"myappdata\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{"   \
    "\"storage\":\"2Gi\"}}}}]}}"

static json_t *decoded(const char *text)
{
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *obj = tj(text);
    assert_int_equal(schema_decode(sch_type_find(resource_get(RES_STATEFULSETS)->schema), obj,
                                   &rep, &err),
                     0);
    assert_int_equal(rep.nunknown, 0);
    decode_report_release(&rep);
    strbuf_release(&err);
    return obj;
}

static void test_sts_decoded_walkthrough(void **state)
{
    struct ferrs e = FERRS_INIT;
    json_t *sts = decoded(WALKTHROUGH_STS);

    run_create(RES_STATEFULSETS, sts, &e);
    assert_errs(&e, "");
    /* what `kubectl get sts -o json` shows before the controller's first status write (the
     * server adds uid, resourceVersion, generation and the creation time) */
    assert_json_eq(
        sts,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"creationTimestamp\":"
        "null,\"name\":\"statefulset-demo\",\"namespace\":\"sts\"},\"spec\":{"
        "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\",\"whenScaled\":"
        "\"Retain\"},\"podManagementPolicy\":\"OrderedReady\",\"replicas\":2,"
        "\"revisionHistoryLimit\":10,\"selector\":{\"matchLabels\":{\"app\":\"myapp-pod\"}},"
        "\"serviceName\":\"myapp-svc\",\"template\":{\"metadata\":{\"creationTimestamp\":null,"
        "\"labels\":{\"app\":\"myapp-pod\"}},\"spec\":{\"containers\":[{\"image\":"
        "\"ikubernetes/myapp:v1\",\"imagePullPolicy\":\"IfNotPresent\",\"name\":\"myapp\","
        "\"ports\":[{\"containerPort\":80,\"name\":\"web\",\"protocol\":\"TCP\"}],\"resources\":{},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":"
        "\"File\",\"volumeMounts\":[{\"mountPath\":\"/usr/share/nginx/html\",\"name\":"
        "\"myappdata\"}]}],\"dnsPolicy\":\"ClusterFirst\",\"restartPolicy\":\"Always\","
        "\"schedulerName\":\"default-scheduler\",\"securityContext\":{},"
        "\"terminationGracePeriodSeconds\":30}},\"updateStrategy\":{\"rollingUpdate\":{"
        "\"partition\":0},\"type\":\"RollingUpdate\"},\"volumeClaimTemplates\":[{\"apiVersion\":"
        "\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"creationTimestamp\":null,"
        "\"name\":\"myappdata\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{"
        "\"requests\":{\"storage\":\"2Gi\"}},\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":"
        "\"Pending\"}}]},\"status\":{\"availableReplicas\":0,\"replicas\":0}}");
    json_decref(sts);
}

/* kubectl apply (§9.1) re-sends the whole claim template list without the server's defaults,
 * and a new image: after decoding and defaulting that is an allowed update. */
static void test_sts_decoded_reapply(void **state)
{
    struct ferrs e = FERRS_INIT;
    json_t *old = decoded(WALKTHROUGH_STS), *n;

    run_create(RES_STATEFULSETS, old, &e);
    assert_errs(&e, "");
    jset_str(json_object_get(old, "metadata"), "uid", "8c2f0d9e-1111-2222-3333-444455556666");
    jset_str(json_object_get(old, "metadata"), "creationTimestamp", "2026-11-25T07:08:37Z");
    n = decoded(WALKTHROUGH_STS);
    jset_str(json_array_get(jpath(n, "spec.template.spec.containers"), 0), "image",
             "ikubernetes/myapp:v2");
    run_update(RES_STATEFULSETS, n, old, &e);
    assert_errs(&e, "");
    assert_string_equal(jpath_str(n, "metadata.creationTimestamp"), "2026-11-25T07:08:37Z");
    json_decref(n);

    /* the same with a bigger claim (berth) and then a different access mode (forbidden) */
    n = decoded(WALKTHROUGH_STS);
    jset_str(jpath(json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0),
                   "spec.resources.requests"),
             "storage", "5Gi");
    run_update(RES_STATEFULSETS, n, old, &e);
    assert_errs(&e, "");
    json_decref(n);
    n = decoded(WALKTHROUGH_STS);
    json_object_set_new(jpath(json_array_get(jpath(n, "spec.volumeClaimTemplates"), 0), "spec"),
                        "accessModes", json_pack("[s]", "ReadOnlyMany"));
    run_update(RES_STATEFULSETS, n, old, &e);
    assert_errs(&e, STS_FORBIDDEN);
    ferrs_release(&e);
    json_decref(n);
    json_decref(old);
}

/* --- ControllerRevision --- */

#define CR "{\"metadata\":{\"name\":\"web-7b5d8c4f9\",\"namespace\":\"default\"},"

static void test_cr_validate(void **state)
{
    assert_create_errors(RES_CONTROLLERREVISIONS, CR "\"data\":{\"spec\":{}},\"revision\":1}", "");
    assert_create_errors(RES_CONTROLLERREVISIONS, CR "\"revision\":-1}",
                         "data: Required value: data is mandatory\n"
                         "revision: Invalid value: -1: must be greater than or equal to 0");
    /* the decoder writes an absent data as null */
    assert_create_errors(RES_CONTROLLERREVISIONS, CR "\"data\":null,\"revision\":1}",
                         "data: Required value: data is mandatory");
}

static void test_cr_data_immutable(void **state)
{
    json_t *old = created(RES_CONTROLLERREVISIONS, CR "\"data\":{\"a\":1},\"revision\":1}");
    json_t *n = json_deep_copy(old);
    struct ferrs e = FERRS_INIT;

    /* the controller renumbers a revision on rollback: allowed */
    jset_int(n, "revision", 3);
    run_update(RES_CONTROLLERREVISIONS, n, old, &e);
    assert_errs(&e, "");
    json_object_set_new(n, "data", json_pack("{s:i}", "a", 2));
    run_update(RES_CONTROLLERREVISIONS, n, old, &e);
    assert_errs(&e, "data: Invalid value: {\"a\":2}: field is immutable");
    ferrs_release(&e);
    json_decref(n);
    json_decref(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sts_defaults_minimal),
        cmocka_unit_test(test_sts_defaults_idempotent),
        cmocka_unit_test(test_sts_defaults_explicit_strategy),
        cmocka_unit_test(test_sts_defaults_keep_values),
        cmocka_unit_test(test_sts_defaults_no_max_unavailable),
        cmocka_unit_test(test_sts_prepare_create_resets_status),
        cmocka_unit_test(test_sts_valid),
        cmocka_unit_test(test_sts_partition_negative),
        cmocka_unit_test(test_sts_selector_missing),
        cmocka_unit_test(test_sts_selector_empty),
        cmocka_unit_test(test_sts_selector_mismatch),
        cmocka_unit_test(test_sts_selector_expressions),
        cmocka_unit_test(test_sts_enums),
        cmocka_unit_test(test_sts_ondelete_forbids_rolling_update),
        cmocka_unit_test(test_sts_max_unavailable),
        cmocka_unit_test(test_sts_counts_nonnegative),
        cmocka_unit_test(test_sts_template_restart_policy_and_deadline),
        cmocka_unit_test(test_sts_service_name_label),
        cmocka_unit_test(test_sts_claim_templates_validated),
        cmocka_unit_test(test_sts_long_name),
        cmocka_unit_test(test_sts_update_mutable_fields),
        cmocka_unit_test(test_sts_update_immutable_fields),
        cmocka_unit_test(test_sts_update_claim_storage),
        cmocka_unit_test(test_sts_update_meta_immutable),
        cmocka_unit_test(test_sts_status),
        cmocka_unit_test(test_sts_decoded_walkthrough),
        cmocka_unit_test(test_sts_decoded_reapply),
        cmocka_unit_test(test_cr_validate),
        cmocka_unit_test(test_cr_data_immutable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
