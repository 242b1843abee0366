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

int sriovsvc_set(struct sysfs *s, struct inv *inv, const char *addr, int n, bool dry_run,
		 bool force, struct sriov_plan *plan, struct pd_error *err)
{
	const struct pd_device *pf = inv_find_device(inv, addr);
	const struct pd_device *const *vfs;
	struct pd_error scan_err = PD_ERROR_INIT;
	size_t nvfs;
	int r;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->pf, sizeof(plan->pf), "%s", addr);
	if (!pf || pf->gone)
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s", addr);
	if (pf->sriov_total_vfs < 0)
		return pd_error_set(err, PD_ERR_CONFLICT, -EOPNOTSUPP,
				    "%s is not an SR-IOV physical function", addr);
	plan->total = pf->sriov_total_vfs;
	plan->before = pf->sriov_num_vfs < 0 ? 0 : pf->sriov_num_vfs;
	plan->after = n;
	if (n < 0 || n > plan->total)
		return pd_error_set(err, PD_ERR_BAD_REQUEST, -ERANGE,
				    "num_vfs must be from 0 to %d (sriov_totalvfs of %s)", plan->total,
				    addr);
	if (n == plan->before)
		return 0; /* idempotent: nothing to write */

	if (plan->before > 0 && n > 0)
		plan->steps[plan->writes++] = 0; /* the kernel wants 0 in between */
	plan->steps[plan->writes++] = (unsigned)n;

	/* Removing VFs: the ones a VM may be using (on vfio-pci) need force. */
	nvfs = inv_device_vfs(inv, pf, &vfs);
	for (size_t i = 0; i < nvfs; i++)
		if (grp_driver_is_vfio(vfs[i]->driver) && vfs[i]->driver[0] &&
		    (plan->writes == 2 || (int)i >= n) && plan->n_in_use < 4)
			snprintf(plan->in_use[plan->n_in_use++], PCI_ADDR_LEN + 1, "%s",
				 vfs[i]->address);
	if (dry_run)
		return 0;
	if (plan->n_in_use > 0 && !force)
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "%s is on vfio-pci and would be removed; unbind it first or pass force",
				    plan->in_use[0]);

	r = 0;
	for (unsigned i = 0; i < plan->writes; i++) {
		r = sysfs_pci_set_numvfs(s, addr, plan->steps[i]);
		if (r < 0) {
			kernel_error(err, r, addr, plan->steps[i]);
			if (i > 0) {
				/* Went through 0 and the new count failed: put the old one back. */
				int u = sysfs_pci_set_numvfs(s, addr, (unsigned)plan->before);
				if (u < 0)
					log_warning("Restoring %d VFs on '%s' failed, it has none now: %s",
						    plan->before, addr, strerror(-u));
			}
			break;
		}
	}
	if (inv_scan(inv, &scan_err) < 0)
		log_warning("Rescan after changing VFs of '%s' failed: %s", addr, scan_err.message);
	if (r < 0)
		return log_error_errno(r, "Setting %d VFs on '%s' failed: %s", n, addr,
				       err ? err->message : "");
	plan->done = true;
	log_info("PF '%s': %d -> %d VFs", addr, plan->before, n);
	return 0;
}
