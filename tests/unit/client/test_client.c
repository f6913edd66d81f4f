/* The real client against a real `build/berth server` that this test starts (loopback only):
 * every operation, error mapping, watches, selectors, the unix socket, concurrency, kubeconfig
 * reading. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/internal.h"
#include "client/recorder.h"

#define WATCH_RING 64

static char data_dir[256];
static pid_t server_pid;
static struct kclient *cli;
static char *kubeconfig;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int start_server(void **state)
{
    const char *berth = getenv("BERTH") ? getenv("BERTH") : "build/berth";
    if (access(berth, X_OK) != 0) {
        fprintf(stderr, "# %s not built: run make all\n", berth);
        return -1;
    }
    snprintf(data_dir, sizeof(data_dir), "/tmp/berth-client-test.XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    kubeconfig = xasprintf("%s/kubeconfig.yaml", data_dir);
    char ring[16];
    snprintf(ring, sizeof(ring), "%d", WATCH_RING);
    server_pid = fork();
    if (server_pid == 0) {
        char *log = xasprintf("%s/server.log", data_dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(berth, berth, "server", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
              "--disable-controllers", "--watch-cache-size", ring, (char *)NULL);
        _exit(127);
    }
    /* Ready once the kubeconfig exists and the API answers through it. */
    for (int i = 0; i < 400; i++) {
        struct stat sb;
        if (stat(kubeconfig, &sb) == 0 && sb.st_size > 0 && !cli)
            kclient_from_kubeconfig(kubeconfig, "client-test", &cli);
        if (cli) {
            json_t *ns = NULL;
            if (kclient_get(cli, RES_NAMESPACES, NULL, "default", &ns, NULL) == 0) {
                json_decref(ns);
                return 0;
            }
        }
        if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
            fprintf(stderr, "# server exited during start; see %s/server.log\n", data_dir);
            return -1;
        }
        usleep(25000);
    }
    return -1;
}

static int stop_server(void **state)
{
    kclient_free(cli);
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(kubeconfig);
    return 0;
}

static char *token(void)
{
    struct kubeconfig__creds cr;
    FILE *f = fopen(kubeconfig, "r");
    char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_int_equal(kubeconfig__parse(buf, &cr), 0);
    char *t = xstrdup(cr.token);
    kubeconfig__release(&cr);
    return t;
}

static json_t *cm(const char *name, const char *labels)
{
    char *s = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                        "\"%s\",\"labels\":%s},\"data\":{\"k\":\"v\"}}",
                        name, labels ? labels : "{}");
    json_t *o = tj(s);
    free(s);
    return o;
}

static const char *rv(const json_t *o)
{
    return jpath_str(o, "metadata.resourceVersion");
}

/* --- every operation --- */

