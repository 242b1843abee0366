/*
 * test-sysfs.c - daemon/sysfs on real trees with the kernel's layout, built under mkdtemp().
 *
 * Each test builds what it needs: devices/pci0000:00/.../ADDR directories holding the attribute
 * files (with the trailing newline the kernel prints), bus/pci/devices/ADDR links into them,
 * and the driver, iommu_group and physfn links with the kernel's relative targets.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfs/sysfs-priv.h"

struct fixture {
	char root[64];
	struct sysfs *s;
};

/* ---- building trees ---- */

/* mkdir -p, trying the full path first: most calls find the parents already there. */
static void mkdir_p(const char *path)
{
	char parent[PATH_MAX];
	char *slash;

	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return;
	if (errno != ENOENT)
		fail_msg("mkdir %s: %s", path, strerror(errno));
	assert_true(strlen(path) < sizeof(parent));
	strcpy(parent, path);
	slash = strrchr(parent, '/');
	assert_non_null(slash);
	*slash = '\0';
	mkdir_p(parent);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void fx_path(const struct fixture *fx, char buf[static PATH_MAX], const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", fx->root, rel);

	assert_true(n > 0 && n < PATH_MAX);
}

static void fx_mkdir(const struct fixture *fx, const char *rel)
{
	char p[PATH_MAX];

	fx_path(fx, p, rel);
	mkdir_p(p);
}

/* Write @len bytes of @content to @rel (created with its parents). */
static void fx_write_n(const struct fixture *fx, const char *rel, const char *content, size_t len)
{
	char p[PATH_MAX], dir[PATH_MAX];
	int fd;

	fx_path(fx, p, rel);
	strcpy(dir, p);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", p, strerror(errno));
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
}

static void fx_write(const struct fixture *fx, const char *rel, const char *content)
{
	fx_write_n(fx, rel, content, strlen(content));
}

/* Replace @rel (if any) by a symlink to @target. */
static void fx_symlink(const struct fixture *fx, const char *target, const char *rel)
{
	char p[PATH_MAX], dir[PATH_MAX];

	fx_path(fx, p, rel);
	strcpy(dir, p);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	(void)unlink(p);
	if (symlink(target, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
}

static void fx_unlink(const struct fixture *fx, const char *rel)
{
	char p[PATH_MAX];

	fx_path(fx, p, rel);
	if (unlink(p) < 0)
		fail_msg("unlink %s: %s", p, strerror(errno));
}

/* "../" repeated once per component of @path, to climb from devices/@path back to the root. */
static void updirs(const char *path, char buf[static PATH_MAX])
{
	buf[0] = '\0';
	strcat(buf, "../"); /* devices/ */
	for (const char *p = path; *p; p++)
		if (*p == '/')
			strcat(buf, "../");
	strcat(buf, "../"); /* the device itself */
}

struct dev_spec {
	const char *path; /* under devices/, ending in the address */
	const char *vendor, *device, *subsystem_vendor, *subsystem_device, *class;
	const char *numa_node, *driver_override, *reset_method;
	const char *driver; /* NULL: unbound */
	int group;	    /* -1: no iommu_group link */
	const char *physfn; /* the PF's address, for a VF */
	const char *sriov_totalvfs, *sriov_numvfs, *boot_vga;
};

/*
 * A bound Ethernet function with every common attribute; tests override what they need by
 * naming a field again after DEV_DEFAULTS, which is what -Woverride-init warns about.
 */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
#define DEV_DEFAULTS                                                                \
	.vendor = "0x8086\n", .device = "0x1521\n", .subsystem_vendor = "0x15d9\n", \
	.subsystem_device = "0x1521\n", .class = "0x020000\n", .numa_node = "0\n",  \
	.driver_override = "(null)\n", .reset_method = "flr bus\n", .driver = "igb", .group = 7

static const char *addr_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void fx_attr(const struct fixture *fx, const struct dev_spec *d, const char *name,
		    const char *value)
{
	char rel[PATH_MAX];

	if (!value)
		return;
	snprintf(rel, sizeof(rel), "devices/%s/%s", d->path, name);
	fx_write(fx, rel, value);
}

static void fx_add_device(const struct fixture *fx, const struct dev_spec *d)
{
	char rel[PATH_MAX], target[PATH_MAX], up[PATH_MAX];
	const char *addr = addr_of(d->path);

	snprintf(rel, sizeof(rel), "devices/%s", d->path);
	fx_mkdir(fx, rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", addr);
	snprintf(target, sizeof(target), "../../../devices/%s", d->path);
	fx_symlink(fx, target, rel);

	fx_attr(fx, d, "vendor", d->vendor);
	fx_attr(fx, d, "device", d->device);
	fx_attr(fx, d, "subsystem_vendor", d->subsystem_vendor);
	fx_attr(fx, d, "subsystem_device", d->subsystem_device);
	fx_attr(fx, d, "class", d->class);
	fx_attr(fx, d, "numa_node", d->numa_node);
	fx_attr(fx, d, "driver_override", d->driver_override);
	fx_attr(fx, d, "reset_method", d->reset_method);
	fx_attr(fx, d, "sriov_totalvfs", d->sriov_totalvfs);
	fx_attr(fx, d, "sriov_numvfs", d->sriov_numvfs);
	fx_attr(fx, d, "boot_vga", d->boot_vga);

	updirs(d->path, up);
	if (d->driver) {
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", d->driver);
		fx_mkdir(fx, rel);
		snprintf(target, sizeof(target), "%sbus/pci/drivers/%s", up, d->driver);
		snprintf(rel, sizeof(rel), "devices/%s/driver", d->path);
		fx_symlink(fx, target, rel);
	}
	if (d->group >= 0) {
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", d->group);
		fx_mkdir(fx, rel);
		snprintf(target, sizeof(target), "%skernel/iommu_groups/%d", up, d->group);
		snprintf(rel, sizeof(rel), "devices/%s/iommu_group", d->path);
		fx_symlink(fx, target, rel);
	}
	if (d->physfn) {
		snprintf(target, sizeof(target), "../%s", d->physfn);
		snprintf(rel, sizeof(rel), "devices/%s/physfn", d->path);
		fx_symlink(fx, target, rel);
	}
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/passd-test-sysfs.XXXXXX");
	if (!mkdtemp(fx->root)) {
		free(fx);
		return -1;
	}
	fx_mkdir(fx, "bus/pci/devices");
	if (sysfs_new(fx->root, &fx->s) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int rm_rf_at(int dfd, const char *name)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			rm_rf_at(dirfd(d), de->d_name);
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sysfs_free(fx->s);
	rm_rf_at(AT_FDCWD, fx->root);
	free(fx);
	return 0;
}

/* ---- helpers for checking ---- */

static void scan(struct fixture *fx, unsigned nthreads, struct pd_device **devs, size_t *n)
{
	assert_int_equal(sysfs_pci_scan(fx->s, nthreads, devs, n), 0);
	assert_non_null(*devs);
}

static void free_devs(struct pd_device *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_device_clear(&devs[i]);
	free(devs);
}

static const struct pd_device *find(const struct pd_device *devs, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (streq(devs[i].address, addr))
			return &devs[i];
	fail_msg("%s not in the scan", addr);
	abort(); /* cmocka's _fail() is not declared noreturn; gcc -O2 must know we stop here */
}

static void read_one(struct fixture *fx, const char *addr, struct pd_device *d)
{
	assert_int_equal(sysfs_pci_read_device(fx->s, addr, d), 0);
	assert_string_equal(d->address, addr);
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_sysfs_new_missing_root_is_enoent(void **state)
{
	struct sysfs *s = (struct sysfs *)0x1;

	assert_int_equal(sysfs_new("/nonexistent/passd-test-root", &s), -ENOENT);
	assert_ptr_equal(s, (struct sysfs *)0x1); /* ret_ untouched */
	assert_int_equal(sysfs_new("/proc/self/status", &s), -ENOTDIR);
	assert_ptr_equal(s, (struct sysfs *)0x1);
}

static void test_sysfs_get_root_returns_root(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(sysfs_get_root(fx->s), fx->root);
}

static void test_sysfs_scan_reads_normal_device(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:19.0",
				       DEV_DEFAULTS,
				       .numa_node = "1\n" };
	struct pd_device *devs = NULL;
	size_t n = 0;

	fx_add_device(fx, &spec);
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].address, "0000:00:19.0");
	assert_string_equal(devs[0].vendor_id, "0x8086");
	assert_string_equal(devs[0].device_id, "0x1521");
	assert_string_equal(devs[0].subsystem_vendor_id, "0x15d9");
	assert_string_equal(devs[0].subsystem_device_id, "0x1521");
	assert_string_equal(devs[0].class_id, "0x020000");
	assert_string_equal(devs[0].driver, "igb");
	assert_string_equal(devs[0].driver_override, "");
	assert_string_equal(devs[0].reset_methods, "flr bus");
	assert_string_equal(devs[0].physfn, "");
	assert_string_equal(devs[0].parent, "");
	assert_int_equal(devs[0].iommu_group, 7);
	assert_int_equal(devs[0].numa_node, 1);
	assert_int_equal(devs[0].sriov_total_vfs, -1);
	assert_int_equal(devs[0].sriov_num_vfs, -1);
	assert_int_equal(devs[0].boot_vga, -1);
	assert_null(devs[0].vendor_name);
	assert_null(devs[0].device_name);
	assert_null(devs[0].original_driver);
	assert_false(devs[0].gone);
	free_devs(devs, n);
}

static void test_sysfs_scan_unbound_device_has_empty_driver(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:03.0",
				       DEV_DEFAULTS,
				       .driver = NULL,
				       .driver_override = "vfio-pci\n" };
	struct pd_device d;

	fx_add_device(fx, &spec);
	read_one(fx, "0000:00:03.0", &d);
	assert_string_equal(d.driver, "");
	assert_string_equal(d.driver_override, "vfio-pci");
	assert_string_equal(d.vendor_id, "0x8086");
}

static void test_sysfs_scan_device_behind_bridge_has_parent(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec specs[] = {
		{ .path = "pci0000:00/0000:00:01.0",
		  DEV_DEFAULTS,
		  .class = "0x060400\n",
		  .driver = "pcieport" },
		{ .path = "pci0000:00/0000:00:01.0/0000:01:00.0",
		  DEV_DEFAULTS,
		  .class = "0x060400\n",
		  .driver = "pcieport" },
		{ .path = "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0",
		  DEV_DEFAULTS,
		  .class = "0x030000\n",
		  .driver = "nouveau",
		  .boot_vga = "1\n" },
		{ .path = "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.1",
		  DEV_DEFAULTS,
		  .class = "0x040300\n",
		  .driver = "snd_hda_intel" },
		{ .path = "pci0001:40/0001:40:00.0", DEV_DEFAULTS },
	};
	struct pd_device *devs = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		fx_add_device(fx, &specs[i]);
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 5);
	assert_string_equal(find(devs, n, "0000:00:01.0")->parent, "");
	assert_string_equal(find(devs, n, "0000:01:00.0")->parent, "0000:00:01.0");
	assert_string_equal(find(devs, n, "0000:02:00.0")->parent, "0000:01:00.0");
	assert_string_equal(find(devs, n, "0000:02:00.1")->parent, "0000:01:00.0");
	assert_string_equal(find(devs, n, "0001:40:00.0")->parent, "");
	assert_string_equal(find(devs, n, "0000:02:00.0")->driver, "nouveau");
	assert_int_equal(find(devs, n, "0000:02:00.0")->boot_vga, 1);
	assert_int_equal(find(devs, n, "0000:02:00.1")->boot_vga, -1);
	assert_string_equal(find(devs, n, "0000:02:00.1")->driver, "snd_hda_intel");
	free_devs(devs, n);
}

static void test_sysfs_scan_reads_sriov_pf_and_vfs(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec specs[] = {
		{ .path = "pci0000:00/0000:00:02.0/0000:03:00.0",
		  DEV_DEFAULTS,
		  .driver = "ice",
		  .sriov_totalvfs = "256\n",
		  .sriov_numvfs = "2\n",
		  .group = 20 },
		{ .path = "pci0000:00/0000:00:02.0/0000:03:01.0",
		  DEV_DEFAULTS,
		  .driver = "iavf",
		  .physfn = "0000:03:00.0",
		  .group = 21,
		  .reset_method = "flr\n" },
		{ .path = "pci0000:00/0000:00:02.0/0000:03:01.1",
		  DEV_DEFAULTS,
		  .driver = NULL,
		  .physfn = "0000:03:00.0",
		  .group = 22 },
	};
	struct pd_device *devs = NULL;
	const struct pd_device *pf, *vf0, *vf1;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		fx_add_device(fx, &specs[i]);
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 3);
	pf = find(devs, n, "0000:03:00.0");
	vf0 = find(devs, n, "0000:03:01.0");
	vf1 = find(devs, n, "0000:03:01.1");
	assert_int_equal(pf->sriov_total_vfs, 256);
	assert_int_equal(pf->sriov_num_vfs, 2);
	assert_string_equal(pf->physfn, "");
	assert_string_equal(pf->parent, "0000:00:02.0");
	assert_string_equal(vf0->physfn, "0000:03:00.0");
	assert_int_equal(vf0->sriov_total_vfs, -1);
	assert_int_equal(vf0->sriov_num_vfs, -1);
	assert_int_equal(vf0->iommu_group, 21);
	assert_string_equal(vf0->reset_methods, "flr");
	assert_string_equal(vf0->parent, "0000:00:02.0");
	assert_string_equal(vf1->physfn, "0000:03:00.0");
	assert_string_equal(vf1->driver, "");
	free_devs(devs, n);
}

