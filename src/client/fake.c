/* fake.c — an in-memory API server behind struct kclient_ops, for controller unit tests.
 *
 * One mutex guards everything: the objects (an AVL tree per resource, ordered as the real
 * server lists them), the global resourceVersion, the event history that watches replay, the
 * call counters and the armed failures. Stored objects are immutable once published; callers
 * always get deep copies, as they would get freshly decoded objects from the wire.
 *
 * The write path follows server/rest.c where a controller can tell the difference (server-owned
 * metadata, status subresource split, generation, no-op writes, finalizers, preconditions,
 * binding conflicts) but it runs only the kind's defaults and the metadata validation, not
 * the kind's validation: tests seed partial objects. Pods are deleted at once (no node agent
 * runs a grace period here). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/errors.h"
#include "api/patch.h"
#include "api/schema.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/ktime.h"
#include "base/names.h"
#include "base/selector.h"
#include "base/uuid.h"
#include "client/fake.h"
#include "client/internal.h"

#define HIST_WINDOW 4096    /* events kept for watches to resume from, at least */
#define WATCH_POLL_US 20000 /* how often a quiet watch looks at its stop flag */
#define MAX_RULES 32

enum fverb {
    V_GET,
    V_LIST,
    V_CREATE,
    V_UPDATE,
    V_UPDATE_STATUS,
    V_PATCH,
    V_PATCH_STATUS,
    V_DELETE,
    V_BIND,
    V_WATCH,
    V_COUNT
};
static const char *const verb_names[V_COUNT] = {"get",           "list",  "create",       "update",
                                                "update/status", "patch", "patch/status", "delete",
                                                "bind",          "watch"};

enum fev { EV_ADDED, EV_MODIFIED, EV_DELETED };
static const char *const ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

struct fobj {
    struct avl_node node;
    char *ns; /* "" for cluster-scoped kinds */
    char *name;
    json_t *obj; /* immutable */
};

struct fevent {
    int64_t rv;
    enum res_id r;
    enum fev type;
    json_t *obj; /* the new state (DELETED: the last state, at the deletion's rv) */
    json_t *old; /* MODIFIED: the previous state, for selector transitions */
};

struct fwatcher {
    struct fwatcher *next;
    int64_t pos;  /* events up to this rv are processed */
    bool initial; /* still delivering the initial ADDED events */
};

struct frule {
    int verb; /* -1: any */
    enum res_id r;
    int remaining; /* matching calls that still succeed */
    int err;
};

struct fake {
    struct kclient base;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* new events; watcher progress */
    int64_t rv;          /* the last write's resourceVersion */
    struct avl_tree objs[RES_COUNT];

    struct fevent *hist; /* events with rv hist_first.. */
    size_t nhist, hist_alloc;
    int64_t hist_first;

    struct fwatcher *watchers;
    unsigned closes; /* kfake_close_watches calls */
    int gaps;        /* informer threads between losing a watch and having one again */

    struct frule rules[MAX_RULES];
    int nrules;
    int calls[V_COUNT][RES_COUNT];
};

static struct fake *fake_of(struct kclient *c)
{
    return (struct fake *)c;
}

/* --- the object tree --- */

struct okey {
    const char *ns, *name;
};

static int cmp_okey(const void *key, const struct avl_node *n)
{
    const struct okey *k = key;
    const struct fobj *o = avl_entry(n, struct fobj, node);
    int c = strcmp(k->ns, o->ns);
    return c ? c : strcmp(k->name, o->name);
}

static int cmp_fobj(const struct avl_node *a, const struct avl_node *b)
{
    const struct fobj *o = avl_entry(a, struct fobj, node);
    struct okey k = {o->ns, o->name};
    return cmp_okey(&k, b);
}

static struct fobj *find(struct fake *f, enum res_id r, const char *ns, const char *name)
{
    struct okey k = {resource_get(r)->namespaced && ns ? ns : "", name ? name : ""};
    struct avl_node *n = avl__find(&f->objs[r], &k, cmp_okey);
    return n ? avl_entry(n, struct fobj, node) : NULL;
}

static void fobj_free(struct fobj *o)
{
    free(o->ns);
    free(o->name);
    json_decref(o->obj);
    free(o);
}

/* --- counting and failure injection --- */

static int verb_id(const char *verb)
{
    for (int i = 0; i < V_COUNT; i++)
        if (!strcmp(verb_names[i], verb))
            return i;
    return -2; /* matches nothing */
}

/* Count a call; returns the injected error (and fills st) or 0. Lock held. */
static int call(struct fake *f, int verb, enum res_id r, struct kstatus *st)
{
    f->calls[verb][r]++;
    int err = 0;
    for (int i = 0; i < f->nrules; i++) {
        struct frule *ru = &f->rules[i];
        if ((ru->verb != -1 && ru->verb != verb) || (ru->r != RES_COUNT && ru->r != r))
            continue;
        if (ru->remaining > 0)
            ru->remaining--;
        else if (!err)
            err = ru->err;
    }
    if (err) {
        const char *reason;
        int code = kstatus__code_of(err, &reason);
        kstatus__set(st, code, reason, "injected error");
    }
    return err;
}

