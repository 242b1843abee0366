/*
 * domains.c - the domain service: passd's one libvirt connection, kept up, and what the domain
 * calls the assignment service and the API make on it share (domains-priv.h). The calls are in
 * domains-info.c (reads) and domains-ops.c (changes).
 *
 * Threads: the connector thread opens the connection and, after a loss, retries with backoff
 * (100 ms doubling to 2 s, so libvirt's return is noticed within about 2 s); it blocks in
 * virConnectOpen, which is why it is a thread and not a timer on the loop. libvirt's event
 * thread calls on_close() and on_event(): they queue and post on an eventfd, and the loop
 * thread delivers to the handler. Calls (workers or loop) take a reference on the connection
 * under the lock and call libvirt without it; a call that finds the connection dead hands it to
 * conn_lost() like the close callback does. A dead connection is closed by the connector thread,
 * never in a libvirt callback (closing it there would take a lock libvirt holds).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "domains.h"
#include "domains-priv.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "virt/virt.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct queued_event {
	struct domain_event ev;
	struct queued_event *next;
};

struct dead_conn {
	struct virt_conn *conn;
	struct dead_conn *next;
};

struct domsvc {
	struct loop *loop;
	char *uri;
	bool off; /* --libvirt-uri none */
	int event_fd;
	domsvc_event_fn handler;
	void *handler_data;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;  /* wakes the connector */
	struct virt_conn *conn;
	char last_error[512];
	unsigned retries; /* failed attempts since the last success */
	bool quit;
	struct dead_conn *dead;
	struct queued_event *events, **events_tail;
	bool connector_running;
	pthread_t connector;
	bool event_loop_running;
};

/* --- events ------------------------------------------------------------------------------- */

/* Any thread, with ds->lock held. */
static void queue_event_locked(struct domsvc *ds, enum domain_event_kind kind, const char *domain,
			       const char *address)
{
	struct queued_event *q = calloc(1, sizeof(*q));
	uint64_t one = 1;

	if (!q)
		return; /* out of memory: the next CONNECTED resync repairs what is missed */
	q->ev.kind = kind;
	snprintf(q->ev.domain, sizeof(q->ev.domain), "%s", domain ? domain : "");
	snprintf(q->ev.address, sizeof(q->ev.address), "%s", address ? address : "");
	*ds->events_tail = q;
	ds->events_tail = &q->next;
	if (write(ds->event_fd, &one, sizeof(one)) < 0)
		log_debug("Posting a libvirt event failed, ignoring: %m");
}

/* domain_changed, libvirt_connected, libvirt_disconnected for GET /v1/events. */
static void publish_event(const struct domain_event *ev)
{
	static const char *const what[] = {
		[DOMAIN_EVENT_DEFINED] = "defined",	[DOMAIN_EVENT_UNDEFINED] = "undefined",
		[DOMAIN_EVENT_STARTED] = "started",	[DOMAIN_EVENT_STOPPED] = "stopped",
		[DOMAIN_EVENT_DEVICE_REMOVED] = "device_removed",
	};

	switch (ev->kind) {
	case DOMAIN_EVENT_CONNECTED:
		events_publish("libvirt_connected", NULL);
		return;
	case DOMAIN_EVENT_DISCONNECTED:
		events_publish("libvirt_disconnected", NULL);
		return;
	case DOMAIN_EVENT_DEFINED:
	case DOMAIN_EVENT_UNDEFINED:
	case DOMAIN_EVENT_STARTED:
	case DOMAIN_EVENT_STOPPED:
	case DOMAIN_EVENT_DEVICE_REMOVED:
		events_publish("domain_changed",
			       json_pack("{s:s, s:s, s:s?}", "domain", ev->domain, "event",
					 what[ev->kind], "address", ev->address[0] ? ev->address : NULL));
		return;
	}
}

