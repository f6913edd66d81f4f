/* The fake API: every behaviour fake.h names, checked the way a controller would notice it. */
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"

static const char *const POD_A =
    "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}";

static json_t *create_ok(struct kclient *c, enum res_id r, const char *ns, const char *text)
{
    json_t *in = tj(text), *out = NULL;
    struct kstatus st;
    int rc = kclient_create(c, r, ns, in, &out, &st);
    if (rc)
        fail_msg("create failed: %d %s", rc, st.message);
    assert_int_equal(st.code, 201);
    json_decref(in);
    return out;
}

static const char *rv(const json_t *o)
{
    return jpath_str(o, "metadata.resourceVersion");
}

static void test_create_fills_server_fields(void **state)
{
    struct kclient *c = kfake_new();
    json_t *p = create_ok(c, RES_PODS, "ns", POD_A);

    assert_string_equal(jget_str(p, "kind"), "Pod");
    assert_string_equal(jget_str(p, "apiVersion"), "v1");
    assert_int_equal(strlen(jpath_str(p, "metadata.uid")), 36);
    time_t t;
    assert_int_equal(ktime_parse(jpath_str(p, "metadata.creationTimestamp"), &t, NULL), 0);
    assert_true(llabs((long long)(t - ktime_now())) < 5);
    assert_string_equal(rv(p), "1");
    /* Pods have no generation; the pod strategy's defaults and initial status apply. */
    assert_null(jpath(p, "metadata.generation"));
    assert_string_equal(jpath_str(p, "status.phase"), "Pending");
    assert_string_equal(jpath_str(p, "spec.restartPolicy"), "Always");
    assert_string_equal(jpath_str(p, "spec.dnsPolicy"), "ClusterFirst");

    /* A StatefulSet starts at generation 1, with its defaults. */
    json_t *s = create_ok(c, RES_STATEFULSETS, "ns",
                          "{\"metadata\":{\"name\":\"web\",\"generation\":7,"
                          "\"resourceVersion\":\"99\"},\"spec\":{\"selector\":{\"matchLabels\":"
                          "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":"
                          "\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"
                          "}}");
    assert_int_equal(jpath_int(s, "metadata.generation", 0), 1);
    assert_string_equal(rv(s), "2");
    assert_string_equal(jpath_str(s, "metadata.namespace"), "ns");
    assert_int_equal(jpath_int(s, "spec.replicas", 0), 1);
    assert_string_equal(jpath_str(s, "spec.podManagementPolicy"), "OrderedReady");
    assert_int_equal(jpath_int(s, "spec.revisionHistoryLimit", 0), 10);

    /* What get returns is the stored object, a copy the caller may change. */
    json_t *g = NULL;
    assert_int_equal(kclient_get(c, RES_PODS, "ns", "a", &g, NULL), 0);
    assert_true(json_equal(g, p));
    jset_str(jget_obj(g, "metadata"), "name", "changed");
    json_t *g2 = kfake_get(c, RES_PODS, "ns", "a");
    assert_string_equal(jpath_str(g2, "metadata.name"), "a");
    json_decref(g);
    json_decref(g2);

    /* Cluster-scoped kinds drop a namespace. */
    json_t *n =
        create_ok(c, RES_NODES, NULL, "{\"metadata\":{\"name\":\"n1\",\"namespace\":\"x\"}}");
    assert_null(jpath(n, "metadata.namespace"));
    json_t *g3 = kfake_get(c, RES_NODES, NULL, "n1");
    assert_non_null(g3);
    json_decref(g3);
    json_decref(n);
    json_decref(p);
    json_decref(s);
    kclient_free(c);
}

