/* apisim.h — a client for the GC and namespace tests: the fake API (client/fake.h) with the
 * deletion rules of berth's server (src/server/rest.c) in front of it, so that the tests see
 * what a controller sees against the real server whatever the fake chooses to model:
 *   - DELETE with propagationPolicy Foreground / Orphan records it as the foregroundDeletion /
 *     orphan finalizer and only marks the object (deletionTimestamp);
 *   - an object with finalizers, a pod bound to a node (grace period > 0) and a namespace with
 *     spec.finalizers are marked, not removed;
 *   - a marked object whose last finalizer goes (patch, update, namespaces/finalize) is removed.
 * Every DELETE is logged (verb, resource, namespace, name, propagation, preconditions) for the
 * tests to inspect. Plain deletes, and every other call, go to the fake (which counts them and
 * injects failures).
 */
#ifndef BERTH_TEST_APISIM_H
#define BERTH_TEST_APISIM_H

#include <errno.h>
#include <pthread.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"

struct apisim {
    struct kclient base;
    struct kclient *fake;
    pthread_mutex_t lock;
    json_t *deletes; /* [{"res","ns","name","propagation","uid","rv","grace"}] */
};

static struct kclient *apisim_fake(struct kclient *c)
{
    return ((struct apisim *)c)->fake;
}

static bool apisim_has(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
    return false;
}

/* A marked object that nothing holds any more goes, as commit_update does on the server. */
static void apisim_settle_obj(struct apisim *s, enum res_id r, const char *ns, const char *name)
{
    json_t *o = kfake_get(s->fake, r, ns, name);
    if (!o)
        return;
    json_t *meta = jget_obj(o, "metadata");
    bool marked = jget(meta, "deletionTimestamp") != NULL;
    bool held = json_array_size(jget_arr(meta, "finalizers")) ||
                (r == RES_NAMESPACES && json_array_size(jpath(o, "spec.finalizers"))) ||
                (r == RES_PODS && jget_int(meta, "deletionGracePeriodSeconds", 0) > 0);
    if (marked && !held)
        kfake_remove(s->fake, r, ns, name);
    json_decref(o);
}

static int apisim_get(struct kclient *c, enum res_id r, const char *ns, const char *name,
                      json_t **out, struct kstatus *st)
{
    struct kclient *f = apisim_fake(c);
    return f->ops->get(f, r, ns, name, out, st);
}

static int apisim_list(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                       json_t **out, struct kstatus *st)
{
    struct kclient *f = apisim_fake(c);
    return f->ops->list(f, r, ns, o, out, st);
}

static int apisim_create(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                         json_t **out, struct kstatus *st)
{
    struct kclient *f = apisim_fake(c);
    return f->ops->create(f, r, ns, obj, out, st);
}

static int apisim_update(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                         const char *sub, json_t **out, struct kstatus *st)
{
    struct apisim *s = (struct apisim *)c;
    const char *name = jpath_str(obj, "metadata.name");
    if (sub && !strcmp(sub, "finalize") && r == RES_NAMESPACES) {
        /* namespaces/NAME/finalize: only spec.finalizers change */
        json_t *cur = kfake_get(s->fake, r, NULL, name);
        if (!cur)
            return -ENOENT;
        json_t *fin = jpath(obj, "spec.finalizers");
        json_object_set(jensure_obj(cur, "spec"), "finalizers", fin ? fin : json_array());
        kfake_put(s->fake, r, cur);
        json_decref(cur);
        apisim_settle_obj(s, r, NULL, name);
        if (out)
            *out = kfake_get(s->fake, r, NULL, name);
        return 0;
    }
    int rc = s->fake->ops->update(s->fake, r, ns, obj, sub, out, st);
    if (rc == 0)
        apisim_settle_obj(s, r, ns, name);
    return rc;
}

static int apisim_patch(struct kclient *c, enum res_id r, const char *ns, const char *name,
                        enum kpatch_type t, const char *patch, const char *sub, json_t **out,
                        struct kstatus *st)
{
    struct apisim *s = (struct apisim *)c;
    int rc = s->fake->ops->patch(s->fake, r, ns, name, t, patch, sub, out, st);
    if (rc == 0)
        apisim_settle_obj(s, r, ns, name);
    return rc;
}

