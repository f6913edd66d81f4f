/* cache.c — the watch cache: objects per resource, sorted, plus a ring of recent events.
 *
 * One rwlock guards the object arrays and the ring. The store's watch callback takes it for
 * writing (it runs inside the store's commit, before the write is acknowledged, so a client
 * reads its own writes); GET and LIST take it for reading just long enough to take
 * references. Fan-out to watchers is not on that path: the callback appends the event to a
 * queue that one dispatcher thread drains into each watcher's own small queue (mutex +
 * condvar), pre-filtered, so neither a write nor a slow client waits on the other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/schema.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "server/cache.h"

#define DEFAULT_RING 2048
/* A watcher whose client does not keep up is closed past this many queued events, as
 * upstream closes a watch whose result channel is full. */
#define WATCHER_QUEUE_MAX 100000

/* --- Objects --- */

static const struct sch_type *objmeta_type(void)
{
    static const struct sch_type *t;
    if (!t)
        t = sch_type_find("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    return t;
}

/* Set metadata.resourceVersion keeping ObjectMeta's field order (it follows uid). */
static void set_rv_ordered(json_t *obj, int64_t rev)
{
    char rv[24];
    json_t *meta = jget_obj(obj, "metadata");
    const struct sch_type *mt = objmeta_type();

    snprintf(rv, sizeof(rv), "%lld", (long long)rev);
    if (!meta) {
        meta = json_object();
        json_object_set_new(obj, "metadata", meta);
    }
    if (json_object_get(meta, "resourceVersion") || !mt) {
        jset_str(meta, "resourceVersion", rv);
        return;
    }
    /* Rebuild in schema order; unknown keys (none after decoding) keep their place at the end. */
    json_t *m2 = json_object();
    for (size_t i = 0; i < mt->nfields; i++) {
        const char *k = mt->fields[i].name;
        if (!strcmp(k, "resourceVersion"))
            jset_str(m2, k, rv);
        else if (json_object_get(meta, k))
            json_object_set(m2, k, json_object_get(meta, k));
    }
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v)
    {
        if (!json_object_get(m2, k))
            json_object_set(m2, k, v);
    }
    json_object_set_new(obj, "metadata", m2);
}

/* ,"key":value (no comma first), unless value is NULL or key is the resourceVersion. */
static void dump_member(struct strbuf *sb, bool *first, const char *key, const json_t *value)
{
    if (!value || !strcmp(key, "resourceVersion"))
        return;
    if (!*first)
        strbuf_addch(sb, ',');
    *first = false;
    strbuf_add_json_str(sb, key);
    strbuf_addch(sb, ':');
    json_dump_to(sb, value);
}

/* Serialise json (all keys but kind, apiVersion and metadata.resourceVersion) after a
 * {"kind":..,"apiVersion":.. prefix: the layout the store keeps and obj_from_stored expects. */
static void dump_stored(struct strbuf *sb, const struct resource *r, const json_t *json)
{
    const char *k, *mk;
    json_t *v, *mv;

    strbuf_addstr(sb, "{\"kind\":");
    strbuf_add_json_str(sb, r->kind);
    strbuf_addstr(sb, ",\"apiVersion\":");
    strbuf_add_json_str(sb, r->gv);
    json_object_foreach((json_t *)json, k, v)
    {
        if (!strcmp(k, "kind") || !strcmp(k, "apiVersion"))
            continue;
        strbuf_addch(sb, ',');
        strbuf_add_json_str(sb, k);
        strbuf_addch(sb, ':');
        if (strcmp(k, "metadata") || !json_is_object(v)) {
            json_dump_to(sb, v);
            continue;
        }
        /* ObjectMeta's field order, whatever order the keys were set in (uid after the
         * name, before labels and ownerReferences: splice_rv relies on it); unknown keys
         * last. */
        const struct sch_type *mt = objmeta_type();
        bool first = true;
        strbuf_addch(sb, '{');
        for (size_t i = 0; mt && i < mt->nfields; i++)
            dump_member(sb, &first, mt->fields[i].name, json_object_get(v, mt->fields[i].name));
        json_object_foreach(v, mk, mv)
        {
            if (!mt || !sch_field_find(mt, mk))
                dump_member(sb, &first, mk, mv);
        }
        strbuf_addch(sb, '}');
    }
    strbuf_addch(sb, '}');
}

char *obj_stored_bytes(const struct resource *r, const json_t *json, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_grow(&sb, 1024);
    dump_stored(&sb, r, json);
    return strbuf_detach(&sb, len);
}