void kfake_fail_after(struct kclient *c, const char *verb, enum res_id r, int after_n_calls,
                      int err)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    if (f->nrules < MAX_RULES) {
        struct frule *ru = &f->rules[f->nrules++];
        ru->verb = verb ? verb_id(verb) : -1;
        ru->r = r;
        ru->remaining = after_n_calls > 0 ? after_n_calls : 0;
        ru->err = err < 0 ? err : -EIO;
    }
    pthread_mutex_unlock(&f->mu);
}

void kfake_clear_failures(struct kclient *c)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    f->nrules = 0;
    pthread_mutex_unlock(&f->mu);
}

int kfake_calls(struct kclient *c, const char *verb, enum res_id r)
{
    struct fake *f = fake_of(c);
    int v = verb ? verb_id(verb) : -1, n = 0;
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < V_COUNT; i++)
        for (int j = 0; j < RES_COUNT; j++)
            if ((v == -1 || v == i) && (r == RES_COUNT || r == (enum res_id)j))
                n += f->calls[i][j];
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* --- errors --- */

/* Fill st from an api_err and return its errno; releases e. */
static int fail_with(struct kstatus *st, struct api_err *e)
{
    int rc = kclient_errno(e->code, e->reason);
    kstatus__set(st, e->code, e->reason, e->message);
    api_err_release(e);
    return rc;
}

static int not_found(struct kstatus *st, enum res_id r, const char *name)
{
    struct api_err e = API_ERR_INIT;
    api_err_not_found(&e, resource_get(r)->group, resource_get(r)->plural, name);
    return fail_with(st, &e);
}

static int conflict(struct kstatus *st, enum res_id r, const char *name, const char *msg)
{
    struct api_err e = API_ERR_INIT;
    api_err_conflict(&e, resource_get(r)->group, resource_get(r)->plural, name,
                     msg ? msg
                         : "the object has been modified; please apply your changes to the "
                           "latest version and try again");
    return fail_with(st, &e);
}

static int bad_request(struct kstatus *st, const char *msg)
{
    struct api_err e = API_ERR_INIT;
    api_err_bad_request(&e, "%s", msg);
    return fail_with(st, &e);
}

static void ok(struct kstatus *st, int code)
{
    kstatus__set(st, code, "", "");
}

/* --- writes and history --- */

static int64_t rv_of(const json_t *obj)
{
    const char *s = jpath_str(obj, "metadata.resourceVersion");
    return s ? strtoll(s, NULL, 10) : 0;
}

static void set_rv(json_t *obj, int64_t rv)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)rv);
    jset_str(jensure_obj(obj, "metadata"), "resourceVersion", buf);
}

/* Record an event (takes the references to obj and old) and wake watchers. */
static void record(struct fake *f, enum res_id r, enum fev type, json_t *obj, json_t *old)
{
    /* Drop history no watcher needs once it outgrows twice the window. */
    if (f->nhist >= 2 * HIST_WINDOW) {
        int64_t keep_from = f->rv - HIST_WINDOW;
        for (struct fwatcher *w = f->watchers; w; w = w->next)
            if (w->pos + 1 < keep_from)
                keep_from = w->pos + 1;
        size_t drop = keep_from > f->hist_first ? (size_t)(keep_from - f->hist_first) : 0;
        for (size_t i = 0; i < drop; i++) {
            json_decref(f->hist[i].obj);
            json_decref(f->hist[i].old);
        }
        memmove(f->hist, f->hist + drop, (f->nhist - drop) * sizeof(*f->hist));
        f->nhist -= drop;
        f->hist_first += (int64_t)drop;
    }
    ALLOC_GROW(f->hist, f->nhist + 1, f->hist_alloc);
    f->hist[f->nhist++] = (struct fevent){f->rv, r, type, obj, old};
    pthread_cond_broadcast(&f->cond);
}

/* Store obj (a new reference, fresh rv already set) as r/ns/name, replacing what is there. */
static void store(struct fake *f, enum res_id r, json_t *obj)
{
    const char *ns = resource_get(r)->namespaced ? jpath_str(obj, "metadata.namespace") : "";
    const char *name = jpath_str(obj, "metadata.name");
    struct fobj *o = find(f, r, ns, name);
    json_t *old = NULL;

    if (o) {
        old = o->obj;
        o->obj = obj;
    } else {
        o = xcalloc(1, sizeof(*o));
        o->ns = xstrdup(ns ? ns : "");
        o->name = xstrdup(name);
        o->obj = obj;
        avl__insert(&f->objs[r], &o->node);
    }
    record(f, r, old ? EV_MODIFIED : EV_ADDED, json_incref(obj), old);
}

/* Write obj as the next revision of r (create or replace). obj is consumed. */
static json_t *commit(struct fake *f, enum res_id r, json_t *obj)
{
    set_rv(obj, ++f->rv);
    store(f, r, obj);
    return obj;
}

static void commit_delete(struct fake *f, enum res_id r, struct fobj *o)
{
    json_t *last = json_deep_copy(o->obj);
    set_rv(last, ++f->rv);
    avl__remove(&f->objs[r], &o->node);
    fobj_free(o);
    record(f, r, EV_DELETED, last, NULL);
}

