/*
 * sysfs.h - the only code in passd that touches sysfs (and, later, /dev/vfio).
 *
 * Every path is relative to the root given to sysfs_new() ("/sys" in production, a simulated
 * tree or a plain copy of a real host's sysfs in tests) and is opened with openat() on that
 * root's descriptor. No path is ever built from unvalidated input: addresses must pass
 * pci_addr_is_valid(). Functions return 0 on success and a negative errno on failure, and never
 * log above debug level: the caller decides what a failure means.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pd-device.h"

struct sysfs; /* opaque */

/* Open @root (a directory). Returns 0, -ENOENT/-ENOTDIR/-EACCES, or -ENOMEM. */
int sysfs_new(const char *root, struct sysfs **ret);
void sysfs_free(struct sysfs *s);
DEFINE_FREEP(struct sysfs, sysfs_free)

/* The root as given to sysfs_new(); borrowed. */
const char *sysfs_get_root(const struct sysfs *s);

/*
 * Read every PCI function under bus/pci/devices into a new array sorted by address, using up to
 * @nthreads threads (0 or 1: the calling thread only). Entries whose name is not a canonical
 * address are skipped. A device that vanishes mid-scan is left out. Missing or malformed
 * attributes leave the field "unknown" (see pd-device.h) instead of failing. The caller owns
 * *ret_devs (pd_device_clear() each, then free()); it is non-NULL even when *ret_n is 0.
 * Returns 0; -ENOENT when the root has no bus/pci/devices (a wrong root, not "no devices");
 * -EMFILE/-ENFILE/-ENOMEM when the system runs short, rather than a partial list. The ret_
 * outputs are untouched on failure.
 */
int sysfs_pci_scan(struct sysfs *s, unsigned nthreads, struct pd_device **ret_devs,
		   size_t *ret_n);

/*
 * Read one function; -ENOENT when it does not exist, -EINVAL when @addr is not a canonical
 * address. @ret is initialised by a successful call and untouched by a failed one.
 */
int sysfs_pci_read_device(struct sysfs *s, const char *addr, struct pd_device *ret);

/*
 * Number of IOMMU groups in kernel/iommu_groups; 0 when the directory is empty or missing,
 * which is how a host without an active IOMMU looks.
 */
int sysfs_iommu_group_count(struct sysfs *s, unsigned *ret);

/* How many functions kernel/iommu_groups/@group/devices lists now; -ENOENT when no such group. */
int sysfs_iommu_group_member_count(struct sysfs *s, int group, unsigned *ret);

/*
 * The writes that move a function between drivers (write.c). Each is one write(2); they
 * return 0 or the kernel's negative errno (-ENODEV, -EBUSY, -EINVAL...). @addr must be
 * canonical and @driver a plain driver name, else -EINVAL before anything is written.
 */
/* driver_override := @driver, or cleared when @driver is NULL or "". */
int sysfs_pci_set_override(struct sysfs *s, const char *addr, const char *driver);
/* bus/pci/drivers/@driver/unbind := @addr. */
int sysfs_pci_unbind(struct sysfs *s, const char *addr, const char *driver);
/* bus/pci/drivers_probe := @addr: the PCI core binds the matching (or overriding) driver. */
int sysfs_pci_probe(struct sysfs *s, const char *addr);
/* The bound driver's name into @ret, "" when unbound; -ENOENT when the device is gone. */
int sysfs_pci_get_driver(struct sysfs *s, const char *addr, char ret[PD_DRIVER_LEN]);
/* sriov_numvfs := @n (sriov_numvfs_store in drivers/pci/iov.c: -EBUSY from one non-zero count
 * to another, -ERANGE above sriov_totalvfs, -ENOENT when the PF has no driver). */
int sysfs_pci_set_numvfs(struct sysfs *s, const char *addr, unsigned n);
/* driver_override into @ret, "" when none; -ENOENT when the device is gone. */
int sysfs_pci_get_override(struct sysfs *s, const char *addr, char ret[PD_DRIVER_LEN]);
/*
 * reset := 1: the PCI core resets the function with the first method of reset_method that works
 * (reset_store in drivers/pci/pci-sysfs.c). -ENOENT when the function has no reset method (the
 * file exists only then); the kernel's errno when the reset fails. May block for seconds.
 */
int sysfs_pci_reset(struct sysfs *s, const char *addr);

/* ---- host facts for the preflight (host.c) ---- */

#define SYSFS_IOMMU_NAME_LEN 32

/* One IOMMU unit of class/iommu (a link to devices/virtual/iommu/NAME). */
struct sysfs_iommu_unit {
	char name[SYSFS_IOMMU_NAME_LEN]; /* "dmar0", "ivhd0" */
	bool intel;			 /* has intel-iommu/ (drivers/iommu/intel/iommu.c) */
	bool amd;			 /* has amd-iommu/ (drivers/iommu/amd/init.c) */
	bool has_ecap;			 /* intel-iommu/ecap read and parsed */
	uint64_t ecap;			 /* the Extended Capability Register */
};

/* Interrupt Remapping Support, bit 3 of the VT-d Extended Capability Register (VT-d 11.4.3). */
#define SYSFS_VTD_ECAP_IR (UINT64_C(1) << 3)

/*
 * Parse an intel-iommu/ecap or cap attribute: "%llx" (hex digits without 0x, 1..16 of them,
 * either case). Returns 0 or -EINVAL; *ret untouched on failure.
 */
int sysfs_parse_hex64(const char *s, uint64_t *ret);

/*
 * Is the ACPI table @name ("DMAR", "IVRS") in firmware/acpi/tables? The files are root-only
 * (0400), so only their existence is looked at. -ENOENT when firmware/acpi/tables itself is
 * missing (a copied tree or a host without ACPI: the caller cannot tell), -EINVAL for a bad name.
 */
int sysfs_host_acpi_table(struct sysfs *s, const char *name, bool *ret);

/*
 * The units in class/iommu, sorted by name, with their ecap when they have intel-iommu/. The
 * caller frees *ret_units (non-NULL even when *ret_n is 0). -ENOENT when class/iommu is missing.
 */
int sysfs_host_iommu_units(struct sysfs *s, struct sysfs_iommu_unit **ret_units, size_t *ret_n);

/*
 * Does module/@name exist? It does for a loaded module and for a built-in one that has
 * parameters or a version (kernel/params.c); vfio, vfio_pci and vfio_iommu_type1 all have
 * parameters. -EINVAL for a name that is not [a-z0-9_].
 */
int sysfs_host_module_present(struct sysfs *s, const char *name, bool *ret);

/*
 * module/@module/parameters/@param into @buf (trailing newline removed). -ENOENT when the
 * module or the parameter is not there, -EINVAL for bad names.
 */
int sysfs_host_module_param(struct sysfs *s, const char *module, const char *param, char *buf,
			    size_t size);

/*
 * stat() @name (e.g. "vfio/vfio") under the directory @dev_root, without following a final
 * symlink; *ret_mode is its st_mode. The /dev side of the layer: nothing else looks in /dev.
 * -ENOENT when it is missing.
 */
int sysfs_dev_node_mode(const char *dev_root, const char *name, unsigned *ret_mode);
