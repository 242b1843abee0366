/*
 * iommu.c - kernel/iommu_groups.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "sysfs-priv.h"

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int sysfs_iommu_group_count(struct sysfs *s, unsigned *ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	unsigned n = 0;

	/* kernel/iommu_groups exists only once an IOMMU driver registered a group. */
	fd = openat(s->root_fd, "kernel/iommu_groups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			*ret = 0;
			return 0;
		}
		return -errno;
	}
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	TAKE_FD(fd);

	for (;;) {
		int g;

		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		/* Group directories are named by their number; anything else is not a group. */
		if (sysfs_parse_int(de->d_name, 0, INT32_MAX, &g) == 0)
			n++;
	}
	if (errno != 0)
		return -errno;

	*ret = n;
	return 0;
}

int sysfs_iommu_group_member_count(struct sysfs *s, int group, unsigned *ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	char path[64];
	unsigned n = 0;

	if (group < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "kernel/iommu_groups/%d/devices", group);
	fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	TAKE_FD(fd);
	while ((de = readdir(dir)))
		if (pci_addr_is_valid(de->d_name))
			n++;
	*ret = n;
	return 0;
}
