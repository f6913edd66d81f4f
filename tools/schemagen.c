/* schemagen — compile the .sch files of src/api/schema into constant C tables (build/gen/schema_gen.c).
 *
 * Grammar, one item per line (leading whitespace separates fields from types):
 *
 *   # a comment (also after whitespace at the end of a line: "  # ...")
 *   package io.k8s.api.apps.v1
 *   type StatefulSet : One-line description of the type.
 *   | a continuation line appends to the last description (type or field), after a space
 *     replicas   int32                     : Desired number of pods.
 *     selector   meta.v1.LabelSelector !   : Label query over pods.
 *     template   core.v1.PodTemplateSpec ! = : Pod template.
 *     volumeClaimTemplates []core.v1.PersistentVolumeClaim atomic : Claims.
 *     containers []Container ! merge=name listmap=name : Containers.
 *     podManagementPolicy string enum=OrderedReady|Parallel : How pods are created.
 *
 * A field line: NAME TYPE FLAGS... [: DESCRIPTION]. The description starts at the first ':' that
 * follows whitespace.
 *
 * TYPE: string int32 int64 bool double quantity intstr time microtime bytes any,
 *       []TYPE, map[TYPE] (string keys), or a type name. A bare name resolves in the current
 *       package first, then to the unique type of that name anywhere; a dotted name resolves to
 *       the unique type whose full name ends with ".<name>" (so "apps.v1.StatefulSet" or
 *       "meta.v1.ObjectMeta" work).
 * FLAGS: ! required      = value (always serialised: Go value struct / non-omitempty)
 *        merge=KEY       patchStrategy merge with patchMergeKey KEY (lists of structs)
 *        retainkeys      patchStrategy retainKeys
 *        set             list of scalars merged as a set (patchStrategy merge)
 *        atomic          replaced as a whole (x-kubernetes-list-type / map-type atomic)
 *        keepzero        not omitempty: "", 0, false are kept
 *        nullable        an explicit null is kept
 *        enum=A|B|C      allowed values (documentation and OpenAPI enum)
 *        listmap=K1,K2   x-kubernetes-list-type map with these keys
 *        format=F        OpenAPI format override
 *        proto=N         the field's number in upstream's generated.proto (k8s.io/api,
 *                        apimachinery). Required on every field, except apiVersion and kind
 *                        when they are the first two fields of a type (TypeMeta: the protobuf
 *                        envelope carries them, not the message).
 *        inline          a Go embedded struct that JSON flattens but protobuf keeps as a nested
 *                        message (Volume embeds VolumeSource as field 2): TYPE must be a type
 *                        name; its fields are copied here, in place of this line, so every
 *                        consumer of the schema sees the flat JSON view, and the protobuf table
 *                        records that field N is a message of TYPE whose fields land flat.
 *                        Needs proto=N; the line is not a JSON field itself.
 *
 * A field line whose TYPE is "^" (NAME ^ : DESCRIPTION) changes only the description of a field
 * an earlier inline line brought in (LocalObjectReference's "name" means a ConfigMap here).
 *
 * The Go name used in error messages is "<last package element>.<Type>" ("v1.StatefulSet").
 * Types are emitted sorted by full name so sch_type_find can binary-search.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field {
    char *name, *type_expr, *merge_key, *enums, *listmap, *format;
    unsigned flags;
    char *desc;
    int line;
    const char *file;
    const char *pkg; /* package of the type that declares the field (for resolving type_expr) */
    int ref;         /* index into refs */
    int proto;       /* protobuf field number; 0: none */
    int is_inline;   /* an "inline" line (expanded away) */
    int is_override; /* a "^" line (description override, expanded away) */
    int inlined;     /* a copy brought in by an inline line */
};

struct pbent {
    int num;
    int field;    /* index into the expanded fields, or -1 */
    int embedded; /* type index of an inline member, or -1 */
};

struct type {
    char *pkg, *name, *full, *go, *desc;
    struct field *fields; /* as written; after expand(): the flat view */
    int nfields, afields;
    int index; /* after sorting */
    const char *file;
    int line;
    int expanded; /* 0 no, 1 in progress, 2 done */
    struct pbent *pb;
    int npb;
};

struct ref {
    char *expr;   /* canonical expression */
    int kind;     /* index into kind_names */
    int type;     /* struct: type index (sorted) */
    int elem;     /* array/map: ref index */
};

