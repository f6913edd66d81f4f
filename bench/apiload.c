/* apiload — the load generator behind bench/api.sh (DESIGN.md §7).
 *
 * Drives a running `berth server` over HTTPS on loopback with the CA and bearer token of its
 * kubeconfig, through libcurl's multi interface: C parallel keep-alive connections, each
 * sending its next request as soon as the previous answer is in. The machine is shared, so
 * every figure is measured in several back-to-back rounds and the median is reported.
 *
 *   apiload [-k KUBECONFIG] [-c CONNS] [-t SECONDS] [-r ROUNDS] [-N NAMESPACE] [-p PID] MODE
 *
 *   create [-K configmap|pod] [-n COUNT] [-P PREFIX]
 *            POST small objects into NAMESPACE (created if missing) with generateName; with -n,
 *            exactly COUNT objects, no rounds; with -P, named PREFIX00000, PREFIX00001, ...
 *   get -P PREFIX -n COUNT   GET pods PREFIX00000 .. PREFIX<COUNT-1> in turn
 *   list                     LIST the pods of NAMESPACE
 *   readyz                   GET /readyz: the bare HTTPS request rate of the server
 *   watch -w M[:EVENTS][,M[:EVENTS]...] [-e EVENTS]
 *            per round and per M: a fresh namespace, M streaming watches of its ConfigMaps,
 *            then EVENTS creates (default -e, 1000) through the C connections; done when every
 *            watcher has seen every event. M = 0 measures the creates alone, so that the
 *            server CPU the deliveries cost can be told from what the writes cost.
 *   start -b BERTH -D DIR [-f] [-i IDLE] [-- SERVER_ARGS...]
 *            exec `BERTH server --data-dir DIR SERVER_ARGS` on a free port and time it to the
 *            first 200 from /readyz; -f: a fresh DIR/fresh-N per round (first start:
 *            certificates); -i: then stay idle IDLE seconds and read the server's VmRSS
 *   exec -b BERTH            time exec of `BERTH version` to its exit (the floor for start)
 *
 * Output: "# " comment lines, then one "name value..." line per figure, medians first:
 *   load modes: rate (requests/s), rate_rounds, errors, bytes_per_req,
 *               server_cpu_us_per_req (with -p)
 *   watch:      per M, as watchM_<figure> (and watchM_<figure>_rounds):
 *                 events_per_sec             delivered to all M watchers, wall clock
 *                 writes_per_sec             the creates, wall clock
 *                 cpu_us_per_event           server CPU per delivered event, writes included
 *                 stream_cpu_us_per_event    CPU of the threads serving the M watch streams
 *                                            (new threads while the watches opened;
 *                                            /proc/PID/task/TID/schedstat) per event
 *                 write_cpu_us_per_write     the rest of the server's CPU, per create (the
 *                                            fan-out into the watchers' queues is in it)
 *                 delivery_cpu_us_per_event  what the M watchers add to the server's CPU per
 *                                            delivered event: (CPU per create with M watchers
 *                                            - CPU per create with 0) / M
 *   start:      start_ms, start_ms_rounds, rss_kb, rss_kb_rounds
 *   exec:       exec_ms, exec_ms_rounds
 * Server CPU is utime + stime of the whole process (exited threads included), the counter of
 * /proc/PID/stat, read with nanosecond resolution through the process CPU clock.
 * Exit status 0, 1 on an error (printed to stderr), 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/strbuf.h"
#include "benchlib.h"

#define MAX_ROUNDS 100
#define MAX_WATCH_SETS 8
#define KEEP_BODY 1024 /* bytes of each answer kept for error messages */

/* --- Options --- */

static const char *kubeconfig;
static int nconns = 4;
static double seconds = 3;
static int nrounds = 3;
static const char *ns = "bench";
static pid_t server_pid;
static const char *kind = "configmap";
static long count;
static const char *prefix;
static int watch_sets[MAX_WATCH_SETS];
static long watch_events[MAX_WATCH_SETS]; /* events per round of each set; 0: -e */
static int nwatch_sets;
static long nevents = 1000;
static const char *berth;
static const char *data_dir;
static bool fresh;
static double idle_s;
static char **server_args; /* start: after "--" */
static int nserver_args;

