/* http.c — libmicrohttpd glue: TLS, authentication, request bodies, responses, streaming.
 *
 * Every connection gets its own thread (MHD_USE_THREAD_PER_CONNECTION): a watch blocks in its
 * stream callback waiting for events, and everything else is short. Bodies are collected up to
 * MAX_BODY; beyond that the request is answered 413 without being parsed.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "server/internal.h"

const char *req_query(const struct req *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(const struct req *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, key);
}

bool req_query_bool(const struct req *rq, const char *key)
{
    const char *v = req_query(rq, key);
    return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "True"));
}

void resp_json(struct resp *rs, int code, json_t *json)
{
    rs->code = code;
    rs->content_type = "application/json";
    strbuf_reset(&rs->body);
    json_dump_to(&rs->body, json);
    json_decref(json);
}

void resp_raw(struct resp *rs, int code, const char *content_type, const char *data, size_t len)
{
    rs->code = code;
    rs->content_type = content_type;
    strbuf_reset(&rs->body);
    strbuf_add(&rs->body, data, len);
}

void resp_error(struct resp *rs, struct api_err *e)
{
    resp_json(rs, e->code ? e->code : 500, api_err_to_status(e));
    api_err_release(e);
}

void resp_warn(struct resp *rs, const char *fmt, ...)
{
    va_list ap;
    struct strbuf msg = STRBUF_INIT, hdr = STRBUF_INIT;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    /* RFC 7234 warn-text is a quoted-string. */
    strbuf_addstr(&hdr, "299 - \"");
    for (size_t i = 0; i < msg.len; i++) {
        if (msg.buf[i] == '"' || msg.buf[i] == '\\')
            strbuf_addch(&hdr, '\\');
        strbuf_addch(&hdr, msg.buf[i]);
    }
    strbuf_addch(&hdr, '"');
    strbuf_release(&msg);
    ALLOC_GROW(rs->warnings, rs->nwarnings + 1, rs->awarnings);
    rs->warnings[rs->nwarnings++] = strbuf_detach(&hdr, NULL);
}

static void resp_release(struct resp *rs)
{
    strbuf_release(&rs->body);
    for (size_t i = 0; i < rs->nwarnings; i++)
        free(rs->warnings[i]);
    free(rs->warnings);
}

/* --- authentication --- */

static bool const_time_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool authenticate(struct req *rq)
{
    const char *authz = req_header(rq, "Authorization");
    if (authz && !strncasecmp(authz, "Bearer ", 7)) {
        const char *tok = authz + 7;
        while (*tok == ' ')
            tok++;
        return const_time_eq(tok, rq->srv->pki.token);
    }
    /* A client certificate signed by the cluster CA. */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci && ci->tls_session) {
        gnutls_session_t sess = ci->tls_session;
        unsigned int status = 0, n = 0;
        if (gnutls_certificate_get_peers(sess, &n) && n > 0 &&
            gnutls_certificate_verify_peers2(sess, &status) == 0 && status == 0)
            return true;
    }
    return false;
}

static bool is_health(const char *url)
{
    return !strcmp(url, "/healthz") || !strcmp(url, "/livez") || !strcmp(url, "/readyz") ||
           !strncmp(url, "/healthz/", 9) || !strncmp(url, "/livez/", 7) ||
           !strncmp(url, "/readyz/", 8);
}

/* --- streaming --- */

struct stream_ctx {
    struct stream *s;
    struct strbuf buf;
    size_t off;
    bool done;
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream_ctx *sc = cls;
    (void)pos;
    while (sc->off >= sc->buf.len) {
        if (sc->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        strbuf_reset(&sc->buf);
        sc->off = 0;
        int rc = sc->s->next(sc->s, &sc->buf);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc > 0)
            sc->done = true;
    }
    size_t n = sc->buf.len - sc->off;
    if (n > max)
        n = max;
    memcpy(out, sc->buf.buf + sc->off, n);
    sc->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *sc = cls;
    sc->s->free(sc->s);
    strbuf_release(&sc->buf);
    free(sc);
}

