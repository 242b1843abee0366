/*
 * test-db.c - daemon/db on real SQLite files in a mkdtemp() directory, no mocks.
 *
 * The end state is checked through the db API and, where the API does not show it, through a
 * separate raw SQLite connection, as another process (sqlite3 CLI, a backup) would see it.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/migrations.h"

#define T0 1700000000000000LL /* a scan time, in microseconds */

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/test-db-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/passd.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	(void)rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct pd_device dev(const char *addr, const char *vendor, const char *device,
			    const char *driver, int group)
{
	struct pd_device d;

	pd_device_init(&d);
	snprintf(d.address, sizeof(d.address), "%s", addr);
	snprintf(d.vendor_id, sizeof(d.vendor_id), "%s", vendor);
	snprintf(d.device_id, sizeof(d.device_id), "%s", device);
	snprintf(d.subsystem_vendor_id, sizeof(d.subsystem_vendor_id), "0x1043");
	snprintf(d.subsystem_device_id, sizeof(d.subsystem_device_id), "0x87c1");
	snprintf(d.class_id, sizeof(d.class_id), "0x030000");
	snprintf(d.driver, sizeof(d.driver), "%s", driver);
	d.iommu_group = group;
	d.numa_node = 0;
	return d;
}

/* One whole scan of @n devices; returns the number newly gone. */
static unsigned scan(struct db *db, int64_t now, const struct pd_device *devs, size_t n)
{
	struct pd_error err = PD_ERROR_INIT;
	unsigned gone = 12345;

	assert_int_equal(db_scan_begin(db, now, &err), 0);
	for (size_t i = 0; i < n; i++) {
		char *orig = NULL;

		assert_int_equal(db_scan_put_device(db, &devs[i], &orig, &err), 0);
		free(orig);
	}
	assert_int_equal(db_scan_commit(db, &gone, &err), 0);
	assert_int_not_equal(gone, 12345);
	return gone;
}

/* Put one device in its own scan and return the original driver the db reports. */
static char *put_one(struct db *db, int64_t now, const struct pd_device *d)
{
	struct pd_error err = PD_ERROR_INIT;
	char *orig = (char *)"untouched";

	assert_int_equal(db_scan_begin(db, now, &err), 0);
	assert_int_equal(db_scan_put_device(db, d, &orig, &err), 0);
	assert_int_equal(db_scan_commit(db, NULL, &err), 0);
	assert_ptr_not_equal(orig, (char *)"untouched");
	return orig;
}

/* A raw connection, as another process sees the file. */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *c = NULL;

	assert_int_equal(
		sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		SQLITE_OK);
	return c;
}

static long long raw_int(const char *path, const char *sql)
{
	sqlite3 *c = raw_open(path);
	sqlite3_stmt *s = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(c);
	return v;
}

/* First column of the first row as an owned string, NULL for SQL NULL. */
static char *raw_text(const char *path, const char *sql)
{
	sqlite3 *c = raw_open(path);
	sqlite3_stmt *s = NULL;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(c);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *c = raw_open(path);

	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*ret_len = (size_t)len;
	return buf;
}

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static struct db *open_ok(const char *path)
{
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = NULL;

	if (db_open(path, &db, &err) < 0)
		fail_msg("db_open(%s): %s", path, err.message);
	assert_non_null(db);
	return db;
}

static void free_devs(struct pd_device *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_device_clear(&v[i]);
	free(v);
}

static void test_db_fresh_gets_latest_version_and_wal(void **state)
{
	struct fixture *fx = *state;
	struct db *db = open_ok(fx->path);
	char *mode;

	assert_true(db_schema_version_latest() >= 1);
	assert_int_equal(db_schema_version(db), db_schema_version_latest());
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), db_schema_version_latest());
	mode = raw_text(fx->path, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(fx->path, "PRAGMA application_id"), 0x70617364);
	/* Every table of 0001 is STRICT. */
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM pragma_table_list"
				 " WHERE name IN ('device', 'scan', 'history') AND strict"),
			 3);
	assert_int_equal(db_ping(db), 0);
	db_free(db);
}

