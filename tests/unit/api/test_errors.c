#include "test.h"

#include "api/errors.h"
#include "base/alloc.h"

static void test_invalid_single(void **state)
{
    struct ferrs errs = FERRS_INIT;
    struct api_err e = API_ERR_INIT;
    json_t *v = json_integer(-1);

    ferr_invalid(&errs, "spec.updateStrategy.rollingUpdate.partition", v,
                 "must be greater than or equal to 0");
    api_err_invalid(&e, "apps", "StatefulSet", "statefulset-demo", &errs);
    assert_int_equal(e.code, 422);
    assert_string_equal(e.message,
                        "StatefulSet.apps \"statefulset-demo\" is invalid: "
                        "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be "
                        "greater than or equal to 0");
    json_t *st = api_err_to_status(&e);
    assert_json_eq(
        st, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
            "\"message\":\"StatefulSet.apps \\\"statefulset-demo\\\" is invalid: "
            "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than "
            "or equal to 0\",\"reason\":\"Invalid\",\"details\":{\"name\":\"statefulset-demo\","
            "\"group\":\"apps\",\"kind\":\"StatefulSet\",\"causes\":[{\"reason\":"
            "\"FieldValueInvalid\",\"message\":\"Invalid value: -1: must be greater than or equal "
            "to 0\",\"field\":\"spec.updateStrategy.rollingUpdate.partition\"}]},\"code\":422}");
    json_decref(st);
    json_decref(v);
    api_err_release(&e);
}

static void test_invalid_many_core(void **state)
{
    struct ferrs errs = FERRS_INIT;
    struct api_err e = API_ERR_INIT;
    static const char *const sup[] = {"Always", "IfNotPresent", "Never", NULL};

    ferr_required(&errs, "spec.containers[0].image", NULL);
    ferr_not_supported(&errs, "spec.containers[0].imagePullPolicy", "Sometimes", sup);
    ferr_required(&errs, "spec.containers[0].image", NULL); /* duplicates collapse */
    api_err_invalid(&e, "", "Pod", "p", &errs);
    assert_string_equal(e.message,
                        "Pod \"p\" is invalid: [spec.containers[0].image: Required value, "
                        "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
                        "supported values: \"Always\", \"IfNotPresent\", \"Never\"]");
    assert_int_equal(e.causes.nr, 3);
    api_err_release(&e);
}

static void test_not_found_and_conflict(void **state)
{
    struct api_err e = API_ERR_INIT;
    api_err_not_found(&e, "apps", "statefulsets", "nope");
    assert_string_equal(e.message, "statefulsets.apps \"nope\" not found");
    json_t *st = api_err_to_status(&e);
    assert_json_eq(st, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                       "\"status\":\"Failure\",\"message\":\"statefulsets.apps \\\"nope\\\" not "
                       "found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"nope\","
                       "\"group\":\"apps\",\"kind\":\"statefulsets\"},\"code\":404}");
    json_decref(st);
    api_err_release(&e);

    api_err_conflict(&e, "", "pods", "web-0",
                     "the object has been modified; please apply your changes to the latest "
                     "version and try again");
    assert_string_equal(e.message, "Operation cannot be fulfilled on pods \"web-0\": the object "
                                   "has been modified; please apply your changes to the latest "
                                   "version and try again");
    assert_int_equal(e.code, 409);
    api_err_release(&e);
}

static void test_forbidden_body(void **state)
{
    struct ferrs errs = FERRS_INIT;
    ferr_forbidden(&errs, "spec", "updates to statefulset spec are forbidden");
    char *s = ferr_string(&errs.v[0]);
    assert_string_equal(s, "spec: Forbidden: updates to statefulset spec are forbidden");
    free(s);
    ferrs_release(&errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_single),
        cmocka_unit_test(test_invalid_many_core),
        cmocka_unit_test(test_not_found_and_conflict),
        cmocka_unit_test(test_forbidden_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
