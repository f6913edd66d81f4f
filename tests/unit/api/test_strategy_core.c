/* Core kinds other than Pod: Namespace, Service, Endpoints, PersistentVolume(Claim), Event,
 * Node, ConfigMap, Secret, ServiceAccount. */
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

static json_t *created(enum res_id id, const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    run_create(id, obj, &e);
    assert_errs(&e, "");
    ferrs_release(&e);
    return obj;
}

static char *create_errors(enum res_id id, const char *text)
{
    struct ferrs e = FERRS_INIT;
    json_t *obj = tj(text);
    char *t;
    run_create(id, obj, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    json_decref(obj);
    return t;
}

#define assert_create_errors(id, text, want)                                                       \
    do {                                                                                           \
        char *t_ = create_errors(id, text);                                                        \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

/* Update old with a copy of itself where JSON `patch` (an object) is merged in at `path`
 * (JSON null deletes a key). Returns the errors; *out (if not NULL) gets the updated object. */
static char *update_errors(enum res_id id, const json_t *old, const char *path, const char *patch,
                           json_t **out)
{
    struct ferrs e = FERRS_INIT;
    json_t *n = json_deep_copy(old), *p = tj(patch), *target = *path ? jpath(n, path) : n, *v;
    const char *k;
    char *t;

    json_object_foreach(p, k, v)
    {
        if (json_is_null(v))
            json_object_del(target, k);
        else
            json_object_set(target, k, v);
    }
    json_decref(p);
    run_update(id, n, old, &e);
    t = errs_text(&e);
    ferrs_release(&e);
    if (out)
        *out = n;
    else
        json_decref(n);
    return t;
}

#define assert_update(id, old, path, patch, want)                                                 \
    do {                                                                                           \
        char *t_ = update_errors(id, old, path, patch, NULL);                                      \
        assert_string_equal(t_, want);                                                             \
        free(t_);                                                                                  \
    } while (0)

#define META(name) "\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"}"

/* --- Namespace --- */

static void test_namespace_defaults(void **state)
{
    json_t *ns = created(RES_NAMESPACES, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                                         "\"metadata\":{\"name\":\"sts\"},\"spec\":{}}");
    assert_json_eq(ns, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"labels\":{"
                       "\"kubernetes.io/metadata.name\":\"sts\"},\"name\":\"sts\"},\"spec\":{"
                       "\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}");
    json_decref(ns);
}

static void test_namespace_validation(void **state)
{
    /* a valid subdomain that is not a label: upstream (1.32) says why */
    assert_create_errors(RES_NAMESPACES, "{\"metadata\":{\"name\":\"my.ns\"}}",
                         "metadata.name: Invalid value: \"my.ns\": must not contain dots");
    assert_create_errors(RES_NAMESPACES, "{\"metadata\":{\"name\":\"My_NS\"}}",
                         "metadata.name: Invalid value: \"My_NS\": a lowercase RFC 1123 label must "
                         "consist of lower case alphanumeric characters or '-', and must start and "
                         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                         "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    assert_create_errors(RES_NAMESPACES,
                         "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":{"
                         "\"finalizers\":[\"custom\"]}}",
                         "metadata.namespace: Forbidden: not allowed on this type\n"
                         "spec.finalizers: Invalid value: \"custom\": name is neither a standard "
                         "finalizer name nor is it fully qualified");
}

static void test_namespace_update_keeps_finalizers(void **state)
{
    json_t *old = created(RES_NAMESPACES, "{\"metadata\":{\"name\":\"sts\"}}"), *n;
    char *t = update_errors(RES_NAMESPACES, old, "spec", "{\"finalizers\":null}", &n);
    assert_string_equal(t, "");
    assert_json_eq(jpath(n, "spec.finalizers"), "[\"kubernetes\"]");
    free(t);
    json_decref(n);
    json_decref(old);
}

static void test_namespace_status(void **state)
{
    json_t *ns = created(RES_NAMESPACES, "{\"metadata\":{\"name\":\"sts\"}}");
    const struct res_strategy *s = res_strategy(RES_NAMESPACES);
    struct ferrs e = FERRS_INIT;
    const char *v;

    jset_str(json_object_get(ns, "status"), "phase", "Terminating");
    s->validate_status(ns, ns, &e);
    assert_errs(&e, "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if "
                    "`deletionTimestamp` is empty");
    ferrs_release(&e);
    assert_true(s->field_value(ns, "status.phase", &v));
    assert_string_equal(v, "Terminating");
    json_decref(ns);
}

/* --- Service --- */

static void test_service_defaults_headless(void **state)
{
    json_t *svc = created(RES_SERVICES,
                          "{\"apiVersion\":\"v1\",\"kind\":\"Service\"," META("web")
                          ",\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"web\"},"
                          "\"ports\":[{\"port\":80,\"name\":\"web\"}]}}");
    assert_json_eq(svc, "{\"apiVersion\":\"v1\",\"kind\":\"Service\"," META("web") ",\"spec\":{"
                        "\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],"
                        "\"internalTrafficPolicy\":\"Cluster\",\"ipFamilies\":[\"IPv4\"],"
                        "\"ipFamilyPolicy\":\"SingleStack\",\"ports\":[{\"name\":\"web\","
                        "\"port\":80,\"protocol\":\"TCP\",\"targetPort\":80}],\"selector\":{"
                        "\"app\":\"web\"},\"sessionAffinity\":\"None\",\"type\":\"ClusterIP\"},"
                        "\"status\":{\"loadBalancer\":{}}}");
    json_decref(svc);
}

static void test_service_defaults_types(void **state)
{
    json_t *svc = created(
        RES_SERVICES, "{" META("np") ",\"spec\":{\"type\":\"NodePort\","
                                     "\"sessionAffinity\":\"ClientIP\",\"selector\":{\"a\":"
                                     "\"b\"},\"ports\":[{\"port\":80,\"targetPort\":\"http\"}]}}");
    assert_string_equal(jpath_str(svc, "spec.externalTrafficPolicy"), "Cluster");
    assert_json_eq(jpath(svc, "spec.sessionAffinityConfig"),
                   "{\"clientIP\":{\"timeoutSeconds\":10800}}");
    assert_json_eq(jpath(svc, "spec.ports"),
                   "[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"}]");
    json_decref(svc);

    svc = created(RES_SERVICES, "{" META("lb") ",\"spec\":{\"type\":\"LoadBalancer\",\"ports\":["
                                "{\"port\":443}]}}");
    assert_true(json_is_true(jpath(svc, "spec.allocateLoadBalancerNodePorts")));
    json_decref(svc);

    /* headless without a selector: any family (RequireDualStack) */
    svc = created(RES_SERVICES, "{" META("h") ",\"spec\":{\"clusterIP\":\"None\"}}");
    assert_string_equal(jpath_str(svc, "spec.ipFamilyPolicy"), "RequireDualStack");
    json_decref(svc);

    svc = created(RES_SERVICES, "{" META("ext") ",\"spec\":{\"type\":\"ExternalName\","
                                "\"externalName\":\"example.com.\"}}");
    assert_json_eq(json_object_get(svc, "spec"),
                   "{\"externalName\":\"example.com.\",\"sessionAffinity\":\"None\",\"type\":"
                   "\"ExternalName\"}");
    json_decref(svc);
}

static void test_service_validation_ports(void **state)
{
    assert_create_errors(RES_SERVICES, "{" META("web") ",\"spec\":{\"selector\":{\"a\":\"b\"}}}",
                         "spec.ports: Required value");
    assert_create_errors(
        RES_SERVICES,
        "{" META("web") ",\"spec\":{\"ports\":[{\"port\":80,\"name\":\"a\"},{\"port\":80,"
                        "\"name\":\"b\"},{\"port\":0},{\"port\":53,\"protocol\":\"ICMP\",\"name\":"
                        "\"a\"}]}}",
        "spec.ports[2].name: Required value\n"
        "spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive\n"
        /* targetPort was defaulted from the (bad) port, so upstream reports it too */
        "spec.ports[2].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive\n"
        "spec.ports[3].name: Duplicate value: \"a\"\n"
        "spec.ports[3].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", "
        "\"TCP\", \"UDP\"\n"
        "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", "
        "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
        "StrVal:\"\"}, NodePort:0}");
}

static void test_service_validation_types(void **state)
{
    assert_create_errors(RES_SERVICES,
                         "{" META("web") ",\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"None\","
                                         "\"ports\":[{\"port\":80}]}}",
                         "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' "
                         "for NodePort services");
    assert_create_errors(RES_SERVICES, "{" META("web") ",\"spec\":{\"type\":\"Magic\",\"ports\":[{"
                                                       "\"port\":80}]}}",
                         "spec.type: Unsupported value: \"Magic\": supported values: "
                         "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
    assert_create_errors(RES_SERVICES, "{" META("web") ",\"spec\":{\"type\":\"ExternalName\"}}",
                         "spec.externalName: Required value");
    assert_create_errors(RES_SERVICES,
                         "{" META("web") ",\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":30080}],"
                                         "\"externalTrafficPolicy\":\"Local\"}}",
                         "spec.ports[0].nodePort: Forbidden: may not be used when `type` is "
                         "'ClusterIP'\n"
                         "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set "
                         "for externally-accessible services");
    assert_create_errors(RES_SERVICES,
                         "{" META("web") ",\"spec\":{\"clusterIP\":\"10.96.0.300\",\"ports\":[{"
                                         "\"port\":80}],\"selector\":{\"app\":\"a b\"}}}",
                         "spec.selector: Invalid value: \"a b\": a valid label must be an empty "
                         "string or consist of alphanumeric characters, '-', '_' or '.', and must "
                         "start and end with an alphanumeric character (e.g. 'MyValue',  or "
                         "'my_value',  or '12345', regex used for validation is "
                         "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n"
                         "spec.clusterIPs[0]: Invalid value: \"10.96.0.300\": must be a valid IP "
                         "address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    /* service names are DNS-1035 labels */
    assert_create_errors(RES_SERVICES, "{" META("1web") ",\"spec\":{\"ports\":[{\"port\":80}]}}",
                         "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of "
                         "lower case alphanumeric characters or '-', start with an alphabetic "
                         "character, and end with an alphanumeric character (e.g. 'my-name',  or "
                         "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
}

static void test_service_update_cluster_ip(void **state)
{
    json_t *old = created(RES_SERVICES, "{" META("web") ",\"spec\":{\"clusterIP\":\"10.96.0.20\","
                                        "\"ports\":[{\"port\":80}]}}"),
           *n;
    char *t;

    assert_update(RES_SERVICES, old, "spec", "{\"clusterIP\":\"10.96.0.21\",\"clusterIPs\":null}",
                  "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.21\"}: may not change "
                  "once set");
    /* a PUT that leaves the allocated IP out keeps it */
    t = update_errors(RES_SERVICES, old, "spec", "{\"clusterIP\":null,\"clusterIPs\":null}", &n);
    assert_string_equal(t, "");
    assert_string_equal(jpath_str(n, "spec.clusterIP"), "10.96.0.20");
    assert_json_eq(jpath(n, "spec.clusterIPs"), "[\"10.96.0.20\"]");
    free(t);
    json_decref(n);
    /* switching to ExternalName drops the IPs, which is allowed */
    assert_update(RES_SERVICES, old, "spec",
                  "{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\",\"clusterIP\":"
                  "null,\"clusterIPs\":null,\"ipFamilies\":null,\"ipFamilyPolicy\":null,"
                  "\"internalTrafficPolicy\":null}",
                  "");
    json_decref(old);
}

static void test_service_field_values(void **state)
{
    json_t *svc = created(RES_SERVICES, "{" META("web") ",\"spec\":{\"clusterIP\":\"10.96.0.20\","
                                        "\"ports\":[{\"port\":80}]}}");
    const char *v;
    assert_true(res_strategy(RES_SERVICES)->field_value(svc, "spec.clusterIP", &v));
    assert_string_equal(v, "10.96.0.20");
    assert_true(res_strategy(RES_SERVICES)->field_value(svc, "spec.type", &v));
    assert_string_equal(v, "ClusterIP");
    assert_false(res_strategy(RES_SERVICES)->field_value(svc, "spec.ports", &v));
    json_decref(svc);
}

/* --- Endpoints --- */

static void test_endpoints(void **state)
{
    json_t *ep = created(RES_ENDPOINTS, "{" META("web") ",\"subsets\":[{\"addresses\":[{\"ip\":"
                                        "\"10.42.0.5\",\"hostname\":\"web-0\"}],\"ports\":[{"
                                        "\"port\":80}]}]}");
    assert_json_eq(jpath(json_array_get(json_object_get(ep, "subsets"), 0), "ports"),
                   "[{\"port\":80,\"protocol\":\"TCP\"}]");
    json_decref(ep);
    assert_create_errors(RES_ENDPOINTS,
                         "{" META("web") ",\"subsets\":[{\"addresses\":[{\"ip\":\"127.0.0.1\"}],"
                                         "\"ports\":[{\"port\":80},{\"port\":81,\"name\":\"b\"}]},"
                                         "{\"ports\":[{\"port\":1}]}]}",
                         "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in "
                         "the loopback range (127.0.0.0/8, ::1/128)\n"
                         "subsets[0].ports[0].name: Required value\n"
                         "subsets[1]: Required value: must specify `addresses` or "
                         "`notReadyAddresses`");
}

/* --- PersistentVolume --- */

#define PV(spec) "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":" \
                 "\"pv1\"},\"spec\":{" spec "}}"

static void test_pv_defaults(void **state)
{
    json_t *pv =
        created(RES_PERSISTENTVOLUMES,
                PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],"
                   "\"hostPath\":{\"path\":\"/data/pv1\"}"));
    /* the transition time is "now": check it is there, then compare the rest */
    assert_non_null(jpath_str(pv, "status.lastPhaseTransitionTime"));
    json_object_del(json_object_get(pv, "status"), "lastPhaseTransitionTime");
    assert_json_eq(pv, "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{"
                       "\"name\":\"pv1\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
                       "\"capacity\":{\"storage\":\"1Gi\"},\"hostPath\":{\"path\":\"/data/pv1\","
                       "\"type\":\"\"},\"persistentVolumeReclaimPolicy\":\"Retain\","
                       "\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}");
    json_decref(pv);
}

static void test_pv_validation(void **state)
{
    assert_create_errors(RES_PERSISTENTVOLUMES, PV("\"hostPath\":{\"path\":\"/x\"}"),
                         "spec.accessModes: Required value\n"
                         "spec.capacity: Required value\n"
                         "spec.capacity: Unsupported value: {}: supported values: \"storage\"");
    assert_create_errors(RES_PERSISTENTVOLUMES,
                         PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadMostly\"],"
                            "\"hostPath\":{\"path\":\"/x\"},\"nfs\":{\"server\":\"s\",\"path\":"
                            "\"/e\"},\"persistentVolumeReclaimPolicy\":\"Keep\""),
                         "spec.accessModes: Unsupported value: \"ReadMostly\": supported values: "
                         "\"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", "
                         "\"ReadWriteOncePod\"\n"
                         "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": "
                         "supported values: \"Delete\", \"Recycle\", \"Retain\"\n"
                         "spec.nfs: Forbidden: may not specify more than 1 volume type");
    assert_create_errors(
        RES_PERSISTENTVOLUMES,
        PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"]"),
        "spec: Required value: must specify a volume type");
    assert_create_errors(
        RES_PERSISTENTVOLUMES,
        PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],"
           "\"hostPath\":{\"path\":\"/\"},\"persistentVolumeReclaimPolicy\":"
           "\"Recycle\""),
        "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for "
        "a hostPath mount of '/'");
    assert_create_errors(
        RES_PERSISTENTVOLUMES,
        PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],"
           "\"local\":{\"path\":\"/mnt/disk\"}"),
        "spec.nodeAffinity: Required value: Local volume requires node affinity");
}

