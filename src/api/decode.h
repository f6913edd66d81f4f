/* decode.h — bringing a request body into the stored form, driven by the schema.
 *
 * What upstream gets from decoding JSON into Go structs (sigs.k8s.io/json, case-sensitive) and
 * encoding it again:
 *   - type errors are refused, worded as encoding/json words them: "json: cannot unmarshal
 *     string into Go struct field StatefulSetSpec.spec.replicas of type int32" (the innermost Go
 *     struct, then the JSON field path without indices or map keys; an integer field given 3.0
 *     says "number 3.0"). The first type error in document order wins, but an error from a
 *     custom unmarshaler (Quantity: QUANTITY_REGEX_MSG; IntOrString; Time: Go's time.Parse
 *     text `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`)
 *     stops decoding and wins over it. Bad base64 says "illegal base64 data at input byte N";
 *   - fields the schema does not know are removed and reported (case matters: "Replicas" is
 *     unknown), in document order, at most 100;
 *   - absent and null fields (null means "leave the zero value" to Go) are dropped, except:
 *     SCH_F_VALUE (=) fields are serialised at their zero (value structs as {} normalised
 *     recursively, value times as null, non-omitempty scalars as 0/""/false, non-omitempty
 *     lists and maps as null), SCH_F_NULLABLE ones as null (pointers without omitempty);
 *   - omitempty drops a present "", 0, false, [] or {} unless the field has SCH_F_KEEPZERO
 *     (pointer scalars and non-omitempty fields) or SCH_F_VALUE; structs, quantities,
 *     int-or-strings and times are never dropped for being empty (Go structs);
 *   - quantities are canonicalised ("1024Mi" -> "1Gi", 0.5 -> "500m"), times re-encoded in UTC
 *     ("2006-01-02T15:04:05Z"; MicroTime needs and keeps exactly six fraction digits), base64
 *     re-encoded canonically; struct fields come out in schema (Go) order, map keys sorted.
 *
 * What the server makes of it (kube-apiserver v1.32, checked in its handlers):
 *   - POST/PUT body that fails to decode: 400 BadRequest, message `StatefulSet in version "v1"
 *     cannot be handled as a StatefulSet: <err>`.
 *   - Unknown fields with ?fieldValidation=Strict (what kubectl apply/edit/create send), POST
 *     and PUT: also 400 BadRequest (not 422), message
 *       StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error:
 *       unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"
 *     (the rep->unknown lines joined with ", "); kubectl prints `Error from server
 *     (BadRequest): error when creating "sts.yaml": StatefulSet in version "v1" cannot be
 *     handled as a StatefulSet: strict decoding error: unknown field "spec.foo"`.
 *   - Unknown fields in a PATCH (strategic, merge or JSON) with Strict: 422 Invalid with an
 *     empty kind and name: message ` "" is invalid: patch: Invalid value: "<patch>": strict
 *     decoding error: unknown field "spec.foo"`, one cause {reason FieldValueInvalid, field
 *     "patch"}; <patch> is the patch map in Go's %+v form (map[spec:map[foo:1]]) for a
 *     strategic merge patch and the patched object's JSON for merge/JSON patches. kubectl
 *     prints `The request is invalid: patch: Invalid value: "map[spec:map[foo:1]]": strict
 *     decoding error: unknown field "spec.foo"`. A type error after patching gets the same
 *     422 shape with the decode error in place of the strict one (worded by the unstructured
 *     converter for strategic merge patches).
 *   - fieldValidation=Warn, the default when the parameter is absent: the request succeeds
 *     with one `Warning: 299 - "unknown field \"spec.foo\""` header per field (kubectl prints
 *     `Warning: unknown field "spec.foo"`). Ignore (kubectl --validate=false) drops them
 *     silently.
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

/* Normalise obj in place against type t (the kind's type: apiVersion, kind and metadata are
 * fields of it). Returns 0, or -EINVAL with the error (upstream wording, without the "<Kind> in
 * version ... cannot be handled as a <Kind>: " prefix, which the server adds) appended to err;
 * obj is left untouched then. Unknown fields are removed and recorded in rep (not meaningful
 * after an error). rep and err may be NULL. */
int schema_decode(const struct sch_type *t, json_t *obj, struct decode_report *rep,
                  struct strbuf *err);

#endif
