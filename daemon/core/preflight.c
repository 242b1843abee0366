/*
 * preflight.c - gather the host's facts through the layers and judge them, check by check.
 *
 * What each check means, and every hint, is documented in docs/preflight.md; keep both in step.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "preflight.h"

#define GRUB_HOWTO \
	"in /etc/default/grub, run update-grub (grub2-mkconfig -o /boot/grub2/grub.cfg on Fedora/RHEL) and reboot"

struct preflight {
	struct sysfs *sysfs;
	struct procfs *procfs;
	char *dev_root;
	char *modules_dir;
};

static const char *const module_names[_PREFLIGHT_MOD_MAX] = {
	[PREFLIGHT_MOD_VFIO] = "vfio",
	[PREFLIGHT_MOD_VFIO_PCI] = "vfio_pci",
	[PREFLIGHT_MOD_VFIO_IOMMU_TYPE1] = "vfio_iommu_type1",
};

const char *preflight_status_to_string(enum preflight_status s)
{
	switch (s) {
	case PREFLIGHT_STATUS_OK:
		return "ok";
	case PREFLIGHT_STATUS_WARN:
		return "warn";
	case PREFLIGHT_STATUS_FAIL:
		return "fail";
	}
	return "fail";
}

const char *preflight_check_id_to_string(enum preflight_check_id id)
{
	switch (id) {
	case PREFLIGHT_CPU_VIRT:
		return "cpu_virt";
	case PREFLIGHT_FIRMWARE_DMAR:
		return "firmware_dmar";
	case PREFLIGHT_IOMMU_ACTIVE:
		return "iommu_active";
	case PREFLIGHT_KERNEL_CMDLINE:
		return "kernel_cmdline";
	case PREFLIGHT_INTERRUPT_REMAPPING:
		return "interrupt_remapping";
	case PREFLIGHT_VFIO_MODULES:
		return "vfio_modules";
	case PREFLIGHT_VFIO_DEV:
		return "vfio_dev";
	case PREFLIGHT_ACS_OVERRIDE:
		return "acs_override";
	case _PREFLIGHT_CHECK_MAX:
		break;
	}
	return "unknown";
}

int preflight_new(struct sysfs *sysfs, struct procfs *procfs, const char *dev_root,
		  const char *modules_dir, struct preflight **ret)
{
	_cleanup_(preflight_freep) struct preflight *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return -ENOMEM;
	pf->sysfs = sysfs;
	pf->procfs = procfs;
	pf->dev_root = strdup(dev_root ? dev_root : "/dev");
	if (!pf->dev_root)
		return -ENOMEM;
	if (modules_dir && !(pf->modules_dir = strdup(modules_dir)))
		return -ENOMEM;
	*ret = TAKE_PTR(pf);
	return 0;
}

void preflight_free(struct preflight *pf)
{
	if (!pf)
		return;
	free(pf->dev_root);
	free(pf->modules_dir);
	free(pf);
}

void preflight_facts_clear(struct preflight_facts *f)
{
	procfs_strv_free(f->cmdline);
	free(f->units);
	*f = (struct preflight_facts){ 0 };
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (streq(*v, s))
			return true;
	return false;
}

int preflight_gather(struct preflight *pf, struct preflight_facts *ret)
{
	struct preflight_facts f = { 0 };
	_cleanup_(procfs_strv_freep) char **mods = NULL;
	_cleanup_free_ char *release = NULL;
	char buf[32];
	int r;

	if (pf->procfs) {
		f.cpuinfo_r = procfs_read_cpuinfo(pf->procfs, &f.cpu);
		f.cmdline_r = procfs_read_cmdline(pf->procfs, &f.cmdline);
		f.modules_r = procfs_read_modules(pf->procfs, &mods);
		r = procfs_read_kernel_release(pf->procfs, &release);
		if (r >= 0)
			snprintf(f.release, sizeof(f.release), "%s", release);
	} else {
		f.cpuinfo_r = f.cmdline_r = f.modules_r = -ENOENT;
	}
	if (f.cmdline_r == -ENOMEM || f.modules_r == -ENOMEM)
		goto oom;

	r = sysfs_host_acpi_table(pf->sysfs, "DMAR", &f.dmar);
	if (r >= 0)
		r = sysfs_host_acpi_table(pf->sysfs, "IVRS", &f.ivrs);
	f.tables_r = r < 0 ? r : 0;
	f.units_r = sysfs_host_iommu_units(pf->sysfs, &f.units, &f.n_units);
	if (f.units_r == -ENOMEM)
		goto oom;
	f.groups_r = sysfs_iommu_group_count(pf->sysfs, &f.groups);

	for (size_t i = 0; i < _PREFLIGHT_MOD_MAX; i++) {
		f.mod[i].loaded = f.modules_r >= 0 && strv_has(mods, module_names[i]);
		(void)sysfs_host_module_present(pf->sysfs, module_names[i], &f.mod[i].sysfs);
		f.mod[i].avail = KMOD_AVAILABILITY_UNKNOWN;
		f.mod[i].avail_r = -ENOENT;
		if (pf->modules_dir && f.release[0])
			f.mod[i].avail_r = kmod_lookup(pf->modules_dir, f.release, module_names[i],
						       &f.mod[i].avail);
		if (f.mod[i].avail_r == -ENOMEM)
			goto oom;
	}
	f.unsafe_r = sysfs_host_module_param(pf->sysfs, "vfio_iommu_type1",
					     "allow_unsafe_interrupts", buf, sizeof(buf));
	f.unsafe_param = f.unsafe_r >= 0 && (streq(buf, "Y") || streq(buf, "1"));

	snprintf(f.dev_root, sizeof(f.dev_root), "%s", pf->dev_root);
	f.dev_r = sysfs_dev_node_mode(pf->dev_root, "vfio/vfio", &f.dev_mode);

	*ret = f;
	return 0;
oom:
	preflight_facts_clear(&f);
	return -ENOMEM;
}

/* ---- the kernel command line ---- */

