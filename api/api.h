/*
 * api.h - passd's HTTP API server, for main.c to wire into the loop.
 *
 * One libmicrohttpd daemon per listen address, each in external-epoll mode: main.c watches the
 * descriptors this returns and calls api_server_dispatch() when one is readable, so every
 * request runs on the loop thread that owns the inventory.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

struct inv;
struct bindsvc;
struct preflight;
struct domsvc;
struct workq;
struct asgsvc;
struct auditsvc;
struct api_server;

/* Identity, transport and limits (docs/security.md); zero values take the defaults. */
struct api_security {
	const char *token_file;	    /* NULL: no bearer tokens */
	const char *tls_cert;	    /* PEM; with tls_key, every tcp: listener speaks TLS */
	const char *tls_key;
	long socket_gid;	    /* group of the unix sockets; -1 keeps the process's */
	const char *group_role;	    /* role of socket_gid's members: reader, operator, admin */
	const char *anonymous_loopback; /* role of tokenless loopback TCP: none or reader */
	unsigned connections_per_identity;
	unsigned unauthenticated_max; /* connections not yet identified; the oldest is dropped */
	unsigned header_timeout_s;    /* to identify itself, from accept to its first request */
	unsigned rate;		      /* requests per second per identity, 0 for unlimited */
	unsigned burst;
	struct auditsvc *audit;	      /* NULL: no audit (tests of api/ alone) */
};

struct api_config {
	const char *version;
	const char *libvirt_uri; /* "none" when running without libvirt */
	const char *db_path;
	const char *web_dir;	 /* the dashboard's files */
	unsigned connection_limit;
	unsigned connection_timeout_s;
	unsigned op_timeout_ms; /* answer a group move that takes longer with 503 */
	struct preflight *preflight; /* GET /v1/host; NULL answers 503 */
	struct domsvc *domsvc;	     /* libvirt domains; NULL answers libvirt_unavailable */
	struct workq *workq;	     /* runs the blocking libvirt calls of requests */
	struct asgsvc *asgsvc;	     /* assignments, history, quarantine; NULL answers 503 */
	struct api_security security;
};

int api_server_new(const struct api_config *cfg, struct inv *inv, struct bindsvc *bindsvc,
		   struct api_server **ret);
void api_server_free(struct api_server *srv);
DEFINE_FREEP(struct api_server, api_server_free)

/*
 * Listen on @spec, "unix:PATH" or "tcp:HOST:PORT" (PORT 0 picks a free port). *ret_desc gets
 * the address really bound (owned), e.g. "tcp:127.0.0.1:40123". Returns 0 or a negative errno
 * with a message in *ret_desc left untouched; logs nothing.
 */
int api_server_listen(struct api_server *srv, const char *spec, char **ret_desc);
/* Unlink unix socket paths we created and stop every daemon. */
void api_server_stop(struct api_server *srv);

size_t api_server_fd_count(const struct api_server *srv);
int api_server_fd(const struct api_server *srv, size_t i);
/* Run the daemon of descriptor @i (non-blocking). */
void api_server_dispatch(struct api_server *srv, size_t i);
/* Milliseconds until some daemon needs a run without I/O, -1 for none. */
int api_server_timeout_ms(struct api_server *srv);
/* Run every daemon once (after a timeout). */
void api_server_dispatch_all(struct api_server *srv);

/* "METHOD PATTERN ROLE" for every route, in table order (passd --list-routes). */
void api_routes_print(FILE *out);

/* Connection accounting, for logs and tests. */
struct api_server_stats {
	unsigned unidentified; /* open connections that have not identified themselves yet */
	uint64_t evicted;      /* dropped to make room for a newer one */
	uint64_t timed_out;    /* dropped after the header timeout */
};
void api_server_stats(const struct api_server *srv, struct api_server_stats *ret);