/* The served bytes: the stored bytes with "resourceVersion" spliced in right after the uid,
 * where ObjectMeta's field order puts it. Returns false if the stored bytes do not have the
 * layout dump_stored writes (then the caller serialises). */
static bool splice_rv(const struct resource *r, const char *b, size_t len, int64_t rev,
                      struct strbuf *out, size_t *rest_off)
{
    struct strbuf pfx = STRBUF_INIT;
    strbuf_addstr(&pfx, "{\"kind\":");
    strbuf_add_json_str(&pfx, r->kind);
    strbuf_addstr(&pfx, ",\"apiVersion\":");
    strbuf_add_json_str(&pfx, r->gv);
    strbuf_addstr(&pfx, ",\"metadata\":{");
    bool ok = len > pfx.len && !memcmp(b, pfx.buf, pfx.len);
    size_t moff = pfx.len;
    strbuf_release(&pfx);
    if (!ok)
        return false;
    /* metadata's keys before uid are name, generateName, namespace, selfLink: strings
     * without quotes in them, so the first "uid":" is metadata.uid. */
    const char *u = memmem(b + moff, len - moff, "\"uid\":\"", 7);
    if (!u)
        return false;
    /* ...unless bytes of another layout put an object or a list (ownerReferences, whose
     * entries have a uid of their own) before it */
    for (const char *p = b + moff; p < u; p++)
        if (*p == '{' || *p == '[')
            return false;
    const char *end = memchr(u + 7, '"', len - (size_t)(u + 7 - b));
    if (!end)
        return false;
    size_t at = (size_t)(end + 1 - b);
    strbuf_grow(out, len + 48);
    strbuf_add(out, b, at);
    strbuf_addf(out, ",\"resourceVersion\":\"%lld\"", (long long)rev);
    strbuf_add(out, b + at, len - at);
    *rest_off = moff - strlen("\"metadata\":{");
    return true;
}

struct obj *obj_from_stored(const struct resource *r, const char *bytes, size_t len, json_t *json,
                            int64_t rev, int64_t create_rev)
{
    struct obj *o;
    struct strbuf sb = STRBUF_INIT;

    if (!json) {
        json_error_t je;
        json = json_loadb(bytes, len, 0, &je);
        if (!json || !json_is_object(json)) {
            json_decref(json);
            return NULL;
        }
    }
    o = xcalloc(1, sizeof(*o));
    atomic_init(&o->refs, 1);
    o->res = r;
    o->rev = rev;
    o->create_rev = create_rev;
    if (!jget_str(json, "kind"))
        jset_str(json, "kind", r->kind);
    if (!jget_str(json, "apiVersion"))
        jset_str(json, "apiVersion", r->gv);
    set_rv_ordered(json, rev);
    o->json = json;

    if (!bytes || !splice_rv(r, bytes, len, rev, &sb, &o->rest_off)) {
        /* Not in the stored layout (data from elsewhere): serialise the whole object. */
        strbuf_reset(&sb);
        dump_stored(&sb, r, json);
        char *tmp = strbuf_detach(&sb, &len);
        if (!splice_rv(r, tmp, len, rev, &sb, &o->rest_off)) {
            /* No uid: keep the bytes without a resourceVersion rather than lose the object. */
            strbuf_reset(&sb);
            strbuf_add(&sb, tmp, len);
            o->rest_off = strlen("{\"kind\":\"\",\"apiVersion\":\"\",") + strlen(r->kind) +
                          strlen(r->gv);
        }
        free(tmp);
    }
    o->bytes = strbuf_detach(&sb, &o->len);

    json_t *meta = jget_obj(json, "metadata");
    o->ns = jget_str(meta, "namespace");
    if (!o->ns)
        o->ns = "";
    o->name = jget_str(meta, "name");
    if (!o->name)
        o->name = "";
    o->labels = jget_obj(meta, "labels");
    return o;
}

struct obj *obj_new(const struct resource *r, json_t *json, int64_t rev, int64_t create_rev)
{
    return obj_from_stored(r, NULL, 0, json, rev, create_rev);
}

struct obj *obj_ref(struct obj *o)
{
    atomic_fetch_add(&o->refs, 1);
    return o;
}

void obj_unref(struct obj *o)
{
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    json_decref(o->json);
    free(o->bytes);
    free(o);
}

void obj_append_item(const struct obj *o, struct strbuf *sb)
{
    strbuf_addch(sb, '{');
    strbuf_add(sb, o->bytes + o->rest_off, o->len - o->rest_off);
}

/* --- Events --- */

