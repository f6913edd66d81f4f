/* stsload — the measuring half of bench/statefulset.sh (issue 3, DESIGN.md §7).
 *
 * Talks to a running `berth server` with the CA and bearer token of its kubeconfig, over HTTPS,
 * or with -u over the server's unix socket (DIR/api.sock, plain HTTP: the transport the
 * in-process controllers use), through libcurl's multi interface.
 *
 *   stsload -k KUBECONFIG [-u SOCKET] [-c CONNS] [-N NAMESPACE] [-s SET] [-n COUNT] [-p PID]
 *           [-t TIMEOUT] MODE
 *
 *   create    the floor for creating a StatefulSet's pods: COUNT claims and COUNT pods shaped
 *             as the StatefulSet controller makes them (claim www-SET-i before pod SET-i, as
 *             the controller does), through CONNS connections, each taking the next ordinal
 *             as soon as its last pod is in; -c 1 is the one-at-a-time floor of OrderedReady
 *   recreate  the floor for a rolling update: for each existing pod SET-0 .. SET-<COUNT-1>,
 *             DELETE it (grace 0) and POST it again, through CONNS connections
 *   watch ready|updated -- CMD [ARGS...]
 *             watch StatefulSet SET, then run CMD (kubectl apply or patch) and time from just
 *             before CMD starts until the set reports, at a generation newer than the one it
 *             had before CMD (so the state before CMD never counts):
 *               ready    readyReplicas == COUNT and observedGeneration == generation
 *               updated  updatedReplicas == readyReplicas == COUNT, currentRevision ==
 *                        updateRevision and observedGeneration == generation
 *
 * Output: "# " comment lines, then one "name value" line per figure:
 *   create, recreate:  seconds, pods_per_sec, requests_per_sec, errors,
 *                      server_cpu_ms_per_pod (with -p)
 *   watch:             seconds, pods_per_sec, command_s (CMD's own run time), first_s, p10_s,
 *                      p50_s, p90_s (time to the first pod, 10%, 50%, 90% of COUNT ready or
 *                      updated), created_s (ready: status.replicas == COUNT),
 *                      server_cpu_s and server_cpu_ms_per_pod (with -p), store_writes and
 *                      writes_per_pod (the store's revisions meanwhile: every write of any
 *                      kind, Events included), done COUNT
 * Exit status 0; 1 on an error (printed to stderr); 2 on bad usage; 3 when watch gave up after
 * TIMEOUT seconds (default 1800; the figures so far are printed, with "timeout 1").
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/strbuf.h"
#include "benchlib.h"

#define KEEP_BODY 2048 /* bytes of each answer kept for error messages */
#define MAX_LINE (8 << 20)

/* --- Options --- */

static const char *kubeconfig;
static const char *sock_path;
static int nconns = 8;
static const char *ns = "default";
static const char *set = "web";
static long count = 1000;
static pid_t server_pid;
static double timeout_s = 1800;

/* --- Small helpers --- */

/* Server CPU time in seconds; 0 without -p. */
static double server_cpu_s(void)
{
    return process_cpu_s(server_pid);
}

/* With -u the controllers' unix socket, plain HTTP. */
static const char *base_url(void)
{
    return sock_path ? "http://localhost" : server_url;
}

/* --- Connections --- */

struct conn {
    CURL *h;
    struct curl_slist *hdrs;
    char *url;                 /* of the current request */
    char *body;                /* of the current request, or NULL */
    char err[CURL_ERROR_SIZE]; /* curl's message for a failed transfer */
    struct strbuf head;        /* first KEEP_BODY bytes of the answer */
    long ordinal;              /* create, recreate: the pod this connection works on */
    int step;                  /* create: 0 claim, 1 pod; recreate: 0 delete, 1 create */
    bool done;                 /* no more work for this connection */
    /* watch */
    struct strbuf line; /* the event being received */
    long status;        /* from the status line */
    bool established;   /* the 200 headers are in */
    void (*on_line)(struct conn *c, const char *line, size_t len);
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    if (c->head.len < KEEP_BODY)
        strbuf_add(&c->head, data, n < KEEP_BODY - c->head.len ? n : KEEP_BODY - c->head.len);
    return n;
}

