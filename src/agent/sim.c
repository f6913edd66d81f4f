/* sim.c — the sim runtime: pods without processes, as kwok does it.
 *
 * A pod's "containers" are a small state machine per container (struct sim_container) that
 * the pod's annotations steer (README "Simulated nodes"): after the start delay every
 * container runs; `crash` makes each run exit with code 1 at once and the container wait in
 * CrashLoopBackOff (10 s, 20 s, ... 300 s) before the next run, or stay terminated under
 * restartPolicy Never; `fail` fails the pod; `ready: "false"` keeps running containers
 * unready. sim__status then writes down what a kubelet would report for that state, with
 * upstream's condition types, reasons and messages (kubelet_pods.go generateAPIPodStatus,
 * status/generate.go).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/internal.h"
#include "base/alloc.h"
#include "base/json.h"
#include "base/ktime.h"
#include "base/log.h"
#include "base/strbuf.h"

/* --- durations --- */

/* Go's time.ParseDuration, restricted to what a start delay needs: no sign other than "+",
 * units ns, us, µs, ms, s, m, h; a bare "0" is zero. */
int agent_parse_duration_ms(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
                 {"s", 1000},  {"m", 60000}, {"h", 3600000}};
    double total = 0;

    if (!s || !*s)
        return -EINVAL;
    if (*s == '+')
        s++;
    if (!strcmp(s, "0")) {
        *ms = 0;
        return 0;
    }
    if (!*s)
        return -EINVAL;
    while (*s) {
        const char *start = s;
        double v = 0, scale = 1;
        bool digits = false;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s++ - '0');
            digits = true;
        }
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9') {
                scale /= 10;
                v += (*s++ - '0') * scale;
                digits = true;
            }
        }
        if (!digits || s == start)
            return -EINVAL;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
            size_t n = strlen(units[i].unit);
            if (!strncmp(s, units[i].unit, n) && n > best) {
                best = n;
                mult = units[i].ms;
            }
        }
        /* "m" must not swallow the "m" of "ms": the longest unit wins above. */
        if (!best)
            return -EINVAL;
        s += best;
        total += v * mult;
        if (total > 9.2e15)
            return -EINVAL;
    }
    *ms = (int64_t)llround(total);
    return 0;
}

int64_t sim__start_delay_ms(struct agent *a, const json_t *pod)
{
    const char *v = agent__ann(pod, SIM_ANN_START_DELAY);
    int64_t ms;
    if (v && agent_parse_duration_ms(v, &ms) == 0)
        return ms;
    return a->cfg.sim_start_delay_ms;
}

int sim__backoff_ms(const struct agent_tuning *t, int k)
{
    int64_t d = t->backoff_base_ms;
    while (k-- > 0 && d < t->backoff_max_ms)
        d *= 2;
    return (int)(d < t->backoff_max_ms ? d : t->backoff_max_ms);
}

static bool ann_true(const json_t *pod, const char *key)
{
    const char *v = agent__ann(pod, key);
    return v && !strcmp(v, "true");
}

static const char *restart_policy(const json_t *pod)
{
    const char *p = jpath_str(pod, "spec.restartPolicy");
    return p && *p ? p : "Always";
}

void sim__container_id(char out[80])
{
    unsigned char r[32];
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n <= 0)
            abort(); /* no kernel randomness at all: nothing sensible to do */
        got += (size_t)n;
    }
    memcpy(out, "sim://", 6);
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 6 + 2 * i, 3, "%02x", r[i]);
}

/* --- state --- */

