/* Informers over the fake API: cache, events, listers, relist, factory. */
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"
#include "client/informer.h"

/* A handler that logs "add ns/name rv", "update ns/name oldrv->rv", "delete ns/name rv". */
struct log {
    pthread_mutex_t mu;
    char lines[128][96];
    int n;
    atomic_int after_free; /* calls made after informer_free returned */
    atomic_bool freed;
};

static void logf_(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct log *l, const char *fmt, ...)
{
    va_list ap;
    if (atomic_load(&l->freed))
        atomic_fetch_add(&l->after_free, 1);
    pthread_mutex_lock(&l->mu);
    if (l->n < 128) {
        va_start(ap, fmt);
        vsnprintf(l->lines[l->n++], sizeof(l->lines[0]), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&l->mu);
}

static const char *rv(const json_t *o)
{
    return jpath_str(o, "metadata.resourceVersion");
}

static void on_add(void *ctx, const json_t *obj)
{
    char *k = obj_key(obj);
    logf_(ctx, "add %s %s", k, rv(obj));
    free(k);
}

static void on_update(void *ctx, const json_t *old, const json_t *cur)
{
    char *k = obj_key(cur);
    logf_(ctx, "update %s %s->%s", k, rv(old), rv(cur));
    free(k);
}

static void on_delete(void *ctx, const json_t *obj)
{
    char *k = obj_key(obj);
    logf_(ctx, "delete %s %s", k, rv(obj));
    free(k);
}

static struct informer_handlers handlers(struct log *l)
{
    return (struct informer_handlers){on_add, on_update, on_delete, l};
}

static void log_reset(struct log *l)
{
    pthread_mutex_lock(&l->mu);
    l->n = 0;
    pthread_mutex_unlock(&l->mu);
}

static void put(struct kclient *c, enum res_id r, const char *text)
{
    json_t *o = tj(text);
    assert_int_equal(kfake_put(c, r, o), 0);
    json_decref(o);
}

#define CM(ns, name) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns "\"}}"

static void test_initial_list_and_events(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    put(c, RES_CONFIGMAPS, CM("b", "x")); /* 1 */
    put(c, RES_CONFIGMAPS, CM("a", "y")); /* 2 */
    put(c, RES_CONFIGMAPS, CM("a", "x")); /* 3 */

    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    assert_false(informer_synced(inf));
    assert_int_equal(informer_resource(inf), RES_CONFIGMAPS);
    assert_int_equal(informer_start(inf), 0);
    assert_true(informer_wait_synced(inf, 5000));
    assert_true(informer_synced(inf));
    /* the initial list, in (namespace, name) order */
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[0], "add a/x 3");
    assert_string_equal(l.lines[1], "add a/y 2");
    assert_string_equal(l.lines[2], "add b/x 1");
    assert_string_equal(informer_last_rv(inf), "3");

    /* then the watch: add, update, delete, in order */
    log_reset(&l);
    struct kstatus st;
    json_t *in = tj("{\"metadata\":{\"name\":\"z\"},\"data\":{\"k\":\"1\"}}"), *out = NULL;
    assert_int_equal(kclient_create(c, RES_CONFIGMAPS, "a", in, &out, &st), 0); /* 4 */
    jset_str(jget_obj(out, "data"), "k", "2");
    assert_int_equal(kclient_update(c, RES_CONFIGMAPS, "a", out, NULL, &st), 0); /* 5 */
    assert_int_equal(kclient_delete(c, RES_CONFIGMAPS, "b", "x", NULL, &st), 0); /* 6 */
    put(c, RES_PODS, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"a\"}}");     /* 7 */
    kfake_flush(c);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[0], "add a/z 4");
    assert_string_equal(l.lines[1], "update a/z 4->5");
    assert_string_equal(l.lines[2], "delete b/x 6");

    /* the cache holds the latest state, with kind and apiVersion */
    json_t *z = informer_get(inf, "a", "z");
    assert_non_null(z);
    assert_string_equal(jpath_str(z, "data.k"), "2");
    assert_string_equal(jget_str(z, "kind"), "ConfigMap");
    assert_string_equal(jget_str(z, "apiVersion"), "v1");
    json_decref(z);
    assert_null(informer_get(inf, "b", "x"));
    /* list items from the initial list got their kind too */
    json_t *y = informer_get(inf, "a", "y");
    assert_string_equal(jget_str(y, "kind"), "ConfigMap");
    json_decref(y);

    informer_free(inf);
    json_decref(in);
    json_decref(out);
    kclient_free(c);
}

