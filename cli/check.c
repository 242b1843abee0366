/*
 * check.c - `passctl check`: GET /v1/host as a table, and an exit code a script can test.
 *
 * The exit code is decided here from the checks themselves (any "fail"), not only from the
 * summary, so an answer whose summary disagrees with its checks cannot pass for ready.
 */
#include <config.h>

#include <string.h>

#include "check.h"
#include "output.h"
#include "util.h"

int check_report(const json_t *host, bool json, FILE *f)
{
	const json_t *checks = json_object_get(host, "checks");
	const json_t *summary = json_object_get(host, "summary");
	bool failed = false;
	size_t i;
	json_t *c;

	if (!json_is_array(checks)) {
		if (!json)
			out_generic(f, host);
		cli_error("the answer of /v1/host has no list of checks");
		return PASSCTL_EXIT_REFUSED;
	}
	json_array_foreach(checks, i, c) {
		const char *st = out_str(c, "status");
		failed = failed || !st || streq(st, "fail");
	}
	if (json_is_object(summary) && json_is_false(json_object_get(summary, "ready")))
		failed = true;
	if (!json) {
		out_checks(f, host);
		fprintf(f, "\n%s\n",
			failed ? "Not ready: fix the failed checks above (their hints say how)." :
				 "Ready for device passthrough.");
	}
	return failed ? PASSCTL_EXIT_NOT_READY : PASSCTL_EXIT_OK;
}
