/*
 * assign.c - assignments, quarantine, idempotency keys and history (schema 0005).
 *
 * Lists of addresses are stored as JSON arrays. Only canonical PCI addresses go in (hex digits,
 * ':' and '.', checked here), so the array text needs no escaping; SQLite's json_each reads it
 * back. Every value is bound.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "assign.h"
#include "db-priv.h"

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_ASSIGN_INSERT,
	ST_ASSIGN_STATE,
	ST_ASSIGN_LIST,
	ST_QUAR_PUT,
	ST_QUAR_DELETE,
	ST_QUAR_LIST,
	ST_HIST_ADD,
	ST_HIST_LIST,
	ST_IDEM_GET,
	ST_IDEM_PUT,
	ST_IDEM_EXPIRE,
	_ST_MAX,
};

static const char *const sql[_ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ASSIGN_INSERT] =
		"INSERT INTO assignment (device_id, address, domain, iommu_group, devices, companions,"
		" started, state, reason, created_at)"
		" VALUES ((SELECT id FROM device WHERE address = ?1 AND gone_at IS NULL), ?1, ?2, ?3,"
		" ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_ASSIGN_STATE] = "UPDATE assignment SET state = ?2, reason = coalesce(?3, reason),"
			    " released_at = CASE WHEN ?2 IN ('released', 'failed') THEN ?4"
			    " ELSE released_at END WHERE id = ?1",
	[ST_ASSIGN_LIST] = "SELECT id, address, domain, iommu_group,"
			   " (SELECT group_concat(value, ' ') FROM json_each(devices)), started, state,"
			   " reason, created_at, released_at FROM assignment ORDER BY id",
	[ST_QUAR_PUT] = "INSERT INTO quarantine (address, device_id, reason, since)"
			" VALUES (?1, (SELECT id FROM device WHERE address = ?1 AND gone_at IS NULL),"
			" ?2, ?3) ON CONFLICT (address) DO UPDATE SET reason = excluded.reason,"
			" since = excluded.since",
	[ST_QUAR_DELETE] = "DELETE FROM quarantine WHERE address = ?1",
	[ST_QUAR_LIST] = "SELECT address, reason, since FROM quarantine ORDER BY address",
	[ST_HIST_ADD] = "INSERT INTO history (at, kind, address, detail, actor, result, domain,"
			" assignment_id, drivers_before, drivers_after, error)"
			" VALUES (?1, ?2, ?3, coalesce(?4, '{}'), ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_HIST_LIST] = "SELECT id, at, actor, kind, coalesce(address, ''), coalesce(domain, ''),"
			 " coalesce(assignment_id, 0), result, coalesce(drivers_before, ''),"
			 " coalesce(drivers_after, ''), coalesce(error, ''), detail FROM history"
			 " WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_IDEM_GET] = "SELECT request_hash, status, body FROM idempotency"
			" WHERE key = ?1 AND created_at >= ?2",
	[ST_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency (key, request_hash, status, body,"
			" created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE created_at < ?1",
};

struct db_assign_stmts {
	sqlite3_stmt *s[_ST_MAX];
};

void db_assign_stmts_free(struct db_assign_stmts *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(st->s[i]);
	free(st);
}

static int stmts(struct db *db, struct db_assign_stmts **ret, struct pd_error *err)
{
	struct db_assign_stmts **slot = db_get_assign_stmts(db);

	if (!*slot) {
		struct db_assign_stmts *st = calloc(1, sizeof(*st));
		if (!st)
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		for (size_t i = 0; i < _ST_MAX; i++) {
			int rc = sqlite3_prepare_v3(db_get_conn(db), sql[i], -1,
						    SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL);
			if (rc != SQLITE_OK) {
				db_assign_stmts_free(st);
				return db_sqlite_fail(db, err, rc, "preparing the assignment statements");
			}
		}
		*slot = st;
	}
	*ret = *slot;
	return 0;
}

/* Run a statement that returns no row, then reset it. */
static int run(struct db *db, sqlite3_stmt *s, const char *what, struct pd_error *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return pd_error_set(err, PD_ERR_CONFLICT, -EEXIST, "database %s: %s: %s",
				    db_get_path(db), what, sqlite3_errmsg(db_get_conn(db)));
	return db_sqlite_fail(db, err, rc, what);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && v[0])
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

/* @n addresses as a JSON array text (owned), from @skip on; NULL when one is not an address. */
static char *addresses_json(const char (*a)[PCI_ADDR_LEN + 1], size_t n, size_t skip)
{
	char *s = malloc(2 + n * (PCI_ADDR_LEN + 3) + 1);
	size_t len = 0;

	if (!s)
		return NULL;
	s[len++] = '[';
	for (size_t i = skip; i < n; i++) {
		if (!pci_addr_is_valid(a[i])) {
			free(s);
			return NULL;
		}
		len += (size_t)sprintf(s + len, "%s\"%s\"", i > skip ? "," : "", a[i]);
	}
	s[len++] = ']';
	s[len] = '\0';
	return s;
}

