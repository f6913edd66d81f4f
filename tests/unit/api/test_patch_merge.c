/* RFC 7386 JSON merge patch: the RFC's appendix A table, what `kubectl scale` and
 * `kubectl patch --type merge` send, and the API server's refusals. */
#include <errno.h>

#include "test.h"

#include "api/patch.h"
#include "base/alloc.h"

/* Apply patch to doc and compare with want; also check that neither input was touched. */
static void check(const char *doc, const char *patch, const char *want)
{
    json_t *d = tj(doc), *p = tj(patch), *out = NULL;
    char *d0 = json_dump_canonical(d), *p0 = json_dump_canonical(p);
    struct strbuf err = STRBUF_INIT;

    if (patch_merge(d, p, &out, &err))
        fail_msg("patch %s on %s failed: %s", patch, doc, err.buf);
    assert_json_eq(out, want);
    char *d1 = json_dump_canonical(d), *p1 = json_dump_canonical(p);
    assert_string_equal(d0, d1);
    assert_string_equal(p0, p1);
    assert_ptr_not_equal(out, d);
    free(d0);
    free(d1);
    free(p0);
    free(p1);
    json_decref(out);
    json_decref(d);
    json_decref(p);
    strbuf_release(&err);
}

/* The same, with the documents nested one level down under "x". */
static void check_nested(const char *doc, const char *patch, const char *want)
{
    char *d = xasprintf("{\"x\":%s}", doc), *p = xasprintf("{\"x\":%s}", patch),
         *w = xasprintf("{\"x\":%s}", want);
    check(d, p, w);
    free(d);
    free(p);
    free(w);
}

static void check_fail(const char *doc, const char *patch, int rc, const char *msg)
{
    json_t *d = tj(doc), *p = tj(patch), *out = (json_t *)0x1;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_merge(d, p, &out, &err), rc);
    assert_ptr_equal(out, (json_t *)0x1); /* untouched on failure */
    assert_string_equal(err.buf, msg);
    json_decref(d);
    json_decref(p);
    strbuf_release(&err);
}

