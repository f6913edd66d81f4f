/* gc.c — the garbage collector (see gc.h for the semantics).
 *
 * Upstream keeps its own graph of nodes by UID, fed by metadata informers, and two queues
 * (attemptToDelete, attemptToOrphan). Here the graph is the shared informers' owner index, and
 * one queue of object keys carries both kinds of work: a sync looks at the object as the cache
 * has it now and decides what it owes (level-triggered), so the handlers only have to enqueue
 * whatever an event may have changed:
 *   add      the object itself, when it has owners or is being deleted with a GC finalizer;
 *   update   the same when its owners, finalizers or deletionTimestamp changed, and the owners
 *            it stopped naming (a foreground owner may have been unblocked);
 *   delete   its dependents (their owner is gone) and its foreground-deleting owners (one
 *            blocking dependent fewer).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "client/ctrlloop.h"
#include "client/recorder.h"
#include "controllers/gc/gc.h"

#define GC_WORKERS 4
#define GC_NOT_SYNCED_RETRY_MS 100
#define ABSENT_CACHE_SIZE 4096 /* upstream keeps 500 */
#define FINALIZER_RETRIES 5

#define FIN_ORPHAN "orphan"
#define FIN_FOREGROUND "foregroundDeletion"

struct gc_source {
    struct gc *gc;
    enum res_id r;
};

struct gc {
    struct kclient *c;
    struct informer *inf[RES_COUNT];
    struct gc_source src[RES_COUNT];
    struct workqueue *q;
    struct ctrl_loop *loop; /* NULL until started */
    struct recorder *rec;
    bool synced; /* latched once every informer has synced */

    /* Owners known to be gone, by coordinates (upstream's absentOwnerCache): UIDs are never
     * reused, so an entry never goes stale; the ring bounds the memory. */
    pthread_mutex_t absent_lock;
    json_t *absent; /* key -> true */
    char *absent_ring[ABSENT_CACHE_SIZE];
    size_t absent_next;
};

/* --- small object helpers --- */

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

static bool has_finalizer(const json_t *obj, const char *fin)
{
    size_t i;
    json_t *v;
    json_array_foreach(jget_arr(jget_obj(obj, "metadata"), "finalizers"), i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), fin))
            return true;
    }
    return false;
}

static bool deleting_dependents(const json_t *obj)
{
    return being_deleted(obj) && has_finalizer(obj, FIN_FOREGROUND);
}

static json_t *owner_refs(const json_t *obj)
{
    return jget_arr(jget_obj(obj, "metadata"), "ownerReferences");
}

/* The resource an ownerReference names (apiVersion "group/version" or "version", kind), or
 * NULL when berth does not serve that kind. */
static const struct resource *ref_resource(const json_t *ref)
{
    const char *av = jget_str(ref, "apiVersion"), *kind = jget_str(ref, "kind");
    if (!av || !kind)
        return NULL;
    const char *slash = strchr(av, '/');
    if (!slash)
        return resource_by_kind("", kind);
    char *group = xstrndup(av, (size_t)(slash - av));
    const struct resource *r = resource_by_kind(group, kind);
    free(group);
    return r;
}

/* Does ref name the object `owner` of resource `ores` (UID and coordinates)? */
static bool ref_matches(const json_t *ref, const struct resource *ores, const json_t *owner)
{
    const char *uid = jget_str(ref, "uid"), *name = jget_str(ref, "name");
    return uid && name && !strcmp(uid, meta_str(owner, "uid")) &&
           !strcmp(name, meta_str(owner, "name")) && ref_resource(ref) == ores;
}

/* The ownerReference of dep that names owner, or NULL. Borrowed from dep. */
static json_t *ref_to(const json_t *dep, const struct resource *ores, const json_t *owner)
{
    size_t i;
    json_t *ref;
    json_array_foreach(owner_refs(dep), i, ref)
    {
        if (ref_matches(ref, ores, owner))
            return ref;
    }
    return NULL;
}

static char *key_of(enum res_id r, const char *ns, const char *name)
{
    const struct resource *res = resource_get(r);
    if (res->namespaced)
        return xasprintf("%s/%s/%s", res->plural, ns, name);
    return xasprintf("%s/%s", res->plural, name);
}

static char *key_of_obj(enum res_id r, const json_t *obj)
{
    return key_of(r, meta_str(obj, "namespace"), meta_str(obj, "name"));
}

