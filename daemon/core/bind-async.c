/*
 * bind-async.c - group moves on worker threads, so a driver that hangs in its remove()
 * stalls its own group only, never the loop that serves the read API and other groups.
 *
 * The loop thread plans (it owns the inventory), locks the group and starts one thread per
 * operation; the thread touches only sysfs (thread-safe openat on a shared root fd) and the
 * workers' own database connection (behind a mutex). It posts its result on an eventfd;
 * bindsvc_dispatch() on the loop thread joins it, rescans, unlocks the group and calls back.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bind-priv.h"
#include "db/db.h"
#include "inventory.h"
#include "log.h"
#include "sriov.h"

struct bind_job {
	struct bindsvc *bs;
	struct bind_plan *plan;
	bool force;
	int group;
	bindsvc_done_fn done;
	void *userdata;
	int64_t deadline_usec; /* 0: none */
	bool answered;	       /* @done was called (early, on a timeout) */
	pthread_t thread;

	/* Written by the worker, read after it posted (under bs->jobs_lock). */
	bool finished;
	int r;
	struct pd_error err;

	struct bind_job *next;
};

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

	r = bindsvc_execute_locked(bs->sysfs, bs->wdb, &bs->wdb_lock, job->plan, job->force, &err);
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
	for (const struct bind_job *j = bs->jobs; j; j = j->next)
		if (j->group == group)
			return true;
	return false;
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

	if (!bs->wdb) {
		r = db_open(db_get_path(bs->db), &bs->wdb, err);
		if (r < 0)
			return r;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	job->bs = bs;
	job->plan = plan;
	job->force = force;
	job->group = plan->group;
	job->done = done;
	job->userdata = userdata;
	job->deadline_usec = timeout_ms ? mono_usec() + (int64_t)timeout_ms * 1000 : 0;
	r = -pthread_create(&job->thread, NULL, worker, job);
	if (r < 0) {
		free(job);
		return pd_error_set(err, PD_ERR_INTERNAL, r, "cannot start a worker: %s", strerror(-r));
	}
	TAKE_PTR(plan); /* the job has it */
	job->next = bs->jobs;
	bs->jobs = job;
	return 1;
}

void bindsvc_dispatch(struct bindsvc *bs)
{
	struct bind_job *finished = NULL, **p;
	uint64_t n;
	int64_t now = mono_usec();

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
			pd_error_set(&err, PD_ERR_UNAVAILABLE, -ETIMEDOUT,
				     "the %s of group %d has not finished: the kernel has not answered a driver write; the group stays locked until it does, and the move then completes or rolls back",
				     j->plan->kind == BIND_KIND_BIND ? "bind" : "unbind", j->group);
			log_warning("Group %d: %s", j->group, err.message);
			j->answered = true;
			if (j->done)
				j->done(NULL, -ETIMEDOUT, &err, j->userdata);
		}
		p = &j->next;
	}
	if (!finished)
		return;

	size_t nf = 0;
	for (struct bind_job *j = finished; j; j = j->next) {
		pthread_join(j->thread, NULL);
		nf++;
	}
	/* The API must show the tree as it is now, before anyone hears the result. */
	{
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
		if (!j->answered && j->done) {
			j->done(j->plan, j->r, &j->err, j->userdata); /* it owns the plan now */
		} else {
			if (j->answered)
				log_notice("Group %d: the late %s finished: %s", j->group,
					   j->plan->kind == BIND_KIND_BIND ? "bind" : "unbind",
					   j->r < 0 ? j->err.message : "done");
			bind_plan_free(j->plan);
		}
		free(j);
	}
}

void bindsvc_drain(struct bindsvc *bs)
{
	/* In-flight moves finish or roll back on their own; wait for them, then answer. */
	while (bs->jobs) {
		struct bind_job *j = bs->jobs;
		bs->jobs = j->next;
		pthread_join(j->thread, NULL);
		if (!j->answered && j->done)
			j->done(j->plan, j->r, &j->err, j->userdata);
		else
			bind_plan_free(j->plan);
		free(j);
	}
}

int bindsvc_sriov(struct bindsvc *bs, const char *pf, int n, bool dry_run, bool force,
		  struct sriov_plan *plan, struct pd_error *err)
{
	const struct pd_device *d = inv_find_device(bs->inv, pf);

	/* A move of the PF's group in flight would race the VF change. */
	if (d && d->iommu_group >= 0 && group_busy(bs, d->iommu_group))
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "group %d of %s has an operation in progress; try again when it ends",
				    d->iommu_group, pf);
	return sriovsvc_set(bs->sysfs, bs->inv, pf, n, dry_run, force, plan, err);
}
