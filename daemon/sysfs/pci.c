/*
 * pci.c - reading PCI functions from bus/pci/devices.
 *
 * The scan is the hot path of discovery (4096 functions in the `large` profile), and sysfs
 * costs one syscall per step, so each device is read with as few of them as the contract allows:
 * one O_PATH open of its directory, openat+read+close per text attribute, one readlinkat per
 * link, and optional attributes only where they can exist. See bench/README.md for the count.
 *
 * Text attributes are the source of truth. The `config` file would give the five ids in one
 * read, but it is read from the device itself (it resumes a runtime-suspended device, see
 * pci_config_pm_runtime_get() in drivers/pci/pci-sysfs.c), differs from the kernel's view
 * where quirks rewrite the class or a bridge keeps its subsystem ids in a capability, and a
 * simulated tree or a copy of a host need not hold it at all, or in step with the text files.
 * The directory listing (to skip failed opens of optional files) was measured and rejected:
 * open+getdents+close of a device directory costs more than the two or three failed lookups it
 * saves.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci-addr.h"
#include "sysfs-priv.h"

#define DEVICES_DIR "bus/pci/devices/"
#define DEVICE_PATH_LEN (sizeof(DEVICES_DIR) - 1 + PCI_ADDR_LEN + 1)
#define SCAN_MAX_THREADS 64

/* CONFIG_NODES_SHIFT is at most 10 (1024 nodes) on every architecture today. */
#define NUMA_NODE_MAX 4095
/* TotalVFs and NumVFs are 16-bit registers (PCIe Base Spec, SR-IOV Extended Capability). */
#define SRIOV_VFS_MAX 65535

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

struct reader {
	int root_fd;
	int dfd;
	int error;	 /* first resource error: the whole scan fails with it */
	bool maybe_gone; /* an attribute every function has is missing, or one read gave ENODEV */
};

static void reader_note(struct reader *rd, ssize_t r)
{
	if (r < 0 && sysfs_is_resource_error((int)r) && rd->error == 0)
		rd->error = (int)r;
	/* kernfs answers ENODEV on a file whose device was removed after the open */
	if (r == -ENODEV)
		rd->maybe_gone = true;
}

static ssize_t reader_attr(struct reader *rd, const char *name, char buf[static SYSFS_ATTR_MAX])
{
	ssize_t n = sysfs_read_small(rd->dfd, name, buf, SYSFS_ATTR_MAX);

	reader_note(rd, n);
	return n;
}

static ssize_t reader_link(struct reader *rd, int dfd, const char *name,
			   char buf[static SYSFS_LINK_MAX])
{
	ssize_t n = sysfs_read_link(dfd, name, buf, SYSFS_LINK_MAX);

	reader_note(rd, n);
	return n;
}

/*
 * "0x10de" (the kernel prints "0x%04x\n", drivers/pci/pci-sysfs.c); @out has digits + 3 bytes.
 * Every function has the five id files, so a missing one may mean the function went away.
 */
static void read_hex_id(struct reader *rd, const char *name, size_t digits, char *out)
{
	char buf[SYSFS_ATTR_MAX];
	ssize_t n = reader_attr(rd, name, buf);

	if (n >= 0 && sysfs_is_hex_id(buf, digits))
		memcpy(out, buf, digits + 3);
	else if (n == -ENOENT)
		rd->maybe_gone = true;
}

/* A decimal attribute; @out keeps its "unknown" value unless the content is in range. */
static ssize_t read_int(struct reader *rd, const char *name, long min, long max, int *out)
{
	char buf[SYSFS_ATTR_MAX];
	ssize_t n = reader_attr(rd, name, buf);

	if (n >= 0)
		(void)sysfs_parse_int(buf, min, max, out);
	return n;
}

static void read_driver_override(struct reader *rd, struct pd_device *d)
{
	char buf[SYSFS_ATTR_MAX];

	/* driver_override_show() prints "%s\n" of a NULL pointer when none is set: "(null)". */
	if (reader_attr(rd, "driver_override", buf) >= 0 && !streq(buf, "(null)") &&
	    sysfs_is_driver_name(buf))
		strcpy(d->driver_override, buf);
}

static bool is_reset_methods(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == ' '))
			return false;
	return true;
}

static void read_reset_methods(struct reader *rd, struct pd_device *d)
{
	char buf[SYSFS_ATTR_MAX];
	ssize_t n;

	/* reset_method (Linux >= 5.15) lists "flr bus ...", only on functions that can reset. */
	n = reader_attr(rd, "reset_method", buf);
	if (n >= 0 && (size_t)n < sizeof(d->reset_methods) && is_reset_methods(buf))
		strcpy(d->reset_methods, buf);
}