/* What the words of the command line say about the IOMMU, last word winning as in the kernel. */
struct cmdline_facts {
	int intel_iommu; /* -1 not given, 0 off, 1 on */
	int amd_iommu;	 /* -1 not given, 0 off, 1 given with another option */
	bool iommu_off, iommu_pt;
	bool intremap_off;
	bool unsafe_interrupts;
	const char *acs_override; /* the value, borrowed; NULL when absent */
	char relevant[PREFLIGHT_TEXT_LEN];
};

/* Does the comma-separated list @list hold @opt? */
static bool list_has(const char *list, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *s = list; *s;) {
		const char *c = strchrnul(s, ',');
		if ((size_t)(c - s) == n && memcmp(s, opt, n) == 0)
			return true;
		s = *c ? c + 1 : c;
	}
	return false;
}

static bool truthy(const char *v)
{
	return streq(v, "1") || streq(v, "Y") || streq(v, "y") || streq(v, "on") ||
	       streq(v, "true");
}

static void append(char *buf, size_t size, const char *word)
{
	size_t n = strlen(buf);

	if (n + strlen(word) + 2 >= size)
		return;
	snprintf(buf + n, size - n, "%s%s", n ? " " : "", word);
}

static void cmdline_interpret(char **words, struct cmdline_facts *c)
{
	*c = (struct cmdline_facts){ .intel_iommu = -1, .amd_iommu = -1 };

	for (char **w = words; w && *w; w++) {
		const char *s = *w, *v = strchr(s, '=');
		bool rel = true;

		v = v ? v + 1 : "";
		if (strncmp(s, "intel_iommu=", 12) == 0) {
			if (list_has(v, "off"))
				c->intel_iommu = 0;
			else if (list_has(v, "on"))
				c->intel_iommu = 1;
		} else if (strncmp(s, "amd_iommu=", 10) == 0) {
			c->amd_iommu = list_has(v, "off") ? 0 : 1;
		} else if (strncmp(s, "iommu=", 6) == 0) {
			if (list_has(v, "off"))
				c->iommu_off = true;
			if (list_has(v, "pt"))
				c->iommu_pt = true;
			if (list_has(v, "nopt"))
				c->iommu_pt = false;
		} else if (strncmp(s, "iommu.passthrough=", 18) == 0) {
			c->iommu_pt = truthy(v);
		} else if (strncmp(s, "intremap=", 9) == 0) {
			c->intremap_off = list_has(v, "off");
		} else if (streq(s, "nointremap")) {
			c->intremap_off = true;
		} else if (strncmp(s, "vfio_iommu_type1.allow_unsafe_interrupts=", 41) == 0) {
			c->unsafe_interrupts = truthy(v);
		} else if (strncmp(s, "pcie_acs_override=", 18) == 0) {
			c->acs_override = v;
		} else {
			rel = false;
		}
		if (rel)
			append(c->relevant, sizeof(c->relevant), s);
	}
}

