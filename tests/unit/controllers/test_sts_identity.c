/* StatefulSet identity, new pods and claims, revision hashing: the pure parts of the
 * controller (upstream stateful_set_utils_test.go). */
#include "test_sts_harness.h"

#include "api/strategy.h"
#include "base/fnv.h"

static json_t *defaulted_set(const char *name, int replicas, const char *extra)
{
    json_t *set = h_set_json(name, replicas, extra);
    res_strategy(RES_STATEFULSETS)->defaults(set);
    jset_str(jget_obj(set, "metadata"), "uid", "set-uid");
    return set;
}

static void test_parse_name(void **state)
{
    size_t plen;

    assert_int_equal(sts__parse_name("web-0", &plen), 0);
    assert_int_equal(plen, 3);
    assert_int_equal(sts__parse_name("my-web-12", &plen), 12);
    assert_int_equal(plen, 6);
    /* no ordinal: parent "" and -1 */
    assert_int_equal(sts__parse_name("web", &plen), -1);
    assert_int_equal(plen, 0);
    assert_int_equal(sts__parse_name("web-", &plen), -1);
    assert_int_equal(sts__parse_name("web-1a", &plen), -1);
    /* the regex's (.*) may be empty: parent "", ordinal 3 */
    assert_int_equal(sts__parse_name("-3", &plen), 3);
    assert_int_equal(plen, 0);
    /* beyond int32: the parent still parses, the ordinal does not */
    assert_int_equal(sts__parse_name("web-2147483648", &plen), -1);
    assert_int_equal(plen, 3);
    assert_int_equal(sts__parse_name("web-2147483647", &plen), 2147483647);
    /* greedy: the last -digits */
    assert_int_equal(sts__parse_name("web-1-2", &plen), 2);
    assert_int_equal(plen, 5);
}

static void test_membership_and_range(void **state)
{
    json_t *set = defaulted_set("web", 3, "{\"spec\":{\"ordinals\":{\"start\":2}}}");
    json_t *p = tj("{\"metadata\":{\"name\":\"web-2\",\"namespace\":\"default\"}}");
    json_t *other = tj("{\"metadata\":{\"name\":\"web-x-2\"}}");
    json_t *p5 = tj("{\"metadata\":{\"name\":\"web-5\"}}");

    assert_true(sts__is_member(set, p));
    assert_false(sts__is_member(set, other));
    assert_int_equal(sts__start_ordinal(set), 2);
    assert_true(sts__in_range(set, p));
    assert_false(sts__in_range(set, p5)); /* 2, 3, 4 */
    json_decref(set);
    json_decref(p);
    json_decref(other);
    json_decref(p5);
}

static void test_new_pod(void **state)
{
    json_t *set = defaulted_set("web", 3, NULL);
    json_t *pod = sts__new_pod(set, 1), *ref;

    assert_string_equal(jpath_str(pod, "metadata.name"), "web-1");
    assert_string_equal(jpath_str(pod, "metadata.namespace"), NS);
    assert_string_equal(jpath_str(pod, "metadata.generateName"), "web-");
    assert_string_equal(jpath_str(pod, "metadata.labels.foo"), "bar");
    assert_string_equal(jget_str(jpath(pod, "metadata.labels"), STS_LABEL_POD_NAME), "web-1");
    assert_string_equal(jget_str(jpath(pod, "metadata.labels"), STS_LABEL_POD_INDEX), "1");
    assert_string_equal(jpath_str(pod, "spec.hostname"), "web-1");
    assert_string_equal(jpath_str(pod, "spec.subdomain"), "governingsvc");
    ref = json_array_get(jpath(pod, "metadata.ownerReferences"), 0);
    assert_json_eq(ref, "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\","
                        "\"uid\":\"set-uid\",\"controller\":true,\"blockOwnerDeletion\":true}");
    /* the claim volume first, then the pod's own volumes */
    assert_json_eq(jpath(pod, "spec.volumes"),
                   "[{\"name\":\"datadir\",\"persistentVolumeClaim\":{\"claimName\":"
                   "\"datadir-web-1\"}},{\"name\":\"home\",\"hostPath\":{\"path\":\"/tmp/"
                   "home\",\"type\":\"\"}}]");
    assert_true(sts__identity_matches(set, pod));
    assert_true(sts__storage_matches(set, pod));

    /* drift: a wrong pod-name label, a missing claim volume */
    json_object_del(jpath(pod, "metadata.labels"), STS_LABEL_POD_NAME);
    assert_false(sts__identity_matches(set, pod));
    sts__update_identity(set, pod);
    assert_true(sts__identity_matches(set, pod));
    json_array_remove(jpath(pod, "spec.volumes"), 0);
    assert_false(sts__storage_matches(set, pod));
    sts__update_storage(set, pod);
    assert_true(sts__storage_matches(set, pod));
    assert_int_equal(json_array_size(jpath(pod, "spec.volumes")), 2);
    json_decref(pod);
    json_decref(set);
}

