/* StatefulSet scaling, step by step over the fake API with invariant checks after every step
 * (upstream stateful_set_control_test.go: ScalesUp, ScalesDown, ReplacesPods, RecreatesFailedPod,
 * CreatePodFailure, UpdatePodFailure, UpdateSetStatusFailure, RecreatesPVCForPendingPod,
 * the start ordinal tests, and the gating rules of STATEFULSET.md §1.5). */
#include "test_sts_harness.h"

/* The retention policies every scaling test runs under (nil = the default). */
static const char *const POLICIES[] = {
    NULL,
    "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Retain\","
    "\"whenDeleted\":\"Retain\"}}}",
    "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Delete\","
    "\"whenDeleted\":\"Retain\"}}}",
    "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Retain\","
    "\"whenDeleted\":\"Delete\"}}}",
    "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Delete\","
    "\"whenDeleted\":\"Delete\"}}}",
};
#define NPOLICIES (sizeof(POLICIES) / sizeof(POLICIES[0]))

static json_t *with_policy(const char *name, int replicas, const char *policy, bool parallel)
{
    json_t *set = h_set_json(name, replicas, policy);
    if (parallel)
        jset_str(jget_obj(set, "spec"), "podManagementPolicy", "Parallel");
    return set;
}

static size_t pods_of(struct h *h)
{
    return h_count(h, RES_PODS);
}

/* scaleUpStatefulSetControl: ordered creation, one pod per step, each only once its
 * predecessor is Running and Ready. */
static void scale_up_ordered(struct h *h, const char *name, int from, int to)
{
    for (int i = from; i < to; i++) {
        char pod[64];
        h_sync_ok(h, name);
        assert_int_equal(pods_of(h), (size_t)i + 1);
        snprintf(pod, sizeof(pod), "%s-%d", name, i);
        /* the new pod is Pending: another step creates nothing */
        h_sync_ok(h, name);
        assert_int_equal(pods_of(h), (size_t)i + 1);
        h_set_phase(h, pod, "Running");
        h_sync_ok(h, name);
        assert_int_equal(pods_of(h), (size_t)i + 1);
        h_set_ready(h, pod, true, 60);
    }
    h_sync_ok(h, name);
}

static void test_scale_up_ordered(void **state)
{
    for (size_t p = 0; p < NPOLICIES; p++) {
        struct h h;
        h_init(&h);
        h.checks |= CHECK_MONOTONIC | CHECK_REVISIONS;
        h_add_set(&h, with_policy("foo", 3, POLICIES[p], false));
        scale_up_ordered(&h, "foo", 0, 3);
        assert_int_equal(h_status(&h, "foo", "replicas"), 3);
        assert_int_equal(h_status(&h, "foo", "readyReplicas"), 3);
        assert_int_equal(h_status(&h, "foo", "updatedReplicas"), 3);
        assert_int_equal(h_status(&h, "foo", "currentReplicas"), 3);
        assert_int_equal(h_status(&h, "foo", "availableReplicas"), 3);
        assert_int_equal(h_count(&h, RES_PERSISTENTVOLUMECLAIMS), 3);
        assert_int_equal(h_events(&h, "SuccessfulCreate",
                                  "create Pod foo-0 in StatefulSet foo "
                                  "successful"),
                         1);
        assert_int_equal(h_events(&h, "SuccessfulCreate",
                                  "create Claim datadir-foo-2 Pod foo-2 "
                                  "in StatefulSet foo success"),
                         1);

        h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":4}}");
        scale_up_ordered(&h, "foo", 3, 4);
        assert_int_equal(h_status(&h, "foo", "replicas"), 4);
        assert_int_equal(h_status(&h, "foo", "readyReplicas"), 4);
        assert_int_equal(h_status(&h, "foo", "observedGeneration"), 2);
        h_free(&h);
    }
}

static void test_status_revisions_on_create(void **state)
{
    struct h h;
    json_t *set, *revs;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 2, NULL));
    h_run(&h, "foo", 20);
    set = h_set(&h, "foo");
    /* conformance: currentRevision == updateRevision on create, pods labelled with it */
    assert_string_equal(jpath_str(set, "status.currentRevision"),
                        jpath_str(set, "status.updateRevision"));
    assert_string_equal(h_rev_of(&h, "foo-0"), jpath_str(set, "status.currentRevision"));
    assert_int_equal(jpath_int(set, "status.collisionCount", -1), 0);
    revs = kfake_list(h.c, RES_CONTROLLERREVISIONS, NS);
    assert_int_equal(json_array_size(revs), 1);
    assert_int_equal(jget_int(json_array_get(revs, 0), "revision", 0), 1);
    json_decref(revs);
    json_decref(set);
    h_free(&h);
}

