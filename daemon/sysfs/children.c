/*
 * children.c - block devices and network interfaces below PCI functions (see children.h).
 *
 * Kernel facts (Linux 6.x): dev/block/MAJ:MIN and class/net/IFNAME are relative links into
 * devices/ (Documentation/ABI/stable/sysfs-devices, drivers/base/core.c); a partition's
 * directory sits inside its disk's; a dm or MD device lives under devices/virtual/block/ and
 * lists its components in slaves/ (block/holder.c); with CONFIG_NVME_MULTIPATH the namespace
 * lives under devices/virtual/nvme-subsystem/nvme-subsysN/, which links nvmeN to each
 * controller below its PCI function (drivers/nvme/host/core.c); bridges, bonds and VLANs link
 * their lower devices as lower_IFNAME (net/core/dev.c, netdev_adjacent_sysfs_add()).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "sysfs-priv.h"

#define SLAVE_DEPTH_MAX 8
#define LOWER_DEPTH_MAX 4
#define WALK_DEPTH_MAX 10
#define WALK_DIRS_MAX 4096

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

static void add_owner(struct sysfs_owners *o, const char *addr)
{
	for (size_t i = 0; i < o->n; i++)
		if (streq(o->addr[i], addr))
			return;
	if (o->n == SYSFS_OWNERS_MAX) {
		o->truncated = true;
		return;
	}
	memcpy(o->addr[o->n++], addr, PCI_ADDR_LEN + 1);
}

/*
 * The deepest canonical PCI address among the components of @path (the function itself, not
 * the bridges above it), into @buf. False when there is none.
 */
static bool deepest_pci_addr(const char *path, char buf[static PCI_ADDR_LEN + 1])
{
	bool found = false;

	for (const char *p = path; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == PCI_ADDR_LEN) {
			char c[PCI_ADDR_LEN + 1];
			memcpy(c, p, n);
			c[n] = '\0';
			if (pci_addr_is_valid(c)) {
				memcpy(buf, c, sizeof(c));
				found = true;
			}
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return found;
}

/* @target of a link @levels directories below the root, as a path from the root; NULL if it
 * leaves the tree or does not start by going up that far. */
static const char *from_root(const char *target, unsigned levels)
{
	for (unsigned i = 0; i < levels; i++) {
		if (strncmp(target, "../", 3) != 0)
			return NULL;
		target += 3;
	}
	if (strncmp(target, "../", 3) == 0 || target[0] == '/')
		return NULL;
	return target;
}

/* The controllers of an NVMe subsystem directory @dir (a path from the root). */
static void nvme_subsystem_owners(struct sysfs *s, const char *dir, struct sysfs_owners *o)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;

	fd = openat(s->root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d)
		return;
	fd = -1; /* owned by d now */
	while ((e = readdir(d))) {
		char target[SYSFS_LINK_MAX], addr[PCI_ADDR_LEN + 1];
		const char *p = e->d_name + 4;

		/* nvme0, nvme1: the controller links; nvme0n1 (the namespace) has an 'n'. */
		if (strncmp(e->d_name, "nvme", 4) != 0 || !*p || strspn(p, "0123456789") != strlen(p))
			continue;
		if (sysfs_read_link(dirfd(d), e->d_name, target, sizeof(target)) < 0)
			continue;
		if (deepest_pci_addr(target, addr))
			add_owner(o, addr);
	}
}

