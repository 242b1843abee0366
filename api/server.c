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
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "core/inventory.h"
#include "handlers.h"
#include "log.h"
#include "routes.h"
#include "server.h"

#define MAX_LISTENERS 8
#define BODY_LIMIT (64 * 1024) /* every request body of the API is small JSON */

struct listener {
	struct MHD_Daemon *mhd;
	int epoll_fd;
	char *unix_path; /* to unlink on stop */
};

struct api_server {
	struct api_ctx ctx;
	struct listener listeners[MAX_LISTENERS];
	size_t n;
};

struct conn_req {
	char *body;
	size_t len;
	bool too_large;
	struct MHD_Connection *conn;
	bool deferred;		      /* suspend when the handler returns */
	bool resumed;		      /* the deferred answer is ready */
	struct api_response deferred_resp;
};

int api_server_new(const struct api_config *cfg, struct inv *inv, struct bindsvc *bindsvc,
		   struct api_server **ret)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->ctx.inv = inv;
	srv->ctx.bindsvc = bindsvc;
	srv->ctx.cfg = *cfg;
	r = api_web_load(&srv->ctx, cfg->web_dir);
	if (r < 0)
		log_warning("Dashboard files in '%s' not all readable, continuing without them: %s",
			    cfg->web_dir, strerror(-r));
	*ret = srv;
	return 0;
}

void api_server_stop(struct api_server *srv)
{
	if (!srv)
		return;
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

static enum MHD_Result send_response(struct MHD_Connection *c, struct api_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

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
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				resp->cache_control ? resp->cache_control : "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct api_server *srv = cls;
	struct conn_req *cr = *con_cls;
	struct api_response resp = { .status = 500 };
	enum MHD_Result ret;

	if (!cr) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		cr = calloc(1, sizeof(*cr));
		if (!cr)
			return MHD_NO;
		cr->conn = c;
		*con_cls = cr;
		/* Refuse a large body before reading it. */
		if (cl && strtoull(cl, NULL, 10) > BODY_LIMIT) {
			cr->too_large = true;
			api_respond_errorf(&resp, PD_ERR_TOO_LARGE,
					   "request body over the limit of %d bytes", BODY_LIMIT);
			return send_response(c, &resp);
		}
		return MHD_YES;
	}

	if (cr->resumed) {
		/* The answer a suspended handler left for us. */
		log_debug("%s %s -> %u (deferred)", method, url, cr->deferred_resp.status);
		ret = send_response(c, &cr->deferred_resp);
		api_blob_unref(cr->deferred_resp.body);
		cr->deferred_resp.body = NULL;
		return ret;
	}

	if (*upload_data_size > 0) {
		if (!cr->too_large && cr->len + *upload_data_size <= BODY_LIMIT) {
			char *nb = realloc(cr->body, cr->len + *upload_data_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + cr->len, upload_data, *upload_data_size);
			cr->len += *upload_data_size;
			nb[cr->len] = '\0';
			cr->body = nb;
		} else {
			cr->too_large = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (cr->too_large) {
		api_respond_errorf(&resp, PD_ERR_TOO_LARGE, "request body over the limit of %d bytes",
				   BODY_LIMIT);
	} else {
		/* Until identities land (issue 7), every caller is what it was: all-powerful. */
		static const struct api_identity everyone = { API_ROLE_ADMIN, "unauthenticated" };
		struct api_request req = {
			.identity = &everyone,
			.method = method,
			.path = url,
			.body = cr->body,
			.body_len = cr->len,
			.ctx = &srv->ctx,
			.conn = c,
			.cr = cr,
		};
		api_route(&req, &resp);
		if (cr->deferred) {
			api_blob_unref(resp.body);
			MHD_suspend_connection(c);
			return MHD_YES;
		}
	}
	log_debug("%s %s -> %u", method, url, resp.status);
	ret = send_response(c, &resp);
	api_blob_unref(resp.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_req *cr = *con_cls;

	if (!cr)
		return;
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

static int listen_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by a passd that died is replaced; a live one is not stolen. */
	if (lstat(path, &st) == 0) {
		_cleanup_close_ int probe = -1;
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return -EADDRINUSE;
		(void)unlink(path); /* stale; bind() below reports a real problem */
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
		int r = -errno;
		(void)unlink(path);
		return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int listen_tcp(const char *hostport, int *ret_fd, char **ret_desc)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	_cleanup_free_ char *host = strdup(hostport);
	_cleanup_close_ int fd = -1;
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char *port, hbuf[NI_MAXHOST], pbuf[NI_MAXSERV], *desc;
	int one = 1, r;

	if (!host)
		return -ENOMEM;
	port = strrchr(host, ':');
	if (!port || port == host || port[1] == '\0')
		return -EINVAL;
	*port++ = '\0';
	if (host[0] == '[') { /* [::1]:8080 */
		size_t l = strlen(host);
		if (l < 3 || host[l - 1] != ']')
			return -EINVAL;
		host[l - 1] = '\0';
		memmove(host, host + 1, l - 1);
	}
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	/* Until bearer tokens exist (CONTRACT: --token-file), only loopback is safe to serve. */
	if (!is_loopback(ai->ai_addr)) {
		freeaddrinfo(ai);
		return -EPERM;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		freeaddrinfo(ai);
		return r;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		r = -errno;
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), pbuf, sizeof(pbuf),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return -EIO;
	if (asprintf(&desc, ss.ss_family == AF_INET6 ? "tcp:[%s]:%s" : "tcp:%s:%s", hbuf, pbuf) < 0)
		return -ENOMEM;
	*ret_desc = desc;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int api_server_listen(struct api_server *srv, const char *spec, char **ret_desc)
{
	struct listener *l;
	_cleanup_free_ char *desc = NULL;
	_cleanup_close_ int fd = -1;
	const union MHD_DaemonInfo *info;
	int r;

	if (srv->n >= MAX_LISTENERS)
		return -E2BIG;
	l = &srv->listeners[srv->n];

	if (strncmp(spec, "unix:", 5) == 0 && spec[5] == '/') {
		r = listen_unix(spec + 5, &fd);
		if (r < 0)
			return r;
		l->unix_path = strdup(spec + 5);
		desc = strdup(spec);
		if (!l->unix_path || !desc)
			return -ENOMEM;
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		r = listen_tcp(spec + 4, &fd, &desc);
		if (r < 0)
			return r;
	} else {
		return -EINVAL;
	}

	l->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
		on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_CONNECTION_LIMIT,
		srv->ctx.cfg.connection_limit ? srv->ctx.cfg.connection_limit : 1024u,
		MHD_OPTION_CONNECTION_TIMEOUT,
		srv->ctx.cfg.connection_timeout_s ? srv->ctx.cfg.connection_timeout_s : 30u,
		MHD_OPTION_END);
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
}

void api_server_dispatch_all(struct api_server *srv)
{
	for (size_t i = 0; i < srv->n; i++)
		(void)MHD_run(srv->listeners[i].mhd);
}

int api_server_timeout_ms(struct api_server *srv)
{
	int best = -1;

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
