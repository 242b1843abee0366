/*
 * test-critical.c - core/critical with sysfs/children and procfs on real trees under mkdtemp():
 * a sys/ with the kernel's links for the layouts the simulator does not make (device-mapper
 * over a partition, NVMe multipath, a bridge over a NIC, btrfs, loop) and a proc/ beside it.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/critical.h"
#include "procfs/procfs.h"
#include "sysfs/children.h"
#include "sysfs/sysfs.h"

#define NVME "0000:02:00.0"
#define NIC "0000:03:00.0"
#define SATA "0000:00:17.0"
#define PNVME "devices/pci0000:00/0000:00:1b.0/" NVME
#define PNIC "devices/pci0000:00/0000:00:1c.0/" NIC
#define PSATA "devices/pci0000:00/" SATA

struct fixture {
	char root[64];
	struct sysfs *s;
	struct procfs *p;
	struct pd_device devs[3];
};

static void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *q = tmp + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			(void)mkdir(tmp, 0755); /* EEXIST is fine; the last mkdir checks */
			*q = '/';
		}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", tmp, strerror(errno));
}

static void put(const struct fixture *fx, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void link_(const struct fixture *fx, const char *rel, const char *target)
{
	char path[PATH_MAX], dir[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	assert_int_equal(symlink(target, path), 0);
}

/* A block device directory at sys/@dir with dev @devnum, indexed in dev/block and class/block. */
static void blockdev(const struct fixture *fx, const char *dir, const char *name, const char *devnum)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/%s/dev", dir);
	snprintf(target, sizeof(target), "%s\n", devnum);
	put(fx, rel, target);
	snprintf(rel, sizeof(rel), "sys/%s/subsystem", dir);
	link_(fx, rel, "/nonexistent/class/block"); /* only its last component matters */
	snprintf(rel, sizeof(rel), "sys/dev/block/%s", devnum);
	snprintf(target, sizeof(target), "../../%s", dir);
	link_(fx, rel, target);
	snprintf(rel, sizeof(rel), "sys/class/block/%s", name);
	link_(fx, rel, target);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[PATH_MAX];

	assert_non_null(fx);
	strcpy(fx->root, "/tmp/test-critical.XXXXXX");
	assert_non_null(mkdtemp(fx->root));

	/* three functions: NVMe (group 11), NIC (group 12, shared with nothing), SATA (group 5) */
	link_(fx, "sys/bus/pci/devices/" NVME, "../../../" PNVME);
	link_(fx, "sys/bus/pci/devices/" NIC, "../../../" PNIC);
	link_(fx, "sys/bus/pci/devices/" SATA, "../../../" PSATA);
	for (int i = 0; i < 3; i++)
		pd_device_init(&fx->devs[i]);
	strcpy(fx->devs[0].address, SATA);
	strcpy(fx->devs[0].class_id, "0x010601");
	fx->devs[0].iommu_group = 5;
	strcpy(fx->devs[1].address, NVME);
	strcpy(fx->devs[1].class_id, "0x010802");
	fx->devs[1].iommu_group = 11;
	strcpy(fx->devs[2].address, NIC);
	strcpy(fx->devs[2].class_id, "0x020000");
	fx->devs[2].iommu_group = 11; /* shares the NVMe's group: a binder must refuse both */

	snprintf(path, sizeof(path), "%s/sys", fx->root);
	assert_int_equal(sysfs_new(path, &fx->s), 0);
	snprintf(path, sizeof(path), "%s/proc", fx->root);
	mkdir_p(path);
	assert_int_equal(procfs_new(path, &fx->p), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX];

	sysfs_free(fx->s);
	procfs_free(fx->p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static struct crit_set *compute(struct fixture *fx)
{
	struct crit_set *c = NULL;

	assert_int_equal(crit_compute(fx->s, fx->p, fx->devs, 3, &c), 0);
	assert_non_null(c);
	return c;
}

static void test_critical_root_on_lvm_over_nvme_partition(void **state)
{
	struct fixture *fx = *state;
	struct crit_set *c;
	const char *addr = NULL;

	/* nvme0n1p3 is the PV of vg-root (dm-0); swap on vg-swap (dm-1), named as /dev/dm-1 */
	blockdev(fx, PNVME "/nvme/nvme0/nvme0n1", "nvme0n1", "259:0");
	blockdev(fx, PNVME "/nvme/nvme0/nvme0n1/nvme0n1p3", "nvme0n1p3", "259:3");
	blockdev(fx, "devices/virtual/block/dm-0", "dm-0", "253:0");
	blockdev(fx, "devices/virtual/block/dm-1", "dm-1", "253:1");
	put(fx, "sys/devices/virtual/block/dm-0/dm/name", "vg-root\n");
	put(fx, "sys/devices/virtual/block/dm-1/dm/name", "vg-swap\n");
	link_(fx, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p3",
	      "../../../../pci0000:00/0000:00:1b.0/" NVME "/nvme/nvme0/nvme0n1/nvme0n1p3");
	link_(fx, "sys/devices/virtual/block/dm-1/slaves/nvme0n1p3",
	      "../../../../pci0000:00/0000:00:1b.0/" NVME "/nvme/nvme0/nvme0n1/nvme0n1p3");
	put(fx, "proc/self/mountinfo",
	    "22 1 253:0 / / rw - ext4 /dev/mapper/vg-root rw\n"
	    "23 22 0:21 / /sys rw - sysfs sysfs rw\n");
	put(fx, "proc/swaps", "Filename Type Size Used Priority\n/dev/dm-1 partition 8 0 -2\n");

	c = compute(fx);
	assert_string_equal(crit_reason(c, NVME),
			    "holds the root filesystem (/dev/mapper/vg-root on /); holds swap (/dev/dm-1)");
	assert_null(crit_reason(c, SATA));
	assert_null(crit_reason(c, NIC));
	assert_int_equal(crit_count(c), 1);
	/* the NIC shares group 11: the group cannot leave, and the answer names the NVMe */
	assert_non_null(crit_group_reason(c, 11, &addr));
	assert_string_equal(addr, NVME);
	assert_null(crit_group_reason(c, 5, NULL));
	assert_null(crit_group_reason(c, -1, NULL));
	assert_int_equal(crit_set_unread(c), CRIT_UNREAD_ROUTES);
	crit_set_free(c);
}

static void test_critical_nvme_multipath_and_btrfs(void **state)
{
	struct fixture *fx = *state;
	struct crit_set *c;

	/* CONFIG_NVME_MULTIPATH: the namespace lives in the subsystem, which links the controller */
	blockdev(fx, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "nvme0n1", "259:0");
	blockdev(fx, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/nvme0n1p2", "nvme0n1p2",
		 "259:2");
	link_(fx, "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0",
	      "../../../pci0000:00/0000:00:1b.0/" NVME "/nvme/nvme0");
	/* btrfs: an anonymous device number; the source names the partition */
	put(fx, "proc/self/mountinfo",
	    "30 1 0:35 /@ / rw - btrfs /dev/nvme0n1p2 rw,subvol=/@\n"
	    "31 30 0:35 /@home /home rw - btrfs /dev/nvme0n1p2 rw,subvol=/@home\n"
	    "32 30 0:40 / /tmp rw - tmpfs tmpfs rw\n");

	c = compute(fx);
	assert_string_equal(crit_reason(c, NVME), "holds the root filesystem (/dev/nvme0n1p2 on /)");
	assert_int_equal(crit_count(c), 1);
	crit_set_free(c);
}

static void test_critical_default_route_through_a_bridge(void **state)
{
	struct fixture *fx = *state;
	struct crit_set *c;

	put(fx, "sys/" PNIC "/net/enp3s0/ifindex", "2\n");
	link_(fx, "sys/class/net/enp3s0", "../../" PNIC "/net/enp3s0");
	put(fx, "sys/devices/virtual/net/br0/ifindex", "3\n");
	link_(fx, "sys/devices/virtual/net/br0/lower_enp3s0",
	      "../../../pci0000:00/0000:00:1c.0/" NIC "/net/enp3s0");
	link_(fx, "sys/class/net/br0", "../../devices/virtual/net/br0");
	put(fx, "proc/net/route",
	    "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
	    "br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");

	c = compute(fx);
	assert_string_equal(crit_reason(c, NIC), "carries the default route (br0)");
	assert_int_equal(crit_set_unread(c), CRIT_UNREAD_MOUNTS | CRIT_UNREAD_SWAPS);
	crit_set_free(c);
}

static void test_critical_forward_walk_without_indexes(void **state)
{
	struct fixture *fx = *state;
	struct sysfs_children ch = { 0 };
	struct crit_set *c;

	/* no dev/block, no class/net: a plain copy of the devices part */
	put(fx, "sys/" PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/dev", "8:0\n");
	link_(fx, "sys/" PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/subsystem",
	      "../../../../../../../../class/block");
	put(fx, "sys/" PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1/dev", "8:1\n");
	link_(fx, "sys/" PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1/subsystem",
	      "../../../../../../../../../class/block");
	put(fx, "sys/" PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/queue/dev", "1:1\n");
	put(fx, "sys/" PNIC "/net/eth0/ifindex", "2\n");
	/* a character device with a dev file is not a block device */
	put(fx, "sys/" PNVME "/nvme/nvme0/dev", "242:0\n");

	assert_int_equal(sysfs_pci_children(fx->s, SATA, &ch), 0);
	assert_int_equal(ch.n_block, 2);
	assert_int_equal(ch.n_net, 0);
	sysfs_children_clear(&ch);
	assert_int_equal(sysfs_pci_children(fx->s, NIC, &ch), 0);
	assert_int_equal(ch.n_net, 1);
	assert_string_equal(ch.net[0], "eth0");
	sysfs_children_clear(&ch);
	assert_int_equal(sysfs_pci_children(fx->s, NVME, &ch), 0);
	assert_int_equal(ch.n_block, 0);
	sysfs_children_clear(&ch);
	assert_int_equal(sysfs_pci_children(fx->s, "0000:0f:00.0", &ch), -ENOENT);
	assert_int_equal(sysfs_pci_children(fx->s, "../..", &ch), -EINVAL);

	put(fx, "proc/self/mountinfo", "28 22 8:1 / /home rw - ext4 /dev/sda1 rw\n");
	put(fx, "proc/net/route", "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	c = compute(fx);
	assert_string_equal(crit_reason(c, SATA), "holds a mounted filesystem (/dev/sda1 on /home)");
	assert_string_equal(crit_reason(c, NIC), "carries the default route (eth0)");
	crit_set_free(c);
}

static void test_critical_equal(void **state)
{
	struct fixture *fx = *state;
	struct crit_set *a, *b;

	put(fx, "sys/" PNIC "/net/eth0/ifindex", "2\n");
	link_(fx, "sys/class/net/eth0", "../../" PNIC "/net/eth0");
	put(fx, "proc/net/route", "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	a = compute(fx);
	b = compute(fx);
	assert_true(crit_set_equal(a, b));
	assert_true(crit_set_equal(NULL, NULL));
	assert_false(crit_set_equal(a, NULL));
	assert_false(crit_set_equal(NULL, b));
	crit_set_free(b);

	/* the same device for another reason */
	put(fx, "sys/" PNIC "/net/eth1/ifindex", "3\n");
	link_(fx, "sys/class/net/eth1", "../../" PNIC "/net/eth1");
	put(fx, "proc/net/route", "eth1\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	b = compute(fx);
	assert_int_equal(crit_count(b), 1);
	assert_false(crit_set_equal(a, b));
	crit_set_free(b);

	/* one source more could be read */
	put(fx, "proc/swaps", "Filename Type Size Used Priority\n");
	put(fx, "proc/net/route", "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	b = compute(fx);
	assert_int_equal(crit_count(b), 1);
	assert_false(crit_set_equal(a, b));
	crit_set_free(b);

	/* one device more */
	put(fx, "proc/self/mountinfo", "28 22 8:1 / /home rw - ext4 /dev/sda1 rw\n");
	blockdev(fx, PSATA "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", "sda1", "8:1");
	b = compute(fx);
	assert_int_equal(crit_count(b), 2);
	assert_false(crit_set_equal(a, b));
	assert_false(crit_set_equal(b, a));
	crit_set_free(b);
	crit_set_free(a);
}

static void test_critical_without_proc(void **state)
{
	struct fixture *fx = *state;
	struct crit_set *c = NULL;

	fx->devs[2].boot_vga = 1; /* pretend, to see the static reasons come through */
	assert_int_equal(crit_compute(fx->s, NULL, fx->devs, 3, &c), 0);
	assert_string_equal(crit_reason(c, NIC), "boot VGA device: the host's console");
	assert_int_equal(crit_count(c), 1);
	assert_string_equal(crit_address_at(c, 0), NIC);
	assert_int_equal(crit_set_unread(c), 0);
	crit_set_free(c);
	assert_int_equal(crit_compute(fx->s, NULL, NULL, 0, &c), 0);
	assert_int_equal(crit_count(c), 0);
	crit_set_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_critical_root_on_lvm_over_nvme_partition, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_critical_nvme_multipath_and_btrfs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_critical_default_route_through_a_bridge, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_critical_forward_walk_without_indexes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_critical_without_proc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_critical_equal, setup, teardown),
	};

	return cmocka_run_group_tests_name("critical", tests, NULL, NULL);
}
