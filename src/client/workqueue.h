/* workqueue.h — a rate-limited work queue of string keys, as client-go's workqueue.
 *
 * Semantics (client-go's): a key is queued at most once; a key being processed is not handed
 * to a second worker — if it is added meanwhile it is marked dirty and queued again when the
 * first worker calls wq_done. add_after delays an add. add_rate_limited delays by the
 * maximum of a per-key exponential backoff (base_delay_ms * 2^failures, capped at
 * max_delay_ms) and an overall token bucket (qps, burst); wq_forget resets a key's backoff.
 */
#ifndef BERTH_WORKQUEUE_H
#define BERTH_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct wq_rate_limit {  /* a zero field takes its default */
    int base_delay_ms; /* default 5 */
    int max_delay_ms;  /* default 1000000 (1000 s) */
    double qps;        /* overall, default 10; negative: no overall limit */
    int burst;         /* default 100 */
};

struct workqueue;

/* rl NULL: client-go's DefaultControllerRateLimiter values. */
struct workqueue *wq_new(const char *name, const struct wq_rate_limit *rl);
void wq_add(struct workqueue *q, const char *key);
void wq_add_after(struct workqueue *q, const char *key, int delay_ms);
void wq_add_rate_limited(struct workqueue *q, const char *key);
/* Pacing, for controllers whose sync of one key grows with the cluster (an Endpoints of every
 * pod a Service selects, a StatefulSet of every replica): after a sync of a key that used t of
 * CPU (the worker thread's, from wq_get to wq_done, which must run on the same thread),
 * wq_add_paced holds the key back until factor * t (at most max_ms) after that sync ended, so
 * a stream of changes coalesces into syncs that use at most 1/(1+factor) of a core, while a
 * change after a quiet spell is synced at once. Syncs under 1 ms / factor are never held
 * back. wq_add always queues at once. factor 0 turns pacing off (wq_add_paced is then
 * wq_add). */
void wq_set_pacing(struct workqueue *q, int factor, int max_ms);
void wq_add_paced(struct workqueue *q, const char *key);
void wq_forget(struct workqueue *q, const char *key);
int wq_num_requeues(struct workqueue *q, const char *key);
/* Block until a key is available; returns it (caller frees) or NULL once shut down and empty. */
char *wq_get(struct workqueue *q);
void wq_done(struct workqueue *q, const char *key);
size_t wq_len(struct workqueue *q);
/* Stop: later adds are ignored and pending delayed adds are dropped; wq_get hands out what is
 * already queued, then returns NULL to every waiter (ctrl_loop_stop does not drain). */
void wq_shutdown(struct workqueue *q);
void wq_free(struct workqueue *q);

#endif
