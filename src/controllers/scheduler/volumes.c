/* volumes.c — the VolumeBinding plugin (STATEFULSET.md §6): which nodes a pod's
 * PersistentVolumeClaims allow, and what has to be written for the chosen one.
 *
 * Upstream's rules, from pkg/scheduler/framework/plugins/volumebinding:
 *   - a claim is bound when it has spec.volumeName and the bind-completed annotation; its PV's
 *     node affinity restricts the nodes;
 *   - an unbound claim whose class is WaitForFirstConsumer is the scheduler's to bind: on the
 *     node being checked, the smallest fitting Available PV of its class (or one pre-bound to
 *     it), else dynamic provisioning if the class has a provisioner and allows the node's
 *     topology; a claim already annotated with selected-node only fits that node;
 *   - any other unbound claim (Immediate class, no class, or pre-bound through volumeName) keeps
 *     the pod Pending: the PV controller binds those.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/selector.h"
#include "controllers/scheduler/internal.h"
#include "controllers/volume/volume.h"

#define PV_ASSUME_TTL_MS 60000

static const char *ann(const json_t *obj, const char *key)
{
    return jget_str(jpath(obj, "metadata.annotations"), key);
}

static const char *claim_class(const json_t *pvc)
{
    const char *c = ann(pvc, ANN_BETA_STORAGE_CLASS);
    if (c)
        return c;
    c = jpath_str(pvc, "spec.storageClassName");
    return c ? c : "";
}

static const char *pv_class(const json_t *pv)
{
    const char *c = ann(pv, ANN_BETA_STORAGE_CLASS);
    if (c)
        return c;
    c = jpath_str(pv, "spec.storageClassName");
    return c ? c : "";
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static void claim_request(const json_t *pvc, struct quantity *q)
{
    const char *s = jpath_str(pvc, "spec.resources.requests.storage");
    memset(q, 0, sizeof(*q));
    if (s)
        quantity_parse(s, q);
}

void sched__pvols_release(struct pvols *pv)
{
    for (size_t i = 0; i < pv->n; i++) {
        json_decref(pv->c[i].pvc);
        json_decref(pv->c[i].pv);
        json_decref(pv->c[i].cls);
        if (pv->c[i].listed)
            informer_list_free(pv->c[i].cands, pv->c[i].ncands);
    }
    free(pv->c);
    memset(pv, 0, sizeof(*pv));
}

void sched__vplan_release(struct vplan *p)
{
    free(p->st);
    free(p->prov);
    memset(p, 0, sizeof(*p));
}

/* --- PreFilter --- */

/* The claim a volume uses: persistentVolumeClaim.claimName, or <pod>-<volume> for a generic
 * ephemeral volume. NULL for other volumes. */
static const char *volume_claim(const json_t *pod, const json_t *vol, struct strbuf *tmp,
                                bool *ephemeral)
{
    *ephemeral = false;
    const char *name = jpath_str(vol, "persistentVolumeClaim.claimName");
    if (name)
        return name;
    if (!json_is_object(jget(vol, "ephemeral")))
        return NULL;
    *ephemeral = true;
    strbuf_reset(tmp);
    strbuf_addf(tmp, "%s-%s", str_or_empty(jpath_str(pod, "metadata.name")),
                str_or_empty(jget_str(vol, "name")));
    return tmp->buf;
}

int sched__volumes_prefilter(struct sched *s, const json_t *pod, struct pvols *pv,
                             struct strbuf *msg)
{
    const char *ns = jpath_str(pod, "metadata.namespace");
    struct strbuf tmp = STRBUF_INIT;
    bool immediate = false;
    size_t i;
    json_t *vol;

