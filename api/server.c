#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "body.h"
#include "core/audit.h"
#include "core/inventory.h"
#include "handlers.h"
#include "limits.h"
#include "listen.h"
#include "metrics.h"
#include "log.h"
#include "routes.h"
#include "server.h"

#define MAX_LISTENERS 8
/*
 * libmicrohttpd answers by itself, with an HTML body, a request whose head does not fit in a
 * connection's memory pool. The pool is larger than our own limits below, so that the usual
 * oversized request gets our JSON 414 or 431; the pool is mmap()ed, and an idle connection
 * touches only the pages it fills.
 */
#define CONN_MEMORY (192 * 1024)
#define URI_MAX (8 * 1024)	/* request target: 414 above */
#define HEADERS_MAX (32 * 1024) /* request line and headers: 431 above */
/*
 * A new connection is never dropped to make room before it had this long to send its request:
 * under a flood of connects, a real client's request is read before its connection can be
 * the oldest. Until then the unidentified may briefly exceed their cap.
 */
#define UNID_GRACE_USEC (200 * 1000)

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

static void streams_end(struct api_server *srv);

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int setup_security(struct api_server *srv, const struct api_security *in)
{
	struct api_security *s = &srv->sec;
	char msg[256] = "";
	int r;

	*s = *in;
	if (!s->connections_per_identity)
		s->connections_per_identity = 32;
	if (!s->unauthenticated_max)
		s->unauthenticated_max = 64;
	if (!s->header_timeout_s)
		s->header_timeout_s = 10;
	if (!s->burst)
		s->burst = 100;
	srv->group_role = API_ROLE_OPERATOR;
	if (s->group_role && api_role_from_string(s->group_role, &srv->group_role) < 0)
		return log_error_errno(-EINVAL, "Bad group role '%s': reader, operator or admin",
				       s->group_role);
	srv->anon_loopback_role = API_ROLE_ANONYMOUS;
	if (s->anonymous_loopback && !streq(s->anonymous_loopback, "none")) {
		if (!streq(s->anonymous_loopback, "reader"))
			return log_error_errno(-EINVAL,
					       "Bad allow-anonymous-loopback '%s': none or reader (never more without a token)",
					       s->anonymous_loopback);
		srv->anon_loopback_role = API_ROLE_READER;
	}
	if (s->token_file) {
		r = api_tokens_load(s->token_file, &srv->tokens, msg, sizeof(msg));
		if (r < 0)
			return log_error_errno(r, "Cannot use token file '%s': %s", s->token_file, msg);
		log_info("Loaded %zu API tokens from '%s'", api_tokens_count(srv->tokens),
			 s->token_file);
	}
	if (!s->tls_cert != !s->tls_key)
		return log_error_errno(-EINVAL, "TLS needs both tls-cert and tls-key");
	if (s->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return log_error_errno(-ENOTSUP, "This libmicrohttpd was built without TLS");
		r = api_read_pem(s->tls_cert, &srv->tls_cert);
		if (r < 0)
			return log_error_errno(r, "Cannot read tls-cert '%s': %m", s->tls_cert);
		r = api_read_pem(s->tls_key, &srv->tls_key);
		if (r < 0)
			return log_error_errno(r, "Cannot read tls-key '%s': %m", s->tls_key);
	}
	r = api_limits_new(s->rate, s->burst, s->connections_per_identity, &srv->limits);
	if (r < 0)
		return log_error_errno(r, "Cannot set up limits: %m");
	return 0;
}

int api_server_new(const struct api_config *cfg, struct inv *inv, struct bindsvc *bindsvc,
		   struct api_server **ret)
{
	_cleanup_(api_server_freep) struct api_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->ctx.inv = inv;
	srv->ctx.bindsvc = bindsvc;
	srv->ctx.cfg = *cfg;
	r = setup_security(srv, &cfg->security);
	if (r < 0)
		return r; /* logged */
	r = api_web_load(&srv->ctx, cfg->web_dir);
	if (r < 0)
		log_warning("Dashboard files in '%s' not all readable, continuing without them: %s",
			    cfg->web_dir, strerror(-r));
	*ret = TAKE_PTR(srv);
	return 0;
}

