/* update.c — rolling a new template out (STATEFULSET.md §1.6).
 *
 * RollingUpdate replaces pods from the highest ordinal down to the partition (an offset from
 * spec.ordinals.start); the replacement is created by processReplica at the update revision.
 * Two paths, as upstream's MaxUnavailableStatefulSet gate has them:
 *   - legacy (maxUnavailable unset): one pod per pass, waiting while the last replaced pod is
 *     unavailable;
 *   - maxUnavailable set: unavailable pods are counted over all in-range replicas, and up to
 *     maxUnavailable - unavailable healthy out-of-date pods are deleted per pass.
 * OnDelete never deletes for an update (it is handled by returning before this step).
 *
 * berth §7 item 1 (no stuck rollouts, #67250): in both paths and both pod management policies,
 * an out-of-date pod that is already unavailable is replaced at once; replacing it cannot make
 * more pods unavailable, and it is what heals a set after a bad template is reverted.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "controllers/statefulset/internal.h"

static bool rolling(const json_t *set)
{
    const char *t = jpath_str(set, "spec.updateStrategy.type");
    return t && !strcmp(t, "RollingUpdate");
}

/* partition, relative to start; 0 without a rollingUpdate block */
static int update_min(const json_t *set)
{
    const json_t *ru = jpath(set, "spec.updateStrategy.rollingUpdate");
    return json_is_object(ru) ? (int)jget_int(ru, "partition", 0) : 0;
}

int sts__max_unavailable(const json_t *set, int replicas)
{
    const json_t *mu = jpath(set, "spec.updateStrategy.rollingUpdate.maxUnavailable");
    int v = 1;

    if (json_is_integer(mu)) {
        v = (int)json_integer_value(mu);
    } else if (json_is_string(mu)) {
        const char *s = json_string_value(mu);
        size_t len = strlen(s);
        if (len > 1 && s[len - 1] == '%') {
            /* GetScaledValueFromIntOrPercent with roundUp=false: the code rounds down */
            double pct = strtod(s, NULL);
            v = (int)floor(pct * replicas / 100.0);
        }
    }
    return v < 1 ? 1 : v;
}

bool sts__stuck_replaceable(const struct sts_run *r, int i)
{
    struct sts_facts tmp;
    const struct sts_facts *f = sts__facts(r, r->replicas_v[i], &tmp);

    return f->created && !f->terminating && f->unavailable && strcmp(f->rev, r->upd_name) &&
           rolling(r->set) && i >= update_min(r->set);
}

/* Delete pod i for the update; a pod already gone counts as deleted. */
static int replace(struct sts_run *r, int i, struct sts_err *e)
{
    int rc = sts__delete_pod(r, r->set, r->replicas_v[i], e);

    if (rc < 0 && rc != -ENOENT)
        return rc;
    if (r->status.current > 0)
        r->status.current--;
    return 0;
}

/* §7 item 1: replace every unavailable out-of-date pod at or above the partition. */
static int replace_stuck(struct sts_run *r, bool *done, int *nreplaced, struct sts_err *e)
{
    int rc;

    *nreplaced = 0;
    for (int t = r->replicas - 1; t >= 0 && t >= update_min(r->set); t--) {
        if (!sts__stuck_replaceable(r, t))
            continue;
        rc = replace(r, t, e);
        if (rc < 0)
            return rc;
        done[t] = true;
        (*nreplaced)++;
    }
    return 0;
}

static int legacy(struct sts_run *r, struct sts_err *e)
{
    bool *done = xcalloc((size_t)r->replicas + 1, sizeof(*done));
    int n, rc;

    rc = replace_stuck(r, done, &n, e);
    if (rc < 0 || n > 0)
        goto out;
    for (int t = r->replicas - 1; t >= update_min(r->set); t--) {
        struct sts_facts tmp;
        const struct sts_facts *f = sts__facts(r, r->replicas_v[t], &tmp);
        if (strcmp(f->rev, r->upd_name) && !f->terminating) {
            rc = replace(r, t, e);
            goto out;
        }
        if (f->unavailable)
            goto out; /* wait for the replaced pod */
    }
out:
    free(done);
    return rc;
}

static int with_max_unavailable(struct sts_run *r, struct sts_err *e)
{
    int max = sts__max_unavailable(r->set, r->replicas), unavailable = 0, deleted = 0, n, rc;
    bool *done = xcalloc((size_t)r->replicas + 1, sizeof(*done));

    for (int t = 0; t < r->replicas; t++) {
        struct sts_facts tmp;
        if (sts__facts(r, r->replicas_v[t], &tmp)->unavailable)
            unavailable++;
    }
    rc = replace_stuck(r, done, &n, e);
    if (rc < 0 || unavailable > max)
        goto out;
    for (int t = r->replicas - 1; t >= update_min(r->set) && deleted < max - unavailable; t--) {
        struct sts_facts tmp;
        const struct sts_facts *f = sts__facts(r, r->replicas_v[t], &tmp);
        if (done[t] || !strcmp(f->rev, r->upd_name) || f->terminating)
            continue;
        rc = replace(r, t, e);
        if (rc < 0)
            goto out;
        deleted++;
    }
out:
    free(done);
    return rc;
}

int sts__rolling_update(struct sts_run *r, struct sts_err *e)
{
    if (!rolling(r->set))
        return 0;
    if (json_is_object(jpath(r->set, "spec.updateStrategy.rollingUpdate")) &&
        jpath(r->set, "spec.updateStrategy.rollingUpdate.maxUnavailable"))
        return with_max_unavailable(r, e);
    return legacy(r, e);
}