static void test_pv_update(void **state)
{
    json_t *old =
        created(RES_PERSISTENTVOLUMES,
                PV("\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],"
                   "\"hostPath\":{\"path\":\"/data/pv1\"}"));
    /* the binder sets claimRef; the reclaim policy may change */
    assert_update(RES_PERSISTENTVOLUMES, old, "spec",
                  "{\"claimRef\":{\"namespace\":\"sts\",\"name\":\"www-web-0\"},"
                  "\"persistentVolumeReclaimPolicy\":\"Delete\"}",
                  "");
    assert_update(RES_PERSISTENTVOLUMES, old, "spec", "{\"hostPath\":{\"path\":\"/data/other\"}}",
                  "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is "
                  "immutable after creation");
    assert_update(RES_PERSISTENTVOLUMES, old, "spec", "{\"volumeMode\":\"Block\"}",
                  "volumeMode: Invalid value: \"Block\": field is immutable");
    json_decref(old);
}

/* --- PersistentVolumeClaim --- */

#define PVC(spec) "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\"," META("data") \
                  ",\"spec\":{" spec "}}"

static void test_pvc_defaults(void **state)
{
    json_t *pvc = created(RES_PERSISTENTVOLUMECLAIMS,
                          PVC("\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{"
                              "\"storage\":\"1Gi\"}}"));
    assert_json_eq(json_object_get(pvc, "spec"),
                   "{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":"
                   "\"1Gi\"}},\"volumeMode\":\"Filesystem\"}");
    assert_json_eq(json_object_get(pvc, "status"), "{\"phase\":\"Pending\"}");
    json_decref(pvc);
}

