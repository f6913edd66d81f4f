/* The watch cache's served bytes: the stored layout with metadata.resourceVersion spliced in. */
#include "test.h"

#include "api/resource.h"
#include "base/alloc.h"
#include "server/cache.h"

/* An object whose keys were set out of ObjectMeta's order, as a create does (uid after the
 * ownerReferences, whose entries have a uid of their own), and its served bytes. */
static void check_served(const char *doc, bool via_stored_bytes)
{
    const struct resource *r = resource_by_plural("", "v1", "pods");
    json_error_t je;
    json_t *j = json_loads(doc, 0, &je);
    struct obj *o;

    assert_non_null(r);
    assert_non_null(j);
    if (via_stored_bytes) {
        size_t len;
        char *b = obj_stored_bytes(r, j, &len);
        o = obj_from_stored(r, b, len, NULL, 42, 7);
        free(b);
        json_decref(j);
    } else {
        o = obj_new(r, j, 42, 7);
    }
    assert_non_null(o);
    json_t *served = json_loadb(o->bytes, o->len, 0, &je);
    assert_non_null(served);
    assert_string_equal(jpath_str(served, "metadata.resourceVersion"), "42");
    assert_string_equal(jpath_str(served, "metadata.uid"), "pod-uid");
    json_t *ref = json_array_get(jpath(served, "metadata.ownerReferences"), 0);
    assert_string_equal(jget_str(ref, "uid"), "set-uid");
    assert_null(jget(ref, "resourceVersion"));
    assert_string_equal(jpath_str(served, "kind"), "Pod");
    assert_string_equal(jpath_str(o->json, "metadata.resourceVersion"), "42");
    json_decref(served);
    obj_unref(o);
}

static void test_rv_beside_uid_not_in_owner_refs(void **state)
{
    const char *doc = "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"default\","
                      "\"labels\":{\"app\":\"web\"},\"ownerReferences\":[{\"apiVersion\":"
                      "\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\",\"uid\":\"set-uid\","
                      "\"controller\":true}],\"uid\":\"pod-uid\"},\"spec\":{}}";
    check_served(doc, false);
    check_served(doc, true);
}

/* Bytes stored in another layout (an older berth's, say) are re-serialised, not mis-spliced. */
static void test_foreign_layout(void **state)
{
    const struct resource *r = resource_by_plural("", "v1", "pods");
    const char *b = "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-0\","
                    "\"ownerReferences\":[{\"uid\":\"set-uid\"}],\"uid\":\"pod-uid\"}}";
    json_error_t je;
    struct obj *o = obj_from_stored(r, b, strlen(b), NULL, 9, 9);
    json_t *served = json_loadb(o->bytes, o->len, 0, &je);

    assert_string_equal(jpath_str(served, "metadata.resourceVersion"), "9");
    assert_null(
        jget(json_array_get(jpath(served, "metadata.ownerReferences"), 0), "resourceVersion"));
    json_decref(served);
    obj_unref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rv_beside_uid_not_in_owner_refs),
        cmocka_unit_test(test_foreign_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
