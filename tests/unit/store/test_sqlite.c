/* test_sqlite.c — the store conformance suite (store.h only), run against the SQLite backend,
 * plus a few SQLite-only checks.
 *
 * Another backend runs the same suite by adding a `struct backend` to `backends`. The tests
 * work relative to the revision they start at and under their own key prefixes. Tests that
 * need a private store they can reopen with other options, kill -9 and compact by time are
 * skipped unless the backend is `local`; tests of synchronous delivery (an event is seen
 * before its write returns) need `sync_delivery`.
 */
#include "test.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/alloc.h"
#include "store/store.h"

struct backend {
    const char *name;
    char *(*url)(const char *dir); /* a store URL for a fresh temp dir; caller frees */
    bool local;                    /* private store: reopen, crash, time-based compaction */
    bool sync_delivery;            /* live events are delivered before the write returns */
};

static char *sqlite_url(const char *dir)
{
    return xasprintf("sqlite:%s/state.db", dir);
}

static const struct backend backends[] = {
    {"sqlite", sqlite_url, true, true},
};

static const struct backend *be;

/* --- Fixture and helpers --- */

struct fx {
    char dir[64];
    char *url;
    struct store *s;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/berth-store-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->url = be->url(f->dir);
    assert_int_equal(store_open(f->url, NULL, &f->s), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    rm_rf(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static void reopen(struct fx *f, const struct store_options *opt)
{
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->url, opt, &f->s), 0);
}

#define NEED_LOCAL()                                                                               \
    do {                                                                                           \
        if (!be->local)                                                                            \
            skip();                                                                                \
    } while (0)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to ms for cond to hold; evaluates to whether it did. */
#define WAIT_UNTIL(cond, ms)                                                                       \
    ({                                                                                             \
        int64_t until_ = mono_ms() + (ms);                                                         \
        while (!(cond) && mono_ms() < until_)                                                      \
            sleep_ms(5);                                                                           \
        (bool)(cond);                                                                              \
    })

/* A copied store_kv. */
struct kvc {
    char *key;
    char *value; /* NULL when the kv's value was NULL */
    size_t len;
    int64_t create_rev, mod_rev;
};

static void kvc_set(struct kvc *c, const struct store_kv *kv)
{
    c->key = kv->key ? xstrdup(kv->key) : NULL;
    c->value = NULL;
    if (kv->value) {
        c->value = xmalloc(kv->value_len + 1);
        memcpy(c->value, kv->value, kv->value_len);
        c->value[kv->value_len] = '\0';
    }
    c->len = kv->value_len;
    c->create_rev = kv->create_rev;
    c->mod_rev = kv->mod_rev;
}

static void kvc_release(struct kvc *c)
{
    free(c->key);
    free(c->value);
    memset(c, 0, sizeof(*c));
}

struct got {
    int calls;
    struct kvc kv;
};

static void on_get(void *ctx, const struct store_kv *kv)
{
    struct got *g = ctx;
    g->calls++;
    kvc_release(&g->kv);
    kvc_set(&g->kv, kv);
}

static int get(struct store *s, const char *key, struct got *g)
{
    kvc_release(&g->kv);
    g->calls = 0;
    return store_get(s, key, on_get, g);
}

/* Assert key holds value (NUL-terminated) with these revisions. */
static void assert_kv(struct store *s, const char *key, const char *value, int64_t create_rev,
                      int64_t mod_rev)
{
    struct got g = {0};
    assert_int_equal(get(s, key, &g), 0);
    assert_int_equal(g.calls, 1);
    assert_string_equal(g.kv.key, key);
    assert_non_null(g.kv.value);
    assert_int_equal(g.kv.len, strlen(value));
    assert_memory_equal(g.kv.value, value, g.kv.len);
    assert_int_equal(g.kv.create_rev, create_rev);
    assert_int_equal(g.kv.mod_rev, mod_rev);
    kvc_release(&g.kv);
}

static void assert_absent(struct store *s, const char *key)
{
    struct got g = {0};
    assert_int_equal(get(s, key, &g), -ENOENT);
    assert_int_equal(g.calls, 0);
}

static int64_t put(struct store *s, const char *key, const char *value)
{
    int64_t rev = 0;
    assert_int_equal(store_create(s, key, value, strlen(value), &rev), 0);
    return rev;
}

static int64_t set(struct store *s, const char *key, const char *value, int64_t expect)
{
    int64_t rev = 0;
    assert_int_equal(store_update(s, key, value, strlen(value), expect, &rev), 0);
    return rev;
}

static int64_t del(struct store *s, const char *key, int64_t expect)
{
    int64_t rev = 0;
    assert_int_equal(store_delete(s, key, expect, &rev), 0);
    return rev;
}

struct kvlist {
    struct kvc *items;
    size_t nr, alloc;
    struct store *s; /* if set, each callback also reads its key back (nested read) */
    int nested_ok;
};

static void on_list(void *ctx, const struct store_kv *kv)
{
    struct kvlist *l = ctx;
    ALLOC_GROW(l->items, l->nr + 1, l->alloc);
    kvc_set(&l->items[l->nr++], kv);
    if (l->s) {
        struct got g = {0};
        if (!get(l->s, kv->key, &g) && g.kv.mod_rev == kv->mod_rev)
            l->nested_ok++;
        kvc_release(&g.kv);
    }
}

static void kvlist_release(struct kvlist *l)
{
    for (size_t i = 0; i < l->nr; i++)
        kvc_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void assert_list(struct store *s, const char *prefix, const char *const *keys, size_t n)
{
    struct kvlist l = {0};
    int64_t rev = -1;
    assert_int_equal(store_list(s, prefix, on_list, &l, &rev), 0);
    assert_int_equal(rev, store_current_rev(s));
    if (l.nr != n) {
        for (size_t i = 0; i < l.nr; i++)
            print_message("  listed %s\n", l.items[i].key);
        fail_msg("list '%s': %zu keys, want %zu", prefix, l.nr, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l.items[i].key, keys[i]);
    kvlist_release(&l);
}

/* --- Watch recorder --- */

struct evc {
    enum store_event_type type;
    int64_t rev;
    struct kvc kv, prev;
};

struct rec {
    pthread_mutex_t mu;
    struct evc *evs;
    size_t nr, alloc;
    _Atomic int64_t last_rev;
    _Atomic int inside;       /* callbacks running right now */
    _Atomic int overlaps;     /* callbacks that started while another one ran */
    _Atomic int out_of_order; /* events at or below the previous one's revision */
    _Atomic bool finished;    /* set by hooks that run long */
    _Atomic int hook_calls;
    void (*hook)(struct rec *r, const struct store_event *ev);
    struct store *s;
    struct store_watch *w;
    /* for hooks */
    struct store_watch *other;
    struct rec *nested;
    int cancel_at;
    int rc_write, rc_get, rc_watch;
};

static void rec_init(struct rec *r, struct store *s)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    r->s = s;
}

static void rec_release(struct rec *r)
{
    for (size_t i = 0; i < r->nr; i++) {
        kvc_release(&r->evs[i].kv);
        kvc_release(&r->evs[i].prev);
    }
    free(r->evs);
    pthread_mutex_destroy(&r->mu);
}

static size_t rec_nr(struct rec *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->nr;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static void on_event(void *ctx, const struct store_event *ev)
{
    struct rec *r = ctx;
    if (atomic_fetch_add(&r->inside, 1))
        r->overlaps++;
    if (ev->rev <= r->last_rev)
        r->out_of_order++;
    r->last_rev = ev->rev;
    pthread_mutex_lock(&r->mu);
    ALLOC_GROW(r->evs, r->nr + 1, r->alloc);
    struct evc *e = &r->evs[r->nr];
    e->type = ev->type;
    e->rev = ev->rev;
    kvc_set(&e->kv, &ev->kv);
    kvc_set(&e->prev, &ev->prev);
    r->nr++;
    pthread_mutex_unlock(&r->mu);
    if (r->hook)
        r->hook(r, ev);
    atomic_fetch_sub(&r->inside, 1);
}

static void watch(struct rec *r, const char *prefix, int64_t from)
{
    assert_int_equal(store_watch(r->s, prefix, from, on_event, r, &r->w), 0);
    assert_non_null(r->w);
}

/* Wait for n events where delivery may be asynchronous; with synchronous delivery they must
 * already be there. */
static void expect_events(struct rec *r, size_t n)
{
    if (be->sync_delivery)
        assert_int_equal(rec_nr(r), n);
    else
        assert_true(WAIT_UNTIL(rec_nr(r) >= n, 5000));
    assert_int_equal(rec_nr(r), n);
}

static void assert_ev(const struct evc *e, enum store_event_type type, int64_t rev, const char *key,
                      const char *value)
{
    assert_int_equal(e->type, type);
    assert_int_equal(e->rev, rev);
    assert_string_equal(e->kv.key, key);
    assert_int_equal(e->kv.mod_rev, rev);
    assert_non_null(e->kv.value);
    assert_string_equal(e->kv.value, value);
}

/* --- Basic operations --- */

static void test_crud_and_errors(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    int64_t r0 = store_current_rev(s), r1, r2, r3, r4, r5, rev;

    assert_absent(s, "/t/a");
    r1 = put(s, "/t/a", "one");
    assert_true(r1 > r0);
    assert_int_equal(store_current_rev(s), r1);
    assert_kv(s, "/t/a", "one", r1, r1);

    /* Failed writes change nothing and take no revision. */
    assert_int_equal(store_create(s, "/t/a", "two", 3, &rev), -EEXIST);
    assert_int_equal(store_update(s, "/t/a", "two", 3, r1 + 1, &rev), -ESTALE);
    assert_int_equal(store_update(s, "/t/missing", "x", 1, 0, &rev), -ENOENT);
    assert_int_equal(store_update(s, "/t/missing", "x", 1, r1, &rev), -ENOENT);
    assert_int_equal(store_delete(s, "/t/missing", 0, &rev), -ENOENT);
    assert_int_equal(store_delete(s, "/t/a", r1 + 7, &rev), -ESTALE);
    assert_int_equal(store_current_rev(s), r1);
    assert_kv(s, "/t/a", "one", r1, r1);
    assert_absent(s, "/t/missing");

    /* CAS on mod_rev: the right revision wins once, then it is stale. */
    r2 = set(s, "/t/a", "two", r1);
    assert_int_equal(r2, r1 + 1);
    assert_kv(s, "/t/a", "two", r1, r2);
    assert_int_equal(store_update(s, "/t/a", "three", 5, r1, &rev), -ESTALE);
    assert_kv(s, "/t/a", "two", r1, r2);

    /* expect_rev 0: unconditional. */
    r3 = set(s, "/t/a", "three", 0);
    assert_int_equal(r3, r2 + 1);
    assert_kv(s, "/t/a", "three", r1, r3);

    assert_int_equal(store_delete(s, "/t/a", r2, &rev), -ESTALE);
    assert_kv(s, "/t/a", "three", r1, r3);
    r4 = del(s, "/t/a", r3);
    assert_int_equal(r4, r3 + 1);
    assert_absent(s, "/t/a");
    assert_int_equal(store_delete(s, "/t/a", 0, &rev), -ENOENT);
    assert_int_equal(store_delete(s, "/t/a", r3, &rev), -ENOENT);
    assert_int_equal(store_update(s, "/t/a", "x", 1, 0, &rev), -ENOENT);
    assert_int_equal(store_current_rev(s), r4);

    /* A key created again starts a new life: new create_rev. */
    r5 = put(s, "/t/a", "again");
    assert_int_equal(r5, r4 + 1);
    assert_kv(s, "/t/a", "again", r5, r5);
    r5 = del(s, "/t/a", 0);
    assert_absent(s, "/t/a");
    /* rev_out is optional. */
    assert_int_equal(store_create(s, "/t/b", "b", 1, NULL), 0);
    assert_int_equal(store_update(s, "/t/b", "c", 1, 0, NULL), 0);
    assert_int_equal(store_delete(s, "/t/b", 0, NULL), 0);
    assert_int_equal(store_current_rev(s), r5 + 3);
}

static void test_values(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct got g = {0};
    static const char bin[] = {'a', '\0', 'b', '\xff', '\0'};
    int64_t rev;

    /* Values are bytes, not strings. */
    assert_int_equal(store_create(s, "/v/bin", bin, sizeof(bin), &rev), 0);
    assert_int_equal(get(s, "/v/bin", &g), 0);
    assert_int_equal(g.kv.len, sizeof(bin));
    assert_memory_equal(g.kv.value, bin, sizeof(bin));

    /* An empty value exists and is not NULL. */
    assert_int_equal(store_create(s, "/v/empty", NULL, 0, &rev), 0);
    assert_int_equal(get(s, "/v/empty", &g), 0);
    assert_non_null(g.kv.value);
    assert_int_equal(g.kv.len, 0);
    assert_int_equal(store_update(s, "/v/bin", "", 0, 0, &rev), 0);
    assert_int_equal(get(s, "/v/bin", &g), 0);
    assert_non_null(g.kv.value);
    assert_int_equal(g.kv.len, 0);

    /* A big object. */
    size_t n = 1 << 20;
    char *big = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 7 + 3);
    assert_int_equal(store_update(s, "/v/empty", big, n, rev - 1, &rev), 0);
    assert_int_equal(get(s, "/v/empty", &g), 0);
    assert_int_equal(g.kv.len, n);
    assert_memory_equal(g.kv.value, big, n);
    free(big);
    kvc_release(&g.kv);
}

static void on_never(void *ctx, const struct store_event *ev)
{
    (*(int *)ctx)++;
}

static void test_invalid_arguments(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct store_watch *w = (struct store_watch *)&w;
    int64_t r0 = store_current_rev(s), rev;
    int calls = 0;

    assert_int_equal(store_create(s, "", "x", 1, &rev), -EINVAL);
    assert_int_equal(store_create(s, NULL, "x", 1, &rev), -EINVAL);
    assert_int_equal(store_create(s, "/i/a", NULL, 3, &rev), -EINVAL);
    assert_int_equal(store_update(s, "/i/a", "x", 1, -1, &rev), -EINVAL);
    assert_int_equal(store_delete(s, "/i/a", -1, &rev), -EINVAL);
    assert_int_equal(store_get(s, "", on_get, NULL), -EINVAL);
    assert_int_equal(store_watch(s, "/i/", -1, on_never, &calls, &w), -EINVAL);
    assert_null(w);
    assert_int_equal(store_compact(s, -1), -EINVAL);
    assert_int_equal(store_compact(s, r0 + 1), -EINVAL);
    assert_int_equal(store_current_rev(s), r0);
    assert_int_equal(calls, 0);
}

static void test_revisions_global(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    int64_t revs[12], r0 = store_current_rev(s);
    char key[32];

    /* One counter for every key and every kind of write. */
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), "/g/%d", i);
        revs[3 * i] = put(s, key, "c");
        revs[3 * i + 1] = set(s, key, "u", revs[3 * i]);
        revs[3 * i + 2] = i % 2 ? del(s, key, 0) : set(s, key, "u2", 0);
    }
    for (int i = 0; i < 12; i++)
        assert_int_equal(revs[i], r0 + 1 + i);
    assert_int_equal(store_current_rev(s), r0 + 12);
    assert_kv(s, "/g/0", "u2", r0 + 1, r0 + 3);
    assert_absent(s, "/g/1");
}

