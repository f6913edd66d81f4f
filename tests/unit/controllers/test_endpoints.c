/* test_endpoints.c — the Endpoints and EndpointSlice controllers over the fake API: which pods
 * become ready and not-ready addresses, hostnames for a headless Service's subdomain, named
 * ports resolved per pod, publishNotReadyAddresses, labels, annotations, owner references, the
 * slice reconciler's packing and placeholder, and no writes when nothing changed.
 */
#include "test.h"

#include <errno.h>

#include "base/alloc.h"
#include "base/ktime.h"
#include "client/fake.h"
#include "controllers/endpoints/endpoints.h"

struct h {
    struct kclient *c;
    struct informer_factory *f;
    struct epc *ep, *es;
};

static void h_start(struct h *h)
{
    h->c = kfake_new();
    h->f = informer_factory_new(h->c);
    h->ep = ep__new("endpoints", h->c, h->f, RES_ENDPOINTS, "endpoint-controller");
    h->es = ep__new("endpointslice", h->c, h->f, RES_ENDPOINTSLICES, "endpoint-slice-controller");
    informer_factory_start(h->f);
    assert_true(informer_factory_wait_synced(h->f, 5000));
}

static void h_stop(struct h *h)
{
    informer_factory_stop(h->f);
    ep__free(h->ep);
    ep__free(h->es);
    informer_factory_free(h->f);
    kclient_free(h->c);
}

static void putf(struct h *h, enum res_id r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void putf(struct h *h, enum res_id r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    json_t *o = tj(s);
    assert_int_equal(kfake_put(h->c, r, o), 0);
    json_decref(o);
    free(s);
}

static void sync_both(struct h *h, const char *key)
{
    kfake_flush(h->c);
    assert_int_equal(ep__sync_endpoints(h->ep, key), 0);
    kfake_flush(h->c);
    assert_int_equal(ep__sync_slices(h->es, key), 0);
    kfake_flush(h->c);
}

static void node(struct h *h, const char *name, const char *zone)
{
    putf(h, RES_NODES, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s%s%s}}}", name,
         zone ? "\"topology.kubernetes.io/zone\":\"" : "", zone ? zone : "", zone ? "\"" : "");
}

/* A pod with labels app=web, an IP (NULL: none), Ready or not, and extra metadata/spec/status
 * fields (JSON text fragments starting with a comma, or ""). */
static void pod(struct h *h, const char *name, const char *ip, bool ready, const char *meta,
                const char *spec, const char *status)
{
    char *ips =
        ip ? xasprintf(",\"podIP\":\"%s\",\"podIPs\":[{\"ip\":\"%s\"}]", ip, ip) : xstrdup("");
    putf(h, RES_PODS,
         "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\",\"uid\":\"uid-%s\",\"labels\":{"
         "\"app\":\"web\"}%s},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\","
         "\"image\":\"i\",\"ports\":[{\"name\":\"web\",\"containerPort\":8080,\"protocol\":"
         "\"TCP\"}]}]%s},\"status\":{\"phase\":\"Running\"%s,\"conditions\":[{\"type\":\"Ready\","
         "\"status\":\"%s\",\"lastTransitionTime\":\"2026-01-01T00:00:%02dZ\"}]%s}}",
         name, name, meta ? meta : "", spec ? spec : "", ips, ready ? "True" : "False",
         (int)(strlen(name) % 60), status ? status : "");
    free(ips);
}

static json_t *get_ep(struct h *h, const char *name)
{
    return kfake_get(h->c, RES_ENDPOINTS, "ns", name);
}