/* A link whose last component is a canonical address ("physfn" -> "../0000:65:00.0"). */
static ssize_t read_addr_link(struct reader *rd, const char *name, char *out)
{
	char buf[SYSFS_LINK_MAX];
	ssize_t n = reader_link(rd, rd->dfd, name, buf);
	const char *base;

	if (n < 0)
		return n;
	base = sysfs_basename(buf);
	if (pci_addr_is_valid(base))
		memcpy(out, base, PCI_ADDR_LEN + 1);
	return n;
}

static void read_driver(struct reader *rd, struct pd_device *d)
{
	char buf[SYSFS_LINK_MAX];
	const char *base;

	/* driver -> ../../../bus/pci/drivers/NAME; absent when unbound. */
	if (reader_link(rd, rd->dfd, "driver", buf) < 0)
		return;
	base = sysfs_basename(buf);
	if (sysfs_is_driver_name(base))
		strcpy(d->driver, base);
}

static void read_iommu_group(struct reader *rd, struct pd_device *d)
{
	char buf[SYSFS_LINK_MAX];

	/* iommu_group -> ../../../kernel/iommu_groups/N; absent without an active IOMMU. */
	if (reader_link(rd, rd->dfd, "iommu_group", buf) >= 0)
		(void)sysfs_parse_int(sysfs_basename(buf), 0, INT32_MAX, &d->iommu_group);
}

/*
 * bus/pci/devices/ADDR -> ../../../devices/pci0000:00/0000:00:1c.0/ADDR: the component before
 * our own name is the upstream bridge, or "pciDDDD:BB" for a function on a root bus.
 */
static void read_parent(struct reader *rd, const char *path, struct pd_device *d)
{
	char buf[SYSFS_LINK_MAX];
	char *last;
	const char *prev;

	if (reader_link(rd, rd->root_fd, path, buf) < 0)
		return;
	last = strrchr(buf, '/');
	if (!last || !streq(last + 1, d->address))
		return;
	*last = '\0';
	prev = sysfs_basename(buf);
	if (pci_addr_is_valid(prev))
		memcpy(d->parent, prev, PCI_ADDR_LEN + 1);
}

/* pci_is_vga() in include/linux/pci.h: boot_vga exists for these two classes only. */
static bool may_have_boot_vga(const struct pd_device *d)
{
	long c = pd_device_class(d);

	return c < 0 || (c >> 8) == 0x0300 || (c >> 8) == 0x0001;
}

static void device_path(const char addr[static PCI_ADDR_LEN + 1], char path[static DEVICE_PATH_LEN])
{
	memcpy(path, DEVICES_DIR, sizeof(DEVICES_DIR) - 1);
	memcpy(path + sizeof(DEVICES_DIR) - 1, addr, PCI_ADDR_LEN + 1);
}

int sysfs_pci_read_device_at(int root_fd, int dfd, const struct pci_addr *a, struct pd_device *d)
{
	char path[DEVICE_PATH_LEN];
	struct reader rd = { .root_fd = root_fd, .dfd = dfd };

	pd_device_init(d);
	pci_addr_format(a, d->address);
	device_path(d->address, path);

	read_hex_id(&rd, "vendor", 4, d->vendor_id);
	read_hex_id(&rd, "device", 4, d->device_id);
	read_hex_id(&rd, "subsystem_vendor", 4, d->subsystem_vendor_id);
	read_hex_id(&rd, "subsystem_device", 4, d->subsystem_device_id);
	read_hex_id(&rd, "class", 6, d->class_id);
	/* "-1" means no node: the range check leaves it unknown, which is the same thing. */
	read_int(&rd, "numa_node", 0, NUMA_NODE_MAX, &d->numa_node);
	read_driver_override(&rd, d);
	read_reset_methods(&rd, d);

	/* A VF never has the SR-IOV capability itself, so its sriov_* files need no open. */
	if (read_addr_link(&rd, "physfn", d->physfn) < 0 &&
	    read_int(&rd, "sriov_totalvfs", 0, SRIOV_VFS_MAX, &d->sriov_total_vfs) >= 0)
		read_int(&rd, "sriov_numvfs", 0, SRIOV_VFS_MAX, &d->sriov_num_vfs);
	if (may_have_boot_vga(d))
		read_int(&rd, "boot_vga", 0, 1, &d->boot_vga);

	read_driver(&rd, d);
	read_iommu_group(&rd, d);
	read_parent(&rd, path, d);

	if (rd.error < 0)
		return rd.error;

	if (rd.maybe_gone) {
		struct stat st;

		/* Removed while we read it (its attributes vanish with it), or just an odd tree? */
		if (fstatat(root_fd, path, &st, 0) < 0 && (errno == ENOENT || errno == ENOTDIR))
			return -ENOENT;
	}
	return 0;
}

