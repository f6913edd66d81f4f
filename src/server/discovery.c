/* discovery.c — /version, /api, /apis and the per group-version resource lists, legacy and
 * aggregated (apidiscovery.k8s.io v2 / v2beta1), negotiated from Accept (KUBECTL.md §3). */
#include <string.h>

#include "base/alloc.h"
#include "server/internal.h"

static const char *const all_verbs[] = {"create", "delete", "deletecollection", "get",
                                        "list",   "patch",  "update",           "watch", NULL};
static const char *const ns_verbs[] = {"create", "delete", "get", "list",
                                       "patch",  "update", "watch", NULL};
static const char *const status_verbs[] = {"get", "patch", "update", NULL};

struct subres {
    const char *name;
    unsigned flag;
    const char *group, *version, *kind; /* NULL: the resource's own */
    const char *const *verbs;
};

static const struct subres subresources[] = {
    {"status", RES_SUB_STATUS, NULL, NULL, NULL, status_verbs},
    {"scale", RES_SUB_SCALE, "autoscaling", "v1", "Scale", status_verbs},
    {"binding", RES_SUB_BINDING, "", "v1", "Binding", (const char *const[]){"create", NULL}},
    {"finalize", RES_SUB_FINALIZE, NULL, NULL, NULL, (const char *const[]){"update", NULL}},
};

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static const char *const *verbs_of(const struct resource *r)
{
    return r->id == RES_NAMESPACES ? ns_verbs : all_verbs;
}

/* The groups we serve, in discovery order (core first). */
static size_t groups(const char **out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < RES_COUNT; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(out[j], resources[i].group))
                seen = true;
        if (!seen && n < max)
            out[n++] = resources[i].group;
    }
    return n;
}

static json_t *legacy_resource_list(const char *group, const char *gv)
{
    json_t *list = json_object(), *arr = json_array();
    jset_str(list, "kind", "APIResourceList");
    jset_str(list, "apiVersion", "v1");
    jset_str(list, "groupVersion", gv);
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (strcmp(r->group, group))
            continue;
        json_t *e = json_object();
        jset_str(e, "name", r->plural);
        jset_str(e, "singularName", r->singular);
        jset_bool(e, "namespaced", r->namespaced);
        jset_str(e, "kind", r->kind);
        json_object_set_new(e, "verbs", strings(verbs_of(r)));
        if (r->short_names[0])
            json_object_set_new(e, "shortNames", strings(r->short_names));
        if (r->categories[0])
            json_object_set_new(e, "categories", strings(r->categories));
        json_array_append_new(arr, e);
        for (size_t s = 0; s < ARRAY_SIZE(subresources); s++) {
            const struct subres *sr = &subresources[s];
            if (!(r->flags & sr->flag))
                continue;
            json_t *se = json_object();
            char *name = xasprintf("%s/%s", r->plural, sr->name);
            jset_str(se, "name", name);
            free(name);
            jset_str(se, "singularName", "");
            jset_bool(se, "namespaced", r->namespaced);
            if (sr->group && *sr->group)
                jset_str(se, "group", sr->group);
            if (sr->version)
                jset_str(se, "version", sr->version);
            jset_str(se, "kind", sr->kind ? sr->kind : r->kind);
            json_object_set_new(se, "verbs", strings(sr->verbs));
            json_array_append_new(arr, se);
        }
    }
    json_object_set_new(list, "resources", arr);
    return list;
}

static json_t *response_kind(const char *group, const char *version, const char *kind)
{
    json_t *k = json_object();
    jset_str(k, "group", group);
    jset_str(k, "version", version);
    jset_str(k, "kind", kind);
    return k;
}

static json_t *aggregated_group(const char *group)
{
    json_t *item = json_object(), *meta = json_object(), *res = json_array();
    jset_str(meta, "name", group);
    json_object_set_new(item, "metadata", meta);
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (strcmp(r->group, group))
            continue;
        json_t *e = json_object();
        jset_str(e, "resource", r->plural);
        json_object_set_new(e, "responseKind", response_kind(r->group, r->version, r->kind));
        jset_str(e, "scope", r->namespaced ? "Namespaced" : "Cluster");
        jset_str(e, "singularResource", r->singular);
        json_object_set_new(e, "verbs", strings(verbs_of(r)));
        if (r->short_names[0])
            json_object_set_new(e, "shortNames", strings(r->short_names));
        if (r->categories[0])
            json_object_set_new(e, "categories", strings(r->categories));
        json_t *subs = json_array();
        for (size_t s = 0; s < ARRAY_SIZE(subresources); s++) {
            const struct subres *sr = &subresources[s];
            if (!(r->flags & sr->flag))
                continue;
            json_t *se = json_object();
            jset_str(se, "subresource", sr->name);
            json_object_set_new(se, "responseKind",
                                response_kind(sr->kind ? sr->group : r->group,
                                              sr->kind ? sr->version : r->version,
                                              sr->kind ? sr->kind : r->kind));
            json_object_set_new(se, "verbs", strings(sr->verbs));
            json_array_append_new(subs, se);
        }
        if (json_array_size(subs))
            json_object_set_new(e, "subresources", subs);
        else
            json_decref(subs);
        json_array_append_new(res, e);
    }
    json_t *versions = json_array(), *v = json_object();
    jset_str(v, "version", "v1");
    json_object_set_new(v, "resources", res);
    jset_str(v, "freshness", "Current");
    json_array_append_new(versions, v);
    json_object_set_new(item, "versions", versions);
    return item;
}