static struct cache_event *event_new(enum cache_ev_type type, int64_t rev, const struct resource *r,
                                     struct obj *obj, struct obj *prev)
{
    struct cache_event *e = xcalloc(1, sizeof(*e));
    atomic_init(&e->refs, 1);
    e->type = type;
    e->rev = rev;
    e->res = r;
    e->obj = obj;
    e->prev = prev;
    pthread_mutex_init(&e->frame_lock, NULL);
    return e;
}

struct cache_event *cache_event_ref(struct cache_event *e)
{
    atomic_fetch_add(&e->refs, 1);
    return e;
}

void cache_event_unref(struct cache_event *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    obj_unref(e->obj);
    obj_unref(e->prev);
    free(e->frame_json);
    pthread_mutex_destroy(&e->frame_lock);
    free(e);
}

/* --- Filters --- */

struct field_ctx {
    const struct obj *o;
};

static const char *field_get(void *ctx, const char *field)
{
    const struct obj *o = ((struct field_ctx *)ctx)->o;
    const char *val = NULL;
    if (!strcmp(field, "metadata.name"))
        return o->name;
    if (!strcmp(field, "metadata.namespace"))
        return o->ns;
    const struct res_strategy *st = res_strategy(o->res->id);
    if (st->field_value && st->field_value(o->json, field, &val))
        return val ? val : "";
    return "";
}

bool cache_filter_matches(const struct cache_filter *f, const struct obj *o)
{
    if (!f)
        return true;
    if (f->ns && *f->ns && strcmp(f->ns, o->ns))
        return false;
    if (f->name && strcmp(f->name, o->name))
        return false;
    if (f->labels && !label_selector_matches(f->labels, o->labels))
        return false;
    if (f->fields) {
        struct field_ctx ctx = {o};
        if (!field_selector_matches(f->fields, field_get, &ctx))
            return false;
    }
    return true;
}

/* --- The cache --- */

struct rcache {
    struct obj **items; /* sorted by (ns, name) */
    size_t nr, alloc;
    struct cache_watcher *watchers; /* doubly linked */
};

struct qitem {
    struct cache_event *ev;
    enum cache_ev_type type;
};

struct cache_watcher {
    struct cache *c;
    const struct resource *res;
    struct cache_filter f;
    struct cache_watcher *prev, *next;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct qitem *q;
    size_t qhead, qnr, qalloc; /* queue: q[qhead .. qhead+qnr) */
    int64_t last_rev;
    int64_t start_rev; /* events up to this revision were replayed at registration */
    bool closed;
    bool registered;
};

struct hint {
    char *key;
    const char *bytes; /* borrowed from the writer, valid until cache_unhint */
    size_t len;
    json_t *json;
};

struct cache {
    struct store *store;
    /* Fan-out to watchers runs on its own thread, off the write path: writes only append to
     * the dispatch queue (events in revision order; NULL events are revisions with nothing to
     * deliver). The watcher lists are guarded by wlock, which the dispatcher, registration
     * and unregistration take; registration also holds the cache lock so that its replay and
     * the dispatcher's deliveries meet exactly at start_rev. */
    pthread_mutex_t wlock;
    pthread_mutex_t dq_lock;
    pthread_cond_t dq_cond;
    struct dq_item {
        struct cache_event *ev;
        int64_t rev;
    } *dq;
    size_t dq_nr, dq_alloc;
    bool dq_stop;
    pthread_t dispatcher;
    bool dispatcher_running;
    atomic_llong dispatched_rev; /* every event up to here has been handed to its watchers */
    pthread_mutex_t hint_lock;
    struct hint *hints;
    size_t nhints, ahints;
    struct store_watch *sw;
    pthread_rwlock_t lock;
    struct rcache res[RES_COUNT];
    int64_t rev;
    pthread_mutex_t rev_lock;
    pthread_cond_t rev_cond;
    struct cache_event **ring;
    size_t cap, start, count;
    int64_t oldest_rev; /* the ring holds every event with rev > oldest_rev */
};

static int cmp_key(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
    int c = strcmp(ns1, ns2);
    return c ? c : strcmp(n1, n2);
}