/*
 * Read the function @a into @d (initialised here). Returns 0, -ENOENT when the function does not
 * exist (or is no directory, or went away while being read), or a resource error.
 */
static int read_device(int root_fd, const struct pci_addr *a, struct pd_device *d)
{
	char addr[PCI_ADDR_LEN + 1], path[DEVICE_PATH_LEN];
	_cleanup_close_ int dfd = -1;

	pci_addr_format(a, addr);
	device_path(addr, path);
	dfd = openat(root_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int r = -errno;

		/* Gone, dangling, not a directory, unreadable: not a function to list. */
		return sysfs_is_resource_error(r) ? r : -ENOENT;
	}
	return sysfs_pci_read_device_at(root_fd, dfd, a, d);
}

int sysfs_pci_read_device(struct sysfs *s, const char *addr, struct pd_device *ret)
{
	struct pd_device d;
	struct pci_addr a;
	int r;

	if (pci_addr_parse(addr, &a) < 0)
		return -EINVAL;
	r = read_device(s->root_fd, &a, &d);
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return pci_addr_compare(a, b);
}

/* The canonical addresses in bus/pci/devices, sorted. */
static int list_addresses(int root_fd, struct pci_addr **ret, size_t *ret_n)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_free_ struct pci_addr *addrs = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0, alloc = 0;
	struct dirent *de;

	fd = openat(root_fd, DEVICES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	TAKE_FD(fd);

	for (;;) {
		struct pci_addr a;

		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		if (pci_addr_parse(de->d_name, &a) < 0)
			continue;
		if (n == alloc) {
			size_t nalloc = alloc ? alloc * 2 : 256;
			struct pci_addr *p = reallocarray(addrs, nalloc, sizeof(*addrs));

			if (!p)
				return -ENOMEM;
			addrs = p;
			alloc = nalloc;
		}
		addrs[n++] = a;
	}
	if (errno != 0)
		return -errno;

	if (n > 1)
		qsort(addrs, n, sizeof(*addrs), addr_cmp);
	*ret = TAKE_PTR(addrs);
	*ret_n = n;
	return 0;
}

struct scan_chunk {
	const struct pci_addr *addrs;
	struct pd_device *devs;
	size_t begin, end;
	pthread_t thread;
	int root_fd;
	int r;
	bool started;
};

static void scan_chunk_run(struct scan_chunk *c)
{
	for (size_t i = c->begin; i < c->end; i++) {
		int r = read_device(c->root_fd, &c->addrs[i], &c->devs[i]);

		if (r == -ENOENT) {
			c->devs[i].address[0] = '\0'; /* left out below */
			continue;
		}
		if (r < 0) {
			c->r = r;
			return;
		}
	}
}

static void *scan_chunk_thread(void *userdata)
{
	scan_chunk_run(userdata);
	return NULL;
}

int sysfs_pci_scan(struct sysfs *s, unsigned nthreads, struct pd_device **ret_devs, size_t *ret_n)
{
	_cleanup_free_ struct pci_addr *addrs = NULL;
	_cleanup_free_ struct pd_device *devs = NULL;
	struct scan_chunk chunks[SCAN_MAX_THREADS] = {};
	size_t n = 0, k, out;
	int r;

	r = list_addresses(s->root_fd, &addrs, &n);
	if (r < 0)
		return r;

	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;

	k = nthreads ? nthreads : 1;
	if (k > SCAN_MAX_THREADS)
		k = SCAN_MAX_THREADS;
	if (k > n)
		k = n ? n : 1;

	for (size_t i = 0; i < k; i++)
		chunks[i] = (struct scan_chunk){
			.root_fd = s->root_fd,
			.addrs = addrs,
			.devs = devs,
			.begin = n * i / k,
			.end = n * (i + 1) / k,
		};

	/* Chunk 0 runs here; a thread that cannot be created has its chunk run here too. */
	for (size_t i = 1; i < k; i++)
		chunks[i].started =
			pthread_create(&chunks[i].thread, NULL, scan_chunk_thread, &chunks[i]) == 0;
	scan_chunk_run(&chunks[0]);
	for (size_t i = 1; i < k; i++) {
		if (chunks[i].started)
			(void)pthread_join(chunks[i].thread, NULL);
		else
			scan_chunk_run(&chunks[i]);
	}

	for (size_t i = 0; i < k; i++)
		if (chunks[i].r < 0)
			return chunks[i].r;

	out = 0;
	for (size_t i = 0; i < n; i++) {
		if (devs[i].address[0] == '\0')
			continue;
		if (out != i)
			devs[out] = devs[i];
		out++;
	}

	*ret_devs = TAKE_PTR(devs);
	*ret_n = out;
	return 0;
}
