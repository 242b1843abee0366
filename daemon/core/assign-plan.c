/*
 * assign-plan.c - the assignment service's rules, pure: which devices an assignment takes, which
 * conflicts refuse it, the canonical request of Idempotency-Key, and the reconcile with libvirt.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign-priv.h"

static const char *const state_names[_ASG_STATE_MAX] = {
	[ASG_STATE_ACTIVE] = "active",	   [ASG_STATE_DETACHED] = "detached",
	[ASG_STATE_ORPHANED] = "orphaned", [ASG_STATE_RELEASED] = "released",
	[ASG_STATE_FAILED] = "failed",
};

const char *asg_state_to_string(enum asg_state s)
{
	return (unsigned)s < _ASG_STATE_MAX ? state_names[s] : "unknown";
}

int asg_state_from_string(const char *s, enum asg_state *ret)
{
	for (size_t i = 0; i < _ASG_STATE_MAX; i++)
		if (streq(s, state_names[i])) {
			*ret = (enum asg_state)i;
			return 0;
		}
	return -EINVAL;
}

bool asg_state_is_live(enum asg_state s)
{
	switch (s) {
	case ASG_STATE_ACTIVE:
	case ASG_STATE_DETACHED:
	case ASG_STATE_ORPHANED:
		return true;
	case ASG_STATE_RELEASED:
	case ASG_STATE_FAILED:
	case _ASG_STATE_MAX:
		return false;
	}
	return false;
}

const char *asg_drift_kind_to_string(enum asg_drift_kind k)
{
	switch (k) {
	case ASG_DRIFT_UNMANAGED_HOSTDEV:
		return "unmanaged_hostdev";
	case ASG_DRIFT_MISSING_HOSTDEV:
		return "missing_hostdev";
	case ASG_DRIFT_MISSING_DOMAIN:
		return "missing_domain";
	}
	return "unknown";
}

int asg_plan_devices(const struct bind_plan *plan, const char *addr, struct asg_assignment *a,
		     struct pd_error *err)
{
	size_t n = 1;

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *st = &plan->steps[i];
		if (streq(st->address, addr) && st->action == BIND_ACTION_SKIP_BRIDGE)
			return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL,
					    "%s is a PCI bridge or port: it stays with the host; assign an endpoint of group %d",
					    addr, plan->group);
	}
	snprintf(a->address, sizeof(a->address), "%s", addr);
	snprintf(a->devices[0], sizeof(a->devices[0]), "%s", addr);
	a->group = plan->group;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *st = &plan->steps[i];
		if (st->action == BIND_ACTION_SKIP_BRIDGE || streq(st->address, addr))
			continue;
		if (n >= ASG_MAX_DEVICES)
			return pd_error_set(err, PD_ERR_NOT_VIABLE, -E2BIG,
					    "group %d has more than %d endpoints; passd assigns at most %d together",
					    plan->group, ASG_MAX_DEVICES, ASG_MAX_DEVICES);
		snprintf(a->devices[n++], sizeof(a->devices[0]), "%s", st->address);
	}
	a->n_devices = n;
	return 0;
}

static bool holds(const struct asg_assignment *a, const char *addr)
{
	for (size_t i = 0; i < a->n_devices; i++)
		if (streq(a->devices[i], addr))
			return true;
	return false;
}

int asg_check_live(const struct asg_assignment *all, size_t n, const struct asg_assignment *want,
		   struct pd_error *err)
{
	/* The device itself first: the most useful message when it is taken. */
	for (size_t i = 0; i < n; i++)
		if (asg_state_is_live(all[i].state) && holds(&all[i], want->address))
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "device %s is already assigned to domain '%s' (assignment %lld, %s); release it first",
					    want->address, all[i].domain, (long long)all[i].id,
					    asg_state_to_string(all[i].state));
	for (size_t i = 0; i < n; i++) {
		if (!asg_state_is_live(all[i].state))
			continue;
		for (size_t j = 1; j < want->n_devices; j++) {
			if (!holds(&all[i], want->devices[j]))
				continue;
			if (streq(all[i].domain, want->domain))
				return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
						    "device %s of group %d is already assigned to domain '%s' (assignment %lld)",
						    want->devices[j], want->group, all[i].domain,
						    (long long)all[i].id);
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "group %d would be split across domains: its device %s is assigned to domain '%s' (assignment %lld), and a group goes to one domain only",
					    want->group, want->devices[j], all[i].domain,
					    (long long)all[i].id);
		}
	}
	return 0;
}

