/*
 * assignments.c - GET/POST /v1/assignments, GET/DELETE /v1/assignments/{id},
 * POST /v1/devices/{address}/clear.
 *
 * An assignment or a release runs in steps on workers (libvirt, resets, group moves) with the
 * request suspended; the service calls back on the loop thread with what happened. POST takes
 * an Idempotency-Key header: the first answer that created an assignment is replayed to a retry
 * of the same request for 24 hours; the same key with another request is a conflict.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "core/assign.h"
#include "handlers.h"
#include "routes.h"

#define IDEM_KEY_MAX 255

struct create_ctx {
	struct api_deferred *d;
	struct asgsvc *svc;
	bool has_key;
	char key[IDEM_KEY_MAX + 1];
	char hash[ASG_REQUEST_HASH_LEN + 1]; /* SHA-256 of the canonical request */
};

/* "2026-11-25T06:36:03.123456Z", or null for 0. */
static json_t *api_assignment_to_json(const struct asg_assignment *a)
{
	json_t *devs = json_array(), *comps = json_array();

	for (size_t i = 0; devs && comps && i < a->n_devices; i++) {
		json_array_append_new(devs, json_string(a->devices[i]));
		if (i > 0)
			json_array_append_new(comps, json_string(a->devices[i]));
	}
	return json_pack("{s:o,s:s,s:s,s:o,s:o*,s:o*,s:s,s:s?,s:b,s:o*,s:o*}", "id",
			 a->id > 0 ? json_integer(a->id) : json_null(), "device", a->address,
			 "domain", a->domain, "group",
			 a->group >= 0 ? json_integer(a->group) : json_null(), "devices", devs, "companions", comps, "state",
			 asg_state_to_string(a->state), "reason", a->reason[0] ? a->reason : NULL,
			 "started", a->started, "created", api_time_json(a->created_at), "released",
			 api_time_json(a->released_at));
}

static json_t *moves_json(const struct asg_result *res)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < res->n_moves; i++) {
		const struct asg_move *m = &res->moves[i];
		json_array_append_new(arr, json_pack("{s:s,s:s?,s:s?,s:s?}", "address", m->address,
						     "driver_before",
						     m->driver_before[0] ? m->driver_before : NULL,
						     "driver_after",
						     m->driver_after[0] ? m->driver_after : NULL,
						     "outcome", m->outcome));
	}
	return arr;
}

/* The answer to POST and DELETE: the assignment plus what was done to get there. */
static json_t *result_json(const struct asg_result *res, bool release)
{
	json_t *v = api_assignment_to_json(&res->a);
	json_t *resets, *quar;

	if (!v)
		return NULL;
	json_object_set_new(v, "dry_run", json_boolean(res->dry_run));
	json_object_set_new(v, release ? "unbind" : "bind", moves_json(res));
	if (release) {
		resets = json_array();
		for (size_t i = 0; resets && i < res->n_resets; i++) {
			const struct asg_reset *r = &res->resets[i];
			json_array_append_new(
				resets,
				json_pack("{s:s,s:s,s:s?,s:f}", "address", r->address, "result",
					  !r->attempted ? "no_reset_method" :
					  r->result == 0 ? "done" :
					  r->result == -ETIMEDOUT ? "hung" : "failed",
					  "error", r->attempted && r->result < 0 ? strerror(-r->result) : NULL,
					  "duration_ms", (double)r->usec / 1000.0));
		}
		json_object_set_new(v, "resets", resets);
		json_object_set_new(v, "returned_to_host", json_boolean(res->unbound));
	}
	quar = json_array();
	for (size_t i = 0; quar && i < res->n_quarantined; i++)
		json_array_append_new(quar, json_pack("{s:s,s:s}", "address",
						      res->quarantined[i].address, "reason",
						      res->quarantined[i].reason));
	json_object_set_new(v, "quarantined", quar);
	if (res->rollback[0])
		json_object_set_new(v, "rollback", json_string(res->rollback));
	if (res->paused)
		json_object_set_new(v, "paused", json_true());
	if (!res->dry_run)
		json_object_set_new(v, "timing", asg_timing_to_json(&res->t, true));
	return v;
}

