#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bind-priv.h"
#include "db/db.h"
#include "events.h"
#include "groups.h"
#include "inventory.h"
#include "log.h"
#include "sriov.h"
#include "sysfs/sysfs.h"


#ifdef PASSD_TEST_HOOKS
/*
 * PASSD_PAUSE_AT=OP:K:FILE stops operation OP after its K-th side effect (counted as for
 * PASSD_CRASH_AT): passd creates FILE and waits until it is removed, 10 s at most, so that a
 * test can change the real kernel between two steps of a group move.
 */
static void pause_point(const char *op)
{
	static int target = -2, count;
	static char want[16], file[256];
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int fd;

	if (target == -2) {
		const char *e = getenv("PASSD_PAUSE_AT");
		const char *c1 = e ? strchr(e, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		target = -1;
		if (c2 && (size_t)(c1 - e) < sizeof(want) && strlen(c2 + 1) < sizeof(file)) {
			memcpy(want, e, (size_t)(c1 - e));
			want[c1 - e] = '\0';
			target = atoi(c1 + 1);
			snprintf(file, sizeof(file), "%s", c2 + 1);
		}
	}
	if (target <= 0 || !streq(op, want) || ++count != target)
		return;
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	log_notice("PASSD_PAUSE_AT=%s:%d reached, waiting until %s is removed", op, target, file);
	for (int i = 0; i < 1000 && access(file, F_OK) == 0; i++)
		nanosleep(&tick, NULL);
}

/*
 * PASSD_CRASH_AT=OP:K kills passd (exit 137, as SIGKILL would) right after the K-th side
 * effect of operation OP (bind, unbind, sriov, recover): the intent record, each sysfs write
 * (and, for sriov, the progress record between two writes), the result record. Compiled
 * into developer builds only, so tests can crash at every step.
 */
static void crash_point(const char *op)
{
	static int target = -2, count;
	static char want[16];

	pause_point(op);
	if (target == -2) {
		const char *e = getenv("PASSD_CRASH_AT");
		const char *colon = e ? strchr(e, ':') : NULL;
		target = -1;
		if (colon && (size_t)(colon - e) < sizeof(want)) {
			memcpy(want, e, (size_t)(colon - e));
			want[colon - e] = '\0';
			target = atoi(colon + 1);
		}
	}
	if (target <= 0 || !streq(op, want))
		return;
	if (++count == target) {
		log_notice("PASSD_CRASH_AT=%s:%d reached, dying", op, target);
		_exit(137);
	}
}
#else
static inline void crash_point(const char *op)
{
}
#endif

void bind_crash_point(const char *op)
{
	crash_point(op);
}

int64_t bind_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void bind_plan_timing(const struct bind_plan *plan, struct bind_timing *ret)
{
	struct bind_timing sum = { 0 };

	for (size_t i = 0; plan && i < plan->n_steps; i++) {
		const struct bind_timing *t = &plan->steps[i].t;
		sum.override += t->override;
		sum.unbind += t->unbind;
		sum.probe += t->probe;
		sum.check += t->check;
	}
	*ret = sum;
}

int64_t bind_timing_sum(const struct bind_timing *t)
{
	return t->override + t->unbind + t->probe + t->check;
}

void bind_plan_free(struct bind_plan *plan)
{
	if (!plan)
		return;
	free(plan->steps);
	free(plan);
}

const char *bind_action_to_string(enum bind_action a)
{
	switch (a) {
	case BIND_ACTION_MOVE:
		return "move";
	case BIND_ACTION_KEEP:
		return "keep";
	case BIND_ACTION_SKIP_BRIDGE:
		return "bridge";
	}
	return "unknown";
}

const char *bind_outcome_to_string(enum bind_outcome o)
{
	switch (o) {
	case BIND_OUTCOME_PLANNED:
		return "planned";
	case BIND_OUTCOME_DONE:
		return "done";
	case BIND_OUTCOME_UNCHANGED:
		return "unchanged";
	case BIND_OUTCOME_ROLLED_BACK:
		return "rolled_back";
	case BIND_OUTCOME_ROLLBACK_FAILED:
		return "rollback_failed";
	case BIND_OUTCOME_NOT_STARTED:
		return "not_started";
	case BIND_OUTCOME_GONE:
		return "gone";
	}
	return "unknown";
}

static void plan_step(const struct inv *inv, enum bind_kind kind, const struct pd_device *d,
		      struct bind_step *st)
{
	struct inv_critical crit = inv_device_critical(inv, d);

	snprintf(st->address, sizeof(st->address), "%s", d->address);
	snprintf(st->driver_before, sizeof(st->driver_before), "%s", d->driver);
	snprintf(st->override_before, sizeof(st->override_before), "%s", d->driver_override);
	snprintf(st->critical, sizeof(st->critical), "%s",
		 crit.critical && crit.reason ? crit.reason : "");
	st->outcome = BIND_OUTCOME_PLANNED;
	st->num_vfs = d->sriov_num_vfs > 0 ? d->sriov_num_vfs : 0;

	if (pd_device_is_bridge(d)) {
		/* The kernel lets a bridge stay on pcieport (or none) in a VFIO group. */
		st->action = BIND_ACTION_SKIP_BRIDGE;
		snprintf(st->driver_after, sizeof(st->driver_after), "%s", d->driver);
		st->critical[0] = '\0';
		return;
	}
	st->no_reset = d->reset_methods[0] == '\0';
	if (kind == BIND_KIND_BIND) {
		snprintf(st->driver_after, sizeof(st->driver_after), VFIO_DRIVER);
		st->action = streq(d->driver, VFIO_DRIVER) && streq(d->driver_override, VFIO_DRIVER)
				     ? BIND_ACTION_KEEP
				     : BIND_ACTION_MOVE;
	} else {
		/* Back to the driver it had before passd, or none when it had none. */
		snprintf(st->driver_after, sizeof(st->driver_after), "%s",
			 d->original_driver && !streq(d->original_driver, VFIO_DRIVER)
				 ? d->original_driver
				 : "");
		st->action = streq(d->driver, st->driver_after) && d->driver_override[0] == '\0'
				     ? BIND_ACTION_KEEP
				     : BIND_ACTION_MOVE;
		st->critical[0] = '\0'; /* giving a device back never costs the host */
	}
}

/*
 * Users are surprised when one device drags others along (peers.md, pain point 3): say why
 * the kernel put them together, from what sysfs shows of the topology.
 */
static void plan_why_shared(const struct grp_group *g, char *buf, size_t size)
{
	const struct pd_device *first = NULL;
	size_t n_endpoints = 0;
	bool one_slot = true;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n_devices; i++) {
		const struct pd_device *d = g->devices[i];

		if (pd_device_is_bridge(d))
			continue;
		n_endpoints++;
		if (!first)
			first = d;
		/* DDDD:BB:DD, the function number apart */
		else if (strncmp(first->address, d->address, PCI_ADDR_LEN - 2) != 0)
			one_slot = false;
	}
	if (n_endpoints < 2)
		return;
	if (one_slot) {
		snprintf(buf, size,
			 "the %zu functions of the multifunction device %.*s share one IOMMU group: it does not isolate its functions from each other (no ACS)",
			 n_endpoints, PCI_ADDR_LEN - 2, first->address);
		return;
	}
	for (size_t i = 0; i < g->n_devices; i++) {
		const struct pd_device *b = g->devices[i];

		if (!pd_device_is_bridge(b))
			continue;
		for (size_t j = 0; j < g->n_devices; j++)
			if (streq(g->devices[j]->parent, b->address)) {
				snprintf(buf, size,
					 "the devices below the bridge %s share its IOMMU group: it does not isolate them from each other (a switch without ACS, or a PCIe-to-PCI bridge that gives them one requester ID)",
					 b->address);
				return;
			}
	}
	snprintf(buf, size,
		 "these %zu devices are not isolated from each other: a switch or root port above them lacks ACS, so the IOMMU cannot tell their traffic apart",
		 n_endpoints);
}