/* A watch answer is one JSON object per line. */
static size_t on_watch_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    const char *p = data, *end = data + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            strbuf_add(&c->line, p, (size_t)(end - p));
            break;
        }
        strbuf_add(&c->line, p, (size_t)(nl - p));
        if (c->line.len)
            c->on_line(c, c->line.buf, c->line.len);
        strbuf_reset(&c->line);
        p = nl + 1;
    }
    if (c->line.len > MAX_LINE)
        die("a watch event longer than %d bytes", MAX_LINE);
    return n;
}

/* The whole answer, kept in line (get_json). */
static size_t on_whole_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    strbuf_add(&c->line, data, n);
    if (c->line.len > MAX_LINE)
        die("an answer longer than %d bytes", MAX_LINE);
    return n;
}

static size_t on_watch_header(char *data, size_t size, size_t nmemb, void *cls)
{
    struct conn *c = cls;
    size_t n = size * nmemb;
    if (n > 5 && !strncmp(data, "HTTP/", 5)) {
        const char *sp = memchr(data, ' ', n);
        c->status = sp ? strtol(sp, NULL, 10) : 0;
    } else if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n')) {
        c->established = c->status == 200;
    }
    return n;
}

static void conn_init(struct conn *c)
{
    memset(c, 0, sizeof(*c));
    strbuf_init(&c->head, 0);
    strbuf_init(&c->line, 0);
    c->h = curl_easy_init();
    if (!c->h)
        die("curl_easy_init failed");
    if (sock_path)
        curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, sock_path);
    else
        curl_easy_setopt(c->h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->err);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
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
    strbuf_release(&c->line);
    free(c->url);
    free(c->body);
}

/* Point the connection at its next request: method (GET, POST, DELETE) on url (taken over),
 * with body (taken over) or NULL. */
static void conn_request(struct conn *c, const char *method, char *url, char *body)
{
    free(c->url);
    free(c->body);
    c->url = url;
    c->body = body;
    strbuf_reset(&c->head);
    c->err[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, strcmp(method, "DELETE") ? NULL : method);
}

