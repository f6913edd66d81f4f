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
 * Where it departs from the server: it runs the kind's defaults and the metadata validation
 * (validate_meta: names, namespaces, labels, owner references) but not the kind's own
 * validation, so tests may create partial objects; pods are deleted at once (there is no node
 * to run a grace period) unless finalizers hold them; a watch resumes from any revision in the
 * last 4096 events (older: -ETIME, as the server's 410 Expired). Objects handed out (results,
 * watch events, kfake_get) are deep copies.
 *
 * Every call is counted per verb and resource. Error injection makes the Nth matching call
 * (and every later one, while armed) fail with a given errno without changing anything.
 */
#ifndef BERTH_FAKE_H
#define BERTH_FAKE_H

#include "client/client.h"

struct kclient *kfake_new(void);

/* Verbs: "get", "list", "create", "update", "update/status", "patch", "patch/status", "delete",
 * "bind" (resource RES_PODS), "watch". verb NULL matches every verb; r RES_COUNT matches every
 * resource. After kfake_fail_after, the first after_n_calls matching calls succeed and every
 * later one fails with err (a negative errno; st gets the matching HTTP code and reason) until
 * kfake_clear_failures. Calls are counted whether they fail or not. */
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

/* End every open watch stream normally (as a server ending them would); informers watch
 * again from their last revision. */
void kfake_close_watches(struct kclient *c);

/* Block until every informer and watch over this fake has seen every write made so far
 * (deterministic tests): every open watch has delivered those events (its callback returned),
 * and no informer is between lists and watches. An informer that cannot list or watch (an
 * armed failure) keeps flush waiting until the failure is cleared. */
void kfake_flush(struct kclient *c);

#endif
