#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pci-addr.h"
#include "request.h"

struct api_blob *api_blob_from_data(const void *data, size_t len)
{
	struct api_blob *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

struct api_blob *api_blob_from_json(const json_t *v)
{
	size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT);
	struct api_blob *b;

	if (len == 0)
		return NULL;
	b = malloc(sizeof(*b) + len + 1);
	if (!b)
		return NULL;
	b->refs = 1;
	b->len = json_dumpb(v, b->data, len, JSON_COMPACT);
	b->data[b->len] = '\0';
	return b;
}

struct api_blob *api_blob_ref(struct api_blob *b)
{
	if (b)
		b->refs++;
	return b;
}

void api_blob_unref(struct api_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

void api_respond_blob(struct api_response *resp, unsigned status, struct api_blob *b,
		      const char *content_type)
{
	api_blob_unref(resp->body);
	resp->status = status;
	resp->body = api_blob_ref(b);
	resp->content_type = content_type;
}

void api_respond_blob_new(struct api_response *resp, unsigned status, struct api_blob *b)
{
	if (!b) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	api_respond_blob(resp, status, b, "application/json");
	api_blob_unref(b);
}

void api_respond_json(struct api_response *resp, unsigned status, json_t *v)
{
	struct api_blob *b = v ? api_blob_from_json(v) : NULL;

	json_decref(v);
	if (!b) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	api_respond_blob(resp, status, b, "application/json");
	api_blob_unref(b);
}

unsigned api_status_for(enum pd_errcode code)
{
	switch (code) {
	case PD_ERR_NONE:
		return 200;
	case PD_ERR_BAD_REQUEST:
		return 400;
	case PD_ERR_UNAUTHORIZED:
		return 401;
	case PD_ERR_FORBIDDEN:
	case PD_ERR_HOST_CRITICAL:
		return 403;
	case PD_ERR_NOT_FOUND:
		return 404;
	case PD_ERR_METHOD_NOT_ALLOWED:
		return 405;
	case PD_ERR_CONFLICT:
	case PD_ERR_NOT_VIABLE:
		return 409;
	case PD_ERR_LENGTH_REQUIRED:
		return 411;
	case PD_ERR_TOO_LARGE:
		return 413;
	case PD_ERR_URI_TOO_LONG:
		return 414;
	case PD_ERR_UNSUPPORTED_MEDIA_TYPE:
		return 415;
	case PD_ERR_TOO_MANY_REQUESTS:
		return 429;
	case PD_ERR_HEADERS_TOO_LARGE:
		return 431;
	case PD_ERR_NOT_IMPLEMENTED:
		return 501;
	case PD_ERR_LIBVIRT_UNAVAILABLE:
	case PD_ERR_UNAVAILABLE:
		return 503;
	case PD_ERR_INTERNAL:
	case _PD_ERR_MAX:
		return 500;
	}
	return 500;
}

void api_respond_error(struct api_response *resp, const struct pd_error *err)
{
	enum pd_errcode code = err && err->code != PD_ERR_NONE ? err->code : PD_ERR_INTERNAL;
	char msg[sizeof(err->message)];
	struct api_blob *b;
	json_t *v;

	/* Messages quote client input: keep them printable ASCII so they always encode. */
	snprintf(msg, sizeof(msg), "%s", err && err->message[0] ? err->message : "internal error");
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';

	v = json_pack("{s:{s:s,s:s}}", "error", "code", pd_errcode_to_string(code), "message", msg);
	b = v ? api_blob_from_json(v) : NULL;
	json_decref(v);
	api_blob_unref(resp->body);
	resp->body = b; /* NULL on OOM: the server then sends an empty 500 */
	resp->status = b ? api_status_for(code) : 500;
	resp->content_type = "application/json";
	resp->etag[0] = '\0';
}

void api_respond_errorf(struct api_response *resp, enum pd_errcode code, const char *fmt, ...)
{
	struct pd_error err = PD_ERROR_INIT;
	va_list ap;

	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	api_respond_error(resp, &err);
}

/* If-None-Match may list several tags, or "*" (RFC 9110 13.1.2); weak comparison. */
static bool etag_matches(const char *header, const char *etag)
{
	size_t len = strlen(etag);
	const char *p = header;

	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (strncmp(p, etag, len) == 0 && (p[len] == '\0' || p[len] == ',' || p[len] == ' '))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

bool api_not_modified(const struct api_request *req, struct api_response *resp, const char *etag)
{
	const char *inm = api_request_header(req, "If-None-Match");

	snprintf(resp->etag, sizeof(resp->etag), "%s", etag);
	if (!inm || !etag_matches(inm, etag))
		return false;
	api_blob_unref(resp->body);
	resp->body = NULL;
	resp->status = 304;
	return true;
}

int api_parse_address(struct api_response *resp, const char *in, char out[static PCI_ADDR_LEN + 1])
{
	struct pci_addr a;

	if (pci_addr_parse(in, &a) < 0) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "bad PCI address '%.40s': expected DDDD:BB:DD.F in lowercase hex, e.g. 0000:65:00.0",
				   in);
		return -EINVAL;
	}
	pci_addr_format(&a, out);
	return 0;
}

struct dry_run_ctx {
	struct api_response *resp;
	bool *dry;
};

static int dry_run_arg(const char *key, const char *value, void *userdata)
{
	struct dry_run_ctx *c = userdata;

	if (!streq(key, "dry_run")) {
		api_respond_errorf(c->resp, PD_ERR_BAD_REQUEST,
				   "unknown query parameter '%.32s' (known: dry_run)", key);
		return -1;
	}
	if (value && (streq(value, "true") || streq(value, "1")))
		*c->dry = true;
	else if (value && (streq(value, "false") || streq(value, "0")))
		*c->dry = false;
	else {
		api_respond_errorf(c->resp, PD_ERR_BAD_REQUEST, "dry_run must be true or false");
		return -1;
	}
	return 0;
}

int api_parse_dry_run(const struct api_request *req, struct api_response *resp, bool *ret)
{
	bool dry = false;
	struct dry_run_ctx c = { resp, &dry };

	if (api_request_query_foreach(req, dry_run_arg, &c) != 0)
		return -EINVAL;
	*ret = dry;
	return 0;
}

json_t *api_time_json(int64_t usec)
{
	char buf[64]; /* wide enough for any int the format can get */
	struct tm tm;
	time_t t = (time_t)(usec / 1000000);

	if (usec <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(usec % 1000000));
	return json_string(buf);
}
