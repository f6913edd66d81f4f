/* validate_meta (ValidateObjectMeta / ValidateObjectMetaUpdate) and the strategy table. */
#include "test.h"

#include "api/resource.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/strbuf.h"

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

/* validate_meta of `text` (and `old_text` for an update, or NULL) for kind id. */
static char *meta_errors(enum res_id id, const char *text, const char *old_text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text), *old = old_text ? tj(old_text) : NULL;
    char *t;

    if (old && res_strategy(id)->prepare_update)
        res_strategy(id)->prepare_update(obj, old);
    validate_meta(resource_get(id), obj, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(obj);
    json_decref(old);
    return t;
}

#define assert_meta(id, text, old, want)                                                          \
    do {                                                                                           \
        char *t_ = meta_errors(id, text, old);                                                     \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

#define SUBDOMAIN_MSG                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "  \
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static void test_meta_name(void **state)
{
    assert_meta(RES_CONFIGMAPS, "{\"metadata\":{\"namespace\":\"default\"}}", NULL,
                "metadata.name: Required value: name or generateName is required");
    assert_meta(RES_CONFIGMAPS, "{\"metadata\":{\"name\":\"my.config-1\",\"namespace\":\"d\"}}",
                NULL, "");
    assert_meta(RES_CONFIGMAPS, "{\"metadata\":{\"name\":\"My_Config\",\"namespace\":\"d\"}}",
                NULL, "metadata.name: Invalid value: \"My_Config\": " SUBDOMAIN_MSG);
}

static void test_meta_generate_name(void **state)
{
    /* a prefix may end in '-' */
    assert_meta(RES_PODS, "{\"metadata\":{\"generateName\":\"web-\",\"name\":\"web-x7k2p\","
                          "\"namespace\":\"d\"}}",
                NULL, "");
    assert_meta(RES_PODS, "{\"metadata\":{\"generateName\":\"Web-\",\"name\":\"web-x7k2p\","
                          "\"namespace\":\"d\"}}",
                NULL, "metadata.generateName: Invalid value: \"Web-\": " SUBDOMAIN_MSG);
}

static void test_meta_namespace(void **state)
{
    assert_meta(RES_PODS, "{\"metadata\":{\"name\":\"p\"}}", NULL,
                "metadata.namespace: Required value");
    assert_meta(RES_PODS, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"Bad_NS\"}}", NULL,
                "metadata.namespace: Invalid value: \"Bad_NS\": a lowercase RFC 1123 label must "
                "consist of lower case alphanumeric characters or '-', and must start and end with "
                "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    assert_meta(RES_PERSISTENTVOLUMES, "{\"metadata\":{\"name\":\"pv\",\"namespace\":\"d\"}}",
                NULL, "metadata.namespace: Forbidden: not allowed on this type");
}

static void test_meta_path_segment_names(void **state)
{
    assert_meta(RES_EVENTS, "{\"metadata\":{\"name\":\"web-0.17f3a\",\"namespace\":\"d\"}}", NULL,
                "");
    /* events use NAME_RULE_SUBDOMAIN in the table; path-segment rules are exercised through a
     * resource copy with that rule */
    struct resource r = *resource_get(RES_EVENTS);
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj("{\"metadata\":{\"name\":\"a/b%\",\"namespace\":\"d\"}}");
    char *t;
    r.name_rule = NAME_RULE_PATH_SEGMENT;
    validate_meta(&r, obj, NULL, &e);
    t = errs_text(&e);
    assert_string_equal(t, "metadata.name: Invalid value: \"a/b%\": may not contain '/'\n"
                           "metadata.name: Invalid value: \"a/b%\": may not contain '%'");
    free(t);
    ferrs_release(&e);
    json_decref(obj);
    obj = tj("{\"metadata\":{\"name\":\"..\",\"namespace\":\"d\"}}");
    validate_meta(&r, obj, NULL, &e);
    t = errs_text(&e);
    assert_string_equal(t, "metadata.name: Invalid value: \"..\": may not be '..'");
    free(t);
    ferrs_release(&e);
    json_decref(obj);
}

static void test_meta_labels(void **state)
{
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"labels\":{"
                "\"app.kubernetes.io/name\":\"web\",\"bad key\":\"x\",\"ok\":\"-bad\"}}}",
                NULL,
                "metadata.labels: Invalid value: \"bad key\": name part must consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n"
                "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string "
                "or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

static void test_meta_annotations(void **state)
{
    /* keys are checked case-insensitively; values are free-form */
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"annotations\":{"
                "\"Example.COM/Key\":\"any value: with spaces\"}}}",
                NULL, "");

    size_t n = 256 * 1024; /* with the 1-byte key: one byte too many */
    char *v = xmalloc(n + 1), *text;
    memset(v, 'x', n);
    v[n] = 0;
    text = xasprintf("{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"annotations\":{\"k\":"
                     "\"%s\"}}}",
                     v);
    assert_meta(RES_CONFIGMAPS, text, NULL,
                "metadata.annotations: Too long: may not be more than 262144 bytes");
    free(text);
    /* exactly at the limit is fine */
    v[n - 1] = 0;
    text = xasprintf("{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"annotations\":{\"k\":"
                     "\"%s\"}}}",
                     v);
    assert_meta(RES_CONFIGMAPS, text, NULL, "");
    free(text);
    free(v);
}

static void test_meta_owner_references(void **state)
{
    assert_meta(RES_PODS,
                "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"d\",\"ownerReferences\":[{"
                "\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\",\"uid\":"
                "\"u1\",\"controller\":true,\"blockOwnerDeletion\":true}]}}",
                NULL, "");
    assert_meta(RES_PODS,
                "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"ownerReferences\":[{"
                "\"apiVersion\":\"apps/\",\"kind\":\"\",\"name\":\"\",\"uid\":\"\"}]}}",
                NULL,
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not "
                "be empty\n"
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty\n"
                "metadata.ownerReferences.name: Invalid value: \"\": must not be empty\n"
                "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty");
    char *t = meta_errors(RES_PODS,
                          "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"ownerReferences\":"
                          "[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"a\","
                          "\"uid\":\"1\",\"controller\":true},{\"apiVersion\":\"apps/v1\","
                          "\"kind\":\"ReplicaSet\",\"name\":\"b\",\"uid\":\"2\",\"controller\":"
                          "true}]}}",
                          NULL);
    assert_non_null(strstr(t, "metadata.ownerReferences: Invalid value: "));
    assert_non_null(strstr(t, ": Only one reference can have Controller set to true. Found "
                              "\"true\" in references for StatefulSet/a and ReplicaSet/b"));
    free(t);
}

static void test_meta_finalizers(void **state)
{
    assert_meta(RES_PERSISTENTVOLUMECLAIMS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"finalizers\":["
                "\"kubernetes.io/pvc-protection\"]}}",
                NULL, "");
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"finalizers\":["
                "\"orphan\",\"foregroundDeletion\",\"a//b\"]}}",
                NULL,
                "metadata.finalizers: Invalid value: \"a//b\": a qualified name must consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
                "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')\n"
                "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\", "
                "\"a//b\"}: finalizer orphan and foregroundDeletion cannot be both set");
}

static void test_meta_generation(void **state)
{
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"generation\":-1}}", NULL,
                "metadata.generation: Invalid value: -1: must be greater than or equal to 0");
}

