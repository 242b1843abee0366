/*
 * test-preflight.c - the host preflight: the cpuinfo, modules and version parsers, the ecap and
 * modules.dep lookups, the judgement over hand-made facts (one case per state a check can be
 * in), and a gather over a real tree under mkdtemp() with the kernel's layout
 * (class/iommu/dmar0 -> ../../devices/virtual/iommu/dmar0, intel-iommu/ecap, a root-only DMAR).
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

#include "core/preflight.h"
#include "kmod/kmod.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"

/* ---- parsers ---- */

#define INTEL_CPU(flags)                                                                \
	"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nflags\t\t: " flags \
	"\nbugs\t\t: spectre_v1\n\n"

static void test_preflight_cpuinfo_intel_vmx(void **state)
{
	const char *t = INTEL_CPU("fpu vme vmx smx") INTEL_CPU("fpu vmx");
	struct procfs_cpuinfo c;

	assert_int_equal(procfs_parse_cpuinfo(t, strlen(t), &c), 0);
	assert_int_equal(c.vendor, PROCFS_CPU_VENDOR_INTEL);
	assert_string_equal(c.vendor_id, "GenuineIntel");
	assert_int_equal(c.cpus, 2);
	assert_true(c.vmx);
	assert_false(c.svm);
	assert_false(c.hypervisor);
}

static void test_preflight_cpuinfo_vmx_must_be_on_every_cpu(void **state)
{
	/* "vmx flags" is its own line (5.6+) and must not count as the flags line */
	const char *t = INTEL_CPU("fpu vmx") INTEL_CPU("fpu vmxe") "vmx flags\t: vnmi ept\n";
	struct procfs_cpuinfo c;

	assert_int_equal(procfs_parse_cpuinfo(t, strlen(t), &c), 0);
	assert_int_equal(c.cpus, 2);
	assert_false(c.vmx); /* "vmxe" is not "vmx" */
}

static void test_preflight_cpuinfo_amd_and_hypervisor(void **state)
{
	const char *t =
		"processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm hypervisor\n";
	const char *g = "no colon here\n\n:\nflags:\n";
	struct procfs_cpuinfo c;

	assert_int_equal(procfs_parse_cpuinfo(t, strlen(t), &c), 0);
	assert_int_equal(c.vendor, PROCFS_CPU_VENDOR_AMD);
	assert_true(c.svm);
	assert_true(c.hypervisor);
	assert_int_equal(procfs_parse_cpuinfo(g, strlen(g), &c), 0);
	assert_int_equal(c.vendor, PROCFS_CPU_VENDOR_OTHER);
	assert_int_equal(c.cpus, 1);
	assert_false(c.vmx);
}

static void test_preflight_modules_parse(void **state)
{
	const char *t = "vfio_pci 16384 0 - Live 0x0000000000000000\n"
			"vfio_iommu_type1 45056 0 - Unloading 0x0\n"
			"bad/name 1 0 - Live 0x0\n"
			"vfio 61440 2 vfio_pci,vfio_iommu_type1, Live 0x0\n"
			"kvm_intel";
	char **v = NULL;

	assert_int_equal(procfs_parse_modules(t, strlen(t), &v), 0);
	assert_non_null(v);
	assert_string_equal(v[0], "vfio_pci");
	assert_string_equal(v[1], "vfio");
	assert_string_equal(v[2], "kvm_intel");
	assert_null(v[3]);
	procfs_strv_free(v);
	assert_int_equal(procfs_parse_modules("", 0, &v), 0);
	assert_null(v[0]);
	procfs_strv_free(v);
}

static void test_preflight_version_parse(void **state)
{
	const char *ok = "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc) #1\n";
	char *rel = NULL;

	assert_int_equal(procfs_parse_version(ok, strlen(ok), &rel), 0);
	assert_string_equal(rel, "6.1.0-13-amd64");
	free(rel);
	rel = NULL;
	assert_int_equal(procfs_parse_version("Linux version ../x y", 20, &rel), -EINVAL);
	assert_int_equal(procfs_parse_version("Linux version .. y", 17, &rel), -EINVAL);
	assert_int_equal(procfs_parse_version("FreeBSD 14", 10, &rel), -EINVAL);
	assert_int_equal(procfs_parse_version("Linux version ", 14, &rel), -EINVAL);
	assert_null(rel);
}

