/* decode.c — the schema-driven decoder: what kube-apiserver gets from decoding a body into the
 * Go structs (sigs.k8s.io/json, a fork of encoding/json) and encoding it again.
 *
 * The walk follows the input in document order, as the Go decoder does, so that the first type
 * error and the order of unknown-field reports match upstream. Two kinds of error exist there:
 * type errors are "saved" (the first one wins, decoding goes on), while an error returned by a
 * custom UnmarshalJSON (Quantity, IntOrString, Time) aborts at once and wins over a saved one.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/decode.h"
#include "base/alloc.h"
#include "base/base64.h"
#include "base/ktime.h"
#include "base/quantity.h"

/* sigs.k8s.io/json stops collecting strict errors after this many. */
#define MAX_STRICT_ERRORS 100

struct dec {
    struct decode_report *rep;
    struct strbuf path;    /* strict-error path: spec.containers[0].name */
    struct strbuf gofield; /* Go error context: JSON field names only, no indices or keys */
    const char *gostruct;  /* Go name (no package) of the struct owning the current field */
    struct strbuf soft;    /* the first saved type error */
    struct strbuf hard;    /* the error that aborted decoding */
    bool has_soft, has_hard;
};

static int dec_value(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out);
static json_t *zero_value(struct dec *d, const struct sch_ref *r);

/* --- Go-style names and quoting --- */

/* The Go type as encoding/json prints it in "of type X". Named string types (enums) print as
 * plain "string": the schema does not carry their Go names. */
static void add_go_type(struct strbuf *sb, const struct sch_ref *r)
{
    switch (r->kind) {
    case SCH_STRING:
        strbuf_addstr(sb, "string");
        break;
    case SCH_INT32:
        strbuf_addstr(sb, "int32");
        break;
    case SCH_INT64:
        strbuf_addstr(sb, "int64");
        break;
    case SCH_BOOL:
        strbuf_addstr(sb, "bool");
        break;
    case SCH_DOUBLE:
        strbuf_addstr(sb, "float64");
        break;
    case SCH_QUANTITY:
        strbuf_addstr(sb, "resource.Quantity");
        break;
    case SCH_INTSTR:
        strbuf_addstr(sb, "intstr.IntOrString");
        break;
    case SCH_TIME:
        strbuf_addstr(sb, "v1.Time");
        break;
    case SCH_MICROTIME:
        strbuf_addstr(sb, "v1.MicroTime");
        break;
    case SCH_BYTES:
        strbuf_addstr(sb, "[]uint8");
        break;
    case SCH_ANY:
        strbuf_addstr(sb, "runtime.RawExtension");
        break;
    case SCH_STRUCT:
        strbuf_addstr(sb, r->type->go_name);
        break;
    case SCH_ARRAY:
        strbuf_addstr(sb, "[]");
        add_go_type(sb, r->elem);
        break;
    case SCH_MAP:
        strbuf_addstr(sb, "map[string]");
        add_go_type(sb, r->elem);
        break;
    }
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
            return 0;
        return 3;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

/* Go's %q (strconv.Quote), closely enough for field names: printable UTF-8 kept, the rest
 * escaped. */
static void add_go_quote(struct strbuf *sb, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    strbuf_addch(sb, '"');
    while (p < end) {
        unsigned char c = *p;
        size_t l = c >= 0x80 && end - p >= 1 ? utf8_len(p) : 1;
        if (c >= 0x80 && l > 0 && (size_t)(end - p) >= l) {
            strbuf_add(sb, p, l);
            p += l;
            continue;
        }
        switch (c) {
        case '"':
            strbuf_addstr(sb, "\\\"");
            break;
        case '\\':
            strbuf_addstr(sb, "\\\\");
            break;
        case '\a':
            strbuf_addstr(sb, "\\a");
            break;
        case '\b':
            strbuf_addstr(sb, "\\b");
            break;
        case '\f':
            strbuf_addstr(sb, "\\f");
            break;
        case '\n':
            strbuf_addstr(sb, "\\n");
            break;
        case '\r':
            strbuf_addstr(sb, "\\r");
            break;
        case '\t':
            strbuf_addstr(sb, "\\t");
            break;
        case '\v':
            strbuf_addstr(sb, "\\v");
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
                strbuf_addf(sb, "\\x%02x", c);
            else
                strbuf_addch(sb, c);
        }
        p++;
    }
    strbuf_addch(sb, '"');
}

/* The quoting of Go's time package: bytes outside printable ASCII become \xNN. */
static void add_time_quote(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p >= 0x80)
            strbuf_addf(sb, "\\x%02x", *p);
        else if (*p == '"' || *p == '\\')
            strbuf_addf(sb, "\\%c", *p);
        else
            strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '"');
}

