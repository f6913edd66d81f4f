/* scheduler.h — the pod scheduler (kube-scheduler's default profile, the parts berth needs).
 *
 * Binds every pod without spec.nodeName whose schedulerName is "default-scheduler" (or empty)
 * through pods/binding, to a node that passes, in upstream's order: NodeUnschedulable
 * (spec.unschedulable), TaintToleration (NoSchedule/NoExecute taints; a node that is not Ready
 * counts as tainted node.kubernetes.io/not-ready or unreachable), NodeAffinity (nodeSelector,
 * required node affinity), NodeResourcesFit (requests against allocatable minus what the pods
 * there request, and the pod count) and VolumeBinding (STATEFULSET.md §6). Among the nodes that
 * fit, the least requested wins (with PreferNoSchedule taints and preferred node affinity).
 *
 * A pod that fits nowhere gets PodScheduled=False (reason Unschedulable, upstream's
 * "0/N nodes are available: ..." message) and a FailedScheduling Warning event, and is retried
 * when nodes, claims, volumes or classes change, when a pod leaves a node, and on a back-off
 * (1 s doubling to 5 min). Claims of WaitForFirstConsumer classes are pre-bound to a static PV
 * or annotated volume.kubernetes.io/selected-node for the provisioner, and the pod is bound once
 * they are. Bound pods get a Scheduled event; PodScheduled=True is the binding's to set (the API
 * server does it, as upstream's BindingREST).
 *
 * Stopping expects the shared informers to be stopped first: their handlers use the state.
 */
#ifndef BERTH_SCHEDULER_H
#define BERTH_SCHEDULER_H

#include "controllers/manager.h"

extern const struct controller_def scheduler_controller_def;

#endif
