/* openapi.c — the OpenAPI v3 documents, generated once from the resource table and the schema.
 *
 * One document per served group-version, shaped like kube-apiserver's: paths for every
 * resource (collection, item, status, scale), each operation tagged with
 * x-kubernetes-group-version-kind, and components.schemas holding every type reachable from
 * the group-version's kinds. Two deliberate differences, both for kubectl (KUBECTL.md §4.1):
 * PATCH operations carry no requestBody, so `kubectl apply` computes strategic merge patches
 * from its compiled-in Go types rather than from these schemas; and the schema descriptions
 * are our own.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/resource.h"
#include "api/schema.h"
#include "base/alloc.h"
#include "base/json.h"
#include "server/openapi.h"

#define REF_PREFIX "#/components/schemas/"
#define QUANTITY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define INTORSTRING "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
#define TIME "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
#define MICROTIME "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
#define RAWEXTENSION "io.k8s.apimachinery.pkg.runtime.RawExtension"
#define LISTMETA "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
#define STATUS "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
#define DELETEOPTIONS "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
#define SCALE "io.k8s.api.autoscaling.v1.Scale"

struct gvdoc {
    char *path; /* "api/v1", "apis/apps/v1" */
    char *text;
    size_t len;
    char hash[33];
};

static struct gvdoc docs[RES_COUNT];
static size_t ndocs;
static char *root_text;
static size_t root_len;
static pthread_once_t built = PTHREAD_ONCE_INIT;

/* --- schemas --- */

static void add_type(json_t *schemas, const struct sch_type *t);

static json_t *ref_to(const char *name)
{
    char *s = xasprintf(REF_PREFIX "%s", name);
    json_t *r = json_pack("{s:s}", "$ref", s);
    free(s);
    return r;
}

/* kube-apiserver's schemas for the apimachinery types that are not plain structs. */
static void add_named(json_t *schemas, const char *name)
{
    json_t *s;
    if (json_object_get(schemas, name))
        return;
    if (!strcmp(name, QUANTITY)) {
        s = json_pack("{s:s, s:[{s:s},{s:s}]}", "description",
                      "A fixed-point number with an optional unit suffix, written as a string "
                      "(\"500m\", \"1Gi\", \"2\") or a number. Binary suffixes Ki, Mi, Gi, Ti, Pi, "
                      "Ei; decimal suffixes n, u, m, k, M, G, T, P, E; or an exponent (1e3).",
                      "oneOf", "type", "string", "type", "number");
    } else if (!strcmp(name, INTORSTRING)) {
        s = json_pack("{s:s, s:s, s:[{s:s},{s:s}], s:b}", "description",
                      "An integer or a string, such as a port number or a port name, or a count "
                      "or a percentage (\"25%\").",
                      "format", "int-or-string", "oneOf", "type", "integer", "type", "string",
                      "x-kubernetes-int-or-string", 1);
    } else if (!strcmp(name, TIME)) {
        s = json_pack("{s:s, s:s, s:s}", "description",
                      "A point in time, written in RFC 3339 form in UTC with second precision "
                      "(2006-01-02T15:04:05Z).",
                      "type", "string", "format", "date-time");
    } else if (!strcmp(name, MICROTIME)) {
        s = json_pack("{s:s, s:s, s:s}", "description",
                      "A point in time with microsecond precision, written in RFC 3339 form in "
                      "UTC with six fraction digits (2006-01-02T15:04:05.000000Z).",
                      "type", "string", "format", "date-time");
    } else {
        s = json_pack("{s:s, s:s}", "description",
                      "An embedded object, kept exactly as it was written.", "type", "object");
    }
    json_object_set_new(schemas, name, s);
}

/* The schema of a value of kind r, without description; with_default adds Go's zero as the
 * default where kube-apiserver gives one (value structs, and scalars that are always
 * serialised). */
