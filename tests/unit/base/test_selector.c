#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "base/selector.h"

/* --- label selectors: string form --- */

static struct label_selector *parse_ok(const char *s)
{
    struct label_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    if (label_selector_parse(s, &sel, &err))
        fail_msg("'%s': unexpected error: %s", s, err.buf);
    assert_non_null(sel);
    strbuf_release(&err);
    return sel;
}

static void expect_sel(const char *in, const char *want)
{
    struct label_selector *sel = parse_ok(in);
    char *got = label_selector_string(sel);
    if (strcmp(got, want))
        fail_msg("'%s': String() = '%s', want '%s'", in, got, want);
    /* the canonical form parses back to itself */
    struct label_selector *again = parse_ok(got);
    char *got2 = label_selector_string(again);
    assert_string_equal(got2, got);
    free(got2);
    label_selector_free(again);
    free(got);
    label_selector_free(sel);
}

static void expect_sel_error(const char *in, const char *want)
{
    struct label_selector *sel = (struct label_selector *)1;
    struct strbuf err = STRBUF_INIT;
    int rc = label_selector_parse(in, &sel, &err);
    if (rc != -EINVAL)
        fail_msg("'%s': parsed, want error %s", in, want);
    assert_null(sel);
    if (strcmp(err.buf, want))
        fail_msg("'%s':\n  got:  %s\n  want: %s", in, err.buf, want);
    strbuf_release(&err);
    /* no message wanted: still fails */
    assert_int_equal(label_selector_parse(in, &sel, NULL), -EINVAL);
}

/* upstream TestSelectorParse: good strings print back without their spaces */
static void test_parse_good(void **state)
{
    static const char *const good[] = {
        "x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5",
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        char want[64];
        size_t n = 0;
        for (const char *p = good[i]; *p; p++)
            if (*p != ' ')
                want[n++] = *p;
        want[n] = '\0';
        expect_sel(good[i], want);
    }
    struct label_selector *sel = NULL;
    assert_int_equal(label_selector_parse(NULL, &sel, NULL), 0);
    assert_true(label_selector_is_empty(sel));
    label_selector_free(sel);
    sel = parse_ok("  \t ");
    assert_true(label_selector_is_empty(sel));
    label_selector_free(sel);
    sel = parse_ok("x");
    assert_false(label_selector_is_empty(sel));
    label_selector_free(sel);
}

/* upstream TestSetSelectorParser, with the requirements each string builds as String() */
static void test_parse_set_based(void **state)
{
    expect_sel("\rx", "x");
    expect_sel("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash");
    expect_sel("this-is-another-dns.domain.com/key-with-dash in (so,what)",
               "this-is-another-dns.domain.com/key-with-dash in (so,what)");
    expect_sel("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
               "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)");
    expect_sel("foo  in\t (abc)", "foo in (abc)");
    expect_sel("x notin\n (abc)", "x notin (abc)");
    expect_sel("x  notin\t\t\t(abc,def)", "x notin (abc,def)");
    expect_sel("x in (abc,def)", "x in (abc,def)");
    expect_sel("x in (def,abc)", "x in (abc,def)"); /* values sorted */
    expect_sel("x in (abc,abc)", "x in (abc)");     /* and deduplicated */
    expect_sel("x in (abc,)", "x in (,abc)");
    expect_sel("x in ()", "x in ()"); /* the empty value */
    expect_sel("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()");
    expect_sel("x,y in (a)", "x,y in (a)");
    expect_sel("x=a", "x=a");
    expect_sel("x==a", "x==a");
    expect_sel("x>1", "x>1");
    expect_sel("x<7", "x<7");
    expect_sel("x=a,y!=b", "x=a,y!=b");
    expect_sel("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)");
    expect_sel("x notin ( )", "x notin ()");
    expect_sel("x notin (, a)", "x notin (,a)");
    expect_sel("x in (,,)", "x in ()");
    expect_sel("a ", "a");
    expect_sel("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"); /* keywords as values */
    expect_sel("in in (in)", "in in (in)");                        /* and as a key */
    expect_sel("notin=in", "notin=in");
    /* requirements sorted by key, deterministically */
    expect_sel("x=a,a=x", "a=x,x=a");
    expect_sel("a=x,x=a", "a=x,x=a");
    expect_sel("tier in (b,a),app=web,!canary", "app=web,!canary,tier in (a,b)");
    expect_sel("x=abc,y==jkl,z!=a,z", "x=abc,y==jkl,z!=a,z"); /* same key keeps its order */
    expect_sel("x!=a, y=b", "x!=a,y=b");
    expect_sel("app.kubernetes.io/name=web", "app.kubernetes.io/name=web");
}

