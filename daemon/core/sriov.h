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
	size_t n_in_use; /* VFs in use that the change removes; the first 4 are named below */
	char in_use[4][PCI_ADDR_LEN + 1];
	char in_use_reason[4][96]; /* "on vfio-pci", "assigned to a VM", the host's need */
	bool done;
	unsigned writes_tried; /* steps written (the last one may have failed) */
	unsigned writes_done;  /* steps the kernel accepted */
	bool restore_tried;   /* the second write failed after 0: the old count was written back */
	int restore_error;    /* that write's negative errno, 0 when it worked */
	int now;	      /* sriov_numvfs read back after the writes; @before when none */
};

/*
 * Plan and, unless @dry_run, set the VF count of PF @addr to @n, then rescan. The count and the
 * PF's driver are read from sysfs, not the inventory, and the count is read back after the
 * writes. Returns 0 with @plan filled (also on failure, to say what happened), or a negative
 * errno with @err: not found (404), not a PF (409 conflict), @n out of range (400), a PF with
 * no host driver or on vfio-pci (409), VFs in use without @force (409), the kernel's refusal
 * (409 for EBUSY/ENOENT, 500 otherwise), a count read back that is not @n (500). A dry run
 * reports the VFs in use without refusing. Logs once.
 */
int sriovsvc_set(struct sysfs *s, struct inv *inv, const char *addr, int n, bool dry_run,
		 bool force, struct sriov_plan *plan, struct pd_error *err);
