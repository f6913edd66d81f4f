/* test_scheduler.c — the scheduler: its predicates (upstream's component-helpers cases), its
 * per-node bookkeeping, and whole scheduling cycles over the fake API (binding, failure
 * messages and conditions, retries, volume binding as STATEFULSET.md §6 describes it).
 */
#include "test.h"

#include "base/alloc.h"
#include "controllers/scheduler/internal.h"

/* --- tolerations and taints (upstream TestTolerationToleratesTaint) --- */

static bool tol(const char *tolj, const char *key, const char *value, const char *effect)
{
    json_t *t = tj(tolj);
    bool r = sched__toleration_tolerates(t, key, value, effect);
    json_decref(t);
    return r;
}

static void test_toleration_matching(void **state)
{
    /* empty effect matches every effect */
    assert_true(tol("{\"key\":\"foo\",\"operator\":\"Exists\"}", "foo", "bar", "NoExecute"));
    /* Equal (also the empty operator) needs the value */
    assert_true(tol("{\"key\":\"foo\",\"value\":\"bar\",\"effect\":\"NoSchedule\"}", "foo",
                    "bar", "NoSchedule"));
    assert_false(tol("{\"key\":\"foo\",\"operator\":\"Equal\",\"value\":\"baz\"}", "foo", "bar",
                     "NoSchedule"));
    /* Exists with an empty key tolerates everything */
    assert_true(tol("{\"operator\":\"Exists\"}", "anything", "v", "NoExecute"));
    /* a different effect */
    assert_false(tol("{\"key\":\"foo\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}", "foo",
                     "", "NoSchedule"));
    /* a different key */
    assert_false(tol("{\"key\":\"foo\",\"operator\":\"Exists\"}", "bar", "", "NoSchedule"));
    /* an unknown operator tolerates nothing */
    assert_false(tol("{\"key\":\"foo\",\"operator\":\"Gt\",\"value\":\"1\"}", "foo", "2",
                     "NoSchedule"));
    /* the empty-valued taint, tolerated by Equal with no value */
    assert_true(tol("{\"key\":\"node-role.kubernetes.io/control-plane\",\"effect\":"
                    "\"NoSchedule\"}",
                    "node-role.kubernetes.io/control-plane", "", "NoSchedule"));
}

static void test_untolerated_taint(void **state)
{
    json_t *taints = tj("[{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"},"
                        "{\"key\":\"a\",\"value\":\"1\",\"effect\":\"NoSchedule\"},"
                        "{\"key\":\"b\",\"value\":\"2\",\"effect\":\"NoExecute\"}]");
    json_t *none = tj("[]");
    json_t *tol_a = tj("[{\"key\":\"a\",\"operator\":\"Exists\"}]");
    json_t *tol_all = tj("[{\"operator\":\"Exists\"}]");

    /* PreferNoSchedule never filters; the first untolerated one is reported */
    const json_t *t = sched__untolerated_taint(taints, none);
    assert_non_null(t);
    assert_string_equal(jget_str(t, "key"), "a");
    t = sched__untolerated_taint(taints, tol_a);
    assert_non_null(t);
    assert_string_equal(jget_str(t, "key"), "b");
    assert_null(sched__untolerated_taint(taints, tol_all));
    assert_int_equal(sched__intolerable_prefer_no_schedule(taints, none), 1);
    assert_int_equal(sched__intolerable_prefer_no_schedule(taints, tol_all), 0);
    json_decref(taints);
    json_decref(none);
    json_decref(tol_a);
    json_decref(tol_all);
}

static void test_node_taints_not_ready(void **state)
{
    json_t *ready = tj("{\"metadata\":{\"name\":\"n\"},\"status\":{\"conditions\":"
                       "[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    json_t *notready = tj("{\"metadata\":{\"name\":\"n\"},\"status\":{\"conditions\":"
                          "[{\"type\":\"Ready\",\"status\":\"False\"}]}}");
    json_t *unknown = tj("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"x\","
                         "\"effect\":\"NoSchedule\"}]},\"status\":{\"conditions\":"
                         "[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}");
    json_t *tainted = tj("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":"
                         "\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"}]},"
                         "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
                         "\"Unknown\"}]}}");
    json_t *fresh = tj("{\"metadata\":{\"name\":\"n\"}}");

    json_t *t = sched__node_taints(ready);
    assert_json_eq(t, "[]");
    json_decref(t);
    t = sched__node_taints(notready);
    assert_json_eq(t, "[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoSchedule\"}]");
    json_decref(t);
    t = sched__node_taints(unknown);
    assert_json_eq(t, "[{\"key\":\"x\",\"effect\":\"NoSchedule\"},{\"key\":"
                      "\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"}]");
    json_decref(t);
    t = sched__node_taints(tainted); /* already there: not doubled */
    assert_int_equal(json_array_size(t), 1);
    json_decref(t);
    t = sched__node_taints(fresh); /* never reported Ready: not ready */
    assert_json_eq(t, "[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoSchedule\"}]");
    json_decref(t);
    json_decref(ready);
    json_decref(notready);
    json_decref(unknown);
    json_decref(tainted);
    json_decref(fresh);
}

