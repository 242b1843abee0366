/*
 * domains.c - the domain service: passd's one libvirt connection, kept up, and the domain
 * calls the assignment service and the API make on it.
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
static int get_conn(struct domsvc *ds, struct virt_conn **ret, struct pd_error *err)
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
static int call_failed(struct domsvc *ds, struct virt_conn *c, const char *what, const char *name,
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

bool domain_name_is_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > DOMAIN_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	/* A subset of what libvirt takes: no '/', no control characters, no XML metacharacters. */
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.' || ch == '+' || ch == ':'))
			return false;
	}
	return true;
}

static enum domain_state state_of(enum virt_state s)
{
	switch (s) {
	case VIRT_STATE_SHUTOFF:
		return DOMAIN_STATE_SHUTOFF;
	case VIRT_STATE_RUNNING:
		return DOMAIN_STATE_RUNNING;
	case VIRT_STATE_PAUSED:
		return DOMAIN_STATE_PAUSED;
	case VIRT_STATE_OTHER:
		return DOMAIN_STATE_OTHER;
	}
	return DOMAIN_STATE_OTHER;
}

const char *domain_state_to_string(enum domain_state s)
{
	switch (s) {
	case DOMAIN_STATE_SHUTOFF:
		return "shutoff";
	case DOMAIN_STATE_RUNNING:
		return "running";
	case DOMAIN_STATE_PAUSED:
		return "paused";
	case DOMAIN_STATE_OTHER:
		return "other";
	}
	return "other";
}

void domain_info_done(struct domain_info *d)
{
	if (!d)
		return;
	free(d->hostdevs);
	free(d->hostdev_managed);
	d->hostdevs = NULL;
	d->hostdev_managed = NULL;
	d->n_hostdevs = 0;
}

void domain_info_free_array(struct domain_info *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		domain_info_done(&a[i]);
	free(a);
}

/* @v into @out; -ERANGE for a name passd does not handle, -ENOMEM. */
static int info_from_virt(const struct virt_domain *v, struct domain_info *out)
{
	struct domain_info d = { 0 };
	size_t n = v->n_hostdevs ? v->n_hostdevs : 1;

	if (v->name_truncated || strlen(v->name) > DOMAIN_NAME_MAX)
		return -ERANGE;
	strcpy(d.name, v->name);
	memcpy(d.uuid, v->uuid, sizeof(d.uuid));
	d.state = state_of(v->state);
	d.persistent = v->persistent;
	d.hostdevs = calloc(n, sizeof(*d.hostdevs));
	d.hostdev_managed = calloc(n, sizeof(*d.hostdev_managed));
	if (!d.hostdevs || !d.hostdev_managed) {
		domain_info_done(&d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->n_hostdevs; i++) {
		memcpy(d.hostdevs[i], v->hostdevs[i].address, PCI_ADDR_LEN + 1);
		d.hostdev_managed[i] = v->hostdevs[i].managed;
	}
	d.n_hostdevs = v->n_hostdevs;
	*out = d;
	return 0;
}

static int check_name(const char *name, struct pd_error *err)
{
	if (!domain_name_is_valid(name))
		return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL,
				    "invalid domain name: 1 to %d characters of A-Z a-z 0-9 . _ + : - not starting with '.' or '-'",
				    DOMAIN_NAME_MAX);
	return 0;
}

int domsvc_lookup(struct domsvc *ds, const char *name, struct domain_info *ret,
		  struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain v = { 0 };
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_get(c, name, &v, &verr);
	if (r < 0)
		return call_failed(ds, c, "the lookup", name, r, &verr, err);
	r = info_from_virt(&v, ret);
	virt_domain_done(&v);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
	return 0;
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct domain_info *)a)->name, ((const struct domain_info *)b)->name);
}

int domsvc_list(struct domsvc *ds, struct domain_info **ret, size_t *ret_n, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain *v = NULL;
	struct domain_info *out;
	size_t nv = 0, n = 0;
	int r;

	r = get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_list(c, &v, &nv, &verr);
	if (r < 0)
		return call_failed(ds, c, "the domain list", "*", r, &verr, err);
	out = calloc(nv ? nv : 1, sizeof(*out));
	if (!out) {
		virt_domain_free_array(v, nv);
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nv; i++) {
		r = info_from_virt(&v[i], &out[n]);
		if (r == -ERANGE) {
			log_debug("Domain '%.64s...' has a name over %d characters, not listed",
				  v[i].name, DOMAIN_NAME_MAX);
			continue;
		}
		if (r < 0) {
			virt_domain_free_array(v, nv);
			domain_info_free_array(out, n);
			return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		}
		n++;
	}
	virt_domain_free_array(v, nv);
	qsort(out, n, sizeof(*out), cmp_info);
	*ret = out;
	*ret_n = n;
	return 0;
}

