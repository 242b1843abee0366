/*
 * check.h - `passctl check`: the host preflight (GET /v1/host) for people and for scripts.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Exit code of `passctl check` when the daemon answered and a check failed: the host cannot pass
 * devices through yet (docs/passctl.md). Warnings alone exit 0.
 */
#define PASSCTL_EXIT_NOT_READY 4

/*
 * Print @host (GET /v1/host's answer) to @f as a table with the hints under the checks that are
 * not ok, unless @json (the caller printed the answer verbatim). Returns PASSCTL_EXIT_OK when no
 * check failed, PASSCTL_EXIT_NOT_READY when one did, PASSCTL_EXIT_REFUSED when the answer has no
 * list of checks (printed as it is, with a message on stderr).
 */
int check_report(const json_t *host, bool json, FILE *f);
