/* errors.c — field errors and Status objects, worded as k8s.io/apimachinery words them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/errors.h"
#include "base/alloc.h"
#include "base/strbuf.h"

/* --- Field errors --- */

static const char *const type_text[] = {
    [FERR_NOT_FOUND] = "Not found",         [FERR_REQUIRED] = "Required value",
    [FERR_DUPLICATE] = "Duplicate value",   [FERR_INVALID] = "Invalid value",
    [FERR_NOT_SUPPORTED] = "Unsupported value", [FERR_FORBIDDEN] = "Forbidden",
    [FERR_TOO_LONG] = "Too long",           [FERR_TOO_MANY] = "Too many",
    [FERR_INTERNAL] = "Internal error",     [FERR_TYPE_INVALID] = "Invalid value",
};

static const char *const type_reason[] = {
    [FERR_NOT_FOUND] = "FieldValueNotFound",     [FERR_REQUIRED] = "FieldValueRequired",
    [FERR_DUPLICATE] = "FieldValueDuplicate",    [FERR_INVALID] = "FieldValueInvalid",
    [FERR_NOT_SUPPORTED] = "FieldValueNotSupported", [FERR_FORBIDDEN] = "FieldValueForbidden",
    [FERR_TOO_LONG] = "FieldValueTooLong",       [FERR_TOO_MANY] = "FieldValueTooMany",
    [FERR_INTERNAL] = "InternalError",           [FERR_TYPE_INVALID] = "FieldValueTypeInvalid",
};

const char *ferr_reason(enum ferr_type t)
{
    return type_reason[t];
}

void ferrs_release(struct ferrs *e)
{
    for (size_t i = 0; i < e->nr; i++) {
        free(e->v[i].field);
        free(e->v[i].value);
        free(e->v[i].detail);
    }
    free(e->v);
    e->v = NULL;
    e->nr = e->alloc = 0;
}

/* Go's %q for a string: double quotes, with escapes for quotes, backslashes and controls. */
static void add_go_quoted(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            strbuf_addch(sb, '\\');
            strbuf_addch(sb, *p);
        } else if (*p == '\n') {
            strbuf_addstr(sb, "\\n");
        } else if (*p == '\t') {
            strbuf_addstr(sb, "\\t");
        } else if (*p == '\r') {
            strbuf_addstr(sb, "\\r");
        } else if (*p < 0x20 || *p == 0x7f) {
            strbuf_addf(sb, "\\x%02x", *p);
        } else {
            strbuf_addch(sb, *p);
        }
    }
    strbuf_addch(sb, '"');
}

static char *render_value(const json_t *v)
{
    struct strbuf sb = STRBUF_INIT;
    if (!v || json_is_null(v))
        strbuf_addstr(&sb, "null");
    else if (json_is_string(v))
        add_go_quoted(&sb, json_string_value(v));
    else if (json_is_integer(v))
        strbuf_addf(&sb, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        strbuf_addf(&sb, "%g", json_real_value(v));
    else if (json_is_boolean(v))
        strbuf_addstr(&sb, json_is_true(v) ? "true" : "false");
    else
        json_dump_to(&sb, v);
    return strbuf_detach(&sb, NULL);
}

static struct ferr *push(struct ferrs *e, enum ferr_type type, const char *field)
{
    ALLOC_GROW(e->v, e->nr + 1, e->alloc);
    struct ferr *f = &e->v[e->nr++];
    f->type = type;
    f->field = xstrdup(field ? field : "");
    f->value = NULL;
    f->detail = NULL;
    return f;
}

void ferr_add(struct ferrs *e, enum ferr_type type, const char *field, const json_t *value,
              const char *detail_fmt, ...)
{
    struct ferr *f = push(e, type, field);
    if (value)
        f->value = render_value(value);
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        f->detail = xvasprintf(detail_fmt, ap);
        va_end(ap);
    }
}

void ferr_required(struct ferrs *e, const char *field, const char *detail)
{
    struct ferr *f = push(e, FERR_REQUIRED, field);
    if (detail && *detail)
        f->detail = xstrdup(detail);
}

void ferr_invalid(struct ferrs *e, const char *field, const json_t *value, const char *detail_fmt,
                  ...)
{
    struct ferr *f = push(e, FERR_INVALID, field);
    f->value = render_value(value);
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        f->detail = xvasprintf(detail_fmt, ap);
        va_end(ap);
    }
}

void ferr_invalid_str(struct ferrs *e, const char *field, const char *value, const char *detail)
{
    struct ferr *f = push(e, FERR_INVALID, field);
    struct strbuf sb = STRBUF_INIT;
    add_go_quoted(&sb, value ? value : "");
    f->value = strbuf_detach(&sb, NULL);
    if (detail)
        f->detail = xstrdup(detail);
}

void ferr_invalid_int(struct ferrs *e, const char *field, long long value, const char *detail)
{
    struct ferr *f = push(e, FERR_INVALID, field);
    f->value = xasprintf("%lld", value);
    if (detail)
        f->detail = xstrdup(detail);
}