int bindsvc_plan(const struct inv *inv, const char *addr, enum bind_kind kind,
		 struct bind_plan **ret, struct pd_error *err)
{
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	const struct pd_device *d = inv_find_device(inv, addr);
	const struct grp_group *g;

	if (!d || d->gone)
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s", addr);
	if (d->iommu_group < 0)
		return pd_error_set(err, PD_ERR_NOT_VIABLE, -ENXIO,
				    "%s is in no IOMMU group: the IOMMU is off (enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on)",
				    addr);
	g = grp_set_find(inv_get_groups(inv), d->iommu_group);
	if (!g)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOENT, "group %d of %s is not known",
				    d->iommu_group, addr);

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	plan->steps = calloc(g->n_devices, sizeof(*plan->steps));
	if (!plan->steps)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	plan->kind = kind;
	plan->group = g->id;
	snprintf(plan->address, sizeof(plan->address), "%s", addr);
	plan->n_steps = g->n_devices;
	for (size_t i = 0; i < g->n_devices; i++) {
		plan_step(inv, kind, g->devices[i], &plan->steps[i]);
		if (plan->steps[i].critical[0])
			plan->n_critical++;
	}
	plan_why_shared(g, plan->shared_because, sizeof(plan->shared_because));
	*ret = TAKE_PTR(plan);
	return 0;
}

