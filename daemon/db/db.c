#include <config.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db-priv.h"
#include "db.h"
#include "log.h"
#include "migrations.h"

/* "pasd", set by 0001-initial.sql: a SQLite file with another non-zero id is not ours. */
#define DB_APPLICATION_ID 0x70617364
/* How long a statement waits for another connection's lock (sqlite3 CLI, a backup). */
#define DB_BUSY_TIMEOUT_MS 5000
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

/*
 * Every statement passd runs after open, prepared once in db_open(). Values are always bound,
 * never pasted in (the ids for MARK_GONE are a bound JSON array of integers).
 *
 * How a scan writes (see db_scan_begin()): a row that changed is written when it is put, by
 * INSERT for a new identity or UPDATE by rowid for a known one; rows that only need last_seen
 * and scan_id moved on are written at commit by one TOUCH over the table. Both writes keep a
 * stored original_driver whatever they are given (coalesce), so "never overwritten" holds in
 * SQL as well as in C. MARK_GONE skips any row this scan wrote, whatever the list says.
 */
#define DEVICE_INSERT_HEAD                                                              \
	"INSERT INTO device (address, vendor_id, device_id, subsystem_vendor_id,"       \
	" subsystem_device_id, class, driver, original_driver, iommu_group, numa_node," \
	" first_seen, last_seen, gone_at, scan_id) VALUES "
#define DEVICE_INSERT_ROW "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, NULL, ?12)"
#define DEVICE_INSERT_ROW_FMT \
	"(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, NULL, ?%d)"
#define DEVICE_INSERT_TAIL                                                                       \
	" ON CONFLICT (address, vendor_id, device_id, subsystem_vendor_id, subsystem_device_id)" \
	" DO UPDATE SET class = excluded.class, driver = excluded.driver,"                       \
	" original_driver = coalesce(original_driver, excluded.original_driver),"                \
	" iommu_group = excluded.iommu_group, numa_node = excluded.numa_node,"                   \
	" last_seen = excluded.last_seen, gone_at = NULL, scan_id = excluded.scan_id"

static const char *const stmt_sql[_DB_STMT_MAX] = {
	[DB_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[DB_STMT_COMMIT] = "COMMIT",
	[DB_STMT_ROLLBACK] = "ROLLBACK",
	[DB_STMT_SCAN_INSERT] = "INSERT INTO scan (started_at) VALUES (?1)",
	[DB_STMT_SCAN_FINISH] =
		"UPDATE scan SET finished_at = ?2, devices = ?3, gone = ?4 WHERE id = ?1",
	[DB_STMT_DEVICE_ALL] =
		"SELECT id, address, vendor_id, device_id, subsystem_vendor_id, subsystem_device_id,"
		" class, driver, original_driver, iommu_group, numa_node, gone_at IS NOT NULL"
		" FROM device",
	[DB_STMT_DEVICE_INSERT] = DEVICE_INSERT_HEAD DEVICE_INSERT_ROW DEVICE_INSERT_TAIL,
	/* DB_STMT_DEVICE_INSERT_BATCH: made by device_insert_batch_sql(). */
	[DB_STMT_DEVICE_UPDATE] =
		"UPDATE device SET class = ?6, driver = ?7,"
		" original_driver = coalesce(original_driver, ?8), iommu_group = ?9, numa_node = ?10,"
		" last_seen = ?11, gone_at = NULL, scan_id = ?12 WHERE id = ?13",
	[DB_STMT_DEVICE_MARK_GONE] =
		"UPDATE device SET gone_at = ?1 WHERE id IN (SELECT value FROM json_each(?3))"
		" AND gone_at IS NULL AND scan_id <> ?2",
	[DB_STMT_DEVICE_TOUCH] =
		"UPDATE device SET last_seen = ?1, scan_id = ?2 WHERE gone_at IS NULL AND scan_id <> ?2",
	[DB_STMT_DEVICE_LIST_GONE] =
		"SELECT address, vendor_id, device_id, subsystem_vendor_id, subsystem_device_id,"
		" class, original_driver, iommu_group, numa_node"
		" FROM device WHERE gone_at IS NOT NULL ORDER BY address, id",
	[DB_STMT_PING] = "SELECT 1",
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
};

static void known_free(struct db *db);

/* Reset a statement borrowed from struct db when the borrowing variable goes out of scope. */
static void stmt_resetp(sqlite3_stmt **s)
{
	if (*s) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
	}
}
#define _cleanup_reset_ _cleanup_(stmt_resetp)