#define KEY_REGEX_MSG                                                                              \
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "  \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_REGEX_MSG                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "    \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "             \
    "'my_value',  or '12345', regex used for validation is "                                       \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static void test_parse_bad(void **state)
{
    /* "|" is no operator: "a||y" is one value, and not a valid one */
    expect_sel_error("x=a||y=b", "unable to parse requirement: values[0][x]: Invalid value: "
                                 "\"a||y\": " VALUE_REGEX_MSG);
    expect_sel_error("x==a==b", "found '==', expected: ',' or 'end of string'");
    expect_sel_error("!x=a", "found '=', expected: ',' or 'end of string'");
    expect_sel_error("x=a b", "found 'b', expected: ',' or 'end of string'");
    expect_sel_error("x,,y", "found ',', expected: identifier after ','");
    expect_sel_error(",x,y", "found ',', expected: !, identifier, or 'end of string'");
    expect_sel_error("a in (xyz),", "found '', expected: identifier after ','");
    expect_sel_error("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'");
    expect_sel_error("(", "found '(', expected: !, identifier, or 'end of string'");
    expect_sel_error("x<a",
                     "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', "
                     "'Lt' operators, the value must be an integer");
    expect_sel_error("x>1.5", "unable to parse requirement: values[0]: Invalid value: \"1.5\": for "
                              "'Gt', 'Lt' operators, the value must be an integer");
    expect_sel_error(
        "x nott in (y)",
        "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt");
    expect_sel_error("a b",
                     "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, "
                     "gt, lt");
    expect_sel_error(
        "a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
    expect_sel_error("a in (xyz abc)",
                     "unable to parse requirement: found 'abc', expected: ',' or ')'");
    expect_sel_error("x in (a", "unable to parse requirement: found '', expected: ',' or ')'");
    expect_sel_error("a notin(",
                     "unable to parse requirement: found '', expected: ',', ')' or identifier");
    expect_sel_error("x in (=)",
                     "unable to parse requirement: found '=', expected: ',', ')' or identifier");
    expect_sel_error("x in (,",
                     "unable to parse requirement: found '', expected: ',', or identifier");
    expect_sel_error("x in (a,=)",
                     "unable to parse requirement: found '=', expected: ',', or identifier");
    expect_sel_error("x in a", "unable to parse requirement: found 'a' expected: '('");
    expect_sel_error("x=(a)", "unable to parse requirement: found '(', expected: identifier");
    expect_sel_error("!", "unable to parse requirement: found '', expected: identifier");
    expect_sel_error("!!x", "unable to parse requirement: found '!', expected: identifier");
    /* keys are qualified names, validated against upstream's nil field path */
    expect_sel_error("x@=a",
                     "unable to parse requirement: <nil>: Invalid value: \"x@\": " KEY_REGEX_MSG);
    expect_sel_error("-=a",
                     "unable to parse requirement: <nil>: Invalid value: \"-\": " KEY_REGEX_MSG);
    expect_sel_error("a/b/c",
                     "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a "
                     "qualified name must consist of alphanumeric characters, '-', '_' or "
                     "'.', and must start and end with an alphanumeric character (e.g. "
                     "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
                     "subdomain prefix and '/' (e.g. 'example.com/MyName')");
    {
        char key[80], want[800];
        memset(key, '-', 64);
        key[64] = '\0';
        snprintf(want, sizeof(want),
                 "unable to parse requirement: <nil>: Invalid value: \"%s\": name part must be "
                 "no more than 63 characters; %s",
                 key, KEY_REGEX_MSG);
        expect_sel_error(key, want);
    }
    /* values are label values */
    expect_sel_error(
        "x=a@",
        "unable to parse requirement: values[0][x]: Invalid value: \"a@\": " VALUE_REGEX_MSG);
    expect_sel_error(
        "x in (b@,a@)",
        "unable to parse requirement: [values[0][x]: Invalid value: \"a@\": " VALUE_REGEX_MSG
        ", values[1][x]: Invalid value: \"b@\": " VALUE_REGEX_MSG "]");
    expect_sel_error(
        "x>-1",
        "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " VALUE_REGEX_MSG);
    expect_sel_error("x=\"q\"", "unable to parse requirement: values[0][x]: Invalid value: "
                                "\"\\\"q\\\"\": " VALUE_REGEX_MSG);
    {
        char sel[100], want[300];
        snprintf(sel, sizeof(sel), "x=%064d", 0);
        snprintf(want, sizeof(want),
                 "unable to parse requirement: values[0][x]: Invalid value: \"%064d\": must be no "
                 "more than 63 characters",
                 0);
        expect_sel_error(sel, want);
    }
}

/* --- matching --- */

static bool matches(const char *selector, const char *labels_json)
{
    struct label_selector *sel = parse_ok(selector);
    json_t *labels = labels_json ? tj(labels_json) : NULL;
    bool m = label_selector_matches(sel, labels);
    json_decref(labels);
    label_selector_free(sel);
    return m;
}

#define MATCH(s, l)                                                                                \
    do {                                                                                           \
        if (!matches(s, l))                                                                        \
            fail_msg("'%s' should match %s", s, l ? l : "NULL");                                   \
    } while (0)
#define NO_MATCH(s, l)                                                                             \
    do {                                                                                           \
        if (matches(s, l))                                                                         \
            fail_msg("'%s' should not match %s", s, l ? l : "NULL");                               \
    } while (0)

static void test_matches(void **state)
{
    /* upstream TestSelectorMatches */
    MATCH("", "{\"x\":\"y\"}");
    MATCH("x=y", "{\"x\":\"y\"}");
    MATCH("x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}");
    MATCH("x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}");
    MATCH("notin=in", "{\"notin\":\"in\"}");
    MATCH("x", "{\"x\":\"z\"}");
    MATCH("!x", "{\"y\":\"z\"}");
    MATCH("x>1", "{\"x\":\"2\"}");
    MATCH("x<1", "{\"x\":\"0\"}");
    NO_MATCH("x=z", "{}");
    NO_MATCH("x=y", "{\"x\":\"z\"}");
    NO_MATCH("x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}");
    NO_MATCH("x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}");
    NO_MATCH("x", "{\"y\":\"z\"}");
    NO_MATCH("!x", "{\"x\":\"z\"}");
    NO_MATCH("x>1", "{\"x\":\"0\"}");
    NO_MATCH("x<1", "{\"x\":\"2\"}");
    const char *set = "{\"foo\":\"bar\",\"baz\":\"blah\"}";
    MATCH("foo=bar", set);
    MATCH("baz=blah", set);
    MATCH("foo=bar,baz=blah", set);
    NO_MATCH("foo=blah", set);
    NO_MATCH("baz=bar", set);
    NO_MATCH("foo=bar,foobar=bar,baz=blah", set);

    /* upstream TestRequirementSelectorMatching, in string form */
    MATCH("x in (foo),y notin (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}");
    NO_MATCH("x in (foo),y in (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}");
    MATCH("x notin (),y", "{\"y\":\"\"}");
    MATCH("!x,y", "{\"y\":\"\"}");
    NO_MATCH("x notin (),!y", "{\"y\":\"\"}");
    NO_MATCH("x in ()", "{\"y\":\"baz\"}");
    MATCH("x in ()", "{\"x\":\"\"}");
    MATCH("z>1", "{\"z\":\"2\"}");
    NO_MATCH("z>1", "{\"z\":\"v2\"}");

    /* the empty value, notin on absent keys, integers */
    MATCH("x=", "{\"x\":\"\"}");
    NO_MATCH("x=", "{}");
    MATCH("x!=a", "{}");
    MATCH("x notin (a)", "{}");
    NO_MATCH("x notin (a,b)", "{\"x\":\"b\"}");
    MATCH("x>9223372036854775806", "{\"x\":\"9223372036854775807\"}");
    NO_MATCH("x>1", "{\"x\":\"9223372036854775808\"}"); /* not an int64 */
    NO_MATCH("x>1", "{\"x\":\" 2\"}");
    MATCH("x>1", "{\"x\":\"+2\"}");
    NO_MATCH("x<1", "{}");

    /* no labels at all */
    MATCH("", NULL);
    NO_MATCH("x", NULL);
    MATCH("!x", NULL);
    MATCH("x notin (a)", NULL);
    NO_MATCH("x=a", NULL);
    /* a non-string label value is no label */
    NO_MATCH("x", "{\"x\":1}");
}

static void test_matches_gt_negative(void **state)
{
    /* "x>-5" cannot be written: "-5" fails the label value check before any comparison */
    struct label_selector *sel = NULL;
    assert_int_equal(label_selector_parse("x>-5", &sel, NULL), -EINVAL);
    (void)sel;
}

/* --- label selectors: metav1.LabelSelector --- */

static struct label_selector *from_json_ok(const char *js)
{
    json_t *v = js ? tj(js) : NULL;
    struct label_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    if (label_selector_from_json(v, &sel, &err))
        fail_msg("%s: unexpected error: %s", js, err.buf);
    json_decref(v);
    strbuf_release(&err);
    return sel;
}

static void expect_json_string(const char *js, const char *want)
{
    struct label_selector *sel = from_json_ok(js);
    char *s = label_selector_string(sel);
    if (strcmp(s, want))
        fail_msg("%s: String() = '%s', want '%s'", js, s, want);
    free(s);
    label_selector_free(sel);
}

static void expect_json_error(const char *js, const char *want)
{
    json_t *v = tj(js);
    struct label_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    assert_int_equal(label_selector_from_json(v, &sel, &err), -EINVAL);
    assert_null(sel);
    if (strcmp(err.buf, want))
        fail_msg("%s:\n  got:  %s\n  want: %s", js, err.buf, want);
    strbuf_release(&err);
    json_decref(v);
}

static void test_from_json(void **state)
{
    expect_json_string("{\"matchLabels\":{\"app\":\"web\"}}", "app=web");
    expect_json_string("{\"matchLabels\":{\"b\":\"1\",\"a\":\"2\"},\"matchExpressions\":["
                       "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"front\",\"back\"]},"
                       "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\"]},"
                       "{\"key\":\"x\",\"operator\":\"Exists\"},"
                       "{\"key\":\"y\",\"operator\":\"DoesNotExist\",\"values\":[]}]}",
                       "a=2,b=1,env notin (prod),tier in (back,front),x,!y");
    /* values are sorted for printing but, unlike the string form, not deduplicated */
    expect_json_string("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"In\","
                       "\"values\":[\"b\",\"a\",\"b\"]}]}",
                       "x in (a,b,b)");
    /* same key twice: both kept, in order */
    expect_json_string("{\"matchLabels\":{\"a\":\"x\"},\"matchExpressions\":["
                       "{\"key\":\"a\",\"operator\":\"Exists\"}]}",
                       "a=x,a");
    expect_json_string("{}", "");
    expect_json_string("{\"matchLabels\":null,\"matchExpressions\":null}", "");
    expect_json_string(NULL, "");

    struct label_selector *sel = from_json_ok("{}");
    assert_true(label_selector_is_empty(sel));
    assert_true(label_selector_matches(sel, NULL));
    label_selector_free(sel);

    sel = from_json_ok("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
                       "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"front\"]}]}");
    json_t *l1 = tj("{\"app\":\"web\",\"tier\":\"front\",\"x\":\"y\"}");
    json_t *l2 = tj("{\"app\":\"web\",\"tier\":\"back\"}");
    json_t *l3 = tj("{\"tier\":\"front\"}");
    assert_true(label_selector_matches(sel, l1));
    assert_false(label_selector_matches(sel, l2));
    assert_false(label_selector_matches(sel, l3));
    assert_false(label_selector_matches(sel, NULL));
    json_decref(l1);
    json_decref(l2);
    json_decref(l3);
    label_selector_free(sel);
}

static void test_from_json_errors(void **state)
{
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"Foo\"}]}",
                      "\"Foo\" is not a valid label selector operator");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"in\","
                      "\"values\":[\"a\"]}]}",
                      "\"in\" is not a valid label selector operator");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\"}]}",
                      "\"\" is not a valid label selector operator");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"In\"}]}",
                      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values "
                      "set can't be empty");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"NotIn\","
                      "\"values\":[]}]}",
                      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values "
                      "set can't be empty");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"Exists\","
                      "\"values\":[\"a\",\"b\"]}]}",
                      "values: Invalid value: []string{\"a\", \"b\"}: values set must be empty "
                      "for exists and does not exist");
    expect_json_error("{\"matchExpressions\":[{\"key\":\"a b\",\"operator\":\"Exists\"}]}",
                      "key: Invalid value: \"a b\": " KEY_REGEX_MSG);
    expect_json_error("{\"matchExpressions\":[{\"key\":\"a b\",\"operator\":\"In\"}]}",
                      "[key: Invalid value: \"a b\": " KEY_REGEX_MSG
                      ", values: Invalid value: []string(nil): for 'in', 'notin' operators, "
                      "values set can't be empty]");
    expect_json_error("{\"matchLabels\":{\"app\":\"a b\"}}",
                      "values[0][app]: Invalid value: \"a b\": " VALUE_REGEX_MSG);
    expect_json_error("{\"matchLabels\":{\"-app\":\"web\"}}",
                      "key: Invalid value: \"-app\": " KEY_REGEX_MSG);
    expect_json_error("{\"matchLabels\":{\"app\":1}}", "matchLabels values must be strings");
    expect_json_error("[]", "label selector must be an object");
}