/* The operation in progress on this thread (workers run several groups at once). */
static _Thread_local const char *crash_op = "bind";

void bind_set_crash_op(const char *op)
{
	crash_op = op;
}

/*
 * The sysfs accesses of a move, each timed into @t (one clock_gettime either side: the kernel's
 * share of a move, for the answers and the log).
 */
static int w_override(struct sysfs *s, const char *addr, const char *driver, struct bind_timing *t)
{
	int64_t t0 = bind_mono_usec();
	int r = sysfs_pci_set_override(s, addr, driver);

	t->override += bind_mono_usec() - t0;
	crash_point(crash_op);
	return r;
}

static int w_unbind(struct sysfs *s, const char *addr, const char *driver, struct bind_timing *t)
{
	int64_t t0 = bind_mono_usec();
	int r = sysfs_pci_unbind(s, addr, driver);

	t->unbind += bind_mono_usec() - t0;
	crash_point(crash_op);
	return r;
}

static int w_probe(struct sysfs *s, const char *addr, struct bind_timing *t)
{
	int64_t t0 = bind_mono_usec();
	int r = sysfs_pci_probe(s, addr);

	t->probe += bind_mono_usec() - t0;
	crash_point(crash_op);
	return r;
}

static int get_driver(struct sysfs *s, const char *addr, char *now, struct bind_timing *t)
{
	int64_t t0 = bind_mono_usec();
	int r = sysfs_pci_get_driver(s, addr, now);

	t->check += bind_mono_usec() - t0;
	return r;
}

/* The device's driver must now be @want ("" for none). */
static int check_driver(struct sysfs *s, const char *addr, const char *want, char *now,
			struct bind_timing *t)
{
	int r = get_driver(s, addr, now, t);

	if (r < 0)
		return r;
	return streq(now, want) ? 0 : -EIO;
}

