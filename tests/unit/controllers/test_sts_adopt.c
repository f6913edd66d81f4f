/* Which pods and revisions belong to a set (ClaimPods, adoptOrphanRevisions; e2e "should adopt
 * matching orphans and release non-matching pods" and the retention tests after adoption),
 * and set deletion (status only). */
#include "test_sts_harness.h"

static const json_t *controller_ref(const json_t *obj)
{
    return sts__controller_of(obj);
}

static void orphan(struct h *h, const char *pod)
{
    json_t *p = h_pod(h, pod);
    json_object_del(jget_obj(p, "metadata"), "ownerReferences");
    h_put_pod(h, p);
}

static void set_label(struct h *h, const char *pod, const char *key, const char *val)
{
    json_t *p = h_pod(h, pod);
    if (val)
        jset_str(jensure_obj(jget_obj(p, "metadata"), "labels"), key, val);
    else
        json_object_del(jpath(p, "metadata.labels"), key);
    h_put_pod(h, p);
}

static void test_adopt_and_release(void **state)
{
    struct h h;
    json_t *set, *p;

    h_init(&h);
    set = h_create_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    p = h_pod(&h, "ss-0");
    assert_string_equal(jget_str(controller_ref(p), "uid"), jpath_str(set, "metadata.uid"));
    assert_string_equal(jget_str(controller_ref(p), "kind"), "StatefulSet");
    assert_string_equal(jget_str(controller_ref(p), "name"), "ss");
    json_decref(p);

    /* clearing the owner refs: re-adopted, after a live look at the set */
    orphan(&h, "ss-0");
    {
        int gets = kfake_calls(h.c, "get", RES_STATEFULSETS);
        h_sync_ok(&h, "ss");
        assert_int_equal(kfake_calls(h.c, "get", RES_STATEFULSETS), gets + 1);
    }
    p = h_pod(&h, "ss-0");
    assert_string_equal(jget_str(controller_ref(p), "uid"), jpath_str(set, "metadata.uid"));
    assert_true(jget_bool(controller_ref(p), "blockOwnerDeletion", false));
    json_decref(p);

    /* labels no longer matching: released (and its replacement cannot be created while the
     * name is taken: AlreadyExists, retried) */
    h.checks = 0;
    set_label(&h, "ss-0", "foo", NULL);
    assert_int_equal(h_sync(&h, "ss"), -EEXIST);
    p = h_pod(&h, "ss-0");
    assert_null(controller_ref(p));
    json_decref(p);

    /* labels back: adopted again */
    set_label(&h, "ss-0", "foo", "bar");
    h_sync_ok(&h, "ss");
    p = h_pod(&h, "ss-0");
    assert_string_equal(jget_str(controller_ref(p), "uid"), jpath_str(set, "metadata.uid"));
    json_decref(p);
    json_decref(set);
    h_free(&h);
}

/* A released pod keeps its name: creating the replacement fails with AlreadyExists, which is
 * retried (no event for it). */
static void test_release_blocks_replacement(void **state)
{
    struct h h;

    h_init(&h);
    h.checks = 0;
    h_add_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    set_label(&h, "ss-0", "foo", "other");
    assert_int_equal(h_sync(&h, "ss"), -EEXIST); /* released, and the name is taken */
    assert_int_equal(h_sync(&h, "ss"), -EEXIST);
    assert_int_equal(h_events(&h, "FailedCreate", NULL), 0);
    h_free(&h);
}

/* Pods that are not members by name, owned by another controller, or being deleted are left
 * alone; so is everything while the set itself is being deleted. */
static void test_not_adopted(void **state)
{
    struct h h;
    json_t *p;

    h_init(&h);
    h.checks = 0;
    h_add_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    kfake_put(h.c, RES_PODS,
              p = tj("{\"metadata\":{\"name\":\"other-0\",\"namespace\":\"default\","
                     "\"labels\":{\"foo\":\"bar\"}},\"status\":{\"phase\":\"Running\"}}"));
    json_decref(p);
    kfake_put(h.c, RES_PODS,
              p = tj("{\"metadata\":{\"name\":\"ss-5\",\"namespace\":\"default\","
                     "\"labels\":{\"foo\":\"bar\"},\"ownerReferences\":[{\"apiVersion\":\"v1\","
                     "\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"rs-uid\","
                     "\"controller\":true}]},\"status\":{\"phase\":\"Running\"}}"));
    json_decref(p);
    kfake_put(h.c, RES_PODS,
              p = tj("{\"metadata\":{\"name\":\"ss-6\",\"namespace\":\"default\","
                     "\"labels\":{\"foo\":\"bar\"},\"finalizers\":[\"x\"],"
                     "\"deletionTimestamp\":\"2027-01-15T08:00:00Z\"},"
                     "\"status\":{\"phase\":\"Running\"}}"));
    json_decref(p);
    h_sync_ok(&h, "ss");
    assert_int_equal(kfake_calls(h.c, "patch", RES_PODS), 0);
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    h_free(&h);
}

/* An orphan member with an out-of-range ordinal is adopted, then deleted as condemned. */
static void test_adopted_out_of_range_is_condemned(void **state)
{
    struct h h;
    json_t *p;

    h_init(&h);
    h.checks = 0;
    h_add_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    kfake_put(h.c, RES_PODS,
              p = tj("{\"metadata\":{\"name\":\"ss-3\",\"namespace\":\"default\","
                     "\"labels\":{\"foo\":\"bar\"}},\"status\":{\"phase\":\"Running\","
                     "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"));
    json_decref(p);
    h_sync_ok(&h, "ss");
    /* adopted (a patch), then deleted in the same pass: condemned, healthy, first in line */
    assert_int_equal(kfake_calls(h.c, "patch", RES_PODS), 1);
    assert_false(h_has_pod(&h, "ss-3"));
    assert_int_equal(h_events(&h, "SuccessfulDelete", "delete Pod ss-3"), 1);
    h_free(&h);
}