/* --- field selectors --- */

struct fields {
    const char *const *kv; /* field, value, ..., NULL */
};

static const char *get_field(void *ctx, const char *field)
{
    const struct fields *f = ctx;
    for (const char *const *p = f->kv; *p; p += 2)
        if (!strcmp(p[0], field))
            return p[1];
    return NULL;
}

static struct field_selector *fparse_ok(const char *s)
{
    struct field_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    if (field_selector_parse(s, &sel, &err))
        fail_msg("'%s': unexpected error: %s", s, err.buf);
    strbuf_release(&err);
    return sel;
}

static void expect_field_error(const char *s, const char *want)
{
    struct field_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    assert_int_equal(field_selector_parse(s, &sel, &err), -EINVAL);
    assert_null(sel);
    if (strcmp(err.buf, want))
        fail_msg("'%s':\n  got:  %s\n  want: %s", s, err.buf, want);
    strbuf_release(&err);
}

/* The requirements as "field<op>value;..." for compact assertions. */
static char *reqs_str(const struct field_selector *sel)
{
    const struct field_req *r;
    size_t n = field_selector_reqs(sel, &r);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s%s%s%s", i ? ";" : "", r[i].field,
                    r[i].op == FIELD_EQ ? "=" : "!=", r[i].value);
    return strbuf_detach(&sb, NULL);
}

