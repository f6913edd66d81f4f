#include "test.h"

#include <pthread.h>

#include "api/resource.h"
#include "base/alloc.h"
#include "server/openapi.h"

/* Walk n object keys (which may contain dots and slashes). Borrowed; NULL if absent. */
static json_t *jdig(const json_t *v, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n && v; i++)
        v = jget(v, va_arg(ap, const char *));
    va_end(ap);
    return (json_t *)v;
}

static char *gv_path(const struct resource *r)
{
    return *r->group ? xasprintf("apis/%s/%s", r->group, r->version)
                     : xasprintf("api/%s", r->version);
}

/* The parsed document of r's group-version (caller owns it). */
static json_t *doc_for(const char *gvpath)
{
    size_t len = 0;
    const char *etag = NULL;
    const char *text = openapi_v3_doc(gvpath, &len, &etag);
    json_error_t e;

    if (!text)
        fail_msg("no OpenAPI document for %s", gvpath);
    assert_int_equal(strlen(text), len);
    assert_non_null(etag);
    json_t *d = json_loadb(text, len, 0, &e);
    if (!d)
        fail_msg("document %s is not JSON: %s", gvpath, e.text);
    return d;
}

static void test_root(void **state)
{
    size_t len = 0;
    const char *root = openapi_v3_root(&len);
    json_t *r = tj(root);

    assert_int_equal(strlen(root), len);
    assert_null(strchr(root, '\n')); /* compact */
    json_t *paths = json_object_get(r, "paths");
    const char *want[] = {"api/v1", "apis/apps/v1", "apis/storage.k8s.io/v1",
                          "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1"};
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        json_t *e = json_object_get(paths, want[i]);
        if (!e)
            fail_msg("root lacks %s", want[i]);
        const char *etag = NULL;
        assert_non_null(openapi_v3_doc(want[i], NULL, &etag));
        char *url = xasprintf("/openapi/v3/%s?hash=%s", want[i], etag);
        assert_string_equal(jget_str(e, "serverRelativeURL"), url);
        free(url);
    }
    /* every served group-version, and nothing else */
    for (int i = 0; i < RES_COUNT; i++) {
        char *p = gv_path(&resources[i]);
        assert_non_null(json_object_get(paths, p));
        free(p);
    }
    assert_int_equal(json_object_size(paths), ARRAY_SIZE(want));
    assert_null(openapi_v3_doc("apis/nope/v1", NULL, NULL));
    assert_null(openapi_v3_doc("/apis/apps/v1", NULL, NULL));
    json_decref(r);
}

static bool has_query_param(const json_t *op, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        if (!strcmp(jget_str(p, "name"), name) && !strcmp(jget_str(p, "in"), "query"))
            return true;
    }
    return false;
}

static void assert_gvk(const json_t *gvk, const char *group, const char *version, const char *kind)
{
    assert_non_null(gvk);
    assert_string_equal(jget_str(gvk, "group"), group);
    assert_string_equal(jget_str(gvk, "version"), version);
    assert_string_equal(jget_str(gvk, "kind"), kind);
}

/* kubectl apply/edit decide on server-side field validation by finding, in the GV document, a
 * PATCH operation tagged with the object's GVK that takes fieldValidation (KUBECTL.md §4.1). */