static void test_sysfs_scan_missing_attributes_are_unknown(void **state)
{
	struct fixture *fx = *state;
	/* A directory with nothing in it: listed, every field unknown, and no failure. */
	const struct dev_spec empty = { .path = "pci0000:00/0000:00:04.0", .group = -1 };
	const struct dev_spec half = { .path = "pci0000:00/0000:00:05.0",
				       .vendor = "0x1af4\n",
				       .class = "0x010802\n",
				       .group = -1 };
	struct pd_device *devs = NULL;
	const struct pd_device *d;
	struct pd_device unknown;
	size_t n = 0;

	fx_add_device(fx, &empty);
	fx_add_device(fx, &half);
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 2);

	pd_device_init(&unknown);
	strcpy(unknown.address, "0000:00:04.0");
	d = find(devs, n, "0000:00:04.0");
	assert_memory_equal(d, &unknown, sizeof(unknown));

	d = find(devs, n, "0000:00:05.0");
	assert_string_equal(d->vendor_id, "0x1af4");
	assert_string_equal(d->class_id, "0x010802");
	assert_string_equal(d->device_id, "");
	assert_string_equal(d->driver, "");
	assert_string_equal(d->reset_methods, "");
	assert_int_equal(d->iommu_group, -1);
	assert_int_equal(d->numa_node, -1);
	free_devs(devs, n);
}

