/* informer.h — shared informers: a local, watch-fed cache of one resource, with listers and
 * event handlers, as client-go's SharedIndexInformer.
 *
 * An informer lists the resource, then watches from the list's resourceVersion; on a watch
 * error or a 410 Expired it lists again (with backoff) and reports the differences as
 * add/update/delete events. Objects in the cache are immutable jansson values shared by
 * reference: a handler or lister caller that keeps one takes its own reference, and must copy
 * (json_deep_copy) before modifying.
 *
 * Handlers run on the informer's thread, one event at a time, in order. They should only
 * enqueue keys (STYLE.md "Controllers"). Updates whose resourceVersion did not change (relist
 * echoes) are still delivered; handlers decide whether to ignore them. An object deleted while
 * the informer was not watching is delivered to on_delete as last seen. Cached objects always
 * carry kind and apiVersion (list items come without them; the informer fills them in), so
 * they can go to the event recorder as they are.
 *
 * Indexes: by namespace, and by the UID of every owner reference (informer_by_owner) — what the
 * StatefulSet controller and the garbage collector look objects up by — and any a user adds
 * (informer_add_index), as client-go's Indexers: a function maps an object to the values it is
 * filed under, and informer_by_index finds the objects filed under a value without a scan.
 */
#ifndef BERTH_INFORMER_H
#define BERTH_INFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/selector.h"
#include "client/client.h"

struct informer_handlers {
    void (*on_add)(void *ctx, const json_t *obj);
    void (*on_update)(void *ctx, const json_t *old, const json_t *cur);
    void (*on_delete)(void *ctx, const json_t *obj);
    void *ctx;
};

struct informer;

/* An informer over resource r in namespace ns (NULL: all namespaces), optionally restricted by
 * a label selector string. The client must outlive the informer. */
struct informer *informer_new(struct kclient *c, enum res_id r, const char *ns,
                              const char *label_selector);
/* Register handlers (before or after start; added handlers first receive on_add for every
 * object already in the cache, on the caller's thread, before any later event). Handlers must
 * not call informer_add_handlers. */
void informer_add_handlers(struct informer *inf, const struct informer_handlers *h);
/* An index function: calls add(arg, value) for each value obj is to be filed under (none: the
 * object is not in the index; a value given twice counts once). It runs under the cache's lock
 * for every event, so it must be quick and must not call the informer. */
typedef void informer_index_fn(const json_t *obj, void (*add)(void *arg, const char *value),
                               void *arg);
/* Add the index name (a string that outlives the informer) computed by fn, at any time: what is
 * cached already is filed at once. Controllers sharing an informer each add the indexes they
 * read; adding a name again is a no-op (and must name the same function). At most 8. */
void informer_add_index(struct informer *inf, const char *name, informer_index_fn *fn);
/* Start the list/watch thread. */
int informer_start(struct informer *inf);
bool informer_synced(struct informer *inf);
/* Wait until the first list has been delivered; false on timeout. */
bool informer_wait_synced(struct informer *inf, int timeout_ms);
/* Stop the thread (handlers are not called after this returns) and free everything. */
void informer_free(struct informer *inf);

enum res_id informer_resource(const struct informer *inf);

/* --- listers: reads from the cache (new references; callers json_decref them) --- */

/* One object, or NULL. ns "" or NULL for cluster-scoped kinds. */
json_t *informer_get(struct informer *inf, const char *ns, const char *name);
/* All objects in ns (NULL: all), optionally matching sel (NULL: all). *out is a malloc'd
 * array of references; returns the count. Order: by namespace, then name. */
size_t informer_list(struct informer *inf, const char *ns, const struct label_selector *sel,
                     json_t ***out);
/* Objects with an ownerReference whose uid is owner_uid. */
size_t informer_by_owner(struct informer *inf, const char *owner_uid, json_t ***out);
/* The objects the named index files under value (see informer_add_index), by namespace, then
 * name; none when there is no such index. The index is updated with the cache, under its lock,
 * so it always agrees with informer_get. */
size_t informer_by_index(struct informer *inf, const char *name, const char *value, json_t ***out);
/* Release an array returned by the listers. */
void informer_list_free(json_t **items, size_t n);

/* The resourceVersion of the last event or list applied (for tests and diagnostics: the
 * buffer is the informer's and changes as events arrive). */
const char *informer_last_rv(struct informer *inf);

/* --- a factory sharing one informer per resource between controllers --- */

struct informer_factory;

struct informer_factory *informer_factory_new(struct kclient *c);
/* The shared informer of r over all namespaces (created on first use, not started). */
struct informer *informer_factory_get(struct informer_factory *f, enum res_id r);
/* Start every informer created so far (and those created later, at creation). */
void informer_factory_start(struct informer_factory *f);
bool informer_factory_wait_synced(struct informer_factory *f, int timeout_ms);
/* Stop every informer's thread (no handler runs after this returns) but keep the caches, so
 * that controllers can finish their work before the factory is freed. NULL is a no-op. */
void informer_factory_stop(struct informer_factory *f);
/* Stop (if needed) and free every informer. NULL is a no-op. */
void informer_factory_free(struct informer_factory *f);

/* "namespace/name", or "name" for cluster-scoped objects: the workqueue key of obj. Caller owns
 * it. Split a key back with key_split (ns set to "" when there is no slash; caller frees
 * both). */
char *obj_key(const json_t *obj);
void key_split(const char *key, char **ns, char **name);

#endif
