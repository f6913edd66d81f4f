/* workqueue.c — client-go's workqueue: a FIFO with dirty/processing sets, a delaying heap and
 * the default controller rate limiter (per-key exponential backoff, max'ed with an overall
 * token bucket).
 *
 * There is no timer thread: delayed keys sit in a min-heap and are moved to the FIFO by
 * whoever holds the lock next (wq_get sleeps until the earliest one is due), so an idle queue
 * costs nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "client/internal.h"
#include "client/workqueue.h"

struct delayed {
    char *key;
    int64_t at_us; /* monotonic time it becomes ready */
    uint64_t seq;  /* FIFO among equal times */
    size_t idx;    /* position in the heap */
};

struct workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char *name;
    struct wq_rate_limit rl;

    /* FIFO of keys ready to hand out (a ring); every key in it is also in `dirty`. */
    char **ring;
    size_t head, len, cap;
    struct smap dirty;      /* queued or to be re-queued when done */
    struct smap processing; /* handed to a worker, not done yet: key -> the worker's CPU time
                             * when it got the key (us) */
    struct smap failures;   /* key -> (uintptr_t) failure count */

    struct delayed **heap; /* min-heap on (at_us, seq) */
    size_t nheap, heap_alloc;
    struct smap waiting; /* key -> struct delayed * */
    uint64_t seq;

    /* Pacing (wq_set_pacing): key -> (intptr_t) the earliest time of its next paced sync;
     * keys whose paced add came while they were being processed. */
    int pacing_factor;
    int pacing_max_us;
    struct smap paced;
    struct smap paced_pending;

    double tokens; /* the overall bucket, may go negative (reservations) */
    int64_t tokens_at_us;
    bool shutdown;
};

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- FIFO --- */

static void ring_push(struct workqueue *q, char *key)
{
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 16;
        char **n = xmalloc(ncap * sizeof(*n));
        for (size_t i = 0; i < q->len; i++)
            n[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = n;
        q->cap = ncap;
        q->head = 0;
    }
    q->ring[(q->head + q->len) % q->cap] = key;
    q->len++;
}

static char *ring_pop(struct workqueue *q)
{
    char *k = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return k;
}

/* client-go's Add, with the lock held. */
static void add_locked(struct workqueue *q, const char *key)
{
    if (q->shutdown)
        return;
    bool existed;
    smap__put(&q->dirty, key, &existed);
    if (existed)
        return;
    if (smap__has(&q->processing, key))
        return; /* queued again by wq_done */
    ring_push(q, xstrdup(key));
    pthread_cond_signal(&q->cond);
}

/* --- the delaying heap --- */

static bool before(const struct delayed *a, const struct delayed *b)
{
    return a->at_us < b->at_us || (a->at_us == b->at_us && a->seq < b->seq);
}

static void heap_set(struct workqueue *q, size_t i, struct delayed *d)
{
    q->heap[i] = d;
    d->idx = i;
}

static void sift_up(struct workqueue *q, size_t i)
{
    struct delayed *d = q->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(d, q->heap[p]))
            break;
        heap_set(q, i, q->heap[p]);
        i = p;
    }
    heap_set(q, i, d);
}

static void sift_down(struct workqueue *q, size_t i)
{
    struct delayed *d = q->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->nheap)
            break;
        if (c + 1 < q->nheap && before(q->heap[c + 1], q->heap[c]))
            c++;
        if (!before(q->heap[c], d))
            break;
        heap_set(q, i, q->heap[c]);
        i = c;
    }
    heap_set(q, i, d);
}

static struct delayed *heap_pop(struct workqueue *q)
{
    struct delayed *top = q->heap[0];
    q->nheap--;
    if (q->nheap) {
        heap_set(q, 0, q->heap[q->nheap]);
        sift_down(q, 0);
    }
    return top;
}

static void free_delayed(void *p)
{
    struct delayed *d = p;
    free(d->key);
    free(d);
}

/* Move every delayed key that is due to the FIFO. */
static void promote_due(struct workqueue *q)
{
    if (!q->nheap)
        return;
    int64_t now = mono__us();
    while (q->nheap && q->heap[0]->at_us <= now) {
        struct delayed *d = heap_pop(q);
        smap__del(&q->waiting, d->key, NULL);
        add_locked(q, d->key);
        free_delayed(d);
    }
}

