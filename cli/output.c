#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "output.h"
#include "util.h"

struct out_note {
	size_t row; /* printed after this many complete rows */
	size_t col;
	char *text;
};

struct out_table {
	size_t ncols;
	char **headers; /* NULL: no header row */
	char **cells;
	size_t ncells, cap;
	struct out_note *notes;
	size_t nnotes;
};

/* Columns on a terminal: UTF-8 continuation bytes take none. Wide characters are rare in PCI
 * names and counted as one. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Append @sep and @item to the string in *@joined (NULL at first). */
static void append(char **joined, const char *sep, const char *item)
{
	char *s = xasprintf("%s%s%s", *joined ? *joined : "", *joined ? sep : "", item);

	free(*joined);
	*joined = s;
}

struct out_table *out_table_new(size_t ncols, const char *const *headers)
{
	struct out_table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	if (headers) {
		t->headers = xcalloc(ncols, sizeof(char *));
		for (size_t i = 0; i < ncols; i++)
			t->headers[i] = xstrdup(headers[i]);
	}
	return t;
}

void out_table_free(struct out_table *t)
{
	if (!t)
		return;
	if (t->headers)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->headers[i]);
	free(t->headers);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	for (size_t i = 0; i < t->nnotes; i++)
		free(t->notes[i].text);
	free(t->notes);
	free(t);
}

void out_table_add(struct out_table *t, const char *cell)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(char *));
	}
	t->cells[t->ncells++] = cli_sanitize(cell ? cell : "-");
}

void out_table_addf(struct out_table *t, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		fputs("passctl: out of memory\n", stderr);
		abort();
	}
	va_end(ap);
	out_table_add(t, s);
}

void out_table_add_note(struct out_table *t, size_t col, const char *text)
{
	t->notes = xrealloc(t->notes, (t->nnotes + 1) * sizeof(*t->notes));
	t->notes[t->nnotes++] = (struct out_note){
		.row = out_table_rows(t),
		.col = col < t->ncols ? col : 0,
		.text = cli_sanitize(text),
	};
}

