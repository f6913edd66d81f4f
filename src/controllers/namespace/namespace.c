/* namespace.c — namespace deletion (upstream's namespace controller and its
 * namespacedResourcesDeleter; see namespace.h).
 *
 * A pass is self-contained and reads everything live: the namespace, then per resource a list,
 * deletes, and a second list of what remains. Caches are not good enough here: finalizing on a
 * lagging cache would leave objects behind in a namespace that no longer exists.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "client/ctrlloop.h"
#include "client/workqueue.h"
#include "controllers/namespace/namespace.h"

#define NS_FINALIZER "kubernetes"
#define NS_WORKERS 2
/* upstream namespaceDeletionGracePeriod: HA API servers see the mark, late writes land */
#define NS_DELETION_DELAY_MS 5000
/* an object of a terminating namespace went away: look again soon, batching a burst */
#define NS_CONTENT_GONE_DELAY_MS 200
/* upstream finalizerEstimateSeconds: the wait assumed for content held by finalizers */
#define FINALIZER_ESTIMATE_S 15
#define CONFLICT_RETRIES 5

/* --- helpers --- */

static const char *meta_str(const json_t *obj, const char *key)
{
    const char *s = jget_str(jget_obj(obj, "metadata"), key);
    return s ? s : "";
}

static bool being_deleted(const json_t *obj)
{
    json_t *ts = jget(jget_obj(obj, "metadata"), "deletionTimestamp");
    return ts && !json_is_null(ts);
}

static bool has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return true;
    }
    return false;
}

static char *err_text(const struct kstatus *st, int rc)
{
    return xstrdup(st->message[0] ? st->message : strerror(-rc));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Join strings, sorted (upstream sorts for stable updates), with ", ". Caller owns. */
static char *join_sorted(char **v, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addstr(&sb, ", ");
        strbuf_addstr(&sb, v[i]);
    }
    return strbuf_detach(&sb, NULL);
}

struct strv {
    char **v;
    size_t n, alloc;
};

static void strv_push(struct strv *s, char *str)
{
    ALLOC_GROW(s->v, s->n + 1, s->alloc);
    s->v[s->n++] = str;
}