static void test_preflight_ecap_hex(void **state)
{
	uint64_t v = 7;

	/* QEMU's intel-iommu with intremap=on, and one without IR */
	assert_int_equal(sysfs_parse_hex64("f0205e", &v), 0);
	assert_true(v & SYSFS_VTD_ECAP_IR);
	assert_int_equal(sysfs_parse_hex64("F0205E", &v), 0);
	assert_int_equal(v, 0xf0205e);
	assert_int_equal(sysfs_parse_hex64("f02056", &v), 0);
	assert_false(v & SYSFS_VTD_ECAP_IR);
	assert_int_equal(sysfs_parse_hex64("19e2ff0505e", &v), 0);
	assert_int_equal(v, 0x19e2ff0505eULL);
	v = 7;
	assert_int_equal(sysfs_parse_hex64("0x1", &v), -EINVAL);
	assert_int_equal(sysfs_parse_hex64("", &v), -EINVAL);
	assert_int_equal(sysfs_parse_hex64("11112222333344445", &v), -EINVAL);
	assert_int_equal(sysfs_parse_hex64("12 ", &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_preflight_kmod_lookup_text(void **state)
{
	const char *dep =
		"kernel/drivers/vfio/pci/vfio-pci.ko.zst: kernel/drivers/vfio/pci/vfio-pci-core.ko.zst\n"
		"kernel/drivers/vfio/vfio_iommu_type1.ko:\n"
		"/lib/modules/6.1/kernel/foo/bar.ko.xz:\n";
	const char *builtin = "kernel/drivers/vfio/vfio.ko\n";

	assert_int_equal(kmod_lookup_text(builtin, strlen(builtin), dep, strlen(dep), "vfio_pci"),
			 KMOD_AVAILABILITY_LOADABLE);
	assert_int_equal(kmod_lookup_text(builtin, strlen(builtin), dep, strlen(dep), "vfio-pci"),
			 KMOD_AVAILABILITY_LOADABLE);
	assert_int_equal(kmod_lookup_text(builtin, strlen(builtin), dep, strlen(dep), "vfio"),
			 KMOD_AVAILABILITY_BUILTIN);
	assert_int_equal(kmod_lookup_text(NULL, 0, dep, strlen(dep), "bar"),
			 KMOD_AVAILABILITY_LOADABLE);
	/* a dependency named after the colon is not a listing of its own */
	assert_int_equal(kmod_lookup_text(NULL, 0, dep, strlen(dep), "vfio_pci_core"),
			 KMOD_AVAILABILITY_MISSING);
	assert_int_equal(kmod_lookup_text(NULL, 0, NULL, 0, "vfio"), KMOD_AVAILABILITY_MISSING);
}

/* ---- the judgement ---- */

/* The command lines below are string literals in arrays of char * (as procfs returns them). */
#define W(s) ((char *)(s))

/* A ready Intel host: every check ok. */
static void good_intel(struct preflight_facts *f, char **cmdline, struct sysfs_iommu_unit *u)
{
	*f = (struct preflight_facts){ 0 };
	f->cpu = (struct procfs_cpuinfo){ .vendor = PROCFS_CPU_VENDOR_INTEL,
					  .vendor_id = "GenuineIntel",
					  .cpus = 4,
					  .vmx = true };
	f->cmdline = cmdline;
	f->dmar = true;
	*u = (struct sysfs_iommu_unit){
		.name = "dmar0", .intel = true, .has_ecap = true, .ecap = 0xf0205e
	};
	f->units = u;
	f->n_units = 1;
	f->groups = 12;
	for (int i = 0; i < _PREFLIGHT_MOD_MAX; i++) {
		f->mod[i].loaded = f->mod[i].sysfs = true;
		f->mod[i].avail = KMOD_AVAILABILITY_LOADABLE;
	}
	snprintf(f->release, sizeof(f->release), "6.1.0-13-amd64");
	f->unsafe_r = -ENOENT;
	f->dev_mode = S_IFCHR | 0666;
	snprintf(f->dev_root, sizeof(f->dev_root), "/dev");
}

static const struct preflight_check *check(const struct preflight_report *r,
					   enum preflight_check_id id)
{
	return &r->checks[id];
}

/* Every status but ok carries a hint; ok carries none. */
static void assert_hints(const struct preflight_report *r)
{
	for (int i = 0; i < _PREFLIGHT_CHECK_MAX; i++) {
		assert_int_equal(r->checks[i].id, i);
		assert_true(r->checks[i].detail[0]);
		if (r->checks[i].status == PREFLIGHT_STATUS_OK)
			assert_false(r->checks[i].hint[0]);
		else
			assert_true(r->checks[i].hint[0]);
	}
}

static void test_preflight_judge_ready_host(void **state)
{
	char *cl[] = { W("BOOT_IMAGE=/vmlinuz"), W("intel_iommu=on"), W("iommu=pt"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	preflight_judge(&f, &r);
	assert_hints(&r);
	for (int i = 0; i < _PREFLIGHT_CHECK_MAX; i++)
		assert_int_equal(r.checks[i].status, PREFLIGHT_STATUS_OK);
	assert_int_equal(r.status, PREFLIGHT_STATUS_OK);
	assert_int_equal(r.counts[PREFLIGHT_STATUS_OK], _PREFLIGHT_CHECK_MAX);
	assert_non_null(
		strstr(check(&r, PREFLIGHT_KERNEL_CMDLINE)->detail, "intel_iommu=on iommu=pt"));
	assert_string_equal(preflight_check_id_to_string(PREFLIGHT_INTERRUPT_REMAPPING),
			    "interrupt_remapping");
}

static void test_preflight_judge_firmware_off(void **state)
{
	char *cl[] = { W("quiet"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	f.dmar = false;
	f.n_units = 0;
	f.groups = 0;
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_FIRMWARE_DMAR)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_FIRMWARE_DMAR)->hint, "Enable VT-d"));
	assert_int_equal(check(&r, PREFLIGHT_IOMMU_ACTIVE)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_IOMMU_ACTIVE)->hint, "firmware"));
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(
		strstr(check(&r, PREFLIGHT_KERNEL_CMDLINE)->hint, "intel_iommu=on (and iommu=pt"));
	assert_non_null(strstr(check(&r, PREFLIGHT_KERNEL_CMDLINE)->hint, "update-grub"));
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_FAIL);
	assert_int_equal(r.status, PREFLIGHT_STATUS_FAIL);
	assert_int_equal(r.counts[PREFLIGHT_STATUS_FAIL], 4);
}

