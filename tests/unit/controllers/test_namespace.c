/* test_namespace.c — namespace deletion passes and the default ServiceAccount, over the fake
 * API with the server's deletion rules in front (apisim.h). */
#include "test.h"

#include <unistd.h>

#include "apisim.h"
#include "base/ktime.h"
#include "base/strbuf.h"
#include "client/informer.h"
#include "controllers/namespace/namespace.h"

/* A namespace; deleted_ago < 0: not being deleted. */
static void put_ns(struct kclient *c, const char *name, long deleted_ago, const char *phase,
                   const char *spec_finalizers)
{
    char ts[KTIME_BUFSZ];
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\","
                "\"uid\":\"uid-%s\"",
                name, name);
    if (deleted_ago >= 0)
        strbuf_addf(&sb, ",\"deletionTimestamp\":\"%s\",\"deletionGracePeriodSeconds\":0",
                    ktime_format(ktime_now() - deleted_ago, ts));
    strbuf_addf(&sb, "},\"spec\":{\"finalizers\":%s},\"status\":{\"phase\":\"%s\"}}",
                spec_finalizers, phase);
    apisim_put(c, RES_NAMESPACES, sb.buf);
    strbuf_release(&sb);
}

#define DOOMED(c) put_ns(c, "doomed", 0, "Terminating", "[\"kubernetes\"]")

#define CM(name, ns, extra_meta)                                                                   \
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name                 \
    "\",\"namespace\":\"" ns "\",\"uid\":\"u-" name "-" ns "\"" extra_meta "},\"data\":{}}"

/* One object of every namespaced kind of the table, in namespace doomed. */
static void put_every_kind(struct kclient *c)
{
    static const struct {
        enum res_id r;
        const char *json;
    } objs[] = {
        {RES_PODS, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                   "\"namespace\":\"doomed\",\"uid\":\"u1\"},\"spec\":{\"containers\":"
                   "[{\"name\":\"c\",\"image\":\"i\"}]}}"},
        {RES_SERVICES, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
                       "\"svc\",\"namespace\":\"doomed\",\"uid\":\"u2\"},\"spec\":{\"ports\":"
                       "[{\"port\":80}]}}"},
        {RES_ENDPOINTS, "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":"
                        "\"svc\",\"namespace\":\"doomed\",\"uid\":\"u3\"}}"},
        {RES_PERSISTENTVOLUMECLAIMS,
         "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":"
         "\"data\",\"namespace\":\"doomed\",\"uid\":\"u4\"},\"spec\":{\"accessModes\":"
         "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}"},
        {RES_EVENTS, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"p.1\","
                     "\"namespace\":\"doomed\",\"uid\":\"u5\"},\"involvedObject\":{\"kind\":"
                     "\"Pod\",\"name\":\"p\",\"namespace\":\"doomed\"},\"reason\":\"X\"}"},
        {RES_CONFIGMAPS, CM("cm", "doomed", "")},
        {RES_SECRETS, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
                      "\"s\",\"namespace\":\"doomed\",\"uid\":\"u7\"}}"},
        {RES_SERVICEACCOUNTS, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":"
                              "{\"name\":\"default\",\"namespace\":\"doomed\",\"uid\":\"u8\"}}"},
        {RES_STATEFULSETS,
         "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\","
         "\"namespace\":\"doomed\",\"uid\":\"u9\"},\"spec\":{\"serviceName\":\"web\","
         "\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":"
         "{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}"},
        {RES_CONTROLLERREVISIONS,
         "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"metadata\":{\"name\":"
         "\"web-1\",\"namespace\":\"doomed\",\"uid\":\"u10\"},\"revision\":1}"},
        {RES_LEASES, "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
                     "\"metadata\":{\"name\":\"l\",\"namespace\":\"doomed\",\"uid\":\"u11\"},"
                     "\"spec\":{}}"},
        {RES_ENDPOINTSLICES,
         "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":"
         "{\"name\":\"svc-x\",\"namespace\":\"doomed\",\"uid\":\"u12\"},\"addressType\":"
         "\"IPv4\",\"endpoints\":[]}"},
    };
    /* the table is the contract: a kind added without a line here fails the test */
    size_t namespaced = 0;
    for (int i = 0; i < RES_COUNT; i++)
        namespaced += resource_get((enum res_id)i)->namespaced;
    assert_int_equal(namespaced, ARRAY_SIZE(objs));
    for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
        apisim_put(c, objs[i].r, objs[i].json);
}