static void test_headless_endpoints(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", "zone-a");
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"uid\":\"svc-uid\","
         "\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"labels\":{\"team\":\"a\"}},"
         "\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"web\"},\"ipFamilies\":"
         "[\"IPv4\"],\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\","
         "\"protocol\":\"TCP\"}]}}");
    /* web-0 ready with the Service's subdomain, web-1 not ready, no IP yet, terminal,
     * terminating, and one outside the selector */
    pod(&h, "web-0", "10.42.0.10", true, NULL, ",\"hostname\":\"web-0\",\"subdomain\":\"web\"",
        NULL);
    pod(&h, "web-1", "10.42.0.9", false, NULL, ",\"hostname\":\"web-1\",\"subdomain\":\"web\"",
        NULL);
    pod(&h, "noip", NULL, false, NULL, NULL, NULL);
    pod(&h, "done", "10.42.0.20", false, NULL, NULL, ",\"reason\":\"x\"");
    json_t *d = kfake_get(h.c, RES_PODS, "ns", "done");
    jset_str(jget(d, "status"), "phase", "Succeeded");
    kfake_put(h.c, RES_PODS, d);
    json_decref(d);
    pod(&h, "leaving", "10.42.0.30", true, ",\"deletionTimestamp\":\"2026-01-01T00:01:00Z\"", NULL,
        NULL);
    putf(&h, RES_PODS,
         "{\"metadata\":{\"name\":\"stranger\",\"namespace\":\"ns\",\"labels\":{\"app\":"
         "\"db\"}},\"spec\":{\"nodeName\":\"n1\",\"containers\":[]},\"status\":{\"podIP\":"
         "\"10.42.0.99\",\"podIPs\":[{\"ip\":\"10.42.0.99\"}]}}");

    sync_both(&h, "ns/web");
    json_t *ep = get_ep(&h, "web");
    assert_non_null(ep);
    assert_json_eq(jget(ep, "subsets"),
                   "[{\"addresses\":[{\"ip\":\"10.42.0.10\",\"hostname\":\"web-0\",\"nodeName\":"
                   "\"n1\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":"
                   "\"web-0\",\"uid\":\"uid-web-0\"}}],\"notReadyAddresses\":[{\"ip\":"
                   "\"10.42.0.9\",\"hostname\":\"web-1\",\"nodeName\":\"n1\",\"targetRef\":{"
                   "\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"web-1\",\"uid\":"
                   "\"uid-web-1\"}}],\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":"
                   "\"TCP\"}]}]");
    assert_json_eq(jpath(ep, "metadata.labels"),
                   "{\"team\":\"a\",\"service.kubernetes.io/headless\":\"\","
                   "\"endpoints.kubernetes.io/managed-by\":\"endpoint-controller\"}");
    /* a new Service: the trigger time is its creation */
    assert_string_equal(jget_str(jpath(ep, "metadata.annotations"),
                                 "endpoints.kubernetes.io/last-change-trigger-time"),
                        "2026-01-01T00:00:00Z");
    assert_null(jpath(ep, "metadata.ownerReferences"));
    json_decref(ep);

    /* slices: ready / serving / terminating, hostname, zone, owner, labels */
    json_t *all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 1);
    json_t *s = json_array_get(all, 0);
    assert_string_equal(jget_str(s, "addressType"), "IPv4");
    assert_non_null(strstr(jpath_str(s, "metadata.name"), "web-"));
    assert_json_eq(jpath(s, "metadata.labels"),
                   "{\"team\":\"a\",\"service.kubernetes.io/headless\":\"\","
                   "\"kubernetes.io/service-name\":\"web\","
                   "\"endpointslice.kubernetes.io/managed-by\":"
                   "\"endpointslice-controller.k8s.io\"}");
    assert_json_eq(jpath(s, "metadata.ownerReferences"),
                   "[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"name\":\"web\",\"uid\":"
                   "\"svc-uid\",\"controller\":true,\"blockOwnerDeletion\":true}]");
    assert_json_eq(jget(s, "ports"), "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]");
    assert_json_eq(jget(s, "endpoints"),
                   "[{\"addresses\":[\"10.42.0.30\"],\"conditions\":{\"ready\":false,"
                   "\"serving\":true,\"terminating\":true},\"nodeName\":\"n1\",\"zone\":"
                   "\"zone-a\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":"
                   "\"leaving\",\"uid\":\"uid-leaving\"}},"
                   "{\"addresses\":[\"10.42.0.10\"],\"conditions\":{\"ready\":true,\"serving\":"
                   "true,\"terminating\":false},\"hostname\":\"web-0\",\"nodeName\":\"n1\","
                   "\"zone\":\"zone-a\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\","
                   "\"name\":\"web-0\",\"uid\":\"uid-web-0\"}},"
                   "{\"addresses\":[\"10.42.0.9\"],\"conditions\":{\"ready\":false,\"serving\":"
                   "false,\"terminating\":false},\"hostname\":\"web-1\",\"nodeName\":\"n1\","
                   "\"zone\":\"zone-a\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\","
                   "\"name\":\"web-1\",\"uid\":\"uid-web-1\"}}]");
    assert_string_equal(jget_str(jpath(s, "metadata.annotations"),
                                 "endpoints.kubernetes.io/last-change-trigger-time"),
                        "2026-01-01T00:00:00Z");
    json_decref(all);

    /* nothing changed: no write from either controller */
    int w = kfake_calls(h.c, NULL, RES_ENDPOINTS) - kfake_calls(h.c, "get", RES_ENDPOINTS) -
            kfake_calls(h.c, "list", RES_ENDPOINTS) - kfake_calls(h.c, "watch", RES_ENDPOINTS);
    int ws = kfake_calls(h.c, "create", RES_ENDPOINTSLICES) +
             kfake_calls(h.c, "update", RES_ENDPOINTSLICES) +
             kfake_calls(h.c, "delete", RES_ENDPOINTSLICES);
    sync_both(&h, "ns/web");
    assert_int_equal(
        kfake_calls(h.c, NULL, RES_ENDPOINTS) - kfake_calls(h.c, "get", RES_ENDPOINTS) -
            kfake_calls(h.c, "list", RES_ENDPOINTS) - kfake_calls(h.c, "watch", RES_ENDPOINTS),
        w);
    assert_int_equal(kfake_calls(h.c, "create", RES_ENDPOINTSLICES) +
                         kfake_calls(h.c, "update", RES_ENDPOINTSLICES) +
                         kfake_calls(h.c, "delete", RES_ENDPOINTSLICES),
                     ws);

    /* web-1 turns ready: it moves to addresses, the trigger time is its transition */
    pod(&h, "web-1", "10.42.0.9", true, NULL, ",\"hostname\":\"web-1\",\"subdomain\":\"web\"",
        NULL);
    json_t *p = kfake_get(h.c, RES_PODS, "ns", "web-1");
    json_t *c0 = json_array_get(jpath(p, "status.conditions"), 0);
    jset_str(c0, "lastTransitionTime", "2026-01-01T00:05:00Z");
    kfake_put(h.c, RES_PODS, p);
    json_decref(p);
    sync_both(&h, "ns/web");
    ep = get_ep(&h, "web");
    json_t *addrs = jpath(json_array_get(jget(ep, "subsets"), 0), "addresses");
    assert_int_equal(json_array_size(addrs), 2);
    /* upstream's order: by IP as a string */
    assert_string_equal(jget_str(json_array_get(addrs, 0), "ip"), "10.42.0.10");
    assert_string_equal(jget_str(json_array_get(addrs, 1), "ip"), "10.42.0.9");
    assert_null(jpath(json_array_get(jget(ep, "subsets"), 0), "notReadyAddresses"));
    assert_string_equal(jget_str(jpath(ep, "metadata.annotations"),
                                 "endpoints.kubernetes.io/last-change-trigger-time"),
                        "2026-01-01T00:05:00Z");
    json_decref(ep);
    h_stop(&h);
}