static void test_create_errors(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *p = create_ok(c, RES_PODS, "ns", POD_A), *out = NULL;
    json_decref(p);

    json_t *in = tj(POD_A);
    assert_int_equal(kclient_create(c, RES_PODS, "ns", in, &out, &st), -EEXIST);
    assert_int_equal(st.code, 409);
    assert_string_equal(st.reason, "AlreadyExists");
    assert_string_equal(st.message, "pods \"a\" already exists");
    assert_null(out);
    /* the same name in another namespace is another object */
    json_object_del(jget_obj(in, "metadata"), "namespace");
    assert_int_equal(kclient_create(c, RES_PODS, "other", in, NULL, &st), 0);
    /* a namespace contradicting the request's */
    json_t *bad = tj("{\"metadata\":{\"name\":\"b\",\"namespace\":\"x\"}}");
    assert_int_equal(kclient_create(c, RES_PODS, "ns", bad, NULL, &st), -EINVAL);
    assert_int_equal(st.code, 400);
    json_decref(bad);
    /* names are validated (metadata validation) */
    bad = tj("{\"metadata\":{\"name\":\"Bad_Name\"}}");
    assert_int_equal(kclient_create(c, RES_PODS, "ns", bad, NULL, &st), -EINVAL);
    assert_int_equal(st.code, 422);
    assert_string_equal(st.reason, "Invalid");
    assert_non_null(strstr(st.message, "Pod \"Bad_Name\" is invalid: metadata.name"));
    json_decref(bad);
    bad = tj("{\"metadata\":{}}");
    assert_int_equal(kclient_create(c, RES_PODS, "ns", bad, NULL, &st), -EINVAL);
    json_decref(bad);
    /* nothing of this was written */
    json_t *all = kfake_list(c, RES_PODS, "ns");
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    json_decref(in);
    kclient_free(c);
}

static void test_generate_name(void **state)
{
    struct kclient *c = kfake_new();
    char seen[20][64];
    for (int i = 0; i < 20; i++) {
        json_t *p = create_ok(c, RES_PODS, "ns", "{\"metadata\":{\"generateName\":\"web-\"}}");
        const char *name = jpath_str(p, "metadata.name");
        assert_int_equal(strlen(name), 9);
        assert_memory_equal(name, "web-", 4);
        assert_string_equal(jpath_str(p, "metadata.generateName"), "web-");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[j], name);
        snprintf(seen[i], sizeof(seen[i]), "%s", name);
        json_decref(p);
    }
    json_t *all = kfake_list(c, RES_PODS, "ns");
    assert_int_equal(json_array_size(all), 20);
    json_decref(all);
    kclient_free(c);
}

static void test_update_cas_and_noop(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *p = create_ok(c, RES_CONFIGMAPS, "ns",
                          "{\"metadata\":{\"name\":\"cm\"},\"data\":{\"k\":\"v1\"}}");
    json_t *stale = json_deep_copy(p), *out = NULL;

    jset_str(jget_obj(p, "data"), "k", "v2");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", p, &out, &st), 0);
    assert_string_equal(rv(out), "2");
    assert_string_equal(jpath_str(out, "data.k"), "v2");
    /* the uid and creationTimestamp are the server's */
    assert_string_equal(jpath_str(out, "metadata.uid"), jpath_str(p, "metadata.uid"));
    json_decref(out);

    /* an update from the old resourceVersion loses */
    jset_str(jget_obj(stale, "data"), "k", "v3");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", stale, &out, &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_string_equal(st.reason, "Conflict");
    assert_string_equal(st.message, "Operation cannot be fulfilled on configmaps \"cm\": the "
                                    "object has been modified; please apply your changes to the "
                                    "latest version and try again");
    json_t *cur = kfake_get(c, RES_CONFIGMAPS, "ns", "cm");
    assert_string_equal(jpath_str(cur, "data.k"), "v2");
    /* without a resourceVersion it is unconditional */
    json_object_del(jget_obj(stale, "metadata"), "resourceVersion");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", stale, &out, &st), 0);
    assert_string_equal(rv(out), "3");
    json_decref(out);
    /* a write that changes nothing makes no revision */
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", stale, &out, &st), 0);
    assert_string_equal(rv(out), "3");
    json_decref(out);
    /* missing object */
    jset_str(jget_obj(stale, "metadata"), "name", "nope");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", stale, NULL, &st), -ENOENT);
    assert_int_equal(st.code, 404);
    assert_string_equal(st.message, "configmaps \"nope\" not found");
    json_decref(cur);
    json_decref(stale);
    json_decref(p);
    kclient_free(c);
}

static const char *const STS =
    "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":"
    "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
    "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}";

