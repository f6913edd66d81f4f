/* patch_strategic.c — strategic merge patch, the server half of
 * k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch with MergeParallelList
 * and IgnoreUnmatchedNulls, as the API server calls it).
 *
 * The functions below mirror upstream's mergeMap / mergePatchIntoOriginal / mergeSlice, on
 * private deep copies of the object and the patch that they edit in place as upstream edits
 * its maps. Upstream is followed to the letter, including the orders it produces, because
 * kubectl's 3-way patches are computed to give exactly those orders. Patch metadata (merge
 * keys, strategies) comes from the berth schema instead of Go struct tags.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/patch.h"
#include "base/alloc.h"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_FROM_PRIMITIVE_LIST "$deleteFromPrimitiveList"
#define SET_ELEMENT_ORDER "$setElementOrder"

struct smp {
    struct strbuf *err;
    json_t *keep; /* references that must outlive the merge (see merge_slice) */
};

/* What upstream's LookupPatchMetadataForStruct/ForSlice answer for one field. */
struct meta {
    const struct sch_ref *sub; /* schema of the value (of its elements for a list); NULL = none */
    bool merge;                /* patchStrategy merge */
    const char *key;           /* patchMergeKey, or NULL */
};

/* A Go slice of borrowed values: appending within cap writes into the same buffer, which is
 * what makes upstream's list orders come out as they do (see merge_set_element_order). */
struct gslice {
    json_t **v;
    size_t len, cap;
    bool owned; /* v is ours to free (else it is the caller's buffer) */
};

/* clang-format off */
#define GSLICE_INIT {NULL, 0, 0, true}
/* clang-format on */

static void gs_append(struct gslice *s, json_t *x)
{
    if (s->len == s->cap) {
        size_t ncap = s->cap * 2 + 4;
        json_t **nv = xmalloc(ncap * sizeof(*nv));
        if (s->len)
            memcpy(nv, s->v, s->len * sizeof(*nv));
        if (s->owned)
            free(s->v);
        s->v = nv;
        s->cap = ncap;
        s->owned = true;
    }
    s->v[s->len++] = x;
}

static void gs_release(struct gslice *s)
{
    if (s->owned)
        free(s->v);
    s->v = NULL;
    s->len = s->cap = 0;
    s->owned = true;
}

static void gs_from_array(struct gslice *s, const json_t *arr)
{
    size_t i;
    json_t *v;

    json_array_foreach (arr, i, v)
        gs_append(s, v);
}

/* A new array holding references to the slice's values. */
static json_t *gs_to_array(const struct gslice *s)
{
    json_t *a = json_array();

    for (size_t i = 0; i < s->len; i++)
        json_array_append(a, s->v[i]);
    return a;
}

/* --- messages, worded and formatted as Go prints them --- */