static void test_scale_up_burst(void **state)
{
    for (size_t p = 0; p < NPOLICIES; p++) {
        struct h h;
        h_init(&h);
        h_add_set(&h, with_policy("foo", 5, POLICIES[p], true));
        /* Parallel: everything at once, readiness or not (slow start 1, 2, 2) */
        h_sync_ok(&h, "foo");
        assert_int_equal(pods_of(&h), 5);
        assert_int_equal(kfake_calls(h.c, "create", RES_PODS), 5);
        /* the status counts what the pass started from: the next pass sees the pods */
        assert_int_equal(h_status(&h, "foo", "replicas"), 0);
        h_sync_ok(&h, "foo");
        assert_int_equal(h_status(&h, "foo", "replicas"), 5);
        assert_int_equal(h_status(&h, "foo", "readyReplicas"), 0);
        h_kubelet(&h, NULL, 60);
        h_sync_ok(&h, "foo");
        assert_int_equal(h_status(&h, "foo", "readyReplicas"), 5);
        h_free(&h);
    }
}

static bool terminating(struct h *h, const char *pod)
{
    json_t *p = h_pod(h, pod);
    bool t = p && jpath(p, "metadata.deletionTimestamp");
    json_decref(p);
    return t;
}

static bool has_pod_ref(struct h *h, const char *claim, const char *pod)
{
    json_t *c = h_claim(h, claim), *r;
    size_t i;
    bool found = false;
    json_array_foreach(jpath(c, "metadata.ownerReferences"), i, r)
    {
        if (!strcmp(jget_str(r, "kind"), "Pod") && !strcmp(jget_str(r, "name"), pod))
            found = true;
    }
    json_decref(c);
    return found;
}

static void hold_all(struct h *h, const char *name, int n)
{
    for (int i = 0; i < n; i++) {
        char pod[64];
        snprintf(pod, sizeof(pod), "%s-%d", name, i);
        h_hold(h, pod);
    }
}

/* scaleDownStatefulSetControl: the highest ordinal first, one at a time, each only after the
 * previous one finished terminating; claims stay unless the policy hands them to the pod. */
static void test_scale_down_ordered(void **state)
{
    for (size_t p = 0; p < NPOLICIES; p++) {
        struct h h;
        h_init(&h);
        h.checks |= CHECK_MONOTONIC;
        h_add_set(&h, with_policy("foo", 3, POLICIES[p], false));
        h_run(&h, "foo", 20);
        hold_all(&h, "foo", 3);
        h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":0}}");
        for (int i = 2; i >= 0; i--) {
            char pod[16], claim[32];
            snprintf(pod, sizeof(pod), "foo-%d", i);
            snprintf(claim, sizeof(claim), "datadir-foo-%d", i);
            h_sync_ok(&h, "foo");
            assert_true(terminating(&h, pod));
            for (int k = 0; k < i; k++) {
                char other[16];
                snprintf(other, sizeof(other), "foo-%d", k);
                assert_false(terminating(&h, other));
            }
            /* whenScaled=Delete: the claim belongs to the pod before the pod goes */
            assert_int_equal(has_pod_ref(&h, claim, pod),
                             POLICIES[p] && strstr(POLICIES[p], "\"whenScaled\":\"Delete\""));
            /* waiting for graceful termination: nothing else happens */
            h_sync_ok(&h, "foo");
            h_sync_ok(&h, "foo");
            assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 3 - i);
            h_finish_terminating(&h);
        }
        h_sync_ok(&h, "foo");
        assert_int_equal(pods_of(&h), 0);
        assert_int_equal(h_status(&h, "foo", "replicas"), 0);
        assert_int_equal(h_status(&h, "foo", "readyReplicas"), 0);
        assert_int_equal(h_status(&h, "foo", "updatedReplicas"), 0);
        assert_int_equal(h_count(&h, RES_PERSISTENTVOLUMECLAIMS), 3);
        assert_int_equal(h_events(&h, "SuccessfulDelete",
                                  "delete Pod foo-2 in StatefulSet foo "
                                  "successful"),
                         1);
        h_free(&h);
    }
}

static void test_scale_down_burst(void **state)
{
    for (size_t p = 0; p < NPOLICIES; p++) {
        struct h h;
        h_init(&h);
        h_add_set(&h, with_policy("foo", 3, POLICIES[p], true));
        h_run(&h, "foo", 20);
        hold_all(&h, "foo", 3);
        h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":0}}");
        h_sync_ok(&h, "foo");
        for (int i = 0; i < 3; i++) {
            char pod[16];
            snprintf(pod, sizeof(pod), "foo-%d", i);
            assert_true(terminating(&h, pod));
        }
        h_finish_terminating(&h);
        h_sync_ok(&h, "foo");
        assert_int_equal(h_status(&h, "foo", "replicas"), 0);
        assert_int_equal(h_count(&h, RES_PERSISTENTVOLUMECLAIMS), 3);
        h_free(&h);
    }
}