static void free_containers(struct sim_container *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

void sim__pod_release(struct agent *a, struct simpod *sp)
{
    free_containers(sp->ctrs, sp->nctrs);
    free_containers(sp->inits, sp->ninits);
    sp->ctrs = sp->inits = NULL;
    sp->nctrs = sp->ninits = 0;
    if (sp->ip)
        agent__ip_free(a, sp->ip);
    sp->ip = 0;
    json_decref(sp->last);
    sp->last = NULL;
    free(sp->last_c);
    free(sp->echo_c);
    sp->last_c = sp->echo_c = NULL;
    sp->written_rv = 0;
}

static int64_t parse_us(const char *s)
{
    time_t t;
    int64_t us;
    if (!s || ktime_parse(s, &t, &us) < 0)
        return 0;
    return us;
}

/* Take over a run described by a container state's running/terminated block. */
static void adopt_run(struct sim_run *r, const json_t *st, const char *id)
{
    snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
    r->started_us = parse_us(jget_str(st, "startedAt"));
    r->finished_us = parse_us(jget_str(st, "finishedAt"));
    r->exit_code = (int)jget_int(st, "exitCode", 0);
    r->reason = r->exit_code ? "Error" : "Completed";
}

static const json_t *find_status(const json_t *list, const char *name)
{
    size_t i;
    json_t *cs;
    json_array_foreach(list, i, cs)
    {
        if (!strcmp(jget_str(cs, "name") ?: "", name))
            return cs;
    }
    return NULL;
}

static struct sim_container *make_containers(const json_t *spec_list, size_t *n)
{
    *n = json_array_size(spec_list);
    struct sim_container *c = xcalloc(*n ? *n : 1, sizeof(*c));
    for (size_t i = 0; i < *n; i++)
        c[i].name = xstrdup(jget_str(json_array_get(spec_list, i), "name") ?: "");
    return c;
}

/* Adopt a container from the status a previous agent wrote: the sim's containers live in
 * the API object only, so that is where an agent restart finds them again. */
static void adopt_container(struct agent *a, struct sim_container *c, const json_t *cs,
                            int64_t now_ms)
{
    const char *id = jget_str(cs, "containerID");
    const json_t *st = jget_obj(cs, "state");
    const json_t *last = jpath(cs, "lastState.terminated");

    c->restarts = (int)jget_int(cs, "restartCount", 0);
    if (last) {
        c->has_last = true;
        adopt_run(&c->last, last, jget_str(last, "containerID") ?: id);
    }
    if (jget(st, "running")) {
        c->state = SIM_C_RUNNING;
        adopt_run(&c->cur, jget(st, "running"), id);
    } else if (jget(st, "terminated")) {
        c->state = SIM_C_TERMINATED;
        adopt_run(&c->cur, jget(st, "terminated"), id);
    } else if (c->has_last) {
        /* waiting after a crash: back off once more from now */
        c->state = SIM_C_BACKOFF;
        c->backoff_ms = sim__backoff_ms(&a->t, c->restarts);
        c->restart_at_ms = now_ms + c->backoff_ms;
        c->crashed_ms = now_ms;
        c->cur = c->last;
    } else {
        /* never started: start it now */
        c->state = SIM_C_RUNNING;
        sim__container_id(c->cur.id);
        c->cur.started_us = ktime_now_us();
    }
}

void sim__pod_reset(struct agent *a, struct simpod *sp, const json_t *pod)
{
    int64_t now_ms = ktime_mono_ms();
    const json_t *st = jget_obj(pod, "status");
    const json_t *spec = jget_obj(pod, "spec");
    const char *phase = jget_str(st, "phase") ?: "";

    sim__pod_release(a, sp);
    snprintf(sp->uid, sizeof(sp->uid), "%s", jpath_str(pod, "metadata.uid") ?: "");
    sp->seen_ms = now_ms;
    sp->start_time = 0;
    sp->started = sp->terminal = sp->stopping_logged = false;
    sp->ctrs = make_containers(jget_arr(spec, "containers"), &sp->nctrs);
    sp->inits = make_containers(jget_arr(spec, "initContainers"), &sp->ninits);
    sp->host_network = jget_bool(spec, "hostNetwork", false);

    if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) {
        sp->terminal = sp->started = true;
        return;
    }
    /* A pod that already has a sandbox (an IP and container IDs) was started by an earlier
     * agent: carry on from there instead of starting it again. */
    uint32_t ip = agent__ip_parse(jget_str(st, "podIP"));
    const json_t *cstats = jget_arr(st, "containerStatuses");
    bool any_id = false;
    for (size_t i = 0; i < json_array_size(cstats); i++)
        if (jget_str(json_array_get(cstats, i), "containerID"))
            any_id = true;
    if ((!ip && !sp->host_network) || !any_id)
        return;
    if (sp->host_network)
        ; /* the node's address, nothing to allocate */
    else if (agent__ip_claim(a, ip))
        sp->ip = ip;
    else
        sp->ip = agent__ip_alloc(a);
    sp->started = true;
    time_t t;
    if (jget_str(st, "startTime") && ktime_parse(jget_str(st, "startTime"), &t, NULL) == 0)
        sp->start_time = t;
    for (size_t i = 0; i < sp->nctrs; i++)
        adopt_container(a, &sp->ctrs[i], find_status(cstats, sp->ctrs[i].name) ?: json_object(),
                        now_ms);
    for (size_t i = 0; i < sp->ninits; i++) {
        struct sim_container *c = &sp->inits[i];
        const json_t *cs = find_status(jget_arr(st, "initContainerStatuses"), c->name);
        c->state = SIM_C_TERMINATED;
        if (cs && jpath(cs, "state.terminated")) {
            adopt_run(&c->cur, jpath(cs, "state.terminated"), jget_str(cs, "containerID"));
        } else {
            sim__container_id(c->cur.id);
            c->cur.started_us = c->cur.finished_us = ktime_now_us();
            c->cur.reason = "Completed";
        }
    }
}

