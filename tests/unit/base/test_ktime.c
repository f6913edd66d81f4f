#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "base/ktime.h"

static void test_format(void **state)
{
    char buf[KTIME_BUFSZ];
    assert_string_equal(ktime_format(0, buf), "1970-01-01T00:00:00Z");
    assert_string_equal(ktime_format(1795590517, buf), "2026-11-25T07:08:37Z");
    assert_string_equal(ktime_format(951782400, buf), "2000-02-29T00:00:00Z"); /* leap day */
    assert_string_equal(ktime_format(-1, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(ktime_format(253402300799, buf), "9999-12-31T23:59:59Z");
}

static void test_format_micro(void **state)
{
    char buf[KTIME_BUFSZ];
    assert_string_equal(ktime_format_micro(1795590517123456, buf), "2026-11-25T07:08:37.123456Z");
    assert_string_equal(ktime_format_micro(0, buf), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(ktime_format_micro(1795590517000001, buf), "2026-11-25T07:08:37.000001Z");
    /* before the epoch the fraction still counts forward from the floored second */
    assert_string_equal(ktime_format_micro(-1, buf), "1969-12-31T23:59:59.999999Z");
}

static void test_parse(void **state)
{
    time_t t = 0;
    int64_t us = 0;

    assert_int_equal(ktime_parse("2026-11-25T07:08:37Z", &t, &us), 0);
    assert_int_equal(t, 1795590517);
    assert_int_equal(us, 1795590517000000);

    assert_int_equal(ktime_parse("2026-11-25T07:08:37.123456Z", &t, &us), 0);
    assert_int_equal(t, 1795590517);
    assert_int_equal(us, 1795590517123456);

    /* shorter and longer fractions: padded, or truncated (not rounded) beyond microseconds */
    assert_int_equal(ktime_parse("2026-11-25T07:08:37.5Z", &t, &us), 0);
    assert_int_equal(us, 1795590517500000);
    assert_int_equal(ktime_parse("2026-11-25T07:08:37.123456999Z", &t, &us), 0);
    assert_int_equal(us, 1795590517123456);

    /* offsets */
    assert_int_equal(ktime_parse("2026-11-25T09:08:37+02:00", &t, NULL), 0);
    assert_int_equal(t, 1795590517);
    assert_int_equal(ktime_parse("2026-11-24T23:38:37-07:30", &t, NULL), 0);
    assert_int_equal(t, 1795590517);
    assert_int_equal(ktime_parse("1970-01-01T00:00:00+00:00", &t, NULL), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ktime_parse("2000-02-29T12:00:00Z", &t, NULL), 0);
    assert_int_equal(t, 951825600);

    /* round trip through the formatter */
    char buf[KTIME_BUFSZ];
    assert_int_equal(ktime_parse(ktime_format(1234567890, buf), &t, NULL), 0);
    assert_int_equal(t, 1234567890);
    assert_int_equal(ktime_parse(ktime_format_micro(1234567890654321, buf), NULL, &us), 0);
    assert_int_equal(us, 1234567890654321);
}

static void test_parse_errors(void **state)
{
    static const char *const bad[] = {
        "",
        "2026-11-25",
        "2026-11-25T07:08:37",  /* no zone */
        "2026-11-25 07:08:37Z", /* space instead of T */
        "2026-11-25t07:08:37Z", /* lower-case t */
        "2026-11-25T07:08:37z", /* lower-case z */
        "2026-13-25T07:08:37Z", /* month */
        "2026-00-25T07:08:37Z",
        "2026-02-29T07:08:37Z", /* not a leap year */
        "2026-04-31T07:08:37Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T07:60:37Z",
        "2026-11-25T07:08:60Z",     /* Go rejects leap seconds */
        "2026-11-25T07:08:37.Z",    /* empty fraction */
        "2026-11-25T07:08:37+0200", /* offset without colon */
        "2026-11-25T07:08:37+24:00",
        "2026-11-25T07:08:37+02:60",
        "2026-11-25T07:08:37Zjunk",
        "26-11-25T07:08:37Z",
        "2026-1-25T07:08:37Z",
        "20261125T070837Z",
    };
    time_t t;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (ktime_parse(bad[i], &t, NULL) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    assert_int_equal(ktime_parse(NULL, &t, NULL), -EINVAL);
}

/* The cases of upstream's duration_test.go (TestHumanDuration, TestHumanDurationBoundaries),
 * in whole seconds; "- time.Millisecond" cases become the second before. */
static void test_human_duration(void **state)
{
    static const struct {
        int64_t secs;
        const char *want;
    } cases[] = {
        {1, "1s"},
        {70, "70s"},
        {190, "3m10s"},
        {70 * 60, "70m"},
        {47 * 3600, "47h"},
        {49 * 3600, "2d1h"},
        {(8 * 24 + 2) * 3600, "8d"},
        {367 * 24 * 3600, "367d"},
        {(365 * 2 * 24 + 25) * 3600, "2y1d"},
        {(365 * 8 * 24 + 2) * 3600LL, "8y"},
        /* boundaries */
        {-2, "<invalid>"},
        {-1, "0s"},
        {0, "0s"},
        {119, "119s"},
        {120, "2m"},
        {121, "2m1s"},
        {599, "9m59s"},
        {600, "10m"},
        {601, "10m"},
        {3 * 3600 - 1, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 60, "3h1m"},
        {8 * 3600 - 1, "7h59m"},
        {8 * 3600, "8h"},
        {8 * 3600 + 59 * 60, "8h"},
        {48 * 3600 - 1, "47h"},
        {48 * 3600, "2d"},
        {49 * 3600, "2d1h"},
        {8 * 24 * 3600 - 1, "7d23h"},
        {8 * 24 * 3600, "8d"},
        {8 * 24 * 3600 + 23 * 3600, "8d"},
        {2 * 365 * 24 * 3600LL - 1, "729d"},
        {2 * 365 * 24 * 3600LL, "2y"},
        {2 * 365 * 24 * 3600LL + 23 * 3600, "2y"},
        {2 * 365 * 24 * 3600LL + 24 * 3600 - 1, "2y"},
        {2 * 365 * 24 * 3600LL + 24 * 3600, "2y1d"},
        {3 * 365 * 24 * 3600LL, "3y"},
        {7 * 365 * 24 * 3600LL, "7y"},
        {8 * 365 * 24 * 3600LL - 1, "7y364d"},
        {8 * 365 * 24 * 3600LL, "8y"},
        {8 * 365 * 24 * 3600LL + 364 * 24 * 3600LL, "8y"},
        {9 * 365 * 24 * 3600LL, "9y"},
        {45 * 24 * 3600, "45d"},
        {(3 * 365 + 100) * 24 * 3600LL, "3y100d"},
    };
    char buf[KTIME_BUFSZ];
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ktime_human_duration(cases[i].secs, buf);
        if (strcmp(buf, cases[i].want))
            fail_msg("%lld: got %s, want %s", (long long)cases[i].secs, buf, cases[i].want);
    }
    assert_string_equal(ktime_human_duration(INT64_MIN, buf), "<invalid>");
    /* the largest durations still print years */
    ktime_human_duration(INT64_MAX, buf);
    assert_true(buf[strlen(buf) - 1] == 'y');
}

static void test_clocks(void **state)
{
    time_t a = ktime_now();
    int64_t us = ktime_now_us();
    int64_t m1 = ktime_mono_ms(), m2 = ktime_mono_ms();
    assert_true(a > 1600000000);
    assert_true(us / 1000000 >= a && us / 1000000 <= a + 2);
    assert_true(m2 >= m1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),         cmocka_unit_test(test_format_micro),
        cmocka_unit_test(test_parse),          cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_human_duration), cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
