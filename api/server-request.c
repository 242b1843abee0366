/*
 * server-request.c - one request, from its head to its answer: the checks made before a byte of
 * the body is read, the body, the audit record, the handler, deferred answers, and the MHD
 * response. Also what handlers see of the request (request.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "body.h"
#include "core/audit.h"
#include "handlers.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "routes.h"
#include "server-priv.h"

#define URI_MAX (8 * 1024)	/* request target: 414 above */
#define HEADERS_MAX (32 * 1024) /* request line and headers: 431 above */

const char *api_request_query(const struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *api_request_header(const struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

struct foreach_ctx {
	int (*fn)(const char *key, const char *value, void *userdata);
	void *userdata;
	int r;
};

static enum MHD_Result foreach_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct foreach_ctx *fc = cls;

	fc->r = fc->fn(key, value, fc->userdata);
	return fc->r == 0 ? MHD_YES : MHD_NO;
}

int api_request_query_foreach(const struct api_request *req,
			      int (*fn)(const char *key, const char *value, void *userdata),
			      void *userdata)
{
	struct foreach_ctx fc = { fn, userdata, 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, foreach_arg, &fc);
	return fc.r;
}

/* The deferred answer of a request is in its conn_req; api_deferred is that struct. */
struct api_deferred *api_request_defer(struct api_request *req)
{
	struct conn_req *cr = req->cr;

	cr->deferred = true;
	cr->deferred_resp = (struct api_response){ .status = 500 };
	return (struct api_deferred *)cr;
}

void api_request_undefer(struct api_request *req)
{
	struct conn_req *cr = req->cr;

	cr->deferred = false;
}

struct api_response *api_deferred_response(struct api_deferred *d)
{
	return &((struct conn_req *)d)->deferred_resp;
}

void api_deferred_resume(struct api_deferred *d)
{
	struct conn_req *cr = (struct conn_req *)d;

	cr->resumed = true;
	MHD_resume_connection(cr->conn);
}

static void free_blob(void *cls)
{
	api_blob_unref(cls);
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct api_response *resp,
				     bool close)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char num[16];

	if (resp->body) {
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			resp->body->len, resp->body->data, free_blob, resp->body);
		if (!r)
			return MHD_NO;
		resp->body = NULL; /* the response holds our reference now */
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
	}
	if (resp->content_type && resp->status != 304)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
	if (resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->www_authenticate)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->www_authenticate);
	if (resp->retry_after) {
		snprintf(num, sizeof(num), "%u", resp->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				resp->cache_control ? resp->cache_control : "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Count an answer for GET /metrics, by the route's pattern (never the raw path). */
static void count_answer(const struct conn_req *cr, const char *method, unsigned status)
{
	api_metrics_request(cr->match.route ? api_route_pattern(&cr->match) : NULL, method, status,
			    now_usec() - cr->start_usec);
}

/* An answer before the body is read: the connection closes after it, the body unread. */
static enum MHD_Result refuse(struct MHD_Connection *c, struct conn_req *cr,
			      struct api_response *resp, const char *method, const char *url)
{
	enum MHD_Result ret;

	count_answer(cr, method, resp->status);
	log_debug("%s %.200s -> %u (refused before the body)", method, url, resp->status);
	ret = send_response(c, resp, true);
	api_blob_unref(resp->body);
	return ret;
}

struct header_sum {
	size_t args;
	bool te, cl;
};

static enum MHD_Result sum_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct header_sum *h = cls;

	h->args += strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	return MHD_YES;
}

/* Everything decided from the request head alone: 0, or an answer and the body stays unread. */
static int check_head(struct api_server *srv, struct MHD_Connection *c, struct conn *ci,
		      struct conn_req *cr, const char *method, const char *url,
		      struct api_response *resp)
{
	const union MHD_ConnectionInfo *info;
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	struct header_sum hs = { 0 };
	unsigned wait;

	/* Sizes first: nothing else is looked at in an oversized request. */
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, sum_arg, &hs);
	if (strlen(url) + hs.args > URI_MAX) {
		api_respond_errorf(resp, PD_ERR_URI_TOO_LONG, "the request target is over %d bytes",
				   URI_MAX);
		return -E2BIG;
	}
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (info && info->header_size > HEADERS_MAX) {
		api_respond_errorf(resp, PD_ERR_HEADERS_TOO_LARGE,
				   "the request head is over %d bytes", HEADERS_MAX);
		return -E2BIG;
	}

	/* Who asks, and whether they are asking too often. */
	if (api_conn_identify(srv, c, ci, &cr->id, resp) < 0 ||
	    api_conn_admit(srv, ci, &cr->id, resp) < 0)
		goto limited;
	wait = api_limits_take(srv->limits,
			       cr->id.role > API_ROLE_ANONYMOUS ? cr->id.name : ci->peer.name,
			       now_usec());
	if (wait) {
		api_respond_errorf(resp, PD_ERR_TOO_MANY_REQUESTS,
				   "'%s' is over %u requests per second; retry in %u s",
				   cr->id.name, srv->sec.rate, wait);
		resp->retry_after = wait;
		return -EBUSY;
	}

	/* Framing: one length, stated up front, within the limit. */
	if (te && cl) {
		api_respond_errorf(resp, PD_ERR_BAD_REQUEST,
				   "Transfer-Encoding and Content-Length together are refused");
		return -EINVAL;
	}
	if (te) {
		api_respond_errorf(resp, PD_ERR_LENGTH_REQUIRED,
				   "request bodies need a Content-Length (chunked bodies are refused)");
		return -EINVAL;
	}
	if (cl) {
		char *end;
		unsigned long long n;
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || cl[0] == '-' || cl[0] == '+') {
			api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "bad Content-Length");
			return -EINVAL;
		}
		if (n > API_BODY_MAX) {
			api_respond_errorf(resp, PD_ERR_TOO_LARGE,
					   "request body over the limit of %d bytes", API_BODY_MAX);
			return -EFBIG;
		}
	}

	/* The route, and whether this caller may use it: before a byte of the body is read. */
	if (api_route_find(method, url, &cr->match, resp) < 0)
		return -ENOENT;
	if (api_route_authorize(&cr->match, &cr->id, resp) < 0) {
		if (srv->sec.audit && api_route_changes_state(&cr->match)) {
			struct audit_request ar = { cr->id.name, api_role_to_string(cr->id.role), method,
						    api_route_pattern(&cr->match), url };
			(void)auditsvc_refused(srv->sec.audit, &ar, resp->status, NULL); /* logs */
		}
		return -EACCES;
	}
	if (cl && strcmp(cl, "0") != 0) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		if (streq(method, "GET") || streq(method, "HEAD")) {
			api_respond_errorf(resp, PD_ERR_BAD_REQUEST, "%s takes no body", method);
			return -EINVAL;
		}
		if (!api_content_type_is_json(ct)) {
			api_respond_errorf(resp, PD_ERR_UNSUPPORTED_MEDIA_TYPE,
					   "request bodies are JSON: send Content-Type: application/json");
			return -EINVAL;
		}
	}
	return 0;