static bool same_ignoring_rv(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    json_object_del(jensure_obj(x, "metadata"), "resourceVersion");
    json_object_del(jensure_obj(y, "metadata"), "resourceVersion");
    bool eq = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

static void set_type_meta(json_t *obj, enum res_id r)
{
    jset_str(obj, "kind", resource_get(r)->kind);
    jset_str(obj, "apiVersion", resource_get(r)->gv);
}

static int invalid(struct kstatus *st, enum res_id r, const json_t *obj, struct ferrs *errs)
{
    struct api_err e = API_ERR_INIT;
    const char *name = jpath_str(obj, "metadata.name");
    api_err_invalid(&e, resource_get(r)->group, resource_get(r)->kind, name ? name : "", errs);
    return fail_with(st, &e);
}

/* Namespace of a write: the request's, which the object may repeat but not contradict. */
static int fix_namespace(enum res_id r, const char *ns, json_t *obj, struct kstatus *st)
{
    json_t *meta = jensure_obj(obj, "metadata");
    const char *ons = jget_str(meta, "namespace");
    if (!resource_get(r)->namespaced) {
        json_object_del(meta, "namespace");
        return 0;
    }
    if (ns && *ns && ons && *ons && strcmp(ns, ons))
        return bad_request(st, "the namespace of the provided object does not match the "
                               "namespace sent on the request");
    if (ns && *ns)
        jset_str(meta, "namespace", ns);
    else if (!ons || !*ons)
        return bad_request(st, "the namespace of the object is required");
    return 0;
}

/* --- ops --- */

static int fake_get(struct kclient *c, enum res_id r, const char *ns, const char *name,
                    json_t **out, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    int rc;
    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_GET, r, st)))
        goto out;
    struct fobj *o = find(f, r, ns, name);
    if (!o) {
        rc = not_found(st, r, name);
        goto out;
    }
    *out = json_deep_copy(o->obj);
    ok(st, 200);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Selectors of a list or watch. */
struct filter {
    const char *ns;
    struct label_selector *labels;
    struct field_selector *fields;
    enum res_id r;
};

static int filter_init(struct filter *fl, enum res_id r, const char *ns, const struct klist_opts *o,
                       struct kstatus *st)
{
    struct strbuf err = STRBUF_INIT;
    memset(fl, 0, sizeof(*fl));
    fl->r = r;
    fl->ns = resource_get(r)->namespaced && ns && *ns ? ns : NULL;
    if (o && o->label_selector && *o->label_selector &&
        label_selector_parse(o->label_selector, &fl->labels, &err) < 0) {
        char *msg = xasprintf("unable to parse requirement: %s", err.buf);
        strbuf_release(&err);
        int rc = bad_request(st, msg);
        free(msg);
        return rc;
    }
    if (o && o->field_selector && *o->field_selector) {
        if (field_selector_parse(o->field_selector, &fl->fields, &err) < 0) {
            char *msg = xasprintf("invalid field selector: %s", err.buf);
            strbuf_release(&err);
            int rc = bad_request(st, msg);
            free(msg);
            if (fl->labels)
                label_selector_free(fl->labels);
            return rc;
        }
        const struct field_req *reqs;
        size_t n = field_selector_reqs(fl->fields, &reqs);
        for (size_t i = 0; i < n; i++) {
            if (!resource_supports_field(resource_get(r), reqs[i].field)) {
                char *msg = xasprintf("field label not supported: %s", reqs[i].field);
                int rc = bad_request(st, msg);
                free(msg);
                if (fl->labels)
                    label_selector_free(fl->labels);
                field_selector_free(fl->fields);
                return rc;
            }
        }
    }
    strbuf_release(&err);
    return 0;
}

static void filter_release(struct filter *fl)
{
    if (fl->labels)
        label_selector_free(fl->labels);
    if (fl->fields)
        field_selector_free(fl->fields);
}

struct field_ctx {
    const json_t *obj;
    enum res_id r;
};

static const char *field_get(void *arg, const char *field)
{
    struct field_ctx *fc = arg;
    const char *val = NULL;
    if (!strcmp(field, "metadata.name"))
        return jpath_str(fc->obj, "metadata.name");
    if (!strcmp(field, "metadata.namespace"))
        return jpath_str(fc->obj, "metadata.namespace");
    const struct res_strategy *s = res_strategy(fc->r);
    if (s->field_value && s->field_value(fc->obj, field, &val))
        return val ? val : "";
    return "";
}

static bool filter_match(const struct filter *fl, const json_t *obj)
{
    if (fl->ns) {
        const char *ns = jpath_str(obj, "metadata.namespace");
        if (!ns || strcmp(ns, fl->ns))
            return false;
    }
    if (fl->labels && !label_selector_matches(fl->labels, jpath(obj, "metadata.labels")))
        return false;
    if (fl->fields) {
        struct field_ctx fc = {obj, fl->r};
        if (!field_selector_matches(fl->fields, field_get, &fc))
            return false;
    }
    return true;
}

/* A list item as the server sends it: without kind and apiVersion. */
static json_t *list_item(const json_t *obj)
{
    json_t *it = json_deep_copy(obj);
    json_object_del(it, "kind");
    json_object_del(it, "apiVersion");
    return it;
}

