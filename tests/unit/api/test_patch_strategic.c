/* Strategic merge patch: upstream's strategicpatch test tables (patch_test.go, ported case by
 * case: every two-way patch applied to its original, every three-way patch to its current),
 * the exact patches kubectl sends (KUBECTL.md §9.1, §9.6, §9.7, §9.8, §9.11, §10), errors and
 * their status codes.
 *
 * The schema tables are written here by hand: MergeItem mirrors upstream's test struct, the
 * others mirror the patch metadata of the real core/apps types. */
#include <errno.h>
#include <time.h>

#include "test.h"

#include "api/patch.h"
#include "base/alloc.h"

/* --- schema: upstream's MergeItem / RetainKeysMergeItem --- */

/* clang-format off */
#define F(n, r) {.name = n, .ref = r}
#define FM(n, r, k) {.name = n, .ref = r, .flags = SCH_F_MERGE, .merge_key = k}
#define FMR(n, r, k) {.name = n, .ref = r, .flags = SCH_F_MERGE | SCH_F_RETAINKEYS, .merge_key = k}
#define FS(n, r) {.name = n, .ref = r, .flags = SCH_F_SET}
#define FR(n, r) {.name = n, .ref = r, .flags = SCH_F_RETAINKEYS}
#define TYPE(var, nm, fl)                                                                          \
    static const struct sch_type var = {.name = "test." nm, .go_name = nm, .fields = fl,           \
                                        .nfields = ARRAY_SIZE(fl)}
/* clang-format on */

static const struct sch_type t_mergeitem, t_retainkeys;

static const struct sch_ref r_string = {SCH_STRING, NULL, NULL};
static const struct sch_ref r_int = {SCH_INT64, NULL, NULL};
static const struct sch_ref r_int32 = {SCH_INT32, NULL, NULL};
static const struct sch_ref r_bool = {SCH_BOOL, NULL, NULL};
static const struct sch_ref r_double = {SCH_DOUBLE, NULL, NULL};
static const struct sch_ref r_any = {SCH_ANY, NULL, NULL};
static const struct sch_ref r_item = {SCH_STRUCT, &t_mergeitem, NULL};
static const struct sch_ref r_items = {SCH_ARRAY, NULL, &r_item};
static const struct sch_ref r_ints = {SCH_ARRAY, NULL, &r_int};
static const struct sch_ref r_strings = {SCH_ARRAY, NULL, &r_string};
static const struct sch_ref r_strmap = {SCH_MAP, NULL, &r_string};
static const struct sch_ref r_retainkeys = {SCH_STRUCT, &t_retainkeys, NULL};

static const struct sch_field f_mergeitem[] = {
    F("name", &r_string),
    F("value", &r_string),
    F("other", &r_string),
    FM("mergingList", &r_items, "name"),
    F("nonMergingList", &r_items),
    FS("mergingIntList", &r_ints),
    F("nonMergingIntList", &r_ints),
    FM("mergeItemPtr", &r_items, "name"), /* a *MergeItem upstream, used as a list */
    F("simpleMap", &r_strmap),
    F("replacingItem", &r_any),
    FR("retainKeysMap", &r_retainkeys),
    FMR("retainKeysMergingList", &r_items, "name"),
    FS("setOfMaps", &r_items), /* patchStrategy merge without a key: not mergeable */
    F("int32", &r_int32),
    F("int64", &r_int),
    F("float64", &r_double),
    F("flag", &r_bool),
};
TYPE(t_mergeitem, "mergeItem", f_mergeitem);

static const struct sch_field f_retainkeys[] = {
    F("name", &r_string),          F("value", &r_string),
    F("other", &r_string),         F("simpleMap", &r_strmap),
    FS("mergingIntList", &r_ints), FM("mergingList", &r_items, "name"),
    F("nonMergingList", &r_items),
};
TYPE(t_retainkeys, "retainKeysMergeItem", f_retainkeys);

/* --- schema: the patch metadata of core/v1 and apps/v1, as far as these tests need it --- */

static const struct sch_type t_meta, t_ownerref, t_selector, t_port, t_env, t_envsource, t_fieldref,
    t_mount, t_resources, t_container, t_volume, t_hostpath, t_emptydir, t_pvcsource, t_cmsource,
    t_toleration, t_localref, t_podspec, t_template, t_pvc, t_pvcspec, t_pvcstatus, t_stsspec,
    t_strategy, t_rolling, t_stsstatus, t_condition, t_sts, t_svc, t_svcspec, t_svcport;

#define STRUCT_REF(var, t) static const struct sch_ref var = {SCH_STRUCT, &t, NULL}
#define ARRAY_REF(var, e) static const struct sch_ref var = {SCH_ARRAY, NULL, &e}
STRUCT_REF(r_meta, t_meta);
STRUCT_REF(r_ownerref, t_ownerref);
ARRAY_REF(r_ownerrefs, r_ownerref);
STRUCT_REF(r_selector, t_selector);
STRUCT_REF(r_port, t_port);
ARRAY_REF(r_ports, r_port);
STRUCT_REF(r_env, t_env);
ARRAY_REF(r_envs, r_env);
STRUCT_REF(r_envsource, t_envsource);
STRUCT_REF(r_fieldref, t_fieldref);
STRUCT_REF(r_mount, t_mount);
ARRAY_REF(r_mounts, r_mount);
STRUCT_REF(r_resources, t_resources);
STRUCT_REF(r_container, t_container);
ARRAY_REF(r_containers, r_container);
STRUCT_REF(r_volume, t_volume);
ARRAY_REF(r_volumes, r_volume);
STRUCT_REF(r_hostpath, t_hostpath);
STRUCT_REF(r_emptydir, t_emptydir);
STRUCT_REF(r_pvcsource, t_pvcsource);
STRUCT_REF(r_cmsource, t_cmsource);
STRUCT_REF(r_toleration, t_toleration);
ARRAY_REF(r_tolerations, r_toleration);
STRUCT_REF(r_localref, t_localref);
ARRAY_REF(r_localrefs, r_localref);
STRUCT_REF(r_podspec, t_podspec);
STRUCT_REF(r_template, t_template);
STRUCT_REF(r_pvc, t_pvc);
ARRAY_REF(r_pvcs, r_pvc);
STRUCT_REF(r_pvcspec, t_pvcspec);
STRUCT_REF(r_pvcstatus, t_pvcstatus);
STRUCT_REF(r_stsspec, t_stsspec);
STRUCT_REF(r_strategy, t_strategy);
STRUCT_REF(r_rolling, t_rolling);
STRUCT_REF(r_stsstatus, t_stsstatus);
STRUCT_REF(r_condition, t_condition);
ARRAY_REF(r_conditions, r_condition);
STRUCT_REF(r_svcspec, t_svcspec);
STRUCT_REF(r_svcport, t_svcport);
ARRAY_REF(r_svcports, r_svcport);
static const struct sch_ref r_quantity = {SCH_QUANTITY, NULL, NULL};
static const struct sch_ref r_intstr = {SCH_INTSTR, NULL, NULL};
static const struct sch_ref r_time = {SCH_TIME, NULL, NULL};
static const struct sch_ref r_qmap = {SCH_MAP, NULL, &r_quantity};

static const struct sch_field f_meta[] = {
    F("name", &r_string),         F("namespace", &r_string),
    F("uid", &r_string),          F("resourceVersion", &r_string),
    F("generation", &r_int),      F("creationTimestamp", &r_time),
    F("labels", &r_strmap),       F("annotations", &r_strmap),
    FS("finalizers", &r_strings), FM("ownerReferences", &r_ownerrefs, "uid"),
};
TYPE(t_meta, "v1.ObjectMeta", f_meta);
static const struct sch_field f_ownerref[] = {
    F("apiVersion", &r_string), F("kind", &r_string),     F("name", &r_string),
    F("uid", &r_string),        F("controller", &r_bool), F("blockOwnerDeletion", &r_bool),
};
TYPE(t_ownerref, "v1.OwnerReference", f_ownerref);
static const struct sch_field f_selector[] = {F("matchLabels", &r_strmap)};
TYPE(t_selector, "v1.LabelSelector", f_selector);
static const struct sch_field f_port[] = {
    F("name", &r_string),
    F("containerPort", &r_int32),
    F("protocol", &r_string),
    F("hostPort", &r_int32),
};
TYPE(t_port, "v1.ContainerPort", f_port);
static const struct sch_field f_env[] = {
    F("name", &r_string),
    F("value", &r_string),
    F("valueFrom", &r_envsource),
};
TYPE(t_env, "v1.EnvVar", f_env);
static const struct sch_field f_envsource[] = {F("fieldRef", &r_fieldref)};
TYPE(t_envsource, "v1.EnvVarSource", f_envsource);
static const struct sch_field f_fieldref[] = {F("fieldPath", &r_string)};
TYPE(t_fieldref, "v1.ObjectFieldSelector", f_fieldref);
static const struct sch_field f_mount[] = {F("name", &r_string), F("mountPath", &r_string)};
TYPE(t_mount, "v1.VolumeMount", f_mount);
static const struct sch_field f_resources[] = {F("limits", &r_qmap), F("requests", &r_qmap)};
TYPE(t_resources, "v1.ResourceRequirements", f_resources);
static const struct sch_field f_container[] = {
    F("name", &r_string),
    F("image", &r_string),
    F("command", &r_strings),
    F("args", &r_strings),
    FM("env", &r_envs, "name"),
    FM("ports", &r_ports, "containerPort"),
    FM("volumeMounts", &r_mounts, "mountPath"),
    F("resources", &r_resources),
    F("imagePullPolicy", &r_string),
    F("terminationMessagePath", &r_string),
};
TYPE(t_container, "v1.Container", f_container);
static const struct sch_field f_volume[] = {
    F("name", &r_string),        F("hostPath", &r_hostpath),
    F("emptyDir", &r_emptydir),  F("persistentVolumeClaim", &r_pvcsource),
    F("configMap", &r_cmsource),
};
TYPE(t_volume, "v1.Volume", f_volume);
static const struct sch_field f_hostpath[] = {F("path", &r_string), F("type", &r_string)};
TYPE(t_hostpath, "v1.HostPathVolumeSource", f_hostpath);
static const struct sch_field f_emptydir[] = {F("medium", &r_string), F("sizeLimit", &r_quantity)};
TYPE(t_emptydir, "v1.EmptyDirVolumeSource", f_emptydir);
static const struct sch_field f_pvcsource[] = {F("claimName", &r_string), F("readOnly", &r_bool)};
TYPE(t_pvcsource, "v1.PersistentVolumeClaimVolumeSource", f_pvcsource);
static const struct sch_field f_cmsource[] = {F("name", &r_string), F("defaultMode", &r_int32)};
TYPE(t_cmsource, "v1.ConfigMapVolumeSource", f_cmsource);
static const struct sch_field f_toleration[] = {
    F("key", &r_string),
    F("operator", &r_string),
    F("value", &r_string),
    F("effect", &r_string),
};
TYPE(t_toleration, "v1.Toleration", f_toleration);
static const struct sch_field f_localref[] = {F("name", &r_string)};
TYPE(t_localref, "v1.LocalObjectReference", f_localref);
static const struct sch_field f_podspec[] = {
    FM("containers", &r_containers, "name"),
    FM("initContainers", &r_containers, "name"),
    FMR("volumes", &r_volumes, "name"),
    FM("imagePullSecrets", &r_localrefs, "name"),
    F("tolerations", &r_tolerations),
    F("nodeSelector", &r_strmap),
    F("terminationGracePeriodSeconds", &r_int),
    F("hostname", &r_string),
    F("subdomain", &r_string),
};
TYPE(t_podspec, "v1.PodSpec", f_podspec);
static const struct sch_field f_template[] = {F("metadata", &r_meta), F("spec", &r_podspec)};
TYPE(t_template, "v1.PodTemplateSpec", f_template);
static const struct sch_field f_pvc[] = {
    F("apiVersion", &r_string), F("kind", &r_string),      F("metadata", &r_meta),
    F("spec", &r_pvcspec),      F("status", &r_pvcstatus),
};
TYPE(t_pvc, "v1.PersistentVolumeClaim", f_pvc);
static const struct sch_field f_pvcspec[] = {
    F("accessModes", &r_strings),
    F("resources", &r_resources),
    F("storageClassName", &r_string),
    F("volumeMode", &r_string),
};
TYPE(t_pvcspec, "v1.PersistentVolumeClaimSpec", f_pvcspec);
static const struct sch_field f_pvcstatus[] = {F("phase", &r_string)};
TYPE(t_pvcstatus, "v1.PersistentVolumeClaimStatus", f_pvcstatus);
static const struct sch_field f_stsspec[] = {
    F("replicas", &r_int32),
    F("selector", &r_selector),
    F("serviceName", &r_string),
    F("template", &r_template),
    F("volumeClaimTemplates", &r_pvcs), /* atomic: no patch strategy */
    F("updateStrategy", &r_strategy),
    F("podManagementPolicy", &r_string),
};
TYPE(t_stsspec, "v1.StatefulSetSpec", f_stsspec);
static const struct sch_field f_strategy[] = {F("type", &r_string), F("rollingUpdate", &r_rolling)};
TYPE(t_strategy, "v1.StatefulSetUpdateStrategy", f_strategy);
static const struct sch_field f_rolling[] = {F("partition", &r_int32),
                                             F("maxUnavailable", &r_intstr)};