static struct type *types;
static int ntypes, atypes;
static struct ref *refs;
static int nrefs, arefs;
static int errors;

static const char *const scalar_names[] = {"string", "int32", "int64", "bool", "double",
                                           "quantity", "intstr", "time", "microtime", "bytes",
                                           "any"};
static const char *const kind_names[] = {"SCH_STRING",   "SCH_INT32",  "SCH_INT64",
                                         "SCH_BOOL",     "SCH_DOUBLE", "SCH_QUANTITY",
                                         "SCH_INTSTR",   "SCH_TIME",   "SCH_MICROTIME",
                                         "SCH_BYTES",    "SCH_ANY",    "SCH_STRUCT",
                                         "SCH_ARRAY",    "SCH_MAP"};
enum { K_STRUCT = 11, K_ARRAY = 12, K_MAP = 13 };

enum {
    F_REQUIRED = 1 << 0,
    F_VALUE = 1 << 1,
    F_MERGE = 1 << 2,
    F_RETAINKEYS = 1 << 3,
    F_SET = 1 << 4,
    F_ATOMIC = 1 << 5,
    F_KEEPZERO = 1 << 6,
    F_NULLABLE = 1 << 7,
};

static void err(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    errors++;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        perror("realloc");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        perror("strdup");
        exit(2);
    }
    return p;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static void append_desc(char **desc, const char *more)
{
    if (!*more)
        return;
    if (!*desc || !**desc) {
        free(*desc);
        *desc = xstrdup(more);
        return;
    }
    size_t a = strlen(*desc), b = strlen(more);
    *desc = xrealloc(*desc, a + b + 2);
    (*desc)[a] = ' ';
    memcpy(*desc + a + 1, more, b + 1);
}

/* Split off the description: the first ':' preceded by whitespace (or at the start). */
static char *split_desc(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p == ':' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return trim(p + 1);
        }
    }
    return NULL;
}

