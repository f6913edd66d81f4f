/* rest.c — the verbs: get, list, create, update, patch, delete, deletecollection, and the
 * status / scale / binding / finalize subresources.
 *
 * Every write goes through one path, whatever verb made it (DESIGN.md §1):
 *   decode (schema) -> server-owned metadata -> strategy prepare/defaults -> validation
 *   -> admission -> no-op check -> compare-and-swap in the store -> read back from the cache.
 * Reads never touch the store: they are served from the watch cache (cache.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/decode.h"
#include "api/patch.h"
#include "api/protobuf.h"
#include "api/schema.h"
#include "api/strategy.h"
#include "base/alloc.h"
#include "base/ktime.h"
#include "base/log.h"
#include "base/names.h"
#include "base/uuid.h"
#include "server/internal.h"

#define MAX_RETRIES 8
#define CONFLICT_MSG                                                                               \
    "the object has been modified; please apply your changes to the latest version and try again"

enum write_target { TARGET_MAIN, TARGET_STATUS };
enum patch_type_tag { PATCH_TAG_STRATEGIC, PATCH_TAG_OTHER };

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --- helpers --- */

static const char *ns_of(const struct route *rt)
{
    return rt->res->namespaced ? rt->ns : "";
}

static void respond_obj(struct resp *rs, int code, const struct obj *o)
{
    resp_raw(rs, code, "application/json", o->bytes, o->len);
}

/* A response for an object that is not (or no longer) in the cache. */
static void respond_json_obj(struct resp *rs, int code, const struct resource *r, json_t *obj)
{
    jset_str(obj, "kind", r->kind);
    jset_str(obj, "apiVersion", r->gv);
    resp_json(rs, code, json_incref(obj));
}

static bool is_dry_run(const struct req *rq)
{
    const char *d = req_query(rq, "dryRun");
    return d && !strcmp(d, "All");
}

static void now_rfc3339(char *buf)
{
    ktime_format(ktime_now(), buf);
}

/* Canonical form for no-op detection: keys sorted, resourceVersion dropped. */
static char *canonical_no_rv(const json_t *obj)
{
    json_t *copy = json_copy((json_t *)obj);
    json_t *meta = jget_obj(copy, "metadata");
    if (meta) {
        json_t *m2 = json_copy(meta);
        json_object_del(m2, "resourceVersion");
        json_object_set_new(copy, "metadata", m2);
    }
    char *s = json_dump_canonical(copy);
    json_decref(copy);
    return s;
}

static bool json_field_equal(const json_t *a, const json_t *b, const char *key)
{
    json_t *x = jget(a, key), *y = jget(b, key);
    if (!x && !y)
        return true;
    if (!x || !y)
        return false;
    return json_equal(x, y);
}

static int64_t rv_of(const json_t *obj)
{
    const char *rv = jpath_str(obj, "metadata.resourceVersion");
    if (!rv || !*rv)
        return 0;
    char *end;
    long long v = strtoll(rv, &end, 10);
    return *end ? -1 : v;
}

/* --- decoding request bodies --- */

static bool is_json_content(const struct req *rq)
{
    const char *ct = req_header(rq, "Content-Type");
    if (!ct)
        return true;
    return !strncmp(ct, "application/json", 16) || !strncmp(ct, "*/*", 3);
}

/* Typed clients (kubectl create namespace/configmap/secret/service, drain's deletes, client-go
 * controllers) send Kubernetes protobuf: it is turned into JSON first, and the JSON path goes
 * on from there. Responses stay JSON, which those clients accept. */
