/*
 * macro.h - cleanup attributes and small helpers shared by every part of passd.
 *
 * Ownership leaves a _cleanup_ variable only through TAKE_PTR() or TAKE_FD().
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

/* Declare foo_freep() for a destructor that accepts NULL. */
#define DEFINE_FREEP(type, func)                                                                   \
	static inline void func##p(type **p)                                                       \
	{                                                                                          \
		func(*p);                                                                          \
	}

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p_ = (p);                                                           \
		(p) = NULL;                                                                        \
		_p_;                                                                               \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd_ = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_fd_;                                                                              \
	})

#define streq(a, b) (strcmp((a), (b)) == 0)

/* Retry a syscall interrupted by a signal. */
#define TFR(expr)                                                                                  \
	({                                                                                         \
		long _r_;                                                                          \
		do                                                                                 \
			_r_ = (long)(expr);                                                        \
		while (_r_ == -1 && errno == EINTR);                                               \
		_r_;                                                                               \
	})
