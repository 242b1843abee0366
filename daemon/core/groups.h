/*
 * groups.h - IOMMU groups built from the device inventory, and their VFIO viability.
 *
 * The kernel lets a group be used through VFIO only when every endpoint in it is bound to
 * vfio-pci (or another VFIO driver) or to no driver at all; PCI bridges and ports may stay on
 * pcieport or unbound (drivers/vfio/vfio_main.c, vfio_dev_driver_allowed() and the bridge
 * exception in vfio_group viability, Linux 6.1). A group is "viable" here in that sense.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "pd-device.h"

struct grp_blocker {
	const struct pd_device *device; /* borrowed from the inventory */
	const char *reason;		/* static string */
};

struct grp_group {
	int id;
	size_t n_devices;
	const struct pd_device **devices; /* sorted by address; borrowed records */
	bool viable;
	size_t n_blockers;
	struct grp_blocker *blockers;
};

struct grp_set; /* opaque */

/*
 * Build the groups of @devs (n records, sorted by address). Records without a group are left
 * out. The set borrows the records: it must be freed before them. Returns 0 or -ENOMEM.
 */
int grp_set_build(const struct pd_device *devs, size_t n, struct grp_set **ret);
void grp_set_free(struct grp_set *set);
DEFINE_FREEP(struct grp_set, grp_set_free)

size_t grp_set_count(const struct grp_set *set);
/* Groups in ascending id order; borrowed. */
const struct grp_group *grp_set_at(const struct grp_set *set, size_t i);
/* The group with @id, or NULL. */
const struct grp_group *grp_set_find(const struct grp_set *set, int id);

/* True when @driver lets a group stay viable for an endpoint ("" counts as no driver). */
bool grp_driver_is_vfio(const char *driver);