static bool is_protobuf_content(const struct req *rq)
{
    const char *ct = req_header(rq, "Content-Type");
    size_t n = strlen(PB_CONTENT_TYPE);
    return ct && !strncmp(ct, PB_CONTENT_TYPE, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* The kind and apiVersion a body names (NULL or "" when it names none) against the expected
 * ones, worded as kube-apiserver words a mismatch. */
static int check_type_meta(const char *api, const char *kind, const char *want_gv,
                           const char *want_kind, struct api_err *e)
{
    if (api && *api && strcmp(api, want_gv)) {
        api_err_bad_request(e, "the API version in the data (%s) does not match the expected "
                               "API version (%s)",
                            api, want_gv);
        return -EINVAL;
    }
    if (kind && *kind && strcmp(kind, want_kind)) {
        api_err_bad_request(e, "the kind in the data (%s) does not match the expected kind (%s)",
                            kind, want_kind);
        return -EINVAL;
    }
    return 0;
}

/* Parse the body as JSON (depth-bounded). */
static json_t *parse_body(const struct req *rq, struct api_err *e)
{
    struct strbuf err = STRBUF_INIT;
    json_t *j;

    if (!rq->body.len) {
        api_err_bad_request(e, "the request body is empty");
        return NULL;
    }
    j = json_parse_bounded(rq->body.buf, rq->body.len, JSON_MAX_DEPTH, &err);
    if (!j) {
        api_err_bad_request(e, "the request body is not valid JSON: %s", err.buf);
        strbuf_release(&err);
        return NULL;
    }
    return j;
}

/* A protobuf body as the JSON object a JSON client would have sent (api/protobuf.h): the
 * envelope's kind and apiVersion are checked against want_kind/want_gv (want_gv NULL: meta.k8s.io
 * options, which also go by "v1") and set on the result; raw is decoded as schema type t.
 * Errors are 400s worded as kube-apiserver's transformDecodeError words them. Returns a new
 * reference, or NULL with e. */
static json_t *parse_pb_body(const struct req *rq, const char *want_kind, const char *want_gv,
                             const struct sch_type *t, struct api_err *e)
{
    struct pb_envelope env = PB_ENVELOPE_INIT;
    struct pb_report rep = PB_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    const char *slash = want_gv ? strrchr(want_gv, '/') : NULL;
    const char *version = slash ? slash + 1 : want_gv ? want_gv : "v1";
    json_t *obj = NULL;

    if (!t) {
        api_err_internal(e, "no schema for %s", want_kind);
        return NULL;
    }
    if (pb_unwrap(rq->body.buf, rq->body.len, &env, &err) < 0) {
        /* upstream's summarizeData: the first 30 bytes in hex */
        struct strbuf sum = STRBUF_INIT;
        size_t n = rq->body.len < 30 ? rq->body.len : 30;
        for (size_t i = 0; i < n; i++)
            strbuf_addf(&sum, "%02x", (unsigned char)rq->body.buf[i]);
        api_err_bad_request(
            e, "the object provided is unrecognized (must be of type %s): %s (%s%s)", want_kind,
            err.buf, n ? sum.buf : "<empty>", rq->body.len > n ? " ..." : "");
        strbuf_release(&sum);
        goto out;
    }
    if (!want_gv && *env.api_version && strcmp(env.api_version, "v1") &&
        strcmp(env.api_version, "meta.k8s.io/v1")) {
        api_err_bad_request(e, "the API version in the data (%s) does not match the expected "
                               "API version (meta.k8s.io/v1)",
                            env.api_version);
        goto out;
    }
    if (check_type_meta(want_gv ? env.api_version : NULL, env.kind, want_gv, want_kind, e) < 0)
        goto out;
    if (pb_decode(t, env.raw, env.raw_len, &obj, &rep, &err) < 0) {
        api_err_bad_request(e, "%s in version \"%s\" cannot be handled as a %s: %s", want_kind,
                            version, want_kind, err.buf);
        goto out;
    }
    /* Upstream's generated code skips unknown field numbers without a word, whatever
     * fieldValidation says (a newer client writes every non-pointer field, set or not). */
    if (rep.nskipped)
        log_debug("rest", "%s body: skipped %s", want_kind, rep.skipped.buf);
    jset_str(obj, "kind", want_kind);
    jset_str(obj, "apiVersion", want_gv ? want_gv : "v1");
out:
    pb_envelope_release(&env);
    pb_report_release(&rep);
    strbuf_release(&err);
    return obj;
}

/* Schema-decode obj as kind r: type errors are 400s, unknown fields per fieldValidation. */
static int decode_obj(const struct req *rq, struct resp *rs, const struct resource *r, json_t *obj,
                      struct api_err *e)
{
    const struct sch_type *t = sch_type_find(r->schema);
    struct decode_report rep = DECODE_REPORT_INIT;
    struct strbuf err = STRBUF_INIT;
    const char *fv = req_query(rq, "fieldValidation");
    int rc = 0;

    if (!t) {
        api_err_internal(e, "no schema for %s", r->kind);
        return -EINVAL;
    }
    if (schema_decode(t, obj, &rep, &err) < 0) {
        api_err_bad_request(e, "%s in version \"%s\" cannot be handled as a %s: %s", r->kind,
                            r->version, r->kind, err.buf);
        rc = -EINVAL;
        goto out;
    }
    if (rep.nunknown) {
        if (fv && !strcmp(fv, "Strict")) {
            struct strbuf msg = STRBUF_INIT;
            for (size_t i = 0; i < rep.unknown.len; i++) {
                if (rep.unknown.buf[i] == '\n')
                    strbuf_addstr(&msg, ", ");
                else
                    strbuf_addch(&msg, rep.unknown.buf[i]);
            }
            api_err_bad_request(e, "%s in version \"%s\" cannot be handled as a %s: strict "
                                   "decoding error: %s",
                                r->kind, r->version, r->kind, msg.buf);
            strbuf_release(&msg);
            rc = -EBADMSG;
            goto out;
        }
        if (!fv || strcmp(fv, "Ignore")) {
            char *save = NULL, *copy = xstrdup(rep.unknown.buf);
            for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                resp_warn(rs, "%s", l);
            free(copy);
        }
    }
out:
    decode_report_release(&rep);
    strbuf_release(&err);
    return rc;
}

/* The body of a create or update: JSON or protobuf, of this kind, decoded. */
static json_t *decode_body(const struct req *rq, struct resp *rs, const struct resource *r,
                           struct api_err *e)
{
    json_t *obj;

    if (is_protobuf_content(rq)) {
        if (!(obj = parse_pb_body(rq, r->kind, r->gv, sch_type_find(r->schema), e)))
            return NULL;
        goto decode;
    }
    if (!is_json_content(rq)) {
        api_err_unsupported_media_type(e, req_header(rq, "Content-Type"));
        return NULL;
    }
    obj = parse_body(rq, e);
    if (!obj)
        return NULL;
    if (!json_is_object(obj)) {
        api_err_bad_request(e, "%s in version \"%s\" cannot be handled as a %s: the body is "
                               "not a JSON object",
                            r->kind, r->version, r->kind);
        goto fail;
    }
    const char *kind = jget_str(obj, "kind"), *api = jget_str(obj, "apiVersion");
    if ((jget(obj, "kind") && !kind) || (jget(obj, "apiVersion") && !api)) {
        api_err_bad_request(e, "kind and apiVersion must be strings");
        goto fail;
    }
    if (check_type_meta(api, kind, r->gv, r->kind, e) < 0)
        goto fail;
decode:
    jset_str(obj, "kind", r->kind);
    jset_str(obj, "apiVersion", r->gv);
    if (decode_obj(rq, rs, r, obj, e) < 0)
        goto fail;
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* Check the object's namespace against the URL's (and set it). */
static int fix_namespace(const struct route *rt, json_t *obj, struct api_err *e)
{
    json_t *meta = jensure_obj(obj, "metadata");
    const char *ns = jget_str(meta, "namespace");
    if (!rt->res->namespaced) {
        json_object_del(meta, "namespace");
        return 0;
    }
    if (ns && *ns && strcmp(ns, rt->ns)) {
        api_err_bad_request(e, "the namespace of the provided object does not match the "
                               "namespace sent on the request");
        return -EINVAL;
    }
    jset_str(meta, "namespace", rt->ns);
    return 0;
}

/* --- filters for list and watch --- */

int parse_filter(const struct req *rq, const struct route *rt, struct cache_filter *f,
                 struct api_err *e)
{
    const char *ls = req_query(rq, "labelSelector");
    const char *fs = req_query(rq, "fieldSelector");
    struct strbuf err = STRBUF_INIT;

    memset(f, 0, sizeof(*f));
    if (rt->ns)
        f->ns = xstrdup(rt->ns);
    if (ls && *ls) {
        if (label_selector_parse(ls, &f->labels, &err) < 0) {
            api_err_bad_request(e, "unable to parse requirement: %s", err.buf);
            goto fail;
        }
    }
    if (fs && *fs) {
        if (field_selector_parse(fs, &f->fields, &err) < 0) {
            api_err_bad_request(e, "invalid field selector: %s", err.buf);
            goto fail;
        }
        const struct field_req *reqs;
        size_t n = field_selector_reqs(f->fields, &reqs);
        for (size_t i = 0; i < n; i++) {
            if (!resource_supports_field(rt->res, reqs[i].field)) {
                api_err_bad_request(e, "field label not supported: %s", reqs[i].field);
                goto fail;
            }
        }
        const char *name = field_selector_exact(f->fields, "metadata.name");
        if (name)
            f->name = xstrdup(name);
        const char *ns = field_selector_exact(f->fields, "metadata.namespace");
        if (ns && !f->ns && rt->res->namespaced)
            f->ns = xstrdup(ns);
    }
    strbuf_release(&err);
    return 0;
fail:
    strbuf_release(&err);
    filter_release(f);
    return -EINVAL;
}

void filter_release(struct cache_filter *f)
{
    free((char *)f->ns);
    free((char *)f->name);
    if (f->labels)
        label_selector_free(f->labels);
    if (f->fields)
        field_selector_free(f->fields);
    memset(f, 0, sizeof(*f));
}

/* --- GET and LIST --- */

void rest_get(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct obj *o = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
    if (!o) {
        api_err_not_found(&e, rt->res->group, rt->res->plural, rt->name);
        resp_error(rs, &e);
        return;
    }
    if (wants_table(rq)) {
        struct obj *one[1] = {o};
        strbuf_reset(&rs->body);
        table_render(&rs->body, rt->res, one, 1, o->rev, table_include(rq), true);
        rs->code = 200;
        rs->content_type = "application/json";
    } else {
        respond_obj(rs, 200, o);
    }
    obj_unref(o);
}

void rest_list(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct cache_filter f;
    struct obj **items = NULL;
    size_t n = 0;
    int64_t rev = 0;
    const char *rv = req_query(rq, "resourceVersion");

    if (parse_filter(rq, rt, &f, &e) < 0) {
        resp_error(rs, &e);
        return;
    }
    if (rv && *rv && strcmp(rv, "0")) {
        char *end;
        long long want = strtoll(rv, &end, 10);
        if (*end || want < 0) {
            api_err_bad_request(&e, "resourceVersion: Invalid value: \"%s\": must be a "
                                    "non-negative integer",
                                rv);
            goto fail;
        }
        /* A revision from the future: wait briefly for the cache, as upstream does. */
        if (!cache_wait_rev(rq->srv->cache, want, 3000)) {
            api_err_timeout(&e, "Too large resource version");
            e.retry_after = 1;
            goto fail;
        }
    }
    cache_list(rq->srv->cache, rt->res, &f, &items, &n, &rev);
    strbuf_reset(&rs->body);
    if (wants_table(rq)) {
        table_render(&rs->body, rt->res, items, n, rev, table_include(rq), true);
    } else {
        struct strbuf *sb = &rs->body;
        size_t total = 128;
        for (size_t i = 0; i < n; i++)
            total += items[i]->len + 1;
        strbuf_grow(sb, total);
        strbuf_addstr(sb, "{\"kind\":");
        strbuf_addf(sb, "\"%sList\",\"apiVersion\":", rt->res->kind);
        strbuf_add_json_str(sb, rt->res->gv);
        strbuf_addf(sb, ",\"metadata\":{\"resourceVersion\":\"%lld\"},\"items\":[",
                    (long long)rev);
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, ',');
            obj_append_item(items[i], sb);
        }
        strbuf_addstr(sb, "]}");
    }
    rs->code = 200;
    rs->content_type = "application/json";
    for (size_t i = 0; i < n; i++)
        obj_unref(items[i]);
    free(items);
    filter_release(&f);
    return;
fail:
    filter_release(&f);
    resp_error(rs, &e);
}

/* --- the write path --- */

/* Validate obj (a new object, or the next state of old) with the kind's strategy. */
static int validate(const struct resource *r, const json_t *obj, const json_t *old,
                    enum write_target target, struct api_err *e)
{
    const struct res_strategy *st = res_strategy(r->id);
    struct ferrs errs = FERRS_INIT;

    if (target == TARGET_STATUS) {
        if (st->validate_status)
            st->validate_status(obj, old, &errs);
    } else {
        validate_meta(r, obj, old, &errs);
        if (old && st->validate_update)
            st->validate_update(obj, old, &errs);
        else if (!old && st->validate)
            st->validate(obj, &errs);
    }
    if (!errs.nr)
        return 0;
    const char *name = jpath_str(obj, "metadata.name");
    api_err_invalid(e, r->group, r->kind, name ? name : "", &errs);
    return -EINVAL;
}

/* Commit a create. On success returns the published object (a reference). */
static struct obj *commit_create(struct server *srv, const struct resource *r, json_t *obj,
                                 struct api_err *e)
{
    const char *ns = r->namespaced ? jpath_str(obj, "metadata.namespace") : "";
    const char *name = jpath_str(obj, "metadata.name");
    char *key = resource_key(r, ns, name);
    size_t len;
    char *bytes = obj_stored_bytes(r, obj, &len);
    int64_t rev = 0;
    struct obj *o = NULL;

    /* The cache takes the parsed object instead of parsing the bytes again. */
    cache_hint(srv->cache, key, bytes, len, obj);
    int rc = store_create(srv->store, key, bytes, len, &rev);
    cache_unhint(srv->cache, key, bytes);
    if (rc == -EEXIST) {
        api_err_already_exists(e, r->group, r->plural, name);
    } else if (rc < 0) {
        api_err_internal(e, "store: %s", strerror(-rc));
    } else {
        cache_wait_rev(srv->cache, rev, 5000);
        o = cache_get(srv->cache, r, ns, name);
        if (!o || o->rev != rev) {
            /* Already changed again by someone else: answer with what we wrote. */
            if (o)
                obj_unref(o);
            o = obj_from_stored(r, bytes, len, NULL, rev, rev);
        }
    }
    free(bytes);
    free(key);
    return o;
}

/* Commit next as the new state of old: delete when a terminating object lost its last
 * finalizer, else compare-and-swap. Returns 0 and *out (NULL if deleted), -ESTALE when old is
 * no longer current, or -1 with e filled. */
static int commit_update(struct server *srv, const struct resource *r, const struct obj *old,
                         json_t *next, struct obj **out, bool *deleted, struct api_err *e)
{
    char *key = resource_key(r, old->ns, old->name);
    char *bytes = NULL;
    size_t len = 0;
    int64_t rev = 0;
    int rc;

    *out = NULL;
    *deleted = false;
    json_t *meta = jget_obj(next, "metadata");
    json_t *fin = jget_arr(meta, "finalizers");
    bool terminating = jget(meta, "deletionTimestamp") != NULL;
    bool ns_pending = r->id == RES_NAMESPACES && json_array_size(jpath(next, "spec.finalizers"));

    if (terminating && !json_array_size(fin) && !ns_pending &&
        !(r->id == RES_PODS && jget_int(meta, "deletionGracePeriodSeconds", 0) > 0)) {
        rc = store_delete(srv->store, key, old->rev, &rev);
        if (rc == 0) {
            *deleted = true;
            admit_release(srv, r, old->json);
        }
    } else {
        bytes = obj_stored_bytes(r, next, &len);
        cache_hint(srv->cache, key, bytes, len, next);
        rc = store_update(srv->store, key, bytes, len, old->rev, &rev);
        cache_unhint(srv->cache, key, bytes);
    }
    free(key);
    if (rc == -ESTALE || rc == -ENOENT) {
        free(bytes);
        return -ESTALE;
    }
    if (rc < 0) {
        free(bytes);
        api_err_internal(e, "store: %s", strerror(-rc));
        return -1;
    }
    cache_wait_rev(srv->cache, rev, 5000);
    if (!*deleted) {
        *out = cache_get(srv->cache, r, old->ns, old->name);
        if (!*out || (*out)->rev != rev) {
            if (*out)
                obj_unref(*out);
            *out = obj_from_stored(r, bytes, len, NULL, rev, old->create_rev);
        }
    }
    free(bytes);
    return 0;
}

/* Build the next state from `in` (a decoded full object) for an update of old: server-owned
 * metadata and (for the main resource of kinds with a status subresource) status come from
 * old; for a status update everything but status comes from old. Then strategy hooks,
 * generation and validation. Returns the next object (new reference) or NULL with e. */
static json_t *prepare_next(struct server *srv, const struct resource *r, const struct obj *old,
                            json_t *in, enum write_target target, struct api_err *e)
{
    const struct res_strategy *st = res_strategy(r->id);
    json_t *next;

    if (target == TARGET_STATUS) {
        next = json_deep_copy(old->json);
        json_t *status = jget(in, "status");
        if (status)
            json_object_set(next, "status", status);
        else
            json_object_del(next, "status");
    } else {
        next = json_deep_copy(in);
        json_t *meta = jensure_obj(next, "metadata"), *ometa = jget_obj(old->json, "metadata");
        static const char *const owned[] = {"uid", "creationTimestamp", "deletionTimestamp",
                                            "deletionGracePeriodSeconds", "generation",
                                            "selfLink"};
        for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
            json_t *v = jget(ometa, owned[i]);
            if (v)
                json_object_set(meta, owned[i], v);
            else
                json_object_del(meta, owned[i]);
        }
        json_object_del(meta, "managedFields");
        if (r->flags & RES_SUB_STATUS) {
            json_t *status = jget(old->json, "status");
            if (status)
                json_object_set(next, "status", status);
            else
                json_object_del(next, "status");
        }
        if (st->prepare_update)
            st->prepare_update(next, old->json);
        admit_prepare_update(srv, r, next, old->json);
        if (st->defaults)
            st->defaults(next);
        if ((r->flags & RES_GENERATION) && !json_field_equal(next, old->json, "spec"))
            jset_int(meta, "generation", jget_int(ometa, "generation", 0) + 1);
    }
    if (validate(r, next, old->json, target, e) < 0)
        goto fail;
    if (target == TARGET_MAIN && admit_update(srv, r, next, old->json, e) < 0)
        goto fail;
    return next;
fail:
    json_decref(next);
    return NULL;
}

