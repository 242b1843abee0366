#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "db/db.h"
#include "log.h"

struct auditsvc {
	struct db_audit *db;
};

int auditsvc_new(struct db *db, struct auditsvc **ret)
{
	_cleanup_(auditsvc_freep) struct auditsvc *a = calloc(1, sizeof(*a));
	struct pd_error err = PD_ERROR_INIT;
	unsigned n = 0;
	int r;

	if (!a)
		return -ENOMEM;
	r = db_audit_new(db, &a->db, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot open the audit log: %s", err.message);
	r = db_audit_interrupt_running(a->db, &n, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot close interrupted audit entries: %s",
				       err.message);
	if (n > 0)
		log_notice(
			"Audit: %u request(s) were running when passd stopped; marked interrupted",
			n);
	*ret = TAKE_PTR(a);
	return 0;
}

void auditsvc_free(struct auditsvc *a)
{
	if (!a)
		return;
	db_audit_free(a->db);
	free(a);
}

static void to_row(const struct audit_request *r, struct db_audit_row *row)
{
	*row = (struct db_audit_row){ 0 };
	snprintf(row->identity, sizeof(row->identity), "%s", r->identity);
	snprintf(row->role, sizeof(row->role), "%s", r->role);
	snprintf(row->method, sizeof(row->method), "%s", r->method);
	snprintf(row->action, sizeof(row->action), "%s %s", r->method, r->action);
	snprintf(row->target, sizeof(row->target), "%s", r->target);
}

int auditsvc_begin(struct auditsvc *a, const struct audit_request *r, int64_t *ret_id,
		   struct pd_error *err)
{
	struct pd_error e = PD_ERROR_INIT;
	struct db_audit_row row;
	int rc;

	to_row(r, &row);
	rc = db_audit_begin(a->db, &row, ret_id, &e);
	if (rc < 0) {
		log_warning("Audit: cannot record %s by '%s', refusing it: %s", row.action,
			    r->identity, e.message);
		return pd_error_set(err, PD_ERR_UNAVAILABLE, rc, "%s", e.message);
	}
	return 0;
}

int auditsvc_finish(struct auditsvc *a, int64_t id, unsigned status, const char *result,
		    struct pd_error *err)
{
	struct pd_error e = PD_ERROR_INIT;
	int rc = db_audit_finish(a->db, id, (int)status, result, &e);

	if (rc < 0) {
		log_warning("Audit: cannot finish entry %lld (status %u), ignoring: %s",
			    (long long)id, status, e.message);
		return pd_error_set(err, e.code, rc, "%s", e.message);
	}
	return 0;
}

int auditsvc_refused(struct auditsvc *a, const struct audit_request *r, unsigned status,
		     struct pd_error *err)
{
	struct pd_error e = PD_ERROR_INIT;
	struct db_audit_row row;
	int rc;

	/* Nothing runs after a refusal: one complete row, one commit. */
	to_row(r, &row);
	rc = db_audit_record(a->db, &row, (int)status, "refused", &e);
	if (rc < 0) {
		log_warning("Audit: cannot record the refused %s by '%s', ignoring: %s", row.action,
			    r->identity, e.message);
		return pd_error_set(err, PD_ERR_UNAVAILABLE, rc, "%s", e.message);
	}
	return 0;
}

int auditsvc_list(struct auditsvc *a, int64_t before, unsigned limit, struct db_audit_row **ret,
		  size_t *ret_n, struct pd_error *err)
{
	if (limit == 0 || limit > AUDIT_PAGE_MAX)
		return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL, "limit must be 1 to %d",
				    AUDIT_PAGE_MAX);
	return db_audit_list(a->db, before, limit, ret, ret_n, err);
}
