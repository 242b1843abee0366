/*
 * server.c - the API server: its security settings, one libmicrohttpd daemon per listen
 * address, and the loop's entry points. A request's way through is in server-request.c,
 * streamed answers in server-stream.c, connections and identities in server-conn.c.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "handlers.h"
#include "limits.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "server-priv.h"

/*
 * libmicrohttpd answers by itself, with an HTML body, a request whose head does not fit in a
 * connection's memory pool. The pool is larger than our own limits (server-request.c), so that
 * the usual oversized request gets our JSON 414 or 431; the pool is mmap()ed, and an idle
 * connection touches only the pages it fills.
 */
#define CONN_MEMORY (192 * 1024)

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
	api_streams_end(srv);
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
		flags, 0, NULL, NULL, api_server_on_request, l, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, api_server_on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
		api_conn_notify, l, MHD_OPTION_UNESCAPE_CALLBACK, api_server_unescape, srv,
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
	(void)api_conn_sweep(srv);
}

void api_server_dispatch_all(struct api_server *srv)
{
	(void)api_streams_tick(srv);
	for (size_t i = 0; i < srv->n; i++)
		(void)MHD_run(srv->listeners[i].mhd);
	(void)api_conn_sweep(srv);
}

int api_server_timeout_ms(struct api_server *srv)
{
	int best = api_conn_sweep(srv), st = api_streams_tick(srv);

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