/* The closest errno for a SQLite result code; what the OS said when SQLite knows it. */
static int errno_from_sqlite(sqlite3 *conn, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_NOTADB:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_CORRUPT:
		return -ENOTRECOVERABLE;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		e = conn ? sqlite3_system_errno(conn) : 0;
		return e > 0 ? -e : -EIO;
	default:
		return -EIO;
	}
}

/* Record the connection's last error as "database PATH: WHAT: sqlite message"; returns the errno.
 */
const char *db_get_path(const struct db *db)
{
	return db->path;
}

sqlite3 *db_get_conn(struct db *db)
{
	return db->conn;
}

struct db_intent_stmts **db_get_intent_stmts(struct db *db)
{
	return &db->intent;
}

static int db_fail(struct db *db, struct pd_error *err, int rc, const char *what);

int db_sqlite_fail(struct db *db, struct pd_error *err, int rc, const char *what)
{
	return db_fail(db, err, rc, what);
}

static int db_fail(struct db *db, struct pd_error *err, int rc, const char *what)
{
	int r = errno_from_sqlite(db->conn, rc);

	return pd_error_set(err, PD_ERR_INTERNAL, r, "database %s: %s: %s", db->path, what,
			    db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
}

static int64_t now_realtime_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Run compiled-in SQL (never input) that returns no rows we need. */
static int exec_sql(struct db *db, const char *sql, const char *what, struct pd_error *err)
{
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, err, rc, what);
}

struct exec_result {
	bool have;
	sqlite3_int64 i;
	char text[32];
};

static int exec_result_cb(void *userdata, int ncols, char **values, char **names)
{
	struct exec_result *res = userdata;

	if (ncols < 1 || res->have)
		return 0;
	res->have = true;
	if (values[0]) {
		res->i = strtoll(values[0], NULL, 10);
		snprintf(res->text, sizeof(res->text), "%s", values[0]);
	}
	return 0;
}

/* Run compiled-in SQL and keep the first column of its first row (0 / "" when none). */
static int exec_value(struct db *db, const char *sql, const char *what, struct exec_result *ret,
		      struct pd_error *err)
{
	struct exec_result res = {};
	int rc;

	rc = sqlite3_exec(db->conn, sql, exec_result_cb, &res, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, what);
	*ret = res;
	return 0;
}

/* Refuse to create a database in a directory that is not there, with a message that says so. */
static int check_path(const char *path, struct pd_error *err)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	char *slash;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return pd_error_set(err, PD_ERR_INTERNAL, -EISDIR,
					    "database %s is a directory, not a file", path);
		return 0;
	}
	if (errno != ENOENT)
		return pd_error_set(err, PD_ERR_INTERNAL, -errno, "cannot access database %s: %s",
				    path, strerror(errno));

	dir = strdup(path);
	if (!dir)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash)
		return 0; /* relative to the working directory, which exists */
	if (slash == dir)
		slash[1] = '\0';
	else
		slash[0] = '\0';

	if (stat(dir, &st) < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, -errno,
				    "cannot create database %s: directory %s: %s", path, dir,
				    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOTDIR,
				    "cannot create database %s: %s is not a directory", path, dir);
	return 0;
}

/*
 * Before anything is written: is this a SQLite file, is it passd's, and is its schema one we
 * know? Reading the header writes nothing, so a refused file is left exactly as it was.
 */
static int check_ownership(struct db *db, int latest, struct pd_error *err)
{
	struct exec_result res = {};
	int rc, r;

	rc = sqlite3_exec(db->conn, "PRAGMA user_version", exec_result_cb, &res, NULL);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return pd_error_set(
			err, PD_ERR_INTERNAL, -EINVAL,
			"file %s is not a SQLite database; refusing to touch it (move it away or point --db elsewhere)",
			db->path);
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, "reading the schema version");
	db->version = (int)res.i;

	r = exec_value(db, "PRAGMA application_id", "reading the application id", &res, err);
	if (r < 0)
		return r;
	if (res.i != 0 && res.i != DB_APPLICATION_ID)
		return pd_error_set(
			err, PD_ERR_INTERNAL, -EINVAL,
			"database %s belongs to another program (application_id 0x%08llx); refusing to touch it",
			db->path, (unsigned long long)res.i);

	if (db->version > latest)
		return pd_error_set(
			err, PD_ERR_INTERNAL, -EPROTONOSUPPORT,
			"database %s has schema version %d, this passd knows up to %d; refusing to touch it (downgrade?)",
			db->path, db->version, latest);
	if (db->version < 0)
		return pd_error_set(
			err, PD_ERR_INTERNAL, -EINVAL,
			"database %s has an invalid schema version %d; refusing to touch it",
			db->path, db->version);

	if (db->version == 0) {
		r = exec_value(db, "SELECT count(*) FROM sqlite_schema", "reading the schema", &res,
			       err);
		if (r < 0)
			return r;
		if (res.i > 0)
			return pd_error_set(
				err, PD_ERR_INTERNAL, -EINVAL,
				"database %s has tables but no passd schema version; refusing to touch it",
				db->path);
	}
	return 0;
}

