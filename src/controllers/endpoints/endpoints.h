/* endpoints.h — the endpoints and endpointslice controllers: the addresses behind every Service
 * with a selector, as upstream's pkg/controller/endpoint and pkg/controller/endpointslice.
 *
 * Endpoints (name = the Service's): the pods the selector matches that have an IP and are not
 * terminal, ready ones under `addresses` and the others under `notReadyAddresses`
 * (publishNotReadyAddresses puts every one under `addresses` and keeps terminating pods), each
 * with targetRef, nodeName and, for a pod whose spec.subdomain is the Service's name, its
 * spec.hostname; ports resolved per pod (a named targetPort through that pod's container
 * ports), grouped into subsets the way RepackSubsets does; at most 1000 addresses
 * (endpoints.kubernetes.io/over-capacity: truncated); labels copied from the Service plus
 * service.kubernetes.io/headless and endpoints.kubernetes.io/managed-by; the
 * endpoints.kubernetes.io/last-change-trigger-time annotation. Deleted with the Service.
 *
 * EndpointSlices (at most 100 endpoints each, generateName "<service>-", one set per address
 * type of the Service): endpoints with conditions ready / serving / terminating, hostname,
 * targetRef, nodeName and zone; labels kubernetes.io/service-name,
 * endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io and the Service's own;
 * a controller owner reference to the Service (the garbage collector deletes them with it); a
 * placeholder slice when there is no endpoint; upstream's reconciler (update in place, fill the
 * fullest slices first, reuse slices that would be deleted).
 *
 * Both write only when something changed, and never for Services without a selector or of type
 * ExternalName. Stopping expects the shared informers to be stopped first.
 */
#ifndef BERTH_ENDPOINTS_H
#define BERTH_ENDPOINTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/ctrlloop.h"
#include "client/informer.h"
#include "client/recorder.h"
#include "controllers/manager.h"

extern const struct controller_def endpoints_controller_def;
extern const struct controller_def endpointslice_controller_def;

/* --- internals, shared by both controllers and their unit test --- */

#define EP_MAX_CAPACITY 1000 /* addresses in one Endpoints object */
#define EPS_MAX_PER_SLICE 100
#define EPS_CONTROLLER "endpointslice-controller.k8s.io"
#define LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define LABEL_SLICE_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define LABEL_HEADLESS "service.kubernetes.io/headless"
#define LABEL_EP_MANAGED_BY "endpoints.kubernetes.io/managed-by"
#define ANN_TRIGGER_TIME "endpoints.kubernetes.io/last-change-trigger-time"
#define ANN_OVER_CAPACITY "endpoints.kubernetes.io/over-capacity"

/* What both controllers share: the informers, the queue of Service keys, the trigger-time
 * tracker and the record of our own writes the informer has not shown yet. */
struct epc {
    const char *name; /* "endpoints" or "endpointslice" */
    struct kclient *client;
    struct informer *services, *pods, *nodes, *own; /* own: endpoints or endpointslices */
    struct workqueue *q;
    struct ctrl_loop *loop;
    struct recorder *rec;
    pthread_mutex_t mu;
    json_t *triggers; /* service key -> {"svc": us, "pods": {name: us}} */
    json_t *written;  /* endpoints: key -> stale RV; slices: key -> {name: RV or -1 deleted} */
    int batch_ms;     /* delay of pod-triggered syncs (upstream's --*-updates-batch-period) */
};

struct epc *ep__new(const char *name, struct kclient *client, struct informer_factory *f,
                    enum res_id own, const char *component);
void ep__free(struct epc *c);
/* The sync functions of the two controllers (ctx is the struct epc). */
int ep__sync_endpoints(void *ctx, const char *key);
int ep__sync_slices(void *ctx, const char *key);

/* --- pod and service helpers (common.c) --- */

bool ep__pod_ready(const json_t *pod);
/* upstream ShouldPodBeInEndpoints: not terminal, has an IP, and (unless include_terminating)
 * not being deleted. */
bool ep__should_be_in_endpoints(const json_t *pod, bool include_terminating);
/* upstream ShouldSetHostname: spec.hostname set and spec.subdomain == the Service's name, in
 * the Service's namespace. */
bool ep__should_set_hostname(const json_t *pod, const json_t *svc);
/* upstream FindPort: the container port a Service port reaches on this pod; -1 if none. */
int ep__find_port(const json_t *pod, const json_t *svc_port);
/* The pod's IP of the family ("IPv4" / "IPv6"), borrowed, or NULL. */
const char *ep__pod_ip(const json_t *pod, const char *family);
/* Does the Service's selector (a non-null map; {} selects everything) match these labels? */
bool ep__selects(const json_t *svc, const json_t *labels);
bool ep__headless(const json_t *svc);
/* The time of the pod change that triggers an update: its Ready condition's
 * lastTransitionTime, in microseconds; 0 if none. */
int64_t ep__pod_trigger_time(const json_t *pod);
/* upstream TriggerTimeTracker.ComputeEndpointLastChangeTriggerTime: the earliest trigger time
 * among the pods (and the Service) that changed since the last sync of key; the Service's
 * creationTimestamp for a Service seen for the first time; 0 for none. Lock held. */
int64_t ep__trigger_compute(struct epc *c, const char *key, const json_t *svc, json_t **pods,
                            size_t n);
/* RFC 3339 with nanosecond precision trimmed, as Go's time.RFC3339Nano prints (buf holds
 * KTIME_BUFSZ bytes). */
char *ep__format_time(int64_t us, char *buf);
/* A copy of v without empty strings and nulls, for comparisons that must not depend on
 * whether the server kept an empty field. */
json_t *ep__strip_empty(const json_t *v);
bool ep__same(const json_t *a, const json_t *b);

#endif
