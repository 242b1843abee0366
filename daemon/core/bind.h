/*
 * bind.h - moving a whole IOMMU group to vfio-pci and back (the binder service, bindsvc_).
 *
 * The kernel lets VFIO use a group only when every endpoint in it is on a VFIO driver or none,
 * so a bind always plans the whole group: bridges and ports stay on pcieport, every endpoint
 * goes through driver_override (never new_id, which grabs every device of the same model).
 * A plan is computed first and is all a dry run shows. Executing it is all or nothing: every
 * step is recorded as it is done and, on the first failure, undone in reverse; a failed undo
 * is logged as a warning and reported per device, and the first error is kept.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"

struct sysfs;
struct inv;
struct db;

enum bind_kind {
	BIND_KIND_BIND,	  /* to vfio-pci */
	BIND_KIND_UNBIND, /* back to the original driver */
};

enum bind_action {
	BIND_ACTION_MOVE,	 /* the device changes driver */
	BIND_ACTION_KEEP,	 /* already where the plan wants it */
	BIND_ACTION_SKIP_BRIDGE, /* a bridge or port: stays as it is, harmless to VFIO */
};

enum bind_outcome {
	BIND_OUTCOME_PLANNED,
	BIND_OUTCOME_DONE,
	BIND_OUTCOME_UNCHANGED,
	BIND_OUTCOME_ROLLED_BACK,
	BIND_OUTCOME_ROLLBACK_FAILED,
	BIND_OUTCOME_NOT_STARTED,
	BIND_OUTCOME_GONE, /* left the bus during the move: nothing to put back */
};

/*
 * Wall time a move spent waiting in sysfs, by kind of access, in microseconds (CLOCK_MONOTONIC
 * around each call): what the kernel (its drivers' probe and remove) costs, apart from passd.
 */
struct bind_timing {
	int64_t override; /* driver_override writes */
	int64_t unbind;	  /* driver/unbind writes */
	int64_t probe;	  /* drivers_probe writes */
	int64_t check;	  /* reads of the driver link (and of driver_override, before the move) */
};

struct bind_step {
	char address[PCI_ADDR_LEN + 1];
	char driver_before[PD_DRIVER_LEN];
	char override_before[PD_DRIVER_LEN];
	char driver_after[PD_DRIVER_LEN]; /* planned; "" for no driver */
	enum bind_action action;
	char critical[256]; /* why the host needs it, "" when it does not (a copy: reasons live one scan) */
	bool no_reset;	    /* an endpoint with no reset method: state may leak between users */
	enum bind_outcome outcome;
	int num_vfs; /* VFs enabled on it at planning time: vfio-pci refuses such a PF (EBUSY) */
	/* progress, for the undo */
	bool override_written;
	bool unbound;
	bool probed;
	int error; /* negative errno of this step's failure, 0 */
	struct bind_timing t; /* this device's waits, its undo's included */
};

struct bind_plan {
	enum bind_kind kind;
	char address[PCI_ADDR_LEN + 1]; /* what the client named */
	int group;
	size_t n_steps;
	struct bind_step *steps;
	size_t n_critical; /* members the host needs */
	char shared_because[256]; /* why more than one endpoint must move, "" when one */
	int64_t usec; /* wall time of its execution (bindsvc_execute), 0 when not executed */
};

/*
 * Plan @kind for the group of @addr from the inventory's view. Returns 0, or -ENOENT (not_found),
 * -ENXIO (no IOMMU group: not_viable) with @err set. The caller owns *ret (bind_plan_free).
 */
int bindsvc_plan(const struct inv *inv, const char *addr, enum bind_kind kind,
		 struct bind_plan **ret, struct pd_error *err);

/*
 * Carry out @plan on sysfs. Refuses (-EPERM, host_critical) a plan touching host-critical
 * devices unless @force. Before the first write, the state of every device to move goes to
 * the intent log in @db, so a passd that dies midway puts it back at its next start
 * (bindsvc_recover). On failure every step already done is undone in reverse and @err says
 * what failed; each step's outcome says what happened to it. Logs once.
 */
int bindsvc_execute(struct sysfs *s, struct db *db, struct bind_plan *plan, bool force,
		    struct pd_error *err);
/* bindsvc_execute() with the database calls made under @db_lock (a worker's shared handle). */
int bindsvc_execute_locked(struct sysfs *s, struct db *db, void *db_lock, struct bind_plan *plan,
			   bool force, struct pd_error *err);

/* The waits of @plan's steps, summed over the group, in *ret (zeros for a NULL @plan). */
void bind_plan_timing(const struct bind_plan *plan, struct bind_timing *ret);
/* All of @t's waits together. */
int64_t bind_timing_sum(const struct bind_timing *t);

void bind_plan_free(struct bind_plan *plan);
DEFINE_FREEP(struct bind_plan, bind_plan_free)

struct bindsvc; /* opaque: the service the API calls */

/* The service borrows @s, @db and @inv. */
int bindsvc_new(struct sysfs *s, struct db *db, struct inv *inv, struct bindsvc **ret);
void bindsvc_free(struct bindsvc *bs);
DEFINE_FREEP(struct bindsvc, bindsvc_free)

/*
 * Plan @kind for the group of @addr and, unless @dry_run, carry it out, then rescan so the
 * inventory shows the result. *ret_plan gets the plan whenever one was made, also when its
 * execution failed (its steps then say what happened to each device); the caller frees it.
 */
