/* StatefulSet updates step by step over the fake API: RollingUpdate in reverse ordinal order,
 * partition (canary, phased), OnDelete and berth's currentRevision promotion (§7 item 3),
 * maxUnavailable, rollback detection, history truncation, revision name collisions, and
 * berth's no-stuck-rollout rule (§7 item 1). */
#include "test_sts_harness.h"

static json_t *make_set(const char *name, int replicas, const char *extra, bool parallel)
{
    json_t *set = h_set_json(name, replicas, extra);
    if (parallel)
        jset_str(jget_obj(set, "spec"), "podManagementPolicy", "Parallel");
    return set;
}

static char *str_status(struct h *h, const char *name, const char *field)
{
    json_t *set = h_set(h, name);
    const char *v = jget_str(jget_obj(set, "status"), field);
    char *s = xstrdup(v ? v : "");
    json_decref(set);
    return s;
}

/* The order of the pods deleted so far, from the events. */
static char *deleted_order(struct h *h)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *e;
    json_array_foreach(h->events, i, e)
    {
        char pod[64];
        if (strcmp(jget_str(e, "reason"), "SuccessfulDelete"))
            continue;
        if (sscanf(jget_str(e, "message"), "delete Pod %63s", pod) == 1)
            strbuf_addf(&sb, "%s%s", sb.len ? "," : "", pod);
    }
    return strbuf_detach(&sb, NULL);
}

static int all_at(struct h *h, const char *name, int n, const char *rev)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        char pod[64];
        snprintf(pod, sizeof(pod), "%s-%d", name, i);
        if (!strcmp(h_rev_of(h, pod), rev))
            count++;
    }
    return count;
}

static void rolling_update(bool parallel)
{
    struct h h;
    char *rev1, *rev2, *order;

    h_init(&h);
    h.checks |= CHECK_REVISIONS | CHECK_UNAVAILABLE;
    h.max_unavailable = 1;
    h_add_set(&h, make_set("foo", 3, NULL, parallel));
    h.checks &= ~CHECK_UNAVAILABLE;
    h_run(&h, "foo", 20);
    h.checks |= CHECK_UNAVAILABLE;
    rev1 = str_status(&h, "foo", "currentRevision");
    h_set_image(&h, "foo", "nginx:2");
    h_run(&h, "foo", 40);
    rev2 = str_status(&h, "foo", "updateRevision");
    assert_string_not_equal(rev1, rev2);
    order = deleted_order(&h);
    assert_string_equal(order, "foo-2,foo-1,foo-0");
    assert_int_equal(all_at(&h, "foo", 3, rev2), 3);
    {
        char *cur = str_status(&h, "foo", "currentRevision");
        assert_string_equal(cur, rev2); /* completeRollingUpdate */
        free(cur);
    }
    assert_int_equal(h_status(&h, "foo", "currentReplicas"), 3);
    assert_int_equal(h_status(&h, "foo", "updatedReplicas"), 3);
    {
        json_t *p = h_pod(&h, "foo-0");
        assert_string_equal(jpath_str(json_array_get(jpath(p, "spec.containers"), 0), "image"),
                            "nginx:2");
        json_decref(p);
    }
    free(order);
    free(rev1);
    free(rev2);
    h_free(&h);
}

static void test_rolling_update_ordered(void **state)
{
    rolling_update(false);
}

static void test_rolling_update_parallel(void **state)
{
    rolling_update(true);
}

/* The legacy path replaces one pod at a time and waits while the replaced pod is unavailable. */
static void test_rolling_update_waits_for_replaced_pod(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, make_set("foo", 3, NULL, true));
    h_run(&h, "foo", 20);
    h_set_image(&h, "foo", "nginx:2");
    h_sync_ok(&h, "foo"); /* deletes foo-2 */
    h_sync_ok(&h, "foo"); /* recreates it */
    assert_true(h_has_pod(&h, "foo-2"));
    for (int i = 0; i < 3; i++)
        h_sync_ok(&h, "foo");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 1);
    /* ready, but minReadySeconds would still hold it: here 0, so it moves on */
    h_set_ready(&h, "foo-2", true, 1);
    h_sync_ok(&h, "foo");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 2);
    h_free(&h);
}