TYPE(t_rolling, "v1.RollingUpdateStatefulSetStrategy", f_rolling);
static const struct sch_field f_condition[] = {
    F("type", &r_string),
    F("status", &r_string),
    F("reason", &r_string),
    F("message", &r_string),
};
TYPE(t_condition, "v1.StatefulSetCondition", f_condition);
static const struct sch_field f_stsstatus[] = {
    F("replicas", &r_int32),
    F("readyReplicas", &r_int32),
    F("observedGeneration", &r_int),
    FM("conditions", &r_conditions, "type"),
};
TYPE(t_stsstatus, "v1.StatefulSetStatus", f_stsstatus);
static const struct sch_field f_sts[] = {
    F("apiVersion", &r_string), F("kind", &r_string),      F("metadata", &r_meta),
    F("spec", &r_stsspec),      F("status", &r_stsstatus),
};
TYPE(t_sts, "v1.StatefulSet", f_sts);
static const struct sch_field f_svcport[] = {
    F("name", &r_string),
    F("port", &r_int32),
    F("targetPort", &r_intstr),
    F("protocol", &r_string),
};
TYPE(t_svcport, "v1.ServicePort", f_svcport);
static const struct sch_field f_svcspec[] = {
    FM("ports", &r_svcports, "port"),
    F("selector", &r_strmap),
    F("clusterIP", &r_string),
};
TYPE(t_svcspec, "v1.ServiceSpec", f_svcspec);
static const struct sch_field f_svc[] = {F("metadata", &r_meta), F("spec", &r_svcspec)};
TYPE(t_svc, "v1.Service", f_svc);

/* --- running cases --- */

/* JSON with ' for " (the cases have no apostrophes), parsed or failing the test. */
static json_t *tq(const char *text)
{
    char *s = xstrdup(text);
    json_t *v;

    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    v = tj(s);
    free(s);
    return v;
}

struct smp_case {
    const char *name;
    const char *orig, *patch, *want;
};

/* Apply, compare exactly (list order included, object key order not), and check the inputs
 * are untouched. */
static void run_case(const struct sch_type *t, const struct smp_case *c)
{
    json_t *o = tq(c->orig), *p = tq(c->patch), *w = tq(c->want), *out = NULL;
    char *o0 = json_dump_canonical(o), *p0 = json_dump_canonical(p);
    struct strbuf err = STRBUF_INIT;
    int rc = patch_strategic(t, o, p, &out, &err);

    if (rc)
        fail_msg("%s: failed with %d: %s", c->name, rc, err.buf);
    char *a = json_dump_canonical(out), *b = json_dump_canonical(w);
    if (strcmp(a, b))
        fail_msg("%s:\n  got:  %s\n  want: %s", c->name, a, b);
    char *o1 = json_dump_canonical(o), *p1 = json_dump_canonical(p);
    if (strcmp(o0, o1) || strcmp(p0, p1))
        fail_msg("%s: an input was modified", c->name);
    free(a);
    free(b);
    free(o0);
    free(o1);
    free(p0);
    free(p1);
    json_decref(out);
    json_decref(o);
    json_decref(p);
    json_decref(w);
    strbuf_release(&err);
}

static void run_cases(const struct sch_type *t, const struct smp_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_case(t, &cases[i]);
}

struct smp_fail {
    const char *name;
    const char *orig, *patch;
    int rc;
    const char *msg; /* the message, exactly */
};

static void run_fail(const struct sch_type *t, const struct smp_fail *c)
{
    json_t *o = tq(c->orig), *p = tq(c->patch), *out = (json_t *)0x1;
    char *o0 = json_dump_canonical(o), *p0 = json_dump_canonical(p);
    struct strbuf err = STRBUF_INIT;
    int rc = patch_strategic(t, o, p, &out, &err);

    if (rc != c->rc)
        fail_msg("%s: expected %d, got %d (%s)", c->name, c->rc, rc, err.buf);
    if (strcmp(err.buf, c->msg))
        fail_msg("%s:\n  message: %s\n  want:    %s", c->name, err.buf, c->msg);
    assert_ptr_equal(out, (json_t *)0x1);
    char *o1 = json_dump_canonical(o), *p1 = json_dump_canonical(p);
    if (strcmp(o0, o1) || strcmp(p0, p1))
        fail_msg("%s: an input was modified", c->name);
    free(o0);
    free(o1);
    free(p0);
    free(p1);
    json_decref(o);
    json_decref(p);
    strbuf_release(&err);
}

/* --- upstream: customStrategicMergePatchTestCaseData and its raw cases --- */

static const struct smp_case custom[] = {
    {"unique scalars when merging lists", "{'mergingIntList':[1,2]}", "{'mergingIntList':[2,3]}",
     "{'mergingIntList':[1,2,3]}"},
    {"delete map from nested map", "{'simpleMap':{'key1':1,'key2':1}}",
     "{'simpleMap':{'$patch':'delete'}}", "{'simpleMap':{}}"},
    {"delete all items from merging list", "{'mergingList':[{'name':1},{'name':2}]}",
     "{'mergingList':[{'$patch':'replace'}]}", "{'mergingList':[]}"},
    {"merge empty merging lists", "{'mergingList':[]}", "{'mergingList':[]}", "{'mergingList':[]}"},
    {"delete all keys from map", "{'name':1,'value':1}", "{'$patch':'replace'}", "{}"},
    {"add key and delete all keys from map", "{'name':1,'value':1}",
     "{'other':'a','$patch':'replace'}", "{'other':'a'}"},
    {"delete all duplicate entries in a merging list",
     "{'mergingList':[{'name':1},{'name':1},{'name':2,'value':'a'},{'name':3},{'name':3}]}",
     "{'mergingList':[{'name':1,'$patch':'delete'},{'name':3,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2,'value':'a'}]}"},
    {"retainKeys map can add a field when no retainKeys directive present",
     "{'retainKeysMap':{'name':'foo'}}", "{'retainKeysMap':{'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map can change a field when no retainKeys directive present",
     "{'retainKeysMap':{'name':'foo','value':'a'}}", "{'retainKeysMap':{'value':'b'}}",
     "{'retainKeysMap':{'name':'foo','value':'b'}}"},
    {"retainKeys map can delete a field when no retainKeys directive present",
     "{'retainKeysMap':{'name':'foo','value':'a'}}", "{'retainKeysMap':{'value':null}}",
     "{'retainKeysMap':{'name':'foo'}}"},
    {"retainKeys map merge an empty map", "{'retainKeysMap':{'name':'foo','value':'a'}}",
     "{'retainKeysMap':{}}", "{'retainKeysMap':{'name':'foo','value':'a'}}"},
    {"retainKeys list can add a field when no retainKeys directive present",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo'}]}",
     "{'retainKeysMergingList':[{'name':'foo','value':'a'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}"},
    {"retainKeys list can change a field when no retainKeys directive present",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}",
     "{'retainKeysMergingList':[{'name':'foo','value':'b'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'b'}]}"},
    {"retainKeys list can delete a field when no retainKeys directive present",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}",
     "{'retainKeysMergingList':[{'name':'foo','value':null}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo'}]}"},
    {"preserve the order from the patch in a merging list",
     "{'mergingList':[{'name':1},{'name':2,'value':'b'},{'name':3}]}",
     "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'},{'name':2,'other':'x'}]}",
     "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'},"
     "{'name':2,'value':'b','other':'x'}]}"},
    {"preserve the order from the patch in a merging list 2",
     "{'mergingList':[{'name':1},{'name':2,'value':'b'},{'name':3}]}",
     "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'}]}",
     "{'mergingList':[{'name':2,'value':'b'},{'name':3,'value':'c'},{'name':1,'value':'a'}]}"},
    {"preserve the order from the patch in a merging int list", "{'mergingIntList':[1,2,3]}",
     "{'mergingIntList':[3,1,2]}", "{'mergingIntList':[3,1,2]}"},
    {"preserve the order from the patch in a merging int list 2", "{'mergingIntList':[1,2,3]}",
     "{'mergingIntList':[3,1]}", "{'mergingIntList':[2,3,1]}"},
    /* customStrategicMergePatchRawTestCases */
    {"$setElementOrder contains item that is not present in the list to be merged",
     "{'mergingList':[{'name':1},{'name':3}]}",
     "{'$setElementOrder/mergingList':[{'name':3},{'name':2},{'name':1}],"
     "'mergingList':[{'name':3,'value':3},{'name':1,'value':1}]}",
     "{'mergingList':[{'name':3,'value':3},{'name':1,'value':1}]}"},
    {"$setElementOrder contains item that is not present in the int list to be merged",
     "{'mergingIntList':[1,3]}", "{'$setElementOrder/mergingIntList':[3,2,1]}",
     "{'mergingIntList':[3,1]}"},
    {"$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item",
     "{'mergingIntList':[1,2]}", "{'$deleteFromPrimitiveList/mergingIntList':[3]}",
     "{'mergingIntList':[1,2]}"},
    {"$deleteFromPrimitiveList on empty primitive list should not add the item to the list",
     "{'mergingIntList':null}", "{'$deleteFromPrimitiveList/mergingIntList':[3]}",
     "{'mergingIntList':null}"},
    {"$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list",
     "{'foo':['bar']}", "{'$deleteFromPrimitiveList/mergingIntList':[3]}", "{'foo':['bar']}"},
    {"$deleteFromPrimitiveList should delete item from a list with merge patch strategy",
     "{'mergingIntList':[1,2,3]}", "{'$deleteFromPrimitiveList/mergingIntList':[2]}",
     "{'mergingIntList':[1,3]}"},
    {"$deleteFromPrimitiveList should delete item from a list without merge patch strategy",
     "{'nonMergingIntList':[1,2,3]}", "{'$deleteFromPrimitiveList/nonMergingIntList':[2]}",
     "{'nonMergingIntList':[1,3]}"},
};

static void test_upstream_custom_cases(void **state)
{
    run_cases(&t_mergeitem, custom, ARRAY_SIZE(custom));
}

/* --- upstream: createStrategicMergePatchTestCaseData (two-way and three-way) --- */