/* Run one update attempt end to end and answer it. Returns -ESTALE to ask the caller to retry
 * with a fresh `old`, 0 when rs is filled. */
static int update_once(struct req *rq, struct resp *rs, const struct resource *r, struct obj *old,
                       json_t *in, enum write_target target, bool precondition)
{
    struct api_err e = API_ERR_INIT;
    struct obj *res = NULL;
    bool deleted;

    if (precondition) {
        int64_t want = rv_of(in);
        if (want && want != old->rev) {
            api_err_conflict(&e, r->group, r->plural, old->name, CONFLICT_MSG);
            resp_error(rs, &e);
            return 0;
        }
    }
    json_t *next = prepare_next(rq->srv, r, old, in, target, &e);
    if (!next) {
        resp_error(rs, &e);
        return 0;
    }
    /* A write that changes nothing is not a write: no new revision, no event. */
    char *a = canonical_no_rv(next), *b = canonical_no_rv(old->json);
    bool noop = !strcmp(a, b);
    free(a);
    free(b);
    if (noop || is_dry_run(rq)) {
        if (noop)
            respond_obj(rs, 200, old);
        else
            respond_json_obj(rs, 200, r, next);
        json_decref(next);
        return 0;
    }
    int rc = commit_update(rq->srv, r, old, next, &res, &deleted, &e);
    if (rc == -ESTALE) {
        json_decref(next);
        if (precondition && rv_of(in)) {
            api_err_conflict(&e, r->group, r->plural, old->name, CONFLICT_MSG);
            resp_error(rs, &e);
            return 0;
        }
        return -ESTALE;
    }
    if (rc < 0)
        resp_error(rs, &e);
    else if (deleted)
        respond_json_obj(rs, 200, r, next);
    else
        respond_obj(rs, 200, res);
    if (res)
        obj_unref(res);
    json_decref(next);
    return 0;
}