static void test_status_subresource_and_generation(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *s = create_ok(c, RES_STATEFULSETS, "ns", STS), *out = NULL;

    /* the main resource ignores status */
    jset_int(jget_obj(s, "status"), "replicas", 5);
    jset_str(jensure_obj(jget_obj(s, "metadata"), "labels"), "x", "y");
    assert_int_equal(kclient_update(c, RES_STATEFULSETS, "ns", s, &out, &st), 0);
    assert_int_equal(jpath_int(out, "status.replicas", -1), 0);
    assert_string_equal(jpath_str(out, "metadata.labels.x"), "y");
    /* labels are not spec: generation stays */
    assert_int_equal(jpath_int(out, "metadata.generation", 0), 1);
    json_decref(s);
    s = out;

    /* status takes only status */
    jset_int(jget_obj(s, "status"), "replicas", 3);
    jset_int(jget_obj(s, "spec"), "replicas", 9);
    assert_int_equal(kclient_update_status(c, RES_STATEFULSETS, "ns", s, &out, &st), 0);
    assert_int_equal(jpath_int(out, "status.replicas", -1), 3);
    assert_int_equal(jpath_int(out, "spec.replicas", -1), 1);
    assert_int_equal(jpath_int(out, "metadata.generation", 0), 1);
    json_decref(s);
    s = out;

    /* a spec change bumps the generation */
    jset_int(jget_obj(s, "spec"), "replicas", 4);
    assert_int_equal(kclient_update(c, RES_STATEFULSETS, "ns", s, &out, &st), 0);
    assert_int_equal(jpath_int(out, "metadata.generation", 0), 2);
    assert_int_equal(jpath_int(out, "status.replicas", -1), 3);
    json_decref(s);

    /* status of a kind without the subresource: 404 */
    json_t *cm = create_ok(c, RES_CONFIGMAPS, "ns", "{\"metadata\":{\"name\":\"cm\"}}");
    assert_int_equal(kclient_update_status(c, RES_CONFIGMAPS, "ns", cm, NULL, &st), -ENOENT);
    assert_int_equal(kfake_calls(c, "update/status", RES_COUNT), 2);
    assert_int_equal(kfake_calls(c, "update", RES_STATEFULSETS), 2);
    json_decref(cm);
    json_decref(out);
    kclient_free(c);
}

static void test_patch_types(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *out = NULL;
    json_decref(create_ok(c, RES_STATEFULSETS, "ns", STS));

    /* merge patch: maps merge, null deletes */
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"a\":\"1\"}},\"spec\":"
                                   "{\"replicas\":3}}",
                                   NULL, &out, &st),
                     0);
    assert_string_equal(jpath_str(out, "metadata.labels.a"), "1");
    assert_int_equal(jpath_int(out, "spec.replicas", 0), 3);
    assert_int_equal(jpath_int(out, "metadata.generation", 0), 2);
    json_decref(out);

    /* strategic merge: containers merge by name (a merge patch would replace the list) */
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_STRATEGIC,
                                   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
                                   "\"side\",\"image\":\"s\"}]}}}}",
                                   NULL, &out, &st),
                     0);
    json_t *ctrs = jpath(out, "spec.template.spec.containers");
    assert_int_equal(json_array_size(ctrs), 2);
    json_decref(out);

    /* JSON patch, and a failing test op changes nothing */
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_JSON,
                                   "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":5}]",
                                   NULL, &out, &st),
                     0);
    assert_int_equal(jpath_int(out, "spec.replicas", 0), 5);
    const char *before = rv(out);
    char saved[24];
    snprintf(saved, sizeof(saved), "%s", before);
    json_decref(out);
    out = NULL;
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_JSON,
                                   "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":1}]",
                                   NULL, &out, &st),
                     -EINVAL);
    assert_int_equal(st.code, 422);
    assert_null(out);
    json_t *cur = kfake_get(c, RES_STATEFULSETS, "ns", "web");
    assert_string_equal(rv(cur), saved);
    json_decref(cur);
    /* malformed patches are 400 */
    assert_int_equal(
        kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_MERGE, "{nope", NULL, NULL, &st),
        -EINVAL);
    assert_int_equal(st.code, 400);
    assert_int_equal(
        kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_JSON, "{}", NULL, NULL, &st),
        -EINVAL);
    /* a resourceVersion in the patch is a precondition */
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_MERGE,
                                   "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":"
                                   "{\"replicas\":7}}",
                                   NULL, NULL, &st),
                     -ESTALE);
    /* the status subresource */
    assert_int_equal(kclient_patch(c, RES_STATEFULSETS, "ns", "web", KPATCH_MERGE,
                                   "{\"status\":{\"readyReplicas\":2},\"spec\":{\"replicas\":1}}",
                                   "status", &out, &st),
                     0);
    assert_int_equal(jpath_int(out, "status.readyReplicas", 0), 2);
    assert_int_equal(jpath_int(out, "spec.replicas", 0), 5);
    json_decref(out);
    assert_int_equal(
        kclient_patch(c, RES_STATEFULSETS, "ns", "nope", KPATCH_MERGE, "{}", NULL, NULL, &st),
        -ENOENT);
    assert_int_equal(kfake_calls(c, "patch", RES_STATEFULSETS), 8);
    assert_int_equal(kfake_calls(c, "patch/status", RES_STATEFULSETS), 1);
    kclient_free(c);
}