static const struct smp_case create[] = {
    {"nil original (2-way)", "{}", "{'name':1,'value':1}", "{'name':1,'value':1}"},
    {"nil original (3-way)", "{'name':1,'other':'a'}", "{'value':1}",
     "{'name':1,'value':1,'other':'a'}"},
    {"nil patch", "{'name':1}", "{}", "{'name':1}"},
    {"add field to map (2-way)", "{'name':1}", "{'value':1}", "{'name':1,'value':1}"},
    {"add field to map (3-way)", "{'name':1,'other':'a'}", "{'value':1}",
     "{'name':1,'value':1,'other':'a'}"},
    {"add field to map with conflict (3-way)", "{'name':'a','other':'a'}", "{'name':1,'value':1}",
     "{'name':1,'value':1,'other':'a'}"},
    {"add field and delete field from map (2-way)", "{'name':1}", "{'name':null,'value':1}",
     "{'value':1}"},
    {"add field and delete field from map (3-way)", "{'name':1,'other':'a'}",
     "{'name':null,'value':1}", "{'value':1,'other':'a'}"},
    {"delete field from nested map (2-way)", "{'simpleMap':{'key1':1,'key2':1}}",
     "{'simpleMap':{'key2':null}}", "{'simpleMap':{'key1':1}}"},
    {"delete field from nested map (3-way)", "{'simpleMap':{'key1':1,'key2':1,'other':'a'}}",
     "{'simpleMap':{'key2':null}}", "{'simpleMap':{'key1':1,'other':'a'}}"},
    {"delete field from nested map with conflict (3-way)",
     "{'simpleMap':{'key1':'a','key2':1,'other':'a'}}", "{'simpleMap':{'key1':1,'key2':null}}",
     "{'simpleMap':{'key1':1,'other':'a'}}"},
    {"delete all fields from map (2-way)", "{'name':1,'value':1}", "{'name':null,'value':null}",
     "{}"},
    {"delete all fields from map (3-way)", "{'name':1,'value':1,'other':'a'}",
     "{'name':null,'value':null}", "{'other':'a'}"},
    {"add field and delete all fields from map (2-way)", "{'name':1,'value':1}",
     "{'name':null,'value':null,'other':'a'}", "{'other':'a'}"},
    {"add field and delete all fields from map with conflict (3-way)",
     "{'name':1,'value':1,'other':'b'}", "{'name':null,'value':null,'other':'a'}", "{'other':'a'}"},
    {"replace list of scalars (2-way)", "{'nonMergingIntList':[1,2]}",
     "{'nonMergingIntList':[2,3]}", "{'nonMergingIntList':[2,3]}"},
    {"replace list of scalars with conflict (3-way)", "{'nonMergingIntList':[1,4]}",
     "{'nonMergingIntList':[2,3]}", "{'nonMergingIntList':[2,3]}"},
    {"delete all maps from merging list (2-way)", "{'mergingList':[{'name':1},{'name':2}]}",
     "{'mergingList':[{'name':1,'$patch':'delete'},{'name':2,'$patch':'delete'}]}",
     "{'mergingList':[]}"},
    {"delete all maps from merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'other':'b'}]}",
     "{'mergingList':[{'name':1,'$patch':'delete'},{'name':2,'$patch':'delete'}]}",
     "{'mergingList':[]}"},
    {"delete all maps from empty merging list (3-way)", "{'mergingList':[]}",
     "{'mergingList':[{'name':1,'$patch':'delete'},{'name':2,'$patch':'delete'}]}",
     "{'mergingList':[]}"},
    {"merge empty merging lists", "{'mergingList':[]}", "{}", "{'mergingList':[]}"},
    {"defined null values should propagate overwrite current fields (2-way)", "{'name':2}",
     "{'name':1,'value':1,'other':null}", "{'name':1,'value':1}"},
    {"defined null values should propagate overwrite current fields (3-way)",
     "{'name':'a','other':'a'}", "{'name':1,'value':1,'other':null}", "{'name':1,'value':1}"},
    {"defined null values should propagate removing original fields (2-way)",
     "{'name':'original-name','value':'original-value'}", "{'name':'modified-name','value':null}",
     "{'name':'modified-name'}"},
    {"defined null values should propagate removing original fields (3-way)",
     "{'name':'original-name','value':'original-value','other':'current-other'}",
     "{'name':'modified-name','value':null}", "{'name':'modified-name','other':'current-other'}"},
    {"nil patch with retainKeys map", "{'name':'a','value':'b','retainKeysMap':{'name':'foo'}}",
     "{}", "{'name':'a','value':'b','retainKeysMap':{'name':'foo'}}"},
    {"retainKeys map with no change should not be present",
     "{'name':'a','other':'c','retainKeysMap':{'name':'foo'}}", "{'value':'b'}",
     "{'name':'a','value':'b','other':'c','retainKeysMap':{'name':'foo'}}"},
};

static void test_upstream_create_cases(void **state)
{
    run_cases(&t_mergeitem, create, ARRAY_SIZE(create));
}

/* --- upstream: strategicMergePatchRawTestCases (two-way and three-way) --- */

#define SEO(l) "'$setElementOrder/" l "':"
#define DEL(l) "'$deleteFromPrimitiveList/" l "':"

