/* informer.c — shared informers: list, then watch from the list's resourceVersion, into a
 * local cache with listers and event handlers (client-go's Reflector + SharedIndexInformer,
 * without the DeltaFIFO: events are applied and delivered by the informer's own thread).
 *
 * Locks, outermost first:
 *   deliver  (mutex)  serialises "apply an event, then call the handlers" against handler
 *                     registration, so a new handler sees every object exactly once: either
 *                     in its initial on_add or in a later event;
 *   lock     (rwlock) the cache and its indexes; held only to apply or read, never while a
 *                     handler runs;
 *   mu       (mutex)  thread state: synced, stopping, interruptible sleeps.
 *
 * The cache is an AVL tree on (namespace, name) with a second tree on (owner uid, namespace,
 * name) and a third on (index, value, namespace, name) for the indexes users add, so an event
 * costs O(log n) and listers walk a range without sorting. Objects are shared by reference and
 * never modified once in the cache. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/internal.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define WATCH_TIMEOUT_S 300 /* plus up to as much again, at random, as client-go does */

struct oref {
    struct avl_node node; /* in inf->owners */
    const char *uid;      /* borrowed from the entry's object */
    struct ientry *e;
};

/* An entry's place under one value of an added index. */
struct iref {
    struct avl_node node; /* in inf->indexed */
    unsigned idx;         /* which of inf->indexes */
    char *val;            /* owned: index functions compute their values */
    struct ientry *e;
};

struct ientry {
    struct avl_node node; /* in inf->cache */
    char *ns, *name;
    json_t *obj;
    struct oref *orefs;
    size_t norefs;
    struct iref *irefs;
    size_t nirefs, airefs;
    unsigned mark; /* the relist that last saw it */
};

#define MAX_INDEXES 8

enum iev { IEV_ADD, IEV_UPDATE, IEV_DELETE };

struct ievent {
    enum iev type;
    json_t *old, *cur; /* references */
};

struct ievents {
    struct ievent *v;
    size_t n, alloc;
};

struct informer {
    struct kclient *c;
    enum res_id r;
    char *ns;         /* NULL: all namespaces */
    char *selector;   /* NULL: everything */
    const char *name; /* the resource's plural, for logs */

    pthread_mutex_t deliver;
    struct informer_handlers *handlers;
    size_t nhandlers, ahandlers;

    pthread_rwlock_t lock;
    struct avl_tree cache, owners, indexed;
    struct {
        const char *name; /* the caller's static string */
        informer_index_fn *fn;
    } indexes[MAX_INDEXES];
    unsigned nindexes;
    char last_rv[32];
    unsigned relists;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    atomic_bool synced;
    bool started, joined;
    volatile bool stop; /* also the watch's stop flag */
    pthread_t th;

    int watch_err;  /* an ERROR event ended the watch: -ETIME (410) or -EIO */
    size_t watched; /* events seen by the current watch */
};

static bool stopping(struct informer *inf)
{
    return __atomic_load_n(&inf->stop, __ATOMIC_ACQUIRE);
}

/* --- cache keys --- */

struct ikey {
    const char *a, *b, *c;
};

static int cmp_entry_key(const void *key, const struct avl_node *n)
{
    const struct ikey *k = key;
    const struct ientry *e = avl_entry(n, struct ientry, node);
    int c = strcmp(k->a, e->ns);
    return c ? c : strcmp(k->b, e->name);
}

static int cmp_entries(const struct avl_node *a, const struct avl_node *b)
{
    const struct ientry *e = avl_entry(a, struct ientry, node);
    struct ikey k = {e->ns, e->name, NULL};
    return cmp_entry_key(&k, b);
}

static int cmp_oref_key(const void *key, const struct avl_node *n)
{
    const struct ikey *k = key;
    const struct oref *o = avl_entry(n, struct oref, node);
    int c = strcmp(k->a, o->uid);
    if (c || !k->b)
        return c;
    c = strcmp(k->b, o->e->ns);
    return c ? c : strcmp(k->c, o->e->name);
}

