/* test_gc.c — the garbage collector over the fake API (with the server's deletion rules in
 * front: apisim.h). Each test seeds objects, runs the collector to quiescence and checks what
 * a user would see: which objects are gone, which stay, which references were dropped, in
 * which order owners and dependents went. */
#include "test.h"

#include <unistd.h>

#include "apisim.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/gc/gc.h"

struct env {
    struct kclient *c;
    struct informer_factory *f;
    struct gc *gc;
    int failures; /* syncs that returned an error */
};

static struct env *env_new(void)
{
    struct env *e = xcalloc(1, sizeof(*e));
    e->c = apisim_new();
    return e;
}

static void env_start(struct env *e)
{
    e->f = informer_factory_new(e->c);
    e->gc = gc_new(e->c, e->f);
    informer_factory_start(e->f);
    assert_true(informer_factory_wait_synced(e->f, 5000));
}

/* Write out the recorder's events (freeing the collector) and stop everything but the API. */
static void env_stop(struct env *e)
{
    informer_factory_stop(e->f);
    gc_free(e->gc);
    e->gc = NULL;
    informer_factory_free(e->f);
    e->f = NULL;
}

static void env_free(struct env *e)
{
    if (e->gc)
        env_stop(e);
    kclient_free(e->c);
    free(e);
}

/* Run the collector until nothing is left to do: every informer caught up, queue empty,
 * twice in a row (a delayed re-queue gets a little time to show up). */
static void settle(struct env *e)
{
    struct workqueue *q = gc_queue(e->gc);
    int idle = 0;
    for (int round = 0; round < 500 && idle < 3; round++) {
        kfake_flush(apisim_fake(e->c));
        if (!wq_len(q)) {
            idle++;
            usleep(idle * 10000);
            continue;
        }
        idle = 0;
        while (wq_len(q)) {
            char *k = wq_get(q);
            if (gc_sync(e->gc, k) < 0) {
                e->failures++;
                wq_add_rate_limited(q, k);
            } else {
                wq_forget(q, k);
            }
            wq_done(q, k);
            free(k);
        }
    }
}

static bool exists(struct env *e, enum res_id r, const char *ns, const char *name)
{
    return apisim_exists(e->c, r, ns, name);
}

/* The events recorded about `name` with `reason` (after env_stop). */
static size_t events_about(struct env *e, const char *name, const char *reason)
{
    json_t *all = kfake_list(apisim_fake(e->c), RES_EVENTS, NULL);
    size_t i, n = 0;
    json_t *ev;
    json_array_foreach(all, i, ev)
    {
        const char *in = jpath_str(ev, "involvedObject.name"), *re = jget_str(ev, "reason");
        if (in && re && !strcmp(in, name) && !strcmp(re, reason))
            n++;
    }
    json_decref(all);
    return n;
}

#define NS(name)                                                                                   \
    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" name                 \
    "\",\"uid\":\"ns-" name "\"},\"status\":{\"phase\":\"Active\"}}"

static void seed_namespaces(struct env *e)
{
    apisim_put(e->c, RES_NAMESPACES, NS("default"));
    apisim_put(e->c, RES_NAMESPACES, NS("a"));
    apisim_put(e->c, RES_NAMESPACES, NS("b"));
}

/* A StatefulSet-owned pod, a pod-owned PVC: the two levels of the retention policy. */
static const char *STS_WEB =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"web\","
    "\"namespace\":\"default\",\"uid\":\"u-sts\"},\"spec\":{\"replicas\":1,\"serviceName\":"
    "\"web\",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":"
    "{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}"
    "}";

#define POD_OWNED(name, uid, refs)                                                                 \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name                       \
    "\",\"namespace\":\"default\",\"uid\":\"" uid "\",\"ownerReferences\":" refs "},"              \
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"

#define REF(kind, av, name, uid, block)                                                            \
    "{\"apiVersion\":\"" av "\",\"kind\":\"" kind "\",\"name\":\"" name "\",\"uid\":\"" uid        \
    "\",\"controller\":true,\"blockOwnerDeletion\":" block "}"

#define STS_REF REF("StatefulSet", "apps/v1", "web", "u-sts", "true")

#define PVC_OWNED(name, ns, uid, refs)                                                             \
    "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"" name     \
    "\",\"namespace\":\"" ns "\",\"uid\":\"" uid "\",\"ownerReferences\":" refs "},\"spec\":"      \
    "{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}"

