/* store.c — the store front end: picks a backend from the URL, checks arguments once for every
 * backend, and keeps the watch bookkeeping that all backends share. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/internal.h"

#define DEFAULT_HISTORY_MIN 10000
#define DEFAULT_HISTORY_MAX 100000
#define DEFAULT_HISTORY_SECONDS 300

int store__options(const struct store_options *in, struct store_options *out)
{
    static const struct store_options zero;
    if (!in)
        in = &zero;
    if (in->history_min_events < 0 || in->history_max_events < 0 || in->history_seconds < 0)
        return -EINVAL;
    out->history_min_events = in->history_min_events ? in->history_min_events : DEFAULT_HISTORY_MIN;
    out->history_max_events = in->history_max_events ? in->history_max_events : DEFAULT_HISTORY_MAX;
    out->history_seconds = in->history_seconds ? in->history_seconds : DEFAULT_HISTORY_SECONDS;
    /* "keep at least" wins over "at most" when they disagree: never drop what min promises. */
    if (out->history_max_events < out->history_min_events)
        out->history_max_events = out->history_min_events;
    return 0;
}

/* "scheme://..." with a scheme we do not know must not be taken for a relative path. */
static bool has_scheme(const char *url)
{
    const char *p = url;
    if (!isalpha((unsigned char)*p))
        return false;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return !strncmp(p, "://", 3);
}

int store_open(const char *url, const struct store_options *opt, struct store **out)
{
    struct store_options o;
    const char *path;

    *out = NULL;
    if (!url || !*url || store__options(opt, &o))
        return -EINVAL;
    if (!strncmp(url, "sqlite:", 7)) {
        path = url + 7;
    } else if (!strncmp(url, "etcd://", 7)) {
        log_error("store", "%s: the etcd backend is not built yet", url);
        return -EINVAL;
    } else if (has_scheme(url)) {
        log_error("store", "%s: unknown store scheme", url);
        return -EINVAL;
    } else {
        path = url;
    }
    /* Each SQLite connection would get its own private in-memory database. */
    if (!*path || !strcmp(path, ":memory:")) {
        log_error("store", "'%s': the sqlite store needs a file path", url);
        return -EINVAL;
    }
    return store__sqlite_open(path, &o, out);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

int64_t store_current_rev(struct store *s)
{
    return s->ops->current_rev(s);
}

int64_t store_compacted_rev(struct store *s)
{
    return s->ops->compacted_rev(s);
}

int store_get(struct store *s, const char *key, store_kv_cb cb, void *ctx)
{
    if (!key || !*key || !cb)
        return -EINVAL;
    return s->ops->get(s, key, cb, ctx);
}

int store_list(struct store *s, const char *prefix, store_kv_cb cb, void *ctx, int64_t *rev_out)
{
    if (!cb)
        return -EINVAL;
    return s->ops->list(s, prefix ? prefix : "", cb, ctx, rev_out);
}

static bool bad_value(const void *value, size_t len)
{
    return !value && len;
}

int store_create(struct store *s, const char *key, const void *value, size_t len, int64_t *rev_out)
{
    if (!key || !*key || bad_value(value, len))
        return -EINVAL;
    return s->ops->create(s, key, value, len, rev_out);
}

int store_update(struct store *s, const char *key, const void *value, size_t len,
                 int64_t expect_rev, int64_t *rev_out)
{
    if (!key || !*key || bad_value(value, len) || expect_rev < 0)
        return -EINVAL;
    return s->ops->update(s, key, value, len, expect_rev, rev_out);
}

int store_delete(struct store *s, const char *key, int64_t expect_rev, int64_t *rev_out)
{
    if (!key || !*key || expect_rev < 0)
        return -EINVAL;
    return s->ops->del(s, key, expect_rev, rev_out);
}

int store_compact(struct store *s, int64_t rev)
{
    if (rev < 0)
        return -EINVAL;
    return s->ops->compact(s, rev);
}

/* --- Watches --- */

struct store_watch *store__watch_new(struct store *s, const char *prefix, int64_t from_rev,
                                     store_event_cb cb, void *ctx)
{
    struct store_watch *w = xcalloc(1, sizeof(*w));
    w->s = s;
    w->prefix = xstrdup(prefix);
    w->prefix_len = strlen(prefix);
    w->cb = cb;
    w->ctx = ctx;
    w->last_rev = from_rev;
    return w;
}

void store__watch_free(struct store_watch *w)
{
    if (!w)
        return;
    free(w->prefix);
    free(w);
}

void store__watch_deliver(struct store_watch *w, const struct store_event *ev)
{
    if (w->cancelled || ev->rev <= w->last_rev)
        return;
    w->last_rev = ev->rev;
    if (store__watch_matches(w, ev->kv.key))
        w->cb(w->ctx, ev);
}

int store_watch(struct store *s, const char *prefix, int64_t from_rev, store_event_cb cb, void *ctx,
                struct store_watch **out)
{
    struct store_watch *w;
    int rc;

    *out = NULL;
    if (!cb || from_rev < 0)
        return -EINVAL;
    w = store__watch_new(s, prefix ? prefix : "", from_rev, cb, ctx);
    /* Published before the first callback, so a callback can cancel its own watch. */
    *out = w;
    rc = s->ops->watch(s, w);
    /* A callback may cancel its own watch during the replay: the backend then leaves it
     * unlinked, and the handle is gone as far as the caller is concerned. */
    if (rc || w->cancelled) {
        *out = NULL;
        store__watch_free(w);
    }
    return rc;
}

void store_watch_cancel(struct store_watch *w)
{
    if (w)
        w->s->ops->watch_cancel(w->s, w);
}