/* ---- the judgement ---- */

static void set(struct preflight_check *c, enum preflight_status st, const char *hint,
		const char *fmt, ...) _printf_(4, 5);

static void set(struct preflight_check *c, enum preflight_status st, const char *hint,
		const char *fmt, ...)
{
	va_list ap;

	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	snprintf(c->hint, sizeof(c->hint), "%s", st == PREFLIGHT_STATUS_OK || !hint ? "" : hint);
}

struct ctx {
	const struct preflight_facts *f;
	struct cmdline_facts cl;
	bool amd; /* judged an AMD host (cpuinfo, else an IVRS table or ivhd units) */
	bool vendor_known;
	bool iommu_active; /* IOMMU groups exist */
	char units[128];   /* "dmar0, dmar1" */
};

static const char *vendor_iommu(const struct ctx *x)
{
	return !x->vendor_known ? "VT-d/AMD-Vi" : x->amd ? "AMD-Vi" : "VT-d";
}

static void judge_cpu(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	const struct procfs_cpuinfo *cpu = &f->cpu;
	const char *flag = x->amd ? "svm" : "vmx";

	if (f->cpuinfo_r < 0 || cpu->cpus == 0) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Check that --proc-root points at the host's /proc (cpuinfo must be readable)",
		    "could not tell: cpuinfo %s",
		    f->cpuinfo_r < 0 ? strerror(-f->cpuinfo_r) : "lists no CPU flags");
		return;
	}
	if (cpu->vmx || cpu->svm) {
		set(c, PREFLIGHT_STATUS_OK, NULL, "%s (%s) on %u CPUs, vendor %s",
		    cpu->vmx ? "VT-x" : "AMD-V", cpu->vmx ? "vmx" : "svm", cpu->cpus,
		    cpu->vendor_id[0] ? cpu->vendor_id : "unknown");
		return;
	}
	if (cpu->hypervisor) {
		set(c, PREFLIGHT_STATUS_WARN,
		    x->amd ?
			    "Enable nested virtualization on the hypervisor (kvm_amd nested=1) and give this VM the host CPU model (-cpu host), or run passd on bare metal" :
			    "Enable nested virtualization on the hypervisor (kvm_intel nested=1) and give this VM the host CPU model (-cpu host), or run passd on bare metal",
		    "no %s flag: this host is itself a virtual machine without nested virtualization; devices can be bound to vfio-pci, but no KVM guest can run here",
		    flag);
		return;
	}
	set(c, PREFLIGHT_STATUS_FAIL,
	    !x->vendor_known ?
		    "Enable hardware virtualization (VT-x or AMD-V) in the firmware setup, then power the machine off and on" :
	    x->amd ?
		    "Enable SVM Mode (AMD-V) in the firmware setup (often under Advanced > CPU Configuration), then power the machine off and on" :
		    "Enable Intel Virtualization Technology (VT-x) in the firmware setup (often under Advanced > CPU Configuration), then power the machine off and on",
	    "no %s flag in cpuinfo: hardware virtualization is disabled in the firmware (or the CPU lacks it), so KVM cannot run guests",
	    flag);
}

static void judge_firmware(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	const char *enable =
		!x->vendor_known ?
			"Enable VT-d (Intel) or the IOMMU / AMD-Vi (AMD) in the firmware setup, then power the machine off and on" :
		x->amd ?
			"Enable the IOMMU (AMD-Vi, sometimes 'AMD I/O Virtualization Technology') in the firmware setup, then power the machine off and on" :
			"Enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup, then power the machine off and on";

	if (f->tables_r < 0) {
		set(c, PREFLIGHT_STATUS_WARN, enable,
		    "could not tell: no firmware/acpi/tables in this sysfs (%s); a copied tree, or a host without ACPI",
		    strerror(-f->tables_r));
		return;
	}
	if (f->dmar || f->ivrs) {
		set(c, PREFLIGHT_STATUS_OK, NULL,
		    "ACPI %s table present: the firmware describes %s", f->dmar ? "DMAR" : "IVRS",
		    f->dmar ? "Intel VT-d" : "AMD-Vi");
		return;
	}
	if (f->units_r >= 0 && f->n_units > 0) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Nothing to do if devices bind: this IOMMU is not described by an ACPI DMAR or IVRS table (virtio-iommu, or a non-x86 IOMMU)",
		    "no ACPI DMAR or IVRS table, yet the kernel has IOMMU units (%s)", x->units);
		return;
	}
	set(c, PREFLIGHT_STATUS_FAIL, enable,
	    "no ACPI DMAR or IVRS table: %s is disabled in the firmware setup (where it is often off by default)",
	    vendor_iommu(x));
}

