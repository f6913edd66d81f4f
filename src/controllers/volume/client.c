/* client.c — the volume controllers' helpers that use the client layer: the default class from
 * the informer, events, and writes remembered in the controller's cache. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/volume/internal.h"

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static bool is_default_class(const json_t *sc)
{
    const char *d = vol__ann(sc, ANN_DEFAULT_CLASS);

    if (d && !strcmp(d, "true"))
        return true;
    d = vol__ann(sc, ANN_BETA_DEFAULT_CLASS);
    return d && !strcmp(d, "true");
}

json_t *vol__default_class(struct informer *classes)
{
    json_t **items;
    size_t n = informer_list(classes, NULL, NULL, &items);
    json_t *best = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!is_default_class(items[i]))
            continue;
        if (best) {
            /* The newest wins (1.26+); on a tie, the name sorting first, as upstream sorts
             * by creation time and then by name. */
            const char *a = str_or_empty(jpath_str(items[i], "metadata.creationTimestamp"));
            const char *b = str_or_empty(jpath_str(best, "metadata.creationTimestamp"));
            int c = strcmp(a, b);
            if (c < 0 || (c == 0 && strcmp(vol__name(items[i]), vol__name(best)) > 0))
                continue;
        }
        best = items[i];
    }
    if (best)
        json_incref(best);
    informer_list_free(items, n);
    return best;
}

/* --- events --- */

void vol__events_init(struct vol_events *ev, struct kclient *c, const char *component)
{
    ev->rec = c ? recorder_new(c, component, "") : NULL;
    pthread_mutex_init(&ev->mu, NULL);
    strbuf_init(&ev->log, 0);
    ev->keep_log = false;
    ev->log_into = NULL;
}

void vol__events_release(struct vol_events *ev)
{
    if (ev->rec)
        recorder_free(ev->rec);
    ev->rec = NULL;
    strbuf_release(&ev->log);
    pthread_mutex_destroy(&ev->mu);
}

void vol__eventf(struct vol_events *ev, const json_t *obj, enum res_id r, const char *type,
                 const char *reason, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    json_t *o = (json_t *)obj;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    log_debug("volume", "event %s %s %s/%s: %s", type, reason, vol__ns(obj), vol__name(obj), msg);
    if (ev->keep_log) {
        struct vol_events *l = ev->log_into ? ev->log_into : ev;
        pthread_mutex_lock(&l->mu);
        strbuf_addf(&l->log, "%s %s %s\n", type, reason, msg);
        pthread_mutex_unlock(&l->mu);
    }
    if (ev->rec) {
        /* Objects from list responses may lack kind and apiVersion; the recorder needs them. */
        if (!jget_str(obj, "kind") || !jget_str(obj, "apiVersion")) {
            const struct resource *res = resource_get(r);
            o = json_object();
            json_object_set(o, "metadata",
                            jget(obj, "metadata") ? jget(obj, "metadata") : json_object());
            jset_str(o, "kind", res->kind);
            jset_str(o, "apiVersion", res->gv);
        } else {
            json_incref(o);
        }
        recorder_eventf(ev->rec, o, type, reason, "%s", msg);
        json_decref(o);
    }
    free(msg);
}

char *vol__events_take(struct vol_events *ev)
{
    char *s;

    pthread_mutex_lock(&ev->mu);
    s = strbuf_detach(&ev->log, NULL);
    pthread_mutex_unlock(&ev->mu);
    return s;
}

/* --- writes --- */

int vol__update(struct kclient *c, struct vol_cache *cache, enum res_id r, const json_t *obj,
                bool status, json_t **out)
{
    const char *ns = resource_get(r)->namespaced ? vol__ns(obj) : NULL;
    json_t *res = NULL;
    struct kstatus st;
    int rc;

    if (status)
        rc = kclient_update_status(c, r, ns, obj, &res, &st);
    else
        rc = kclient_update(c, r, ns, obj, &res, &st);
    if (rc < 0) {
        log_debug("volume", "update of %s %s%s%s failed: %d %s", resource_get(r)->kind,
                  ns ? ns : "", ns ? "/" : "", vol__name(obj), rc, st.message);
        return rc;
    }
    if (!res)
        res = json_deep_copy(obj);
    if (cache) {
        char *key = ns ? vol__key(ns, vol__name(res)) : xstrdup(vol__name(res));
        vol__cache_store(cache, key, res);
        free(key);
    }
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}
