/* quantity.c — resource.Quantity (k8s.io/apimachinery/pkg/api/resource/quantity.go).
 *
 * Parsing follows upstream's scanner character for character, so that the same strings are
 * accepted and rejected with the same message. The value is then computed exactly in a small
 * decimal digit buffer (upstream uses inf.Dec), rounded up to nano, capped for binary suffixes,
 * and stored as mant * 10^exp10 with an int64 mantissa. String() is upstream's
 * CanonicalizeBytes.
 */
#include "base/quantity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"

#define MSG_SUFFIX "unable to parse quantity's suffix"
#define MSG_NUMERIC "unable to parse numeric part of quantity"
#define MSG_RANGE "quantity is too large or too precise to be represented"

/* --- Exact decimal arithmetic on a digit buffer --- */

/* Enough for any value that can end up in an int64 mantissa at nano precision (28 digits) plus
 * the growth of a binary suffix (19 digits), with room to spare. Digits beyond the buffer only
 * ever matter for rounding, so they are remembered as `sticky`. */
#define DN_MAX 96

struct dnum {
    unsigned char d[DN_MAX]; /* most significant first, no leading zeros */
    int n;                   /* digits in use; 0 means the value is zero */
    int64_t exp;             /* value = d * 10^exp */
    bool sticky;             /* non-zero digits were dropped below d[n-1] */
};

static void dn_push(struct dnum *x, unsigned char digit)
{
    if (x->n == 0 && digit == 0)
        return; /* leading zero */
    if (x->n < DN_MAX - 24) {
        x->d[x->n++] = digit;
        return;
    }
    /* Out of room: the digit's place is still counted, its value only for rounding. */
    x->exp++;
    if (digit)
        x->sticky = true;
}

static void dn_trim(struct dnum *x)
{
    while (x->n > 0 && x->d[x->n - 1] == 0 && !x->sticky) {
        x->n--;
        x->exp++;
    }
    if (x->n == 0)
        x->exp = 0;
}

static void dn_mul_small(struct dnum *x, unsigned m)
{
    unsigned carry = 0;
    for (int i = x->n - 1; i >= 0; i--) {
        unsigned v = x->d[i] * m + carry;
        x->d[i] = (unsigned char)(v % 10);
        carry = v / 10;
    }
    while (carry) {
        memmove(x->d + 1, x->d, (size_t)x->n);
        x->d[0] = (unsigned char)(carry % 10);
        carry /= 10;
        x->n++;
    }
}

/* Add one unit in the last place. */
static void dn_inc(struct dnum *x)
{
    int i = x->n - 1;
    while (i >= 0 && x->d[i] == 9)
        x->d[i--] = 0;
    if (i >= 0) {
        x->d[i]++;
    } else {
        memmove(x->d + 1, x->d, (size_t)x->n);
        x->d[0] = 1;
        x->n++;
    }
}

/* Round a non-zero value up (away from zero) to a multiple of 10^-9, as upstream does with
 * inf.RoundUp: "if you want some resources, you should get some resources". */
static void dn_round_nano(struct dnum *x)
{
    if (x->n == 0 || x->exp >= -9)
        return;
    int64_t drop = -9 - x->exp;
    if (drop >= x->n) {
        x->d[0] = 1;
        x->n = 1;
    } else {
        bool nonzero = x->sticky;
        for (int i = x->n - (int)drop; i < x->n; i++)
            nonzero |= x->d[i] != 0;
        x->n -= (int)drop;
        if (nonzero)
            dn_inc(x);
    }
    x->exp = -9;
    x->sticky = false;
}

/* Compare a non-zero dnum with the integer whose digits are `ref` (no leading zeros). */
static int dn_cmp_int(const struct dnum *x, const char *ref)
{
    int64_t rlen = (int64_t)strlen(ref);
    int64_t mag = x->n + x->exp; /* digits before the decimal point */
    if (mag != rlen)
        return mag < rlen ? -1 : 1;
    for (int64_t i = 0; i < rlen; i++) {
        int xd = i < x->n ? x->d[i] : 0;
        if (xd != ref[i] - '0')
            return xd < ref[i] - '0' ? -1 : 1;
    }
    /* Equal integer parts: anything left over is a positive fraction. */
    return x->n > rlen || x->sticky ? 1 : 0;
}