static int fake_list(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                     json_t **out, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    struct filter fl;
    int rc;
    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_LIST, r, st)) || (rc = filter_init(&fl, r, ns, o, st)))
        goto out;
    json_t *items = json_array(), *list = json_object();
    for (struct avl_node *n = avl__first(&f->objs[r]); n; n = avl__next(n)) {
        const struct fobj *ob = avl_entry(n, struct fobj, node);
        if (filter_match(&fl, ob->obj))
            json_array_append_new(items, list_item(ob->obj));
    }
    char *kind = xasprintf("%sList", resource_get(r)->kind);
    jset_str(list, "kind", kind);
    free(kind);
    jset_str(list, "apiVersion", resource_get(r)->gv);
    json_object_set_new(list, "metadata", json_object());
    set_rv(list, f->rv);
    json_object_set_new(list, "items", items);
    *out = list;
    filter_release(&fl);
    ok(st, 200);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Server-side fields of a new object; -errno with st on a bad name. Lock held. */
static int prepare_new(struct fake *f, enum res_id r, json_t *obj, struct kstatus *st)
{
    const struct resource *res = resource_get(r);
    const struct res_strategy *s = res_strategy(r);
    json_t *meta = jensure_obj(obj, "metadata");
    char uid[UUID_STR_LEN], ts[KTIME_BUFSZ];

    set_type_meta(obj, r);
    const char *name = jget_str(meta, "name"), *gen = jget_str(meta, "generateName");
    if ((!name || !*name) && gen && *gen) {
        /* Draw until the name is free, as the server retries a collision. */
        const char *ns = res->namespaced ? jget_str(meta, "namespace") : "";
        for (int i = 0; i < 100; i++) {
            char *n = name_generate(gen);
            bool taken = find(f, r, ns, n) != NULL;
            jset_str(meta, "name", n);
            free(n);
            if (!taken)
                break;
        }
    }
    uuid_v4(uid);
    jset_str(meta, "uid", uid);
    jset_str(meta, "creationTimestamp", ktime_format(ktime_now(), ts));
    static const char *const cleared[] = {
        "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
        "selfLink",        "managedFields",     "generation"};
    for (size_t i = 0; i < ARRAY_SIZE(cleared); i++)
        json_object_del(meta, cleared[i]);
    if (res->flags & RES_GENERATION)
        jset_int(meta, "generation", 1);
    if (s->prepare_create)
        s->prepare_create(obj);
    if (s->defaults)
        s->defaults(obj);
    struct ferrs errs = FERRS_INIT;
    validate_meta(res, obj, NULL, &errs);
    if (errs.nr)
        return invalid(st, r, obj, &errs);
    return 0;
}

static int fake_create(struct kclient *c, enum res_id r, const char *ns, const json_t *in,
                       json_t **out, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    json_t *obj = json_deep_copy(in);
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_CREATE, r, st)))
        goto fail;
    if (!json_is_object(obj)) {
        rc = bad_request(st, "the body is not a JSON object");
        goto fail;
    }
    if ((rc = fix_namespace(r, ns, obj, st)) || (rc = prepare_new(f, r, obj, st)))
        goto fail;
    const char *name = jpath_str(obj, "metadata.name");
    if (find(f, r, jpath_str(obj, "metadata.namespace"), name)) {
        struct api_err e = API_ERR_INIT;
        api_err_already_exists(&e, resource_get(r)->group, resource_get(r)->plural, name);
        rc = fail_with(st, &e);
        goto fail;
    }
    commit(f, r, obj);
    if (out)
        *out = json_deep_copy(obj);
    ok(st, 201);
    pthread_mutex_unlock(&f->mu);
    return 0;
fail:
    pthread_mutex_unlock(&f->mu);
    json_decref(obj);
    return rc;
}

/* Store next as the new state of o unless it changes nothing; a terminating object that lost
 * its last finalizer is deleted instead. Consumes next; *out (if out) gets a copy of the
 * result. Lock held. */
static void write_next(struct fake *f, enum res_id r, struct fobj *o, json_t *next, json_t **out)
{
    json_t *meta = jget_obj(next, "metadata");
    bool terminating = jget(meta, "deletionTimestamp") != NULL;
    bool ns_pending = r == RES_NAMESPACES && json_array_size(jpath(next, "spec.finalizers"));
    bool pod_grace = r == RES_PODS && jget_int(meta, "deletionGracePeriodSeconds", 0) > 0;

    if (same_ignoring_rv(next, o->obj)) {
        if (out)
            *out = json_deep_copy(o->obj);
        json_decref(next);
        return;
    }
    if (terminating && !json_array_size(jget_arr(meta, "finalizers")) && !ns_pending &&
        !pod_grace) {
        if (out)
            *out = json_deep_copy(next);
        json_decref(next);
        commit_delete(f, r, o);
        return;
    }
    commit(f, r, next);
    if (out)
        *out = json_deep_copy(next);
}

/* The next state of o for an update with `in` (a full object), as server/rest.c's
 * prepare_next. Returns it, or NULL with rc and st. */