/* The shortest text that reads back as v. jansson keeps no literal, so "1e3" prints as
 * "1000.0"; with_dot keeps a ".0" on integral values, the way such literals are usually
 * written. */
static void add_real(struct strbuf *sb, double v, bool with_dot)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    strbuf_addstr(sb, buf);
    if (with_dot && !strpbrk(buf, ".eEn"))
        strbuf_addstr(sb, ".0");
}

/* "string", "number", "number 3.0" ... as UnmarshalTypeError.Value. literal_number: Go quotes
 * the number literal when an integer field could not take it. */
static void add_json_value_name(struct strbuf *sb, const json_t *v, bool literal_number)
{
    strbuf_addstr(sb, json_type_name(v));
    if (!literal_number)
        return;
    if (json_is_integer(v))
        strbuf_addf(sb, " %lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        strbuf_addch(sb, ' ');
        add_real(sb, json_real_value(v), true);
    }
}

/* --- errors --- */

/* An encoding/json UnmarshalTypeError with the decoder's error context added. */
static void type_error(struct dec *d, struct strbuf *sb, const json_t *v, bool literal_number,
                       const struct sch_ref *r, const char *type_name)
{
    strbuf_addstr(sb, "json: cannot unmarshal ");
    add_json_value_name(sb, v, literal_number);
    if (d->gostruct || d->gofield.len) {
        strbuf_addf(sb, " into Go struct field %s.%s of type ", d->gostruct ? d->gostruct : "",
                    d->gofield.buf);
    } else {
        strbuf_addstr(sb, " into Go value of type ");
    }
    if (type_name)
        strbuf_addstr(sb, type_name);
    else
        add_go_type(sb, r);
}

/* A saved error: only the first one counts, and decoding continues. */
static void soft_type_error(struct dec *d, const json_t *v, bool literal_number,
                            const struct sch_ref *r, const char *type_name)
{
    if (d->has_soft)
        return;
    d->has_soft = true;
    type_error(d, &d->soft, v, literal_number, r, type_name);
}

static void soft_error_text(struct dec *d, const char *text)
{
    if (d->has_soft)
        return;
    d->has_soft = true;
    strbuf_addstr(&d->soft, text);
}

/* An error from a custom unmarshaler: decoding stops. Always returns -1. */
static int hard_type_error(struct dec *d, const json_t *v, bool literal_number,
                           const char *type_name)
{
    d->has_hard = true;
    type_error(d, &d->hard, v, literal_number, NULL, type_name);
    return -1;
}

static int hard_error_text(struct dec *d, const char *text)
{
    d->has_hard = true;
    strbuf_addstr(&d->hard, text);
    return -1;
}

static void report_unknown(struct dec *d, const char *key)
{
    struct decode_report *rep = d->rep;
    if (!rep || rep->nunknown >= MAX_STRICT_ERRORS)
        return;
    struct strbuf p = STRBUF_INIT;
    strbuf_add(&p, d->path.buf, d->path.len);
    if (p.len)
        strbuf_addch(&p, '.');
    strbuf_addstr(&p, key);
    if (rep->unknown.len)
        strbuf_addch(&rep->unknown, '\n');
    strbuf_addstr(&rep->unknown, "unknown field ");
    add_go_quote(&rep->unknown, p.buf, p.len);
    rep->nunknown++;
    strbuf_release(&p);
}

/* --- time, as Go's time.Parse reads RFC 3339 --- */

