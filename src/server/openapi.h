/* openapi.h — OpenAPI v3 documents generated from the resource table and the schema.
 *
 * kubectl needs them for field validation on apply/edit (a PATCH operation per kind carrying
 * the `fieldValidation` query parameter and `x-kubernetes-group-version-kind`) and for
 * `kubectl explain` (components.schemas down to leaf fields). See KUBECTL.md §4.
 *
 * The documents are built once and cached; the returned strings stay valid for the life of the
 * process (do not free them).
 */
#ifndef BERTH_OPENAPI_H
#define BERTH_OPENAPI_H

#include <stddef.h>

/* GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}
 * The hash is a content hash of the per-group-version document. */
const char *openapi_v3_root(size_t *len);

/* GET /openapi/v3/<gvpath>, gvpath being "api/v1" or "apis/apps/v1" (no leading slash, no
 * query). NULL if the server does not serve that group-version. *etag gets the content hash. */
const char *openapi_v3_doc(const char *gvpath, size_t *len, const char **etag);

#endif
