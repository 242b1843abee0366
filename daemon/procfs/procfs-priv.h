/*
 * procfs-priv.h - what the files of daemon/procfs/ share. Not for other layers: use procfs.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "procfs.h"

/* The files whose changes the kernel signals (watch.c). */
enum procfs_watch_file {
	PROCFS_WATCH_MOUNTINFO,
	PROCFS_WATCH_SWAPS,
	_PROCFS_WATCH_MAX,
};

struct procfs_watch {
	bool tried;   /* watch_open() ran */
	int fd;	      /* open since before @text was read; -1: not a real proc, read every time */
	char *text;   /* the last text read, NULL when none is kept */
	size_t len;
	unsigned reads, hits; /* for tests: files read, and answers from @text */
};

struct procfs {
	int root_fd; /* O_PATH|O_DIRECTORY|O_CLOEXEC */
	char *root;
	struct procfs_watch watch[_PROCFS_WATCH_MAX];
};

/*
 * Read ROOT/@name whole into a new buffer (not NUL-terminated; *ret_len bytes). proc files
 * report size 0, so this reads until EOF. Returns 0, the open/read errno, -EFBIG past 16 MiB,
 * or -ENOMEM.
 */
int procfs_read_file(struct procfs *p, const char *name, char **ret_buf, size_t *ret_len);

/*
 * procfs_read_file() of a watched file: the text kept from the last read while the kernel says
 * the file has not changed since, else a new read. Same returns.
 */
int procfs_read_watched(struct procfs *p, enum procfs_watch_file which, char **ret_buf,
			size_t *ret_len);
/* Close the watches and free their text (procfs_free()). */
void procfs_watch_clear(struct procfs *p);