static json_t *prepare_next(enum res_id r, const json_t *old, const json_t *in, bool status,
                            int *rc, struct kstatus *st)
{
    const struct resource *res = resource_get(r);
    const struct res_strategy *s = res_strategy(r);
    json_t *next;

    if (status) {
        next = json_deep_copy(old);
        json_t *sv = jget(in, "status");
        if (sv)
            json_object_set_new(next, "status", json_deep_copy(sv));
        else
            json_object_del(next, "status");
        return next;
    }
    next = json_deep_copy(in);
    set_type_meta(next, r);
    json_t *meta = jensure_obj(next, "metadata"), *ometa = jget_obj(old, "metadata");
    static const char *const owned[] = {
        "uid",        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
        "generation", "selfLink",          "namespace",         "name"};
    for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
        json_t *v = jget(ometa, owned[i]);
        if (v)
            json_object_set_new(meta, owned[i], json_deep_copy(v));
        else
            json_object_del(meta, owned[i]);
    }
    json_object_del(meta, "managedFields");
    if (res->flags & RES_SUB_STATUS) {
        json_t *sv = jget(old, "status");
        if (sv)
            json_object_set_new(next, "status", json_deep_copy(sv));
        else
            json_object_del(next, "status");
    }
    if (s->prepare_update)
        s->prepare_update(next, old);
    if (s->defaults)
        s->defaults(next);
    if ((res->flags & RES_GENERATION) && !json_equal(jget(next, "spec"), jget(old, "spec")))
        jset_int(meta, "generation", jget_int(ometa, "generation", 0) + 1);
    struct ferrs errs = FERRS_INIT;
    validate_meta(res, next, old, &errs);
    if (errs.nr) {
        *rc = invalid(st, r, next, &errs);
        json_decref(next);
        return NULL;
    }
    return next;
}

static int fake_update(struct kclient *c, enum res_id r, const char *ns, const json_t *in,
                       const char *sub, json_t **out, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    bool status = sub && !strcmp(sub, "status");
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, status ? V_UPDATE_STATUS : V_UPDATE, r, st)))
        goto out;
    if ((sub && !status) || (status && !(resource_get(r)->flags & RES_SUB_STATUS))) {
        rc = not_found(st, r, jpath_str(in, "metadata.name"));
        goto out;
    }
    const char *name = jpath_str(in, "metadata.name");
    const char *ons = jpath_str(in, "metadata.namespace");
    if (resource_get(r)->namespaced && ns && *ns && ons && *ons && strcmp(ns, ons)) {
        rc = bad_request(st, "the namespace of the provided object does not match the "
                             "namespace sent on the request");
        goto out;
    }
    struct fobj *o = find(f, r, ns && *ns ? ns : ons, name);
    if (!o) {
        rc = not_found(st, r, name ? name : "");
        goto out;
    }
    int64_t want = rv_of(in);
    if (want && want != rv_of(o->obj)) {
        rc = conflict(st, r, o->name, NULL);
        goto out;
    }
    json_t *next = prepare_next(r, o->obj, in, status, &rc, st);
    if (!next)
        goto out;
    write_next(f, r, o, next, out);
    ok(st, 200);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_patch(struct kclient *c, enum res_id r, const char *ns, const char *name,
                      enum kpatch_type type, const char *patch, const char *sub, json_t **out,
                      struct kstatus *st)
{
    struct fake *f = fake_of(c);
    bool status = sub && !strcmp(sub, "status");
    struct strbuf err = STRBUF_INIT;
    json_t *p = NULL, *res = NULL;
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, status ? V_PATCH_STATUS : V_PATCH, r, st)))
        goto out;
    if ((sub && !status) || (status && !(resource_get(r)->flags & RES_SUB_STATUS))) {
        rc = not_found(st, r, name);
        goto out;
    }
    json_error_t je;
    p = json_loads(patch ? patch : "", JSON_DECODE_ANY, &je);
    if (!p) {
        rc = bad_request(st, je.text);
        goto out;
    }
    if ((type == KPATCH_JSON && !json_is_array(p)) || (type != KPATCH_JSON && !json_is_object(p))) {
        rc = bad_request(st, type == KPATCH_JSON ? "the JSON patch must be an array of operations"
                                                 : "the patch must be a JSON object");
        goto out;
    }
    struct fobj *o = find(f, r, ns, name);
    if (!o) {
        rc = not_found(st, r, name);
        goto out;
    }
    switch (type) {
    case KPATCH_JSON:
        rc = patch_json(o->obj, p, &res, &err);
        break;
    case KPATCH_MERGE:
        rc = patch_merge(o->obj, p, &res, &err);
        break;
    default:
        rc = patch_strategic(sch_type_find(resource_get(r)->schema), o->obj, p, &res, &err);
        break;
    }
    if (rc < 0) {
        struct api_err e = API_ERR_INIT;
        if (rc == -EILSEQ)
            api_err_unprocessable(&e, "%s", err.buf);
        else if (rc == -E2BIG)
            api_err_too_large(&e, err.buf);
        else
            api_err_bad_request(&e, "%s", err.buf);
        rc = fail_with(st, &e);
        goto out;
    }
    const char *pname = jpath_str(res, "metadata.name");
    if (!json_is_object(res) || (pname && strcmp(pname, o->name))) {
        char *msg = xasprintf("the name of the object (%s) does not match the name on the URL "
                              "(%s)",
                              pname ? pname : "", o->name);
        rc = bad_request(st, msg);
        free(msg);
        goto out;
    }
    int64_t prv = rv_of(res);
    if (prv && prv != rv_of(o->obj)) {
        rc = conflict(st, r, o->name, NULL);
        goto out;
    }
    json_t *next = prepare_next(r, o->obj, res, status, &rc, st);
    if (!next)
        goto out;
    write_next(f, r, o, next, out);
    ok(st, 200);
