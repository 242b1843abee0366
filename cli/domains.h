/*
 * domains.h - `passctl domains`: libvirt's domains (GET /v1/domains) for people.
 */
#pragma once

#include <stdio.h>

#include <jansson.h>

/*
 * Print the answer of GET /v1/domains to @f: one row per domain with its state, whether it is
 * persistent, and its PCI hostdevs ("(managed)" after a managed one). Returns PASSCTL_EXIT_OK,
 * or PASSCTL_EXIT_REFUSED when the answer holds no list of domains (said on stderr).
 */
int domains_print(FILE *f, const json_t *body);