/* Fill @resp from @res: 201/200, or the contract's error with what happened beside it. */
static unsigned respond_result(struct api_response *resp, const struct asg_result *res,
			       bool release, char **ret_text)
{
	json_t *v = result_json(res, release);
	unsigned status = res->r < 0 ? api_status_for(res->err.code) :
			  release || res->dry_run ? 200 : 201;
	char *text;

	if (!v) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return 500;
	}
	if (res->r < 0) {
		json_t *e = json_pack("{s:s,s:s}", "code", pd_errcode_to_string(res->err.code),
				      "message", res->err.message);
		json_object_set_new(v, "error", e);
		/* A refusal before anything was planned is the plain contract error. */
		if (res->a.n_devices == 0) {
			json_decref(v);
			api_respond_error(resp, &res->err);
			return status;
		}
	}
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return 500;
	}
	api_respond_blob_new(resp, status, api_blob_from_data(text, strlen(text)));
	if (ret_text)
		*ret_text = text;
	else
		free(text);
	return status;
}

static struct asgsvc *service(struct api_request *req, struct api_response *resp)
{
	struct asgsvc *svc = req->ctx->cfg.asgsvc;

	if (!svc)
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "the assignment service is not running");
	return svc;
}

/* ---- POST /v1/assignments ----------------------------------------------------------------- */

static int parse_create(const struct api_request *req, struct api_response *resp,
			struct asg_request *out)
{
	const char *device = NULL, *domain = NULL;
	int start = 0, paused = 0, force = 0;
	json_error_t e;
	json_t *v;

	if (req->body_len == 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "a body is needed: {\"device\": ADDR, \"domain\": NAME, \"start\": bool}");
		return -EINVAL;
	}
	v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "body is not JSON: %s (line %d)", e.text,
				   e.line);
		return -EINVAL;
	}
	if (json_unpack_ex(v, &e, JSON_STRICT, "{s:s,s:s,s?b,s?b,s?b}", "device", &device,
			   "domain", &domain, "start", &start, "paused", &paused, "force",
			   &force) < 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "bad body: %s (expected {\"device\": ADDR, \"domain\": NAME, \"start\": bool, \"paused\": bool, \"force\": bool})",
				   e.text);
		json_decref(v);
		return -EINVAL;
	}
	if (paused && !start) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "\"paused\": true starts the domain paused, so it needs \"start\": true");
		json_decref(v);
		return -EINVAL;
	}
	if (api_parse_address(resp, device, out->device) < 0) {
		json_decref(v);
		return -EINVAL;
	}
	if (strlen(domain) > DOMAIN_NAME_MAX || !domain_name_is_valid(domain)) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "\"domain\" is not a valid libvirt domain name: 1 to %d characters, no '/', no control characters, no XML metacharacters (< > & ' \")",
				   DOMAIN_NAME_MAX);
		json_decref(v);
		return -EINVAL;
	}
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	out->start = start;
	out->paused = paused;
	out->force = force;
	json_decref(v);
	return 0;
}

/* Idempotency-Key: 1 to 255 visible ASCII characters (RFC 9110 token-ish, no spaces). */
static bool key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (; *k; k++)
		if (*k <= ' ' || *k > '~')
			return false;
	return true;
}

static void on_created(const struct asg_result *res, void *userdata)
{
	struct create_ctx *c = userdata;
	char *text = NULL;
	unsigned status;

	status = respond_result(api_deferred_response(c->d), res, false, &text);
	if (c->has_key)
		asgsvc_idem_end(c->svc, c->key, c->hash, (int)status, text);
	free(text);
	api_deferred_resume(c->d);
	free(c);
}