static void test_preflight_judge_cmdline_off(void **state)
{
	char *cl[] = { W("intel_iommu=on"), W("intel_iommu=off"), NULL }; /* the last one wins */
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	f.n_units = 0;
	f.groups = 0;
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_FIRMWARE_DMAR)->status, PREFLIGHT_STATUS_OK);
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(
		strstr(check(&r, PREFLIGHT_KERNEL_CMDLINE)->hint, "Remove intel_iommu=off"));
	assert_non_null(strstr(check(&r, PREFLIGHT_IOMMU_ACTIVE)->hint, "Remove intel_iommu=off"));
}

static void test_preflight_judge_default_on_kernel(void **state)
{
	char *cl[] = { W("quiet"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	/* no intel_iommu=on, but groups exist: CONFIG_INTEL_IOMMU_DEFAULT_ON */
	good_intel(&f, cl, &u);
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_OK);
	assert_non_null(strstr(check(&r, PREFLIGHT_KERNEL_CMDLINE)->detail, "defaults"));
}

static void test_preflight_judge_interrupt_remapping(void **state)
{
	char *cl[] = { W("intel_iommu=on"), NULL };
	char *cl_unsafe[] = { W("intel_iommu=on"), W("vfio_iommu_type1.allow_unsafe_interrupts=1"),
			      NULL };
	char *cl_off[] = { W("intel_iommu=on"), W("intremap=off"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	u.ecap &= ~SYSFS_VTD_ECAP_IR;
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->detail, "dmar0"));
	assert_non_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->hint,
			       "allow_unsafe_interrupts=1"));

	f.unsafe_r = 0;
	f.unsafe_param = true;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_WARN);
	assert_int_equal(r.status, PREFLIGHT_STATUS_WARN);

	f.unsafe_param = false;
	f.cmdline = cl_unsafe;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_WARN);

	/* the hardware has it, the command line turned it off */
	good_intel(&f, cl_off, &u);
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->detail, "intremap=off"));

	/* an unreadable ecap: could not tell */
	good_intel(&f, cl, &u);
	u.has_ecap = false;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->detail, "could not tell"));
}