static void test_no_subdomain_without_service(void **state)
{
    json_t *set = defaulted_set("web", 1, NULL), *pod;

    json_object_del(jget_obj(set, "spec"), "serviceName");
    pod = sts__new_pod(set, 0);
    assert_null(jpath(pod, "spec.subdomain"));
    assert_string_equal(jpath_str(pod, "spec.hostname"), "web-0");
    json_decref(pod);
    json_decref(set);
}

static void test_template_volume_replaced(void **state)
{
    json_t *set = defaulted_set("web", 1, NULL), *pod;

    /* a pod volume named like the claim template is replaced by the claim */
    json_array_append_new(jpath(set, "spec.template.spec.volumes"),
                          tj("{\"name\":\"datadir\",\"emptyDir\":{}}"));
    pod = sts__new_pod(set, 0);
    assert_json_eq(jpath(pod, "spec.volumes"),
                   "[{\"name\":\"datadir\",\"persistentVolumeClaim\":{\"claimName\":"
                   "\"datadir-web-0\"}},{\"name\":\"home\",\"hostPath\":{\"path\":\"/tmp/"
                   "home\",\"type\":\"\"}}]");
    json_decref(pod);
    json_decref(set);
}

static void test_claims_for(void **state)
{
    json_t *set = defaulted_set("web", 1, NULL), *pod = sts__new_pod(set, 4), *claims, *c;

    /* template labels merged with the selector's, the selector winning */
    json_object_set_new(
        jensure_obj(
            jensure_obj(json_array_get(jpath(set, "spec.volumeClaimTemplates"), 0), "metadata"),
            "labels"),
        "foo", json_string("other"));
    jset_str(jpath(json_array_get(jpath(set, "spec.volumeClaimTemplates"), 0), "metadata.labels"),
             "tier", "db");
    claims = sts__claims_for(set, pod);
    assert_int_equal(json_array_size(claims), 1);
    c = json_array_get(claims, 0);
    assert_string_equal(jpath_str(c, "metadata.name"), "datadir-web-4");
    assert_string_equal(jpath_str(c, "metadata.namespace"), NS);
    assert_json_eq(jpath(c, "metadata.labels"), "{\"foo\":\"bar\",\"tier\":\"db\"}");
    assert_null(jpath(c, "metadata.ownerReferences"));
    assert_string_equal(jpath_str(c, "spec.resources.requests.storage"), "1Gi");
    assert_string_equal(jget_str(c, "kind"), "PersistentVolumeClaim");
    json_decref(claims);
    json_decref(pod);
    json_decref(set);
}

