/* protobuf.c — decoding Kubernetes protobuf bodies into JSON, driven by the schema.
 *
 * A straight walk of the wire format (varint, fixed64, length-delimited; groups only skipped)
 * that looks every field number up in the type's protobuf table (sch_pb_find) and builds the
 * JSON value its schema kind calls for. The checks and their wording follow what gogo-protobuf
 * generates for k8s.io/api (generated.pb.go): the same input fails there and here.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/protobuf.h"
#include "base/alloc.h"
#include "base/base64.h"
#include "base/ktime.h"

/* Wire types. */
enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_FIXED32 = 5 };

/* Go's Time.MarshalJSON refuses years outside [0,9999]: 0000-01-01T00:00:00Z and
 * 9999-12-31T23:59:59Z in seconds since the epoch. */
#define TIME_MIN_SECS INT64_C(-62167219200)
#define TIME_MAX_SECS INT64_C(253402300799)

struct cursor {
    const uint8_t *p, *end;
};

struct pb {
    struct pb_report *rep;
    struct strbuf *err;
    struct strbuf path; /* JSON path of the current position, for reports */
    size_t nodes;       /* JSON values built so far */
    size_t max_nodes;   /* bound: proportional to the input */
    int depth;          /* current nesting (messages, arrays, raw JSON) */
};

static int decode_into(struct pb *d, const struct sch_type *t, const uint8_t *b, size_t n,
                       json_t *obj);

/* --- errors and bookkeeping --- */

static int fail(struct pb *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pb *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(d->err, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Count one JSON value about to be built; every value costs at least one input byte, so the
 * bound only trips on a bug or on input this walk does not expect. */
static int count_node(struct pb *d)
{
    if (++d->nodes > d->max_nodes)
        return fail(d, "proto: too many values for the size of the message");
    return 0;
}

static int enter(struct pb *d)
{
    if (++d->depth > JSON_MAX_DEPTH)
        return fail(d, "proto: message nesting exceeds the maximum depth of %d", JSON_MAX_DEPTH);
    return 0;
}

/* The Go field name in gogo's messages: the JSON name, capitalised. */
static int wrong_wire(struct pb *d, unsigned wt, const char *json_name)
{
    return fail(d, "proto: wrong wireType = %u for field %c%s", wt,
                json_name[0] >= 'a' && json_name[0] <= 'z' ? json_name[0] - 'a' + 'A'
                                                           : json_name[0],
                json_name + 1);
}

/* The message name gogo prints: the Go type without its package. */
static const char *msg_name(const struct sch_type *t)
{
    const char *dot = strrchr(t->go_name, '.');
    return dot ? dot + 1 : t->go_name;
}

static void path_push(struct pb *d, const char *name, size_t *mark)
{
    *mark = d->path.len;
    if (d->path.len)
        strbuf_addch(&d->path, '.');
    strbuf_addstr(&d->path, name);
}

static void path_pop(struct pb *d, size_t mark)
{
    strbuf_setlen(&d->path, mark);
}

/* --- the wire format --- */

static int rd_varint(struct pb *d, struct cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (shift >= 64)
            return fail(d, "proto: integer overflow");
        if (c->p >= c->end)
            return fail(d, "unexpected EOF");
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            break;
    }
    *out = v;
    return 0;
}

/* A length-delimited payload into *b and *n; the cursor moves past it. */
static int rd_len(struct pb *d, struct cursor *c, const uint8_t **b, size_t *n)
{
    uint64_t len;
    if (rd_varint(d, c, &len) < 0)
        return -EINVAL;
    if ((int64_t)len < 0) /* gogo reads the length into an int */
        return fail(d, "proto: negative length found during unmarshaling");
    if (len > (uint64_t)(c->end - c->p))
        return fail(d, "unexpected EOF");
    *b = c->p;
    *n = (size_t)len;
    c->p += len;
    return 0;
}

static int rd_fixed64(struct pb *d, struct cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    if (c->end - c->p < 8)
        return fail(d, "unexpected EOF");
    for (int i = 7; i >= 0; i--)
        v = v << 8 | c->p[i];
    c->p += 8;
    *out = v;
    return 0;
}

/* Skip one field's value of wire type wt (the tag already read), as gogo's skipGenerated does:
 * groups are skipped to their matching end, nested groups counted. */
static int skip_value(struct pb *d, struct cursor *c, unsigned wt)
{
    int groups = 0;
    for (;;) {
        uint64_t v;
        const uint8_t *b;
        size_t n;
        switch (wt) {
        case WT_VARINT:
            if (rd_varint(d, c, &v) < 0)
                return -EINVAL;
            break;
        case WT_FIXED64:
            if (c->end - c->p < 8)
                return fail(d, "unexpected EOF");
            c->p += 8;
            break;
        case WT_LEN:
            if (rd_len(d, c, &b, &n) < 0)
                return -EINVAL;
            break;
        case WT_SGROUP:
            if (++groups > JSON_MAX_DEPTH)
                return fail(d, "proto: group nesting exceeds the maximum depth of %d",
                            JSON_MAX_DEPTH);
            break;
        case WT_EGROUP:
            if (groups == 0)
                return fail(d, "proto: unexpected end of group");
            groups--;
            break;
        case WT_FIXED32:
            if (c->end - c->p < 4)
                return fail(d, "unexpected EOF");
            c->p += 4;
            break;
        default:
            return fail(d, "proto: illegal wireType %u", wt);
        }
        if (groups == 0)
            return 0;
        /* inside a group: the next tag */
        if (rd_varint(d, c, &v) < 0)
            return -EINVAL;
        wt = (unsigned)(v & 7);
    }
}

/* --- values --- */

/* A JSON string from protobuf bytes: invalid UTF-8 becomes U+FFFD (what Go's encoder writes
 * for it), a NUL byte is refused (the JSON path refuses \u0000, and C strings end there). */
static int make_string(struct pb *d, const uint8_t *b, size_t n, const char *field, json_t **out)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0;

    if (memchr(b, 0, n))
        return fail(d, "proto: field %s holds a string with a NUL byte", field);
    while (i < n) {
        uint8_t c = b[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                                         : (c & 0xf8) == 0xf0 ? 4
                                                                              : 0;
        bool ok = len && i + len <= n;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        for (size_t k = 1; ok && k < len; k++) {
            ok = (b[i + k] & 0xc0) == 0x80;
            cp = cp << 6 | (b[i + k] & 0x3f);
        }
        /* no overlong forms, surrogates or code points past U+10FFFF */
        if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                   (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff))
            ok = false;
        if (ok) {
            strbuf_add(&sb, b + i, len);
            i += len;
        } else {
            strbuf_addstr(&sb, "\xef\xbf\xbd");
            i++;
        }
    }
    *out = json_stringn_nocheck(sb.buf, sb.len);
    strbuf_release(&sb);
    return 0;
}

