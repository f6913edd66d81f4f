/* agent.h — the node agent: registers a Node, renews its Lease, and runs the pods bound to it.
 *
 * Runtimes: "sim" (no processes: pods go Pending -> Running/Ready on a timer, scriptable through
 * pod annotations, for control-plane tests and benchmarks, as kwok does) and, in a later
 * version, "runc". The sim runtime is never a silent fallback: it runs only when asked for.
 */
#ifndef BERTH_AGENT_H
#define BERTH_AGENT_H

#include <stdint.h>

#include "client/client.h"

struct agent_config {
    const char *node_name;   /* required */
    const char *runtime;     /* "sim" */
    const char *data_dir;    /* DIR: volumes/, pods/, logs/ */
    int sim_start_delay_ms;  /* sim: time from binding to Running+Ready (default 0) */
    const char *internal_ip; /* the node's InternalIP address (default 127.0.0.1) */
    int max_pods;            /* the node's pods capacity, as kubelet --max-pods (default 110) */
};

struct agent;

/* Start the agent on client c (which must outlive it): the node registers and renews its Lease
 * in the background, retrying while the server is unreachable, and the pods bound to it run.
 * The config is copied. -EINVAL without a node name; -ENOTSUP for a runtime other than "sim". */
int agent_start(struct kclient *c, const struct agent_config *cfg, struct agent **out);
/* Stop every thread and free the agent. The Node and the pods stay as they are in the API. */
void agent_stop(struct agent *a);

/* Parse a Go duration ("2s", "1.5s", "1m30s", "300ms", "0") into milliseconds, as the
 * sim.berth.io/start-delay annotation and --sim-start-delay take it. 0, or -EINVAL when
 * malformed or negative. */
int agent_parse_duration_ms(const char *s, int64_t *ms);

#endif