static void test_listers(void **state)
{
    struct kclient *c = kfake_new();
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"a\",\"labels\":{\"app\":\"web\"},"
        "\"ownerReferences\":[{\"uid\":\"u-sts\",\"name\":\"web\",\"kind\":\"StatefulSet\","
        "\"apiVersion\":\"apps/v1\",\"controller\":true}]}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"a\",\"labels\":{\"app\":\"web\"},"
        "\"ownerReferences\":[{\"uid\":\"u-sts\",\"name\":\"web\",\"kind\":\"StatefulSet\","
        "\"apiVersion\":\"apps/v1\"},{\"uid\":\"u-other\",\"name\":\"o\",\"kind\":\"X\","
        "\"apiVersion\":\"v1\"}]}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"a\",\"labels\":"
        "{\"app\":\"db\"}}}");
    /* namespaces that sort around "a" and "a-b" must not leak into each other */
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"a-b\",\"labels\":"
        "{\"app\":\"web\"},\"ownerReferences\":[{\"uid\":\"u-sts2\",\"name\":"
        "\"web\",\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\"}]}}");
    put(c, RES_PODS, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"a.b\"}}");
    put(c, RES_PODS, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ab\"}}");

    struct informer *inf = informer_new(c, RES_PODS, NULL, NULL);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));

    json_t **v;
    size_t n = informer_list(inf, "a", NULL, &v);
    assert_int_equal(n, 3);
    assert_string_equal(jpath_str(v[0], "metadata.name"), "db-0");
    assert_string_equal(jpath_str(v[1], "metadata.name"), "web-0");
    assert_string_equal(jpath_str(v[2], "metadata.name"), "web-1");
    /* listers hand out the cached objects themselves (references, no copies) */
    json_t *g = informer_get(inf, "a", "web-0");
    assert_ptr_equal(g, v[1]);
    json_decref(g);
    informer_list_free(v, n);

    n = informer_list(inf, NULL, NULL, &v);
    assert_int_equal(n, 6);
    assert_string_equal(jpath_str(v[3], "metadata.namespace"), "a-b");
    assert_string_equal(jpath_str(v[4], "metadata.namespace"), "a.b");
    assert_string_equal(jpath_str(v[5], "metadata.namespace"), "ab");
    informer_list_free(v, n);

    struct label_selector *sel;
    assert_int_equal(label_selector_parse("app=web", &sel, NULL), 0);
    n = informer_list(inf, "a", sel, &v);
    assert_int_equal(n, 2);
    informer_list_free(v, n);
    n = informer_list(inf, NULL, sel, &v);
    assert_int_equal(n, 3);
    informer_list_free(v, n);
    n = informer_list(inf, "nope", sel, &v);
    assert_int_equal(n, 0);
    informer_list_free(v, n);
    label_selector_free(sel);

    n = informer_by_owner(inf, "u-sts", &v);
    assert_int_equal(n, 2);
    assert_string_equal(jpath_str(v[0], "metadata.name"), "web-0");
    assert_string_equal(jpath_str(v[0], "metadata.namespace"), "a");
    assert_string_equal(jpath_str(v[1], "metadata.name"), "web-1");
    informer_list_free(v, n);
    n = informer_by_owner(inf, "u-other", &v);
    assert_int_equal(n, 1);
    informer_list_free(v, n);
    n = informer_by_owner(inf, "u-st", &v); /* a prefix is not a match */
    assert_int_equal(n, 0);
    informer_list_free(v, n);

    /* an update that drops an owner reference leaves that owner's index */
    struct kstatus st;
    assert_int_equal(kclient_patch(c, RES_PODS, "a", "web-1", KPATCH_MERGE,
                                   "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u-other\","
                                   "\"name\":\"o\",\"kind\":\"X\",\"apiVersion\":\"v1\"}]}}",
                                   NULL, NULL, &st),
                     0);
    kfake_remove(c, RES_PODS, "a", "web-0");
    kfake_flush(c);
    n = informer_by_owner(inf, "u-sts", &v);
    assert_int_equal(n, 0);
    informer_list_free(v, n);
    n = informer_by_owner(inf, "u-other", &v);
    assert_int_equal(n, 1);
    informer_list_free(v, n);
    informer_free(inf);
    kclient_free(c);
}

