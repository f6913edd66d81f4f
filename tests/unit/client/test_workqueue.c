/* Work queue and controller loop: client-go's queue semantics. Timing assertions use strict
 * lower bounds (a delay is never shortened) and loose upper bounds (a shared machine). */
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/ctrlloop.h"
#include "client/workqueue.h"

static void expect_get(struct workqueue *q, const char *want)
{
    char *k = wq_get(q);
    assert_non_null(k);
    assert_string_equal(k, want);
    wq_done(q, k);
    free(k);
}

static void test_dedup_fifo(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_add(q, "ns/a");
    wq_add(q, "ns/b");
    wq_add(q, "ns/a");
    wq_add(q, "ns/c");
    wq_add(q, "ns/b");
    assert_int_equal(wq_len(q), 3);
    expect_get(q, "ns/a");
    expect_get(q, "ns/b");
    expect_get(q, "ns/c");
    assert_int_equal(wq_len(q), 0);
    /* Once handed out and done, a key can be queued again. */
    wq_add(q, "ns/a");
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_dirty_while_processing(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_add(q, "a");
    char *k = wq_get(q);
    assert_string_equal(k, "a");
    /* Added while a worker holds it: not handed to a second worker... */
    wq_add(q, "a");
    wq_add(q, "a");
    assert_int_equal(wq_len(q), 0);
    wq_add(q, "b");
    char *k2 = wq_get(q);
    assert_string_equal(k2, "b");
    /* ...but queued again, once, when the first is done. */
    wq_done(q, k);
    assert_int_equal(wq_len(q), 1);
    wq_done(q, k2);
    assert_int_equal(wq_len(q), 1);
    expect_get(q, "a");
    assert_int_equal(wq_len(q), 0);
    /* Done without a re-add queues nothing. */
    wq_add(q, "c");
    char *k3 = wq_get(q);
    wq_done(q, k3);
    assert_int_equal(wq_len(q), 0);
    free(k);
    free(k2);
    free(k3);
    wq_free(q);
}

static void test_add_after_ordering(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    int64_t t0 = ktime_mono_ms();
    wq_add_after(q, "c", 150);
    wq_add_after(q, "a", 50);
    wq_add_after(q, "b", 100);
    wq_add_after(q, "now", 0); /* no delay: queued at once */
    assert_int_equal(wq_len(q), 1);
    expect_get(q, "now");
    const char *want[] = {"a", "b", "c"};
    const int64_t min_ms[] = {50, 100, 150};
    for (int i = 0; i < 3; i++) {
        char *k = wq_get(q);
        int64_t dt = ktime_mono_ms() - t0;
        assert_string_equal(k, want[i]);
        assert_true(dt >= min_ms[i]);
        assert_true(dt < min_ms[i] + 1000);
        wq_done(q, k);
        free(k);
    }
    wq_free(q);
}

static void test_add_after_keeps_earliest(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    int64_t t0 = ktime_mono_ms();
    /* A later time for a waiting key does not postpone it; an earlier one advances it. */
    wq_add_after(q, "x", 100);
    wq_add_after(q, "x", 5000);
    wq_add_after(q, "y", 5000);
    wq_add_after(q, "y", 30);
    char *k = wq_get(q);
    assert_string_equal(k, "y");
    assert_true(ktime_mono_ms() - t0 < 1000);
    wq_done(q, k);
    free(k);
    k = wq_get(q);
    assert_string_equal(k, "x");
    int64_t dt = ktime_mono_ms() - t0;
    assert_true(dt >= 100 && dt < 2000);
    wq_done(q, k);
    free(k);
    /* A delayed key that is already queued stays queued once. */
    wq_add(q, "z");
    wq_add_after(q, "z", 10);
    usleep(30000);
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_rate_limited_backoff(void **state)
{
    struct wq_rate_limit rl = {.base_delay_ms = 20, .max_delay_ms = 100, .qps = -1};
    struct workqueue *q = wq_new("t", &rl);
    const int64_t want[] = {20, 40, 80, 100, 100};

    for (int i = 0; i < 5; i++) {
        assert_int_equal(wq_num_requeues(q, "k"), i);
        int64_t t0 = ktime_mono_ms();
        wq_add_rate_limited(q, "k");
        assert_int_equal(wq_len(q), 0);
        char *k = wq_get(q);
        int64_t dt = ktime_mono_ms() - t0;
        assert_string_equal(k, "k");
        assert_true(dt >= want[i]);
        assert_true(dt < want[i] + 1000);
        wq_done(q, k);
        free(k);
    }
    assert_int_equal(wq_num_requeues(q, "k"), 5);
    /* Backoff is per key. */
    assert_int_equal(wq_num_requeues(q, "other"), 0);
    wq_forget(q, "k");
    assert_int_equal(wq_num_requeues(q, "k"), 0);
    int64_t t0 = ktime_mono_ms();
    wq_add_rate_limited(q, "k");
    char *k = wq_get(q);
    int64_t dt = ktime_mono_ms() - t0;
    assert_true(dt >= 20 && dt < 80);
    wq_done(q, k);
    free(k);
    wq_free(q);
}

static void test_default_backoff_values(void **state)
{
    /* client-go's DefaultControllerRateLimiter: 5 ms doubling, and an overall 10 qps bucket of
     * 100: the first hundred keys are not held back by the bucket. */
    struct workqueue *q = wq_new("t", NULL);
    int64_t t0 = ktime_mono_ms();
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        wq_add_rate_limited(q, key);
    }
    usleep(20000);
    assert_int_equal(wq_len(q), 100);
    assert_true(ktime_mono_ms() - t0 < 1000);
    /* The 101st waits for a token: 1/10 s. */
    wq_add_rate_limited(q, "late");
    usleep(40000);
    assert_int_equal(wq_len(q), 100);
    for (int i = 0; i < 100; i++) {
        char *k = wq_get(q);
        wq_done(q, k);
        free(k);
    }
    char *k = wq_get(q);
    assert_string_equal(k, "late");
    assert_true(ktime_mono_ms() - t0 >= 100);
    wq_done(q, k);
    free(k);
    wq_free(q);
}

static void test_bucket_limits_overall(void **state)
{
    struct wq_rate_limit rl = {.base_delay_ms = 1, .max_delay_ms = 1, .qps = 20, .burst = 2};
    struct workqueue *q = wq_new("t", &rl);
    int64_t t0 = ktime_mono_ms();
    wq_add_rate_limited(q, "a");
    wq_add_rate_limited(q, "b");
    wq_add_rate_limited(q, "c"); /* 1/20 s of debt */
    wq_add_rate_limited(q, "d"); /* 2/20 s */
    const char *want[] = {"a", "b", "c", "d"};
    const int64_t min_ms[] = {0, 0, 45, 95};
    for (int i = 0; i < 4; i++) {
        char *k = wq_get(q);
        int64_t dt = ktime_mono_ms() - t0;
        assert_string_equal(k, want[i]);
        assert_true(dt >= min_ms[i]);
        wq_done(q, k);
        free(k);
    }
    wq_free(q);
}

struct getter {
    struct workqueue *q;
    char *got;
    atomic_bool returned;
};

static void *getter_main(void *arg)
{
    struct getter *g = arg;
    g->got = wq_get(g->q);
    atomic_store(&g->returned, true);
    return NULL;
}

static void test_shutdown_wakes_waiters(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    struct getter g[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        g[i].q = q;
        g[i].got = NULL;
        atomic_init(&g[i].returned, false);
        pthread_create(&th[i], NULL, getter_main, &g[i]);
    }
    usleep(50000);
    for (int i = 0; i < 3; i++)
        assert_false(atomic_load(&g[i].returned));
    wq_add_after(q, "delayed", 100000);
    wq_shutdown(q);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_null(g[i].got);
    }
    /* After shutdown adds are ignored and get does not block. */
    wq_add(q, "late");
    assert_int_equal(wq_len(q), 0);
    assert_null(wq_get(q));
    wq_free(q);
}

