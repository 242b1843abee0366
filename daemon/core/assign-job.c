/*
 * assign-job.c - the steps of an assignment and a release, and the workers that run the slow
 * ones (libvirt calls, resets) off the loop thread.
 *
 * An operation moves through phases on the loop thread; a phase that blocks runs on a worker
 * thread of its own, which touches only the domain service and sysfs (both thread-safe) and the
 * operation's own fields, then posts on the eventfd. asgsvc_dispatch() joins it and moves the
 * operation on. Group moves go through the binder's asynchronous path, whose callback moves the
 * operation on too. The operation's group stays locked until its last step.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "assign-job.h"
#include "inventory.h"
#include "log.h"
#include "sysfs/sysfs.h"

enum op_kind {
	OP_ASSIGN,
	OP_RELEASE,
	OP_RECONCILE,
};

enum op_phase {
	PH_CHECK,    /* worker: the domain exists, nobody else has the devices */
	PH_BIND,     /* the binder moves the group to vfio-pci */
	PH_ATTACH,   /* worker: attach the hostdevs, start the domain */
	PH_ROLLBACK, /* the binder gives the group back after a failure */
	PH_RELEASE,  /* worker: detach the hostdevs, reset the devices */
	PH_UNBIND,   /* the binder gives the group back */
	PH_LIST,     /* worker: list the domains for the reconcile */
};

struct asg_op {
	struct asgsvc *svc;
	enum op_kind kind;
	enum op_phase phase;
	struct asg_request req;
	struct asg_result res;
	bool has_reset[ASG_MAX_DEVICES];
	bool locked;
	bool bound_by_us;
	bool answered;
	asgsvc_done_fn done;
	void *userdata;
	int64_t t0, phase_t0; /* monotonic usec */
	int64_t deadline;     /* monotonic usec; 0 for none */
	int64_t libvirt;      /* usec waited on libvirt, by the workers: not passd's share */
	bool untimed;	      /* a group move timed out: its waits on sysfs are unknown */

	/* The worker: started by run_worker(), joined by asgsvc_dispatch(). */
	void (*work)(struct asg_op *op);
	pthread_t thread;
	bool finished;	/* under svc->lock */
	int resetting;	/* under svc->lock: index of the device being reset, -1 */
	bool detaching; /* under svc->lock */
	int wr;		/* the worker's result */
	struct pd_error werr;
	bool detach_failed;
	struct domain_info *doms;
	size_t n_doms;

	struct asg_op *next;
};

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The time of a phase that ran since @t0: at least 1 us, since 0 means "did not run". */
static int64_t phase_usec(int64_t t0)
{
	int64_t d = mono_usec() - t0;

	return d > 0 ? d : 1;
}

int64_t asgsvc_wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int asgsvc_jobs_init(struct asgsvc *svc)
{
	svc->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (svc->event_fd < 0)
		return -errno;
	pthread_mutex_init(&svc->lock, NULL);
	return 0;
}

void asgsvc_jobs_done(struct asgsvc *svc)
{
	if (svc->event_fd >= 0)
		close(svc->event_fd);
	pthread_mutex_destroy(&svc->lock);
}

int asgsvc_get_event_fd(struct asgsvc *svc)
{
	return svc->event_fd;
}

static void op_free(struct asg_op *op)
{
	if (!op)
		return;
	if (op->doms)
		domain_info_free_array(op->doms, op->n_doms);
	free(op);
}

/* The libvirt error when there is no domain service at all (--libvirt-uri none, in tests). */
static int no_libvirt(struct pd_error *err)
{
	return pd_error_set(err, PD_ERR_LIBVIRT_UNAVAILABLE, -ENOTCONN,
			    "passd runs without libvirt (--libvirt-uri none)");
}

/* ---- workers ------------------------------------------------------------------------------ */

static void *worker_main(void *userdata)
{
	struct asg_op *op = userdata;
	struct asgsvc *svc = op->svc;
	uint64_t one = 1;

	op->work(op);
	pthread_mutex_lock(&svc->lock);
	op->finished = true;
	pthread_mutex_unlock(&svc->lock);
	if (write(svc->event_fd, &one, sizeof(one)) < 0)
		log_debug("Posting a finished assignment step failed, ignoring: %m");
	return NULL;
}