static void test_rolling_update_min_ready_seconds(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, make_set("foo", 2, "{\"spec\":{\"minReadySeconds\":20}}", true));
    h_run(&h, "foo", 20);
    h_set_image(&h, "foo", "nginx:2");
    h_sync_ok(&h, "foo");
    h_sync_ok(&h, "foo");
    h_set_ready(&h, "foo-1", true, 5); /* ready, not yet available */
    h_sync_ok(&h, "foo");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 1);
    h_set_ready(&h, "foo-1", true, 21);
    h_sync_ok(&h, "foo");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 2);
    h_free(&h);
}

/* Conformance "canary updates and phased rolling updates". */
static void test_partition_canary_and_phased(void **state)
{
    struct h h;
    char *rev1, *rev2;

    h_init(&h);
    h.checks |= CHECK_REVISIONS;
    h_add_set(&h, make_set("ss", 3,
                           "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\","
                           "\"rollingUpdate\":{\"partition\":3}}}}",
                           false));
    h_run(&h, "ss", 20);
    rev1 = str_status(&h, "ss", "currentRevision");
    h_set_image(&h, "ss", "nginx:2");
    for (int i = 0; i < 4; i++)
        h_sync_ok(&h, "ss");
    rev2 = str_status(&h, "ss", "updateRevision");
    assert_string_not_equal(rev1, rev2); /* recorded, though nothing moves */
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    assert_int_equal(all_at(&h, "ss", 3, rev1), 3);

    /* canary: partition 2 updates only ss-2 */
    h_patch_set(&h, "ss", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":2}}}}");
    h_run(&h, "ss", 20);
    assert_string_equal(h_rev_of(&h, "ss-2"), rev2);
    assert_string_equal(h_rev_of(&h, "ss-1"), rev1);
    assert_string_equal(h_rev_of(&h, "ss-0"), rev1);
    {
        char *cur = str_status(&h, "ss", "currentRevision");
        assert_string_equal(cur, rev1); /* not promoted while partitioned */
        free(cur);
    }

    /* deleted pods come back at their side of the partition */
    kfake_remove(h.c, RES_PODS, NS, "ss-0");
    kfake_remove(h.c, RES_PODS, NS, "ss-2");
    h_run(&h, "ss", 20);
    assert_string_equal(h_rev_of(&h, "ss-0"), rev1);
    assert_string_equal(h_rev_of(&h, "ss-2"), rev2);

    /* phased: 1, then 0 */
    h_patch_set(&h, "ss", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":1}}}}");
    h_run(&h, "ss", 20);
    assert_string_equal(h_rev_of(&h, "ss-1"), rev2);
    assert_string_equal(h_rev_of(&h, "ss-0"), rev1);
    h_patch_set(&h, "ss", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0}}}}");
    h_run(&h, "ss", 20);
    assert_int_equal(all_at(&h, "ss", 3, rev2), 3);
    {
        char *cur = str_status(&h, "ss", "currentRevision");
        assert_string_equal(cur, rev2);
        free(cur);
    }
    free(rev1);
    free(rev2);
    h_free(&h);
}

/* e2e "partiton1 and delete pod-0" with and without a failing container: pod-0 returns at the
 * current revision while the higher ordinals update. */
static void partition_delete_pod0(bool failed)
{
    struct h h;
    char *rev1, *rev2;

    h_init(&h);
    h_add_set(&h, make_set("ss", 3,
                           "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\","
                           "\"rollingUpdate\":{\"partition\":1}}}}",
                           false));
    h_run(&h, "ss", 20);
    rev1 = str_status(&h, "ss", "currentRevision");
    h_set_image(&h, "ss", "nginx:2");
    h_sync_ok(&h, "ss"); /* ss-2 goes */
    rev2 = str_status(&h, "ss", "updateRevision");
    if (failed) {
        h_set_phase(&h, "ss-0", "Failed");
    } else {
        kfake_remove(h.c, RES_PODS, NS, "ss-0");
    }
    h_run(&h, "ss", 30);
    assert_string_equal(h_rev_of(&h, "ss-0"), rev1);
    assert_string_equal(h_rev_of(&h, "ss-1"), rev2);
    assert_string_equal(h_rev_of(&h, "ss-2"), rev2);
    free(rev1);
    free(rev2);
    h_free(&h);
}

