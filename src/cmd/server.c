/* server.c — `berth server` and `berth kubeconfig`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cmd/cmd.h"
#include "server/pki.h"
#include "server/server.h"

/* /var/lib/berth as root, else $XDG_DATA_HOME/berth or ~/.local/share/berth. */
char *default_data_dir(void)
{
    if (geteuid() == 0)
        return xstrdup("/var/lib/berth");
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg)
        return xasprintf("%s/berth", xdg);
    const char *home = getenv("HOME");
    return xasprintf("%s/.local/share/berth", home && *home ? home : ".");
}

static void server_usage(FILE *f)
{
    fputs("usage: berth server [--data-dir DIR] [--listen HOST:PORT] [--store sqlite|URL]\n"
          "                    [--service-cidr CIDR]\n"
          "\n"
          "  --data-dir DIR      state, certificates and kubeconfig (default /var/lib/berth as\n"
          "                      root, else ~/.local/share/berth)\n"
          "  --listen HOST:PORT  HTTPS address (default 127.0.0.1:6443; port 0 picks a free one)\n"
          "  --store sqlite      the embedded SQLite store in DIR/state.db (default), or\n"
          "                      sqlite:PATH\n"
          "  --service-cidr CIDR Service ClusterIP range (default 10.43.0.0/16)\n"
          "  --watch-cache-size N  recent events kept for watches to resume from (default 2048)\n",
          f);
}

int cmd_server(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"store", required_argument, NULL, 's'},
        {"service-cidr", required_argument, NULL, 'c'},
        {"watch-cache-size", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct server_config cfg = {0};
    char *data_dir = NULL, *store = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            free(data_dir);
            data_dir = xstrdup(optarg);
            break;
        case 'l':
            cfg.listen = optarg;
            break;
        case 's':
            free(store);
            store = xstrdup(optarg);
            break;
        case 'c':
            cfg.service_cidr = optarg;
            break;
        case 'w':
            cfg.watch_ring = atoi(optarg);
            if (cfg.watch_ring < 1) {
                fprintf(stderr, "berth server: --watch-cache-size wants a positive number\n");
                return 2;
            }
            break;
        case 'h':
            server_usage(stdout);
            return 0;
        default:
            server_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "berth server: unexpected argument '%s'\n", argv[optind]);
        server_usage(stderr);
        return 2;
    }
    if (!data_dir)
        data_dir = default_data_dir();
    cfg.data_dir = data_dir;
    if (store && !strcmp(store, "sqlite")) {
        free(store);
        store = NULL;
    }
    cfg.store_url = store;

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct server *srv;
    if (server_start(&cfg, &srv) < 0) {
        fprintf(stderr, "berth server: failed to start (see the log above)\n");
        free(data_dir);
        free(store);
        return 1;
    }
    log_info("server", "serving the Kubernetes API on port %u; kubeconfig: %s",
             server_port(srv), server_kubeconfig_path(srv));
    fprintf(stderr, "\nberth is ready. Use it with:\n  export KUBECONFIG=%s\n  kubectl get nodes\n\n",
            server_kubeconfig_path(srv));

    int sig = 0;
    sigwait(&set, &sig);
    log_info("server", "signal %d: shutting down", sig);
    server_stop(srv);
    free(data_dir);
    free(store);
    return 0;
}

int cmd_kubeconfig(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *data_dir = NULL, *text = NULL;
    size_t len;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            free(data_dir);
            data_dir = xstrdup(optarg);
            break;
        case 'h':
            puts("usage: berth kubeconfig [--data-dir DIR]   print the admin kubeconfig");
            return 0;
        default:
            fputs("usage: berth kubeconfig [--data-dir DIR]\n", stderr);
            return 2;
        }
    }
    if (!data_dir)
        data_dir = default_data_dir();
    char *path = xasprintf("%s/kubeconfig.yaml", data_dir);
    int rc = read_file(path, &text, &len);
    if (rc < 0) {
        fprintf(stderr, "berth kubeconfig: cannot read %s: %s (has `berth server` run with "
                        "--data-dir %s?)\n",
                path, strerror(-rc), data_dir);
        free(path);
        free(data_dir);
        return 1;
    }
    fwrite(text, 1, len, stdout);
    free(text);
    free(path);
    free(data_dir);
    return 0;
}