/* Index of the first item >= (ns, name). */
static size_t lower_bound(const struct rcache *rc, const char *ns, const char *name)
{
    size_t lo = 0, hi = rc->nr;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_key(rc->items[mid]->ns, rc->items[mid]->name, ns, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Parse a registry key into resource, namespace and name (pointers into a copy in buf). */
static const struct resource *parse_key(const char *key, char *buf, size_t bufsz,
                                        const char **ns, const char **name)
{
    static const char pfx[] = "/registry/";
    if (strncmp(key, pfx, sizeof(pfx) - 1))
        return NULL;
    snprintf(buf, bufsz, "%s", key + sizeof(pfx) - 1);
    char *plural = buf, *rest = strchr(buf, '/');
    if (!rest)
        return NULL;
    *rest++ = '\0';
    const struct resource *r = NULL;
    for (int i = 0; i < RES_COUNT; i++)
        if (!strcmp(resources[i].plural, plural))
            r = &resources[i];
    if (!r)
        return NULL;
    if (r->namespaced) {
        char *slash = strchr(rest, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
        *ns = rest;
        *name = slash + 1;
    } else {
        *ns = "";
        *name = rest;
    }
    return r;
}

static json_t *take_hint(struct cache *c, const struct store_kv *kv);

static struct obj *decode_value(struct cache *c, const struct resource *r,
                                const struct store_kv *kv, int64_t rev)
{
    /* The writer of this revision may have left the parsed object: no need to parse. */
    json_t *j = c ? take_hint(c, kv) : NULL;
    struct obj *o = obj_from_stored(r, kv->value, kv->value_len, j, rev, kv->create_rev);
    if (!o)
        log_error("cache", "undecodable value at %s", kv->key);
    return o;
}

static void ring_push(struct cache *c, struct cache_event *e)
{
    if (c->count == c->cap) {
        struct cache_event *old = c->ring[c->start];
        c->oldest_rev = old->rev;
        cache_event_unref(old);
        c->start = (c->start + 1) % c->cap;
        c->count--;
    }
    c->ring[(c->start + c->count) % c->cap] = e;
    c->count++;
}

/* Queue an event for a watcher (caller holds the cache lock). */
static void watcher_push(struct cache_watcher *w, struct cache_event *e, enum cache_ev_type type)
{
    pthread_mutex_lock(&w->lock);
    if (!w->closed) {
        if (w->qnr >= WATCHER_QUEUE_MAX) {
            log_warn("cache", "closing a %s watch that fell %d events behind", w->res->plural,
                     WATCHER_QUEUE_MAX);
            w->closed = true;
        } else {
            if (w->qhead + w->qnr == w->qalloc && w->qhead > 0) {
                memmove(w->q, w->q + w->qhead, w->qnr * sizeof(*w->q));
                w->qhead = 0;
            }
            ALLOC_GROW(w->q, w->qhead + w->qnr + 1, w->qalloc);
            w->q[w->qhead + w->qnr++] = (struct qitem){cache_event_ref(e), type};
        }
        /* Only a reader waiting on an empty queue needs waking; while the queue is not empty
         * it is not waiting (this write runs under the store's commit lock: keep it short). */
        if (w->qnr == 1 || w->closed)
            pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

/* What a watcher with filter f sees of event e, as upstream's watch cache decides it. */
static bool filter_event(const struct cache_filter *f, const struct cache_event *e,
                         enum cache_ev_type *out)
{
    bool cur = cache_filter_matches(f, e->obj);
    bool old = e->prev && cache_filter_matches(f, e->prev);
    switch (e->type) {
    case CACHE_ADDED:
        *out = CACHE_ADDED;
        return cur;
    case CACHE_DELETED:
        *out = CACHE_DELETED;
        return cur || old;
    case CACHE_MODIFIED:
        if (cur && old)
            *out = CACHE_MODIFIED;
        else if (cur)
            *out = CACHE_ADDED;
        else if (old)
            *out = CACHE_DELETED;
        else
            return false;
        return true;
    }
    return false;
}

static void dispatch_enqueue(struct cache *c, struct cache_event *e, int64_t rev)
{
    pthread_mutex_lock(&c->dq_lock);
    ALLOC_GROW(c->dq, c->dq_nr + 1, c->dq_alloc);
    c->dq[c->dq_nr++] = (struct dq_item){e, rev};
    if (c->dq_nr == 1)
        pthread_cond_signal(&c->dq_cond);
    pthread_mutex_unlock(&c->dq_lock);
}

static void *dispatcher_main(void *arg)
{
    struct cache *c = arg;
    struct dq_item *batch = NULL;
    size_t nr = 0, alloc = 0;

    for (;;) {
        pthread_mutex_lock(&c->dq_lock);
        while (!c->dq_nr && !c->dq_stop)
            pthread_cond_wait(&c->dq_cond, &c->dq_lock);
        if (!c->dq_nr && c->dq_stop) {
            pthread_mutex_unlock(&c->dq_lock);
            break;
        }
        /* Take the whole queue: swap buffers. */
        struct dq_item *tmp = batch;
        size_t tmp_alloc = alloc;
        batch = c->dq;
        nr = c->dq_nr;
        alloc = c->dq_alloc;
        c->dq = tmp;
        c->dq_alloc = tmp_alloc;
        c->dq_nr = 0;
        pthread_mutex_unlock(&c->dq_lock);

        pthread_mutex_lock(&c->wlock);
        for (size_t i = 0; i < nr; i++) {
            struct cache_event *e = batch[i].ev;
            if (!e)
                continue;
            for (struct cache_watcher *w = c->res[e->res->id].watchers; w; w = w->next) {
                enum cache_ev_type t;
                if (e->rev > w->start_rev && filter_event(&w->f, e, &t))
                    watcher_push(w, e, t);
            }
        }
        pthread_mutex_unlock(&c->wlock);
        for (size_t i = 0; i < nr; i++)
            cache_event_unref(batch[i].ev);
        if (nr)
            atomic_store(&c->dispatched_rev, batch[nr - 1].rev);
    }
    free(batch);
    return NULL;
}

static void on_store_event(void *ctx, const struct store_event *sev)
{
    struct cache *c = ctx;
    char buf[512];
    const char *ns, *name;
    const struct resource *r = parse_key(sev->kv.key, buf, sizeof(buf), &ns, &name);

    if (!r) {
        /* Not an object key (e.g. an allocator's bookkeeping): only the revision moves. */
        pthread_rwlock_wrlock(&c->lock);
        goto advance;
    }
    /* A deletion carries the last value: its object is not the writer's hint. */
    struct obj *o = decode_value(sev->type == STORE_EV_DELETE ? NULL : c, r, &sev->kv,
                                 sev->kv.mod_rev);
    pthread_rwlock_wrlock(&c->lock);
    if (!o)
        goto advance;

    struct rcache *rc = &c->res[r->id];
    size_t i = lower_bound(rc, o->ns, o->name);
    bool exists = i < rc->nr && !cmp_key(rc->items[i]->ns, rc->items[i]->name, o->ns, o->name);
    struct obj *prev = exists ? rc->items[i] : NULL;
    struct cache_event *e;

    if (sev->type == STORE_EV_DELETE) {
        if (exists) {
            memmove(rc->items + i, rc->items + i + 1, (rc->nr - i - 1) * sizeof(*rc->items));
            rc->nr--;
        }
        e = event_new(CACHE_DELETED, sev->rev, r, o, prev);
    } else {
        if (exists) {
            rc->items[i] = obj_ref(o);
        } else {
            ALLOC_GROW(rc->items, rc->nr + 1, rc->alloc);
            memmove(rc->items + i + 1, rc->items + i, (rc->nr - i) * sizeof(*rc->items));
            rc->items[i] = obj_ref(o);
            rc->nr++;
        }
        e = event_new(exists ? CACHE_MODIFIED : CACHE_ADDED, sev->rev, r, o, prev);
    }
    ring_push(c, e);
    dispatch_enqueue(c, cache_event_ref(e), sev->rev);
    goto advanced;

advance:
    dispatch_enqueue(c, NULL, sev->rev);
advanced:
    pthread_mutex_lock(&c->rev_lock);
    if (sev->rev > c->rev)
        c->rev = sev->rev;
    pthread_cond_broadcast(&c->rev_cond);
    pthread_mutex_unlock(&c->rev_lock);
    pthread_rwlock_unlock(&c->lock);
}

void cache_hint(struct cache *c, const char *key, const char *bytes, size_t len, json_t *json)
{
    pthread_mutex_lock(&c->hint_lock);
    ALLOC_GROW(c->hints, c->nhints + 1, c->ahints);
    c->hints[c->nhints++] = (struct hint){xstrdup(key), bytes, len, json_incref(json)};
    pthread_mutex_unlock(&c->hint_lock);
}

static void hint_drop(struct cache *c, size_t i)
{
    free(c->hints[i].key);
    json_decref(c->hints[i].json);
    c->hints[i] = c->hints[--c->nhints];
}

void cache_unhint(struct cache *c, const char *key, const char *bytes)
{
    pthread_mutex_lock(&c->hint_lock);
    for (size_t i = 0; i < c->nhints; i++)
        if (c->hints[i].bytes == bytes && !strcmp(c->hints[i].key, key)) {
            hint_drop(c, i);
            break;
        }
    pthread_mutex_unlock(&c->hint_lock);
}

/* The parsed object a writer registered for exactly these bytes at this key, if any. */
static json_t *take_hint(struct cache *c, const struct store_kv *kv)
{
    json_t *j = NULL;
    pthread_mutex_lock(&c->hint_lock);
    for (size_t i = 0; i < c->nhints; i++) {
        struct hint *h = &c->hints[i];
        if (h->len == kv->value_len && !strcmp(h->key, kv->key) &&
            !memcmp(h->bytes, kv->value, h->len)) {
            j = json_incref(h->json);
            hint_drop(c, i);
            break;
        }
    }
    pthread_mutex_unlock(&c->hint_lock);
    return j;
}

/* Loading at start: the store's list is copied out first, then parsed on every core (parsing
 * is most of a restart's time), then inserted in key order. */
struct load_item {
    const struct resource *r;
    char *key;
    char *value;
    size_t len;
    int64_t create_rev, mod_rev;
    struct obj *o;
};

struct load_ctx {
    struct load_item *v;
    size_t nr, alloc;
    atomic_size_t next; /* work distribution among parsers */
};

static void on_load(void *ctx, const struct store_kv *kv)
{
    struct load_ctx *lc = ctx;
    char buf[512];
    const char *ns, *name;
    const struct resource *r = parse_key(kv->key, buf, sizeof(buf), &ns, &name);
    if (!r)
        return;
    ALLOC_GROW(lc->v, lc->nr + 1, lc->alloc);
    struct load_item *it = &lc->v[lc->nr++];
    it->r = r;
    it->key = xstrdup(kv->key);
    it->value = xmalloc(kv->value_len + 1);
    memcpy(it->value, kv->value, kv->value_len);
    it->len = kv->value_len;
    it->create_rev = kv->create_rev;
    it->mod_rev = kv->mod_rev;
    it->o = NULL;
}

static void *load_worker(void *arg)
{
    struct load_ctx *lc = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&lc->next, 1);
        if (i >= lc->nr)
            return NULL;
        struct load_item *it = &lc->v[i];
        struct store_kv kv = {it->key, it->value, it->len, it->create_rev, it->mod_rev};
        it->o = decode_value(NULL, it->r, &kv, it->mod_rev);
        free(it->value);
        it->value = NULL;
    }
}

static size_t load_all(struct cache *c, struct load_ctx *lc)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = lc->nr < 256 ? 0 : (size_t)(cpus > 8 ? 8 : cpus > 1 ? cpus - 1 : 0);
    pthread_t th[8];
    size_t started = 0, n = 0;

    atomic_init(&lc->next, 0);
    for (; started < nthreads; started++)
        if (pthread_create(&th[started], NULL, load_worker, lc))
            break;
    load_worker(lc);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < lc->nr; i++) {
        struct load_item *it = &lc->v[i];
        free(it->key);
        if (!it->o)
            continue;
        /* Keys arrive in key order, which is (ns, name) order within a resource: appending
         * keeps each array sorted (lower_bound guards against a store that orders otherwise). */
        struct rcache *rc = &c->res[it->r->id];
        ALLOC_GROW(rc->items, rc->nr + 1, rc->alloc);
        size_t at = lower_bound(rc, it->o->ns, it->o->name);
        memmove(rc->items + at + 1, rc->items + at, (rc->nr - at) * sizeof(*rc->items));
        rc->items[at] = it->o;
        rc->nr++;
        n++;
    }
    free(lc->v);
    return n;
}

int cache_open(struct store *s, size_t ring_capacity, struct cache **out)
{
    struct cache *c = xcalloc(1, sizeof(*c));
    struct load_ctx lc = {0};
    int64_t rev = 0;
    int rc;

    c->store = s;
    pthread_mutex_init(&c->hint_lock, NULL);
    pthread_mutex_init(&c->wlock, NULL);
    pthread_mutex_init(&c->dq_lock, NULL);
    pthread_cond_init(&c->dq_cond, NULL);
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->rev_lock, NULL);
    pthread_cond_init(&c->rev_cond, NULL);
    c->cap = ring_capacity ? ring_capacity : DEFAULT_RING;
    c->ring = xcalloc(c->cap, sizeof(*c->ring));

    int64_t t0 = ktime_mono_ms();
    if ((rc = store_list(s, "/registry/", on_load, &lc, &rev)) < 0) {
        for (size_t i = 0; i < lc.nr; i++)
            free(lc.v[i].key), free(lc.v[i].value);
        free(lc.v);
        goto fail;
    }
    size_t loaded = load_all(c, &lc);
    c->rev = rev;
    c->oldest_rev = rev;
    atomic_store(&c->dispatched_rev, rev);
    if (pthread_create(&c->dispatcher, NULL, dispatcher_main, c) == 0)
        c->dispatcher_running = true;
    else {
        rc = -EAGAIN;
        goto fail;
    }
    if ((rc = store_watch(s, "/registry/", rev, on_store_event, c, &c->sw)) < 0)
        goto fail;
    log_info("cache", "loaded %zu objects at revision %lld in %lld ms", loaded, (long long)rev,
             (long long)(ktime_mono_ms() - t0));
    *out = c;
    return 0;
fail:
    cache_close(c);
    return rc;
}

