/* status.c — what the controller reports: pod state predicates, computeReplicaStatus,
 * completeRollingUpdate, and the status write (only when changed, retried on conflict)
 * (STATEFULSET.md §1.3 step 6 and §1.8).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "controllers/statefulset/internal.h"

/* --- pod predicates (stateful_set_utils.go, podutil) --- */

static const char *phase(const json_t *pod)
{
    const char *p = jpath_str(pod, "status.phase");
    return p ? p : "";
}

bool sts__is_created(const json_t *pod)
{
    return *phase(pod) != '\0';
}

bool sts__is_pending(const json_t *pod)
{
    return !strcmp(phase(pod), "Pending");
}

bool sts__is_failed(const json_t *pod)
{
    return !strcmp(phase(pod), "Failed");
}

bool sts__is_succeeded(const json_t *pod)
{
    return !strcmp(phase(pod), "Succeeded");
}

bool sts__is_terminating(const json_t *pod)
{
    const json_t *dt = jpath(pod, "metadata.deletionTimestamp");
    return dt && !json_is_null(dt);
}

static const json_t *ready_condition(const json_t *pod)
{
    size_t i;
    json_t *c;

    json_array_foreach(jpath(pod, "status.conditions"), i, c)
    {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, "Ready"))
            return c;
    }
    return NULL;
}

static bool is_ready(const json_t *pod)
{
    const char *s = jget_str(ready_condition(pod), "status");
    return s && !strcmp(s, "True");
}

bool sts__is_running_ready(const json_t *pod)
{
    return !strcmp(phase(pod), "Running") && is_ready(pod);
}

/* Ready, and minReadySeconds == 0 or the Ready transition is strictly more than minReadySeconds
 * before now (upstream uses Before; a zero transition time is never available). */
bool sts__is_available(const json_t *pod, int min_ready, time_t now)
{
    const char *ltt;
    time_t t;

    if (!is_ready(pod))
        return false;
    if (min_ready <= 0)
        return true;
    ltt = jget_str(ready_condition(pod), "lastTransitionTime");
    if (!ltt || ktime_parse(ltt, &t, NULL) < 0)
        return false;
    return t + min_ready < now;
}

bool sts__is_healthy(const json_t *pod)
{
    return sts__is_running_ready(pod) && !sts__is_terminating(pod);
}

bool sts__is_unavailable(const json_t *pod, int min_ready, time_t now)
{
    /* healthy (Running, Ready, not terminating) already says available without a minimum */
    return !sts__is_healthy(pod) || (min_ready > 0 && !sts__is_available(pod, min_ready, now));
}

/* --- facts --- */

static size_t ptr_hash(const json_t *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void compute_facts(const struct sts_run *r, const json_t *pod, struct sts_facts *f)
{
    f->pod = pod;
    f->created = sts__is_created(pod);
    f->terminating = sts__is_terminating(pod);
    f->running_ready = f->created && sts__is_running_ready(pod);
    /* !healthy || !available (sts__is_unavailable) */
    f->unavailable = !f->running_ready || f->terminating ||
                     (r->min_ready > 0 && !sts__is_available(pod, r->min_ready, r->now));
    f->rev = sts__pod_revision(pod);
}

void sts__facts_add(struct sts_run *r, json_t *const *pods, size_t n)
{
    size_t have = 0;

    for (size_t i = 0; i < r->facts_cap; i++)
        have += r->facts[i].pod != NULL;
    if ((have + n) * 2 > r->facts_cap) {
        struct sts_facts *old = r->facts;
        size_t old_cap = r->facts_cap, cap = 16;
        while (cap < (have + n) * 2)
            cap *= 2;
        r->facts = xcalloc(cap, sizeof(*r->facts));
        r->facts_cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].pod)
                continue;
            size_t j = ptr_hash(old[i].pod) & (cap - 1);
            while (r->facts[j].pod)
                j = (j + 1) & (cap - 1);
            r->facts[j] = old[i];
        }
        free(old);
    }
    for (size_t i = 0; i < n; i++) {
        if (!pods[i])
            continue;
        size_t j = ptr_hash(pods[i]) & (r->facts_cap - 1);
        while (r->facts[j].pod && r->facts[j].pod != pods[i])
            j = (j + 1) & (r->facts_cap - 1);
        if (!r->facts[j].pod)
            compute_facts(r, pods[i], &r->facts[j]);
    }
}

const struct sts_facts *sts__facts(const struct sts_run *r, const json_t *pod,
                                   struct sts_facts *tmp)
{
    if (r->facts_cap) {
        size_t j = ptr_hash(pod) & (r->facts_cap - 1);
        for (; r->facts[j].pod; j = (j + 1) & (r->facts_cap - 1))
            if (r->facts[j].pod == pod)
                return &r->facts[j];
    }
    compute_facts(r, pod, tmp);
    return tmp;
}

/* --- counting --- */