static void test_list_prefix(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    static const char *const all[] = {
        "/registry/pod",
        "/registry/pods/default/web-0",
        "/registry/pods/default/web-0x",
        "/registry/pods/default/web-1",
        "/registry/pods/kube-system/dns",
        "/registry/podsx/default/a",
        "/registry/services/default/web",
    };
    /* Created out of order: the list is in key order regardless. */
    static const int order[] = {3, 6, 1, 5, 0, 4, 2};

    for (size_t i = 0; i < ARRAY_SIZE(order); i++)
        put(s, all[order[i]], all[order[i]]);

    assert_list(s, "/registry/pods/", all + 1, 4);
    assert_list(s, "/registry/pods/default/", all + 1, 3);
    assert_list(s, "/registry/pods/default/web-0", all + 1, 2);
    assert_list(s, "/registry/podsx/", all + 5, 1);
    assert_list(s, "/registry/pods", all + 1, 5);
    assert_list(s, "/registry/", all, 7);
    assert_list(s, "/registry/pods/nothing/", NULL, 0);
    assert_list(s, "/registry/pods/default/web-0/", NULL, 0);

    /* Deleting moves the list's revision and drops the key. */
    del(s, "/registry/pods/default/web-0x", 0);
    static const char *const after[] = {"/registry/pods/default/web-0",
                                        "/registry/pods/default/web-1"};
    assert_list(s, "/registry/pods/default/", after, 2);

    /* Values and revisions come with the keys; callbacks may read the store meanwhile. */
    struct kvlist l = {.s = s};
    int64_t rev;
    assert_int_equal(store_list(s, "/registry/services/", on_list, &l, &rev), 0);
    assert_int_equal(l.nr, 1);
    assert_string_equal(l.items[0].value, "/registry/services/default/web");
    assert_true(l.items[0].mod_rev > 0 && l.items[0].mod_rev <= rev);
    assert_int_equal(l.nested_ok, 1);
    kvlist_release(&l);

    /* rev_out is optional. */
    l.s = NULL;
    assert_int_equal(store_list(s, "/registry/pods/", on_list, &l, NULL), 0);
    assert_int_equal(l.nr, 3);
    kvlist_release(&l);
}

