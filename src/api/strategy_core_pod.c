/* strategy_core_pod.c — Pod and PodSpec: defaults, validation, QoS, the pod update rule.
 *
 * Upstream: pkg/apis/core/v1/defaults.go (SetDefaults_Pod, SetDefaults_PodSpec, _Container,
 * _Probe, _Volume ...), pkg/apis/core/validation/validation.go (ValidatePodSpec,
 * ValidatePodUpdate), pkg/apis/core/helper/qos (ComputePodQOS) and
 * pkg/registry/core/pod/strategy.go. PodSpec defaults are shared with StatefulSet templates
 * (strategy_apps.c); the Pod-only defaults (requests from limits, enableServiceLinks, host
 * ports under hostNetwork) are not, exactly as upstream.
 */
#include <stdio.h>
#include <string.h>

#include "api/strategy_internal.h"
#include "base/alloc.h"
#include "base/names.h"

/* --- Defaults --- */

static void set_default_str(json_t *obj, const char *key, const char *val)
{
    const char *cur = jget_str(obj, key);
    if (!cur || !*cur)
        jset_str(obj, key, val);
}

/* Zero values are dropped by the decoder, so "0" and "absent" are the same here. */
static void set_default_int(json_t *obj, const char *key, int64_t val)
{
    if (!jget_int(obj, key, 0))
        jset_int(obj, key, val);
}

static void httpget_defaults(json_t *h)
{
    if (!json_is_object(h))
        return;
    set_default_str(h, "path", "/");
    set_default_str(h, "scheme", "HTTP");
}

static void probe_defaults(json_t *p)
{
    if (!json_is_object(p))
        return;
    set_default_int(p, "timeoutSeconds", 1);
    set_default_int(p, "periodSeconds", 10);
    set_default_int(p, "successThreshold", 1);
    set_default_int(p, "failureThreshold", 3);
    httpget_defaults(jget_obj(p, "httpGet"));
}

static void fieldref_defaults(json_t *fr)
{
    if (json_is_object(fr))
        set_default_str(fr, "apiVersion", "v1");
}

/* Is the image reference's tag "latest" (explicitly, or because it has neither tag nor
 * digest)? Mirrors parsers.ParseImageName: an unparsable reference has no tag. */
static bool image_is_latest(const char *image)
{
    const char *at, *name_end, *slash, *colon, *path;
    size_t len;
    bool has_digest;

    if (!image || !*image)
        return false;
    at = strchr(image, '@');
    has_digest = at != NULL;
    name_end = at ? at : image + strlen(image);
    len = (size_t)(name_end - image);
    slash = NULL;
    for (const char *p = image; p < name_end; p++)
        if (*p == '/')
            slash = p;
    colon = NULL;
    for (const char *p = slash ? slash + 1 : image; p < name_end; p++)
        if (*p == ':')
            colon = p;

    /* The repository path after an optional registry domain must be lower case. */
    path = image;
    const char *first_slash = memchr(image, '/', len);
    if (first_slash) {
        bool domain = false;
        for (const char *p = image; p < first_slash; p++)
            if (*p == '.' || *p == ':' || (*p >= 'A' && *p <= 'Z'))
                domain = true;
        if ((size_t)(first_slash - image) == 9 && !strncmp(image, "localhost", 9))
            domain = true;
        if (domain)
            path = first_slash + 1;
    }
    for (const char *p = path; p < (colon ? colon : name_end); p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
            return false;
    if (path == (colon ? colon : name_end))
        return false;
    if (colon) {
        size_t tl = (size_t)(name_end - colon - 1);
        if (!tl || tl > 128)
            return false;
        for (const char *p = colon + 1; p < name_end; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
                return false;
        if (colon[1] == '.' || colon[1] == '-')
            return false;
        return tl == 6 && !strncmp(colon + 1, "latest", 6);
    }
    return !has_digest;
}

static void container_defaults(json_t *c)
{
    size_t i;
    json_t *v;

    if (!json_is_object(c))
        return;
    if (!jget_str(c, "imagePullPolicy") || !*jget_str(c, "imagePullPolicy"))
        jset_str(c, "imagePullPolicy",
                 image_is_latest(jget_str(c, "image")) ? "Always" : "IfNotPresent");
    set_default_str(c, "terminationMessagePath", "/dev/termination-log");
    set_default_str(c, "terminationMessagePolicy", "File");
    json_array_foreach(jget_arr(c, "ports"), i, v) set_default_str(v, "protocol", "TCP");
    json_array_foreach(jget_arr(c, "env"), i, v)
        fieldref_defaults(jget_obj(jget_obj(v, "valueFrom"), "fieldRef"));
    probe_defaults(jget_obj(c, "livenessProbe"));
    probe_defaults(jget_obj(c, "readinessProbe"));
    probe_defaults(jget_obj(c, "startupProbe"));
    httpget_defaults(jget_obj(jget_obj(jget_obj(c, "lifecycle"), "postStart"), "httpGet"));
    httpget_defaults(jget_obj(jget_obj(jget_obj(c, "lifecycle"), "preStop"), "httpGet"));
}

static void default_mode(json_t *src)
{
    if (json_is_object(src) && !jget(src, "defaultMode"))
        jset_int(src, "defaultMode", 420); /* 0644 */
}

static void volume_defaults(json_t *vol)
{
    json_t *src, *e;
    size_t i;

    if (!json_is_object(vol))
        return;
    /* No source at all (only a name): upstream makes it an emptyDir. */
    if (json_object_size(vol) == (jget(vol, "name") ? 1u : 0u))
        json_object_set_new(vol, "emptyDir", json_object());
    if ((src = jget_obj(vol, "hostPath")) && !jget(src, "type"))
        jset_str(src, "type", "");
    default_mode(jget_obj(vol, "secret"));
    default_mode(jget_obj(vol, "configMap"));
    if ((src = jget_obj(vol, "downwardAPI"))) {
        default_mode(src);
        json_array_foreach(jget_arr(src, "items"), i, e) fieldref_defaults(jget_obj(e, "fieldRef"));
    }
    if ((src = jget_obj(vol, "projected"))) {
        default_mode(src);
        json_array_foreach(jget_arr(src, "sources"), i, e)
        {
            size_t j;
            json_t *item, *tok;
            json_array_foreach(jget_arr(jget_obj(e, "downwardAPI"), "items"), j, item)
                fieldref_defaults(jget_obj(item, "fieldRef"));
            if ((tok = jget_obj(e, "serviceAccountToken")) && !jget(tok, "expirationSeconds"))
                jset_int(tok, "expirationSeconds", 3600);
        }
    }
    if ((src = jget_obj(vol, "iscsi")))
        set_default_str(src, "iscsiInterface", "default");
    if ((src = jget_obj(vol, "rbd"))) {
        set_default_str(src, "pool", "rbd");
        set_default_str(src, "user", "admin");
        set_default_str(src, "keyring", "/etc/ceph/keyring");
    }
    if ((src = jget_obj(vol, "azureDisk"))) {
        set_default_str(src, "cachingMode", "ReadWrite");
        set_default_str(src, "fsType", "ext4");
        if (!jget(src, "readOnly"))
            jset_bool(src, "readOnly", false);
        set_default_str(src, "kind", "Shared");
    }
    if ((src = jget_obj(vol, "scaleIO"))) {
        set_default_str(src, "storageMode", "ThinProvisioned");
        set_default_str(src, "fsType", "xfs");
    }
    if ((src = jget_obj(jget_obj(jget_obj(vol, "ephemeral"), "volumeClaimTemplate"), "spec")))
        strat__pvc_spec_defaults(src);
}

void strat__podspec_defaults(json_t *spec)
{
    size_t i;
    json_t *v;

    if (!json_is_object(spec))
        return;
    set_default_str(spec, "dnsPolicy", "ClusterFirst");
    set_default_str(spec, "restartPolicy", "Always");
    if (!jget_obj(spec, "securityContext"))
        json_object_set_new(spec, "securityContext", json_object());
    if (!jget(spec, "terminationGracePeriodSeconds"))
        jset_int(spec, "terminationGracePeriodSeconds", 30);
    set_default_str(spec, "schedulerName", "default-scheduler");
    json_array_foreach(jget_arr(spec, "volumes"), i, v) volume_defaults(v);
    json_array_foreach(jget_arr(spec, "initContainers"), i, v) container_defaults(v);
    json_array_foreach(jget_arr(spec, "containers"), i, v) container_defaults(v);
    json_array_foreach(jget_arr(spec, "ephemeralContainers"), i, v) container_defaults(v);
}

/* SetDefaults_Pod: requests default to limits (per resource), only on real pods. */
static void requests_from_limits(json_t *c)
{
    json_t *res = jget_obj(c, "resources");
    json_t *lim = jget_obj(res, "limits"), *req, *q;
    const char *k;

    if (!lim || !json_object_size(lim))
        return;
    req = jensure_obj(res, "requests");
    json_object_foreach(lim, k, q)
    {
        if (!jget(req, k))
            json_object_set(req, k, q);
    }
}

static void pod_defaults(json_t *pod)
{
    json_t *spec = jget_obj(pod, "spec"), *c, *port;
    size_t i, j;

    if (!spec)
        return;
    json_array_foreach(jget_arr(spec, "containers"), i, c) requests_from_limits(c);
    json_array_foreach(jget_arr(spec, "initContainers"), i, c) requests_from_limits(c);
    if (!jget(spec, "enableServiceLinks"))
        jset_bool(spec, "enableServiceLinks", true);
    if (jget_bool(spec, "hostNetwork", false)) {
        static const char *const lists[] = {"containers", "initContainers", NULL};
        for (const char *const *l = lists; *l; l++)
            json_array_foreach(jget_arr(spec, *l), i, c)
                json_array_foreach(jget_arr(c, "ports"), j, port)
            {
                if (!jget_int(port, "hostPort", 0))
                    jset_int(port, "hostPort", jget_int(port, "containerPort", 0));
            }
    }
    strat__podspec_defaults(spec);
}

/* --- QoS (ComputePodQOS), on the requests the defaults will produce --- */

struct qos_sum {
    struct quantity q[2]; /* cpu, memory */
    bool have[2];
};

static void qos_add(struct qos_sum *s, int idx, const struct quantity *q)
{
    if (!s->have[idx]) {
        s->q[idx] = *q;
        s->have[idx] = true;
    } else {
        struct quantity out;
        if (quantity_add(&s->q[idx], q, &out) == 0)
            s->q[idx] = out;
    }
}

const char *strat__pod_qos(const json_t *spec)
{
    static const char *const names[] = {"cpu", "memory"};
    static const char *const lists[] = {"containers", "initContainers", NULL};
    struct qos_sum req = {0}, lim = {0};
    bool guaranteed = true;
    size_t i;
    json_t *c;

    for (const char *const *l = lists; *l; l++) {
        json_array_foreach(jget_arr(spec, *l), i, c)
        {
            const json_t *r = jget_obj(jget_obj(c, "resources"), "requests");
            const json_t *L = jget_obj(jget_obj(c, "resources"), "limits");
            bool lim_found[2] = {false, false};
            for (int k = 0; k < 2; k++) {
                struct quantity q;
                /* A request absent but limited is defaulted to the limit (SetDefaults_Pod). */
                const json_t *rv = jget(r, names[k]) ? jget(r, names[k]) : jget(L, names[k]);
                if (strat__qty(rv, &q) && !quantity_is_zero(&q) && !quantity_is_negative(&q))
                    qos_add(&req, k, &q);
                if (strat__qty(jget(L, names[k]), &q) && !quantity_is_zero(&q) &&
                    !quantity_is_negative(&q)) {
                    lim_found[k] = true;
                    qos_add(&lim, k, &q);
                }
            }
            if (!lim_found[0] || !lim_found[1])
                guaranteed = false;
        }
    }
    if (!req.have[0] && !req.have[1] && !lim.have[0] && !lim.have[1])
        return "BestEffort";
    if (guaranteed) {
        for (int k = 0; k < 2; k++)
            if (req.have[k] && (!lim.have[k] || quantity_cmp(&lim.q[k], &req.q[k])))
                guaranteed = false;
        if (req.have[0] + req.have[1] != lim.have[0] + lim.have[1])
            guaranteed = false;
    }
    return guaranteed ? "Guaranteed" : "Burstable";
}

/* --- Validation --- */

struct pctx {
    struct ferrs *e;
    const json_t *vols; /* object: valid volume name -> volume (borrowed) */
    const json_t *spec;
    bool is_pod;
};

static const char *str_or(const json_t *obj, const char *key, const char *def)
{
    const char *s = jget_str(obj, key);
    return s ? s : def;
}

/* path.IsAbs and the no-backsteps rules for paths inside volumes. */
static void validate_no_backsteps(struct ferrs *e, const char *field, const char *p)
{
    char *dup = xstrdup(p), *save = NULL;
    for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, "..")) {
            ferr_invalid_str(e, field, p, "must not contain '..'");
            break;
        }
    }
    free(dup);
}

