/* RFC 6902 JSON patch: the RFC's appendix A, the json-patch/json-patch-tests suite
 * (tests.json), kubectl's `patch --type json`, and the API server's status codes. */
#include <errno.h>

#include "test.h"

#include "api/patch.h"
#include "base/alloc.h"

/* JSON with ' for " (the cases below have no apostrophes), parsed or failing the test. */
static json_t *tq(const char *text)
{
    char *s = xstrdup(text);
    json_t *v;

    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    v = tj(s);
    free(s);
    return v;
}

struct jp_case {
    const char *name;
    const char *doc, *patch;
    const char *want; /* NULL: the patch must fail to apply (-EILSEQ, a 422) */
};

static void run_case(const struct jp_case *c)
{
    json_t *d = tq(c->doc), *p = tq(c->patch), *out = (json_t *)0x1;
    char *d0 = json_dump_canonical(d), *p0 = json_dump_canonical(p);
    struct strbuf err = STRBUF_INIT;
    int rc = patch_json(d, p, &out, &err);

    if (c->want) {
        if (rc)
            fail_msg("%s: failed with %d: %s", c->name, rc, err.buf);
        json_t *w = tq(c->want);
        char *a = json_dump_canonical(out), *b = json_dump_canonical(w);
        if (strcmp(a, b))
            fail_msg("%s:\n  got:  %s\n  want: %s", c->name, a, b);
        free(a);
        free(b);
        json_decref(w);
        json_decref(out);
    } else {
        if (rc != -EILSEQ)
            fail_msg("%s: expected -EILSEQ, got %d (%s)", c->name, rc, err.buf);
        if (!err.len)
            fail_msg("%s: failure without a message", c->name);
        assert_ptr_equal(out, (json_t *)0x1);
    }
    /* the inputs are never modified */
    char *d1 = json_dump_canonical(d), *p1 = json_dump_canonical(p);
    if (strcmp(d0, d1) || strcmp(p0, p1))
        fail_msg("%s: an input was modified", c->name);
    free(d0);
    free(d1);
    free(p0);
    free(p1);
    json_decref(d);
    json_decref(p);
    strbuf_release(&err);
}

static void run_cases(const struct jp_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
}

/* RFC 6902 appendix A (A.13, a document with two "op" members, is a parser matter). */
static const struct jp_case rfc6902[] = {
    {"A.1 adding an object member", "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
     "{'baz':'qux','foo':'bar'}"},
    {"A.2 adding an array element", "{'foo':['bar','baz']}",
     "[{'op':'add','path':'/foo/1','value':'qux'}]", "{'foo':['bar','qux','baz']}"},
    {"A.3 removing an object member", "{'baz':'qux','foo':'bar'}",
     "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}"},
    {"A.4 removing an array element", "{'foo':['bar','qux','baz']}",
     "[{'op':'remove','path':'/foo/1'}]", "{'foo':['bar','baz']}"},
    {"A.5 replacing a value", "{'baz':'qux','foo':'bar'}",
     "[{'op':'replace','path':'/baz','value':'boo'}]", "{'baz':'boo','foo':'bar'}"},
    {"A.6 moving a value", "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
     "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
     "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}"},
    {"A.7 moving an array element", "{'foo':['all','grass','cows','eat']}",
     "[{'op':'move','from':'/foo/1','path':'/foo/3'}]", "{'foo':['all','cows','eat','grass']}"},
    {"A.8 testing a value: success", "{'baz':'qux','foo':['a',2,'c']}",
     "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
     "{'baz':'qux','foo':['a',2,'c']}"},
    {"A.9 testing a value: error", "{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]",
     NULL},
    {"A.10 adding a nested member object", "{'foo':'bar'}",
     "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
     "{'foo':'bar','child':{'grandchild':{}}}"},
    {"A.11 ignoring unrecognized elements", "{'foo':'bar'}",
     "[{'op':'add','path':'/baz','value':'qux','xyz':123}]", "{'foo':'bar','baz':'qux'}"},
    {"A.12 adding to a nonexistent target", "{'foo':'bar'}",
     "[{'op':'add','path':'/baz/bat','value':'qux'}]", NULL},
    {"A.14 ~ escape ordering", "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10}]",
     "{'/':9,'~1':10}"},
    {"A.15 comparing strings and numbers", "{'/':9,'~1':10}",
     "[{'op':'test','path':'/~01','value':'10'}]", NULL},
    {"A.16 adding an array value", "{'foo':['bar']}",
     "[{'op':'add','path':'/foo/-','value':['abc','def']}]", "{'foo':['bar',['abc','def']]}"},
};

