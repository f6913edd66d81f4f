/* base64.h — standard base64 with padding, as Go's encoding/base64 StdEncoding (what
 * encoding/json uses for []byte fields such as Secret data).
 *
 * Decoding accepts exactly what StdEncoding accepts: the standard alphabet, '=' padding to a
 * multiple of four, CR and LF anywhere (ignored), and non-zero bits in the last character
 * before the padding (StdEncoding is not Strict). Anything else fails at the same byte offset
 * Go reports, so callers can say "illegal base64 data at input byte N" as upstream does.
 */
#ifndef BERTH_BASE64_H
#define BERTH_BASE64_H

#include <stddef.h>

#include "base/strbuf.h"

/* Encode len bytes. Caller owns the NUL-terminated result. */
char *base64_encode(const void *data, size_t len);

/* Decode len characters of s, appending the bytes to out. Returns 0, or -EINVAL with the offset
 * of the offending input byte in *bad_offset (if not NULL); on error out is left as it was. */
int base64_decode(const char *s, size_t len, struct strbuf *out, size_t *bad_offset);

#endif
