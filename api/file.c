/*
 * file.c - see file.h.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "file.h"
#include "macro.h"

int api_read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len, struct stat *ret_st)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size > max)
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* it shrank meanwhile: what is there */
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (ret_st)
		*ret_st = st;
	*ret_len = got;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}
