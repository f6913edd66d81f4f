/* server.h — the berth API server: what `berth server` starts.
 *
 * server_start opens (or creates) the data directory: certificates and token (pki.h), the
 * store, the watch cache, and serves the Kubernetes API over HTTPS on cfg->listen. It writes
 * DIR/kubeconfig.yaml (0600) pointing at the real address. Requests are served by their own
 * threads until server_stop.
 */
#ifndef BERTH_SERVER_H
#define BERTH_SERVER_H

#include <stdint.h>

struct server_config {
    const char *data_dir;     /* required */
    const char *listen;       /* "HOST:PORT"; default 127.0.0.1:6443; port 0 picks a free one */
    const char *store_url;    /* NULL: sqlite:DIR/state.db */
    const char *service_cidr; /* NULL: 10.43.0.0/16 */
    int watch_ring;           /* watch cache event ring; 0: default */
};

struct server;

/* Returns 0, or -errno with a message printed to the log. */
int server_start(const struct server_config *cfg, struct server **out);
uint16_t server_port(const struct server *s);
/* The path of the admin kubeconfig (DIR/kubeconfig.yaml). */
const char *server_kubeconfig_path(const struct server *s);
/* The unix socket serving the same API over plain HTTP (DIR/api.sock, 0600), for clients in
 * this process, and the admin token and CA they use (borrowed, valid until server_stop). */
const char *server_socket_path(const struct server *s);
const char *server_token(const struct server *s);
const char *server_ca_pem(const struct server *s);
void server_stop(struct server *s);

#endif
