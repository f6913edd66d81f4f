/* test_nodelifecycle.c — node health from leases and heartbeats on a fake clock, the Unknown
 * conditions, the taints that follow the conditions, and pods marked not ready (never deleted),
 * over the fake API.
 */
#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "client/fake.h"
#include "controllers/nodelifecycle/nodelifecycle.h"

static int64_t clock_ms;

static int64_t fake_now(void)
{
    return clock_ms;
}

struct h {
    struct kclient *c;
    struct informer_factory *f;
    struct nlc *n;
};

static void h_start(struct h *h)
{
    clock_ms = 1000000;
    h->c = kfake_new();
    h->f = informer_factory_new(h->c);
    h->n = nlc__new(h->c, h->f);
    h->n->now_ms = fake_now;
    informer_factory_start(h->f);
    assert_true(informer_factory_wait_synced(h->f, 5000));
}

static void h_stop(struct h *h)
{
    informer_factory_stop(h->f);
    nlc__free(h->n);
    informer_factory_free(h->f);
    kclient_free(h->c);
}

static void putf(struct h *h, enum res_id r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void putf(struct h *h, enum res_id r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    json_t *o = tj(s);
    assert_int_equal(kfake_put(h->c, r, o), 0);
    json_decref(o);
    free(s);
}

/* A node reporting conditions (a JSON array text) with the given heartbeat, and its spec. */
static void node(struct h *h, const char *name, const char *spec, const char *conds)
{
    putf(h, RES_NODES,
         "{\"metadata\":{\"name\":\"%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
         "\"spec\":%s,\"status\":{\"conditions\":%s}}",
         name, spec ? spec : "{}", conds ? conds : "[]");
}

#define READY(st, hb)                                                                              \
    "[{\"type\":\"Ready\",\"status\":\"" st "\",\"reason\":\"KubeletReady\",\"message\":\"ok\","   \
    "\"lastHeartbeatTime\":\"" hb "\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"},"           \
    "{\"type\":\"MemoryPressure\",\"status\":\"False\",\"lastHeartbeatTime\":\"" hb "\","          \
    "\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]"

static void lease(struct h *h, const char *name, const char *renew)
{
    putf(h, RES_LEASES,
         "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"kube-node-lease\"},\"spec\":{"
         "\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,\"renewTime\":\"%s\"}}",
         name, name, renew);
}

static void running_pod(struct h *h, const char *name, const char *node_name)
{
    putf(h, RES_PODS,
         "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"u-%s\"},"
         "\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
         "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":"
         "\"True\",\"reason\":\"r\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"},{\"type\":"
         "\"PodScheduled\",\"status\":\"True\"}]}}",
         name, name, node_name);
}

static int sync_key(struct h *h, const char *key)
{
    kfake_flush(h->c);
    int rc = nlc__sync(h->n, key);
    kfake_flush(h->c);
    return rc;
}

static json_t *get_node(struct h *h, const char *name)
{
    return kfake_get(h->c, RES_NODES, NULL, name);
}

static const json_t *cond(const json_t *obj, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach (jpath(obj, "status.conditions"), i, c)
        if (!strcmp(jget_str(c, "type"), type))
            return c;
    return NULL;
}

static const char *ready_of(const json_t *obj)
{
    return jget_str(cond(obj, "Ready"), "status");
}

/* "key:effect key:effect" of the node's taints. Caller frees. */
static char *taints(struct h *h, const char *name)
{
    json_t *n = get_node(h, name);
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *t;
    json_array_foreach (jpath(n, "spec.taints"), i, t)
        strbuf_addf(&sb, "%s%s:%s", i ? " " : "", jget_str(t, "key"), jget_str(t, "effect"));
    json_decref(n);
    return strbuf_detach(&sb, NULL);
}

static void assert_taints(struct h *h, const char *name, const char *want)
{
    char *got = taints(h, name);
    assert_string_equal(got, want);
    free(got);
}

static const char *pod_ready(struct h *h, const char *name, json_t **keep)
{
    *keep = kfake_get(h->c, RES_PODS, "default", name);
    return ready_of(*keep);
}

static int events(struct h *h, const char *kind, const char *name, const char *reason,
                  const char *msg)
{
    recorder_flush(h->n->rec);
    h->n->rec = recorder_new(h->c, "node-controller", "");
    kfake_flush(h->c);
    json_t *all = kfake_list(h->c, RES_EVENTS, NULL);
    size_t i;
    json_t *e;
    int n = 0;
    json_array_foreach (all, i, e) {
        if (!strcmp(jpath_str(e, "involvedObject.kind"), kind) &&
            !strcmp(jpath_str(e, "involvedObject.name"), name) &&
            !strcmp(jget_str(e, "reason"), reason) &&
            (!msg || !strcmp(jget_str(e, "message"), msg)))
            n++;
    }
    json_decref(all);
    return n;
}

static void test_silent_node_goes_unknown(void **state)
{
    struct h h;
    json_t *keep;

    h_start(&h);
    node(&h, "n1", NULL, READY("True", "2026-01-01T00:00:00Z"));
    lease(&h, "n1", "2026-01-01T00:00:00.000000Z");
    node(&h, "n2", NULL, READY("True", "2026-01-01T00:00:00Z"));
    running_pod(&h, "p1", "n1");
    running_pod(&h, "p2", "n2");

    assert_int_equal(sync_key(&h, "n1"), 0);
    assert_int_equal(sync_key(&h, "n2"), 0);
    assert_int_equal(kfake_calls(h.c, "update", RES_NODES), 0);
    assert_int_equal(kfake_calls(h.c, "update/status", RES_NODES), 0);

    /* 39 s of silence: nothing yet */
    clock_ms += 39000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    assert_int_equal(kfake_calls(h.c, "update/status", RES_NODES), 0);

    /* n2's agent renews its lease; n1's does not */
    lease(&h, "n2", "2026-01-01T00:00:39.000000Z");
    assert_int_equal(sync_key(&h, "n2"), 0);
    clock_ms += 2000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    assert_int_equal(sync_key(&h, "n2"), 0);

    json_t *n = get_node(&h, "n1");
    const json_t *r = cond(n, "Ready");
    assert_string_equal(jget_str(r, "status"), "Unknown");
    assert_string_equal(jget_str(r, "reason"), "NodeStatusUnknown");
    assert_string_equal(jget_str(r, "message"), "Kubelet stopped posting node status.");
    assert_string_equal(jget_str(r, "lastHeartbeatTime"), "2026-01-01T00:00:00Z");
    assert_string_not_equal(jget_str(r, "lastTransitionTime"), "2026-01-01T00:00:00Z");
    assert_string_equal(jget_str(cond(n, "MemoryPressure"), "status"), "Unknown");
    /* conditions never posted are added as never updated */
    const json_t *d = cond(n, "DiskPressure");
    assert_string_equal(jget_str(d, "status"), "Unknown");
    assert_string_equal(jget_str(d, "reason"), "NodeStatusNeverUpdated");
    assert_string_equal(jget_str(d, "message"), "Kubelet never posted node status.");
    assert_non_null(cond(n, "PIDPressure"));
    size_t i;
    json_t *t;
    int noexec = 0;
    json_array_foreach (jpath(n, "spec.taints"), i, t) {
        if (!strcmp(jget_str(t, "effect"), "NoExecute")) {
            noexec++;
            assert_non_null(jget_str(t, "timeAdded"));
        } else {
            assert_null(jget(t, "timeAdded"));
        }
    }
    assert_int_equal(noexec, 1);
    json_decref(n);
    assert_taints(&h, "n1",
                  "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:"
                  "NoExecute");
    assert_taints(&h, "n2", "");

    /* its pods are not ready, never deleted; the other node's pods are untouched */
    assert_string_equal(pod_ready(&h, "p1", &keep), "False");
    assert_string_equal(jget_str(cond(keep, "Ready"), "reason"), "r"); /* the rest is kept */
    json_decref(keep);
    assert_string_equal(pod_ready(&h, "p2", &keep), "True");
    json_decref(keep);
    assert_int_equal(kfake_calls(h.c, "delete", RES_PODS), 0);
    assert_int_equal(
        events(&h, "Node", "n1", "NodeNotReady", "Node n1 status is now: NodeNotReady"), 1);
    assert_int_equal(events(&h, "Pod", "p1", "NodeNotReady", "Node is not ready"), 1);

    /* a later pass changes nothing more */
    int writes =
        kfake_calls(h.c, "update/status", RES_NODES) + kfake_calls(h.c, "update", RES_NODES);
    clock_ms += 5000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    assert_int_equal(kfake_calls(h.c, "update/status", RES_NODES) +
                         kfake_calls(h.c, "update", RES_NODES),
                     writes);

    /* a pod that lands on the unhealthy node later is marked too */
    running_pod(&h, "late", "n1");
    kfake_flush(h.c);
    assert_int_equal(sync_key(&h, "default/late"), 0);
    assert_string_equal(pod_ready(&h, "late", &keep), "False");
    json_decref(keep);

    /* the agent comes back: lease renewed, Ready posted; the taints go */
    lease(&h, "n1", "2026-01-01T00:01:00.000000Z");
    node(&h, "n1",
         "{\"taints\":[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":"
         "\"NoSchedule\"},{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":"
         "\"NoExecute\",\"timeAdded\":\"2026-01-01T00:00:41Z\"},{\"key\":\"user\","
         "\"value\":\"x\",\"effect\":\"NoSchedule\"}]}",
         READY("True", "2026-01-01T00:01:00Z"));
    assert_int_equal(sync_key(&h, "n1"), 0);
    n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "True");
    json_decref(n);
    assert_taints(&h, "n1", "user:NoSchedule"); /* the user's own taint stays */
    /* NodeReady is the agent's event, not ours */
    assert_int_equal(events(&h, "Node", "n1", "NodeReady", NULL), 0);
    assert_int_equal(events(&h, "Node", "n1", "NodeNotReady", NULL), 1);
    h_stop(&h);
}

