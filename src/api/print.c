/* print.c — the printer table (api/print.h): the columns and cells of `kubectl get`.
 *
 * Facts from upstream's pkg/printers/internalversion/printers.go (v1.32). kube-apiserver always
 * prints with Wide set, so every row carries the priority-1 cells too; kubectl hides them unless
 * asked for -o wide. Upstream prints decoded objects, which went through v1 defaulting and the
 * v1 -> internal conversion; where that matters for a printed field (a defaulted enum, podIP vs
 * podIPs), the getters below apply the same rule to the stored JSON.
 *
 * Cells keep upstream's Go value types on the wire: a few columns are declared "string" but
 * upstream fills them with an int64 (Secret Data, ConfigMap Data, ServiceAccount Secrets, Event
 * Count, ControllerRevision Revision) or a bool (StorageClass AllowVolumeExpansion), and the
 * real server sends JSON numbers and booleans there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/print.h"
#include "base/alloc.h"
#include "base/ktime.h"
#include "base/quantity.h"
#include "base/strbuf.h"

/* --- Column descriptions (upstream's SwaggerDoc texts) --- */

#define D_NAME                                                                                     \
    "Name must be unique within a namespace. Is required when creating resources, although some "  \
    "resources may allow a client to request the generation of an appropriate name "               \
    "automatically. Name is primarily intended for creation idempotence and configuration "        \
    "definition. Cannot be updated. More info: "                                                   \
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define D_AGE                                                                                      \
    "CreationTimestamp is a timestamp representing the server time when this object was "          \
    "created. It is not guaranteed to be set in happens-before order across separate "             \
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "     \
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "                      \
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define D_CONTAINERS "Names of each container in the template."
#define D_IMAGES "Images referenced by each container in the template."

/* clang-format off */
#define COL_NAME {"Name", "string", "name", D_NAME, 0}
#define COL_AGE {"Age", "string", "", D_AGE, 0}
/* clang-format on */

/* --- Cell helpers --- */

static void cell_str(json_t *cells, const char *s)
{
    json_t *v = json_string(s ? s : "");
    /* jansson refuses invalid UTF-8; a cell must still be appended to keep the row aligned */
    json_array_append_new(cells, v ? v : json_string(""));
}

/* Append s and free it. */
static void cell_take(json_t *cells, char *s)
{
    cell_str(cells, s);
    free(s);
}

static void cell_int(json_t *cells, int64_t v)
{
    json_array_append_new(cells, json_integer(v));
}

static void cell_bool(json_t *cells, bool v)
{
    json_array_append_new(cells, json_boolean(v));
}

static const char *str_or(const char *s, const char *def)
{
    return s && *s ? s : def;
}

/* Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds: metav1.Time.IsZero() is true for
 * it as for an absent time. */
#define GO_ZERO_TIME (-62135596800LL)

/* Parse an RFC 3339 time into microseconds. False when absent, null, malformed or zero. */
static bool time_us(const char *ts, int64_t *us)
{
    time_t t;
    if (!ts || ktime_parse(ts, &t, us) < 0)
        return false;
    return (int64_t)t != GO_ZERO_TIME;
}

/* duration.HumanDuration of now - us. Go truncates the duration to whole seconds toward zero
 * (so does C's division) and forgives one second of clock skew: -1s prints as "0s". */
static const char *human_since(int64_t us, time_t now, char buf[KTIME_BUFSZ])
{
    int64_t secs = ((int64_t)now * 1000000 - us) / 1000000;
    return ktime_human_duration(secs == -1 ? 0 : secs, buf);
}

/* upstream translateTimestampSince: "<unknown>" for a zero time. */
static const char *since(const char *ts, time_t now, char buf[KTIME_BUFSZ])
{
    int64_t us;
    if (!time_us(ts, &us)) {
        snprintf(buf, KTIME_BUFSZ, "<unknown>");
        return buf;
    }
    return human_since(us, now, buf);
}

static void cell_since(json_t *cells, const char *ts, time_t now)
{
    char buf[KTIME_BUFSZ];
    cell_str(cells, since(ts, now, buf));
}

static void cell_name(json_t *cells, const json_t *obj)
{
    cell_str(cells, jpath_str(obj, "metadata.name"));
}

static void cell_age(json_t *cells, const json_t *obj, time_t now)
{
    cell_since(cells, jpath_str(obj, "metadata.creationTimestamp"), now);
}

static bool has_deletion_timestamp(const json_t *obj)
{
    json_t *v = jpath(obj, "metadata.deletionTimestamp");
    return v && !json_is_null(v);
}

static size_t arr_size(const json_t *obj, const char *key)
{
    return json_array_size(jget_arr(obj, key));
}

static size_t obj_size(const json_t *obj, const char *key)
{
    return json_object_size(jget_obj(obj, key));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort and de-duplicate a string array in place (Go's sets.String.List()); returns the count. */
static size_t sort_uniq(const char **v, size_t n)
{
    size_t out = 0;
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (!out || strcmp(v[out - 1], v[i]))
            v[out++] = v[i];
    return out;
}

/* labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. Caller owns it. */
static char *format_labels(const json_t *m)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n = json_object_size(m), i = 0;
    const char *key;
    json_t *val;

    if (!n)
        return xstrdup("<none>");
    const char **keys = xcalloc(n, sizeof(*keys));
    json_object_foreach((json_t *)m, key, val) keys[i++] = key;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(m, keys[i]));
        strbuf_addf(&sb, "%s%s=%s", i ? "," : "", keys[i], v ? v : "");
    }
    free(keys);
    return strbuf_detach(&sb, NULL);
}

/* helper.GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, each once. Caller owns it. */
static char *access_modes(const json_t *modes)
{
    static const char *const names[][2] = {{"ReadWriteOnce", "RWO"},
                                           {"ReadOnlyMany", "ROX"},
                                           {"ReadWriteMany", "RWX"},
                                           {"ReadWriteOncePod", "RWOP"}};
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *m;

    for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
        json_array_foreach(modes, i, m)
        {
            const char *s = json_string_value(m);
            if (s && !strcmp(s, names[k][0])) {
                strbuf_addf(&sb, "%s%s", sb.len ? "," : "", names[k][1]);
                break;
            }
        }
    }
    return strbuf_detach(&sb, NULL);
}

/* A resource.Quantity as Quantity.String() prints it; an absent one is the zero Quantity, "0".
 * Caller owns it. */
