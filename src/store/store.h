/* store.h — the key-value store under the API server (DESIGN.md §4).
 *
 * A store is a map from keys ("/registry/pods/default/web-0") to opaque values (the object's
 * JSON, without metadata.resourceVersion), with one global revision counter:
 *   - every successful write (create, update, delete) gets the next revision, and the key's
 *     mod_rev becomes that revision; create_rev is the revision that created the key;
 *   - writes are compare-and-swap on mod_rev, so the API server's optimistic concurrency maps
 *     straight onto them;
 *   - an event history keeps every write of a bounded recent window, so a watcher can resume
 *     from a revision it has seen; older revisions are compacted away (-ETIME, "expired").
 *
 * A write is acknowledged (the call returns 0) only once it is durable: after kill -9 of the
 * process every acknowledged write is there.
 *
 * Backends: SQLite ("sqlite:PATH" or a plain path; WAL, one writer) and, later, etcd
 * ("etcd://host:port,..."). The same conformance tests run against both.
 *
 * Threads: every function may be called from any thread. Watch callbacks of one watcher are
 * called one at a time, in revision order.
 *
 * Errors: 0 on success, or a negative errno:
 *   -ENOENT  the key does not exist (get, update, delete)
 *   -EEXIST  the key exists (create)
 *   -ESTALE  compare-and-swap failed: the key's mod_rev is not the expected one
 *   -ETIME   the revision asked for has been compacted
 *   -EIO     the backend failed (disk, connection); the write did not happen
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;       /* opaque */
struct store_watch; /* opaque */

/* A key and its value. In callbacks the pointers are borrowed for the duration of the call. */
struct store_kv {
    const char *key;
    const char *value; /* NOT NUL-terminated in general; value_len bytes */
    size_t value_len;
    int64_t create_rev;
    int64_t mod_rev;
};

enum store_event_type {
    STORE_EV_CREATE, /* key did not exist before */
    STORE_EV_UPDATE,
    STORE_EV_DELETE, /* kv.value is the last value before deletion; kv.mod_rev the deletion rev */
};

struct store_event {
    enum store_event_type type;
    int64_t rev;          /* the revision of this write */
    struct store_kv kv;   /* the key after the write (for DELETE: the value before it) */
    struct store_kv prev; /* the key before the write; value NULL for CREATE */
};

/* Options for store_open. Zero-valued fields take the defaults. */
struct store_options {
    int64_t history_min_events; /* keep at least this many recent events (default 10000) */
    int64_t history_max_events; /* compact beyond this many (default 100000) */
    int history_seconds;        /* and keep events younger than this (default 300) */
};

/* Open (and create if needed) a store. `url` is "sqlite:PATH", a plain PATH, or an etcd URL.
 * Returns 0 and *out, -EINVAL for an unknown scheme, -EIO if it cannot be opened. */
int store_open(const char *url, const struct store_options *opt, struct store **out);
/* Close: cancels all watches (their callbacks are not called again) and frees the store. */
void store_close(struct store *s);

/* The current (latest) revision. */
int64_t store_current_rev(struct store *s);
/* The oldest revision still in the history: events with rev > this can be watched. */
int64_t store_compacted_rev(struct store *s);

/* Read one key. On success calls cb once with the kv (borrowed during the call). */
typedef void (*store_kv_cb)(void *ctx, const struct store_kv *kv);
int store_get(struct store *s, const char *key, store_kv_cb cb, void *ctx);

/* List every key with the given prefix at the current revision, in key order, calling cb for
 * each. *rev_out (if not NULL) gets the revision the list reflects. */
int store_list(struct store *s, const char *prefix, store_kv_cb cb, void *ctx, int64_t *rev_out);

/* Create key = value. -EEXIST if it exists. *rev_out gets the new revision. */
int store_create(struct store *s, const char *key, const void *value, size_t len,
                 int64_t *rev_out);
/* Replace the value if the key's mod_rev equals expect_rev (expect_rev 0: unconditional).
 * -ENOENT if absent, -ESTALE if mod_rev differs. *rev_out gets the new revision. */
int store_update(struct store *s, const char *key, const void *value, size_t len,
                 int64_t expect_rev, int64_t *rev_out);
/* Delete if mod_rev equals expect_rev (0: unconditional). -ENOENT, -ESTALE as above. */
int store_delete(struct store *s, const char *key, int64_t expect_rev, int64_t *rev_out);

/* Watch every key with `prefix`, from revision from_rev exclusive: first the history events
 * with rev > from_rev, then live events as they commit. -ETIME if from_rev is older than the
 * compacted revision. cb is called for every event; the event is borrowed during the call.
 * For the SQLite backend live events are delivered synchronously, before the write call that
 * made them returns (so a cache fed by a watch is current when a write is acknowledged).
 * *out is set before the first callback; if cb cancels the watch during the replay, store_watch
 * returns 0 with *out NULL. A callback may read the store, start and cancel watches, but must
 * not write to or compact the store it is called from: the SQLite backend answers -EDEADLK. */
typedef void (*store_event_cb)(void *ctx, const struct store_event *ev);
int store_watch(struct store *s, const char *prefix, int64_t from_rev, store_event_cb cb,
                void *ctx, struct store_watch **out);
/* Stop a watch. When it returns the callback is not running and will not run again. */
void store_watch_cancel(struct store_watch *w);

/* Drop history up to and including rev (rev must be <= current). Normally the store compacts
 * by itself per store_options; this forces it (tests). */
int store_compact(struct store *s, int64_t rev);

#endif
