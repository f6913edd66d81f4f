/* namespace.h — namespace lifecycle, as upstream's namespace controller
 * (pkg/controller/namespace) and its serviceaccounts controller.
 *
 * Deleting a namespace: the API server marks it (deletionTimestamp, status.phase Terminating,
 * spec.finalizers ["kubernetes"]). The namespace controller then, in passes:
 *   1. deletes every object of every namespaced resource of the table in it (propagation
 *      Background; pods keep their grace period, objects with finalizers stay until those
 *      are removed), and lists what remains;
 *   2. writes the five deletion conditions of status.conditions (NamespaceDeletionDiscovery-
 *      Failure, NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure,
 *      NamespaceContentRemaining, NamespaceFinalizersRemaining) with upstream's reasons and
 *      messages;
 *   3. while content remains, looks again later — after upstream's estimate (half the
 *      longest pod grace period, or of 15 s for finalizers, plus one second), and at once when
 *      an object of a terminating namespace disappears;
 *   4. once nothing remains, removes "kubernetes" from spec.finalizers through
 *      PUT namespaces/NAME/finalize, and the API server deletes the namespace.
 * As upstream, a pass starts 5 s after the namespace was marked, so that writes admitted just
 * before the mark have landed.
 *
 * The serviceaccounts controller creates the `default` ServiceAccount in every Active
 * namespace, and again if it is deleted.
 */
#ifndef BERTH_NAMESPACE_H
#define BERTH_NAMESPACE_H

#include <stdint.h>

#include "client/client.h"
#include "client/informer.h"
#include "controllers/manager.h"

/* "namespace": the namespace lifecycle controller. */
extern const struct controller_def namespace_controller_def;
/* "serviceaccount": the default ServiceAccount of every namespace. */
extern const struct controller_def serviceaccount_controller_def;

/* One deletion pass over namespace `name` through client c (upstream's
 * namespacedResourcesDeleter.Delete). Returns 0 when there is nothing (more) to do for now,
 * with *estimate_s > 0 when content remains and the pass should be repeated after about that
 * many seconds; or a negative errno (a write or list failed: retry with backoff). Reads the
 * namespace and its content live, never from a cache. */
int ns_delete_pass(struct kclient *c, const char *name, int64_t *estimate_s);

/* The default ServiceAccount of namespace `name`, given the namespace and ServiceAccount
 * informers (their caches decide whether anything is missing): created when the namespace is
 * Active and the account absent. 0 or a negative errno. */
int sa_sync_namespace(struct kclient *c, struct informer *namespaces,
                      struct informer *serviceaccounts, const char *name);

#endif