#define CM(name, ns, uid, extra_meta)                                                              \
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name                 \
    "\",\"namespace\":\"" ns "\",\"uid\":\"" uid "\"" extra_meta "}}"

/* --- background --- */

/* The owner is deleted (background: at once); its pod goes, then the pod's PVC. */
static void test_background_two_levels(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_STATEFULSETS, STS_WEB);
    apisim_put(e->c, RES_PODS, POD_OWNED("web-0", "u-pod0", "[" STS_REF "]"));
    apisim_put(e->c, RES_PERSISTENTVOLUMECLAIMS,
               PVC_OWNED("data-web-0", "default", "u-pvc0",
                         "[" REF("Pod", "v1", "web-0", "u-pod0", "true") "]"));
    apisim_put(e->c, RES_PODS, POD_OWNED("other", "u-other", "[]"));
    env_start(e);

    settle(e);
    assert_true(exists(e, RES_PODS, "default", "web-0")); /* the owner lives: nothing to do */
    assert_true(exists(e, RES_PERSISTENTVOLUMECLAIMS, "default", "data-web-0"));

    kfake_remove(apisim_fake(e->c), RES_STATEFULSETS, "default", "web");
    settle(e);
    assert_false(exists(e, RES_PODS, "default", "web-0"));
    assert_false(exists(e, RES_PERSISTENTVOLUMECLAIMS, "default", "data-web-0"));
    assert_true(exists(e, RES_PODS, "default", "other"));

    /* Background deletes with the object's UID as precondition. */
    json_t *d = apisim_deletes_of(e->c, "pods", "default", "web-0");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(jget_str(json_array_get(d, 0), "propagation"), "Background");
    assert_string_equal(jget_str(json_array_get(d, 0), "uid"), "u-pod0");
    json_decref(d);
    d = apisim_deletes_of(e->c, "persistentvolumeclaims", "default", "data-web-0");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(jget_str(json_array_get(d, 0), "uid"), "u-pvc0");
    json_decref(d);
    assert_int_equal(e->failures, 0);
    env_free(e);
}

/* Owners already gone when the collector starts: found from the initial list. */
static void test_background_owner_gone_at_start(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_PODS, POD_OWNED("web-0", "u-pod0", "[" STS_REF "]"));
    apisim_put(e->c, RES_PERSISTENTVOLUMECLAIMS,
               PVC_OWNED("data-web-0", "default", "u-pvc0",
                         "[" REF("Pod", "v1", "web-0", "u-pod0", "true") "]"));
    env_start(e);
    settle(e);
    assert_false(exists(e, RES_PODS, "default", "web-0"));
    assert_false(exists(e, RES_PERSISTENTVOLUMECLAIMS, "default", "data-web-0"));
    env_free(e);
}

/* A dependent's own orphan finalizer decides how it is deleted. */
static void test_background_honours_dependent_finalizers(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("keep-kids", "default", "u-cm",
                  ",\"finalizers\":[\"orphan\"],\"ownerReferences\":[" REF(
                      "StatefulSet", "apps/v1", "web", "u-sts", "false") "]"));
    apisim_put(
        e->c, RES_PODS,
        POD_OWNED("kid", "u-kid", "[" REF("ConfigMap", "v1", "keep-kids", "u-cm", "true") "]"));
    env_start(e);
    settle(e);
    json_t *d = apisim_deletes_of(e->c, "configmaps", "default", "keep-kids");
    assert_true(json_array_size(d) >= 1);
    assert_string_equal(jget_str(json_array_get(d, 0), "propagation"), "Orphan");
    json_decref(d);
    /* Orphaned: the configmap went, its pod stays without the reference. */
    assert_false(exists(e, RES_CONFIGMAPS, "default", "keep-kids"));
    json_t *kid = apisim_obj(e->c, RES_PODS, "default", "kid");
    assert_non_null(kid);
    assert_int_equal(json_array_size(jpath(kid, "metadata.ownerReferences")), 0);
    json_decref(kid);
    env_free(e);
}

/* --- foreground --- */

/* Foreground: dependents go first; a blocking dependent (a pod with a grace period, still
 * terminating) holds the owner; the non-blocking one does not; the owner goes last. */
