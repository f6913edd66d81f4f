/* Pod strategy: SetDefaults_Pod/PodSpec as upstream stores them, QoS, ValidatePodSpec messages,
 * the pod update rule, status and field selectors. */
#include "test.h"

#include "api/resource.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/strbuf.h"

/* --- helpers (the server's write path, in its order) --- */

static void run_create(enum res_id id, json_t *obj, struct ferrs *e)
{
    const struct res_strategy *s = res_strategy(id);
    if (s->prepare_create)
        s->prepare_create(obj);
    if (s->defaults)
        s->defaults(obj);
    validate_meta(resource_get(id), obj, NULL, e);
    if (s->validate)
        s->validate(obj, e);
}

static void run_update(enum res_id id, json_t *obj, const json_t *old, struct ferrs *e)
{
    const struct res_strategy *s = res_strategy(id);
    if (s->prepare_update)
        s->prepare_update(obj, old);
    if (s->defaults)
        s->defaults(obj);
    validate_meta(resource_get(id), obj, old, e);
    if (s->validate_update)
        s->validate_update(obj, old, e);
}

static char *errs_text(const struct ferrs *e)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < e->nr; i++) {
        char *s = ferr_string(&e->v[i]);
        strbuf_addf(&sb, "%s%s", i ? "\n" : "", s);
        free(s);
    }
    return strbuf_detach(&sb, NULL);
}

