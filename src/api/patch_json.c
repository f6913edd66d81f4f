/* patch_json.c — RFC 6902 JSON patch (application/json-patch+json) over RFC 6901 pointers.
 *
 * The operations run in order on a private deep copy of the document; the first failing one
 * abandons the copy, so a patch applies entirely or not at all. Error texts follow
 * evanphx/json-patch (the library the API server uses) where it has one.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "api/patch.h"
#include "base/alloc.h"

/* Upstream's limits: maxJSONPatchOperations in the apiserver's patch handler, and
 * jsonpatch.AccumulatedCopySizeLimit, armed from JSONPatchMaxCopyBytes (3 MiB). The second
 * keeps "copy" from doubling a document on every operation. */
#define JSONPATCH_MAX_OPS 10000
#define JSONPATCH_MAX_COPY_BYTES (3 * 1024 * 1024)

/* --- JSON pointers (RFC 6901) --- */

struct pointer {
    char **tok; /* unescaped reference tokens, owned */
    size_t ntok;
};

static void pointer_release(struct pointer *p)
{
    for (size_t i = 0; i < p->ntok; i++)
        free(p->tok[i]);
    free(p->tok);
    p->tok = NULL;
    p->ntok = 0;
}

/* Split "/a~1b/0" into {"a/b", "0"}. "" is the whole document (no tokens). Returns false for a
 * string that is not a pointer (no leading "/", or "~" not followed by 0 or 1). */
static bool pointer_parse(const char *s, struct pointer *p)
{
    size_t alloc = 0;

    p->tok = NULL;
    p->ntok = 0;
    if (!*s)
        return true;
    if (*s != '/')
        return false;
    while (*s == '/') {
        struct strbuf t = STRBUF_INIT;
        for (s++; *s && *s != '/'; s++) {
            if (*s != '~') {
                strbuf_addch(&t, *s);
            } else if (s[1] == '0' || s[1] == '1') {
                strbuf_addch(&t, s[1] == '0' ? '~' : '/');
                s++;
            } else {
                strbuf_release(&t);
                pointer_release(p);
                return false;
            }
        }
        ALLOC_GROW(p->tok, p->ntok + 1, alloc);
        p->tok[p->ntok++] = strbuf_detach(&t, NULL);
    }
    return true;
}

/* An array index token: "0" or digits without a leading zero (RFC 6901 §4). "-" and anything
 * else ("1e0", "01", "-1", " 1") is refused. *idx may exceed any array size. */
static bool parse_index(const char *tok, size_t *idx)
{
    size_t v = 0;

    if (!*tok || (tok[0] == '0' && tok[1]))
        return false;
    for (const char *c = tok; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        if (v > (SIZE_MAX - 9) / 10)
            v = SIZE_MAX; /* saturate: out of range for any real array */
        else
            v = v * 10 + (size_t)(*c - '0');
    }
    *idx = v;
    return true;
}

/* The value at tokens [0, n) below doc, borrowed; NULL if there is none. */
static json_t *walk(json_t *doc, const struct pointer *p, size_t n)
{
    json_t *cur = doc;
    size_t idx;

    for (size_t i = 0; i < n && cur; i++) {
        if (json_is_object(cur))
            cur = json_object_get(cur, p->tok[i]);
        else if (json_is_array(cur) && parse_index(p->tok[i], &idx))
            cur = json_array_get(cur, idx); /* NULL when out of range */
        else
            cur = NULL;
    }
    return cur;
}

/* --- equality for "test": RFC 6902 §4.6, numbers compare by value --- */

static bool value_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        const char *k;
        json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach ((json_t *)a, k, va) {
            json_t *vb = json_object_get(b, k);
            if (!vb || !value_equal(va, vb))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!value_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal(a, b); /* strings, true, false, null */
}

/* --- the operations --- */

struct op_ctx {
    json_t **doc;     /* the document being patched (the root may be replaced) */
    const char *name; /* "add", "remove", ... for messages */
    const char *path; /* the op's path text, for messages */
    size_t copied;    /* bytes added by "copy" so far */
    struct strbuf *err;
};

/* Insert val (reference stolen) at pointer p. With replace, the target must already exist
 * and is overwritten (RFC 6902 §4.3); otherwise RFC 6902 §4.1 add semantics. */