void cache_close(struct cache *c)
{
    if (!c)
        return;
    if (c->sw)
        store_watch_cancel(c->sw);
    if (c->dispatcher_running) {
        pthread_mutex_lock(&c->dq_lock);
        c->dq_stop = true;
        pthread_cond_signal(&c->dq_cond);
        pthread_mutex_unlock(&c->dq_lock);
        pthread_join(c->dispatcher, NULL);
    }
    for (size_t i = 0; i < c->dq_nr; i++)
        cache_event_unref(c->dq[i].ev);
    free(c->dq);
    pthread_rwlock_wrlock(&c->lock);
    for (int r = 0; r < RES_COUNT; r++) {
        for (struct cache_watcher *w = c->res[r].watchers; w; w = w->next) {
            pthread_mutex_lock(&w->lock);
            w->closed = true;
            w->registered = false;
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->lock);
        }
        for (size_t i = 0; i < c->res[r].nr; i++)
            obj_unref(c->res[r].items[i]);
        free(c->res[r].items);
    }
    for (size_t i = 0; i < c->count; i++)
        cache_event_unref(c->ring[(c->start + i) % c->cap]);
    free(c->ring);
    while (c->nhints)
        hint_drop(c, 0);
    free(c->hints);
    pthread_rwlock_unlock(&c->lock);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

