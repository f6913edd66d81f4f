/* test_protobuf.c — decoding Kubernetes protobuf bodies (api/protobuf.h).
 *
 * The vectors in tests/unit/api/protobuf/ are what kubectl 1.32 really sends: NAME.pb is the
 * body of a typed-client request (captured from a mock server, see capture.py there), NAME.json
 * the same object as `kubectl ... --dry-run=client -o json` prints it, i.e. what a JSON client
 * would have sent. Each pair must end up byte-identical after schema_decode. The other tests
 * build messages by hand with the small encoder below, field numbers from upstream's
 * generated.proto.
 */
#include "test.h"

#include <errno.h>
#include <stdio.h>

#include "api/decode.h"
#include "api/protobuf.h"
#include "api/schema.h"
#include "base/alloc.h"
#include "base/strbuf.h"

/* --- a tiny encoder --- */

static void e_varint(struct strbuf *sb, uint64_t v)
{
    while (v >= 0x80) {
        strbuf_addch(sb, (int)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    strbuf_addch(sb, (int)v);
}

static void e_tag(struct strbuf *sb, unsigned num, unsigned wt)
{
    e_varint(sb, (uint64_t)num << 3 | wt);
}

static void e_uint(struct strbuf *sb, unsigned num, uint64_t v)
{
    e_tag(sb, num, 0);
    e_varint(sb, v);
}

static void e_bytes(struct strbuf *sb, unsigned num, const void *b, size_t n)
{
    e_tag(sb, num, 2);
    e_varint(sb, n);
    strbuf_add(sb, b, n);
}

static void e_str(struct strbuf *sb, unsigned num, const char *s)
{
    e_bytes(sb, num, s, strlen(s));
}

/* Append sub as field num and release it. */
static void e_msg(struct strbuf *sb, unsigned num, struct strbuf *sub)
{
    e_bytes(sb, num, sub->buf, sub->len);
    strbuf_release(sub);
}

/* A map entry {1: key, 2: string value} as field num. */
static void e_entry(struct strbuf *sb, unsigned num, const char *k, const char *v)
{
    struct strbuf e = STRBUF_INIT;
    e_str(&e, 1, k);
    e_str(&e, 2, v);
    e_msg(sb, num, &e);
}

/* --- helpers --- */

static const struct sch_type *type(const char *name)
{
    const struct sch_type *t = sch_type_find(name);
    if (!t)
        fail_msg("no type %s", name);
    return t;
}

#define CORE "io.k8s.api.core.v1."
#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

/* Decode msg as type name, expecting success. Caller owns the result. */
static json_t *decode_ok(const char *name, const struct strbuf *msg)
{
    struct strbuf err = STRBUF_INIT;
    json_t *out = NULL;
    if (pb_decode(type(name), msg->buf, msg->len, &out, NULL, &err) < 0)
        fail_msg("pb_decode %s: %s", name, err.buf);
    assert_non_null(out);
    strbuf_release(&err);
    return out;
}

/* Decode msg as type name, expecting the error `want`. */
static void decode_fails(const char *name, const void *msg, size_t len, const char *want)
{
    struct strbuf err = STRBUF_INIT;
    json_t *out = (json_t *)1;
    int rc = pb_decode(type(name), msg, len, &out, NULL, &err);
    if (rc != -EINVAL)
        fail_msg("pb_decode %s: want an error (%s), got %d", name, want, rc);
    assert_null(out);
    assert_string_equal(err.buf, want);
    strbuf_release(&err);
}

/* schema_decode obj as type name and return its compact serialisation (caller frees). */
static char *normalised(const char *name, json_t *obj)
{
    struct strbuf err = STRBUF_INIT;
    if (schema_decode(type(name), obj, NULL, &err) < 0)
        fail_msg("schema_decode %s: %s", name, err.buf);
    strbuf_release(&err);
    return json_dump_compact(obj);
}

/* The protobuf-decoded object and the JSON body normalise to the same bytes. */
static void assert_same_after_decode(const char *name, json_t *from_pb, const char *json_text)
{
    json_t *from_json = tj(json_text);
    char *a = normalised(name, from_pb), *b = normalised(name, from_json);
    if (strcmp(a, b))
        fail_msg("protobuf and JSON differ after schema_decode:\n  pb:   %s\n  json: %s", a, b);
    free(a);
    free(b);
    json_decref(from_json);
}

static char *vector_path(const char *file)
{
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 1;
    return xasprintf("%.*s/protobuf/%s", dir, slash ? __FILE__ : ".", file);
}

static void read_vector(const char *file, struct strbuf *sb)
{
    char *path = vector_path(file);
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n;
    if (!f)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(sb, buf, n);
    fclose(f);
    free(path);
}

/* --- the captured kubectl bodies --- */

struct vector {
    const char *name;     /* file stem */
    const char *kind;     /* typeMeta.kind in the envelope */
    const char *type;     /* schema type of raw */
    const char *contains; /* a fragment the normalised object must hold */
};

static const struct vector vectors[] = {
    {"namespace", "Namespace", CORE "Namespace", "\"metadata\":{\"name\":\"foo\""},
    {"configmap", "ConfigMap", CORE "ConfigMap",
     "\"data\":{\"a\":\"b\",\"greeting\":\"hello world\"}"},
    {"configmap-binary", "ConfigMap", CORE "ConfigMap",
     "\"binaryData\":{\"bin.dat\":\"YmluAP8B\"}"},
    {"secret", "Secret", CORE "Secret", "\"data\":{\"pass\":\"czNjcjN0\",\"user\":\"YWRtaW4=\"}"},
    {"secret-docker", "Secret", CORE "Secret", "\"type\":\"kubernetes.io/dockerconfigjson\""},
    {"service-clusterip", "Service", CORE "Service",
     "\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080}]"},
    {"service-nodeport", "Service", CORE "Service", "\"nodePort\":30080"},
    {"service-headless", "Service", CORE "Service", "\"clusterIP\":\"None\""},
    {"service-externalname", "Service", CORE "Service", "\"externalName\":\"db.example.com\""},
    {"serviceaccount", "ServiceAccount", CORE "ServiceAccount", "\"name\":\"sa1\""},
};

static void test_kubectl_vectors(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
        const struct vector *v = &vectors[i];
        struct strbuf body = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
        struct pb_envelope env;
        struct pb_report rep = PB_REPORT_INIT;
        json_t *obj = NULL;
        char *file = xasprintf("%s.pb", v->name);

        read_vector(file, &body);
        free(file);
        file = xasprintf("%s.json", v->name);
        read_vector(file, &text);
        free(file);

        if (pb_unwrap(body.buf, body.len, &env, &err) < 0)
            fail_msg("%s: unwrap: %s", v->name, err.buf);
        assert_string_equal(env.api_version, "v1");
        assert_string_equal(env.kind, v->kind);
        assert_string_equal(env.content_encoding, "");
        assert_string_equal(env.content_type, "");
        if (pb_decode(type(v->type), env.raw, env.raw_len, &obj, &rep, &err) < 0)
            fail_msg("%s: decode: %s", v->name, err.buf);
        if (rep.nskipped)
            fail_msg("%s: skipped fields: %s", v->name, rep.skipped.buf);
        jset_str(obj, "apiVersion", env.api_version);
        jset_str(obj, "kind", env.kind);

        json_t *from_json = tj(text.buf);
        char *a = normalised(v->type, obj), *b = normalised(v->type, from_json);
        if (strcmp(a, b))
            fail_msg("%s: protobuf and JSON differ after schema_decode:\n  pb:   %s\n  json: %s",
                     v->name, a, b);
        if (!strstr(a, v->contains))
            fail_msg("%s: want %s in %s", v->name, v->contains, a);
        free(a);
        free(b);
        json_decref(from_json);
        json_decref(obj);
        pb_envelope_release(&env);
        pb_report_release(&rep);
        strbuf_release(&body);
        strbuf_release(&text);
        strbuf_release(&err);
    }
}

/* Before schema_decode, the object holds Go's zero values, as the Go struct does. */
static void test_namespace_zero_values(void **state)
{
    struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
    struct pb_envelope env;
    json_t *obj;

    read_vector("namespace.pb", &body);
    assert_int_equal(pb_unwrap(body.buf, body.len, &env, &err), 0);
    assert_int_equal(pb_decode(type(CORE "Namespace"), env.raw, env.raw_len, &obj, NULL, &err),
                     0);
    assert_json_eq(obj, "{\"metadata\":{\"name\":\"foo\",\"generateName\":\"\",\"namespace\":\"\","
                        "\"selfLink\":\"\",\"uid\":\"\",\"resourceVersion\":\"\",\"generation\":0,"
                        "\"creationTimestamp\":null},\"spec\":{},\"status\":{\"phase\":\"\"}}");
    json_decref(obj);
    pb_envelope_release(&env);
    strbuf_release(&body);
    strbuf_release(&err);
}

/* kubectl drain deletes pods through the typed client: DeleteOptions in protobuf. */
static void test_deleteoptions_vectors(void **state)
{
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"deleteoptions-grace.pb", "{\"gracePeriodSeconds\":7}"},
        {"deleteoptions.pb", "{}"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
        struct pb_envelope env;
        json_t *obj;
        read_vector(cases[i].file, &body);
        assert_int_equal(pb_unwrap(body.buf, body.len, &env, &err), 0);
        assert_string_equal(env.api_version, "v1");
        assert_string_equal(env.kind, "DeleteOptions");
        assert_int_equal(
            pb_decode(type(META "DeleteOptions"), env.raw, env.raw_len, &obj, NULL, &err), 0);
        assert_json_eq(obj, cases[i].want);
        json_decref(obj);
        pb_envelope_release(&env);
        strbuf_release(&body);
        strbuf_release(&err);
    }
}

