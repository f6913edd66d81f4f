/* identity.c — who a pod is: its name and ordinal, its labels, hostname and subdomain, its
 * claims' names, and the owner references the controller writes (upstream
 * stateful_set_utils.go; STATEFULSET.md §1.2).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "controllers/statefulset/internal.h"

/* --- names and ordinals --- */

/* The regex is greedy: the parent is everything before the last "-" that is followed by digits
 * only, up to the end. strconv.ParseInt(s, 10, 32) then fails beyond int32, giving -1 while the
 * parent still counts. */
int sts__parse_name(const char *name, size_t *parent_len)
{
    size_t len = name ? strlen(name) : 0, i = len;
    long long v = 0;

    if (parent_len)
        *parent_len = 0;
    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    if (i == len || i == 0 || name[i - 1] != '-')
        return -1;
    if (parent_len)
        *parent_len = i - 1;
    for (size_t k = i; k < len; k++) {
        v = v * 10 + (name[k] - '0');
        if (v > INT32_MAX)
            return -1;
    }
    return (int)v;
}

int sts__ordinal(const json_t *pod)
{
    return sts__parse_name(jpath_str(pod, "metadata.name"), NULL);
}

bool sts__is_member(const json_t *set, const json_t *pod)
{
    const char *pname = jpath_str(pod, "metadata.name"), *sname = jpath_str(set, "metadata.name");
    size_t plen;

    if (!pname || !sname)
        return false;
    sts__parse_name(pname, &plen);
    /* a name that does not match has the parent "" */
    return strlen(sname) == plen && !strncmp(pname, sname, plen);
}

int sts__start_ordinal(const json_t *set)
{
    const json_t *o = jpath(set, "spec.ordinals");
    return json_is_object(o) ? (int)jget_int(o, "start", 0) : 0;
}

int sts__replicas(const json_t *set)
{
    return (int)jpath_int(set, "spec.replicas", 1);
}

bool sts__in_range(const json_t *set, const json_t *pod)
{
    int ord = sts__ordinal(pod), start = sts__start_ordinal(set);
    return ord >= start && ord <= start + sts__replicas(set) - 1;
}

char *sts__pod_name(const json_t *set, int ordinal)
{
    return xasprintf("%s-%d", jpath_str(set, "metadata.name"), ordinal);
}

char *sts__claim_name(const json_t *set, const json_t *tmpl, int ordinal)
{
    const char *t = jpath_str(tmpl, "metadata.name");
    return xasprintf("%s-%s-%d", t ? t : "", jpath_str(set, "metadata.name"), ordinal);
}

static bool str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool sts__identity_matches(const json_t *set, const json_t *pod)
{
    const char *pname = jpath_str(pod, "metadata.name");
    int ord = sts__ordinal(pod);
    char *want;
    bool ok;

    if (ord < 0 || !sts__is_member(set, pod))
        return false;
    want = sts__pod_name(set, ord);
    ok = str_eq(pname, want) &&
         str_eq(jpath_str(pod, "metadata.namespace"), jpath_str(set, "metadata.namespace")) &&
         str_eq(jget_str(jpath(pod, "metadata.labels"), STS_LABEL_POD_NAME), pname);
    free(want);
    return ok;
}

static const json_t *find_volume(const json_t *pod, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(jpath(pod, "spec.volumes"), i, v)
    {
        if (str_eq(jget_str(v, "name"), name))
            return v;
    }
    return NULL;
}

bool sts__storage_matches(const json_t *set, const json_t *pod)
{
    int ord = sts__ordinal(pod);
    size_t i;
    json_t *t;

    if (ord < 0)
        return false;
    json_array_foreach(jpath(set, "spec.volumeClaimTemplates"), i, t)
    {
        const json_t *v = find_volume(pod, jpath_str(t, "metadata.name"));
        const char *claim = jpath_str(v, "persistentVolumeClaim.claimName");
        char *want = sts__claim_name(set, t, ord);
        bool ok = v && claim && !strcmp(claim, want);
        free(want);
        if (!ok)
            return false;
    }
    return true;
}

void sts__update_identity(const json_t *set, json_t *pod)
{
    json_t *meta = jensure_obj(pod, "metadata"), *labels;
    int ord = sts__ordinal(pod);
    char *name = sts__pod_name(set, ord), idx[16];

    jset_str(meta, "name", name);
    jset_str(meta, "namespace", jpath_str(set, "metadata.namespace"));
    labels = jensure_obj(meta, "labels");
    jset_str(labels, STS_LABEL_POD_NAME, name);
    snprintf(idx, sizeof(idx), "%d", ord);
    jset_str(labels, STS_LABEL_POD_INDEX, idx);
    free(name);
}

/* The template volumes come first, in template order (upstream iterates a map, so its order is
 * random), then the pod's other volumes; a pod volume named like a template is replaced. */