static int set_pragmas(struct db *db, struct pd_error *err)
{
	struct exec_result res;
	int r;

	r = exec_sql(db, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
	if (r < 0)
		return r;
	r = exec_value(db, "PRAGMA journal_mode = WAL", "switching to WAL", &res, err);
	if (r < 0)
		return r;
	if (strcasecmp(res.text, "wal") != 0)
		return pd_error_set(
			err, PD_ERR_INTERNAL, -EOPNOTSUPP,
			"database %s: cannot use WAL journal mode (got '%s'); is it on a network file system?",
			db->path, res.text);
	/* FULL: in WAL mode, every commit is on disk before COMMIT returns (one fsync). */
	return exec_sql(db, "PRAGMA synchronous = FULL", "setting synchronous mode", err);
}

/*
 * Apply each pending migration in its own transaction together with its user_version bump, so
 * a crash leaves the database at a version boundary. The version is read again inside the
 * transaction, in case another passd migrated it meanwhile.
 */
static int migrate(struct db *db, struct pd_error *err)
{
	const struct migration *m;
	struct exec_result res;
	size_t n;
	int latest, r;

	m = db_migrations_get(&n);
	latest = db_schema_version_latest();

	for (;;) {
		char pragma[64];
		int v;

		r = exec_sql(db, "BEGIN IMMEDIATE", "starting a migration", err);
		if (r < 0)
			return r;
		r = exec_value(db, "PRAGMA user_version", "reading the schema version", &res, err);
		if (r < 0)
			goto rollback;
		v = (int)res.i;
		if (v > latest) {
			r = pd_error_set(
				err, PD_ERR_INTERNAL, -EPROTONOSUPPORT,
				"database %s has schema version %d, this passd knows up to %d; refusing to touch it (downgrade?)",
				db->path, v, latest);
			goto rollback;
		}
		if (v == latest)
			break;
		if ((size_t)v >= n || m[v].version != v + 1) {
			r = pd_error_set(
				err, PD_ERR_INTERNAL, -EINVAL,
				"database %s: no migration from schema version %d (built-in migrations are out of order)",
				db->path, v);
			goto rollback;
		}

		r = sqlite3_exec(db->conn, m[v].sql, NULL, NULL, NULL);
		if (r != SQLITE_OK) {
			r = pd_error_set(err, PD_ERR_INTERNAL, errno_from_sqlite(db->conn, r),
					 "database %s: applying migration %s failed: %s", db->path,
					 m[v].name, sqlite3_errmsg(db->conn));
			goto rollback;
		}
		/* A number from our own table, not input: PRAGMA takes no bound parameters. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m[v].version);
		r = exec_sql(db, pragma, "setting the schema version", err);
		if (r < 0)
			goto rollback;
		r = exec_sql(db, "COMMIT", "committing a migration", err);
		if (r < 0)
			goto rollback;
		log_debug("database %s: applied migration %s", db->path, m[v].name);
		db->version = m[v].version;
	}

	r = exec_sql(db, "COMMIT", "finishing the migrations", err);
	if (r < 0)
		goto rollback;
	db->version = latest;
	return 0;

rollback:
	if (!sqlite3_get_autocommit(db->conn))
		(void)sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL); /* first error wins */
	return r;
}

/*
 * The multi-row INSERT: DEVICE_INSERT with DB_INSERT_BATCH rows of numbered parameters. Only
 * constants and parameter numbers go into the text; values are bound.
 */
static char *device_insert_batch_sql(void)
{
	size_t size = sizeof(DEVICE_INSERT_HEAD DEVICE_INSERT_TAIL) +
		      DB_INSERT_BATCH * (sizeof(DEVICE_INSERT_ROW_FMT) + 2 * DEV_NPARAMS + 2);
	char *sql = malloc(size);
	size_t len;

	if (!sql)
		return NULL;
	len = (size_t)snprintf(sql, size, "%s", DEVICE_INSERT_HEAD);
	for (int j = 0; j < DB_INSERT_BATCH; j++) {
		int b = j * DEV_NPARAMS;

		len += (size_t)snprintf(
			sql + len, size - len, "%s" DEVICE_INSERT_ROW_FMT, j ? ", " : "",
			b + DEV_ADDRESS, b + DEV_VENDOR, b + DEV_DEVICE, b + DEV_SUBVENDOR,
			b + DEV_SUBDEVICE, b + DEV_CLASS, b + DEV_DRIVER, b + DEV_ORIGINAL_DRIVER,
			b + DEV_GROUP, b + DEV_NUMA, b + DEV_NOW, b + DEV_NOW, b + DEV_SCAN);
	}
	snprintf(sql + len, size - len, "%s", DEVICE_INSERT_TAIL);
	return sql;
}

static int prepare_all(struct db *db, struct pd_error *err)
{
	_cleanup_free_ char *batch = device_insert_batch_sql();

	if (!batch)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < _DB_STMT_MAX; i++) {
		const char *sql = i == DB_STMT_DEVICE_INSERT_BATCH ? batch : stmt_sql[i];
		int rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
					    &db->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return db_fail(db, err, rc, "preparing a statement");
	}
	return 0;
}

int db_schema_version_latest(void)
{
	const struct migration *m;
	size_t n;

	m = db_migrations_get(&n);
	return n > 0 ? m[n - 1].version : 0;
}

int db_schema_version(struct db *db)
{
	return db->version;
}

/*
 * SQLite's allocation statistics take a global mutex on every malloc; passd never reads them
 * and they cost about a tenth of a scan. They can only be turned off before SQLite initializes,
 * which in passd is here: db/ is its only user. Later calls fail harmlessly (SQLITE_MISUSE).
 */
static void sqlite_global_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* a speed-up only; fine if refused */
}

