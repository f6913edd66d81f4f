/* pods.c — writing pods and their claims (upstream stateful_pod_control.go; STATEFULSET.md
 * §1.4): claims are created before their pod and again for a Pending pod whose claim went
 * missing, a claim being deleted blocks its pod, pods are repaired in place when their identity,
 * storage or claim ownership drifted, and every write is reported as an event on the set.
 *
 * Also berth's claim template expansion (§7 item 2): a template whose storage request grew is
 * propagated to every bound claim of the set, and status.volumeClaimTemplates counts the claims
 * at the template's size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/names.h"
#include "base/quantity.h"
#include "controllers/statefulset/internal.h"

/* --- the claims a pod should have --- */

json_t *sts__claims_for(const json_t *set, const json_t *pod)
{
    const json_t *match = jpath(set, "spec.selector.matchLabels");
    json_t *out = json_array(), *t;
    int ord = sts__ordinal(pod);
    size_t i;

    json_array_foreach(jpath(set, "spec.volumeClaimTemplates"), i, t)
    {
        const json_t *tm = jget_obj(t, "metadata");
        json_t *meta = json_object(), *labels, *claim;
        char *name = sts__claim_name(set, t, ord);
        const char *k;
        json_t *v;

        jset_str(meta, "name", name);
        jset_str(meta, "namespace", jpath_str(set, "metadata.namespace"));
        /* the template's labels, then the selector's (which win) */
        labels =
            json_is_object(jget(tm, "labels")) ? json_deep_copy(jget(tm, "labels")) : json_object();
        json_object_foreach((json_t *)match, k, v) json_object_set(labels, k, v);
        if (json_object_size(labels))
            json_object_set_new(meta, "labels", labels);
        else
            json_decref(labels);
        if (json_is_object(jget(tm, "annotations")))
            json_object_set_new(meta, "annotations", json_deep_copy(jget(tm, "annotations")));
        if (json_is_array(jget(tm, "finalizers")))
            json_object_set_new(meta, "finalizers", json_deep_copy(jget(tm, "finalizers")));
        claim = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "PersistentVolumeClaim",
                          "metadata", meta);
        json_object_set_new(claim, "spec",
                            jget_obj(t, "spec") ? json_deep_copy(jget_obj(t, "spec"))
                                                : json_object());
        json_array_append_new(out, claim);
        free(name);
    }
    return out;
}

json_t *sts__claim_get(struct sts_run *r, const char *name)
{
    json_t *c;

    pthread_mutex_lock(&r->mu);
    c = json_object_get(r->claims, name);
    pthread_mutex_unlock(&r->mu);
    return c;
}

void sts__claim_put(struct sts_run *r, json_t *claim)
{
    const char *name = jpath_str(claim, "metadata.name");

    if (!name) {
        json_decref(claim);
        return;
    }
    pthread_mutex_lock(&r->mu);
    json_object_set_new(r->claims, name, claim);
    pthread_mutex_unlock(&r->mu);
}

/* --- events, upstream's wording --- */

static void pod_event(struct sts_run *r, const char *verb, const json_t *pod, int rc,
                      const struct sts_err *e)
{
    const char *pod_name = jpath_str(pod, "metadata.name");
    char uverb[32];

    snprintf(uverb, sizeof(uverb), "%s", verb);
    uverb[0] = (char)(uverb[0] - 'a' + 'A');
    if (rc == 0) {
        char reason[48];
        snprintf(reason, sizeof(reason), "Successful%s", uverb);
        sts__event(r->ctl, r->set, "Normal", reason, "%s Pod %s in StatefulSet %s successful", verb,
                   pod_name, r->name);
    } else {
        char reason[48];
        snprintf(reason, sizeof(reason), "Failed%s", uverb);
        sts__event(r->ctl, r->set, "Warning", reason,
                   "%s Pod %s in StatefulSet %s failed error: %s", verb, pod_name, r->name, e->msg);
    }
}