enum field {
	F_VENDOR,
	F_DEVICE,
	F_SUBSYSTEM_VENDOR,
	F_CLASS,
	F_NUMA,
	F_OVERRIDE,
	F_RESET,
	F_TOTALVFS,
	F_NUMVFS,
	F_BOOT_VGA,
	F_DRIVER,
	F_GROUP,
	F_PHYSFN,
};

static bool field_is_unknown(const struct pd_device *d, enum field f)
{
	switch (f) {
	case F_VENDOR:
		return d->vendor_id[0] == '\0';
	case F_DEVICE:
		return d->device_id[0] == '\0';
	case F_SUBSYSTEM_VENDOR:
		return d->subsystem_vendor_id[0] == '\0';
	case F_CLASS:
		return d->class_id[0] == '\0';
	case F_NUMA:
		return d->numa_node == -1;
	case F_OVERRIDE:
		return d->driver_override[0] == '\0';
	case F_RESET:
		return d->reset_methods[0] == '\0';
	case F_TOTALVFS:
		return d->sriov_total_vfs == -1;
	case F_NUMVFS:
		return d->sriov_num_vfs == -1;
	case F_BOOT_VGA:
		return d->boot_vga == -1;
	case F_DRIVER:
		return d->driver[0] == '\0';
	case F_GROUP:
		return d->iommu_group == -1;
	case F_PHYSFN:
		return d->physfn[0] == '\0';
	}
	return false;
}