static void test_named_ports_and_publish(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", NULL);
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"api\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"10.43.0.5\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"},"
         "\"publishNotReadyAddresses\":true,\"ports\":[{\"name\":\"http\",\"port\":80,"
         "\"targetPort\":\"web\",\"protocol\":\"TCP\"},{\"name\":\"metrics\",\"port\":9090,"
         "\"targetPort\":9090,\"protocol\":\"TCP\"}]}}");
    pod(&h, "a", "10.42.0.1", true, NULL, NULL, NULL);
    pod(&h, "b", "10.42.0.2", false, NULL, NULL, NULL);
    /* c names its port differently: only the numeric target applies to it */
    putf(&h, RES_PODS,
         "{\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\",\"uid\":\"uid-c\",\"labels\":{"
         "\"app\":\"web\"},\"deletionTimestamp\":\"2026-01-01T00:01:00Z\"},\"spec\":{"
         "\"nodeName\":\"n1\",\"hostname\":\"c\",\"subdomain\":\"other\",\"containers\":[{"
         "\"name\":\"c\",\"image\":\"i\",\"ports\":[{\"name\":\"www\",\"containerPort\":81}]}]},"
         "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.3\",\"podIPs\":[{\"ip\":"
         "\"10.42.0.3\"}]}}");
    sync_both(&h, "ns/api");

    json_t *ep = get_ep(&h, "api");
    /* publishNotReadyAddresses: every address is ready, terminating ones included; no
     * hostname for a pod of another subdomain; not headless. As RepackSubsets: metrics is
     * offered by a, b and c, http by a and b only, so they are two subsets. */
    assert_json_eq(jget(ep, "subsets"),
                   "[{\"addresses\":[{\"ip\":\"10.42.0.1\",\"nodeName\":\"n1\",\"targetRef\":{"
                   "\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"uid-a\"}},"
                   "{\"ip\":\"10.42.0.2\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\","
                   "\"namespace\":\"ns\",\"name\":\"b\",\"uid\":\"uid-b\"}},"
                   "{\"ip\":\"10.42.0.3\",\"nodeName\":\"n1\",\"targetRef\":{"
                   "\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"c\",\"uid\":\"uid-c\"}}],"
                   "\"ports\":[{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\"}]},"
                   "{\"addresses\":[{\"ip\":\"10.42.0.1\",\"nodeName\":\"n1\",\"targetRef\":{"
                   "\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"uid-a\"}},"
                   "{\"ip\":\"10.42.0.2\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\","
                   "\"namespace\":\"ns\",\"name\":\"b\",\"uid\":\"uid-b\"}}],\"ports\":[{"
                   "\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}]");
    assert_json_eq(jpath(ep, "metadata.labels"),
                   "{\"endpoints.kubernetes.io/managed-by\":\"endpoint-controller\"}");
    json_decref(ep);

    /* slices: one per port set; ready even when not ready (publishNotReadyAddresses) */
    json_t *all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 2);
    size_t i;
    json_t *s;
    json_array_foreach (all, i, s) {
        size_t nports = json_array_size(jget(s, "ports"));
        size_t neps = json_array_size(jget(s, "endpoints"));
        assert_true((nports == 2 && neps == 2) || (nports == 1 && neps == 1));
        json_t *e;
        size_t j;
        json_array_foreach (jget(s, "endpoints"), j, e)
            assert_true(json_is_true(jpath(e, "conditions.ready")));
        assert_null(jget(jpath(s, "metadata.labels"), "service.kubernetes.io/headless"));
    }
    json_decref(all);
    h_stop(&h);
}

