#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "json-device.h"
#include "pci-addr.h"

struct filter {
	const char *class_prefix; /* "0x03", "0x0300" or "0x030000" */
	const char *driver;	  /* "none" for unbound */
	int group;		  /* -1: any */
	bool has_state;
	enum inv_state state;
};

static bool is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

struct parse_ctx {
	struct filter *f;
	struct api_response *resp;
};

static int parse_arg(const char *key, const char *value, void *userdata)
{
	struct parse_ctx *pc = userdata;
	struct filter *f = pc->f;
	size_t len = value ? strlen(value) : 0;

	if (!value || len == 0) {
		api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST, "filter '%s' needs a value", key);
		return -1;
	}
	if (streq(key, "class")) {
		if (len < 4 || len > 8 || len % 2 != 0 || strncmp(value, "0x", 2) != 0 ||
		    !is_hex_lower(value + 2, len - 2)) {
			api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST,
					   "bad class filter '%.32s': expected 0xCC, 0xCCSS or 0xCCSSPP in lowercase hex",
					   value);
			return -1;
		}
		f->class_prefix = value;
	} else if (streq(key, "driver")) {
		if (len >= PD_DRIVER_LEN || strpbrk(value, "/ \t\n")) {
			api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST, "bad driver filter '%.32s'", value);
			return -1;
		}
		f->driver = value;
	} else if (streq(key, "group")) {
		char *end;
		long g = strtol(value, &end, 10);
		if (*end != '\0' || g < 0 || g > 1000000 || value[0] == '+' || value[0] == ' ') {
			api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST,
					   "bad group filter '%.32s': expected a group number", value);
			return -1;
		}
		f->group = (int)g;
	} else if (streq(key, "state")) {
		if (inv_state_from_string(value, &f->state) < 0) {
			api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST,
					   "bad state filter '%.32s': expected host, vfio, assigned, unbound, quarantined or gone",
					   value);
			return -1;
		}
		f->has_state = true;
	} else {
		api_respond_errorf(pc->resp, PD_ERR_BAD_REQUEST,
				   "unknown filter '%.32s' (known: class, driver, group, state)", key);
		return -1;
	}
	return 0;
}

static bool matches(const struct inv *inv, const struct pd_device *d, const struct filter *f)
{
	if (f->class_prefix && strncmp(d->class_id, f->class_prefix, strlen(f->class_prefix)) != 0)
		return false;
	if (f->driver) {
		if (streq(f->driver, "none") ? d->driver[0] != '\0' : !streq(f->driver, d->driver))
			return false;
	}
	if (f->group >= 0 && d->iommu_group != f->group)
		return false;
	if (f->has_state && inv_device_state(inv, d) != f->state)
		return false;
	return true;
}

static unsigned filter_hash(const struct filter *f)
{
	char buf[256];
	unsigned h = 2166136261u;

	snprintf(buf, sizeof(buf), "%s|%s|%d|%d", f->class_prefix ? f->class_prefix : "",
		 f->driver ? f->driver : "", f->group, f->has_state ? (int)f->state : -1);
	for (const char *c = buf; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return h;
}

/* The list answer; NULL on allocation failure. */
static struct api_blob *render(const struct inv *inv, const struct filter *f)
{
	/* Gone devices are listed only when asked for: they are history, not hardware. */
	bool want_gone = f && f->has_state && f->state == INV_STATE_GONE;
	size_t n = want_gone ? inv_gone_count(inv) : inv_device_count(inv), count = 0;
	struct jw w;

	jw_init(&w, f ? 4096 : n * 640);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "devices");
	for (size_t i = 0; i < n; i++) {
		const struct pd_device *d = want_gone ? inv_gone_at(inv, i) : inv_device_at(inv, i);
		if (f && !matches(inv, d, f))
			continue;
		api_device_write(&w, NULL, inv, d);
		count++;
	}
	jw_arr_close(&w);
	jw_int(&w, "count", (long long)count);
	jw_obj_close(&w);
	return jw_take_blob(&w);
}

void api_devices_list(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	struct filter f = { .group = -1 };
	struct parse_ctx pc = { &f, resp };
	bool filtered = false;
	uint64_t gen = inv_generation(ctx->inv);
	char etag[48], tag[24];

	if (api_request_query_foreach(req, parse_arg, &pc) != 0)
		return; /* parse_arg answered 400 */
	filtered = f.class_prefix || f.driver || f.group >= 0 || f.has_state;

	if (!filtered) {
		/* The unfiltered list is what pollers ask for: render once per generation. */
		if (!ctx->devices.blob || ctx->devices.generation != gen) {
			struct api_blob *b = render(ctx->inv, NULL);
			if (!b) {
				api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
				return;
			}
			api_blob_unref(ctx->devices.blob);
			ctx->devices.blob = b;
			ctx->devices.generation = gen;
			api_make_etag(ctx->devices.etag, sizeof(ctx->devices.etag), gen, "devices");
		}
		if (api_not_modified(req, resp, ctx->devices.etag))
			return;
		api_respond_blob(resp, 200, ctx->devices.blob, "application/json");
		return;
	}

	/* A filtered answer depends on the generation and the filter only. */
	snprintf(tag, sizeof(tag), "f%08x", filter_hash(&f));
	api_make_etag(etag, sizeof(etag), gen, tag);
	if (api_not_modified(req, resp, etag))
		return;
	api_respond_blob_new(resp, 200, render(ctx->inv, &f));
}

void api_devices_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	const struct pd_device *d;
	char addr[PCI_ADDR_LEN + 1], etag[48];

	if (api_parse_address(resp, p[0], addr) < 0)
		return;
	d = inv_find_device(ctx->inv, addr);
	if (!d) {
		api_respond_errorf(resp, PD_ERR_NOT_FOUND, "no PCI device at %s", addr);
		return;
	}
	api_make_etag(etag, sizeof(etag), inv_generation(ctx->inv), addr);
	if (api_not_modified(req, resp, etag))
		return;
	struct jw w;
	jw_init(&w, 2048);
	api_device_write(&w, NULL, ctx->inv, d);
	api_respond_blob_new(resp, 200, jw_take_blob(&w));
}