int db_open(const char *path, struct db **ret, struct pd_error *err)
{
	_cleanup_(db_freep) struct db *db = NULL;
	int rc, r;

	if (!path || !*path)
		return pd_error_set(err, PD_ERR_INTERNAL, -EINVAL, "no database path given");

	r = check_path(path, err);
	if (r < 0)
		return r;

	db = calloc(1, sizeof(*db));
	if (!db)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	db->path = strdup(path);
	if (!db->path)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");

	sqlite_global_init();
	rc = sqlite3_open_v2(path, &db->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				     SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, "cannot open");
	rc = sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, "setting the busy timeout");

	r = check_ownership(db, db_schema_version_latest(), err);
	if (r < 0)
		return r;
	r = set_pragmas(db, err);
	if (r < 0)
		return r;
	r = migrate(db, err);
	if (r < 0)
		return r;
	r = prepare_all(db, err);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(db);
	return 0;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	known_free(db);
	db_intent_stmts_free(db->intent);
	for (size_t i = 0; i < _DB_STMT_MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	/* Closing with a transaction open rolls it back; the last close checkpoints the WAL. */
	sqlite3_close(db->conn);
	free(db->path);
	free(db);
}

/* Step a statement that returns no rows. */
static int step_done(struct db *db, sqlite3_stmt *s, const char *what, struct pd_error *err)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_DONE ? 0 : db_fail(db, err, rc, what);
}

