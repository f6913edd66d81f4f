/* map.c — the scheduler's string-keyed hash map (chained, FNV-1a, doubling at load 1). */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fnv.h"
#include "controllers/scheduler/internal.h"

static uint32_t hash_of(const char *key)
{
    return fnv32a(key, strlen(key), FNV32_INIT);
}

static struct sched__ent **slot(const struct sched__map *m, const char *key, uint32_t h)
{
    struct sched__ent **p = &m->b[h & (m->nb - 1)];
    while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
        p = &(*p)->next;
    return p;
}

void *sched__map_get(const struct sched__map *m, const char *key)
{
    if (!m->n)
        return NULL;
    struct sched__ent *e = *slot(m, key, hash_of(key));
    return e ? e->val : NULL;
}

static void grow(struct sched__map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    struct sched__ent **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < m->nb; i++) {
        struct sched__ent *e = m->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

void *sched__map_put(struct sched__map *m, const char *key, void *val)
{
    uint32_t h = hash_of(key);
    if (m->n >= m->nb)
        grow(m);
    struct sched__ent **p = slot(m, key, h);
    if (*p) {
        void *old = (*p)->val;
        (*p)->val = val;
        return old;
    }
    struct sched__ent *e = xmalloc(sizeof(*e));
    e->next = NULL;
    e->hash = h;
    e->key = xstrdup(key);
    e->val = val;
    *p = e;
    m->n++;
    return NULL;
}

void *sched__map_del(struct sched__map *m, const char *key)
{
    if (!m->n)
        return NULL;
    struct sched__ent **p = slot(m, key, hash_of(key));
    struct sched__ent *e = *p;
    if (!e)
        return NULL;
    void *val = e->val;
    *p = e->next;
    free(e->key);
    free(e);
    m->n--;
    return val;
}

struct sched__ent *sched__map_next(const struct sched__map *m, struct sched__ent *e)
{
    size_t i = 0;
    if (e) {
        if (e->next)
            return e->next;
        i = (e->hash & (m->nb - 1)) + 1;
    }
    for (; i < m->nb; i++)
        if (m->b[i])
            return m->b[i];
    return NULL;
}

void sched__map_clear(struct sched__map *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->nb; i++) {
        struct sched__ent *e = m->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            if (free_val)
                free_val(e->val);
            free(e->key);
            free(e);
        }
    }
    free(m->b);
    m->b = NULL;
    m->nb = m->n = 0;
}
