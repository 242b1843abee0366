/*
 * sysfs.c - the root of the tree and the small readers every sysfs module uses.
 *
 * Everything is openat()-relative to one O_PATH descriptor on the root, so a test or the
 * simulator can point passd at any directory with the kernel's layout.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs-priv.h"

int sysfs_new(const char *root, struct sysfs **ret)
{
	_cleanup_free_ struct sysfs *s = NULL;
	_cleanup_close_ int fd = -1;

	if (!root || !*root)
		return -EINVAL;

	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->root = strdup(root);
	if (!s->root)
		return -ENOMEM;
	s->root_fd = TAKE_FD(fd);

	*ret = TAKE_PTR(s);
	return 0;
}

void sysfs_free(struct sysfs *s)
{
	if (!s)
		return;
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root);
	free(s);
}

const char *sysfs_get_root(const struct sysfs *s)
{
	return s->root;
}

ssize_t sysfs_read_small(int dfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	/* O_NONBLOCK: a FIFO planted in a copied tree must not hang the scan. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	/*
	 * One read: sysfs attributes are produced whole by their show() method, at most a page
	 * (Documentation/filesystems/sysfs.rst), and a regular file in a copy returns what fits.
	 */
	n = TFR(read(fd, buf, size));
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -EFBIG;
	if (memchr(buf, '\0', (size_t)n))
		return -EINVAL;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return n;
}

ssize_t sysfs_read_link(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n;

	n = readlinkat(dfd, name, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

const char *sysfs_basename(const char *target)
{
	const char *slash = strrchr(target, '/');

	return slash ? slash + 1 : target;
}

bool sysfs_is_hex_id(const char *s, size_t digits)
{
	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 0; i < digits; i++) {
		char c = s[2 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[2 + digits] == '\0';
}

int sysfs_parse_int(const char *s, long min, long max, int *ret)
{
	const char *digits = s[0] == '-' ? s + 1 : s;
	char *end;
	long v;

	/* strtol() alone would accept blanks, '+', and an empty string as 0. */
	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	/* The kernel prints "%d": one spelling per number, so "007" and "-0" are odd. */
	if (digits[0] == '0' && (digits[1] != '\0' || digits != s))
		return -EINVAL;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v < min || v > max || v < INT_MIN || v > INT_MAX)
		return -ERANGE;

	*ret = (int)v;
	return 0;
}

bool sysfs_is_driver_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PD_DRIVER_LEN || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

bool sysfs_is_resource_error(int r)
{
	return r == -EMFILE || r == -ENFILE || r == -ENOMEM || r == -ENOBUFS;
}