static int run_worker(struct asg_op *op, enum op_phase phase, void (*work)(struct asg_op *op))
{
	struct asgsvc *svc = op->svc;
	int r;

	op->phase = phase;
	op->work = work;
	op->finished = false;
	op->wr = 0;
	op->werr = (struct pd_error)PD_ERROR_INIT;
	op->phase_t0 = mono_usec();
	/* Each libvirt step of an assignment gets --op-timeout; a release's deadline is its own. */
	if (op->kind == OP_ASSIGN && svc->op_timeout_ms)
		op->deadline = op->phase_t0 + (int64_t)svc->op_timeout_ms * 1000;
	r = -pthread_create(&op->thread, NULL, worker_main, op);
	if (r < 0)
		return pd_error_set(&op->res.err, PD_ERR_INTERNAL, r, "cannot start a worker: %s",
				    strerror(-r));
	op->next = svc->ops;
	svc->ops = op;
	return 0;
}

static const char *const *addr_ptrs(const struct asg_assignment *a, const char **buf)
{
	for (size_t i = 0; i < a->n_devices; i++)
		buf[i] = a->devices[i];
	return buf;
}

static void work_check(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	struct domain_info info = { 0 };
	int64_t t;
	int r;

	if (!svc->ds) {
		op->wr = no_libvirt(&op->werr);
		return;
	}
	t = mono_usec();
	r = domsvc_lookup(svc->ds, op->req.domain, &info, &op->werr);
	domain_info_done(&info);
	if (r >= 0)
		r = domsvc_list(svc->ds, &op->doms, &op->n_doms, &op->werr);
	op->libvirt += mono_usec() - t;
	if (r >= 0)
		r = asg_check_domains(op->doms, op->n_doms, &op->res.a, &op->werr);
	op->wr = r;
}

static void work_attach(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	const char *buf[ASG_MAX_DEVICES];
	const char *const *addrs = addr_ptrs(&op->res.a, buf);
	int64_t t = mono_usec();
	int r;

	r = domsvc_attach(svc->ds, op->req.domain, addrs, op->res.a.n_devices, &op->werr);
	op->res.t.attach = phase_usec(t);
	op->libvirt += op->res.t.attach;
	if (r >= 0 && op->req.start) {
		t = mono_usec();
		r = domsvc_start(svc->ds, op->req.domain, op->req.paused, &op->werr);
		op->res.t.start = phase_usec(t);
		op->libvirt += op->res.t.start;
		if (r < 0) {
			/* Undo the attach here, while still off the loop thread. */
			struct pd_error e = PD_ERROR_INIT;
			int k;

			t = mono_usec();
			k = domsvc_detach(svc->ds, op->req.domain, addrs, op->res.a.n_devices, &e);
			op->libvirt += mono_usec() - t;
			snprintf(op->res.rollback, sizeof(op->res.rollback), "%s",
				 k < 0 ? "detaching the hostdevs again failed" :
					 "the hostdevs were detached again");
			if (k < 0)
				log_warning("Rolling back: detaching %s from domain '%s' failed: %s",
					    op->res.a.address, op->req.domain, e.message);
		} else {
			op->res.a.started = true;
			op->res.paused = op->req.paused;
		}
	}
	op->wr = r;
}

static void work_release(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	const char *buf[ASG_MAX_DEVICES];
	const char *const *addrs = addr_ptrs(&op->res.a, buf);
	int64_t t = mono_usec();
	int r = 0;

	/* An orphaned assignment's domain is gone, and its hostdevs with it. */
	if (op->res.a.state != ASG_STATE_ORPHANED) {
		pthread_mutex_lock(&svc->lock);
		op->detaching = true;
		pthread_mutex_unlock(&svc->lock);
		r = svc->ds ? domsvc_detach(svc->ds, op->res.a.domain, addrs, op->res.a.n_devices,
					    &op->werr) :
			      no_libvirt(&op->werr);
		if (r == -ENOENT) { /* the domain went away meanwhile: nothing left to detach */
			op->werr = (struct pd_error)PD_ERROR_INIT;
			r = 0;
		}
		pthread_mutex_lock(&svc->lock);
		op->detaching = false;
		pthread_mutex_unlock(&svc->lock);
	}
	op->res.t.detach = phase_usec(t);
	op->libvirt += op->res.t.detach;
	if (r < 0) {
		op->detach_failed = true;
		op->wr = r;
		return;
	}
	t = mono_usec();
	for (size_t i = 0; i < op->res.a.n_devices; i++) {
		struct asg_reset *rs = &op->res.resets[i];
		int64_t t1 = mono_usec();

		snprintf(rs->address, sizeof(rs->address), "%s", op->res.a.devices[i]);
		if (!op->has_reset[i])
			continue;
		pthread_mutex_lock(&svc->lock);
		op->resetting = (int)i;
		pthread_mutex_unlock(&svc->lock);
		rs->attempted = true;
		rs->result = sysfs_pci_reset(svc->sysfs, op->res.a.devices[i]);
		rs->usec = mono_usec() - t1;
		pthread_mutex_lock(&svc->lock);
		op->resetting = -1;
		pthread_mutex_unlock(&svc->lock);
	}
	op->res.n_resets = op->res.a.n_devices;
	op->res.t.reset = phase_usec(t);
	op->wr = 0;
}