/* newVersionedStatefulSetPod and Go's operator precedence */
static void test_versioned_pod(void **state)
{
    json_t *set = defaulted_set("web", 5, "{\"spec\":{\"ordinals\":{\"start\":10}}}"), *pod;

    jset_int(jpath(set, "spec.updateStrategy.rollingUpdate"), "partition", 2);
    pod = sts__new_versioned_pod(set, set, "web-cur", "web-upd", 11);
    assert_string_equal(sts__pod_revision(pod), "web-cur"); /* 11 < 10 + 2 */
    json_decref(pod);
    pod = sts__new_versioned_pod(set, set, "web-cur", "web-upd", 12);
    assert_string_equal(sts__pod_revision(pod), "web-upd");
    json_decref(pod);

    /* OnDelete: rollingUpdate is nil, so always the update revision */
    json_object_set_new(jget_obj(set, "spec"), "updateStrategy", tj("{\"type\":\"OnDelete\"}"));
    jset_int(jensure_obj(set, "status"), "currentReplicas", 5);
    pod = sts__new_versioned_pod(set, set, "web-cur", "web-upd", 10);
    assert_string_equal(sts__pod_revision(pod), "web-upd");
    json_decref(pod);

    /* RollingUpdate without a rollingUpdate block: below start + currentReplicas is current */
    json_object_set_new(jget_obj(set, "spec"), "updateStrategy",
                        tj("{\"type\":\"RollingUpdate\"}"));
    jset_int(jget_obj(set, "status"), "currentReplicas", 2);
    pod = sts__new_versioned_pod(set, set, "web-cur", "web-upd", 11);
    assert_string_equal(sts__pod_revision(pod), "web-cur");
    json_decref(pod);
    pod = sts__new_versioned_pod(set, set, "web-cur", "web-upd", 12);
    assert_string_equal(sts__pod_revision(pod), "web-upd");
    json_decref(pod);
    json_decref(set);
}

static void test_revision_hash_and_name(void **state)
{
    char h1[16], h2[16], expect[16], num[24], *name;
    const char *data = "{\"spec\":{}}";
    uint32_t v;

    /* FNV-1 over the data, then the decimal collision count, SafeEncodeString'd */
    sts__revision_hash(data, 0, h1);
    v = fnv32(data, strlen(data), FNV32_INIT);
    v = fnv32("0", 1, v);
    snprintf(num, sizeof(num), "%u", v);
    safe_encode_string(num, expect, sizeof(expect));
    assert_string_equal(h1, expect);
    assert_true(strlen(h1) <= 10);
    sts__revision_hash(data, 1, h2);
    assert_string_not_equal(h1, h2);

    name = sts__revision_name("web", "abc");
    assert_string_equal(name, "web-abc");
    free(name);
    {
        char long_name[300];
        memset(long_name, 'a', 260);
        long_name[260] = 0;
        name = sts__revision_name(long_name, "x");
        assert_int_equal(strlen(name), 223 + 2);
        free(name);
    }
}

static void test_new_revision(void **state)
{
    json_t *set = defaulted_set("web", 3, "{\"metadata\":{\"annotations\":{\"note\":\"x\"}}}");
    json_t *cr = sts__new_revision(set, 7, 0), *ref;
    const char *hash = jget_str(jpath(cr, "metadata.labels"), CR_LABEL_HASH);
    char *want = xasprintf("web-%s", hash);

    assert_string_equal(jpath_str(cr, "metadata.name"), want);
    assert_string_equal(jpath_str(cr, "metadata.labels.foo"), "bar");
    assert_string_equal(jpath_str(cr, "metadata.annotations.note"), "x");
    assert_int_equal(jget_int(cr, "revision", 0), 7);
    assert_string_equal(jpath_str(cr, "data.spec.template.$patch"), "replace");
    ref = json_array_get(jpath(cr, "metadata.ownerReferences"), 0);
    assert_string_equal(jget_str(ref, "uid"), "set-uid");
    assert_true(jget_bool(ref, "controller", false));
    free(want);
    json_decref(cr);
    json_decref(set);
}