/* A Parallel batch runs its calls on several threads; the outcome is the same. */
static void test_burst_on_threads(void **state)
{
    struct h h;
    json_t *set = with_policy("foo", 40, POLICIES[4], true);

    h_init(&h);
    h.ctl.parallelism = 8;
    h_add_set(&h, set);
    h_sync_ok(&h, "foo");
    assert_int_equal(pods_of(&h), 40);
    assert_int_equal(h_count(&h, RES_PERSISTENTVOLUMECLAIMS), 40);
    assert_int_equal(h_events(&h, "SuccessfulCreate", NULL), 80);
    h_run(&h, "foo", 10);
    assert_int_equal(h_status(&h, "foo", "readyReplicas"), 40);
    /* a failure stops the pass after the batch it happened in */
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":0}}");
    kfake_fail_after(h.c, "delete", RES_PODS, 5, -EIO);
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    kfake_clear_failures(h.c);
    h_run(&h, "foo", 10);
    assert_int_equal(pods_of(&h), 0);
    h_free(&h);
}

/* Conformance "Scaling should happen in predictable order and halt if any stateful pod is
 * unhealthy". */
static void test_ordered_halts_when_unhealthy(void **state)
{
    struct h h;

    h_init(&h);
    h.checks |= CHECK_MONOTONIC;
    h_add_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":3}}");
    h_set_ready(&h, "ss-0", false, 0);
    for (int i = 0; i < 5; i++)
        h_sync_ok(&h, "ss");
    assert_int_equal(pods_of(&h), 1);
    h_set_ready(&h, "ss-0", true, 0);
    h_run(&h, "ss", 20);
    assert_int_equal(pods_of(&h), 3);

    /* scale down with every pod unhealthy: nothing is deleted */
    hold_all(&h, "ss", 3);
    h.checks &= ~CHECK_MONOTONIC;
    for (int i = 0; i < 3; i++) {
        char pod[16];
        snprintf(pod, sizeof(pod), "ss-%d", i);
        h_set_ready(&h, pod, false, 0);
    }
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":0}}");
    for (int i = 0; i < 5; i++)
        h_sync_ok(&h, "ss");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    /* repaired: deleted in the order ss-2, ss-1, ss-0 */
    h_kubelet(&h, NULL, 60);
    for (int i = 2; i >= 0; i--) {
        char pod[16];
        snprintf(pod, sizeof(pod), "ss-%d", i);
        h_sync_ok(&h, "ss");
        assert_true(terminating(&h, pod));
        h_finish_terminating(&h);
        assert_int_equal(pods_of(&h), (size_t)i);
    }
    h_free(&h);
}

/* With only the middle pod unhealthy, the scale down still proceeds: the unhealthy pod is the
 * first unavailable one, which may be removed. */
static void test_ordered_scale_down_first_unavailable(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 3, NULL));
    h_run(&h, "ss", 20);
    hold_all(&h, "ss", 3);
    h_set_ready(&h, "ss-1", false, 0);
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":0}}");
    h_sync_ok(&h, "ss");
    assert_true(terminating(&h, "ss-2"));
    h_finish_terminating(&h);
    h_sync_ok(&h, "ss");
    assert_true(terminating(&h, "ss-1"));
    h_finish_terminating(&h);
    h_sync_ok(&h, "ss");
    assert_true(terminating(&h, "ss-0"));
    h_free(&h);
}

/* Conformance "Burst scaling should run to completion even with unhealthy pods". */
static void test_burst_with_unhealthy_pods(void **state)
{
    struct h h;
    json_t *set = h_set_json("ss", 3, NULL);

    h_init(&h);
    jset_str(jget_obj(set, "spec"), "podManagementPolicy", "Parallel");
    h_add_set(&h, set);
    h_sync_ok(&h, "ss");
    for (int i = 0; i < 3; i++) {
        char pod[16];
        snprintf(pod, sizeof(pod), "ss-%d", i);
        h_set_ready(&h, pod, false, 0);
    }
    h_sync_ok(&h, "ss");
    assert_int_equal(pods_of(&h), 3);
    assert_int_equal(h_status(&h, "ss", "replicas"), 3);
    assert_int_equal(h_status(&h, "ss", "readyReplicas"), 0);
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":0}}");
    h_sync_ok(&h, "ss");
    assert_int_equal(pods_of(&h), 0);
    h_sync_ok(&h, "ss");
    assert_int_equal(h_status(&h, "ss", "replicas"), 0);
    h_free(&h);
}

