/* log.h — leveled logging to stderr, one line per message with a UTC timestamp.
 *
 * The level comes from BERTH_LOG (error, warn, info, debug; default info) or log_set_level().
 * Thread-safe: each line is written with one write().
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...)                                                                        \
    do {                                                                                           \
        if (log_get_level() >= LOG_DEBUG)                                                          \
            log_msg(LOG_DEBUG, sub, __VA_ARGS__);                                                  \
    } while (0)

/* Print "berth: <msg>" and exit(1). For start-up failures only. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