/* --- hand-built messages --- */

/* A pod reaching inline members (VolumeSource, LocalObjectReference, ProbeHandler), quantity
 * maps, int-or-strings of both types, times, negative int32s and packed and unpacked repeated
 * numbers; it must normalise exactly as the JSON of the same pod. */
static void test_pod_like_json(void **state)
{
    struct strbuf pod = STRBUF_INIT, meta = STRBUF_INIT, spec = STRBUF_INIT, m = STRBUF_INIT,
                  m2 = STRBUF_INIT, m3 = STRBUF_INIT, c = STRBUF_INIT;

    /* metadata */
    e_str(&meta, 1, "p");
    e_str(&meta, 3, "default");
    e_uint(&m, 1, 1700000000);
    e_uint(&m, 2, 123); /* nanos: metav1.Time drops them */
    e_msg(&meta, 8, &m);
    e_entry(&meta, 11, "run", "p");
    e_str(&m, 5, "v1");
    e_str(&m, 1, "X");
    e_str(&m, 3, "o");
    e_str(&m, 4, "u");
    e_uint(&m, 6, 1);
    e_msg(&meta, 13, &m);
    e_msg(&pod, 1, &meta);

    /* volumes: Volume{name, VolumeSource{configMap{LocalObjectReference{name}, defaultMode}}} */
    e_str(&m3, 1, "cm");
    e_msg(&m2, 1, &m3);
    e_uint(&m2, 3, 420);
    e_msg(&m3, 19, &m2);
    e_str(&m, 1, "cfg");
    e_msg(&m, 2, &m3);
    e_msg(&spec, 1, &m);

    /* the container */
    e_str(&c, 1, "c");
    e_str(&c, 2, "busybox:1.36");
    e_str(&c, 3, "sh");
    e_str(&c, 3, "-c");
    e_uint(&m, 3, 8080);
    e_str(&m, 4, "TCP");
    e_msg(&c, 6, &m);
    e_str(&m, 1, "A");
    e_str(&m, 2, "1");
    e_msg(&c, 7, &m);
    e_str(&m3, 1, "cm"); /* valueFrom.configMapKeyRef: LocalObjectReference + key */
    e_msg(&m2, 1, &m3);
    e_str(&m2, 2, "k");
    e_msg(&m3, 3, &m2);
    e_str(&m, 1, "B");
    e_msg(&m, 3, &m3);
    e_msg(&c, 7, &m);
    e_str(&m3, 1, "64Mi"); /* resources: maps of Quantity messages */
    e_str(&m2, 1, "memory");
    e_msg(&m2, 2, &m3);
    e_msg(&m, 1, &m2);
    e_str(&m3, 1, "100m");
    e_str(&m2, 1, "cpu");
    e_msg(&m2, 2, &m3);
    e_msg(&m, 2, &m2);
    e_msg(&c, 8, &m);
    e_uint(&m3, 1, 1); /* livenessProbe: ProbeHandler{httpGet{path, port "http"}} */
    e_str(&m3, 3, "http");
    e_str(&m2, 1, "/");
    e_msg(&m2, 2, &m3);
    e_msg(&m3, 2, &m2);
    e_msg(&m, 1, &m3);
    e_uint(&m, 4, 5);
    e_msg(&c, 10, &m);
    e_uint(&m3, 1, 0); /* readinessProbe: ProbeHandler{tcpSocket{port 8080}} */
    e_uint(&m3, 2, 8080);
    e_str(&m3, 3, "");
    e_msg(&m2, 1, &m3);
    e_msg(&m3, 3, &m2);
    e_msg(&m, 1, &m3);
    e_msg(&c, 11, &m);
    e_uint(&m, 4, 1000);
    e_uint(&m, 2, 0);
    e_msg(&c, 15, &m);
    e_msg(&spec, 2, &c);

    e_str(&spec, 3, "Never");
    e_uint(&m, 4, 1); /* supplementalGroups: two unpacked, then a packed run */
    e_uint(&m, 4, 2);
    e_varint(&m2, 3);
    e_varint(&m2, 4);
    e_msg(&m, 4, &m2);
    e_msg(&spec, 14, &m);
    e_uint(&spec, 25, (uint64_t)(int64_t)-1); /* priority: a negative int32, ten bytes */
    e_msg(&pod, 2, &spec);

    json_t *obj = decode_ok(CORE "Pod", &pod);
    jset_str(obj, "apiVersion", "v1");
    jset_str(obj, "kind", "Pod");
    assert_same_after_decode(
        CORE "Pod", obj,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
        "\"default\",\"creationTimestamp\":\"2023-11-14T22:13:20Z\",\"labels\":{\"run\":\"p\"},"
        "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"X\",\"name\":\"o\",\"uid\":\"u\","
        "\"controller\":true}]},\"spec\":{\"volumes\":[{\"name\":\"cfg\",\"configMap\":{\"name\":"
        "\"cm\",\"defaultMode\":420}}],\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\","
        "\"command\":[\"sh\",\"-c\"],\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
        "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{"
        "\"configMapKeyRef\":{\"name\":\"cm\",\"key\":\"k\"}}}],\"resources\":{\"limits\":{"
        "\"memory\":\"64Mi\"},\"requests\":{\"cpu\":\"100m\"}},\"livenessProbe\":{\"httpGet\":{"
        "\"path\":\"/\",\"port\":\"http\"},\"periodSeconds\":5},\"readinessProbe\":{\"tcpSocket\":"
        "{\"port\":8080}},\"securityContext\":{\"runAsUser\":1000,\"privileged\":false}}],"
        "\"restartPolicy\":\"Never\",\"securityContext\":{\"supplementalGroups\":[1,2,3,4]},"
        "\"priority\":-1}}");
    json_decref(obj);
    strbuf_release(&pod);
}