/* Split a queue key; false if malformed. *ns and *name are set to malloc'd strings. */
static bool key_parse(const char *key, enum res_id *r, char **ns, char **name)
{
    const char *slash = strchr(key, '/');
    if (!slash)
        return false;
    size_t plen = (size_t)(slash - key);
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *res = resource_get((enum res_id)i);
        if (strlen(res->plural) != plen || strncmp(res->plural, key, plen))
            continue;
        key_split(slash + 1, ns, name);
        *r = res->id;
        if (res->namespaced != (**ns != '\0') || !**name) {
            free(*ns);
            free(*name);
            return false;
        }
        return true;
    }
    return false;
}

/* What the recorder needs of an object from a list: kind, apiVersion and metadata. */
static json_t *involved(enum res_id r, const json_t *obj)
{
    const struct resource *res = resource_get(r);
    json_t *o = json_object();
    jset_str(o, "kind", res->kind);
    jset_str(o, "apiVersion", res->gv);
    json_t *meta = jget_obj(obj, "metadata");
    json_object_set_new(o, "metadata", meta ? json_incref(meta) : json_object());
    return o;
}

static void warn_event(struct gc *gc, enum res_id r, const json_t *obj, const char *reason,
                       const char *msg)
{
    json_t *o = involved(r, obj);
    recorder_eventf(gc->rec, o, "Warning", reason, "%s", msg);
    json_decref(o);
}

static const char *status_msg(const struct kstatus *st, int rc)
{
    return st->message[0] ? st->message : strerror(-rc);
}

/* Report a failed write on obj: log it, and a Warning event unless it is a transient
 * conflict or overload that the retry will settle. */
static void write_failed(struct gc *gc, enum res_id r, const json_t *obj, const char *what, int rc,
                         const struct kstatus *st)
{
    char *key = key_of_obj(r, obj);
    char *msg = xasprintf("%s %s failed: %s", what, key, status_msg(st, rc));
    free(key);
    log_warn("gc", "%s", msg);
    if (rc != -ESTALE && rc != -EAGAIN)
        warn_event(gc, r, obj, "GarbageCollectionFailed", msg);
    free(msg);
}

/* --- the caches --- */

/* upstream's DefaultIgnoredResources: Events are neither watched nor collected */
static bool ignored(enum res_id r)
{
    return r == RES_EVENTS;
}

/* The cached object, or NULL (also for an ignored resource). New reference. */
static json_t *cache_get(struct gc *gc, enum res_id r, const char *ns, const char *name)
{
    return gc->inf[r] ? informer_get(gc->inf[r], ns, name) : NULL;
}

static size_t cache_by_owner(struct gc *gc, enum res_id r, const char *uid, json_t ***out)
{
    *out = NULL;
    return gc->inf[r] ? informer_by_owner(gc->inf[r], uid, out) : 0;
}

/* --- the absent-owner cache --- */

static char *absent_key(const struct resource *ores, const char *ns, const char *name,
                        const char *uid)
{
    return xasprintf("%s|%s|%s|%s|%s", uid, ores->group, ores->kind, ores->namespaced ? ns : "",
                     name);
}

static bool absent_has(struct gc *gc, const char *key)
{
    pthread_mutex_lock(&gc->absent_lock);
    bool has = json_object_get(gc->absent, key) != NULL;
    pthread_mutex_unlock(&gc->absent_lock);
    return has;
}

static void absent_add(struct gc *gc, const char *key)
{
    pthread_mutex_lock(&gc->absent_lock);
    if (!json_object_get(gc->absent, key)) {
        char **slot = &gc->absent_ring[gc->absent_next];
        if (*slot) {
            json_object_del(gc->absent, *slot);
            free(*slot);
        }
        *slot = xstrdup(key);
        json_object_set_new(gc->absent, key, json_true());
        gc->absent_next = (gc->absent_next + 1) % ABSENT_CACHE_SIZE;
    }
    pthread_mutex_unlock(&gc->absent_lock);
}

/* --- the graph: dependents of an owner --- */

struct dep {
    enum res_id r;
    json_t *obj; /* reference */
};

struct deps {
    struct dep *v;
    size_t n, alloc;
};

