/*
 * body.h - the checks every request body passes before a handler sees it (private to api/).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

#define API_BODY_MAX (1024 * 1024) /* 413 above, before a byte is read */
#define API_JSON_DEPTH_MAX 16	   /* no request of the API nests deeper than 3 */

/* application/json, with or without parameters ("; charset=utf-8"); case-insensitive. */
bool api_content_type_is_json(const char *content_type);

/*
 * A body must be one JSON object: no duplicate keys, nesting at most API_JSON_DEPTH_MAX (checked
 * by a scan before jansson parses), numbers that fit. Returns 0, or answers 400 and returns
 * -EINVAL. Handlers then decode strictly (JSON_STRICT: unknown fields are refused).
 */
int api_body_check(const char *body, size_t len, struct api_response *resp);

/*
 * Parse @body (already checked) for a handler: NULL and a 400 answered on any error. The
 * caller owns the result.
 */
json_t *api_body_parse(const char *body, size_t len, struct api_response *resp);