void api_assignments_create(struct api_request *req, struct api_response *resp,
			    const char *const *p)
{
	struct asgsvc *svc = service(req, resp);
	struct asg_request ar = { 0 };
	struct pd_error err = PD_ERROR_INIT;
	struct asg_result *res = NULL;
	struct create_ctx *c;
	const char *key;
	char *replay = NULL, *text = NULL;
	unsigned status;
	int st = 0, r;

	if (!svc || api_parse_dry_run(req, resp, &ar.dry_run) < 0 || parse_create(req, resp, &ar) < 0)
		return;
	/* Taking a device the host needs is an admin's decision, as for a bind. */
	if (ar.force && api_request_require(req, resp, API_ROLE_ADMIN, "force") < 0)
		return;
	snprintf(ar.actor, sizeof(ar.actor), "%s", req->identity->name);
	c = calloc(1, sizeof(*c));
	res = calloc(1, sizeof(*res));
	if (!c || !res) {
		free(c);
		free(res);
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	c->svc = svc;
	key = api_request_header(req, "Idempotency-Key");
	if (key && !ar.dry_run) {
		if (!key_valid(key)) {
			api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
					   "Idempotency-Key must be 1 to %d visible ASCII characters",
					   IDEM_KEY_MAX);
			goto out;
		}
		char canon[ASG_REQUEST_CANON_MAX];
		api_sha256_hex(canon, asg_request_canonical(&ar, canon), c->hash);
		snprintf(c->key, sizeof(c->key), "%s", key);
		r = asgsvc_idem_begin(svc, key, c->hash, &st, &replay, &err);
		if (r < 0) {
			api_respond_error(resp, &err);
			goto out;
		}
		if (r == 1) {
			api_respond_blob_new(resp, (unsigned)st,
					     api_blob_from_data(replay, strlen(replay)));
			free(replay);
			goto out;
		}
		c->has_key = true;
	}

	c->d = api_request_defer(req);
	r = asgsvc_assign(svc, &ar, on_created, c, res);
	if (r == 1) {
		free(res);
		return; /* on_created answers */
	}
	api_request_undefer(req);
	status = respond_result(resp, res, false, &text);
	if (c->has_key)
		asgsvc_idem_end(svc, c->key, c->hash, (int)status, text);
	free(text);
out:
	free(res);
	free(c);
}

/* ---- DELETE /v1/assignments/{id} ---------------------------------------------------------- */

static int parse_id(struct api_response *resp, const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] < '1' || s[0] > '9' || *end || errno || v <= 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "'%.40s' is not an assignment id (a positive whole number)", s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static void on_released(const struct asg_result *res, void *userdata)
{
	struct api_deferred *d = userdata;

	respond_result(api_deferred_response(d), res, true, NULL);
	api_deferred_resume(d);
}

void api_assignments_delete(struct api_request *req, struct api_response *resp,
			    const char *const *p)
{
	struct asgsvc *svc = service(req, resp);
	_cleanup_free_ struct asg_result *res = NULL;
	struct api_deferred *d;
	bool dry_run = false;
	int64_t id;
	int r;

	if (!svc || parse_id(resp, p[0], &id) < 0 || api_parse_dry_run(req, resp, &dry_run) < 0)
		return;
	res = calloc(1, sizeof(*res));
	if (!res) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	d = api_request_defer(req);
	r = asgsvc_release(svc, id, dry_run, req->identity->name, on_released, d, res);
	if (r == 1)
		return;
	api_request_undefer(req);
	respond_result(resp, res, true, NULL);
}

/* ---- GET ---------------------------------------------------------------------------------- */

struct list_filter {
	struct api_response *resp;
	bool has_state;
	enum asg_state state;
	bool live;
};