static int format_time(struct pb *d, int64_t secs, int64_t nanos, bool micro, json_t **out)
{
    char buf[KTIME_BUFSZ];

    /* time.Unix normalises nanos outside [0, 1e9) into the seconds */
    if (nanos < 0 || nanos >= 1000000000) {
        int64_t carry = nanos / 1000000000;
        nanos -= carry * 1000000000;
        if (nanos < 0) {
            nanos += 1000000000;
            carry--;
        }
        if ((carry > 0 && secs > INT64_MAX - carry) || (carry < 0 && secs < INT64_MIN - carry))
            return fail(d, "Time.MarshalJSON: year outside of range [0,9999]");
        secs += carry;
    }
    if (secs < TIME_MIN_SECS || secs > TIME_MAX_SECS)
        return fail(d, "Time.MarshalJSON: year outside of range [0,9999]");
    if (micro)
        ktime_format_micro(secs * 1000000 + nanos / 1000, buf);
    else
        ktime_format((time_t)secs, buf);
    *out = json_string(buf);
    return 0;
}

/* metav1.Time / MicroTime: {1: seconds, 2: nanos}. */
static int decode_time(struct pb *d, const uint8_t *b, size_t n, bool micro, json_t **out)
{
    struct cursor c = {b, b + n};
    int64_t secs = 0, nanos = 0;

    if (n == 0) { /* the zero Time: Go marshals it as nothing, and it reads back as null */
        *out = json_null();
        return 0;
    }
    while (c.p < c.end) {
        uint64_t key, v;
        if (rd_varint(d, &c, &key) < 0)
            return -EINVAL;
        unsigned wt = (unsigned)(key & 7);
        uint64_t num = key >> 3;
        if ((num == 1 || num == 2) && wt != WT_VARINT)
            return wrong_wire(d, wt, num == 1 ? "seconds" : "nanos");
        if (num == 1 || num == 2) {
            if (rd_varint(d, &c, &v) < 0)
                return -EINVAL;
            if (num == 1)
                secs = (int64_t)v;
            else
                nanos = (int32_t)(uint32_t)v;
        } else if (num == 0 || wt == WT_EGROUP) {
            return fail(d, "proto: Timestamp: illegal tag %" PRIu64 " (wire type %u)", num, wt);
        } else if (skip_value(d, &c, wt) < 0) {
            return -EINVAL;
        }
    }
    return format_time(d, secs, micro ? nanos : 0, micro, out);
}