/* Update the object at rt with `in` (a decoded full object), retrying on concurrent writes
 * unless `in` carries a resourceVersion. */
static void do_update(struct req *rq, struct resp *rs, const struct route *rt, json_t *in,
                      enum write_target target)
{
    struct api_err e = API_ERR_INIT;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
        if (!old) {
            api_err_not_found(&e, rt->res->group, rt->res->plural, rt->name);
            resp_error(rs, &e);
            return;
        }
        int rc = update_once(rq, rs, rt->res, old, in, target, true);
        obj_unref(old);
        if (rc != -ESTALE)
            return;
    }
    api_err_conflict(&e, rt->res->group, rt->res->plural, rt->name, CONFLICT_MSG);
    resp_error(rs, &e);
}

/* Create obj (decoded, namespace set) as a new object of kind r: server-owned metadata,
 * strategy, validation, admission, store. Returns the published object (a reference), or NULL
 * with e filled. With dry_run nothing is stored and the returned object is not published. */
struct obj *server_create(struct server *srv, const struct resource *r, json_t *obj, bool dry_run,
                          struct api_err *e)
{
    const struct res_strategy *st = res_strategy(r->id);
    char ts[KTIME_BUFSZ], uid[37];
    json_t *meta = jensure_obj(obj, "metadata");
    const char *name = jget_str(meta, "name");
    const char *gen0 = jget_str(meta, "generateName");
    char *gen = gen0 && *gen0 ? xstrdup(gen0) : NULL;
    bool generated = false;
    struct obj *o = NULL;

    if ((!name || !*name) && gen) {
        char *n = name_generate(gen);
        jset_str(meta, "name", n);
        free(n);
        generated = true;
    }
    uuid_v4(uid);
    jset_str(meta, "uid", uid);
    now_rfc3339(ts);
    jset_str(meta, "creationTimestamp", ts);
    static const char *const cleared[] = {"resourceVersion", "deletionTimestamp",
                                          "deletionGracePeriodSeconds", "selfLink",
                                          "managedFields", "generation"};
    for (size_t i = 0; i < ARRAY_SIZE(cleared); i++)
        json_object_del(meta, cleared[i]);
    if (r->flags & RES_GENERATION)
        jset_int(meta, "generation", 1);

    if (st->prepare_create)
        st->prepare_create(obj);
    if (st->defaults)
        st->defaults(obj);
    if (validate(r, obj, NULL, TARGET_MAIN, e) < 0)
        goto out;
    if (admit_create(srv, r, obj, e) < 0)
        goto out;
    if (dry_run) {
        admit_release(srv, r, obj);
        o = obj_new(r, json_incref(obj), 0, 0);
        json_object_del(jget_obj(o->json, "metadata"), "resourceVersion");
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        o = commit_create(srv, r, obj, e);
        if (o || !generated || e->code != 409 || attempt >= 4)
            break;
        /* A generated name collided: draw another. */
        api_err_release(e);
        char *n = name_generate(gen);
        jset_str(meta, "name", n);
        free(n);
    }
    if (!o)
        admit_release(srv, r, obj);
out:
    free(gen);
    return o;
}

void rest_create(struct req *rq, struct resp *rs, const struct route *rt)
{
    const struct resource *r = rt->res;
    struct api_err e = API_ERR_INIT;
    struct obj *o = NULL;

    json_t *obj = decode_body(rq, rs, r, &e);
    if (obj && fix_namespace(rt, obj, &e) == 0)
        o = server_create(rq->srv, r, obj, is_dry_run(rq), &e);
    if (o && r->id == RES_PERSISTENTVOLUMES) {
        const char *rp = jpath_str(o->json, "spec.persistentVolumeReclaimPolicy");
        if (rp && !strcmp(rp, "Recycle"))
            resp_warn(rs, "spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is "
                          "deprecated. Instead, the recommended approach is to use dynamic "
                          "provisioning.");
    }
    json_decref(obj);
    if (!o) {
        resp_error(rs, &e);
        return;
    }
    if (is_dry_run(rq))
        resp_json(rs, 201, json_incref(o->json));
    else
        respond_obj(rs, 201, o);
    obj_unref(o);
}

/* PUT of the object or its status: the body must name the object of the URL. */
static void put_object(struct req *rq, struct resp *rs, const struct route *rt,
                       enum write_target target)
{
    struct api_err e = API_ERR_INIT;
    json_t *obj = decode_body(rq, rs, rt->res, &e);
    if (!obj) {
        resp_error(rs, &e);
        return;
    }
    const char *name = jpath_str(obj, "metadata.name");
    if (!name || strcmp(name, rt->name)) {
        api_err_bad_request(&e, "the name of the object (%s) does not match the name on the URL "
                                "(%s)",
                            name ? name : "", rt->name);
        goto fail;
    }
    if (fix_namespace(rt, obj, &e) < 0)
        goto fail;
    do_update(rq, rs, rt, obj, target);
    json_decref(obj);
    return;
fail:
    json_decref(obj);
    resp_error(rs, &e);
}

void rest_update(struct req *rq, struct resp *rs, const struct route *rt)
{
    put_object(rq, rs, rt, TARGET_MAIN);
}

/* --- PATCH --- */

/* A JSON value as Go's %v prints the map[string]interface{} it decodes to (what upstream
 * quotes in a patch error): map[k:v ...] with sorted keys, [a b] for lists. */
static void go_format(struct strbuf *sb, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), strcmp_ptr);
        strbuf_addstr(sb, "map[");
        for (i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            strbuf_addf(sb, "%s:", keys[i]);
            go_format(sb, json_object_get(v, keys[i]));
        }
        strbuf_addch(sb, ']');
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        strbuf_addch(sb, '[');
        json_array_foreach(v, i, x)
        {
            if (i)
                strbuf_addch(sb, ' ');
            go_format(sb, x);
        }
        strbuf_addch(sb, ']');
        break;
    }
    case JSON_STRING:
        strbuf_addstr(sb, json_string_value(v));
        break;
    case JSON_NULL:
        strbuf_addstr(sb, "<nil>");
        break;
    default:
        json_dump_to(sb, v);
    }
}

/* Upstream answers a patch whose result does not decode (an unknown field under Strict, a
 * wrong type) with 422 on the field "patch", quoting the patch. */