static void claim_event(struct sts_run *r, const char *verb, const char *reason_verb,
                        const char *pod_name, const char *claim, int rc, const char *msg)
{
    char reason[48];

    if (rc == 0) {
        snprintf(reason, sizeof(reason), "Successful%s", reason_verb);
        sts__event(r->ctl, r->set, "Normal", reason, "%s Claim %s Pod %s in StatefulSet %s success",
                   verb, claim, pod_name, r->name);
    } else {
        snprintf(reason, sizeof(reason), "Failed%s", reason_verb);
        sts__event(r->ctl, r->set, "Warning", reason,
                   "%s Claim %s for Pod %s in StatefulSet %s failed error: %s", verb, claim,
                   pod_name, r->name, msg);
    }
}

/* --- claims --- */

/* Errors are collected like upstream's utilerrors aggregate: one error prints as itself,
 * several as "[a, b]". */
struct agg {
    struct strbuf sb;
    int n, rc;
};

static void agg_add(struct agg *a, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void agg_add(struct agg *a, int rc, const char *fmt, ...)
{
    va_list ap;

    if (a->n++)
        strbuf_addstr(&a->sb, ", ");
    va_start(ap, fmt);
    strbuf_vaddf(&a->sb, fmt, ap);
    va_end(ap);
    if (!a->rc)
        a->rc = rc;
}

static int agg_done(struct agg *a, struct sts_err *e)
{
    int rc = a->rc;
    if (a->n == 1)
        sts__errf(e, "%s", a->sb.buf);
    else if (a->n > 1)
        sts__errf(e, "[%s]", a->sb.buf);
    strbuf_release(&a->sb);
    return rc;
}

int sts__create_claims(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e)
{
    json_t *claims = sts__claims_for(set, pod), *c;
    struct agg a = {STRBUF_INIT, 0, 0};
    const char *pod_name = jpath_str(pod, "metadata.name");
    size_t i;

    json_array_foreach(claims, i, c)
    {
        const char *name = jpath_str(c, "metadata.name");
        json_t *have = sts__claim_get(r, name), *out = NULL;
        struct kstatus st = {0};
        struct sts_err ce = {{0}};
        int rc;

        if (have) {
            if (sts__is_terminating(have))
                agg_add(&a, -EAGAIN, "pvc %s is being deleted", name);
            continue;
        }
        rc = kclient_create(r->ctl->client, RES_PERSISTENTVOLUMECLAIMS, r->ns, c, &out, &st);
        if (rc == -EEXIST &&
            kclient_get(r->ctl->client, RES_PERSISTENTVOLUMECLAIMS, r->ns, name, &out, NULL) == 0) {
            /* our own earlier create that the cache has not seen yet: the claim is there */
            if (!sts__is_terminating(out)) {
                sts__claim_put(r, out);
                continue;
            }
            json_decref(out);
            out = NULL;
        }
        if (rc < 0) {
            sts__err_client(&ce, rc, &st);
            agg_add(&a, rc, "failed to create PVC %s: %s", name, ce.msg);
        } else {
            sts__claim_put(r, out);
        }
        if (rc != -EEXIST)
            claim_event(r, "create", "Create", pod_name, name, rc, ce.msg);
    }
    json_decref(claims);
    return agg_done(&a, e);
}

int sts__create_missing_claims(struct sts_run *r, const json_t *set, const json_t *pod,
                               struct sts_err *e)
{
    int rc = sts__create_claims(r, set, pod, e);

    if (rc < 0)
        return rc;
    rc = sts__update_claims_for_retention(r, set, pod, e);
    if (rc < 0)
        pod_event(r, "update", pod, rc, e);
    return rc;
}

/* Only with whenScaled=Delete: a claim still owned by an earlier pod of the same name will be
 * collected by the garbage collector; creating the pod now would hand it a dying claim. */
bool sts__pod_claim_is_stale(struct sts_run *r, const json_t *set, const json_t *pod)
{
    json_t *claims, *c;
    bool stale = false;
    size_t i;

    if (!sts__when_scaled_delete(set))
        return false;
    claims = sts__claims_for(set, pod);
    json_array_foreach(claims, i, c)
    {
        const json_t *have = sts__claim_get(r, jpath_str(c, "metadata.name"));
        if (have && sts__has_stale_ref(have, pod, "v1", "Pod"))
            stale = true;
    }
    json_decref(claims);
    return stale;
}

/* --- pods --- */

/* berth §7 item 5: never send a pod whose labels cannot be valid (a revision name too long for
 * a label value is the classic case, #64023); say so instead. */
static int check_labels(const json_t *pod, struct sts_err *e)
{
    const char *k, *msgs[NAME_MAX_MSGS];
    json_t *v;

    json_object_foreach(jpath(pod, "metadata.labels"), k, v)
    {
        const char *s = json_string_value(v);
        if (s && name_check_label_value(s, msgs) > 0) {
            sts__errf(e, "label %s=%s: %s", k, s, msgs[0]);
            return -EINVAL;
        }
    }
    return 0;
}

int sts__create_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e)
{
    struct kstatus st = {0};
    json_t *out = NULL;
    int rc;

    rc = check_labels(pod, e);
    if (rc == 0)
        rc = sts__create_claims(r, set, pod, e);
    if (rc < 0) {
        pod_event(r, "create", pod, rc, e);
        return rc;
    }
    rc = kclient_create(r->ctl->client, RES_PODS, r->ns, pod, &out, &st);
    if (rc == -EEXIST) {
        sts__err_client(e, rc, &st);
        return rc; /* sunk: the pod shows up in the cache soon */
    }
    if (rc < 0) {
        sts__err_client(e, rc, &st);
    } else {
        /* the created pod has its UID: set the claims' refs as far as possible now */
        rc = sts__update_claims_for_retention(r, set, out, e);
        if (rc < 0) {
            pod_event(r, "update", pod, rc, e);
            json_decref(out);
            return rc;
        }
    }
    pod_event(r, "create", pod, rc, e);
    json_decref(out);
    return rc;
}

