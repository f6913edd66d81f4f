/* patch_merge.c — RFC 7386 JSON merge patch (application/merge-patch+json).
 *
 * The result is built fresh: keys of the target keep their order, keys the patch adds follow in
 * the patch's order. Recursion follows the patch, so it is never deeper than the patch.
 */
#include <errno.h>

#include "api/patch.h"
#include "base/alloc.h"

/* MergePatch(Target, Patch) of RFC 7386 §2, target borrowed (may be NULL), result owned. */
static json_t *merge_value(const json_t *target, const json_t *patch)
{
    const char *key;
    json_t *tv, *pv, *out;

    if (!json_is_object(patch))
        return json_deep_copy(patch);

    out = json_object();
    if (json_is_object(target)) {
        json_object_foreach ((json_t *)target, key, tv) {
            pv = json_object_get(patch, key);
            if (!pv)
                json_object_set_new(out, key, json_deep_copy(tv));
            else if (!json_is_null(pv))
                json_object_set_new(out, key, merge_value(tv, pv));
            /* a null in the patch removes the member */
        }
    }
    json_object_foreach ((json_t *)patch, key, pv) {
        if (json_is_null(pv) || (json_is_object(target) && json_object_get(target, key)))
            continue;
        json_object_set_new(out, key, merge_value(NULL, pv));
    }
    return out;
}

int patch_merge(const json_t *orig, const json_t *patch, json_t **out, struct strbuf *err)
{
    /* RFC 7386 would return a scalar or null patch as the new document; the API server
     * (evanphx/json-patch MergePatch) refuses both as "Invalid JSON Patch" (400). An array
     * patch does become the document, which the caller's decoding then refuses. */
    if (!patch || !(json_is_object(patch) || json_is_array(patch))) {
        strbuf_addstr(err, "Invalid JSON Patch");
        return -EINVAL;
    }
    *out = merge_value(orig, patch);
    return 0;
}