static int bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (!v || !v[0])
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int bind_int_or_null(sqlite3_stmt *s, int i, int v)
{
	if (v < 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_int(s, i, v);
}

/* Copy a text column into a fixed-size field; NULL becomes "". -EBADMSG when it cannot fit. */
static int column_copy(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	int len = sqlite3_column_bytes(s, col);

	if (!v) {
		dst[0] = '\0';
		return 0;
	}
	if ((size_t)len >= size)
		return -EBADMSG;
	memcpy(dst, v, (size_t)len);
	dst[len] = '\0';
	return 0;
}

static int column_int_or_minus1(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int(s, col);
}

static void known_free(struct db *db)
{
	for (size_t i = 0; i < db->n_known; i++)
		free(db->known[i].original_driver);
	free(db->known);
	db->known = NULL;
	db->n_known = 0;
}

/* Order by identity: address first, then the four ids. */
static int identity_compare(const char *addr_a, const char *const ids_a[4], const char *addr_b,
			    const char *const ids_b[4])
{
	int c = strcmp(addr_a, addr_b);

	for (size_t i = 0; c == 0 && i < 4; i++)
		c = strcmp(ids_a[i], ids_b[i]);
	return c;
}

static int known_compare(const void *a, const void *b)
{
	const struct known *x = a, *y = b;
	const char *const ix[4] = { x->vendor_id, x->device_id, x->subsystem_vendor_id,
				    x->subsystem_device_id };
	const char *const iy[4] = { y->vendor_id, y->device_id, y->subsystem_vendor_id,
				    y->subsystem_device_id };

	/* Unmatchable rows sort last and are never found. */
	if (x->matchable != y->matchable)
		return x->matchable ? -1 : 1;
	return identity_compare(x->address, ix, y->address, iy);
}

/* The row of @d's identity as it was at begin, or NULL for an identity new to the database. */
static struct known *known_find(struct db *db, const struct pd_device *d)
{
	const char *const id[4] = { d->vendor_id, d->device_id, d->subsystem_vendor_id,
				    d->subsystem_device_id };
	size_t lo = 0, hi = db->n_known;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct known *k = &db->known[mid];
		const char *const kid[4] = { k->vendor_id, k->device_id, k->subsystem_vendor_id,
					     k->subsystem_device_id };
		int c;

		if (!k->matchable) {
			hi = mid;
			continue;
		}
		c = identity_compare(d->address, id, k->address, kid);
		if (c == 0)
			return k;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Copy one row of DB_STMT_DEVICE_ALL into @k. */
static int known_row_copy(sqlite3_stmt *s, struct known *k)
{
	k->id = sqlite3_column_int64(s, ALL_ID);
	k->matchable = column_copy(s, ALL_ADDRESS, k->address, sizeof(k->address)) == 0 &&
		       column_copy(s, ALL_VENDOR, k->vendor_id, sizeof(k->vendor_id)) == 0 &&
		       column_copy(s, ALL_DEVICE, k->device_id, sizeof(k->device_id)) == 0 &&
		       column_copy(s, ALL_SUBVENDOR, k->subsystem_vendor_id,
				   sizeof(k->subsystem_vendor_id)) == 0 &&
		       column_copy(s, ALL_SUBDEVICE, k->subsystem_device_id,
				   sizeof(k->subsystem_device_id)) == 0;
	k->stale = column_copy(s, ALL_CLASS, k->class_id, sizeof(k->class_id)) < 0 ||
		   column_copy(s, ALL_DRIVER, k->driver, sizeof(k->driver)) < 0;
	if (sqlite3_column_type(s, ALL_ORIGINAL_DRIVER) != SQLITE_NULL) {
		k->original_driver =
			strdup((const char *)sqlite3_column_text(s, ALL_ORIGINAL_DRIVER));
		if (!k->original_driver)
			return -ENOMEM;
	}
	k->iommu_group = column_int_or_minus1(s, ALL_GROUP);
	k->numa_node = column_int_or_minus1(s, ALL_NUMA);
	k->gone = sqlite3_column_int(s, ALL_GONE) != 0;
	k->seen = false;
	return 0;
}

/* Read every device row into db->known, sorted by identity. */
static int known_load(struct db *db, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_ALL];
	size_t allocated = 0;
	int rc, r;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (db->n_known == allocated) {
			size_t want = allocated ? allocated * 2 : 256;
			struct known *v = reallocarray(db->known, want, sizeof(*v));

			if (!v)
				return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
			db->known = v;
			allocated = want;
		}
		memset(&db->known[db->n_known], 0, sizeof(db->known[0]));
		db->n_known++; /* counted now, so its original_driver is freed on failure */
		r = known_row_copy(s, &db->known[db->n_known - 1]);
		if (r < 0)
			return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return db_fail(db, err, rc, "reading the known devices");

	/* Rows come in rowid order, which is usually identity order already: check first. */
	for (size_t i = 1; i < db->n_known; i++)
		if (known_compare(&db->known[i - 1], &db->known[i]) > 0) {
			qsort(db->known, db->n_known, sizeof(db->known[0]), known_compare);
			break;
		}
	return 0;
}

/*
 * A scan reads every device row once, here, inside its own write transaction, so the copy cannot
 * go stale; it is freed at commit or abort. A put then costs a binary search, plus a write only
 * when the row is new or changed. Rows seen unchanged get last_seen and scan_id in one
 * statement at commit. This keeps a rescan of 4096 known devices to a fraction of the cost of
 * one lookup and one UPDATE per device.
 */
int db_scan_begin(struct db *db, int64_t now_usec, struct pd_error *err)
{
	int r;

	if (db->scanning)
		return pd_error_set(err, PD_ERR_INTERNAL, -EBUSY,
				    "database %s: a scan is already in progress", db->path);

	{
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_BEGIN];

		r = step_done(db, s, "starting a scan", err);
		if (r < 0)
			return r;
	}
	{
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_SCAN_INSERT];

		sqlite3_bind_int64(s, 1, now_usec);
		r = step_done(db, s, "recording a scan", err);
		if (r < 0)
			goto rollback;
	}
	r = known_load(db, err);
	if (r < 0)
		goto rollback;

	db->scanning = true;
	db->scan_id = sqlite3_last_insert_rowid(db->conn);
	db->scan_now = now_usec;
	db->scan_devices = 0;
	db->scan_unchanged = 0;
	db->n_pending = 0;
	return 0;