/* A message holding one field 1 of wire type LEN (resource.Quantity's string, RawExtension's and
 * FieldsV1's raw bytes) into *vb and *vn, NULL when absent; the last occurrence wins. */
static int decode_field1(struct pb *d, const uint8_t *b, size_t n, const char *name,
                         const uint8_t **vb, size_t *vn)
{
    struct cursor c = {b, b + n};
    *vb = NULL;
    *vn = 0;
    while (c.p < c.end) {
        uint64_t key;
        if (rd_varint(d, &c, &key) < 0)
            return -EINVAL;
        unsigned wt = (unsigned)(key & 7);
        uint64_t num = key >> 3;
        if (num == 1) {
            if (wt != WT_LEN)
                return wrong_wire(d, wt, name);
            if (rd_len(d, &c, vb, vn) < 0)
                return -EINVAL;
        } else if (num == 0 || wt == WT_EGROUP) {
            return fail(d, "proto: illegal tag %" PRIu64 " (wire type %u)", num, wt);
        } else if (skip_value(d, &c, wt) < 0) {
            return -EINVAL;
        }
    }
    return 0;
}

/* intstr.IntOrString: {1: type, 2: intVal, 3: strVal}. */
static int decode_intstr(struct pb *d, const uint8_t *b, size_t n, json_t **out)
{
    struct cursor c = {b, b + n};
    int64_t type = 0;
    int32_t ival = 0;
    const uint8_t *sb = (const uint8_t *)"";
    size_t sn = 0;

    while (c.p < c.end) {
        uint64_t key, v;
        if (rd_varint(d, &c, &key) < 0)
            return -EINVAL;
        unsigned wt = (unsigned)(key & 7);
        uint64_t num = key >> 3;
        if (num == 1 || num == 2) {
            if (wt != WT_VARINT)
                return wrong_wire(d, wt, num == 1 ? "type" : "intVal");
            if (rd_varint(d, &c, &v) < 0)
                return -EINVAL;
            if (num == 1)
                type = (int64_t)v;
            else
                ival = (int32_t)(uint32_t)v;
        } else if (num == 3) {
            if (wt != WT_LEN)
                return wrong_wire(d, wt, "strVal");
            if (rd_len(d, &c, &sb, &sn) < 0)
                return -EINVAL;
        } else if (num == 0 || wt == WT_EGROUP) {
            return fail(d, "proto: IntOrString: illegal tag %" PRIu64 " (wire type %u)", num, wt);
        } else if (skip_value(d, &c, wt) < 0) {
            return -EINVAL;
        }
    }
    if (type == 0) {
        *out = json_integer(ival);
        return 0;
    }
    if (type == 1)
        return make_string(d, sb, sn, "StrVal", out);
    return fail(d, "impossible IntOrString.Type");
}

