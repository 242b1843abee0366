/*
 * bind-async.c - group moves and VF changes on worker threads, so a driver that hangs in its
 * remove() (or in sriov_configure) stalls its own groups only, never the loop that serves the
 * read API and other groups.
 *
 * The loop thread plans (it owns the inventory), locks the groups and starts one thread per
 * operation; the thread touches only sysfs (thread-safe openat on a shared root fd) and the
 * workers' own database connection (behind a mutex). It posts its result on an eventfd;
 * bindsvc_dispatch() on the loop thread joins it, rescans, unlocks the groups and calls back.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bind-priv.h"
#include "db/db.h"
#include "events.h"
#include "metrics.h"
#include "inventory.h"
#include "log.h"
#include "sriov.h"

struct bind_job {
	struct bindsvc *bs;
	struct bind_plan *plan;	  /* a group move, or */
	struct sriov_plan *splan; /* a VF change */
	bool force;
	int group;   /* the group moved, or the PF's */
	int *groups; /* every group locked (for a VF change: the PF's and its VFs') */
	size_t n_groups;
	bindsvc_done_fn done;
	bindsvc_sriov_done_fn sdone;
	void *userdata;
	int64_t deadline_usec; /* 0: none */
	int64_t started_usec;  /* for the duration histograms */
	bool answered;	       /* @done was called (early, on a timeout) */
	pthread_t thread;

	/* Written by the worker, read after it posted (under bs->jobs_lock). */
	bool finished;
	int r;
	struct pd_error err;

	struct bind_job *next;
};

int bindsvc_async_init(struct bindsvc *bs)
{
	bs->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bs->event_fd < 0)
		return -errno;
	pthread_mutex_init(&bs->jobs_lock, NULL);
	pthread_mutex_init(&bs->wdb_lock, NULL);
	return 0;
}

void bindsvc_async_done(struct bindsvc *bs)
{
	bindsvc_drain(bs);
	db_free(bs->wdb);
	if (bs->event_fd >= 0)
		close(bs->event_fd);
	pthread_mutex_destroy(&bs->jobs_lock);
	pthread_mutex_destroy(&bs->wdb_lock);
}

int bindsvc_get_event_fd(struct bindsvc *bs)
{
	return bs->event_fd;
}

static void *worker(void *userdata)
{
	struct bind_job *job = userdata;
	struct bindsvc *bs = job->bs;
	struct pd_error err = PD_ERROR_INIT;
	uint64_t one = 1;
	int r;

	if (job->splan)
		r = sriovsvc_execute(bs->sysfs, bs->wdb, &bs->wdb_lock, job->splan, &err);
	else
		r = bindsvc_execute_locked(bs->sysfs, bs->wdb, &bs->wdb_lock, job->plan,
					   job->force, &err);
	pthread_mutex_lock(&bs->jobs_lock);
	job->r = r;
	job->err = err;
	job->finished = true;
	pthread_mutex_unlock(&bs->jobs_lock);
	/* A failed post only delays the answer to the next periodic dispatch. */
	if (write(bs->event_fd, &one, sizeof(one)) < 0)
		log_debug("Posting a finished group move failed, ignoring: %m");
	return NULL;
}

static bool group_busy(const struct bindsvc *bs, int group)
{
	if (group < 0)
		return false;
	for (const struct bind_job *j = bs->jobs; j; j = j->next)
		for (size_t i = 0; i < j->n_groups; i++)
			if (j->groups[i] == group)
				return true;
	return false;
}

bool bindsvc_group_busy(const struct bindsvc *bs, int group)
{
	return group_busy(bs, group);
}

bool bindsvc_any_busy(const struct bindsvc *bs)
{
	return bs->jobs != NULL;
}

static void job_free(struct bind_job *j)
{
	if (!j)
		return;
	bind_plan_free(j->plan);
	sriov_plan_clear(j->splan);
	free(j->splan);
	free(j->groups);
	free(j);
}

/* Start @job's worker and queue it; on failure the caller still owns @job. */
static int job_start(struct bindsvc *bs, struct bind_job *job, unsigned timeout_ms,
		     struct pd_error *err)
{
	int r;

	if (!bs->wdb) {
		r = db_open(db_get_path(bs->db), &bs->wdb, err);
		if (r < 0)
			return r;
	}
	job->bs = bs;
	job->deadline_usec = timeout_ms ? bind_mono_usec() + (int64_t)timeout_ms * 1000 : 0;
	job->started_usec = bind_mono_usec();
	r = -pthread_create(&job->thread, NULL, worker, job);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "cannot start a worker: %s", strerror(-r));
	job->next = bs->jobs;
	bs->jobs = job;
	return 1;
}

