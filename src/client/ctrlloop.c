/* ctrlloop.c — controller workers: get -> sync -> forget | add_rate_limited -> done. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/ctrlloop.h"

struct ctrl_loop {
    char *name;
    struct workqueue *q;
    ctrl_sync_fn sync;
    void *ctx;
    int nworkers;
    pthread_t *workers;
    atomic_bool stopping; /* workers finish their key and leave, without draining the queue */
};

static void *worker_main(void *arg)
{
    struct ctrl_loop *l = arg;

    while (!atomic_load(&l->stopping)) {
        char *key = wq_get(l->q);
        if (!key)
            break;
        int rc = l->sync(l->ctx, key);
        if (rc == 0) {
            wq_forget(l->q, key);
        } else {
            /* Conflicts and throttling are routine for a level-triggered controller: the
             * retry will see fresh state. */
            if (rc == -ESTALE || rc == -EAGAIN || rc == -EEXIST)
                log_debug(l->name, "sync %s: %s; retrying", key, strerror(-rc));
            else
                log_warn(l->name, "sync %s: %s; retrying", key, strerror(rc < 0 ? -rc : rc));
            wq_add_rate_limited(l->q, key);
        }
        wq_done(l->q, key);
        free(key);
    }
    return NULL;
}

struct ctrl_loop *ctrl_loop_start(const char *name, struct workqueue *q, int workers,
                                  ctrl_sync_fn sync, void *ctx)
{
    struct ctrl_loop *l = xcalloc(1, sizeof(*l));
    l->name = xstrdup(name ? name : "controller");
    l->q = q;
    l->sync = sync;
    l->ctx = ctx;
    atomic_init(&l->stopping, false);
    if (workers < 1)
        workers = 1;
    l->workers = xcalloc((size_t)workers, sizeof(*l->workers));
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&l->workers[i], NULL, worker_main, l) != 0) {
            log_error(l->name, "cannot start worker %d", i);
            break;
        }
        l->nworkers++;
    }
    return l;
}

void ctrl_loop_stop(struct ctrl_loop *l)
{
    if (!l)
        return;
    atomic_store(&l->stopping, true);
    wq_shutdown(l->q);
    for (int i = 0; i < l->nworkers; i++)
        pthread_join(l->workers[i], NULL);
    free(l->workers);
    free(l->name);
    free(l);
}