static int list_arg(const char *key, const char *value, void *userdata)
{
	struct list_filter *f = userdata;

	if (streq(key, "state")) {
		if (streq(value ? value : "", "live")) {
			f->live = true;
			return 0;
		}
		for (int s = 0; s < _ASG_STATE_MAX; s++)
			if (streq(value ? value : "", asg_state_to_string((enum asg_state)s))) {
				f->has_state = true;
				f->state = (enum asg_state)s;
				return 0;
			}
		api_respond_errorf(f->resp, PD_ERR_BAD_REQUEST,
				   "bad state filter '%.32s': expected live, active, detached, orphaned, released or failed",
				   value ? value : "");
		return -1;
	}
	api_respond_errorf(f->resp, PD_ERR_BAD_REQUEST, "unknown filter '%.32s' (known: state)",
			   key);
	return -1;
}

static json_t *drift_json(const struct asgsvc *svc)
{
	const struct asg_drift *drift;
	int64_t when;
	size_t n = asgsvc_get_drift(svc, &drift, &when);
	json_t *items = json_array();

	for (size_t i = 0; items && i < n; i++)
		json_array_append_new(
			items, json_pack("{s:s,s:s,s:s,s:o}", "kind",
					 asg_drift_kind_to_string(drift[i].kind), "address",
					 drift[i].address, "domain", drift[i].domain,
					 "assignment_id",
					 drift[i].assignment_id > 0 ?
						 json_integer(drift[i].assignment_id) :
						 json_null()));
	return json_pack("{s:o*,s:o*}", "checked", api_time_json(when), "items", items);
}

void api_assignments_list(struct api_request *req, struct api_response *resp,
			  const char *const *p)
{
	struct asgsvc *svc = service(req, resp);
	struct list_filter f = { .resp = resp };
	const struct asg_assignment *all;
	json_t *arr;
	size_t n;

	if (!svc || api_request_query_foreach(req, list_arg, &f) != 0)
		return;
	n = asgsvc_list(svc, &all);
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		if (f.has_state && all[i].state != f.state)
			continue;
		if (f.live && (all[i].state == ASG_STATE_RELEASED || all[i].state == ASG_STATE_FAILED))
			continue;
		json_array_append_new(arr, api_assignment_to_json(&all[i]));
	}
	api_respond_json(resp, 200,
			 json_pack("{s:o*,s:o*}", "assignments", arr, "drift", drift_json(svc)));
}

void api_assignments_get(struct api_request *req, struct api_response *resp,
			 const char *const *p)
{
	struct asgsvc *svc = service(req, resp);
	const struct asg_assignment *a;
	int64_t id;

	if (!svc || parse_id(resp, p[0], &id) < 0)
		return;
	a = asgsvc_find(svc, id);
	if (!a) {
		api_respond_errorf(resp, PD_ERR_NOT_FOUND, "no assignment %" PRId64, id);
		return;
	}
	api_respond_json(resp, 200, api_assignment_to_json(a));
}

/* ---- POST /v1/devices/{address}/clear ----------------------------------------------------- */

void api_devices_clear(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct asgsvc *svc = service(req, resp);
	struct pd_error err = PD_ERROR_INIT;
	char addr[PCI_ADDR_LEN + 1];
	char reason[256] = "";
	const char *was;
	bool dry_run = false;

	if (!svc || api_parse_address(resp, p[0], addr) < 0 ||
	    api_parse_dry_run(req, resp, &dry_run) < 0)
		return;
	was = asgsvc_quarantine_reason(svc, addr);
	if (was)
		snprintf(reason, sizeof(reason), "%s", was);
	if (asgsvc_clear(svc, addr, dry_run, req->identity->name, &err) < 0) {
		api_respond_error(resp, &err);
		return;
	}
	api_respond_json(resp, 200,
			 json_pack("{s:s,s:b,s:s,s:s}", "device", addr, "dry_run", dry_run, "result",
				   dry_run ? "planned" : "cleared", "reason", reason));
}