static void expect_reqs(const char *s, const char *want)
{
    struct field_selector *sel = fparse_ok(s);
    char *got = reqs_str(sel);
    if (strcmp(got, want))
        fail_msg("'%s': requirements '%s', want '%s'", s, got, want);
    free(got);
    field_selector_free(sel);
}

static void test_field_parse(void **state)
{
    expect_reqs("", "");
    expect_reqs(NULL, "");
    expect_reqs(",", "");
    expect_reqs("metadata.name=web-0", "metadata.name=web-0");
    expect_reqs("metadata.name==web-0", "metadata.name=web-0");
    expect_reqs("status.phase!=Running", "status.phase!=Running");
    expect_reqs("a=b,c=d", "a=b;c=d");
    expect_reqs("c=d,a=b", "a=b;c=d"); /* terms are sorted */
    expect_reqs("a=b,", "a=b");
    expect_reqs("x=", "x=");
    expect_reqs("=a", "=a");
    expect_reqs("=", ""); /* nothing on either side: dropped */
    expect_reqs("!=", "");
    expect_reqs("a=!b", "a=!b");
    expect_reqs("a!=b!c", "a!=b!c");
    expect_reqs("a b=c d", "a b=c d");
    /* escaping: \, \= and \\ in values */
    expect_reqs("a=b\\,c", "a=b,c");
    expect_reqs("a=b\\=c", "a=b=c");
    expect_reqs("a=b\\\\c", "a=b\\c");
    expect_reqs("a=b\\\\,c=d", "a=b\\;c=d");
    expect_reqs("spec.nodeName=n\\,1,metadata.name=x", "metadata.name=x;spec.nodeName=n,1");
    expect_reqs("a=\xc3\xa9", "a=\xc3\xa9");
}

