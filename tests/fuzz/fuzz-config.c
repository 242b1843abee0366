/*
 * fuzz-config - libFuzzer target for the config file parser (daemon/config.c): every line is
 * "key = value" from the one option table, values bounded or parsed, never guessed. Messages
 * are silenced unless FUZZ_VERBOSE is set. Properties: never crashes or leaks.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct cfg *c = NULL;

	if (!devnull && !getenv("FUZZ_VERBOSE")) {
		devnull = fopen("/dev/null", "we");
		cfg_set_errors(devnull);
	}
	if (size == 0)
		return 0;
	if (cfg_parse_text((const char *)data, size, &c) == 0)
		cfg_free(c);
	return 0;
}
