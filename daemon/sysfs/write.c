/*
 * write.c - the writes that move a PCI function between drivers.
 *
 * Each is one write(2) of one line to one attribute, as the kernel expects
 * (drivers/pci/pci-sysfs.c driver_override_store, drivers/pci/pci-driver.c
 * unbind_store/probe_store through drivers/base/bus.c, Linux 6.1). The write's return code is
 * not the whole truth: with no IOMMU, a probe for vfio-pci "succeeds" and binds nothing, so
 * callers check the driver link afterwards (sysfs_pci_get_driver).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysfs-priv.h"

/* One write of @len bytes to @path under the root; a short write is -EIO. */
static int write_line(struct sysfs *s, const char *path, const char *line, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = openat(s->root_fd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = TFR(write(fd, line, len));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int sysfs_pci_set_override(struct sysfs *s, const char *addr, const char *driver)
{
	char path[64], line[PD_DRIVER_LEN + 2];
	int n;

	if (!pci_addr_is_valid(addr) || (driver && driver[0] && !sysfs_is_driver_name(driver)))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
	/* A lone newline clears the override (driver_override_store, Linux >= 5.0). */
	n = snprintf(line, sizeof(line), "%s\n", driver ? driver : "");
	return write_line(s, path, line, (size_t)n);
}

int sysfs_pci_unbind(struct sysfs *s, const char *addr, const char *driver)
{
	char path[PD_DRIVER_LEN + 32];

	if (!pci_addr_is_valid(addr) || !driver || !sysfs_is_driver_name(driver))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/drivers/%s/unbind", driver);
	return write_line(s, path, addr, strlen(addr));
}

int sysfs_pci_probe(struct sysfs *s, const char *addr)
{
	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	return write_line(s, "bus/pci/drivers_probe", addr, strlen(addr));
}

int sysfs_pci_get_driver(struct sysfs *s, const char *addr, char ret[PD_DRIVER_LEN])
{
	char path[64], target[SYSFS_LINK_MAX];
	const char *name;
	ssize_t n;

	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s", addr);
	if (faccessat(s->root_fd, path, F_OK, 0) < 0)
		return -errno; /* the device itself is gone */
	snprintf(path, sizeof(path), "bus/pci/devices/%s/driver", addr);
	n = sysfs_read_link(s->root_fd, path, target, sizeof(target));
	if (n == -ENOENT) {
		ret[0] = '\0';
		return 0;
	}
	if (n < 0)
		return (int)n;
	name = sysfs_basename(target);
	if (!sysfs_is_driver_name(name))
		return -EINVAL;
	snprintf(ret, PD_DRIVER_LEN, "%s", name);
	return 0;
}

int sysfs_pci_get_override(struct sysfs *s, const char *addr, char ret[PD_DRIVER_LEN])
{
	char path[64], buf[SYSFS_ATTR_MAX];
	ssize_t n;

	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
	n = sysfs_read_small(s->root_fd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* driver_override_show() prints "(null)" when none is set (drivers/pci/pci-sysfs.c). */
	if (streq(buf, "(null)") || buf[0] == '\0') {
		ret[0] = '\0';
		return 0;
	}
	if (!sysfs_is_driver_name(buf) || (size_t)n >= PD_DRIVER_LEN)
		return -EINVAL;
	memcpy(ret, buf, (size_t)n + 1);
	return 0;
}

int sysfs_pci_set_numvfs(struct sysfs *s, const char *addr, unsigned n)
{
	char path[64], line[16];
	int len;

	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/sriov_numvfs", addr);
	len = snprintf(line, sizeof(line), "%u\n", n);
	return write_line(s, path, line, (size_t)len);
}

int sysfs_pci_reset(struct sysfs *s, const char *addr)
{
	char path[64];

	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/reset", addr);
	return write_line(s, path, "1\n", 2);
}
