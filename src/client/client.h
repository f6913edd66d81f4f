/* client.h — the Kubernetes API client every controller, the node agent and the DNS use.
 *
 * Controllers reach state only through this client (DESIGN.md §1), never through the store.
 * A client is a table of operations (struct kclient_ops) so that tests can substitute an
 * in-memory fake (client/fake.h) for the real HTTP client (libcurl, HTTPS with a bearer token,
 * or plain HTTP over the server's unix socket for in-process use).
 *
 * Objects are jansson values. Functions returning an object give the caller a new reference.
 * Every call is thread-safe.
 *
 * Errors: 0 on success, or a negative errno mapped from the HTTP status:
 *   -ENOENT   404 NotFound             -EEXIST   409 AlreadyExists
 *   -ESTALE   409 Conflict             -EINVAL   400 BadRequest, 422 Invalid
 *   -EACCES   401, 403                 -ETIME    410 Gone / Expired (watch too old)
 *   -E2BIG    413                      -EAGAIN   429, 503, 504 (retry later)
 *   -EIO      transport failure or any other status
 * When `st` is not NULL it receives the Status the server sent (code, reason, message).
 */
#ifndef BERTH_CLIENT_H
#define BERTH_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/resource.h"
#include "base/json.h"

struct kstatus {
    int code;          /* HTTP status, 0 for a transport failure */
    char reason[64];   /* metav1.Status reason, "" if none */
    char message[512]; /* truncated */
};

enum kpatch_type { KPATCH_MERGE, KPATCH_STRATEGIC, KPATCH_JSON };

struct kdelete_opts {
    int64_t grace_seconds;    /* -1: the object's default */
    const char *propagation;  /* "Background", "Foreground", "Orphan" or NULL */
    const char *uid;          /* precondition, or NULL */
    const char *resource_version; /* precondition, or NULL */
};
#define KDELETE_OPTS_INIT {-1, NULL, NULL, NULL}

struct klist_opts {
    const char *label_selector; /* NULL: everything */
    const char *field_selector; /* NULL: everything */
};

/* A watch event delivered to a callback: type is "ADDED", "MODIFIED", "DELETED", "BOOKMARK"
 * or "ERROR"; obj is borrowed for the duration of the call. Return non-zero to stop. */
typedef int (*kwatch_cb)(void *ctx, const char *type, json_t *obj);

struct kclient;

struct kclient_ops {
    int (*get)(struct kclient *c, enum res_id r, const char *ns, const char *name, json_t **out,
               struct kstatus *st);
    /* A List object ({"metadata":{"resourceVersion"}, "items":[...]}) in *out. ns NULL: all. */
    int (*list)(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                json_t **out, struct kstatus *st);
    int (*create)(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                  json_t **out, struct kstatus *st);
    /* PUT of the object (sub NULL) or of a subresource ("status"). */
    int (*update)(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                  const char *sub, json_t **out, struct kstatus *st);
    int (*patch)(struct kclient *c, enum res_id r, const char *ns, const char *name,
                 enum kpatch_type type, const char *patch, const char *sub, json_t **out,
                 struct kstatus *st);
    int (*del)(struct kclient *c, enum res_id r, const char *ns, const char *name,
               const struct kdelete_opts *o, struct kstatus *st);
    /* POST pods/<name>/binding. */
    int (*bind)(struct kclient *c, const char *ns, const char *pod, const char *node,
                struct kstatus *st);
    /* Watch from resource_version (NULL or "": from now with the current state as ADDED
     * events). Blocks, calling cb for each event, until cb returns non-zero, the server
     * ends the stream (timeout_seconds > 0 asks it to), *stop becomes true (noticed within
     * about a second), or an error. Returns 0 when the stream ended normally, cb asked to
     * stop or *stop was set. A stream the server ends with an ERROR event returns that
     * event's errno (-ETIME for 410 Expired: the revision is too old) after cb has seen it. */
    int (*watch)(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                 const char *resource_version, int timeout_seconds, kwatch_cb cb, void *ctx,
                 volatile bool *stop, struct kstatus *st);
    void (*free)(struct kclient *c);
};