static void test_shutdown_drains_queued(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_add(q, "a");
    wq_add(q, "b");
    char *k = wq_get(q);
    wq_add(q, "a"); /* dirty while processing */
    wq_shutdown(q);
    expect_get(q, "b");
    /* done re-queues a dirty key even while shutting down, as client-go does */
    wq_done(q, k);
    free(k);
    expect_get(q, "a");
    assert_null(wq_get(q));
    wq_free(q);
}

/* --- the controller loop --- */

struct ctl {
    atomic_int calls;
    atomic_int fails_left; /* of key "bad" */
    atomic_int in_flight;
    atomic_int overlap; /* a key was synced by two workers at once */
    atomic_int max_in_flight;
    atomic_int done_bad;
};

static int sync_fn(void *ctx, const char *key)
{
    struct ctl *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (!strncmp(key, "same", 4)) {
        if (atomic_fetch_add(&c->in_flight, 1) > 0)
            atomic_fetch_add(&c->overlap, 1);
        usleep(2000);
        atomic_fetch_sub(&c->in_flight, 1);
        return 0;
    }
    if (!strcmp(key, "bad")) {
        if (atomic_fetch_sub(&c->fails_left, 1) > 0)
            return -ESTALE;
        atomic_store(&c->done_bad, 1);
    }
    return 0;
}

