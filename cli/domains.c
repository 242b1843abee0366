/*
 * domains.c - `passctl domains` as a table.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "output.h"
#include "util.h"

/* "0000:65:00.0, 0000:65:00.1 (managed)", or NULL (printed "-") for none. */
static char *hostdevs_cell(const json_t *hds)
{
	char *s = NULL;
	size_t i;
	json_t *h;

	json_array_foreach(hds, i, h) {
		const char *addr = out_str(h, "address");
		bool managed = json_is_true(json_object_get(h, "managed"));
		char *n = xasprintf("%s%s%s%s", s ? s : "", s ? ", " : "", addr ? addr : "?",
				    managed ? " (managed)" : "");
		free(s);
		s = n;
	}
	return s;
}

int domains_print(FILE *f, const json_t *body)
{
	static const char *const headers[] = { "NAME", "STATE", "PERSISTENT", "HOSTDEVS", "UUID" };
	_cleanup_(out_table_freep) struct out_table *t = NULL;
	const json_t *list = json_object_get(body, "domains");
	size_t i;
	json_t *d;

	if (!json_is_array(list)) {
		cli_error("unexpected answer from passd: no list of domains");
		return PASSCTL_EXIT_REFUSED;
	}
	if (json_array_size(list) == 0) {
		fprintf(f, "no domains\n");
		return PASSCTL_EXIT_OK;
	}
	t = out_table_new(ELEMENTSOF(headers), headers);
	json_array_foreach(list, i, d) {
		_cleanup_free_ char *hds = hostdevs_cell(json_object_get(d, "hostdevs"));
		const json_t *p = json_object_get(d, "persistent");

		out_table_add(t, out_str(d, "name"));
		out_table_add(t, out_str(d, "state"));
		out_table_add(t, json_is_boolean(p) ? (json_is_true(p) ? "yes" : "no") : NULL);
		out_table_add(t, hds);
		out_table_add(t, out_str(d, "uuid"));
	}
	out_table_print(t, f);
	return PASSCTL_EXIT_OK;
}
