/* strbuf.h — a growable, always NUL-terminated byte buffer (after git's strbuf).
 *
 *   struct strbuf sb = STRBUF_INIT;
 *   strbuf_addf(&sb, "%d pods", n);
 *   char *s = strbuf_detach(&sb, NULL);   // caller owns s
 *
 * `buf` is never NULL: an empty strbuf points at a shared "" until the first add.
 */
#ifndef BERTH_STRBUF_H
#define BERTH_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    size_t alloc; /* 0 while buf points at the shared empty string */
    size_t len;   /* bytes in use, not counting the terminating NUL */
    char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT {0, 0, strbuf_slopbuf}

void strbuf_init(struct strbuf *sb, size_t hint);
/* Free the contents; sb is left in the STRBUF_INIT state. */
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it); sb is reset. *len gets the length if not NULL. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
static inline void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void strbuf_add_json_str(struct strbuf *sb, const char *s);

#endif
