/* benchlib.h — what the load generators (apiload, stsload) share: a clock, dying with a
 * message, a process's CPU time, and the target read from berth's kubeconfig. Static
 * functions, compiled into each program (bench/<name>.c builds build/bench/<name> alone). */
#ifndef BERTH_BENCHLIB_H
#define BERTH_BENCHLIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/strbuf.h"

static const char *bench_prog = "bench"; /* the prefix of die()'s messages */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", bench_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* CPU time (user + system, every thread, living or exited) of process pid in seconds; 0 for
 * pid 0. The same counter as utime + stime of /proc/PID/stat, read through the process CPU
 * clock for nanoseconds instead of 10 ms ticks; /proc/PID/stat if that clock is refused. */
static double process_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ut, st;
    clockid_t clk;
    struct timespec ts;

    if (!pid)
        return 0;
    if (clock_getcpuclockid(pid, &clk) == 0 && clock_gettime(clk, &ts) == 0)
        return ts.tv_sec + ts.tv_nsec / 1e9;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        die("cannot parse %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* --- The target: URL, CA and token from the kubeconfig --- */

static char *server_url;                              /* https://HOST:PORT */
static char *auth_header;                             /* "Authorization: Bearer ..." */
static char ca_file[] = "/tmp/berth-bench-ca-XXXXXX"; /* the CA for libcurl */
static bool ca_file_made;

static void remove_ca_file(void)
{
    if (ca_file_made)
        unlink(ca_file);
}

/* The value after "key:" on a line of the kubeconfig berth writes (one cluster, one user). */
static char *kubeconfig_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    const char *line = text;
    while (*line) {
        const char *p = line, *eol = strchr(line, '\n');
        line = eol ? eol + 1 : line + strlen(line);
        while (*p == ' ' || *p == '-')
            p++;
        if (strncmp(p, key, klen) || p[klen] != ':')
            continue;
        p += klen + 1;
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, "\r\n");
        while (n && p[n - 1] == ' ')
            n--;
        return xstrndup(p, n);
    }
    return NULL;
}

/* Read server_url and auth_header from the kubeconfig at path, and write its CA to ca_file
 * (libcurl's GnuTLS backend takes no in-memory CA), removed at exit. */
static void load_kubeconfig(const char *path)
{
    struct strbuf text = STRBUF_INIT, pem = STRBUF_INIT;
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&text, buf, n);
    fclose(f);

    server_url = kubeconfig_value(text.buf, "server");
    char *ca = kubeconfig_value(text.buf, "certificate-authority-data");
    char *token = kubeconfig_value(text.buf, "token");
    if (!server_url || !ca || !token)
        die("%s: want server, certificate-authority-data and token", path);
    if (base64_decode(ca, strlen(ca), &pem, NULL) < 0)
        die("%s: certificate-authority-data is not base64", path);
    auth_header = xasprintf("Authorization: Bearer %s", token);
    int fd = mkstemp(ca_file);
    if (fd < 0)
        die("cannot create %s: %s", ca_file, strerror(errno));
    ca_file_made = true;
    atexit(remove_ca_file);
    if (write(fd, pem.buf, pem.len) != (ssize_t)pem.len || close(fd) < 0)
        die("cannot write %s: %s", ca_file, strerror(errno));
    free(ca);
    free(token);
    strbuf_release(&pem);
    strbuf_release(&text);
}

#endif