/* ReplacesPods: deleted pods come back with their names, in order. */
static void test_replaces_pods(void **state)
{
    struct h h;

    h_init(&h);
    h.checks |= CHECK_MONOTONIC;
    h_add_set(&h, h_set_json("foo", 5, NULL));
    h_run(&h, "foo", 30);
    kfake_remove(h.c, RES_PODS, NS, "foo-0");
    kfake_remove(h.c, RES_PODS, NS, "foo-2");
    kfake_remove(h.c, RES_PODS, NS, "foo-4");
    h.checks &= ~CHECK_MONOTONIC; /* holes until they are back */
    for (int i = 0; i < 5; i += 2) {
        char pod[16];
        snprintf(pod, sizeof(pod), "foo-%d", i);
        h_sync_ok(&h, "foo");
        assert_int_equal(pods_of(&h), 2 + (size_t)i / 2 + 1);
        assert_true(h_has_pod(&h, pod));
        h_set_ready(&h, pod, true, 60);
    }
    h_sync_ok(&h, "foo");
    assert_int_equal(h_status(&h, "foo", "replicas"), 5);
    assert_int_equal(h_status(&h, "foo", "readyReplicas"), 5);
    /* claims were reused, not made again */
    assert_int_equal(kfake_calls(h.c, "create", RES_PERSISTENTVOLUMECLAIMS), 5);
    h_free(&h);
}

static void recreates_terminal_pod(const char *phase, bool parallel)
{
    struct h h;
    json_t *before, *after;
    json_t *set = h_set_json("foo", 3, NULL);

    h_init(&h);
    if (parallel)
        jset_str(jget_obj(set, "spec"), "podManagementPolicy", "Parallel");
    h_add_set(&h, set);
    h_run(&h, "foo", 20);
    before = h_pod(&h, "foo-0");
    h_set_phase(&h, "foo-0", phase);
    h_sync_ok(&h, "foo");
    assert_int_equal(h_events(&h, "RecreatingFailedPod", "is recreating failed Pod foo-0"), 1);
    assert_int_equal(h_events(&h, "SuccessfulDelete", "delete Pod foo-0"), 1);
    assert_false(h_has_pod(&h, "foo-0"));
    h_sync_ok(&h, "foo");
    after = h_pod(&h, "foo-0");
    assert_non_null(after);
    assert_string_not_equal(jpath_str(before, "metadata.uid"), jpath_str(after, "metadata.uid"));
    assert_string_equal(jpath_str(after, "status.phase"), "Pending");
    json_decref(before);
    json_decref(after);
    h_free(&h);
}

static void test_recreates_failed_pod(void **state)
{
    recreates_terminal_pod("Failed", false);
    recreates_terminal_pod("Failed", true);
}

static void test_recreates_succeeded_pod(void **state)
{
    recreates_terminal_pod("Succeeded", false);
    recreates_terminal_pod("Succeeded", true);
}

static void test_failed_pod_delete_failure(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 3, NULL));
    h_run(&h, "foo", 20);
    h_set_phase(&h, "foo-1", "Failed");
    kfake_fail_after(h.c, "delete", RES_PODS, 0, -EIO);
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    assert_int_equal(h_events(&h, "FailedDelete",
                              "delete Pod foo-1 in StatefulSet foo failed "
                              "error: "),
                     1);
    assert_true(h_has_pod(&h, "foo-1"));
    kfake_clear_failures(h.c);
    h_sync_ok(&h, "foo");
    assert_false(h_has_pod(&h, "foo-1"));
    /* a failed pod that is already terminating is not deleted twice */
    h_run(&h, "foo", 20);
    h_hold(&h, "foo-2");
    h_set_phase(&h, "foo-2", "Failed");
    h_sync_ok(&h, "foo");
    assert_true(terminating(&h, "foo-2"));
    {
        int deletes = kfake_calls(h.c, "delete", RES_PODS);
        h_sync_ok(&h, "foo");
        h_sync_ok(&h, "foo");
        assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), deletes);
    }
    h_free(&h);
}

static void test_create_pod_failure(void **state)
{
    struct h h;

    h_init(&h);
    h.checks |= CHECK_MONOTONIC;
    h_add_set(&h, h_set_json("foo", 3, NULL));
    kfake_fail_after(h.c, "create", RES_PODS, 2, -EIO);
    h_sync_ok(&h, "foo");
    h_kubelet(&h, NULL, 60);
    h_sync_ok(&h, "foo");
    h_kubelet(&h, NULL, 60);
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    assert_int_equal(h_events(&h, "FailedCreate",
                              "create Pod foo-2 in StatefulSet foo failed "
                              "error: "),
                     1);
    assert_int_equal(pods_of(&h), 2);
    /* the claim was made before the pod: it is there, and reused */
    assert_true(h_has_claim(&h, "datadir-foo-2"));
    kfake_clear_failures(h.c);
    h_run(&h, "foo", 10);
    assert_int_equal(kfake_calls(h.c, "create", RES_PERSISTENTVOLUMECLAIMS), 3);
    h_free(&h);
}