static void deps_release(struct deps *d)
{
    for (size_t i = 0; i < d->n; i++)
        json_decref(d->v[i].obj);
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* The valid dependents of owner (of resource ores): objects naming it by UID, kind and name; for
 * a namespaced owner, only those of its namespace (the others reference an owner that does
 * not exist where they live). */
static void dependents_of(struct gc *gc, const struct resource *ores, const json_t *owner,
                          struct deps *out)
{
    const char *uid = meta_str(owner, "uid"), *ns = meta_str(owner, "namespace");

    memset(out, 0, sizeof(*out));
    if (!*uid)
        return;
    for (int i = 0; i < RES_COUNT; i++) {
        json_t **items;
        size_t n = cache_by_owner(gc, (enum res_id)i, uid, &items);
        for (size_t k = 0; k < n; k++) {
            json_t *d = items[k];
            bool ok = !ores->namespaced || (resource_get((enum res_id)i)->namespaced &&
                                            !strcmp(meta_str(d, "namespace"), ns));
            if (ok && ref_to(d, ores, owner)) {
                ALLOC_GROW(out->v, out->n + 1, out->alloc);
                out->v[out->n].r = (enum res_id)i;
                out->v[out->n].obj = json_incref(d);
                out->n++;
            }
        }
        informer_list_free(items, n);
    }
}

/* --- writes --- */

/* Delete item with UID and resourceVersion preconditions. When only the resourceVersion
 * changed since (same UID, same owners), the decision still holds: delete again with the UID
 * precondition alone (upstream's deleteObject). Gone already is success. */
static int delete_object(struct gc *gc, enum res_id r, const json_t *item, const char *policy)
{
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    struct kstatus st = {0};
    const char *ns = meta_str(item, "namespace"), *name = meta_str(item, "name");
    const char *rv = meta_str(item, "resourceVersion");

    o.propagation = policy;
    o.uid = meta_str(item, "uid");
    o.resource_version = *rv ? rv : NULL;
    log_debug("gc", "deleting %s/%s/%s (propagation %s)", resource_get(r)->plural, ns, name,
              policy);
    int rc = kclient_delete(gc->c, r, ns, name, &o, &st);
    if (rc == -ESTALE && o.resource_version) {
        json_t *live = NULL;
        int grc = kclient_get(gc->c, r, ns, name, &live, NULL);
        if (grc == -ENOENT)
            return 0;
        if (grc < 0)
            return grc;
        bool same_uid = !strcmp(meta_str(live, "uid"), o.uid);
        bool deleting = being_deleted(live);
        bool same_owners = json_equal(owner_refs(live), owner_refs(item)) ||
                           (!owner_refs(live) && !owner_refs(item));
        json_decref(live);
        if (!same_uid || deleting)
            return 0; /* gone or going already (a stale cache repeated the decision) */
        if (!same_owners)
            return -ESTALE; /* judge again once the cache has the new owners */
        o.resource_version = NULL;
        memset(&st, 0, sizeof(st));
        rc = kclient_delete(gc->c, r, ns, name, &o, &st);
    }
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        write_failed(gc, r, item, "delete of", rc, &st);
    return rc;
}

/* Strategic merge patch of item's ownerReferences, keyed by uid (the list's merge key).
 * refs is a JSON array of patch entries. Gone already is success. */
static int patch_owner_refs(struct gc *gc, enum res_id r, const json_t *item, json_t *refs,
                            const char *what)
{
    struct kstatus st = {0};
    json_t *patch = json_pack("{s:{s:o,s:s}}", "metadata", "ownerReferences", refs, "uid",
                              meta_str(item, "uid"));
    char *text = json_dump_compact(patch);
    int rc = kclient_patch(gc->c, r, meta_str(item, "namespace"), meta_str(item, "name"),
                           KPATCH_STRATEGIC, text, NULL, NULL, &st);
    free(text);
    json_decref(patch);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        write_failed(gc, r, item, what, rc, &st);
    return rc;
}

/* Remove the ownerReferences with the given UIDs from item. */
static int remove_owner_refs(struct gc *gc, enum res_id r, const json_t *item,
                             const char *const *uids, size_t n)
{
    json_t *refs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(refs, json_pack("{s:s,s:s}", "$patch", "delete", "uid", uids[i]));
    return patch_owner_refs(gc, r, item, refs, "removing owner references of");
}

/* Turn every blocking ownerReference of item non-blocking (cycle breaking). */
static int unblock_owner_refs(struct gc *gc, enum res_id r, const json_t *item)
{
    json_t *refs = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(owner_refs(item), i, ref)
    {
        if (jget_bool(ref, "blockOwnerDeletion", false) && jget_str(ref, "uid"))
            json_array_append_new(
                refs, json_pack("{s:s,s:b}", "uid", jget_str(ref, "uid"), "blockOwnerDeletion", 0));
    }
    if (!json_array_size(refs)) {
        json_decref(refs);
        return 0;
    }
    return patch_owner_refs(gc, r, item, refs, "unblocking owner references of");
}

/* Remove finalizer fin from obj with a merge patch guarded by resourceVersion, starting from
 * the cached copy and re-reading on conflict (upstream's removeFinalizer). */
static int remove_finalizer(struct gc *gc, enum res_id r, const json_t *cached, const char *fin)
{
    const char *ns = meta_str(cached, "namespace"), *name = meta_str(cached, "name");
    const char *uid = meta_str(cached, "uid");
    json_t *cur = json_incref((json_t *)cached);
    struct kstatus st = {0};
    int rc = -ESTALE;

    for (int attempt = 0; attempt < FINALIZER_RETRIES && rc == -ESTALE; attempt++) {
        if (attempt > 0) {
            json_decref(cur);
            cur = NULL;
            rc = kclient_get(gc->c, r, ns, name, &cur, &st);
            if (rc == -ENOENT)
                return 0;
            if (rc < 0)
                return rc;
            if (strcmp(meta_str(cur, "uid"), uid))
                break; /* another object now: ours is gone */
        }
        json_t *keep = json_array();
        size_t i;
        json_t *v;
        bool found = false;
        json_array_foreach(jget_arr(jget_obj(cur, "metadata"), "finalizers"), i, v)
        {
            if (json_is_string(v) && !strcmp(json_string_value(v), fin))
                found = true;
            else
                json_array_append(keep, v);
        }
        if (!found) {
            json_decref(keep);
            rc = 0;
            break;
        }
        json_t *patch = json_pack("{s:{s:o,s:s}}", "metadata", "finalizers",
                                  json_array_size(keep) ? keep : json_null(), "resourceVersion",
                                  meta_str(cur, "resourceVersion"));
        if (!json_array_size(keep))
            json_decref(keep);
        char *text = json_dump_compact(patch);
        json_decref(patch);
        memset(&st, 0, sizeof(st));
        rc = kclient_patch(gc->c, r, ns, name, KPATCH_MERGE, text, NULL, NULL, &st);
        free(text);
        if (rc == -ENOENT)
            rc = 0;
    }
    if (rc < 0)
        write_failed(gc, r, cur ? cur : cached, "removing a finalizer of", rc, &st);
    json_decref(cur);
    return rc;
}

/* --- deciding --- */

enum ref_class { REF_SOLID, REF_DANGLING, REF_WAITING, REF_INVALID };

/* A reference that resolved to nothing in the dependent's namespace may name an owner living
 * in another one: upstream reports that on the dependent. Scans the owner kind's cache. */
static void report_cross_namespace(struct gc *gc, enum res_id ir, const json_t *item,
                                   const struct resource *ores, const json_t *ref)
{
    const char *uid = jget_str(ref, "uid");
    json_t **all;
    if (!gc->inf[ores->id])
        return;
    size_t n = informer_list(gc->inf[ores->id], NULL, NULL, &all);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(meta_str(all[i], "uid"), uid))
            continue;
        if (strcmp(meta_str(all[i], "namespace"), meta_str(item, "namespace"))) {
            char *msg = xasprintf("ownerRef [%s/%s, namespace: %s, name: %s, uid: %s] does not "
                                  "exist in namespace \"%s\"",
                                  jget_str(ref, "apiVersion"), jget_str(ref, "kind"),
                                  meta_str(item, "namespace"), jget_str(ref, "name"), uid,
                                  meta_str(item, "namespace"));
            warn_event(gc, ir, item, "OwnerRefInvalidNamespace", msg);
            free(msg);
        }
        break;
    }
    informer_list_free(all, n);
}