static int parse_devnum(const char *s, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned long maj, min;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	maj = strtoul(s, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9' || maj > 0xfff)
		return -EINVAL;
	min = strtoul(end + 1, &end, 10);
	if (errno || *end != '\0' || min > 0xfffff)
		return -EINVAL;
	*ret_major = (unsigned)maj;
	*ret_minor = (unsigned)min;
	return 0;
}

struct devnum {
	unsigned major, minor;
};

static int block_owners(struct sysfs *s, unsigned major, unsigned minor, unsigned depth,
			struct devnum *seen, size_t *n_seen, struct sysfs_owners *o)
{
	char name[64], target[SYSFS_LINK_MAX], addr[PCI_ADDR_LEN + 1];
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	const char *path;
	struct dirent *e;
	ssize_t n;

	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i].major == major && seen[i].minor == minor)
			return 0;
	if (*n_seen == SLAVE_DEPTH_MAX * 8)
		return 0;
	seen[(*n_seen)++] = (struct devnum){ major, minor };

	snprintf(name, sizeof(name), "dev/block/%u:%u", major, minor);
	n = sysfs_read_link(s->root_fd, name, target, sizeof(target));
	if (n < 0)
		return (int)n;

	if (deepest_pci_addr(target, addr)) {
		add_owner(o, addr);
	} else if ((path = from_root(target, 2)) && strstr(path, "/nvme-subsystem/")) {
		/* devices/virtual/nvme-subsystem/nvme-subsysN/nvmeXnY[/nvmeXnYpZ] */
		char dir[SYSFS_LINK_MAX];
		const char *sub = strstr(path, "/nvme-subsystem/") + strlen("/nvme-subsystem/");
		const char *end = strchr(sub, '/');

		if (end && (size_t)(end - path) < sizeof(dir)) {
			memcpy(dir, path, (size_t)(end - path));
			dir[end - path] = '\0';
			nvme_subsystem_owners(s, dir, o);
		}
	}

	if (depth >= SLAVE_DEPTH_MAX)
		return 0;
	snprintf(name, sizeof(name), "dev/block/%u:%u/slaves", major, minor);
	fd = openat(s->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* partitions and most disks have no slaves directory */
	d = fdopendir(fd);
	if (!d)
		return 0;
	fd = -1;
	while ((e = readdir(d))) {
		char dev[SYSFS_ATTR_MAX], attr[SYSFS_BLOCK_NAME_MAX + 8];
		unsigned smaj, smin;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= SYSFS_BLOCK_NAME_MAX)
			continue;
		snprintf(attr, sizeof(attr), "%s/dev", e->d_name);
		if (sysfs_read_small(dirfd(d), attr, dev, sizeof(dev)) < 0 ||
		    parse_devnum(dev, &smaj, &smin) < 0)
			continue;
		(void)block_owners(s, smaj, smin, depth + 1, seen, n_seen, o); /* best effort */
	}
	return 0;
}

int sysfs_block_owners(struct sysfs *s, unsigned major, unsigned minor, struct sysfs_owners *ret)
{
	struct sysfs_owners o = { 0 };
	struct devnum seen[SLAVE_DEPTH_MAX * 8];
	size_t n_seen = 0;
	int r;

	r = block_owners(s, major, minor, 0, seen, &n_seen, &o);
	if (r < 0)
		return r;
	*ret = o;
	return 0;
}

static bool is_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n < max && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

/* The dm-N whose dm/name is @dmname. */
static int dm_devnum(struct sysfs *s, const char *dmname, unsigned *ret_major, unsigned *ret_minor)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;

	fd = openat(s->root_fd, "class/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	while ((e = readdir(d))) {
		char attr[SYSFS_BLOCK_NAME_MAX + 16], buf[SYSFS_ATTR_MAX];

		if (strncmp(e->d_name, "dm-", 3) != 0 || strlen(e->d_name) >= SYSFS_BLOCK_NAME_MAX)
			continue;
		snprintf(attr, sizeof(attr), "%s/dm/name", e->d_name);
		if (sysfs_read_small(dirfd(d), attr, buf, sizeof(buf)) < 0 || !streq(buf, dmname))
			continue;
		snprintf(attr, sizeof(attr), "%s/dev", e->d_name);
		if (sysfs_read_small(dirfd(d), attr, buf, sizeof(buf)) < 0)
			return -ENOENT;
		return parse_devnum(buf, ret_major, ret_minor) < 0 ? -ENOENT : 0;
	}
	return -ENOENT;
}