static void patch_decode_error(struct api_err *e, enum patch_type_tag pt, const json_t *patch,
                               const json_t *result)
{
    struct strbuf quoted = STRBUF_INIT;
    struct ferrs errs = FERRS_INIT;
    const char *msg = e->message ? e->message : "";
    const char *colon = strstr(msg, ": ");
    /* Keep the decoder's own words, without the "<Kind> in version ... cannot be handled"
     * prefix the JSON path adds. */
    const char *why = strstr(msg, "cannot be handled as a ") && colon ? colon + 2 : msg;

    if (pt == PATCH_TAG_STRATEGIC)
        go_format(&quoted, patch);
    else
        json_dump_to(&quoted, result);
    json_t *val = json_string(quoted.buf);
    ferr_invalid(&errs, "patch", val, "%s", why);
    json_decref(val);
    strbuf_release(&quoted);
    api_err_release(e);
    api_err_invalid(e, "", "", "", &errs);
    /* upstream's message has no kind: ` "" is invalid: patch: ...` */
}

enum patch_type { PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_UNSUPPORTED };

static enum patch_type patch_type_of(const struct req *rq)
{
    const char *ct = req_header(rq, "Content-Type");
    if (!ct)
        return PATCH_UNSUPPORTED;
    if (!strncmp(ct, "application/json-patch+json", 27))
        return PATCH_JSON;
    if (!strncmp(ct, "application/merge-patch+json", 28))
        return PATCH_MERGE;
    if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
        return PATCH_STRATEGIC;
    return PATCH_UNSUPPORTED;
}

/* Apply a patch document to cur (not modified). Returns the result or NULL with e. */
static json_t *apply_patch(enum patch_type pt, const struct sch_type *t, const json_t *cur,
                           const json_t *patch, struct api_err *e)
{
    struct strbuf err = STRBUF_INIT;
    json_t *out = NULL;
    int rc;

    switch (pt) {
    case PATCH_JSON:
        rc = patch_json(cur, patch, &out, &err);
        break;
    case PATCH_MERGE:
        rc = patch_merge(cur, patch, &out, &err);
        break;
    default:
        rc = patch_strategic(t, cur, patch, &out, &err);
        break;
    }
    if (rc == -EILSEQ)
        api_err_unprocessable(e, "%s", err.buf);
    else if (rc < 0)
        api_err_bad_request(e, "%s", err.buf);
    strbuf_release(&err);
    return rc < 0 ? NULL : out;
}

static void do_patch(struct req *rq, struct resp *rs, const struct route *rt,
                     enum write_target target)
{
    const struct resource *r = rt->res;
    struct api_err e = API_ERR_INIT;
    enum patch_type pt = patch_type_of(rq);
    json_t *patch = NULL;

    if (pt == PATCH_UNSUPPORTED) {
        const char *ct = req_header(rq, "Content-Type");
        api_err_set(&e, 415, "UnsupportedMediaType",
                    "the server does not support patch type %s; supported: "
                    "application/json-patch+json, application/merge-patch+json, "
                    "application/strategic-merge-patch+json",
                    ct ? ct : "(none)");
        resp_error(rs, &e);
        return;
    }
    if (!(patch = parse_body(rq, &e))) {
        resp_error(rs, &e);
        return;
    }
    if ((pt == PATCH_JSON && !json_is_array(patch)) ||
        (pt != PATCH_JSON && !json_is_object(patch))) {
        api_err_bad_request(&e, pt == PATCH_JSON ? "the JSON patch must be an array of operations"
                                                 : "the patch must be a JSON object");
        json_decref(patch);
        resp_error(rs, &e);
        return;
    }
    const struct sch_type *t = sch_type_find(r->schema);
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, r, ns_of(rt), rt->name);
        if (!old) {
            api_err_not_found(&e, r->group, r->plural, rt->name);
            break;
        }
        json_t *res = apply_patch(pt, t, old->json, patch, &e);
        if (!res) {
            obj_unref(old);
            break;
        }
        /* The patch may not rename or move the object. */
        const char *pname = jpath_str(res, "metadata.name");
        if (!json_is_object(res) || (pname && strcmp(pname, old->name))) {
            api_err_bad_request(&e, "the name of the object (%s) does not match the name on the "
                                    "URL (%s)",
                                pname ? pname : "", old->name);
            json_decref(res);
            obj_unref(old);
            break;
        }
        jset_str(res, "kind", r->kind);
        jset_str(res, "apiVersion", r->gv);
        if (decode_obj(rq, rs, r, res, &e) < 0) {
            patch_decode_error(&e, pt == PATCH_STRATEGIC ? PATCH_TAG_STRATEGIC : PATCH_TAG_OTHER,
                               patch, res);
            json_decref(res);
            obj_unref(old);
            break;
        }
        if (r->namespaced)
            jset_str(jensure_obj(res, "metadata"), "namespace", old->ns);
        /* A resourceVersion the patch set is a precondition; otherwise retry on conflict. */
        int64_t prv = rv_of(res);
        bool explicit_rv = prv && prv != old->rev;
        if (explicit_rv) {
            api_err_conflict(&e, r->group, r->plural, old->name, CONFLICT_MSG);
            json_decref(res);
            obj_unref(old);
            break;
        }
        int rc = update_once(rq, rs, r, old, res, target, false);
        json_decref(res);
        obj_unref(old);
        if (rc != -ESTALE) {
            json_decref(patch);
            return;
        }
    }
    json_decref(patch);
    if (!e.code)
        api_err_conflict(&e, r->group, r->plural, rt->name, CONFLICT_MSG);
    resp_error(rs, &e);
}

void rest_patch(struct req *rq, struct resp *rs, const struct route *rt)
{
    do_patch(rq, rs, rt, TARGET_MAIN);
}

/* --- DELETE --- */

struct delete_opts {
    int64_t grace; /* -1: unset */
    const char *policy; /* Orphan | Background | Foreground | NULL */
    const char *pre_uid, *pre_rv;
    json_t *body; /* owns the strings above */
};

static int parse_delete_opts(const struct req *rq, struct delete_opts *o, struct api_err *e)
{
    memset(o, 0, sizeof(*o));
    o->grace = -1;
    if (rq->body.len && is_protobuf_content(rq)) {
        o->body = parse_pb_body(rq, "DeleteOptions", NULL,
                                sch_type_find("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
                                e);
        if (!o->body)
            return -EINVAL;
    } else if (rq->body.len) {
        struct strbuf err = STRBUF_INIT;
        o->body = json_parse_bounded(rq->body.buf, rq->body.len, JSON_MAX_DEPTH, &err);
        if (!o->body || !json_is_object(o->body)) {
            api_err_bad_request(e, "the DeleteOptions body is not a JSON object%s%s",
                                err.len ? ": " : "", err.buf);
            strbuf_release(&err);
            json_decref(o->body);
            o->body = NULL;
            return -EINVAL;
        }
        strbuf_release(&err);
    }
    if (o->body) {
        json_t *g = jget(o->body, "gracePeriodSeconds");
        if (g && !json_is_null(g)) {
            if (!json_is_integer(g)) {
                api_err_bad_request(e, "gracePeriodSeconds must be an integer");
                return -EINVAL;
            }
            o->grace = json_integer_value(g);
        }
        o->policy = jget_str(o->body, "propagationPolicy");
        if (!o->policy && jget_bool(o->body, "orphanDependents", false))
            o->policy = "Orphan";
        o->pre_uid = jpath_str(o->body, "preconditions.uid");
        o->pre_rv = jpath_str(o->body, "preconditions.resourceVersion");
    }
    const char *g = req_query(rq, "gracePeriodSeconds");
    if (g && *g)
        o->grace = strtoll(g, NULL, 10);
    const char *p = req_query(rq, "propagationPolicy");
    if (p && *p)
        o->policy = p;
    if (req_query_bool(rq, "orphanDependents") && !o->policy)
        o->policy = "Orphan";
    if (o->policy && strcmp(o->policy, "Orphan") && strcmp(o->policy, "Background") &&
        strcmp(o->policy, "Foreground")) {
        struct ferrs errs = FERRS_INIT;
        ferr_not_supported(&errs, "propagationPolicy", o->policy,
                           (const char *const[]){"Foreground", "Background", "Orphan", NULL});
        api_err_invalid(e, "", "DeleteOptions", "", &errs);
        return -EINVAL;
    }
    if (o->grace < -1) {
        o->grace = 0;
    }
    return 0;
}

static bool has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
        return true;
    return false;
}

