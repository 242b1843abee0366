#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "core/assign.h"
#include "core/bind.h"
#include "handlers.h"
#include "pci-addr.h"
#include "routes.h"

struct bind_args {
	bool dry_run;
	bool force;
};

/* Body: empty, or {"force": bool}. Anything else is refused, so typos are not ignored. */
static int parse_body(const struct api_request *req, struct api_response *resp,
		      struct bind_args *a)
{
	json_error_t e;
	json_t *v;
	int force = 0;

	if (req->body_len == 0)
		return 0;
	v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "body is not JSON: %s (line %d)", e.text,
				   e.line);
		return -1;
	}
	if (json_unpack_ex(v, &e, JSON_STRICT, "{s?b}", "force", &force) < 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "bad body: %s (expected {\"force\": bool})",
				   e.text);
		json_decref(v);
		return -1;
	}
	json_decref(v);
	a->force = force;
	return 0;
}

/* A device whose move was carried out, or tried: it has a time of its own. */
static bool step_ran(const struct bind_step *st)
{
	return st->action == BIND_ACTION_MOVE && st->outcome != BIND_OUTCOME_PLANNED &&
	       st->outcome != BIND_OUTCOME_NOT_STARTED;
}

/* The device's waits on sysfs, in milliseconds. */
static json_t *timing_json(const struct bind_timing *t)
{
	return json_pack("{s:f,s:f,s:f,s:f}", "override_ms", (double)t->override / 1000.0,
			 "unbind_ms", (double)t->unbind / 1000.0, "probe_ms",
			 (double)t->probe / 1000.0, "check_ms", (double)t->check / 1000.0);
}

static json_t *plan_to_json(const struct bind_plan *plan, bool dry_run, int r)
{
	json_t *devs = json_array(), *lose = json_array(), *dev;
	bool any_done = false;

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *st = &plan->steps[i];
		any_done = any_done || st->outcome == BIND_OUTCOME_DONE;
		json_t *warnings = json_array();

		if (st->no_reset && st->action != BIND_ACTION_SKIP_BRIDGE)
			json_array_append_new(
				warnings,
				json_string("no reset method: the device cannot be reset between users, so state may leak from one VM to the next"));
		if (st->num_vfs > 0 && plan->kind == BIND_KIND_BIND && st->action == BIND_ACTION_MOVE)
			json_array_append_new(
				warnings,
				json_sprintf("%d VFs enabled: vfio-pci does not take an SR-IOV PF with VFs; remove them first (num_vfs 0)",
					     st->num_vfs));
		dev = json_pack("{s:s,s:s,s:s?,s:s?,s:b,s:s?,s:s,s:o}", "address", st->address,
				"action", bind_action_to_string(st->action), "driver_before",
				st->driver_before[0] ? st->driver_before : NULL, "driver_after",
				st->driver_after[0] ? st->driver_after : NULL, "harmless",
				st->action == BIND_ACTION_SKIP_BRIDGE, "host_critical",
				st->critical[0] ? st->critical : NULL, "outcome",
				bind_outcome_to_string(st->outcome), "warnings", warnings);
		if (dev && !dry_run && step_ran(st))
			json_object_set_new(dev, "timing", timing_json(&st->t));
		json_array_append_new(devs, dev);
		if (st->critical[0])
			json_array_append_new(lose, json_pack("{s:s,s:s}", "address", st->address,
							      "reason", st->critical));
	}
	return json_pack("{s:s,s:i,s:s,s:b,s:s,s:o*,s:o*,s:s?}", "device", plan->address, "group",
			 plan->group, "operation", plan->kind == BIND_KIND_BIND ? "bind" : "unbind",
			 "dry_run", dry_run, "result",
			 dry_run ? "planned" : r < 0 ? "failed" : any_done ? "done" : "unchanged",
			 "devices", devs, "host_would_lose", lose, "group_shared_because",
			 plan->shared_because[0] ? plan->shared_because : NULL);
}

static void respond(struct api_response *resp, const struct bind_plan *plan, bool dry_run, int r,
		    const struct pd_error *err)
{
	json_t *v;

	if (!plan) {
		api_respond_error(resp, err);
		return;
	}
	v = plan_to_json(plan, dry_run, r);
	if (r < 0 && v) {
		/* The contract's error, with what happened to each device beside it. */
		json_object_set_new(v, "error",
				    json_pack("{s:s,s:s}", "code", pd_errcode_to_string(err->code),
					      "message", err->message));
		api_respond_json(resp, api_status_for(err->code), v);
		return;
	}
	api_respond_json(resp, 200, v);
}

/* What the history needs of a move that runs on a worker. */
struct bind_call {
	struct api_deferred *d;
	struct asgsvc *asgsvc;
	char actor[96];
	char address[PCI_ADDR_LEN + 1];
};

/* A worker finished (or timed out): answer the suspended request. */
static void on_done(struct bind_plan *plan, int r, const struct pd_error *err, void *userdata)
{
	struct bind_call *c = userdata;

	respond(api_deferred_response(c->d), plan, false, r, err);
	if (c->asgsvc)
		asgsvc_history_bind(c->asgsvc, c->actor, c->address, plan, r, err);
	bind_plan_free(plan);
	api_deferred_resume(c->d);
	free(c);
}

static void run(struct api_request *req, struct api_response *resp, const char *addr_in,
		enum bind_kind kind)
{
	struct api_ctx *ctx = req->ctx;
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct pd_error err = PD_ERROR_INIT;
	struct bind_args a = { 0 };
	char addr[PCI_ADDR_LEN + 1];
	struct bind_call *c;
	int r;

	if (api_parse_address(resp, addr_in, addr) < 0 || api_parse_dry_run(req, resp, &a.dry_run) < 0 ||
	    parse_body(req, resp, &a) < 0)
		return;
	if (a.force && api_request_require(req, resp, API_ROLE_ADMIN, "force") < 0)
		return;

	/* A group an assignment holds, or works on, is the assignment service's to move. */
	if (ctx->cfg.asgsvc && asgsvc_check_bind(ctx->cfg.asgsvc, addr, &err) < 0) {
		api_respond_error(resp, &err);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	c->asgsvc = ctx->cfg.asgsvc;
	snprintf(c->actor, sizeof(c->actor), "%s", req->identity->name);
	snprintf(c->address, sizeof(c->address), "%s", addr);
	c->d = api_request_defer(req);
	r = bindsvc_start(ctx->bindsvc, addr, kind, a.dry_run, a.force, ctx->cfg.op_timeout_ms,
			  on_done, c, &plan, &err);
	if (r == 1)
		return; /* a worker moves the group; on_done answers */
	api_request_undefer(req);
	respond(resp, plan, a.dry_run, r, &err);
	/* Refusals before a plan, dry runs and moves with nothing to do changed nothing. */
	if (c->asgsvc && plan && !a.dry_run && r < 0)
		asgsvc_history_bind(c->asgsvc, c->actor, addr, plan, r, &err);
	free(c);
}

void api_devices_bind(struct api_request *req, struct api_response *resp, const char *const *p)
{
	run(req, resp, p[0], BIND_KIND_BIND);
}

void api_devices_unbind(struct api_request *req, struct api_response *resp, const char *const *p)
{
	run(req, resp, p[0], BIND_KIND_UNBIND);
}