/* --- node affinity (upstream TestNodeSelectorMatch / TestRequiredNodeAffinity cases) --- */

static json_t *node_with(const char *name, const char *labels)
{
    char *s = xasprintf("{\"metadata\":{\"name\":\"%s\",\"labels\":%s}}", name, labels);
    json_t *n = tj(s);
    free(s);
    return n;
}

static bool pod_fits(const char *spec, const json_t *node)
{
    char *s = xasprintf("{\"metadata\":{\"name\":\"p\"},\"spec\":%s}", spec);
    json_t *p = tj(s);
    bool r = sched__pod_matches_node(p, node);
    json_decref(p);
    free(s);
    return r;
}

#define AFF(terms)                                                                                 \
    "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"        \
    "{\"nodeSelectorTerms\":" terms "}}}}"

static void test_node_selector(void **state)
{
    json_t *n = node_with("n1", "{\"zone\":\"a\",\"disk\":\"ssd\",\"cores\":\"8\"}");

    assert_true(pod_fits("{}", n));
    assert_true(pod_fits("{\"nodeSelector\":{\"zone\":\"a\"}}", n));
    assert_false(pod_fits("{\"nodeSelector\":{\"zone\":\"a\",\"gpu\":\"yes\"}}", n));
    assert_false(pod_fits("{\"nodeSelector\":{\"zone\":\"b\"}}", n));
    json_decref(n);
}

static void test_required_affinity_operators(void **state)
{
    json_t *n = node_with("n1", "{\"zone\":\"a\",\"disk\":\"ssd\",\"cores\":\"8\"}");

    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                             "\"values\":[\"a\",\"b\"]}]}]"),
                         n));
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\","
                              "\"values\":[\"a\"]}]}]"),
                          n));
    /* NotIn and DoesNotExist hold for a missing label */
    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":\"NotIn\","
                             "\"values\":[\"yes\"]}]}]"),
                         n));
    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":"
                             "\"DoesNotExist\"}]}]"),
                         n));
    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"disk\",\"operator\":\"Exists\""
                             "}]}]"),
                         n));
    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\","
                             "\"values\":[\"4\"]}]}]"),
                         n));
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Lt\","
                              "\"values\":[\"8\"]}]}]"),
                          n));
    /* Gt on a label that is not a number, or a missing label: no match */
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Gt\","
                              "\"values\":[\"1\"]}]}]"),
                          n));
    /* malformed requirements drop the term: Gt with two values, In with none, Exists with a
     * value, an unknown operator */
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\","
                              "\"values\":[\"4\",\"5\"]}]}]"),
                          n));
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                              "\"values\":[]}]}]"),
                          n));
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\","
                              "\"values\":[\"a\"]}]}]"),
                          n));
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Near\","
                              "\"values\":[\"a\"]}]}]"),
                          n));
    /* ...but a valid term next to it still matches: terms are ORed */
    assert_true(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                             "\"values\":[]}]},{\"matchExpressions\":[{\"key\":\"zone\","
                             "\"operator\":\"In\",\"values\":[\"a\"]}]}]"),
                         n));
    /* expressions of one term are ANDed */
    assert_false(pod_fits(AFF("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                              "\"values\":[\"a\"]},{\"key\":\"disk\",\"operator\":\"In\","
                              "\"values\":[\"hdd\"]}]}]"),
                          n));
    /* an empty term selects nothing; no terms select nothing */
    assert_false(pod_fits(AFF("[{}]"), n));
    assert_false(pod_fits(AFF("[]"), n));
    /* nodeSelector and affinity must both hold */
    assert_false(pod_fits("{\"nodeSelector\":{\"zone\":\"b\"},\"affinity\":{\"nodeAffinity\":{"
                          "\"requiredDuringSchedulingIgnoredDuringExecution\":{"
                          "\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\","
                          "\"operator\":\"Exists\"}]}]}}}}",
                          n));
    json_decref(n);
}

