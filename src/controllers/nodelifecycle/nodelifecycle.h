/* nodelifecycle.h — the node lifecycle controller (upstream's node_lifecycle_controller, the
 * health monitoring and tainting parts).
 *
 * A node is healthy while its agent renews its Lease (namespace kube-node-lease, name = node
 * name) or changes its Ready heartbeat. When neither happened for the grace period (40 s; 60 s
 * for a node that never posted Ready), the node's Ready, MemoryPressure, DiskPressure and
 * PIDPressure conditions become Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
 * status."; NodeStatusNeverUpdated for conditions never posted) and every pod on it gets
 * Ready=False through pods/status (upstream's MarkPodsNotReady: an update with the pod's
 * resourceVersion, and a NodeNotReady event).
 * Pods are never deleted.
 *
 * Taints follow the conditions, as TaintNodeByCondition and taint-based eviction set them:
 * Ready=False -> node.kubernetes.io/not-ready, Ready=Unknown -> node.kubernetes.io/unreachable,
 * each with NoSchedule and NoExecute (timeAdded set); MemoryPressure, DiskPressure, PIDPressure
 * and NetworkUnavailable -> their NoSchedule taints; spec.unschedulable ->
 * node.kubernetes.io/unschedulable:NoSchedule. When the agent reports Ready again they go.
 *
 * Stopping expects the shared informers to be stopped first: their handlers use the state.
 */
#ifndef BERTH_NODELIFECYCLE_H
#define BERTH_NODELIFECYCLE_H

#include <pthread.h>
#include <stdint.h>

#include "client/ctrlloop.h"
#include "client/informer.h"
#include "client/recorder.h"
#include "controllers/manager.h"

extern const struct controller_def nodelifecycle_controller_def;

/* --- internals, for the unit test --- */

#define NLC_LEASE_NAMESPACE "kube-node-lease"

struct nlc {
    struct kclient *client;
    struct informer *nodes, *leases, *pods;
    struct workqueue *q; /* node names, and "ns/name" of pods to check */
    struct ctrl_loop *loop;
    struct recorder *rec;
    pthread_mutex_t mu;
    json_t *health;            /* node name -> {probe, lease, heartbeat, ready}; under mu */
    int64_t (*now_ms)(void);   /* monotonic clock (tests replace it) */
    int64_t grace_ms;          /* node-monitor-grace-period */
    int64_t startup_grace_ms;  /* for nodes that never posted Ready */
    int64_t monitor_period_ms; /* how often an unhealthy node is looked at again */
};

struct nlc *nlc__new(struct kclient *client, struct informer_factory *f);
void nlc__free(struct nlc *c);
/* Sync one key: a node name, or a pod's "ns/name". 0 or a negative errno (retry). */
int nlc__sync(void *ctx, const char *key);

#endif