int asg_check_domains(const struct domain_info *doms, size_t n, const struct asg_assignment *want,
		      struct pd_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t h = 0; h < doms[i].n_hostdevs; h++) {
			const char *addr = doms[i].hostdevs[h];
			if (!holds(want, addr))
				continue;
			if (streq(doms[i].name, want->domain))
				return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
						    "device %s is already a hostdev of domain '%s', added outside passd; remove it there first",
						    addr, doms[i].name);
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "group %d would be split across domains: its device %s is a hostdev of domain '%s'",
					    want->group, addr, doms[i].name);
		}
	return 0;
}

static const struct domain_info *find_domain(const struct domain_info *doms, size_t n,
					     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(doms[i].name, name))
			return &doms[i];
	return NULL;
}

static bool domain_has(const struct domain_info *d, const char *addr)
{
	for (size_t h = 0; h < d->n_hostdevs; h++)
		if (streq(d->hostdevs[h], addr))
			return true;
	return false;
}

static int add_drift(struct asg_drift **arr, size_t *n, enum asg_drift_kind kind,
		     const char *addr, const char *domain, int64_t id)
{
	struct asg_drift *p = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!p)
		return -ENOMEM;
	*arr = p;
	p[*n] = (struct asg_drift){ .kind = kind, .assignment_id = id };
	snprintf(p[*n].address, sizeof(p[*n].address), "%s", addr);
	snprintf(p[*n].domain, sizeof(p[*n].domain), "%s", domain);
	(*n)++;
	return 0;
}

int asg_reconcile(const struct asg_assignment *all, size_t n, const struct domain_info *doms,
		  size_t n_doms, enum asg_state *new_state, struct asg_drift **ret_drift,
		  size_t *ret_n)
{
	_cleanup_free_ struct asg_drift *drift = NULL;
	size_t nd = 0;
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct domain_info *d;

		new_state[i] = all[i].state;
		if (!asg_state_is_live(all[i].state))
			continue;
		d = find_domain(doms, n_doms, all[i].domain);
		if (!d) {
			new_state[i] = ASG_STATE_ORPHANED;
			r = add_drift(&drift, &nd, ASG_DRIFT_MISSING_DOMAIN, all[i].address,
				      all[i].domain, all[i].id);
			continue;
		}
		for (size_t j = 0; j < all[i].n_devices && r >= 0; j++)
			if (!domain_has(d, all[i].devices[j])) {
				if (all[i].state == ASG_STATE_ACTIVE)
					new_state[i] = ASG_STATE_DETACHED;
				r = add_drift(&drift, &nd, ASG_DRIFT_MISSING_HOSTDEV,
					      all[i].devices[j], all[i].domain, all[i].id);
			}
	}
	for (size_t i = 0; i < n_doms && r >= 0; i++)
		for (size_t h = 0; h < doms[i].n_hostdevs && r >= 0; h++) {
			bool managed = false;
			for (size_t k = 0; k < n && !managed; k++)
				managed = asg_state_is_live(all[k].state) &&
					  streq(all[k].domain, doms[i].name) &&
					  holds(&all[k], doms[i].hostdevs[h]);
			if (!managed)
				r = add_drift(&drift, &nd, ASG_DRIFT_UNMANAGED_HOSTDEV,
					      doms[i].hostdevs[h], doms[i].name, 0);
		}
	if (r < 0)
		return r;
	*ret_drift = TAKE_PTR(drift);
	*ret_n = nd;
	return 0;
}

size_t asg_request_canonical(const struct asg_request *req, char out[static ASG_REQUEST_CANON_MAX])
{
	int n;

	/*
	 * The canonical form of the request: the body's meaning, not its bytes, so key order,
	 * spacing and a "start": false left out make no difference. The version prefix changes
	 * with the form or the hash over it (asg1 was FNV-1a, 16 hex digits).
	 */
	n = snprintf(out, ASG_REQUEST_CANON_MAX,
		     "asg2\ndevice=%s\ndomain=%s\nstart=%d\nforce=%d\ndry_run=%d\n%s", req->device,
		     req->domain, req->start, req->force, req->dry_run,
		     req->paused ? "paused=1\n" : "");
	/* Cannot truncate: the fields are bounded (PCI_ADDR_LEN, DOMAIN_NAME_MAX). */
	if (n < 0)
		return 0;
	return (size_t)n < ASG_REQUEST_CANON_MAX ? (size_t)n : ASG_REQUEST_CANON_MAX - 1;
}
