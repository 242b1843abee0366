/*
 * events.c - GET /v1/events: the event bus as server-sent events (text/event-stream).
 *
 * Each client keeps a cursor into the bus's ring (daemon/core/events.h) and nothing else, so a
 * slow one costs its connection's buffer and no more. A client that falls a whole ring behind
 * gets "event: resync" (re-read what it shows) and goes on from the newest event. A client
 * that reconnects with Last-Event-ID (EventSource does) gets what it missed, if the ring still
 * has it.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "handlers.h"

struct sse {
	struct evbus *bus;
	struct evbus_sub *sub;
	struct api_stream *stream; /* known from the first read on */
	uint64_t cursor;	   /* the next event to send */
	bool hello;		   /* the first bytes went out */
	char *pending;		   /* a frame that did not fit, and how much of it is sent */
	size_t pending_len, pending_off;
};

static void sse_wake(void *userdata)
{
	struct sse *s = userdata;

	if (s->stream)
		api_stream_wake(s->stream);
}

/* Copy what fits of @frame; keep the rest (a copy: the ring may drop it) for the next read. */
static int put(struct sse *s, char *buf, size_t max, size_t *used, const char *frame, size_t len)
{
	size_t room = max - *used;

	if (len <= room) {
		memcpy(buf + *used, frame, len);
		*used += len;
		return 0;
	}
	if (*used > 0)
		return -ENOSPC; /* next time, from the start of the buffer */
	s->pending = malloc(len);
	if (!s->pending)
		return -ENOMEM;
	memcpy(s->pending, frame, len);
	s->pending_len = len;
	s->pending_off = 0;
	return -ENOSPC;
}

static ssize_t sse_read(void *cls, struct api_stream *st, char *buf, size_t max, bool idle)
{
	struct sse *s = cls;
	size_t used = 0;
	char tmp[160];
	int n;

	s->stream = st;
	if (s->pending) {
		size_t k = s->pending_len - s->pending_off;
		if (k > max)
			k = max;
		memcpy(buf, s->pending + s->pending_off, k);
		s->pending_off += k;
		if (s->pending_off == s->pending_len) {
			free(s->pending);
			s->pending = NULL;
		}
		return (ssize_t)k;
	}
	if (!s->hello) {
		/* A comment first, so the client sees the answer start before any event. */
		n = snprintf(tmp, sizeof(tmp), "retry: 2000\n: passd events from %" PRIu64 "\n\n",
			     s->cursor);
		if (put(s, buf, max, &used, tmp, (size_t)n) < 0)
			return s->pending ? sse_read(cls, st, buf, max, false) : 0;
		s->hello = true;
	}
	for (;;) {
		const char *frame;
		size_t len;
		int r = evbus_get(s->bus, s->cursor, &frame, &len);

		if (r == -EAGAIN)
			break;
		if (r == -ESPIPE) {
			uint64_t next = evbus_next_seq(s->bus);
			n = snprintf(
				tmp, sizeof(tmp),
				"event: resync\ndata: {\"type\":\"resync\",\"data\":{\"missed_from\":%" PRIu64
				",\"next\":%" PRIu64 "}}\n\n",
				s->cursor, next);
			if (put(s, buf, max, &used, tmp, (size_t)n) < 0)
				break;
			s->cursor = next;
			continue;
		}
		r = put(s, buf, max, &used, frame, len);
		if (r == -ENOMEM)
			return used > 0 ? (ssize_t)used : -1;
		if (r < 0 && !s->pending)
			break;
		s->cursor++;
		if (r < 0)
			break;
	}
	if (used == 0 && s->pending)
		return sse_read(cls, st, buf, max, false);
	if (used == 0 && idle) {
		static const char beat[] = ": keep-alive\n\n";
		memcpy(buf, beat, sizeof(beat) - 1);
		used = sizeof(beat) - 1;
	}
	return (ssize_t)used;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	evbus_unsubscribe(s->sub);
	free(s->pending);
	free(s);
}

static const struct api_stream_ops sse_ops = {
	.read = sse_read,
	.free = sse_free,
};

void api_events_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct evbus *bus = evbus_get_default();
	const char *last = api_request_header(req, "Last-Event-ID");
	struct sse *s;
	uint64_t next;

	if (!bus) {
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "this passd publishes no events");
		return;
	}
	next = evbus_next_seq(bus);
	s = calloc(1, sizeof(*s));
	if (!s) {
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "out of memory");
		return;
	}
	s->bus = bus;
	s->cursor = next;
	if (last && *last) {
		char *end;
		unsigned long long id;
		errno = 0;
		id = strtoull(last, &end, 10);
		/* An id never given out (another passd's, before a restart) starts afresh. */
		if (!errno && *end == '\0' && last[0] != '-' && id < next)
			s->cursor = id + 1;
	}
	if (evbus_subscribe(bus, sse_wake, s, &s->sub) < 0) {
		free(s);
		api_respond_errorf(resp, PD_ERR_UNAVAILABLE, "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = "text/event-stream";
	resp->stream = &sse_ops;
	resp->stream_cls = s;
}