static void test_delete_finalizers_and_preconditions(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *p = create_ok(c, RES_CONFIGMAPS, "ns",
                          "{\"metadata\":{\"name\":\"cm\",\"finalizers\":[\"x/y\"]}}");
    struct kdelete_opts o = KDELETE_OPTS_INIT;

    o.uid = "not-the-uid";
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", &o, &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_non_null(strstr(st.message, "Precondition failed: UID in precondition: not-the-uid"));
    o.uid = jpath_str(p, "metadata.uid");
    o.resource_version = "12345";
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", &o, &st), -ESTALE);
    assert_non_null(strstr(st.message, "Precondition failed: ResourceVersion in precondition"));
    o.resource_version = rv(p);

    /* a finalizer holds it: deletionTimestamp set, still there */
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", &o, &st), 0);
    json_t *cur = kfake_get(c, RES_CONFIGMAPS, "ns", "cm");
    assert_non_null(cur);
    assert_non_null(jpath_str(cur, "metadata.deletionTimestamp"));
    /* deleting again changes nothing */
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", NULL, &st), 0);
    json_t *again = kfake_get(c, RES_CONFIGMAPS, "ns", "cm");
    assert_string_equal(rv(again), rv(cur));
    json_decref(again);
    /* removing the last finalizer completes the deletion */
    json_object_del(jget_obj(cur, "metadata"), "finalizers");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", cur, NULL, &st), 0);
    assert_null(kfake_get(c, RES_CONFIGMAPS, "ns", "cm"));
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", NULL, &st), -ENOENT);
    json_decref(cur);
    json_decref(p);

    /* propagation policies become finalizers */
    json_decref(create_ok(c, RES_STATEFULSETS, "ns", STS));
    o = (struct kdelete_opts)KDELETE_OPTS_INIT;
    o.propagation = "Orphan";
    assert_int_equal(kclient_delete(c, RES_STATEFULSETS, "ns", "web", &o, &st), 0);
    cur = kfake_get(c, RES_STATEFULSETS, "ns", "web");
    assert_json_eq(jpath(cur, "metadata.finalizers"), "[\"orphan\"]");
    json_decref(cur);
    json_decref(create_ok(c, RES_CONFIGMAPS, "ns", "{\"metadata\":{\"name\":\"fg\"}}"));
    o.propagation = "Foreground";
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "fg", &o, &st), 0);
    cur = kfake_get(c, RES_CONFIGMAPS, "ns", "fg");
    assert_json_eq(jpath(cur, "metadata.finalizers"), "[\"foregroundDeletion\"]");
    json_decref(cur);
    o.propagation = "Sideways";
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "fg", &o, &st), -EINVAL);

    /* pods go at once */
    json_decref(create_ok(c, RES_PODS, "ns", POD_A));
    assert_int_equal(kclient_delete(c, RES_PODS, "ns", "a", NULL, &st), 0);
    assert_null(kfake_get(c, RES_PODS, "ns", "a"));
    kclient_free(c);
}