static char *quantity_str(const json_t *q)
{
    char *c;
    char num[32];
    const char *s = num;

    if (json_is_integer(q))
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(q));
    else if (json_is_string(q))
        s = json_string_value(q);
    else
        return xstrdup("0");
    c = quantity_canonicalize(s);
    return c ? c : xstrdup(s);
}

/* layoutContainerCells: container names and images, each joined by ",". */
static void cell_containers(json_t *cells, const json_t *containers)
{
    struct strbuf names = STRBUF_INIT, images = STRBUF_INIT;
    size_t i;
    json_t *c;

    json_array_foreach(containers, i, c)
    {
        strbuf_addf(&names, "%s%s", i ? "," : "", str_or(jget_str(c, "name"), ""));
        strbuf_addf(&images, "%s%s", i ? "," : "", str_or(jget_str(c, "image"), ""));
    }
    cell_str(cells, names.buf);
    cell_str(cells, images.buf);
    strbuf_release(&names);
    strbuf_release(&images);
}

/* Go's strings.TrimSpace on UTF-8: the length of the white-space rune at p, or 0. */
static size_t space_rune_len(const unsigned char *p, size_t n)
{
    if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))
        return 1;
    if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) || /* U+1680 */
        (p[0] == 0xe2 && p[1] == 0x80 &&                  /* U+2000..200A, 2028/9, 202F */
         (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
        (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) || /* U+205F */
        (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))   /* U+3000 */
        return 3;
    return 0;
}

static void cell_trimmed(json_t *cells, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), start = 0, end = 0, i = 0, k;

    while (i < n && (k = space_rune_len(p + i, n - i)))
        i += k;
    start = end = i;
    while (i < n) {
        if ((k = space_rune_len(p + i, n - i))) {
            i += k;
            continue;
        }
        k = p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
        i = i + k > n ? n : i + k;
        end = i;
    }
    char *t = xstrndup((const char *)p + start, end - start);
    cell_take(cells, t);
}

/* --- Namespace --- */

static const struct print_column namespace_cols[] = {
    COL_NAME,
    {"Status", "string", "", "The status of the namespace", 0},
    COL_AGE,
};

static void namespace_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    /* SetDefaults_NamespaceStatus */
    cell_str(cells, str_or(jpath_str(obj, "status.phase"), "Active"));
    cell_age(cells, obj, now);
}

/* --- Pod --- */

static const struct print_column pod_cols[] = {
    COL_NAME,
    {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
    {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
    {"Restarts", "string", "",
     "The number of times the containers in this pod have been restarted and when the last "
     "container in this pod has restarted.",
     0},
    COL_AGE,
    {"IP", "string", "",
     "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
     "allocated.",
     1},
    {"Node", "string", "",
     "NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the "
     "scheduler simply schedules this pod onto that node, assuming that it fits resource "
     "requirements.",
     1},
    {"Nominated Node", "string", "",
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot "
     "be scheduled right away as preemption victims receive their graceful termination periods. "
     "This field does not guarantee that the pod will be scheduled on this node. Scheduler may "
     "decide to place the pod elsewhere if other nodes become available sooner. Scheduler may "
     "also decide to give the resources on this node to a higher priority pod that is created "
     "after preemption. As a result, this field may be different than PodSpec.nodeName when the "
     "pod is scheduled.",
     1},
    {"Readiness Gates", "string", "",
     "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when "
     "all its containers are ready AND all conditions specified in the readiness gates have "
     "status equal to \"True\" More info: "
     "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
     1},
};

/* The status of the first condition of this type, or NULL. */
static const char *condition_status(const json_t *conditions, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conditions, i, c)
    {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, type))
            return jget_str(c, "status");
    }
    return NULL;
}

/* hasPodReadyCondition and friends: is any condition of this type "True"? */
static bool has_condition_true(const json_t *conditions, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conditions, i, c)
    {
        const char *t = jget_str(c, "type"), *st = jget_str(c, "status");
        if (t && st && !strcmp(t, type) && !strcmp(st, "True"))
            return true;
    }
    return false;
}

/* The latest lastState.terminated.finishedAt seen, as Go's metav1.Time.Before keeps it. */
struct last_restart {
    bool set;
    int64_t us;
};

static void last_restart_see(struct last_restart *lr, const json_t *status)
{
    int64_t us;
    if (time_us(jpath_str(status, "lastState.terminated.finishedAt"), &us) &&
        (!lr->set || lr->us < us)) {
        lr->set = true;
        lr->us = us;
    }
}

/* podutil.IsRestartableInitContainer: a sidecar, restartPolicy Always on an init container. */
static bool is_sidecar(const json_t *init_containers, const char *name)
{
    size_t i;
    json_t *c;
    if (!name)
        return false;
    json_array_foreach(init_containers, i, c)
    {
        const char *n = jget_str(c, "name");
        if (n && !strcmp(n, name)) {
            const char *rp = jget_str(c, "restartPolicy");
            return rp && !strcmp(rp, "Always");
        }
    }
    return false;
}

/* "Signal:9" / "ExitCode:1" for a terminated state without a reason, with an optional prefix. */
static char *terminated_reason(const json_t *term, const char *prefix)
{
    const char *r = jget_str(term, "reason");
    int64_t sig = jget_int(term, "signal", 0);
    if (r && *r)
        return xasprintf("%s%s", prefix, r);
    if (sig)
        return xasprintf("%sSignal:%lld", prefix, (long long)sig);
    return xasprintf("%sExitCode:%lld", prefix, (long long)jget_int(term, "exitCode", 0));
}

