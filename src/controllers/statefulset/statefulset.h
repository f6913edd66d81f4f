/* statefulset.h — the StatefulSet controller: upstream's semantics as STATEFULSET.md §1 writes
 * them down, plus berth's rules of §7 (no stuck rollouts, currentRevision under OnDelete,
 * canonical revision hashing, never an invalid label, claim template expansion).
 *
 * Two levels:
 *   - statefulset_controller_def: the controller as `berth server` runs it (informers over
 *     statefulsets, pods, controllerrevisions and persistentvolumeclaims; handlers enqueue
 *     "namespace/name" keys; workers run sts_controller_sync).
 *   - sts_update: one reconcile of one set over lists the caller read (upstream's
 *     defaultStatefulSetControl.UpdateStatefulSet), writing through a struct sts_control. Unit
 *     tests drive it step by step over the fake client (client/fake.h).
 *
 * Status extension (berth §7 item 2, shaped after KEP-4650's proposal): for every claim
 * template with a storage request the controller writes
 *   status.volumeClaimTemplates[]: {templateName, compatibleReplicas, updatingReplicas}
 * compatibleReplicas counts the claims of in-range pods whose status.capacity.storage reaches
 * the template's request; updatingReplicas the bound ones whose request does but whose capacity
 * does not yet (an expansion in progress). Raising a template's request makes the controller
 * patch spec.resources.requests.storage of every bound claim of the set (any ordinal) that asks
 * for less; claims never shrink, unbound claims are patched once bound.
 *
 * Where the files are: statefulset.c (controller, handlers, sync, the reconcile skeleton),
 * identity.c (names, ordinals, labels, owner refs), pods.c (creating/updating/deleting pods and
 * claims, claim expansion), retention.c (persistentVolumeClaimRetentionPolicy), scale.c
 * (processReplica / processCondemned gating), update.c (rolling updates, partition, OnDelete),
 * history.c (ControllerRevisions), status.c (status), adopt.c (ClaimPods).
 */
#ifndef BERTH_STATEFULSET_H
#define BERTH_STATEFULSET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/json.h"
#include "client/client.h"
#include "client/recorder.h"
#include "controllers/manager.h"

/* The controller for controllers/manager.c. */
extern const struct controller_def statefulset_controller_def;

/* How the reconcile logic reaches the world. The real controller fills client and recorder;
 * a test may instead (or also) collect events through on_event, and pin the clock. */
struct sts_control {
    struct kclient *client;    /* every write goes here; thread-safe */
    struct recorder *recorder; /* Events; NULL: none are written */
    /* Called for every event as well (tests), with the set (borrowed) the event is about. */
    void (*on_event)(void *ctx, const json_t *set, const char *type, const char *reason,
                     const char *message);
    void *event_ctx;
    time_t now;      /* 0: the wall clock; else the time availability is judged at */
    int parallelism; /* threads running a Parallel batch; <= 1: one call at a time */
};

/* One reconcile of set (borrowed, as read from the cache) over:
 *   pods       the pods the set owns after ClaimPods (borrowed),
 *   revisions  the ControllerRevisions the set owns (orphans already adopted; borrowed),
 *   claims     the PersistentVolumeClaims of the set's namespace (borrowed; only looked up by
 *              name, so passing every claim of the namespace is fine).
 * Creates, updates and deletes pods, claims and revisions, and writes the status when it
 * changed. *status_out (if not NULL) gets the status computed (caller owns; NULL when the
 * revisions could not be established). Returns 0, or the first negative errno; the status is
 * still written after an error in the pod phase, and the history still truncated. */
int sts_update(struct sts_control *ctl, const json_t *set, json_t *const *pods, size_t npods,
               json_t *const *revisions, size_t nrevisions, json_t *const *claims, size_t nclaims,
               json_t **status_out);

/* The whole sync of one set over everything the caches hold for its namespace: adopt orphan
 * ControllerRevisions that match the selector (after a live re-check of the set), claim the
 * pods (adopt matching orphans, release non-matching pods), then sts_update with the set's
 * pods and revisions. All arrays are borrowed. An unusable selector is logged and returns 0
 * (retrying cannot help). */
int sts_reconcile(struct sts_control *ctl, const json_t *set, json_t *const *revisions,
                  size_t nrevisions, json_t *const *pods, size_t npods, json_t *const *claims,
                  size_t nclaims, json_t **status_out);

/* --- the controller, for tests and the manager --- */

struct sts_controller;

/* Create the controller over env's client and shared informers (handlers registered at once).
 * workers > 0 starts that many worker threads; 0 starts none, and the caller drives
 * sts_controller_sync itself (tests). */
int sts_controller_new(const struct ctrl_env *env, int workers, struct sts_controller **out);
/* The control the controller writes through (tests adjust now/on_event/parallelism). */
struct sts_control *sts_controller_control(struct sts_controller *c);
/* Reconcile the set named by key ("namespace/name"): get the set from the cache, adopt orphan
 * revisions, claim pods (adopt/release), sts_update, requeue for minReadySeconds. 0 or a
 * negative errno (the worker then requeues the key with backoff). */
int sts_controller_sync(struct sts_controller *c, const char *key);
/* Pop the next queued key without blocking (tests); NULL when the queue is empty. The caller
 * frees the key and must call sts_controller_done with it. */
char *sts_controller_next_key(struct sts_controller *c);
void sts_controller_done(struct sts_controller *c, const char *key);
/* Stop the workers and free everything. The informers the handlers were registered on must be
 * stopped first (informer_factory_stop): no handler may run after this. */
void sts_controller_free(struct sts_controller *c);

#endif
