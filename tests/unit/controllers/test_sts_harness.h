/* test_sts_harness.h — driving the StatefulSet control loop step by step over the fake API, as
 * upstream's stateful_set_control_test.go does with its fake object manager.
 *
 * A step is one sts_reconcile over what the fake holds (set, revisions, pods, claims), followed
 * by the invariant checks the test asked for. Between steps the test plays the kubelet: it makes
 * pods Running, Ready or not, Failed, or finishes their termination. Every controller write goes
 * through the fake client, so errors can be injected with kfake_fail_after.
 */
#ifndef TEST_STS_HARNESS_H
#define TEST_STS_HARNESS_H

#include "test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"
#include "controllers/statefulset/internal.h"

#define NS "default"
#define T0 1800000000             /* the pinned clock of every test */
#define HOLD "test.berth.io/hold" /* a finalizer that keeps a deleted pod Terminating */

enum {
    CHECK_MONOTONIC = 1 << 0,   /* no successor Running+Ready while a predecessor is not; ordinals
                                 * contiguous from start */
    CHECK_REVISIONS = 1 << 1,   /* pods only at status.currentRevision or updateRevision */
    CHECK_UNAVAILABLE = 1 << 2, /* in-range pods unavailable (or missing) <= max_unavailable */
    CHECK_CLAIMS = 1 << 3,      /* claim owner refs as the retention policy says */
    CHECK_IDENTITY = 1 << 4,    /* every pod has its identity and storage */
};

struct h {
    struct kclient *c;
    struct sts_control ctl;
    json_t *events; /* [{type, reason, message}] */
    unsigned checks;
    int max_unavailable;
    int steps;
};

static void h_on_event(void *ctx, const json_t *set, const char *type, const char *reason,
                       const char *message)
{
    struct h *h = ctx;
    (void)set;
    json_array_append_new(
        h->events, json_pack("{s:s,s:s,s:s}", "type", type, "reason", reason, "message", message));
}

static void h_init(struct h *h)
{
    memset(h, 0, sizeof(*h));
    h->c = kfake_new();
    h->ctl.client = h->c;
    h->ctl.on_event = h_on_event;
    h->ctl.event_ctx = h;
    h->ctl.now = T0;
    h->ctl.parallelism = 1;
    h->events = json_array();
    h->checks = CHECK_CLAIMS | CHECK_IDENTITY;
}

static void h_free(struct h *h)
{
    json_decref(h->events);
    kclient_free(h->c);
}

/* --- objects --- */

/* The set of upstream's tests (newStatefulSet): labels foo=bar, a "home" pod volume, the
 * "datadir" claim template; extra is merged into the set (a JSON object text or NULL). */
static json_t *h_set_json(const char *name, int replicas, const char *extra)
{
    json_t *set = json_pack(
        "{s:s,s:s,s:{s:s,s:s},s:{s:i,s:{s:{s:s}},s:s,s:{s:{s:{s:s}},s:{s:[{s:s,s:s,s:[{s:s,s:s}]}],"
        "s:[{s:s,s:{s:s}}]}},s:[{s:{s:s},s:{s:[s],s:{s:{s:s}}}}]}}",
        "apiVersion", "apps/v1", "kind", "StatefulSet", "metadata", "name", name, "namespace", NS,
        "spec", "replicas", replicas, "selector", "matchLabels", "foo", "bar", "serviceName",
        "governingsvc", "template", "metadata", "labels", "foo", "bar", "spec", "containers",
        "name", "nginx", "image", "nginx", "volumeMounts", "name", "datadir", "mountPath",
        "/tmp/zookeeper", "volumes", "name", "home", "hostPath", "path", "/tmp/home",
        "volumeClaimTemplates", "metadata", "name", "datadir", "spec", "accessModes",
        "ReadWriteOnce", "resources", "requests", "storage", "1Gi");
    if (extra) {
        json_t *x = tj(extra);
        json_t *spec = jget_obj(set, "spec");
        const char *k;
        json_t *v;
        json_object_foreach(jget_obj(x, "spec"), k, v) json_object_set(spec, k, v);
        json_object_foreach(jget_obj(x, "metadata"), k, v)
            json_object_set(jget_obj(set, "metadata"), k, v);
        json_decref(x);
    }
    return set;
}