static int put(struct op_ctx *c, const struct pointer *p, json_t *val, bool replace)
{
    json_t *parent;
    const char *last;
    size_t idx;

    if (!p->ntok) {
        json_decref(*c->doc);
        *c->doc = val;
        return 0;
    }
    parent = walk(*c->doc, p, p->ntok - 1);
    last = p->tok[p->ntok - 1];
    if (json_is_object(parent)) {
        if (replace && !json_object_get(parent, last)) {
            strbuf_addf(c->err, "%s operation does not apply: doc is missing key: %s", c->name,
                        c->path);
            goto out_fail;
        }
        json_object_set_new(parent, last, val);
        return 0;
    }
    if (json_is_array(parent)) {
        size_t n = json_array_size(parent);
        if (!replace && !strcmp(last, "-")) {
            json_array_append_new(parent, val);
            return 0;
        }
        if (!parse_index(last, &idx)) {
            strbuf_addf(c->err,
                        "error in %s for path: '%s': value was not a proper array index: "
                        "'%s'",
                        c->name, c->path, last);
            goto out_fail;
        }
        if (replace ? idx >= n : idx > n) {
            strbuf_addf(c->err, "error in %s for path: '%s': Unable to access invalid index: %zu",
                        c->name, c->path, idx);
            goto out_fail;
        }
        if (replace)
            json_array_set_new(parent, idx, val);
        else
            json_array_insert_new(parent, idx, val);
        return 0;
    }
    strbuf_addf(c->err, "%s operation does not apply: doc is missing path: \"%s\"", c->name,
                c->path);
out_fail:
    json_decref(val);
    return -EILSEQ;
}

/* Remove the value at p (which must exist). */
static int del(struct op_ctx *c, const struct pointer *p)
{
    json_t *parent;
    const char *last;
    size_t idx;

    if (!p->ntok) {
        strbuf_addf(c->err, "%s operation does not apply: cannot remove the whole document",
                    c->name);
        return -EILSEQ;
    }
    parent = walk(*c->doc, p, p->ntok - 1);
    last = p->tok[p->ntok - 1];
    if (json_is_object(parent)) {
        if (json_object_del(parent, last)) {
            strbuf_addf(c->err, "error in %s for path: '%s': Unable to remove nonexistent key: %s",
                        c->name, c->path, last);
            return -EILSEQ;
        }
        return 0;
    }
    if (json_is_array(parent)) {
        if (!parse_index(last, &idx) || idx >= json_array_size(parent)) {
            strbuf_addf(c->err, "error in %s for path: '%s': Unable to access invalid index: %s",
                        c->name, c->path, last);
            return -EILSEQ;
        }
        json_array_remove(parent, idx);
        return 0;
    }
    strbuf_addf(c->err, "%s operation does not apply: doc is missing path: \"%s\"", c->name,
                c->path);
    return -EILSEQ;
}

/* A string member of the operation, or NULL after reporting it missing. */
static const char *op_str(struct op_ctx *c, const json_t *op, const char *member)
{
    json_t *v = json_object_get(op, member);

    if (json_is_string(v))
        return json_string_value(v);
    if (!v)
        strbuf_addf(c->err, "%s operation failed to decode %s: operation missing %s field", c->name,
                    member, member);
    else
        strbuf_addf(c->err,
                    "%s operation failed to decode %s: json: cannot unmarshal %s into "
                    "Go value of type string",
                    c->name, member, json_type_name(v));
    return NULL;
}

static json_t *op_value(struct op_ctx *c, const json_t *op)
{
    json_t *v = json_object_get(op, "value");

    if (!v)
        strbuf_addf(c->err, "%s operation, missing value field", c->name);
    return v;
}

static bool op_pointer(struct op_ctx *c, const char *text, struct pointer *p)
{
    if (pointer_parse(text, p))
        return true;
    strbuf_addf(c->err, "%s operation does not apply: invalid JSON pointer: \"%s\"", c->name, text);
    return false;
}