/* The value of a length-delimited field of kind r (not an array or map). */
static int decode_len_value(struct pb *d, const struct sch_ref *r, const char *name,
                            const uint8_t *b, size_t n, json_t **out)
{
    const uint8_t *vb;
    size_t vn;
    int rc;

    *out = NULL;
    if (count_node(d) < 0)
        return -EINVAL;
    switch (r->kind) {
    case SCH_STRING:
        return make_string(d, b, n, name, out);
    case SCH_BYTES: {
        char *s = base64_encode(b, n);
        *out = json_string_nocheck(s);
        free(s);
        return 0;
    }
    case SCH_QUANTITY:
        if (decode_field1(d, b, n, "string", &vb, &vn) < 0)
            return -EINVAL;
        if (!vb) { /* the zero Quantity */
            *out = json_string("0");
            return 0;
        }
        return make_string(d, vb, vn, name, out);
    case SCH_INTSTR:
        return decode_intstr(d, b, n, out);
    case SCH_TIME:
    case SCH_MICROTIME:
        return decode_time(d, b, n, r->kind == SCH_MICROTIME, out);
    case SCH_ANY: {
        struct strbuf perr = STRBUF_INIT;
        if (decode_field1(d, b, n, "raw", &vb, &vn) < 0)
            return -EINVAL;
        if (!vb || !vn) {
            *out = json_null();
            return 0;
        }
        int left = JSON_MAX_DEPTH - d->depth;
        *out = json_parse_bounded((const char *)vb, vn, left > 0 ? left : 1, &perr);
        rc = *out ? 0 : fail(d, "field %s: the raw JSON is not valid: %s", name, perr.buf);
        strbuf_release(&perr);
        return rc;
    }
    case SCH_STRUCT:
        if (enter(d) < 0)
            return -EINVAL;
        *out = json_object();
        rc = decode_into(d, r->type, b, n, *out);
        d->depth--;
        if (rc < 0) {
            json_decref(*out);
            *out = NULL;
        }
        return rc;
    default:
        return fail(d, "proto: field %s cannot be length-delimited", name);
    }
}

static bool is_number(enum sch_kind k)
{
    return k == SCH_INT32 || k == SCH_INT64 || k == SCH_BOOL || k == SCH_DOUBLE;
}

/* One number of kind k, read with wire type wt (already checked). */
static int decode_number(struct pb *d, struct cursor *c, enum sch_kind k, json_t **out)
{
    uint64_t v = 0;
    double x;

    if (count_node(d) < 0)
        return -EINVAL;
    if (k == SCH_DOUBLE) {
        if (rd_fixed64(d, c, &v) < 0)
            return -EINVAL;
        memcpy(&x, &v, sizeof(x));
        if (!isfinite(x))
            return fail(d, "json: unsupported value: %s", isnan(x) ? "NaN" : "+Inf");
        *out = json_real(x);
        return 0;
    }
    if (rd_varint(d, c, &v) < 0)
        return -EINVAL;
    if (k == SCH_BOOL)
        *out = json_boolean(v != 0);
    else if (k == SCH_INT32)
        *out = json_integer((int32_t)(uint32_t)v);
    else
        *out = json_integer((json_int_t)(int64_t)v);
    return 0;
}

static unsigned wire_of(enum sch_kind k)
{
    return k == SCH_DOUBLE ? WT_FIXED64 : is_number(k) ? WT_VARINT : WT_LEN;
}

