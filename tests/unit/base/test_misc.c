#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/fnv.h"
#include "base/uuid.h"

/* --- uuid --- */

static void test_uuid(void **state)
{
    char a[UUID_STR_LEN], b[UUID_STR_LEN];
    uuid_v4(a);
    uuid_v4(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(a[i], '-');
            continue;
        }
        /* lower-case hex only */
        assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
    }
    assert_int_equal(a[14], '4');           /* version */
    assert_non_null(strchr("89ab", a[19])); /* RFC 4122 variant */
    /* the version and variant bits are forced every time, the rest varies */
    int variant_seen[4] = {0};
    for (int i = 0; i < 200; i++) {
        uuid_v4(a);
        assert_int_equal(a[14], '4');
        const char *v = strchr("89ab", a[19]);
        assert_non_null(v);
        variant_seen[v - "89ab"]++;
    }
    for (int i = 0; i < 4; i++)
        assert_true(variant_seen[i] > 0);
}

/* --- base64 --- */

static void test_base64_encode(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *got = base64_encode(cases[i].in, strlen(cases[i].in));
        assert_string_equal(got, cases[i].want);
        free(got);
    }
    unsigned char bin[10];
    for (int i = 0; i < 10; i++)
        bin[i] = (unsigned char)i;
    char *got = base64_encode(bin, sizeof(bin));
    assert_string_equal(got, "AAECAwQFBgcICQ==");
    free(got);
    unsigned char hi[3] = {0xfb, 0xff, 0xbf};
    got = base64_encode(hi, 3);
    assert_string_equal(got, "+/+/");
    free(got);
}

static void test_base64_decode(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"Zg==", "f"},
        {"Zm8=", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"},
        {"Zm9vYmE=", "fooba"},
        {"Zm9vYmFy", "foobar"},
        /* CR and LF are ignored anywhere, as StdEncoding does */
        {"Zm9v\nYmFy\n", "foobar"},
        {"Z\r\nm9vYmFy", "foobar"},
        {"Zm9vYg=\n=", "foob"},
        {"\n", ""},
        {"AAA=\n", "\0\0"},
        /* not strict: non-zero bits before the padding are dropped */
        {"Zh==", "f"},
        {"Zm9=", "fo"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf out = STRBUF_INIT;
        size_t bad = 99;
        if (base64_decode(cases[i].in, strlen(cases[i].in), &out, &bad))
            fail_msg("'%s' rejected at %zu", cases[i].in, bad);
        size_t want_len = !strcmp(cases[i].in, "AAA=\n") ? 2 : strlen(cases[i].want);
        assert_int_equal(out.len, want_len);
        assert_memory_equal(out.buf, cases[i].want, want_len);
        strbuf_release(&out);
    }

    /* binary round trip, appending to what is there */
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)(255 - i);
    char *enc = base64_encode(bin, sizeof(bin));
    struct strbuf out = STRBUF_INIT;
    strbuf_addstr(&out, "x");
    assert_int_equal(base64_decode(enc, strlen(enc), &out, NULL), 0);
    assert_int_equal(out.len, 257);
    assert_memory_equal(out.buf + 1, bin, 256);
    strbuf_release(&out);
    free(enc);
}

/* Go's TestDecodeCorrupt for StdEncoding: the offset of the first illegal byte. */
static void test_base64_corrupt(void **state)
{
    static const struct {
        const char *in;
        size_t offset;
    } cases[] = {
        {"!!!!", 0},   {"====", 0},  {"x===", 1},      {"=AAA", 0},     {"A=AA", 1},
        {"AA=A", 2},   {"AA==A", 4}, {"AAA=AAAA", 4},  {"AAAAA", 4},    {"AAAAAA", 4},
        {"A=", 1},     {"A==", 1},   {"AA=", 3},       {"AAAAAA=", 7},  {"YWJjZA=====", 8},
        {"A!\n", 1},   {"A=\n", 1},  {"Zm9v YmFy", 4}, {"Zm9v-mFy", 4}, {"Zm9vYmF", 4},
        {"Zm9vYg", 4}, {"Zg\n", 1},  {"Zm9v\xff", 4},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf out = STRBUF_INIT;
        size_t bad = 99;
        strbuf_addstr(&out, "keep");
        int rc = base64_decode(cases[i].in, strlen(cases[i].in), &out, &bad);
        if (rc != -EINVAL)
            fail_msg("'%s' accepted", cases[i].in);
        if (bad != cases[i].offset)
            fail_msg("'%s': illegal base64 data at input byte %zu, want %zu", cases[i].in, bad,
                     cases[i].offset);
        assert_string_equal(out.buf, "keep"); /* untouched on error */
        strbuf_release(&out);
    }
    /* an embedded NUL is just another illegal byte: len, not strlen, bounds the input */
    struct strbuf out = STRBUF_INIT;
    size_t bad;
    assert_int_equal(base64_decode("Zm9v\0mFy", 8, &out, &bad), -EINVAL);
    assert_int_equal(bad, 4);
    strbuf_release(&out);
}

/* --- fnv and SafeEncodeString --- */

static void test_fnv(void **state)
{
    /* Go's hash/fnv golden values */
    static const struct {
        const char *in;
        uint32_t fnv1, fnv1a;
    } cases[] = {
        {"", 0x811c9dc5, 0x811c9dc5},       {"a", 0x050c5d7e, 0xe40c292c},
        {"ab", 0x70772d38, 0x4d2505ca},     {"abc", 0x439c2f4b, 0x1a47e90b},
        {"foobar", 0x31f0b262, 0xbf9cf968},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = strlen(cases[i].in);
        assert_int_equal(fnv32(cases[i].in, n, FNV32_INIT), cases[i].fnv1);
        assert_int_equal(fnv32a(cases[i].in, n, FNV32_INIT), cases[i].fnv1a);
    }
    /* incremental: hashing in pieces is hashing the whole */
    assert_int_equal(fnv32("bar", 3, fnv32("foo", 3, FNV32_INIT)), 0x31f0b262);
    assert_int_equal(fnv32a("bar", 3, fnv32a("foo", 3, FNV32_INIT)), 0xbf9cf968);
}

static void test_safe_encode(void **state)
{
    char out[32];
    safe_encode_string("abc", out, sizeof(out));
    assert_string_equal(out, "vwx");
    safe_encode_string("0123456789", out, sizeof(out));
    assert_string_equal(out, "456789bcdf");
    safe_encode_string("4294967295", out, sizeof(out));
    assert_string_equal(out, "86f8fbc6f9");
    safe_encode_string("", out, sizeof(out));
    assert_string_equal(out, "");
    /* a rune counts once, by its code point: U+00E9 is 233, 233 % 27 = 17 -> 'w' */
    safe_encode_string("h\xc3\xa9llo", out, sizeof(out));
    assert_string_equal(out, "6wbbf");
    /* truncated to the buffer */
    safe_encode_string("0123456789", out, 4);
    assert_string_equal(out, "456");

    /* a ControllerRevision name: the decimal FNV-1 hash of the data, encoded */
    const char *data = "{\"spec\":1}";
    char dec[16];
    snprintf(dec, sizeof(dec), "%u", fnv32(data, strlen(data), FNV32_INIT));
    assert_string_equal(dec, "4077887745");
    safe_encode_string(dec, out, sizeof(out));
    assert_string_equal(out, "84ccddcc89");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid),          cmocka_unit_test(test_base64_encode),
        cmocka_unit_test(test_base64_decode), cmocka_unit_test(test_base64_corrupt),
        cmocka_unit_test(test_fnv),           cmocka_unit_test(test_safe_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