/* The status of a finished transfer, or -1 if it failed below HTTP (message printed). */
static long conn_result(struct conn *c, CURLcode rc)
{
    long code = -1;
    if (rc != CURLE_OK) {
        fprintf(stderr, "stsload: %s: %s\n", c->url, c->err[0] ? c->err : curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static void report_bad_status(struct conn *c, long code)
{
    fprintf(stderr, "stsload: %s: HTTP %ld: %.*s\n", c->url, code, (int)c->head.len, c->head.buf);
}

/* One GET on a connection of its own; the parsed answer (caller owns) or NULL on a 404. */
static json_t *get_json(const char *path)
{
    struct conn c;
    json_error_t jerr;
    conn_init(&c);
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_whole_body);
    conn_request(&c, "GET", xasprintf("%s%s", base_url(), path), NULL);
    long code = conn_result(&c, curl_easy_perform(c.h));
    json_t *v = NULL;
    if (code == 200) {
        v = json_loadb(c.line.buf, c.line.len, 0, &jerr);
        if (!v)
            die("GET %s: bad JSON: %s", path, jerr.text);
    } else if (code != 404) {
        die("GET %s: HTTP %ld: %.*s", path, code, (int)(c.line.len > 500 ? 500 : c.line.len),
            c.line.buf);
    }
    conn_release(&c);
    return v;
}

/* Create namespace name unless it exists. */
static void ensure_namespace(const char *name)
{
    struct conn c;
    conn_init(&c);
    conn_request(&c, "POST", xasprintf("%s/api/v1/namespaces", base_url()),
                 xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                           "{\"name\":\"%s\"}}",
                           name));
    long code = conn_result(&c, curl_easy_perform(c.h));
    if (code != 201 && code != 409) {
        if (code > 0)
            report_bad_status(&c, code);
        die("cannot create namespace %s", name);
    }
    conn_release(&c);
}

/* --- Object shapes: what the StatefulSet controller creates for set web, ordinal i --- */

static char *claim_body(long i)
{
    return xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{"
                     "\"name\":\"www-%s-%ld\",\"namespace\":\"%s\",\"labels\":{\"app\":\"%s\"}},"
                     "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":"
                     "{\"storage\":\"1Gi\"}},\"volumeMode\":\"Filesystem\"}}",
                     set, i, ns, set);
}

static char *pod_body(long i)
{
    return xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s-%ld\","
        "\"generateName\":\"%s-\",\"namespace\":\"%s\",\"labels\":{\"app\":\"%s\","
        "\"apps.kubernetes.io/pod-index\":\"%ld\",\"controller-revision-hash\":\"%s-564cbccfb9\","
        "\"statefulset.kubernetes.io/pod-name\":\"%s-%ld\"},\"ownerReferences\":[{"
        "\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"%s\","
        "\"uid\":\"138726ce-640a-4801-b35f-f43501a0c4a1\",\"controller\":true,"
        "\"blockOwnerDeletion\":true}]},"
        "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"registry.k8s.io/"
        "nginx-slim:0.8\",\"imagePullPolicy\":\"IfNotPresent\",\"ports\":[{\"containerPort\":80,"
        "\"name\":\"web\",\"protocol\":\"TCP\"}],\"resources\":{},\"terminationMessagePath\":"
        "\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"volumeMounts\":[{"
        "\"mountPath\":\"/usr/share/nginx/html\",\"name\":\"www\"}]}],\"dnsPolicy\":"
        "\"ClusterFirst\",\"hostname\":\"%s-%ld\",\"restartPolicy\":\"Always\",\"schedulerName\":"
        "\"default-scheduler\",\"securityContext\":{},\"subdomain\":\"%s\","
        "\"terminationGracePeriodSeconds\":30,\"volumes\":[{\"name\":\"www\","
        "\"persistentVolumeClaim\":{\"claimName\":\"www-%s-%ld\"}}]}}",
        set, i, set, ns, set, i, set, set, i, set, set, i, set, set, i);
}

/* --- create, recreate --- */

enum load_mode { LOAD_CREATE, LOAD_RECREATE };

struct load {
    enum load_mode mode;
    long next; /* next ordinal to hand out */
    long pods; /* pods done */
    long requests, errors;
};

/* Issue c's current step, or move it to the next ordinal first. Returns false when there is
 * no work left for c. */
static bool load_issue(CURLM *m, struct load *l, struct conn *c, bool next)
{
    if (next) {
        if (l->next >= count) {
            c->done = true;
            return false;
        }
        c->ordinal = l->next++;
        c->step = 0;
    }
    if (l->mode == LOAD_CREATE && c->step == 0)
        conn_request(c, "POST",
                     xasprintf("%s/api/v1/namespaces/%s/persistentvolumeclaims", base_url(), ns),
                     claim_body(c->ordinal));
    else if (l->mode == LOAD_RECREATE && c->step == 0)
        conn_request(c, "DELETE",
                     xasprintf("%s/api/v1/namespaces/%s/pods/%s-%ld?gracePeriodSeconds=0",
                               base_url(), ns, set, c->ordinal),
                     NULL);
    else
        conn_request(c, "POST", xasprintf("%s/api/v1/namespaces/%s/pods", base_url(), ns),
                     pod_body(c->ordinal));
    curl_multi_add_handle(m, c->h);
    return true;
}

