/*
 * vfio-check - a small VFIO client for the VM tier: does the real kernel let a user take this
 * IOMMU group? Runs in a tests/vm guest, on its real /dev/vfio and /sys.
 *
 *   vfio-check GROUP
 *
 * Opens the container (/dev/vfio/vfio), checks the API version and the type1v2 IOMMU, opens
 * /dev/vfio/GROUP, asks VFIO_GROUP_GET_STATUS whether the group is viable, sets the container
 * and the type1v2 IOMMU, then asks VFIO_GROUP_GET_DEVICE_FD for every device of the group
 * (/sys/kernel/iommu_groups/GROUP/devices) except PCI bridges, which stay on their own driver
 * and which VFIO does not hand out. Each fact is one line, "KEY VALUE...":
 *
 *   api_version 0
 *   type1v2 1
 *   group 14 viable 1 flags 0x1
 *   container set
 *   iommu type1v2
 *   device 0000:04:00.0 open regions 9 irqs 5 config 8086:10d3
 *   device 0000:05:00.0 bridge skipped
 *   result ok
 *
 * Exit status: 0 viable and every device opened; 3 not viable; 1 anything else failed (no
 * /dev/vfio/GROUP, a device that cannot be opened, ...); 2 usage.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#define EXIT_NOT_VIABLE 3

/* "error WHAT ARG: why", from errno. */
static int report(const char *what, const char *arg)
{
	printf("error %s %s: %s\n", what, arg, strerror(errno));
	return EXIT_FAILURE;
}

/* The same, and the whole check ends here. */
static int fail(const char *what, const char *arg)
{
	report(what, arg);
	printf("result failed\n");
	return EXIT_FAILURE;
}

/* The first line of /sys/bus/pci/devices/ADDR/NAME, "" when unreadable. */
static void read_attr(const char *addr, const char *name, char *buf, size_t size)
{
	char path[320];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", addr, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* One device: its fd from the group, its regions and IRQs, its ids through config space. */
static int open_device(int group, const char *addr)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t ids[2];
	int fd;

	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, addr);
	if (fd < 0)
		return report("VFIO_GROUP_GET_DEVICE_FD", addr);
	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) < 0 ||
	    ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &cfg) < 0 ||
	    pread(fd, ids, sizeof(ids), (off_t)cfg.offset) != (ssize_t)sizeof(ids)) {
		int r = report("device info or config read", addr);
		close(fd);
		return r;
	}
	printf("device %s open regions %u irqs %u config %04x:%04x\n", addr, info.num_regions,
	       info.num_irqs, ids[0], ids[1]);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[128], cls[32];
	struct dirent *de;
	int container, group, version, r = 0;
	DIR *dir;
	char *end;
	long gid;

	if (argc != 2 || (gid = strtol(argv[1], &end, 10), *end != '\0' || gid < 0)) {
		fprintf(stderr, "usage: vfio-check GROUP\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return fail("open", "/dev/vfio/vfio");
	version = ioctl(container, VFIO_GET_API_VERSION);
	printf("api_version %d\n", version);
	if (version != VFIO_API_VERSION) {
		printf("result failed\n");
		return EXIT_FAILURE;
	}
	printf("type1v2 %d\n", ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0);

	snprintf(path, sizeof(path), "/dev/vfio/%ld", gid);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		return fail("open", path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) < 0)
		return fail("VFIO_GROUP_GET_STATUS", path);
	printf("group %ld viable %d flags 0x%x\n", gid, !!(st.flags & VFIO_GROUP_FLAGS_VIABLE),
	       st.flags);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("result not_viable\n");
		return EXIT_NOT_VIABLE;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return fail("VFIO_GROUP_SET_CONTAINER", path);
	printf("container set\n");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return fail("VFIO_SET_IOMMU", "type1v2");
	printf("iommu type1v2\n");

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%ld/devices", gid);
	dir = opendir(path);
	if (!dir)
		return fail("opendir", path);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		read_attr(de->d_name, "class", cls, sizeof(cls));
		if (strncmp(cls, "0x0604", 6) == 0) {
			printf("device %s bridge skipped\n", de->d_name);
			continue;
		}
		if (open_device(group, de->d_name) != 0)
			r = EXIT_FAILURE;
	}
	closedir(dir);
	printf("result %s\n", r == 0 ? "ok" : "failed");
	close(group);
	close(container);
	return r;
}
