/*
 * procfs-priv.h - what the files of daemon/procfs/ share. Not for other layers: use procfs.h.
 */
#pragma once

#include <stddef.h>

#include "procfs.h"

struct procfs {
	int root_fd; /* O_PATH|O_DIRECTORY|O_CLOEXEC */
	char *root;
};

/*
 * Read ROOT/@name whole into a new buffer (not NUL-terminated; *ret_len bytes). proc files
 * report size 0, so this reads until EOF. Returns 0, the open/read errno, -EFBIG past 16 MiB,
 * or -ENOMEM.
 */
int procfs_read_file(struct procfs *p, const char *name, char **ret_buf, size_t *ret_len);