static void test_db_migrations_applied_in_order(void **state)
{
	struct fixture *fx = *state;
	const struct migration *m;
	size_t n;
	struct db *db;

	/* The real embedded list: versions 1, 2, ... in order, the last one is the latest. */
	m = db_migrations_get(&n);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m[i].version, (int)i + 1);
		assert_non_null(strstr(m[i].name, ".sql"));
	}
	assert_int_equal(m[n - 1].version, db_schema_version_latest());

	db = open_ok(fx->path);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), db_schema_version_latest());
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
					   " AND name IN ('device', 'scan', 'history')"),
			 3);
	db_free(db);

	/* Reopening an up-to-date database applies nothing and changes no version. */
	db = open_ok(fx->path);
	assert_int_equal(db_schema_version(db), db_schema_version_latest());
	db_free(db);
}

static void test_db_reopen_keeps_data(void **state)
{
	struct fixture *fx = *state;
	struct pd_device devs[] = {
		dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7),
		dev("0000:65:00.1", "0x10de", "0x1aef", "snd_hda_intel", 7),
	};
	struct pd_device *gone = NULL;
	size_t n = 99;
	struct db *db;
	char *orig;

	db = open_ok(fx->path);
	assert_int_equal(scan(db, T0, devs, 2), 0);
	db_free(db);

	/* "Restart": a new connection sees both devices and their original drivers. */
	db = open_ok(fx->path);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM scan WHERE finished_at > 0"), 1);
	assert_int_equal(db_list_gone(db, &gone, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(gone);

	snprintf(devs[0].driver, sizeof(devs[0].driver), "vfio-pci");
	orig = put_one(db, T0 + 1, &devs[0]);
	assert_string_equal(orig, "nvidia");
	free(orig);
	db_free(db);
}

static void test_db_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);
	struct db *sentinel = (struct db *)0x1;
	char sql[64], want_theirs[64], want_ours[64];
	char *before, *after;
	size_t len_before, len_after;
	int newer = db_schema_version_latest() + 1;

	db_free(db);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
	raw_exec(fx->path, sql);
	before = read_file(fx->path, &len_before);

	db = sentinel;
	assert_int_equal(db_open(fx->path, &db, &err), -EPROTONOSUPPORT);
	assert_ptr_equal(db, sentinel); /* ret_ untouched */
	assert_int_equal(err.error, -EPROTONOSUPPORT);
	snprintf(want_theirs, sizeof(want_theirs), "schema version %d", newer);
	snprintf(want_ours, sizeof(want_ours), "knows up to %d", db_schema_version_latest());
	assert_non_null(strstr(err.message, want_theirs));
	assert_non_null(strstr(err.message, want_ours));
	assert_non_null(strstr(err.message, fx->path));

	after = read_file(fx->path, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), newer);
	free(before);
	free(after);
}

static void test_db_refuses_non_sqlite_file(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "this is a config file, not a database\nkey = value\n";
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = NULL;
	char wal[160];
	size_t len;
	char *after;
	int r;

	write_file(fx->path, text);
	r = db_open(fx->path, &db, &err);
	assert_true(r == -EINVAL || r == -ENOTRECOVERABLE);
	assert_null(db);
	assert_non_null(strstr(err.message, "not a SQLite database"));
	assert_non_null(strstr(err.message, fx->path));

	after = read_file(fx->path, &len);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(after, text, len);
	free(after);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(access(wal, F_OK), -1);
}

static void test_db_refuses_other_programs_database(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = NULL;

	raw_exec(fx->path, "CREATE TABLE t (x INTEGER)");
	assert_int_equal(db_open(fx->path, &db, &err), -EINVAL);
	assert_null(db);
	assert_non_null(strstr(err.message, "refusing to touch it"));
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_schema"), 1);
}

static void test_db_missing_directory_is_clear_error(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = NULL;
	char path[192];

	snprintf(path, sizeof(path), "%s/no-such-dir/passd.db", fx->dir);
	assert_int_equal(db_open(path, &db, &err), -ENOENT);
	assert_null(db);
	assert_non_null(strstr(err.message, "no-such-dir"));
	assert_non_null(strstr(err.message, "No such file or directory"));
}