/* The set was replaced (same name, new UID) after the cache was read: nothing is adopted. */
static void test_no_adoption_by_replaced_set(void **state)
{
    struct h h;
    json_t *stale, *fresh, *pods, **pv;

    h_init(&h);
    h.checks = 0;
    stale = h_create_set(&h, h_set_json("ss", 1, NULL));
    h_run(&h, "ss", 10);
    orphan(&h, "ss-0");
    fresh = h_set(&h, "ss");
    jset_str(jget_obj(fresh, "metadata"), "uid", "new-uid");
    kfake_put(h.c, RES_STATEFULSETS, fresh);
    pods = kfake_list(h.c, RES_PODS, NS);
    pv = xcalloc(2, sizeof(*pv));
    pv[0] = json_array_get(pods, 0);
    assert_true(sts_reconcile(&h.ctl, stale, NULL, 0, pv, 1, NULL, 0, NULL) < 0);
    assert_int_equal(kfake_calls(h.c, "patch", RES_PODS), 0);
    free(pv);
    json_decref(pods);
    json_decref(fresh);
    json_decref(stale);
    h_free(&h);
}

/* Orphan ControllerRevisions matching the selector are adopted (UID precondition); those of
 * another owner are not. */
static void test_adopt_revisions(void **state)
{
    struct h h;
    json_t *set, *cr, *other;
    char *name;

    h_init(&h);
    set = h_create_set(&h, h_set_json("ss", 1, NULL));
    cr = sts__new_revision(set, 1, 0);
    json_object_del(jget_obj(cr, "metadata"), "ownerReferences");
    name = xstrdup(jpath_str(cr, "metadata.name"));
    kfake_put(h.c, RES_CONTROLLERREVISIONS, cr);
    other = json_pack("{s:{s:s,s:s,s:{s:s},s:[{s:s,s:s,s:s,s:s,s:b}]},s:{},s:i}", "metadata",
                      "name", "theirs", "namespace", NS, "labels", "foo", "bar", "ownerReferences",
                      "apiVersion", "apps/v1", "kind", "StatefulSet", "name", "x", "uid", "x-uid",
                      "controller", 1, "data", "revision", 9);
    kfake_put(h.c, RES_CONTROLLERREVISIONS, other);
    h_run(&h, "ss", 10);
    json_decref(cr);
    cr = kfake_get(h.c, RES_CONTROLLERREVISIONS, NS, name);
    assert_string_equal(jget_str(controller_ref(cr), "uid"), jpath_str(set, "metadata.uid"));
    /* the adopted revision is the set's revision: reused, no new one */
    assert_string_equal(h_rev_of(&h, "ss-0"), name);
    assert_int_equal(kfake_calls(h.c, "create", RES_CONTROLLERREVISIONS), 0);
    json_decref(other);
    other = kfake_get(h.c, RES_CONTROLLERREVISIONS, NS, "theirs");
    assert_string_equal(jget_str(controller_ref(other), "uid"), "x-uid");
    json_decref(other);
    json_decref(cr);
    json_decref(set);
    free(name);
    h_free(&h);
}

/* e2e 22/23: an orphaned pod is re-adopted and the retention policy applies to its claims. */
static void test_retention_after_adoption(void **state)
{
    struct h h;
    json_t *c;

    h_init(&h);
    h_add_set(&h, h_set_json("ss", 3,
                             "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":"
                             "{\"whenScaled\":\"Delete\",\"whenDeleted\":\"Delete\"}}}"));
    h_run(&h, "ss", 20);
    orphan(&h, "ss-2");
    h_run(&h, "ss", 10);
    h_hold(&h, "ss-1");
    h_hold(&h, "ss-2");
    h_patch_set(&h, "ss", "{\"spec\":{\"replicas\":1}}");
    h_sync_ok(&h, "ss");
    c = h_claim(&h, "datadir-ss-2");
    assert_string_equal(jget_str(json_array_get(jpath(c, "metadata.ownerReferences"), 0), "kind"),
                        "Pod");
    json_decref(c);
    h_free(&h);
}

/* A set being deleted only reports status: no pods created or deleted, no adoption. */
static void test_set_being_deleted(void **state)
{
    struct h h;
    json_t *set;

    h_init(&h);
    h.checks = 0;
    h_add_set(&h, h_set_json("ss", 2, NULL));
    h_run(&h, "ss", 10);
    kfake_remove(h.c, RES_PODS, NS, "ss-1");
    orphan(&h, "ss-0");
    set = h_set(&h, "ss");
    jset_str(jget_obj(set, "metadata"), "deletionTimestamp", "2027-01-15T08:00:00Z");
    json_object_set_new(jget_obj(set, "metadata"), "finalizers",
                        json_pack("[s]", "foregroundDeletion"));
    kfake_put(h.c, RES_STATEFULSETS, set);
    json_decref(set);
    h_sync_ok(&h, "ss");
    assert_false(h_has_pod(&h, "ss-1"));
    assert_int_equal(kfake_calls(h.c, "patch", RES_PODS), 0);
    assert_int_equal(h_status(&h, "ss", "replicas"), 0); /* ss-0 is no longer its pod */
    h_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adopt_and_release),
        cmocka_unit_test(test_release_blocks_replacement),
        cmocka_unit_test(test_not_adopted),
        cmocka_unit_test(test_adopted_out_of_range_is_condemned),
        cmocka_unit_test(test_no_adoption_by_replaced_set),
        cmocka_unit_test(test_adopt_revisions),
        cmocka_unit_test(test_retention_after_adoption),
        cmocka_unit_test(test_set_being_deleted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
