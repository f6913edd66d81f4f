/* server.c — `berth server` and `berth kubeconfig`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/names.h"
#include "client/client.h"
#include "client/informer.h"
#include "cmd/cmd.h"
#include "controllers/manager.h"
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

/* The node name: the host name, lower-cased, if it is a valid DNS-1123 subdomain. */
char *default_node_name(void)
{
    char host[256] = "";
    const char *msgs[NAME_MAX_MSGS];
    gethostname(host, sizeof(host) - 1);
    for (char *p = host; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (!*host || name_check_dns1123_subdomain(host, msgs))
        return xstrdup("berth-node");
    return xstrdup(host);
}

static void server_usage(FILE *f)
{
    fputs("usage: berth server [--data-dir DIR] [--listen HOST:PORT] [--store sqlite|URL]\n"
          "                    [--runtime sim] [--disable-agent] [--node-name N]\n"
          "                    [--no-default-storage-class] [--service-cidr CIDR]\n"
          "\n"
          "  --data-dir DIR      state, certificates and kubeconfig (default /var/lib/berth as\n"
          "                      root, else ~/.local/share/berth)\n"
          "  --listen HOST:PORT  HTTPS address (default 127.0.0.1:6443; port 0 picks a free one)\n"
          "  --store sqlite      the embedded SQLite store in DIR/state.db (default), or\n"
          "                      sqlite:PATH\n"
          "  --runtime sim       run the embedded node agent with the simulated runtime (pods\n"
          "                      become Running without processes: tests and benchmarks)\n"
          "  --sim-start-delay D sim: time from binding to Running+Ready, e.g. 500ms (default 0)\n"
          "  --max-pods N        pods the embedded node accepts (default 110)\n"
          "  --disable-agent     do not run the embedded node agent\n"
          "  --disable-controllers  serve the API only (no controllers in this process)\n"
          "  --node-name N       the embedded agent's node name (default: the host name)\n"
          "  --no-default-storage-class  create the local-path class without making it the\n"
          "                      default\n"
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
        {"runtime", required_argument, NULL, 'r'},
        {"sim-start-delay", required_argument, NULL, 'D'},
        {"disable-agent", no_argument, NULL, 'A'},
        {"node-name", required_argument, NULL, 'n'},
        {"no-default-storage-class", no_argument, NULL, 'S'},
        {"disable-controllers", no_argument, NULL, 'C'},
        {"max-pods", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct server_config cfg = {0};
    char *data_dir = NULL, *store = NULL, *node_name = NULL;
    const char *runtime = NULL;
    bool disable_agent = false, default_sc = true, disable_controllers = false;
    int sim_delay = 0, max_pods = 0;
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
        case 'r':
            runtime = optarg;
            if (strcmp(runtime, "sim")) {
                fprintf(stderr, "berth server: runtime '%s' is not available in this version "
                                "(only sim)\n",
                        runtime);
                return 2;
            }
            break;
        case 'D': {
            int64_t ms;
            if (agent_parse_duration_ms(optarg, &ms) < 0 || ms > 3600000) {
                fprintf(stderr, "berth server: --sim-start-delay wants a duration such as 500ms "
                                "or 2s\n");
                return 2;
            }
            sim_delay = (int)ms;
            break;
        }
        case 'M':
            max_pods = atoi(optarg);
            if (max_pods < 1) {
                fprintf(stderr, "berth server: --max-pods wants a positive number\n");
                return 2;
            }
            break;
        case 'A':
            disable_agent = true;
            break;
        case 'n':
            free(node_name);
            node_name = xstrdup(optarg);
            break;
        case 'S':
            default_sc = false;
            break;
        case 'C':
            disable_controllers = true;
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
    if (!node_name)
        node_name = default_node_name();

    /* Controllers and the embedded agent are clients of the API, over the unix socket. */
    char *sock = xasprintf("unix:%s", server_socket_path(srv));
    struct kclient_config kc = {.server = sock, .token = server_token(srv),
                                .user_agent = "berth-controller-manager"};
    struct kclient *client = NULL, *agent_client = NULL;
    struct informer_factory *informers = NULL;
    struct controllers *ctrls = NULL;
    struct agent *agent = NULL;
    int rc = kclient_new(&kc, &client);
    if (rc == 0 && !disable_controllers) {
        informers = informer_factory_new(client);
        struct ctrl_env env = {.client = client,
                               .informers = informers,
                               .node_name = node_name,
                               .data_dir = data_dir,
                               .default_storage_class = default_sc};
        rc = controllers_start(&env, &ctrls);
    }
    if (rc == 0 && !disable_agent) {
        if (!runtime) {
            log_warn("server", "no node agent: the runc runtime comes in a later version; start "
                               "with --runtime sim for a simulated node, or --disable-agent");
        } else {
            kc.user_agent = "berth-agent";
            rc = kclient_new(&kc, &agent_client);
            struct agent_config ac = {.node_name = node_name,
                                      .runtime = runtime,
                                      .data_dir = data_dir,
                                      .sim_start_delay_ms = sim_delay,
                                      .max_pods = max_pods};
            if (rc == 0)
                rc = agent_start(agent_client, &ac, &agent);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "berth server: failed to start the controllers or the agent: %s\n",
                strerror(-rc));
        server_stop(srv);
        return 1;
    }
    fprintf(stderr, "\nberth is ready. Use it with:\n  export KUBECONFIG=%s\n  kubectl get nodes\n\n",
            server_kubeconfig_path(srv));

    int sig = 0;
    sigwait(&set, &sig);
    log_info("server", "signal %d: shutting down", sig);
    agent_stop(agent);
    informer_factory_stop(informers);
    controllers_stop(ctrls);
    informer_factory_free(informers);
    kclient_free(agent_client);
    kclient_free(client);
    free(sock);
    free(node_name);
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