/* An index on the "app" label and on every "tier" label value of a comma list; "none" files
 * nothing, a repeated value is filed once. */
static void index_app_tiers(const json_t *obj, void (*add)(void *, const char *), void *arg)
{
    const char *app = jpath_str(obj, "metadata.labels.app");
    const char *tiers = jpath_str(obj, "metadata.labels.tiers");
    if (app && strcmp(app, "none"))
        add(arg, app);
    if (tiers) {
        char *t = xstrdup(tiers), *save = NULL;
        for (char *p = strtok_r(t, ".", &save); p; p = strtok_r(NULL, ".", &save))
            add(arg, p);
        free(t);
    }
}

static void index_other(const json_t *obj, void (*add)(void *, const char *), void *arg)
{
    add(arg, "x");
}

/* The names (ns/name) the index files under value, comma-separated. */
static char *by_index(struct informer *inf, const char *index, const char *value)
{
    json_t **v;
    size_t n = informer_by_index(inf, index, value, &v);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s%s/%s", i ? "," : "", jpath_str(v[i], "metadata.namespace"),
                    jpath_str(v[i], "metadata.name"));
    informer_list_free(v, n);
    return strbuf_detach(&sb, NULL);
}

#define ASSERT_INDEX(inf, index, value, want)                                                      \
    do {                                                                                           \
        char *got_ = by_index(inf, index, value);                                                  \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_added_index(void **state)
{
    struct kclient *c = kfake_new();
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"b\",\"namespace\":\"n\",\"labels\":{\"app\":"
        "\"web\"}}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"labels\":{\"app\":"
        "\"web\",\"tiers\":\"front.web.front\"}}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"m\",\"labels\":{\"app\":"
        "\"none\"}}}");

    struct informer *inf = informer_new(c, RES_PODS, NULL, NULL);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    ASSERT_INDEX(inf, "app", "web", ""); /* no such index yet */

    /* added after the first list: what is cached is filed at once */
    informer_add_index(inf, "app", index_app_tiers);
    informer_add_index(inf, "app", index_app_tiers); /* a second user of the shared informer */
    informer_add_index(inf, "other", index_other);
    ASSERT_INDEX(inf, "app", "web", "n/a,n/b"); /* "web" twice for n/a, filed once */
    ASSERT_INDEX(inf, "app", "front", "n/a");
    ASSERT_INDEX(inf, "app", "none", "");
    ASSERT_INDEX(inf, "app", "we", ""); /* a prefix is not a match */
    ASSERT_INDEX(inf, "other", "x", "m/a,n/a,n/b");
    ASSERT_INDEX(inf, "other", "web", "");
    ASSERT_INDEX(inf, "nope", "x", "");

    /* an update moves the object between values; an add and a delete file and unfile it */
    struct kstatus st;
    assert_int_equal(kclient_patch(c, RES_PODS, "n", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"db\",\"tiers\":null}}}",
                                   NULL, NULL, &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "m", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}", NULL, NULL,
                                   &st),
                     0);
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\",\"labels\":{\"tiers\":"
        "\"front\"}}}");
    kfake_remove(c, RES_PODS, "n", "b");
    kfake_flush(c);
    ASSERT_INDEX(inf, "app", "web", "m/a");
    ASSERT_INDEX(inf, "app", "db", "n/a");
    ASSERT_INDEX(inf, "app", "front", "n/c");
    ASSERT_INDEX(inf, "other", "x", "m/a,n/a,n/c");
    informer_free(inf);
    kclient_free(c);
}

