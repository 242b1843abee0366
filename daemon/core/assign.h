/*
 * assign.h - giving a device, and with it its IOMMU group's endpoints, to a libvirt domain (the
 * assignment service, asgsvc_).
 *
 * An assignment binds the group to vfio-pci through the binder service, adds every endpoint to
 * the domain as a hostdev through the domain service, starts the domain when asked, and records
 * it in the database. All or nothing: a failure undoes what was done, in reverse. A release
 * detaches the hostdevs, resets each device that has a reset method and gives the group back to
 * its host drivers; a device whose reset fails or hangs, or whose unbind hangs, is quarantined
 * (refused for assignments) until an operator clears it.
 *
 * One operation at a time per group: while an assignment or release runs, every other one on
 * the same group, and every bind or unbind of it, is refused with -EBUSY (conflict). Slow work
 * (libvirt, resets) runs on worker threads; results come back on the loop thread through
 * asgsvc_dispatch(). Everything else is loop-thread only. Logs once per operation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bind.h"
#include "domains.h"
#include "macro.h"
#include "pd-device.h"
#include "pd-error.h"

struct inv;
struct bindsvc;
struct sysfs;
struct db;
struct asgsvc;

#define ASG_MAX_DEVICES 32 /* endpoints of one group assigned together */

enum asg_state {
	ASG_STATE_ACTIVE,
	ASG_STATE_DETACHED, /* a hostdev vanished from the domain; the group stays on vfio-pci */
	ASG_STATE_ORPHANED, /* the domain was undefined; the group stays on vfio-pci */
	ASG_STATE_RELEASED,
	ASG_STATE_FAILED,
	_ASG_STATE_MAX,
};

struct asg_assignment {
	int64_t id; /* 0 for a plan */
	char address[PCI_ADDR_LEN + 1];
	char domain[DOMAIN_NAME_MAX + 1];
	int group;
	size_t n_devices; /* @address first, then its companions */
	char devices[ASG_MAX_DEVICES][PCI_ADDR_LEN + 1];
	bool started;
	enum asg_state state;
	char reason[256];
	int64_t created_at, released_at; /* usec since the epoch; released_at 0 while live */
};

struct asg_request {
	char device[PCI_ADDR_LEN + 1]; /* canonical */
	char domain[DOMAIN_NAME_MAX + 1];
	bool start;
	bool paused; /* start with the vCPUs paused (QEMU holds the devices; nothing runs) */
	bool force;  /* take host-critical devices too */
	bool dry_run;
	char actor[96]; /* who asks, for the history ("uid:0", "token:ci"); not part of the hash */
};

/* A driver change of one device, as done (or planned) by an operation. */
struct asg_move {
	char address[PCI_ADDR_LEN + 1];
	char driver_before[PD_DRIVER_LEN];
	char driver_after[PD_DRIVER_LEN];
	const char *outcome; /* bind_outcome_to_string(), static */
};

/* The reset of one device on release. */
struct asg_reset {
	char address[PCI_ADDR_LEN + 1];
	bool attempted; /* false: the device has no reset method */
	int result;	/* 0 or a negative errno; -ETIMEDOUT when it hung */
	int64_t usec;
};

struct asg_quarantined {
	char address[PCI_ADDR_LEN + 1];
	char reason[256];
};

/* Wall time of each phase, in microseconds (0: not run). */
struct asg_timing {
	int64_t check, bind, attach, start, detach, reset, unbind, rollback, total;
	/* Inside the bind, unbind and rollback phases: the group's waits on sysfs. */
	struct bind_timing bind_sysfs, unbind_sysfs, rollback_sysfs;
	/*
	 * passd's own share: @total minus the waits on the kernel (the sysfs accesses of the
	 * moves, the resets) and on libvirt; -1 while unknown (answered before a step returned).
	 */
	int64_t passd;
};