static void test_rfc6902_appendix(void **state)
{
    run_cases(rfc6902, ARRAY_SIZE(rfc6902));
}

/* json-patch/json-patch-tests tests.json, every case not marked "disabled" there. */
static const struct jp_case suite[] = {
    {"empty list, empty docs", "{}", "[]", "{}"},
    {"empty patch list", "{'foo':1}", "[]", "{'foo':1}"},
    {"rearrangements OK?", "{'foo':1,'bar':2}", "[]", "{'bar':2,'foo':1}"},
    {"rearrangements one level down, array", "[{'foo':1,'bar':2}]", "[]", "[{'bar':2,'foo':1}]"},
    {"rearrangements one level down", "{'foo':{'foo':1,'bar':2}}", "[]",
     "{'foo':{'bar':2,'foo':1}}"},
    {"add replaces any existing field", "{'foo':null}", "[{'op':'add','path':'/foo','value':1}]",
     "{'foo':1}"},
    {"toplevel array", "[]", "[{'op':'add','path':'/0','value':'foo'}]", "['foo']"},
    {"toplevel array, no change", "['foo']", "[]", "['foo']"},
    {"toplevel object, numeric string", "{}", "[{'op':'add','path':'/foo','value':'1'}]",
     "{'foo':'1'}"},
    {"toplevel object, integer", "{}", "[{'op':'add','path':'/foo','value':1}]", "{'foo':1}"},
    {"replace object document with array document?", "{}", "[{'op':'add','path':'','value':[]}]",
     "[]"},
    {"replace array document with object document?", "[]", "[{'op':'add','path':'','value':{}}]",
     "{}"},
    {"append to root array document?", "[]", "[{'op':'add','path':'/-','value':'hi'}]", "['hi']"},
    {"Add, / target", "{}", "[{'op':'add','path':'/','value':1}]", "{'':1}"},
    {"Add, /foo/ deep target (trailing slash)", "{'foo':{}}",
     "[{'op':'add','path':'/foo/','value':1}]", "{'foo':{'':1}}"},
    {"Add composite value at top level", "{'foo':1}", "[{'op':'add','path':'/bar','value':[1,2]}]",
     "{'foo':1,'bar':[1,2]}"},
    {"Add into composite value", "{'foo':1,'baz':[{'qux':'hello'}]}",
     "[{'op':'add','path':'/baz/0/foo','value':'world'}]",
     "{'foo':1,'baz':[{'qux':'hello','foo':'world'}]}"},
    {"Out of bounds (upper)", "{'bar':[1,2]}", "[{'op':'add','path':'/bar/8','value':'5'}]", NULL},
    {"Out of bounds (lower)", "{'bar':[1,2]}", "[{'op':'add','path':'/bar/-1','value':'5'}]", NULL},
    {"add true", "{'foo':1}", "[{'op':'add','path':'/bar','value':true}]", "{'foo':1,'bar':true}"},
    {"add false", "{'foo':1}", "[{'op':'add','path':'/bar','value':false}]",
     "{'foo':1,'bar':false}"},
    {"add null", "{'foo':1}", "[{'op':'add','path':'/bar','value':null}]", "{'foo':1,'bar':null}"},
    {"0 can be an array index or object element name", "{'foo':1}",
     "[{'op':'add','path':'/0','value':'bar'}]", "{'foo':1,'0':'bar'}"},
    {"add at end by index", "['foo']", "[{'op':'add','path':'/1','value':'bar'}]", "['foo','bar']"},
    {"add in the middle", "['foo','sil']", "[{'op':'add','path':'/1','value':'bar'}]",
     "['foo','bar','sil']"},
    {"add at the front", "['foo','sil']", "[{'op':'add','path':'/0','value':'bar'}]",
     "['bar','foo','sil']"},
    {"push item to array via last index + 1", "['foo','sil']",
     "[{'op':'add','path':'/2','value':'bar'}]", "['foo','sil','bar']"},
    {"add item to array at index > length should fail", "['foo','sil']",
     "[{'op':'add','path':'/3','value':'bar'}]", NULL},
    {"test against implementation-specific numeric parsing", "{'1e0':'foo'}",
     "[{'op':'test','path':'/1e0','value':'foo'}]", "{'1e0':'foo'}"},
    {"test with bad number should fail", "['foo','bar']",
     "[{'op':'test','path':'/1e0','value':'bar'}]", NULL},
    {"Object operation on array target", "['foo','sil']", "[{'op':'add','path':'/bar','value':42}]",
     NULL},
    {"value in array add not flattened", "['foo','sil']",
     "[{'op':'add','path':'/1','value':['bar','baz']}]", "['foo',['bar','baz'],'sil']"},
    {"remove member", "{'foo':1,'bar':[1,2,3,4]}", "[{'op':'remove','path':'/bar'}]", "{'foo':1}"},
    {"remove nested member", "{'foo':1,'baz':[{'qux':'hello'}]}",
     "[{'op':'remove','path':'/baz/0/qux'}]", "{'foo':1,'baz':[{}]}"},
    {"replace with array", "{'foo':1,'baz':[{'qux':'hello'}]}",
     "[{'op':'replace','path':'/foo','value':[1,2,3,4]}]",
     "{'foo':[1,2,3,4],'baz':[{'qux':'hello'}]}"},
    {"replace nested", "{'foo':[1,2,3,4],'baz':[{'qux':'hello'}]}",
     "[{'op':'replace','path':'/baz/0/qux','value':'world'}]",
     "{'foo':[1,2,3,4],'baz':[{'qux':'world'}]}"},
    {"replace array element", "['foo']", "[{'op':'replace','path':'/0','value':'bar'}]", "['bar']"},
    {"replace with 0", "['']", "[{'op':'replace','path':'/0','value':0}]", "[0]"},
    {"replace with true", "['']", "[{'op':'replace','path':'/0','value':true}]", "[true]"},
    {"replace with false", "['']", "[{'op':'replace','path':'/0','value':false}]", "[false]"},
    {"replace with null", "['']", "[{'op':'replace','path':'/0','value':null}]", "[null]"},
    {"value in array replace not flattened", "['foo','sil']",
     "[{'op':'replace','path':'/1','value':['bar','baz']}]", "['foo',['bar','baz']]"},
    {"replace whole document", "{'foo':'bar'}",
     "[{'op':'replace','path':'','value':{'baz':'qux'}}]", "{'baz':'qux'}"},
    {"test replace with missing parent key should fail", "{'bar':'baz'}",
     "[{'op':'replace','path':'/foo/bar','value':false}]", NULL},
    {"spurious patch properties", "{'foo':1}",
     "[{'op':'test','path':'/foo','value':1,'spurious':1}]", "{'foo':1}"},
    {"null value should be valid obj property", "{'foo':null}",
     "[{'op':'test','path':'/foo','value':null}]", "{'foo':null}"},
    {"null value should be valid obj property to be replaced with something truthy", "{'foo':null}",
     "[{'op':'replace','path':'/foo','value':'truthy'}]", "{'foo':'truthy'}"},
    {"null value should be valid obj property to be moved", "{'foo':null}",
     "[{'op':'move','from':'/foo','path':'/bar'}]", "{'bar':null}"},
    {"null value should be valid obj property to be copied", "{'foo':null}",
     "[{'op':'copy','from':'/foo','path':'/bar'}]", "{'foo':null,'bar':null}"},
    {"null value should be valid obj property to be removed", "{'foo':null}",
     "[{'op':'remove','path':'/foo'}]", "{}"},
    {"null value should still be valid obj property replace other value", "{'foo':'bar'}",
     "[{'op':'replace','path':'/foo','value':null}]", "{'foo':null}"},
    {"test should pass despite rearrangement", "{'foo':{'foo':1,'bar':2}}",
     "[{'op':'test','path':'/foo','value':{'bar':2,'foo':1}}]", "{'foo':{'foo':1,'bar':2}}"},
    {"test should pass despite (nested) rearrangement", "{'foo':[{'foo':1,'bar':2}]}",
     "[{'op':'test','path':'/foo','value':[{'bar':2,'foo':1}]}]", "{'foo':[{'foo':1,'bar':2}]}"},
    {"test should pass - no error", "{'foo':{'bar':[1,2,5,4]}}",
     "[{'op':'test','path':'/foo','value':{'bar':[1,2,5,4]}}]", "{'foo':{'bar':[1,2,5,4]}}"},
    {"test op should fail", "{'foo':{'bar':[1,2,5,4]}}",
     "[{'op':'test','path':'/foo','value':[1,2]}]", NULL},
    {"Whole document (disabled in the suite; RFC 6901 makes it the root)", "{'foo':1}",
     "[{'op':'test','path':'','value':{'foo':1}}]", "{'foo':1}"},
    {"Empty-string element", "{'':1}", "[{'op':'test','path':'/','value':1}]", "{'':1}"},
    {"Move to same location has no effect", "{'foo':1}",
     "[{'op':'move','from':'/foo','path':'/foo'}]", "{'foo':1}"},
    {"move member", "{'foo':1,'baz':[{'qux':'hello'}]}",
     "[{'op':'move','from':'/foo','path':'/bar'}]", "{'baz':[{'qux':'hello'}],'bar':1}"},
    {"move into array", "{'baz':[{'qux':'hello'}],'bar':1}",
     "[{'op':'move','from':'/baz/0/qux','path':'/baz/1'}]", "{'baz':[{},'hello'],'bar':1}"},
    {"copy", "{'baz':[{'qux':'hello'}],'bar':1}", "[{'op':'copy','from':'/baz/0','path':'/boo'}]",
     "{'baz':[{'qux':'hello'}],'bar':1,'boo':{'qux':'hello'}}"},
    {"replacing the root of the document is possible with add", "{'foo':'bar'}",
     "[{'op':'add','path':'','value':{'baz':'qux'}}]", "{'baz':'qux'}"},
    {"Adding to /- adds to the end of the array", "[1,2]",
     "[{'op':'add','path':'/-','value':{'foo':['bar','baz']}}]", "[1,2,{'foo':['bar','baz']}]"},
    {"Adding to /- adds to the end of the array, even n levels down", "[1,2,[3,[4,5]]]",
     "[{'op':'add','path':'/2/1/-','value':{'foo':['bar','baz']}}]",
     "[1,2,[3,[4,5,{'foo':['bar','baz']}]]]"},
    {"test remove with bad number should fail", "{'foo':1,'baz':[{'qux':'hello'}]}",
     "[{'op':'remove','path':'/baz/1e0/qux'}]", NULL},
    {"test remove on array", "[1,2,3,4]", "[{'op':'remove','path':'/0'}]", "[2,3,4]"},
    {"test repeated removes", "[1,2,3,4]",
     "[{'op':'remove','path':'/1'},{'op':'remove','path':'/2'}]", "[1,3]"},
    {"test remove with bad index should fail", "[1,2,3,4]", "[{'op':'remove','path':'/1e0'}]",
     NULL},
    {"test replace with bad number should fail", "['']",
     "[{'op':'replace','path':'/1e0','value':false}]", NULL},
    {"test copy with bad number should fail", "{'baz':[1,2,3],'bar':1}",
     "[{'op':'copy','from':'/baz/1e0','path':'/boo'}]", NULL},
    {"test move with bad number should fail", "{'foo':1,'baz':[1,2,3,4]}",
     "[{'op':'move','from':'/baz/1e0','path':'/foo'}]", NULL},
    {"test add with bad number should fail", "['foo','sil']",
     "[{'op':'add','path':'/1e0','value':'bar'}]", NULL},
    {"missing 'value' parameter to add", "[1]", "[{'op':'add','path':'/-'}]", NULL},
    {"missing 'value' parameter to replace", "[1]", "[{'op':'replace','path':'/0'}]", NULL},
    {"missing 'value' parameter to test", "[null]", "[{'op':'test','path':'/0'}]", NULL},
    {"missing value parameter to test - where undef is falsy", "[false]",
     "[{'op':'test','path':'/0'}]", NULL},
    {"missing from parameter to copy", "[1]", "[{'op':'copy','path':'/-'}]", NULL},
    {"missing from parameter to move", "{'foo':1}", "[{'op':'move','path':''}]", NULL},
    {"unrecognized op should fail", "{'foo':1}", "[{'op':'spam','path':'/foo','value':1}]", NULL},
    {"test with bad array number that has leading zeros (00)", "['foo','bar']",
     "[{'op':'test','path':'/00','value':'foo'}]", NULL},
    {"test with bad array number that has leading zeros (01)", "['foo','bar']",
     "[{'op':'test','path':'/01','value':'bar'}]", NULL},
    {"Removing nonexistent field", "{'foo':'bar'}", "[{'op':'remove','path':'/baz'}]", NULL},
    {"Removing nonexistent index", "['foo','bar']", "[{'op':'remove','path':'/2'}]", NULL},
    {"Patch with different capitalisation than doc", "{'foo':'bar'}",
     "[{'op':'add','path':'/FOO','value':'BAR'}]", "{'foo':'bar','FOO':'BAR'}"},
};