static void test_crud(void **state)
{
    struct kstatus st;
    json_t *in = cm("crud", NULL), *out = NULL, *got = NULL;

    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", in, &out, &st), 0);
    assert_int_equal(st.code, 201);
    assert_string_equal(jpath_str(out, "metadata.namespace"), "default");
    assert_non_null(jpath_str(out, "metadata.uid"));
    assert_int_equal(kclient_get(cli, RES_CONFIGMAPS, "default", "crud", &got, &st), 0);
    assert_int_equal(st.code, 200);
    assert_string_equal(rv(got), rv(out));

    /* -EEXIST with the server's Status */
    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", in, NULL, &st), -EEXIST);
    assert_int_equal(st.code, 409);
    assert_string_equal(st.reason, "AlreadyExists");
    assert_string_equal(st.message, "configmaps \"crud\" already exists");

    /* update, then a stale update: -ESTALE */
    json_t *stale = json_deep_copy(got);
    jset_str(jget_obj(got, "data"), "k", "v2");
    json_t *upd = NULL;
    assert_int_equal(kclient_update(cli, RES_CONFIGMAPS, "default", got, &upd, &st), 0);
    assert_string_equal(jpath_str(upd, "data.k"), "v2");
    assert_string_not_equal(rv(upd), rv(got));
    jset_str(jget_obj(stale, "data"), "k", "v3");
    assert_int_equal(kclient_update(cli, RES_CONFIGMAPS, "default", stale, NULL, &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_string_equal(st.reason, "Conflict");

    /* the three patch types */
    json_t *p = NULL;
    assert_int_equal(kclient_patch(cli, RES_CONFIGMAPS, "default", "crud", KPATCH_MERGE,
                                   "{\"data\":{\"m\":\"1\"}}", NULL, &p, &st),
                     0);
    assert_string_equal(jpath_str(p, "data.m"), "1");
    json_decref(p);
    assert_int_equal(kclient_patch(cli, RES_CONFIGMAPS, "default", "crud", KPATCH_STRATEGIC,
                                   "{\"metadata\":{\"labels\":{\"s\":\"1\"}}}", NULL, &p, &st),
                     0);
    assert_string_equal(jpath_str(p, "metadata.labels.s"), "1");
    json_decref(p);
    assert_int_equal(kclient_patch(cli, RES_CONFIGMAPS, "default", "crud", KPATCH_JSON,
                                   "[{\"op\":\"add\",\"path\":\"/data/j\",\"value\":\"x\"}]", NULL,
                                   &p, &st),
                     0);
    assert_string_equal(jpath_str(p, "data.j"), "x");
    json_decref(p);
    assert_int_equal(kclient_patch(cli, RES_CONFIGMAPS, "default", "crud", KPATCH_JSON,
                                   "[{\"op\":\"test\",\"path\":\"/data/j\",\"value\":\"y\"}]", NULL,
                                   NULL, &st),
                     -EINVAL);
    assert_int_equal(st.code, 422);

    /* list with the revision it reflects */
    json_t *l = NULL;
    assert_int_equal(kclient_list(cli, RES_CONFIGMAPS, "default", NULL, &l, &st), 0);
    assert_string_equal(jget_str(l, "kind"), "ConfigMapList");
    assert_non_null(jpath_str(l, "metadata.resourceVersion"));
    assert_true(json_array_size(jget_arr(l, "items")) >= 1);
    json_decref(l);

    /* delete: preconditions, then for real, then 404 */
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    o.uid = "00000000-0000-4000-8000-000000000000";
    assert_int_equal(kclient_delete(cli, RES_CONFIGMAPS, "default", "crud", &o, &st), -ESTALE);
    assert_int_equal(st.code, 409);
    assert_non_null(strstr(st.message, "Precondition failed: UID in precondition"));
    o.uid = jpath_str(out, "metadata.uid");
    assert_int_equal(kclient_delete(cli, RES_CONFIGMAPS, "default", "crud", &o, &st), 0);
    assert_int_equal(kclient_get(cli, RES_CONFIGMAPS, "default", "crud", NULL, &st), -ENOENT);
    assert_int_equal(st.code, 404);
    assert_string_equal(st.reason, "NotFound");
    assert_string_equal(st.message, "configmaps \"crud\" not found");
    assert_int_equal(kclient_delete(cli, RES_CONFIGMAPS, "default", "crud", NULL, &st), -ENOENT);

    json_decref(in);
    json_decref(out);
    json_decref(got);
    json_decref(stale);
    json_decref(upd);
}

static void test_status_bind_finalizers(void **state)
{
    struct kstatus st;
    json_t *pod = tj("{\"metadata\":{\"name\":\"bindme\",\"finalizers\":[\"test/hold\"]},"
                     "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(cli, RES_PODS, "default", pod, &out, &st), 0);
    assert_string_equal(jpath_str(out, "status.phase"), "Pending");

    /* status subresource */
    jset_str(jget_obj(out, "status"), "phase", "Running");
    json_t *upd = NULL;
    assert_int_equal(kclient_update_status(cli, RES_PODS, "default", out, &upd, &st), 0);
    assert_string_equal(jpath_str(upd, "status.phase"), "Running");
    json_decref(upd);
    assert_int_equal(kclient_patch(cli, RES_PODS, "default", "bindme", KPATCH_MERGE,
                                   "{\"status\":{\"message\":\"hi\"}}", "status", &upd, &st),
                     0);
    assert_string_equal(jpath_str(upd, "status.message"), "hi");
    json_decref(upd);

    /* binding */
    assert_int_equal(kclient_bind(cli, "default", "bindme", "node-a", &st), 0);
    assert_int_equal(st.code, 201);
    json_t *g = NULL;
    assert_int_equal(kclient_get(cli, RES_PODS, "default", "bindme", &g, &st), 0);
    assert_string_equal(jpath_str(g, "spec.nodeName"), "node-a");
    json_decref(g);
    assert_int_equal(kclient_bind(cli, "default", "bindme", "node-b", &st), -ESTALE);
    assert_int_equal(st.code, 409);

    /* a finalizer holds the deletion; grace 0 since there is no node agent here */
    struct kdelete_opts o = KDELETE_OPTS_INIT;
    o.grace_seconds = 0;
    assert_int_equal(kclient_delete(cli, RES_PODS, "default", "bindme", &o, &st), 0);
    assert_int_equal(kclient_get(cli, RES_PODS, "default", "bindme", &g, &st), 0);
    assert_non_null(jpath_str(g, "metadata.deletionTimestamp"));
    assert_int_equal(kclient_patch(cli, RES_PODS, "default", "bindme", KPATCH_MERGE,
                                   "{\"metadata\":{\"finalizers\":null}}", NULL, NULL, &st),
                     0);
    assert_int_equal(kclient_get(cli, RES_PODS, "default", "bindme", NULL, &st), -ENOENT);
    json_decref(g);
    json_decref(out);
    json_decref(pod);
}

static void test_error_mapping(void **state)
{
    struct kstatus st;
    /* 422 Invalid */
    json_t *bad = cm("Bad_Name", NULL);
    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", bad, NULL, &st), -EINVAL);
    assert_int_equal(st.code, 422);
    assert_string_equal(st.reason, "Invalid");
    json_decref(bad);
    /* 400 BadRequest: a malformed patch */
    assert_int_equal(
        kclient_patch(cli, RES_NAMESPACES, NULL, "default", KPATCH_MERGE, "{x", NULL, NULL, &st),
        -EINVAL);
    assert_int_equal(st.code, 400);
    /* 401 with a wrong token */
    struct kubeconfig__creds cr;
    char *t = token();
    FILE *f = fopen(kubeconfig, "r");
    char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_int_equal(kubeconfig__parse(buf, &cr), 0);
    struct kclient *c2;
    struct kclient_config cfg = {.server = cr.server, .token = "wrong", .ca_pem = cr.ca_pem};
    assert_int_equal(kclient_new(&cfg, &c2), 0);
    assert_int_equal(kclient_get(c2, RES_NAMESPACES, NULL, "default", NULL, &st), -EACCES);
    assert_int_equal(st.code, 401);
    kclient_free(c2);
    /* a CA that did not sign the server's certificate: a transport failure */
    cfg = (struct kclient_config){.server = cr.server,
                                  .token = t,
                                  .ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n"
                                            "-----END CERTIFICATE-----\n"};
    assert_int_equal(kclient_new(&cfg, &c2), 0);
    assert_int_equal(kclient_get(c2, RES_NAMESPACES, NULL, "default", NULL, &st), -EIO);
    assert_int_equal(st.code, 0);
    assert_true(st.message[0] != 0);
    kclient_free(c2);
    /* nothing listens: -EIO */
    cfg = (struct kclient_config){.server = "http://127.0.0.1:1", .token = t};
    assert_int_equal(kclient_new(&cfg, &c2), 0);
    assert_int_equal(kclient_get(c2, RES_NAMESPACES, NULL, "default", NULL, &st), -EIO);
    kclient_free(c2);
    /* configuration errors */
    cfg = (struct kclient_config){.server = "ftp://x"};
    assert_int_equal(kclient_new(&cfg, &c2), -EINVAL);
    assert_int_equal(kclient_get(cli, RES_PODS, "default", "", NULL, &st), -EINVAL);
    kubeconfig__release(&cr);
    free(t);
}

static void test_selectors(void **state)
{
    struct kstatus st;
    static const char *const labels[] = {"{\"app\":\"web\",\"tier\":\"a\"}",
                                         "{\"app\":\"db\",\"tier\":\"b\"}",
                                         "{\"app\":\"web\",\"tier\":\"x\"}", "{\"app\":\"cache\"}"};
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "sel-%d", i);
        json_t *o = cm(name, labels[i]);
        assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", o, NULL, &st), 0);
        json_decref(o);
    }
    struct klist_opts o = {.label_selector = "app in (web, db), tier notin (x)"};
    json_t *l = NULL;
    assert_int_equal(kclient_list(cli, RES_CONFIGMAPS, "default", &o, &l, &st), 0);
    json_t *items = jget_arr(l, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(jpath_str(json_array_get(items, 0), "metadata.name"), "sel-0");
    assert_string_equal(jpath_str(json_array_get(items, 1), "metadata.name"), "sel-1");
    json_decref(l);
    o = (struct klist_opts){.label_selector = "app",
                            .field_selector = "metadata.name!=sel-0,metadata.name!=sel-3"};
    assert_int_equal(kclient_list(cli, RES_CONFIGMAPS, NULL, &o, &l, &st), 0);
    items = jget_arr(l, "items");
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *nm = jpath_str(it, "metadata.name");
        if (!strncmp(nm, "sel-", 4)) {
            assert_true(!strcmp(nm, "sel-1") || !strcmp(nm, "sel-2"));
            n++;
        }
    }
    assert_int_equal(n, 2);
    json_decref(l);
    o = (struct klist_opts){.label_selector = "app in (web"};
    assert_int_equal(kclient_list(cli, RES_CONFIGMAPS, NULL, &o, &l, &st), -EINVAL);
    assert_int_equal(st.code, 400);
}

/* --- watch --- */

struct rec {
    pthread_mutex_t mu;
    char log[32][128];
    int n;
    int stop_after;
};

static int on_event(void *ctx, const char *type, json_t *obj)
{
    struct rec *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->n < 32)
        snprintf(r->log[r->n++], sizeof(r->log[0]), "%s %s", type,
                 jpath_str(obj, "metadata.name") ? jpath_str(obj, "metadata.name")
                                                 : (jget_str(obj, "reason") ?: "?"));
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return r->stop_after && n >= r->stop_after;
}

