/* test_schema_core.c — facts of the core/v1 schema (src/api/schema/core.sch) that decoding,
 * strategic merge patch and kubectl explain depend on. Each expectation is what Kubernetes
 * v1.32 declares in k8s.io/api/core/v1/types.go or its OpenAPI document. */
#include "test.h"

#include "api/schema.h"
#include "base/alloc.h"

#define CORE "io.k8s.api.core.v1."

static const struct sch_type *core(const char *name)
{
    char full[128];
    snprintf(full, sizeof(full), CORE "%s", name);
    const struct sch_type *t = sch_type_find(full);
    if (!t)
        fail_msg("no type %s", full);
    return t;
}

/* The field at a dotted path below a core type: the last step's field, or a test failure. */
static const struct sch_field *field(const char *type, const char *dotted)
{
    const struct sch_type *t = core(type);
    const char *dot = strrchr(dotted, '.');
    if (dot) {
        char head[256];
        snprintf(head, sizeof(head), "%.*s", (int)(dot - dotted), dotted);
        const struct sch_ref *r = sch_ref_at(t, head);
        if (!r || r->kind != SCH_STRUCT)
            fail_msg("%s.%s is not a struct", type, head);
        t = r->type;
        dotted = dot + 1;
    }
    const struct sch_field *f = sch_field_find(t, dotted);
    if (!f)
        fail_msg("%s has no field %s", t->name, dotted);
    return f;
}

static bool has(const struct sch_field *f, unsigned flag)
{
    return (f->flags & flag) != 0;
}

static void assert_list_of(const struct sch_field *f, const char *elem_type)
{
    assert_int_equal(f->ref->kind, SCH_ARRAY);
    assert_int_equal(f->ref->elem->kind, SCH_STRUCT);
    assert_string_equal(f->ref->elem->type->name, elem_type);
}

static void assert_merge(const char *type, const char *path, const char *key)
{
    const struct sch_field *f = field(type, path);
    if (!has(f, SCH_F_MERGE) || !f->merge_key || strcmp(f->merge_key, key))
        fail_msg("%s.%s: want merge key %s, got %s", type, path, key,
                 f->merge_key ? f->merge_key : "(none)");
    assert_false(has(f, SCH_F_ATOMIC));
}

static void assert_atomic_list(const char *type, const char *path)
{
    const struct sch_field *f = field(type, path);
    assert_int_equal(f->ref->kind, SCH_ARRAY);
    if (!has(f, SCH_F_ATOMIC) || has(f, SCH_F_MERGE) || has(f, SCH_F_SET))
        fail_msg("%s.%s: want an atomic list, flags %#x", type, path, f->flags);
}

static void assert_listmap(const struct sch_field *f, const char *k1, const char *k2)
{
    assert_non_null(f->list_map_keys);
    assert_string_equal(f->list_map_keys[0], k1);
    if (k2) {
        assert_non_null(f->list_map_keys[1]);
        assert_string_equal(f->list_map_keys[1], k2);
        assert_null(f->list_map_keys[2]);
    } else {
        assert_null(f->list_map_keys[1]);
    }
}

static void assert_enum(const struct sch_field *f, const char *const *want)
{
    size_t n = 0;
    assert_non_null(f->enums);
    for (; want[n]; n++) {
        bool found = false;
        for (const char *const *e = f->enums; *e; e++)
            found = found || !strcmp(*e, want[n]);
        if (!found)
            fail_msg("%s: enum lacks %s", f->name, want[n]);
    }
    size_t got = 0;
    while (f->enums[got])
        got++;
    assert_int_equal(got, n);
}

/* --- Strategic merge patch: merge keys and list strategies --- */

static void test_pod_spec_merge_keys(void **state)
{
    assert_merge("PodSpec", "containers", "name");
    assert_merge("PodSpec", "initContainers", "name");
    assert_merge("PodSpec", "ephemeralContainers", "name");
    assert_merge("PodSpec", "imagePullSecrets", "name");
    assert_merge("PodSpec", "hostAliases", "ip");
    assert_merge("PodSpec", "schedulingGates", "name");
    assert_merge("PodSpec", "topologySpreadConstraints", "topologyKey");
    assert_listmap(field("PodSpec", "topologySpreadConstraints"), "topologyKey",
                   "whenUnsatisfiable");

    /* volumes and resourceClaims: merge by name and retainKeys (a volume changing its source
     * must not keep the old one) */
    const struct sch_field *v = field("PodSpec", "volumes");
    assert_merge("PodSpec", "volumes", "name");
    assert_true(has(v, SCH_F_RETAINKEYS));
    assert_listmap(v, "name", NULL);
    assert_true(has(field("PodSpec", "resourceClaims"), SCH_F_RETAINKEYS));
    assert_false(has(field("PodSpec", "containers"), SCH_F_RETAINKEYS));
}

