#include <stdio.h>

#include "cmd/cmd.h"

int cmd_server(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "berth server: not built yet\n");
    return 1;
}

int cmd_kubeconfig(int argc, char **argv)
{
    (void)argc, (void)argv;
    return 1;
}