static json_t *h_create_set(struct h *h, json_t *set)
{
    json_t *out = NULL;
    struct kstatus st = {0};
    int rc = kclient_create(h->c, RES_STATEFULSETS, NS, set, &out, &st);
    if (rc)
        fail_msg("create set: %d %s", rc, st.message);
    json_decref(set);
    return out;
}

/* Create a set and forget the result. */
static void h_add_set(struct h *h, json_t *set)
{
    json_decref(h_create_set(h, set));
}

static json_t *h_set(struct h *h, const char *name)
{
    json_t *s = kfake_get(h->c, RES_STATEFULSETS, NS, name);
    if (!s)
        fail_msg("no set %s", name);
    return s;
}

/* Change the set's spec through the API (generation bump, defaults): the patch is a JSON merge
 * patch text. */
static void h_patch_set(struct h *h, const char *name, const char *merge_patch)
{
    struct kstatus st = {0};
    int rc =
        kclient_patch(h->c, RES_STATEFULSETS, NS, name, KPATCH_MERGE, merge_patch, NULL, NULL, &st);
    if (rc)
        fail_msg("patch set: %d %s", rc, st.message);
}

static void h_set_image(struct h *h, const char *name, const char *image)
{
    json_t *set = h_set(h, name),
           *c0 = json_array_get(jpath(set, "spec.template.spec.containers"), 0);
    struct kstatus st = {0};
    int rc;

    jset_str(c0, "image", image);
    rc = kclient_update(h->c, RES_STATEFULSETS, NS, set, NULL, &st);
    if (rc)
        fail_msg("update set: %d %s", rc, st.message);
    json_decref(set);
}

static json_t *h_pod(struct h *h, const char *name)
{
    return kfake_get(h->c, RES_PODS, NS, name);
}