static void test_headless_without_ports_and_unselected(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", NULL);
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"bare\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"None\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"}}}");
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"manual\",\"namespace\":\"ns\",\"uid\":\"u2\"},\"spec\":{"
         "\"clusterIP\":\"10.43.0.9\",\"ports\":[{\"port\":80}]}}");
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"ns\",\"uid\":\"u3\"},\"spec\":{"
         "\"type\":\"ExternalName\",\"externalName\":\"example.com\",\"selector\":{\"app\":"
         "\"web\"}}}");
    pod(&h, "a", "10.42.0.1", true, NULL, NULL, NULL);
    sync_both(&h, "ns/bare");
    sync_both(&h, "ns/manual");
    sync_both(&h, "ns/ext");
    json_t *ep = get_ep(&h, "bare");
    assert_json_eq(jget(ep, "subsets"),
                   "[{\"addresses\":[{\"ip\":\"10.42.0.1\",\"nodeName\":\"n1\",\"targetRef\":{"
                   "\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"uid-a\"}}]}]");
    json_decref(ep);
    /* no selector, or ExternalName: not ours to write */
    assert_null(get_ep(&h, "manual"));
    assert_null(get_ep(&h, "ext"));
    json_t *all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 1);
    assert_json_eq(jget(json_array_get(all, 0), "ports"), "[]");
    json_decref(all);

    /* the Service goes: its Endpoints go; an Endpoints we do not manage stays */
    putf(&h, RES_ENDPOINTS, "{\"metadata\":{\"name\":\"handmade\",\"namespace\":\"ns\"}}");
    kfake_remove(h.c, RES_SERVICES, "ns", "bare");
    sync_both(&h, "ns/bare");
    sync_both(&h, "ns/handmade");
    assert_null(get_ep(&h, "bare"));
    ep = get_ep(&h, "handmade");
    assert_non_null(ep);
    json_decref(ep);
    h_stop(&h);
}