static void test_times(void **state)
{
    struct strbuf ev = STRBUF_INIT, m = STRBUF_INIT, m2 = STRBUF_INIT;

    e_uint(&m, 1, 1700000000);
    e_uint(&m, 2, 123456789);
    e_msg(&ev, 10, &m); /* eventTime: MicroTime keeps microseconds */
    e_uint(&m, 1, 0);
    e_msg(&ev, 6, &m); /* firstTimestamp: an explicit zero second is the epoch, not null */
    e_msg(&ev, 7, &m); /* lastTimestamp: an empty message is the zero Time */
    e_uint(&m, 1, 3);
    e_uint(&m2, 1, 1700000001);
    e_msg(&m, 2, &m2);
    e_msg(&ev, 11, &m); /* series */
    json_t *obj = decode_ok(CORE "Event", &ev);
    assert_json_eq(obj, "{\"eventTime\":\"2023-11-14T22:13:20.123456Z\",\"firstTimestamp\":"
                        "\"1970-01-01T00:00:00Z\",\"lastTimestamp\":null,\"series\":{\"count\":3,"
                        "\"lastObservedTime\":\"2023-11-14T22:13:21.000000Z\"}}");
    json_decref(obj);
    strbuf_release(&ev);

    /* negative nanos normalise into the seconds, as time.Unix does */
    e_uint(&m2, 1, 1700000000);
    e_uint(&m2, 2, (uint64_t)(int64_t)-1);
    e_msg(&m, 4, &m2); /* LeaseSpec.renewTime */
    e_str(&m, 1, "me");
    e_msg(&ev, 2, &m);
    obj = decode_ok("io.k8s.api.coordination.v1.Lease", &ev);
    assert_json_eq(obj, "{\"spec\":{\"renewTime\":\"2023-11-14T22:13:19.999999Z\","
                        "\"holderIdentity\":\"me\"}}");
    json_decref(obj);
    strbuf_release(&ev);

    /* years outside 0..9999 cannot be written as JSON */
    e_uint(&m2, 1, (uint64_t)INT64_C(253402300800));
    e_msg(&m, 8, &m2);
    e_msg(&ev, 1, &m);
    decode_fails(CORE "Namespace", ev.buf, ev.len,
                 "Time.MarshalJSON: year outside of range [0,9999]");
    strbuf_release(&ev);
}