static void test_sysfs_scan_odd_values_are_unknown(void **state)
{
	struct fixture *fx = *state;
	static const char long_name[] =
		"a-driver-name-that-is-much-longer-than-any-the-kernel-has-ever-used-x\n";
	static const struct {
		const char *attr; /* a file, or a link when target is set */
		const char *content;
		const char *target;
		enum field field;
	} cases[] = {
		{ "vendor", "0xZZZZ\n", NULL, F_VENDOR },
		{ "vendor", "banana\n", NULL, F_VENDOR },
		{ "vendor", "", NULL, F_VENDOR },
		{ "vendor", "\n", NULL, F_VENDOR },
		{ "vendor", "0X8086\n", NULL, F_VENDOR },
		{ "vendor", "0x80E6\n", NULL, F_VENDOR },
		{ "vendor", "0x808\n", NULL, F_VENDOR },
		{ "vendor", "0x80866\n", NULL, F_VENDOR },
		{ "vendor", " 0x8086\n", NULL, F_VENDOR },
		{ "vendor", "0x8086 \n", NULL, F_VENDOR },
		{ "vendor", "0x8086\n\n", NULL, F_VENDOR },
		{ "vendor", "8086\n", NULL, F_VENDOR },
		{ "device", "0x12g4\n", NULL, F_DEVICE },
		{ "subsystem_vendor", "-1\n", NULL, F_SUBSYSTEM_VENDOR },
		{ "class", "0x0200\n", NULL, F_CLASS },
		{ "class", "0x02000000\n", NULL, F_CLASS },
		{ "class", "banana\n", NULL, F_CLASS },
		{ "numa_node", "-1\n", NULL, F_NUMA },
		{ "numa_node", "banana\n", NULL, F_NUMA },
		{ "numa_node", "\n", NULL, F_NUMA },
		{ "numa_node", "", NULL, F_NUMA },
		{ "numa_node", "99999999999999999999999\n", NULL, F_NUMA },
		{ "numa_node", "2147483648\n", NULL, F_NUMA },
		{ "numa_node", "65536\n", NULL, F_NUMA },
		{ "numa_node", "+1\n", NULL, F_NUMA },
		{ "numa_node", " 1\n", NULL, F_NUMA },
		{ "numa_node", "1 \n", NULL, F_NUMA },
		{ "numa_node", "1x\n", NULL, F_NUMA },
		{ "numa_node", "01\n", NULL, F_NUMA },
		{ "numa_node", "-0\n", NULL, F_NUMA },
		{ "numa_node", "0x1\n", NULL, F_NUMA },
		{ "driver_override", long_name, NULL, F_OVERRIDE },
		{ "driver_override", "../../etc\n", NULL, F_OVERRIDE },
		{ "driver_override", "vfio pci\n", NULL, F_OVERRIDE },
		{ "driver_override", "\n", NULL, F_OVERRIDE },
		{ "reset_method", "flr; rm -rf\n", NULL, F_RESET },
		{ "reset_method", "FLR\n", NULL, F_RESET },
		{ "sriov_totalvfs", "-5\n", NULL, F_TOTALVFS },
		{ "sriov_totalvfs", "70000\n", NULL, F_TOTALVFS },
		{ "sriov_totalvfs", "banana\n", NULL, F_TOTALVFS },
		{ "sriov_numvfs", "1.5\n", NULL, F_NUMVFS },
		{ "boot_vga", "2\n", NULL, F_BOOT_VGA },
		{ "boot_vga", "yes\n", NULL, F_BOOT_VGA },
		{ "driver", NULL, "../../../bus/pci/drivers/", F_DRIVER },
		{ "driver", NULL, "..", F_DRIVER },
		{ "driver", NULL, "../../../bus/pci/drivers/bad name", F_DRIVER },
		{ "driver", NULL, "../../../bus/pci/drivers/e\xc3\xa9", F_DRIVER },
		{ "iommu_group", NULL, "../../../kernel/iommu_groups/banana", F_GROUP },
		{ "iommu_group", NULL, "../../../kernel/iommu_groups/-1", F_GROUP },
		{ "iommu_group", NULL, "../../../kernel/iommu_groups/007", F_GROUP },
		{ "iommu_group", NULL, "../../../kernel/iommu_groups/", F_GROUP },
		{ "iommu_group", NULL, "../../../kernel/iommu_groups/99999999999", F_GROUP },
		{ "physfn", NULL, "../0000:00:1F.0", F_PHYSFN },
		{ "physfn", NULL, "../banana", F_PHYSFN },
		{ "physfn", NULL, "../0000:00:1f.0/", F_PHYSFN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A VGA PF, so that every attribute read is attempted. */
		const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0",
					       DEV_DEFAULTS,
					       .class = "0x030000\n",
					       .boot_vga = "0\n",
					       .sriov_totalvfs = "7\n",
					       .sriov_numvfs = "0\n",
					       .driver_override = "i915\n" };
		char rel[PATH_MAX];
		struct pd_device d;

		print_message("# case %zu: %s\n", i, cases[i].attr);
		fx_add_device(fx, &spec);
		snprintf(rel, sizeof(rel), "devices/%s/%s", spec.path, cases[i].attr);
		if (cases[i].target)
			fx_symlink(fx, cases[i].target, rel);
		else
			fx_write(fx, rel, cases[i].content);

		read_one(fx, "0000:00:02.0", &d);
		assert_true(field_is_unknown(&d, cases[i].field));
		/* Only that field: the others are still read. */
		if (cases[i].field != F_DEVICE)
			assert_string_equal(d.device_id, "0x1521");
		else
			assert_string_equal(d.vendor_id, "0x8086");
		if (cases[i].field != F_GROUP)
			assert_int_equal(d.iommu_group, 7);
		if (cases[i].field != F_DRIVER)
			assert_string_equal(d.driver, "igb");

		/* An odd physfn link makes the VF-ness unknown: leave the next case clean. */
		if (cases[i].field == F_PHYSFN)
			fx_unlink(fx, "devices/pci0000:00/0000:00:02.0/physfn");
	}
}