limited:
	return -EACCES;
}

/* The audit's target: the path, and "?dry_run=true" for a dry run (it changed nothing). */
static const char *audit_target(struct MHD_Connection *c, const char *url, char *buf, size_t size)
{
	const char *dry = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dry_run");

	if (!dry || !(streq(dry, "true") || streq(dry, "1")))
		return url;
	snprintf(buf, size, "%.200s?dry_run=true", url);
	return buf;
}

/* Record the end of an audited request; a failure is logged by the service. */
static void audit_finish(struct api_server *srv, struct conn_req *cr, const struct api_response *resp)
{
	const char *code = NULL;

	if (!cr->audit_id || !srv->sec.audit)
		return;
	if (resp->status >= 400)
		code = resp->body ? "error" : "failed";
	(void)auditsvc_finish(srv->sec.audit, cr->audit_id, resp->status,
			      resp->status < 400 ? "ok" : code, NULL);
	cr->audit_id = 0;
}

static void run(struct api_server *srv, struct MHD_Connection *c, struct conn_req *cr,
		const char *method, const char *url, struct api_response *resp)
{
	struct api_request req = {
		.method = method,
		.path = url,
		.body = cr->body,
		.body_len = cr->len,
		.ctx = &srv->ctx,
		.identity = &cr->id,
		.conn = c,
		.cr = cr,
	};

	if (srv->sec.audit && api_route_changes_state(&cr->match)) {
		char tbuf[256];
		struct audit_request ar = { cr->id.name, api_role_to_string(cr->id.role), method,
					    api_route_pattern(&cr->match),
					    audit_target(c, url, tbuf, sizeof(tbuf)) };
		struct pd_error err = PD_ERROR_INIT;
		/* A change that cannot be recorded is not made. */
		if (auditsvc_begin(srv->sec.audit, &ar, &cr->audit_id, &err) < 0) {
			api_respond_errorf(resp, PD_ERR_UNAVAILABLE,
					   "the audit log cannot record this request: %s", err.message);
			return;
		}
	}
	if (cr->len > 0 && api_body_check(cr->body, cr->len, resp) < 0)
		return;
	api_route_run(&req, resp, &cr->match);
}