/* Classify one ownerReference of item (upstream's isDangling + classifyReferences). The cache
 * is trusted when it shows the owner with the same UID; anything else is confirmed with a live
 * GET, so a lagging cache never gets a live object's dependents deleted. */
static int classify_ref(struct gc *gc, enum res_id ir, const json_t *item, const json_t *ref,
                        enum ref_class *out)
{
    const struct resource *ores = ref_resource(ref);
    const char *uid = jget_str(ref, "uid"), *name = jget_str(ref, "name");
    const char *ns = meta_str(item, "namespace");
    int rc = 0;

    if (!uid || !name)
        return -EINVAL;
    if (!ores) {
        /* upstream: an unresolvable kind is retried, never taken as absent */
        log_debug("gc", "%s/%s: owner kind %s %s is not served", meta_str(item, "namespace"),
                  meta_str(item, "name"), jget_str(ref, "apiVersion"), jget_str(ref, "kind"));
        return -ENOENT;
    }
    if (ores->namespaced && !resource_get(ir)->namespaced) {
        *out = REF_INVALID;
        return 0;
    }
    if (!ores->namespaced)
        ns = "";
    char *akey = absent_key(ores, ns, name, uid);
    if (absent_has(gc, akey)) {
        *out = REF_DANGLING;
        goto out_key;
    }
    json_t *owner = cache_get(gc, ores->id, ns, name);
    if (!owner || strcmp(meta_str(owner, "uid"), uid)) {
        json_decref(owner);
        owner = NULL;
        rc = kclient_get(gc->c, ores->id, ns, name, &owner, NULL);
        if (rc == -ENOENT) {
            absent_add(gc, akey);
            if (ores->namespaced)
                report_cross_namespace(gc, ir, item, ores, ref);
            *out = REF_DANGLING;
            rc = 0;
            goto out_key;
        }
        if (rc < 0)
            goto out_key;
        if (strcmp(meta_str(owner, "uid"), uid)) {
            absent_add(gc, akey);
            *out = REF_DANGLING;
            json_decref(owner);
            goto out_key;
        }
    }
    *out = deleting_dependents(owner) ? REF_WAITING : REF_SOLID;
    json_decref(owner);
out_key:
    free(akey);
    return rc;
}

