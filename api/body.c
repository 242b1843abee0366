#include <config.h>

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "body.h"

bool api_content_type_is_json(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct || strncasecmp(ct, "application/json", n) != 0)
		return false;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

/* Deepest nesting of arrays and objects, strings skipped; stops counting past @max. */
static unsigned depth(const char *s, size_t len, unsigned max)
{
	unsigned d = 0, deepest = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++d > deepest)
				deepest = d;
			if (deepest > max)
				return deepest;
		} else if ((c == ']' || c == '}') && d > 0)
			d--;
	}
	return deepest;
}

json_t *api_body_parse(const char *body, size_t len, struct api_response *resp)
{
	json_error_t e;
	json_t *v;

	if (len == 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "the body is empty; expected a JSON object");
		return NULL;
	}
	if (depth(body, len, API_JSON_DEPTH_MAX) > API_JSON_DEPTH_MAX) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "the body nests deeper than %d levels",
				   API_JSON_DEPTH_MAX);
		return NULL;
	}
	/* Duplicate keys are refused: two parsers must never read one body two ways. */
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "the body is not valid JSON: %s (at byte %d)", e.text,
				   e.position);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "the body must be a JSON object");
		return NULL;
	}
	return v;
}

int api_body_check(const char *body, size_t len, struct api_response *resp)
{
	json_t *v = api_body_parse(body, len, resp);

	if (!v)
		return -EINVAL;
	json_decref(v);
	return 0;
}