/* Call @j's callback with its result; a bind's @done then owns the plan. */
static void job_answer(struct bind_job *j, int r, const struct pd_error *err, bool timed_out)
{
	if (j->splan) {
		if (j->sdone)
			j->sdone(timed_out ? NULL : j->splan, r, err, j->userdata);
		return;
	}
	if (j->done) {
		j->done(timed_out ? NULL : j->plan, r, err, j->userdata);
		if (!timed_out)
			j->plan = NULL; /* @done owns it now */
	}
}

/* device_bound / device_unbound / sriov_changed for GET /v1/events, when something moved. */
static void publish_job(const struct bind_job *j)
{
	json_t *devs;

	if (j->r < 0)
		return;
	metrics_observe_op(j->splan ? METRICS_OP_SRIOV
			   : j->plan && j->plan->kind == BIND_KIND_BIND ? METRICS_OP_BIND
									: METRICS_OP_UNBIND,
			   bind_mono_usec() - j->started_usec);
	if (j->splan) {
		if (j->splan->writes_done > 0)
			events_publish("sriov_changed",
				       json_pack("{s:s, s:i, s:i}", "address", j->splan->pf, "num_vfs_before",
						 j->splan->before, "num_vfs", j->splan->after));
		return;
	}
	if (!j->plan)
		return;
	devs = json_array();
	for (size_t i = 0; devs && i < j->plan->n_steps; i++) {
		const struct bind_step *st = &j->plan->steps[i];
		if (st->outcome == BIND_OUTCOME_DONE)
			json_array_append_new(devs, json_pack("{s:s, s:s?, s:s?}", "address", st->address,
							      "driver_before",
							      st->driver_before[0] ? st->driver_before : NULL,
							      "driver", st->driver_after[0] ? st->driver_after : NULL));
	}
	if (!devs || json_array_size(devs) == 0) {
		json_decref(devs);
		return;
	}
	events_publish(j->plan->kind == BIND_KIND_BIND ? "device_bound" : "device_unbound",
		       json_pack("{s:s, s:i, s:o}", "address", j->plan->address, "iommu_group",
				 j->plan->group, "devices", devs));
}

static const char *job_what(const struct bind_job *j)
{
	if (j->splan)
		return "VF change";
	return j->plan->kind == BIND_KIND_BIND ? "bind" : "unbind";
}

int bindsvc_start(struct bindsvc *bs, const char *addr, enum bind_kind kind, bool dry_run,
		  bool force, unsigned timeout_ms, bindsvc_done_fn done, void *userdata,
		  struct bind_plan **ret_plan, struct pd_error *err)
{
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct bind_job *job;
	int r;

	(void)bindsvc_check_group(bs, addr); /* a failed scan keeps the old view, logged */
	r = bindsvc_plan(bs->inv, addr, kind, &plan, err);
	if (r < 0)
		return r;
	if (group_busy(bs, plan->group))
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "group %d has an operation in progress; try again when it ends",
				    plan->group);
	if (bind_plan_answers_now(plan, dry_run)) {
		*ret_plan = TAKE_PTR(plan);
		return 0;
	}
	if (kind == BIND_KIND_BIND && plan->n_critical > 0 && !force) {
		/* Refused before any thread or write: bindsvc_execute says why. */
		r = bindsvc_execute(bs->sysfs, bs->db, plan, false, err);
		*ret_plan = TAKE_PTR(plan);
		return r;
	}

	job = calloc(1, sizeof(*job));
	if (job)
		job->groups = calloc(1, sizeof(*job->groups));
	if (!job || !job->groups) {
		free(job);
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	job->plan = TAKE_PTR(plan);
	job->force = force;
	job->group = job->groups[0] = job->plan->group;
	job->n_groups = 1;
	job->done = done;
	job->userdata = userdata;
	r = job_start(bs, job, timeout_ms, err);
	if (r < 0) {
		job_free(job);
		return r;
	}
	return 1;
}