static void test_preflight_judge_amd_host(void **state)
{
	char *cl[] = { W("amd_iommu=on"), W("iommu=pt"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	f.cpu = (struct procfs_cpuinfo){
		.vendor = PROCFS_CPU_VENDOR_AMD, .vendor_id = "AuthenticAMD", .cpus = 8, .svm = true
	};
	f.dmar = false;
	f.ivrs = true;
	u = (struct sysfs_iommu_unit){ .name = "ivhd0", .amd = true };
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(r.status, PREFLIGHT_STATUS_OK);
	assert_non_null(strstr(check(&r, PREFLIGHT_CPU_VIRT)->detail, "svm"));
	assert_non_null(strstr(check(&r, PREFLIGHT_FIRMWARE_DMAR)->detail, "IVRS"));

	/* AMD without svm: the AMD hint */
	f.cpu.svm = false;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_CPU_VIRT)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_CPU_VIRT)->hint, "SVM Mode"));
	/* amd_iommu=off */
	f.cpu.svm = true;
	cl[0] = W("amd_iommu=off");
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_FAIL);
}

static void test_preflight_judge_cpu_in_a_vm(void **state)
{
	char *cl[] = { W("intel_iommu=on"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	f.cpu.vmx = false;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_CPU_VIRT)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_CPU_VIRT)->hint, "VT-x"));
	f.cpu.hypervisor = true;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_CPU_VIRT)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(strstr(check(&r, PREFLIGHT_CPU_VIRT)->hint, "nested"));
	f.cpuinfo_r = -ENOENT;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_CPU_VIRT)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(strstr(check(&r, PREFLIGHT_CPU_VIRT)->detail, "could not tell"));
}

static void test_preflight_judge_modules(void **state)
{
	char *cl[] = { W("intel_iommu=on"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	/* built in: module/NAME exists, /proc/modules does not list it */
	f.mod[PREFLIGHT_MOD_VFIO].loaded = false;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_OK);
	assert_non_null(strstr(check(&r, PREFLIGHT_VFIO_MODULES)->detail, "vfio (built in)"));

	/* not loaded, loadable */
	f.mod[PREFLIGHT_MOD_VFIO_PCI].loaded = f.mod[PREFLIGHT_MOD_VFIO_PCI].sysfs = false;
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(strstr(check(&r, PREFLIGHT_VFIO_MODULES)->hint, "modprobe vfio-pci"));

	/* no modules directory: could not tell */
	f.mod[PREFLIGHT_MOD_VFIO_PCI].avail_r = -ENOENT;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(strstr(check(&r, PREFLIGHT_VFIO_MODULES)->detail, "could not tell"));

	/* not there at all */
	f.mod[PREFLIGHT_MOD_VFIO_PCI].avail_r = 0;
	f.mod[PREFLIGHT_MOD_VFIO_PCI].avail = KMOD_AVAILABILITY_MISSING;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_VFIO_MODULES)->detail, "6.1.0-13-amd64"));

	/* /dev/vfio/vfio: missing, then a regular file (a simulated tree) */
	f.dev_r = -ENOENT;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_DEV)->status, PREFLIGHT_STATUS_FAIL);
	f.dev_r = 0;
	f.dev_mode = S_IFREG | 0644;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_DEV)->status, PREFLIGHT_STATUS_OK);
	assert_non_null(strstr(check(&r, PREFLIGHT_VFIO_DEV)->detail, "simulated"));
}

static void test_preflight_judge_acs_override(void **state)
{
	char *cl[] = { W("intel_iommu=on"), W("pcie_acs_override=downstream,multifunction"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	good_intel(&f, cl, &u);
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_ACS_OVERRIDE)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(
		strstr(check(&r, PREFLIGHT_ACS_OVERRIDE)->detail, "downstream,multifunction"));
	assert_int_equal(r.status, PREFLIGHT_STATUS_WARN);
	f.cmdline_r = -EACCES;
	preflight_judge(&f, &r);
	assert_int_equal(check(&r, PREFLIGHT_ACS_OVERRIDE)->status, PREFLIGHT_STATUS_WARN);
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_WARN);
}

static void test_preflight_judge_copied_tree(void **state)
{
	char *cl[] = { W("intel_iommu=on"), NULL };
	struct sysfs_iommu_unit u;
	struct preflight_facts f;
	struct preflight_report r;

	/* a plain copy of a real /sys/bus/pci: groups, but no firmware/ and no class/iommu */
	good_intel(&f, cl, &u);
	f.tables_r = -ENOENT;
	f.units_r = -ENOENT;
	f.n_units = 0;
	preflight_judge(&f, &r);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_FIRMWARE_DMAR)->status, PREFLIGHT_STATUS_WARN);
	assert_int_equal(check(&r, PREFLIGHT_IOMMU_ACTIVE)->status, PREFLIGHT_STATUS_OK);
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_WARN);
}