/* An object that is not being deleted: should it go? (upstream's attemptToDeleteItem) */
static int attempt_to_delete(struct gc *gc, enum res_id ir, const json_t *item)
{
    json_t *refs = owner_refs(item);
    size_t n = json_array_size(refs);
    const char **gone = xcalloc(n ? n : 1, sizeof(*gone)); /* dangling + waiting UIDs */
    size_t nsolid = 0, ngone = 0, nwaiting = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        json_t *ref = json_array_get(refs, i);
        enum ref_class cls;
        rc = classify_ref(gc, ir, item, ref, &cls);
        if (rc < 0)
            goto out;
        switch (cls) {
        case REF_INVALID: {
            /* upstream's namespacedOwnerOfClusterScopedObjectErr: never resolves, never
             * collected */
            char *msg = xasprintf("ownerRef [%s/%s, namespace: , name: %s, uid: %s] does not "
                                  "exist in namespace \"\"",
                                  jget_str(ref, "apiVersion"), jget_str(ref, "kind"),
                                  jget_str(ref, "name"), jget_str(ref, "uid"));
            warn_event(gc, ir, item, "OwnerRefInvalidNamespace", msg);
            free(msg);
            goto out;
        }
        case REF_SOLID:
            nsolid++;
            break;
        case REF_WAITING:
            nwaiting++;
            /* fallthrough */
        case REF_DANGLING:
            gone[ngone++] = jget_str(ref, "uid");
            break;
        }
    }

    if (nsolid) {
        /* It stays; but a reference to a waiting owner would keep that owner waiting for
         * ever, and a dangling one is dead weight. */
        if (ngone)
            rc = remove_owner_refs(gc, ir, item, gone, ngone);
        goto out;
    }

    struct deps deps;
    dependents_of(gc, resource_get(ir), item, &deps);
    if (nwaiting && deps.n) {
        /* Its owner waits for it, and it has dependents of its own: delete it in the
         * foreground too, so that the wait covers the whole tree. A dependent already
         * deleting its dependents could be waiting on us in a cycle: stop blocking. */
        for (size_t i = 0; i < deps.n; i++) {
            if (deleting_dependents(deps.v[i].obj)) {
                rc = unblock_owner_refs(gc, ir, item);
                break;
            }
        }
        if (rc == 0)
            rc = delete_object(gc, ir, item, "Foreground");
    } else {
        const char *policy = has_finalizer(item, FIN_ORPHAN)       ? "Orphan"
                             : has_finalizer(item, FIN_FOREGROUND) ? "Foreground"
                                                                   : "Background";
        rc = delete_object(gc, ir, item, policy);
    }
    deps_release(&deps);
