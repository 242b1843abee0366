/*
 * server-priv.h - what the pieces of the API server share (private to api/server*.c, the only
 * files that include microhttpd.h): the server, its listeners, connections and requests.
 *
 * server.c: setup, listening and the loop's entry points; server-request.c: one request from
 * its head to its answer, deferred answers included; server-stream.c: streamed answers;
 * server-conn.c: connections and the identities they count against.
 */
#pragma once

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "auth.h"
#include "handlers.h"
#include "routes.h"

#define MAX_LISTENERS 8

struct listener {
	struct api_server *srv;
	struct MHD_Daemon *mhd;
	int epoll_fd;
	bool tcp, tls;
	char *unix_path; /* to unlink on stop */
};

/* One per TCP or unix connection (MHD's socket context). */
struct conn {
	struct api_server *srv;
	int fd;
	uint64_t accepted_usec;
	struct conn *prev, *next;     /* in srv's list of unidentified connections */
	bool listed;		      /* in that list */
	bool identified;	      /* counted in limits under key */
	struct api_identity peer;     /* from SO_PEERCRED or the address; role ANONYMOUS if none */
	char key[API_IDENTITY_LEN];   /* whose connection it counts as, once identified */
	char addr[INET6_ADDRSTRLEN];  /* "" on unix sockets */
	bool loopback;
};

struct api_server {
	struct api_ctx ctx;
	struct listener listeners[MAX_LISTENERS];
	size_t n;
	struct api_security sec; /* with defaults applied */
	enum api_role group_role, anon_loopback_role;
	struct api_tokens *tokens;
	struct api_limits *limits;
	char *tls_cert, *tls_key; /* PEM text */
	struct conn *unid_head, *unid_tail;
	unsigned unid_n;
	uint64_t evicted, timed_out;
	struct api_stream *streams; /* open streamed answers (GET /v1/events) */
};

struct conn_req {
	char *body;
	size_t len;
	struct MHD_Connection *conn;
	struct api_identity id;
	struct api_route_match match;
	int64_t audit_id;	      /* 0: not audited */
	bool deferred;		      /* suspend when the handler returns */
	bool resumed;		      /* the deferred answer is ready */
	struct api_response deferred_resp;
	uint64_t start_usec; /* the head arrived: for the latency histogram */
};

static inline uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- server-request.c: MHD's callbacks for requests and paths --- */
enum MHD_Result api_server_on_request(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls);
void api_server_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			     enum MHD_RequestTerminationCode toe);
size_t api_server_unescape(void *cls, struct MHD_Connection *c, char *s);

/* --- server-stream.c --- */
/* Queue @resp's stream on @c; it takes resp->stream (freed on failure). */
enum MHD_Result api_stream_send(struct api_server *srv, struct MHD_Connection *c,
				struct api_response *resp);
/* End every stream: a suspended connection must be resumed before MHD stops. */
void api_streams_end(struct api_server *srv);
/* Wake the streams quiet for too long; milliseconds until the next is due, or -1. */
int api_streams_tick(struct api_server *srv);

/* --- server-conn.c --- */
/* MHD's connection callback: a struct conn per connection, identified and counted. */
void api_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe);
/* Drop unidentified connections that are due; milliseconds until the next one is, or -1. */
int api_conn_sweep(struct api_server *srv);
/* The identity of a request: its bearer token, else its connection's. 0 or an answer. */
int api_conn_identify(struct api_server *srv, struct MHD_Connection *c, struct conn *ci,
		      struct api_identity *id, struct api_response *resp);
/* Count @ci against @id's connections (its first identified request): 0 or a 429 answer. */
int api_conn_admit(struct api_server *srv, struct conn *ci, const struct api_identity *id,
		   struct api_response *resp);
