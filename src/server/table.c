/* table.c — meta.k8s.io/v1 Table responses for `kubectl get` (KUBECTL.md §6). The cells come
 * from the kind's printer (api/print.h). */
#include <string.h>
#include <time.h>

#include "api/print.h"
#include "base/alloc.h"
#include "server/internal.h"

bool wants_table(const struct req *rq)
{
    const char *accept = req_header(rq, "Accept");
    if (!accept)
        return false;
    /* The first acceptable media type wins; kubectl lists Table first. */
    char *copy = xstrdup(accept), *save = NULL;
    bool table = false;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strstr(tok, "as=Table") && strstr(tok, "g=meta.k8s.io")) {
            table = true;
            break;
        }
        if (strstr(tok, "application/json") || strstr(tok, "*/*"))
            break;
    }
    free(copy);
    return table;
}

enum table_include table_include(const struct req *rq)
{
    const char *v = req_query(rq, "includeObject");
    if (v && !strcmp(v, "Object"))
        return TABLE_INCLUDE_OBJECT;
    if (v && !strcmp(v, "None"))
        return TABLE_INCLUDE_NONE;
    return TABLE_INCLUDE_METADATA;
}

static void columns(struct strbuf *sb, const struct res_printer *p)
{
    strbuf_addstr(sb, "\"columnDefinitions\":[");
    for (size_t i = 0; i < p->ncolumns; i++) {
        const struct print_column *c = &p->columns[i];
        if (i)
            strbuf_addch(sb, ',');
        strbuf_addstr(sb, "{\"name\":");
        strbuf_add_json_str(sb, c->name);
        strbuf_addstr(sb, ",\"type\":");
        strbuf_add_json_str(sb, c->type);
        strbuf_addstr(sb, ",\"format\":");
        strbuf_add_json_str(sb, c->format);
        strbuf_addstr(sb, ",\"description\":");
        strbuf_add_json_str(sb, c->description);
        strbuf_addf(sb, ",\"priority\":%d}", c->priority);
    }
    strbuf_addch(sb, ']');
}

void table_row(struct strbuf *sb, const struct obj *o, enum table_include inc, time_t now)
{
    const struct res_printer *p = res_printer(o->res->id);
    json_t *cells = json_array();
    p->row(o->json, cells, now);
    strbuf_addstr(sb, "{\"cells\":");
    json_dump_to(sb, cells);
    json_decref(cells);
    switch (inc) {
    case TABLE_INCLUDE_NONE:
        break;
    case TABLE_INCLUDE_OBJECT:
        strbuf_addstr(sb, ",\"object\":");
        strbuf_add(sb, o->bytes, o->len);
        break;
    case TABLE_INCLUDE_METADATA:
        strbuf_addstr(sb, ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                          "\"meta.k8s.io/v1\",\"metadata\":");
        json_dump_to(sb, json_object_get(o->json, "metadata"));
        strbuf_addch(sb, '}');
        break;
    }
    strbuf_addch(sb, '}');
}

void table_render(struct strbuf *sb, const struct resource *r, struct obj *const *objs, size_t n,
                  int64_t rev, enum table_include inc, bool with_columns)
{
    const struct res_printer *p = res_printer(r->id);
    time_t now = time(NULL);
    strbuf_addf(sb,
                "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"
                "{\"resourceVersion\":\"%lld\"},",
                (long long)rev);
    if (with_columns)
        columns(sb, p);
    else
        strbuf_addstr(sb, "\"columnDefinitions\":[]");
    strbuf_addstr(sb, ",\"rows\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(sb, ',');
        table_row(sb, objs[i], inc, now);
    }
    strbuf_addstr(sb, "]}");
}
