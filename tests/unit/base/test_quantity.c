#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "base/quantity.h"

/* Input -> canonical String(), from upstream's quantity_test.go: TestQuantityParse (the table's
 * expected values rendered canonically), TestQuantityString (its "alternate" spellings) and
 * TestQuantityParseEmit, plus a few of ours. */
static const struct {
    const char *in, *want;
    enum quantity_format format;
} canon[] = {
    /* zeros, whatever the suffix */
    {"0", "0", QTY_DECIMAL_SI},
    {"0n", "0", QTY_DECIMAL_SI},
    {"0u", "0", QTY_DECIMAL_SI},
    {"0m", "0", QTY_DECIMAL_SI},
    {"0Ki", "0", QTY_BINARY_SI},
    {"0k", "0", QTY_DECIMAL_SI},
    {"0Mi", "0", QTY_BINARY_SI},
    {"0M", "0", QTY_DECIMAL_SI},
    {"0Gi", "0", QTY_BINARY_SI},
    {"0G", "0", QTY_DECIMAL_SI},
    {"0Ti", "0", QTY_BINARY_SI},
    {"0T", "0", QTY_DECIMAL_SI},
    {"00", "0", QTY_DECIMAL_SI},
    {"0.000", "0", QTY_DECIMAL_SI},
    {"-0", "0", QTY_DECIMAL_SI},
    {"1", "1", QTY_DECIMAL_SI},
    /* binary suffixes */
    {"1Ki", "1Ki", QTY_BINARY_SI},
    {"8Ki", "8Ki", QTY_BINARY_SI},
    {"7Mi", "7Mi", QTY_BINARY_SI},
    {"6Gi", "6Gi", QTY_BINARY_SI},
    {"5Ti", "5Ti", QTY_BINARY_SI},
    {"4Pi", "4Pi", QTY_BINARY_SI},
    {"3Ei", "3Ei", QTY_BINARY_SI},
    {"10Ti", "10Ti", QTY_BINARY_SI},
    {"100Ti", "100Ti", QTY_BINARY_SI},
    {"1024Mi", "1Gi", QTY_BINARY_SI},
    {"307200Ki", "300Mi", QTY_BINARY_SI},
    {"1025024Mi", "1001Gi", QTY_BINARY_SI},
    {"1024Gi", "1Ti", QTY_BINARY_SI},
    {"2048Ki", "2Mi", QTY_BINARY_SI},
    {"1028Ki", "1028Ki", QTY_BINARY_SI},
    /* decimal suffixes */
    {"5n", "5n", QTY_DECIMAL_SI},
    {"4u", "4u", QTY_DECIMAL_SI},
    {"3m", "3m", QTY_DECIMAL_SI},
    {"9", "9", QTY_DECIMAL_SI},
    {"8k", "8k", QTY_DECIMAL_SI},
    {"50k", "50k", QTY_DECIMAL_SI},
    {"7M", "7M", QTY_DECIMAL_SI},
    {"6G", "6G", QTY_DECIMAL_SI},
    {"2G", "2G", QTY_DECIMAL_SI},
    {"5T", "5T", QTY_DECIMAL_SI},
    {"40T", "40T", QTY_DECIMAL_SI},
    {"300T", "300T", QTY_DECIMAL_SI},
    {"2P", "2P", QTY_DECIMAL_SI},
    {"1E", "1E", QTY_DECIMAL_SI},
    {"12E", "12E", QTY_DECIMAL_SI},
    {"100m", "100m", QTY_DECIMAL_SI},
    {"1000M", "1G", QTY_DECIMAL_SI},
    {"0.001T", "1G", QTY_DECIMAL_SI},
    {"1000u", "1m", QTY_DECIMAL_SI},
    {"1080000000n", "1080m", QTY_DECIMAL_SI},
    {"1234567M", "1234567M", QTY_DECIMAL_SI},
    {"1025", "1025", QTY_DECIMAL_SI},
    {"5000m", "5", QTY_DECIMAL_SI},
    /* beyond "E" there is no SI suffix: exponent notation, not a silently dropped magnitude */
    {"1000E", "1e21", QTY_DECIMAL_SI},
    {"5000E", "5e21", QTY_DECIMAL_SI},
    {"1000000E", "1e24", QTY_DECIMAL_SI},
    /* decimal exponents keep their form, exponent lowered to a multiple of three */
    {"1E-3", "1e-3", QTY_DECIMAL_EXPONENT},
    {"1e3", "1e3", QTY_DECIMAL_EXPONENT},
    {"1E6", "1e6", QTY_DECIMAL_EXPONENT},
    {"1e9", "1e9", QTY_DECIMAL_EXPONENT},
    {"1E12", "1e12", QTY_DECIMAL_EXPONENT},
    {"1e15", "1e15", QTY_DECIMAL_EXPONENT},
    {"1E18", "1e18", QTY_DECIMAL_EXPONENT},
    {"1e14", "100e12", QTY_DECIMAL_EXPONENT},
    {"1e13", "10e12", QTY_DECIMAL_EXPONENT},
    {".001e12", "1e9", QTY_DECIMAL_EXPONENT},
    {"0.001e0", "1e-3", QTY_DECIMAL_EXPONENT},
    {"1000e-12", "1e-9", QTY_DECIMAL_EXPONENT},
    {"80e-3", "80e-3", QTY_DECIMAL_EXPONENT},
    {"300e6", "300e6", QTY_DECIMAL_EXPONENT},
    {"3e3", "3e3", QTY_DECIMAL_EXPONENT},
    {"0.5e0", "500e-3", QTY_DECIMAL_EXPONENT},
    {"0.5e-1", "50e-3", QTY_DECIMAL_EXPONENT},
    {"0.5e-2", "5e-3", QTY_DECIMAL_EXPONENT},
    {"1.2e3", "1200", QTY_DECIMAL_EXPONENT},
    {"1.3E+6", "1300e3", QTY_DECIMAL_EXPONENT},
    {"1.40e9", "1400e6", QTY_DECIMAL_EXPONENT},
    {"1.53E12", "1530e9", QTY_DECIMAL_EXPONENT},
    {"1.6e15", "1600e12", QTY_DECIMAL_EXPONENT},
    {"1.7E18", "1700e15", QTY_DECIMAL_EXPONENT},
    {"1e0", "1", QTY_DECIMAL_EXPONENT},
    /* things that look like floating point */
    {"100.035k", "100035", QTY_DECIMAL_SI},
    {"0.001", "1m", QTY_DECIMAL_SI},
    {"0.0005k", "500m", QTY_DECIMAL_SI},
    {"0.005", "5m", QTY_DECIMAL_SI},
    {"0.05", "50m", QTY_DECIMAL_SI},
    {"0.5", "500m", QTY_DECIMAL_SI},
    {"0.00050k", "500m", QTY_DECIMAL_SI},
    {"0.00500", "5m", QTY_DECIMAL_SI},
    {"0.05000", "50m", QTY_DECIMAL_SI},
    {"0.50000", "500m", QTY_DECIMAL_SI},
    {"10.035M", "10035k", QTY_DECIMAL_SI},
    {"9.01", "9010m", QTY_DECIMAL_SI},
    {"8.1k", "8100", QTY_DECIMAL_SI},
    {"7.123456M", "7123456", QTY_DECIMAL_SI},
    {"6.987654321G", "6987654321", QTY_DECIMAL_SI},
    {"5.444T", "5444G", QTY_DECIMAL_SI},
    {"40.1T", "40100G", QTY_DECIMAL_SI},
    {"300.2T", "300200G", QTY_DECIMAL_SI},
    {"2.5P", "2500T", QTY_DECIMAL_SI},
    {"1.01E", "1010P", QTY_DECIMAL_SI},
    {"1.08", "1080m", QTY_DECIMAL_SI},
    {"1.5", "1500m", QTY_DECIMAL_SI},
    /* things that saturate or round: nano is the floor, rounding away from zero */
    {"3.001n", "4n", QTY_DECIMAL_SI},
    {"1.1E-9", "2e-9", QTY_DECIMAL_EXPONENT},
    {"0.0000000001", "1n", QTY_DECIMAL_SI},
    {"0.0000000005", "1n", QTY_DECIMAL_SI},
    {"0.00000000050", "1n", QTY_DECIMAL_SI},
    {"0.5e-9", "1e-9", QTY_DECIMAL_EXPONENT},
    {"0.9n", "1n", QTY_DECIMAL_SI},
    {"0.00000012345", "124n", QTY_DECIMAL_SI},
    {"0.00000012354", "124n", QTY_DECIMAL_SI},
    {"1.0000000001", "1000000001n", QTY_DECIMAL_SI},
    {"0.9999999999", "1", QTY_DECIMAL_SI},
    {"1e-400", "1e-9", QTY_DECIMAL_EXPONENT},
    /* binary quantities are capped at 2^63-1 */
    {"9Ei", "9223372036854775807", QTY_BINARY_SI},
    {"8Ei", "9223372036854775807", QTY_BINARY_SI},
    {"9223372036854775807Ki", "9223372036854775807", QTY_BINARY_SI},
    /* fractional binary: binary only when whole, else decimal with exact precision */
    {"1.5Gi", "1536Mi", QTY_BINARY_SI},
    {"0.5Gi", "512Mi", QTY_BINARY_SI},
    {"1.1Gi", "1181116006400m", QTY_BINARY_SI},
    {"100.035Ki", "102435840m", QTY_BINARY_SI},
    {"0.5Mi", "512Ki", QTY_BINARY_SI},
    {"0.05Gi", "53687091200m", QTY_BINARY_SI},
    {"0.025Ti", "27487790694400m", QTY_BINARY_SI},
    {"1.1Ki", "1126400m", QTY_BINARY_SI},
    /* below 1024 a binary quantity prints in decimal; below 1 it parses as decimal */
    {"0.5Ki", "512", QTY_BINARY_SI},
    {".001Ki", "1024m", QTY_BINARY_SI},
    {".000001Ki", "1024u", QTY_DECIMAL_SI},
    {".000000001Ki", "1024n", QTY_DECIMAL_SI},
    {".000000000001Ki", "2n", QTY_DECIMAL_SI}, /* rounds up, changes format */
    {"0.000000000001Ki", "2n", QTY_DECIMAL_SI},
    /* things written by trolls */
    {".001", "1m", QTY_DECIMAL_SI},
    {".0001k", "100m", QTY_DECIMAL_SI},
    {"1.", "1", QTY_DECIMAL_SI},
    {"1.G", "1G", QTY_DECIMAL_SI},
    /* Upstream's parse fast path caches some non-canonical inputs verbatim as their String()
     * ("+1Gi", "007", "1.500": kubernetes#138165); we always canonicalise. */
    {"+1Gi", "1Gi", QTY_BINARY_SI},
    {"007", "7", QTY_DECIMAL_SI},
    {"1.500", "1500m", QTY_DECIMAL_SI},
    {"1.001", "1001m", QTY_DECIMAL_SI},
    /* upstream's scanner needs no digit at all: a bare suffix is zero */
    {"Mi", "0", QTY_BINARY_SI},
    {"m", "0", QTY_DECIMAL_SI},
    {".", "0", QTY_DECIMAL_SI},
    {"-", "0", QTY_DECIMAL_SI},
    {"e5", "0", QTY_DECIMAL_EXPONENT},
    /* negatives */
    {"-1Gi", "-1Gi", QTY_BINARY_SI},
    {"-1024Mi", "-1Gi", QTY_BINARY_SI},
    {"-.000000000001Ki", "-2n", QTY_DECIMAL_SI},
    {"-0.5", "-500m", QTY_DECIMAL_SI},
    {"-1.1Gi", "-1181116006400m", QTY_BINARY_SI},
    {"-8Ei", "-9223372036854775807", QTY_BINARY_SI},
    {"-1e3", "-1e3", QTY_DECIMAL_EXPONENT},
};

