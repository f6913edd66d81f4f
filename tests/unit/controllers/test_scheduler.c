/* test_scheduler.c — the scheduler: its predicates (upstream's component-helpers cases), its
 * per-node bookkeeping, and whole scheduling cycles over the fake API (binding, failure
 * messages and conditions, retries, volume binding as STATEFULSET.md §6 describes it).
 */
#include "test.h"

#include <errno.h>
#include <unistd.h>

#include "base/alloc.h"
#include "client/fake.h"
#include "controllers/scheduler/internal.h"
#include "controllers/scheduler/scheduler.h"

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
    assert_true(tol("{\"key\":\"foo\",\"value\":\"bar\",\"effect\":\"NoSchedule\"}", "foo", "bar",
                    "NoSchedule"));
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
    assert_false(
        tol("{\"key\":\"foo\",\"operator\":\"Gt\",\"value\":\"1\"}", "foo", "2", "NoSchedule"));
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
    "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"         \
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

/* --- whole scheduling cycles over the fake API --- */

struct h {
    struct kclient *c;
    struct informer_factory *f;
    struct sched *s;
};

static void h_start(struct h *h)
{
    h->c = kfake_new();
    h->f = informer_factory_new(h->c);
    h->s = sched__new(h->c, h->f);
    h->s->initial_backoff_ms = 600000; /* retries only when a test asks for them */
    informer_factory_start(h->f);
    assert_true(informer_factory_wait_synced(h->f, 5000));
}

static void h_stop(struct h *h)
{
    informer_factory_stop(h->f);
    sched__free(h->s);
    informer_factory_free(h->f);
    kclient_free(h->c);
}

static void put(struct h *h, enum res_id r, const char *text)
{
    json_t *o = tj(text);
    assert_int_equal(kfake_put(h->c, r, o), 0);
    json_decref(o);
}

/* put with printf formatting */
static void putf(struct h *h, enum res_id r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void putf(struct h *h, enum res_id r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    put(h, r, s);
    free(s);
}

/* A Ready node with allocatable cpu/memory/pods, labels and spec (JSON texts). */
static void node(struct h *h, const char *name, const char *cpu, const char *mem, int pods,
                 const char *labels, const char *spec, const char *ready)
{
    putf(h, RES_NODES,
         "{\"metadata\":{\"name\":\"%s\",\"labels\":%s},\"spec\":%s,\"status\":{\"allocatable\":"
         "{\"cpu\":\"%s\",\"memory\":\"%s\",\"pods\":\"%d\"},\"conditions\":[{\"type\":\"Ready\","
         "\"status\":\"%s\"}]}}",
         name, labels ? labels : "{}", spec ? spec : "{}", cpu, mem, pods, ready ? ready : "True");
}

/* A pending pod in namespace default with the given spec fields (JSON, without braces). */
static void pod(struct h *h, const char *name, const char *spec)
{
    putf(h, RES_PODS,
         "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"uid-%s\"},"
         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]%s%s},\"status\":"
         "{\"phase\":\"Pending\"}}",
         name, name, spec && *spec ? "," : "", spec ? spec : "");
}

static int sync_key(struct h *h, const char *key)
{
    kfake_flush(h->c);
    int rc = sched__sync(h->s, key);
    kfake_flush(h->c);
    return rc;
}

static char *node_of(struct h *h, const char *name)
{
    json_t *p = kfake_get(h->c, RES_PODS, "default", name);
    const char *n = jpath_str(p, "spec.nodeName");
    char *r = n ? xstrdup(n) : NULL;
    json_decref(p);
    return r;
}

static void assert_on(struct h *h, const char *pod_name, const char *want)
{
    char *n = node_of(h, pod_name);
    if (!want) {
        if (n)
            fail_msg("pod %s bound to %s, wanted unbound", pod_name, n);
        return;
    }
    if (!n || strcmp(n, want))
        fail_msg("pod %s on %s, wanted %s", pod_name, n ? n : "(none)", want);
    free(n);
}

/* The pod's PodScheduled condition (new reference) or NULL. */
static json_t *scheduled_cond(struct h *h, const char *name)
{
    json_t *p = kfake_get(h->c, RES_PODS, "default", name), *found = NULL;
    size_t i;
    json_t *c;
    json_array_foreach (jpath(p, "status.conditions"), i, c)
        if (!strcmp(jget_str(c, "type"), "PodScheduled"))
            found = json_incref(c);
    json_decref(p);
    return found;
}

