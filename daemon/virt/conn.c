/*
 * conn.c - libvirt's event loop thread, connections, their callbacks, and error mapping.
 *
 * The remote driver needs a running event loop for keepalives, close notification and domain
 * events (virEventRegisterDefaultImpl must precede the first virConnectOpen). Callbacks get the
 * struct virt_conn as opaque data; a closed connection's struct is kept until the event thread
 * has stopped, so a late callback never sees freed memory.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt-priv.h"

/* A dead peer is noticed within about KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1) seconds. */
#define KEEPALIVE_INTERVAL 2
#define KEEPALIVE_COUNT 2

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;
static pthread_t event_thread;
static bool event_thread_running;
static int event_quit; /* atomic */
static pthread_mutex_t closed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virt_conn *closed; /* connections whose users are gone */

/* libvirt prints every error to stderr unless an application handler is set. */
static void silent_error(void *userdata, virErrorPtr e)
{
}

static void init(void)
{
	virSetErrorFunc(NULL, silent_error);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		init_result = -EIO;
}

static void *event_main(void *arg)
{
	while (!__atomic_load_n(&event_quit, __ATOMIC_ACQUIRE))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

int virt_event_loop_start(void)
{
	int r;

	pthread_once(&init_once, init);
	if (init_result < 0)
		return init_result;
	if (event_thread_running)
		return 0;
	__atomic_store_n(&event_quit, 0, __ATOMIC_RELEASE);
	r = -pthread_create(&event_thread, NULL, event_main, NULL);
	if (r < 0)
		return r;
	event_thread_running = true;
	return 0;
}

static void wake(int timer, void *opaque)
{
}

void virt_event_loop_stop(void)
{
	struct virt_conn *c;
	int t;

	if (event_thread_running) {
		__atomic_store_n(&event_quit, 1, __ATOMIC_RELEASE);
		/* A timeout due now makes virEventRunDefaultImpl return (adding one wakes it). */
		t = virEventAddTimeout(0, wake, NULL, NULL);
		pthread_join(event_thread, NULL);
		if (t >= 0)
			virEventRemoveTimeout(t);
		event_thread_running = false;
	}
	pthread_mutex_lock(&closed_lock);
	while ((c = closed)) {
		closed = c->next_closed;
		free(c);
	}
	pthread_mutex_unlock(&closed_lock);
}

/* --- errors ------------------------------------------------------------------------------ */

int virt_error_set(struct virt_error *err, int r, const char *message)
{
	if (err) {
		err->code = 0;
		snprintf(err->message, sizeof(err->message), "%s", message);
	}
	return r;
}

static bool is_connection_error(const virError *e)
{
	switch (e->code) {
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_INVALID_CONN:
		return true;
	case VIR_ERR_SYSTEM_ERROR:
	case VIR_ERR_INTERNAL_ERROR:
	case VIR_ERR_RPC:
		/* "client socket is closed", "Cannot recv data: Connection reset by peer" */
		return e->domain == VIR_FROM_RPC || e->domain == VIR_FROM_REMOTE;
	default:
		return false;
	}
}

int virt_error_take(virConnectPtr vc, struct virt_error *err)
{
	virErrorPtr e = virGetLastError();
	int r;

	if (!e) {
		r = vc && virConnectIsAlive(vc) == 0 ? -ENOTCONN : -EIO;
		return virt_error_set(err, r, r == -ENOTCONN ? "the libvirt connection is closed" :
							       "libvirt failed without saying why");
	}
	switch (e->code) {
	case VIR_ERR_NO_DOMAIN:
		r = -ENOENT;
		break;
	case VIR_ERR_OPERATION_INVALID:
		r = -EBUSY; /* "domain is not running", "domain is already active" */
		break;
	case VIR_ERR_NO_SUPPORT:
		r = -EOPNOTSUPP;
		break;
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_XML_ERROR:
		r = -EINVAL;
		break;
	case VIR_ERR_OPERATION_TIMEOUT:
		r = -ETIMEDOUT;
		break;
	default:
		r = is_connection_error(e) ? -ENOTCONN : -EIO;
		break;
	}
	/* Copied first: any libvirt call, virConnectIsAlive too, resets the thread's error. */
	if (err) {
		err->code = e->code;
		snprintf(err->message, sizeof(err->message), "%s",
			 e->message ? e->message : "unknown libvirt error");
	}
	virResetLastError();
	if (r == -EIO && vc && virConnectIsAlive(vc) == 0)
		r = -ENOTCONN;
	if (r == -ENOTCONN)
		virResetLastError();
	return r;
}

/* --- connections ------------------------------------------------------------------------- */

static bool conn_in_use(struct virt_conn *c)
{
	return __atomic_load_n(&c->users, __ATOMIC_ACQUIRE) > 0;
}

static void on_close(virConnectPtr vc, int reason, void *opaque)
{
	struct virt_conn *c = opaque;

	if (conn_in_use(c) && c->on_close)
		c->on_close(c, c->userdata);
}

static int on_lifecycle(virConnectPtr vc, virDomainPtr d, int event, int detail, void *opaque)
{
	struct virt_conn *c = opaque;
	struct virt_event ev = { .domain = virDomainGetName(d) };

	if (!conn_in_use(c) || !c->on_event || !ev.domain)
		return 0;
	switch (event) {
	case VIR_DOMAIN_EVENT_DEFINED:
		ev.kind = VIRT_EVENT_DEFINED;
		break;
	case VIR_DOMAIN_EVENT_UNDEFINED:
		ev.kind = VIRT_EVENT_UNDEFINED;
		break;
	case VIR_DOMAIN_EVENT_STARTED:
		ev.kind = VIRT_EVENT_STARTED;
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		ev.kind = VIRT_EVENT_STOPPED;
		break;
	default:
		return 0; /* suspended, resumed, shutdown (STOPPED follows), crashed, pmsuspended */
	}
	c->on_event(c, &ev, c->userdata);
	return 0;
}

static void on_device_removed(virConnectPtr vc, virDomainPtr d, const char *alias, void *opaque)
{
	struct virt_conn *c = opaque;
	struct virt_event ev = {
		.kind = VIRT_EVENT_DEVICE_REMOVED,
		.domain = virDomainGetName(d),
		.alias = alias ? alias : "",
	};

	if (conn_in_use(c) && c->on_event && ev.domain)
		c->on_event(c, &ev, c->userdata);
}

int virt_conn_open(const char *uri, virt_close_fn close_fn, virt_event_fn event_fn,
		   void *userdata, struct virt_conn **ret, struct virt_error *err)
{
	struct virt_conn *c;
	int r;

	pthread_once(&init_once, init);
	if (init_result < 0)
		return virt_error_set(err, init_result, "libvirt could not be initialised");
	c = calloc(1, sizeof(*c));
	if (!c)
		return virt_error_set(err, -ENOMEM, "out of memory");
	c->users = 1;
	c->cb_lifecycle = c->cb_removed = -1;
	c->on_close = close_fn;
	c->on_event = event_fn;
	c->userdata = userdata;
	c->vc = virConnectOpen(uri);
	if (!c->vc) {
		r = virt_error_take(NULL, err);
		free(c);
		/* Whatever libvirt said, a connection that cannot be opened is not there. */
		return r == -ENOMEM ? r : -ENOTCONN;
	}
	/* Drivers without a keepalive (test:///, embed) answer -1 or 1: nothing to do then. */
	if (virConnectSetKeepAlive(c->vc, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT) < 0)
		virResetLastError();
	if (close_fn) {
		if (virConnectRegisterCloseCallback(c->vc, on_close, c, NULL) == 0)
			c->cb_close = true;
		else
			virResetLastError();
	}
	if (event_fn) {
		c->cb_lifecycle = virConnectDomainEventRegisterAny(
			c->vc, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
			VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), c, NULL);
		if (c->cb_lifecycle < 0)
			virResetLastError(); /* events are a nicety: the service resyncs on (re)connect */
		c->cb_removed = virConnectDomainEventRegisterAny(
			c->vc, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
			VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), c, NULL);
		if (c->cb_removed < 0)
			virResetLastError();
	}
	*ret = c;
	return 0;
}