/* One device to vfio-pci: override, unbind from the host driver, probe, check. */
static int step_bind(struct sysfs *s, struct bind_step *st, struct pd_error *err)
{
	char now[PD_DRIVER_LEN];
	int r;

	r = w_override(s, st->address, VFIO_DRIVER, &st->t);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "setting driver_override of %s: %s",
				    st->address, strerror(-r));
	st->override_written = true;
	if (st->driver_before[0] && !streq(st->driver_before, VFIO_DRIVER)) {
		r = w_unbind(s, st->address, st->driver_before, &st->t);
		if (r < 0)
			return pd_error_set(err, r == -EBUSY ? PD_ERR_CONFLICT : PD_ERR_INTERNAL, r,
					    "unbinding %s from %s: %s", st->address,
					    st->driver_before, strerror(-r));
		st->unbound = true;
	}
	/* Only a device that was on no driver (or on vfio-pci already) can be bound here. */
	if (!st->unbound && check_driver(s, st->address, VFIO_DRIVER, now, &st->t) == 0)
		return 0;
	r = w_probe(s, st->address, &st->t);
	st->probed = true;
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "probing %s for vfio-pci: %s",
				    st->address, strerror(-r));
	/* With no IOMMU the probe write "succeeds" and binds nothing: trust the link only. */
	r = check_driver(s, st->address, VFIO_DRIVER, now, &st->t);
	/*
	 * vfio_pci_core_register_device() refuses a PF with VFs enabled (-EBUSY, which
	 * drivers_probe hides); nvme leaves them enabled when it lets go (SIM-VS-KERNEL.md).
	 */
	if (r < 0 && st->num_vfs > 0)
		return pd_error_set(err, PD_ERR_CONFLICT, r,
				    "%s did not bind to vfio-pci: it has %d VFs enabled, and vfio-pci does not take an SR-IOV PF with VFs; remove them first (num_vfs 0)",
				    st->address, st->num_vfs);
	if (r < 0)
		return pd_error_set(err, PD_ERR_NOT_VIABLE, r,
				    "%s did not bind to vfio-pci (it is on %s): is vfio-pci loaded and the IOMMU on?",
				    st->address, now[0] ? now : "no driver");
	return 0;
}

/* One device back: clear the override, leave vfio-pci, probe the host driver, check. */
static int step_unbind(struct sysfs *s, struct bind_step *st, struct pd_error *err)
{
	char now[PD_DRIVER_LEN];
	int r;

	r = w_override(s, st->address, NULL, &st->t);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "clearing driver_override of %s: %s",
				    st->address, strerror(-r));
	st->override_written = true;
	if (st->driver_before[0] && !streq(st->driver_before, st->driver_after)) {
		r = w_unbind(s, st->address, st->driver_before, &st->t);
		if (r < 0)
			return pd_error_set(err, r == -EBUSY ? PD_ERR_CONFLICT : PD_ERR_INTERNAL, r,
					    "unbinding %s from %s: %s", st->address,
					    st->driver_before, strerror(-r));
		st->unbound = true;
	}
	if (st->driver_after[0] == '\0')
		return check_driver(s, st->address, "", now, &st->t) == 0 ?
			       0 :
			       pd_error_set(err, PD_ERR_INTERNAL, -EIO,
					    "%s is still on %s after the unbind", st->address, now);
	/* Just unbound: nothing can be bound until we probe. Otherwise it may be home already. */
	if (!st->unbound && check_driver(s, st->address, st->driver_after, now, &st->t) == 0)
		return 0;
	r = w_probe(s, st->address, &st->t);
	st->probed = true;
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "probing %s for %s: %s", st->address,
				    st->driver_after, strerror(-r));
	r = check_driver(s, st->address, st->driver_after, now, &st->t);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "%s did not go back to %s (it is on %s)",
				    st->address, st->driver_after, now[0] ? now : "no driver");
	return 0;
}

/*
 * One step. A device removed from the bus meanwhile (`remove`, surprise removal) fails the write
 * that follows with ENOENT (its attributes are gone) or ENODEV (drivers_probe, unbind): that is
 * a conflict with the kernel, not a passd error, and the answer says which device went.
 */
static int step_run(struct sysfs *s, enum bind_kind kind, struct bind_step *st,
		    struct pd_error *err)
{
	struct pd_error e = PD_ERROR_INIT;
	char now[PD_DRIVER_LEN];
	int r = kind == BIND_KIND_BIND ? step_bind(s, st, &e) : step_unbind(s, st, &e);

