/* internal.h — shared between the files of the node agent (src/agent/).
 *
 *   agent.c    start/stop, the pod reflector (list + watch of the pods bound to this node),
 *              the pod workers (a work queue keyed by pod), status writes, graceful deletion
 *   node.c     Node registration, the node status heartbeat and the Lease
 *   sim.c      the sim runtime: what the "containers" of a pod do, and the PodStatus
 *              a kubelet would report for them
 *   ipam.c     pod IPs from the pod CIDR, unique while a pod lives
 *   volumes.c  persistentVolumeClaim waits and the local-path directory hand-off
 */
#ifndef BERTH_AGENT_INTERNAL_H
#define BERTH_AGENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "agent/agent.h"
#include "client/ctrlloop.h"
#include "client/informer.h"
#include "client/workqueue.h"

/* The pod annotations of the sim runtime (README "Simulated nodes"). */
#define SIM_ANN_START_DELAY "sim.berth.io/start-delay"
#define SIM_ANN_READY "sim.berth.io/ready"
#define SIM_ANN_CRASH "sim.berth.io/crash"
#define SIM_ANN_FAIL "sim.berth.io/fail"
#define SIM_ANN_REFUSE_TERMINATE "sim.berth.io/refuse-terminate"

/* The local-path hand-off (controllers/volume/volume.h): a PV the provisioner made for this
 * node whose directory the node still has to create; a released one whose directory it has to
 * remove ("requested" -> "done"). */
#define LOCAL_PATH_PENDING_ANN "berth.io/local-path-pending"
#define LOCAL_PATH_CLEANUP_ANN "berth.io/local-path-cleanup"

#define AGENT_KUBELET_VERSION "v1.32.4-berth"
#define AGENT_LEASE_NS "kube-node-lease"
#define AGENT_LEASE_SECONDS 40

/* Timings, overridable by unit tests through agent__start. */
struct agent_tuning {
    int heartbeat_ms;    /* node status and Lease renewal period (10 s, as a kubelet) */
    int retry_ms;        /* registration retry while the server is unreachable */
    int backoff_base_ms; /* CrashLoopBackOff: first delay (10 s) ... */
    int backoff_max_ms;  /* ... doubling up to this cap (300 s) */
    int workers;         /* pod worker threads */
};
#define AGENT_TUNING_DEFAULT                                                                       \
    {                                                                                              \
        10000, 1000, 10000, 300000, 8                                                              \
    }

/* --- the sim runtime's view of one container --- */

enum sim_cstate {
    SIM_C_CREATING, /* not started yet: waiting ContainerCreating / PodInitializing */
    SIM_C_RUNNING,
    SIM_C_BACKOFF,    /* crashed, waiting CrashLoopBackOff until restart_at_ms */
    SIM_C_TERMINATED, /* exited for good */
};

struct sim_run {         /* one run of a container, for state.terminated / lastState */
    char id[80];         /* "sim://<64 hex>" */
    int64_t started_us;  /* wall clock */
    int64_t finished_us; /* wall clock, 0 while running */
    int exit_code;
    const char *reason; /* "Completed", "Error" (static strings) */
};

struct sim_container {
    char *name;
    enum sim_cstate state;
    struct sim_run cur; /* the current (or last, when terminated) run */
    bool has_last;
    struct sim_run last; /* lastState.terminated */
    int restarts;
    int backoff_ms;        /* the current back-off (CrashLoopBackOff message) */
    int64_t restart_at_ms; /* monotonic: end of the back-off */
    int64_t crashed_ms;    /* monotonic: last crash, to reset the back-off after a quiet time */
};

/* --- one pod bound to this node --- */

struct simpod {
    char *key;           /* "namespace/name" */
    struct simpod *next; /* hash chain */

    /* Owned by the reflector, under agent.mu: the newest object from the watch (a shared,
     * immutable reference), or NULL once the pod is gone from the API. */
    json_t *obj;
    json_t *claims; /* the "namespace/claim" keys obj is filed under in agent.claim_pods */

    /* Everything below belongs to the worker that holds the key (the work queue hands a key
     * to one worker at a time). */
    char uid[64];         /* the pod this state is for; a new UID resets it */
    int64_t seen_ms;      /* monotonic: first seen, the start of the start delay */
    time_t start_time;    /* status.startTime */
    bool started;         /* the sandbox and containers exist */
    bool terminal;        /* phase Failed or Succeeded: nothing runs any more */
    bool stopping_logged; /* "refuses to terminate" said once */
    bool host_network;    /* spec.hostNetwork: the pod has the node's address */
    uint32_t ip;          /* host order; 0: none */
    struct sim_container *ctrs, *inits;
    size_t nctrs, ninits;

    json_t *last;       /* the status last written (the basis for transition times) */
    char *last_c;       /* its canonical text */
    char *echo_c;       /* canonical status the server answered that write with */
    int64_t written_rv; /* resourceVersion of that answer (0: unknown) */
};

#define AGENT_PODMAP_BUCKETS 4096

