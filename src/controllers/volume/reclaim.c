/* reclaim.c — what happens to a volume whose claim is gone (upstream's reclaimVolume and its
 * recycle and delete operations).
 *
 *   Retain   nothing: the volume stays Released until an admin deletes it or edits its claimRef.
 *   Delete   volumes of an external provisioner (every dynamic volume of berth, the local-path
 *            provisioner's included) are left to it. Static volumes are deleted by the in-tree
 *            deleter of their kind: only hostPath has one, and it removes only paths under
 *            /tmp/, as upstream's; anything else fails with upstream's message: the volume turns
 *            Failed with a VolumeFailedDelete event, and deleting is tried again at each resync.
 *   Recycle  deprecated upstream, and berth runs no recycler pod: the volume turns Failed with
 *            upstream's "No recycler plugin found for the volume!" (VolumeFailedRecycle), what a
 *            cluster without a recycler plugin for the volume does.
 *
 * Upstream runs these operations asynchronously; here they run inside the volume's sync, which
 * is serialised per volume by the queue, so two never overlap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/volume/internal.h"

/* The newest copy of the volume from the API server, and whether it still needs reclaiming
 * (isVolumeReleased): the operation may run on an old copy. */
static json_t *fresh_released(struct vol_binder *b, const json_t *pv)
{
    struct kstatus st;
    json_t *fresh = NULL, *claim;
    bool released;

    if (kclient_get(vol__binder_client(b), RES_PERSISTENTVOLUMES, NULL, vol__name(pv), &fresh,
                    &st) < 0)
        return NULL;
    claim = vol__binder_ref_claim(b, fresh);
    released = vol__pv_released(fresh, claim);
    json_decref(claim);
    if (!released) {
        json_decref(fresh);
        return NULL;
    }
    return fresh;
}

/* recycleVolumeOperation, without a recycler */
static int recycle(struct vol_binder *b, json_t *pv)
{
    json_t *fresh = fresh_released(b, pv), *claim, **pods;
    const char *ns, *cname;
    struct strbuf used = STRBUF_INIT;
    size_t n;
    int rc = 0;

    if (!fresh)
        return 0;
    ns = jpath_str(fresh, "spec.claimRef.namespace");
    cname = jpath_str(fresh, "spec.claimRef.name");
    n = informer_list(vol__binder_pods(b), ns ? ns : "", NULL, &pods);
    for (size_t i = 0; i < n; i++) {
        if (!cname || !vol__pod_references_claim(pods[i], cname) || vol__pod_terminated(pods[i]))
            continue;
        if (used.len)
            strbuf_addch(&used, ',');
        strbuf_addf(&used, "%s/%s", vol__ns(pods[i]), vol__name(pods[i]));
    }
    informer_list_free(pods, n);
    /* A cached claim of that name is a new one (the volume is released), bound elsewhere: the
     * pods are its users, not this volume's. */
    claim = ns && cname ? informer_get(vol__binder_claims(b), ns, cname) : NULL;
    if (used.len && !claim) {
        vol__eventf(vol__binder_events(b), fresh, RES_PERSISTENTVOLUMES, "Normal",
                    "VolumeFailedRecycle", "Volume is used by pods: %s", used.buf);
    } else {
        rc =
            vol__update_volume_phase(b, fresh, "Failed", "No recycler plugin found for the volume!",
                                     "Warning", "VolumeFailedRecycle", NULL);
    }
    json_decref(claim);
    json_decref(fresh);
    strbuf_release(&used);
    return rc;
}

/* upstream's hostPath deleter: regexp "/tmp/.+" (unanchored), then os.RemoveAll */
static char *hostpath_delete(const char *path)
{
    const char *t = strstr(path, "/tmp/");
    int rc;

    if (!t || !t[5])
        return xasprintf("host_path deleter only supports /tmp/.+ but received provided %s", path);
    rc = vol__remove_tree(path);
    if (rc < 0)
        return xasprintf("unlinkat %s: %s", path, strerror(-rc));
    return NULL;
}

/* doDeleteVolume: *deleted tells whether the asset is gone (false: an external deleter's job).
 * Returns an error message (caller frees) or NULL. */
static char *do_delete(const json_t *pv, bool *deleted)
{
    const char *prov = vol__ann(pv, ANN_PROVISIONED_BY);
    const json_t *hp = jpath(pv, "spec.hostPath");
    char *err;

    *deleted = false;
    if (prov && *prov) {
        if (strncmp(prov, "kubernetes.io/", 14))
            return NULL; /* an external provisioner deletes what it made */
        if (strcmp(prov, "kubernetes.io/host-path"))
            return xasprintf("no volume plugin matched name: %s", prov);
    }
    if (jpath(pv, "spec.csi"))
        return NULL; /* CSI volumes: their external provisioner's */
    if (!json_is_object(hp))
        return xasprintf("error getting deleter volume plugin for volume \"%s\": no deletable "
                         "volume plugin matched",
                         vol__name(pv));
    err = hostpath_delete(jget_str(hp, "path") ? jget_str(hp, "path") : "");
    *deleted = err == NULL;
    return err;
}

/* deleteVolumeOperation */
static int delete_volume(struct vol_binder *b, json_t *pv)
{
    json_t *fresh = fresh_released(b, pv);
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    struct kstatus st;
    bool deleted;
    char *err;
    int rc;

    if (!fresh)
        return 0;
    err = do_delete(fresh, &deleted);
    if (err) {
        log_info("volume", "deletion of volume %s failed: %s", vol__name(fresh), err);
        rc = vol__update_volume_phase(b, fresh, "Failed", err, "Warning", "VolumeFailedDelete",
                                      NULL);
        free(err);
        json_decref(fresh);
        return rc;
    }
    if (!deleted) {
        json_decref(fresh);
        return 0; /* waits for its external deleter */
    }
    o.uid = vol__uid(fresh);
    rc = kclient_delete(vol__binder_client(b), RES_PERSISTENTVOLUMES, NULL, vol__name(fresh), &o,
                        &st);
    if (rc < 0 && rc != -ENOENT)
        log_info("volume", "failed to delete volume %s from the API: %d", vol__name(fresh), rc);
    else
        log_info("volume", "volume %s deleted", vol__name(fresh));
    json_decref(fresh);
    return 0;
}

int vol__reclaim_volume(struct vol_binder *b, json_t *pv)
{
    const char *policy = jpath_str(pv, "spec.persistentVolumeReclaimPolicy");

    if (vol__ann(pv, ANN_MIGRATED_TO) && *vol__ann(pv, ANN_MIGRATED_TO))
        return 0;
    if (!policy || !strcmp(policy, "Retain"))
        return 0;
    if (!strcmp(policy, "Recycle"))
        return recycle(b, pv);
    if (!strcmp(policy, "Delete"))
        return delete_volume(b, pv);
    return vol__update_volume_phase(b, pv, "Failed",
                                    "Volume has unrecognized PersistentVolumeReclaimPolicy",
                                    "Warning", "VolumeUnknownReclaimPolicy", NULL);
}