rollback:
	db_scan_abort(db);
	return r;
}

/* strlcpy: @src is cut to fit, which the callers' equal field sizes never need. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
#define COPY_FIELD(dst, src) copy_str((dst), sizeof(dst), (src))

static void dev_row_from_device(struct dev_row *row, const struct pd_device *d, const char *orig)
{
	COPY_FIELD(row->address, d->address);
	COPY_FIELD(row->vendor_id, d->vendor_id);
	COPY_FIELD(row->device_id, d->device_id);
	COPY_FIELD(row->subsystem_vendor_id, d->subsystem_vendor_id);
	COPY_FIELD(row->subsystem_device_id, d->subsystem_device_id);
	COPY_FIELD(row->class_id, d->class_id);
	COPY_FIELD(row->driver, d->driver);
	COPY_FIELD(row->original_driver, orig ?: "");
	row->iommu_group = d->iommu_group;
	row->numa_node = d->numa_node;
}

/* Bind the identity of @row (parameters 1-5, shifted by @base), as the INSERTs take it. */
static int bind_identity(sqlite3_stmt *s, int base, const struct dev_row *row)
{
	int rc;

	rc = sqlite3_bind_text(s, base + DEV_ADDRESS, row->address, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, base + DEV_VENDOR, row->vendor_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, base + DEV_DEVICE, row->device_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, base + DEV_SUBVENDOR, row->subsystem_vendor_id, -1,
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, base + DEV_SUBDEVICE, row->subsystem_device_id, -1,
				       SQLITE_STATIC);
	return rc;
}

/* Bind what a sighting records (parameters 6-12, shifted by @base), for INSERT and UPDATE. */
static int bind_sighting(struct db *db, sqlite3_stmt *s, int base, const struct dev_row *row)
{
	int rc;

	rc = bind_text_or_null(s, base + DEV_CLASS, row->class_id);
	if (rc == SQLITE_OK)
		rc = bind_text_or_null(s, base + DEV_DRIVER, row->driver);
	if (rc == SQLITE_OK)
		rc = bind_text_or_null(s, base + DEV_ORIGINAL_DRIVER, row->original_driver);
	if (rc == SQLITE_OK)
		rc = bind_int_or_null(s, base + DEV_GROUP, row->iommu_group);
	if (rc == SQLITE_OK)
		rc = bind_int_or_null(s, base + DEV_NUMA, row->numa_node);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, base + DEV_NOW, db->scan_now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, base + DEV_SCAN, db->scan_id);
	return rc;
}

/* Run one INSERT of rows @rows[0..n), n being 1 or DB_INSERT_BATCH. */
static int insert_rows(struct db *db, const struct dev_row *rows, size_t n, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s =
		db->stmt[n == 1 ? DB_STMT_DEVICE_INSERT : DB_STMT_DEVICE_INSERT_BATCH];
	int rc = SQLITE_OK;

	assert(n == 1 || n == DB_INSERT_BATCH);
	for (size_t j = 0; j < n && rc == SQLITE_OK; j++) {
		int base = (int)j * DEV_NPARAMS;

		rc = bind_identity(s, base, &rows[j]);
		if (rc == SQLITE_OK)
			rc = bind_sighting(db, s, base, &rows[j]);
	}
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, "binding a device");
	rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, rc, "storing new devices");
}

/* Insert the new devices put so far: a full batch in one statement, fewer one by one. */
static int pending_flush(struct db *db, struct pd_error *err)
{
	size_t n = db->n_pending;
	int r = 0;

	if (n == DB_INSERT_BATCH)
		r = insert_rows(db, db->pending, n, err);
	else
		for (size_t j = 0; j < n && r == 0; j++)
			r = insert_rows(db, &db->pending[j], 1, err);
	if (r < 0)
		return r;
	db->n_pending = 0;
	return 0;
}

/* Whether the row must be written now, beyond the last_seen/scan_id that commit moves on. */
static bool known_changed(const struct known *k, const struct pd_device *d, const char *orig)
{
	return k->stale || k->gone || !streq(k->class_id, d->class_id) ||
	       !streq(k->driver, d->driver) || k->iommu_group != d->iommu_group ||
	       k->numa_node != d->numa_node || (!k->original_driver && orig);
}