size_t out_table_rows(const struct out_table *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

static void print_row(FILE *f, char *const *cells, size_t ncols, const size_t *widths)
{
	size_t last = ncols;

	/* empty cells at the end of a line would only leave trailing blanks */
	while (last > 0 && cells[last - 1][0] == '\0')
		last--;
	for (size_t i = 0; i < last; i++) {
		fputs(cells[i], f);
		if (i + 1 < last)
			fprintf(f, "%*s", (int)(widths[i] - display_width(cells[i]) + 2), "");
	}
	fputc('\n', f);
}

static void print_notes(FILE *f, const struct out_table *t, size_t row, const size_t *widths,
			size_t *next)
{
	for (; *next < t->nnotes && t->notes[*next].row == row; (*next)++) {
		size_t indent = 0;

		for (size_t c = 0; c < t->notes[*next].col; c++)
			indent += widths[c] + 2;
		fprintf(f, "%*s%s\n", (int)indent, "", t->notes[*next].text);
	}
}

void out_table_print(const struct out_table *t, FILE *f)
{
	size_t rows = out_table_rows(t), note = 0;
	_cleanup_free_ size_t *widths = NULL;

	if (t->ncols == 0)
		return;
	widths = xcalloc(t->ncols, sizeof(size_t));
	for (size_t c = 0; c < t->ncols; c++) {
		if (t->headers)
			widths[c] = display_width(t->headers[c]);
		for (size_t r = 0; r < rows; r++) {
			size_t w = display_width(t->cells[r * t->ncols + c]);

			if (w > widths[c])
				widths[c] = w;
		}
	}
	if (t->headers)
		print_row(f, t->headers, t->ncols, widths);
	print_notes(f, t, 0, widths, &note);
	for (size_t r = 0; r < rows; r++) {
		print_row(f, t->cells + r * t->ncols, t->ncols, widths);
		print_notes(f, t, r + 1, widths, &note);
	}
}

const char *out_str(const json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *member(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

/*
 * jansson's json_is_true()/json_is_false() evaluate their argument twice, so a call inside
 * them runs twice and gcc's -Wnull-dereference sees the second one unguarded.
 */
static bool member_is(const json_t *o, const char *key, json_type type)
{
	const json_t *v = member(o, key);

	return v && json_typeof(v) == type;
}

static bool is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

char *out_fmt(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("yes");
	case JSON_FALSE:
		return xstrdup("no");
	case JSON_NULL:
		return xstrdup("-");
	case JSON_ARRAY: {
		char *s = NULL;
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
			if (!is_scalar(e))
				break;
		if (i < json_array_size(v))
			break; /* nested: compact JSON below */
		if (json_array_size(v) == 0)
			return xstrdup("-");
		json_array_foreach(v, i, e) {
			_cleanup_free_ char *item = out_fmt(e);

			append(&s, ", ", item);
		}
		return s;
	}
	case JSON_OBJECT:
		break;
	}
	char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *s = xstrdup(dump ? dump : "-");

	free(dump);
	return s;
}

/* A string member, or the fallback member, or "-"; borrowed. */
static const char *str_or(const json_t *o, const char *key, const char *fallback)
{
	const char *s = out_str(o, key);

	if (!s || !s[0])
		s = fallback ? out_str(o, fallback) : NULL;
	return s && s[0] ? s : "-";
}

static void add_fmt(struct out_table *t, const json_t *v)
{
	_cleanup_free_ char *s = out_fmt(v);

	out_table_add(t, s);
}

json_t *out_list(json_t *body, const char *key)
{
	json_t *v;

	if (json_is_array(body))
		return body;
	v = key ? member(body, key) : NULL;
	if (json_is_array(v))
		return v;
	v = member(body, "items");
	return json_is_array(v) ? v : NULL;
}

void out_devices(FILE *f, const json_t *devices)
{
	static const char *const headers[] = { "ADDRESS", "CLASS", "VENDOR", "DEVICE",
					       "DRIVER",  "GROUP", "NUMA",   "STATE" };
	_cleanup_(out_table_freep) struct out_table *t =
		out_table_new(ELEMENTSOF(headers), headers);
	size_t i;
	json_t *d;

	json_array_foreach(devices, i, d) {
		out_table_add(t, str_or(d, "address", NULL));
		out_table_add(t, str_or(d, "class_name", "class"));
		out_table_add(t, str_or(d, "vendor_name", "vendor_id"));
		out_table_add(t, str_or(d, "device_name", "device_id"));
		out_table_add(t, str_or(d, "driver", NULL));
		add_fmt(t, member(d, "iommu_group"));
		add_fmt(t, member(d, "numa_node"));
		out_table_add(t, str_or(d, "state", NULL));
	}
	out_table_print(t, f);
}

/* The device whose address is @addr in @devices, or NULL. */
static const json_t *find_device(const json_t *devices, const char *addr)
{
	size_t i;
	json_t *d;

	json_array_foreach(devices, i, d) {
		const char *a = out_str(d, "address");

		if (a && streq(a, addr))
			return d;
	}
	return NULL;
}

/* "0000:65:00.0 (nvidia)": a group member, given as an address or as a device object. */
static char *member_label(const json_t *m, const json_t *devices)
{
	const char *addr = json_is_string(m) ? json_string_value(m) : out_str(m, "address");
	const json_t *d = json_is_object(m) ? m : NULL;
	json_t *driver;

	if (!addr)
		return out_fmt(m);
	if (!d && devices)
		d = find_device(devices, addr);
	if (!d)
		return xstrdup(addr);
	driver = member(d, "driver");
	if (json_is_string(driver))
		return xasprintf("%s (%s)", addr, json_string_value(driver));
	return xasprintf("%s (no driver)", addr);
}

void out_groups(FILE *f, const json_t *groups, const json_t *devices)
{
	static const char *const headers[] = { "GROUP", "VIABLE", "DEVICES", "MEMBERS" };
	_cleanup_(out_table_freep) struct out_table *t =
		out_table_new(ELEMENTSOF(headers), headers);
	size_t i, j;
	json_t *g, *m;

	json_array_foreach(groups, i, g) {
		json_t *members = member(g, "devices");
		char *joined = NULL;

		add_fmt(t, member(g, "id"));
		add_fmt(t, member(g, "viable"));
		if (json_is_array(members))
			out_table_addf(t, "%zu", json_array_size(members));
		else
			out_table_add(t, "-");
		json_array_foreach(members, j, m) {
			_cleanup_free_ char *label = member_label(m, devices);

			append(&joined, ", ", label);
		}
		out_table_add(t, joined);
		free(joined);
	}
	out_table_print(t, f);

	/* why a group cannot be passed through is what its owner asks next */
	json_array_foreach(groups, i, g) {
		json_t *blockers = member(g, "blockers");
		_cleanup_free_ char *id = out_fmt(member(g, "id"));

		if (!member_is(g, "viable", JSON_FALSE) || json_array_size(blockers) == 0)
			continue;
		_cleanup_free_ char *safe_id = cli_sanitize(id);
		fprintf(f, "\ngroup %s is not viable:\n", safe_id);
		json_array_foreach(blockers, j, m) {
			_cleanup_free_ char *line =
				xasprintf("  %s (%s): %s", str_or(m, "address", NULL),
					  str_or(m, "driver", NULL), str_or(m, "reason", NULL));
			_cleanup_free_ char *safe = cli_sanitize(line);

			fprintf(f, "%s\n", safe);
		}
	}
}

/* "name (id)", "name", "id" or "-". */
static char *name_and_id(const json_t *o, const char *name_key, const char *id_key)
{
	const char *name = out_str(o, name_key), *id = out_str(o, id_key);

	if (name && name[0] && id && id[0])
		return xasprintf("%s (%s)", name, id);
	return xstrdup(name && name[0] ? name : id && id[0] ? id : "-");
}

static void kv(struct out_table *t, const char *key, const char *value)
{
	_cleanup_free_ char *k = xasprintf("%s:", key);

	out_table_add(t, k);
	out_table_add(t, value);
}

static void kv_take(struct out_table *t, const char *key, char *value)
{
	kv(t, key, value);
	free(value);
}

/* Every member of @o whose key is not in @known, as "key: value" lines. */
static void kv_rest(struct out_table *t, const json_t *o, const char *const *known, size_t n)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		size_t i;

		for (i = 0; i < n; i++)
			if (streq(key, known[i]))
				break;
		if (i == n)
			kv_take(t, key, out_fmt(v));
	}
}