int64_t cache_rev(struct cache *c)
{
    pthread_mutex_lock(&c->rev_lock);
    int64_t r = c->rev;
    pthread_mutex_unlock(&c->rev_lock);
    return r;
}

bool cache_wait_rev(struct cache *c, int64_t rev, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->rev_lock);
    while (c->rev < rev)
        if (pthread_cond_timedwait(&c->rev_cond, &c->rev_lock, &ts) == ETIMEDOUT)
            break;
    bool ok = c->rev >= rev;
    pthread_mutex_unlock(&c->rev_lock);
    return ok;
}

struct obj *cache_get(struct cache *c, const struct resource *r, const char *ns, const char *name)
{
    struct obj *o = NULL;
    if (!ns || !r->namespaced)
        ns = "";
    pthread_rwlock_rdlock(&c->lock);
    const struct rcache *rc = &c->res[r->id];
    size_t i = lower_bound(rc, ns, name);
    if (i < rc->nr && !cmp_key(rc->items[i]->ns, rc->items[i]->name, ns, name))
        o = obj_ref(rc->items[i]);
    pthread_rwlock_unlock(&c->lock);
    return o;
}

int cache_list(struct cache *c, const struct resource *r, const struct cache_filter *f,
               struct obj ***items, size_t *nr, int64_t *rev)
{
    struct obj **v = NULL;
    size_t n = 0, alloc = 0, i, end;