static void test_raw_extension_and_bytes(void **state)
{
    struct strbuf cr = STRBUF_INIT, m = STRBUF_INIT;

    e_str(&m, 1, "{\"spec\":{\"template\":{\"$patch\":\"replace\"}}}");
    e_msg(&cr, 2, &m);
    e_uint(&cr, 3, 2);
    json_t *obj = decode_ok("io.k8s.api.apps.v1.ControllerRevision", &cr);
    assert_json_eq(obj, "{\"data\":{\"spec\":{\"template\":{\"$patch\":\"replace\"}}},"
                        "\"revision\":2}");
    json_decref(obj);
    strbuf_release(&cr);

    e_msg(&cr, 2, &m); /* an empty RawExtension is null */
    obj = decode_ok("io.k8s.api.apps.v1.ControllerRevision", &cr);
    assert_json_eq(obj, "{\"data\":null}");
    json_decref(obj);
    strbuf_release(&cr);

    e_str(&m, 1, "{not json");
    e_msg(&cr, 2, &m);
    decode_fails("io.k8s.api.apps.v1.ControllerRevision", cr.buf, cr.len,
                 "field data: the raw JSON is not valid: invalid JSON at line 1, column 4: "
                 "string or '}' expected near 'not'");
    strbuf_release(&cr);

    /* Secret data: bytes values become base64; a map entry without a value is the zero value */
    e_str(&m, 1, "bin");
    e_bytes(&m, 2, "\0\xff", 2);
    e_msg(&cr, 2, &m);
    e_str(&m, 1, "none");
    e_msg(&cr, 2, &m);
    e_entry(&cr, 4, "plain", "text");
    obj = decode_ok(CORE "Secret", &cr);
    assert_json_eq(obj, "{\"data\":{\"bin\":\"AP8=\",\"none\":\"\"},\"stringData\":{\"plain\":"
                        "\"text\"}}");
    json_decref(obj);
    strbuf_release(&cr);
}