static char *fmt_sriov(const json_t *sriov)
{
	_cleanup_free_ char *num = NULL, *total = NULL;

	if (!json_is_object(sriov))
		return out_fmt(sriov);
	num = out_fmt(member(sriov, "num_vfs"));
	total = out_fmt(member(sriov, "total_vfs"));
	return xasprintf("%s of %s VFs enabled", num, total);
}

static char *fmt_vfs(const json_t *vfs)
{
	char *joined = NULL;
	size_t i;
	json_t *vf;

	json_array_foreach(vfs, i, vf) {
		_cleanup_free_ char *label = NULL;

		if (json_is_string(vf))
			label = xstrdup(json_string_value(vf));
		else if (out_str(vf, "address"))
			label = xstrdup(out_str(vf, "address"));
		else
			label = out_fmt(vf);
		append(&joined, ", ", label);
	}
	return joined ? joined : xstrdup("-");
}

static char *fmt_host_critical(const json_t *hc)
{
	const char *reason = out_str(hc, "reason");

	if (!json_is_object(hc))
		return out_fmt(hc);
	if (!member_is(hc, "critical", JSON_TRUE))
		return xstrdup("no");
	return reason && reason[0] ? xasprintf("yes (%s)", reason) : xstrdup("yes");
}

static char *fmt_assignment(const json_t *a)
{
	_cleanup_free_ char *id = NULL;
	const char *domain;

	if (!json_is_object(a))
		return out_fmt(a);
	id = out_fmt(member(a, "id"));
	domain = out_str(a, "domain");
	return domain ? xasprintf("%s (domain %s)", id, domain) : xstrdup(id);
}