static void test_pvc_validation(void **state)
{
    assert_create_errors(RES_PERSISTENTVOLUMECLAIMS, PVC("\"resources\":{}"),
                         "spec.accessModes: Required value: at least 1 access mode is required\n"
                         "spec.resources[storage]: Required value");
    assert_create_errors(
        RES_PERSISTENTVOLUMECLAIMS,
        PVC("\"accessModes\":[\"ReadWriteOncePod\",\"ReadWriteOnce\"],"
            "\"resources\":{\"requests\":{\"storage\":\"0\"}},\"volumeMode\":"
            "\"Raw\""),
        "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other "
        "access modes\n"
        "spec.resources[storage]: Invalid value: \"0\": must be greater than zero\n"
        "spec.volumeMode: Unsupported value: \"Raw\": supported values: "
        "\"Block\", \"Filesystem\"");
}

static void test_pvc_update(void **state)
{
    json_t *old = created(RES_PERSISTENTVOLUMECLAIMS,
                          PVC("\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{"
                              "\"storage\":\"1Gi\"}}"));
    /* binding sets volumeName once */
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec", "{\"volumeName\":\"pv1\"}", "");
    /* not bound: no expansion */
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}}",
                  "spec: Forbidden: spec is immutable after creation except resources.requests "
                  "and volumeAttributesClassName for bound claims");
    /* bound: expansion yes, shrinking below what the volume has no */
    jset_str(json_object_get(old, "status"), "phase", "Bound");
    json_object_set_new(json_object_get(old, "status"), "capacity",
                        json_pack("{s:s}", "storage", "1Gi"));
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}}", "");
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"resources\":{\"requests\":{\"storage\":\"512Mi\"}}}",
                  "spec.resources.requests.storage: Forbidden: field can not be less than "
                  "status.capacity");
    /* RecoverVolumeExpansionFailure: after a failed expansion to 4Gi the request may come back
     * down to anything above the 1Gi the volume really has */
    jset_str(jpath(old, "spec.resources.requests"), "storage", "4Gi");
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}}", "");
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}",
                  "spec.resources.requests.storage: Forbidden: field can not be less than "
                  "status.capacity");
    assert_update(RES_PERSISTENTVOLUMECLAIMS, old, "spec",
                  "{\"accessModes\":[\"ReadWriteMany\"]}",
                  "spec: Forbidden: spec is immutable after creation except resources.requests "
                  "and volumeAttributesClassName for bound claims");
    json_decref(old);
}

