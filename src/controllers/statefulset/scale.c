/* scale.c — creating, replacing and removing pods with the gating of STATEFULSET.md §1.5:
 * processReplica over the in-range ordinals, the claim fix of condemned pods, then
 * processCondemned. OrderedReady ("monotonic") walks in ordinal order and stops at the first
 * blocker; Parallel runs slowStartBatch (batches of 1, 2, 4 ... up to 500, stopping after a
 * batch with an error), the calls of a batch on up to ctl->parallelism threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/statefulset/internal.h"

typedef int (*item_fn)(struct sts_run *r, size_t i, bool *stop, struct sts_err *e);

/* --- slowStartBatch --- */

struct batch {
    struct sts_run *r;
    item_fn fn;
    size_t first, n; /* the items of this batch */
    size_t next;     /* next item to hand out (under mu) */
    pthread_mutex_t mu;
    int rc;             /* first error */
    struct sts_err err; /* its text */
    int nerr;
    struct strbuf all; /* every error, for the aggregate text */
};

static void batch_one(struct batch *b, size_t i)
{
    struct sts_err e = {{0}};
    bool stop = false; /* ignored: only monotonic passes stop early */
    int rc = b->fn(b->r, i, &stop, &e);

    if (rc < 0) {
        pthread_mutex_lock(&b->mu);
        if (!b->rc) {
            b->rc = rc;
            b->err = e;
        }
        if (b->nerr++)
            strbuf_addstr(&b->all, ", ");
        strbuf_addstr(&b->all, e.msg);
        pthread_mutex_unlock(&b->mu);
    }
}

static void *batch_worker(void *arg)
{
    struct batch *b = arg;

    for (;;) {
        size_t i;
        pthread_mutex_lock(&b->mu);
        i = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (i >= b->first + b->n)
            return NULL;
        batch_one(b, i);
    }
}

#define BATCH_STACK (1024 * 1024)

static int slow_start_batch(struct sts_run *r, size_t count, item_fn fn, struct sts_err *e)
{
    size_t done = 0, size = count < 1 ? count : 1;
    int threads = r->ctl->parallelism;

    while (size > 0) {
        struct batch b = {
            .r = r, .fn = fn, .first = done, .n = size, .next = done, .all = STRBUF_INIT};
        pthread_mutex_init(&b.mu, NULL);
        if (threads > 1 && size > 1) {
            size_t nt = size < (size_t)threads ? size : (size_t)threads;
            pthread_t *tids = xcalloc(nt, sizeof(*tids));
            size_t started = 0;
            pthread_attr_t attr;
            /* Small stacks: glibc keeps freed stacks (up to 40 MB) for the next threads, so a
             * sync with nothing to do costs a clone per thread, not an mmap and an munmap
             * of 8 MB (and a TLB shootdown on every core). */
            pthread_attr_init(&attr);
            pthread_attr_setstacksize(&attr, BATCH_STACK);
            for (; started < nt; started++)
                if (pthread_create(&tids[started], &attr, batch_worker, &b))
                    break;
            pthread_attr_destroy(&attr);
            if (!started)
                batch_worker(&b);
            for (size_t k = 0; k < started; k++)
                pthread_join(tids[k], NULL);
            free(tids);
        } else {
            batch_worker(&b);
        }
        pthread_mutex_destroy(&b.mu);
        if (b.rc) {
            if (b.nerr > 1)
                sts__errf(e, "[%s]", b.all.buf);
            else
                *e = b.err;
            strbuf_release(&b.all);
            return b.rc;
        }
        strbuf_release(&b.all);
        done += size;
        size *= 2;
        if (size > count - done)
            size = count - done;
        if (size > STS_MAX_BATCH)
            size = STS_MAX_BATCH;
    }
    return 0;
}

/* runForAll: monotonic stops at the first item that asks to stop or fails. */
static int run_for_all(struct sts_run *r, size_t n, item_fn fn, bool *stop, struct sts_err *e)
{
    int rc;

    if (r->monotonic) {
        for (size_t i = 0; i < n; i++) {
            bool s = false;
            rc = fn(r, i, &s, e);
            if (s || rc < 0) {
                *stop = true;
                return rc;
            }
        }
        return 0;
    }
    rc = slow_start_batch(r, n, fn, e);
    if (rc < 0)
        *stop = true;
    return rc;
}