static void judge_iommu(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	char hint[PREFLIGHT_TEXT_LEN];
	bool units = f->units_r >= 0 && f->n_units > 0;

	if (f->groups_r < 0) {
		set(c, PREFLIGHT_STATUS_WARN, "Check that --sysfs-root points at the host's /sys",
		    "could not tell: kernel/iommu_groups cannot be read (%s)",
		    strerror(-f->groups_r));
		return;
	}
	if (f->groups > 0) {
		set(c, PREFLIGHT_STATUS_OK, NULL, "%u IOMMU groups; units: %s", f->groups,
		    units ? x->units : "none listed in class/iommu");
		return;
	}
	if (units) {
		set(c, PREFLIGHT_STATUS_FAIL,
		    "Look for DMAR or AMD-Vi errors in the kernel log (journalctl -k | grep -iE 'dmar|amd-vi|iommu')",
		    "IOMMU units registered (%s) but no IOMMU groups", x->units);
		return;
	}
	if (f->tables_r >= 0 && !f->dmar && !f->ivrs)
		snprintf(
			hint, sizeof(hint),
			"Enable %s in the firmware setup first (see firmware_dmar), then boot with %s",
			vendor_iommu(x), x->amd ? "amd_iommu not set to off" : "intel_iommu=on");
	else if (x->cl.iommu_off || (!x->amd && x->cl.intel_iommu == 0) ||
		 (x->amd && x->cl.amd_iommu == 0))
		snprintf(hint, sizeof(hint),
			 "Remove %s from GRUB_CMDLINE_LINUX " GRUB_HOWTO " (see kernel_cmdline)",
			 x->cl.iommu_off ? "iommu=off" :
			 x->amd		 ? "amd_iommu=off" :
					   "intel_iommu=off");
	else if (!x->amd)
		snprintf(hint, sizeof(hint),
			 "Add intel_iommu=on to GRUB_CMDLINE_LINUX " GRUB_HOWTO);
	else
		snprintf(
			hint, sizeof(hint),
			"Look for AMD-Vi messages in the kernel log (journalctl -k | grep -i amd-vi); the kernel needs CONFIG_AMD_IOMMU");
	set(c, PREFLIGHT_STATUS_FAIL, hint,
	    "no IOMMU is active: no units in class/iommu and no IOMMU groups, so no device can be passed through");
}

static void judge_cmdline(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	const struct cmdline_facts *cl = &x->cl;
	char hint[PREFLIGHT_TEXT_LEN];
	const char *off = cl->iommu_off			  ? "iommu=off" :
			  !x->amd && cl->intel_iommu == 0 ? "intel_iommu=off" :
			  x->amd && cl->amd_iommu == 0	  ? "amd_iommu=off" :
							    NULL;

	if (f->cmdline_r < 0) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Check that --proc-root points at the host's /proc (cmdline must be readable)",
		    "could not tell: cmdline %s", strerror(-f->cmdline_r));
		return;
	}
	if (off) {
		snprintf(hint, sizeof(hint), "Remove %s from GRUB_CMDLINE_LINUX " GRUB_HOWTO, off);
		set(c, PREFLIGHT_STATUS_FAIL, hint, "%s turns the IOMMU off (%s)", off,
		    cl->relevant);
		return;
	}
	if (!x->amd && cl->intel_iommu != 1 && !x->iommu_active) {
		set(c, PREFLIGHT_STATUS_FAIL,
		    "Add intel_iommu=on (and iommu=pt, which keeps host devices fast) to GRUB_CMDLINE_LINUX " GRUB_HOWTO,
		    "intel_iommu=on is missing, and this kernel does not turn the Intel IOMMU on by itself%s%s",
		    cl->relevant[0] ? "; IOMMU options: " : "", cl->relevant);
		return;
	}
	set(c, PREFLIGHT_STATUS_OK, NULL, "%s%s", cl->relevant[0] ? "IOMMU options: " : "",
	    cl->relevant[0] ? cl->relevant :
			      "no IOMMU options: the kernel's defaults are in effect");
}

