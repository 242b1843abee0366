/*
 * bind-start.c - the binder at start: moves a crashed passd left half-done are put back
 * (intents), the bindings and VF counts the database keeps are applied again, and what no
 * longer matches is reported as drift.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind-priv.h"
#include "db/db.h"
#include "events.h"
#include "inventory.h"
#include "log.h"
#include "sriov.h"
#include "sysfs/sysfs.h"

/* Put one device back to @driver and @override, from wherever a crash left it. */
static int restore_device(struct sysfs *s, const struct db_intent_step *st)
{
	struct bind_step b = { 0 };

	snprintf(b.address, sizeof(b.address), "%s", st->address);
	snprintf(b.driver_before, sizeof(b.driver_before), "%s", st->driver_before);
	snprintf(b.override_before, sizeof(b.override_before), "%s", st->override_before);
	/* We do not know how far the step got: undo as if it had done everything. */
	b.override_written = b.unbound = b.probed = true;
	return bind_step_undo(s, &b);
}

/* Put every device of a bind or unbind @it back, in reverse; < 0 when one could not be. */
static int restore_intent(struct bindsvc *bs, const struct db_intent *it)
{
	int first = 0;

	for (size_t j = it->n_steps; j-- > 0;) {
		int u = restore_device(bs->sysfs, &it->steps[j]);
		if (u == -ENOENT) {
			log_warning("Device '%s' is gone, nothing to put back, continuing",
				    it->steps[j].address);
		} else if (u < 0) {
			if (!first)
				first = u;
			log_warning("Putting '%s' back on %s failed: %s", it->steps[j].address,
				    it->steps[j].driver_before[0] ? it->steps[j].driver_before
								  : "no driver",
				    strerror(-u));
		}
	}
	return first;
}

