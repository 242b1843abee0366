#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "core/bind.h"
#include "core/domains.h"
#include "handlers.h"

void api_health_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	const struct inv *inv = ctx->inv;
	bool db_ok = inv_db_ok(ctx->inv);
	bool iommu = inv_iommu_enabled(inv);
	bool libvirt_off = streq(ctx->cfg.libvirt_uri, "none");
	bool libvirt_up = domsvc_is_connected(ctx->cfg.domsvc);
	/* Configured but away: reads work, anything that needs libvirt answers 503. */
	const char *status = db_ok ? (iommu && (libvirt_off || libvirt_up) ? "ok" : "degraded") : "error";
	char libvirt_error[512] = "";
	char *text;
	json_t *v;

	domsvc_get_last_error(ctx->cfg.domsvc, libvirt_error, sizeof(libvirt_error));
	v = json_pack("{s:s,s:s,s:{s:b,s:i,s:s?},s:{s:b,s:s?,s:b,s:s?,s:i},s:{s:b,s:s},s:{s:I,s:I,s:I,s:I}}",
		      "status", status, "version", ctx->cfg.version,
		      "iommu", "enabled", iommu, "groups", (int)inv_iommu_group_count(inv),
		      "hint", iommu ? NULL : "no IOMMU groups: enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on",
		      "libvirt", "connected", libvirt_up, "uri", libvirt_off ? NULL : ctx->cfg.libvirt_uri,
		      "enabled", !libvirt_off, "error", libvirt_error[0] ? libvirt_error : NULL,
		      "retries", (int)domsvc_get_retries(ctx->cfg.domsvc),
		      "db", "ok", db_ok, "path", ctx->cfg.db_path,
		      "inventory", "devices", (json_int_t)inv_device_count(inv),
		      "gone", (json_int_t)inv_gone_count(inv),
		      "last_scan_usec", (json_int_t)inv_last_scan_usec(inv),
		      "scan_duration_usec", (json_int_t)inv_last_scan_duration_usec(inv));
	if (!v) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	/* Who asks: lets the dashboard hide what the caller's role may not do. */
	json_object_set_new(v, "caller", json_pack("{s:s,s:s}", "identity", req->identity->name,
						   "role", api_role_to_string(req->identity->role)));
	if (ctx->bindsvc) {
		const struct bind_drift *drift;
		size_t n = bindsvc_get_drift(ctx->bindsvc, &drift);
		json_t *a = json_array();
		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "address",
							   drift[i].address, "reason", drift[i].reason,
							   "kind",
							   bind_drift_kind_to_string(drift[i].kind)));
		json_object_set_new(v, "reconcile",
				    json_pack("{s:i,s:i,s:o*}", "reapplied",
					      (int)bindsvc_get_reapplied(ctx->bindsvc),
					      "vfs_reapplied",
					      (int)bindsvc_get_vfs_reapplied(ctx->bindsvc), "drift", a));
	}
	/* Health is tiny: its ETag is its own content. */
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (text) {
		unsigned long h = 1469598103934665603UL;
		char etag[48], tag[24];
		for (const char *c = text; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211UL;
		free(text);
		snprintf(tag, sizeof(tag), "h%016lx", h);
		api_make_etag(etag, sizeof(etag), 0, tag);
		if (api_not_modified(req, resp, etag)) {
			json_decref(v);
			return;
		}
	}
	api_respond_json(resp, db_ok ? 200 : 503, v);
}