out:
    pthread_mutex_unlock(&f->mu);
    json_decref(p);
    json_decref(res);
    strbuf_release(&err);
    return rc;
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

static int fake_delete(struct kclient *c, enum res_id r, const char *ns, const char *name,
                       const struct kdelete_opts *opts, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    struct kdelete_opts none = KDELETE_OPTS_INIT;
    const struct kdelete_opts *o = opts ? opts : &none;
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_DELETE, r, st)))
        goto out;
    struct fobj *ob = find(f, r, ns, name);
    if (!ob) {
        rc = not_found(st, r, name);
        goto out;
    }
    const char *uid = jpath_str(ob->obj, "metadata.uid");
    if (o->uid && strcmp(o->uid, uid ? uid : "")) {
        char *msg = xasprintf("Precondition failed: UID in precondition: %s, UID in object "
                              "meta: %s",
                              o->uid, uid ? uid : "");
        rc = conflict(st, r, name, msg);
        free(msg);
        goto out;
    }
    if (o->resource_version && strtoll(o->resource_version, NULL, 10) != rv_of(ob->obj)) {
        char *msg = xasprintf("Precondition failed: ResourceVersion in precondition: %s, "
                              "ResourceVersion in object meta: %lld",
                              o->resource_version, (long long)rv_of(ob->obj));
        rc = conflict(st, r, name, msg);
        free(msg);
        goto out;
    }
    if (o->propagation && strcmp(o->propagation, "Orphan") &&
        strcmp(o->propagation, "Background") && strcmp(o->propagation, "Foreground")) {
        struct ferrs errs = FERRS_INIT;
        struct api_err e = API_ERR_INIT;
        ferr_not_supported(&errs, "propagationPolicy", o->propagation,
                           (const char *const[]){"Foreground", "Background", "Orphan", NULL});
        api_err_invalid(&e, "", "DeleteOptions", "", &errs);
        rc = fail_with(st, &e);
        goto out;
    }

    json_t *next = json_deep_copy(ob->obj);
    json_t *meta = jensure_obj(next, "metadata");
    bool already = jget(meta, "deletionTimestamp") != NULL;
    /* The propagation policy becomes the finalizer the garbage collector acts on. */
    if (o->propagation) {
        const char *add = !strcmp(o->propagation, "Orphan")       ? "orphan"
                          : !strcmp(o->propagation, "Foreground") ? "foregroundDeletion"
                                                                  : NULL;
        json_t *fin = jensure_arr(meta, "finalizers");
        const char *drop[] = {"orphan", "foregroundDeletion"};
        for (int i = 0; i < 2 && !already; i++) {
            if (add && !strcmp(add, drop[i]))
                continue;
            for (size_t j = 0; j < json_array_size(fin);) {
                if (!strcmp(json_string_value(json_array_get(fin, j)) ?: "", drop[i]))
                    json_array_remove(fin, j);
                else
                    j++;
            }
        }
        if (add && !has_string(fin, add))
            json_array_append_new(fin, json_string(add));
        if (!json_array_size(fin))
            json_object_del(meta, "finalizers");
    }
    bool ns_pending = r == RES_NAMESPACES && json_array_size(jpath(next, "spec.finalizers"));
    if (json_array_size(jget_arr(meta, "finalizers")) || ns_pending) {
        char ts[KTIME_BUFSZ];
        if (!already) {
            jset_str(meta, "deletionTimestamp", ktime_format(ktime_now(), ts));
            jset_int(meta, "deletionGracePeriodSeconds", 0);
        }
        if (r == RES_NAMESPACES)
            jset_str(jensure_obj(next, "status"), "phase", "Terminating");
        if (same_ignoring_rv(next, ob->obj))
            json_decref(next);
        else
            commit(f, r, next);
        ok(st, 202);
        goto out;
    }
    json_decref(next);
    commit_delete(f, r, ob);
    ok(st, 200);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_bind(struct kclient *c, const char *ns, const char *pod, const char *node,
                     struct kstatus *st)
{
    struct fake *f = fake_of(c);
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_BIND, RES_PODS, st)))
        goto out;
    if (!node || !*node) {
        struct ferrs errs = FERRS_INIT;
        struct api_err e = API_ERR_INIT;
        ferr_required(&errs, "target.name", NULL);
        api_err_invalid(&e, "", "Binding", pod, &errs);
        rc = fail_with(st, &e);
        goto out;
    }
    struct fobj *o = find(f, RES_PODS, ns, pod);
    if (!o) {
        rc = not_found(st, RES_PODS, pod);
        goto out;
    }
    const char *cur = jpath_str(o->obj, "spec.nodeName");
    char *msg = NULL;
    if (cur && *cur)
        msg = xasprintf("pod %s is already assigned to node \"%s\"", pod, cur);
    else if (jpath(o->obj, "metadata.deletionTimestamp"))
        msg = xasprintf("pod %s is being deleted, cannot be assigned to a host", pod);
    if (msg) {
        struct api_err e = API_ERR_INIT;
        api_err_conflict(&e, "", "pods/binding", pod, msg);
        free(msg);
        rc = fail_with(st, &e);
        goto out;
    }
    json_t *next = json_deep_copy(o->obj);
    jset_str(jensure_obj(next, "spec"), "nodeName", node);
    commit(f, RES_PODS, next);
    ok(st, 201);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* --- watch --- */