static json_t *value_schema(json_t *schemas, const struct sch_ref *r, bool with_default)
{
    json_t *s;
    const char *named = NULL;

    switch (r->kind) {
    case SCH_STRING:
        s = json_pack("{s:s}", "type", "string");
        if (with_default)
            json_object_set_new(s, "default", json_string(""));
        return s;
    case SCH_INT32:
    case SCH_INT64:
        s = json_pack("{s:s, s:s}", "type", "integer", "format",
                      r->kind == SCH_INT32 ? "int32" : "int64");
        if (with_default)
            json_object_set_new(s, "default", json_integer(0));
        return s;
    case SCH_BOOL:
        s = json_pack("{s:s}", "type", "boolean");
        if (with_default)
            json_object_set_new(s, "default", json_false());
        return s;
    case SCH_DOUBLE:
        s = json_pack("{s:s, s:s}", "type", "number", "format", "double");
        if (with_default)
            json_object_set_new(s, "default", json_integer(0));
        return s;
    case SCH_BYTES:
        return json_pack("{s:s, s:s}", "type", "string", "format", "byte");
    case SCH_QUANTITY:
        named = QUANTITY;
        break;
    case SCH_INTSTR:
        named = INTORSTRING;
        break;
    case SCH_TIME:
        named = TIME;
        break;
    case SCH_MICROTIME:
        named = MICROTIME;
        break;
    case SCH_ANY:
        named = RAWEXTENSION;
        break;
    case SCH_STRUCT:
        add_type(schemas, r->type);
        s = json_pack("{s:[o]}", "allOf", ref_to(r->type->name));
        if (with_default)
            json_object_set_new(s, "default", json_object());
        return s;
    case SCH_ARRAY:
        return json_pack("{s:s, s:o}", "type", "array", "items",
                         value_schema(schemas, r->elem, true));
    case SCH_MAP:
        return json_pack("{s:s, s:o}", "type", "object", "additionalProperties",
                         value_schema(schemas, r->elem, true));
    }
    add_named(schemas, named);
    return ref_to(named);
}