void ferr_not_supported(struct ferrs *e, const char *field, const char *value,
                        const char *const *supported)
{
    struct ferr *f = push(e, FERR_NOT_SUPPORTED, field);
    struct strbuf sb = STRBUF_INIT;
    add_go_quoted(&sb, value ? value : "");
    f->value = strbuf_detach(&sb, NULL);
    if (supported && *supported) {
        strbuf_addstr(&sb, "supported values: ");
        for (const char *const *s = supported; *s; s++) {
            if (s != supported)
                strbuf_addstr(&sb, ", ");
            add_go_quoted(&sb, *s);
        }
        f->detail = strbuf_detach(&sb, NULL);
    }
}

void ferr_duplicate(struct ferrs *e, const char *field, const json_t *value)
{
    struct ferr *f = push(e, FERR_DUPLICATE, field);
    f->value = render_value(value);
}

void ferr_forbidden(struct ferrs *e, const char *field, const char *detail)
{
    struct ferr *f = push(e, FERR_FORBIDDEN, field);
    if (detail)
        f->detail = xstrdup(detail);
}

void ferr_too_long(struct ferrs *e, const char *field, long long max_len)
{
    struct ferr *f = push(e, FERR_TOO_LONG, field);
    f->detail = xasprintf("may not be more than %lld %s", max_len, max_len == 1 ? "byte" : "bytes");
}

char *ferr_body(const struct ferr *f)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, type_text[f->type]);
    switch (f->type) {
    case FERR_REQUIRED:
    case FERR_FORBIDDEN:
    case FERR_TOO_LONG:
    case FERR_INTERNAL:
        break;
    default:
        if (f->value)
            strbuf_addf(&sb, ": %s", f->value);
    }
    if (f->detail && *f->detail)
        strbuf_addf(&sb, ": %s", f->detail);
    return strbuf_detach(&sb, NULL);
}

char *ferr_string(const struct ferr *f)
{
    char *body = ferr_body(f);
    char *s = *f->field ? xasprintf("%s: %s", f->field, body) : xstrdup(body);
    free(body);
    return s;
}

/* --- Status --- */

void api_err_release(struct api_err *e)
{
    free(e->message);
    free(e->name);
    free(e->group);
    free(e->kind);
    ferrs_release(&e->causes);
    *e = (struct api_err)API_ERR_INIT;
}

json_t *api_err_to_status(const struct api_err *e)
{
    json_t *st = json_object();
    jset_str(st, "kind", "Status");
    jset_str(st, "apiVersion", "v1");
    json_object_set_new(st, "metadata", json_object());
    jset_str(st, "status", e->code >= 200 && e->code < 300 ? "Success" : "Failure");
    if (e->message)
        jset_str(st, "message", e->message);
    if (e->reason)
        jset_str(st, "reason", e->reason);
    if (e->name || e->kind || e->group || e->causes.nr || e->retry_after) {
        json_t *d = json_object();
        if (e->name)
            jset_str(d, "name", e->name);
        if (e->group && *e->group)
            jset_str(d, "group", e->group);
        if (e->kind)
            jset_str(d, "kind", e->kind);
        if (e->causes.nr) {
            json_t *causes = json_array();
            for (size_t i = 0; i < e->causes.nr; i++) {
                json_t *c = json_object();
                char *body = ferr_body(&e->causes.v[i]);
                jset_str(c, "reason", ferr_reason(e->causes.v[i].type));
                jset_str(c, "message", body);
                if (*e->causes.v[i].field)
                    jset_str(c, "field", e->causes.v[i].field);
                free(body);
                json_array_append_new(causes, c);
            }
            json_object_set_new(d, "causes", causes);
        }
        if (e->retry_after)
            jset_int(d, "retryAfterSeconds", e->retry_after);
        json_object_set_new(st, "details", d);
    }
    jset_int(st, "code", e->code);
    return st;
}

static void set_details(struct api_err *e, const char *group, const char *kind, const char *name)
{
    free(e->group);
    free(e->kind);
    free(e->name);
    e->group = group ? xstrdup(group) : NULL;
    e->kind = kind ? xstrdup(kind) : NULL;
    e->name = name ? xstrdup(name) : NULL;
}

/* "statefulsets.apps" or "pods" */
static char *qualify(const char *group, const char *res)
{
    return group && *group ? xasprintf("%s.%s", res, group) : xstrdup(res);
}

void api_err_not_found(struct api_err *e, const char *group, const char *resource, const char *name)
{
    char *q = qualify(group, resource);
    e->code = 404;
    e->reason = "NotFound";
    free(e->message);
    e->message = name && *name ? xasprintf("%s \"%s\" not found", q, name)
                               : xasprintf("%s not found", q);
    set_details(e, group, resource, name);
    free(q);
}

void api_err_already_exists(struct api_err *e, const char *group, const char *resource,
                            const char *name)
{
    char *q = qualify(group, resource);
    e->code = 409;
    e->reason = "AlreadyExists";
    free(e->message);
    e->message = xasprintf("%s \"%s\" already exists", q, name);
    set_details(e, group, resource, name);
    free(q);
}

