/* manager.h — the controller manager: every controller of berth, started together inside
 * `berth server`, each a client of the API through shared informers (DESIGN.md §1).
 *
 * A controller is a definition (name, start, stop). start registers informer handlers on the
 * shared factory (which the manager starts after every controller's start ran), creates its
 * work queue and workers (client/ctrlloop.h), and returns its state.
 */
#ifndef BERTH_MANAGER_H
#define BERTH_MANAGER_H

#include <stdbool.h>

#include "client/client.h"
#include "client/informer.h"

struct ctrl_env {
    struct kclient *client;              /* shared; thread-safe */
    struct informer_factory *informers;  /* shared informers, one per resource */
    const char *node_name;               /* the server's own node */
    const char *data_dir;                /* the server's data directory */
    bool default_storage_class;          /* create `local-path` as the default class */
};

struct controller_def {
    const char *name;
    int (*start)(const struct ctrl_env *env, void **state);
    void (*stop)(void *state);
};

struct controllers;

/* Start every controller of the table in manager.c, then the informers. */
int controllers_start(const struct ctrl_env *env, struct controllers **out);
void controllers_stop(struct controllers *c);

#endif
