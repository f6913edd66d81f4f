/* provisioner.c — the built-in dynamic provisioner berth.io/local-path, after rancher's
 * local-path-provisioner running under sig-storage-lib-external-provisioner.
 *
 * On start it creates the StorageClass `local-path` (WaitForFirstConsumer, reclaimPolicy
 * Delete, allowVolumeExpansion, the default class unless the server was started with
 * --no-default-storage-class); an existing class is left as the admin made it.
 *
 * Provisioning is the external provisioner protocol: the binder marks a claim it cannot bind
 * with volume.kubernetes.io/storage-provisioner; a claim of a WaitForFirstConsumer class also
 * waits for the scheduler's volume.kubernetes.io/selected-node. The provisioner then makes
 * DATA/volumes/<pv>_<namespace>_<claim> and a PersistentVolume `pvc-<claim uid>` for it: a
 * hostPath source (type DirectoryOrCreate; a `local` source when the claim's annotation
 * volumeType or the class's defaultVolumeType says "local"), node affinity to the node, the
 * class's reclaim policy and mount options, the claim's access modes, request and volume mode,
 * a claimRef with the claim's uid, and pv.kubernetes.io/provisioned-by. The binder completes
 * the binding. Like rancher's, it refuses ReadWriteMany/ReadOnlyMany, claim selectors and block
 * volumes, and does not enforce the size. Immediate classes provision on the server's node.
 * For another node the directory is that node's agent's job (volume.h, the hand-off).
 *
 * Deleting: a released volume it made, with reclaim policy Delete, loses its directory and
 * then its API object. The volume carries the finalizer
 * external-provisioner.volume.kubernetes.io/finalizer (HonorPVReclaimPolicy), so deleting the
 * object first cannot leak the directory. A failure turns the volume Failed with a
 * VolumeFailedDelete event, and is retried with backoff (the library upstream retries without
 * changing the phase; berth shows it, as the in-tree deleters do).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "controllers/volume/internal.h"

struct vol_provisioner {
    struct kclient *c;
    struct informer *pvs, *pvcs, *classes, *nodes;
    struct vol_events ev;
    struct workqueue *q;
    struct ctrl_loop *loop;
    char *node_name;   /* the server's own node, "" when unknown */
    char *volumes_dir; /* absolute DATA/volumes */
    bool default_class;
};

/* --- the StorageClass --- */

static int ensure_class(struct vol_provisioner *p)
{
    json_t *sc = json_object(), *meta = json_object();
    struct kstatus st;
    int rc;

    jset_str(sc, "apiVersion", "storage.k8s.io/v1");
    jset_str(sc, "kind", "StorageClass");
    jset_str(meta, "name", LOCAL_PATH_CLASS);
    json_object_set_new(sc, "metadata", meta);
    if (p->default_class)
        vol__set_ann(sc, ANN_DEFAULT_CLASS, "true");
    jset_str(sc, "provisioner", LOCAL_PATH_PROVISIONER);
    jset_str(sc, "reclaimPolicy", "Delete");
    jset_str(sc, "volumeBindingMode", "WaitForFirstConsumer");
    jset_bool(sc, "allowVolumeExpansion", true);
    rc = kclient_create(p->c, RES_STORAGECLASSES, NULL, sc, NULL, &st);
    json_decref(sc);
    if (rc == -EEXIST)
        return 0; /* made on an earlier start, or by the admin: theirs now */
    if (rc == 0)
        log_info("volume", "created StorageClass %s%s", LOCAL_PATH_CLASS,
                 p->default_class ? " (default)" : "");
    else
        log_warn("volume", "cannot create StorageClass %s: %d %s", LOCAL_PATH_CLASS, rc,
                 st.message);
    return rc;
}

/* --- provisioning --- */

static const char *claim_provisioner(const json_t *claim)
{
    const char *p = vol__ann(claim, ANN_STORAGE_PROVISIONER);
    return p ? p : vol__ann(claim, ANN_BETA_STORAGE_PROVISIONER);
}