static void test_json_patch_tests_suite(void **state)
{
    run_cases(suite, ARRAY_SIZE(suite));
}

/* The suite's pointer-escaping case, written with real quotes (it has " and \ in keys). */
static void test_pointer_escapes(void **state)
{
    json_t *d = tj("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                   "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    json_t *p = tj("[{\"op\":\"test\",\"path\":\"/foo\",\"value\":[\"bar\",\"baz\"]},"
                   "{\"op\":\"test\",\"path\":\"/foo/0\",\"value\":\"bar\"},"
                   "{\"op\":\"test\",\"path\":\"/\",\"value\":0},"
                   "{\"op\":\"test\",\"path\":\"/a~1b\",\"value\":1},"
                   "{\"op\":\"test\",\"path\":\"/c%d\",\"value\":2},"
                   "{\"op\":\"test\",\"path\":\"/e^f\",\"value\":3},"
                   "{\"op\":\"test\",\"path\":\"/g|h\",\"value\":4},"
                   "{\"op\":\"test\",\"path\":\"/i\\\\j\",\"value\":5},"
                   "{\"op\":\"test\",\"path\":\"/k\\\"l\",\"value\":6},"
                   "{\"op\":\"test\",\"path\":\"/ \",\"value\":7},"
                   "{\"op\":\"test\",\"path\":\"/m~0n\",\"value\":8}]");
    json_t *out = NULL;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_json(d, p, &out, &err), 0);
    assert_true(json_equal(out, d));
    json_decref(out);
    json_decref(p);

    /* and the same keys written through add/remove */
    p = tj("[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":10},"
           "{\"op\":\"remove\",\"path\":\"/m~0n\"},"
           "{\"op\":\"add\",\"path\":\"/~01\",\"value\":\"tilde-one\"}]");
    assert_int_equal(patch_json(d, p, &out, &err), 0);
    assert_json_eq(jget(out, "a/b"), "10");
    assert_null(jget(out, "m~n"));
    assert_json_eq(jget(out, "~1"), "\"tilde-one\"");
    json_decref(out);
    json_decref(p);
    json_decref(d);
    strbuf_release(&err);
}