    pthread_rwlock_rdlock(&c->lock);
    const struct rcache *rc = &c->res[r->id];
    if (f && f->ns && *f->ns && r->namespaced) {
        /* Objects of one namespace are contiguous. */
        i = lower_bound(rc, f->ns, "");
        end = i;
        while (end < rc->nr && !strcmp(rc->items[end]->ns, f->ns))
            end++;
    } else {
        i = 0;
        end = rc->nr;
    }
    if (f && f->name) {
        const char *ns = f->ns && r->namespaced ? f->ns : "";
        if (*ns || !r->namespaced) {
            i = lower_bound(rc, ns, f->name);
            end = i < rc->nr && !strcmp(rc->items[i]->name, f->name) &&
                          !strcmp(rc->items[i]->ns, ns)
                      ? i + 1
                      : i;
        }
    }
    for (; i < end; i++) {
        struct obj *o = rc->items[i];
        if (!cache_filter_matches(f, o))
            continue;
        ALLOC_GROW(v, n + 1, alloc);
        v[n++] = obj_ref(o);
    }
    *rev = cache_rev(c);
    pthread_rwlock_unlock(&c->lock);
    *items = v;
    *nr = n;
    return 0;
}

size_t cache_count(struct cache *c, const struct resource *r, const char *ns)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&c->lock);
    const struct rcache *rc = &c->res[r->id];
    if (!ns) {
        n = rc->nr;
    } else {
        for (size_t i = lower_bound(rc, ns, ""); i < rc->nr && !strcmp(rc->items[i]->ns, ns);
             i++)
            n++;
    }
    pthread_rwlock_unlock(&c->lock);
    return n;
}

