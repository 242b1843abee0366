/*
 * pd-device.h - plain data describing one PCI function, as passd knows it.
 *
 * Filled by daemon/sysfs (what the kernel says), completed by daemon/core (names from the hwdb,
 * original driver from the database) and turned into JSON by api/. Fixed-size strings keep a
 * 4096-function inventory in one allocation; an empty string means "unknown" and becomes a JSON
 * null, so a missing or odd sysfs attribute never fails a scan.
 */
#pragma once

#include <stdbool.h>

#include "pci-addr.h"

#define PD_ID_LEN 7	 /* "0x10de" */
#define PD_CLASS_LEN 9	 /* "0x030000" */
#define PD_DRIVER_LEN 64 /* kernel driver names are far shorter; longer ones are dropped */
#define PD_RESET_LEN 96	 /* reset_method: "flr af_flr pm bus device_specific cxl_bus" */

struct pd_device {
	char address[PCI_ADDR_LEN + 1];
	char vendor_id[PD_ID_LEN];
	char device_id[PD_ID_LEN];
	char subsystem_vendor_id[PD_ID_LEN];
	char subsystem_device_id[PD_ID_LEN];
	char class_id[PD_CLASS_LEN];
	char driver[PD_DRIVER_LEN];	      /* "" when unbound */
	char driver_override[PD_DRIVER_LEN];  /* "" when none (sysfs prints "(null)") */
	char reset_methods[PD_RESET_LEN];     /* space-separated, as the kernel prints them */
	char physfn[PCI_ADDR_LEN + 1];	      /* the PF of a VF, "" otherwise */
	char parent[PCI_ADDR_LEN + 1];	      /* upstream bridge, "" on a root bus */
	int iommu_group;		      /* -1 when none */
	int numa_node;			      /* -1 when none or unknown */
	int sriov_total_vfs;		      /* -1 when not SR-IOV capable */
	int sriov_num_vfs;		      /* -1 when not SR-IOV capable */
	int boot_vga;			      /* 1 or 0; -1 when the attribute is absent */

	/* Completed by core/, owned by the record. */
	char *vendor_name;     /* hwdb, NULL when unknown */
	char *device_name;     /* hwdb, NULL when unknown */
	char *original_driver; /* the host driver before passd moved it, NULL when none */
	bool gone;	       /* known to the database, absent from sysfs */
};

/* Reset every field to "unknown" (does not free: use on fresh memory). */
void pd_device_init(struct pd_device *d);
/* Free the owned strings and reset the record. Accepts NULL. */
void pd_device_clear(struct pd_device *d);
/* Class code as a number, or -1 when unknown. */
long pd_device_class(const struct pd_device *d);
/* True for PCI-to-PCI bridges and root/downstream ports (class 0x0604xx). */
bool pd_device_is_bridge(const struct pd_device *d);