    memset(pv, 0, sizeof(*pv));
    json_array_foreach (jpath(pod, "spec.volumes"), i, vol) {
        bool eph;
        const char *name = volume_claim(pod, vol, &tmp, &eph);
        if (!name)
            continue;
        json_t *pvc = informer_get(s->pvcs, ns, name);
        if (!pvc) {
            if (eph)
                strbuf_addf(msg,
                            "waiting for ephemeral volume controller to create the "
                            "persistentvolumeclaim \"%s\"",
                            name);
            else
                strbuf_addf(msg, "persistentvolumeclaim \"%s\" not found", name);
            goto unschedulable;
        }
        const char *phase = jpath_str(pvc, "status.phase");
        const char *vname = str_or_empty(jpath_str(pvc, "spec.volumeName"));
        if (phase && !strcmp(phase, "Lost")) {
            strbuf_addf(msg,
                        "persistentvolumeclaim \"%s\" bound to non-existent "
                        "persistentvolume \"%s\"",
                        name, vname);
            json_decref(pvc);
            goto unschedulable;
        }
        if (jpath(pvc, "metadata.deletionTimestamp")) {
            strbuf_addf(msg, "persistentvolumeclaim \"%s\" is being deleted", name);
            json_decref(pvc);
            goto unschedulable;
        }

        pv->c = xrealloc(pv->c, (pv->n + 1) * sizeof(*pv->c));
        struct pclaim *c = &pv->c[pv->n++];
        memset(c, 0, sizeof(*c));
        c->pvc = pvc;
        claim_request(pvc, &c->req);
        if (*vname && ann(pvc, ANN_BIND_COMPLETED)) {
            c->kind = PCLAIM_BOUND;
            c->pv = informer_get(s->pvs, NULL, vname);
            continue;
        }
        /* Unbound: delayed only for an existing WaitForFirstConsumer class (a missing class
         * reads as Immediate, as upstream's IsDelayBindingMode). */
        const char *cname = claim_class(pvc);
        json_t *cls = *cname ? informer_get(s->classes, NULL, cname) : NULL;
        const char *mode = jget_str(cls, "volumeBindingMode");
        if (!*vname && mode && !strcmp(mode, "WaitForFirstConsumer")) {
            c->kind = PCLAIM_DELAY;
            c->cls = cls;
        } else {
            c->kind = PCLAIM_IMMEDIATE;
            immediate = true;
            json_decref(cls);
        }
    }
    strbuf_release(&tmp);
    if (immediate) {
        strbuf_addstr(msg, "pod has unbound immediate PersistentVolumeClaims");
        return 1;
    }
    return 0;

unschedulable:
    strbuf_release(&tmp);
    return 1;
}

/* --- Filter --- */

static bool pv_bound_to_claim(const json_t *vol, const json_t *pvc)
{
    const json_t *ref = jpath(vol, "spec.claimRef");
    if (!json_is_object(ref))
        return false;
    if (strcmp(str_or_empty(jget_str(ref, "name")),
               str_or_empty(jpath_str(pvc, "metadata.name"))) ||
        strcmp(str_or_empty(jget_str(ref, "namespace")),
               str_or_empty(jpath_str(pvc, "metadata.namespace"))))
        return false;
    const char *uid = jget_str(ref, "uid");
    return !uid || !*uid || !strcmp(uid, str_or_empty(jpath_str(pvc, "metadata.uid")));
}

static bool access_modes_ok(const json_t *pvc, const json_t *vol)
{
    size_t i, j;
    json_t *m, *h;
    json_array_foreach (jpath(pvc, "spec.accessModes"), i, m) {
        bool found = false;
        json_array_foreach (jpath(vol, "spec.accessModes"), j, h)
            if (json_equal(m, h))
                found = true;
        if (!found)
            return false;
    }
    return true;
}

static bool volume_mode_mismatch(const json_t *pvc, const json_t *vol)
{
    const char *a = jpath_str(pvc, "spec.volumeMode"), *b = jpath_str(vol, "spec.volumeMode");
    return strcmp(a ? a : "Filesystem", b ? b : "Filesystem") != 0;
}

/* Our own pre-binding not yet visible in the informer: for which claim is vol taken? */
static const char *assumed_for(struct sched *s, const json_t *vol)
{
    const char *name = jpath_str(vol, "metadata.name");
    struct pv_assume *a = name ? sched__map_get(&s->pv_assumed, name) : NULL;
    if (!a || s->now_ms() - a->at_ms > PV_ASSUME_TTL_MS)
        return NULL;
    return a->claim;
}

static bool chosen_has(json_t **chosen, size_t n, const json_t *vol)
{
    for (size_t i = 0; i < n; i++)
        if (chosen[i] == vol)
            return true;
    return false;
}

