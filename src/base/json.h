/* json.h — small helpers over jansson (the JSON library everything in berth speaks).
 *
 * Objects returned as `const` or "borrowed" are owned by the containing json_t and live as long
 * as it does. Functions named *_new or returning char* hand ownership to the caller.
 */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"

/* Deepest nesting accepted from untrusted input (objects and arrays count one level each). */
#define JSON_MAX_DEPTH 100

/* Parse untrusted JSON text. Rejects nesting deeper than max_depth before building anything.
 * Returns a new reference, or NULL with a human-readable reason in *err (appended). */
json_t *json_parse_bounded(const char *buf, size_t len, int max_depth, struct strbuf *err);

/* Compact serialization (no spaces, key order kept). Caller owns the string. */
char *json_dump_compact(const json_t *v);
/* Append the compact serialization to sb. */
void json_dump_to(struct strbuf *sb, const json_t *v);

/* Borrowed lookups; NULL when absent or of another type. */
json_t *jget(const json_t *obj, const char *key);
json_t *jget_obj(const json_t *obj, const char *key);
json_t *jget_arr(const json_t *obj, const char *key);
const char *jget_str(const json_t *obj, const char *key);
/* Integer value, or def when absent or not an integer. */
int64_t jget_int(const json_t *obj, const char *key, int64_t def);
bool jget_bool(const json_t *obj, const char *key, bool def);

/* Walk a dotted path ("metadata.labels"). Keys may not contain dots. Borrowed; NULL if absent. */
json_t *jpath(const json_t *obj, const char *dotted);
const char *jpath_str(const json_t *obj, const char *dotted);
int64_t jpath_int(const json_t *obj, const char *dotted, int64_t def);

/* The object at obj[key], created (as {}) when absent or not an object. Borrowed. */
json_t *jensure_obj(json_t *obj, const char *key);
/* The array at obj[key], created when absent or not an array. Borrowed. */
json_t *jensure_arr(json_t *obj, const char *key);

/* Setters taking plain C values. */
void jset_str(json_t *obj, const char *key, const char *val);
void jset_int(json_t *obj, const char *key, int64_t val);
void jset_bool(json_t *obj, const char *key, bool val);

/* Canonical serialization: object keys sorted, compact. Caller owns the string.
 * Used wherever equality must not depend on key order (revision hashes, no-op detection). */
char *json_dump_canonical(const json_t *v);

/* A short name for a JSON value's type, as Go's encoding/json names it ("string", "number",
 * "object", "array", "bool"). */
const char *json_type_name(const json_t *v);

#endif