void api_server_stop(struct api_server *srv)
{
	if (!srv)
		return;
	streams_end(srv);
	for (size_t i = 0; i < srv->n; i++)
		if (srv->listeners[i].mhd)
			(void)MHD_run(srv->listeners[i].mhd);
	for (size_t i = 0; i < srv->n; i++) {
		struct listener *l = &srv->listeners[i];
		if (l->mhd) {
			MHD_stop_daemon(l->mhd);
			l->mhd = NULL;
		}
		if (l->unix_path) {
			(void)unlink(l->unix_path); /* best effort: a stale socket is replaced at start */
			free(l->unix_path);
			l->unix_path = NULL;
		}
	}
	srv->n = 0;
}

void api_server_free(struct api_server *srv)
{
	if (!srv)
		return;
	api_server_stop(srv);
	api_ctx_clear(&srv->ctx);
	api_tokens_free(srv->tokens);
	api_limits_free(srv->limits);
	if (srv->tls_key)
		explicit_bzero(srv->tls_key, strlen(srv->tls_key));
	free(srv->tls_key);
	free(srv->tls_cert);
	free(srv);
}

/* --- the request glue ----------------------------------------------------------------- */

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

/* --- streamed answers ------------------------------------------------------------------ */

#define STREAM_BLOCK (16 * 1024) /* MHD's buffer per stream */
/*
 * The kernel's send buffer of a stream, fixed (no autotuning to megabytes): with MHD's
 * buffer, all a reader that stopped reading costs. Past that it falls behind the ring and
 * gets a resync when it reads again.
 */
#define STREAM_SNDBUF (32 * 1024)
#define STREAM_IDLE_USEC ((uint64_t)API_STREAM_IDLE_S * 1000000u)

struct api_stream {
	struct api_server *srv;
	struct MHD_Connection *conn;
	const struct api_stream_ops *ops;
	void *cls;
	uint64_t last_usec; /* when it last wrote */
	bool suspended;	    /* waiting for api_stream_wake() */
	bool idle;	    /* woken by the idle timer, not by news */
	bool ending;	    /* the server stops: end the answer */
	struct api_stream *prev, *next;
};

void api_stream_wake(struct api_stream *s)
{
	if (!s->suspended)
		return;
	s->suspended = false;
	MHD_resume_connection(s->conn);
}

/*
 * MHD asks for more when the socket can take it; with nothing to say the connection is
 * suspended, so a quiet stream costs no wakeups, and a publish or the idle timer resumes it.
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_stream *s = cls;
	ssize_t n;

	if (s->ending)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = s->ops->read(s->cls, s, buf, max, s->idle);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	s->idle = false;
	if (n > 0) {
		s->last_usec = now_usec();
		return n;
	}
	s->suspended = true;
	MHD_suspend_connection(s->conn);
	return 0;
}

static void stream_free(void *cls)
{
	struct api_stream *s = cls;

	if (s->prev)
		s->prev->next = s->next;
	else
		s->srv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->ops->free(s->cls);
	free(s);
}

static enum MHD_Result send_stream(struct api_server *srv, struct MHD_Connection *c,
				   struct api_response *resp)
{
	struct api_stream *s = calloc(1, sizeof(*s));
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int sndbuf = STREAM_SNDBUF;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (info)
		(void)setsockopt(info->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	if (!s) {
		resp->stream->free(resp->stream_cls);
		return MHD_NO;
	}
	*s = (struct api_stream){ .srv = srv, .conn = c, .ops = resp->stream,
				  .cls = resp->stream_cls, .last_usec = now_usec() };
	resp->stream = NULL;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
					      stream_free);
	if (!r) {
		s->ops->free(s->cls);
		free(s);
		return MHD_NO;
	}
	s->next = srv->streams;
	if (srv->streams)
		srv->streams->prev = s;
	srv->streams = s;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type : "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: do not hold events back */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Streams end cleanly: a suspended connection must be resumed before MHD stops. */