static const struct smp_case raw_lists[] = {
    {"nested patch merge with empty list (2-way)", "{'name':'hi'}",
     "{'mergingList':[{'name':'hello'},{'$patch':'delete','name':'doesntexist'}]}",
     "{'name':'hi','mergingList':[{'name':'hello'}]}"},
    {"nested patch merge with empty list (3-way)",
     "{'name':'hi','mergingList':[{'name':'hello2'}]}",
     "{" SEO("mergingList") "[{'name':'hello'},{'name':'doesntexist'}],"
                            "'mergingList':[{'name':'hello'}]}",
     "{'name':'hi','mergingList':[{'name':'hello'},{'name':'hello2'}]}"},
    {"delete items in lists of scalars (2-way)", "{'mergingIntList':[1,2,3]}",
     "{" SEO("mergingIntList") "[1,2]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[1,2]}"},
    {"delete items in lists of scalars (3-way)", "{'mergingIntList':[1,2,3,4]}",
     "{" SEO("mergingIntList") "[1,2]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[1,2,4]}"},
    {"delete all duplicate items in lists of scalars (2-way)", "{'mergingIntList':[1,2,3,3]}",
     "{" SEO("mergingIntList") "[1,2]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[1,2]}"},
    {"delete all duplicate items in lists of scalars (3-way)", "{'mergingIntList':[1,2,3,3,4]}",
     "{" SEO("mergingIntList") "[1,2]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[1,2,4]}"},
    {"add and delete items in lists of scalars (2-way)", "{'mergingIntList':[1,2,3]}",
     "{" SEO("mergingIntList") "[1,2,4]," DEL("mergingIntList") "[3],'mergingIntList':[4]}",
     "{'mergingIntList':[1,2,4]}"},
    {"add and delete items in lists of scalars (3-way)", "{'mergingIntList':[1,2,3,4]}",
     "{" SEO("mergingIntList") "[1,2,4]," DEL("mergingIntList") "[3]}",
     "{'mergingIntList':[1,2,4]}"},
    {"merge lists of maps (2-way)", "{'mergingList':[{'name':1},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':1},{'name':2},{'name':3}],"
                            "'mergingList':[{'name':4,'value':4},{'name':3,'value':3}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':1},{'name':2,'value':2},"
     "{'name':3,'value':3}]}"},
    {"merge lists of maps (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':1},{'name':2},{'name':3}],"
                            "'mergingList':[{'name':4,'value':4},{'name':3,'value':3}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':1,'other':'a'},"
     "{'name':2,'value':2,'other':'b'},{'name':3,'value':3}]}"},
    {"merge lists of maps with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':3,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2},{'name':3}],"
                            "'mergingList':[{'name':2,'value':2},{'name':3,'value':3}]}",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'},"
     "{'name':3,'value':3}]}"},
    {"add field to map in merging list (2-way)",
     "{'mergingList':[{'name':1},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':1,'value':1}]}",
     "{'mergingList':[{'name':1,'value':1},{'name':2,'value':2}]}"},
    {"add field to map in merging list (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':1,'value':1}]}",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}"},
    {"add field to map in merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':3,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],"
                            "'mergingList':[{'name':1,'value':1},{'name':2,'value':2}]}",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2},"
     "{'name':3,'value':2,'other':'b'}]}"},
    {"add an item that already exists in current object in merging list (2-way)",
     "{'mergingList':[{'name':1,'value':'a'},{'name':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2},{'name':3}],'mergingList':[{'name':3}]}",
     "{'mergingList':[{'name':1,'value':'a'},{'name':2},{'name':3}]}"},
    {"add duplicate field to map in merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':3,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':2,'value':2}]}",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}"},
    {"replace map field value in merging list (3-way)",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':1,'value':'a'}]}",
     "{'mergingList':[{'name':1,'value':'a','other':'a'},{'name':2,'value':2,'other':'b'}]}"},
    {"delete map from merging list (2-way)", "{'mergingList':[{'name':1},{'name':2}]}",
     "{" SEO("mergingList") "[{'name':2}],'mergingList':[{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2}]}"},
    {"delete map from merging list (3-way)", "{'mergingList':[{'name':1},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':2}],'mergingList':[{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2,'other':'b'}]}"},
    {"delete map from merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':2}],'mergingList':[{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2,'other':'b'}]}"},
    {"delete missing map from merging list (3-way)", "{'mergingList':[{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':2}],'mergingList':[{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2,'other':'b'}]}"},
    {"delete missing map from merging list with conflict (3-way)",
     "{'mergingList':[{'name':3,'other':'a'}]}",
     "{" SEO("mergingList") "[{'name':2}],"
                            "'mergingList':[{'name':2},{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2},{'name':3,'other':'a'}]}"},
    {"add map and delete map from merging list (2-way)", "{'mergingList':[{'name':1},{'name':2}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':3}],"
                            "'mergingList':[{'name':3},{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2},{'name':3}]}"},
    /* these two only come out in upstream's order because upstream's merge edits the live
     * list's backing array in place before ordering by it */
    {"add map and delete map from merging list (3-way)",
     "{'mergingList':[{'name':1},{'name':2,'other':'b'},{'name':4,'other':'c'}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':3}],"
                            "'mergingList':[{'name':3},{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':2,'other':'b'},{'name':4,'other':'c'},{'name':3}]}"},
    {"add map and delete map from merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':4,'other':'c'}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':3}],"
                            "'mergingList':[{'name':2},{'name':3},{'name':1,'$patch':'delete'}]}",
     "{'mergingList':[{'name':4,'other':'c'},{'name':2},{'name':3}]}"},
    {"delete field from map in merging list (2-way)",
     "{'mergingList':[{'name':1,'value':1},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':1,'value':null}]}",
     "{'mergingList':[{'name':1},{'name':2,'value':2}]}"},
    {"delete field from map in merging list (3-way)",
     "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{'name':1,'value':null}]}",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}"},
    {"delete missing field from map in merging list with conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],"
                            "'mergingList':[{'name':1,'value':null},{'name':2,'value':2}]}",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}"},
    {"replace non merging list nested in merging list (2-way)",
     "{'mergingList':[{'name':1,'nonMergingList':[{'name':1},{'name':2,'value':2}]},"
     "{'name':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],"
                            "'mergingList':[{'name':1,'nonMergingList':[{'name':1,'value':1}]}]}",
     "{'mergingList':[{'name':1,'nonMergingList':[{'name':1,'value':1}]},{'name':2}]}"},
    {"replace non merging list nested in merging list (3-way)",
     "{'mergingList':[{'name':1,'other':'a','nonMergingList':[{'name':1},"
     "{'name':2,'value':2}]},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],"
                            "'mergingList':[{'name':1,'nonMergingList':[{'name':1,'value':1}]}]}",
     "{'mergingList':[{'name':1,'other':'a','nonMergingList':[{'name':1,'value':1}]},"
     "{'name':2,'other':'b'}]}"},
    {"add field to map in merging list nested in merging list (2-way)",
     "{'mergingList':[{'name':1,'mergingList':[{'name':1},{'name':2,'value':2}]},{'name':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{" SEO(
         "mergingList") "[{'name':1},{'name':2}],'name':1,'mergingList':[{'name':1,'value':1}]}]}",
     "{'mergingList':[{'name':1,'mergingList':[{'name':1,'value':1},{'name':2,'value':2}]},"
     "{'name':2}]}"},
    {"add field to map in merging list nested in merging list with value conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':1,'value':'a',"
     "'other':'c'},{'name':2,'value':'b','other':'d'}]},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{" SEO(
         "mergingList") "[{'name':1},{'name':2}],'name':1,'mergingList':[{'name':1,'value':1},"
                        "{'name':2,'value':2}]}]}",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':1,'value':1,'other':'c'},"
     "{'name':2,'value':2,'other':'d'}]},{'name':2,'other':'b'}]}"},
    {"add field to map in merging list nested in merging list with deletion conflict (3-way)",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':2,'value':2,"
     "'other':'d'}]},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{" SEO(
         "mergingList") "[{'name':1},{'name':2}],'name':1,'mergingList':[{'name':1,'value':1}]}]}",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':1,'value':1},"
     "{'name':2,'value':2,'other':'d'}]},{'name':2,'other':'b'}]}"},
    {"nested merging list with deletion conflict, other order (3-way)",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':2,'value':2,"
     "'other':'d'}]},{'name':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2}],'mergingList':[{" SEO(
         "mergingList") "[{'name':2},{'name':1}],'name':1,'mergingList':[{'name':1,'value':1}]}]}",
     "{'mergingList':[{'name':1,'other':'a','mergingList':[{'name':2,'value':2,'other':'d'},"
     "{'name':1,'value':1}]},{'name':2,'other':'b'}]}"},
    {"add map to merging list by pointer (2-way)", "{'mergeItemPtr':[{'name':1}]}",
     "{" SEO("mergeItemPtr") "[{'name':1},{'name':2}],'mergeItemPtr':[{'name':2}]}",
     "{'mergeItemPtr':[{'name':1},{'name':2}]}"},
    {"add map to merging list by pointer (3-way)",
     "{'mergeItemPtr':[{'name':1,'other':'a'},{'name':3}]}",
     "{" SEO("mergeItemPtr") "[{'name':1},{'name':2}],'mergeItemPtr':[{'name':2}]}",
     "{'mergeItemPtr':[{'name':1,'other':'a'},{'name':2},{'name':3}]}"},
    {"add map to merging list by pointer with conflict (3-way)", "{'mergeItemPtr':[{'name':3}]}",
     "{" SEO("mergeItemPtr") "[{'name':1},{'name':2}],'mergeItemPtr':[{'name':1},{'name':2}]}",
     "{'mergeItemPtr':[{'name':1},{'name':2},{'name':3}]}"},
    {"add field to map in merging list by pointer (3-way)",
     "{'mergeItemPtr':[{'name':1,'other':'a','mergeItemPtr':[{'name':1,'other':'a'},"
     "{'name':2,'value':2,'other':'b'}]},{'name':2,'other':'b'}]}",
     "{" SEO("mergeItemPtr") "[{'name':1},{'name':2}],'mergeItemPtr':[{" SEO(
         "mergeItemPtr") "[{'name':1},{'name':2}],'name':1,'mergeItemPtr':[{'name':1,'value':1}]}]"
                         "}",
     "{'mergeItemPtr':[{'name':1,'other':'a','mergeItemPtr':[{'name':1,'value':1,"
     "'other':'a'},{'name':2,'value':2,'other':'b'}]},{'name':2,'other':'b'}]}"},
    {"merge lists of scalars (2-way)", "{'mergingIntList':[1,2]}",
     "{" SEO("mergingIntList") "[1,2,3],'mergingIntList':[3]}", "{'mergingIntList':[1,2,3]}"},
    {"merge lists of scalars (3-way)", "{'mergingIntList':[1,2,4]}",
     "{" SEO("mergingIntList") "[1,2,3],'mergingIntList':[3]}", "{'mergingIntList':[1,2,3,4]}"},
    {"add an item in a list of primitives and preserve order (3-way)", "{'mergingIntList':[1,4,2]}",
     "{" SEO("mergingIntList") "[3,1,2],'mergingIntList':[3]}", "{'mergingIntList':[3,1,4,2]}"},
    {"delete an item in a list of primitives and preserve order", "{'mergingIntList':[1,2,3]}",
     "{" SEO("mergingIntList") "[2,1]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[2,1]}"},
    {"add an item in a list and preserve order (2-way)",
     "{'mergingList':[{'name':1},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':3},{'name':1},{'name':2}],"
                            "'mergingList':[{'name':3,'value':3}]}",
     "{'mergingList':[{'name':3,'value':3},{'name':1},{'name':2,'value':2}]}"},
    {"add an item in a list and preserve order (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':3},{'name':1},{'name':2}],"
                            "'mergingList':[{'name':3,'value':3}]}",
     "{'mergingList':[{'name':3,'value':3},{'name':1,'other':'a'},"
     "{'name':2,'value':2,'other':'b'}]}"},
    {"add multiple items in a list and preserve order (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':4},{'name':2},{'name':3}],"
                            "'mergingList':[{'name':4,'value':4},{'name':3,'value':3}]}",
     "{'mergingList':[{'name':1,'other':'a'},{'name':4,'value':4},"
     "{'name':2,'value':2,'other':'b'},{'name':3,'value':3}]}"},
    {"delete an item in a list and preserve order (2-way)",
     "{'mergingList':[{'name':1},{'name':3,'value':3},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':1}],'mergingList':[{'name':3,'$patch':"
                            "'delete'}]}",
     "{'mergingList':[{'name':2,'value':2},{'name':1}]}"},
    {"delete an item in a list and preserve order (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'},"
     "{'name':3,'value':3}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':1}],'mergingList':[{'name':3,'$patch':"
                            "'delete'}]}",
     "{'mergingList':[{'name':2,'value':2,'other':'b'},{'name':1,'other':'a'}]}"},
    {"change an item in a list and preserve order (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'},"
     "{'name':3,'value':3}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':3},{'name':1}],"
                            "'mergingList':[{'name':3,'value':'x'}]}",
     "{'mergingList':[{'name':2,'value':2,'other':'b'},{'name':3,'value':'x'},"
     "{'name':1,'other':'a'}]}"},
    {"add and delete an item in a list and preserve order (2-way)",
     "{'mergingList':[{'name':1},{'name':3,'value':3},{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':2},{'name':1}],"
                            "'mergingList':[{'name':4,'value':4},{'name':3,'$patch':'delete'}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':2,'value':2},{'name':1}]}"},
    {"add and delete an item in a list and preserve order (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'},"
     "{'name':3,'value':3}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':2},{'name':1}],"
                            "'mergingList':[{'name':4,'value':4},{'name':3,'$patch':'delete'}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':2,'value':2,'other':'b'},"
     "{'name':1,'other':'a'}]}"},
    {"set elements order in a list (3-way)",
     "{'mergingList':[{'name':1,'other':'a'},{'name':3,'value':3},{'name':4,'value':4},"
     "{'name':2,'value':2}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':2},{'name':3},{'name':1}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':2,'value':2},{'name':3,'value':3},"
     "{'name':1,'other':'a'}]}"},
    {"set elements order in a list with server-only items",
     "{'mergingList':[{'name':1,'other':'a'},{'name':3,'value':3},{'name':4,'value':4},"
     "{'name':2,'value':2},{'name':9}]}",
     "{" SEO("mergingList") "[{'name':4},{'name':2},{'name':3},{'name':1}]}",
     "{'mergingList':[{'name':4,'value':4},{'name':2,'value':2},{'name':3,'value':3},"
     "{'name':1,'other':'a'},{'name':9}]}"},
    {"set elements order in a list with server-only items 2",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2},{'name':9},"
     "{'name':3,'value':3},{'name':4,'value':4}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':1},{'name':4},{'name':3}]}",
     "{'mergingList':[{'name':2,'value':2},{'name':1,'other':'a'},{'name':9},"
     "{'name':4,'value':4},{'name':3,'value':3}]}"},
    {"set elements order in a list with server-only items 3",
     "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2},{'name':7},{'name':9},"
     "{'name':8},{'name':3,'value':3},{'name':4,'value':4}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':1},{'name':4},{'name':3}]}",
     "{'mergingList':[{'name':2,'value':2},{'name':1,'other':'a'},{'name':7},{'name':9},"
     "{'name':8},{'name':4,'value':4},{'name':3,'value':3}]}"},
    {"add multiple items in a int list and preserve order", "{'mergingIntList':[1,2]}",
     "{" SEO("mergingIntList") "[1,4,2,3],'mergingIntList':[4,3]}", "{'mergingIntList':[1,4,2,3]}"},
    {"delete an item in a int list and preserve order (2-way)", "{'mergingIntList':[1,3,2]}",
     "{" SEO("mergingIntList") "[2,1]," DEL("mergingIntList") "[3]}", "{'mergingIntList':[2,1]}"},
    {"add and delete an item in a int list and preserve order (2-way)",
     "{'mergingIntList':[1,3,2]}",
     "{" SEO("mergingIntList") "[4,2,1],'mergingIntList':[4]," DEL("mergingIntList") "[3]}",
     "{'mergingIntList':[4,2,1]}"},
    {"add and delete an item in a int list and preserve order (3-way)",
     "{'mergingIntList':[1,2,3]}",
     "{" SEO("mergingIntList") "[4,2,1],'mergingIntList':[4]," DEL("mergingIntList") "[3]}",
     "{'mergingIntList':[4,2,1]}"},
    {"set elements order in a int list", "{'mergingIntList':[1,3,4,2]}",
     "{" SEO("mergingIntList") "[4,2,3,1]}", "{'mergingIntList':[4,2,3,1]}"},
    {"set elements order in a int list with server-only items", "{'mergingIntList':[1,3,4,2,9]}",
     "{" SEO("mergingIntList") "[4,2,3,1]}", "{'mergingIntList':[4,2,3,1,9]}"},
    {"set elements order in a int list with server-only items 2", "{'mergingIntList':[1,2,9,3,4]}",
     "{" SEO("mergingIntList") "[2,1,4,3]}", "{'mergingIntList':[2,1,9,4,3]}"},
    {"set elements order in a int list with server-only items 3",
     "{'mergingIntList':[1,2,7,9,8,3,4]}", "{" SEO("mergingIntList") "[2,1,4,3]}",
     "{'mergingIntList':[2,1,7,9,8,4,3]}"},
    {"behavior of set element order for a merging list with duplicate",
     "{'mergingList':[{'name':1},{'name':2,'value':'dup1'},{'name':3},"
     "{'name':2,'value':'dup2'},{'name':4}]}",
     "{" SEO("mergingList") "[{'name':2},{'name':1},{'name':4},{'name':3},{'name':2}]}",
     "{'mergingList':[{'name':2,'value':'dup1'},{'name':2,'value':'dup2'},{'name':1},"
     "{'name':4},{'name':3}]}"},
    {"behavior of set element order for a merging int list with duplicate",
     "{'mergingIntList':[1,2,3,2,4]}", "{" SEO("mergingIntList") "[2,1,4,3,2]}",
     "{'mergingIntList':[2,2,1,4,3]}"},
    {"delete and reorder in one list, reorder in another",
     "{'mergingList':[{'name':'a','value':'a'},{'name':'b','value':'b'}],"
     "'mergeItemPtr':[{'name':'c','value':'c'},{'name':'d','value':'d'}]}",
     "{" SEO("mergingList") "[{'name':'b'}]," SEO(
         "mergeItemPtr") "[{'name':'d'},{'name':'c'}],'mergingList':[{'$patch':'delete','name':'a'}"
                         "]}",
     "{'mergingList':[{'name':'b','value':'b'}],"
     "'mergeItemPtr':[{'name':'d','value':'d'},{'name':'c','value':'c'}]}"},
};

static void test_upstream_raw_list_cases(void **state)
{
    run_cases(&t_mergeitem, raw_lists, ARRAY_SIZE(raw_lists));
}

#define RK "'$retainKeys':"

