/* test_volume_match.c — which volume a claim gets (controllers/volume/match.c): upstream's
 * FindMatchingVolume and access-mode index, checkVolumeSatisfyClaim, isVolumeReleased. */
#include "test.h"

#include <stdio.h>

#include "base/alloc.h"
#include "controllers/volume/internal.h"

/* --- builders --- */

/* A volume: name, size, access modes as a JSON array text, class (NULL: none), phase. */
static json_t *pv(const char *name, const char *size, const char *modes, const char *class,
                  const char *phase)
{
    char buf[1024];
    json_t *v;

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\","
             "\"metadata\":{\"name\":\"%s\",\"uid\":\"uid-%s\",\"resourceVersion\":\"5\"},"
             "\"spec\":{\"capacity\":{\"storage\":\"%s\"},\"accessModes\":%s,"
             "\"hostPath\":{\"path\":\"/tmp/%s\"}},\"status\":{\"phase\":\"%s\"}}",
             name, name, size, modes, name, phase);
    v = tj(buf);
    if (class)
        jset_str(jget(v, "spec"), "storageClassName", class);
    return v;
}

static json_t *avail(const char *name, const char *size)
{
    return pv(name, size, "[\"ReadWriteOnce\"]", "", "Available");
}

static json_t *claim(const char *name, const char *size, const char *modes, const char *class)
{
    char buf[1024];
    json_t *c;

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"sts\",\"uid\":\"cuid-%s\"},"
             "\"spec\":{\"accessModes\":%s,\"resources\":{\"requests\":{\"storage\":\"%s\"}}},"
             "\"status\":{\"phase\":\"Pending\"}}",
             name, name, modes, size);
    c = tj(buf);
    if (class)
        jset_str(jget(c, "spec"), "storageClassName", class);
    return c;
}

static json_t *rwo(const char *name, const char *size)
{
    return claim(name, size, "[\"ReadWriteOnce\"]", "");
}

/* bind v to c the way the binder leaves it */
static void bound_to(json_t *v, const json_t *c)
{
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    jset_str(jget(v, "status"), "phase", "Bound");
}

static const char *best(json_t *c, json_t **pvs, size_t n, bool delay)
{
    json_t *m = vol__find_best_match(c, pvs, n, delay);
    return m ? vol__name(m) : NULL;
}

static void free_all(json_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
}

/* --- sizes --- */

/* The walkthrough's classic: four 5Gi volumes and one 1Gi; claims of 2Gi take the 5Gi ones,
 * one each, and the 1Gi stays Available for ever. */
static void test_classic_four_5gi_one_1gi(void **state)
{
    (void)state;
    json_t *pvs[5] = {avail("pv-a", "5Gi"), avail("pv-b", "5Gi"), avail("pv-small", "1Gi"),
                      avail("pv-c", "5Gi"), avail("pv-d", "5Gi")};
    const char *taken[5] = {0};

    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "www-web-%d", i);
        json_t *c = rwo(name, "2Gi");
        json_t *m = vol__find_best_match(c, pvs, 5, false);
        if (i < 4) {
            assert_non_null(m);
            assert_string_equal(vol__phase(m), "Available");
            assert_string_equal(jpath_str(m, "spec.capacity.storage"), "5Gi");
            for (int j = 0; j < i; j++)
                assert_string_not_equal(taken[j], vol__name(m));
            taken[i] = vol__name(m);
            bound_to(m, c);
        } else {
            assert_null(m); /* only the 1Gi is left: too small */
        }
        json_decref(c);
    }
    assert_string_equal(vol__phase(pvs[2]), "Available");
    assert_null(jpath(pvs[2], "spec.claimRef"));
    free_all(pvs, 5);
}

static void test_smallest_fitting_wins(void **state)
{
    (void)state;
    json_t *pvs[] = {avail("ten", "10Gi"), avail("five", "5Gi"), avail("three", "3Gi"),
                     avail("bytes", "5368709120")};
    json_t *c;

    c = rwo("a", "2Gi");
    assert_string_equal(best(c, pvs, 4, false), "three");
    json_decref(c);
    c = rwo("b", "4Gi");
    /* 5Gi twice (one written in bytes): the first of equal sizes */
    assert_string_equal(best(c, pvs, 4, false), "five");
    json_decref(c);
    c = rwo("c", "5Gi"); /* equal is enough */
    assert_string_equal(best(c, pvs, 4, false), "five");
    json_decref(c);
    c = rwo("d", "5121Mi");
    assert_string_equal(best(c, pvs, 4, false), "ten");
    json_decref(c);
    c = rwo("e", "11Gi");
    assert_null(best(c, pvs, 4, false));
    json_decref(c);
    free_all(pvs, 4);
}

