/* test_sim.c — the node agent with the sim runtime, over the fake API (client/fake.h).
 *
 * The agent runs with short timings (heartbeat 100 ms, back-off 200 ms doubling to 800 ms) so
 * that the kubelet behaviours show within a test's time. A spy client wraps the fake to see
 * the options of the agent's DELETE calls.
 */
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"

#define NODE "node-a"

/* --- a spy over the fake: records DELETE options --- */

struct spy {
    struct kclient base;
    struct kclient *inner;
    pthread_mutex_t mu;
    int deletes;
    char del_uid[64];
    int64_t del_grace;
};

#define INNER(c) (((struct spy *)(c))->inner)

static int spy_get(struct kclient *c, enum res_id r, const char *ns, const char *name, json_t **out,
                   struct kstatus *st)
{
    return kclient_get(INNER(c), r, ns, name, out, st);
}
static int spy_list(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                    json_t **out, struct kstatus *st)
{
    return kclient_list(INNER(c), r, ns, o, out, st);
}
static int spy_create(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                      json_t **out, struct kstatus *st)
{
    return kclient_create(INNER(c), r, ns, obj, out, st);
}
static int spy_update(struct kclient *c, enum res_id r, const char *ns, const json_t *obj,
                      const char *sub, json_t **out, struct kstatus *st)
{
    return INNER(c)->ops->update(INNER(c), r, ns, obj, sub, out, st);
}
static int spy_patch(struct kclient *c, enum res_id r, const char *ns, const char *name,
                     enum kpatch_type t, const char *patch, const char *sub, json_t **out,
                     struct kstatus *st)
{
    return kclient_patch(INNER(c), r, ns, name, t, patch, sub, out, st);
}
static int spy_del(struct kclient *c, enum res_id r, const char *ns, const char *name,
                   const struct kdelete_opts *o, struct kstatus *st)
{
    struct spy *s = (struct spy *)c;
    if (r == RES_PODS) {
        pthread_mutex_lock(&s->mu);
        s->deletes++;
        snprintf(s->del_uid, sizeof(s->del_uid), "%s", o && o->uid ? o->uid : "");
        s->del_grace = o ? o->grace_seconds : -1;
        pthread_mutex_unlock(&s->mu);
    }
    return kclient_delete(INNER(c), r, ns, name, o, st);
}
static int spy_bind(struct kclient *c, const char *ns, const char *pod, const char *node,
                    struct kstatus *st)
{
    return kclient_bind(INNER(c), ns, pod, node, st);
}
static int spy_watch(struct kclient *c, enum res_id r, const char *ns, const struct klist_opts *o,
                     const char *rv, int timeout, kwatch_cb cb, void *ctx, volatile bool *stop,
                     struct kstatus *st)
{
    return kclient_watch(INNER(c), r, ns, o, rv, timeout, cb, ctx, stop, st);
}
static void spy_free(struct kclient *c)
{
    struct spy *s = (struct spy *)c;
    kclient_free(s->inner);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const struct kclient_ops spy_ops = {spy_get, spy_list, spy_create, spy_update, spy_patch,
                                           spy_del, spy_bind, spy_watch,  spy_free};

/* --- fixture --- */

struct fx {
    struct spy *spy;
    struct kclient *c;    /* the spy: what the agent and the tests talk through */
    struct kclient *fake; /* for kfake_* */
    struct agent *a;
    char dir[64];
};

static struct agent_tuning fast_tuning(void)
{
    struct agent_tuning t = {.heartbeat_ms = 100,
                             .retry_ms = 50,
                             .backoff_base_ms = 200,
                             .backoff_max_ms = 800,
                             .workers = 4};
    return t;
}

static void start_agent(struct fx *f, int delay_ms)
{
    struct agent_config cfg = {.node_name = NODE,
                               .runtime = "sim",
                               .data_dir = f->dir,
                               .sim_start_delay_ms = delay_ms,
                               .internal_ip = "192.0.2.10"};
    struct agent_tuning t = fast_tuning();
    assert_int_equal(agent__start(f->c, &cfg, &t, &f->a), 0);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    f->spy = xcalloc(1, sizeof(*f->spy));
    f->spy->base.ops = &spy_ops;
    f->spy->inner = kfake_new();
    pthread_mutex_init(&f->spy->mu, NULL);
    f->c = &f->spy->base;
    f->fake = f->spy->inner;
    snprintf(f->dir, sizeof(f->dir), "/tmp/berth-agent-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    agent_stop(f->a);
    kclient_free(f->c);
    char *cmd = xasprintf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(f);
    return 0;
}

static int64_t now_ms(void)
{
    return ktime_mono_ms();
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* Poll the fake until pred holds for the object (or, with pred NULL, until it is gone);
 * returns the object (caller decrefs) or fails the test after timeout_ms. */
typedef bool (*pred_fn)(const json_t *obj, const void *arg);

static json_t *wait_obj(struct fx *f, enum res_id r, const char *ns, const char *name, pred_fn pred,
                        const void *arg, int timeout_ms, const char *what)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        json_t *o = kfake_get(f->fake, r, ns, name);
        if (pred ? o && pred(o, arg) : !o)
            return o;
        if (now_ms() > end) {
            char *s = o ? json_dumps(o, JSON_INDENT(1)) : xstrdup("(absent)");
            print_message("last seen: %s\n", s);
            free(s);
            json_decref(o);
            fail_msg("timed out waiting for %s/%s: %s", ns ? ns : "", name, what);
        }
        json_decref(o);
        sleep_ms(5);
    }
}

static bool phase_is(const json_t *pod, const void *phase)
{
    return !strcmp(jpath_str(pod, "status.phase") ?: "", phase);
}

static const json_t *condition(const json_t *pod, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(jpath(pod, "status.conditions"), i, c)
    {
        if (!strcmp(jget_str(c, "type") ?: "", type))
            return c;
    }
    return NULL;
}

static const char *cond_status(const json_t *pod, const char *type)
{
    return jget_str(condition(pod, type), "status") ?: "(none)";
}

static bool ready_is(const json_t *pod, const void *want)
{
    return !strcmp(cond_status(pod, "Ready"), want);
}

static bool running_ready(const json_t *pod, const void *arg)
{
    return phase_is(pod, "Running") && ready_is(pod, "True");
}

static const json_t *cstatus(const json_t *pod, size_t i)
{
    return json_array_get(jpath(pod, "status.containerStatuses"), i);
}

/* Create a pod bound to NODE (or another node) through the API, as a controller would. */
static json_t *create_pod(struct fx *f, const char *name, const char *node, const char *extra)
{
    char *text = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
                           "\"namespace\":\"default\"%s},\"spec\":{\"nodeName\":\"%s\","
                           "\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\"}]}}",
                           name, extra ? extra : "", node);
    json_t *pod = tj(text), *out = NULL;
    free(text);
    struct kstatus st;
    int rc = kclient_create(f->c, RES_PODS, "default", pod, &out, &st);
    if (rc)
        fail_msg("create pod %s: %d %s", name, rc, st.message);
    json_decref(pod);
    return out;
}