	if (r < 0 && get_driver(s, st->address, now, &st->t) == -ENOENT)
		return pd_error_set(err, PD_ERR_CONFLICT, r,
				    "%s vanished from the bus during the move (%s)", st->address,
				    e.message);
	if (r < 0)
		return pd_error_set(err, e.code, r, "%s", e.message);
	return r;
}

/* Put one device back as it was before the step: its driver and its override. */
int bind_step_undo(struct sysfs *s, struct bind_step *st)
{
	char now[PD_DRIVER_LEN];
	int r, first = 0;

	if (!st->override_written && !st->unbound && !st->probed)
		return 0;
	r = get_driver(s, st->address, now, &st->t);
	if (r < 0)
		return r;
	if (now[0] && !streq(now, st->driver_before)) {
		r = w_unbind(s, st->address, now, &st->t);
		if (r < 0 && !first)
			first = r;
	}
	r = w_override(s, st->address, st->override_before, &st->t);
	if (r < 0 && !first)
		first = r;
	if (st->driver_before[0] &&
	    check_driver(s, st->address, st->driver_before, now, &st->t) < 0) {
		r = w_probe(s, st->address, &st->t);
		if (r < 0 && !first)
			first = r;
		r = check_driver(s, st->address, st->driver_before, now, &st->t);
		if (r < 0 && !first)
			first = r;
	}
	return first;
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

/* Record where every device to move stands now, before the first write. */
static int write_intent(struct sysfs *s, struct db *db, void *lock, struct bind_plan *plan,
			int64_t *ret_id, struct pd_error *err)
{
	_cleanup_free_ struct db_intent_step *steps = calloc(plan->n_steps, sizeof(*steps));
	size_t n = 0;
	int r;

	if (!steps)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct bind_step *st = &plan->steps[i];

		if (st->action != BIND_ACTION_MOVE)
			continue;
		/* The inventory may be a rescan old: start from what sysfs says now. */
		int64_t t0 = bind_mono_usec();

		r = sysfs_pci_get_driver(s, st->address, st->driver_before);
		if (r >= 0)
			r = sysfs_pci_get_override(s, st->address, st->override_before);
		st->t.check += bind_mono_usec() - t0;
		if (r < 0)
			return pd_error_set(err, r == -ENOENT ? PD_ERR_CONFLICT : PD_ERR_INTERNAL, r,
					    "%s vanished before it could be moved: %s", st->address,
					    strerror(-r));
		snprintf(steps[n].address, sizeof(steps[n].address), "%s", st->address);
		snprintf(steps[n].driver_before, sizeof(steps[n].driver_before), "%s", st->driver_before);
		snprintf(steps[n].override_before, sizeof(steps[n].override_before), "%s",
			 st->override_before);
		snprintf(steps[n].driver_after, sizeof(steps[n].driver_after), "%s", st->driver_after);
		n++;
	}
	wlock(lock);
	r = db_intent_begin(db, plan->kind == BIND_KIND_BIND ? "bind" : "unbind", plan->address,
			    plan->group, steps, n, ret_id, err);
	wunlock(lock);
	if (r < 0)
		return r;
	crash_point(crash_op);
	return 0;
}

static double ms(int64_t usec)
{
	return (double)usec / 1000.0;
}

/*
 * The one info line of a finished move: how long it took, how much of it the kernel's sysfs
 * accesses took, and each device's driver change, e.g. "Bound group 12 (2 devices) in 3.1 ms:
 * override 0.2, unbind 1.9, probe 0.8, check 0.1; 0000:01:00.0 nvidia -> vfio-pci, ...".
 */