static void test_create_claim_failure(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    kfake_fail_after(h.c, "create", RES_PERSISTENTVOLUMECLAIMS, 0, -EIO);
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    assert_int_equal(h_events(&h, "FailedCreate",
                              "create Claim datadir-foo-0 for Pod foo-0 in "
                              "StatefulSet foo failed error: "),
                     1);
    assert_int_equal(h_events(&h, "FailedCreate",
                              "create Pod foo-0 in StatefulSet foo failed "
                              "error: failed to create PVC datadir-foo-0: "),
                     1);
    assert_int_equal(pods_of(&h), 0); /* never a pod without its claim */
    kfake_clear_failures(h.c);
    h_run(&h, "foo", 10);
    h_free(&h);
}

/* A claim the cache has not seen yet (our own earlier create) is found on AlreadyExists and
 * used: no failed pass. */
static void test_claim_not_yet_in_cache(void **state)
{
    struct h h;
    json_t *set, *claims, **cv;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    h_sync_ok(&h, "foo");
    kfake_remove(h.c, RES_PODS, NS, "foo-0");
    set = h_set(&h, "foo");
    claims = kfake_list(h.c, RES_PERSISTENTVOLUMECLAIMS, NS);
    cv = xcalloc(1, sizeof(*cv));
    /* the reconcile is handed no claims: the cache lags */
    assert_int_equal(sts_reconcile(&h.ctl, set, NULL, 0, NULL, 0, cv, 0, NULL), 0);
    assert_true(h_has_pod(&h, "foo-0"));
    assert_int_equal(h_events(&h, "FailedCreate", NULL), 0);
    assert_int_equal(kfake_calls(h.c, "create", RES_PERSISTENTVOLUMECLAIMS), 2);
    free(cv);
    json_decref(claims);
    json_decref(set);
    h_free(&h);
}

static void test_claim_being_deleted_blocks_pod(void **state)
{
    struct h h;
    json_t *claim = tj("{\"metadata\":{\"name\":\"datadir-foo-0\",\"namespace\":\"default\","
                       "\"finalizers\":[\"kubernetes.io/pvc-protection\"],"
                       "\"deletionTimestamp\":\"2027-01-15T08:00:00Z\"},"
                       "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}");

    h_init(&h);
    kfake_put(h.c, RES_PERSISTENTVOLUMECLAIMS, claim);
    json_decref(claim);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    assert_true(h_sync(&h, "foo") < 0);
    assert_int_equal(h_events(&h, "FailedCreate", "pvc datadir-foo-0 is being deleted"), 1);
    assert_int_equal(pods_of(&h), 0);
    kfake_remove(h.c, RES_PERSISTENTVOLUMECLAIMS, NS, "datadir-foo-0");
    h_run(&h, "foo", 10);
    h_free(&h);
}

static void test_update_pod_failure(void **state)
{
    struct h h;
    json_t *p;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 3, NULL));
    h_run(&h, "foo", 20);
    /* identity drift: the pod-name label is gone */
    p = h_pod(&h, "foo-1");
    json_object_del(jpath(p, "metadata.labels"), STS_LABEL_POD_NAME);
    h_put_pod(&h, p);
    kfake_fail_after(h.c, "update", RES_PODS, 0, -EIO);
    h.checks = 0; /* the drift is the test's */
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    assert_int_equal(h_events(&h, "FailedUpdate",
                              "update Pod foo-1 in StatefulSet foo failed "
                              "error: "),
                     1);
    kfake_clear_failures(h.c);
    h.checks = CHECK_CLAIMS | CHECK_IDENTITY;
    h_sync_ok(&h, "foo");
    assert_int_equal(h_events(&h, "SuccessfulUpdate",
                              "update Pod foo-1 in StatefulSet foo "
                              "successful"),
                     1);
    p = h_pod(&h, "foo-1");
    assert_string_equal(jget_str(jpath(p, "metadata.labels"), STS_LABEL_POD_NAME), "foo-1");
    json_decref(p);
    h_free(&h);
}

/* The pod changed after the cache was read: the repair conflicts, reads the pod again and
 * retries (RetryOnConflict). */