static void test_bind(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_decref(create_ok(c, RES_PODS, "ns", POD_A));
    assert_int_equal(kclient_bind(c, "ns", "a", "node-1", &st), 0);
    json_t *p = kfake_get(c, RES_PODS, "ns", "a");
    assert_string_equal(jpath_str(p, "spec.nodeName"), "node-1");
    json_decref(p);
    assert_int_equal(kclient_bind(c, "ns", "a", "node-2", &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_non_null(strstr(st.message, "already assigned to node \"node-1\""));
    assert_int_equal(kclient_bind(c, "ns", "nope", "node-1", &st), -ENOENT);
    assert_int_equal(kfake_calls(c, "bind", RES_PODS), 3);
    kclient_free(c);
}

static void test_list_selectors(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    static const char *const pods[] = {
        "{\"metadata\":{\"name\":\"web-1\",\"labels\":{\"app\":\"web\",\"tier\":\"a-b\"}},"
        "\"spec\":{\"nodeName\":\"n1\"}}",
        "{\"metadata\":{\"name\":\"web-0\",\"labels\":{\"app\":\"web\",\"tier\":\"x\"}}}",
        "{\"metadata\":{\"name\":\"db-0\",\"labels\":{\"app\":\"db\"}},\"spec\":{\"nodeName\":"
        "\"n1\"}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(pods); i++)
        json_decref(create_ok(c, RES_PODS, "ns", pods[i]));
    json_decref(create_ok(c, RES_PODS, "other", pods[0]));

    json_t *l = NULL;
    assert_int_equal(kclient_list(c, RES_PODS, "ns", NULL, &l, &st), 0);
    assert_string_equal(jget_str(l, "kind"), "PodList");
    assert_string_equal(jpath_str(l, "metadata.resourceVersion"), "4");
    json_t *items = jget_arr(l, "items");
    assert_int_equal(json_array_size(items), 3);
    /* sorted by name; items carry no kind, as the server sends them */
    assert_string_equal(jpath_str(json_array_get(items, 0), "metadata.name"), "db-0");
    assert_string_equal(jpath_str(json_array_get(items, 2), "metadata.name"), "web-1");
    assert_null(jget(json_array_get(items, 0), "kind"));
    json_decref(l);

    assert_int_equal(kclient_list(c, RES_PODS, NULL, NULL, &l, &st), 0);
    assert_int_equal(json_array_size(jget_arr(l, "items")), 4);
    json_decref(l);

    struct klist_opts o = {.label_selector = "app=web,tier notin (x)"};
    assert_int_equal(kclient_list(c, RES_PODS, NULL, &o, &l, &st), 0);
    assert_int_equal(json_array_size(jget_arr(l, "items")), 2);
    json_decref(l);

    o = (struct klist_opts){.label_selector = "app in (web, db)",
                            .field_selector = "spec.nodeName=n1"};
    assert_int_equal(kclient_list(c, RES_PODS, "ns", &o, &l, &st), 0);
    items = jget_arr(l, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(jpath_str(json_array_get(items, 0), "metadata.name"), "db-0");
    json_decref(l);

    o = (struct klist_opts){.field_selector = "metadata.name!=web-0,spec.nodeName!=n1"};
    assert_int_equal(kclient_list(c, RES_PODS, "ns", &o, &l, &st), 0);
    assert_int_equal(json_array_size(jget_arr(l, "items")), 0);
    json_decref(l);

    o = (struct klist_opts){.field_selector = "spec.nope=1"};
    assert_int_equal(kclient_list(c, RES_PODS, "ns", &o, &l, &st), -EINVAL);
    assert_int_equal(st.code, 400);
    assert_string_equal(st.message, "field label not supported: spec.nope");
    o = (struct klist_opts){.label_selector = "a in (b"};
    assert_int_equal(kclient_list(c, RES_PODS, "ns", &o, &l, &st), -EINVAL);
    kclient_free(c);
}

/* --- watch --- */

struct rec {
    pthread_mutex_t mu;
    char log[64][96];
    int n;
    int stop_after; /* 0: never */
};

static int on_event(void *ctx, const char *type, json_t *obj)
{
    struct rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->n < 64)
        snprintf(r->log[r->n++], sizeof(r->log[0]), "%s %s %s", type,
                 jpath_str(obj, "metadata.name"), jpath_str(obj, "metadata.resourceVersion"));
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return r->stop_after && n >= r->stop_after;
}

struct watch_args {
    struct kclient *c;
    enum res_id r;
    const char *ns;
    struct klist_opts o;
    const char *rv;
    int timeout;
    struct rec *rec;
    volatile bool stop;
    int rc;
    atomic_bool done;
};

/* Wait until n watch calls were made: the fake registers a watch in the same step as it counts
 * it, so a flush after this covers the watch. */
static void wait_watches(struct kclient *c, int n)
{
    for (int i = 0; i < 5000 && kfake_calls(c, "watch", RES_COUNT) < n; i++)
        usleep(1000);
    assert_true(kfake_calls(c, "watch", RES_COUNT) >= n);
}

static void *watch_main(void *arg)
{
    struct watch_args *a = arg;
    struct kstatus st;
    a->rc =
        kclient_watch(a->c, a->r, a->ns, &a->o, a->rv, a->timeout, on_event, a->rec, &a->stop, &st);
    atomic_store(&a->done, true);
    return NULL;
}

static void test_watch_from_revision(void **state)
{
    struct kclient *c = kfake_new();
    struct rec rec = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct kstatus st;

    json_t *a = create_ok(c, RES_CONFIGMAPS, "ns", "{\"metadata\":{\"name\":\"a\"}}");  /* 1 */
    json_decref(create_ok(c, RES_CONFIGMAPS, "ns", "{\"metadata\":{\"name\":\"b\"}}")); /* 2 */
    jset_str(jensure_obj(a, "data"), "k", "v");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "ns", a, NULL, &st), 0);   /* 3 */
    json_decref(create_ok(c, RES_PODS, "ns", POD_A));                             /* 4 */
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "b", NULL, &st), 0); /* 5 */

    /* From revision 1: what came after, in order, other kinds skipped; the deletion carries
     * its own revision. Stops when the callback says so. */
    rec.stop_after = 2;
    assert_int_equal(
        kclient_watch(c, RES_CONFIGMAPS, "ns", NULL, "1", 0, on_event, &rec, NULL, &st), 0);
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.log[0], "ADDED b 2");
    assert_string_equal(rec.log[1], "MODIFIED a 3");

    /* From now ("" or "0"): the current state as ADDED, then live events. */
    rec.n = 0;
    rec.stop_after = 0;
    struct watch_args wa = {.c = c, .r = RES_CONFIGMAPS, .rv = "", .rec = &rec};
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &wa);
    wait_watches(c, 2);
    kfake_flush(c);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.log[0], "ADDED a 3");
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "a", NULL, &st), 0); /* 6 */
    json_decref(create_ok(c, RES_CONFIGMAPS, "ns2", "{\"metadata\":{\"name\":\"c\"}}"));
    kfake_flush(c);
    assert_int_equal(rec.n, 3);
    assert_string_equal(rec.log[1], "DELETED a 6");
    assert_string_equal(rec.log[2], "ADDED c 7");
    /* the stop flag ends a quiet watch promptly */
    int64_t t0 = ktime_mono_ms();
    __atomic_store_n(&wa.stop, true, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    assert_int_equal(wa.rc, 0);
    assert_true(ktime_mono_ms() - t0 < 1000);
    json_decref(a);
    kclient_free(c);
}

