/*
 * sim-tree.c - write a simulated host as a tree with the real kernel's layout.
 *
 * Layout and file formats follow Linux 6.x: drivers/pci/pci-sysfs.c (attributes), iov.c (sriov_*,
 * virtfnN, physfn), drivers/iommu/iommu.c (iommu_groups), fs/kernfs/symlink.c (how a symlink's
 * relative target is spelled), net/ipv4/fib_trie.c (/proc/net/route), mm/swapfile.c (/proc/swaps)
 * and fs/proc_namespace.c (mountinfo).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-tree.h"

#define MODE_RO 0444
#define MODE_RW 0644
#define MODE_WO 0200 /* write-only attributes (bind, unbind, remove, rescan, reset...) */
#define MODE_DIR 0755

struct writer {
	const struct sim_host *h;
	int out_fd;
	int sys_fd;
	char failed[512]; /* what the first failure was about */
};

static int fail(struct writer *w, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct writer *w, int r, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed[0]) {
		va_start(ap, fmt);
		vsnprintf(w->failed, sizeof(w->failed), fmt, ap);
		va_end(ap);
	}
	return r;
}

/* ---- primitives ---------------------------------------------------------------------------- */

static int wfile(struct writer *w, int dfd, const char *name, mode_t mode, const void *data,
		 size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return fail(w, -errno, "create %s", name);
	if (len == 0)
		return 0;
	n = write(fd, data, len);
	if (n < 0)
		return fail(w, -errno, "write %s", name);
	if ((size_t)n != len)
		return fail(w, -EIO, "short write to %s", name);
	return 0;
}

static int wprintf(struct writer *w, int dfd, const char *name, mode_t mode, const char *fmt, ...)
	_printf_(5, 6);
static int wprintf(struct writer *w, int dfd, const char *name, mode_t mode, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return fail(w, -ENAMETOOLONG, "format %s", name);
	return wfile(w, dfd, name, mode, buf, (size_t)n);
}

static int wempty(struct writer *w, int dfd, const char *name, mode_t mode)
{
	return wfile(w, dfd, name, mode, NULL, 0);
}

static int pjoin(struct writer *w, char *buf, size_t size, const char *fmt, ...) _printf_(4, 5);
static int pjoin(struct writer *w, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return fail(w, -ENAMETOOLONG, "path too long: %s", buf);
	return 0;
}

/* mkdir -p @path below @dfd */
static int mkdirs(struct writer *w, int dfd, const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return fail(w, -ENAMETOOLONG, "mkdir %s", path);
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdirat(dfd, buf, MODE_DIR) < 0 && errno != EEXIST)
				return fail(w, -errno, "mkdir %s", buf);
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int opendir_at(struct writer *w, int dfd, const char *path, bool create)
{
	int fd;

	if (create) {
		int r = mkdirs(w, dfd, path);
		if (r < 0)
			return r;
	}
	fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(w, -errno, "open %s", path);
	return fd;
}

/*
 * Spell the target of a symlink in directory @link_dir pointing at @target (both relative to
 * sys/) the way kernfs does (kernfs_get_target_path()): go up from the link's directory to the
 * deepest directory that contains the target's parent, then down to the target. So physfn is
 * "../0000:03:00.0", driver is "../../../bus/pci/drivers/NAME", and a link to an ancestor goes
 * one level past it ("nvme0/device -> ../../../0000:02:00.0").
 */
int simtree_rel_target(const char *link_dir, const char *target, char *buf, size_t size)
{
	const char *slash = strrchr(target, '/');
	size_t tplen = slash ? (size_t)(slash - target) : 0; /* length of the target's parent */
	size_t common = 0, pos = 0, n;
	unsigned ups = 0;
	const char *s, *rest;

	/* length of the leading components shared by link_dir and the target's parent */
	for (size_t i = 0;; i++) {
		bool end_l = link_dir[i] == '\0' || link_dir[i] == '/';
		bool end_t = i == tplen || target[i] == '/';

		if (end_l && end_t) {
			common = i;
			if (link_dir[i] == '\0' || i == tplen)
				break;
			continue;
		}
		if (end_l || end_t || link_dir[i] != target[i])
			break;
	}
	s = link_dir + common;
	if (*s == '/')
		s++;
	if (*s)
		ups = 1;
	for (; *s; s++)
		ups += *s == '/';
	for (unsigned k = 0; k < ups; k++) {
		if (pos + 3 >= size)
			return -ENAMETOOLONG;
		memcpy(buf + pos, "../", 3);
		pos += 3;
	}
	rest = target + common;
	if (*rest == '/')
		rest++;
	n = strlen(rest);
	if (pos + n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf + pos, rest, n + 1);
	return 0;
}

/* Create the symlink @link_dir/@name -> @target (sys/-relative paths), spelled as sysfs does. */
static int wlink(struct writer *w, const char *link_dir, const char *name, const char *target)
{
	char rel[4096], at[4096];
	int r;

	r = simtree_rel_target(link_dir, target, rel, sizeof(rel));
	if (r < 0)
		return fail(w, r, "link %s/%s", link_dir, name);
	if ((size_t)snprintf(at, sizeof(at), "%s/%s", link_dir, name) >= sizeof(at))
		return fail(w, -ENAMETOOLONG, "link %s/%s", link_dir, name);
	if (symlinkat(rel, w->sys_fd, at) < 0)
		return fail(w, -errno, "symlink %s", at);
	return 0;
}

/* ---- CPUs and NUMA ------------------------------------------------------------------------- */

static void node_cpus(const struct sim_host *h, int node, unsigned *first, unsigned *last)
{
	if (node < 0) {
		*first = 0;
		*last = h->cpus - 1;
		return;
	}
	*first = (unsigned)node * h->cpus / h->nodes;
	*last = ((unsigned)node + 1) * h->cpus / h->nodes - 1;
}

/* "%*pbl" of a contiguous range */
static void cpulist(unsigned first, unsigned last, char *buf, size_t size)
{
	if (first == last)
		snprintf(buf, size, "%u", first);
	else
		snprintf(buf, size, "%u-%u", first, last);
}

/* "%*pb" (bitmap_print_to_pagebuf): 32-bit hex words, most significant first, comma-separated,
 * nr_cpu_ids bits wide. */
static void cpumask(unsigned nbits, unsigned first, unsigned last, char *buf, size_t size)
{
	unsigned words = (nbits + 31) / 32;
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned wi = words; wi-- > 0;) {
		uint32_t v = 0;
		unsigned digits = wi == words - 1 ? ((nbits - 1) % 32 + 1 + 3) / 4 : 8;

		for (unsigned b = 0; b < 32; b++) {
			unsigned cpu = wi * 32 + b;
			if (cpu >= first && cpu <= last)
				v |= 1u << b;
		}
		pos += (size_t)snprintf(buf + pos, size > pos ? size - pos : 0, "%s%0*x",
					wi == words - 1 ? "" : ",", (int)digits, v);
	}
}

/* ---- PCI functions ------------------------------------------------------------------------- */

static const char *iommu_unit(const struct sim_host *h, const struct sim_root *rt, char *buf,
			      size_t size)
{
	snprintf(buf, size, "%s%d", h->cpu_vendor == SIM_CPU_VENDOR_AMD ? "ivhd" : "dmar",
		 rt->index);
	return buf;
}

/* PCI Express Capabilities "Device/Port Type" (PCIe r6.0, 7.5.3.2) */
static unsigned pcie_type(const struct sim_dev *d)
{
	switch (d->port) {
	case SIM_PORT_ROOT:
		return 0x4;
	case SIM_PORT_UPSTREAM:
		return 0x5;
	case SIM_PORT_DOWNSTREAM:
		return 0x6;
	case SIM_PORT_PCI_BRIDGE:
		return 0x7;
	case SIM_PORT_NONE:
		break;
	}
	if (!d->parent && !d->physfn)
		return 0x9; /* root complex integrated endpoint */
	return 0x0;
}

/*
 * The config attribute is 4096 bytes for a PCI Express function (extended config space) and 256
 * for a conventional one: a host bridge, or what sits below a PCIe-to-PCI bridge
 * (pci_create_sysfs_dev_files(), cfg_size). Returns the size.
 */
