/* test_sqlite_internal.c — SQLite backend internals the conformance suite cannot reach: it
 * includes sqlite.c with small chunk sizes, so a replay gives up the commit lock every few
 * events and one compaction turn could run far ahead of it. */
#include "test.h"

#include <ftw.h>
#include <stdio.h>

#define REPLAY_CHUNK 4
#define COMPACT_CHUNK 1000
#include "store/sqlite.c"

static void test_prefix_end(void **state)
{
    char *end = NULL;

    assert_false(prefix_end("", &end));
    assert_false(prefix_end("\xff\xff", &end));
    assert_true(prefix_end("/registry/pods/", &end));
    assert_string_equal(end, "/registry/pods0");
    free(end);
    assert_true(prefix_end("/a\xff", &end));
    assert_string_equal(end, "/b");
    free(end);
    assert_true(prefix_end("/a\xfe\xff\xff", &end));
    assert_string_equal(end, "/a\xff");
    free(end);
}

struct slow {
    _Atomic int calls;
    int64_t next; /* the revision expected next */
    int gaps;
};

static void on_slow(void *ctx, const struct store_event *ev)
{
    struct slow *sl = ctx;
    if (ev->rev != sl->next)
        sl->gaps++;
    sl->next = ev->rev + 1;
    sl->calls++;
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

struct compact_arg {
    struct store *s;
    struct slow *sl;
    int64_t target;
    int rc;
};

static void *compact_soon(void *arg)
{
    struct compact_arg *a = arg;
    while (a->sl->calls < 2)
        usleep(100);
    a->rc = store_compact(a->s, a->target);
    return NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* The replay pins the history it still needs: the forced compaction waits for it, instead of
 * deleting rows the next chunk has to read. */
static void test_replay_pins_compaction(void **state)
{
    char dir[] = "/tmp/berth-store-test-XXXXXX", key[32];
    struct store *s;
    struct store_watch *w;
    struct slow sl = {0};
    pthread_t tid;

    assert_non_null(mkdtemp(dir));
    char *url = xasprintf("sqlite:%s/state.db", dir);
    assert_int_equal(store_open(url, NULL, &s), 0);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "/p/%03d", i);
        assert_int_equal(store_create(s, key, "x", 1, NULL), 0);
    }
    int64_t end = store_current_rev(s);
    struct compact_arg a = {s, &sl, end, 1};
    sl.next = 1;
    assert_int_equal(pthread_create(&tid, NULL, compact_soon, &a), 0);
    assert_int_equal(store_watch(s, "/p/", 0, on_slow, &sl, &w), 0);
    pthread_join(tid, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(sl.calls, 200);
    assert_int_equal(sl.gaps, 0);
    assert_int_equal(store_compacted_rev(s), end);
    store_watch_cancel(w);
    store_close(s);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_end),
        cmocka_unit_test(test_replay_pins_compaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