static int cmp_pv_names(const void *a, const void *b)
{
    return strcmp(str_or_empty(jpath_str(*(json_t *const *)a, "metadata.name")),
                  str_or_empty(jpath_str(*(json_t *const *)b, "metadata.name")));
}

/* The PVs find_matching can accept for c: those whose claimRef names it and those with none
 * (our own pre-bindings not yet seen are among these), in the order of the informer's list,
 * by name, which decides between volumes of the same size. */
static void list_candidates(struct sched *s, struct pclaim *c)
{
    char *key;
    json_t **mine, **free_;
    size_t nmine, nfree;

    if (c->listed)
        return;
    key = xasprintf("%s/%s", str_or_empty(jpath_str(c->pvc, "metadata.namespace")),
                    str_or_empty(jpath_str(c->pvc, "metadata.name")));
    nmine = informer_by_index(s->pvs, VOL_INDEX_CLAIM_REF, key, &mine);
    nfree = informer_by_index(s->pvs, VOL_INDEX_CLAIM_REF, "", &free_);
    free(key);
    c->ncands = nmine + nfree;
    c->cands = xrealloc(mine, (c->ncands ? c->ncands : 1) * sizeof(*c->cands));
    if (nfree)
        memcpy(c->cands + nmine, free_, nfree * sizeof(*free_));
    free(free_);
    if (c->ncands)
        qsort(c->cands, c->ncands, sizeof(*c->cands), cmp_pv_names);
    c->listed = true;
}

void sched__volumes_list(struct sched *s, struct pvols *pv)
{
    for (size_t i = 0; i < pv->n; i++)
        if (pv->c[i].kind == PCLAIM_DELAY && !ann(pv->c[i].pvc, ANN_SELECTED_NODE))
            list_candidates(s, &pv->c[i]);
}

/* upstream FindMatchingVolume on the scheduler path (node set, delayBinding). */
static json_t *find_matching(struct sched *s, struct pclaim *c, const json_t *node, json_t **chosen,
                             size_t nchosen)
{
    const char *cls = claim_class(c->pvc);
    char *claim_key = xasprintf("%s/%s", str_or_empty(jpath_str(c->pvc, "metadata.namespace")),
                                str_or_empty(jpath_str(c->pvc, "metadata.name")));
    const char *vac = str_or_empty(jpath_str(c->pvc, "spec.volumeAttributesClassName"));
    struct label_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    json_t *best = NULL;
    struct quantity best_q = {0};

    const json_t *sj = jpath(c->pvc, "spec.selector");
    if (json_is_object(sj) && label_selector_from_json(sj, &sel, &err) < 0)
        goto out; /* upstream: an error, the claim matches nothing */

    list_candidates(s, c);
    for (size_t i = 0; i < c->ncands; i++) {
        json_t *vol = c->cands[i];
        if (strcmp(pv_class(vol), cls) || chosen_has(chosen, nchosen, vol))
            continue;
        const char *taken = assumed_for(s, vol);
        bool bound = pv_bound_to_claim(vol, c->pvc) || (taken && !strcmp(taken, claim_key));
        if (!bound && (json_is_object(jpath(vol, "spec.claimRef")) || taken))
            continue;
        struct quantity cap = {0};
        const char *caps = jpath_str(vol, "spec.capacity.storage");
        if (!caps || quantity_parse(caps, &cap) < 0 || quantity_cmp(&cap, &c->req) < 0)
            continue;
        if (volume_mode_mismatch(c->pvc, vol) ||
            strcmp(vac, str_or_empty(jpath_str(vol, "spec.volumeAttributesClassName"))) ||
            jpath(vol, "metadata.deletionTimestamp"))
            continue;
        bool affinity = sched__pv_node_affinity_matches(vol, node);
        if (bound) {
            best = affinity ? vol : NULL;
            goto out;
        }
        const char *phase = jpath_str(vol, "status.phase");
        if (!phase || strcmp(phase, "Available"))
            continue;
        if (sel && !label_selector_matches(sel, jpath(vol, "metadata.labels")))
            continue;
        if (!affinity || !access_modes_ok(c->pvc, vol))
            continue;
        if (!best || quantity_cmp(&best_q, &cap) > 0) {
            best = vol;
            best_q = cap;
        }
    }
out:
    label_selector_free(sel);
    strbuf_release(&err);
    free(claim_key);
    return best;
}

