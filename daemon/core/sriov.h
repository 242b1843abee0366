/*
 * sriov.h - creating and removing SR-IOV virtual functions (sriovsvc_).
 *
 * The kernel refuses to go from one non-zero VF count to another (EBUSY), so a change between
 * two non-zero counts goes through 0 first; if the second write fails, the previous count is
 * put back. VFs on vfio-pci are in use: removing them needs force.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"

struct sysfs;
struct inv;

struct sriov_plan {
	char pf[PCI_ADDR_LEN + 1];
	int total;	 /* sriov_totalvfs */
	int before;	 /* sriov_numvfs now */
	int after;	 /* wanted */
	unsigned writes; /* 0, 1 or 2 (through 0) */
	unsigned steps[2];
	size_t n_in_use; /* VFs on vfio-pci that the change removes */
	char in_use[4][PCI_ADDR_LEN + 1];
	bool done;
};

/*
 * Plan and, unless @dry_run, set the VF count of PF @addr to @n, then rescan. Returns 0 with
 * @plan filled (also on failure, to say what happened), or a negative errno with @err: not
 * found (404), not a PF (409 conflict), @n out of range (400), VFs in use without @force (409),
 * the kernel's refusal (409 for EBUSY/ENOENT, 500 otherwise). Logs once.
 */
int sriovsvc_set(struct sysfs *s, struct inv *inv, const char *addr, int n, bool dry_run,
		 bool force, struct sriov_plan *plan, struct pd_error *err);
