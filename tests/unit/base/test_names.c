#include "test.h"

#include "base/alloc.h"
#include "base/names.h"

typedef int (*check_fn)(const char *, const char *[NAME_MAX_MSGS]);

static char *rep(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void expect_ok(check_fn fn, const char *what, const char *const *vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *msgs[NAME_MAX_MSGS];
        int got = fn(vals[i], msgs);
        if (got != 0)
            fail_msg("%s: '%s' rejected: %s", what, vals[i], msgs[0]);
    }
}

static void expect_bad(check_fn fn, const char *what, const char *const *vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *msgs[NAME_MAX_MSGS];
        int got = fn(vals[i], msgs);
        if (got == 0)
            fail_msg("%s: '%s' accepted", what, vals[i]);
        assert_true(got <= NAME_MAX_MSGS);
    }
}

#define OK(fn, ...)                                                                                \
    do {                                                                                           \
        static const char *const v_[] = {__VA_ARGS__};                                             \
        expect_ok(fn, #fn, v_, ARRAY_SIZE(v_));                                                    \
    } while (0)
#define BAD(fn, ...)                                                                               \
    do {                                                                                           \
        static const char *const v_[] = {__VA_ARGS__};                                             \
        expect_bad(fn, #fn, v_, ARRAY_SIZE(v_));                                                   \
    } while (0)

/* Exactly these messages, in this order. */
static void expect_msgs(check_fn fn, const char *s, int n, ...)
{
    const char *msgs[NAME_MAX_MSGS];
    va_list ap;
    int got = fn(s, msgs);
    if (got != n)
        fail_msg("'%s': %d messages, want %d (first: %s)", s, got, n, got ? msgs[0] : "-");
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        if (strcmp(msgs[i], want))
            fail_msg("'%s' message %d:\n  got:  %s\n  want: %s", s, i, msgs[i], want);
    }
    va_end(ap);
}

#define LABEL_MSG                                                                                  \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "   \
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "     \
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "  \
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static void test_dns1123_label(void **state)
{
    char *max = rep('a', 63), *over = rep('a', 64);
    OK(name_check_dns1123_label, "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012",
       "1a", "1-a", "1--a--b--2", "web-0");
    expect_ok(name_check_dns1123_label, "max", (const char *const[]){max}, 1);
    BAD(name_check_dns1123_label, "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-",
        "-1", "_", "a_", "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2",
        " ", "a ", " a", "a b", "1 ", " 1", "1 2", "a\n");

    expect_msgs(name_check_dns1123_label, "Web", 1, LABEL_MSG);
    /* a valid subdomain that is not a label: only the dots are wrong */
    expect_msgs(name_check_dns1123_label, "a.b", 1, "must not contain dots");
    expect_msgs(name_check_dns1123_label, "a..b", 1, LABEL_MSG);
    expect_msgs(name_check_dns1123_label, over, 1, "must be no more than 63 characters");
    char *over_bad = xasprintf("%s-", over);
    expect_msgs(name_check_dns1123_label, over_bad, 2, "must be no more than 63 characters",
                LABEL_MSG);
    free(over_bad);
    free(max);
    free(over);
}

static void test_dns1123_subdomain(void **state)
{
    char *max = rep('a', 253), *over = rep('a', 254);
    OK(name_check_dns1123_subdomain, "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012",
       "1a", "1-a", "1--a--b--2", "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1",
       "ab.1", "0.a", "01.a", "1--a--b--2.0", "a.b.c.d.e", "aa.bb.cc.dd.ee", "1.2.3.4.5",
       "11.22.33.44.55", "example.com", "web-0.nginx.default.svc.cluster.local");
    expect_ok(name_check_dns1123_subdomain, "max", (const char *const[]){max}, 1);
    BAD(name_check_dns1123_subdomain, "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a",
        "1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1",
        "1..2", " ", "a ", " a", "a b", "1 ", " 1", "1 2", "A.a", "aB.a", "ab.A", "A1.a", "a1.A",
        "A.1", "aB.1", "A1.1", "1A.1", "0.A", "01.A", "012.A", "1A.a", "1a.A", "A.B.C.D.E",
        "AA.BB.CC.DD.EE", "a.B.c.d.e", "aa.bB.cc.dd.ee", "a@b", "a,b", "a_b", "a;b", "a:b", "a%b",
        "a?b", "a$b");
    expect_msgs(name_check_dns1123_subdomain, "Example.com", 1, SUBDOMAIN_MSG);
    expect_msgs(name_check_dns1123_subdomain, over, 1, "must be no more than 253 characters");
    free(max);
    free(over);
}

static void test_dns1035_label(void **state)
{
    char *max = rep('a', 63), *over = rep('a', 64);
    OK(name_check_dns1035_label, "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "my-service");
    expect_ok(name_check_dns1035_label, "max", (const char *const[]){max}, 1);
    BAD(name_check_dns1035_label, "0", "01", "012", "1a", "1-a", "1--a--b--2", "", "A", "ABC",
        "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1",
        "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ", " 1",
        "1 2");
    expect_msgs(name_check_dns1035_label, "no-domain.com", 1,
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character "
                "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
                "'[a-z]([-a-z0-9]*[a-z0-9])?')");
    expect_msgs(name_check_dns1035_label, over, 1, "must be no more than 63 characters");
    free(max);
    free(over);
}

#define QNAME_MSG                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

static void test_qualified(void **state)
{
    char *max_name = rep('a', 63), *long_name = rep('a', 64);
    char *a253 = rep('a', 253), *a254 = rep('a', 254);
    char *max_both = xasprintf("%s/%s", a253, max_name);
    char *long_prefix = xasprintf("%s/abc", a254);
    OK(name_check_qualified, "simple", "now-with-dashes", "1-starts-with-num", "1234",
       "simple/simple", "now-with-dashes/simple", "now-with-dashes/now-with-dashes",
       "now.with.dots/simple", "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678",
       "1.2.3.4/5678", "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123",
       "requests.storage-foo", "app.kubernetes.io/name");
    expect_ok(name_check_qualified, "max", (const char *const[]){max_name, max_both}, 2);
    BAD(name_check_qualified, "nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-",
        "only/one/slash", "Example.com/abc", "example_com/abc", "example.com/", "/simple", "",
        "a b");
    expect_bad(name_check_qualified, "long", (const char *const[]){long_name, long_prefix}, 2);

    expect_msgs(name_check_qualified, "a b", 1, "name part " QNAME_MSG);
    expect_msgs(name_check_qualified, "only/one/slash", 1,
                "a qualified name " QNAME_MSG
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    expect_msgs(name_check_qualified, "/simple", 1, "prefix part must be non-empty");
    expect_msgs(name_check_qualified, "example.com/", 2, "name part must be non-empty",
                "name part " QNAME_MSG);
    expect_msgs(name_check_qualified, "Example.com/abc", 1, "prefix part " SUBDOMAIN_MSG);
    expect_msgs(name_check_qualified, long_name, 1, "name part must be no more than 63 characters");
    expect_msgs(name_check_qualified, long_prefix, 1,
                "prefix part must be no more than 253 characters");
    /* the most a qualified name can report at once */
    char *worst = xasprintf("%s_/-%s", a254, long_name);
    expect_msgs(name_check_qualified, worst, 4, "prefix part must be no more than 253 characters",
                "prefix part " SUBDOMAIN_MSG, "name part must be no more than 63 characters",
                "name part " QNAME_MSG);
    free(worst);
    free(a253);
    free(a254);
    free(max_name);
    free(long_name);
    free(max_both);
    free(long_prefix);
}

static void test_label_value(void **state)
{
    char *max = rep('a', 63), *over = rep('a', 64);
    OK(name_check_label_value, "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1",
       "1234", "", "A_Z", "ABC", "1.2", "a.b-c_d", "Uppercase_Is_OK_123");
    expect_ok(name_check_label_value, "max", (const char *const[]){max}, 1);
    BAD(name_check_label_value, "nospecialchars%^=@", "Tama-nui-te-r\xc4\x81", "\"",
        "-cantstartwithadash", "cantendwithadash-", "_cantstartwithunderscore", "a b", "a/b");
    expect_msgs(name_check_label_value, "a b", 1,
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    expect_msgs(name_check_label_value, over, 1, "must be no more than 63 characters");
    free(max);
    free(over);
}

static void test_iana_svc_name(void **state)
{
    OK(name_check_iana_svc_name, "telnet", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c",
       "1-a-2-b-3", "http", "web-metrics");
    BAD(name_check_iana_svc_name, "longerthan15characters", "", "aaaaaaaaaaaaaaaa", "12345",
        "1-2-3-4", "-begin", "end-", "two--hyphens", "whois++", "HTTP");
    expect_msgs(name_check_iana_svc_name, "two--hyphens", 1,
                "must not contain consecutive hyphens");
    expect_msgs(name_check_iana_svc_name, "12345", 1, "must contain at least one letter (a-z)");
    expect_msgs(name_check_iana_svc_name, "end-", 1, "must not begin or end with a hyphen");
    expect_msgs(name_check_iana_svc_name, "", 2,
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)");
    /* all five problems at once: NAME_MAX_MSGS has room for them */
    expect_msgs(name_check_iana_svc_name, "-_----------------", 5,
                "must be no more than 15 characters",
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)", "must not contain consecutive hyphens",
                "must not begin or end with a hyphen");
}

#define ENV_MSG                                                                                    \
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "  \
    "or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "         \
    "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"

static void test_env_var(void **state)
{
    OK(name_check_env_var, "A", "ABC", "AbC_123", "_123", "a", "a_b", "a-b", "a.b", "-a", ".a",
       "MY_ENV.NAME", "my.env-name", "MyEnvName1", ".a.");
    BAD(name_check_env_var, "", "1", "123", "A B", "A!", "$A", "a=b", ".", "..", "..a", "...a");
    expect_msgs(name_check_env_var, "1", 1, ENV_MSG);
    expect_msgs(name_check_env_var, ".", 1, "must not be '.'");
    expect_msgs(name_check_env_var, "..", 1, "must not be '..'");
    expect_msgs(name_check_env_var, "..a", 1, "must not start with '..'");
    expect_msgs(name_check_env_var, "..a b", 2, ENV_MSG, "must not start with '..'");
}

static void test_config_map_key(void **state)
{
    char *max = rep('a', 253), *over = rep('a', 254);
    OK(name_check_config_map_key, "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012",
       "1a", "1-a", "1--a--b--2", "a.b", "-a", ".a", ".a.b", "a_b", "KEY_NAME", "key.name",
       "index.html", ".dotfile");
    expect_ok(name_check_config_map_key, "max", (const char *const[]){max}, 1);
    BAD(name_check_config_map_key, "", ".", "..", "..a", "a b", "a@", "!", "a/b", "a:b");
    expect_msgs(name_check_config_map_key, "a b", 1,
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                "'[-._a-zA-Z0-9]+')");
    expect_msgs(name_check_config_map_key, "..", 1, "must not be '..'");
    expect_msgs(name_check_config_map_key, over, 1, "must be no more than 253 characters");
    free(max);
    free(over);
}

static void test_path_segment(void **state)
{
    OK(name_check_path_segment, "a", "a.b", "...", "..a", "A B", "", "web-0", "a:b");
    expect_msgs(name_check_path_segment, ".", 1, "may not be '.'");
    expect_msgs(name_check_path_segment, "..", 1, "may not be '..'");
    expect_msgs(name_check_path_segment, "a/b", 1, "may not contain '/'");
    expect_msgs(name_check_path_segment, "a%b", 1, "may not contain '%'");
    expect_msgs(name_check_path_segment, "a/b%c", 2, "may not contain '/'", "may not contain '%'");
}

static void test_generate(void **state)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    char *seen[64];
    int distinct = 0;

    for (int i = 0; i < 64; i++) {
        char *n = name_generate("web-");
        assert_int_equal(strlen(n), 9);
        assert_memory_equal(n, "web-", 4);
        for (int j = 4; j < 9; j++)
            assert_non_null(strchr(alphabet, n[j]));
        const char *msgs[NAME_MAX_MSGS];
        assert_int_equal(name_check_dns1123_label(n, msgs), 0);
        bool dup = false;
        for (int k = 0; k < distinct; k++)
            dup |= !strcmp(seen[k], n);
        if (dup)
            free(n);
        else
            seen[distinct++] = n;
    }
    /* 27^5 = 14 million names: 64 draws collide with odds of about one in 7000 */
    assert_true(distinct >= 63);
    for (int k = 0; k < distinct; k++)
        free(seen[k]);

    /* long prefixes are cut to 58 so the result is at most 63 */
    char *prefix = rep('p', 100);
    char *n = name_generate(prefix);
    assert_int_equal(strlen(n), 63);
    assert_memory_equal(n, prefix, 58);
    free(n);
    prefix[58] = '\0';
    n = name_generate(prefix);
    assert_int_equal(strlen(n), 63);
    free(n);
    prefix[57] = '\0';
    n = name_generate(prefix);
    assert_int_equal(strlen(n), 62);
    free(n);
    free(prefix);

    n = name_generate("");
    assert_int_equal(strlen(n), 5);
    free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns1123_label), cmocka_unit_test(test_dns1123_subdomain),
        cmocka_unit_test(test_dns1035_label), cmocka_unit_test(test_qualified),
        cmocka_unit_test(test_label_value),   cmocka_unit_test(test_iana_svc_name),
        cmocka_unit_test(test_env_var),       cmocka_unit_test(test_config_map_key),
        cmocka_unit_test(test_path_segment),  cmocka_unit_test(test_generate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