/* client-go's AddAfter: a key already waiting keeps the earlier of its two ready times. */
static void add_after_locked(struct workqueue *q, const char *key, int64_t delay_us)
{
    if (q->shutdown)
        return;
    if (delay_us <= 0) {
        add_locked(q, key);
        return;
    }
    int64_t at = mono__us() + delay_us;
    void **slot = smap__get(&q->waiting, key);
    if (slot) {
        struct delayed *d = *slot;
        if (at < d->at_us) {
            d->at_us = at;
            sift_up(q, d->idx);
            pthread_cond_broadcast(&q->cond); /* a sleeper may wait for a later time */
        }
        return;
    }
    struct delayed *d = xmalloc(sizeof(*d));
    d->key = xstrdup(key);
    d->at_us = at;
    d->seq = q->seq++;
    ALLOC_GROW(q->heap, q->nheap + 1, q->heap_alloc);
    q->heap[q->nheap] = d;
    d->idx = q->nheap++;
    sift_up(q, d->idx);
    *smap__put(&q->waiting, key, NULL) = d;
    if (d->idx == 0)
        pthread_cond_broadcast(&q->cond);
}

/* --- the rate limiter --- */

/* ItemExponentialFailureRateLimiter: base * 2^failures, capped; counts the failure. In us. */
static int64_t backoff_us(struct workqueue *q, const char *key)
{
    void **slot = smap__put(&q->failures, key, NULL);
    uintptr_t n = (uintptr_t)*slot;
    *slot = (void *)(n + 1);
    double d = (double)q->rl.base_delay_ms;
    for (uintptr_t i = 0; i < n && d < q->rl.max_delay_ms; i++)
        d *= 2;
    if (d > q->rl.max_delay_ms)
        d = q->rl.max_delay_ms;
    return (int64_t)d * 1000;
}

/* BucketRateLimiter (golang.org/x/time/rate Reserve().Delay()): take a token, going into debt
 * when there is none; the delay is the time the debt takes to repay. */
static int64_t bucket_us(struct workqueue *q)
{
    if (q->rl.qps <= 0)
        return 0;
    int64_t now = mono__us();
    double elapsed = (double)(now - q->tokens_at_us) / 1e6;
    if (elapsed > 0) {
        q->tokens += elapsed * q->rl.qps;
        if (q->tokens > q->rl.burst)
            q->tokens = q->rl.burst;
        q->tokens_at_us = now;
    }
    q->tokens -= 1;
    if (q->tokens >= 0)
        return 0;
    return (int64_t)(-q->tokens / q->rl.qps * 1e6 + 0.999);
}

/* --- API --- */

struct workqueue *wq_new(const char *name, const struct wq_rate_limit *rl)
{
    struct workqueue *q = xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    cond__init_mono(&q->cond);
    q->name = xstrdup(name ? name : "");
    if (rl)
        q->rl = *rl;
    if (!q->rl.base_delay_ms)
        q->rl.base_delay_ms = 5;
    if (!q->rl.max_delay_ms)
        q->rl.max_delay_ms = 1000000;
    if (!q->rl.qps)
        q->rl.qps = 10;
    if (!q->rl.burst)
        q->rl.burst = 100;
    q->tokens = q->rl.burst;
    q->tokens_at_us = mono__us();
    return q;
}

void wq_add(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    add_locked(q, key);
    pthread_mutex_unlock(&q->mu);
}

void wq_add_after(struct workqueue *q, const char *key, int delay_ms)
{
    pthread_mutex_lock(&q->mu);
    add_after_locked(q, key, (int64_t)delay_ms * 1000);
    pthread_mutex_unlock(&q->mu);
}

void wq_add_rate_limited(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    if (!q->shutdown) {
        int64_t a = backoff_us(q, key), b = bucket_us(q);
        add_after_locked(q, key, a > b ? a : b);
    }
    pthread_mutex_unlock(&q->mu);
}

void wq_forget(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    smap__del(&q->failures, key, NULL);
    pthread_mutex_unlock(&q->mu);
}

