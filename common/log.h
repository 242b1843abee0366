/*
 * log.h - logging to stderr in journald's "<N>message" form.
 *
 * Only services and main.c log above debug (STYLE 2.5). log_*_errno() return the negative errno they
 * are given, so "return log_error_errno(r, ...)" logs and propagates in one step; "%m" in the format
 * prints strerror(-r).
 */
#pragma once

#include "macro.h"

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Parse "error", "warning", "notice", "info" or "debug". Returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *ret);
void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);

int log_internal(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...)                                                          \
	({                                                                                         \
		int _e_ = (error);                                                                 \
		(log_get_max_level() >= (level)) ? log_internal((level), _e_, __VA_ARGS__)         \
						 : -abs(_e_);                                      \
	})

#define log_error(...) (void)log_full_errno(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_warning(...) (void)log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...) (void)log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...) (void)log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) (void)log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
