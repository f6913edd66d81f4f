/* store/internal.h — what the store front end (store.c) and its backends share.
 *
 * store.c validates arguments and dispatches every public call through the backend's
 * `struct store__ops`; a backend embeds `struct store` as its first member. Watch handles have
 * one shape for every backend (the backend decides which lock guards them); the helpers below
 * do the per-watcher filtering so each backend delivers events the same way.
 */
#ifndef BERTH_STORE_INTERNAL_H
#define BERTH_STORE_INTERNAL_H

#include <string.h>

#include "store/store.h"

struct store__ops {
    const char *name;
    void (*close)(struct store *s);
    int64_t (*current_rev)(struct store *s);
    int64_t (*compacted_rev)(struct store *s);
    int (*get)(struct store *s, const char *key, store_kv_cb cb, void *ctx);
    int (*list)(struct store *s, const char *prefix, store_kv_cb cb, void *ctx, int64_t *rev_out);
    int (*create)(struct store *s, const char *key, const void *value, size_t len,
                  int64_t *rev_out);
    int (*update)(struct store *s, const char *key, const void *value, size_t len,
                  int64_t expect_rev, int64_t *rev_out);
    int (*del)(struct store *s, const char *key, int64_t expect_rev, int64_t *rev_out);
    /* w is allocated by the front end (store__watch_new). The backend replays and links it
     * and returns 0; or returns 0 with w->cancelled set and w unlinked (its callback cancelled
     * it during the replay), or an error with w unlinked: in both the front end frees it. */
    int (*watch)(struct store *s, struct store_watch *w);
    void (*watch_cancel)(struct store *s, struct store_watch *w);
    int (*compact)(struct store *s, int64_t rev);
};

struct store {
    const struct store__ops *ops;
};

struct store_watch {
    struct store *s;
    char *prefix;
    size_t prefix_len;
    store_event_cb cb;
    void *ctx;
    int64_t last_rev; /* every event with rev <= this was seen (delivered or filtered) */
    bool cancelled;   /* store_watch_cancel was called: never call cb again */
    bool replaying;   /* the backend's store_watch call is still replaying history */
    bool linked;      /* on the backend's live list */
    struct store_watch *prev, *next; /* the backend's live list */
};

/* Options with the defaults filled in; -EINVAL for negative values. */
int store__options(const struct store_options *in, struct store_options *out);

/* A new, unlinked watch that has seen everything up to from_rev. Caller owns it. */
struct store_watch *store__watch_new(struct store *s, const char *prefix, int64_t from_rev,
                                     store_event_cb cb, void *ctx);
void store__watch_free(struct store_watch *w);
static inline bool store__watch_matches(const struct store_watch *w, const char *key)
{
    return !strncmp(key, w->prefix, w->prefix_len);
}
/* Give ev to w if w wants it (not cancelled, key under its prefix, not seen yet) and advance
 * w->last_rev past it. The caller holds the lock that serialises w's callbacks. */
void store__watch_deliver(struct store_watch *w, const struct store_event *ev);

/* Backends. Each returns 0 and *out, or a negative errno (opening logs the reason). */
int store__sqlite_open(const char *path, const struct store_options *opt, struct store **out);

#endif