/* Prefix ranges at the top of the byte range, where "prefix + 1" has to carry. */
static void test_list_high_bytes(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    static const char *const all[] = {"/hb/\x7f", "/hb/\xfe", "/hb/\xff", "/hb/\xff\xff/x", "/hb0"};
    for (size_t i = 0; i < ARRAY_SIZE(all); i++)
        put(s, all[i], "x");
    assert_list(s, "/hb/", all, 4);
    assert_list(s, "/hb/\xff", all + 2, 2);
    assert_list(s, "/hb/\xff\xff", all + 3, 1);
    assert_list(s, "/hb/\xfe", all + 1, 1);
    assert_list(s, "/hb", all, 5);
}

/* --- Watches --- */

static void test_watch_replay_then_live(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r, mid;
    int64_t r0 = store_current_rev(s);

    int64_t a1 = put(s, "/w/a", "a1");
    int64_t b1 = put(s, "/w/b", "b1");
    int64_t a2 = set(s, "/w/a", "a2", a1);
    int64_t b2 = del(s, "/w/b", b1);

    rec_init(&r, s);
    watch(&r, "/w/", r0);
    /* The history first, in order, before store_watch returns. */
    assert_int_equal(rec_nr(&r), 4);
    assert_ev(&r.evs[0], STORE_EV_CREATE, a1, "/w/a", "a1");
    assert_ev(&r.evs[1], STORE_EV_CREATE, b1, "/w/b", "b1");
    assert_ev(&r.evs[2], STORE_EV_UPDATE, a2, "/w/a", "a2");
    assert_ev(&r.evs[3], STORE_EV_DELETE, b2, "/w/b", "b1");

    /* Then live events. */
    int64_t c1 = put(s, "/w/c", "c1");
    expect_events(&r, 5);
    assert_ev(&r.evs[4], STORE_EV_CREATE, c1, "/w/c", "c1");

    /* From a revision in the middle: exclusive. */
    rec_init(&mid, s);
    watch(&mid, "/w/", a2);
    assert_int_equal(rec_nr(&mid), 2);
    assert_int_equal(mid.evs[0].rev, b2);
    assert_int_equal(mid.evs[1].rev, c1);

    /* From the current revision: nothing old, then the next write. */
    struct rec now;
    rec_init(&now, s);
    watch(&now, "/w/", store_current_rev(s));
    assert_int_equal(rec_nr(&now), 0);
    int64_t a3 = set(s, "/w/a", "a3", 0);
    expect_events(&now, 1);
    assert_ev(&now.evs[0], STORE_EV_UPDATE, a3, "/w/a", "a3");
    expect_events(&r, 6);
    expect_events(&mid, 3);

    store_watch_cancel(r.w);
    store_watch_cancel(mid.w);
    store_watch_cancel(now.w);
    put(s, "/w/d", "d");
    sleep_ms(be->sync_delivery ? 0 : 200);
    assert_int_equal(rec_nr(&r), 6);
    assert_int_equal(rec_nr(&mid), 3);
    assert_int_equal(rec_nr(&now), 1);
    assert_int_equal(r.overlaps + r.out_of_order, 0);
    rec_release(&r);
    rec_release(&mid);
    rec_release(&now);
}

