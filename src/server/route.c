/* route.c — from a URL to a handler: discovery, OpenAPI, and the resource paths
 *   /api/v1[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
 *   /apis/GROUP/VERSION[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
 */
#include <string.h>

#include "base/alloc.h"
#include "server/internal.h"
#include "server/openapi.h"

#define MAX_SEGS 12

static void not_found(struct resp *rs)
{
    struct api_err e = API_ERR_INIT;
    api_err_set(&e, 404, "NotFound", "the server could not find the requested resource");
    resp_error(rs, &e);
}

static void method_not_allowed(struct resp *rs)
{
    struct api_err e = API_ERR_INIT;
    api_err_method_not_allowed(&e, "the server does not allow this method on the requested "
                                   "resource");
    resp_error(rs, &e);
}

static bool serve_openapi(struct req *rq, struct resp *rs)
{
    const char *u = rq->url;
    if (strncmp(u, "/openapi/", 9))
        return false;
    if (strcmp(rq->method, "GET")) {
        method_not_allowed(rs);
        return true;
    }
    size_t len;
    if (!strcmp(u, "/openapi/v3") || !strcmp(u, "/openapi/v3/")) {
        const char *doc = openapi_v3_root(&len);
        resp_raw(rs, 200, "application/json", doc, len);
        return true;
    }
    if (!strncmp(u, "/openapi/v3/", 12)) {
        const char *etag = NULL;
        const char *doc = openapi_v3_doc(u + 12, &len, &etag);
        if (doc) {
            resp_raw(rs, 200, "application/json", doc, len);
            return true;
        }
    }
    not_found(rs);
    return true;
}

/* Split the path into segments (pointers into buf). */
static int split(const char *url, char *buf, size_t bufsz, char **segs)
{
    int n = 0;
    snprintf(buf, bufsz, "%s", url);
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS)
            return -1;
        segs[n++] = t;
    }
    return n;
}

static bool parse_resource_path(char **segs, int n, struct route *rt)
{
    const char *group, *version;
    int i;

    memset(rt, 0, sizeof(*rt));
    if (n >= 2 && !strcmp(segs[0], "api")) {
        group = "";
        version = segs[1];
        i = 2;
    } else if (n >= 3 && !strcmp(segs[0], "apis")) {
        group = segs[1];
        version = segs[2];
        i = 3;
    } else {
        return false;
    }
    if (i < n && !strcmp(segs[i], "watch")) {
        rt->watch_path = true;
        i++;
    }
    if (i >= n)
        return false;
    /* namespaces/NS/RESOURCE... unless it is the namespaces resource itself. */
    if (!strcmp(segs[i], "namespaces") && i + 2 < n &&
        resource_by_plural(group, version, segs[i + 2]) &&
        resource_by_plural(group, version, segs[i + 2])->namespaced) {
        rt->ns = segs[i + 1];
        i += 2;
    }
    rt->res = resource_by_plural(group, version, segs[i]);
    if (!rt->res)
        return false;
    i++;
    if (i < n)
        rt->name = segs[i++];
    if (i < n)
        rt->sub = segs[i++];
    if (i < n)
        return false;
    if (rt->ns && !rt->res->namespaced)
        return false;
    return true;
}

void server_dispatch(struct req *rq, struct resp *rs)
{
    char buf[2048];
    char *segs[MAX_SEGS];
    struct route rt;

    if (discovery_handle(rq, rs))
        return;
    if (serve_openapi(rq, rs))
        return;
    int n = split(rq->url, buf, sizeof(buf), segs);
    if (n < 0 || !parse_resource_path(segs, n, &rt)) {
        not_found(rs);
        return;
    }
    const char *m = rq->method;
    if (rt.watch_path) {
        if (strcmp(m, "GET") || rt.sub) {
            method_not_allowed(rs);
            return;
        }
        watch_serve(rq, rs, &rt);
        return;
    }
    if (rt.sub) {
        rest_subresource(rq, rs, &rt);
        return;
    }
    if (!rt.name) {
        if (!strcmp(m, "GET")) {
            if (req_query_bool(rq, "watch"))
                watch_serve(rq, rs, &rt);
            else
                rest_list(rq, rs, &rt);
        } else if (!strcmp(m, "POST") && (rt.ns || !rt.res->namespaced)) {
            rest_create(rq, rs, &rt);
        } else if (!strcmp(m, "DELETE") && rt.res->id != RES_NAMESPACES) {
            rest_delete_collection(rq, rs, &rt);
        } else {
            method_not_allowed(rs);
        }
        return;
    }
    if (rt.res->namespaced && !rt.ns) {
        not_found(rs);
        return;
    }
    if (!strcmp(m, "GET"))
        rest_get(rq, rs, &rt);
    else if (!strcmp(m, "PUT"))
        rest_update(rq, rs, &rt);
    else if (!strcmp(m, "PATCH"))
        rest_patch(rq, rs, &rt);
    else if (!strcmp(m, "DELETE"))
        rest_delete(rq, rs, &rt);
    else
        method_not_allowed(rs);
}
