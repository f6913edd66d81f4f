/* history.c — ControllerRevisions: the versioned pod templates of a set (STATEFULSET.md §1.7).
 *
 * Only spec.template is versioned. A revision's data is the patch that restores it,
 * {"spec":{"template":{...,"$patch":"replace"}}}, made from the template's canonical form
 * (berth §7 item 4): decoded through the schema, defaults applied, nulls and empty strings and
 * lists dropped, keys sorted. Hashing and comparing that form means no serialisation drift
 * (a creationTimestamp: null, a new default) ever looks like a template change, which is what
 * upstream's StatefulSetSemanticRevisionComparison fixes for #134773.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/decode.h"
#include "api/patch.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/fnv.h"
#include "base/ktime.h"
#include "base/log.h"
#include "controllers/statefulset/internal.h"

/* --- canonical templates --- */

/* Maps from strings to strings keep their "" values: a label "a: ''" is not an absent label. */
static bool is_string_map(const char *key)
{
    static const char *const maps[] = {"labels",           "annotations", "nodeSelector",
                                       "volumeAttributes", "options",     NULL};
    for (const char *const *m = maps; *m; m++)
        if (!strcmp(key, *m))
            return true;
    return false;
}

static void prune(json_t *v, bool keep_empty_strings)
{
    const char *k;
    json_t *c;
    size_t i;
    void *n;

    if (json_is_array(v)) {
        json_array_foreach(v, i, c) prune(c, false);
        return;
    }
    if (!json_is_object(v))
        return;
    json_object_foreach_safe(v, n, k, c)
    {
        prune(c, is_string_map(k));
        if (json_is_null(c) || (json_is_array(c) && !json_array_size(c)) ||
            (!keep_empty_strings && json_is_string(c) && !*json_string_value(c)))
            json_object_del(v, k);
    }
}

json_t *sts__canonical_template(const json_t *tmpl)
{
    const struct resource *res = resource_get(RES_STATEFULSETS);
    const struct sch_type *t = sch_type_find(res->schema);
    json_t *copy = json_is_object(tmpl) ? json_deep_copy(tmpl) : json_object();
    json_t *wrap, *out;

    json_object_del(copy, "$patch");
    wrap = json_pack("{s:s,s:s,s:{},s:{s:o}}", "apiVersion", "apps/v1", "kind", "StatefulSet",
                     "metadata", "spec", "template", copy);
    /* decode as the server stores it, default, and decode again to normalise what the defaults
     * added; a template the schema refuses is hashed as it is */
    schema_decode(t, wrap, NULL, NULL);
    res_strategy(RES_STATEFULSETS)->defaults(wrap);
    schema_decode(t, wrap, NULL, NULL);
    out = json_deep_copy(jpath(wrap, "spec.template"));
    if (!out)
        out = json_object();
    prune(out, false);
    json_decref(wrap);
    return out;
}

json_t *sts__revision_data(const json_t *set)
{
    json_t *tmpl = sts__canonical_template(jpath(set, "spec.template"));

    jset_str(tmpl, "$patch", "replace");
    return json_pack("{s:{s:o}}", "spec", "template", tmpl);
}

/* The canonical text of a revision's data (NULL when it holds no template). */
static char *data_text(const json_t *data)
{
    const json_t *tmpl = jpath(data, "spec.template");
    json_t *canon, *d;
    char *s;

    if (!json_is_object(tmpl))
        return NULL;
    canon = sts__canonical_template(tmpl);
    jset_str(canon, "$patch", "replace");
    d = json_pack("{s:{s:o}}", "spec", "template", canon);
    s = json_dump_canonical(d);
    json_decref(d);
    return s;
}

void sts__revision_hash(const char *data, int collision_count, char out[16])
{
    uint32_t h = fnv32(data, strlen(data), FNV32_INIT);
    char num[24];

    if (collision_count >= 0) {
        snprintf(num, sizeof(num), "%d", collision_count);
        h = fnv32(num, strlen(num), h);
    }
    snprintf(num, sizeof(num), "%u", h);
    safe_encode_string(num, out, 16);
}