static void test_heartbeat_or_lease_keeps_node_healthy(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", NULL, READY("True", "2026-01-01T00:00:00Z"));
    assert_int_equal(sync_key(&h, "n1"), 0);
    /* a new heartbeat in the status counts as a sign of life */
    clock_ms += 30000;
    node(&h, "n1", NULL, READY("True", "2026-01-01T00:00:30Z"));
    assert_int_equal(sync_key(&h, "n1"), 0);
    clock_ms += 30000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    json_t *n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "True");
    json_decref(n);
    /* so does a lease renewal */
    lease(&h, "n1", "2026-01-01T00:01:00.000000Z");
    assert_int_equal(sync_key(&h, "n1"), 0);
    clock_ms += 30000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "True");
    json_decref(n);
    /* an older renewTime is not a renewal */
    lease(&h, "n1", "2026-01-01T00:00:10.000000Z");
    assert_int_equal(sync_key(&h, "n1"), 0);
    clock_ms += 11000;
    assert_int_equal(sync_key(&h, "n1"), 0);
    n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "Unknown");
    json_decref(n);
    h_stop(&h);
}

static void test_startup_grace(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "fresh", NULL, NULL);
    assert_int_equal(sync_key(&h, "fresh"), 0);
    assert_taints(&h, "fresh", "");
    clock_ms += 45000;
    assert_int_equal(sync_key(&h, "fresh"), 0);
    json_t *n = get_node(&h, "fresh");
    assert_null(cond(n, "Ready")); /* 60 s for a node that never posted Ready */
    json_decref(n);
    clock_ms += 16000;
    assert_int_equal(sync_key(&h, "fresh"), 0);
    n = get_node(&h, "fresh");
    const json_t *r = cond(n, "Ready");
    assert_string_equal(jget_str(r, "status"), "Unknown");
    assert_string_equal(jget_str(r, "reason"), "NodeStatusNeverUpdated");
    assert_string_equal(jget_str(r, "lastHeartbeatTime"), "2026-01-01T00:00:00Z");
    json_decref(n);
    assert_taints(&h, "fresh",
                  "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:"
                  "NoExecute");
    h_stop(&h);
}

