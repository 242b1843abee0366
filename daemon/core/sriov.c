#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int sriovsvc_set(struct sysfs *s, struct inv *inv, const char *addr, int n, bool dry_run,
		 bool force, struct sriov_plan *plan, struct pd_error *err)
{
	const struct pd_device *pf = inv_find_device(inv, addr);
	const struct pd_device *const *vfs;
	struct pd_error scan_err = PD_ERROR_INIT;
	struct pd_device now;
	size_t nvfs;
	int r;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->pf, sizeof(plan->pf), "%s", addr);
	if (!pf || pf->gone)
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s", addr);
	if (pf->physfn[0])
		return pd_error_set(err, PD_ERR_CONFLICT, -EOPNOTSUPP,
				    "%s is a VF (of %s): only a physical function has VFs", addr,
				    pf->physfn);
	if (pf->sriov_total_vfs < 0)
		return pd_error_set(err, PD_ERR_CONFLICT, -EOPNOTSUPP,
				    "%s is not an SR-IOV physical function", addr);
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
	for (size_t i = 0; i < nvfs; i++) {
		const char *why = vf_in_use(inv, vfs[i]);

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
	if (plan->n_in_use > 0)
		log_warning("Forced: removing %zu VF(s) in use from '%s', first '%s' (%s)",
			    plan->n_in_use, addr, plan->in_use[0], plan->in_use_reason[0]);

	r = 0;
	for (unsigned i = 0; i < plan->writes; i++) {
		plan->writes_tried++;
		r = sysfs_pci_set_numvfs(s, addr, plan->steps[i]);
		if (r < 0) {
			kernel_error(err, r, addr, plan->steps[i]);
			if (i > 0) {
				/* Went through 0 and the new count failed: put the old one back. */
				plan->restore_tried = true;
				plan->restore_error =
					sysfs_pci_set_numvfs(s, addr, (unsigned)plan->before);
				if (plan->restore_error < 0)
					log_warning("Restoring %d VFs on '%s' failed, it has none now: %s",
						    plan->before, addr, strerror(-plan->restore_error));
			}
			break;
		}
		plan->writes_done++;
	}
	/* The write's return is not the whole truth: read the count back (iov.c may give fewer). */
	if (read_count(s, addr, &plan->now) < 0)
		plan->now = -1;
	if (r >= 0 && plan->now != n)
		r = pd_error_set(err, PD_ERR_INTERNAL, -EIO,
				 "the kernel accepted %d VFs on %s but shows %d", n, addr, plan->now);
	if (inv_scan(inv, &scan_err) < 0)
		log_warning("Rescan after changing VFs of '%s' failed: %s", addr, scan_err.message);
	if (r < 0)
		return log_error_errno(r, "Setting %d VFs on '%s' (it had %d) failed: %s; it has %d now",
				       n, addr, plan->before, err ? err->message : "", plan->now);
	plan->done = true;
	log_info("PF '%s': %d -> %d VFs", addr, plan->before, n);
	return 0;
}