void api_err_conflict(struct api_err *e, const char *group, const char *resource,
                      const char *name, const char *msg)
{
    char *q = qualify(group, resource);
    e->code = 409;
    e->reason = "Conflict";
    free(e->message);
    e->message = xasprintf("Operation cannot be fulfilled on %s \"%s\": %s", q, name, msg);
    set_details(e, group, resource, name);
    free(q);
}

void api_err_invalid(struct api_err *e, const char *group, const char *kind, const char *name,
                     struct ferrs *errs)
{
    struct strbuf sb = STRBUF_INIT;
    char *qk = group && *group ? xasprintf("%s.%s", kind, group) : xstrdup(kind);

    e->code = 422;
    e->reason = "Invalid";
    strbuf_addf(&sb, "%s \"%s\" is invalid", qk, name ? name : "");
    /* Aggregate as upstream: one error bare, several in [a, b]; identical messages once. */
    size_t shown = 0;
    struct strbuf agg = STRBUF_INIT;
    char **seen = xcalloc(errs->nr ? errs->nr : 1, sizeof(char *));
    for (size_t i = 0; i < errs->nr; i++) {
        char *s = ferr_string(&errs->v[i]);
        bool dup = false;
        for (size_t j = 0; j < shown; j++)
            if (!strcmp(seen[j], s))
                dup = true;
        if (dup) {
            free(s);
            continue;
        }
        if (shown)
            strbuf_addstr(&agg, ", ");
        strbuf_addstr(&agg, s);
        seen[shown++] = s;
    }
    if (shown == 1)
        strbuf_addf(&sb, ": %s", agg.buf);
    else if (shown > 1)
        strbuf_addf(&sb, ": [%s]", agg.buf);
    for (size_t j = 0; j < shown; j++)
        free(seen[j]);
    free(seen);
    strbuf_release(&agg);
    free(e->message);
    e->message = strbuf_detach(&sb, NULL);
    set_details(e, group, kind, name);
    ferrs_release(&e->causes);
    e->causes = *errs;
    *errs = (struct ferrs)FERRS_INIT;
    free(qk);
}

void api_err_set(struct api_err *e, int code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    e->reason = reason;
    free(e->message);
    va_start(ap, fmt);
    e->message = xvasprintf(fmt, ap);
    va_end(ap);
}

void api_err_bad_request(struct api_err *e, const char *fmt, ...)
{
    va_list ap;
    e->code = 400;
    e->reason = "BadRequest";
    free(e->message);
    va_start(ap, fmt);
    e->message = xvasprintf(fmt, ap);
    va_end(ap);
}

void api_err_forbidden(struct api_err *e, const char *group, const char *resource,
                       const char *name, const char *msg)
{
    char *q = qualify(group, resource);
    e->code = 403;
    e->reason = "Forbidden";
    free(e->message);
    e->message = name && *name ? xasprintf("%s \"%s\" is forbidden: %s", q, name, msg)
                               : xasprintf("%s is forbidden: %s", q, msg);
    set_details(e, group, resource, name);
    free(q);
}

void api_err_unauthorized(struct api_err *e)
{
    api_err_set(e, 401, "Unauthorized", "Unauthorized");
}

void api_err_method_not_allowed(struct api_err *e, const char *msg)
{
    api_err_set(e, 405, "MethodNotAllowed", "%s", msg);
}

void api_err_unsupported_media_type(struct api_err *e, const char *content_type)
{
    api_err_set(e, 415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/vnd.kubernetes.protobuf%s%s",
                content_type && *content_type ? "; got " : "",
                content_type ? content_type : "");
}

void api_err_too_large(struct api_err *e, const char *msg)
{
    api_err_set(e, 413, "RequestEntityTooLarge", "%s", msg);
}

void api_err_expired(struct api_err *e, const char *msg)
{
    api_err_set(e, 410, "Expired", "%s", msg);
}

void api_err_gone(struct api_err *e, const char *msg)
{
    api_err_set(e, 410, "Gone", "%s", msg);
}

void api_err_internal(struct api_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    api_err_set(e, 500, "InternalError", "Internal error occurred: %s", m);
    ferrs_release(&e->causes);
    ferr_add(&e->causes, FERR_INTERNAL, "", NULL, "%s", m);
    free(m);
}

void api_err_timeout(struct api_err *e, const char *msg)
{
    api_err_set(e, 504, "Timeout", "%s", msg);
}

void api_err_service_unavailable(struct api_err *e, const char *msg)
{
    api_err_set(e, 503, "ServiceUnavailable", "%s", msg);
}

void api_err_not_acceptable(struct api_err *e, const char *msg)
{
    api_err_set(e, 406, "NotAcceptable", "%s", msg);
}

void api_err_unprocessable(struct api_err *e, const char *fmt, ...)
{
    va_list ap;
    e->code = 422;
    e->reason = "Invalid";
    free(e->message);
    va_start(ap, fmt);
    e->message = xvasprintf(fmt, ap);
    va_end(ap);
}