static void test_sysfs_scan_known_values_are_read(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0",
				       DEV_DEFAULTS,
				       .class = "0x030000\n",
				       .boot_vga = "1\n",
				       .sriov_totalvfs = "65535\n",
				       .sriov_numvfs = "0\n",
				       .numa_node = "4095\n",
				       .driver = "vfio-pci",
				       .driver_override = "vfio-pci\n",
				       .reset_method =
					       "flr af_flr pm bus device_specific cxl_bus\n",
				       .group = 0 };
	struct pd_device d;

	fx_add_device(fx, &spec);
	/* A copy may lose the trailing newline: the value is the same. */
	fx_write(fx, "devices/pci0000:00/0000:00:02.0/vendor", "0x10de");
	read_one(fx, "0000:00:02.0", &d);
	assert_string_equal(d.vendor_id, "0x10de");
	assert_int_equal(d.boot_vga, 1);
	assert_int_equal(d.sriov_total_vfs, 65535);
	assert_int_equal(d.sriov_num_vfs, 0);
	assert_int_equal(d.numa_node, 4095);
	assert_int_equal(d.iommu_group, 0);
	assert_string_equal(d.driver, "vfio-pci");
	assert_string_equal(d.driver_override, "vfio-pci");
	assert_string_equal(d.reset_methods, "flr af_flr pm bus device_specific cxl_bus");
	assert_string_equal(d.class_id, "0x030000");
}

