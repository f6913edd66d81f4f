/* test_volume_provisioner.c — the local-path provisioner (controllers/volume/provisioner.c)
 * over the fake API, alone and together with the binder: the StorageClass, provisioning on the
 * selected node (and the hand-off to another node's agent), Immediate classes, refusals,
 * deletion of released volumes and its safety checks, interruption. */
#include "vol_fixture.h"

#define PV RES_PERSISTENTVOLUMES
#define PVC RES_PERSISTENTVOLUMECLAIMS
#define SC RES_STORAGECLASSES

struct pt {
    struct fx *x;
    struct vol_provisioner *p;
    struct vol_binder *b; /* NULL unless the test wants both */
};

static struct pt *pt_new(bool default_class, bool with_binder)
{
    struct pt *t = xcalloc(1, sizeof(*t));

    t->x = fx_new();
    t->x->env.default_storage_class = default_class;
    t->p = vol__provisioner_new(&t->x->env, false);
    if (with_binder)
        t->b = vol__binder_new(&t->x->env, false);
    fx_start(t->x);
    return t;
}

static int setup(void **state)
{
    *state = pt_new(true, false);
    return 0;
}

static int setup_both(void **state)
{
    *state = pt_new(true, true);
    return 0;
}

static int teardown(void **state)
{
    struct pt *t = *state;

    fx_stop(t->x);
    vol__provisioner_free(t->p);
    vol__binder_free(t->b);
    fx_free(t->x);
    free(t);
    return 0;
}

static int settle(struct pt *t)
{
    int total = 0;

    for (int i = 0; i < 200; i++) {
        kfake_flush(t->x->c);
        int n = vol__provisioner_drain(t->p, 1000);
        if (t->b)
            n += vol__binder_drain(t->b, 1000);
        total += n;
        if (!n)
            break;
    }
    kfake_flush(t->x->c);
    return total;
}

static char *events(struct pt *t)
{
    return vol__events_take(vol__provisioner_events(t->p));
}

/* A claim of class local-path as the binder leaves it for the provisioner. */
static json_t *asked(const char *ns, const char *name, const char *node)
{
    json_t *c = mk_claim(ns, name, "1Gi", NULL, LOCAL_PATH_CLASS);

    vol__set_ann(c, ANN_STORAGE_PROVISIONER, LOCAL_PATH_PROVISIONER);
    vol__set_ann(c, ANN_BETA_STORAGE_PROVISIONER, LOCAL_PATH_PROVISIONER);
    if (node)
        vol__set_ann(c, ANN_SELECTED_NODE, node);
    return c;
}