static void assert_kvc_eq(const struct kvc *a, const struct kvc *b)
{
    assert_string_equal(a->key, b->key);
    if (!a->value || !b->value) {
        assert_null(a->value);
        assert_null(b->value);
    } else {
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->value, b->value, a->len);
    }
    assert_int_equal(a->create_rev, b->create_rev);
    assert_int_equal(a->mod_rev, b->mod_rev);
}

/* Every field of create, update and delete events, live and replayed alike. */
static void test_watch_event_shapes(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec live, replay;
    int64_t r0 = store_current_rev(s);

    rec_init(&live, s);
    watch(&live, "/e/", r0);
    int64_t c = put(s, "/e/k", "v1");
    int64_t u = set(s, "/e/k", "v2", c);
    int64_t d = del(s, "/e/k", u);
    expect_events(&live, 3);

    const struct evc *e = &live.evs[0];
    assert_ev(e, STORE_EV_CREATE, c, "/e/k", "v1");
    assert_int_equal(e->kv.create_rev, c);
    assert_null(e->prev.value);

    e = &live.evs[1];
    assert_ev(e, STORE_EV_UPDATE, u, "/e/k", "v2");
    assert_int_equal(e->kv.create_rev, c);
    assert_string_equal(e->prev.key, "/e/k");
    assert_string_equal(e->prev.value, "v1");
    assert_int_equal(e->prev.create_rev, c);
    assert_int_equal(e->prev.mod_rev, c);

    /* DELETE: kv holds the last value, with the deletion's revision. */
    e = &live.evs[2];
    assert_ev(e, STORE_EV_DELETE, d, "/e/k", "v2");
    assert_int_equal(e->kv.create_rev, c);
    assert_string_equal(e->prev.value, "v2");
    assert_int_equal(e->prev.create_rev, c);
    assert_int_equal(e->prev.mod_rev, u);

    rec_init(&replay, s);
    watch(&replay, "/e/", r0);
    assert_int_equal(rec_nr(&replay), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(replay.evs[i].type, live.evs[i].type);
        assert_int_equal(replay.evs[i].rev, live.evs[i].rev);
        assert_kvc_eq(&replay.evs[i].kv, &live.evs[i].kv);
        if (live.evs[i].type != STORE_EV_CREATE)
            assert_kvc_eq(&replay.evs[i].prev, &live.evs[i].prev);
        else
            assert_null(replay.evs[i].prev.value);
    }
    store_watch_cancel(live.w);
    store_watch_cancel(replay.w);
    rec_release(&live);
    rec_release(&replay);
}

static void test_watch_prefix_isolation(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r, all, replay;
    int64_t r0 = store_current_rev(s);

    rec_init(&r, s);
    rec_init(&all, s);
    watch(&r, "/registry/pods/", r0);
    watch(&all, "", r0);
    put(s, "/registry/podsx/default/a", "x");
    int64_t p1 = put(s, "/registry/pods/default/a", "p");
    put(s, "/registry/pod", "x");
    put(s, "/registry/services/default/a", "x");
    int64_t p2 = put(s, "/registry/pods/kube-system/b", "p");
    expect_events(&all, 5);
    expect_events(&r, 2);
    assert_int_equal(r.evs[0].rev, p1);
    assert_int_equal(r.evs[1].rev, p2);

    rec_init(&replay, s);
    watch(&replay, "/registry/pods/", r0);
    assert_int_equal(rec_nr(&replay), 2);
    assert_int_equal(replay.evs[0].rev, p1);
    assert_int_equal(replay.evs[1].rev, p2);

    store_watch_cancel(r.w);
    store_watch_cancel(all.w);
    store_watch_cancel(replay.w);
    rec_release(&r);
    rec_release(&all);
    rec_release(&replay);
}

/* A watch from a revision not reached yet starts after it. */
static void test_watch_from_future(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r;
    int64_t r0 = store_current_rev(s);

    rec_init(&r, s);
    watch(&r, "/fu/", r0 + 2);
    put(s, "/fu/a", "a");
    put(s, "/fu/b", "b");
    int64_t c = put(s, "/fu/c", "c");
    expect_events(&r, 1);
    assert_int_equal(r.evs[0].rev, c);
    store_watch_cancel(r.w);
    rec_release(&r);
}

/* --- Compaction --- */