/* upstream printPod: the Ready, Status and Restarts cells are the tricky part. */
static void pod_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *spec = jget_obj(obj, "spec"), *status = jget_obj(obj, "status");
    const json_t *init_specs = jget_arr(spec, "initContainers");
    const json_t *conditions = jget_arr(status, "conditions");
    const char *phase = str_or(jget_str(status, "phase"), "");
    int64_t restarts = 0, sidecar_restarts = 0;
    size_t total = arr_size(spec, "containers"), ready = 0, i;
    struct last_restart last = {0}, sidecar_last = {0};
    bool initializing = false;
    char *reason = xstrdup(str_or(jget_str(status, "reason"), phase));
    json_t *c;

    json_array_foreach(conditions, i, c)
    {
        const char *t = jget_str(c, "type"), *r = jget_str(c, "reason");
        if (t && r && !strcmp(t, "PodScheduled") && !strcmp(r, "SchedulingGated")) {
            free(reason);
            reason = xstrdup("SchedulingGated");
        }
    }

    /* Sidecars count as containers: they run alongside the main ones. */
    json_array_foreach(init_specs, i, c)
    {
        const char *rp = jget_str(c, "restartPolicy");
        if (rp && !strcmp(rp, "Always"))
            total++;
    }

    json_array_foreach(jget_arr(status, "initContainerStatuses"), i, c)
    {
        const json_t *state = jget_obj(c, "state");
        const json_t *term = jget_obj(state, "terminated"), *wait = jget_obj(state, "waiting");
        const char *wreason = jget_str(wait, "reason");
        bool sidecar = is_sidecar(init_specs, jget_str(c, "name"));

        restarts += jget_int(c, "restartCount", 0);
        last_restart_see(&last, c);
        if (sidecar) {
            sidecar_restarts += jget_int(c, "restartCount", 0);
            last_restart_see(&sidecar_last, c);
        }
        if (term && jget_int(term, "exitCode", 0) == 0)
            continue;
        if (sidecar && jget_bool(c, "started", false)) {
            if (jget_bool(c, "ready", false))
                ready++;
            continue;
        }
        free(reason);
        if (term)
            reason = terminated_reason(term, "Init:"); /* initialization failed */
        else if (wreason && *wreason && strcmp(wreason, "PodInitializing"))
            reason = xasprintf("Init:%s", wreason);
        else
            reason = xasprintf("Init:%zu/%zu", i, json_array_size(init_specs));
        initializing = true;
        break;
    }

    const char *initialized = condition_status(conditions, "Initialized");
    if (!initializing || (initialized && !strcmp(initialized, "True"))) {
        const json_t *statuses = jget_arr(status, "containerStatuses");
        bool has_running = false;

        restarts = sidecar_restarts;
        last = sidecar_last;
        /* Backwards, so that the first container's state wins the reason. */
        for (i = json_array_size(statuses); i-- > 0;) {
            c = json_array_get(statuses, i);
            const json_t *state = jget_obj(c, "state");
            const json_t *term = jget_obj(state, "terminated"), *wait = jget_obj(state, "waiting");
            const char *wreason = jget_str(wait, "reason");

            restarts += jget_int(c, "restartCount", 0);
            last_restart_see(&last, c);
            if (wreason && *wreason) {
                free(reason);
                reason = xstrdup(wreason);
            } else if (term) {
                free(reason);
                reason = terminated_reason(term, "");
            } else if (jget_bool(c, "ready", false) && jget_obj(state, "running")) {
                has_running = true;
                ready++;
            }
        }
        /* A pod whose other containers completed still runs while one container does. */
        if (!strcmp(reason, "Completed") && has_running) {
            free(reason);
            reason = xstrdup(has_condition_true(conditions, "Ready") ? "Running" : "NotReady");
        }
    }

    if (has_deletion_timestamp(obj)) {
        const char *sreason = jget_str(status, "reason");
        if (sreason && !strcmp(sreason, "NodeLost")) {
            free(reason);
            reason = xstrdup("Unknown");
        } else if (strcmp(phase, "Succeeded") && strcmp(phase, "Failed")) {
            free(reason);
            reason = xstrdup("Terminating");
        }
    }

    cell_name(cells, obj);
    cell_take(cells, xasprintf("%zu/%zu", ready, total));
    cell_take(cells, reason);
    if (restarts && last.set) {
        char buf[KTIME_BUFSZ];
        cell_take(cells,
                  xasprintf("%lld (%s ago)", (long long)restarts, human_since(last.us, now, buf)));
    } else {
        cell_take(cells, xasprintf("%lld", (long long)restarts));
    }
    cell_age(cells, obj, now);

    /* The v1 -> internal conversion makes status.podIP authoritative over podIPs[0]. */
    const char *ip = jget_str(status, "podIP");
    if (!ip || !*ip)
        ip = jget_str(json_array_get(jget_arr(status, "podIPs"), 0), "ip");
    cell_str(cells, str_or(ip, "<none>"));
    cell_str(cells, str_or(jget_str(spec, "nodeName"), "<none>"));
    cell_str(cells, str_or(jget_str(status, "nominatedNodeName"), "<none>"));

    const json_t *gates = jget_arr(spec, "readinessGates");
    if (json_array_size(gates)) {
        size_t true_count = 0;
        json_array_foreach(gates, i, c)
        {
            const char *st = condition_status(conditions, str_or(jget_str(c, "conditionType"), ""));
            if (st && !strcmp(st, "True"))
                true_count++;
        }
        cell_take(cells, xasprintf("%zu/%zu", true_count, json_array_size(gates)));
    } else {
        cell_str(cells, "<none>");
    }
}

/* --- Service --- */

static const struct print_column service_cols[] = {
    COL_NAME,
    {"Type", "string", "",
     "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
     "ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
     "cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by "
     "the selector or if that is not specified, by manual construction of an Endpoints object or "
     "EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the "
     "endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds "
     "on ClusterIP and allocates a port on every node which routes to the same endpoints as the "
     "clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if "
     "supported in the current cloud) which routes to the same endpoints as the clusterIP. "
     "\"ExternalName\" aliases this service to the specified externalName. Several other fields "
     "do not apply to ExternalName services. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#publishing-services-service-types",
     0},
    {"Cluster-IP", "string", "",
     "clusterIP is the IP address of the service and is usually assigned randomly. If an address "
     "is specified manually, is in-range (as per system configuration), and is not in use, it "
     "will be allocated to the service; otherwise creation of the service will fail. This field "
     "may not be changed through updates unless the type field is also being changed to "
     "ExternalName (which requires this field to be blank) or the type field is being changed "
     "from ExternalName (in which case this field may optionally be specified, as describe "
     "above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting "
     "this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct "
     "endpoint connections are preferred and proxying is not required.  Only applies to types "
     "ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service "
     "of type ExternalName, creation will fail. This field will be wiped when updating a Service "
     "to type ExternalName. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#virtual-ips-and-service-proxies",
     0},
    {"External-IP", "string", "",
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
     "responsible for ensuring that traffic arrives at a node with this IP.  A common example is "
     "external load-balancers that are not part of the Kubernetes system.",
     0},
    {"Port(s)", "string", "",
     "The list of ports that are exposed by this service. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#virtual-ips-and-service-proxies",
     0},
    COL_AGE,
    {"Selector", "string", "",
     "Route service traffic to pods with label keys and values matching this selector. If empty "
     "or not present, the service is assumed to have an external process managing its "
     "endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and "
     "LoadBalancer. Ignored if type is ExternalName. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/",
     1},
};