static json_t *string_list(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *field_schema(json_t *schemas, const struct sch_field *f)
{
    const struct sch_ref *r = f->ref;
    bool always = f->flags & SCH_F_VALUE;
    json_t *s = value_schema(schemas, r, always && r->kind != SCH_ARRAY && r->kind != SCH_MAP);

    /* A bare $ref cannot carry a description: wrap it, as kube-apiserver does. */
    if (json_object_get(s, "$ref")) {
        json_t *w = json_pack("{s:[o]}", "allOf", s);
        s = w;
    }
    if (f->desc && *f->desc)
        json_object_set_new(s, "description", json_string(f->desc));
    if (f->enums)
        json_object_set_new(s, "enum", string_list(f->enums));
    if (f->format)
        json_object_set_new(s, "format", json_string(f->format));
    if (f->flags & SCH_F_NULLABLE)
        json_object_set_new(s, "nullable", json_true());
    if (f->list_map_keys) {
        json_object_set_new(s, "x-kubernetes-list-map-keys", string_list(f->list_map_keys));
        json_object_set_new(s, "x-kubernetes-list-type", json_string("map"));
    } else if (f->flags & SCH_F_SET) {
        json_object_set_new(s, "x-kubernetes-list-type", json_string("set"));
    } else if ((f->flags & SCH_F_ATOMIC) && r->kind == SCH_ARRAY) {
        json_object_set_new(s, "x-kubernetes-list-type", json_string("atomic"));
    } else if (f->flags & SCH_F_ATOMIC) {
        json_object_set_new(s, "x-kubernetes-map-type", json_string("atomic"));
    }
    if (f->flags & SCH_F_MERGE)
        json_object_set_new(s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
    if (f->flags & (SCH_F_MERGE | SCH_F_SET | SCH_F_RETAINKEYS)) {
        const char *strat =
            (f->flags & SCH_F_RETAINKEYS)
                ? ((f->flags & (SCH_F_MERGE | SCH_F_SET)) ? "merge,retainKeys" : "retainKeys")
                : "merge";
        json_object_set_new(s, "x-kubernetes-patch-strategy", json_string(strat));
    }
    return s;
}

/* The group and version of a kind's schema, when the type is one we serve (or Scale). */
static json_t *gvk_list(const struct sch_type *t)
{
    if (!strcmp(t->name, SCALE))
        return json_pack("[{s:s, s:s, s:s}]", "group", "autoscaling", "kind", "Scale", "version",
                         "v1");
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (!strcmp(r->schema, t->name))
            return json_pack("[{s:s, s:s, s:s}]", "group", r->group, "kind", r->kind, "version",
                             r->version);
    }
    return NULL;
}

static void add_type(json_t *schemas, const struct sch_type *t)
{
    if (json_object_get(schemas, t->name))
        return;
    json_t *s = json_object(), *props = json_object(), *req = json_array();
    /* Registered before the fields so that a self-referencing type terminates. */
    json_object_set_new(schemas, t->name, s);
    if (t->desc && *t->desc)
        json_object_set_new(s, "description", json_string(t->desc));
    json_object_set_new(s, "type", json_string("object"));
    for (size_t i = 0; i < t->nfields; i++) {
        const struct sch_field *f = &t->fields[i];
        json_object_set_new(props, f->name, field_schema(schemas, f));
        if (f->flags & SCH_F_REQUIRED)
            json_array_append_new(req, json_string(f->name));
    }
    if (json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    json_object_set_new(s, "properties", props);
    json_t *gvk = gvk_list(t);
    if (gvk)
        json_object_set_new(s, "x-kubernetes-group-version-kind", gvk);
}

/* <Kind>List, which the schema files do not declare: apiVersion, items, kind, metadata. */
static void add_list_type(json_t *schemas, const struct resource *r, const char *list_name)
{
    char *kind_list = xasprintf("%sList", r->kind);
    char *desc = xasprintf("A list of %s objects.", r->kind);
    char *items_desc = xasprintf("The %s objects.", r->kind);
    json_t *items = json_pack("{s:[o], s:o}", "allOf", ref_to(r->schema), "default", json_object());

    json_object_set_new(
        schemas, list_name,
        json_pack("{s:s, s:s, s:[s], s:{s:{s:s, s:s}, s:{s:s, s:s, s:o}, s:{s:s, s:s}, "
                  "s:{s:[o], s:o, s:s}}, s:[{s:s, s:s, s:s}]}",
                  "description", desc, "type", "object", "required", "items", "properties",
                  "apiVersion", "type", "string", "description",
                  "The versioned schema of this list.", "items", "type", "array", "description",
                  items_desc, "items", items, "kind", "type", "string", "description",
                  "The kind of this list.", "metadata", "allOf", ref_to(LISTMETA), "default",
                  json_object(), "description", "Standard list metadata.",
                  "x-kubernetes-group-version-kind", "group", r->group, "kind", kind_list,
                  "version", r->version));
    const struct sch_type *lm = sch_type_find(LISTMETA);
    if (lm)
        add_type(schemas, lm);
    free(kind_list);
    free(desc);
    free(items_desc);
}

/* --- paths and operations --- */

struct param {
    const char *name, *desc, *type;
};

static const struct param p_pretty = {"pretty", "If 'true', the output is indented.", "string"};
static const struct param p_dryrun = {
    "dryRun", "When present (All), the request is checked but nothing is persisted.", "string"};
static const struct param p_fieldmanager = {
    "fieldManager", "Name of the actor making the change, recorded for field ownership.", "string"};
static const struct param p_fieldvalidation = {
    "fieldValidation",
    "How the server treats fields it does not know: Ignore drops them, Warn (the default) drops "
    "them with a warning, Strict refuses the request.",
    "string"};
static const struct param p_force = {
    "force", "Apply patches only: take over fields owned by other managers.", "boolean"};
static const struct param list_params[] = {
    {"allowWatchBookmarks", "Ask for BOOKMARK events in a watch.", "boolean"},
    {"continue", "The token of the next page, from a previous list.", "string"},
    {"fieldSelector", "Select objects by field values (metadata.name=web-0).", "string"},
    {"labelSelector", "Select objects by labels (app=web, tier in (a,b)).", "string"},
    {"limit", "The most objects to return in one page.", "integer"},
    {"resourceVersion", "List or watch from this resource version.", "string"},
    {"resourceVersionMatch", "How resourceVersion is matched for a list.", "string"},
    {"sendInitialEvents", "Start a watch with the current state as synthetic events.", "boolean"},
    {"timeoutSeconds", "End the list or watch after this many seconds.", "integer"},
    {"watch", "Stream changes instead of returning a list.", "boolean"},
};
static const struct param delete_params[] = {
    {"gracePeriodSeconds", "Seconds before the object is deleted; 0 deletes at once.", "integer"},
    {"orphanDependents", "Deprecated: use propagationPolicy.", "boolean"},
    {"propagationPolicy", "Orphan, Background or Foreground: what happens to dependents.",
     "string"},
};

static json_t *param_json(const struct param *p, const char *in)
{
    json_t *schema = json_pack("{s:s}", "type", p->type);
    if (!strcmp(p->type, "string"))
        json_object_set_new(schema, "uniqueItems", json_true());
    return json_pack("{s:s, s:s, s:s, s:o}", "name", p->name, "in", in, "description", p->desc,
                     "schema", schema);
}

static json_t *path_param(const char *name, const char *desc)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}", "name", name, "in", "path",
                     "description", desc, "required", 1, "schema", "type", "string", "uniqueItems",
                     1);
}

