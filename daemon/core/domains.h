/*
 * domains.h - libvirt domains as the assignment service needs them (the domain service, domsvc_).
 *
 * The service owns passd's one libvirt connection (daemon/virt/ is the only code that talks
 * to libvirt). It reconnects with backoff when the connection is lost and turns libvirt's
 * lifecycle events into calls on the loop thread. While libvirt is away every call that needs
 * it fails with -ENOTCONN and PD_ERR_LIBVIRT_UNAVAILABLE (503); nothing crashes, reads of
 * passd's own state keep working.
 *
 * Threads: domsvc_attach/detach/start/stop/lookup/list may be called from worker threads (they
 * block on libvirt: a start under TCG takes seconds); the event handler runs on the loop
 * thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"

struct loop;
struct domsvc;

/* libvirt's own limit is looser; this is what passd accepts and documents. */
#define DOMAIN_NAME_MAX 64

enum domain_state {
	DOMAIN_STATE_SHUTOFF,
	DOMAIN_STATE_RUNNING,
	DOMAIN_STATE_PAUSED,
	DOMAIN_STATE_OTHER, /* shutting down, crashed, pmsuspended, blocked, nostate */
};

struct domain_info {
	char name[DOMAIN_NAME_MAX + 1];
	char uuid[37];
	enum domain_state state;
	bool persistent;
	size_t n_hostdevs; /* PCI hostdevs in the live XML when running, else in the config */
	char (*hostdevs)[PCI_ADDR_LEN + 1];
	bool *hostdev_managed;
};

enum domain_event_kind {
	DOMAIN_EVENT_CONNECTED,	   /* the connection is (back) up: resync everything */
	DOMAIN_EVENT_DISCONNECTED, /* the connection is lost: retrying with backoff */
	DOMAIN_EVENT_DEFINED,
	DOMAIN_EVENT_UNDEFINED,
	DOMAIN_EVENT_STARTED,
	DOMAIN_EVENT_STOPPED,
	DOMAIN_EVENT_DEVICE_REMOVED, /* @address says which hostdev; "" when its alias is not
				      * passd's (a hostdev passd did not add): resync the domain */
};

struct domain_event {
	enum domain_event_kind kind;
	char domain[DOMAIN_NAME_MAX + 1]; /* "" for CONNECTED/DISCONNECTED */
	char address[PCI_ADDR_LEN + 1];	  /* DEVICE_REMOVED only */
};

typedef void (*domsvc_event_fn)(const struct domain_event *ev, void *userdata);

/*
 * Start the service on @loop for @uri ("none": no libvirt; every call then answers
 * libvirt_unavailable with a message saying passd runs without libvirt). A first connection
 * failure is not an error: the service retries in the background. Returns 0 or -errno.
 */
int domsvc_new(struct loop *loop, const char *uri, struct domsvc **ret);
void domsvc_free(struct domsvc *ds);
DEFINE_FREEP(struct domsvc, domsvc_free)

/* Called on the loop thread for every event; one handler (the assignment service). */
void domsvc_set_event_handler(struct domsvc *ds, domsvc_event_fn fn, void *userdata);

/* For /v1/health: connected or not, the URI, the last error, retries so far. */
bool domsvc_is_connected(const struct domsvc *ds);
const char *domsvc_get_uri(const struct domsvc *ds);
/* Copies the last connection error into @buf ("" when none). */
void domsvc_get_last_error(const struct domsvc *ds, char *buf, size_t size);
/* Failed connection attempts since the last success (0 while connected). */
unsigned domsvc_get_retries(const struct domsvc *ds);

/* libvirt's rules for a domain name, as passd applies them before any lookup. */
bool domain_name_is_valid(const char *name);

/* -ENOENT (not_found: "domain 'x' does not exist"), -ENOTCONN (libvirt_unavailable). */
int domsvc_lookup(struct domsvc *ds, const char *name, struct domain_info *ret,
		  struct pd_error *err);
/* Every domain, sorted by name; the caller frees with domain_info_free_array. */
int domsvc_list(struct domsvc *ds, struct domain_info **ret, size_t *ret_n, struct pd_error *err);
void domain_info_done(struct domain_info *d);
void domain_info_free_array(struct domain_info *a, size_t n);

/*
 * Add PCI hostdevs (<hostdev mode='subsystem' type='pci' managed='no'>, built with libxml2,
 * never by pasting input into a string) for @addrs to domain @name: to its persistent config,
 * and live too when it runs. All or nothing: on failure the ones already added are detached
 * again. An address already in the domain counts as added (idempotent).
 */
int domsvc_attach(struct domsvc *ds, const char *name, const char *const *addrs, size_t n,
		  struct pd_error *err);
/* Remove them (config and live); an address not in the domain is not an error. */
int domsvc_detach(struct domsvc *ds, const char *name, const char *const *addrs, size_t n,
		  struct pd_error *err);
/* Start (optionally paused) / force-stop a domain. Starting a running one is not an error. */
int domsvc_start(struct domsvc *ds, const char *name, bool paused, struct pd_error *err);
int domsvc_stop(struct domsvc *ds, const char *name, struct pd_error *err);

const char *domain_state_to_string(enum domain_state s);