static void work_list(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;

	op->wr = svc->ds ? domsvc_list(svc->ds, &op->doms, &op->n_doms, &op->werr) :
			   no_libvirt(&op->werr);
}

/* ---- ending an operation ----------------------------------------------------------------- */

/*
 * The operation's total so far, and passd's own share of it: what is left after the waits on
 * libvirt, on the resets and on the sysfs accesses of its group moves. Unknown (-1) while a
 * worker still waits (an early answer, on a timeout) or after a move that timed out.
 */
static void time_total(struct asg_op *op)
{
	struct asg_timing *t = &op->res.t;
	bool running;
	int64_t own;

	pthread_mutex_lock(&op->svc->lock);
	running = op->work && !op->finished;
	pthread_mutex_unlock(&op->svc->lock);
	t->total = mono_usec() - op->t0;
	own = t->total - op->libvirt - t->reset - bind_timing_sum(&t->bind_sysfs) -
	      bind_timing_sum(&t->unbind_sysfs) - bind_timing_sum(&t->rollback_sysfs);
	t->passd = running || op->untimed ? -1 : own > 0 ? own : 0;
}

/* Answer the client once (also early, on a timeout). */
static void answer(struct asg_op *op)
{
	if (op->answered)
		return;
	op->answered = true;
	time_total(op);
	if (op->done)
		op->done(&op->res, op->userdata);
}

/* The last step: unlock the group, answer if not done yet, free. */
static void finish(struct asg_op *op)
{
	if (op->locked)
		asgsvc_unlock_group(op->svc, op->res.a.group);
	answer(op);
	op_free(op);
}

static void fail(struct asg_op *op, int r, const struct pd_error *err)
{
	op->res.r = r;
	if (err && err != &op->res.err)
		op->res.err = *err;
	if (!pd_error_is_set(&op->res.err))
		pd_error_set(&op->res.err, PD_ERR_INTERNAL, r, "%s", strerror(-r));
	finish(op);
}

static void copy_moves(struct asg_result *res, const struct bind_plan *plan)
{
	res->n_moves = 0;
	for (size_t i = 0; plan && i < plan->n_steps && res->n_moves < ASG_MAX_DEVICES; i++) {
		const struct bind_step *st = &plan->steps[i];
		struct asg_move *m;
		if (st->action == BIND_ACTION_SKIP_BRIDGE)
			continue;
		m = &res->moves[res->n_moves++];
		snprintf(m->address, sizeof(m->address), "%s", st->address);
		snprintf(m->driver_before, sizeof(m->driver_before), "%s", st->driver_before);
		snprintf(m->driver_after, sizeof(m->driver_after), "%s", st->driver_after);
		m->outcome = bind_outcome_to_string(st->outcome);
	}
}

void asgsvc_history_bind(struct asgsvc *svc, const char *actor, const char *address,
			 const struct bind_plan *plan, int r, const struct pd_error *err)
{
	_cleanup_free_ struct asg_result *res = calloc(1, sizeof(*res));
	bool rolled_back = false;

	if (!res)
		return;
	copy_moves(res, plan);
	if (plan && plan->usec > 0) {
		/* The move's time and its waits on sysfs, for the entry's detail. */
		bool unbind = plan->kind == BIND_KIND_UNBIND;
		struct bind_timing *w = unbind ? &res->t.unbind_sysfs : &res->t.bind_sysfs;

		*(unbind ? &res->t.unbind : &res->t.bind) = res->t.total = plan->usec;
		bind_plan_timing(plan, w);
		res->t.passd =
			plan->usec > bind_timing_sum(w) ? plan->usec - bind_timing_sum(w) : 0;
	}
	for (size_t i = 0; plan && i < plan->n_steps; i++)
		rolled_back = rolled_back || plan->steps[i].outcome == BIND_OUTCOME_ROLLED_BACK;
	asgsvc_record(svc, actor,
		      plan && plan->kind == BIND_KIND_UNBIND ? "unbind" : "bind",
		      address, NULL, 0,
		      r >= 0 ? "done" : r == -ETIMEDOUT ? "partial" : rolled_back ? "rolled_back" : "failed",
		      res, r < 0 && err ? err->message : NULL);
}

