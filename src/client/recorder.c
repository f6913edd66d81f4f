/* recorder.c — Events, as client-go's recorder, broadcaster sink and EventCorrelator
 * (tools/record/events_cache.go): aggregation of similar events, counting of identical ones
 * by PATCH, and a per-object spam filter, each with an LRU cache of 4096 entries.
 *
 * recorder_eventf only builds the Event and queues it; one thread per recorder correlates and
 * writes, in order. Correlation happens on that thread, as upstream's sink goroutine does, with
 * the time the event was recorded. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "client/internal.h"
#include "client/recorder.h"

#define LRU_ENTRIES 4096
#define AGGREGATE_MAX_EVENTS 10
#define AGGREGATE_INTERVAL_NS (600LL * 1000000000LL)
#define SPAM_BURST 25
#define SPAM_QPS (1.0 / 300.0)
#define QUEUE_MAX 1000
#define MAX_TRIES 3

/* --- an LRU map on top of smap --- */

struct lru_node {
    struct lru_node *prev, *next; /* most recent first */
    const char *key;
    void *val;
};

struct lru {
    struct smap map;      /* key -> struct lru_node * */
    struct lru_node head; /* sentinel */
    size_t n;
    void (*free_val)(void *);
};

static void lru_init(struct lru *l, void (*free_val)(void *))
{
    memset(l, 0, sizeof(*l));
    l->head.prev = l->head.next = &l->head;
    l->free_val = free_val;
}