static void test_partition_delete_pod0(void **state)
{
    partition_delete_pod0(false);
}

static void test_partition_failed_pod0(void **state)
{
    partition_delete_pod0(true);
}

/* e2e "legacy replacement when the update strategy is OnDelete", and berth §7 item 3. */
static void test_on_delete(void **state)
{
    struct h h;
    char *rev1, *rev2, *cur;

    h_init(&h);
    h.checks |= CHECK_REVISIONS;
    h_add_set(&h,
              make_set("ss", 3, "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}", false));
    h_run(&h, "ss", 20);
    rev1 = str_status(&h, "ss", "currentRevision");
    kfake_remove(h.c, RES_PODS, NS, "ss-1");
    h_run(&h, "ss", 20);
    assert_string_equal(h_rev_of(&h, "ss-1"), rev1);

    h_set_image(&h, "ss", "nginx:2");
    for (int i = 0; i < 5; i++)
        h_sync_ok(&h, "ss");
    rev2 = str_status(&h, "ss", "updateRevision");
    assert_string_not_equal(rev1, rev2);
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    assert_int_equal(all_at(&h, "ss", 3, rev1), 3);
    assert_int_equal(h_status(&h, "ss", "currentReplicas"), 3);
    assert_int_equal(h_status(&h, "ss", "updatedReplicas"), 0);

    /* deleted pods come back at the update revision */
    for (int i = 0; i < 3; i++) {
        char pod[16];
        snprintf(pod, sizeof(pod), "ss-%d", i);
        kfake_remove(h.c, RES_PODS, NS, pod);
        h_run(&h, "ss", 20);
        assert_string_equal(h_rev_of(&h, pod), rev2);
        cur = str_status(&h, "ss", "currentRevision");
        /* §7 item 3: promoted only once every replica runs the update revision */
        assert_string_equal(cur, i < 2 ? rev1 : rev2);
        free(cur);
    }
    assert_int_equal(h_status(&h, "ss", "currentReplicas"), 3);
    assert_int_equal(h_status(&h, "ss", "updatedReplicas"), 3);
    free(rev1);
    free(rev2);
    h_free(&h);
}

/* maxUnavailable: deletions in batches, never more than maxUnavailable unavailable. */
static void max_unavailable(bool parallel, const char *value, int replicas, int want_max,
                            int partition)
{
    struct h h;
    char extra[256], *rev2;

    snprintf(extra, sizeof(extra),
             "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
             "{\"partition\":%d,\"maxUnavailable\":%s}}}}",
             partition, value);
    h_init(&h);
    h_add_set(&h, make_set("foo", replicas, extra, parallel));
    h_run(&h, "foo", 40);
    h.checks |= CHECK_UNAVAILABLE | CHECK_REVISIONS;
    h.max_unavailable = want_max;
    h_set_image(&h, "foo", "nginx:2");
    h_sync_ok(&h, "foo");
    /* the first pass deletes a full batch from the top */
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS),
                     want_max < replicas - partition ? want_max : replicas - partition);
    h_run(&h, "foo", 60);
    rev2 = str_status(&h, "foo", "updateRevision");
    assert_int_equal(all_at(&h, "foo", replicas, rev2), replicas - partition);
    free(rev2);
    h_free(&h);
}

static void test_max_unavailable_parallel(void **state)
{
    max_unavailable(true, "2", 5, 2, 0);
    max_unavailable(true, "\"40%\"", 5, 2, 0);
    max_unavailable(true, "\"30%\"", 5, 1, 0); /* 1.5 rounds down */
    max_unavailable(true, "10", 5, 10, 0);     /* more than replicas */
    max_unavailable(true, "2", 5, 2, 2);       /* with a partition */
}

static void test_max_unavailable_ordered(void **state)
{
    max_unavailable(false, "2", 5, 2, 0);
    max_unavailable(false, "3", 4, 3, 1);
}