/* Join the string elements of a JSON array with ","; appends to sb. */
static void join_strings(struct strbuf *sb, const json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (sb->len)
            strbuf_addch(sb, ',');
        strbuf_addstr(sb, str_or(json_string_value(v), ""));
    }
}

/* loadBalancerStatusStringer, as the server calls it (wide: never clipped): the ingress IPs or
 * hostnames, sorted and de-duplicated. */
static void lb_ingress(struct strbuf *sb, const json_t *ingress)
{
    size_t n = json_array_size(ingress), k = 0, i;
    const char **v = xcalloc(n ? n : 1, sizeof(*v));
    json_t *e;

    json_array_foreach(ingress, i, e)
    {
        const char *ip = jget_str(e, "ip"), *host = jget_str(e, "hostname");
        if (ip && *ip)
            v[k++] = ip;
        else if (host && *host)
            v[k++] = host;
    }
    k = sort_uniq(v, k);
    for (i = 0; i < k; i++)
        strbuf_addf(sb, "%s%s", i ? "," : "", v[i]);
    free(v);
}

/* getServiceExternalIP. Caller owns the result. */
static char *service_external_ip(const json_t *spec, const json_t *status, const char *type)
{
    const json_t *ext = jget_arr(spec, "externalIPs");
    struct strbuf sb = STRBUF_INIT;

    if (!strcmp(type, "ClusterIP") || !strcmp(type, "NodePort")) {
        if (!json_array_size(ext))
            return xstrdup("<none>");
        join_strings(&sb, ext);
        return strbuf_detach(&sb, NULL);
    }
    if (!strcmp(type, "LoadBalancer")) {
        lb_ingress(&sb, jpath(status, "loadBalancer.ingress"));
        join_strings(&sb, ext);
        if (!sb.len)
            return xstrdup("<pending>");
        return strbuf_detach(&sb, NULL);
    }
    if (!strcmp(type, "ExternalName"))
        return xstrdup(str_or(jget_str(spec, "externalName"), ""));
    return xstrdup("<unknown>");
}

/* makePortString: "80/TCP,443:30443/TCP". Caller owns the result. */
static char *service_ports(const json_t *ports)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *p;

    json_array_foreach(ports, i, p)
    {
        /* SetDefaults_Service: protocol TCP */
        const char *proto = str_or(jget_str(p, "protocol"), "TCP");
        int64_t node_port = jget_int(p, "nodePort", 0);
        if (i)
            strbuf_addch(&sb, ',');
        strbuf_addf(&sb, "%lld", (long long)jget_int(p, "port", 0));
        if (node_port > 0)
            strbuf_addf(&sb, ":%lld", (long long)node_port);
        strbuf_addf(&sb, "/%s", proto);
    }
    if (!sb.len)
        strbuf_addstr(&sb, "<none>");
    return strbuf_detach(&sb, NULL);
}

static void service_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *spec = jget_obj(obj, "spec"), *status = jget_obj(obj, "status");
    /* SetDefaults_Service: type ClusterIP */
    const char *type = str_or(jget_str(spec, "type"), "ClusterIP");
    /* The v1 -> internal conversion makes clusterIP authoritative over clusterIPs[0]. */
    const char *cip = jget_str(spec, "clusterIP");
    if (!cip || !*cip)
        cip = json_string_value(json_array_get(jget_arr(spec, "clusterIPs"), 0));

    cell_name(cells, obj);
    cell_str(cells, type);
    cell_str(cells, str_or(cip, "<none>"));
    cell_take(cells, service_external_ip(spec, status, type));
    cell_take(cells, service_ports(jget_arr(spec, "ports")));
    cell_age(cells, obj, now);
    cell_take(cells, format_labels(jget_obj(spec, "selector")));
}

/* --- Endpoints --- */

static const struct print_column endpoints_cols[] = {
    COL_NAME,
    {"Endpoints", "string", "",
     "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
     "according to the IPs they share. A single address with multiple ports, some of which are "
     "ready and some of which are not (because they come from different containers) will result "
     "in the address being displayed in different subsets for the different ports. No address "
     "will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses "
     "and ports that comprise a service.",
     0},
    COL_AGE,
};

#define LIST_MAX 3 /* upstream shows three endpoints, then "+ N more..." */

struct short_list {
    struct strbuf sb;
    size_t shown, count;
    bool more;
};

/* Add one entry (printf-style), counting it but showing only the first LIST_MAX. */
static void __attribute__((format(printf, 2, 3)))
short_list_add(struct short_list *l, const char *fmt, ...)
{
    va_list ap;
    l->count++;
    if (l->shown == LIST_MAX) {
        l->more = true;
        return;
    }
    if (l->shown++)
        strbuf_addch(&l->sb, ',');
    va_start(ap, fmt);
    strbuf_vaddf(&l->sb, fmt, ap);
    va_end(ap);
}

/* listWithMoreString; empty_as is what an empty list prints. Caller owns the result. */
static char *short_list_finish(struct short_list *l, const char *empty_as)
{
    if (l->more)
        strbuf_addf(&l->sb, " + %zu more...", l->count - LIST_MAX);
    else if (!l->sb.len)
        strbuf_addstr(&l->sb, empty_as);
    return strbuf_detach(&l->sb, NULL);
}

/* formatEndpoints with all ports: "10.0.0.1:80,10.0.0.2:80,[fd00::1]:80 + 2 more...". */
static char *format_endpoints(const json_t *subsets)
{
    struct short_list l = {STRBUF_INIT, 0, 0, false};
    size_t i, j, k;
    json_t *ss, *port, *addr;

    if (!json_array_size(subsets))
        return xstrdup("<none>");
    json_array_foreach(subsets, i, ss)
    {
        const json_t *addrs = jget_arr(ss, "addresses"), *ports = jget_arr(ss, "ports");
        if (!json_array_size(ports)) {
            /* headless services may have no ports */
            json_array_foreach(addrs, j, addr)
                short_list_add(&l, "%s", str_or(jget_str(addr, "ip"), ""));
            continue;
        }
        json_array_foreach(ports, k, port)
        {
            long long pn = (long long)jget_int(port, "port", 0);
            json_array_foreach(addrs, j, addr)
            {
                const char *ip = str_or(jget_str(addr, "ip"), "");
                /* net.JoinHostPort brackets IPv6 */
                if (strchr(ip, ':'))
                    short_list_add(&l, "[%s]:%lld", ip, pn);
                else
                    short_list_add(&l, "%s:%lld", ip, pn);
            }
        }
    }
    /* unlike the EndpointSlice lists, an empty one prints as "" */
    return short_list_finish(&l, "");
}