/* --- Small helpers --- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof(*v));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_rounds(const char *name, const double *v, int n, const char *fmt)
{
    printf("%s", name);
    for (int i = 0; i < n; i++) {
        putchar(' ');
        printf(fmt, v[i]);
    }
    putchar('\n');
}

/* Server CPU time in seconds; 0 without -p. */
static double server_cpu_s(void)
{
    return process_cpu_s(server_pid);
}

/* The server's threads and the CPU time each has used (ns, /proc/PID/task/TID/schedstat). */
struct threads {
    int n;
    int tid[4096];
    double ns[4096];
};

static void server_threads(struct threads *t)
{
    char path[64];
    t->n = 0;
    if (!server_pid)
        return;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)server_pid);
    DIR *d = opendir(path);
    if (!d)
        die("cannot list %s: %s", path, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) && t->n < (int)ARRAY_SIZE(t->tid)) {
        char stat[128];
        unsigned long long run;
        int tid = atoi(de->d_name);
        if (tid <= 0)
            continue;
        snprintf(stat, sizeof(stat), "/proc/%d/task/%d/schedstat", (int)server_pid, tid);
        FILE *f = fopen(stat, "r");
        if (!f)
            continue; /* gone since readdir */
        if (fscanf(f, "%llu", &run) == 1) {
            t->tid[t->n] = tid;
            t->ns[t->n++] = (double)run;
        }
        fclose(f);
    }
    closedir(d);
}

static int threads_find(const struct threads *t, int tid)
{
    for (int i = 0; i < t->n; i++)
        if (t->tid[i] == tid)
            return i;
    return -1;
}

/* VmRSS of a process in kB, or -1. */
static long vm_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* --- Connections --- */

struct conn {
    CURL *h;
    struct curl_slist *hdrs;
    char *url;                 /* of the current request */
    char *body;                /* of the current request (POST), or NULL */
    char err[CURL_ERROR_SIZE]; /* curl's message for a failed transfer */
    struct strbuf head;        /* first KEEP_BODY bytes of the answer */
    size_t bytes;              /* answer body bytes so far */
    long events;               /* watch: complete events seen */
    bool established;          /* watch: the 200 headers are in */
    long status;               /* watch: status line seen by the header callback */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    c->bytes += n;
    if (c->head.len < KEEP_BODY)
        strbuf_add(&c->head, data, n < KEEP_BODY - c->head.len ? n : KEEP_BODY - c->head.len);
    return n;
}

/* A watch answer is one JSON object per line; the server never splits one with a newline. */
static size_t on_watch_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    c->bytes += n;
    for (const char *p = data, *end = data + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        c->events++;
    return n;
}

static size_t on_watch_header(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    if (n > 5 && !strncmp(data, "HTTP/", 5))
        c->status = strtol(strchr(data, ' ') ? strchr(data, ' ') : data, NULL, 10);
    else if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n'))
        c->established = c->status == 200;
    return n;
}

static void conn_init(struct conn *c)
{
    memset(c, 0, sizeof(*c));
    strbuf_init(&c->head, 0);
    c->h = curl_easy_init();
    if (!c->h)
        die("curl_easy_init failed");
    curl_easy_setopt(c->h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->err);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
    c->hdrs = curl_slist_append(NULL, auth_header);
    c->hdrs = curl_slist_append(c->hdrs, "Accept: application/json");
    c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
}

static void conn_release(struct conn *c)
{
    curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdrs);
    strbuf_release(&c->head);
    free(c->url);
    free(c->body);
}

