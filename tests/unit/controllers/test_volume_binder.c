/* test_volume_binder.c — the PersistentVolume controller (controllers/volume/binder.c and
 * reclaim.c) over the fake API: static binding, pre-binding both ways, phases, bound-claim
 * checks, the volume side, provisioning requests, the retroactive default class, reclaim
 * policies, and interruption at every step of a bind. */
#include "vol_fixture.h"

struct bt {
    struct fx *x;
    struct vol_binder *b;
};

static int setup(void **state)
{
    struct bt *t = xcalloc(1, sizeof(*t));

    t->x = fx_new();
    t->b = vol__binder_new(&t->x->env, false);
    fx_start(t->x);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct bt *t = *state;

    fx_stop(t->x); /* informers first: their handlers use the controllers' queues */
    vol__binder_free(t->b);
    fx_free(t->x);
    free(t);
    return 0;
}

/* Run the controller until nothing is left to do. */
static int settle(struct bt *t)
{
    int total = 0;

    for (int i = 0; i < 200; i++) {
        kfake_flush(t->x->c);
        int n = vol__binder_drain(t->b, 1000);
        total += n;
        if (!n)
            break;
    }
    kfake_flush(t->x->c);
    return total;
}

static char *events(struct bt *t)
{
    return vol__events_take(vol__binder_events(t->b));
}

#define PV RES_PERSISTENTVOLUMES
#define PVC RES_PERSISTENTVOLUMECLAIMS

/* Every binding the API holds is consistent: a claim's volumeName names a volume whose claimRef
 * has the claim's uid, and no two claims hold one volume. */
static void assert_bindings_consistent(struct bt *t)
{
    json_t *claims = kfake_list(t->x->c, PVC, NULL);
    size_t i, j;
    json_t *c, *d;

    json_array_foreach(claims, i, c)
    {
        const char *vn = sget(c, "spec.volumeName");
        if (!*vn || strcmp(vol__phase(c), "Bound"))
            continue;
        json_t *v = get(t->x, PV, NULL, vn);
        assert_non_null(v);
        assert_string_equal(sget(v, "spec.claimRef.uid"), vol__uid(c));
        json_decref(v);
        json_array_foreach(claims, j, d)
        {
            if (i != j && !strcmp(vn, sget(d, "spec.volumeName")) &&
                !strcmp(vol__phase(d), "Bound"))
                fail_msg("claims %s and %s both bound to %s", vol__name(c), vol__name(d), vn);
        }
    }
    json_decref(claims);
}

/* --- static binding --- */

static void seed_classic(struct bt *t)
{
    put(t->x, PV, mk_pv("pv-a", "5Gi", NULL, NULL));
    put(t->x, PV, mk_pv("pv-b", "5Gi", NULL, NULL));
    put(t->x, PV, mk_pv("pv-small", "1Gi", NULL, NULL));
    put(t->x, PV, mk_pv("pv-c", "5Gi", NULL, NULL));
    put(t->x, PV, mk_pv("pv-d", "5Gi", NULL, NULL));
}

static void seed_claims(struct bt *t, int n, const char *size)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "www-web-%d", i);
        put(t->x, PVC, mk_claim("sts", name, size, NULL, NULL));
    }
}

static void assert_classic_bound(struct bt *t, int n)
{
    const char *seen[8] = {0};
    char *vols[8] = {0};

    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "www-web-%d", i);
        json_t *c = get(t->x, PVC, "sts", name);
        assert_non_null(c);
        assert_string_equal(vol__phase(c), "Bound");
        vols[i] = xstrdup(sget(c, "spec.volumeName"));
        assert_string_not_equal(vols[i], "pv-small");
        assert_true(!strncmp(vols[i], "pv-", 3));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[j], vols[i]);
        seen[i] = vols[i];
        assert_string_equal(vol__ann(c, ANN_BIND_COMPLETED), "yes");
        assert_string_equal(vol__ann(c, ANN_BOUND_BY_CONTROLLER), "yes");
        assert_string_equal(sget(c, "status.capacity.storage"), "5Gi");
        assert_json_eq(jpath(c, "status.accessModes"), "[\"ReadWriteOnce\"]");

        json_t *v = get(t->x, PV, NULL, vols[i]);
        assert_string_equal(vol__phase(v), "Bound");
        assert_string_equal(sget(v, "spec.claimRef.uid"), vol__uid(c));
        assert_string_equal(sget(v, "spec.claimRef.name"), name);
        assert_string_equal(sget(v, "spec.claimRef.namespace"), "sts");
        assert_string_equal(sget(v, "spec.claimRef.kind"), "PersistentVolumeClaim");
        assert_string_equal(vol__ann(v, ANN_BOUND_BY_CONTROLLER), "yes");
        assert_true(*sget(v, "status.lastPhaseTransitionTime"));
        json_decref(v);
        json_decref(c);
    }
    assert_field(t->x, PV, NULL, "pv-small", "status.phase", "Available");
    assert_field(t->x, PV, NULL, "pv-small", "spec.claimRef.name", "");
    for (int i = 0; i < n; i++)
        free(vols[i]);
    assert_bindings_consistent(t);
}

