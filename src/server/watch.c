/* watch.c — streaming watches (KUBECTL.md §7): one JSON event per chunk, plain objects or
 * one-row Tables, bookmarks on request, timeoutSeconds, 410 Expired for a compacted revision.
 * A watch without timeoutSeconds stays open until the client goes away. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "server/internal.h"

#define BOOKMARK_EVERY_MS 60000
#define POLL_MS 1000
#define DRAIN_BYTES (64 * 1024)

struct watch_stream {
    struct stream base;
    struct cache_watcher *w;
    const struct resource *res;
    struct cache_filter f;
    bool table;
    enum table_include inc;
    bool sent_columns;
    bool bookmarks;
    int64_t deadline_ms; /* monotonic; 0: none */
    int64_t next_bookmark_ms;
    char *error_frame; /* a pending ERROR event to send, then end */
    bool ended;
};

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED"};

static void frame_json(struct watch_stream *ws, struct cache_event *e, enum cache_ev_type t,
                       struct strbuf *sb)
{
    if (t == e->type) {
        /* The common case: every watcher of this event shares one frame. */
        pthread_mutex_lock(&e->frame_lock);
        if (!e->frame_json) {
            struct strbuf f = STRBUF_INIT;
            strbuf_grow(&f, e->obj->len + 40);
            strbuf_addf(&f, "{\"type\":\"%s\",\"object\":", type_names[t]);
            strbuf_add(&f, e->obj->bytes, e->obj->len);
            strbuf_addstr(&f, "}\n");
            e->frame_json = strbuf_detach(&f, &e->frame_json_len);
        }
        pthread_mutex_unlock(&e->frame_lock);
        strbuf_add(sb, e->frame_json, e->frame_json_len);
        return;
    }
    strbuf_addf(sb, "{\"type\":\"%s\",\"object\":", type_names[t]);
    strbuf_add(sb, e->obj->bytes, e->obj->len);
    strbuf_addstr(sb, "}\n");
    (void)ws;
}

static void frame_table(struct watch_stream *ws, struct cache_event *e, enum cache_ev_type t,
                        struct strbuf *sb)
{
    struct obj *one[1] = {e->obj};
    strbuf_addf(sb, "{\"type\":\"%s\",\"object\":", type_names[t]);
    table_render(sb, ws->res, one, 1, e->obj->rev, ws->inc, !ws->sent_columns);
    ws->sent_columns = true;
    strbuf_addstr(sb, "}\n");
}

static void frame_bookmark(struct watch_stream *ws, struct strbuf *sb)
{
    strbuf_addstr(sb, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":");
    strbuf_add_json_str(sb, ws->res->kind);
    strbuf_addstr(sb, ",\"apiVersion\":");
    strbuf_add_json_str(sb, ws->res->gv);
    strbuf_addf(sb, ",\"metadata\":{\"resourceVersion\":\"%lld\"}}}\n",
                (long long)cache_watcher_rev(ws->w));
}

/* As upstream's cacher: a bookmark every minute, and one two seconds before the watch's
 * deadline, so a client resuming after the timeout starts from a recent revision. */
static int64_t next_bookmark(const struct watch_stream *ws, int64_t now)
{
    int64_t beat = now + BOOKMARK_EVERY_MS;
    if (ws->deadline_ms) {
        int64_t pre = ws->deadline_ms - 2000;
        if (pre >= now && pre < beat)
            return pre;
    }
    return beat;
}

