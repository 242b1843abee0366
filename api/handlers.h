/*
 * handlers.h - the route handlers and the state they share (private to api/).
 */
#pragma once

#include <stdint.h>

#include "api.h"
#include "core/inventory.h"
#include "request.h"

struct api_cache {
	uint64_t generation;
	struct api_blob *blob;
	char etag[48];
};

struct api_file {
	const char *name;
	const char *content_type;
	struct api_blob *blob;
	char etag[48];
};

struct api_ctx {
	struct inv *inv;
	struct bindsvc *bindsvc;
	struct api_config cfg;
	struct api_cache devices;
	struct api_cache groups;
	struct api_file files[4];
};

typedef void (*api_handler_fn)(struct api_request *req, struct api_response *resp,
			       const char *const *params);

void api_health_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_devices_list(struct api_request *req, struct api_response *resp, const char *const *p);
void api_devices_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_groups_list(struct api_request *req, struct api_response *resp, const char *const *p);
void api_groups_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_devices_bind(struct api_request *req, struct api_response *resp, const char *const *p);
void api_devices_unbind(struct api_request *req, struct api_response *resp,
			const char *const *p);
void api_devices_sriov(struct api_request *req, struct api_response *resp, const char *const *p);
void api_host_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_domains_list(struct api_request *req, struct api_response *resp, const char *const *p);
void api_domains_start(struct api_request *req, struct api_response *resp, const char *const *p);
void api_domains_stop(struct api_request *req, struct api_response *resp, const char *const *p);
void api_audit_list(struct api_request *req, struct api_response *resp, const char *const *p);
void api_web_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_assignments_list(struct api_request *req, struct api_response *resp,
			  const char *const *p);
void api_assignments_create(struct api_request *req, struct api_response *resp,
			    const char *const *p);
void api_assignments_get(struct api_request *req, struct api_response *resp,
			 const char *const *p);
void api_assignments_delete(struct api_request *req, struct api_response *resp,
			    const char *const *p);
void api_devices_clear(struct api_request *req, struct api_response *resp, const char *const *p);
void api_history_list(struct api_request *req, struct api_response *resp, const char *const *p);
void api_metrics_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_events_get(struct api_request *req, struct api_response *resp, const char *const *p);
void api_not_implemented(struct api_request *req, struct api_response *resp,
			 const char *const *p);

/* Load the dashboard's files from @dir; a missing file is served as 404 later. */
int api_web_load(struct api_ctx *ctx, const char *dir);
void api_ctx_clear(struct api_ctx *ctx);

/* "W/"g<generation>-<tag>"" into @buf. */
void api_make_etag(char *buf, size_t size, uint64_t generation, const char *tag);