/* Which aggregated discovery version the client accepts, in its order of preference:
 * "v2", "v2beta1", or NULL for legacy. */
static const char *negotiate(const struct req *rq)
{
    const char *accept = req_header(rq, "Accept");
    if (!accept)
        return NULL;
    char *copy = xstrdup(accept), *save = NULL;
    const char *found = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !found; tok = strtok_r(NULL, ",", &save)) {
        if (!strstr(tok, "as=APIGroupDiscoveryList") || !strstr(tok, "g=apidiscovery.k8s.io"))
            continue;
        if (strstr(tok, "v=v2beta1"))
            found = "v2beta1";
        else if (strstr(tok, "v=v2"))
            found = "v2";
    }
    free(copy);
    return found;
}

static void send_aggregated(struct resp *rs, const char *ver, bool core)
{
    json_t *list = json_object(), *items = json_array();
    char *api = xasprintf("apidiscovery.k8s.io/%s", ver);
    jset_str(list, "kind", "APIGroupDiscoveryList");
    jset_str(list, "apiVersion", api);
    free(api);
    json_object_set_new(list, "metadata", json_object());
    if (core) {
        json_array_append_new(items, aggregated_group(""));
    } else {
        const char *g[16];
        size_t n = groups(g, 16);
        for (size_t i = 0; i < n; i++)
            if (*g[i])
                json_array_append_new(items, aggregated_group(g[i]));
    }
    json_object_set_new(list, "items", items);
    resp_json(rs, 200, list);
    rs->content_type = !strcmp(ver, "v2")
                           ? "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
                           : "application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
                             "APIGroupDiscoveryList";
}

static json_t *group_version(const char *group)
{
    json_t *gv = json_object();
    char *s = xasprintf("%s/v1", group);
    jset_str(gv, "groupVersion", s);
    jset_str(gv, "version", "v1");
    free(s);
    return gv;
}

static json_t *api_group(const char *group)
{
    json_t *g = json_object(), *versions = json_array();
    jset_str(g, "name", group);
    json_array_append_new(versions, group_version(group));
    json_object_set_new(g, "versions", versions);
    json_object_set_new(g, "preferredVersion", group_version(group));
    return g;
}

static void send_version(struct resp *rs)
{
    static const char body[] =
        "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.4-berth\","
        "\"gitCommit\":\"0000000000000000000000000000000000000000\",\"gitTreeState\":\"clean\","
        "\"buildDate\":\"2026-11-25T00:00:00Z\",\"goVersion\":\"go1.23.0\",\"compiler\":\"gc\","
        "\"platform\":\"linux/amd64\"}";
    resp_raw(rs, 200, "application/json", body, sizeof(body) - 1);
}

bool discovery_handle(struct req *rq, struct resp *rs)
{
    const char *u = rq->url;
    if (strcmp(rq->method, "GET"))
        return false;
    if (!strcmp(u, "/version") || !strcmp(u, "/version/")) {
        send_version(rs);
        return true;
    }
    if (!strcmp(u, "/api") || !strcmp(u, "/api/")) {
        const char *ver = negotiate(rq);
        if (ver) {
            send_aggregated(rs, ver, true);
            return true;
        }
        json_t *v = json_object(), *cidrs = json_array(), *c = json_object();
        char *addr = xasprintf("%s:%u", rq->srv->listen_host, rq->srv->port);
        jset_str(v, "kind", "APIVersions");
        json_object_set_new(v, "versions", strings((const char *const[]){"v1", NULL}));
        jset_str(c, "clientCIDR", "0.0.0.0/0");
        jset_str(c, "serverAddress", addr);
        free(addr);
        json_array_append_new(cidrs, c);
        json_object_set_new(v, "serverAddressByClientCIDRs", cidrs);
        resp_json(rs, 200, v);
        return true;
    }
    if (!strcmp(u, "/apis") || !strcmp(u, "/apis/")) {
        const char *ver = negotiate(rq);
        if (ver) {
            send_aggregated(rs, ver, false);
            return true;
        }
        json_t *l = json_object(), *arr = json_array();
        const char *g[16];
        size_t n = groups(g, 16);
        jset_str(l, "kind", "APIGroupList");
        jset_str(l, "apiVersion", "v1");
        for (size_t i = 0; i < n; i++)
            if (*g[i])
                json_array_append_new(arr, api_group(g[i]));
        json_object_set_new(l, "groups", arr);
        resp_json(rs, 200, l);
        return true;
    }
    if (!strcmp(u, "/api/v1") || !strcmp(u, "/api/v1/")) {
        resp_json(rs, 200, legacy_resource_list("", "v1"));
        return true;
    }
    if (!strncmp(u, "/apis/", 6)) {
        const char *g[16];
        size_t n = groups(g, 16);
        for (size_t i = 0; i < n; i++) {
            if (!*g[i])
                continue;
            size_t gl = strlen(g[i]);
            const char *rest = u + 6;
            if (strncmp(rest, g[i], gl))
                continue;
            rest += gl;
            if (!*rest || !strcmp(rest, "/")) {
                json_t *grp = api_group(g[i]);
                jset_str(grp, "kind", "APIGroup");
                jset_str(grp, "apiVersion", "v1");
                resp_json(rs, 200, grp);
                return true;
            }
            if (!strcmp(rest, "/v1") || !strcmp(rest, "/v1/")) {
                char *gv = xasprintf("%s/v1", g[i]);
                resp_json(rs, 200, legacy_resource_list(g[i], gv));
                free(gv);
                return true;
            }
        }
    }
    return false;
}
