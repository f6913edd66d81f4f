/* strategy.h — per-kind behaviour of the API server's write path (upstream "rest strategies").
 *
 * All functions are pure: they see JSON objects (jansson) and never the store or the network.
 * The server calls them in this order for every write, whatever verb made it:
 *   create:  decode -> prepare_create -> defaults -> validate_meta + validate
 *   update:  decode -> prepare_update -> defaults -> validate_meta + validate_update
 *   status:  decode -> (server copies everything but status from old) -> validate_status
 * Every field of the table may be NULL (nothing to do).
 */
#ifndef BERTH_STRATEGY_H
#define BERTH_STRATEGY_H

#include "api/errors.h"
#include "api/resource.h"
#include "base/json.h"

struct res_strategy {
    /* Upstream SetDefaults_* for the kind, recursively (a StatefulSet's pod template gets the
     * PodSpec defaults). Idempotent. */
    void (*defaults)(json_t *obj);
    /* Reset fields a create may not set (for kinds with a status subresource, status is
     * cleared or reset to the initial phase, e.g. Pod phase Pending). */
    void (*prepare_create)(json_t *obj);
    /* On update of the main resource: keep what the update may not change, from old (status for
     * kinds with RES_SUB_STATUS is already copied by the server). */
    void (*prepare_update)(json_t *obj, const json_t *old);
    /* Validation of a new object (metadata is checked separately by validate_meta). */
    void (*validate)(const json_t *obj, struct ferrs *errs);
    /* Validation of an update: immutable fields against old, then the object itself. */
    void (*validate_update)(const json_t *obj, const json_t *old, struct ferrs *errs);
    /* Validation of a status update. */
    void (*validate_status)(const json_t *obj, const json_t *old, struct ferrs *errs);
    /* Field selector values beyond metadata.name/namespace: sets *val (borrowed from obj or a
     * static string; "" when unset) and returns true if `field` is supported for this kind. */
    bool (*field_value)(const json_t *obj, const char *field, const char **val);
};

/* The strategy of a kind (never NULL; fields may be NULL). */
const struct res_strategy *res_strategy(enum res_id id);

/* Object metadata validation common to all kinds (upstream ValidateObjectMeta /
 * ValidateObjectMetaUpdate): name per r->name_rule (or generateName), namespace presence for
 * namespaced kinds and absence otherwise, labels, annotations (total size <= 256 KiB), owner
 * references, finalizers; on update, immutable metadata (name, namespace, uid,
 * creationTimestamp) and deletion rules. `old` is NULL on create. */
void validate_meta(const struct resource *r, const json_t *obj, const json_t *old,
                   struct ferrs *errs);

#endif
