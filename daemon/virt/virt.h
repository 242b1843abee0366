/*
 * virt.h - the only code in passd that talks to libvirt.
 *
 * Thin wrappers: a connection with its close callback, keepalive and domain event callbacks,
 * libvirt's default event loop on a thread of its own, and the domain calls the domain service
 * needs. Everything is thread-safe (libvirt's objects are); everything blocks on libvirt.
 * Functions return 0 or a negative errno and fill @err with libvirt's code and message
 * (-ENOENT: no such domain; -ENOTCONN: the connection is gone; -EBUSY/-EINVAL: the operation
 * does not fit the domain's state; -EOPNOTSUPP: the driver cannot do it; -EIO: the rest).
 * Nothing here logs: libvirt's own printing to stderr is switched off too.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "pci-addr.h"
#include "xml.h"

struct virt_conn;

struct virt_error {
	int code; /* libvirt's virErrorNumber, 0 for none */
	char message[512];
};

enum virt_state {
	VIRT_STATE_SHUTOFF,
	VIRT_STATE_RUNNING,
	VIRT_STATE_PAUSED,
	VIRT_STATE_OTHER,
};

#define VIRT_NAME_MAX 256

struct virt_domain {
	char name[VIRT_NAME_MAX]; /* longer names are cut; the service skips them */
	bool name_truncated;
	char uuid[37];
	enum virt_state state;
	bool persistent;
	size_t n_hostdevs; /* PCI hostdevs of the live XML when active, else of the config */
	struct virt_hostdev *hostdevs;
};

void virt_domain_done(struct virt_domain *d);

enum virt_event_kind {
	VIRT_EVENT_DEFINED,
	VIRT_EVENT_UNDEFINED,
	VIRT_EVENT_STARTED,
	VIRT_EVENT_STOPPED,
	VIRT_EVENT_DEVICE_REMOVED, /* @alias names the device */
};

struct virt_event {
	enum virt_event_kind kind;
	const char *domain; /* borrowed for the call */
	const char *alias;  /* DEVICE_REMOVED only */
};

/* Called on libvirt's event thread: copy what is needed and return quickly. */
typedef void (*virt_event_fn)(struct virt_conn *c, const struct virt_event *ev, void *userdata);
/* The connection closed (EOF, keepalive, or a client close); on libvirt's event thread. */
typedef void (*virt_close_fn)(struct virt_conn *c, void *userdata);

/*
 * Once per process, before the first connection: silence libvirt's error printing, register
 * its default event loop implementation and run it on a thread. virt_event_loop_stop() joins
 * that thread; callbacks' userdata must live until then.
 */
int virt_event_loop_start(void);
void virt_event_loop_stop(void);

/*
 * Open @uri and register @on_close, lifecycle and device-removed events (all may be NULL)
 * with @userdata, and a keepalive where the driver has one. *ret holds one reference.
 */
int virt_conn_open(const char *uri, virt_close_fn on_close, virt_event_fn on_event,
		   void *userdata, struct virt_conn **ret, struct virt_error *err);
struct virt_conn *virt_conn_ref(struct virt_conn *c);
/* The last reference deregisters the callbacks and closes the connection. */
void virt_conn_unref(struct virt_conn *c);
DEFINE_FREEP(struct virt_conn, virt_conn_unref)
bool virt_conn_is_alive(struct virt_conn *c);

/* Every domain (order unspecified). The caller frees with virt_domain_free_array. */
int virt_domain_list(struct virt_conn *c, struct virt_domain **ret, size_t *ret_n,
		     struct virt_error *err);
void virt_domain_free_array(struct virt_domain *a, size_t n);
/* One domain by name. */
int virt_domain_get(struct virt_conn *c, const char *name, struct virt_domain *ret,
		    struct virt_error *err);
/* The hostdevs of its persistent config (@inactive) or of its live XML. */
int virt_domain_get_hostdevs(struct virt_conn *c, const char *name, bool inactive,
			     struct virt_hostdev **ret, size_t *ret_n, struct virt_error *err);

/*
 * Add / remove the PCI hostdev of @addr, to the persistent config (@live false) or to the
 * running domain (@live true). For the config, a driver without device attach (the test driver)
 * gets the domain redefined from its inactive XML with the hostdev added or removed.
 */
int virt_domain_attach_hostdev(struct virt_conn *c, const char *name, const char *addr, bool live,
			       struct virt_error *err);
int virt_domain_detach_hostdev(struct virt_conn *c, const char *name, const char *addr, bool live,
			       struct virt_error *err);

/* Start a defined domain, optionally paused; force it off. */
int virt_domain_start(struct virt_conn *c, const char *name, bool paused, struct virt_error *err);
int virt_domain_destroy(struct virt_conn *c, const char *name, struct virt_error *err);
