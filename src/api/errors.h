/* errors.h — Kubernetes API errors: field errors (validation) and Status objects.
 *
 * Field errors follow k8s.io/apimachinery/pkg/util/validation/field: each has a type, a field
 * path ("spec.template.spec.containers[0].image"), the bad value and a detail. Their text is
 * what kubectl prints after "The StatefulSet "web" is invalid: ".
 *
 * struct api_err is one failed request: HTTP code, reason, message, details. One function,
 * api_err_to_status(), turns it into the metav1.Status body. Handlers never build Status JSON
 * by hand.
 */
#ifndef BERTH_API_ERRORS_H
#define BERTH_API_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/json.h"

enum ferr_type {
    FERR_NOT_FOUND,     /* "Not found: <value>"           reason FieldValueNotFound */
    FERR_REQUIRED,      /* "Required value[: detail]"     reason FieldValueRequired */
    FERR_DUPLICATE,     /* "Duplicate value: <value>"     reason FieldValueDuplicate */
    FERR_INVALID,       /* "Invalid value: <value>: <detail>" reason FieldValueInvalid */
    FERR_NOT_SUPPORTED, /* "Unsupported value: <value>: supported values: ..." */
    FERR_FORBIDDEN,     /* "Forbidden: <detail>"          reason FieldValueForbidden */
    FERR_TOO_LONG,      /* "Too long: <detail>"           reason FieldValueTooLong */
    FERR_TOO_MANY,      /* "Too many: <value>: <detail>"  reason FieldValueTooMany */
    FERR_INTERNAL,      /* "Internal error: <detail>"     reason InternalError */
    FERR_TYPE_INVALID,  /* "Invalid value: <value>: <detail>" reason FieldValueTypeInvalid */
};

struct ferr {
    enum ferr_type type;
    char *field;  /* path, e.g. "spec.replicas" */
    char *value;  /* the value as upstream renders it (strings quoted), or NULL for none */
    char *detail; /* may be NULL */
};

struct ferrs {
    struct ferr *v;
    size_t nr, alloc;
};
#define FERRS_INIT {NULL, 0, 0}

void ferrs_release(struct ferrs *e);

/* Append errors. `value` arguments are JSON values rendered as upstream does: strings in double
 * quotes, numbers and booleans bare, null as "null"; pass NULL for no value. */
void ferr_add(struct ferrs *e, enum ferr_type type, const char *field, const json_t *value,
              const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));
void ferr_required(struct ferrs *e, const char *field, const char *detail);
void ferr_invalid(struct ferrs *e, const char *field, const json_t *value, const char *detail_fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Shorthands for values that are plain C strings / integers. */
void ferr_invalid_str(struct ferrs *e, const char *field, const char *value, const char *detail);
void ferr_invalid_int(struct ferrs *e, const char *field, long long value, const char *detail);
void ferr_not_supported(struct ferrs *e, const char *field, const char *value,
                        const char *const *supported /* NULL-terminated */);
void ferr_duplicate(struct ferrs *e, const char *field, const json_t *value);
void ferr_forbidden(struct ferrs *e, const char *field, const char *detail);
void ferr_too_long(struct ferrs *e, const char *field, long long max_len);
/* The text after the field path, e.g. "Invalid value: -1: must be greater than or equal to 0".
 * Caller owns it. */
char *ferr_body(const struct ferr *f);
/* "<field>: <body>". Caller owns it. */
char *ferr_string(const struct ferr *f);
const char *ferr_reason(enum ferr_type t);

struct api_err {
    int code;            /* HTTP status */
    const char *reason;  /* metav1.StatusReason ("NotFound", "Invalid", ...) or NULL */
    char *message;
    /* details (omitted when name, kind and causes are all empty) */
    char *name;
    char *group;
    char *kind;          /* a resource plural for most errors, the Kind for Invalid */
    struct ferrs causes;
    int retry_after;     /* seconds, 0 for none */
};
#define API_ERR_INIT {0, NULL, NULL, NULL, NULL, NULL, FERRS_INIT, 0}

void api_err_release(struct api_err *e);
/* The metav1.Status object for e (new reference). */
json_t *api_err_to_status(const struct api_err *e);

/* Constructors. `qualified` is the group-qualified resource ("statefulsets.apps", or "pods" for
 * the core group); they fill e (which must be API_ERR_INIT or released). Messages are upstream's:
 *   not_found:       404 NotFound      `statefulsets.apps "web" not found`
 *   already_exists:  409 AlreadyExists `statefulsets.apps "web" already exists`
 *   conflict:        409 Conflict      `Operation cannot be fulfilled on statefulsets.apps "web": <msg>`
 *   invalid:         422 Invalid       `StatefulSet.apps "web" is invalid: <errors>` (takes ownership of
 *                                      *errs' contents, leaving *errs empty)
 *   bad_request:     400 BadRequest    <msg>
 *   forbidden:       403 Forbidden     `statefulsets.apps "web" is forbidden: <msg>`
 *   unauthorized:    401 Unauthorized  "Unauthorized"
 *   method_not_allowed 405, unsupported_media_type 415, too_large 413, expired 410 (reason Expired),
 *   gone 410, internal 500 (InternalError), timeout 504, service_unavailable 503,
 *   not_acceptable 406, unprocessable 422 with no details (patch application errors). */
void api_err_not_found(struct api_err *e, const char *group, const char *resource, const char *name);
void api_err_already_exists(struct api_err *e, const char *group, const char *resource,
                            const char *name);
void api_err_conflict(struct api_err *e, const char *group, const char *resource,
                      const char *name, const char *msg);
void api_err_invalid(struct api_err *e, const char *group, const char *kind, const char *name,
                     struct ferrs *errs);
void api_err_bad_request(struct api_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void api_err_forbidden(struct api_err *e, const char *group, const char *resource,
                       const char *name, const char *msg);
void api_err_unauthorized(struct api_err *e);
void api_err_method_not_allowed(struct api_err *e, const char *msg);
void api_err_unsupported_media_type(struct api_err *e, const char *content_type);
void api_err_too_large(struct api_err *e, const char *msg);
void api_err_expired(struct api_err *e, const char *msg);
void api_err_gone(struct api_err *e, const char *msg);
void api_err_internal(struct api_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void api_err_timeout(struct api_err *e, const char *msg);
void api_err_service_unavailable(struct api_err *e, const char *msg);
void api_err_not_acceptable(struct api_err *e, const char *msg);
void api_err_unprocessable(struct api_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Generic: any code/reason/message, no details. */
void api_err_set(struct api_err *e, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