static void endpoints_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_take(cells, format_endpoints(jget_arr(obj, "subsets")));
    cell_age(cells, obj, now);
}

/* --- EndpointSlice --- */

static const struct print_column endpointslice_cols[] = {
    COL_NAME,
    {"AddressType", "string", "",
     "addressType specifies the type of address carried by this EndpointSlice. All addresses in "
     "this slice must be the same type. This field is immutable after creation. The following "
     "address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: "
     "Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.",
     0},
    {"Ports", "string", "",
     "ports specifies the list of network ports exposed by each endpoint in this slice. Each port "
     "must have a unique name. When ports is empty, it indicates that there are no defined ports. "
     "When a port is defined with a nil port value, it indicates \"all ports\". Each slice may "
     "include a maximum of 100 ports.",
     0},
    {"Endpoints", "string", "",
     "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of "
     "1000 endpoints.",
     0},
    COL_AGE,
};

static void endpointslice_row(const json_t *obj, json_t *cells, time_t now)
{
    struct short_list ports = {STRBUF_INIT, 0, 0, false}, eps = {STRBUF_INIT, 0, 0, false};
    size_t i, j;
    json_t *p, *e, *a;

    /* formatDiscoveryPorts: the number, else the name, else "*" (all ports) */
    json_array_foreach(jget_arr(obj, "ports"), i, p)
    {
        json_t *num = jget(p, "port");
        if (json_is_integer(num))
            short_list_add(&ports, "%lld", (long long)json_integer_value(num));
        else if (jget_str(p, "name"))
            short_list_add(&ports, "%s", jget_str(p, "name"));
        else
            short_list_add(&ports, "*");
    }
    /* formatDiscoveryEndpoints: every address of every endpoint */
    json_array_foreach(jget_arr(obj, "endpoints"), i, e)
    {
        json_array_foreach(jget_arr(e, "addresses"), j, a)
            short_list_add(&eps, "%s", str_or(json_string_value(a), ""));
    }
    cell_name(cells, obj);
    cell_str(cells, jget_str(obj, "addressType"));
    cell_take(cells, short_list_finish(&ports, "<unset>"));
    cell_take(cells, short_list_finish(&eps, "<unset>"));
    cell_age(cells, obj, now);
}

/* --- PersistentVolume --- */

static const struct print_column pv_cols[] = {
    COL_NAME,
    {"Capacity", "string", "",
     "capacity is the description of the persistent volume's resources and capacity. More info: "
     "https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
     0},
    {"Access Modes", "string", "",
     "accessModes contains all ways the volume can be mounted. More info: "
     "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes",
     0},
    {"Reclaim Policy", "string", "",
     "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released "
     "from its claim. Valid options are Retain (default for manually created "
     "PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and "
     "Recycle (deprecated). Recycle must be supported by the volume plugin underlying this "
     "PersistentVolume. More info: "
     "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming",
     0},
    {"Status", "string", "",
     "phase indicates if a volume is available, bound to a claim, or released by a claim. More "
     "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase",
     0},
    {"Claim", "string", "",
     "claimRef is part of a bi-directional binding between PersistentVolume and "
     "PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the "
     "authoritative bind between PV and PVC. More info: "
     "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding",
     0},
    {"StorageClass", "string", "", "StorageClass of the pv", 0},
    {"VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv", 0},
    {"Reason", "string", "",
     "reason is a brief CamelCase string that describes any failure and is meant for machine "
     "parsing and tidy display in the CLI.",
     0},
    COL_AGE,
    {"VolumeMode", "string", "",
     "volumeMode defines if a volume is intended to be used with a formatted filesystem or to "
     "remain in raw block state. Value of Filesystem is implied when not included in spec.",
     1},
};

#define BETA_STORAGE_CLASS_ANNOTATION "volume.beta.kubernetes.io/storage-class"

/* The annotation string, or NULL. */
static const char *annotation(const json_t *obj, const char *key)
{
    return jget_str(jpath(obj, "metadata.annotations"), key);
}

/* A pointer-typed string field (*string in Go): "<unset>" when nil. */
static const char *optional_str(const json_t *obj, const char *key)
{
    const char *s = jget_str(obj, key);
    return s ? s : "<unset>";
}

static void pv_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *spec = jget_obj(obj, "spec"), *status = jget_obj(obj, "status");
    const json_t *claim = jget_obj(spec, "claimRef");
    /* helper.GetPersistentVolumeClass: the beta annotation wins */
    const char *sc = annotation(obj, BETA_STORAGE_CLASS_ANNOTATION);

    cell_name(cells, obj);
    cell_take(cells, quantity_str(jpath(spec, "capacity.storage")));
    cell_take(cells, access_modes(jget_arr(spec, "accessModes")));
    /* SetDefaults_PersistentVolume: Retain, Pending, Filesystem */
    cell_str(cells, str_or(jget_str(spec, "persistentVolumeReclaimPolicy"), "Retain"));
    cell_str(cells, has_deletion_timestamp(obj) ? "Terminating"
                                                : str_or(jget_str(status, "phase"), "Pending"));
    if (claim)
        cell_take(cells, xasprintf("%s/%s", str_or(jget_str(claim, "namespace"), ""),
                                   str_or(jget_str(claim, "name"), "")));
    else
        cell_str(cells, "");
    cell_str(cells, sc ? sc : jget_str(spec, "storageClassName"));
    cell_str(cells, optional_str(spec, "volumeAttributesClassName"));
    cell_str(cells, jget_str(status, "reason"));
    cell_age(cells, obj, now);
    cell_str(cells, str_or(jget_str(spec, "volumeMode"), "Filesystem"));
}

/* --- PersistentVolumeClaim --- */

