/* internal.h — shared inside src/controllers/volume (the vol__ tier of STYLE.md "Naming").
 *
 * Objects are jansson values as the informers hand them out: borrowed pointers stay valid while
 * the caller holds the reference it got; functions documented "new reference" hand one over.
 * Nothing here modifies an object it was given unless the name says so (set, add, del).
 */
#ifndef BERTH_VOLUME_INTERNAL_H
#define BERTH_VOLUME_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/json.h"
#include "base/quantity.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/recorder.h"
#include "client/workqueue.h"
#include "controllers/manager.h"
#include "controllers/volume/volume.h"

/* --- names upstream gives its annotations and finalizers --- */

#define ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"
#define ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define ANN_BETA_STORAGE_PROVISIONER "volume.beta.kubernetes.io/storage-provisioner"
#define ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define ANN_BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"
#define ANN_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"
#define ANN_BETA_DEFAULT_CLASS "storageclass.beta.kubernetes.io/is-default-class"
#define ANN_MIGRATED_TO "pv.kubernetes.io/migrated-to"
#define FINALIZER_PVC_PROTECTION "kubernetes.io/pvc-protection"
#define FINALIZER_PV_PROTECTION "kubernetes.io/pv-protection"
#define FINALIZER_EXTERNAL_PROVISIONER "external-provisioner.volume.kubernetes.io/finalizer"
#define LABEL_HOSTNAME "kubernetes.io/hostname"

/* Upstream's pv controller resync period (--pvclaimbinder-sync-period). */
#define VOL_RESYNC_MS 15000

/* --- object helpers (util.c) --- */

const char *vol__name(const json_t *obj);                 /* "" when absent; borrowed */
const char *vol__ns(const json_t *obj);                   /* "" when absent */
const char *vol__uid(const json_t *obj);                  /* "" when absent */
const char *vol__phase(const json_t *obj);                /* status.phase, "" when absent */
const char *vol__ann(const json_t *obj, const char *key); /* NULL when absent */
bool vol__has_ann(const json_t *obj, const char *key);
void vol__set_ann(json_t *obj, const char *key, const char *val);
/* Removes the key, and the annotations map when it becomes empty (as upstream's unbind). */
void vol__del_ann(json_t *obj, const char *key);
bool vol__has_finalizer(const json_t *obj, const char *f);
void vol__add_finalizer(json_t *obj, const char *f);
void vol__remove_finalizer(json_t *obj, const char *f);
bool vol__deleting(const json_t *obj);
/* "ns/name". Caller frees. */
char *vol__key(const char *ns, const char *name);
/* The resourceVersion as a number (0 when absent or not numeric). */
long long vol__rv(const json_t *obj);

/* A quantity from a JSON string; zero when absent or malformed (Go's zero Quantity). */
struct quantity vol__qty(const json_t *v);
struct quantity vol__claim_request(const json_t *claim); /* spec.resources.requests.storage */
struct quantity vol__pv_capacity(const json_t *pv);      /* spec.capacity.storage */

/* The class of a claim (the beta annotation wins, then spec.storageClassName, else "") and of
 * a volume, as upstream's GetPersistentVolume[Claim]Class. */
const char *vol__claim_class(const json_t *claim);
bool vol__claim_has_class(const json_t *claim);
const char *vol__pv_class(const json_t *pv);
/* The default StorageClass in the cache: annotated is-default-class "true" (or the beta key);
 * the newest wins, then the name, as upstream's GetDefaultClass. New reference or NULL. */
json_t *vol__default_class(struct informer *classes);

/* upstream util.IsPodTerminated: Failed, Succeeded, or deleted with no container running. */
bool vol__pod_terminated(const json_t *pod);
/* Does the pod name the claim in a persistentVolumeClaim volume (or as the claim of a generic
 * ephemeral volume, <pod>-<volume>)? */
bool vol__pod_references_claim(const json_t *pod, const char *claim_name);