static void test_watch_selectors_and_timeout(void **state)
{
    struct kclient *c = kfake_new();
    struct rec rec = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct kstatus st;

    json_t *p = create_ok(c, RES_PODS, "ns", POD_A); /* app=web */
    struct watch_args wa = {.c = c,
                            .r = RES_PODS,
                            .ns = "ns",
                            .o = {.label_selector = "app=web"},
                            .rv = rv(p),
                            .timeout = 1,
                            .rec = &rec};
    pthread_t th;
    int64_t t0 = ktime_mono_ms();
    pthread_create(&th, NULL, watch_main, &wa);
    wait_watches(c, 1);
    kfake_flush(c);
    /* leaving the selection is a DELETED, coming back an ADDED */
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"db\"}}}", NULL, NULL, &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"annotations\":{\"x\":\"1\"}}}", NULL, NULL,
                                   &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}", NULL, NULL,
                                   &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"v\":\"2\"}}}", NULL, NULL, &st),
                     0);
    kfake_flush(c);
    assert_int_equal(rec.n, 3);
    assert_string_equal(rec.log[0], "DELETED a 2");
    assert_string_equal(rec.log[1], "ADDED a 4");
    assert_string_equal(rec.log[2], "MODIFIED a 5");
    /* timeoutSeconds ends the stream */
    pthread_join(th, NULL);
    int64_t dt = ktime_mono_ms() - t0;
    assert_int_equal(wa.rc, 0);
    assert_true(dt >= 1000 && dt < 3000);
    json_decref(p);
    kclient_free(c);
}