static size_t count_in(struct kclient *c, enum res_id r, const char *ns)
{
    json_t *l = kfake_list(apisim_fake(c), r, ns);
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

/* The namespace's condition of type `type` as {"status","reason","message"} (a new value). */
static json_t *condition(struct kclient *c, const char *ns, const char *type)
{
    json_t *o = apisim_obj(c, RES_NAMESPACES, NULL, ns);
    assert_non_null(o);
    size_t i;
    json_t *cond, *out = NULL;
    json_array_foreach(jpath(o, "status.conditions"), i, cond)
    {
        if (!strcmp(jget_str(cond, "type"), type)) {
            assert_non_null(jget_str(cond, "lastTransitionTime"));
            out = json_pack("{s:O,s:O,s:O}", "status", jget(cond, "status"), "reason",
                            jget(cond, "reason"), "message", jget(cond, "message"));
        }
    }
    json_decref(o);
    if (!out)
        fail_msg("namespace %s has no condition %s", ns, type);
    return out;
}

#define assert_condition(c, ns, type, want)                                                        \
    do {                                                                                           \
        json_t *got_ = condition(c, ns, type);                                                     \
        assert_json_eq(got_, want);                                                                \
        json_decref(got_);                                                                         \
    } while (0)

/* --- deletion --- */

static void test_deletes_every_kind(void **state)
{
    struct kclient *c = apisim_new();
    DOOMED(c);
    put_ns(c, "other", -1, "Active", "[\"kubernetes\"]");
    put_every_kind(c);
    apisim_put(c, RES_CONFIGMAPS, CM("cm", "other", ""));

    int64_t est = -1;
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 0);
    for (int i = 0; i < RES_COUNT; i++) {
        if (resource_get((enum res_id)i)->namespaced && count_in(c, (enum res_id)i, "doomed"))
            fail_msg("%s left in doomed", resource_get((enum res_id)i)->plural);
    }
    /* finalized, so the server deleted the namespace; the neighbour is untouched */
    assert_false(apisim_exists(c, RES_NAMESPACES, NULL, "doomed"));
    assert_true(apisim_exists(c, RES_CONFIGMAPS, "other", "cm"));
    assert_true(apisim_exists(c, RES_NAMESPACES, NULL, "other"));
    json_t *d = apisim_deletes_of(c, "statefulsets", "doomed", "web");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(jget_str(json_array_get(d, 0), "propagation"), "Background");
    json_decref(d);
    kclient_free(c);
}

/* Content held by a finalizer: the namespace waits (15 s estimate), says why in its
 * conditions, and is finalized on the first pass after the finalizer went. */