static void validate_local_descending_path(struct ferrs *e, const char *field, const char *p)
{
    if (p[0] == '/')
        ferr_invalid_str(e, field, p, "must be a relative path");
    validate_no_backsteps(e, field, p);
}

static void validate_local_non_reserved_path(struct ferrs *e, const char *field, const char *p)
{
    validate_local_descending_path(e, field, p);
    if (!strncmp(p, "..", 2) && strncmp(p, "../", 3))
        ferr_invalid_str(e, field, p, "must not start with '..'");
}

static void validate_file_mode(struct ferrs *e, const char *field, const json_t *mode)
{
    if (json_is_integer(mode) &&
        (json_integer_value(mode) > 0777 || json_integer_value(mode) < 0))
        ferr_invalid(e, field, mode, "must be a number between 0 and 0777 (octal), both inclusive");
}

static void validate_key_to_paths(struct ferrs *e, const char *path, const json_t *items)
{
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *kp;

    json_array_foreach(items, i, kp)
    {
        const char *key = str_or(kp, "key", ""), *fp = str_or(kp, "path", "");
        if (!*key) {
            strat__path(p, "%s.items[%zu].key", path, i);
            ferr_required(e, p, NULL);
        }
        strat__path(p, "%s.items[%zu].path", path, i);
        if (!*fp)
            ferr_required(e, p, NULL);
        validate_local_non_reserved_path(e, p, fp);
        strat__path(p, "%s.items[%zu].mode", path, i);
        validate_file_mode(e, p, jget(kp, "mode"));
    }
}

/* The volume source types, in upstream's checking order, by JSON name. */
static const char *const volume_types[] = {
    "hostPath", "emptyDir", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret",
    "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "quobyte", "cinder",
    "cephfs", "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume",
    "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", "projected",
    "csi", "ephemeral", "image", NULL};

static const char *const host_path_types[] = {"",       "BlockDevice", "CharDevice",
                                              "Directory", "DirectoryOrCreate", "File",
                                              "FileOrCreate", "Socket", NULL};