static void test_field_errors(void **state)
{
    expect_field_error("a", "invalid selector: 'a'; can't understand 'a'");
    expect_field_error("x=a,y", "invalid selector: 'x=a,y'; can't understand 'y'");
    expect_field_error("a=b=c", "invalid field selector: unescaped character in value: 61");
    expect_field_error("a==b,c", "invalid selector: 'a==b,c'; can't understand 'c'");
    expect_field_error("a=b\\,c,d=e=f", "invalid field selector: unescaped character in value: 61");
    expect_field_error("a=b\\c", "invalid field selector: invalid escape sequence: \\c");
    expect_field_error("a=b\\", "invalid field selector: invalid escape sequence: \\");
    expect_field_error("a=b\\\xc3\xa9",
                       "invalid field selector: invalid escape sequence: \\\xc3\xa9");
}

static void test_field_match(void **state)
{
    static const char *const pod[] = {
        "metadata.name", "web-0", "status.phase", "Running", "spec.nodeName", "", NULL};
    struct fields f = {pod};
    static const struct {
        const char *sel;
        bool want;
    } cases[] = {
        {"", true},
        {"metadata.name=web-0", true},
        {"metadata.name==web-0", true},
        {"metadata.name=web-1", false},
        {"metadata.name!=web-1", true},
        {"metadata.name!=web-0", false},
        {"metadata.name=web-0,status.phase=Running", true},
        {"metadata.name=web-0,status.phase!=Running", false},
        {"spec.nodeName=", true},
        {"spec.nodeName!=", false},
        {"metadata.namespace=", true}, /* absent reads as "" */
        {"metadata.namespace=default", false},
        {"metadata.namespace!=default", true},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct field_selector *sel = fparse_ok(cases[i].sel);
        if (field_selector_matches(sel, get_field, &f) != cases[i].want)
            fail_msg("'%s' should %smatch", cases[i].sel, cases[i].want ? "" : "not ");
        field_selector_free(sel);
    }
}

