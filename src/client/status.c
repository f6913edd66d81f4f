/* status.c — HTTP status <-> errno, kstatus filling, and the monotonic condition waits the
 * client layer's threads use. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "client/internal.h"

int kclient_errno(int http_code, const char *reason)
{
    if (http_code >= 200 && http_code < 300)
        return 0;
    switch (http_code) {
    case 404:
        return -ENOENT;
    case 409:
        /* AlreadyExists and Conflict share 409; only the reason tells them apart. */
        return reason && !strcmp(reason, "AlreadyExists") ? -EEXIST : -ESTALE;
    case 400:
    case 422:
        return -EINVAL;
    case 401:
    case 403:
        return -EACCES;
    case 410:
        return -ETIME;
    case 413:
        return -E2BIG;
    case 429:
    case 503:
    case 504:
        return -EAGAIN;
    default:
        return -EIO;
    }
}

int kstatus__code_of(int err, const char **reason)
{
    static const struct {
        int err, code;
        const char *reason;
    } map[] = {
        {-ENOENT, 404, "NotFound"},
        {-EEXIST, 409, "AlreadyExists"},
        {-ESTALE, 409, "Conflict"},
        {-EINVAL, 422, "Invalid"},
        {-EACCES, 403, "Forbidden"},
        {-ETIME, 410, "Expired"},
        {-E2BIG, 413, "RequestEntityTooLarge"},
        {-EAGAIN, 503, "ServiceUnavailable"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        if (map[i].err == err) {
            *reason = map[i].reason;
            return map[i].code;
        }
    }
    *reason = "InternalError";
    return 500;
}

static void copy_trunc(char *dst, size_t sz, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= sz)
        n = sz - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void kstatus__set(struct kstatus *st, int code, const char *reason, const char *message)
{
    if (!st)
        return;
    st->code = code;
    copy_trunc(st->reason, sizeof(st->reason), reason);
    copy_trunc(st->message, sizeof(st->message), message);
}

void kstatus__from_json(struct kstatus *st, int http_code, const json_t *status)
{
    if (!st)
        return;
    int64_t code = jget_int(status, "code", 0);
    kstatus__set(st, code > 0 ? (int)code : http_code, jget_str(status, "reason"),
                 jget_str(status, "message"));
}

int64_t mono__us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cond__init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

bool cond__wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_us)
{
    if (deadline_us < 0) {
        pthread_cond_wait(c, m);
        return true;
    }
    struct timespec ts = {.tv_sec = deadline_us / 1000000,
                          .tv_nsec = (deadline_us % 1000000) * 1000};
    return pthread_cond_timedwait(c, m, &ts) != ETIMEDOUT;
}