/* The node a volume's node affinity pins it to (kubernetes.io/hostname In [one value]), or
 * NULL. Borrowed. */
const char *vol__pv_node(const json_t *pv);

/* Remove a directory tree (no symlinks followed). 0 or -errno; a missing path is 0. */
int vol__remove_tree(const char *path);

/* isVolumeReleased: the volume has a claimRef with a uid, and claim (the object its claimRef
 * names, or NULL) is gone, has another uid, or is bound to another volume. */
bool vol__pv_released(const json_t *pv, const json_t *claim);

/* A claimRef as reference.GetReference writes it for a claim. New reference. */
json_t *vol__claim_ref(const json_t *claim);

/* --- matching (match.c): upstream's FindMatchingVolume and the access-mode index --- */

enum {
    VOL_RWO = 1 << 0,
    VOL_ROX = 1 << 1,
    VOL_RWX = 1 << 2,
    VOL_RWOP = 1 << 3,
};
unsigned vol__access_modes(const json_t *modes);
/* A Filesystem/Block difference (absent means Filesystem). */
bool vol__volume_mode_mismatch(const json_t *claim, const json_t *pv);
/* IsVolumeBoundToClaim: claimRef names the claim, and its uid is empty or the claim's. */
bool vol__pv_bound_to_claim(const json_t *pv, const json_t *claim);
/* Every mode the claim asks for is one the volume has. */
bool vol__access_modes_ok(const json_t *claim, const json_t *pv);
/* FindMatchingVolume without a node (the controller path) over pvs (any order): the pre-bound
 * volume, else the smallest fitting Available one. delay: WaitForFirstConsumer, where only
 * pre-bound volumes are returned. Returns one of pvs (borrowed) or NULL. */
json_t *vol__find_matching(const json_t *claim, json_t *const *pvs, size_t n, bool delay);
/* findBestMatchForClaim: vol__find_matching over each group of volumes whose access modes are
 * a superset of the claim's, the groups with the fewest modes first. Borrowed or NULL. */
json_t *vol__find_best_match(const json_t *claim, json_t *const *pvs, size_t n, bool delay);
/* checkVolumeSatisfyClaim for a claim that names the volume: NULL when it fits, else upstream's
 * reason ("requested PV is too small", ...). The string is static or, for the deletion case,
 * written into buf. */
const char *vol__check_satisfy(const json_t *pv, const json_t *claim, char *buf, size_t bufsz);

/* --- the controller's own newer copies (cache.c) ---
 *
 * After a write the controller knows a newer version of the object than its informer until the
 * watch delivers it. Syncs read through this overlay, as upstream's pv controller keeps its own
 * volume and claim stores, so that the four writes of a bind do not each come back as a stale
 * object and a pointless conflict. Entries drop out once the informer has caught up. */
struct vol_cache {
    pthread_mutex_t mu;
    struct vol_cache_ent {
        char *key;
        long long rv;
        json_t *obj;
    } * v;
    size_t nr, alloc;
};
void vol__cache_init(struct vol_cache *c);
void vol__cache_release(struct vol_cache *c);
/* Remember obj (borrowed; a reference is taken) under key if it is newer than what is held. */
void vol__cache_store(struct vol_cache *c, const char *key, json_t *obj);
void vol__cache_forget(struct vol_cache *c, const char *key);
/* The keys held now. *out: malloc'd array of malloc'd strings (caller frees all); returns the
 * count. */
size_t vol__cache_keys(struct vol_cache *c, char ***out);
/* The newer of the informer's object and the cached one. Returns a new reference, or NULL when
 * the informer has no such object (a deleted object is never brought back). */
json_t *vol__cache_newest(struct vol_cache *c, const char *key, json_t *informer_obj);

/* --- events (util.c) --- */

