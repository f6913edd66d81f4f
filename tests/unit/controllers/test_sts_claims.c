/* StatefulSet claims: the persistentVolumeClaimRetentionPolicy owner-reference matrix with its
 * stale-reference and conflicting-controller guards (upstream's retention tests and e2e 19-24),
 * and berth's claim template expansion (§7 item 2). The controller never deletes a claim: the
 * harness fails any step that does. */
#include "test_sts_harness.h"

static const char *const POLICY[2][2] = {
    /* [whenScaled Delete][whenDeleted Delete] */
    {"{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Retain\","
     "\"whenDeleted\":\"Retain\"}}}",
     "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Retain\","
     "\"whenDeleted\":\"Delete\"}}}"},
    {"{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Delete\","
     "\"whenDeleted\":\"Retain\"}}}",
     "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenScaled\":\"Delete\","
     "\"whenDeleted\":\"Delete\"}}}"},
};

/* "set", "pod", "set+pod" or "" for the refs of claim name: which owners it has */
static char *refs_of(struct h *h, const char *claim)
{
    json_t *c = h_claim(h, claim), *r;
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_array_foreach(jpath(c, "metadata.ownerReferences"), i, r)
    {
        const char *kind = jget_str(r, "kind");
        strbuf_addf(&sb, "%s%s%s", sb.len ? "+" : "",
                    !strcmp(kind, "StatefulSet") ? "set"
                    : !strcmp(kind, "Pod")       ? "pod"
                                                 : kind,
                    jget_bool(r, "controller", false) ? "" : "(nc)");
    }
    json_decref(c);
    return strbuf_detach(&sb, NULL);
}

static void assert_refs(struct h *h, const char *claim, const char *want)
{
    char *got = refs_of(h, claim);
    if (strcmp(got, want))
        fail_msg("claim %s: refs \"%s\", want \"%s\"", claim, got, want);
    free(got);
}

static void test_retention_matrix(void **state)
{
    /* in range, then condemned (scaled down) */
    static const char *const want_in[2][2] = {{"", "set"}, {"", "set"}};
    static const char *const want_out[2][2] = {{"", "set"}, {"pod", "pod"}};

    for (int scaled = 0; scaled < 2; scaled++)
        for (int deleted = 0; deleted < 2; deleted++) {
            struct h h;
            h_init(&h);
            h_add_set(&h, h_set_json("foo", 3, POLICY[scaled][deleted]));
            h_run(&h, "foo", 20);
            for (int i = 0; i < 3; i++) {
                char c[32];
                snprintf(c, sizeof(c), "datadir-foo-%d", i);
                assert_refs(&h, c, want_in[scaled][deleted]);
            }
            for (int i = 0; i < 3; i++) {
                char p[16];
                snprintf(p, sizeof(p), "foo-%d", i);
                h_hold(&h, p);
            }
            h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":1}}");
            h_sync_ok(&h, "foo");
            /* the claims of both condemned pods are fixed before the first deletion */
            assert_refs(&h, "datadir-foo-2", want_out[scaled][deleted]);
            assert_refs(&h, "datadir-foo-1", want_out[scaled][deleted]);
            assert_refs(&h, "datadir-foo-0", want_in[scaled][deleted]);
            h_finish_terminating(&h);
            h_run(&h, "foo", 20);
            assert_int_equal(h_count(&h, RES_PERSISTENTVOLUMECLAIMS), 3);
            h_free(&h);
        }
}