/* Apply one operation object. */
static int apply_op(struct op_ctx *c, const json_t *op)
{
    struct pointer path = {NULL, 0}, from = {NULL, 0};
    const char *kind = json_string_value(json_object_get(op, "op"));
    const char *ptext, *ftext;
    json_t *val, *cur;
    int rc = -EILSEQ;

    if (!kind || !(!strcmp(kind, "add") || !strcmp(kind, "remove") || !strcmp(kind, "replace") ||
                   !strcmp(kind, "move") || !strcmp(kind, "copy") || !strcmp(kind, "test"))) {
        strbuf_addf(c->err, "Unexpected kind: %s", kind ? kind : "unknown");
        return -EILSEQ;
    }
    c->name = kind;
    ptext = op_str(c, op, "path");
    if (!ptext)
        return -EILSEQ;
    c->path = ptext;
    if (!op_pointer(c, ptext, &path))
        return -EILSEQ;

    if (!strcmp(kind, "add") || !strcmp(kind, "replace")) {
        val = op_value(c, op);
        if (val)
            rc = put(c, &path, json_deep_copy(val), kind[0] == 'r');
    } else if (!strcmp(kind, "remove")) {
        rc = del(c, &path);
    } else if (!strcmp(kind, "test")) {
        val = op_value(c, op);
        if (!val)
            goto out;
        cur = walk(*c->doc, &path, path.ntok);
        if (!cur)
            strbuf_addf(c->err, "test operation does not apply: is missing path: %s", ptext);
        else if (!value_equal(cur, val))
            strbuf_addf(c->err, "testing value %s failed: test failed", ptext);
        else
            rc = 0;
    } else { /* move, copy */
        ftext = op_str(c, op, "from");
        if (!ftext || !op_pointer(c, ftext, &from))
            goto out;
        cur = walk(*c->doc, &from, from.ntok);
        if (!cur) {
            strbuf_addf(c->err, "%s operation does not apply: doc is missing from path: %s", kind,
                        ftext);
            goto out;
        }
        if (kind[0] == 'c') {
            char *s = json_dump_compact(cur);
            c->copied += strlen(s);
            free(s);
            if (c->copied > JSONPATCH_MAX_COPY_BYTES) {
                strbuf_addf(c->err,
                            "Unable to complete the copy, the accumulated size increase "
                            "of copy is %zu, exceeding the limit %d",
                            c->copied, JSONPATCH_MAX_COPY_BYTES);
                goto out;
            }
            rc = put(c, &path, json_deep_copy(cur), false);
            goto out;
        }
        if (!strcmp(ftext, ptext)) {
            rc = 0; /* RFC 6902 §4.4: moving a value onto itself changes nothing */
            goto out;
        }
        if (!strncmp(ptext, ftext, strlen(ftext)) && ptext[strlen(ftext)] == '/') {
            strbuf_addf(c->err,
                        "move operation does not apply: \"from\" %s is a prefix of "
                        "\"path\" %s",
                        ftext, ptext);
            goto out;
        }
        json_incref(cur);
        rc = del(c, &from);
        if (rc)
            json_decref(cur);
        else
            rc = put(c, &path, cur, false);
    }
out:
    pointer_release(&path);
    pointer_release(&from);
    return rc;
}

int patch_json(const json_t *orig, const json_t *ops, json_t **out, struct strbuf *err)
{
    struct op_ctx c = {0};
    json_t *doc, *op;
    size_t i;

    /* Decoding the patch document (jsonpatch.DecodePatch) fails with 400; "null" decodes to
     * an empty patch, as Go's encoding/json does. */
    if (json_is_null(ops)) {
        *out = json_deep_copy(orig);
        return 0;
    }
    if (!json_is_array(ops)) {
        strbuf_addf(err, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
                    json_type_name(ops));
        return -EINVAL;
    }
    json_array_foreach (ops, i, op) {
        if (!json_is_object(op) && !json_is_null(op)) {
            strbuf_addf(err,
                        "json: cannot unmarshal %s into Go value of type "
                        "jsonpatch.Operation",
                        json_type_name(op));
            return -EINVAL;
        }
    }
    if (json_array_size(ops) > JSONPATCH_MAX_OPS) {
        strbuf_addf(err, "The allowed maximum operations in a JSON patch is %d, got %zu",
                    JSONPATCH_MAX_OPS, json_array_size(ops));
        return -E2BIG;
    }

    doc = json_deep_copy(orig);
    c.doc = &doc;
    c.err = err;
    json_array_foreach (ops, i, op) {
        int rc = apply_op(&c, op);
        if (rc) {
            json_decref(doc);
            return rc;
        }
    }
    *out = doc;
    return 0;
}
