/* ktime.h — time as the Kubernetes API writes it.
 *
 * metav1.Time is RFC 3339 in UTC with second precision ("2026-11-25T07:08:37Z"); metav1.MicroTime
 * has six fractional digits ("2026-11-25T07:08:37.123456Z"). kubectl's AGE column is upstream's
 * duration.HumanDuration.
 */
#ifndef BERTH_KTIME_H
#define BERTH_KTIME_H

#include <stdint.h>
#include <time.h>

#define KTIME_BUFSZ 40

/* Wall clock, seconds / microseconds / nanoseconds since the epoch; monotonic clock in ms. */
time_t ktime_now(void);
int64_t ktime_now_us(void);
int64_t ktime_mono_ms(void);

/* Format t as "2006-01-02T15:04:05Z" into buf (KTIME_BUFSZ bytes); returns buf. */
char *ktime_format(time_t t, char *buf);
/* Format us (microseconds since epoch) as "2006-01-02T15:04:05.000000Z"; returns buf. */
char *ktime_format_micro(int64_t us, char *buf);
/* Parse RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction). Returns 0 and sets *t (seconds,
 * fraction dropped) and, if us is not NULL, *us (microseconds); -EINVAL if malformed. */
int ktime_parse(const char *s, time_t *t, int64_t *us);
/* upstream duration.HumanDuration: "7s", "2m5s", "15m", "3h4m", "2d3h", "45d", "3y100d";
 * up to one second in the future prints "0s" (clock skew), further "<invalid>". Returns buf. */
char *ktime_human_duration(int64_t seconds, char *buf);

#endif