static bool has_hostdev(const struct virt_hostdev *h, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (streq(h[i].address, addr))
			return true;
	return false;
}

/* One change of the undo log: what to take back on failure. */
struct hostdev_step {
	const char *addr;
	bool live;
};

int domsvc_attach(struct domsvc *ds, const char *name, const char *const *addrs, size_t n,
		  struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	_cleanup_free_ struct virt_hostdev *cfg = NULL, *live = NULL;
	_cleanup_free_ struct hostdev_step *done = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain v = { 0 };
	size_t ncfg = 0, nlive = 0, ndone = 0;
	bool active;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!pci_addr_is_valid(addrs[i]))
			return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL,
					    "invalid PCI address '%s'", addrs[i]);
	r = get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_get(c, name, &v, &verr);
	if (r < 0)
		return call_failed(ds, c, "the lookup", name, r, &verr, err);
	active = v.state != VIRT_STATE_SHUTOFF;
	if (v.persistent)
		r = virt_domain_get_hostdevs(c, name, true, &cfg, &ncfg, &verr);
	if (r == 0 && active)
		r = virt_domain_get_hostdevs(c, name, false, &live, &nlive, &verr);
	virt_domain_done(&v);
	if (r < 0)
		return call_failed(ds, c, "reading the definition", name, r, &verr, err);
	done = calloc(2 * n + 1, sizeof(*done));
	if (!done)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");

	for (size_t i = 0; i < n; i++) {
		const char *a = addrs[i];

		if (v.persistent && !has_hostdev(cfg, ncfg, a)) {
			r = virt_domain_attach_hostdev(c, name, a, false, &verr);
			if (r < 0)
				goto rollback;
			done[ndone++] = (struct hostdev_step){ a, false };
		}
		if (active && !has_hostdev(live, nlive, a)) {
			r = virt_domain_attach_hostdev(c, name, a, true, &verr);
			if (r < 0)
				goto rollback;
			done[ndone++] = (struct hostdev_step){ a, true };
		}
	}
	log_info("Domain '%s': %zu PCI hostdev(s) attached (%zu changes)", name, n, ndone);
	return 0;

rollback:
	r = call_failed(ds, c, "the hostdev attach", name, r, &verr, err);
	while (ndone-- > 0) {
		struct virt_error uerr = { 0 };
		const struct hostdev_step *s = &done[ndone];
		if (virt_domain_detach_hostdev(c, name, s->addr, s->live, &uerr) < 0)
			log_warning("Domain '%s': taking hostdev %s back out of the %s definition failed: %s",
				    name, s->addr, s->live ? "live" : "persistent", uerr.message);
	}
	log_warning("Domain '%s': attaching PCI hostdevs failed, rolled back: %s", name,
		    err ? err->message : verr.message);
	return r;
}

/*
 * After a live detach: -EBUSY while one of @addrs is still in the live definition after
 * LIVE_GONE_WAIT_MS more (libvirt itself has already waited for the guest); @verr->message
 * then names it.
 */
#define LIVE_GONE_WAIT_MS 2000
#define LIVE_GONE_POLL_MS 100
static int wait_live_gone(struct virt_conn *c, const char *name, const char *const *addrs,
			  size_t n, struct virt_error *verr)
{
	for (unsigned waited = 0;; waited += LIVE_GONE_POLL_MS) {
		_cleanup_free_ struct virt_hostdev *live = NULL;
		const char *left = NULL;
		size_t nlive = 0;
		int r;

		r = virt_domain_get_hostdevs(c, name, false, &live, &nlive, verr);
		if (r == -ENOENT)
			return 0; /* the domain went away meanwhile: so did QEMU */
		if (r < 0)
			return r;
		for (size_t i = 0; !left && i < n; i++)
			if (has_hostdev(live, nlive, addrs[i]))
				left = addrs[i];
		if (!left)
			return 0;
		if (waited >= LIVE_GONE_WAIT_MS) {
			struct virt_domain v = { 0 };
			bool off;

			/* A domain stopped meanwhile shows its persistent definition: QEMU is gone. */
			r = virt_domain_get(c, name, &v, verr);
			off = r == -ENOENT || (r == 0 && v.state == VIRT_STATE_SHUTOFF);
			if (r == 0)
				virt_domain_done(&v);
			if (off)
				return 0;
			if (r < 0)
				return r;
			snprintf(verr->message, sizeof(verr->message), "%s", left);
			return -EBUSY;
		}
		nanosleep(&(struct timespec){ .tv_nsec = LIVE_GONE_POLL_MS * 1000000L }, NULL);
	}
}

