#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "handlers.h"

struct page {
	int64_t before;
	unsigned limit;
	struct api_response *resp;
};

/* A decimal number from 1 to @max, nothing else (no sign, spaces or leading zeros). */
static int parse_num(const char *v, long long max, long long *ret)
{
	long long n = 0;

	if (!v || !v[0] || v[0] == '0' || strlen(v) > 19)
		return -EINVAL;
	for (const char *c = v; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		n = n * 10 + (*c - '0');
		if (n > max)
			return -ERANGE;
	}
	*ret = n;
	return 0;
}

static int page_arg(const char *key, const char *value, void *userdata)
{
	struct page *p = userdata;
	long long n;

	if (streq(key, "before")) {
		if (parse_num(value, INT64_MAX / 2, &n) < 0) {
			api_respond_errorf(p->resp, PD_ERR_BAD_REQUEST,
					   "before must be an audit id (a positive integer)");
			return -1;
		}
		p->before = n;
	} else if (streq(key, "limit")) {
		if (parse_num(value, AUDIT_PAGE_MAX, &n) < 0) {
			api_respond_errorf(p->resp, PD_ERR_BAD_REQUEST, "limit must be 1 to %d",
					   AUDIT_PAGE_MAX);
			return -1;
		}
		p->limit = (unsigned)n;
	} else {
		api_respond_errorf(p->resp, PD_ERR_BAD_REQUEST,
				   "unknown query parameter '%.32s' (known: before, limit)", key);
		return -1;
	}
	return 0;
}

void api_audit_list(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct auditsvc *a = req->ctx->cfg.security.audit;
	struct page pg = { .limit = 100, .resp = resp };
	_cleanup_free_ struct db_audit_row *rows = NULL;
	struct pd_error err = PD_ERROR_INIT;
	size_t n = 0;
	json_t *v, *arr;

	if (api_request_query_foreach(req, page_arg, &pg) != 0)
		return;
	if (!a) {
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "this passd keeps no audit log");
		return;
	}
	if (auditsvc_list(a, pg.before, pg.limit, &rows, &n, &err) < 0) {
		api_respond_error(resp, &err);
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		const struct db_audit_row *r = &rows[i];
		json_array_append_new(
			arr,
			json_pack("{s:I,s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)r->id,
				  "started_usec", (json_int_t)r->started_at, "finished_usec",
				  r->finished_at ? json_integer(r->finished_at) : json_null(),
				  "identity", r->identity, "role", r->role, "action", r->action,
				  "target", r->target, "status",
				  r->status >= 0 ? json_integer(r->status) : json_null(), "result",
				  r->result[0] ? json_string(r->result) : json_null()));
	}
	v = json_pack("{s:o*,s:i,s:o}", "entries", arr, "count", (int)n, "next_before",
		      n == pg.limit && n > 0 ? json_integer(rows[n - 1].id) : json_null());
	api_respond_json(resp, 200, v);
}