static bool any_done(const struct bind_plan *plan)
{
	for (size_t i = 0; plan && i < plan->n_steps; i++)
		if (plan->steps[i].outcome == BIND_OUTCOME_DONE)
			return true;
	return false;
}

/* ---- assign ------------------------------------------------------------------------------- */

static void assign_attach(struct asg_op *op);

/* After a failure past the bind: give the group back if we took it, then answer. */
static void on_rollback_done(struct bind_plan *plan, int r, const struct pd_error *err,
			     void *userdata)
{
	struct asg_op *op = userdata;
	size_t len = strlen(op->res.rollback);

	op->res.t.rollback = phase_usec(op->phase_t0);
	bind_plan_timing(plan, &op->res.t.rollback_sysfs);
	op->untimed = op->untimed || (!plan && r == -ETIMEDOUT);
	snprintf(op->res.rollback + len, sizeof(op->res.rollback) - len, "%s%s",
		 len ? "; " : "",
		 r < 0 ? "giving the group back to its host drivers failed; it stays on vfio-pci" :
			 "the group went back to its host drivers");
	if (r < 0)
		log_warning("Rolling back the assignment of '%s': unbinding group %d failed: %s",
			    op->res.a.address, op->res.a.group, err ? err->message : "");
	bind_plan_free(plan);
	time_total(op);
	asgsvc_log_result(&op->res, false);
	asgsvc_record(op->svc, op->res.actor, "assign", op->res.a.address, op->res.a.domain, 0,
		      r < 0 ? "partial" : "rolled_back", &op->res, op->res.err.message);
	finish(op);
}

static void assign_rollback(struct asg_op *op, int r, const struct pd_error *err)
{
	struct asgsvc *svc = op->svc;
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct pd_error e = PD_ERROR_INIT;
	int k;

	op->res.r = r;
	op->res.err = *err;
	if (!op->bound_by_us) {
		time_total(op);
		asgsvc_log_result(&op->res, false);
		asgsvc_record(svc, op->res.actor, "assign", op->res.a.address, op->res.a.domain, 0,
			      op->res.rollback[0] ? "rolled_back" : "failed", &op->res,
			      op->res.err.message);
		finish(op);
		return;
	}
	op->phase = PH_ROLLBACK;
	op->phase_t0 = mono_usec();
	k = bindsvc_start(svc->bs, op->res.a.address, BIND_KIND_UNBIND, false, true,
			  svc->op_timeout_ms, on_rollback_done, op, &plan, &e);
	if (k == 1)
		return;
	on_rollback_done(TAKE_PTR(plan), k, &e, op);
}

static void on_bind_done(struct bind_plan *plan, int r, const struct pd_error *err,
			 void *userdata)
{
	struct asg_op *op = userdata;

	op->res.t.bind = phase_usec(op->phase_t0);
	bind_plan_timing(plan, &op->res.t.bind_sysfs);
	op->untimed = op->untimed || (!plan && r == -ETIMEDOUT);
	copy_moves(&op->res, plan);
	op->bound_by_us = any_done(plan);
	bind_plan_free(plan);
	if (r < 0) {
		/* The binder rolled its own moves back (or, timed out, goes on alone). */
		op->res.r = r;
		op->res.err = *err;
		time_total(op);
		asgsvc_log_result(&op->res, false);
		asgsvc_record(op->svc, op->res.actor, "assign", op->res.a.address, op->res.a.domain, 0,
			      r == -ETIMEDOUT ? "partial" : "rolled_back", &op->res, err->message);
		finish(op);
		return;
	}
	assign_attach(op);
}