#define UPDATE_RETRIES 4 /* retry.DefaultBackoff */

int sts__update_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e)
{
    json_t *copy = json_deep_copy(pod);
    bool attempted = false;
    int rc = 0;

    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        struct kstatus st = {0};
        bool consistent = true, match;
        json_t *fresh = NULL;

        if (!sts__identity_matches(set, copy)) {
            sts__update_identity(set, copy);
            consistent = false;
        }
        if (!sts__storage_matches(set, copy)) {
            sts__update_storage(set, copy);
            consistent = false;
            rc = sts__create_claims(r, set, copy, e);
            if (rc < 0) {
                pod_event(r, "update", copy, rc, e);
                goto out;
            }
        }
        sts__claims_match_retention(r, set, copy, &match, e);
        if (!match) {
            rc = sts__update_claims_for_retention(r, set, copy, e);
            if (rc < 0) {
                pod_event(r, "update", copy, rc, e);
                goto out;
            }
            consistent = false;
        }
        if (consistent) {
            rc = 0;
            break;
        }
        attempted = true;
        rc = kclient_update(r->ctl->client, RES_PODS, r->ns, copy, NULL, &st);
        if (rc == 0)
            break;
        sts__err_client(e, rc, &st);
        if (rc != -ESTALE)
            break;
        if (kclient_get(r->ctl->client, RES_PODS, r->ns, jpath_str(copy, "metadata.name"), &fresh,
                        NULL) == 0) {
            json_decref(copy);
            copy = fresh;
        }
    }
    if (attempted)
        pod_event(r, "update", copy, rc, e);
out:
    json_decref(copy);
    return rc;
}

int sts__delete_pod(struct sts_run *r, const json_t *set, const json_t *pod, struct sts_err *e)
{
    struct kstatus st = {0};
    int rc;

    (void)set;
    rc =
        kclient_delete(r->ctl->client, RES_PODS, r->ns, jpath_str(pod, "metadata.name"), NULL, &st);
    if (rc < 0)
        sts__err_client(e, rc, &st);
    pod_event(r, "delete", pod, rc, e);
    return rc;
}

/* --- claim template expansion (berth §7 item 2) --- */

static bool storage_of(const json_t *obj, const char *path, struct quantity *q)
{
    const char *s = jpath_str(obj, path);
    return s && quantity_parse(s, q) == 0;
}

/* Is the quantity at path in obj at least want (written want_s in the template)? The same
 * string, the common case, needs no parsing. */
