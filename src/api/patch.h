/* patch.h — the three patch types the API server accepts.
 *
 * Each takes the current object and the patch document and returns a new object (caller owns
 * *out; the inputs are not modified). On failure *out is untouched and a message (upstream's
 * wording where it has one) is appended to err; the return value says which HTTP status the
 * server answers:
 *   -EINVAL  400 BadRequest: the patch document itself is malformed (wrong JSON type, unknown
 *            op, bad directive);
 *   -EILSEQ  422 (Unprocessable, no details): a well-formed patch that cannot be applied to this
 *            object (JSON patch "test" failed, path not found, index out of range).
 */
#ifndef BERTH_PATCH_H
#define BERTH_PATCH_H

#include "api/schema.h"
#include "base/json.h"
#include "base/strbuf.h"

/* RFC 7386 JSON merge patch (application/merge-patch+json). */
int patch_merge(const json_t *orig, const json_t *patch, json_t **out, struct strbuf *err);

/* RFC 6902 JSON patch (application/json-patch+json): add, remove, replace, move, copy, test,
 * JSON pointers with ~0/~1 escapes and "-" for append. */
int patch_json(const json_t *orig, const json_t *ops, json_t **out, struct strbuf *err);

/* Strategic merge patch (application/strategic-merge-patch+json) against schema type t:
 * maps merge recursively and null deletes; lists with a merge key merge by key (SCH_F_MERGE),
 * lists of scalars with SCH_F_SET merge as sets, other lists are replaced; directives
 * "$patch": replace | delete | merge, "$retainKeys", "$setElementOrder/<field>",
 * "$deleteFromPrimitiveList/<field>". Fields unknown to the schema are merged as plain maps /
 * replaced lists. */
int patch_strategic(const struct sch_type *t, const json_t *orig, const json_t *patch,
                    json_t **out, struct strbuf *err);

#endif