static void assert_unschedulable(struct h *h, const char *name, const char *msg)
{
    json_t *c = scheduled_cond(h, name);
    if (!c)
        fail_msg("pod %s has no PodScheduled condition", name);
    assert_string_equal(jget_str(c, "status"), "False");
    assert_string_equal(jget_str(c, "reason"), "Unschedulable");
    assert_string_equal(jget_str(c, "message"), msg);
    assert_non_null(jget_str(c, "lastTransitionTime"));
    json_decref(c);
    assert_on(h, name, NULL);
}

/* Write out the recorder's queue (and start a new one). */
static void flush_events(struct h *h)
{
    recorder_flush(h->s->rec);
    h->s->rec = recorder_new(h->c, SCHED_NAME, "");
    kfake_flush(h->c);
}

/* How many events of reason about the pod; *last gets the last message (borrowed until the
 * next call) when not NULL. */
static json_t *last_events;
static int events_of(struct h *h, const char *pod_name, const char *reason, const char **last)
{
    json_decref(last_events);
    last_events = kfake_list(h->c, RES_EVENTS, "default");
    size_t i;
    json_t *e;
    int n = 0;
    json_array_foreach (last_events, i, e) {
        if (strcmp(jpath_str(e, "involvedObject.name"), pod_name) ||
            strcmp(jget_str(e, "reason"), reason))
            continue;
        n += (int)jget_int(e, "count", 1);
        if (last)
            *last = jget_str(e, "message");
        assert_string_equal(jpath_str(e, "source.component"), "default-scheduler");
    }
    return n;
}

static void test_binds_to_ready_node(void **state)
{
    struct h h;
    const char *msg = NULL;

    h_start(&h);
    node(&h, "n1", "4", "8Gi", 110, NULL, NULL, NULL);
    pod(&h, "p", NULL);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n1");
    assert_int_equal(kfake_calls(h.c, "bind", RES_PODS), 1);
    flush_events(&h);
    assert_int_equal(events_of(&h, "p", "Scheduled", &msg), 1);
    assert_string_equal(msg, "Successfully assigned default/p to n1");
    /* the pod is bound: another pass does nothing */
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_int_equal(kfake_calls(h.c, "bind", RES_PODS), 1);
    /* it counts on the node now */
    pthread_mutex_lock(&h.s->mu);
    const struct node_sum *sum = sched__cache_node(&h.s->cache, "n1");
    assert_non_null(sum);
    assert_int_equal(sum->npods, 1);
    pthread_mutex_unlock(&h.s->mu);
    h_stop(&h);
}

static void test_no_nodes(void **state)
{
    struct h h;
    const char *msg = NULL;

    h_start(&h);
    pod(&h, "p", NULL);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_unschedulable(&h, "p", "no nodes available to schedule pods");
    flush_events(&h);
    assert_int_equal(events_of(&h, "p", "FailedScheduling", &msg), 1);
    assert_string_equal(msg, "no nodes available to schedule pods");
    h_stop(&h);
}

static void test_filters_and_message(void **state)
{
    struct h h;
    const char *msg = NULL;

    h_start(&h);
    node(&h, "a-notready", "4", "8Gi", 110, "{\"disk\":\"ssd\"}", NULL, "False");
    node(&h, "b-unknown", "4", "8Gi", 110, "{\"disk\":\"ssd\"}", NULL, "Unknown");
    node(&h, "c-hdd", "4", "8Gi", 110, "{\"disk\":\"hdd\"}", NULL, NULL);
    node(&h, "d-cordoned", "4", "8Gi", 110, "{\"disk\":\"ssd\"}", "{\"unschedulable\":true}", NULL);
    node(&h, "e-tainted", "4", "8Gi", 110, "{\"disk\":\"ssd\"}",
         "{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]}", NULL);
    node(&h, "f-small", "1", "8Gi", 110, "{\"disk\":\"ssd\"}", NULL, NULL);
    pod(&h, "p",
        "\"nodeSelector\":{\"disk\":\"ssd\"},\"containers\":[{\"name\":\"c\",\"image\":\"i\","
        "\"resources\":{\"requests\":{\"cpu\":\"2\"}}}]");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    const char *want =
        "0/6 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
        "affinity/selector, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had "
        "untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable. preemption: 0/6 nodes "
        "are available: 1 No preemption victims found for incoming pod, 5 Preemption is not "
        "helpful for scheduling.";
    assert_unschedulable(&h, "p", want);
    flush_events(&h);
    assert_int_equal(events_of(&h, "p", "FailedScheduling", &msg), 1);
    assert_string_equal(msg, want);

    /* the same outcome again: no second status write (the event is repeated) */
    int patches = kfake_calls(h.c, "patch/status", RES_PODS) + kfake_calls(h.c, "patch", RES_PODS);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_int_equal(
        kfake_calls(h.c, "patch/status", RES_PODS) + kfake_calls(h.c, "patch", RES_PODS), patches);
    flush_events(&h);
    assert_int_equal(events_of(&h, "p", "FailedScheduling", NULL), 2);

    /* a pod tolerating the taint goes to the tainted node */
    pod(&h, "t",
        "\"nodeSelector\":{\"disk\":\"ssd\"},\"tolerations\":[{\"key\":\"dedicated\","
        "\"operator\":\"Equal\",\"value\":\"db\",\"effect\":\"NoSchedule\"}],\"containers\":[{"
        "\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"2\"}}}]");
    assert_int_equal(sync_key(&h, "default/t"), 0);
    assert_on(&h, "t", "e-tainted");
    /* tolerating node.kubernetes.io/unschedulable lets a pod onto a cordoned node */
    pod(&h, "u",
        "\"nodeSelector\":{\"disk\":\"ssd\"},\"tolerations\":[{\"key\":"
        "\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":"
        "\"NoSchedule\"}],\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{"
        "\"requests\":{\"cpu\":\"3\"}}}]");
    assert_int_equal(sync_key(&h, "default/u"), 0);
    assert_on(&h, "u", "d-cordoned");
    h_stop(&h);
}

