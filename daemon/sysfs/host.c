/*
 * host.c - the host-wide sysfs facts the preflight reads: ACPI tables, IOMMU units and their
 * registers, module parameters, and the VFIO container node under the /dev root.
 *
 * Layout (Linux 6.x): firmware/acpi/tables/NAME (drivers/acpi/sysfs.c, mode 0400),
 * class/iommu/NAME -> ../../devices/virtual/iommu/NAME (iommu_device_sysfs_add()), with
 * intel-iommu/{version,address,cap,ecap} ("%llx\n", drivers/iommu/intel/iommu.c) or
 * amd-iommu/{cap,features} (drivers/iommu/amd/init.c), module/NAME/parameters/PARAM
 * (kernel/params.c; bool parameters print Y or N).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs-priv.h"

static inline void host_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int sysfs_parse_hex64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 16)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					       -1;
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return 0;
}

/* A plain name: 1..63 of [A-Za-z0-9_-], so it can never climb out of its directory. */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int sysfs_host_acpi_table(struct sysfs *s, const char *name, bool *ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!plain_name(name))
		return -EINVAL;
	fd = openat(s->root_fd, "firmware/acpi/tables", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret = false;
		return 0;
	}
	*ret = true;
	return 0;
}

static int unit_cmp(const void *a, const void *b)
{
	const struct sysfs_iommu_unit *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	/* dmar2 before dmar10: shorter first, then bytes */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void read_unit(int cfd, struct sysfs_iommu_unit *u)
{
	_cleanup_close_ int ufd = -1;
	char buf[SYSFS_ATTR_MAX];
	struct stat st;

	/* class/iommu/NAME is a link to the unit's directory; follow it. */
	ufd = openat(cfd, u->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0)
		return;
	u->intel = fstatat(ufd, "intel-iommu", &st, 0) == 0 && S_ISDIR(st.st_mode);
	u->amd = fstatat(ufd, "amd-iommu", &st, 0) == 0 && S_ISDIR(st.st_mode);
	if (u->intel && sysfs_read_small(ufd, "intel-iommu/ecap", buf, sizeof(buf)) > 0 &&
	    sysfs_parse_hex64(buf, &u->ecap) == 0)
		u->has_ecap = true;
}

int sysfs_host_iommu_units(struct sysfs *s, struct sysfs_iommu_unit **ret_units, size_t *ret_n)
{
	_cleanup_(host_closedirp) DIR *dir = NULL;
	_cleanup_free_ struct sysfs_iommu_unit *v = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0, cap = 0;
	struct dirent *de;

	fd = openat(s->root_fd, "class/iommu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	fd = dup(dirfd(dir)); /* for openat; the DIR keeps its own */
	if (fd < 0)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		if (de->d_name[0] == '.' || !plain_name(de->d_name) ||
		    strlen(de->d_name) >= SYSFS_IOMMU_NAME_LEN)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct sysfs_iommu_unit *nv;

			if (ncap > 4096)
				break; /* no machine has that many units: a strange tree */
			nv = realloc(v, ncap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			v = nv;
			cap = ncap;
		}
		v[n] = (struct sysfs_iommu_unit){ 0 };
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		read_unit(fd, &v[n]);
		n++;
	}
	if (errno != 0)
		return -errno;
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	qsort(v, n, sizeof(*v), unit_cmp);
	*ret_units = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int sysfs_host_module_present(struct sysfs *s, const char *name, bool *ret)
{
	char path[96];
	struct stat st;

	if (!plain_name(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "module/%s", name);
	if (fstatat(s->root_fd, path, &st, 0) < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret = false;
		return 0;
	}
	*ret = S_ISDIR(st.st_mode);
	return 0;
}

int sysfs_host_module_param(struct sysfs *s, const char *module, const char *param, char *buf,
			    size_t size)
{
	char path[160];
	ssize_t n;

	if (!plain_name(module) || !plain_name(param))
		return -EINVAL;
	snprintf(path, sizeof(path), "module/%s/parameters/%s", module, param);
	n = sysfs_read_small(s->root_fd, path, buf, size);
	return n < 0 ? (int)n : 0;
}

int sysfs_dev_node_mode(const char *dev_root, const char *name, unsigned *ret_mode)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!dev_root || !*dev_root || !name || name[0] == '/' || strstr(name, ".."))
		return -EINVAL;
	fd = open(dev_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret_mode = (unsigned)st.st_mode;
	return 0;
}
