/* cache.c — what is requested on each node: the pods the informer shows bound there, plus the
 * pods the scheduler has chosen a node for and not yet seen bound (upstream's "assumed" pods).
 * Kept incrementally so that scheduling a pod never re-lists pods. The caller holds the
 * scheduler's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "controllers/scheduler/internal.h"

static void free_rec(void *p)
{
    struct pod_rec *r = p;
    if (!r)
        return;
    free(r->node);
    free(r->uid);
    sres_release(&r->req);
    free(r);
}

static void free_sum(void *p)
{
    struct node_sum *n = p;
    if (!n)
        return;
    sres_release(&n->req);
    free(n);
}

void sched__cache_release(struct sched_cache *c)
{
    sched__map_clear(&c->pods, free_rec);
    sched__map_clear(&c->nodes, free_sum);
}

static void account(struct sched_cache *c, const struct pod_rec *r, int sign)
{
    struct node_sum *n = sched__map_get(&c->nodes, r->node);
    if (!n) {
        n = xcalloc(1, sizeof(*n));
        sched__map_put(&c->nodes, r->node, n);
    }
    sres_add(&n->req, &r->req, sign);
    n->nz_cpu += sign * r->nz_cpu;
    n->nz_mem += sign * r->nz_mem;
    n->npods += sign;
    if (n->npods == 0)
        free_sum(sched__map_del(&c->nodes, r->node));
}

void sched__cache_set(struct sched_cache *c, const char *key, const json_t *pod, const char *node,
                      enum prec_state st)
{
    const char *uid = jpath_str(pod, "metadata.uid");
    struct pod_rec *r = sched__map_get(&c->pods, key);

    /* The same pod on the same node only changes state: requests are immutable. */
    if (r && !strcmp(r->node, node) && !strcmp(r->uid, uid ? uid : "")) {
        r->st = st;
        return;
    }
    if (r) {
        account(c, r, -1);
        free_rec(sched__map_del(&c->pods, key));
    }
    r = xcalloc(1, sizeof(*r));
    r->node = xstrdup(node);
    r->uid = xstrdup(uid ? uid : "");
    r->st = st;
    sched__pod_requests(pod, &r->req, &r->nz_cpu, &r->nz_mem);
    sched__map_put(&c->pods, key, r);
    account(c, r, 1);
}

struct pod_rec *sched__cache_get(struct sched_cache *c, const char *key)
{
    return sched__map_get(&c->pods, key);
}

void sched__cache_del(struct sched_cache *c, const char *key)
{
    struct pod_rec *r = sched__map_del(&c->pods, key);
    if (!r)
        return;
    account(c, r, -1);
    free_rec(r);
}

const struct node_sum *sched__cache_node(struct sched_cache *c, const char *node)
{
    return sched__map_get(&c->nodes, node);
}
