/*
 * assign.c - `passctl assign`, `release` and `history` answers as text and tables.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "output.h"
#include "util.h"

/* A string field, sanitized for the terminal, or "-" (owned). */
static char *field(const json_t *o, const char *key)
{
	const char *s = out_str(o, key);

	return cli_sanitize(s ? s : "-");
}

static char *joined(const json_t *arr)
{
	char *s = NULL;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *a = json_string_value(v);
		char *n = xasprintf("%s%s%s", s ? s : "", s ? ", " : "", a ? a : "?");
		free(s);
		s = n;
	}
	return s ? s : xstrdup("-");
}

/* The driver changes of a bind or unbind: ADDRESS BEFORE AFTER OUTCOME [RESET]. */
static void print_devices(FILE *f, const json_t *body, bool release)
{
	static const char *const headers[] = { "DEVICE", "DRIVER BEFORE", "DRIVER AFTER", "OUTCOME",
					       "RESET" };
	_cleanup_(out_table_freep) struct out_table *t = NULL;
	const json_t *moves = json_object_get(body, release ? "unbind" : "bind");
	const json_t *resets = json_object_get(body, "resets");
	size_t i;
	json_t *m;

	if (json_array_size(moves) == 0 && json_array_size(resets) == 0)
		return;
	t = out_table_new(release ? 5 : 4, headers);
	json_array_foreach(moves, i, m) {
		out_table_add(t, out_str(m, "address"));
		out_table_add(t, out_str(m, "driver_before"));
		out_table_add(t, out_str(m, "driver_after"));
		out_table_add(t, out_str(m, "outcome"));
		if (release) {
			const char *addr = out_str(m, "address");
			const char *res = NULL;
			size_t k;
			json_t *r;
			json_array_foreach(resets, k, r)
				if (addr && out_str(r, "address") && streq(addr, out_str(r, "address")))
					res = out_str(r, "result");
			out_table_add(t, res);
		}
	}
	/* A release that stopped before the unbind has resets but no moves. */
	if (release && json_array_size(moves) == 0)
		json_array_foreach(resets, i, m) {
			out_table_add(t, out_str(m, "address"));
			out_table_add(t, NULL);
			out_table_add(t, NULL);
			out_table_add(t, NULL);
			out_table_add(t, out_str(m, "result"));
		}
	out_table_print(t, f);
}

/* "NAME_ms" -> "NAME" in @buf; NULL when @key does not end in _ms. */
static const char *ms_name(const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);

	if (n <= 3 || n - 3 >= size || strcmp(key + n - 3, "_ms") != 0)
		return NULL;
	memcpy(buf, key, n - 3);
	buf[n - 3] = '\0';
	return buf;
}

/* The parts of phase @phase ("bind_override_ms"... for "bind"), as " (override 0.2, ...)". */
static void print_parts(FILE *f, const json_t *timing, const char *phase)
{
	size_t len = strlen(phase);
	const char *key;
	json_t *v;
	bool first = true;
	char name[64];

	json_object_foreach((json_t *)timing, key, v) {
		if (!json_is_number(v) || !ms_name(key, name, sizeof(name)) ||
		    strncmp(name, phase, len) != 0 || name[len] != '_')
			continue;
		fprintf(f, "%s%s %.1f", first ? " (sysfs: " : ", ", name + len + 1,
			json_number_value(v));
		first = false;
	}
	if (!first)
		fputc(')', f);
}

/*
 * "timing: check 1.2, bind 8.1 (sysfs: override 0.2, unbind 1.9, probe 0.8, check 0.1),
 * attach 4.0, start 1.1; total 16.0 ms, passd's own 3.0 ms". A key "PHASE_PART_ms" whose
 * "PHASE_ms" is there goes in PHASE's brackets.
 */