out:
    free(gone);
    return rc;
}

/* An owner being deleted in the foreground: delete its dependents, and drop the finalizer
 * once no dependent blocks it any more (upstream's processDeletingDependentsItem). */
static int process_deleting_dependents(struct gc *gc, enum res_id r, const json_t *owner)
{
    const struct resource *ores = resource_get(r);
    struct deps deps;
    size_t blocking = 0;

    dependents_of(gc, ores, owner, &deps);
    for (size_t i = 0; i < deps.n; i++) {
        const json_t *d = deps.v[i].obj;
        if (jget_bool(ref_to(d, ores, owner), "blockOwnerDeletion", false))
            blocking++;
        if (!being_deleted(d)) {
            char *k = key_of_obj(deps.v[i].r, d);
            wq_add(gc->q, k);
            free(k);
        }
    }
    deps_release(&deps);
    if (blocking)
        return 0; /* their deletion events bring us back */
    return remove_finalizer(gc, r, owner, FIN_FOREGROUND);
}

/* An owner being deleted with the orphan finalizer: release every dependent, then the owner
 * (upstream's attemptToOrphanWorker). */
static int orphan_dependents(struct gc *gc, enum res_id r, const json_t *owner)
{
    const struct resource *ores = resource_get(r);
    const char *uid = meta_str(owner, "uid");
    struct deps deps;
    int err = 0;

    dependents_of(gc, ores, owner, &deps);
    for (size_t i = 0; i < deps.n; i++) {
        int rc = remove_owner_refs(gc, deps.v[i].r, deps.v[i].obj, &uid, 1);
        if (rc < 0 && !err)
            err = rc;
    }
    deps_release(&deps);
    if (err)
        return err;
    return remove_finalizer(gc, r, owner, FIN_ORPHAN);
}

/* --- the sync --- */

static bool gc_ready(struct gc *gc)
{
    if (gc->synced)
        return true;
    for (int i = 0; i < RES_COUNT; i++) {
        if (gc->inf[i] && !informer_synced(gc->inf[i]))
            return false;
    }
    gc->synced = true;
    return true;
}

int gc_sync(struct gc *gc, const char *key)
{
    enum res_id r;
    char *ns, *name;
    int rc = 0;

    if (!gc_ready(gc)) {
        /* Deciding on a partial graph could orphan or delete too early. */
        wq_add_after(gc->q, key, GC_NOT_SYNCED_RETRY_MS);
        return 0;
    }
    if (!key_parse(key, &r, &ns, &name)) {
        log_warn("gc", "ignoring malformed key %s", key);
        return 0;
    }
    json_t *obj = cache_get(gc, r, ns, name);
    if (!obj)
        goto out; /* gone: its deletion event already enqueued what depended on it */
    if (being_deleted(obj)) {
        /* "Being deleted" is a one-way trip; only the GC's own finalizers need work. */
        if (has_finalizer(obj, FIN_ORPHAN))
            rc = orphan_dependents(gc, r, obj);
        if (rc == 0 && has_finalizer(obj, FIN_FOREGROUND))
            rc = process_deleting_dependents(gc, r, obj);
    } else if (json_array_size(owner_refs(obj))) {
        rc = attempt_to_delete(gc, r, obj);
    }
    json_decref(obj);
out:
    free(ns);
    free(name);
    return rc;
}

/* --- informer handlers: enqueue only --- */

static void enqueue_obj(struct gc *gc, enum res_id r, const json_t *obj)
{
    char *k = key_of_obj(r, obj);
    wq_add(gc->q, k);
    free(k);
}

static bool gc_relevant(const json_t *obj)
{
    return json_array_size(owner_refs(obj)) ||
           (being_deleted(obj) &&
            (has_finalizer(obj, FIN_ORPHAN) || has_finalizer(obj, FIN_FOREGROUND)));
}