static void remove_string(json_t *arr, const char *s)
{
    for (size_t i = 0; i < json_array_size(arr);) {
        json_t *v = json_array_get(arr, i);
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            json_array_remove(arr, i);
        else
            i++;
    }
}

/* One delete attempt. Returns -ESTALE to retry, 0 when rs is filled (deleted_out says whether
 * the object is gone). */
static int delete_once(struct req *rq, struct resp *rs, const struct resource *r, struct obj *old,
                       const struct delete_opts *o, bool *gone, struct strbuf *item)
{
    struct api_err e = API_ERR_INIT;
    struct server *srv = rq->srv;
    json_t *ometa = jget_obj(old->json, "metadata");
    char ts[KTIME_BUFSZ];
    int64_t rev = 0;
    int rc;

    *gone = false;
    if (admit_delete(srv, r, old->json, &e) < 0) {
        resp_error(rs, &e);
        return 0;
    }
    if (o->pre_uid && strcmp(o->pre_uid, jget_str(ometa, "uid") ? jget_str(ometa, "uid") : "")) {
        char *msg = xasprintf("Precondition failed: UID in precondition: %s, UID in object "
                              "meta: %s",
                              o->pre_uid, jget_str(ometa, "uid"));
        api_err_conflict(&e, r->group, r->plural, old->name, msg);
        free(msg);
        resp_error(rs, &e);
        return 0;
    }
    if (o->pre_rv && strtoll(o->pre_rv, NULL, 10) != old->rev) {
        char *msg = xasprintf("Precondition failed: ResourceVersion in precondition: %s, "
                              "ResourceVersion in object meta: %lld",
                              o->pre_rv, (long long)old->rev);
        api_err_conflict(&e, r->group, r->plural, old->name, msg);
        free(msg);
        resp_error(rs, &e);
        return 0;
    }

    json_t *next = json_deep_copy(old->json);
    json_t *meta = jget_obj(next, "metadata");
    json_t *fin = jget_arr(meta, "finalizers");
    bool changed = false;
    bool already = jget(meta, "deletionTimestamp") != NULL;

    /* propagationPolicy is recorded the upstream way: as the orphan / foregroundDeletion
     * finalizer that the garbage collector acts on. */
    if (o->policy) {
        if (!fin) {
            fin = json_array();
            json_object_set_new(meta, "finalizers", fin);
        }
        const char *add = !strcmp(o->policy, "Orphan")       ? "orphan"
                          : !strcmp(o->policy, "Foreground") ? "foregroundDeletion"
                                                             : NULL;
        const char *drop[] = {"orphan", "foregroundDeletion"};
        for (int i = 0; i < 2; i++)
            if ((!add || strcmp(add, drop[i])) && has_string(fin, drop[i]) && !already) {
                remove_string(fin, drop[i]);
                changed = true;
            }
        if (add && !has_string(fin, add)) {
            json_array_append_new(fin, json_string(add));
            changed = true;
        }
        if (!json_array_size(fin))
            json_object_del(meta, "finalizers");
    }
    fin = jget_arr(meta, "finalizers");

    /* Graceful pod deletion: a pod on a node gets time to stop; the node finishes it. */
    int64_t grace = 0;
    if (r->id == RES_PODS) {
        const char *phase = jpath_str(next, "status.phase");
        bool terminal = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
        grace = o->grace >= 0 ? o->grace
                              : jpath_int(next, "spec.terminationGracePeriodSeconds", 30);
        if (!jpath_str(next, "spec.nodeName") || terminal)
            grace = 0;
        if (already) {
            int64_t cur = jget_int(meta, "deletionGracePeriodSeconds", 0);
            if (grace >= cur && !changed) {
                /* Nothing shorter asked for: the deletion is already under way. */
                respond_obj(rs, 202, old);
                json_decref(next);
                return 0;
            }
        }
    }
    bool namespace_pending = r->id == RES_NAMESPACES && json_array_size(jpath(next,
                                                                              "spec.finalizers"));
    if (grace > 0 || json_array_size(fin) || namespace_pending) {
        /* Deferred: mark the object and let its finalizers (or its node) finish. A second
         * delete may only shorten a pod's grace period. */
        if (!already || (r->id == RES_PODS && grace < jget_int(meta, "deletionGracePeriodSeconds",
                                                               0))) {
            time_t when = ktime_now() + (time_t)grace;
            jset_str(meta, "deletionTimestamp", ktime_format(when, ts));
            jset_int(meta, "deletionGracePeriodSeconds", grace);
            changed = true;
        }
        if (r->id == RES_NAMESPACES && strcmp(jpath_str(next, "status.phase") ?: "",
                                              "Terminating")) {
            jset_str(jensure_obj(next, "status"), "phase", "Terminating");
            changed = true;
        }
        if (!changed) {
            respond_obj(rs, 202, old);
            json_decref(next);
            return 0;
        }
        if (is_dry_run(rq)) {
            respond_json_obj(rs, 202, r, next);
            json_decref(next);
            return 0;
        }
        size_t len;
        char *bytes = obj_stored_bytes(r, next, &len);
        char *key = resource_key(r, old->ns, old->name);
        rc = store_update(srv->store, key, bytes, len, old->rev, &rev);
        free(bytes);
        free(key);
        if (rc == -ESTALE || rc == -ENOENT) {
            json_decref(next);
            return -ESTALE;
        }
        if (rc < 0) {
            api_err_internal(&e, "store: %s", strerror(-rc));
            resp_error(rs, &e);
        } else {
            cache_wait_rev(srv->cache, rev, 5000);
            struct obj *cur = cache_get(srv->cache, r, old->ns, old->name);
            if (cur) {
                respond_obj(rs, 202, cur);
                if (item)
                    obj_append_item(cur, item);
                obj_unref(cur);
            } else {
                respond_json_obj(rs, 202, r, next);
            }
        }
        json_decref(next);
        return 0;
    }
    json_decref(next);

    /* Immediate deletion. */
    if (!is_dry_run(rq)) {
        char *key = resource_key(r, old->ns, old->name);
        rc = store_delete(srv->store, key, old->rev, &rev);
        free(key);
        if (rc == -ESTALE || rc == -ENOENT)
            return -ESTALE;
        if (rc < 0) {
            api_err_internal(&e, "store: %s", strerror(-rc));
            resp_error(rs, &e);
            return 0;
        }
        cache_wait_rev(srv->cache, rev, 5000);
        admit_release(srv, r, old->json);
    }
    *gone = true;
    if (item)
        obj_append_item(old, item);
    json_t *st = json_object(), *d = json_object();
    jset_str(st, "kind", "Status");
    jset_str(st, "apiVersion", "v1");
    json_object_set_new(st, "metadata", json_object());
    jset_str(st, "status", "Success");
    jset_str(d, "name", old->name);
    if (*r->group)
        jset_str(d, "group", r->group);
    jset_str(d, "kind", r->plural);
    if (jget_str(ometa, "uid"))
        jset_str(d, "uid", jget_str(ometa, "uid"));
    json_object_set_new(st, "details", d);
    resp_json(rs, 200, st);
    return 0;
}