static void test_watch_from_revision(void **state)
{
    struct kstatus st;
    json_t *a = cm("w-a", "{\"w\":\"1\"}"), *out = NULL;
    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", a, &out, &st), 0);
    char from[32];
    snprintf(from, sizeof(from), "%s", rv(out));
    json_decref(out);
    json_t *b = cm("w-b", "{\"w\":\"1\"}");
    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", b, NULL, &st), 0);
    assert_int_equal(kclient_patch(cli, RES_CONFIGMAPS, "default", "w-a", KPATCH_MERGE,
                                   "{\"data\":{\"k\":\"2\"}}", NULL, NULL, &st),
                     0);
    assert_int_equal(kclient_delete(cli, RES_CONFIGMAPS, "default", "w-b", NULL, &st), 0);

    struct rec r = {.mu = PTHREAD_MUTEX_INITIALIZER, .stop_after = 3};
    struct klist_opts o = {.label_selector = "w=1"};
    assert_int_equal(
        kclient_watch(cli, RES_CONFIGMAPS, "default", &o, from, 30, on_event, &r, NULL, &st), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.log[0], "ADDED w-b");
    assert_string_equal(r.log[1], "MODIFIED w-a");
    assert_string_equal(r.log[2], "DELETED w-b");

    /* from now: the current state first */
    r = (struct rec){.mu = PTHREAD_MUTEX_INITIALIZER, .stop_after = 1};
    assert_int_equal(
        kclient_watch(cli, RES_CONFIGMAPS, "default", &o, NULL, 30, on_event, &r, NULL, &st), 0);
    assert_string_equal(r.log[0], "ADDED w-a");
    json_decref(a);
    json_decref(b);
}