/* autoscaling/v1 Scale (PUT .../scale) and core/v1 Binding (POST .../binding). */
static void test_scale_and_binding(void **state)
{
    struct strbuf b = STRBUF_INIT, m = STRBUF_INIT;

    e_str(&m, 1, "web");
    e_str(&m, 6, "5");
    e_msg(&b, 1, &m);
    e_uint(&m, 1, 3);
    e_msg(&b, 2, &m);
    e_uint(&m, 1, 1);
    e_str(&m, 2, "app=web");
    e_msg(&b, 3, &m);
    json_t *obj = decode_ok("io.k8s.api.autoscaling.v1.Scale", &b);
    assert_json_eq(obj, "{\"metadata\":{\"name\":\"web\",\"resourceVersion\":\"5\"},\"spec\":{"
                        "\"replicas\":3},\"status\":{\"replicas\":1,\"selector\":\"app=web\"}}");
    json_decref(obj);
    strbuf_release(&b);

    e_str(&m, 1, "p");
    e_msg(&b, 1, &m);
    e_str(&m, 1, "Node");
    e_str(&m, 3, "n1");
    e_msg(&b, 2, &m);
    obj = decode_ok(CORE "Binding", &b);
    assert_json_eq(obj, "{\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\","
                        "\"name\":\"n1\"}}");
    json_decref(obj);
    strbuf_release(&b);
}

/* Protobuf semantics: a message field seen twice merges, a scalar's last value wins; unknown
 * field numbers are skipped and reported with where they were. */