static void test_required_affinity_match_fields(void **state)
{
    json_t *n1 = node_with("n1", "{}"), *n2 = node_with("n2", "{}");
    const char *in_n1 = AFF("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                            "\"values\":[\"n1\"]}]}]");
    const char *notin_n1 = AFF("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":"
                               "\"NotIn\",\"values\":[\"n1\"]}]}]");
    assert_true(pod_fits(in_n1, n1));
    assert_false(pod_fits(in_n1, n2));
    assert_false(pod_fits(notin_n1, n1));
    assert_true(pod_fits(notin_n1, n2));
    /* In needs exactly one value */
    assert_false(pod_fits(AFF("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":"
                              "\"In\",\"values\":[\"n1\",\"n2\"]}]}]"),
                          n1));
    json_decref(n1);
    json_decref(n2);
}

static void test_preferred_affinity_score(void **state)
{
    json_t *n = node_with("n1", "{\"zone\":\"a\",\"disk\":\"ssd\"}");
    json_t *p = tj("{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
                   "\"preferredDuringSchedulingIgnoredDuringExecution\":["
                   "{\"weight\":5,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\","
                   "\"operator\":\"In\",\"values\":[\"a\"]}]}},"
                   "{\"weight\":7,\"preference\":{\"matchExpressions\":[{\"key\":\"disk\","
                   "\"operator\":\"In\",\"values\":[\"hdd\"]}]}},"
                   "{\"weight\":11,\"preference\":{\"matchExpressions\":[{\"key\":\"disk\","
                   "\"operator\":\"Exists\"}]}}]}}}}");
    assert_int_equal(sched__preferred_affinity_score(p, n), 16);
    json_decref(p);
    json_decref(n);
}

static void test_pv_affinity_and_topology(void **state)
{
    json_t *n = node_with("n1", "{\"kubernetes.io/hostname\":\"n1\"}");
    json_t *pv_n1 = tj("{\"spec\":{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
                       "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":"
                       "\"In\",\"values\":[\"n1\"]}]}]}}}}");
    json_t *pv_n2 = tj("{\"spec\":{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
                       "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":"
                       "\"In\",\"values\":[\"n2\"]}]}]}}}}");
    json_t *pv_any = tj("{\"spec\":{}}");
    /* CheckNodeAffinity sees labels only: matchFields never exclude */
    json_t *pv_fields = tj("{\"spec\":{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
                           "\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                           "\"values\":[\"other\"]}]}]}}}}");
    assert_true(sched__pv_node_affinity_matches(pv_n1, n));
    assert_false(sched__pv_node_affinity_matches(pv_n2, n));
    assert_true(sched__pv_node_affinity_matches(pv_any, n));
    assert_true(sched__pv_node_affinity_matches(pv_fields, n));

    json_t *sc_any = tj("{\"provisioner\":\"x\"}");
    json_t *sc_n2 = tj("{\"allowedTopologies\":[{\"matchLabelExpressions\":[{\"key\":"
                       "\"kubernetes.io/hostname\",\"values\":[\"n2\"]}]}]}");
    json_t *sc_n1 = tj("{\"allowedTopologies\":[{\"matchLabelExpressions\":[{\"key\":"
                       "\"kubernetes.io/hostname\",\"values\":[\"n2\"]}]},{"
                       "\"matchLabelExpressions\":[{\"key\":\"kubernetes.io/hostname\","
                       "\"values\":[\"n1\",\"n3\"]}]}]}");
    assert_true(sched__topology_matches(sc_any, n));
    assert_false(sched__topology_matches(sc_n2, n));
    assert_true(sched__topology_matches(sc_n1, n));
    json_decref(sc_any);
    json_decref(sc_n2);
    json_decref(sc_n1);
    json_decref(pv_n1);
    json_decref(pv_n2);
    json_decref(pv_any);
    json_decref(pv_fields);
    json_decref(n);
}

/* --- resources (upstream TestPodRequests cases) --- */

static void requests_of(const char *spec, struct sres *r, int64_t *nzc, int64_t *nzm)
{
    char *s = xasprintf("{\"spec\":%s}", spec);
    json_t *p = tj(s);
    sched__pod_requests(p, r, nzc, nzm);
    json_decref(p);
    free(s);
}

