/* client.c — the real API client: HTTP/1.1 over libcurl, JSON bodies, keep-alive connections.
 *
 * Each request borrows an easy handle from a pool (a handle keeps its connection alive, so a
 * busy controller reuses a handful of connections) together with reusable URL and body
 * buffers; headers are built once per client. Over TLS the server is verified against the
 * configured CA and nothing else; over a unix socket ("unix:/path") the transport is plain
 * HTTP. Proxies from the environment are ignored: berth's API is on loopback.
 *
 * Watches are streaming GETs: the write callback splits the body into lines (one JSON event
 * each, possibly spanning chunks, bounded in length) and hands them to the caller's callback;
 * curl's progress callback, called at least once a second even on a quiet stream, checks the
 * stop flag. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/alloc.h"
#include "base/log.h"
#include "client/internal.h"

#define MAX_BODY (256u << 20)      /* largest response we read */
#define MAX_EVENT_LINE (32u << 20) /* largest watch event */
#define KEEP_BUF (1u << 20)        /* buffers above this are released after use */
#define REQUEST_TIMEOUT_MS 60000
#define CONNECT_TIMEOUT_MS 10000

enum ctype { CT_NONE, CT_JSON, CT_MERGE, CT_STRATEGIC, CT_JSONPATCH, CT_COUNT };
static const char *const ctype_names[CT_COUNT] = {
    NULL, "application/json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", "application/json-patch+json"};

struct conn {
    CURL *h;
    struct strbuf url, req, body;
};

struct kc {
    struct kclient base;
    char *base_url; /* "https://host:port" or "http://localhost" */
    char *unix_path;
    char *user_agent;
    char *ca_pem;
    int ca_fd;       /* memfd holding ca_pem, for TLS backends without CAINFO_BLOB */
    char *ca_path;   /* "/proc/self/fd/N" */
    bool ca_blob_ok; /* the TLS backend takes CURLOPT_CAINFO_BLOB */
    struct curl_slist *headers[CT_COUNT];

    pthread_mutex_t rl_mu; /* client-side token bucket */
    double qps, tokens;
    int burst;
    int64_t tokens_at_us;

    pthread_mutex_t pool_mu;
    struct conn **pool;
    size_t npool, apool;
    atomic_long connects; /* new connections made (keep-alive shows as few) */
};

static struct kc *kc_of(struct kclient *c)
{
    return (struct kc *)c;
}

static const struct kclient_ops kc_ops;

/* --- rate limit --- */

static void throttle(struct kc *kc)
{
    if (kc->qps <= 0)
        return;
    pthread_mutex_lock(&kc->rl_mu);
    int64_t now = mono__us();
    kc->tokens += (double)(now - kc->tokens_at_us) / 1e6 * kc->qps;
    if (kc->tokens > kc->burst)
        kc->tokens = kc->burst;
    kc->tokens_at_us = now;
    kc->tokens -= 1;
    int64_t wait_us = kc->tokens < 0 ? (int64_t)(-kc->tokens / kc->qps * 1e6) : 0;
    pthread_mutex_unlock(&kc->rl_mu);
    if (wait_us > 0) {
        struct timespec ts = {wait_us / 1000000, (wait_us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
}

/* --- connections --- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct strbuf *sb = arg;
    size_t len = size * n;
    if (sb->len + len > MAX_BODY)
        return 0; /* aborts the transfer */
    strbuf_add(sb, p, len);
    return len;
}

static struct conn *conn_get(struct kc *kc)
{
    struct conn *cn = NULL;
    pthread_mutex_lock(&kc->pool_mu);
    if (kc->npool)
        cn = kc->pool[--kc->npool];
    pthread_mutex_unlock(&kc->pool_mu);
    if (!cn) {
        cn = xcalloc(1, sizeof(*cn));
        cn->h = curl_easy_init();
        if (!cn->h)
            abort(); /* out of memory in curl */
        strbuf_init(&cn->url, 256);
        strbuf_init(&cn->req, 0);
        strbuf_init(&cn->body, 0);
    } else {
        curl_easy_reset(cn->h); /* keeps the live connection */
    }
    strbuf_reset(&cn->url);
    strbuf_reset(&cn->req);
    strbuf_reset(&cn->body);

    CURL *h = cn->h;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    if (kc->user_agent)
        curl_easy_setopt(h, CURLOPT_USERAGENT, kc->user_agent);
    if (kc->unix_path)
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, kc->unix_path);
    if (kc->ca_pem) {
        if (kc->ca_blob_ok) {
            struct curl_blob blob = {kc->ca_pem, strlen(kc->ca_pem), CURL_BLOB_NOCOPY};
            curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
        } else {
            curl_easy_setopt(h, CURLOPT_CAINFO, kc->ca_path);
        }
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &cn->body);
    return cn;
}

static void shrink(struct strbuf *sb)
{
    if (sb->alloc > KEEP_BUF)
        strbuf_release(sb);
}

static void conn_put(struct kc *kc, struct conn *cn)
{
    shrink(&cn->req);
    shrink(&cn->body);
    pthread_mutex_lock(&kc->pool_mu);
    ALLOC_GROW(kc->pool, kc->npool + 1, kc->apool);
    kc->pool[kc->npool++] = cn;
    pthread_mutex_unlock(&kc->pool_mu);
}

static void conn_free(struct conn *cn)
{
    curl_easy_cleanup(cn->h);
    strbuf_release(&cn->url);
    strbuf_release(&cn->req);
    strbuf_release(&cn->body);
    free(cn);
}

/* --- URLs --- */

/* Percent-encode everything but RFC 3986 unreserved characters. */
static void add_escaped(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            strbuf_addch(sb, ch);
        } else {
            strbuf_addch(sb, '%');
            strbuf_addch(sb, hex[ch >> 4]);
            strbuf_addch(sb, hex[ch & 15]);
        }
    }
}