/* The refs written are controller refs with blockOwnerDeletion, to the right UIDs. */
static void test_retention_refs_shape(void **state)
{
    struct h h;
    json_t *set, *claim, *pod, *r;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 2, POLICY[1][1]));
    h_run(&h, "foo", 20);
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":1}}");
    h_hold(&h, "foo-1");
    h_sync_ok(&h, "foo");
    set = h_set(&h, "foo");
    claim = h_claim(&h, "datadir-foo-0");
    r = json_array_get(jpath(claim, "metadata.ownerReferences"), 0);
    assert_string_equal(jget_str(r, "uid"), jpath_str(set, "metadata.uid"));
    assert_string_equal(jget_str(r, "apiVersion"), "apps/v1");
    assert_true(jget_bool(r, "controller", false));
    assert_true(jget_bool(r, "blockOwnerDeletion", false));
    json_decref(claim);
    claim = h_claim(&h, "datadir-foo-1");
    pod = h_pod(&h, "foo-1");
    r = json_array_get(jpath(claim, "metadata.ownerReferences"), 0);
    assert_int_equal(json_array_size(jpath(claim, "metadata.ownerReferences")), 1);
    assert_string_equal(jget_str(r, "uid"), jpath_str(pod, "metadata.uid"));
    assert_string_equal(jget_str(r, "apiVersion"), "v1");
    assert_string_equal(jget_str(r, "kind"), "Pod");
    json_decref(claim);
    json_decref(pod);
    json_decref(set);
    h_free(&h);
}

/* Changing the policy of a running set rewrites the refs of its claims. */
static void test_retention_policy_change(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 2, NULL));
    h_run(&h, "foo", 20);
    assert_refs(&h, "datadir-foo-0", "");
    h_patch_set(&h, "foo",
                "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":"
                "\"Delete\"}}}");
    h_run(&h, "foo", 20);
    assert_refs(&h, "datadir-foo-0", "set");
    assert_refs(&h, "datadir-foo-1", "set");
    h_patch_set(&h, "foo",
                "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":"
                "\"Retain\"}}}");
    h_run(&h, "foo", 20);
    assert_refs(&h, "datadir-foo-0", "");
    h_free(&h);
}

static void put_claim(struct h *h, const char *name, const char *refs_json)
{
    json_t *c = json_pack("{s:{s:s,s:s,s:{s:s}},s:{s:[s],s:{s:{s:s}}}}", "metadata", "name", name,
                          "namespace", NS, "labels", "foo", "bar", "spec", "accessModes",
                          "ReadWriteOnce", "resources", "requests", "storage", "1Gi");
    if (refs_json)
        json_object_set_new(jget_obj(c, "metadata"), "ownerReferences", tj(refs_json));
    kfake_put(h->c, RES_PERSISTENTVOLUMECLAIMS, c);
    json_decref(c);
}

/* e2e 21: another controller owns a claim: a ConflictingController event, the policy is
 * ignored for it; once that owner is gone the policy applies again. */
static void test_conflicting_controller(void **state)
{
    struct h h;

    h_init(&h);
    h.checks = CHECK_IDENTITY; /* claim 1 is deliberately outside the matrix */
    put_claim(&h, "datadir-foo-1",
              "[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"cm\",\"uid\":\"cm-uid\","
              "\"controller\":true}]");
    h_add_set(&h, h_set_json("foo", 2, POLICY[1][0]));
    h_run(&h, "foo", 20);
    assert_true(h_events(&h, "ConflictingController",
                         "PersistentVolumeClaim datadir-foo-1 has a conflicting OwnerReference "
                         "that acts as a manging controller, the retention policy is ignored for "
                         "this claim") > 0);
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":0}}");
    h_run(&h, "foo", 20);
    assert_refs(&h, "datadir-foo-1", "ConfigMap"); /* no pod ref added */
    assert_refs(&h, "datadir-foo-0", "pod");

    /* the garbage collector takes claim 0 with its pod; the ConfigMap lets go of claim 1: the
     * next scale down hands it to its pod */
    assert_int_equal(h_gc_claims(&h), 1);
    put_claim(&h, "datadir-foo-1", NULL);
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":2}}");
    h_run(&h, "foo", 20);
    h_hold(&h, "foo-1");
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":1}}");
    h_sync_ok(&h, "foo");
    assert_refs(&h, "datadir-foo-1", "pod");
    h_free(&h);
}

