/* smap.c — a string-keyed hash map for the client layer's sets and caches.
 *
 * Open addressing with linear probing and tombstones; the table doubles at 3/4 occupancy
 * (tombstones included, so a churning work queue rehashes instead of degrading). */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fnv.h"
#include "client/internal.h"

char smap__tombstone[] = "";

static uint32_t hash_of(const char *key)
{
    return fnv32a(key, strlen(key), FNV32_INIT);
}

static bool live(const struct smap_slot *s)
{
    return s->key && s->key != SMAP_TOMBSTONE;
}

/* The slot holding key, or NULL. */
static struct smap_slot *lookup(const struct smap *m, const char *key, uint32_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct smap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != SMAP_TOMBSTONE && s->hash == h && !strcmp(s->key, key))
            return s;
    }
}

static void resize(struct smap *m, size_t cap)
{
    struct smap_slot *old = m->slots;
    size_t ocap = m->cap;

    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->used = m->n;
    for (size_t i = 0; i < ocap; i++) {
        if (!live(&old[i]))
            continue;
        size_t j = old[i].hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void **smap__get(struct smap *m, const char *key)
{
    struct smap_slot *s = lookup(m, key, hash_of(key));
    return s ? &s->val : NULL;
}

void **smap__put(struct smap *m, const char *key, bool *existed)
{
    uint32_t h = hash_of(key);
    struct smap_slot *s = lookup(m, key, h);

    if (existed)
        *existed = s != NULL;
    if (s)
        return &s->val;
    if ((m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        /* Mostly tombstones: rehash at the same size. */
        while ((m->n + 1) * 2 > cap)
            cap *= 2;
        resize(m, cap);
    }
    size_t mask = m->cap - 1, i = h & mask;
    while (live(&m->slots[i]))
        i = (i + 1) & mask;
    s = &m->slots[i];
    if (!s->key)
        m->used++;
    s->key = xstrdup(key);
    s->hash = h;
    s->val = NULL;
    m->n++;
    return &s->val;
}

bool smap__del(struct smap *m, const char *key, void **val)
{
    struct smap_slot *s = lookup(m, key, hash_of(key));
    if (!s)
        return false;
    if (val)
        *val = s->val;
    free(s->key);
    s->key = SMAP_TOMBSTONE;
    s->val = NULL;
    m->n--;
    return true;
}

void smap__release(struct smap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!live(&m->slots[i]))
            continue;
        free(m->slots[i].key);
        if (free_val)
            free_val(m->slots[i].val);
    }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

bool smap__next(const struct smap *m, size_t *i, const char **key, void **val)
{
    for (; *i < m->cap; (*i)++) {
        const struct smap_slot *s = &m->slots[*i];
        if (live(s)) {
            (*i)++;
            *key = s->key;
            if (val)
                *val = s->val;
            return true;
        }
    }
    return false;
}