static void test_update_pod_conflict_retried(void **state)
{
    struct h h;
    json_t *p, *set, *pods, *revs, **pv, *rv[1];

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    h_run(&h, "foo", 20);
    p = h_pod(&h, "foo-0");
    json_object_del(jpath(p, "metadata.labels"), STS_LABEL_POD_NAME);
    h_put_pod(&h, p);
    set = h_set(&h, "foo");
    pods = kfake_list(h.c, RES_PODS, NS);
    revs = kfake_list(h.c, RES_CONTROLLERREVISIONS, NS);
    /* the kubelet writes the pod again: the listed copy is now stale */
    p = h_pod(&h, "foo-0");
    jset_str(jget_obj(p, "status"), "podIP", "10.42.0.7");
    h_put_pod(&h, p);
    pv = xcalloc(2, sizeof(*pv));
    pv[0] = json_array_get(pods, 0);
    rv[0] = json_array_get(revs, 0);
    assert_int_equal(sts_reconcile(&h.ctl, set, rv, 1, pv, 1, NULL, 0, NULL), 0);
    assert_int_equal(kfake_calls(h.c, "update", RES_PODS), 2);
    assert_int_equal(h_events(&h, "SuccessfulUpdate", "update Pod foo-0"), 1);
    p = h_pod(&h, "foo-0");
    assert_string_equal(jget_str(jpath(p, "metadata.labels"), STS_LABEL_POD_NAME), "foo-0");
    assert_string_equal(jpath_str(p, "status.podIP"), "10.42.0.7");
    json_decref(p);
    free(pv);
    json_decref(pods);
    json_decref(revs);
    json_decref(set);
    h_free(&h);
}

static void test_update_set_status_failure(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 3, NULL));
    h_sync_ok(&h, "foo");
    h_kubelet(&h, NULL, 60);
    kfake_fail_after(h.c, "update/status", RES_STATEFULSETS, 0, -EIO);
    assert_int_equal(h_sync(&h, "foo"), -EIO);
    /* the pod was still created; the status lags */
    assert_int_equal(pods_of(&h), 2);
    assert_int_equal(h_status(&h, "foo", "replicas"), 0);
    kfake_clear_failures(h.c);
    h_run(&h, "foo", 10);
    assert_int_equal(h_status(&h, "foo", "replicas"), 3);
    h_free(&h);
}

static void test_status_conflict_retried(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    h_sync_ok(&h, "foo");
    h_kubelet(&h, NULL, 60);
    /* someone else wrote the set meanwhile: the first status write conflicts */
    {
        json_t *set = h_set(&h, "foo"), *stale = json_deep_copy(set);
        h_patch_set(&h, "foo", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
        /* the reconcile is handed the stale copy: its resourceVersion no longer matches */
        json_t *pods = kfake_list(h.c, RES_PODS, NS), **pv = xcalloc(4, sizeof(*pv));
        json_t *revs = kfake_list(h.c, RES_CONTROLLERREVISIONS, NS);
        json_t *rv[1] = {json_array_get(revs, 0)};
        for (size_t i = 0; i < json_array_size(pods); i++)
            pv[i] = json_array_get(pods, i);
        assert_int_equal(
            sts_reconcile(&h.ctl, stale, rv, 1, pv, json_array_size(pods), NULL, 0, NULL), 0);
        free(pv);
        json_decref(pods);
        json_decref(revs);
        json_decref(stale);
        json_decref(set);
    }
    assert_int_equal(h_status(&h, "foo", "readyReplicas"), 1);
    assert_int_equal(kfake_calls(h.c, "update/status", RES_STATEFULSETS), 3);
    h_free(&h);
}

/* RecreatesPVCForPendingPod: the claim of a Pending pod went missing and is made again. */
static void test_recreates_claim_for_pending_pod(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    h_sync_ok(&h, "foo");
    assert_true(h_has_claim(&h, "datadir-foo-0"));
    kfake_remove(h.c, RES_PERSISTENTVOLUMECLAIMS, NS, "datadir-foo-0");
    h.checks = 0;
    h_sync_ok(&h, "foo");
    assert_true(h_has_claim(&h, "datadir-foo-0"));
    assert_int_equal(h_events(&h, "SuccessfulCreate", "create Claim datadir-foo-0 Pod foo-0"), 2);
    /* not for a Running pod */
    h_kubelet(&h, NULL, 60);
    kfake_remove(h.c, RES_PERSISTENTVOLUMECLAIMS, NS, "datadir-foo-0");
    h_sync_ok(&h, "foo");
    assert_false(h_has_claim(&h, "datadir-foo-0"));
    h_free(&h);
}

/* PodClaimIsStale: with whenScaled=Delete a claim still owned by an earlier pod of the same
 * name blocks the pod until the garbage collector removes it. */
static void test_stale_claim_blocks_creation(void **state)
{
    struct h h;
    json_t *claim = tj("{\"metadata\":{\"name\":\"datadir-foo-1\",\"namespace\":\"default\","
                       "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                       "\"name\":\"foo-1\",\"uid\":\"stale-uid\",\"controller\":true}]},"
                       "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}");

    h_init(&h);
    h_add_set(&h, with_policy("foo", 1, POLICIES[2], false));
    h_run(&h, "foo", 10);
    kfake_put(h.c, RES_PERSISTENTVOLUMECLAIMS, claim);
    json_decref(claim);
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":2}}");
    h.checks = 0;
    for (int i = 0; i < 3; i++)
        h_sync_ok(&h, "foo");
    assert_false(h_has_pod(&h, "foo-1"));
    /* with Retain on scale down the same claim is simply reused */
    kfake_remove(h.c, RES_PERSISTENTVOLUMECLAIMS, NS, "datadir-foo-1");
    h.checks = CHECK_CLAIMS | CHECK_IDENTITY;
    h_run(&h, "foo", 10);
    assert_true(h_has_pod(&h, "foo-1"));
    h_free(&h);
}