/* Cases of our own, most from evanphx/json-patch's tests and RFC 6901/6902 text. */
static const struct jp_case more[] = {
    {"move from the root into itself", "{'foo':'bar'}", "[{'op':'move','path':'/qux','from':''}]",
     NULL},
    {"move into its own child", "{'a':{'b':1}}", "[{'op':'move','from':'/a','path':'/a/b/c'}]",
     NULL},
    {"move to a sibling with a common prefix", "{'a':1,'ab':{}}",
     "[{'op':'move','from':'/a','path':'/ab/x'}]", "{'ab':{'x':1}}"},
    {"move from a missing member", "{'a':1}", "[{'op':'move','from':'/b','path':'/c'}]", NULL},
    {"copy from a missing member", "{'foo':'bar'}", "[{'op':'copy','path':'/qux','from':'/baz'}]",
     NULL},
    {"copy makes an independent value", "{'a':{'b':[1]}}",
     "[{'op':'copy','from':'/a','path':'/c'},{'op':'add','path':'/c/b/-','value':2}]",
     "{'a':{'b':[1]},'c':{'b':[1,2]}}"},
    {"move within an array, backwards", "[1,2,3,4]", "[{'op':'move','from':'/3','path':'/0'}]",
     "[4,1,2,3]"},
    {"replace a missing member fails (RFC 6902 4.3)", "{'a':1}",
     "[{'op':'replace','path':'/b','value':2}]", NULL},
    {"replace one past the end fails", "[1,2]", "[{'op':'replace','path':'/2','value':3}]", NULL},
    {"replace with '-' fails", "[1,2]", "[{'op':'replace','path':'/-','value':3}]", NULL},
    {"remove with '-' fails", "[1,2]", "[{'op':'remove','path':'/-'}]", NULL},
    {"test with '-' fails", "[1,2]", "[{'op':'test','path':'/-','value':2}]", NULL},
    {"remove the whole document fails", "{'a':1}", "[{'op':'remove','path':''}]", NULL},
    {"a path without the leading slash fails", "{'a':1}", "[{'op':'add','path':'a','value':2}]",
     NULL},
    {"a lone ~ in a path fails", "{'a~':1}", "[{'op':'test','path':'/a~','value':1}]", NULL},
    {"~2 in a path fails", "{'a~2':1}", "[{'op':'test','path':'/a~2','value':1}]", NULL},
    {"a test of a missing member fails", "{'a':1}", "[{'op':'test','path':'/b','value':null}]",
     NULL},
    {"numbers compare by value in test", "{'a':1,'b':[2.0]}",
     "[{'op':'test','path':'/a','value':1.0},{'op':'test','path':'/b','value':[2]}]",
     "{'a':1,'b':[2.0]}"},
    {"objects compare by members in test", "{'a':{'x':1}}",
     "[{'op':'test','path':'/a','value':{'x':1,'y':null}}]", NULL},
    {"a huge index fails", "[1]", "[{'op':'add','path':'/99999999999999999999999999','value':0}]",
     NULL},
    {"a negative index fails (upstream's library allows it)", "[1,2]",
     "[{'op':'remove','path':'/-1'}]", NULL},
    {"traversing a scalar fails", "{'a':1}", "[{'op':'add','path':'/a/b','value':2}]", NULL},
    {"an op that is not a string is unknown", "{'a':1}", "[{'op':1,'path':'/a','value':2}]", NULL},
    {"a missing op", "{'a':1}", "[{'path':'/a','value':2}]", NULL},
    {"a missing path", "{'a':1}", "[{'op':'add','value':2}]", NULL},
    {"a path that is not a string", "{'a':1}", "[{'op':'remove','path':1}]", NULL},
    {"a from that is not a string", "{'a':1}", "[{'op':'copy','from':[],'path':'/b'}]", NULL},
    {"a null op object", "{'a':1}", "[null]", NULL},
    {"ops apply in order", "{}",
     "[{'op':'add','path':'/a','value':[]},{'op':'add','path':'/a/-','value':1},"
     "{'op':'add','path':'/a/0','value':0},{'op':'test','path':'/a','value':[0,1]},"
     "{'op':'move','from':'/a/1','path':'/b'},{'op':'copy','from':'/b','path':'/a/-'}]",
     "{'a':[0,1],'b':1}"},
    {"a failing op undoes the earlier ones", "{'a':1}",
     "[{'op':'replace','path':'/a','value':2},{'op':'test','path':'/a','value':3}]", NULL},
    {"a null patch changes nothing", "{'a':1}", "null", "{'a':1}"},
};