static json_t *create_obj(struct fx *f, enum res_id r, const char *ns, const char *text)
{
    json_t *obj = tj(text), *out = NULL;
    struct kstatus st;
    int rc = kclient_create(f->c, r, ns, obj, &out, &st);
    if (rc)
        fail_msg("create %s: %d %s", text, rc, st.message);
    json_decref(obj);
    return out;
}

static void patch_pod(struct fx *f, const char *name, const char *patch)
{
    struct kstatus st;
    int rc = kclient_patch(f->c, RES_PODS, "default", name, KPATCH_MERGE, patch, NULL, NULL, &st);
    if (rc)
        fail_msg("patch %s: %d %s", name, rc, st.message);
}

/* --- pure parts --- */

static void test_parse_duration(void **state)
{
    int64_t ms;
    static const struct {
        const char *in;
        int64_t ms;
    } good[] = {{"2s", 2000},      {"1.5s", 1500},  {"1m30s", 90000}, {"300ms", 300},
                {"0", 0},          {"1h", 3600000}, {"2m", 120000},   {"0.25s", 250},
                {"1s500ms", 1500}, {"+3s", 3000},   {"1500us", 2},    {"0s", 0}};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        ms = -1;
        assert_int_equal(agent_parse_duration_ms(good[i].in, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {"", "5", "-1s", "s", "1x", "1.s5", ".s", "1m-1s", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(agent_parse_duration_ms(bad[i], &ms), -EINVAL);
}

static void test_backoff_sequence(void **state)
{
    struct agent_tuning t = AGENT_TUNING_DEFAULT;
    static const int want[] = {10000, 20000, 40000, 80000, 160000, 300000, 300000, 300000};
    for (int k = 0; k < (int)ARRAY_SIZE(want); k++)
        assert_int_equal(sim__backoff_ms(&t, k), want[k]);
}

static void test_ipam(void **state)
{
    struct agent a = {0};
    char buf[16];
    pthread_mutex_init(&a.ip_mu, NULL);
    assert_int_equal(agent__ipam_init(&a, "10.42.0.0/29"), 0);
    /* .0 network, .1 gateway, .7 broadcast: five addresses */
    uint32_t got[5];
    for (int i = 0; i < 5; i++) {
        got[i] = agent__ip_alloc(&a);
        assert_int_not_equal(got[i], 0);
        for (int k = 0; k < i; k++)
            assert_int_not_equal(got[i], got[k]);
    }
    assert_string_equal(agent__ip_str(got[0], buf), "10.42.0.2");
    assert_string_equal(agent__ip_str(got[4], buf), "10.42.0.6");
    assert_int_equal(agent__ip_alloc(&a), 0); /* exhausted */
    agent__ip_free(&a, got[1]);
    assert_int_equal(agent__ip_alloc(&a), got[1]);
    assert_false(agent__ip_claim(&a, got[2])); /* taken */
    agent__ip_free(&a, got[2]);
    assert_true(agent__ip_claim(&a, got[2]));
    assert_false(agent__ip_claim(&a, agent__ip_parse("10.43.0.5"))); /* outside */
    assert_int_equal(agent__ipam_init(&a, "10.42.0.0"), -EINVAL);
    assert_int_equal(agent__ipam_init(&a, "nonsense/16"), -EINVAL);
    agent__ipam_release_all(&a);
    pthread_mutex_destroy(&a.ip_mu);
}

static void test_pv_on_node(void **state)
{
    json_t *pv = tj("{\"spec\":{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
                    "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":"
                    "\"In\",\"values\":[\"node-b\",\"node-a\"]}]}]}}}}");
    assert_true(agent__pv_on_node(pv, "node-a"));
    assert_false(agent__pv_on_node(pv, "node-c"));
    json_decref(pv);
    pv = tj("{\"spec\":{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
            "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":"
            "\"NotIn\",\"values\":[\"node-a\"]}]}]}}}}");
    assert_false(agent__pv_on_node(pv, "node-a"));
    json_decref(pv);
    pv = tj("{\"spec\":{}}");
    assert_false(agent__pv_on_node(pv, "node-a"));
    json_decref(pv);
}

static void test_refuses_other_runtimes(void **state)
{
    struct kclient *c = kfake_new();
    struct agent *a = NULL;
    struct agent_config cfg = {.node_name = NODE, .runtime = "runc"};
    assert_int_equal(agent_start(c, &cfg, &a), -ENOTSUP);
    cfg.runtime = NULL;
    assert_int_equal(agent_start(c, &cfg, &a), -ENOTSUP);
    cfg.runtime = "sim";
    cfg.node_name = "";
    assert_int_equal(agent_start(c, &cfg, &a), -EINVAL);
    assert_null(a);
    kclient_free(c);
}

/* --- registration and heartbeats --- */

static bool node_ready(const json_t *node, const void *arg)
{
    return ready_is(node, "True");
}

static void test_registration(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *n = wait_obj(f, RES_NODES, NULL, NODE, node_ready, NULL, 3000, "Ready node");

    json_t *labels = jpath(n, "metadata.labels");
    assert_string_equal(jget_str(labels, "kubernetes.io/hostname"), NODE);
    assert_string_equal(jget_str(labels, "kubernetes.io/os"), "linux");
    assert_non_null(jget_str(labels, "kubernetes.io/arch"));
    assert_string_equal(jget_str(labels, "kubernetes.io/arch"),
                        jpath_str(n, "status.nodeInfo.architecture"));

    const json_t *ready = condition(n, "Ready");
    assert_string_equal(jget_str(ready, "reason"), "KubeletReady");
    assert_string_equal(jget_str(ready, "message"), "kubelet is posting ready status");
    assert_non_null(jget_str(ready, "lastHeartbeatTime"));
    assert_non_null(jget_str(ready, "lastTransitionTime"));
    static const char *const pressure[] = {"MemoryPressure", "DiskPressure", "PIDPressure"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(cond_status(n, pressure[i]), "False");
    assert_int_equal(json_array_size(jpath(n, "status.conditions")), 4);

    json_t *cap = jpath(n, "status.capacity"), *alloc = jpath(n, "status.allocatable");
    char cpus[16];
    snprintf(cpus, sizeof(cpus), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    assert_string_equal(jget_str(cap, "cpu"), cpus);
    assert_string_equal(jget_str(cap, "pods"), "110");
    assert_string_equal(jget_str(alloc, "pods"), "110");
    assert_non_null(strstr(jget_str(cap, "memory"), "Ki"));
    assert_non_null(jget_str(cap, "ephemeral-storage"));
    assert_non_null(jget_str(alloc, "ephemeral-storage"));
    /* allocatable memory: capacity less the 100Mi hard-eviction threshold */
    assert_int_equal(atoll(jget_str(cap, "memory")) - atoll(jget_str(alloc, "memory")), 102400);

    json_t *info = jpath(n, "status.nodeInfo");
    assert_string_equal(jget_str(info, "kubeletVersion"), "v1.32.4-berth");
    assert_string_equal(jget_str(info, "containerRuntimeVersion"), "sim://berth");
    assert_string_equal(jget_str(info, "operatingSystem"), "linux");
    assert_true(*jget_str(info, "kernelVersion"));
    assert_true(*jget_str(info, "osImage"));

    json_t *addr = jpath(n, "status.addresses");
    assert_json_eq(addr, "[{\"address\":\"192.0.2.10\",\"type\":\"InternalIP\"},"
                         "{\"address\":\"node-a\",\"type\":\"Hostname\"}]");
    assert_int_equal(jpath_int(n, "status.daemonEndpoints.kubeletEndpoint.Port", 0), 10250);
    json_decref(n);
}

static bool has_label_foo(const json_t *node, const void *arg)
{
    return jpath_str(node, "metadata.labels.foo") && ready_is(node, "True") &&
           jget_str(jpath(node, "metadata.labels"), "kubernetes.io/hostname");
}

static void test_registration_existing_node(void **state)
{
    struct fx *f = *state;
    json_t *n = create_obj(f, RES_NODES, NULL,
                           "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
                           "\"node-a\",\"labels\":{\"foo\":\"bar\"}}}");
    json_decref(n);
    start_agent(f, 0);
    n = wait_obj(f, RES_NODES, NULL, NODE, has_label_foo, NULL, 3000, "labels merged");
    assert_string_equal(jpath_str(n, "metadata.labels.foo"), "bar");
    json_decref(n);
}

static bool lease_fresh(const json_t *lease, const void *arg)
{
    const char *prev = arg;
    const char *rt = jpath_str(lease, "spec.renewTime");
    return rt && (!prev || strcmp(rt, prev));
}

static void test_lease_renewal(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *l = wait_obj(f, RES_LEASES, AGENT_LEASE_NS, NODE, lease_fresh, NULL, 3000, "lease");
    assert_string_equal(jpath_str(l, "spec.holderIdentity"), NODE);
    assert_int_equal(jpath_int(l, "spec.leaseDurationSeconds", 0), 40);
    /* MicroTime */
    assert_int_equal(strlen(jpath_str(l, "spec.renewTime")), strlen("2026-01-01T00:00:00.000000Z"));
    char *first = xstrdup(jpath_str(l, "spec.renewTime"));
    json_decref(l);

    l = wait_obj(f, RES_LEASES, AGENT_LEASE_NS, NODE, lease_fresh, first, 3000, "renewal");
    json_t *owner = json_array_get(jpath(l, "metadata.ownerReferences"), 0);
    json_t *node = kfake_get(f->fake, RES_NODES, NULL, NODE);
    assert_non_null(owner);
    assert_string_equal(jget_str(owner, "kind"), "Node");
    assert_string_equal(jget_str(owner, "name"), NODE);
    assert_string_equal(jget_str(owner, "uid"), jpath_str(node, "metadata.uid"));
    json_decref(node);
    json_decref(l);
    free(first);

    /* the node status is posted every beat as well */
    int before = kfake_calls(f->fake, "update/status", RES_NODES);
    sleep_ms(450);
    assert_true(kfake_calls(f->fake, "update/status", RES_NODES) >= before + 2);
}

static void test_reregisters_deleted_node(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(wait_obj(f, RES_NODES, NULL, NODE, node_ready, NULL, 3000, "Ready node"));
    kfake_remove(f->fake, RES_NODES, NULL, NODE);
    json_decref(wait_obj(f, RES_NODES, NULL, NODE, node_ready, NULL, 3000, "registered again"));
}

/* --- the pod status sequence --- */

static bool pending_creating(const json_t *pod, const void *arg)
{
    return phase_is(pod, "Pending") && cstatus(pod, 0);
}

static void test_status_sequence(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *p =
        create_pod(f, "web-0", NODE, ",\"annotations\":{\"sim.berth.io/start-delay\":\"600ms\"}");
    const char *uid = jpath_str(p, "metadata.uid");
    char *uid_s = xstrdup(uid);
    json_decref(p);

    /* Pending: ContainerCreating, the kubelet's conditions, hostIP, no pod IP yet */
    p = wait_obj(f, RES_PODS, "default", "web-0", pending_creating, NULL, 3000, "Pending");
    const json_t *cs = cstatus(p, 0);
    assert_json_eq(jget(cs, "state"), "{\"waiting\":{\"reason\":\"ContainerCreating\"}}");
    assert_false(jget_bool(cs, "ready", true));
    assert_false(jget_bool(cs, "started", true));
    assert_int_equal(jget_int(cs, "restartCount", -1), 0);
    assert_string_equal(jget_str(cs, "image"), "nginx:1.27");
    assert_string_equal(jget_str(cs, "imageID"), "");
    assert_null(jget(cs, "containerID"));
    assert_string_equal(cond_status(p, "PodScheduled"), "True");
    assert_string_equal(cond_status(p, "Initialized"), "True");
    assert_string_equal(cond_status(p, "PodReadyToStartContainers"), "False");
    assert_string_equal(cond_status(p, "ContainersReady"), "False");
    assert_string_equal(cond_status(p, "Ready"), "False");
    assert_string_equal(jget_str(condition(p, "Ready"), "reason"), "ContainersNotReady");
    assert_string_equal(jget_str(condition(p, "Ready"), "message"),
                        "containers with unready status: [app]");
    assert_string_equal(jpath_str(p, "status.hostIP"), "192.0.2.10");
    assert_null(jpath(p, "status.podIP"));
    assert_non_null(jpath_str(p, "status.startTime"));
    assert_string_equal(jpath_str(p, "status.qosClass") ?: "(none)", "BestEffort");
    json_decref(p);

    /* after the start delay: Running and Ready */
    int64_t t0 = now_ms();
    p = wait_obj(f, RES_PODS, "default", "web-0", running_ready, NULL, 3000, "Running");
    assert_true(now_ms() - t0 <= 1500);
    cs = cstatus(p, 0);
    assert_true(jget_bool(cs, "ready", false));
    assert_true(jget_bool(cs, "started", false));
    assert_non_null(jpath_str(cs, "state.running.startedAt"));
    assert_string_equal(jget_str(cs, "imageID"), "sim://nginx:1.27");
    const char *cid = jget_str(cs, "containerID");
    assert_non_null(cid);
    assert_int_equal(strncmp(cid, "sim://", 6), 0);
    assert_int_equal(strlen(cid), 6 + 64);
    assert_json_eq(jget(cs, "lastState"), "{}");
    static const char *const order[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                        "ContainersReady", "PodScheduled"};
    json_t *conds = jpath(p, "status.conditions");
    assert_int_equal(json_array_size(conds), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *c = json_array_get(conds, i);
        assert_string_equal(jget_str(c, "type"), order[i]);
        assert_string_equal(jget_str(c, "status"), "True");
        assert_non_null(jget_str(c, "lastTransitionTime"));
    }
    const char *ip = jpath_str(p, "status.podIP");
    assert_non_null(ip);
    assert_int_equal(strncmp(ip, "10.42.", 6), 0);
    char *want = xasprintf("[{\"ip\":\"%s\"}]", ip);
    assert_json_eq(jpath(p, "status.podIPs"), want);
    free(want);
    assert_json_eq(jpath(p, "status.hostIPs"), "[{\"ip\":\"192.0.2.10\"}]");
    assert_string_equal(jpath_str(p, "status.qosClass") ?: "(none)", "BestEffort");
    assert_string_equal(jpath_str(p, "metadata.uid"), uid_s);
    json_decref(p);

    /* nothing more to say: no more writes, even when the pod's metadata changes */
    kfake_flush(f->fake);
    sleep_ms(200);
    int writes = kfake_calls(f->fake, "update/status", RES_PODS);
    patch_pod(f, "web-0", "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
    kfake_flush(f->fake);
    sleep_ms(300);
    assert_int_equal(kfake_calls(f->fake, "update/status", RES_PODS), writes);
    free(uid_s);
}

static void test_init_containers(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *pod = tj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"init\","
                     "\"namespace\":\"default\",\"annotations\":{\"sim.berth.io/start-delay\":"
                     "\"500ms\"}},\"spec\":{\"nodeName\":\"node-a\",\"initContainers\":[{\"name\":"
                     "\"setup\",\"image\":\"busybox\"}],\"containers\":[{\"name\":\"app\","
                     "\"image\":\"nginx\",\"volumeMounts\":[{\"name\":\"cfg\",\"mountPath\":"
                     "\"/etc/cfg\",\"readOnly\":true}]}],\"volumes\":[{\"name\":\"cfg\","
                     "\"emptyDir\":{}}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(f->c, RES_PODS, "default", pod, &out, NULL), 0);
    json_decref(pod);
    json_decref(out);

    json_t *p = wait_obj(f, RES_PODS, "default", "init", pending_creating, NULL, 3000, "Pending");
    assert_string_equal(cond_status(p, "Initialized"), "False");
    assert_string_equal(jget_str(condition(p, "Initialized"), "reason"),
                        "ContainersNotInitialized");
    assert_string_equal(jget_str(condition(p, "Initialized"), "message"),
                        "containers with incomplete status: [setup]");
    assert_string_equal(jpath_str(cstatus(p, 0), "state.waiting.reason"), "PodInitializing");
    json_decref(p);

    p = wait_obj(f, RES_PODS, "default", "init", running_ready, NULL, 3000, "Running");
    json_t *ics = json_array_get(jpath(p, "status.initContainerStatuses"), 0);
    assert_non_null(ics);
    assert_string_equal(jget_str(ics, "name"), "setup");
    assert_string_equal(jpath_str(ics, "state.terminated.reason"), "Completed");
    assert_int_equal(jpath_int(ics, "state.terminated.exitCode", -1), 0);
    assert_true(jget_bool(ics, "ready", false));
    assert_false(jget_bool(ics, "started", true));
    assert_string_equal(cond_status(p, "Initialized"), "True");
    assert_json_eq(jget(cstatus(p, 0), "volumeMounts"),
                   "[{\"mountPath\":\"/etc/cfg\",\"name\":\"cfg\",\"readOnly\":true,"
                   "\"recursiveReadOnly\":\"Disabled\"}]");
    json_decref(p);
}

static void test_default_start_delay(void **state)
{
    struct fx *f = *state;
    start_agent(f, 400);
    int64_t t0 = now_ms();
    json_decref(create_pod(f, "slow", NODE, NULL));
    json_decref(wait_obj(f, RES_PODS, "default", "slow", running_ready, NULL, 3000, "Running"));
    assert_true(now_ms() - t0 >= 400);
}

static void test_other_nodes_pods_untouched(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(create_pod(f, "elsewhere", "node-b", NULL));
    json_decref(create_pod(f, "here", NODE, NULL));
    json_decref(wait_obj(f, RES_PODS, "default", "here", running_ready, NULL, 3000, "Running"));
    kfake_flush(f->fake);
    sleep_ms(100);
    json_t *p = kfake_get(f->fake, RES_PODS, "default", "elsewhere");
    assert_string_equal(jpath_str(p, "status.phase"), "Pending");
    assert_null(jpath(p, "status.containerStatuses"));
    json_decref(p);
}

/* --- the annotations --- */

static bool unready_running(const json_t *pod, const void *arg)
{
    return phase_is(pod, "Running") && ready_is(pod, "False") && cstatus(pod, 0) &&
           jget_bool(cstatus(pod, 0), "started", false);
}

static void test_annotation_ready_false(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(
        create_pod(f, "unready", NODE, ",\"annotations\":{\"sim.berth.io/ready\":\"false\"}"));
    json_t *p = wait_obj(f, RES_PODS, "default", "unready", unready_running, NULL, 3000,
                         "Running, not Ready");
    assert_false(jget_bool(cstatus(p, 0), "ready", true));
    assert_non_null(jpath(cstatus(p, 0), "state.running"));
    assert_string_equal(cond_status(p, "ContainersReady"), "False");
    assert_string_equal(jget_str(condition(p, "ContainersReady"), "message"),
                        "containers with unready status: [app]");
    assert_non_null(jpath_str(p, "status.podIP"));
    const char *ltt = jget_str(condition(p, "Ready"), "lastTransitionTime");
    assert_non_null(ltt);
    json_decref(p);

    /* the probe passes again once the annotation goes */
    patch_pod(f, "unready", "{\"metadata\":{\"annotations\":{\"sim.berth.io/ready\":null}}}");
    p = wait_obj(f, RES_PODS, "default", "unready", running_ready, NULL, 3000, "Ready again");
    assert_true(jget_bool(cstatus(p, 0), "ready", false));
    json_decref(p);

    /* and flips back */
    patch_pod(f, "unready", "{\"metadata\":{\"annotations\":{\"sim.berth.io/ready\":\"false\"}}}");
    json_decref(
        wait_obj(f, RES_PODS, "default", "unready", unready_running, NULL, 3000, "unready again"));
}

static bool restarts_at_least(const json_t *pod, const void *arg)
{
    return jget_int(cstatus(pod, 0), "restartCount", -1) >= *(const int *)arg &&
           jpath(cstatus(pod, 0), "state.waiting");
}

static void test_annotation_crash(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *created =
        create_pod(f, "crashy", NODE, ",\"annotations\":{\"sim.berth.io/crash\":\"true\"}");
    char *uid = xstrdup(jpath_str(created, "metadata.uid"));
    json_decref(created);

    int n = 0;
    json_t *p =
        wait_obj(f, RES_PODS, "default", "crashy", restarts_at_least, &n, 3000, "CrashLoopBackOff");
    const json_t *cs = cstatus(p, 0);
    assert_string_equal(jpath_str(p, "status.phase"), "Running");
    assert_string_equal(jpath_str(cs, "state.waiting.reason"), "CrashLoopBackOff");
    char *msg =
        xasprintf("back-off 200ms restarting failed container=app pod=crashy_default(%s)", uid);
    assert_string_equal(jpath_str(cs, "state.waiting.message"), msg);
    free(msg);
    assert_int_equal(jpath_int(cs, "lastState.terminated.exitCode", 0), 1);
    assert_string_equal(jpath_str(cs, "lastState.terminated.reason"), "Error");
    assert_non_null(jpath_str(cs, "lastState.terminated.containerID"));
    assert_false(jget_bool(cs, "ready", true));
    assert_false(jget_bool(cs, "started", true));
    assert_string_equal(cond_status(p, "Ready"), "False");
    json_decref(p);

    /* back-off doubles, 200 ms, 400 ms, 800 ms, then stays at the cap */
    int64_t t0 = now_ms();
    n = 1;
    p = wait_obj(f, RES_PODS, "default", "crashy", restarts_at_least, &n, 3000, "restart 1");
    assert_true(now_ms() - t0 >= 150);
    assert_non_null(strstr(jpath_str(cstatus(p, 0), "state.waiting.message"), "back-off 400ms"));
    json_decref(p);
    n = 2;
    p = wait_obj(f, RES_PODS, "default", "crashy", restarts_at_least, &n, 3000, "restart 2");
    assert_non_null(strstr(jpath_str(cstatus(p, 0), "state.waiting.message"), "back-off 800ms"));
    json_decref(p);
    t0 = now_ms();
    n = 3;
    p = wait_obj(f, RES_PODS, "default", "crashy", restarts_at_least, &n, 3000, "restart 3");
    assert_true(now_ms() - t0 >= 600);
    assert_non_null(strstr(jpath_str(cstatus(p, 0), "state.waiting.message"), "back-off 800ms"));
    json_decref(p);

    /* fixed: the next restart stays up, restartCount kept */
    patch_pod(f, "crashy", "{\"metadata\":{\"annotations\":{\"sim.berth.io/crash\":null}}}");
    p = wait_obj(f, RES_PODS, "default", "crashy", running_ready, NULL, 3000, "recovered");
    assert_true(jget_int(cstatus(p, 0), "restartCount", 0) >= 4);
    assert_non_null(jpath(cstatus(p, 0), "state.running"));
    assert_int_equal(jpath_int(cstatus(p, 0), "lastState.terminated.exitCode", 0), 1);
    json_decref(p);
    free(uid);
}

static bool failed_terminated(const json_t *pod, const void *arg)
{
    return phase_is(pod, "Failed") && jpath(cstatus(pod, 0), "state.terminated");
}

static void test_crash_restart_never(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *pod = tj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"once\","
                     "\"namespace\":\"default\",\"annotations\":{\"sim.berth.io/crash\":\"true\"}},"
                     "\"spec\":{\"nodeName\":\"node-a\",\"restartPolicy\":\"Never\","
                     "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(f->c, RES_PODS, "default", pod, &out, NULL), 0);
    json_decref(pod);
    json_decref(out);
    json_t *p = wait_obj(f, RES_PODS, "default", "once", failed_terminated, NULL, 3000, "Failed");
    const json_t *cs = cstatus(p, 0);
    assert_int_equal(jget_int(cs, "restartCount", -1), 0);
    assert_int_equal(jpath_int(cs, "state.terminated.exitCode", 0), 1);
    assert_string_equal(jpath_str(cs, "state.terminated.reason"), "Error");
    assert_json_eq(jget(cs, "lastState"), "{}");
    assert_string_equal(jget_str(condition(p, "Ready"), "reason"), "PodCompleted");
    json_decref(p);
}

static void test_annotation_fail(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(create_pod(f, "doomed", NODE, NULL));
    json_decref(wait_obj(f, RES_PODS, "default", "doomed", running_ready, NULL, 3000, "Running"));
    patch_pod(f, "doomed", "{\"metadata\":{\"annotations\":{\"sim.berth.io/fail\":\"true\"}}}");
    json_t *p = wait_obj(f, RES_PODS, "default", "doomed", failed_terminated, NULL, 3000, "Failed");
    const json_t *cs = cstatus(p, 0);
    assert_int_equal(jpath_int(cs, "state.terminated.exitCode", 0), 1);
    assert_string_equal(jpath_str(cs, "state.terminated.reason"), "Error");
    assert_non_null(jpath_str(cs, "state.terminated.finishedAt"));
    assert_false(jget_bool(cs, "ready", true));
    assert_string_equal(cond_status(p, "Ready"), "False");
    assert_string_equal(jget_str(condition(p, "Ready"), "reason"), "PodCompleted");
    assert_string_equal(cond_status(p, "ContainersReady"), "False");
    assert_non_null(jpath_str(p, "status.podIP")); /* a failed pod keeps its IP */
    json_decref(p);

    /* terminal: removing the annotation does not bring it back */
    patch_pod(f, "doomed", "{\"metadata\":{\"annotations\":{\"sim.berth.io/fail\":null}}}");
    kfake_flush(f->fake);
    sleep_ms(200);
    p = kfake_get(f->fake, RES_PODS, "default", "doomed");
    assert_string_equal(jpath_str(p, "status.phase"), "Failed");
    json_decref(p);

    /* failing from the start, with a start delay */
    json_decref(create_pod(f, "doomed2", NODE,
                           ",\"annotations\":{\"sim.berth.io/fail\":\"true\","
                           "\"sim.berth.io/start-delay\":\"100ms\"}"));
    json_decref(wait_obj(f, RES_PODS, "default", "doomed2", failed_terminated, NULL, 3000,
                         "Failed from the start"));
}

/* Mark a pod for graceful deletion as the API server does (deletionTimestamp in the future,
 * deletionGracePeriodSeconds), independently of how the fake deletes. */
static void mark_deleting(struct fx *f, const char *name, int grace)
{
    json_t *p = kfake_get(f->fake, RES_PODS, "default", name);
    char ts[KTIME_BUFSZ];
    json_t *meta = jget(p, "metadata");
    jset_str(meta, "deletionTimestamp", ktime_format(ktime_now() + grace, ts));
    jset_int(meta, "deletionGracePeriodSeconds", grace);
    assert_int_equal(kfake_put(f->fake, RES_PODS, p), 0);
    json_decref(p);
}

static void test_graceful_deletion(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *created = create_pod(f, "bye", NODE, ",\"finalizers\":[\"test.berth.io/hold\"]");
    char *uid = xstrdup(jpath_str(created, "metadata.uid"));
    json_decref(created);
    json_decref(wait_obj(f, RES_PODS, "default", "bye", running_ready, NULL, 3000, "Running"));

    mark_deleting(f, "bye", 30);
    /* a finalizer holds the object, so the final status stays visible */
    json_t *p =
        wait_obj(f, RES_PODS, "default", "bye", phase_is, "Succeeded", 3000, "final status");
    const json_t *cs = cstatus(p, 0);
    assert_string_equal(jpath_str(cs, "state.terminated.reason"), "Completed");
    assert_int_equal(jpath_int(cs, "state.terminated.exitCode", -1), 0);
    assert_false(jget_bool(cs, "ready", true));
    assert_string_equal(cond_status(p, "Ready"), "False");
    json_decref(p);

    int64_t end = now_ms() + 3000;
    for (;;) {
        pthread_mutex_lock(&f->spy->mu);
        int d = f->spy->deletes;
        pthread_mutex_unlock(&f->spy->mu);
        if (d > 0)
            break;
        if (now_ms() > end)
            fail_msg("the agent never deleted the pod");
        sleep_ms(5);
    }
    pthread_mutex_lock(&f->spy->mu);
    assert_string_equal(f->spy->del_uid, uid);
    assert_int_equal(f->spy->del_grace, 0);
    pthread_mutex_unlock(&f->spy->mu);

    /* the finalizer goes: the pod is gone for good */
    patch_pod(f, "bye", "{\"metadata\":{\"finalizers\":null}}");
    json_decref(wait_obj(f, RES_PODS, "default", "bye", NULL, NULL, 3000, "gone"));
    free(uid);
}

static void test_deletion_removes_pod(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(create_pod(f, "short", NODE, NULL));
    json_decref(wait_obj(f, RES_PODS, "default", "short", running_ready, NULL, 3000, "Running"));
    mark_deleting(f, "short", 30);
    int64_t t0 = now_ms();
    json_decref(wait_obj(f, RES_PODS, "default", "short", NULL, NULL, 3000, "gone"));
    /* the sim stops at once: no waiting out the 30 s grace period */
    assert_true(now_ms() - t0 < 2000);
}

static void test_uid_precondition_spares_new_pod(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *old = create_pod(f, "same", NODE, NULL);
    json_decref(wait_obj(f, RES_PODS, "default", "same", running_ready, NULL, 3000, "Running"));
    /* the agent's DELETE fails for a while; meanwhile the pod is replaced by a new one of the
     * same name, which the late DELETE (with the old UID) must not remove */
    kfake_fail_after(f->fake, "delete", RES_PODS, 0, -EIO);
    mark_deleting(f, "same", 30);
    int64_t end = now_ms() + 3000;
    while (kfake_calls(f->fake, "delete", RES_PODS) < 1) {
        if (now_ms() > end)
            fail_msg("no delete attempt");
        sleep_ms(5);
    }
    kfake_remove(f->fake, RES_PODS, "default", "same");
    json_t *fresh = create_pod(f, "same", NODE, NULL);
    assert_string_not_equal(jpath_str(fresh, "metadata.uid"), jpath_str(old, "metadata.uid"));
    kfake_clear_failures(f->fake);
    json_t *p =
        wait_obj(f, RES_PODS, "default", "same", running_ready, NULL, 3000, "the new pod Running");
    assert_string_equal(jpath_str(p, "metadata.uid"), jpath_str(fresh, "metadata.uid"));
    json_decref(p);
    sleep_ms(300);
    p = kfake_get(f->fake, RES_PODS, "default", "same");
    assert_non_null(p);
    assert_string_equal(jpath_str(p, "metadata.uid"), jpath_str(fresh, "metadata.uid"));
    json_decref(p);
    json_decref(old);
    json_decref(fresh);
}

static bool terminating(const json_t *pod, const void *arg)
{
    return jpath(pod, "metadata.deletionTimestamp") != NULL;
}

static void test_annotation_refuse_terminate(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(create_pod(f, "stubborn", NODE,
                           ",\"annotations\":{\"sim.berth.io/refuse-terminate\":\"true\"}"));
    json_decref(wait_obj(f, RES_PODS, "default", "stubborn", running_ready, NULL, 3000, "Running"));
    /* a grace period of 0 s (already over) still does not end it while the mark is there */
    mark_deleting(f, "stubborn", 0);
    json_decref(
        wait_obj(f, RES_PODS, "default", "stubborn", terminating, NULL, 3000, "Terminating"));
    kfake_flush(f->fake);
    sleep_ms(400);
    json_t *p = kfake_get(f->fake, RES_PODS, "default", "stubborn");
    assert_non_null(p);
    assert_string_equal(jpath_str(p, "status.phase"), "Running");
    json_decref(p);
    pthread_mutex_lock(&f->spy->mu);
    assert_int_equal(f->spy->deletes, 0);
    pthread_mutex_unlock(&f->spy->mu);

    patch_pod(f, "stubborn",
              "{\"metadata\":{\"annotations\":{\"sim.berth.io/refuse-terminate\":null}}}");
    json_decref(wait_obj(f, RES_PODS, "default", "stubborn", NULL, NULL, 3000, "gone"));
}

/* --- IPs --- */

static void test_ip_uniqueness(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    enum { N = 200 };
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_decref(create_pod(f, name, NODE, NULL));
    }
    json_t *seen = json_object();
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_t *p = wait_obj(f, RES_PODS, "default", name, running_ready, NULL, 10000, "Running");
        const char *ip = jpath_str(p, "status.podIP");
        assert_non_null(ip);
        uint32_t v = agent__ip_parse(ip);
        assert_true(v > agent__ip_parse("10.42.0.1") && v < agent__ip_parse("10.42.255.255"));
        if (json_object_get(seen, ip))
            fail_msg("IP %s given twice", ip);
        json_object_set_new(seen, ip, json_string(name));
        json_decref(p);
    }
    /* delete half; the new pods never get an address a live pod has */
    for (int i = 0; i < N; i += 2) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_t *p = kfake_get(f->fake, RES_PODS, "default", name);
        json_object_del(seen, jpath_str(p, "status.podIP"));
        json_decref(p);
        mark_deleting(f, name, 30);
    }
    for (int i = 0; i < N; i += 2) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_decref(wait_obj(f, RES_PODS, "default", name, NULL, NULL, 5000, "gone"));
    }
    for (int i = N; i < N + N / 2; i++) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_decref(create_pod(f, name, NODE, NULL));
    }
    for (int i = N; i < N + N / 2; i++) {
        snprintf(name, sizeof(name), "p-%d", i);
        json_t *p = wait_obj(f, RES_PODS, "default", name, running_ready, NULL, 10000, "Running");
        const char *ip = jpath_str(p, "status.podIP");
        if (json_object_get(seen, ip))
            fail_msg("IP %s of a live pod given again", ip);
        json_object_set_new(seen, ip, json_string(name));
        json_decref(p);
    }
    json_decref(seen);
}

static bool node_pods_2000(const json_t *node, const void *arg)
{
    return !strcmp(jpath_str(node, "status.capacity.pods") ?: "", "2000");
}

static void test_host_network_and_max_pods(void **state)
{
    struct fx *f = *state;
    struct agent_config cfg = {.node_name = NODE,
                               .runtime = "sim",
                               .data_dir = f->dir,
                               .internal_ip = "192.0.2.10",
                               .max_pods = 2000};
    struct agent_tuning t = fast_tuning();
    assert_int_equal(agent__start(f->c, &cfg, &t, &f->a), 0);
    json_t *n = wait_obj(f, RES_NODES, NULL, NODE, node_pods_2000, NULL, 3000, "max pods");
    assert_string_equal(jpath_str(n, "status.allocatable.pods"), "2000");
    json_decref(n);

    json_t *pod = tj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"hn\","
                     "\"namespace\":\"default\"},\"spec\":{\"nodeName\":\"node-a\","
                     "\"hostNetwork\":true,\"containers\":[{\"name\":\"app\",\"image\":"
                     "\"nginx\"}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(f->c, RES_PODS, "default", pod, &out, NULL), 0);
    json_decref(pod);
    json_decref(out);
    json_t *p = wait_obj(f, RES_PODS, "default", "hn", running_ready, NULL, 3000, "Running");
    assert_string_equal(jpath_str(p, "status.podIP"), "192.0.2.10");
    assert_json_eq(jpath(p, "status.podIPs"), "[{\"ip\":\"192.0.2.10\"}]");
    json_decref(p);
    /* and it took nothing from the pod CIDR */
    json_decref(create_pod(f, "next", NODE, NULL));
    p = wait_obj(f, RES_PODS, "default", "next", running_ready, NULL, 3000, "Running");
    assert_string_equal(jpath_str(p, "status.podIP"), "10.42.0.2");
    json_decref(p);
}

/* --- volumes --- */

/* The claim index as JSON text (a->mu). Caller frees. */
static char *claim_index(struct fx *f)
{
    pthread_mutex_lock(&f->a->mu);
    char *s = json_dump_canonical(f->a->claim_pods);
    pthread_mutex_unlock(&f->a->mu);
    return s;
}

/* Wait until the claim index reads want (canonical JSON). */
static void wait_claim_index(struct fx *f, const char *want)
{
    char *got = NULL;
    for (int64_t until = now_ms() + 3000; now_ms() < until; sleep_ms(10)) {
        free(got);
        got = claim_index(f);
        if (!strcmp(got, want))
            break;
    }
    assert_string_equal(got, want);
    free(got);
}

static void create_pod_volumes(struct fx *f, const char *name, const char *node, const char *vols)
{
    char *text = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
                           "\"namespace\":\"default\"},\"spec\":{\"nodeName\":\"%s\","
                           "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}],"
                           "\"volumes\":%s}}",
                           name, node, vols);
    json_decref(create_obj(f, RES_PODS, "default", text));
    free(text);
}