static void test_compact_and_expired_watch(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct store_watch *w = (struct store_watch *)&w;
    struct rec r;
    int64_t r0 = store_current_rev(s), c = put(s, "/c/k", "0"), last = c;
    int calls = 0;

    for (int i = 1; i < 10; i++)
        last = set(s, "/c/k", "x", last);
    assert_int_equal(last, r0 + 10);
    int64_t mid = r0 + 5;

    assert_int_equal(store_compact(s, mid), 0);
    assert_int_equal(store_compacted_rev(s), mid);
    assert_int_equal(store_current_rev(s), last);

    /* Too old: -ETIME, and the callback is never called. */
    assert_int_equal(store_watch(s, "/c/", mid - 1, on_never, &calls, &w), -ETIME);
    assert_null(w);
    assert_int_equal(store_watch(s, "", 0, on_never, &calls, &w), -ETIME);
    assert_int_equal(calls, 0);

    /* The compacted revision itself is fine: everything after it is there. */
    rec_init(&r, s);
    watch(&r, "/c/", mid);
    assert_int_equal(rec_nr(&r), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.evs[i].rev, mid + 1 + i);
    store_watch_cancel(r.w);
    rec_release(&r);

    /* Compaction drops history, not state. */
    assert_kv(s, "/c/k", "x", c, last);

    /* Going back is a no-op; past the current revision is an error. */
    assert_int_equal(store_compact(s, mid - 2), 0);
    assert_int_equal(store_compacted_rev(s), mid);
    assert_int_equal(store_compact(s, last + 1), -EINVAL);

    /* Everything: the log is empty, the revision stays. */
    assert_int_equal(store_compact(s, last), 0);
    assert_int_equal(store_compacted_rev(s), last);
    assert_int_equal(store_current_rev(s), last);
    rec_init(&r, s);
    watch(&r, "/c/", last);
    assert_int_equal(rec_nr(&r), 0);
    int64_t next = set(s, "/c/k", "y", last);
    assert_int_equal(next, last + 1);
    expect_events(&r, 1);
    assert_int_equal(r.evs[0].rev, next);
    store_watch_cancel(r.w);
    rec_release(&r);
}

/* Over history_max_events the store compacts by itself, keeping at least min. */
static void test_auto_compaction_max(void **state)
{
    struct fx *f = *state;
    struct store_options opt = {
        .history_min_events = 10, .history_max_events = 50, .history_seconds = 3600};
    char key[32];

    NEED_LOCAL();
    reopen(f, &opt);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "/am/%03d", i);
        put(f->s, key, "x");
    }
    int64_t cur = store_current_rev(f->s);
    assert_true(WAIT_UNTIL(cur - store_compacted_rev(f->s) <= 50, 10000));
    int64_t comp = store_compacted_rev(f->s);
    assert_true(cur - comp >= 10);

    struct store_watch *w = NULL;
    int calls = 0;
    assert_int_equal(store_watch(f->s, "/am/", comp - 1, on_never, &calls, &w), -ETIME);
    struct rec r;
    rec_init(&r, f->s);
    watch(&r, "/am/", comp);
    assert_int_equal(rec_nr(&r), cur - comp);
    assert_int_equal(r.evs[0].rev, comp + 1);
    store_watch_cancel(r.w);
    rec_release(&r);
}

/* Events older than history_seconds go, down to history_min_events; younger ones stay. */
static void test_auto_compaction_age(void **state)
{
    struct fx *f = *state;
    struct store_options opt = {
        .history_min_events = 10, .history_max_events = 100000, .history_seconds = 2};
    char key[32];

    NEED_LOCAL();
    reopen(f, &opt);
    int64_t r0 = store_current_rev(f->s), comp0 = store_compacted_rev(f->s);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "/ag/%03d", i);
        put(f->s, key, "x");
    }
    sleep_ms(1000);
    assert_int_equal(store_compacted_rev(f->s), comp0); /* all younger than 2 s */
    assert_true(WAIT_UNTIL(store_compacted_rev(f->s) == r0 + 90, 8000));
    sleep_ms(2500);
    assert_int_equal(store_compacted_rev(f->s), r0 + 90); /* min is kept however old */
}

/* --- Persistence --- */

static void test_rev_survives_reopen(void **state)
{
    struct fx *f = *state;

    NEED_LOCAL();
    int64_t a = put(f->s, "/rr/a", "a");
    int64_t b = set(f->s, "/rr/a", "b", a);
    int64_t d = del(f->s, "/rr/a", b); /* the last key is gone */
    reopen(f, NULL);
    assert_int_equal(store_current_rev(f->s), d);
    assert_absent(f->s, "/rr/a");

    /* Even with the whole history compacted away. */
    assert_int_equal(store_compact(f->s, d), 0);
    reopen(f, NULL);
    assert_int_equal(store_current_rev(f->s), d);
    assert_int_equal(store_compacted_rev(f->s), d);
    int64_t e = put(f->s, "/rr/b", "b");
    assert_int_equal(e, d + 1);
    int64_t rev;
    struct kvlist l = {0};
    assert_int_equal(store_list(f->s, "/rr/", on_list, &l, &rev), 0);
    assert_int_equal(rev, e);
    assert_int_equal(l.nr, 1);
    kvlist_release(&l);

    /* Closing with live watches is fine. */
    struct rec r;
    rec_init(&r, f->s);
    watch(&r, "/rr/", e);
    reopen(f, NULL);
    assert_kv(f->s, "/rr/b", "b", e, e);
    rec_release(&r);
}

/* --- Concurrency --- */

#define CW_THREADS 4
#define CW_KEYS 150
#define CW_INCS 40

struct cw_write {
    int64_t rev;
    char key[40];
};

struct cw_thread {
    struct store *s;
    struct rec *watcher;
    int id;
    struct cw_write *writes;
    int nwrites;
    int errors, late, conflicts;
};

static void cw_note(struct cw_thread *t, const char *key, int64_t rev)
{
    struct cw_write *w = &t->writes[t->nwrites++];
    w->rev = rev;
    snprintf(w->key, sizeof(w->key), "%s", key);
    /* Synchronous delivery: the watcher has the event before the write returns. */
    if (be->sync_delivery && t->watcher->last_rev < rev)
        t->late++;
}

static void *cw_main(void *arg)
{
    struct cw_thread *t = arg;
    char key[40], val[32];
    int64_t rev, created;

    for (int i = 0; i < CW_KEYS; i++) {
        snprintf(key, sizeof(key), "/cw/%d/%03d", t->id, i);
        if (store_create(t->s, key, "c", 1, &created)) {
            t->errors++;
            continue;
        }
        cw_note(t, key, created);
        if (store_update(t->s, key, "u", 1, created, &rev)) {
            t->errors++;
            continue;
        }
        cw_note(t, key, rev);
    }
    /* A shared counter under CAS: no increment may be lost. */
    for (int i = 0; i < CW_INCS; i++) {
        for (;;) {
            struct got g = {0};
            if (get(t->s, "/cw/counter", &g)) {
                t->errors++;
                break;
            }
            snprintf(val, sizeof(val), "%d", atoi(g.kv.value) + 1);
            int rc = store_update(t->s, "/cw/counter", val, strlen(val), g.kv.mod_rev, &rev);
            kvc_release(&g.kv);
            if (rc == -ESTALE) {
                t->conflicts++;
                continue;
            }
            if (rc)
                t->errors++;
            else
                cw_note(t, "/cw/counter", rev);
            break;
        }
    }
    return NULL;
}