/* A map entry {1: key, 2: value} into map. */
static int decode_entry(struct pb *d, const struct sch_ref *elem, const char *name,
                        const uint8_t *b, size_t n, json_t *map)
{
    struct cursor c = {b, b + n};
    json_t *key = NULL, *val = NULL;
    int rc = -EINVAL;

    while (c.p < c.end) {
        uint64_t tag;
        const uint8_t *vb;
        size_t vn;
        json_t *v = NULL;
        if (rd_varint(d, &c, &tag) < 0)
            goto out;
        unsigned wt = (unsigned)(tag & 7);
        uint64_t num = tag >> 3;
        if (num == 1) {
            if (wt != WT_LEN) {
                wrong_wire(d, wt, "key");
                goto out;
            }
            if (rd_len(d, &c, &vb, &vn) < 0 || make_string(d, vb, vn, "key", &v) < 0)
                goto out;
            json_decref(key);
            key = v;
        } else if (num == 2) {
            if (wt != wire_of(elem->kind)) {
                wrong_wire(d, wt, "value");
                goto out;
            }
            if (is_number(elem->kind)) {
                if (decode_number(d, &c, elem->kind, &v) < 0)
                    goto out;
            } else if (rd_len(d, &c, &vb, &vn) < 0 ||
                       decode_len_value(d, elem, name, vb, vn, &v) < 0) {
                goto out;
            }
            json_decref(val);
            val = v;
        } else if (num == 0 || wt == WT_EGROUP) {
            fail(d, "proto: illegal tag %" PRIu64 " (wire type %u)", num, wt);
            goto out;
        } else if (skip_value(d, &c, wt) < 0) {
            goto out;
        }
    }
    if (!val) { /* the zero value of the element type, as Go leaves it */
        if (count_node(d) < 0)
            goto out;
        switch (elem->kind) {
        case SCH_STRING:
        case SCH_BYTES:
            val = json_string("");
            break;
        case SCH_QUANTITY:
            val = json_string("0");
            break;
        case SCH_INT32:
        case SCH_INT64:
        case SCH_INTSTR:
            val = json_integer(0);
            break;
        case SCH_BOOL:
            val = json_false();
            break;
        case SCH_DOUBLE:
            val = json_real(0);
            break;
        case SCH_STRUCT:
            val = json_object();
            break;
        default:
            val = json_null();
            break;
        }
    }
    json_object_set_nocheck(map, key ? json_string_value(key) : "", val);
    rc = 0;
out:
    json_decref(key);
    json_decref(val);
    return rc;
}

/* The array at obj[name], created when absent. Borrowed. */
static json_t *array_at(json_t *obj, const char *name)
{
    json_t *a = json_object_get(obj, name);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new_nocheck(obj, name, a);
    }
    return a;
}

/* One occurrence of field f (wire type wt) into obj. */
static int decode_field(struct pb *d, const struct sch_field *f, unsigned wt, struct cursor *c,
                        json_t *obj)
{
    const struct sch_ref *r = f->ref;
    const uint8_t *b;
    size_t n;
    json_t *v = NULL;

    if (r->kind == SCH_ARRAY) {
        const struct sch_ref *e = r->elem;
        json_t *arr;
        if (e->kind == SCH_ARRAY || e->kind == SCH_MAP)
            return fail(d, "proto: field %s: lists of lists or maps have no protobuf form",
                        f->name);
        if (is_number(e->kind) && wt == WT_LEN) { /* packed */
            if (rd_len(d, c, &b, &n) < 0)
                return -EINVAL;
            struct cursor pc = {b, b + n};
            if (count_node(d) < 0)
                return -EINVAL;
            arr = array_at(obj, f->name);
            while (pc.p < pc.end) {
                if (decode_number(d, &pc, e->kind, &v) < 0)
                    return -EINVAL;
                json_array_append_new(arr, v);
            }
            return 0;
        }
        if (wt != wire_of(e->kind))
            return wrong_wire(d, wt, f->name);
        if (count_node(d) < 0)
            return -EINVAL;
        arr = array_at(obj, f->name);
        if (is_number(e->kind)) {
            if (decode_number(d, c, e->kind, &v) < 0)
                return -EINVAL;
        } else {
            size_t mark = d->path.len;
            int rc;
            strbuf_addf(&d->path, "[%zu]", json_array_size(arr));
            if (enter(d) < 0)
                return -EINVAL;
            rc = rd_len(d, c, &b, &n);
            if (rc == 0)
                rc = decode_len_value(d, e, f->name, b, n, &v);
            d->depth--;
            path_pop(d, mark);
            if (rc < 0)
                return -EINVAL;
        }
        json_array_append_new(arr, v);
        return 0;
    }
    if (r->kind == SCH_MAP) {
        json_t *map = json_object_get(obj, f->name);
        int rc;
        if (wt != WT_LEN)
            return wrong_wire(d, wt, f->name);
        if (rd_len(d, c, &b, &n) < 0)
            return -EINVAL;
        if (!json_is_object(map)) {
            if (count_node(d) < 0)
                return -EINVAL;
            map = json_object();
            json_object_set_new_nocheck(obj, f->name, map);
        }
        if (enter(d) < 0)
            return -EINVAL;
        rc = decode_entry(d, r->elem, f->name, b, n, map);
        d->depth--;
        return rc;
    }
    if (wt != wire_of(r->kind))
        return wrong_wire(d, wt, f->name);
    if (is_number(r->kind)) {
        if (decode_number(d, c, r->kind, &v) < 0)
            return -EINVAL;
    } else {
        if (rd_len(d, c, &b, &n) < 0)
            return -EINVAL;
        json_t *cur = json_object_get(obj, f->name);
        if (r->kind == SCH_STRUCT && json_is_object(cur)) {
            /* a message field seen again merges into the first */
            int rc;
            if (enter(d) < 0)
                return -EINVAL;
            rc = decode_into(d, r->type, b, n, cur);
            d->depth--;
            return rc;
        }
        if (decode_len_value(d, r, f->name, b, n, &v) < 0)
            return -EINVAL;
    }
    json_object_set_new_nocheck(obj, f->name, v);
    return 0;
}