static void go_value(struct strbuf *sb, const json_t *v);

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* strconv.FormatFloat(d, 'g', -1, 64), which fmt's %v uses. */
static void go_float(struct strbuf *sb, double d)
{
    char buf[64];
    int prec, exp;

    if (d == 0) {
        strbuf_addstr(sb, signbit(d) ? "-0" : "0");
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
    exp = atoi(strchr(buf, 'e') + 1);
    if (exp < -4 || exp >= 6)
        strbuf_addstr(sb, buf);
    else
        strbuf_addf(sb, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

/* fmt's %v of a decoded JSON value: map[k:v ...] with sorted keys, [a b], bare strings. */
static void go_value(struct strbuf *sb, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
        const char *k;
        json_t *e;
        json_object_foreach ((json_t *)v, k, e)
            keys[i++] = k;
        qsort(keys, n, sizeof(*keys), cmp_str);
        strbuf_addstr(sb, "map[");
        for (i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            strbuf_addf(sb, "%s:", keys[i]);
            go_value(sb, json_object_get(v, keys[i]));
        }
        strbuf_addch(sb, ']');
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        strbuf_addch(sb, '[');
        json_array_foreach (v, i, e) {
            if (i)
                strbuf_addch(sb, ' ');
            go_value(sb, e);
        }
        strbuf_addch(sb, ']');
        break;
    }
    case JSON_STRING:
        strbuf_add(sb, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        go_float(sb, json_real_value(v));
        break;
    case JSON_TRUE:
        strbuf_addstr(sb, "true");
        break;
    case JSON_FALSE:
        strbuf_addstr(sb, "false");
        break;
    default:
        strbuf_addstr(sb, "<nil>");
    }
}

/* reflect.TypeOf(v) printed with %s. */
static const char *go_type(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int64";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "%!s(<nil>)";
    }
}

/* mergepatch.ErrBadArgType */
static int err_bad_arg_type(struct smp *x, const char *expected, const json_t *actual)
{
    strbuf_addf(x->err, "expected a %s, but received a %s", expected, go_type(actual));
    return -EINVAL;
}

/* mergepatch.ErrNoMergeKey */
static int err_no_merge_key(struct smp *x, const json_t *m, const char *key)
{
    strbuf_addstr(x->err, "map: ");
    go_value(x->err, m);
    strbuf_addf(x->err, " does not contain declared merge key: %s", key);
    return -EINVAL;
}

/* mergepatch.ErrBadPatchType */
static int err_bad_patch_type(struct smp *x, const json_t *directive, const json_t *m)
{
    strbuf_addstr(x->err, "unknown patch type: ");
    if (json_is_string(directive)) {
        go_value(x->err, directive);
    } else if (json_is_null(directive)) {
        strbuf_addstr(x->err, "%!s(<nil>)");
    } else {
        strbuf_addf(x->err, "%%!s(%s=", go_type(directive));
        go_value(x->err, directive);
        strbuf_addch(x->err, ')');
    }
    strbuf_addstr(x->err, " in map: ");
    go_value(x->err, m);
    return -EINVAL;
}

static int err_msg(struct smp *x, const char *msg)
{
    strbuf_addstr(x->err, msg);
    return -EINVAL;
}

/* --- schema lookups --- */

static const struct sch_ref *value_schema(const struct sch_ref *r)
{
    return r && (r->kind == SCH_STRUCT || r->kind == SCH_MAP) ? r : NULL;
}

/* Patch metadata of field k below s. Fields the schema does not know get none: their maps
 * merge and their lists are replaced (upstream refuses to merge them at all). */
static void lookup(const struct sch_ref *s, const char *k, bool list, struct meta *m)
{
    const struct sch_field *f;
    const struct sch_ref *r = NULL;

    m->sub = NULL;
    m->merge = false;
    m->key = NULL;
    if (!s)
        return;
    if (s->kind == SCH_MAP) {
        r = s->elem;
        if (list)
            m->sub = r && r->kind == SCH_ARRAY ? value_schema(r->elem) : NULL;
        else
            m->sub = value_schema(r);
        return;
    }
    if (s->kind != SCH_STRUCT || !s->type)
        return;
    f = sch_field_find(s->type, k);
    if (!f)
        return;
    if (!list) {
        m->sub = value_schema(f->ref);
        return;
    }
    if (f->ref->kind != SCH_ARRAY)
        return;
    m->sub = value_schema(f->ref->elem);
    m->merge = f->flags & (SCH_F_MERGE | SCH_F_SET);
    if ((f->flags & SCH_F_MERGE) && f->merge_key && *f->merge_key)
        m->key = f->merge_key;
}

static const char *schema_name(const struct sch_ref *s)
{
    if (s && s->kind == SCH_STRUCT && s->type)
        return s->type->go_name ? s->type->go_name : s->type->name;
    return "unknown type";
}

/* --- small helpers on decoded values --- */

/* Go's reflect.TypeOf classes: true and false are both bool; ints and floats differ. */
static int type_class(const json_t *v)
{
    int t = json_typeof(v);
    return t == JSON_FALSE ? JSON_TRUE : t;
}

/* Go's == on two interface values holding JSON scalars (absent == absent, as nil == nil). */
static bool go_eq(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal(a, b);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static bool is_directive(const json_t *v, const char *which)
{
    json_t *d = json_object_get(v, DIRECTIVE);
    return json_is_string(d) && !strcmp(json_string_value(d), which);
}

/* extractKey: "$setElementOrder/containers" -> "containers". */
static int extract_key(struct smp *x, const char *s, const char *prefix, const char **key)
{
    const char *slash = strchr(s, '/');

    if (!slash || (size_t)(slash - s) != strlen(prefix) || strncmp(s, prefix, strlen(prefix)))
        return err_msg(x, !strcmp(prefix, SET_ELEMENT_ORDER)
                              ? "invalid patch format of setElementOrder list"
                              : "invalid patch format of primitive list");
    *key = slash + 1;
    return 0;
}

/* removeDirectives: the value without any map that carries "$patch" (such maps, and list
 * items, disappear). Returns a new reference, or NULL when v itself is such a map. */
static json_t *remove_directives(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *e, *r;
        void *tmp;
        if (json_object_get(v, DIRECTIVE))
            return NULL;
        json_object_foreach_safe (v, tmp, k, e) {
            r = remove_directives(e);
            if (!r)
                json_object_del(v, k);
            else if (r != e)
                json_object_set_new(v, k, r);
            else
                json_decref(r);
        }
        return json_incref(v);
    }
    if (json_is_array(v)) {
        json_t *a = json_array(), *e, *r;
        size_t i;
        json_array_foreach (v, i, e) {
            r = remove_directives(e);
            if (r)
                json_array_append_new(a, r);
        }
        return a;
    }
    return json_incref(v);
}

/* discardNullValuesFromPatch: drop null members of maps, at any depth (list items stay). */
static void discard_nulls(json_t *v)
{
    const char *k;
    json_t *e;
    void *tmp;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach_safe (v, tmp, k, e) {
            if (json_is_null(e))
                json_object_del(v, k);
            else
                discard_nulls(e);
        }
    } else if (json_is_array(v)) {
        json_array_foreach (v, i, e)
            discard_nulls(e);
    }
}