int bindsvc_recover(struct bindsvc *bs, unsigned *ret_n)
{
	struct pd_error err = PD_ERROR_INIT;
	struct db_intent *a = NULL;
	size_t n = 0;
	int r;

	r = db_intent_list_pending(bs->db, &a, &n, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot read the intent log: %s", err.message);

	bind_set_crash_op("recover");
	for (size_t i = 0; i < n; i++) {
		struct db_intent *it = &a[i];
		bool failed = false;

		if (streq(it->kind, "sriov")) {
			/* Back to the count before: its VFs' bindings, still recorded, follow at reconcile. */
			int u = sriovsvc_recover(bs->sysfs, it);
			if (u < 0) {
				failed = true;
				log_warning("Putting %d VF(s) back on '%s' failed: %s",
					    it->num_vfs_before, it->address, strerror(-u));
			}
		} else {
			log_warning("Found the %s of group %d (%s) interrupted by a crash; putting its %zu device(s) back",
				    it->kind, it->group, it->address, it->n_steps);
			failed = restore_intent(bs, it) < 0;
		}
		r = db_intent_finish(bs->db, it->id, failed ? "failed" : "recovered",
				     failed ? "recovery could not restore every device" : NULL, &err);
		bind_crash_point("recover");
		if (r < 0) {
			db_intent_array_free(a, n);
			return log_error_errno(r, "Cannot close intent %lld: %s", (long long)it->id,
					       err.message);
		}
	}
	db_intent_array_free(a, n);
	*ret_n = (unsigned)n;
	return 0;
}

const char *bind_drift_kind_to_string(enum bind_drift_kind k)
{
	switch (k) {
	case BIND_DRIFT_BINDING:
		return "binding";
	case BIND_DRIFT_VF_COUNT:
		return "vf_count";
	}
	return "unknown";
}

int bindsvc_add_drift(struct bindsvc *bs, enum bind_drift_kind kind, const char *addr,
		      const char *fmt, ...)
{
	struct bind_drift *nd = realloc(bs->drift, (bs->n_drift + 1) * sizeof(*nd));
	va_list ap;

	if (!nd)
		return -ENOMEM;
	bs->drift = nd;
	nd = &bs->drift[bs->n_drift++];
	nd->kind = kind;
	snprintf(nd->address, sizeof(nd->address), "%s", addr);
	va_start(ap, fmt);
	vsnprintf(nd->reason, sizeof(nd->reason), fmt, ap);
	va_end(ap);
	log_warning("Drift at '%s': %s", addr, nd->reason);
	events_publish("drift_found", json_pack("{s:s, s:s, s:s}", "kind", bind_drift_kind_to_string(kind),
						"address", addr, "reason", nd->reason));
	return 0;
}

static bool same_identity(const struct db_binding *b, const struct pd_device *d)
{
	return streq(b->vendor_id, d->vendor_id) && streq(b->device_id, d->device_id) &&
	       streq(b->subsystem_vendor_id, d->subsystem_vendor_id) &&
	       streq(b->subsystem_device_id, d->subsystem_device_id);
}

static bool is_bound_in(const struct db_binding *a, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (!a[i].gone && streq(a[i].address, addr))
			return true;
	return false;
}

int bindsvc_reconcile(struct bindsvc *bs)
{
	_cleanup_free_ struct db_binding *a = NULL;
	struct pd_error err = PD_ERROR_INIT;
	size_t n = 0;
	int r;

	free(bs->drift);
	bs->drift = NULL;
	bs->n_drift = 0;
	bs->reapplied = 0;
	bs->vfs_reapplied = 0;

	/* VFs first: their bindings can only be re-applied once they exist again. */
	r = bindsvc_reconcile_vfs(bs);
	if (r < 0)
		return r; /* logged */
	r = db_binding_list(bs->db, &a, &n, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot read the bindings: %s", err.message);

	for (size_t i = 0; i < n; i++) {
		const struct pd_device *d = inv_find_device(bs->inv, a[i].address);
		_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
		struct pd_error berr = PD_ERROR_INIT;

		if (a[i].gone || !d || d->gone) {
			r = bindsvc_add_drift(bs, BIND_DRIFT_BINDING, a[i].address, "bound to vfio-pci by passd, but gone from the host");
		} else if (!same_identity(&a[i], d)) {
			r = bindsvc_add_drift(bs, BIND_DRIFT_BINDING, a[i].address,
				      "bound to vfio-pci by passd as %s:%s, but %s:%s is there now; not rebinding it",
				      a[i].vendor_id, a[i].device_id, d->vendor_id, d->device_id);
		} else if (streq(d->driver, VFIO_DRIVER)) {
			continue;
		} else {
			/* The kernel forgot it (reboot, rescan): bind its group again. */
			r = bindsvc_run(bs, a[i].address, BIND_KIND_BIND, false, false, &plan, &berr);
			if (r >= 0) {
				bs->reapplied++;
				log_info("Re-applied the binding of '%s' to vfio-pci", a[i].address);
				continue;
			}
			r = bindsvc_add_drift(bs, BIND_DRIFT_BINDING, a[i].address, "bound to vfio-pci by passd, but re-binding failed: %s",
				      berr.message);
		}
		if (r < 0)
			return log_error_errno(r, "Out of memory while reconciling");
	}

	/* On vfio-pci without passd having bound it: someone else did; say so, touch nothing. */
	for (size_t i = 0; i < inv_device_count(bs->inv); i++) {
		const struct pd_device *d = inv_device_at(bs->inv, i);
		if (!streq(d->driver, VFIO_DRIVER) || is_bound_in(a, n, d->address))
			continue;
		r = bindsvc_add_drift(bs, BIND_DRIFT_BINDING, d->address, "on vfio-pci, but not bound by passd");
		if (r < 0)
			return log_error_errno(r, "Out of memory while reconciling");
	}
	if (bs->reapplied || bs->vfs_reapplied || bs->n_drift)
		log_notice("Reconciled: %u VF count(s) and %u binding(s) re-applied, %zu drift(s) reported",
			   bs->vfs_reapplied, bs->reapplied, bs->n_drift);
	return 0;
}

unsigned bindsvc_get_reapplied(const struct bindsvc *bs)
{
	return bs->reapplied;
}

unsigned bindsvc_get_vfs_reapplied(const struct bindsvc *bs)
{
	return bs->vfs_reapplied;
}

size_t bindsvc_get_drift(const struct bindsvc *bs, const struct bind_drift **ret)
{
	*ret = bs->drift;
	return bs->n_drift;
}
