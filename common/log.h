/* Logging: readable lines on stderr. Messages never contain secrets; callers
 * pass identifiers and URLs, never key material or JWS bodies. */
#pragma once

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* Send lines to syslog instead of stderr (a daemon that left its terminal). */
void log_use_syslog(void);
/* Parse "error", "warning", "info", "debug". Returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
/* Prefix every line with this tag (e.g. "job 3 example.com"); NULL clears. */
void log_set_tag(const char *tag);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
