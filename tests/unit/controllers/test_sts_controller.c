/* The StatefulSet controller with its informers over the fake API: which events enqueue which
 * set, the sync of a key from the caches, and the delayed requeue for minReadySeconds. */
#include "test_sts_harness.h"

#include <unistd.h>

#include "client/informer.h"

struct ctl {
    struct h h;
    struct informer_factory *f;
    struct sts_controller *c;
};

static void ctl_init(struct ctl *t)
{
    struct ctrl_env env = {0};

    h_init(&t->h);
    t->f = informer_factory_new(t->h.c);
    env.client = t->h.c;
    env.informers = t->f;
    env.node_name = "node";
    assert_int_equal(sts_controller_new(&env, 0, &t->c), 0);
    sts_controller_control(t->c)->now = T0;
    sts_controller_control(t->c)->on_event = h_on_event;
    sts_controller_control(t->c)->event_ctx = &t->h;
    informer_factory_start(t->f);
    assert_true(informer_factory_wait_synced(t->f, 5000));
}

static void ctl_free(struct ctl *t)
{
    informer_factory_stop(t->f);
    sts_controller_free(t->c);
    informer_factory_free(t->f);
    h_free(&t->h);
}

/* Drain the queue: every key queued, comma separated, sorted and deduplicated by the queue. */
static char *drain(struct ctl *t)
{
    struct strbuf sb = STRBUF_INIT;
    char *k;

    kfake_flush(t->h.c);
    while ((k = sts_controller_next_key(t->c))) {
        strbuf_addf(&sb, "%s%s", sb.len ? "," : "", k);
        sts_controller_done(t->c, k);
        free(k);
    }
    return strbuf_detach(&sb, NULL);
}

static void assert_queued_(struct ctl *t, const char *want, int line)
{
    char *got = drain(t);
    if (strcmp(got, want))
        fail_msg("line %d: queued \"%s\", want \"%s\"", line, got, want);
    free(got);
}
#define assert_queued(t, want) assert_queued_(t, want, __LINE__)

static void sync_key(struct ctl *t, const char *key)
{
    kfake_flush(t->h.c);
    assert_int_equal(sts_controller_sync(t->c, key), 0);
    kfake_flush(t->h.c);
}

static void test_set_events_enqueue(void **state)
{
    struct ctl t;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 1, NULL));
    assert_queued(&t, "default/foo");
    h_patch_set(&t.h, "foo", "{\"spec\":{\"replicas\":2}}");
    assert_queued(&t, "default/foo");
    kclient_delete(t.h.c, RES_STATEFULSETS, NS, "foo", NULL, NULL);
    assert_queued(&t, "default/foo");
    /* a key whose set is gone syncs to nothing */
    assert_int_equal(sts_controller_sync(t.c, "default/foo"), 0);
    ctl_free(&t);
}

static void test_sync_from_cache(void **state)
{
    struct ctl t;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 2, NULL));
    free(drain(&t));
    sync_key(&t, "default/foo");
    assert_true(h_has_pod(&t.h, "foo-0"));
    assert_true(h_has_claim(&t.h, "datadir-foo-0"));
    /* the pod we created comes back through the informer: its set is queued */
    assert_queued(&t, "default/foo");
    /* the cache now holds the pod: a second sync creates nothing more (still Pending) */
    sync_key(&t, "default/foo");
    assert_int_equal(kfake_calls(t.h.c, "create", RES_PODS), 1);
    /* the kubelet's updates queue the set */
    free(drain(&t));
    h_set_ready(&t.h, "foo-0", true, 60);
    assert_queued(&t, "default/foo");
    sync_key(&t, "default/foo");
    assert_true(h_has_pod(&t.h, "foo-1"));
    ctl_free(&t);
}

static void test_pod_events_resolve_owner(void **state)
{
    struct ctl t;
    json_t *p;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 1, NULL));
    h_add_set(&t.h, h_set_json("bar", 0,
                               "{\"spec\":{\"selector\":{\"matchLabels\":{\"x\":\"y\"}},"
                               "\"template\":{\"metadata\":{\"labels\":{\"x\":\"y\"}}}}}"));
    free(drain(&t));
    sync_key(&t, "default/foo");
    free(drain(&t));

    /* an owned pod's deletion queues its owner only */
    kfake_remove(t.h.c, RES_PODS, NS, "foo-0");
    assert_queued(&t, "default/foo");

    /* an orphan queues every set whose selector matches it */
    p = tj(
        "{\"metadata\":{\"name\":\"stray\",\"namespace\":\"default\",\"labels\":{\"x\":\"y\"}}}");
    kfake_put(t.h.c, RES_PODS, p);
    json_decref(p);
    assert_queued(&t, "default/bar");

    /* a pod whose controller ref has the set's name but another UID is nobody's */
    p = tj("{\"metadata\":{\"name\":\"foo-7\",\"namespace\":\"default\","
           "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
           "\"name\":\"foo\",\"uid\":\"not-foo\",\"controller\":true}]}}");
    kfake_put(t.h.c, RES_PODS, p);
    json_decref(p);
    assert_queued(&t, "");

    /* a pod that arrives already terminating is handled as a delete */
    p = tj("{\"metadata\":{\"name\":\"stray2\",\"namespace\":\"default\",\"labels\":{\"x\":\"y\"},"
           "\"finalizers\":[\"f\"],\"deletionTimestamp\":\"2027-01-15T08:00:00Z\"}}");
    kfake_put(t.h.c, RES_PODS, p);
    json_decref(p);
    assert_queued(&t, ""); /* an orphan being deleted concerns no set */
    ctl_free(&t);
}