static char *dir_of(struct pt *t, const char *pv, const char *ns, const char *claim)
{
    return xasprintf("%s/volumes/%s_%s_%s", t->x->data, pv, ns, claim);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- the class --- */

static void test_class_created_default(void **state)
{
    struct pt *t = *state;
    json_t *sc;

    settle(t);
    sc = get(t->x, SC, NULL, LOCAL_PATH_CLASS);
    assert_non_null(sc);
    assert_string_equal(sget(sc, "provisioner"), "berth.io/local-path");
    assert_string_equal(sget(sc, "reclaimPolicy"), "Delete");
    assert_string_equal(sget(sc, "volumeBindingMode"), "WaitForFirstConsumer");
    assert_true(jget_bool(sc, "allowVolumeExpansion", false));
    assert_string_equal(vol__ann(sc, ANN_DEFAULT_CLASS), "true");
    json_decref(sc);
}

static void test_class_not_default(void **state)
{
    (void)state;
    struct pt *t = pt_new(false, false);
    json_t *sc;

    settle(t);
    sc = get(t->x, SC, NULL, LOCAL_PATH_CLASS);
    assert_non_null(sc);
    assert_null(vol__ann(sc, ANN_DEFAULT_CLASS));
    json_decref(sc);
    void *s = t;
    teardown(&s);
}

static void test_existing_class_left_alone(void **state)
{
    struct pt *t = *state;
    json_t *sc = mk_class(LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER, "Immediate", false);

    /* made by an earlier start and changed by the admin since */
    put(t->x, SC, sc);
    vol__provisioner_sync(t->p, "class");
    assert_field(t->x, SC, NULL, LOCAL_PATH_CLASS, "volumeBindingMode", "Immediate");
    sc = get(t->x, SC, NULL, LOCAL_PATH_CLASS);
    assert_null(vol__ann(sc, ANN_DEFAULT_CLASS));
    json_decref(sc);
}

/* --- provisioning --- */

static void test_provision_on_selected_node(void **state)
{
    struct pt *t = *state;
    json_t *v;
    char *dir, *log;

    settle(t);
    put(t->x, RES_NODES, mk_node("n1"));
    put(t->x, PVC, mk_claim("ns", "early", "1Gi", NULL, LOCAL_PATH_CLASS)); /* not asked yet */
    put(t->x, PVC, asked("ns", "nonode", NULL));                            /* no node yet */
    put(t->x, PVC, asked("ns", "data", "n1"));
    settle(t);
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-early"));
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-nonode"));
    v = get(t->x, PV, NULL, "pvc-uid-ns-data");
    assert_non_null(v);
    dir = dir_of(t, "pvc-uid-ns-data", "ns", "data");
    assert_true(is_dir(dir));
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0777);

    assert_string_equal(sget(v, "spec.hostPath.path"), dir);
    assert_string_equal(sget(v, "spec.hostPath.type"), "DirectoryOrCreate");
    assert_json_eq(jpath(v, "spec.nodeAffinity"),
                   "{\"required\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
                   "\"kubernetes.io/hostname\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]}}");
    assert_string_equal(sget(v, "spec.capacity.storage"), "1Gi");
    assert_string_equal(sget(v, "spec.persistentVolumeReclaimPolicy"), "Delete");
    assert_string_equal(sget(v, "spec.storageClassName"), "local-path");
    assert_string_equal(sget(v, "spec.volumeMode"), "Filesystem");
    assert_json_eq(jpath(v, "spec.accessModes"), "[\"ReadWriteOnce\"]");
    assert_string_equal(sget(v, "spec.claimRef.uid"), "uid-ns-data");
    assert_string_equal(sget(v, "spec.claimRef.name"), "data");
    assert_string_equal(sget(v, "spec.claimRef.namespace"), "ns");
    assert_string_equal(vol__ann(v, ANN_PROVISIONED_BY), "berth.io/local-path");
    assert_null(vol__ann(v, ANN_LOCAL_PATH_PENDING));
    assert_true(vol__has_finalizer(v, FINALIZER_EXTERNAL_PROVISIONER));
    json_decref(v);

    log = events(t);
    assert_non_null(strstr(log, "Normal Provisioning External provisioner is provisioning volume "
                                "for claim \"ns/data\""));
    assert_non_null(strstr(
        log, "Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-ns-data"));
    free(log);

    /* again: nothing new (the volume exists) */
    vol__provisioner_sync(t->p, "claim:ns/data");
    log = events(t);
    assert_int_equal(count_events(log, "Provisioning"), 0);
    free(log);
    free(dir);
}

static void test_provision_for_another_node(void **state)
{
    struct pt *t = *state;
    json_t *v, *node = mk_node("n2");
    char *dir;

    jset_str(jpath(node, "metadata.labels"), "kubernetes.io/hostname", "n2.example");
    put(t->x, RES_NODES, node);
    put(t->x, PVC, asked("ns", "far", "n2"));
    settle(t);
    v = get(t->x, PV, NULL, "pvc-uid-ns-far");
    assert_non_null(v);
    /* the hand-off: that node's agent makes the directory */
    assert_string_equal(vol__ann(v, ANN_LOCAL_PATH_PENDING), "true");
    dir = dir_of(t, "pvc-uid-ns-far", "ns", "far");
    assert_false(is_dir(dir));
    assert_string_equal(sget(v, "spec.hostPath.path"), dir);
    /* the node's hostname label, as rancher's */
    assert_string_equal(vol__pv_node(v), "n2.example");
    json_decref(v);
    free(dir);
}

