/*
 * bind-priv.h - what bind.c, bind-start.c, bind-async.c and sriov.c share. Not for other modules: they use
 * bind.h.
 */
#pragma once

#include <pthread.h>

#include "bind.h"

#define VFIO_DRIVER "vfio-pci"

struct bind_job;

struct bindsvc {
	struct sysfs *sysfs;
	struct db *db; /* the loop thread's connection */
	struct inv *inv;
	unsigned reapplied;
	unsigned vfs_reapplied;
	struct bind_drift *drift;
	size_t n_drift;

	/* bind-async.c */
	int event_fd;
	struct bind_job *jobs; /* running or finished, not yet dispatched; the loop thread's */
	pthread_mutex_t jobs_lock;
	struct db *wdb; /* the workers' connection, opened on first use */
	pthread_mutex_t wdb_lock;
};

/* CLOCK_MONOTONIC in microseconds: the one clock of durations and deadlines of the binder. */
int64_t bind_mono_usec(void);

/*
 * True when @plan needs no worker: a dry run, or nothing to move (its steps are then marked
 * unchanged, the idempotent answer).
 */
bool bind_plan_answers_now(struct bind_plan *plan, bool dry_run);

/* Rescan when the kernel lists another number of members for @addr's group than the view. */
int bindsvc_check_group(struct bindsvc *bs, const char *addr);

/* Bring the inventory up to date with the devices @plans moved. Logs on failure. */
int bindsvc_refresh_plans(struct bindsvc *bs, struct bind_plan *const *plans, size_t n);

/*
 * The test hooks PASSD_CRASH_AT and PASSD_PAUSE_AT (developer builds; a no-op otherwise): call
 * after each side effect of operation @op (bind, unbind, sriov, recover).
 */
void bind_crash_point(const char *op);

/* Append a drift entry of @kind (BIND_DRIFT_*) to the last reconcile's report; logs it. */
int bindsvc_add_drift(struct bindsvc *bs, enum bind_drift_kind kind, const char *addr,
		      const char *fmt, ...) _printf_(4, 5);

/* The VF counts part of bindsvc_reconcile() (sriov.c). Logs; fails only on the database. */
int bindsvc_reconcile_vfs(struct bindsvc *bs);

int bindsvc_async_init(struct bindsvc *bs);
void bindsvc_async_done(struct bindsvc *bs);

/* Put the device of @st back as it was before its step: its driver and its override (bind.c). */
int bind_step_undo(struct sysfs *s, struct bind_step *st);
/* The operation the crash and pause points of this thread count for (PASSD_CRASH_AT=OP:K). */
void bind_set_crash_op(const char *op);