int db_assignment_insert(struct db *db, const struct db_assignment *a, int64_t *ret_id,
			 struct pd_error *err)
{
	_cleanup_free_ char *devices = NULL, *companions = NULL;
	struct db_assign_stmts *st;
	sqlite3_stmt *s;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	devices = addresses_json(a->devices, a->n_devices, 0);
	companions = addresses_json(a->devices, a->n_devices, 1);
	if (!devices || !companions)
		return pd_error_set(err, PD_ERR_INTERNAL, -EINVAL,
				    "an assignment's devices must be PCI addresses");
	s = st->s[ST_ASSIGN_INSERT];
	bind_text(s, 1, a->address);
	bind_text(s, 2, a->domain);
	if (a->group >= 0)
		sqlite3_bind_int(s, 3, a->group);
	bind_text(s, 4, devices);
	bind_text(s, 5, companions);
	sqlite3_bind_int(s, 6, a->started);
	bind_text(s, 7, a->state);
	bind_text(s, 8, a->reason);
	sqlite3_bind_int64(s, 9, a->created_at ? a->created_at : db_now_usec());
	r = run(db, s, "recording an assignment", err);
	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(db_get_conn(db));
	return 0;
}

int db_assignment_set_state(struct db *db, int64_t id, const char *state, const char *reason,
			    struct pd_error *err)
{
	struct db_assign_stmts *st;
	sqlite3_stmt *s;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_ASSIGN_STATE];
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, state);
	bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, db_now_usec());
	return run(db, s, "updating an assignment", err);
}

/* Fill @a's device list from space-separated addresses; other words are skipped. */
static void parse_devices(struct db_assignment *a, const char *text)
{
	a->n_devices = 0;
	while (text && *text) {
		size_t n = strcspn(text, " ");
		char addr[PCI_ADDR_LEN + 1];

		if (n == PCI_ADDR_LEN && a->n_devices < DB_ASSIGN_MAX_DEVICES) {
			memcpy(addr, text, n);
			addr[n] = '\0';
			if (pci_addr_is_valid(addr))
				memcpy(a->devices[a->n_devices++], addr, sizeof(addr));
		}
		text += n;
		text += strspn(text, " ");
	}
}

/* Step @s to the end, growing *@arr by one element of @size per row through @fill. */
static int collect(struct db *db, sqlite3_stmt *s, size_t size, void **arr, size_t *n,
		   void (*fill)(sqlite3_stmt *s, void *elem), const char *what,
		   struct pd_error *err)
{
	size_t cap = 0;
	int rc;

	*arr = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *p = realloc(*arr, ncap * size);
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			*arr = p;
			cap = ncap;
		}
		memset((char *)*arr + *n * size, 0, size);
		fill(s, (char *)*arr + *n * size);
		(*n)++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		free(*arr);
		*arr = NULL;
		*n = 0;
		return db_sqlite_fail(db, err, rc, what);
	}
	return 0;
}

static void fill_assignment(sqlite3_stmt *s, void *elem)
{
	struct db_assignment *a = elem;

	a->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, a->address, sizeof(a->address));
	copy_col(s, 2, a->domain, sizeof(a->domain));
	a->group = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 3);
	parse_devices(a, (const char *)sqlite3_column_text(s, 4));
	a->started = sqlite3_column_int(s, 5) != 0;
	copy_col(s, 6, a->state, sizeof(a->state));
	copy_col(s, 7, a->reason, sizeof(a->reason));
	a->created_at = sqlite3_column_int64(s, 8);
	a->released_at = sqlite3_column_int64(s, 9);
}

int db_assignment_list(struct db *db, struct db_assignment **ret, size_t *ret_n,
		       struct pd_error *err)
{
	struct db_assign_stmts *st;
	void *arr;
	size_t n;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	r = collect(db, st->s[ST_ASSIGN_LIST], sizeof(struct db_assignment), &arr, &n,
		    fill_assignment, "listing assignments", err);
	if (r < 0)
		return r;
	*ret = arr;
	*ret_n = n;
	return 0;
}

int db_quarantine_put(struct db *db, const char *address, const char *reason,
		      struct pd_error *err)
{
	struct db_assign_stmts *st;
	sqlite3_stmt *s;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_QUAR_PUT];
	bind_text(s, 1, address);
	bind_text(s, 2, reason && reason[0] ? reason : "quarantined");
	sqlite3_bind_int64(s, 3, db_now_usec());
	return run(db, s, "quarantining a device", err);
}

int db_quarantine_delete(struct db *db, const char *address, struct pd_error *err)
{
	struct db_assign_stmts *st;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	bind_text(st->s[ST_QUAR_DELETE], 1, address);
	r = run(db, st->s[ST_QUAR_DELETE], "clearing a quarantine", err);
	if (r < 0)
		return r;
	if (sqlite3_changes(db_get_conn(db)) == 0)
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT,
				    "device %s is not quarantined", address);
	return 0;
}

