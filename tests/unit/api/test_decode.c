#include "test.h"

#include <errno.h>

#include "api/decode.h"
#include "base/alloc.h"
#include "base/quantity.h"

/* Decode text as type name; on success compare the compact serialisation (key order matters)
 * with want; on failure compare the error text with want_err. */
static void check(const char *type, const char *text, const char *want, const char *want_err)
{
    const struct sch_type *t = sch_type_find(type);
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *v = tj(text);

    assert_non_null(t);
    int rc = schema_decode(t, v, &rep, &err);
    if (want_err) {
        if (rc != -EINVAL)
            fail_msg("decoding %s succeeded, wanted error: %s", text, want_err);
        assert_string_equal(err.buf, want_err);
    } else {
        if (rc)
            fail_msg("decoding %s failed: %s", text, err.buf);
        char *got = json_dump_compact(v);
        if (strcmp(got, want))
            fail_msg("decoded differently:\n  got:  %s\n  want: %s", got, want);
        free(got);
    }
    json_decref(v);
    strbuf_release(&err);
    decode_report_release(&rep);
}

#define STS "io.k8s.api.apps.v1.StatefulSet"

/* What an upstream server stores for the smallest StatefulSet: every value struct present,
 * non-omitempty fields at their zero, creationTimestamp null, maps sorted, fields in Go order. */
static void test_statefulset_round_trip(void **state)
{
    check(
        STS,
        "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"web\","
        "\"labels\":{\"z\":\"1\",\"a\":\"2\"}},\"spec\":{\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"c\"}]}},"
        "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"serviceName\":\"web\",\"replicas\":"
        "0,\"minReadySeconds\":0,\"podManagementPolicy\":\"\",\"volumeClaimTemplates\":[]}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\","
        "\"creationTimestamp\":null,\"labels\":{\"a\":\"2\",\"z\":\"1\"}},\"spec\":{\"replicas\":0,"
        "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":"
        "{\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
        "[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{}}]}},\"serviceName\":\"web\","
        "\"updateStrategy\":{}},\"status\":{\"replicas\":0,\"availableReplicas\":0}}",
        NULL);
}

/* An empty body still gets every value struct and every non-omitempty field at its zero.
 * (Go also writes the pod template's "containers": null; that is core.sch's PodSpec flags.) */
static void test_statefulset_empty(void **state)
{
    check(STS, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[]}}}}",
          "{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"template\":{\"metadata\":"
          "{\"creationTimestamp\":null},\"spec\":{\"containers\":[]}},\"serviceName\":\"\","
          "\"updateStrategy\":{}},\"status\":{\"replicas\":0,\"availableReplicas\":0}}",
          NULL);
}

/* null is a no-op for Go: the field keeps its zero value, and omitempty applies. */
static void test_nulls(void **state)
{
    check(STS,
          "{\"metadata\":null,\"spec\":{\"replicas\":null,\"template\":{\"metadata\":null,"
          "\"spec\":{\"containers\":[]}},\"serviceName\":null,"
          "\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0,\"maxUnavailable\":null}}},"
          "\"status\":{\"conditions\":[{\"type\":\"X\",\"status\":\"True\",\"lastTransitionTime\":"
          "null},null],\"collisionCount\":0}}",
          "{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"template\":{\"metadata\":"
          "{\"creationTimestamp\":null},\"spec\":{\"containers\":[]}},\"serviceName\":\"\","
          "\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0}}},\"status\":{\"replicas\":0,"
          "\"collisionCount\":0,\"conditions\":[{\"type\":\"X\",\"status\":\"True\","
          "\"lastTransitionTime\":null},{\"type\":\"\",\"status\":\"\",\"lastTransitionTime\":"
          "null}],\"availableReplicas\":0}}",
          NULL);
}

/* keepzero marks pointer scalars: a present "" or 0 is a value (storageClassName "" asks for
 * no class), an absent one must stay absent (the default class applies). */
