#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind-priv.h"
#include "db/db.h"
#include "groups.h"
#include "inventory.h"
#include "log.h"
#include "sriov.h"
#include "sysfs/sysfs.h"

static int kernel_error(struct pd_error *err, int r, const char *pf, unsigned n)
{
	/* ENOENT: the PF has no driver; EBUSY: VFs in use or another count set (drivers/pci/iov.c). */
	if (r == -ENOENT)
		return pd_error_set(err, PD_ERR_CONFLICT, r,
				    "%s has no driver: a PF needs its host driver to create VFs", pf);
	if (r == -EBUSY)
		return pd_error_set(err, PD_ERR_CONFLICT, r,
				    "the kernel refused %u VFs on %s: device or resource busy", n, pf);
	return pd_error_set(err, PD_ERR_INTERNAL, r, "setting %u VFs on %s: %s", n, pf, strerror(-r));
}

/* Why removing @vf would take it from someone, or NULL. */
static const char *vf_in_use(const struct inv *inv, const struct pd_device *vf)
{
	struct inv_critical crit;

	if (inv_device_state(inv, vf) == INV_STATE_ASSIGNED)
		return "assigned to a VM";
	if (grp_driver_is_vfio(vf->driver) && vf->driver[0])
		return "on vfio-pci";
	crit = inv_device_critical(inv, vf);
	if (crit.critical)
		return crit.reason ? crit.reason : "needed by the host";
	return NULL;
}

/* sriov_numvfs as the kernel shows it now, into *ret. */
static int read_count(struct sysfs *s, const char *addr, int *ret)
{
	struct pd_device d;
	int r;

	r = sysfs_pci_read_device(s, addr, &d);
	if (r < 0)
		return r;
	r = d.sriov_num_vfs;
	pd_device_clear(&d);
	if (r < 0)
		return -EIO;
	*ret = r;
	return 0;
}

void sriov_plan_clear(struct sriov_plan *plan)
{
	if (!plan)
		return;
	free(plan->vfs);
	memset(plan, 0, sizeof(*plan));
}

int sriovsvc_plan(struct sysfs *s, const struct inv *inv, const char *addr, int n, bool dry_run,
		  bool force, struct sriov_plan *plan, struct pd_error *err)
{
	const struct pd_device *pf = inv_find_device(inv, addr);
	const struct pd_device *const *vfs;
	struct pd_device now;
	size_t nvfs;
	int r;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->pf, sizeof(plan->pf), "%s", addr);
	plan->group = -1;
	if (!pf || pf->gone)
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s", addr);
	if (pf->physfn[0])
		return pd_error_set(err, PD_ERR_CONFLICT, -EOPNOTSUPP,
				    "%s is a VF (of %s): only a physical function has VFs", addr,
				    pf->physfn);
	if (pf->sriov_total_vfs < 0)
		return pd_error_set(err, PD_ERR_CONFLICT, -EOPNOTSUPP,
				    "%s is not an SR-IOV physical function", addr);
	plan->group = pf->iommu_group;
	/* The inventory may be a rescan old: the count and the driver come from sysfs. */
	r = sysfs_pci_read_device(s, addr, &now);
	if (r < 0)
		return pd_error_set(err, r == -ENOENT ? PD_ERR_NOT_FOUND : PD_ERR_INTERNAL, r,
				    "reading %s failed: %s", addr, strerror(-r));
	plan->total = now.sriov_total_vfs >= 0 ? now.sriov_total_vfs : pf->sriov_total_vfs;
	plan->before = now.sriov_num_vfs < 0 ? 0 : now.sriov_num_vfs;
	plan->now = plan->before;
	plan->after = n;
	if (n < 0 || n > plan->total) {
		pd_device_clear(&now);
		return pd_error_set(err, PD_ERR_BAD_REQUEST, -ERANGE,
				    "num_vfs must be from 0 to %d (sriov_totalvfs of %s)", plan->total,
				    addr);
	}
	if (n == plan->before) {
		pd_device_clear(&now);
		return 0; /* idempotent: nothing to write (the kernel does the same first) */
	}
	/* sriov_numvfs_store() wants a driver with sriov_configure: ENOENT otherwise. */
	if (!now.driver[0] || grp_driver_is_vfio(now.driver)) {
		if (now.driver[0])
			r = pd_error_set(err, PD_ERR_CONFLICT, -ENOENT,
					 "%s is on %s, which cannot create VFs: give it back to its host driver (unbind) first",
					 addr, now.driver);
		else
			r = pd_error_set(err, PD_ERR_CONFLICT, -ENOENT,
					 "%s has no driver: a PF needs its host driver to create or remove VFs",
					 addr);
		pd_device_clear(&now);
		return r;
	}
	pd_device_clear(&now);

	if (plan->before > 0 && n > 0)
		plan->steps[plan->writes++] = 0; /* the kernel wants 0 in between */
	plan->steps[plan->writes++] = (unsigned)n;

	/* Every change removes the current VFs (directly, or through 0): none may be in use. */
	nvfs = inv_device_vfs(inv, pf, &vfs);
	plan->vfs = calloc(nvfs ? nvfs : 1, sizeof(*plan->vfs));
	if (!plan->vfs)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	plan->n_vfs = nvfs;
	for (size_t i = 0; i < nvfs; i++) {
		const char *why = vf_in_use(inv, vfs[i]);

		snprintf(plan->vfs[i].address, sizeof(plan->vfs[i].address), "%s", vfs[i]->address);
		snprintf(plan->vfs[i].driver, sizeof(plan->vfs[i].driver), "%s", vfs[i]->driver);
		plan->vfs[i].group = vfs[i]->iommu_group;
		if (!why)
			continue;
		if (plan->n_in_use < ELEMENTSOF(plan->in_use)) {
			snprintf(plan->in_use[plan->n_in_use], PCI_ADDR_LEN + 1, "%s",
				 vfs[i]->address);
			snprintf(plan->in_use_reason[plan->n_in_use], sizeof(plan->in_use_reason[0]),
				 "%s", why);
		}
		plan->n_in_use++;
	}
	if (dry_run)
		return 0;
	if (plan->n_in_use > 0 && !force)
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "changing the VFs of %s removes %zu VF(s) in use: %s (%s)%s; stop using them (unbind) or pass force",
				    addr, plan->n_in_use, plan->in_use[0], plan->in_use_reason[0],
				    plan->n_in_use > 1 ? " and more" : "");
	return 0;
}

