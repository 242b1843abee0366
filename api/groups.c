#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "handlers.h"
#include "json-device.h"

static int reject_args(const char *key, const char *value, void *userdata)
{
	api_respond_errorf(userdata, PD_ERR_BAD_REQUEST, "unknown query parameter '%.32s'", key);
	return -1;
}

static struct api_blob *render(const struct inv *inv)
{
	const struct grp_set *set = inv_get_groups(inv);
	struct jw w;

	jw_init(&w, grp_set_count(set) * 160);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "groups");
	for (size_t i = 0; i < grp_set_count(set); i++)
		api_group_write(&w, NULL, inv, grp_set_at(set, i), false);
	jw_arr_close(&w);
	jw_bool(&w, "iommu_enabled", inv_iommu_enabled(inv));
	jw_int(&w, "count", (long long)grp_set_count(set));
	jw_obj_close(&w);
	return jw_take_blob(&w);
}

void api_groups_list(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	uint64_t gen = inv_generation(ctx->inv);

	if (api_request_query_foreach(req, reject_args, resp) != 0)
		return;
	if (!ctx->groups.blob || ctx->groups.generation != gen) {
		struct api_blob *b = render(ctx->inv);
		if (!b) {
			api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
			return;
		}
		api_blob_unref(ctx->groups.blob);
		ctx->groups.blob = b;
		ctx->groups.generation = gen;
		api_make_etag(ctx->groups.etag, sizeof(ctx->groups.etag), gen, "groups");
	}
	if (api_not_modified(req, resp, ctx->groups.etag))
		return;
	api_respond_blob(resp, 200, ctx->groups.blob, "application/json");
}

void api_groups_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	const struct grp_group *g;
	char etag[48], tag[24];
	char *end;
	long id;

	id = strtol(p[0], &end, 10);
	if (*end != '\0' || p[0][0] < '0' || p[0][0] > '9' || id < 0 || id > 1000000 ||
	    (p[0][0] == '0' && p[0][1] != '\0')) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "bad group id '%.32s': expected a non-negative decimal number", p[0]);
		return;
	}
	g = grp_set_find(inv_get_groups(ctx->inv), (int)id);
	if (!g) {
		api_respond_errorf(resp, PD_ERR_NOT_FOUND, "no IOMMU group %ld", id);
		return;
	}
	snprintf(tag, sizeof(tag), "group%ld", id);
	api_make_etag(etag, sizeof(etag), inv_generation(ctx->inv), tag);
	if (api_not_modified(req, resp, etag))
		return;

	/* The single group carries its devices in full, so one request shows all of it. */
	struct jw w;
	jw_init(&w, 1024 * (g->n_devices + 1));
	api_group_write(&w, NULL, ctx->inv, g, true);
	api_respond_blob_new(resp, 200, jw_take_blob(&w));
}