static void strv_release(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* --- status: phase and conditions --- */

/* Make sure the namespace says Terminating (the server sets it when it marks the namespace;
 * this covers a namespace marked some other way). *ns is replaced by the current object. */
static int ensure_terminating(struct kclient *c, json_t **ns)
{
    const char *uid = meta_str(*ns, "uid");
    char *want_uid = xstrdup(uid);
    int rc = 0;

    for (int attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
        const char *phase = jpath_str(*ns, "status.phase");
        if (!being_deleted(*ns) || (phase && !strcmp(phase, "Terminating"))) {
            rc = 0;
            break;
        }
        json_t *next = json_deep_copy(*ns), *out = NULL;
        jset_str(jensure_obj(next, "status"), "phase", "Terminating");
        rc = kclient_update_status(c, RES_NAMESPACES, NULL, next, &out, NULL);
        json_decref(next);
        if (rc == 0) {
            json_decref(*ns);
            *ns = out;
            break;
        }
        if (rc != -ESTALE)
            break;
        json_t *cur = NULL;
        rc = kclient_get(c, RES_NAMESPACES, NULL, meta_str(*ns, "name"), &cur, NULL);
        if (rc < 0)
            break;
        json_decref(*ns);
        *ns = cur;
        if (strcmp(meta_str(cur, "uid"), want_uid)) {
            rc = -ESTALE; /* upstream: "namespace uid has changed across retries" */
            break;
        }
        rc = -ESTALE;
    }
    free(want_uid);
    return rc;
}

static const struct {
    const char *type, *ok_reason, *ok_message;
} cond_types[] = {
    {"NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
     "All resources successfully discovered"},
    {"NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"},
    {"NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"},
    {"NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"},
    {"NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
     "All content-preserving finalizers finished"},
};

static json_t *find_condition(const json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

static json_t *make_condition(const char *type, const char *status, const char *reason,
                              const char *message)
{
    char ts[KTIME_BUFSZ];
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "lastTransitionTime",
                     ktime_format(ktime_now(), ts), "reason", reason, "message", message);
}

/* upstream's updateConditions: each of the five types, failing or in its "ok" variant; a new
 * type is appended, an existing one rewritten only when it changed, its transition time moving
 * only when its status does. Returns whether status.conditions changed. */
static bool update_conditions(json_t *ns, const json_t *failing)
{
    json_t *conds = jensure_arr(jensure_obj(ns, "status"), "conditions");
    bool changed = false;

    for (size_t i = 0; i < ARRAY_SIZE(cond_types); i++) {
        json_t *want = find_condition(failing, cond_types[i].type);
        json_t *ok = NULL;
        if (!want)
            want = ok = make_condition(cond_types[i].type, "False", cond_types[i].ok_reason,
                                       cond_types[i].ok_message);
        json_t *old = find_condition(conds, cond_types[i].type);
        if (!old) {
            json_array_append(conds, want);
            changed = true;
        } else {
            static const char *const fields[] = {"status", "reason", "message"};
            bool status_changed = !json_equal(jget(old, "status"), jget(want, "status"));
            bool differs = false;
            for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
                differs |= !json_equal(jget(old, fields[k]), jget(want, fields[k]));
            if (differs) {
                if (status_changed)
                    json_object_set(old, "lastTransitionTime", jget(want, "lastTransitionTime"));
                for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
                    json_object_set(old, fields[k], jget(want, fields[k]));
                changed = true;
            }
        }
        json_decref(ok);
    }
    return changed;
}

/* --- deleting the content --- */

struct content_md {
    int64_t estimate_s; /* how long the remaining content may take */
    size_t remaining;   /* objects still there */
    json_t *finalizers; /* finalizer -> number of remaining objects holding it */
};

/* The longest grace period of the namespace's pods that are not finished (upstream's
 * estimateGracefulTerminationForPods). */
static int64_t pods_estimate(const json_t *items)
{
    int64_t est = 0;
    size_t i;
    json_t *pod;
    json_array_foreach(items, i, pod)
    {
        const char *phase = jpath_str(pod, "status.phase");
        if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
            continue;
        json_t *g = jpath(pod, "spec.terminationGracePeriodSeconds");
        if (json_is_integer(g) && json_integer_value(g) > est)
            est = json_integer_value(g);
    }
    return est;
}

/* Delete everything of resource r in namespace ns, then see what is left (upstream's
 * deleteAllContentForGroupVersionResource, with deletecollection done as list + delete each).
 * On failure *err gets upstream's kind of message. */
static int delete_content_of(struct kclient *c, enum res_id r, const char *ns, time_t deleted_at,
                             struct content_md *md, char **err)
{
    const struct resource *res = resource_get(r);
    struct kstatus st = {0};
    json_t *list = NULL;
    int rc;

    memset(md, 0, sizeof(*md));
    rc = kclient_list(c, r, ns, NULL, &list, &st);
    if (rc < 0) {
        *err = err_text(&st, rc);
        return rc;
    }
    int64_t estimate = r == RES_PODS ? pods_estimate(jget_arr(list, "items")) : 0;
    if (ktime_now() - deleted_at >= estimate)
        estimate = 0; /* the grace periods have run out since the namespace was marked */

    size_t i;
    json_t *item;
    json_array_foreach(jget_arr(list, "items"), i, item)
    {
        if (being_deleted(item))
            continue; /* already on its way; deleting again changes nothing */
        struct kdelete_opts o = KDELETE_OPTS_INIT;
        o.propagation = "Background";
        memset(&st, 0, sizeof(st));
        rc = kclient_delete(c, r, ns, meta_str(item, "name"), &o, &st);
        if (rc == -ENOENT)
            continue;
        if (rc < 0) {
            md->estimate_s = estimate;
            *err = err_text(&st, rc);
            json_decref(list);
            return rc;
        }
    }
    json_decref(list);

    list = NULL;
    memset(&st, 0, sizeof(st));
    rc = kclient_list(c, r, ns, NULL, &list, &st);
    if (rc < 0) {
        md->estimate_s = estimate;
        *err = err_text(&st, rc);
        return rc;
    }
    json_t *items = jget_arr(list, "items");
    md->remaining = json_array_size(items);
    if (!md->remaining) {
        json_decref(list);
        return 0;
    }
    md->finalizers = json_object();
    json_array_foreach(items, i, item)
    {
        size_t k;
        json_t *f;
        json_array_foreach(jpath(item, "metadata.finalizers"), k, f)
        {
            if (!json_is_string(f))
                continue;
            const char *name = json_string_value(f);
            json_int_t n = json_integer_value(json_object_get(md->finalizers, name));
            json_object_set_new(md->finalizers, name, json_integer(n + 1));
        }
    }
    json_decref(list);
    if (estimate) {
        md->estimate_s = estimate;
        return 0;
    }
    if (json_object_size(md->finalizers)) {
        /* waiting on finalizers is normal: give their controllers time */
        md->estimate_s = FINALIZER_ESTIMATE_S;
        return 0;
    }
    /* nothing should be holding these: something is wrong */
    *err = xasprintf("unexpected items still remain in namespace: %s for gvr: %s/%s, "
                     "Resource=%s",
                     ns, res->group, res->version, res->plural);
    return -EBUSY;
}

/* Delete every namespaced object of the namespace and record the outcome in its conditions
 * (upstream's deleteAllContent). *estimate_s > 0 while content remains. */
static int delete_all_content(struct kclient *c, json_t *ns, int64_t *estimate_s)
{
    const char *name = meta_str(ns, "name");
    time_t deleted_at = 0;
    struct strv errs = {0}, remaining = {0}, by_fin = {0};
    json_t *fins = json_object();
    int first_err = 0;

    *estimate_s = 0;
    if (ktime_parse(meta_str(ns, "deletionTimestamp"), &deleted_at, NULL) < 0)
        deleted_at = ktime_now();
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *res = resource_get((enum res_id)i);
        if (!res->namespaced)
            continue;
        struct content_md md;
        char *err = NULL;
        int rc = delete_content_of(c, res->id, name, deleted_at, &md, &err);
        if (rc < 0) {
            /* keep going: the other kinds can still be deleted */
            log_warn("namespace", "deleting %s in %s: %s", res->plural, name, err);
            strv_push(&errs, err);
            if (!first_err)
                first_err = rc;
        }
        if (md.estimate_s > *estimate_s)
            *estimate_s = md.estimate_s;
        if (md.remaining) {
            strv_push(&remaining, xasprintf("%s.%s has %zu resource instances", res->plural,
                                            res->group, md.remaining));
            const char *f;
            json_t *n;
            json_object_foreach(md.finalizers, f, n)
            {
                json_int_t have = json_integer_value(json_object_get(fins, f));
                json_object_set_new(fins, f, json_integer(have + json_integer_value(n)));
            }
        }
        json_decref(md.finalizers);
    }

    json_t *failing = json_array();
    if (remaining.n) {
        char *list = join_sorted(remaining.v, remaining.n);
        char *msg = xasprintf("Some resources are remaining: %s", list);
        json_array_append_new(failing, make_condition("NamespaceContentRemaining", "True",
                                                      "SomeResourcesRemain", msg));
        free(msg);
        free(list);
    }
    if (json_object_size(fins)) {
        const char *f;
        json_t *n;
        json_object_foreach(fins, f, n)
        {
            strv_push(&by_fin, xasprintf("%s in %lld resource instances", f,
                                         (long long)json_integer_value(n)));
        }
        char *list = join_sorted(by_fin.v, by_fin.n);
        char *msg = xasprintf("Some content in the namespace has finalizers remaining: %s", list);
        json_array_append_new(failing, make_condition("NamespaceFinalizersRemaining", "True",
                                                      "SomeFinalizersRemain", msg));
        free(msg);
        free(list);
    }
    if (errs.n) {
        char *list = join_sorted(errs.v, errs.n);
        char *msg =
            xasprintf("Failed to delete all resource types, %zu remaining: %s", errs.n, list);
        json_array_append_new(failing, make_condition("NamespaceDeletionContentFailure", "True",
                                                      "ContentDeletionFailed", msg));
        free(msg);
        free(list);
    }

    /* Always reconciled: a condition that was failing must say so no longer. */
    json_t *next = json_deep_copy(ns);
    if (update_conditions(next, failing)) {
        struct kstatus st = {0};
        int rc = kclient_update_status(c, RES_NAMESPACES, NULL, next, NULL, &st);
        if (rc < 0)
            log_warn("namespace", "couldn't update status condition for namespace %s: %s", name,
                     st.message[0] ? st.message : strerror(-rc));
    }
    json_decref(next);
    json_decref(failing);
    json_decref(fins);
    strv_release(&errs);
    strv_release(&remaining);
    strv_release(&by_fin);
    return first_err;
}