/* ---- gather on a real tree ---- */

struct fixture {
	char root[64];
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

static void put(const struct fixture *fx, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void link_at(const struct fixture *fx, const char *rel, const char *target)
{
	char path[PATH_MAX], dir[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char p[PATH_MAX];

	snprintf(fx->root, sizeof(fx->root), "/tmp/test-preflight.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	/* sys/: the layout of a Linux 6.1 host with VT-d */
	put(fx, "sys/firmware/acpi/tables/DMAR", "binary", 0400);
	put(fx, "sys/firmware/acpi/tables/APIC", "binary", 0400);
	put(fx, "sys/devices/virtual/iommu/dmar0/intel-iommu/ecap", "f0205e\n", 0444);
	put(fx, "sys/devices/virtual/iommu/dmar0/intel-iommu/cap", "d2008c22260286\n", 0444);
	put(fx, "sys/devices/virtual/iommu/dmar1/intel-iommu/ecap", "f02056\n", 0444);
	link_at(fx, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	link_at(fx, "sys/class/iommu/dmar1", "../../devices/virtual/iommu/dmar1");
	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/0/devices", fx->root);
	mkdir_p(p);
	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/1/devices", fx->root);
	mkdir_p(p);
	put(fx, "sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n", 0644);
	put(fx, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "N\n", 0644);
	/* proc/ */
	put(fx, "proc/cpuinfo", INTEL_CPU("fpu vmx"), 0444);
	put(fx, "proc/cmdline", "BOOT_IMAGE=/vmlinuz intel_iommu=on\n", 0444);
	put(fx, "proc/modules",
	    "vfio_iommu_type1 45056 0 - Live 0x0\nvfio 61440 1 vfio_iommu_type1, Live 0x0\n", 0444);
	put(fx, "proc/version", "Linux version 6.1.0-13-amd64 (x) #1\n", 0444);
	/* lib/modules and dev/ */
	put(fx, "lib/modules/6.1.0-13-amd64/modules.dep",
	    "kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/vfio.ko\n", 0644);
	put(fx, "dev/vfio/vfio", "", 0666);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void test_preflight_gather_real_layout(void **state)
{
	struct fixture *fx = *state;
	_cleanup_(sysfs_freep) struct sysfs *s = NULL;
	_cleanup_(procfs_freep) struct procfs *p = NULL;
	_cleanup_(preflight_freep) struct preflight *pf = NULL;
	struct preflight_facts f;
	struct preflight_report r;
	char sys[PATH_MAX], proc[PATH_MAX], dev[PATH_MAX], mods[PATH_MAX];

	snprintf(sys, sizeof(sys), "%s/sys", fx->root);
	snprintf(proc, sizeof(proc), "%s/proc", fx->root);
	snprintf(dev, sizeof(dev), "%s/dev", fx->root);
	snprintf(mods, sizeof(mods), "%s/lib/modules", fx->root);
	assert_int_equal(sysfs_new(sys, &s), 0);
	assert_int_equal(procfs_new(proc, &p), 0);
	assert_int_equal(preflight_new(s, p, dev, mods, &pf), 0);

	assert_int_equal(preflight_gather(pf, &f), 0);
	assert_int_equal(f.tables_r, 0);
	assert_true(f.dmar);
	assert_false(f.ivrs);
	assert_int_equal(f.units_r, 0);
	assert_int_equal(f.n_units, 2);
	assert_string_equal(f.units[0].name, "dmar0");
	assert_true(f.units[0].intel);
	assert_true(f.units[0].has_ecap);
	assert_int_equal(f.units[0].ecap, 0xf0205e);
	assert_int_equal(f.groups, 2);
	assert_true(f.mod[PREFLIGHT_MOD_VFIO].loaded);
	assert_false(f.mod[PREFLIGHT_MOD_VFIO_PCI].loaded);
	assert_int_equal(f.mod[PREFLIGHT_MOD_VFIO_PCI].avail, KMOD_AVAILABILITY_LOADABLE);
	assert_string_equal(f.release, "6.1.0-13-amd64");
	assert_int_equal(f.unsafe_r, 0);
	assert_false(f.unsafe_param);
	assert_int_equal(f.dev_r, 0);
	preflight_facts_clear(&f);

	assert_int_equal(preflight_run(pf, &r), 0);
	assert_int_equal(check(&r, PREFLIGHT_FIRMWARE_DMAR)->status, PREFLIGHT_STATUS_OK);
	assert_int_equal(check(&r, PREFLIGHT_IOMMU_ACTIVE)->status, PREFLIGHT_STATUS_OK);
	/* dmar1's ecap has no IR bit */
	assert_int_equal(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->status, PREFLIGHT_STATUS_FAIL);
	assert_non_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->detail, "dmar1"));
	assert_null(strstr(check(&r, PREFLIGHT_INTERRUPT_REMAPPING)->detail, "dmar0"));
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_WARN);
	assert_int_equal(check(&r, PREFLIGHT_VFIO_DEV)->status, PREFLIGHT_STATUS_OK);
}

static void test_preflight_gather_without_proc_or_modules(void **state)
{
	struct fixture *fx = *state;
	_cleanup_(sysfs_freep) struct sysfs *s = NULL;
	_cleanup_(preflight_freep) struct preflight *pf = NULL;
	struct preflight_report r;
	char sys[PATH_MAX];

	snprintf(sys, sizeof(sys), "%s/sys", fx->root);
	assert_int_equal(sysfs_new(sys, &s), 0);
	assert_int_equal(preflight_new(s, NULL, "/nonexistent-dev", NULL, &pf), 0);
	assert_int_equal(preflight_run(pf, &r), 0);
	assert_hints(&r);
	assert_int_equal(check(&r, PREFLIGHT_CPU_VIRT)->status, PREFLIGHT_STATUS_WARN);
	assert_int_equal(check(&r, PREFLIGHT_KERNEL_CMDLINE)->status, PREFLIGHT_STATUS_WARN);
	/* module/vfio exists, so vfio counts as loaded or built in; vfio_pci is unknown */
	assert_int_equal(check(&r, PREFLIGHT_VFIO_MODULES)->status, PREFLIGHT_STATUS_WARN);
	assert_non_null(
		strstr(check(&r, PREFLIGHT_VFIO_MODULES)->detail, "vfio (loaded or built in)"));
	/* /nonexistent-dev: the node is missing, which is a fail, not "could not tell" */
	assert_int_equal(check(&r, PREFLIGHT_VFIO_DEV)->status, PREFLIGHT_STATUS_FAIL);
}

static void test_preflight_modprobe_runs_a_program(void **state)
{
	char err[64];
	int status = -1;

	/* /bin/false stands in for modprobe: it runs, and its status comes back */
	assert_int_equal(kmod_modprobe("/bin/false", "vfio-pci", &status, err, sizeof(err)), 0);
	assert_int_equal(status, 1);
	assert_int_equal(kmod_modprobe("/bin/true", "vfio-pci", &status, err, sizeof(err)), 0);
	assert_int_equal(status, 0);
	assert_int_equal(
		kmod_modprobe("/nonexistent/modprobe", "vfio-pci", &status, err, sizeof(err)),
		-ENOENT);
	assert_int_equal(kmod_modprobe("/bin/true", "../x", &status, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preflight_cpuinfo_intel_vmx),
		cmocka_unit_test(test_preflight_cpuinfo_vmx_must_be_on_every_cpu),
		cmocka_unit_test(test_preflight_cpuinfo_amd_and_hypervisor),
		cmocka_unit_test(test_preflight_modules_parse),
		cmocka_unit_test(test_preflight_version_parse),
		cmocka_unit_test(test_preflight_ecap_hex),
		cmocka_unit_test(test_preflight_kmod_lookup_text),
		cmocka_unit_test(test_preflight_judge_ready_host),
		cmocka_unit_test(test_preflight_judge_firmware_off),
		cmocka_unit_test(test_preflight_judge_cmdline_off),
		cmocka_unit_test(test_preflight_judge_default_on_kernel),
		cmocka_unit_test(test_preflight_judge_interrupt_remapping),
		cmocka_unit_test(test_preflight_judge_amd_host),
		cmocka_unit_test(test_preflight_judge_cpu_in_a_vm),
		cmocka_unit_test(test_preflight_judge_modules),
		cmocka_unit_test(test_preflight_judge_acs_override),
		cmocka_unit_test(test_preflight_judge_copied_tree),
		cmocka_unit_test_setup_teardown(test_preflight_gather_real_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preflight_gather_without_proc_or_modules,
						setup, teardown),
		cmocka_unit_test(test_preflight_modprobe_runs_a_program),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