static void test_merge_and_unknown(void **state)
{
    struct strbuf ns = STRBUF_INIT, m = STRBUF_INIT, g = STRBUF_INIT;
    struct pb_report rep = PB_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    json_t *obj;

    e_str(&m, 1, "a");
    e_uint(&m, 99, 7); /* unknown in ObjectMeta */
    e_msg(&ns, 1, &m);
    e_str(&m, 1, "b");
    e_str(&m, 3, "ns");
    e_entry(&m, 11, "x", "1");
    e_msg(&ns, 1, &m);
    e_str(&m, 1, "c");
    e_entry(&m, 11, "y", "2");
    e_msg(&ns, 1, &m);
    e_tag(&ns, 50, 5); /* unknown fixed32 at the top */
    strbuf_add(&ns, "abcd", 4);
    e_tag(&ns, 51, 3); /* unknown group, nested, with a varint inside */
    e_tag(&ns, 52, 3);
    e_uint(&ns, 1, 5);
    e_tag(&ns, 52, 4);
    e_tag(&ns, 51, 4);
    e_tag(&g, 53, 1); /* unknown fixed64 */
    strbuf_add(&g, "12345678", 8);
    strbuf_add(&ns, g.buf, g.len);
    strbuf_release(&g);
    assert_int_equal(pb_decode(type(CORE "Namespace"), ns.buf, ns.len, &obj, &rep, &err), 0);
    assert_json_eq(obj, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\",\"labels\":{"
                        "\"x\":\"1\",\"y\":\"2\"}}}");
    assert_int_equal(rep.nskipped, 4);
    assert_string_equal(rep.skipped.buf, "unknown protobuf field 99 in \"metadata\"\n"
                                         "unknown protobuf field 50 in \"\"\n"
                                         "unknown protobuf field 51 in \"\"\n"
                                         "unknown protobuf field 53 in \"\"");
    json_decref(obj);
    pb_report_release(&rep);
    strbuf_release(&ns);
    strbuf_release(&err);
}