/* --- processReplica --- */

static int process_replica(struct sts_run *r, size_t i, bool *stop, struct sts_err *e)
{
    const json_t *pod = r->replicas_v[i];
    bool match;
    int rc;

    /* Failed or Succeeded (evicted, rejected, stopped by a node reboot): delete, and recreate
     * on a later pass once the old pod is gone. */
    if (sts__is_failed(pod) || sts__is_succeeded(pod)) {
        if (!sts__is_terminating(pod)) {
            sts__event(r->ctl, r->set, "Warning", "RecreatingFailedPod",
                       "StatefulSet %s/%s is recreating failed Pod %s", r->ns, r->name,
                       jpath_str(pod, "metadata.name"));
            rc = sts__delete_pod(r, r->set, pod, e);
            if (rc < 0) {
                *stop = true;
                return rc;
            }
        }
        *stop = true;
        return 0;
    }
    if (!sts__is_created(pod)) {
        if (sts__pod_claim_is_stale(r, r->set, pod)) {
            *stop = true; /* the garbage collector removes the stale claim first */
            return 0;
        }
        rc = sts__create_pod(r, r->set, pod, e);
        if (rc < 0 || r->monotonic)
            *stop = true;
        return rc; /* a placeholder has nothing more to check */
    }
    if (sts__is_pending(pod)) {
        rc = sts__create_missing_claims(r, r->set, pod, e);
        if (rc < 0) {
            *stop = true;
            return rc;
        }
    }
    if (r->monotonic) {
        if (sts__is_terminating(pod)) {
            *stop = true;
            return 0;
        }
        if (!sts__is_running_ready(pod) || !sts__is_available(pod, r->min_ready, r->now)) {
            /* berth §7 item 1: an out-of-date pod that is unavailable blocks nothing once
             * the template moved on; replace it instead of waiting for it forever */
            if (sts__stuck_replaceable(r, (int)i)) {
                rc = sts__delete_pod(r, r->set, pod, e);
                if (rc == 0 && r->status.current > 0 &&
                    !strcmp(sts__pod_revision(pod), r->cur_name))
                    r->status.current--;
                if (rc == -ENOENT)
                    rc = 0;
            } else {
                rc = 0;
            }
            *stop = true;
            return rc;
        }
    }
    sts__claims_match_retention(r, r->upd_set, pod, &match, e);
    if (sts__identity_matches(r->set, pod) && sts__storage_matches(r->set, pod) && match)
        return 0;
    rc = sts__update_pod(r, r->upd_set, pod, e);
    if (rc < 0)
        *stop = true;
    return rc;
}

/* --- condemned pods --- */

/* With whenScaled=Delete the claims of a condemned pod get the pod as owner before the pod is
 * deleted, so the garbage collector takes them with it. */
static int fix_pod_claim(struct sts_run *r, size_t i, bool *stop, struct sts_err *e)
{
    const json_t *pod = r->condemned[i];
    bool match;
    int rc;

    sts__claims_match_retention(r, r->upd_set, pod, &match, e);
    if (match)
        return 0;
    rc = sts__update_claims_for_retention(r, r->upd_set, pod, e);
    if (rc < 0)
        *stop = true;
    return rc;
}

static int process_condemned(struct sts_run *r, size_t i, bool *stop, struct sts_err *e)
{
    const json_t *pod = r->condemned[i];
    bool first = pod == r->first_unavailable;

    if (sts__is_terminating(pod)) {
        if (r->monotonic)
            *stop = true; /* wait for graceful termination */
        return 0;
    }
    if (r->monotonic && !first &&
        (!sts__is_running_ready(pod) || !sts__is_available(pod, r->min_ready, r->now))) {
        *stop = true;
        return 0;
    }
    *stop = true; /* one deletion per pass when monotonic */
    return sts__delete_pod(r, r->set, pod, e);
}

int sts__scale(struct sts_run *r, bool *stop, struct sts_err *e)
{
    int rc;

    *stop = false;
    rc = run_for_all(r, (size_t)r->replicas, process_replica, stop, e);
    if (*stop || rc < 0)
        return rc;
    rc = run_for_all(r, r->ncondemned, fix_pod_claim, stop, e);
    if (*stop || rc < 0)
        return rc;
    return run_for_all(r, r->ncondemned, process_condemned, stop, e);
}