/* --- Event --- */

static void test_event(void **state)
{
    json_t *ev = created(RES_EVENTS, "{" META("web-0.17f3") ",\"involvedObject\":{\"kind\":\"Pod\","
                                     "\"namespace\":\"default\",\"name\":\"web-0\",\"uid\":\"u1\"},"
                                     "\"reason\":\"Scheduled\",\"type\":\"Normal\",\"source\":{"
                                     "\"component\":\"default-scheduler\"}}");
    const struct res_strategy *s = res_strategy(RES_EVENTS);
    const char *v;

    assert_true(s->field_value(ev, "involvedObject.name", &v));
    assert_string_equal(v, "web-0");
    assert_true(s->field_value(ev, "involvedObject.fieldPath", &v));
    assert_string_equal(v, "");
    assert_true(s->field_value(ev, "source", &v));
    assert_string_equal(v, "default-scheduler");
    assert_true(s->field_value(ev, "reason", &v));
    assert_string_equal(v, "Scheduled");
    for (const char *const *f = resource_get(RES_EVENTS)->field_selectors; *f; f++)
        assert_true(s->field_value(ev, *f, &v));
    json_decref(ev);
    assert_create_errors(RES_EVENTS, "{" META("e") ",\"involvedObject\":{\"namespace\":\"other\"}}",
                         "involvedObject.namespace: Invalid value: \"other\": does not match "
                         "event.namespace");
}