char *sts__revision_name(const char *prefix, const char *hash)
{
    size_t len = strlen(prefix);
    if (len > STS_REV_PREFIX_MAX)
        len = STS_REV_PREFIX_MAX;
    return xasprintf("%.*s-%s", (int)len, prefix, hash);
}

json_t *sts__new_revision(const json_t *set, int64_t revision, int collision_count)
{
    json_t *data = sts__revision_data(set), *labels, *annotations, *cr;
    char *text = json_dump_canonical(data), hash[16], *name;
    const json_t *tl = jpath(set, "spec.template.metadata.labels");
    const json_t *sa = jpath(set, "metadata.annotations");

    sts__revision_hash(text, collision_count, hash);
    name = sts__revision_name(jpath_str(set, "metadata.name"), hash);
    labels = json_is_object(tl) ? json_deep_copy(tl) : json_object();
    jset_str(labels, CR_LABEL_HASH, hash);
    annotations = json_is_object(sa) ? json_deep_copy(sa) : json_object();
    cr = json_pack("{s:s,s:s,s:{s:s,s:s?,s:o,s:o,s:[o]},s:o,s:I}", "apiVersion", "apps/v1", "kind",
                   "ControllerRevision", "metadata", "name", name, "namespace",
                   jpath_str(set, "metadata.namespace"), "labels", labels, "annotations",
                   annotations, "ownerReferences",
                   sts__controller_ref(set, "apps/v1", "StatefulSet"), "data", data, "revision",
                   (json_int_t)revision);
    if (!json_object_size(annotations))
        json_object_del(jget_obj(cr, "metadata"), "annotations");
    free(text);
    free(name);
    return cr;
}

bool sts__equal_revision(const json_t *a, const json_t *b)
{
    char *ta, *tb;
    bool eq;

    if (!a || !b)
        return a == b;
    ta = data_text(jget(a, "data"));
    tb = data_text(jget(b, "data"));
    eq = ta && tb && !strcmp(ta, tb);
    free(ta);
    free(tb);
    return eq;
}

static int64_t created_at(const json_t *obj)
{
    time_t t = 0;
    const char *s = jpath_str(obj, "metadata.creationTimestamp");
    if (s)
        ktime_parse(s, &t, NULL);
    return (int64_t)t;
}

