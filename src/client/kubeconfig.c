/* kubeconfig.c — kclient_from_kubeconfig: a small line-based reader of the YAML subset that
 * kubeconfig files use in practice (and berth writes): block mappings and "- " sequences of
 * mappings, plain or quoted scalars, comments. Flow collections other than "{}"/"[]",
 * anchors, multi-line scalars and exec/auth-provider credentials are not understood.
 *
 * Each item of clusters/contexts/users is read as a flat set of key: value pairs (the nested
 * cluster:/context:/user: mappings hold no key twice), which is all the lookup
 * current-context -> context -> cluster + user needs. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "client/internal.h"

#define MAX_KUBECONFIG (4u << 20)

enum section { SEC_NONE, SEC_CLUSTERS, SEC_CONTEXTS, SEC_USERS };

struct kv {
    char *key, *val;
};

struct item {
    enum section sec;
    struct kv *kv;
    size_t n, alloc;
};

struct doc {
    struct item *items;
    size_t n, alloc;
    char *current_context;
};

static const char *item_get(const struct item *it, const char *key)
{
    for (size_t i = 0; i < it->n; i++)
        if (!strcmp(it->kv[i].key, key))
            return it->kv[i].val;
    return NULL;
}

static const struct item *find_item(const struct doc *d, enum section sec, const char *name)
{
    for (size_t i = 0; i < d->n; i++) {
        const char *n = item_get(&d->items[i], "name");
        if (d->items[i].sec == sec && n && name && !strcmp(n, name))
            return &d->items[i];
    }
    return NULL;
}

static void doc_release(struct doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->items[i].n; j++) {
            free(d->items[i].kv[j].key);
            free(d->items[i].kv[j].val);
        }
        free(d->items[i].kv);
    }
    free(d->items);
    free(d->current_context);
}

/* A scalar without surrounding blanks, quotes or a trailing comment. Caller owns it. */
static char *scalar(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if (s < end && (*s == '"' || *s == '\'')) {
        char q = *s++;
        struct strbuf sb = STRBUF_INIT;
        for (; s < end && *s != q; s++) {
            if (q == '"' && *s == '\\' && s + 1 < end)
                s++;
            strbuf_addch(&sb, *s);
        }
        /* '' inside single quotes is a quote */
        return strbuf_detach(&sb, NULL);
    }
    for (const char *p = s; p < end; p++) {
        if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            end = p;
            while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            break;
        }
    }
    return xstrndup(s, (size_t)(end - s));
}

/* Parse kubeconfig text into d. */
static void parse(const char *text, struct doc *d)
{
    enum section sec = SEC_NONE;
    struct item *cur = NULL;
    size_t list_indent = SIZE_MAX;
    const char *p = text;

    memset(d, 0, sizeof(*d));
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        const char *s = p;
        p = *eol ? eol + 1 : eol;

        size_t indent = 0;
        while (s + indent < eol && s[indent] == ' ')
            indent++;
        s += indent;
        if (s >= eol || *s == '#' || (eol - s >= 3 && !strncmp(s, "---", 3) && indent == 0))
            continue;
        bool dash = false;
        if (*s == '-' && (s + 1 == eol || s[1] == ' ')) {
            dash = true;
            s++;
            while (s < eol && *s == ' ')
                s++;
        }
        if (indent == 0 && !dash) {
            /* a top-level key */
            cur = NULL;
            list_indent = SIZE_MAX;
            const char *colon = memchr(s, ':', (size_t)(eol - s));
            if (!colon)
                continue;
            char *key = scalar(s, colon);
            sec = !strcmp(key, "clusters")   ? SEC_CLUSTERS
                  : !strcmp(key, "contexts") ? SEC_CONTEXTS
                  : !strcmp(key, "users")    ? SEC_USERS
                                             : SEC_NONE;
            if (!strcmp(key, "current-context")) {
                free(d->current_context);
                d->current_context = scalar(colon + 1, eol);
            }
            free(key);
            continue;
        }
        if (sec == SEC_NONE)
            continue;
        if (dash) {
            /* Items of the section's list; a deeper dash is a nested list (exec args): its
             * lines belong to no item we read. */
            if (list_indent == SIZE_MAX)
                list_indent = indent;
            if (indent != list_indent)
                continue;
            ALLOC_GROW(d->items, d->n + 1, d->alloc);
            cur = &d->items[d->n++];
            memset(cur, 0, sizeof(*cur));
            cur->sec = sec;
        }
        if (!cur)
            continue;
        const char *colon = NULL;
        for (const char *q = s; q < eol; q++) {
            if (*q == ':' && (q + 1 == eol || q[1] == ' ' || q[1] == '\t' || q[1] == '\r')) {
                colon = q;
                break;
            }
        }
        if (!colon)
            continue;
        char *key = scalar(s, colon), *val = scalar(colon + 1, eol);
        if (!*val || !strcmp(val, "{}") || !strcmp(val, "[]")) {
            free(key); /* a mapping header (cluster:, user:, context:) */
            free(val);
            continue;
        }
        ALLOC_GROW(cur->kv, cur->n + 1, cur->alloc);
        cur->kv[cur->n++] = (struct kv){key, val};
    }
}