/* --- MHD callbacks --- */

static enum MHD_Result send_response(struct req *rq, struct resp *rs)
{
    struct MHD_Response *r;
    if (rs->stream) {
        struct stream_ctx *sc = xcalloc(1, sizeof(*sc));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        rs->stream->fd = ci ? ci->connect_fd : -1;
        sc->s = rs->stream;
        strbuf_init(&sc->buf, 0);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_reader, sc,
                                              stream_free);
    } else {
        size_t len;
        char *body = strbuf_detach(&rs->body, &len);
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type",
                            rs->content_type ? rs->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
    for (size_t i = 0; i < rs->nwarnings; i++)
        MHD_add_response_header(r, "Warning", rs->warnings[i]);
    if (rs->code == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"kubernetes-master\"");
    enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)rs->code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct server *srv = cls;
    struct req *rq = *con_cls;
    (void)version;

    if (!rq) {
        rq = xcalloc(1, sizeof(*rq));
        rq->srv = srv;
        rq->conn = conn;
        rq->method = method;
        rq->url = url;
        strbuf_init(&rq->body, 0);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rq->body.len + *upload_data_size > MAX_BODY)
            rq->body_too_large = true;
        else
            strbuf_add(&rq->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    struct resp rs = {0};
    rs.code = 200;
    strbuf_init(&rs.body, 0);
    if (is_health(url)) {
        resp_raw(&rs, 200, "text/plain; charset=utf-8", "ok", 2);
    } else if (!authenticate(rq)) {
        struct api_err e = API_ERR_INIT;
        api_err_unauthorized(&e);
        resp_error(&rs, &e);
    } else if (rq->body_too_large) {
        struct api_err e = API_ERR_INIT;
        api_err_too_large(&e, "Request entity too large: limit is 3145728");
        resp_error(&rs, &e);
    } else {
        rq->authenticated = true;
        server_dispatch(rq, &rs);
    }
    log_debug("http", "%s %s -> %d", method, url, rs.code);
    enum MHD_Result ret = send_response(rq, &rs);
    resp_release(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;
    (void)cls, (void)conn, (void)toe;
    if (!rq)
        return;
    strbuf_release(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct strbuf sb = STRBUF_INIT;
    (void)cls;
    strbuf_vaddf(&sb, fmt, ap);
    while (sb.len && (sb.buf[sb.len - 1] == '\n'))
        strbuf_setlen(&sb, sb.len - 1);
    log_debug("mhd", "%s", sb.buf);
    strbuf_release(&sb);
}

int http_start(struct server *srv)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_TLS | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_HTTPS_MEM_KEY, srv->pki.server_key_pem, MHD_OPTION_HTTPS_MEM_CERT,
        srv->pki.server_cert_pem, MHD_OPTION_HTTPS_MEM_TRUST, srv->pki.ca_pem,
        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1",
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)300, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_END);
    if (!srv->mhd)
        return -EIO;
    if (srv->unix_fd >= 0) {
        /* The same API without TLS for clients inside this process (controllers, the
         * embedded agent): the socket is 0600 in the data directory and still needs the
         * token. */
        srv->mhd_unix = MHD_start_daemon(
            MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                MHD_USE_ERROR_LOG,
            0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->unix_fd,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)300, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_EXTERNAL_LOGGER,
            on_mhd_log, NULL, MHD_OPTION_END);
        if (!srv->mhd_unix)
            return -EIO;
    }
    return 0;
}

void http_stop(struct server *srv)
{
    if (srv->mhd_unix)
        MHD_stop_daemon(srv->mhd_unix);
    if (srv->mhd)
        MHD_stop_daemon(srv->mhd);
    srv->mhd = srv->mhd_unix = NULL;
}

/* Did the client of a streaming response go away? (No data is expected from it.) */
bool http_client_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
    if (fd < 0)
        return false;
    if (poll(&p, 1, 0) <= 0)
        return false;
    return p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL);
}
