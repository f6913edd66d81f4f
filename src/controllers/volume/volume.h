/* volume.h — the storage controllers of berth (STATEFULSET.md §6, issue 4).
 *
 * Four controllers, each a client of the API through the shared informers (manager.h):
 *
 *   volume_binder_controller_def    "persistentvolume-binder": the PersistentVolume controller of
 *       upstream's pv_controller.go. Binds claims to volumes (static binding to the smallest
 *       fitting Available volume, pre-binding both ways), keeps both phases, asks provisioners
 *       for volumes (the volume.kubernetes.io/storage-provisioner annotation), gives Pending
 *       claims without a class the default class once one exists, and reclaims released volumes
 *       (Retain; Delete of static hostPath volumes under /tmp as upstream's hostPath deleter;
 *       Recycle refused with VolumeFailedRecycle).
 *   local_path_provisioner_def      "local-path-provisioner": the built-in dynamic provisioner
 *       berth.io/local-path. Creates the StorageClass `local-path` on start (default unless
 *       env->default_storage_class is false), provisions DATA/volumes/<pv>_<ns>_<pvc> on the
 *       selected node and a hostPath (or local) PersistentVolume pinned to it, and deletes the
 *       directory and the volume when a Delete volume is released.
 *   volume_protection_controller_def "pvc-protection" + "pv-protection": the finalizers
 *       kubernetes.io/pvc-protection (a claim used by a scheduled pod stays until the pod is gone)
 *       and kubernetes.io/pv-protection (a volume stays while it is Bound).
 *   volume_expand_controller_def    "volume-expand": expansion of bound claims on local-path
 *       volumes (raising spec.resources.requests.storage), reported with the conditions,
 *       allocatedResources and events of upstream's external-resizer.
 *
 * Hand-off to node agents for volumes on other nodes (multi-node, berth-only annotations on
 * the PersistentVolume; an agent acts only on volumes whose node affinity names its node):
 *   berth.io/local-path-pending: "true"     the provisioner created the volume for another
 *       node: that node's agent creates the directory spec.hostPath.path (or spec.local.path),
 *       mode 0777, then removes the annotation. Pods using it wait until it is gone.
 *   berth.io/local-path-cleanup: "requested"  the volume was released and must be deleted:
 *       that node's agent removes the directory and then sets the value to "done"; the
 *       provisioner then deletes the PersistentVolume. When the node no longer exists the
 *       cleanup is skipped, as rancher's local-path-provisioner does.
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include "controllers/manager.h"

extern const struct controller_def volume_binder_controller_def;
extern const struct controller_def local_path_provisioner_def;
extern const struct controller_def volume_protection_controller_def;
extern const struct controller_def volume_expand_controller_def;

#define LOCAL_PATH_PROVISIONER "berth.io/local-path"
#define LOCAL_PATH_CLASS "local-path"
#define ANN_LOCAL_PATH_PENDING "berth.io/local-path-pending"
#define ANN_LOCAL_PATH_CLEANUP "berth.io/local-path-cleanup"

/* The index of PersistentVolumes by the claim their spec.claimRef names (informer_add_index):
 * "namespace/name", or "" for a volume without a claimRef. The only volumes a claim can get are
 * those filed under its key (pre-bound to it) and under "" (bound to nobody), so the binder and
 * the scheduler read those instead of every volume. */
#define VOL_INDEX_CLAIM_REF "claimRef"
informer_index_fn vol_index_claim_ref;

#endif
