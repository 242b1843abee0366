#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-priv.h"

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_STEP,
	ST_FINISH,
	ST_PENDING,
	ST_STEPS_OF,
	ST_KIND,
	ST_BINDINGS_ADD,
	ST_BINDINGS_DROP,
	ST_BINDINGS_LIST,
	ST_PROGRESS,
	ST_SRIOV_SET,
	ST_SRIOV_CLEAR,
	ST_SRIOV_DROP_BINDINGS,
	ST_SRIOV_LIST,
	_ST_MAX,
};

static const char *const sql[_ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO intent (kind, address, iommu_group, state, created_at,"
		      " num_vfs_before, num_vfs_after) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
	[ST_STEP] = "INSERT INTO intent_step (intent_id, seq, address, driver_before,"
		    " override_before, driver_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FINISH] = "UPDATE intent SET state = ?2, error = ?3, finished_at = ?4"
		      " WHERE id = ?1 AND state = 'pending'",
	[ST_PENDING] = "SELECT id, kind, address, iommu_group, num_vfs_before, num_vfs_after,"
		       " progress FROM intent WHERE state = 'pending' ORDER BY id",
	[ST_STEPS_OF] = "SELECT address, driver_before, override_before, driver_after"
			" FROM intent_step WHERE intent_id = ?1 ORDER BY seq",
	[ST_KIND] = "SELECT kind FROM intent WHERE id = ?1",
	/* The device rows of a finished bind's steps, as present now. */
	[ST_BINDINGS_ADD] = "INSERT OR REPLACE INTO binding (device_id, wanted, intent_id, since)"
			    " SELECT d.id, 'vfio-pci', s.intent_id, ?2 FROM intent_step s"
			    " JOIN device d ON d.address = s.address AND d.gone_at IS NULL"
			    " WHERE s.intent_id = ?1 AND s.driver_after = 'vfio-pci'",
	[ST_BINDINGS_DROP] = "DELETE FROM binding WHERE device_id IN (SELECT d.id FROM intent_step s"
			     " JOIN device d ON d.address = s.address WHERE s.intent_id = ?1)",
	[ST_BINDINGS_LIST] = "SELECT d.address, d.vendor_id, d.device_id, d.subsystem_vendor_id,"
			     " d.subsystem_device_id, d.gone_at IS NOT NULL FROM binding b"
			     " JOIN device d ON d.id = b.device_id ORDER BY d.address",
	[ST_PROGRESS] = "UPDATE intent SET progress = ?2 WHERE id = ?1 AND state = 'pending'",
	/* A finished VF change: the PF's wanted count, on its device row as present now. */
	[ST_SRIOV_SET] = "INSERT OR REPLACE INTO sriov_wanted (device_id, num_vfs, intent_id, since)"
			 " SELECT d.id, i.num_vfs_after, i.id, ?2 FROM intent i"
			 " JOIN device d ON d.address = i.address AND d.gone_at IS NULL"
			 " WHERE i.id = ?1 AND i.num_vfs_after > 0",
	[ST_SRIOV_CLEAR] = "DELETE FROM sriov_wanted WHERE device_id IN (SELECT d.id FROM intent i"
			   " JOIN device d ON d.address = i.address AND d.gone_at IS NULL"
			   " WHERE i.id = ?1 AND i.num_vfs_after = 0)",
	/* The VFs it removed from vfio-pci (forced) are no longer wanted there. */
	[ST_SRIOV_DROP_BINDINGS] = "DELETE FROM binding WHERE device_id IN (SELECT d.id"
				   " FROM intent_step s JOIN device d ON d.address = s.address"
				   " WHERE s.intent_id = ?1 AND s.driver_before = 'vfio-pci')",
	[ST_SRIOV_LIST] = "SELECT d.address, d.vendor_id, d.device_id, d.subsystem_vendor_id,"
			  " d.subsystem_device_id, d.gone_at IS NOT NULL, w.num_vfs FROM sriov_wanted w"
			  " JOIN device d ON d.id = w.device_id ORDER BY d.address",
};

struct db_intent_stmts {
	sqlite3_stmt *s[_ST_MAX];
};

void db_intent_stmts_free(struct db_intent_stmts *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(st->s[i]);
	free(st);
}

static int64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int stmts(struct db *db, struct db_intent_stmts **ret, struct pd_error *err)
{
	struct db_intent_stmts **slot = db_get_intent_stmts(db);

	if (!*slot) {
		struct db_intent_stmts *st = calloc(1, sizeof(*st));
		if (!st)
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		for (size_t i = 0; i < _ST_MAX; i++) {
			int rc = sqlite3_prepare_v3(db_get_conn(db), sql[i], -1,
						    SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL);
			if (rc != SQLITE_OK) {
				db_intent_stmts_free(st);
				return db_sqlite_fail(db, err, rc, "preparing the intent log");
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
	return rc == SQLITE_DONE ? 0 : db_sqlite_fail(db, err, rc, what);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

static int intent_begin(struct db *db, const char *kind, const char *address, int group,
			int vfs_before, int vfs_after, const struct db_intent_step *steps, size_t n,
			int64_t *ret_id, struct pd_error *err)
{
	struct db_intent_stmts *st;
	int64_t id;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	r = run(db, st->s[ST_BEGIN], "starting an intent", err);
	if (r < 0)
		return r;

	bind_text(st->s[ST_INSERT], 1, kind);
	bind_text(st->s[ST_INSERT], 2, address);
	if (group >= 0)
		sqlite3_bind_int(st->s[ST_INSERT], 3, group);
	sqlite3_bind_int64(st->s[ST_INSERT], 4, now_usec());
	if (vfs_before >= 0)
		sqlite3_bind_int(st->s[ST_INSERT], 5, vfs_before);
	if (vfs_after >= 0)
		sqlite3_bind_int(st->s[ST_INSERT], 6, vfs_after);
	r = run(db, st->s[ST_INSERT], "recording an intent", err);
	if (r < 0)
		goto rollback;
	id = sqlite3_last_insert_rowid(db_get_conn(db));

	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = st->s[ST_STEP];
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		bind_text(s, 3, steps[i].address);
		bind_text(s, 4, steps[i].driver_before);
		bind_text(s, 5, steps[i].override_before);
		bind_text(s, 6, steps[i].driver_after);
		r = run(db, s, "recording an intent step", err);
		if (r < 0)
			goto rollback;
	}
	r = run(db, st->s[ST_COMMIT], "committing an intent", err);
	if (r < 0)
		goto rollback;
	*ret_id = id;
	return 0;

rollback:
	(void)run(db, st->s[ST_ROLLBACK], "rolling back an intent", NULL); /* first error wins */
	return r;
}

int db_intent_begin(struct db *db, const char *kind, const char *address, int group,
		    const struct db_intent_step *steps, size_t n, int64_t *ret_id,
		    struct pd_error *err)
{
	return intent_begin(db, kind, address, group, -1, -1, steps, n, ret_id, err);
}

int db_intent_begin_sriov(struct db *db, const char *pf, int group, int vfs_before,
			  int vfs_after, const struct db_intent_step *vfs, size_t n, int64_t *ret_id,
			  struct pd_error *err)
{
	return intent_begin(db, "sriov", pf, group, vfs_before, vfs_after, vfs, n, ret_id, err);
}

int db_intent_progress(struct db *db, int64_t id, int progress, struct pd_error *err)
{
	struct db_intent_stmts *st;
	int r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st->s[ST_PROGRESS], 1, id);
	sqlite3_bind_int(st->s[ST_PROGRESS], 2, progress);
	return run(db, st->s[ST_PROGRESS], "recording an intent's progress", err);
}

int db_intent_finish(struct db *db, int64_t id, const char *state, const char *error,
		     struct pd_error *err)
{
	struct db_intent_stmts *st;
	sqlite3_stmt *s;
	char kind[16] = "";
	int r, rc;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	r = run(db, st->s[ST_BEGIN], "finishing an intent", err);
	if (r < 0)
		return r;

	s = st->s[ST_FINISH];
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, state);
	if (error)
		bind_text(s, 3, error);
	sqlite3_bind_int64(s, 4, now_usec());
	r = run(db, s, "finishing an intent", err);
	if (r < 0)
		goto rollback;

	/* A finished move changes what passd wants to keep on vfio-pci, in the same commit. */
	if (streq(state, "done")) {
		s = st->s[ST_KIND];
		sqlite3_bind_int64(s, 1, id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			snprintf(kind, sizeof(kind), "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		if (streq(kind, "bind") || streq(kind, "unbind")) {
			s = st->s[streq(kind, "bind") ? ST_BINDINGS_ADD : ST_BINDINGS_DROP];
			sqlite3_bind_int64(s, 1, id);
			if (streq(kind, "bind"))
				sqlite3_bind_int64(s, 2, now_usec());
			r = run(db, s, "recording bindings", err);
			if (r < 0)
				goto rollback;
		} else if (streq(kind, "sriov")) {
			/* The wanted count, and the bindings of the VFs it took from vfio-pci. */
			static const int sriov_stmts[] = { ST_SRIOV_SET, ST_SRIOV_CLEAR,
							   ST_SRIOV_DROP_BINDINGS };
			for (size_t i = 0; i < ELEMENTSOF(sriov_stmts); i++) {
				s = st->s[sriov_stmts[i]];
				sqlite3_bind_int64(s, 1, id);
				if (sriov_stmts[i] == ST_SRIOV_SET)
					sqlite3_bind_int64(s, 2, now_usec());
				r = run(db, s, "recording the VF count", err);
				if (r < 0)
					goto rollback;
			}
		}
	}
	r = run(db, st->s[ST_COMMIT], "finishing an intent", err);
	if (r < 0)
		goto rollback;
	return 0;

rollback:
	(void)run(db, st->s[ST_ROLLBACK], "rolling back", NULL); /* the first error wins */
	return r;
}

int db_binding_list(struct db *db, struct db_binding **ret, size_t *ret_n, struct pd_error *err)
{
	struct db_intent_stmts *st;
	struct db_binding *a = NULL;
	size_t n = 0;
	sqlite3_stmt *s;
	int rc, r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_BINDINGS_LIST];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_binding *na = realloc(a, (n + 1) * sizeof(*na));
		if (!na) {
			sqlite3_reset(s);
			free(a);
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		}
		a = na;
		memset(&a[n], 0, sizeof(a[n]));
		copy_col(s, 0, a[n].address, sizeof(a[n].address));
		copy_col(s, 1, a[n].vendor_id, sizeof(a[n].vendor_id));
		copy_col(s, 2, a[n].device_id, sizeof(a[n].device_id));
		copy_col(s, 3, a[n].subsystem_vendor_id, sizeof(a[n].subsystem_vendor_id));
		copy_col(s, 4, a[n].subsystem_device_id, sizeof(a[n].subsystem_device_id));
		a[n].gone = sqlite3_column_int(s, 5) != 0;
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(a);
		return db_sqlite_fail(db, err, rc, "listing bindings");
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

int db_sriov_wanted_list(struct db *db, struct db_sriov_wanted **ret, size_t *ret_n,
			 struct pd_error *err)
{
	struct db_intent_stmts *st;
	struct db_sriov_wanted *a = NULL;
	size_t n = 0;
	sqlite3_stmt *s;
	int rc, r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_SRIOV_LIST];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_sriov_wanted *na = realloc(a, (n + 1) * sizeof(*na));
		if (!na) {
			sqlite3_reset(s);
			free(a);
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		}
		a = na;
		memset(&a[n], 0, sizeof(a[n]));
		copy_col(s, 0, a[n].pf.address, sizeof(a[n].pf.address));
		copy_col(s, 1, a[n].pf.vendor_id, sizeof(a[n].pf.vendor_id));
		copy_col(s, 2, a[n].pf.device_id, sizeof(a[n].pf.device_id));
		copy_col(s, 3, a[n].pf.subsystem_vendor_id, sizeof(a[n].pf.subsystem_vendor_id));
		copy_col(s, 4, a[n].pf.subsystem_device_id, sizeof(a[n].pf.subsystem_device_id));
		a[n].pf.gone = sqlite3_column_int(s, 5) != 0;
		a[n].num_vfs = sqlite3_column_int(s, 6);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(a);
		return db_sqlite_fail(db, err, rc, "listing wanted VF counts");
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

void db_intent_array_free(struct db_intent *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i].steps);
	free(a);
}

static int load_steps(struct db *db, struct db_intent_stmts *st, struct db_intent *it,
		      struct pd_error *err)
{
	sqlite3_stmt *s = st->s[ST_STEPS_OF];
	int rc;

	sqlite3_bind_int64(s, 1, it->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_intent_step *ns, *p;
		ns = realloc(it->steps, (it->n_steps + 1) * sizeof(*ns));
		if (!ns) {
			sqlite3_reset(s);
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		}
		it->steps = ns;
		p = &ns[it->n_steps++];
		copy_col(s, 0, p->address, sizeof(p->address));
		copy_col(s, 1, p->driver_before, sizeof(p->driver_before));
		copy_col(s, 2, p->override_before, sizeof(p->override_before));
		copy_col(s, 3, p->driver_after, sizeof(p->driver_after));
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_sqlite_fail(db, err, rc, "reading intent steps");
}

int db_intent_list_pending(struct db *db, struct db_intent **ret, size_t *ret_n,
			   struct pd_error *err)
{
	struct db_intent_stmts *st;
	struct db_intent *a = NULL;
	size_t n = 0;
	sqlite3_stmt *s;
	int rc, r;

	r = stmts(db, &st, err);
	if (r < 0)
		return r;
	s = st->s[ST_PENDING];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_intent *na = realloc(a, (n + 1) * sizeof(*na));
		if (!na) {
			sqlite3_reset(s);
			db_intent_array_free(a, n);
			return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
		}
		a = na;
		memset(&a[n], 0, sizeof(a[n]));
		a[n].id = sqlite3_column_int64(s, 0);
		copy_col(s, 1, a[n].kind, sizeof(a[n].kind));
		copy_col(s, 2, a[n].address, sizeof(a[n].address));
		a[n].group = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 3);
		a[n].num_vfs_before =
			sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
		a[n].num_vfs_after =
			sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 5);
		a[n].progress = sqlite3_column_int(s, 6);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_intent_array_free(a, n);
		return db_sqlite_fail(db, err, rc, "listing pending intents");
	}
	for (size_t i = 0; i < n; i++) {
		r = load_steps(db, st, &a[i], err);
		if (r < 0) {
			db_intent_array_free(a, n);
			return r;
		}
	}
	*ret = a;
	*ret_n = n;
	return 0;
}