static int cmp_orefs(const struct avl_node *a, const struct avl_node *b)
{
    const struct oref *o = avl_entry(a, struct oref, node);
    struct ikey k = {o->uid, o->e->ns, o->e->name};
    return cmp_oref_key(&k, b);
}

struct irkey {
    unsigned idx;
    const char *val;
};

/* Lookups compare (index, value) only: the lower bound is the first entry filed there. */
static int cmp_iref_key(const void *key, const struct avl_node *n)
{
    const struct irkey *k = key;
    const struct iref *r = avl_entry(n, struct iref, node);
    if (k->idx != r->idx)
        return k->idx < r->idx ? -1 : 1;
    return strcmp(k->val, r->val);
}

static int cmp_irefs(const struct avl_node *a, const struct avl_node *b)
{
    const struct iref *x = avl_entry(a, struct iref, node), *y = avl_entry(b, struct iref, node);
    struct irkey k = {x->idx, x->val};
    int c = cmp_iref_key(&k, b);
    if (c)
        return c;
    c = strcmp(x->e->ns, y->e->ns);
    return c ? c : strcmp(x->e->name, y->e->name);
}

/* The (ns, name) of an object in this informer's terms: ns "" for cluster-scoped kinds. */
static void names_of(const struct informer *inf, const json_t *obj, const char **ns,
                     const char **name)
{
    const json_t *meta = jget_obj(obj, "metadata");
    *ns = resource_get(inf->r)->namespaced ? jget_str(meta, "namespace") : NULL;
    *name = jget_str(meta, "name");
    if (!*ns)
        *ns = "";
    if (!*name)
        *name = "";
}

static struct ientry *find_entry(struct informer *inf, const char *ns, const char *name)
{
    struct ikey k = {resource_get(inf->r)->namespaced && ns ? ns : "", name ? name : "", NULL};
    struct avl_node *n = avl__find(&inf->cache, &k, cmp_entry_key);
    return n ? avl_entry(n, struct ientry, node) : NULL;
}

/* --- applying events (write lock held) --- */

static void index_owners(struct informer *inf, struct ientry *e)
{
    json_t *refs = jpath(e->obj, "metadata.ownerReferences");
    size_t i, n = json_array_size(refs);
    json_t *ref;

    e->orefs = n ? xcalloc(n, sizeof(*e->orefs)) : NULL;
    e->norefs = 0;
    json_array_foreach(refs, i, ref)
    {
        const char *uid = jget_str(ref, "uid");
        if (!uid)
            continue;
        struct oref *o = &e->orefs[e->norefs];
        o->uid = uid;
        o->e = e;
        if (!avl__insert(&inf->owners, &o->node))
            e->norefs++; /* a uid listed twice is indexed once */
    }
}

static void unindex_owners(struct informer *inf, struct ientry *e)
{
    for (size_t i = 0; i < e->norefs; i++)
        avl__remove(&inf->owners, &e->orefs[i].node);
    free(e->orefs);
    e->orefs = NULL;
    e->norefs = 0;
}

struct collect {
    struct ientry *e;
    unsigned idx;
};

static void collect_value(void *arg, const char *value)
{
    struct collect *c = arg;
    struct ientry *e = c->e;
    ALLOC_GROW(e->irefs, e->nirefs + 1, e->airefs);
    e->irefs[e->nirefs++] = (struct iref){.idx = c->idx, .val = xstrdup(value), .e = e};
}

/* File e under the values every added index gives it. The values are collected first and only
 * then linked into the tree, as growing the array moves it. */
static void index_named(struct informer *inf, struct ientry *e)
{
    size_t k = 0;

    for (unsigned i = 0; i < inf->nindexes; i++) {
        struct collect c = {e, i};
        inf->indexes[i].fn(e->obj, collect_value, &c);
    }
    for (size_t i = 0; i < e->nirefs; i++) {
        e->irefs[k] = e->irefs[i];
        if (avl__insert(&inf->indexed, &e->irefs[k].node))
            free(e->irefs[k].val); /* a value given twice is filed once */
        else
            k++;
    }
    e->nirefs = k;
}

