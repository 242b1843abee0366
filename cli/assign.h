/*
 * assign.h - `passctl assign`, `release` and `history` answers for people.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Print the answer of POST /v1/assignments (@release false) or DELETE /v1/assignments/{id}
 * (@release true) to @f: the assignment, its devices with their driver changes, resets and
 * quarantines, and the time each step took. Returns PASSCTL_EXIT_OK, or PASSCTL_EXIT_REFUSED
 * when the answer is not an assignment (said on stderr).
 */
int assign_print(FILE *f, const json_t *body, bool release);

/* Print GET /v1/history's answer as a table, newest first. Same return values. */
int history_print(FILE *f, const json_t *body);