static void test_db_scan_inserts_devices(void **state)
{
	struct fixture *fx = *state;
	struct pd_device devs[] = {
		dev("0000:00:02.0", "0x8086", "0x3e92", "i915", 0),
		dev("0000:65:00.0", "0x10de", "0x2204", "", 7),
		dev("0000:66:00.0", "", "", "", -1), /* unknown ids and group */
	};
	struct db *db = open_ok(fx->path);
	char *s;

	devs[2].class_id[0] = '\0';
	devs[2].numa_node = -1;
	assert_int_equal(scan(db, T0, devs, 3), 0);

	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE gone_at IS NULL"
				 " AND first_seen = 1700000000000000 AND last_seen = first_seen"),
			 3);
	assert_int_equal(raw_int(fx->path, "SELECT iommu_group FROM device"
					   " WHERE address = '0000:65:00.0'"),
			 7);
	assert_int_equal(
		raw_int(fx->path,
			"SELECT count(*) FROM device WHERE address = '0000:66:00.0'"
			" AND vendor_id = '' AND device_id = '' AND class IS NULL"
			" AND iommu_group IS NULL AND numa_node IS NULL AND driver IS NULL"),
		1);
	s = raw_text(fx->path, "SELECT driver FROM device WHERE address = '0000:00:02.0'");
	assert_string_equal(s, "i915");
	free(s);
	assert_int_equal(raw_int(fx->path, "SELECT devices FROM scan"), 3);
	assert_int_equal(raw_int(fx->path, "SELECT count(DISTINCT scan_id) FROM device"), 1);
	db_free(db);
}

static void test_db_missing_device_is_gone_then_back(void **state)
{
	struct fixture *fx = *state;
	struct pd_device devs[] = {
		dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7),
		dev("0000:66:00.0", "0x144d", "0xa808", "nvme", 8),
	};
	struct db *db = open_ok(fx->path);
	struct pd_device *gone = NULL;
	size_t n = 0;

	assert_int_equal(scan(db, T0, devs, 2), 0);
	assert_int_equal(scan(db, T0 + 10, devs, 1), 1);
	assert_int_equal(
		raw_int(fx->path, "SELECT gone_at FROM device WHERE address = '0000:66:00.0'"),
		T0 + 10);
	assert_int_equal(raw_int(fx->path, "SELECT gone FROM scan ORDER BY id DESC LIMIT 1"), 1);

	assert_int_equal(db_list_gone(db, &gone, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(gone[0].address, "0000:66:00.0");
	assert_string_equal(gone[0].vendor_id, "0x144d");
	assert_string_equal(gone[0].device_id, "0xa808");
	assert_string_equal(gone[0].subsystem_vendor_id, "0x1043");
	assert_string_equal(gone[0].subsystem_device_id, "0x87c1");
	assert_string_equal(gone[0].class_id, "0x030000");
	assert_string_equal(gone[0].driver, "");
	assert_string_equal(gone[0].original_driver, "nvme");
	assert_int_equal(gone[0].iommu_group, 8);
	assert_int_equal(gone[0].numa_node, 0);
	assert_true(gone[0].gone);
	free_devs(gone, n);

	/* Still missing: not newly gone, and gone_at keeps the first miss. */
	assert_int_equal(scan(db, T0 + 20, devs, 1), 0);
	assert_int_equal(
		raw_int(fx->path, "SELECT gone_at FROM device WHERE address = '0000:66:00.0'"),
		T0 + 10);

	/* Back: gone is cleared, the row is the same one. */
	assert_int_equal(scan(db, T0 + 30, devs, 2), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE gone_at IS NOT NULL"),
			 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);
	assert_int_equal(
		raw_int(fx->path, "SELECT first_seen FROM device WHERE address = '0000:66:00.0'"),
		T0);
	assert_int_equal(db_list_gone(db, &gone, &n, NULL), 0);
	assert_int_equal(n, 0);
	free_devs(gone, n);
	db_free(db);
}

static void test_db_original_driver_is_first_host_driver(void **state)
{
	struct fixture *fx = *state;
	struct pd_device gpu = dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7);
	struct pd_device unbound = dev("0000:66:00.0", "0x144d", "0xa808", "", 8);
	struct pd_device vfio = dev("0000:67:00.0", "0x8086", "0x1572", "vfio-pci", 9);
	struct db *db = open_ok(fx->path);
	char *orig;

	/* First sighting on a host driver records it. */
	orig = put_one(db, T0, &gpu);
	assert_string_equal(orig, "nvidia");
	free(orig);

	/* Later on vfio-pci, or unbound, or even on another host driver: kept. */
	snprintf(gpu.driver, sizeof(gpu.driver), "vfio-pci");
	orig = put_one(db, T0 + 1, &gpu);
	assert_string_equal(orig, "nvidia");
	free(orig);
	gpu.driver[0] = '\0';
	orig = put_one(db, T0 + 2, &gpu);
	assert_string_equal(orig, "nvidia");
	free(orig);
	snprintf(gpu.driver, sizeof(gpu.driver), "nouveau");
	orig = put_one(db, T0 + 3, &gpu);
	assert_string_equal(orig, "nvidia");
	free(orig);

	/* First seen unbound, or already on vfio-pci: none known. */
	orig = put_one(db, T0 + 4, &unbound);
	assert_null(orig);
	orig = put_one(db, T0 + 5, &vfio);
	assert_null(orig);
	orig = put_one(db, T0 + 6, &vfio);
	assert_null(orig);
	assert_int_equal(
		raw_int(fx->path, "SELECT count(*) FROM device WHERE original_driver IS NULL"), 2);

	/* An unbound device later seen on a host driver gets that one. */
	snprintf(unbound.driver, sizeof(unbound.driver), "nvme");
	orig = put_one(db, T0 + 7, &unbound);
	assert_string_equal(orig, "nvme");
	free(orig);

	/* A NULL ret_original_driver is allowed. */
	assert_int_equal(db_scan_begin(db, T0 + 8, NULL), 0);
	assert_int_equal(db_scan_put_device(db, &gpu, NULL, NULL), 0);
	assert_int_equal(db_scan_commit(db, NULL, NULL), 0);
	db_free(db);
}