struct kclient {
    const struct kclient_ops *ops;
    /* A wrapper over another client (a test's API simulator over the fake): the one it
     * forwards to, so that the fake's informer bookkeeping (kfake_flush) sees through it. */
    struct kclient *wraps;
};

/* --- the real client (client.c) --- */

struct kclient_config {
    const char *server;      /* "https://127.0.0.1:6443", or "unix:/path/to/socket" (plain HTTP) */
    const char *token;       /* bearer token, or NULL */
    const char *ca_pem;      /* CA certificate (PEM text) to verify the server, or NULL */
    const char *user_agent;  /* e.g. "berth-controller/statefulset" */
    double qps;              /* client-side rate limit; 0: none */
    int burst;
};

/* A client of cfg->server (copied; cfg may go away). Connections are kept alive and reused;
 * with a CA the server is verified against it alone; proxy variables are ignored. -EINVAL for
 * a server that is neither http(s):// nor unix:. */
int kclient_new(const struct kclient_config *cfg, struct kclient **out);
/* From a kubeconfig file (current context; server, certificate-authority-data or
 * certificate-authority, token). The reader understands the YAML subset kubeconfig files use
 * (block mappings, "- " lists of mappings, plain and quoted scalars, comments), not YAML at
 * large; client certificates and exec/auth-provider plugins are not supported. -ENOENT when no
 * context names a server. */
int kclient_from_kubeconfig(const char *path, const char *user_agent, struct kclient **out);

/* --- dispatch helpers (thin wrappers over ops) --- */
static inline int kclient_get(struct kclient *c, enum res_id r, const char *ns, const char *name,
                              json_t **out, struct kstatus *st)
{
    return c->ops->get(c, r, ns, name, out, st);
}
static inline int kclient_list(struct kclient *c, enum res_id r, const char *ns,
                               const struct klist_opts *o, json_t **out, struct kstatus *st)
{
    return c->ops->list(c, r, ns, o, out, st);
}
static inline int kclient_create(struct kclient *c, enum res_id r, const char *ns,
                                 const json_t *obj, json_t **out, struct kstatus *st)
{
    return c->ops->create(c, r, ns, obj, out, st);
}
static inline int kclient_update(struct kclient *c, enum res_id r, const char *ns,
                                 const json_t *obj, json_t **out, struct kstatus *st)
{
    return c->ops->update(c, r, ns, obj, NULL, out, st);
}
static inline int kclient_update_status(struct kclient *c, enum res_id r, const char *ns,
                                        const json_t *obj, json_t **out, struct kstatus *st)
{
    return c->ops->update(c, r, ns, obj, "status", out, st);
}
static inline int kclient_patch(struct kclient *c, enum res_id r, const char *ns,
                                const char *name, enum kpatch_type t, const char *patch,
                                const char *sub, json_t **out, struct kstatus *st)
{
    return c->ops->patch(c, r, ns, name, t, patch, sub, out, st);
}
static inline int kclient_delete(struct kclient *c, enum res_id r, const char *ns,
                                 const char *name, const struct kdelete_opts *o,
                                 struct kstatus *st)
{
    return c->ops->del(c, r, ns, name, o, st);
}
static inline int kclient_bind(struct kclient *c, const char *ns, const char *pod,
                               const char *node, struct kstatus *st)
{
    return c->ops->bind(c, ns, pod, node, st);
}
static inline int kclient_watch(struct kclient *c, enum res_id r, const char *ns,
                                const struct klist_opts *o, const char *rv, int timeout_seconds,
                                kwatch_cb cb, void *ctx, volatile bool *stop, struct kstatus *st)
{
    return c->ops->watch(c, r, ns, o, rv, timeout_seconds, cb, ctx, stop, st);
}
static inline void kclient_free(struct kclient *c)
{
    if (c)
        c->ops->free(c);
}

/* Map an HTTP status (and Status reason) to the errno above. */
int kclient_errno(int http_code, const char *reason);

#endif
