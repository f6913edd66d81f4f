/* node.c — the Node object and the Lease heartbeat, as a kubelet keeps them.
 *
 * Registration creates the Node (or, when it exists, merges our labels into it), with the
 * machine's capacity, the kubelet's allocatable (capacity less the default hard-eviction
 * thresholds: memory.available<100Mi, nodefs.available<10%), addresses and nodeInfo. Every
 * heartbeat period the conditions are posted again with a fresh lastHeartbeatTime (their
 * lastTransitionTime only moves when a status changes) and the Lease in kube-node-lease is
 * renewed; the node lifecycle controller reads the Lease.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/alloc.h"
#include "base/json.h"
#include "base/ktime.h"
#include "base/log.h"

/* --- what the machine looks like --- */

static char *read_line(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    if (!f)
        return NULL;
    char *r = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (!r)
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

static char *os_image(void)
{
    FILE *f = fopen("/etc/os-release", "r");
    char buf[512];
    char *out = NULL;
    if (!f)
        return xstrdup("Linux");
    while (!out && fgets(buf, sizeof(buf), f)) {
        if (strncmp(buf, "PRETTY_NAME=", 12))
            continue;
        char *v = buf + 12;
        v[strcspn(v, "\n")] = '\0';
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v[n - 1] = '\0';
            v++;
        }
        out = xstrdup(v);
    }
    fclose(f);
    return out ? out : xstrdup("Linux");
}