/* base/api[s]/group/version[/namespaces/ns]/plural[/name[/sub]] */
static void build_path(struct kc *kc, struct strbuf *sb, enum res_id r, const char *ns,
                       const char *name, const char *sub)
{
    const struct resource *res = resource_get(r);
    strbuf_addstr(sb, kc->base_url);
    if (*res->group)
        strbuf_addf(sb, "/apis/%s/%s", res->group, res->version);
    else
        strbuf_addf(sb, "/api/%s", res->version);
    if (res->namespaced && ns && *ns) {
        strbuf_addstr(sb, "/namespaces/");
        add_escaped(sb, ns);
    }
    strbuf_addch(sb, '/');
    strbuf_addstr(sb, res->plural);
    if (name) {
        strbuf_addch(sb, '/');
        add_escaped(sb, name);
        if (sub) {
            strbuf_addch(sb, '/');
            add_escaped(sb, sub);
        }
    }
}

static void add_param(struct strbuf *sb, const char *key, const char *val)
{
    if (!val || !*val)
        return;
    strbuf_addch(sb, strchr(sb->buf, '?') ? '&' : '?');
    strbuf_addstr(sb, key);
    strbuf_addch(sb, '=');
    add_escaped(sb, val);
}

/* --- requests --- */

static void count_connects(struct kc *kc, CURL *h)
{
    long n = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0)
        atomic_fetch_add(&kc->connects, n);
}

long kclient__connects(struct kclient *c)
{
    return c->ops == &kc_ops ? atomic_load(&kc_of(c)->connects) : -1;
}

/* Fill st and return the errno for a finished transfer with a non-2xx status or a transport
 * failure; 0 for 2xx. */
static int outcome(CURLcode cc, long code, const struct strbuf *body, struct kstatus *st)
{
    if (cc != CURLE_OK) {
        kstatus__set(st, 0, "", curl_easy_strerror(cc));
        return -EIO;
    }
    if (code >= 200 && code < 300) {
        kstatus__set(st, (int)code, "", "");
        return 0;
    }
    json_t *status = json_loadb(body->buf, body->len, 0, NULL);
    const char *reason = jget_str(status, "reason");
    if (status) {
        kstatus__from_json(st, (int)code, status);
        if (st)
            st->code = (int)code;
    } else {
        kstatus__set(st, (int)code, "", body->len < 200 ? body->buf : "");
    }
    int rc = kclient_errno((int)code, reason);
    json_decref(status);
    return rc;
}

/* Perform a request on cn (URL in cn->url, body in cn->req). *out (if out) gets the parsed
 * response for a 2xx. */
static int perform(struct kc *kc, struct conn *cn, const char *method, enum ctype ct, json_t **out,
                   struct kstatus *st)
{
    CURL *h = cn->h;
    long code = 0;

    throttle(kc);
    curl_easy_setopt(h, CURLOPT_URL, cn->url.buf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, kc->headers[ct]);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    if (strcmp(method, "GET"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (ct != CT_NONE) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, cn->req.buf);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)cn->req.len);
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    count_connects(kc, h);
    int rc = outcome(cc, code, &cn->body, st);
    if (rc == 0 && out) {
        json_error_t je;
        *out = json_loadb(cn->body.buf, cn->body.len, 0, &je);
        if (!*out) {
            kstatus__set(st, (int)code, "", je.text);
            rc = -EIO;
        }
    }
    return rc;
}