/* Claim and volume events queue the pods using the claim, found through an index of the pods by
 * "namespace/claim" that follows pods arriving, changing and leaving. */
static void test_claim_index(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    create_pod_volumes(f, "web-1", NODE,
                       "[{\"name\":\"a\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}},"
                       "{\"name\":\"scratch\",\"ephemeral\":{}},{\"name\":\"b\","
                       "\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]");
    create_pod_volumes(f, "web-2", NODE,
                       "[{\"name\":\"a\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]");
    create_pod_volumes(f, "other", "node-b",
                       "[{\"name\":\"a\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]");
    wait_claim_index(f, "{\"default/data\":{\"default/web-1\":true,\"default/web-2\":true},"
                        "\"default/web-1-scratch\":{\"default/web-1\":true}}");
    kfake_remove(f->fake, RES_PODS, "default", "web-1");
    wait_claim_index(f, "{\"default/data\":{\"default/web-2\":true}}");
    kfake_remove(f->fake, RES_PODS, "default", "web-2");
    wait_claim_index(f, "{}");
}

static void test_waits_for_bound_claim(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_t *pod =
        tj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\","
           "\"namespace\":\"default\"},\"spec\":{\"nodeName\":\"node-a\","
           "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}],\"volumes\":[{"
           "\"name\":\"www\",\"persistentVolumeClaim\":{\"claimName\":\"www-web-0\"}}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(f->c, RES_PODS, "default", pod, &out, NULL), 0);
    json_decref(pod);
    json_decref(out);
    json_t *p = wait_obj(f, RES_PODS, "default", "web-0", pending_creating, NULL, 3000, "Pending");
    json_decref(p);
    json_decref(create_obj(f, RES_PERSISTENTVOLUMECLAIMS, "default",
                           "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":"
                           "{\"name\":\"www-web-0\",\"namespace\":\"default\"},\"spec\":{"
                           "\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{"
                           "\"storage\":\"1Gi\"}}}}"));
    kfake_flush(f->fake);
    sleep_ms(300);
    p = kfake_get(f->fake, RES_PODS, "default", "web-0");
    assert_string_equal(jpath_str(p, "status.phase"), "Pending"); /* the claim is Pending */
    assert_string_equal(jpath_str(cstatus(p, 0), "state.waiting.reason"), "ContainerCreating");
    json_decref(p);

    /* bound (as the binder would): the pod starts */
    json_t *pvc = kfake_get(f->fake, RES_PERSISTENTVOLUMECLAIMS, "default", "www-web-0");
    jset_str(jget(pvc, "spec"), "volumeName", "pv-1");
    jset_str(jensure_obj(pvc, "status"), "phase", "Bound");
    assert_int_equal(kfake_put(f->fake, RES_PERSISTENTVOLUMECLAIMS, pvc), 0);
    json_decref(pvc);
    json_decref(wait_obj(f, RES_PODS, "default", "web-0", running_ready, NULL, 3000, "Running"));
}