static void test_strings(void **state)
{
    struct strbuf ns = STRBUF_INIT, m = STRBUF_INIT;

    /* invalid UTF-8 becomes U+FFFD, as Go's encoder writes it; valid multi-byte text stays */
    e_str(&m, 1, "a\xff\xc3\xa9\xed\xa0\x80z");
    e_msg(&ns, 1, &m);
    json_t *obj = decode_ok(CORE "Namespace", &ns);
    assert_string_equal(jpath_str(obj, "metadata.name"),
                        "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
    json_decref(obj);
    strbuf_release(&ns);

    e_bytes(&m, 1, "a\0b", 3);
    e_msg(&ns, 1, &m);
    decode_fails(CORE "Namespace", ns.buf, ns.len,
                 "proto: field name holds a string with a NUL byte");
    strbuf_release(&ns);

    /* IntOrString with a type that is neither 0 nor 1 */
    e_uint(&m, 1, 2);
    e_msg(&ns, 4, &m); /* ServicePort.targetPort */
    e_uint(&ns, 3, 80);
    e_msg(&m, 1, &ns);
    decode_fails(CORE "ServiceSpec", m.buf, m.len, "impossible IntOrString.Type");
    strbuf_release(&m);
}

/* Untrusted input: every malformed shape is a clean error in upstream's words. */
static void test_malformed(void **state)
{
    static const struct {
        const char *name;
        const char *msg;
        size_t len;
        const char *want;
    } cases[] = {
        {"truncated varint (tag)", "\x80", 1, "unexpected EOF"},
        {"truncated varint (value)", "\x38\xff\xff", 3, "unexpected EOF"},
        {"varint of 11 bytes", "\x38\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
         "proto: integer overflow"},
        {"length past the end", "\x0a\x05\x0a\x01", 4, "unexpected EOF"},
        {"length of 2^63-1", "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10,
         "unexpected EOF"},
        {"length of 2^64-1", "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11,
         "proto: negative length found during unmarshaling"},
        {"length of 2^40", "\x0a\x80\x80\x80\x80\x80\x20", 7, "unexpected EOF"},
        {"wrong wire type for a message", "\x08\x01", 2,
         "proto: wrong wireType = 0 for field Metadata"},
        {"wrong wire type for a string", "\x0a\x02\x08\x01", 4,
         "proto: wrong wireType = 0 for field Name"},
        {"wrong wire type for an int", "\x0a\x02\x3a\x00", 4,
         "proto: wrong wireType = 2 for field Generation"},
        {"wrong wire type for a map", "\x0a\x02\x58\x01", 4,
         "proto: wrong wireType = 0 for field Labels"},
        {"wrong wire type for a map value", "\x0a\x04\x5a\x02\x10\x01", 6,
         "proto: wrong wireType = 0 for field Value"},
        {"tag 0", "\x02\x00", 2, "proto: Namespace: illegal tag 0 (wire type 2)"},
        {"end group without a group", "\x0c", 1,
         "proto: Namespace: wiretype end group for non-group"},
        {"wire type 6 in an unknown field", "\xfe\x01", 2, "proto: illegal wireType 6"},
        {"wire type 7 in a known field", "\x0f", 1, "proto: wrong wireType = 7 for field Metadata"},
        {"unterminated group", "\xfb\x01\x08\x01", 4, "unexpected EOF"},
        {"truncated fixed64", "\xf9\x01\x01\x02", 4, "unexpected EOF"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf err = STRBUF_INIT;
        json_t *out = NULL;
        int rc = pb_decode(type(CORE "Namespace"), cases[i].msg, cases[i].len, &out, NULL, &err);
        if (rc != -EINVAL || strcmp(err.buf, cases[i].want))
            fail_msg("%s: want error \"%s\", got %d \"%s\"", cases[i].name, cases[i].want, rc,
                     err.buf);
        assert_null(out);
        strbuf_release(&err);
    }
}

static void test_empty_messages(void **state)
{
    struct strbuf m = STRBUF_INIT;
    json_t *obj = decode_ok(CORE "Namespace", &m);
    assert_json_eq(obj, "{}");
    json_decref(obj);

    /* an empty nested message is {}; an empty Quantity is "0" */
    struct strbuf q = STRBUF_INIT, e = STRBUF_INIT;
    e_str(&e, 1, "storage");
    e_msg(&e, 2, &q);
    e_msg(&m, 2, &e); /* VolumeResourceRequirements.requests */
    e_msg(&q, 2, &m); /* PersistentVolumeClaimSpec.resources */
    e_msg(&m, 2, &q);
    obj = decode_ok(CORE "PersistentVolumeClaim", &m);
    assert_json_eq(obj, "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"0\"}}}}");
    json_decref(obj);
    strbuf_release(&m);
}

/* Groups nested past the depth bound, and raw JSON nested past it, are refused. */
static void test_deep_nesting(void **state)
{
    struct strbuf m = STRBUF_INIT, cr = STRBUF_INIT;

    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        e_tag(&m, 60, 3);
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        e_tag(&m, 60, 4);
    decode_fails(CORE "Namespace", m.buf, m.len,
                 "proto: group nesting exceeds the maximum depth of 100");
    strbuf_release(&m);

    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        strbuf_addch(&m, '[');
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        strbuf_addch(&m, ']');
    e_bytes(&cr, 1, m.buf, m.len);
    strbuf_release(&m);
    e_msg(&m, 2, &cr);
    decode_fails("io.k8s.api.apps.v1.ControllerRevision", m.buf, m.len,
                 "field data: the raw JSON is not valid: JSON nesting exceeds the maximum depth "
                 "of 99");
    strbuf_release(&m);
}

static void test_envelope(void **state)
{
    static const struct {
        const char *body;
        size_t len;
        const char *want;
    } bad[] = {
        {"", 0, "empty data"},
        {"k8s", 3, "provided data does not appear to be a protobuf message, expected prefix "
                   "[107 56 115 0]"},
        {"{\"kind\":\"Pod\"}", 14, "provided data does not appear to be a protobuf message, "
                                   "expected prefix [107 56 115 0]"},
        {"k8s\0", 4, "empty body"},
        {"k8s\0\x0a\x05\x0a\x02v1", 10, "unexpected EOF"},
        {"k8s\0\x08\x01", 6, "proto: wrong wireType = 0 for field TypeMeta"},
        {"k8s\0\x12\x7f", 6, "unexpected EOF"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct strbuf err = STRBUF_INIT;
        struct pb_envelope env;
        assert_int_equal(pb_unwrap(bad[i].body, bad[i].len, &env, &err), -EINVAL);
        assert_string_equal(err.buf, bad[i].want);
        assert_null(env.kind);
        pb_envelope_release(&env);
        strbuf_release(&err);
    }

    /* no typeMeta and no raw: empty strings and an empty message */
    struct strbuf err = STRBUF_INIT;
    struct pb_envelope env;
    assert_int_equal(pb_unwrap("k8s\0\x1a\x00", 6, &env, &err), 0);
    assert_string_equal(env.kind, "");
    assert_string_equal(env.api_version, "");
    assert_int_equal(env.raw_len, 0);
    pb_envelope_release(&env);
    strbuf_release(&err);
}

/* Field numbers as upstream's generated.proto has them, gaps and late additions included, and
 * the inline members' shape. */
static void test_schema_numbers(void **state)
{
    static const struct {
        const char *type, *field;
        unsigned num;
    } nums[] = {
        {CORE "Secret", "immutable", 5},
        {CORE "Secret", "type", 3},
        {CORE "ConfigMap", "immutable", 4},
        {CORE "ISCSIVolumeSource", "chapAuthSession", 11},
        {CORE "ISCSIVolumeSource", "secretRef", 10},
        {CORE "VolumeSource", "projected", 26},
        {CORE "VolumeSource", "ephemeral", 29},
        {CORE "PodSpec", "initContainers", 20},
        {CORE "PodSpec", "ephemeralContainers", 34},
        {CORE "PodSpec", "resources", 40},
        {CORE "Container", "envFrom", 19},
        {CORE "Container", "restartPolicy", 24},
        {CORE "PodStatus", "nominatedNodeName", 11},
        {CORE "PodResourceClaim", "resourceClaimName", 3},
        {CORE "ServicePort", "appProtocol", 6},
        {CORE "ServiceSpec", "clusterIPs", 18},
        {CORE "NodeSpec", "podCIDRs", 7},
        {CORE "NodeSpec", "externalID", 2},
        {CORE "PersistentVolumeClaimSpec", "selector", 4},
        {META "ObjectMeta", "managedFields", 17},
        {META "OwnerReference", "apiVersion", 5},
        {META "OwnerReference", "kind", 1},
        {META "StatusDetails", "uid", 6},
        {META "ManagedFieldsEntry", "fieldsType", 6},
        {"io.k8s.api.apps.v1.StatefulSetStatus", "collisionCount", 9},
        {"io.k8s.api.discovery.v1.EndpointSlice", "addressType", 4},
        {"io.k8s.api.storage.v1.StorageClass", "allowedTopologies", 8},
        {CORE "Pod", "apiVersion", 0}, /* TypeMeta: the envelope carries it */
        {CORE "Volume", "hostPath", 0}, /* numbered in VolumeSource */
        {CORE "ConfigMapKeySelector", "name", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
        const struct sch_type *t = type(nums[i].type);
        const struct sch_field *f = sch_field_find(t, nums[i].field);
        assert_non_null(f);
        if (sch_field_proto(t, f) != nums[i].num)
            fail_msg("%s.%s: want %u, got %u", nums[i].type, nums[i].field, nums[i].num,
                     sch_field_proto(t, f));
    }
    static const struct {
        const char *type;
        unsigned num;
        const char *embedded;
    } inl[] = {
        {CORE "Volume", 2, CORE "VolumeSource"},
        {CORE "PersistentVolumeSpec", 2, CORE "PersistentVolumeSource"},
        {CORE "Probe", 1, CORE "ProbeHandler"},
        {CORE "EphemeralContainer", 1, CORE "EphemeralContainerCommon"},
        {CORE "SecretKeySelector", 1, CORE "LocalObjectReference"},
        {CORE "ConfigMapProjection", 1, CORE "LocalObjectReference"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(inl); i++) {
        const struct sch_pb_field *pf = sch_pb_find(type(inl[i].type), inl[i].num);
        assert_non_null(pf);
        assert_null(pf->field);
        assert_non_null(pf->inline_type);
        assert_string_equal(pf->inline_type->name, inl[i].embedded);
    }

    /* every field has a number, is TypeMeta, or comes from an inline member */
    for (size_t i = 0; i < sch_ntypes; i++) {
        const struct sch_type *t = &sch_types[i];
        for (size_t j = 0; j < t->nfields; j++) {
            const struct sch_field *f = &t->fields[j];
            if (sch_field_proto(t, f))
                continue;
            if ((j == 0 && !strcmp(f->name, "apiVersion")) || (j == 1 && !strcmp(f->name, "kind")))
                continue;
            bool inlined = false;
            const struct sch_pb_type *pb = &sch_pb_types[i];
            for (size_t k = 0; k < pb->nfields; k++)
                if (pb->fields[k].inline_type &&
                    sch_field_find(pb->fields[k].inline_type, f->name))
                    inlined = true;
            if (!inlined)
                fail_msg("%s.%s has no protobuf number", t->name, f->name);
        }
    }
    assert_null(sch_pb_find(type(CORE "Namespace"), 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_vectors),
        cmocka_unit_test(test_namespace_zero_values),
        cmocka_unit_test(test_deleteoptions_vectors),
        cmocka_unit_test(test_pod_like_json),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_raw_extension_and_bytes),
        cmocka_unit_test(test_scale_and_binding),
        cmocka_unit_test(test_merge_and_unknown),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_empty_messages),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_schema_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