static const struct smp_case raw_retain[] = {
    {"retainKeys map should clear defaulted field (2-way)", "{}",
     "{'retainKeysMap':{'other':'bar'}}", "{'retainKeysMap':{'other':'bar'}}"},
    {"retainKeys map should clear defaulted field (3-way)", "{'retainKeysMap':{'value':'foo'}}",
     "{'retainKeysMap':{" RK "['other'],'other':'bar'}}", "{'retainKeysMap':{'other':'bar'}}"},
    {"retainKeys map should clear defaulted field with conflict (discriminated union)",
     "{'retainKeysMap':{'name':'type1','value':'foo'}}",
     "{'retainKeysMap':{" RK "['name','other'],'name':'type2','other':'bar'}}",
     "{'retainKeysMap':{'name':'type2','other':'bar'}}"},
    {"retainKeys map adds a field", "{'retainKeysMap':{'name':'foo'}}",
     "{'retainKeysMap':{" RK "['name','value'],'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map adds a field and clear a field (3-way)",
     "{'retainKeysMap':{'name':'foo','other':'a'}}",
     "{'retainKeysMap':{" RK "['name','value'],'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map deletes a field and clears a field (3-way)",
     "{'retainKeysMap':{'name':'foo','value':'bar','other':'a'}}",
     "{'retainKeysMap':{" RK "['name'],'value':null}}", "{'retainKeysMap':{'name':'foo'}}"},
    {"retainKeys map clears a field (3-way)",
     "{'retainKeysMap':{'name':'foo','value':'bar','other':'a'}}",
     "{'retainKeysMap':{" RK "['name','value']}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map nested map with no change",
     "{'retainKeysMap':{'name':'foo','simpleMap':{'key1':'a'}}}",
     "{'retainKeysMap':{" RK "['name','simpleMap','value'],'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'a'}}}"},
    {"retainKeys map adds a field in a nested map (3-way)",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'a','key3':'c'}}}",
     "{'retainKeysMap':{" RK "['name','simpleMap','value'],'simpleMap':{'key2':'b'}}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'a','key2':'b',"
     "'key3':'c'}}}"},
    {"retainKeys map deletes a field in a nested map (3-way)",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'a','key2':'b',"
     "'key3':'c'}}}",
     "{'retainKeysMap':{" RK "['name','simpleMap','value'],'simpleMap':{'key2':null}}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'a','key3':'c'}}}"},
    {"retainKeys map changes a field in a nested map with conflict (3-way)",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'new','key2':'b',"
     "'key3':'c'}}}",
     "{'retainKeysMap':{" RK "['name','simpleMap','value'],'simpleMap':{'key1':'modified'}}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','simpleMap':{'key1':'modified',"
     "'key2':'b','key3':'c'}}}"},
    {"retainKeys map replaces non-merging list",
     "{'retainKeysMap':{'name':'foo','value':'bar','nonMergingList':[{'name':'a'},"
     "{'name':'b'}]}}",
     "{'retainKeysMap':{" RK "['name','nonMergingList','value'],'nonMergingList':"
     "[{'name':'a'},{'name':'c'},{'name':'b'}]}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','nonMergingList':[{'name':'a'},"
     "{'name':'c'},{'name':'b'}]}}"},
    {"retainKeys map nested non-merging list with no change with conflict (3-way)",
     "{'retainKeysMap':{'name':'foo','nonMergingList':[{'name':'a'},{'name':'b'},"
     "{'name':'c'}]}}",
     "{'retainKeysMap':{" RK "['name','nonMergingList','value'],'value':'bar',"
     "'nonMergingList':[{'name':'a'},{'name':'b'}]}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','nonMergingList':[{'name':'a'},"
     "{'name':'b'}]}}"},
    {"retainKeys map deletes nested non-merging list",
     "{'retainKeysMap':{'name':'foo','nonMergingList':[{'name':'a'},{'name':'b'}]}}",
     "{'retainKeysMap':{" RK "['name','value'],'value':'bar','nonMergingList':null}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map nested merging int list with no change (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,3]}}",
     "{'retainKeysMap':{" RK
     "['mergingIntList','name','value']," SEO("mergingIntList") "[1,2],'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','mergingIntList':[1,2,3]}}"},
    {"retainKeys map adds an item in nested merging int list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,3]}}",
     "{'retainKeysMap':{" SEO("mergingIntList") "[1,2,4]," RK "['mergingIntList','name'],"
                                                "'mergingIntList':[4]}}",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,4,3]}}"},
    {"retainKeys map deletes an item in nested merging int list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,3,4]}}",
     "{'retainKeysMap':{" RK
     "['mergingIntList','name']," DEL("mergingIntList") "[2]," SEO("mergingIntList") "[1,3]}}",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,3,4]}}"},
    {"retainKeys map adds an item and deletes an item in nested merging int list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,3,4]}}",
     "{'retainKeysMap':{" RK "['mergingIntList','name'],'mergingIntList':[5]," DEL(
         "mergingIntList") "[2]," SEO("mergingIntList") "[1,3,5]}}",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,3,5,4]}}"},
    {"retainKeys map deletes nested merging int list",
     "{'retainKeysMap':{'name':'foo','mergingIntList':[1,2,3]}}",
     "{'retainKeysMap':{" RK "['name'],'mergingIntList':null}}",
     "{'retainKeysMap':{'name':'foo'}}"},
    {"retainKeys map nested merging list with no change (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b'},{'name':'c'}]}}",
     "{'retainKeysMap':{" RK "['mergingList','name','value']," SEO(
         "mergingList") "[{'name':'a'},{'name':'b'}],'value':'bar'}}",
     "{'retainKeysMap':{'name':'foo','value':'bar','mergingList':[{'name':'a'},{'name':'b'},"
     "{'name':'c'}]}}"},
    {"retainKeys map adds an item in nested merging list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b'},{'name':'x'}]}}",
     "{'retainKeysMap':{" RK "['mergingList','name']," SEO(
         "mergingList") "[{'name':'a'},{'name':'b'},{'name':'c'}],'mergingList':[{'name':'c'}]}}",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b'},{'name':'c'},"
     "{'name':'x'}]}}"},
    {"retainKeys map changes an item in nested merging list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b','value':'foo'},"
     "{'name':'x'}]}}",
     "{'retainKeysMap':{" RK "['mergingList','name']," SEO(
         "mergingList") "[{'name':'a'},{'name':'b'}],'mergingList':[{'name':'b','value':'bar'}]}}",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b','value':'bar'},"
     "{'name':'x'}]}}"},
    {"retainKeys map deletes nested merging list",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b'}]}}",
     "{'retainKeysMap':{" RK "['name','value'],'value':'bar','mergingList':null}}",
     "{'retainKeysMap':{'name':'foo','value':'bar'}}"},
    {"retainKeys map deletes an item in nested merging list (3-way)",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'b'},{'name':'x'}]}}",
     "{'retainKeysMap':{" RK "['mergingList','name']," SEO(
         "mergingList") "[{'name':'a'}],'mergingList':[{'name':'b','$patch':'delete'}]}}",
     "{'retainKeysMap':{'name':'foo','mergingList':[{'name':'a'},{'name':'x'}]}}"},
    {"retainKeys list of maps clears a field (3-way)",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a','other':'x'}]}",
     "{" SEO("retainKeysMergingList") "[{'name':'bar'},{'name':'foo'}],"
                                      "'retainKeysMergingList':[{" RK
                                      "['name','value'],'name':'foo'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}"},
    {"retainKeys list of maps clears a field with conflict (3-way)",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'new','other':'x'}]}",
     "{" SEO("retainKeysMergingList") "[{'name':'bar'},{'name':'foo'}],"
                                      "'retainKeysMergingList':[{" RK
                                      "['name','value'],'name':'foo','value':'modified'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'modified'}]}"},
    {"retainKeys list of maps changes a field and clear a field (2-way)",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'old'}]}",
     "{" SEO("retainKeysMergingList") "[{'name':'bar'},{'name':'foo'}],"
                                      "'retainKeysMergingList':[{" RK
                                      "['name','value'],'name':'foo','value':'new'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'new'}]}"},
    {"retainKeys list of maps adds a field and clear a field (3-way)",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','other':'x'}]}",
     "{" SEO("retainKeysMergingList") "[{'name':'bar'},{'name':'foo'}],"
                                      "'retainKeysMergingList':[{" RK
                                      "['name','value'],'name':'foo','value':'a'}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}"},
    {"retainKeys list of maps deletes a field and clear a field (3-way)",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a','other':'x'}]}",
     "{" SEO("retainKeysMergingList") "[{'name':'bar'},{'name':'foo'}],"
                                      "'retainKeysMergingList':[{" RK
                                      "['name'],'name':'foo','value':null}]}",
     "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo'}]}"},
};

static void test_upstream_raw_retainkeys_cases(void **state)
{
    run_cases(&t_mergeitem, raw_retain, ARRAY_SIZE(raw_retain));
}

/* upstream TestUnknownField (apply half) and TestNumberConversion */
static const struct smp_case unknown[] = {
    {"added only", "{'name':'foo'}", "{'array':[1,2,3],'complex':{'nested':true},'scalar':true}",
     "{'array':[1,2,3],'complex':{'nested':true},'name':'foo','scalar':true}"},
    {"removed only", "{'name':'foo','scalar':true,'complex':{'nested':true},'array':[1,2,3]}",
     "{'complex':null,'scalar':null}", "{'array':[1,2,3],'name':'foo'}"},
    {"no diff even if modified null", "{'name':'foo'}", "{'complex_nullable':{'key':null}}",
     "{'complex_nullable':{},'name':'foo'}"},
    {"discard nulls in nested and adds not nulls", "{'name':'foo'}",
     "{'complex_nullable':{'key':{'keynotnull':'value','keynull':null}}}",
     "{'complex_nullable':{'key':{'keynotnull':'value'}},'name':'foo'}"},
    {"discard if modified all nulls", "{}", "{'complex':{'nested':null}}", "{'complex':{}}"},
    {"add only not nulls", "{}", "{'complex':{'nested':null,'nested2':'foo'}}",
     "{'complex':{'nested2':'foo'}}"},
    {"null values in original are preserved", "{'thing':null}", "{'nested':{'value':5}}",
     "{'nested':{'value':5},'thing':null}"},
    {"nested null values in original are preserved", "{'complex':{'key':null},'thing':null}",
     "{'nested':{'value':5}}", "{'complex':{'key':null},'nested':{'value':5},'thing':null}"},
    {"add empty slices", "{'name':'foo'}", "{'complex_nullable':[]}",
     "{'complex_nullable':[],'name':'foo'}"},
    {"filter nulls from nested slices", "{}",
     "{'complex_nullable':[{'inner_one':{'key_one':'foo','key_two':null}}]}",
     "{'complex_nullable':[{'inner_one':{'key_one':'foo'}}]}"},
    {"filter if slice is all empty", "{}",
     "{'complex_nullable':[{'inner_one':{'key_one':null,'key_two':null}}]}",
     "{'complex_nullable':[{'inner_one':{}}]}"},
    {"not filter nulls from non-associative slice", "{}",
     "{'complex_nullable':['key1',null,'key2']}", "{'complex_nullable':['key1',null,'key2']}"},
    /* upstream cannot merge into a field its struct lacks ("unable to find api field");
     * berth merges maps and replaces lists there */
    {"unknown map merges", "{'complex':{'nested':true,'keep':1}}",
     "{'complex':{'nested':false,'drop':null}}", "{'complex':{'nested':false,'keep':1}}"},
    {"unknown list is replaced", "{'array':[{'name':1,'a':1}]}", "{'array':[{'name':1,'b':2}]}",
     "{'array':[{'name':1,'b':2}]}"},
    /* TestNumberConversion: integers keep every digit, floats their value */
    {"int32 max", "{'int32':2147483647}", "{'name':'newname'}",
     "{'int32':2147483647,'name':'newname'}"},
    {"int64 max", "{'int64':9223372036854775807}", "{'name':'newname'}",
     "{'int64':9223372036854775807,'name':'newname'}"},
    {"float64 max", "{'float64':1.7976931348623157e+308}", "{'name':'newname'}",
     "{'float64':1.7976931348623157e+308,'name':'newname'}"},
};

static void test_upstream_unknown_fields_and_numbers(void **state)
{
    run_cases(&t_mergeitem, unknown, ARRAY_SIZE(unknown));
}

/* --- errors --- */