enum MHD_Result api_server_on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct api_server *srv = l->srv;
	struct conn_req *cr = *con_cls;
	struct api_response resp = { .status = 500 };
	enum MHD_Result ret;

	if (!cr) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn *ci = info ? info->socket_context : NULL;

		cr = calloc(1, sizeof(*cr));
		if (!cr)
			return MHD_NO;
		cr->conn = c;
		cr->start_usec = now_usec();
		*con_cls = cr;
		if (!ci) {
			api_respond_errorf(&resp, PD_ERR_UNAVAILABLE, "out of memory");
			return refuse(c, cr, &resp, method, url);
		}
		if (check_head(srv, c, ci, cr, method, url, &resp) < 0)
			return refuse(c, cr, &resp, method, url);
		return MHD_YES;
	}

	if (cr->resumed) {
		/* The answer a suspended handler left for us. */
		log_debug("%s %s -> %u (deferred)", method, url, cr->deferred_resp.status);
		audit_finish(srv, cr, &cr->deferred_resp);
		count_answer(cr, method, cr->deferred_resp.status);
		ret = send_response(c, &cr->deferred_resp, false);
		api_blob_unref(cr->deferred_resp.body);
		cr->deferred_resp.body = NULL;
		return ret;
	}

	if (*upload_data_size > 0) {
		/* Content-Length was checked: MHD hands us at most that many bytes. */
		if (cr->len + *upload_data_size > API_BODY_MAX)
			return MHD_NO;
		char *nb = realloc(cr->body, cr->len + *upload_data_size + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + cr->len, upload_data, *upload_data_size);
		cr->len += *upload_data_size;
		nb[cr->len] = '\0';
		cr->body = nb;
		*upload_data_size = 0;
		return MHD_YES;
	}

	run(srv, c, cr, method, url, &resp);
	if (cr->deferred) {
		api_blob_unref(resp.body);
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	audit_finish(srv, cr, &resp);
	log_debug("%s %s -> %u", method, url, resp.status);
	count_answer(cr, method, resp.status);
	if (resp.stream)
		return api_stream_send(srv, c, &resp);
	ret = send_response(c, &resp, false);
	api_blob_unref(resp.body);
	return ret;
}

void api_server_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct conn_req *cr = *con_cls;

	if (!cr)
		return;
	if (cr->audit_id && l->srv->sec.audit) /* the client went away first */
		(void)auditsvc_finish(l->srv->sec.audit, cr->audit_id, 0, "client_gone", NULL);
	api_blob_unref(cr->deferred_resp.body);
	free(cr->body);
	free(cr);
	*con_cls = NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding for paths and arguments, except %00 and %2F. A decoded NUL would cut the
 * string short and let "0000:65:00.0%00junk" pass as a valid address; a decoded slash would
 * turn one path segment into several. Both stay encoded and fail validation as one segment.
 */
size_t api_server_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
		    (hi | lo) != 0 && (hi << 4 | lo) != '/') {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}