static void unindex_named(struct informer *inf, struct ientry *e)
{
    for (size_t i = 0; i < e->nirefs; i++) {
        avl__remove(&inf->indexed, &e->irefs[i].node);
        free(e->irefs[i].val);
    }
    free(e->irefs);
    e->irefs = NULL;
    e->nirefs = e->airefs = 0;
}

static void push(struct ievents *evs, enum iev type, json_t *old, json_t *cur)
{
    ALLOC_GROW(evs->v, evs->n + 1, evs->alloc);
    evs->v[evs->n++] = (struct ievent){type, old, cur};
}

static void set_last_rv(struct informer *inf, const char *rv)
{
    if (rv && *rv)
        snprintf(inf->last_rv, sizeof(inf->last_rv), "%s", rv);
}

/* Add or replace obj (takes the reference). */
static void upsert(struct informer *inf, json_t *obj, struct ievents *evs)
{
    const char *ns, *name;
    names_of(inf, obj, &ns, &name);
    struct ientry *e = find_entry(inf, ns, name);
    if (e) {
        unindex_owners(inf, e);
        unindex_named(inf, e);
        push(evs, IEV_UPDATE, e->obj, json_incref(obj));
        e->obj = obj;
    } else {
        e = xcalloc(1, sizeof(*e));
        e->ns = xstrdup(ns);
        e->name = xstrdup(name);
        e->obj = obj;
        avl__insert(&inf->cache, &e->node);
        push(evs, IEV_ADD, NULL, json_incref(obj));
    }
    e->mark = inf->relists;
    index_owners(inf, e);
    index_named(inf, e);
}

static void remove_entry(struct informer *inf, struct ientry *e, json_t *final, struct ievents *evs)
{
    unindex_owners(inf, e);
    unindex_named(inf, e);
    avl__remove(&inf->cache, &e->node);
    push(evs, IEV_DELETE, NULL, final ? json_incref(final) : json_incref(e->obj));
    json_decref(e->obj);
    free(e->ns);
    free(e->name);
    free(e);
}

/* List items and bookmarks may lack kind and apiVersion: fill them before publishing, so
 * every cached object can go to the event recorder as it is. */
static void type_meta(struct informer *inf, json_t *obj)
{
    if (!jget_str(obj, "kind"))
        jset_str(obj, "kind", resource_get(inf->r)->kind);
    if (!jget_str(obj, "apiVersion"))
        jset_str(obj, "apiVersion", resource_get(inf->r)->gv);
}

/* --- delivery --- */

static void deliver(struct informer *inf, struct ievents *evs)
{
    for (size_t i = 0; i < evs->n; i++) {
        struct ievent *ev = &evs->v[i];
        for (size_t h = 0; h < inf->nhandlers; h++) {
            const struct informer_handlers *hd = &inf->handlers[h];
            if (ev->type == IEV_ADD && hd->on_add)
                hd->on_add(hd->ctx, ev->cur);
            else if (ev->type == IEV_UPDATE && hd->on_update)
                hd->on_update(hd->ctx, ev->old, ev->cur);
            else if (ev->type == IEV_DELETE && hd->on_delete)
                hd->on_delete(hd->ctx, ev->cur);
        }
        json_decref(ev->old);
        json_decref(ev->cur);
    }
    free(evs->v);
    memset(evs, 0, sizeof(*evs));
}

/* Replace the cache with a fresh list: differences become events. Consumes list. */
static void replace(struct informer *inf, json_t *list)
{
    struct ievents evs = {0};
    json_t *items = jget_arr(list, "items"), *it;
    size_t i;

    pthread_mutex_lock(&inf->deliver);
    pthread_rwlock_wrlock(&inf->lock);
    inf->relists++;
    json_array_foreach(items, i, it)
    {
        type_meta(inf, it);
        upsert(inf, json_incref(it), &evs);
    }
    /* What the list no longer has was deleted while we were not watching. */
    struct avl_node *n = avl__first(&inf->cache);
    while (n) {
        struct ientry *e = avl_entry(n, struct ientry, node);
        n = avl__next(n);
        if (e->mark != inf->relists)
            remove_entry(inf, e, NULL, &evs);
    }
    set_last_rv(inf, jpath_str(list, "metadata.resourceVersion"));
    pthread_rwlock_unlock(&inf->lock);
    deliver(inf, &evs);
    pthread_mutex_unlock(&inf->deliver);
    json_decref(list);
}