static void dispatch_events(struct domsvc *ds)
{
	struct queued_event *list;

	pthread_mutex_lock(&ds->lock);
	list = ds->events;
	ds->events = NULL;
	ds->events_tail = &ds->events;
	pthread_mutex_unlock(&ds->lock);
	while (list) {
		struct queued_event *q = list;
		list = q->next;
		publish_event(&q->ev);
		if (ds->handler)
			ds->handler(&q->ev, ds->handler_data);
		free(q);
	}
}

static void on_event_fd(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct domsvc *ds = userdata;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("Reading the libvirt events' eventfd failed, ignoring: %m");
	dispatch_events(ds);
}

/* libvirt's event thread. */
static void on_virt_event(struct virt_conn *c, const struct virt_event *ev, void *userdata)
{
	struct domsvc *ds = userdata;
	char addr[PCI_ADDR_LEN + 1] = "";
	enum domain_event_kind kind;

	if (strlen(ev->domain) > DOMAIN_NAME_MAX)
		return; /* a name passd does not handle is never assigned */
	switch (ev->kind) {
	case VIRT_EVENT_DEFINED:
		kind = DOMAIN_EVENT_DEFINED;
		break;
	case VIRT_EVENT_UNDEFINED:
		kind = DOMAIN_EVENT_UNDEFINED;
		break;
	case VIRT_EVENT_STARTED:
		kind = DOMAIN_EVENT_STARTED;
		break;
	case VIRT_EVENT_STOPPED:
		kind = DOMAIN_EVENT_STOPPED;
		break;
	case VIRT_EVENT_DEVICE_REMOVED:
		kind = DOMAIN_EVENT_DEVICE_REMOVED;
		/* Only passd's hostdevs carry an alias that names the address; "" for others. */
		(void)virt_alias_to_address(ev->alias, addr);
		break;
	default:
		return;
	}
	pthread_mutex_lock(&ds->lock);
	if (c == ds->conn)
		queue_event_locked(ds, kind, ev->domain, addr);
	pthread_mutex_unlock(&ds->lock);
}

/* --- the connection ------------------------------------------------------------------------ */

/* Any thread: @c is found closed. The connector closes it and reconnects. */
static void conn_lost(struct domsvc *ds, struct virt_conn *c, const char *why)
{
	struct dead_conn *d = calloc(1, sizeof(*d));
	bool was_current;

	pthread_mutex_lock(&ds->lock);
	was_current = c && c == ds->conn;
	if (was_current) {
		ds->conn = NULL;
		ds->retries = 0;
		snprintf(ds->last_error, sizeof(ds->last_error), "%s", why);
		queue_event_locked(ds, DOMAIN_EVENT_DISCONNECTED, "", "");
		if (d) {
			d->conn = c; /* our reference, closed by the connector */
			d->next = ds->dead;
			ds->dead = TAKE_PTR(d);
		}
		pthread_cond_signal(&ds->cond);
	}
	pthread_mutex_unlock(&ds->lock);
	free(d);
	if (was_current)
		log_warning("Lost the libvirt connection to '%s' (%s), reconnecting", ds->uri, why);
}

/* libvirt's event thread (or the thread whose call saw the EOF). */
static void on_close(struct virt_conn *c, void *userdata)
{
	conn_lost(userdata, c, "libvirt closed the connection");
}

static void close_dead(struct domsvc *ds)
{
	struct dead_conn *list;

	pthread_mutex_lock(&ds->lock);
	list = ds->dead;
	ds->dead = NULL;
	pthread_mutex_unlock(&ds->lock);
	while (list) {
		struct dead_conn *d = list;
		list = d->next;
		virt_conn_unref(d->conn);
		free(d);
	}
}