/* sliceElementType over up to two lists: every element must be of one type, not a list.
 * Sets *kind to that type (JSON_OBJECT for lists of maps). */
static int slice_element_type(struct smp *x, const json_t *a, const json_t *b, int *kind)
{
    const json_t *lists[2] = {a, b};
    int prev = -1;

    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach (lists[l], i, e) {
            if (prev < 0) {
                prev = type_class(e);
                if (prev == JSON_ARRAY) {
                    strbuf_addstr(x->err, "lists of lists are not supported");
                    return -EILSEQ;
                }
            } else if (type_class(e) != prev) {
                strbuf_addstr(x->err, "list element types are not identical: [");
                if (a)
                    go_value(x->err, a);
                else
                    strbuf_addstr(x->err, "[]");
                strbuf_addch(x->err, ' ');
                if (b)
                    go_value(x->err, b);
                else
                    strbuf_addstr(x->err, "[]");
                strbuf_addch(x->err, ']');
                return -EINVAL;
            }
        }
    }
    if (prev < 0)
        return err_msg(x, "no elements in any of the given slices");
    *kind = prev;
    return 0;
}

/* --- lookups by value ---
 *
 * Upstream finds list items by linear scans (findMapInSliceBasedOnKeyValue, index(), map
 * lookups with ==), which makes a patch of a few thousand items take seconds. An index from
 * the canonical text of a value to its first position gives the same answers in constant
 * time: two JSON values are equal (json_equal: 1 is not 1.0, members in any order) exactly
 * when their canonical texts are. */

struct vindex {
    json_t *first; /* canonical text -> position of its first occurrence */
    size_t bad;    /* first position holding no map (SIZE_MAX: none) */
};

static char *canon(const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    if (!s)
        abort();
    return s;
}

/* Index s[0..n) by each item (key NULL) or by each map's value at key. Maps without the key
 * are not indexed (they match nothing); items that are not maps are remembered in bad. */
static void vindex_init(struct vindex *ix, json_t *const *s, size_t n, const char *key)
{
    ix->first = json_object();
    ix->bad = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = s[i];
        if (key) {
            if (!json_is_object(v)) {
                if (ix->bad == SIZE_MAX)
                    ix->bad = i;
                continue;
            }
            v = json_object_get(v, key);
            if (!v)
                continue;
        }
        char *c = canon(v);
        if (!json_object_get(ix->first, c))
            json_object_set_new(ix->first, c, json_integer((json_int_t)i));
        free(c);
    }
}

/* Record that the value v now also sits at position pos (kept only if it is the first). */
static void vindex_add(struct vindex *ix, const json_t *v, size_t pos)
{
    char *c = canon(v);
    if (!json_object_get(ix->first, c))
        json_object_set_new(ix->first, c, json_integer((json_int_t)pos));
    free(c);
}

/* Position of the first item equal to v (or whose key value equals v), SIZE_MAX if none. */
static size_t vindex_find(const struct vindex *ix, const json_t *v)
{
    char *c = canon(v);
    json_t *p = json_object_get(ix->first, c);
    free(c);
    return p ? (size_t)json_integer_value(p) : SIZE_MAX;
}

static void vindex_release(struct vindex *ix)
{
    json_decref(ix->first);
    ix->first = NULL;
}

/* findMapInSliceBasedOnKeyValue over an indexed list: 1 and *at when found, 0 when not, or
 * the error upstream's scan meets first (an item that is not a map). */
static int find_by_key(struct smp *x, const struct vindex *ix, const json_t *val, size_t *at)
{
    size_t p = vindex_find(ix, val);

    if (p != SIZE_MAX && p < ix->bad) {
        *at = p;
        return 1;
    }
    if (ix->bad != SIZE_MAX) {
        strbuf_addf(x->err, "value for key %zu is not a map", ix->bad);
        return -EINVAL;
    }
    return 0;
}