static json_t *content(const char *schema_name)
{
    return json_pack("{s:{s:o}, s:{s:o}}", "application/json", "schema", ref_to(schema_name),
                     "application/yaml", "schema", ref_to(schema_name));
}

static json_t *responses(const char *schema_name, const char *const *codes)
{
    json_t *r = json_object();
    for (; *codes; codes++) {
        const char *d = !strcmp(*codes, "201")   ? "Created"
                        : !strcmp(*codes, "202") ? "Accepted"
                                                 : "OK";
        json_object_set_new(
            r, *codes, json_pack("{s:s, s:o}", "description", d, "content", content(schema_name)));
    }
    json_object_set_new(r, "401", json_pack("{s:s}", "description", "Unauthorized"));
    return r;
}

struct opctx {
    const char *group, *version, *kind; /* the GVK of the operation's object */
    const char *prefix;                 /* operationId stem: "AppsV1" */
    const char *tag;                    /* "apps_v1" */
};

/* One operation. verb is the operationId verb (read, list, create...), action the
 * x-kubernetes-action, what the rest of the operationId ("NamespacedStatefulSetStatus"). */
static json_t *operation(const struct opctx *c, const char *verb, const char *action,
                         const char *what, const char *desc, const char *resp_schema,
                         const char *const *codes, const char *body_schema)
{
    char *opid = xasprintf("%s%s%s", verb, c->prefix, what);
    json_t *params = json_array();
    json_t *op =
        json_pack("{s:s, s:s, s:[s]}", "description", desc, "operationId", opid, "tags", c->tag);

    if (!strcmp(action, "list") || !strcmp(action, "deletecollection"))
        for (size_t i = 0; i < ARRAY_SIZE(list_params); i++)
            json_array_append_new(params, param_json(&list_params[i], "query"));
    if (!strcmp(action, "post") || !strcmp(action, "put") || !strcmp(action, "patch") ||
        !strcmp(action, "delete") || !strcmp(action, "deletecollection"))
        json_array_append_new(params, param_json(&p_dryrun, "query"));
    if (!strcmp(action, "post") || !strcmp(action, "put") || !strcmp(action, "patch")) {
        json_array_append_new(params, param_json(&p_fieldmanager, "query"));
        json_array_append_new(params, param_json(&p_fieldvalidation, "query"));
    }
    if (!strcmp(action, "patch"))
        json_array_append_new(params, param_json(&p_force, "query"));
    if (!strcmp(action, "delete") || !strcmp(action, "deletecollection"))
        for (size_t i = 0; i < ARRAY_SIZE(delete_params); i++)
            json_array_append_new(params, param_json(&delete_params[i], "query"));
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    /* No requestBody on PATCH: see the comment at the top of this file. */
    if (body_schema)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:{s:{s:o}}, s:b}", "content", "*/*", "schema",
                                      ref_to(body_schema), "required",
                                      strcmp(action, "delete") != 0));
    json_object_set_new(op, "responses", responses(resp_schema, codes));
    json_object_set_new(op, "x-kubernetes-action", json_string(action));
    json_object_set_new(
        op, "x-kubernetes-group-version-kind",
        json_pack("{s:s, s:s, s:s}", "group", c->group, "kind", c->kind, "version", c->version));
    free(opid);
    return op;
}

static const char *const C200[] = {"200", NULL};
static const char *const C200_201[] = {"200", "201", NULL};
static const char *const C200_201_202[] = {"200", "201", "202", NULL};
static const char *const C200_202[] = {"200", "202", NULL};

static json_t *path_item(bool namespaced, bool named)
{
    json_t *params = json_array();
    if (named)
        json_array_append_new(params, path_param("name", "Name of the object."));
    if (namespaced)
        json_array_append_new(params, path_param("namespace", "Namespace of the objects, for "
                                                              "namespace-scoped kinds."));
    json_array_append_new(params, param_json(&p_pretty, "query"));
    return json_pack("{s:o}", "parameters", params);
}

static void add_resource_paths(json_t *paths, json_t *schemas, const struct resource *r,
                               const char *prefix_path, const char *opstem, const char *tag)
{
    const char *scope = r->namespaced ? "Namespaced" : "";
    char *coll = r->namespaced ? xasprintf("%s/namespaces/{namespace}/%s", prefix_path, r->plural)
                               : xasprintf("%s/%s", prefix_path, r->plural);
    char *item = xasprintf("%s/{name}", coll);
    char *list_name = xasprintf("%sList", r->schema);
    char *what = xasprintf("%s%s", scope, r->kind);
    char *what_coll = xasprintf("Collection%s%s", scope, r->kind);
    char *d;
    struct opctx c = {r->group, r->version, r->kind, opstem, tag};
    json_t *p;

    add_list_type(schemas, r, list_name);

    p = path_item(r->namespaced, false);
    d = xasprintf("List or watch %s objects.", r->kind);
    json_object_set_new(p, "get", operation(&c, "list", "list", what, d, list_name, C200, NULL));
    free(d);
    d = xasprintf("Create a %s.", r->kind);
    json_object_set_new(
        p, "post", operation(&c, "create", "post", what, d, r->schema, C200_201_202, r->schema));
    free(d);
    d = xasprintf("Delete a collection of %s objects.", r->kind);
    json_object_set_new(
        p, "delete",
        operation(&c, "delete", "deletecollection", what_coll, d, STATUS, C200, DELETEOPTIONS));
    free(d);
    json_object_set_new(paths, coll, p);

    p = path_item(r->namespaced, true);
    d = xasprintf("Read the specified %s.", r->kind);
    json_object_set_new(p, "get", operation(&c, "read", "get", what, d, r->schema, C200, NULL));
    free(d);
    d = xasprintf("Replace the specified %s.", r->kind);
    json_object_set_new(p, "put",
                        operation(&c, "replace", "put", what, d, r->schema, C200_201, r->schema));
    free(d);
    d = xasprintf("Partially update the specified %s.", r->kind);
    json_object_set_new(p, "patch",
                        operation(&c, "patch", "patch", what, d, r->schema, C200_201, NULL));
    free(d);
    d = xasprintf("Delete a %s.", r->kind);
    json_object_set_new(
        p, "delete", operation(&c, "delete", "delete", what, d, STATUS, C200_202, DELETEOPTIONS));
    free(d);
    json_object_set_new(paths, item, p);

    if (r->flags & RES_SUB_STATUS) {
        char *sub = xasprintf("%s/status", item);
        char *w = xasprintf("%sStatus", what);
        p = path_item(r->namespaced, true);
        d = xasprintf("Read the status of the specified %s.", r->kind);
        json_object_set_new(p, "get", operation(&c, "read", "get", w, d, r->schema, C200, NULL));
        free(d);
        d = xasprintf("Replace the status of the specified %s.", r->kind);
        json_object_set_new(p, "put",
                            operation(&c, "replace", "put", w, d, r->schema, C200_201, r->schema));
        free(d);
        d = xasprintf("Partially update the status of the specified %s.", r->kind);
        json_object_set_new(p, "patch",
                            operation(&c, "patch", "patch", w, d, r->schema, C200_201, NULL));
        free(d);
        json_object_set_new(paths, sub, p);
        free(sub);
        free(w);
    }
    if (r->flags & RES_SUB_SCALE) {
        char *sub = xasprintf("%s/scale", item);
        char *w = xasprintf("%sScale", what);
        struct opctx sc = {"autoscaling", "v1", "Scale", opstem, tag};
        const struct sch_type *st = sch_type_find(SCALE);
        if (st)
            add_type(schemas, st);
        p = path_item(r->namespaced, true);
        d = xasprintf("Read the scale of the specified %s.", r->kind);
        json_object_set_new(p, "get", operation(&sc, "read", "get", w, d, SCALE, C200, NULL));
        free(d);
        d = xasprintf("Replace the scale of the specified %s.", r->kind);
        json_object_set_new(p, "put",
                            operation(&sc, "replace", "put", w, d, SCALE, C200_201, SCALE));
        free(d);
        d = xasprintf("Partially update the scale of the specified %s.", r->kind);
        json_object_set_new(p, "patch",
                            operation(&sc, "patch", "patch", w, d, SCALE, C200_201, NULL));
        free(d);
        json_object_set_new(paths, sub, p);
        free(sub);
        free(w);
    }
    if (r->namespaced) {
        char *all = xasprintf("%s/%s", prefix_path, r->plural);
        char *w = xasprintf("%sForAllNamespaces", r->kind);
        p = path_item(false, false);
        d = xasprintf("List or watch %s objects in every namespace.", r->kind);
        json_object_set_new(p, "get", operation(&c, "list", "list", w, d, list_name, C200, NULL));
        free(d);
        json_object_set_new(paths, all, p);
        free(all);
        free(w);
    }
    free(coll);
    free(item);
    free(list_name);
    free(what);
    free(what_coll);
}

/* "AppsV1", "CoreV1", "StorageV1" (the first label of the group, capitalised) and the tag
 * "apps_v1". Caller owns both strings. */
