/* serviceaccount.c — the `default` ServiceAccount of every namespace (upstream's
 * serviceaccounts controller, pkg/controller/serviceaccount). */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/ctrlloop.h"
#include "client/workqueue.h"
#include "controllers/namespace/namespace.h"

#define SA_NAME "default"
#define SA_WORKERS 1

int sa_sync_namespace(struct kclient *c, struct informer *namespaces,
                      struct informer *serviceaccounts, const char *name)
{
    json_t *ns = informer_get(namespaces, "", name);
    if (!ns)
        return 0;
    const char *phase = jpath_str(ns, "status.phase");
    bool active = phase && !strcmp(phase, "Active");
    json_decref(ns);
    if (!active)
        return 0; /* nothing is created in a terminating namespace */

    json_t *sa = informer_get(serviceaccounts, name, SA_NAME);
    if (sa) {
        json_decref(sa);
        return 0;
    }
    json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                            "metadata", "name", SA_NAME, "namespace", name);
    struct kstatus st = {0};
    int rc = kclient_create(c, RES_SERVICEACCOUNTS, name, obj, NULL, &st);
    json_decref(obj);
    if (rc == -EEXIST)
        return 0; /* the cache was behind */
    if (rc < 0 && strstr(st.message, "because it is being terminated"))
        return 0; /* the namespace started terminating meanwhile (upstream:
                   * NamespaceTerminatingCause) */
    if (rc < 0)
        log_warn("serviceaccount", "creating %s/%s: %s", name, SA_NAME,
                 st.message[0] ? st.message : strerror(-rc));
    return rc;
}

/* --- the controller --- */

struct sactl {
    struct kclient *c;
    struct informer *namespaces, *serviceaccounts;
    struct workqueue *q;
    struct ctrl_loop *loop;
};

static void on_ns_add(void *ctx, const json_t *ns)
{
    struct sactl *s = ctx;
    const char *name = jpath_str(ns, "metadata.name");
    if (name)
        wq_add(s->q, name);
}

static void on_ns_update(void *ctx, const json_t *old, const json_t *cur)
{
    on_ns_add(ctx, cur);
}

static void on_ns_delete(void *ctx, const json_t *ns)
{
}

static void on_sa_add(void *ctx, const json_t *sa)
{
}

static void on_sa_update(void *ctx, const json_t *old, const json_t *cur)
{
}

/* Someone deleted a default account: put it back. */
static void on_sa_delete(void *ctx, const json_t *sa)
{
    struct sactl *s = ctx;
    const char *name = jpath_str(sa, "metadata.name");
    const char *ns = jpath_str(sa, "metadata.namespace");
    if (name && ns && !strcmp(name, SA_NAME))
        wq_add(s->q, ns);
}

static int sa_sync(void *ctx, const char *key)
{
    struct sactl *s = ctx;
    return sa_sync_namespace(s->c, s->namespaces, s->serviceaccounts, key);
}

static int sa_start(const struct ctrl_env *env, void **state)
{
    struct sactl *s = xcalloc(1, sizeof(*s));

    s->c = env->client;
    s->q = wq_new("serviceaccount", NULL);
    s->namespaces = informer_factory_get(env->informers, RES_NAMESPACES);
    s->serviceaccounts = informer_factory_get(env->informers, RES_SERVICEACCOUNTS);
    struct informer_handlers nh = {on_ns_add, on_ns_update, on_ns_delete, s};
    struct informer_handlers sh = {on_sa_add, on_sa_update, on_sa_delete, s};
    informer_add_handlers(s->namespaces, &nh);
    informer_add_handlers(s->serviceaccounts, &sh);
    s->loop = ctrl_loop_start("serviceaccount", s->q, SA_WORKERS, sa_sync, s);
    *state = s;
    return 0;
}

static void sa_stop(void *state)
{
    struct sactl *s = state;
    if (!s)
        return;
    ctrl_loop_stop(s->loop);
    wq_free(s->q);
    free(s);
}

const struct controller_def serviceaccount_controller_def = {
    .name = "serviceaccount",
    .start = sa_start,
    .stop = sa_stop,
};