/* Remove our finalizer through namespaces/NAME/finalize (upstream's finalizeNamespace: the
 * others are kept, as a sorted set). */
static int finalize(struct kclient *c, json_t *ns)
{
    char *uid = xstrdup(meta_str(ns, "uid"));
    json_t *cur = json_incref(ns);
    int rc = -ESTALE;

    for (int attempt = 0; attempt < CONFLICT_RETRIES && rc == -ESTALE; attempt++) {
        if (attempt > 0) {
            json_decref(cur);
            cur = NULL;
            rc = kclient_get(c, RES_NAMESPACES, NULL, meta_str(ns, "name"), &cur, NULL);
            if (rc < 0)
                break;
            if (strcmp(meta_str(cur, "uid"), uid)) {
                rc = -ESTALE;
                break;
            }
        }
        struct strv keep = {0};
        size_t i;
        json_t *v;
        json_array_foreach(jpath(cur, "spec.finalizers"), i, v)
        {
            const char *f = json_is_string(v) ? json_string_value(v) : NULL;
            if (!f || !strcmp(f, NS_FINALIZER))
                continue;
            bool dup = false;
            for (size_t k = 0; k < keep.n; k++)
                dup |= !strcmp(keep.v[k], f);
            if (!dup)
                strv_push(&keep, xstrdup(f));
        }
        qsort(keep.v, keep.n, sizeof(*keep.v), cmp_str);
        json_t *next = json_deep_copy(cur), *fin = json_array();
        for (size_t k = 0; k < keep.n; k++)
            json_array_append_new(fin, json_string(keep.v[k]));
        json_object_set_new(jensure_obj(next, "spec"), "finalizers", fin);
        strv_release(&keep);
        struct kstatus st = {0};
        rc = c->ops->update(c, RES_NAMESPACES, NULL, next, "finalize", NULL, &st);
        json_decref(next);
    }
    json_decref(cur);
    free(uid);
    return rc == -ENOENT ? 0 : rc;
}