static void test_waits_for_finalizers(void **state)
{
    struct kclient *c = apisim_new();
    DOOMED(c);
    apisim_put(c, RES_CONFIGMAPS, CM("held", "doomed", ",\"finalizers\":[\"example.com/hold\"]"));
    apisim_put(c, RES_CONFIGMAPS, CM("held2", "doomed", ",\"finalizers\":[\"example.com/hold\"]"));
    apisim_put(c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\","
               "\"namespace\":\"doomed\",\"uid\":\"us\",\"finalizers\":[\"a.io/x\"]}}");

    int64_t est = 0;
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 15);
    json_t *held = apisim_obj(c, RES_CONFIGMAPS, "doomed", "held");
    assert_non_null(held);
    assert_non_null(jpath(held, "metadata.deletionTimestamp"));
    json_decref(held);
    json_t *ns = apisim_obj(c, RES_NAMESPACES, NULL, "doomed");
    assert_json_eq(jpath(ns, "spec.finalizers"), "[\"kubernetes\"]");
    json_decref(ns);

    assert_condition(c, "doomed", "NamespaceDeletionDiscoveryFailure",
                     "{\"status\":\"False\",\"reason\":\"ResourcesDiscovered\",\"message\":"
                     "\"All resources successfully discovered\"}");
    assert_condition(c, "doomed", "NamespaceDeletionGroupVersionParsingFailure",
                     "{\"status\":\"False\",\"reason\":\"ParsedGroupVersions\",\"message\":"
                     "\"All legacy kube types successfully parsed\"}");
    assert_condition(c, "doomed", "NamespaceDeletionContentFailure",
                     "{\"status\":\"False\",\"reason\":\"ContentDeleted\",\"message\":"
                     "\"All content successfully deleted, may be waiting on finalization\"}");
    assert_condition(c, "doomed", "NamespaceContentRemaining",
                     "{\"status\":\"True\",\"reason\":\"SomeResourcesRemain\",\"message\":"
                     "\"Some resources are remaining: configmaps. has 2 resource instances, "
                     "secrets. has 1 resource instances\"}");
    assert_condition(c, "doomed", "NamespaceFinalizersRemaining",
                     "{\"status\":\"True\",\"reason\":\"SomeFinalizersRemain\",\"message\":"
                     "\"Some content in the namespace has finalizers remaining: a.io/x in 1 "
                     "resource instances, example.com/hold in 2 resource instances\"}");

    /* Nothing changed: the conditions are not rewritten. */
    int before = kfake_calls(apisim_fake(c), "update/status", RES_NAMESPACES);
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 15);
    assert_int_equal(kfake_calls(apisim_fake(c), "update/status", RES_NAMESPACES), before);

    /* The finalizers' owners let go. */
    kfake_remove(apisim_fake(c), RES_CONFIGMAPS, "doomed", "held");
    kfake_remove(apisim_fake(c), RES_CONFIGMAPS, "doomed", "held2");
    kfake_remove(apisim_fake(c), RES_SECRETS, "doomed", "s");
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 0);
    assert_false(apisim_exists(c, RES_NAMESPACES, NULL, "doomed"));
    kclient_free(c);
}

/* Pods get their grace period: the namespace waits while they terminate, then errs once the
 * grace is long over and a pod is still there (upstream's "unexpected items"). */
static void test_pods_grace_period(void **state)
{
    struct kclient *c = apisim_new();
    DOOMED(c);
    apisim_put(c, RES_PODS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
               "\"namespace\":\"doomed\",\"uid\":\"up\"},\"spec\":{\"nodeName\":\"n1\","
               "\"terminationGracePeriodSeconds\":30,\"containers\":[{\"name\":\"c\","
               "\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\"}}");
    int64_t est = 0;
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 30);
    json_t *p = apisim_obj(c, RES_PODS, "doomed", "p");
    assert_non_null(p);
    assert_int_equal(jpath_int(p, "metadata.deletionGracePeriodSeconds", -1), 30);
    json_decref(p);
    assert_condition(c, "doomed", "NamespaceContentRemaining",
                     "{\"status\":\"True\",\"reason\":\"SomeResourcesRemain\",\"message\":"
                     "\"Some resources are remaining: pods. has 1 resource instances\"}");
    assert_condition(c, "doomed", "NamespaceFinalizersRemaining",
                     "{\"status\":\"False\",\"reason\":\"ContentHasNoFinalizers\",\"message\":"
                     "\"All content-preserving finalizers finished\"}");

    /* An hour later the pod still terminates: that is an error now. */
    put_ns(c, "late", 3600, "Terminating", "[\"kubernetes\"]");
    apisim_put(c, RES_PODS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"stuck\","
               "\"namespace\":\"late\",\"uid\":\"ustuck\",\"deletionTimestamp\":"
               "\"2020-01-01T00:00:00Z\",\"deletionGracePeriodSeconds\":30},\"spec\":"
               "{\"nodeName\":\"n1\",\"terminationGracePeriodSeconds\":30,\"containers\":"
               "[{\"name\":\"c\",\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\"}}");
    assert_true(ns_delete_pass(c, "late", &est) < 0);
    assert_condition(c, "late", "NamespaceDeletionContentFailure",
                     "{\"status\":\"True\",\"reason\":\"ContentDeletionFailed\",\"message\":"
                     "\"Failed to delete all resource types, 1 remaining: unexpected items still "
                     "remain in namespace: late for gvr: /v1, Resource=pods\"}");
    assert_true(apisim_exists(c, RES_NAMESPACES, NULL, "late"));

    /* The kubelet finishes both pods. */
    kfake_remove(apisim_fake(c), RES_PODS, "doomed", "p");
    kfake_remove(apisim_fake(c), RES_PODS, "late", "stuck");
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(est, 0);
    assert_false(apisim_exists(c, RES_NAMESPACES, NULL, "doomed"));
    assert_int_equal(ns_delete_pass(c, "late", &est), 0);
    assert_false(apisim_exists(c, RES_NAMESPACES, NULL, "late"));
    kclient_free(c);
}