static void test_foreground_block_owner_deletion(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_NAMESPACES, NS("x"));
    apisim_put(e->c, RES_STATEFULSETS,
               "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":"
               "\"web\",\"namespace\":\"default\",\"uid\":\"u-sts\",\"deletionTimestamp\":"
               "\"2030-01-01T00:00:00Z\",\"finalizers\":[\"foregroundDeletion\"]},\"spec\":"
               "{\"replicas\":1,\"serviceName\":\"web\",\"selector\":{\"matchLabels\":{\"app\":"
               "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
               "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
    apisim_put(e->c, RES_PODS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\","
               "\"namespace\":\"default\",\"uid\":\"u-pod0\",\"ownerReferences\":[" STS_REF
               "]},\"spec\":{\"nodeName\":\"n1\",\"terminationGracePeriodSeconds\":30,"
               "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
    apisim_put(
        e->c, RES_CONFIGMAPS,
        CM("loose", "default", "u-loose",
           ",\"ownerReferences\":[" REF("StatefulSet", "apps/v1", "web", "u-sts", "false") "]"));
    /* same UID, other namespace: not a dependent of web (and not blocking it) */
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("stranger", "x", "u-stranger", ",\"ownerReferences\":[" STS_REF "]"));
    env_start(e);
    settle(e);

    /* The pod is terminating (graceful) and still blocks; the loose one is gone. */
    json_t *pod = apisim_obj(e->c, RES_PODS, "default", "web-0");
    assert_non_null(pod);
    assert_non_null(jpath(pod, "metadata.deletionTimestamp"));
    json_decref(pod);
    assert_false(exists(e, RES_CONFIGMAPS, "default", "loose"));
    json_t *sts = apisim_obj(e->c, RES_STATEFULSETS, "default", "web");
    assert_non_null(sts);
    assert_json_eq(jpath(sts, "metadata.finalizers"), "[\"foregroundDeletion\"]");
    json_decref(sts);

    /* The kubelet finishes the pod: now the owner can go. */
    kfake_remove(apisim_fake(e->c), RES_PODS, "default", "web-0");
    settle(e);
    assert_false(exists(e, RES_STATEFULSETS, "default", "web"));
    /* The other namespace's object referenced an owner that never lived there. */
    assert_false(exists(e, RES_CONFIGMAPS, "x", "stranger"));
    assert_int_equal(e->failures, 0);
    env_stop(e);
    assert_true(events_about(e, "stranger", "OwnerRefInvalidNamespace") >= 1);
    env_free(e);
}

/* Foreground through two levels: the middle object has dependents, so it is deleted in the
 * foreground too, and the top owner waits for the whole tree. The order is checked after every
 * step: never an owner gone while a blocking dependent exists. */
static void test_foreground_chain(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("top", "a", "u-top",
                  ",\"deletionTimestamp\":\"2030-01-01T00:00:00Z\",\"finalizers\":"
                  "[\"foregroundDeletion\"]"));
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("mid", "a", "u-mid",
                  ",\"ownerReferences\":[" REF("ConfigMap", "v1", "top", "u-top", "true") "]"));
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"leaf\","
               "\"namespace\":\"a\",\"uid\":\"u-leaf\",\"finalizers\":[\"example.com/hold\"],"
               "\"ownerReferences\":[" REF("ConfigMap", "v1", "mid", "u-mid", "true") "]}}");
    env_start(e);
    settle(e);

    /* The leaf holds (its own finalizer): mid waits in the foreground, top waits for mid. */
    json_t *mid = apisim_obj(e->c, RES_CONFIGMAPS, "a", "mid");
    assert_non_null(mid);
    assert_non_null(jpath(mid, "metadata.deletionTimestamp"));
    assert_json_eq(jpath(mid, "metadata.finalizers"), "[\"foregroundDeletion\"]");
    json_decref(mid);
    /* (a stale cache may repeat a delete; each one asks for the foreground) */
    json_t *d = apisim_deletes_of(e->c, "configmaps", "a", "mid");
    assert_true(json_array_size(d) >= 1);
    size_t i;
    json_t *del;
    json_array_foreach(d, i, del)
    {
        assert_string_equal(jget_str(del, "propagation"), "Foreground");
        assert_string_equal(jget_str(del, "uid"), "u-mid");
    }
    json_decref(d);
    json_t *leaf = apisim_obj(e->c, RES_SECRETS, "a", "leaf");
    assert_non_null(leaf);
    assert_non_null(jpath(leaf, "metadata.deletionTimestamp"));
    json_decref(leaf);
    assert_true(exists(e, RES_CONFIGMAPS, "a", "top"));

    /* Release the leaf: the tree unwinds bottom-up. */
    kfake_remove(apisim_fake(e->c), RES_SECRETS, "a", "leaf");
    settle(e);
    assert_false(exists(e, RES_CONFIGMAPS, "a", "mid"));
    assert_false(exists(e, RES_CONFIGMAPS, "a", "top"));
    env_free(e);
}

