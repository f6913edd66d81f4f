/* schema.h — the type schema of every object berth serves, generated at build time.
 *
 * The .sch files in src/api/schema describe each Kubernetes type (fields, types, patch strategy,
 * descriptions) in a small line-based language (see tools/schemagen.c for the grammar).
 * tools/schemagen compiles them into constant tables (build/gen/schema_gen.c). One schema drives:
 *   - decoding: type checks, unknown-field detection (fieldValidation) and pruning, normalising
 *     quantities and times (api/decode.h);
 *   - strategic merge patch: merge keys and list strategies (api/patch.h);
 *   - OpenAPI v3 documents for kubectl's field validation and `kubectl explain` (server);
 *   - protobuf request bodies: each field's number in upstream's generated.proto, and the Go
 *     embedded structs that JSON flattens but protobuf nests (sch_pb_types, api/protobuf.h).
 */
#ifndef BERTH_SCHEMA_H
#define BERTH_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

enum sch_kind {
    SCH_STRING,
    SCH_INT32,
    SCH_INT64,
    SCH_BOOL,
    SCH_DOUBLE,
    SCH_QUANTITY,  /* resource.Quantity: a string (or number) in quantity syntax */
    SCH_INTSTR,    /* intstr.IntOrString */
    SCH_TIME,      /* metav1.Time, RFC 3339, second precision */
    SCH_MICROTIME, /* metav1.MicroTime */
    SCH_BYTES,     /* []byte, base64 in JSON */
    SCH_ANY,       /* free-form JSON (runtime.RawExtension, JSON) */
    SCH_STRUCT,    /* a named type, see .type */
    SCH_ARRAY,     /* elements of type .elem */
    SCH_MAP,       /* string keys, values of type .elem */
};

struct sch_type;

struct sch_ref {
    enum sch_kind kind;
    const struct sch_type *type; /* SCH_STRUCT */
    const struct sch_ref *elem;  /* SCH_ARRAY, SCH_MAP */
};

enum sch_flag {
    SCH_F_REQUIRED = 1 << 0,   /* listed in the OpenAPI "required" of its type */
    SCH_F_VALUE = 1 << 1,      /* Go value struct or non-omitempty field: always serialised
                                * ({} for a struct, zero for a scalar) */
    SCH_F_MERGE = 1 << 2,      /* list with patchStrategy merge, keyed by merge_key */
    SCH_F_RETAINKEYS = 1 << 3, /* patchStrategy retainKeys (may combine with MERGE) */
    SCH_F_SET = 1 << 4,        /* list of scalars with patchStrategy merge (a set, e.g. finalizers) */
    SCH_F_ATOMIC = 1 << 5,     /* x-kubernetes-list-type/map-type atomic */
    SCH_F_KEEPZERO = 1 << 6,   /* not omitempty: a zero scalar is kept ("", 0, false) */
    SCH_F_NULLABLE = 1 << 7,   /* an explicit null is kept (rare) */
};

struct sch_field {
    const char *name;
    const struct sch_ref *ref;
    unsigned flags;                  /* enum sch_flag */
    const char *merge_key;           /* SCH_F_MERGE: the patchMergeKey */
    const char *const *list_map_keys;/* x-kubernetes-list-map-keys, NULL-terminated, or NULL */
    const char *const *enums;        /* allowed values, NULL-terminated, or NULL */
    const char *format;              /* OpenAPI format override ("byte", "date-time"...), or NULL */
    const char *desc;
};

struct sch_type {
    const char *name;    /* OpenAPI name: "io.k8s.api.apps.v1.StatefulSet" */
    const char *go_name; /* as Go error messages print it: "v1.StatefulSet" */
    const char *desc;
    const struct sch_field *fields;
    size_t nfields;
};

extern const struct sch_type sch_types[];
extern const size_t sch_ntypes;

/* --- The protobuf view (upstream's generated.proto), for api/protobuf.h ---
 *
 * Kept beside the types rather than in them so that struct sch_field and struct sch_type keep
 * their layout (code builds them by hand, positionally). */
struct sch_pb_field {
    unsigned num;                       /* the field number */
    const struct sch_field *field;      /* the schema field it carries (a field of the type), or
                                         * NULL for an inline member: */
    const struct sch_type *inline_type; /* a Go embedded struct (Volume's VolumeSource): a nested
                                         * message of this type whose fields land flat in the
                                         * parent's JSON object */
};

struct sch_pb_type {
    const struct sch_pb_field *fields; /* sorted by num */
    size_t nfields;
};

/* Parallel to sch_types. */
extern const struct sch_pb_type sch_pb_types[];

/* Look a type up by its full OpenAPI name; NULL if unknown. */
const struct sch_type *sch_type_find(const char *name);
/* A field of t by JSON name; NULL if t has no such field. */
const struct sch_field *sch_field_find(const struct sch_type *t, const char *name);
/* The schema of the value at a dotted field path below t ("spec.template.spec"), or NULL.
 * Arrays and maps are stepped through implicitly (their element type is used). */
const struct sch_ref *sch_ref_at(const struct sch_type *t, const char *dotted);

/* The protobuf field number num of t, or NULL when t has no such field or is not one of
 * sch_types (a type built by hand has no protobuf view). */
const struct sch_pb_field *sch_pb_find(const struct sch_type *t, unsigned num);
/* The protobuf field number of f, a field of t; 0 when it has none in t's message: TypeMeta's
 * apiVersion and kind (the envelope carries them), and fields an inline member brings in (they
 * are numbered in the embedded type). */
unsigned sch_field_proto(const struct sch_type *t, const struct sch_field *f);

#endif