static char *pod_names(struct h *h)
{
    json_t *l = kfake_list(h->c, RES_PODS, NS), *p;
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t **v = xcalloc(json_array_size(l) + 1, sizeof(*v));
    json_array_foreach(l, i, p) v[i] = p;
    qsort(v, json_array_size(l), sizeof(*v), cmp_ord);
    for (i = 0; i < json_array_size(l); i++)
        strbuf_addf(&sb, "%s%s", i ? "," : "", jpath_str(v[i], "metadata.name"));
    free(v);
    json_decref(l);
    return strbuf_detach(&sb, NULL);
}

static void assert_pods(struct h *h, const char *want)
{
    char *got = pod_names(h);
    assert_string_equal(got, want);
    free(got);
}

/* STATEFULSET.md §2 tests 26-29: spec.ordinals.start */
static void test_start_ordinal_set(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 2, NULL));
    h_run(&h, "ss", 10);
    assert_pods(&h, "ss-0,ss-1");
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":3,\"ordinals\":{\"start\":2}}}");
    h_run(&h, "ss", 20);
    assert_pods(&h, "ss-2,ss-3,ss-4");
    h_free(&h);
}

static void test_start_ordinal_increase(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 2, "{\"spec\":{\"ordinals\":{\"start\":2}}}"));
    h_run(&h, "ss", 10);
    assert_pods(&h, "ss-2,ss-3");
    h_patch_set(&h, "ss", "{\"spec\":{\"ordinals\":{\"start\":4}}}");
    h_run(&h, "ss", 20);
    assert_pods(&h, "ss-4,ss-5");
    h_free(&h);
}

static void test_start_ordinal_decrease(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 2, "{\"spec\":{\"ordinals\":{\"start\":3}}}"));
    h_run(&h, "ss", 10);
    assert_pods(&h, "ss-3,ss-4");
    h_patch_set(&h, "ss", "{\"spec\":{\"ordinals\":{\"start\":2}}}");
    h_run(&h, "ss", 20);
    assert_pods(&h, "ss-2,ss-3");
    h_free(&h);
}

static void test_start_ordinal_remove(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 2, "{\"spec\":{\"ordinals\":{\"start\":3}}}"));
    h_run(&h, "ss", 10);
    assert_pods(&h, "ss-3,ss-4");
    h_patch_set(&h, "ss", "{\"spec\":{\"ordinals\":null}}");
    h_run(&h, "ss", 20);
    assert_pods(&h, "ss-0,ss-1");
    h_free(&h);
}

/* e2e "should not deadlock when a pod's predecessor fails": ss-1 is unhealthy, the healthy
 * ss-0 is deleted and must come back. */
static void test_no_deadlock_when_predecessor_fails(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 2, NULL));
    h_run(&h, "ss", 10);
    h_set_ready(&h, "ss-1", false, 0);
    kfake_remove(h.c, RES_PODS, NS, "ss-0");
    h_sync_ok(&h, "ss");
    assert_true(h_has_pod(&h, "ss-0"));
    h_kubelet(&h, "ss-1", 60);
    h_sync_ok(&h, "ss");
    h_set_ready(&h, "ss-1", true, 60);
    h_run(&h, "ss", 10);
    assert_int_equal(h_status(&h, "ss", "readyReplicas"), 2);
    h_free(&h);
}