/* §7 item 4: defaults, key order and serialisation noise do not change the hash. */
static void test_canonical_revision(void **state)
{
    json_t *a = defaulted_set("web", 1, NULL);
    json_t *b = h_set_json("web", 1, NULL); /* not defaulted */
    json_t *ra, *rb, *rc;
    json_t *tm;

    jset_str(jget_obj(b, "metadata"), "uid", "set-uid");
    /* upstream's #134773 drift: creationTimestamp: null in the template metadata */
    tm = jpath(b, "spec.template.metadata");
    json_object_set_new(tm, "creationTimestamp", json_null());
    json_object_set_new(jpath(b, "spec.template.spec"), "nodeSelector", json_object());
    ra = sts__new_revision(a, 1, 0);
    rb = sts__new_revision(b, 1, 0);
    assert_string_equal(jpath_str(ra, "metadata.name"), jpath_str(rb, "metadata.name"));
    assert_true(sts__equal_revision(ra, rb));

    /* a real change is a different revision */
    jset_str(json_array_get(jpath(b, "spec.template.spec.containers"), 0), "image", "nginx:2");
    rc = sts__new_revision(b, 2, 0);
    assert_string_not_equal(jpath_str(ra, "metadata.name"), jpath_str(rc, "metadata.name"));
    assert_false(sts__equal_revision(ra, rc));

    /* an empty label value is not an absent label */
    json_decref(rc);
    jset_str(json_array_get(jpath(b, "spec.template.spec.containers"), 0), "image", "nginx");
    jset_str(jpath(b, "spec.template.metadata.labels"), "empty", "");
    rc = sts__new_revision(b, 2, 0);
    assert_false(sts__equal_revision(ra, rc));
    json_decref(rc);

    /* and the revision applies back onto a set as its template */
    {
        json_t *applied = sts__apply_revision(a, ra);
        assert_non_null(applied);
        assert_string_equal(
            jpath_str(json_array_get(jpath(applied, "spec.template.spec.containers"), 0), "image"),
            "nginx");
        assert_null(jpath(applied, "spec.template.$patch"));
        json_decref(applied);
    }
    json_decref(ra);
    json_decref(rb);
    json_decref(a);
    json_decref(b);
}

static void test_sort_revisions(void **state)
{
    json_t *r[4] = {
        tj("{\"metadata\":{\"name\":\"c\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
           "\"revision\":2}"),
        tj("{\"metadata\":{\"name\":\"b\",\"creationTimestamp\":\"2026-01-01T00:00:01Z\"},"
           "\"revision\":1}"),
        tj("{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"2026-01-01T00:00:01Z\"},"
           "\"revision\":1}"),
        tj("{\"metadata\":{\"name\":\"z\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
           "\"revision\":1}"),
    };

    sts__sort_revisions(r, 4);
    assert_string_equal(jpath_str(r[0], "metadata.name"), "z");
    assert_string_equal(jpath_str(r[1], "metadata.name"), "a");
    assert_string_equal(jpath_str(r[2], "metadata.name"), "b");
    assert_string_equal(jpath_str(r[3], "metadata.name"), "c");
    for (int i = 0; i < 4; i++)
        json_decref(r[i]);
}

static void test_max_unavailable(void **state)
{
    json_t *set = defaulted_set("web", 10, NULL);
    json_t *ru = jpath(set, "spec.updateStrategy.rollingUpdate");

    assert_int_equal(sts__max_unavailable(set, 10), 1); /* unset: 1 */
    json_object_set_new(ru, "maxUnavailable", json_integer(3));
    assert_int_equal(sts__max_unavailable(set, 10), 3);
    json_object_set_new(ru, "maxUnavailable", json_string("25%"));
    assert_int_equal(sts__max_unavailable(set, 10), 2); /* rounds down */
    json_object_set_new(ru, "maxUnavailable", json_string("5%"));
    assert_int_equal(sts__max_unavailable(set, 10), 1); /* at least one */
    json_object_set_new(ru, "maxUnavailable", json_string("100%"));
    assert_int_equal(sts__max_unavailable(set, 10), 10);
    json_decref(set);
}