/* A dependent with another, live owner survives a foreground deletion: its reference to the
 * waiting owner is removed instead, which unblocks that owner. */
static void test_foreground_dependent_with_live_owner(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("going", "a", "u-going",
                  ",\"deletionTimestamp\":\"2030-01-01T00:00:00Z\",\"finalizers\":"
                  "[\"foregroundDeletion\"]"));
    apisim_put(e->c, RES_CONFIGMAPS, CM("staying", "a", "u-staying", ""));
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"shared\","
               "\"namespace\":\"a\",\"uid\":\"u-shared\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "going", "u-going",
                   "true") "," REF("ConfigMap", "v1", "staying", "u-staying", "false") "]}}");
    env_start(e);
    settle(e);
    json_t *s = apisim_obj(e->c, RES_SECRETS, "a", "shared");
    assert_non_null(s);
    assert_null(jpath(s, "metadata.deletionTimestamp"));
    json_t *refs = jpath(s, "metadata.ownerReferences");
    assert_int_equal(json_array_size(refs), 1);
    assert_string_equal(jget_str(json_array_get(refs, 0), "uid"), "u-staying");
    json_decref(s);
    assert_false(exists(e, RES_CONFIGMAPS, "a", "going"));
    env_free(e);
}

/* --- orphan --- */

static void test_orphan(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_STATEFULSETS,
               "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":"
               "\"web\",\"namespace\":\"default\",\"uid\":\"u-sts\",\"deletionTimestamp\":"
               "\"2030-01-01T00:00:00Z\",\"finalizers\":[\"orphan\"]},\"spec\":{\"replicas\":2,"
               "\"serviceName\":\"web\",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
               "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
               "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
    apisim_put(e->c, RES_CONFIGMAPS, CM("cfg", "default", "u-cfg", ""));
    apisim_put(e->c, RES_PODS, POD_OWNED("web-0", "u-pod0", "[" STS_REF "]"));
    apisim_put(e->c, RES_PODS,
               POD_OWNED("web-1", "u-pod1",
                         "[" STS_REF "," REF("ConfigMap", "v1", "cfg", "u-cfg", "false") "]"));
    apisim_put(e->c, RES_CONTROLLERREVISIONS,
               "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"metadata\":"
               "{\"name\":\"web-abc\",\"namespace\":\"default\",\"uid\":\"u-rev\","
               "\"ownerReferences\":[" STS_REF "]},\"revision\":1}");
    env_start(e);
    settle(e);

    assert_false(exists(e, RES_STATEFULSETS, "default", "web"));
    json_t *p0 = apisim_obj(e->c, RES_PODS, "default", "web-0");
    json_t *p1 = apisim_obj(e->c, RES_PODS, "default", "web-1");
    json_t *rev = apisim_obj(e->c, RES_CONTROLLERREVISIONS, "default", "web-abc");
    assert_non_null(p0);
    assert_non_null(p1);
    assert_non_null(rev);
    assert_int_equal(json_array_size(jpath(p0, "metadata.ownerReferences")), 0);
    assert_int_equal(json_array_size(jpath(rev, "metadata.ownerReferences")), 0);
    json_t *refs = jpath(p1, "metadata.ownerReferences");
    assert_int_equal(json_array_size(refs), 1);
    assert_string_equal(jget_str(json_array_get(refs, 0), "uid"), "u-cfg");
    assert_null(jpath(p0, "metadata.deletionTimestamp"));
    json_decref(p0);
    json_decref(p1);
    json_decref(rev);
    json_t *d = apisim_deletes_of(e->c, "pods", "default", "web-0");
    assert_int_equal(json_array_size(d), 0); /* never deleted */
    json_decref(d);
    env_free(e);
}

/* A failing patch keeps the orphan finalizer (the owner stays) until the dependents are
 * released: no dependent is ever left to the background collector by mistake. */
