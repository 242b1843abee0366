/*
 * domains.c - GET /v1/domains, POST /v1/domains/{name}/start and .../stop.
 *
 * Every libvirt call blocks (a start under TCG takes a fraction of a second, a destroy one or
 * two, a hung libvirtd forever), so the handlers run the domain service on the job queue with
 * the request suspended. Without a connection the service answers at once (503
 * libvirt_unavailable) and no job is queued.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/domains.h"
#include "core/workq.h"
#include "handlers.h"

enum dom_action {
	DOM_ACTION_LIST,
	DOM_ACTION_START,
	DOM_ACTION_STOP,
};

struct dom_job {
	struct domsvc *ds;
	struct api_deferred *d;
	enum dom_action action;
	bool dry_run;
	bool paused;
	char name[DOMAIN_NAME_MAX + 1];
	/* results, written by the worker */
	int r;
	struct pd_error err;
	struct domain_info *list;
	size_t n;
	struct domain_info before, after;
	bool have_after;
	long duration_ms;
};

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dom_job_free(struct dom_job *j)
{
	if (!j)
		return;
	domain_info_free_array(j->list, j->n);
	domain_info_done(&j->before);
	domain_info_done(&j->after);
	free(j);
}
DEFINE_FREEP(struct dom_job, dom_job_free)

static json_t *domain_to_json(const struct domain_info *d)
{
	json_t *hds = json_array();

	for (size_t i = 0; hds && i < d->n_hostdevs; i++)
		json_array_append_new(hds, json_pack("{s:s,s:b}", "address", d->hostdevs[i], "managed",
						     d->hostdev_managed[i]));
	return json_pack("{s:s,s:s,s:s,s:b,s:o*}", "name", d->name, "uuid", d->uuid, "state",
			 domain_state_to_string(d->state), "persistent", d->persistent, "hostdevs",
			 hds);
}

/* On a worker: the blocking part. */
static void run(void *userdata)
{
	struct dom_job *j = userdata;
	long t0 = mono_ms();

	switch (j->action) {
	case DOM_ACTION_LIST:
		j->r = domsvc_list(j->ds, &j->list, &j->n, &j->err);
		return;
	case DOM_ACTION_START:
	case DOM_ACTION_STOP:
		break;
	}
	j->r = domsvc_lookup(j->ds, j->name, &j->before, &j->err);
	if (j->r < 0 || j->dry_run)
		return;
	t0 = mono_ms();
	j->r = j->action == DOM_ACTION_START ? domsvc_start(j->ds, j->name, j->paused, &j->err) :
					       domsvc_stop(j->ds, j->name, &j->err);
	j->duration_ms = mono_ms() - t0;
	if (j->r == 0)
		j->have_after = domsvc_lookup(j->ds, j->name, &j->after, NULL) == 0;
}

static void respond(struct api_response *resp, struct dom_job *j)
{
	const struct domain_info *now;
	bool target_state;
	const char *result;
	json_t *list;

	if (j->r < 0) {
		api_respond_error(resp, &j->err);
		return;
	}
	if (j->action == DOM_ACTION_LIST) {
		list = json_array();
		for (size_t i = 0; list && i < j->n; i++)
			json_array_append_new(list, domain_to_json(&j->list[i]));
		api_respond_json(resp, 200, json_pack("{s:o*}", "domains", list));
		return;
	}
	target_state = j->action == DOM_ACTION_START ? j->before.state != DOMAIN_STATE_SHUTOFF :
						       j->before.state == DOMAIN_STATE_SHUTOFF;
	result = j->dry_run ? (target_state ? "unchanged" : "planned") :
			      (target_state ? "unchanged" : "done");
	now = j->have_after ? &j->after : &j->before;
	api_respond_json(resp, 200,
			 json_pack("{s:s,s:b,s:s,s:s,s:I,s:o*}", "action",
				   j->action == DOM_ACTION_START ? "start" : "stop", "dry_run",
				   j->dry_run, "result", result, "state_before",
				   domain_state_to_string(j->before.state), "duration_ms",
				   (json_int_t)j->duration_ms, "domain", domain_to_json(now)));
}

/* On the loop thread, after run(). */
static void done(void *userdata)
{
	_cleanup_(dom_job_freep) struct dom_job *j = userdata;

	respond(api_deferred_response(j->d), j);
	api_deferred_resume(j->d);
}

static void submit(struct api_request *req, struct api_response *resp, struct dom_job *job)
{
	_cleanup_(dom_job_freep) struct dom_job *j = job;
	struct api_ctx *ctx = req->ctx;
	int r;

	j->ds = ctx->cfg.domsvc;
	/* Not connected: the service says so without blocking; no worker needed. */
	if (!j->ds || !domsvc_is_connected(j->ds) || !ctx->cfg.workq) {
		run(j);
		respond(resp, j);
		return;
	}
	j->d = api_request_defer(req);
	r = workq_submit(ctx->cfg.workq, run, done, j);
	if (r < 0) {
		api_request_undefer(req);
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "no worker thread for libvirt: %s",
				   strerror(-r));
		return;
	}
	TAKE_PTR(j); /* done() frees it */
}

void api_domains_list(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct dom_job *j = calloc(1, sizeof(*j));

	if (!j) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	j->action = DOM_ACTION_LIST;
	submit(req, resp, j);
}

/* Body: empty, or {"paused": bool} for a start. Anything else is refused. */
static int parse_body(const struct api_request *req, struct api_response *resp,
		      enum dom_action action, bool *paused)
{
	json_error_t e;
	json_t *v;
	int pz = 0;

	if (req->body_len == 0)
		return 0;
	v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "body is not JSON: %s (line %d)", e.text,
				   e.line);
		return -1;
	}
	if (action == DOM_ACTION_START ? json_unpack_ex(v, &e, JSON_STRICT, "{s?b}", "paused", &pz) :
					 json_unpack_ex(v, &e, JSON_STRICT, "{}")) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "bad body: %s (expected %s)", e.text,
				   action == DOM_ACTION_START ? "{\"paused\": bool}" : "{}");
		json_decref(v);
		return -1;
	}
	json_decref(v);
	*paused = pz;
	return 0;
}

static void change(struct api_request *req, struct api_response *resp, const char *name,
		   enum dom_action action)
{
	_cleanup_(dom_job_freep) struct dom_job *j = NULL;
	bool dry_run = false, paused = false;

	if (!domain_name_is_valid(name)) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "invalid domain name: 1 to %d characters of A-Z a-z 0-9 . _ + : - not starting with '.' or '-'",
				   DOMAIN_NAME_MAX);
		return;
	}
	if (api_parse_dry_run(req, resp, &dry_run) < 0 || parse_body(req, resp, action, &paused) < 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	j->action = action;
	j->dry_run = dry_run;
	j->paused = paused;
	strcpy(j->name, name); /* valid, so short enough */
	submit(req, resp, TAKE_PTR(j));
}

void api_domains_start(struct api_request *req, struct api_response *resp, const char *const *p)
{
	change(req, resp, p[0], DOM_ACTION_START);
}

void api_domains_stop(struct api_request *req, struct api_response *resp, const char *const *p)
{
	change(req, resp, p[0], DOM_ACTION_STOP);
}
