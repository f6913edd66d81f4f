/* internal.h — what the files of src/server share (not for other layers; see server.h). */
#ifndef BERTH_SERVER_INTERNAL_H
#define BERTH_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "api/errors.h"
#include "api/resource.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "server/cache.h"
#include "server/pki.h"
#include "server/server.h"
#include "store/store.h"

#define MAX_BODY (3u * 1024 * 1024) /* upstream's request body limit: 3 MiB */
#define NODEPORT_MIN 30000
#define NODEPORT_MAX 32767

struct MHD_Daemon;
struct MHD_Connection;

struct server {
    struct server_config cfg;
    char *data_dir;
    char *listen_host;
    uint16_t port;
    struct pki pki;
    struct store *store;
    struct cache *cache;
    struct MHD_Daemon *mhd;
    struct MHD_Daemon *mhd_unix; /* plain HTTP on DIR/api.sock for in-process clients */
    int listen_fd;
    int unix_fd;
    char *unix_path;
    time_t start_time;
    /* Service ClusterIP allocation (admission.c). */
    pthread_mutex_t ip_lock;
    uint32_t svc_net, svc_mask; /* host order */
    uint32_t svc_next;          /* next offset to try */
    unsigned char *ip_bits;     /* allocated service IPs, by offset in the CIDR */
    size_t ip_count;            /* addresses in the CIDR */
    unsigned char port_bits[(NODEPORT_MAX - NODEPORT_MIN + 1 + 7) / 8]; /* allocated node ports */
    char *kubeconfig_path;
};

/* One request, from the HTTP layer's point of view. */
struct req {
    struct server *srv;
    struct MHD_Connection *conn;
    const char *method; /* "GET", ... (borrowed from MHD) */
    const char *url;    /* decoded path, no query (borrowed from MHD) */
    struct strbuf body;
    bool body_too_large;
    bool authenticated;
};

/* A streaming response body (watch). next() fills sb with more bytes; returns 0 when it
 * appended something, 1 at end of stream, -1 on error (connection is closed). It may block.
 * free() is called once, when the response is done. */
struct stream {
    int (*next)(struct stream *s, struct strbuf *sb);
    void (*free)(struct stream *s);
    int fd; /* the client socket, to notice a client that went away; set by the HTTP layer */
};

struct resp {
    int code;
    const char *content_type; /* default application/json */
    struct strbuf body;
    char **warnings; /* "Warning: 299 - ..." values */
    size_t nwarnings, awarnings;
    struct stream *stream; /* when set, the body is streamed (chunked) */
};

/* Query and header lookups (borrowed strings, NULL if absent). */
const char *req_query(const struct req *rq, const char *key);
const char *req_header(const struct req *rq, const char *key);
bool req_query_bool(const struct req *rq, const char *key);

/* Fill rs from an api_err (releases e). */
void resp_error(struct resp *rs, struct api_err *e);
/* Set a JSON body (takes a reference: json is decref'd). */
void resp_json(struct resp *rs, int code, json_t *json);
/* Set a raw body. */
void resp_raw(struct resp *rs, int code, const char *content_type, const char *data, size_t len);
void resp_warn(struct resp *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- http.c --- */
int http_start(struct server *srv);
void http_stop(struct server *srv);
bool http_client_gone(int fd);

/* --- route.c --- */
void server_dispatch(struct req *rq, struct resp *rs);

/* A parsed API path. */
struct route {
    const struct resource *res;
    const char *ns;   /* NULL when the request is not namespace-scoped */
    const char *name; /* NULL for collections */
    const char *sub;  /* subresource ("status", "scale", ...) or NULL */
    bool watch_path;  /* legacy /watch/ prefix */
};

/* --- discovery.c --- */
bool discovery_handle(struct req *rq, struct resp *rs);

/* --- rest.c: the verbs --- */
/* Selectors and namespace of a list or watch request. parse_filter fills f (and the owned
 * selectors in it; release with filter_release) or fills e and returns -EINVAL. */
int parse_filter(const struct req *rq, const struct route *rt, struct cache_filter *f,
                 struct api_err *e);
void filter_release(struct cache_filter *f);

void rest_get(struct req *rq, struct resp *rs, const struct route *rt);
void rest_list(struct req *rq, struct resp *rs, const struct route *rt);
void rest_create(struct req *rq, struct resp *rs, const struct route *rt);
void rest_update(struct req *rq, struct resp *rs, const struct route *rt);
void rest_patch(struct req *rq, struct resp *rs, const struct route *rt);
void rest_delete(struct req *rq, struct resp *rs, const struct route *rt);
void rest_delete_collection(struct req *rq, struct resp *rs, const struct route *rt);
void rest_subresource(struct req *rq, struct resp *rs, const struct route *rt);

/* Create a decoded object (namespace already set) through the whole admission path. Returns
 * the published object (a reference) or NULL with e filled. */
struct obj *server_create(struct server *srv, const struct resource *r, json_t *obj, bool dry_run,
                          struct api_err *e);

/* --- watch.c --- */
void watch_serve(struct req *rq, struct resp *rs, const struct route *rt);

/* --- table.c --- */
enum table_include { TABLE_INCLUDE_METADATA, TABLE_INCLUDE_OBJECT, TABLE_INCLUDE_NONE };
/* Does the Accept header ask for a meta.k8s.io Table? */
bool wants_table(const struct req *rq);
enum table_include table_include(const struct req *rq);
/* Append a Table of objs to sb. */
void table_render(struct strbuf *sb, const struct resource *r, struct obj *const *objs, size_t n,
                  int64_t rev, enum table_include inc, bool with_columns);
/* Append the JSON value of one Table row for o. */
void table_row(struct strbuf *sb, const struct obj *o, enum table_include inc, time_t now);

/* --- admission.c --- */
/* Server-side admission for a new object (after the strategy's defaults and validation):
 * namespace existence, ClusterIP allocation, ... Returns 0 or fills e. */
int admit_create(struct server *srv, const struct resource *r, json_t *obj, struct api_err *e);
int admit_update(struct server *srv, const struct resource *r, json_t *obj, const json_t *old,
                 struct api_err *e);
void admit_release(struct server *srv, const struct resource *r, const json_t *obj);
/* Before validation of an update: keep values the server allocated (ClusterIP, node ports)
 * that the new object leaves out. */
void admit_prepare_update(struct server *srv, const struct resource *r, json_t *obj,
                          const json_t *old);
/* Refuse deletions admission forbids (the default namespaces). */
int admit_delete(struct server *srv, const struct resource *r, const json_t *obj,
                 struct api_err *e);
int admission_init(struct server *srv);

#endif