void sts__update_storage(const json_t *set, json_t *pod)
{
    const json_t *templates = jpath(set, "spec.volumeClaimTemplates");
    json_t *spec = jensure_obj(pod, "spec"), *vols = json_array(), *t, *v;
    int ord = sts__ordinal(pod);
    size_t i, j;

    json_array_foreach(templates, i, t)
    {
        char *claim = sts__claim_name(set, t, ord);
        json_array_append_new(vols,
                              json_pack("{s:s?,s:{s:s}}", "name", jpath_str(t, "metadata.name"),
                                        "persistentVolumeClaim", "claimName", claim));
        free(claim);
    }
    json_array_foreach(jget_arr(spec, "volumes"), i, v)
    {
        bool is_template = false;
        json_array_foreach(templates, j, t)
        {
            if (str_eq(jget_str(v, "name"), jpath_str(t, "metadata.name")))
                is_template = true;
        }
        if (!is_template)
            json_array_append(vols, v);
    }
    if (json_array_size(vols))
        json_object_set_new(spec, "volumes", vols);
    else
        json_decref(vols);
}

/* --- new pods --- */

static void copy_member(json_t *dst, const json_t *src, const char *key)
{
    json_t *v = jget(src, key);
    if (v && !json_is_null(v))
        json_object_set_new(dst, key, json_deep_copy(v));
}

json_t *sts__controller_ref(const json_t *owner, const char *api_version, const char *kind)
{
    return json_pack("{s:s,s:s,s:s?,s:s?,s:b,s:b}", "apiVersion", api_version, "kind", kind, "name",
                     jpath_str(owner, "metadata.name"), "uid", jpath_str(owner, "metadata.uid"),
                     "controller", 1, "blockOwnerDeletion", 1);
}

/* controller.GetPodFromTemplate (labels, annotations, finalizers and spec of the template,
 * generateName "<set>-", the controller ref), then initIdentity and updateStorage. */
json_t *sts__new_pod(const json_t *set, int ordinal)
{
    const json_t *tmpl = jpath(set, "spec.template"), *tmeta = jget_obj(tmpl, "metadata");
    const char *svc = jpath_str(set, "spec.serviceName");
    json_t *pod = json_pack("{s:s,s:s,s:{}}", "apiVersion", "v1", "kind", "Pod", "metadata");
    json_t *meta = jget_obj(pod, "metadata"), *spec;
    char *name = sts__pod_name(set, ordinal), *prefix;

    copy_member(meta, tmeta, "labels");
    copy_member(meta, tmeta, "annotations");
    copy_member(meta, tmeta, "finalizers");
    prefix = xasprintf("%s-", jpath_str(set, "metadata.name"));
    jset_str(meta, "generateName", prefix);
    free(prefix);
    json_object_set_new(meta, "ownerReferences",
                        json_pack("[o]", sts__controller_ref(set, "apps/v1", "StatefulSet")));
    spec = jget_obj(tmpl, "spec") ? json_deep_copy(jget_obj(tmpl, "spec")) : json_object();
    json_object_set_new(pod, "spec", spec);
    jset_str(meta, "name", name);
    /* initIdentity: hostname and subdomain are immutable, so only set at creation */
    sts__update_identity(set, pod);
    jset_str(spec, "hostname", name);
    if (svc && *svc)
        jset_str(spec, "subdomain", svc);
    else
        json_object_del(spec, "subdomain");
    sts__update_storage(set, pod);
    free(name);
    return pod;
}

/* Go's precedence makes this (RollingUpdate && rollingUpdate == nil && ord < start+current) ||
 * (rollingUpdate != nil && ord < start+partition): with OnDelete, rollingUpdate is always nil,
 * so new pods get the update revision. */
json_t *sts__new_versioned_pod(const json_t *cur_set, const json_t *upd_set, const char *cur_rev,
                               const char *upd_rev, int ordinal)
{
    const json_t *us = jpath(cur_set, "spec.updateStrategy");
    const json_t *ru = jget_obj(us, "rollingUpdate");
    const char *type = jget_str(us, "type");
    int start = sts__start_ordinal(cur_set);
    bool current = (type && !strcmp(type, "RollingUpdate") && !ru &&
                    ordinal < start + (int)jpath_int(cur_set, "status.currentReplicas", 0)) ||
                   (ru && ordinal < start + (int)jget_int(ru, "partition", 0));
    json_t *pod = sts__new_pod(current ? cur_set : upd_set, ordinal);

    jset_str(jensure_obj(jensure_obj(pod, "metadata"), "labels"), STS_LABEL_REVISION,
             current ? cur_rev : upd_rev);
    return pod;
}

const char *sts__pod_revision(const json_t *pod)
{
    const char *r = jget_str(jpath(pod, "metadata.labels"), STS_LABEL_REVISION);
    return r ? r : "";
}

const json_t *sts__controller_of(const json_t *obj)
{
    size_t i;
    json_t *ref;

    json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, ref)
    {
        if (jget_bool(ref, "controller", false))
            return ref;
    }
    return NULL;
}

int sts__selector(const json_t *set, struct label_selector **out)
{
    const json_t *sel = jpath(set, "spec.selector");
    struct strbuf err = STRBUF_INIT;
    int rc;

    /* a nil selector selects nothing; validation makes it required anyway */
    if (!json_is_object(sel))
        return -EINVAL;
    rc = label_selector_from_json(sel, out, &err);
    strbuf_release(&err);
    return rc;
}