static void test_placeholder_and_packing(void **state)
{
    struct h h;
    char name[32], ip[32];

    h_start(&h);
    node(&h, "n1", NULL);
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"big\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"10.43.0.7\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"},"
         "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}");
    /* no pod: one placeholder slice, and it stays */
    sync_both(&h, "ns/big");
    json_t *all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 1);
    assert_int_equal(json_array_size(jget(json_array_get(all, 0), "endpoints")), 0);
    assert_json_eq(jget(json_array_get(all, 0), "ports"), "[]");
    char *placeholder = xstrdup(jpath_str(json_array_get(all, 0), "metadata.name"));
    json_decref(all);
    int creates = kfake_calls(h.c, "create", RES_ENDPOINTSLICES);
    sync_both(&h, "ns/big");
    assert_int_equal(kfake_calls(h.c, "create", RES_ENDPOINTSLICES), creates);

    /* 250 pods: 100 + 100 + 50, and the placeholder is reused rather than deleted */
    for (int i = 0; i < 250; i++) {
        snprintf(name, sizeof(name), "p%03d", i);
        snprintf(ip, sizeof(ip), "10.42.%d.%d", i / 200, i % 200 + 1);
        pod(&h, name, ip, true, NULL, NULL, NULL);
    }
    sync_both(&h, "ns/big");
    all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 3);
    size_t i, total = 0;
    json_t *s;
    bool reused = false;
    json_array_foreach (all, i, s) {
        size_t n = json_array_size(jget(s, "endpoints"));
        assert_true(n == 100 || n == 50);
        total += n;
        if (!strcmp(jpath_str(s, "metadata.name"), placeholder))
            reused = true;
    }
    assert_int_equal(total, 250);
    assert_true(reused);
    assert_int_equal(kfake_calls(h.c, "delete", RES_ENDPOINTSLICES), 0);
    json_decref(all);
    free(placeholder);
    /* the Endpoints object holds all 250 */
    json_t *ep = get_ep(&h, "big");
    assert_int_equal(json_array_size(jpath(json_array_get(jget(ep, "subsets"), 0), "addresses")),
                     250);
    json_decref(ep);

    /* one pod turns not ready: exactly one slice is rewritten */
    int updates = kfake_calls(h.c, "update", RES_ENDPOINTSLICES);
    creates = kfake_calls(h.c, "create", RES_ENDPOINTSLICES);
    pod(&h, "p007", "10.42.0.8", false, NULL, NULL, NULL);
    sync_both(&h, "ns/big");
    assert_int_equal(kfake_calls(h.c, "update", RES_ENDPOINTSLICES), updates + 1);
    assert_int_equal(kfake_calls(h.c, "create", RES_ENDPOINTSLICES), creates);

    /* a pod goes away: its slice is updated in place */
    kfake_remove(h.c, RES_PODS, "ns", "p100");
    sync_both(&h, "ns/big");
    assert_int_equal(kfake_calls(h.c, "update", RES_ENDPOINTSLICES), updates + 2);
    all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    total = 0;
    json_array_foreach (all, i, s)
        total += json_array_size(jget(s, "endpoints"));
    assert_int_equal(total, 249);
    json_decref(all);

    /* the target port changes: new port set, the slices are rewritten, not duplicated */
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"big\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"10.43.0.7\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"},"
         "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":9000,\"protocol\":\"TCP\"}]}}");
    sync_both(&h, "ns/big");
    all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 3);
    total = 0;
    json_array_foreach (all, i, s) {
        assert_int_equal(jpath_int(json_array_get(jget(s, "ports"), 0), "port", 0), 9000);
        total += json_array_size(jget(s, "endpoints"));
    }
    assert_int_equal(total, 249);
    json_decref(all);

    /* every pod gone: back to a single placeholder */
    for (int k = 0; k < 250; k++) {
        snprintf(name, sizeof(name), "p%03d", k);
        kfake_remove(h.c, RES_PODS, "ns", name);
    }
    sync_both(&h, "ns/big");
    all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 1);
    assert_int_equal(json_array_size(jget(json_array_get(all, 0), "endpoints")), 0);
    json_decref(all);
    ep = get_ep(&h, "big");
    assert_null(jget(ep, "subsets"));
    json_decref(ep);
    h_stop(&h);
}