static void test_pod_requests(void **state)
{
    struct sres r;
    int64_t nzc, nzm;

    /* containers add up; a container with no requests counts the non-zero defaults */
    requests_of("{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":"
                "\"1Gi\"}}},{\"resources\":{\"requests\":{\"cpu\":\"1\",\"ephemeral-storage\":"
                "\"2Gi\",\"example.com/foo\":\"3\"}}},{}]}",
                &r, &nzc, &nzm);
    assert_int_equal(r.cpu, 1500);
    assert_int_equal(r.mem, 1024LL * 1024 * 1024);
    assert_int_equal(r.eph, 2LL * 1024 * 1024 * 1024);
    assert_int_equal(sres_scalar(&r, "example.com/foo"), 3);
    assert_int_equal(nzc, 1600);
    assert_int_equal(nzm, 1024LL * 1024 * 1024 + 2 * 200LL * 1024 * 1024);
    sres_release(&r);

    /* an init container larger than the containers sets the floor */
    requests_of("{\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}],"
                "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":"
                "\"100Mi\"}}}]}",
                &r, &nzc, &nzm);
    assert_int_equal(r.cpu, 2000);
    assert_int_equal(r.mem, 100LL * 1024 * 1024);
    sres_release(&r);

    /* sidecars (restartPolicy Always) add to the containers and to later init containers */
    requests_of("{\"initContainers\":[{\"restartPolicy\":\"Always\",\"resources\":{"
                "\"requests\":{\"cpu\":\"1\"}}},{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}],"
                "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}",
                &r, &nzc, &nzm);
    assert_int_equal(r.cpu, 3000); /* max(1 + 1, 1 + 2) */
    sres_release(&r);

    /* the overhead comes on top */
    requests_of("{\"overhead\":{\"cpu\":\"250m\"},\"containers\":[{\"resources\":{\"requests\":"
                "{\"cpu\":\"1\"}}}]}",
                &r, &nzc, &nzm);
    assert_int_equal(r.cpu, 1250);
    sres_release(&r);
}

static void test_cache_sums(void **state)
{
    struct sched_cache c = {0};
    json_t *a = tj("{\"metadata\":{\"uid\":\"a\"},\"spec\":{\"containers\":[{\"resources\":{"
                   "\"requests\":{\"cpu\":\"1\"}}}]}}");
    json_t *b = tj("{\"metadata\":{\"uid\":\"b\"},\"spec\":{\"containers\":[{\"resources\":{"
                   "\"requests\":{\"cpu\":\"2\"}}}]}}");

    sched__cache_set(&c, "ns/a", a, "n1", PREC_ASSUMED);
    sched__cache_set(&c, "ns/b", b, "n1", PREC_CONFIRMED);
    const struct node_sum *s = sched__cache_node(&c, "n1");
    assert_non_null(s);
    assert_int_equal(s->npods, 2);
    assert_int_equal(s->req.cpu, 3000);
    /* confirming the assumed pod changes nothing */
    sched__cache_set(&c, "ns/a", a, "n1", PREC_CONFIRMED);
    assert_int_equal(sched__cache_node(&c, "n1")->npods, 2);
    /* moving a pod moves its requests */
    sched__cache_set(&c, "ns/a", a, "n2", PREC_CONFIRMED);
    assert_int_equal(sched__cache_node(&c, "n1")->req.cpu, 2000);
    assert_int_equal(sched__cache_node(&c, "n2")->req.cpu, 1000);
    sched__cache_del(&c, "ns/a");
    sched__cache_del(&c, "ns/b");
    assert_null(sched__cache_node(&c, "n1"));
    assert_null(sched__cache_node(&c, "n2"));
    sched__cache_release(&c);
    json_decref(a);
    json_decref(b);
}

static void test_map(void **state)
{
    struct sched__map m = SCHED_MAP_INIT;
    char key[32];

    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_null(sched__map_put(&m, key, (void *)(intptr_t)(i + 1)));
    }
    assert_int_equal(m.n, 1000);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal((intptr_t)sched__map_del(&m, key), i + 1);
    }
    size_t seen = 0;
    for (struct sched__ent *e = NULL; (e = sched__map_next(&m, e));)
        seen++;
    assert_int_equal(seen, 500);
    assert_int_equal((intptr_t)sched__map_get(&m, "k1"), 2);
    assert_null(sched__map_get(&m, "k2"));
    sched__map_clear(&m, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toleration_matching),
        cmocka_unit_test(test_untolerated_taint),
        cmocka_unit_test(test_node_taints_not_ready),
        cmocka_unit_test(test_node_selector),
        cmocka_unit_test(test_required_affinity_operators),
        cmocka_unit_test(test_required_affinity_match_fields),
        cmocka_unit_test(test_preferred_affinity_score),
        cmocka_unit_test(test_pv_affinity_and_topology),
        cmocka_unit_test(test_pod_requests),
        cmocka_unit_test(test_cache_sums),
        cmocka_unit_test(test_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
