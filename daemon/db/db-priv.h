/*
 * db-priv.h - what the files of daemon/db share. Not for other layers: they use db.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"

struct db_intent_stmts;
struct db_assign_stmts;

#define DB_DRIVER_VFIO "vfio-pci"

enum db_stmt {
	DB_STMT_BEGIN,
	DB_STMT_COMMIT,
	DB_STMT_ROLLBACK,
	DB_STMT_SCAN_INSERT,
	DB_STMT_SCAN_FINISH,
	DB_STMT_DEVICE_ALL,
	DB_STMT_DEVICE_INSERT,
	DB_STMT_DEVICE_INSERT_BATCH,
	DB_STMT_DEVICE_UPDATE,
	DB_STMT_DEVICE_MARK_GONE,
	DB_STMT_DEVICE_TOUCH,
	DB_STMT_DEVICE_LIST_GONE,
	DB_STMT_PING,
	DB_STMT_DEVICE_SEEN,
	_DB_STMT_MAX,
};

/*
 * Parameters of DB_STMT_DEVICE_INSERT (1-12) and DB_STMT_DEVICE_UPDATE (6-13): one numbering,
 * so one set of binds serves both. Row j of DB_STMT_DEVICE_INSERT_BATCH takes the same ones
 * shifted by j * DEV_NPARAMS.
 */
enum {
	DEV_ADDRESS = 1,
	DEV_VENDOR,
	DEV_DEVICE,
	DEV_SUBVENDOR,
	DEV_SUBDEVICE,
	DEV_CLASS,
	DEV_DRIVER,
	DEV_ORIGINAL_DRIVER,
	DEV_GROUP,
	DEV_NUMA,
	DEV_NOW,
	DEV_SCAN,
	DEV_ROWID,
	DEV_NPARAMS = DEV_SCAN, /* per inserted row */
};

/*
 * New devices are inserted this many at a time, in one multi-row INSERT: a first-boot scan of
 * 4096 devices then costs about a quarter less than with one INSERT per device.
 */
#define DB_INSERT_BATCH 64

/* Columns of DB_STMT_DEVICE_ALL. */
enum {
	ALL_ID,
	ALL_ADDRESS,
	ALL_VENDOR,
	ALL_DEVICE,
	ALL_SUBVENDOR,
	ALL_SUBDEVICE,
	ALL_CLASS,
	ALL_DRIVER,
	ALL_ORIGINAL_DRIVER,
	ALL_GROUP,
	ALL_NUMA,
	ALL_GONE,
};

/* Columns of DB_STMT_DEVICE_LIST_GONE. */
enum {
	GONE_ADDRESS,
	GONE_VENDOR,
	GONE_DEVICE,
	GONE_SUBVENDOR,
	GONE_SUBDEVICE,
	GONE_CLASS,
	GONE_ORIGINAL_DRIVER,
	GONE_GROUP,
	GONE_NUMA,
};

/* What a scan writes for one device, copied so that the write can wait for a batch. */
struct dev_row {
	char address[PCI_ADDR_LEN + 1];
	char vendor_id[PD_ID_LEN];
	char device_id[PD_ID_LEN];
	char subsystem_vendor_id[PD_ID_LEN];
	char subsystem_device_id[PD_ID_LEN];
	char class_id[PD_CLASS_LEN];
	char driver[PD_DRIVER_LEN];
	char original_driver[PD_DRIVER_LEN]; /* "" for none */
	int iommu_group;
	int numa_node;
};

/* A device row as it was when the scan began. */
struct known {
	int64_t id;
	char address[PCI_ADDR_LEN + 1];
	char vendor_id[PD_ID_LEN];
	char device_id[PD_ID_LEN];
	char subsystem_vendor_id[PD_ID_LEN];
	char subsystem_device_id[PD_ID_LEN];
	char class_id[PD_CLASS_LEN];
	char driver[PD_DRIVER_LEN];
	char *original_driver; /* owned, NULL when none */
	int iommu_group;
	int numa_node;
	bool matchable; /* its identity fits a struct pd_device, so a put can match it */
	bool stale;	/* a value did not fit here: rewrite the row when it is seen */
	bool gone;
	bool seen;
};

struct db {
	sqlite3 *conn;
	char *path;
	int version;
	sqlite3_stmt *stmt[_DB_STMT_MAX];

	/* The scan in progress, between db_scan_begin() and db_scan_commit()/db_scan_abort(). */
	bool scanning;
	int64_t scan_id;
	int64_t scan_now;
	unsigned scan_devices;
	unsigned scan_unchanged; /* devices seen that only need last_seen and scan_id moved on */
	struct known *known;	 /* every device row at begin, sorted by identity */
	size_t n_known;
	struct dev_row pending[DB_INSERT_BATCH]; /* new devices not inserted yet */
	size_t n_pending;

	struct db_intent_stmts *intent; /* intent.c's statements, prepared on first use */
	struct db_assign_stmts *assign; /* assign.c's, likewise */
};

static inline void stmt_resetp(sqlite3_stmt **s)
{
	if (*s) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
	}
}
#define _cleanup_reset_ _cleanup_(stmt_resetp)

/* The closest errno for a SQLite result code; what the OS said when SQLite knows it. */

/* db.c */
int db_fail(struct db *db, struct pd_error *err, int rc, const char *what);
int64_t db_now_usec(void);
/* scan.c: drop the copy of the table a scan keeps between begin and commit/abort. */
void db_known_free(struct db *db);

sqlite3 *db_get_conn(struct db *db);
/* Where intent.c keeps its prepared statements; db_free() frees them. */
struct db_intent_stmts **db_get_intent_stmts(struct db *db);
void db_intent_stmts_free(struct db_intent_stmts *st);
/* Where assign.c keeps its prepared statements; db_free() frees them. */
struct db_assign_stmts **db_get_assign_stmts(struct db *db);
void db_assign_stmts_free(struct db_assign_stmts *st);
/* Record an SQLite failure in @err ("database PATH: WHAT: message"); returns a negative errno. */
int db_sqlite_fail(struct db *db, struct pd_error *err, int rc, const char *what);