static void log_move(const struct bind_plan *plan)
{
	char devs[1024];
	size_t len = 0, n = 0;
	struct bind_timing t;

	bind_plan_timing(plan, &t);
	devs[0] = '\0';
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *st = &plan->steps[i];

		if (st->outcome != BIND_OUTCOME_DONE)
			continue;
		n++;
		if (len < sizeof(devs))
			len += (size_t)snprintf(devs + len, sizeof(devs) - len, "%s%s %s -> %s",
						n > 1 ? ", " : "", st->address,
						st->driver_before[0] ? st->driver_before : "(none)",
						st->driver_after[0] ? st->driver_after : "(none)");
	}
	log_info(
		"%s group %d (%zu device%s) in %.1f ms: override %.1f, unbind %.1f, probe %.1f, check %.1f; %s%s",
		plan->kind == BIND_KIND_BIND ? "Bound" : "Unbound", plan->group, n,
		n == 1 ? "" : "s", ms(plan->usec), ms(t.override), ms(t.unbind), ms(t.probe),
		ms(t.check), devs, len >= sizeof(devs) ? "..." : "");
}

int bindsvc_execute(struct sysfs *s, struct db *db, struct bind_plan *plan, bool force,
		    struct pd_error *err)
{
	return bindsvc_execute_locked(s, db, NULL, plan, force, err);
}

int bindsvc_execute_locked(struct sysfs *s, struct db *db, void *lock, struct bind_plan *plan,
			   bool force, struct pd_error *err)
{
	const char *what = plan->kind == BIND_KIND_BIND ? "bind" : "unbind";
	struct pd_error end_err = PD_ERROR_INIT;
	struct bind_timing waits;
	bool undo_failed = false;
	int64_t intent = -1, t0;
	size_t i;
	int r = 0, end;

	/*
	 * vfio-pci refuses an SR-IOV PF with VFs enabled, and a NIC driver (ice, mlx5, igb)
	 * destroys the VFs when it lets go of the PF: refuse before the first write, even forced,
	 * as no VM should lose its VF to a failed bind.
	 */
	for (i = 0; plan->kind == BIND_KIND_BIND && i < plan->n_steps; i++) {
		struct bind_step *st = &plan->steps[i];
		struct pd_device now;

		if (st->action != BIND_ACTION_MOVE || st->num_vfs <= 0)
			continue;
		/* The plan saw VFs: the kernel's word, not a scan's, decides. */
		if (sysfs_pci_read_device(s, st->address, &now) >= 0) {
			st->num_vfs = now.sriov_num_vfs > 0 ? now.sriov_num_vfs : 0;
			pd_device_clear(&now);
			if (st->num_vfs == 0)
				continue;
		}
		for (size_t k = 0; k < plan->n_steps; k++)
			plan->steps[k].outcome = BIND_OUTCOME_NOT_STARTED;
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "%s has %d VFs enabled, and vfio-pci does not take an SR-IOV PF with VFs (its host driver would destroy them on the way); remove them first (num_vfs 0)",
				    st->address, st->num_vfs);
	}
	if (plan->kind == BIND_KIND_BIND && plan->n_critical > 0 && !force) {
		for (i = 0; i < plan->n_steps; i++)
			if (plan->steps[i].critical[0])
				break;
		for (size_t k = 0; k < plan->n_steps; k++)
			plan->steps[k].outcome = BIND_OUTCOME_NOT_STARTED;
		return pd_error_set(err, PD_ERR_HOST_CRITICAL, -EPERM,
				    "group %d holds %s, which the host needs (%s); pass force to take it anyway",
				    plan->group, plan->steps[i].address, plan->steps[i].critical);
	}
	if (plan->kind == BIND_KIND_BIND && plan->n_critical > 0)
		log_warning("Forced: binding group %d although it holds host-critical devices",
			    plan->group);

	crash_op = what;
	t0 = bind_mono_usec();
	r = write_intent(s, db, lock, plan, &intent, err);
	if (r < 0) {
		for (size_t k = 0; k < plan->n_steps; k++)
			plan->steps[k].outcome = BIND_OUTCOME_NOT_STARTED;
		return log_error_errno(r, "Group %d %s not started: %s", plan->group, what,
				       err ? err->message : "");
	}

	for (i = 0; i < plan->n_steps; i++) {
		struct bind_step *st = &plan->steps[i];

		if (st->action != BIND_ACTION_MOVE) {
			st->outcome = BIND_OUTCOME_UNCHANGED;
			continue;
		}
		r = step_run(s, plan->kind, st, err);
		if (r < 0) {
			st->error = r;
			goto rollback;
		}
		st->outcome = BIND_OUTCOME_DONE;
	}

	/* The moves are done whatever the log says; a failure here is only logged. */
	wlock(lock);
	end = db_intent_finish(db, intent, "done", NULL, &end_err);
	wunlock(lock);
	if (end < 0)
		log_warning("Group %d %s done, but recording it failed: %s", plan->group, what,
			    end_err.message);
	crash_point(crash_op);
	plan->usec = bind_mono_usec() - t0;
	log_move(plan);
	return 0;