static void test_orphan_patch_failure(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS,
               CM("owner", "a", "u-owner",
                  ",\"deletionTimestamp\":\"2030-01-01T00:00:00Z\",\"finalizers\":[\"orphan\"]"));
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"kid\","
               "\"namespace\":\"a\",\"uid\":\"u-kid\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "owner", "u-owner", "true") "]}}");
    env_start(e);
    kfake_fail_after(apisim_fake(e->c), "patch", RES_SECRETS, 0, -EIO);
    settle(e);
    assert_true(e->failures > 0);
    json_t *o = apisim_obj(e->c, RES_CONFIGMAPS, "a", "owner");
    assert_non_null(o);
    assert_json_eq(jpath(o, "metadata.finalizers"), "[\"orphan\"]");
    json_decref(o);
    assert_true(exists(e, RES_SECRETS, "a", "kid"));

    kfake_clear_failures(apisim_fake(e->c));
    wq_add(gc_queue(e->gc), "configmaps/a/owner");
    settle(e);
    assert_false(exists(e, RES_CONFIGMAPS, "a", "owner"));
    json_t *kid = apisim_obj(e->c, RES_SECRETS, "a", "kid");
    assert_non_null(kid);
    assert_int_equal(json_array_size(jpath(kid, "metadata.ownerReferences")), 0);
    json_decref(kid);
    env_stop(e);
    assert_true(events_about(e, "kid", "GarbageCollectionFailed") >= 1);
    env_free(e);
}

/* --- several owners, identity by UID --- */

static void test_multiple_owners(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS, CM("o1", "a", "u-o1", ""));
    apisim_put(e->c, RES_CONFIGMAPS, CM("o2", "a", "u-o2", ""));
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"both\","
               "\"namespace\":\"a\",\"uid\":\"u-both\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "o1", "u-o1", "false") "," REF("ConfigMap", "v1", "o2",
                                                                     "u-o2", "false") "]}}");
    env_start(e);
    settle(e);
    assert_true(exists(e, RES_SECRETS, "a", "both"));

    kfake_remove(apisim_fake(e->c), RES_CONFIGMAPS, "a", "o1");
    settle(e);
    /* one owner left: it stays, and the dead reference is dropped */
    json_t *s = apisim_obj(e->c, RES_SECRETS, "a", "both");
    assert_non_null(s);
    json_t *refs = jpath(s, "metadata.ownerReferences");
    assert_int_equal(json_array_size(refs), 1);
    assert_string_equal(jget_str(json_array_get(refs, 0), "uid"), "u-o2");
    json_decref(s);
    json_t *d = apisim_deletes_of(e->c, "secrets", "a", "both");
    assert_int_equal(json_array_size(d), 0);
    json_decref(d);

    kfake_remove(apisim_fake(e->c), RES_CONFIGMAPS, "a", "o2");
    settle(e);
    assert_false(exists(e, RES_SECRETS, "a", "both"));
    env_free(e);
}

/* An owner of that name exists, but it is another object (another UID): the reference is
 * dangling, the dependent goes. The one naming the live UID stays. */
static void test_dangling_owner_uid_mismatch(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_CONFIGMAPS, CM("owner", "a", "u-new", ""));
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"old-kid\","
               "\"namespace\":\"a\",\"uid\":\"u-k1\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "owner", "u-old", "true") "]}}");
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"new-kid\","
               "\"namespace\":\"a\",\"uid\":\"u-k2\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "owner", "u-new", "true") "]}}");
    env_start(e);
    settle(e);
    assert_false(exists(e, RES_SECRETS, "a", "old-kid"));
    assert_true(exists(e, RES_SECRETS, "a", "new-kid"));
    assert_true(exists(e, RES_CONFIGMAPS, "a", "owner"));
    env_free(e);
}

/* Cluster-scoped owners own namespaced objects; a cluster-scoped object never has a
 * namespaced owner (it is left alone, with a warning). */