static void test_stale_cache_waits(void **state)
{
    struct h h;

    h_start(&h);
    node(&h, "n1", NULL);
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"None\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"}}}");
    pod(&h, "a", "10.42.0.1", true, NULL, NULL, NULL);
    kfake_flush(h.c);
    /* two syncs with no chance for the informer to show the first one's slice in between
     * must not create two slices: the second waits */
    assert_int_equal(ep__sync_slices(h.es, "ns/s"), 0);
    int rc = ep__sync_slices(h.es, "ns/s");
    assert_true(rc == 0 || rc == -EAGAIN);
    kfake_flush(h.c);
    assert_int_equal(ep__sync_slices(h.es, "ns/s"), 0);
    kfake_flush(h.c);
    json_t *all = kfake_list(h.c, RES_ENDPOINTSLICES, "ns");
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    h_stop(&h);
}

static void test_over_capacity(void **state)
{
    struct h h;
    char name[32], ip[32];

    h_start(&h);
    node(&h, "n1", NULL);
    putf(&h, RES_SERVICES,
         "{\"metadata\":{\"name\":\"huge\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{"
         "\"clusterIP\":\"None\",\"ipFamilies\":[\"IPv4\"],\"selector\":{\"app\":\"web\"}}}");
    for (int i = 0; i < 1010; i++) {
        snprintf(name, sizeof(name), "p%04d", i);
        snprintf(ip, sizeof(ip), "10.42.%d.%d", i / 250, i % 250 + 1);
        pod(&h, name, ip, i % 2 == 0, NULL, NULL, NULL);
    }
    kfake_flush(h.c);
    assert_int_equal(ep__sync_endpoints(h.ep, "ns/huge"), 0);
    kfake_flush(h.c);
    json_t *ep = get_ep(&h, "huge");
    json_t *ss = json_array_get(jget(ep, "subsets"), 0);
    /* ready ones are kept first: 505 ready + 495 of the 505 not ready */
    assert_int_equal(json_array_size(jget(ss, "addresses")), 505);
    assert_int_equal(json_array_size(jget(ss, "notReadyAddresses")), 495);
    assert_string_equal(
        jget_str(jpath(ep, "metadata.annotations"), "endpoints.kubernetes.io/over-capacity"),
        "truncated");
    json_decref(ep);
    /* and it is stable */
    int updates = kfake_calls(h.c, "update", RES_ENDPOINTS);
    assert_int_equal(ep__sync_endpoints(h.ep, "ns/huge"), 0);
    assert_int_equal(kfake_calls(h.c, "update", RES_ENDPOINTS), updates);
    h_stop(&h);
}

