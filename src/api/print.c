/* print.c — the printer table (api/print.h). */
#include "api/print.h"
#include "base/ktime.h"

static const struct print_column default_cols[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Age", "string", "", "Time since the object was created.", 0},
};

static void default_row(const json_t *obj, json_t *cells, time_t now)
{
    char buf[KTIME_BUFSZ];
    const char *name = jpath_str(obj, "metadata.name");
    const char *ts = jpath_str(obj, "metadata.creationTimestamp");
    time_t t = 0;
    json_array_append_new(cells, json_string(name ? name : ""));
    if (ts && ktime_parse(ts, &t, NULL) == 0)
        json_array_append_new(cells, json_string(ktime_human_duration(now - t, buf)));
    else
        json_array_append_new(cells, json_string("<unknown>"));
}

static const struct res_printer default_printer = {default_cols, 2, default_row};

const struct res_printer *res_printer(enum res_id id)
{
    (void)id;
    return &default_printer;
}
