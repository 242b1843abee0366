/*
 * inventory.h - the device inventory service: what the host has, as passd knows it.
 *
 * A scan reads every PCI function from sysfs, completes the records with hwdb names and the
 * database's memory (original drivers, devices gone since), writes them to the database in one
 * transaction and swaps the new view in. Readers borrow records until the next scan. The
 * generation changes only when what an API client would see changes, so ETags stay stable
 * across rescans of an unchanged host. Used from the loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"
#include "groups.h"

struct sysfs;
struct db;
struct udevw_hwdb;
struct procfs;
struct crit_set;
struct inv; /* opaque */

enum inv_state {
	INV_STATE_HOST,
	INV_STATE_VFIO,
	INV_STATE_ASSIGNED,
	INV_STATE_UNBOUND,
	INV_STATE_QUARANTINED,
	INV_STATE_GONE,
	_INV_STATE_MAX,
};

struct inv_critical {
	bool critical;
	const char *reason; /* borrowed until the next scan, NULL when not critical */
};

/* The inventory borrows @s, @db and @hwdb (which may be NULL: names are then null). */
int inv_new(struct sysfs *s, struct db *db, struct udevw_hwdb *hwdb, unsigned threads,
	    struct inv **ret);
void inv_free(struct inv *inv);
DEFINE_FREEP(struct inv, inv_free)

/*
 * Read mounts, swaps and default routes through @p (borrowed; NULL: none) at each scan, so
 * host-critical reasons come from real use (core/critical.h). Takes effect at the next scan.
 */
void inv_set_procfs(struct inv *inv, struct procfs *p);

/* Scan the host now. On failure the previous view stays in place. Logs once. */
int inv_scan(struct inv *inv, struct pd_error *err);

struct inv_update {
	const char *address;
	const char *driver;   /* what it is on now ("" for none), or NULL: read it from sysfs */
	const char *override; /* its driver_override now ("" for none); read when driver is NULL */
};

/*
 * Bring @n devices up to date after passd moved them between drivers, then rebuild the
 * groups: what the mover knows is taken as given, the rest is re-read (two syscalls a device)
 * instead of a whole scan. Falls back to inv_scan() when a device is not where the view has
 * it. The database catches up at the next scan.
 */
int inv_refresh(struct inv *inv, const struct inv_update *u, size_t n, struct pd_error *err);

/*
 * Re-read the @n devices at @addrs (canonical addresses) from sysfs, each with the code a scan
 * uses for one device, after uevents said something about them changed (a driver bound or let
 * go) while the rest of the host did not. Then, as a scan would, rebuild the groups and the
 * host-critical set, publish device_changed for each driver change and move the generation on
 * when anything changed; the database gets each changed device's driver (and a first host
 * driver as the original one). Returns how many records changed; -ESTALE, with the view
 * untouched, when only a scan can tell (a device the view lacks, gone, moved to another
 * group, parent or PF, another VF count); -ENOMEM. Logs only a failed database write.
 */
int inv_update_devices(struct inv *inv, const char *const *addrs, size_t n);

uint64_t inv_generation(const struct inv *inv);
bool inv_iommu_enabled(const struct inv *inv);
unsigned inv_iommu_group_count(const struct inv *inv);
int64_t inv_last_scan_usec(const struct inv *inv);
/* Wall-clock duration of the last scan, in microseconds. */
int64_t inv_last_scan_duration_usec(const struct inv *inv);

/* Present devices, sorted by address; borrowed until the next scan. */
size_t inv_device_count(const struct inv *inv);
const struct pd_device *inv_device_at(const struct inv *inv, size_t i);
/* Devices the database knows but sysfs no longer shows. */
size_t inv_gone_count(const struct inv *inv);
const struct pd_device *inv_gone_at(const struct inv *inv, size_t i);
/* The present device at @addr (canonical form), else a gone one, else NULL. */
const struct pd_device *inv_find_device(const struct inv *inv, const char *addr);

/* VFs of a PF, in address order; *ret_vfs is borrowed. */
size_t inv_device_vfs(const struct inv *inv, const struct pd_device *pf,
		      const struct pd_device *const **ret_vfs);

enum inv_state inv_device_state(const struct inv *inv, const struct pd_device *d);

/*
 * What another service knows of a device beyond sysfs: the assignment service's assignment and
 * quarantine. inv_device_state() answers quarantined, then assigned, before what sysfs shows.
 */
struct inv_overlay {
	bool quarantined;
	int64_t assignment_id; /* 0 when not assigned */
	const char *domain;    /* borrowed until the overlay changes; NULL when not assigned */
};
typedef void (*inv_overlay_fn)(const char *address, struct inv_overlay *ret, void *userdata);
/* One provider; NULL removes it. */
void inv_set_overlay(struct inv *inv, inv_overlay_fn fn, void *userdata);
/* The provider's answers changed: move the generation on, so cached answers are rebuilt. */
void inv_overlay_changed(struct inv *inv);
/* @d's overlay, zeroed when there is no provider or nothing to say. */
struct inv_overlay inv_device_overlay(const struct inv *inv, const struct pd_device *d);
const char *inv_state_to_string(enum inv_state s);
/* Parse a state name; returns 0 or -EINVAL. */
int inv_state_from_string(const char *s, enum inv_state *ret);

/*
 * Whether taking @d from the host would cost the host something it needs, and why (its disk,
 * swap, default route, console, or a host bridge), as of the last scan.
 */
struct inv_critical inv_device_critical(const struct inv *inv, const struct pd_device *d);
/*
 * Recompute only the host-critical set, from what the host uses now: a filesystem mounted, swap
 * enabled or a route added since the last scan counts at once. For a binder, just before it
 * plans; mounts and routes raise no PCI uevent. On failure the previous set stays.
 */
int inv_refresh_critical(struct inv *inv);
/* The host-critical set of the last scan (NULL before the first), for group checks. */
const struct crit_set *inv_get_critical(const struct inv *inv);

const struct grp_set *inv_get_groups(const struct inv *inv);

/* True when the database answers a trivial query (for /v1/health). */
bool inv_db_ok(const struct inv *inv);
