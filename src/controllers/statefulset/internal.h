/* internal.h — what the files of the StatefulSet controller share (sts__ functions).
 *
 * Objects are jansson values. "set" and "pod" parameters are borrowed and never modified unless
 * the name says so (sts__update_identity modifies its pod, which must be the caller's copy).
 * Functions returning json_t * or char * give the caller ownership unless marked "borrowed".
 * Actions return 0 or a negative errno and, on failure, describe the error in their
 * struct sts_err (the text events and logs show).
 */
#ifndef BERTH_STS_INTERNAL_H
#define BERTH_STS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/json.h"
#include "base/selector.h"
#include "controllers/statefulset/statefulset.h"

/* Labels and annotations (k8s.io/api/apps/v1). */
#define STS_LABEL_POD_NAME "statefulset.kubernetes.io/pod-name"
#define STS_LABEL_POD_INDEX "apps.kubernetes.io/pod-index"
#define STS_LABEL_REVISION "controller-revision-hash"
#define CR_LABEL_HASH "controller.kubernetes.io/hash"

#define STS_MAX_BATCH 500      /* upstream MaxBatchSize: in-flight calls of a Parallel batch */
#define STS_REV_PREFIX_MAX 223 /* ControllerRevisionName truncates the set name to this */

/* An error's text, as upstream's err.Error() would read in an event. */
struct sts_err {
    char msg[1024];
};
void sts__errf(struct sts_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Describe a failed client call: the Status message the server sent, or strerror. */
void sts__err_client(struct sts_err *e, int rc, const struct kstatus *st);

/* The status the controller computes (apps/v1 StatefulSetStatus). */
struct sts_status {
    int64_t observed_generation;
    int replicas, ready, available, current, updated;
    char *current_revision, *update_revision; /* owned */
    int collision_count;
    json_t *claim_templates; /* berth's status.volumeClaimTemplates, or NULL (owned) */
};
void sts__status_release(struct sts_status *s);

/* One reconcile of one set: what sts_update establishes and the phases share. */
struct sts_run {
    struct sts_control *ctl;
    const json_t *set; /* borrowed: the set as read */
    const char *ns, *name, *uid;
    int start;      /* spec.ordinals.start, 0 when absent */
    int replicas;   /* spec.replicas */
    int min_ready;  /* spec.minReadySeconds */
    bool monotonic; /* podManagementPolicy != Parallel */
    time_t now;
    json_t *cur_set, *upd_set;       /* the set at the current / update revision (owned) */
    json_t *cur_rev, *upd_rev;       /* the two ControllerRevisions (owned references) */
    const char *cur_name, *upd_name; /* their names (borrowed from cur_rev / upd_rev) */
    int collision_count;

    json_t *claims;     /* claim name -> claim; this run's own writes are put back */
    pthread_mutex_t mu; /* guards claims during a Parallel batch */

    json_t **replicas_v; /* [replicas]: the in-range pods, placeholders where missing */
    json_t **condemned;  /* out-of-range pods, by descending ordinal */
    size_t ncondemned;
    const json_t *first_unavailable; /* borrowed from replicas_v / condemned, or NULL */

    struct sts_status status;

    /* The pods' predicates, read once a sync (sts__facts); open addressing on the pointer. */
    struct sts_facts *facts;
    size_t facts_cap;
};

/* What a sync asks of each pod, again and again. */
struct sts_facts {
    const json_t *pod; /* NULL: a free slot */
    bool created, terminating, running_ready, unavailable;
    const char *rev; /* sts__pod_revision, borrowed from pod */
};

/* --- identity.c: names, ordinals, labels, owner refs --- */

/* Parse "<parent>-<ordinal>" as upstream's regex (.*)-([0-9]+)$ does. Returns the ordinal, or
 * -1 (no match, or out of int32 range); *parent_len (if not NULL) gets the parent's length, or
 * 0 when the name does not match. */
int sts__parse_name(const char *name, size_t *parent_len);
int sts__ordinal(const json_t *pod);
bool sts__is_member(const json_t *set, const json_t *pod);
int sts__start_ordinal(const json_t *set);
int sts__replicas(const json_t *set);
bool sts__in_range(const json_t *set, const json_t *pod);
char *sts__pod_name(const json_t *set, int ordinal);
/* <template name>-<set name>-<ordinal> */
char *sts__claim_name(const json_t *set, const json_t *tmpl, int ordinal);
bool sts__identity_matches(const json_t *set, const json_t *pod);
bool sts__storage_matches(const json_t *set, const json_t *pod);
/* Repair the identity labels (name, namespace, pod-name, pod-index) of pod (modified). */
void sts__update_identity(const json_t *set, json_t *pod);
/* Point the template volumes of pod (modified) at the set's claims. */
void sts__update_storage(const json_t *set, json_t *pod);
/* The pod of ordinal at set's template (controller.GetPodFromTemplate + identity + storage). */
json_t *sts__new_pod(const json_t *set, int ordinal);
/* newVersionedStatefulSetPod: ordinal at the current or the update revision (§1.6). */
json_t *sts__new_versioned_pod(const json_t *cur_set, const json_t *upd_set, const char *cur_rev,
                               const char *upd_rev, int ordinal);
const char *sts__pod_revision(const json_t *pod); /* borrowed; "" when unlabelled */
/* metav1.NewControllerRef(owner, gvk): controller and blockOwnerDeletion true. */
json_t *sts__controller_ref(const json_t *owner, const char *api_version, const char *kind);
/* The ownerReference with controller=true, or NULL (borrowed). */
const json_t *sts__controller_of(const json_t *obj);
/* The set's LabelSelector as a selector string for label_selector_*, or -EINVAL. */
int sts__selector(const json_t *set, struct label_selector **out);

/* --- status.c: pod predicates and the status --- */

bool sts__is_created(const json_t *pod);
bool sts__is_pending(const json_t *pod);
bool sts__is_failed(const json_t *pod);
bool sts__is_succeeded(const json_t *pod);
bool sts__is_terminating(const json_t *pod);
bool sts__is_running_ready(const json_t *pod);
/* podutil.IsPodAvailable: Ready, and Ready since more than min_ready seconds before now. */
bool sts__is_available(const json_t *pod, int min_ready, time_t now);
bool sts__is_healthy(const json_t *pod);
/* !healthy || !available */
bool sts__is_unavailable(const json_t *pod, int min_ready, time_t now);
/* Note the facts of pods, which the caller keeps alive (referenced, unchanged) until
 * run_release; not thread-safe. */
void sts__facts_add(struct sts_run *r, json_t *const *pods, size_t n);
/* The facts of pod: noted ones, or computed into *tmp for a pod not noted (a placeholder, a
 * pod this sync wrote). Safe from a Parallel batch's threads. */
const struct sts_facts *sts__facts(const struct sts_run *r, const json_t *pod,
                                   struct sts_facts *tmp);
/* Recount replicas/ready/available/current/updated over the given lists. */
void sts__count(struct sts_run *r, json_t *const *pods, size_t n, bool reset);
/* completeRollingUpdate, for RollingUpdate and (berth §7 item 3) OnDelete. */
void sts__complete_rolling_update(const json_t *set, struct sts_status *s);
/* The status as JSON (apps/v1 StatefulSetStatus). */
json_t *sts__status_json(const struct sts_status *s);
/* Write s if it differs from the set's status (inconsistentStatus), retrying on conflict. */
int sts__write_status(struct sts_run *r, struct sts_err *e);

/* --- history.c: ControllerRevisions --- */

/* The canonical form of a pod template (§7 item 4): decoded by the schema, defaults applied,
 * nulls and empty strings/lists dropped; serialise it with json_dump_canonical. */
json_t *sts__canonical_template(const json_t *tmpl);
/* The revision data of set: {"spec":{"template":{<canonical>,"$patch":"replace"}}} */
json_t *sts__revision_data(const json_t *set);
/* HashControllerRevision over the canonical data text, with collision_count (>= 0) mixed in;
 * out gets the SafeEncodeString form (at most 10 characters). */
void sts__revision_hash(const char *data, int collision_count, char out[16]);
/* ControllerRevisionName: prefix truncated to 223 characters, "-", hash. */
char *sts__revision_name(const char *prefix, const char *hash);
/* A new ControllerRevision object for set (not yet created). */
json_t *sts__new_revision(const json_t *set, int64_t revision, int collision_count);
/* EqualRevision, berth's way: the canonical templates of both are equal. */
bool sts__equal_revision(const json_t *a, const json_t *b);
/* SortControllerRevisions: by .revision, creation time, then name (in place). */
void sts__sort_revisions(json_t **revs, size_t n);
/* ApplyRevision: a copy of set with the revision's template. NULL if the data is unusable. */
json_t *sts__apply_revision(const json_t *set, const json_t *rev);
/* getStatefulSetRevisions: establish r->cur_rev/upd_rev (creating, or renumbering on rollback)
 * and r->collision_count. revs must be sorted. */
int sts__get_revisions(struct sts_run *r, json_t **revs, size_t n, struct sts_err *e);
/* truncateHistory over the sorted revs: keep live ones, delete the oldest beyond the limit. */
int sts__truncate_history(struct sts_run *r, json_t *const *pods, size_t npods, json_t *const *revs,
                          size_t n, struct sts_err *e);
/* Does the set own rev, or is rev an orphan matching its selector (ListControllerRevisions)? */
bool sts__revision_is_candidate(const json_t *set, const struct label_selector *sel,
                                const json_t *rev);
/* AdoptControllerRevision: patch the controller ref in, with the revision's UID as
 * precondition. *out gets the patched revision. */
int sts__adopt_revision(struct sts_control *ctl, const json_t *set, const json_t *rev, json_t **out,
                        struct sts_err *e);

/* --- retention.c: persistentVolumeClaimRetentionPolicy --- */

bool sts__when_scaled_delete(const json_t *set);
bool sts__when_deleted_delete(const json_t *set);
/* hasStaleOwnerRef: a ref of kind/name of obj with another UID. */
bool sts__has_stale_ref(const json_t *claim, const json_t *obj, const char *api_version,
                        const char *kind);
bool sts__claim_owner_up_to_date(const json_t *claim, const json_t *set, const json_t *pod);
/* updateClaimOwnerRefForSetAndPod on claim (modified). */
void sts__update_claim_owner_refs(json_t *claim, const json_t *set, const json_t *pod);
/* ClaimsMatchRetentionPolicy: *match false if some claim of pod needs new owner refs. */
int sts__claims_match_retention(struct sts_run *r, const json_t *set, const json_t *pod,
                                bool *match, struct sts_err *e);
/* UpdatePodClaimForRetentionPolicy (ConflictingController events). */
int sts__update_claims_for_retention(struct sts_run *r, const json_t *set, const json_t *pod,
                                     struct sts_err *e);

/* --- pods.c: pods and their claims --- */

/* The claims of pod as the set's templates make them (getPersistentVolumeClaims), in template
 * order; a JSON array. */
json_t *sts__claims_for(const json_t *set, const json_t *pod);
/* Borrowed claim from r->claims, or NULL. */
json_t *sts__claim_get(struct sts_run *r, const char *name);
void sts__claim_put(struct sts_run *r, json_t *claim); /* steals the reference */
int sts__create_claims(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e);
int sts__create_missing_claims(struct sts_run *r, const json_t *set, const json_t *pod,
                               struct sts_err *e);
bool sts__pod_claim_is_stale(struct sts_run *r, const json_t *set, const json_t *pod);
/* CreateStatefulPod: claims first, then the pod, then the retention refs; events. */
int sts__create_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e);
/* UpdateStatefulPod: repair identity/storage/retention, retrying on conflict; events. */
int sts__update_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e);
/* DeleteStatefulPod; events. -ENOENT is returned as is (callers decide). */
int sts__delete_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e);
/* §7 item 2: raise the storage request of every bound claim of the set to its template's, and
 * compute status.volumeClaimTemplates into r->status. */