static void test_cluster_scoped(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    put(c, RES_NODES, "{\"metadata\":{\"name\":\"n1\"}}");
    struct informer *inf = informer_new(c, RES_NODES, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    assert_string_equal(l.lines[0], "add n1 1");
    json_t *n = informer_get(inf, NULL, "n1");
    assert_non_null(n);
    json_decref(n);
    n = informer_get(inf, "", "n1");
    assert_non_null(n);
    json_decref(n);
    json_t **v;
    size_t cnt = informer_list(inf, "ignored-for-cluster-kinds", NULL, &v);
    assert_int_equal(cnt, 1);
    informer_list_free(v, cnt);
    informer_free(inf);
    kclient_free(c);
}

static void test_namespace_and_selector_informer(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct kstatus st;
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"labels\":"
        "{\"app\":\"web\"}}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"labels\":"
        "{\"app\":\"db\"}}}");
    put(c, RES_PODS,
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"other\",\"labels\":"
        "{\"app\":\"web\"}}}");
    struct informer *inf = informer_new(c, RES_PODS, "ns", "app=web");
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    assert_int_equal(l.n, 1);
    assert_string_equal(l.lines[0], "add ns/a 1");
    /* leaving the selection is a delete, entering it an add */
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"x\"}}}", NULL, NULL, &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "ns", "b", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}", NULL, NULL,
                                   &st),
                     0);
    assert_int_equal(kclient_patch(c, RES_PODS, "other", "a", KPATCH_MERGE,
                                   "{\"metadata\":{\"labels\":{\"v\":\"1\"}}}", NULL, NULL, &st),
                     0);
    kfake_flush(c);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[1], "delete ns/a 4");
    assert_string_equal(l.lines[2], "add ns/b 5");
    informer_free(inf);
    kclient_free(c);
}

static void test_handlers_added_after_sync(void **state)
{
    struct kclient *c = kfake_new();
    struct log l1 = {.mu = PTHREAD_MUTEX_INITIALIZER}, l2 = {.mu = PTHREAD_MUTEX_INITIALIZER};
    put(c, RES_CONFIGMAPS, CM("ns", "a"));
    put(c, RES_CONFIGMAPS, CM("ns", "b"));
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h1 = handlers(&l1), h2 = handlers(&l2);
    informer_add_handlers(inf, &h1);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    informer_add_handlers(inf, &h2);
    assert_int_equal(l2.n, 2);
    assert_string_equal(l2.lines[0], "add ns/a 1");
    assert_string_equal(l2.lines[1], "add ns/b 2");
    put(c, RES_CONFIGMAPS, CM("ns", "c"));
    kfake_flush(c);
    /* both handlers see later events */
    assert_int_equal(l1.n, 3);
    assert_int_equal(l2.n, 3);
    assert_string_equal(l2.lines[2], "add ns/c 3");
    informer_free(inf);
    kclient_free(c);
}

static void test_relist_after_expired(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    put(c, RES_CONFIGMAPS, CM("ns", "keep"));   /* 1 */
    put(c, RES_CONFIGMAPS, CM("ns", "change")); /* 2 */
    put(c, RES_CONFIGMAPS, CM("ns", "gone"));   /* 3 */
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    kfake_flush(c);
    log_reset(&l);
    int lists = kfake_calls(c, "list", RES_CONFIGMAPS);
    assert_int_equal(lists, 1);

    /* The stream breaks; resuming says 410 Expired and listing fails for a while: the
     * informer sees nothing of what happens meanwhile... */
    kfake_fail_after(c, "watch", RES_CONFIGMAPS, 0, -ETIME);
    kfake_fail_after(c, "list", RES_CONFIGMAPS, 0, -EIO);
    kfake_close_watches(c);
    put(c, RES_CONFIGMAPS,
        "{\"metadata\":{\"name\":\"change\",\"namespace\":\"ns\"},\"data\":{\"k\":\"v\"}}"); /* 4 */
    kfake_remove(c, RES_CONFIGMAPS, "ns", "gone");                                           /* 5 */
    put(c, RES_CONFIGMAPS, CM("ns", "new"));                                                 /* 6 */
    for (int i = 0; i < 500 && kfake_calls(c, "list", RES_CONFIGMAPS) < 2; i++)
        usleep(2000);
    assert_true(kfake_calls(c, "list", RES_CONFIGMAPS) >= 2);
    assert_int_equal(l.n, 0);
    json_t *old = informer_get(inf, "ns", "gone");
    assert_non_null(old);
    json_decref(old);

    /* ...until it lists again: the differences arrive as events, unchanged objects as
     * updates with the same resourceVersion. */
    kfake_clear_failures(c);
    kfake_flush(c);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.lines[0], "update ns/change 2->4");
    assert_string_equal(l.lines[1], "update ns/keep 1->1");
    assert_string_equal(l.lines[2], "add ns/new 6");
    assert_string_equal(l.lines[3], "delete ns/gone 3");
    assert_null(informer_get(inf, "ns", "gone"));
    assert_string_equal(informer_last_rv(inf), "6");

    /* and it watches again from there */
    log_reset(&l);
    put(c, RES_CONFIGMAPS, CM("ns", "after")); /* 7 */
    kfake_flush(c);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.lines[0], "add ns/after 7");
    informer_free(inf);
    kclient_free(c);
}

