/*
 * children.h - block devices and network interfaces below PCI functions, both ways: from a
 * device number or an interface name back to the PCI functions that carry it (through the
 * kernel's dev/block and class/net indexes, partitions, device-mapper/MD slaves, the NVMe
 * multipath subsystem, and the lower devices of bridges, bonds and VLANs), and from a PCI
 * function forward to what hangs below it (for trees that lack the indexes).
 *
 * Part of the sysfs layer: openat()-relative to the root of sysfs_new(), bounded in depth and
 * count, 0 or a negative errno, no logging above debug.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci-addr.h"

struct sysfs;

#define SYSFS_OWNERS_MAX 32
#define SYSFS_BLOCK_NAME_MAX 32
#define SYSFS_IFNAME_MAX 16 /* IFNAMSIZ */

/* The PCI functions found below something, each once, in the order found. */
struct sysfs_owners {
	size_t n;
	bool truncated; /* more than SYSFS_OWNERS_MAX: the first ones are kept */
	char addr[SYSFS_OWNERS_MAX][PCI_ADDR_LEN + 1];
};

struct sysfs_blockdev {
	char name[SYSFS_BLOCK_NAME_MAX]; /* "nvme0n1p2" */
	unsigned major, minor;
};

/* What hangs below one PCI function. */
struct sysfs_children {
	struct sysfs_blockdev *block; /* disks and partitions */
	size_t n_block;
	char (*net)[SYSFS_IFNAME_MAX]; /* interface names */
	size_t n_net;
};

/*
 * The PCI functions behind block device @major:@minor (dev/block/MAJ:MIN): the function its
 * sysfs path lies below, else the controllers of its NVMe subsystem, plus, recursively, those
 * behind its slaves (dm, MD). *ret is filled on success; n is 0 for a device with nothing PCI
 * below it (loop, zram, nbd). Returns 0, or -ENOENT when the tree has no dev/block/MAJ:MIN.
 */
int sysfs_block_owners(struct sysfs *s, unsigned major, unsigned minor, struct sysfs_owners *ret);

/*
 * The device number of the block device named @name as in /dev: "nvme0n1p2"
 * (class/block/NAME/dev) or "mapper/NAME" (the dm-N whose dm/name is NAME). Returns 0,
 * -ENOENT when there is none, -EINVAL for a name that cannot be one.
 */
int sysfs_block_devnum(struct sysfs *s, const char *name, unsigned *ret_major,
		       unsigned *ret_minor);

/*
 * The file behind loop device @major:@minor (dev/block/MAJ:MIN/loop/backing_file), owned by
 * the caller. -ENOENT when the device is not a bound loop device.
 */
int sysfs_block_loop_backing(struct sysfs *s, unsigned major, unsigned minor, char **ret_path);

/*
 * The PCI functions carrying interface @ifname (class/net/IFNAME), through the lower_* links of
 * a bridge, bond or VLAN when the interface itself is virtual. Returns 0 (n may be 0), -ENOENT
 * when there is no such interface, -EINVAL for a name that cannot be one.
 */
int sysfs_net_owners(struct sysfs *s, const char *ifname, struct sysfs_owners *ret);

/*
 * Walk the directory of function @addr (no symlinks followed, at most 10 levels and 4096
 * directories, child PCI functions left out) for block devices (directories with a dev file
 * whose subsystem is block: nvme/nvme0/nvme0n1/, ata1/host0/.../block/sda/sda1,
 * virtio0/block/vda) and net/IFNAME interfaces. *ret is owned by the caller
 * (sysfs_children_clear()). Returns 0, -EINVAL for a bad address, -ENOENT, or -ENOMEM.
 */
int sysfs_pci_children(struct sysfs *s, const char *addr, struct sysfs_children *ret);
void sysfs_children_clear(struct sysfs_children *c);