static void test_db_devices_seen_records_driver_outside_a_scan(void **state)
{
	struct fixture *fx = *state;
	struct pd_device nic = dev("0000:01:00.0", "0x8086", "0x10d3", "e1000e", 11);
	struct pd_device edu = dev("0000:02:00.0", "0x1234", "0x11e8", "", 12);
	struct pd_device other = dev("0000:03:00.0", "0x1b36", "0x0010", "nvme", 13);
	const struct pd_device *seen[] = { &nic, &edu, &other };
	struct db *db = open_ok(fx->path);
	char *s;

	assert_int_equal(db_scan_begin(db, T0, NULL), 0);
	assert_int_equal(db_scan_put_device(db, &nic, NULL, NULL), 0);
	assert_int_equal(db_scan_put_device(db, &edu, NULL, NULL), 0);
	assert_int_equal(db_scan_commit(db, NULL, NULL), 0);

	/* Moved by hand: e1000e let go of the NIC, the edu got a host driver first time. */
	nic.driver[0] = '\0';
	snprintf(edu.driver, sizeof(edu.driver), "uio_pci_generic");
	/* @other is not in the table (its scan has not come): left alone, no error. */
	assert_int_equal(db_devices_seen(db, seen, 3, NULL), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE driver IS NULL"
					   " AND address = '0000:01:00.0'"),
			 1);
	s = raw_text(fx->path, "SELECT original_driver FROM device WHERE address = '0000:01:00.0'");
	assert_string_equal(s, "e1000e");
	free(s);
	s = raw_text(fx->path, "SELECT driver || ' ' || original_driver FROM device"
			       " WHERE address = '0000:02:00.0'");
	assert_string_equal(s, "uio_pci_generic uio_pci_generic");
	free(s);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);

	/* vfio-pci is never an original driver; a stored one stays. */
	snprintf(nic.driver, sizeof(nic.driver), "vfio-pci");
	assert_int_equal(db_devices_seen(db, seen, 1, NULL), 0);
	s = raw_text(fx->path, "SELECT driver || ' ' || original_driver FROM device"
			       " WHERE address = '0000:01:00.0'");
	assert_string_equal(s, "vfio-pci e1000e");
	free(s);

	/* Not inside a scan. */
	assert_int_equal(db_scan_begin(db, T0 + 1, NULL), 0);
	assert_int_equal(db_devices_seen(db, seen, 1, NULL), -EBUSY);
	db_scan_abort(db);
	db_free(db);
}