static void test_canonical(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(canon); i++) {
        struct quantity q, q2;
        if (quantity_parse(canon[i].in, &q))
            fail_msg("%s: parse failed", canon[i].in);
        char *s = quantity_string(&q);
        if (strcmp(s, canon[i].want))
            fail_msg("%s: got %s, want %s", canon[i].in, s, canon[i].want);
        if (q.format != canon[i].format)
            fail_msg("%s: format %d, want %d", canon[i].in, q.format, canon[i].format);
        /* the canonical form is a fixed point and keeps the value */
        if (quantity_parse(s, &q2) || quantity_cmp(&q, &q2) != 0)
            fail_msg("%s: %s does not round trip", canon[i].in, s);
        char *s2 = quantity_string(&q2);
        if (strcmp(s, s2))
            fail_msg("%s: %s re-canonicalises to %s", canon[i].in, s, s2);
        /* quantity_canonicalize is the same thing in one call */
        char *c = quantity_canonicalize(canon[i].in);
        assert_non_null(c);
        assert_string_equal(c, s);
        free(c);
        free(s2);
        free(s);
    }
}

/* Negating the input negates the canonical string (upstream tries "-" + every table entry). */
static void test_negative_of_every_case(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(canon); i++) {
        const char *in = canon[i].in;
        if (in[0] == '-' || in[0] == '+' || !strcmp(canon[i].want, "0"))
            continue;
        char *neg_in = xasprintf("-%s", in);
        struct quantity q;
        assert_int_equal(quantity_parse(neg_in, &q), 0);
        char *s = quantity_string(&q);
        char *want = xasprintf("-%s", canon[i].want);
        if (strcmp(s, want))
            fail_msg("%s: got %s, want %s", neg_in, s, want);
        assert_int_equal(q.format, canon[i].format);
        free(want);
        free(s);
        free(neg_in);
    }
}