static const struct smp_fail failures[] = {
    {"should check if order in $setElementOrder and patch list match",
     "{'mergingList':[{'name':1},{'name':3},{'name':2}]}",
     "{" SEO("mergingList") "[{'name':1},{'name':2},{'name':3}],"
                            "'mergingList':[{'name':3,'value':3},{'name':1,'value':1}]}",
     -EINVAL,
     "the order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match "
     "$setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]"},
    {"should check if order in $setElementOrder and int patch list match",
     "{'mergingIntList':[1,3,2]}", "{" SEO("mergingIntList") "[1,2,3],'mergingIntList':[3,1]}",
     -EINVAL, "the order in patch list:\n[3 1]\n doesn't match $setElementOrder list:\n[1 2 3]"},
    {"missing merge key should error out", "{'mergingList':[{'name':1,'value':'a'}]}",
     "{'mergingList':[{'value':'b'}]}", -EINVAL,
     "map: map[value:b] does not contain declared merge key: name"},
    {"a delete directive without the merge key", "{'mergingList':[{'name':1}]}",
     "{'mergingList':[{'$patch':'delete'}]}", -EINVAL,
     "map: map[$patch:delete] does not contain declared merge key: name"},
    {"$patch: merge in a map is refused", "{'simpleMap':{'a':'b'}}",
     "{'simpleMap':{'$patch':'merge','c':'d'}}", -EINVAL,
     "unknown patch type: merge in map: map[$patch:merge c:d]"},
    {"$patch: merge in a list is refused", "{'mergingList':[{'name':1}]}",
     "{'mergingList':[{'name':1,'$patch':'merge'}]}", -EINVAL,
     "merging lists cannot yet be specified in the patch"},
    {"an unknown $patch value in a map", "{}", "{'$patch':'foo'}", -EINVAL,
     "unknown patch type: foo in map: map[$patch:foo]"},
    {"an unknown $patch value in a list", "{'mergingList':[{'name':1}]}",
     "{'mergingList':[{'name':1,'$patch':'foo'}]}", -EINVAL,
     "unknown patch type: foo in map: map[$patch:foo name:1]"},
    {"a $patch value that is not a string", "{'simpleMap':{}}", "{'simpleMap':{'$patch':1}}",
     -EINVAL, "unknown patch type: %!s(int64=1) in map: map[$patch:1]"},
    {"$retainKeys must be a list", "{'retainKeysMap':{'name':'a'}}",
     "{'retainKeysMap':{" RK "'name'}}", -EINVAL, "invalid patch format of retainKeys"},
    {"the patch may only set retained keys", "{'retainKeysMap':{'name':'a'}}",
     "{'retainKeysMap':{" RK "['name'],'value':'b'}}", -EINVAL,
     "invalid patch format of retainKeys"},
    {"$setElementOrder must be a list", "{'mergingList':[{'name':1}]}",
     "{" SEO("mergingList") "'x'}", -EINVAL, "expected a []interface {}, but received a string"},
    {"a $setElementOrder prefix without a slash", "{'mergingList':[{'name':1}]}",
     "{'$setElementOrderX/mergingList':[]}", -EINVAL,
     "invalid patch format of setElementOrder list"},
    {"a $deleteFromPrimitiveList prefix without a slash", "{'mergingIntList':[1]}",
     "{'$deleteFromPrimitiveListmergingIntList':[1]}", -EINVAL,
     "invalid patch format of primitive list"},
    {"lists of lists (422)", "{'mergingIntList':[[1]]}", "{'mergingIntList':[[2]]}", -EILSEQ,
     "lists of lists are not supported"},
    {"$patch: replace inside a list of scalars mixes element types", "{'mergingIntList':[1,2]}",
     "{'mergingIntList':[3,{'$patch':'replace'}]}", -EINVAL,
     "list element types are not identical: [[1 2] [3 map[$patch:replace]]]"},
    {"integers and floats are different element types", "{'mergingIntList':[1]}",
     "{'mergingIntList':[2.5]}", -EINVAL, "list element types are not identical: [[1] [2.5]]"},
    {"a delete list of floats for a list of integers", "{'mergingIntList':[2]}",
     "{'$deleteFromPrimitiveList/mergingIntList':[2.0]}", -EINVAL,
     "list element types are not identical: [[2] [2]]"},
    {"a merge list item that is not a map, with an order list", "{'mergingList':[{'name':1}]}",
     "{" SEO("mergingList") "[{'name':1}],'mergingList':[{'name':1},{'name':2},3]}", -EINVAL,
     "expected a map[string]interface {}, but received a int64"},
    {"an order list item that is not a map", "{'mergingList':[{'name':1}]}",
     "{" SEO("mergingList") "['x'],'mergingList':[{'name':1}]}", -EINVAL,
     "expected a map[string]interface {}, but received a string"},
    {"a merge list without a merge key", "{'setOfMaps':[{'name':1}]}", "{'setOfMaps':[{'name':2}]}",
     -EINVAL, "cannot merge lists without merge key for mergeItem"},
    {"an empty $setElementOrder for an empty list", "{'mergingList':[]}",
     "{" SEO("mergingList") "[]}", -EINVAL, "no elements in any of the given slices"},
    {"a patch that is not an object", "{}", "[]", -EINVAL,
     "json: cannot unmarshal array into Go value of type map[string]interface {}"},
    {"a patch that is a string", "{}", "'x'", -EINVAL,
     "json: cannot unmarshal string into Go value of type map[string]interface {}"},
};

static void test_failures(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(failures); i++)
        run_fail(&t_mergeitem, &failures[i]);
}

/* --- what kubectl sends (KUBECTL.md) against apps/v1 and core/v1 metadata --- */

/* The StatefulSet of the walkthrough, as stored after defaulting (trimmed). */
#define STS_BEFORE                                                                                 \
    "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'statefulset-demo',"          \
    "'namespace':'sts','uid':'u-1','resourceVersion':'1036','generation':1,"                       \
    "'labels':{'app':'myapp'},'annotations':{'kubectl.kubernetes.io/last-applied-configuration':"  \
    "'{}\\n'}},'spec':{'replicas':2,'serviceName':'myapp-svc','selector':{'matchLabels':"          \
    "{'app':'myapp-pod'}},'template':{'metadata':{'labels':{'app':'myapp-pod'}},'spec':"           \
    "{'containers':[{'name':'myapp','image':'ikubernetes/myapp:v1','ports':[{'containerPort':80,"  \
    "'name':'web','protocol':'TCP'}],'volumeMounts':[{'name':'myappdata','mountPath':"             \
    "'/usr/share/nginx/html'}],'imagePullPolicy':'IfNotPresent','terminationMessagePath':"         \
    "'/dev/termination-log'}],'terminationGracePeriodSeconds':30}},'volumeClaimTemplates':"        \
    "[{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'myappdata'},'spec':"   \
    "{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},"                 \
    "'volumeMode':'Filesystem'},'status':{'phase':'Pending'}}],'updateStrategy':{'type':"          \
    "'RollingUpdate','rollingUpdate':{'partition':0}},'podManagementPolicy':'OrderedReady'},"      \
    "'status':{'replicas':2,'readyReplicas':2,'observedGeneration':1}}"

/* The same object, with the template's containers (and nothing else) replaced. */
#define STS_WITH(containers)                                                                       \
    "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'statefulset-demo',"          \
    "'namespace':'sts','uid':'u-1','resourceVersion':'1036','generation':1,"                       \
    "'labels':{'app':'myapp'},'annotations':{'kubectl.kubernetes.io/last-applied-configuration':"  \
    "'{}\\n'}},'spec':{'replicas':2,'serviceName':'myapp-svc','selector':{'matchLabels':"          \
    "{'app':'myapp-pod'}},'template':{'metadata':{'labels':{'app':'myapp-pod'}},'spec':"           \
    "{'containers':" containers ",'terminationGracePeriodSeconds':30}},'volumeClaimTemplates':"    \
    "[{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'myappdata'},'spec':"   \
    "{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},"                 \
    "'volumeMode':'Filesystem'},'status':{'phase':'Pending'}}],'updateStrategy':{'type':"          \
    "'RollingUpdate','rollingUpdate':{'partition':0}},'podManagementPolicy':'OrderedReady'},"      \
    "'status':{'replicas':2,'readyReplicas':2,'observedGeneration':1}}"

#define MYAPP(image, extra)                                                                        \
    "{'name':'myapp','image':'" image "'," extra "'volumeMounts':[{'name':'myappdata',"            \
    "'mountPath':'/usr/share/nginx/html'}],'imagePullPolicy':'IfNotPresent',"                      \
    "'terminationMessagePath':'/dev/termination-log'}"
#define PORTS80 "'ports':[{'containerPort':80,'name':'web','protocol':'TCP'}],"

/* KUBECTL.md §9.6: kubectl set image sts/statefulset-demo myapp=ikubernetes/myapp:v2 */
static void test_kubectl_set_image(void **state)
{
    static const struct smp_case c = {
        "set image", STS_BEFORE,
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'myapp'}],"
        "'containers':[{'image':'ikubernetes/myapp:v2','name':'myapp'}]}}}}",
        STS_WITH("[" MYAPP("ikubernetes/myapp:v2", PORTS80) "]")};
    run_case(&t_sts, &c);
}

/* KUBECTL.md §9.1: kubectl apply's 3-way patches: ports removed, env and a sidecar added;
 * then the original manifest applied again. */
static void test_kubectl_apply_three_way(void **state)
{
    static const struct smp_case add = {
        "apply: remove ports, add env and a sidecar", STS_BEFORE,
        "{'metadata':{'annotations':{'kubectl.kubernetes.io/last-applied-configuration':"
        "'{\\'kind\\':\\'StatefulSet\\'}\\n'}},'spec':{'template':{'spec':{"
        "'$setElementOrder/containers':[{'name':'sidecar'},{'name':'myapp'}],"
        "'containers':[{'command':['sleep','3600'],'image':'busybox:1.36','name':'sidecar'},"
        "{'env':[{'name':'FOO','value':'bar'}],'name':'myapp','ports':null}]}},"
        "'volumeClaimTemplates':[{'metadata':{'name':'myappdata'},'spec':{'accessModes':"
        "['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}]}}",
        NULL};
    json_t *o = tq(add.orig), *p, *out = NULL, *again = NULL;
    struct strbuf err = STRBUF_INIT;

    /* the annotation's value has quotes inside: build that patch by hand */
    p = tq(add.patch);
    json_object_set_new(jpath(p, "metadata.annotations"),
                        "kubectl.kubernetes.io/last-applied-configuration",
                        json_string("{\"kind\":\"StatefulSet\"}\n"));
    assert_int_equal(patch_strategic(&t_sts, o, p, &out, &err), 0);
    json_t *want = tq(
        STS_WITH("[{'name':'sidecar','image':'busybox:1.36','command':"
                 "['sleep','3600']}," MYAPP("ikubernetes/myapp:v1", "'env':[{'name':'FOO','value':"
                                                                    "'bar'}],") "]"));
    /* volumeClaimTemplates is atomic: replaced as sent, server defaults and status gone */
    json_object_set_new(jget(want, "spec"), "volumeClaimTemplates",
                        tq("[{'metadata':{'name':'myappdata'},'spec':{'accessModes':"
                           "['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}]"));
    json_object_set_new(jpath(want, "metadata.annotations"),
                        "kubectl.kubernetes.io/last-applied-configuration",
                        json_string("{\"kind\":\"StatefulSet\"}\n"));
    assert_true(json_equal(out, want));
    json_decref(want);
    json_decref(p);

    /* apply the original again: env goes, ports come back, the sidecar is deleted */
    p = tq("{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'myapp'}],"
           "'containers':[{'env':null,'name':'myapp','ports':[{'containerPort':80,"
           "'name':'web'}]},{'$patch':'delete','name':'sidecar'}]}}}}");
    assert_int_equal(patch_strategic(&t_sts, out, p, &again, &err), 0);
    assert_json_eq(jpath(again, "spec.template.spec.containers"),
                   "[{\"name\":\"myapp\",\"image\":\"ikubernetes/myapp:v1\",\"ports\":[{"
                   "\"containerPort\":80,\"name\":\"web\"}],\"volumeMounts\":[{\"name\":"
                   "\"myappdata\",\"mountPath\":\"/usr/share/nginx/html\"}],\"imagePullPolicy\":"
                   "\"IfNotPresent\",\"terminationMessagePath\":\"/dev/termination-log\"}]");
    json_decref(p);
    json_decref(again);
    json_decref(out);
    json_decref(o);
    strbuf_release(&err);
}

