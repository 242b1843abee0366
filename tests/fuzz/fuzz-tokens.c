/*
 * fuzz-tokens - libFuzzer target for the token file parser and the Authorization header check
 * (api/auth.c). The input is a token file; its first line is also tried as a header.
 * Properties: never crashes or leaks; an accepted file has at most as many tokens as lines.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_tokens *t = NULL;
	struct api_identity id;
	char err[256], hdr[600];
	char *copy = malloc(size ? size : 1);
	size_t lines = 1, n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (size_t i = 0; i < size; i++)
		lines += copy[i] == '\n';
	if (api_tokens_parse(copy, size, &t, err, sizeof(err)) == 0 && api_tokens_count(t) > lines)
		abort();
	{
		const char *nl = memchr(copy, '\n', size);
		n = nl ? (size_t)(nl - copy) : size;
	}
	if (n >= sizeof(hdr))
		n = sizeof(hdr) - 1;
	memcpy(hdr, copy, n);
	hdr[n] = '\0';
	if (api_tokens_check(t, hdr, &id) == 0 &&
	    (id.role < API_ROLE_READER || id.role > API_ROLE_ADMIN))
		abort();
	api_tokens_free(t);
	free(copy);
	return 0;
}