static int ws_next(struct stream *s, struct strbuf *sb)
{
    struct watch_stream *ws = (struct watch_stream *)s;

    if (ws->error_frame) {
        strbuf_addstr(sb, ws->error_frame);
        free(ws->error_frame);
        ws->error_frame = NULL;
        ws->ended = true;
        return 0;
    }
    if (ws->ended)
        return 1;
    for (;;) {
        int64_t now = ktime_mono_ms();
        int wait = POLL_MS;
        if (ws->deadline_ms) {
            if (now >= ws->deadline_ms)
                return 1;
            if (ws->deadline_ms - now < wait)
                wait = (int)(ws->deadline_ms - now);
        }
        if (ws->bookmarks) {
            if (now >= ws->next_bookmark_ms) {
                ws->next_bookmark_ms = next_bookmark(ws, now + 1);
                frame_bookmark(ws, sb);
                return 0;
            }
            if (ws->next_bookmark_ms - now < wait)
                wait = (int)(ws->next_bookmark_ms - now);
        }
        enum cache_ev_type t;
        bool closed;
        struct cache_event *e = cache_watcher_next(ws->w, wait, &t, &closed);
        if (e) {
            /* Take whatever else is already queued too, so that a burst goes out in few TLS
             * records and writes instead of one per event. */
            do {
                if (ws->table)
                    frame_table(ws, e, t, sb);
                else
                    frame_json(ws, e, t, sb);
                cache_event_unref(e);
            } while (sb->len < DRAIN_BYTES && (e = cache_watcher_next(ws->w, 0, &t, &closed)));
            return 0;
        }
        if (closed)
            return 1;
        if (http_client_gone(ws->base.fd))
            return -1;
    }
}

static void ws_free(struct stream *s)
{
    struct watch_stream *ws = (struct watch_stream *)s;
    if (ws->w)
        cache_watcher_free(ws->w);
    filter_release(&ws->f);
    free(ws->error_frame);
    free(ws);
}

void watch_serve(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct watch_stream *ws = xcalloc(1, sizeof(*ws));
    int64_t from = -1, oldest = 0;
    const char *rv = req_query(rq, "resourceVersion");
    const char *to = req_query(rq, "timeoutSeconds");

    ws->base.next = ws_next;
    ws->base.free = ws_free;
    ws->base.fd = -1;
    ws->res = rt->res;
    if (parse_filter(rq, rt, &ws->f, &e) < 0) {
        ws_free(&ws->base);
        resp_error(rs, &e);
        return;
    }
    if (rt->name) {
        /* /watch/namespaces/NS/pods/NAME: a point watch. */
        ws->f.name = rt->name;
    }
    if (rv && *rv && strcmp(rv, "0")) {
        char *end;
        long long v = strtoll(rv, &end, 10);
        if (*end || v < 0) {
            api_err_bad_request(&e, "resourceVersion: Invalid value: \"%s\": must be a "
                                    "non-negative integer",
                                rv);
            ws_free(&ws->base);
            resp_error(rs, &e);
            return;
        }
        from = v;
    }
    if (to && *to) {
        long long secs = strtoll(to, NULL, 10);
        if (secs > 0)
            ws->deadline_ms = ktime_mono_ms() + secs * 1000;
    }
    ws->bookmarks = req_query_bool(rq, "allowWatchBookmarks");
    ws->next_bookmark_ms = next_bookmark(ws, ktime_mono_ms());
    ws->table = wants_table(rq);
    ws->inc = table_include(rq);

    int rc = cache_watch(rq->srv->cache, rt->res, &ws->f, from, &ws->w, &oldest);
    if (rc == -ETIME) {
        /* As upstream: a 200 stream whose only event is the 410 Status. */
        struct strbuf sb = STRBUF_INIT;
        api_err_expired(&e, "");
        free(e.message);
        e.message = xasprintf("too old resource version: %lld (%lld)", (long long)from,
                              (long long)oldest);
        json_t *st = api_err_to_status(&e);
        api_err_release(&e);
        strbuf_addstr(&sb, "{\"type\":\"ERROR\",\"object\":");
        json_dump_to(&sb, st);
        json_decref(st);
        strbuf_addstr(&sb, "}\n");
        ws->error_frame = strbuf_detach(&sb, NULL);
    } else if (rc < 0) {
        api_err_internal(&e, "cannot start watch: %s", strerror(-rc));
        ws_free(&ws->base);
        resp_error(rs, &e);
        return;
    }
    rs->code = 200;
    rs->content_type = "application/json";
    rs->stream = &ws->base;
}
