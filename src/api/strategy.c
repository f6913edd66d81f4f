/* strategy.c — the strategy table (api/strategy.h). Kinds without an entry have no hooks. */
#include "api/strategy.h"

static const struct res_strategy none;

const struct res_strategy *res_strategy(enum res_id id)
{
    (void)id;
    return &none;
}

void validate_meta(const struct resource *r, const json_t *obj, const json_t *old,
                   struct ferrs *errs)
{
    (void)r, (void)obj, (void)old, (void)errs;
}
