/*
 * routes.h - the route table: method, path pattern, handler and the least role allowed.
 */
#pragma once

#include "auth.h"
#include "request.h"

#define API_MAX_PARAMS 4

struct route;

/* A request matched to its route; params point into buf. */
struct api_route_match {
	const struct route *route;
	const char *params[API_MAX_PARAMS + 1];
	char buf[512];
};

/*
 * Find the route of @method and @path. Returns 0, or answers a JSON 404 (unknown path) or 405
 * with Allow (known path, other method) in @resp and returns a negative errno.
 */
int api_route_find(const char *method, const char *path, struct api_route_match *m,
		   struct api_response *resp);
/*
 * May @id call the route? Returns 0, or answers 401 (no identity, with WWW-Authenticate) or
 * 403 (a role too small, or a route without a role) and returns a negative errno.
 */
int api_route_authorize(const struct api_route_match *m, const struct api_identity *id,
			struct api_response *resp);
/* Run the route's handler. */
void api_route_run(struct api_request *req, struct api_response *resp,
		   const struct api_route_match *m);
/* Anything but GET changes state, and is audited. */
bool api_route_changes_state(const struct api_route_match *m);
/* The route's pattern as written in the table (static). */
const char *api_route_pattern(const struct api_route_match *m);

/*
 * A handler's finer check, for what only a bigger role may ask (force is admin's): 0, or
 * answers 403 naming @what and returns -EPERM.
 */
int api_request_require(const struct api_request *req, struct api_response *resp,
			enum api_role need, const char *what);

/* Find, authorize with req->identity and run: the whole router in one call (fuzzers, tests). */
void api_route(struct api_request *req, struct api_response *resp);

/* Every route of the table, in order (passd --list-routes, the every-route test). */
void api_routes_foreach(void (*fn)(const char *method, const char *pattern, enum api_role role,
				   void *userdata),
			void *userdata);