/* A claim this provisioner may have work for (the cheap part of shouldProvision). */
static bool claim_for_us(const json_t *claim)
{
    const char *prov = claim_provisioner(claim);
    const char *vn = jpath_str(claim, "spec.volumeName");

    return prov && !strcmp(prov, LOCAL_PATH_PROVISIONER) && (!vn || !*vn) && !vol__deleting(claim);
}

/* rescheduleProvisioning: let the scheduler pick another node. */
static int reschedule(struct vol_provisioner *p, const json_t *claim)
{
    json_t *cl;
    int rc;

    if (!vol__has_ann(claim, ANN_SELECTED_NODE))
        return 0;
    cl = json_deep_copy(claim);
    vol__del_ann(cl, ANN_SELECTED_NODE);
    rc = vol__update(p->c, NULL, RES_PERSISTENTVOLUMECLAIMS, cl, false, NULL);
    json_decref(cl);
    return rc;
}

static void failed(struct vol_provisioner *p, const json_t *claim, const char *class,
                   const char *why)
{
    vol__eventf(&p->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                "failed to provision volume with StorageClass \"%s\": %s", class, why);
}

static int make_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return -errno;
    /* the umask must not narrow it: containers may run as any user */
    if (chmod(path, mode) < 0)
        return -errno;
    return 0;
}

static json_t *node_affinity(const char *value)
{
    json_t *expr = json_object(), *terms = json_array(), *term = json_object();
    json_t *req = json_object(), *na = json_object();

    jset_str(expr, "key", LABEL_HOSTNAME);
    jset_str(expr, "operator", "In");
    json_object_set_new(expr, "values", json_pack("[s]", value));
    json_object_set_new(term, "matchExpressions", json_pack("[o]", expr));
    json_array_append_new(terms, term);
    json_object_set_new(req, "nodeSelectorTerms", terms);
    json_object_set_new(na, "required", req);
    return na;
}

static json_t *build_pv(const json_t *claim, const json_t *class, const char *name,
                        const char *path, const char *affinity_value, bool local, bool remote)
{
    json_t *pv = json_object(), *meta = json_object(), *spec = json_object();
    const char *policy = jget_str(class, "reclaimPolicy");
    const json_t *mo = jget_arr(class, "mountOptions");

    jset_str(pv, "apiVersion", "v1");
    jset_str(pv, "kind", "PersistentVolume");
    jset_str(meta, "name", name);
    json_object_set_new(pv, "metadata", meta);
    vol__set_ann(pv, ANN_PROVISIONED_BY, LOCAL_PATH_PROVISIONER);
    if (remote)
        vol__set_ann(pv, ANN_LOCAL_PATH_PENDING, "true");
    if (!policy)
        policy = "Delete";
    if (!strcmp(policy, "Delete"))
        vol__add_finalizer(pv, FINALIZER_EXTERNAL_PROVISIONER);

    json_object_set_new(
        spec, "capacity",
        json_pack("{s:O}", "storage", jpath(claim, "spec.resources.requests.storage")));
    json_object_set_new(spec, "accessModes", json_deep_copy(jpath(claim, "spec.accessModes")));
    jset_str(spec, "persistentVolumeReclaimPolicy", policy);
    jset_str(spec, "storageClassName", vol__claim_class(claim));
    jset_str(spec, "volumeMode", "Filesystem");
    if (json_array_size(mo))
        json_object_set_new(spec, "mountOptions", json_deep_copy(mo));
    json_object_set_new(spec, "claimRef", vol__claim_ref(claim));
    if (local)
        json_object_set_new(spec, "local", json_pack("{s:s}", "path", path));
    else
        json_object_set_new(spec, "hostPath",
                            json_pack("{s:s,s:s}", "path", path, "type", "DirectoryOrCreate"));
    json_object_set_new(spec, "nodeAffinity", node_affinity(affinity_value));
    json_object_set_new(pv, "spec", spec);
    return pv;
}

