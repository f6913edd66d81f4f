/* cache.h — the API server's watch cache: every object in memory, plus recent events.
 *
 * The cache is fed by one store watch over "/registry/" (store.h). It holds, per resource, the
 * current objects sorted by namespace/name, and a ring of the most recent events, so that GET,
 * LIST and WATCH never touch the store. Writes are acknowledged by the store only after the
 * cache applied them (the SQLite backend delivers watch events synchronously), so a client
 * always reads its own writes.
 *
 * Objects and events are immutable once published and reference-counted: a reader takes a
 * reference under the cache lock and uses it without any lock afterwards.
 */
#ifndef BERTH_CACHE_H
#define BERTH_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/resource.h"
#include "base/json.h"
#include "base/selector.h"
#include "store/store.h"

/* One published version of an object. Never modified after publication. */
struct obj {
    atomic_int refs;
    const struct resource *res;
    json_t *json;      /* the whole object, metadata.resourceVersion included */
    char *bytes;       /* compact JSON of json: {"kind":..,"apiVersion":..,<rest>} */
    size_t len;
    size_t rest_off;   /* bytes + rest_off is <rest>} (the object without kind/apiVersion,
                        * as list items are written) */
    int64_t rev;       /* metadata.resourceVersion */
    int64_t create_rev;
    const char *ns;    /* borrowed from json; "" for cluster-scoped kinds */
    const char *name;  /* borrowed from json */
    const json_t *labels; /* borrowed; may be NULL */
};

/* The bytes the store keeps for json: {"kind":..,"apiVersion":.., then the other fields in
 * order}, without metadata.resourceVersion (the revision is the store's). Caller owns them. */
char *obj_stored_bytes(const struct resource *r, const json_t *json, size_t *len);
/* Publish an object from its stored bytes: the served bytes are the stored ones with the
 * resourceVersion spliced in (no re-serialisation); json, if not NULL, is the same object
 * already parsed (ownership taken, and it is modified: resourceVersion is set), else the
 * bytes are parsed. NULL if the bytes do not parse. */
struct obj *obj_from_stored(const struct resource *r, const char *bytes, size_t len, json_t *json,
                            int64_t rev, int64_t create_rev);
/* Publish json (ownership taken) at revision rev. */
struct obj *obj_new(const struct resource *r, json_t *json, int64_t rev, int64_t create_rev);
struct obj *obj_ref(struct obj *o);
void obj_unref(struct obj *o);
/* Append o as a list item (without kind/apiVersion) to sb. */
void obj_append_item(const struct obj *o, struct strbuf *sb);

enum cache_ev_type { CACHE_ADDED, CACHE_MODIFIED, CACHE_DELETED };

struct cache_event {
    atomic_int refs;
    int64_t rev;
    enum cache_ev_type type;
    const struct resource *res;
    struct obj *obj;  /* new state; for DELETED the last state with the deletion revision */
    struct obj *prev; /* previous state, NULL for ADDED */
    pthread_mutex_t frame_lock;
    char *frame_json; /* lazily built {"type":..,"object":..}\n; NULL until first needed */
    size_t frame_json_len;
};

struct cache_event *cache_event_ref(struct cache_event *e);
void cache_event_unref(struct cache_event *e);

/* A watch filter. */
struct cache_filter {
    const char *ns;                     /* NULL: every namespace */
    const char *name;                   /* metadata.name=X point watch, or NULL */
    struct label_selector *labels;      /* NULL: everything (borrowed) */
    struct field_selector *fields;      /* NULL: everything (borrowed) */
};
bool cache_filter_matches(const struct cache_filter *f, const struct obj *o);

struct cache_watcher; /* opaque; one per watch request */

struct cache;

/* Create the cache over store s: lists everything, loads recent history into the event ring
 * (so watches from a revision older than the start survive a restart), and starts following
 * the store. ring_capacity 0 means the default (10000 events). */
int cache_open(struct store *s, size_t ring_capacity, struct cache **out);
void cache_close(struct cache *c);

/* A writer about to store `bytes` at `key` hands the cache the object it already parsed, so
 * the cache need not parse the bytes again (the match is on key and identical bytes). The
 * cache takes a reference to json and, when it uses it, modifies it: the writer must not read
 * json afterwards. cache_unhint drops a hint the cache did not use (the write failed). */
void cache_hint(struct cache *c, const char *key, const char *bytes, size_t len, json_t *json);
void cache_unhint(struct cache *c, const char *key, const char *bytes);

/* The revision the cache reflects. */
int64_t cache_rev(struct cache *c);
/* Wait until the cache reflects at least rev (or timeout_ms passes). Returns true if it does. */
bool cache_wait_rev(struct cache *c, int64_t rev, int timeout_ms);

/* Get one object (a new reference) or NULL. ns is "" or NULL for cluster-scoped kinds. */
struct obj *cache_get(struct cache *c, const struct resource *r, const char *ns,
                      const char *name);

/* List: references to every object of r matching f, sorted by namespace then name, and the
 * revision. Caller unrefs each and frees *items. */
int cache_list(struct cache *c, const struct resource *r, const struct cache_filter *f,
               struct obj ***items, size_t *nr, int64_t *rev);
/* Count objects of r in namespace ns (all namespaces if NULL). */
size_t cache_count(struct cache *c, const struct resource *r, const char *ns);

/* Start a watch on r with filter f (copied; selectors must outlive the watcher).
 * from_rev < 0: send the current state as ADDED events first (upstream's "RV unset or 0").
 * from_rev >= 0: replay events after from_rev from the ring; -ETIME if too old (410 Expired),
 * with *oldest set to the oldest revision still available. */
int cache_watch(struct cache *c, const struct resource *r, const struct cache_filter *f,
                int64_t from_rev, struct cache_watcher **out, int64_t *oldest);
/* Wait for the next event, up to timeout_ms. Returns a reference (caller unrefs) and sets
 * *type to what the watcher should report (selector transitions turn MODIFIED into ADDED or
 * DELETED). NULL on timeout, or when the watcher was closed (*closed = true). */
struct cache_event *cache_watcher_next(struct cache_watcher *w, int timeout_ms,
                                       enum cache_ev_type *type, bool *closed);
/* The revision of the last event delivered (for bookmarks). */
int64_t cache_watcher_rev(struct cache_watcher *w);
void cache_watcher_free(struct cache_watcher *w);

#endif
