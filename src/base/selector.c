/* selector.c — label selectors (k8s.io/apimachinery/pkg/labels) and field selectors
 * (k8s.io/apimachinery/pkg/fields).
 *
 * The label selector parser is upstream's lexer and recursive-descent parser, token for token,
 * so that the same strings parse to the same requirements and fail with the same message. A
 * built selector is immutable; matching looks labels up in the jansson object and never
 * allocates, since it runs once per object of every filtered LIST and watch event.
 */
#include "base/selector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/names.h"

/* --- Go-style value rendering for error messages --- */

/* Decode one UTF-8 sequence at s (n bytes available). Returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Go's strconv.Quote (what %q prints): printable text as is, the rest escaped. Non-ASCII runes
 * count as printable except the C1 controls and a few invisible format characters. */
static void add_go_quoted(struct strbuf *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    strbuf_addch(sb, '"');
    while (n > 0) {
        unsigned cp;
        size_t len = utf8_decode(p, n, &cp);
        if (len == 0) {
            strbuf_addf(sb, "\\x%02x", *p);
            len = 1;
        } else if (cp == '"' || cp == '\\') {
            strbuf_addch(sb, '\\');
            strbuf_addch(sb, (char)cp);
        } else if (cp >= 0x20 && cp < 0x7f) {
            strbuf_addch(sb, (char)cp);
        } else if (cp < 0x80) {
            static const char named[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
            const char *q = cp ? strchr(named, (int)cp) : NULL;
            if (q)
                strbuf_addf(sb, "\\%c", letters[q - named]);
            else
                strbuf_addf(sb, "\\x%02x", cp);
        } else if (cp < 0xa0 || cp == 0xa0 || cp == 0xad || cp == 0x2028 || cp == 0x2029 ||
                   cp == 0xfeff) {
            strbuf_addf(sb, "\\u%04x", cp);
        } else {
            strbuf_add(sb, p, len);
        }
        p += len;
        n -= len;
    }
    strbuf_addch(sb, '"');
}

/* Go's %#v of a []string: []string(nil) or []string{"a", "b"}. */
static void add_go_slice(struct strbuf *sb, char *const *vals, size_t n)
{
    if (n == 0) {
        strbuf_addstr(sb, "[]string(nil)");
        return;
    }
    strbuf_addstr(sb, "[]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addstr(sb, ", ");
        add_go_quoted(sb, vals[i]);
    }
    strbuf_addch(sb, '}');
}

/* Go's strconv.ParseInt(s, 10, 64): optional sign, digits only, no overflow. */
static bool parse_int64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0, limit;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!*s)
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* --- Requirements --- */

enum lop { LOP_IN, LOP_NOTIN, LOP_EQ, LOP_DEQ, LOP_NE, LOP_GT, LOP_LT, LOP_EXISTS, LOP_DNE };

struct lreq {
    char *key;
    enum lop op;
    size_t nvals;
    char **vals;  /* sorted (upstream sorts on output; sorting once is the same) */
    int64_t num;  /* the operand of LOP_GT / LOP_LT */
    size_t order; /* position before sorting, to keep the key sort stable */
};

struct label_selector {
    size_t nr, alloc;
    struct lreq *reqs;
};

static void lreq_release(struct lreq *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvals; i++)
        free(r->vals[i]);
    free(r->vals);
}

void label_selector_free(struct label_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->nr; i++)
        lreq_release(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

/* utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets. */
struct agg {
    size_t count;
    char **seen;
};

static void agg_add(struct agg *a, char *msg)
{
    for (size_t i = 0; i < a->count; i++) {
        if (!strcmp(a->seen[i], msg)) {
            free(msg);
            return;
        }
    }
    a->seen = xrealloc(a->seen, (a->count + 1) * sizeof(*a->seen));
    a->seen[a->count++] = msg;
}

static void agg_invalid_str(struct agg *a, const char *path, const char *value, const char *detail)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s: Invalid value: ", path);
    add_go_quoted(&sb, value);
    strbuf_addf(&sb, ": %s", detail);
    agg_add(a, strbuf_detach(&sb, NULL));
}

static void agg_invalid_vals(struct agg *a, char *const *vals, size_t n, const char *detail)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "values: Invalid value: ");
    add_go_slice(&sb, vals, n);
    strbuf_addf(&sb, ": %s", detail);
    agg_add(a, strbuf_detach(&sb, NULL));
}

