/*
 * db.h - the only code in passd that includes sqlite3.h.
 *
 * One SQLite file in WAL mode, migrations from schema/sql applied in order and tracked by
 * PRAGMA user_version, prepared statements only (never a string built from input). Devices are
 * keyed by address and identity (vendor, device, subsystem ids), never by IOMMU group number,
 * which the kernel does not keep stable across boots. Never logs above debug; errors come back
 * as a negative errno plus a sentence in @err.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"

struct db; /* opaque; used from one thread */

/*
 * Open or create the database at @path and bring its schema up to date. A database whose
 * user_version is newer than this binary knows is refused with -EPROTONOSUPPORT and a message
 * naming both versions; it is not modified.
 */
int db_open(const char *path, struct db **ret, struct pd_error *err);
void db_free(struct db *db);
DEFINE_FREEP(struct db, db_free)

/* The path given to db_open(); borrowed. */
const char *db_get_path(const struct db *db);

/* Schema version this binary writes. */
int db_schema_version_latest(void);
/* Schema version of the open database. */
int db_schema_version(struct db *db);

/*
 * A scan is one transaction: db_scan_begin(), db_scan_put_device() for every function seen,
 * db_scan_commit() (which marks every known device not seen in this scan as gone) or
 * db_scan_abort(). put_device records first/last seen and, the first time a device is seen on
 * a host driver (not vfio-pci), that driver as its original driver; it stores the known
 * original driver in *ret_original_driver (owned, NULL when none). New devices are written in
 * batches, so a failing put or commit may concern a device put earlier: after any failure,
 * call db_scan_abort() (commit has already rolled back; abort is then a no-op). Nothing of a
 * scan is visible before db_scan_commit() returns 0.
 */
int db_scan_begin(struct db *db, int64_t now_usec, struct pd_error *err);
int db_scan_put_device(struct db *db, const struct pd_device *d, char **ret_original_driver,
		       struct pd_error *err);
int db_scan_commit(struct db *db, unsigned *ret_gone, struct pd_error *err);
void db_scan_abort(struct db *db);

/*
 * Record that @devs, present and known, were seen on other drivers outside a scan (a move, a
 * uevent): each one's driver, and that driver as its original one when it is a host driver and
 * none is stored. One transaction. A device the table lacks is left to the next scan. -EBUSY
 * during a scan.
 */
int db_devices_seen(struct db *db, const struct pd_device *const *devs, size_t n,
		    struct pd_error *err);

/*
 * Devices marked gone (in the database, absent from the last scan), as records with gone=true
 * and the identity fields, driver "", original_driver filled. Caller owns the array (clear each
 * record, then free()).
 */
int db_list_gone(struct db *db, struct pd_device **ret_devs, size_t *ret_n, struct pd_error *err);

/* Cheap liveness probe for /v1/health: 0 when a trivial query succeeds. */
int db_ping(struct db *db);

/*
 * The intent log (intent.c). An operation that writes to sysfs records, before its first
 * write, the state of every device it may touch (db_intent_begin, one transaction), and its
 * end (db_intent_finish). Intents still pending at start belong to a passd that died midway.
 */
struct db_intent_step {
	char address[PCI_ADDR_LEN + 1];
	char driver_before[PD_DRIVER_LEN];   /* "" for none */
	char override_before[PD_DRIVER_LEN]; /* "" for none */
	char driver_after[PD_DRIVER_LEN];
};

struct db_intent {
	int64_t id;
	char kind[16]; /* bind, unbind, sriov */
	char address[PCI_ADDR_LEN + 1];
	int group; /* -1 when none */
	int num_vfs_before, num_vfs_after; /* sriov: the PF's count before and wanted; else -1 */
	int progress;			   /* sriov: sriov_numvfs writes done, as last recorded */
	size_t n_steps;
	struct db_intent_step *steps; /* in execution order */
};

int db_intent_begin(struct db *db, const char *kind, const char *address, int group,
		    const struct db_intent_step *steps, size_t n, int64_t *ret_id,
		    struct pd_error *err);
/*
 * The intent of a VF change of PF @pf from @vfs_before to @vfs_after VFs; @vfs are the VFs it
 * removes, each with the driver it is on (driver_before). Finishing it "done" records the
 * wanted count (sriov_wanted; 0 removes the row) and drops the bindings of the VFs it took
 * from vfio-pci, in the same commit.
 */
int db_intent_begin_sriov(struct db *db, const char *pf, int group, int vfs_before,
			  int vfs_after, const struct db_intent_step *vfs, size_t n, int64_t *ret_id,
			  struct pd_error *err);
/* Record that @progress steps of pending intent @id are done (one statement, autocommit). */
int db_intent_progress(struct db *db, int64_t id, int progress, struct pd_error *err);
/* @state: done, rolled_back, failed or recovered; @error may be NULL. */
int db_intent_finish(struct db *db, int64_t id, const char *state, const char *error,
		     struct pd_error *err);
/* Pending intents, oldest first. The caller frees with db_intent_array_free(). */
int db_intent_list_pending(struct db *db, struct db_intent **ret, size_t *ret_n,
			   struct pd_error *err);
void db_intent_array_free(struct db_intent *a, size_t n);

/* A device passd was asked to keep on vfio-pci (its last finished bind), by identity. */
struct db_binding {
	char address[PCI_ADDR_LEN + 1];
	char vendor_id[PD_ID_LEN];
	char device_id[PD_ID_LEN];
	char subsystem_vendor_id[PD_ID_LEN];
	char subsystem_device_id[PD_ID_LEN];
	bool gone; /* the database last saw this identity gone */
};

/* Every binding, by address. The caller frees *ret with free(). */
int db_binding_list(struct db *db, struct db_binding **ret, size_t *ret_n, struct pd_error *err);

/* A PF's VF count passd was asked to keep (its last finished VF change), by the PF's identity. */
struct db_sriov_wanted {
	struct db_binding pf; /* the PF's address, identity and gone flag */
	int num_vfs;	      /* > 0 */
};

/* Every wanted VF count, by PF address. The caller frees *ret with free(). */
int db_sriov_wanted_list(struct db *db, struct db_sriov_wanted **ret, size_t *ret_n,
			 struct pd_error *err);