/* --- list order (normalizeElementOrder and friends) --- */

/* index(): position in order of v (by merge key for maps), SIZE_MAX when absent. Maps in
 * order have been checked to carry the key. */
static size_t order_index(const struct vindex *order, const json_t *v, const char *key, int kind)
{
    if (kind == JSON_OBJECT) {
        v = json_object_get(v, key ? key : "");
        if (!v)
            return SIZE_MAX;
    }
    return vindex_find(order, v);
}

struct ranked {
    size_t idx, pos;
    json_t *v;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *l = a, *r = b;
    if (l->idx != r->idx)
        return l->idx < r->idx ? -1 : 1;
    return l->pos < r->pos ? -1 : l->pos > r->pos;
}

/* A stable sort of s by each item's index in order. Upstream sorts with sort.SliceStable
 * and a comparator that calls items missing from order "less" than anything; such items
 * cannot occur on the paths that reach here, and this keeps them, in order, at the end. */
static void sort_by_order(struct gslice *s, const struct vindex *order, const char *key, int kind)
{
    struct ranked *r = xcalloc(s->len ? s->len : 1, sizeof(*r));

    for (size_t i = 0; i < s->len; i++)
        r[i] = (struct ranked){order_index(order, s->v[i], key, kind), i, s->v[i]};
    qsort(r, s->len, sizeof(*r), cmp_ranked);
    for (size_t i = 0; i < s->len; i++)
        s->v[i] = r[i].v;
    free(r);
}

/* validateMergeKeyInLists for one list. A list of maps without a merge key (a plain list
 * given a $setElementOrder) fails here, on the empty key, as upstream does. */
static int check_merge_keys(struct smp *x, json_t *const *s, size_t n, const char *key)
{
    if (!key)
        key = "";
    for (size_t i = 0; i < n; i++) {
        if (!json_is_object(s[i]))
            return err_bad_arg_type(x, "map[string]interface {}", s[i]);
        if (!json_object_get(s[i], key))
            return err_no_merge_key(x, s[i], key);
    }
    return 0;
}

/* normalizeSliceOrder: sort s by order; for maps, "$patch: delete" items go last. */
static int normalize_slice_order(struct smp *x, struct gslice *s, json_t *const *order, size_t n,
                                 const char *key, int kind)
{
    struct gslice keep = GSLICE_INIT, del = GSLICE_INIT;
    struct vindex ix;
    int rc;

    if (kind == JSON_OBJECT) {
        if ((rc = check_merge_keys(x, s->v, s->len, key)) ||
            (rc = check_merge_keys(x, order, n, key)))
            return rc;
        for (size_t i = 0; i < s->len; i++)
            gs_append(is_directive(s->v[i], "delete") ? &del : &keep, s->v[i]);
    } else {
        keep = *s;
        *s = (struct gslice)GSLICE_INIT;
    }
    vindex_init(&ix, order, n, kind == JSON_OBJECT ? (key ? key : "") : NULL);
    sort_by_order(&keep, &ix, key, kind);
    vindex_release(&ix);
    for (size_t i = 0; i < del.len; i++)
        gs_append(&keep, del.v[i]);
    gs_release(&del);
    gs_release(s);
    *s = keep;
    return 0;
}

/* normalizeElementOrder + mergeSortedSlice: patch items in patch order, server-only items in
 * server order, interleaved by the server order where both are known. Returns a new array. */
static int normalize_element_order(struct smp *x, struct gslice *patch, struct gslice *server,
                                   json_t *const *porder, size_t np, json_t *const *sorder,
                                   size_t ns, const char *key, int kind, json_t **res)
{
    struct gslice all = GSLICE_INIT;
    struct vindex ix;
    size_t i = 0, j = 0;
    int rc;

    if ((rc = normalize_slice_order(x, patch, porder, np, key, kind)) ||
        (rc = normalize_slice_order(x, server, sorder, ns, key, kind)))
        return rc;
    vindex_init(&ix, sorder, ns, kind == JSON_OBJECT ? (key ? key : "") : NULL);
    while (i < server->len && j < patch->len) {
        size_t li = order_index(&ix, server->v[i], key, kind);
        size_t ri = order_index(&ix, patch->v[j], key, kind);
        if (li != SIZE_MAX && ri != SIZE_MAX && li < ri)
            gs_append(&all, server->v[i++]);
        else
            gs_append(&all, patch->v[j++]);
    }
    vindex_release(&ix);
    for (; i < server->len; i++)
        gs_append(&all, server->v[i]);
    for (; j < patch->len; j++)
        gs_append(&all, patch->v[j]);
    *res = gs_to_array(&all);
    gs_release(&all);
    return 0;
}

