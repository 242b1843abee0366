/*
 * server-conn.c - connections and the identities they count against: who is at the other end
 * (SO_PEERCRED or the address), the probation of unidentified connections (at most
 * unauthenticated_max, the oldest dropped first, none past the header timeout), and the cap of
 * connections per identity.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "limits.h"
#include "listen.h"
#include "server-priv.h"

/*
 * A new connection is never dropped to make room before it had this long to send its request:
 * under a flood of connects, a real client's request is read before its connection can be
 * the oldest. Until then the unidentified may briefly exceed their cap.
 */
#define UNID_GRACE_USEC (200 * 1000)

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
int api_conn_sweep(struct api_server *srv)
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

void api_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
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
		return; /* api_server_on_request answers 503 for a connection without one */
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
int api_conn_identify(struct api_server *srv, struct MHD_Connection *c, struct conn *ci,
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
int api_conn_admit(struct api_server *srv, struct conn *ci, const struct api_identity *id,
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