static void test_preemption_policy_never(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "1", "1Gi", 110, NULL, NULL, NULL);
    pod(&h, "p",
        "\"preemptionPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"i\","
        "\"resources\":{\"requests\":{\"memory\":\"2Gi\"}}}]");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_unschedulable(&h, "p",
                         "0/1 nodes are available: 1 Insufficient memory. preemption: not "
                         "eligible due to preemptionPolicy=Never.");
    h_stop(&h);
}

static void test_least_requested_and_accounting(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "big", "4", "4Gi", 110, NULL, NULL, NULL);
    node(&h, "small", "2", "4Gi", 110, NULL, NULL, NULL);
    const char *req = "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{"
                      "\"requests\":{\"cpu\":\"1500m\",\"memory\":\"1Gi\"}}}]";
    /* the emptiest node first, then the other once the first is fuller */
    pod(&h, "p1", req);
    assert_int_equal(sync_key(&h, "default/p1"), 0);
    assert_on(&h, "p1", "big");
    pod(&h, "p2", req);
    assert_int_equal(sync_key(&h, "default/p2"), 0);
    assert_on(&h, "p2", "small");
    pod(&h, "p3", req);
    assert_int_equal(sync_key(&h, "default/p3"), 0);
    assert_on(&h, "p3", "big");
    /* big has 1 cpu left and small 0.5: nothing fits any more */
    pod(&h, "p4", req);
    assert_int_equal(sync_key(&h, "default/p4"), 0);
    assert_unschedulable(&h, "p4",
                         "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                         "available: 2 No preemption victims found for incoming pod.");
    /* a terminal pod does not count: p1 failing frees its share of big */
    json_t *p1 = kfake_get(h.c, RES_PODS, "default", "p1");
    jset_str(jensure_obj(p1, "status"), "phase", "Failed");
    kfake_put(h.c, RES_PODS, p1);
    json_decref(p1);
    assert_int_equal(sync_key(&h, "default/p4"), 0);
    assert_on(&h, "p4", "big");
    /* nor does a deleted one */
    kfake_remove(h.c, RES_PODS, "default", "p2");
    pod(&h, "p5", req);
    assert_int_equal(sync_key(&h, "default/p5"), 0);
    assert_on(&h, "p5", "small");
    h_stop(&h);
}

static void test_pod_count(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "4", "4Gi", 1, NULL, NULL, NULL);
    putf(&h, RES_PODS,
         "{\"metadata\":{\"name\":\"there\",\"namespace\":\"default\",\"uid\":\"u0\"},"
         "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
         "\"status\":{\"phase\":\"Running\"}}");
    pod(&h, "p", NULL);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_unschedulable(&h, "p",
                         "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are "
                         "available: 1 No preemption victims found for incoming pod.");
    /* the pod leaving the node makes room: the waiting pod is queued again at once */
    while (wq_len(h.s->q)) {
        char *d = wq_get(h.s->q);
        wq_done(h.s->q, d);
        free(d);
    }
    kfake_remove(h.c, RES_PODS, "default", "there");
    kfake_flush(h.c);
    assert_true(wq_len(h.s->q) >= 1);
    char *k = wq_get(h.s->q);
    assert_string_equal(k, "default/p");
    assert_int_equal(sched__sync(h.s, k), 0);
    wq_done(h.s->q, k);
    free(k);
    kfake_flush(h.c);
    assert_on(&h, "p", "n1");
    h_stop(&h);
}