static char *fmt_reset_methods(const json_t *r)
{
	char *joined = NULL;
	size_t i;
	json_t *m;

	if (!json_is_array(r))
		return out_fmt(r);
	json_array_foreach(r, i, m) {
		_cleanup_free_ char *s = out_fmt(m);
		append(&joined, " ", s);
	}
	return joined ? joined : xstrdup("none");
}

void out_device(FILE *f, const json_t *d)
{
	static const char *const known[] = {
		"address",
		"class",
		"class_name",
		"vendor_id",
		"vendor_name",
		"device_id",
		"device_name",
		"subsystem_vendor_id",
		"subsystem_device_id",
		"driver",
		"original_driver",
		"iommu_group",
		"numa_node",
		"state",
		"reset_methods",
		"sriov",
		"physfn",
		"host_critical",
		"assignment",
	};
	_cleanup_(out_table_freep) struct out_table *t = out_table_new(2, NULL);
	json_t *sriov = member(d, "sriov");

	kv(t, "address", str_or(d, "address", NULL));
	kv(t, "state", str_or(d, "state", NULL));
	kv_take(t, "class", name_and_id(d, "class_name", "class"));
	kv_take(t, "vendor", name_and_id(d, "vendor_name", "vendor_id"));
	kv_take(t, "device", name_and_id(d, "device_name", "device_id"));
	kv_take(t, "subsystem",
		xasprintf("%s:%s", str_or(d, "subsystem_vendor_id", NULL),
			  str_or(d, "subsystem_device_id", NULL)));
	kv(t, "driver", str_or(d, "driver", NULL));
	kv(t, "original_driver", str_or(d, "original_driver", NULL));
	kv_take(t, "iommu_group", out_fmt(member(d, "iommu_group")));
	kv_take(t, "numa_node", out_fmt(member(d, "numa_node")));
	kv_take(t, "reset_methods", fmt_reset_methods(member(d, "reset_methods")));
	kv_take(t, "sriov", fmt_sriov(sriov));
	if (json_is_object(sriov))
		kv_take(t, "vfs", fmt_vfs(member(sriov, "vfs")));
	kv_take(t, "physfn", out_fmt(member(d, "physfn")));
	kv_take(t, "host_critical", fmt_host_critical(member(d, "host_critical")));
	kv_take(t, "assignment", fmt_assignment(member(d, "assignment")));
	if (json_is_object(d))
		kv_rest(t, d, known, ELEMENTSOF(known));
	out_table_print(t, f);
}

static char *fmt_iommu(const json_t *iommu)
{
	json_t *groups = member(iommu, "groups");
	const char *hint = out_str(iommu, "hint");

	if (!json_is_object(iommu))
		return out_fmt(iommu);
	if (!member_is(iommu, "enabled", JSON_TRUE))
		return hint ? xasprintf("disabled (%s)", hint) : xstrdup("disabled");
	if (json_is_integer(groups))
		return xasprintf("enabled, %" JSON_INTEGER_FORMAT " groups",
				 json_integer_value(groups));
	return xstrdup("enabled");
}