enum tchunk { T_YEAR, T_MONTH, T_DAY, T_HOUR, T_MIN, T_SEC, T_FRAC6, T_TZ };
struct tlayout {
    const char *prefix;
    enum tchunk std;
    const char *stdstr;
};
static const struct tlayout rfc3339[] = {
    {"", T_YEAR, "2006"}, {"-", T_MONTH, "01"}, {"-", T_DAY, "02"},   {"T", T_HOUR, "15"},
    {":", T_MIN, "04"},   {":", T_SEC, "05"},   {"", T_TZ, "Z07:00"}, {NULL, 0, NULL},
};
static const struct tlayout rfc3339micro[] = {
    {"", T_YEAR, "2006"},     {"-", T_MONTH, "01"}, {"-", T_DAY, "02"},
    {"T", T_HOUR, "15"},      {":", T_MIN, "04"},   {":", T_SEC, "05"},
    {"", T_FRAC6, ".000000"}, {"", T_TZ, "Z07:00"}, {NULL, 0, NULL},
};
#define LAYOUT_RFC3339 "2006-01-02T15:04:05Z07:00"
#define LAYOUT_RFC3339_MICRO "2006-01-02T15:04:05.000000Z07:00"

/* time.getnum: one or two digits (exactly two when fixed). Returns the rest, or NULL. */
static const char *getnum(const char *s, bool fixed, int *n)
{
    if (!isdigit((unsigned char)s[0]))
        return NULL;
    if (!isdigit((unsigned char)s[1])) {
        if (fixed)
            return NULL;
        *n = s[0] - '0';
        return s + 1;
    }
    *n = (s[0] - '0') * 10 + (s[1] - '0');
    return s + 2;
}

/* time.atoi over s[0:n]: an optional sign, then digits only. */
static bool atoi_n(const char *s, size_t n, long long *out)
{
    bool neg = false;
    long long x = 0;
    size_t i = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    for (; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        if (x < (1LL << 62) / 10)
            x = x * 10 + (s[i] - '0');
    }
    *out = neg ? -x : x;
    return true;
}

/* time.parseNanoseconds: s[0] is the separator, s[1:n] the digits. */
static bool parse_nanos(const char *s, size_t n, long long *ns, const char **range)
{
    if (s[0] != '.' && s[0] != ',')
        return false;
    if (n > 10)
        n = 10;
    if (!atoi_n(s + 1, n - 1, ns))
        return false;
    if (*ns < 0) {
        *range = "fractional second";
        return true;
    }
    for (size_t i = 0; i < 10 - n; i++)
        *ns *= 10;
    return true;
}