static void judge_intremap(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	bool unsafe = f->unsafe_param || x->cl.unsafe_interrupts;
	const char *unsafe_src =
		f->unsafe_param ? "allow_unsafe_interrupts=Y" :
				  "vfio_iommu_type1.allow_unsafe_interrupts=1 on the command line";
	char missing[PREFLIGHT_TEXT_LEN] = "";
	bool unknown = false, vtd = false;

	if (f->units_r < 0 || f->n_units == 0) {
		if (x->iommu_active)
			set(c, PREFLIGHT_STATUS_WARN,
			    "Check that --sysfs-root points at the host's /sys; on a real host class/iommu lists the units",
			    "could not tell: IOMMU groups exist but class/iommu lists no unit to read");
		else
			set(c, PREFLIGHT_STATUS_FAIL,
			    "Make the IOMMU active first (see iommu_active)",
			    "no active IOMMU, so no interrupt remapping");
		return;
	}
	for (size_t i = 0; i < f->n_units; i++) {
		const struct sysfs_iommu_unit *u = &f->units[i];

		if (u->amd)
			continue; /* AMD-Vi remaps interrupts on every unit (amd_iommu_irq_remap) */
		vtd = true;
		if (!u->has_ecap)
			unknown = true;
		else if (!(u->ecap & SYSFS_VTD_ECAP_IR))
			append(missing, sizeof(missing), u->name);
	}
	if (x->cl.intremap_off)
		snprintf(missing, sizeof(missing), "all units (intremap=off on the command line)");
	if (!missing[0] && !unknown) {
		set(c, PREFLIGHT_STATUS_OK, NULL, "interrupt remapping supported by %s%s", x->units,
		    vtd ? " (VT-d ecap bit 3)" : " (AMD-Vi)"); /* the units', not the CPU's */
		return;
	}
	if (!missing[0]) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Check the kernel log for 'Enabled IRQ remapping' (journalctl -k | grep -i remapping)",
		    "could not tell: no readable intel-iommu/ecap under %s%s", x->units,
		    unsafe ? "; unsafe interrupts are allowed anyway" : "");
		return;
	}
	if (unsafe) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Enable interrupt remapping in the firmware setup (part of the VT-d option on most boards, or 'Interrupt Remapping' / 'X2APIC'), then drop allow_unsafe_interrupts; keep it only on a host whose guests you trust",
		    "no interrupt remapping on %s; %s lets devices be assigned anyway, so a guest can forge interrupts (MSI) to the host",
		    missing, unsafe_src);
		return;
	}
	set(c, PREFLIGHT_STATUS_FAIL,
	    "Enable interrupt remapping in the firmware setup (part of the VT-d option on most boards, or 'Interrupt Remapping' / 'X2APIC') and remove any intremap=off from the kernel command line; on a platform without it, and only with trusted guests: echo 'options vfio_iommu_type1 allow_unsafe_interrupts=1' > /etc/modprobe.d/vfio-unsafe.conf, then reload vfio_iommu_type1",
	    "no interrupt remapping on %s: vfio_iommu_type1 refuses to attach devices (\"No interrupt remapping support\")",
	    missing);
}

/* Append "; @list@what" to @buf when @list is not empty. */
static void add_part(char *buf, size_t size, const char *list, const char *what)
{
	size_t n = strlen(buf);

	if (list[0])
		snprintf(buf + n, size - n, "%s%s%s", n ? "; " : "", list, what);
}

static void add_name(char *buf, size_t size, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
}