/* Append the aggregate to err; returns -EINVAL if it holds anything, else 0. */
static int agg_finish(struct agg *a, struct strbuf *err)
{
    int rc = a->count ? -EINVAL : 0;
    if (a->count && err) {
        if (a->count > 1)
            strbuf_addch(err, '[');
        for (size_t i = 0; i < a->count; i++)
            strbuf_addf(err, "%s%s", i ? ", " : "", a->seen[i]);
        if (a->count > 1)
            strbuf_addch(err, ']');
    }
    for (size_t i = 0; i < a->count; i++)
        free(a->seen[i]);
    free(a->seen);
    return rc;
}

/* The messages of upstream's label key check, joined with "; " as validateLabelKey does. */
static bool key_errors(const char *key, struct strbuf *out)
{
    const char *msgs[NAME_MAX_MSGS];
    int n = name_check_qualified(key, msgs);
    for (int i = 0; i < n; i++)
        strbuf_addf(out, "%s%s", i ? "; " : "", msgs[i]);
    return n > 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* upstream's NewRequirement (with no field path option): validate into `a`, and add the
 * requirement to sel, which takes ownership of key and vals either way. */
static void new_requirement(struct label_selector *sel, char *key, enum lop op, char **vals,
                            size_t nvals, struct agg *a)
{
    struct strbuf msg = STRBUF_INIT;
    struct lreq r = {key, op, nvals, vals, 0, sel->nr};

    if (key_errors(key, &msg))
        agg_invalid_str(a, "key", key, msg.buf);
    strbuf_reset(&msg);

    switch (op) {
    case LOP_IN:
    case LOP_NOTIN:
        if (nvals == 0)
            agg_invalid_vals(a, vals, nvals,
                             "for 'in', 'notin' operators, values set can't be empty");
        break;
    case LOP_EQ:
    case LOP_DEQ:
    case LOP_NE:
        if (nvals != 1)
            agg_invalid_vals(a, vals, nvals, "exact-match compatibility requires one single value");
        break;
    case LOP_EXISTS:
    case LOP_DNE:
        if (nvals != 0)
            agg_invalid_vals(a, vals, nvals,
                             "values set must be empty for exists and does not exist");
        break;
    case LOP_GT:
    case LOP_LT:
        if (nvals != 1)
            agg_invalid_vals(a, vals, nvals,
                             "for 'Gt', 'Lt' operators, exactly one value is required");
        for (size_t i = 0; i < nvals; i++) {
            if (!parse_int64(vals[i], &r.num)) {
                char path[32];
                snprintf(path, sizeof(path), "values[%zu]", i);
                agg_invalid_str(a, path, vals[i],
                                "for 'Gt', 'Lt' operators, the value must be an integer");
            }
        }
        break;
    }
    for (size_t i = 0; i < nvals; i++) {
        const char *msgs[NAME_MAX_MSGS];
        int n = name_check_label_value(vals[i], msgs);
        if (n) {
            struct strbuf path = STRBUF_INIT;
            for (int j = 0; j < n; j++)
                strbuf_addf(&msg, "%s%s", j ? "; " : "", msgs[j]);
            strbuf_addf(&path, "values[%zu][%s]", i, key);
            agg_invalid_str(a, path.buf, vals[i], msg.buf);
            strbuf_release(&path);
            strbuf_reset(&msg);
        }
    }
    strbuf_release(&msg);

    if (nvals > 1)
        qsort(r.vals, nvals, sizeof(*r.vals), cmp_str);
    ALLOC_GROW(sel->reqs, sel->nr + 1, sel->alloc);
    sel->reqs[sel->nr++] = r;
}

static int cmp_req(const void *a, const void *b)
{
    const struct lreq *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void sort_reqs(struct label_selector *sel)
{
    if (sel->nr > 1)
        qsort(sel->reqs, sel->nr, sizeof(*sel->reqs), cmp_req);
}

/* --- The string grammar: lexer --- */

enum tok {
    T_EOS,
    T_CPAR,
    T_COMMA,
    T_NOT,
    T_DEQ,
    T_EQ,
    T_GT,
    T_ID,
    T_IN,
    T_LT,
    T_NE,
    T_NOTIN,
    T_OPAR,
};

struct item {
    enum tok tok;
    const char *lit; /* into the input */
    size_t len;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok special_tok(char c)
{
    switch (c) {
    case '=':
        return T_EQ;
    case '!':
        return T_NOT;
    case '(':
        return T_OPAR;
    case ')':
        return T_CPAR;
    case ',':
        return T_COMMA;
    case '>':
        return T_GT;
    default:
        return T_LT;
    }
}

/* upstream's Lexer.Lex: the longest operator ("==", "!=") or a run of ordinary bytes, which is
 * a keyword ("in", "notin") or an identifier. */
static struct item lex(const char **pp)
{
    const char *p = *pp;
    struct item it;
    while (is_ws(*p))
        p++;
    if (!*p) {
        it = (struct item){T_EOS, p, 0};
    } else if (is_special(*p)) {
        if ((p[0] == '=' || p[0] == '!') && p[1] == '=')
            it = (struct item){p[0] == '=' ? T_DEQ : T_NE, p, 2};
        else
            it = (struct item){special_tok(*p), p, 1};
    } else {
        const char *s = p;
        while (*p && !is_special(*p) && !is_ws(*p))
            p++;
        it = (struct item){T_ID, s, (size_t)(p - s)};
        if (it.len == 2 && !memcmp(s, "in", 2))
            it.tok = T_IN;
        else if (it.len == 5 && !memcmp(s, "notin", 5))
            it.tok = T_NOTIN;
        *pp = p;
        return it;
    }
    *pp = p + it.len;
    return it;
}

/* --- The string grammar: parser --- */

struct parser {
    struct item *items;
    size_t nr, pos;
    struct strbuf *err; /* NULL: the caller does not want messages */
    struct label_selector *sel;
};

enum ctx { KEY_AND_OPERATOR, VALUES };

/* In a values context "in" and "notin" are plain identifiers ("x in (in)"). */
static struct item peek(struct parser *p, enum ctx ctx)
{
    struct item it = p->items[p->pos];
    if (ctx == VALUES && (it.tok == T_IN || it.tok == T_NOTIN))
        it.tok = T_ID;
    return it;
}

static struct item next(struct parser *p, enum ctx ctx)
{
    struct item it = peek(p, ctx);
    if (p->pos + 1 < p->nr)
        p->pos++; /* never past the end-of-string token */
    return it;
}

static int perr(struct parser *p, const char *fmt, const struct item *it)
{
    if (p->err)
        strbuf_addf(p->err, fmt, (int)it->len, it->lit);
    return -EINVAL;
}

static char *lit_dup(const struct item *it)
{
    return xstrndup(it->lit, it->len);
}

/* A growable set of strings, sorted and deduplicated at the end (upstream's sets.String). */
struct strset {
    char **v;
    size_t nr, alloc;
};

static void set_add(struct strset *s, char *str)
{
    ALLOC_GROW(s->v, s->nr + 1, s->alloc);
    s->v[s->nr++] = str;
}

static void set_free(struct strset *s)
{
    for (size_t i = 0; i < s->nr; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strset){0};
}

static void set_finish(struct strset *s)
{
    size_t out = 0;
    if (s->nr > 1)
        qsort(s->v, s->nr, sizeof(*s->v), cmp_str);
    for (size_t i = 0; i < s->nr; i++) {
        if (out && !strcmp(s->v[out - 1], s->v[i]))
            free(s->v[i]);
        else
            s->v[out++] = s->v[i];
    }
    s->nr = out;
}

/* "(" values ")" for in / notin; "()" and "(,)" and "(a,)" include the empty value. */
static int parse_values(struct parser *p, struct strset *vals)
{
    struct item it = next(p, VALUES);
    if (it.tok != T_OPAR)
        return perr(p, "found '%.*s' expected: '('", &it);
    it = peek(p, VALUES);
    if (it.tok == T_CPAR) {
        next(p, VALUES);
        set_add(vals, xstrdup(""));
        return 0;
    }
    if (it.tok != T_ID && it.tok != T_COMMA)
        return perr(p, "found '%.*s', expected: ',', ')' or identifier", &it);
    for (;;) {
        struct item cur = next(p, VALUES), la;
        switch (cur.tok) {
        case T_ID:
            set_add(vals, lit_dup(&cur));
            la = peek(p, VALUES);
            if (la.tok == T_COMMA)
                continue;
            if (la.tok == T_CPAR) {
                next(p, VALUES);
                return 0;
            }
            return perr(p, "found '%.*s', expected: ',' or ')'", &la);
        case T_COMMA:
            if (vals->nr == 0)
                set_add(vals, xstrdup("")); /* "(," */
            la = peek(p, VALUES);
            if (la.tok == T_CPAR) {
                set_add(vals, xstrdup("")); /* ",)" */
                next(p, VALUES);
                return 0;
            }
            if (la.tok == T_COMMA)
                set_add(vals, xstrdup("")); /* ",," */
            continue;
        default:
            return perr(p, "found '%.*s', expected: ',', or identifier", &cur);
        }
    }
}

static int parse_requirement(struct parser *p)
{
    struct item it = next(p, VALUES);
    struct strset vals = {0};
    struct agg a = {0, NULL};
    enum lop op;
    bool not = false;
    char *key;
    int rc;

    if (it.tok == T_NOT) {
        not = true;
        it = next(p, VALUES);
    }
    if (it.tok != T_ID)
        return perr(p, "found '%.*s', expected: identifier", &it);
    key = lit_dup(&it);
    {
        struct strbuf msg = STRBUF_INIT;
        if (key_errors(key, &msg)) {
            /* upstream validates against a nil field path, which prints as "<nil>" */
            agg_invalid_str(&a, "<nil>", key, msg.buf);
            strbuf_release(&msg);
            free(key);
            return agg_finish(&a, p->err);
        }
        strbuf_release(&msg);
    }

    it = peek(p, VALUES);
    if (not || it.tok == T_EOS || it.tok == T_COMMA) {
        /* "!x" ends the requirement whatever follows; "!x=a" fails in the caller. */
        new_requirement(p->sel, key, not ? LOP_DNE : LOP_EXISTS, NULL, 0, &a);
        return agg_finish(&a, p->err);
    }

    it = next(p, KEY_AND_OPERATOR);
    switch (it.tok) {
    case T_IN:
        op = LOP_IN;
        break;
    case T_EQ:
        op = LOP_EQ;
        break;
    case T_DEQ:
        op = LOP_DEQ;
        break;
    case T_GT:
        op = LOP_GT;
        break;
    case T_LT:
        op = LOP_LT;
        break;
    case T_NOTIN:
        op = LOP_NOTIN;
        break;
    case T_NE:
        op = LOP_NE;
        break;
    default:
        free(key);
        return perr(p, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt", &it);
    }

    if (op == LOP_IN || op == LOP_NOTIN) {
        rc = parse_values(p, &vals);
    } else {
        it = peek(p, VALUES);
        rc = 0;
        if (it.tok == T_EOS || it.tok == T_COMMA) {
            set_add(&vals, xstrdup("")); /* "x=" selects the empty value */
        } else {
            it = next(p, VALUES);
            if (it.tok == T_ID)
                set_add(&vals, lit_dup(&it));
            else
                rc = perr(p, "found '%.*s', expected: identifier", &it);
        }
    }
    if (rc) {
        set_free(&vals);
        free(key);
        return rc;
    }
    set_finish(&vals);
    new_requirement(p->sel, key, op, vals.v, vals.nr, &a);
    return agg_finish(&a, p->err);
}

int label_selector_parse(const char *s, struct label_selector **out, struct strbuf *err)
{
    struct label_selector *sel = xcalloc(1, sizeof(*sel));
    struct parser p = {NULL, 0, 0, err, sel};
    size_t alloc = 0;
    int rc = 0;

    *out = NULL;
    if (s) {
        const char *cur = s;
        for (;;) {
            ALLOC_GROW(p.items, p.nr + 1, alloc);
            p.items[p.nr] = lex(&cur);
            if (p.items[p.nr++].tok == T_EOS)
                break;
        }
    } else {
        p.items = xmalloc(sizeof(*p.items));
        p.items[p.nr++] = (struct item){T_EOS, "", 0};
    }

    for (;;) {
        struct item it = peek(&p, VALUES);
        if (it.tok == T_EOS)
            break;
        if (it.tok != T_ID && it.tok != T_NOT) {
            rc = perr(&p, "found '%.*s', expected: !, identifier, or 'end of string'", &it);
            break;
        }
        size_t mark = err ? err->len : 0;
        if (err)
            strbuf_addstr(err, "unable to parse requirement: ");
        rc = parse_requirement(&p);
        if (rc)
            break;
        if (err)
            strbuf_setlen(err, mark);
        it = next(&p, VALUES);
        if (it.tok == T_EOS)
            break;
        if (it.tok != T_COMMA) {
            rc = perr(&p, "found '%.*s', expected: ',' or 'end of string'", &it);
            break;
        }
        it = peek(&p, VALUES);
        if (it.tok != T_ID && it.tok != T_NOT) {
            rc = perr(&p, "found '%.*s', expected: identifier after ','", &it);
            break;
        }
    }
    free(p.items);
    if (rc) {
        label_selector_free(sel);
        return rc;
    }
    sort_reqs(sel);
    *out = sel;
    return 0;
}

/* --- The structured form: metav1.LabelSelector --- */

static int json_err(struct strbuf *err, const char *msg)
{
    if (err)
        strbuf_addstr(err, msg);
    return -EINVAL;
}

/* upstream's LabelSelectorAsSelector: matchLabels become "=" requirements, matchExpressions
 * their operator's; the first failing requirement is the error. */
int label_selector_from_json(const json_t *js, struct label_selector **out, struct strbuf *err)
{
    struct label_selector *sel = xcalloc(1, sizeof(*sel));
    const json_t *ml, *me;
    int rc = 0;

    *out = NULL;
    if (!js || json_is_null(js)) {
        *out = sel;
        return 0;
    }
    if (!json_is_object(js)) {
        rc = json_err(err, "label selector must be an object");
        goto out_free;
    }
    ml = json_object_get(js, "matchLabels");
    me = json_object_get(js, "matchExpressions");
    if (ml && !json_is_null(ml)) {
        const char *k;
        json_t *v;
        if (!json_is_object(ml)) {
            rc = json_err(err, "matchLabels must be an object");
            goto out_free;
        }
        json_object_foreach((json_t *)ml, k, v)
        {
            struct agg a = {0, NULL};
            char **vals;
            if (!json_is_string(v)) {
                rc = json_err(err, "matchLabels values must be strings");
                goto out_free;
            }
            vals = xmalloc(sizeof(*vals));
            vals[0] = xstrdup(json_string_value(v));
            new_requirement(sel, xstrdup(k), LOP_EQ, vals, 1, &a);
            if ((rc = agg_finish(&a, err)))
                goto out_free;
        }
    }
    if (me && !json_is_null(me)) {
        size_t i;
        json_t *expr;
        if (!json_is_array(me)) {
            rc = json_err(err, "matchExpressions must be an array");
            goto out_free;
        }
        json_array_foreach(me, i, expr)
        {
            struct agg a = {0, NULL};
            const char *key, *op;
            const json_t *jv;
            enum lop lop;
            char **vals = NULL;
            size_t nvals = 0, j;
            json_t *v;

            if (!json_is_object(expr)) {
                rc = json_err(err, "matchExpressions entries must be objects");
                goto out_free;
            }
            key = json_string_value(json_object_get(expr, "key"));
            op = json_string_value(json_object_get(expr, "operator"));
            jv = json_object_get(expr, "values");
            if (!op)
                op = "";
            if (!strcmp(op, "In")) {
                lop = LOP_IN;
            } else if (!strcmp(op, "NotIn")) {
                lop = LOP_NOTIN;
            } else if (!strcmp(op, "Exists")) {
                lop = LOP_EXISTS;
            } else if (!strcmp(op, "DoesNotExist")) {
                lop = LOP_DNE;
            } else {
                if (err) {
                    add_go_quoted(err, op);
                    strbuf_addstr(err, " is not a valid label selector operator");
                }
                rc = -EINVAL;
                goto out_free;
            }
            if (jv && !json_is_null(jv) && !json_is_array(jv)) {
                rc = json_err(err, "matchExpressions values must be an array of strings");
                goto out_free;
            }
            if (json_array_size(jv))
                vals = xmalloc(json_array_size(jv) * sizeof(*vals));
            json_array_foreach(jv, j, v)
            {
                if (!json_is_string(v)) {
                    while (nvals)
                        free(vals[--nvals]);
                    free(vals);
                    rc = json_err(err, "matchExpressions values must be an array of strings");
                    goto out_free;
                }
                vals[nvals++] = xstrdup(json_string_value(v));
            }
            new_requirement(sel, xstrdup(key ? key : ""), lop, vals, nvals, &a);
            if ((rc = agg_finish(&a, err)))
                goto out_free;
        }
    }
    sort_reqs(sel);
    *out = sel;
    return 0;

out_free:
    label_selector_free(sel);
    return rc;
}

/* --- Matching and printing --- */

static const char *label_get(const json_t *labels, const char *key)
{
    return labels ? json_string_value(json_object_get(labels, key)) : NULL;
}

static bool has_value(const struct lreq *r, const char *v)
{
    for (size_t i = 0; i < r->nvals; i++)
        if (!strcmp(r->vals[i], v))
            return true;
    return false;
}

static bool req_matches(const struct lreq *r, const json_t *labels)
{
    const char *v = label_get(labels, r->key);
    int64_t n;
    switch (r->op) {
    case LOP_IN:
    case LOP_EQ:
    case LOP_DEQ:
        return v && has_value(r, v);
    case LOP_NOTIN:
    case LOP_NE:
        return !v || !has_value(r, v);
    case LOP_EXISTS:
        return v != NULL;
    case LOP_DNE:
        return v == NULL;
    case LOP_GT:
    case LOP_LT:
        if (!v || !parse_int64(v, &n))
            return false;
        return r->op == LOP_GT ? n > r->num : n < r->num;
    }
    return false;
}

bool label_selector_matches(const struct label_selector *sel, const json_t *labels)
{
    if (labels && !json_is_object(labels))
        labels = NULL;
    for (size_t i = 0; i < sel->nr; i++)
        if (!req_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool label_selector_is_empty(const struct label_selector *sel)
{
    return sel->nr == 0;
}

char *label_selector_string(const struct label_selector *sel)
{
    static const char *const opstr[] = {
        [LOP_IN] = " in ", [LOP_NOTIN] = " notin ", [LOP_EQ] = "=", [LOP_DEQ] = "==",
        [LOP_NE] = "!=",   [LOP_GT] = ">",          [LOP_LT] = "<",
    };
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < sel->nr; i++) {
        const struct lreq *r = &sel->reqs[i];
        if (i)
            strbuf_addch(&sb, ',');
        if (r->op == LOP_DNE)
            strbuf_addch(&sb, '!');
        strbuf_addstr(&sb, r->key);
        if (r->op == LOP_EXISTS || r->op == LOP_DNE)
            continue;
        strbuf_addstr(&sb, opstr[r->op]);
        bool set = r->op == LOP_IN || r->op == LOP_NOTIN;
        if (set)
            strbuf_addch(&sb, '(');
        for (size_t j = 0; j < r->nvals; j++)
            strbuf_addf(&sb, "%s%s", j ? "," : "", r->vals[j]);
        if (set)
            strbuf_addch(&sb, ')');
    }
    return strbuf_detach(&sb, NULL);
}

/* --- Field selectors --- */

struct field_selector {
    size_t nr;
    struct field_req *reqs; /* field and value owned */
};

void field_selector_free(struct field_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->nr; i++) {
        free((char *)sel->reqs[i].field);
        free((char *)sel->reqs[i].value);
    }
    free(sel->reqs);
    free(sel);
}

/* upstream's UnescapeValue: "\\", "\," and "\=" are the only escapes; a bare "," or "=" is an
 * error. Returns the value (caller owns) or NULL with the message in err. */
static char *unescape_value(const char *s, size_t n, struct strbuf *err)
{
    struct strbuf out = STRBUF_INIT;
    bool in_slash = false, invalid;
    if (!memchr(s, '\\', n) && !memchr(s, ',', n) && !memchr(s, '=', n))
        return xstrndup(s, n);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        /* Go's range loop yields U+FFFD for each invalid byte, and writes it back as such */
        invalid = len == 0;
        if (invalid) {
            cp = 0xfffd;
            len = 1;
        }
        if (in_slash) {
            if (cp == '\\' || cp == ',' || cp == '=') {
                strbuf_addch(&out, (char)cp);
                in_slash = false;
                i += len;
                continue;
            }
            if (err) {
                strbuf_addstr(err, "invalid field selector: invalid escape sequence: \\");
                if (invalid)
                    strbuf_addstr(err, "\xef\xbf\xbd");
                else
                    strbuf_add(err, s + i, len);
            }
            strbuf_release(&out);
            return NULL;
        }
        if (cp == '\\') {
            in_slash = true;
        } else if (cp == ',' || cp == '=') {
            /* %v of a Go rune prints its number */
            if (err)
                strbuf_addf(err, "invalid field selector: unescaped character in value: %u", cp);
            strbuf_release(&out);
            return NULL;
        } else if (invalid) {
            strbuf_addstr(&out, "\xef\xbf\xbd");
        } else {
            strbuf_add(&out, s + i, len);
        }
        i += len;
    }
    if (in_slash) {
        if (err)
            strbuf_addstr(err, "invalid field selector: invalid escape sequence: \\");
        strbuf_release(&out);
        return NULL;
    }
    return strbuf_detach(&out, NULL);
}

struct term {
    const char *s;
    size_t len;
};

static int cmp_term(const void *a, const void *b)
{
    const struct term *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

int field_selector_parse(const char *s, struct field_selector **out, struct strbuf *err)
{
    struct field_selector *sel = xcalloc(1, sizeof(*sel));
    struct term *terms = NULL;
    size_t nterms = 0, alloc = 0, start = 0, len = s ? strlen(s) : 0;
    bool in_slash = false;
    int rc = 0;

    *out = NULL;
    /* Split at commas not escaped by a backslash; the backslashes stay for unescape_value. */
    for (size_t i = 0; i <= len && len; i++) {
        if (i < len && in_slash) {
            in_slash = false;
        } else if (i < len && s[i] == '\\') {
            in_slash = true;
        } else if (i == len || s[i] == ',') {
            ALLOC_GROW(terms, nterms + 1, alloc);
            terms[nterms++] = (struct term){s + start, i - start};
            start = i + 1;
        }
    }
    /* upstream sorts the raw terms, which fixes the order of requirements */
    if (nterms > 1)
        qsort(terms, nterms, sizeof(*terms), cmp_term);

    sel->reqs = nterms ? xcalloc(nterms, sizeof(*sel->reqs)) : NULL;
    for (size_t t = 0; t < nterms; t++) {
        const char *p = terms[t].s;
        size_t n = terms[t].len, i, oplen = 0;
        enum field_op op = FIELD_EQ;
        if (n == 0)
            continue;
        /* The first operator anywhere in the term splits it; the field has no escaping. */
        for (i = 0; i < n; i++) {
            if (i + 1 < n && p[i] == '!' && p[i + 1] == '=') {
                op = FIELD_NE, oplen = 2;
                break;
            }
            if (i + 1 < n && p[i] == '=' && p[i + 1] == '=') {
                oplen = 2;
                break;
            }
            if (p[i] == '=') {
                oplen = 1;
                break;
            }
        }
        if (!oplen) {
            if (err)
                strbuf_addf(err, "invalid selector: '%s'; can't understand '%.*s'", s, (int)n, p);
            rc = -EINVAL;
            goto out;
        }
        char *value = unescape_value(p + i + oplen, n - i - oplen, err);
        if (!value) {
            rc = -EINVAL;
            goto out;
        }
        if (i == 0 && !*value) {
            /* upstream's Transform drops a term whose field and value are both empty */
            free(value);
            continue;
        }
        sel->reqs[sel->nr++] = (struct field_req){xstrndup(p, i), value, op};
    }
out:
    free(terms);
    if (rc) {
        field_selector_free(sel);
        return rc;
    }
    *out = sel;
    return 0;
}

size_t field_selector_reqs(const struct field_selector *sel, const struct field_req **reqs)
{
    *reqs = sel->reqs;
    return sel->nr;
}

bool field_selector_matches(const struct field_selector *sel,
                            const char *(*get)(void *ctx, const char *field), void *ctx)
{
    for (size_t i = 0; i < sel->nr; i++) {
        const char *v = get(ctx, sel->reqs[i].field);
        bool eq = !strcmp(v ? v : "", sel->reqs[i].value);
        if (eq != (sel->reqs[i].op == FIELD_EQ))
            return false;
    }
    return true;
}

const char *field_selector_exact(const struct field_selector *sel, const char *field)
{
    for (size_t i = 0; i < sel->nr; i++)
        if (sel->reqs[i].op == FIELD_EQ && !strcmp(sel->reqs[i].field, field))
            return sel->reqs[i].value;
    return NULL;
}
