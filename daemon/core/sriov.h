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
struct db;
struct db_intent;

/* A VF the change removes, as the inventory showed it when the change was planned. */
struct sriov_vf {
	char address[PCI_ADDR_LEN + 1];
	char driver[PD_DRIVER_LEN]; /* "" for none */
	int group;		    /* -1 when none */
};

struct sriov_plan {
	char pf[PCI_ADDR_LEN + 1];
	int group;		/* the PF's IOMMU group, -1 when none */
	struct sriov_vf *vfs;	/* owned: the current VFs, which any change removes */
	size_t n_vfs;
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

/* Free what @plan owns (its VF list) and zero it. Accepts NULL. */
void sriov_plan_clear(struct sriov_plan *plan);

/*
 * Plan setting the VF count of PF @addr to @n, on the loop thread (it reads the inventory).
 * The count and the PF's driver are read from sysfs, not the inventory. Returns 0 with @plan
 * filled (plan->writes is 0 when nothing is to be written), or a negative errno with @err:
 * not found (404), not a PF (409 conflict), @n out of range (400), a PF with no host driver or
 * on vfio-pci (409), VFs in use without @force (409; a dry run reports them without refusing).
 * @plan is always initialised; the caller clears it (sriov_plan_clear). Does not log.
 */
int sriovsvc_plan(struct sysfs *s, const struct inv *inv, const char *addr, int n, bool dry_run,
		  bool force, struct sriov_plan *plan, struct pd_error *err);

/*
 * Carry out @plan's writes (plan->writes > 0): the intent goes to @db (under @db_lock when not
 * NULL, a worker's shared handle) before the first write and its progress after each write
 * that another follows; a failed second write puts the previous count back. The count is read
 * back after the writes. Touches no inventory, so it runs on a worker thread; the caller
 * rescans. Returns 0 or a negative errno with @err: the kernel's refusal (409 for EBUSY/ENOENT,
 * 500 otherwise), a count read back that is not the one wanted (500). Logs once.
 */
int sriovsvc_execute(struct sysfs *s, struct db *db, void *db_lock, struct sriov_plan *plan,
		     struct pd_error *err);

/*
 * sriovsvc_plan() then, unless @dry_run or nothing is to be written, sriovsvc_execute() and a
 * rescan, all on the calling thread (startup reconcile).
 */
int sriovsvc_set(struct sysfs *s, struct db *db, struct inv *inv, const char *addr, int n,
		 bool dry_run, bool force, struct sriov_plan *plan, struct pd_error *err);

/*
 * At start: put back the count a VF change left pending by a crash had before it, from
 * wherever the crash left it (through 0 when the kernel needs it). Returns 0 or the first
 * failed write's negative errno (-ENOENT when the PF is gone). Logs what it does.
 */
int sriovsvc_recover(struct sysfs *s, const struct db_intent *it);