static void test_patch_ops_for_every_kind(void **state)
{
    for (int i = 0; i < RES_COUNT; i++) {
        const struct resource *r = &resources[i];
        char *gv = gv_path(r);
        json_t *d = doc_for(gv);
        char *item = r->namespaced
                         ? xasprintf("/%s/namespaces/{namespace}/%s/{name}", gv, r->plural)
                         : xasprintf("/%s/%s/{name}", gv, r->plural);
        json_t *patch = jget(jget(jget(d, "paths"), item), "patch");
        if (!patch)
            fail_msg("no PATCH operation at %s", item);
        assert_gvk(jget(patch, "x-kubernetes-group-version-kind"), r->group, r->version, r->kind);
        assert_true(has_query_param(patch, "fieldValidation"));
        assert_string_equal(jget_str(patch, "x-kubernetes-action"), "patch");
        /* the kind's schema carries its GVK, for kubectl explain */
        json_t *schema = jget(jget(jget(d, "components"), "schemas"), r->schema);
        assert_non_null(schema);
        assert_gvk(json_array_get(jget(schema, "x-kubernetes-group-version-kind"), 0), r->group,
                   r->version, r->kind);
        /* the collection and its verbs */
        char *coll = xasprintf("%.*s", (int)(strlen(item) - strlen("/{name}")), item);
        json_t *c = jget(jget(d, "paths"), coll);
        assert_non_null(jget(c, "get"));
        assert_non_null(jget(c, "post"));
        assert_non_null(jget(c, "delete"));
        assert_true(has_query_param(jget(c, "post"), "fieldValidation"));
        assert_true(has_query_param(jget(c, "get"), "watch"));
        assert_non_null(jget(jget(jget(d, "paths"), item), "get"));
        assert_non_null(jget(jget(jget(d, "paths"), item), "put"));
        assert_non_null(jget(jget(jget(d, "paths"), item), "delete"));
        if (r->flags & RES_SUB_STATUS) {
            char *st = xasprintf("%s/status", item);
            json_t *sp = jget(jget(jget(d, "paths"), st), "patch");
            if (!sp)
                fail_msg("no status PATCH at %s", st);
            assert_gvk(jget(sp, "x-kubernetes-group-version-kind"), r->group, r->version, r->kind);
            free(st);
        }
        free(coll);
        free(item);
        free(gv);
        json_decref(d);
    }
}

/* No PATCH operation has a requestBody: kubectl would then compute strategic merge patches
 * from our schemas instead of its own Go types (KUBECTL.md §4.1). */
static void test_no_patch_request_body(void **state)
{
    const char *gvs[] = {"api/v1", "apis/apps/v1", "apis/storage.k8s.io/v1",
                         "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1"};
    for (size_t i = 0; i < ARRAY_SIZE(gvs); i++) {
        json_t *d = doc_for(gvs[i]), *item;
        const char *path;
        size_t npatch = 0;
        json_object_foreach(jget(d, "paths"), path, item)
        {
            json_t *patch = jget(item, "patch");
            if (!patch)
                continue;
            npatch++;
            if (jget(patch, "requestBody"))
                fail_msg("PATCH %s has a requestBody", path);
            assert_true(has_query_param(patch, "fieldValidation"));
        }
        assert_true(npatch > 0);
        json_decref(d);
    }
}

static void check_refs(const json_t *v, const json_t *schemas, size_t *nrefs)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!strcmp(k, "$ref")) {
                const char *ref = json_string_value(x);
                const char *prefix = "#/components/schemas/";
                assert_non_null(ref);
                if (strncmp(ref, prefix, strlen(prefix)))
                    fail_msg("$ref outside components.schemas: %s", ref);
                if (!json_object_get(schemas, ref + strlen(prefix)))
                    fail_msg("dangling $ref %s", ref);
                (*nrefs)++;
            } else {
                check_refs(x, schemas, nrefs);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach((json_t *)v, i, x) check_refs(x, schemas, nrefs);
    }
}

static void test_refs_resolve(void **state)
{
    const char *gvs[] = {"api/v1", "apis/apps/v1", "apis/storage.k8s.io/v1",
                         "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1"};
    for (size_t i = 0; i < ARRAY_SIZE(gvs); i++) {
        json_t *d = doc_for(gvs[i]);
        size_t n = 0;
        check_refs(d, jget(jget(d, "components"), "schemas"), &n);
        assert_true(n > 10);
        json_decref(d);
    }
}

#define SCHEMA(d, name) jget(jget(jget(d, "components"), "schemas"), name)
#define PROP(s, name) jget(jget(s, "properties"), name)

static const char *ref_of(const json_t *prop)
{
    const json_t *r = jget(prop, "$ref") ? prop : json_array_get(jget(prop, "allOf"), 0);
    return jget_str(r, "$ref");
}

static bool array_has(const json_t *a, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach((json_t *)a, i,
                       x) if (json_is_string(x) && !strcmp(json_string_value(x), s)) return true;
    return false;
}