static void print_timing(FILE *f, const json_t *timing)
{
	const char *key;
	json_t *v;
	bool first = true;
	char name[64], phase[64];

	if (!json_is_object(timing) || json_object_size(timing) == 0)
		return;
	fprintf(f, "timing:");
	json_object_foreach((json_t *)timing, key, v) {
		const char *sep;

		if (!json_is_number(v) || !ms_name(key, name, sizeof(name)) ||
		    streq(name, "total") || streq(name, "passd"))
			continue;
		sep = strchr(name, '_');
		if (sep && (size_t)(sep - name) < sizeof(phase) - 3) {
			snprintf(phase, sizeof(phase), "%.*s_ms", (int)(sep - name), name);
			if (json_object_get(timing, phase))
				continue; /* in its phase's brackets */
		}
		fprintf(f, "%s %s %.1f", first ? "" : ",", name, json_number_value(v));
		print_parts(f, timing, name);
		first = false;
	}
	v = json_object_get(timing, "total_ms");
	if (json_is_number(v))
		fprintf(f, "%s total %.1f ms", first ? "" : ";", json_number_value(v));
	v = json_object_get(timing, "passd_ms");
	if (json_is_number(v))
		fprintf(f, ", passd's own %.1f ms", json_number_value(v));
	fputc('\n', f);
}

int assign_print(FILE *f, const json_t *body, bool release)
{
	_cleanup_free_ char *dev = NULL, *dom = NULL, *state = NULL, *comps = NULL, *rb = NULL;
	const json_t *id = json_object_get(body, "id"), *q = json_object_get(body, "quarantined");
	bool dry = json_is_true(json_object_get(body, "dry_run"));
	size_t i;
	json_t *v;

	if (!json_is_object(body) || !out_str(body, "device")) {
		cli_error("unexpected answer from passd: no assignment");
		return PASSCTL_EXIT_REFUSED;
	}
	dev = field(body, "device");
	dom = field(body, "domain");
	state = field(body, "state");
	comps = joined(json_object_get(body, "companions"));
	if (dry)
		fprintf(f, "dry run, nothing was changed: %s %s %s %s\n", release ? "release" : "assign",
			dev, release ? "from" : "to", dom);
	else if (json_is_integer(id))
		fprintf(f, "%s assignment %" JSON_INTEGER_FORMAT ": %s %s %s (%s%s)\n",
			release ? "released" : "created", json_integer_value(id), dev,
			release ? "from" : "to", dom, state,
			!release && json_is_true(json_object_get(body, "started")) ?
				(json_is_true(json_object_get(body, "paused")) ? ", domain started paused" :
										 ", domain started") :
				"");
	fprintf(f, "group %" JSON_INTEGER_FORMAT ", companions: %s\n",
		json_integer_value(json_object_get(body, "group")), comps);
	print_devices(f, body, release);
	json_array_foreach(q, i, v) {
		_cleanup_free_ char *a = field(v, "address"), *r = field(v, "reason");
		fprintf(f, "quarantined: %s: %s\n", a, r);
	}
	if (out_str(body, "rollback")) {
		rb = field(body, "rollback");
		fprintf(f, "note: %s\n", rb);
	}
	print_timing(f, json_object_get(body, "timing"));
	return PASSCTL_EXIT_OK;
}

int history_print(FILE *f, const json_t *body)
{
	static const char *const headers[] = { "ID", "TIME", "ACTION", "TARGET", "DOMAIN",
					       "RESULT", "ERROR" };
	_cleanup_(out_table_freep) struct out_table *t = NULL;
	const json_t *list = json_object_get(body, "history");
	size_t i;
	json_t *h;

	if (!json_is_array(list)) {
		cli_error("unexpected answer from passd: no history");
		return PASSCTL_EXIT_REFUSED;
	}
	if (json_array_size(list) == 0) {
		fprintf(f, "no history\n");
		return PASSCTL_EXIT_OK;
	}
	t = out_table_new(ELEMENTSOF(headers), headers);
	json_array_foreach(list, i, h) {
		const char *at = out_str(h, "at");
		out_table_addf(t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(h, "id")));
		/* "2026-11-25T06:36:03.123456Z" -> "2026-11-25 06:36:03" */
		if (at && strlen(at) >= 19)
			out_table_addf(t, "%.10s %.8s", at, at + 11);
		else
			out_table_add(t, at);
		out_table_add(t, out_str(h, "action"));
		out_table_add(t, out_str(h, "target"));
		out_table_add(t, out_str(h, "domain"));
		out_table_add(t, out_str(h, "result"));
		out_table_add(t, out_str(h, "error"));
	}
	out_table_print(t, f);
	if (json_is_integer(json_object_get(body, "next_before")))
		fprintf(f, "(older entries: GET /v1/history?before=%" JSON_INTEGER_FORMAT ")\n",
			json_integer_value(json_object_get(body, "next_before")));
	return PASSCTL_EXIT_OK;
}