static void test_watch_timeout_and_expired(void **state)
{
    struct kstatus st;
    struct rec r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    json_t *l = NULL;
    assert_int_equal(kclient_list(cli, RES_NAMESPACES, NULL, NULL, &l, &st), 0);
    char now[32];
    snprintf(now, sizeof(now), "%s", jpath_str(l, "metadata.resourceVersion"));
    json_decref(l);

    /* timeoutSeconds: the server ends the stream, normally */
    int64_t t0 = ktime_mono_ms();
    assert_int_equal(
        kclient_watch(cli, RES_NAMESPACES, NULL, NULL, now, 1, on_event, &r, NULL, &st), 0);
    int64_t dt = ktime_mono_ms() - t0;
    assert_true(dt >= 900 && dt < 5000);
    assert_int_equal(r.n, 0);

    /* a revision older than the server's watch window: an ERROR event, then -ETIME */
    for (int i = 0; i < WATCH_RING + 10; i++) {
        assert_int_equal(kclient_patch(cli, RES_NAMESPACES, NULL, "default", KPATCH_MERGE,
                                       i % 2 ? "{\"metadata\":{\"labels\":{\"t\":\"1\"}}}"
                                             : "{\"metadata\":{\"labels\":{\"t\":\"2\"}}}",
                                       NULL, NULL, &st),
                         0);
    }
    assert_int_equal(
        kclient_watch(cli, RES_NAMESPACES, NULL, NULL, now, 5, on_event, &r, NULL, &st), -ETIME);
    assert_int_equal(st.code, 410);
    assert_string_equal(st.reason, "Expired");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.log[0], "ERROR Expired");
}