#define assert_errs(e, want)                                                                       \
    do {                                                                                           \
        char *t_ = errs_text(e);                                                                   \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

static json_t *created(const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    run_create(RES_PODS, obj, &e);
    assert_errs(&e, "");
    ferrs_release(&e);
    return obj;
}

static char *create_errors(const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    char *t;
    run_create(RES_PODS, obj, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(obj);
    return t;
}

#define assert_create_errors(text, want)                                                           \
    do {                                                                                           \
        char *t_ = create_errors(text);                                                            \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

#define POD(spec)                                                                                  \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"         \
    "\"default\"},\"spec\":{" spec "}}"
#define C1(extra) "\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"" extra "}]"

/* --- defaults --- */

static void test_pod_defaults_minimal(void **state)
{
    json_t *pod = created(POD("\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
                              "\"resources\":{}}]"));
    assert_json_eq(pod,
                   "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                   "\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx\","
                   "\"imagePullPolicy\":\"Always\",\"name\":\"c\",\"resources\":{},"
                   "\"terminationMessagePath\":\"/dev/termination-log\","
                   "\"terminationMessagePolicy\":\"File\"}],\"dnsPolicy\":\"ClusterFirst\","
                   "\"enableServiceLinks\":true,\"restartPolicy\":\"Always\",\"schedulerName\":"
                   "\"default-scheduler\",\"securityContext\":{},"
                   "\"terminationGracePeriodSeconds\":30},\"status\":{\"phase\":\"Pending\","
                   "\"qosClass\":\"BestEffort\"}}");
    json_decref(pod);
}

static const char *pull_policy(const char *image)
{
    static char buf[32];
    json_t *pod = tj(POD("\"containers\":[{\"name\":\"c\"}]"));
    jset_str(json_array_get(jpath(pod, "spec.containers"), 0), "image", image);
    res_strategy(RES_PODS)->defaults(pod);
    snprintf(buf, sizeof buf, "%s",
             jget_str(json_array_get(jpath(pod, "spec.containers"), 0), "imagePullPolicy"));
    json_decref(pod);
    return buf;
}

static void test_pod_defaults_pull_policy(void **state)
{
    assert_string_equal(pull_policy("nginx"), "Always");
    assert_string_equal(pull_policy("nginx:latest"), "Always");
    assert_string_equal(pull_policy("nginx:1.25"), "IfNotPresent");
    assert_string_equal(pull_policy("ikubernetes/myapp:v1"), "IfNotPresent");
    assert_string_equal(pull_policy("localhost:5000/app"), "Always");
    assert_string_equal(pull_policy("registry.example.com:5000/team/app:v2"), "IfNotPresent");
    assert_string_equal(
        pull_policy("busybox@sha256:"
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        "IfNotPresent");
    assert_string_equal(
        pull_policy("busybox:latest@sha256:"
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        "Always");
    /* an unparsable reference has no tag: IfNotPresent */
    assert_string_equal(pull_policy("NGINX"), "IfNotPresent");
}

static void test_pod_defaults_probes_ports_env(void **state)
{
    json_t *pod = created(
        POD(C1(",\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"POD\",\"valueFrom\":{"
               "\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],\"readinessProbe\":{"
               "\"httpGet\":{\"port\":80}},\"livenessProbe\":{\"tcpSocket\":{\"port\":\"web\"},"
               "\"periodSeconds\":5},\"lifecycle\":{\"preStop\":{\"httpGet\":{\"port\":80,"
               "\"path\":\"/quit\"}}}")));
    json_t *c = json_array_get(jpath(pod, "spec.containers"), 0);
    assert_json_eq(json_object_get(c, "ports"), "[{\"containerPort\":80,\"protocol\":\"TCP\"}]");
    assert_json_eq(json_object_get(c, "env"),
                   "[{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
                   "\"fieldPath\":\"metadata.name\"}}}]");
    assert_json_eq(json_object_get(c, "readinessProbe"),
                   "{\"failureThreshold\":3,\"httpGet\":{\"path\":\"/\",\"port\":80,\"scheme\":"
                   "\"HTTP\"},\"periodSeconds\":10,\"successThreshold\":1,\"timeoutSeconds\":1}");
    assert_json_eq(json_object_get(c, "livenessProbe"),
                   "{\"failureThreshold\":3,\"tcpSocket\":{\"port\":\"web\"},\"periodSeconds\":5,"
                   "\"successThreshold\":1,\"timeoutSeconds\":1}");
    assert_json_eq(json_object_get(c, "lifecycle"),
                   "{\"preStop\":{\"httpGet\":{\"path\":\"/quit\",\"port\":80,\"scheme\":"
                   "\"HTTP\"}}}");
    json_decref(pod);
}

static void test_pod_defaults_volumes(void **state)
{
    json_t *pod = created(POD(C1(
        "") ",\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\",\"secret\":{\"secretName\":\"s\"}},"
            "{\"name\":\"c\",\"configMap\":{\"name\":\"cm\",\"defaultMode\":256}},"
            "{\"name\":\"d\",\"hostPath\":{\"path\":\"/data\"}},{\"name\":\"e\",\"downwardAPI\":{"
            "\"items\":[{\"path\":\"labels\",\"fieldRef\":{\"fieldPath\":\"metadata.labels\"}}]}},"
            "{\"name\":\"f\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":"
            "\"token\"}}]}}]"));
    assert_json_eq(
        jpath(pod, "spec.volumes"),
        "[{\"emptyDir\":{},\"name\":\"a\"},{\"name\":\"b\",\"secret\":{\"defaultMode\":420,"
        "\"secretName\":\"s\"}},{\"configMap\":{\"defaultMode\":256,\"name\":\"cm\"},\"name\":"
        "\"c\"},{\"hostPath\":{\"path\":\"/data\",\"type\":\"\"},\"name\":\"d\"},{\"downwardAPI\":{"
        "\"defaultMode\":420,\"items\":[{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
        "\"metadata.labels\"},\"path\":\"labels\"}]},\"name\":\"e\"},{\"name\":\"f\",\"projected\":"
        "{\"defaultMode\":420,\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3600,"
        "\"path\":\"token\"}}]}}]");
    json_decref(pod);
}

static void test_pod_defaults_requests_from_limits(void **state)
{
    json_t *pod = created(POD(C1(",\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":"
                                 "\"128Mi\"},\"requests\":{\"cpu\":\"250m\"}}")));
    assert_json_eq(jpath(json_array_get(jpath(pod, "spec.containers"), 0), "resources"),
                   "{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":"
                   "\"250m\",\"memory\":\"128Mi\"}}");
    assert_string_equal(jpath_str(pod, "status.qosClass"), "Burstable");
    json_decref(pod);
}

static void test_pod_defaults_host_network_ports(void **state)
{
    json_t *pod = created(POD("\"hostNetwork\":true," C1(",\"ports\":[{\"containerPort\":8080}]")));
    assert_json_eq(jpath(json_array_get(jpath(pod, "spec.containers"), 0), "ports"),
                   "[{\"containerPort\":8080,\"hostPort\":8080,\"protocol\":\"TCP\"}]");
    json_decref(pod);
}

static void test_pod_defaults_idempotent(void **state)
{
    json_t *pod = created(POD(C1(",\"ports\":[{\"containerPort\":80}]") ",\"volumes\":[{"
                                 "\"name\":\"v\"}]"));
    json_t *again = json_deep_copy(pod);
    res_strategy(RES_PODS)->defaults(again);
    assert_true(json_equal(pod, again));
    json_decref(pod);
    json_decref(again);
}

/* --- QoS and prepare_create --- */

static const char *qos(const char *containers)
{
    static char buf[32];
    json_t *pod = tj(containers);
    res_strategy(RES_PODS)->prepare_create(pod);
    snprintf(buf, sizeof buf, "%s", jpath_str(pod, "status.qosClass"));
    json_decref(pod);
    return buf;
}

static void test_pod_qos(void **state)
{
    assert_string_equal(qos(POD(C1(""))), "BestEffort");
    assert_string_equal(qos(POD(C1(",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}"))),
                        "Burstable");
    /* limits only: requests default to them, so this is Guaranteed */
    assert_string_equal(qos(POD(C1(",\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":"
                                   "\"1Gi\"}}"))),
                        "Guaranteed");
    assert_string_equal(qos(POD(C1(",\"resources\":{\"limits\":{\"cpu\":\"1\"}}"))), "Burstable");
    assert_string_equal(qos(POD(C1(",\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":"
                                   "\"1Gi\"},\"requests\":{\"cpu\":\"500m\"}}"))),
                        "Burstable");
    /* every container must be limited for Guaranteed */
    assert_string_equal(
        qos(POD("\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"resources\":{\"limits\":{"
                "\"cpu\":\"1\",\"memory\":\"1Gi\"}}},{\"name\":\"b\",\"image\":\"x\"}]")),
        "Burstable");
    /* only cpu and memory count */
    assert_string_equal(qos(POD(C1(",\"resources\":{\"requests\":{\"ephemeral-storage\":"
                                   "\"1Gi\"}}"))),
                        "BestEffort");
}

static void test_pod_prepare_create_status(void **state)
{
    json_t *pod = tj(POD(C1("") ",\"schedulingGates\":[{\"name\":\"wait\"}]"));
    json_object_set_new(pod, "status",
                        json_pack("{s:s,s:s}", "phase", "Running", "podIP", "1.2.3.4"));
    res_strategy(RES_PODS)->prepare_create(pod);
    assert_json_eq(json_object_get(pod, "status"),
                   "{\"conditions\":[{\"message\":\"Scheduling is blocked due to non-empty "
                   "scheduling gates\",\"reason\":\"SchedulingGated\",\"status\":\"False\","
                   "\"type\":\"PodScheduled\"}],\"phase\":\"Pending\",\"qosClass\":"
                   "\"BestEffort\"}");
    json_decref(pod);
}

/* --- validation --- */

static void test_pod_valid(void **state)
{
    assert_create_errors(
        POD("\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{"
            "\"containerPort\":80,\"name\":\"http\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},{"
            "\"name\":\"NS\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.namespace\"}}}],"
            "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}],\"resources\":{"
            "\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},\"limits\":{\"memory\":"
            "\"128Mi\"}},\"readinessProbe\":{\"httpGet\":{\"port\":\"http\"}}}],"
            "\"volumes\":[{\"name\":\"data\",\"persistentVolumeClaim\":{\"claimName\":"
            "\"data-web-0\"}}],\"hostname\":\"web-0\",\"subdomain\":\"web\""),
        "");
}

static void test_pod_containers_required(void **state)
{
    assert_create_errors(POD("\"containers\":[]"), "spec.containers: Required value");
}

static void test_pod_container_names(void **state)
{
    assert_create_errors(
        POD("\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"a\",\"image\":\"x\"},"
            "{\"name\":\"B_c\",\"image\":\"x\"},{\"image\":\"x\"}]"),
        "spec.containers[1].name: Duplicate value: \"a\"\n"
        "spec.containers[2].name: Invalid value: \"B_c\": a lowercase RFC 1123 label must consist "
        "of lower case alphanumeric characters or '-', and must start and end with an "
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n"
        "spec.containers[3].name: Required value");
}

static void test_pod_image_required(void **state)
{
    assert_create_errors(POD("\"containers\":[{\"name\":\"c\"}]"),
                         "spec.containers[0].image: Required value");
    assert_create_errors(POD("\"containers\":[{\"name\":\"c\",\"image\":\" nginx\"}]"),
                         "spec.containers[0].image: Invalid value: \" nginx\": must not have "
                         "leading or trailing whitespace");
}

static void test_pod_ports(void **state)
{
    assert_create_errors(
        POD(C1(",\"ports\":[{\"containerPort\":70000},{\"containerPort\":0,\"name\":\"http\"},"
               "{\"containerPort\":81,\"name\":\"http\"},{\"containerPort\":82,\"name\":\"80\","
               "\"protocol\":\"ICMP\"},{\"containerPort\":83,\"hostPort\":8080},"
               "{\"containerPort\":84,\"hostPort\":8080}]")),
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and "
        "65535, inclusive\n"
        "spec.containers[0].ports[1].containerPort: Required value\n"
        "spec.containers[0].ports[2].name: Duplicate value: \"http\"\n"
        "spec.containers[0].ports[3].name: Invalid value: \"80\": must contain at least one "
        "letter (a-z)\n"
        "spec.containers[0].ports[3].protocol: Unsupported value: \"ICMP\": supported values: "
        "\"SCTP\", \"TCP\", \"UDP\"\n"
        "spec.containers[0].ports[5].hostPort: Duplicate value: \"TCP//8080\"");
}

static void test_pod_env(void **state)
{
    assert_create_errors(
        POD(C1(",\"env\":[{\"name\":\"1_STARTS_WITH_DIGIT.ok\"},{\"name\":\"A=B\"},{\"value\":"
               "\"x\"},{\"name\":\"X\",\"value\":\"v\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
               "\"s\",\"key\":\"k\"}}},{\"name\":\"Y\",\"valueFrom\":{}},{\"name\":\"Z\","
               "\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.restartPolicy\"}}}]")),
        "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable "
        "name must consist only of printable ASCII characters other than '='\n"
        "spec.containers[0].env[2].name: Required value\n"
        "spec.containers[0].env[3].valueFrom: Invalid value: \"\": may not be specified when "
        "`value` is not empty\n"
        "spec.containers[0].env[4].valueFrom: Invalid value: \"\": must specify one of: "
        "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`\n"
        "spec.containers[0].env[5].valueFrom.fieldRef.fieldPath: Unsupported value: "
        "\"spec.restartPolicy\": supported values: \"metadata.name\", \"metadata.namespace\", "
        "\"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", "
        "\"status.hostIPs\", \"status.podIP\", \"status.podIPs\"");
}

static void test_pod_volumes(void **state)
{
    assert_create_errors(
        POD(C1(",\"volumeMounts\":[{\"name\":\"missing\",\"mountPath\":\"/a\"},{\"name\":\"two\","
               "\"mountPath\":\"/a\"},{\"name\":\"ok\",\"mountPath\":\"/b\",\"subPath\":\"../x\"}]")
            ",\"volumes\":[{\"name\":\"ok\",\"emptyDir\":{}},{\"name\":\"ok\",\"emptyDir\":{}},"
            "{\"name\":\"two\",\"emptyDir\":{},\"hostPath\":{\"path\":\"/x\"}},{\"name\":\"s\","
            "\"secret\":{\"defaultMode\":1000}}]"),
        "spec.volumes[1].name: Duplicate value: \"ok\"\n"
        "spec.volumes[2].emptyDir: Forbidden: may not specify more than 1 volume type\n"
        "spec.volumes[3].secret.secretName: Required value\n"
        "spec.volumes[3].secret.defaultMode: Invalid value: 1000: must be a number between 0 and "
        "0777 (octal), both inclusive\n"
        "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"\n"
        "spec.containers[0].volumeMounts[1].name: Not found: \"two\"\n"
        "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/a\": must be unique\n"
        "spec.containers[0].volumeMounts.subPath: Invalid value: \"../x\": must not contain '..'");
}

static void test_pod_resources(void **state)
{
    assert_create_errors(
        POD(C1(",\"resources\":{\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"cpu\":\"1\","
               "\"memory\":\"-1\",\"gpu\":\"1\"}}")),
        "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or "
        "equal to cpu limit of 500m\n"
        "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater "
        "than or equal to 0\n"
        "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard "
        "resource type or fully qualified");
    /* extended resources cannot be overcommitted */
    assert_create_errors(POD(C1(",\"resources\":{\"requests\":{\"example.com/gpu\":\"1\"}}")),
                         "spec.containers[0].resources.limits: Required value: Limit must be set "
                         "for non overcommitable resources");
}

static void test_pod_policies(void **state)
{
    assert_create_errors(POD(C1("") ",\"restartPolicy\":\"Sometimes\",\"dnsPolicy\":\"Google\""),
                         "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                         "\"Always\", \"OnFailure\", \"Never\"\n"
                         "spec.dnsPolicy: Unsupported value: \"Google\": supported values: "
                         "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"");
    assert_create_errors(POD(C1("") ",\"dnsPolicy\":\"None\""),
                         "spec.dnsConfig: Required value: must provide `dnsConfig` when "
                         "`dnsPolicy` is None");
    assert_create_errors(POD(C1(",\"imagePullPolicy\":\"Sometimes\"")),
                         "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
                         "supported values: \"Always\", \"IfNotPresent\", \"Never\"");
}

static void test_pod_probes(void **state)
{
    assert_create_errors(
        POD(C1(",\"livenessProbe\":{\"successThreshold\":2,\"exec\":{\"command\":[\"true\"]}},"
               "\"readinessProbe\":{\"periodSeconds\":-1},\"startupProbe\":{\"exec\":{},"
               "\"tcpSocket\":{\"port\":99999}}")),
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1\n"
        "spec.containers[0].readinessProbe: Required value: must specify a handler type\n"
        "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater "
        "than or equal to 0\n"
        "spec.containers[0].startupProbe.exec.command: Required value\n"
        "spec.containers[0].startupProbe.tcpSocket: Forbidden: may not specify more than 1 "
        "handler type");
}

static void test_pod_spec_fields(void **state)
{
    assert_create_errors(
        POD(C1("") ",\"hostname\":\"Web_0\",\"terminationGracePeriodSeconds\":-5,"
                   "\"activeDeadlineSeconds\":0,\"nodeName\":\"node_1\",\"tolerations\":[{"
                   "\"operator\":\"Equal\",\"value\":\"x\"}]"),
        "spec.nodeName: Invalid value: \"node_1\": a lowercase RFC 1123 subdomain must consist "
        "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
        "inclusive\n"
        "spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater than or equal to "
        "0\n"
        "spec.hostname: Invalid value: \"Web_0\": a lowercase RFC 1123 label must consist of "
        "lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
        "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n"
        "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when "
        "`key` is empty, which means \"match all values and all keys\"");
}

static void test_pod_init_containers(void **state)
{
    assert_create_errors(
        POD(C1("") ",\"initContainers\":[{\"name\":\"c\",\"image\":\"x\"},{\"name\":\"i\","
                   "\"image\":\"x\",\"readinessProbe\":{\"exec\":{\"command\":[\"x\"]}}},"
                   "{\"name\":\"side\",\"image\":\"x\",\"restartPolicy\":\"Always\","
                   "\"readinessProbe\":{\"exec\":{\"command\":[\"x\"]}}}]"),
        "spec.initContainers[0].name: Duplicate value: \"c\"\n"
        "spec.initContainers[1].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always");
}

/* --- update --- */

#define POD_FORBIDDEN                                                                              \
    "spec: Forbidden: pod updates may not change fields other than "                               \
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"     \
    "`spec.tolerations` (only additions to existing tolerations),"                                \
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "         \
    "negative)"

static char *update_errors(const json_t *old, const char *path, const char *key, json_t *val)
{
    struct ferrs e = FERRS_INIT;
    json_t *n = json_deep_copy(old);
    char *t;
    json_t *target = *path ? jpath(n, path) : n;
    if (json_is_array(target))
        target = json_array_get(target, 0);
    if (val)
        json_object_set_new(target, key, val);
    else
        json_object_del(target, key);
    run_update(RES_PODS, n, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(n);
    return t;
}

#define assert_update(old, path, key, val, want)                                                  \
    do {                                                                                           \
        char *t_ = update_errors(old, path, key, val);                                             \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

static void test_pod_update_rule(void **state)
{
    json_t *old = created(POD(C1("") ",\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}]"));

    /* the image may change */
    assert_update(old, "spec.containers", "image", json_string("nginx:1.26"), "");
    /* labels are metadata: fine */
    assert_update(old, "metadata", "labels", json_pack("{s:s}", "a", "b"), "");
    /* anything else in the spec is forbidden */
    assert_update(old, "spec.containers", "command", json_pack("[s]", "sh"), POD_FORBIDDEN);
    assert_update(old, "spec", "nodeName", json_string("node-1"), POD_FORBIDDEN);
    /* adding a container */
    assert_update(old, "spec", "containers",
                  json_pack("[{s:s,s:s},{s:s,s:s}]", "name", "c", "image", "x", "name", "d",
                            "image", "y"),
                  "spec.containers: Forbidden: pod updates may not add or remove containers");
    /* activeDeadlineSeconds: set from nil, then only lowered */
    assert_update(old, "spec", "activeDeadlineSeconds", json_integer(60), "");
    /* tolerations may be added, not modified */
    assert_update(old, "spec", "tolerations",
                  json_pack("[{s:s,s:s},{s:s,s:s}]", "key", "k", "operator", "Exists", "key", "k2",
                            "operator", "Exists"),
                  "");
    assert_update(old, "spec", "tolerations", json_pack("[{s:s,s:s}]", "key", "other", "operator",
                                                        "Exists"),
                  "spec.tolerations: Forbidden: existing toleration can not be modified except "
                  "its tolerationSeconds");
    json_decref(old);
}

static void test_pod_update_deadline(void **state)
{
    json_t *old = created(POD(C1("") ",\"activeDeadlineSeconds\":30"));
    assert_update(old, "spec", "activeDeadlineSeconds", json_integer(10), "");
    assert_update(old, "spec", "activeDeadlineSeconds", json_integer(60),
                  "spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to "
                  "previous value");
    assert_update(old, "spec", "activeDeadlineSeconds", NULL,
                  "spec.activeDeadlineSeconds: Invalid value: null: must not update from a "
                  "positive integer to nil value");
    json_decref(old);
}

/* --- status and field selectors --- */

static void test_pod_status(void **state)
{
    json_t *pod = created(POD(C1("")));
    struct ferrs e = FERRS_INIT;
    json_object_set_new(pod, "status",
                        json_pack("{s:s,s:[{s:s},{s:s}]}", "phase", "Running", "podIPs", "ip",
                                  "10.42.0.7", "ip", "10.42.0.300"));
    res_strategy(RES_PODS)->validate_status(pod, pod, &e);
    assert_errs(&e, "status.podIPs[1]: Invalid value: \"10.42.0.300\": must be a valid IP "
                    "address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    ferrs_release(&e);
    json_decref(pod);
}

static void test_pod_field_values(void **state)
{
    const struct res_strategy *s = res_strategy(RES_PODS);
    json_t *pod = created(POD(C1("") ",\"nodeName\":\"n1\""));
    const char *v;

    json_object_set_new(json_object_get(pod, "status"), "podIPs",
                        json_pack("[{s:s}]", "ip", "10.42.0.9"));
    assert_true(s->field_value(pod, "spec.nodeName", &v));
    assert_string_equal(v, "n1");
    assert_true(s->field_value(pod, "spec.restartPolicy", &v));
    assert_string_equal(v, "Always");
    assert_true(s->field_value(pod, "spec.schedulerName", &v));
    assert_string_equal(v, "default-scheduler");
    assert_true(s->field_value(pod, "spec.serviceAccountName", &v));
    assert_string_equal(v, "");
    assert_true(s->field_value(pod, "spec.hostNetwork", &v));
    assert_string_equal(v, "false");
    assert_true(s->field_value(pod, "status.phase", &v));
    assert_string_equal(v, "Pending");
    assert_true(s->field_value(pod, "status.podIP", &v));
    assert_string_equal(v, "10.42.0.9");
    assert_true(s->field_value(pod, "status.nominatedNodeName", &v));
    assert_string_equal(v, "");
    assert_false(s->field_value(pod, "spec.containers", &v));
    /* every selector the resource table advertises is served */
    for (const char *const *f = resource_get(RES_PODS)->field_selectors; *f; f++)
        assert_true(s->field_value(pod, *f, &v));
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_defaults_minimal),
        cmocka_unit_test(test_pod_defaults_pull_policy),
        cmocka_unit_test(test_pod_defaults_probes_ports_env),
        cmocka_unit_test(test_pod_defaults_volumes),
        cmocka_unit_test(test_pod_defaults_requests_from_limits),
        cmocka_unit_test(test_pod_defaults_host_network_ports),
        cmocka_unit_test(test_pod_defaults_idempotent),
        cmocka_unit_test(test_pod_qos),
        cmocka_unit_test(test_pod_prepare_create_status),
        cmocka_unit_test(test_pod_valid),
        cmocka_unit_test(test_pod_containers_required),
        cmocka_unit_test(test_pod_container_names),
        cmocka_unit_test(test_pod_image_required),
        cmocka_unit_test(test_pod_ports),
        cmocka_unit_test(test_pod_env),
        cmocka_unit_test(test_pod_volumes),
        cmocka_unit_test(test_pod_resources),
        cmocka_unit_test(test_pod_policies),
        cmocka_unit_test(test_pod_probes),
        cmocka_unit_test(test_pod_spec_fields),
        cmocka_unit_test(test_pod_init_containers),
        cmocka_unit_test(test_pod_update_rule),
        cmocka_unit_test(test_pod_update_deadline),
        cmocka_unit_test(test_pod_status),
        cmocka_unit_test(test_pod_field_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