static bool pending_cleared(const json_t *pv, const void *arg)
{
    return !agent__ann(pv, LOCAL_PATH_PENDING_ANN);
}

static void test_local_path_handoff(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    static const char pv_fmt[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"%s\","
        "\"annotations\":{\"berth.io/local-path-pending\":\"true\"}},\"spec\":{\"capacity\":{"
        "\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],\"hostPath\":{\"path\":"
        "\"%s/volumes/%s_default_www-web-0\"},\"claimRef\":{\"namespace\":\"default\",\"name\":"
        "\"www-web-0\"},\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
        "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":\"In\","
        "\"values\":[\"%s\"]}]}]}}}}";
    char *mine = xasprintf(pv_fmt, "pvc-1", f->dir, "pvc-1", NODE);
    char *theirs = xasprintf(pv_fmt, "pvc-2", f->dir, "pvc-2", "node-b");
    json_decref(create_obj(f, RES_PERSISTENTVOLUMES, NULL, mine));
    json_decref(create_obj(f, RES_PERSISTENTVOLUMES, NULL, theirs));
    free(mine);
    free(theirs);

    json_decref(wait_obj(f, RES_PERSISTENTVOLUMES, NULL, "pvc-1", pending_cleared, NULL, 3000,
                         "annotation removed"));
    char *dir = xasprintf("%s/volumes/pvc-1_default_www-web-0", f->dir);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0777);
    free(dir);

    /* another node's PV: neither its directory nor its annotation is ours */
    kfake_flush(f->fake);
    sleep_ms(200);
    json_t *pv = kfake_get(f->fake, RES_PERSISTENTVOLUMES, NULL, "pvc-2");
    assert_non_null(agent__ann(pv, LOCAL_PATH_PENDING_ANN));
    json_decref(pv);
    dir = xasprintf("%s/volumes/pvc-2_default_www-web-0", f->dir);
    assert_int_not_equal(stat(dir, &sb), 0);
    free(dir);
}

