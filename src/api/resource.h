/* resource.h — the resource table: every kind berth serves, declared once.
 *
 * Routing, discovery, OpenAPI, Table output, field selectors and admission are all driven from
 * this table. Per-kind behaviour lives in three further tables indexed by enum res_id:
 *   - strategy (api/strategy.h): defaulting, validation, create/update preparation;
 *   - printer  (api/print.h): `kubectl get` columns and cells;
 *   - the schema type (api/schema.h), named by .schema.
 */
#ifndef BERTH_RESOURCE_H
#define BERTH_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

enum res_id {
    RES_NAMESPACES,
    RES_PODS,
    RES_SERVICES,
    RES_ENDPOINTS,
    RES_PERSISTENTVOLUMES,
    RES_PERSISTENTVOLUMECLAIMS,
    RES_EVENTS,
    RES_NODES,
    RES_CONFIGMAPS,
    RES_SECRETS,
    RES_SERVICEACCOUNTS,
    RES_STATEFULSETS,
    RES_CONTROLLERREVISIONS,
    RES_STORAGECLASSES,
    RES_LEASES,
    RES_ENDPOINTSLICES,
    RES_COUNT
};

enum res_flag {
    RES_SUB_STATUS = 1 << 0,  /* has the status subresource: the main resource ignores status
                               * changes, /status ignores everything but status */
    RES_SUB_SCALE = 1 << 1,   /* has /scale (autoscaling/v1 Scale over spec.replicas) */
    RES_SUB_BINDING = 1 << 2, /* pods/binding */
    RES_SUB_POD = 1 << 3,     /* pods/log, pods/exec, pods/eviction */
    RES_GENERATION = 1 << 4,  /* metadata.generation starts at 1, bumped on spec changes */
    RES_SUB_FINALIZE = 1 << 5,/* namespaces/finalize */
};

/* How metadata.name is checked (api/validate_meta). */
enum res_name_rule {
    NAME_RULE_SUBDOMAIN,    /* DNS-1123 subdomain (most kinds) */
    NAME_RULE_LABEL,        /* DNS-1123 label (namespaces) */
    NAME_RULE_DNS1035,      /* DNS-1035 label (services) */
    NAME_RULE_PATH_SEGMENT, /* anything but "/", "%", ".", ".." (events) */
};

struct resource {
    enum res_id id;
    const char *group;     /* "" for the core group */
    const char *version;   /* "v1" */
    const char *kind;      /* "StatefulSet" */
    const char *plural;    /* "statefulsets" */
    const char *singular;  /* "statefulset" */
    const char *qualified; /* plural.group as error messages print it: "statefulsets.apps", "pods" */
    const char *gv;        /* "v1" or "apps/v1" (the apiVersion string) */
    bool namespaced;
    const char *const *short_names; /* NULL-terminated */
    const char *const *categories;  /* NULL-terminated */
    unsigned flags;                 /* enum res_flag */
    enum res_name_rule name_rule;
    const char *schema;             /* full schema type name, e.g. "io.k8s.api.apps.v1.StatefulSet" */
    const char *const *field_selectors; /* supported besides metadata.name, metadata.namespace;
                                         * NULL-terminated */
};

extern const struct resource resources[RES_COUNT];

/* Lookups; NULL if none. group "" is core. */
const struct resource *resource_by_plural(const char *group, const char *version,
                                          const char *plural);
const struct resource *resource_by_kind(const char *group, const char *kind);
static inline const struct resource *resource_get(enum res_id id)
{
    return &resources[id];
}

/* The registry key of an object: "/registry/<plural>/<ns>/<name>" for namespaced kinds,
 * "/registry/<plural>/<name>" otherwise, as kube-apiserver lays out etcd (no plural is served
 * by two groups). Caller owns the string. */
char *resource_key(const struct resource *r, const char *ns, const char *name);
/* The key prefix listing all objects of r, or those in ns when ns is not NULL. Ends in "/".
 * Caller owns the string. */
char *resource_prefix(const struct resource *r, const char *ns);

/* Field selector support: does r support `field`? (metadata.name and metadata.namespace always) */
bool resource_supports_field(const struct resource *r, const char *field);

#endif