static int cmp_write(const void *a, const void *b)
{
    const struct cw_write *x = a, *y = b;
    return x->rev < y->rev ? -1 : x->rev > y->rev;
}

static void test_concurrent_writers(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct cw_thread t[CW_THREADS];
    pthread_t tid[CW_THREADS];
    struct rec r;
    int per = 2 * CW_KEYS + CW_INCS, total = CW_THREADS * per;

    int64_t c0 = put(s, "/cw/counter", "0");
    rec_init(&r, s);
    watch(&r, "/cw/", c0);
    for (int i = 0; i < CW_THREADS; i++) {
        t[i] = (struct cw_thread){.s = s, .watcher = &r, .id = i};
        t[i].writes = xcalloc((size_t)per, sizeof(struct cw_write));
        assert_int_equal(pthread_create(&tid[i], NULL, cw_main, &t[i]), 0);
    }
    for (int i = 0; i < CW_THREADS; i++)
        pthread_join(tid[i], NULL);

    struct cw_write *all = xcalloc((size_t)total, sizeof(*all));
    int n = 0;
    for (int i = 0; i < CW_THREADS; i++) {
        assert_int_equal(t[i].errors, 0);
        assert_int_equal(t[i].late, 0);
        assert_int_equal(t[i].nwrites, per);
        memcpy(all + n, t[i].writes, (size_t)t[i].nwrites * sizeof(*all));
        n += t[i].nwrites;
        free(t[i].writes);
    }
    /* Every acknowledged write has its own revision, and nothing else took one. */
    qsort(all, (size_t)n, sizeof(*all), cmp_write);
    for (int i = 0; i < n; i++)
        assert_int_equal(all[i].rev, c0 + 1 + i);
    assert_int_equal(store_current_rev(s), c0 + total);

    char want[16];
    snprintf(want, sizeof(want), "%d", CW_THREADS * CW_INCS);
    struct got g = {0};
    assert_int_equal(get(s, "/cw/counter", &g), 0);
    assert_string_equal(g.kv.value, want);
    kvc_release(&g.kv);

    /* The watcher saw each write once, in order, one callback at a time. */
    expect_events(&r, (size_t)total);
    assert_int_equal(r.overlaps, 0);
    assert_int_equal(r.out_of_order, 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(r.evs[i].rev, all[i].rev);
        assert_string_equal(r.evs[i].kv.key, all[i].key);
    }
    store_watch_cancel(r.w);
    rec_release(&r);
    free(all);
}

struct hw_thread {
    struct store *s;
    int id;
    _Atomic bool *stop;
    int errors;
};

static void *hw_main(void *arg)
{
    struct hw_thread *t = arg;
    char key[40];
    for (int i = 0; !*t->stop; i++) {
        snprintf(key, sizeof(key), "/h/w%d/%06d", t->id, i);
        if (store_create(t->s, key, "x", 1, NULL))
            t->errors++;
    }
    return NULL;
}

#define HW_WATCHES 12

/* Watches started while writers run see every event after their start revision exactly
 * once: the hand-over from replay to live has no gap and no duplicate. Long replays (more
 * than one replay chunk) included. */
static void test_watch_handover_under_writes(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct hw_thread t[2];
    pthread_t tid[2];
    _Atomic bool stop = false;
    struct rec r[HW_WATCHES];
    int64_t from[HW_WATCHES];
    char key[40];

    int64_t r0 = store_current_rev(s);
    for (int i = 0; i < 2500; i++) {
        snprintf(key, sizeof(key), "/h/pre/%06d", i);
        put(s, key, "x");
    }
    for (int i = 0; i < 2; i++) {
        t[i] = (struct hw_thread){.s = s, .id = i, .stop = &stop};
        assert_int_equal(pthread_create(&tid[i], NULL, hw_main, &t[i]), 0);
    }
    for (int k = 0; k < HW_WATCHES; k++) {
        sleep_ms(10);
        from[k] = k % 3 == 0 ? r0 : store_current_rev(s) - (k % 3 == 1 ? 0 : 5);
        rec_init(&r[k], s);
        watch(&r[k], "/h/", from[k]);
    }
    sleep_ms(20);
    stop = true;
    for (int i = 0; i < 2; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(t[i].errors, 0);
    }
    int64_t end = store_current_rev(s);
    for (int k = 0; k < HW_WATCHES; k++) {
        expect_events(&r[k], (size_t)(end - from[k]));
        for (int64_t i = 0; i < end - from[k]; i++)
            if (r[k].evs[i].rev != from[k] + 1 + i)
                fail_msg("watch %d from %lld: event %lld has rev %lld", k, (long long)from[k],
                         (long long)i, (long long)r[k].evs[i].rev);
        assert_int_equal(r[k].overlaps, 0);
        store_watch_cancel(r[k].w);
        rec_release(&r[k]);
    }
}

static void hook_slow_replay(struct rec *r, const struct store_event *ev)
{
    atomic_fetch_add(&r->hook_calls, 1);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
}

struct compact_arg {
    struct store *s;
    struct rec *r;
    int64_t target;
    int rc;
};

static void *compact_when_replaying(void *arg)
{
    struct compact_arg *a = arg;
    while (a->r->hook_calls < 10)
        sleep_ms(1);
    a->rc = store_compact(a->s, a->target);
    return NULL;
}

/* A compaction during a long replay must not cut the history from under it. */
static void test_compact_during_replay(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r;
    pthread_t tid;
    char key[32];

    int64_t r0 = store_current_rev(s);
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof(key), "/cr/%05d", i);
        put(s, key, "x");
    }
    int64_t end = store_current_rev(s);
    rec_init(&r, s);
    r.hook = hook_slow_replay;
    struct compact_arg a = {s, &r, end, 1};
    assert_int_equal(pthread_create(&tid, NULL, compact_when_replaying, &a), 0);
    watch(&r, "/cr/", r0);
    pthread_join(tid, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(store_compacted_rev(s), end);
    assert_int_equal(rec_nr(&r), end - r0);
    for (int64_t i = 0; i < end - r0; i++)
        assert_int_equal(r.evs[i].rev, r0 + 1 + i);
    store_watch_cancel(r.w);
    rec_release(&r);
}