static int on_watch_event(void *ctx, const char *type, json_t *obj)
{
    struct informer *inf = ctx;
    struct ievents evs = {0};

    if (!strcmp(type, "ERROR")) {
        int64_t code = jget_int(obj, "code", 0);
        inf->watch_err = code == 410 ? -ETIME : -EIO;
        log_debug("informer", "%s: watch error %lld: %s", inf->name, (long long)code,
                  jget_str(obj, "message") ? jget_str(obj, "message") : "");
        return 1;
    }
    if (!json_is_object(obj))
        return 0;
    inf->watched++;
    if (!strcmp(type, "BOOKMARK")) {
        pthread_rwlock_wrlock(&inf->lock);
        set_last_rv(inf, jpath_str(obj, "metadata.resourceVersion"));
        pthread_rwlock_unlock(&inf->lock);
        return stopping(inf);
    }
    bool del = !strcmp(type, "DELETED");
    if (!del && strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))
        return 0;
    type_meta(inf, obj);

    pthread_mutex_lock(&inf->deliver);
    pthread_rwlock_wrlock(&inf->lock);
    if (del) {
        const char *ns, *name;
        names_of(inf, obj, &ns, &name);
        struct ientry *e = find_entry(inf, ns, name);
        if (e)
            remove_entry(inf, e, obj, &evs);
    } else {
        upsert(inf, json_incref(obj), &evs);
    }
    set_last_rv(inf, jpath_str(obj, "metadata.resourceVersion"));
    pthread_rwlock_unlock(&inf->lock);
    deliver(inf, &evs);
    pthread_mutex_unlock(&inf->deliver);
    return stopping(inf);
}

/* --- the list/watch thread --- */

/* Sleep ms unless stopped; false when stopped. */
static bool nap(struct informer *inf, int ms)
{
    pthread_mutex_lock(&inf->mu);
    int64_t until = mono__us() + (int64_t)ms * 1000;
    while (!stopping(inf) && cond__wait_until(&inf->cond, &inf->mu, until))
        ;
    bool go = !stopping(inf);
    pthread_mutex_unlock(&inf->mu);
    return go;
}