static char *read_file(const char *path, int *err)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        *err = -errno;
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        strbuf_add(&sb, buf, n);
        if (sb.len > MAX_KUBECONFIG) {
            fclose(f);
            strbuf_release(&sb);
            *err = -E2BIG;
            return NULL;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        strbuf_release(&sb);
        *err = -EIO;
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

int kubeconfig__parse(const char *text, struct kubeconfig__creds *out)
{
    struct doc d;
    int rc = -ENOENT;

    memset(out, 0, sizeof(*out));
    parse(text, &d);
    const struct item *ctx = find_item(&d, SEC_CONTEXTS, d.current_context);
    if (!ctx && d.n) {
        /* no current-context: a file with a single context still says what to use */
        size_t nctx = 0;
        for (size_t i = 0; i < d.n; i++)
            if (d.items[i].sec == SEC_CONTEXTS) {
                ctx = &d.items[i];
                nctx++;
            }
        if (nctx != 1)
            ctx = NULL;
    }
    if (!ctx)
        goto out;
    const struct item *cl = find_item(&d, SEC_CLUSTERS, item_get(ctx, "cluster"));
    const struct item *user = find_item(&d, SEC_USERS, item_get(ctx, "user"));
    const char *server = cl ? item_get(cl, "server") : NULL;
    if (!server)
        goto out;
    out->server = xstrdup(server);
    const char *ca64 = item_get(cl, "certificate-authority-data");
    const char *cafile = item_get(cl, "certificate-authority");
    if (ca64) {
        struct strbuf pem = STRBUF_INIT;
        if (base64_decode(ca64, strlen(ca64), &pem, NULL) < 0) {
            strbuf_release(&pem);
            rc = -EINVAL;
            goto out;
        }
        out->ca_pem = strbuf_detach(&pem, NULL);
    } else if (cafile) {
        out->ca_file = xstrdup(cafile);
    }
    const char *token = user ? item_get(user, "token") : NULL;
    if (token)
        out->token = xstrdup(token);
    const char *ns = item_get(ctx, "namespace");
    if (ns)
        out->ns = xstrdup(ns);
    rc = 0;
out:
    if (rc < 0)
        kubeconfig__release(out);
    doc_release(&d);
    return rc;
}

void kubeconfig__release(struct kubeconfig__creds *c)
{
    free(c->server);
    free(c->ca_pem);
    free(c->ca_file);
    free(c->token);
    free(c->ns);
    memset(c, 0, sizeof(*c));
}

int kclient_from_kubeconfig(const char *path, const char *user_agent, struct kclient **out)
{
    int err = 0;
    char *text = read_file(path, &err);
    if (!text)
        return err;
    struct kubeconfig__creds cr;
    int rc = kubeconfig__parse(text, &cr);
    free(text);
    if (rc < 0)
        return rc;
    if (!cr.ca_pem && cr.ca_file) {
        cr.ca_pem = read_file(cr.ca_file, &err);
        if (!cr.ca_pem) {
            kubeconfig__release(&cr);
            return err;
        }
    }
    struct kclient_config cfg = {
        .server = cr.server, .token = cr.token, .ca_pem = cr.ca_pem, .user_agent = user_agent};
    rc = kclient_new(&cfg, out);
    kubeconfig__release(&cr);
    return rc;
}