static int request(struct kc *kc, const char *method, enum res_id r, const char *ns,
                   const char *name, const char *sub, const struct klist_opts *o, enum ctype ct,
                   const json_t *body, const char *raw, json_t **out, struct kstatus *st)
{
    struct conn *cn = conn_get(kc);
    build_path(kc, &cn->url, r, ns, name, sub);
    if (o) {
        add_param(&cn->url, "labelSelector", o->label_selector);
        add_param(&cn->url, "fieldSelector", o->field_selector);
    }
    if (body)
        json_dump_to(&cn->req, body);
    else if (raw)
        strbuf_addstr(&cn->req, raw);
    int rc = perform(kc, cn, method, ct, out, st);
    conn_put(kc, cn);
    return rc;
}

/* --- ops --- */

static const char *ns_of(const json_t *obj, const char *ns)
{
    return ns && *ns ? ns : jpath_str(obj, "metadata.namespace");
}

/* Calls naming no object would address the collection instead: refuse them. */
static int no_name(struct kstatus *st)
{
    kstatus__set(st, 0, "", "the request names no object");
    return -EINVAL;
}

static int kc_get(struct kclient *c, enum res_id r, const char *ns, const char *name, json_t **out,
                  struct kstatus *st)
{
    if (!name || !*name)
        return no_name(st);
    return request(kc_of(c), "GET", r, ns, name, NULL, NULL, CT_NONE, NULL, NULL, out, st);
}

static int kc_list(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                   json_t **out, struct kstatus *st)
{
    return request(kc_of(c), "GET", r, ns, NULL, NULL, o, CT_NONE, NULL, NULL, out, st);
}

static int kc_create(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                     json_t **out, struct kstatus *st)
{
    return request(kc_of(c), "POST", r, ns_of(obj, ns), NULL, NULL, NULL, CT_JSON, obj, NULL, out,
                   st);
}

static int kc_update(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                     const char *sub, json_t **out, struct kstatus *st)
{
    const char *name = jpath_str(obj, "metadata.name");
    if (!name || !*name)
        return no_name(st);
    return request(kc_of(c), "PUT", r, ns_of(obj, ns), name, sub, NULL, CT_JSON, obj, NULL, out,
                   st);
}

static int kc_patch(struct kclient *c, enum res_id r, const char *ns, const char *name,
                    enum kpatch_type type, const char *patch, const char *sub, json_t **out,
                    struct kstatus *st)
{
    enum ctype ct = type == KPATCH_JSON    ? CT_JSONPATCH
                    : type == KPATCH_MERGE ? CT_MERGE
                                           : CT_STRATEGIC;
    if (!name || !*name)
        return no_name(st);
    return request(kc_of(c), "PATCH", r, ns, name, sub, NULL, ct, NULL, patch ? patch : "", out,
                   st);
}

static int kc_delete(struct kclient *c, enum res_id r, const char *ns, const char *name,
                     const struct kdelete_opts *o, struct kstatus *st)
{
    json_t *body = NULL;
    if (!name || !*name)
        return no_name(st);
    if (o && (o->grace_seconds >= 0 || o->propagation || o->uid || o->resource_version)) {
        body = json_pack("{s:s,s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
        if (o->grace_seconds >= 0)
            jset_int(body, "gracePeriodSeconds", o->grace_seconds);
        if (o->propagation)
            jset_str(body, "propagationPolicy", o->propagation);
        if (o->uid || o->resource_version) {
            json_t *pre = jensure_obj(body, "preconditions");
            if (o->uid)
                jset_str(pre, "uid", o->uid);
            if (o->resource_version)
                jset_str(pre, "resourceVersion", o->resource_version);
        }
    }
    int rc = request(kc_of(c), "DELETE", r, ns, name, NULL, NULL, body ? CT_JSON : CT_NONE, body,
                     NULL, NULL, st);
    json_decref(body);
    return rc;
}

static int kc_bind(struct kclient *c, const char *ns, const char *pod, const char *node,
                   struct kstatus *st)
{
    if (!pod || !*pod)
        return no_name(st);
    json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s}}", "kind", "Binding", "apiVersion",
                          "v1", "metadata", "name", pod, "namespace", ns ? ns : "", "target",
                          "apiVersion", "v1", "kind", "Node", "name", node ? node : "");
    int rc =
        request(kc_of(c), "POST", RES_PODS, ns, pod, "binding", NULL, CT_JSON, b, NULL, NULL, st);
    json_decref(b);
    return rc;
}

/* --- watch --- */