static void test_leftover_endpoints(void **state)
{
    struct h h;

    /* left behind while the controller was down: ours, and someone else's */
    h.c = kfake_new();
    json_t *o = tj("{\"metadata\":{\"name\":\"old\",\"namespace\":\"ns\",\"labels\":{"
                   "\"endpoints.kubernetes.io/managed-by\":\"endpoint-controller\"}}}");
    kfake_put(h.c, RES_ENDPOINTS, o);
    json_decref(o);
    o = tj("{\"metadata\":{\"name\":\"theirs\",\"namespace\":\"ns\"}}");
    kfake_put(h.c, RES_ENDPOINTS, o);
    json_decref(o);
    h.f = informer_factory_new(h.c);
    h.ep = ep__new("endpoints", h.c, h.f, RES_ENDPOINTS, "endpoint-controller");
    h.es = ep__new("endpointslice", h.c, h.f, RES_ENDPOINTSLICES, "endpoint-slice-controller");
    informer_factory_start(h.f);
    assert_true(informer_factory_wait_synced(h.f, 5000));
    kfake_flush(h.c);
    /* the queue holds ours; syncing it deletes it */
    bool seen = false;
    while (wq_len(h.ep->q)) {
        char *k = wq_get(h.ep->q);
        if (!strcmp(k, "ns/old"))
            seen = true;
        assert_string_not_equal(k, "ns/theirs");
        assert_int_equal(ep__sync_endpoints(h.ep, k), 0);
        wq_done(h.ep->q, k);
        free(k);
    }
    assert_true(seen);
    assert_null(kfake_get(h.c, RES_ENDPOINTS, "ns", "old"));
    o = kfake_get(h.c, RES_ENDPOINTS, "ns", "theirs");
    assert_non_null(o);
    json_decref(o);
    h_stop(&h);
}

static void test_helpers(void **state)
{
    char buf[KTIME_BUFSZ];
    assert_string_equal(ep__format_time(1767225600000000LL, buf), "2026-01-01T00:00:00Z");
    assert_string_equal(ep__format_time(1767225600120000LL, buf), "2026-01-01T00:00:00.12Z");

    json_t *pod = tj("{\"spec\":{\"containers\":[{\"ports\":[{\"name\":\"web\",\"containerPort\":"
                     "80},{\"name\":\"dns\",\"containerPort\":53,\"protocol\":\"UDP\"}]}],"
                     "\"initContainers\":[{\"restartPolicy\":\"Always\",\"ports\":[{\"name\":"
                     "\"side\",\"containerPort\":9000}]},{\"ports\":[{\"name\":\"init\","
                     "\"containerPort\":9001}]}]}}");
    json_t *p = tj("{\"port\":1,\"targetPort\":\"web\"}");
    assert_int_equal(ep__find_port(pod, p), 80);
    json_decref(p);
    p = tj("{\"port\":1,\"targetPort\":\"dns\"}"); /* TCP service port, UDP container port */
    assert_int_equal(ep__find_port(pod, p), -1);
    json_decref(p);
    p = tj("{\"port\":1,\"targetPort\":\"dns\",\"protocol\":\"UDP\"}");
    assert_int_equal(ep__find_port(pod, p), 53);
    json_decref(p);
    p = tj("{\"port\":1,\"targetPort\":\"side\"}"); /* sidecars count */
    assert_int_equal(ep__find_port(pod, p), 9000);
    json_decref(p);
    p = tj("{\"port\":1,\"targetPort\":\"init\"}"); /* plain init containers do not */
    assert_int_equal(ep__find_port(pod, p), -1);
    json_decref(p);
    p = tj("{\"port\":7}"); /* no targetPort: the port */
    assert_int_equal(ep__find_port(pod, p), 7);
    json_decref(p);
    json_decref(pod);

    json_t *svc = tj("{\"spec\":{\"selector\":{}}}");
    json_t *labels = tj("{\"a\":\"b\"}");
    assert_true(ep__selects(svc, labels)); /* an empty selector selects everything */
    json_decref(svc);
    svc = tj("{\"spec\":{}}");
    assert_false(ep__selects(svc, labels)); /* no selector selects nothing */
    json_decref(svc);
    json_decref(labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_headless_endpoints),
        cmocka_unit_test(test_named_ports_and_publish),
        cmocka_unit_test(test_headless_without_ports_and_unselected),
        cmocka_unit_test(test_placeholder_and_packing),
        cmocka_unit_test(test_stale_cache_waits),
        cmocka_unit_test(test_over_capacity),
        cmocka_unit_test(test_leftover_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
