/*
 * preflight.h - the host preflight: is this host able to pass devices through, and if not,
 * what should its operator do? (GET /v1/host, passctl check, docs/preflight.md)
 *
 * Facts are gathered through the layers (procfs: cpuinfo, cmdline, modules, version; sysfs:
 * ACPI tables, IOMMU units, groups, module parameters, /dev/vfio/vfio; kmod: modules.dep), then
 * judged by a pure function into a fixed list of checks, each with a stable id, a status, a
 * detail saying what was seen and, unless it is ok, a hint a person can act on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmod/kmod.h"
#include "macro.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"

struct preflight; /* opaque */

enum preflight_status {
	PREFLIGHT_STATUS_OK,
	PREFLIGHT_STATUS_WARN,
	PREFLIGHT_STATUS_FAIL,
};

/* The checks, in the order they are reported; each has a stable id (preflight_check_id()). */
enum preflight_check_id {
	PREFLIGHT_CPU_VIRT,
	PREFLIGHT_FIRMWARE_DMAR,
	PREFLIGHT_IOMMU_ACTIVE,
	PREFLIGHT_KERNEL_CMDLINE,
	PREFLIGHT_INTERRUPT_REMAPPING,
	PREFLIGHT_VFIO_MODULES,
	PREFLIGHT_VFIO_DEV,
	PREFLIGHT_ACS_OVERRIDE,
	_PREFLIGHT_CHECK_MAX,
};

#define PREFLIGHT_TEXT_LEN 512

struct preflight_check {
	enum preflight_check_id id;
	enum preflight_status status;
	char detail[PREFLIGHT_TEXT_LEN];
	char hint[PREFLIGHT_TEXT_LEN]; /* "" when ok */
};

struct preflight_report {
	struct preflight_check checks[_PREFLIGHT_CHECK_MAX];
	enum preflight_status status; /* the worst of the checks */
	unsigned counts[3];	      /* per status */
};

/* The modules the checks look for, in this order in struct preflight_facts. */
enum preflight_module {
	PREFLIGHT_MOD_VFIO,
	PREFLIGHT_MOD_VFIO_PCI,
	PREFLIGHT_MOD_VFIO_IOMMU_TYPE1,
	_PREFLIGHT_MOD_MAX,
};

/*
 * Everything the judgement looks at. Each *_r is 0 when the fact was read, else the negative
 * errno of the read (the check then says it could not tell). Pointers are owned (see
 * preflight_facts_clear()).
 */
struct preflight_facts {
	int cpuinfo_r;
	struct procfs_cpuinfo cpu;

	int cmdline_r;
	char **cmdline; /* words, NULL-terminated */

	int tables_r; /* firmware/acpi/tables */
	bool dmar, ivrs;

	int units_r; /* class/iommu */
	struct sysfs_iommu_unit *units;
	size_t n_units;

	int groups_r;
	unsigned groups;

	int modules_r; /* /proc/modules */
	struct {
		bool loaded; /* listed in /proc/modules */
		bool sysfs;  /* module/NAME exists (loaded, or built in with parameters) */
		int avail_r; /* kmod_lookup() */
		enum kmod_availability avail;
	} mod[_PREFLIGHT_MOD_MAX];
	char release[80]; /* uname -r as read from version, "" when unknown */

	int unsafe_r; /* module/vfio_iommu_type1/parameters/allow_unsafe_interrupts */
	bool unsafe_param;

	int dev_r; /* DEV/vfio/vfio */
	unsigned dev_mode;
	char dev_root[256];
};

/*
 * A new preflight over the given layers (borrowed: they must outlive it). @procfs may be NULL
 * (no proc root: those checks say they could not tell); @modules_dir may be NULL (no modules
 * directory: whether a missing module could be loaded is unknown). Returns 0 or -ENOMEM.
 */
int preflight_new(struct sysfs *sysfs, struct procfs *procfs, const char *dev_root,
		  const char *modules_dir, struct preflight **ret);
void preflight_free(struct preflight *pf);
DEFINE_FREEP(struct preflight, preflight_free)

/* Read every fact now. Returns 0 (a fact that cannot be read is recorded) or -ENOMEM. */
int preflight_gather(struct preflight *pf, struct preflight_facts *ret);
void preflight_facts_clear(struct preflight_facts *f);

/* Judge @f: pure, never fails, logs nothing. */
void preflight_judge(const struct preflight_facts *f, struct preflight_report *ret);

/* Gather and judge. Returns 0 or -ENOMEM. Logs nothing. */
int preflight_run(struct preflight *pf, struct preflight_report *ret);

/*
 * At start, on a host where passd may load modules: run modprobe vfio-pci when vfio_pci is
 * neither loaded nor built in (it pulls vfio and vfio_iommu_type1 in), through @modprobe
 * ("/sbin/modprobe"). Logs what it did and what came of it, once. Returns 0 when nothing was
 * needed or the module is now there, else a negative errno (the preflight then shows it).
 */
int preflight_load_modules(struct preflight *pf, const char *modprobe);

const char *preflight_status_to_string(enum preflight_status s);
const char *preflight_check_id_to_string(enum preflight_check_id id);