/* RFC 7386 appendix A, every row. */
static void test_rfc7386_appendix(void **state)
{
    check("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    check("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
    /* The two rows whose patch is not an object or array: the RFC makes the patch the new
     * value. That holds below the top level ... */
    check("{\"x\":{\"a\":\"foo\"}}", "{\"x\":null}", "{}");
    check_nested("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    /* ... while at the top the API server refuses such a document (see test_server_refusals) */
}

static void test_nested_rows(void **state)
{
    /* every appendix row again, one level down, where null/scalars follow the RFC */
    check_nested("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_nested("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check_nested("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
                 "{\"a\":{\"b\":\"d\"}}");
    check_nested("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check_nested("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
    check_nested("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    /* arrays are values: nulls inside them are kept, not merged */
    check("{\"a\":[1]}", "{\"a\":[null,{\"b\":null}]}", "{\"a\":[null,{\"b\":null}]}");
    /* a member the target lacks is added with its own nulls removed */
    check("{}", "{\"a\":{\"b\":null,\"c\":1}}", "{\"a\":{\"c\":1}}");
    /* null deletes nothing when the member is absent */
    check("{\"a\":1}", "{\"b\":null}", "{\"a\":1}");
    /* an empty object changes nothing, also below */
    check("{\"a\":{\"b\":1}}", "{\"a\":{}}", "{\"a\":{\"b\":1}}");
    check("{\"a\":1}", "{}", "{\"a\":1}");
    /* a scalar target is replaced by an object patch's merge onto {} */
    check("{\"a\":5}", "{\"a\":{\"b\":null,\"c\":[]}}", "{\"a\":{\"c\":[]}}");
    /* types are not coerced */
    check("{\"a\":1}", "{\"a\":\"1\"}", "{\"a\":\"1\"}");
    check("{\"a\":true}", "{\"a\":false}", "{\"a\":false}");
    check("{\"a\":1}", "{\"a\":1.5}", "{\"a\":1.5}");
}

/* What kubectl sends (KUBECTL.md §9.5, §9.7). */
static void test_kubectl_flows(void **state)
{
    /* kubectl scale -> PATCH .../scale */
    check("{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"web\","
          "\"namespace\":\"sts\",\"resourceVersion\":\"1036\"},\"spec\":{\"replicas\":2},"
          "\"status\":{\"replicas\":2,\"selector\":\"app=myapp-pod\"}}",
          "{\"spec\":{\"replicas\":4}}",
          "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"web\","
          "\"namespace\":\"sts\",\"resourceVersion\":\"1036\"},\"spec\":{\"replicas\":4},"
          "\"status\":{\"replicas\":2,\"selector\":\"app=myapp-pod\"}}");
    /* kubectl patch --type merge: lists are replaced wholesale, not merged by name */
    check("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},"
          "{\"name\":\"b\",\"image\":\"y:1\"}]}}}}",
          "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
          "\"x:2\"}]}}}}",
          "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
          "\"x:2\"}]}}}}");
    /* deleting a label and an annotation with null, adding another */
    check("{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"db\"},\"annotations\":{\"a\":"
          "\"1\"}}}",
          "{\"metadata\":{\"labels\":{\"tier\":null,\"new\":\"x\"},\"annotations\":null}}",
          "{\"metadata\":{\"labels\":{\"app\":\"web\",\"new\":\"x\"}}}");
    /* partition, the canary of the walkthrough */
    check("{\"spec\":{\"replicas\":4,\"updateStrategy\":{\"type\":\"RollingUpdate\"}}}",
          "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":3}}}}",
          "{\"spec\":{\"replicas\":4,\"updateStrategy\":{\"type\":\"RollingUpdate\","
          "\"rollingUpdate\":{\"partition\":3}}}}");
}

static void test_key_order_kept(void **state)
{
    json_t *d = tj("{\"b\":1,\"a\":{\"y\":1,\"x\":2},\"c\":3}");
    json_t *p = tj("{\"z\":0,\"a\":{\"w\":0,\"y\":5},\"c\":null}");
    json_t *out = NULL;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_merge(d, p, &out, &err), 0);
    char *s = json_dump_compact(out);
    /* existing members keep their place, new ones follow in the patch's order */
    assert_string_equal(s, "{\"b\":1,\"a\":{\"y\":5,\"x\":2,\"w\":0},\"z\":0}");
    free(s);
    json_decref(out);
    json_decref(d);
    json_decref(p);
}

/* The result shares nothing with the inputs: editing it leaves them alone. */
static void test_result_is_a_copy(void **state)
{
    json_t *d = tj("{\"a\":{\"b\":[1,{\"c\":2}]},\"k\":{\"v\":1}}");
    json_t *p = tj("{\"n\":{\"m\":[{\"q\":1}]}}");
    json_t *out = NULL;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_merge(d, p, &out, &err), 0);
    json_object_set_new(json_array_get(jpath(out, "a.b"), 1), "c", json_integer(99));
    json_object_set_new(json_array_get(jpath(out, "n.m"), 0), "q", json_integer(99));
    json_object_set_new(jget(out, "k"), "v", json_integer(99));
    assert_json_eq(d, "{\"a\":{\"b\":[1,{\"c\":2}]},\"k\":{\"v\":1}}");
    assert_json_eq(p, "{\"n\":{\"m\":[{\"q\":1}]}}");
    json_decref(out);
    json_decref(d);
    json_decref(p);
}

/* evanphx/json-patch MergePatch, as the API server calls it: a null or scalar patch is
 * ErrBadJSONPatch, answered 400. */
static void test_server_refusals(void **state)
{
    check_fail("{\"a\":\"foo\"}", "null", -EINVAL, "Invalid JSON Patch");
    check_fail("{\"a\":\"foo\"}", "\"bar\"", -EINVAL, "Invalid JSON Patch");
    check_fail("{\"a\":\"foo\"}", "42", -EINVAL, "Invalid JSON Patch");
    check_fail("{\"a\":\"foo\"}", "true", -EINVAL, "Invalid JSON Patch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7386_appendix), cmocka_unit_test(test_nested_rows),
        cmocka_unit_test(test_kubectl_flows),    cmocka_unit_test(test_key_order_kept),
        cmocka_unit_test(test_result_is_a_copy), cmocka_unit_test(test_server_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