/* Use ms of this thread's CPU (what pacing measures). */
static void burn_cpu_ms(int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* Finish the sync of k (taken with wq_get) after using ms of CPU; returns when it ended. */
static int64_t finish_costly(struct workqueue *q, char *k, int ms)
{
    burn_cpu_ms(ms);
    int64_t done_at = ktime_mono_ms();
    wq_done(q, k);
    free(k);
    return done_at;
}

/* Wait for the next key; assert it is want and came at least min_ms after since. */
static char *get_after(struct workqueue *q, const char *want, int64_t since, int min_ms)
{
    char *k = wq_get(q);
    assert_string_equal(k, want);
    assert_true(ktime_mono_ms() - since >= min_ms);
    assert_true(ktime_mono_ms() - since < 5000);
    return k;
}

static void test_paced_off_is_add(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    char *k;
    wq_add(q, "a");
    k = wq_get(q);
    finish_costly(q, k, 5);
    wq_add_paced(q, "a");
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_paced_cheap_sync_not_held(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_set_pacing(q, 10, 1000);
    wq_add(q, "a");
    expect_get(q, "a"); /* microseconds: 10x that is under a millisecond */
    wq_add_paced(q, "a");
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_paced_holds_after_costly_sync(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_set_pacing(q, 10, 1000);
    wq_add(q, "a");
    int64_t done_at = finish_costly(q, wq_get(q), 5);
    wq_add_paced(q, "a");
    wq_add_paced(q, "a");
    assert_int_equal(wq_len(q), 0);           /* held for 10 x 5 ms after the sync */
    char *k = get_after(q, "a", done_at, 50); /* blocks until then */
    wq_done(q, k);
    free(k);
    assert_int_equal(wq_len(q), 0); /* the two paced adds were one */
    /* another key is not held back by a's pause, and wq_add is never held */
    wq_add_paced(q, "b");
    assert_int_equal(wq_len(q), 1);
    expect_get(q, "b");
    wq_add(q, "a");
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_paced_while_processing(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_set_pacing(q, 10, 1000);
    wq_add(q, "a");
    char *k = wq_get(q);
    wq_add_paced(q, "a"); /* noted; wq_done queues it after the pause */
    int64_t done_at = finish_costly(q, k, 5);
    assert_int_equal(wq_len(q), 0);
    k = get_after(q, "a", done_at, 50);
    /* a plain add while processing wins over a paced one: queued again at once */
    wq_add_paced(q, "a");
    wq_add(q, "a");
    finish_costly(q, k, 5);
    assert_int_equal(wq_len(q), 1);
    wq_free(q);
}

static void test_paced_capped(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    wq_set_pacing(q, 1000, 20); /* 1000 x 5 ms, capped at 20 ms */
    wq_add(q, "a");
    int64_t done_at = finish_costly(q, wq_get(q), 5);
    wq_add_paced(q, "a");
    char *k = get_after(q, "a", done_at, 20);
    wq_done(q, k);
    free(k);
    wq_free(q);
}

static void test_ctrl_loop_retries_then_forgets(void **state)
{
    struct wq_rate_limit rl = {.base_delay_ms = 5, .max_delay_ms = 50, .qps = -1};
    struct workqueue *q = wq_new("t", &rl);
    struct ctl c;
    memset(&c, 0, sizeof(c));
    atomic_store(&c.fails_left, 3);
    struct ctrl_loop *l = ctrl_loop_start("test", q, 4, sync_fn, &c);
    wq_add(q, "bad");
    for (int i = 0; i < 400 && !atomic_load(&c.done_bad); i++)
        usleep(5000);
    assert_true(atomic_load(&c.done_bad));
    usleep(10000);
    /* three failures, then success: four syncs, backoff forgotten */
    assert_int_equal(atomic_load(&c.calls), 4);
    assert_int_equal(wq_num_requeues(q, "bad"), 0);
    ctrl_loop_stop(l);
    wq_free(q);
}

static void test_ctrl_loop_one_worker_per_key(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    struct ctl c;
    memset(&c, 0, sizeof(c));
    struct ctrl_loop *l = ctrl_loop_start("test", q, 8, sync_fn, &c);
    for (int i = 0; i < 300; i++) {
        wq_add(q, "same");
        if (i % 10 == 0)
            usleep(1000);
    }
    usleep(50000);
    for (int i = 0; i < 200 && wq_len(q); i++)
        usleep(5000);
    usleep(20000);
    assert_int_equal(atomic_load(&c.overlap), 0);
    assert_true(atomic_load(&c.calls) >= 2);
    ctrl_loop_stop(l);
    wq_free(q);
}

static void test_ctrl_loop_stop_does_not_drain(void **state)
{
    struct workqueue *q = wq_new("t", NULL);
    struct ctl c;
    memset(&c, 0, sizeof(c));
    char key[32];
    struct ctrl_loop *l = ctrl_loop_start("test", q, 1, sync_fn, &c);
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "same%d", i); /* 2 ms each */
        wq_add(q, key);
    }
    usleep(20000);
    int64_t t0 = ktime_mono_ms();
    ctrl_loop_stop(l);
    assert_true(ktime_mono_ms() - t0 < 1000);
    assert_true(atomic_load(&c.calls) < 2000);
    wq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_fifo),
        cmocka_unit_test(test_dirty_while_processing),
        cmocka_unit_test(test_add_after_ordering),
        cmocka_unit_test(test_add_after_keeps_earliest),
        cmocka_unit_test(test_rate_limited_backoff),
        cmocka_unit_test(test_default_backoff_values),
        cmocka_unit_test(test_bucket_limits_overall),
        cmocka_unit_test(test_shutdown_wakes_waiters),
        cmocka_unit_test(test_shutdown_drains_queued),
        cmocka_unit_test(test_paced_off_is_add),
        cmocka_unit_test(test_paced_cheap_sync_not_held),
        cmocka_unit_test(test_paced_holds_after_costly_sync),
        cmocka_unit_test(test_paced_while_processing),
        cmocka_unit_test(test_paced_capped),
        cmocka_unit_test(test_ctrl_loop_retries_then_forgets),
        cmocka_unit_test(test_ctrl_loop_one_worker_per_key),
        cmocka_unit_test(test_ctrl_loop_stop_does_not_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