/* partitionPrimitivesByPresentInList / partitionMapsByPresentInList: items found in by go to
 * in, the others to out, both in the items' order. */
static int partition(struct smp *x, json_t *const *items, size_t n, json_t *const *by, size_t nby,
                     const char *key, struct gslice *in, struct gslice *out)
{
    struct vindex ix;
    int rc = 0;

    vindex_init(&ix, by, nby, key);
    for (size_t i = 0; i < n; i++) {
        bool found;
        if (key) {
            json_t *kv;
            size_t at;
            if (!json_is_object(items[i])) {
                rc = err_bad_arg_type(x, "map[string]interface {}", items[i]);
                break;
            }
            kv = json_object_get(items[i], key);
            if (!kv) {
                rc = err_no_merge_key(x, items[i], key);
                break;
            }
            if ((rc = find_by_key(x, &ix, kv, &at)) < 0)
                break;
            found = rc;
            rc = 0;
        } else {
            found = vindex_find(&ix, items[i]) != SIZE_MAX;
        }
        gs_append(found ? in : out, items[i]);
    }
    vindex_release(&ix);
    return rc;
}

/* --- merging --- */

static int merge_map(struct smp *x, json_t *o, json_t *p, const struct sch_ref *s, json_t **res);

/* Lists of scalars (mergeSlice's first half): a delete list filters (deleteFromSlice),
 * anything else is a union, ordered by normalize_element_order. *res is a new array. */
static int merge_scalars(struct smp *x, struct gslice *orig, json_t *patch, bool is_delete_list,
                         int kind, json_t **res)
{
    struct gslice merged = GSLICE_INIT, plain = GSLICE_INIT, in = GSLICE_INIT, out = GSLICE_INIT;
    struct vindex pix, seen;
    size_t i;
    json_t *e;
    int rc;

    gs_from_array(&plain, patch);
    if (is_delete_list) {
        vindex_init(&pix, plain.v, plain.len, NULL);
        for (i = 0; i < orig->len; i++)
            if (vindex_find(&pix, orig->v[i]) == SIZE_MAX)
                gs_append(&merged, orig->v[i]);
        vindex_release(&pix);
        *res = gs_to_array(&merged);
        gs_release(&merged);
        gs_release(&plain);
        return 0;
    }
    /* upstream appends and deduplicates; the order is settled below */
    seen.first = json_object();
    seen.bad = SIZE_MAX;
    for (i = 0; i < orig->len + plain.len; i++) {
        e = i < orig->len ? orig->v[i] : plain.v[i - orig->len];
        if (vindex_find(&seen, e) == SIZE_MAX) {
            vindex_add(&seen, e, merged.len);
            gs_append(&merged, e);
        }
    }
    vindex_release(&seen);
    rc = partition(x, merged.v, merged.len, plain.v, plain.len, NULL, &in, &out);
    if (!rc)
        rc = normalize_element_order(x, &in, &out, plain.v, plain.len, orig->v, orig->len, NULL,
                                     kind, res);
    gs_release(&merged);
    gs_release(&plain);
    gs_release(&in);
    gs_release(&out);
    return rc;
}

/* mergeSlice. orig is the caller's view of the original list as a Go slice header over a
 * buffer the merge edits in place (deletions shift it, appends within its capacity land in
 * it); upstream's $setElementOrder handling later reads that same buffer. *res is a new
 * array. */