static void test_unknown_node_reschedules(void **state)
{
    struct pt *t = *state;
    json_t *c;
    char *log;

    put(t->x, PVC, asked("ns", "lost", "gone-node"));
    settle(t);
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-lost"));
    c = get(t->x, PVC, "ns", "lost");
    assert_false(vol__has_ann(c, ANN_SELECTED_NODE));
    json_decref(c);
    log = events(t);
    assert_non_null(strstr(log, "Warning ProvisioningFailed failed to get target node: nodes "
                                "\"gone-node\" not found"));
    free(log);
}

static void test_immediate_on_server_node(void **state)
{
    struct pt *t = *state;
    json_t *sc = mk_class("instant", LOCAL_PATH_PROVISIONER, "Immediate", false), *c, *v;
    char *dir;

    jset_str(sc, "reclaimPolicy", "Retain");
    json_object_set_new(sc, "mountOptions", tj("[\"noatime\"]"));
    put(t->x, SC, sc);
    c = mk_claim("ns", "now", "3Gi", "[\"ReadWriteOncePod\"]", "instant");
    vol__set_ann(c, ANN_STORAGE_PROVISIONER, LOCAL_PATH_PROVISIONER);
    put(t->x, PVC, c);
    settle(t);
    v = get(t->x, PV, NULL, "pvc-uid-ns-now");
    assert_non_null(v);
    assert_string_equal(vol__pv_node(v), "n1");
    assert_string_equal(sget(v, "spec.persistentVolumeReclaimPolicy"), "Retain");
    assert_false(vol__has_finalizer(v, FINALIZER_EXTERNAL_PROVISIONER));
    assert_json_eq(jpath(v, "spec.mountOptions"), "[\"noatime\"]");
    assert_json_eq(jpath(v, "spec.accessModes"), "[\"ReadWriteOncePod\"]");
    assert_string_equal(sget(v, "spec.capacity.storage"), "3Gi");
    dir = dir_of(t, "pvc-uid-ns-now", "ns", "now");
    assert_true(is_dir(dir));
    json_decref(v);
    free(dir);
}

static void test_local_volume_type(void **state)
{
    struct pt *t = *state;
    json_t *c = asked("ns", "loc", "n1"), *v;

    put(t->x, RES_NODES, mk_node("n1"));
    vol__set_ann(c, "volumeType", "local");
    put(t->x, PVC, c);
    settle(t);
    v = get(t->x, PV, NULL, "pvc-uid-ns-loc");
    assert_non_null(v);
    assert_null(jpath(v, "spec.hostPath"));
    assert_true(*sget(v, "spec.local.path"));
    json_decref(v);
}

static void test_refusals(void **state)
{
    struct pt *t = *state;
    json_t *c;
    char *log;

    settle(t); /* the class first: its arrival would wake the claims a second time */
    put(t->x, RES_NODES, mk_node("n1"));
    c = asked("ns", "rwx", "n1");
    json_object_set_new(jget(c, "spec"), "accessModes", tj("[\"ReadWriteMany\"]"));
    put(t->x, PVC, c);
    c = asked("ns", "rox", "n1");
    json_object_set_new(jget(c, "spec"), "accessModes", tj("[\"ReadWriteOnce\",\"ReadOnlyMany\"]"));
    put(t->x, PVC, c);
    c = asked("ns", "sel", "n1");
    json_object_set_new(jget(c, "spec"), "selector", tj("{\"matchLabels\":{\"a\":\"b\"}}"));
    put(t->x, PVC, c);
    c = asked("ns", "blk", "n1");
    jset_str(jget(c, "spec"), "volumeMode", "Block");
    put(t->x, PVC, c);
    settle(t);
    json_t *pvs = kfake_list(t->x->c, PV, NULL);
    assert_int_equal(json_array_size(pvs), 0);
    json_decref(pvs);
    log = events(t);
    assert_int_equal(count_events(log, "Warning ProvisioningFailed failed to provision volume with "
                                       "StorageClass \"local-path\": NodePath only supports "
                                       "ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"),
                     2);
    assert_int_equal(count_events(log, "Warning ProvisioningFailed failed to provision volume with "
                                       "StorageClass \"local-path\": claim.Spec.Selector is not "
                                       "supported"),
                     1);
    assert_int_equal(count_events(log, "Warning ProvisioningFailed berth.io/local-path does not "
                                       "support block volume provisioning"),
                     1);
    free(log);
}