int sysfs_block_devnum(struct sysfs *s, const char *name, unsigned *ret_major, unsigned *ret_minor)
{
	char attr[SYSFS_BLOCK_NAME_MAX + 32], buf[SYSFS_ATTR_MAX];
	ssize_t n;

	if (strncmp(name, "mapper/", 7) == 0) {
		if (!is_name(name + 7, 128))
			return -EINVAL;
		return dm_devnum(s, name + 7, ret_major, ret_minor);
	}
	if (!is_name(name, SYSFS_BLOCK_NAME_MAX))
		return -EINVAL;
	snprintf(attr, sizeof(attr), "class/block/%s/dev", name);
	n = sysfs_read_small(s->root_fd, attr, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOTDIR ? -ENOENT : (int)n;
	return parse_devnum(buf, ret_major, ret_minor) < 0 ? -ENOENT : 0;
}

int sysfs_block_loop_backing(struct sysfs *s, unsigned major, unsigned minor, char **ret_path)
{
	char attr[64], buf[4096];
	ssize_t n;
	char *p;

	snprintf(attr, sizeof(attr), "dev/block/%u:%u/loop/backing_file", major, minor);
	n = sysfs_read_small(s->root_fd, attr, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (buf[0] != '/')
		return -ENOENT;
	p = strdup(buf);
	if (!p)
		return -ENOMEM;
	*ret_path = p;
	return 0;
}

static int net_owners(struct sysfs *s, const char *ifname, unsigned depth, struct sysfs_owners *o)
{
	char name[SYSFS_IFNAME_MAX + 16], target[SYSFS_LINK_MAX], addr[PCI_ADDR_LEN + 1];
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	ssize_t n;

	if (!is_name(ifname, SYSFS_IFNAME_MAX))
		return -EINVAL;
	snprintf(name, sizeof(name), "class/net/%s", ifname);
	n = sysfs_read_link(s->root_fd, name, target, sizeof(target));
	if (n < 0)
		return (int)n;
	if (deepest_pci_addr(target, addr)) {
		add_owner(o, addr);
		return 0;
	}
	if (depth >= LOWER_DEPTH_MAX)
		return 0;
	fd = openat(s->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return 0;
	fd = -1;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "lower_", 6) == 0)
			(void)net_owners(s, e->d_name + 6, depth + 1, o); /* best effort */
	return 0;
}

int sysfs_net_owners(struct sysfs *s, const char *ifname, struct sysfs_owners *ret)
{
	struct sysfs_owners o = { 0 };
	int r = net_owners(s, ifname, 0, &o);

	if (r < 0)
		return r;
	*ret = o;
	return 0;
}

/* ---- the forward walk ---- */

struct walk {
	struct sysfs_children c;
	size_t cap_block, cap_net;
	unsigned dirs;
};

static int add_block(struct walk *w, const char *name, unsigned major, unsigned minor)
{
	struct sysfs_blockdev *b;

	if (strlen(name) >= SYSFS_BLOCK_NAME_MAX)
		return 0;
	if (w->c.n_block == w->cap_block) {
		size_t cap = w->cap_block ? w->cap_block * 2 : 8;
		struct sysfs_blockdev *nb = realloc(w->c.block, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		w->c.block = nb;
		w->cap_block = cap;
	}
	b = &w->c.block[w->c.n_block++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->major = major;
	b->minor = minor;
	return 0;
}

static int add_net(struct walk *w, const char *name)
{
	if (!is_name(name, SYSFS_IFNAME_MAX))
		return 0;
	if (w->c.n_net == w->cap_net) {
		size_t cap = w->cap_net ? w->cap_net * 2 : 4;
		char(*nn)[SYSFS_IFNAME_MAX] = realloc(w->c.net, cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		w->c.net = nn;
		w->cap_net = cap;
	}
	snprintf(w->c.net[w->c.n_net++], SYSFS_IFNAME_MAX, "%s", name);
	return 0;
}

/* Directories that never lead to a block device or an interface, and are large. */
static bool skip_dir(const char *name)
{
	static const char *const skip[] = { "power",  "msi_irqs",  "queue", "mq",	  "holders",
					    "slaves", "integrity", "trace", "statistics", "queues",
					    "pci_bus", "iommu",    "wakeup" };

	for (size_t i = 0; i < ELEMENTSOF(skip); i++)
		if (streq(name, skip[i]))
			return true;
	return pci_addr_is_valid(name) || strncmp(name, "hwmon", 5) == 0;
}

static int walk_dir(struct walk *w, int dfd, const char *dname, bool in_net, unsigned depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	char buf[SYSFS_LINK_MAX];
	int fd;

	if (++w->dirs > WALK_DIRS_MAX)
		return 0;
	if (in_net)
		return add_net(w, dname);

	/* A block device: a dev file, and a subsystem link to class/block. */
	if (depth > 0 && sysfs_read_link(dfd, "subsystem", buf, sizeof(buf)) > 0 &&
	    streq(sysfs_basename(buf), "block") &&
	    sysfs_read_small(dfd, "dev", buf, sizeof(buf)) > 0) {
		unsigned maj, min;
		int r;

		if (parse_devnum(buf, &maj, &min) == 0) {
			r = add_block(w, dname, maj, min);
			if (r < 0)
				return r;
		}
	}
	if (depth >= WALK_DEPTH_MAX)
		return 0;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		_cleanup_close_ int cfd = -1;
		int r;

		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
		    skip_dir(e->d_name))
			continue;
		cfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue; /* a symlink, a file, or gone */
		r = walk_dir(w, cfd, e->d_name, streq(dname, "net") && depth > 0 ? true : false,
			     depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int sysfs_pci_children(struct sysfs *s, const char *addr, struct sysfs_children *ret)
{
	struct walk w = { 0 };
	_cleanup_close_ int fd = -1;
	char path[64];
	int r;

	if (!pci_addr_is_valid(addr))
		return -EINVAL;
	snprintf(path, sizeof(path), "bus/pci/devices/%s", addr);
	fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = walk_dir(&w, fd, addr, false, 0);
	if (r < 0) {
		sysfs_children_clear(&w.c);
		return r;
	}
	*ret = w.c;
	return 0;
}

void sysfs_children_clear(struct sysfs_children *c)
{
	if (!c)
		return;
	free(c->block);
	free(c->net);
	*c = (struct sysfs_children){ 0 };
}
