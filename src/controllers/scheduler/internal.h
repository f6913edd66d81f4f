/* internal.h — the scheduler's parts, shared by its files and its unit test.
 *
 * The scheduler (scheduler.c) binds pending pods to nodes the way kube-scheduler's default
 * profile does, restricted to the plugins berth needs:
 *   filters, in upstream's order: NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector
 *   and required node affinity), NodeResourcesFit, VolumeBinding;
 *   scores: NodeResourcesFit (least allocated), TaintToleration (PreferNoSchedule), NodeAffinity
 *   (preferred terms).
 * The pure predicates are in predicates.c, the volume binding decisions in volumes.c, and the
 * per-node bookkeeping (requested resources of the pods on each node, including pods the
 * scheduler assumed but the informer has not shown bound yet) in cache.c.
 */
#ifndef BERTH_SCHED_INTERNAL_H
#define BERTH_SCHED_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/json.h"
#include "base/quantity.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "client/ctrlloop.h"
#include "client/informer.h"
#include "client/recorder.h"
#include "client/workqueue.h"

#define SCHED_NAME "default-scheduler"

/* Upstream label, annotation and taint keys. */
#define ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define ANN_BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"
#define NO_PROVISIONER "kubernetes.io/no-provisioner"
#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"

/* --- a string -> pointer hash map (keys copied, values owned by the caller) --- */

struct sched__ent {
    struct sched__ent *next;
    uint32_t hash;
    char *key;
    void *val;
};

struct sched__map {
    struct sched__ent **b; /* buckets, a power of two of them */
    size_t nb, n;
};
#define SCHED_MAP_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void *sched__map_get(const struct sched__map *m, const char *key);
/* Insert or replace; returns the value that was there (the caller frees it) or NULL. */
void *sched__map_put(struct sched__map *m, const char *key, void *val);
/* Remove; returns the value (the caller frees it) or NULL. */
void *sched__map_del(struct sched__map *m, const char *key);
/* Iterate: for (e = NULL; (e = sched__map_next(m, e));) — no changes to m meanwhile. */
struct sched__ent *sched__map_next(const struct sched__map *m, struct sched__ent *e);
/* Free every entry (calling free_val on each value when not NULL) and the table. */
void sched__map_clear(struct sched__map *m, void (*free_val)(void *));

/* --- resources (predicates.c) --- */

struct sres_scalar {
    char *name;  /* extended resource or hugepages-<size> */
    int64_t val; /* in units (Quantity.Value()) */
};

/* A resource vector, as upstream's framework.Resource. */
struct sres {
    int64_t cpu;  /* millicores */
    int64_t mem;  /* bytes */
    int64_t eph;  /* bytes of ephemeral-storage */
    int64_t pods; /* pod count: meaningful for allocatable only */
    size_t nscalar;
    struct sres_scalar *scalar;
};

void sres_release(struct sres *r);
int64_t sres_scalar(const struct sres *r, const char *name);
/* a += sign * b, scalars included. */
void sres_add(struct sres *a, const struct sres *b, int sign);
void sres_copy(struct sres *dst, const struct sres *src);

/* Requests of a pod as upstream's resourcehelper.PodRequests: the sum of the containers and
 * sidecars (restartable init containers), at least the largest init container (plus the
 * sidecars started before it), plus spec.overhead. nz_cpu/nz_mem are the same sums with
 * upstream's non-zero defaults (100m, 200Mi) for containers that request nothing, used for
 * scoring. */
void sched__pod_requests(const json_t *pod, struct sres *req, int64_t *nz_cpu, int64_t *nz_mem);
/* status.allocatable of a node (cpu, memory, ephemeral-storage, pods and scalars). */
void sched__node_allocatable(const json_t *node, struct sres *alloc);

/* --- predicates (predicates.c) --- */

/* upstream Toleration.ToleratesTaint. */
bool sched__toleration_tolerates(const json_t *tol, const char *key, const char *value,
                                 const char *effect);
bool sched__tolerations_tolerate(const json_t *tolerations, const char *key, const char *value,
                                 const char *effect);
/* The first NoSchedule/NoExecute taint of taints (an array) that tolerations do not tolerate,
 * or NULL. */
const json_t *sched__untolerated_taint(const json_t *taints, const json_t *tolerations);
/* How many PreferNoSchedule taints are not tolerated. */
int sched__intolerable_prefer_no_schedule(const json_t *taints, const json_t *tolerations);

/* Does one node selector requirement list (matchExpressions) hold on labels? false also for a
 * malformed requirement (upstream drops terms that do not parse). */
bool sched__node_selector_requirements_match(const json_t *exprs, const json_t *labels);
/* NodeSelectorTerms (ORed) against a node: matchExpressions on labels, matchFields on
 * metadata.name (In/NotIn with one value). An empty term matches nothing. With labels_only,
 * matchFields see a node without a name (upstream's CheckNodeAffinity for PVs). */
bool sched__node_selector_terms_match(const json_t *terms, const json_t *node, bool labels_only);
/* spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (upstream
 * RequiredNodeAffinity.Match). */
bool sched__pod_matches_node(const json_t *pod, const json_t *node);
/* Sum of the weights of the pod's preferred node affinity terms that match node. */
int64_t sched__preferred_affinity_score(const json_t *pod, const json_t *node);
/* PV spec.nodeAffinity.required against the node's labels (upstream CheckNodeAffinity). */
bool sched__pv_node_affinity_matches(const json_t *pv, const json_t *node);
/* StorageClass allowedTopologies against the node's labels (upstream
 * MatchTopologySelectorTerms; none means everywhere). */