static void *run(void *arg)
{
    struct informer *inf = arg;
    struct klist_opts opts = {.label_selector = inf->selector};
    int backoff = BACKOFF_MIN_MS;
    bool need_list = true;
    int64_t listed_us = 0;
    char rv[32];
    unsigned seed = (unsigned)(uintptr_t)inf ^ (unsigned)mono__us();

    while (!stopping(inf)) {
        struct kstatus st;
        kfake__gap_open(inf->c);
        if (need_list) {
            json_t *list = NULL;
            int rc = kclient_list(inf->c, inf->r, inf->ns, &opts, &list, &st);
            if (rc < 0) {
                log_warn("informer", "%s: list: %s (%d %s)", inf->name, strerror(-rc), st.code,
                         st.message);
                if (!nap(inf, backoff))
                    break;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            replace(inf, list);
            need_list = false;
            listed_us = mono__us();
            if (!atomic_load(&inf->synced)) {
                pthread_mutex_lock(&inf->mu);
                atomic_store(&inf->synced, true);
                pthread_cond_broadcast(&inf->cond);
                pthread_mutex_unlock(&inf->mu);
            }
        }
        pthread_rwlock_rdlock(&inf->lock);
        memcpy(rv, inf->last_rv, sizeof(rv));
        pthread_rwlock_unlock(&inf->lock);

        inf->watch_err = 0;
        inf->watched = 0;
        int timeout = WATCH_TIMEOUT_S + (int)(rand_r(&seed) % WATCH_TIMEOUT_S);
        int64_t t0 = mono__us();
        int rc = kclient_watch(inf->c, inf->r, inf->ns, &opts, rv, timeout, on_watch_event, inf,
                               &inf->stop, &st);
        if (stopping(inf))
            break;
        if (rc == 0)
            rc = inf->watch_err;
        if (rc == -ETIME) {
            /* Our revision fell out of the server's history: list again, at once unless the
             * list we watch from is itself that fresh (then something else is wrong). */
            log_debug("informer", "%s: watch from %s expired; relisting", inf->name, rv);
            need_list = true;
            if (mono__us() - listed_us > 1000000) {
                backoff = BACKOFF_MIN_MS;
                continue;
            }
        } else if (rc < 0) {
            /* As client-go's reflector: after a failed watch, list again (the server may
             * have restarted with a new history). */
            log_warn("informer", "%s: watch: %s (%d %s)", inf->name, strerror(-rc), st.code,
                     st.message);
            need_list = true;
        } else if (inf->watched || mono__us() - t0 > 1000000) {
            backoff = BACKOFF_MIN_MS; /* a healthy stream that ended: watch again at once */
            continue;
        }
        /* A failed watch, or a stream that ended at once with nothing: back off. */
        if (!nap(inf, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    kfake__gap_close(inf->c);
    return NULL;
}

/* --- API --- */

struct informer *informer_new(struct kclient *c, enum res_id r, const char *ns,
                              const char *label_selector)
{
    struct informer *inf = xcalloc(1, sizeof(*inf));
    inf->c = c;
    inf->r = r;
    inf->ns = ns && *ns ? xstrdup(ns) : NULL;
    inf->selector = label_selector && *label_selector ? xstrdup(label_selector) : NULL;
    inf->name = resource_get(r)->plural;
    pthread_mutex_init(&inf->deliver, NULL);
    pthread_rwlock_init(&inf->lock, NULL);
    pthread_mutex_init(&inf->mu, NULL);
    cond__init_mono(&inf->cond);
    avl__init(&inf->cache, cmp_entries);
    avl__init(&inf->owners, cmp_orefs);
    avl__init(&inf->indexed, cmp_irefs);
    atomic_init(&inf->synced, false);
    return inf;
}

void informer_add_handlers(struct informer *inf, const struct informer_handlers *h)
{
    json_t **objs = NULL;
    size_t n = 0;

    pthread_mutex_lock(&inf->deliver);
    pthread_rwlock_rdlock(&inf->lock);
    if (inf->cache.n) {
        objs = xmalloc(inf->cache.n * sizeof(*objs));
        for (struct avl_node *x = avl__first(&inf->cache); x; x = avl__next(x))
            objs[n++] = json_incref(avl_entry(x, struct ientry, node)->obj);
    }
    pthread_rwlock_unlock(&inf->lock);
    for (size_t i = 0; i < n; i++) {
        if (h->on_add)
            h->on_add(h->ctx, objs[i]);
        json_decref(objs[i]);
    }
    free(objs);
    ALLOC_GROW(inf->handlers, inf->nhandlers + 1, inf->ahandlers);
    inf->handlers[inf->nhandlers++] = *h;
    pthread_mutex_unlock(&inf->deliver);
}

void informer_add_index(struct informer *inf, const char *name, informer_index_fn *fn)
{
    pthread_rwlock_wrlock(&inf->lock);
    for (unsigned i = 0; i < inf->nindexes; i++) {
        if (!strcmp(inf->indexes[i].name, name)) {
            assert(inf->indexes[i].fn == fn);
            pthread_rwlock_unlock(&inf->lock);
            return;
        }
    }
    assert(inf->nindexes < MAX_INDEXES);
    inf->indexes[inf->nindexes].name = name;
    inf->indexes[inf->nindexes].fn = fn;
    inf->nindexes++;
    /* what is cached already is filed again, under every index (a start-up cost, once) */
    for (struct avl_node *x = avl__first(&inf->cache); x; x = avl__next(x)) {
        struct ientry *e = avl_entry(x, struct ientry, node);
        unindex_named(inf, e);
        index_named(inf, e);
    }
    pthread_rwlock_unlock(&inf->lock);
}

int informer_start(struct informer *inf)
{
    int rc = 0;
    pthread_mutex_lock(&inf->mu);
    if (!inf->started && !stopping(inf)) {
        rc = -pthread_create(&inf->th, NULL, run, inf);
        inf->started = rc == 0;
    }
    pthread_mutex_unlock(&inf->mu);
    return rc;
}

bool informer_synced(struct informer *inf)
{
    return atomic_load(&inf->synced);
}

bool informer_wait_synced(struct informer *inf, int timeout_ms)
{
    int64_t until = mono__us() + (int64_t)timeout_ms * 1000;
    pthread_mutex_lock(&inf->mu);
    while (!atomic_load(&inf->synced) && cond__wait_until(&inf->cond, &inf->mu, until))
        ;
    bool ok = atomic_load(&inf->synced);
    pthread_mutex_unlock(&inf->mu);
    return ok;
}

/* Stop the thread and wait for it; the cache stays readable. Idempotent. */
static void informer_stop(struct informer *inf)
{
    pthread_mutex_lock(&inf->mu);
    __atomic_store_n(&inf->stop, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&inf->cond);
    bool join = inf->started && !inf->joined;
    inf->joined = true;
    pthread_mutex_unlock(&inf->mu);
    if (join)
        pthread_join(inf->th, NULL);
}

void informer_free(struct informer *inf)
{
    if (!inf)
        return;
    informer_stop(inf);

    struct avl_node *n;
    while ((n = inf->cache.root)) {
        struct ientry *e = avl_entry(n, struct ientry, node);
        unindex_owners(inf, e);
        unindex_named(inf, e);
        avl__remove(&inf->cache, n);
        json_decref(e->obj);
        free(e->ns);
        free(e->name);
        free(e);
    }
    free(inf->handlers);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->mu);
    pthread_rwlock_destroy(&inf->lock);
    pthread_mutex_destroy(&inf->deliver);
    free(inf->ns);
    free(inf->selector);
    free(inf);
}

enum res_id informer_resource(const struct informer *inf)
{
    return inf->r;
}

const char *informer_last_rv(struct informer *inf)
{
    return inf->last_rv;
}

/* --- listers --- */

json_t *informer_get(struct informer *inf, const char *ns, const char *name)
{
    pthread_rwlock_rdlock(&inf->lock);
    struct ientry *e = find_entry(inf, ns, name);
    json_t *v = e ? json_incref(e->obj) : NULL;
    pthread_rwlock_unlock(&inf->lock);
    return v;
}

size_t informer_list(struct informer *inf, const char *ns, const struct label_selector *sel,
                     json_t ***out)
{
    json_t **v = NULL;
    size_t n = 0, alloc = 0;
    bool by_ns = ns && resource_get(inf->r)->namespaced;

    pthread_rwlock_rdlock(&inf->lock);
    struct ikey k = {by_ns ? ns : "", "", NULL};
    struct avl_node *x =
        by_ns ? avl__lower_bound(&inf->cache, &k, cmp_entry_key) : avl__first(&inf->cache);
    for (; x; x = avl__next(x)) {
        struct ientry *e = avl_entry(x, struct ientry, node);
        if (by_ns && strcmp(e->ns, ns))
            break;
        if (sel && !label_selector_matches(sel, jpath(e->obj, "metadata.labels")))
            continue;
        ALLOC_GROW(v, n + 1, alloc);
        v[n++] = json_incref(e->obj);
    }
    pthread_rwlock_unlock(&inf->lock);
    *out = v;
    return n;
}

size_t informer_by_owner(struct informer *inf, const char *owner_uid, json_t ***out)
{
    json_t **v = NULL;
    size_t n = 0, alloc = 0;

    pthread_rwlock_rdlock(&inf->lock);
    struct ikey k = {owner_uid ? owner_uid : "", NULL, NULL};
    for (struct avl_node *x = avl__lower_bound(&inf->owners, &k, cmp_oref_key); x;
         x = avl__next(x)) {
        struct oref *o = avl_entry(x, struct oref, node);
        if (strcmp(o->uid, k.a))
            break;
        ALLOC_GROW(v, n + 1, alloc);
        v[n++] = json_incref(o->e->obj);
    }
    pthread_rwlock_unlock(&inf->lock);
    *out = v;
    return n;
}

size_t informer_by_index(struct informer *inf, const char *name, const char *value, json_t ***out)
{
    json_t **v = NULL;
    size_t n = 0, alloc = 0;
    unsigned i;

    pthread_rwlock_rdlock(&inf->lock);
    for (i = 0; i < inf->nindexes && strcmp(inf->indexes[i].name, name); i++)
        ;
    struct irkey k = {i, value};
    for (struct avl_node *x = i < inf->nindexes ? avl__lower_bound(&inf->indexed, &k, cmp_iref_key)
                                                : NULL;
         x && !cmp_iref_key(&k, x); x = avl__next(x)) {
        ALLOC_GROW(v, n + 1, alloc);
        v[n++] = json_incref(avl_entry(x, struct iref, node)->e->obj);
    }
    pthread_rwlock_unlock(&inf->lock);
    *out = v;
    return n;
}

void informer_list_free(json_t **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(items[i]);
    free(items);
}

/* --- keys --- */

char *obj_key(const json_t *obj)
{
    const char *ns = jpath_str(obj, "metadata.namespace");
    const char *name = jpath_str(obj, "metadata.name");
    if (ns && *ns)
        return xasprintf("%s/%s", ns, name ? name : "");
    return xstrdup(name ? name : "");
}

void key_split(const char *key, char **ns, char **name)
{
    const char *slash = strchr(key, '/');
    if (!slash) {
        *ns = xstrdup("");
        *name = xstrdup(key);
        return;
    }
    *ns = xstrndup(key, (size_t)(slash - key));
    *name = xstrdup(slash + 1);
}

/* --- the factory --- */

struct informer_factory {
    struct kclient *c;
    pthread_mutex_t mu;
    struct informer *infs[RES_COUNT];
    bool started, stopped;
};

struct informer_factory *informer_factory_new(struct kclient *c)
{
    struct informer_factory *f = xcalloc(1, sizeof(*f));
    f->c = c;
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

struct informer *informer_factory_get(struct informer_factory *f, enum res_id r)
{
    pthread_mutex_lock(&f->mu);
    if (!f->infs[r]) {
        f->infs[r] = informer_new(f->c, r, NULL, NULL);
        if (f->started)
            informer_start(f->infs[r]);
    }
    struct informer *inf = f->infs[r];
    pthread_mutex_unlock(&f->mu);
    return inf;
}

void informer_factory_start(struct informer_factory *f)
{
    pthread_mutex_lock(&f->mu);
    f->started = !f->stopped;
    for (int r = 0; r < RES_COUNT; r++)
        if (f->infs[r])
            informer_start(f->infs[r]);
    pthread_mutex_unlock(&f->mu);
}

bool informer_factory_wait_synced(struct informer_factory *f, int timeout_ms)
{
    int64_t until = mono__us() + (int64_t)timeout_ms * 1000;
    for (int r = 0; r < RES_COUNT; r++) {
        pthread_mutex_lock(&f->mu);
        struct informer *inf = f->infs[r];
        pthread_mutex_unlock(&f->mu);
        if (!inf)
            continue;
        int64_t left = (until - mono__us()) / 1000;
        if (!informer_wait_synced(inf, left > 0 ? (int)left : 0))
            return false;
    }
    return true;
}

void informer_factory_stop(struct informer_factory *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->started = false; /* informers asked for later stay unstarted */
    f->stopped = true;
    pthread_mutex_unlock(&f->mu);
    for (int r = 0; r < RES_COUNT; r++) {
        pthread_mutex_lock(&f->mu);
        struct informer *inf = f->infs[r];
        pthread_mutex_unlock(&f->mu);
        if (inf)
            informer_stop(inf);
    }
}

void informer_factory_free(struct informer_factory *f)
{
    if (!f)
        return;
    for (int r = 0; r < RES_COUNT; r++)
        informer_free(f->infs[r]);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
