#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db-priv.h"

enum {
	ST_INSERT,
	ST_FINISH,
	ST_INTERRUPT,
	ST_LIST,
	ST_RECORD,
	_ST_MAX,
};

static const char *const sql[_ST_MAX] = {
	[ST_INSERT] = "INSERT INTO audit (started_at, identity, role, method, action, target)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FINISH] = "UPDATE audit SET status = ?2, result = ?3, finished_at = ?4"
		      " WHERE id = ?1 AND status IS NULL",
	[ST_INTERRUPT] = "UPDATE audit SET status = 0, result = 'interrupted', finished_at = ?1"
			 " WHERE status IS NULL",
	[ST_LIST] = "SELECT id, started_at, finished_at, identity, role, method, action, target,"
		    " status, result FROM audit WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_RECORD] = "INSERT INTO audit (started_at, finished_at, identity, role, method, action,"
		      " target, status, result) VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

struct db_audit {
	struct db *db;
	sqlite3_stmt *s[_ST_MAX];
};

int db_audit_new(struct db *db, struct db_audit **ret, struct pd_error *err)
{
	_cleanup_(db_audit_freep) struct db_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->db = db;
	for (size_t i = 0; i < _ST_MAX; i++) {
		int rc = sqlite3_prepare_v3(db_get_conn(db), sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &a->s[i], NULL);
		if (rc != SQLITE_OK)
			return db_sqlite_fail(db, err, rc, "preparing the audit statements");
	}
	*ret = TAKE_PTR(a);
	return 0;
}

void db_audit_free(struct db_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(a->s[i]);
	free(a);
}

/* ?1 the time, ?2..?6 who asked what: the head of both statements that add a row. */
static void bind_row(sqlite3_stmt *s, const struct db_audit_row *row)
{
	sqlite3_bind_int64(s, 1, db_now_usec());
	sqlite3_bind_text(s, 2, row->identity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, row->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, row->method, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, row->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, row->target, -1, SQLITE_STATIC);
}

int db_audit_begin(struct db_audit *a, const struct db_audit_row *row, int64_t *ret_id,
		   struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = a->s[ST_INSERT];
	int rc;

	bind_row(s, row);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return db_sqlite_fail(a->db, err, rc, "recording an audit entry");
	*ret_id = sqlite3_last_insert_rowid(db_get_conn(a->db));
	return 0;
}

int db_audit_record(struct db_audit *a, const struct db_audit_row *row, int status,
		    const char *result, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = a->s[ST_RECORD];
	int rc;

	bind_row(s, row);
	sqlite3_bind_int(s, 7, status);
	sqlite3_bind_text(s, 8, result, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return db_sqlite_fail(a->db, err, rc, "recording an audit entry");
	return 0;
}

int db_audit_finish(struct db_audit *a, int64_t id, int status, const char *result,
		    struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = a->s[ST_FINISH];
	int rc;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, status);
	sqlite3_bind_text(s, 3, result, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, db_now_usec());
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return db_sqlite_fail(a->db, err, rc, "finishing an audit entry");
	if (sqlite3_changes(db_get_conn(a->db)) == 0)
		return pd_error_set(err, PD_ERR_CONFLICT, -EALREADY,
				    "audit entry %lld is finished already", (long long)id);
	return 0;
}

int db_audit_interrupt_running(struct db_audit *a, unsigned *ret_n, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = a->s[ST_INTERRUPT];
	int rc;

	sqlite3_bind_int64(s, 1, db_now_usec());
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return db_sqlite_fail(a->db, err, rc, "closing interrupted audit entries");
	*ret_n = (unsigned)sqlite3_changes(db_get_conn(a->db));
	return 0;
}

static void copy_col(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

int db_audit_list(struct db_audit *a, int64_t before, unsigned limit, struct db_audit_row **ret,
		  size_t *ret_n, struct pd_error *err)
{
	_cleanup_reset_ sqlite3_stmt *s = a->s[ST_LIST];
	_cleanup_free_ struct db_audit_row *rows = calloc(limit ? limit : 1, sizeof(*rows));
	size_t n = 0;
	int rc;

	if (!rows)
		return -ENOMEM;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < limit) {
		struct db_audit_row *r = &rows[n++];
		r->id = sqlite3_column_int64(s, 0);
		r->started_at = sqlite3_column_int64(s, 1);
		r->finished_at = sqlite3_column_int64(s, 2);
		copy_col(s, 3, r->identity, sizeof(r->identity));
		copy_col(s, 4, r->role, sizeof(r->role));
		copy_col(s, 5, r->method, sizeof(r->method));
		copy_col(s, 6, r->action, sizeof(r->action));
		copy_col(s, 7, r->target, sizeof(r->target));
		r->status =
			sqlite3_column_type(s, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 8);
		copy_col(s, 9, r->result, sizeof(r->result));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sqlite_fail(a->db, err, rc, "listing the audit log");
	*ret = TAKE_PTR(rows);
	*ret_n = n;
	return 0;
}