/* What an assignment or a release did, for the answer. */
struct asg_result {
	int r; /* 0 or the negative errno of @err */
	struct pd_error err;
	bool dry_run;
	bool paused;		 /* the domain was started paused */
	char actor[96];		 /* who asked */
	struct asg_assignment a; /* the assignment (a plan for a dry run) */
	size_t n_moves;
	struct asg_move moves[ASG_MAX_DEVICES]; /* the bind of an assignment, the unbind of a release */
	size_t n_resets;
	struct asg_reset resets[ASG_MAX_DEVICES];
	size_t n_quarantined;
	struct asg_quarantined quarantined[ASG_MAX_DEVICES];
	char rollback[512]; /* what was undone after a failure, "" when nothing */
	bool unbound;	    /* release: the group went back to its host drivers */
	struct asg_timing t;
};

typedef void (*asgsvc_done_fn)(const struct asg_result *res, void *userdata);

/* The service borrows everything it is given. @ds may be NULL (no libvirt at all). */
int asgsvc_new(struct inv *inv, struct bindsvc *bs, struct domsvc *ds, struct sysfs *s,
	       struct db *db, unsigned op_timeout_ms, struct asgsvc **ret);
void asgsvc_free(struct asgsvc *svc);
DEFINE_FREEP(struct asgsvc, asgsvc_free)

/* Load assignments and quarantines from the database and install the inventory overlay. */
int asgsvc_load(struct asgsvc *svc, struct pd_error *err);

/*
 * Assign. Checks and plans on the loop thread; a refusal or a failure found there is answered
 * at once: returns 0 or a negative errno with *ret filled, and @done is never called. Otherwise
 * returns 1 and @done gets the result on the loop thread later (201 material when res->r == 0).
 */
int asgsvc_assign(struct asgsvc *svc, const struct asg_request *req, asgsvc_done_fn done,
		  void *userdata, struct asg_result *ret);
/* Release assignment @id, with the same answering convention. */
int asgsvc_release(struct asgsvc *svc, int64_t id, bool dry_run, const char *actor,
		   asgsvc_done_fn done, void *userdata, struct asg_result *ret);

/* Every assignment, oldest first (borrowed until the next change). */
size_t asgsvc_list(const struct asgsvc *svc, const struct asg_assignment **ret);
/* Assignment @id, or NULL. */
const struct asg_assignment *asgsvc_find(const struct asgsvc *svc, int64_t id);
/* The live assignment holding @addr, or NULL. */
const struct asg_assignment *asgsvc_find_live_device(const struct asgsvc *svc, const char *addr);

/*
 * May the binder move the group of @addr now? -EBUSY (conflict) while an assignment runs on it
 * or holds one of its devices. For the bind and unbind routes.
 */
int asgsvc_check_bind(const struct asgsvc *svc, const char *addr, struct pd_error *err);

/* The quarantine reason of @addr, or NULL (borrowed). */
const char *asgsvc_quarantine_reason(const struct asgsvc *svc, const char *addr);
/* Lift the quarantine of @addr: -ENOENT (not_found) when it has none. Records history. */
int asgsvc_clear(struct asgsvc *svc, const char *addr, bool dry_run, const char *actor,
		 struct pd_error *err);

/* The reconcile's findings: hostdevs and assignments that disagree with libvirt. */
enum asg_drift_kind {
	ASG_DRIFT_UNMANAGED_HOSTDEV, /* in a domain, in no live assignment: reported, never touched */
	ASG_DRIFT_MISSING_HOSTDEV,   /* an assignment's hostdev is not in its domain: detached */
	ASG_DRIFT_MISSING_DOMAIN,    /* an assignment's domain does not exist: orphaned */
};

struct asg_drift {
	enum asg_drift_kind kind;
	char address[PCI_ADDR_LEN + 1];
	char domain[DOMAIN_NAME_MAX + 1];
	int64_t assignment_id; /* 0 when none */
};

const char *asg_drift_kind_to_string(enum asg_drift_kind k);
/* The last reconcile's drift (borrowed) and when it ran (0: never). */
size_t asgsvc_get_drift(const struct asgsvc *svc, const struct asg_drift **ret,
			int64_t *ret_when);