/* --- Watchers --- */

int cache_watch(struct cache *c, const struct resource *r, const struct cache_filter *f,
                int64_t from_rev, struct cache_watcher **out, int64_t *oldest)
{
    struct cache_watcher *w = xcalloc(1, sizeof(*w));
    w->c = c;
    w->res = r;
    if (f)
        w->f = *f;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);

    pthread_rwlock_wrlock(&c->lock);
    pthread_mutex_lock(&c->wlock);
    struct rcache *rc = &c->res[r->id];
    w->start_rev = cache_rev(c);
    if (from_rev < 0) {
        /* Synthetic ADDED events for the current state. */
        for (size_t i = 0; i < rc->nr; i++) {
            struct obj *o = rc->items[i];
            if (!cache_filter_matches(&w->f, o))
                continue;
            struct cache_event *e = event_new(CACHE_ADDED, o->rev, r, obj_ref(o), NULL);
            watcher_push(w, e, CACHE_ADDED);
            cache_event_unref(e);
        }
        w->last_rev = cache_rev(c);
    } else {
        if (from_rev < c->oldest_rev) {
            *oldest = c->oldest_rev;
            pthread_mutex_unlock(&c->wlock);
            pthread_rwlock_unlock(&c->lock);
            pthread_mutex_destroy(&w->lock);
            pthread_cond_destroy(&w->cond);
            free(w);
            return -ETIME;
        }
        for (size_t i = 0; i < c->count; i++) {
            struct cache_event *e = c->ring[(c->start + i) % c->cap];
            enum cache_ev_type t;
            if (e->rev <= from_rev || e->res != r)
                continue;
            if (filter_event(&w->f, e, &t))
                watcher_push(w, e, t);
        }
        w->last_rev = from_rev > cache_rev(c) ? cache_rev(c) : from_rev;
    }
    w->next = rc->watchers;
    if (rc->watchers)
        rc->watchers->prev = w;
    rc->watchers = w;
    w->registered = true;
    pthread_mutex_unlock(&c->wlock);
    pthread_rwlock_unlock(&c->lock);
    *out = w;
    return 0;
}

struct cache_event *cache_watcher_next(struct cache_watcher *w, int timeout_ms,
                                       enum cache_ev_type *type, bool *closed)
{
    struct cache_event *e = NULL;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    *closed = false;
    pthread_mutex_lock(&w->lock);
    while (!w->qnr && !w->closed && timeout_ms > 0)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
            break;
    if (w->qnr) {
        struct qitem *qi = &w->q[w->qhead++];
        w->qnr--;
        if (!w->qnr)
            w->qhead = 0;
        e = qi->ev;
        *type = qi->type;
        if (e->rev > w->last_rev)
            w->last_rev = e->rev;
    } else if (w->closed) {
        *closed = true;
    }
    pthread_mutex_unlock(&w->lock);
    return e;
}

int64_t cache_watcher_rev(struct cache_watcher *w)
{
    /* The dispatcher moves dispatched_rev only after queueing every event up to it, so
     * reading it first and then finding the queue empty means everything up to it was
     * delivered. */
    int64_t cr = atomic_load(&w->c->dispatched_rev);
    pthread_mutex_lock(&w->lock);
    int64_t r = w->last_rev;
    if (!w->qnr && cr > r)
        r = cr;
    pthread_mutex_unlock(&w->lock);
    return r;
}

void cache_watcher_free(struct cache_watcher *w)
{
    if (!w)
        return;
    struct cache *c = w->c;
    pthread_mutex_lock(&c->wlock);
    pthread_mutex_lock(&w->lock);
    bool reg = w->registered;
    w->registered = false;
    pthread_mutex_unlock(&w->lock);
    if (reg) {
        struct rcache *rc = &c->res[w->res->id];
        if (w->prev)
            w->prev->next = w->next;
        else
            rc->watchers = w->next;
        if (w->next)
            w->next->prev = w->prev;
    }
    pthread_mutex_unlock(&c->wlock);
    for (size_t i = 0; i < w->qnr; i++)
        cache_event_unref(w->q[w->qhead + i].ev);
    free(w->q);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