/*
 * A device new to the database waits in db->pending and goes in with the next full batch or
 * at commit; a known device that changed is updated at once; an unchanged one is only
 * counted, and commit moves its last_seen on. Either way the result is visible at commit only,
 * as the scan is one transaction. A failure here may come from an earlier device's batch: the
 * caller aborts the scan all the same.
 */
int db_scan_put_device(struct db *db, const struct pd_device *d, char **ret_original_driver,
		       struct pd_error *err)
{
	_cleanup_free_ char *orig = NULL;
	const char *src = NULL;
	struct known *k;
	bool changed;
	int r;

	if (!db->scanning)
		return pd_error_set(err, PD_ERR_INTERNAL, -EINVAL,
				    "database %s: device '%s' put outside a scan", db->path,
				    d->address);

	/* The first host driver seen is the original one; vfio-pci never is. */
	k = known_find(db, d);
	if (k && k->original_driver)
		src = k->original_driver;
	else if (d->driver[0] && !streq(d->driver, DB_DRIVER_VFIO))
		src = d->driver;
	if (src) {
		orig = strdup(src);
		if (!orig)
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}

	changed = !k || known_changed(k, d, orig);
	if (!k) {
		if (db->n_pending == DB_INSERT_BATCH) {
			r = pending_flush(db, err);
			if (r < 0)
				return r;
		}
		dev_row_from_device(&db->pending[db->n_pending++], d, orig);
	} else if (changed) {
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_UPDATE];
		struct dev_row row;
		int rc;

		dev_row_from_device(&row, d, orig);
		rc = sqlite3_bind_int64(s, DEV_ROWID, k->id);
		if (rc == SQLITE_OK)
			rc = bind_sighting(db, s, 0, &row);
		if (rc != SQLITE_OK)
			return db_fail(db, err, rc, "binding a device");
		rc = sqlite3_step(s);
		if (rc != SQLITE_DONE)
			return db_fail(db, err, rc, "storing a device");
	}

	/*
	 * Only now, with the row written: a failed put leaves the scan as if it had not happened.
	 * A second put of the same identity in one scan sees the first one's values.
	 */
	if (k) {
		k->seen = true;
		k->gone = false;
		k->stale = false;
		COPY_FIELD(k->class_id, d->class_id);
		COPY_FIELD(k->driver, d->driver);
		k->iommu_group = d->iommu_group;
		k->numa_node = d->numa_node;
		if (!k->original_driver && orig) {
			k->original_driver = strdup(orig);
			if (!k->original_driver)
				k->stale = true; /* the row is right; only this copy lacks it */
		}
	}
	db->scan_devices++;
	if (!changed)
		db->scan_unchanged++;
	if (ret_original_driver)
		*ret_original_driver = TAKE_PTR(orig);
	return 0;
}

/* The ids of known rows present at begin and not seen since, as a JSON array, or NULL for none. */
static int missing_ids_json(struct db *db, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (size_t i = 0; i < db->n_known; i++) {
		const struct known *k = &db->known[i];
		char num[24];
		int n;

		if (k->seen || k->gone)
			continue;
		n = snprintf(num, sizeof(num), "%s%" PRId64, len ? "," : "[", k->id);
		if (len + (size_t)n + 2 > size) {
			size_t want = size ? size * 2 : 256;
			char *p = realloc(buf, want);

			if (!p)
				return -ENOMEM;
			buf = p;
			size = want;
		}
		memcpy(buf + len, num, (size_t)n);
		len += (size_t)n;
	}
	if (len > 0) {
		buf[len++] = ']';
		buf[len] = '\0';
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

int db_scan_commit(struct db *db, unsigned *ret_gone, struct pd_error *err)
{
	_cleanup_free_ char *missing = NULL;
	unsigned gone = 0;
	int r;

	if (!db->scanning)
		return pd_error_set(err, PD_ERR_INTERNAL, -EINVAL,
				    "database %s: commit outside a scan", db->path);

	r = pending_flush(db, err);
	if (r < 0)
		goto rollback;
	r = missing_ids_json(db, &missing);
	if (r < 0) {
		pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		goto rollback;
	}
	if (missing) {
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_MARK_GONE];

		sqlite3_bind_int64(s, 1, db->scan_now);
		sqlite3_bind_int64(s, 2, db->scan_id);
		sqlite3_bind_text(s, 3, missing, -1, SQLITE_STATIC);
		r = step_done(db, s, "marking missing devices gone", err);
		if (r < 0)
			goto rollback;
		gone = (unsigned)sqlite3_changes(db->conn);
	}
	if (db->scan_unchanged > 0) {
		/* After MARK_GONE: every row still present now is one this scan saw. */
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_TOUCH];

		sqlite3_bind_int64(s, 1, db->scan_now);
		sqlite3_bind_int64(s, 2, db->scan_id);
		r = step_done(db, s, "recording devices seen", err);
		if (r < 0)
			goto rollback;
	}
	{
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_SCAN_FINISH];

		sqlite3_bind_int64(s, 1, db->scan_id);
		sqlite3_bind_int64(s, 2, now_realtime_usec());
		sqlite3_bind_int64(s, 3, db->scan_devices);
		sqlite3_bind_int64(s, 4, gone);
		r = step_done(db, s, "finishing a scan", err);
		if (r < 0)
			goto rollback;
	}
	{
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_COMMIT];

		r = step_done(db, s, "committing a scan", err);
		if (r < 0)
			goto rollback;
	}

	db->scanning = false;
	known_free(db);
	if (ret_gone)
		*ret_gone = gone;
	return 0;