static int cmp_revisions(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ra = jget_int(a, "revision", 0), rb = jget_int(b, "revision", 0);
    int64_t ca, cb;
    const char *na, *nb;

    if (ra != rb)
        return ra < rb ? -1 : 1;
    ca = created_at(a);
    cb = created_at(b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    na = jpath_str(a, "metadata.name");
    nb = jpath_str(b, "metadata.name");
    return strcmp(na ? na : "", nb ? nb : "");
}

void sts__sort_revisions(json_t **revs, size_t n)
{
    if (n > 1)
        qsort(revs, n, sizeof(*revs), cmp_revisions);
}

json_t *sts__apply_revision(const json_t *set, const json_t *rev)
{
    const struct sch_type *t = sch_type_find(resource_get(RES_STATEFULSETS)->schema);
    struct strbuf err = STRBUF_INIT;
    const json_t *data = jget(rev, "data");
    json_t *out = NULL;

    if (!json_is_object(data) || patch_strategic(t, set, data, &out, &err) < 0) {
        log_warn("statefulset", "cannot apply revision %s: %s", jpath_str(rev, "metadata.name"),
                 err.len ? err.buf : "no data");
        out = NULL;
    }
    strbuf_release(&err);
    return out;
}

/* --- creating and renumbering revisions (history.realHistory) --- */

#define UPDATE_RETRIES 4    /* retry.DefaultBackoff */
#define COLLISION_LIMIT 100 /* a guard; each collision moves to a new name */

/* CreateControllerRevision: on AlreadyExists, reuse the existing revision if it holds the same
 * template, else count a collision and try the next name. */
static int create_revision(struct sts_run *r, json_t *cr, int *collision_count, json_t **out,
                           struct sts_err *e)
{
    char *text = data_text(jget(cr, "data"));
    int rc = -EEXIST;

    for (int i = 0; i < COLLISION_LIMIT && rc == -EEXIST; i++) {
        struct kstatus st = {0};
        json_t *exists = NULL;
        char hash[16], *name, *etext;

        sts__revision_hash(text, *collision_count, hash);
        name = sts__revision_name(r->name, hash);
        jset_str(jget_obj(cr, "metadata"), "name", name);
        jset_str(jpath(cr, "metadata.labels"), CR_LABEL_HASH, hash);
        rc = kclient_create(r->ctl->client, RES_CONTROLLERREVISIONS, r->ns, cr, out, &st);
        if (rc == -EEXIST)
            rc = kclient_get(r->ctl->client, RES_CONTROLLERREVISIONS, r->ns, name, &exists, &st);
        else
            exists = NULL;
        free(name);
        if (rc < 0) {
            sts__err_client(e, rc, &st);
            break;
        }
        if (!exists)
            break; /* created */
        etext = data_text(jget(exists, "data"));
        if (etext && !strcmp(etext, text)) {
            free(etext);
            *out = exists;
            break;
        }
        free(etext);
        json_decref(exists);
        (*collision_count)++;
        rc = -EEXIST;
    }
    if (rc == -EEXIST)
        sts__errf(e, "too many ControllerRevision name collisions for StatefulSet %s/%s", r->ns,
                  r->name);
    free(text);
    return rc;
}

/* UpdateControllerRevision: only .revision changes (the data is immutable). */
static int renumber_revision(struct sts_run *r, const json_t *rev, int64_t revision, json_t **out,
                             struct sts_err *e)
{
    json_t *clone = json_deep_copy(rev);
    int rc = 0;

    for (int i = 0; i < UPDATE_RETRIES; i++) {
        struct kstatus st = {0};
        json_t *fresh = NULL;

        if (jget_int(clone, "revision", 0) == revision) {
            *out = clone;
            return 0;
        }
        jset_int(clone, "revision", revision);
        rc = kclient_update(r->ctl->client, RES_CONTROLLERREVISIONS, r->ns, clone, out, &st);
        if (rc == 0)
            break;
        sts__err_client(e, rc, &st);
        if (rc != -ESTALE)
            break;
        if (kclient_get(r->ctl->client, RES_CONTROLLERREVISIONS, r->ns,
                        jpath_str(rev, "metadata.name"), &fresh, NULL) < 0)
            break;
        json_decref(clone);
        clone = fresh;
    }
    json_decref(clone);
    return rc;
}

int sts__get_revisions(struct sts_run *r, json_t **revs, size_t n, struct sts_err *e)
{
    int64_t next = n ? jget_int(revs[n - 1], "revision", 0) + 1 : 1;
    const char *cur_name = jpath_str(r->set, "status.currentRevision");
    json_t *cand, *upd = NULL;
    ssize_t last_equal = -1;
    int rc = 0;

    r->collision_count = (int)jpath_int(r->set, "status.collisionCount", 0);
    cand = sts__new_revision(r->set, next, r->collision_count);
    for (size_t i = 0; i < n; i++)
        if (sts__equal_revision(revs[i], cand))
            last_equal = (ssize_t)i;
    if (last_equal >= 0 && (size_t)last_equal == n - 1) {
        /* the latest revision is the set's template: nothing changed */
        upd = json_incref(revs[n - 1]);
    } else if (last_equal >= 0) {
        /* an older revision holds this template: a rollback, renumbered as the newest */
        rc = renumber_revision(r, revs[last_equal], next, &upd, e);
    } else {
        rc = create_revision(r, cand, &r->collision_count, &upd, e);
    }
    json_decref(cand);
    if (rc < 0)
        return rc;
    r->upd_rev = upd;
    for (size_t i = 0; cur_name && i < n; i++) {
        const char *nm = jpath_str(revs[i], "metadata.name");
        if (nm && !strcmp(nm, cur_name)) {
            r->cur_rev = json_incref(revs[i]);
            break;
        }
    }
    if (!r->cur_rev)
        r->cur_rev = json_incref(upd);
    r->cur_name = jpath_str(r->cur_rev, "metadata.name");
    r->upd_name = jpath_str(r->upd_rev, "metadata.name");
    if (!r->cur_name)
        r->cur_name = "";
    if (!r->upd_name)
        r->upd_name = "";
    return 0;
}

/* --- truncation --- */

static bool in_list(const char *name, const char *const *live, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (live[i] && !strcmp(live[i], name))
            return true;
    return false;
}

int sts__truncate_history(struct sts_run *r, json_t *const *pods, size_t npods, json_t *const *revs,
                          size_t n, struct sts_err *e)
{
    const char **live = xcalloc(npods + 2, sizeof(*live));
    const json_t **hist = xcalloc(n + 1, sizeof(*hist));
    size_t nlive = 0, nhist = 0;
    int64_t limit = jpath_int(r->set, "spec.revisionHistoryLimit", 10);
    int rc = 0;

    if (r->cur_rev)
        live[nlive++] = jpath_str(r->cur_rev, "metadata.name");
    if (r->upd_rev)
        live[nlive++] = jpath_str(r->upd_rev, "metadata.name");
    for (size_t i = 0; i < npods; i++) {
        struct sts_facts tmp;
        live[nlive++] = sts__facts(r, pods[i], &tmp)->rev; /* borrowed from the pod */
    }
    for (size_t i = 0; i < n; i++) {
        const char *nm = jpath_str(revs[i], "metadata.name");
        if (nm && !in_list(nm, live, nlive))
            hist[nhist++] = revs[i];
    }
    if (limit >= 0 && nhist > (size_t)limit) {
        for (size_t i = 0; i < nhist - (size_t)limit; i++) {
            struct kstatus st = {0};
            const char *nm = jpath_str(hist[i], "metadata.name");
            rc = kclient_delete(r->ctl->client, RES_CONTROLLERREVISIONS, r->ns, nm, NULL, &st);
            if (rc == -ENOENT)
                rc = 0;
            if (rc < 0) {
                sts__err_client(e, rc, &st);
                break;
            }
        }
    }
    free(live);
    free(hist);
    return rc;
}

/* --- ownership --- */

bool sts__revision_is_candidate(const json_t *set, const struct label_selector *sel,
                                const json_t *rev)
{
    const json_t *ref = sts__controller_of(rev);
    const char *uid = jpath_str(set, "metadata.uid"), *ruid;

    if (!label_selector_matches(sel, jpath(rev, "metadata.labels")))
        return false;
    if (!ref)
        return true;
    ruid = jget_str(ref, "uid");
    return uid && ruid && !strcmp(uid, ruid);
}

int sts__adopt_revision(struct sts_control *ctl, const json_t *set, const json_t *rev, json_t **out,
                        struct sts_err *e)
{
    json_t *patch = json_pack("{s:{s:[o],s:s?}}", "metadata", "ownerReferences",
                              sts__controller_ref(set, "apps/v1", "StatefulSet"), "uid",
                              jpath_str(rev, "metadata.uid"));
    char *text = json_dump_compact(patch);
    struct kstatus st = {0};
    int rc;

    rc = kclient_patch(ctl->client, RES_CONTROLLERREVISIONS, jpath_str(rev, "metadata.namespace"),
                       jpath_str(rev, "metadata.name"), KPATCH_STRATEGIC, text, NULL, out, &st);
    if (rc < 0)
        sts__err_client(e, rc, &st);
    free(text);
    json_decref(patch);
    return rc;
}
