/* The event recorder over the fake API: names, counting by PATCH, aggregation of similar
 * events, the per-object spam filter, flush. */
#include "test.h"

#include <errno.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"
#include "client/recorder.h"

static json_t *pod(void)
{
    return tj("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-0\","
              "\"namespace\":\"ns\",\"uid\":\"u-1\",\"resourceVersion\":\"42\"}}");
}

static json_t *events(struct kclient *c)
{
    return kfake_list(c, RES_EVENTS, NULL);
}

static bool name_ok(const char *name, const char *obj)
{
    size_t n = strlen(obj);
    if (strncmp(name, obj, n) || name[n] != '.' || strlen(name + n + 1) != 16)
        return false;
    for (const char *p = name + n + 1; *p; p++)
        if (!strchr("0123456789abcdef", *p))
            return false;
    return true;
}

static void test_first_event(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "statefulset-controller", "");
    json_t *p = pod();
    time_t before = ktime_now();
    recorder_eventf(r, p, "Normal", "SuccessfulCreate",
                    "create Pod %s in StatefulSet %s successful", "web-0", "web");
    recorder_flush(r);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_array_get(evs, 0);
    assert_true(name_ok(jpath_str(ev, "metadata.name"), "web-0"));
    assert_string_equal(jpath_str(ev, "metadata.namespace"), "ns");
    assert_json_eq(jget(ev, "involvedObject"),
                   "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"web-0\",\"uid\":\"u-1\","
                   "\"apiVersion\":\"v1\",\"resourceVersion\":\"42\"}");
    assert_string_equal(jget_str(ev, "reason"), "SuccessfulCreate");
    assert_string_equal(jget_str(ev, "message"), "create Pod web-0 in StatefulSet web successful");
    assert_string_equal(jget_str(ev, "type"), "Normal");
    assert_json_eq(jget(ev, "source"), "{\"component\":\"statefulset-controller\"}");
    assert_string_equal(jget_str(ev, "reportingComponent"), "statefulset-controller");
    assert_int_equal(jget_int(ev, "count", 0), 1);
    time_t t;
    assert_int_equal(ktime_parse(jget_str(ev, "firstTimestamp"), &t, NULL), 0);
    assert_true(t >= before && t <= ktime_now());
    assert_string_equal(jget_str(ev, "firstTimestamp"), jget_str(ev, "lastTimestamp"));
    /* the name's hex is the recording time in nanoseconds */
    unsigned long long ns = strtoull(strchr(jpath_str(ev, "metadata.name"), '.') + 1, NULL, 16);
    assert_true(ns / 1000000000ULL >= (unsigned long long)before);
    assert_true(ns / 1000000000ULL <= (unsigned long long)ktime_now());
    json_decref(evs);
    json_decref(p);
    recorder_free(r);
    kclient_free(c);
}

static void test_repeats_patch_count(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "kubelet", "node-1");
    json_t *p = pod();
    for (int i = 0; i < 3; i++)
        recorder_eventf(r, p, "Warning", "BackOff", "Back-off restarting failed container");
    recorder_flush(r);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_array_get(evs, 0);
    assert_int_equal(jget_int(ev, "count", 0), 3);
    assert_json_eq(jget(ev, "source"), "{\"component\":\"kubelet\",\"host\":\"node-1\"}");
    /* created once, then counted by PATCH */
    assert_int_equal(kfake_calls(c, "create", RES_EVENTS), 1);
    assert_int_equal(kfake_calls(c, "patch", RES_EVENTS), 2);
    json_decref(evs);

    /* a different message, type or object is another Event */
    recorder_eventf(r, p, "Warning", "BackOff", "something else");
    recorder_eventf(r, p, "Normal", "BackOff", "Back-off restarting failed container");
    json_t *other = tj("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-1\","
                       "\"namespace\":\"ns\",\"uid\":\"u-2\"}}");
    recorder_eventf(r, other, "Warning", "BackOff", "Back-off restarting failed container");
    recorder_flush(r);
    evs = events(c);
    assert_int_equal(json_array_size(evs), 4);
    json_decref(evs);

    /* the Event went away meanwhile (TTL): the next repeat creates it again */
    evs = events(c);
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        if (!strcmp(jget_str(e, "message"), "Back-off restarting failed container") &&
            !strcmp(jget_str(e, "type"), "Warning") &&
            !strcmp(jpath_str(e, "involvedObject.name"), "web-0"))
            assert_int_equal(kfake_remove(c, RES_EVENTS, "ns", jpath_str(e, "metadata.name")), 0);
    }
    json_decref(evs);
    recorder_eventf(r, p, "Warning", "BackOff", "Back-off restarting failed container");
    recorder_flush(r);
    evs = events(c);
    assert_int_equal(json_array_size(evs), 4);
    json_array_foreach(evs, i, e)
    {
        if (!strcmp(jget_str(e, "message"), "Back-off restarting failed container") &&
            !strcmp(jget_str(e, "type"), "Warning") &&
            !strcmp(jpath_str(e, "involvedObject.name"), "web-0"))
            assert_int_equal(jget_int(e, "count", 0), 4);
    }
    json_decref(evs);
    json_decref(other);
    json_decref(p);
    recorder_free(r);
    kclient_free(c);
}