static void gv_names(const char *group, const char *version, char **stem, char **tag)
{
    const char *g = *group ? group : "core";
    int l = (int)strcspn(g, ".");

    *tag = xasprintf("%.*s_%s", l, g, version);
    *stem = xasprintf("%c%.*s%c%s", toupper((unsigned char)g[0]), l - 1, g + 1,
                      toupper((unsigned char)version[0]), version + 1);
}

static void content_hash(const char *s, size_t len, char out[33])
{
    /* Two FNV-1a passes with different offsets: only equality matters (kubectl's cache key). */
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
    for (size_t i = 0; i < len; i++) {
        a = (a ^ (unsigned char)s[i]) * 0x100000001b3ULL;
        b = (b ^ (unsigned char)s[len - 1 - i]) * 0x100000001b3ULL;
    }
    snprintf(out, 33, "%016llX%016llX", (unsigned long long)a, (unsigned long long)b);
}

static void build_doc(struct gvdoc *doc, const char *group, const char *version)
{
    json_t *paths = json_object(), *schemas = json_object();
    char *stem, *tag;
    char *prefix =
        *group ? xasprintf("/apis/%s/%s", group, version) : xasprintf("/api/%s", version);

    gv_names(group, version, &stem, &tag);
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        if (strcmp(r->group, group) || strcmp(r->version, version))
            continue;
        const struct sch_type *t = sch_type_find(r->schema);
        if (t) {
            add_type(schemas, t);
        } else {
            /* No schema yet: still a kind kubectl can find and validate server-side. */
            json_object_set_new(schemas, r->schema,
                                json_pack("{s:s, s:b, s:[{s:s, s:s, s:s}]}", "type", "object",
                                          "x-kubernetes-preserve-unknown-fields", 1,
                                          "x-kubernetes-group-version-kind", "group", r->group,
                                          "kind", r->kind, "version", r->version));
        }
        add_resource_paths(paths, schemas, r, prefix, stem, tag);
    }
    const char *common[] = {STATUS, DELETEOPTIONS};
    for (size_t i = 0; i < ARRAY_SIZE(common); i++) {
        const struct sch_type *t = sch_type_find(common[i]);
        if (t)
            add_type(schemas, t);
    }
    char *title =
        *group ? xasprintf("berth %s/%s", group, version) : xasprintf("berth %s", version);
    json_t *d =
        json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0", "info", "title", title,
                  "version", "v1.32.4", "paths", paths, "components", "schemas", schemas);
    doc->path = xstrdup(prefix + 1);
    doc->text = json_dumps(d, JSON_COMPACT);
    if (!doc->text)
        abort();
    doc->len = strlen(doc->text);
    content_hash(doc->text, doc->len, doc->hash);
    json_decref(d);
    free(title);
    free(prefix);
    free(stem);
    free(tag);
}