/* A kind that cannot be deleted does not stop the others; the namespace is not finalized. */
static void test_content_delete_failure(void **state)
{
    struct kclient *c = apisim_new();
    DOOMED(c);
    apisim_put(c, RES_CONFIGMAPS, CM("cm", "doomed", ""));
    apisim_put(c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\","
               "\"namespace\":\"doomed\",\"uid\":\"us\"}}");
    kfake_fail_after(apisim_fake(c), "delete", RES_CONFIGMAPS, 0, -EIO);
    int64_t est = 0;
    assert_true(ns_delete_pass(c, "doomed", &est) < 0);
    assert_false(apisim_exists(c, RES_SECRETS, "doomed", "s"));
    assert_true(apisim_exists(c, RES_CONFIGMAPS, "doomed", "cm"));
    json_t *cond = condition(c, "doomed", "NamespaceDeletionContentFailure");
    assert_string_equal(jget_str(cond, "status"), "True");
    assert_string_equal(jget_str(cond, "reason"), "ContentDeletionFailed");
    assert_true(!strncmp(jget_str(cond, "message"),
                         "Failed to delete all resource types, 1 remaining: ", 50));
    json_decref(cond);
    json_t *ns = apisim_obj(c, RES_NAMESPACES, NULL, "doomed");
    assert_json_eq(jpath(ns, "spec.finalizers"), "[\"kubernetes\"]");
    json_decref(ns);

    kfake_clear_failures(apisim_fake(c));
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_false(apisim_exists(c, RES_NAMESPACES, NULL, "doomed"));
    kclient_free(c);
}

/* A failing list is an error too (nothing may be taken as deleted). */
static void test_list_failure_not_finalized(void **state)
{
    struct kclient *c = apisim_new();
    DOOMED(c);
    apisim_put(c, RES_CONFIGMAPS, CM("cm", "doomed", ""));
    kfake_fail_after(apisim_fake(c), "list", RES_CONFIGMAPS, 0, -EAGAIN);
    int64_t est = 0;
    assert_true(ns_delete_pass(c, "doomed", &est) < 0);
    assert_true(apisim_exists(c, RES_NAMESPACES, NULL, "doomed"));
    assert_true(apisim_exists(c, RES_CONFIGMAPS, "doomed", "cm"));
    kclient_free(c);
}

static void test_active_namespace_untouched(void **state)
{
    struct kclient *c = apisim_new();
    put_ns(c, "live", -1, "Active", "[\"kubernetes\"]");
    apisim_put(c, RES_CONFIGMAPS, CM("cm", "live", ""));
    int64_t est = 0;
    assert_int_equal(ns_delete_pass(c, "live", &est), 0);
    assert_int_equal(est, 0);
    assert_true(apisim_exists(c, RES_CONFIGMAPS, "live", "cm"));
    assert_int_equal(kfake_calls(apisim_fake(c), "delete", RES_CONFIGMAPS), 0);
    assert_int_equal(ns_delete_pass(c, "absent", &est), 0);
    kclient_free(c);
}

/* Other finalizers of the namespace are kept (sorted, as upstream's set); only ours goes. */
static void test_keeps_other_finalizers(void **state)
{
    struct kclient *c = apisim_new();
    put_ns(c, "doomed", 0, "Terminating", "[\"kubernetes\",\"example.com/z\",\"example.com/a\"]");
    int64_t est = 0;
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    json_t *ns = apisim_obj(c, RES_NAMESPACES, NULL, "doomed");
    assert_non_null(ns);
    assert_json_eq(jpath(ns, "spec.finalizers"), "[\"example.com/a\",\"example.com/z\"]");
    json_decref(ns);
    /* finalized by us: a second pass has nothing to do */
    int updates = kfake_calls(apisim_fake(c), "update/status", RES_NAMESPACES);
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    assert_int_equal(kfake_calls(apisim_fake(c), "update/status", RES_NAMESPACES), updates);
    kclient_free(c);
}