/* Thirty identical events about one object: the bucket (burst 25) lets 25 through. */
static void test_spam_filter(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "ctrl", "");
    json_t *p = pod();
    for (int i = 0; i < 30; i++)
        recorder_eventf(r, p, "Warning", "Failed", "same");
    recorder_flush(r);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 1);
    assert_int_equal(jget_int(json_array_get(evs, 0), "count", 0), 25);
    assert_int_equal(kfake_calls(c, "create", RES_EVENTS) + kfake_calls(c, "patch", RES_EVENTS),
                     25);
    json_decref(evs);
    /* the budget is per object: another pod still gets its events */
    json_t *other = tj("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-1\","
                       "\"namespace\":\"ns\",\"uid\":\"u-2\"}}");
    recorder_eventf(r, other, "Warning", "Failed", "same");
    recorder_flush(r);
    evs = events(c);
    assert_int_equal(json_array_size(evs), 2);
    json_decref(evs);
    json_decref(other);
    json_decref(p);
    recorder_free(r);
    kclient_free(c);
}

/* Thirty events with the same reason and different messages: nine on their own, then one
 * combined Event counted up until the spam filter stops the flood at 25 writes. */
static void test_similar_events_aggregate(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "ctrl", "");
    json_t *p = pod();
    for (int i = 0; i < 30; i++)
        recorder_eventf(r, p, "Warning", "FailedCreate", "attempt %d failed", i);
    recorder_flush(r);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 10);
    int combined = 0;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        const char *m = jget_str(e, "message");
        if (!strncmp(m, "(combined from similar events): ", 32)) {
            combined++;
            assert_string_equal(m, "(combined from similar events): attempt 24 failed");
            assert_int_equal(jget_int(e, "count", 0), 16);
            assert_true(name_ok(jpath_str(e, "metadata.name"), "web-0"));
        } else {
            assert_int_equal(jget_int(e, "count", 0), 1);
        }
    }
    assert_int_equal(combined, 1);
    assert_int_equal(kfake_calls(c, "create", RES_EVENTS), 10);
    assert_int_equal(kfake_calls(c, "patch", RES_EVENTS), 15);
    json_decref(evs);
    json_decref(p);
    recorder_free(r);
    kclient_free(c);
}

static void test_cluster_scoped_object(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "node-controller", "");
    json_t *n = tj("{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\","
                   "\"uid\":\"u-n\"}}");
    recorder_eventf(r, n, "Normal", "NodeNotReady", "Node n1 status is now: NodeNotReady");
    recorder_flush(r);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_array_get(evs, 0);
    assert_string_equal(jpath_str(ev, "metadata.namespace"), "default");
    assert_null(jpath(ev, "involvedObject.namespace"));
    assert_string_equal(jpath_str(ev, "involvedObject.kind"), "Node");
    json_decref(evs);
    json_decref(n);
    recorder_free(r);
    kclient_free(c);
}

static void test_never_blocks_and_gives_up(void **state)
{
    struct kclient *c = kfake_new();
    struct recorder *r = recorder_new(c, "ctrl", "");
    json_t *p = pod();
    /* The API refuses: recording returns at once, the write is retried, then dropped. */
    kfake_fail_after(c, "create", RES_EVENTS, 0, -EAGAIN);
    int64_t t0 = ktime_mono_ms();
    for (int i = 0; i < 5; i++)
        recorder_eventf(r, p, "Warning", "R", "m%d", i);
    assert_true(ktime_mono_ms() - t0 < 100);
    recorder_flush(r);
    assert_int_equal(kfake_calls(c, "create", RES_EVENTS), 5 * 3);
    json_t *evs = events(c);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    /* a permanent error is not retried */
    kfake_clear_failures(c);
    kfake_fail_after(c, "create", RES_EVENTS, 0, -EINVAL);
    recorder_eventf(r, p, "Warning", "R", "invalid");
    recorder_flush(r);
    assert_int_equal(kfake_calls(c, "create", RES_EVENTS), 5 * 3 + 1);
    kfake_clear_failures(c);
    /* and it works again afterwards */
    recorder_eventf(r, p, "Normal", "R", "fine");
    recorder_free(r); /* free flushes first */
    evs = events(c);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    json_decref(p);
    recorder_free(NULL);
    kclient_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_event),
        cmocka_unit_test(test_repeats_patch_count),
        cmocka_unit_test(test_spam_filter),
        cmocka_unit_test(test_similar_events_aggregate),
        cmocka_unit_test(test_cluster_scoped_object),
        cmocka_unit_test(test_never_blocks_and_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