static void test_pointer_fields(void **state)
{
    check("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "{\"storageClassName\":\"\"}",
          "{\"resources\":{},\"storageClassName\":\"\"}", NULL);
    check("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "{\"storageClassName\":null}",
          "{\"resources\":{}}", NULL);
    check("io.k8s.api.core.v1.SecretVolumeSource", "{\"secretName\":\"s\"}",
          "{\"secretName\":\"s\"}", NULL);
    check(STS, "{\"spec\":{\"updateStrategy\":null,\"template\":{\"spec\":{\"containers\":[]}}}}",
          "{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"template\":{\"metadata\":"
          "{\"creationTimestamp\":null},\"spec\":{\"containers\":[]}},\"serviceName\":\"\","
          "\"updateStrategy\":{}},\"status\":{\"replicas\":0,\"availableReplicas\":0}}",
          NULL);
}

static void test_unknown_fields(void **state)
{
    const struct sch_type *t = sch_type_find(STS);
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *v = tj("{\"bogus\":1,\"spec\":{\"Replicas\":2,\"template\":{\"spec\":{\"containers\":"
                   "[{\"name\":\"a\"},{\"name\":\"b\",\"bogus\":\"Always\"}]}},\"foo\":"
                   "{\"x\":1}},\"metadata\":{\"labels\":{\"free\":\"form\"},\"a\\\"b\":1}}");

    assert_int_equal(schema_decode(t, v, &rep, &err), 0);
    assert_int_equal(rep.nunknown, 5);
    assert_string_equal(rep.unknown.buf,
                        "unknown field \"bogus\"\n"
                        "unknown field \"spec.Replicas\"\n"
                        "unknown field \"spec.template.spec.containers[1].bogus\"\n"
                        "unknown field \"spec.foo\"\n"
                        "unknown field \"metadata.a\\\"b\"");
    /* removed from the result */
    assert_null(json_object_get(v, "bogus"));
    assert_null(jpath(v, "spec.foo"));
    assert_null(jpath(v, "spec.Replicas"));
    assert_string_equal(jpath_str(v, "metadata.labels.free"), "form");
    json_decref(v);
    strbuf_release(&err);
    decode_report_release(&rep);
}

static void test_unknown_fields_capped(void **state)
{
    const struct sch_type *t = sch_type_find("io.k8s.api.apps.v1.StatefulSetSpec");
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *v = json_object();
    for (int i = 0; i < 150; i++) {
        char k[16];
        snprintf(k, sizeof(k), "f%d", i);
        json_object_set_new(v, k, json_true());
    }
    assert_int_equal(schema_decode(t, v, &rep, &err), 0);
    assert_int_equal(rep.nunknown, 100);
    json_decref(v);
    decode_report_release(&rep);
}

static void test_type_errors(void **state)
{
    check(STS, "{\"spec\":{\"replicas\":\"3\"}}", NULL,
          "json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of "
          "type int32");
    check(STS, "{\"spec\":{\"replicas\":3.0}}", NULL,
          "json: cannot unmarshal number 3.0 into Go struct field StatefulSetSpec.spec.replicas "
          "of type int32");
    check(STS, "{\"spec\":{\"replicas\":3000000000}}", NULL,
          "json: cannot unmarshal number 3000000000 into Go struct field "
          "StatefulSetSpec.spec.replicas of type int32");
    check(STS, "{\"spec\":{\"replicas\":true}}", NULL,
          "json: cannot unmarshal bool into Go struct field StatefulSetSpec.spec.replicas of "
          "type int32");
    check(STS, "{\"spec\":\"x\"}", NULL,
          "json: cannot unmarshal string into Go struct field StatefulSet.spec of type "
          "v1.StatefulSetSpec");
    check(STS, "{\"metadata\":{\"labels\":{\"a\":1}}}", NULL,
          "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
          "string");
    check(STS, "{\"metadata\":{\"labels\":[]}}", NULL,
          "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
          "map[string]string");
    check(STS, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{},{\"name\":7}]}}}}", NULL,
          "json: cannot unmarshal number into Go struct field "
          "Container.spec.template.spec.containers.name of type string");
    check(STS, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[\"c\"]}}}}", NULL,
          "json: cannot unmarshal string into Go struct field "
          "PodSpec.spec.template.spec.containers of type v1.Container");
    check(STS, "{\"spec\":{\"volumeClaimTemplates\":{}}}", NULL,
          "json: cannot unmarshal object into Go struct field "
          "StatefulSetSpec.spec.volumeClaimTemplates of type []v1.PersistentVolumeClaim");
    check(STS, "{\"apiVersion\":5}", NULL,
          "json: cannot unmarshal number into Go struct field StatefulSet.TypeMeta.apiVersion of "
          "type string");
    check(STS, "[]", NULL, "json: cannot unmarshal array into Go value of type v1.StatefulSet");
    check("io.k8s.api.apps.v1.ControllerRevision", "{\"revision\":1.5}", NULL,
          "json: cannot unmarshal number 1.5 into Go struct field ControllerRevision.revision of "
          "type int64");
}

/* Type errors are saved and the first one (in document order) is reported; errors from a
 * custom unmarshaler (IntOrString, Quantity, Time) abort and win. */
static void test_error_precedence(void **state)
{
    check(STS, "{\"spec\":{\"serviceName\":1,\"replicas\":\"x\"}}", NULL,
          "json: cannot unmarshal number into Go struct field StatefulSetSpec.spec.serviceName "
          "of type string");
    check(STS,
          "{\"spec\":{\"replicas\":\"x\",\"updateStrategy\":{\"rollingUpdate\":"
          "{\"maxUnavailable\":true}}}}",
          NULL,
          "json: cannot unmarshal bool into Go struct field "
          "RollingUpdateStatefulSetStrategy.spec.updateStrategy.rollingUpdate.maxUnavailable of "
          "type int32");
    check(STS, "{\"metadata\":{\"name\":5,\"creationTimestamp\":\"nope\"}}", NULL,
          "parsing time \"nope\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"nope\" as "
          "\"2006\"");
}

static void test_intstr(void **state)
{
    check("io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy",
          "{\"maxUnavailable\":\"50%\",\"partition\":2}",
          "{\"partition\":2,\"maxUnavailable\":\"50%\"}", NULL);
    check("io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy", "{\"maxUnavailable\":0}",
          "{\"maxUnavailable\":0}", NULL);
    check("io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy", "{\"maxUnavailable\":1.5}", NULL,
          "json: cannot unmarshal number 1.5 into Go struct field "
          "RollingUpdateStatefulSetStrategy.maxUnavailable of type int32");
    check("io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy", "{\"maxUnavailable\":{\"a\":1}}",
          NULL,
          "json: cannot unmarshal object into Go struct field "
          "RollingUpdateStatefulSetStrategy.maxUnavailable of type int32");
}

static void test_quantity(void **state)
{
    check("io.k8s.api.core.v1.ResourceRequirements",
          "{\"requests\":{\"memory\":\"1024Mi\",\"cpu\":0.5},\"limits\":{\"cpu\":\" 2 \","
          "\"storage\":1}}",
          "{\"limits\":{\"cpu\":\"2\",\"storage\":\"1\"},\"requests\":{\"cpu\":\"500m\","
          "\"memory\":\"1Gi\"}}",
          NULL);
    check("io.k8s.api.core.v1.ResourceRequirements", "{\"limits\":{\"cpu\":\"abc\"}}", NULL,
          QUANTITY_REGEX_MSG);
    check("io.k8s.api.core.v1.ResourceRequirements", "{\"limits\":{\"cpu\":true}}", NULL,
          QUANTITY_REGEX_MSG);
    check("io.k8s.api.core.v1.ResourceRequirements", "{\"limits\":{\"cpu\":{}}}", NULL,
          QUANTITY_REGEX_MSG);
    check("io.k8s.api.core.v1.ResourceRequirements", "{\"limits\":{\"cpu\":\"\"}}", NULL,
          QUANTITY_REGEX_MSG);
    /* a null quantity in a map is Go's zero Quantity */
    check("io.k8s.api.core.v1.ResourceRequirements", "{\"limits\":{\"cpu\":null}}",
          "{\"limits\":{\"cpu\":\"0\"}}", NULL);
}

#define META "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

static void check_time(const char *in, const char *want, const char *want_err)
{
    char text[256], out[256];
    snprintf(text, sizeof(text), "{\"creationTimestamp\":\"%s\"}", in);
    snprintf(out, sizeof(out), "{\"creationTimestamp\":\"%s\"}", want ? want : "");
    check(META, text, want ? out : NULL, want_err);
}

static void test_time(void **state)
{
    check_time("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", NULL);
    check_time("2024-01-02T03:04:05+01:30", "2024-01-02T01:34:05Z", NULL);
    check_time("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z", NULL);
    check_time("2024-01-02T03:04:05.999999999Z", "2024-01-02T03:04:05Z", NULL);
    check_time("2024-02-29T23:59:59-00:00", "2024-02-29T23:59:59Z", NULL);
    check_time("2024-01-02T3:04:05Z", "2024-01-02T03:04:05Z", NULL);
    check_time("x", NULL,
               "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as "
               "\"2006\"");
    check_time("2024-01-02", NULL,
               "parsing time \"2024-01-02\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" "
               "as \"T\"");
    check_time("2024-01-02 03:04:05Z", NULL,
               "parsing time \"2024-01-02 03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot "
               "parse \" 03:04:05Z\" as \"T\"");
    check_time("2024-01-02T03:04:05", NULL,
               "parsing time \"2024-01-02T03:04:05\" as \"2006-01-02T15:04:05Z07:00\": cannot "
               "parse \"\" as \"Z07:00\"");
    check_time("2024-1-02T03:04:05Z", NULL,
               "parsing time \"2024-1-02T03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": cannot "
               "parse \"1-02T03:04:05Z\" as \"01\"");
    check_time("2024-13-02T03:04:05Z", NULL,
               "parsing time \"2024-13-02T03:04:05Z\": month out of range");
    check_time("2023-02-29T03:04:05Z", NULL,
               "parsing time \"2023-02-29T03:04:05Z\": day out of range");
    check_time("2024-01-02T24:04:05Z", NULL,
               "parsing time \"2024-01-02T24:04:05Z\": hour out of range");
    check_time("2024-01-02T03:04:60Z", NULL,
               "parsing time \"2024-01-02T03:04:60Z\": second out of range");
    check_time("2024-01-02T03:04:05Zjunk", NULL,
               "parsing time \"2024-01-02T03:04:05Zjunk\": extra text: \"junk\"");
    check_time("2024-01-02T03:04:05+0100", NULL,
               "parsing time \"2024-01-02T03:04:05+0100\" as \"2006-01-02T15:04:05Z07:00\": "
               "cannot parse \"+0100\" as \"Z07:00\"");
    check(META, "{\"creationTimestamp\":5}", NULL,
          "json: cannot unmarshal number into Go struct field ObjectMeta.creationTimestamp of "
          "type string");
    /* deletionTimestamp is a pointer: null drops it; creationTimestamp is a value: null stays */
    check(META, "{\"deletionTimestamp\":null,\"creationTimestamp\":null}",
          "{\"creationTimestamp\":null}", NULL);
}

#define LEASE "io.k8s.api.coordination.v1.LeaseSpec"

static void test_microtime(void **state)
{
    check(LEASE, "{\"renewTime\":\"2024-01-02T03:04:05.123456Z\"}",
          "{\"renewTime\":\"2024-01-02T03:04:05.123456Z\"}", NULL);
    check(LEASE, "{\"renewTime\":\"2024-01-02T03:04:05.000001-02:00\"}",
          "{\"renewTime\":\"2024-01-02T05:04:05.000001Z\"}", NULL);
    check(LEASE, "{\"renewTime\":\"2024-01-02T03:04:05Z\"}", NULL,
          "parsing time \"2024-01-02T03:04:05Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot "
          "parse \"Z\" as \".000000\"");
    check(LEASE, "{\"renewTime\":\"2024-01-02T03:04:05.1234567Z\"}", NULL,
          "parsing time \"2024-01-02T03:04:05.1234567Z\" as "
          "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"7Z\" as \"Z07:00\"");
    check(LEASE, "{\"holderIdentity\":\"\",\"leaseTransitions\":0,\"leaseDurationSeconds\":15}",
          "{\"holderIdentity\":\"\",\"leaseDurationSeconds\":15,\"leaseTransitions\":0}", NULL);
}

/* omitempty drops zero scalars and empty lists/maps, pointers keep a present zero, keepzero
 * fields appear even when absent. */
static void test_omitempty(void **state)
{
    check("io.k8s.api.storage.v1.StorageClass",
          "{\"allowVolumeExpansion\":false,\"parameters\":{},\"mountOptions\":[],"
          "\"reclaimPolicy\":\"Retain\",\"metadata\":{\"name\":\"local\",\"namespace\":\"\"}}",
          "{\"metadata\":{\"name\":\"local\",\"creationTimestamp\":null},\"provisioner\":\"\","
          "\"reclaimPolicy\":\"Retain\",\"allowVolumeExpansion\":false}",
          NULL);
    check("io.k8s.api.apps.v1.ControllerRevision",
          "{\"data\":{\"spec\":{\"template\":{\"$patch\":\"replace\",\"b\":1,\"a\":[1,null]}}}}",
          "{\"metadata\":{\"creationTimestamp\":null},\"data\":{\"spec\":{\"template\":"
          "{\"$patch\":\"replace\",\"b\":1,\"a\":[1,null]}}},\"revision\":0}",
          NULL);
    check("io.k8s.api.apps.v1.ControllerRevision", "{\"revision\":3}",
          "{\"metadata\":{\"creationTimestamp\":null},\"data\":null,\"revision\":3}", NULL);
    check("io.k8s.api.discovery.v1.EndpointSlice",
          "{\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],"
          "\"hostname\":\"\"},{}]}",
          "{\"metadata\":{\"creationTimestamp\":null},\"addressType\":\"IPv4\",\"endpoints\":"
          "[{\"addresses\":[\"10.0.0.1\"],\"conditions\":{},\"hostname\":\"\"},{\"addresses\":"
          "null,\"conditions\":{}}],\"ports\":null}",
          NULL);
    check("io.k8s.api.discovery.v1.EndpointSlice", "{\"endpoints\":[],\"ports\":[]}",
          "{\"metadata\":{\"creationTimestamp\":null},\"addressType\":\"\",\"endpoints\":[],"
          "\"ports\":[]}",
          NULL);
    check("io.k8s.api.autoscaling.v1.Scale", "{\"spec\":{\"replicas\":0}}",
          "{\"metadata\":{\"creationTimestamp\":null},\"spec\":{},\"status\":{\"replicas\":0}}",
          NULL);
}

/* --- a hand-made schema for the kinds the served types do not exercise --- */

static const struct sch_ref r_str = {SCH_STRING, NULL, NULL};
static const struct sch_ref r_int = {SCH_INT32, NULL, NULL};
static const struct sch_ref r_dbl = {SCH_DOUBLE, NULL, NULL};
static const struct sch_ref r_bytes = {SCH_BYTES, NULL, NULL};
static const struct sch_ref r_any = {SCH_ANY, NULL, NULL};
static const struct sch_ref r_bytes_map = {SCH_MAP, NULL, &r_bytes};
static const struct sch_ref r_str_arr = {SCH_ARRAY, NULL, &r_str};
static const struct sch_ref r_str_arr_arr = {SCH_ARRAY, NULL, &r_str_arr};

static const struct sch_field inner_fields[] = {
    {"x", &r_int, 0, NULL, NULL, NULL, NULL, "x"},
    {"list", &r_str_arr, 0, NULL, NULL, NULL, NULL, "list"},
};
static const struct sch_type inner_type = {"test.v1.Inner", "v1.Inner", "inner", inner_fields, 2};
static const struct sch_ref r_inner = {SCH_STRUCT, &inner_type, NULL};
static const struct sch_ref r_inner_map = {SCH_MAP, NULL, &r_inner};
static const struct sch_ref r_inner_arr = {SCH_ARRAY, NULL, &r_inner};

static const struct sch_field outer_fields[] = {
    {"data", &r_bytes, 0, NULL, NULL, NULL, NULL, "bytes"},
    {"blobs", &r_bytes_map, 0, NULL, NULL, NULL, NULL, "map of bytes"},
    {"ratio", &r_dbl, 0, NULL, NULL, NULL, NULL, "double"},
    {"maybe", &r_str, SCH_F_NULLABLE, NULL, NULL, NULL, NULL, "nullable"},
    {"free", &r_any, 0, NULL, NULL, NULL, NULL, "any"},
    {"byname", &r_inner_map, 0, NULL, NULL, NULL, NULL, "map of structs"},
    {"items", &r_inner_arr, 0, NULL, NULL, NULL, NULL, "list of structs"},
    {"grid", &r_str_arr_arr, 0, NULL, NULL, NULL, NULL, "list of lists"},
};
static const struct sch_type outer_type = {"test.v1.Outer", "v1.Outer", "outer", outer_fields, 8};

static int decode_outer(const char *text, json_t **out, struct decode_report *rep,
                        struct strbuf *err)
{
    *out = tj(text);
    return schema_decode(&outer_type, *out, rep, err);
}

static void test_handmade(void **state)
{
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *v;

    assert_int_equal(decode_outer("{\"grid\":[[\"a\"],null,[]],\"maybe\":null,\"ratio\":2.0,"
                                  "\"data\":\"aGVs\\nbG8=\",\"blobs\":{\"b\":\"\",\"a\":\"eA==\"},"
                                  "\"free\":{\"z\":1,\"a\":{\"unknown\":true}},"
                                  "\"byname\":{\"k\":{\"x\":1,\"bad\":2},\"j\":null},"
                                  "\"items\":[{\"list\":[]},{\"x\":0,\"nope\":[1]}]}",
                                  &v, &rep, &err),
                     0);
    char *got = json_dump_compact(v);
    assert_string_equal(got, "{\"data\":\"aGVsbG8=\",\"blobs\":{\"a\":\"eA==\",\"b\":\"\"},"
                             "\"ratio\":2,\"maybe\":null,\"free\":{\"z\":1,\"a\":{\"unknown\":"
                             "true}},\"byname\":{\"j\":{},\"k\":{\"x\":1}},\"items\":[{},{}],"
                             "\"grid\":[[\"a\"],null,[]]}");
    free(got);
    assert_string_equal(rep.unknown.buf, "unknown field \"byname.k.bad\"\n"
                                         "unknown field \"items[1].nope\"");
    json_decref(v);
    decode_report_release(&rep);

    /* a pointer without omitempty (nullable) is written as null when unset */
    assert_int_equal(decode_outer("{}", &v, &rep, &err), 0);
    got = json_dump_compact(v);
    assert_string_equal(got, "{\"maybe\":null}");
    free(got);
    json_decref(v);

    assert_int_equal(decode_outer("{\"data\":\"aGVsbG8\"}", &v, &rep, &err), -EINVAL);
    assert_string_equal(err.buf, "illegal base64 data at input byte 4");
    json_decref(v);
    strbuf_reset(&err);
    assert_int_equal(decode_outer("{\"data\":\"a$==\"}", &v, &rep, &err), -EINVAL);
    assert_string_equal(err.buf, "illegal base64 data at input byte 1");
    json_decref(v);
    strbuf_reset(&err);
    assert_int_equal(decode_outer("{\"data\":12}", &v, &rep, &err), -EINVAL);
    assert_string_equal(err.buf,
                        "json: cannot unmarshal number into Go struct field Outer.data of type "
                        "[]uint8");
    json_decref(v);
    strbuf_reset(&err);
    assert_int_equal(decode_outer("{\"ratio\":\"1\"}", &v, &rep, &err), -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal string into Go struct field Outer.ratio "
                                 "of type float64");
    json_decref(v);
    strbuf_reset(&err);
    /* map keys are not part of Go's error context; the innermost struct names the field */
    assert_int_equal(decode_outer("{\"byname\":{\"k\":{\"list\":[\"a\",1]}}}", &v, &rep, &err),
                     -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal number into Go struct field "
                                 "Inner.byname.list of type string");
    json_decref(v);
    strbuf_reset(&err);
    assert_int_equal(decode_outer("{\"grid\":[[1]]}", &v, &rep, &err), -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal number into Go struct field Outer.grid "
                                 "of type string");
    json_decref(v);
    strbuf_release(&err);
    decode_report_release(&rep);
}

/* A NULL report and a NULL error buffer are allowed. */
static void test_null_outputs(void **state)
{
    json_t *v = tj("{\"spec\":{\"replicas\":\"x\"},\"zzz\":1}");
    assert_int_equal(schema_decode(sch_type_find(STS), v, NULL, NULL), -EINVAL);
    json_decref(v);
    v = tj("{\"zzz\":1}");
    assert_int_equal(schema_decode(sch_type_find(STS), v, NULL, NULL), 0);
    assert_null(json_object_get(v, "zzz"));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statefulset_round_trip),
        cmocka_unit_test(test_statefulset_empty),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_pointer_fields),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_unknown_fields_capped),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_error_precedence),
        cmocka_unit_test(test_intstr),
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_microtime),
        cmocka_unit_test(test_omitempty),
        cmocka_unit_test(test_handmade),
        cmocka_unit_test(test_null_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