int domsvc_detach(struct domsvc *ds, const char *name, const char *const *addrs, size_t n,
		  struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	_cleanup_free_ struct virt_hostdev *cfg = NULL, *live = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain v = { 0 };
	size_t ncfg = 0, nlive = 0;
	bool active;
	int r, first = 0;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_get(c, name, &v, &verr);
	if (r < 0)
		return call_failed(ds, c, "the lookup", name, r, &verr, err);
	active = v.state != VIRT_STATE_SHUTOFF;
	if (v.persistent)
		r = virt_domain_get_hostdevs(c, name, true, &cfg, &ncfg, &verr);
	if (r == 0 && active)
		r = virt_domain_get_hostdevs(c, name, false, &live, &nlive, &verr);
	virt_domain_done(&v);
	if (r < 0)
		return call_failed(ds, c, "reading the definition", name, r, &verr, err);

	/* Release goes as far as it can: every hostdev that can come out does, the first error is kept. */
	for (size_t i = 0; active && i < n; i++) {
		if (!has_hostdev(live, nlive, addrs[i]))
			continue;
		r = virt_domain_detach_hostdev(c, name, addrs[i], true, &verr);
		if (r < 0 && first == 0)
			first = call_failed(ds, c, "the live hostdev detach", name, r, &verr, err);
		if (r == -ENOTCONN)
			return first;
	}
	/*
	 * A live detach is a request to the guest: libvirt answers success after waiting a few
	 * seconds even when the guest has not let go (paused, no PCIe hotplug driver, or it
	 * refuses). QEMU then still holds the VFIO device and the unbind that follows would
	 * hang in the kernel, so a device still in the live definition stops the release here,
	 * before the persistent definition changes: the assignment stays as it is, and the
	 * guest's late "device removed" event, or a stop of the domain, lets a retry finish.
	 */
	if (first == 0 && active) {
		r = wait_live_gone(c, name, addrs, n, &verr);
		if (r == -EBUSY)
			return pd_error_set(err, PD_ERR_CONFLICT, r,
					    "domain '%s' has not let go of %s: the unplug was requested, but the guest has not completed it (a paused guest, or one without PCIe hotplug, never will); the device stays assigned. Stop the domain, or release again once the guest has let go",
					    name, verr.message);
		if (r < 0)
			return call_failed(ds, c, "reading the live definition", name, r, &verr,
					   err);
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = addrs[i];

		if (has_hostdev(cfg, ncfg, a)) {
			r = virt_domain_detach_hostdev(c, name, a, false, &verr);
			if (r < 0 && first == 0)
				first = call_failed(ds, c, "the hostdev detach", name, r, &verr, err);
			if (r == -ENOTCONN)
				break;
		}
	}
	if (first < 0) {
		log_warning("Domain '%s': detaching PCI hostdevs failed: %s", name,
			    err ? err->message : verr.message);
		return first;
	}
	log_info("Domain '%s': %zu PCI hostdev(s) detached", name, n);
	return 0;
}

/* The connection and the state of domain @name, for start and stop. */
static int get_state(struct domsvc *ds, const char *name, struct virt_conn **ret_c,
		     enum virt_state *ret_state, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain v = { 0 };
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_get(c, name, &v, &verr);
	if (r < 0)
		return call_failed(ds, c, "the lookup", name, r, &verr, err);
	virt_domain_done(&v);
	*ret_state = v.state;
	*ret_c = TAKE_PTR(c);
	return 0;
}

int domsvc_start(struct domsvc *ds, const char *name, bool paused, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	enum virt_state state;
	int r;

	r = get_state(ds, name, &c, &state, err);
	if (r < 0)
		return r;
	if (state != VIRT_STATE_SHUTOFF)
		return 0; /* already running (or paused): nothing to do */
	r = virt_domain_start(c, name, paused, &verr);
	if (r < 0) {
		r = call_failed(ds, c, "the start", name, r, &verr, err);
		log_warning("Domain '%s': start failed: %s", name, err ? err->message : verr.message);
		return r;
	}
	log_info("Domain '%s' started%s", name, paused ? " paused" : "");
	return 0;
}

int domsvc_stop(struct domsvc *ds, const char *name, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	enum virt_state state;
	int r;

	r = get_state(ds, name, &c, &state, err);
	if (r < 0)
		return r;
	if (state == VIRT_STATE_SHUTOFF)
		return 0;
	r = virt_domain_destroy(c, name, &verr);
	if (r == -EBUSY)
		return 0; /* it stopped between the two calls */
	if (r < 0) {
		r = call_failed(ds, c, "the stop", name, r, &verr, err);
		log_warning("Domain '%s': stop failed: %s", name, err ? err->message : verr.message);
		return r;
	}
	log_info("Domain '%s' stopped", name);
	return 0;
}