static int64_t mem_total_ki(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char buf[256];
    long long kb = 0;
    if (!f)
        return 0;
    while (fgets(buf, sizeof(buf), f))
        if (sscanf(buf, "MemTotal: %lld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* GOARCH for uname's machine name. */
static const char *go_arch(const char *m)
{
    static const char *const map[][2] = {
        {"x86_64", "amd64"}, {"aarch64", "arm64"},   {"armv7l", "arm"},  {"i686", "386"},
        {"i386", "386"},     {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (!strcmp(m, map[i][0]))
            return map[i][1];
    return m;
}

static void set_resources(json_t *status, long cpus, int64_t mem_ki, uint64_t disk, int pods)
{
    json_t *cap = json_object(), *alloc = json_object();
    char buf[64];

    snprintf(buf, sizeof(buf), "%ld", cpus);
    jset_str(cap, "cpu", buf);
    jset_str(alloc, "cpu", buf);
    if (disk % 1024 == 0)
        snprintf(buf, sizeof(buf), "%lluKi", (unsigned long long)(disk / 1024));
    else
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)disk);
    jset_str(cap, "ephemeral-storage", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(disk - disk / 10));
    jset_str(alloc, "ephemeral-storage", buf);
    jset_str(cap, "hugepages-1Gi", "0");
    jset_str(alloc, "hugepages-1Gi", "0");
    jset_str(cap, "hugepages-2Mi", "0");
    jset_str(alloc, "hugepages-2Mi", "0");
    snprintf(buf, sizeof(buf), "%lldKi", (long long)mem_ki);
    jset_str(cap, "memory", buf);
    snprintf(buf, sizeof(buf), "%lldKi", (long long)(mem_ki > 102400 ? mem_ki - 102400 : 0));
    jset_str(alloc, "memory", buf);
    snprintf(buf, sizeof(buf), "%d", pods);
    jset_str(cap, "pods", buf);
    jset_str(alloc, "pods", buf);
    json_object_set_new(status, "allocatable", alloc);
    json_object_set_new(status, "capacity", cap);
}

/* The parts of the node status that do not change while the agent runs. */
static json_t *static_status(struct agent *a, const char *arch)
{
    json_t *st = json_object();
    struct utsname u;
    struct statvfs vfs;
    uint64_t disk = 0;
    const char *dir = a->cfg.data_dir && *a->cfg.data_dir ? a->cfg.data_dir : "/";

    if (statvfs(dir, &vfs) == 0 || statvfs("/", &vfs) == 0)
        disk = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    set_resources(st, cpus > 0 ? cpus : 1, mem_total_ki(), disk, a->cfg.max_pods);

    json_object_set_new(st, "addresses",
                        json_pack("[{s:s,s:s},{s:s,s:s}]", "address", a->cfg.internal_ip, "type",
                                  "InternalIP", "address", a->cfg.node_name, "type", "Hostname"));
    json_object_set_new(st, "daemonEndpoints",
                        json_pack("{s:{s:i}}", "kubeletEndpoint", "Port", 10250));

    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
    char *machine_id = read_line("/etc/machine-id");
    char *boot_id = read_line("/proc/sys/kernel/random/boot_id");
    char *image = os_image();
    json_t *info = json_object();
    jset_str(info, "architecture", arch);
    jset_str(info, "bootID", boot_id ? boot_id : "");
    jset_str(info, "containerRuntimeVersion", "sim://berth");
    jset_str(info, "kernelVersion", u.release);
    jset_str(info, "kubeProxyVersion", "");
    jset_str(info, "kubeletVersion", AGENT_KUBELET_VERSION);
    jset_str(info, "machineID", machine_id ? machine_id : "");
    jset_str(info, "operatingSystem", "linux");
    jset_str(info, "osImage", image);
    jset_str(info, "systemUUID", machine_id ? machine_id : "");
    json_object_set_new(st, "nodeInfo", info);
    free(machine_id);
    free(boot_id);
    free(image);
    return st;
}

static void set_labels(json_t *labels, const char *node, const char *arch)
{
    jset_str(labels, "beta.kubernetes.io/arch", arch);
    jset_str(labels, "beta.kubernetes.io/os", "linux");
    jset_str(labels, "kubernetes.io/arch", arch);
    jset_str(labels, "kubernetes.io/hostname", node);
    jset_str(labels, "kubernetes.io/os", "linux");
}

/* --- conditions --- */

struct node_cond {
    const char *type, *status, *reason, *message;
};

static const struct node_cond node_conds[] = {
    {"MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available"},
    {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
    {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
    {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
};

/* The full node status: the static part, and the conditions with a heartbeat of now; the
 * transition time of a condition carries over from cur while its status stays the same. */
static json_t *node_status(struct agent *a, const json_t *cur)
{
    json_t *st = json_deep_copy(a->node_status);
    json_t *conds = json_array();
    char now[KTIME_BUFSZ];
    ktime_format(ktime_now(), now);

    for (size_t i = 0; i < ARRAY_SIZE(node_conds); i++) {
        const struct node_cond *nc = &node_conds[i];
        const char *ltt = NULL;
        size_t k;
        json_t *c;
        json_array_foreach(jpath(cur, "status.conditions"), k, c)
        {
            if (!strcmp(jget_str(c, "type") ?: "", nc->type) &&
                !strcmp(jget_str(c, "status") ?: "", nc->status))
                ltt = jget_str(c, "lastTransitionTime");
        }
        json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "lastHeartbeatTime",
                                               now, "lastTransitionTime", ltt ? ltt : now,
                                               "message", nc->message, "reason", nc->reason,
                                               "status", nc->status, "type", nc->type));
    }
    json_object_set_new(st, "conditions", conds);
    /* keep what others report (volumesAttached, images, ...) */
    const json_t *old = jget_obj(cur, "status");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)old, key, v)
    {
        if (!jget(st, key))
            json_object_set(st, key, v);
    }
    return st;
}

/* --- registration --- */

static void remember_uid(struct agent *a, const json_t *node)
{
    snprintf(a->node_uid, sizeof(a->node_uid), "%s", jpath_str(node, "metadata.uid") ?: "");
}

int agent__node_register(struct agent *a)
{
    struct utsname u;
    const char *arch = uname(&u) == 0 ? go_arch(u.machine) : "amd64";
    struct kstatus st = {0};
    json_t *out = NULL, *cur = NULL;
    int rc;

    if (!a->node_status)
        a->node_status = static_status(a, arch);

    json_t *node = json_pack(
        "{s:s,s:s,s:{s:s,s:{},s:{s:s,s:s}},s:{}}", "apiVersion", "v1", "kind", "Node", "metadata",
        "name", a->cfg.node_name, "labels", "annotations", "node.alpha.kubernetes.io/ttl", "0",
        "volumes.kubernetes.io/controller-managed-attach-detach", "true", "spec");
    set_labels(jpath(node, "metadata.labels"), a->cfg.node_name, arch);
    json_object_set_new(node, "status", node_status(a, NULL));

    rc = kclient_create(a->c, RES_NODES, NULL, node, &out, &st);
    if (rc == -EEXIST) {
        /* An earlier run registered it: make sure our labels are on it. */
        rc = kclient_get(a->c, RES_NODES, NULL, a->cfg.node_name, &cur, &st);
        if (rc == 0) {
            json_t *next = json_deep_copy(cur);
            json_t *labels = jensure_obj(jensure_obj(next, "metadata"), "labels");
            set_labels(labels, a->cfg.node_name, arch);
            if (!json_equal(next, cur))
                rc = kclient_update(a->c, RES_NODES, NULL, next, &out, &st);
            else
                out = json_incref(cur);
            json_decref(next);
        }
    }
    if (rc == 0) {
        remember_uid(a, out);
        a->registered = true;
        log_info("agent", "node %s registered", a->cfg.node_name);
        rc = agent__node_heartbeat(a);
    } else {
        log_warn("agent", "registering node %s: %s (%s)", a->cfg.node_name, strerror(-rc),
                 st.message);
    }
    json_decref(node);
    json_decref(out);
    json_decref(cur);
    return rc;
}

int agent__node_heartbeat(struct agent *a)
{
    struct kstatus st = {0};
    int rc = 0;

    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *cur = NULL, *out = NULL;
        rc = kclient_get(a->c, RES_NODES, NULL, a->cfg.node_name, &cur, &st);
        if (rc == -ENOENT) {
            /* deleted under us: register again on the next beat */
            a->registered = false;
            log_warn("agent", "node %s is gone from the API; registering again", a->cfg.node_name);
            return rc;
        }
        if (rc < 0)
            break;
        remember_uid(a, cur);
        json_t *next = json_deep_copy(cur);
        json_object_set_new(next, "status", node_status(a, cur));
        rc = kclient_update_status(a->c, RES_NODES, NULL, next, &out, &st);
        json_decref(next);
        json_decref(cur);
        json_decref(out);
        if (rc != -ESTALE)
            break;
    }
    if (rc < 0)
        log_warn("agent", "node %s status: %s (%s)", a->cfg.node_name, strerror(-rc), st.message);
    return rc;
}

int agent__lease_renew(struct agent *a)
{
    struct kstatus st = {0};
    json_t *cur = NULL, *out = NULL;
    char now[KTIME_BUFSZ];
    int rc;

    ktime_format_micro(ktime_now_us(), now);
    rc = kclient_get(a->c, RES_LEASES, AGENT_LEASE_NS, a->cfg.node_name, &cur, &st);
    if (rc == -ENOENT) {
        json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s}}", "apiVersion",
                                  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                                  a->cfg.node_name, "namespace", AGENT_LEASE_NS, "spec",
                                  "holderIdentity", a->cfg.node_name, "leaseDurationSeconds",
                                  AGENT_LEASE_SECONDS, "renewTime", now);
        if (a->node_uid[0])
            json_object_set_new(jget(lease, "metadata"), "ownerReferences",
                                json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind", "Node",
                                          "name", a->cfg.node_name, "uid", a->node_uid));
        rc = kclient_create(a->c, RES_LEASES, AGENT_LEASE_NS, lease, &out, &st);
        json_decref(lease);
    } else if (rc == 0) {
        json_t *next = json_deep_copy(cur);
        json_t *spec = jensure_obj(next, "spec");
        jset_str(spec, "holderIdentity", a->cfg.node_name);
        jset_int(spec, "leaseDurationSeconds", AGENT_LEASE_SECONDS);
        jset_str(spec, "renewTime", now);
        rc = kclient_update(a->c, RES_LEASES, AGENT_LEASE_NS, next, &out, &st);
        json_decref(next);
    }
    if (rc < 0)
        log_warn("agent", "lease %s/%s: %s (%s)", AGENT_LEASE_NS, a->cfg.node_name, strerror(-rc),
                 st.message);
    json_decref(cur);
    json_decref(out);
    return rc;
}

void *agent__heartbeat_main(void *arg)
{
    struct agent *a = arg;
    while (!a->stop) {
        if (!a->registered) {
            if (agent__node_register(a) < 0) {
                agent__sleep(a, a->t.retry_ms);
                continue;
            }
        } else if (agent__node_heartbeat(a) == -ENOENT) {
            continue;
        }
        agent__lease_renew(a);
        agent__sleep(a, a->t.heartbeat_ms);
    }
    return NULL;
}
