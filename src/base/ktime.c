/* ktime.c — RFC 3339 time as the Kubernetes API writes it, and kubectl's AGE column. */
#include "base/ktime.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/alloc.h"

time_t ktime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

int64_t ktime_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ktime_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- Civil calendar <-> days since 1970-01-01 (proleptic Gregorian) ---
 *
 * Done by hand rather than with timegm()/gmtime_r() so that parsing never depends on the
 * process time zone and years outside time_t's comfortable range behave predictably. */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Seconds since the epoch, floored, to "YYYY-MM-DDTHH:MM:SS" (no zone). */
static void format_secs(int64_t secs, char *buf, size_t len, const char *tail)
{
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u%s", y, m, d, (unsigned)(rem / 3600),
             (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), tail);
}

char *ktime_format(time_t t, char *buf)
{
    format_secs((int64_t)t, buf, KTIME_BUFSZ, "Z");
    return buf;
}

char *ktime_format_micro(int64_t us, char *buf)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    char tail[16];
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    snprintf(tail, sizeof(tail), ".%06" PRId64 "Z", frac);
    format_secs(secs, buf, KTIME_BUFSZ, tail);
    return buf;
}

/* Read exactly n digits at *p; advances *p. */
static bool digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool lit(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* Accepts what Go's time.Parse(time.RFC3339, s) accepts for metav1.Time and MicroTime: exactly
 * four-digit years, an upper-case 'T', seconds 0-59 (no leap second), an optional fraction of any
 * length (digits beyond microseconds are truncated, as Go truncates beyond nanoseconds) and a
 * "Z" or "+hh:mm"/"-hh:mm" zone with hours below 24. */
int ktime_parse(const char *s, time_t *t, int64_t *us)
{
    const char *p = s;
    unsigned year, mon, day, hh, mm, ss, frac = 0, oh = 0, om = 0;
    int sign = 0;

    if (!s)
        return -EINVAL;
    if (!digits(&p, 4, &year) || !lit(&p, '-') || !digits(&p, 2, &mon) || !lit(&p, '-') ||
        !digits(&p, 2, &day) || !lit(&p, 'T') || !digits(&p, 2, &hh) || !lit(&p, ':') ||
        !digits(&p, 2, &mm) || !lit(&p, ':') || !digits(&p, 2, &ss))
        return -EINVAL;
    if (*p == '.') {
        int n = 0;
        p++;
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 6)
                frac = frac * 10 + (unsigned)(*p - '0');
        if (n == 0)
            return -EINVAL;
        for (; n < 6; n++)
            frac *= 10;
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(&p, 2, &oh) || !lit(&p, ':') || !digits(&p, 2, &om))
            return -EINVAL;
        if (oh > 23 || om > 59)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (*p)
        return -EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hh > 23 || mm > 59 ||
        ss > 59)
        return -EINVAL;

    int64_t secs = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
    secs -= (int64_t)sign * (oh * 3600 + om * 60);
    if (t)
        *t = (time_t)secs;
    if (us)
        *us = secs * 1000000 + frac;
    return 0;
}

/* Upstream's duration.HumanDuration, threshold for threshold: "119s", then "XmYs" below ten
 * minutes, whole minutes below three hours, "XhYm" below eight hours, whole hours below two days,
 * "XdYh" below eight days, whole days below two years, "XyYd" below eight years, whole years.
 * Up to one second in the future reads "0s" (clock skew); further is "<invalid>". */
char *ktime_human_duration(int64_t seconds, char *buf)
{
    const size_t n = KTIME_BUFSZ;

    if (seconds < -1) {
        snprintf(buf, n, "<invalid>");
        return buf;
    }
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60 * 2) {
        snprintf(buf, n, "%" PRId64 "s", seconds);
        return buf;
    }
    int64_t minutes = seconds / 60;
    if (minutes < 10) {
        int64_t s = seconds % 60;
        if (s == 0)
            snprintf(buf, n, "%" PRId64 "m", minutes);
        else
            snprintf(buf, n, "%" PRId64 "m%" PRId64 "s", minutes, s);
        return buf;
    }
    if (minutes < 60 * 3) {
        snprintf(buf, n, "%" PRId64 "m", minutes);
        return buf;
    }
    int64_t hours = seconds / 3600;
    if (hours < 8) {
        int64_t m = minutes % 60;
        if (m == 0)
            snprintf(buf, n, "%" PRId64 "h", hours);
        else
            snprintf(buf, n, "%" PRId64 "h%" PRId64 "m", hours, m);
    } else if (hours < 48) {
        snprintf(buf, n, "%" PRId64 "h", hours);
    } else if (hours < 24 * 8) {
        int64_t h = hours % 24;
        if (h == 0)
            snprintf(buf, n, "%" PRId64 "d", hours / 24);
        else
            snprintf(buf, n, "%" PRId64 "d%" PRId64 "h", hours / 24, h);
    } else if (hours < 24 * 365 * 2) {
        snprintf(buf, n, "%" PRId64 "d", hours / 24);
    } else if (hours < 24 * 365 * 8) {
        int64_t dy = hours / 24 % 365;
        if (dy == 0)
            snprintf(buf, n, "%" PRId64 "y", hours / 24 / 365);
        else
            snprintf(buf, n, "%" PRId64 "y%" PRId64 "d", hours / 24 / 365, dy);
    } else {
        snprintf(buf, n, "%" PRId64 "y", hours / 24 / 365);
    }
    return buf;
}