size_t simtree_config(const struct sim_dev *d, uint8_t cfg[4096])
{
	bool vf = d->physfn != NULL;
	uint16_t vendor = vf ? 0xffff : d->vendor; /* SR-IOV r1.1 3.4.1.1: a VF reads 0xffff */
	uint16_t device = vf ? 0xffff : d->device;
	uint16_t cmd = d->driver ? 0x0406 : 0x0000;
	bool host_bridge = (d->class >> 8) == 0x0600;
	bool pcie = !host_bridge && !d->conventional;

	memset(cfg, 0, 4096);
	cfg[0x00] = (uint8_t)vendor;
	cfg[0x01] = (uint8_t)(vendor >> 8);
	cfg[0x02] = (uint8_t)device;
	cfg[0x03] = (uint8_t)(device >> 8);
	cfg[0x04] = (uint8_t)cmd;
	cfg[0x05] = (uint8_t)(cmd >> 8);
	cfg[0x06] = pcie ? 0x10 : 0x00; /* status: capabilities list */
	cfg[0x08] = d->revision;
	cfg[0x09] = (uint8_t)d->class;
	cfg[0x0a] = (uint8_t)(d->class >> 8);
	cfg[0x0b] = (uint8_t)(d->class >> 16);
	cfg[0x0c] = 0x10; /* cache line size, dwords */
	cfg[0x0e] = (uint8_t)((d->bridge ? 0x01 : 0x00) | (d->multifunction ? 0x80 : 0x00));
	if (d->bridge) {
		cfg[0x18] = d->addr.bus;
		cfg[0x19] = (uint8_t)d->secondary;
		cfg[0x1a] = (uint8_t)d->subordinate;
	} else {
		cfg[0x2c] = (uint8_t)d->sub_vendor;
		cfg[0x2d] = (uint8_t)(d->sub_vendor >> 8);
		cfg[0x2e] = (uint8_t)d->sub_device;
		cfg[0x2f] = (uint8_t)(d->sub_device >> 8);
	}
	if (!vf) {
		cfg[0x3c] = (uint8_t)d->irq;
		cfg[0x3d] = 0x01; /* INTA# */
	}
	if (pcie) {
		unsigned type = pcie_type(d);
		bool flr = d->reset && strstr(d->reset, "flr") != NULL;

		cfg[0x34] = 0x40;
		cfg[0x40] = 0x10; /* PCI Express capability, last in the list */
		cfg[0x42] = (uint8_t)(0x2 | type << 4);
		cfg[0x47] = flr ? 0x10 : 0x00; /* Device Capabilities bit 28: FLR */
	}
	return pcie ? 4096 : 256;
}

static int write_pci_bus(struct writer *w, const char *parent_path, uint16_t domain, unsigned bus,
			 int numa)
{
	char path[4096], cls[64], target[4096], list[32], mask[1200];
	_cleanup_close_ int fd = -1;
	unsigned first, last;
	int r;

	snprintf(path, sizeof(path), "%s/pci_bus/%04x:%02x", parent_path, domain, bus);
	fd = opendir_at(w, w->sys_fd, path, true);
	if (fd < 0)
		return fd;
	node_cpus(w->h, numa, &first, &last);
	cpulist(first, last, list, sizeof(list));
	cpumask(w->h->cpus, first, last, mask, sizeof(mask));
	r = wprintf(w, fd, "cpuaffinity", MODE_RO, "%s\n", mask);
	if (r >= 0)
		r = wprintf(w, fd, "cpulistaffinity", MODE_RO, "%s\n", list);
	if (r >= 0)
		r = wempty(w, fd, "rescan", MODE_WO);
	if (r >= 0)
		r = wempty(w, fd, "uevent", MODE_RW);
	if (r >= 0)
		r = wlink(w, path, "subsystem", "class/pci_bus");
	if (r >= 0)
		r = wlink(w, path, "device", parent_path);
	if (r < 0)
		return r;
	snprintf(cls, sizeof(cls), "class/pci_bus/%04x:%02x", domain, bus);
	snprintf(target, sizeof(target), "%s", path);
	return wlink(w, "class/pci_bus", cls + strlen("class/pci_bus/"), target);
}

/*
 * With native NVMe multipath (CONFIG_NVME_MULTIPATH=y and nvme_core.multipath=Y, the default of
 * most distributions) the block device nvmeXn1 hangs off a virtual subsystem device, not off the
 * PCI function: devices/virtual/nvme-subsystem/nvme-subsysX/nvmeXn1, and the subsystem links to
 * its controllers (nvme-subsysX/nvmeX -> the controller under the PCI function). Below the
 * controller there is only the hidden path disk nvmeXcXn1, which has no dev file. Puts the
 * directory the namespace goes into in @base.
 */
static int write_nvme_subsystem(struct writer *w, const struct sim_dev *d, const char *ctrl,
				char *base, size_t size)
{
	const char *n = d->nvme + 4;
	char path[4096], name[64];
	_cleanup_close_ int fd = -1, hfd = -1;
	int r;

	snprintf(name, sizeof(name), "nvme-subsys%s", n);
	if (pjoin(w, base, size, "devices/virtual/nvme-subsystem/%s", name) < 0)
		return -ENAMETOOLONG;
	fd = opendir_at(w, w->sys_fd, base, true);
	if (fd < 0)
		return fd;
	r = wprintf(w, fd, "subsysnqn", MODE_RO, "nqn.2014.08.org.nvmexpress:144d144dSIM%s\n", n);
	if (r >= 0)
		r = wprintf(w, fd, "model", MODE_RO, "%-40s\n", "Simulated NVMe SSD 1TB");
	if (r >= 0)
		r = wprintf(w, fd, "iopolicy", MODE_RW, "numa\n");
	if (r >= 0)
		r = wempty(w, fd, "uevent", MODE_RW);
	if (r >= 0)
		r = wlink(w, base, "subsystem", "class/nvme-subsystem");
	if (r >= 0)
		r = wlink(w, "class/nvme-subsystem", name, base);
	if (r >= 0)
		r = wlink(w, base, d->nvme, ctrl);
	if (r < 0)
		return r;

	if (pjoin(w, path, sizeof(path), "%s/%sc%sn1", ctrl, d->nvme, n) < 0)
		return -ENAMETOOLONG;
	hfd = opendir_at(w, w->sys_fd, path, true);
	if (hfd < 0)
		return hfd;
	r = wprintf(w, hfd, "hidden", MODE_RO, "1\n");
	if (r >= 0)
		r = wprintf(w, hfd, "size", MODE_RO, "%d\n", 1953525168);
	if (r >= 0)
		r = wprintf(w, hfd, "ro", MODE_RO, "0\n");
	if (r >= 0)
		r = wprintf(w, hfd, "uevent", MODE_RW, "DEVTYPE=disk\n");
	if (r >= 0)
		r = wlink(w, path, "device", ctrl);
	if (r >= 0)
		r = wlink(w, path, "subsystem", "class/block");
	return r;
}