static void strip_comment(char *s)
{
    /* "#" at line start or after whitespace starts a comment, except inside descriptions we
     * cannot tell; descriptions may not contain " #". */
    for (char *p = s; *p; p++)
        if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

static void parse_file(const char *file)
{
    FILE *f = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    char *pkg = NULL;
    struct type *cur = NULL;
    char **last_desc = NULL;

    if (!f) {
        perror(file);
        exit(2);
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        char *s = line;
        int indented = isspace((unsigned char)*s);
        char *t = trim(s);
        if (!*t || *t == '#')
            continue;
        if (*t == '|') {
            if (!last_desc) {
                err(file, lineno, "continuation line without a description to continue");
                continue;
            }
            append_desc(last_desc, trim(t + 1));
            continue;
        }
        char *desc = split_desc(t);
        strip_comment(t);
        t = trim(t);
        if (!indented) {
            char kw[32], arg[512];
            if (sscanf(t, "%31s %511s", kw, arg) != 2) {
                err(file, lineno, "expected 'package NAME' or 'type NAME'");
                continue;
            }
            if (!strcmp(kw, "package")) {
                free(pkg);
                pkg = xstrdup(arg);
                cur = NULL;
                last_desc = NULL;
            } else if (!strcmp(kw, "type")) {
                if (!pkg) {
                    err(file, lineno, "type before any package");
                    continue;
                }
                if (atypes == ntypes) {
                    atypes = atypes ? atypes * 2 : 256;
                    types = xrealloc(types, sizeof(*types) * (size_t)atypes);
                }
                cur = &types[ntypes++];
                memset(cur, 0, sizeof(*cur));
                cur->pkg = xstrdup(pkg);
                cur->name = xstrdup(arg);
                size_t fl = strlen(pkg) + strlen(arg) + 2;
                cur->full = xrealloc(NULL, fl);
                snprintf(cur->full, fl, "%s.%s", pkg, arg);
                const char *last = strrchr(pkg, '.');
                last = last ? last + 1 : pkg;
                fl = strlen(last) + strlen(arg) + 2;
                cur->go = xrealloc(NULL, fl);
                snprintf(cur->go, fl, "%s.%s", last, arg);
                cur->desc = xstrdup(desc ? desc : "");
                cur->file = file;
                cur->line = lineno;
                last_desc = &cur->desc;
            } else {
                err(file, lineno, "unknown keyword '%s'", kw);
            }
            continue;
        }
        if (!cur) {
            err(file, lineno, "field outside a type");
            continue;
        }
        /* field line */
        char *save = NULL;
        char *name = strtok_r(t, " \t", &save);
        char *texpr = strtok_r(NULL, " \t", &save);
        if (!name || !texpr) {
            err(file, lineno, "expected 'NAME TYPE [FLAGS] [: description]'");
            continue;
        }
        if (cur->nfields == cur->afields) {
            cur->afields = cur->afields ? cur->afields * 2 : 8;
            cur->fields = xrealloc(cur->fields, sizeof(*cur->fields) * (size_t)cur->afields);
        }
        struct field *fd = &cur->fields[cur->nfields++];
        memset(fd, 0, sizeof(*fd));
        fd->name = xstrdup(name);
        fd->type_expr = xstrdup(texpr);
        fd->desc = xstrdup(desc ? desc : "");
        fd->line = lineno;
        fd->file = file;
        fd->pkg = cur->pkg;
        fd->ref = -1;
        fd->is_override = !strcmp(texpr, "^");
        last_desc = &fd->desc;
        char *fl;
        while ((fl = strtok_r(NULL, " \t", &save))) {
            if (fd->is_override) {
                err(file, lineno, "a '^' line takes no flags, only a description");
                break;
            }
            if (!strcmp(fl, "!"))
                fd->flags |= F_REQUIRED;
            else if (!strcmp(fl, "="))
                fd->flags |= F_VALUE;
            else if (!strncmp(fl, "merge=", 6)) {
                fd->flags |= F_MERGE;
                fd->merge_key = xstrdup(fl + 6);
            } else if (!strcmp(fl, "retainkeys"))
                fd->flags |= F_RETAINKEYS;
            else if (!strcmp(fl, "set"))
                fd->flags |= F_SET;
            else if (!strcmp(fl, "atomic"))
                fd->flags |= F_ATOMIC;
            else if (!strcmp(fl, "keepzero"))
                fd->flags |= F_KEEPZERO;
            else if (!strcmp(fl, "nullable"))
                fd->flags |= F_NULLABLE;
            else if (!strncmp(fl, "enum=", 5))
                fd->enums = xstrdup(fl + 5);
            else if (!strncmp(fl, "listmap=", 8))
                fd->listmap = xstrdup(fl + 8);
            else if (!strncmp(fl, "format=", 7))
                fd->format = xstrdup(fl + 7);
            else if (!strncmp(fl, "proto=", 6)) {
                char *end;
                long v = strtol(fl + 6, &end, 10);
                if (*end || v < 1 || v > 536870911)
                    err(file, lineno, "bad protobuf field number '%s'", fl + 6);
                else
                    fd->proto = (int)v;
            } else if (!strcmp(fl, "inline"))
                fd->is_inline = 1;
            else
                err(file, lineno, "unknown flag '%s'", fl);
        }
    }
    free(line);
    free(pkg);
    fclose(f);
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const struct type *)a)->full, ((const struct type *)b)->full);
}

static int resolve_type(const char *name, const char *pkg, const char *file, int line)
{
    int found = -1, count = 0;
    if (!strchr(name, '.')) {
        for (int i = 0; i < ntypes; i++)
            if (!strcmp(types[i].pkg, pkg) && !strcmp(types[i].name, name))
                return i;
        for (int i = 0; i < ntypes; i++)
            if (!strcmp(types[i].name, name)) {
                found = i;
                count++;
            }
    } else {
        size_t nl = strlen(name);
        for (int i = 0; i < ntypes; i++) {
            size_t fl = strlen(types[i].full);
            if (!strcmp(types[i].full, name) ||
                (fl > nl && types[i].full[fl - nl - 1] == '.' &&
                 !strcmp(types[i].full + fl - nl, name))) {
                found = i;
                count++;
            }
        }
    }
    if (count == 0)
        err(file, line, "unknown type '%s'", name);
    else if (count > 1)
        err(file, line, "ambiguous type '%s' (qualify it with its package)", name);
    return found;
}