static int run_load(enum load_mode mode)
{
    struct load l = {.mode = mode};
    struct conn *conns = xcalloc((size_t)nconns, sizeof(*conns));
    CURLM *m = curl_multi_init();
    int active = 0;

    if (mode == LOAD_CREATE)
        ensure_namespace(ns);
    printf("# stsload %s: %ld pods%s of %s/%s through %d connection(s) over %s\n",
           mode == LOAD_CREATE ? "create" : "recreate", count,
           mode == LOAD_CREATE ? " and claims" : "", ns, set, nconns,
           sock_path ? "the unix socket" : "HTTPS");
    double t0 = now_s(), c0 = server_cpu_s();
    for (int i = 0; i < nconns; i++) {
        conn_init(&conns[i]);
        active += load_issue(m, &l, &conns[i], true);
    }
    while (active) {
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
            long want = mode == LOAD_RECREATE && c->step == 0 ? 200 : 201;
            curl_multi_remove_handle(m, c->h);
            l.requests++;
            bool next = false;
            if (code != want) {
                if (code > 0)
                    report_bad_status(c, code);
                if (++l.errors > 10)
                    die("too many errors");
            } else if (c->step == 0) {
                c->step = 1;
            } else {
                l.pods++;
                next = true;
            }
            if (!load_issue(m, &l, c, next))
                active--;
        }
        if (active)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double dt = now_s() - t0, cpu = server_cpu_s() - c0;
    printf("seconds %.3f\n", dt);
    printf("pods_per_sec %.1f\n", l.pods / dt);
    printf("requests_per_sec %.1f\n", l.requests / dt);
    printf("errors %ld\n", l.errors);
    if (server_pid)
        printf("server_cpu_ms_per_pod %.2f\n", l.pods ? cpu / l.pods * 1e3 : 0);
    for (int i = 0; i < nconns; i++)
        conn_release(&conns[i]);
    curl_multi_cleanup(m);
    free(conns);
    return l.errors ? 1 : 0;
}

/* --- watch --- */

enum want { WANT_READY, WANT_UPDATED };

static struct {
    enum want want;
    int64_t gen0;      /* the set's generation before the command; 0: absent */
    char *rv;          /* where the watch resumes */
    double t0;         /* the command started */
    double met_at;     /* the condition held; 0: not yet */
    double created_at; /* ready: status.replicas reached count */
    double marks[4];   /* first pod, 10%, 50%, 90% */
    long progress;     /* ready (or updated) pods in the last event */
    bool have_event;   /* an event arrived after the command started */
} w;

static const double mark_frac[4] = {0, 0.1, 0.5, 0.9};

static bool str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* One StatefulSet as seen in an event: note progress, and whether the condition holds. */
static void observe(json_t *sts, double t)
{
    json_t *meta = json_object_get(sts, "metadata"), *st = json_object_get(sts, "status");
    json_int_t gen = json_integer_value(json_object_get(meta, "generation"));
    json_int_t ogen = json_integer_value(json_object_get(st, "observedGeneration"));
    json_int_t replicas = json_integer_value(json_object_get(st, "replicas"));
    json_int_t ready = json_integer_value(json_object_get(st, "readyReplicas"));
    json_int_t updated = json_integer_value(json_object_get(st, "updatedReplicas"));
    const char *cur = json_string_value(json_object_get(st, "currentRevision"));
    const char *upd = json_string_value(json_object_get(st, "updateRevision"));

    if (gen <= w.gen0 || ogen != gen)
        return; /* the state before the command, or a status not yet about the new spec */
    long p = w.want == WANT_READY ? (long)ready : (long)updated;
    w.progress = p;
    for (int i = 0; i < 4; i++)
        if (!w.marks[i] && p > 0 && p >= (long)(mark_frac[i] * (double)count))
            w.marks[i] = t;
    if (!w.created_at && replicas >= count)
        w.created_at = t;
    bool met = ready == count;
    if (w.want == WANT_UPDATED)
        met = met && updated == count && str_eq(cur, upd);
    if (met && !w.met_at)
        w.met_at = t;
}