static void test_more_cases(void **state)
{
    run_cases(more, ARRAY_SIZE(more));
}

/* What `kubectl patch --type json` sends (KUBECTL.md §9.7). */
static void test_kubectl_flow(void **state)
{
    static const struct jp_case kubectl[] = {
        {"replace replicas",
         "{'kind':'StatefulSet','metadata':{'name':'web'},'spec':{'replicas':3,"
         "'template':{'spec':{'containers':[{'name':'myapp','image':'ikubernetes/myapp:v1'}]}}}}",
         "[{'op':'replace','path':'/spec/replicas','value':2}]",
         "{'kind':'StatefulSet','metadata':{'name':'web'},'spec':{'replicas':2,"
         "'template':{'spec':{'containers':[{'name':'myapp','image':'ikubernetes/myapp:v1'}]}}}}"},
        {"image by index, label with an escaped key",
         "{'metadata':{'labels':{'app':'web'}},'spec':{'template':{'spec':{'containers':"
         "[{'name':'myapp','image':'a:1'}]}}}}",
         "[{'op':'test','path':'/spec/template/spec/containers/0/name','value':'myapp'},"
         "{'op':'replace','path':'/spec/template/spec/containers/0/image','value':'a:2'},"
         "{'op':'add','path':'/metadata/labels/app.kubernetes.io~1name','value':'web'}]",
         "{'metadata':{'labels':{'app':'web','app.kubernetes.io/name':'web'}},'spec':"
         "{'template':{'spec':{'containers':[{'name':'myapp','image':'a:2'}]}}}}"},
        {"remove a finalizer by index", "{'metadata':{'finalizers':['a','b','c']}}",
         "[{'op':'remove','path':'/metadata/finalizers/1'}]",
         "{'metadata':{'finalizers':['a','c']}}"},
    };
    run_cases(kubectl, ARRAY_SIZE(kubectl));
}