/* Parse a type expression into a ref index (interned by canonical expression). */
static int intern_ref(const char *expr, const char *pkg, const char *file, int line)
{
    char canon[1024];
    int kind = -1, type = -1, elem = -1;

    if (!strncmp(expr, "[]", 2)) {
        elem = intern_ref(expr + 2, pkg, file, line);
        if (elem < 0)
            return -1;
        kind = K_ARRAY;
        snprintf(canon, sizeof(canon), "[]%s", refs[elem].expr);
    } else if (!strncmp(expr, "map[", 4)) {
        size_t l = strlen(expr);
        if (expr[l - 1] != ']') {
            err(file, line, "bad map type '%s' (want map[VALUE])", expr);
            return -1;
        }
        char inner[1024];
        snprintf(inner, sizeof(inner), "%.*s", (int)(l - 5), expr + 4);
        elem = intern_ref(inner, pkg, file, line);
        if (elem < 0)
            return -1;
        kind = K_MAP;
        snprintf(canon, sizeof(canon), "map[%s]", refs[elem].expr);
    } else {
        for (size_t i = 0; i < sizeof(scalar_names) / sizeof(scalar_names[0]); i++)
            if (!strcmp(expr, scalar_names[i]))
                kind = (int)i;
        if (kind < 0) {
            type = resolve_type(expr, pkg, file, line);
            if (type < 0)
                return -1;
            kind = K_STRUCT;
            snprintf(canon, sizeof(canon), "%s", types[type].full);
        } else {
            snprintf(canon, sizeof(canon), "%s", expr);
        }
    }
    for (int i = 0; i < nrefs; i++)
        if (!strcmp(refs[i].expr, canon))
            return i;
    if (nrefs == arefs) {
        arefs = arefs ? arefs * 2 : 256;
        refs = xrealloc(refs, sizeof(*refs) * (size_t)arefs);
    }
    refs[nrefs] = (struct ref){xstrdup(canon), kind, type, elem};
    return nrefs++;
}