/* --- the state machine --- */

static void new_run(struct sim_container *c, int64_t now_us)
{
    sim__container_id(c->cur.id);
    c->cur.started_us = now_us;
    c->cur.finished_us = 0;
    c->cur.exit_code = 0;
    c->cur.reason = NULL;
}

static void finish_run(struct sim_run *r, int exit_code, int64_t now_us)
{
    r->finished_us = now_us;
    r->exit_code = exit_code;
    r->reason = exit_code ? "Error" : "Completed";
}

/* The run exits with code 1. Under restartPolicy Never the container stays terminated;
 * otherwise (Always, and OnFailure since 1 is a failure) it waits out a back-off that doubles
 * with every crash, as the kubelet's, and resets after a quiet spell of twice the cap. */
static void crash(struct agent *a, struct sim_container *c, const char *policy, int64_t now_ms,
                  int64_t now_us)
{
    finish_run(&c->cur, 1, now_us);
    if (!strcmp(policy, "Never")) {
        c->state = SIM_C_TERMINATED;
        return;
    }
    c->last = c->cur;
    c->has_last = true;
    if (!c->backoff_ms || now_ms - c->crashed_ms > 2 * (int64_t)a->t.backoff_max_ms)
        c->backoff_ms = a->t.backoff_base_ms;
    else
        c->backoff_ms =
            c->backoff_ms * 2 > a->t.backoff_max_ms ? a->t.backoff_max_ms : c->backoff_ms * 2;
    c->crashed_ms = now_ms;
    c->restart_at_ms = now_ms + c->backoff_ms;
    c->state = SIM_C_BACKOFF;
}

static void start_pod(struct agent *a, struct simpod *sp, int64_t now_us)
{
    for (size_t i = 0; i < sp->ninits; i++) {
        /* init containers run to completion at once */
        new_run(&sp->inits[i], now_us);
        finish_run(&sp->inits[i].cur, 0, now_us);
        sp->inits[i].state = SIM_C_TERMINATED;
    }
    for (size_t i = 0; i < sp->nctrs; i++) {
        new_run(&sp->ctrs[i], now_us);
        sp->ctrs[i].state = SIM_C_RUNNING;
    }
    sp->started = true;
}

int64_t sim__advance(struct agent *a, struct simpod *sp, const json_t *pod, bool volumes_ready,
                     int64_t now_ms)
{
    int64_t now_us = ktime_now_us(), wake = 0;

    if (sp->terminal)
        return 0;
    if (!sp->start_time)
        sp->start_time = now_us / 1000000;
    if (!sp->started) {
        if (!volumes_ready)
            return 0; /* a claim's event queues the pod again */
        int64_t at = sp->seen_ms + sim__start_delay_ms(a, pod);
        if (now_ms < at)
            return at;
        if (!sp->ip && !sp->host_network)
            sp->ip = agent__ip_alloc(a);
        if (!sp->ip && !sp->host_network) {
            log_error("agent", "pod %s: the pod CIDR is exhausted", sp->key);
            return now_ms + 1000;
        }
        start_pod(a, sp, now_us);
    }

    bool fail = ann_true(pod, SIM_ANN_FAIL), crashing = ann_true(pod, SIM_ANN_CRASH);
    const char *policy = restart_policy(pod);
    bool all_terminated = true;

    for (size_t i = 0; i < sp->nctrs; i++) {
        struct sim_container *c = &sp->ctrs[i];
        switch (c->state) {
        case SIM_C_CREATING:
            new_run(c, now_us);
            c->state = SIM_C_RUNNING;
            /* fall through */
        case SIM_C_RUNNING:
            if (fail) {
                finish_run(&c->cur, 1, now_us);
                c->state = SIM_C_TERMINATED;
            } else if (crashing) {
                crash(a, c, policy, now_ms, now_us);
            }
            break;
        case SIM_C_BACKOFF:
            if (fail) {
                c->state = SIM_C_TERMINATED; /* its last run is its end */
            } else if (now_ms >= c->restart_at_ms) {
                c->restarts++;
                new_run(c, now_us);
                c->state = SIM_C_RUNNING;
                if (crashing)
                    crash(a, c, policy, now_ms, now_us);
            }
            break;
        case SIM_C_TERMINATED:
            break;
        }
        if (c->state == SIM_C_BACKOFF && (!wake || c->restart_at_ms < wake))
            wake = c->restart_at_ms;
        if (c->state != SIM_C_TERMINATED)
            all_terminated = false;
    }
    if (fail || all_terminated)
        sp->terminal = true;
    return sp->terminal ? 0 : wake;
}