static void test_decimal_and_binary_units(void **state)
{
    (void)state;
    json_t *pvs[] = {avail("one-g", "1G"), avail("one-gi", "1Gi")};
    json_t *c;

    c = rwo("a", "1G"); /* 10^9 < 2^30: the 1G volume fits and is the smaller */
    assert_string_equal(best(c, pvs, 2, false), "one-g");
    json_decref(c);
    c = rwo("b", "1000000001");
    assert_string_equal(best(c, pvs, 2, false), "one-gi");
    json_decref(c);
    c = rwo("c", "1.5Gi");
    assert_null(best(c, pvs, 2, false));
    json_decref(c);
    free_all(pvs, 2);
}

/* --- access modes --- */

static void test_access_mode_groups_fewest_first(void **state)
{
    (void)state;
    /* A small RWO+ROX volume and a big RWO-only one: the RWO group is tried first, so the big
     * one wins over the smaller volume with more modes (upstream's index order). */
    json_t *pvs[] = {pv("gce", "1Gi", "[\"ReadWriteOnce\",\"ReadOnlyMany\"]", "", "Available"),
                     pv("ebs", "10Gi", "[\"ReadWriteOnce\"]", "", "Available"),
                     pv("nfs", "1Gi", "[\"ReadWriteMany\",\"ReadOnlyMany\",\"ReadWriteOnce\"]", "",
                        "Available")};
    json_t *c;

    c = rwo("a", "1Gi");
    assert_string_equal(best(c, pvs, 3, false), "ebs");
    json_decref(c);
    c = rwo("b", "20Gi"); /* nothing big enough in any group */
    assert_null(best(c, pvs, 3, false));
    json_decref(c);
    c = claim("c", "1Gi", "[\"ReadOnlyMany\"]", "");
    assert_string_equal(best(c, pvs, 3, false), "gce");
    json_decref(c);
    c = claim("d", "1Gi", "[\"ReadWriteMany\"]", "");
    assert_string_equal(best(c, pvs, 3, false), "nfs");
    json_decref(c);
    c = claim("e", "1Gi", "[\"ReadWriteOnce\",\"ReadWriteMany\"]", "");
    assert_string_equal(best(c, pvs, 3, false), "nfs");
    json_decref(c);
    c = claim("f", "1Gi", "[\"ReadWriteOncePod\"]", "");
    assert_null(best(c, pvs, 3, false));
    json_decref(c);

    /* the ebs volume taken: the RWO claim falls through to the next group */
    jset_str(jget(pvs[1], "status"), "phase", "Bound");
    c = rwo("g", "1Gi");
    assert_string_equal(best(c, pvs, 3, false), "gce");
    json_decref(c);
    free_all(pvs, 3);
}

static void test_access_modes_ok(void **state)
{
    (void)state;
    json_t *v = pv("v", "1Gi", "[\"ReadWriteOnce\",\"ReadOnlyMany\"]", "", "Available");
    json_t *c = claim("c", "1Gi", "[\"ReadOnlyMany\",\"ReadWriteOnce\"]", "");
    json_t *d = claim("d", "1Gi", "[\"ReadWriteMany\"]", "");

    assert_true(vol__access_modes_ok(c, v));
    assert_false(vol__access_modes_ok(d, v));
    assert_int_equal(vol__access_modes(jpath(v, "spec.accessModes")), VOL_RWO | VOL_ROX);
    json_decref(v);
    json_decref(c);
    json_decref(d);
}

/* --- classes --- */

