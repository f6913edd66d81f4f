/* fnv.c — FNV hashes and SafeEncodeString (k8s.io/apimachinery/pkg/util/rand). */
#include "base/fnv.h"

#include "base/alloc.h"

#define FNV32_PRIME 16777619u

uint32_t fnv32(const void *data, size_t len, uint32_t seed)
{
    const unsigned char *p = data;
    uint32_t h = seed;
    for (size_t i = 0; i < len; i++) {
        h *= FNV32_PRIME;
        h ^= p[i];
    }
    return h;
}

uint32_t fnv32a(const void *data, size_t len, uint32_t seed)
{
    const unsigned char *p = data;
    uint32_t h = seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV32_PRIME;
    }
    return h;
}

/* Go ranges over the string's runes, so a multi-byte character counts once (by its code point)
 * and an invalid byte counts as U+FFFD. */
static size_t next_rune(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0], min;
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0)
        len = 2, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, min = 0x10000, c &= 0x07;
    else
        goto invalid;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            goto invalid;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        goto invalid;
    *cp = c;
    return len;
invalid:
    *cp = 0xfffd;
    return 1;
}

void safe_encode_string(const char *in, char *out, size_t outsz)
{
    static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
    const unsigned char *p = (const unsigned char *)in;
    size_t n = 0;
    if (outsz == 0)
        return;
    while (*p && n + 1 < outsz) {
        unsigned cp;
        p += next_rune(p, &cp);
        out[n++] = alphanums[cp % (sizeof(alphanums) - 1)];
    }
    out[n] = '\0';
}