static const struct print_column pvc_cols[] = {
    COL_NAME,
    {"Status", "string", "", "phase represents the current phase of PersistentVolumeClaim.", 0},
    {"Volume", "string", "",
     "volumeName is the binding reference to the PersistentVolume backing this claim.", 0},
    {"Capacity", "string", "", "capacity represents the actual resources of the underlying volume.",
     0},
    {"Access Modes", "string", "",
     "accessModes contains the actual access modes the volume backing the PVC has. More info: "
     "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
     0},
    {"StorageClass", "string", "", "StorageClass of the pvc", 0},
    {"VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc", 0},
    COL_AGE,
    {"VolumeMode", "string", "",
     "volumeMode defines what type of volume is required by the claim. Value of Filesystem is "
     "implied when not included in claim spec.",
     1},
};

static void pvc_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *spec = jget_obj(obj, "spec"), *status = jget_obj(obj, "status");
    const char *volume = str_or(jget_str(spec, "volumeName"), "");
    /* helper.GetPersistentVolumeClaimClass: the beta annotation wins */
    const char *sc = annotation(obj, BETA_STORAGE_CLASS_ANNOTATION);

    cell_name(cells, obj);
    /* SetDefaults_PersistentVolumeClaim: Pending */
    cell_str(cells, has_deletion_timestamp(obj) ? "Terminating"
                                                : str_or(jget_str(status, "phase"), "Pending"));
    cell_str(cells, volume);
    /* Capacity and access modes are the bound volume's: blank until bound. */
    if (*volume) {
        cell_take(cells, quantity_str(jpath(status, "capacity.storage")));
        cell_take(cells, access_modes(jget_arr(status, "accessModes")));
    } else {
        cell_str(cells, "");
        cell_str(cells, "");
    }
    cell_str(cells, sc ? sc : jget_str(spec, "storageClassName"));
    cell_str(cells, optional_str(spec, "volumeAttributesClassName"));
    cell_age(cells, obj, now);
    /* SetDefaults_PersistentVolumeClaimSpec: Filesystem */
    cell_str(cells, str_or(jget_str(spec, "volumeMode"), "Filesystem"));
}

/* --- Event --- */

/* Upstream puts Name last, and only in the wide output. */
static const struct print_column event_cols[] = {
    {"Last Seen", "string", "",
     "The time at which the most recent occurrence of this event was recorded.", 0},
    {"Type", "string", "",
     "Type of this event (Normal, Warning), new types could be added in the future", 0},
    {"Reason", "string", "",
     "This should be a short, machine understandable string that gives the reason for the "
     "transition into the object's current status.",
     0},
    {"Object", "string", "", "The object that this event is about.", 0},
    {"Subobject", "string", "",
     "If referring to a piece of an object instead of an entire object, this string should "
     "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. "
     "For example, if the object reference is to a container within a pod, this would take on a "
     "value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container "
     "that triggered the event) or if no container name is specified \"spec.containers[2]\" "
     "(container with index 2 in this pod). This syntax is chosen only to have some well-defined "
     "way of referencing a part of an object.",
     1},
    {"Source", "string", "",
     "The component reporting this event. Should be a short machine understandable string.", 1},
    {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
    {"First Seen", "string", "",
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1},
    {"Count", "string", "", "The number of times this event has occurred.", 1},
    {"Name", "string", "name", D_NAME, 1},
};

static void event_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *involved = jget_obj(obj, "involvedObject"), *series = jget_obj(obj, "series");
    const char *first_ts = jget_str(obj, "firstTimestamp"),
               *last_ts = jget_str(obj, "lastTimestamp");
    char first[KTIME_BUFSZ], last[KTIME_BUFSZ];
    int64_t us, count = jget_int(obj, "count", 0);
    struct strbuf sb = STRBUF_INIT;

    /* Events of the events.k8s.io API carry eventTime and series instead of the timestamps. */
    if (time_us(first_ts, &us))
        since(first_ts, now, first);
    else
        since(jget_str(obj, "eventTime"), now, first);
    if (time_us(last_ts, &us))
        since(last_ts, now, last);
    else
        memcpy(last, first, sizeof(last));
    if (series) {
        since(jget_str(series, "lastObservedTime"), now, last);
        count = jget_int(series, "count", 0);
    } else if (count == 0) {
        count = 1; /* singleton events of the new API have no count */
    }

    cell_str(cells, last);
    cell_str(cells, jget_str(obj, "type"));
    cell_str(cells, jget_str(obj, "reason"));
    /* "kind/name", the kind lower-cased */
    for (const char *k = str_or(jget_str(involved, "kind"), ""); *k; k++)
        strbuf_addch(&sb, *k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
    if (str_or(jget_str(involved, "name"), "")[0])
        strbuf_addf(&sb, "/%s", jget_str(involved, "name"));
    cell_take(cells, strbuf_detach(&sb, NULL));
    cell_str(cells, jget_str(involved, "fieldPath"));

    /* formatEventSource: "component, host", falling back on reportingController/Instance */
    const char *comp =
        str_or(jpath_str(obj, "source.component"), str_or(jget_str(obj, "reportingComponent"), ""));
    const char *host =
        str_or(jpath_str(obj, "source.host"), str_or(jget_str(obj, "reportingInstance"), ""));
    if (*host)
        cell_take(cells, xasprintf("%s, %s", comp, host));
    else
        cell_str(cells, comp);

    cell_trimmed(cells, jget_str(obj, "message"));
    cell_str(cells, first);
    cell_int(cells, count);
    cell_name(cells, obj);
}

/* --- Node --- */

static const struct print_column node_cols[] = {
    COL_NAME,
    {"Status", "string", "", "The status of the node", 0},
    {"Roles", "string", "", "The roles of the node", 0},
    COL_AGE,
    {"Version", "string", "", "Kubelet Version reported by the node.", 0},
    {"Internal-IP", "string", "",
     "List of addresses reachable to the node. Queried from cloud provider, if available. More "
     "info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is "
     "declared as mergeable, but the merge key is not sufficiently unique, which can cause data "
     "corruption when it is merged. Callers should instead use a full-replacement patch. See "
     "https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change "
     "during the lifetime of a Node. However, there are some exceptions where this may not be "
     "possible, such as Pods that inherit a Node's address in its own status or consumers of the "
     "downward API (status.hostIP).",
     1},
    {"External-IP", "string", "",
     "List of addresses reachable to the node. Queried from cloud provider, if available. More "
     "info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is "
     "declared as mergeable, but the merge key is not sufficiently unique, which can cause data "
     "corruption when it is merged. Callers should instead use a full-replacement patch. See "
     "https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change "
     "during the lifetime of a Node. However, there are some exceptions where this may not be "
     "possible, such as Pods that inherit a Node's address in its own status or consumers of the "
     "downward API (status.hostIP).",
     1},
    {"OS-Image", "string", "",
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1},
    {"Kernel-Version", "string", "",
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1},
    {"Container-Runtime", "string", "",
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2).",
     1},
};