static void test_retry_on_node_change(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "4", "4Gi", 110, NULL, NULL, NULL);
    pod(&h, "p", "\"nodeSelector\":{\"disk\":\"ssd\"}");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", NULL);
    while (wq_len(h.s->q)) {
        char *k = wq_get(h.s->q);
        wq_done(h.s->q, k);
        free(k);
    }
    /* our own status write must not have queued the pod again */
    assert_int_equal(wq_len(h.s->q), 0);
    /* a node status heartbeat changes nothing that matters: not queued */
    node(&h, "n1", "4", "4Gi", 110, NULL, NULL, NULL);
    kfake_flush(h.c);
    assert_int_equal(wq_len(h.s->q), 0);
    /* a label does */
    node(&h, "n1", "4", "4Gi", 110, "{\"disk\":\"ssd\"}", NULL, NULL);
    kfake_flush(h.c);
    assert_int_equal(wq_len(h.s->q), 1);
    char *k = wq_get(h.s->q);
    assert_int_equal(sched__sync(h.s, k), 0);
    wq_done(h.s->q, k);
    free(k);
    kfake_flush(h.c);
    assert_on(&h, "p", "n1");
    h_stop(&h);
}

static void test_not_ours(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "4", "4Gi", 110, NULL, NULL, NULL);
    pod(&h, "other", "\"schedulerName\":\"my-scheduler\"");
    pod(&h, "gated", "\"schedulingGates\":[{\"name\":\"example.com/wait\"}]");
    assert_int_equal(sync_key(&h, "default/other"), 0);
    assert_int_equal(sync_key(&h, "default/gated"), 0);
    assert_on(&h, "other", NULL);
    assert_on(&h, "gated", NULL);
    assert_null(scheduled_cond(&h, "other"));
    json_t *c = scheduled_cond(&h, "gated");
    assert_non_null(c);
    assert_string_equal(jget_str(c, "reason"), "SchedulingGated");
    assert_string_equal(jget_str(c, "message"),
                        "Scheduling is blocked due to non-empty scheduling gates");
    json_decref(c);
    assert_int_equal(kfake_calls(h.c, "bind", RES_PODS), 0);
    /* the explicit default name is ours */
    pod(&h, "named", "\"schedulerName\":\"default-scheduler\"");
    assert_int_equal(sync_key(&h, "default/named"), 0);
    assert_on(&h, "named", "n1");
    h_stop(&h);
}

static void test_bind_failure(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "1", "4Gi", 110, NULL, NULL, NULL);
    const char *req = "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{"
                      "\"requests\":{\"cpu\":\"600m\"}}}]";
    pod(&h, "p", req);
    kfake_fail_after(h.c, "bind", RES_PODS, 0, -EIO);
    assert_true(sync_key(&h, "default/p") < 0);
    kfake_clear_failures(h.c);
    /* the reservation was dropped: another pod can have the cpu */
    pthread_mutex_lock(&h.s->mu);
    assert_null(sched__cache_node(&h.s->cache, "n1"));
    pthread_mutex_unlock(&h.s->mu);
    json_t *c = scheduled_cond(&h, "p");
    assert_non_null(c);
    assert_string_equal(jget_str(c, "reason"), "SchedulerError");
    json_decref(c);
    /* and the retry binds it */
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n1");
    h_stop(&h);
}

/* --- volumes --- */

static void classes(struct h *h)
{
    put(h, RES_STORAGECLASSES,
        "{\"metadata\":{\"name\":\"now\"},\"provisioner\":\"kubernetes.io/no-provisioner\","
        "\"volumeBindingMode\":\"Immediate\"}");
    put(h, RES_STORAGECLASSES,
        "{\"metadata\":{\"name\":\"static\"},\"provisioner\":\"kubernetes.io/no-provisioner\","
        "\"volumeBindingMode\":\"WaitForFirstConsumer\"}");
    put(h, RES_STORAGECLASSES,
        "{\"metadata\":{\"name\":\"dyn\"},\"provisioner\":\"berth.io/local-path\","
        "\"volumeBindingMode\":\"WaitForFirstConsumer\"}");
}

static void claim(struct h *h, const char *name, const char *cls, const char *size,
                  const char *extra)
{
    putf(h, RES_PERSISTENTVOLUMECLAIMS,
         "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"c-%s\"%s},"
         "\"spec\":{\"storageClassName\":\"%s\",\"accessModes\":[\"ReadWriteOnce\"],"
         "\"resources\":{\"requests\":{\"storage\":\"%s\"}}},\"status\":{\"phase\":"
         "\"Pending\"}}",
         name, name, extra ? extra : "", cls, size);
}

