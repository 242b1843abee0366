/*
 * critical.h - which PCI functions the host cannot give away, and why, from real use.
 *
 * Computed once per scan from what the host is using right now: the filesystems in
 * self/mountinfo and the swap areas in swaps (through partitions, device-mapper/MD slaves, NVMe
 * multipath and loop devices down to the PCI function below the disk), the interfaces of the
 * default routes (through bridges, bonds and VLANs), plus the boot VGA device and host bridges.
 * Reasons are sentences for an operator, several joined with "; " in that order of weight:
 * "holds the root filesystem (/dev/nvme0n1p2 on /)", "holds a mounted filesystem (/dev/sda1 on
 * /home)", "holds swap (/dev/nvme0n1p3)", "carries the default route (eno1)", "boot VGA device:
 * the host's console", "host bridge".
 *
 * A binder must refuse a whole IOMMU group when any member is critical: crit_group_reason().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pd-device.h"

struct sysfs;
struct procfs;
struct crit_set; /* opaque */

/* What could not be read (crit_set_unread()); the other sources were still used. */
enum crit_unread {
	CRIT_UNREAD_MOUNTS = 1 << 0,
	CRIT_UNREAD_SWAPS = 1 << 1,
	CRIT_UNREAD_ROUTES = 1 << 2,
};

/*
 * Compute the set for @devs (sorted by address, as sysfs_pci_scan() returns them). @p may be
 * NULL (no proc root): then only the boot VGA device and host bridges count. Nothing the host
 * shows is an error: an unreadable proc file or an unresolvable device is left out (logged at
 * debug). Returns 0 or -ENOMEM; *ret is owned by the caller.
 */
int crit_compute(struct sysfs *s, struct procfs *p, const struct pd_device *devs, size_t n,
		 struct crit_set **ret);
void crit_set_free(struct crit_set *c);
DEFINE_FREEP(struct crit_set, crit_set_free)

/* The reason @addr is critical (borrowed until crit_set_free()), or NULL when it is not. */
const char *crit_reason(const struct crit_set *c, const char *addr);

/*
 * The reason IOMMU group @group cannot leave the host: the reason of its first critical member,
 * whose address goes to *ret_addr (borrowed; may be NULL). NULL when no member is critical or
 * @group is negative.
 */
const char *crit_group_reason(const struct crit_set *c, int group, const char **ret_addr);

/* Critical functions in address order, for hashing and listing. */
size_t crit_count(const struct crit_set *c);
const char *crit_address_at(const struct crit_set *c, size_t i);
const char *crit_reason_at(const struct crit_set *c, size_t i);

/* The CRIT_UNREAD_* mask of the sources that could not be read. */
unsigned crit_set_unread(const struct crit_set *c);

/*
 * Whether @a and @b say the same: the same functions, groups, reasons and unread sources
 * (NULL equals only NULL). A re-read that changed nothing need not touch what depends on it.
 */
bool crit_set_equal(const struct crit_set *a, const struct crit_set *b);

/* The reasons that need no proc: boot VGA, host bridge. NULL when neither. Static string. */
const char *crit_static_reason(const struct pd_device *d);
