/*
 * file.h - the api layer's own small files (TLS PEM, token file, dashboard assets), read whole.
 */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

/*
 * Read the regular file open on @fd, of at most @max bytes, into a NUL-terminated buffer
 * (*ret_buf, *ret_len); its stat in *ret_st when not NULL. -EINVAL for another kind of file or
 * a larger one, -errno for a failed call.
 */
int api_read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len, struct stat *ret_st);
