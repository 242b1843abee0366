/*
 * fuzz-json-body - libFuzzer target for the checks every request body passes (api/body.c):
 * the depth scan, jansson with duplicate keys refused, the one-object rule. Properties: never
 * crashes or leaks; what it accepts is a JSON object; what it refuses gets a 400 body.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* request.c's calls into server.c, which this target leaves out (and libmicrohttpd with it). */
const char *api_request_header(const struct api_request *req, const char *key)
{
	return NULL;
}

int api_request_query_foreach(const struct api_request *req,
			      int (*fn)(const char *key, const char *value, void *userdata),
			      void *userdata)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_response resp = { .status = 0 };
	char *copy = malloc(size ? size : 1); /* exact size: ASan sees a read past the end */
	json_t *v;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size < 64) {
		char ct[64];
		memcpy(ct, data, size);
		ct[size] = '\0';
		(void)api_content_type_is_json(ct);
	}
	v = api_body_parse(copy, size, &resp);
	if (v) {
		if (!json_is_object(v) || resp.body)
			abort();
		json_decref(v);
	} else if (resp.status != 400 || !resp.body) {
		abort();
	}
	api_blob_unref(resp.body);
	free(copy);
	return 0;
}
