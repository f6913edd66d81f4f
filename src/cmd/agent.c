/* agent.c — `berth agent`: a node agent joined to a berth (or any Kubernetes) API server. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "base/alloc.h"
#include "base/log.h"
#include "client/client.h"
#include "cmd/cmd.h"
#include "server/pki.h"

static void agent_usage(FILE *f)
{
    fputs("usage: berth agent --server URL --token-file F [--ca-file F] [--node-name N]\n"
          "                   [--runtime sim] [--data-dir DIR] [--sim-start-delay DURATION]\n"
          "                   [--node-ip IP] [--max-pods N]\n"
          "\n"
          "  --server URL        the API server (https://HOST:PORT)\n"
          "  --token-file F      a file holding the bearer token to authenticate with\n"
          "  --ca-file F         the CA certificate that signed the server's (default\n"
          "                      DIR/pki/ca.crt if present, else the system's CAs)\n"
          "  --node-name N       the Node to register (default: the host name)\n"
          "  --runtime sim       sim: pods without processes, for tests and benchmarks (the\n"
          "                      container runtime, runc, comes in a later version)\n"
          "  --data-dir DIR      local state: volumes/ (default /var/lib/berth as root, else\n"
          "                      ~/.local/share/berth)\n"
          "  --sim-start-delay D time from binding to Running+Ready, a Go duration such as 2s\n"
          "                      (default 0; the pod annotation sim.berth.io/start-delay wins)\n"
          "  --node-ip IP        the node's InternalIP (default 127.0.0.1)\n"
          "  --max-pods N        the node's pods capacity (default 110, as a kubelet)\n",
          f);
}

/* The file's text without surrounding white space (caller frees), or NULL with errno set. */
static char *read_trimmed(const char *path)
{
    char *text = NULL;
    size_t len;
    int rc = read_file(path, &text, &len);
    if (rc < 0) {
        errno = -rc;
        return NULL;
    }
    while (len && isspace((unsigned char)text[len - 1]))
        text[--len] = '\0';
    size_t skip = strspn(text, " \t\r\n");
    memmove(text, text + skip, len - skip + 1);
    return text;
}

static char *host_name(void)
{
    char buf[256];
    if (gethostname(buf, sizeof(buf)) < 0)
        return xstrdup("localhost");
    buf[sizeof(buf) - 1] = '\0';
    /* a Node name is a DNS subdomain: lower case */
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return xstrdup(buf);
}

int cmd_agent(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"token-file", required_argument, NULL, 't'},
        {"ca-file", required_argument, NULL, 'c'},
        {"node-name", required_argument, NULL, 'n'},
        {"runtime", required_argument, NULL, 'r'},
        {"data-dir", required_argument, NULL, 'd'},
        {"sim-start-delay", required_argument, NULL, 'D'},
        {"node-ip", required_argument, NULL, 'i'},
        {"max-pods", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *server = NULL, *token_file = NULL, *ca_file = NULL, *node = NULL;
    const char *runtime = "runc", *data_dir = NULL, *node_ip = NULL;
    int64_t delay_ms = 0;
    long max_pods = 0;
    int c, status = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            server = optarg;
            break;
        case 't':
            token_file = optarg;
            break;
        case 'c':
            ca_file = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'r':
            runtime = optarg;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'D':
            if (agent_parse_duration_ms(optarg, &delay_ms) < 0 || delay_ms > INT32_MAX) {
                fprintf(stderr, "berth agent: --sim-start-delay: invalid duration \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'i':
            node_ip = optarg;
            break;
        case 'm': {
            char *end;
            max_pods = strtol(optarg, &end, 10);
            if (*end || max_pods < 1 || max_pods > 1000000) {
                fprintf(stderr, "berth agent: --max-pods wants a positive number\n");
                return 2;
            }
            break;
        }
        case 'h':
            agent_usage(stdout);
            return 0;
        default:
            agent_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "berth agent: unexpected argument '%s'\n", argv[optind]);
        agent_usage(stderr);
        return 2;
    }
    if (!server || !token_file) {
        fprintf(stderr, "berth agent: --server and --token-file are required\n");
        agent_usage(stderr);
        return 2;
    }
    if (strcmp(runtime, "sim")) {
        fprintf(stderr,
                "berth agent: runtime \"%s\" is not available in this version; "
                "--runtime sim runs simulated pods\n",
                runtime);
        return 2;
    }

    char *dir = data_dir ? xstrdup(data_dir) : default_data_dir();
    char *node_name = node ? xstrdup(node) : host_name();
    char *token = NULL, *ca_pem = NULL, *ca_default = NULL;
    struct kclient *client = NULL;
    struct agent *agent = NULL;

    token = read_trimmed(token_file);
    if (!token || !*token) {
        fprintf(stderr, "berth agent: cannot read a token from %s: %s\n", token_file,
                token ? "empty file" : strerror(errno));
        goto out;
    }
    if (!ca_file) {
        ca_default = xasprintf("%s/pki/ca.crt", dir);
        if (access(ca_default, R_OK) == 0)
            ca_file = ca_default;
    }
    if (ca_file) {
        size_t len;
        int rc = read_file(ca_file, &ca_pem, &len);
        if (rc < 0) {
            fprintf(stderr, "berth agent: cannot read %s: %s\n", ca_file, strerror(-rc));
            goto out;
        }
    }

    char *ua = xasprintf("berth-agent/%s", node_name);
    struct kclient_config kc = {
        .server = server, .token = token, .ca_pem = ca_pem, .user_agent = ua};
    int rc = kclient_new(&kc, &client);
    free(ua);
    if (rc < 0) {
        fprintf(stderr, "berth agent: cannot make a client for %s: %s\n", server, strerror(-rc));
        goto out;
    }

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct agent_config cfg = {
        .node_name = node_name,
        .runtime = runtime,
        .data_dir = dir,
        .sim_start_delay_ms = (int)delay_ms,
        .internal_ip = node_ip,
        .max_pods = (int)max_pods,
    };
    rc = agent_start(client, &cfg, &agent);
    if (rc < 0) {
        fprintf(stderr, "berth agent: cannot start: %s\n", strerror(-rc));
        goto out;
    }
    log_info("agent", "node %s joined %s", node_name, server);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("agent", "signal %d: shutting down", sig);
    agent_stop(agent);
    status = 0;
out:
    kclient_free(client);
    free(token);
    free(ca_pem);
    free(ca_default);
    free(node_name);
    free(dir);
    return status;
}