/* A PV of class cls pinned to hostname host (NULL: anywhere). */
static void volume(struct h *h, const char *name, const char *cls, const char *size,
                   const char *host, const char *extra)
{
    char *aff = host ? xasprintf(",\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
                                 "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\","
                                 "\"operator\":\"In\",\"values\":[\"%s\"]}]}]}}",
                                 host)
                     : xstrdup("");
    putf(h, RES_PERSISTENTVOLUMES,
         "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"storageClassName\":\"%s\",\"capacity\":{"
         "\"storage\":\"%s\"},\"accessModes\":[\"ReadWriteOnce\"],\"hostPath\":{\"path\":"
         "\"/x\"}%s%s},\"status\":{\"phase\":\"Available\"}}",
         name, cls, size, aff, extra ? extra : "");
    free(aff);
}

static void claim_pod(struct h *h, const char *name, const char *claim_name)
{
    char *spec = xasprintf("\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":{"
                           "\"claimName\":\"%s\"}}]",
                           claim_name);
    pod(h, name, spec);
    free(spec);
}

static void host_node(struct h *h, const char *name)
{
    char *labels = xasprintf("{\"kubernetes.io/hostname\":\"%s\"}", name);
    node(h, name, "4", "4Gi", 110, labels, NULL, NULL);
    free(labels);
}

/* What the PV controller does once a PV is pre-bound: both sides bound. */
static void complete_bind(struct h *h, const char *claim_name, const char *pv_name)
{
    json_t *c = kfake_get(h->c, RES_PERSISTENTVOLUMECLAIMS, "default", claim_name);
    jset_str(jensure_obj(c, "spec"), "volumeName", pv_name);
    jset_str(jensure_obj(jensure_obj(c, "metadata"), "annotations"),
             "pv.kubernetes.io/bind-completed", "yes");
    jset_str(jensure_obj(c, "status"), "phase", "Bound");
    kfake_put(h->c, RES_PERSISTENTVOLUMECLAIMS, c);
    json_decref(c);
    json_t *v = kfake_get(h->c, RES_PERSISTENTVOLUMES, NULL, pv_name);
    jset_str(jensure_obj(v, "status"), "phase", "Bound");
    kfake_put(h->c, RES_PERSISTENTVOLUMES, v);
    json_decref(v);
}

static void test_volume_prefilter(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    claim(&h, "imm", "now", "1Gi", NULL);
    claim_pod(&h, "p-imm", "imm");
    assert_int_equal(sync_key(&h, "default/p-imm"), 0);
    assert_unschedulable(&h, "p-imm",
                         "0/1 nodes are available: pod has unbound immediate "
                         "PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 "
                         "Preemption is not helpful for scheduling.");
    /* a claim with no class is Immediate too, and so is a missing class */
    claim(&h, "nocls", "", "1Gi", NULL);
    claim_pod(&h, "p-nocls", "nocls");
    assert_int_equal(sync_key(&h, "default/p-nocls"), 0);
    claim(&h, "ghostcls", "ghost", "1Gi", NULL);
    claim_pod(&h, "p-ghostcls", "ghostcls");
    assert_int_equal(sync_key(&h, "default/p-ghostcls"), 0);
    assert_on(&h, "p-nocls", NULL);
    assert_on(&h, "p-ghostcls", NULL);

    claim_pod(&h, "p-missing", "nosuch");
    assert_int_equal(sync_key(&h, "default/p-missing"), 0);
    assert_unschedulable(&h, "p-missing",
                         "0/1 nodes are available: persistentvolumeclaim \"nosuch\" not found. "
                         "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                         "scheduling.");
    claim(&h, "dying", "static", "1Gi", ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"");
    claim_pod(&h, "p-dying", "dying");
    assert_int_equal(sync_key(&h, "default/p-dying"), 0);
    assert_unschedulable(&h, "p-dying",
                         "0/1 nodes are available: persistentvolumeclaim \"dying\" is being "
                         "deleted. preemption: 0/1 nodes are available: 1 Preemption is not "
                         "helpful for scheduling.");
    /* bound to a PV that does not exist */
    claim(&h, "orphan", "static", "1Gi",
          ",\"annotations\":{\"pv.kubernetes.io/bind-completed\":\"yes\"}");
    json_t *c = kfake_get(h.c, RES_PERSISTENTVOLUMECLAIMS, "default", "orphan");
    jset_str(jensure_obj(c, "spec"), "volumeName", "gone");
    kfake_put(h.c, RES_PERSISTENTVOLUMECLAIMS, c);
    json_decref(c);
    claim_pod(&h, "p-orphan", "orphan");
    assert_int_equal(sync_key(&h, "default/p-orphan"), 0);
    assert_unschedulable(&h, "p-orphan",
                         "0/1 nodes are available: 1 node(s) unavailable due to one or more "
                         "pvc(s) bound to non-existent pv(s). preemption: 0/1 nodes are "
                         "available: 1 Preemption is not helpful for scheduling.");
    assert_int_equal(kfake_calls(h.c, "bind", RES_PODS), 0);
    h_stop(&h);
}

static void test_bound_volume_affinity(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    host_node(&h, "n2");
    volume(&h, "pv2", "now", "1Gi", "n2", NULL);
    claim(&h, "data", "now", "1Gi",
          ",\"annotations\":{\"pv.kubernetes.io/bind-completed\":\"yes\"}");
    complete_bind(&h, "data", "pv2");
    claim_pod(&h, "p", "data");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n2"); /* whatever the scores say */

    volume(&h, "pv9", "now", "1Gi", "n9", NULL);
    claim(&h, "far", "now", "1Gi", NULL);
    complete_bind(&h, "far", "pv9");
    claim_pod(&h, "q", "far");
    assert_int_equal(sync_key(&h, "default/q"), 0);
    assert_unschedulable(&h, "q",
                         "0/2 nodes are available: 2 node(s) had volume node affinity conflict. "
                         "preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
                         "scheduling.");
    h_stop(&h);
}

static void test_static_prebinding(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    host_node(&h, "n2");
    /* candidates: too small, other class, taken, pinned to n2, and two that fit on n1 */
    volume(&h, "tiny", "static", "500Mi", "n1", NULL);
    volume(&h, "othercls", "dyn", "1Gi", "n1", NULL);
    volume(&h, "taken", "static", "1Gi", "n1",
           ",\"claimRef\":{\"namespace\":\"default\",\"name\":\"someone\"}");
    volume(&h, "big", "static", "10Gi", "n1", NULL);
    volume(&h, "fits", "static", "2Gi", "n1", NULL);
    volume(&h, "rwx", "static", "1Gi", "n1", NULL);
    json_t *v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "rwx");
    json_object_set_new(jensure_obj(v, "spec"), "accessModes", tj("[\"ReadOnlyMany\"]"));
    kfake_put(h.c, RES_PERSISTENTVOLUMES, v);
    json_decref(v);
    claim(&h, "data", "static", "1Gi", NULL);
    claim_pod(&h, "p", "data");

    assert_int_equal(sync_key(&h, "default/p"), 0);
    /* PreBind: the smallest fitting PV got the claim, with its uid; the pod waits */
    v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "fits");
    assert_string_equal(jpath_str(v, "spec.claimRef.name"), "data");
    assert_string_equal(jpath_str(v, "spec.claimRef.namespace"), "default");
    assert_string_equal(jpath_str(v, "spec.claimRef.uid"), "c-data");
    assert_string_equal(jpath_str(v, "spec.claimRef.kind"), "PersistentVolumeClaim");
    assert_string_equal(
        jget_str(jpath(v, "metadata.annotations"), "pv.kubernetes.io/bound-by-controller"), "yes");
    json_decref(v);
    v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "big");
    assert_null(jpath(v, "spec.claimRef"));
    json_decref(v);
    assert_on(&h, "p", NULL);
    assert_null(scheduled_cond(&h, "p")); /* waiting is not a failure */
    /* the pod's resources are held on n1 meanwhile */
    pthread_mutex_lock(&h.s->mu);
    struct pod_rec *r = sched__cache_get(&h.s->cache, "default/p");
    assert_non_null(r);
    assert_string_equal(r->node, "n1");
    pthread_mutex_unlock(&h.s->mu);
    /* syncing again while the binder has not acted writes nothing new */
    int updates = kfake_calls(h.c, "update", RES_PERSISTENTVOLUMES);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_int_equal(kfake_calls(h.c, "update", RES_PERSISTENTVOLUMES), updates);
    assert_on(&h, "p", NULL);

    /* a second pod's claim cannot have the same volume */
    claim(&h, "data2", "static", "1500Mi", NULL);
    claim_pod(&h, "p2", "data2");
    assert_int_equal(sync_key(&h, "default/p2"), 0);
    v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "big");
    assert_string_equal(jpath_str(v, "spec.claimRef.name"), "data2");
    json_decref(v);

    /* the binder completes: the pod is bound to n1 */
    complete_bind(&h, "data", "fits");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n1");

    /* no volume left for a third claim anywhere */
    claim(&h, "data3", "static", "1Gi", NULL);
    claim_pod(&h, "p3", "data3");
    assert_int_equal(sync_key(&h, "default/p3"), 0);
    assert_unschedulable(&h, "p3",
                         "0/2 nodes are available: 2 node(s) didn't find available persistent "
                         "volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is "
                         "not helpful for scheduling.");
    h_stop(&h);
}

