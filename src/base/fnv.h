/* fnv.h — FNV-1 and FNV-1a 32-bit hashes (Go's hash/fnv New32 and New32a) and upstream's
 * rand.SafeEncodeString. The StatefulSet controller names ControllerRevisions with them:
 * "<set>-" + SafeEncodeString(decimal FNV-1 hash of the revision data).
 */
#ifndef BERTH_FNV_H
#define BERTH_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV32_INIT 2166136261u /* the offset basis: the hash of nothing */

/* Continue hashing len bytes from the running hash `seed` (FNV32_INIT to start). FNV-1 multiplies
 * then XORs each byte; FNV-1a XORs then multiplies. */
uint32_t fnv32(const void *data, size_t len, uint32_t seed);
uint32_t fnv32a(const void *data, size_t len, uint32_t seed);

/* upstream's SafeEncodeString: each character (rune) of in becomes the character of
 * "bcdfghjklmnpqrstvwxz2456789" at its code point modulo 27, so the result has no vowels and no
 * look-alike digits. Writes at most outsz - 1 characters and a NUL. */
void safe_encode_string(const char *in, char *out, size_t outsz);

#endif