/* A local-path PV of `node` at `path`, with the given annotations (a JSON object body). */
static void create_local_pv(struct fx *f, const char *name, const char *path, const char *node,
                            const char *annotations)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"%s\","
        "\"annotations\":{%s}},\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":"
        "[\"ReadWriteOnce\"],\"hostPath\":{\"path\":\"%s\"},\"claimRef\":{\"namespace\":"
        "\"default\",\"name\":\"data\"},\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":"
        "[{\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":\"In\","
        "\"values\":[\"%s\"]}]}]}}}}",
        name, annotations, path, node);
    json_decref(create_obj(f, RES_PERSISTENTVOLUMES, NULL, text));
    free(text);
}

static void test_pod_waits_for_local_path_dir(void **state)
{
    struct fx *f = *state;
    /* the PV is pending and bound before the agent starts; the agent makes the directory and
     * only then starts the pod */
    char *path = xasprintf("%s/srv/volumes/pv-9_default_data", f->dir);
    create_local_pv(f, "pv-9", path, NODE, "\"berth.io/local-path-pending\":\"true\"");
    json_t *pvc = tj("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":"
                     "{\"name\":\"data\",\"namespace\":\"default\"},\"spec\":{\"accessModes\":"
                     "[\"ReadWriteOnce\"],\"volumeName\":\"pv-9\",\"resources\":{\"requests\":{"
                     "\"storage\":\"1Gi\"}}},\"status\":{\"phase\":\"Bound\"}}");
    assert_int_equal(kfake_put(f->fake, RES_PERSISTENTVOLUMECLAIMS, pvc), 0);
    json_decref(pvc);
    start_agent(f, 0);
    json_t *pod = tj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db\","
                     "\"namespace\":\"default\"},\"spec\":{\"nodeName\":\"node-a\","
                     "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}],\"volumes\":[{"
                     "\"name\":\"d\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]}}");
    json_t *out = NULL;
    assert_int_equal(kclient_create(f->c, RES_PODS, "default", pod, &out, NULL), 0);
    json_decref(pod);
    json_decref(out);
    json_decref(wait_obj(f, RES_PODS, "default", "db", running_ready, NULL, 3000, "Running"));
    /* the directory is the PV's path (the provisioner's DATA), not the agent's */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    free(path);
}