static void test_classes_match_exactly(void **state)
{
    (void)state;
    json_t *pvs[] = {pv("plain", "1Gi", "[\"ReadWriteOnce\"]", NULL, "Available"),
                     pv("fast", "2Gi", "[\"ReadWriteOnce\"]", "fast", "Available"),
                     pv("slow", "3Gi", "[\"ReadWriteOnce\"]", "slow", "Available")};
    json_t *c;

    c = rwo("a", "1Gi"); /* storageClassName "" matches only volumes without a class */
    assert_string_equal(best(c, pvs, 3, false), "plain");
    json_decref(c);
    c = claim("b", "1Gi", "[\"ReadWriteOnce\"]", NULL); /* nil: also "" for matching */
    assert_false(vol__claim_has_class(c));
    assert_string_equal(best(c, pvs, 3, false), "plain");
    json_decref(c);
    c = claim("c", "1Gi", "[\"ReadWriteOnce\"]", "slow");
    assert_string_equal(best(c, pvs, 3, false), "slow");
    json_decref(c);
    c = claim("d", "1Gi", "[\"ReadWriteOnce\"]", "gold");
    assert_null(best(c, pvs, 3, false));
    json_decref(c);
    /* the beta annotation wins over the field, on claims and volumes */
    c = claim("e", "1Gi", "[\"ReadWriteOnce\"]", "gold");
    vol__set_ann(c, ANN_BETA_STORAGE_CLASS, "fast");
    assert_string_equal(vol__claim_class(c), "fast");
    assert_true(vol__claim_has_class(c));
    assert_string_equal(best(c, pvs, 3, false), "fast");
    json_decref(c);
    vol__set_ann(pvs[0], ANN_BETA_STORAGE_CLASS, "gold");
    c = claim("f", "1Gi", "[\"ReadWriteOnce\"]", "gold");
    assert_string_equal(best(c, pvs, 3, false), "plain");
    json_decref(c);
    free_all(pvs, 3);
}

/* --- selectors --- */

static void test_claim_selector(void **state)
{
    (void)state;
    json_t *pvs[] = {avail("small-plain", "1Gi"), avail("gold", "5Gi"), avail("silver", "2Gi")};
    json_t *c;

    json_object_set_new(jget(pvs[1], "metadata"), "labels", tj("{\"tier\":\"gold\"}"));
    json_object_set_new(jget(pvs[2], "metadata"), "labels", tj("{\"tier\":\"silver\"}"));
    c = rwo("a", "1Gi");
    json_object_set_new(jget(c, "spec"), "selector", tj("{\"matchLabels\":{\"tier\":\"gold\"}}"));
    assert_string_equal(best(c, pvs, 3, false), "gold");
    json_decref(c);
    c = rwo("b", "1Gi");
    json_object_set_new(jget(c, "spec"), "selector",
                        tj("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
                           "\"values\":[\"gold\",\"silver\"]}]}"));
    assert_string_equal(best(c, pvs, 3, false), "silver");
    json_decref(c);
    c = rwo("c", "1Gi");
    json_object_set_new(
        jget(c, "spec"), "selector",
        tj("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"DoesNotExist\"}]}"));
    assert_string_equal(best(c, pvs, 3, false), "small-plain");
    json_decref(c);
    c = rwo("d", "1Gi"); /* an empty selector matches every volume */
    json_object_set_new(jget(c, "spec"), "selector", json_object());
    assert_string_equal(best(c, pvs, 3, false), "small-plain");
    json_decref(c);
    c = rwo("e", "1Gi");
    json_object_set_new(jget(c, "spec"), "selector", tj("{\"matchLabels\":{\"tier\":\"bronze\"}}"));
    assert_null(best(c, pvs, 3, false));
    json_decref(c);
    free_all(pvs, 3);
}

/* --- volume modes --- */

static void test_volume_modes(void **state)
{
    (void)state;
    json_t *pvs[] = {avail("fs-default", "1Gi"), avail("block", "1Gi"), avail("fs", "2Gi")};
    json_t *c;

    jset_str(jget(pvs[1], "spec"), "volumeMode", "Block");
    jset_str(jget(pvs[2], "spec"), "volumeMode", "Filesystem");
    c = rwo("a", "1Gi");
    assert_string_equal(best(c, pvs, 3, false), "fs-default");
    json_decref(c);
    c = rwo("b", "1500Mi"); /* nil on the claim is Filesystem too */
    assert_string_equal(best(c, pvs, 3, false), "fs");
    json_decref(c);
    c = rwo("c", "1Gi");
    jset_str(jget(c, "spec"), "volumeMode", "Block");
    assert_string_equal(best(c, pvs, 3, false), "block");
    assert_true(vol__volume_mode_mismatch(c, pvs[0]));
    assert_false(vol__volume_mode_mismatch(c, pvs[1]));
    json_decref(c);
    free_all(pvs, 3);
}