#define OLD_CM                                                                                     \
    "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"uid\":\"u-1\",\"resourceVersion\":"       \
    "\"5\",\"creationTimestamp\":\"2026-11-25T07:08:37Z\"}}"

/* validate_meta alone, without the prepare_update hook */
static char *meta_errors_raw(enum res_id id, const char *text, const char *old_text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text), *old = tj(old_text);
    char *t;

    validate_meta(resource_get(id), obj, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(obj);
    json_decref(old);
    return t;
}

static void test_meta_update_immutable(void **state)
{
    char *t = meta_errors_raw(RES_CONFIGMAPS,
                              "{\"metadata\":{\"name\":\"c2\",\"namespace\":\"e\",\"uid\":\"u-2\","
                              "\"creationTimestamp\":\"2026-11-26T00:00:00Z\"}}",
                              OLD_CM);
    assert_string_equal(t, "metadata.name: Invalid value: \"c2\": field is immutable\n"
                           "metadata.namespace: Invalid value: \"e\": field is immutable\n"
                           "metadata.uid: Invalid value: \"u-2\": field is immutable\n"
                           "metadata.creationTimestamp: Invalid value: 2026-11-26 00:00:00 +0000 "
                           "UTC: field is immutable");
    free(t);
    /* with the strategy's prepare_update (upstream's BeforeUpdate) the stored creation time
     * wins silently, as it does upstream */
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c2\",\"namespace\":\"e\",\"uid\":\"u-2\","
                "\"creationTimestamp\":\"2026-11-26T00:00:00Z\"}}",
                OLD_CM,
                "metadata.name: Invalid value: \"c2\": field is immutable\n"
                "metadata.namespace: Invalid value: \"e\": field is immutable\n"
                "metadata.uid: Invalid value: \"u-2\": field is immutable");
    /* an update that leaves uid and creationTimestamp out (or null, as the decoder writes an
     * absent time) keeps them (rest.BeforeUpdate) */
    assert_meta(RES_CONFIGMAPS, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"}}", OLD_CM, "");
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"creationTimestamp\":null}}",
                OLD_CM, "");
}

