/* resources.c — the resource table. Adding a kind: one entry here, its schema in
 * src/api/schema, its strategy (api/strategy) and its printer (api/print). */
#include <string.h>

#include "api/resource.h"
#include "base/alloc.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

const struct resource resources[RES_COUNT] = {
    [RES_NAMESPACES] = {
        .id = RES_NAMESPACES, .group = "", .version = "v1", .kind = "Namespace",
        .plural = "namespaces", .singular = "namespace", .qualified = "namespaces", .gv = "v1",
        .namespaced = false, .short_names = LIST("ns"), .categories = NONE,
        .flags = RES_SUB_STATUS | RES_SUB_FINALIZE, .name_rule = NAME_RULE_LABEL,
        .schema = "io.k8s.api.core.v1.Namespace", .field_selectors = LIST("status.phase"),
    },
    [RES_PODS] = {
        .id = RES_PODS, .group = "", .version = "v1", .kind = "Pod",
        .plural = "pods", .singular = "pod", .qualified = "pods", .gv = "v1",
        .namespaced = true, .short_names = LIST("po"), .categories = LIST("all"),
        .flags = RES_SUB_STATUS | RES_SUB_BINDING | RES_SUB_POD,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.Pod",
        .field_selectors = LIST("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                                "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                "status.podIP", "status.nominatedNodeName"),
    },
    [RES_SERVICES] = {
        .id = RES_SERVICES, .group = "", .version = "v1", .kind = "Service",
        .plural = "services", .singular = "service", .qualified = "services", .gv = "v1",
        .namespaced = true, .short_names = LIST("svc"), .categories = LIST("all"),
        .flags = RES_SUB_STATUS, .name_rule = NAME_RULE_DNS1035,
        .schema = "io.k8s.api.core.v1.Service", .field_selectors = LIST("spec.clusterIP", "spec.type"),
    },
    [RES_ENDPOINTS] = {
        .id = RES_ENDPOINTS, .group = "", .version = "v1", .kind = "Endpoints",
        .plural = "endpoints", .singular = "endpoints", .qualified = "endpoints", .gv = "v1",
        .namespaced = true, .short_names = LIST("ep"), .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.Endpoints",
        .field_selectors = NONE,
    },
    [RES_PERSISTENTVOLUMES] = {
        .id = RES_PERSISTENTVOLUMES, .group = "", .version = "v1", .kind = "PersistentVolume",
        .plural = "persistentvolumes", .singular = "persistentvolume",
        .qualified = "persistentvolumes", .gv = "v1", .namespaced = false,
        .short_names = LIST("pv"), .categories = NONE, .flags = RES_SUB_STATUS,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.PersistentVolume",
        .field_selectors = NONE,
    },
    [RES_PERSISTENTVOLUMECLAIMS] = {
        .id = RES_PERSISTENTVOLUMECLAIMS, .group = "", .version = "v1",
        .kind = "PersistentVolumeClaim", .plural = "persistentvolumeclaims",
        .singular = "persistentvolumeclaim", .qualified = "persistentvolumeclaims", .gv = "v1",
        .namespaced = true, .short_names = LIST("pvc"), .categories = NONE,
        .flags = RES_SUB_STATUS, .name_rule = NAME_RULE_SUBDOMAIN,
        .schema = "io.k8s.api.core.v1.PersistentVolumeClaim", .field_selectors = NONE,
    },
    [RES_EVENTS] = {
        .id = RES_EVENTS, .group = "", .version = "v1", .kind = "Event",
        .plural = "events", .singular = "event", .qualified = "events", .gv = "v1",
        .namespaced = true, .short_names = LIST("ev"), .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.Event",
        .field_selectors = LIST("involvedObject.kind", "involvedObject.namespace",
                                "involvedObject.name", "involvedObject.uid",
                                "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                "involvedObject.fieldPath", "reason", "reportingComponent",
                                "source", "type"),
    },
    [RES_NODES] = {
        .id = RES_NODES, .group = "", .version = "v1", .kind = "Node",
        .plural = "nodes", .singular = "node", .qualified = "nodes", .gv = "v1",
        .namespaced = false, .short_names = LIST("no"), .categories = NONE,
        .flags = RES_SUB_STATUS, .name_rule = NAME_RULE_SUBDOMAIN,
        .schema = "io.k8s.api.core.v1.Node", .field_selectors = LIST("spec.unschedulable"),
    },
    [RES_CONFIGMAPS] = {
        .id = RES_CONFIGMAPS, .group = "", .version = "v1", .kind = "ConfigMap",
        .plural = "configmaps", .singular = "configmap", .qualified = "configmaps", .gv = "v1",
        .namespaced = true, .short_names = LIST("cm"), .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.ConfigMap",
        .field_selectors = NONE,
    },
    [RES_SECRETS] = {
        .id = RES_SECRETS, .group = "", .version = "v1", .kind = "Secret",
        .plural = "secrets", .singular = "secret", .qualified = "secrets", .gv = "v1",
        .namespaced = true, .short_names = NONE, .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.Secret",
        .field_selectors = LIST("type"),
    },
    [RES_SERVICEACCOUNTS] = {
        .id = RES_SERVICEACCOUNTS, .group = "", .version = "v1", .kind = "ServiceAccount",
        .plural = "serviceaccounts", .singular = "serviceaccount",
        .qualified = "serviceaccounts", .gv = "v1", .namespaced = true,
        .short_names = LIST("sa"), .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.core.v1.ServiceAccount",
        .field_selectors = NONE,
    },
    [RES_STATEFULSETS] = {
        .id = RES_STATEFULSETS, .group = "apps", .version = "v1", .kind = "StatefulSet",
        .plural = "statefulsets", .singular = "statefulset", .qualified = "statefulsets.apps",
        .gv = "apps/v1", .namespaced = true, .short_names = LIST("sts"),
        .categories = LIST("all"), .flags = RES_SUB_STATUS | RES_SUB_SCALE | RES_GENERATION,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.apps.v1.StatefulSet",
        .field_selectors = NONE,
    },
    [RES_CONTROLLERREVISIONS] = {
        .id = RES_CONTROLLERREVISIONS, .group = "apps", .version = "v1",
        .kind = "ControllerRevision", .plural = "controllerrevisions",
        .singular = "controllerrevision", .qualified = "controllerrevisions.apps",
        .gv = "apps/v1", .namespaced = true, .short_names = NONE, .categories = NONE,
        .flags = 0, .name_rule = NAME_RULE_SUBDOMAIN,
        .schema = "io.k8s.api.apps.v1.ControllerRevision", .field_selectors = NONE,
    },
    [RES_STORAGECLASSES] = {
        .id = RES_STORAGECLASSES, .group = "storage.k8s.io", .version = "v1",
        .kind = "StorageClass", .plural = "storageclasses", .singular = "storageclass",
        .qualified = "storageclasses.storage.k8s.io", .gv = "storage.k8s.io/v1",
        .namespaced = false, .short_names = LIST("sc"), .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.storage.v1.StorageClass",
        .field_selectors = NONE,
    },
    [RES_LEASES] = {
        .id = RES_LEASES, .group = "coordination.k8s.io", .version = "v1", .kind = "Lease",
        .plural = "leases", .singular = "lease", .qualified = "leases.coordination.k8s.io",
        .gv = "coordination.k8s.io/v1", .namespaced = true, .short_names = NONE,
        .categories = NONE, .flags = 0, .name_rule = NAME_RULE_SUBDOMAIN,
        .schema = "io.k8s.api.coordination.v1.Lease", .field_selectors = NONE,
    },
    [RES_ENDPOINTSLICES] = {
        .id = RES_ENDPOINTSLICES, .group = "discovery.k8s.io", .version = "v1",
        .kind = "EndpointSlice", .plural = "endpointslices", .singular = "endpointslice",
        .qualified = "endpointslices.discovery.k8s.io", .gv = "discovery.k8s.io/v1",
        .namespaced = true, .short_names = NONE, .categories = NONE, .flags = 0,
        .name_rule = NAME_RULE_SUBDOMAIN, .schema = "io.k8s.api.discovery.v1.EndpointSlice",
        .field_selectors = NONE,
    },
};

const struct resource *resource_by_plural(const char *group, const char *version,
                                          const char *plural)
{
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (!strcmp(r->group, group) && !strcmp(r->version, version) &&
            !strcmp(r->plural, plural))
            return r;
    }
    return NULL;
}

const struct resource *resource_by_kind(const char *group, const char *kind)
{
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (!strcmp(r->group, group) && !strcmp(r->kind, kind))
            return r;
    }
    return NULL;
}

char *resource_key(const struct resource *r, const char *ns, const char *name)
{
    if (r->namespaced)
        return xasprintf("/registry/%s/%s/%s", r->plural, ns, name);
    return xasprintf("/registry/%s/%s", r->plural, name);
}

char *resource_prefix(const struct resource *r, const char *ns)
{
    if (r->namespaced && ns)
        return xasprintf("/registry/%s/%s/", r->plural, ns);
    return xasprintf("/registry/%s/", r->plural);
}

bool resource_supports_field(const struct resource *r, const char *field)
{
    if (!strcmp(field, "metadata.name") || !strcmp(field, "metadata.namespace"))
        return true;
    for (const char *const *f = r->field_selectors; *f; f++)
        if (!strcmp(*f, field))
            return true;
    return false;
}