static int cmp_req(const void *a, const void *b)
{
    const struct pclaim *x = *(const struct pclaim *const *)a,
                        *y = *(const struct pclaim *const *)b;
    return quantity_cmp(&x->req, &y->req);
}

/* upstream checkVolumeProvisions: can every claim be provisioned on node? */
static bool provisions_ok(struct pclaim **claims, size_t n, const json_t *node)
{
    for (size_t i = 0; i < n; i++) {
        const char *prov = jget_str(claims[i]->cls, "provisioner");
        if (!prov || !*prov || !strcmp(prov, NO_PROVISIONER))
            return false;
        if (!sched__topology_matches(claims[i]->cls, node))
            return false;
    }
    return true;
}

int sched__volumes_filter(struct sched *s, struct pvols *pv, const json_t *node, struct vplan *plan,
                          const char *reasons[4])
{
    const char *nname = str_or_empty(jpath_str(node, "metadata.name"));
    bool bound_ok = true, unbound_ok = true, pv_found = true;
    struct pclaim **match = NULL, **prov = NULL;
    size_t nmatch = 0, nprov = 0, i;
    json_t **chosen = NULL;
    int n = 0;

    memset(plan, 0, sizeof(*plan));
    for (i = 0; i < pv->n; i++) {
        struct pclaim *c = &pv->c[i];
        if (c->kind != PCLAIM_BOUND)
            continue;
        if (!c->pv) {
            pv_found = false;
            break;
        }
        if (!sched__pv_node_affinity_matches(c->pv, node)) {
            bound_ok = false;
            break;
        }
    }
    if (!bound_ok || !pv_found)
        goto out;

    for (i = 0; i < pv->n; i++) {
        struct pclaim *c = &pv->c[i];
        if (c->kind != PCLAIM_DELAY)
            continue;
        const char *sel = ann(c->pvc, ANN_SELECTED_NODE);
        if (sel) {
            if (strcmp(sel, nname)) {
                unbound_ok = false; /* upstream's fast path: only the selected node fits */
                goto out;
            }
            prov = xrealloc(prov, (nprov + 1) * sizeof(*prov));
            prov[nprov++] = c;
        } else {
            match = xrealloc(match, (nmatch + 1) * sizeof(*match));
            match[nmatch++] = c;
        }
    }
    if (nmatch) {
        qsort(match, nmatch, sizeof(*match), cmp_req);
        chosen = xcalloc(nmatch, sizeof(*chosen));
        for (i = 0; i < nmatch; i++) {
            json_t *vol = find_matching(s, match[i], node, chosen, plan->nstatic);
            if (!vol) {
                prov = xrealloc(prov, (nprov + 1) * sizeof(*prov));
                prov[nprov++] = match[i];
                unbound_ok = false;
                continue;
            }
            chosen[plan->nstatic] = vol;
            plan->st = xrealloc(plan->st, (plan->nstatic + 1) * sizeof(*plan->st));
            plan->st[plan->nstatic].pv = vol;
            plan->st[plan->nstatic].pvc = match[i]->pvc;
            plan->nstatic++;
        }
    }
    if (nprov) {
        unbound_ok = provisions_ok(prov, nprov, node);
        if (unbound_ok) {
            plan->prov = xcalloc(nprov, sizeof(*plan->prov));
            for (i = 0; i < nprov; i++)
                plan->prov[i] = prov[i]->pvc;
            plan->nprov = nprov;
        }
    }

out:
    free(match);
    free(prov);
    free(chosen);
    /* upstream's order of the reasons */
    if (!bound_ok)
        reasons[n++] = "node(s) had volume node affinity conflict";
    if (!unbound_ok)
        reasons[n++] = "node(s) didn't find available persistent volumes to bind";
    if (!pv_found)
        reasons[n++] = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
    if (n)
        sched__vplan_release(plan);
    return n;
}