static void test_db_identity_change_is_new_row(void **state)
{
	struct fixture *fx = *state;
	struct pd_device old = dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7);
	struct pd_device swapped = dev("0000:65:00.0", "0x1002", "0x73bf", "amdgpu", 7);
	struct db *db = open_ok(fx->path);
	struct pd_device *gone = NULL;
	size_t n = 0;
	char *orig;

	assert_int_equal(scan(db, T0, &old, 1), 0);
	assert_int_equal(scan(db, T0 + 10, &swapped, 1), 1);
	assert_int_equal(
		raw_int(fx->path, "SELECT count(*) FROM device WHERE address = '0000:65:00.0'"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT gone_at FROM device WHERE device_id = '0x2204'"),
			 T0 + 10);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE device_id = '0x73bf'"
				 " AND gone_at IS NULL AND first_seen = 1700000000000010"),
			 1);

	assert_int_equal(db_list_gone(db, &gone, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(gone[0].vendor_id, "0x10de");
	assert_string_equal(gone[0].original_driver, "nvidia");
	free_devs(gone, n);

	/* The new card's original driver is its own, not the old card's. */
	orig = put_one(db, T0 + 20, &swapped);
	assert_string_equal(orig, "amdgpu");
	free(orig);

	/* A subsystem id is part of the identity too. */
	snprintf(swapped.subsystem_device_id, sizeof(swapped.subsystem_device_id), "0x0e3a");
	assert_int_equal(scan(db, T0 + 30, &swapped, 1), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 3);
	db_free(db);
}

static void test_db_group_renumbering_keeps_row(void **state)
{
	struct fixture *fx = *state;
	struct pd_device devs[] = {
		dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7),
		dev("0000:65:00.1", "0x10de", "0x1aef", "snd_hda_intel", 7),
	};
	struct db *db = open_ok(fx->path);

	assert_int_equal(scan(db, T0, devs, 2), 0);
	devs[0].iommu_group = 31; /* after a reboot the kernel numbered groups differently */
	devs[1].iommu_group = 31;
	assert_int_equal(scan(db, T0 + 10, devs, 2), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE iommu_group = 31"
				 " AND gone_at IS NULL AND first_seen = 1700000000000000"),
			 2);
	devs[0].iommu_group = -1; /* IOMMU off */
	assert_int_equal(scan(db, T0 + 20, devs, 2), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE iommu_group IS NULL"),
			 1);
	db_free(db);
}

static void test_db_abort_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct pd_device d = dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7);
	struct pd_device other = dev("0000:66:00.0", "0x144d", "0xa808", "nvme", 8);
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);
	char *orig = NULL;
	unsigned gone = 77;

	db_scan_abort(db); /* no transaction: a no-op */

	assert_int_equal(db_scan_begin(db, T0, &err), 0);
	assert_int_equal(db_scan_put_device(db, &d, &orig, &err), 0);
	free(orig);
	db_scan_abort(db);
	db_scan_abort(db);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM scan"), 0);

	/* An aborted scan that missed a known device does not mark it gone. */
	assert_int_equal(scan(db, T0 + 1, &other, 1), 0);
	assert_int_equal(db_scan_begin(db, T0 + 2, &err), 0);
	assert_int_equal(db_scan_put_device(db, &d, NULL, &err), 0);
	db_scan_abort(db);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE gone_at IS NULL"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM scan"), 1);

	/* Outside a scan, put and commit fail and leave their ret_ outputs alone. */
	orig = (char *)"untouched";
	assert_int_equal(db_scan_put_device(db, &d, &orig, &err), -EINVAL);
	assert_ptr_equal(orig, (char *)"untouched");
	assert_true(pd_error_is_set(&err));
	assert_int_equal(db_scan_commit(db, &gone, NULL), -EINVAL);
	assert_int_equal(gone, 77);

	/* The database still works after all that. */
	assert_int_equal(scan(db, T0 + 3, &d, 1), 1);
	db_free(db);
}