static void build_all(void)
{
    json_t *root_paths = json_object();

    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        char *path = *r->group ? xasprintf("apis/%s/%s", r->group, r->version)
                               : xasprintf("api/%s", r->version);
        bool seen = false;
        for (size_t j = 0; j < ndocs; j++)
            seen |= !strcmp(docs[j].path, path);
        if (!seen) {
            struct gvdoc *d = &docs[ndocs++];
            build_doc(d, r->group, r->version);
            char *url = xasprintf("/openapi/v3/%s?hash=%s", d->path, d->hash);
            json_object_set_new(root_paths, d->path, json_pack("{s:s}", "serverRelativeURL", url));
            free(url);
        }
        free(path);
    }
    json_t *root = json_pack("{s:o}", "paths", root_paths);
    root_text = json_dumps(root, JSON_COMPACT);
    if (!root_text)
        abort();
    root_len = strlen(root_text);
    json_decref(root);
}

const char *openapi_v3_root(size_t *len)
{
    pthread_once(&built, build_all);
    if (len)
        *len = root_len;
    return root_text;
}

const char *openapi_v3_doc(const char *gvpath, size_t *len, const char **etag)
{
    pthread_once(&built, build_all);
    for (size_t i = 0; i < ndocs; i++) {
        if (strcmp(docs[i].path, gvpath))
            continue;
        if (len)
            *len = docs[i].len;
        if (etag)
            *etag = docs[i].hash;
        return docs[i].text;
    }
    return NULL;
}