static void test_watch_too_old(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    struct rec rec = {.mu = PTHREAD_MUTEX_INITIALIZER, .stop_after = 1};
    json_t *cm = tj("{\"metadata\":{\"name\":\"cm\",\"namespace\":\"ns\"},\"data\":{}}");
    for (int i = 0; i < 9000; i++) {
        jset_int(jget_obj(cm, "data"), "i", i);
        assert_int_equal(kfake_put(c, RES_CONFIGMAPS, cm), 0);
    }
    assert_int_equal(
        kclient_watch(c, RES_CONFIGMAPS, NULL, NULL, "1", 0, on_event, &rec, NULL, &st), -ETIME);
    assert_int_equal(st.code, 410);
    assert_string_equal(st.reason, "Expired");
    assert_non_null(strstr(st.message, "too old resource version: 1 ("));
    /* a recent revision still resumes */
    assert_int_equal(
        kclient_watch(c, RES_CONFIGMAPS, NULL, NULL, "8990", 0, on_event, &rec, NULL, &st), 0);
    assert_string_equal(rec.log[0], "MODIFIED cm 8991");
    json_decref(cm);
    kclient_free(c);
}

/* --- injection, counting, direct access --- */

static void test_fail_after(void **state)
{
    struct kclient *c = kfake_new();
    struct kstatus st;
    json_t *in = tj(POD_A);

    /* two creates of pods succeed, then every one fails until cleared */
    kfake_fail_after(c, "create", RES_PODS, 2, -EIO);
    jset_str(jget_obj(in, "metadata"), "name", "p0");
    assert_int_equal(kclient_create(c, RES_PODS, "ns", in, NULL, &st), 0);
    /* other verbs and kinds are not affected and do not count */
    json_decref(create_ok(c, RES_CONFIGMAPS, "ns", "{\"metadata\":{\"name\":\"cm\"}}"));
    json_t *g = NULL;
    assert_int_equal(kclient_get(c, RES_PODS, "ns", "p0", &g, &st), 0);
    json_decref(g);
    jset_str(jget_obj(in, "metadata"), "name", "p1");
    assert_int_equal(kclient_create(c, RES_PODS, "ns", in, NULL, &st), 0);
    for (int i = 2; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", i);
        jset_str(jget_obj(in, "metadata"), "name", name);
        assert_int_equal(kclient_create(c, RES_PODS, "ns", in, NULL, &st), -EIO);
        assert_int_equal(st.code, 500);
        assert_string_equal(st.reason, "InternalError");
        assert_null(kfake_get(c, RES_PODS, "ns", name)); /* nothing changed */
    }
    assert_int_equal(kfake_calls(c, "create", RES_PODS), 5);
    assert_int_equal(kfake_calls(c, "create", RES_COUNT), 6);
    assert_int_equal(kfake_calls(c, NULL, RES_PODS), 6);
    assert_int_equal(kfake_calls(c, NULL, RES_COUNT), 7);
    kfake_clear_failures(c);
    assert_int_equal(kclient_create(c, RES_PODS, "ns", in, NULL, &st), 0);

    /* any verb, any kind, at once, with a chosen errno */
    kfake_fail_after(c, NULL, RES_COUNT, 0, -ESTALE);
    assert_int_equal(kclient_get(c, RES_PODS, "ns", "p0", &g, &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "ns", "cm", NULL, &st), -ESTALE);
    assert_int_equal(kclient_bind(c, "ns", "p0", "n", &st), -ESTALE);
    json_t *l = NULL;
    assert_int_equal(kclient_list(c, RES_PODS, NULL, NULL, &l, &st), -ESTALE);
    assert_int_equal(kclient_watch(c, RES_PODS, NULL, NULL, NULL, 0, on_event, NULL, NULL, &st),
                     -ESTALE);
    kfake_clear_failures(c);
    assert_non_null(g = kfake_get(c, RES_CONFIGMAPS, "ns", "cm"));
    json_decref(g);
    json_decref(in);
    kclient_free(c);
}

