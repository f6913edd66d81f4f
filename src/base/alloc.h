/* alloc.h — allocation wrappers that abort on out-of-memory (redis zmalloc, git xmalloc).
 *
 * Callers never test the result for NULL. Every function returns memory the caller owns,
 * to be released with free().
 */
#ifndef BERTH_ALLOC_H
#define BERTH_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grow an array: ALLOC_GROW(items, nr + 1, alloc) as in git. */
#define ALLOC_GROW(x, nr, alloc)                                                                   \
    do {                                                                                           \
        if ((size_t)(nr) > (size_t)(alloc)) {                                                      \
            size_t alloc_nr_ = ((size_t)(alloc) + 16) * 3 / 2;                                     \
            (alloc) = alloc_nr_ < (size_t)(nr) ? (size_t)(nr) : alloc_nr_;                         \
            (x) = xrealloc((x), (alloc) * sizeof(*(x)));                                           \
        }                                                                                          \
    } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "base/banned.h"

#endif
