/* test.h — what every unit test includes: cmocka plus small helpers.
 *
 * A test file is tests/unit/<layer>/test_<module>.c with a main() that calls
 * cmocka_run_group_tests(); the runner sets TAP output and a timeout. A test may #include the
 * .c file it tests to reach its statics.
 */
#ifndef BERTH_TEST_H
#define BERTH_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json.h"

/* Parse a JSON literal or fail the test. Caller owns the result. */
static inline json_t *tj(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad JSON in test: %s: %s", text, e.text);
    return v;
}

/* Assert that v serialises (keys sorted, compact) exactly as the JSON text `want` does. */
#define assert_json_eq(v, want)                                                                    \
    do {                                                                                           \
        json_t *w_ = tj(want);                                                                     \
        char *a_ = json_dump_canonical(v), *b_ = json_dump_canonical(w_);                          \
        if (strcmp(a_, b_))                                                                        \
            fail_msg("JSON differs:\n  got:  %s\n  want: %s", a_, b_);                             \
        free(a_);                                                                                  \
        free(b_);                                                                                  \
        json_decref(w_);                                                                           \
    } while (0)

#endif