/* --- what is never matched --- */

static void test_unavailable_volumes_skipped(void **state)
{
    (void)state;
    json_t *pvs[] = {pv("released", "1Gi", "[\"ReadWriteOnce\"]", "", "Released"),
                     pv("pending", "1Gi", "[\"ReadWriteOnce\"]", "", "Pending"),
                     pv("failed", "1Gi", "[\"ReadWriteOnce\"]", "", "Failed"),
                     avail("deleting", "1Gi"),
                     avail("taken", "1Gi"),
                     avail("ok", "9Gi")};
    json_t *other = rwo("other", "1Gi"), *c = rwo("mine", "1Gi");

    jset_str(jget(pvs[3], "metadata"), "deletionTimestamp", "2026-01-01T00:00:00Z");
    /* claimRef to another claim, phase not yet updated */
    json_object_set_new(jget(pvs[4], "spec"), "claimRef", vol__claim_ref(other));
    assert_string_equal(best(c, pvs, 6, false), "ok");
    json_decref(c);
    json_decref(other);
    free_all(pvs, 6);
}

/* --- pre-binding --- */

static void test_prebound_volume_wins(void **state)
{
    (void)state;
    /* A volume pre-bound by name (claimRef without uid): returned before any better fit, and
     * whatever its class, labels or phase; not when too small. */
    json_t *pvs[] = {avail("fit", "1Gi"),
                     pv("reserved", "8Gi", "[\"ReadWriteOnce\"]", "other", "Pending")};
    json_t *c = rwo("www-web-0", "1Gi");

    json_object_set_new(jget(pvs[1], "spec"), "claimRef",
                        tj("{\"kind\":\"PersistentVolumeClaim\",\"namespace\":\"sts\","
                           "\"name\":\"www-web-0\"}"));
    json_object_set_new(jget(c, "spec"), "selector", tj("{\"matchLabels\":{\"no\":\"such\"}}"));
    assert_true(vol__pv_bound_to_claim(pvs[1], c));
    assert_string_equal(best(c, pvs, 2, false), "reserved");
    /* the same volume under WaitForFirstConsumer: still returned (pre-bound) */
    assert_string_equal(best(c, pvs, 2, true), "reserved");
    json_decref(c);

    /* another claim does not see it, nor does a claim of that name in another namespace */
    c = rwo("www-web-1", "1Gi");
    assert_false(vol__pv_bound_to_claim(pvs[1], c));
    assert_string_equal(best(c, pvs, 2, false), "fit");
    json_decref(c);
    c = rwo("www-web-0", "1Gi");
    jset_str(jget(c, "metadata"), "namespace", "elsewhere");
    assert_string_equal(best(c, pvs, 2, false), "fit");
    json_decref(c);

    /* too small: skipped, the search goes on */
    c = rwo("www-web-0", "9Gi");
    assert_null(best(c, pvs, 2, false));
    json_decref(c);

    /* with a uid, only the claim with that uid */
    jset_str(jpath(pvs[1], "spec.claimRef"), "uid", "cuid-www-web-0");
    c = rwo("www-web-0", "1Gi");
    assert_string_equal(best(c, pvs, 2, false), "reserved");
    jset_str(jget(c, "metadata"), "uid", "a-new-claim");
    assert_false(vol__pv_bound_to_claim(pvs[1], c));
    assert_string_equal(best(c, pvs, 2, false), "fit");
    json_decref(c);
    free_all(pvs, 2);
}

static void test_delay_binding_skips_unbound(void **state)
{
    (void)state;
    json_t *pvs[] = {avail("a", "1Gi"), avail("b", "2Gi")};
    json_t *c = rwo("c", "1Gi");

    assert_null(best(c, pvs, 2, true));
    assert_string_equal(best(c, pvs, 2, false), "a");
    json_decref(c);
    free_all(pvs, 2);
}

/* --- a claim naming its volume (checkVolumeSatisfyClaim) --- */