/* A recorder plus, for tests, a log of "Type Reason message" lines. */
struct vol_events {
    struct recorder *rec; /* may be NULL */
    pthread_mutex_t mu;
    struct strbuf log;
    bool keep_log;
    struct vol_events *log_into; /* log there instead (one log for two sources) */
};
void vol__events_init(struct vol_events *ev, struct kclient *c, const char *component);
void vol__events_release(struct vol_events *ev);
/* Record an event about obj (of kind r; apiVersion and kind are added when missing). */
void vol__eventf(struct vol_events *ev, const json_t *obj, enum res_id r, const char *type,
                 const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The log so far (tests), emptied. Caller frees. */
char *vol__events_take(struct vol_events *ev);

/* --- writes through the client, remembered in a cache when one is given (util.c) --- */

/* PUT obj (status: the status subresource). On success *out (if not NULL) gets the stored
 * object (new reference) and the cache remembers it. 0 or the client's -errno. */
int vol__update(struct kclient *c, struct vol_cache *cache, enum res_id r, const json_t *obj,
                bool status, json_t **out);

/* --- the controllers, for their tests: built without worker threads when run is false, so
 * that a test drives the syncs itself --- */

struct vol_binder;
struct vol_binder *vol__binder_new(const struct ctrl_env *env, bool run);
void vol__binder_free(struct vol_binder *b);
int vol__binder_sync_claim(struct vol_binder *b, const char *key);
int vol__binder_sync_volume(struct vol_binder *b, const char *key);
/* Process the queued keys (claims first, then volumes, until both are empty or max keys were
 * done); returns how many were processed. A failed sync is counted and not retried. */
int vol__binder_drain(struct vol_binder *b, int max);
struct vol_events *vol__binder_events(struct vol_binder *b);

struct vol_provisioner;
struct vol_provisioner *vol__provisioner_new(const struct ctrl_env *env, bool run);
void vol__provisioner_free(struct vol_provisioner *p);
/* Keys: "class" (ensure the StorageClass), "claim:<ns>/<name>", "volume:<name>". */
int vol__provisioner_sync(struct vol_provisioner *p, const char *key);
int vol__provisioner_drain(struct vol_provisioner *p, int max);
struct vol_events *vol__provisioner_events(struct vol_provisioner *p);

struct vol_protection;
struct vol_protection *vol__protection_new(const struct ctrl_env *env, bool run);
void vol__protection_free(struct vol_protection *p);
/* Keys: "pvc:<ns>/<name>", "pv:<name>". */
int vol__protection_sync(struct vol_protection *p, const char *key);
int vol__protection_drain(struct vol_protection *p, int max);

struct vol_expander;
struct vol_expander *vol__expander_new(const struct ctrl_env *env, bool run);
void vol__expander_free(struct vol_expander *x);
int vol__expander_sync(struct vol_expander *x, const char *key);
int vol__expander_drain(struct vol_expander *x, int max);
struct vol_events *vol__expander_events(struct vol_expander *x);

/* --- reclaim (reclaim.c), called by the binder's volume sync --- */

/* reclaimVolume: act on the reclaim policy of a volume whose claim is gone. Returns 0 or a
 * negative errno for the caller to retry. */
int vol__reclaim_volume(struct vol_binder *b, json_t *pv);

/* Binder internals reclaim.c needs. */
struct kclient *vol__binder_client(struct vol_binder *b);
struct informer *vol__binder_claims(struct vol_binder *b);
struct informer *vol__binder_pods(struct vol_binder *b);
struct vol_cache *vol__binder_volume_cache(struct vol_binder *b);
/* updateVolumePhase / updateVolumePhaseWithEvent: phase (and message) written through the
 * status subresource when it differs; lastPhaseTransitionTime is set on a change. The event,
 * if reason is not NULL, is recorded only when the phase changed. *out gets the newest object
 * (new reference) when out is not NULL. */
int vol__update_volume_phase(struct vol_binder *b, json_t *pv, const char *phase,
                             const char *message, const char *type, const char *reason,
                             json_t **out);
/* The binder's newest view of the claim a volume's claimRef names (new reference or NULL). */
json_t *vol__binder_ref_claim(struct vol_binder *b, const json_t *pv);

#endif