void bindsvc_dispatch(struct bindsvc *bs)
{
	struct bind_job *finished = NULL, **p;
	uint64_t n;
	int64_t now = bind_mono_usec();
	bool any_sriov = false;
	size_t nf = 0;

	if (read(bs->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("Reading the workers' eventfd failed, ignoring: %m");

	/* Take finished jobs out of the list; expire the ones that outlived their deadline. */
	for (p = &bs->jobs; *p;) {
		struct bind_job *j = *p;
		bool done;

		pthread_mutex_lock(&bs->jobs_lock);
		done = j->finished;
		pthread_mutex_unlock(&bs->jobs_lock);
		if (done) {
			*p = j->next;
			j->next = finished;
			finished = j;
			continue;
		}
		if (!j->answered && j->deadline_usec && now > j->deadline_usec) {
			struct pd_error err = PD_ERROR_INIT;
			if (j->splan)
				pd_error_set(&err, PD_ERR_UNAVAILABLE, -ETIMEDOUT,
					     "the VF change of %s has not finished: the kernel has not answered a sriov_numvfs write; the PF and its VFs stay locked until it does, and the change then completes or rolls back",
					     j->splan->pf);
			else
				pd_error_set(&err, PD_ERR_UNAVAILABLE, -ETIMEDOUT,
					     "the %s of group %d has not finished: the kernel has not answered a driver write; the group stays locked until it does, and the move then completes or rolls back",
					     job_what(j), j->group);
			log_warning("Group %d: %s", j->group, err.message);
			j->answered = true;
			job_answer(j, -ETIMEDOUT, &err, true);
		}
		p = &j->next;
	}
	if (!finished)
		return;

	for (struct bind_job *j = finished; j; j = j->next) {
		pthread_join(j->thread, NULL);
		any_sriov = any_sriov || j->splan;
		nf++;
	}
	/* The API must show the tree as it is now, before anyone hears the result. */
	if (any_sriov) {
		/* VFs came or went: only a scan knows them. */
		struct pd_error err = PD_ERROR_INIT;
		if (inv_scan(bs->inv, &err) < 0)
			log_warning("Rescan after a VF change failed, the inventory may be stale: %s",
				    err.message);
	} else {
		_cleanup_free_ struct bind_plan **plans = calloc(nf, sizeof(*plans));
		size_t k = 0;
		for (struct bind_job *j = finished; plans && j; j = j->next)
			plans[k++] = j->plan;
		if (plans)
			(void)bindsvc_refresh_plans(bs, plans, nf); /* logs */
		else
			(void)inv_scan(bs->inv, NULL); /* out of memory: the slow way, logs */
	}
	while (finished) {
		struct bind_job *j = finished;
		finished = j->next;
		publish_job(j);
		if (!j->answered)
			job_answer(j, j->r, &j->err, false);
		else
			log_notice("Group %d: the late %s finished: %s", j->group, job_what(j),
				   j->r < 0 ? j->err.message : "done");
		job_free(j);
	}
}

void bindsvc_drain(struct bindsvc *bs)
{
	/* In-flight moves finish or roll back on their own; wait for them, then answer. */
	while (bs->jobs) {
		struct bind_job *j = bs->jobs;
		bs->jobs = j->next;
		pthread_join(j->thread, NULL);
		publish_job(j);
		if (!j->answered)
			job_answer(j, j->r, &j->err, false);
		job_free(j);
	}
}

int bindsvc_sriov_start(struct bindsvc *bs, const char *pf, int n, bool dry_run, bool force,
			unsigned timeout_ms, bindsvc_sriov_done_fn done, void *userdata,
			struct sriov_plan *plan, struct pd_error *err)
{
	struct bind_job *job;
	int r;

	r = sriovsvc_plan(bs->sysfs, bs->inv, pf, n, dry_run, force, plan, err);
	if (r < 0)
		return r;
	/* A move of the PF's group or of a VF's in flight would race the VF change. */
	if (group_busy(bs, plan->group))
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "group %d of %s has an operation in progress; try again when it ends",
				    plan->group, pf);
	for (size_t i = 0; i < plan->n_vfs; i++)
		if (group_busy(bs, plan->vfs[i].group))
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "group %d of VF %s of %s has an operation in progress; try again when it ends",
					    plan->vfs[i].group, plan->vfs[i].address, pf);
	if (dry_run || plan->writes == 0)
		return 0;

	job = calloc(1, sizeof(*job));
	if (job) {
		job->splan = calloc(1, sizeof(*job->splan));
		job->groups = calloc(plan->n_vfs + 1, sizeof(*job->groups));
	}
	if (!job || !job->splan || !job->groups) {
		job_free(job);
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	if (plan->group >= 0)
		job->groups[job->n_groups++] = plan->group;
	for (size_t i = 0; i < plan->n_vfs; i++)
		if (plan->vfs[i].group >= 0)
			job->groups[job->n_groups++] = plan->vfs[i].group;
	*job->splan = *plan; /* the job owns the VF list now */
	job->group = plan->group;
	job->force = force;
	job->sdone = done;
	job->userdata = userdata;
	r = job_start(bs, job, timeout_ms, err);
	if (r < 0) {
		plan->vfs = NULL; /* freed with the job */
		plan->n_vfs = 0;
		job_free(job);
		return r;
	}
	memset(plan, 0, sizeof(*plan));
	return 1;
}