struct asg_history {
	int64_t id, at;
	char actor[96];
	char action[16];
	char target[PCI_ADDR_LEN + 1];
	char domain[DOMAIN_NAME_MAX + 1];
	int64_t assignment_id;
	char result[16];
	char drivers_before[2048]; /* JSON object text, "" for none */
	char drivers_after[2048];
	char error[512];
	char detail[1024];
};

/* History newest first, ids below @before (0: from the newest), at most @limit. Free *ret. */
int asgsvc_history(struct asgsvc *svc, int64_t before, unsigned limit, struct asg_history **ret,
		   size_t *ret_n, struct pd_error *err);
/* Append an event of another service (bind, unbind, sriov) to the history. Logs on failure. */
void asgsvc_history_note(struct asgsvc *svc, const char *actor, const char *action,
			 const char *target, const char *result, const char *error);
struct bind_plan;
/*
 * Append a group move of the bind and unbind routes, with each device's drivers before and
 * after (@plan may be NULL after a timeout: @address names the device then). Logs on failure.
 */
void asgsvc_history_bind(struct asgsvc *svc, const char *actor, const char *address,
			 const struct bind_plan *plan, int r, const struct pd_error *err);

struct sriov_plan;
/*
 * Append a VF change of the sriov route that ran (not a dry run, not a refusal): @plan as the
 * worker left it, or as planned (no write tried) after a timeout. The result follows the count
 * read back: done, failed (unchanged), rolled_back (the old count put back), partial (another
 * count, or still running after -ETIMEDOUT); the VFs removed and present after, with their
 * drivers, and the counts in detail. Call after the rescan. Logs on failure.
 */
void asgsvc_history_sriov(struct asgsvc *svc, const char *actor, const struct sriov_plan *plan,
			  int r, const struct pd_error *err);

/*
 * Idempotency-Key support for POST /v1/assignments. Begin: 0 when the request may run (the key
 * is reserved until asgsvc_idem_end), 1 when an earlier answer with the same @hash exists
 * (*ret_status and *ret_body, owned, are filled), -EEXIST (conflict) when the key was used with
 * another request, -EBUSY (conflict) when a request with the key is running.
 */
int asgsvc_idem_begin(struct asgsvc *svc, const char *key, const char *hash, int *ret_status,
		      char **ret_body, struct pd_error *err);
/* End: store the answer when it created something (201); release the reservation. */
void asgsvc_idem_end(struct asgsvc *svc, const char *key, const char *hash, int status,
		     const char *body);
/*
 * The canonical form of @req for Idempotency-Key, in @out: its meaning (device, domain, start,
 * paused, force, dry run), not its JSON bytes, behind a version prefix ("asg2"). The caller
 * hashes it (SHA-256, api/: the layer that links nettle). Returns its length.
 */
#define ASG_REQUEST_CANON_MAX 192 /* "asg2" and six short lines, a 64-character domain */
#define ASG_REQUEST_HASH_LEN 64	  /* hex digits of the SHA-256 the idempotency table keeps */
size_t asg_request_canonical(const struct asg_request *req, char out[static ASG_REQUEST_CANON_MAX]);

const char *asg_state_to_string(enum asg_state s);

/*
 * @t as a JSON object (new reference, NULL on ENOMEM) of the phases that ran: "NAME_ms" (real,
 * milliseconds) when @ms, else "NAME" (integer, microseconds). A phase that moved a group brings
 * its four waits on sysfs ("bind_override", "bind_unbind", "bind_probe", "bind_check", and
 * "unbind_..." or "rollback_..." the same); "passd" comes with "total" when known.
 */
json_t *asg_timing_to_json(const struct asg_timing *t, bool ms);

/* The domain service's lifecycle events (installed by asgsvc_new). */
void asgsvc_on_domain_event(const struct domain_event *ev, void *userdata);

int asgsvc_get_event_fd(struct asgsvc *svc);
/* On the loop thread: finish what the workers did; expire operations past the timeout. */
void asgsvc_dispatch(struct asgsvc *svc);
/* At shutdown: wait for every worker, then dispatch. */
void asgsvc_drain(struct asgsvc *svc);