static int provision(struct vol_provisioner *p, json_t *claim)
{
    const char *cname = vol__claim_class(claim), *node, *mode, *vt, *hostname;
    json_t *class = NULL, *existing = NULL, *nodeobj = NULL, *pv = NULL;
    char *pvname = NULL, *dir = NULL, *path = NULL;
    struct kstatus st;
    bool delay, remote, local = false;
    size_t i;
    json_t *m;
    int rc = 0;

    class = *cname ? informer_get(p->classes, NULL, cname) : NULL;
    if (!class || strcmp(jget_str(class, "provisioner") ? jget_str(class, "provisioner") : "",
                         LOCAL_PATH_PROVISIONER))
        goto out; /* not ours (or the class is gone) */
    delay = jget_str(class, "volumeBindingMode") &&
            !strcmp(jget_str(class, "volumeBindingMode"), "WaitForFirstConsumer");
    node = vol__ann(claim, ANN_SELECTED_NODE);
    if (delay && (!node || !*node))
        goto out; /* the scheduler has not chosen yet */

    pvname = xasprintf("pvc-%s", vol__uid(claim));
    existing = informer_get(p->pvs, NULL, pvname);
    if (!existing && kclient_get(p->c, RES_PERSISTENTVOLUMES, NULL, pvname, &existing, &st) < 0)
        existing = NULL;
    if (existing)
        goto out; /* provisioned already; the binder binds it */

    mode = jpath_str(claim, "spec.volumeMode");
    if (mode && !strcmp(mode, "Block")) {
        vol__eventf(&p->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                    "%s does not support block volume provisioning", LOCAL_PATH_PROVISIONER);
        goto out;
    }
    if (node && *node) {
        nodeobj = informer_get(p->nodes, NULL, node);
        if (!nodeobj && kclient_get(p->c, RES_NODES, NULL, node, &nodeobj, &st) < 0)
            nodeobj = NULL;
        if (!nodeobj) {
            vol__eventf(&p->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Warning", "ProvisioningFailed",
                        "failed to get target node: nodes \"%s\" not found", node);
            rc = reschedule(p, claim);
            goto out;
        }
    } else {
        node = p->node_name; /* Immediate: the server's own node */
    }
    vol__eventf(&p->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "Provisioning",
                "External provisioner is provisioning volume for claim \"%s/%s\"", vol__ns(claim),
                vol__name(claim));
    if (json_is_object(jpath(claim, "spec.selector"))) {
        failed(p, claim, cname, "claim.Spec.Selector is not supported");
        goto out;
    }
    json_array_foreach(jpath(claim, "spec.accessModes"), i, m)
    {
        const char *am = json_is_string(m) ? json_string_value(m) : "";
        if (strcmp(am, "ReadWriteOnce") && strcmp(am, "ReadWriteOncePod")) {
            failed(p, claim, cname,
                   "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access "
                   "modes");
            goto out;
        }
    }
    if (!node || !*node) {
        failed(p, claim, cname, "configuration error, no node was specified");
        goto out;
    }
    vt = vol__ann(claim, "volumeType");
    if (!vt)
        vt = vol__ann(class, "defaultVolumeType");
    if (vt && !strcasecmp(vt, "local")) {
        local = true;
    } else if (vt && strcasecmp(vt, "hostPath")) {
        char *why = xasprintf("\"%s\" is not a recognised volume type", vt);
        failed(p, claim, cname, why);
        free(why);
        goto out;
    }

    dir = xasprintf("%s_%s_%s", pvname, vol__ns(claim), vol__name(claim));
    path = xasprintf("%s/%s", p->volumes_dir, dir);
    remote = strcmp(node, p->node_name) != 0;
    if (!remote) {
        char *parent = xstrdup(p->volumes_dir), *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = 0;
        rc = make_dir(parent, 0755); /* DATA itself, normally there already */
        if (rc == 0)
            rc = make_dir(p->volumes_dir, 0755);
        if (rc == 0)
            rc = make_dir(path, 0777);
        free(parent);
        if (rc < 0) {
            char *why =
                xasprintf("failed to create volume %s: mkdir %s: %s", pvname, path, strerror(-rc));
            failed(p, claim, cname, why);
            free(why);
            goto out;
        }
    }
    /* as rancher's: the node's hostname label, else its name */
    hostname = jget_str(jpath(nodeobj, "metadata.labels"), LABEL_HOSTNAME);
    pv = build_pv(claim, class, pvname, path, hostname ? hostname : node, local, remote);
    rc = kclient_create(p->c, RES_PERSISTENTVOLUMES, NULL, pv, NULL, &st);
    if (rc == -EEXIST)
        rc = 0;
    if (rc < 0) {
        log_warn("volume", "cannot create volume %s for claim %s/%s: %d %s", pvname, vol__ns(claim),
                 vol__name(claim), rc, st.message);
        goto out;
    }
    log_info("volume", "provisioned volume %s at %s:%s for claim %s/%s", pvname, node, path,
             vol__ns(claim), vol__name(claim));
    vol__eventf(&p->ev, claim, RES_PERSISTENTVOLUMECLAIMS, "Normal", "ProvisioningSucceeded",
                "Successfully provisioned volume %s", pvname);
out:
    json_decref(class);
    json_decref(existing);
    json_decref(nodeobj);
    json_decref(pv);
    free(pvname);
    free(dir);
    free(path);
    return rc;
}

