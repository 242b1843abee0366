/*
 * hwdb.h - vendor and device names from the udev hardware database (the only libudev user,
 * with the monitor that will join it).
 *
 * Never logs above debug. A missing hwdb is not an error for callers: names are then NULL.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

struct udevw_hwdb; /* opaque; not thread-safe */

/* Open the system hwdb. Returns 0, or a negative errno when there is none (-ENOENT). */
int udevw_hwdb_new(struct udevw_hwdb **ret);
void udevw_hwdb_free(struct udevw_hwdb *h);
DEFINE_FREEP(struct udevw_hwdb, udevw_hwdb_free)

/*
 * Look up the names for a PCI function. *ret_vendor and *ret_device are set (owned, free())
 * to the name or to NULL when the hwdb does not know it. Returns 0 or -ENOMEM.
 */
int udevw_hwdb_pci_names(struct udevw_hwdb *h, uint16_t vendor, uint16_t device,
			 char **ret_vendor, char **ret_device);