static bool is_leap(long long y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int month, long long year)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : dim[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parse value with the RFC 3339 layout (micro: with exactly six fraction digits), as Go's
 * time.Parse does, producing its error text on failure. */
static int go_parse_time(const char *value, bool micro, long long *sec, long long *nsec,
                         struct strbuf *err)
{
    const struct tlayout *lay = micro ? rfc3339micro : rfc3339;
    const char *layout = micro ? LAYOUT_RFC3339_MICRO : LAYOUT_RFC3339;
    const char *v = value;
    long long year = 0, ns = 0;
    int month = 1, day = 1, hour = 0, min = 0, s = 0, zoff = 0;

    for (const struct tlayout *c = lay; c->stdstr; c++) {
        const char *range = NULL, *hold;
        bool bad = false;
        for (const char *p = c->prefix; *p; p++, v++) {
            if (*v != *p) {
                strbuf_addstr(err, "parsing time ");
                add_time_quote(err, value);
                strbuf_addf(err, " as \"%s\": cannot parse ", layout);
                add_time_quote(err, v);
                strbuf_addf(err, " as \"%s\"", c->prefix);
                return -EINVAL;
            }
        }
        hold = v;
        const char *r = NULL;
        switch (c->std) {
        case T_YEAR:
            if (strlen(v) < 4 || !isdigit((unsigned char)v[0]) || !atoi_n(v, 4, &year))
                bad = true;
            else
                v += 4;
            break;
        case T_MONTH:
            if (!(r = getnum(v, true, &month)))
                bad = true;
            else if (month <= 0 || month > 12)
                range = "month";
            break;
        case T_DAY:
            if (!(r = getnum(v, true, &day)))
                bad = true;
            break;
        case T_HOUR:
            if (!(r = getnum(v, false, &hour)))
                bad = true;
            else if (hour >= 24)
                range = "hour";
            break;
        case T_MIN:
            if (!(r = getnum(v, true, &min)))
                bad = true;
            else if (min >= 60)
                range = "minute";
            break;
        case T_SEC:
            if (!(r = getnum(v, true, &s))) {
                bad = true;
                break;
            }
            if (s >= 60) {
                range = "second";
                break;
            }
            /* A fraction the layout does not mention is accepted. */
            if (c[1].std != T_FRAC6 && (r[0] == '.' || r[0] == ',') &&
                isdigit((unsigned char)r[1])) {
                size_t n = 2;
                while (isdigit((unsigned char)r[n]))
                    n++;
                if (!parse_nanos(r, n, &ns, &range))
                    bad = true;
                r += n;
            }
            break;
        case T_FRAC6:
            if (strlen(v) < 7 || !parse_nanos(v, 7, &ns, &range))
                bad = true;
            else
                v += 7;
            break;
        case T_TZ: {
            int hr, mm;
            if (v[0] == 'Z') {
                v++;
                break;
            }
            if (strlen(v) < 6 || v[3] != ':' || !getnum(v + 1, true, &hr) ||
                !getnum(v + 4, true, &mm)) {
                bad = true;
                break;
            }
            if (hr > 24)
                range = "time zone offset hour";
            if (mm > 60)
                range = "time zone offset minute";
            zoff = (hr * 60 + mm) * 60;
            if (v[0] == '-')
                zoff = -zoff;
            else if (v[0] != '+')
                bad = true;
            v += 6;
            break;
        }
        }
        if (r && !bad)
            v = r;
        if (range) {
            strbuf_addstr(err, "parsing time ");
            add_time_quote(err, value);
            strbuf_addf(err, ": %s out of range", range);
            return -EINVAL;
        }
        if (bad) {
            strbuf_addstr(err, "parsing time ");
            add_time_quote(err, value);
            strbuf_addf(err, " as \"%s\": cannot parse ", layout);
            add_time_quote(err, hold);
            strbuf_addf(err, " as \"%s\"", c->stdstr);
            return -EINVAL;
        }
    }
    if (*v) {
        strbuf_addstr(err, "parsing time ");
        add_time_quote(err, value);
        strbuf_addstr(err, ": extra text: ");
        add_time_quote(err, v);
        return -EINVAL;
    }
    if (day < 1 || day > days_in(month, year)) {
        strbuf_addstr(err, "parsing time ");
        add_time_quote(err, value);
        strbuf_addstr(err, ": day out of range");
        return -EINVAL;
    }
    *sec = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + s - zoff;
    *nsec = ns;
    return 0;
}

/* metav1.Time / MicroTime: a string in RFC 3339, re-encoded in UTC. */
static int dec_time(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    bool micro = r->kind == SCH_MICROTIME;
    struct strbuf err = STRBUF_INIT;
    long long sec, nsec;
    char buf[KTIME_BUFSZ];

    /* UnmarshalJSON first decodes a Go string, with the decoder's error context. */
    if (!json_is_string(in))
        return hard_type_error(d, in, false, "string");
    if (go_parse_time(json_string_value(in), micro, &sec, &nsec, &err)) {
        hard_error_text(d, err.buf);
        strbuf_release(&err);
        return -1;
    }
    if (micro)
        *out = json_string(ktime_format_micro((int64_t)sec * 1000000 + nsec / 1000, buf));
    else
        *out = json_string(ktime_format((time_t)sec, buf));
    return 0;
}

/* --- scalars --- */

static int dec_quantity(struct dec *d, json_t *in, json_t **out)
{
    struct strbuf text = STRBUF_INIT;
    struct quantity q;
    int rc;

    /* Quantity.UnmarshalJSON parses the raw JSON text, quotes stripped and spaces trimmed,
     * so anything but a string or a number fails with the regex message. */
    if (json_is_string(in)) {
        const char *s = json_string_value(in), *e = s + json_string_length(in);
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        strbuf_add(&text, s, (size_t)(e - s));
    } else if (json_is_integer(in)) {
        strbuf_addf(&text, "%lld", (long long)json_integer_value(in));
    } else if (json_is_real(in)) {
        add_real(&text, json_real_value(in), false);
    }
    rc = text.len && !memchr(text.buf, '\0', text.len) ? quantity_parse(text.buf, &q) : -EINVAL;
    strbuf_release(&text);
    if (rc == -ERANGE)
        return hard_error_text(d, "unable to parse numeric part of quantity");
    if (rc)
        return hard_error_text(d, QUANTITY_REGEX_MSG);
    char *canon = quantity_string(&q);
    *out = json_string(canon);
    free(canon);
    return 0;
}

static int dec_intstr(struct dec *d, json_t *in, json_t **out)
{
    /* IntOrString.UnmarshalJSON: a string is kept, anything else must fit an int32. */
    if (json_is_string(in)) {
        *out = json_incref(in);
        return 0;
    }
    if (json_is_integer(in) && json_integer_value(in) >= INT32_MIN &&
        json_integer_value(in) <= INT32_MAX) {
        *out = json_incref(in);
        return 0;
    }
    return hard_type_error(d, in, json_is_number(in), "int32");
}

static void dec_bytes(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    struct strbuf raw = STRBUF_INIT;
    size_t bad = 0;

    if (!json_is_string(in)) {
        soft_type_error(d, in, false, r, NULL);
        return;
    }
    if (base64_decode(json_string_value(in), json_string_length(in), &raw, &bad)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "illegal base64 data at input byte %zu", bad);
        soft_error_text(d, msg);
        strbuf_release(&raw);
        return;
    }
    /* Go re-encodes the bytes: the stored text is canonical standard base64. */
    char *enc = base64_encode(raw.buf, raw.len);
    *out = json_string(enc);
    free(enc);
    strbuf_release(&raw);
}