static void wlock(void *lock)
{
	if (lock)
		pthread_mutex_lock(lock);
}

static void wunlock(void *lock)
{
	if (lock)
		pthread_mutex_unlock(lock);
}

/* One sriov_numvfs write, a side effect the crash hook counts. */
static int w_numvfs(struct sysfs *s, const char *addr, unsigned n, const char *op)
{
	int r = sysfs_pci_set_numvfs(s, addr, n);

	bind_crash_point(op);
	return r;
}

/* Record the intent of @plan: the counts, and the VFs it removes with their drivers. */
static int write_intent(struct db *db, void *lock, const struct sriov_plan *plan,
			int64_t *ret_id, struct pd_error *err)
{
	_cleanup_free_ struct db_intent_step *steps = calloc(plan->n_vfs ? plan->n_vfs : 1,
							     sizeof(*steps));
	int r;

	if (!steps)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_vfs; i++) {
		snprintf(steps[i].address, sizeof(steps[i].address), "%s", plan->vfs[i].address);
		snprintf(steps[i].driver_before, sizeof(steps[i].driver_before), "%s",
			 plan->vfs[i].driver);
	}
	wlock(lock);
	r = db_intent_begin_sriov(db, plan->pf, plan->group, plan->before, plan->after, steps,
				  plan->n_vfs, ret_id, err);
	wunlock(lock);
	return r;
}

int sriovsvc_execute(struct sysfs *s, struct db *db, void *lock, struct sriov_plan *plan,
		     struct pd_error *err)
{
	const char *addr = plan->pf;
	struct pd_error db_err = PD_ERROR_INIT;
	int64_t intent = -1;
	int r, end;

	if (plan->n_in_use > 0)
		log_warning("Forced: removing %zu VF(s) in use from '%s', first '%s' (%s)",
			    plan->n_in_use, addr, plan->in_use[0], plan->in_use_reason[0]);
	r = write_intent(db, lock, plan, &intent, err);
	if (r < 0)
		return log_error_errno(r, "VF change of '%s' not started: %s", addr,
				       err ? err->message : "");
	bind_crash_point("sriov");

	for (unsigned i = 0; i < plan->writes; i++) {
		plan->writes_tried++;
		r = w_numvfs(s, addr, plan->steps[i], "sriov");
		if (r < 0) {
			kernel_error(err, r, addr, plan->steps[i]);
			if (i > 0) {
				/* Went through 0 and the new count failed: put the old one back. */
				plan->restore_tried = true;
				plan->restore_error =
					w_numvfs(s, addr, (unsigned)plan->before, "sriov");
				if (plan->restore_error < 0)
					log_warning("Restoring %d VFs on '%s' failed, it has none now: %s",
						    plan->before, addr, strerror(-plan->restore_error));
			}
			break;
		}
		plan->writes_done++;
		if (i + 1 < plan->writes) {
			/* Only a log line: recovery puts the old count back from any step. */
			wlock(lock);
			end = db_intent_progress(db, intent, (int)plan->writes_done, &db_err);
			wunlock(lock);
			if (end < 0)
				log_warning("Recording the progress of the VF change of '%s' failed, ignoring: %s",
					    addr, db_err.message);
			bind_crash_point("sriov");
		}
	}
	/* The write's return is not the whole truth: read the count back (iov.c may give fewer). */
	if (read_count(s, addr, &plan->now) < 0)
		plan->now = -1;
	if (r >= 0 && plan->now != plan->after)
		r = pd_error_set(err, PD_ERR_INTERNAL, -EIO,
				 "the kernel accepted %d VFs on %s but shows %d", plan->after, addr,
				 plan->now);