static void test_other_provisioners_ignored(void **state)
{
    struct pt *t = *state;
    json_t *c = mk_claim("ns", "nfs", "1Gi", NULL, "nfs");

    put(t->x, SC, mk_class("nfs", "example.com/nfs", "Immediate", false));
    vol__set_ann(c, ANN_STORAGE_PROVISIONER, "example.com/nfs");
    put(t->x, PVC, c);
    settle(t);
    json_t *pvs = kfake_list(t->x->c, PV, NULL);
    assert_int_equal(json_array_size(pvs), 0);
    json_decref(pvs);
}

/* --- deleting --- */

/* A provisioned, bound volume whose claim is then removed and which the binder released. */
static char *released_volume(struct pt *t, const char *name)
{
    char key[64];
    json_t *v;

    put(t->x, RES_NODES, mk_node("n1"));
    put(t->x, PVC, asked("ns", name, "n1"));
    settle(t);
    snprintf(key, sizeof(key), "pvc-uid-ns-%s", name);
    assert_true(exists(t->x, PV, NULL, key));
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", name), 0);
    v = get(t->x, PV, NULL, key);
    jset_str(jensure_obj(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    return xstrdup(key);
}

static void test_delete_released_volume(void **state)
{
    struct pt *t = *state;
    char *pv = released_volume(t, "gone"), *dir = dir_of(t, pv, "ns", "gone");

    assert_false(exists(t->x, PV, NULL, pv));
    assert_false(is_dir(dir));
    free(pv);
    free(dir);
}

static void test_claim_still_there_is_not_deleted(void **state)
{
    struct pt *t = *state;
    json_t *v;
    char *dir;

    put(t->x, RES_NODES, mk_node("n1"));
    put(t->x, PVC, asked("ns", "kept", "n1"));
    settle(t);
    /* someone marks it Released while its claim still holds it */
    v = get(t->x, PV, NULL, "pvc-uid-ns-kept");
    jset_str(jensure_obj(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    dir = dir_of(t, "pvc-uid-ns-kept", "ns", "kept");
    assert_true(exists(t->x, PV, NULL, "pvc-uid-ns-kept"));
    assert_true(is_dir(dir));
    free(dir);
}

static void test_delete_refuses_foreign_path(void **state)
{
    struct pt *t = *state;
    char *other = xasprintf("%s/precious", t->x->data);
    json_t *v;
    char *log;

    assert_int_equal(mkdir(other, 0755), 0);
    v = mk_pv("pvc-odd", "1Gi", NULL, LOCAL_PATH_CLASS);
    vol__set_ann(v, ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER);
    jset_str(jget(v, "spec"), "persistentVolumeReclaimPolicy", "Delete");
    jset_str(jpath(v, "spec.hostPath"), "path", other);
    json_object_set_new(jget(v, "spec"), "claimRef",
                        tj("{\"namespace\":\"ns\",\"name\":\"x\",\"uid\":\"old\"}"));
    jset_str(jget(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    assert_true(is_dir(other));
    assert_true(exists(t->x, PV, NULL, "pvc-odd"));
    assert_field(t->x, PV, NULL, "pvc-odd", "status.phase", "Failed");
    log = events(t);
    assert_non_null(strstr(log, "Warning VolumeFailedDelete failed to delete volume pvc-odd: "
                                "refusing to remove"));
    free(log);
    free(other);
}

static void test_delete_on_another_node_hands_off(void **state)
{
    struct pt *t = *state;
    json_t *v;

    put(t->x, RES_NODES, mk_node("n2"));
    put(t->x, PVC, asked("ns", "far", "n2"));
    settle(t);
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "far"), 0);
    v = get(t->x, PV, NULL, "pvc-uid-ns-far");
    jset_str(jensure_obj(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    assert_true(exists(t->x, PV, NULL, "pvc-uid-ns-far"));
    v = get(t->x, PV, NULL, "pvc-uid-ns-far");
    assert_string_equal(vol__ann(v, ANN_LOCAL_PATH_CLEANUP), "requested");
    /* the agent did its part */
    vol__set_ann(v, ANN_LOCAL_PATH_CLEANUP, "done");
    put(t->x, PV, v);
    settle(t);
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-far"));
}

static void test_delete_when_node_gone(void **state)
{
    struct pt *t = *state;
    json_t *v;

    put(t->x, RES_NODES, mk_node("n3"));
    put(t->x, PVC, asked("ns", "orphan", "n3"));
    settle(t);
    assert_int_equal(kfake_remove(t->x->c, RES_NODES, NULL, "n3"), 0);
    assert_int_equal(kfake_remove(t->x->c, PVC, "ns", "orphan"), 0);
    v = get(t->x, PV, NULL, "pvc-uid-ns-orphan");
    jset_str(jensure_obj(v, "status"), "phase", "Released");
    put(t->x, PV, v);
    settle(t);
    /* cleanup skipped, as rancher's: the object goes */
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-orphan"));
}

/* --- with the binder --- */

static void test_whole_flow_with_binder(void **state)
{
    struct pt *t = *state;
    json_t *c;
    char *dir;

    settle(t); /* the class */
    put(t->x, RES_NODES, mk_node("n1"));
    put(t->x, PVC, mk_claim("sts", "www-web-0", "2Gi", NULL, LOCAL_PATH_CLASS));
    settle(t);
    assert_field(t->x, PVC, "sts", "www-web-0", "status.phase", "Pending");
    assert_false(exists(t->x, PV, NULL, "pvc-uid-sts-www-web-0"));
    /* the scheduler */
    c = get(t->x, PVC, "sts", "www-web-0");
    vol__set_ann(c, ANN_SELECTED_NODE, "n1");
    put(t->x, PVC, c);
    settle(t);
    assert_field(t->x, PVC, "sts", "www-web-0", "status.phase", "Bound");
    assert_field(t->x, PVC, "sts", "www-web-0", "spec.volumeName", "pvc-uid-sts-www-web-0");
    assert_field(t->x, PVC, "sts", "www-web-0", "status.capacity.storage", "2Gi");
    assert_field(t->x, PV, NULL, "pvc-uid-sts-www-web-0", "status.phase", "Bound");
    dir = dir_of(t, "pvc-uid-sts-www-web-0", "sts", "www-web-0");
    assert_true(is_dir(dir));
    /* the claim goes: Released by the binder, deleted by the provisioner */
    assert_int_equal(kfake_remove(t->x->c, PVC, "sts", "www-web-0"), 0);
    settle(t);
    assert_false(exists(t->x, PV, NULL, "pvc-uid-sts-www-web-0"));
    assert_false(is_dir(dir));
    free(dir);
}

static void test_interrupted_provisioning(void **state)
{
    struct pt *t = *state;
    json_t *pvs;

    settle(t);
    put(t->x, RES_NODES, mk_node("n1"));
    kfake_fail_after(t->x->c, "create", PV, 0, -EAGAIN);
    put(t->x, PVC, asked("ns", "retry", "n1"));
    settle(t);
    assert_false(exists(t->x, PV, NULL, "pvc-uid-ns-retry"));
    kfake_clear_failures(t->x->c);
    vol__provisioner_sync(t->p, "claim:ns/retry");
    vol__provisioner_sync(t->p, "claim:ns/retry");
    settle(t);
    pvs = kfake_list(t->x->c, PV, NULL);
    assert_int_equal(json_array_size(pvs), 1);
    json_decref(pvs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_class_created_default, setup, teardown),
        cmocka_unit_test(test_class_not_default),
        cmocka_unit_test_setup_teardown(test_existing_class_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provision_on_selected_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provision_for_another_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_node_reschedules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_immediate_on_server_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_volume_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_provisioners_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_released_volume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_still_there_is_not_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_refuses_foreign_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_on_another_node_hands_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_when_node_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_flow_with_binder, setup_both, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_provisioning, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