static void test_scopes(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_NODES,
               "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
               "\"uid\":\"u-n1\"}}");
    apisim_put(e->c, RES_LEASES,
               "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":"
               "{\"name\":\"n1\",\"namespace\":\"b\",\"uid\":\"u-lease\",\"ownerReferences\":"
               "[" REF("Node", "v1", "n1", "u-n1", "false") "]},\"spec\":{}}");
    apisim_put(
        e->c, RES_PERSISTENTVOLUMES,
        "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":"
        "\"pv1\",\"uid\":\"u-pv1\",\"ownerReferences\":[" REF(
            "ConfigMap", "v1", "nowhere", "u-nowhere",
            "false") "]},\"spec\":"
                     "{\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],"
                     "\"hostPath\":{\"path\":\"/tmp\"}}}");
    env_start(e);
    settle(e);
    assert_true(exists(e, RES_LEASES, "b", "n1"));
    assert_true(exists(e, RES_PERSISTENTVOLUMES, NULL, "pv1"));

    kfake_remove(apisim_fake(e->c), RES_NODES, NULL, "n1");
    settle(e);
    assert_false(exists(e, RES_LEASES, "b", "n1"));
    assert_true(exists(e, RES_PERSISTENTVOLUMES, NULL, "pv1"));
    env_stop(e);
    assert_true(events_about(e, "pv1", "OwnerRefInvalidNamespace") >= 1);
    env_free(e);
}

/* --- failures never count as absence --- */

/* The owner is not in the cache and the live GET fails: nothing is deleted until it answers
 * (and then the owner turns out to exist). */
static void test_owner_lookup_failure_deletes_nothing(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_SECRETS,
               "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"kid\","
               "\"namespace\":\"a\",\"uid\":\"u-kid\",\"ownerReferences\":[" REF(
                   "ConfigMap", "v1", "late", "u-late", "true") "]}}");
    env_start(e);
    kfake_fail_after(apisim_fake(e->c), "get", RES_CONFIGMAPS, 0, -EIO);
    settle(e);
    assert_true(e->failures > 0);
    assert_true(exists(e, RES_SECRETS, "a", "kid"));
    json_t *d = apisim_deletes_of(e->c, "secrets", "a", "kid");
    assert_int_equal(json_array_size(d), 0);
    json_decref(d);

    /* The owner shows up; the next look finds it. */
    apisim_put(e->c, RES_CONFIGMAPS, CM("late", "a", "u-late", ""));
    kfake_clear_failures(apisim_fake(e->c));
    wq_add(gc_queue(e->gc), "secrets/a/kid");
    settle(e);
    assert_true(exists(e, RES_SECRETS, "a", "kid"));
    env_free(e);
}

/* A failed delete is retried; it succeeds once the API answers again. */
static void test_delete_failure_retried(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(e->c, RES_PODS, POD_OWNED("web-0", "u-pod0", "[" STS_REF "]"));
    kfake_fail_after(apisim_fake(e->c), "delete", RES_PODS, 0, -EIO);
    env_start(e);
    settle(e);
    assert_true(e->failures > 0);
    assert_true(exists(e, RES_PODS, "default", "web-0"));
    kfake_clear_failures(apisim_fake(e->c));
    wq_add(gc_queue(e->gc), "pods/default/web-0"); /* don't wait for the backoff */
    settle(e);
    assert_false(exists(e, RES_PODS, "default", "web-0"));
    env_stop(e);
    assert_true(events_about(e, "web-0", "GarbageCollectionFailed") >= 1);
    env_free(e);
}

/* An owner kind berth does not serve is never taken as absent (upstream retries it). */
static void test_unknown_owner_kind(void **state)
{
    struct env *e = env_new();
    seed_namespaces(e);
    apisim_put(
        e->c, RES_PODS,
        POD_OWNED("rs-pod", "u-rspod", "[" REF("ReplicaSet", "apps/v1", "rs", "u-rs", "true") "]"));
    env_start(e);
    settle(e);
    assert_true(exists(e, RES_PODS, "default", "rs-pod"));
    assert_true(e->failures > 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_background_two_levels),
        cmocka_unit_test(test_background_owner_gone_at_start),
        cmocka_unit_test(test_background_honours_dependent_finalizers),
        cmocka_unit_test(test_foreground_block_owner_deletion),
        cmocka_unit_test(test_foreground_chain),
        cmocka_unit_test(test_foreground_dependent_with_live_owner),
        cmocka_unit_test(test_orphan),
        cmocka_unit_test(test_orphan_patch_failure),
        cmocka_unit_test(test_multiple_owners),
        cmocka_unit_test(test_dangling_owner_uid_mismatch),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_owner_lookup_failure_deletes_nothing),
        cmocka_unit_test(test_delete_failure_retried),
        cmocka_unit_test(test_unknown_owner_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