static void test_classic_volumes_first(void **state)
{
    struct bt *t = *state;

    seed_classic(t);
    settle(t);
    assert_field(t->x, PV, NULL, "pv-a", "status.phase", "Available");
    seed_claims(t, 4, "2Gi");
    settle(t);
    assert_classic_bound(t, 4);
}

static void test_classic_claims_first(void **state)
{
    struct bt *t = *state;
    char *log;

    seed_claims(t, 4, "2Gi");
    settle(t);
    assert_field(t->x, PVC, "sts", "www-web-0", "status.phase", "Pending");
    log = events(t);
    assert_true(count_events(log, "Normal FailedBinding no persistent volumes available for this "
                                  "claim and no storage class is set") >= 4);
    free(log);
    /* the volumes appear later (the walkthrough's manifest lists them after the set): the
     * waiting claims bind without waiting for a resync */
    seed_classic(t);
    settle(t);
    assert_classic_bound(t, 4);
}

static void test_fifth_claim_waits_then_binds(void **state)
{
    struct bt *t = *state;
    char *log;

    seed_classic(t);
    seed_claims(t, 5, "2Gi");
    settle(t);
    assert_classic_bound(t, 4);
    assert_field(t->x, PVC, "sts", "www-web-4", "status.phase", "Pending");
    assert_field(t->x, PVC, "sts", "www-web-4", "spec.volumeName", "");
    log = events(t);
    assert_non_null(strstr(log, "FailedBinding"));
    free(log);
    put(t->x, PV, mk_pv("pv-late", "3Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "www-web-4", "status.phase", "Bound");
    assert_field(t->x, PVC, "sts", "www-web-4", "spec.volumeName", "pv-late");
    assert_field(t->x, PVC, "sts", "www-web-4", "status.capacity.storage", "3Gi");
    assert_field(t->x, PV, NULL, "pv-small", "status.phase", "Available");
}

static void test_class_and_selector_respected(void **state)
{
    struct bt *t = *state;
    json_t *gold = mk_pv("gold", "9Gi", NULL, "fast"), *c;

    json_object_set_new(jget(gold, "metadata"), "labels", tj("{\"tier\":\"gold\"}"));
    put(t->x, PV, gold);
    put(t->x, PV, mk_pv("plain", "1Gi", NULL, NULL));
    put(t->x, PV, mk_pv("fast-small", "1Gi", NULL, "fast"));
    c = mk_claim("ns", "wants-gold", "1Gi", NULL, "fast");
    json_object_set_new(jget(c, "spec"), "selector", tj("{\"matchLabels\":{\"tier\":\"gold\"}}"));
    put(t->x, PVC, c);
    put(t->x, PVC, mk_claim("ns", "no-class", "1Gi", NULL, ""));
    settle(t);
    assert_field(t->x, PVC, "ns", "wants-gold", "spec.volumeName", "gold");
    assert_field(t->x, PVC, "ns", "no-class", "spec.volumeName", "plain");
    assert_field(t->x, PV, NULL, "fast-small", "status.phase", "Available");
}

/* --- pre-binding --- */

/* A volume reserved for a claim by name (claimRef without uid): Available, kept for that claim,
 * bound when it appears, even though a smaller volume would fit. The way a retained volume is
 * given back to a re-created StatefulSet claim. */
static void test_prebound_volume_waits_for_its_claim(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("retained", "10Gi", NULL, NULL);

    json_object_set_new(jget(v, "spec"), "claimRef",
                        tj("{\"kind\":\"PersistentVolumeClaim\",\"namespace\":\"sts\","
                           "\"name\":\"www-web-0\"}"));
    put(t->x, PV, v);
    put(t->x, PV, mk_pv("small", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("sts", "other", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PV, NULL, "retained", "status.phase", "Available");
    /* another claim does not take it, even with nothing else left */
    assert_field(t->x, PVC, "sts", "other", "spec.volumeName", "small");
    put(t->x, PVC, mk_claim("sts", "late", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "late", "status.phase", "Pending");
    assert_field(t->x, PV, NULL, "retained", "spec.claimRef.uid", "");

    put(t->x, PVC, mk_claim("sts", "www-web-0", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "www-web-0", "status.phase", "Bound");
    assert_field(t->x, PVC, "sts", "www-web-0", "spec.volumeName", "retained");
    assert_field(t->x, PV, NULL, "retained", "spec.claimRef.uid", "uid-sts-www-web-0");
    assert_field(t->x, PV, NULL, "retained", "status.phase", "Bound");
    /* pre-bound by its creator: the volume is not marked bound-by-controller */
    json_t *pv = get(t->x, PV, NULL, "retained");
    assert_false(vol__has_ann(pv, ANN_BOUND_BY_CONTROLLER));
    json_decref(pv);
    assert_bindings_consistent(t);
}

static void test_claim_names_its_volume(void **state)
{
    struct bt *t = *state;
    json_t *c = mk_claim("ns", "mine", "1Gi", NULL, "");
    json_t *cl;
    char *log;

    jset_str(jget(c, "spec"), "volumeName", "chosen");
    put(t->x, PVC, c);
    settle(t);
    /* the volume does not exist yet: Pending */
    assert_field(t->x, PVC, "ns", "mine", "status.phase", "Pending");
    put(t->x, PV, mk_pv("better", "1Gi", NULL, NULL));
    put(t->x, PV, mk_pv("chosen", "8Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "ns", "mine", "status.phase", "Bound");
    assert_field(t->x, PVC, "ns", "mine", "spec.volumeName", "chosen");
    assert_field(t->x, PVC, "ns", "mine", "status.capacity.storage", "8Gi");
    cl = get(t->x, PVC, "ns", "mine");
    /* the user bound the claim; the controller bound the volume */
    assert_false(vol__has_ann(cl, ANN_BOUND_BY_CONTROLLER));
    assert_true(vol__has_ann(cl, ANN_BIND_COMPLETED));
    json_decref(cl);
    json_t *v = get(t->x, PV, NULL, "chosen");
    assert_true(vol__has_ann(v, ANN_BOUND_BY_CONTROLLER));
    json_decref(v);
    assert_field(t->x, PV, NULL, "better", "status.phase", "Available");

    /* naming a volume held by another claim: Pending, FailedBinding */
    c = mk_claim("ns", "thief", "1Gi", NULL, "");
    jset_str(jget(c, "spec"), "volumeName", "chosen");
    put(t->x, PVC, c);
    settle(t);
    assert_field(t->x, PVC, "ns", "thief", "status.phase", "Pending");
    log = events(t);
    assert_non_null(
        strstr(log, "Warning FailedBinding volume \"chosen\" already bound to a different claim."));
    free(log);

    /* naming a volume that does not fit: VolumeMismatch */
    put(t->x, PV, mk_pv("tiny", "1Mi", NULL, NULL));
    c = mk_claim("ns", "too-big", "1Gi", NULL, "");
    jset_str(jget(c, "spec"), "volumeName", "tiny");
    put(t->x, PVC, c);
    settle(t);
    assert_field(t->x, PVC, "ns", "too-big", "status.phase", "Pending");
    log = events(t);
    assert_non_null(strstr(log, "Warning VolumeMismatch Cannot bind to requested volume \"tiny\": "
                                "requested PV is too small"));
    free(log);
    assert_field(t->x, PV, NULL, "tiny", "status.phase", "Available");
    assert_bindings_consistent(t);
}

/* --- bound claims --- */

static void test_claim_lost_when_volume_deleted(void **state)
{
    struct bt *t = *state;
    char *log;

    put(t->x, PV, mk_pv("v", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Bound");
    free(events(t));
    assert_int_equal(kfake_remove(t->x->c, PV, NULL, "v"), 0);
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Lost");
    assert_field(t->x, PVC, "ns", "c", "status.capacity.storage", "");
    log = events(t);
    assert_int_equal(count_events(log, "Warning ClaimLost Bound claim has lost its "
                                       "PersistentVolume. Data on the volume is lost!"),
                     1);
    free(log);
    /* Lost is terminal: a new volume does not bring it back, and no new event */
    put(t->x, PV, mk_pv("v2", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Lost");
    log = events(t);
    assert_int_equal(count_events(log, "ClaimLost"), 0);
    free(log);
}

static void test_claim_misbound(void **state)
{
    struct bt *t = *state;
    json_t *v;
    char *log;

    put(t->x, PV, mk_pv("v", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    v = get(t->x, PV, NULL, "v");
    jset_str(jpath(v, "spec.claimRef"), "uid", "someone-else");
    put(t->x, PV, v);
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Lost");
    log = events(t);
    assert_non_null(strstr(log, "Warning ClaimMisbound Two claims are bound to the same volume, "
                                "this one is bound incorrectly"));
    free(log);
}

static void test_unbound_volume_of_bound_claim_is_rebound(void **state)
{
    struct bt *t = *state;
    json_t *v;

    put(t->x, PV, mk_pv("v", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    v = get(t->x, PV, NULL, "v");
    json_object_del(jget(v, "spec"), "claimRef");
    put(t->x, PV, v);
    settle(t);
    assert_field(t->x, PV, NULL, "v", "spec.claimRef.uid", "uid-ns-c");
    assert_field(t->x, PV, NULL, "v", "status.phase", "Bound");
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Bound");
}

/* The claimRef a user writes to reserve a volume for sts/claim (no uid); NULL: none. */
static void set_claim_ref(json_t *v, const char *claim)
{
    char ref[256];

    if (!claim) {
        json_object_del(jget(v, "spec"), "claimRef");
        return;
    }
    snprintf(ref, sizeof(ref),
             "{\"kind\":\"PersistentVolumeClaim\",\"namespace\":\"sts\",\"name\":\"%s\"}", claim);
    json_object_set_new(jget(v, "spec"), "claimRef", tj(ref));
}

static void reserve(struct bt *t, const char *pv, const char *claim)
{
    json_t *v = get(t->x, PV, NULL, pv);
    set_claim_ref(v, claim);
    put(t->x, PV, v);
}

/* A claim reads only the volumes the claimRef index files under its key and under "" (bound to
 * nobody): a volume moving between the two, or between claims, is found where it went. */
static void test_candidates_follow_claim_ref(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("res", "10Gi", NULL, NULL);

    set_claim_ref(v, "a");
    put(t->x, PV, v);
    v = mk_pv("other", "1Gi", NULL, NULL);
    set_claim_ref(v, "b");
    put(t->x, PV, v);
    put(t->x, PVC, mk_claim("sts", "c", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("sts", "d", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "c", "status.phase", "Pending");
    assert_field(t->x, PVC, "sts", "d", "status.phase", "Pending");

    /* reserved for another claim: moves from sts/a to sts/c */
    reserve(t, "res", "c");
    settle(t);
    assert_field(t->x, PVC, "sts", "c", "spec.volumeName", "res");
    assert_field(t->x, PV, NULL, "res", "spec.claimRef.uid", "uid-sts-c");
    assert_field(t->x, PVC, "sts", "d", "status.phase", "Pending");

    /* the reservation dropped: from sts/b to "", free for anyone */
    reserve(t, "other", NULL);
    settle(t);
    assert_field(t->x, PVC, "sts", "d", "spec.volumeName", "other");
    assert_field(t->x, PV, NULL, "other", "spec.claimRef.name", "d");

    /* a volume deleted leaves the index; a new one files under "" */
    kfake_remove(t->x->c, PV, NULL, "other");
    put(t->x, PVC, mk_claim("sts", "e", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "e", "status.phase", "Pending");
    put(t->x, PV, mk_pv("new", "2Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "sts", "e", "spec.volumeName", "new");
    assert_field(t->x, PVC, "sts", "d", "status.phase", "Lost");
}

/* --- the volume side --- */

static void test_volume_of_claim_bound_elsewhere_is_unbound(void **state)
{
    struct bt *t = *state;
    json_t *v, *c;

    put(t->x, PV, mk_pv("winner", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    c = get(t->x, PVC, "ns", "c");
    /* a second controller bound another volume to the same claim (lost race) */
    v = mk_pv("loser", "1Gi", NULL, NULL);
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    vol__set_ann(v, ANN_BOUND_BY_CONTROLLER, "yes");
    jset_str(jget(v, "status"), "phase", "Bound");
    put(t->x, PV, v);
    /* and a user pre-bound one with the uid filled in */
    v = mk_pv("users", "1Gi", NULL, NULL);
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    jset_str(jget(v, "status"), "phase", "Bound");
    put(t->x, PV, v);
    json_decref(c);
    settle(t);
    assert_field(t->x, PV, NULL, "loser", "status.phase", "Available");
    assert_field(t->x, PV, NULL, "loser", "spec.claimRef.name", "");
    v = get(t->x, PV, NULL, "loser");
    assert_false(vol__has_ann(v, ANN_BOUND_BY_CONTROLLER));
    json_decref(v);
    /* the user's pre-binding stays, without the uid */
    assert_field(t->x, PV, NULL, "users", "status.phase", "Available");
    assert_field(t->x, PV, NULL, "users", "spec.claimRef.name", "c");
    assert_field(t->x, PV, NULL, "users", "spec.claimRef.uid", "");
    assert_field(t->x, PVC, "ns", "c", "spec.volumeName", "winner");
    assert_bindings_consistent(t);
}

static void test_volume_mode_mismatch_events(void **state)
{
    struct bt *t = *state;
    json_t *v, *c = mk_claim("ns", "c", "1Gi", NULL, NULL);
    char *log;

    jset_str(jget(c, "spec"), "volumeMode", "Block");
    put(t->x, PVC, json_incref(c));
    settle(t);
    json_decref(c);
    c = get(t->x, PVC, "ns", "c");
    v = mk_pv("v", "1Gi", NULL, NULL);
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    put(t->x, PV, v);
    json_decref(c);
    settle(t);
    log = events(t);
    assert_non_null(strstr(log, "Warning VolumeMismatch Cannot bind PersistentVolume to requested "
                                "PersistentVolumeClaim \"c\" due to incompatible volumeMode."));
    assert_non_null(strstr(log, "Warning VolumeMismatch Cannot bind PersistentVolume \"v\" to "
                                "requested PersistentVolumeClaim due to incompatible volumeMode."));
    free(log);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Pending");
}

/* --- reclaim --- */

static void bind_one(struct bt *t, json_t *v)
{
    put(t->x, PV, v);
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Bound");
}

static void test_retain_released_forever(void **state)
{
    struct bt *t = *state;

    bind_one(t, mk_pv("v", "1Gi", NULL, NULL));
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Released");
    assert_field(t->x, PV, NULL, "v", "spec.claimRef.name", "c");
    /* a new claim of the same name does not get it back (another uid) */
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    {
        json_t *c = get(t->x, PVC, "ns", "c");
        jset_str(jget(c, "metadata"), "uid", "a-new-uid");
        put(t->x, PVC, c);
    }
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Released");
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Pending");
    assert_true(exists(t->x, PV, NULL, "v"));
}

static void test_delete_static_hostpath_under_tmp(void **state)
{
    struct bt *t = *state;
    char *dir = xasprintf("%s/static-vol", t->x->data), *file = xasprintf("%s/f", dir);
    json_t *v = mk_pv("v", "1Gi", NULL, NULL);
    FILE *f;

    assert_int_equal(mkdir(dir, 0755), 0);
    f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    jset_str(jpath(v, "spec.hostPath"), "path", dir);
    bind_one(t, v);
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    assert_false(exists(t->x, PV, NULL, "v"));
    assert_int_equal(access(dir, F_OK), -1);
    free(dir);
    free(file);
}

static void test_delete_static_hostpath_elsewhere_fails(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("v", "1Gi", NULL, NULL);
    char *log;

    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    jset_str(jpath(v, "spec.hostPath"), "path", "/srv/data");
    bind_one(t, v);
    free(events(t));
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Failed");
    assert_field(t->x, PV, NULL, "v", "status.message",
                 "host_path deleter only supports /tmp/.+ but received provided /srv/data");
    log = events(t);
    assert_int_equal(count_events(log, "Warning VolumeFailedDelete host_path deleter only "
                                       "supports /tmp/.+ but received provided /srv/data"),
                     1);
    free(log);
    /* retried later, and Failed is not overwritten by Released */
    vol__binder_sync_volume(t->b, "v");
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Failed");
    log = events(t);
    assert_int_equal(count_events(log, "VolumeFailedDelete"), 0);
    free(log);
}

static void test_delete_local_volume_has_no_deleter(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("v", "1Gi", NULL, NULL);

    json_object_del(jget(v, "spec"), "hostPath");
    json_object_set_new(jget(v, "spec"), "local", tj("{\"path\":\"/mnt/disk\"}"));
    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    bind_one(t, v);
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Failed");
    assert_field(t->x, PV, NULL, "v", "status.message",
                 "error getting deleter volume plugin for volume \"v\": no deletable volume plugin "
                 "matched");
}

static void test_delete_left_to_external_provisioner(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("pvc-1", "1Gi", NULL, NULL);

    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    vol__set_ann(v, ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER);
    bind_one(t, v);
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    /* Released for the provisioner, which deletes it: the binder does not */
    assert_field(t->x, PV, NULL, "pvc-1", "status.phase", "Released");
    assert_true(exists(t->x, PV, NULL, "pvc-1"));
}

static void test_recycle_refused(void **state)
{
    struct bt *t = *state;
    json_t *v = mk_pv("v", "1Gi", NULL, NULL);
    char *log;

    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Recycle");
    bind_one(t, v);
    free(events(t));
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "c"), 0);
    settle(t);
    assert_field(t->x, PV, NULL, "v", "status.phase", "Failed");
    assert_field(t->x, PV, NULL, "v", "status.message", "No recycler plugin found for the volume!");
    log = events(t);
    assert_int_equal(
        count_events(log, "Warning VolumeFailedRecycle No recycler plugin found for the volume!"),
        1);
    free(log);
    assert_true(exists(t->x, PV, NULL, "v"));
}

static void test_provisioned_volume_of_claim_bound_elsewhere_released(void **state)
{
    struct bt *t = *state;
    json_t *v, *c;

    put(t->x, PV, mk_pv("static", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, NULL));
    settle(t);
    c = get(t->x, PVC, "ns", "c");
    v = mk_pv("pvc-late", "1Gi", NULL, NULL);
    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    vol__set_ann(v, ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER);
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    put(t->x, PV, v);
    json_decref(c);
    settle(t);
    assert_field(t->x, PV, NULL, "pvc-late", "status.phase", "Released");
    assert_field(t->x, PVC, "ns", "c", "spec.volumeName", "static");
}

/* --- provisioning requests --- */

static void test_wait_for_first_consumer(void **state)
{
    struct bt *t = *state;
    json_t *c;
    char *log;

    put(t->x, RES_STORAGECLASSES,
        mk_class("lp", LOCAL_PATH_PROVISIONER, "WaitForFirstConsumer", false));
    put(t->x, PV, mk_pv("static-lp", "5Gi", NULL, "lp")); /* unbound: the scheduler's to pick */
    put(t->x, PVC, mk_claim("ns", "c", "1Gi", NULL, "lp"));
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Pending");
    assert_field(t->x, PV, NULL, "static-lp", "status.phase", "Available");
    c = get(t->x, PVC, "ns", "c");
    assert_false(vol__has_ann(c, ANN_STORAGE_PROVISIONER));
    json_decref(c);
    log = events(t);
    assert_non_null(strstr(log, "Normal WaitForFirstConsumer waiting for first consumer to be "
                                "created before binding"));
    free(log);

    /* a pod that is not scheduled yet */
    put(t->x, RES_PODS, mk_pod("ns", "p1", "c", NULL, "Pending"));
    put(t->x, RES_PODS, mk_pod("ns", "done", "c", NULL, "Succeeded"));
    settle(t);
    vol__binder_sync_claim(t->b, "ns/c");
    log = events(t);
    assert_non_null(strstr(log, "Normal WaitForPodScheduled waiting for pod p1 to be scheduled"));
    free(log);
    put(t->x, RES_PODS, mk_pod("ns", "p2", "c", NULL, "Pending"));
    kfake_flush(t->x->c);
    vol__binder_sync_claim(t->b, "ns/c");
    log = events(t);
    assert_non_null(
        strstr(log, "Normal WaitForPodScheduled waiting for pods p1,p2 to be scheduled"));
    free(log);

    /* the scheduler picked a node: ask the provisioner */
    c = get(t->x, PVC, "ns", "c");
    vol__set_ann(c, ANN_SELECTED_NODE, "n1");
    put(t->x, PVC, c);
    settle(t);
    c = get(t->x, PVC, "ns", "c");
    assert_string_equal(vol__ann(c, ANN_STORAGE_PROVISIONER), LOCAL_PATH_PROVISIONER);
    assert_string_equal(vol__ann(c, ANN_BETA_STORAGE_PROVISIONER), LOCAL_PATH_PROVISIONER);
    json_decref(c);
    log = events(t);
    assert_non_null(strstr(log, "Normal ExternalProvisioning Waiting for a volume to be created "
                                "either by the external provisioner 'berth.io/local-path' or "
                                "manually by the system administrator. If volume creation is "
                                "delayed, please verify that the provisioner is running and "
                                "correctly registered."));
    free(log);

    /* the scheduler pre-bound a static volume instead (claimRef with uid, PV side first) */
    c = get(t->x, PVC, "ns", "c");
    json_t *v = get(t->x, PV, NULL, "static-lp");
    json_object_set_new(jget(v, "spec"), "claimRef", vol__claim_ref(c));
    vol__set_ann(v, ANN_BOUND_BY_CONTROLLER, "yes");
    put(t->x, PV, v);
    json_decref(c);
    settle(t);
    assert_field(t->x, PVC, "ns", "c", "status.phase", "Bound");
    assert_field(t->x, PVC, "ns", "c", "spec.volumeName", "static-lp");
    assert_bindings_consistent(t);
}

static void test_immediate_external_and_bad_classes(void **state)
{
    struct bt *t = *state;
    char *log;

    put(t->x, RES_STORAGECLASSES, mk_class("now", "example.com/nfs", "Immediate", false));
    put(t->x, RES_STORAGECLASSES,
        mk_class("local", "kubernetes.io/no-provisioner", "Immediate", false));
    put(t->x, PVC, mk_claim("ns", "ext", "1Gi", NULL, "now"));
    put(t->x, PVC, mk_claim("ns", "nope", "1Gi", NULL, "missing"));
    put(t->x, PVC, mk_claim("ns", "intree", "1Gi", NULL, "local"));
    settle(t);
    json_t *c = get(t->x, PVC, "ns", "ext");
    assert_string_equal(vol__ann(c, ANN_STORAGE_PROVISIONER), "example.com/nfs");
    json_decref(c);
    log = events(t);
    assert_non_null(strstr(log, "external provisioner 'example.com/nfs'"));
    assert_non_null(strstr(
        log, "Warning ProvisioningFailed storageclass.storage.k8s.io \"missing\" not found"));
    assert_non_null(strstr(
        log,
        "Warning ProvisioningFailed no volume plugin matched name: kubernetes.io/no-provisioner"));
    free(log);
    assert_field(t->x, PVC, "ns", "nope", "status.phase", "Pending");
}

static void test_retroactive_default_class(void **state)
{
    struct bt *t = *state;
    json_t *c;

    put(t->x, PVC, mk_claim("ns", "nil-class", "1Gi", NULL, NULL));
    put(t->x, PVC, mk_claim("ns", "empty-class", "1Gi", NULL, ""));
    settle(t);
    c = get(t->x, PVC, "ns", "nil-class");
    assert_null(jpath(c, "spec.storageClassName"));
    json_decref(c);
    /* a default class appears: the Pending claim without a class gets it, "" stays "" */
    put(t->x, RES_STORAGECLASSES, mk_class("old-default", "example.com/a", "Immediate", true));
    {
        json_t *newer = mk_class("new-default", "example.com/b", "Immediate", true);
        jset_str(jget(newer, "metadata"), "creationTimestamp", "2030-01-01T00:00:00Z");
        put(t->x, RES_STORAGECLASSES, newer);
    }
    settle(t);
    assert_field(t->x, PVC, "ns", "nil-class", "spec.storageClassName", "new-default");
    c = get(t->x, PVC, "ns", "empty-class");
    assert_string_equal(sget(c, "spec.storageClassName"), "");
    assert_non_null(jpath(c, "spec.storageClassName"));
    json_decref(c);
    /* and is then handled as a claim of that class */
    c = get(t->x, PVC, "ns", "nil-class");
    assert_string_equal(vol__ann(c, ANN_STORAGE_PROVISIONER), "example.com/b");
    json_decref(c);
}

/* --- interruption --- */

struct step {
    const char *verb;
    enum res_id r;
};

static const struct step bind_steps[] = {
    {"update", PV},         /* claimRef */
    {"update/status", PV},  /* phase Bound */
    {"update", PVC},        /* volumeName, annotations */
    {"update/status", PVC}, /* phase, capacity */
};

/* Each write of a bind fails once, at each of its calls: the next syncs finish the job and
 * the end state is the one an uninterrupted run reaches. */
static void test_interrupted_bind_at_each_step(void **state)
{
    struct bt *t = *state;

    for (size_t s = 0; s < ARRAY_SIZE(bind_steps); s++) {
        for (int after = 0; after < 4; after++) {
            json_t *claims, *pvs;
            kfake_fail_after(t->x->c, bind_steps[s].verb, bind_steps[s].r, after, -EIO);
            seed_classic(t);
            seed_claims(t, 4, "2Gi");
            settle(t);
            assert_bindings_consistent(t);
            kfake_clear_failures(t->x->c);
            /* what the resync does */
            for (int i = 0; i < 4; i++) {
                char key[32];
                snprintf(key, sizeof(key), "sts/www-web-%d", i);
                vol__binder_sync_claim(t->b, key);
            }
            const char *names[] = {"pv-a", "pv-b", "pv-c", "pv-d", "pv-small"};
            for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                vol__binder_sync_volume(t->b, names[i]);
            settle(t);
            assert_classic_bound(t, 4);

            /* start again from nothing */
            claims = kfake_list(t->x->c, PVC, NULL);
            pvs = kfake_list(t->x->c, PV, NULL);
            size_t i;
            json_t *o;
            json_array_foreach(claims, i, o) kfake_remove(t->x->c, PVC, vol__ns(o), vol__name(o));
            json_array_foreach(pvs, i, o) kfake_remove(t->x->c, PV, NULL, vol__name(o));
            json_decref(claims);
            json_decref(pvs);
            settle(t);
            free(events(t));
        }
    }
}

/* Failures everywhere (reads of the live API included) for the first N writes, then none. */
static void test_interrupted_after_n_writes(void **state)
{
    struct bt *t = *state;

    for (int n = 0; n < 12; n++) {
        kfake_fail_after(t->x->c, "update", RES_COUNT, n, -ESTALE);
        seed_classic(t);
        seed_claims(t, 4, "2Gi");
        settle(t);
        assert_bindings_consistent(t);
        kfake_clear_failures(t->x->c);
        kfake_fail_after(t->x->c, "update/status", RES_COUNT, n, -EAGAIN);
        for (int i = 0; i < 4; i++) {
            char key[32];
            snprintf(key, sizeof(key), "sts/www-web-%d", i);
            vol__binder_sync_claim(t->b, key);
        }
        settle(t);
        assert_bindings_consistent(t);
        kfake_clear_failures(t->x->c);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                char key[32];
                snprintf(key, sizeof(key), "sts/www-web-%d", i);
                vol__binder_sync_claim(t->b, key);
            }
            const char *names[] = {"pv-a", "pv-b", "pv-c", "pv-d", "pv-small"};
            for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                vol__binder_sync_volume(t->b, names[i]);
            settle(t);
        }
        assert_classic_bound(t, 4);

        json_t *claims = kfake_list(t->x->c, PVC, NULL), *pvs = kfake_list(t->x->c, PV, NULL), *o;
        size_t i;
        json_array_foreach(claims, i, o) kfake_remove(t->x->c, PVC, vol__ns(o), vol__name(o));
        json_array_foreach(pvs, i, o) kfake_remove(t->x->c, PV, NULL, vol__name(o));
        json_decref(claims);
        json_decref(pvs);
        settle(t);
        free(events(t));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classic_volumes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classic_claims_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifth_claim_waits_then_binds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_class_and_selector_respected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prebound_volume_waits_for_its_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_names_its_volume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_lost_when_volume_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_misbound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates_follow_claim_ref, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbound_volume_of_bound_claim_is_rebound, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_volume_of_claim_bound_elsewhere_is_unbound, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_volume_mode_mismatch_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retain_released_forever, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_static_hostpath_under_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_static_hostpath_elsewhere_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_local_volume_has_no_deleter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_left_to_external_provisioner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycle_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provisioned_volume_of_claim_bound_elsewhere_released,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_for_first_consumer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_immediate_external_and_bad_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retroactive_default_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_bind_at_each_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_after_n_writes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
