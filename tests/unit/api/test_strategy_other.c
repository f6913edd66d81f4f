/* storage.k8s.io StorageClass, coordination.k8s.io Lease, discovery.k8s.io EndpointSlice. */
#include "test.h"

#include "api/resource.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/strbuf.h"

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

static json_t *created(enum res_id id, const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    char *t;
    run_create(id, obj, &e);
    t = errs_text(&e);
    assert_string_equal(t, "");
    free(t);
    ferrs_release(&e);
    return obj;
}

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

/* Update a copy of old with `key` set to JSON `val` (NULL deletes it). */
static char *update_errors(enum res_id id, const json_t *old, const char *key, const char *val)
{
    struct ferrs e = FERRS_INIT;
    json_t *n = json_deep_copy(old);
    char *t;
    if (val)
        json_object_set_new(n, key, tj(val));
    else
        json_object_del(n, key);
    run_update(id, n, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(n);
    return t;
}

#define assert_update(id, old, key, val, want)                                                     \
    do {                                                                                           \
        char *t_ = update_errors(id, old, key, val);                                               \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

/* --- StorageClass --- */

#define SC(extra)                                                                                  \
    "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":{\"name\":"      \
    "\"local-path\"},\"provisioner\":\"berth.io/local-path\"" extra "}"

static void test_storageclass_defaults(void **state)
{
    json_t *sc = created(RES_STORAGECLASSES, SC(""));
    assert_json_eq(sc, SC(",\"reclaimPolicy\":\"Delete\",\"volumeBindingMode\":\"Immediate\""));
    json_decref(sc);
    sc =
        created(RES_STORAGECLASSES,
                SC(",\"reclaimPolicy\":\"Retain\",\"volumeBindingMode\":\"WaitForFirstConsumer\""));
    assert_string_equal(jget_str(sc, "reclaimPolicy"), "Retain");
    assert_string_equal(jget_str(sc, "volumeBindingMode"), "WaitForFirstConsumer");
    json_decref(sc);
}

static void test_storageclass_validation(void **state)
{
    assert_create_errors(RES_STORAGECLASSES,
                         "{\"metadata\":{\"name\":\"s\"},\"reclaimPolicy\":\"Recycle\","
                         "\"volumeBindingMode\":\"Later\"}",
                         "provisioner: Required value\n"
                         "reclaimPolicy: Unsupported value: \"Recycle\": supported values: "
                         "\"Delete\", \"Retain\"\n"
                         "volumeBindingMode: Unsupported value: \"Later\": supported values: "
                         "\"Immediate\", \"WaitForFirstConsumer\"");
    /* provisioner names are qualified names, compared case-insensitively */
    assert_create_errors(RES_STORAGECLASSES,
                         "{\"metadata\":{\"name\":\"s\"},\"provisioner\":\"Example.COM/Disk\"}",
                         "");
    assert_create_errors(
        RES_STORAGECLASSES, "{\"metadata\":{\"name\":\"s\"},\"provisioner\":\"bad provisioner\"}",
        "provisioner: Invalid value: \"bad provisioner\": name part must consist "
        "of alphanumeric characters, '-', '_' or '.', and must start and end with "
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
        "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
}

static void test_storageclass_update(void **state)
{
    json_t *old = created(RES_STORAGECLASSES, SC(",\"parameters\":{\"path\":\"/var/lib\"}"));
    assert_update(RES_STORAGECLASSES, old, "parameters", "{\"path\":\"/other\"}",
                  "parameters: Forbidden: updates to parameters are forbidden.");
    assert_update(RES_STORAGECLASSES, old, "provisioner", "\"example.com/other\"",
                  "provisioner: Forbidden: updates to provisioner are forbidden.");
    assert_update(RES_STORAGECLASSES, old, "reclaimPolicy", "\"Retain\"",
                  "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.");
    assert_update(RES_STORAGECLASSES, old, "volumeBindingMode", "\"WaitForFirstConsumer\"",
                  "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable");
    /* allowVolumeExpansion and mount options may change */
    assert_update(RES_STORAGECLASSES, old, "allowVolumeExpansion", "true", "");
    json_decref(old);
}

/* --- Lease --- */

static void test_lease(void **state)
{
    assert_create_errors(RES_LEASES,
                         "{\"metadata\":{\"name\":\"node-1\",\"namespace\":\"kube-node-lease\"},"
                         "\"spec\":{\"holderIdentity\":\"node-1\",\"leaseDurationSeconds\":40,"
                         "\"renewTime\":\"2026-11-25T07:08:37.123456Z\"}}",
                         "");
    assert_create_errors(RES_LEASES,
                         "{\"metadata\":{\"name\":\"l\",\"namespace\":\"d\"},\"spec\":{"
                         "\"leaseDurationSeconds\":0,\"leaseTransitions\":-1}}",
                         "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0\n"
                         "spec.leaseTransitions: Invalid value: -1: must be greater than or equal "
                         "to 0");
}

/* --- EndpointSlice --- */

#define EPS(extra)                                                                                 \
    "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":"   \
    "\"web-abcde\",\"namespace\":\"default\"}" extra "}"

static void test_endpointslice_defaults(void **state)
{
    json_t *eps = created(RES_ENDPOINTSLICES,
                          EPS(",\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":["
                              "\"10.42.0.5\"]}],\"ports\":[{\"port\":80}]"));
    assert_json_eq(json_object_get(eps, "ports"),
                   "[{\"name\":\"\",\"port\":80,\"protocol\":\"TCP\"}]");
    json_decref(eps);
}

static void test_endpointslice_validation(void **state)
{
    assert_create_errors(RES_ENDPOINTSLICES,
                         EPS(",\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"fe80::1\","
                             "\"169.254.1.1\"]},{}],\"ports\":[{\"name\":\"a\",\"port\":1},"
                             "{\"name\":\"a\",\"port\":2,\"protocol\":\"ICMP\"}]"),
                         "endpoints[0].addresses[0]: Invalid value: \"fe80::1\": must be a valid "
                         "IPv4 address\n"
                         "endpoints[0].addresses[1]: Invalid value: \"169.254.1.1\": may not be in "
                         "the link-local range (169.254.0.0/16, fe80::/10)\n"
                         "endpoints[1].addresses: Required value: must contain at least 1 address\n"
                         "ports[1].name: Duplicate value: \"a\"\n"
                         "ports[1].protocol: Unsupported value: \"ICMP\": supported values: "
                         "\"SCTP\", \"TCP\", \"UDP\"");
    assert_create_errors(RES_ENDPOINTSLICES, EPS(""), "addressType: Required value");
    assert_create_errors(RES_ENDPOINTSLICES, EPS(",\"addressType\":\"IPX\""),
                         "addressType: Unsupported value: \"IPX\": supported values: \"FQDN\", "
                         "\"IPv4\", \"IPv6\"");
}

static void test_endpointslice_update(void **state)
{
    json_t *old = created(RES_ENDPOINTSLICES, EPS(",\"addressType\":\"IPv4\""));
    assert_update(RES_ENDPOINTSLICES, old, "addressType", "\"IPv6\"",
                  "addressType: Invalid value: \"IPv6\": field is immutable");
    assert_update(RES_ENDPOINTSLICES, old, "endpoints", "[{\"addresses\":[\"10.42.0.6\"]}]", "");
    json_decref(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storageclass_defaults),
        cmocka_unit_test(test_storageclass_validation),
        cmocka_unit_test(test_storageclass_update),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_endpointslice_defaults),
        cmocka_unit_test(test_endpointslice_validation),
        cmocka_unit_test(test_endpointslice_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