static void test_stored_form(void **state)
{
    struct quantity q;
    assert_int_equal(quantity_parse("1500m", &q), 0);
    assert_int_equal(q.mant, 15);
    assert_int_equal(q.exp10, -1);
    assert_int_equal(quantity_parse("50k", &q), 0);
    assert_int_equal(q.mant, 5);
    assert_int_equal(q.exp10, 4);
    assert_int_equal(quantity_parse("1Ki", &q), 0);
    assert_int_equal(q.mant, 1024);
    assert_int_equal(q.exp10, 0);
    assert_int_equal(q.format, QTY_BINARY_SI);
    assert_int_equal(quantity_parse("0Gi", &q), 0);
    assert_int_equal(q.mant, 0);
    assert_int_equal(q.exp10, 0);
    assert_true(quantity_is_zero(&q));
    assert_int_equal(quantity_parse("-3m", &q), 0);
    assert_true(quantity_is_negative(&q));
}

static void test_errors(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *msg;
    } bad[] = {
        {"", -EINVAL, QUANTITY_REGEX_MSG},
        {"1.2.3", -EINVAL, QUANTITY_REGEX_MSG},
        {"1Qi", -EINVAL, QUANTITY_REGEX_MSG},
        {" 1", -EINVAL, QUANTITY_REGEX_MSG},
        {"1 ", -EINVAL, QUANTITY_REGEX_MSG},
        {"1.1.M", -EINVAL, QUANTITY_REGEX_MSG},
        {"1+1.0M", -EINVAL, QUANTITY_REGEX_MSG},
        {"0.1am", -EINVAL, QUANTITY_REGEX_MSG},
        {"aoeu", -EINVAL, QUANTITY_REGEX_MSG},
        {"1e3.5", -EINVAL, QUANTITY_REGEX_MSG},
        {"--1", -EINVAL, "unable to parse quantity's suffix"}, /* suffix "-1" */
        {"1,5", -EINVAL, QUANTITY_REGEX_MSG},
        {"0.1mi", -EINVAL, "unable to parse quantity's suffix"},
        {".5i", -EINVAL, "unable to parse quantity's suffix"},
        {"1i", -EINVAL, "unable to parse quantity's suffix"},
        {"-3.01i", -EINVAL, "unable to parse quantity's suffix"},
        {"-3.01e-", -EINVAL, "unable to parse quantity's suffix"},
        {"1e", -EINVAL, "unable to parse quantity's suffix"},
        {"1kK", -EINVAL, "unable to parse quantity's suffix"},
        {"1KI", -EINVAL, QUANTITY_REGEX_MSG},
        {"1e99999999999999999999", -EINVAL, "unable to parse quantity's suffix"},
        /* no digits and upstream's slow path: inf.Dec finds nothing to parse */
        {"Pi", -EINVAL, "unable to parse numeric part of quantity"},
        {"e-10", -EINVAL, "unable to parse numeric part of quantity"},
        /* values upstream keeps in arbitrary precision do not fit our int64 mantissa */
        {"18446744073709551616", -ERANGE, NULL},
        {"9223372036854775808", -ERANGE, NULL},
        {"123456789012.123456789", -ERANGE, NULL},
        {"1e3000000000", -ERANGE, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct quantity q;
        const char *why = NULL;
        int rc = quantity_parse_msg(bad[i].in, &q, &why);
        if (rc != bad[i].rc)
            fail_msg("'%s': rc %d, want %d", bad[i].in, rc, bad[i].rc);
        assert_non_null(why);
        if (bad[i].msg && strcmp(why, bad[i].msg))
            fail_msg("'%s': message %s", bad[i].in, why);
        assert_int_equal(quantity_parse(bad[i].in, &q), bad[i].rc);
        assert_null(quantity_canonicalize(bad[i].in));
    }
    struct quantity q;
    assert_int_equal(quantity_parse(NULL, &q), -EINVAL);
    assert_string_equal(QUANTITY_REGEX_MSG, "quantities must match the regular expression "
                                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

static int cmp_str(const char *a, const char *b)
{
    struct quantity qa, qb;
    if (quantity_parse(a, &qa) || quantity_parse(b, &qb))
        fail_msg("parse %s / %s", a, b);
    return quantity_cmp(&qa, &qb);
}

static void test_cmp(void **state)
{
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"0", "0", 0},
        {"100m", "50m", 1},
        {"50m", "100m", -1},
        {"10000T", "100Gi", 1},
        {"1Ki", "1024", 0},
        {"1k", "1Ki", -1},
        {"1G", "1e9", 0},
        {"1Gi", "1G", 1},
        {"0", "0Gi", 0},
        {"-1", "0", -1},
        {"-1", "-2", 1},
        {"-1Gi", "-1G", -1},
        {"1n", "0", 1},
        {"999m", "1", -1},
        {"1001m", "1", 1},
        {"9223372036854775807", "9223372036854775807000m", 0},
        {"12E", "9223372036854775807", 1},
        {"1e-9", "1n", 0},
        {"9.01", "9010m", 0},
        {"90e-1", "9.01", -1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int got = cmp_str(cases[i].a, cases[i].b);
        got = (got > 0) - (got < 0);
        if (got != cases[i].want)
            fail_msg("cmp(%s, %s) = %d, want %d", cases[i].a, cases[i].b, got, cases[i].want);
        got = cmp_str(cases[i].b, cases[i].a);
        got = (got > 0) - (got < 0);
        if (got != -cases[i].want)
            fail_msg("cmp(%s, %s) = %d, want %d", cases[i].b, cases[i].a, got, -cases[i].want);
    }
}

static void test_value(void **state)
{
    static const struct {
        const char *in;
        int64_t value, milli;
    } cases[] = {
        {"0", 0, 0},
        {"1", 1, 1000},
        {"1.1", 2, 1100},
        {"-1.1", -2, -1100},
        {"9.01", 10, 9010},
        {"-9.01", -10, -9010},
        {"100m", 1, 100},
        {"1m", 1, 1},
        {"1n", 1, 1},
        {"-1n", -1, -1},
        {"1Ki", 1024, 1024000},
        {"1Gi", 1073741824, 1073741824000},
        {"1.5Gi", 1610612736, 1610612736000},
        {"2G", 2000000000, 2000000000000},
        {"1e3", 1000, 1000000},
        {"1234567u", 2, 1235},
        {"9223372036854775807", INT64_MAX, INT64_MAX},
        {"-9223372036854775807", -INT64_MAX, INT64_MIN},
        {"12E", INT64_MAX, INT64_MAX},
        {"-12E", INT64_MIN, INT64_MIN},
        {"9E", 9000000000000000000, INT64_MAX},
        {"1e30", INT64_MAX, INT64_MAX},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct quantity q;
        assert_int_equal(quantity_parse(cases[i].in, &q), 0);
        if (quantity_value(&q) != cases[i].value)
            fail_msg("%s: Value %lld, want %lld", cases[i].in, (long long)quantity_value(&q),
                     (long long)cases[i].value);
        if (quantity_milli_value(&q) != cases[i].milli)
            fail_msg("%s: MilliValue %lld, want %lld", cases[i].in,
                     (long long)quantity_milli_value(&q), (long long)cases[i].milli);
    }
}

static char *add_str(const char *a, const char *b, int *rc)
{
    struct quantity qa, qb, out;
    if (quantity_parse(a, &qa) || quantity_parse(b, &qb))
        fail_msg("parse %s / %s", a, b);
    *rc = quantity_add(&qa, &qb, &out);
    return *rc ? NULL : quantity_string(&out);
}

static void test_add(void **state)
{
    static const struct {
        const char *a, *b, *want;
    } cases[] = {
        {"10", "1e1", "20"},        {"10", "1Ki", "1034"},
        {"1Ki", "1", "1025"},  /* keeps BinarySI; 1025 is not a multiple of 1024 */
        {"1Ki", "1Ki", "2Ki"}, /* keeps BinarySI */
        {"1Gi", "512Mi", "1536Mi"}, {"0", "50", "50"},
        {"50", "0", "50"},          {"0", "0", "0"},
        {"100m", "0", "100m"}, /* a zero operand preserves the suffix, either way round */
        {"0", "100m", "100m"},      {"1Gi", "0", "1Gi"},
        {"0", "1Gi", "1Gi"},        {"1", "1n", "1000000001n"},
        {"-1", "1", "0"},           {"1.5", "-500m", "1"},
        {"1e3", "1e3", "2e3"},      {"1k", "1e3", "2k"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc;
        char *s = add_str(cases[i].a, cases[i].b, &rc);
        if (rc || strcmp(s, cases[i].want))
            fail_msg("%s + %s = %s (rc %d), want %s", cases[i].a, cases[i].b, s ? s : "-", rc,
                     cases[i].want);
        free(s);
    }
    int rc;
    assert_null(add_str("9223372036854775807", "1", &rc));
    assert_int_equal(rc, -ERANGE);
    assert_null(add_str("1e30", "1", &rc));
    assert_int_equal(rc, -ERANGE);
    assert_null(add_str("-9223372036854775807", "-1", &rc));
    assert_int_equal(rc, -ERANGE);
}

/* Sums of many random quantities and their negations cancel (upstream TestAddSubRoundTrip). */
static void test_add_round_trip(void **state)
{
    struct quantity sum = {0, 0, QTY_DECIMAL_SI}, parts[100];
    unsigned seed = 12345;
    for (int k = -9; k <= 6; k += 3) {
        for (int i = 0; i < 100; i++) {
            seed = seed * 1103515245 + 12345;
            char buf[64];
            snprintf(buf, sizeof(buf), "%ue%d", seed % 100000, k);
            assert_int_equal(quantity_parse(buf, &parts[i]), 0);
            assert_int_equal(quantity_add(&sum, &parts[i], &sum), 0);
        }
        for (int i = 0; i < 100; i++) {
            struct quantity neg = parts[i];
            neg.mant = -neg.mant;
            assert_int_equal(quantity_add(&sum, &neg, &sum), 0);
        }
        assert_true(quantity_is_zero(&sum));
    }
}

/* Quantities built by hand, as upstream's TestQuantityString does. */
static void test_string_of_struct(void **state)
{
    static const struct {
        struct quantity q;
        const char *want;
    } cases[] = {
        {{1073741824, 0, QTY_BINARY_SI}, "1Gi"},
        {{5, 0, QTY_BINARY_SI}, "5"},
        {{5, -1, QTY_BINARY_SI}, "500m"},
        {{5, 1, QTY_BINARY_SI}, "50"},
        {{1234567, -3, QTY_BINARY_SI}, "1234567m"},
        {{1, 9, QTY_DECIMAL_SI}, "1G"},
        {{108, -2, QTY_DECIMAL_SI}, "1080m"},
        {{1, 21, QTY_DECIMAL_SI}, "1e21"},
        {{1, -12, QTY_DECIMAL_SI}, "1e-12"},
        {{1, -9, QTY_DECIMAL_EXPONENT}, "1e-9"},
        {{0, 0, QTY_DECIMAL_EXPONENT}, "0"},
        {{0, 5, QTY_BINARY_SI}, "0"},
        {{-901, -2, QTY_DECIMAL_SI}, "-9010m"},
        {{1, 18, QTY_BINARY_SI}, "976562500000000Ki"},
        {{1152921504606846976, 0, QTY_BINARY_SI}, "1Ei"},
        {{1, 21, QTY_BINARY_SI}, "953674316406250Mi"}, /* 10^21 = 2^20 * 2 * 5^21 */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = quantity_string(&cases[i].q);
        if (strcmp(s, cases[i].want))
            fail_msg("case %zu: got %s, want %s", i, s, cases[i].want);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_negative_of_every_case),
        cmocka_unit_test(test_stored_form),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_add_round_trip),
        cmocka_unit_test(test_string_of_struct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
