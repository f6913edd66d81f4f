#include <stdlib.h>
#include <string.h>

#include "api/schema.h"
#include "base/alloc.h"

static int cmp_name(const void *key, const void *elem)
{
    return strcmp(key, ((const struct sch_type *)elem)->name);
}

const struct sch_type *sch_type_find(const char *name)
{
    return bsearch(name, sch_types, sch_ntypes, sizeof(sch_types[0]), cmp_name);
}

const struct sch_field *sch_field_find(const struct sch_type *t, const char *name)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (!strcmp(t->fields[i].name, name))
            return &t->fields[i];
    return NULL;
}

const struct sch_ref *sch_ref_at(const struct sch_type *t, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    const struct sch_ref *ref = NULL;

    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(key) || !t)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        const struct sch_field *f = sch_field_find(t, key);
        if (!f)
            return NULL;
        ref = f->ref;
        while (ref->kind == SCH_ARRAY || ref->kind == SCH_MAP)
            ref = ref->elem;
        t = ref->kind == SCH_STRUCT ? ref->type : NULL;
        p += n + (dot ? 1 : 0);
    }
    return ref;
}

static const struct sch_pb_type *pb_of(const struct sch_type *t)
{
    if (t < sch_types || t >= sch_types + sch_ntypes)
        return NULL;
    return &sch_pb_types[t - sch_types];
}

const struct sch_pb_field *sch_pb_find(const struct sch_type *t, unsigned num)
{
    const struct sch_pb_type *pb = pb_of(t);
    size_t lo = 0, hi = pb ? pb->nfields : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        unsigned n = pb->fields[mid].num;
        if (n == num)
            return &pb->fields[mid];
        if (n < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

unsigned sch_field_proto(const struct sch_type *t, const struct sch_field *f)
{
    const struct sch_pb_type *pb = pb_of(t);
    for (size_t i = 0; pb && i < pb->nfields; i++)
        if (pb->fields[i].field == f)
            return pb->fields[i].num;
    return 0;
}
