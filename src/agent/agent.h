/* agent.h — the node agent: registers a Node, renews its Lease, and runs the pods bound to it.
 *
 * Runtimes: "sim" (no processes: pods go Pending -> Running/Ready on a timer, scriptable through
 * pod annotations, for control-plane tests and benchmarks, as kwok does) and, in a later
 * version, "runc". The sim runtime is never a silent fallback: it runs only when asked for.
 */
#ifndef BERTH_AGENT_H
#define BERTH_AGENT_H

#include "client/client.h"

struct agent_config {
    const char *node_name;   /* required */
    const char *runtime;     /* "sim" */
    const char *data_dir;    /* DIR: volumes/, pods/, logs/ */
    int sim_start_delay_ms;  /* sim: time from binding to Running+Ready (default 0) */
    const char *internal_ip; /* the node's InternalIP address (default 127.0.0.1) */
};

struct agent;

int agent_start(struct kclient *c, const struct agent_config *cfg, struct agent **out);
void agent_stop(struct agent *a);

#endif