/* Point the connection at its next request: a GET, or a POST of body (taken over). */
static void conn_request(struct conn *c, char *url, char *body)
{
    free(c->url);
    free(c->body);
    c->url = url;
    c->body = body;
    c->bytes = 0;
    strbuf_reset(&c->head);
    c->err[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
}

/* The status of a finished transfer, or -1 if it failed below HTTP (message printed). */
static long conn_result(struct conn *c, CURLcode rc)
{
    long code = -1;
    if (rc != CURLE_OK) {
        fprintf(stderr, "apiload: %s: %s\n", c->url, c->err[0] ? c->err : curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static void report_bad_status(struct conn *c, long code)
{
    fprintf(stderr, "apiload: %s: HTTP %ld: %.*s\n", c->url, code, (int)c->head.len, c->head.buf);
}

/* One request, synchronously, on a connection of its own. Returns the HTTP status. */
static long request_once(const char *path, const char *body)
{
    struct conn c;
    conn_init(&c);
    conn_request(&c, xasprintf("%s%s", server_url, path), body ? xstrdup(body) : NULL);
    long code = conn_result(&c, curl_easy_perform(c.h));
    if (code >= 300 && code != 409)
        report_bad_status(&c, code);
    conn_release(&c);
    return code;
}

static void ensure_namespace(const char *name)
{
    char *body = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                           "{\"name\":\"%s\"}}",
                           name);
    long code = request_once("/api/v1/namespaces", body);
    free(body);
    if (code != 201 && code != 409)
        die("cannot create namespace %s", name);
}

/* --- Load modes: create, get, list, readyz --- */

enum load_mode { LOAD_CREATE, LOAD_GET, LOAD_LIST, LOAD_READYZ };

struct load {
    enum load_mode mode;
    const char *ns;
    long want;   /* expected status */
    long issued; /* requests handed to curl */
    long limit;  /* stop issuing after this many; 0: no limit */
    int inflight;
};

static char *create_body(long i)
{
    char name[160];
    if (prefix)
        snprintf(name, sizeof(name), "\"name\":\"%s%05ld\"", prefix, i);
    else
        snprintf(name, sizeof(name), "\"generateName\":\"%s\"",
                 strcmp(kind, "pod") ? "cm-" : "pod-");
    if (!strcmp(kind, "pod"))
        return xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{%s,"
                         "\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":"
                         "\"main\",\"image\":\"registry.k8s.io/pause:3.10\"}]}}",
                         name);
    return xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{%s},"
                     "\"data\":{\"key\":\"value\"}}",
                     name);
}

static void load_next(struct load *l, struct conn *c)
{
    long i = l->issued++;
    switch (l->mode) {
    case LOAD_CREATE:
        conn_request(c,
                     xasprintf("%s/api/v1/namespaces/%s/%s", server_url, l->ns,
                               strcmp(kind, "pod") ? "configmaps" : "pods"),
                     create_body(i));
        break;
    case LOAD_GET:
        conn_request(
            c,
            xasprintf("%s/api/v1/namespaces/%s/pods/%s%05ld", server_url, l->ns, prefix, i % count),
            NULL);
        break;
    case LOAD_LIST:
        conn_request(c, xasprintf("%s/api/v1/namespaces/%s/pods", server_url, l->ns), NULL);
        break;
    case LOAD_READYZ:
        conn_request(c, xasprintf("%s/readyz", server_url), NULL);
        break;
    }
}

struct tally {
    long done, errors;
    double bytes;
};

/* Hand connection c its next request, unless the load is complete. */
static void load_issue(CURLM *m, struct load *l, struct conn *c)
{
    if (l->limit && l->issued >= l->limit)
        return;
    load_next(l, c);
    curl_multi_add_handle(m, c->h);
    l->inflight++;
}

/* Run the multi handle until stop_at (monotonic seconds) or, with a limit, until every
 * issued request is answered; each finished connection gets its next request at once. */
static void load_drive(CURLM *m, struct load *l, struct tally *t, double stop_at)
{
    for (;;) {
        if (stop_at && now_s() >= stop_at)
            return;
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct conn *c;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            long code = conn_result(c, msg->data.result);
            if (code != l->want) {
                if (code > 0)
                    report_bad_status(c, code);
                if (++t->errors > 10)
                    die("too many errors");
            } else {
                t->done++;
                t->bytes += (double)c->bytes;
            }
            curl_multi_remove_handle(m, c->h);
            l->inflight--;
            load_issue(m, l, c);
        }
        if (l->limit && !l->inflight)
            return;
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
}

static int run_load(enum load_mode mode)
{
    struct load l = {.mode = mode, .ns = ns, .want = mode == LOAD_CREATE ? 201 : 200};
    struct conn *conns = xcalloc((size_t)nconns, sizeof(*conns));
    CURLM *m = curl_multi_init();
    struct tally t = {0};
    double rate[MAX_ROUNDS], cpu[MAX_ROUNDS], bytes_per_req = 0;

    if (mode == LOAD_CREATE)
        ensure_namespace(ns);
    if (count && mode == LOAD_CREATE)
        l.limit = count;
    for (int i = 0; i < nconns; i++) {
        conn_init(&conns[i]);
        curl_easy_setopt(conns[i].h, CURLOPT_PRIVATE, &conns[i]);
        load_issue(m, &l, &conns[i]);
    }
    static const char *const mode_names[] = {"create", "get", "list", "readyz"};
    printf("# apiload %s: %d connections\n", mode_names[mode], nconns);

    if (l.limit) {
        /* Load exactly COUNT objects: one timed pass. */
        double t0 = now_s(), c0 = server_cpu_s();
        load_drive(m, &l, &t, 0);
        double dt = now_s() - t0;
        rate[0] = t.done / dt;
        cpu[0] = (server_cpu_s() - c0) / (t.done ? t.done : 1) * 1e6;
        bytes_per_req = t.done ? t.bytes / t.done : 0;
        nrounds = 1;
    } else {
        /* Warm up: every connection has its TLS session and the server its threads. */
        load_drive(m, &l, &t, now_s() + (seconds < 1 ? seconds : 1));
        for (int r = 0; r < nrounds; r++) {
            struct tally rt = {0};
            double t0 = now_s(), c0 = server_cpu_s();
            load_drive(m, &l, &rt, t0 + seconds);
            double dt = now_s() - t0;
            rate[r] = rt.done / dt;
            cpu[r] = (server_cpu_s() - c0) / (rt.done ? rt.done : 1) * 1e6;
            bytes_per_req = rt.done ? rt.bytes / rt.done : 0;
            t.errors += rt.errors;
        }
    }
    printf("# %d round(s)%s; median first\n", nrounds, l.limit ? "" : " after 1 s of warm-up");
    printf("rate %.1f\n", median(rate, nrounds));
    print_rounds("rate_rounds", rate, nrounds, "%.1f");
    printf("errors %ld\n", t.errors);
    printf("bytes_per_req %.0f\n", bytes_per_req);
    if (server_pid) {
        printf("server_cpu_us_per_req %.1f\n", median(cpu, nrounds));
        print_rounds("server_cpu_us_per_req_rounds", cpu, nrounds, "%.1f");
    }

    for (int i = 0; i < nconns; i++) {
        curl_multi_remove_handle(m, conns[i].h);
        conn_release(&conns[i]);
    }
    curl_multi_cleanup(m);
    free(conns);
    return 0;
}

/* --- Watch fan-out --- */

struct watch_result {
    double events_per_s; /* delivered, all watchers, wall clock */
    double writes_per_s;
    double cpu_s;        /* server CPU from the first write to the last delivery */
    double stream_cpu_s; /* the part of it in the threads serving the watch streams */
};

static void watch_round(int round, int nwatch, long nev, struct watch_result *res)
{
    char *wns = xasprintf("%s-r%d-w%d", ns, round, nwatch);
    struct conn *w = xcalloc((size_t)(nwatch ? nwatch : 1), sizeof(*w));
    struct conn *wr = xcalloc((size_t)nconns, sizeof(*wr));
    CURLM *m = curl_multi_init();
    struct load l = {.mode = LOAD_CREATE, .ns = wns, .want = 201, .limit = nev};
    int running;

    struct threads *before = xcalloc(1, sizeof(*before)), *streams = xcalloc(1, sizeof(*streams));
    struct threads *t0s = xcalloc(1, sizeof(*t0s)), *t1s = xcalloc(1, sizeof(*t1s));
    ensure_namespace(wns);
    server_threads(before);
    for (int i = 0; i < nwatch; i++) {
        conn_init(&w[i]);
        conn_request(
            &w[i], xasprintf("%s/api/v1/namespaces/%s/configmaps?watch=1", server_url, wns), NULL);
        curl_easy_setopt(w[i].h, CURLOPT_PRIVATE, &w[i]);
        curl_easy_setopt(w[i].h, CURLOPT_WRITEFUNCTION, on_watch_body);
        curl_easy_setopt(w[i].h, CURLOPT_HEADERFUNCTION, on_watch_header);
        curl_easy_setopt(w[i].h, CURLOPT_HEADERDATA, &w[i]);
        curl_easy_setopt(w[i].h, CURLOPT_FORBID_REUSE, 1L);
        curl_multi_add_handle(m, w[i].h);
    }
    /* The server registers a watcher before it answers with headers, so once every watcher
     * has its 200 no event can be missed. */
    for (double until = now_s() + 30;;) {
        int up = 0;
        for (int i = 0; i < nwatch; i++)
            up += w[i].established;
        if (up == nwatch)
            break;
        if (now_s() > until)
            die("only %d of %d watches started in 30 s", up, nwatch);
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE)
                die("a watch ended before it started: %s", curl_easy_strerror(msg->data.result));
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }

    /* Each connection has a thread of its own in the server: the new ones serve the watches. */
    server_threads(streams);
    int nstreams = 0;
    for (int i = 0; i < streams->n; i++)
        if (threads_find(before, streams->tid[i]) < 0)
            streams->tid[nstreams++] = streams->tid[i];
    streams->n = nstreams;

    /* The writers' connections and TLS sessions are set up, in the multi handle's connection
     * cache, before the clock starts. */
    struct load warm = {.mode = LOAD_READYZ, .want = 200, .limit = nconns};
    struct tally t = {0};
    for (int i = 0; i < nconns; i++) {
        conn_init(&wr[i]);
        curl_easy_setopt(wr[i].h, CURLOPT_PRIVATE, &wr[i]);
        load_issue(m, &warm, &wr[i]);
    }
    while (t.done < nconns) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            struct conn *c;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (msg->msg != CURLMSG_DONE)
                continue;
            if (c < wr || c >= wr + nconns || conn_result(c, msg->data.result) != 200)
                die("warm-up before watch round %d failed", round);
            curl_multi_remove_handle(m, c->h);
            t.done++;
        }
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    t.done = 0;

    server_threads(t0s);
    double t0 = now_s(), c0 = server_cpu_s(), t_writes = 0;
    for (int i = 0; i < nconns; i++)
        load_issue(m, &l, &wr[i]);
    for (double until = t0 + 120;;) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct conn *c;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c < wr || c >= wr + nconns)
                die("watch %ld ended early: %s", (long)(c - w),
                    curl_easy_strerror(msg->data.result));
            long code = conn_result(c, msg->data.result);
            if (code != 201) {
                if (code > 0)
                    report_bad_status(c, code);
                die("a write failed");
            }
            t.done++;
            curl_multi_remove_handle(m, c->h);
            l.inflight--;
            load_issue(m, &l, c);
        }
        if (t.done == nev && !t_writes)
            t_writes = now_s();
        long least = nev;
        for (int i = 0; i < nwatch; i++)
            if (w[i].events < least)
                least = w[i].events;
        if (t.done == nev && least >= nev)
            break;
        if (now_s() > until)
            die("watch round %d with %d watchers: %ld of %ld writes, slowest watcher has %ld "
                "events after 120 s",
                round, nwatch, t.done, nev, least);
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    double dt = now_s() - t0;
    res->cpu_s = server_cpu_s() - c0;
    server_threads(t1s);
    res->stream_cpu_s = 0;
    for (int i = 0; i < t1s->n; i++) {
        int a = threads_find(t0s, t1s->tid[i]);
        if (a >= 0 && threads_find(streams, t1s->tid[i]) >= 0)
            res->stream_cpu_s += (t1s->ns[i] - t0s->ns[a]) / 1e9;
    }
    res->events_per_s = (double)nev * nwatch / dt;
    res->writes_per_s = nev / (t_writes - t0);
    for (int i = 0; i < nwatch; i++)
        if (w[i].events != nev)
            die("watcher %d saw %ld events, want %ld", i, w[i].events, nev);

    for (int i = 0; i < nwatch; i++) {
        curl_multi_remove_handle(m, w[i].h);
        conn_release(&w[i]);
    }
    for (int i = 0; i < nconns; i++) {
        curl_multi_remove_handle(m, wr[i].h);
        conn_release(&wr[i]);
    }
    curl_multi_cleanup(m);
    free(before);
    free(streams);
    free(t0s);
    free(t1s);
    free(w);
    free(wr);
    free(wns);
}