static void timespec_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *connector_main(void *userdata)
{
	struct domsvc *ds = userdata;
	unsigned backoff = BACKOFF_MIN_MS;

	for (;;) {
		struct virt_error verr = { 0 };
		struct virt_conn *c = NULL;
		struct timespec until;
		int r;

		close_dead(ds);
		pthread_mutex_lock(&ds->lock);
		while (ds->conn && !ds->quit && !ds->dead)
			pthread_cond_wait(&ds->cond, &ds->lock);
		if (ds->quit) {
			pthread_mutex_unlock(&ds->lock);
			break;
		}
		if (ds->conn) { /* woken to close a dead one only */
			pthread_mutex_unlock(&ds->lock);
			continue;
		}
		pthread_mutex_unlock(&ds->lock);

		r = virt_conn_open(ds->uri, on_close, on_virt_event, ds, &c, &verr);

		pthread_mutex_lock(&ds->lock);
		if (r == 0 && !ds->quit) {
			unsigned retries = ds->retries;
			ds->conn = c;
			ds->last_error[0] = '\0';
			ds->retries = 0;
			backoff = BACKOFF_MIN_MS;
			queue_event_locked(ds, DOMAIN_EVENT_CONNECTED, "", "");
			pthread_mutex_unlock(&ds->lock);
			log_info("Connected to libvirt at '%s'%s", ds->uri,
				 retries ? " again" : "");
			continue;
		}
		if (r == 0) { /* stopping: drop it */
			pthread_mutex_unlock(&ds->lock);
			virt_conn_unref(c);
			break;
		}
		if (ds->retries++ == 0)
			log_warning("Cannot connect to libvirt at '%s', retrying with backoff: %s",
				    ds->uri, verr.message);
		snprintf(ds->last_error, sizeof(ds->last_error), "%s", verr.message);
		clock_gettime(CLOCK_REALTIME, &until);
		timespec_add_ms(&until, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		while (!ds->quit && pthread_cond_timedwait(&ds->cond, &ds->lock, &until) == 0)
			; /* only quit or the timeout end the wait */
		pthread_mutex_unlock(&ds->lock);
	}
	close_dead(ds);
	return NULL;
}

int domsvc_new(struct loop *loop, const char *uri, struct domsvc **ret)
{
	_cleanup_(domsvc_freep) struct domsvc *ds = calloc(1, sizeof(*ds));
	int r;

	if (!ds)
		return -ENOMEM;
	pthread_mutex_init(&ds->lock, NULL);
	pthread_cond_init(&ds->cond, NULL);
	ds->events_tail = &ds->events;
	ds->event_fd = -1;
	ds->uri = strdup(uri ? uri : "none");
	if (!ds->uri)
		return -ENOMEM;
	ds->off = streq(ds->uri, "none");
	if (ds->off) {
		*ret = TAKE_PTR(ds);
		return 0;
	}
	ds->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ds->event_fd < 0)
		return -errno;
	ds->loop = loop;
	r = loop_add_io(loop, ds->event_fd, EPOLLIN, on_event_fd, ds);
	if (r < 0) {
		ds->loop = NULL;
		return r;
	}
	r = virt_event_loop_start();
	if (r < 0)
		return r;
	ds->event_loop_running = true;
	r = -pthread_create(&ds->connector, NULL, connector_main, ds);
	if (r < 0)
		return r;
	ds->connector_running = true;
	*ret = TAKE_PTR(ds);
	return 0;
}