static int merge_slice(struct smp *x, struct gslice *orig, json_t *patch, const struct meta *m,
                       bool is_delete_list, json_t **res)
{
    struct gslice plain = GSLICE_INIT, sorder = GSLICE_INIT, in = GSLICE_INIT, out = GSLICE_INIT,
                  replaced = GSLICE_INIT, *list = orig;
    struct vindex del = {NULL, SIZE_MAX}, ix = {NULL, SIZE_MAX};
    bool replace = false;
    json_t *tmp, *e;
    size_t i, n;
    int kind, rc;

    if (orig->len == 0 && json_array_size(patch) == 0) {
        *res = gs_to_array(orig);
        return 0;
    }
    tmp = gs_to_array(orig);
    rc = slice_element_type(x, tmp, patch, &kind);
    json_decref(tmp);
    if (rc)
        return rc;
    if (kind != JSON_OBJECT)
        return merge_scalars(x, orig, patch, is_delete_list, kind, res);
    if (!m->key) {
        strbuf_addf(x->err, "cannot merge lists without merge key for %s", schema_name(m->sub));
        return -EINVAL;
    }

    /* mergeSliceWithSpecialElements. Upstream deletes the matches of each delete item in
     * turn, shifting the list left each time; deleting them in one pass leaves the same list,
     * and the stale tail it leaves behind in the buffer is never looked at (appends fill it
     * before any lookup could reach it). */
    del.first = json_object();
    json_array_foreach (patch, i, e) {
        json_t *d = json_object_get(e, DIRECTIVE);
        if (!d) {
            gs_append(&plain, e);
        } else if (json_is_string(d) && !strcmp(json_string_value(d), "delete")) {
            json_t *kv = json_object_get(e, m->key);
            if (!kv) {
                rc = err_no_merge_key(x, e, m->key);
                goto out;
            }
            vindex_add(&del, kv, 0);
        } else if (json_is_string(d) && !strcmp(json_string_value(d), "replace")) {
            replace = true; /* keep going: the other directives must still go */
        } else if (json_is_string(d) && !strcmp(json_string_value(d), "merge")) {
            rc = err_msg(x, "merging lists cannot yet be specified in the patch");
            goto out;
        } else {
            rc = err_bad_patch_type(x, d, e);
            goto out;
        }
    }
    for (i = n = 0; i < orig->len; i++) {
        json_t *kv = json_object_get(orig->v[i], m->key);
        if (!kv || vindex_find(&del, kv) == SIZE_MAX)
            orig->v[n++] = orig->v[i];
    }
    orig->len = n;
    if (replace) {
        replaced = plain;
        plain = (struct gslice)GSLICE_INIT;
        list = &replaced;
    }
    for (i = 0; i < list->len; i++)
        gs_append(&sorder, list->v[i]);

    /* mergeSliceWithoutSpecialElements: merge into the first item with the same key, or
     * append */
    vindex_init(&ix, list->v, list->len, m->key);
    for (i = 0; i < plain.len; i++) {
        json_t *kv = json_object_get(plain.v[i], m->key), *r;
        size_t at;
        if (!kv) {
            rc = err_no_merge_key(x, plain.v[i], m->key);
            goto out;
        }
        if ((rc = find_by_key(x, &ix, kv, &at)) < 0)
            goto out;
        if (rc) {
            rc = merge_map(x, list->v[at], plain.v[i], m->sub, &r);
            if (rc)
                goto out;
            json_array_append_new(x->keep, r); /* the list holds borrowed pointers */
            list->v[at] = r;
        } else {
            vindex_add(&ix, kv, list->len);
            gs_append(list, plain.v[i]);
        }
    }
    rc = partition(x, list->v, list->len, plain.v, plain.len, m->key, &in, &out);
    if (!rc)
        rc = normalize_element_order(x, &in, &out, plain.v, plain.len, sorder.v, sorder.len, m->key,
                                     kind, res);
out:
    if (del.first)
        vindex_release(&del);
    if (ix.first)
        vindex_release(&ix);
    gs_release(&replaced);
    gs_release(&plain);
    gs_release(&sorder);
    gs_release(&in);
    gs_release(&out);
    return rc;
}

/* validatePatchWithSetOrderList: the patch list's items (deletions aside) must appear in
 * the $setElementOrder list, in the same relative order. */
static int validate_set_order(struct smp *x, json_t *plist, json_t *order, const char *key)
{
    struct gslice nondel = GSLICE_INIT;
    size_t pi = 0, si = 0, i, n = json_array_size(order);
    json_t *e;
    int rc = 0;

    if (!n || !json_array_size(plist))
        return 0;
    json_array_foreach (plist, i, e) {
        if (key) {
            if (!json_is_object(e)) {
                rc = err_bad_arg_type(x, "map[string]interface {}", e);
                goto out;
            }
            if (is_directive(e, "delete"))
                continue;
        }
        gs_append(&nondel, e);
    }
    while (pi < nondel.len && si < n) {
        json_t *a = nondel.v[pi], *b = json_array_get(order, si);
        bool eq;
        if (json_object_get(a, DIRECTIVE)) {
            pi++;
            continue;
        }
        if (!key) {
            eq = json_equal(a, b);
        } else {
            if (!json_is_object(b)) {
                rc = err_bad_arg_type(x, "map[string]interface {}", b);
                goto out;
            }
            if (!json_object_get(a, key) || !json_object_get(b, key)) {
                rc = err_no_merge_key(x, json_object_get(a, key) ? b : a, key);
                goto out;
            }
            eq = go_eq(json_object_get(a, key), json_object_get(b, key));
        }
        if (eq)
            pi++;
        si++;
    }
    if (pi < nondel.len && si >= n) {
        strbuf_addstr(x->err, "the order in patch list:\n");
        go_value(x->err, plist);
        strbuf_addstr(x->err, "\n doesn't match " SET_ELEMENT_ORDER " list:\n");
        go_value(x->err, order);
        rc = -EINVAL;
    }
out:
    gs_release(&nondel);
    return rc;
}

