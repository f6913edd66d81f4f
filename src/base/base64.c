/* base64.c — Go's base64.StdEncoding, decoding error offsets included. */
#include "base/base64.h"

#include <errno.h>
#include <stdbool.h>

#include "base/alloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int decode_char(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool is_newline(char c)
{
    return c == '\n' || c == '\r';
}

/* One quantum of four characters, following Go's decodeQuantum step by step so that every
 * error lands on the offset Go reports. Returns 1 when done (end of input or padding), 0 to go
 * on, or -1 with *bad set. */
static int decode_quantum(const char *s, size_t len, size_t *psi, struct strbuf *out, size_t *bad)
{
    unsigned char dbuf[4] = {0, 0, 0, 0};
    size_t si = *psi;
    int dlen = 4, done = 0;

    for (int j = 0; j < 4; j++) {
        if (si == len) {
            if (j == 0) {
                *psi = si;
                return 1;
            }
            *bad = si - (size_t)j; /* a quantum cut short: padding is required */
            return -1;
        }
        unsigned char in = (unsigned char)s[si++];
        int v = decode_char(in);
        if (v >= 0) {
            dbuf[j] = (unsigned char)v;
            continue;
        }
        if (is_newline((char)in)) {
            j--;
            continue;
        }
        if (in != '=' || j < 2) {
            *bad = si - 1;
            return -1;
        }
        if (j == 2) {
            /* "==" expected: the second '=' may come after newlines */
            while (si < len && is_newline(s[si]))
                si++;
            if (si == len) {
                *bad = len;
                return -1;
            }
            if (s[si] != '=') {
                *bad = si - 1;
                return -1;
            }
            si++;
        }
        while (si < len && is_newline(s[si]))
            si++;
        if (si < len) {
            *bad = si; /* trailing garbage after the padding */
            return -1;
        }
        dlen = j;
        done = 1;
        break;
    }

    unsigned val =
        (unsigned)dbuf[0] << 18 | (unsigned)dbuf[1] << 12 | (unsigned)dbuf[2] << 6 | dbuf[3];
    unsigned char bytes[3] = {(unsigned char)(val >> 16), (unsigned char)(val >> 8),
                              (unsigned char)val};
    strbuf_add(out, bytes, (size_t)dlen - 1);
    *psi = si;
    return done;
}

int base64_decode(const char *s, size_t len, struct strbuf *out, size_t *bad_offset)
{
    size_t orig = out->len, si = 0, bad = 0;
    strbuf_grow(out, len / 4 * 3 + 3);
    while (si < len) {
        int rc = decode_quantum(s, len, &si, out, &bad);
        if (rc < 0) {
            strbuf_setlen(out, orig);
            if (bad_offset)
                *bad_offset = bad;
            return -EINVAL;
        }
        if (rc > 0)
            break;
    }
    return 0;
}