/* The StatefulSet schema, upstream-style, down to the leaves kubectl explain shows. */
static void test_statefulset_schema(void **state)
{
    json_t *d = doc_for("apis/apps/v1");
    json_t *sts = SCHEMA(d, "io.k8s.api.apps.v1.StatefulSet");

    assert_non_null(sts);
    assert_string_equal(jget_str(sts, "type"), "object");
    assert_non_null(jget_str(sts, "description"));
    assert_gvk(json_array_get(jget(sts, "x-kubernetes-group-version-kind"), 0), "apps", "v1",
               "StatefulSet");
    json_t *spec = PROP(sts, "spec");
    assert_string_equal(ref_of(spec), "#/components/schemas/io.k8s.api.apps.v1.StatefulSetSpec");
    assert_json_eq(jget(spec, "default"), "{}");
    assert_string_equal(ref_of(PROP(sts, "metadata")),
                        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

    json_t *ss = SCHEMA(d, "io.k8s.api.apps.v1.StatefulSetSpec");
    json_t *req = jget(ss, "required");
    assert_true(array_has(req, "selector"));
    assert_true(array_has(req, "template"));
    assert_true(array_has(req, "serviceName"));
    assert_false(array_has(req, "replicas"));
    assert_json_eq(PROP(ss, "serviceName"),
                   "{\"type\":\"string\",\"default\":\"\",\"description\":"
                   "\"The headless service that gives the pods their DNS names "
                   "(<pod>.<service>.<namespace>.svc). It should exist before the set.\"}");
    assert_json_eq(jget(PROP(ss, "podManagementPolicy"), "enum"),
                   "[\"OrderedReady\",\"Parallel\"]");
    json_t *vct = PROP(ss, "volumeClaimTemplates");
    assert_string_equal(jget_str(vct, "type"), "array");
    assert_string_equal(jget_str(vct, "x-kubernetes-list-type"), "atomic");
    assert_string_equal(ref_of(jget(vct, "items")),
                        "#/components/schemas/io.k8s.api.core.v1.PersistentVolumeClaim");
    assert_json_eq(jget(jget(vct, "items"), "default"), "{}");

    json_t *ru = SCHEMA(d, "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy");
    json_t *part = PROP(ru, "partition");
    assert_string_equal(jget_str(part, "type"), "integer");
    assert_string_equal(jget_str(part, "format"), "int32");
    assert_null(jget(part, "default")); /* a pointer: no default */
    assert_string_equal(ref_of(PROP(ru, "maxUnavailable")),
                        "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    json_t *ios = SCHEMA(d, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assert_true(json_is_true(jget(ios, "x-kubernetes-int-or-string")));
    assert_string_equal(jget_str(ios, "format"), "int-or-string");

    json_t *status = SCHEMA(d, "io.k8s.api.apps.v1.StatefulSetStatus");
    json_t *conds = PROP(status, "conditions");
    assert_string_equal(jget_str(conds, "x-kubernetes-patch-merge-key"), "type");
    assert_string_equal(jget_str(conds, "x-kubernetes-patch-strategy"), "merge");
    assert_string_equal(jget_str(conds, "x-kubernetes-list-type"), "map");
    assert_json_eq(jget(conds, "x-kubernetes-list-map-keys"), "[\"type\"]");
    assert_json_eq(jget(PROP(status, "replicas"), "default"), "0");
    assert_true(array_has(jget(status, "required"), "replicas"));
    assert_string_equal(jget_str(PROP(status, "observedGeneration"), "format"), "int64");

    json_t *om = SCHEMA(d, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert_string_equal(ref_of(PROP(om, "creationTimestamp")),
                        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time");
    assert_string_equal(jget_str(SCHEMA(d, "io.k8s.apimachinery.pkg.apis.meta.v1.Time"), "format"),
                        "date-time");
    json_t *labels = PROP(om, "labels");
    assert_string_equal(jget_str(labels, "type"), "object");
    assert_json_eq(jget(labels, "additionalProperties"), "{\"type\":\"string\",\"default\":\"\"}");
    json_t *owners = PROP(om, "ownerReferences");
    assert_string_equal(jget_str(owners, "x-kubernetes-patch-merge-key"), "uid");
    json_t *fin = PROP(om, "finalizers");
    assert_string_equal(jget_str(fin, "x-kubernetes-list-type"), "set");
    assert_string_equal(jget_str(fin, "x-kubernetes-patch-strategy"), "merge");

    /* ControllerRevision.data is free-form */
    json_t *cr = SCHEMA(d, "io.k8s.api.apps.v1.ControllerRevision");
    assert_string_equal(ref_of(PROP(cr, "data")),
                        "#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension");
    assert_string_equal(jget_str(PROP(cr, "revision"), "format"), "int64");

    /* lists */
    json_t *list = SCHEMA(d, "io.k8s.api.apps.v1.StatefulSetList");
    assert_gvk(json_array_get(jget(list, "x-kubernetes-group-version-kind"), 0), "apps", "v1",
               "StatefulSetList");
    json_t *resp = jdig(d, 7, "paths", "/apis/apps/v1/statefulsets", "get", "responses", "200",
                        "content", "application/json");
    assert_string_equal(ref_of(jget(resp, "schema")),
                        "#/components/schemas/io.k8s.api.apps.v1.StatefulSetList");
    json_decref(d);
}

/* The scale subresource speaks autoscaling/v1 Scale, whose schema the apps document carries. */
static void test_scale_subresource(void **state)
{
    json_t *d = doc_for("apis/apps/v1");
    json_t *item =
        jdig(d, 2, "paths", "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale");

    assert_non_null(item);
    assert_gvk(jdig(item, 2, "patch", "x-kubernetes-group-version-kind"), "autoscaling", "v1",
               "Scale");
    assert_true(has_query_param(jget(item, "patch"), "fieldValidation"));
    assert_gvk(jdig(item, 2, "get", "x-kubernetes-group-version-kind"), "autoscaling", "v1",
               "Scale");
    json_t *scale = SCHEMA(d, "io.k8s.api.autoscaling.v1.Scale");
    assert_gvk(json_array_get(jget(scale, "x-kubernetes-group-version-kind"), 0), "autoscaling",
               "v1", "Scale");
    /* controllerrevisions have no subresources */
    assert_null(jdig(d, 2, "paths",
                     "/apis/apps/v1/namespaces/{namespace}/controllerrevisions/{name}/status"));
    json_decref(d);
}

/* Core kinds: cluster-scoped paths and Quantity maps. */
static void test_core_document(void **state)
{
    json_t *d = doc_for("api/v1");

    assert_non_null(jdig(d, 3, "paths", "/api/v1/namespaces/{name}", "patch"));
    assert_non_null(jdig(d, 3, "paths", "/api/v1/persistentvolumes/{name}", "patch"));
    assert_non_null(
        jdig(d, 3, "paths", "/api/v1/namespaces/{namespace}/pods/{name}/status", "put"));
    assert_null(jdig(d, 2, "paths", "/api/v1/namespaces/{namespace}/persistentvolumes/{name}"));
    json_t *q = SCHEMA(d, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_non_null(q);
    assert_json_eq(jget(q, "oneOf"), "[{\"type\":\"string\"},{\"type\":\"number\"}]");
    json_t *rr = SCHEMA(d, "io.k8s.api.core.v1.ResourceRequirements");
    assert_string_equal(ref_of(jdig(rr, 3, "properties", "limits", "additionalProperties")),
                        "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_gvk(json_array_get(
                   jget(SCHEMA(d, "io.k8s.api.core.v1.Pod"), "x-kubernetes-group-version-kind"), 0),
               "", "v1", "Pod");
    json_decref(d);
}

static void *racer(void *arg)
{
    size_t n;
    return (void *)openapi_v3_root(&n);
}

/* Built once, whoever asks first: concurrent callers get the same text. */
static void test_once(void **state)
{
    pthread_t t[4];
    void *got[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], &got[i]), 0);
    for (int i = 1; i < 4; i++)
        assert_ptr_equal(got[i], got[0]);
    const char *e1, *e2;
    const char *a = openapi_v3_doc("apis/apps/v1", NULL, &e1);
    const char *b = openapi_v3_doc("apis/apps/v1", NULL, &e2);
    assert_ptr_equal(a, b);
    assert_string_equal(e1, e2);
    assert_int_equal(strlen(e1), 32);
    openapi_v3_doc("api/v1", NULL, &e2);
    assert_string_not_equal(e1, e2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_patch_ops_for_every_kind),
        cmocka_unit_test(test_no_patch_request_body),
        cmocka_unit_test(test_refs_resolve),
        cmocka_unit_test(test_statefulset_schema),
        cmocka_unit_test(test_scale_subresource),
        cmocka_unit_test(test_core_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