static void fill_quarantine(sqlite3_stmt *s, void *elem)
{
	struct db_quarantine *q = elem;

	copy_col(s, 0, q->address, sizeof(q->address));
	copy_col(s, 1, q->reason, sizeof(q->reason));
	q->since = sqlite3_column_int64(s, 2);
}

int db_quarantine_list(struct db *db, struct db_quarantine **ret, size_t *ret_n,
		       struct pd_error *err)
{
	struct db_assign_stmts *st;
	void *arr;
	size_t n;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	r = collect(db, st->s[ST_QUAR_LIST], sizeof(struct db_quarantine), &arr, &n,
		    fill_quarantine, "listing quarantined devices", err);
	if (r < 0)
		return r;
	*ret = arr;
	*ret_n = n;
	return 0;
}

int db_history_add(struct db *db, const struct db_history *h, struct pd_error *err)
{
	struct db_assign_stmts *st;
	sqlite3_stmt *s;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_HIST_ADD];
	sqlite3_bind_int64(s, 1, db_now_usec());
	bind_text(s, 2, h->action);
	bind_text(s, 3, h->target);
	bind_text(s, 4, h->detail);
	bind_text(s, 5, h->actor[0] ? h->actor : "local");
	bind_text(s, 6, h->result[0] ? h->result : "done");
	bind_text(s, 7, h->domain);
	if (h->assignment_id > 0)
		sqlite3_bind_int64(s, 8, h->assignment_id);
	bind_text(s, 9, h->drivers_before);
	bind_text(s, 10, h->drivers_after);
	bind_text(s, 11, h->error);
	return run(db, s, "appending to the history", err);
}

static void fill_history(sqlite3_stmt *s, void *elem)
{
	struct db_history *h = elem;

	h->id = sqlite3_column_int64(s, 0);
	h->at = sqlite3_column_int64(s, 1);
	copy_col(s, 2, h->actor, sizeof(h->actor));
	copy_col(s, 3, h->action, sizeof(h->action));
	copy_col(s, 4, h->target, sizeof(h->target));
	copy_col(s, 5, h->domain, sizeof(h->domain));
	h->assignment_id = sqlite3_column_int64(s, 6);
	copy_col(s, 7, h->result, sizeof(h->result));
	copy_col(s, 8, h->drivers_before, sizeof(h->drivers_before));
	copy_col(s, 9, h->drivers_after, sizeof(h->drivers_after));
	copy_col(s, 10, h->error, sizeof(h->error));
	copy_col(s, 11, h->detail, sizeof(h->detail));
}

int db_history_list(struct db *db, int64_t before_id, unsigned limit, struct db_history **ret,
		    size_t *ret_n, struct pd_error *err)
{
	struct db_assign_stmts *st;
	void *arr;
	size_t n;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st->s[ST_HIST_LIST], 1, before_id > 0 ? before_id : 0);
	sqlite3_bind_int(st->s[ST_HIST_LIST], 2, (int)limit);
	r = collect(db, st->s[ST_HIST_LIST], sizeof(struct db_history), &arr, &n, fill_history,
		    "reading the history", err);
	if (r < 0)
		return r;
	*ret = arr;
	*ret_n = n;
	return 0;
}

int db_idempotency_get(struct db *db, const char *key, int64_t max_age_usec,
		       char ret_hash[static 65], int *ret_status, char **ret_body,
		       struct pd_error *err)
{
	struct db_assign_stmts *st;
	sqlite3_stmt *s;
	char *body;
	int r, rc;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_IDEM_GET];
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, db_now_usec() - max_age_usec);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return db_sqlite_fail(db, err, rc, "reading an idempotency key");
	}
	body = strdup(sqlite3_column_text(s, 2) ? (const char *)sqlite3_column_text(s, 2) : "");
	if (!body) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	copy_col(s, 0, ret_hash, 65);
	*ret_status = sqlite3_column_int(s, 1);
	*ret_body = body;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return 0;
}

int db_idempotency_put(struct db *db, const char *key, const char *hash, int status,
		       const char *body, int64_t max_age_usec, struct pd_error *err)
{
	struct db_assign_stmts *st;
	int64_t now = db_now_usec();
	sqlite3_stmt *s;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	r = run(db, st->s[ST_BEGIN], "storing an idempotency key", err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st->s[ST_IDEM_EXPIRE], 1, now - max_age_usec);
	r = run(db, st->s[ST_IDEM_EXPIRE], "expiring idempotency keys", err);
	if (r < 0)
		goto rollback;
	s = st->s[ST_IDEM_PUT];
	bind_text(s, 1, key);
	bind_text(s, 2, hash);
	sqlite3_bind_int(s, 3, status);
	sqlite3_bind_text(s, 4, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, now);
	r = run(db, s, "storing an idempotency key", err);
	if (r < 0)
		goto rollback;
	r = run(db, st->s[ST_COMMIT], "storing an idempotency key", err);
	if (r < 0)
		goto rollback;
	return 0;

rollback:
	(void)run(db, st->s[ST_ROLLBACK], "rolling back", NULL); /* first error wins */
	return r;
}