struct wstate {
    CURL *h;
    kwatch_cb cb;
    void *ctx;
    volatile bool *stop;
    struct strbuf line; /* the event being received */
    struct strbuf *err; /* the body of a non-2xx answer */
    bool checked;       /* the status code was looked at */
    bool ok;            /* it was 2xx */
    bool stopped;       /* the callback or the stop flag ended it */
    bool too_long;
    int error_rc; /* an ERROR event's errno */
    struct kstatus error_st;
};

static bool stop_set(volatile bool *stop)
{
    return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

/* One event line: {"type": ..., "object": ...}. Returns false to end the stream. */
static bool watch_line(struct wstate *ws, const char *p, size_t len)
{
    while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
        len--;
    if (!len)
        return true;
    json_error_t je;
    json_t *ev = json_loadb(p, len, 0, &je);
    const char *type = jget_str(ev, "type");
    json_t *obj = jget(ev, "object");
    if (!type || !obj) {
        log_warn("client", "bad watch event: %s", ev ? "no type or object" : je.text);
        json_decref(ev);
        return true;
    }
    if (!strcmp(type, "ERROR")) {
        int64_t code = jget_int(obj, "code", 500);
        ws->error_rc = kclient_errno((int)code, jget_str(obj, "reason"));
        if (!ws->error_rc)
            ws->error_rc = -EIO;
        kstatus__from_json(&ws->error_st, (int)code, obj);
    }
    bool go = ws->cb(ws->ctx, type, obj) == 0;
    json_decref(ev);
    if (!go || stop_set(ws->stop)) {
        ws->stopped = true;
        return false;
    }
    return true;
}

static size_t on_watch_body(char *p, size_t size, size_t n, void *arg)
{
    struct wstate *ws = arg;
    size_t len = size * n;

    if (!ws->checked) {
        long code = 0;
        curl_easy_getinfo(ws->h, CURLINFO_RESPONSE_CODE, &code);
        ws->checked = true;
        ws->ok = code >= 200 && code < 300;
    }
    if (!ws->ok)
        return on_body(p, size, n, ws->err);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n')
            continue;
        bool go;
        if (ws->line.len) {
            strbuf_add(&ws->line, p + start, i - start);
            go = watch_line(ws, ws->line.buf, ws->line.len);
            strbuf_reset(&ws->line);
        } else {
            go = watch_line(ws, p + start, i - start);
        }
        start = i + 1;
        if (!go)
            return 0;
    }
    if (ws->line.len + (len - start) > MAX_EVENT_LINE) {
        ws->too_long = true;
        return 0;
    }
    strbuf_add(&ws->line, p + start, len - start);
    return len;
}

static int on_watch_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct wstate *ws = arg;
    if (stop_set(ws->stop)) {
        ws->stopped = true;
        return 1;
    }
    return 0;
}

static int kc_watch(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                    const char *rv, int timeout_seconds, kwatch_cb cb, void *ctx,
                    volatile bool *stop, struct kstatus *st)
{
    struct kc *kc = kc_of(c);
    struct conn *cn = conn_get(kc);
    struct wstate ws = {.h = cn->h, .cb = cb, .ctx = ctx, .stop = stop, .err = &cn->body};
    char tmo[16];
    long code = 0;

    strbuf_init(&ws.line, 0);
    build_path(kc, &cn->url, r, ns, NULL, NULL);
    add_param(&cn->url, "watch", "true");
    add_param(&cn->url, "resourceVersion", rv);
    add_param(&cn->url, "allowWatchBookmarks", "true");
    if (timeout_seconds > 0) {
        snprintf(tmo, sizeof(tmo), "%d", timeout_seconds);
        add_param(&cn->url, "timeoutSeconds", tmo);
    }
    if (o) {
        add_param(&cn->url, "labelSelector", o->label_selector);
        add_param(&cn->url, "fieldSelector", o->field_selector);
    }
    throttle(kc);
    CURL *h = cn->h;
    curl_easy_setopt(h, CURLOPT_URL, cn->url.buf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, kc->headers[CT_NONE]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_watch_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ws);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ws);
    if (timeout_seconds > 0) /* the server ends it; this only guards a vanished server */
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_seconds + 30) * 1000);

    CURLcode cc = stop_set(stop) ? CURLE_OK : curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    count_connects(kc, h);
    int rc;
    if (ws.stopped) {
        rc = 0;
        kstatus__set(st, (int)code, "", "");
    } else if (ws.too_long) {
        rc = -E2BIG;
        kstatus__set(st, (int)code, "", "watch event too long");
    } else if (cc == CURLE_OK && ws.ok && ws.error_rc) {
        /* The server ended the stream with an ERROR event (410 Expired, typically). */
        rc = ws.error_rc;
        if (st)
            *st = ws.error_st;
    } else {
        rc = outcome(cc, code, &cn->body, st);
    }
    strbuf_release(&ws.line);
    conn_put(kc, cn);
    return rc;
}