static int apisim_del(struct kclient *c, enum res_id r, const char *ns, const char *name,
                      const struct kdelete_opts *o, struct kstatus *st)
{
    struct apisim *s = (struct apisim *)c;
    const char *policy = o ? o->propagation : NULL;

    pthread_mutex_lock(&s->lock);
    json_t *rec = json_pack("{s:s,s:s,s:s}", "res", resource_get(r)->plural, "ns", ns ? ns : "",
                            "name", name);
    if (policy)
        jset_str(rec, "propagation", policy);
    if (o && o->uid)
        jset_str(rec, "uid", o->uid);
    if (o && o->resource_version)
        jset_str(rec, "rv", o->resource_version);
    json_array_append_new(s->deletes, rec);
    pthread_mutex_unlock(&s->lock);

    json_t *cur = kfake_get(s->fake, r, ns, name);
    if (!cur)
        return s->fake->ops->del(s->fake, r, ns, name, o, st);
    json_t *meta = jget_obj(cur, "metadata");
    bool already = jget(meta, "deletionTimestamp") != NULL;
    const char *add = !policy                         ? NULL
                      : !strcmp(policy, "Orphan")     ? "orphan"
                      : !strcmp(policy, "Foreground") ? "foregroundDeletion"
                                                      : NULL;
    int64_t grace = 0;
    if (r == RES_PODS && jpath_str(cur, "spec.nodeName"))
        grace = o && o->grace_seconds >= 0
                    ? o->grace_seconds
                    : jpath_int(cur, "spec.terminationGracePeriodSeconds", 30);
    bool deferred = add || json_array_size(jget_arr(meta, "finalizers")) || grace > 0 ||
                    (r == RES_NAMESPACES && json_array_size(jpath(cur, "spec.finalizers")));
    if (!deferred) {
        json_decref(cur);
        return s->fake->ops->del(s->fake, r, ns, name, o, st);
    }
    /* The marking path of delete_once: preconditions, then the GC finalizer and the mark. */
    const char *uid = jget_str(meta, "uid");
    if (o && o->uid && (!uid || strcmp(o->uid, uid))) {
        json_decref(cur);
        return -ESTALE;
    }
    if (o && o->resource_version &&
        strcmp(o->resource_version, jget_str(meta, "resourceVersion") ?: "")) {
        json_decref(cur);
        return -ESTALE;
    }
    json_t *fin = jensure_arr(meta, "finalizers");
    if (policy && !already) {
        static const char *const drop[] = {"orphan", "foregroundDeletion"};
        for (size_t k = 0; k < 2; k++) {
            if (add && !strcmp(add, drop[k]))
                continue;
            for (size_t i = 0; i < json_array_size(fin);) {
                if (!strcmp(json_string_value(json_array_get(fin, i)), drop[k]))
                    json_array_remove(fin, i);
                else
                    i++;
            }
        }
    }
    if (add && !apisim_has(fin, add))
        json_array_append_new(fin, json_string(add));
    if (!json_array_size(fin))
        json_object_del(meta, "finalizers");
    if (!already) {
        char ts[KTIME_BUFSZ];
        jset_str(meta, "deletionTimestamp", ktime_format(ktime_now() + grace, ts));
        jset_int(meta, "deletionGracePeriodSeconds", grace);
        if (r == RES_NAMESPACES)
            jset_str(jensure_obj(cur, "status"), "phase", "Terminating");
    }
    kfake_put(s->fake, r, cur);
    json_decref(cur);
    apisim_settle_obj(s, r, ns, name);
    return 0;
}

static int apisim_bind(struct kclient *c, const char *ns, const char *pod, const char *node,
                       struct kstatus *st)
{
    struct kclient *f = apisim_fake(c);
    return f->ops->bind(f, ns, pod, node, st);
}

static int apisim_watch(struct kclient *c, enum res_id r, const char *ns,
                        const struct klist_opts *o, const char *rv, int timeout_seconds,
                        kwatch_cb cb, void *ctx, volatile bool *stop, struct kstatus *st)
{
    struct kclient *f = apisim_fake(c);
    return f->ops->watch(f, r, ns, o, rv, timeout_seconds, cb, ctx, stop, st);
}

static void apisim_free(struct kclient *c)
{
    struct apisim *s = (struct apisim *)c;
    kclient_free(s->fake);
    json_decref(s->deletes);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct kclient_ops apisim_ops = {
    apisim_get, apisim_list, apisim_create, apisim_update, apisim_patch,
    apisim_del, apisim_bind, apisim_watch,  apisim_free,
};

static struct kclient *apisim_new(void)
{
    struct apisim *s = xcalloc(1, sizeof(*s));
    s->base.ops = &apisim_ops;
    s->fake = kfake_new();
    s->base.wraps = s->fake; /* kfake_flush then also waits for informers over the sim */
    s->deletes = json_array();
    pthread_mutex_init(&s->lock, NULL);
    return &s->base;
}

/* The logged deletes of plural/ns/name (a new array). */
static json_t *apisim_deletes_of(struct kclient *c, const char *plural, const char *ns,
                                 const char *name)
{
    struct apisim *s = (struct apisim *)c;
    json_t *out = json_array();
    size_t i;
    json_t *d;
    pthread_mutex_lock(&s->lock);
    json_array_foreach(s->deletes, i, d)
    {
        if (!strcmp(jget_str(d, "res"), plural) && !strcmp(jget_str(d, "ns"), ns ? ns : "") &&
            !strcmp(jget_str(d, "name"), name))
            json_array_append(out, d);
    }
    pthread_mutex_unlock(&s->lock);
    return out;
}

/* Seed an object from JSON text straight into the fake. */
static void apisim_put(struct kclient *c, enum res_id r, const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    if (!o)
        fail_msg("bad JSON in test: %s: %s", text, e.text);
    if (kfake_put(apisim_fake(c), r, o) < 0)
        fail_msg("kfake_put failed: %s", text);
    json_decref(o);
}

static json_t *apisim_obj(struct kclient *c, enum res_id r, const char *ns, const char *name)
{
    return kfake_get(apisim_fake(c), r, ns, name);
}

static bool apisim_exists(struct kclient *c, enum res_id r, const char *ns, const char *name)
{
    json_t *o = apisim_obj(c, r, ns, name);
    json_decref(o);
    return o != NULL;
}

#endif