static void emit_cstr(FILE *o, const char *s)
{
    if (!s) {
        fputs("NULL", o);
        return;
    }
    fputc('"', o);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", o);
        else if (c < 0x20)
            fprintf(o, "\\%03o", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static void emit_list(FILE *o, const char *name, const char *vals, char sep)
{
    fprintf(o, "static const char *const %s[] = {", name);
    const char *p = vals;
    while (*p) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        fprintf(o, "\"%.*s\", ", (int)l, p);
        p += l + (e ? 1 : 0);
    }
    fputs("NULL};\n", o);
}

static void check_field(const struct type *t, const struct field *fd)
{
    const struct ref *r = &refs[fd->ref];
    if (fd->flags & F_MERGE) {
        if (r->kind != K_ARRAY || refs[r->elem].kind != K_STRUCT) {
            err(fd->file, fd->line, "merge= needs a list of structs (%s.%s)", t->name, fd->name);
            return;
        }
        const struct type *et = &types[refs[r->elem].type];
        int ok = 0;
        for (int i = 0; i < et->nfields; i++)
            if (!strcmp(et->fields[i].name, fd->merge_key))
                ok = 1;
        if (!ok)
            err(fd->file, fd->line, "merge key '%s' is not a field of %s", fd->merge_key,
                et->full);
    }
    if ((fd->flags & F_SET) && (r->kind != K_ARRAY || refs[r->elem].kind >= K_STRUCT))
        err(fd->file, fd->line, "set needs a list of scalars (%s.%s)", t->name, fd->name);
}

/* Expand type ti's inline lines into copies of the embedded type's (expanded) fields and apply
 * its "^" description overrides, so that t->fields becomes the flat JSON view. Records each
 * inline member in t->pb. */
static void expand(int ti)
{
    struct type *t = &types[ti];
    struct field *out = NULL;
    int n = 0, a = 0;

    if (t->expanded == 2)
        return;
    if (t->expanded == 1) {
        err(t->file, t->line, "inline cycle through %s", t->full);
        return;
    }
    t->expanded = 1;
    for (int j = 0; j < t->nfields; j++) {
        struct field *fd = &t->fields[j];
        if (fd->is_override) {
            int hit = 0;
            for (int k = 0; k < n; k++)
                if (out[k].inlined && !strcmp(out[k].name, fd->name)) {
                    out[k].desc = fd->desc;
                    hit = 1;
                }
            if (!hit)
                err(fd->file, fd->line, "'^' names no field brought in by an inline line: %s",
                    fd->name);
            continue;
        }
        if (!fd->is_inline) {
            if (n == a) {
                a = a ? a * 2 : 16;
                out = xrealloc(out, sizeof(*out) * (size_t)a);
            }
            out[n++] = *fd;
            continue;
        }
        if (!fd->proto || fd->flags || fd->merge_key || fd->enums || fd->listmap || fd->format)
            err(fd->file, fd->line, "an inline line takes proto=N and nothing else");
        if (strchr(fd->type_expr, '[')) {
            err(fd->file, fd->line, "inline needs a type name, not '%s'", fd->type_expr);
            continue;
        }
        int scalar = 0;
        for (size_t k = 0; k < sizeof(scalar_names) / sizeof(scalar_names[0]); k++)
            scalar |= !strcmp(fd->type_expr, scalar_names[k]);
        if (scalar) {
            err(fd->file, fd->line, "inline needs a type name, not '%s'", fd->type_expr);
            continue;
        }
        int e = resolve_type(fd->type_expr, fd->pkg, fd->file, fd->line);
        if (e < 0)
            continue;
        expand(e);
        for (int k = 0; k < types[e].nfields; k++) {
            if (n == a) {
                a = a ? a * 2 : 16;
                out = xrealloc(out, sizeof(*out) * (size_t)a);
            }
            out[n] = types[e].fields[k];
            out[n].inlined = 1;
            out[n].proto = 0; /* numbered in the embedded type, not here */
            n++;
        }
        t->pb = xrealloc(t->pb, sizeof(*t->pb) * (size_t)(t->npb + 1));
        t->pb[t->npb++] = (struct pbent){fd->proto, -1, e};
    }
    for (int j = 0; j < n; j++)
        for (int k = 0; k < j; k++)
            if (!strcmp(out[j].name, out[k].name))
                err(out[j].file, out[j].line, "duplicate field '%s' in %s", out[j].name, t->full);
    t->fields = out;
    t->nfields = n;
    t->expanded = 2;
}

static int cmp_pbent(const void *a, const void *b)
{
    return ((const struct pbent *)a)->num - ((const struct pbent *)b)->num;
}

/* The protobuf table of type ti: every own field by number (TypeMeta's apiVersion and kind
 * excepted), plus the inline members; sorted, numbers unique. */
static void build_pb(int ti)
{
    struct type *t = &types[ti];
    for (int j = 0; j < t->nfields; j++) {
        struct field *fd = &t->fields[j];
        if (fd->inlined)
            continue;
        if (!fd->proto) {
            int typemeta = (j == 0 && !strcmp(fd->name, "apiVersion")) ||
                           (j == 1 && !strcmp(fd->name, "kind"));
            if (!typemeta)
                err(fd->file, fd->line, "%s.%s has no proto=N", t->name, fd->name);
            continue;
        }
        t->pb = xrealloc(t->pb, sizeof(*t->pb) * (size_t)(t->npb + 1));
        t->pb[t->npb++] = (struct pbent){fd->proto, j, -1};
    }
    qsort(t->pb, (size_t)t->npb, sizeof(*t->pb), cmp_pbent);
    for (int j = 1; j < t->npb; j++)
        if (t->pb[j].num == t->pb[j - 1].num)
            err(t->file, t->line, "protobuf field number %d used twice in %s", t->pb[j].num,
                t->full);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else
            parse_file(argv[i]);
    }
    if (!out) {
        fprintf(stderr, "usage: schemagen -o OUT.c FILE.sch...\n");
        return 2;
    }
    if (errors)
        return 1;

    qsort(types, (size_t)ntypes, sizeof(*types), cmp_type);
    for (i = 0; i < ntypes; i++) {
        types[i].index = i;
        if (i && !strcmp(types[i].full, types[i - 1].full))
            err(types[i].file, types[i].line, "type %s defined twice (also %s:%d)", types[i].full,
                types[i - 1].file, types[i - 1].line);
    }
    for (i = 0; i < ntypes; i++)
        expand(i);
    if (errors)
        return 1;
    for (i = 0; i < ntypes; i++)
        build_pb(i);
    for (i = 0; i < ntypes; i++)
        for (int j = 0; j < types[i].nfields; j++) {
            struct field *fd = &types[i].fields[j];
            fd->ref = intern_ref(fd->type_expr, fd->pkg, fd->file, fd->line);
        }
    if (errors)
        return 1;
    for (i = 0; i < ntypes; i++)
        for (int j = 0; j < types[i].nfields; j++)
            check_field(&types[i], &types[i].fields[j]);
    if (errors)
        return 1;

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", out);
    FILE *o = fopen(tmp, "w");
    if (!o) {
        perror(tmp);
        return 2;
    }
    fputs("/* Generated by tools/schemagen from src/api/schema. Do not edit. */\n"
          "#include <stddef.h>\n#include \"api/schema.h\"\n\n",
          o);
    /* refs: emitted in creation order; an element is always interned before its container. */
    for (i = 0; i < nrefs; i++) {
        fprintf(o, "static const struct sch_ref R%d = {%s, ", i, kind_names[refs[i].kind]);
        if (refs[i].kind == K_STRUCT)
            fprintf(o, "&sch_types[%d], ", types[refs[i].type].index);
        else
            fputs("NULL, ", o);
        if (refs[i].elem >= 0)
            fprintf(o, "&R%d};", refs[i].elem);
        else
            fputs("NULL};", o);
        fprintf(o, " /* %s */\n", refs[i].expr);
    }
    fputc('\n', o);
    for (i = 0; i < ntypes; i++) {
        struct type *t = &types[i];
        for (int j = 0; j < t->nfields; j++) {
            struct field *fd = &t->fields[j];
            char nm[64];
            if (fd->enums) {
                snprintf(nm, sizeof(nm), "E%d_%d", i, j);
                emit_list(o, nm, fd->enums, '|');
            }
            if (fd->listmap) {
                snprintf(nm, sizeof(nm), "L%d_%d", i, j);
                emit_list(o, nm, fd->listmap, ',');
            }
        }
        if (!t->nfields)
            continue;
        fprintf(o, "static const struct sch_field F%d[] = { /* %s */\n", i, t->full);
        for (int j = 0; j < t->nfields; j++) {
            struct field *fd = &t->fields[j];
            fprintf(o, "    {\"%s\", &R%d, %uu, ", fd->name, fd->ref, fd->flags);
            emit_cstr(o, fd->merge_key);
            if (fd->listmap)
                fprintf(o, ", L%d_%d", i, j);
            else
                fputs(", NULL", o);
            if (fd->enums)
                fprintf(o, ", E%d_%d, ", i, j);
            else
                fputs(", NULL, ", o);
            emit_cstr(o, fd->format);
            fputs(", ", o);
            emit_cstr(o, fd->desc);
            fputs("},\n", o);
        }
        fputs("};\n", o);
    }
    /* the protobuf view, parallel to sch_types */
    for (i = 0; i < ntypes; i++) {
        struct type *t = &types[i];
        if (!t->npb)
            continue;
        fprintf(o, "static const struct sch_pb_field P%d[] = { /* %s */\n", i, t->full);
        for (int j = 0; j < t->npb; j++) {
            struct pbent *pe = &t->pb[j];
            if (pe->field >= 0)
                fprintf(o, "    {%d, &F%d[%d], NULL}, /* %s */\n", pe->num, i, pe->field,
                        t->fields[pe->field].name);
            else
                fprintf(o, "    {%d, NULL, &sch_types[%d]}, /* inline %s */\n", pe->num,
                        types[pe->embedded].index, types[pe->embedded].full);
        }
        fputs("};\n", o);
    }
    fputs("\nconst struct sch_pb_type sch_pb_types[] = {\n", o);
    for (i = 0; i < ntypes; i++) {
        if (types[i].npb)
            fprintf(o, "    {P%d, %d},\n", i, types[i].npb);
        else
            fputs("    {NULL, 0},\n", o);
    }
    fputs("};\n", o);
    fputs("\nconst struct sch_type sch_types[] = {\n", o);
    for (i = 0; i < ntypes; i++) {
        struct type *t = &types[i];
        fputs("    {", o);
        emit_cstr(o, t->full);
        fputs(", ", o);
        emit_cstr(o, t->go);
        fputs(", ", o);
        emit_cstr(o, t->desc);
        if (t->nfields)
            fprintf(o, ", F%d, %d},\n", i, t->nfields);
        else
            fputs(", NULL, 0},\n", o);
    }
    fprintf(o, "};\nconst size_t sch_ntypes = %d;\n", ntypes);
    if (fclose(o) != 0 || rename(tmp, out) != 0) {
        perror(out);
        return 2;
    }
    return 0;
}