/* KUBECTL.md §9.7 and §9.8: kubectl patch -p '{...partition...}', kubectl edit */
static void test_kubectl_patch_and_edit(void **state)
{
    static const struct smp_case cases[] = {
        {"patch partition",
         "{'spec':{'replicas':4,'updateStrategy':{'type':'RollingUpdate','rollingUpdate':"
         "{'partition':0}}}}",
         "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':3}}}}",
         "{'spec':{'replicas':4,'updateStrategy':{'type':'RollingUpdate','rollingUpdate':"
         "{'partition':3}}}}"},
        {"edit partition back to 0",
         "{'spec':{'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':3}}}}",
         "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':0}}}}",
         "{'spec':{'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':0}}}}"},
        {"switch to OnDelete, dropping rollingUpdate with $patch: delete",
         "{'spec':{'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':3}}}}",
         "{'spec':{'updateStrategy':{'type':'OnDelete','rollingUpdate':{'$patch':'delete'}}}}",
         "{'spec':{'updateStrategy':{'type':'OnDelete','rollingUpdate':{}}}}"},
        {"labels: null deletes one, others merge",
         "{'metadata':{'labels':{'app':'web','tier':'db'}}}",
         "{'metadata':{'labels':{'tier':null,'team':'x'}}}",
         "{'metadata':{'labels':{'app':'web','team':'x'}}}"},
        {"scale through the main resource", "{'spec':{'replicas':2}}", "{'spec':{'replicas':4}}",
         "{'spec':{'replicas':4}}"},
    };
    run_cases(&t_sts, cases, ARRAY_SIZE(cases));
}

/* KUBECTL.md §9.11: rollout undo sends the old revision's template with "$patch": "replace" */
static void test_kubectl_rollout_undo(void **state)
{
    static const struct smp_case c = {
        "rollout undo",
        STS_WITH(
            "[" MYAPP("ikubernetes/myapp:v2", "'env':[{'name':'A','value':'1'}]," PORTS80) "]"),
        "{'spec':{'template':{'metadata':{'labels':{'app':'myapp-pod'},'creationTimestamp':null},"
        "'spec':{'containers':[{'name':'myapp','image':'ikubernetes/myapp:v1','ports':"
        "[{'containerPort':80,'name':'web','protocol':'TCP'}],'volumeMounts':[{'name':"
        "'myappdata','mountPath':'/usr/share/nginx/html'}],'imagePullPolicy':'IfNotPresent',"
        "'terminationMessagePath':'/dev/termination-log'}],'terminationGracePeriodSeconds':30},"
        "'$patch':'replace'}}}",
        /* the template is the revision's, exactly: env is gone, and the null is kept as sent
         * (decoding drops it, as upstream's conversion to the Go struct does) */
        "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'statefulset-demo',"
        "'namespace':'sts','uid':'u-1','resourceVersion':'1036','generation':1,"
        "'labels':{'app':'myapp'},'annotations':{'kubectl.kubernetes.io/last-applied-"
        "configuration':'{}\\n'}},'spec':{'replicas':2,'serviceName':'myapp-svc','selector':"
        "{'matchLabels':{'app':'myapp-pod'}},'template':{'metadata':{'labels':{'app':"
        "'myapp-pod'},'creationTimestamp':null},'spec':{'containers':[" MYAPP(
            "ikubernetes/myapp:v1",
            PORTS80) "],'terminationGracePeriodSeconds':30}},"
                     "'volumeClaimTemplates':[{'apiVersion':'v1','kind':'PersistentVolumeClaim','"
                     "metadata':"
                     "{'name':'myappdata'},'spec':{'accessModes':['ReadWriteOnce'],'resources':{'"
                     "requests':"
                     "{'storage':'1Gi'}},'volumeMode':'Filesystem'},'status':{'phase':'Pending'}}],"
                     "'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{'partition':0}},"
                     "'podManagementPolicy':'OrderedReady'},'status':{'replicas':2,'readyReplicas':"
                     "2,"
                     "'observedGeneration':1}}"};
    run_case(&t_sts, &c);
}

/* KUBECTL.md §10: the other list strategies of the real types */
static void test_kubernetes_list_strategies(void **state)
{
    static const struct smp_case pod[] = {
        {"volumes: $retainKeys switches hostPath to emptyDir",
         "{'spec':{'template':{'spec':{'volumes':[{'name':'data','hostPath':{'path':'/srv',"
         "'type':''}},{'name':'cfg','configMap':{'name':'x','defaultMode':420}}]}}}}",
         "{'spec':{'template':{'spec':{'$setElementOrder/volumes':[{'name':'data'},"
         "{'name':'cfg'}],'volumes':[{'$retainKeys':['emptyDir','name'],'emptyDir':{},"
         "'name':'data'}]}}}}",
         "{'spec':{'template':{'spec':{'volumes':[{'name':'data','emptyDir':{}},"
         "{'name':'cfg','configMap':{'name':'x','defaultMode':420}}]}}}}"},
        {"volumes: without $retainKeys both sources stay",
         "{'spec':{'template':{'spec':{'volumes':[{'name':'data','hostPath':{'path':'/srv'}}]}}}}",
         "{'spec':{'template':{'spec':{'volumes':[{'emptyDir':{},'name':'data'}]}}}}",
         "{'spec':{'template':{'spec':{'volumes':[{'name':'data','hostPath':{'path':'/srv'},"
         "'emptyDir':{}}]}}}}"},
        {"volumeMounts merge by mountPath",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','volumeMounts':[{'name':'a',"
         "'mountPath':'/a'},{'name':'b','mountPath':'/b'}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','volumeMounts':[{'name':'b2',"
         "'mountPath':'/b'},{'mountPath':'/a','$patch':'delete'}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','volumeMounts':[{'name':'b2',"
         "'mountPath':'/b'}]}]}}}}"},
        {"ports merge by containerPort (a number)",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':80,"
         "'name':'web'},{'containerPort':443,'name':'tls'}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':443,"
         "'hostPort':8443},{'containerPort':9090,'name':'metrics'}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':80,"
         "'name':'web'},{'containerPort':443,'name':'tls','hostPort':8443},"
         "{'containerPort':9090,'name':'metrics'}]}]}}}}"},
        {"env: value replaced by valueFrom",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','env':[{'name':'A','value':'1'},"
         "{'name':'B','value':'2'}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','env':[{'name':'A','value':"
         "null,'valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}]}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','env':[{'name':'A','valueFrom':"
         "{'fieldRef':{'fieldPath':'metadata.name'}}},{'name':'B','value':'2'}]}]}}}}"},
        {"initContainers merge by name, containers untouched",
         "{'spec':{'template':{'spec':{'initContainers':[{'name':'init','image':'a'}],"
         "'containers':[{'name':'c','image':'x'}]}}}}",
         "{'spec':{'template':{'spec':{'initContainers':[{'name':'init','image':'b'}]}}}}",
         "{'spec':{'template':{'spec':{'initContainers':[{'name':'init','image':'b'}],"
         "'containers':[{'name':'c','image':'x'}]}}}}"},
        {"command, args, tolerations and accessModes are replaced, not merged",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','command':['a','b'],"
         "'args':['x']}],'tolerations':[{'key':'k1','operator':'Exists'}]}},"
         "'volumeClaimTemplates':[{'metadata':{'name':'d'},'spec':{'accessModes':"
         "['ReadWriteOnce','ReadOnlyMany']}}]}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','command':['b'],'args':[]}],"
         "'tolerations':[{'key':'k2','operator':'Exists'}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','command':['b'],'args':[]}],"
         "'tolerations':[{'key':'k2','operator':'Exists'}]}},'volumeClaimTemplates':"
         "[{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce','ReadOnlyMany']}}]}}"},
        {"volumeClaimTemplates is atomic",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'d'},'spec':{'resources':"
         "{'requests':{'storage':'1Gi'}}},'status':{'phase':'Pending'}}]}}",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'d'},'spec':{'resources':"
         "{'requests':{'storage':'2Gi'}}}}]}}",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'d'},'spec':{'resources':"
         "{'requests':{'storage':'2Gi'}}}}]}}"},
        {"resources: quantity maps merge per key",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','resources':{'limits':"
         "{'cpu':'1','memory':'1Gi'}}}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','resources':{'limits':"
         "{'cpu':null,'memory':'2Gi'},'requests':{'cpu':'100m'}}}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'c','resources':{'limits':"
         "{'memory':'2Gi'},'requests':{'cpu':'100m'}}}]}}}}"},
        /* without $setElementOrder a new item goes before the live ones, as upstream does */
        {"imagePullSecrets merge by name",
         "{'spec':{'template':{'spec':{'imagePullSecrets':[{'name':'a'}]}}}}",
         "{'spec':{'template':{'spec':{'imagePullSecrets':[{'name':'b'}]}}}}",
         "{'spec':{'template':{'spec':{'imagePullSecrets':[{'name':'b'},{'name':'a'}]}}}}"},
        {"status conditions merge by type",
         "{'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'False'}]}}",
         "{'status':{'conditions':[{'type':'B','status':'True','reason':'Up'}]}}",
         "{'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'True',"
         "'reason':'Up'}]}}"},
        {"ownerReferences merge by uid",
         "{'metadata':{'ownerReferences':[{'apiVersion':'apps/v1','kind':'StatefulSet',"
         "'name':'web','uid':'u1','controller':true}]}}",
         "{'metadata':{'ownerReferences':[{'uid':'u1','$patch':'delete'},{'apiVersion':'v1',"
         "'kind':'ConfigMap','name':'c','uid':'u2'}]}}",
         "{'metadata':{'ownerReferences':[{'apiVersion':'v1','kind':'ConfigMap','name':'c',"
         "'uid':'u2'}]}}"},
        {"finalizers: $deleteFromPrimitiveList",
         "{'metadata':{'finalizers':['kubernetes.io/pvc-protection','example.com/a']}}",
         "{'metadata':{'$deleteFromPrimitiveList/finalizers':['example.com/a']}}",
         "{'metadata':{'finalizers':['kubernetes.io/pvc-protection']}}"},
        {"finalizers: union, the patch's order first",
         "{'metadata':{'finalizers':['kubernetes.io/pvc-protection','example.com/a']}}",
         "{'metadata':{'finalizers':['example.com/b','kubernetes.io/pvc-protection']}}",
         "{'metadata':{'finalizers':['example.com/b','kubernetes.io/pvc-protection',"
         "'example.com/a']}}"},
        {"finalizers: $setElementOrder with additions and deletions",
         "{'metadata':{'finalizers':['a','b','c']}}",
         "{'metadata':{'$setElementOrder/finalizers':['c','d','a'],'finalizers':['d'],"
         "'$deleteFromPrimitiveList/finalizers':['b']}}",
         "{'metadata':{'finalizers':['c','d','a']}}"},
        {"fields the schema does not know: maps merge, lists are replaced",
         "{'spec':{'foo':{'a':1,'l':[1,2]},'template':{'spec':{'bar':[{'name':'x','v':1}]}}}}",
         "{'spec':{'foo':{'b':2,'l':[3]},'template':{'spec':{'bar':[{'name':'x','w':2}]}}}}",
         "{'spec':{'foo':{'a':1,'l':[3],'b':2},'template':{'spec':{'bar':[{'name':'x',"
         "'w':2}]}}}}"},
    };
    static const struct smp_case svc[] = {
        {"Service ports merge by port",
         "{'spec':{'ports':[{'name':'web','port':80,'targetPort':8080},{'name':'tls','port':443}],"
         "'selector':{'app':'web'}}}",
         "{'spec':{'$setElementOrder/ports':[{'port':443},{'port':80}],'ports':[{'port':80,"
         "'targetPort':'http'}]}}",
         "{'spec':{'ports':[{'name':'tls','port':443},{'name':'web','port':80,'targetPort':"
         "'http'}],'selector':{'app':'web'}}}"},
    };
    run_cases(&t_sts, pod, ARRAY_SIZE(pod));
    run_cases(&t_svc, svc, ARRAY_SIZE(svc));
}