void sim__stop(struct agent *a, struct simpod *sp)
{
    int64_t now_us = ktime_now_us();
    for (size_t i = 0; i < sp->nctrs; i++) {
        struct sim_container *c = &sp->ctrs[i];
        if (c->state == SIM_C_RUNNING) {
            finish_run(&c->cur, 0, now_us);
            c->state = SIM_C_TERMINATED;
        } else if (c->state == SIM_C_BACKOFF) {
            c->state = SIM_C_TERMINATED; /* its last run, which failed, is its end */
        }
    }
    sp->terminal = true;
}

/* --- PodStatus --- */

static const char *phase_of(const struct simpod *sp)
{
    if (!sp->started)
        return "Pending";
    if (!sp->terminal)
        return "Running";
    for (size_t i = 0; i < sp->nctrs; i++)
        if (sp->ctrs[i].state != SIM_C_TERMINATED || sp->ctrs[i].cur.exit_code != 0)
            return "Failed";
    return "Succeeded";
}

/* Go's time.Duration String for whole milliseconds: "10s", "1.5s", "2m40s", "5m0s". */
static char *go_duration(int ms, char buf[32])
{
    int s = ms / 1000, frac = ms % 1000;
    if (s >= 3600)
        snprintf(buf, 32, "%dh%dm%ds", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(buf, 32, "%dm%ds", s / 60, s % 60);
    else if (!frac)
        snprintf(buf, 32, "%ds", s);
    else if (frac % 100 == 0)
        snprintf(buf, 32, "%d.%ds", s, frac / 100);
    else if (frac % 10 == 0)
        snprintf(buf, 32, "%d.%02ds", s, frac / 10);
    else
        snprintf(buf, 32, "%d.%03ds", s, frac);
    if (s == 0 && frac)
        snprintf(buf, 32, "%dms", frac);
    return buf;
}

static json_t *time_str(int64_t us)
{
    char buf[KTIME_BUFSZ];
    return json_string(ktime_format((time_t)(us / 1000000), buf));
}

static json_t *run_json(const struct sim_run *r)
{
    json_t *t = json_object();
    if (r->id[0])
        jset_str(t, "containerID", r->id);
    jset_int(t, "exitCode", r->exit_code);
    json_object_set_new(t, "finishedAt", time_str(r->finished_us));
    jset_str(t, "reason", r->reason ? r->reason : (r->exit_code ? "Error" : "Completed"));
    json_object_set_new(t, "startedAt", time_str(r->started_us));
    return t;
}

static json_t *volume_mounts(const json_t *cspec)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(jget_arr(cspec, "volumeMounts"), i, m)
    {
        json_t *vm = json_object();
        jset_str(vm, "mountPath", jget_str(m, "mountPath") ?: "");
        jset_str(vm, "name", jget_str(m, "name") ?: "");
        if (jget_bool(m, "readOnly", false)) {
            jset_bool(vm, "readOnly", true);
            jset_str(vm, "recursiveReadOnly", "Disabled");
        }
        json_array_append_new(out, vm);
    }
    return out;
}