static void validate_volume_source(struct ferrs *e, const char *path, const json_t *vol)
{
    char p[STRAT_PATH_MAX];
    int num = 0;
    const json_t *s;

    for (const char *const *t = volume_types; *t; t++) {
        if (!jget(vol, *t))
            continue;
        if (num > 0) {
            strat__path(p, "%s.%s", path, *t);
            ferr_forbidden(e, p, "may not specify more than 1 volume type");
            continue;
        }
        num++;
        s = jget(vol, *t);
        if (!strcmp(*t, "hostPath")) {
            const char *hp = str_or(s, "path", "");
            strat__path(p, "%s.hostPath.path", path);
            if (!*hp)
                ferr_required(e, p, NULL);
            validate_no_backsteps(e, p, hp);
            if (jget_str(s, "type") && !strat__in(jget_str(s, "type"), host_path_types)) {
                strat__path(p, "%s.hostPath.type", path);
                ferr_not_supported(e, p, jget_str(s, "type"), host_path_types);
            }
        } else if (!strcmp(*t, "emptyDir")) {
            struct quantity q;
            if (strat__qty(jget(s, "sizeLimit"), &q) && quantity_is_negative(&q)) {
                strat__path(p, "%s.emptyDir.sizeLimit", path);
                ferr_forbidden(e, p, "SizeLimit field must be a valid resource quantity");
            }
        } else if (!strcmp(*t, "secret") || !strcmp(*t, "configMap")) {
            bool secret = !strcmp(*t, "secret");
            strat__path(p, "%s.%s.%s", path, *t, secret ? "secretName" : "name");
            if (!*str_or(s, secret ? "secretName" : "name", ""))
                ferr_required(e, p, NULL);
            strat__path(p, "%s.%s.defaultMode", path, *t);
            validate_file_mode(e, p, jget(s, "defaultMode"));
            strat__path(p, "%s.%s", path, *t);
            validate_key_to_paths(e, p, jget_arr(s, "items"));
        } else if (!strcmp(*t, "persistentVolumeClaim")) {
            if (!*str_or(s, "claimName", "")) {
                strat__path(p, "%s.persistentVolumeClaim.claimName", path);
                ferr_required(e, p, NULL);
            }
        } else if (!strcmp(*t, "nfs")) {
            const char *np = str_or(s, "path", "");
            if (!*str_or(s, "server", "")) {
                strat__path(p, "%s.nfs.server", path);
                ferr_required(e, p, NULL);
            }
            strat__path(p, "%s.nfs.path", path);
            if (!*np)
                ferr_required(e, p, NULL);
            if (np[0] != '/')
                ferr_invalid_str(e, p, np, "must be an absolute path");
        } else if (!strcmp(*t, "downwardAPI") || !strcmp(*t, "projected")) {
            strat__path(p, "%s.%s.defaultMode", path, *t);
            validate_file_mode(e, p, jget(s, "defaultMode"));
        } else if (!strcmp(*t, "csi")) {
            if (!*str_or(s, "driver", "")) {
                strat__path(p, "%s.csi.driver", path);
                ferr_required(e, p, NULL);
            }
        } else if (!strcmp(*t, "ephemeral")) {
            const json_t *tmpl = jget_obj(s, "volumeClaimTemplate");
            strat__path(p, "%s.ephemeral.volumeClaimTemplate", path);
            if (!tmpl)
                ferr_required(e, p, NULL);
            else {
                strat__path(p, "%s.ephemeral.volumeClaimTemplate.spec", path);
                strat__pvc_spec_validate(jget_obj(tmpl, "spec"), p, e);
            }
        }
    }
    if (num == 0)
        ferr_required(e, path, "must specify a volume type");
}

/* ValidateVolumes: returns (new reference) the object of valid volumes by name; a volume with
 * any error is left out, so mounts of it are reported "Not found" too, as upstream does. */
static json_t *validate_volumes(struct ferrs *e, const char *path, const json_t *vols)
{
    json_t *ok = json_object(), *vol;
    char p[STRAT_PATH_MAX], np[STRAT_PATH_MAX];
    size_t i;

    json_array_foreach(vols, i, vol)
    {
        struct ferrs el = FERRS_INIT;
        const char *name = str_or(vol, "name", "");

        strat__path(p, "%s[%zu]", path, i);
        strat__path(np, "%s[%zu].name", path, i);
        validate_volume_source(&el, p, vol);
        if (!*name)
            ferr_required(&el, np, NULL);
        else
            strat__check_dns_label(&el, np, name);
        if (*name && jget(ok, name))
            strat__duplicate_str(&el, np, name);
        if (!el.nr) {
            json_object_set(ok, name, vol);
        } else {
            /* move the errors over */
            for (size_t k = 0; k < el.nr; k++) {
                ALLOC_GROW(e->v, e->nr + 1, e->alloc);
                e->v[e->nr++] = el.v[k];
            }
            free(el.v);
        }
    }
    return ok;
}

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

static void validate_container_ports(struct ferrs *e, const char *path, const json_t *ports)
{
    char p[STRAT_PATH_MAX];
    json_t *names = json_object(), *port;
    size_t i;

    json_array_foreach(ports, i, port)
    {
        const char *name = str_or(port, "name", "");
        const char *proto = str_or(port, "protocol", "");
        if (*name) {
            strat__path(p, "%s[%zu].name", path, i);
            if (strat__check_port_name(e, p, name) == 0) {
                if (jget(names, name))
                    strat__duplicate_str(e, p, name);
                else
                    json_object_set_new(names, name, json_true());
            }
        }
        strat__path(p, "%s[%zu].containerPort", path, i);
        if (!jget_int(port, "containerPort", 0))
            ferr_required(e, p, NULL);
        else
            strat__check_port_num(e, p, jget_int(port, "containerPort", 0));
        if (jget_int(port, "hostPort", 0)) {
            strat__path(p, "%s[%zu].hostPort", path, i);
            strat__check_port_num(e, p, jget_int(port, "hostPort", 0));
        }
        strat__path(p, "%s[%zu].protocol", path, i);
        if (!*proto)
            ferr_required(e, p, NULL);
        else if (!strat__in(proto, protocols))
            ferr_not_supported(e, p, proto, protocols);
    }
    json_decref(names);
}

/* IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on by default in 1.32). */
static void validate_env_name(struct ferrs *e, const char *field, const char *name)
{
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 32 || *c > 126 || *c == '=') {
            ferr_invalid_str(e, field, name,
                             "a valid environment variable name must consist only of printable "
                             "ASCII characters other than '='");
            return;
        }
    }
}

static const char *const env_field_paths[] = {
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
    "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs", NULL};