static void assign_bind(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct pd_error err = PD_ERROR_INIT;
	int r;

	op->phase = PH_BIND;
	op->phase_t0 = mono_usec();
	r = bindsvc_start(svc->bs, op->res.a.address, BIND_KIND_BIND, false, op->req.force,
			  svc->op_timeout_ms, on_bind_done, op, &plan, &err);
	if (r == 1)
		return;
	on_bind_done(TAKE_PTR(plan), r, &err, op); /* nothing to move, or refused */
}

static void assign_attach(struct asg_op *op)
{
	if (run_worker(op, PH_ATTACH, work_attach) < 0)
		assign_rollback(op, op->res.err.error, &op->res.err);
}

static void assign_after_attach(struct asg_op *op)
{
	struct pd_error err = PD_ERROR_INIT;
	int r;

	if (op->wr < 0) {
		assign_rollback(op, op->wr, &op->werr);
		return;
	}
	op->res.a.state = ASG_STATE_ACTIVE;
	r = asgsvc_add(op->svc, &op->res.a, &err);
	if (r < 0) {
		/* Not recorded means not done: take the hostdevs out again, then the group. */
		const char *buf[ASG_MAX_DEVICES];
		struct pd_error e = PD_ERROR_INIT;
		int k = domsvc_detach(op->svc->ds, op->req.domain, addr_ptrs(&op->res.a, buf),
				      op->res.a.n_devices, &e);
		snprintf(op->res.rollback, sizeof(op->res.rollback), "%s",
			 k < 0 ? "detaching the hostdevs again failed" :
				 "the hostdevs were detached again");
		assign_rollback(op, r, &err);
		return;
	}
	time_total(op);
	asgsvc_log_result(&op->res, false);
	asgsvc_record(op->svc, op->res.actor, "assign", op->res.a.address, op->res.a.domain, op->res.a.id, "done",
		      &op->res, NULL);
	finish(op);
}

static void assign_after_check(struct asg_op *op)
{
	op->res.t.check = phase_usec(op->phase_t0);
	if (op->wr < 0) {
		fail(op, op->wr, &op->werr);
		return;
	}
	if (op->req.dry_run) {
		finish(op);
		return;
	}
	assign_bind(op);
}

/* libvirt has not answered a step within --op-timeout: answer 503, let the step finish. */
static void assign_timeout(struct asg_op *op)
{
	op->res.r = pd_error_set(&op->res.err, PD_ERR_LIBVIRT_UNAVAILABLE, -ETIMEDOUT,
				 "libvirt has not answered the %s of domain '%s' within %u ms; the assignment goes on and GET /v1/assignments shows how it ended",
				 op->phase == PH_CHECK ? "lookup" : "hostdev attach or start",
				 op->req.domain, op->svc->op_timeout_ms);
	log_warning("Assignment of device '%s' to domain '%s': %s", op->res.a.address,
		    op->req.domain, op->res.err.message);
	answer(op);
	/* The rest runs without anyone to tell: a late success is a normal assignment. */
	op->res.r = 0;
	op->res.err = (struct pd_error)PD_ERROR_INIT;
}

