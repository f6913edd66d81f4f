/* util.c — small pure helpers the volume controllers share: annotations, finalizers, classes,
 * quantities, pods, references, and removing a directory tree. (What talks to the client is in
 * client.c, so that the matching tests link without it.) */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/volume/internal.h"

/* --- metadata --- */

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

const char *vol__name(const json_t *obj)
{
    return str_or_empty(jpath_str(obj, "metadata.name"));
}

const char *vol__ns(const json_t *obj)
{
    return str_or_empty(jpath_str(obj, "metadata.namespace"));
}

const char *vol__uid(const json_t *obj)
{
    return str_or_empty(jpath_str(obj, "metadata.uid"));
}

const char *vol__phase(const json_t *obj)
{
    return str_or_empty(jpath_str(obj, "status.phase"));
}

const char *vol__ann(const json_t *obj, const char *key)
{
    return jget_str(jpath(obj, "metadata.annotations"), key);
}

bool vol__has_ann(const json_t *obj, const char *key)
{
    /* upstream's metav1.HasAnnotation: present, whatever the value */
    return jget(jpath(obj, "metadata.annotations"), key) != NULL;
}

void vol__set_ann(json_t *obj, const char *key, const char *val)
{
    jset_str(jensure_obj(jensure_obj(obj, "metadata"), "annotations"), key, val);
}

void vol__del_ann(json_t *obj, const char *key)
{
    json_t *meta = jget_obj(obj, "metadata");
    json_t *ann = jget_obj(meta, "annotations");

    if (!ann)
        return;
    json_object_del(ann, key);
    if (!json_object_size(ann))
        json_object_del(meta, "annotations");
}

bool vol__has_finalizer(const json_t *obj, const char *f)
{
    size_t i;
    json_t *v;

    json_array_foreach(jpath(obj, "metadata.finalizers"), i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), f))
            return true;
    }
    return false;
}

void vol__add_finalizer(json_t *obj, const char *f)
{
    if (vol__has_finalizer(obj, f))
        return;
    json_array_append_new(jensure_arr(jensure_obj(obj, "metadata"), "finalizers"), json_string(f));
}

void vol__remove_finalizer(json_t *obj, const char *f)
{
    json_t *meta = jget_obj(obj, "metadata");
    json_t *arr = jget_arr(meta, "finalizers");

    for (size_t i = json_array_size(arr); i-- > 0;) {
        json_t *v = json_array_get(arr, i);
        if (json_is_string(v) && !strcmp(json_string_value(v), f))
            json_array_remove(arr, i);
    }
    if (arr && !json_array_size(arr))
        json_object_del(meta, "finalizers");
}

bool vol__deleting(const json_t *obj)
{
    const json_t *ts = jpath(obj, "metadata.deletionTimestamp");
    return ts && !json_is_null(ts);
}

char *vol__key(const char *ns, const char *name)
{
    return xasprintf("%s/%s", ns, name);
}

long long vol__rv(const json_t *obj)
{
    const char *rv = jpath_str(obj, "metadata.resourceVersion");
    char *end;
    long long n;

    if (!rv || !*rv)
        return 0;
    errno = 0;
    n = strtoll(rv, &end, 10);
    if (errno || *end || n < 0)
        return 0;
    return n;
}

/* --- quantities --- */

struct quantity vol__qty(const json_t *v)
{
    struct quantity q = {0, 0, QTY_BINARY_SI};

    if (json_is_string(v) && quantity_parse(json_string_value(v), &q) == 0)
        return q;
    return (struct quantity){0, 0, QTY_BINARY_SI};
}

struct quantity vol__claim_request(const json_t *claim)
{
    return vol__qty(jpath(claim, "spec.resources.requests.storage"));
}

struct quantity vol__pv_capacity(const json_t *pv)
{
    return vol__qty(jpath(pv, "spec.capacity.storage"));
}

/* --- classes --- */

