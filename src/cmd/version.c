#include <stdio.h>

#include "cmd/cmd.h"

int cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("berth %s (Kubernetes API v1.32)\n", BERTH_VERSION);
    return 0;
}