/* Per thread: the fake this thread's informer has an open gap on (see kfake__gap_open), and
 * the fake it watches as an informer at all. */
static __thread struct fake *tl_gap, *tl_informer;

static void gap_open_locked(struct fake *f)
{
    if (tl_gap == f)
        return;
    f->gaps++;
    tl_gap = f;
}

/* The fake under any wrappers, or NULL. */
static struct kclient *unwrap(struct kclient *c)
{
    while (c && !kfake__is(c))
        c = c->wraps;
    return c;
}

void kfake__gap_open(struct kclient *c)
{
    c = unwrap(c);
    if (!c || tl_gap == fake_of(c))
        return;
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    tl_informer = f;
    gap_open_locked(f);
    pthread_mutex_unlock(&f->mu);
}

static void gap_close_locked(struct fake *f)
{
    if (tl_gap != f)
        return;
    f->gaps--;
    tl_gap = NULL;
    pthread_cond_broadcast(&f->cond);
}

void kfake__gap_close(struct kclient *c)
{
    c = unwrap(c);
    if (!c)
        return;
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    gap_close_locked(f);
    tl_informer = NULL;
    pthread_mutex_unlock(&f->mu);
}

static void unregister(struct fake *f, struct fwatcher *w)
{
    for (struct fwatcher **p = &f->watchers; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    pthread_cond_broadcast(&f->cond);
}

/* The caller's stop flag is a plain bool another thread sets; read it atomically. */
static bool flag_set(volatile bool *stop)
{
    return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

/* What a watcher with filter fl sees of event ev: its type, or -1 for nothing. A change that
 * moves an object into or out of the selection is an ADDED or DELETED, as the server does. */
static int visible(const struct filter *fl, const struct fevent *ev)
{
    bool now = filter_match(fl, ev->obj);
    if (ev->type != EV_MODIFIED)
        return now ? (int)ev->type : -1;
    bool before = filter_match(fl, ev->old);
    if (now && before)
        return EV_MODIFIED;
    if (now)
        return EV_ADDED;
    if (before)
        return EV_DELETED;
    return -1;
}

static int fake_watch(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                      const char *rv, int timeout_seconds, kwatch_cb cb, void *ctx,
                      volatile bool *stop, struct kstatus *st)
{
    struct fake *f = fake_of(c);
    struct filter fl;
    struct fwatcher w = {0};
    json_t **initial = NULL;
    size_t ninitial = 0, alloc = 0;
    int64_t deadline = timeout_seconds > 0 ? mono__us() + (int64_t)timeout_seconds * 1000000 : -1;
    int rc;

    pthread_mutex_lock(&f->mu);
    if ((rc = call(f, V_WATCH, r, st)) || (rc = filter_init(&fl, r, ns, o, st))) {
        pthread_mutex_unlock(&f->mu);
        return rc;
    }
    if (!rv || !*rv || !strcmp(rv, "0")) {
        /* From now, the current state first. */
        for (struct avl_node *n = avl__first(&f->objs[r]); n; n = avl__next(n)) {
            const struct fobj *ob = avl_entry(n, struct fobj, node);
            if (!filter_match(&fl, ob->obj))
                continue;
            ALLOC_GROW(initial, ninitial + 1, alloc);
            initial[ninitial++] = json_incref(ob->obj);
        }
        w.pos = f->rv;
    } else {
        char *end;
        long long from = strtoll(rv, &end, 10);
        int64_t first = f->nhist ? f->hist_first : f->rv + 1;
        if (*end || from < 0) {
            rc = bad_request(st, "resourceVersion: Invalid value: must be a non-negative "
                                 "integer");
            goto fail;
        }
        if (from + 1 < first) {
            struct api_err e = API_ERR_INIT;
            api_err_expired(&e, "");
            free(e.message);
            e.message =
                xasprintf("too old resource version: %lld (%lld)", from, (long long)first - 1);
            rc = fail_with(st, &e);
            goto fail;
        }
        w.pos = from;
    }
    unsigned closes = f->closes;
    w.initial = ninitial > 0;
    w.next = f->watchers;
    f->watchers = &w;
    gap_close_locked(f);
    pthread_mutex_unlock(&f->mu);
    ok(st, 200);

    bool stopped = false;
    for (size_t i = 0; i < ninitial; i++) {
        if (!stopped) {
            json_t *copy = json_deep_copy(initial[i]);
            stopped = cb(ctx, "ADDED", copy) != 0 || flag_set(stop);
            json_decref(copy);
        }
        json_decref(initial[i]);
    }
    free(initial);

    pthread_mutex_lock(&f->mu);
    w.initial = false;
    pthread_cond_broadcast(&f->cond);
    while (!stopped) {
        if (flag_set(stop) || f->closes != closes)
            break;
        if (w.pos >= f->rv) {
            int64_t now = mono__us();
            if (deadline >= 0 && now >= deadline)
                break;
            int64_t until = now + WATCH_POLL_US;
            if (deadline >= 0 && deadline < until)
                until = deadline;
            cond__wait_until(&f->cond, &f->mu, until);
            continue;
        }
        /* The history holds every rv from hist_first on: one event per write. */
        struct fevent ev = f->hist[w.pos + 1 - f->hist_first];
        json_incref(ev.obj);
        json_incref(ev.old);
        pthread_mutex_unlock(&f->mu);
        int type = ev.r == r ? visible(&fl, &ev) : -1;
        if (type >= 0) {
            json_t *copy = json_deep_copy(ev.obj);
            stopped = cb(ctx, ev_names[type], copy) != 0;
            json_decref(copy);
        }
        json_decref(ev.obj);
        json_decref(ev.old);
        pthread_mutex_lock(&f->mu);
        w.pos = ev.rv;
        pthread_cond_broadcast(&f->cond);
    }
    unregister(f, &w);
    /* An informer watches again: its gap opens as its watch closes, so that no flush slips
     * between the two. */
    if (tl_informer == f)
        gap_open_locked(f);
    pthread_mutex_unlock(&f->mu);
    filter_release(&fl);
    return 0;
fail:
    pthread_mutex_unlock(&f->mu);
    filter_release(&fl);
    return rc;
}

void kfake_flush(struct kclient *c)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    int64_t target = f->rv;
    for (;;) {
        bool behind = f->gaps > 0;
        for (struct fwatcher *w = f->watchers; w && !behind; w = w->next)
            behind = w->initial || w->pos < target;
        if (!behind)
            break;
        cond__wait_until(&f->cond, &f->mu, mono__us() + WATCH_POLL_US);
    }
    pthread_mutex_unlock(&f->mu);
}

void kfake_close_watches(struct kclient *c)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    f->closes++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

/* --- direct access --- */

int kfake_put(struct kclient *c, enum res_id r, const json_t *in)
{
    struct fake *f = fake_of(c);
    const struct resource *res = resource_get(r);
    const char *name = jpath_str(in, "metadata.name");
    const char *ns = jpath_str(in, "metadata.namespace");

    if (!json_is_object(in) || !name || !*name || (res->namespaced && (!ns || !*ns)))
        return -EINVAL;
    json_t *obj = json_deep_copy(in);
    json_t *meta = jensure_obj(obj, "metadata");
    if (!res->namespaced)
        json_object_del(meta, "namespace");
    set_type_meta(obj, r);
    if (!jget_str(meta, "uid")) {
        char uid[UUID_STR_LEN];
        uuid_v4(uid);
        jset_str(meta, "uid", uid);
    }
    if (!jget_str(meta, "creationTimestamp")) {
        char ts[KTIME_BUFSZ];
        jset_str(meta, "creationTimestamp", ktime_format(ktime_now(), ts));
    }
    pthread_mutex_lock(&f->mu);
    commit(f, r, obj);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

json_t *kfake_get(struct kclient *c, enum res_id r, const char *ns, const char *name)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    struct fobj *o = find(f, r, ns, name);
    json_t *v = o ? json_deep_copy(o->obj) : NULL;
    pthread_mutex_unlock(&f->mu);
    return v;
}

int kfake_remove(struct kclient *c, enum res_id r, const char *ns, const char *name)
{
    struct fake *f = fake_of(c);
    pthread_mutex_lock(&f->mu);
    struct fobj *o = find(f, r, ns, name);
    if (o)
        commit_delete(f, r, o);
    pthread_mutex_unlock(&f->mu);
    return o ? 0 : -ENOENT;
}

json_t *kfake_list(struct kclient *c, enum res_id r, const char *ns)
{
    struct fake *f = fake_of(c);
    json_t *arr = json_array();
    pthread_mutex_lock(&f->mu);
    for (struct avl_node *n = avl__first(&f->objs[r]); n; n = avl__next(n)) {
        const struct fobj *o = avl_entry(n, struct fobj, node);
        if (!ns || !resource_get(r)->namespaced || !strcmp(ns, o->ns))
            json_array_append_new(arr, json_deep_copy(o->obj));
    }
    pthread_mutex_unlock(&f->mu);
    return arr;
}

/* --- lifecycle --- */

static void fake_free(struct kclient *c)
{
    struct fake *f = fake_of(c);
    for (int r = 0; r < RES_COUNT; r++) {
        struct avl_node *n;
        while ((n = f->objs[r].root)) {
            avl__remove(&f->objs[r], n);
            fobj_free(avl_entry(n, struct fobj, node));
        }
    }
    for (size_t i = 0; i < f->nhist; i++) {
        json_decref(f->hist[i].obj);
        json_decref(f->hist[i].old);
    }
    free(f->hist);
    if (tl_gap == f)
        tl_gap = NULL;
    if (tl_informer == f)
        tl_informer = NULL;
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static const struct kclient_ops fake_ops = {
    .get = fake_get,
    .list = fake_list,
    .create = fake_create,
    .update = fake_update,
    .patch = fake_patch,
    .del = fake_delete,
    .bind = fake_bind,
    .watch = fake_watch,
    .free = fake_free,
};

bool kfake__is(const struct kclient *c)
{
    return c && c->ops == &fake_ops;
}

struct kclient *kfake_new(void)
{
    struct fake *f = xcalloc(1, sizeof(*f));
    f->base.ops = &fake_ops;
    pthread_mutex_init(&f->mu, NULL);
    cond__init_mono(&f->cond);
    for (int r = 0; r < RES_COUNT; r++)
        avl__init(&f->objs[r], cmp_fobj);
    f->hist_first = 1;
    return &f->base;
}