static void test_container_merge_keys(void **state)
{
    assert_merge("Container", "env", "name");
    assert_merge("Container", "ports", "containerPort");
    assert_listmap(field("Container", "ports"), "containerPort", "protocol");
    assert_merge("Container", "volumeMounts", "mountPath");
    assert_merge("Container", "volumeDevices", "devicePath");
    /* the same strategies on ephemeral containers */
    assert_merge("EphemeralContainer", "env", "name");
    assert_merge("EphemeralContainer", "volumeMounts", "mountPath");
    /* replaced as a whole */
    assert_atomic_list("Container", "command");
    assert_atomic_list("Container", "args");
    assert_atomic_list("Container", "envFrom");
    assert_atomic_list("Container", "resizePolicy");
    assert_atomic_list("Capabilities", "add");
}

static void test_atomic_lists(void **state)
{
    assert_atomic_list("PodSpec", "tolerations");
    assert_atomic_list("PodSpec", "readinessGates");
    assert_atomic_list("PodStatus", "containerStatuses");
    assert_atomic_list("NodeSpec", "taints");
    assert_atomic_list("PersistentVolumeSpec", "accessModes");
    assert_atomic_list("PersistentVolumeClaimSpec", "accessModes");
    assert_atomic_list("NodeSelector", "nodeSelectorTerms");
    assert_atomic_list("NodeSelectorRequirement", "values");
    assert_atomic_list("Endpoints", "subsets");
    assert_atomic_list("ServiceAccount", "imagePullSecrets");
    /* Namespace finalizers are an atomic list in Go, unlike metadata.finalizers (a set) */
    assert_atomic_list("NamespaceSpec", "finalizers");
    const struct sch_field *mf = sch_field_find(
        sch_type_find("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), "finalizers");
    assert_true(has(mf, SCH_F_SET));

    /* maps replaced as a whole */
    assert_true(has(field("PodSpec", "nodeSelector"), SCH_F_ATOMIC));
    assert_true(has(field("ServiceSpec", "selector"), SCH_F_ATOMIC));
    assert_false(has(field("Secret", "data"), SCH_F_ATOMIC));
}

static void test_status_merge_keys(void **state)
{
    assert_merge("PodStatus", "conditions", "type");
    assert_listmap(field("PodStatus", "conditions"), "type", NULL);
    assert_merge("PodStatus", "podIPs", "ip");
    /* hostIPs: patchStrategy merge on ip, but an atomic list for server-side apply */
    const struct sch_field *h = field("PodStatus", "hostIPs");
    assert_true(has(h, SCH_F_MERGE));
    assert_string_equal(h->merge_key, "ip");
    assert_true(has(h, SCH_F_ATOMIC));
    assert_merge("PodStatus", "resourceClaimStatuses", "name");
    assert_merge("ContainerStatus", "volumeMounts", "mountPath");
    assert_merge("ContainerStatus", "allocatedResourcesStatus", "name");
    assert_merge("PersistentVolumeClaimStatus", "conditions", "type");
    assert_merge("NodeStatus", "conditions", "type");
    assert_merge("NodeStatus", "addresses", "type");
    assert_merge("NamespaceStatus", "conditions", "type");
    assert_merge("ServiceStatus", "conditions", "type");
    assert_string_equal(field("ServiceStatus", "conditions")->ref->elem->type->name,
                        "io.k8s.apimachinery.pkg.apis.meta.v1.Condition");
    assert_merge("ServiceAccount", "secrets", "name");

    /* a list of strings with patchStrategy merge is a set */
    const struct sch_field *cidrs = field("NodeSpec", "podCIDRs");
    assert_true(has(cidrs, SCH_F_SET));
    assert_false(has(cidrs, SCH_F_MERGE));
}

static void test_service_ports(void **state)
{
    assert_merge("ServiceSpec", "ports", "port");
    assert_listmap(field("ServiceSpec", "ports"), "port", "protocol");
    const struct sch_field *port = field("ServicePort", "port");
    assert_int_equal(port->ref->kind, SCH_INT32);
    assert_true(has(port, SCH_F_REQUIRED));
    assert_true(has(port, SCH_F_KEEPZERO));
    /* a value IntOrString: Go always writes it */
    const struct sch_field *tp = field("ServicePort", "targetPort");
    assert_int_equal(tp->ref->kind, SCH_INTSTR);
    assert_true(has(tp, SCH_F_VALUE));
    assert_int_equal(field("HTTPGetAction", "port")->ref->kind, SCH_INTSTR);
    assert_int_equal(field("TCPSocketAction", "port")->ref->kind, SCH_INTSTR);
    assert_int_equal(field("GRPCAction", "port")->ref->kind, SCH_INT32);
}

/* --- Shapes and types --- */

static void test_pod_shape(void **state)
{
    const struct sch_type *pod = core("Pod");
    assert_string_equal(pod->go_name, "v1.Pod");

    /* sch_ref_at steps through the array to the element */
    const struct sch_ref *c = sch_ref_at(pod, "spec.containers");
    assert_non_null(c);
    assert_int_equal(c->kind, SCH_STRUCT);
    assert_string_equal(c->type->name, CORE "Container");
    assert_list_of(field("PodSpec", "containers"), CORE "Container");
    assert_list_of(field("PodSpec", "ephemeralContainers"), CORE "EphemeralContainer");
    assert_list_of(field("PodSpec", "volumes"), CORE "Volume");

    const struct sch_ref *r = sch_ref_at(pod, "spec.containers.resources.limits");
    assert_non_null(r);
    assert_int_equal(r->kind, SCH_QUANTITY);
    assert_int_equal(field("ResourceRequirements", "limits")->ref->kind, SCH_MAP);
    assert_int_equal(field("PodSpec", "overhead")->ref->elem->kind, SCH_QUANTITY);
    assert_int_equal(sch_ref_at(pod, "spec.containers.env.valueFrom.secretKeyRef.key")->kind,
                     SCH_STRING);
    assert_int_equal(sch_ref_at(pod, "spec.affinity.podAntiAffinity."
                                     "preferredDuringSchedulingIgnoredDuringExecution."
                                     "podAffinityTerm.labelSelector.matchExpressions.values")
                         ->kind,
                     SCH_STRING);
    assert_int_equal(sch_ref_at(pod, "status.containerStatuses.state.terminated.exitCode")->kind,
                     SCH_INT32);
    assert_int_equal(sch_ref_at(pod, "status.startTime")->kind, SCH_TIME);
    assert_int_equal(sch_ref_at(pod, "spec.terminationGracePeriodSeconds")->kind, SCH_INT64);
    assert_int_equal(sch_ref_at(pod, "spec.securityContext.runAsUser")->kind, SCH_INT64);
    assert_int_equal(sch_ref_at(pod, "spec.hostNetwork")->kind, SCH_BOOL);
    /* volume sources are inlined into Volume, probe handlers into Probe */
    assert_non_null(sch_ref_at(pod, "spec.volumes.persistentVolumeClaim.claimName"));
    assert_non_null(sch_ref_at(pod, "spec.volumes.emptyDir.sizeLimit"));
    assert_int_equal(sch_ref_at(pod, "spec.volumes.emptyDir.sizeLimit")->kind, SCH_QUANTITY);
    assert_non_null(sch_ref_at(pod, "spec.volumes.ephemeral.volumeClaimTemplate.spec.resources"));
    assert_non_null(sch_ref_at(pod, "spec.containers.readinessProbe.httpGet.path"));
    assert_non_null(sch_ref_at(pod, "spec.containers.livenessProbe.exec.command"));
    assert_null(sch_ref_at(pod, "spec.volumes.volumeSource"));
    assert_null(sch_ref_at(pod, "spec.containers.livenessProbe.handler"));
    /* unknown fields are unknown */
    assert_null(sch_ref_at(pod, "spec.containerz"));
    assert_null(sch_field_find(core("Container"), "Name"));
}

static void test_field_order(void **state)
{
    /* objects are serialised in Go struct order */
    static const char *const pod[] = {"apiVersion", "kind", "metadata", "spec", "status"};
    const struct sch_type *t = core("Pod");
    assert_int_equal(t->nfields, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(t->fields[i].name, pod[i]);

    static const char *const ctr[] = {
        "name",          "image",        "command",      "args",      "workingDir",
        "ports",         "envFrom",      "env",          "resources", "resizePolicy",
        "restartPolicy", "volumeMounts", "volumeDevices"};
    t = core("Container");
    for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++)
        assert_string_equal(t->fields[i].name, ctr[i]);
    assert_string_equal(t->fields[t->nfields - 1].name, "tty");

    t = core("Volume");
    assert_string_equal(t->fields[0].name, "name");
    assert_string_equal(t->fields[1].name, "hostPath");
    assert_string_equal(t->fields[2].name, "emptyDir");
    assert_string_equal(t->fields[t->nfields - 1].name, "image");

    /* PersistentVolumeSource is inlined between capacity and accessModes */
    t = core("PersistentVolumeSpec");
    assert_string_equal(t->fields[0].name, "capacity");
    assert_string_equal(t->fields[1].name, "gcePersistentDisk");
    assert_string_equal(t->fields[3].name, "hostPath");
    assert_string_equal(t->fields[23].name, "accessModes");

    t = core("ContainerStatus");
    assert_string_equal(t->fields[0].name, "name");
    assert_string_equal(t->fields[1].name, "state");
    assert_string_equal(t->fields[2].name, "lastState");
    assert_string_equal(t->fields[3].name, "ready");

    t = core("PodSpec");
    assert_string_equal(t->fields[0].name, "volumes");
    assert_string_equal(t->fields[1].name, "initContainers");
    assert_string_equal(t->fields[2].name, "containers");
}

static void test_secret_and_configmap(void **state)
{
    const struct sch_field *d = field("Secret", "data");
    assert_int_equal(d->ref->kind, SCH_MAP);
    assert_int_equal(d->ref->elem->kind, SCH_BYTES);
    const struct sch_field *sd = field("Secret", "stringData");
    assert_int_equal(sd->ref->kind, SCH_MAP);
    assert_int_equal(sd->ref->elem->kind, SCH_STRING);
    const struct sch_field *bd = field("ConfigMap", "binaryData");
    assert_int_equal(bd->ref->kind, SCH_MAP);
    assert_int_equal(bd->ref->elem->kind, SCH_BYTES);
    const struct sch_field *cd = field("ConfigMap", "data");
    assert_int_equal(cd->ref->elem->kind, SCH_STRING);
    /* immutable: false must survive */
    assert_true(has(field("Secret", "immutable"), SCH_F_KEEPZERO));
    assert_true(has(field("ConfigMap", "immutable"), SCH_F_KEEPZERO));
    assert_null(field("Secret", "type")->enums);
}

static void test_persistent_volume(void **state)
{
    const struct sch_type *pv = core("PersistentVolume");
    const struct sch_ref *hp = sch_ref_at(pv, "spec.hostPath");
    assert_non_null(hp);
    assert_string_equal(hp->type->name, CORE "HostPathVolumeSource");
    const struct sch_ref *local = sch_ref_at(pv, "spec.local");
    assert_non_null(local);
    assert_string_equal(local->type->name, CORE "LocalVolumeSource");
    assert_true(has(field("LocalVolumeSource", "path"), SCH_F_REQUIRED));
    assert_non_null(sch_ref_at(pv, "spec.csi.volumeHandle"));
    assert_non_null(sch_ref_at(pv, "spec.nfs.server"));
    assert_non_null(sch_ref_at(pv, "spec.iscsi.iqn"));
    assert_string_equal(sch_ref_at(pv, "spec.claimRef")->type->name, CORE "ObjectReference");
    assert_int_equal(sch_ref_at(pv, "spec.capacity")->kind, SCH_QUANTITY);
    assert_int_equal(sch_ref_at(pv, "spec.nodeAffinity.required.nodeSelectorTerms."
                                    "matchExpressions.key")
                         ->kind,
                     SCH_STRING);
    assert_int_equal(sch_ref_at(pv, "status.lastPhaseTransitionTime")->kind, SCH_TIME);

    static const char *const reclaim[] = {"Delete", "Recycle", "Retain", NULL};
    assert_enum(field("PersistentVolumeSpec", "persistentVolumeReclaimPolicy"), reclaim);
    static const char *const phases[] = {"Pending",  "Available", "Bound",
                                         "Released", "Failed",    NULL};
    assert_enum(field("PersistentVolumeStatus", "phase"), phases);
    static const char *const hpt[] = {
        "",           "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
        "CharDevice", "BlockDevice",       NULL};
    assert_enum(field("HostPathVolumeSource", "type"), hpt);
    /* an access mode list has no enum: the values are described */
    assert_null(field("PersistentVolumeSpec", "accessModes")->enums);
}

static void test_persistent_volume_claim(void **state)
{
    const struct sch_type *pvc = core("PersistentVolumeClaim");
    assert_int_equal(sch_ref_at(pvc, "spec.resources.requests")->kind, SCH_QUANTITY);
    assert_true(has(field("PersistentVolumeClaimSpec", "resources"), SCH_F_VALUE));
    assert_string_equal(sch_ref_at(pvc, "spec.selector")->type->name,
                        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
    assert_string_equal(sch_ref_at(pvc, "spec.dataSource")->type->name,
                        CORE "TypedLocalObjectReference");
    assert_string_equal(sch_ref_at(pvc, "spec.dataSourceRef")->type->name,
                        CORE "TypedObjectReference");
    /* apiGroup is a *string without omitempty: Go writes null */
    assert_true(has(field("TypedLocalObjectReference", "apiGroup"), SCH_F_NULLABLE));
    /* storageClassName "" (no class) differs from unset (default class) */
    assert_true(has(field("PersistentVolumeClaimSpec", "storageClassName"), SCH_F_KEEPZERO));

    /* status */
    assert_int_equal(sch_ref_at(pvc, "status.capacity")->kind, SCH_QUANTITY);
    assert_int_equal(sch_ref_at(pvc, "status.allocatedResources")->kind, SCH_QUANTITY);
    const struct sch_field *ars = field("PersistentVolumeClaimStatus", "allocatedResourceStatuses");
    assert_int_equal(ars->ref->kind, SCH_MAP);
    assert_int_equal(ars->ref->elem->kind, SCH_STRING);
    assert_int_equal(sch_ref_at(pvc, "status.currentVolumeAttributesClassName")->kind, SCH_STRING);
    assert_true(has(field("ModifyVolumeStatus", "status"), SCH_F_REQUIRED));
    assert_true(has(field("PersistentVolumeClaimCondition", "lastProbeTime"), SCH_F_VALUE));
    static const char *const phases[] = {"Pending", "Bound", "Lost", NULL};
    assert_enum(field("PersistentVolumeClaimStatus", "phase"), phases);
}

static void test_service(void **state)
{
    const struct sch_field *st = field("Service", "status");
    assert_true(has(st, SCH_F_VALUE));
    assert_string_equal(st->ref->type->name, CORE "ServiceStatus");
    const struct sch_field *lb = field("ServiceStatus", "loadBalancer");
    assert_true(has(lb, SCH_F_VALUE));
    assert_string_equal(lb->ref->type->name, CORE "LoadBalancerStatus");
    assert_list_of(field("LoadBalancerStatus", "ingress"), CORE "LoadBalancerIngress");
    assert_list_of(field("LoadBalancerIngress", "ports"), CORE "PortStatus");

    static const char *const types[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName",
                                        NULL};
    assert_enum(field("ServiceSpec", "type"), types);
    static const char *const aff[] = {"ClientIP", "None", NULL};
    assert_enum(field("ServiceSpec", "sessionAffinity"), aff);
    static const char *const proto[] = {"TCP", "UDP", "SCTP", NULL};
    assert_enum(field("ServicePort", "protocol"), proto);
    assert_enum(field("ContainerPort", "protocol"), proto);
    assert_enum(field("EndpointPort", "protocol"), proto);
    assert_false(has(field("ServiceSpec", "publishNotReadyAddresses"), SCH_F_KEEPZERO));
    assert_list_of(field("EndpointSubset", "addresses"), CORE "EndpointAddress");
    assert_string_equal(field("EndpointSubset", "ports")->ref->elem->type->name,
                        CORE "EndpointPort");
}

static void test_value_structs_and_times(void **state)
{
    static const char *const pod[] = {"metadata", "spec", "status"};
    for (size_t i = 0; i < 3; i++)
        assert_true(has(field("Pod", pod[i]), SCH_F_VALUE));
    assert_true(has(field("PodTemplateSpec", "metadata"), SCH_F_VALUE));
    assert_true(has(field("PodTemplateSpec", "spec"), SCH_F_VALUE));
    /* creationTimestamp: null in pod templates comes from a value metav1.Time */
    const struct sch_ref *ct = sch_ref_at(core("PodTemplateSpec"), "metadata.creationTimestamp");
    assert_int_equal(ct->kind, SCH_TIME);
    assert_true(has(field("PodCondition", "lastProbeTime"), SCH_F_VALUE));
    assert_true(has(field("PodCondition", "lastTransitionTime"), SCH_F_VALUE));
    assert_true(has(field("ContainerStateRunning", "startedAt"), SCH_F_VALUE));
    assert_true(has(field("Container", "resources"), SCH_F_VALUE));
    assert_true(has(field("ContainerStatus", "state"), SCH_F_VALUE));
    assert_true(has(field("ContainerStatus", "lastState"), SCH_F_VALUE));
    assert_true(has(field("NodeStatus", "nodeInfo"), SCH_F_VALUE));
    assert_true(has(field("NodeStatus", "daemonEndpoints"), SCH_F_VALUE));
    assert_true(has(field("NodeDaemonEndpoints", "kubeletEndpoint"), SCH_F_VALUE));
    assert_true(has(field("Binding", "target"), SCH_F_VALUE));
    /* a value resource.Quantity: divisor "0" is always written */
    const struct sch_field *div = field("ResourceFieldSelector", "divisor");
    assert_int_equal(div->ref->kind, SCH_QUANTITY);
    assert_true(has(div, SCH_F_VALUE));
    /* pointers are not value fields */
    assert_false(has(field("PodStatus", "startTime"), SCH_F_VALUE));
    assert_false(has(field("PodSpec", "securityContext"), SCH_F_VALUE));
    assert_false(has(field("Taint", "timeAdded"), SCH_F_VALUE));
    assert_false(has(field("Container", "livenessProbe"), SCH_F_VALUE));
}

static void test_keepzero(void **state)
{
    static const char *const cs[] = {"name", "ready", "restartCount", "image", "imageID"};
    for (size_t i = 0; i < 5; i++) {
        const struct sch_field *f = field("ContainerStatus", cs[i]);
        assert_true(has(f, SCH_F_KEEPZERO));
        assert_true(has(f, SCH_F_REQUIRED));
    }
    assert_false(has(field("ContainerStatus", "containerID"), SCH_F_KEEPZERO));
    assert_true(has(field("ContainerPort", "containerPort"), SCH_F_KEEPZERO));
    assert_false(has(field("ContainerPort", "hostPort"), SCH_F_KEEPZERO));
    assert_true(has(field("Container", "name"), SCH_F_KEEPZERO));
    assert_false(has(field("Container", "image"), SCH_F_KEEPZERO));
    assert_false(has(field("Container", "stdin"), SCH_F_KEEPZERO));
    assert_true(has(field("NodeSelectorRequirement", "key"), SCH_F_KEEPZERO));
    assert_true(has(field("NodeSelectorRequirement", "operator"), SCH_F_KEEPZERO));
    assert_true(has(field("PodSpec", "containers"), SCH_F_KEEPZERO));
    assert_false(has(field("PodSpec", "initContainers"), SCH_F_KEEPZERO));
    assert_true(has(field("DaemonEndpoint", "Port"), SCH_F_KEEPZERO));
    assert_true(has(field("NodeSystemInfo", "machineID"), SCH_F_KEEPZERO));
    assert_true(has(field("ContainerImage", "names"), SCH_F_KEEPZERO));
    assert_true(has(field("Event", "reportingComponent"), SCH_F_KEEPZERO));
    /* pointer scalars keep false and 0: the user said so */
    assert_true(has(field("PodSpec", "automountServiceAccountToken"), SCH_F_KEEPZERO));
    assert_true(has(field("PodSpec", "terminationGracePeriodSeconds"), SCH_F_KEEPZERO));
    assert_true(has(field("SecurityContext", "runAsUser"), SCH_F_KEEPZERO));
    assert_true(has(field("SecurityContext", "readOnlyRootFilesystem"), SCH_F_KEEPZERO));
}

static void test_required(void **state)
{
    assert_true(has(field("PodSpec", "containers"), SCH_F_REQUIRED));
    assert_false(has(field("Pod", "spec"), SCH_F_REQUIRED));
    assert_true(has(field("Container", "name"), SCH_F_REQUIRED));
    assert_false(has(field("Container", "image"), SCH_F_REQUIRED));
    assert_true(has(field("Volume", "name"), SCH_F_REQUIRED));
    assert_true(has(field("VolumeMount", "mountPath"), SCH_F_REQUIRED));
    assert_true(has(field("EnvVar", "name"), SCH_F_REQUIRED));
    assert_true(has(field("Binding", "target"), SCH_F_REQUIRED));
    assert_true(has(field("Event", "metadata"), SCH_F_REQUIRED));
    assert_true(has(field("Event", "involvedObject"), SCH_F_REQUIRED));
    assert_true(has(field("Taint", "effect"), SCH_F_REQUIRED));
    assert_false(has(field("Toleration", "key"), SCH_F_REQUIRED));
    assert_true(has(field("TopologySpreadConstraint", "maxSkew"), SCH_F_REQUIRED));
    assert_true(has(field("NodeSelector", "nodeSelectorTerms"), SCH_F_REQUIRED));
    assert_true(has(field("PersistentVolumeClaimTemplate", "spec"), SCH_F_REQUIRED));
    assert_true(has(field("HostPathVolumeSource", "path"), SCH_F_REQUIRED));
    assert_false(has(field("LocalObjectReference", "name"), SCH_F_REQUIRED));
}

static void test_enums(void **state)
{
    static const char *const restart[] = {"Always", "OnFailure", "Never", NULL};
    assert_enum(field("PodSpec", "restartPolicy"), restart);
    static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None",
                                      NULL};
    assert_enum(field("PodSpec", "dnsPolicy"), dns);
    static const char *const pull[] = {"Always", "Never", "IfNotPresent", NULL};
    assert_enum(field("Container", "imagePullPolicy"), pull);
    assert_enum(field("EphemeralContainer", "imagePullPolicy"), pull);
    assert_enum(field("ImageVolumeSource", "pullPolicy"), pull);
    static const char *const phase[] = {"Pending", "Running", "Succeeded",
                                        "Failed",  "Unknown", NULL};
    assert_enum(field("PodStatus", "phase"), phase);
    static const char *const qos[] = {"Guaranteed", "Burstable", "BestEffort", NULL};
    assert_enum(field("PodStatus", "qosClass"), qos);
    static const char *const eff[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    assert_enum(field("Taint", "effect"), eff);
    assert_enum(field("Toleration", "effect"), eff);
    static const char *const op[] = {"Exists", "Equal", NULL};
    assert_enum(field("Toleration", "operator"), op);
    static const char *const nsop[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};
    assert_enum(field("NodeSelectorRequirement", "operator"), nsop);
    static const char *const mode[] = {"Block", "Filesystem", NULL};
    assert_enum(field("PersistentVolumeClaimSpec", "volumeMode"), mode);
    static const char *const ns[] = {"Active", "Terminating", NULL};
    assert_enum(field("NamespaceStatus", "phase"), ns);
    /* not enums in v1.32: condition status, container restartPolicy, medium */
    assert_null(field("PodCondition", "status")->enums);
    assert_null(field("Container", "restartPolicy")->enums);
    assert_null(field("EmptyDirVolumeSource", "medium")->enums);
}

static void test_event_and_node(void **state)
{
    const struct sch_field *et = field("Event", "eventTime");
    assert_int_equal(et->ref->kind, SCH_MICROTIME);
    assert_true(has(et, SCH_F_VALUE));
    assert_int_equal(field("EventSeries", "lastObservedTime")->ref->kind, SCH_MICROTIME);
    assert_int_equal(field("Event", "firstTimestamp")->ref->kind, SCH_TIME);
    assert_true(has(field("Event", "source"), SCH_F_VALUE));
    assert_string_equal(field("Event", "series")->ref->type->name, CORE "EventSeries");
    assert_string_equal(field("Event", "related")->ref->type->name, CORE "ObjectReference");
    assert_string_equal(field("Event", "involvedObject")->ref->type->name, CORE "ObjectReference");

    const struct sch_type *node = core("Node");
    assert_int_equal(sch_ref_at(node, "status.capacity")->kind, SCH_QUANTITY);
    assert_int_equal(field("NodeStatus", "allocatable")->ref->kind, SCH_MAP);
    assert_int_equal(sch_ref_at(node, "status.nodeInfo.kubeletVersion")->kind, SCH_STRING);
    assert_int_equal(sch_ref_at(node, "status.daemonEndpoints.kubeletEndpoint.Port")->kind,
                     SCH_INT32);
    assert_int_equal(sch_ref_at(node, "status.images.sizeBytes")->kind, SCH_INT64);
    assert_non_null(sch_ref_at(node, "status.config.active.configMap.kubeletConfigKey"));
    assert_non_null(sch_ref_at(node, "status.features.supplementalGroupsPolicy"));
    assert_non_null(sch_ref_at(node, "status.runtimeHandlers.features.recursiveReadOnlyMounts"));
    assert_non_null(sch_ref_at(node, "spec.taints.timeAdded"));
    assert_list_of(field("NodeStatus", "addresses"), CORE "NodeAddress");
    assert_list_of(field("NodeStatus", "volumesAttached"), CORE "AttachedVolume");
}

/* --- The whole graph --- */

struct walk {
    const struct sch_type *seen[512];
    size_t nseen, ncore, nfields;
};

static bool is_scalar_kind(enum sch_kind k)
{
    return k < SCH_STRUCT;
}

static void walk_type(struct walk *w, const struct sch_type *t)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i] == t)
            return;
    assert_true(w->nseen < sizeof(w->seen) / sizeof(w->seen[0]));
    w->seen[w->nseen++] = t;
    if (!strncmp(t->name, CORE, strlen(CORE)))
        w->ncore++;
    if (!t->desc || !*t->desc)
        fail_msg("type %s has no description", t->name);
    if (t->nfields == 0)
        fail_msg("type %s has no fields", t->name);
    for (size_t i = 0; i < t->nfields; i++) {
        const struct sch_field *f = &t->fields[i];
        w->nfields++;
        if (!f->desc || !*f->desc)
            fail_msg("%s.%s has no description", t->name, f->name);
        if (strstr(f->desc, " #") || strlen(f->desc) > 320)
            fail_msg("%s.%s: description too long or holds a comment marker", t->name, f->name);
        const struct sch_ref *r = f->ref, *leaf = r;
        while (leaf->kind == SCH_ARRAY || leaf->kind == SCH_MAP)
            leaf = leaf->elem;
        /* flags fit the field's shape */
        if (has(f, SCH_F_MERGE) &&
            (r->kind != SCH_ARRAY || r->elem->kind != SCH_STRUCT || !f->merge_key))
            fail_msg("%s.%s: merge on a non-list", t->name, f->name);
        if (has(f, SCH_F_SET) && (r->kind != SCH_ARRAY || !is_scalar_kind(r->elem->kind)))
            fail_msg("%s.%s: set on a non-scalar list", t->name, f->name);
        if (has(f, SCH_F_RETAINKEYS) && !has(f, SCH_F_MERGE))
            fail_msg("%s.%s: retainKeys without merge", t->name, f->name);
        if (has(f, SCH_F_VALUE) && r->kind != SCH_STRUCT && r->kind != SCH_TIME &&
            r->kind != SCH_MICROTIME && r->kind != SCH_QUANTITY && r->kind != SCH_INTSTR)
            fail_msg("%s.%s: value flag on a %d", t->name, f->name, r->kind);
        if (f->enums && (r->kind != SCH_STRING || !f->enums[0]))
            fail_msg("%s.%s: enum on a non-string", t->name, f->name);
        if (f->list_map_keys) {
            if (r->kind != SCH_ARRAY || r->elem->kind != SCH_STRUCT)
                fail_msg("%s.%s: listmap on a non-list", t->name, f->name);
            for (const char *const *k = f->list_map_keys; *k; k++)
                if (!sch_field_find(r->elem->type, *k))
                    fail_msg("%s.%s: list-map key %s unknown", t->name, f->name, *k);
        }
        if (leaf->kind == SCH_STRUCT) {
            assert_non_null(leaf->type);
            walk_type(w, leaf->type);
        }
    }
}