static void dec_int(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    if (json_is_integer(in)) {
        json_int_t v = json_integer_value(in);
        if (r->kind == SCH_INT64 || (v >= INT32_MIN && v <= INT32_MAX)) {
            *out = json_incref(in);
            return;
        }
    }
    soft_type_error(d, in, json_is_number(in), r, NULL);
}

/* Go encodes a float64 in its shortest form, integral values without a fraction. */
static void dec_double(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    if (json_is_integer(in)) {
        *out = json_incref(in);
    } else if (json_is_real(in)) {
        double v = json_real_value(in);
        if (v == floor(v) && fabs(v) < 1e15)
            *out = json_integer((json_int_t)v);
        else
            *out = json_incref(in);
    } else {
        soft_type_error(d, in, false, r, NULL);
    }
}

/* --- containers --- */

static size_t push_field(struct dec *d, const char *name, size_t *golen)
{
    size_t len = d->path.len;
    if (d->path.len)
        strbuf_addch(&d->path, '.');
    strbuf_addstr(&d->path, name);
    *golen = d->gofield.len;
    if (d->gofield.len)
        strbuf_addch(&d->gofield, '.');
    strbuf_addstr(&d->gofield, name);
    return len;
}

/* apiVersion and kind of a kind come from the embedded metav1.TypeMeta, which Go's error
 * context names ("StatefulSet.TypeMeta.apiVersion"). */
static bool from_typemeta(const struct sch_type *t, const struct sch_field *f)
{
    return t->nfields >= 2 && !strcmp(t->fields[0].name, "apiVersion") &&
           !strcmp(t->fields[1].name, "kind") && (f == &t->fields[0] || f == &t->fields[1]);
}

/* Is v what omitempty drops? Structs (and the types Go implements as structs) never are. */
static bool is_empty(const struct sch_ref *r, const json_t *v)
{
    switch (r->kind) {
    case SCH_STRING:
    case SCH_BYTES:
        return json_is_string(v) && json_string_length(v) == 0;
    case SCH_INT32:
    case SCH_INT64:
    case SCH_DOUBLE:
        return json_is_integer(v) ? json_integer_value(v) == 0 : json_number_value(v) == 0;
    case SCH_BOOL:
        return json_is_false(v);
    case SCH_ARRAY:
        return json_array_size(v) == 0;
    case SCH_MAP:
        return json_object_size(v) == 0;
    default:
        return false;
    }
}

static json_t *dec_struct_obj(struct dec *d, const struct sch_type *t, json_t *in, int *rc);