static void test_condition_taints(void **state)
{
    struct h h;
    json_t *keep;

    h_start(&h);
    /* Ready=False: not-ready taints, pods not ready */
    node(&h, "sick", NULL, READY("False", "2026-01-01T00:00:00Z"));
    running_pod(&h, "p", "sick");
    assert_int_equal(sync_key(&h, "sick"), 0);
    assert_taints(&h, "sick",
                  "node.kubernetes.io/not-ready:NoSchedule node.kubernetes.io/not-ready:"
                  "NoExecute");
    assert_string_equal(pod_ready(&h, "p", &keep), "False");
    json_decref(keep);
    /* it turns Unknown: the not-ready taints become unreachable ones */
    clock_ms += 41000;
    assert_int_equal(sync_key(&h, "sick"), 0);
    assert_taints(&h, "sick",
                  "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:"
                  "NoExecute");

    /* pressure conditions and cordoning */
    node(&h, "busy", "{\"unschedulable\":true}",
         "[{\"type\":\"Ready\",\"status\":\"True\",\"lastHeartbeatTime\":\"2026-01-01T00:00:00Z\"},"
         "{\"type\":\"MemoryPressure\",\"status\":\"True\"},{\"type\":\"DiskPressure\",\"status\":"
         "\"True\"},{\"type\":\"PIDPressure\",\"status\":\"False\"},{\"type\":"
         "\"NetworkUnavailable\",\"status\":\"True\"}]");
    assert_int_equal(sync_key(&h, "busy"), 0);
    assert_taints(&h, "busy",
                  "node.kubernetes.io/memory-pressure:NoSchedule node.kubernetes.io/disk-pressure:"
                  "NoSchedule node.kubernetes.io/network-unavailable:NoSchedule "
                  "node.kubernetes.io/unschedulable:NoSchedule");
    /* no write when the taints are right already */
    int updates = kfake_calls(h.c, "update", RES_NODES);
    assert_int_equal(sync_key(&h, "busy"), 0);
    assert_int_equal(kfake_calls(h.c, "update", RES_NODES), updates);
    /* the pressure goes, the node is uncordoned: so do the taints */
    json_t *n = get_node(&h, "busy");
    json_object_set_new(n, "status",
                        tj("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
                           "\"lastHeartbeatTime\":\"2026-01-01T00:00:00Z\"}]}"));
    json_object_del(jget(n, "spec"), "unschedulable");
    kfake_put(h.c, RES_NODES, n);
    json_decref(n);
    assert_int_equal(sync_key(&h, "busy"), 0);
    assert_taints(&h, "busy", "");
    h_stop(&h);
}