void rest_delete(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct delete_opts o;
    bool gone;

    if (parse_delete_opts(rq, &o, &e) < 0) {
        json_decref(o.body);
        resp_error(rs, &e);
        return;
    }
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
        if (!old) {
            api_err_not_found(&e, rt->res->group, rt->res->plural, rt->name);
            resp_error(rs, &e);
            json_decref(o.body);
            return;
        }
        int rc = delete_once(rq, rs, rt->res, old, &o, &gone, NULL);
        obj_unref(old);
        if (rc != -ESTALE) {
            json_decref(o.body);
            return;
        }
    }
    json_decref(o.body);
    api_err_conflict(&e, rt->res->group, rt->res->plural, rt->name, CONFLICT_MSG);
    resp_error(rs, &e);
}

void rest_delete_collection(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct cache_filter f;
    struct delete_opts o;
    struct obj **items = NULL;
    size_t n = 0;
    int64_t rev;
    struct strbuf list = STRBUF_INIT;

    if (parse_delete_opts(rq, &o, &e) < 0 || parse_filter(rq, rt, &f, &e) < 0) {
        json_decref(o.body);
        resp_error(rs, &e);
        return;
    }
    cache_list(rq->srv->cache, rt->res, &f, &items, &n, &rev);
    strbuf_addf(&list, "{\"kind\":\"%sList\",\"apiVersion\":", rt->res->kind);
    strbuf_add_json_str(&list, rt->res->gv);
    strbuf_addstr(&list, ",\"metadata\":{},\"items\":[");
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        struct resp one = {0};
        strbuf_init(&one.body, 0);
        struct obj *cur = obj_ref(items[i]);
        for (int attempt = 0; attempt < MAX_RETRIES && cur; attempt++) {
            bool gone;
            size_t before = list.len;
            if (listed)
                strbuf_addch(&list, ',');
            int rc = delete_once(rq, &one, rt->res, cur, &o, &gone, &list);
            if (list.len == before + (listed ? 1 : 0))
                strbuf_setlen(&list, before);
            else
                listed++;
            obj_unref(cur);
            cur = NULL;
            if (rc == -ESTALE)
                cur = cache_get(rq->srv->cache, rt->res, items[i]->ns, items[i]->name);
        }
        if (cur)
            obj_unref(cur);
        strbuf_release(&one.body);
        for (size_t w = 0; w < one.nwarnings; w++)
            free(one.warnings[w]);
        free(one.warnings);
    }
    strbuf_addstr(&list, "]}");
    for (size_t i = 0; i < n; i++)
        obj_unref(items[i]);
    free(items);
    filter_release(&f);
    json_decref(o.body);
    resp_raw(rs, 200, "application/json", list.buf, list.len);
    strbuf_release(&list);
}

/* --- subresources --- */

static json_t *scale_of(const struct obj *o)
{
    json_t *s = json_object(), *meta = json_object(), *ometa = jget_obj(o->json, "metadata");
    static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion",
                                       "creationTimestamp"};
    jset_str(s, "kind", "Scale");
    jset_str(s, "apiVersion", "autoscaling/v1");
    for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
        if (jget(ometa, keep[i]))
            json_object_set(meta, keep[i], jget(ometa, keep[i]));
    json_object_set_new(s, "metadata", meta);
    json_t *spec = json_object();
    jset_int(spec, "replicas", jpath_int(o->json, "spec.replicas", 0));
    json_object_set_new(s, "spec", spec);
    json_t *status = json_object();
    jset_int(status, "replicas", jpath_int(o->json, "status.replicas", 0));
    /* The selector in string form, as HPA and kubectl read it. */
    struct label_selector *sel = NULL;
    struct strbuf err = STRBUF_INIT;
    if (label_selector_from_json(jpath(o->json, "spec.selector"), &sel, &err) == 0) {
        char *str = label_selector_string(sel);
        if (*str)
            jset_str(status, "selector", str);
        free(str);
        label_selector_free(sel);
    }
    strbuf_release(&err);
    json_object_set_new(s, "status", status);
    return s;
}

/* Set spec.replicas of the StatefulSet from a Scale (after its own validation). */
static void scale_write(struct req *rq, struct resp *rs, const struct route *rt, json_t *scale,
                        bool precondition)
{
    struct api_err e = API_ERR_INIT;
    json_t *rep = jpath(scale, "spec.replicas");
    struct ferrs errs = FERRS_INIT;
    int64_t replicas = json_is_integer(rep) ? json_integer_value(rep) : 0;

    if (rep && !json_is_integer(rep)) {
        api_err_bad_request(&e, "Scale in version \"v1\" cannot be handled as a Scale: json: "
                                "cannot unmarshal %s into Go struct field ScaleSpec.spec.replicas "
                                "of type int32",
                            json_type_name(rep));
        resp_error(rs, &e);
        return;
    }
    if (replicas < 0) {
        ferr_invalid_int(&errs, "spec.replicas", replicas, "must be greater than or equal to 0");
        api_err_invalid(&e, "autoscaling", "Scale", rt->name, &errs);
        resp_error(rs, &e);
        return;
    }
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
        if (!old) {
            api_err_not_found(&e, rt->res->group, rt->res->plural, rt->name);
            resp_error(rs, &e);
            return;
        }
        int64_t want = rv_of(scale);
        if (precondition && want && want != old->rev) {
            api_err_conflict(&e, rt->res->group, rt->res->plural, rt->name, CONFLICT_MSG);
            obj_unref(old);
            resp_error(rs, &e);
            return;
        }
        json_t *next = json_deep_copy(old->json);
        jset_int(jensure_obj(next, "spec"), "replicas", replicas);
        struct resp inner = {0};
        strbuf_init(&inner.body, 0);
        int rc = update_once(rq, &inner, rt->res, old, next, TARGET_MAIN, false);
        json_decref(next);
        if (rc != -ESTALE) {
            if (inner.code == 200) {
                struct obj *cur = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
                resp_json(rs, 200, scale_of(cur ? cur : old));
                if (cur)
                    obj_unref(cur);
            } else {
                resp_raw(rs, inner.code, inner.content_type, inner.body.buf, inner.body.len);
            }
            strbuf_release(&inner.body);
            obj_unref(old);
            return;
        }
        strbuf_release(&inner.body);
        obj_unref(old);
    }
    api_err_conflict(&e, rt->res->group, rt->res->plural, rt->name, CONFLICT_MSG);
    resp_error(rs, &e);
}

static void do_scale(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    struct obj *o = cache_get(rq->srv->cache, rt->res, ns_of(rt), rt->name);
    if (!o) {
        api_err_not_found(&e, rt->res->group, rt->res->plural, rt->name);
        resp_error(rs, &e);
        return;
    }
    if (!strcmp(rq->method, "GET")) {
        resp_json(rs, 200, scale_of(o));
        obj_unref(o);
        return;
    }
    json_t *scale = NULL;
    if (!strcmp(rq->method, "PUT")) {
        scale = is_protobuf_content(rq)
                    ? parse_pb_body(rq, "Scale", "autoscaling/v1",
                                    sch_type_find("io.k8s.api.autoscaling.v1.Scale"), &e)
                    : parse_body(rq, &e);
        if (scale && !json_is_object(scale)) {
            json_decref(scale);
            scale = NULL;
            api_err_bad_request(&e, "the body must be a Scale object");
        }
        obj_unref(o);
        if (!scale) {
            resp_error(rs, &e);
            return;
        }
        scale_write(rq, rs, rt, scale, true);
        json_decref(scale);
        return;
    }
    if (!strcmp(rq->method, "PATCH")) {
        enum patch_type pt = patch_type_of(rq);
        json_t *patch = NULL;
        if (pt == PATCH_UNSUPPORTED) {
            api_err_set(&e, 415, "UnsupportedMediaType", "the server does not support this patch "
                                                         "type");
        } else if ((patch = parse_body(rq, &e))) {
            const struct sch_type *t = sch_type_find("io.k8s.api.autoscaling.v1.Scale");
            json_t *cur = scale_of(o);
            scale = apply_patch(pt, t, cur, patch, &e);
            json_decref(cur);
            json_decref(patch);
        }
        obj_unref(o);
        if (!scale) {
            resp_error(rs, &e);
            return;
        }
        /* The patched Scale carries the current resourceVersion unless the patch set one. */
        scale_write(rq, rs, rt, scale, true);
        json_decref(scale);
        return;
    }
    obj_unref(o);
    api_err_method_not_allowed(&e, "the server does not allow this method on the requested "
                                   "resource");
    resp_error(rs, &e);
}

