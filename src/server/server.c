/* server.c — start and stop the API server: data directory, certificates, store, cache,
 * the objects every cluster has, the HTTPS listener and the admin kubeconfig. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/strategy.h"
#include "base/alloc.h"
#include "base/base64.h"
#include "base/log.h"
#include "server/internal.h"

static int parse_listen(const char *listen, char **host, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -EINVAL;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -EINVAL;
    if (listen[0] == '[' && colon > listen && colon[-1] == ']')
        *host = xstrndup(listen + 1, (size_t)(colon - listen - 2));
    else
        *host = xstrndup(listen, (size_t)(colon - listen));
    if (!**host) {
        free(*host);
        *host = xstrdup("0.0.0.0");
    }
    *port = (uint16_t)p;
    return 0;
}

static int open_listener(const char *host, uint16_t port, uint16_t *bound)
{
    struct addrinfo hints = {0}, *ai = NULL;
    char pbuf[8];
    int fd = -1, one = 1, rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(pbuf, sizeof(pbuf), "%u", port);
    if ((rc = getaddrinfo(host, pbuf, &hints, &ai)) != 0) {
        log_error("server", "cannot resolve %s: %s", host, gai_strerror(rc));
        return -EINVAL;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 512) < 0)
        goto fail;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    freeaddrinfo(ai);
    return fd;
fail:
    rc = -errno;
    log_error("server", "cannot listen on %s:%u: %s", host, port, strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}

static int open_unix_listener(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(fd, 512) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            free(p);
            return -errno;
        }
        *s = '/';
    }
    int rc = mkdir(p, mode) < 0 && errno != EEXIST ? -errno : 0;
    free(p);
    return rc;
}

/* The address clients should use: the listen host, or loopback for a wildcard. */
static const char *client_host(const struct server *srv)
{
    if (!strcmp(srv->listen_host, "0.0.0.0"))
        return "127.0.0.1";
    if (!strcmp(srv->listen_host, "::"))
        return "::1";
    return srv->listen_host;
}

static int write_kubeconfig(struct server *srv)
{
    struct strbuf sb = STRBUF_INIT;
    char *ca = base64_encode(srv->pki.ca_pem, strlen(srv->pki.ca_pem));
    const char *h = client_host(srv);
    bool v6 = strchr(h, ':') != NULL;

    strbuf_addf(&sb,
                "apiVersion: v1\n"
                "kind: Config\n"
                "clusters:\n"
                "- cluster:\n"
                "    certificate-authority-data: %s\n"
                "    server: https://%s%s%s:%u\n"
                "  name: berth\n"
                "contexts:\n"
                "- context:\n"
                "    cluster: berth\n"
                "    user: admin\n"
                "  name: berth\n"
                "current-context: berth\n"
                "preferences: {}\n"
                "users:\n"
                "- name: admin\n"
                "  user:\n"
                "    token: %s\n",
                ca, v6 ? "[" : "", h, v6 ? "]" : "", srv->port, srv->pki.token);
    free(ca);
    int rc = write_file_atomic(srv->kubeconfig_path, sb.buf, sb.len, 0600);
    strbuf_release(&sb);
    return rc;
}

/* Create an object unless it exists (start-up bootstrap). */
static void ensure_object(struct server *srv, enum res_id id, const char *json_text)
{
    const struct resource *r = resource_get(id);
    json_error_t je;
    json_t *obj = json_loads(json_text, 0, &je);
    struct api_err e = API_ERR_INIT;

    if (!obj) {
        log_error("server", "bootstrap object does not parse: %s", je.text);
        return;
    }
    const char *ns = jpath_str(obj, "metadata.namespace");
    struct obj *have = cache_get(srv->cache, r, ns ? ns : "", jpath_str(obj, "metadata.name"));
    if (have) {
        obj_unref(have);
        json_decref(obj);
        return;
    }
    struct obj *o = server_create(srv, r, obj, false, &e);
    if (o)
        obj_unref(o);
    else if (e.code != 409)
        log_error("server", "cannot create %s %s: %s", r->kind,
                  jpath_str(obj, "metadata.name"), e.message ? e.message : "?");
    api_err_release(&e);
    json_decref(obj);
}

struct boot_job {
    pthread_t th;
    struct server *srv;
    enum res_id id;
    char *json;
};

static void *boot_main(void *arg)
{
    struct boot_job *j = arg;
    ensure_object(j->srv, j->id, j->json);
    return NULL;
}

