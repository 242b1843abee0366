/*
 * assign-job.h - what assign.c and assign-job.c share: the service's state and the steps of an
 * operation. Not for other modules: they use assign.h.
 */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "assign-priv.h"

struct asg_op;

struct asg_quar {
	char address[PCI_ADDR_LEN + 1];
	char reason[256];
};

struct asgsvc {
	struct inv *inv;
	struct bindsvc *bs;
	struct domsvc *ds; /* NULL: no libvirt */
	struct sysfs *sysfs;
	struct db *db; /* the loop thread's connection; workers never touch the database */
	unsigned op_timeout_ms;

	struct asg_assignment *all; /* every assignment, by id */
	size_t n_all;
	struct asg_quar *quar;
	size_t n_quar;
	int *locked; /* groups an operation runs on */
	size_t n_locked;
	char **idem; /* Idempotency-Keys of requests running */
	size_t n_idem;
	struct asg_drift *drift;
	size_t n_drift;
	int64_t drift_when;
	bool reconciling;

	/* assign-job.c */
	int event_fd;
	pthread_mutex_t lock;
	struct asg_op *ops; /* with a worker running or finished, not yet dispatched */
};

int64_t asgsvc_wall_usec(void);

/* assign.c */
bool asgsvc_group_locked(const struct asgsvc *svc, int group);
int asgsvc_lock_group(struct asgsvc *svc, int group);
void asgsvc_unlock_group(struct asgsvc *svc, int group);
int asgsvc_add(struct asgsvc *svc, struct asg_assignment *a, struct pd_error *err);
int asgsvc_set_state(struct asgsvc *svc, struct asg_assignment *a, enum asg_state state,
		     const char *reason);
/* Quarantine @addr (database, memory, history), noted in @res when given. Logs. */
void asgsvc_quarantine(struct asgsvc *svc, const char *addr, const char *reason,
		       struct asg_result *res);
/*
 * A release whose group did not go back to its host drivers (the binder's @r and @err): sets
 * res->r and res->err to say what failed and where the devices are now (on vfio-pci, unless the
 * binder's rollback failed too), and notes it in res->rollback. Does not log.
 */
void asgsvc_release_failed(struct asgsvc *svc, struct asg_result *res, int r,
			   const struct pd_error *err);
/* Append to the history; @res gives the moves and the timing. Logs a failure. */
void asgsvc_record(struct asgsvc *svc, const char *actor, const char *action, const char *target,
		   const char *domain, int64_t id, const char *result, const struct asg_result *res,
		   const char *error);
void asgsvc_apply_reconcile(struct asgsvc *svc, const struct domain_info *doms, size_t n);
void asgsvc_log_result(const struct asg_result *res, bool release);

/* assign-job.c */
int asgsvc_jobs_init(struct asgsvc *svc);
void asgsvc_jobs_done(struct asgsvc *svc);
void asgsvc_start_reconcile(struct asgsvc *svc);