/* Figures per watcher count, one value per round. */
enum wfig {
    W_EVENTS_PER_S, /* delivered, all watchers, wall clock */
    W_WRITES_PER_S,
    W_CPU_PER_EVENT,      /* whole server per delivered event (writes included) */
    W_STREAM_PER_EVENT,   /* watch stream threads per delivered event */
    W_WRITE_PER_WRITE,    /* the rest of the server per write (fan-out to queues included) */
    W_DELIVERY_PER_EVENT, /* (whole server - whole server with 0 watchers) per event */
    W_NFIGS,
};

static const struct {
    const char *name, *fmt;
    bool cpu;
} wfigs[W_NFIGS] = {
    {"events_per_sec", "%.1f", false},        {"writes_per_sec", "%.1f", false},
    {"cpu_us_per_event", "%.2f", true},       {"stream_cpu_us_per_event", "%.2f", true},
    {"write_cpu_us_per_write", "%.1f", true}, {"delivery_cpu_us_per_event", "%.2f", true},
};

static int run_watch(void)
{
    static double v[MAX_WATCH_SETS][W_NFIGS][MAX_ROUNDS];
    int zero = -1;

    for (int s = 0; s < nwatch_sets; s++)
        if (watch_sets[s] == 0)
            zero = s;
    for (int s = 0; s < nwatch_sets; s++)
        if (!watch_events[s])
            watch_events[s] = nevents;
    printf("# apiload watch: ConfigMap creates through %d connections; watchers:creates per "
           "round:",
           nconns);
    for (int s = 0; s < nwatch_sets; s++)
        printf(" %d:%ld", watch_sets[s], watch_events[s]);
    printf("; %d rounds, median first\n", nrounds);
    for (int r = 0; r < nrounds; r++) {
        struct watch_result res[MAX_WATCH_SETS];
        for (int s = 0; s < nwatch_sets; s++) {
            watch_round(r, watch_sets[s], watch_events[s], &res[s]);
            /* A server thread notices its watch client has gone within a second; let them go
             * before the next set is measured. */
            sleep(2);
        }
        for (int s = 0; s < nwatch_sets; s++) {
            double n = watch_sets[s], k = (double)watch_events[s], ev = n * k;
            v[s][W_EVENTS_PER_S][r] = res[s].events_per_s;
            v[s][W_WRITES_PER_S][r] = res[s].writes_per_s;
            v[s][W_CPU_PER_EVENT][r] = ev ? res[s].cpu_s / ev * 1e6 : 0;
            v[s][W_STREAM_PER_EVENT][r] = ev ? res[s].stream_cpu_s / ev * 1e6 : 0;
            v[s][W_WRITE_PER_WRITE][r] = (res[s].cpu_s - res[s].stream_cpu_s) / k * 1e6;
            /* What the watchers add to the server's CPU, per delivered event. */
            v[s][W_DELIVERY_PER_EVENT][r] =
                ev && zero >= 0
                    ? (res[s].cpu_s / k - res[zero].cpu_s / (double)watch_events[zero]) / n * 1e6
                    : 0;
        }
    }
    for (int s = 0; s < nwatch_sets; s++) {
        for (int f = 0; f < W_NFIGS; f++) {
            char name[96], fmt[16];
            if (wfigs[f].cpu && !server_pid)
                continue;
            if (!watch_sets[s] && f != W_WRITES_PER_S && f != W_WRITE_PER_WRITE)
                continue;
            if (f == W_DELIVERY_PER_EVENT && zero < 0)
                continue;
            snprintf(fmt, sizeof(fmt), "%%s %s\n", wfigs[f].fmt);
            snprintf(name, sizeof(name), "watch%d_%s", watch_sets[s], wfigs[f].name);
            printf(fmt, name, median(v[s][f], nrounds));
            snprintf(name, sizeof(name), "watch%d_%s_rounds", watch_sets[s], wfigs[f].name);
            print_rounds(name, v[s][f], nrounds, wfigs[f].fmt);
        }
    }
    return 0;
}