struct watch_args {
    struct kclient *c;
    volatile bool stop;
    int rc;
    struct rec *rec;
};

static void *watch_main(void *arg)
{
    struct watch_args *a = arg;
    a->rc = kclient_watch(a->c, RES_CONFIGMAPS, "quiet", NULL, NULL, 0, on_event, a->rec, &a->stop,
                          NULL);
    return NULL;
}

static void test_watch_stop_flag(void **state)
{
    struct rec r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct watch_args a = {.c = cli, .rec = &r};
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &a);
    usleep(300000);
    int64_t t0 = ktime_mono_ms();
    __atomic_store_n(&a.stop, true, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    int64_t dt = ktime_mono_ms() - t0;
    assert_int_equal(a.rc, 0);
    assert_true(dt < 1600);
    assert_int_equal(r.n, 0);
}

/* --- transports, concurrency, rate limit --- */

static void test_unix_socket(void **state)
{
    struct kstatus st;
    char *t = token(), *sock = xasprintf("unix:%s/api.sock", data_dir);
    struct kclient *u;
    struct kclient_config cfg = {.server = sock, .token = t, .user_agent = "unix-test"};
    assert_int_equal(kclient_new(&cfg, &u), 0);
    json_t *ns = NULL;
    assert_int_equal(kclient_get(u, RES_NAMESPACES, NULL, "default", &ns, &st), 0);
    assert_string_equal(jpath_str(ns, "metadata.name"), "default");
    json_decref(ns);
    json_t *o = cm("over-unix", NULL);
    assert_int_equal(kclient_create(u, RES_CONFIGMAPS, "default", o, NULL, &st), 0);
    assert_int_equal(kclient_delete(u, RES_CONFIGMAPS, "default", "over-unix", NULL, &st), 0);
    json_decref(o);
    kclient_free(u);
    /* the socket still wants the token */
    cfg.token = NULL;
    assert_int_equal(kclient_new(&cfg, &u), 0);
    assert_int_equal(kclient_get(u, RES_NAMESPACES, NULL, "default", NULL, &st), -EACCES);
    kclient_free(u);
    free(sock);
    free(t);
}

struct worker {
    int id;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char name[32];
    for (int i = 0; i < 15; i++) {
        struct kstatus st;
        snprintf(name, sizeof(name), "conc-%d-%d", w->id, i);
        json_t *o = cm(name, "{\"conc\":\"yes\"}"), *out = NULL, *g = NULL;
        if (kclient_create(cli, RES_CONFIGMAPS, "default", o, &out, &st) ||
            kclient_get(cli, RES_CONFIGMAPS, "default", name, &g, &st) || strcmp(rv(g), rv(out)))
            w->failures++;
        jset_str(jget_obj(g, "data"), "k", "changed");
        if (kclient_update(cli, RES_CONFIGMAPS, "default", g, NULL, &st))
            w->failures++;
        if (i % 3 == 0 && kclient_delete(cli, RES_CONFIGMAPS, "default", name, NULL, &st))
            w->failures++;
        json_decref(o);
        json_decref(out);
        json_decref(g);
    }
    return NULL;
}