/* --- lifecycle --- */

static void kc_free(struct kclient *c)
{
    struct kc *kc = kc_of(c);
    for (size_t i = 0; i < kc->npool; i++)
        conn_free(kc->pool[i]);
    free(kc->pool);
    for (int i = 0; i < CT_COUNT; i++)
        curl_slist_free_all(kc->headers[i]);
    if (kc->ca_fd >= 0)
        close(kc->ca_fd);
    free(kc->ca_path);
    free(kc->ca_pem);
    free(kc->base_url);
    free(kc->unix_path);
    free(kc->user_agent);
    pthread_mutex_destroy(&kc->rl_mu);
    pthread_mutex_destroy(&kc->pool_mu);
    free(kc);
}

static const struct kclient_ops kc_ops = {
    .get = kc_get,
    .list = kc_list,
    .create = kc_create,
    .update = kc_update,
    .patch = kc_patch,
    .del = kc_delete,
    .bind = kc_bind,
    .watch = kc_watch,
    .free = kc_free,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool blob_supported;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* Does this TLS backend take the CA from memory? (GnuTLS before curl 8.x does not.) */
    CURL *h = curl_easy_init();
    struct curl_blob blob = {(void *)"", 0, CURL_BLOB_COPY};
    blob_supported = h && curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob) == CURLE_OK;
    curl_easy_cleanup(h);
}

/* Without CAINFO_BLOB, give the backend a file it can open: an anonymous memory file. */
static int ca_memfile(struct kc *kc)
{
    int fd = memfd_create("berth-ca", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(kc->ca_pem), off = 0;
    while (off < len) {
        ssize_t w = write(fd, kc->ca_pem + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int rc = -errno;
            close(fd);
            return rc;
        }
        off += (size_t)w;
    }
    kc->ca_fd = fd;
    kc->ca_path = xasprintf("/proc/self/fd/%d", fd);
    return 0;
}

int kclient_new(const struct kclient_config *cfg, struct kclient **out)
{
    if (!cfg || !cfg->server || !*cfg->server)
        return -EINVAL;
    pthread_once(&curl_once, curl_setup);

    struct kc *kc = xcalloc(1, sizeof(*kc));
    kc->base.ops = &kc_ops;
    kc->ca_fd = -1;
    pthread_mutex_init(&kc->rl_mu, NULL);
    pthread_mutex_init(&kc->pool_mu, NULL);
    if (!strncmp(cfg->server, "unix:", 5)) {
        if (!cfg->server[5]) {
            kc_free(&kc->base);
            return -EINVAL;
        }
        kc->unix_path = xstrdup(cfg->server + 5);
        kc->base_url = xstrdup("http://localhost");
    } else if (!strncmp(cfg->server, "https://", 8) || !strncmp(cfg->server, "http://", 7)) {
        size_t n = strlen(cfg->server);
        while (n && cfg->server[n - 1] == '/')
            n--;
        kc->base_url = xstrndup(cfg->server, n);
    } else {
        kc_free(&kc->base);
        return -EINVAL;
    }
    kc->user_agent = xstrdup(cfg->user_agent && *cfg->user_agent ? cfg->user_agent : "berth");
    if (cfg->ca_pem && *cfg->ca_pem) {
        kc->ca_pem = xstrdup(cfg->ca_pem);
        kc->ca_blob_ok = blob_supported;
        int rc = kc->ca_blob_ok ? 0 : ca_memfile(kc);
        if (rc < 0) {
            kc_free(&kc->base);
            return rc;
        }
    }
    kc->qps = cfg->qps;
    kc->burst = cfg->burst > 0 ? cfg->burst : 1;
    kc->tokens = kc->burst;
    kc->tokens_at_us = mono__us();

    char *auth =
        cfg->token && *cfg->token ? xasprintf("Authorization: Bearer %s", cfg->token) : NULL;
    for (int i = 0; i < CT_COUNT; i++) {
        struct curl_slist *l = curl_slist_append(NULL, "Accept: application/json");
        l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
        if (auth)
            l = curl_slist_append(l, auth);
        if (ctype_names[i]) {
            char *ct = xasprintf("Content-Type: %s", ctype_names[i]);
            l = curl_slist_append(l, ct);
            free(ct);
        }
        kc->headers[i] = l;
    }
    free(auth);
    *out = &kc->base;
    return 0;
}