/* Enqueue the owners named by refs that are waiting for their dependents (in the cache). */
static void enqueue_waiting_owners(struct gc *gc, const json_t *dep, const json_t *refs,
                                   const json_t *except)
{
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const struct resource *ores = ref_resource(ref);
        const char *name = jget_str(ref, "name"), *uid = jget_str(ref, "uid");
        if (!ores || !name || !uid)
            continue;
        /* still named, with the same blocking flag: nothing changed for that owner */
        if (except) {
            size_t k;
            json_t *e;
            bool same = false;
            json_array_foreach(except, k, e)
            {
                if (json_equal(e, ref))
                    same = true;
            }
            if (same)
                continue;
        }
        const char *ns = ores->namespaced ? meta_str(dep, "namespace") : "";
        json_t *owner = cache_get(gc, ores->id, ns, name);
        if (owner && !strcmp(meta_str(owner, "uid"), uid) && deleting_dependents(owner))
            enqueue_obj(gc, ores->id, owner);
        json_decref(owner);
    }
}

static void on_add(void *ctx, const json_t *obj)
{
    struct gc_source *s = ctx;
    if (gc_relevant(obj))
        enqueue_obj(s->gc, s->r, obj);
}

static void on_update(void *ctx, const json_t *old, const json_t *cur)
{
    struct gc_source *s = ctx;
    json_t *om = jget_obj(old, "metadata"), *cm = jget_obj(cur, "metadata");

    if (json_equal(jget(om, "ownerReferences"), jget(cm, "ownerReferences")) &&
        json_equal(jget(om, "finalizers"), jget(cm, "finalizers")) &&
        being_deleted(old) == being_deleted(cur))
        return;
    if (gc_relevant(cur))
        enqueue_obj(s->gc, s->r, cur);
    enqueue_waiting_owners(s->gc, cur, owner_refs(old), owner_refs(cur));
}

static void on_delete(void *ctx, const json_t *obj)
{
    struct gc_source *s = ctx;
    struct gc *gc = s->gc;
    const char *uid = meta_str(obj, "uid");
    json_t **items;

    if (!*uid)
        return;
    bool any = false;
    for (int i = 0; i < RES_COUNT; i++) {
        size_t n = cache_by_owner(gc, (enum res_id)i, uid, &items);
        for (size_t k = 0; k < n; k++)
            enqueue_obj(gc, (enum res_id)i, items[k]);
        any |= n > 0;
        informer_list_free(items, n);
    }
    if (any) {
        char *akey =
            absent_key(resource_get(s->r), meta_str(obj, "namespace"), meta_str(obj, "name"), uid);
        absent_add(gc, akey);
        free(akey);
    }
    enqueue_waiting_owners(gc, obj, owner_refs(obj), NULL);
}

/* --- lifecycle --- */

struct gc *gc_new(struct kclient *c, struct informer_factory *f)
{
    struct gc *gc = xcalloc(1, sizeof(*gc));

    gc->c = c;
    gc->q = wq_new("garbage-collector", NULL);
    gc->rec = recorder_new(c, "garbage-collector-controller", "");
    gc->absent = json_object();
    pthread_mutex_init(&gc->absent_lock, NULL);
    for (int i = 0; i < RES_COUNT; i++) {
        if (ignored((enum res_id)i))
            continue;
        gc->inf[i] = informer_factory_get(f, (enum res_id)i);
        gc->src[i].gc = gc;
        gc->src[i].r = (enum res_id)i;
        struct informer_handlers h = {on_add, on_update, on_delete, &gc->src[i]};
        informer_add_handlers(gc->inf[i], &h);
    }
    return gc;
}

struct workqueue *gc_queue(struct gc *gc)
{
    return gc->q;
}

void gc_free(struct gc *gc)
{
    if (!gc)
        return;
    if (gc->loop)
        ctrl_loop_stop(gc->loop);
    else
        wq_shutdown(gc->q);
    wq_free(gc->q);
    recorder_free(gc->rec);
    for (size_t i = 0; i < ABSENT_CACHE_SIZE; i++)
        free(gc->absent_ring[i]);
    json_decref(gc->absent);
    pthread_mutex_destroy(&gc->absent_lock);
    free(gc);
}

static int sync_cb(void *ctx, const char *key)
{
    return gc_sync(ctx, key);
}

static int gc_start(const struct ctrl_env *env, void **state)
{
    struct gc *gc = gc_new(env->client, env->informers);
    gc->loop = ctrl_loop_start("garbage-collector", gc->q, GC_WORKERS, sync_cb, gc);
    *state = gc;
    return 0;
}

static void gc_stop(void *state)
{
    gc_free(state);
}

const struct controller_def gc_controller_def = {
    .name = "garbage-collector",
    .start = gc_start,
    .stop = gc_stop,
};