static void test_keep_alive(void **state)
{
    /* sequential requests from one thread share one connection */
    char *t = token();
    char *sock = xasprintf("unix:%s/api.sock", data_dir);
    struct kclient *u;
    struct kclient_config cfg = {.server = sock, .token = t};
    assert_int_equal(kclient_new(&cfg, &u), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(kclient_get(u, RES_NAMESPACES, NULL, "default", NULL, NULL), 0);
    assert_int_equal(kclient__connects(u), 1);
    /* errors do not cost the connection either */
    for (int i = 0; i < 5; i++)
        assert_int_equal(kclient_get(u, RES_NAMESPACES, NULL, "nope", NULL, NULL), -ENOENT);
    assert_int_equal(kclient__connects(u), 1);
    kclient_free(u);
    long before = kclient__connects(cli);
    for (int i = 0; i < 50; i++)
        assert_int_equal(kclient_get(cli, RES_NAMESPACES, NULL, "default", NULL, NULL), 0);
    assert_true(kclient__connects(cli) - before <= 1);
    free(sock);
    free(t);
}

static void test_concurrent_threads(void **state)
{
    struct worker w[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){i, 0};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    /* a pool of kept-alive connections, not one per request */
    assert_true(kclient__connects(cli) < 40);
    struct klist_opts o = {.label_selector = "conc=yes"};
    json_t *l = NULL;
    assert_int_equal(kclient_list(cli, RES_CONFIGMAPS, "default", &o, &l, NULL), 0);
    json_t *items = jget_arr(l, "items"), *it;
    size_t i;
    assert_int_equal(json_array_size(items), 8 * 10);
    json_array_foreach(items, i, it) assert_string_equal(jpath_str(it, "data.k"), "changed");
    json_decref(l);
}

static void test_rate_limit(void **state)
{
    char *t = token();
    struct kubeconfig__creds cr;
    FILE *f = fopen(kubeconfig, "r");
    char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_int_equal(kubeconfig__parse(buf, &cr), 0);
    struct kclient *c2;
    struct kclient_config cfg = {
        .server = cr.server, .token = t, .ca_pem = cr.ca_pem, .qps = 20, .burst = 2};
    assert_int_equal(kclient_new(&cfg, &c2), 0);
    int64_t t0 = ktime_mono_ms();
    for (int i = 0; i < 8; i++)
        assert_int_equal(kclient_get(c2, RES_NAMESPACES, NULL, "default", NULL, NULL), 0);
    /* two at once, six more at 20/s */
    assert_true(ktime_mono_ms() - t0 >= 290);
    kclient_free(c2);
    kubeconfig__release(&cr);
    free(t);
}

/* An informer over the real client sees what the API does. */
static atomic_int adds;

static void count_add(void *ctx, const json_t *obj)
{
    if (!strncmp(jpath_str(obj, "metadata.name"), "inf-", 4))
        atomic_fetch_add(&adds, 1);
}

static void test_informer_over_http(void **state)
{
    struct informer *inf = informer_new(cli, RES_CONFIGMAPS, "default", NULL);
    struct informer_handlers h = {.on_add = count_add};
    informer_add_handlers(inf, &h);
    informer_start(inf);
    assert_true(informer_wait_synced(inf, 5000));
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "inf-%d", i);
        json_t *o = cm(name, NULL);
        assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", o, NULL, NULL), 0);
        json_decref(o);
    }
    for (int i = 0; i < 200 && atomic_load(&adds) < 5; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&adds), 5);
    json_t *g = informer_get(inf, "default", "inf-3");
    assert_non_null(g);
    assert_string_equal(jget_str(g, "kind"), "ConfigMap");
    json_decref(g);
    int64_t t0 = ktime_mono_ms();
    informer_free(inf);
    assert_true(ktime_mono_ms() - t0 < 2000);
}