void domsvc_free(struct domsvc *ds)
{
	struct virt_conn *c;

	if (!ds)
		return;
	if (ds->connector_running) {
		struct timespec until;

		pthread_mutex_lock(&ds->lock);
		ds->quit = true;
		pthread_cond_signal(&ds->cond);
		pthread_mutex_unlock(&ds->lock);
		/* A libvirtd that accepts and never answers keeps virConnectOpen waiting: then stop
		 * without it, and leave the service to the exiting process rather than free it. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		if (pthread_timedjoin_np(ds->connector, NULL, &until) != 0) {
			log_warning("A connection attempt to libvirt at '%s' is still blocked, not waiting for it",
				    ds->uri);
			return;
		}
	}
	pthread_mutex_lock(&ds->lock);
	c = TAKE_PTR(ds->conn);
	pthread_mutex_unlock(&ds->lock);
	virt_conn_unref(c);
	close_dead(ds);
	/* After the connections: no callback can run once the event thread is gone. */
	if (ds->event_loop_running)
		virt_event_loop_stop();
	while (ds->events) {
		struct queued_event *q = ds->events;
		ds->events = q->next;
		free(q);
	}
	if (ds->loop)
		(void)loop_remove_io(ds->loop, ds->event_fd);
	if (ds->event_fd >= 0)
		close(ds->event_fd);
	pthread_cond_destroy(&ds->cond);
	pthread_mutex_destroy(&ds->lock);
	free(ds->uri);
	free(ds);
}

void domsvc_set_event_handler(struct domsvc *ds, domsvc_event_fn fn, void *userdata)
{
	ds->handler = fn;
	ds->handler_data = userdata;
}

bool domsvc_is_connected(const struct domsvc *ds)
{
	struct domsvc *m = (struct domsvc *)ds; /* the lock is not part of the value */
	bool up;

	if (!ds || ds->off)
		return false;
	pthread_mutex_lock(&m->lock);
	up = ds->conn != NULL;
	pthread_mutex_unlock(&m->lock);
	return up;
}

const char *domsvc_get_uri(const struct domsvc *ds)
{
	return ds ? ds->uri : "none";
}

void domsvc_get_last_error(const struct domsvc *ds, char *buf, size_t size)
{
	struct domsvc *m = (struct domsvc *)ds;

	if (!ds || ds->off) {
		snprintf(buf, size, "%s", "");
		return;
	}
	pthread_mutex_lock(&m->lock);
	snprintf(buf, size, "%s", ds->last_error);
	pthread_mutex_unlock(&m->lock);
}

unsigned domsvc_get_retries(const struct domsvc *ds)
{
	struct domsvc *m = (struct domsvc *)ds;
	unsigned n;

	if (!ds || ds->off)
		return 0;
	pthread_mutex_lock(&m->lock);
	n = ds->retries;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* --- calls -------------------------------------------------------------------------------- */

/* A reference on the connection, or libvirt_unavailable. */
int domsvc_get_conn(struct domsvc *ds, struct virt_conn **ret, struct pd_error *err)
{
	struct virt_conn *c;
	char why[512];

	if (!ds || ds->off)
		return pd_error_set(err, PD_ERR_LIBVIRT_UNAVAILABLE, -ENOTCONN,
				    "passd runs without libvirt (--libvirt-uri none)");
	pthread_mutex_lock(&ds->lock);
	c = virt_conn_ref(ds->conn);
	snprintf(why, sizeof(why), "%s", ds->last_error);
	pthread_mutex_unlock(&ds->lock);
	if (!c)
		return pd_error_set(err, PD_ERR_LIBVIRT_UNAVAILABLE, -ENOTCONN,
				    "libvirt at '%s' is not connected%s%s; passd keeps retrying",
				    ds->uri, why[0] ? ": " : "", why);
	*ret = c;
	return 0;
}

/* A failed libvirt call of @what on domain @name, as the service's error. */
int domsvc_call_failed(struct domsvc *ds, struct virt_conn *c, const char *what, const char *name,
		       int r, const struct virt_error *verr, struct pd_error *err)
{
	switch (r) {
	case -ENOENT:
		return pd_error_set(err, PD_ERR_NOT_FOUND, r, "domain '%s' does not exist", name);
	case -ENOTCONN:
		conn_lost(ds, c, verr->message);
		return pd_error_set(err, PD_ERR_LIBVIRT_UNAVAILABLE, r,
				    "lost the libvirt connection during %s: %s", what, verr->message);
	case -ETIMEDOUT:
		return pd_error_set(err, PD_ERR_UNAVAILABLE, r, "libvirt timed out during %s: %s",
				    what, verr->message);
	case -ENOMEM:
		return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
	default:
		/* libvirt answered and refused: its message says why, for the client to act on. */
		return pd_error_set(err, PD_ERR_CONFLICT, r, "libvirt refused %s of domain '%s': %s",
				    what, name, verr->message);
	}
}