/* --- Start-up --- */

/* A port nobody listens on right now (the server binds it a moment later). */
static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
        die("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(sa.sin_port);
}

static pid_t spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *cls)
{
    (void)data, (void)cls;
    return size * nmemb;
}

/* Poll https://127.0.0.1:PORT/readyz until it answers 200. The certificate is not checked:
 * a fresh server makes its CA during the start being timed. Returns false if pid died. */
static bool wait_ready(int port, pid_t pid, double give_up)
{
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/readyz", port);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    bool ok = false;
    while (now_s() < give_up) {
        long code = 0;
        if (curl_easy_perform(h) == CURLE_OK &&
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200) {
            ok = true;
            break;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;
        /* Connection refused until the server listens; retry soon. */
        struct timespec ts = {0, 500 * 1000};
        nanosleep(&ts, NULL);
    }
    curl_easy_cleanup(h);
    return ok;
}

static void stop_child(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(50 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int run_start(void)
{
    double ms[MAX_ROUNDS], rss[MAX_ROUNDS];
    char *log_path = xasprintf("%s%sstart.log", data_dir, fresh ? "/" : ".");

    if (fresh)
        mkdir(data_dir, 0700);
    printf("# apiload start: exec of %s server to the first 200 from /readyz, %s data dir%s; "
           "%d rounds, median first\n",
           berth, fresh ? "a fresh" : "an existing", idle_s > 0 ? ", then VmRSS after idling" : "",
           nrounds);
    for (int r = 0; r < nrounds; r++) {
        char *dir = fresh ? xasprintf("%s/fresh-%d", data_dir, r) : xstrdup(data_dir);
        char listen[32];
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
        char **argv = xcalloc((size_t)nserver_args + 7, sizeof(*argv));
        char *fixed[] = {(char *)berth, "server", "--data-dir", dir, "--listen", listen};
        memcpy(argv, fixed, sizeof(fixed));
        memcpy(argv + ARRAY_SIZE(fixed), server_args, (size_t)nserver_args * sizeof(*argv));
        double t0 = now_s();
        pid_t pid = spawn(argv, log_path);
        if (!wait_ready(atoi(strchr(listen, ':') + 1), pid, t0 + 30))
            die("%s server did not become ready (log: %s)", berth, log_path);
        ms[r] = (now_s() - t0) * 1e3;
        rss[r] = 0;
        if (idle_s > 0) {
            struct timespec ts = {(time_t)idle_s, (long)((idle_s - (time_t)idle_s) * 1e9)};
            nanosleep(&ts, NULL);
            rss[r] = (double)vm_rss_kb(pid);
        }
        stop_child(pid);
        free(argv);
        free(dir);
    }
    printf("start_ms %.1f\n", median(ms, nrounds));
    print_rounds("start_ms_rounds", ms, nrounds, "%.1f");
    if (idle_s > 0) {
        printf("rss_kb %.0f\n", median(rss, nrounds));
        print_rounds("rss_kb_rounds", rss, nrounds, "%.0f");
    }
    free(log_path);
    return 0;
}

static int run_exec(void)
{
    double ms[MAX_ROUNDS];
    printf("# apiload exec: %s version to its exit; %d rounds, median first\n", berth, nrounds);
    for (int r = 0; r < nrounds; r++) {
        char *argv[] = {(char *)berth, "version", NULL};
        int status;
        double t0 = now_s();
        pid_t pid = spawn(argv, "/dev/null");
        waitpid(pid, &status, 0);
        ms[r] = (now_s() - t0) * 1e3;
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            die("%s version failed", berth);
    }
    printf("exec_ms %.2f\n", median(ms, nrounds));
    print_rounds("exec_ms_rounds", ms, nrounds, "%.2f");
    return 0;
}

/* --- Command line --- */

static int usage(void)
{
    fputs("usage: apiload [-k KUBECONFIG] [-c CONNS] [-t SECONDS] [-r ROUNDS] [-N NAMESPACE]\n"
          "               [-p SERVER_PID] MODE [MODE OPTIONS]\n"
          "  create [-K configmap|pod] [-n COUNT] [-P PREFIX]\n"
          "  get -P PREFIX -n COUNT | list | readyz\n"
          "  watch -w M[,M...] -e EVENTS\n"
          "  start -b BERTH -D DIR [-f] [-i IDLE_SECONDS] [-- SERVER_ARGS...]\n"
          "  exec -b BERTH\n",
          stderr);
    return 2;
}

static int parse_watch_sets(char *arg)
{
    char *save = NULL;
    nwatch_sets = 0;
    for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (nwatch_sets == MAX_WATCH_SETS)
            return -1;
        char *colon = strchr(tok, ':');
        int n = atoi(tok);
        long k = colon ? atol(colon + 1) : 0;
        if (n < 0 || n > 2000 || k < 0)
            return -1;
        watch_events[nwatch_sets] = k;
        watch_sets[nwatch_sets++] = n;
    }
    return nwatch_sets ? 0 : -1;
}

int main(int argc, char **argv)
{
    bench_prog = "apiload";
    int opt;

    while ((opt = getopt(argc, argv, "+k:c:t:r:N:p:")) != -1) {
        switch (opt) {
        case 'k':
            kubeconfig = optarg;
            break;
        case 'c':
            nconns = atoi(optarg);
            break;
        case 't':
            seconds = atof(optarg);
            break;
        case 'r':
            nrounds = atoi(optarg);
            break;
        case 'N':
            ns = optarg;
            break;
        case 'p':
            server_pid = (pid_t)atoi(optarg);
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc)
        return usage();
    const char *mode = argv[optind];
    argc -= optind;
    argv += optind;
    optind = 1;
    while ((opt = getopt(argc, argv, "K:n:P:w:e:b:D:fi:")) != -1) {
        switch (opt) {
        case 'K':
            kind = optarg;
            break;
        case 'n':
            count = atol(optarg);
            break;
        case 'P':
            prefix = optarg;
            break;
        case 'w':
            if (parse_watch_sets(optarg) < 0)
                return usage();
            break;
        case 'e':
            nevents = atol(optarg);
            break;
        case 'b':
            berth = optarg;
            break;
        case 'D':
            data_dir = optarg;
            break;
        case 'f':
            fresh = true;
            break;
        case 'i':
            idle_s = atof(optarg);
            break;
        default:
            return usage();
        }
    }
    /* getopt stopped at "--" or at the first argument that is not an option. */
    if (optind < argc && !strcmp(mode, "start")) {
        server_args = argv + optind;
        nserver_args = argc - optind;
    } else if (optind < argc) {
        return usage();
    }
    if (nconns < 1 || nconns > 256 || seconds <= 0 || nrounds < 1 || nrounds > MAX_ROUNDS ||
        nevents < 1 || count < 0 || (strcmp(kind, "configmap") && strcmp(kind, "pod"))) {
        fputs("apiload: -c 1..256, -t > 0, -r 1..100, -e >= 1, -K configmap|pod\n", stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    int rc;
    if (!strcmp(mode, "start") || !strcmp(mode, "exec")) {
        if (!berth || (!strcmp(mode, "start") && !data_dir))
            return usage();
        rc = !strcmp(mode, "start") ? run_start() : run_exec();
    } else {
        if (!kubeconfig)
            return usage();
        load_kubeconfig(kubeconfig);
        if (!strcmp(mode, "create"))
            rc = run_load(LOAD_CREATE);
        else if (!strcmp(mode, "get") && prefix && count > 0)
            rc = run_load(LOAD_GET);
        else if (!strcmp(mode, "list"))
            rc = run_load(LOAD_LIST);
        else if (!strcmp(mode, "readyz"))
            rc = run_load(LOAD_READYZ);
        else if (!strcmp(mode, "watch") && nwatch_sets)
            rc = run_watch();
        else
            return usage();
    }
    free(server_url);
    free(auth_header);
    curl_global_cleanup();
    return rc;
}