static void test_db_rescan_moves_last_seen(void **state)
{
	struct fixture *fx = *state;
	struct pd_device devs[] = {
		dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7),
		dev("0000:66:00.0", "0x144d", "0xa808", "nvme", 8),
		dev("0000:67:00.0", "0x8086", "0x1572", "i40e", 9),
	};
	struct db *db = open_ok(fx->path);
	long long last_scan;

	assert_int_equal(scan(db, T0, devs, 3), 0);
	/* Nothing changed but time; one device changed driver. */
	snprintf(devs[2].driver, sizeof(devs[2].driver), "vfio-pci");
	assert_int_equal(scan(db, T0 + 10, devs, 3), 0);

	last_scan = raw_int(fx->path, "SELECT max(id) FROM scan");
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE last_seen = 1700000000000010"
				 " AND first_seen = 1700000000000000 AND gone_at IS NULL"),
			 3);
	assert_int_equal(raw_int(fx->path, "SELECT count(DISTINCT scan_id) FROM device"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT min(scan_id) FROM device"), last_scan);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE driver = 'vfio-pci'"
					   " AND original_driver = 'i40e'"),
			 1);
	assert_int_equal(
		raw_int(fx->path, "SELECT devices FROM scan WHERE id = (SELECT max(id) FROM scan)"),
		3);
	db_free(db);
}

static void test_db_same_device_twice_in_one_scan(void **state)
{
	struct fixture *fx = *state;
	struct pd_device known = dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7);
	struct pd_device fresh = dev("0000:66:00.0", "0x144d", "0xa808", "", 8);
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);
	char *orig = NULL;

	assert_int_equal(scan(db, T0, &known, 1), 0);

	assert_int_equal(db_scan_begin(db, T0 + 10, &err), 0);
	assert_int_equal(db_scan_put_device(db, &known, NULL, &err), 0);
	snprintf(known.driver, sizeof(known.driver), "vfio-pci");
	assert_int_equal(db_scan_put_device(db, &known, &orig, &err), 0);
	assert_string_equal(orig, "nvidia");
	free(orig);
	assert_int_equal(db_scan_put_device(db, &fresh, NULL, &err), 0);
	snprintf(fresh.driver, sizeof(fresh.driver), "nvme");
	assert_int_equal(db_scan_put_device(db, &fresh, &orig, &err), 0);
	assert_string_equal(orig, "nvme");
	free(orig);
	assert_int_equal(db_scan_commit(db, NULL, &err), 0);

	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE gone_at IS NULL"
					   " AND last_seen = 1700000000000010"),
			 2);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE address = '0000:65:00.0'"
				 " AND driver = 'vfio-pci' AND original_driver = 'nvidia'"),
			 1);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE address = '0000:66:00.0'"
				 " AND driver = 'nvme' AND original_driver = 'nvme'"),
			 1);
	db_free(db);
}