const char *vol__claim_class(const json_t *claim)
{
    const char *c = vol__ann(claim, ANN_BETA_STORAGE_CLASS);

    if (c)
        return c;
    return str_or_empty(jpath_str(claim, "spec.storageClassName"));
}

bool vol__claim_has_class(const json_t *claim)
{
    const json_t *sc = jpath(claim, "spec.storageClassName");
    return vol__has_ann(claim, ANN_BETA_STORAGE_CLASS) || (sc && !json_is_null(sc));
}

const char *vol__pv_class(const json_t *pv)
{
    const char *c = vol__ann(pv, ANN_BETA_STORAGE_CLASS);

    if (c)
        return c;
    return str_or_empty(jpath_str(pv, "spec.storageClassName"));
}

/* --- pods --- */

bool vol__pod_terminated(const json_t *pod)
{
    const char *phase = vol__phase(pod);
    size_t i;
    json_t *cs;

    if (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded"))
        return true;
    if (!vol__deleting(pod))
        return false;
    /* deleted and no container running (upstream's notRunning) */
    json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs)
    {
        const json_t *state = jget_obj(cs, "state");
        if (jget(state, "running") || jget(state, "waiting"))
            return false;
        if (!jget(state, "terminated"))
            return false;
    }
    return true;
}

bool vol__pod_references_claim(const json_t *pod, const char *claim_name)
{
    size_t i;
    json_t *v;

    json_array_foreach(jpath(pod, "spec.volumes"), i, v)
    {
        const char *cn = jpath_str(v, "persistentVolumeClaim.claimName");
        if (cn && !strcmp(cn, claim_name))
            return true;
        if (jget(v, "ephemeral")) {
            /* the claim of a generic ephemeral volume is named <pod>-<volume> */
            char *eph = xasprintf("%s-%s", vol__name(pod), str_or_empty(jget_str(v, "name")));
            bool same = !strcmp(eph, claim_name);
            free(eph);
            if (same)
                return true;
        }
    }
    return false;
}

const char *vol__pv_node(const json_t *pv)
{
    size_t i, j;
    json_t *t, *r;

    json_array_foreach(jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms"), i, t)
    {
        json_array_foreach(jget_arr(t, "matchExpressions"), j, r)
        {
            const char *key = jget_str(r, "key"), *op = jget_str(r, "operator");
            const json_t *vals = jget_arr(r, "values");
            if (key && op && !strcmp(key, LABEL_HOSTNAME) && !strcmp(op, "In") &&
                json_array_size(vals) == 1 && json_is_string(json_array_get(vals, 0)))
                return json_string_value(json_array_get(vals, 0));
        }
    }
    return NULL;
}

json_t *vol__claim_ref(const json_t *claim)
{
    json_t *ref = json_object();

    jset_str(ref, "kind", "PersistentVolumeClaim");
    jset_str(ref, "namespace", vol__ns(claim));
    jset_str(ref, "name", vol__name(claim));
    jset_str(ref, "uid", vol__uid(claim));
    jset_str(ref, "apiVersion", "v1");
    if (jpath_str(claim, "metadata.resourceVersion"))
        jset_str(ref, "resourceVersion", jpath_str(claim, "metadata.resourceVersion"));
    return ref;
}

/* --- files --- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        return rmdir(path) < 0 ? -1 : 0;
    return unlink(path) < 0 ? -1 : 0;
}

int vol__remove_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    if (nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS) < 0)
        return -(errno ? errno : EIO);
    return 0;
}

bool vol__pv_released(const json_t *pv, const json_t *claim)
{
    const json_t *ref = jpath(pv, "spec.claimRef");
    const char *uid = jget_str(ref, "uid");
    const char *vn;

    if (!json_is_object(ref) || !uid || !*uid)
        return false; /* unbound, or pre-bound by a user and not bound yet */
    if (claim && !strcmp(vol__uid(claim), uid)) {
        vn = jpath_str(claim, "spec.volumeName");
        /* the claim still exists: released only when it is bound to another volume */
        return vn && *vn && strcmp(vn, vol__name(pv));
    }
    return true;
}