static void on_event_line(struct conn *c, const char *line, size_t len)
{
    json_error_t jerr;
    (void)c;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    if (!ev)
        die("bad watch event: %s", jerr.text);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    if (str_eq(type, "ERROR")) {
        /* 410 Expired: the resume point is gone; a fresh list starts the next watch. */
        fprintf(stderr, "stsload: watch error: %.*s\n", (int)(len > 300 ? 300 : len), line);
        free(w.rv);
        w.rv = NULL;
    } else {
        const char *rv =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
        if (rv) {
            free(w.rv);
            w.rv = xstrdup(rv);
        }
        if ((str_eq(type, "ADDED") || str_eq(type, "MODIFIED")) && w.t0) {
            w.have_event = true;
            observe(obj, now_s());
        }
    }
    json_decref(ev);
}

static char *list_path(void)
{
    return xasprintf("/apis/apps/v1/namespaces/%s/statefulsets?fieldSelector=metadata.name%%3D%s",
                     ns, set);
}

/* List the set: the resume point, and (before the command) its generation. */
static void list_set(bool before)
{
    char *path = list_path();
    json_t *list = get_json(path);
    if (!list)
        die("cannot list statefulsets in %s", ns);
    free(w.rv);
    w.rv = xstrdup(
        json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion")));
    json_t *item = json_array_get(json_object_get(list, "items"), 0);
    if (before)
        w.gen0 = item ? json_integer_value(
                            json_object_get(json_object_get(item, "metadata"), "generation"))
                      : 0;
    else if (item)
        observe(item, now_s());
    json_decref(list);
    free(path);
}

/* The store's current revision: the resourceVersion of a list. */
static long long store_revision(void)
{
    json_t *list = get_json("/api/v1/namespaces?limit=1");
    if (!list)
        die("cannot list namespaces");
    long long rv = atoll(
        json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"))
            ?: "0");
    json_decref(list);
    return rv;
}

static void watch_open(CURLM *m, struct conn *c)
{
    char *path = list_path();
    conn_request(c, "GET",
                 xasprintf("%s%s&watch=1&allowWatchBookmarks=true&timeoutSeconds=3600"
                           "&resourceVersion=%s",
                           base_url(), path, w.rv),
                 NULL);
    free(path);
    c->established = false;
    c->status = 0;
    strbuf_reset(&c->line);
    curl_multi_add_handle(m, c->h);
}

static pid_t spawn(char **argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(2, 1); /* the command's chatter goes to stderr; stdout is for figures */
        execvp(argv[0], argv);
        fprintf(stderr, "stsload: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

static void print_since(const char *name, double t)
{
    if (t)
        printf("%s %.3f\n", name, t - w.t0);
    else
        printf("%s -\n", name);
}

static int run_watch(const char *what, char **cmd)
{
    struct conn c;
    CURLM *m = curl_multi_init();
    int running, status = 0;

    if (!strcmp(what, "ready"))
        w.want = WANT_READY;
    else if (!strcmp(what, "updated"))
        w.want = WANT_UPDATED;
    else
        die("watch ready|updated, not %s", what);
    conn_init(&c);
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_watch_body);
    curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, on_watch_header);
    curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(c.h, CURLOPT_FORBID_REUSE, 1L);
    c.on_line = on_event_line;

    /* The server registers a watcher before it sends the headers: once they are in, nothing
     * the command does can be missed. */
    list_set(true);
    long long rv0 = atoll(w.rv);
    watch_open(m, &c);
    for (double until = now_s() + 30; !c.established;) {
        if (now_s() > until)
            die("the watch did not start in 30 s");
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE)
                die("the watch ended before it started: HTTP %ld", c.status);
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }

    printf("# stsload watch %s: %s/%s, %ld replicas, generation before: %lld; command:", what, ns,
           set, count, (long long)w.gen0);
    for (char **a = cmd; *a; a++)
        printf(" %s", *a);
    putchar('\n');
    double c0 = server_cpu_s(), cmd_end = 0;
    w.t0 = now_s();
    pid_t child = spawn(cmd);
    bool timed_out = false;
    while (!w.met_at || child) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            /* The server ended the watch (its deadline, or an error): resume where it was,
             * or from a fresh list after a 410. */
            curl_multi_remove_handle(m, c.h);
            if (!w.rv)
                list_set(false);
            watch_open(m, &c);
        }
        if (child && waitpid(child, &status, WNOHANG) == child) {
            child = 0;
            cmd_end = now_s();
            if (!WIFEXITED(status) || WEXITSTATUS(status))
                die("the command failed (status %d)", status);
        }
        if (now_s() - w.t0 > timeout_s) {
            timed_out = true;
            break;
        }
        curl_multi_poll(m, NULL, 0, child ? 20 : 100, NULL);
    }
    double cpu = server_cpu_s() - c0;
    /* Revisions are global: the store's writes (every kind, events included) meanwhile. */
    long long writes = store_revision() - rv0;
    double end = w.met_at ? w.met_at : now_s();
    if (child) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
    }

    printf("seconds %.3f\n", end - w.t0);
    printf("pods_per_sec %.1f\n", (double)w.progress / (end - w.t0));
    print_since("command_s", cmd_end);
    print_since("first_s", w.marks[0]);
    print_since("p10_s", w.marks[1]);
    print_since("p50_s", w.marks[2]);
    print_since("p90_s", w.marks[3]);
    if (w.want == WANT_READY)
        print_since("created_s", w.created_at);
    if (server_pid) {
        printf("server_cpu_s %.2f\n", cpu);
        printf("server_cpu_ms_per_pod %.2f\n", w.progress ? cpu / (double)w.progress * 1e3 : 0);
    }
    printf("store_writes %lld\n", writes);
    printf("writes_per_pod %.1f\n", w.progress ? (double)writes / (double)w.progress : 0);
    printf("done %ld\n", w.progress);
    if (timed_out)
        printf("timeout 1\n");

    curl_multi_remove_handle(m, c.h);
    conn_release(&c);
    curl_multi_cleanup(m);
    free(w.rv);
    return timed_out ? 3 : 0;
}