static void test_sysfs_scan_boot_vga_only_for_vga_class(void **state)
{
	struct fixture *fx = *state;
	/* The kernel shows boot_vga on VGA-class functions only (pci_is_vga()). */
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0",
				       DEV_DEFAULTS,
				       .class = "0x030200\n",
				       .boot_vga = "1\n" };
	struct pd_device d;

	fx_add_device(fx, &spec);
	read_one(fx, "0000:00:02.0", &d);
	assert_int_equal(d.boot_vga, -1);
}

static void test_sysfs_read_attr_with_nul_byte_is_unknown(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	struct pd_device d;

	fx_add_device(fx, &spec);
	fx_write_n(fx, "devices/pci0000:00/0000:00:02.0/vendor", "0x8086\0\n", 8);
	fx_write_n(fx, "devices/pci0000:00/0000:00:02.0/driver_override", "ab\0cd\n", 6);
	read_one(fx, "0000:00:02.0", &d);
	assert_string_equal(d.vendor_id, "");
	assert_string_equal(d.driver_override, "");
	assert_string_equal(d.device_id, "0x1521");
}

static void test_sysfs_read_huge_attr_is_unknown(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	char big[8192];
	struct pd_device d;

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fx_add_device(fx, &spec);
	fx_write(fx, "devices/pci0000:00/0000:00:02.0/numa_node", big);
	memset(big, 'f', sizeof(big) - 1);
	memcpy(big, "flr ", 4);
	fx_write(fx, "devices/pci0000:00/0000:00:02.0/reset_method", big);
	read_one(fx, "0000:00:02.0", &d);
	assert_int_equal(d.numa_node, -1);
	assert_string_equal(d.reset_methods, "");
}

static void test_sysfs_scan_skips_non_address_entries(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	static const char *const bad[] = {
		"0000:00:02.0.bak", "0000:00:2A.0",  "00:02.0",
		"00000:00:02.0",    "0000:00:20.0",  "0000:00:02.8",
		"banana",	    "0000:00:02.0 ", ".hidden",
	};
	struct pd_device *devs = NULL;
	size_t n = 0;

	fx_add_device(fx, &spec);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rel[PATH_MAX];

		/* Same content as the real device: only the name makes it odd. */
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bad[i]);
		fx_symlink(fx, "../../../devices/pci0000:00/0000:00:02.0", rel);
	}
	fx_write(fx, "bus/pci/devices/0000:00:03.0-file", "x");
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].address, "0000:00:02.0");
	free_devs(devs, n);
}

static void test_sysfs_scan_skips_dangling_and_non_directory(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	struct pd_device *devs = NULL;
	struct pd_device d;
	size_t n = 0;

	fx_add_device(fx, &spec);
	/* A device removed between readdir and open looks like this. */
	fx_symlink(fx, "../../../devices/pci0000:00/0000:00:05.0", "bus/pci/devices/0000:00:05.0");
	/* A regular file where a device directory should be. */
	fx_write(fx, "bus/pci/devices/0000:00:06.0", "0x8086\n");
	/* A link to a file. */
	fx_symlink(fx, "../../../devices/pci0000:00/0000:00:02.0/vendor",
		   "bus/pci/devices/0000:00:07.0");
	scan(fx, 1, &devs, &n);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].address, "0000:00:02.0");
	free_devs(devs, n);

	assert_int_equal(sysfs_pci_read_device(fx->s, "0000:00:05.0", &d), -ENOENT);
	assert_int_equal(sysfs_pci_read_device(fx->s, "0000:00:06.0", &d), -ENOENT);
	assert_int_equal(sysfs_pci_read_device(fx->s, "0000:00:07.0", &d), -ENOENT);
}

static void test_sysfs_scan_sorts_by_address(void **state)
{
	struct fixture *fx = *state;
	static const char *const paths[] = {
		"pci0001:00/0001:00:00.0", "pci0000:00/0000:00:1f.3", "pci0000:80/0000:80:00.0",
		"pci0000:00/0000:00:02.0", "pci0000:00/0000:00:1f.0", "pci0000:00/0000:00:00.0",
	};
	static const char *const sorted[] = {
		"0000:00:00.0", "0000:00:02.0", "0000:00:1f.0",
		"0000:00:1f.3", "0000:80:00.0", "0001:00:00.0",
	};
	struct pd_device *devs = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const struct dev_spec spec = { .path = paths[i], DEV_DEFAULTS };

		fx_add_device(fx, &spec);
	}
	scan(fx, 2, &devs, &n);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(devs[i].address, sorted[i]);
	free_devs(devs, n);
}

static void test_sysfs_scan_empty_bus_gives_no_devices(void **state)
{
	struct fixture *fx = *state;
	struct pd_device *devs = NULL;
	size_t n = 1234;

	scan(fx, 2, &devs, &n);
	assert_int_equal(n, 0);
	free(devs);
}