int bindsvc_run(struct bindsvc *bs, const char *addr, enum bind_kind kind, bool dry_run,
		bool force, struct bind_plan **ret_plan, struct pd_error *err);

/*
 * At start: put back every device of every operation a previous passd left pending (it died
 * between its intent and its end), in reverse order, and close those intents as recovered.
 * *ret_n gets how many there were. Logs what it does. Failures to restore a device are
 * logged and recorded; the function fails only when the database does.
 */
int bindsvc_recover(struct bindsvc *bs, unsigned *ret_n);

const char *bind_action_to_string(enum bind_action a);
const char *bind_outcome_to_string(enum bind_outcome o);

enum bind_drift_kind {
	BIND_DRIFT_BINDING,  /* a device passd keeps on vfio-pci, or one it never bound there */
	BIND_DRIFT_VF_COUNT, /* a PF whose wanted VF count could not be re-applied */
};

struct bind_drift {
	enum bind_drift_kind kind;
	char address[PCI_ADDR_LEN + 1];
	char reason[256];
};

const char *bind_drift_kind_to_string(enum bind_drift_kind k);

/*
 * At start, after bindsvc_recover() and a scan: compare what passd was asked to keep with
 * sysfs. First the VF counts: a PF that shows another count than the one wanted (a reboot
 * starts from the firmware's) gets it re-applied, so its VFs exist before their bindings are
 * looked at. Then the bindings: a device that lost its binding (a reboot, or a remove and
 * rescan, forgets driver_override) gets its group bound again. A different card in the slot, a
 * gone device, a refused re-apply, or a device on vfio-pci that passd never bound is reported
 * as drift, never acted on. Logs what it does.
 */
int bindsvc_reconcile(struct bindsvc *bs);
/* What the last reconcile re-applied (groups bound, VF counts set), and its drift (borrowed). */
unsigned bindsvc_get_reapplied(const struct bindsvc *bs);
unsigned bindsvc_get_vfs_reapplied(const struct bindsvc *bs);
size_t bindsvc_get_drift(const struct bindsvc *bs, const struct bind_drift **ret);

/*
 * Asynchronous moves, for the API (bind-async.c). The plan is made on the loop thread; a dry
 * run, a refusal, or a plan with nothing to move is answered at once: the call returns 0 with
 * *ret_plan set and @done is never called. Otherwise the writes run on a worker thread, so a
 * hung driver stalls only its own group, and the call returns 1: @done runs later on the loop
 * thread, from bindsvc_dispatch(), after a rescan, with the plan (which it then owns) and the
 * result. An operation that outlives @timeout_ms gets @done early with -ETIMEDOUT and no plan,
 * and goes on; its group stays locked until the kernel answers. While one operation runs on a
 * group, another on the same group is refused with -EBUSY (conflict).
 */
typedef void (*bindsvc_done_fn)(struct bind_plan *plan, int r, const struct pd_error *err,
				void *userdata);

int bindsvc_start(struct bindsvc *bs, const char *addr, enum bind_kind kind, bool dry_run,
		  bool force, unsigned timeout_ms, bindsvc_done_fn done, void *userdata,
		  struct bind_plan **ret_plan, struct pd_error *err);
/* An eventfd that becomes readable when a worker finished; then call bindsvc_dispatch(). */
int bindsvc_get_event_fd(struct bindsvc *bs);
/* On the loop thread: collect finished workers, rescan, call their @done; expire timeouts. */
void bindsvc_dispatch(struct bindsvc *bs);
/*
 * Whether an operation in flight (or finished, not yet dispatched) holds IOMMU group @group:
 * its devices may be mid-move, and reading some of their attributes (driver_override) waits
 * for the kernel's device lock, as long as a hung driver holds it. False for a negative group.
 */
bool bindsvc_group_busy(const struct bindsvc *bs, int group);
/* Whether any operation is in flight or not yet dispatched. */
bool bindsvc_any_busy(const struct bindsvc *bs);
/* At shutdown: wait for every worker (in-flight moves finish or roll back), then dispatch. */
void bindsvc_drain(struct bindsvc *bs);

struct sriov_plan;
typedef void (*bindsvc_sriov_done_fn)(const struct sriov_plan *plan, int r,
				      const struct pd_error *err, void *userdata);
/*
 * A VF change of PF @pf to @n VFs, the asynchronous way of bindsvc_start(): planned on the loop
 * thread (sriovsvc_plan); a dry run, a refusal or a count already there is answered at once
 * (returns 0, or a negative errno, with @plan filled as far as it got; the caller clears it).
 * Otherwise the writes run on a worker and the call returns 1: @done gets the plan (borrowed
 * for the call) after a rescan, or NULL and -ETIMEDOUT after @timeout_ms. The PF's group and the
 * groups of its current VFs stay locked until the kernel answers, so a bind on any of them is
 * a conflict meanwhile, and the change is refused (-EBUSY, conflict) while any of them moves.
 */
int bindsvc_sriov_start(struct bindsvc *bs, const char *pf, int n, bool dry_run, bool force,
			unsigned timeout_ms, bindsvc_sriov_done_fn done, void *userdata,
			struct sriov_plan *plan, struct pd_error *err);