/* As upstream's binding: the pod is marked PodScheduled=True. */
static void set_pod_scheduled(json_t *pod)
{
    char ts[KTIME_BUFSZ];
    json_t *conds = jensure_arr(jensure_obj(pod, "status"), "conditions");
    json_t *c = NULL, *v;
    size_t i;

    json_array_foreach(conds, i, v) if (!strcmp(jget_str(v, "type") ?: "", "PodScheduled")) c = v;
    if (c && !strcmp(jget_str(c, "status") ?: "", "True"))
        return;
    if (!c) {
        c = json_object();
        json_array_append_new(conds, c);
        jset_str(c, "type", "PodScheduled");
    }
    jset_str(c, "status", "True");
    json_object_set_new(c, "lastProbeTime", json_null());
    jset_str(c, "lastTransitionTime", ktime_format(ktime_now(), ts));
    json_object_del(c, "reason");
    json_object_del(c, "message");
}

static void do_binding(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    const struct sch_type *bt = sch_type_find("io.k8s.api.core.v1.Binding");
    json_t *b = is_protobuf_content(rq) ? parse_pb_body(rq, "Binding", "v1", bt, &e)
                                        : parse_body(rq, &e);
    if (!b) {
        resp_error(rs, &e);
        return;
    }
    const char *node = jpath_str(b, "target.name");
    const char *tkind = jpath_str(b, "target.kind");
    if (!node || !*node || (tkind && *tkind && strcmp(tkind, "Node"))) {
        struct ferrs errs = FERRS_INIT;
        if (!node || !*node)
            ferr_required(&errs, "target.name", NULL);
        else
            ferr_not_supported(&errs, "target.kind", tkind, (const char *const[]){"Node", NULL});
        api_err_invalid(&e, "", "Binding", rt->name, &errs);
        goto out;
    }
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, rt->res, rt->ns, rt->name);
        if (!old) {
            api_err_not_found(&e, "", "pods", rt->name);
            goto out;
        }
        const char *cur = jpath_str(old->json, "spec.nodeName");
        if (cur && *cur) {
            char *msg = xasprintf("pod %s is already assigned to node \"%s\"", rt->name, cur);
            api_err_conflict(&e, "", "pods/binding", rt->name, msg);
            free(msg);
            obj_unref(old);
            goto out;
        }
        if (jpath(old->json, "metadata.deletionTimestamp")) {
            char *msg = xasprintf("pod %s is being deleted, cannot be assigned to a host",
                                  rt->name);
            api_err_conflict(&e, "", "pods/binding", rt->name, msg);
            free(msg);
            obj_unref(old);
            goto out;
        }
        json_t *next = json_deep_copy(old->json);
        jset_str(jensure_obj(next, "spec"), "nodeName", node);
        set_pod_scheduled(next);
        json_t *ann = jpath(b, "metadata.annotations");
        if (json_is_object(ann)) {
            json_t *dst = jensure_obj(jensure_obj(next, "metadata"), "annotations");
            json_object_update(dst, ann);
        }
        size_t len;
        char *bytes = obj_stored_bytes(rt->res, next, &len);
        char *key = resource_key(rt->res, old->ns, old->name);
        int64_t rev;
        int rc = store_update(rq->srv->store, key, bytes, len, old->rev, &rev);
        free(bytes);
        free(key);
        json_decref(next);
        obj_unref(old);
        if (rc == -ESTALE)
            continue;
        if (rc < 0) {
            api_err_internal(&e, "store: %s", strerror(-rc));
            goto out;
        }
        cache_wait_rev(rq->srv->cache, rev, 5000);
        json_t *st = json_object();
        jset_str(st, "kind", "Status");
        jset_str(st, "apiVersion", "v1");
        json_object_set_new(st, "metadata", json_object());
        jset_str(st, "status", "Success");
        jset_int(st, "code", 201);
        resp_json(rs, 201, st);
        json_decref(b);
        return;
    }
    api_err_conflict(&e, "", "pods", rt->name, CONFLICT_MSG);
out:
    json_decref(b);
    resp_error(rs, &e);
}

/* namespaces/NAME/finalize: only spec.finalizers may change. */
static void do_finalize(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    json_t *obj = decode_body(rq, rs, rt->res, &e);
    if (!obj) {
        resp_error(rs, &e);
        return;
    }
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct obj *old = cache_get(rq->srv->cache, rt->res, "", rt->name);
        if (!old) {
            api_err_not_found(&e, "", "namespaces", rt->name);
            break;
        }
        json_t *next = json_deep_copy(old->json);
        json_t *fin = jpath(obj, "spec.finalizers");
        if (fin)
            json_object_set(jensure_obj(next, "spec"), "finalizers", fin);
        else
            json_object_del(jensure_obj(next, "spec"), "finalizers");
        struct obj *res = NULL;
        bool deleted;
        int rc = commit_update(rq->srv, rt->res, old, next, &res, &deleted, &e);
        if (rc == -ESTALE) {
            json_decref(next);
            obj_unref(old);
            continue;
        }
        if (rc == 0)
            res ? respond_obj(rs, 200, res) : respond_json_obj(rs, 200, rt->res, next);
        else
            resp_error(rs, &e);
        if (res)
            obj_unref(res);
        json_decref(next);
        obj_unref(old);
        json_decref(obj);
        return;
    }
    json_decref(obj);
    if (!e.code)
        api_err_conflict(&e, "", "namespaces", rt->name, CONFLICT_MSG);
    resp_error(rs, &e);
}

static void do_status(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    if (!strcmp(rq->method, "GET")) {
        rest_get(rq, rs, rt);
        return;
    }
    if (!strcmp(rq->method, "PATCH")) {
        do_patch(rq, rs, rt, TARGET_STATUS);
        return;
    }
    if (!strcmp(rq->method, "PUT")) {
        put_object(rq, rs, rt, TARGET_STATUS);
        return;
    }
    api_err_method_not_allowed(&e, "the server does not allow this method on the requested "
                                   "resource");
    resp_error(rs, &e);
}

void rest_subresource(struct req *rq, struct resp *rs, const struct route *rt)
{
    struct api_err e = API_ERR_INIT;
    const struct resource *r = rt->res;
    const char *m = rq->method;

    if (r->namespaced && !rt->ns) {
        api_err_set(&e, 404, "NotFound", "the server could not find the requested resource");
        resp_error(rs, &e);
        return;
    }
    if (!strcmp(rt->sub, "status") && (r->flags & RES_SUB_STATUS)) {
        do_status(rq, rs, rt);
        return;
    }
    if (!strcmp(rt->sub, "scale") && (r->flags & RES_SUB_SCALE)) {
        do_scale(rq, rs, rt);
        return;
    }
    if (!strcmp(rt->sub, "binding") && (r->flags & RES_SUB_BINDING) && !strcmp(m, "POST")) {
        do_binding(rq, rs, rt);
        return;
    }
    if (!strcmp(rt->sub, "finalize") && (r->flags & RES_SUB_FINALIZE) && !strcmp(m, "PUT")) {
        do_finalize(rq, rs, rt);
        return;
    }
    api_err_set(&e, 404, "NotFound", "the server could not find the requested resource");
    resp_error(rs, &e);
}
