/* selector.h — label selectors and field selectors (k8s.io/apimachinery/pkg/labels, fields).
 *
 * Label selector string grammar as upstream: comma-separated requirements
 *   key, !key, key=v, key==v, key!=v, key in (a,b), key notin (a,b), key>3, key<3
 * with keys validated as qualified names and values as label values. The structured form is
 * metav1.LabelSelector {matchLabels, matchExpressions[{key, operator In|NotIn|Exists|DoesNotExist,
 * values}]}. An empty selector matches everything; a NULL LabelSelector object (absent) matches
 * nothing where upstream says so (callers decide).
 *
 * Field selector grammar: comma-separated "field=value", "field==value", "field!=value", with
 * upstream escaping (\, \= \! and \\). Which fields exist is the caller's business (per resource).
 */
#ifndef BERTH_SELECTOR_H
#define BERTH_SELECTOR_H

#include <stdbool.h>

#include "base/json.h"
#include "base/strbuf.h"

struct label_selector; /* opaque; immutable once built, safe to share between threads */

/* Parse the string form. Returns 0 and *out (caller frees with label_selector_free), or -EINVAL
 * with upstream's message appended to err (e.g. "unable to parse requirement: ..."). An empty or
 * NULL string yields a selector that matches everything. */
int label_selector_parse(const char *s, struct label_selector **out, struct strbuf *err);
/* Build from a metav1.LabelSelector JSON object. -EINVAL with a message for bad operators,
 * missing/extra values, bad keys or values. NULL sel yields match-everything. */
int label_selector_from_json(const json_t *sel, struct label_selector **out, struct strbuf *err);
void label_selector_free(struct label_selector *sel);

/* Does the labels object (string -> string; NULL means no labels) satisfy the selector? */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels);
bool label_selector_is_empty(const struct label_selector *sel);
/* Canonical string form as upstream's Selector.String() (requirements sorted by key),
 * e.g. "app=web,tier in (a,b)". Caller owns it. */
char *label_selector_string(const struct label_selector *sel);

struct field_selector; /* opaque, immutable */

enum field_op { FIELD_EQ, FIELD_NE };
struct field_req {
    const char *field;
    const char *value; /* unescaped */
    enum field_op op;
};

/* Parse. Returns 0 and *out, or -EINVAL with a message. Empty/NULL matches everything. */
int field_selector_parse(const char *s, struct field_selector **out, struct strbuf *err);
void field_selector_free(struct field_selector *sel);
/* Requirements, for the caller to check supported field names: returns count, sets *reqs. */
size_t field_selector_reqs(const struct field_selector *sel, const struct field_req **reqs);
/* Match, looking fields up through get(ctx, field) (NULL from get means ""). */
bool field_selector_matches(const struct field_selector *sel,
                            const char *(*get)(void *ctx, const char *field), void *ctx);
/* If the selector requires field == value, return that value (borrowed), else NULL.
 * Used to turn "metadata.name=x" into a point lookup. */
const char *field_selector_exact(const struct field_selector *sel, const char *field);

#endif