static void test_meta_update_deleting(void **state)
{
    const char *old = "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"deletionTimestamp\":"
                      "\"2026-11-25T08:00:00Z\",\"finalizers\":[\"example.com/a\"]}}";
    assert_meta(RES_CONFIGMAPS,
                "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"finalizers\":["
                "\"example.com/a\",\"example.com/b\"]}}",
                old,
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is "
                "being deleted, found new finalizers []string{\"example.com/b\"}");
    /* removing finalizers is how deletion completes */
    assert_meta(RES_CONFIGMAPS, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"}}", old, "");
}

/* --- the table --- */

static void test_table(void **state)
{
    for (int id = 0; id < RES_COUNT; id++) {
        const struct res_strategy *s = res_strategy(id);
        const struct resource *r = resource_get(id);
        json_t *obj = tj("{\"metadata\":{\"name\":\"x\"}}");
        const char *v;

        assert_non_null(s);
        /* every kind the server serves has validation hooks for create and update */
        if (id != RES_SERVICEACCOUNTS) {
            assert_non_null(s->validate);
            assert_non_null(s->validate_update);
        }
        assert_non_null(s->prepare_update);
        /* every field selector the table advertises is answered */
        for (const char *const *f = r->field_selectors; *f; f++) {
            assert_non_null(s->field_value);
            assert_true(s->field_value(obj, *f, &v));
            assert_non_null(v);
        }
        json_decref(obj);
    }
    assert_non_null(res_strategy(RES_COUNT));
    assert_null(res_strategy(RES_COUNT)->validate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_name),
        cmocka_unit_test(test_meta_generate_name),
        cmocka_unit_test(test_meta_namespace),
        cmocka_unit_test(test_meta_path_segment_names),
        cmocka_unit_test(test_meta_labels),
        cmocka_unit_test(test_meta_annotations),
        cmocka_unit_test(test_meta_owner_references),
        cmocka_unit_test(test_meta_finalizers),
        cmocka_unit_test(test_meta_generation),
        cmocka_unit_test(test_meta_update_immutable),
        cmocka_unit_test(test_meta_update_deleting),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
