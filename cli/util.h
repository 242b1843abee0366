/*
 * util.h - what every part of passctl shares: exit codes, aborting allocators, messages.
 *
 * passctl is a short-lived client, so running out of memory ends it (STYLE 2.4 allows an
 * aborting xmalloc in cli/ only).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* The contract's exit codes. */
enum passctl_exit {
	PASSCTL_EXIT_OK = 0,
	PASSCTL_EXIT_REFUSED = 1,     /* the server said no, or its answer was unusable */
	PASSCTL_EXIT_USAGE = 2,	      /* bad command line; nothing was sent */
	PASSCTL_EXIT_UNREACHABLE = 3, /* no answer from the daemon at all */
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formatted string in a new allocation. */
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* Print "passctl: MESSAGE" and a newline to stderr. */
void cli_error(const char *fmt, ...) _printf_(1, 2);

/*
 * A copy of @s fit for a terminal: control characters (C0, DEL and C1) become '?', so nothing
 * a server or a user sends can move the cursor or change colours. NULL gives "(null)".
 */
char *cli_sanitize(const char *s);

/* True when @s is a whole decimal number in [min, max]; the value in *ret. */
bool cli_parse_long(const char *s, long min, long max, long *ret);