int ns_delete_pass(struct kclient *c, const char *name, int64_t *estimate_s)
{
    json_t *ns = NULL;
    int rc;

    *estimate_s = 0;
    rc = kclient_get(c, RES_NAMESPACES, NULL, name, &ns, NULL);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (!being_deleted(ns))
        goto out;
    rc = ensure_terminating(c, &ns);
    if (rc < 0 || !being_deleted(ns))
        goto out;
    if (!has_string(jpath(ns, "spec.finalizers"), NS_FINALIZER))
        goto out; /* finalized already: the server removes it once the rest let go */
    rc = delete_all_content(c, ns, estimate_s);
    if (rc < 0 || *estimate_s > 0)
        goto out;
    rc = finalize(c, ns);
    if (rc == 0)
        log_info("namespace", "namespace %s: content deleted, finalized", name);
out:
    json_decref(ns);
    return rc == -ENOENT ? 0 : rc;
}

/* --- the controller --- */

struct nsctl;

struct ns_source {
    struct nsctl *n;
    enum res_id r;
};

struct nsctl {
    struct kclient *c;
    struct informer *namespaces;
    struct ns_source src[RES_COUNT];
    struct workqueue *q;
    struct ctrl_loop *loop;
};

static void on_ns(void *ctx, const json_t *ns)
{
    struct ns_source *s = ctx;
    if (being_deleted(ns))
        wq_add_after(s->n->q, meta_str(ns, "name"), NS_DELETION_DELAY_MS);
}