static void test_prebound_volume(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    host_node(&h, "n2");
    /* a user pre-bound a PV on n2 to the claim (claimRef without uid) */
    volume(&h, "mine", "static", "1Gi", "n2",
           ",\"claimRef\":{\"namespace\":\"default\",\"name\":\"data\"}");
    volume(&h, "spare", "static", "1Gi", "n1", NULL);
    claim(&h, "data", "static", "1Gi", NULL);
    claim_pod(&h, "p", "data");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    json_t *v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "mine");
    assert_string_equal(jpath_str(v, "spec.claimRef.uid"), "c-data");
    /* the user's pre-binding is not marked as the controller's */
    assert_null(jget(jpath(v, "metadata.annotations"), "pv.kubernetes.io/bound-by-controller"));
    json_decref(v);
    v = kfake_get(h.c, RES_PERSISTENTVOLUMES, NULL, "spare");
    assert_null(jpath(v, "spec.claimRef"));
    json_decref(v);
    complete_bind(&h, "data", "mine");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n2");
    h_stop(&h);
}

static void test_dynamic_provisioning(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    claim(&h, "data", "dyn", "1Gi", NULL);
    claim_pod(&h, "p", "data");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    json_t *c = kfake_get(h.c, RES_PERSISTENTVOLUMECLAIMS, "default", "data");
    assert_string_equal(
        jget_str(jpath(c, "metadata.annotations"), "volume.kubernetes.io/selected-node"), "n1");
    json_decref(c);
    assert_on(&h, "p", NULL);
    /* waiting: another pass writes nothing */
    int patches = kfake_calls(h.c, "patch", RES_PERSISTENTVOLUMECLAIMS);
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_int_equal(kfake_calls(h.c, "patch", RES_PERSISTENTVOLUMECLAIMS), patches);
    /* the provisioner makes a PV for n1 and the binder binds */
    volume(&h, "pvc-data", "dyn", "1Gi", "n1",
           ",\"claimRef\":{\"namespace\":\"default\",\"name\":\"data\",\"uid\":\"c-data\"}");
    complete_bind(&h, "data", "pvc-data");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    assert_on(&h, "p", "n1");

    /* a claim already annotated for another node only fits that node */
    host_node(&h, "n2");
    claim(&h, "elsewhere", "dyn", "1Gi",
          ",\"annotations\":{\"volume.kubernetes.io/selected-node\":\"n2\"}");
    claim_pod(&h, "q", "elsewhere");
    assert_int_equal(sync_key(&h, "default/q"), 0);
    assert_on(&h, "q", NULL);
    pthread_mutex_lock(&h.s->mu);
    struct pod_rec *r = sched__cache_get(&h.s->cache, "default/q");
    assert_non_null(r);
    assert_string_equal(r->node, "n2");
    pthread_mutex_unlock(&h.s->mu);

    /* a class without a provisioner and no volume: nothing fits */
    claim(&h, "nostatic", "static", "1Gi", NULL);
    claim_pod(&h, "s", "nostatic");
    assert_int_equal(sync_key(&h, "default/s"), 0);
    assert_unschedulable(&h, "s",
                         "0/2 nodes are available: 2 node(s) didn't find available persistent "
                         "volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is "
                         "not helpful for scheduling.");
    h_stop(&h);
}

