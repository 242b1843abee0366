/*
 * host.c - GET /v1/host: the host preflight (docs/preflight.md).
 *
 * Computed on every request: a few dozen small reads, cheaper than keeping it fresh. The ETag
 * is a hash of the answer, so a dashboard polling it gets 304 until something changes.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "core/preflight.h"
#include "handlers.h"

static int reject_args(const char *key, const char *value, void *userdata)
{
	api_respond_errorf(userdata, PD_ERR_BAD_REQUEST, "unknown query parameter '%.32s'", key);
	return -1;
}

static json_t *report_to_json(const struct preflight_report *rep)
{
	json_t *checks = json_array();

	for (size_t i = 0; checks && i < _PREFLIGHT_CHECK_MAX; i++) {
		const struct preflight_check *c = &rep->checks[i];

		if (json_array_append_new(checks,
					  json_pack("{s:s,s:s,s:s,s:s?}", "id",
						    preflight_check_id_to_string(c->id), "status",
						    preflight_status_to_string(c->status), "detail",
						    c->detail, "hint",
						    c->hint[0] ? c->hint : NULL)) < 0) {
			json_decref(checks);
			return NULL;
		}
	}
	return json_pack("{s:o*,s:{s:s,s:b,s:i,s:i,s:i,s:i}}", "checks", checks, "summary",
			 "status", preflight_status_to_string(rep->status), "ready",
			 rep->counts[PREFLIGHT_STATUS_FAIL] == 0, "ok",
			 (int)rep->counts[PREFLIGHT_STATUS_OK], "warn",
			 (int)rep->counts[PREFLIGHT_STATUS_WARN], "fail",
			 (int)rep->counts[PREFLIGHT_STATUS_FAIL], "total",
			 (int)_PREFLIGHT_CHECK_MAX);
}

void api_host_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	struct preflight_report rep;
	unsigned long h = 1469598103934665603UL;
	char etag[48], tag[24], *text;
	json_t *v;

	if (api_request_query_foreach(req, reject_args, resp) != 0)
		return;
	if (!ctx->cfg.preflight) {
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "the host preflight is not available");
		return;
	}
	if (preflight_run(ctx->cfg.preflight, &rep) < 0) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	v = report_to_json(&rep);
	text = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text) {
		json_decref(v);
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	for (const char *c = text; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211UL;
	free(text);
	snprintf(tag, sizeof(tag), "host%016lx", h);
	api_make_etag(etag, sizeof(etag), 0, tag);
	if (api_not_modified(req, resp, etag)) {
		json_decref(v);
		return;
	}
	api_respond_json(resp, 200, v);
}
