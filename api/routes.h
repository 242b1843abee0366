/*
 * routes.h - the route table: method and path pattern to handler.
 */
#pragma once

#include "request.h"

#define API_MAX_PARAMS 4

/*
 * Find the handler for @req and run it. Unknown paths get a JSON 404, known paths with another
 * method a JSON 405 with Allow.
 */
void api_route(struct api_request *req, struct api_response *resp);