static void bootstrap(struct server *srv)
{
    static const char *const namespaces[] = {"default", "kube-system", "kube-public",
                                             "kube-node-lease"};
    struct boot_job jobs[ARRAY_SIZE(namespaces)];
    /* Concurrently, so that the store commits them together: one sync instead of four on a
     * first start. */
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        jobs[i] = (struct boot_job){.srv = srv, .id = RES_NAMESPACES};
        jobs[i].json = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                                 "{\"name\":\"%s\"}}",
                                 namespaces[i]);
        if (pthread_create(&jobs[i].th, NULL, boot_main, &jobs[i]))
            boot_main(&jobs[i]), jobs[i].th = 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        if (jobs[i].th)
            pthread_join(jobs[i].th, NULL);
        free(jobs[i].json);
    }
    /* The kubernetes Service at the first address of the service range, as every cluster has. */
    char ip[INET_ADDRSTRLEN];
    struct in_addr a = {.s_addr = htonl(srv->svc_net + 1)};
    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    char *svc = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"kubernetes\","
        "\"namespace\":\"default\",\"labels\":{\"component\":\"apiserver\",\"provider\":"
        "\"kubernetes\"}},\"spec\":{\"clusterIP\":\"%s\",\"ports\":[{\"name\":\"https\","
        "\"port\":443,\"protocol\":\"TCP\",\"targetPort\":%u}],\"sessionAffinity\":\"None\","
        "\"type\":\"ClusterIP\"}}",
        ip, srv->port);
    ensure_object(srv, RES_SERVICES, svc);
    free(svc);
}

int server_start(const struct server_config *cfg, struct server **out)
{
    struct server *srv = xcalloc(1, sizeof(*srv));
    struct strbuf err = STRBUF_INIT;
    int rc;

    srv->cfg = *cfg;
    srv->listen_fd = -1;
    srv->unix_fd = -1;
    srv->start_time = time(NULL);
    srv->data_dir = xstrdup(cfg->data_dir);
    if ((rc = mkdir_p(srv->data_dir, 0700)) < 0) {
        log_error("server", "cannot create %s: %s", srv->data_dir, strerror(-rc));
        goto fail;
    }
    if ((rc = parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:6443", &srv->listen_host,
                           &srv->port)) < 0) {
        log_error("server", "bad --listen %s (want HOST:PORT)", cfg->listen);
        goto fail;
    }
    const char *hosts[] = {"127.0.0.1",
                           "localhost",
                           "kubernetes",
                           "kubernetes.default",
                           "kubernetes.default.svc",
                           "kubernetes.default.svc.cluster.local",
                           strcmp(srv->listen_host, "0.0.0.0") && strcmp(srv->listen_host, "::")
                               ? srv->listen_host
                               : NULL,
                           NULL};
    if ((rc = pki_ensure(srv->data_dir, hosts, &srv->pki, &err)) < 0) {
        log_error("server", "certificates: %s", err.buf);
        goto fail;
    }
    char *url = cfg->store_url ? xstrdup(cfg->store_url)
                               : xasprintf("sqlite:%s/state.db", srv->data_dir);
    rc = store_open(url, NULL, &srv->store);
    if (rc < 0)
        log_error("server", "cannot open store %s: %s", url, strerror(-rc));
    free(url);
    if (rc < 0)
        goto fail;
    if ((rc = cache_open(srv->store, (size_t)cfg->watch_ring, &srv->cache)) < 0) {
        log_error("server", "cannot load the store: %s", strerror(-rc));
        goto fail;
    }
    if ((rc = admission_init(srv)) < 0) {
        log_error("server", "bad service CIDR %s", cfg->service_cidr);
        goto fail;
    }
    rc = open_listener(srv->listen_host, srv->port, &srv->port);
    if (rc < 0)
        goto fail;
    srv->listen_fd = rc;
    srv->unix_path = xasprintf("%s/api.sock", srv->data_dir);
    rc = open_unix_listener(srv->unix_path);
    if (rc < 0) {
        log_error("server", "cannot listen on %s: %s", srv->unix_path, strerror(-rc));
        goto fail;
    }
    srv->unix_fd = rc;
    bootstrap(srv);
    if ((rc = http_start(srv)) < 0) {
        log_error("server", "cannot start the HTTPS server");
        goto fail;
    }
    srv->kubeconfig_path = xasprintf("%s/kubeconfig.yaml", srv->data_dir);
    if ((rc = write_kubeconfig(srv)) < 0) {
        log_error("server", "cannot write %s: %s", srv->kubeconfig_path, strerror(-rc));
        goto fail;
    }
    strbuf_release(&err);
    *out = srv;
    return 0;
fail:
    strbuf_release(&err);
    server_stop(srv);
    return rc < 0 ? rc : -EIO;
}

uint16_t server_port(const struct server *s)
{
    return s->port;
}

const char *server_kubeconfig_path(const struct server *s)
{
    return s->kubeconfig_path;
}

const char *server_socket_path(const struct server *s)
{
    return s->unix_path;
}

const char *server_token(const struct server *s)
{
    return s->pki.token;
}

const char *server_ca_pem(const struct server *s)
{
    return s->pki.ca_pem;
}

void server_stop(struct server *srv)
{
    if (!srv)
        return;
    http_stop(srv);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->unix_fd >= 0) {
        close(srv->unix_fd);
        unlink(srv->unix_path);
    }
    free(srv->unix_path);
    cache_close(srv->cache);
    if (srv->store)
        store_close(srv->store);
    pki_release(&srv->pki);
    free(srv->ip_bits);
    free(srv->data_dir);
    free(srv->listen_host);
    free(srv->kubeconfig_path);
    free(srv);
}