/* e2e 24: an external non-controller owner is kept and the set ref appended; a stale set ref
 * (unknown UID) is left untouched; a controller:false set ref is made a controller ref. */
static void test_other_owners(void **state)
{
    struct h h;
    json_t *set;
    char refs[512];

    h_init(&h);
    h.checks = CHECK_IDENTITY;
    set = h_create_set(&h, h_set_json("foo", 3, POLICY[0][1]));
    put_claim(
        &h, "datadir-foo-0",
        "[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"cm\",\"uid\":\"cm-uid\"}]");
    put_claim(&h, "datadir-foo-1",
              "[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"foo\","
              "\"uid\":\"stale-uid\",\"controller\":true}]");
    snprintf(refs, sizeof(refs),
             "[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"foo\","
             "\"uid\":\"%s\",\"controller\":false}]",
             jpath_str(set, "metadata.uid"));
    put_claim(&h, "datadir-foo-2", refs);
    h_run(&h, "foo", 20);
    assert_refs(&h, "datadir-foo-0", "ConfigMap(nc)+set");
    assert_refs(&h, "datadir-foo-1", "set");
    {
        json_t *c = h_claim(&h, "datadir-foo-1");
        assert_string_equal(
            jget_str(json_array_get(jpath(c, "metadata.ownerReferences"), 0), "uid"), "stale-uid");
        json_decref(c);
    }
    assert_refs(&h, "datadir-foo-2", "set");
    json_decref(set);
    h_free(&h);
}

/* --- claim template expansion (berth §7 item 2) --- */

static void bind_claim(struct h *h, const char *name, const char *capacity)
{
    json_t *c = h_claim(h, name);
    json_t *st = jensure_obj(c, "status");
    jset_str(st, "phase", "Bound");
    json_object_set_new(st, "capacity", json_pack("{s:s}", "storage", capacity));
    kfake_put(h->c, RES_PERSISTENTVOLUMECLAIMS, c);
    json_decref(c);
}

static const char *request_of(struct h *h, const char *name)
{
    static char buf[64];
    json_t *c = h_claim(h, name);
    snprintf(buf, sizeof(buf), "%s", jpath_str(c, "spec.resources.requests.storage"));
    json_decref(c);
    return buf;
}

static void set_template_size(struct h *h, const char *size)
{
    json_t *set = h_set(h, "foo");
    jset_str(jpath(json_array_get(jpath(set, "spec.volumeClaimTemplates"), 0),
                   "spec.resources.requests"),
             "storage", size);
    assert_int_equal(kclient_update(h->c, RES_STATEFULSETS, NS, set, NULL, NULL), 0);
    json_decref(set);
}

static void test_expansion(void **state)
{
    struct h h;
    json_t *set;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 3, NULL));
    h_run(&h, "foo", 20);
    bind_claim(&h, "datadir-foo-0", "1Gi");
    bind_claim(&h, "datadir-foo-1", "1Gi");
    /* datadir-foo-2 stays Pending: the API refuses to resize an unbound claim */
    h_sync_ok(&h, "foo");
    set = h_set(&h, "foo");
    assert_json_eq(jpath(set, "status.volumeClaimTemplates"),
                   "[{\"templateName\":\"datadir\",\"compatibleReplicas\":2,"
                   "\"updatingReplicas\":0}]");
    json_decref(set);

    set_template_size(&h, "2Gi");
    h_sync_ok(&h, "foo");
    assert_string_equal(request_of(&h, "datadir-foo-0"), "2Gi");
    assert_string_equal(request_of(&h, "datadir-foo-1"), "2Gi");
    assert_string_equal(request_of(&h, "datadir-foo-2"), "1Gi");
    assert_int_equal(h_events(&h, "SuccessfulUpdate",
                              "update Claim datadir-foo-0 Pod foo-0 in "
                              "StatefulSet foo success"),
                     1);
    assert_int_equal(kfake_calls(h.c, "patch", RES_PERSISTENTVOLUMECLAIMS), 2);
    set = h_set(&h, "foo");
    assert_json_eq(jpath(set, "status.volumeClaimTemplates"),
                   "[{\"templateName\":\"datadir\",\"compatibleReplicas\":0,"
                   "\"updatingReplicas\":2}]");
    json_decref(set);

    /* the volume side grows claim 0; claim 2 gets bound (at the old size) and is expanded */
    bind_claim(&h, "datadir-foo-0", "2Gi");
    bind_claim(&h, "datadir-foo-2", "1Gi");
    h_sync_ok(&h, "foo");
    assert_string_equal(request_of(&h, "datadir-foo-2"), "2Gi");
    set = h_set(&h, "foo");
    assert_json_eq(jpath(set, "status.volumeClaimTemplates"),
                   "[{\"templateName\":\"datadir\",\"compatibleReplicas\":1,"
                   "\"updatingReplicas\":2}]");
    json_decref(set);
    /* idempotent: nothing more to patch */
    h_sync_ok(&h, "foo");
    assert_int_equal(kfake_calls(h.c, "patch", RES_PERSISTENTVOLUMECLAIMS), 3);
    h_free(&h);
}