bool sched__topology_matches(const json_t *cls, const json_t *node);

/* The Ready condition's status of a node ("True", "False", "Unknown"), or NULL. */
const char *sched__node_ready(const json_t *node);
/* Taints the scheduler sees on a node: spec.taints, plus the not-ready / unreachable NoSchedule
 * taint the node lifecycle controller would add when the node is not Ready and does not carry
 * it yet (what upstream's TaintNodesByCondition admission and node lifecycle controller
 * guarantee before any pod lands there). New reference. */
json_t *sched__node_taints(const json_t *node);

/* --- the per-node bookkeeping (cache.c) --- */

enum prec_state {
    PREC_ASSUMED,   /* chosen by us; waiting for volumes or the binding call */
    PREC_BOUND,     /* the binding call succeeded; the informer has not shown it yet */
    PREC_CONFIRMED, /* the informer shows it bound */
};

struct pod_rec {
    char *node;
    char *uid;
    struct sres req;
    int64_t nz_cpu, nz_mem;
    enum prec_state st;
};

struct node_sum {
    struct sres req; /* requests of every pod on the node */
    int64_t nz_cpu, nz_mem;
    int64_t npods;
};

struct sched_cache {
    struct sched__map pods;  /* "ns/name" -> struct pod_rec */
    struct sched__map nodes; /* node name -> struct node_sum */
};

void sched__cache_release(struct sched_cache *c);
/* Record pod key on node (replacing any earlier record of key). */
void sched__cache_set(struct sched_cache *c, const char *key, const json_t *pod, const char *node,
                      enum prec_state st);
struct pod_rec *sched__cache_get(struct sched_cache *c, const char *key);
/* Forget key (all states). */
void sched__cache_del(struct sched_cache *c, const char *key);
/* The sums of a node; NULL if no pod is there. */
const struct node_sum *sched__cache_node(struct sched_cache *c, const char *node);

/* --- volume binding (volumes.c) --- */

enum pclaim_kind { PCLAIM_BOUND, PCLAIM_DELAY, PCLAIM_IMMEDIATE };

struct pclaim {
    json_t *pvc; /* reference */
    enum pclaim_kind kind;
    json_t *pv;  /* BOUND: the PV (reference), NULL if missing */
    json_t *cls; /* DELAY: the StorageClass (reference) */
    struct quantity req;
    json_t **cands; /* DELAY: the PVs it can get, by name (references), listed on first need */
    size_t ncands;
    bool listed;
};

struct pvols {
    size_t n;
    struct pclaim *c;
};

struct vbinding {
    json_t *pv;  /* borrowed from pvols */
    json_t *pvc; /* borrowed */
};

/* What the pod's claims need on one node. */
struct vplan {
    size_t nstatic;
    struct vbinding *st; /* static PVs to pre-bind (or already pre-bound) */
    size_t nprov;
    json_t **prov; /* claims to provision there (borrowed) */
};

struct sched;

/* PreFilter: sort the pod's claims into bound / delayed / immediate. Returns 0; 1 when the pod
 * cannot be scheduled anywhere, with the reason in msg (upstream's PreFilter message, e.g.
 * "pod has unbound immediate PersistentVolumeClaims"). */
int sched__volumes_prefilter(struct sched *s, const json_t *pod, struct pvols *pv,
                             struct strbuf *msg);
/* Filter on one node: appends upstream's conflict reasons to reasons[] (static strings) and
 * returns their count (0: fits, plan filled). */
int sched__volumes_filter(struct sched *s, struct pvols *pv, const json_t *node, struct vplan *plan,
                          const char *reasons[4]);
void sched__pvols_release(struct pvols *pv);
/* List, for each delayed claim the filter will match volumes for, the PVs it can get (an
 * informer read: done before the scheduler's lock is taken). */
void sched__volumes_list(struct sched *s, struct pvols *pv);
void sched__vplan_release(struct vplan *p);

/* --- the scheduler --- */

/* A PV we pre-bound (or chose to) for a claim, until the informer shows its claimRef. */
struct pv_assume {
    char *claim; /* "ns/name" */
    int64_t at_ms;
};

struct pending {
    char *ns;
    char **claims; /* names of the PersistentVolumeClaims the pod uses */
    size_t nclaims;
    int attempts;       /* failed scheduling attempts in a row */
    bool unschedulable; /* the last attempt found no node */
};

struct sched {
    struct kclient *client;
    struct informer *pods, *nodes, *pvcs, *pvs, *classes;
    struct workqueue *q;
    struct ctrl_loop *loop;
    struct recorder *rec;
    pthread_mutex_t mu; /* guards cache, pending and pv_assumed */
    struct sched_cache cache;
    struct sched__map pending;    /* "ns/name" -> struct pending */
    struct sched__map pv_assumed; /* PV name -> struct pv_assume: pre-bound by us, not seen yet */
    int64_t (*now_ms)(void);      /* monotonic clock (tests replace it) */
    int initial_backoff_ms;       /* first retry delay of an unschedulable pod */
    int max_backoff_ms;           /* cap of the retry delay */
};

/* Build the scheduler over env's informers and client (no worker threads). */
struct sched *sched__new(struct kclient *client, struct informer_factory *f);
void sched__free(struct sched *s);
/* Schedule the pod of key once: 0 done (bound, unschedulable and retried later, waiting for
 * volumes, or nothing to do), or a negative errno for a rate-limited retry. */
int sched__sync(void *ctx, const char *key);

#endif