static void test_graph_documented(void **state)
{
    static const char *const kinds[] = {
        "Namespace",     "Pod",       "PodTemplateSpec",  "Binding",
        "Service",       "Endpoints", "PersistentVolume", "PersistentVolumeClaim",
        "Event",         "Node",      "ConfigMap",        "Secret",
        "ServiceAccount"};
    struct walk *w = xcalloc(1, sizeof(*w));
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct sch_type *t = core(kinds[i]);
        walk_type(w, t);
        if (strcmp(kinds[i], "PodTemplateSpec")) {
            assert_string_equal(t->fields[0].name, "apiVersion");
            assert_string_equal(t->fields[1].name, "kind");
            assert_string_equal(t->fields[2].name, "metadata");
        }
    }
    /* v1.32: 178 core/v1 types are reachable from these kinds */
    if (w->ncore < 178)
        fail_msg("only %zu core types reachable", w->ncore);
    assert_true(w->nfields > 850); /* 853 in core/v1 alone */
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_spec_merge_keys),
        cmocka_unit_test(test_container_merge_keys),
        cmocka_unit_test(test_atomic_lists),
        cmocka_unit_test(test_status_merge_keys),
        cmocka_unit_test(test_service_ports),
        cmocka_unit_test(test_pod_shape),
        cmocka_unit_test(test_field_order),
        cmocka_unit_test(test_secret_and_configmap),
        cmocka_unit_test(test_persistent_volume),
        cmocka_unit_test(test_persistent_volume_claim),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_value_structs_and_times),
        cmocka_unit_test(test_keepzero),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_event_and_node),
        cmocka_unit_test(test_graph_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