/* Decode the message b/n of type t into obj (fields are added, or merged). */
static int decode_into(struct pb *d, const struct sch_type *t, const uint8_t *b, size_t n,
                       json_t *obj)
{
    struct cursor c = {b, b + n};

    while (c.p < c.end) {
        uint64_t key;
        if (rd_varint(d, &c, &key) < 0)
            return -EINVAL;
        unsigned wt = (unsigned)(key & 7);
        uint64_t num = key >> 3;
        if (wt == WT_EGROUP)
            return fail(d, "proto: %s: wiretype end group for non-group", msg_name(t));
        if (num == 0 || num > INT32_MAX)
            return fail(d, "proto: %s: illegal tag %" PRId32 " (wire type %u)", msg_name(t),
                        (int32_t)num, wt);
        const struct sch_pb_field *pf = sch_pb_find(t, (unsigned)num);
        if (!pf) {
            if (skip_value(d, &c, wt) < 0)
                return -EINVAL;
            if (d->rep) {
                if (d->rep->nskipped++)
                    strbuf_addch(&d->rep->skipped, '\n');
                strbuf_addf(&d->rep->skipped, "unknown protobuf field %" PRIu64 " in \"%s\"",
                            num, d->path.buf);
            }
            continue;
        }
        if (pf->inline_type) {
            const uint8_t *ib;
            size_t in;
            int rc;
            if (wt != WT_LEN)
                return wrong_wire(d, wt, msg_name(pf->inline_type));
            if (rd_len(d, &c, &ib, &in) < 0 || enter(d) < 0)
                return -EINVAL;
            rc = decode_into(d, pf->inline_type, ib, in, obj);
            d->depth--;
            if (rc < 0)
                return -EINVAL;
            continue;
        }
        size_t mark;
        path_push(d, pf->field->name, &mark);
        int rc = decode_field(d, pf->field, wt, &c, obj);
        path_pop(d, mark);
        if (rc < 0)
            return -EINVAL;
    }
    return 0;
}

int pb_decode(const struct sch_type *t, const void *msg, size_t len, json_t **out,
              struct pb_report *rep, struct strbuf *err)
{
    struct strbuf scratch = STRBUF_INIT;
    struct pb d = {rep, err ? err : &scratch, STRBUF_INIT, 0, len + 16, 1};
    json_t *obj = json_object();
    int rc;

    *out = NULL;
    if (t < sch_types || t >= sch_types + sch_ntypes) { /* built by hand: no protobuf view */
        json_decref(obj);
        strbuf_release(&scratch);
        return fail(&d, "proto: %s has no protobuf form", t->go_name);
    }
    rc = decode_into(&d, t, msg, len, obj);
    strbuf_release(&d.path);
    strbuf_release(&scratch);
    if (rc < 0) {
        json_decref(obj);
        return -EINVAL;
    }
    *out = obj;
    return 0;
}

/* --- the envelope --- */

void pb_report_release(struct pb_report *rep)
{
    strbuf_release(&rep->skipped);
    rep->nskipped = 0;
}

void pb_envelope_release(struct pb_envelope *env)
{
    free(env->api_version);
    free(env->kind);
    free(env->content_encoding);
    free(env->content_type);
    *env = (struct pb_envelope)PB_ENVELOPE_INIT;
}

