/*
 * assign-priv.h - the assignment service's rules as pure functions (assign-plan.c), for
 * assign.c and the unit tests. Not for other modules: they use assign.h.
 */
#pragma once

#include "assign.h"
#include "bind.h"

/* True while @a holds its devices (active, detached or orphaned). */
bool asg_state_is_live(enum asg_state s);
int asg_state_from_string(const char *s, enum asg_state *ret);

/*
 * The devices an assignment of @addr takes, from the binder's plan of its group: @addr first,
 * then the group's other endpoints (its companions: a GPU's audio function) in address order;
 * bridges and ports stay with the host. Fills a->address, a->group, a->devices. -EINVAL
 * (bad_request) when @addr is itself a bridge, -E2BIG (not_viable) past ASG_MAX_DEVICES.
 */
int asg_plan_devices(const struct bind_plan *plan, const char *addr, struct asg_assignment *a,
		     struct pd_error *err);

/*
 * Refuse @want when a live assignment in @all holds one of its devices: the device itself or a
 * companion for the same domain is "already assigned", one for another domain would "split the
 * group across domains". -EBUSY (conflict) either way.
 */
int asg_check_live(const struct asg_assignment *all, size_t n, const struct asg_assignment *want,
		   struct pd_error *err);

/*
 * Refuse @want when libvirt already has one of its devices as a hostdev (passd never adds a
 * device a second time nor takes one over): in another domain, a split; in @want's domain, a
 * hostdev passd did not add. -EBUSY (conflict).
 */
int asg_check_domains(const struct domain_info *doms, size_t n, const struct asg_assignment *want,
		      struct pd_error *err);

/*
 * The reconcile rule: compare the live assignments of @all (n) with libvirt's @doms. Every
 * assignment whose domain is missing gets ORPHANED in new_state[i], whose hostdev is missing
 * DETACHED (active ones only; others keep their state); every hostdev in no live assignment
 * is drift. new_state[i] is @all[i].state when nothing changes. *ret_drift is owned (free()).
 */
int asg_reconcile(const struct asg_assignment *all, size_t n, const struct domain_info *doms,
		  size_t n_doms, enum asg_state *new_state, struct asg_drift **ret_drift,
		  size_t *ret_n);