/* --- Command line --- */

static int usage(void)
{
    fputs("usage: stsload -k KUBECONFIG [-u SOCKET] [-c CONNS] [-N NAMESPACE] [-s SET]\n"
          "               [-n COUNT] [-p SERVER_PID] [-t TIMEOUT] MODE\n"
          "  create | recreate | watch ready|updated -- CMD [ARGS...]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    bench_prog = "stsload";
    int opt;

    while ((opt = getopt(argc, argv, "+k:u:c:N:s:n:p:t:")) != -1) {
        switch (opt) {
        case 'k':
            kubeconfig = optarg;
            break;
        case 'u':
            sock_path = optarg;
            break;
        case 'c':
            nconns = atoi(optarg);
            break;
        case 'N':
            ns = optarg;
            break;
        case 's':
            set = optarg;
            break;
        case 'n':
            count = atol(optarg);
            break;
        case 'p':
            server_pid = (pid_t)atoi(optarg);
            break;
        case 't':
            timeout_s = atof(optarg);
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc || !kubeconfig || nconns < 1 || nconns > 256 || count < 1 || timeout_s <= 0)
        return usage();
    const char *mode = argv[optind++];
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    load_kubeconfig(kubeconfig);

    int rc;
    if (!strcmp(mode, "create")) {
        rc = run_load(LOAD_CREATE);
    } else if (!strcmp(mode, "recreate")) {
        rc = run_load(LOAD_RECREATE);
    } else if (!strcmp(mode, "watch") && optind + 1 < argc) {
        const char *what = argv[optind++];
        if (!strcmp(argv[optind], "--"))
            optind++;
        if (optind >= argc)
            return usage();
        rc = run_watch(what, argv + optind);
    } else {
        return usage();
    }
    free(server_url);
    free(auth_header);
    curl_global_cleanup();
    return rc;
}