struct virt_conn *virt_conn_ref(struct virt_conn *c)
{
	if (c)
		__atomic_add_fetch(&c->users, 1, __ATOMIC_ACQ_REL);
	return c;
}

void virt_conn_unref(struct virt_conn *c)
{
	if (!c || __atomic_sub_fetch(&c->users, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	/* On a dead connection these fail; libvirt drops the callbacks with it anyway. */
	if (c->cb_removed >= 0 && virConnectDomainEventDeregisterAny(c->vc, c->cb_removed) < 0)
		virResetLastError();
	if (c->cb_lifecycle >= 0 && virConnectDomainEventDeregisterAny(c->vc, c->cb_lifecycle) < 0)
		virResetLastError();
	if (c->cb_close && virConnectUnregisterCloseCallback(c->vc, on_close) < 0)
		virResetLastError();
	if (virConnectClose(c->vc) < 0)
		virResetLastError();
	c->vc = NULL;
	pthread_mutex_lock(&closed_lock);
	c->next_closed = closed;
	closed = c;
	pthread_mutex_unlock(&closed_lock);
}

bool virt_conn_is_alive(struct virt_conn *c)
{
	int r;

	if (!c || !c->vc)
		return false;
	r = virConnectIsAlive(c->vc);
	if (r < 0)
		virResetLastError();
	return r == 1;
}