/* Every path ConvertDownwardAPIFieldLabel knows (some only usable from volumes). */
static const char *const known_field_paths[] = {
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
    "metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName",
    "spec.schedulerName", "status.phase", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs", NULL};
static const char *const env_resource_paths[] = {
    "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
    "requests.ephemeral-storage", "requests.memory", NULL};

static void validate_field_ref(struct ferrs *e, const char *path, const json_t *fr)
{
    char p[STRAT_PATH_MAX];
    const char *fp = str_or(fr, "fieldPath", "");
    const char *open;

    if (!*str_or(fr, "apiVersion", "")) {
        strat__path(p, "%s.apiVersion", path);
        ferr_required(e, p, NULL);
        return;
    }
    strat__path(p, "%s.fieldPath", path);
    if (!*fp) {
        ferr_required(e, p, NULL);
        return;
    }
    open = strchr(fp, '[');
    if (open && fp[strlen(fp) - 1] == ']' && open[1] == '\'' && strlen(open) >= 4 &&
        fp[strlen(fp) - 2] == '\'') {
        char *base = xstrndup(fp, (size_t)(open - fp));
        char *sub = xstrndup(open + 2, strlen(open) - 4);
        if (!strcmp(base, "metadata.annotations")) {
            for (char *c = sub; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
            strat__check_qualified(e, path, sub);
        } else if (!strcmp(base, "metadata.labels")) {
            strat__check_qualified(e, path, sub);
        } else {
            ferr_invalid_str(e, path, base, "does not support subscript");
        }
        free(base);
        free(sub);
        return;
    }
    if (!strat__in(fp, known_field_paths)) {
        json_t *v = json_string(fp);
        ferr_add(e, FERR_INVALID, p, v, "error converting fieldPath: field label not supported: %s",
                 fp);
        json_decref(v);
        return;
    }
    if (!strat__in(fp, env_field_paths))
        ferr_not_supported(e, p, fp, env_field_paths);
}

static void validate_key_selector(struct ferrs *e, const char *path, const json_t *sel)
{
    char p[STRAT_PATH_MAX];
    const char *key = str_or(sel, "key", "");

    strat__path(p, "%s.name", path);
    strat__check_dns_subdomain(e, p, str_or(sel, "name", ""));
    strat__path(p, "%s.key", path);
    if (!*key)
        ferr_required(e, p, NULL);
    else
        strat__check_config_key(e, p, key);
}

static void validate_env(struct ferrs *e, const char *path, const json_t *env)
{
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *ev;

    json_array_foreach(env, i, ev)
    {
        const json_t *vf = jget_obj(ev, "valueFrom");
        const char *name = str_or(ev, "name", "");
        int num = 0;

        strat__path(p, "%s[%zu].name", path, i);
        if (!*name)
            ferr_required(e, p, NULL);
        else
            validate_env_name(e, p, name);
        if (!vf)
            continue;
        strat__path(p, "%s[%zu].valueFrom", path, i);
        if (jget(vf, "fieldRef")) {
            char fp[STRAT_PATH_MAX];
            num++;
            strat__path(fp, "%s.fieldRef", p);
            validate_field_ref(e, fp, jget(vf, "fieldRef"));
        }
        if (jget(vf, "resourceFieldRef")) {
            char fp[STRAT_PATH_MAX];
            const char *res = str_or(jget(vf, "resourceFieldRef"), "resource", "");
            num++;
            strat__path(fp, "%s.resourceFieldRef.resource", p);
            if (!*res)
                ferr_required(e, fp, NULL);
            else if (!strat__in(res, env_resource_paths) &&
                     strncmp(res, "requests.hugepages-", 19) &&
                     strncmp(res, "limits.hugepages-", 17))
                ferr_not_supported(e, fp, res, env_resource_paths);
        }
        if (jget(vf, "configMapKeyRef")) {
            char fp[STRAT_PATH_MAX];
            num++;
            strat__path(fp, "%s.configMapKeyRef", p);
            validate_key_selector(e, fp, jget(vf, "configMapKeyRef"));
        }
        if (jget(vf, "secretKeyRef")) {
            char fp[STRAT_PATH_MAX];
            num++;
            strat__path(fp, "%s.secretKeyRef", p);
            validate_key_selector(e, fp, jget(vf, "secretKeyRef"));
        }
        if (num == 0)
            ferr_invalid_str(e, p, "",
                             "must specify one of: `fieldRef`, `resourceFieldRef`, "
                             "`configMapKeyRef` or `secretKeyRef`");
        else if (*str_or(ev, "value", ""))
            ferr_invalid_str(e, p, "", "may not be specified when `value` is not empty");
        else if (num > 1)
            ferr_invalid_str(e, p, "", "may not have more than one field specified at a time");
    }
}

static void validate_env_from(struct ferrs *e, const char *path, const json_t *list)
{
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *ev;

    json_array_foreach(list, i, ev)
    {
        int num = 0;
        static const char *const refs[] = {"configMapRef", "secretRef", NULL};
        if (jget_str(ev, "prefix") && *jget_str(ev, "prefix")) {
            strat__path(p, "%s[%zu].prefix", path, i);
            validate_env_name(e, p, jget_str(ev, "prefix"));
        }
        for (const char *const *r = refs; *r; r++) {
            const json_t *ref = jget(ev, *r);
            if (!ref)
                continue;
            num++;
            strat__path(p, "%s[%zu].%s.name", path, i, *r);
            if (!*str_or(ref, "name", ""))
                ferr_required(e, p, NULL);
            else
                strat__check_dns_subdomain(e, p, str_or(ref, "name", ""));
        }
        if (num == 0)
            ferr_invalid_str(e, path, "", "must specify one of: `configMapRef` or `secretRef`");
        else if (num > 1)
            ferr_invalid_str(e, path, "", "may not have more than one field specified at a time");
    }
}

static const char *const propagations[] = {"Bidirectional", "HostToContainer", "None", NULL};

static void validate_volume_mounts(struct pctx *x, const char *path, const json_t *c)
{
    char p[STRAT_PATH_MAX];
    json_t *seen = json_object(), *m;
    size_t i;

    json_array_foreach(jget_arr(c, "volumeMounts"), i, m)
    {
        const char *name = str_or(m, "name", ""), *mp = str_or(m, "mountPath", "");
        const char *sub = str_or(m, "subPath", ""), *subx = str_or(m, "subPathExpr", "");

        strat__path(p, "%s[%zu].name", path, i);
        if (!*name)
            ferr_required(x->e, p, NULL);
        if (!jget(x->vols, name)) {
            json_t *v = json_string(name);
            ferr_add(x->e, FERR_NOT_FOUND, p, v, NULL);
            json_decref(v);
        }
        strat__path(p, "%s[%zu].mountPath", path, i);
        if (!*mp)
            ferr_required(x->e, p, NULL);
        if (jget(seen, mp))
            ferr_invalid_str(x->e, p, mp, "must be unique");
        json_object_set_new(seen, mp, json_true());
        /* upstream reports these two at the list path, not the element */
        if (*sub) {
            strat__path(p, "%s.subPath", path);
            validate_local_descending_path(x->e, p, sub);
        }
        if (*subx) {
            if (*sub) {
                strat__path(p, "%s[%zu].subPathExpr", path, i);
                ferr_invalid_str(x->e, p, subx, "subPathExpr and subPath are mutually exclusive");
            }
            strat__path(p, "%s.subPathExpr", path);
            validate_local_descending_path(x->e, p, subx);
        }
        if (jget_str(m, "mountPropagation")) {
            const char *mprop = jget_str(m, "mountPropagation");
            strat__path(p, "%s.mountPropagation", path);
            if (!strat__in(mprop, propagations))
                ferr_not_supported(x->e, p, mprop, propagations);
            else if (!strcmp(mprop, "Bidirectional") &&
                     !jget_bool(jget_obj(c, "securityContext"), "privileged", false))
                ferr_forbidden(x->e, p,
                               "Bidirectional mount propagation is available only to "
                               "privileged containers");
        }
    }
    json_decref(seen);
}

static bool is_hugepages(const char *name)
{
    return !strncmp(name, "hugepages-", 10);
}

static bool is_native(const char *name)
{
    return !strchr(name, '/') || strstr(name, "kubernetes.io/");
}

static bool overcommit_allowed(const char *name)
{
    return is_native(name) && !is_hugepages(name);
}

static const char *const standard_resources[] = {
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
    "persistentvolumeclaims", "requests.storage", "services.nodeports",
    "services.loadbalancers", NULL};

/* validateContainerResourceName; returns true if the name is acceptable. */
static bool validate_resource_name(struct ferrs *e, const char *field, const char *name)
{
    if (strat__check_qualified(e, field, name))
        return false;
    if (!strchr(name, '/')) {
        bool hp = is_hugepages(name) || !strncmp(name, "requests.hugepages-", 19) ||
                  !strncmp(name, "limits.hugepages-", 17);
        if (!strat__in(name, standard_resources) && !hp) {
            ferr_invalid_str(e, field, name, "must be a standard resource type or fully qualified");
            return false;
        }
        if (strcmp(name, "cpu") && strcmp(name, "memory") && strcmp(name, "ephemeral-storage") &&
            !is_hugepages(name)) {
            ferr_invalid_str(e, field, name, "must be a standard resource for containers");
            return false;
        }
    } else if (!is_native(name) && !strncmp(name, "requests.", 9)) {
        ferr_invalid_str(e, field, name, "doesn't follow extended resource name standard");
        return false;
    }
    return true;
}

static void validate_quantity_value(struct ferrs *e, const char *field, const char *name,
                                    const json_t *v)
{
    struct quantity q;
    if (!strat__qty(v, &q))
        return;
    if (quantity_is_negative(&q))
        ferr_invalid(e, field, v, "must be greater than or equal to 0");
    /* extended resources are integers */
    if (!is_native(name) && quantity_milli_value(&q) % 1000)
        strat__invalid_raw(e, field, json_string_value(v), "must be an integer");
}

static void validate_resources(struct ferrs *e, const char *path, const json_t *res)
{
    char lim_path[STRAT_PATH_MAX], req_path[STRAT_PATH_MAX], p[STRAT_PATH_MAX];
    const json_t *lim = jget_obj(res, "limits"), *req = jget_obj(res, "requests");
    bool cpu_mem = false, huge = false;
    const char *k;
    json_t *v;

    strat__path(lim_path, "%s.limits", path);
    strat__path(req_path, "%s.requests", path);
    json_object_foreach((json_t *)lim, k, v)
    {
        strat__path(p, "%s[%s]", lim_path, k);
        validate_resource_name(e, p, k);
        validate_quantity_value(e, p, k, v);
        huge |= is_hugepages(k);
        cpu_mem |= !strcmp(k, "cpu") || !strcmp(k, "memory");
    }
    json_object_foreach((json_t *)req, k, v)
    {
        const json_t *l = jget(lim, k);
        struct quantity rq, lq;

        strat__path(p, "%s[%s]", req_path, k);
        validate_resource_name(e, p, k);
        validate_quantity_value(e, p, k, v);
        if (l && strat__qty(v, &rq) && strat__qty(l, &lq)) {
            if (quantity_cmp(&rq, &lq) != 0 && !overcommit_allowed(k))
                ferr_add(e, FERR_INVALID, req_path, v, "must be equal to %s limit of %s", k,
                         json_string_value(l));
            else if (quantity_cmp(&rq, &lq) > 0)
                ferr_add(e, FERR_INVALID, req_path, v,
                         "must be less than or equal to %s limit of %s", k, json_string_value(l));
        } else if (!l && !overcommit_allowed(k)) {
            ferr_required(e, lim_path, "Limit must be set for non overcommitable resources");
        }
        huge |= is_hugepages(k);
        cpu_mem |= !strcmp(k, "cpu") || !strcmp(k, "memory");
    }
    if (huge && !cpu_mem)
        ferr_forbidden(e, path, "HugePages require cpu or memory");
}

static void validate_id(struct ferrs *e, const char *base, const json_t *sc, const char *key)
{
    char p[STRAT_PATH_MAX];
    json_t *v = jget(sc, key);
    if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > 2147483647)) {
        strat__path(p, "%s.%s", base, key);
        ferr_invalid(e, p, v, "must be between 0 and 2147483647, inclusive");
    }
}

