/*
 * history.c - GET /v1/history: what passd did (assignments, releases, quarantines, clears,
 * reconcile findings, and the binds, unbinds and VF changes of the device routes), newest
 * first, paged by id: ?limit=N (1-500, default 50) and ?before=ID (the "next_before" of the
 * previous page).
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assign.h"
#include "handlers.h"

#define HISTORY_LIMIT_DEFAULT 50
#define HISTORY_LIMIT_MAX 500

struct page {
	struct api_response *resp;
	long limit;
	long long before;
};

static int number(const char *key, const char *value, long long max, long long *ret,
		  struct api_response *resp)
{
	char *end;
	long long v;

	errno = 0;
	v = value && *value ? strtoll(value, &end, 10) : -1;
	if (!value || !*value || *end || errno || v < 1 || v > max) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "%s must be a whole number from 1 to %lld, not '%.32s'", key, max,
				   value ? value : "");
		return -1;
	}
	*ret = v;
	return 0;
}

static int page_arg(const char *key, const char *value, void *userdata)
{
	struct page *pg = userdata;
	long long v;

	if (streq(key, "limit")) {
		if (number("limit", value, HISTORY_LIMIT_MAX, &v, pg->resp) < 0)
			return -1;
		pg->limit = (long)v;
		return 0;
	}
	if (streq(key, "before"))
		return number("before", value, INT64_MAX, &pg->before, pg->resp);
	api_respond_errorf(pg->resp, PD_ERR_BAD_REQUEST,
			   "unknown parameter '%.32s' (known: limit, before)", key);
	return -1;
}

/* Stored JSON text as a value; null for "" or text that does not parse. */
static json_t *stored_json(const char *text)
{
	json_t *v = text[0] ? json_loads(text, 0, NULL) : NULL;

	return v ? v : json_null();
}

static json_t *entry_json(const struct asg_history *h)
{
	return json_pack("{s:I,s:o,s:s,s:s,s:s?,s:s?,s:o,s:s,s:o,s:o,s:s?,s:o}", "id",
			 (json_int_t)h->id, "at", api_time_json(h->at), "actor", h->actor, "action",
			 h->action, "target", h->target[0] ? h->target : NULL, "domain",
			 h->domain[0] ? h->domain : NULL, "assignment_id",
			 h->assignment_id > 0 ? json_integer(h->assignment_id) : json_null(),
			 "result", h->result, "drivers_before", stored_json(h->drivers_before),
			 "drivers_after", stored_json(h->drivers_after), "error",
			 h->error[0] ? h->error : NULL, "detail", stored_json(h->detail));
}

void api_history_list(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct asgsvc *svc = req->ctx->cfg.asgsvc;
	struct page pg = { .resp = resp, .limit = HISTORY_LIMIT_DEFAULT };
	_cleanup_free_ struct asg_history *rows = NULL;
	struct pd_error err = PD_ERROR_INIT;
	json_t *arr;
	size_t n;

	if (!svc) {
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "the assignment service is not running");
		return;
	}
	if (api_request_query_foreach(req, page_arg, &pg) != 0)
		return;
	/* One more than asked, to know whether another page follows. */
	if (asgsvc_history(svc, pg.before, (unsigned)pg.limit + 1, &rows, &n, &err) < 0) {
		api_respond_error(resp, &err);
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n && i < (size_t)pg.limit; i++)
		json_array_append_new(arr, entry_json(&rows[i]));
	api_respond_json(resp, 200,
			 json_pack("{s:o*,s:o}", "history", arr, "next_before",
				   n > (size_t)pg.limit ? json_integer(rows[pg.limit - 1].id) :
							  json_null()));
}