/* The value a field or element gets when absent or null and Go serialises its zero value. */
static json_t *zero_value(struct dec *d, const struct sch_ref *r)
{
    switch (r->kind) {
    case SCH_STRING:
        return json_string("");
    case SCH_INT32:
    case SCH_INT64:
    case SCH_DOUBLE:
    case SCH_INTSTR:
        return json_integer(0);
    case SCH_BOOL:
        return json_false();
    case SCH_QUANTITY:
        return json_string("0");
    case SCH_STRUCT: {
        int rc = 0;
        json_t *empty = json_object();
        json_t *v = dec_struct_obj(d, r->type, empty, &rc);
        json_decref(empty);
        return v;
    }
    default:
        return json_null(); /* time, bytes, any, nil slices and maps */
    }
}

/* What Go serialises for a field it never set (absent, or null: Go leaves the zero value):
 * nothing for omitempty and pointer fields, null for a pointer without omitempty (nullable),
 * the zero value for value structs and other always-serialised fields (=). */
static json_t *absent_value(struct dec *d, const struct sch_field *f)
{
    if (f->flags & SCH_F_NULLABLE)
        return json_null();
    if (f->flags & SCH_F_VALUE)
        return zero_value(d, f->ref);
    return NULL;
}

/* A struct field: null counts as absent, then omitempty (keepzero keeps a present zero). */
static int dec_field(struct dec *d, const struct sch_field *f, json_t *in, json_t **out)
{
    *out = NULL;
    if (json_is_null(in)) {
        *out = absent_value(d, f);
        return 0;
    }
    if (dec_value(d, f->ref, in, out))
        return -1;
    if (*out && !(f->flags & (SCH_F_VALUE | SCH_F_KEEPZERO)) && is_empty(f->ref, *out)) {
        json_decref(*out);
        *out = NULL;
    }
    return 0;
}

/* Decode the members of in (an object) as type t; returns the normalised object, fields in
 * schema order. *rc becomes -1 when a hard error aborted decoding. */
static json_t *dec_struct_obj(struct dec *d, const struct sch_type *t, json_t *in, int *rc)
{
    json_t **slot = xcalloc(t->nfields ? t->nfields : 1, sizeof(*slot));
    bool *seen = xcalloc(t->nfields ? t->nfields : 1, sizeof(*seen));
    const char *saved_struct = d->gostruct;
    const char *short_name = strrchr(t->go_name, '.');
    json_t *out = NULL;
    const char *key;
    json_t *val;

    short_name = short_name ? short_name + 1 : t->go_name;
    /* Document order, as the Go decoder walks it. */
    json_object_foreach(in, key, val)
    {
        const struct sch_field *f = sch_field_find(t, key);
        if (!f) {
            report_unknown(d, key);
            continue;
        }
        size_t i = (size_t)(f - t->fields), golen;
        size_t plen = push_field(d, key, &golen);
        if (from_typemeta(t, f)) {
            strbuf_setlen(&d->gofield, golen);
            if (golen)
                strbuf_addch(&d->gofield, '.');
            strbuf_addf(&d->gofield, "TypeMeta.%s", key);
        }
        d->gostruct = short_name;
        if (slot[i])
            json_decref(slot[i]); /* a repeated key: the last one wins, as in Go */
        seen[i] = true;
        int r = dec_field(d, f, val, &slot[i]);
        d->gostruct = saved_struct;
        strbuf_setlen(&d->path, plen);
        strbuf_setlen(&d->gofield, golen);
        if (r) {
            *rc = -1;
            goto out;
        }
    }
    out = json_object();
    for (size_t i = 0; i < t->nfields; i++) {
        const struct sch_field *f = &t->fields[i];
        if (!seen[i])
            slot[i] = absent_value(d, f);
        if (slot[i]) {
            json_object_set_new(out, f->name, slot[i]);
            slot[i] = NULL;
        }
    }
out:
    for (size_t i = 0; i < t->nfields; i++)
        json_decref(slot[i]);
    free(slot);
    free(seen);
    return out;
}