#define NODE_ROLE_PREFIX "node-role.kubernetes.io/"
#define NODE_ROLE_LABEL "kubernetes.io/role"

/* findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted,
 * joined by ","; "<none>" if there are none. Caller owns the result. */
static char *node_roles(const json_t *labels)
{
    size_t n = json_object_size(labels), k = 0;
    const char **roles = xcalloc(n ? n : 1, sizeof(*roles));
    struct strbuf sb = STRBUF_INIT;
    const char *key;
    json_t *val;

    json_object_foreach((json_t *)labels, key, val)
    {
        const char *v = json_string_value(val);
        if (!strncmp(key, NODE_ROLE_PREFIX, strlen(NODE_ROLE_PREFIX))) {
            if (key[strlen(NODE_ROLE_PREFIX)])
                roles[k++] = key + strlen(NODE_ROLE_PREFIX);
        } else if (!strcmp(key, NODE_ROLE_LABEL) && v && *v) {
            roles[k++] = v;
        }
    }
    k = sort_uniq(roles, k);
    for (size_t i = 0; i < k; i++)
        strbuf_addf(&sb, "%s%s", i ? "," : "", roles[i]);
    free(roles);
    if (!sb.len)
        strbuf_addstr(&sb, "<none>");
    return strbuf_detach(&sb, NULL);
}

/* The first address of this type, or "<none>". */
static const char *node_address(const json_t *addresses, const char *type)
{
    size_t i;
    json_t *a;
    json_array_foreach(addresses, i, a)
    {
        const char *t = jget_str(a, "type");
        if (t && !strcmp(t, type))
            return str_or(jget_str(a, "address"), "");
    }
    return "<none>";
}

static void node_row(const json_t *obj, json_t *cells, time_t now)
{
    const json_t *status = jget_obj(obj, "status"), *info = jget_obj(status, "nodeInfo");
    const char *ready = NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *c;

    /* Only Ready counts; upstream keeps the last condition of a type. */
    json_array_foreach(jget_arr(status, "conditions"), i, c)
    {
        const char *t = jget_str(c, "type");
        if (t && !strcmp(t, "Ready"))
            ready = str_or(jget_str(c, "status"), "");
    }
    if (!ready)
        strbuf_addstr(&sb, "Unknown");
    else
        strbuf_addstr(&sb, !strcmp(ready, "True") ? "Ready" : "NotReady");
    if (jget_bool(jget_obj(obj, "spec"), "unschedulable", false))
        strbuf_addstr(&sb, ",SchedulingDisabled");

    cell_name(cells, obj);
    cell_take(cells, strbuf_detach(&sb, NULL));
    cell_take(cells, node_roles(jpath(obj, "metadata.labels")));
    cell_age(cells, obj, now);
    cell_str(cells, jget_str(info, "kubeletVersion"));
    cell_str(cells, node_address(jget_arr(status, "addresses"), "InternalIP"));
    cell_str(cells, node_address(jget_arr(status, "addresses"), "ExternalIP"));
    cell_str(cells, str_or(jget_str(info, "osImage"), "<unknown>"));
    cell_str(cells, str_or(jget_str(info, "kernelVersion"), "<unknown>"));
    cell_str(cells, str_or(jget_str(info, "containerRuntimeVersion"), "<unknown>"));
}

/* --- ConfigMap, Secret, ServiceAccount --- */

static const struct print_column configmap_cols[] = {
    COL_NAME,
    {"Data", "string", "",
     "Data contains the configuration data. Each key must consist of alphanumeric characters, "
     "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The "
     "keys stored in Data must not overlap with the keys in the BinaryData field, this is "
     "enforced during validation process.",
     0},
    COL_AGE,
};

static void configmap_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_int(cells, (int64_t)(obj_size(obj, "data") + obj_size(obj, "binaryData")));
    cell_age(cells, obj, now);
}

static const struct print_column secret_cols[] = {
    COL_NAME,
    {"Type", "string", "",
     "Used to facilitate programmatic handling of secret data. More info: "
     "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
     0},
    {"Data", "string", "",
     "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' "
     "or '.'. The serialized form of the secret data is a base64 encoded string, representing "
     "the arbitrary (possibly non-string) data value here. Described in "
     "https://tools.ietf.org/html/rfc4648#section-4",
     0},
    COL_AGE,
};

static void secret_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    /* SetDefaults_Secret: Opaque */
    cell_str(cells, str_or(jget_str(obj, "type"), "Opaque"));
    cell_int(cells, (int64_t)obj_size(obj, "data"));
    cell_age(cells, obj, now);
}

static const struct print_column serviceaccount_cols[] = {
    COL_NAME,
    {"Secrets", "string", "",
     "Secrets is a list of the secrets in the same namespace that pods running using this "
     "ServiceAccount are allowed to use. Pods are only limited to this list if this service "
     "account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The "
     "\"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer "
     "separate namespaces to isolate access to mounted secrets. This field should not be used to "
     "find auto-generated service account token secrets for use outside of pods. Instead, tokens "
     "can be requested directly using the TokenRequest API, or service account token secrets can "
     "be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
     0},
    COL_AGE,
};

static void serviceaccount_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_int(cells, (int64_t)arr_size(obj, "secrets"));
    cell_age(cells, obj, now);
}

/* --- StatefulSet, ControllerRevision --- */

static const struct print_column statefulset_cols[] = {
    COL_NAME,
    {"Ready", "string", "", "Number of the pod with ready state", 0},
    COL_AGE,
    {"Containers", "string", "", D_CONTAINERS, 1},
    {"Images", "string", "", D_IMAGES, 1},
};