static void test_check_satisfy(void **state)
{
    (void)state;
    char buf[256];
    json_t *v = pv("v", "2Gi", "[\"ReadWriteOnce\"]", "fast", "Available");
    json_t *c;

    c = claim("ok", "2Gi", "[\"ReadWriteOnce\"]", "fast");
    assert_null(vol__check_satisfy(v, c, buf, sizeof(buf)));
    json_decref(c);
    c = claim("big", "3Gi", "[\"ReadWriteOnce\"]", "fast");
    assert_string_equal(vol__check_satisfy(v, c, buf, sizeof(buf)), "requested PV is too small");
    json_decref(c);
    c = claim("cls", "1Gi", "[\"ReadWriteOnce\"]", "");
    assert_string_equal(vol__check_satisfy(v, c, buf, sizeof(buf)),
                        "storageClassName does not match");
    json_decref(c);
    c = claim("mode", "1Gi", "[\"ReadWriteOnce\"]", "fast");
    jset_str(jget(c, "spec"), "volumeMode", "Block");
    assert_string_equal(vol__check_satisfy(v, c, buf, sizeof(buf)), "incompatible volumeMode");
    json_decref(c);
    c = claim("am", "1Gi", "[\"ReadWriteMany\"]", "fast");
    assert_string_equal(vol__check_satisfy(v, c, buf, sizeof(buf)), "incompatible accessMode");
    json_decref(c);
    jset_str(jget(v, "metadata"), "deletionTimestamp", "2026-01-01T00:00:00Z");
    c = claim("ok", "2Gi", "[\"ReadWriteOnce\"]", "fast");
    assert_string_equal(vol__check_satisfy(v, c, buf, sizeof(buf)),
                        "the volume is marked for deletion \"v\"");
    json_decref(c);
    json_decref(v);
}

/* --- released or not (isVolumeReleased) --- */

static void test_pv_released(void **state)
{
    (void)state;
    json_t *v = avail("v", "1Gi"), *c = rwo("c", "1Gi"), *other;

    assert_false(vol__pv_released(v, NULL)); /* no claimRef */
    json_object_set_new(jget(v, "spec"), "claimRef", tj("{\"namespace\":\"sts\",\"name\":\"c\"}"));
    assert_false(vol__pv_released(v, NULL)); /* pre-bound by name only */
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    assert_true(vol__pv_released(v, NULL)); /* claim gone */
    assert_false(vol__pv_released(v, c));   /* claim there, not bound elsewhere */
    jset_str(jget(c, "spec"), "volumeName", "v");
    assert_false(vol__pv_released(v, c));
    jset_str(jget(c, "spec"), "volumeName", "another");
    assert_true(vol__pv_released(v, c)); /* bound to another volume */
    other = rwo("c", "1Gi");
    jset_str(jget(other, "metadata"), "uid", "recreated");
    assert_true(vol__pv_released(v, other)); /* a new claim of the same name */
    json_decref(other);
    json_decref(c);
    json_decref(v);
}

/* --- helpers --- */

static void test_claim_ref_and_node(void **state)
{
    (void)state;
    json_t *c = rwo("www-web-0", "1Gi"), *ref, *v;

    jset_str(jget(c, "metadata"), "resourceVersion", "42");
    ref = vol__claim_ref(c);
    assert_json_eq(ref, "{\"kind\":\"PersistentVolumeClaim\",\"namespace\":\"sts\","
                        "\"name\":\"www-web-0\",\"uid\":\"cuid-www-web-0\",\"apiVersion\":\"v1\","
                        "\"resourceVersion\":\"42\"}");
    json_decref(ref);
    v = avail("v", "1Gi");
    assert_null(vol__pv_node(v));
    json_object_set_new(
        jget(v, "spec"), "nodeAffinity",
        tj("{\"required\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
           "\"kubernetes.io/hostname\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]}}"));
    assert_string_equal(vol__pv_node(v), "n1");
    json_decref(v);
    json_decref(c);
}