static void test_claim_event_wakes_pod(void **state)
{
    struct h h;

    h_start(&h);
    classes(&h);
    host_node(&h, "n1");
    claim(&h, "data", "now", "1Gi", NULL);
    claim_pod(&h, "p", "data");
    assert_int_equal(sync_key(&h, "default/p"), 0);
    while (wq_len(h.s->q)) {
        char *k = wq_get(h.s->q);
        wq_done(h.s->q, k);
        free(k);
    }
    /* the PV controller binds the Immediate claim: the pod is looked at again */
    volume(&h, "pv", "now", "1Gi", NULL, NULL);
    complete_bind(&h, "data", "pv");
    kfake_flush(h.c);
    assert_true(wq_len(h.s->q) >= 1);
    char *k = wq_get(h.s->q);
    assert_string_equal(k, "default/p");
    assert_int_equal(sched__sync(h.s, k), 0);
    wq_done(h.s->q, k);
    free(k);
    kfake_flush(h.c);
    assert_on(&h, "p", "n1");
    h_stop(&h);
}

static void test_many_pods(void **state)
{
    struct h h;
    char name[32], key[48];

    h_start(&h);
    node(&h, "n1", "64", "256Gi", 2000, NULL, NULL, NULL);
    node(&h, "n2", "64", "256Gi", 2000, NULL, NULL, NULL);
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        pod(&h, name, NULL);
    }
    kfake_flush(h.c);
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "default/p%d", i);
        assert_int_equal(sched__sync(h.s, key), 0);
    }
    kfake_flush(h.c);
    int on1 = 0, on2 = 0;
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        char *n = node_of(&h, name);
        assert_non_null(n);
        on1 += !strcmp(n, "n1");
        on2 += !strcmp(n, "n2");
        free(n);
    }
    /* least requested spreads them evenly */
    assert_int_equal(on1, 250);
    assert_int_equal(on2, 250);
    assert_int_equal(kfake_calls(h.c, "list", RES_PODS), 1); /* the informer's, nothing more */
    h_stop(&h);
}

