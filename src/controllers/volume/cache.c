/* cache.c — the controller's own newer copies of objects it wrote (see internal.h). Small by
 * construction: an entry lives only until the informer delivers that version, so a linear
 * array is enough. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/alloc.h"
#include "controllers/volume/internal.h"

void vol__cache_init(struct vol_cache *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->v = NULL;
    c->nr = c->alloc = 0;
}

static void drop(struct vol_cache *c, size_t i)
{
    free(c->v[i].key);
    json_decref(c->v[i].obj);
    c->v[i] = c->v[--c->nr];
}

void vol__cache_release(struct vol_cache *c)
{
    while (c->nr)
        drop(c, 0);
    free(c->v);
    c->v = NULL;
    c->alloc = 0;
    pthread_mutex_destroy(&c->mu);
}

static ssize_t find(struct vol_cache *c, const char *key)
{
    for (size_t i = 0; i < c->nr; i++)
        if (!strcmp(c->v[i].key, key))
            return (ssize_t)i;
    return -1;
}

void vol__cache_store(struct vol_cache *c, const char *key, json_t *obj)
{
    long long rv = vol__rv(obj);
    ssize_t i;

    if (!rv)
        return; /* without a numeric version nothing can be compared */
    pthread_mutex_lock(&c->mu);
    i = find(c, key);
    if (i >= 0) {
        if (c->v[i].rv < rv) {
            json_decref(c->v[i].obj);
            c->v[i].obj = json_incref(obj);
            c->v[i].rv = rv;
        }
    } else {
        ALLOC_GROW(c->v, c->nr + 1, c->alloc);
        c->v[c->nr].key = xstrdup(key);
        c->v[c->nr].rv = rv;
        c->v[c->nr].obj = json_incref(obj);
        c->nr++;
    }
    pthread_mutex_unlock(&c->mu);
}

void vol__cache_forget(struct vol_cache *c, const char *key)
{
    ssize_t i;

    pthread_mutex_lock(&c->mu);
    i = find(c, key);
    if (i >= 0)
        drop(c, (size_t)i);
    pthread_mutex_unlock(&c->mu);
}

size_t vol__cache_keys(struct vol_cache *c, char ***out)
{
    size_t n;

    pthread_mutex_lock(&c->mu);
    n = c->nr;
    *out = xcalloc(n ? n : 1, sizeof(**out));
    for (size_t i = 0; i < n; i++)
        (*out)[i] = xstrdup(c->v[i].key);
    pthread_mutex_unlock(&c->mu);
    return n;
}

json_t *vol__cache_newest(struct vol_cache *c, const char *key, json_t *informer_obj)
{
    json_t *res = informer_obj;
    ssize_t i;

    pthread_mutex_lock(&c->mu);
    i = find(c, key);
    if (i >= 0) {
        /* A different uid means the object was deleted and created again: the informer's
         * copy is the truth then, whatever the versions say. */
        const char *cu = vol__uid(c->v[i].obj);
        if (!informer_obj || strcmp(cu, vol__uid(informer_obj)) ||
            vol__rv(informer_obj) >= c->v[i].rv)
            drop(c, (size_t)i);
        else
            res = c->v[i].obj;
    }
    if (res)
        json_incref(res);
    pthread_mutex_unlock(&c->mu);
    return res;
}