/* mergePatchIntoOriginal: each "$setElementOrder/<list>" with the patch's <list> is merged
 * into o[<list>] and ordered (the order list first, then the patch list's order, then the
 * live list's); both leave the patch so the main loop does not see them again. */
static int merge_set_element_order(struct smp *x, json_t *o, json_t *p, const struct sch_ref *s)
{
    struct gslice keys = GSLICE_INIT;
    const char *k;
    json_t *v;
    int rc = 0;

    /* collect first: each round deletes other keys of p */
    json_object_foreach (p, k, v)
        if (has_prefix(k, SET_ELEMENT_ORDER))
            gs_append(&keys, json_string(k));

    for (size_t n = 0; n < keys.len && !rc; n++) {
        const char *dkey = json_string_value(keys.v[n]), *okey = NULL;
        json_t *order = json_incref(json_object_get(p, dkey)), *ol, *pl, *merged = NULL, *both;
        struct gslice view = GSLICE_INIT, merged_s = GSLICE_INIT, pord = GSLICE_INIT,
                      in = GSLICE_INIT, out = GSLICE_INIT;
        size_t nview;
        struct meta m;
        int kind;

        json_object_del(p, dkey);
        if (!json_is_array(order)) {
            rc = err_bad_arg_type(x, "[]interface {}", order);
            goto next;
        }
        if ((rc = extract_key(x, dkey, SET_ELEMENT_ORDER, &okey)))
            goto next;
        ol = json_object_get(o, okey);
        pl = json_object_get(p, okey);
        if (ol && !json_is_array(ol)) {
            rc = err_bad_arg_type(x, "[]interface {}", ol);
            goto next;
        }
        if (pl && !json_is_array(pl)) {
            rc = err_bad_arg_type(x, "[]interface {}", pl);
            goto next;
        }
        lookup(s, okey, true, &m);
        if ((rc = validate_set_order(x, pl, order, m.key)))
            goto next;

        /* Upstream merges into the live list's own backing array and afterwards orders the
         * server-only items by that array: deleted items have shifted it left and items
         * appended by the merge sit in the freed tail. The order of the result depends on
         * it (for example when an item is deleted and another added), so view keeps it. */
        if (ol)
            gs_from_array(&view, ol);
        nview = view.len;
        if (ol && !pl) {
            merged = json_incref(ol);
        } else if (!ol && pl) {
            merged = remove_directives(pl);
        } else if (ol && pl) {
            if (m.merge) {
                struct gslice hdr = view;
                hdr.owned = false; /* writes land in view's buffer; it is not ours to free */
                rc = merge_slice(x, &hdr, pl, &m, false, &merged);
                gs_release(&hdr);
                if (rc)
                    goto next;
            } else {
                merged = json_incref(pl);
            }
        } else {
            goto next;
        }

        gs_from_array(&merged_s, merged);
        gs_from_array(&pord, order);
        if ((rc = partition(x, merged_s.v, merged_s.len, pord.v, pord.len, m.key, &in, &out)))
            goto next;
        if ((rc = slice_element_type(x, ol, pl, &kind)))
            goto next;
        rc = normalize_element_order(x, &in, &out, pord.v, pord.len, view.v, nview, m.key, kind,
                                     &both);
        if (rc)
            goto next;
        json_object_set_new(o, okey, both);
        json_object_del(p, okey);
    next:
        json_decref(order);
        json_decref(merged);
        gs_release(&view);
        gs_release(&merged_s);
        gs_release(&pord);
        gs_release(&in);
        gs_release(&out);
    }
    for (size_t n = 0; n < keys.len; n++)
        json_decref(keys.v[n]);
    gs_release(&keys);
    return rc;
}

/* applyRetainKeysDirective: keys of o missing from "$retainKeys" go; every key the patch
 * sets must be listed. */