/* minReadySeconds: a successor waits for its predecessor to be available, not just ready. */
static void test_min_ready_seconds(void **state)
{
    struct h h;
    json_t *status = NULL;

    h_init(&h);
    h.checks |= CHECK_MONOTONIC;
    h_add_set(&h, h_set_json("foo", 2, "{\"spec\":{\"minReadySeconds\":30}}"));
    h_sync_ok(&h, "foo");
    h_set_ready(&h, "foo-0", true, 10);
    h_sync_ok(&h, "foo");
    h_sync_ok(&h, "foo");
    assert_false(h_has_pod(&h, "foo-1"));
    assert_int_equal(h_status(&h, "foo", "readyReplicas"), 1);
    assert_int_equal(h_status(&h, "foo", "availableReplicas"), 0);
    /* exactly minReadySeconds is not enough: strictly more */
    h_set_ready(&h, "foo-0", true, 30);
    h_sync_ok(&h, "foo");
    assert_false(h_has_pod(&h, "foo-1"));
    h_set_ready(&h, "foo-0", true, 31);
    h_sync_ok(&h, "foo");
    assert_true(h_has_pod(&h, "foo-1"));
    assert_int_equal(h_status(&h, "foo", "availableReplicas"), 1);
    (void)status;
    h_free(&h);
}

/* berth §7 item 5 (#64023): a set name too long for the controller-revision-hash label never
 * produces a pod with an invalid label (the API server refuses such sets; the controller still
 * checks what it sends). */
static void test_long_name_never_invalid_label(void **state)
{
    struct h h;
    char name[64];

    memset(name, 'a', 60);
    name[60] = 0;
    h_init(&h);
    h_add_set(&h, h_set_json(name, 1, NULL));
    assert_int_equal(h_sync(&h, name), -EINVAL);
    assert_int_equal(kfake_calls(h.c, "create", RES_PODS), 0);
    assert_int_equal(h_events(&h, "FailedCreate", "label controller-revision-hash="), 1);
    assert_int_equal(h_events(&h, "FailedCreate", "must be no more than 63 characters"), 1);
    h_free(&h);
}

/* upstream's scaleUpStatefulSetControl with random pod progress: the invariants hold at every
 * step whatever order the kubelet moves in. */
static void test_random_progress_invariants(void **state)
{
    srand(7);
    for (int parallel = 0; parallel < 2; parallel++)
        for (size_t p = 0; p < NPOLICIES; p++) {
            struct h h;
            int guard = 0;
            h_init(&h);
            h.checks |= parallel ? 0 : CHECK_MONOTONIC;
            h_add_set(&h, with_policy("foo", 5, POLICIES[p], parallel));
            while (h_status(&h, "foo", "readyReplicas") < 5) {
                json_t *l = kfake_list(h.c, RES_PODS, NS);
                if (json_array_size(l)) {
                    json_t *pod = json_array_get(l, (size_t)rand() % json_array_size(l));
                    const char *name = jpath_str(pod, "metadata.name");
                    const char *phase = jpath_str(pod, "status.phase");
                    if (!strcmp(phase, "Pending"))
                        h_set_phase(&h, name, "Running");
                    else if (!sts__is_running_ready(pod))
                        h_set_ready(&h, name, true, 60);
                }
                json_decref(l);
                h_sync_ok(&h, "foo");
                if (++guard > 200)
                    fail_msg("no progress");
            }
            h_free(&h);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_up_ordered),
        cmocka_unit_test(test_status_revisions_on_create),
        cmocka_unit_test(test_scale_up_burst),
        cmocka_unit_test(test_scale_down_ordered),
        cmocka_unit_test(test_scale_down_burst),
        cmocka_unit_test(test_burst_on_threads),
        cmocka_unit_test(test_ordered_halts_when_unhealthy),
        cmocka_unit_test(test_ordered_scale_down_first_unavailable),
        cmocka_unit_test(test_burst_with_unhealthy_pods),
        cmocka_unit_test(test_replaces_pods),
        cmocka_unit_test(test_recreates_failed_pod),
        cmocka_unit_test(test_recreates_succeeded_pod),
        cmocka_unit_test(test_failed_pod_delete_failure),
        cmocka_unit_test(test_create_pod_failure),
        cmocka_unit_test(test_create_claim_failure),
        cmocka_unit_test(test_claim_not_yet_in_cache),
        cmocka_unit_test(test_claim_being_deleted_blocks_pod),
        cmocka_unit_test(test_update_pod_failure),
        cmocka_unit_test(test_update_pod_conflict_retried),
        cmocka_unit_test(test_update_set_status_failure),
        cmocka_unit_test(test_status_conflict_retried),
        cmocka_unit_test(test_recreates_claim_for_pending_pod),
        cmocka_unit_test(test_stale_claim_blocks_creation),
        cmocka_unit_test(test_start_ordinal_set),
        cmocka_unit_test(test_start_ordinal_increase),
        cmocka_unit_test(test_start_ordinal_decrease),
        cmocka_unit_test(test_start_ordinal_remove),
        cmocka_unit_test(test_no_deadlock_when_predecessor_fails),
        cmocka_unit_test(test_min_ready_seconds),
        cmocka_unit_test(test_long_name_never_invalid_label),
        cmocka_unit_test(test_random_progress_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
