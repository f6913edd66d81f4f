/* test_volume_expand.c — expansion of bound claims on local-path volumes
 * (controllers/volume/expand.c) over the fake API: the final status upstream's resize flow
 * leaves, its events, interruption, requests raised during a resize, and volumes berth cannot
 * resize. */
#include "vol_fixture.h"

#define PV RES_PERSISTENTVOLUMES
#define PVC RES_PERSISTENTVOLUMECLAIMS

struct et {
    struct fx *x;
    struct vol_expander *e;
};

static int setup(void **state)
{
    struct et *t = xcalloc(1, sizeof(*t));

    t->x = fx_new();
    t->e = vol__expander_new(&t->x->env, false);
    fx_start(t->x);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct et *t = *state;

    fx_stop(t->x);
    vol__expander_free(t->e);
    fx_free(t->x);
    free(t);
    return 0;
}

static void settle(struct et *t)
{
    for (int i = 0; i < 100; i++) {
        kfake_flush(t->x->c);
        if (!vol__expander_drain(t->e, 1000))
            break;
    }
    kfake_flush(t->x->c);
}

static char *events(struct et *t)
{
    return vol__events_take(vol__expander_events(t->e));
}

/* A bound claim of size and its volume; ours: provisioned by local-path. */
static void seed_bound(struct et *t, const char *size, bool ours)
{
    json_t *c = mk_claim("ns", "c", size, NULL, LOCAL_PATH_CLASS), *v;

    jset_str(jget(c, "spec"), "volumeName", "pvc-1");
    jset_str(jget(c, "status"), "phase", "Bound");
    json_object_set_new(jget(c, "status"), "capacity", json_pack("{s:s}", "storage", size));
    json_object_set_new(jget(c, "status"), "accessModes", tj("[\"ReadWriteOnce\"]"));
    v = mk_pv("pvc-1", size, NULL, LOCAL_PATH_CLASS);
    if (ours)
        vol__set_ann(v, ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER);
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    jset_str(jget(v, "status"), "phase", "Bound");
    put(t->x, PV, v);
    put(t->x, PVC, c);
}

static void request(struct et *t, const char *size)
{
    json_t *c = get(t->x, PVC, "ns", "c");
    jset_str(jpath(c, "spec.resources.requests"), "storage", size);
    put(t->x, PVC, c);
}

static void assert_finished_at(struct et *t, const char *size)
{
    json_t *c = get(t->x, PVC, "ns", "c");

    assert_string_equal(sget(c, "status.capacity.storage"), size);
    assert_string_equal(sget(c, "status.allocatedResources.storage"), size);
    assert_null(jpath(c, "status.allocatedResourceStatuses"));
    assert_null(jpath(c, "status.conditions"));
    assert_string_equal(vol__phase(c), "Bound");
    json_decref(c);
    assert_field(t->x, PV, NULL, "pvc-1", "spec.capacity.storage", size);
}

static void test_expand(void **state)
{
    struct et *t = *state;
    char *log;

    seed_bound(t, "1Gi", true);
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.capacity.storage", "1Gi");
    log = events(t);
    assert_string_equal(log, ""); /* nothing to do */
    free(log);
    request(t, "3Gi");
    settle(t);
    assert_finished_at(t, "3Gi");
    log = events(t);
    assert_string_equal(log,
                        "Warning ExternalExpanding waiting for an external controller to expand "
                        "this PVC\n"
                        "Normal Resizing External resizer is resizing volume pvc-1\n"
                        "Normal VolumeResizeSuccessful Resize volume succeeded\n");
    free(log);
    /* nothing more to do */
    vol__expander_sync(t->e, "ns/c");
    log = events(t);
    assert_string_equal(log, "");
    free(log);
}

static void test_other_conditions_kept(void **state)
{
    struct et *t = *state;
    json_t *c;

    seed_bound(t, "1Gi", true);
    c = get(t->x, PVC, "ns", "c");
    json_object_set_new(jget(c, "status"), "conditions",
                        tj("[{\"type\":\"ModifyingVolume\",\"status\":\"True\"},"
                           "{\"type\":\"FileSystemResizePending\",\"status\":\"True\"}]"));
    put(t->x, PVC, c);
    request(t, "2Gi");
    settle(t);
    c = get(t->x, PVC, "ns", "c");
    assert_json_eq(jpath(c, "status.conditions"),
                   "[{\"type\":\"ModifyingVolume\",\"status\":\"True\"}]");
    json_decref(c);
}