static void test_sysfs_scan_without_pci_bus_fails_untouched(void **state)
{
	struct fixture *fx = *state;
	struct pd_device *devs = (struct pd_device *)0x1;
	struct sysfs *s = NULL;
	char p[PATH_MAX];
	size_t n = 1234;

	fx_path(fx, p, "kernel");
	mkdir_p(p);
	assert_int_equal(sysfs_new(p, &s), 0);
	assert_int_equal(sysfs_pci_scan(s, 1, &devs, &n), -ENOENT);
	assert_ptr_equal(devs, (struct pd_device *)0x1);
	assert_int_equal(n, 1234);
	sysfs_free(s);
}

static void test_sysfs_read_device_missing_is_enoent(void **state)
{
	struct fixture *fx = *state;
	struct pd_device d, before;

	memset(&d, 0xa5, sizeof(d));
	before = d;
	assert_int_equal(sysfs_pci_read_device(fx->s, "0000:00:09.0", &d), -ENOENT);
	assert_memory_equal(&d, &before, sizeof(d)); /* ret_ untouched */
}

static void test_sysfs_read_device_rejects_invalid_address(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = { "../../../etc", "0000:00:02.0/..", "0000:00:02.0\n", "",
					   "0000:00:2A.0", "00:02.0" };
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	struct pd_device d, before;

	fx_add_device(fx, &spec);
	memset(&d, 0xa5, sizeof(d));
	before = d;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sysfs_pci_read_device(fx->s, bad[i], &d), -EINVAL);
	assert_memory_equal(&d, &before, sizeof(d));
}

static void test_sysfs_iommu_group_count_missing_dir_is_zero(void **state)
{
	struct fixture *fx = *state;
	unsigned n = 1234;

	assert_int_equal(sysfs_iommu_group_count(fx->s, &n), 0);
	assert_int_equal(n, 0);
}

static void test_sysfs_iommu_group_count_counts_groups(void **state)
{
	struct fixture *fx = *state;
	unsigned n = 1234;

	fx_mkdir(fx, "kernel/iommu_groups");
	assert_int_equal(sysfs_iommu_group_count(fx->s, &n), 0);
	assert_int_equal(n, 0);

	fx_mkdir(fx, "kernel/iommu_groups/0/devices");
	fx_mkdir(fx, "kernel/iommu_groups/1/devices");
	fx_mkdir(fx, "kernel/iommu_groups/12/devices");
	fx_mkdir(fx, "kernel/iommu_groups/banana");
	fx_mkdir(fx, "kernel/iommu_groups/-1");
	assert_int_equal(sysfs_iommu_group_count(fx->s, &n), 0);
	assert_int_equal(n, 3);
}

static void test_sysfs_iommu_group_count_failure_leaves_ret(void **state)
{
	struct fixture *fx = *state;
	unsigned n = 1234;

	fx_write(fx, "kernel/iommu_groups", "not a directory\n");
	assert_int_equal(sysfs_iommu_group_count(fx->s, &n), -ENOTDIR);
	assert_int_equal(n, 1234);
}

/* Enough devices of every kind to split over threads in uneven chunks. */
static void build_mixed_tree(struct fixture *fx, unsigned nbus)
{
	for (unsigned bus = 1; bus <= nbus; bus++) {
		char bridge[64];

		snprintf(bridge, sizeof(bridge), "pci0000:00/0000:00:%02x.0", bus % 32);
		if (bus <= 32) {
			const struct dev_spec b = { .path = bridge,
						    DEV_DEFAULTS,
						    .class = "0x060400\n",
						    .driver = "pcieport",
						    .group = (int)bus };
			fx_add_device(fx, &b);
		}
		for (unsigned fn = 0; fn < 8; fn++) {
			char path[128], pf[16];
			const struct dev_spec d = {
				.path = path,
				DEV_DEFAULTS,
				.group = (int)(100 + bus * 8 + fn),
				.driver = fn % 3 == 2 ? NULL : "mlx5_core",
				.physfn = fn ? pf : NULL,
				.sriov_totalvfs = fn ? NULL : "127\n",
				.sriov_numvfs = fn ? NULL : "7\n",
				.numa_node = bus % 2 ? "1\n" : "-1\n",
			};

			snprintf(path, sizeof(path), "%s/0000:%02x:00.%u", bridge, bus, fn);
			snprintf(pf, sizeof(pf), "0000:%02x:00.0", bus);
			fx_add_device(fx, &d);
		}
	}
}