static json_t *container_status(const struct simpod *sp, const struct sim_container *c,
                                const json_t *cspec, const json_t *pod, bool init, bool unready)
{
    json_t *cs = json_object(), *state = json_object();
    const char *image = jget_str(cspec, "image") ?: "";
    bool ran = c->state != SIM_C_CREATING;
    bool ready = init ? c->state == SIM_C_TERMINATED && c->cur.exit_code == 0
                      : c->state == SIM_C_RUNNING && !unready;

    if (ran)
        jset_str(cs, "containerID", c->cur.id);
    jset_str(cs, "image", image);
    if (ran) {
        char *id = xasprintf("sim://%s", image);
        jset_str(cs, "imageID", id);
        free(id);
    } else {
        jset_str(cs, "imageID", "");
    }
    json_object_set_new(cs, "lastState", json_object());
    if (c->has_last)
        json_object_set_new(jget(cs, "lastState"), "terminated", run_json(&c->last));
    jset_str(cs, "name", c->name);
    jset_bool(cs, "ready", ready);
    jset_int(cs, "restartCount", c->restarts);
    jset_bool(cs, "started", c->state == SIM_C_RUNNING);

    switch (c->state) {
    case SIM_C_CREATING: {
        json_t *w = json_object();
        jset_str(w, "reason", sp->ninits ? "PodInitializing" : "ContainerCreating");
        json_object_set_new(state, "waiting", w);
        break;
    }
    case SIM_C_RUNNING: {
        json_t *r = json_object();
        json_object_set_new(r, "startedAt", time_str(c->cur.started_us));
        json_object_set_new(state, "running", r);
        break;
    }
    case SIM_C_BACKOFF: {
        json_t *w = json_object();
        char dur[32];
        char *msg = xasprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
                              go_duration(c->backoff_ms, dur), c->name,
                              jpath_str(pod, "metadata.name") ?: "",
                              jpath_str(pod, "metadata.namespace") ?: "", sp->uid);
        jset_str(w, "message", msg);
        jset_str(w, "reason", "CrashLoopBackOff");
        free(msg);
        json_object_set_new(state, "waiting", w);
        break;
    }
    case SIM_C_TERMINATED:
        json_object_set_new(state, "terminated", run_json(&c->cur));
        break;
    }
    json_object_set_new(cs, "state", state);
    json_t *vms = volume_mounts(cspec);
    if (json_array_size(vms))
        json_object_set_new(cs, "volumeMounts", vms);
    else
        json_decref(vms);
    return cs;
}

static bool kubelet_condition(const char *type)
{
    static const char *const owned[] = {"PodScheduled", "Ready", "Initialized", "ContainersReady",
                                        "PodReadyToStartContainers"};
    for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
        if (!strcmp(type, owned[i]))
            return true;
    return false;
}

static const json_t *find_condition(const json_t *status, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(jget_arr(status, "conditions"), i, c)
    {
        if (!strcmp(jget_str(c, "type") ?: "", type))
            return c;
    }
    return NULL;
}

/* A kubelet condition; lastTransitionTime stays what the basis says while the status holds. */
static void add_condition(json_t *conds, const json_t *basis, const char *type, bool ok,
                          const char *reason, const char *message, const char *now)
{
    json_t *c = json_object();
    const char *status = ok ? "True" : "False";
    const json_t *prev = find_condition(basis, type);
    const char *ltt = prev && !strcmp(jget_str(prev, "status") ?: "", status)
                          ? jget_str(prev, "lastTransitionTime")
                          : NULL;

    json_object_set_new(c, "lastProbeTime", json_null());
    jset_str(c, "lastTransitionTime", ltt ? ltt : now);
    if (message)
        jset_str(c, "message", message);
    if (reason)
        jset_str(c, "reason", reason);
    jset_str(c, "status", status);
    jset_str(c, "type", type);
    json_array_append_new(conds, c);
}

/* "containers with unready status: [a b]" as upstream formats the list. */
static char *name_list(const char *prefix, const struct sim_container *c, size_t n,
                       const bool *pick)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s [", prefix);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!pick[i])
            continue;
        strbuf_addf(&sb, "%s%s", first ? "" : " ", c[i].name);
        first = false;
    }
    strbuf_addch(&sb, ']');
    return strbuf_detach(&sb, NULL);
}

/* Readiness gates (spec.readinessGates): Ready also needs each named condition True. */
static char *gates_message(const json_t *pod, const json_t *status)
{
    size_t i;
    json_t *g;
    json_array_foreach(jpath(pod, "spec.readinessGates"), i, g)
    {
        const char *type = jget_str(g, "conditionType") ?: "";
        const json_t *c = find_condition(status, type);
        if (!c)
            return xasprintf("corresponding condition of pod readiness gate \"%s\" does not "
                             "exist.",
                             type);
        const char *s = jget_str(c, "status") ?: "";
        if (strcmp(s, "True"))
            return xasprintf("the status of pod readiness gate \"%s\" is not \"True\", but %s",
                             type, s);
    }
    return NULL;
}

