/*
 * sysfs-priv.h - what the files of daemon/sysfs/ share, and what its unit test reaches.
 *
 * Not for other layers: they use sysfs.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pci-addr.h"
#include "sysfs.h"

struct sysfs {
	int root_fd; /* O_PATH|O_DIRECTORY|O_CLOEXEC */
	char *root;
};

/* Big enough for every attribute passd reads (reset_method is the longest, < PD_RESET_LEN). */
#define SYSFS_ATTR_MAX 128
/* Big enough for a bus/pci/devices link 20 bridges deep; longer targets are "odd". */
#define SYSFS_LINK_MAX 512

/*
 * Read the attribute @name of the directory @dfd with one openat, one read and one close, into
 * @buf (NUL-terminated, one trailing newline removed). Returns the length, -EFBIG when it does
 * not fit in @size - 1 bytes, -EINVAL when it holds a NUL byte, or the open/read errno.
 */
ssize_t sysfs_read_small(int dfd, const char *name, char *buf, size_t size);

/*
 * readlinkat(@dfd, @name) into @buf (NUL-terminated). Returns the length, -ENAMETOOLONG when
 * the target does not fit, or the errno.
 */
ssize_t sysfs_read_link(int dfd, const char *name, char *buf, size_t size);

/* The last component of a link target (after the last '/'), or @target when it has none. */
const char *sysfs_basename(const char *target);

/* True for "0x" followed by exactly @digits lowercase hex digits and nothing else. */
bool sysfs_is_hex_id(const char *s, size_t digits);

/*
 * Parse a decimal integer in [@min, @max]: an optional '-', digits, nothing else (no blanks, no
 * '+', no trailing newline). Returns 0, -EINVAL or -ERANGE; *ret untouched on failure.
 */
int sysfs_parse_int(const char *s, long min, long max, int *ret);

/* True for a plausible kernel driver name: 1..PD_DRIVER_LEN-1 of [A-Za-z0-9_.:-], not "."/"..". */
bool sysfs_is_driver_name(const char *s);

/*
 * Read the function @a from @dfd, its bus/pci/devices directory opened by the caller (the scan
 * opens it with O_PATH; the test removes the device in between to play a hot-unplug). @d is
 * initialised here. Returns 0, -ENOENT when the function went away while being read, or a
 * resource error.
 */
int sysfs_pci_read_device_at(int root_fd, int dfd, const struct pci_addr *a, struct pd_device *d);

/* True for errors that mean the system is short of resources, not that sysfs is odd. */
bool sysfs_is_resource_error(int r);