static void on_ns_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_ns(ctx, cur);
}

/* Content went away: if its namespace is terminating, the next pass may be the last. */
static void on_content_delete(void *ctx, const json_t *obj)
{
    struct ns_source *s = ctx;
    const char *ns = meta_str(obj, "namespace");
    json_t *n = *ns ? informer_get(s->n->namespaces, "", ns) : NULL;
    if (n && being_deleted(n))
        wq_add_after(s->n->q, ns, NS_CONTENT_GONE_DELAY_MS);
    json_decref(n);
}

static void on_nothing(void *ctx, const json_t *obj)
{
}

static void on_nothing_update(void *ctx, const json_t *old, const json_t *cur)
{
}

static int ns_sync(void *ctx, const char *key)
{
    struct nsctl *n = ctx;
    int64_t estimate = 0;
    int rc = ns_delete_pass(n->c, key, &estimate);
    if (rc < 0) {
        log_warn("namespace", "deletion of namespace %s failed: %s", key, strerror(-rc));
        return rc;
    }
    if (estimate > 0)
        wq_add_after(n->q, key, (int)(estimate / 2 + 1) * 1000);
    return 0;
}

static int ns_start(const struct ctrl_env *env, void **state)
{
    /* upstream's nsControllerRateLimiter: retry at least every minute */
    static const struct wq_rate_limit rl = {5, 60000, 10, 100};
    struct nsctl *n = xcalloc(1, sizeof(*n));

    n->c = env->client;
    n->q = wq_new("namespace", &rl);
    n->namespaces = informer_factory_get(env->informers, RES_NAMESPACES);
    for (int i = 0; i < RES_COUNT; i++) {
        n->src[i].n = n;
        n->src[i].r = (enum res_id)i;
    }
    struct informer_handlers h = {on_ns, on_ns_update, on_nothing, &n->src[RES_NAMESPACES]};
    informer_add_handlers(n->namespaces, &h);
    for (int i = 0; i < RES_COUNT; i++) {
        /* Events are many and nobody waits for them: not worth a cluster-wide cache */
        if (!resource_get((enum res_id)i)->namespaced || i == RES_EVENTS)
            continue;
        struct informer_handlers ch = {on_nothing, on_nothing_update, on_content_delete,
                                       &n->src[i]};
        informer_add_handlers(informer_factory_get(env->informers, (enum res_id)i), &ch);
    }
    n->loop = ctrl_loop_start("namespace", n->q, NS_WORKERS, ns_sync, n);
    *state = n;
    return 0;
}

static void ns_stop(void *state)
{
    struct nsctl *n = state;
    if (!n)
        return;
    ctrl_loop_stop(n->loop);
    wq_free(n->q);
    free(n);
}

const struct controller_def namespace_controller_def = {
    .name = "namespace",
    .start = ns_start,
    .stop = ns_stop,
};