json_t *sim__status(struct agent *a, struct simpod *sp, const json_t *pod)
{
    const json_t *cur = jget_obj(pod, "status");
    const json_t *basis = sp->last ? sp->last : cur;
    json_t *st = cur ? json_deep_copy(cur) : json_object();
    char now[KTIME_BUFSZ], buf[16];
    const char *phase = phase_of(sp);
    bool unready = !strcmp(agent__ann(pod, SIM_ANN_READY) ?: "", "false");
    const json_t *specs = jpath(pod, "spec.containers");
    const json_t *ispecs = jpath(pod, "spec.initContainers");

    ktime_format(ktime_now(), now);
    if (strcmp(jget_str(st, "phase") ?: "", phase)) {
        json_object_del(st, "reason");
        json_object_del(st, "message");
    }
    jset_str(st, "phase", phase);

    /* containers */
    json_t *cstats = json_array();
    bool *unready_c = xcalloc(sp->nctrs + 1, sizeof(bool));
    bool all_ready = true;
    for (size_t i = 0; i < sp->nctrs; i++) {
        json_t *cs =
            container_status(sp, &sp->ctrs[i], json_array_get(specs, i), pod, false, unready);
        if (!jget_bool(cs, "ready", false)) {
            unready_c[i] = true;
            all_ready = false;
        }
        json_array_append_new(cstats, cs);
    }
    json_object_set_new(st, "containerStatuses", cstats);
    if (sp->ninits) {
        json_t *is = json_array();
        for (size_t i = 0; i < sp->ninits; i++)
            json_array_append_new(is, container_status(sp, &sp->inits[i], json_array_get(ispecs, i),
                                                       pod, true, false));
        json_object_set_new(st, "initContainerStatuses", is);
    } else {
        json_object_del(st, "initContainerStatuses");
    }

    /* conditions: the ones others own first, then the kubelet's in upstream's order */
    json_t *conds = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(jget_arr(cur, "conditions"), i, c)
    {
        if (!kubelet_condition(jget_str(c, "type") ?: ""))
            json_array_append(conds, c);
    }
    bool terminal = sp->terminal && sp->started;
    add_condition(conds, basis, "PodReadyToStartContainers", sp->started && !terminal, NULL, NULL,
                  now);
    if (sp->ninits && !sp->started) {
        bool *all = xcalloc(sp->ninits, sizeof(bool));
        for (size_t k = 0; k < sp->ninits; k++)
            all[k] = true;
        char *msg = name_list("containers with incomplete status:", sp->inits, sp->ninits, all);
        add_condition(conds, basis, "Initialized", false, "ContainersNotInitialized", msg, now);
        free(msg);
        free(all);
    } else {
        add_condition(conds, basis, "Initialized", true, NULL, NULL, now);
    }
    char *cmsg = all_ready
                     ? NULL
                     : name_list("containers with unready status:", sp->ctrs, sp->nctrs, unready_c);
    if (terminal) {
        add_condition(conds, basis, "Ready", false, "PodCompleted", NULL, now);
        add_condition(conds, basis, "ContainersReady", false, "PodCompleted", NULL, now);
    } else if (!all_ready) {
        add_condition(conds, basis, "Ready", false, "ContainersNotReady", cmsg, now);
        add_condition(conds, basis, "ContainersReady", false, "ContainersNotReady", cmsg, now);
    } else {
        char *gmsg = gates_message(pod, cur);
        add_condition(conds, basis, "Ready", !gmsg, gmsg ? "ReadinessGatesNotReady" : NULL, gmsg,
                      now);
        free(gmsg);
        add_condition(conds, basis, "ContainersReady", true, NULL, NULL, now);
    }
    free(cmsg);
    free(unready_c);
    add_condition(conds, basis, "PodScheduled", true, NULL, NULL, now);
    json_object_set_new(st, "conditions", conds);

    /* addresses and start time */
    const char *host_ip = a->cfg.internal_ip;
    jset_str(st, "hostIP", host_ip);
    json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", host_ip));
    if (sp->ip || sp->host_network) {
        /* host-network pods have the node's address from the start, as upstream */
        const char *ip = sp->host_network ? host_ip : agent__ip_str(sp->ip, buf);
        jset_str(st, "podIP", ip);
        json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
    }
    if (sp->start_time) {
        char ts[KTIME_BUFSZ];
        jset_str(st, "startTime", ktime_format(sp->start_time, ts));
    }
    return st;
}