int asgsvc_assign(struct asgsvc *svc, const struct asg_request *req, asgsvc_done_fn done,
		  void *userdata, struct asg_result *ret)
{
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct asg_result *res = ret;
	const struct pd_device *d;
	struct asg_op *op;
	int r;

	memset(res, 0, sizeof(*res));
	res->dry_run = req->dry_run;
	memcpy(res->actor, req->actor, sizeof(res->actor));
	snprintf(res->a.address, sizeof(res->a.address), "%s", req->device);
	snprintf(res->a.domain, sizeof(res->a.domain), "%s", req->domain);
	res->a.group = -1;
#define REFUSE(...) (res->r = pd_error_set(&res->err, __VA_ARGS__))
	if (!domain_name_is_valid(req->domain))
		return REFUSE(PD_ERR_BAD_REQUEST, -EINVAL,
			      "'%.80s' is not a valid domain name: 1 to %d characters, no '/', no control characters, no XML metacharacters",
			      req->domain, DOMAIN_NAME_MAX);
	d = inv_find_device(svc->inv, req->device);
	if (!d || d->gone)
		return REFUSE(PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s", req->device);
	r = bindsvc_plan(svc->inv, req->device, BIND_KIND_BIND, &plan, &res->err);
	if (r < 0)
		return res->r = r;
	r = asg_plan_devices(plan, req->device, &res->a, &res->err);
	if (r < 0)
		return res->r = r;
	copy_moves(res, plan);
	for (size_t i = 0; i < res->a.n_devices; i++) {
		const char *why = asgsvc_quarantine_reason(svc, res->a.devices[i]);
		if (why)
			return REFUSE(PD_ERR_CONFLICT, -EBUSY,
				      "device %s is quarantined (%s); an operator must clear it first: POST /v1/devices/%s/clear",
				      res->a.devices[i], why, res->a.devices[i]);
	}
	r = asg_check_live(svc->all, svc->n_all, &res->a, &res->err);
	if (r < 0)
		return res->r = r;
	if (asgsvc_group_locked(svc, res->a.group))
		return REFUSE(PD_ERR_CONFLICT, -EBUSY,
			      "group %d has an assignment or release in progress; try again when it ends",
			      res->a.group);
	if (plan->n_critical > 0 && !req->force) {
		for (size_t i = 0; i < plan->n_steps; i++)
			if (plan->steps[i].critical[0])
				return REFUSE(PD_ERR_HOST_CRITICAL, -EPERM,
					      "group %d holds %s, which the host needs (%s); pass force to take it anyway",
					      plan->group, plan->steps[i].address,
					      plan->steps[i].critical);
	}
#undef REFUSE

	op = calloc(1, sizeof(*op));
	if (!op)
		return res->r = pd_error_set(&res->err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	op->svc = svc;
	op->kind = OP_ASSIGN;
	op->req = *req;
	op->res = *res;
	op->done = done;
	op->userdata = userdata;
	op->resetting = -1;
	op->t0 = mono_usec();
	if (!req->dry_run) {
		r = asgsvc_lock_group(svc, op->res.a.group);
		if (r < 0) {
			free(op);
			return res->r = pd_error_set(&res->err, PD_ERR_INTERNAL, r, "out of memory");
		}
		op->locked = true;
	}
	r = run_worker(op, PH_CHECK, work_check);
	if (r < 0) {
		*res = op->res;
		res->r = r;
		if (op->locked)
			asgsvc_unlock_group(svc, op->res.a.group);
		free(op);
		return r;
	}
	return 1;
}

/* ---- release ------------------------------------------------------------------------------ */

static void release_end(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	bool failed = op->res.r < 0; /* asgsvc_release_failed(): the group did not go home */
	const char *why = failed		? op->res.err.message :
			  op->res.n_quarantined ? op->res.quarantined[0].reason :
						  NULL;
	struct asg_assignment *a = NULL;

	for (size_t i = 0; i < svc->n_all; i++)
		if (svc->all[i].id == op->res.a.id)
			a = &svc->all[i];
	/* Past the detach the domain holds nothing, so the assignment ends either way. */
	if (a) {
		(void)asgsvc_set_state(svc, a, failed ? ASG_STATE_FAILED : ASG_STATE_RELEASED,
				       failed		     ? why :
				       op->res.n_quarantined ? "released; devices quarantined" :
							       NULL);
		op->res.a = *a;
	}
	time_total(op);
	asgsvc_log_result(&op->res, true);
	asgsvc_record(svc, op->res.actor, "release", op->res.a.address, op->res.a.domain,
		      op->res.a.id, failed || op->res.n_quarantined ? "partial" : "done", &op->res,
		      why);
	finish(op);
}

static void on_unbind_done(struct bind_plan *plan, int r, const struct pd_error *err,
			   void *userdata)
{
	struct asg_op *op = userdata;

	op->res.t.unbind = phase_usec(op->phase_t0);
	bind_plan_timing(plan, &op->res.t.unbind_sysfs);
	op->untimed = op->untimed || (!plan && r == -ETIMEDOUT);
	copy_moves(&op->res, plan);
	bind_plan_free(plan);
	if (r == -ETIMEDOUT) {
		char reason[256];
		snprintf(reason, sizeof(reason),
			 "giving it back to its host driver did not finish within %u ms (a hung unbind)",
			 op->svc->op_timeout_ms);
		for (size_t i = 0; i < op->res.a.n_devices; i++)
			asgsvc_quarantine(op->svc, op->res.a.devices[i], reason, &op->res);
	} else if (r < 0) {
		asgsvc_release_failed(op->svc, &op->res, r, err); /* the assignment ends failed */
	} else {
		op->res.unbound = true;
	}
	release_end(op);
}

static void release_unbind(struct asg_op *op)
{
	struct asgsvc *svc = op->svc;
	_cleanup_(bind_plan_freep) struct bind_plan *plan = NULL;
	struct pd_error err = PD_ERROR_INIT;
	int r;

	op->phase = PH_UNBIND;
	op->phase_t0 = mono_usec();
	r = bindsvc_start(svc->bs, op->res.a.address, BIND_KIND_UNBIND, false, true,
			  svc->op_timeout_ms, on_unbind_done, op, &plan, &err);
	if (r == 1)
		return;
	on_unbind_done(TAKE_PTR(plan), r, &err, op);
}

static void release_after_worker(struct asg_op *op)
{
	bool bad = false;

	if (op->detach_failed) {
		/* Nothing changed: the domain still has the devices. */
		op->res.r = op->wr;
		op->res.err = op->werr;
		time_total(op);
		asgsvc_log_result(&op->res, true);
		asgsvc_record(op->svc, op->res.actor, "release", op->res.a.address, op->res.a.domain, op->res.a.id,
			      "failed", &op->res, op->werr.message);
		finish(op);
		return;
	}
	for (size_t i = 0; i < op->res.n_resets; i++) {
		const struct asg_reset *rs = &op->res.resets[i];
		bool already = false;
		char reason[256];

		if (!rs->attempted || rs->result >= 0)
			continue;
		bad = true;
		for (size_t k = 0; k < op->res.n_quarantined; k++)
			already = already || streq(op->res.quarantined[k].address, rs->address);
		if (already)
			continue; /* quarantined when it hung */
		snprintf(reason, sizeof(reason), "its reset failed on release: %s",
			 strerror(-rs->result));
		asgsvc_quarantine(op->svc, rs->address, reason, &op->res);
	}
	if (bad || op->res.n_quarantined > 0) {
		/* A device that did not come back clean is not handed to a host driver. */
		snprintf(op->res.rollback, sizeof(op->res.rollback),
			 "the group stays on vfio-pci: a device is quarantined");
		release_end(op);
		return;
	}
	release_unbind(op);
}

/* A release past its timeout: quarantine the device whose reset hangs, answer, go on later. */
static void release_timeout(struct asg_op *op, int resetting, bool detaching)
{
	char reason[256];

	if (resetting >= 0) {
		snprintf(reason, sizeof(reason), "its reset did not finish within %u ms (a hung reset)",
			 op->svc->op_timeout_ms);
		op->res.resets[resetting].attempted = true;
		op->res.resets[resetting].result = -ETIMEDOUT;
		asgsvc_quarantine(op->svc, op->res.a.devices[resetting], reason, &op->res);
		snprintf(op->res.rollback, sizeof(op->res.rollback),
			 "the group stays on vfio-pci: a device is quarantined");
		op->res.a.state = ASG_STATE_RELEASED;
		answer(op);
		return;
	}
	op->res.r = pd_error_set(&op->res.err, detaching ? PD_ERR_LIBVIRT_UNAVAILABLE : PD_ERR_UNAVAILABLE,
				 -ETIMEDOUT,
				 "the release of assignment %" PRId64 " has not finished within %u ms (%s); it goes on and the assignment shows how it ended",
				 op->res.a.id, op->svc->op_timeout_ms,
				 detaching ? "libvirt has not answered the detach" : "still working");
	answer(op);
	/* The rest runs without anyone to tell: how it ends is the assignment's state. */
	op->res.r = 0;
	op->res.err = (struct pd_error)PD_ERROR_INIT;
}

int asgsvc_release(struct asgsvc *svc, int64_t id, bool dry_run, const char *actor,
		   asgsvc_done_fn done, void *userdata, struct asg_result *ret)
{
	const struct asg_assignment *a = asgsvc_find(svc, id);
	struct asg_op *op;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->dry_run = dry_run;
	snprintf(ret->actor, sizeof(ret->actor), "%s", actor ? actor : "");
	if (!a)
		return ret->r = pd_error_set(&ret->err, PD_ERR_NOT_FOUND, -ENOENT,
					     "no assignment %" PRId64, id);
	ret->a = *a;
	if (!asg_state_is_live(a->state))
		return ret->r = pd_error_set(&ret->err, PD_ERR_CONFLICT, -EALREADY,
					     "assignment %" PRId64 " is already %s", id,
					     asg_state_to_string(a->state));
	if (asgsvc_group_locked(svc, a->group))
		return ret->r = pd_error_set(&ret->err, PD_ERR_CONFLICT, -EBUSY,
					     "group %d has an assignment or release in progress; try again when it ends",
					     a->group);
	if (dry_run)
		return 0;

	op = calloc(1, sizeof(*op));
	if (!op || asgsvc_lock_group(svc, a->group) < 0) {
		free(op);
		return ret->r = pd_error_set(&ret->err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	op->svc = svc;
	op->kind = OP_RELEASE;
	op->res = *ret;
	op->locked = true;
	op->done = done;
	op->userdata = userdata;
	op->resetting = -1;
	op->t0 = mono_usec();
	for (size_t i = 0; i < a->n_devices; i++) {
		const struct pd_device *d = inv_find_device(svc->inv, a->devices[i]);
		op->has_reset[i] = d && !d->gone && d->reset_methods[0] != '\0';
	}
	if (svc->op_timeout_ms)
		op->deadline = op->t0 + (int64_t)svc->op_timeout_ms * 1000;
	r = run_worker(op, PH_RELEASE, work_release);
	if (r < 0) {
		*ret = op->res;
		asgsvc_unlock_group(svc, a->group);
		free(op);
		return r;
	}
	return 1;
}

/* ---- reconcile ---------------------------------------------------------------------------- */

void asgsvc_start_reconcile(struct asgsvc *svc)
{
	struct asg_op *op;

	if (svc->reconciling)
		return;
	op = calloc(1, sizeof(*op));
	if (!op)
		return;
	op->svc = svc;
	op->kind = OP_RECONCILE;
	op->resetting = -1;
	op->t0 = mono_usec();
	if (run_worker(op, PH_LIST, work_list) < 0) {
		log_warning("Cannot reconcile assignments with libvirt: %s", op->res.err.message);
		free(op);
		return;
	}
	svc->reconciling = true;
}

static void reconcile_after_list(struct asg_op *op)
{
	op->svc->reconciling = false;
	if (op->wr < 0)
		log_warning("Reconciling assignments with libvirt failed, will retry at the next connection: %s",
			    op->werr.message);
	else
		asgsvc_apply_reconcile(op->svc, op->doms, op->n_doms);
	op_free(op);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static void advance(struct asg_op *op)
{
	switch (op->phase) {
	case PH_CHECK:
		assign_after_check(op);
		return;
	case PH_ATTACH:
		assign_after_attach(op);
		return;
	case PH_RELEASE:
		release_after_worker(op);
		return;
	case PH_LIST:
		reconcile_after_list(op);
		return;
	case PH_BIND:
	case PH_ROLLBACK:
	case PH_UNBIND:
		break; /* the binder's callbacks move these on */
	}
	log_warning("An assignment step finished in an unexpected phase %d, dropping it",
		    (int)op->phase);
}

void asgsvc_dispatch(struct asgsvc *svc)
{
	struct asg_op *finished = NULL, **p;
	int64_t now = mono_usec();
	uint64_t n;

	if (read(svc->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("Reading the assignment workers' eventfd failed, ignoring: %m");
	for (p = &svc->ops; *p;) {
		struct asg_op *op = *p;
		bool done, detaching;
		int resetting;

		pthread_mutex_lock(&svc->lock);
		done = op->finished;
		resetting = op->resetting;
		detaching = op->detaching;
		pthread_mutex_unlock(&svc->lock);
		if (done) {
			*p = op->next;
			op->next = finished;
			finished = op;
			continue;
		}
		if (!op->answered && op->deadline && now > op->deadline) {
			if (op->kind == OP_RELEASE)
				release_timeout(op, resetting, detaching);
			else if (op->kind == OP_ASSIGN)
				assign_timeout(op);
		}
		p = &op->next;
	}
	while (finished) {
		struct asg_op *op = finished;
		finished = op->next;
		op->next = NULL;
		pthread_join(op->thread, NULL);
		advance(op);
	}
}

void asgsvc_drain(struct asgsvc *svc)
{
	/* Steps in flight finish; the ones they start run to their end too (the binder drains). */
	while (svc->ops) {
		for (struct asg_op *op = svc->ops; op; op = op->next) {
			pthread_mutex_lock(&svc->lock);
			bool done = op->finished;
			pthread_mutex_unlock(&svc->lock);
			if (!done) {
				struct timespec ts = { 0, 10 * 1000 * 1000 };
				nanosleep(&ts, NULL);
				break;
			}
		}
		asgsvc_dispatch(svc);
	}
}