static void test_annotations_and_finalizers(void **state)
{
    (void)state;
    json_t *o = tj("{\"metadata\":{\"name\":\"x\"}}");

    assert_false(vol__has_ann(o, ANN_BIND_COMPLETED));
    vol__set_ann(o, ANN_BIND_COMPLETED, "");
    assert_true(vol__has_ann(o, ANN_BIND_COMPLETED)); /* present is enough, any value */
    vol__del_ann(o, ANN_BIND_COMPLETED);
    assert_null(jpath(o, "metadata.annotations")); /* no empty map left behind */
    vol__add_finalizer(o, FINALIZER_PVC_PROTECTION);
    vol__add_finalizer(o, FINALIZER_PVC_PROTECTION);
    assert_int_equal(json_array_size(jpath(o, "metadata.finalizers")), 1);
    vol__remove_finalizer(o, FINALIZER_PVC_PROTECTION);
    assert_null(jpath(o, "metadata.finalizers"));
    json_decref(o);
}

static void collect_key(void *arg, const char *value)
{
    struct strbuf *sb = arg;
    strbuf_addf(sb, "[%s]", value);
}

/* The claimRef index: the claim's "ns/name", "" for a volume bound to nobody; the key is the one
 * vol__pv_bound_to_claim compares (a claimRef with no namespace files under "/name"). */
static void test_claim_ref_index(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    json_t *v = avail("v", "1Gi"), *c = rwo("www-web-0", "1Gi");

    vol_index_claim_ref(v, collect_key, &sb);
    assert_string_equal(sb.buf, "[]");
    bound_to(v, c);
    strbuf_reset(&sb);
    vol_index_claim_ref(v, collect_key, &sb);
    assert_string_equal(sb.buf, "[sts/www-web-0]");
    json_object_set_new(jget(v, "spec"), "claimRef", tj("{\"name\":\"x\"}"));
    strbuf_reset(&sb);
    vol_index_claim_ref(v, collect_key, &sb);
    assert_string_equal(sb.buf, "[/x]");
    json_object_set_new(jget(v, "spec"), "claimRef", json_null());
    strbuf_reset(&sb);
    vol_index_claim_ref(v, collect_key, &sb);
    assert_string_equal(sb.buf, "[]");
    strbuf_release(&sb);
    json_decref(v);
    json_decref(c);
}

static void test_pod_helpers(void **state)
{
    (void)state;
    json_t *p = tj("{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"sts\"},"
                   "\"spec\":{\"volumes\":[{\"name\":\"www\",\"persistentVolumeClaim\":"
                   "{\"claimName\":\"www-web-0\"}},{\"name\":\"scratch\",\"ephemeral\":{}}]},"
                   "\"status\":{\"phase\":\"Running\"}}");

    assert_true(vol__pod_references_claim(p, "www-web-0"));
    assert_true(vol__pod_references_claim(p, "web-0-scratch"));
    assert_false(vol__pod_references_claim(p, "www-web-1"));
    assert_false(vol__pod_terminated(p));
    jset_str(jget(p, "status"), "phase", "Succeeded");
    assert_true(vol__pod_terminated(p));
    jset_str(jget(p, "status"), "phase", "Running");
    jset_str(jget(p, "metadata"), "deletionTimestamp", "2026-01-01T00:00:00Z");
    json_object_set_new(jget(p, "status"), "containerStatuses",
                        tj("[{\"name\":\"c\",\"state\":{\"running\":{}}}]"));
    assert_false(vol__pod_terminated(p)); /* deleted but still running */
    json_object_set_new(jget(p, "status"), "containerStatuses",
                        tj("[{\"name\":\"c\",\"state\":{\"terminated\":{\"exitCode\":0}}}]"));
    assert_true(vol__pod_terminated(p));
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic_four_5gi_one_1gi),
        cmocka_unit_test(test_smallest_fitting_wins),
        cmocka_unit_test(test_decimal_and_binary_units),
        cmocka_unit_test(test_access_mode_groups_fewest_first),
        cmocka_unit_test(test_access_modes_ok),
        cmocka_unit_test(test_classes_match_exactly),
        cmocka_unit_test(test_claim_selector),
        cmocka_unit_test(test_volume_modes),
        cmocka_unit_test(test_unavailable_volumes_skipped),
        cmocka_unit_test(test_prebound_volume_wins),
        cmocka_unit_test(test_delay_binding_skips_unbound),
        cmocka_unit_test(test_check_satisfy),
        cmocka_unit_test(test_pv_released),
        cmocka_unit_test(test_claim_ref_and_node),
        cmocka_unit_test(test_annotations_and_finalizers),
        cmocka_unit_test(test_pod_helpers),
        cmocka_unit_test(test_claim_ref_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