static int apply_text(const char *doc, const char *patch, json_t **out, struct strbuf *err)
{
    json_t *d = tq(doc), *p = tq(patch);
    int rc = patch_json(d, p, out, err);
    json_decref(d);
    json_decref(p);
    return rc;
}

/* The handler's codes: a patch that does not decode is 400 (jsonpatch.DecodePatch), too many
 * operations 413, everything found while applying 422 (including an unknown op). */
static void test_status_codes_and_messages(void **state)
{
    struct strbuf err = STRBUF_INIT;
    json_t *out = NULL;

    assert_int_equal(apply_text("{}", "{'op':'add'}", &out, &err), -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal object into Go value of type "
                                 "jsonpatch.Patch");
    strbuf_reset(&err);
    assert_int_equal(apply_text("{}", "'x'", &out, &err), -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal string into Go value of type "
                                 "jsonpatch.Patch");
    strbuf_reset(&err);
    assert_int_equal(apply_text("{}", "[{'op':'test','path':'','value':{}},3]", &out, &err),
                     -EINVAL);
    assert_string_equal(err.buf, "json: cannot unmarshal number into Go value of type "
                                 "jsonpatch.Operation");
    strbuf_reset(&err);

    assert_int_equal(apply_text("{'foo':1}", "[{'op':'spam','path':'/foo'}]", &out, &err), -EILSEQ);
    assert_string_equal(err.buf, "Unexpected kind: spam");
    strbuf_reset(&err);
    assert_int_equal(
        apply_text("{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]", &out, &err),
        -EILSEQ);
    assert_string_equal(err.buf, "testing value /baz failed: test failed");
    strbuf_reset(&err);
    assert_int_equal(
        apply_text("{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':1}]", &out, &err),
        -EILSEQ);
    assert_string_equal(err.buf, "add operation does not apply: doc is missing path: "
                                 "\"/baz/bat\"");
    strbuf_reset(&err);
    assert_int_equal(apply_text("{'foo':'bar'}", "[{'op':'remove','path':'/baz'}]", &out, &err),
                     -EILSEQ);
    assert_string_equal(err.buf, "error in remove for path: '/baz': Unable to remove "
                                 "nonexistent key: baz");
    strbuf_reset(&err);
    assert_int_equal(
        apply_text("{'a':[1,2]}", "[{'op':'add','path':'/a/5','value':1}]", &out, &err), -EILSEQ);
    assert_string_equal(err.buf, "error in add for path: '/a/5': Unable to access invalid "
                                 "index: 5");
    strbuf_reset(&err);

    /* 10000 operations are allowed, one more is not */
    json_t *ops = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(ops, tq("{'op':'test','path':'/a','value':1}"));
    json_t *d = tq("{'a':1}");
    assert_int_equal(patch_json(d, ops, &out, &err), 0);
    json_decref(out);
    json_array_append_new(ops, tq("{'op':'test','path':'/a','value':1}"));
    assert_int_equal(patch_json(d, ops, &out, &err), -E2BIG);
    assert_string_equal(err.buf, "The allowed maximum operations in a JSON patch is 10000, "
                                 "got 10001");
    strbuf_reset(&err);
    json_decref(ops);
    json_decref(d);
    strbuf_release(&err);
}

