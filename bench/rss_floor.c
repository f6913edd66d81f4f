/* rss_floor — the floor the server's idle RSS is judged against (DESIGN.md §7).
 *
 * A process that loads the shared libraries build/berth loads (bench/api.sh passes the list
 * `ldd build/berth` prints) and nothing else: their constructors run (GnuTLS initialises
 * itself on load), but there are no certificates, no store, no cache and no threads. Its VmRSS
 * is what the libraries cost by themselves; the server's idle RSS above it is berth's own.
 *
 *   build/bench/rss_floor [-i IDLE_SECONDS] LIBRARY...
 *
 * Prints "rss_floor_kb N" and "rss_floor_libs N" after idling IDLE_SECONDS (default 0).
 * Exit status 1 if a library does not load.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"

static long vm_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    double idle = 0;
    int opt;

    while ((opt = getopt(argc, argv, "i:")) != -1) {
        if (opt != 'i') {
            fputs("usage: rss_floor [-i IDLE_SECONDS] LIBRARY...\n", stderr);
            return 2;
        }
        idle = atof(optarg);
    }
    for (int i = optind; i < argc; i++) {
        /* Lazy binding, as the dynamic loader binds berth (it is not linked with -z now). */
        if (!dlopen(argv[i], RTLD_LAZY | RTLD_GLOBAL)) {
            fprintf(stderr, "rss_floor: %s\n", dlerror());
            return 1;
        }
    }
    if (idle > 0)
        usleep((useconds_t)(idle * 1e6));
    printf("rss_floor_kb %ld\n", vm_rss_kb());
    printf("rss_floor_libs %d\n", argc - optind);
    return 0;
}