static void validate_handler(struct ferrs *e, const char *path, const json_t *h, bool probe)
{
    static const char *const probe_types[] = {"exec", "httpGet", "tcpSocket", "grpc", NULL};
    static const char *const hook_types[] = {"exec", "httpGet", "tcpSocket", "sleep", NULL};
    static const char *const schemes[] = {"HTTP", "HTTPS", NULL};
    char p[STRAT_PATH_MAX];
    int num = 0;

    for (const char *const *t = probe ? probe_types : hook_types; *t; t++) {
        const json_t *a = jget(h, *t);
        if (!a)
            continue;
        strat__path(p, "%s.%s", path, *t);
        if (num > 0) {
            ferr_forbidden(e, p, "may not specify more than 1 handler type");
            continue;
        }
        num++;
        if (!strcmp(*t, "exec")) {
            if (!json_array_size(jget_arr(a, "command"))) {
                strat__path(p, "%s.exec.command", path);
                ferr_required(e, p, NULL);
            }
        } else if (!strcmp(*t, "httpGet")) {
            const char *scheme = str_or(a, "scheme", "");
            strat__path(p, "%s.httpGet.path", path);
            if (!*str_or(a, "path", ""))
                ferr_required(e, p, NULL);
            strat__path(p, "%s.httpGet.port", path);
            strat__check_port_num_or_name(e, p, jget(a, "port"));
            if (!strat__in(scheme, schemes)) {
                strat__path(p, "%s.httpGet.scheme", path);
                ferr_not_supported(e, p, scheme, schemes);
            }
        } else if (!strcmp(*t, "tcpSocket")) {
            strat__path(p, "%s.tcpSocket.port", path);
            strat__check_port_num_or_name(e, p, jget(a, "port"));
        } else if (!strcmp(*t, "grpc")) {
            strat__path(p, "%s.grpc.port", path);
            strat__check_port_num(e, p, jget_int(a, "port", 0));
        }
    }
    if (num == 0)
        ferr_required(e, path, "must specify a handler type");
}

static void validate_probe(struct ferrs *e, const char *path, const json_t *probe)
{
    static const char *const fields[] = {"initialDelaySeconds", "timeoutSeconds",
                                         "periodSeconds", "successThreshold", "failureThreshold",
                                         NULL};
    char p[STRAT_PATH_MAX];
    json_t *tg;

    validate_handler(e, path, probe, true);
    for (const char *const *f = fields; *f; f++) {
        strat__path(p, "%s.%s", path, *f);
        strat__nonneg(e, p, probe, *f);
    }
    tg = jget(probe, "terminationGracePeriodSeconds");
    if (json_is_integer(tg) && json_integer_value(tg) <= 0) {
        strat__path(p, "%s.terminationGracePeriodSeconds", path);
        ferr_invalid(e, p, tg, "must be greater than 0");
    }
}

static void validate_probes(struct ferrs *e, const char *path, const json_t *c)
{
    char p[STRAT_PATH_MAX];
    const json_t *lp = jget_obj(c, "livenessProbe"), *rp = jget_obj(c, "readinessProbe");
    const json_t *sp = jget_obj(c, "startupProbe"), *lc = jget_obj(c, "lifecycle");

    if (lc) {
        if (jget(lc, "postStart")) {
            strat__path(p, "%s.lifecycle.postStart", path);
            validate_handler(e, p, jget(lc, "postStart"), false);
        }
        if (jget(lc, "preStop")) {
            strat__path(p, "%s.lifecycle.preStop", path);
            validate_handler(e, p, jget(lc, "preStop"), false);
        }
    }
    if (lp) {
        strat__path(p, "%s.livenessProbe", path);
        validate_probe(e, p, lp);
        if (jget_int(lp, "successThreshold", 0) != 1) {
            strat__path(p, "%s.livenessProbe.successThreshold", path);
            ferr_invalid_int(e, p, jget_int(lp, "successThreshold", 0), "must be 1");
        }
    }
    if (rp) {
        strat__path(p, "%s.readinessProbe", path);
        validate_probe(e, p, rp);
        if (jget(rp, "terminationGracePeriodSeconds")) {
            strat__path(p, "%s.readinessProbe.terminationGracePeriodSeconds", path);
            ferr_invalid(e, p, jget(rp, "terminationGracePeriodSeconds"),
                         "must not be set for readinessProbes");
        }
    }
    if (sp) {
        strat__path(p, "%s.startupProbe", path);
        validate_probe(e, p, sp);
        if (jget_int(sp, "successThreshold", 0) != 1) {
            strat__path(p, "%s.startupProbe.successThreshold", path);
            ferr_invalid_int(e, p, jget_int(sp, "successThreshold", 0), "must be 1");
        }
    }
}

static const char *const pull_policies[] = {"Always", "IfNotPresent", "Never", NULL};
static const char *const msg_policies[] = {"File", "FallbackToLogsOnError", NULL};