/* "copy" doubling the document on every operation stops at upstream's 3 MiB. */
static void test_copy_bomb(void **state)
{
    json_t *ops = json_array(), *d, *out = (json_t *)0x1;
    struct strbuf err = STRBUF_INIT;

    /* 2 KiB to start with, then 15 doublings would reach 64 MiB */
    d = json_object();
    json_object_set_new(d, "a", json_string(""));
    char *big = xcalloc(2049, 1);
    memset(big, 'x', 2048);
    json_object_set_new(d, "a", json_pack("[s]", big));
    free(big);
    for (int i = 0; i < 15; i++) {
        json_array_append_new(ops, tq("{'op':'copy','from':'/a','path':'/b'}"));
        json_array_append_new(ops, tq("{'op':'add','path':'/a/-','value':null}"));
        json_array_append_new(ops, tq("{'op':'move','from':'/b','path':'/a/-'}"));
    }
    assert_int_equal(patch_json(d, ops, &out, &err), -EILSEQ);
    assert_non_null(strstr(err.buf, "Unable to complete the copy, the accumulated size increase "
                                    "of copy is "));
    assert_non_null(strstr(err.buf, "exceeding the limit 3145728"));
    assert_ptr_equal(out, (json_t *)0x1);
    json_decref(ops);
    json_decref(d);
    strbuf_release(&err);
}