rollback:
	db_scan_abort(db);
	return r;
}

void db_scan_abort(struct db *db)
{
	db->scanning = false;
	db->n_pending = 0;
	known_free(db);
	if (sqlite3_get_autocommit(db->conn))
		return; /* no transaction open */

	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_ROLLBACK];
	/* Nothing useful to do if even ROLLBACK fails: closing the connection rolls back too. */
	(void)sqlite3_step(s);
}

struct device_array {
	struct pd_device *v;
	size_t n;
	size_t allocated;
};

static void device_array_clear(struct device_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		pd_device_clear(&a->v[i]);
	free(a->v);
}

/*
 * Copy one row of DB_STMT_DEVICE_LIST_GONE into @d (fresh from pd_device_init()); -EBADMSG for a
 * row whose identity does not fit a struct pd_device, which passd cannot have written.
 */
static int gone_row_copy(sqlite3_stmt *s, struct pd_device *d)
{
	static const struct {
		int col;
		size_t off;
		size_t size;
	} fields[] = {
		{ GONE_ADDRESS, offsetof(struct pd_device, address), sizeof(d->address) },
		{ GONE_VENDOR, offsetof(struct pd_device, vendor_id), sizeof(d->vendor_id) },
		{ GONE_DEVICE, offsetof(struct pd_device, device_id), sizeof(d->device_id) },
		{ GONE_SUBVENDOR, offsetof(struct pd_device, subsystem_vendor_id),
		  sizeof(d->subsystem_vendor_id) },
		{ GONE_SUBDEVICE, offsetof(struct pd_device, subsystem_device_id),
		  sizeof(d->subsystem_device_id) },
	};

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		int r = column_copy(s, fields[i].col, (char *)d + fields[i].off, fields[i].size);
		if (r < 0)
			return r; /* an identity no device can have */
	}
	if (column_copy(s, GONE_CLASS, d->class_id, sizeof(d->class_id)) < 0)
		d->class_id[0] = '\0'; /* unknown rather than cut */
	if (sqlite3_column_type(s, GONE_ORIGINAL_DRIVER) != SQLITE_NULL) {
		d->original_driver =
			strdup((const char *)sqlite3_column_text(s, GONE_ORIGINAL_DRIVER));
		if (!d->original_driver)
			return -ENOMEM;
	}
	d->iommu_group = column_int_or_minus1(s, GONE_GROUP);
	d->numa_node = column_int_or_minus1(s, GONE_NUMA);
	d->gone = true;
	return 0;
}

int db_list_gone(struct db *db, struct pd_device **ret_devs, size_t *ret_n, struct pd_error *err)
{
	_cleanup_(device_array_clear) struct device_array a = {};
	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_LIST_GONE];
	int rc, r;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (a.n == a.allocated) {
			size_t want = a.allocated ? a.allocated * 2 : 16;
			struct pd_device *v = reallocarray(a.v, want, sizeof(*v));

			if (!v)
				return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
			a.v = v;
			a.allocated = want;
		}
		pd_device_init(&a.v[a.n]);
		a.n++; /* counted now, so a half-filled record is cleared on failure */
		r = gone_row_copy(s, &a.v[a.n - 1]);
		if (r == -EBADMSG) {
			/* Not a row passd wrote (edited by hand?): no device can have it, skip it.
			 */
			pd_device_clear(&a.v[--a.n]);
			continue;
		}
		if (r < 0)
			return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return db_fail(db, err, rc, "listing gone devices");

	*ret_n = a.n;
	*ret_devs = TAKE_PTR(a.v);
	a.n = 0;
	return 0;
}

int db_ping(struct db *db)
{
	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_PING];
	int rc = sqlite3_step(s);

	return rc == SQLITE_ROW ? 0 : errno_from_sqlite(db->conn, rc);
}