static void test_field_exact(void **state)
{
    struct field_selector *sel = fparse_ok("metadata.name=web-0,status.phase!=Running");
    assert_string_equal(field_selector_exact(sel, "metadata.name"), "web-0");
    assert_null(field_selector_exact(sel, "status.phase"));
    assert_null(field_selector_exact(sel, "spec.nodeName"));
    field_selector_free(sel);

    /* terms sort "a!=x" before "a=y": the != is skipped, the = answers */
    sel = fparse_ok("a=y,a!=x");
    assert_string_equal(field_selector_exact(sel, "a"), "y");
    field_selector_free(sel);

    sel = fparse_ok("metadata.name==a\\,b");
    assert_string_equal(field_selector_exact(sel, "metadata.name"), "a,b");
    field_selector_free(sel);

    sel = fparse_ok("");
    assert_null(field_selector_exact(sel, "metadata.name"));
    field_selector_free(sel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),          cmocka_unit_test(test_parse_set_based),
        cmocka_unit_test(test_parse_bad),           cmocka_unit_test(test_matches),
        cmocka_unit_test(test_matches_gt_negative), cmocka_unit_test(test_from_json),
        cmocka_unit_test(test_from_json_errors),    cmocka_unit_test(test_field_parse),
        cmocka_unit_test(test_field_errors),        cmocka_unit_test(test_field_match),
        cmocka_unit_test(test_field_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