static void statefulset_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    /* SetDefaults_StatefulSet: replicas 1 */
    cell_take(cells, xasprintf("%lld/%lld", (long long)jpath_int(obj, "status.readyReplicas", 0),
                               (long long)jpath_int(obj, "spec.replicas", 1)));
    cell_age(cells, obj, now);
    cell_containers(cells, jpath(obj, "spec.template.spec.containers"));
}

static const struct print_column controllerrevision_cols[] = {
    COL_NAME,
    {"Controller", "string", "", "Controller of the object", 0},
    {"Revision", "string", "", "Revision indicates the revision of the state represented by Data.",
     0},
    COL_AGE,
};

/* "statefulset.apps/web": the controller owner's kind.group lower-cased, then its name.
 * Caller owns the result. */
static char *controller_of(const json_t *obj)
{
    size_t i;
    json_t *ref;

    json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, ref)
    {
        if (!jget_bool(ref, "controller", false))
            continue;
        const char *av = str_or(jget_str(ref, "apiVersion"), "");
        const char *kind = str_or(jget_str(ref, "kind"), "");
        const char *name = str_or(jget_str(ref, "name"), "");
        const char *slash = strchr(av, '/');
        struct strbuf sb = STRBUF_INIT;

        /* schema.ParseGroupVersion: "v1" has no group, "apps/v1" has one, more slashes are an
         * error (upstream fails the whole table; one row says "<invalid>" here). */
        if (slash && strchr(slash + 1, '/') && strcmp(av, "/"))
            return xstrdup("<invalid>");
        size_t glen = slash && strcmp(av, "/") ? (size_t)(slash - av) : 0;
        if (!*kind && !glen)
            return xstrdup(name);
        strbuf_addstr(&sb, kind);
        if (glen) {
            strbuf_addch(&sb, '.');
            strbuf_add(&sb, av, glen);
        }
        for (char *p = sb.buf; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = *p - 'A' + 'a';
        strbuf_addf(&sb, "/%s", name);
        return strbuf_detach(&sb, NULL);
    }
    return xstrdup("<none>");
}

static void controllerrevision_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_take(cells, controller_of(obj));
    cell_int(cells, jget_int(obj, "revision", 0));
    cell_age(cells, obj, now);
}

/* --- StorageClass --- */

static const struct print_column storageclass_cols[] = {
    COL_NAME,
    {"Provisioner", "string", "", "provisioner indicates the type of the provisioner.", 0},
    {"ReclaimPolicy", "string", "",
     "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of "
     "this storage class. Defaults to Delete.",
     0},
    {"VolumeBindingMode", "string", "",
     "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  "
     "When unset, VolumeBindingImmediate is used. This field is only honored by servers that "
     "enable the VolumeScheduling feature.",
     0},
    {"AllowVolumeExpansion", "string", "",
     "allowVolumeExpansion shows whether the storage class allow volume expand.", 0},
    COL_AGE,
};

static bool annotation_true(const json_t *obj, const char *key)
{
    const char *v = annotation(obj, key);
    return v && !strcmp(v, "true");
}

static void storageclass_row(const json_t *obj, json_t *cells, time_t now)
{
    const char *name = str_or(jpath_str(obj, "metadata.name"), "");

    /* storageutil.IsDefaultAnnotation, GA or beta key */
    if (annotation_true(obj, "storageclass.kubernetes.io/is-default-class") ||
        annotation_true(obj, "storageclass.beta.kubernetes.io/is-default-class"))
        cell_take(cells, xasprintf("%s (default)", name));
    else
        cell_str(cells, name);
    cell_str(cells, jget_str(obj, "provisioner"));
    cell_str(cells, str_or(jget_str(obj, "reclaimPolicy"), "Delete"));
    cell_str(cells, str_or(jget_str(obj, "volumeBindingMode"), "Immediate"));
    cell_bool(cells, jget_bool(obj, "allowVolumeExpansion", false));
    cell_age(cells, obj, now);
}

/* --- Lease --- */

static const struct print_column lease_cols[] = {
    COL_NAME,
    {"Holder", "string", "",
     "holderIdentity contains the identity of the holder of a current lease. If Coordinated "
     "Leader Election is used, the holder identity must be equal to the elected "
     "LeaseCandidate.metadata.name field.",
     0},
    COL_AGE,
};

static void lease_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_str(cells, jpath_str(obj, "spec.holderIdentity"));
    cell_age(cells, obj, now);
}

/* --- The table --- */

static const struct print_column default_cols[] = {COL_NAME, COL_AGE};

static void default_row(const json_t *obj, json_t *cells, time_t now)
{
    cell_name(cells, obj);
    cell_age(cells, obj, now);
}

#define PRINTER(cols, fn)                                                                          \
    {                                                                                              \
        cols, ARRAY_SIZE(cols), fn                                                                 \
    }

static const struct res_printer printers[RES_COUNT] = {
    [RES_NAMESPACES] = PRINTER(namespace_cols, namespace_row),
    [RES_PODS] = PRINTER(pod_cols, pod_row),
    [RES_SERVICES] = PRINTER(service_cols, service_row),
    [RES_ENDPOINTS] = PRINTER(endpoints_cols, endpoints_row),
    [RES_PERSISTENTVOLUMES] = PRINTER(pv_cols, pv_row),
    [RES_PERSISTENTVOLUMECLAIMS] = PRINTER(pvc_cols, pvc_row),
    [RES_EVENTS] = PRINTER(event_cols, event_row),
    [RES_NODES] = PRINTER(node_cols, node_row),
    [RES_CONFIGMAPS] = PRINTER(configmap_cols, configmap_row),
    [RES_SECRETS] = PRINTER(secret_cols, secret_row),
    [RES_SERVICEACCOUNTS] = PRINTER(serviceaccount_cols, serviceaccount_row),
    [RES_STATEFULSETS] = PRINTER(statefulset_cols, statefulset_row),
    [RES_CONTROLLERREVISIONS] = PRINTER(controllerrevision_cols, controllerrevision_row),
    [RES_STORAGECLASSES] = PRINTER(storageclass_cols, storageclass_row),
    [RES_LEASES] = PRINTER(lease_cols, lease_row),
    [RES_ENDPOINTSLICES] = PRINTER(endpointslice_cols, endpointslice_row),
};

static const struct res_printer default_printer = PRINTER(default_cols, default_row);

const struct res_printer *res_printer(enum res_id id)
{
    if ((unsigned)id >= RES_COUNT || !printers[id].row)
        return &default_printer;
    return &printers[id];
}