static void test_direct_access(void **state)
{
    struct kclient *c = kfake_new();
    json_t *p = tj("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"uid\":\"u-1\"},"
                   "\"status\":{\"phase\":\"Running\"}}");
    assert_int_equal(kfake_put(c, RES_PODS, p), 0);
    json_t *g = kfake_get(c, RES_PODS, "ns", "x");
    /* seeded as given (status kept), with a revision and type meta */
    assert_string_equal(jpath_str(g, "status.phase"), "Running");
    assert_string_equal(jpath_str(g, "metadata.uid"), "u-1");
    assert_string_equal(rv(g), "1");
    assert_string_equal(jget_str(g, "kind"), "Pod");
    json_decref(g);
    assert_int_equal(kfake_put(c, RES_PODS, p), 0); /* replace: new revision */
    g = kfake_get(c, RES_PODS, "ns", "x");
    assert_string_equal(rv(g), "2");
    json_decref(g);
    json_t *bad = tj("{\"metadata\":{\"name\":\"x\"}}");
    assert_int_equal(kfake_put(c, RES_PODS, bad), -EINVAL); /* no namespace */
    json_decref(bad);
    json_t *l = kfake_list(c, RES_PODS, NULL);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    assert_int_equal(kfake_remove(c, RES_PODS, "ns", "x"), 0);
    assert_int_equal(kfake_remove(c, RES_PODS, "ns", "x"), -ENOENT);
    assert_null(kfake_get(c, RES_PODS, "ns", "x"));
    /* direct access is not counted */
    assert_int_equal(kfake_calls(c, NULL, RES_COUNT), 0);
    json_decref(p);
    kclient_free(c);
}

/* kfake_flush waits for a watcher whose callback is slow. */
static int slow_event(void *ctx, const char *type, json_t *obj)
{
    usleep(20000);
    return on_event(ctx, type, obj);
}

static void *slow_watch_main(void *arg)
{
    struct watch_args *a = arg;
    a->rc = kclient_watch(a->c, a->r, NULL, NULL, a->rv, 0, slow_event, a->rec, &a->stop, NULL);
    return NULL;
}

static void test_flush_waits_for_watchers(void **state)
{
    struct kclient *c = kfake_new();
    struct rec rec = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct watch_args wa = {.c = c, .r = RES_CONFIGMAPS, .rv = "0", .rec = &rec};
    pthread_t th;
    pthread_create(&th, NULL, slow_watch_main, &wa);
    wait_watches(c, 1);
    char body[64];
    for (int i = 0; i < 10; i++) {
        snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"cm%d\"}}", i);
        json_decref(create_ok(c, RES_CONFIGMAPS, "ns", body));
    }
    kfake_flush(c);
    assert_int_equal(rec.n, 10);
    assert_string_equal(rec.log[9], "ADDED cm9 10");
    __atomic_store_n(&wa.stop, true, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    kclient_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_fills_server_fields),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_generate_name),
        cmocka_unit_test(test_update_cas_and_noop),
        cmocka_unit_test(test_status_subresource_and_generation),
        cmocka_unit_test(test_patch_types),
        cmocka_unit_test(test_delete_finalizers_and_preconditions),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_list_selectors),
        cmocka_unit_test(test_watch_from_revision),
        cmocka_unit_test(test_watch_selectors_and_timeout),
        cmocka_unit_test(test_watch_too_old),
        cmocka_unit_test(test_fail_after),
        cmocka_unit_test(test_direct_access),
        cmocka_unit_test(test_flush_waits_for_watchers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
