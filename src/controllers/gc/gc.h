/* gc.h — the garbage collector: cascading deletion through ownerReferences, for every resource
 * of the resource table, with upstream's semantics (pkg/controller/garbagecollector).
 *
 * Events are left out, as upstream's default ignoredResources does: they are neither watched
 * nor collected.
 *
 * The dependency graph is the shared informers' owner-UID index: the dependents of an object
 * are the objects, of any resource, holding an ownerReference with its UID (and matching kind
 * and name; a namespaced owner only owns objects of its own namespace). On that graph:
 *
 *   - Background: an object none of whose owners exists any more (absent, or present under
 *     another UID) is deleted, with its own orphan/foregroundDeletion finalizer deciding the
 *     propagation of that delete (Background otherwise). An owner that is gone is confirmed
 *     with a live GET before anything is deleted; deletes carry UID and resourceVersion
 *     preconditions (upstream's deleteObject).
 *   - Foreground: an owner with a deletionTimestamp and the `foregroundDeletion` finalizer has
 *     its dependents deleted (in the foreground too when they have dependents of their own);
 *     it keeps the finalizer while a dependent with blockOwnerDeletion=true exists, then the
 *     collector removes it and the API server deletes the owner.
 *   - Orphan: an owner with a deletionTimestamp and the `orphan` finalizer has its
 *     ownerReference removed from every dependent (strategic merge patch), then the finalizer.
 *   - An object with a live owner keeps living; references to absent owners, or to owners
 *     waiting for their dependents, are then removed from it instead.
 *   - A cluster-scoped object that names a namespaced owner kind is never collected; it gets a
 *     Warning event OwnerRefInvalidNamespace, as does an object naming an owner that lives in
 *     another namespace (that reference counts as absent).
 *
 * Work queue keys are "<plural>/<namespace>/<name>" ("<plural>/<name>" for cluster-scoped
 * kinds). Failed writes are retried with backoff and reported as Warning events
 * (GarbageCollectionFailed) on the object concerned.
 */
#ifndef BERTH_GC_H
#define BERTH_GC_H

#include "client/client.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/manager.h"

/* "garbage-collector": the collector with four workers. */
extern const struct controller_def gc_controller_def;

struct gc;

/* A collector over client c and the shared informers of f: takes (creates if needed) the
 * informer of every resource but Events and registers its handlers; starts no thread. c and f must
 * outlive the collector, and f's informers must be stopped before gc_free. */
struct gc *gc_new(struct kclient *c, struct informer_factory *f);
/* Examine one key and act on it (one sync of the worker loop). Until every informer has
 * synced it only re-queues the key a little later. Returns 0 or a negative errno (the loop
 * retries the key with backoff). */
int gc_sync(struct gc *gc, const char *key);
/* The collector's work queue (borrowed; tests drain it by hand). */
struct workqueue *gc_queue(struct gc *gc);
/* Stop the workers if started, write out queued events, free. NULL is a no-op. */
void gc_free(struct gc *gc);

#endif