static void test_conflict_retries(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", NULL, READY("True", "2026-01-01T00:00:00Z"));
    assert_int_equal(sync_key(&h, "n1"), 0);
    clock_ms += 41000;
    kfake_fail_after(h.c, "update/status", RES_NODES, 0, -ESTALE);
    assert_int_equal(sync_key(&h, "n1"), -ESTALE);
    kfake_clear_failures(h.c);
    json_t *n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "True");
    json_decref(n);
    assert_int_equal(sync_key(&h, "n1"), 0);
    n = get_node(&h, "n1");
    assert_string_equal(ready_of(n), "Unknown");
    json_decref(n);
    /* the pods' updates carry their resourceVersion: a conflict is retried, not forced */
    running_pod(&h, "p", "n1");
    kfake_fail_after(h.c, "update/status", RES_PODS, 0, -ESTALE);
    assert_int_equal(sync_key(&h, "n1"), -ESTALE);
    kfake_clear_failures(h.c);
    json_t *keep;
    assert_string_equal(pod_ready(&h, "p", &keep), "True");
    json_decref(keep);
    assert_int_equal(sync_key(&h, "n1"), 0);
    assert_string_equal(pod_ready(&h, "p", &keep), "False");
    json_decref(keep);
    assert_int_equal(events(&h, "Pod", "p", "NodeNotReady", NULL), 1);
    /* a node that is gone is forgotten */
    kfake_remove(h.c, RES_NODES, NULL, "n1");
    assert_int_equal(sync_key(&h, "n1"), 0);
    h_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_node_goes_unknown),
        cmocka_unit_test(test_heartbeat_or_lease_keeps_node_healthy),
        cmocka_unit_test(test_startup_grace),
        cmocka_unit_test(test_condition_taints),
        cmocka_unit_test(test_conflict_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
