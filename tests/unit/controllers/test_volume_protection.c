/* test_volume_protection.c — the pvc-protection and pv-protection finalizers
 * (controllers/volume/protection.c) over the fake API. */
#include "vol_fixture.h"

#define PV RES_PERSISTENTVOLUMES
#define PVC RES_PERSISTENTVOLUMECLAIMS

struct prt {
    struct fx *x;
    struct vol_protection *p;
};

static int setup(void **state)
{
    struct prt *t = xcalloc(1, sizeof(*t));

    t->x = fx_new();
    t->p = vol__protection_new(&t->x->env, false);
    fx_start(t->x);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct prt *t = *state;

    fx_stop(t->x);
    vol__protection_free(t->p);
    fx_free(t->x);
    free(t);
    return 0;
}

static void settle(struct prt *t)
{
    for (int i = 0; i < 100; i++) {
        kfake_flush(t->x->c);
        if (!vol__protection_drain(t->p, 1000))
            break;
    }
    kfake_flush(t->x->c);
}

static bool has_finalizer(struct prt *t, enum res_id r, const char *ns, const char *name,
                          const char *f)
{
    json_t *o = get(t->x, r, ns, name);
    bool has = o && vol__has_finalizer(o, f);
    json_decref(o);
    return has;
}

/* Delete through the API (the fake honours finalizers: deletionTimestamp is set). */
static void api_delete(struct prt *t, enum res_id r, const char *ns, const char *name)
{
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    struct kstatus st;
    assert_int_equal(kclient_delete(t->x->c, r, ns, name, &o, &st), 0);
}

static void test_finalizers_added(void **state)
{
    struct prt *t = *state;

    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    put(t->x, PV, mk_pv("v", "1Gi", NULL, NULL));
    settle(t);
    assert_true(has_finalizer(t, PVC, "ns", "c", FINALIZER_PVC_PROTECTION));
    assert_true(has_finalizer(t, PV, NULL, "v", FINALIZER_PV_PROTECTION));
    /* once only */
    json_t *c = get(t->x, PVC, "ns", "c");
    assert_int_equal(json_array_size(jpath(c, "metadata.finalizers")), 1);
    json_decref(c);
}

static void test_claim_kept_while_a_pod_uses_it(void **state)
{
    struct prt *t = *state;
    json_t *pod;

    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    put(t->x, RES_PODS, mk_pod("ns", "user", "c", "n1", "Running"));
    settle(t);
    api_delete(t, PVC, "ns", "c");
    settle(t);
    assert_true(exists(t->x, PVC, "ns", "c"));
    assert_true(has_finalizer(t, PVC, "ns", "c", FINALIZER_PVC_PROTECTION));
    /* the pod is being deleted but still running: kept */
    pod = get(t->x, RES_PODS, "ns", "user");
    jset_str(jget(pod, "metadata"), "deletionTimestamp", "2026-01-01T00:00:00Z");
    json_object_set_new(jget(pod, "status"), "containerStatuses",
                        tj("[{\"name\":\"app\",\"state\":{\"running\":{}}}]"));
    put(t->x, RES_PODS, pod);
    settle(t);
    vol__protection_sync(t->p, "pvc:ns/c");
    assert_true(exists(t->x, PVC, "ns", "c"));
    /* the pod is gone: so is the claim */
    assert_int_equal(kfake_remove(t->x->c, RES_PODS, "ns", "user"), 0);
    settle(t);
    assert_false(exists(t->x, PVC, "ns", "c"));
}

static void test_claim_of_terminated_or_unscheduled_pod_goes(void **state)
{
    struct prt *t = *state;

    put(t->x, PVC, mk_claim("ns", "a", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "b", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "d", "1Gi", NULL, NULL));
    put(t->x, RES_PODS, mk_pod("ns", "finished", "a", "n1", "Succeeded"));
    put(t->x, RES_PODS, mk_pod("ns", "never-scheduled", "b", NULL, "Pending"));
    put(t->x, RES_PODS, mk_pod("other-ns", "elsewhere", "d", "n1", "Running"));
    settle(t);
    api_delete(t, PVC, "ns", "a");
    api_delete(t, PVC, "ns", "b");
    api_delete(t, PVC, "ns", "d");
    settle(t);
    assert_false(exists(t->x, PVC, "ns", "a"));
    assert_false(exists(t->x, PVC, "ns", "b"));
    assert_false(exists(t->x, PVC, "ns", "d")); /* a pod of another namespace is not a user */
}

static void test_claim_not_deleted_keeps_finalizer_with_no_pod(void **state)
{
    struct prt *t = *state;

    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    vol__protection_sync(t->p, "pvc:ns/c");
    assert_true(has_finalizer(t, PVC, "ns", "c", FINALIZER_PVC_PROTECTION));
}

static void test_volume_kept_while_bound(void **state)
{
    struct prt *t = *state;
    json_t *v = mk_pv("v", "1Gi", NULL, NULL);

    jset_str(jget(v, "status"), "phase", "Bound");
    put(t->x, PV, v);
    settle(t);
    api_delete(t, PV, NULL, "v");
    settle(t);
    assert_true(exists(t->x, PV, NULL, "v"));
    v = get(t->x, PV, NULL, "v");
    jset_str(jget(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    assert_false(exists(t->x, PV, NULL, "v"));
}

static void test_interrupted_writes_retried(void **state)
{
    struct prt *t = *state;

    kfake_fail_after(t->x->c, "update", PVC, 0, -ESTALE);
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    assert_false(has_finalizer(t, PVC, "ns", "c", FINALIZER_PVC_PROTECTION));
    kfake_clear_failures(t->x->c);
    assert_int_equal(vol__protection_sync(t->p, "pvc:ns/c"), 0);
    settle(t);
    assert_true(has_finalizer(t, PVC, "ns", "c", FINALIZER_PVC_PROTECTION));
    /* the live list fails: the finalizer stays (never removed on a guess) */
    put(t->x, RES_PODS, mk_pod("ns", "late", "other", "n1", "Running"));
    settle(t);
    kfake_fail_after(t->x->c, "list", RES_PODS, 0, -EIO);
    api_delete(t, PVC, "ns", "c");
    kfake_flush(t->x->c);
    assert_int_not_equal(vol__protection_sync(t->p, "pvc:ns/c"), 0);
    assert_true(exists(t->x, PVC, "ns", "c"));
    kfake_clear_failures(t->x->c);
    settle(t);
    vol__protection_sync(t->p, "pvc:ns/c");
    kfake_flush(t->x->c);
    assert_false(exists(t->x, PVC, "ns", "c"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finalizers_added, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_kept_while_a_pod_uses_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_of_terminated_or_unscheduled_pod_goes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_claim_not_deleted_keeps_finalizer_with_no_pod, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_volume_kept_while_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_writes_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
