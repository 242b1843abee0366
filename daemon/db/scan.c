/*
 * scan.c - one discovery scan as one transaction: every device put, the unseen ones marked
 * gone, all in a single commit; and the list of gone devices.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-priv.h"

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

void db_known_free(struct db *db)
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
		sqlite3_bind_int64(s, 2, db_now_usec());
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
	db_known_free(db);
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
	db_known_free(db);
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

/* One device of db_devices_seen(). */
static int device_seen(struct db *db, const struct pd_device *d, int64_t now, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_DEVICE_SEEN];
	/* The rule of db_scan_put_device(): the first host driver seen, never vfio-pci. */
	const char *orig = d->driver[0] && !streq(d->driver, DB_DRIVER_VFIO) ? d->driver : NULL;
	int rc;

	/* The identity as the INSERTs store it (bind_identity()). */
	rc = sqlite3_bind_text(s, 1, d->address, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, d->vendor_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 3, d->device_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 4, d->subsystem_vendor_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 5, d->subsystem_device_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = bind_text_or_null(s, 6, d->driver);
	if (rc == SQLITE_OK)
		rc = bind_text_or_null(s, 7, orig);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 8, now);
	if (rc != SQLITE_OK)
		return db_fail(db, err, rc, "binding a device");
	return step_done(db, s, "recording a device's driver", err);
}

int db_devices_seen(struct db *db, const struct pd_device *const *devs, size_t n,
		    struct pd_error *err)
{
	int64_t now = db_now_usec();
	int r = 0;

	if (n == 0)
		return 0;
	if (db->scanning)
		return pd_error_set(err, PD_ERR_INTERNAL, -EBUSY,
				    "database %s: devices seen during a scan", db->path);
	{
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_BEGIN];

		r = step_done(db, s, "starting a driver update", err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		r = device_seen(db, devs[i], now, err);
	if (r >= 0) {
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_COMMIT];

		r = step_done(db, s, "committing a driver update", err);
	}
	if (r < 0) {
		_cleanup_reset_ sqlite3_stmt *s = db->stmt[DB_STMT_ROLLBACK];

		(void)sqlite3_step(s); /* the first error is the one to report */
	}
	return r;
}