/* --- Parsing --- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Go's strconv.ParseInt(s, 10, 64) for the exponent of "e3" / "E-2" suffixes. */
static bool parse_go_int64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0, limit;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!*s)
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (!is_digit(*s))
            return false;
        unsigned dgt = (unsigned)(*s - '0');
        if (v > (limit - dgt) / 10)
            return false;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

struct suffix {
    int base; /* 10 or 2 */
    int64_t exp;
    enum quantity_format format;
};

static bool interpret_suffix(const char *s, size_t len, struct suffix *out)
{
    static const char dec[] = "numkMGTPE";
    static const int dec_exp[] = {-9, -6, -3, 3, 6, 9, 12, 15, 18};
    static const char bin[] = "KMGTPE";

    if (len == 0) {
        *out = (struct suffix){10, 0, QTY_DECIMAL_SI};
        return true;
    }
    if (len == 1) {
        const char *p = strchr(dec, s[0]);
        if (p && *p) {
            *out = (struct suffix){10, dec_exp[p - dec], QTY_DECIMAL_SI};
            return true;
        }
    }
    if (len == 2 && s[1] == 'i') {
        const char *p = strchr(bin, s[0]);
        if (p && *p) {
            *out = (struct suffix){2, 10 * (p - bin + 1), QTY_BINARY_SI};
            return true;
        }
    }
    if (len > 1 && (s[0] == 'e' || s[0] == 'E')) {
        char tmp[32];
        int64_t e;
        if (len - 1 >= sizeof(tmp))
            return false; /* more digits than any int64 has */
        memcpy(tmp, s + 1, len - 1);
        tmp[len - 1] = '\0';
        if (!parse_go_int64(tmp, &e))
            return false;
        *out = (struct suffix){10, e, QTY_DECIMAL_EXPONENT};
        return true;
    }
    return false;
}

static int fail(const char **why, const char *msg, int rc)
{
    if (why)
        *why = msg;
    return rc;
}

int quantity_parse_msg(const char *s, struct quantity *q, const char **why)
{
    size_t pos = 0, end = s ? strlen(s) : 0;
    size_t num_start, num_len = 0, den_start = 0, den_len = 0, suf_start, suf_len;
    bool neg = false, has_digit = false;
    struct suffix suf;
    struct dnum x = {.n = 0};

    if (end == 0)
        return fail(why, QUANTITY_REGEX_MSG, -EINVAL);
    if (s[0] == '-' || s[0] == '+')
        neg = s[pos++] == '-';

    /* The scanner of upstream's parseQuantityString. */
    while (pos < end && s[pos] == '0') {
        pos++;
        has_digit = true;
    }
    if (pos == end) {
        *q = (struct quantity){0, 0, QTY_DECIMAL_SI};
        return 0;
    }
    num_start = pos;
    while (pos < end && is_digit(s[pos]))
        pos++;
    num_len = pos - num_start;
    if (pos < end && s[pos] == '.') {
        den_start = ++pos;
        while (pos < end && is_digit(s[pos]))
            pos++;
        den_len = pos - den_start;
    }
    has_digit |= num_len > 0 || den_len > 0;
    suf_start = pos;
    while (pos < end && strchr("eEinumkKMGTP", s[pos]))
        pos++;
    if (pos < end) {
        if (s[pos] == '-' || s[pos] == '+')
            pos++;
        while (pos < end && is_digit(s[pos]))
            pos++;
        if (pos < end)
            return fail(why, QUANTITY_REGEX_MSG, -EINVAL);
    }
    suf_len = end - suf_start;

    if (!interpret_suffix(s + suf_start, suf_len, &suf))
        return fail(why, MSG_SUFFIX, -EINVAL);
    if (suf.exp > INT32_MAX || suf.exp < INT32_MIN)
        return fail(why, MSG_RANGE, -ERANGE); /* upstream silently truncates to int32 */

    if (!has_digit) {
        /* Nothing but a sign, a dot and a suffix ("Mi", "-.k"): upstream's int64 fast path reads
         * that as 0, but its inf.Dec slow path (taken for tiny decimal exponents and for Pi/Ei)
         * finds no digits and fails. */
        bool fast = suf.base == 2 ? 13 - suf.exp * 3 / 10 >= 0 : suf.exp >= -9;
        if (!fast)
            return fail(why, MSG_NUMERIC, -EINVAL);
        *q = (struct quantity){0, 0, suf.format};
        return 0;
    }

    for (size_t i = 0; i < num_len; i++)
        dn_push(&x, (unsigned char)(s[num_start + i] - '0'));
    for (size_t i = 0; i < den_len; i++) {
        dn_push(&x, (unsigned char)(s[den_start + i] - '0'));
        x.exp--;
    }
    if (x.n == 0 && !x.sticky) {
        *q = (struct quantity){0, 0, suf.format};
        return 0;
    }
    dn_trim(&x);
    if (suf.base == 10) {
        x.exp += suf.exp;
    } else {
        for (int64_t i = 0; i < suf.exp / 10; i++)
            dn_mul_small(&x, 1024);
    }
    dn_round_nano(&x);
    dn_trim(&x);

    enum quantity_format format = suf.format;
    if (format == QTY_BINARY_SI) {
        /* Binary quantities are capped, silently, at 2^63-1 ("8Ei" parses as 2^63-1). */
        if (dn_cmp_int(&x, "9223372036854775807") > 0) {
            x.n = 0;
            x.exp = 0;
            x.sticky = false;
            for (const char *p = "9223372036854775807"; *p; p++)
                x.d[x.n++] = (unsigned char)(*p - '0');
        }
        /* Below one there is nothing binary to print: "0.5Ki" stays 512, but "1e-12Ki" is nano. */
        if (x.n + x.exp <= 0)
            format = QTY_DECIMAL_SI;
    }
    dn_trim(&x);
    if (x.n > 19 || x.exp > INT32_MAX || x.exp < INT32_MIN)
        return fail(why, MSG_RANGE, -ERANGE);
    uint64_t m = 0;
    for (int i = 0; i < x.n; i++)
        m = m * 10 + x.d[i];
    if (m > (uint64_t)INT64_MAX)
        return fail(why, MSG_RANGE, -ERANGE);
    q->mant = neg ? -(int64_t)m : (int64_t)m;
    q->exp10 = (int32_t)x.exp;
    q->format = format;
    return 0;
}