int sts__expand_claims(struct sts_run *r, struct sts_err *e);

/* --- scale.c: processReplica / processCondemned --- */

/* Runs the in-range replicas, the claim fix of condemned pods, and processCondemned with the
 * gating of §1.5. Returns 0 with *stop true when the pass must end here (monotonic blocker). */
int sts__scale(struct sts_run *r, bool *stop, struct sts_err *e);

/* --- update.c: rolling updates --- */

/* The RollingUpdate step (legacy or maxUnavailable path, with berth's §7 item 1). */
int sts__rolling_update(struct sts_run *r, struct sts_err *e);
/* §7 item 1: may this unavailable in-range pod (index i of replicas_v) be replaced at once? */
bool sts__stuck_replaceable(const struct sts_run *r, int i);
/* GetScaledValueFromIntOrPercent(maxUnavailable or 1, replicas, round down), at least 1. */
int sts__max_unavailable(const json_t *set, int replicas);

/* --- adopt.c: ClaimPods --- */

/* The live re-check before adopting (RecheckDeletionTimestamp + UID): 0 or -EINVAL. */
int sts__can_adopt(struct sts_control *ctl, const json_t *set, struct sts_err *e);
/* ClaimPods over all pods of the namespace: adopt matching orphans, release non-matching owned
 * pods; *out gets the set's pods (new references, caller frees with informer_list_free-like
 * loop), *n their count. Returns the first error (the claimed list is still valid). */
int sts__claim_pods(struct sts_control *ctl, const json_t *set, const struct label_selector *sel,
                    json_t *const *pods, size_t npods, json_t ***out, size_t *n);

/* --- events --- */

void sts__event(struct sts_control *ctl, const json_t *set, const char *type, const char *reason,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