/* validateContainerCommon: what every kind of container shares. */
static void validate_container_common(struct pctx *x, const char *path, const json_t *c)
{
    char p[STRAT_PATH_MAX];
    const char *name = str_or(c, "name", ""), *tmp = str_or(c, "terminationMessagePolicy", "");
    const char *pull = str_or(c, "imagePullPolicy", "");
    size_t i;
    json_t *d;

    strat__path(p, "%s.name", path);
    if (!*name)
        ferr_required(x->e, p, NULL);
    else
        strat__check_dns_label(x->e, p, name);
    if (!*str_or(c, "image", "")) {
        strat__path(p, "%s.image", path);
        ferr_required(x->e, p, NULL);
    }
    strat__path(p, "%s.terminationMessagePolicy", path);
    if (!*tmp)
        ferr_required(x->e, p, NULL);
    else if (!strat__in(tmp, msg_policies))
        ferr_not_supported(x->e, p, tmp, msg_policies);
    strat__path(p, "%s.ports", path);
    validate_container_ports(x->e, p, jget_arr(c, "ports"));
    strat__path(p, "%s.env", path);
    validate_env(x->e, p, jget_arr(c, "env"));
    strat__path(p, "%s.envFrom", path);
    validate_env_from(x->e, p, jget_arr(c, "envFrom"));
    strat__path(p, "%s.volumeMounts", path);
    validate_volume_mounts(x, p, c);
    json_array_foreach(jget_arr(c, "volumeDevices"), i, d)
    {
        const char *dn = str_or(d, "name", "");
        strat__path(p, "%s.volumeDevices[%zu].name", path, i);
        if (!*dn)
            ferr_required(x->e, p, NULL);
        if (!jget(x->vols, dn)) {
            json_t *v = json_string(dn);
            ferr_add(x->e, FERR_NOT_FOUND, p, v, NULL);
            json_decref(v);
        }
        if (!*str_or(d, "devicePath", "")) {
            strat__path(p, "%s.volumeDevices[%zu].devicePath", path, i);
            ferr_required(x->e, p, NULL);
        }
    }
    strat__path(p, "%s.imagePullPolicy", path);
    if (!*pull)
        ferr_required(x->e, p, NULL);
    else if (!strat__in(pull, pull_policies))
        ferr_not_supported(x->e, p, pull, pull_policies);
    strat__path(p, "%s.resources", path);
    validate_resources(x->e, p, jget_obj(c, "resources"));
    if (jget_obj(c, "securityContext")) {
        strat__path(p, "%s.securityContext", path);
        validate_id(x->e, p, jget_obj(c, "securityContext"), "runAsUser");
        validate_id(x->e, p, jget_obj(c, "securityContext"), "runAsGroup");
    }
}

static void check_host_ports(struct ferrs *e, const char *path, const json_t *containers,
                             size_t only /* SIZE_MAX for all */)
{
    char p[STRAT_PATH_MAX];
    json_t *seen = json_object(), *c, *port;
    size_t i, j;

    json_array_foreach(containers, i, c)
    {
        if (only != (size_t)-1 && i != only)
            continue;
        json_array_foreach(jget_arr(c, "ports"), j, port)
        {
            long long hp = jget_int(port, "hostPort", 0);
            char *key;
            if (!hp)
                continue;
            key = xasprintf("%s/%s/%lld", str_or(port, "protocol", ""), str_or(port, "hostIP", ""),
                            hp);
            if (jget(seen, key)) {
                strat__path(p, "%s[%zu].ports[%zu].hostPort", path, i, j);
                strat__duplicate_str(e, p, key);
            } else {
                json_object_set_new(seen, key, json_true());
            }
            free(key);
        }
    }
    json_decref(seen);
}

static void validate_containers(struct pctx *x, const char *path, const json_t *list)
{
    char p[STRAT_PATH_MAX];
    json_t *names = json_object(), *c;
    size_t i;

    if (!json_array_size(list)) {
        ferr_required(x->e, path, NULL);
        json_decref(names);
        return;
    }
    json_array_foreach(list, i, c)
    {
        const char *name = str_or(c, "name", "");
        char cp[STRAT_PATH_MAX];
        strat__path(cp, "%s[%zu]", path, i);
        validate_container_common(x, cp, c);
        strat__path(p, "%s.name", cp);
        if (jget(names, name))
            strat__duplicate_str(x->e, p, name);
        else
            json_object_set_new(names, name, json_true());
        validate_probes(x->e, cp, c);
        if (jget(c, "restartPolicy")) {
            strat__path(p, "%s.restartPolicy", cp);
            ferr_forbidden(x->e, p, "may not be set for non-init containers");
        }
    }
    check_host_ports(x->e, path, list, (size_t)-1);
    json_decref(names);
}

static void validate_init_containers(struct pctx *x, const char *path, const json_t *list,
                                     const json_t *regular)
{
    static const char *const always[] = {"Always", NULL};
    static const char *const forbidden[] = {"lifecycle", "livenessProbe", "readinessProbe",
                                            "startupProbe", NULL};
    char p[STRAT_PATH_MAX];
    json_t *names = json_object(), *c;
    size_t i;

    json_array_foreach(regular, i, c)
        json_object_set_new(names, str_or(c, "name", ""), json_true());
    json_array_foreach(list, i, c)
    {
        const char *name = str_or(c, "name", "");
        const char *rp = jget_str(c, "restartPolicy");
        bool restart_always = false;
        char cp[STRAT_PATH_MAX];

        strat__path(cp, "%s[%zu]", path, i);
        validate_container_common(x, cp, c);
        if (rp) {
            strat__path(p, "%s.restartPolicy", cp);
            if (!strat__in(rp, always))
                ferr_not_supported(x->e, p, rp, always);
            restart_always = !strcmp(rp, "Always");
        }
        strat__path(p, "%s.name", cp);
        if (jget(names, name))
            strat__duplicate_str(x->e, p, name);
        else if (*name)
            json_object_set_new(names, name, json_true());
        if (restart_always) {
            validate_probes(x->e, cp, c);
        } else {
            for (const char *const *f = forbidden; *f; f++) {
                if (!jget(c, *f))
                    continue;
                strat__path(p, "%s.%s", cp, *f);
                ferr_forbidden(x->e, p,
                               "may not be set for init containers without restartPolicy=Always");
            }
        }
        check_host_ports(x->e, path, list, i);
    }
    json_decref(names);
}

static void validate_tolerations(struct ferrs *e, const char *path, const json_t *list)
{
    static const char *const ops[] = {"Equal", "Exists", NULL};
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    char p[STRAT_PATH_MAX];
    const char *msgs[NAME_MAX_MSGS];
    size_t i;
    json_t *t;

    json_array_foreach(list, i, t)
    {
        const char *key = str_or(t, "key", ""), *op = str_or(t, "operator", "");
        const char *val = str_or(t, "value", ""), *eff = str_or(t, "effect", "");

        if (*key) {
            strat__path(p, "%s[%zu].key", path, i);
            strat__check_qualified(e, p, key);
        }
        strat__path(p, "%s[%zu].operator", path, i);
        if (!*key && strcmp(op, "Exists"))
            ferr_invalid_str(e, p, op,
                             "operator must be Exists when `key` is empty, which means \"match "
                             "all values and all keys\"");
        if (jget(t, "tolerationSeconds") && strcmp(eff, "NoExecute")) {
            char ep[STRAT_PATH_MAX];
            strat__path(ep, "%s[%zu].effect", path, i);
            ferr_invalid_str(e, ep, eff,
                             "effect must be 'NoExecute' when `tolerationSeconds` is set");
        }
        if (!*op || !strcmp(op, "Equal")) {
            int n = name_check_label_value(val, msgs);
            if (n) {
                struct strbuf sb = STRBUF_INIT;
                for (int k = 0; k < n; k++)
                    strbuf_addf(&sb, "%s%s", k ? ";" : "", msgs[k]);
                ferr_invalid_str(e, p, val, sb.buf);
                strbuf_release(&sb);
            }
        } else if (!strcmp(op, "Exists")) {
            if (*val)
                ferr_invalid(e, p, t, "value must be empty when `operator` is 'Exists'");
        } else {
            ferr_not_supported(e, p, op, ops);
        }
        if (*eff && !strat__in(eff, effects)) {
            strat__path(p, "%s[%zu].effect", path, i);
            ferr_not_supported(e, p, eff, effects);
        }
    }
}

static const char *const restart_policies[] = {"Always", "OnFailure", "Never", NULL};
static const char *const dns_policies[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                           "None", NULL};

