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
	[DB_STMT_DEVICE_SEEN] =
		"UPDATE device SET driver = ?6, original_driver = coalesce(original_driver, ?7),"
		" last_seen = ?8 WHERE address = ?1 AND vendor_id = ?2 AND device_id = ?3"
		" AND subsystem_vendor_id = ?4 AND subsystem_device_id = ?5 AND gone_at IS NULL",
};


/* Reset a statement borrowed from struct db when the borrowing variable goes out of scope. */
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

struct db_assign_stmts **db_get_assign_stmts(struct db *db)
{
	return &db->assign;
}


int db_sqlite_fail(struct db *db, struct pd_error *err, int rc, const char *what)
{
	return db_fail(db, err, rc, what);
}

int db_fail(struct db *db, struct pd_error *err, int rc, const char *what)
{
	int r = errno_from_sqlite(db->conn, rc);

	return pd_error_set(err, PD_ERR_INTERNAL, r, "database %s: %s: %s", db->path, what,
			    db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
}

int64_t db_now_usec(void)
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
	db_known_free(db);
	db_intent_stmts_free(db->intent);
	db_assign_stmts_free(db->assign);
	for (size_t i = 0; i < _DB_STMT_MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	/* Closing with a transaction open rolls it back; the last close checkpoints the WAL. */
	sqlite3_close(db->conn);
	free(db->path);
	free(db);
}

int db_ping(struct db *db)
{
	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_PING];
	int rc = sqlite3_step(s);

	return rc == SQLITE_ROW ? 0 : errno_from_sqlite(db->conn, rc);
}