	wlock(lock);
	end = db_intent_finish(db, intent,
			       r >= 0			    ? "done"
			       : plan->now == plan->before ? "rolled_back"
							    : "failed",
			       r < 0 && err ? err->message : NULL, &db_err);
	wunlock(lock);
	if (end < 0)
		log_warning("Recording the end of the VF change of '%s' failed: %s", addr,
			    db_err.message);
	if (r < 0)
		return log_error_errno(r, "Setting %d VFs on '%s' (it had %d) failed: %s; it has %d now",
				       plan->after, addr, plan->before, err ? err->message : "",
				       plan->now);
	bind_crash_point("sriov");
	plan->done = true;
	log_info("PF '%s': %d -> %d VFs", addr, plan->before, plan->after);
	return 0;
}

int sriovsvc_set(struct sysfs *s, struct db *db, struct inv *inv, const char *addr, int n,
		 bool dry_run, bool force, struct sriov_plan *plan, struct pd_error *err)
{
	struct pd_error scan_err = PD_ERROR_INIT;
	int r;

	r = sriovsvc_plan(s, inv, addr, n, dry_run, force, plan, err);
	if (r < 0 || dry_run || plan->writes == 0)
		return r;
	r = sriovsvc_execute(s, db, NULL, plan, err);
	if (inv_scan(inv, &scan_err) < 0)
		log_warning("Rescan after changing VFs of '%s' failed: %s", addr, scan_err.message);
	return r;
}

int sriovsvc_recover(struct sysfs *s, const struct db_intent *it)
{
	int before = it->num_vfs_before, now, r;

	log_warning("Found the VF change of '%s' from %d to %d VFs interrupted by a crash after %d write(s); putting %d VF(s) back",
		    it->address, before, it->num_vfs_after, it->progress, before);
	if (before < 0)
		return -EINVAL; /* not a VF change: the intent lacks its count */
	r = read_count(s, it->address, &now);
	if (r < 0)
		return r;
	if (now == before)
		return 0;
	/* From one non-zero count to another the kernel wants 0 in between. */
	if (now > 0) {
		r = w_numvfs(s, it->address, 0, "recover");
		if (r < 0)
			return r;
	}
	if (before > 0) {
		r = w_numvfs(s, it->address, (unsigned)before, "recover");
		if (r < 0)
			return r;
	}
	r = read_count(s, it->address, &now);
	if (r < 0)
		return r;
	return now == before ? 0 : -EIO;
}

static bool same_identity(const struct db_binding *b, const struct pd_device *d)
{
	return streq(b->vendor_id, d->vendor_id) && streq(b->device_id, d->device_id) &&
	       streq(b->subsystem_vendor_id, d->subsystem_vendor_id) &&
	       streq(b->subsystem_device_id, d->subsystem_device_id);
}

int bindsvc_reconcile_vfs(struct bindsvc *bs)
{
	_cleanup_free_ struct db_sriov_wanted *a = NULL;
	struct pd_error err = PD_ERROR_INIT;
	size_t n = 0;
	int r;

	r = db_sriov_wanted_list(bs->db, &a, &n, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot read the wanted VF counts: %s", err.message);

	for (size_t i = 0; i < n; i++) {
		const struct db_binding *w = &a[i].pf;
		const struct pd_device *d = inv_find_device(bs->inv, w->address);
		struct sriov_plan plan = { 0 };
		struct pd_error serr = PD_ERROR_INIT;

		/* Another card in the slot: the scan marked the wanted PF's row gone. */
		if (d && !d->gone && !same_identity(w, d)) {
			r = bindsvc_add_drift(bs, BIND_DRIFT_VF_COUNT, w->address,
					      "%d VFs wanted by passd on %s:%s, but %s:%s is there now; not creating VFs",
					      a[i].num_vfs, w->vendor_id, w->device_id, d->vendor_id,
					      d->device_id);
		} else if (w->gone || !d || d->gone) {
			r = bindsvc_add_drift(bs, BIND_DRIFT_VF_COUNT, w->address,
					      "SR-IOV PF with %d VFs wanted by passd, but gone from the host",
					      a[i].num_vfs);
		} else if (d->sriov_num_vfs == a[i].num_vfs) {
			continue;
		} else {
			/* A reboot starts from the firmware's count: create the wanted VFs again. */
			int had = d->sriov_num_vfs;

			r = sriovsvc_set(bs->sysfs, bs->db, bs->inv, w->address, a[i].num_vfs, false,
					 false, &plan, &serr);
			sriov_plan_clear(&plan);
			if (r >= 0) {
				bs->vfs_reapplied++;
				log_info("Re-applied %d VFs on '%s' (it had %d)", a[i].num_vfs,
					 w->address, had);
				continue;
			}
			r = bindsvc_add_drift(bs, BIND_DRIFT_VF_COUNT, w->address,
					      "%d VFs wanted by passd, %d there; re-applying failed: %s",
					      a[i].num_vfs, had < 0 ? 0 : had, serr.message);
		}
		if (r < 0)
			return log_error_errno(r, "Out of memory while reconciling");
	}
	return 0;
}