/* A label change of an orphan re-evaluates which sets select it. */
static void test_orphan_label_change(void **state)
{
    struct ctl t;
    json_t *p;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 0, NULL));
    free(drain(&t));
    p = tj(
        "{\"metadata\":{\"name\":\"stray\",\"namespace\":\"default\",\"labels\":{\"a\":\"b\"}}}");
    kfake_put(t.h.c, RES_PODS, p);
    assert_queued(&t, "");
    jset_str(jpath(p, "metadata.labels"), "foo", "bar");
    kfake_put(t.h.c, RES_PODS, p);
    json_decref(p);
    assert_queued(&t, "default/foo");
    ctl_free(&t);
}

/* minReadySeconds: a sync that leaves pods ready but not yet available requeues the set after
 * minReadySeconds; a pod turning Ready requeues after minReadySeconds + 1 s. */
static void test_min_ready_requeue(void **state)
{
    struct ctl t;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 1, "{\"spec\":{\"minReadySeconds\":1}}"));
    free(drain(&t));
    sync_key(&t, "default/foo");
    free(drain(&t));
    h_set_ready(&t.h, "foo-0", true, 0);
    /* queued at once by the update, and for 2 s later by the Ready transition */
    assert_queued(&t, "default/foo");
    sync_key(&t, "default/foo");
    free(drain(&t));
    assert_queued(&t, "");
    /* the sync asks for 1 s later: the sooner of the two delayed adds wins (client-go) */
    usleep(1300 * 1000);
    assert_queued(&t, "default/foo");
    ctl_free(&t);
}

/* Claims: a phase change or deletion of a set's claim queues the set (berth). */
static void test_claim_events(void **state)
{
    struct ctl t;
    json_t *c;

    ctl_init(&t);
    h_add_set(&t.h, h_set_json("foo", 1, NULL));
    free(drain(&t));
    sync_key(&t, "default/foo");
    free(drain(&t));
    c = h_claim(&t.h, "datadir-foo-0");
    jset_str(jensure_obj(c, "status"), "phase", "Bound");
    kfake_put(t.h.c, RES_PERSISTENTVOLUMECLAIMS, c);
    assert_queued(&t, "default/foo");
    jset_str(jensure_obj(c, "metadata"), "resourceVersion", "");
    json_object_set_new(jget_obj(c, "metadata"), "annotations", json_pack("{s:s}", "a", "b"));
    kfake_put(t.h.c, RES_PERSISTENTVOLUMECLAIMS, c);
    assert_queued(&t, ""); /* same phase: not interesting */
    kfake_remove(t.h.c, RES_PERSISTENTVOLUMECLAIMS, NS, "datadir-foo-0");
    assert_queued(&t, "default/foo");
    json_decref(c);
    ctl_free(&t);
}

/* The whole loop with workers: a set of 3 comes up with a kubelet that readies pods. */
static void test_workers_converge(void **state)
{
    struct ctl t;
    struct ctrl_env env = {0};
    struct sts_controller *c;

    h_init(&t.h);
    t.f = informer_factory_new(t.h.c);
    env.client = t.h.c;
    env.informers = t.f;
    assert_int_equal(sts_controller_new(&env, 2, &c), 0);
    informer_factory_start(t.f);
    assert_true(informer_factory_wait_synced(t.f, 5000));
    h_add_set(&t.h, h_set_json("foo", 3, "{\"spec\":{\"podManagementPolicy\":\"Parallel\"}}"));
    for (int i = 0; i < 100 && h_status(&t.h, "foo", "readyReplicas") < 3; i++) {
        usleep(20 * 1000);
        /* the ready time is the wall clock here: the controller's clock is real */
        h_kubelet(&t.h, NULL, (int)(T0 - time(NULL)) + 5);
    }
    assert_int_equal(h_status(&t.h, "foo", "readyReplicas"), 3);
    informer_factory_stop(t.f);
    sts_controller_free(c);
    informer_factory_free(t.f);
    h_free(&t.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_events_enqueue),       cmocka_unit_test(test_sync_from_cache),
        cmocka_unit_test(test_pod_events_resolve_owner), cmocka_unit_test(test_orphan_label_change),
        cmocka_unit_test(test_min_ready_requeue),        cmocka_unit_test(test_claim_events),
        cmocka_unit_test(test_workers_converge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
