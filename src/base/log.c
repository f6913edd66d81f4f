#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"

static int level = -1;
static const char *const names[] = {"E", "W", "I", "D"};

static enum log_level level_from_env(void)
{
    const char *e = getenv("BERTH_LOG");
    if (!e)
        return LOG_INFO;
    if (!strcmp(e, "error"))
        return LOG_ERROR;
    if (!strcmp(e, "warn"))
        return LOG_WARN;
    if (!strcmp(e, "debug"))
        return LOG_DEBUG;
    return LOG_INFO;
}

void log_set_level(enum log_level lvl)
{
    level = (int)lvl;
}

enum log_level log_get_level(void)
{
    if (level < 0)
        level = (int)level_from_env();
    return (enum log_level)level;
}

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if ((int)lvl > (int)log_get_level())
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strbuf_addf(&sb, "%s %02d:%02d:%02d.%03d %-10s ", names[lvl], tm.tm_hour, tm.tm_min,
                tm.tm_sec, (int)(tv.tv_usec / 1000), subsys);
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    strbuf_addch(&sb, '\n');
    if (write(STDERR_FILENO, sb.buf, sb.len) < 0) {
        /* nothing sensible to do */
    }
    strbuf_release(&sb);
}

void die(const char *fmt, ...)
{
    va_list ap;
    fputs("berth: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}