/* --- deleting --- */

static const char *pv_path(const json_t *pv)
{
    const char *path = jpath_str(pv, "spec.hostPath.path");
    return path ? path : jpath_str(pv, "spec.local.path");
}

/* Only a directory this provisioner made is ever removed: DATA/volumes/<pv name>_... */
static bool own_dir(struct vol_provisioner *p, const json_t *pv, const char *path)
{
    size_t dl = strlen(p->volumes_dir), nl = strlen(vol__name(pv));

    return path && !strncmp(path, p->volumes_dir, dl) && path[dl] == '/' &&
           !strncmp(path + dl + 1, vol__name(pv), nl) && path[dl + 1 + nl] == '_' &&
           !strchr(path + dl + 1, '/') && !strstr(path, "..");
}

static bool should_delete(const json_t *pv)
{
    const char *prov = vol__ann(pv, ANN_PROVISIONED_BY);
    const char *policy = jpath_str(pv, "spec.persistentVolumeReclaimPolicy");
    const char *phase = vol__phase(pv);

    if (!prov || strcmp(prov, LOCAL_PATH_PROVISIONER) || !policy || strcmp(policy, "Delete"))
        return false;
    if (strcmp(phase, "Released") && strcmp(phase, "Failed"))
        return false;
    /* being deleted without our finalizer: the object goes anyway, nothing to hold back */
    return !vol__deleting(pv) || vol__has_finalizer(pv, FINALIZER_EXTERNAL_PROVISIONER);
}

static int delete_failed(struct vol_provisioner *p, json_t *pv, const char *why)
{
    char now[KTIME_BUFSZ];
    char *msg = xasprintf("failed to delete volume %s: %s", vol__name(pv), why);
    json_t *v;

    vol__eventf(&p->ev, pv, RES_PERSISTENTVOLUMES, "Warning", "VolumeFailedDelete", "%s", msg);
    if (strcmp(vol__phase(pv), "Failed")) {
        v = json_deep_copy(pv);
        jset_str(jensure_obj(v, "status"), "phase", "Failed");
        jset_str(jensure_obj(v, "status"), "message", msg);
        jset_str(jensure_obj(v, "status"), "lastPhaseTransitionTime",
                 ktime_format(ktime_now(), now));
        vol__update(p->c, NULL, RES_PERSISTENTVOLUMES, v, true, NULL);
        json_decref(v);
    }
    free(msg);
    return -EIO; /* retried with backoff */
}