static void judge_modules(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	char present[160] = "", loadable[160] = "", missing[160] = "", unknown[160] = "";
	char detail[PREFLIGHT_TEXT_LEN] = "", gone[128];

	for (size_t i = 0; i < _PREFLIGHT_MOD_MAX; i++) {
		const char *n = module_names[i];
		char word[64];

		if (f->mod[i].loaded) {
			add_name(present, sizeof(present), n);
		} else if (f->mod[i].sysfs || (f->mod[i].avail_r >= 0 &&
					       f->mod[i].avail == KMOD_AVAILABILITY_BUILTIN)) {
			snprintf(word, sizeof(word), "%s%s", n,
				 f->modules_r >= 0 ? " (built in)" : " (loaded or built in)");
			add_name(present, sizeof(present), word);
		} else if (f->mod[i].avail_r < 0 || f->mod[i].avail == KMOD_AVAILABILITY_UNKNOWN) {
			add_name(unknown, sizeof(unknown), n);
		} else if (f->mod[i].avail == KMOD_AVAILABILITY_LOADABLE) {
			add_name(loadable, sizeof(loadable), n);
		} else {
			add_name(missing, sizeof(missing), n);
		}
	}
	snprintf(gone, sizeof(gone), ": not loaded, and kernel %s has no such module",
		 f->release[0] ? f->release : "(unknown)");
	add_part(detail, sizeof(detail), missing, gone);
	add_part(detail, sizeof(detail), loadable, ": not loaded (modules.dep lists it)");
	add_part(
		detail, sizeof(detail), unknown,
		": not loaded; could not tell whether it can be loaded (no modules directory to look in)");
	add_part(detail, sizeof(detail), present,
		 missing[0] || loadable[0] || unknown[0] ? " there" : "");
	if (missing[0])
		set(c, PREFLIGHT_STATUS_FAIL,
		    "Install the running kernel's modules package (linux-modules-extra-$(uname -r) on Ubuntu), or use a kernel built with CONFIG_VFIO, CONFIG_VFIO_PCI and CONFIG_VFIO_IOMMU_TYPE1",
		    "%s", detail);
	else if (loadable[0] || unknown[0])
		set(c, PREFLIGHT_STATUS_WARN,
		    "Run modprobe vfio-pci (passd does it at start with --load-modules=yes); to load it at every boot: echo vfio-pci > /etc/modules-load.d/vfio-pci.conf",
		    "%s", detail);
	else
		set(c, PREFLIGHT_STATUS_OK, NULL, "%s loaded", detail);
}

static void judge_dev(const struct ctx *x, struct preflight_check *c)
{
	const struct preflight_facts *f = x->f;
	bool vfio_there = f->mod[PREFLIGHT_MOD_VFIO].loaded || f->mod[PREFLIGHT_MOD_VFIO].sysfs;
	bool vfio_missing = !vfio_there && f->mod[PREFLIGHT_MOD_VFIO].avail_r >= 0 &&
			    f->mod[PREFLIGHT_MOD_VFIO].avail == KMOD_AVAILABILITY_MISSING;

	if (f->dev_r == 0) {
		set(c, PREFLIGHT_STATUS_OK, NULL, "%s/vfio/vfio present%s", f->dev_root,
		    S_ISCHR(f->dev_mode) ? "" :
					   " (not a character device: a copied or simulated tree)");
		return;
	}
	if (f->dev_r != -ENOENT && f->dev_r != -ENOTDIR) {
		set(c, PREFLIGHT_STATUS_WARN, "Check that --dev-root points at the host's /dev",
		    "could not tell: %s/vfio/vfio: %s", f->dev_root, strerror(-f->dev_r));
		return;
	}
	set(c, PREFLIGHT_STATUS_FAIL,
	    vfio_there ?
		    "vfio is loaded but its node is missing: check that devtmpfs is mounted on /dev and that udev runs" :
	    vfio_missing ?
		    "Install vfio first (see vfio_modules): its module creates /dev/vfio/vfio" :
		    "Run modprobe vfio-pci (it loads vfio, which creates /dev/vfio/vfio; passd does it at start with --load-modules=yes)",
	    "%s/vfio/vfio is missing: libvirt and QEMU cannot open a VFIO container", f->dev_root);
}

static void judge_acs(const struct ctx *x, struct preflight_check *c)
{
	if (x->f->cmdline_r < 0) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Check that --proc-root points at the host's /proc (cmdline must be readable)",
		    "could not tell: cmdline %s", strerror(-x->f->cmdline_r));
		return;
	}
	if (x->cl.acs_override) {
		set(c, PREFLIGHT_STATUS_WARN,
		    "Remove pcie_acs_override from the kernel command line unless you accept weaker isolation; a slot behind a root port with ACS gives a device a real group of its own",
		    "pcie_acs_override=%s: IOMMU groups are split by a kernel patch, not by the hardware's ACS, so devices in one real group can still reach each other's memory",
		    x->cl.acs_override);
		return;
	}
	set(c, PREFLIGHT_STATUS_OK, NULL, "no pcie_acs_override: IOMMU groups are the hardware's");
}

