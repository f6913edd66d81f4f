/* main.c — the berth command line: server, agent, kubeconfig, version. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "cmd/cmd.h"

static int usage(FILE *f)
{
    fputs("usage: berth <command> [options]\n"
          "\n"
          "commands:\n"
          "  server      run the API server, controllers and node agent\n"
          "  agent       run a node agent that joins a server\n"
          "  kubeconfig  print the admin kubeconfig\n"
          "  version     print the version\n",
          f);
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "server"))
        return cmd_server(argc - 1, argv + 1);
    if (!strcmp(argv[1], "agent"))
        return cmd_agent(argc - 1, argv + 1);
    if (!strcmp(argv[1], "kubeconfig"))
        return cmd_kubeconfig(argc - 1, argv + 1);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    fprintf(stderr, "berth: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