int quantity_parse(const char *s, struct quantity *q)
{
    return quantity_parse_msg(s, q, NULL);
}

/* --- Canonical string --- */

static uint64_t uabs64(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static int digits_u64(uint64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static const uint64_t pow10_u64[] = {1ULL,
                                     10ULL,
                                     100ULL,
                                     1000ULL,
                                     10000ULL,
                                     100000ULL,
                                     1000000ULL,
                                     10000000ULL,
                                     100000000ULL,
                                     1000000000ULL,
                                     10000000000ULL,
                                     100000000000ULL,
                                     1000000000000ULL,
                                     10000000000000ULL,
                                     100000000000000ULL,
                                     1000000000000000ULL,
                                     10000000000000000ULL,
                                     100000000000000000ULL,
                                     1000000000000000000ULL,
                                     10000000000000000000ULL};

static void add_u128(struct strbuf *sb, unsigned __int128 v)
{
    char tmp[48];
    int i = sizeof(tmp);
    tmp[--i] = '\0';
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    strbuf_addstr(sb, tmp + i);
}

/* The decimal forms: the exponent is lowered to a multiple of three (upstream's
 * AsCanonicalBytes), then named by an SI suffix when one exists, else written as "e<exp>". */
static void add_decimal(struct strbuf *sb, uint64_t m, int64_t e, enum quantity_format format)
{
    static const char *const si[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    int64_t e3 = e >= 0 ? e / 3 * 3 : -((-e + 2) / 3 * 3);

    strbuf_addf(sb, "%llu", (unsigned long long)m);
    for (int64_t i = e3; i < e; i++)
        strbuf_addch(sb, '0');
    if (format == QTY_DECIMAL_SI && e3 >= -9 && e3 <= 18)
        strbuf_addstr(sb, si[(e3 + 9) / 3]);
    else if (e3 != 0)
        strbuf_addf(sb, "e%lld", (long long)e3);
}

char *quantity_string(const struct quantity *q)
{
    struct strbuf sb = STRBUF_INIT;
    uint64_t m = uabs64(q->mant);
    int64_t e = q->exp10;
    enum quantity_format format = q->format;

    if (m == 0)
        return xstrdup("0");
    if (q->mant < 0)
        strbuf_addch(&sb, '-');

    if (format == QTY_BINARY_SI) {
        /* Binary only for whole numbers of at least 1024: "0.5Gi" is "512Mi", but 1.5 is
         * "1500m" and "1.1Gi" (not whole) is "1181116006400m". Values beyond 2^128 (only
         * reachable by building a quantity by hand) print in decimal too. */
        unsigned __int128 v = m;
        bool fits = e >= 0;
        for (int64_t i = 0; fits && i < e; i++) {
            fits = v <= ~(unsigned __int128)0 / 10;
            v *= 10;
        }
        if (!fits || v < 1024) {
            format = QTY_DECIMAL_SI;
        } else {
            static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
            int k = 0;
            while (k < 6 && v >= 1024 && (v & 1023) == 0) {
                v >>= 10;
                k++;
            }
            add_u128(&sb, v);
            strbuf_addstr(&sb, bin[k]);
            return strbuf_detach(&sb, NULL);
        }
    }
    add_decimal(&sb, m, e, format);
    return strbuf_detach(&sb, NULL);
}

char *quantity_canonicalize(const char *s)
{
    struct quantity q;
    if (quantity_parse(s, &q))
        return NULL;
    return quantity_string(&q);
}

/* --- Arithmetic --- */

int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
    int sa = (a->mant > 0) - (a->mant < 0), sb = (b->mant > 0) - (b->mant < 0);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;

    uint64_t ma = uabs64(a->mant), mb = uabs64(b->mant);
    int da = digits_u64(ma), db = digits_u64(mb);
    int64_t oa = (int64_t)da + a->exp10, ob = (int64_t)db + b->exp10; /* orders of magnitude */
    int r;
    if (oa != ob) {
        r = oa < ob ? -1 : 1;
    } else {
        /* Same magnitude: pad the shorter mantissa with zeros and compare. */
        unsigned __int128 xa = ma, xb = mb;
        if (da < db)
            xa *= pow10_u64[db - da];
        else
            xb *= pow10_u64[da - db];
        r = xa < xb ? -1 : xa > xb;
    }
    return sa > 0 ? r : -r;
}

bool quantity_is_zero(const struct quantity *q)
{
    return q->mant == 0;
}

/* ceil(|q| * 10^shift) away from zero, saturated to int64. */
static int64_t scaled_value(const struct quantity *q, int shift)
{
    uint64_t m = uabs64(q->mant);
    int64_t e = (int64_t)q->exp10 + shift;
    unsigned __int128 v;

    if (m == 0)
        return 0;
    if (e >= 0) {
        if (e > 19)
            v = (unsigned __int128)1 << 64; /* certainly out of range */
        else
            v = (unsigned __int128)m * pow10_u64[e];
    } else if (-e > 19) {
        v = 1; /* a non-zero fraction rounds up to one */
    } else {
        uint64_t p = pow10_u64[-e];
        v = m / p + (m % p != 0);
    }
    if (q->mant > 0)
        return v > (unsigned __int128)INT64_MAX ? INT64_MAX : (int64_t)v;
    return v > (unsigned __int128)INT64_MAX ? INT64_MIN : -(int64_t)v;
}

int64_t quantity_value(const struct quantity *q)
{
    return scaled_value(q, 0);
}

int64_t quantity_milli_value(const struct quantity *q)
{
    return scaled_value(q, 3);
}

int quantity_add(const struct quantity *a, const struct quantity *b, struct quantity *out)
{
    /* Upstream: adding to a zero takes the other operand's format. */
    if (a->mant == 0) {
        *out = *b;
        return 0;
    }
    if (b->mant == 0) {
        *out = *a;
        return 0;
    }

    const struct quantity *hi = a->exp10 >= b->exp10 ? a : b, *lo = hi == a ? b : a;
    int64_t k = (int64_t)hi->exp10 - lo->exp10;
    /* lo's mantissa ends in a non-zero digit, so the sum keeps every one of the k + 1 digits
     * and cannot fit in 19 once k reaches 20. */
    if (k > 19)
        return -ERANGE;
    __int128 s = (__int128)hi->mant * (__int128)pow10_u64[k] + lo->mant;
    int64_t e = lo->exp10;
    if (s == 0) {
        *out = (struct quantity){0, 0, a->format};
        return 0;
    }
    while (s % 10 == 0) {
        s /= 10;
        e++;
    }
    if (s > INT64_MAX || s < -(__int128)INT64_MAX || e > INT32_MAX)
        return -ERANGE;
    *out = (struct quantity){(int64_t)s, (int32_t)e, a->format};
    return 0;
}