static void streams_end(struct api_server *srv)
{
	for (struct api_stream *s = srv->streams; s; s = s->next) {
		s->ending = true;
		api_stream_wake(s);
	}
}

/* Wake the streams quiet for too long; milliseconds until the next is due, or -1. */
static int streams_tick(struct api_server *srv)
{
	uint64_t now = now_usec();
	int best = -1;

	for (struct api_stream *s = srv->streams; s; s = s->next) {
		int ms;
		if (!s->suspended)
			continue;
		if (now - s->last_usec >= STREAM_IDLE_USEC) {
			s->idle = true;
			api_stream_wake(s);
			ms = 0;
		} else {
			ms = (int)((s->last_usec + STREAM_IDLE_USEC - now) / 1000u) + 1;
		}
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
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

/* --- connections and identities ------------------------------------------------------- */

static void unid_remove(struct api_server *srv, struct conn *ci)
{
	if (!ci->listed)
		return;
	if (ci->prev)
		ci->prev->next = ci->next;
	else
		srv->unid_head = ci->next;
	if (ci->next)
		ci->next->prev = ci->prev;
	else
		srv->unid_tail = ci->prev;
	ci->prev = ci->next = NULL;
	ci->listed = false;
	srv->unid_n--;
}

/* Drop a connection that has not identified itself: shutdown() makes MHD close it. */
static void unid_drop(struct api_server *srv, struct conn *ci)
{
	unid_remove(srv, ci);
	(void)shutdown(ci->fd, SHUT_RDWR);
}

/*
 * Drop, oldest first, the unidentified connections past the header timeout, and those over
 * the cap once their grace is over. Returns the milliseconds until the next one is due, or -1.
 */
static int unid_sweep(struct api_server *srv)
{
	uint64_t now = now_usec(), limit = (uint64_t)srv->sec.header_timeout_s * 1000000u;

	while (srv->unid_head) {
		struct conn *ci = srv->unid_head;
		uint64_t age = now - ci->accepted_usec;
		if (age >= limit) {
			srv->timed_out++;
		} else if (srv->unid_n > srv->sec.unauthenticated_max && age >= UNID_GRACE_USEC) {
			srv->evicted++;
		} else {
			uint64_t due = srv->unid_n > srv->sec.unauthenticated_max ? UNID_GRACE_USEC : limit;
			return (int)((due - age) / 1000u) + 1;
		}
		unid_drop(srv, ci);
	}
	return -1;
}

static bool peer_in_group(int fd, gid_t gid, const struct ucred *uc)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (uc->gid == gid)
		return true;
	/* SO_PEERGROUPS (Linux 4.13): the supplementary groups the peer had at connect(). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Who is at the other end, before any request: the uid on a unix socket, else the address. */
static void identify_peer(struct api_server *srv, struct MHD_Connection *c, struct conn *ci)
{
	const union MHD_ConnectionInfo *info;
	struct ucred uc;
	socklen_t len = sizeof(uc);

	ci->peer.role = API_ROLE_ANONYMOUS;
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info && info->client_addr && info->client_addr->sa_family != AF_UNIX) {
		const struct sockaddr *sa = info->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ci->addr,
				  sizeof(ci->addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ci->addr,
				  sizeof(ci->addr));
		ci->loopback = api_sockaddr_is_loopback(sa);
		snprintf(ci->peer.name, sizeof(ci->peer.name), "anonymous:%s", ci->addr);
		if (ci->loopback && srv->anon_loopback_role > API_ROLE_ANONYMOUS)
			ci->peer.role = srv->anon_loopback_role;
		return;
	}
	if (getsockopt(ci->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		snprintf(ci->peer.name, sizeof(ci->peer.name), "anonymous:unix");
		return;
	}
	snprintf(ci->peer.name, sizeof(ci->peer.name), "uid:%u", (unsigned)uc.uid);
	/* root, or passd's own user (who could ptrace it anyway), is admin. */
	if (uc.uid == 0 || uc.uid == geteuid())
		ci->peer.role = API_ROLE_ADMIN;
	else if (srv->sec.socket_gid >= 0 && peer_in_group(ci->fd, (gid_t)srv->sec.socket_gid, &uc))
		ci->peer.role = srv->group_role;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct api_server *srv = l->srv;
	struct conn *ci = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!ci)
			return;
		unid_remove(srv, ci);
		if (ci->identified)
			api_limits_conn_del(srv->limits, ci->key);
		free(ci);
		*socket_context = NULL;
		return;
	}
	ci = calloc(1, sizeof(*ci));
	if (!ci)
		return; /* on_request answers 503 for a connection without one */
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	ci->srv = srv;
	ci->fd = info ? info->connect_fd : -1;
	ci->accepted_usec = now_usec();
	*socket_context = ci;
	identify_peer(srv, c, ci);
	/*
	 * Until it sends a request with an identity, a connection is on probation: at most
	 * unauthenticated_max of them, and the oldest makes room for a new one, so idle or slow
	 * clients cannot fill the server. A unix peer with a role is identified at once.
	 */
	if (ci->peer.role > API_ROLE_ANONYMOUS && !ci->addr[0]) {
		snprintf(ci->key, sizeof(ci->key), "%s", ci->peer.name);
		if (api_limits_conn_add(srv->limits, ci->key, ci->accepted_usec) == 0) {
			ci->identified = true;
			return;
		}
		(void)shutdown(ci->fd, SHUT_RDWR); /* over its own limit */
		return;
	}
	if (srv->unid_n >= srv->sec.unauthenticated_max && srv->unid_head &&
	    ci->accepted_usec - srv->unid_head->accepted_usec >= UNID_GRACE_USEC) {
		srv->evicted++;
		unid_drop(srv, srv->unid_head);
	}
	ci->prev = srv->unid_tail;
	if (srv->unid_tail)
		srv->unid_tail->next = ci;
	else
		srv->unid_head = ci;
	srv->unid_tail = ci;
	ci->listed = true;
	srv->unid_n++;
}