static bool cleanup_done(const json_t *pv, const void *arg)
{
    return !strcmp(agent__ann(pv, LOCAL_PATH_CLEANUP_ANN) ?: "", "done");
}

static void test_local_path_cleanup(void **state)
{
    struct fx *f = *state;
    char *path = xasprintf("%s/volumes/pv-7_default_data", f->dir);
    char *other = xasprintf("%s/volumes/pv-8_default_data", f->dir);
    char *file = xasprintf("%s/sub/file", path);
    char *cmd = xasprintf("mkdir -p '%s/sub' '%s' && echo x > '%s' && ln -s / '%s/root'", path,
                          other, file, path);
    assert_int_equal(system(cmd), 0);
    free(cmd);

    start_agent(f, 0);
    create_local_pv(f, "pv-7", path, NODE, "\"berth.io/local-path-cleanup\":\"requested\"");
    create_local_pv(f, "pv-8", other, "node-b", "\"berth.io/local-path-cleanup\":\"requested\"");
    json_decref(
        wait_obj(f, RES_PERSISTENTVOLUMES, NULL, "pv-7", cleanup_done, NULL, 3000, "cleanup done"));
    struct stat sb;
    assert_int_not_equal(lstat(path, &sb), 0);
    assert_int_equal(stat("/", &sb), 0); /* the symbolic link was removed, not followed */

    /* another node's volume is its agent's */
    kfake_flush(f->fake);
    sleep_ms(200);
    json_t *pv = kfake_get(f->fake, RES_PERSISTENTVOLUMES, NULL, "pv-8");
    assert_string_equal(agent__ann(pv, LOCAL_PATH_CLEANUP_ANN), "requested");
    json_decref(pv);
    assert_int_equal(stat(other, &sb), 0);
    free(path);
    free(other);
    free(file);
}

