/*
 * request.h - what a handler sees of an HTTP request, and what it answers.
 *
 * Handlers never see libmicrohttpd: server-request.c builds a struct api_request and turns the
 * struct api_response back into an MHD response. Bodies are reference-counted blobs so one
 * rendering of a large list can be sent to many pollers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "pci-addr.h"
#include "pd-error.h"

struct api_ctx;
struct api_identity;

struct api_blob {
	unsigned refs;
	size_t len;
	char data[];
};

struct api_request {
	const char *method;
	const char *path; /* decoded, without the query string */
	const char *body;
	size_t body_len;
	struct api_ctx *ctx;
	const struct api_identity *identity; /* who asks (auth.h); never NULL */
	void *conn; /* server-request.c's */
	void *cr;   /* server-request.c's */
};

struct api_stream;

/*
 * A body written as it comes (server-sent events). server-stream.c calls read whenever the client
 * can take more: it returns the bytes it put in @buf (at most @max), 0 when nothing is pending
 * (the connection then sleeps until api_stream_wake()), or -1 to end the answer. @idle says
 * the stream has been quiet for API_STREAM_IDLE_S: write something (a comment) so proxies and
 * clients see it is alive. free runs when the connection is gone.
 */
struct api_stream_ops {
	ssize_t (*read)(void *cls, struct api_stream *s, char *buf, size_t max, bool idle);
	void (*free)(void *cls);
};
#define API_STREAM_IDLE_S 15

struct api_response {
	unsigned status;
	struct api_blob *body;	  /* owned reference, NULL for no body */
	const char *content_type; /* static */
	char etag[48];		  /* quoted, "" for none */
	const char *allow;	  /* for 405 */
	const char *cache_control;
	const char *www_authenticate; /* for 401 (static) */
	unsigned retry_after;	      /* seconds, for 429 and 503; 0 for none */
	const struct api_stream_ops *stream; /* a streamed body instead of @body (status 200) */
	void *stream_cls;		     /* owned: stream->free() releases it */
};

/* Blob from a JSON value (compact). Returns NULL on allocation failure. */
struct api_blob *api_blob_from_json(const json_t *v);
struct api_blob *api_blob_from_data(const void *data, size_t len);
struct api_blob *api_blob_ref(struct api_blob *b);
void api_blob_unref(struct api_blob *b);

/* Query argument or header value (borrowed), NULL when absent. Implemented in server-request.c. */
const char *api_request_query(const struct api_request *req, const char *key);
const char *api_request_header(const struct api_request *req, const char *key);
/*
 * Call @fn for every query argument; stops at and returns the first non-zero return.
 * Implemented in server-request.c.
 */
int api_request_query_foreach(const struct api_request *req,
			      int (*fn)(const char *key, const char *value, void *userdata),
			      void *userdata);

/*
 * Answer later: the handler returns without an answer and the connection is suspended until
 * api_deferred_resume(). Fill api_deferred_response() first. Implemented in
 * server-request.c.
 */
struct api_deferred;
struct api_deferred *api_request_defer(struct api_request *req);
/* Changed our mind before returning: answer now, through the handler's response. */
void api_request_undefer(struct api_request *req);
struct api_response *api_deferred_response(struct api_deferred *d);
void api_deferred_resume(struct api_deferred *d);

/* Call a sleeping stream's read again (from the loop thread). Implemented in server-stream.c. */
void api_stream_wake(struct api_stream *s);

/*
 * The address in a path, canonical in @out; otherwise answers 400 and returns -EINVAL.
 * The only place a request's address is parsed, so every route refuses the same inputs.
 */
int api_parse_address(struct api_response *resp, const char *in, char out[static PCI_ADDR_LEN + 1]);
/* ?dry_run=true|false|1|0, the only query a mutating route takes; else answers 400, -EINVAL. */
int api_parse_dry_run(const struct api_request *req, struct api_response *resp, bool *ret);

/* Answer @status with @v (stolen) as the body. */
/* A time in microseconds since the epoch as "2026-11-25T09:01:35.123456Z"; null when unset (<= 0). */
json_t *api_time_json(int64_t usec);
void api_respond_json(struct api_response *resp, unsigned status, json_t *v);
/* Answer with a shared blob (a new reference is taken). */
void api_respond_blob(struct api_response *resp, unsigned status, struct api_blob *b,
		      const char *content_type);
/* Answer with a new blob, taking its reference; NULL answers 500 (allocation failed). */
void api_respond_blob_new(struct api_response *resp, unsigned status, struct api_blob *b);
/* Answer with the contract's error body; the status comes from the one table below. */
void api_respond_error(struct api_response *resp, const struct pd_error *err);
/* Format and answer an error in one step. */
void api_respond_errorf(struct api_response *resp, enum pd_errcode code, const char *fmt, ...)
	_printf_(3, 4);
/* HTTP status of an error code: the one mapping (STYLE 2.3). */
unsigned api_status_for(enum pd_errcode code);

/*
 * Set the response's ETag and, when the request's If-None-Match matches it, answer 304 and
 * return true: the handler then skips building the body.
 */
bool api_not_modified(const struct api_request *req, struct api_response *resp, const char *etag);