static int delete_volume(struct vol_provisioner *p, json_t *pv)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *node = vol__pv_node(pv), *path = pv_path(pv), *cleanup;
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    json_t *claim = NULL, *nodeobj = NULL, *fresh = NULL;
    struct kstatus st;
    int rc;

    /* Never delete what a claim still holds, whatever the phase says. */
    if (jget_str(ref, "namespace") && jget_str(ref, "name"))
        claim = informer_get(p->pvcs, jget_str(ref, "namespace"), jget_str(ref, "name"));
    if (!vol__pv_released(pv, claim)) {
        json_decref(claim);
        return 0;
    }
    json_decref(claim);

    if (node && *p->node_name && strcmp(node, p->node_name)) {
        nodeobj = informer_get(p->nodes, NULL, node);
        if (nodeobj) {
            /* the directory is on another node: its agent removes it (volume.h) */
            cleanup = vol__ann(pv, ANN_LOCAL_PATH_CLEANUP);
            json_decref(nodeobj);
            if (!cleanup || strcmp(cleanup, "done")) {
                if (!cleanup) {
                    json_t *v = json_deep_copy(pv);
                    vol__set_ann(v, ANN_LOCAL_PATH_CLEANUP, "requested");
                    rc = vol__update(p->c, NULL, RES_PERSISTENTVOLUMES, v, false, NULL);
                    json_decref(v);
                    return rc;
                }
                return 0;
            }
        } else {
            log_info("volume", "node %s of volume %s is gone: skipping the cleanup of %s", node,
                     vol__name(pv), path ? path : "");
        }
    } else {
        if (!own_dir(p, pv, path)) {
            char *why =
                xasprintf("refusing to remove %s: not a directory of %s under %s",
                          path ? path : "(no path)", LOCAL_PATH_PROVISIONER, p->volumes_dir);
            rc = delete_failed(p, pv, why);
            free(why);
            return rc;
        }
        rc = vol__remove_tree(path);
        if (rc < 0) {
            char *why = xasprintf("unlinkat %s: %s", path, strerror(-rc));
            rc = delete_failed(p, pv, why);
            free(why);
            return rc;
        }
        log_info("volume", "deleted volume %s at %s", vol__name(pv), path);
    }

    if (!vol__deleting(pv)) {
        o.uid = vol__uid(pv);
        rc = kclient_delete(p->c, RES_PERSISTENTVOLUMES, NULL, vol__name(pv), &o, &st);
        if (rc < 0 && rc != -ENOENT)
            return rc;
    }
    if (!vol__has_finalizer(pv, FINALIZER_EXTERNAL_PROVISIONER))
        return 0;
    rc = kclient_get(p->c, RES_PERSISTENTVOLUMES, NULL, vol__name(pv), &fresh, &st);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    vol__remove_finalizer(fresh, FINALIZER_EXTERNAL_PROVISIONER);
    rc = vol__update(p->c, NULL, RES_PERSISTENTVOLUMES, fresh, false, NULL);
    json_decref(fresh);
    return rc == -ENOENT ? 0 : rc;
}

/* --- keys --- */

int vol__provisioner_sync(struct vol_provisioner *p, const char *key)
{
    int rc = 0;

    if (!strcmp(key, "class"))
        return ensure_class(p);
    if (!strncmp(key, "claim:", 6)) {
        char *ns, *name;
        json_t *claim;
        key_split(key + 6, &ns, &name);
        claim = informer_get(p->pvcs, ns, name);
        if (claim && claim_for_us(claim))
            rc = provision(p, claim);
        json_decref(claim);
        free(ns);
        free(name);
    } else if (!strncmp(key, "volume:", 7)) {
        json_t *pv = informer_get(p->pvs, NULL, key + 7);
        if (pv && should_delete(pv))
            rc = delete_volume(p, pv);
        json_decref(pv);
    }
    return rc;
}

static int on_key(void *ctx, const char *key)
{
    return vol__provisioner_sync(ctx, key);
}

static void claim_changed(void *ctx, const json_t *claim)
{
    struct vol_provisioner *p = ctx;

    if (claim_for_us(claim)) {
        char *key = xasprintf("claim:%s/%s", vol__ns(claim), vol__name(claim));
        wq_add(p->q, key);
        free(key);
    }
}

static void on_claim_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    claim_changed(ctx, cur);
}

static void volume_changed(void *ctx, const json_t *pv)
{
    struct vol_provisioner *p = ctx;

    if (should_delete(pv)) {
        char *key = xasprintf("volume:%s", vol__name(pv));
        wq_add(p->q, key);
        free(key);
    }
}