/* A string field of the envelope into *s (replacing an earlier one). */
static int env_string(struct pb *d, struct cursor *c, unsigned wt, const char *name, char **s)
{
    const uint8_t *b;
    size_t n;
    json_t *v;

    if (wt != WT_LEN)
        return wrong_wire(d, wt, name);
    if (rd_len(d, c, &b, &n) < 0 || make_string(d, b, n, name, &v) < 0)
        return -EINVAL;
    free(*s);
    *s = xstrdup(json_string_value(v));
    json_decref(v);
    return 0;
}

static int unwrap(struct pb *d, const uint8_t *b, size_t n, struct pb_envelope *env)
{
    struct cursor c = {b, b + n};

    while (c.p < c.end) {
        uint64_t key;
        const uint8_t *mb;
        size_t mn;
        if (rd_varint(d, &c, &key) < 0)
            return -EINVAL;
        unsigned wt = (unsigned)(key & 7);
        uint64_t num = key >> 3;
        switch (num) {
        case 1: { /* typeMeta */
            if (wt != WT_LEN)
                return wrong_wire(d, wt, "TypeMeta");
            if (rd_len(d, &c, &mb, &mn) < 0)
                return -EINVAL;
            struct cursor tc = {mb, mb + mn};
            while (tc.p < tc.end) {
                uint64_t tkey;
                if (rd_varint(d, &tc, &tkey) < 0)
                    return -EINVAL;
                unsigned twt = (unsigned)(tkey & 7);
                uint64_t tnum = tkey >> 3;
                if (tnum == 1) {
                    if (env_string(d, &tc, twt, "APIVersion", &env->api_version) < 0)
                        return -EINVAL;
                } else if (tnum == 2) {
                    if (env_string(d, &tc, twt, "Kind", &env->kind) < 0)
                        return -EINVAL;
                } else if (tnum == 0 || twt == WT_EGROUP) {
                    return fail(d, "proto: TypeMeta: illegal tag %" PRIu64 " (wire type %u)",
                                tnum, twt);
                } else if (skip_value(d, &tc, twt) < 0) {
                    return -EINVAL;
                }
            }
            break;
        }
        case 2: /* raw */
            if (wt != WT_LEN)
                return wrong_wire(d, wt, "Raw");
            if (rd_len(d, &c, &mb, &mn) < 0)
                return -EINVAL;
            env->raw = mb;
            env->raw_len = mn;
            break;
        case 3:
            if (env_string(d, &c, wt, "ContentEncoding", &env->content_encoding) < 0)
                return -EINVAL;
            break;
        case 4:
            if (env_string(d, &c, wt, "ContentType", &env->content_type) < 0)
                return -EINVAL;
            break;
        default:
            if (num == 0 || wt == WT_EGROUP)
                return fail(d, "proto: Unknown: illegal tag %" PRIu64 " (wire type %u)", num, wt);
            if (skip_value(d, &c, wt) < 0)
                return -EINVAL;
        }
    }
    return 0;
}

int pb_unwrap(const void *body, size_t len, struct pb_envelope *env, struct strbuf *err)
{
    struct strbuf scratch = STRBUF_INIT;
    struct pb d = {NULL, err ? err : &scratch, STRBUF_INIT, 0, len + 16, 0};
    int rc = -EINVAL;

    *env = (struct pb_envelope)PB_ENVELOPE_INIT;
    if (len == 0)
        fail(&d, "empty data");
    else if (len < PB_MAGIC_LEN || memcmp(body, PB_MAGIC, PB_MAGIC_LEN))
        fail(&d, "provided data does not appear to be a protobuf message, expected prefix "
                 "[107 56 115 0]");
    else if (len == PB_MAGIC_LEN)
        fail(&d, "empty body");
    else
        rc = unwrap(&d, (const uint8_t *)body + PB_MAGIC_LEN, len - PB_MAGIC_LEN, env);
    if (rc < 0) {
        pb_envelope_release(env);
    } else {
        if (!env->api_version)
            env->api_version = xstrdup("");
        if (!env->kind)
            env->kind = xstrdup("");
        if (!env->content_encoding)
            env->content_encoding = xstrdup("");
        if (!env->content_type)
            env->content_type = xstrdup("");
        if (!env->raw)
            env->raw = (const unsigned char *)"";
    }
    strbuf_release(&d.path);
    strbuf_release(&scratch);
    return rc;
}