/* The server takes the recorder's Events and their count patches. */
static void test_recorder_over_http(void **state)
{
    json_t *cmo = cm("evt-target", NULL), *obj = NULL;
    assert_int_equal(kclient_create(cli, RES_CONFIGMAPS, "default", cmo, &obj, NULL), 0);
    struct recorder *r = recorder_new(cli, "client-test", "");
    for (int i = 0; i < 3; i++)
        recorder_eventf(r, obj, "Normal", "Tested", "recorded over HTTP");
    recorder_flush(r);
    struct klist_opts o = {.field_selector = "involvedObject.name=evt-target"};
    json_t *l = NULL;
    assert_int_equal(kclient_list(cli, RES_EVENTS, "default", &o, &l, NULL), 0);
    json_t *items = jget_arr(l, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *ev = json_array_get(items, 0);
    assert_int_equal(jget_int(ev, "count", 0), 3);
    assert_string_equal(jpath_str(ev, "involvedObject.kind"), "ConfigMap");
    assert_string_equal(jpath_str(ev, "involvedObject.uid"), jpath_str(obj, "metadata.uid"));
    assert_string_equal(jget_str(ev, "reason"), "Tested");
    json_decref(l);
    recorder_free(r);
    json_decref(obj);
    json_decref(cmo);
}

/* --- kubeconfig reading (no server needed) --- */

static void test_kubeconfig_parse(void **state)
{
    struct kubeconfig__creds cr;
    /* PEM "hello" in base64: aGVsbG8= */
    const char *text = "# written by hand\n"
                       "apiVersion: v1\n"
                       "kind: Config\n"
                       "clusters:\n"
                       "- cluster:\n"
                       "    certificate-authority-data: aGVsbG8=\n"
                       "    server: https://10.0.0.1:6443\n"
                       "  name: other\n"
                       "- name: \"mine\"\n"
                       "  cluster:\n"
                       "    server: 'https://127.0.0.1:7443'   # the local one\n"
                       "    certificate-authority-data: aGVsbG8=\n"
                       "contexts:\n"
                       "  - context:\n"
                       "      cluster: other\n"
                       "      user: u1\n"
                       "    name: c1\n"
                       "  - context: {cluster: ignored}\n"
                       "    name: c0\n"
                       "  - name: c2\n"
                       "    context:\n"
                       "      cluster: mine\n"
                       "      user: u2\n"
                       "      namespace: work\n"
                       "current-context: \"c2\"\n"
                       "preferences: {}\n"
                       "users:\n"
                       "- name: u1\n"
                       "  user:\n"
                       "    token: t1\n"
                       "- name: u2\n"
                       "  user:\n"
                       "    exec:\n"
                       "      args:\n"
                       "      - name: not-a-user\n"
                       "    token: \"t2\"\n";
    assert_int_equal(kubeconfig__parse(text, &cr), 0);
    assert_string_equal(cr.server, "https://127.0.0.1:7443");
    assert_string_equal(cr.token, "t2");
    assert_string_equal(cr.ca_pem, "hello");
    assert_string_equal(cr.ns, "work");
    kubeconfig__release(&cr);

    /* no such context */
    assert_int_equal(kubeconfig__parse("current-context: nope\ncontexts:\n- name: a\n"
                                       "  context:\n    cluster: x\n",
                                       &cr),
                     -ENOENT);
    assert_int_equal(kubeconfig__parse("", &cr), -ENOENT);
    /* bad certificate data */
    assert_int_equal(kubeconfig__parse("clusters:\n- name: c\n  cluster:\n    server: https://x\n"
                                       "    certificate-authority-data: '!!'\n"
                                       "contexts:\n- name: k\n  context:\n    cluster: c\n"
                                       "current-context: k\n",
                                       &cr),
                     -EINVAL);
    /* a single context needs no current-context; a CA file is passed on */
    assert_int_equal(kubeconfig__parse("clusters:\n- name: c\n  cluster:\n    server: http://h\n"
                                       "    certificate-authority: /etc/ca.pem\n"
                                       "contexts:\n- name: k\n  context:\n    cluster: c\n",
                                       &cr),
                     0);
    assert_string_equal(cr.server, "http://h");
    assert_string_equal(cr.ca_file, "/etc/ca.pem");
    assert_null(cr.token);
    kubeconfig__release(&cr);
    struct kclient *c;
    assert_int_equal(kclient_from_kubeconfig("/nonexistent/kubeconfig", "x", &c), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_kubeconfig_parse),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_status_bind_finalizers),
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_watch_from_revision),
        cmocka_unit_test(test_watch_timeout_and_expired),
        cmocka_unit_test(test_watch_stop_flag),
        cmocka_unit_test(test_unix_socket),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_concurrent_threads),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_informer_over_http),
        cmocka_unit_test(test_recorder_over_http),
    };
    int rc = cmocka_run_group_tests_name("kubeconfig", offline, NULL, NULL);
    return rc | cmocka_run_group_tests_name("client", tests, start_server, stop_server);
}