static void test_local_path_refuses_odd_paths(void **state)
{
    struct fx *f = *state;
    char *outside = xasprintf("%s/precious", f->dir);
    assert_int_equal(mkdir(outside, 0700), 0);
    start_agent(f, 0);
    /* not .../volumes/<pv>_<ns>_<claim>: neither made nor removed */
    char *made = xasprintf("%s/etc/evil", f->dir);
    create_local_pv(f, "pv-5", made, NODE, "\"berth.io/local-path-pending\":\"true\"");
    create_local_pv(f, "pv-6", outside, NODE, "\"berth.io/local-path-cleanup\":\"requested\"");
    char *dotdot = xasprintf("%s/volumes/../pv-4_default_data", f->dir);
    create_local_pv(f, "pv-4", dotdot, NODE, "\"berth.io/local-path-pending\":\"true\"");
    kfake_flush(f->fake);
    sleep_ms(300);
    struct stat sb;
    assert_int_not_equal(stat(made, &sb), 0);
    assert_int_equal(stat(outside, &sb), 0);
    char *dd = xasprintf("%s/pv-4_default_data", f->dir);
    assert_int_not_equal(stat(dd, &sb), 0);
    json_t *pv = kfake_get(f->fake, RES_PERSISTENTVOLUMES, NULL, "pv-5");
    assert_non_null(agent__ann(pv, LOCAL_PATH_PENDING_ANN));
    json_decref(pv);
    pv = kfake_get(f->fake, RES_PERSISTENTVOLUMES, NULL, "pv-6");
    assert_string_equal(agent__ann(pv, LOCAL_PATH_CLEANUP_ANN), "requested");
    json_decref(pv);
    free(outside);
    free(made);
    free(dotdot);
    free(dd);
}

