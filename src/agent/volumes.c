/* volumes.c — what the sim node does about volumes.
 *
 * Nothing is mounted in sim, but a pod that uses a persistentVolumeClaim waits in
 * ContainerCreating until the claim is Bound, as a kubelet's volume manager waits for the
 * mount, so controllers see the same ordering as on a real node.
 *
 * The local-path hand-off (issue 4, controllers/volume/volume.h): for a claim whose pod was
 * scheduled to a node other than the server's, the provisioner creates the PV (node affinity
 * to that node, a hostPath or local source .../volumes/<pv>_<namespace>_<claim>) with the
 * annotation berth.io/local-path-pending; the node that owns the disk makes the directory,
 * mode 0777, then removes the annotation, and a pod waits for that as it would for a mount.
 * When such a volume is released and must go, the provisioner sets
 * berth.io/local-path-cleanup: "requested"; the node removes the directory and answers "done",
 * and the provisioner deletes the PV.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>

#include "agent/internal.h"
#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"

/* The claim a pod volume uses (caller frees), or NULL: persistentVolumeClaim.claimName, or
 * "<pod>-<volume>" for a generic ephemeral volume. */
static char *claim_of(const json_t *pod, const json_t *vol)
{
    const char *cn = jpath_str(vol, "persistentVolumeClaim.claimName");
    if (cn)
        return xstrdup(cn);
    if (jget_obj(vol, "ephemeral"))
        return xasprintf("%s-%s", jpath_str(pod, "metadata.name") ?: "",
                         jget_str(vol, "name") ?: "");
    return NULL;
}

bool agent__pod_uses_claim(const json_t *pod, const char *claim)
{
    size_t i;
    json_t *vol;
    json_array_foreach(jpath(pod, "spec.volumes"), i, vol)
    {
        char *cn = claim_of(pod, vol);
        bool hit = cn && (!claim || !strcmp(cn, claim));
        free(cn);
        if (hit)
            return true;
    }
    return false;
}

json_t *agent__pod_claim_keys(const json_t *pod)
{
    const char *ns = jpath_str(pod, "metadata.namespace") ?: "";
    json_t *keys = json_array(), *vol;
    size_t i;

    json_array_foreach(jpath(pod, "spec.volumes"), i, vol)
    {
        char *cn = claim_of(pod, vol);
        if (!cn)
            continue;
        char *key = xasprintf("%s/%s", ns, cn);
        bool seen = false;
        size_t j;
        json_t *k;
        json_array_foreach(keys, j, k) seen |= !strcmp(json_string_value(k), key);
        if (!seen)
            json_array_append_new(keys, json_string(key));
        free(key);
        free(cn);
    }
    return keys;
}

bool agent__volumes_ready(struct agent *a, const json_t *pod)
{
    const char *ns = jpath_str(pod, "metadata.namespace") ?: "";
    size_t i;
    json_t *vol;
    bool ok = true;

    json_array_foreach(jpath(pod, "spec.volumes"), i, vol)
    {
        char *cn = claim_of(pod, vol);
        if (!cn)
            continue;
        json_t *pvc = informer_get(a->pvcs, ns, cn);
        const char *vn = jpath_str(pvc, "spec.volumeName");
        if (!pvc || strcmp(jpath_str(pvc, "status.phase") ?: "", "Bound") || !vn) {
            ok = false;
        } else {
            json_t *pv = informer_get(a->pvs, NULL, vn);
            if (pv && agent__ann(pv, LOCAL_PATH_PENDING_ANN))
                ok = false;
            json_decref(pv);
        }
        json_decref(pvc);
        free(cn);
        if (!ok)
            break;
    }
    return ok;
}

bool agent__pv_on_node(const json_t *pv, const char *node)
{
    size_t i, j, k;
    json_t *term, *req, *v;
    json_array_foreach(jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms"), i, term)
    {
        static const char *const lists[][2] = {{"matchExpressions", "kubernetes.io/hostname"},
                                               {"matchFields", "metadata.name"}};
        for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
            json_array_foreach(jget_arr(term, lists[l][0]), j, req)
            {
                if (strcmp(jget_str(req, "key") ?: "", lists[l][1]) ||
                    strcmp(jget_str(req, "operator") ?: "", "In"))
                    continue;
                json_array_foreach(jget_arr(req, "values"), k, v)
                {
                    if (json_is_string(v) && !strcmp(json_string_value(v), node))
                        return true;
                }
            }
        }
    }
    return false;
}

/* mkdir -p, the last component with mode `leaf`. */
static int make_dirs(const char *path, mode_t leaf)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        *s = '/';
        if (rc < 0)
            goto out;
    }
    if (mkdir(p, leaf) < 0 && errno != EEXIST) {
        rc = -errno;
        goto out;
    }
    /* the umask must not narrow a volume's mode: containers of any user write to it */
    if (chmod(p, leaf) < 0)
        rc = -errno;
out:
    free(p);
    return rc;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    return remove(path) < 0 && errno != ENOENT ? -1 : 0; /* errno says why */
}