static char *fmt_libvirt(const json_t *lv)
{
	const char *uri = out_str(lv, "uri");
	bool connected = member_is(lv, "connected", JSON_TRUE);

	if (!json_is_object(lv))
		return out_fmt(lv);
	if (member_is(lv, "enabled", JSON_FALSE) || (!connected && (!uri || streq(uri, "none"))))
		return xstrdup("not used");
	if (!uri)
		return xstrdup(connected ? "connected" : "not connected");
	if (!connected && out_str(lv, "error"))
		return xasprintf("not connected (%s): %s", uri, out_str(lv, "error"));
	return xasprintf("%s (%s)", connected ? "connected" : "not connected", uri);
}

static char *fmt_db(const json_t *db)
{
	const char *path = out_str(db, "path");
	json_t *ok = member(db, "ok");

	if (!json_is_object(db) || !json_is_boolean(ok))
		return out_fmt(db);
	return path ? xasprintf("%s (%s)", json_is_true(ok) ? "ok" : "failing", path) :
		      xstrdup(json_is_true(ok) ? "ok" : "failing");
}

static char *fmt_inventory(const json_t *inv)
{
	json_t *devices = member(inv, "devices"), *gone = member(inv, "gone");
	json_t *took = member(inv, "scan_duration_usec");

	if (!json_is_integer(devices) || !json_is_integer(gone))
		return out_fmt(inv);
	if (!json_is_integer(took))
		return xasprintf("%" JSON_INTEGER_FORMAT " devices, %" JSON_INTEGER_FORMAT " gone",
				 json_integer_value(devices), json_integer_value(gone));
	return xasprintf("%" JSON_INTEGER_FORMAT " devices, %" JSON_INTEGER_FORMAT
			 " gone, last scan took %.1f ms",
			 json_integer_value(devices), json_integer_value(gone),
			 (double)json_integer_value(took) / 1000.0);
}

/* "57 (50 host, 4 vfio, 2 assigned, 1 unbound)": the contract's states first, newer ones after. */
static char *fmt_counts(const json_t *devices)
{
	static const char *const states[] = { "host",	 "vfio",	"assigned",
					      "unbound", "quarantined", "gone" };
	json_auto_t *counts = json_object();
	char *list = NULL, *s;
	const char *key;
	size_t i;
	json_t *d, *v;

	if (!counts)
		return xasprintf("%zu", json_array_size(devices));
	for (i = 0; i < ELEMENTSOF(states); i++)
		(void)json_object_set_new(counts, states[i], json_integer(0));
	json_array_foreach(devices, i, d) {
		const char *state = str_or(d, "state", NULL);
		json_int_t n = json_integer_value(json_object_get(counts, state));

		(void)json_object_set_new(counts, state, json_integer(n + 1));
	}
	json_object_foreach(counts, key, v) {
		_cleanup_free_ char *item = NULL;

		if (json_integer_value(v) == 0)
			continue;
		item = xasprintf("%" JSON_INTEGER_FORMAT " %s", json_integer_value(v), key);
		append(&list, ", ", item);
	}
	if (!list)
		return xasprintf("%zu", json_array_size(devices));
	s = xasprintf("%zu (%s)", json_array_size(devices), list);
	free(list);
	return s;
}

void out_status(FILE *f, const json_t *h, const json_t *devices)
{
	static const char *const known[] = { "status",	"version", "iommu",
					     "libvirt", "db",	   "inventory" };
	_cleanup_(out_table_freep) struct out_table *t = out_table_new(2, NULL);

	kv_take(t, "status", out_fmt(member(h, "status")));
	kv_take(t, "version", out_fmt(member(h, "version")));
	kv_take(t, "iommu", fmt_iommu(member(h, "iommu")));
	kv_take(t, "libvirt", fmt_libvirt(member(h, "libvirt")));
	kv_take(t, "db", fmt_db(member(h, "db")));
	if (member(h, "inventory"))
		kv_take(t, "inventory", fmt_inventory(member(h, "inventory")));
	if (json_is_object(h))
		kv_rest(t, h, known, ELEMENTSOF(known));
	if (devices)
		kv_take(t, "devices", fmt_counts(devices));
	out_table_print(t, f);
}