/* More unavailable than allowed: nothing more is deleted. */
static void test_max_unavailable_blocks(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, make_set("foo", 4,
                           "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":"
                           "{\"maxUnavailable\":1}}}}",
                           true));
    h_run(&h, "foo", 20);
    /* two pods at the current revision are unready for their own reasons */
    h_set_ready(&h, "foo-0", false, 0);
    h_set_ready(&h, "foo-1", false, 0);
    h_set_image(&h, "foo", "nginx:2");
    /* berth §7 item 1 replaces those two (out of date and unavailable); nothing healthy goes */
    h_sync_ok(&h, "foo");
    assert_false(h_has_pod(&h, "foo-0"));
    assert_false(h_has_pod(&h, "foo-1"));
    assert_true(h_has_pod(&h, "foo-2"));
    assert_true(h_has_pod(&h, "foo-3"));
    h_free(&h);
}

/* Conformance "rolling updates and roll backs": reverting the template is detected as a
 * rollback, the old revision is reused (renumbered), and pods roll back in reverse order. */
static void test_rollback(void **state)
{
    struct h h;
    char *rev1, *rev2, *upd, *order;
    json_t *cr;

    h_init(&h);
    h.checks |= CHECK_REVISIONS;
    h_add_set(&h, make_set("ss", 3, NULL, false));
    h_run(&h, "ss", 20);
    rev1 = str_status(&h, "ss", "currentRevision");
    h_set_image(&h, "ss", "nginx:2");
    h_run(&h, "ss", 40);
    rev2 = str_status(&h, "ss", "currentRevision");
    assert_string_not_equal(rev1, rev2);
    json_array_clear(h.events);

    h_set_image(&h, "ss", "nginx");
    h_sync_ok(&h, "ss");
    upd = str_status(&h, "ss", "updateRevision");
    assert_string_equal(upd, rev1); /* the old revision, not a new one */
    assert_int_equal(h_count(&h, RES_CONTROLLERREVISIONS), 2);
    cr = kfake_get(h.c, RES_CONTROLLERREVISIONS, NS, rev1);
    assert_int_equal(jget_int(cr, "revision", 0), 3); /* renumbered as the newest */
    json_decref(cr);
    h_run(&h, "ss", 40);
    order = deleted_order(&h);
    assert_string_equal(order, "ss-2,ss-1,ss-0");
    assert_int_equal(all_at(&h, "ss", 3, rev1), 3);
    free(upd);
    upd = str_status(&h, "ss", "currentRevision");
    assert_string_equal(upd, rev1);
    free(upd);
    free(order);
    free(rev1);
    free(rev2);
    h_free(&h);
}

static void test_history_truncation(void **state)
{
    struct h h;
    json_t *l, *r;
    size_t i;
    char *cur;

    h_init(&h);
    h_add_set(&h, make_set("foo", 1, "{\"spec\":{\"revisionHistoryLimit\":2}}", true));
    h_run(&h, "foo", 20);
    for (int v = 2; v <= 6; v++) {
        char image[32];
        snprintf(image, sizeof(image), "nginx:%d", v);
        h_set_image(&h, "foo", image);
        h_run(&h, "foo", 20);
    }
    /* live: the current (= update) revision; history: at most 2 more, the newest */
    assert_int_equal(h_count(&h, RES_CONTROLLERREVISIONS), 3);
    cur = str_status(&h, "foo", "currentRevision");
    l = kfake_list(h.c, RES_CONTROLLERREVISIONS, NS);
    json_array_foreach(l, i, r)
    {
        int64_t n = jget_int(r, "revision", 0);
        assert_true(n >= 4 && n <= 6);
        if (n == 6)
            assert_string_equal(jpath_str(r, "metadata.name"), cur);
    }
    json_decref(l);
    free(cur);

    /* a limit of 0 keeps only the live revision */
    h_patch_set(&h, "foo", "{\"spec\":{\"revisionHistoryLimit\":0}}");
    h_run(&h, "foo", 20);
    assert_int_equal(h_count(&h, RES_CONTROLLERREVISIONS), 1);
    h_free(&h);
}

/* Revisions a pod still runs are live and never truncated. */
static void test_history_keeps_pod_revisions(void **state)
{
    struct h h;
    char *rev1;

    h_init(&h);
    h_add_set(&h, make_set("foo", 2,
                           "{\"spec\":{\"revisionHistoryLimit\":0,\"updateStrategy\":"
                           "{\"type\":\"OnDelete\"}}}",
                           true));
    h_run(&h, "foo", 20);
    rev1 = str_status(&h, "foo", "currentRevision");
    h_set_image(&h, "foo", "nginx:2");
    h_sync_ok(&h, "foo");
    h_set_image(&h, "foo", "nginx:3");
    h_sync_ok(&h, "foo");
    /* rev1 is current and run by both pods; nginx:2's revision is history and goes */
    assert_int_equal(h_count(&h, RES_CONTROLLERREVISIONS), 2);
    assert_true(h_has(&h, RES_CONTROLLERREVISIONS, rev1));
    free(rev1);
    h_free(&h);
}

