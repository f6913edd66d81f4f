/* print.h — server-side printing: the columns `kubectl get` shows for each kind.
 *
 * Column sets are upstream's (pkg/printers/internalversion/printers.go). Cells are JSON values:
 * strings, or integers where upstream's column type is "integer". The Name column is always
 * first, except for Event, where upstream puts it last and wide-only. The server wraps rows in a
 * meta.k8s.io/v1 Table.
 *
 * Where upstream fills a "string" column with a Go int64 or bool (Secret/ConfigMap Data,
 * ServiceAccount Secrets, Event Count, ControllerRevision Revision, StorageClass
 * AllowVolumeExpansion), the cell is a JSON integer or boolean, as the real server sends it.
 * Rows always carry the priority-1 cells: kube-apiserver prints wide, kubectl hides them.
 */
#ifndef BERTH_PRINT_H
#define BERTH_PRINT_H

#include <stddef.h>
#include <time.h>

#include "api/resource.h"
#include "base/json.h"

struct print_column {
    const char *name;        /* "Name", "Ready", ... */
    const char *type;        /* "string", "integer", "date" */
    const char *format;      /* "name" for the Name column, else "" */
    const char *description;
    int priority;            /* 0: always; 1: only with -o wide */
};

struct res_printer {
    const struct print_column *columns;
    size_t ncolumns;
    /* Append one cell per column to `cells` (a JSON array), for obj as seen at time `now`. */
    void (*row)(const json_t *obj, json_t *cells, time_t now);
};

/* The printer of a kind (never NULL). */
const struct res_printer *res_printer(enum res_id id);

#endif