/* The result is a fresh tree: changing it leaves document and patch alone. */
static void test_result_is_a_copy(void **state)
{
    json_t *d = tq("{'a':{'b':[1]},'c':{'d':1}}");
    json_t *p = tq("[{'op':'add','path':'/e','value':{'f':[1]}}]");
    json_t *out = NULL;
    struct strbuf err = STRBUF_INIT;

    assert_int_equal(patch_json(d, p, &out, &err), 0);
    json_array_append_new(jpath(out, "a.b"), json_integer(2));
    json_array_append_new(jpath(out, "e.f"), json_integer(2));
    json_object_set_new(jget(out, "c"), "d", json_integer(2));
    assert_json_eq(d, "{\"a\":{\"b\":[1]},\"c\":{\"d\":1}}");
    assert_json_eq(p, "[{\"op\":\"add\",\"path\":\"/e\",\"value\":{\"f\":[1]}}]");
    json_decref(out);
    json_decref(d);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6902_appendix), cmocka_unit_test(test_json_patch_tests_suite),
        cmocka_unit_test(test_pointer_escapes),  cmocka_unit_test(test_more_cases),
        cmocka_unit_test(test_kubectl_flow),     cmocka_unit_test(test_status_codes_and_messages),
        cmocka_unit_test(test_copy_bomb),        cmocka_unit_test(test_result_is_a_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