/* A ControllerRevision of another owner holds the name: collisionCount moves the name on. */
static void test_revision_collision(void **state)
{
    struct h h;
    json_t *set, *cr, *other;
    char *name, hash[16], *expect, *upd;

    h_init(&h);
    set = h_create_set(&h, make_set("foo", 1, NULL, false));
    /* the name the first revision would get */
    cr = sts__new_revision(set, 1, 0);
    name = xstrdup(jpath_str(cr, "metadata.name"));
    other = json_pack("{s:{s:s,s:s,s:{s:s},s:[{s:s,s:s,s:s,s:s,s:b}]},s:{s:i},s:i}", "metadata",
                      "name", name, "namespace", NS, "labels", "foo", "bar", "ownerReferences",
                      "apiVersion", "apps/v1", "kind", "StatefulSet", "name", "other", "uid",
                      "other-uid", "controller", 1, "data", "x", 1, "revision", 1);
    kfake_put(h.c, RES_CONTROLLERREVISIONS, other);
    h_run(&h, "foo", 20);
    assert_int_equal(h_status(&h, "foo", "collisionCount"), 1);
    {
        char *text = json_dump_canonical(jget(cr, "data"));
        sts__revision_hash(text, 1, hash);
        free(text);
    }
    expect = xasprintf("foo-%s", hash);
    upd = str_status(&h, "foo", "updateRevision");
    assert_string_equal(upd, expect);
    assert_string_equal(h_rev_of(&h, "foo-0"), expect);
    /* the other owner's revision is untouched */
    json_decref(other);
    other = kfake_get(h.c, RES_CONTROLLERREVISIONS, NS, name);
    assert_int_equal(jpath_int(other, "data.x", 0), 1);
    /* stable: the next sync reuses the revision, no further collision */
    h_sync_ok(&h, "foo");
    assert_int_equal(h_status(&h, "foo", "collisionCount"), 1);
    json_decref(other);
    json_decref(cr);
    json_decref(set);
    free(name);
    free(expect);
    free(upd);
    h_free(&h);
}

/* An existing revision of the same name holding the same template is reused (a cache that had
 * not seen our own create yet). */
static void test_revision_exists_equal(void **state)
{
    struct h h;
    json_t *set, *cr;

    h_init(&h);
    set = h_create_set(&h, make_set("foo", 1, NULL, false));
    cr = sts__new_revision(set, 1, 0);
    kfake_put(h.c, RES_CONTROLLERREVISIONS, cr);
    /* reconcile over a list that does not have it yet */
    {
        json_t *s = h_set(&h, "foo");
        assert_int_equal(sts_reconcile(&h.ctl, s, NULL, 0, NULL, 0, NULL, 0, NULL), 0);
        json_decref(s);
    }
    assert_int_equal(h_count(&h, RES_CONTROLLERREVISIONS), 1);
    assert_int_equal(h_status(&h, "foo", "collisionCount"), 0);
    json_decref(cr);
    json_decref(set);
    h_free(&h);
}

/* berth §7 item 1 (#67250): a bad template leaves the newest pod crash-looping; reverting the
 * template heals the set with no manual delete, in both policies, with and without
 * maxUnavailable. */
