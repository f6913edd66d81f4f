/* ctrlloop.h — the worker side of a controller (STYLE.md "Controllers"):
 *   key = wq_get -> sync(key) -> 0: wq_forget | <0: wq_add_rate_limited -> wq_done
 * sync is level-triggered and idempotent; it reads informer caches and writes through the
 * client. A sync that wants to look again later calls wq_add_after itself.
 */
#ifndef BERTH_CTRLLOOP_H
#define BERTH_CTRLLOOP_H

#include "client/workqueue.h"

typedef int (*ctrl_sync_fn)(void *ctx, const char *key);

struct ctrl_loop;

/* Start `workers` threads serving q. q stays owned by the caller. */
struct ctrl_loop *ctrl_loop_start(const char *name, struct workqueue *q, int workers,
                                  ctrl_sync_fn sync, void *ctx);
/* Shut the queue down, wait for the workers to finish their current key, free. */
void ctrl_loop_stop(struct ctrl_loop *l);

#endif