/* --- restart and scale --- */

static void test_agent_restart_adopts(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    json_decref(create_pod(f, "keep", NODE, NULL));
    json_t *before = wait_obj(f, RES_PODS, "default", "keep", running_ready, NULL, 3000, "Running");
    kfake_flush(f->fake);
    sleep_ms(100);
    agent_stop(f->a);
    f->a = NULL;
    int writes = kfake_calls(f->fake, "update/status", RES_PODS);

    start_agent(f, 0);
    json_decref(wait_obj(f, RES_NODES, NULL, NODE, node_ready, NULL, 3000, "node"));
    kfake_flush(f->fake);
    sleep_ms(300);
    json_t *after = kfake_get(f->fake, RES_PODS, "default", "keep");
    /* same containers, same IP, same times: nothing to write */
    char *want = json_dump_canonical(jget(before, "status"));
    assert_json_eq(jget(after, "status"), want);
    free(want);
    assert_int_equal(kfake_calls(f->fake, "update/status", RES_PODS), writes);
    json_decref(before);
    json_decref(after);
}

static void test_scale_1000_pods(void **state)
{
    struct fx *f = *state;
    start_agent(f, 0);
    enum { N = 1000 };
    char name[32];
    int64_t t0 = now_ms();
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "s-%d", i);
        json_decref(create_pod(f, name, NODE, NULL));
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "s-%d", i);
        json_decref(wait_obj(f, RES_PODS, "default", name, running_ready, NULL, 20000, "Running"));
    }
    int64_t took = now_ms() - t0;
    print_message("# %d pods Running+Ready in %lld ms\n", N, (long long)took);
    assert_true(took < 10000);
    /* one status write per pod: straight to Running with no start delay */
    kfake_flush(f->fake);
    sleep_ms(200);
    assert_true(kfake_calls(f->fake, "update/status", RES_PODS) <= N + N / 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_backoff_sequence),
        cmocka_unit_test(test_ipam),
        cmocka_unit_test(test_pv_on_node),
        cmocka_unit_test(test_refuses_other_runtimes),
        cmocka_unit_test_setup_teardown(test_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registration_existing_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_renewal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reregisters_deleted_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_containers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_start_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_nodes_pods_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotation_ready_false, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotation_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_restart_never, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotation_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graceful_deletion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deletion_removes_pod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uid_precondition_spares_new_pod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotation_refuse_terminate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_uniqueness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_network_and_max_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_for_bound_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_path_handoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_waits_for_local_path_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_path_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_path_refuses_odd_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_restart_adopts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scale_1000_pods, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
