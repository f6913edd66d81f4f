/* fake.h — an in-memory API server behind the client interface, for controller unit tests
 * (as client-go's fake clientset plus upstream's fake pod control with error injection).
 *
 * It keeps objects per resource with a global resourceVersion, and behaves like berth's server
 * where controllers can tell: create fills uid, creationTimestamp, resourceVersion and
 * generation, applies the kind's defaults (api/strategy.h), refuses an existing name
 * (-EEXIST) and generates names from generateName; update and update of "status" are
 * compare-and-swap when the object carries a resourceVersion (-ESTALE), the main resource keeps
 * the stored status and the status subresource keeps everything else, generation is bumped on
 * spec changes; patch supports the three patch types (api/patch.h); delete honours finalizers
 * (sets deletionTimestamp) and preconditions; bind sets spec.nodeName; list and watch honour
 * namespaces and selectors and deliver events in order, so informers work over it.
 *
 * Every call is counted per verb and resource. Error injection makes the Nth matching call
 * (and every later one, while armed) fail with a given errno without changing anything.
 */
#ifndef BERTH_FAKE_H
#define BERTH_FAKE_H

#include "client/client.h"

struct kclient *kfake_new(void);

/* Verbs: "get", "list", "create", "update", "update/status", "patch", "delete", "bind",
 * "watch". verb NULL matches every verb; r RES_COUNT matches every resource. */
void kfake_fail_after(struct kclient *c, const char *verb, enum res_id r, int after_n_calls,
                      int err);
void kfake_clear_failures(struct kclient *c);
int kfake_calls(struct kclient *c, const char *verb, enum res_id r);

/* Direct access, not counted and never failing: seed or inspect the fake's state.
 * kfake_put creates or replaces (new resourceVersion); kfake_get returns a new reference or
 * NULL; kfake_remove deletes at once (no finalizers); kfake_list returns a JSON array. */
int kfake_put(struct kclient *c, enum res_id r, const json_t *obj);
json_t *kfake_get(struct kclient *c, enum res_id r, const char *ns, const char *name);
int kfake_remove(struct kclient *c, enum res_id r, const char *ns, const char *name);
json_t *kfake_list(struct kclient *c, enum res_id r, const char *ns);

/* Block until every informer and watch over this fake has seen every write made so far
 * (deterministic tests). */
void kfake_flush(struct kclient *c);

#endif
