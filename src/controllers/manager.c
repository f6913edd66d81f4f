/* manager.c — the controller manager: the table of every controller berth runs, started in
 * order, then the shared informers they registered on. */
#include <errno.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/log.h"
#include "controllers/endpoints/endpoints.h"
#include "controllers/gc/gc.h"
#include "controllers/manager.h"
#include "controllers/namespace/namespace.h"
#include "controllers/nodelifecycle/nodelifecycle.h"
#include "controllers/scheduler/scheduler.h"
#include "controllers/statefulset/statefulset.h"
#include "controllers/volume/volume.h"

/* Each controller exports its definition from its own folder. */
static const struct controller_def *const table[] = {
    &namespace_controller_def,
    &serviceaccount_controller_def,
    &gc_controller_def,
    &nodelifecycle_controller_def,
    &scheduler_controller_def,
    &endpoints_controller_def,
    &endpointslice_controller_def,
    &local_path_provisioner_def,
    &volume_binder_controller_def,
    &volume_protection_controller_def,
    &volume_expand_controller_def,
    &statefulset_controller_def,
};

struct controllers {
    void *state[ARRAY_SIZE(table)];
};

int controllers_start(const struct ctrl_env *env, struct controllers **out)
{
    struct controllers *c = xcalloc(1, sizeof(*c));

    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        if (!table[i])
            continue;
        int rc = table[i]->start(env, &c->state[i]);
        if (rc < 0) {
            log_error("controllers", "cannot start the %s controller: %d", table[i]->name, rc);
            controllers_stop(c);
            return rc;
        }
    }
    informer_factory_start(env->informers);
    *out = c;
    return 0;
}

void controllers_stop(struct controllers *c)
{
    if (!c)
        return;
    for (size_t i = ARRAY_SIZE(table); i-- > 0;)
        if (table[i] && c->state[i])
            table[i]->stop(c->state[i]);
    free(c);
}