void sts__count(struct sts_run *r, json_t *const *pods, size_t n, bool reset)
{
    struct sts_status *s = &r->status;

    if (reset)
        s->replicas = s->ready = s->available = s->current = s->updated = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *pod = pods[i];
        struct sts_facts tmp;
        const struct sts_facts *f;
        if (!pod)
            continue;
        f = sts__facts(r, pod, &tmp);
        if (f->created)
            s->replicas++;
        if (f->running_ready) {
            s->ready++;
            if (r->min_ready <= 0 || sts__is_available(pod, r->min_ready, r->now))
                s->available++;
        }
        if (f->created && !f->terminating) {
            const char *rev = f->rev;
            if (!strcmp(rev, r->cur_name))
                s->current++;
            if (!strcmp(rev, r->upd_name))
                s->updated++;
        }
    }
}

/* Upstream only completes RollingUpdate; PR #136833 (2026) dropped that condition, and berth
 * does so too (§7 item 3): OnDelete promotes currentRevision once every replica runs the
 * update revision. */
void sts__complete_rolling_update(const json_t *set, struct sts_status *s)
{
    int want = sts__replicas(set);

    if (s->updated == want && s->ready == want && s->replicas == want) {
        s->current = s->updated;
        free(s->current_revision);
        s->current_revision = xstrdup(s->update_revision ? s->update_revision : "");
    }
}

void sts__status_release(struct sts_status *s)
{
    free(s->current_revision);
    free(s->update_revision);
    json_decref(s->claim_templates);
    memset(s, 0, sizeof(*s));
}

json_t *sts__status_json(const struct sts_status *s)
{
    json_t *st = json_object();

    jset_int(st, "observedGeneration", s->observed_generation);
    jset_int(st, "replicas", s->replicas);
    if (s->ready)
        jset_int(st, "readyReplicas", s->ready);
    if (s->current)
        jset_int(st, "currentReplicas", s->current);
    if (s->updated)
        jset_int(st, "updatedReplicas", s->updated);
    if (s->current_revision && *s->current_revision)
        jset_str(st, "currentRevision", s->current_revision);
    if (s->update_revision && *s->update_revision)
        jset_str(st, "updateRevision", s->update_revision);
    jset_int(st, "collisionCount", s->collision_count);
    jset_int(st, "availableReplicas", s->available);
    if (s->claim_templates && json_array_size(s->claim_templates))
        json_object_set(st, "volumeClaimTemplates", s->claim_templates);
    return st;
}

static bool str_differs(const json_t *st, const char *key, const char *want)
{
    const char *have = jget_str(st, key);
    return strcmp(have ? have : "", want ? want : "") != 0;
}

/* inconsistentStatus, plus berth's claim template counts. collisionCount is not compared, as
 * upstream: it only moves together with updateRevision. */
static bool inconsistent(const json_t *set, const struct sts_status *s)
{
    const json_t *st = jget_obj(set, "status");
    const json_t *ct = jget_arr(st, "volumeClaimTemplates");

    if (s->observed_generation > jget_int(st, "observedGeneration", 0) ||
        s->replicas != jget_int(st, "replicas", 0) ||
        s->current != jget_int(st, "currentReplicas", 0) ||
        s->ready != jget_int(st, "readyReplicas", 0) ||
        s->updated != jget_int(st, "updatedReplicas", 0) ||
        s->available != jget_int(st, "availableReplicas", 0) ||
        str_differs(st, "currentRevision", s->current_revision) ||
        str_differs(st, "updateRevision", s->update_revision))
        return true;
    if (s->claim_templates && json_array_size(s->claim_templates))
        return !ct || !json_equal(ct, s->claim_templates);
    return ct && json_array_size(ct);
}

#define STATUS_RETRIES 5 /* retry.DefaultRetry */

/* The status replaces the old one wholesale (conditions written by others are dropped, as
 * upstream). On a conflict the set is read again (live, not from the cache, so a retry does not
 * hit the same stale resourceVersion) and the write retried. */
int sts__write_status(struct sts_run *r, struct sts_err *e)
{
    json_t *set, *st;
    int rc = 0;

    sts__complete_rolling_update(r->set, &r->status);
    if (!inconsistent(r->set, &r->status))
        return 0;
    st = sts__status_json(&r->status);
    set = json_deep_copy(r->set);
    for (int attempt = 0;; attempt++) {
        struct kstatus ks = {0};
        const char *uid;

        json_object_set(set, "status", st);
        rc = kclient_update_status(r->ctl->client, RES_STATEFULSETS, r->ns, set, NULL, &ks);
        if (rc == 0)
            break;
        sts__err_client(e, rc, &ks);
        if (rc != -ESTALE || attempt + 1 == STATUS_RETRIES)
            break;
        json_decref(set);
        set = NULL;
        if (kclient_get(r->ctl->client, RES_STATEFULSETS, r->ns, r->name, &set, NULL) < 0)
            break;
        uid = jpath_str(set, "metadata.uid");
        if (!uid || !r->uid || strcmp(uid, r->uid))
            break; /* the set was replaced: nothing of ours to write */
    }
    json_decref(set);
    json_decref(st);
    return rc;
}