/* The identity of a request: its bearer token, else its connection's. 0 or an answer. */
static int identify_request(struct api_server *srv, struct MHD_Connection *c, struct conn *ci,
			    struct api_identity *id, struct api_response *resp)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	int r;

	*id = ci->peer;
	if (!auth)
		return 0;
	r = api_tokens_check(srv->tokens, auth, id);
	if (r == 0)
		return 0;
	*id = ci->peer;
	id->role = API_ROLE_ANONYMOUS; /* a bad token never falls back to the socket's identity */
	api_respond_errorf(resp, PD_ERR_UNAUTHORIZED,
			   r == -EINVAL ? "malformed Authorization header: expected 'Bearer TOKEN'"
					: "unknown bearer token");
	resp->www_authenticate = r == -EINVAL ? "Bearer realm=\"passd\", error=\"invalid_request\""
					      : "Bearer realm=\"passd\", error=\"invalid_token\"";
	return -EACCES;
}

/* The first identified request moves its connection off probation. */
static int admit(struct api_server *srv, struct conn *ci, const struct api_identity *id,
		 struct api_response *resp)
{
	if (ci->identified || id->role <= API_ROLE_ANONYMOUS || ci->peer.role > API_ROLE_ANONYMOUS)
		return 0; /* already counted, nobody, or anonymous loopback (stays on probation) */
	snprintf(ci->key, sizeof(ci->key), "%s", id->name);
	if (api_limits_conn_add(srv->limits, ci->key, now_usec()) < 0) {
		api_respond_errorf(resp, PD_ERR_TOO_MANY_REQUESTS,
				   "'%s' has %u connections open already", id->name,
				   srv->sec.connections_per_identity);
		resp->retry_after = 1;
		return -EMFILE;
	}
	ci->identified = true;
	unid_remove(srv, ci);
	return 0;
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
	if (identify_request(srv, c, ci, &cr->id, resp) < 0 ||
	    admit(srv, ci, &cr->id, resp) < 0)
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
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
		return send_stream(srv, c, &resp);
	ret = send_response(c, &resp, false);
	api_blob_unref(resp.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
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
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", buf);
}

/* --- listening ------------------------------------------------------------------------ */
int api_server_listen(struct api_server *srv, const char *spec, char **ret_desc)
{
	struct listener *l;
	_cleanup_free_ char *desc = NULL;
	_cleanup_close_ int fd = -1;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	int r;

	if (srv->n >= MAX_LISTENERS)
		return -E2BIG;
	l = &srv->listeners[srv->n];
	*l = (struct listener){ .srv = srv };

	if (strncmp(spec, "unix:", 5) == 0 && spec[5] == '/') {
		r = api_listen_unix(spec + 5, srv->sec.socket_gid, &fd);
		if (r < 0)
			return r;
		l->unix_path = strdup(spec + 5);
		desc = strdup(spec);
		if (!l->unix_path || !desc)
			return -ENOMEM;
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		r = api_listen_tcp(spec + 4, srv->tls_cert && srv->tokens, &fd, &desc);
		if (r < 0)
			return r;
		l->tcp = true;
		l->tls = srv->tls_cert != NULL;
		if (l->tls) {
			char *d = NULL;
			if (asprintf(&d, "%s (TLS)", desc) < 0)
				return -ENOMEM;
			free(desc);
			desc = d;
			flags |= MHD_USE_TLS;
		}
	} else {
		return -EINVAL;
	}

	/* Options that only apply to TLS come last, after an END for plain listeners. */
	l->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
		on_connection, l, MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_CONNECTION_LIMIT,
		srv->ctx.cfg.connection_limit ? srv->ctx.cfg.connection_limit : 1024u,
		MHD_OPTION_CONNECTION_TIMEOUT,
		srv->ctx.cfg.connection_timeout_s ? srv->ctx.cfg.connection_timeout_s : 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		l->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key, MHD_OPTION_END);
	if (!l->mhd) {
		if (l->unix_path)
			(void)unlink(l->unix_path);
		free(l->unix_path);
		l->unix_path = NULL;
		return -EIO;
	}
	TAKE_FD(fd); /* MHD owns the socket now */
	info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	l->epoll_fd = info ? info->epoll_fd : -1;
	srv->n++;
	*ret_desc = TAKE_PTR(desc);
	return 0;
}