/* The volume's update fails after the claim was marked: the claim shows the resize in progress,
 * and the next sync finishes it. */
static void test_interrupted_resize_resumes(void **state)
{
    struct et *t = *state;
    json_t *c;
    char *log;

    seed_bound(t, "1Gi", true);
    settle(t);
    kfake_fail_after(t->x->c, "update", PV, 0, -EIO);
    request(t, "2Gi");
    settle(t);
    c = get(t->x, PVC, "ns", "c");
    assert_string_equal(sget(c, "status.capacity.storage"), "1Gi");
    assert_string_equal(sget(c, "status.allocatedResources.storage"), "2Gi");
    assert_string_equal(sget(c, "status.allocatedResourceStatuses.storage"),
                        "ControllerResizeInProgress");
    assert_string_equal(sget(json_array_get(jpath(c, "status.conditions"), 0), "type"), "Resizing");
    assert_string_equal(sget(json_array_get(jpath(c, "status.conditions"), 0), "status"), "True");
    json_decref(c);
    assert_field(t->x, PV, NULL, "pvc-1", "spec.capacity.storage", "1Gi");
    log = events(t);
    assert_non_null(strstr(log, "Warning VolumeResizeFailed"));
    free(log);
    kfake_clear_failures(t->x->c);
    assert_int_equal(vol__expander_sync(t->e, "ns/c"), 0);
    settle(t);
    assert_finished_at(t, "2Gi");

    /* interrupted at the last step: the volume already grew */
    kfake_fail_after(t->x->c, "update/status", PVC, 1, -EIO);
    request(t, "4Gi");
    settle(t);
    assert_field(t->x, PV, NULL, "pvc-1", "spec.capacity.storage", "4Gi");
    assert_field(t->x, PVC, "ns", "c", "status.capacity.storage", "2Gi");
    kfake_clear_failures(t->x->c);
    vol__expander_sync(t->e, "ns/c");
    settle(t);
    assert_finished_at(t, "4Gi");
}

/* A larger request while a resize is in progress: the first finishes at its size, then the next
 * one starts (expandAndRecover). */
static void test_raised_again_during_resize(void **state)
{
    struct et *t = *state;

    seed_bound(t, "1Gi", true);
    settle(t);
    kfake_fail_after(t->x->c, "update", PV, 0, -EIO);
    request(t, "2Gi");
    settle(t);
    kfake_clear_failures(t->x->c);
    request(t, "5Gi");
    kfake_flush(t->x->c);
    vol__expander_sync(t->e, "ns/c");
    kfake_flush(t->x->c);
    assert_field(t->x, PVC, "ns", "c", "status.capacity.storage", "2Gi");
    settle(t);
    assert_finished_at(t, "5Gi");
}

static void test_foreign_volume_not_resized(void **state)
{
    struct et *t = *state;
    char *log;

    seed_bound(t, "1Gi", false);
    settle(t);
    request(t, "2Gi");
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.capacity.storage", "1Gi");
    assert_field(t->x, PV, NULL, "pvc-1", "spec.capacity.storage", "1Gi");
    json_t *c = get(t->x, PVC, "ns", "c");
    assert_null(jpath(c, "status.allocatedResourceStatuses"));
    json_decref(c);
    log = events(t);
    assert_string_equal(
        log, "Warning ExternalExpanding waiting for an external controller to expand this PVC\n");
    free(log);
}

static void test_unbound_claim_ignored(void **state)
{
    struct et *t = *state;
    char *log;

    put(t->x, PVC, mk_claim("ns", "pending", "5Gi", NULL, LOCAL_PATH_CLASS));
    settle(t);
    vol__expander_sync(t->e, "ns/pending");
    log = events(t);
    assert_string_equal(log, "");
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_conditions_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_resize_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raised_again_during_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_volume_not_resized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbound_claim_ignored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