static json_t *h_podf(struct h *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *h_podf(struct h *h, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    return h_pod(h, name);
}

static json_t *h_claim(struct h *h, const char *name)
{
    return kfake_get(h->c, RES_PERSISTENTVOLUMECLAIMS, NS, name);
}

static bool h_has(struct h *h, enum res_id r, const char *name)
{
    json_t *o = kfake_get(h->c, r, NS, name);
    json_decref(o);
    return o != NULL;
}
#define h_has_pod(h, name) h_has(h, RES_PODS, name)
#define h_has_claim(h, name) h_has(h, RES_PERSISTENTVOLUMECLAIMS, name)

static size_t h_count(struct h *h, enum res_id r)
{
    json_t *l = kfake_list(h->c, r, NS);
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

/* --- the kubelet --- */

static void h_put_pod(struct h *h, json_t *pod)
{
    if (kfake_put(h->c, RES_PODS, pod))
        fail_msg("put pod failed");
    json_decref(pod);
}

static void h_set_phase(struct h *h, const char *name, const char *phase)
{
    json_t *p = h_pod(h, name);
    if (!p)
        fail_msg("no pod %s", name);
    jset_str(jensure_obj(p, "status"), "phase", phase);
    h_put_pod(h, p);
}

/* Ready condition with its transition age in seconds before T0. */
static void h_set_ready(struct h *h, const char *name, bool ready, int age)
{
    json_t *p = h_pod(h, name);
    char ts[KTIME_BUFSZ];
    if (!p)
        fail_msg("no pod %s", name);
    jset_str(jensure_obj(p, "status"), "phase", "Running");
    json_object_set_new(jget_obj(p, "status"), "conditions",
                        json_pack("[{s:s,s:s,s:s}]", "type", "Ready", "status",
                                  ready ? "True" : "False", "lastTransitionTime",
                                  ktime_format(T0 - age, ts)));
    h_put_pod(h, p);
}

static void h_hold(struct h *h, const char *name)
{
    json_t *p = h_pod(h, name);
    json_array_append_new(jensure_arr(jensure_obj(p, "metadata"), "finalizers"), json_string(HOLD));
    h_put_pod(h, p);
}

/* Finish the graceful termination of every Terminating pod (the kubelet's final delete). */
static int h_finish_terminating(struct h *h)
{
    json_t *l = kfake_list(h->c, RES_PODS, NS), *p;
    size_t i;
    int n = 0;
    json_array_foreach(l, i, p)
    {
        if (jpath(p, "metadata.deletionTimestamp")) {
            kfake_remove(h->c, RES_PODS, NS, jpath_str(p, "metadata.name"));
            n++;
        }
    }
    json_decref(l);
    return n;
}

/* The garbage collector's part for claims: remove those whose owner (a pod or the set) no
 * longer exists with the UID of the reference. Returns how many went. */
static int h_gc_claims(struct h *h)
{
    json_t *l = kfake_list(h->c, RES_PERSISTENTVOLUMECLAIMS, NS), *c, *r;
    size_t i, k;
    int n = 0;
    json_array_foreach(l, i, c)
    {
        json_array_foreach(jpath(c, "metadata.ownerReferences"), k, r)
        {
            const char *kind = jget_str(r, "kind");
            enum res_id res = !strcmp(kind, "Pod") ? RES_PODS : RES_STATEFULSETS;
            json_t *owner;
            if (strcmp(kind, "Pod") && strcmp(kind, "StatefulSet"))
                continue; /* owners the test made up stay */
            owner = kfake_get(h->c, res, NS, jget_str(r, "name"));
            bool gone = !owner || strcmp(jpath_str(owner, "metadata.uid"), jget_str(r, "uid"));
            json_decref(owner);
            if (gone) {
                kfake_remove(h->c, RES_PERSISTENTVOLUMECLAIMS, NS, jpath_str(c, "metadata.name"));
                n++;
                break;
            }
        }
    }
    json_decref(l);
    return n;
}

/* Make every Pending pod Running and Ready (ready for `age` seconds), except those whose names
 * are listed in `except` (comma separated, or NULL). */
static void h_kubelet(struct h *h, const char *except, int age)
{
    json_t *l = kfake_list(h->c, RES_PODS, NS), *p;
    size_t i;
    json_array_foreach(l, i, p)
    {
        const char *name = jpath_str(p, "metadata.name"), *phase = jpath_str(p, "status.phase");
        char key[300];
        snprintf(key, sizeof(key), ",%s,", name);
        if (except) {
            char list[1024];
            snprintf(list, sizeof(list), ",%s,", except);
            if (strstr(list, key))
                continue;
        }
        if (jpath(p, "metadata.deletionTimestamp") || !phase)
            continue;
        if (!strcmp(phase, "Pending") || (!strcmp(phase, "Running") && !sts__is_running_ready(p)))
            h_set_ready(h, name, true, age);
    }
    json_decref(l);
}

/* --- invariants --- */

static int cmp_ord(const void *a, const void *b)
{
    return sts__ordinal(*(json_t *const *)a) - sts__ordinal(*(json_t *const *)b);
}

static bool has_ref_uid(const json_t *obj, const json_t *owner)
{
    size_t i;
    json_t *r;
    json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, r)
    {
        if (!strcmp(jget_str(r, "uid"), jpath_str(owner, "metadata.uid")))
            return true;
    }
    return false;
}

/* checkClaimInvarients of upstream's tests */
static void check_claim(const json_t *set, const json_t *pod, const json_t *claim)
{
    bool scaled = sts__when_scaled_delete(set), deleted = sts__when_deleted_delete(set);
    const char *cname = jpath_str(claim, "metadata.name");
    bool in_range = sts__in_range(set, pod);

    if (!sts__is_running_ready(pod))
        return; /* not spun up: refs may not be set yet */
    if (!scaled && !deleted) {
        if (has_ref_uid(claim, set) || has_ref_uid(claim, pod))
            fail_msg("claim %s has an owner ref under Retain", cname);
    } else if (!scaled && deleted) {
        if (!has_ref_uid(claim, set) || has_ref_uid(claim, pod))
            fail_msg("claim %s: want only the set ref (whenDeleted=Delete)", cname);
    } else if (scaled && !deleted) {
        if (has_ref_uid(claim, set))
            fail_msg("claim %s: unexpected set ref (whenScaled=Delete)", cname);
        if (in_range == has_ref_uid(claim, pod))
            fail_msg("claim %s: pod ref wrong for %s pod", cname,
                     in_range ? "an in-range" : "a condemned");
    } else {
        if (in_range == has_ref_uid(claim, pod) || in_range != has_ref_uid(claim, set))
            fail_msg("claim %s: refs wrong for %s pod (Delete/Delete)", cname,
                     in_range ? "an in-range" : "a condemned");
    }
}

static void h_check(struct h *h, const char *name)
{
    json_t *set = kfake_get(h->c, RES_STATEFULSETS, NS, name);
    json_t *all = kfake_list(h->c, RES_PODS, NS), *p;
    json_t **pods = xcalloc(json_array_size(all) + 1, sizeof(*pods));
    const char *cur = jpath_str(set, "status.currentRevision");
    const char *upd = jpath_str(set, "status.updateRevision");
    size_t n = 0, i;
    int start, unavailable = 0;

    if (!set)
        goto out;
    start = sts__start_ordinal(set);
    json_array_foreach(all, i, p)
    {
        if (sts__is_member(set, p))
            pods[n++] = p;
    }
    qsort(pods, n, sizeof(*pods), cmp_ord);
    if (kfake_calls(h->c, "delete", RES_PERSISTENTVOLUMECLAIMS))
        fail_msg("the controller deleted a claim");
    for (i = 0; i < n; i++) {
        const char *pname = jpath_str(pods[i], "metadata.name");
        if (h->checks & CHECK_MONOTONIC) {
            if (i > 0 && sts__is_running_ready(pods[i]) && !sts__is_running_ready(pods[i - 1]))
                fail_msg("step %d: successor %s is Running and Ready while %s is not", h->steps,
                         pname, jpath_str(pods[i - 1], "metadata.name"));
            if (sts__ordinal(pods[i]) != start + (int)i)
                fail_msg("step %d: pod %s deployed in the wrong order", h->steps, pname);
        }
        if ((h->checks & CHECK_IDENTITY) && !sts__storage_matches(set, pods[i]))
            fail_msg("step %d: pod %s does not match the storage of its set", h->steps, pname);
        if ((h->checks & CHECK_IDENTITY) && !sts__identity_matches(set, pods[i]))
            fail_msg("step %d: pod %s does not match the identity of its set", h->steps, pname);
        if ((h->checks & CHECK_REVISIONS) && cur && upd &&
            strcmp(sts__pod_revision(pods[i]), cur) && strcmp(sts__pod_revision(pods[i]), upd))
            fail_msg("step %d: pod %s at revision %s, neither current %s nor update %s", h->steps,
                     pname, sts__pod_revision(pods[i]), cur, upd);
        if (h->checks & CHECK_CLAIMS) {
            size_t k;
            json_t *t;
            json_array_foreach(jpath(set, "spec.volumeClaimTemplates"), k, t)
            {
                char *cn = sts__claim_name(set, t, sts__ordinal(pods[i]));
                json_t *claim = h_claim(h, cn);
                if (claim)
                    check_claim(set, pods[i], claim);
                else if (!sts__when_scaled_delete(set) && sts__is_created(pods[i]))
                    fail_msg("step %d: claim %s of pod %s was not created", h->steps, cn, pname);
                json_decref(claim);
                free(cn);
            }
        }
        if (sts__in_range(set, pods[i]) &&
            sts__is_unavailable(pods[i], (int)jpath_int(set, "spec.minReadySeconds", 0), T0))
            unavailable++;
    }
    if (h->checks & CHECK_UNAVAILABLE) {
        int replicas = sts__replicas(set), present = 0;
        for (i = 0; i < n; i++)
            if (sts__in_range(set, pods[i]))
                present++;
        unavailable += replicas - present;
        if (unavailable > h->max_unavailable)
            fail_msg("step %d: %d pods unavailable, more than maxUnavailable %d", h->steps,
                     unavailable, h->max_unavailable);
    }
out:
    free(pods);
    json_decref(all);
    json_decref(set);
}

/* --- steps --- */

/* One reconcile of set `name` over the fake's current state; returns its result. */
static int h_sync(struct h *h, const char *name)
{
    json_t *set = h_set(h, name);
    json_t *revs = kfake_list(h->c, RES_CONTROLLERREVISIONS, NS);
    json_t *pods = kfake_list(h->c, RES_PODS, NS);
    json_t *claims = kfake_list(h->c, RES_PERSISTENTVOLUMECLAIMS, NS);
    json_t **rv = xcalloc(json_array_size(revs) + 1, sizeof(*rv));
    json_t **pv = xcalloc(json_array_size(pods) + 1, sizeof(*pv));
    json_t **cv = xcalloc(json_array_size(claims) + 1, sizeof(*cv));
    size_t i;
    int rc;

    for (i = 0; i < json_array_size(revs); i++)
        rv[i] = json_array_get(revs, i);
    for (i = 0; i < json_array_size(pods); i++)
        pv[i] = json_array_get(pods, i);
    for (i = 0; i < json_array_size(claims); i++)
        cv[i] = json_array_get(claims, i);
    rc = sts_reconcile(&h->ctl, set, rv, json_array_size(revs), pv, json_array_size(pods), cv,
                       json_array_size(claims), NULL);
    h->steps++;
    free(rv);
    free(pv);
    free(cv);
    json_decref(revs);
    json_decref(pods);
    json_decref(claims);
    json_decref(set);
    h_check(h, name);
    return rc;
}

static void h_sync_ok(struct h *h, const char *name)
{
    int rc = h_sync(h, name);
    if (rc)
        fail_msg("step %d: sync failed: %d", h->steps, rc);
}

static int h_status(struct h *h, const char *name, const char *field)
{
    json_t *set = h_set(h, name);
    int v = (int)jget_int(jget_obj(set, "status"), field, 0);
    json_decref(set);
    return v;
}

static bool h_converged(struct h *h, const char *name)
{
    json_t *set = h_set(h, name);
    const json_t *st = jget_obj(set, "status");
    int want = sts__replicas(set);
    const char *cur = jget_str(st, "currentRevision"), *upd = jget_str(st, "updateRevision");
    bool ok = jget_int(st, "readyReplicas", 0) == want && jget_int(st, "replicas", 0) == want &&
              jget_int(st, "observedGeneration", 0) == jpath_int(set, "metadata.generation", 0) &&
              (jget_int(st, "updatedReplicas", 0) == want ||
               !strcmp(jpath_str(set, "spec.updateStrategy.type"), "OnDelete") ||
               jpath_int(set, "spec.updateStrategy.rollingUpdate.partition", 0) > 0) &&
              cur && upd;
    json_decref(set);
    return ok;
}

static int h_writes(struct h *h)
{
    static const char *const verbs[] = {"create", "update", "update/status",
                                        "patch",  "delete", NULL};
    int n = 0;
    for (const char *const *v = verbs; *v; v++)
        n += kfake_calls(h->c, *v, RES_COUNT);
    return n;
}

/* Sync and play a healthy kubelet (every pod becomes Ready at once, terminations finish) until
 * a sync changes nothing and the status says the set converged; fails after max steps. Returns
 * the steps taken. */
static int h_run(struct h *h, const char *name, int max)
{
    for (int i = 0; i < max; i++) {
        int before = h_writes(h);
        h_sync_ok(h, name);
        if (h_writes(h) == before && h_converged(h, name) && !h_finish_terminating(h))
            return i + 1;
        h_finish_terminating(h);
        h_kubelet(h, NULL, 3600);
    }
    fail_msg("set %s did not converge in %d steps", name, max);
    return max;
}

/* --- events --- */

static int h_events(struct h *h, const char *reason, const char *substr)
{
    size_t i;
    json_t *e;
    int n = 0;
    json_array_foreach(h->events, i, e)
    {
        if (!strcmp(jget_str(e, "reason"), reason) &&
            (!substr || strstr(jget_str(e, "message"), substr)))
            n++;
    }
    return n;
}

static const char *h_rev_of(struct h *h, const char *pod)
{
    static char buf[300];
    json_t *p = h_pod(h, pod);
    if (!p)
        return "";
    snprintf(buf, sizeof(buf), "%s", sts__pod_revision(p));
    json_decref(p);
    return buf;
}

#endif