static int apply_retain_keys(struct smp *x, json_t *o, json_t *p)
{
    json_t *rk = json_object_get(p, RETAIN_KEYS), *keys = NULL, *v;
    const char *k;
    void *tmp;
    size_t i;
    int rc = 0;

    if (!rk)
        return 0;
    json_incref(rk);
    json_object_del(p, RETAIN_KEYS);
    if (!json_is_array(rk)) {
        rc = err_msg(x, "invalid patch format of retainKeys");
        goto out;
    }
    keys = json_object(); /* the listed strings, as a set; other values match no key */
    json_array_foreach (rk, i, v)
        if (json_is_string(v))
            json_object_set_new(keys, json_string_value(v), json_true());
    json_object_foreach (p, k, v) {
        if (json_is_null(v) || has_prefix(k, DELETE_FROM_PRIMITIVE_LIST) ||
            has_prefix(k, SET_ELEMENT_ORDER))
            continue;
        if (!json_object_get(keys, k)) {
            rc = err_msg(x, "invalid patch format of retainKeys");
            goto out;
        }
    }
    json_object_foreach_safe (o, tmp, k, v)
        if (!json_object_get(keys, k))
            json_object_del(o, k);
out:
    json_decref(keys);
    json_decref(rk);
    return rc;
}

/* mergeMap: merge patch map p into o under schema s. *res is a new reference to the result:
 * o itself, or p (for "$patch": "replace"), or a new {} ("$patch": "delete"). */
static int merge_map(struct smp *x, json_t *o, json_t *p, const struct sch_ref *s, json_t **res)
{
    json_t *d = json_object_get(p, DIRECTIVE), *pv, *ov, *r;
    const char *k;
    int rc;

    if (d) {
        if (json_is_string(d) && !strcmp(json_string_value(d), "replace")) {
            json_object_del(p, DIRECTIVE);
            *res = json_incref(p);
            return 0;
        }
        if (json_is_string(d) && !strcmp(json_string_value(d), "delete")) {
            *res = json_object();
            return 0;
        }
        return err_bad_patch_type(x, d, p);
    }
    if ((rc = apply_retain_keys(x, o, p)) || (rc = merge_set_element_order(x, o, p, s)))
        return rc;

    json_object_foreach (p, k, pv) {
        const char *key = k;
        bool is_delete_list = false;
        struct meta m;

        if (has_prefix(k, DELETE_FROM_PRIMITIVE_LIST)) {
            const char *lk;
            if ((rc = extract_key(x, k, DELETE_FROM_PRIMITIVE_LIST, &lk)))
                return rc;
            is_delete_list = true;
            if (*lk)
                key = lk;
        }
        if (json_is_null(pv)) {
            json_object_del(o, key);
            continue;
        }
        ov = json_object_get(o, key);
        if (!ov || type_class(ov) != type_class(pv)) {
            /* a new value (or one of another type) is taken from the patch, minus its
             * nulls and directives; a delete list never adds anything */
            if (!is_delete_list) {
                discard_nulls(pv);
                r = remove_directives(pv);
                if (r)
                    json_object_set_new(o, key, r);
                else
                    json_object_del(o, key);
            }
            continue;
        }
        if (json_is_object(ov)) {
            lookup(s, key, false, &m);
            if ((rc = merge_map(x, ov, pv, m.sub, &r)))
                return rc;
            json_object_set_new(o, key, r);
        } else if (json_is_array(ov)) {
            lookup(s, key, true, &m);
            if (m.merge || is_delete_list) {
                struct gslice ol = GSLICE_INIT;
                gs_from_array(&ol, ov);
                rc = merge_slice(x, &ol, pv, &m, is_delete_list, &r);
                gs_release(&ol);
                if (rc)
                    return rc;
                json_object_set_new(o, key, r);
            } else {
                json_object_set(o, key, pv); /* replaced as sent, directives included */
            }
        } else {
            json_object_set(o, key, pv);
        }
    }
    *res = json_incref(o);
    return 0;
}

int patch_strategic(const struct sch_type *t, const json_t *orig, const json_t *patch, json_t **out,
                    struct strbuf *err)
{
    struct sch_ref root = {SCH_STRUCT, t, NULL};
    struct smp x = {err, NULL};
    json_t *o, *p, *res = NULL;
    int rc;

    /* The handler decodes the body into a map[string]interface{}: "null" leaves it empty,
     * anything but an object is a 400. */
    if (json_is_null(patch)) {
        *out = json_deep_copy(orig);
        return 0;
    }
    if (!json_is_object(patch)) {
        strbuf_addf(err, "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                    json_type_name(patch));
        return -EINVAL;
    }
    if (!json_is_object(orig)) {
        strbuf_addstr(err, "invalid JSON document");
        return -EINVAL;
    }
    o = json_deep_copy(orig);
    p = json_deep_copy(patch);
    x.keep = json_array();
    rc = merge_map(&x, o, p, t ? &root : NULL, &res);
    json_decref(o);
    json_decref(p);
    json_decref(x.keep);
    if (rc)
        return rc;
    *out = res;
    return 0;
}