rollback:
	log_error("Group %d %s failed at %s: %s; rolling back", plan->group, what,
		  plan->steps[i].address, err ? err->message : strerror(-r));
	for (size_t k = i + 1; k < plan->n_steps; k++)
		if (plan->steps[k].outcome == BIND_OUTCOME_PLANNED)
			plan->steps[k].outcome = BIND_OUTCOME_NOT_STARTED;
	for (size_t j = i + 1; j-- > 0;) {
		struct bind_step *st = &plan->steps[j];
		char gone_driver[PD_DRIVER_LEN];
		int u;

		if (st->outcome != BIND_OUTCOME_DONE && j != i)
			continue;
		if (!st->override_written && !st->unbound && !st->probed) {
			st->outcome = BIND_OUTCOME_NOT_STARTED; /* failed before its first write */
			continue;
		}
		u = bind_step_undo(s, st);
		if (u < 0 && get_driver(s, st->address, gone_driver, &st->t) == -ENOENT) {
			/* Removed from the bus: its override went with it, as a rescan shows. */
			st->outcome = BIND_OUTCOME_GONE;
			log_warning("Device '%s' left the bus during the %s, nothing to put back",
				    st->address, what);
		} else if (u < 0) {
			undo_failed = true;
			st->outcome = BIND_OUTCOME_ROLLBACK_FAILED;
			log_warning("Rolling back %s of %s (to %s) failed: %s", what, st->address,
				    st->driver_before[0] ? st->driver_before : "no driver",
				    strerror(-u));
		} else {
			st->outcome = BIND_OUTCOME_ROLLED_BACK;
		}
	}
	wlock(lock);
	end = db_intent_finish(db, intent, undo_failed ? "failed" : "rolled_back",
			       err ? err->message : NULL, &end_err);
	wunlock(lock);
	if (end < 0)
		log_warning("Recording the end of group %d's %s failed: %s", plan->group, what,
			    end_err.message);
	plan->usec = bind_mono_usec() - t0;
	bind_plan_timing(plan, &waits);
	log_info(
		"Group %d %s ended after %.1f ms, %s: override %.1f, unbind %.1f, probe %.1f, check %.1f",
		plan->group, what, ms(plan->usec),
		undo_failed ? "not all of it undone" : "rolled back", ms(waits.override),
		ms(waits.unbind), ms(waits.probe), ms(waits.check));
	return r;
}