static void unlink_node(struct lru_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static void push_front(struct lru *l, struct lru_node *n)
{
    n->next = l->head.next;
    n->prev = &l->head;
    l->head.next->prev = n;
    l->head.next = n;
}

/* The value of key (made most recent), or NULL. */
static void *lru_get(struct lru *l, const char *key)
{
    void **slot = smap__get(&l->map, key);
    if (!slot)
        return NULL;
    struct lru_node *n = *slot;
    unlink_node(n);
    push_front(l, n);
    return n->val;
}

/* Set key to val (owned by the cache), evicting the least recently used entry when full. */
static void lru_put(struct lru *l, const char *key, void *val)
{
    bool existed;
    void **slot = smap__put(&l->map, key, &existed);
    struct lru_node *n;
    if (existed) {
        n = *slot;
        if (n->val != val && l->free_val)
            l->free_val(n->val);
        unlink_node(n);
    } else {
        n = xcalloc(1, sizeof(*n));
        n->key = xstrdup(key);
        *slot = n;
        l->n++;
    }
    n->val = val;
    push_front(l, n);
    if (l->n > LRU_ENTRIES) {
        struct lru_node *old = l->head.prev;
        unlink_node(old);
        smap__del(&l->map, old->key, NULL);
        if (l->free_val)
            l->free_val(old->val);
        free((char *)old->key);
        free(old);
        l->n--;
    }
}

static void lru_release(struct lru *l)
{
    struct lru_node *n = l->head.next;
    while (n != &l->head) {
        struct lru_node *next = n->next;
        if (l->free_val)
            l->free_val(n->val);
        free((char *)n->key);
        free(n);
        n = next;
    }
    smap__release(&l->map, NULL);
    lru_init(l, l->free_val);
}

/* --- the correlator's records --- */

struct spam_rec { /* a token bucket that never goes into debt (TryAccept) */
    double tokens;
    int64_t at_ns;
};

struct agg_rec {
    char *msgs[AGGREGATE_MAX_EVENTS]; /* distinct messages seen in the interval */
    int n;
    int64_t last_ns;
};

struct log_rec {
    int64_t count;
    char *first_ts;
    char *name;
    char *rv;
};

static void free_agg(void *p)
{
    struct agg_rec *a = p;
    for (int i = 0; i < a->n; i++)
        free(a->msgs[i]);
    free(a);
}

static void free_log(void *p)
{
    struct log_rec *r = p;
    free(r->first_ts);
    free(r->name);
    free(r->rv);
    free(r);
}

/* --- the recorder --- */

struct qitem {
    struct qitem *next;
    json_t *event;
    int64_t ns; /* when it was recorded */
};

struct recorder {
    struct kclient *c;
    char *component, *host;

    pthread_mutex_t mu;
    pthread_cond_t cond; /* work queued; work done */
    struct qitem *head, *tail;
    size_t queued;
    uint64_t enqueued, done; /* flush waits until done catches up */
    bool stopping;
    pthread_t th;

    /* used by the thread only */
    struct lru spam, agg, logs;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = jget_str(o, key);
    return s ? s : "";
}

/* Keys as upstream's getEventKey, getSpamKey and EventAggregatorByReasonFunc build them (with a
 * separator, so that fields cannot run into each other). */
static void key_object(struct strbuf *sb, const json_t *ev)
{
    const json_t *src = jget_obj(ev, "source"), *io = jget_obj(ev, "involvedObject");
    strbuf_addf(sb, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", str(src, "component"),
                str(src, "host"), str(io, "kind"), str(io, "namespace"), str(io, "name"),
                str(io, "uid"), str(io, "apiVersion"));
}

static char *event_key(const json_t *ev)
{
    struct strbuf sb = STRBUF_INIT;
    key_object(&sb, ev);
    strbuf_addf(&sb, "\x1f%s\x1f%s\x1f%s\x1f%s", str(jget_obj(ev, "involvedObject"), "fieldPath"),
                str(ev, "type"), str(ev, "reason"), str(ev, "message"));
    return strbuf_detach(&sb, NULL);
}

static char *aggregate_key(const json_t *ev)
{
    struct strbuf sb = STRBUF_INIT;
    key_object(&sb, ev);
    strbuf_addf(&sb, "\x1f%s\x1f%s\x1f%s\x1f%s", str(ev, "type"), str(ev, "reason"),
                str(ev, "reportingComponent"), str(ev, "reportingInstance"));
    return strbuf_detach(&sb, NULL);
}

static char *spam_key(const json_t *ev)
{
    struct strbuf sb = STRBUF_INIT;
    key_object(&sb, ev);
    return strbuf_detach(&sb, NULL);
}

static void set_name(json_t *ev, const char *obj_name, int64_t ns)
{
    char *name = xasprintf("%s.%llx", obj_name, (unsigned long long)ns);
    jset_str(jensure_obj(ev, "metadata"), "name", name);
    free(name);
}

/* EventAggregate: returns the event to write (ev itself, or a new aggregate event) and the
 * key to count it under. */
static json_t *aggregate(struct recorder *r, json_t *ev, int64_t ns, char **key)
{
    char *akey = aggregate_key(ev);
    const char *msg = str(ev, "message");
    struct agg_rec *a = lru_get(&r->agg, akey);

    if (!a || ns - a->last_ns > AGGREGATE_INTERVAL_NS) {
        a = xcalloc(1, sizeof(*a));
        lru_put(&r->agg, akey, a);
    }
    bool seen = false;
    for (int i = 0; i < a->n && !seen; i++)
        seen = !strcmp(a->msgs[i], msg);
    if (!seen)
        a->msgs[a->n++] = xstrdup(msg);
    a->last_ns = ns;
    if (a->n < AGGREGATE_MAX_EVENTS) {
        free(akey);
        *key = event_key(ev);
        return json_incref(ev);
    }
    /* Keep the set below the maximum (upstream pops an arbitrary one). */
    free(a->msgs[--a->n]);

    json_t *agg = json_deep_copy(ev);
    char ts[KTIME_BUFSZ];
    ktime_format((time_t)(ns / 1000000000), ts);
    json_t *meta = json_object();
    jset_str(meta, "namespace", jpath_str(ev, "metadata.namespace"));
    json_object_set_new(agg, "metadata", meta);
    set_name(agg, jpath_str(ev, "involvedObject.name"), ns);
    char *m = xasprintf("(combined from similar events): %s", msg);
    jset_str(agg, "message", m);
    free(m);
    jset_str(agg, "firstTimestamp", ts);
    jset_str(agg, "lastTimestamp", ts);
    jset_int(agg, "count", 1);
    /* upstream's aggregate event has no reporting fields */
    json_object_del(agg, "reportingComponent");
    json_object_del(agg, "reportingInstance");
    *key = akey;
    return agg;
}

/* eventObserve: a repeat takes the first one's name, firstTimestamp and resourceVersion and
 * the next count; *patch gets the strategic merge patch for it. */
static void observe(struct recorder *r, json_t *ev, const char *key, char **patch)
{
    struct log_rec *l = lru_get(&r->logs, key);
    *patch = NULL;
    if (l && l->count > 0) {
        json_t *meta = jensure_obj(ev, "metadata");
        jset_str(meta, "name", l->name);
        if (l->rv)
            jset_str(meta, "resourceVersion", l->rv);
        jset_str(ev, "firstTimestamp", l->first_ts);
        jset_int(ev, "count", l->count + 1);
        json_t *p = json_pack("{s:I,s:s,s:s}", "count", (json_int_t)(l->count + 1), "lastTimestamp",
                              str(ev, "lastTimestamp"), "message", str(ev, "message"));
        if (!*str(ev, "message"))
            json_object_del(p, "message");
        *patch = json_dump_compact(p);
        json_decref(p);
    }
    struct log_rec *n = xcalloc(1, sizeof(*n));
    n->count = jget_int(ev, "count", 1);
    n->first_ts = xstrdup(str(ev, "firstTimestamp"));
    n->name = xstrdup(jpath_str(ev, "metadata.name"));
    const char *rv = jpath_str(ev, "metadata.resourceVersion");
    n->rv = rv ? xstrdup(rv) : NULL;
    lru_put(&r->logs, key, n);
}

/* updateState: remember what the server now has. */
static void update_state(struct recorder *r, const json_t *ev)
{
    char *key = event_key(ev);
    struct log_rec *n = xcalloc(1, sizeof(*n));
    n->count = jget_int(ev, "count", 1);
    n->first_ts = xstrdup(str(ev, "firstTimestamp"));
    n->name = xstrdup(jpath_str(ev, "metadata.name") ? jpath_str(ev, "metadata.name") : "");
    const char *rv = jpath_str(ev, "metadata.resourceVersion");
    n->rv = rv ? xstrdup(rv) : NULL;
    lru_put(&r->logs, key, n);
    free(key);
}

/* The spam filter: true when this source has used up its budget for this object. */
static bool spam(struct recorder *r, const json_t *ev, int64_t ns)
{
    char *key = spam_key(ev);
    struct spam_rec *s = lru_get(&r->spam, key);
    if (!s) {
        s = xcalloc(1, sizeof(*s));
        s->tokens = SPAM_BURST;
        s->at_ns = ns;
        lru_put(&r->spam, key, s);
    }
    free(key);
    if (ns > s->at_ns) {
        s->tokens += (double)(ns - s->at_ns) / 1e9 * SPAM_QPS;
        if (s->tokens > SPAM_BURST)
            s->tokens = SPAM_BURST;
        s->at_ns = ns;
    }
    if (s->tokens < 1)
        return true;
    s->tokens -= 1;
    return false;
}

static bool transient(int rc)
{
    return rc == -EAGAIN || rc == -EIO || rc == -ETIME;
}

/* recordToSink for one event. */
static void write_event(struct recorder *r, json_t *ev0, int64_t ns)
{
    char *key, *patch;
    json_t *ev = aggregate(r, ev0, ns, &key);
    observe(r, ev, key, &patch);
    free(key);
    if (spam(r, ev, ns)) {
        free(patch);
        json_decref(ev);
        return;
    }
    const char *ens = jpath_str(ev, "metadata.namespace");
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        struct kstatus st;
        json_t *out = NULL;
        int rc = -ENOENT;
        if (patch)
            rc = kclient_patch(r->c, RES_EVENTS, ens, jpath_str(ev, "metadata.name"),
                               KPATCH_STRATEGIC, patch, NULL, &out, &st);
        if (rc == -ENOENT) {
            /* a first occurrence, or the Event expired meanwhile: create it */
            json_object_del(jget_obj(ev, "metadata"), "resourceVersion");
            rc = kclient_create(r->c, RES_EVENTS, ens, ev, &out, &st);
        }
        if (rc == 0) {
            update_state(r, out);
            json_decref(out);
            break;
        }
        if (rc == -EEXIST || !transient(rc) || attempt + 1 == MAX_TRIES) {
            log_warn("events", "dropping event %s %s on %s: %s (%d %s)", str(ev, "type"),
                     str(ev, "reason"), jpath_str(ev, "involvedObject.name"), strerror(-rc),
                     st.code, st.message);
            break;
        }
        struct timespec pause = {0, (long)(100000000L << attempt)};
        nanosleep(&pause, NULL);
    }
    free(patch);
    json_decref(ev);
}