void strat__podspec_validate(const json_t *spec, const char *path, bool is_pod, struct ferrs *e)
{
    char p[STRAT_PATH_MAX];
    struct pctx x = {.e = e, .spec = spec, .is_pod = is_pod};
    const char *rp = str_or(spec, "restartPolicy", ""), *dp = str_or(spec, "dnsPolicy", "");
    json_t *vols, *v;
    size_t i, j;

    strat__path(p, "%s.volumes", path);
    vols = validate_volumes(e, p, jget_arr(spec, "volumes"));
    x.vols = vols;
    strat__path(p, "%s.containers", path);
    validate_containers(&x, p, jget_arr(spec, "containers"));
    strat__path(p, "%s.initContainers", path);
    validate_init_containers(&x, p, jget_arr(spec, "initContainers"), jget_arr(spec, "containers"));

    /* validatePodHostNetworkDeps: pods must have hostPort == containerPort. */
    if (jget_bool(spec, "hostNetwork", false)) {
        json_t *c, *port;
        json_array_foreach(jget_arr(spec, "containers"), i, c)
            json_array_foreach(jget_arr(c, "ports"), j, port)
        {
            long long hp = jget_int(port, "hostPort", 0), cp = jget_int(port, "containerPort", 0);
            if ((is_pod && hp != cp) || (!is_pod && hp && hp != cp)) {
                strat__path(p, "%s.containers[%zu].ports[%zu].containerPort", path, i, j);
                ferr_invalid_int(e, p, cp, "must match `hostPort` when `hostNetwork` is true");
            }
        }
    }
    strat__path(p, "%s.restartPolicy", path);
    if (!*rp)
        ferr_required(e, p, NULL);
    else if (!strat__in(rp, restart_policies))
        ferr_not_supported(e, p, rp, restart_policies);
    strat__path(p, "%s.dnsPolicy", path);
    if (!*dp)
        ferr_required(e, p, NULL);
    else if (!strat__in(dp, dns_policies))
        ferr_not_supported(e, p, dp, dns_policies);
    strat__path(p, "%s.nodeSelector", path);
    strat__validate_labels(jget_obj(spec, "nodeSelector"), p, e);
    if (jget_obj(spec, "securityContext")) {
        const json_t *sc = jget_obj(spec, "securityContext");
        strat__path(p, "%s.securityContext", path);
        validate_id(e, p, sc, "runAsUser");
        validate_id(e, p, sc, "runAsGroup");
        validate_id(e, p, sc, "fsGroup");
        json_array_foreach(jget_arr(sc, "supplementalGroups"), i, v)
        {
            if (json_is_integer(v) &&
                (json_integer_value(v) < 0 || json_integer_value(v) > 2147483647)) {
                strat__path(p, "%s.securityContext.supplementalGroups[%zu]", path, i);
                ferr_invalid(e, p, v, "must be between 0 and 2147483647, inclusive");
            }
        }
        if (jget_bool(sc, "shareProcessNamespace", false) && jget_bool(spec, "hostPID", false)) {
            strat__path(p, "%s.securityContext.shareProcessNamespace", path);
            ferr_invalid(e, p, jget(sc, "shareProcessNamespace"),
                         "ShareProcessNamespace and HostPID cannot both be enabled");
        }
    }
    if (!strcmp(dp, "None")) {
        const json_t *dc = jget_obj(spec, "dnsConfig");
        strat__path(p, "%s.dnsConfig", path);
        if (!dc)
            ferr_required(e, p, "must provide `dnsConfig` when `dnsPolicy` is None");
        else if (!json_array_size(jget_arr(dc, "nameservers"))) {
            strat__path(p, "%s.dnsConfig.nameservers", path);
            ferr_required(e, p,
                          "must provide at least one DNS nameserver when `dnsPolicy` is None");
        }
    }
    json_array_foreach(jget_arr(jget_obj(spec, "dnsConfig"), "nameservers"), i, v)
    {
        const char *ns = json_is_string(v) ? json_string_value(v) : "";
        if (strat__is_ip(ns))
            continue;
        strat__path(p, "%s.dnsConfig.nameservers[%zu]", path, i);
        ferr_invalid_str(e, p, ns, "must be valid IP address");
    }
    json_array_foreach(jget_arr(spec, "readinessGates"), i, v)
    {
        strat__path(p, "%s.readinessGates[%zu].conditionType", path, i);
        strat__check_qualified(e, p, str_or(v, "conditionType", ""));
    }
    if (*str_or(spec, "serviceAccountName", "")) {
        strat__path(p, "%s.serviceAccountName", path);
        strat__check_dns_subdomain(e, p, jget_str(spec, "serviceAccountName"));
    }
    if (*str_or(spec, "nodeName", "")) {
        strat__path(p, "%s.nodeName", path);
        strat__check_dns_subdomain(e, p, jget_str(spec, "nodeName"));
    }
    if (json_is_integer(jget(spec, "activeDeadlineSeconds"))) {
        long long ads = jget_int(spec, "activeDeadlineSeconds", 0);
        if (ads < 1 || ads > 2147483647) {
            strat__path(p, "%s.activeDeadlineSeconds", path);
            ferr_invalid_int(e, p, ads, "must be between 1 and 2147483647, inclusive");
        }
    }
    /* Upstream accepts negative grace periods (and later treats them as 1); berth refuses them
     * up front, which is strictly safer. */
    strat__path(p, "%s.terminationGracePeriodSeconds", path);
    strat__nonneg(e, p, spec, "terminationGracePeriodSeconds");
    if (*str_or(spec, "hostname", "")) {
        strat__path(p, "%s.hostname", path);
        strat__check_dns_label(e, p, jget_str(spec, "hostname"));
    }
    if (*str_or(spec, "subdomain", "")) {
        strat__path(p, "%s.subdomain", path);
        strat__check_dns_label(e, p, jget_str(spec, "subdomain"));
    }
    strat__path(p, "%s.tolerations", path);
    validate_tolerations(e, p, jget_arr(spec, "tolerations"));
    json_array_foreach(jget_arr(spec, "hostAliases"), i, v)
    {
        json_t *h;
        const char *ip = str_or(v, "ip", "");
        strat__path(p, "%s.hostAliases.ip", path);
        if (!strat__is_ip(ip))
            ferr_invalid_str(e, p, ip, "must be valid IP address");
        strat__path(p, "%s.hostAliases.hostnames", path);
        json_array_foreach(jget_arr(v, "hostnames"), j, h)
            strat__check_dns_subdomain(e, p, json_is_string(h) ? json_string_value(h) : "");
    }
    if (*str_or(spec, "priorityClassName", "")) {
        strat__path(p, "%s.priorityClassName", path);
        strat__check_dns_subdomain(e, p, jget_str(spec, "priorityClassName"));
    }
    if (is_pod) {
        /* validateContainersOnlyForPod */
        static const char *const lists[] = {"containers", "initContainers", NULL};
        for (const char *const *l = lists; *l; l++) {
            json_array_foreach(jget_arr(spec, *l), i, v)
            {
                const char *img = str_or(v, "image", "");
                size_t n = strlen(img);
                if (n && (img[0] == ' ' || img[0] == '\t' || img[0] == '\n' || img[n - 1] == ' ' ||
                          img[n - 1] == '\t' || img[n - 1] == '\n')) {
                    strat__path(p, "%s.%s[%zu].image", path, *l, i);
                    ferr_invalid_str(e, p, img, "must not have leading or trailing whitespace");
                }
            }
        }
    }
    json_decref(vols);
}

/* --- The Pod kind --- */

static void pod_prepare_create(json_t *pod)
{
    json_t *status = json_object();
    json_t *spec = jget_obj(pod, "spec");

    jset_str(status, "phase", "Pending");
    jset_str(status, "qosClass", strat__pod_qos(spec));
    /* applySchedulingGatedCondition */
    if (json_array_size(jget_arr(spec, "schedulingGates"))) {
        json_t *cond = json_object();
        jset_str(cond, "type", "PodScheduled");
        jset_str(cond, "status", "False");
        jset_str(cond, "reason", "SchedulingGated");
        jset_str(cond, "message", "Scheduling is blocked due to non-empty scheduling gates");
        json_object_set_new(status, "conditions", json_pack("[o]", cond));
    }
    json_object_set_new(pod, "status", status);
}

