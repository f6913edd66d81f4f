/* recorder.h — Kubernetes Events, as client-go's EventRecorder + EventCorrelator.
 *
 * recorder_eventf() never blocks on the network: events go to a queue that a background thread
 * writes. Identical events (same involved object, type, reason, message and source) within
 * ten minutes are aggregated upstream's way: the first is created as
 * "<object name>.<16 hex digits of the time in ns>" with count 1; repeats PATCH that Event's
 * count and lastTimestamp. A per-object token bucket (burst 25, refill one per 5 minutes)
 * drops floods, as upstream does. As upstream's aggregator, once ten events about an object
 * with the same type and reason but different messages come within ten minutes, further ones
 * go to one Event whose message is "(combined from similar events): <latest message>".
 * Events about cluster-scoped objects go to the "default" namespace. Writes that fail for a
 * transient reason are retried a few times, then dropped with a log line; at most 1000 events
 * wait in the queue (more are dropped), as upstream's broadcaster.
 */
#ifndef BERTH_RECORDER_H
#define BERTH_RECORDER_H

#include "base/json.h"
#include "client/client.h"

struct recorder;

/* component: the source ("statefulset-controller", "default-scheduler", "kubelet");
 * host: the source host ("" for controllers). */
struct recorder *recorder_new(struct kclient *c, const char *component, const char *host);
/* Record an event about obj (any object with kind, apiVersion and metadata; borrowed).
 * type is "Normal" or "Warning". */
void recorder_eventf(struct recorder *r, const json_t *obj, const char *type, const char *reason,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Block until every event recorded so far has been written (or given up on); the recorder
 * stays usable (tests). */
void recorder_flush(struct recorder *r);
/* Flush, then stop the thread and free. NULL is a no-op. */
void recorder_free(struct recorder *r);

#endif