size_t api_server_fd_count(const struct api_server *srv)
{
	return srv->n;
}

int api_server_fd(const struct api_server *srv, size_t i)
{
	return i < srv->n ? srv->listeners[i].epoll_fd : -1;
}

void api_server_dispatch(struct api_server *srv, size_t i)
{
	if (i < srv->n)
		(void)MHD_run(srv->listeners[i].mhd); /* failures are per connection; MHD logs them */
	(void)unid_sweep(srv);
}

void api_server_dispatch_all(struct api_server *srv)
{
	(void)streams_tick(srv);
	for (size_t i = 0; i < srv->n; i++)
		(void)MHD_run(srv->listeners[i].mhd);
	(void)unid_sweep(srv);
}

int api_server_timeout_ms(struct api_server *srv)
{
	int best = unid_sweep(srv), st = streams_tick(srv);

	if (st >= 0 && (best < 0 || st < best))
		best = st;

	for (size_t i = 0; i < srv->n; i++) {
		MHD_UNSIGNED_LONG_LONG t;
		if (MHD_get_timeout(srv->listeners[i].mhd, &t) == MHD_YES) {
			int ms = t > 60000 ? 60000 : (int)t;
			if (best < 0 || ms < best)
				best = ms;
		}
	}
	return best;
}

void api_server_stats(const struct api_server *srv, struct api_server_stats *ret)
{
	*ret = (struct api_server_stats){
		.unidentified = srv->unid_n,
		.evicted = srv->evicted,
		.timed_out = srv->timed_out,
	};
}