struct agent {
    struct kclient *c;
    struct agent_config cfg; /* strings owned (copies) */
    struct agent_tuning t;

    pthread_mutex_t mu; /* the pod map, simpod.obj and the claim index */
    struct simpod *buckets[AGENT_PODMAP_BUCKETS];
    size_t npods;
    json_t *claim_pods; /* "namespace/claim" -> {pod key: true}, the pods whose obj uses it */

    struct workqueue *q;
    struct ctrl_loop *loop;
    struct informer *pvcs, *pvs;

    volatile bool stop;
    pthread_mutex_t wait_mu; /* sleeps that agent_stop interrupts */
    pthread_cond_t wait_cond;
    pthread_t reflector, heartbeat;
    bool reflector_started, heartbeat_started;

    /* node.c */
    char node_uid[64];
    bool registered;
    json_t *node_status; /* the static part of the node status (capacity, nodeInfo, ...) */

    /* ipam.c */
    pthread_mutex_t ip_mu;
    uint32_t ip_base, ip_size; /* the pod CIDR: first address, number of addresses */
    uint32_t ip_next;          /* next-fit cursor (offset) */
    uint8_t *ip_used;          /* bitmap over ip_size */
};

/* The annotation key of obj (keys hold dots, so not through jpath); borrowed or NULL. */
static inline const char *agent__ann(const json_t *obj, const char *key)
{
    return json_string_value(
        json_object_get(jpath(obj, "metadata.annotations") ?: json_null(), key));
}

int agent__start(struct kclient *c, const struct agent_config *cfg, const struct agent_tuning *t,
                 struct agent **out);

/* Sleep up to ms, waking early when the agent stops. Returns false once stopping. */
bool agent__sleep(struct agent *a, int ms);
/* Queue the pods of namespace ns that use the claim (NULL: any claim). */
void agent__kick_volume_waiters(struct agent *a, const char *ns, const char *claim);

/* --- node.c --- */
void *agent__heartbeat_main(void *arg);
/* Create or update the Node; 0 or a negative errno. */
int agent__node_register(struct agent *a);
/* Refresh the node status heartbeat, and renew the Lease. */
int agent__node_heartbeat(struct agent *a);
int agent__lease_renew(struct agent *a);

/* --- sim.c --- */
/* The start delay of pod: its annotation, else the configured default. */
int64_t sim__start_delay_ms(struct agent *a, const json_t *pod);
/* The k-th CrashLoopBackOff delay (k = 0 for the first crash): base * 2^k, capped. */
int sim__backoff_ms(const struct agent_tuning *t, int k);
/* Reset sp for a new pod (a new UID), adopting what the server's status says already runs
 * (after an agent restart). */
void sim__pod_reset(struct agent *a, struct simpod *sp, const json_t *pod);
/* Release sp's runtime state (containers, IP, status memory). */
void sim__pod_release(struct agent *a, struct simpod *sp);
/* Advance the containers of a live pod to now. volumes_ready says whether its volumes are
 * there. Returns the monotonic time at which it wants to run again, or 0. */
int64_t sim__advance(struct agent *a, struct simpod *sp, const json_t *pod, bool volumes_ready,
                     int64_t now_ms);
/* Stop every container of the pod (deletion): exit code 0, except a crashed container. */
void sim__stop(struct agent *a, struct simpod *sp);
/* The PodStatus a kubelet would write for sp (a new reference). */
json_t *sim__status(struct agent *a, struct simpod *sp, const json_t *pod);
/* "sim://" and 64 random hex digits. */
void sim__container_id(char out[80]);

/* --- ipam.c --- */
int agent__ipam_init(struct agent *a, const char *cidr);
void agent__ipam_release_all(struct agent *a);
/* Allocate a free address (host order), or 0 when the range is exhausted. */
uint32_t agent__ip_alloc(struct agent *a);
/* Claim a given address (adoption); false if outside the range or taken. */
bool agent__ip_claim(struct agent *a, uint32_t ip);
void agent__ip_free(struct agent *a, uint32_t ip);
/* Dotted quad of ip into buf (16 bytes); returns buf. Parse: 0 on failure. */
char *agent__ip_str(uint32_t ip, char buf[16]);
uint32_t agent__ip_parse(const char *s);

/* --- volumes.c --- */
/* Whether every persistentVolumeClaim of pod (generic ephemeral volumes included) is Bound,
 * to a PV whose local-path directory, if it has one pending, was made. */
bool agent__volumes_ready(struct agent *a, const json_t *pod);
/* Whether pod has a volume using claim (NULL: any claim). */
bool agent__pod_uses_claim(const json_t *pod, const char *claim);
/* The "namespace/claim" of every claim pod's volumes use, once each: a JSON array of strings
 * (new reference). */
json_t *agent__pod_claim_keys(const json_t *pod);
/* Work on "pv:<name>": make, or remove, the directory of a local-path PV of this node. */
int agent__pv_sync(struct agent *a, const char *name);
/* Whether the PV's node affinity names node. */
bool agent__pv_on_node(const json_t *pv, const char *node);
void agent__volume_handlers(struct agent *a);

#endif