/* The real thing: workers in parallel, informers live. No node is ever overcommitted. */
static void test_concurrent_workers_never_overcommit(void **state)
{
    struct kclient *c = kfake_new();
    struct informer_factory *f = informer_factory_new(c);
    struct ctrl_env env = {.client = c, .informers = f, .node_name = "n1"};
    void *st = NULL;
    char name[32];

    assert_int_equal(scheduler_controller_def.start(&env, &st), 0);
    informer_factory_start(f);
    assert_true(informer_factory_wait_synced(f, 5000));
    json_t *n = tj("{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":"
                   "\"5\",\"memory\":\"64Gi\",\"pods\":\"500\"},\"conditions\":[{\"type\":"
                   "\"Ready\",\"status\":\"True\"}]}}");
    kfake_put(c, RES_NODES, n);
    json_decref(n);
    n = tj("{\"metadata\":{\"name\":\"n2\"},\"status\":{\"allocatable\":{\"cpu\":"
           "\"3\",\"memory\":\"64Gi\",\"pods\":\"500\"},\"conditions\":[{\"type\":"
           "\"Ready\",\"status\":\"True\"}]}}");
    kfake_put(c, RES_NODES, n);
    json_decref(n);
    for (int i = 0; i < 120; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        char *t = xasprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\","
                            "\"uid\":\"u%d\"},\"spec\":{\"containers\":[{\"name\":\"c\","
                            "\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":"
                            "\"100m\"}}}]}}",
                            name, i);
        json_t *p = tj(t);
        kfake_put(c, RES_PODS, p);
        json_decref(p);
        free(t);
    }
    /* 5 cpu + 3 cpu = 80 pods of 100m; the other 40 must stay Pending */
    int on1 = 0, on2 = 0, failed = 0;
    for (int tries = 0; tries < 200; tries++) {
        kfake_flush(c);
        json_t *all = kfake_list(c, RES_PODS, "default");
        size_t i;
        json_t *p;
        on1 = on2 = failed = 0;
        json_array_foreach (all, i, p) {
            const char *nn = jpath_str(p, "spec.nodeName");
            if (nn && !strcmp(nn, "n1"))
                on1++;
            else if (nn && !strcmp(nn, "n2"))
                on2++;
            else if (json_array_size(jpath(p, "status.conditions")))
                failed++;
        }
        json_decref(all);
        if (on1 + on2 + failed == 120)
            break;
        usleep(20000);
    }
    assert_int_equal(on1, 50);
    assert_int_equal(on2, 30);
    assert_int_equal(failed, 40);
    informer_factory_stop(f);
    scheduler_controller_def.stop(st);
    informer_factory_free(f);
    kclient_free(c);
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
        cmocka_unit_test(test_binds_to_ready_node),
        cmocka_unit_test(test_no_nodes),
        cmocka_unit_test(test_filters_and_message),
        cmocka_unit_test(test_preemption_policy_never),
        cmocka_unit_test(test_least_requested_and_accounting),
        cmocka_unit_test(test_pod_count),
        cmocka_unit_test(test_retry_on_node_change),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_bind_failure),
        cmocka_unit_test(test_volume_prefilter),
        cmocka_unit_test(test_bound_volume_affinity),
        cmocka_unit_test(test_static_prebinding),
        cmocka_unit_test(test_prebound_volume),
        cmocka_unit_test(test_dynamic_provisioning),
        cmocka_unit_test(test_claim_event_wakes_pod),
        cmocka_unit_test(test_many_pods),
        cmocka_unit_test(test_concurrent_workers_never_overcommit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