static void pod_prepare_update(json_t *pod, const json_t *old)
{
    strat__prepare_update_meta(pod, old);
}

static void pod_validate(const json_t *pod, struct ferrs *e)
{
    const json_t *spec = jget_obj(pod, "spec");
    strat__podspec_validate(spec, "spec", true, e);
    if (json_array_size(jget_arr(spec, "ephemeralContainers")))
        ferr_forbidden(e, "spec.ephemeralContainers", "cannot be set on create");
}

#define POD_UPDATABLE                                                                              \
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"     \
    "`spec.tolerations` (only additions to existing tolerations),"                                \
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "         \
    "negative)"

/* Copy the image of every container of list `key` from old into spec. Returns false (and
 * reports) when the number of containers differs. */
static bool munge_images(json_t *spec, const json_t *ospec, const char *key, struct ferrs *e)
{
    json_t *list = jget_arr(spec, key), *olist = jget_arr(ospec, key), *c;
    char p[STRAT_PATH_MAX];
    size_t i;

    if (json_array_size(list) != json_array_size(olist)) {
        strat__path(p, "spec.%s", key);
        ferr_forbidden(e, p, "pod updates may not add or remove containers");
        return false;
    }
    json_array_foreach(list, i, c)
    {
        const char *img = str_or(c, "image", "");
        size_t n = strlen(img);
        if (!n) {
            strat__path(p, "spec.%s[%zu].image", key, i);
            ferr_required(e, p, NULL);
        } else if (img[0] == ' ' || img[n - 1] == ' ') {
            strat__path(p, "spec.%s[%zu].image", key, i);
            ferr_invalid_str(e, p, img, "must not have leading or trailing whitespace");
        }
        if (jget(json_array_get(olist, i), "image"))
            json_object_set(c, "image", jget(json_array_get(olist, i), "image"));
        else
            json_object_del(c, "image");
    }
    return true;
}

/* validateOnlyAddedTolerations: every old toleration must still be there (tolerationSeconds
 * may change). */
static void validate_added_tolerations(const json_t *nt, const json_t *ot, struct ferrs *e)
{
    size_t i, j;
    json_t *o, *n;

    json_array_foreach(ot, i, o)
    {
        bool found = false;
        json_array_foreach(nt, j, n)
        {
            json_t *a = json_deep_copy(o), *b = json_deep_copy(n);
            json_object_del(a, "tolerationSeconds");
            json_object_del(b, "tolerationSeconds");
            found = json_equal(a, b);
            json_decref(a);
            json_decref(b);
            if (found)
                break;
        }
        if (!found) {
            ferr_forbidden(e, "spec.tolerations",
                           "existing toleration can not be modified except its tolerationSeconds");
            return;
        }
    }
}

static void pod_validate_update(const json_t *pod, const json_t *old, struct ferrs *e)
{
    const json_t *ospec = jget_obj(old, "spec");
    json_t *spec = json_deep_copy(jget_obj(pod, "spec"));
    json_t *nads, *oads, *otg, *ntg;

    if (!spec)
        spec = json_object();
    strat__podspec_validate(spec, "spec", true, e);
    if (!munge_images(spec, ospec, "containers", e) ||
        !munge_images(spec, ospec, "initContainers", e))
        goto out;

    nads = jget(spec, "activeDeadlineSeconds");
    oads = jget(ospec, "activeDeadlineSeconds");
    if (json_is_integer(nads)) {
        long long n = json_integer_value(nads);
        if (n < 0 || n > 2147483647) {
            ferr_invalid_int(e, "spec.activeDeadlineSeconds", n,
                             "must be between 0 and 2147483647, inclusive");
            goto out;
        }
        if (json_is_integer(oads) && json_integer_value(oads) < n) {
            ferr_invalid_int(e, "spec.activeDeadlineSeconds", n,
                             "must be less than or equal to previous value");
            goto out;
        }
    } else if (oads) {
        ferr_invalid(e, "spec.activeDeadlineSeconds", NULL,
                     "must not update from a positive integer to nil value");
    }
    validate_added_tolerations(jget_arr(spec, "tolerations"), jget_arr(ospec, "tolerations"), e);
    validate_tolerations(e, "spec.tolerations", jget_arr(spec, "tolerations"));

    /* Munge the updatable fields to their old values, then the rest must be equal. */
    if (oads)
        json_object_set(spec, "activeDeadlineSeconds", oads);
    else
        json_object_del(spec, "activeDeadlineSeconds");
    if (jget(ospec, "tolerations"))
        json_object_set(spec, "tolerations", jget(ospec, "tolerations"));
    else
        json_object_del(spec, "tolerations");
    /* scheduling gates may only be removed */
    if (jget(ospec, "schedulingGates"))
        json_object_set(spec, "schedulingGates", jget(ospec, "schedulingGates"));
    else
        json_object_del(spec, "schedulingGates");
    otg = jget(ospec, "terminationGracePeriodSeconds");
    ntg = jget(spec, "terminationGracePeriodSeconds");
    if (json_is_integer(otg) && json_integer_value(otg) < 0 && json_is_integer(ntg) &&
        json_integer_value(ntg) == 1)
        json_object_set(spec, "terminationGracePeriodSeconds", otg);
    if (!ospec || !json_equal(spec, ospec))
        ferr_forbidden(e, "spec", "pod updates may not change fields other than " POD_UPDATABLE);
out:
    json_decref(spec);
}

static void pod_validate_status(const json_t *pod, const json_t *old, struct ferrs *e)
{
    const json_t *st = jget_obj(pod, "status");
    char p[STRAT_PATH_MAX];
    size_t i;
    json_t *ip;

    json_array_foreach(jget_arr(st, "podIPs"), i, ip)
    {
        strat__path(p, "status.podIPs[%zu]", i);
        strat__check_ip(e, p, str_or(ip, "ip", ""), false);
    }
    json_array_foreach(jget_arr(st, "hostIPs"), i, ip)
    {
        strat__path(p, "status.hostIPs[%zu]", i);
        strat__check_ip(e, p, str_or(ip, "ip", ""), false);
    }
    if (*str_or(st, "nominatedNodeName", ""))
        strat__check_dns_subdomain(e, "status.nominatedNodeName",
                                   jget_str(st, "nominatedNodeName"));
}

static bool pod_field_value(const json_t *pod, const char *field, const char **val)
{
    const json_t *spec = jget_obj(pod, "spec"), *st = jget_obj(pod, "status");
    static const char *const spec_fields[] = {"nodeName", "restartPolicy", "schedulerName",
                                              "serviceAccountName", NULL};

    if (!strncmp(field, "spec.", 5) && strat__in(field + 5, spec_fields)) {
        *val = str_or(spec, field + 5, "");
        return true;
    }
    if (!strcmp(field, "spec.hostNetwork")) {
        *val = jget_bool(spec, "hostNetwork", false) ? "true" : "false";
        return true;
    }
    if (!strcmp(field, "status.phase") || !strcmp(field, "status.nominatedNodeName")) {
        *val = str_or(st, field + 7, "");
        return true;
    }
    if (!strcmp(field, "status.podIP")) {
        /* the first of podIPs, as upstream's PodToSelectableFields */
        const json_t *first = json_array_get(jget_arr(st, "podIPs"), 0);
        *val = first ? str_or(first, "ip", "") : str_or(st, "podIP", "");
        return true;
    }
    return false;
}

const struct res_strategy strat__pod = {
    .defaults = pod_defaults,
    .prepare_create = pod_prepare_create,
    .prepare_update = pod_prepare_update,
    .validate = pod_validate,
    .validate_update = pod_validate_update,
    .validate_status = pod_validate_status,
    .field_value = pod_field_value,
};