static void test_rewatch_after_stream_end(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    put(c, RES_CONFIGMAPS, CM("ns", "a"));
    kfake_flush(c);
    /* a stream ended by the server is resumed from the last revision, without a list */
    kfake_close_watches(c);
    put(c, RES_CONFIGMAPS, CM("ns", "b"));
    kfake_flush(c);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.lines[1], "add ns/b 2");
    assert_int_equal(kfake_calls(c, "list", RES_COUNT), 1);
    assert_true(kfake_calls(c, "watch", RES_COUNT) >= 2);
    informer_free(inf);
    kclient_free(c);
}

static void test_relist_after_watch_error(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    put(c, RES_CONFIGMAPS, CM("ns", "a"));
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    kfake_flush(c);
    /* the stream breaks and watching fails once: the informer lists again */
    int watches = kfake_calls(c, "watch", RES_COUNT);
    kfake_fail_after(c, "watch", RES_COUNT, 0, -EIO);
    kfake_close_watches(c);
    for (int i = 0; i < 500 && kfake_calls(c, "watch", RES_COUNT) < watches + 1; i++)
        usleep(2000);
    kfake_clear_failures(c);
    put(c, RES_CONFIGMAPS, CM("ns", "b"));
    kfake_flush(c);
    assert_int_equal(kfake_calls(c, "list", RES_COUNT), 2);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[0], "add ns/a 1");
    /* the relist echoes a, then b arrives (by the list or the watch) */
    assert_string_equal(l.lines[1], "update ns/a 1->1");
    assert_string_equal(l.lines[2], "add ns/b 2");
    informer_free(inf);
    kclient_free(c);
}

static void test_wait_synced_timeout(void **state)
{
    struct kclient *c = kfake_new();
    kfake_fail_after(c, "list", RES_COUNT, 0, -EAGAIN);
    struct informer *inf = informer_new(c, RES_PODS, NULL, NULL);
    informer_start(inf);
    int64_t t0 = ktime_mono_ms();
    assert_false(informer_wait_synced(inf, 200));
    int64_t dt = ktime_mono_ms() - t0;
    assert_true(dt >= 200 && dt < 2000);
    assert_false(informer_synced(inf));
    kfake_clear_failures(c);
    assert_true(informer_wait_synced(inf, 5000));
    informer_free(inf);
    kclient_free(c);
}

static void test_free_stops_handlers(void **state)
{
    struct kclient *c = kfake_new();
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    int64_t t0 = ktime_mono_ms();
    informer_free(inf);
    atomic_store(&l.freed, true);
    assert_true(ktime_mono_ms() - t0 < 1000);
    put(c, RES_CONFIGMAPS, CM("ns", "a"));
    usleep(50000);
    assert_int_equal(atomic_load(&l.after_free), 0);
    assert_int_equal(l.n, 0);
    /* an informer never started frees too */
    informer_free(informer_new(c, RES_PODS, NULL, NULL));
    kclient_free(c);
}

static void test_factory(void **state)
{
    struct kclient *c = kfake_new();
    put(c, RES_PODS, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}}");
    struct informer_factory *f = informer_factory_new(c);
    struct informer *pods = informer_factory_get(f, RES_PODS);
    assert_ptr_equal(informer_factory_get(f, RES_PODS), pods);
    struct informer *sts = informer_factory_get(f, RES_STATEFULSETS);
    assert_ptr_not_equal(sts, pods);
    assert_int_equal(informer_resource(sts), RES_STATEFULSETS);
    /* not started until the factory is */
    usleep(20000);
    assert_int_equal(kfake_calls(c, "list", RES_COUNT), 0);
    informer_factory_start(f);
    assert_true(informer_factory_wait_synced(f, 5000));
    json_t *p = informer_get(pods, "ns", "p");
    assert_non_null(p);
    json_decref(p);
    /* one created later starts at once */
    struct informer *nodes = informer_factory_get(f, RES_NODES);
    assert_true(informer_wait_synced(nodes, 5000));
    assert_true(informer_factory_wait_synced(f, 5000));
    assert_int_equal(kfake_calls(c, "list", RES_PODS), 1);
    assert_int_equal(kfake_calls(c, "list", RES_COUNT), 3);

    /* stop: no handler runs afterwards, the caches stay readable */
    struct log l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct informer_handlers h = handlers(&l);
    informer_add_handlers(pods, &h);
    assert_int_equal(l.n, 1);
    informer_factory_stop(f);
    informer_factory_stop(f);
    put(c, RES_PODS, "{\"metadata\":{\"name\":\"q\",\"namespace\":\"ns\"}}");
    usleep(50000);
    assert_int_equal(l.n, 1);
    p = informer_get(pods, "ns", "p");
    assert_non_null(p);
    json_decref(p);
    informer_factory_free(f);
    informer_factory_stop(NULL);
    informer_factory_free(NULL);
    kclient_free(c);
}