static void on_volume_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    volume_changed(ctx, cur);
}

/* Our class appearing (it is created at start, after claims may have asked for it) or changing
 * wakes the claims that wait for this provisioner. */
static void class_changed(void *ctx, const json_t *class)
{
    struct vol_provisioner *p = ctx;
    const char *prov = jget_str(class, "provisioner");
    json_t **items;
    size_t n;

    if (!prov || strcmp(prov, LOCAL_PATH_PROVISIONER))
        return;
    n = informer_list(p->pvcs, NULL, NULL, &items);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vol__claim_class(items[i]), vol__name(class)))
            claim_changed(p, items[i]);
    informer_list_free(items, n);
}

static void on_class_update(void *ctx, const json_t *old, const json_t *cur)
{
    (void)old;
    class_changed(ctx, cur);
}

/* --- lifecycle --- */

static char *absolute(const char *dir)
{
    char cwd[PATH_MAX];

    if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return xstrdup(dir);
    return xasprintf("%s/%s", cwd, dir);
}

struct vol_provisioner *vol__provisioner_new(const struct ctrl_env *env, bool run)
{
    struct vol_provisioner *p = xcalloc(1, sizeof(*p));
    const struct informer_handlers ch = {claim_changed, on_claim_update, NULL, p};
    const struct informer_handlers vh = {volume_changed, on_volume_update, NULL, p};
    const struct informer_handlers sh = {class_changed, on_class_update, NULL, p};
    char *data = absolute(env->data_dir && *env->data_dir ? env->data_dir : ".");
    char *component;

    p->c = env->client;
    p->pvs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMES);
    p->pvcs = informer_factory_get(env->informers, RES_PERSISTENTVOLUMECLAIMS);
    p->classes = informer_factory_get(env->informers, RES_STORAGECLASSES);
    p->nodes = informer_factory_get(env->informers, RES_NODES);
    p->node_name = xstrdup(env->node_name ? env->node_name : "");
    p->volumes_dir = xasprintf("%s/volumes", data);
    p->default_class = env->default_storage_class;
    free(data);
    /* the library names its event source <provisioner>_<identity> */
    component = xasprintf("%s_%s", LOCAL_PATH_PROVISIONER, *p->node_name ? p->node_name : "berth");
    vol__events_init(&p->ev, env->client, component);
    free(component);
    p->ev.keep_log = !run;
    p->q = wq_new("local-path-provisioner", NULL);
    informer_add_handlers(p->pvcs, &ch);
    informer_add_handlers(p->pvs, &vh);
    informer_add_handlers(p->classes, &sh);
    wq_add(p->q, "class");
    if (run)
        p->loop = ctrl_loop_start("local-path-provisioner", p->q, 2, on_key, p);
    return p;
}

void vol__provisioner_free(struct vol_provisioner *p)
{
    if (!p)
        return;
    if (p->loop)
        ctrl_loop_stop(p->loop);
    else
        wq_shutdown(p->q);
    wq_free(p->q);
    vol__events_release(&p->ev);
    free(p->node_name);
    free(p->volumes_dir);
    free(p);
}

int vol__provisioner_drain(struct vol_provisioner *p, int max)
{
    int done = 0;

    while (done < max && wq_len(p->q)) {
        char *key = wq_get(p->q);
        if (!key)
            break;
        on_key(p, key);
        wq_forget(p->q, key);
        wq_done(p->q, key);
        free(key);
        done++;
    }
    return done;
}

struct vol_events *vol__provisioner_events(struct vol_provisioner *p)
{
    return &p->ev;
}

static int provisioner_start(const struct ctrl_env *env, void **state)
{
    *state = vol__provisioner_new(env, true);
    return 0;
}

static void provisioner_stop(void *state)
{
    vol__provisioner_free(state);
}

const struct controller_def local_path_provisioner_def = {
    .name = "local-path-provisioner",
    .start = provisioner_start,
    .stop = provisioner_stop,
};