static int write_nvme(struct writer *w, const struct sim_dev *d)
{
	const struct sim_host *h = w->h;
	char ctrl[4096], base[4096], disk[4096], part[4096], name[64];
	_cleanup_close_ int cfd = -1;
	int r;

	snprintf(ctrl, sizeof(ctrl), "%s/nvme/%s", d->path, d->nvme);
	snprintf(base, sizeof(base), "%s", ctrl);
	cfd = opendir_at(w, w->sys_fd, ctrl, true);
	if (cfd < 0)
		return cfd;
	r = wprintf(w, cfd, "dev", MODE_RO, "240:%s\n", d->nvme + 4);
	if (r >= 0)
		r = wprintf(w, cfd, "address", MODE_RO, "%s\n", d->name);
	if (r >= 0)
		r = wprintf(w, cfd, "model", MODE_RO, "%-40s\n", "Simulated NVMe SSD 1TB");
	if (r >= 0)
		r = wprintf(w, cfd, "serial", MODE_RO, "%-20s\n", "SIM00000000000000001");
	if (r >= 0)
		r = wprintf(w, cfd, "state", MODE_RO, "live\n");
	if (r >= 0)
		r = wprintf(w, cfd, "transport", MODE_RO, "pcie\n");
	if (r >= 0)
		r = wprintf(w, cfd, "uevent", MODE_RW, "MAJOR=240\nMINOR=%s\nDEVNAME=%s\n",
			    d->nvme + 4, d->nvme);
	if (r >= 0)
		r = wlink(w, ctrl, "device", d->path);
	if (r >= 0)
		r = wlink(w, ctrl, "subsystem", "class/nvme");
	if (r >= 0)
		r = wlink(w, "class/nvme", d->nvme, ctrl);
	if (r >= 0 && h->nvme_multipath)
		r = write_nvme_subsystem(w, d, ctrl, base, sizeof(base));
	if (r < 0)
		return r;

	disk[0] = '\0';
	for (size_t i = 0; i < h->n_blockdevs; i++) {
		const struct sim_blockdev *b = &h->blockdevs[i];
		_cleanup_close_ int fd = -1;
		const char *dir;

		if (b->dev != d)
			continue;
		if (b->partition == 0) {
			if (pjoin(w, disk, sizeof(disk), "%s/%s", base, b->name) < 0)
				return -ENAMETOOLONG;
			dir = disk;
		} else {
			if (pjoin(w, part, sizeof(part), "%s/%s", disk, b->name) < 0)
				return -ENAMETOOLONG;
			dir = part;
		}
		fd = opendir_at(w, w->sys_fd, dir, true);
		if (fd < 0)
			return fd;
		r = wprintf(w, fd, "dev", MODE_RO, "%u:%u\n", b->major, b->minor);
		if (r >= 0)
			r = wprintf(w, fd, "size", MODE_RO, "%llu\n",
				    (unsigned long long)b->sectors);
		if (r >= 0)
			r = wprintf(w, fd, "ro", MODE_RO, "0\n");
		if (r >= 0 && b->partition == 0)
			r = wprintf(w, fd, "removable", MODE_RO, "0\n");
		if (r >= 0 && b->partition == 0)
			r = wlink(w, dir, "device", base);
		if (r >= 0 && b->partition > 0)
			r = wprintf(w, fd, "partition", MODE_RO, "%u\n", b->partition);
		if (r >= 0 && b->partition > 0)
			r = wprintf(w, fd, "start", MODE_RO, "%llu\n",
				    2048ull + (unsigned long long)(b->partition - 1) * b->sectors);
		if (r >= 0)
			r = wprintf(w, fd, "uevent", MODE_RW,
				    "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", b->major,
				    b->minor, b->name, b->partition ? "partition" : "disk");
		if (r >= 0)
			r = wlink(w, dir, "subsystem", "class/block");
		if (r >= 0)
			r = wlink(w, "class/block", b->name, dir);
		if (r >= 0 && b->partition == 0)
			r = wlink(w, "block", b->name, dir);
		snprintf(name, sizeof(name), "%u:%u", b->major, b->minor);
		if (r >= 0)
			r = wlink(w, "dev/block", name, dir);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_sata(struct writer *w, const struct sim_dev *d, unsigned ata, unsigned host)
{
	const struct sim_host *h = w->h;
	char lun[4096], disk[4096], part[4096], name[64];
	_cleanup_close_ int lfd = -1;
	int r;

	snprintf(lun, sizeof(lun), "%s/ata%u/host%u/target%u:0:0/%u:0:0:0", d->path, ata, host,
		 host, host);
	lfd = opendir_at(w, w->sys_fd, lun, true);
	if (lfd < 0)
		return lfd;
	r = wprintf(w, lfd, "vendor", MODE_RO, "ATA     \n");
	if (r >= 0)
		r = wprintf(w, lfd, "model", MODE_RO, "Simulated HDD 2T\n");
	if (r >= 0)
		r = wprintf(w, lfd, "type", MODE_RO, "0\n");
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->n_blockdevs; i++) {
		const struct sim_blockdev *b = &h->blockdevs[i];
		_cleanup_close_ int fd = -1;
		const char *dir;

		if (b->dev != d)
			continue;
		if (b->partition == 0) {
			if (pjoin(w, disk, sizeof(disk), "%s/block/%s", lun, b->name) < 0)
				return -ENAMETOOLONG;
			dir = disk;
		} else {
			if (pjoin(w, part, sizeof(part), "%s/%s", disk, b->name) < 0)
				return -ENAMETOOLONG;
			dir = part;
		}
		fd = opendir_at(w, w->sys_fd, dir, true);
		if (fd < 0)
			return fd;
		r = wprintf(w, fd, "dev", MODE_RO, "%u:%u\n", b->major, b->minor);
		if (r >= 0)
			r = wprintf(w, fd, "size", MODE_RO, "%llu\n",
				    (unsigned long long)b->sectors);
		if (r >= 0)
			r = wprintf(w, fd, "ro", MODE_RO, "0\n");
		if (r >= 0 && b->partition == 0)
			r = wprintf(w, fd, "removable", MODE_RO, "0\n");
		if (r >= 0 && b->partition == 0)
			r = wlink(w, dir, "device", lun);
		if (r >= 0 && b->partition > 0)
			r = wprintf(w, fd, "partition", MODE_RO, "%u\n", b->partition);
		if (r >= 0 && b->partition > 0)
			r = wprintf(w, fd, "start", MODE_RO, "%llu\n",
				    2048ull + (unsigned long long)(b->partition - 1) * b->sectors);
		if (r >= 0)
			r = wprintf(w, fd, "uevent", MODE_RW,
				    "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", b->major,
				    b->minor, b->name, b->partition ? "partition" : "disk");
		if (r >= 0)
			r = wlink(w, dir, "subsystem", "class/block");
		if (r >= 0)
			r = wlink(w, "class/block", b->name, dir);
		if (r >= 0 && b->partition == 0)
			r = wlink(w, "block", b->name, dir);
		snprintf(name, sizeof(name), "%u:%u", b->major, b->minor);
		if (r >= 0)
			r = wlink(w, "dev/block", name, dir);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_netdev(struct writer *w, const char *dev_path, const char *ifname, int ifindex,
			const char *mac, bool up)
{
	char dir[4096];
	_cleanup_close_ int fd = -1;
	bool lo = streq(ifname, "lo");
	int r;

	snprintf(dir, sizeof(dir), "%s/net/%s", dev_path, ifname);
	fd = opendir_at(w, w->sys_fd, dir, true);
	if (fd < 0)
		return fd;
	r = wprintf(w, fd, "ifindex", MODE_RO, "%d\n", ifindex);
	if (r >= 0)
		r = wprintf(w, fd, "address", MODE_RO, "%s\n", mac);
	if (r >= 0)
		r = wprintf(w, fd, "addr_len", MODE_RO, "6\n");
	if (r >= 0)
		r = wprintf(w, fd, "type", MODE_RO, "%d\n", lo ? 772 : 1);
	if (r >= 0)
		r = wprintf(w, fd, "mtu", MODE_RW, "%d\n", lo ? 65536 : 1500);
	if (r >= 0)
		r = wprintf(w, fd, "operstate", MODE_RO, "%s\n",
			    lo ? "unknown" :
			    up ? "up" :
				 "down");
	if (r >= 0 && (lo || up))
		r = wprintf(w, fd, "carrier", MODE_RW, "1\n");
	if (r >= 0)
		r = wprintf(w, fd, "uevent", MODE_RW, "INTERFACE=%s\nIFINDEX=%d\n", ifname,
			    ifindex);
	if (r >= 0 && !lo)
		r = wlink(w, dir, "device", dev_path);
	if (r >= 0)
		r = wlink(w, dir, "subsystem", "class/net");
	if (r >= 0)
		r = wlink(w, "class/net", ifname, dir);
	return r;
}

static const char *module_of(const char *driver, char *buf, size_t size)
{
	static const struct {
		const char *driver, *module;
	} table[] = {
		{ "pcieport", NULL }, /* built in: no module link */
		{ "xhci_hcd", "xhci_pci" },	{ "ehci-pci", "ehci_pci" },
		{ "i801_smbus", "i2c_i801" },	{ "intel-spi", "spi_intel_pci" },
		{ "piix4_smbus", "i2c_piix4" },
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (streq(table[i].driver, driver))
			return table[i].module;
	snprintf(buf, size, "%s", driver);
	for (char *s = buf; *s; s++)
		if (*s == '-')
			*s = '_';
	return buf;
}

/*
 * pcieport's service devices, children of the port named "ADDR:pcieNNN" after the service bit
 * (portdrv.h: PME 0x01, AER 0x02, hotplug 0x04, DPC 0x08, bandwidth notification 0x10). They
 * look like PCI functions to a careless directory walk.
 */
static int write_port_services(struct writer *w, const struct sim_dev *d)
{
	static const unsigned root_port[] = { 0x001, 0x002, 0x010 },
			      downstream[] = { 0x004, 0x010 };
	const unsigned *svc = d->port == SIM_PORT_ROOT ? root_port : downstream;
	size_t n = d->port == SIM_PORT_ROOT ? ELEMENTSOF(root_port) : ELEMENTSOF(downstream);
	int r;

	if (!d->driver || !streq(d->driver, "pcieport") ||
	    (d->port != SIM_PORT_ROOT && d->port != SIM_PORT_DOWNSTREAM))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char name[32], dir[4096];
		_cleanup_close_ int fd = -1;

		snprintf(name, sizeof(name), "%s:pcie%03x", d->name, svc[i]);
		if (pjoin(w, dir, sizeof(dir), "%s/%s", d->path, name) < 0)
			return -ENAMETOOLONG;
		fd = opendir_at(w, w->sys_fd, dir, true);
		if (fd < 0)
			return fd;
		r = wempty(w, fd, "uevent", MODE_RW);
		if (r >= 0)
			r = wlink(w, dir, "subsystem", "bus/pci_express");
		if (r >= 0)
			r = wlink(w, "bus/pci_express/devices", name, dir);
		if (r < 0)
			return r;
	}
	return 0;
}

/* pci_uevent() after the driver core's DRIVER= */
static bool enabled_by_driver(const struct sim_dev *d)
{
	return d->driver && !streq(d->driver, "vfio-pci");
}

unsigned simtree_enable(const struct sim_host *h, const struct sim_dev *d)
{
	if (enabled_by_driver(d))
		return 1;
	if (!d->bridge)
		return 0;
	for (size_t i = 0; i < h->n_devs; i++)
		if (enabled_by_driver(h->devs[i]))
			for (const struct sim_dev *x = h->devs[i]->parent; x; x = x->parent)
				if (x == d)
					return 1;
	return 0;
}

int simtree_uevent(const struct sim_dev *d, char *buf, size_t size)
{
	int n = 0, m;

	if (d->driver)
		n = snprintf(buf, size, "DRIVER=%s\n", d->driver);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	m = snprintf(
		buf + n, size - (size_t)n,
		"PCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
		"MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
		d->class, d->vendor, d->device, d->sub_vendor, d->sub_device, d->name, d->vendor,
		d->device, d->sub_vendor, d->sub_device, d->class >> 16, (d->class >> 8) & 0xff,
		d->class & 0xff);
	if (m < 0 || (size_t)m >= size - (size_t)n)
		return -ENAMETOOLONG;
	return n + m;
}

/* Fill the directory of @d, which exists already (see write_devs()). */
static int write_dev(struct writer *w, const struct sim_dev *d)
{
	const struct sim_host *h = w->h;
	_cleanup_close_ int fd = -1;
	char buf[4096], list[32];
	uint8_t cfg[4096];
	size_t cfg_size;
	unsigned first, last;
	int n, r;

	fd = opendir_at(w, w->sys_fd, d->path, false);
	if (fd < 0)
		return fd;

	node_cpus(h, d->numa, &first, &last);
	cpulist(first, last, list, sizeof(list));

	/* pci-sysfs.c: "0x%04x\n", "0x%06x\n", "0x%02x\n", "%d\n", "%u\n" */
	r = wprintf(w, fd, "vendor", MODE_RO, "0x%04x\n", d->vendor);
	if (r >= 0)
		r = wprintf(w, fd, "device", MODE_RO, "0x%04x\n", d->device);
	if (r >= 0)
		r = wprintf(w, fd, "subsystem_vendor", MODE_RO, "0x%04x\n", d->sub_vendor);
	if (r >= 0)
		r = wprintf(w, fd, "subsystem_device", MODE_RO, "0x%04x\n", d->sub_device);
	if (r >= 0)
		r = wprintf(w, fd, "class", MODE_RO, "0x%06x\n", d->class);
	if (r >= 0)
		r = wprintf(w, fd, "revision", MODE_RO, "0x%02x\n", d->revision);
	if (r >= 0)
		r = wprintf(w, fd, "numa_node", MODE_RW, "%d\n", d->numa);
	if (r >= 0)
		r = wprintf(w, fd, "irq", MODE_RO, "%u\n", d->irq);
	if (r >= 0)
		r = wprintf(w, fd, "enable", MODE_RW, "%u\n", simtree_enable(w->h, d));
	if (r >= 0)
		r = wprintf(w, fd, "local_cpulist", MODE_RO, "%s\n", list);
	if (r >= 0)
		r = wprintf(w, fd, "driver_override", MODE_RW, "%s\n",
			    d->override ? d->override : "(null)");
	if (r >= 0)
		r = wprintf(w, fd, "modalias", MODE_RO,
			    "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor, d->device,
			    d->sub_vendor, d->sub_device, d->class >> 16, (d->class >> 8) & 0xff,
			    d->class & 0xff);
	if (r < 0)
		return r;

	n = simtree_uevent(d, buf, sizeof(buf));
	if (n < 0)
		return fail(w, n, "uevent of %s", d->name);
	r = wfile(w, fd, "uevent", MODE_RW, buf, (size_t)n);
	if (r >= 0) {
		cfg_size = simtree_config(d, cfg);
		r = wfile(w, fd, "config", MODE_RW, cfg, cfg_size);
	}
	/* remove is 0220 (DEVICE_ATTR_IGNORE_LOCKDEP(remove, 0220, ...)); VFs have neither remove
	 * nor rescan (pci_dev_hp_attrs_are_visible()) */
	if (r >= 0 && !d->physfn)
		r = wempty(w, fd, "remove", 0220);
	if (r >= 0 && !d->physfn)
		r = wempty(w, fd, "rescan", MODE_WO);
	/* reset and reset_method are hidden when no method is available (pci_reset_supported()) */
	if (r >= 0 && d->reset)
		r = wempty(w, fd, "reset", MODE_WO);
	if (r >= 0 && d->reset)
		r = wprintf(w, fd, "reset_method", MODE_RW, "%s\n", d->reset);
	if (r >= 0 && d->boot_vga >= 0)
		r = wprintf(w, fd, "boot_vga", MODE_RO, "%d\n", d->boot_vga);
	if (r >= 0 && d->bridge)
		r = wprintf(w, fd, "secondary_bus_number", MODE_RO, "%d\n", d->secondary);
	if (r >= 0 && d->bridge)
		r = wprintf(w, fd, "subordinate_bus_number", MODE_RO, "%d\n", d->subordinate);
	if (r >= 0 && d->is_pf) {
		r = wprintf(w, fd, "sriov_totalvfs", MODE_RO, "%u\n", d->total_vfs);
		if (r >= 0)
			r = wprintf(w, fd, "sriov_numvfs", MODE_RW, "%u\n", d->num_vfs);
		if (r >= 0)
			r = wprintf(w, fd, "sriov_offset", MODE_RO, "%u\n", d->vf_offset);
		if (r >= 0)
			r = wprintf(w, fd, "sriov_stride", MODE_RO, "%u\n", d->vf_stride);
		if (r >= 0)
			r = wprintf(w, fd, "sriov_vf_device", MODE_RO, "%x\n", d->vf_device);
		if (r >= 0)
			r = wprintf(w, fd, "sriov_drivers_autoprobe", MODE_RW, "%u\n",
				    d->autoprobe ? 1u : 0u);
	}
	if (r < 0)
		return r;

	/* links */
	r = wlink(w, d->path, "subsystem", "bus/pci");
	if (r >= 0 && d->driver) {
		snprintf(buf, sizeof(buf), "bus/pci/drivers/%s", d->driver);
		r = wlink(w, d->path, "driver", buf);
		if (r >= 0)
			r = wlink(w, buf, d->name, d->path);
	}
	if (r >= 0 && d->group >= 0) {
		snprintf(buf, sizeof(buf), "kernel/iommu_groups/%d", d->group);
		r = wlink(w, d->path, "iommu_group", buf);
		if (r >= 0) {
			snprintf(buf, sizeof(buf), "kernel/iommu_groups/%d/devices", d->group);
			r = wlink(w, buf, d->name, d->path);
		}
	}
	if (r >= 0 && h->iommu) {
		char unit[32];

		snprintf(buf, sizeof(buf), "devices/virtual/iommu/%s",
			 iommu_unit(h, d->root, unit, sizeof(unit)));
		r = wlink(w, d->path, "iommu", buf);
		if (r >= 0) {
			snprintf(buf, sizeof(buf), "devices/virtual/iommu/%s/devices", unit);
			r = wlink(w, buf, d->name, d->path);
		}
	}
	if (r >= 0)
		r = wlink(w, "bus/pci/devices", d->name, d->path);
	if (r >= 0 && d->physfn)
		r = wlink(w, d->path, "physfn", d->physfn->path);
	if (r >= 0 && d->physfn) {
		snprintf(buf, sizeof(buf), "virtfn%u", d->vf_index);
		r = wlink(w, d->physfn->path, buf, d->path);
	}
	if (r >= 0 && d->bridge)
		r = write_pci_bus(w, d->path, d->addr.domain, (unsigned)d->secondary, d->numa);
	if (r >= 0 && d->bridge)
		r = write_port_services(w, d);
	return r;
}

/* ---- the rest of sys/ ---------------------------------------------------------------------- */

static int write_skeleton(struct writer *w)
{
	static const char *const dirs[] = {
		"bus/pci/devices",
		"bus/pci/drivers",
		"bus/pci_express/devices",
		"bus/pci_express/drivers",
		"kernel/iommu_groups",
		"class/net",
		"class/block",
		"class/nvme",
		"class/nvme-subsystem",
		"class/iommu",
		"class/pci_bus",
		"block",
		"dev/block",
		"dev/char",
		"module",
		"devices/system/cpu",
		"devices/system/node",
		"devices/virtual/iommu",
		"devices/virtual/net",
		"firmware/acpi/tables",
	};
	_cleanup_close_ int bfd = -1;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		r = mkdirs(w, w->sys_fd, dirs[i]);
		if (r < 0)
			return r;
	}
	bfd = opendir_at(w, w->sys_fd, "bus/pci", false);
	if (bfd < 0)
		return bfd;
	r = wempty(w, bfd, "drivers_probe", MODE_WO);
	if (r >= 0)
		r = wempty(w, bfd, "rescan", MODE_WO);
	if (r >= 0)
		r = wempty(w, bfd, "uevent", MODE_WO);
	if (r >= 0)
		r = wprintf(w, bfd, "drivers_autoprobe", MODE_RW, "1\n");
	return r;
}

static int write_system(struct writer *w)
{
	const struct sim_host *h = w->h;
	_cleanup_close_ int cfd = -1, nfd = -1;
	char list[32], path[64], mask[1200];
	unsigned first, last;
	int r;

	cfd = opendir_at(w, w->sys_fd, "devices/system/cpu", false);
	if (cfd < 0)
		return cfd;
	cpulist(0, h->cpus - 1, list, sizeof(list));
	r = wprintf(w, cfd, "online", MODE_RO, "%s\n", list);
	if (r >= 0)
		r = wprintf(w, cfd, "possible", MODE_RO, "%s\n", list);
	if (r >= 0)
		r = wprintf(w, cfd, "present", MODE_RO, "%s\n", list);
	if (r < 0)
		return r;

	nfd = opendir_at(w, w->sys_fd, "devices/system/node", false);
	if (nfd < 0)
		return nfd;
	cpulist(0, h->nodes - 1, list, sizeof(list));
	r = wprintf(w, nfd, "online", MODE_RO, "%s\n", list);
	if (r >= 0)
		r = wprintf(w, nfd, "possible", MODE_RO, "%s\n", list);
	if (r < 0)
		return r;
	for (unsigned n = 0; n < h->nodes; n++) {
		_cleanup_close_ int fd = -1;

		snprintf(path, sizeof(path), "node%u", n);
		fd = opendir_at(w, nfd, path, true);
		if (fd < 0)
			return fd;
		node_cpus(h, (int)n, &first, &last);
		cpulist(first, last, list, sizeof(list));
		cpumask(h->cpus, first, last, mask, sizeof(mask));
		r = wprintf(w, fd, "cpulist", MODE_RO, "%s\n", list);
		if (r >= 0)
			r = wprintf(w, fd, "cpumap", MODE_RO, "%s\n", mask);
		if (r < 0)
			return r;
	}

	/* loopback, as in every network namespace */
	return write_netdev(w, "devices/virtual", "lo", 1, "00:00:00:00:00:00", true);
}

/*
 * The unit's registers as its driver shows them: intel-iommu/{version,address,cap,ecap} ("%llx",
 * drivers/iommu/intel/iommu.c), amd-iommu/{cap,features} (drivers/iommu/amd/init.c). A Skylake
 * server's VT-d unit reads ecap f050da; without interrupt remapping its IR bit (3) is clear.
 */
static int write_iommu_regs(struct writer *w, int ifd, const struct sim_root *rt)
{
	const struct sim_host *h = w->h;
	_cleanup_close_ int fd = -1;
	int r;

	if (h->cpu_vendor == SIM_CPU_VENDOR_AMD) {
		fd = opendir_at(w, ifd, "amd-iommu", true);
		if (fd < 0)
			return fd;
		r = wprintf(w, fd, "cap", MODE_RO, "190b0f\n");
		if (r >= 0)
			r = wprintf(w, fd, "features", MODE_RO, "25bf732fa2295afe:0\n");
		return r;
	}
	fd = opendir_at(w, ifd, "intel-iommu", true);
	if (fd < 0)
		return fd;
	r = wprintf(w, fd, "version", MODE_RO, "1:0\n");
	if (r >= 0)
		r = wprintf(w, fd, "address", MODE_RO, "%x\n", 0xfbffc000u - 0x1000u * (unsigned)rt->index);
	if (r >= 0)
		r = wprintf(w, fd, "cap", MODE_RO, "8d2078c106f0466\n");
	if (r >= 0)
		r = wprintf(w, fd, "ecap", MODE_RO, "%x\n", h->intremap ? 0xf050dau : 0xf050d2u);
	return r;
}

/*
 * firmware/acpi/tables (drivers/acpi/sysfs.c): one root-only file per table. DMAR (Intel) or
 * IVRS (AMD) is there when the firmware setup has VT-d / AMD-Vi enabled.
 */
static int write_firmware(struct writer *w)
{
	const struct sim_host *h = w->h;
	static const char *const always[] = { "APIC", "DSDT", "FACP", "FACS", "HPET", "MCFG" };
	_cleanup_close_ int fd = opendir_at(w, w->sys_fd, "firmware/acpi/tables", false);
	int r = 0;

	if (fd < 0)
		return fd;
	for (size_t i = 0; i < ELEMENTSOF(always) && r >= 0; i++)
		r = wfile(w, fd, always[i], 0400, always[i], 4);
	if (r >= 0 && h->firmware_table) {
		const char *t = h->cpu_vendor == SIM_CPU_VENDOR_AMD ? "IVRS" : "DMAR";
		r = wfile(w, fd, t, 0400, t, 4);
	}
	return r;
}

/*
 * vfio's modules (host vfio=): module/NAME/parameters as kernel/params.c makes them, for loaded
 * and built-in modules alike; initstate and refcnt only for loaded ones.
 */
static int write_vfio_modules(struct writer *w)
{
	static const struct {
		const char *module, *params[6];
	} mods[] = {
		{ "vfio", { "enable_unsafe_noiommu_mode" } },
		{ "vfio_iommu_type1", { "allow_unsafe_interrupts", "disable_hugepages" } },
		{ "vfio_pci", { "disable_idle_d3", "disable_vga", "enable_sriov", "nointxmask" } },
		{ "vfio_pci_core", { "disable_idle_d3", "disable_vga", "nointxmask" } },
	};
	const struct sim_host *h = w->h;
	int r;

	if (h->vfio != SIM_VFIO_LOADED && h->vfio != SIM_VFIO_BUILTIN)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(mods); i++) {
		_cleanup_close_ int mfd = -1, pfd = -1;
		char path[64];

		snprintf(path, sizeof(path), "module/%s", mods[i].module);
		mfd = opendir_at(w, w->sys_fd, path, true);
		if (mfd < 0)
			return mfd;
		pfd = opendir_at(w, mfd, "parameters", true);
		if (pfd < 0)
			return pfd;
		for (size_t k = 0; k < ELEMENTSOF(mods[i].params) && mods[i].params[k]; k++) {
			bool y = h->unsafe_interrupts &&
				 streq(mods[i].params[k], "allow_unsafe_interrupts");
			r = wprintf(w, pfd, mods[i].params[k], MODE_RW, "%s\n", y ? "Y" : "N");
			if (r < 0)
				return r;
		}
		if (h->vfio == SIM_VFIO_LOADED) {
			r = wprintf(w, mfd, "initstate", MODE_RO, "live\n");
			if (r >= 0)
				r = wprintf(w, mfd, "refcnt", MODE_RO, "%d\n", i == 0 ? 2 : 0);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int write_roots(struct writer *w)
{
	const struct sim_host *h = w->h;
	int r;

	for (size_t i = 0; i < h->n_roots; i++) {
		const struct sim_root *rt = &h->roots[i];
		_cleanup_close_ int fd = -1;

		fd = opendir_at(w, w->sys_fd, rt->path, true);
		if (fd < 0)
			return fd;
		r = wempty(w, fd, "uevent", MODE_RW);
		if (r >= 0)
			r = write_pci_bus(w, rt->path, rt->domain, rt->bus, rt->numa);
		if (r < 0)
			return r;
		if (h->iommu) {
			_cleanup_close_ int ifd = -1;
			char unit[32], path[128];

			iommu_unit(h, rt, unit, sizeof(unit));
			snprintf(path, sizeof(path), "devices/virtual/iommu/%s", unit);
			ifd = opendir_at(w, w->sys_fd, path, true);
			if (ifd < 0)
				return ifd;
			r = mkdirs(w, ifd, "devices");
			if (r >= 0)
				r = wempty(w, ifd, "uevent", MODE_RW);
			if (r >= 0)
				r = write_iommu_regs(w, ifd, rt);
			if (r >= 0)
				r = wlink(w, "class/iommu", unit, path);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int write_group(struct writer *w, int group)
{
	const struct sim_host *h = w->h;
	const char *regions = h->cpu_vendor == SIM_CPU_VENDOR_AMD ?
				      "0x00000000fee00000 0x00000000feefffff msi\n"
				      "0x000000fd00000000 0x000000ffffffffff reserved\n" :
				      "0x00000000fee00000 0x00000000feefffff msi\n";
	_cleanup_close_ int fd = -1;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "kernel/iommu_groups/%d", group);
	fd = opendir_at(w, w->sys_fd, path, true);
	if (fd < 0)
		return fd;
	r = mkdirs(w, fd, "devices");
	if (r >= 0)
		r = wprintf(w, fd, "type", MODE_RW, "%s\n", h->iommu_type);
	if (r >= 0)
		r = wfile(w, fd, "reserved_regions", MODE_RO, regions, strlen(regions));
	return r;
}

static int write_groups(struct writer *w)
{
	const struct sim_host *h = w->h;
	_cleanup_free_ bool *done = NULL;
	int max = -1, r;

	for (size_t i = 0; i < h->n_devs; i++)
		if (h->devs[i]->group > max)
			max = h->devs[i]->group;
	done = calloc((size_t)max + 2, sizeof(*done));
	if (!done)
		return fail(w, -ENOMEM, "iommu_groups");
	for (size_t i = 0; i < h->n_devs; i++) {
		const struct sim_dev *d = h->devs[i];

		if (d->group < 0 || done[d->group])
			continue;
		done[d->group] = true;
		r = write_group(w, d->group);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_drivers(struct writer *w)
{
	const struct sim_host *h = w->h;
	static const char *const wo[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
	int r;

	for (size_t i = 0; i < h->n_drivers; i++) {
		_cleanup_close_ int fd = -1;
		char path[128], mbuf[64], mpath[128], link[128];
		const char *mod;

		snprintf(path, sizeof(path), "bus/pci/drivers/%s", h->drivers[i]);
		fd = opendir_at(w, w->sys_fd, path, true);
		if (fd < 0)
			return fd;
		for (size_t k = 0; k < ELEMENTSOF(wo); k++) {
			r = wempty(w, fd, wo[k], MODE_WO);
			if (r < 0)
				return r;
		}
		mod = module_of(h->drivers[i], mbuf, sizeof(mbuf));
		if (!mod)
			continue;
		snprintf(mpath, sizeof(mpath), "module/%s", mod);
		{
			_cleanup_close_ int mfd = opendir_at(w, w->sys_fd, mpath, true);

			if (mfd < 0)
				return mfd;
			if (faccessat(mfd, "initstate", F_OK, 0) < 0 &&
			    !(h->vfio == SIM_VFIO_BUILTIN && streq(mod, "vfio_pci"))) {
				r = wprintf(w, mfd, "initstate", MODE_RO, "live\n");
				if (r < 0)
					return r;
			}
			r = mkdirs(w, mfd, "drivers");
			if (r < 0)
				return r;
		}
		snprintf(link, sizeof(link), "pci:%s", h->drivers[i]);
		snprintf(mpath, sizeof(mpath), "module/%s/drivers", mod);
		r = wlink(w, mpath, link, path);
		if (r >= 0) {
			snprintf(mpath, sizeof(mpath), "module/%s", mod);
			r = wlink(w, path, "module", mpath);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- proc/ --------------------------------------------------------------------------------- */

static int write_cpuinfo(struct writer *w, int pfd)
{
	const struct sim_host *h = w->h;
	bool amd = h->cpu_vendor == SIM_CPU_VENDOR_AMD;
	/* the virtualization flags sit where the kernel's x86_cap_flags order puts them */
	static const char *const intel[] = {
		"fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl",
		" vmx",
		" smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced",
		" tpr_shadow vnmi flexpriority ept vpid ept_ad",
		" fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx rdseed adx smap clflushopt intel_pt xsaveopt xsavec xgetbv1 xsaves dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp md_clear flush_l1d arch_capabilities",
	};
	static const char *const amd_[] = {
		"fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy",
		" svm",
		" extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 invpcid_single hw_pstate ssbd mba ibrs ibpb stibp",
		" vmmcall",
		" fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca",
	};
	const char *const *fl = amd ? amd_ : intel;
	char flags[2048];
	FILE *f;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	unsigned per_node = h->cpus / h->nodes;
	int r;

	if ((size_t)snprintf(flags, sizeof(flags), "%s%s%s%s%s%s", fl[0], h->virt ? fl[1] : "",
			     fl[2], h->hypervisor ? " hypervisor" : "", h->virt ? fl[3] : "",
			     fl[4]) >= sizeof(flags))
		return fail(w, -ENAMETOOLONG, "cpu flags");
	f = open_memstream(&buf, &len);
	if (!f)
		return fail(w, -errno, "open_memstream");
	for (unsigned c = 0; c < h->cpus; c++) {
		unsigned node = per_node ? c / per_node : 0;

		if (node >= h->nodes)
			node = h->nodes - 1;
		fprintf(f,
			"processor\t: %u\n"
			"vendor_id\t: %s\n"
			"cpu family\t: %d\n"
			"model\t\t: %d\n"
			"model name\t: %s\n"
			"stepping\t: %d\n"
			"microcode\t: 0x%x\n"
			"cpu MHz\t\t: %s\n"
			"cache size\t: %s\n"
			"physical id\t: %u\n"
			"siblings\t: %u\n"
			"core id\t\t: %u\n"
			"cpu cores\t: %u\n"
			"apicid\t\t: %u\n"
			"initial apicid\t: %u\n"
			"fpu\t\t: yes\n"
			"fpu_exception\t: yes\n"
			"cpuid level\t: %d\n"
			"wp\t\t: yes\n"
			"flags\t\t: %s\n"
			"bugs\t\t: %s\n"
			"bogomips\t: %s\n"
			"%s"
			"clflush size\t: 64\n"
			"cache_alignment\t: 64\n"
			"address sizes\t: %s\n"
			"power management:%s\n"
			"\n",
			c, amd ? "AuthenticAMD" : "GenuineIntel", amd ? 25 : 6, amd ? 1 : 158,
			h->cpu_model, amd ? 1 : 13, amd ? 0xa0011d1 : 0xf4,
			amd ? "2450.000" : "3600.000", amd ? "512 KB" : "12288 KB", node,
			per_node ? per_node : 1, per_node ? c % per_node : c,
			per_node ? per_node : 1, c, c, amd ? 16 : 22, flags,
			amd ? "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso" :
			      "spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit srbds mmio_stale_data retbleed gds",
			amd ? "4890.85" : "7200.00", amd ? "TLB size\t: 2560 4K pages\n" : "",
			amd ? "48 bits physical, 48 bits virtual" :
			      "39 bits physical, 48 bits virtual",
			amd ? " ts ttp tm hwpstate cpb eff_freq_ro [13] [14]" : "");
	}
	if (fclose(f) != 0)
		return fail(w, -ENOMEM, "cpuinfo");
	r = wfile(w, pfd, "cpuinfo", MODE_RO, buf, len);
	return r;
}

static const char *fs_options(const char *fstype)
{
	if (streq(fstype, "ext4"))
		return "rw,errors=remount-ro";
	if (streq(fstype, "vfat"))
		return "rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro";
	if (streq(fstype, "xfs"))
		return "rw,attr2,inode64,logbufs=8,logbsize=32k,noquota";
	return "rw";
}

static int write_mountinfo(struct writer *w, int sfd)
{
	const struct sim_host *h = w->h;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct sim_mount *root = NULL;
	int id = 22, shared = 1;

	if (!f)
		return fail(w, -errno, "open_memstream");
	for (size_t i = 0; i < h->n_mounts; i++)
		if (streq(h->mounts[i].target, "/"))
			root = &h->mounts[i];
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS OPTIONAL - FSTYPE SOURCE SUPEROPTIONS" */
	if (root) {
		const struct sim_blockdev *b = simprof_find_blockdev(h, root->source);

		fprintf(f, "%d 1 %u:%u / / rw,relatime shared:%d - %s /dev/%s %s\n", id++, b->major,
			b->minor, shared++, root->fstype, root->source, fs_options(root->fstype));
	} else {
		fprintf(f, "%d 1 0:2 / / rw shared:%d - rootfs rootfs rw\n", id++, shared++);
	}
	fprintf(f, "%d 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:%d - sysfs sysfs rw\n",
		id++, shared++);
	fprintf(f, "%d 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:%d - proc proc rw\n",
		id++, shared++);
	fprintf(f,
		"%d 22 0:5 / /dev rw,nosuid,relatime shared:%d - devtmpfs udev rw,size=16302124k,nr_inodes=4075531,mode=755,inode64\n",
		id++, shared++);
	fprintf(f,
		"%d 22 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:%d - tmpfs tmpfs rw,size=3266500k,mode=755,inode64\n",
		id++, shared++);
	for (size_t i = 0; i < h->n_mounts; i++) {
		const struct sim_mount *m = &h->mounts[i];
		const struct sim_blockdev *b = simprof_find_blockdev(h, m->source);

		if (m == root)
			continue;
		fprintf(f, "%d 22 %u:%u / %s rw,relatime shared:%d - %s /dev/%s %s\n", id++,
			b->major, b->minor, m->target, shared++, m->fstype, m->source,
			fs_options(m->fstype));
	}
	if (fclose(f) != 0)
		return fail(w, -ENOMEM, "mountinfo");
	return wfile(w, sfd, "mountinfo", MODE_RO, buf, len);
}

/* fib_route_seq_show(): each line padded with spaces to 127 characters */
static void route_line(FILE *f, const char *text)
{
	fprintf(f, "%-127s\n", text);
}

static int write_route(struct writer *w, int nfd)
{
	const struct sim_host *h = w->h;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char line[256];

	if (!f)
		return fail(w, -errno, "open_memstream");
	route_line(
		f,
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	if (h->route_if) {
		const uint8_t *g = h->gateway;
		/* addresses are printed as the u32 in host (little-endian) order */
		uint32_t gw =
			(uint32_t)g[3] << 24 | (uint32_t)g[2] << 16 | (uint32_t)g[1] << 8 | g[0];
		uint32_t net = gw & 0x00ffffff;

		snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u",
			 h->route_if, 0u, gw, 0x0003u, 0, 0u, 100, 0u, 0, 0u, 0u);
		route_line(f, line);
		snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u",
			 h->route_if, net, 0u, 0x0001u, 0, 0u, 100, 0x00ffffffu, 0, 0u, 0u);
		route_line(f, line);
	}
	if (fclose(f) != 0)
		return fail(w, -ENOMEM, "route");
	return wfile(w, nfd, "route", MODE_RO, buf, len);
}

static int write_swaps(struct writer *w, int pfd)
{
	const struct sim_host *h = w->h;
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (h->swap) {
		const struct sim_blockdev *b = simprof_find_blockdev(h, h->swap);
		char name[128];
		unsigned long kb = b ? (unsigned long)(b->sectors / 2) : 8388604ul;
		int len;

		/* swap_show(): path, padded to 40, "partition" or "file\t", sizes in KiB */
		len = snprintf(name, sizeof(name), "%s%s", b ? "/dev/" : "", h->swap);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%*s%s\t%lu\t%s%lu\t%s%d\n", name,
			      len < 40 ? 40 - len : 1, " ", b ? "partition" : "file\t", kb,
			      kb < 10000000 ? "\t" : "", 0ul, "\t", -2);
	}
	return wfile(w, pfd, "swaps", MODE_RO, buf, (size_t)n);
}

/* The loaded modules, newest first as the kernel lists them: vfio's, then the drivers'. */
static int loaded_modules(const struct sim_host *h, char ***ret, size_t *ret_n)
{
	static const char *const vfio[] = { "vfio_pci", "vfio_pci_core", "vfio_iommu_type1",
					    "vfio" };
	char **v = calloc(h->n_drivers + ELEMENTSOF(vfio) + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	if (h->vfio == SIM_VFIO_LOADED)
		for (size_t i = 0; i < ELEMENTSOF(vfio); i++)
			if (!(v[n++] = strdup(vfio[i])))
				goto oom;
	for (size_t i = 0; i < h->n_drivers; i++) {
		char buf[64];
		const char *mod = module_of(h->drivers[i], buf, sizeof(buf));
		bool dup = false;

		if (!mod || (h->vfio == SIM_VFIO_BUILTIN && streq(mod, "vfio_pci")))
			continue;
		for (size_t k = 0; k < n; k++)
			dup = dup || streq(v[k], mod);
		if (!dup && !(v[n++] = strdup(mod)))
			goto oom;
	}
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return -ENOMEM;
}

static void free_strv(char **v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
}

/* kernel/module/procfs.c m_show(): "NAME SIZE REFS DEPS STATE ADDR"; addresses hidden (0). */
static int write_modules(struct writer *w, int pfd)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, n = 0;
	char **mods = NULL;
	FILE *f;
	int r = loaded_modules(w->h, &mods, &n);

	if (r < 0)
		return fail(w, r, "modules");
	f = open_memstream(&buf, &len);
	if (!f) {
		free_strv(mods, n);
		return fail(w, -errno, "open_memstream");
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %u 0 - Live 0x0000000000000000\n", mods[i],
			16384u + 4096u * (unsigned)(strlen(mods[i]) % 7));
	free_strv(mods, n);
	if (fclose(f) != 0)
		return fail(w, -ENOMEM, "modules");
	return wfile(w, pfd, "modules", MODE_RO, buf, len);
}

/*
 * lib/modules/RELEASE/modules.dep and modules.builtin (depmod(8)): the drivers' modules and,
 * unless vfio=missing, vfio's (in modules.builtin when vfio=builtin).
 */
static int write_lib_modules(struct writer *w)
{
	static const char *const vfio_dep =
		"kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz kernel/virt/lib/irqbypass.ko.xz\n"
		"kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz kernel/virt/lib/irqbypass.ko.xz\n"
		"kernel/drivers/vfio/vfio_iommu_type1.ko.xz:\n"
		"kernel/drivers/vfio/vfio.ko.xz:\n"
		"kernel/virt/lib/irqbypass.ko.xz:\n";
	static const char *const vfio_builtin = "kernel/drivers/vfio/vfio.ko\n"
						"kernel/drivers/vfio/vfio_iommu_type1.ko\n"
						"kernel/drivers/vfio/pci/vfio-pci-core.ko\n"
						"kernel/drivers/vfio/pci/vfio-pci.ko\n";
	const struct sim_host *h = w->h;
	_cleanup_free_ char *dep = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, n = 0;
	char **mods = NULL, path[128];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "lib/modules/%s", h->kernel);
	fd = opendir_at(w, w->out_fd, path, true);
	if (fd < 0)
		return fd;
	r = loaded_modules(h, &mods, &n);
	if (r < 0)
		return fail(w, r, "modules.dep");
	f = open_memstream(&dep, &len);
	if (!f) {
		free_strv(mods, n);
		return fail(w, -errno, "open_memstream");
	}
	if (h->vfio == SIM_VFIO_LOADED || h->vfio == SIM_VFIO_ABSENT)
		fputs(vfio_dep, f);
	for (size_t i = 0; i < n; i++)
		if (strncmp(mods[i], "vfio", 4) != 0)
			fprintf(f, "kernel/drivers/misc/%s.ko.xz:\n", mods[i]);
	free_strv(mods, n);
	if (fclose(f) != 0)
		return fail(w, -ENOMEM, "modules.dep");
	r = wfile(w, fd, "modules.dep", MODE_RW, dep, len);
	if (r >= 0)
		r = wprintf(w, fd, "modules.builtin", MODE_RW, "kernel/drivers/pci/pcie/portdrv.ko\n%s",
			    h->vfio == SIM_VFIO_BUILTIN ? vfio_builtin : "");
	return r;
}

static int write_proc(struct writer *w)
{
	const struct sim_host *h = w->h;
	_cleanup_close_ int pfd = -1, sfd = -1, nfd = -1;
	int r;

	pfd = opendir_at(w, w->out_fd, "proc", true);
	if (pfd < 0)
		return pfd;
	sfd = opendir_at(w, pfd, "self", true);
	if (sfd < 0)
		return sfd;
	nfd = opendir_at(w, pfd, "net", true);
	if (nfd < 0)
		return nfd;
	r = wprintf(w, pfd, "cmdline", MODE_RO, "%s\n", h->cmdline);
	if (r >= 0)
		r = write_cpuinfo(w, pfd);
	if (r >= 0)
		r = write_mountinfo(w, sfd);
	if (r >= 0)
		r = write_route(w, nfd);
	if (r >= 0)
		r = write_swaps(w, pfd);
	if (r >= 0)
		r = write_modules(w, pfd);
	if (r >= 0)
		r = wprintf(w, pfd, "version", MODE_RO,
			    "Linux version %s (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)\n",
			    h->kernel);
	return r;
}

/* ---- truth --------------------------------------------------------------------------------- */

static int group_cmp(const void *a, const void *b)
{
	const struct sim_dev *x = *(struct sim_dev *const *)a;
	const struct sim_dev *y = *(struct sim_dev *const *)b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return strcmp(x->name, y->name);
}

int simtree_write_truth(const struct sim_host *h, FILE *f)
{
	_cleanup_free_ const struct sim_dev **by_group = NULL;
	size_t n = 0;

	for (size_t i = 0; i < h->n_devs; i++) {
		const struct sim_dev *d = h->devs[i];
		char group[16];

		snprintf(group, sizeof(group), "%d", d->group);
		fprintf(f,
			"%s vendor=0x%04x device=0x%04x subsystem_vendor=0x%04x subsystem_device=0x%04x class=0x%06x driver=%s group=%s numa=%d physfn=%s\n",
			d->name, d->vendor, d->device, d->sub_vendor, d->sub_device, d->class,
			d->driver ? d->driver : "-", d->group >= 0 ? group : "-", d->numa,
			d->physfn ? d->physfn->name : "-");
	}
	by_group = calloc(h->n_devs + 1, sizeof(*by_group));
	if (!by_group)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_devs; i++)
		if (h->devs[i]->group >= 0)
			by_group[n++] = h->devs[i];
	qsort(by_group, n, sizeof(*by_group), group_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || by_group[i - 1]->group != by_group[i]->group)
			fprintf(f, "%sgroup %d:", i ? "\n" : "", by_group[i]->group);
		fprintf(f, " %s", by_group[i]->name);
	}
	if (n)
		fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

/* ---- preflight truth ----------------------------------------------------------------------- */

/* Does the command line hold KEY=VALUE with @opt among VALUE's comma-separated options (the last
 * KEY= wins, as in the kernel)? -1 when KEY= is absent. */
static int cmdline_opt(const char *cmdline, const char *key, const char *opt)
{
	size_t kl = strlen(key), ol = strlen(opt);
	int found = -1;

	for (const char *s = cmdline; *s;) {
		const char *e = s + strcspn(s, " \t\n");

		if ((size_t)(e - s) > kl && strncmp(s, key, kl) == 0 && s[kl] == '=') {
			found = 0;
			for (const char *o = s + kl + 1; o < e;) {
				const char *c = memchr(o, ',', (size_t)(e - o));
				const char *oe = c ? c : e;
				if ((size_t)(oe - o) == ol && strncmp(o, opt, ol) == 0)
					found = 1;
				o = c ? c + 1 : e;
			}
		}
		s = e + strspn(e, " \t\n");
	}
	return found;
}

int simtree_write_preflight(const struct sim_host *h, FILE *f)
{
	bool amd = h->cpu_vendor == SIM_CPU_VENDOR_AMD;
	bool off = cmdline_opt(h->cmdline, "iommu", "off") == 1 ||
		   (amd ? cmdline_opt(h->cmdline, "amd_iommu", "off") == 1 :
			  cmdline_opt(h->cmdline, "intel_iommu", "off") == 1);
	bool intel_on = cmdline_opt(h->cmdline, "intel_iommu", "on") == 1;
	bool intremap_off = cmdline_opt(h->cmdline, "intremap", "off") == 1 ||
			    strstr(h->cmdline, "nointremap");
	bool unsafe = h->unsafe_interrupts ||
		      cmdline_opt(h->cmdline, "vfio_iommu_type1.allow_unsafe_interrupts", "1") == 1;
	bool vfio = h->vfio == SIM_VFIO_LOADED || h->vfio == SIM_VFIO_BUILTIN;
	const char *st[8][2] = {
		{ "cpu_virt", h->virt ? "ok" : h->hypervisor ? "warn" : "fail" },
		{ "firmware_dmar", h->firmware_table ? "ok" : "fail" },
		{ "iommu_active", h->iommu ? "ok" : "fail" },
		{ "kernel_cmdline", off || (!amd && !intel_on && !h->iommu) ? "fail" : "ok" },
		{ "interrupt_remapping", !h->iommu		    ? "fail" :
					 h->intremap && !intremap_off ? "ok" :
					 unsafe			    ? "warn" :
									"fail" },
		{ "vfio_modules", vfio ? "ok" : h->vfio == SIM_VFIO_ABSENT ? "warn" : "fail" },
		{ "vfio_dev", vfio ? "ok" : "fail" },
		{ "acs_override", cmdline_opt(h->cmdline, "pcie_acs_override", "") >= 0 ? "warn" : "ok" },
	};

	for (size_t i = 0; i < ELEMENTSOF(st); i++)
		fprintf(f, "preflight %s %s\n", st[i][0], st[i][1]);
	return ferror(f) ? -EIO : 0;
}

/* ---- entry point --------------------------------------------------------------------------- */

struct worker {
	struct writer w; /* a copy, so each thread keeps its own first failure */
	size_t from, to;
	int r;
	pthread_t thread;
};

static void *worker_run(void *arg)
{
	struct worker *k = arg;

	k->r = 0;
	for (size_t i = k->from; i < k->to && k->r >= 0; i++)
		k->r = write_dev(&k->w, k->w.h->devs[i]);
	return NULL;
}

/*
 * Create every function's directory in address order (a bridge is on a lower bus than what sits
 * below it, so parents come first), then fill them on a few threads: on tmpfs the file creation
 * is CPU-bound and the large profile has some 130000 entries.
 */
static int write_devs(struct writer *w)
{
	const struct sim_host *h = w->h;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n_workers = h->n_devs < 256 || ncpu < 2 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
	struct worker workers[8];
	size_t started = 0;
	int r = 0;

	for (size_t i = 0; i < h->n_devs; i++)
		if (mkdirat(w->sys_fd, h->devs[i]->path, MODE_DIR) < 0)
			return fail(w, -errno, "mkdir %s", h->devs[i]->path);

	for (size_t k = 0; k < n_workers; k++) {
		workers[k] = (struct worker){
			.w = *w,
			.from = h->n_devs * k / n_workers,
			.to = h->n_devs * (k + 1) / n_workers,
		};
		if (n_workers == 1) {
			worker_run(&workers[k]);
			started = 1;
			break;
		}
		if (pthread_create(&workers[k].thread, NULL, worker_run, &workers[k]) != 0) {
			r = fail(w, -EAGAIN, "start a writer thread");
			break;
		}
		started++;
	}
	for (size_t k = 0; k < started; k++) {
		if (n_workers > 1)
			pthread_join(workers[k].thread, NULL);
		if (workers[k].r < 0 && r >= 0) {
			r = workers[k].r;
			memcpy(w->failed, workers[k].w.failed, sizeof(w->failed));
		}
	}
	return r;
}

static int write_all(struct writer *w)
{
	const struct sim_host *h = w->h;
	unsigned ata = 1, scsi_host = 0;
	int r;

	w->sys_fd = opendir_at(w, w->out_fd, "sys", true);
	if (w->sys_fd < 0)
		return w->sys_fd;
	r = write_skeleton(w);
	if (r >= 0)
		r = write_system(w);
	if (r >= 0)
		r = write_roots(w);
	if (r >= 0)
		r = write_groups(w);
	if (r >= 0)
		r = write_firmware(w);
	if (r >= 0)
		r = write_vfio_modules(w);
	if (r >= 0)
		r = write_drivers(w);
	if (r < 0)
		return r;

	r = write_devs(w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->n_devs; i++) {
		const struct sim_dev *d = h->devs[i];

		r = 0;
		if (d->nvme[0])
			r = write_nvme(w, d);
		if (r >= 0 && d->sata[0])
			r = write_sata(w, d, ata++, scsi_host++);
		if (r >= 0 && d->net[0])
			r = write_netdev(w, d->path, d->net, d->ifindex, d->mac,
					 h->route_if && streq(h->route_if, d->net));
		if (r < 0)
			return r;
	}

	r = write_proc(w);
	if (r >= 0)
		r = mkdirs(w, w->out_fd, "dev/vfio");
	/* the container node, while vfio is loaded; a plain file here (mknod needs root) */
	if (r >= 0 && (h->vfio == SIM_VFIO_LOADED || h->vfio == SIM_VFIO_BUILTIN)) {
		_cleanup_close_ int dfd = opendir_at(w, w->out_fd, "dev/vfio", false);
		r = dfd < 0 ? dfd : wempty(w, dfd, "vfio", 0666);
	}
	if (r >= 0)
		r = write_lib_modules(w);
	if (r < 0)
		return r;
	{
		_cleanup_close_ int fd = openat(w->out_fd, "preflight.truth",
						O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, MODE_RW);
		FILE *f;

		if (fd < 0)
			return fail(w, -errno, "create preflight.truth");
		f = fdopen(TAKE_FD(fd), "w");
		if (!f)
			return fail(w, -errno, "fdopen preflight.truth");
		r = simtree_write_preflight(h, f);
		if (fclose(f) != 0 && r >= 0)
			r = -errno;
		if (r < 0)
			return fail(w, r, "write preflight.truth");
	}
	{
		_cleanup_close_ int fd = openat(w->out_fd, "truth",
						O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, MODE_RW);
		FILE *f;

		if (fd < 0)
			return fail(w, -errno, "create truth");
		f = fdopen(TAKE_FD(fd), "w");
		if (!f)
			return fail(w, -errno, "fdopen truth");
		r = simtree_write_truth(h, f);
		if (fclose(f) != 0 && r >= 0)
			r = -errno;
		if (r < 0)
			return fail(w, r, "write truth");
	}
	return 0;
}

int simtree_write(const struct sim_host *h, const char *outdir, FILE *errf)
{
	struct writer w = { .h = h, .out_fd = -1, .sys_fd = -1 };
	mode_t old_umask;
	int r;

	if (mkdir(outdir, MODE_DIR) < 0 && errno != EEXIST) {
		r = -errno;
		fprintf(errf, "cannot create '%s': %s\n", outdir, strerror(-r));
		return r;
	}
	w.out_fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.out_fd < 0) {
		r = -errno;
		fprintf(errf, "cannot open '%s': %s\n", outdir, strerror(-r));
		return r;
	}
	if (faccessat(w.out_fd, "sys", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(w.out_fd, "proc", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(w.out_fd, "truth", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(errf, "'%s' already holds a tree; give an empty or new directory\n",
			outdir);
		close(w.out_fd);
		return -EEXIST;
	}

	old_umask = umask(0); /* the modes are part of the model (0200 for bind, unbind...) */
	r = write_all(&w);
	umask(old_umask);
	if (w.sys_fd >= 0)
		close(w.sys_fd);
	close(w.out_fd);
	if (r < 0)
		fprintf(errf, "cannot write the tree in '%s': %s: %s\n", outdir, w.failed,
			strerror(-r));
	return r;
}

/*
 * Write only @devs (VFs or other endpoints: no bridges, disks or interfaces below them) into
 * @outdir/sys: each function's directory with its links, the links pointing at it (bus/pci/devices,
 * drivers/NAME, the group's devices/, the IOMMU unit's devices/, the PF's virtfnN) and its IOMMU
 * group's directory. The directories these links live in are created empty, so the result is an
 * overlay meant to be merged into a tree that already has them (passd-sim does this when VFs are
 * created).
 */
int simtree_write_functions(const struct sim_host *h, struct sim_dev *const *devs, size_t n,
			    const char *outdir, FILE *errf)
{
	struct writer w = { .h = h, .out_fd = -1, .sys_fd = -1 };
	mode_t old_umask;
	char buf[4096], unit[32];
	int r = 0;

	if (mkdir(outdir, MODE_DIR) < 0 && errno != EEXIST) {
		r = -errno;
		fprintf(errf, "cannot create '%s': %s\n", outdir, strerror(-r));
		return r;
	}
	w.out_fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.out_fd < 0) {
		r = -errno;
		fprintf(errf, "cannot open '%s': %s\n", outdir, strerror(-r));
		return r;
	}
	old_umask = umask(0);
	w.sys_fd = opendir_at(&w, w.out_fd, "sys", true);
	if (w.sys_fd < 0)
		r = w.sys_fd;
	if (r >= 0)
		r = mkdirs(&w, w.sys_fd, "bus/pci/devices");
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct sim_dev *d = devs[i];

		r = mkdirs(&w, w.sys_fd, d->path);
		if (r >= 0 && d->physfn)
			r = mkdirs(&w, w.sys_fd, d->physfn->path);
		if (r >= 0 && d->driver) {
			snprintf(buf, sizeof(buf), "bus/pci/drivers/%s", d->driver);
			r = mkdirs(&w, w.sys_fd, buf);
		}
		if (r >= 0 && d->group >= 0)
			r = write_group(&w, d->group);
		if (r >= 0 && h->iommu) {
			snprintf(buf, sizeof(buf), "devices/virtual/iommu/%s/devices",
				 iommu_unit(h, d->root, unit, sizeof(unit)));
			r = mkdirs(&w, w.sys_fd, buf);
		}
		if (r >= 0)
			r = write_dev(&w, d);
	}
	umask(old_umask);
	if (w.sys_fd >= 0)
		close(w.sys_fd);
	close(w.out_fd);
	if (r < 0)
		fprintf(errf, "cannot write functions in '%s': %s: %s\n", outdir, w.failed,
			strerror(-r));
	return r;
}
