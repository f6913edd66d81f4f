/* decode.h — bringing a request body into the stored form, driven by the schema.
 *
 * What upstream gets from decoding JSON into Go structs and encoding it again:
 *   - type errors are refused (400, "json: cannot unmarshal string into Go struct field
 *     StatefulSetSpec.spec.replicas of type int32");
 *   - fields the schema does not know are dropped and reported (fieldValidation: Strict makes
 *     them an error, Warn a warning header, Ignore nothing);
 *   - null values and omitempty zero values are dropped; value structs (SCH_F_VALUE) appear as {};
 *   - quantities are canonicalised ("1024Mi" -> "1Gi"), times reformatted to RFC 3339 UTC,
 *     base64 checked; malformed ones are refused (400).
 */
#ifndef BERTH_DECODE_H
#define BERTH_DECODE_H

#include "api/schema.h"
#include "base/json.h"
#include "base/strbuf.h"

struct decode_report {
    struct strbuf unknown; /* unknown field paths, each as upstream prints it: `unknown field
                            * "spec.foo"`, separated by "\n" */
    size_t nunknown;
    struct strbuf duplicate; /* reserved for duplicate-field reports */
};
#define DECODE_REPORT_INIT {STRBUF_INIT, 0, STRBUF_INIT}

void decode_report_release(struct decode_report *r);

/* Normalise obj in place against type t. Returns 0, or -EINVAL with the error (upstream
 * wording, without the "<Kind> in version ... cannot be handled as a <Kind>: " prefix, which
 * the server adds) appended to err. Unknown fields are removed and recorded in rep. */
int schema_decode(const struct sch_type *t, json_t *obj, struct decode_report *rep,
                  struct strbuf *err);

#endif