static bool storage_at_least(const json_t *obj, const char *path, const char *want_s,
                             const struct quantity *want)
{
    const char *s = jpath_str(obj, path);
    struct quantity q;

    if (!s)
        return false;
    if (want_s && !strcmp(s, want_s))
        return true;
    return quantity_parse(s, &q) == 0 && quantity_cmp(&q, want) >= 0;
}

/* The ordinal of a claim named <template>-<set>-<ordinal>, or -1. */
static int claim_ordinal(const char *claim, const char *tmpl, const char *set)
{
    size_t tl = strlen(tmpl), sl = strlen(set);
    const char *p = claim;
    long v = 0;

    if (strncmp(p, tmpl, tl) || p[tl] != '-')
        return -1;
    p += tl + 1;
    if (strncmp(p, set, sl) || p[sl] != '-')
        return -1;
    p += sl + 1;
    if (!*p || (p[0] == '0' && p[1]))
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > 214748364)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v > INT32_MAX ? -1 : (int)v;
}

int sts__expand_claims(struct sts_run *r, struct sts_err *e)
{
    json_t *status = json_array(), *t;
    int first_rc = 0;
    size_t i;

    json_array_foreach(jpath(r->set, "spec.volumeClaimTemplates"), i, t)
    {
        const char *tname = jpath_str(t, "metadata.name");
        const char *want_s = jpath_str(t, "spec.resources.requests.storage");
        struct quantity want;
        int compatible = 0, updating = 0;
        const char *cname;
        json_t *claim, *names = json_array(), *nm;
        size_t k;

        if (!tname || !storage_of(t, "spec.resources.requests.storage", &want)) {
            json_decref(names);
            continue;
        }
        pthread_mutex_lock(&r->mu);
        json_object_foreach(r->claims, cname, claim)
            json_array_append_new(names, json_string(cname));
        pthread_mutex_unlock(&r->mu);
        json_array_foreach(names, k, nm)
        {
            const char *name = json_string_value(nm);
            int ord = claim_ordinal(name, tname, r->name);
            struct quantity have;
            const char *phase;
            bool grown = false;

            if (ord < 0)
                continue;
            claim = sts__claim_get(r, name);
            if (!claim || sts__is_terminating(claim))
                continue;
            if (!storage_at_least(claim, "spec.resources.requests.storage", want_s, &want) &&
                storage_of(claim, "spec.resources.requests.storage", &have)) {
                phase = jpath_str(claim, "status.phase");
                /* only bound claims may grow (the API refuses the others) */
                if (phase && !strcmp(phase, "Bound")) {
                    char *qs = quantity_string(&want), *patch, *pod_name;
                    struct kstatus st = {0};
                    struct sts_err ce = {{0}};
                    json_t *out = NULL;
                    int rc;

                    patch = xasprintf(
                        "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}", qs);
                    rc = kclient_patch(r->ctl->client, RES_PERSISTENTVOLUMECLAIMS, r->ns, name,
                                       KPATCH_MERGE, patch, NULL, &out, &st);
                    pod_name = xasprintf("%s-%d", r->name, ord);
                    if (rc < 0) {
                        sts__err_client(&ce, rc, &st);
                        if (!first_rc) {
                            first_rc = rc;
                            sts__errf(e, "failed to expand PVC %s: %s", name, ce.msg);
                        }
                    } else {
                        sts__claim_put(r, out);
                        grown = true;
                    }
                    claim_event(r, "update", "Update", pod_name, name, rc, ce.msg);
                    free(pod_name);
                    free(patch);
                    free(qs);
                }
            } else {
                grown = true;
            }
            if (ord < r->start || ord >= r->start + r->replicas)
                continue;
            claim = sts__claim_get(r, name);
            if (storage_at_least(claim, "status.capacity.storage", want_s, &want))
                compatible++;
            else if (grown && (phase = jpath_str(claim, "status.phase")) && !strcmp(phase, "Bound"))
                updating++; /* asked for the size, the volume is not there yet */
        }
        json_decref(names);
        json_array_append_new(status, json_pack("{s:s,s:i,s:i}", "templateName", tname,
                                                "compatibleReplicas", compatible,
                                                "updatingReplicas", updating));
    }
    json_decref(r->status.claim_templates);
    r->status.claim_templates = status;
    return first_rc;
}