static void test_keys(void **state)
{
    json_t *o = tj("{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"default\"}}");
    char *k = obj_key(o), *ns, *name;
    assert_string_equal(k, "default/web-0");
    key_split(k, &ns, &name);
    assert_string_equal(ns, "default");
    assert_string_equal(name, "web-0");
    free(k);
    free(ns);
    free(name);
    json_decref(o);
    o = tj("{\"metadata\":{\"name\":\"node-1\"}}");
    k = obj_key(o);
    assert_string_equal(k, "node-1");
    key_split(k, &ns, &name);
    assert_string_equal(ns, "");
    assert_string_equal(name, "node-1");
    free(k);
    free(ns);
    free(name);
    json_decref(o);
}

/* Listers from several threads while events stream in (run under TSan in check-full). */
struct reader {
    struct informer *inf;
    atomic_bool *stop;
    long reads;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(r->stop)) {
        json_t **v;
        size_t n = informer_list(r->inf, "ns", NULL, &v);
        for (size_t i = 0; i < n; i++)
            assert_non_null(jpath_str(v[i], "metadata.name"));
        informer_list_free(v, n);
        json_t *g = informer_get(r->inf, "ns", "cm-5");
        json_decref(g);
        n = informer_by_owner(r->inf, "owner", &v);
        informer_list_free(v, n);
        r->reads++;
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    struct kclient *c = kfake_new();
    struct informer *inf = informer_new(c, RES_CONFIGMAPS, NULL, NULL);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    atomic_bool stop = false;
    struct reader rd[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (struct reader){inf, &stop, 0};
        pthread_create(&th[i], NULL, reader_main, &rd[i]);
    }
    char body[200];
    for (int i = 0; i < 2000; i++) {
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"name\":\"cm-%d\",\"namespace\":\"ns\",\"ownerReferences\":"
                 "[{\"uid\":\"owner\",\"name\":\"o\",\"kind\":\"X\",\"apiVersion\":\"v1\"}]},"
                 "\"data\":{\"i\":\"%d\"}}",
                 i % 50, i);
        json_t *o = tj(body);
        kfake_put(c, RES_CONFIGMAPS, o);
        json_decref(o);
        if (i % 7 == 0)
            kfake_remove(c, RES_CONFIGMAPS, "ns", "cm-3");
    }
    kfake_flush(c);
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(rd[i].reads > 0);
    }
    /* the cache equals the fake's state */
    json_t *all = kfake_list(c, RES_CONFIGMAPS, NULL);
    json_t **v;
    size_t n = informer_list(inf, NULL, NULL, &v);
    assert_int_equal(n, json_array_size(all));
    for (size_t i = 0; i < n; i++)
        assert_true(json_equal(v[i], json_array_get(all, i)));
    informer_list_free(v, n);
    n = informer_by_owner(inf, "owner", &v);
    assert_int_equal(n, json_array_size(all));
    informer_list_free(v, n);
    json_decref(all);
    informer_free(inf);
    kclient_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_list_and_events),
        cmocka_unit_test(test_listers),
        cmocka_unit_test(test_added_index),
        cmocka_unit_test(test_cluster_scoped),
        cmocka_unit_test(test_namespace_and_selector_informer),
        cmocka_unit_test(test_handlers_added_after_sync),
        cmocka_unit_test(test_relist_after_expired),
        cmocka_unit_test(test_rewatch_after_stream_end),
        cmocka_unit_test(test_relist_after_watch_error),
        cmocka_unit_test(test_wait_synced_timeout),
        cmocka_unit_test(test_free_stops_handlers),
        cmocka_unit_test(test_factory),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