/* A namespace marked for deletion but still saying Active is set to Terminating. */
static void test_sets_terminating_phase(void **state)
{
    struct kclient *c = apisim_new();
    put_ns(c, "doomed", 0, "Active", "[\"kubernetes\"]");
    apisim_put(c, RES_CONFIGMAPS, CM("held", "doomed", ",\"finalizers\":[\"example.com/hold\"]"));
    int64_t est = 0;
    assert_int_equal(ns_delete_pass(c, "doomed", &est), 0);
    json_t *ns = apisim_obj(c, RES_NAMESPACES, NULL, "doomed");
    assert_string_equal(jpath_str(ns, "status.phase"), "Terminating");
    json_decref(ns);
    kclient_free(c);
}

/* --- the default ServiceAccount --- */

struct sa_env {
    struct kclient *c;
    struct informer_factory *f;
    struct informer *ns, *sa;
};

static void sa_env_start(struct sa_env *e)
{
    e->f = informer_factory_new(e->c);
    e->ns = informer_factory_get(e->f, RES_NAMESPACES);
    e->sa = informer_factory_get(e->f, RES_SERVICEACCOUNTS);
    informer_factory_start(e->f);
    assert_true(informer_factory_wait_synced(e->f, 5000));
}

static void test_default_serviceaccount(void **state)
{
    struct sa_env e = {apisim_new(), NULL, NULL, NULL};
    put_ns(e.c, "fresh", -1, "Active", "[\"kubernetes\"]");
    put_ns(e.c, "has", -1, "Active", "[\"kubernetes\"]");
    put_ns(e.c, "going", 0, "Terminating", "[\"kubernetes\"]");
    apisim_put(e.c, RES_SERVICEACCOUNTS,
               "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":"
               "\"default\",\"namespace\":\"has\",\"uid\":\"usa\"}}");
    sa_env_start(&e);

    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "fresh"), 0);
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "has"), 0);
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "going"), 0);
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "nonexistent"), 0);
    assert_true(apisim_exists(e.c, RES_SERVICEACCOUNTS, "fresh", "default"));
    assert_false(apisim_exists(e.c, RES_SERVICEACCOUNTS, "going", "default"));
    assert_int_equal(kfake_calls(apisim_fake(e.c), "create", RES_SERVICEACCOUNTS), 1);

    /* A cache that has not seen our create yet: AlreadyExists is success. */
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "fresh"), 0);
    kfake_flush(apisim_fake(e.c));
    int creates = kfake_calls(apisim_fake(e.c), "create", RES_SERVICEACCOUNTS);
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "fresh"), 0);
    assert_int_equal(kfake_calls(apisim_fake(e.c), "create", RES_SERVICEACCOUNTS), creates);

    /* Deleted by someone: created again; a failing create is reported for a retry. */
    kfake_remove(apisim_fake(e.c), RES_SERVICEACCOUNTS, "fresh", "default");
    kfake_flush(apisim_fake(e.c));
    kfake_fail_after(apisim_fake(e.c), "create", RES_SERVICEACCOUNTS, 0, -EIO);
    assert_true(sa_sync_namespace(e.c, e.ns, e.sa, "fresh") < 0);
    assert_false(apisim_exists(e.c, RES_SERVICEACCOUNTS, "fresh", "default"));
    kfake_clear_failures(apisim_fake(e.c));
    assert_int_equal(sa_sync_namespace(e.c, e.ns, e.sa, "fresh"), 0);
    assert_true(apisim_exists(e.c, RES_SERVICEACCOUNTS, "fresh", "default"));

    informer_factory_free(e.f);
    kclient_free(e.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deletes_every_kind),
        cmocka_unit_test(test_waits_for_finalizers),
        cmocka_unit_test(test_pods_grace_period),
        cmocka_unit_test(test_content_delete_failure),
        cmocka_unit_test(test_list_failure_not_finalized),
        cmocka_unit_test(test_active_namespace_untouched),
        cmocka_unit_test(test_keeps_other_finalizers),
        cmocka_unit_test(test_sets_terminating_phase),
        cmocka_unit_test(test_default_serviceaccount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