static void test_sysfs_scan_threads_match_single_thread(void **state)
{
	struct fixture *fx = *state;
	static const unsigned threads[] = { 0, 2, 3, 7, 64, 1000 };
	struct pd_device *one = NULL;
	size_t n1 = 0;

	build_mixed_tree(fx, 24);
	scan(fx, 1, &one, &n1);
	assert_int_equal(n1, 24 + 24 * 8);

	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		struct pd_device *many = NULL;
		size_t n = 0;

		print_message("# %u threads\n", threads[i]);
		scan(fx, threads[i], &many, &n);
		assert_int_equal(n, n1);
		assert_memory_equal(many, one, n * sizeof(*one));
		free_devs(many, n);
	}

	/* Spot-check the tree was read, not just read identically. */
	assert_string_equal(find(one, n1, "0000:05:00.3")->physfn, "0000:05:00.0");
	assert_string_equal(find(one, n1, "0000:05:00.3")->parent, "0000:00:05.0");
	assert_int_equal(find(one, n1, "0000:05:00.0")->sriov_total_vfs, 127);
	free_devs(one, n1);
}

static void test_sysfs_scan_closes_every_fd(void **state)
{
	struct fixture *fx = *state;
	struct pd_device *devs = NULL;
	struct pd_device d;
	unsigned before;
	size_t n = 0;

	build_mixed_tree(fx, 4);
	before = count_fds();
	scan(fx, 2, &devs, &n);
	free_devs(devs, n);
	read_one(fx, "0000:01:00.1", &d);
	assert_int_equal(sysfs_pci_read_device(fx->s, "0000:09:00.0", &d), -ENOENT);
	assert_int_equal(count_fds(), before);
}

static void test_sysfs_scan_reads_relative_root(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	struct pd_device *devs = NULL;
	struct sysfs *s = NULL;
	char cwd[PATH_MAX];
	size_t n = 0;

	fx_add_device(fx, &spec);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->root), 0);
	assert_int_equal(sysfs_new(".", &s), 0);
	/* The root descriptor, not the path, is what counts once opened. */
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(sysfs_pci_scan(s, 1, &devs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].vendor_id, "0x8086");
	free_devs(devs, n);
	sysfs_free(s);
	assert_int_equal(chdir(cwd), 0);
}

static void test_sysfs_device_removed_while_read_is_left_out(void **state)
{
	struct fixture *fx = *state;
	const struct dev_spec spec = { .path = "pci0000:00/0000:00:02.0", DEV_DEFAULTS };
	struct pci_addr a;
	struct pd_device d;
	char p[PATH_MAX];
	int dfd;

	fx_add_device(fx, &spec);
	assert_int_equal(pci_addr_parse("0000:00:02.0", &a), 0);
	fx_path(fx, p, "bus/pci/devices/0000:00:02.0");
	dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);

	/* Only vendor missing while the device stays: kept, vendor unknown. */
	fx_unlink(fx, "devices/pci0000:00/0000:00:02.0/vendor");
	assert_int_equal(sysfs_pci_read_device_at(fx->s->root_fd, dfd, &a, &d), 0);
	assert_string_equal(d.address, "0000:00:02.0");
	assert_string_equal(d.vendor_id, "");
	assert_string_equal(d.device_id, "0x1521");

	/* Hot-unplug after the scan opened the directory: the kernel removes it all. */
	fx_path(fx, p, "devices/pci0000:00/0000:00:02.0");
	assert_int_equal(rm_rf_at(AT_FDCWD, p), 0);
	fx_unlink(fx, "bus/pci/devices/0000:00:02.0");
	assert_int_equal(sysfs_pci_read_device_at(fx->s->root_fd, dfd, &a, &d), -ENOENT);
	close(dfd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_new_missing_root_is_enoent),
		T(test_sysfs_get_root_returns_root),
		T(test_sysfs_scan_reads_normal_device),
		T(test_sysfs_scan_unbound_device_has_empty_driver),
		T(test_sysfs_scan_device_behind_bridge_has_parent),
		T(test_sysfs_scan_reads_sriov_pf_and_vfs),
		T(test_sysfs_scan_missing_attributes_are_unknown),
		T(test_sysfs_scan_odd_values_are_unknown),
		T(test_sysfs_scan_known_values_are_read),
		T(test_sysfs_scan_boot_vga_only_for_vga_class),
		T(test_sysfs_read_attr_with_nul_byte_is_unknown),
		T(test_sysfs_read_huge_attr_is_unknown),
		T(test_sysfs_scan_skips_non_address_entries),
		T(test_sysfs_scan_skips_dangling_and_non_directory),
		T(test_sysfs_scan_sorts_by_address),
		T(test_sysfs_scan_empty_bus_gives_no_devices),
		T(test_sysfs_scan_without_pci_bus_fails_untouched),
		T(test_sysfs_read_device_missing_is_enoent),
		T(test_sysfs_read_device_rejects_invalid_address),
		T(test_sysfs_iommu_group_count_missing_dir_is_zero),
		T(test_sysfs_iommu_group_count_counts_groups),
		T(test_sysfs_iommu_group_count_failure_leaves_ret),
		T(test_sysfs_scan_threads_match_single_thread),
		T(test_sysfs_scan_closes_every_fd),
		T(test_sysfs_scan_reads_relative_root),
		T(test_sysfs_device_removed_while_read_is_left_out),
	};

	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
