/* protobuf.h — Kubernetes protobuf request bodies, turned into the JSON a JSON client would send.
 *
 * Typed clients (kubectl create namespace/configmap/secret/service/serviceaccount, kubectl drain's
 * deletes, controllers using client-go) send bodies as `application/vnd.kubernetes.protobuf`:
 * the 4-byte magic "k8s\0", then a runtime.Unknown message
 *
 *   1: typeMeta {1: apiVersion, 2: kind}   2: raw (the object's own message)
 *   3: contentEncoding                     4: contentType
 *
 * and raw is the Go struct as gogo-protobuf marshals it, field numbers from upstream's
 * generated.proto (the proto=N of src/api/schema, api/schema.h's sch_pb_types).
 *
 * The decoder builds the JSON object the same Go struct would marshal to, before omitempty:
 * Go writes every non-pointer scalar even when zero ("" for an empty generateName), and so does
 * this decoder; schema_decode (api/decode.h) then drops omitempty zeros exactly as for JSON input,
 * so a protobuf body and the equivalent JSON body end up byte-identical after schema_decode.
 * Mapping, field by field (the schema kind decides):
 *   - int32, int64, bool: varints (int32 truncated as Go does); double: fixed64. Repeated
 *     numbers may be packed or not.
 *   - string: UTF-8 (invalid sequences become U+FFFD, as Go's JSON encoder writes them; a NUL
 *     byte is refused, as the JSON path refuses \u0000); bytes: base64 (StdEncoding).
 *   - struct: a nested message, {} when empty; repeated occurrences of a message field merge,
 *     of a scalar the last wins (protobuf semantics). An inline member (Volume's VolumeSource) is
 *     a nested message whose fields land flat in the parent object.
 *   - []T: one element per occurrence; map[T]: repeated {1: key, 2: value} entries (missing
 *     key "", missing value the zero value).
 *   - metav1.Time {1: seconds, 2: nanos}: an empty message is the zero Time, JSON null; else
 *     RFC 3339 at second precision (upstream drops the nanos); MicroTime keeps microseconds.
 *     Years outside 0..9999 are refused (Go's Time.MarshalJSON refuses them).
 *   - resource.Quantity {1: string}: the string ("0" for an empty message).
 *   - intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}: a number or a
 *     string; any other type is refused ("impossible IntOrString.Type").
 *   - runtime.RawExtension and metav1.FieldsV1 ({1: raw JSON}, schema kind "any"): the parsed
 *     JSON value, null when empty.
 * TypeMeta fields (apiVersion, kind) are not in the message: the envelope carries them.
 *
 * Untrusted input: every read is bounds-checked, message nesting (plus JSON nesting inside raw
 * extensions) is bounded by JSON_MAX_DEPTH, and the number of JSON values built is bounded by
 * the input length. Field numbers the schema does not know are skipped, as upstream's generated
 * code skips them (it never reports them, whatever fieldValidation says: a newer client writes
 * every non-pointer field, set or not, and must not be refused for it); they are recorded in
 * the report for whoever wants to know.
 *
 * Errors use the wording of upstream's generated code where it has one: "unexpected EOF",
 * "proto: integer overflow", "proto: negative length found during unmarshaling",
 * "proto: wrong wireType = 0 for field Name", "proto: Namespace: illegal tag 0 (wire type 2)".
 * The server wraps them as kube-apiserver does (400 BadRequest, `Namespace in version "v1"
 * cannot be handled as a Namespace: <error>`).
 */
#ifndef BERTH_PROTOBUF_H
#define BERTH_PROTOBUF_H

#include <stddef.h>

#include "api/schema.h"
#include "base/json.h"
#include "base/strbuf.h"

/* The media type, and the magic every body starts with (4 bytes, the last one NUL). */
#define PB_CONTENT_TYPE "application/vnd.kubernetes.protobuf"
#define PB_MAGIC "k8s"
#define PB_MAGIC_LEN 4

/* The runtime.Unknown envelope. Strings are owned (release with pb_envelope_release); raw points
 * into the body passed to pb_unwrap and lives as long as it does. */
struct pb_envelope {
    char *api_version;      /* typeMeta.apiVersion, "" when absent */
    char *kind;             /* typeMeta.kind, "" when absent */
    const unsigned char *raw; /* the object's message */
    size_t raw_len;
    char *content_encoding; /* "" when absent; upstream ignores it, so does berth */
    char *content_type;     /* "" when absent; idem */
};
#define PB_ENVELOPE_INIT {NULL, NULL, NULL, 0, NULL, NULL}

/* What pb_decode skipped. */
struct pb_report {
    struct strbuf skipped; /* one line per unknown field: `unknown protobuf field 25 in
                            * "spec.containers[0]"` ("" for the top level), "\n"-separated */
    size_t nskipped;
};
#define PB_REPORT_INIT {STRBUF_INIT, 0}

void pb_report_release(struct pb_report *rep);

/* Check the magic and unwrap body (len bytes). Returns 0, or -EINVAL with upstream's message
 * appended to err ("empty data", "empty body", "provided data does not appear to be a protobuf
 * message, expected prefix [107 56 115 0]", or an error of the Unknown message); env is then
 * left empty (still safe to release). */
int pb_unwrap(const void *body, size_t len, struct pb_envelope *env, struct strbuf *err);
void pb_envelope_release(struct pb_envelope *env);

/* Decode msg (len bytes, one message of type t, which must be one of sch_types) into a new JSON
 * object in *out (caller owns it). Returns 0, or -EINVAL with the error appended to err and *out
 * NULL. rep may be NULL. */
int pb_decode(const struct sch_type *t, const void *msg, size_t len, json_t **out,
              struct pb_report *rep, struct strbuf *err);

#endif
