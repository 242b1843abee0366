/*
 * server-stream.c - streamed answers (GET /v1/events): written as the events come, suspended
 * while there is nothing to say, woken by news or the idle timer.
 */
#include <config.h>

#include <stdlib.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "request.h"
#include "server-priv.h"

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

enum MHD_Result api_stream_send(struct api_server *srv, struct MHD_Connection *c,
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
void api_streams_end(struct api_server *srv)
{
	for (struct api_stream *s = srv->streams; s; s = s->next) {
		s->ending = true;
		api_stream_wake(s);
	}
}

/* Wake the streams quiet for too long; milliseconds until the next is due, or -1. */
int api_streams_tick(struct api_server *srv)
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