int bindsvc_check_group(struct bindsvc *bs, const char *addr)
{
	const struct pd_device *d = inv_find_device(bs->inv, addr);
	const struct grp_group *g;
	struct pd_error err = PD_ERROR_INIT;
	unsigned now;

	/*
	 * A group is moved whole or not at all, so the plan must know every member. The inventory
	 * can be a rescan old (a device added, removed or rescanned since): when the kernel's list
	 * of the group's members does not match, scan before planning. Mounts, swap and routes
	 * raise no PCI uevent: what the host needs is read again in any case (a scan does too).
	 */
	if (!d || d->gone || d->iommu_group < 0)
		return inv_scan(bs->inv, &err) < 0 ? -EIO : 0;
	g = grp_set_find(inv_get_groups(bs->inv), d->iommu_group);
	if (g && sysfs_iommu_group_member_count(bs->sysfs, d->iommu_group, &now) == 0 &&
	    now == g->n_devices)
		return inv_refresh_critical(bs->inv) < 0 ? -EIO : 0;
	log_debug("Group %d changed since the last scan, rescanning before planning",
		  d->iommu_group);
	return inv_scan(bs->inv, &err) < 0 ? -EIO : 0;
}

int bindsvc_refresh_plans(struct bindsvc *bs, struct bind_plan *const *plans, size_t n)
{
	struct pd_error err = PD_ERROR_INIT;
	struct inv_update *u;
	size_t m = 0, total = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		total += plans[i]->n_steps;
	u = calloc(total ? total : 1, sizeof(*u));
	if (!u)
		return inv_scan(bs->inv, &err);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < plans[i]->n_steps; k++) {
			const struct bind_step *st = &plans[i]->steps[k];
			if (st->action != BIND_ACTION_MOVE)
				continue;
			u[m].address = st->address;
			/* A step that is done is where its plan says; any other is read back. */
			if (st->outcome == BIND_OUTCOME_DONE) {
				u[m].driver = st->driver_after;
				u[m].override = plans[i]->kind == BIND_KIND_BIND ? VFIO_DRIVER : "";
			}
			m++;
		}
	r = inv_refresh(bs->inv, u, m, &err);
	free(u);
	if (r < 0)
		log_warning("Refreshing the inventory after a group move failed, it may be stale: %s",
			    err.message);
	return r;
}

bool bind_plan_answers_now(struct bind_plan *plan, bool dry_run)
{
	bool moves = false;

	for (size_t i = 0; i < plan->n_steps; i++)
		moves = moves || plan->steps[i].action == BIND_ACTION_MOVE;
	if (dry_run)
		return true;
	if (moves)
		return false;
	for (size_t i = 0; i < plan->n_steps; i++)
		plan->steps[i].outcome = BIND_OUTCOME_UNCHANGED;
	return true;
}

int bindsvc_new(struct sysfs *s, struct db *db, struct inv *inv, struct bindsvc **ret)
{
	struct bindsvc *bs = calloc(1, sizeof(*bs));
	int r;

	if (!bs)
		return -ENOMEM;
	bs->sysfs = s;
	bs->db = db;
	bs->inv = inv;
	bs->event_fd = -1;
	r = bindsvc_async_init(bs);
	if (r < 0) {
		free(bs);
		return r;
	}
	*ret = bs;
	return 0;
}

void bindsvc_free(struct bindsvc *bs)
{
	if (!bs)
		return;
	bindsvc_async_done(bs);
	free(bs->drift);
	free(bs);
}

int bindsvc_run(struct bindsvc *bs, const char *addr, enum bind_kind kind, bool dry_run,
		bool force, struct bind_plan **ret_plan, struct pd_error *err)
{
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	int r;

	(void)bindsvc_check_group(bs, addr); /* a failed scan keeps the old view, logged */
	r = bindsvc_plan(bs->inv, addr, kind, &plan, err);
	if (r < 0)
		return r;
	if (bind_plan_answers_now(plan, dry_run)) {
		*ret_plan = TAKE_PTR(plan);
		return 0;
	}

	r = bindsvc_execute(bs->sysfs, bs->db, plan, force, err);
	/* Whatever happened, the API must show the tree as it is now. */
	(void)bindsvc_refresh_plans(bs, &plan, 1); /* logs */
	*ret_plan = TAKE_PTR(plan);
	return r;
}