int wq_num_requeues(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    void **slot = smap__get(&q->failures, key);
    int n = slot ? (int)(uintptr_t)*slot : 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

char *wq_get(struct workqueue *q)
{
    char *key = NULL;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        promote_due(q);
        if (q->len)
            break;
        if (q->shutdown)
            goto out;
        cond__wait_until(&q->cond, &q->mu, q->nheap ? q->heap[0]->at_us : -1);
    }
    key = ring_pop(q);
    *smap__put(&q->processing, key, NULL) = (void *)(intptr_t)thread_cpu_us();
    smap__del(&q->dirty, key, NULL);
out:
    pthread_mutex_unlock(&q->mu);
    return key;
}

/* Remember when key may next be synced by a paced add: factor x the CPU time this sync took,
 * after its end, capped. Syncs too cheap to pace leave nothing behind. */
static int64_t pace_locked(struct workqueue *q, const char *key, int64_t cpu_us, int64_t now)
{
    int64_t wait = cpu_us * q->pacing_factor;
    if (wait > q->pacing_max_us)
        wait = q->pacing_max_us;
    if (wait < 1000) {
        smap__del(&q->paced, key, NULL);
        return now;
    }
    if (q->paced.n > 1024 && !smap__has(&q->paced, key)) {
        /* forget the keys whose pause is over (deleted objects would stay forever) */
        struct smap keep = SMAP_INIT;
        const char *k;
        void *v;
        for (size_t i = 0; smap__next(&q->paced, &i, &k, &v);) {
            if ((int64_t)(intptr_t)v > now)
                *smap__put(&keep, k, NULL) = v;
        }
        smap__release(&q->paced, NULL);
        q->paced = keep;
    }
    *smap__put(&q->paced, key, NULL) = (void *)(intptr_t)(now + wait);
    return now + wait;
}

void wq_done(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    void *start = NULL;
    bool mine = smap__del(&q->processing, key, &start);
    int64_t now = mono__us(), next = now;
    if (q->pacing_factor && mine)
        next = pace_locked(q, key, thread_cpu_us() - (int64_t)(intptr_t)start, now);
    if (smap__has(&q->dirty, key)) {
        ring_push(q, xstrdup(key));
        pthread_cond_signal(&q->cond);
    } else if (smap__del(&q->paced_pending, key, NULL)) {
        add_after_locked(q, key, next - now);
    }
    smap__del(&q->paced_pending, key, NULL);
    pthread_mutex_unlock(&q->mu);
}

void wq_set_pacing(struct workqueue *q, int factor, int max_ms)
{
    pthread_mutex_lock(&q->mu);
    q->pacing_factor = factor > 0 ? factor : 0;
    q->pacing_max_us = max_ms * 1000;
    pthread_mutex_unlock(&q->mu);
}

void wq_add_paced(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    if (!q->pacing_factor || smap__has(&q->dirty, key)) {
        add_locked(q, key); /* a no-op when already queued */
    } else if (smap__has(&q->processing, key)) {
        smap__put(&q->paced_pending, key, NULL); /* wq_done schedules it */
    } else {
        void **slot = smap__get(&q->paced, key);
        int64_t delay = slot ? (int64_t)(intptr_t)*slot - mono__us() : 0;
        if (slot && delay <= 0)
            smap__del(&q->paced, key, NULL);
        add_after_locked(q, key, delay);
    }
    pthread_mutex_unlock(&q->mu);
}

size_t wq_len(struct workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    promote_due(q);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void wq_shutdown(struct workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->shutdown = true;
    for (size_t i = 0; i < q->nheap; i++)
        free_delayed(q->heap[i]);
    q->nheap = 0;
    smap__release(&q->waiting, NULL);
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

void wq_free(struct workqueue *q)
{
    if (!q)
        return;
    wq_shutdown(q);
    while (q->len)
        free(ring_pop(q));
    free(q->ring);
    free(q->heap);
    smap__release(&q->dirty, NULL);
    smap__release(&q->processing, NULL);
    smap__release(&q->failures, NULL);
    smap__release(&q->paced, NULL);
    smap__release(&q->paced_pending, NULL);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
    free(q->name);
    free(q);
}