/* rm -rf without following symbolic links; a missing path is already removed. */
static int remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return errno == ENOENT ? 0 : -errno;
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/* The directory of a local-path volume: spec.hostPath.path or spec.local.path, and only when
 * it has the provisioner's shape, .../volumes/<pv>_<namespace>_<claim>, so that an API object
 * can never make the agent create or remove an arbitrary directory. NULL otherwise. */
static const char *local_path_dir(const json_t *pv, const char *name)
{
    const char *path = jpath_str(pv, "spec.hostPath.path") ?: jpath_str(pv, "spec.local.path");
    if (!path || path[0] != '/' || strstr(path, "/.."))
        return NULL;
    const char *base = strrchr(path, '/') + 1;
    size_t nl = strlen(name);
    if (strncmp(base, name, nl) || base[nl] != '_' || !strchr(base + nl + 1, '_'))
        return NULL;
    if (base - path < 9 || strncmp(base - 9, "/volumes/", 9))
        return NULL;
    return path;
}

static int set_ann(struct agent *a, const char *pv, const char *key, const char *value)
{
    struct kstatus st = {0};
    char *patch = value ? xasprintf("{\"metadata\":{\"annotations\":{\"%s\":\"%s\"}}}", key, value)
                        : xasprintf("{\"metadata\":{\"annotations\":{\"%s\":null}}}", key);
    int rc =
        kclient_patch(a->c, RES_PERSISTENTVOLUMES, NULL, pv, KPATCH_MERGE, patch, NULL, NULL, &st);
    free(patch);
    if (rc == -ENOENT)
        rc = 0;
    if (rc < 0)
        log_warn("agent", "persistentvolume %s: %s (%s)", pv, strerror(-rc), st.message);
    return rc;
}

int agent__pv_sync(struct agent *a, const char *name)
{
    json_t *pv = informer_get(a->pvs, NULL, name);
    const char *cleanup = agent__ann(pv, LOCAL_PATH_CLEANUP_ANN);
    bool make = agent__ann(pv, LOCAL_PATH_PENDING_ANN) != NULL;
    bool remove = cleanup && !strcmp(cleanup, "requested");
    int rc = 0;

    if (!pv || (!make && !remove) || !agent__pv_on_node(pv, a->cfg.node_name))
        goto out;
    const char *path = local_path_dir(pv, name);
    if (!path) {
        log_warn("agent", "persistentvolume %s: %s is not a local-path volume directory; "
                          "leaving it alone",
                 name,
                 jpath_str(pv, "spec.hostPath.path") ?: jpath_str(pv, "spec.local.path") ?: "");
        goto out;
    }
    if (remove) {
        /* released: the provisioner deletes the object once the directory is gone */
        rc = remove_tree(path);
        if (rc < 0) {
            log_error("agent", "persistentvolume %s: removing %s: %s", name, path, strerror(-rc));
            goto out;
        }
        rc = set_ann(a, name, LOCAL_PATH_CLEANUP_ANN, "done");
        if (rc == 0)
            log_info("agent", "persistentvolume %s: removed %s", name, path);
        goto out;
    }
    rc = make_dirs(path, 0777);
    if (rc < 0) {
        log_error("agent", "persistentvolume %s: mkdir %s: %s", name, path, strerror(-rc));
        goto out;
    }
    rc = set_ann(a, name, LOCAL_PATH_PENDING_ANN, NULL);
    if (rc == 0)
        log_info("agent", "persistentvolume %s: made %s", name, path);
out:
    json_decref(pv);
    return rc;
}

/* --- informer handlers: only queue work --- */

static void on_pvc(void *ctx, const json_t *pvc)
{
    if (!strcmp(jpath_str(pvc, "status.phase") ?: "", "Bound"))
        agent__kick_volume_waiters(ctx, jpath_str(pvc, "metadata.namespace"),
                                   jpath_str(pvc, "metadata.name"));
}

static void on_pvc_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_pvc(ctx, cur);
}

static void on_pv(void *ctx, const json_t *pv)
{
    struct agent *a = ctx;
    const char *cleanup = agent__ann(pv, LOCAL_PATH_CLEANUP_ANN);
    if (agent__ann(pv, LOCAL_PATH_PENDING_ANN) || (cleanup && !strcmp(cleanup, "requested"))) {
        if (agent__pv_on_node(pv, a->cfg.node_name)) {
            char *key = xasprintf("pv:%s", jpath_str(pv, "metadata.name") ?: "");
            wq_add(a->q, key);
            free(key);
        }
    } else if (jpath_str(pv, "spec.claimRef.name")) {
        agent__kick_volume_waiters(a, jpath_str(pv, "spec.claimRef.namespace"),
                                   jpath_str(pv, "spec.claimRef.name"));
    }
}

static void on_pv_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_pv(ctx, cur);
}

void agent__volume_handlers(struct agent *a)
{
    struct informer_handlers pvc = {on_pvc, on_pvc_update, NULL, a};
    struct informer_handlers pv = {on_pv, on_pv_update, NULL, a};
    informer_add_handlers(a->pvcs, &pvc);
    informer_add_handlers(a->pvs, &pv);
}