/* --- Cancellation --- */

static void hook_slow(struct rec *r, const struct store_event *ev)
{
    if (atomic_fetch_add(&r->hook_calls, 1) == 0) {
        sleep_ms(300);
        r->finished = true;
    }
}

struct writer_arg {
    struct store *s;
    const char *key;
};

static void *write_one(void *arg)
{
    struct writer_arg *a = arg;
    store_create(a->s, a->key, "x", 1, NULL);
    return NULL;
}

/* store_watch_cancel returns only once a running callback has returned. */
static void test_cancel_waits_for_callback(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r;
    pthread_t tid;
    struct writer_arg a = {s, "/cn/a"};

    rec_init(&r, s);
    r.hook = hook_slow;
    watch(&r, "/cn/", store_current_rev(s));
    assert_int_equal(pthread_create(&tid, NULL, write_one, &a), 0);
    assert_true(WAIT_UNTIL(r.inside == 1, 5000));
    store_watch_cancel(r.w);
    assert_true(r.finished);
    assert_int_equal(r.inside, 0);
    pthread_join(tid, NULL);
    put(s, "/cn/b", "x");
    sleep_ms(be->sync_delivery ? 0 : 200);
    assert_int_equal(rec_nr(&r), 1);
    rec_release(&r);
}

static void hook_cancel_self(struct rec *r, const struct store_event *ev)
{
    if ((int)r->nr == r->cancel_at)
        store_watch_cancel(r->w);
}

static void hook_cancel_other(struct rec *r, const struct store_event *ev)
{
    if (r->other) {
        store_watch_cancel(r->other);
        r->other = NULL;
    }
}

static void test_cancel_from_callback(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec live, replay, a, b;
    char key[32];

    /* A live watch cancelling itself. */
    rec_init(&live, s);
    live.hook = hook_cancel_self;
    live.cancel_at = 2;
    int64_t r0 = store_current_rev(s);
    watch(&live, "/cs/", r0);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "/cs/%d", i);
        put(s, key, "x");
    }
    sleep_ms(be->sync_delivery ? 0 : 300);
    assert_int_equal(rec_nr(&live), 2);

    /* A watch cancelling itself during its replay: store_watch succeeds, *out is NULL. */
    rec_init(&replay, s);
    replay.hook = hook_cancel_self;
    replay.cancel_at = 3;
    assert_int_equal(store_watch(s, "/cs/", r0, on_event, &replay, &replay.w), 0);
    assert_null(replay.w);
    assert_int_equal(rec_nr(&replay), 3);
    put(s, "/cs/late", "x");
    sleep_ms(be->sync_delivery ? 0 : 300);
    assert_int_equal(rec_nr(&replay), 3);

    /* One watch cancelling another from its callback. */
    rec_init(&a, s);
    rec_init(&b, s);
    int64_t r1 = store_current_rev(s);
    watch(&b, "/cs/", r1);
    a.hook = hook_cancel_other;
    a.other = b.w;
    watch(&a, "/cs/", r1);
    put(s, "/cs/x", "x");
    expect_events(&a, 1);
    size_t nb = rec_nr(&b);
    assert_true(nb <= 1);
    put(s, "/cs/y", "x");
    expect_events(&a, 2);
    sleep_ms(be->sync_delivery ? 0 : 300);
    assert_int_equal(rec_nr(&b), nb);

    store_watch_cancel(a.w);
    rec_release(&live);
    rec_release(&replay);
    rec_release(&a);
    rec_release(&b);
}

/* What a callback may do with the store it is called from. */
static void hook_reenter(struct rec *r, const struct store_event *ev)
{
    struct got g = {0};
    if (atomic_fetch_add(&r->hook_calls, 1))
        return;
    r->rc_write = store_create(r->s, "/re/other", "x", 1, NULL);
    r->rc_get = get(r->s, ev->kv.key, &g);
    if (!r->rc_get && g.kv.mod_rev != ev->rev)
        r->rc_get = -EINVAL;
    kvc_release(&g.kv);
    r->rc_watch = store_watch(r->s, "/re/", ev->rev - 1, on_event, r->nested, &r->nested->w);
}

static void test_callback_reentry(void **state)
{
    struct fx *f = *state;
    struct store *s = f->s;
    struct rec r, nested;

    if (!be->sync_delivery)
        skip();
    rec_init(&r, s);
    rec_init(&nested, s);
    r.hook = hook_reenter;
    r.nested = &nested;
    watch(&r, "/re/", store_current_rev(s));
    int64_t a = put(s, "/re/a", "a");
    assert_int_equal(r.rc_write, -EDEADLK);
    assert_absent(s, "/re/other");
    assert_int_equal(r.rc_get, 0);
    assert_int_equal(r.rc_watch, 0);
    /* The watch started inside the callback replays the event being delivered, once. */
    assert_int_equal(rec_nr(&nested), 1);
    assert_int_equal(nested.evs[0].rev, a);
    int64_t b = put(s, "/re/b", "b");
    assert_int_equal(rec_nr(&nested), 2);
    assert_int_equal(nested.evs[1].rev, b);
    assert_int_equal(rec_nr(&r), 2);
    store_watch_cancel(nested.w);
    store_watch_cancel(r.w);
    rec_release(&r);
    rec_release(&nested);
}

/* --- Crash safety --- */

/* The child writes until killed, reporting each acknowledged write on the pipe:
 * "C <rev> <i>" for the create of key i, "U <rev> <i>" for an update of it. */
static void __attribute__((noreturn)) crash_child(const char *url, int fd, int round)
{
    struct store *s;
    char key[48], val[48], line[96];
    int64_t rev;

    if (store_open(url, NULL, &s))
        _exit(3);
    for (int i = 0;; i++) {
        snprintf(key, sizeof(key), "/crash/%d/%07d", round, i);
        snprintf(val, sizeof(val), "c-%d", i);
        if (store_create(s, key, val, strlen(val), &rev))
            _exit(4);
        int n = snprintf(line, sizeof(line), "C %lld %d\n", (long long)rev, i);
        if (write(fd, line, (size_t)n) != n)
            _exit(5);
        if (i % 3 == 2) {
            snprintf(val, sizeof(val), "u-%d", i);
            if (store_update(s, key, val, strlen(val), rev, &rev))
                _exit(6);
            n = snprintf(line, sizeof(line), "U %lld %d\n", (long long)rev, i);
            if (write(fd, line, (size_t)n) != n)
                _exit(5);
        }
    }
}

