/*
 * http.h - passctl's HTTP client: one libcurl handle talking to passd over its unix socket or
 * over TCP.
 *
 * It knows nothing of the API; it sends a request and hands back the status and the whole body,
 * or says why no complete answer came. It never prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

struct http_client; /* opaque */

/* Answers above this size are refused (-EFBIG): a full inventory is a few MiB at most. */
#define HTTP_MAX_BODY (64u * 1024 * 1024)

struct http_client_config {
	const char *socket_path; /* talk HTTP over this unix socket ... */
	const char *url;	 /* ... or to this http:// or https:// base URL (one of the two) */
	const char *token;	 /* sent as "Authorization: Bearer TOKEN"; NULL or "" for none */
	long timeout_ms;	 /* for a whole exchange; 0 for none */
};

struct http_request {
	const char *method; /* "GET", "POST", "DELETE" */
	const char *path;   /* absolute, with its query: "/v1/devices?state=vfio" */
	const char *body;   /* JSON sent with Content-Type: application/json, or NULL */
	FILE *stream;	    /* when set, a 2xx answer is copied here as it arrives, not kept */
	const char *accept; /* Accept header; NULL for application/json */
	bool no_timeout;    /* ignore the client's timeout (a stream that may stay quiet) */
};

struct http_reply {
	long status; /* 0 when no answer came */
	char *body;  /* NUL-terminated, owned; empty for a streamed 2xx answer */
	size_t len;
};

/* Why no complete answer came. */
struct http_failure {
	bool unreachable; /* true: nothing reached the daemon or nothing came back (exit 3) */
	char message[512];
};

/*
 * Set up a client. -EINVAL when the URL is not a usable http(s) URL or the token holds characters
 * that cannot go into a header; the caller reports it as a usage error.
 */
int http_client_new(const struct http_client_config *cfg, struct http_client **ret);
void http_client_free(struct http_client *c);
DEFINE_FREEP(struct http_client, http_client_free)

/* Where the client connects, for messages: "unix socket /run/passd/passd.sock" or the URL. */
const char *http_client_describe(const struct http_client *c);

/*
 * Send @req and wait for the whole answer. Returns 0 with *ret filled for any complete answer,
 * whatever its status. Otherwise a negative errno (-ECONNREFUSED, -ENOENT, -ETIMEDOUT, -EPROTO,
 * -EFBIG, -EIO), *ret untouched and *fail saying why. A streamed 2xx answer that the timeout
 * ends is a complete answer.
 */
int http_client_do(struct http_client *c, const struct http_request *req, struct http_reply *ret,
		   struct http_failure *fail);

/* Free the body of @r and reset it. Accepts NULL. */
void http_reply_clear(struct http_reply *r);

/* @s escaped for a URL query value or path segment, in a new allocation. */
char *http_escape(const char *s);