/* Claims of scaled-down ordinals are expanded too (they come back when the set scales up), but
 * only in-range claims are counted. Claims never shrink. */
static void test_expansion_scaled_down_and_never_shrinks(void **state)
{
    struct h h;
    json_t *set;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 2, NULL));
    h_run(&h, "foo", 20);
    bind_claim(&h, "datadir-foo-0", "1Gi");
    bind_claim(&h, "datadir-foo-1", "1Gi");
    h_patch_set(&h, "foo", "{\"spec\":{\"replicas\":1}}");
    h_run(&h, "foo", 20);
    set_template_size(&h, "3Gi");
    h_sync_ok(&h, "foo");
    assert_string_equal(request_of(&h, "datadir-foo-1"), "3Gi");
    set = h_set(&h, "foo");
    assert_json_eq(jpath(set, "status.volumeClaimTemplates"),
                   "[{\"templateName\":\"datadir\",\"compatibleReplicas\":0,"
                   "\"updatingReplicas\":1}]");
    json_decref(set);

    /* a claim larger than its template is left alone */
    {
        json_t *c = h_claim(&h, "datadir-foo-0");
        jset_str(jpath(c, "spec.resources.requests"), "storage", "5Gi");
        kfake_put(h.c, RES_PERSISTENTVOLUMECLAIMS, c);
        json_decref(c);
    }
    h_sync_ok(&h, "foo");
    assert_string_equal(request_of(&h, "datadir-foo-0"), "5Gi");
    h_free(&h);
}

static void test_expansion_failure(void **state)
{
    struct h h;

    h_init(&h);
    h_add_set(&h, h_set_json("foo", 1, NULL));
    h_run(&h, "foo", 20);
    bind_claim(&h, "datadir-foo-0", "1Gi");
    set_template_size(&h, "2Gi");
    kfake_fail_after(h.c, "patch", RES_PERSISTENTVOLUMECLAIMS, 0, -EINVAL);
    assert_int_equal(h_sync(&h, "foo"), -EINVAL);
    assert_int_equal(h_events(&h, "FailedUpdate",
                              "update Claim datadir-foo-0 for Pod foo-0 in "
                              "StatefulSet foo failed error: "),
                     1);
    kfake_clear_failures(h.c);
    h_sync_ok(&h, "foo");
    assert_string_equal(request_of(&h, "datadir-foo-0"), "2Gi");
    h_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention_matrix),
        cmocka_unit_test(test_retention_refs_shape),
        cmocka_unit_test(test_retention_policy_change),
        cmocka_unit_test(test_conflicting_controller),
        cmocka_unit_test(test_other_owners),
        cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_expansion_scaled_down_and_never_shrinks),
        cmocka_unit_test(test_expansion_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