static void test_crash_kill9(void **state)
{
    struct fx *f = *state;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

    NEED_LOCAL();
    srand(seed);
    store_close(f->s);
    f->s = NULL;
    for (int round = 0; round < 3; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(f->url, fds[1], round);
        }
        close(fds[1]);
        FILE *in = fdopen(fds[0], "r");
        assert_non_null(in);
        char type, key[48], val[48];
        long long rev, max_rev = 0;
        int i, acks = 0, got;

        /* Kill at a random moment once writes are flowing. */
        got = fscanf(in, " %c %lld %d", &type, &rev, &i);
        int delay = rand() % 400;
        sleep_ms(delay);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("child exited by itself (status %d): store error", WEXITSTATUS(status));

        /* Every line on the pipe was acknowledged before the kill. */
        assert_int_equal(store_open(f->url, NULL, &f->s), 0);
        for (; got == 3; got = fscanf(in, " %c %lld %d", &type, &rev, &i)) {
            struct got g = {0};
            snprintf(key, sizeof(key), "/crash/%d/%07d", round, i);
            snprintf(val, sizeof(val), "%c-%d", type == 'C' ? 'c' : 'u', i);
            if (get(f->s, key, &g))
                fail_msg("seed %u round %d (killed after %d ms): acknowledged %c of %s at rev "
                         "%lld is lost",
                         seed, round, delay, type, key, rev);
            if (g.kv.mod_rev < rev || (g.kv.mod_rev == rev && strcmp(g.kv.value, val)))
                fail_msg("seed %u round %d: %s has rev %lld value %s, acknowledged %lld %s", seed,
                         round, key, (long long)g.kv.mod_rev, g.kv.value, rev, val);
            if (type == 'C')
                assert_int_equal(g.kv.create_rev, rev);
            kvc_release(&g.kv);
            if (rev > max_rev)
                max_rev = rev;
            acks++;
        }
        fclose(in);
        if (acks < 1)
            fail_msg("seed %u round %d: the child acknowledged nothing", seed, round);
        assert_true(store_current_rev(f->s) >= max_rev);
        /* Writing resumes after the highest revision, never reusing one. */
        int64_t next = put(f->s, "/crash/after", round ? "again" : "first");
        assert_true(next > max_rev);
        assert_int_equal(store_delete(f->s, "/crash/after", next, NULL), 0);
        store_close(f->s);
        f->s = NULL;
    }
    assert_int_equal(store_open(f->url, NULL, &f->s), 0);
}

/* --- SQLite only --- */

static void test_open_urls(void **state)
{
    char dir[] = "/tmp/berth-store-test-XXXXXX";
    struct store *s = (struct store *)&s;
    struct store_options bad = {.history_min_events = -1};
    char *url;

    assert_non_null(mkdtemp(dir));
    url = xasprintf("sqlite:%s/a.db", dir);
    assert_int_equal(store_open(url, NULL, &s), 0);
    int64_t rev = put(s, "/u/a", "a");
    store_close(s);
    free(url);
    /* A plain path is the same database. */
    url = xasprintf("%s/a.db", dir);
    assert_int_equal(store_open(url, NULL, &s), 0);
    assert_kv(s, "/u/a", "a", rev, rev);
    store_close(s);
    free(url);

    assert_int_equal(store_open("etcd://127.0.0.1:2379", NULL, &s), -EINVAL);
    assert_null(s);
    assert_int_equal(store_open("http://localhost/x", NULL, &s), -EINVAL);
    assert_int_equal(store_open("", NULL, &s), -EINVAL);
    assert_int_equal(store_open("sqlite:", NULL, &s), -EINVAL);
    assert_int_equal(store_open("sqlite::memory:", NULL, &s), -EINVAL);
    assert_int_equal(store_open("/nonexistent-dir/sub/state.db", NULL, &s), -EIO);
    assert_null(s);
    url = xasprintf("%s/b.db", dir);
    assert_int_equal(store_open(url, &bad, &s), -EINVAL);
    free(url);
    rm_rf(dir);
}

/* The file is in WAL mode, and keeps its state in the documented tables. */
static void test_sqlite_file(void **state)
{
    struct fx *f = *state;
    sqlite3 *db;
    sqlite3_stmt *st;

    put(f->s, "/f/a", "a");
    assert_int_equal(sqlite3_open(f->url + strlen("sqlite:"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM kv WHERE key = '/f/a'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* One store per database file: a second open, here or in another process, is refused. */
static void test_single_writer(void **state)
{
    struct fx *f = *state;
    struct store *s2 = (struct store *)&s2;
    struct stat st;

    assert_int_equal(store_open(f->url, NULL, &s2), -EIO);
    assert_null(s2);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(store_open(f->url, NULL, &s2) == -EIO ? 0 : 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Private: the database holds Secrets. */
    put(f->s, "/p/a", "a");
    const char *path = f->url + strlen("sqlite:");
    char *wal = xasprintf("%s-wal", path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(wal);

    /* Closing releases it. */
    reopen(f, NULL);
    assert_kv(f->s, "/p/a", "a", store_current_rev(f->s), store_current_rev(f->s));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest conformance[] = {
        T(test_crud_and_errors),
        T(test_values),
        T(test_invalid_arguments),
        T(test_revisions_global),
        T(test_list_prefix),
        T(test_list_high_bytes),
        T(test_watch_replay_then_live),
        T(test_watch_event_shapes),
        T(test_watch_prefix_isolation),
        T(test_watch_from_future),
        T(test_compact_and_expired_watch),
        T(test_auto_compaction_max),
        T(test_auto_compaction_age),
        T(test_rev_survives_reopen),
        T(test_concurrent_writers),
        T(test_watch_handover_under_writes),
        T(test_compact_during_replay),
        T(test_cancel_waits_for_callback),
        T(test_cancel_from_callback),
        T(test_callback_reentry),
        T(test_crash_kill9),
    };
    const struct CMUnitTest sqlite_only[] = {
        cmocka_unit_test(test_open_urls),
        T(test_sqlite_file),
        T(test_single_writer),
    };
    int failed = 0;

    for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
        be = &backends[i];
        failed +=
            _cmocka_run_group_tests(be->name, conformance, ARRAY_SIZE(conformance), NULL, NULL);
    }
    be = &backends[0];
    failed += cmocka_run_group_tests_name("sqlite_only", sqlite_only, NULL, NULL);
    return failed;
}