/* Rows passd could not have written (edited by hand): a scan repairs or retires them. */
static void test_db_scan_copes_with_odd_rows(void **state)
{
	struct fixture *fx = *state;
	struct pd_device d = dev("0000:65:00.0", "0x10de", "0x2204", "nvidia", 7);
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);
	struct pd_device *gone = NULL;
	size_t n = 0;
	char long_driver[200];
	char sql[400];

	assert_int_equal(scan(db, T0, &d, 1), 0);
	memset(long_driver, 'x', sizeof(long_driver) - 1);
	long_driver[sizeof(long_driver) - 1] = '\0';
	snprintf(sql, sizeof(sql), "UPDATE device SET driver = '%s'", long_driver);
	raw_exec(fx->path, sql);
	raw_exec(fx->path, "INSERT INTO device (address, vendor_id, first_seen, last_seen, scan_id)"
			   " VALUES ('not-a-pci-address-at-all', '0x10de', 1, 1, 1)");

	assert_int_equal(scan(db, T0 + 10, &d, 1), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE driver = 'nvidia'"
					   " AND gone_at IS NULL AND last_seen = 1700000000000010"),
			 1);
	assert_int_equal(raw_int(fx->path, "SELECT gone_at FROM device"
					   " WHERE address = 'not-a-pci-address-at-all'"),
			 T0 + 10);

	/* A gone row passd cannot represent is left out of the list, not an error. */
	raw_exec(fx->path, "INSERT INTO device (address, vendor_id, class, first_seen, last_seen,"
			   " gone_at, scan_id) VALUES ('0000:70:00.0', '0x8086',"
			   " 'a class name far too long', 1, 1, 5, 1)");
	assert_int_equal(db_list_gone(db, &gone, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(gone[0].address, "0000:70:00.0");
	assert_string_equal(gone[0].class_id, "");
	free_devs(gone, n);
	db_free(db);
}

static void test_db_new_devices_in_batches(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);
	long long want_groups = 0;
	unsigned gone = 99;

	/* 150 new devices: two full batches and a remainder; one is put twice. */
	assert_int_equal(db_scan_begin(db, T0, &err), 0);
	for (int i = 0; i < 150; i++) {
		char addr[16];
		struct pd_device d;
		char *orig = (char *)"untouched";

		snprintf(addr, sizeof(addr), "0000:%02x:%02x.%d", 0x10 + i / 64, (i / 8) % 8,
			 i % 8);
		d = dev(addr, "0x8086", "0x1572", i % 3 ? "i40e" : "vfio-pci", i);
		want_groups += i;
		assert_int_equal(db_scan_put_device(db, &d, &orig, &err), 0);
		if (i % 3)
			assert_string_equal(orig, "i40e");
		else
			assert_null(orig);
		free(orig);
		if (i == 10)
			assert_int_equal(db_scan_put_device(db, &d, NULL, &err), 0);
	}
	assert_int_equal(db_scan_commit(db, &gone, &err), 0);
	assert_int_equal(gone, 0);

	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE gone_at IS NULL"
					   " AND first_seen = 1700000000000000"),
			 150);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE original_driver IS NULL"
				 " AND driver = 'vfio-pci'"),
			 50);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM device WHERE original_driver = 'i40e'"
				 " AND driver = 'i40e'"),
			 100);
	assert_int_equal(raw_int(fx->path, "SELECT sum(iommu_group) FROM device"), want_groups);
	assert_int_equal(raw_int(fx->path, "SELECT devices FROM scan"), 151);
	db_free(db);
}