static int dec_array(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    json_t *arr = json_array();
    size_t i;
    json_t *el;

    json_array_foreach(in, i, el)
    {
        size_t plen = d->path.len;
        json_t *v = NULL;
        strbuf_addf(&d->path, "[%zu]", i);
        int rc = json_is_null(el) ? (v = zero_value(d, r->elem), 0) : dec_value(d, r->elem, el, &v);
        strbuf_setlen(&d->path, plen);
        if (rc) {
            json_decref(arr);
            return -1;
        }
        json_array_append_new(arr, v ? v : json_null());
    }
    *out = arr;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dec_map(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    size_t n = json_object_size(in), k = 0;
    const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
    json_t *map = json_object(), *val;
    const char *key;
    int rc = 0;

    /* Values are decoded in document order; the output is sorted, as Go encodes maps. */
    json_object_foreach(in, key, val)
    {
        size_t plen = d->path.len;
        json_t *v = NULL;
        keys[k++] = key;
        if (d->path.len)
            strbuf_addch(&d->path, '.');
        strbuf_addstr(&d->path, key);
        rc = json_is_null(val) ? (v = zero_value(d, r->elem), 0) : dec_value(d, r->elem, val, &v);
        strbuf_setlen(&d->path, plen);
        if (rc)
            break;
        json_object_set_new(map, key, v ? v : json_null());
    }
    if (rc) {
        json_decref(map);
        free(keys);
        return -1;
    }
    qsort(keys, k, sizeof(*keys), cmp_str);
    json_t *sorted = json_object();
    for (size_t i = 0; i < k; i++)
        json_object_set(sorted, keys[i], json_object_get(map, keys[i]));
    json_decref(map);
    free(keys);
    *out = sorted;
    return 0;
}

/* Decode a present, non-null value. *out is NULL after a saved (soft) error. Returns -1 only
 * when a hard error aborted decoding. */
static int dec_value(struct dec *d, const struct sch_ref *r, json_t *in, json_t **out)
{
    *out = NULL;
    switch (r->kind) {
    case SCH_STRING:
        if (json_is_string(in))
            *out = json_incref(in);
        else
            soft_type_error(d, in, false, r, NULL);
        return 0;
    case SCH_INT32:
    case SCH_INT64:
        dec_int(d, r, in, out);
        return 0;
    case SCH_BOOL:
        if (json_is_boolean(in))
            *out = json_incref(in);
        else
            soft_type_error(d, in, false, r, NULL);
        return 0;
    case SCH_DOUBLE:
        dec_double(d, r, in, out);
        return 0;
    case SCH_QUANTITY:
        return dec_quantity(d, in, out);
    case SCH_INTSTR:
        return dec_intstr(d, in, out);
    case SCH_TIME:
    case SCH_MICROTIME:
        return dec_time(d, r, in, out);
    case SCH_BYTES:
        dec_bytes(d, r, in, out);
        return 0;
    case SCH_ANY:
        *out = json_incref(in);
        return 0;
    case SCH_STRUCT: {
        int rc = 0;
        if (!json_is_object(in)) {
            soft_type_error(d, in, false, r, NULL);
            return 0;
        }
        *out = dec_struct_obj(d, r->type, in, &rc);
        return rc;
    }
    case SCH_ARRAY:
        if (!json_is_array(in)) {
            soft_type_error(d, in, false, r, NULL);
            return 0;
        }
        return dec_array(d, r, in, out);
    case SCH_MAP:
        if (!json_is_object(in)) {
            soft_type_error(d, in, false, r, NULL);
            return 0;
        }
        return dec_map(d, r, in, out);
    }
    return 0;
}

/* --- entry points --- */

void decode_report_release(struct decode_report *r)
{
    strbuf_release(&r->unknown);
    strbuf_release(&r->duplicate);
    r->nunknown = 0;
}

int schema_decode(const struct sch_type *t, json_t *obj, struct decode_report *rep,
                  struct strbuf *err)
{
    struct dec d = {rep, STRBUF_INIT, STRBUF_INIT, NULL, STRBUF_INIT, STRBUF_INIT, false, false};
    struct sch_ref top = {SCH_STRUCT, t, NULL};
    json_t *res = NULL;
    int rc = 0;

    if (!json_is_object(obj)) {
        soft_type_error(&d, obj, false, &top, NULL);
    } else {
        res = dec_struct_obj(&d, t, obj, &rc);
    }
    if (d.has_hard || d.has_soft) {
        if (err)
            strbuf_addstr(err, d.has_hard ? d.hard.buf : d.soft.buf);
        rc = -EINVAL;
    } else {
        json_object_clear(obj);
        json_object_update(obj, res);
    }
    json_decref(res);
    strbuf_release(&d.path);
    strbuf_release(&d.gofield);
    strbuf_release(&d.soft);
    strbuf_release(&d.hard);
    return rc;
}
