/*
 * domains-ops.c - changing domains: PCI hostdevs attached (all or nothing) and detached (as far
 * as it goes), and domains started and stopped.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domains.h"
#include "domains-priv.h"
#include "log.h"
#include "virt/virt.h"

static bool has_hostdev(const struct virt_hostdev *h, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (streq(h[i].address, addr))
			return true;
	return false;
}

/* A domain's PCI hostdevs as libvirt has them: persistent when defined, live when running. */
struct hostdevs {
	bool persistent, active;
	struct virt_hostdev *cfg, *live;
	size_t ncfg, nlive;
};

static void hostdevs_done(struct hostdevs *h)
{
	free(h->cfg);
	free(h->live);
}

/* Open domain @name (domsvc_open()) and read its hostdevs into @h. */
static int hostdevs_read(struct domsvc *ds, const char *name, struct virt_conn **ret_c,
			 struct hostdevs *h, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain v = { 0 };
	int r;

	r = domsvc_open(ds, name, &c, &v, err);
	if (r < 0)
		return r;
	h->persistent = v.persistent;
	h->active = v.state != VIRT_STATE_SHUTOFF;
	virt_domain_done(&v);
	if (h->persistent)
		r = virt_domain_get_hostdevs(c, name, true, &h->cfg, &h->ncfg, &verr);
	if (r == 0 && h->active)
		r = virt_domain_get_hostdevs(c, name, false, &h->live, &h->nlive, &verr);
	if (r < 0)
		return domsvc_call_failed(ds, c, "reading the definition", name, r, &verr, err);
	*ret_c = TAKE_PTR(c);
	return 0;
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
	_cleanup_(hostdevs_done) struct hostdevs h = { 0 };
	_cleanup_free_ struct hostdev_step *done = NULL;
	struct virt_error verr = { 0 };
	size_t ndone = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		if (!pci_addr_is_valid(addrs[i]))
			return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL,
					    "invalid PCI address '%s'", addrs[i]);
	r = hostdevs_read(ds, name, &c, &h, err);
	if (r < 0)
		return r;
	done = calloc(2 * n + 1, sizeof(*done));
	if (!done)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");

	for (size_t i = 0; i < n; i++) {
		const char *a = addrs[i];

		if (h.persistent && !has_hostdev(h.cfg, h.ncfg, a)) {
			r = virt_domain_attach_hostdev(c, name, a, false, &verr);
			if (r < 0)
				goto rollback;
			done[ndone++] = (struct hostdev_step){ a, false };
		}
		if (h.active && !has_hostdev(h.live, h.nlive, a)) {
			r = virt_domain_attach_hostdev(c, name, a, true, &verr);
			if (r < 0)
				goto rollback;
			done[ndone++] = (struct hostdev_step){ a, true };
		}
	}
	log_info("Domain '%s': %zu PCI hostdev(s) attached (%zu changes)", name, n, ndone);
	return 0;

rollback:
	r = domsvc_call_failed(ds, c, "the hostdev attach", name, r, &verr, err);
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
	_cleanup_(hostdevs_done) struct hostdevs h = { 0 };
	struct virt_error verr = { 0 };
	int r, first = 0;

	r = hostdevs_read(ds, name, &c, &h, err);
	if (r < 0)
		return r;

	/* Release goes as far as it can: every hostdev that can come out does, the first error is kept. */
	for (size_t i = 0; h.active && i < n; i++) {
		if (!has_hostdev(h.live, h.nlive, addrs[i]))
			continue;
		r = virt_domain_detach_hostdev(c, name, addrs[i], true, &verr);
		if (r < 0 && first == 0)
			first = domsvc_call_failed(ds, c, "the live hostdev detach", name, r, &verr, err);
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
	if (first == 0 && h.active) {
		r = wait_live_gone(c, name, addrs, n, &verr);
		if (r == -EBUSY)
			return pd_error_set(err, PD_ERR_CONFLICT, r,
					    "domain '%s' has not let go of %s: the unplug was requested, but the guest has not completed it (a paused guest, or one without PCIe hotplug, never will); the device stays assigned. Stop the domain, or release again once the guest has let go",
					    name, verr.message);
		if (r < 0)
			return domsvc_call_failed(ds, c, "reading the live definition", name, r, &verr,
					   err);
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = addrs[i];

		if (has_hostdev(h.cfg, h.ncfg, a)) {
			r = virt_domain_detach_hostdev(c, name, a, false, &verr);
			if (r < 0 && first == 0)
				first = domsvc_call_failed(ds, c, "the hostdev detach", name, r, &verr, err);
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
	struct virt_domain v = { 0 };
	int r;

	r = domsvc_open(ds, name, ret_c, &v, err);
	if (r < 0)
		return r;
	*ret_state = v.state;
	virt_domain_done(&v);
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
		r = domsvc_call_failed(ds, c, "the start", name, r, &verr, err);
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
		r = domsvc_call_failed(ds, c, "the stop", name, r, &verr, err);
		log_warning("Domain '%s': stop failed: %s", name, err ? err->message : verr.message);
		return r;
	}
	log_info("Domain '%s' stopped", name);
	return 0;
}