/* The kubectl flows once more, through the generated tables of src/api/schema (the real
 * patch metadata of apps/v1 and core/v1). */
static void test_generated_schema(void **state)
{
    const struct sch_type *sts = sch_type_find("io.k8s.api.apps.v1.StatefulSet");
    static const struct smp_case cases[] = {
        {"set image", STS_BEFORE,
         "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'myapp'}],"
         "'containers':[{'image':'ikubernetes/myapp:v2','name':'myapp'}]}}}}",
         STS_WITH("[" MYAPP("ikubernetes/myapp:v2", PORTS80) "]")},
        {"apply: a sidecar first, env added, ports removed", STS_BEFORE,
         "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'sidecar'},"
         "{'name':'myapp'}],'containers':[{'command':['sleep','3600'],'image':'busybox:1.36',"
         "'name':'sidecar'},{'env':[{'name':'FOO','value':'bar'}],'name':'myapp',"
         "'ports':null}]}}}}",
         STS_WITH("[{'name':'sidecar','image':'busybox:1.36','command':['sleep','3600']},"
                  "" MYAPP("ikubernetes/myapp:v1", "'env':[{'name':'FOO','value':'bar'}],") "]")},
        {"ports by containerPort, volumes with $retainKeys, finalizers as a set",
         "{'metadata':{'finalizers':['a','b']},'spec':{'template':{'spec':{'containers':"
         "[{'name':'c','ports':[{'containerPort':80,'name':'web'}]}],'volumes':[{'name':'d',"
         "'hostPath':{'path':'/srv'}}]}}}}",
         "{'metadata':{'$deleteFromPrimitiveList/finalizers':['a'],'finalizers':['c']},"
         "'spec':{'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':80,"
         "'protocol':'TCP'}]}],'volumes':[{'$retainKeys':['emptyDir','name'],'name':'d',"
         "'emptyDir':{}}]}}}}",
         "{'metadata':{'finalizers':['c','b']},'spec':{'template':{'spec':{'containers':"
         "[{'name':'c','ports':[{'containerPort':80,'name':'web','protocol':'TCP'}]}],"
         "'volumes':[{'name':'d','emptyDir':{}}]}}}}"},
        {"volumeClaimTemplates and tolerations are replaced",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'a'}},{'metadata':{'name':'b'}}],"
         "'template':{'spec':{'tolerations':[{'key':'x'}]}}}}",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'b'}}],'template':{'spec':"
         "{'tolerations':[{'key':'y'}]}}}}",
         "{'spec':{'volumeClaimTemplates':[{'metadata':{'name':'b'}}],'template':{'spec':"
         "{'tolerations':[{'key':'y'}]}}}}"},
        {"status conditions by type",
         "{'status':{'conditions':[{'type':'A','status':'False'},{'type':'B','status':'True'}]}}",
         "{'status':{'conditions':[{'type':'A','status':'True'}]}}",
         "{'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'True'}]}}"},
    };

    assert_non_null(sts);
    run_cases(sts, cases, ARRAY_SIZE(cases));
}

/* Without a schema nothing is a merge list: every list is replaced, maps still merge. */
static void test_no_schema(void **state)
{
    static const struct smp_case c = {
        "no schema", "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b'}],'x':{'y':1}}}",
        "{'spec':{'containers':[{'name':'a','image':'2'}],'x':{'z':2}}}",
        "{'spec':{'containers':[{'name':'a','image':'2'}],'x':{'y':1,'z':2}}}"};
    run_case(NULL, &c);
}

/* Merge keys compare as Go compares decoded JSON: 1, 1.0 and "1" are three different keys. */
static void test_merge_key_types(void **state)
{
    static const struct smp_case cases[] = {
        {"1.0 is not 1", "{'mergingList':[{'name':1,'value':'a'}]}",
         "{'mergingList':[{'name':1.0,'value':'b'}]}",
         "{'mergingList':[{'name':1.0,'value':'b'},{'name':1,'value':'a'}]}"},
        {"'1' is not 1", "{'mergingList':[{'name':1,'value':'a'}]}",
         "{'mergingList':[{'name':'1','$patch':'delete'},{'name':1,'other':'x'}]}",
         "{'mergingList':[{'name':1,'value':'a','other':'x'}]}"},
    };
    run_cases(&t_mergeitem, cases, ARRAY_SIZE(cases));
}

/* Upstream scans lists linearly for every item; a patch of tens of thousands of items must
 * not cost minutes here (it did, before the lookups were indexed). */
static void test_large_lists(void **state)
{
    const int n = 20000;
    json_t *o = json_object(), *p = json_object(), *ol = json_array(), *pl = json_array(),
           *order = json_array(), *ints = json_array(), *pints = json_array(), *out = NULL;
    struct strbuf err = STRBUF_INIT;

    for (int i = 0; i < n; i++) {
        json_array_append_new(ol, json_pack("{s:i,s:s}", "name", i, "value", "old"));
        json_array_append_new(ints, json_integer(i));
        json_array_append_new(pints, json_integer(n + i));
        /* every other item changes, every third is deleted, n new ones are added */
        if (i % 3 == 0)
            json_array_append_new(pl, json_pack("{s:i,s:s}", "name", i, "$patch", "delete"));
        else if (i % 2 == 0)
            json_array_append_new(pl, json_pack("{s:i,s:s}", "name", i, "value", "new"));
    }
    for (int i = 0; i < n; i++)
        json_array_append_new(pl, json_pack("{s:i}", "name", n + i));
    for (int i = 2 * n - 1; i >= 0; i--)
        if (i >= n || i % 3)
            json_array_append_new(order, json_pack("{s:i}", "name", i));
    json_object_set_new(o, "mergingList", ol);
    json_object_set_new(o, "mergingIntList", ints);
    json_object_set_new(p, "mergingList", pl);
    json_object_set_new(p, "mergingIntList", pints);

    /* the yardstick: linear work on the same documents (copying and printing them) */
    clock_t t0 = clock();
    for (int i = 0; i < 5; i++) {
        json_t *c = json_deep_copy(o);
        char *t = json_dump_canonical(p);
        free(t);
        json_decref(c);
    }
    double linear = (double)(clock() - t0) / CLOCKS_PER_SEC;

    t0 = clock();
    /* without an order list: the patch's items first, then the rest */
    assert_int_equal(patch_strategic(&t_mergeitem, o, p, &out, &err), 0);
    assert_int_equal(json_array_size(jget(out, "mergingList")), n - (n + 2) / 3 + n);
    assert_int_equal(json_array_size(jget(out, "mergingIntList")), 2 * n);
    json_decref(out);
    /* with one: exactly its order, reversed */
    json_object_set_new(p, "$setElementOrder/mergingList", order);
    /* the patch list must follow the order list: reverse it too */
    json_t *rev = json_array();
    for (size_t i = json_array_size(pl); i-- > 0;)
        json_array_append(rev, json_array_get(pl, i));
    json_object_set_new(p, "mergingList", rev);
    assert_int_equal(patch_strategic(&t_mergeitem, o, p, &out, &err), 0);
    json_t *l = jget(out, "mergingList");
    assert_int_equal(json_array_size(l), json_array_size(order));
    for (size_t i = 0; i < json_array_size(l); i++)
        assert_true(
            json_equal(jget(json_array_get(l, i), "name"), jget(json_array_get(order, i), "name")));
    assert_json_eq(json_array_get(l, json_array_size(l) - 2), "{\"name\":2,\"value\":\"new\"}");
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    /* about 10x natively; the quadratic scans upstream uses came to several thousand */
    if (secs > 100 * linear + 0.5)
        fail_msg("two patches of %d items took %.2f s of CPU, %.0f times the linear work", n, secs,
                 secs / linear);
    print_message("# two patches of %d items: %.2f s, %.1f times the linear work\n", n, secs,
                  secs / linear);
    json_decref(out);
    json_decref(o);
    json_decref(p);
    strbuf_release(&err);
}

/* A null body is an empty patch; the result never shares nodes with the inputs. */
static void test_null_patch_and_copies(void **state)
{
    json_t *o = tq("{'mergingList':[{'name':1,'mergingList':[{'name':2}]}],'simpleMap':{}}");
    json_t *p = json_null(), *out = NULL;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_strategic(&t_mergeitem, o, p, &out, &err), 0);
    assert_true(json_equal(out, o));
    assert_ptr_not_equal(out, o);
    json_decref(out);

    p = tq("{'simpleMap':{'a':'b'},'nonMergingList':[{'name':3}],"
           "'mergingList':[{'name':1,'value':'v'}]}");
    assert_int_equal(patch_strategic(&t_mergeitem, o, p, &out, &err), 0);
    json_object_set_new(json_array_get(jget(out, "nonMergingList"), 0), "name", json_integer(99));
    json_object_set_new(json_array_get(jget(out, "mergingList"), 0), "value", json_string("w"));
    json_object_set_new(jget(out, "simpleMap"), "a", json_string("c"));
    assert_json_eq(o, "{\"mergingList\":[{\"name\":1,\"mergingList\":[{\"name\":2}]}],"
                      "\"simpleMap\":{}}");
    assert_json_eq(p, "{\"simpleMap\":{\"a\":\"b\"},\"nonMergingList\":[{\"name\":3}],"
                      "\"mergingList\":[{\"name\":1,\"value\":\"v\"}]}");
    json_decref(out);
    json_decref(p);
    json_decref(o);
    strbuf_release(&err);
}

/* Deep documents are walked without trouble up to the parser's depth bound. */
static void test_deep_documents(void **state)
{
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    json_t *o, *p, *out = NULL;
    struct strbuf err = STRBUF_INIT;
    int depth = JSON_MAX_DEPTH - 1;

    for (int i = 0; i < depth; i++) {
        strbuf_addstr(&a, "{\"m\":");
        strbuf_addstr(&b, "{\"m\":");
    }
    strbuf_addstr(&a, "{\"x\":1}");
    strbuf_addstr(&b, "{\"y\":2}");
    for (int i = 0; i < depth; i++) {
        strbuf_addch(&a, '}');
        strbuf_addch(&b, '}');
    }
    o = json_parse_bounded(a.buf, a.len, JSON_MAX_DEPTH, &err);
    p = json_parse_bounded(b.buf, b.len, JSON_MAX_DEPTH, &err);
    assert_non_null(o);
    assert_non_null(p);
    assert_int_equal(patch_strategic(NULL, o, p, &out, &err), 0);
    json_t *leaf = out;
    for (int i = 0; i < depth; i++)
        leaf = jget(leaf, "m");
    assert_json_eq(leaf, "{\"x\":1,\"y\":2}");
    json_decref(out);
    json_decref(o);
    json_decref(p);
    strbuf_release(&a);
    strbuf_release(&b);
    strbuf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upstream_custom_cases),
        cmocka_unit_test(test_upstream_create_cases),
        cmocka_unit_test(test_upstream_raw_list_cases),
        cmocka_unit_test(test_upstream_raw_retainkeys_cases),
        cmocka_unit_test(test_upstream_unknown_fields_and_numbers),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_kubectl_set_image),
        cmocka_unit_test(test_kubectl_apply_three_way),
        cmocka_unit_test(test_kubectl_patch_and_edit),
        cmocka_unit_test(test_kubectl_rollout_undo),
        cmocka_unit_test(test_kubernetes_list_strategies),
        cmocka_unit_test(test_generated_schema),
        cmocka_unit_test(test_no_schema),
        cmocka_unit_test(test_merge_key_types),
        cmocka_unit_test(test_large_lists),
        cmocka_unit_test(test_null_patch_and_copies),
        cmocka_unit_test(test_deep_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