static void test_db_begin_twice_is_busy(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct db *db = open_ok(fx->path);

	assert_int_equal(db_scan_begin(db, T0, NULL), 0);
	assert_int_equal(db_scan_begin(db, T0, &err), -EBUSY);
	assert_int_equal(err.error, -EBUSY);
	db_scan_abort(db);
	db_free(db); /* nothing left open */
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* One timed scan of @n devices: begin + put each + commit. */
static double timed_scan(struct db *db, int64_t now, const struct pd_device *devs, size_t n)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	(void)scan(db, now, devs, n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return elapsed_ms(&a, &b);
}

/*
 * 4096 functions (16 buses x 32 slots x 8 functions) in one scan: the first boot (all new) and
 * the restart (all known). Prints the times; fails only when far off the goal (under ~15 ms
 * in a release build), so that a sanitizer build on a slow runner does not flake.
 */
static void test_db_scan_4096_devices(void **state)
{
	struct fixture *fx = *state;
	const size_t n = 4096;
	struct pd_device *devs = calloc(n, sizeof(*devs));
	double t_new = 1e9, t_known = 1e9;

	assert_non_null(devs);
	for (size_t i = 0; i < n; i++) {
		char addr[16];

		snprintf(addr, sizeof(addr), "0000:%02zx:%02zx.%zu", 0x40 + i / 256, (i / 8) % 32,
			 i % 8);
		devs[i] = dev(addr, "0x8086", "0x1572", i % 3 ? "i40e" : "vfio-pci", (int)(i / 8));
	}

	for (int run = 0; run < 3; run++) {
		char path[160];
		struct pd_error err = PD_ERROR_INIT;
		struct db *db = NULL;
		double t;

		snprintf(path, sizeof(path), "%s/bench-%d.db", fx->dir, run);
		if (db_open(path, &db, &err) < 0)
			fail_msg("%s", err.message);
		t = timed_scan(db, T0, devs, n);
		t_new = t < t_new ? t : t_new;
		for (int k = 1; k <= 5; k++) {
			t = timed_scan(db, T0 + k, devs, n);
			t_known = t < t_known ? t : t_known;
		}
		assert_int_equal(raw_int(path, "SELECT count(*) FROM device WHERE gone_at IS NULL"),
				 (long long)n);
		db_free(db);
	}
	print_message("scan of %zu devices (best of 3 / 15): all new %.2f ms, all known %.2f ms\n",
		      n, t_new, t_known);
	assert_true(t_new < 1000.0);
	assert_true(t_known < 1000.0);
	free(devs);
}

static void test_db_intent_pending_survives_reopen_until_finished(void **state)
{
	struct fixture *fx = *state;
	struct db_intent_step steps[2] = {
		{ "0000:01:00.0", "nvidia", "", "vfio-pci" },
		{ "0000:01:00.1", "snd_hda_intel", "", "vfio-pci" },
	};
	struct pd_error err = PD_ERROR_INIT;
	struct db_intent *a = NULL;
	struct db *db = open_ok(fx->path);
	size_t n = 99;
	int64_t id = -1;

	assert_int_equal(db_intent_begin(db, "bind", "0000:01:00.0", 7, steps, 2, &id, &err), 0);
	assert_true(id > 0);
	db_free(db); /* a passd that dies here leaves the intent pending */

	db = open_ok(fx->path);
	assert_int_equal(db_intent_list_pending(db, &a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].id, id);
	assert_string_equal(a[0].kind, "bind");
	assert_int_equal(a[0].group, 7);
	assert_int_equal(a[0].n_steps, 2);
	assert_string_equal(a[0].steps[1].address, "0000:01:00.1");
	assert_string_equal(a[0].steps[1].driver_before, "snd_hda_intel");
	assert_string_equal(a[0].steps[0].override_before, "");
	assert_string_equal(a[0].steps[0].driver_after, "vfio-pci");
	db_intent_array_free(a, n);

	assert_int_equal(db_intent_finish(db, id, "recovered", NULL, &err), 0);
	assert_int_equal(db_intent_list_pending(db, &a, &n, &err), 0);
	assert_int_equal(n, 0);
	db_intent_array_free(a, n);
	/* A state outside the schema's list is refused by the database, not stored. */
	assert_true(db_intent_begin(db, "bind", "0000:02:00.0", -1, steps, 1, &id, &err) == 0);
	assert_true(db_intent_finish(db, id, "sideways", NULL, &err) < 0);
	db_free(db);
}

static void test_db_migration_from_v1_keeps_devices(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	const struct migration *m;
	sqlite3 *conn;
	struct db *db;
	size_t n;

	/* A database as version 1 of passd left it, with a device in it. */
	m = db_migrations_get(&n);
	assert_true(n >= 2);
	assert_int_equal(sqlite3_open(fx->path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, m[0].sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn,
				      "INSERT INTO device (address, class, first_seen, last_seen, scan_id)"
				      " VALUES ('0000:65:00.0', '0x030000', 1, 1, 1);"
				      "PRAGMA application_id = 1885434724; PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(conn);

	assert_int_equal(db_open(fx->path, &db, &err), 0);
	assert_int_equal(db_schema_version(db), db_schema_version_latest());
	db_free(db);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM device WHERE address = '0000:65:00.0'"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM intent"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_db_fresh_gets_latest_version_and_wal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_migrations_applied_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_intent_pending_survives_reopen_until_finished,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_migration_from_v1_keeps_devices, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_refuses_non_sqlite_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_refuses_other_programs_database, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_missing_directory_is_clear_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_scan_inserts_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_missing_device_is_gone_then_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_original_driver_is_first_host_driver, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_devices_seen_records_driver_outside_a_scan,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_identity_change_is_new_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_group_renumbering_keeps_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_rescan_moves_last_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_same_device_twice_in_one_scan, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_scan_copes_with_odd_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_new_devices_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_begin_twice_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_scan_4096_devices, setup, teardown),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