void out_checks(FILE *f, const json_t *host)
{
	static const char *const headers[] = { "STATUS", "CHECK", "DETAIL" };
	_cleanup_(out_table_freep) struct out_table *t =
		out_table_new(ELEMENTSOF(headers), headers);
	json_t *checks = member(host, "checks"), *c;
	size_t i;

	json_array_foreach(checks, i, c) {
		const char *hint = out_str(c, "hint");
		const char *status = str_or(c, "status", NULL);

		out_table_add(t, status);
		add_fmt(t, member(c, "id"));
		add_fmt(t, member(c, "detail"));
		if (hint && hint[0] && !streq(status, "ok")) {
			_cleanup_free_ char *note = xasprintf("hint: %s", hint);

			out_table_add_note(t, 2, note);
		}
	}
	out_table_print(t, f);
	if (json_is_object(host) && json_object_get(host, "summary")) {
		_cleanup_(out_table_freep) struct out_table *kvt = out_table_new(2, NULL);
		json_t *summary = json_object_get(host, "summary");

		fputc('\n', f);
		if (json_is_object(summary)) {
			kv_rest(kvt, summary, NULL, 0);
		} else {
			kv_take(kvt, "summary", out_fmt(summary));
		}
		out_table_print(kvt, f);
	}
}

static bool is_object_list(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

static bool looks_like_devices(const json_t *list)
{
	json_t *first = json_array_get(list, 0);

	return json_object_get(first, "address") && json_object_get(first, "vendor_id");
}

/* A list of objects as a table whose columns are the union of their keys, in first-seen order. */
static void print_object_list(FILE *f, const json_t *list)
{
	json_auto_t *cols = json_object();
	_cleanup_(out_table_freep) struct out_table *t = NULL;
	_cleanup_free_ const char **headers = NULL;
	const char *key;
	size_t i, n = 0;
	json_t *o, *v;

	if (looks_like_devices(list)) {
		out_devices(f, list);
		return;
	}
	if (!cols)
		return;
	json_array_foreach(list, i, o)
		json_object_foreach(o, key, v)
			(void)json_object_set_new(cols, key, json_null());
	headers = xcalloc(json_object_size(cols), sizeof(char *));
	json_object_foreach(cols, key, v)
		headers[n++] = key;
	/* upper-case headers as in the other tables */
	_cleanup_free_ char **upper = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		upper[i] = xstrdup(headers[i]);
		for (char *p = upper[i]; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	}
	t = out_table_new(n, (const char *const *)upper);
	for (i = 0; i < n; i++)
		free(upper[i]);
	json_array_foreach(list, i, o)
		for (size_t c = 0; c < n; c++)
			add_fmt(t, json_object_get(o, headers[c]));
	out_table_print(t, f);
}

void out_generic(FILE *f, const json_t *v)
{
	_cleanup_(out_table_freep) struct out_table *t = NULL;
	const char *key;
	json_t *m;

	if (is_object_list(v)) {
		print_object_list(f, v);
		return;
	}
	if (!json_is_object(v)) {
		_cleanup_free_ char *s = out_fmt(v);
		_cleanup_free_ char *safe = cli_sanitize(s);

		fprintf(f, "%s\n", safe);
		return;
	}
	t = out_table_new(2, NULL);
	json_object_foreach((json_t *)v, key, m)
		if (!is_object_list(m))
			kv_take(t, key, out_fmt(m));
	out_table_print(t, f);
	json_object_foreach((json_t *)v, key, m) {
		_cleanup_free_ char *safe = NULL;

		if (!is_object_list(m))
			continue;
		safe = cli_sanitize(key);
		fprintf(f, "\n%s:\n", safe);
		print_object_list(f, m);
	}
}
