/* quantity.h — Kubernetes resource.Quantity: parse, canonical form, compare.
 *
 * Grammar (upstream): <signedNumber><suffix>, suffix one of the binary (Ki Mi Gi Ti Pi Ei),
 * decimal SI (n u m "" k M G T P E) or decimal exponent (e3, E-2) forms. The canonical string is
 * what the API server stores and returns after a round trip, e.g. "1024Mi" -> "1Gi",
 * "0.5" -> "500m", "1.5Gi" -> "1536Mi", "2G" -> "2G", "1e3" -> "1e3", "100m" -> "100m".
 */
#ifndef BERTH_QUANTITY_H
#define BERTH_QUANTITY_H

#include <stdbool.h>
#include <stdint.h>

enum quantity_format { QTY_DECIMAL_SI, QTY_BINARY_SI, QTY_DECIMAL_EXPONENT };

/* value = mant * 10^exp10, normalised so that mant has no trailing decimal zeros unless 0.
 * Values that do not fit (|mant| beyond 2^63 after normalisation) are rejected at parse. */
struct quantity {
    int64_t mant;
    int32_t exp10;
    enum quantity_format format;
};

/* The regular expression upstream quotes in its error message. */
#define QUANTITY_REGEX_MSG                                                                         \
    "quantities must match the regular expression "                                                \
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

/* Parse s. Returns 0, or -EINVAL (malformed; the message to give is QUANTITY_REGEX_MSG) or
 * -ERANGE (too large or too precise to represent). */
int quantity_parse(const char *s, struct quantity *q);
/* quantity_parse, and on failure *why (if not NULL) gets upstream's message for the error:
 * QUANTITY_REGEX_MSG, "unable to parse quantity's suffix" or "unable to parse numeric part of
 * quantity"; for -ERANGE (upstream keeps such values in arbitrary precision) a message of ours.
 * The strings are static. */
int quantity_parse_msg(const char *s, struct quantity *q, const char **why);
/* The canonical string, as upstream's Quantity.String(). Caller owns it. */
char *quantity_string(const struct quantity *q);
/* <0, 0, >0 as a is less than, equal to or greater than b. */
int quantity_cmp(const struct quantity *a, const struct quantity *b);
/* Value rounded up to an integer (upstream Value()), and in thousandths (MilliValue()).
 * Saturate at INT64_MAX/INT64_MIN. */
int64_t quantity_value(const struct quantity *q);
int64_t quantity_milli_value(const struct quantity *q);
bool quantity_is_zero(const struct quantity *q);
static inline bool quantity_is_negative(const struct quantity *q)
{
    return q->mant < 0;
}
/* a + b, keeping a's format (b's when a is zero, as upstream). -ERANGE on overflow. */
int quantity_add(const struct quantity *a, const struct quantity *b, struct quantity *out);

/* Canonicalise the string s: returns a new canonical string (caller owns) or NULL if malformed. */
char *quantity_canonicalize(const char *s);

#endif