void preflight_judge(const struct preflight_facts *f, struct preflight_report *ret)
{
	struct preflight_report rep = { .status = PREFLIGHT_STATUS_OK };
	struct ctx x = { .f = f };

	cmdline_interpret(f->cmdline_r >= 0 ? f->cmdline : NULL, &x.cl);
	if (f->cpuinfo_r >= 0 && f->cpu.vendor != PROCFS_CPU_VENDOR_OTHER) {
		x.vendor_known = true;
		x.amd = f->cpu.vendor == PROCFS_CPU_VENDOR_AMD;
	} else if (f->tables_r >= 0 && (f->dmar || f->ivrs)) {
		x.vendor_known = true;
		x.amd = f->ivrs && !f->dmar;
	} else if (f->units_r >= 0 && f->n_units > 0) {
		x.vendor_known = true;
		x.amd = f->units[0].amd || strncmp(f->units[0].name, "ivhd", 4) == 0;
	}
	x.iommu_active = f->groups_r >= 0 && f->groups > 0;
	for (size_t i = 0; f->units_r >= 0 && i < f->n_units; i++) {
		size_t n = strlen(x.units);
		if (n + strlen(f->units[i].name) + 8 >= sizeof(x.units)) {
			snprintf(x.units + n, sizeof(x.units) - n, ", ...");
			break;
		}
		snprintf(x.units + n, sizeof(x.units) - n, "%s%s", n ? ", " : "", f->units[i].name);
	}

	for (int i = 0; i < _PREFLIGHT_CHECK_MAX; i++) {
		struct preflight_check *c = &rep.checks[i];

		c->id = (enum preflight_check_id)i;
		switch (c->id) {
		case PREFLIGHT_CPU_VIRT:
			judge_cpu(&x, c);
			break;
		case PREFLIGHT_FIRMWARE_DMAR:
			judge_firmware(&x, c);
			break;
		case PREFLIGHT_IOMMU_ACTIVE:
			judge_iommu(&x, c);
			break;
		case PREFLIGHT_KERNEL_CMDLINE:
			judge_cmdline(&x, c);
			break;
		case PREFLIGHT_INTERRUPT_REMAPPING:
			judge_intremap(&x, c);
			break;
		case PREFLIGHT_VFIO_MODULES:
			judge_modules(&x, c);
			break;
		case PREFLIGHT_VFIO_DEV:
			judge_dev(&x, c);
			break;
		case PREFLIGHT_ACS_OVERRIDE:
			judge_acs(&x, c);
			break;
		case _PREFLIGHT_CHECK_MAX:
			break;
		}
		rep.counts[c->status]++;
		if (c->status > rep.status)
			rep.status = c->status;
	}
	*ret = rep;
}

int preflight_run(struct preflight *pf, struct preflight_report *ret)
{
	struct preflight_facts f;
	int r = preflight_gather(pf, &f);

	if (r < 0)
		return r;
	preflight_judge(&f, ret);
	preflight_facts_clear(&f);
	return 0;
}

int preflight_load_modules(struct preflight *pf, const char *modprobe)
{
	struct preflight_facts f;
	char err[512];
	int r, status = 0;
	bool there;

	r = preflight_gather(pf, &f);
	if (r < 0)
		return log_error_errno(r, "Cannot read the host's modules: %m");
	there = f.mod[PREFLIGHT_MOD_VFIO_PCI].loaded || f.mod[PREFLIGHT_MOD_VFIO_PCI].sysfs;
	preflight_facts_clear(&f);
	if (there)
		return 0;

	r = kmod_modprobe(modprobe, "vfio-pci", &status, err, sizeof(err));
	if (r < 0)
		return log_warning_errno(
			r, "Cannot run '%s vfio-pci', continuing without vfio-pci: %m", modprobe);
	if (status != 0) {
		log_warning("'%s vfio-pci' exited with status %d, continuing without vfio-pci%s%s",
			    modprobe, status, err[0] ? ": " : "", err);
		return -EIO;
	}
	log_info("Loaded vfio-pci with '%s vfio-pci'", modprobe);
	return 0;
}