/* --- Node --- */

static void test_node(void **state)
{
    json_t *node = created(RES_NODES, "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"podCIDRs\":["
                                      "\"10.42.0.0/24\"]},\"status\":{\"capacity\":{\"cpu\":\"4\","
                                      "\"memory\":\"8Gi\"}}}");
    const char *v;

    assert_json_eq(jpath(node, "status.allocatable"), "{\"cpu\":\"4\",\"memory\":\"8Gi\"}");
    assert_true(res_strategy(RES_NODES)->field_value(node, "spec.unschedulable", &v));
    assert_string_equal(v, "false");
    assert_update(RES_NODES, node, "spec", "{\"podCIDRs\":[\"10.42.1.0/24\"]}",
                  "spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "
                  "\"\" to valid");
    assert_update(RES_NODES, node, "spec", "{\"unschedulable\":true}", "");
    json_decref(node);
    assert_create_errors(RES_NODES,
                         "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"taints\":[{\"key\":\"k\","
                         "\"effect\":\"NoSchedule\"},{\"key\":\"k\",\"effect\":\"NoSchedule\"},"
                         "{\"key\":\"j\",\"effect\":\"Evict\"}]}}",
                         "spec.taints[1]: Duplicate value: k:NoSchedule: taints must be unique by "
                         "key and effect pair\n"
                         "spec.taints[2].effect: Unsupported value: \"Evict\": supported values: "
                         "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
}

/* --- ConfigMap --- */

static void test_configmap(void **state)
{
    char *big = xmalloc(1024 * 1024 + 2), *text;
    memset(big, 'x', 1024 * 1024 + 1);
    big[1024 * 1024 + 1] = 0;

    assert_create_errors(RES_CONFIGMAPS, "{" META("cm") ",\"data\":{\"app.conf\":\"x\"}}", "");
    assert_create_errors(RES_CONFIGMAPS,
                         "{" META("cm") ",\"data\":{\"a/b\":\"x\",\"k\":\"y\"},\"binaryData\":{"
                                        "\"k\":\"eQ==\"}}",
                         "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of "
                         "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                         "'KEY_NAME',  or 'key-name', regex used for validation is "
                         "'[-._a-zA-Z0-9]+')\n"
                         "data[k]: Invalid value: \"k\": duplicate of key present in binaryData");
    text = xasprintf("{" META("cm") ",\"data\":{\"big\":\"%s\"}}", big);
    /* upstream reports this at the empty path */
    assert_create_errors(RES_CONFIGMAPS, text, "Too long: may not be more than 1048576 bytes");
    free(text);
    free(big);
}

static void test_configmap_immutable(void **state)
{
    json_t *old = created(RES_CONFIGMAPS, "{" META("cm") ",\"data\":{\"a\":\"1\"},"
                                          "\"immutable\":true}");
    assert_update(RES_CONFIGMAPS, old, "", "{\"data\":{\"a\":\"2\"}}",
                  "data: Forbidden: field is immutable when `immutable` is set");
    assert_update(RES_CONFIGMAPS, old, "", "{\"immutable\":null}",
                  "immutable: Forbidden: field is immutable when `immutable` is set");
    assert_update(RES_CONFIGMAPS, old, "metadata", "{\"labels\":{\"a\":\"b\"}}", "");
    json_decref(old);
}

/* --- Secret --- */

static void test_secret_defaults_string_data(void **state)
{
    json_t *s = created(RES_SECRETS, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\"," META("s")
                                     ",\"data\":{\"a\":\"eA==\"},\"stringData\":{\"b\":\"hello\","
                                     "\"a\":\"yz\"}}");
    const char *v;
    assert_json_eq(s, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\"," META("s")
                      ",\"data\":{\"a\":\"eXo=\",\"b\":\"aGVsbG8=\"},\"type\":\"Opaque\"}");
    assert_true(res_strategy(RES_SECRETS)->field_value(s, "type", &v));
    assert_string_equal(v, "Opaque");
    json_decref(s);
}

static void test_secret_validation(void **state)
{
    assert_create_errors(RES_SECRETS,
                         "{" META("tls") ",\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":"
                                         "\"eA==\"}}",
                         "data[tls.key]: Required value");
    assert_create_errors(
        RES_SECRETS, "{" META("sa") ",\"type\":\"kubernetes.io/service-account-token\"}",
        "metadata.annotations[kubernetes.io/service-account.name]: Required value");
    json_t *old = created(RES_SECRETS, "{" META("s") ",\"data\":{\"a\":\"eA==\"}}");
    assert_update(RES_SECRETS, old, "", "{\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":"
                                        "\"eA==\",\"tls.key\":\"eA==\"}}",
                  "type: Invalid value: \"kubernetes.io/tls\": field is immutable");
    json_decref(old);
}

/* --- ServiceAccount --- */

static void test_serviceaccount(void **state)
{
    json_t *sa = created(RES_SERVICEACCOUNTS, "{" META("default") "}");
    assert_json_eq(sa, "{" META("default") "}");
    json_decref(sa);
    assert_create_errors(RES_SERVICEACCOUNTS, "{\"metadata\":{\"name\":\"x\"}}",
                         "metadata.namespace: Required value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace_defaults),
        cmocka_unit_test(test_namespace_validation),
        cmocka_unit_test(test_namespace_update_keeps_finalizers),
        cmocka_unit_test(test_namespace_status),
        cmocka_unit_test(test_service_defaults_headless),
        cmocka_unit_test(test_service_defaults_types),
        cmocka_unit_test(test_service_validation_ports),
        cmocka_unit_test(test_service_validation_types),
        cmocka_unit_test(test_service_update_cluster_ip),
        cmocka_unit_test(test_service_field_values),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_pv_defaults),
        cmocka_unit_test(test_pv_validation),
        cmocka_unit_test(test_pv_update),
        cmocka_unit_test(test_pvc_defaults),
        cmocka_unit_test(test_pvc_validation),
        cmocka_unit_test(test_pvc_update),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_configmap),
        cmocka_unit_test(test_configmap_immutable),
        cmocka_unit_test(test_secret_defaults_string_data),
        cmocka_unit_test(test_secret_validation),
        cmocka_unit_test(test_serviceaccount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
