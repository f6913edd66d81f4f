/* patch.h — the three patch types the API server accepts.
 *
 * Each takes the current object and the patch document and returns a new object (caller owns
 * *out; the inputs are not modified, and *out shares no node with them). On failure *out is
 * untouched and a message (upstream's wording where it has one) is appended to err; the return
 * value says which HTTP status the server answers:
 *   -EINVAL  400 BadRequest: the patch document itself is malformed (wrong JSON type, bad
 *            directive);
 *   -EILSEQ  422 (Unprocessable, no details): a well-formed patch that cannot be applied to this
 *            object (JSON patch "test" failed, path not found, index out of range);
 *   -E2BIG   413 RequestEntityTooLarge: a JSON patch of more than 10000 operations.
 *
 * Which is which, as upstream's staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go
 * decides it:
 *   - JSON patch: a body that jsonpatch.DecodePatch cannot decode (not an array, an element
 *     that is not an object) is 400; more than maxJSONPatchOperations (10000) is 413; every
 *     error of patchObj.Apply is 422 -- an unknown "op", a missing "path"/"value"/"from", a
 *     bad pointer or index, a missing target, a failed "test", and a "copy" total above
 *     JSONPatchMaxCopyBytes (3 MiB). A "null" body is an empty patch.
 *   - Merge patch: jsonpatch.MergePatch's ErrBadJSONPatch is 400; that is a null or scalar
 *     patch. An array patch becomes the new document (RFC 7386), which decoding then refuses.
 *   - Strategic merge patch: interpretStrategicMergePatchError answers 400 for the "invalid
 *     patch format of ..." errors (retainKeys, setElementOrder, primitive list) and 422 for
 *     "lists of lists are not supported"; a body that is not a JSON object is 400. Every other
 *     strategicpatch error (a missing merge key, an unknown "$patch" value, "$patch: merge" in a
 *     list, mixed element types) reaches upstream's client as a 500; berth answers 400 (-EINVAL)
 *     since the patch is at fault. A "null" body is an empty patch.
 */
#ifndef BERTH_PATCH_H
#define BERTH_PATCH_H

#include "api/schema.h"
#include "base/json.h"
#include "base/strbuf.h"

/* RFC 7386 JSON merge patch (application/merge-patch+json). -EINVAL for a null or scalar
 * patch, as above. */
int patch_merge(const json_t *orig, const json_t *patch, json_t **out, struct strbuf *err);

/* RFC 6902 JSON patch (application/json-patch+json): add, remove, replace, move, copy, test,
 * JSON pointers with ~0/~1 escapes and "-" for append. Operations apply in order to a copy;
 * the first failure abandons it. Stricter than upstream's library where it departs from the
 * RFC: "replace" needs an existing target, array indexes have no sign or leading zero. */
int patch_json(const json_t *orig, const json_t *ops, json_t **out, struct strbuf *err);

/* Strategic merge patch (application/strategic-merge-patch+json) against schema type t:
 * maps merge recursively and null deletes; lists with a merge key merge by key (SCH_F_MERGE),
 * lists of scalars with SCH_F_SET merge as sets, other lists are replaced; directives
 * "$patch": replace | delete | merge, "$retainKeys", "$setElementOrder/<field>",
 * "$deleteFromPrimitiveList/<field>". Fields unknown to the schema are merged as plain maps /
 * replaced lists (upstream refuses to merge them). t may be NULL: no field is known.
 * Follows k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch) closely, down to
 * the order of merged lists and its quirks: "$patch": "merge" is refused (in maps and in list
 * items), "$patch": "replace" inside a list of scalars is refused (mixed element types), a new
 * value taken from the patch loses its nulls and "$patch" maps, nulls and other directives in a
 * replaced list or map are kept as sent (decoding drops them). */
int patch_strategic(const struct sch_type *t, const json_t *orig, const json_t *patch, json_t **out,
                    struct strbuf *err);

#endif