static void no_stuck_rollout(bool parallel, bool with_max_unavailable)
{
    struct h h;
    char *good, *upd;

    h_init(&h);
    h_add_set(&h,
              make_set("ss", 3,
                       with_max_unavailable ? "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":"
                                              "{\"maxUnavailable\":1}}}}"
                                            : NULL,
                       parallel));
    h_run(&h, "ss", 20);
    good = str_status(&h, "ss", "currentRevision");
    h_set_image(&h, "ss", "nginx:broken");
    h_sync_ok(&h, "ss");                /* ss-2 replaced */
    h_sync_ok(&h, "ss");                /* and recreated at the bad revision */
    h_set_phase(&h, "ss-2", "Running"); /* CrashLoopBackOff: running, never ready */
    h_set_ready(&h, "ss-2", false, 0);
    for (int i = 0; i < 4; i++)
        h_sync_ok(&h, "ss");
    /* stuck, as it should be: the bad revision goes no further */
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 1);
    assert_string_equal(h_rev_of(&h, "ss-1"), good);

    /* revert: the stuck pod is out of date and unavailable, so it is replaced at once */
    h_set_image(&h, "ss", "nginx");
    h_sync_ok(&h, "ss");
    assert_false(h_has_pod(&h, "ss-2"));
    h_run(&h, "ss", 20);
    assert_int_equal(all_at(&h, "ss", 3, good), 3);
    upd = str_status(&h, "ss", "currentRevision");
    assert_string_equal(upd, good);
    free(upd);
    free(good);
    h_free(&h);
}

static void test_no_stuck_rollout_ordered(void **state)
{
    no_stuck_rollout(false, false);
    no_stuck_rollout(false, true);
}

static void test_no_stuck_rollout_parallel(void **state)
{
    no_stuck_rollout(true, false);
    no_stuck_rollout(true, true);
}

/* A pod crash-looping at the current revision blocks an OrderedReady set; a template fix
 * replaces it (it is out of date and unavailable) instead of waiting for it forever. */
static void test_fix_replaces_crashing_pod(void **state)
{
    struct h h;
    char *upd;

    h_init(&h);
    h_add_set(&h, make_set("ss", 3, NULL, false));
    h_run(&h, "ss", 20);
    h_set_ready(&h, "ss-1", false, 0);
    h_set_image(&h, "ss", "nginx:fixed");
    h_sync_ok(&h, "ss");
    assert_false(h_has_pod(&h, "ss-1"));
    h_run(&h, "ss", 30);
    upd = str_status(&h, "ss", "updateRevision");
    assert_int_equal(all_at(&h, "ss", 3, upd), 3);
    free(upd);
    h_free(&h);
}

/* OnDelete never replaces a pod for an update, stuck or not. */
static void test_on_delete_never_replaces_stuck(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h,
              make_set("ss", 2, "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}", false));
    h_run(&h, "ss", 20);
    h_set_ready(&h, "ss-1", false, 0);
    h_set_image(&h, "ss", "nginx:2");
    for (int i = 0; i < 3; i++)
        h_sync_ok(&h, "ss");
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    h_free(&h);
}

/* A partition keeps its pods: the stuck-pod rule does not reach below it. */
static void test_stuck_rule_respects_partition(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, make_set("ss", 3,
                           "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":"
                           "{\"partition\":2}}}}",
                           true));
    h_run(&h, "ss", 20);
    h_set_ready(&h, "ss-0", false, 0);
    h_set_image(&h, "ss", "nginx:2");
    for (int i = 0; i < 3; i++)
        h_sync_ok(&h, "ss");
    assert_true(h_has_pod(&h, "ss-0"));
    h_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rolling_update_ordered),
        cmocka_unit_test(test_rolling_update_parallel),
        cmocka_unit_test(test_rolling_update_waits_for_replaced_pod),
        cmocka_unit_test(test_rolling_update_min_ready_seconds),
        cmocka_unit_test(test_partition_canary_and_phased),
        cmocka_unit_test(test_partition_delete_pod0),
        cmocka_unit_test(test_partition_failed_pod0),
        cmocka_unit_test(test_on_delete),
        cmocka_unit_test(test_max_unavailable_parallel),
        cmocka_unit_test(test_max_unavailable_ordered),
        cmocka_unit_test(test_max_unavailable_blocks),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_history_truncation),
        cmocka_unit_test(test_history_keeps_pod_revisions),
        cmocka_unit_test(test_revision_collision),
        cmocka_unit_test(test_revision_exists_equal),
        cmocka_unit_test(test_no_stuck_rollout_ordered),
        cmocka_unit_test(test_no_stuck_rollout_parallel),
        cmocka_unit_test(test_fix_replaces_crashing_pod),
        cmocka_unit_test(test_on_delete_never_replaces_stuck),
        cmocka_unit_test(test_stuck_rule_respects_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
