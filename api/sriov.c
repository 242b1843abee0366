#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assign.h"
#include "core/bind.h"
#include "core/sriov.h"
#include "handlers.h"
#include "pci-addr.h"
#include "routes.h"

/* The present VFs of @pf in the inventory, as an array of addresses (or NULL). */
static json_t *vf_addresses(const struct inv *inv, const char *pf)
{
	const struct pd_device *d = inv_find_device(inv, pf);
	const struct pd_device *const *vfs = NULL;
	size_t n = d && !d->gone ? inv_device_vfs(inv, d, &vfs) : 0;
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(vfs[i]->address));
	return a;
}

/* The VF count of @pf as the inventory has it (0 when unknown). */
static int num_vfs_now(const struct inv *inv, const char *pf)
{
	const struct pd_device *d = inv_find_device(inv, pf);

	return d && !d->gone && d->sriov_num_vfs > 0 ? d->sriov_num_vfs : 0;
}

static const char *step_outcome(const struct sriov_plan *plan, unsigned i, bool dry)
{
	if (dry)
		return "planned";
	if (i < plan->writes_done)
		return "done";
	if (i < plan->writes_tried)
		return "failed";
	return "not_started";
}

/* What a deferred answer needs once the worker is done. */
struct sriov_req {
	struct api_deferred *d;
	struct api_ctx *ctx;
	json_t *removed; /* owned: the VFs before the change */
	char addr[PCI_ADDR_LEN + 1];
	char actor[96];		   /* for the history */
	struct sriov_plan planned; /* its counts, for the history of a change that timed out */
};

/* Answer with @plan's outcome; takes @removed. */
static void respond(struct api_response *resp, struct api_ctx *ctx, const char *addr,
		    const struct sriov_plan *plan, bool dry, int r, const struct pd_error *err,
		    json_t *removed)
{
	json_t *v, *steps, *in_use;

	if (!plan || (r < 0 && plan->writes == 0)) {
		json_decref(removed);
		api_respond_error(resp, err); /* refused before anything was planned, or timed out */
		return;
	}
	steps = json_array();
	for (unsigned i = 0; steps && i < plan->writes; i++)
		json_array_append_new(steps, json_pack("{s:s,s:i,s:s}", "write", "sriov_numvfs",
						       "value", (int)plan->steps[i], "outcome",
						       step_outcome(plan, i, dry)));
	in_use = json_array();
	for (size_t i = 0; in_use && i < plan->n_in_use && i < ELEMENTSOF(plan->in_use); i++)
		json_array_append_new(in_use, json_pack("{s:s,s:s}", "address", plan->in_use[i],
							"reason", plan->in_use_reason[i]));
	/* Any change removes every current VF, directly or through 0. */
	if (plan->writes == 0 || (!dry && plan->writes_done == 0)) {
		json_decref(removed);
		removed = json_array();
	}
	v = json_pack("{s:s,s:s,s:b,s:s,s:i,s:i,s:i,s:o*,s:o*,s:o*}", "device", addr, "operation",
		      "sriov", "dry_run", dry, "result",
		      r < 0 ? "failed" : dry ? "planned" : plan->writes == 0 ? "unchanged" : "done",
		      "total_vfs", plan->total, "num_vfs_before", plan->before, "num_vfs_after",
		      dry ? plan->after : plan->now, "steps", steps, "in_use", in_use, "vfs_removed",
		      removed);
	if (v && plan->restore_tried)
		json_object_set_new(
			v, "restore",
			json_pack("{s:i,s:s,s:s*}", "value", plan->before, "outcome",
				  plan->restore_error < 0 ? "failed" : "done", "error",
				  plan->restore_error < 0 ? strerror(-plan->restore_error) : NULL));
	/* The VFs as they are now (after the rescan). */
	if (v)
		json_object_set_new(v, "vfs", vf_addresses(ctx->inv, addr));
	if (r < 0) {
		if (v)
			json_object_set_new(v, "error",
					    json_pack("{s:s,s:s}", "code", pd_errcode_to_string(err->code),
						      "message", err->message));
		api_respond_json(resp, api_status_for(err->code), v);
		return;
	}
	api_respond_json(resp, 200, v);
}

/* The worker finished (or timed out): answer the suspended request. */
static void on_done(const struct sriov_plan *plan, int r, const struct pd_error *err,
		    void *userdata)
{
	struct sriov_req *q = userdata;

	respond(api_deferred_response(q->d), q->ctx, q->addr, plan, false, r, err, q->removed);
	if (q->ctx->cfg.asgsvc)
		asgsvc_history_sriov(q->ctx->cfg.asgsvc, q->actor, plan ? plan : &q->planned, r,
				     err);
	api_deferred_resume(q->d);
	free(q);
}

void api_devices_sriov(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	struct pd_error err = PD_ERROR_INIT;
	struct sriov_plan plan = { 0 }; /* bindsvc_sriov_start may refuse before filling it */
	char addr[PCI_ADDR_LEN + 1];
	struct sriov_req *q;
	bool dry = false;
	json_int_t num = -1;
	json_error_t e;
	int force = 0, r;
	json_t *v;

	if (api_parse_address(resp, p[0], addr) < 0 || api_parse_dry_run(req, resp, &dry) < 0)
		return;
	v = req->body_len ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!v) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "body must be JSON {\"num_vfs\": N, \"force\": bool}%s%s",
				   req->body_len ? ": " : "", req->body_len ? e.text : "");
		return;
	}
	r = json_unpack_ex(v, &e, JSON_STRICT, "{s:I,s?b}", "num_vfs", &num, "force", &force);
	json_decref(v);
	if (r < 0 || num < 0 || num > 65535) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "bad body: %s (expected {\"num_vfs\": N >= 0, \"force\": bool})",
				   r < 0 ? e.text : "num_vfs out of range");
		return;
	}
	if (force && api_request_require(req, resp, API_ROLE_ADMIN, "force") < 0)
		return;

	q = calloc(1, sizeof(*q));
	if (!q) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	q->ctx = ctx;
	snprintf(q->addr, sizeof(q->addr), "%s", addr);
	snprintf(q->actor, sizeof(q->actor), "%s", req->identity->name);
	snprintf(q->planned.pf, sizeof(q->planned.pf), "%s", addr);
	q->planned.before = num_vfs_now(ctx->inv, addr);
	q->planned.after = (int)num;
	q->removed = vf_addresses(ctx->inv, addr); /* before the change rescans */
	q->d = api_request_defer(req);
	r = bindsvc_sriov_start(ctx->bindsvc, addr, (int)num, dry, force, ctx->cfg.op_timeout_ms,
				on_done, q, &plan, &err);
	if (r == 1)
		return; /* a worker writes the count; on_done answers */
	api_request_undefer(req);
	respond(resp, ctx, addr, &plan, dry, r, &err, q->removed);
	sriov_plan_clear(&plan);
	free(q);
}