static void test_pod_predicates(void **state)
{
    json_t *p = tj("{\"metadata\":{\"name\":\"web-0\"},\"status\":{\"phase\":\"Running\","
                   "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
                   "\"lastTransitionTime\":\"2027-01-15T08:00:00Z\"}]}}");
    time_t t;

    ktime_parse("2027-01-15T08:00:00Z", &t, NULL);
    assert_true(sts__is_running_ready(p));
    assert_true(sts__is_available(p, 0, t));
    /* available strictly after minReadySeconds */
    assert_false(sts__is_available(p, 10, t + 10));
    assert_true(sts__is_available(p, 10, t + 11));
    assert_false(sts__is_unavailable(p, 10, t + 11));
    json_object_set_new(jget_obj(p, "metadata"), "deletionTimestamp",
                        json_string("2027-01-15T08:00:00Z"));
    assert_true(sts__is_terminating(p));
    assert_true(sts__is_unavailable(p, 0, t)); /* terminating is not healthy */
    assert_true(sts__is_running_ready(p));     /* but still counts as ready */
    jset_str(jget_obj(p, "status"), "phase", "Pending");
    assert_false(sts__is_running_ready(p));
    assert_true(sts__is_pending(p));
    json_decref(p);
}

/* The facts a sync notes once agree with the predicates, for noted pods and others alike. */
static void test_pod_facts(void **state)
{
    const char *docs[] = {
        "{\"metadata\":{\"name\":\"web-0\",\"labels\":{\"controller-revision-hash\":\"web-1\"}},"
        "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
        "\"lastTransitionTime\":\"2027-01-15T08:00:00Z\"}]}}",
        "{\"metadata\":{\"name\":\"web-1\",\"deletionTimestamp\":\"2027-01-15T08:00:00Z\"},"
        "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}"
        "]}}",
        "{\"metadata\":{\"name\":\"web-2\"},\"status\":{\"phase\":\"Pending\"}}",
        "{\"metadata\":{\"name\":\"web-3\"}}",
    };
    json_t *pods[ARRAY_SIZE(docs)];
    struct sts_run r = {0};
    time_t t;

    ktime_parse("2027-01-15T08:00:00Z", &t, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
        pods[i] = tj(docs[i]);
    for (int min_ready = 0; min_ready <= 10; min_ready += 10) {
        r.min_ready = min_ready;
        r.now = t + 5;
        free(r.facts);
        r.facts = NULL;
        r.facts_cap = 0;
        sts__facts_add(&r, pods, 2); /* the last two are looked up without being noted */
        sts__facts_add(&r, pods, 1); /* noting again changes nothing */
        for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
            struct sts_facts tmp;
            const struct sts_facts *f = sts__facts(&r, pods[i], &tmp);
            assert_ptr_equal(f->pod, pods[i]);
            assert_true(i < 2 ? f != &tmp : f == &tmp);
            assert_int_equal(f->created, sts__is_created(pods[i]));
            assert_int_equal(f->terminating, sts__is_terminating(pods[i]));
            assert_int_equal(f->running_ready, sts__is_running_ready(pods[i]));
            assert_int_equal(f->unavailable, sts__is_unavailable(pods[i], min_ready, r.now));
            assert_string_equal(f->rev, sts__pod_revision(pods[i]));
        }
    }
    /* web-0 is available without a minimum, not 5 s after turning Ready with 10 */
    struct sts_facts tmp;
    assert_true(sts__facts(&r, pods[0], &tmp)->unavailable);
    free(r.facts);
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
        json_decref(pods[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_name),
        cmocka_unit_test(test_membership_and_range),
        cmocka_unit_test(test_new_pod),
        cmocka_unit_test(test_no_subdomain_without_service),
        cmocka_unit_test(test_template_volume_replaced),
        cmocka_unit_test(test_claims_for),
        cmocka_unit_test(test_versioned_pod),
        cmocka_unit_test(test_revision_hash_and_name),
        cmocka_unit_test(test_new_revision),
        cmocka_unit_test(test_canonical_revision),
        cmocka_unit_test(test_sort_revisions),
        cmocka_unit_test(test_max_unavailable),
        cmocka_unit_test(test_pod_predicates),
        cmocka_unit_test(test_pod_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