static void *run(void *arg)
{
    struct recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->head && !r->stopping)
            pthread_cond_wait(&r->cond, &r->mu);
        struct qitem *it = r->head;
        if (!it)
            break; /* stopping and drained */
        r->head = it->next;
        if (!r->head)
            r->tail = NULL;
        r->queued--;
        pthread_mutex_unlock(&r->mu);
        write_event(r, it->event, it->ns);
        json_decref(it->event);
        free(it);
        pthread_mutex_lock(&r->mu);
        r->done++;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct recorder *recorder_new(struct kclient *c, const char *component, const char *host)
{
    struct recorder *r = xcalloc(1, sizeof(*r));
    r->c = c;
    r->component = xstrdup(component ? component : "");
    r->host = xstrdup(host ? host : "");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    lru_init(&r->spam, free);
    lru_init(&r->agg, free_agg);
    lru_init(&r->logs, free_log);
    if (pthread_create(&r->th, NULL, run, r) != 0)
        abort(); /* out of threads at start-up */
    return r;
}

/* makeEvent + generateEvent: the Event for obj, before correlation. */
static json_t *make_event(struct recorder *r, const json_t *obj, const char *type,
                          const char *reason, const char *message, int64_t ns)
{
    const json_t *meta = jget_obj(obj, "metadata");
    const char *ons = jget_str(meta, "namespace");
    char ts[KTIME_BUFSZ];
    ktime_format((time_t)(ns / 1000000000), ts);

    json_t *io = json_object();
    jset_str(io, "kind", str(obj, "kind"));
    if (ons && *ons)
        jset_str(io, "namespace", ons);
    jset_str(io, "name", str(meta, "name"));
    if (jget_str(meta, "uid"))
        jset_str(io, "uid", jget_str(meta, "uid"));
    jset_str(io, "apiVersion", str(obj, "apiVersion"));
    if (jget_str(meta, "resourceVersion"))
        jset_str(io, "resourceVersion", jget_str(meta, "resourceVersion"));

    json_t *src = json_object();
    if (*r->component)
        jset_str(src, "component", r->component);
    if (*r->host)
        jset_str(src, "host", r->host);

    json_t *ev = json_object();
    jset_str(ev, "kind", "Event");
    jset_str(ev, "apiVersion", "v1");
    json_t *emeta = json_object();
    jset_str(emeta, "namespace", ons && *ons ? ons : "default");
    json_object_set_new(ev, "metadata", emeta);
    set_name(ev, str(meta, "name"), ns);
    json_object_set_new(ev, "involvedObject", io);
    jset_str(ev, "reason", reason ? reason : "");
    jset_str(ev, "message", message);
    json_object_set_new(ev, "source", src);
    jset_str(ev, "firstTimestamp", ts);
    jset_str(ev, "lastTimestamp", ts);
    jset_int(ev, "count", 1);
    jset_str(ev, "type", type ? type : "Normal");
    jset_str(ev, "reportingComponent", r->component);
    jset_str(ev, "reportingInstance", r->host);
    return ev;
}

void recorder_eventf(struct recorder *r, const json_t *obj, const char *type, const char *reason,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    int64_t ns = now_ns();
    json_t *ev = make_event(r, obj, type, reason, msg, ns);
    free(msg);

    pthread_mutex_lock(&r->mu);
    if (r->queued >= QUEUE_MAX || r->stopping) {
        pthread_mutex_unlock(&r->mu);
        log_warn("events", "event queue full: dropping %s %s", type ? type : "",
                 reason ? reason : "");
        json_decref(ev);
        return;
    }
    struct qitem *it = xmalloc(sizeof(*it));
    it->next = NULL;
    it->event = ev;
    it->ns = ns;
    if (r->tail)
        r->tail->next = it;
    else
        r->head = it;
    r->tail = it;
    r->queued++;
    r->enqueued++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

void recorder_flush(struct recorder *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t target = r->enqueued;
    while (r->done < target)
        pthread_cond_wait(&r->cond, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

void recorder_free(struct recorder *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL); /* the thread drains the queue first */
    lru_release(&r->spam);
    lru_release(&r->agg);
    lru_release(&r->logs);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r->component);
    free(r->host);
    free(r);
}
