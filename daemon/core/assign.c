/*
 * assign.c - the assignment service: state, checks, and the steps of an assignment and a
 * release, driven on the loop thread (the workers are in assign-job.c).
 *
 * An assignment: checks here (device, quarantine, live assignments, host-critical), then a
 * worker asks libvirt whether the domain exists and who holds the group's devices, then the
 * binder moves the group (its own worker), then a worker attaches the hostdevs and starts the
 * domain. Any failure after the bind gives the group back (an unbind through the binder). The
 * group stays locked from the first check to the answer, so of many concurrent requests for one
 * group exactly one proceeds and the others get a conflict at once.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assign-job.h"
#include "db/assign.h"
#include "events.h"
#include "groups.h"
#include "metrics.h"
#include "sriov.h"
#include "inventory.h"
#include "log.h"

#define IDEM_MAX_AGE_USEC (24LL * 3600 * 1000000)

static double ms(int64_t usec)
{
	return (double)usec / 1000.0;
}

/* ---- in-memory state ---------------------------------------------------------------------- */

static void from_db(struct asg_assignment *a, const struct db_assignment *d)
{
	memset(a, 0, sizeof(*a));
	a->id = d->id;
	snprintf(a->address, sizeof(a->address), "%s", d->address);
	snprintf(a->domain, sizeof(a->domain), "%s", d->domain);
	a->group = d->group;
	a->n_devices = d->n_devices < ASG_MAX_DEVICES ? d->n_devices : ASG_MAX_DEVICES;
	memcpy(a->devices, d->devices, a->n_devices * sizeof(a->devices[0]));
	a->started = d->started;
	if (asg_state_from_string(d->state, &a->state) < 0)
		a->state = ASG_STATE_FAILED;
	snprintf(a->reason, sizeof(a->reason), "%s", d->reason);
	a->created_at = d->created_at;
	a->released_at = d->released_at;
}

static void to_db(struct db_assignment *d, const struct asg_assignment *a)
{
	memset(d, 0, sizeof(*d));
	d->id = a->id;
	snprintf(d->address, sizeof(d->address), "%s", a->address);
	snprintf(d->domain, sizeof(d->domain), "%s", a->domain);
	d->group = a->group;
	d->n_devices = a->n_devices;
	memcpy(d->devices, a->devices, a->n_devices * sizeof(d->devices[0]));
	d->started = a->started;
	snprintf(d->state, sizeof(d->state), "%s", asg_state_to_string(a->state));
	snprintf(d->reason, sizeof(d->reason), "%s", a->reason);
	d->created_at = a->created_at;
}

static struct asg_assignment *find_mut(struct asgsvc *svc, int64_t id)
{
	for (size_t i = 0; i < svc->n_all; i++)
		if (svc->all[i].id == id)
			return &svc->all[i];
	return NULL;
}

const struct asg_assignment *asgsvc_find(const struct asgsvc *svc, int64_t id)
{
	return find_mut((struct asgsvc *)svc, id);
}

size_t asgsvc_list(const struct asgsvc *svc, const struct asg_assignment **ret)
{
	*ret = svc->all;
	return svc->n_all;
}

const struct asg_assignment *asgsvc_find_live_device(const struct asgsvc *svc, const char *addr)
{
	for (size_t i = 0; i < svc->n_all; i++) {
		if (!asg_state_is_live(svc->all[i].state))
			continue;
		for (size_t j = 0; j < svc->all[i].n_devices; j++)
			if (streq(svc->all[i].devices[j], addr))
				return &svc->all[i];
	}
	return NULL;
}

const char *asgsvc_quarantine_reason(const struct asgsvc *svc, const char *addr)
{
	for (size_t i = 0; i < svc->n_quar; i++)
		if (streq(svc->quar[i].address, addr))
			return svc->quar[i].reason;
	return NULL;
}

static void overlay(const char *address, struct inv_overlay *ret, void *userdata)
{
	struct asgsvc *svc = userdata;
	const struct asg_assignment *a = asgsvc_find_live_device(svc, address);

	ret->quarantined = asgsvc_quarantine_reason(svc, address) != NULL;
	if (a) {
		ret->assignment_id = a->id;
		ret->domain = a->domain;
	}
}

bool asgsvc_group_locked(const struct asgsvc *svc, int group)
{
	for (size_t i = 0; i < svc->n_locked; i++)
		if (svc->locked[i] == group)
			return true;
	return false;
}

int asgsvc_lock_group(struct asgsvc *svc, int group)
{
	int *p = realloc(svc->locked, (svc->n_locked + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	svc->locked = p;
	p[svc->n_locked++] = group;
	return 0;
}

void asgsvc_unlock_group(struct asgsvc *svc, int group)
{
	for (size_t i = 0; i < svc->n_locked; i++)
		if (svc->locked[i] == group) {
			svc->locked[i] = svc->locked[--svc->n_locked];
			return;
		}
}

/* ---- history ------------------------------------------------------------------------------ */

/* The driver of @m after its move: the plan's when it was done, else where it is now. */
static const char *driver_after(const struct asgsvc *svc, const struct asg_move *m)
{
	const struct pd_device *d;

	if (!m->outcome || streq(m->outcome, "done") || streq(m->outcome, "unchanged") ||
	    streq(m->outcome, "planned"))
		return m->driver_after;
	/* Rolled back, or not: the binder refreshed the inventory before calling back. */
	d = inv_find_device(svc->inv, m->address);
	return d && !d->gone ? d->driver : "";
}

/* The moves of @res as two JSON objects {address: driver}; "" when nothing moved. */
static void moves_json(const struct asgsvc *svc, const struct asg_result *res, char *before,
		       size_t bsize, char *after, size_t asize)
{
	json_t *b = json_object(), *a = json_object();
	char *s;

	before[0] = after[0] = '\0';
	for (size_t i = 0; b && a && i < res->n_moves; i++) {
		const struct asg_move *m = &res->moves[i];
		const char *drv = driver_after(svc, m);

		json_object_set_new(b, m->address,
				    m->driver_before[0] ? json_string(m->driver_before) : json_null());
		json_object_set_new(a, m->address, drv[0] ? json_string(drv) : json_null());
	}
	if (b && a && res->n_moves > 0) {
		s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
		if (s && strlen(s) < bsize)
			snprintf(before, bsize, "%s", s);
		free(s);
		s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
		if (s && strlen(s) < asize)
			snprintf(after, asize, "%s", s);
		free(s);
	}
	json_decref(b);
	json_decref(a);
}

/* The phases of @t that ran, in order, with the waits on sysfs of those that moved a group. */
struct timing_phase {
	const char *name;
	int64_t usec;
	const struct bind_timing *w; /* NULL: no group move */
};

static size_t timing_phases(const struct asg_timing *t, struct timing_phase out[static 8])
{
	const struct timing_phase all[] = {
		{ "check", t->check, NULL },
		{ "bind", t->bind, &t->bind_sysfs },
		{ "attach", t->attach, NULL },
		{ "start", t->start, NULL },
		{ "detach", t->detach, NULL },
		{ "reset", t->reset, NULL },
		{ "unbind", t->unbind, &t->unbind_sysfs },
		{ "rollback", t->rollback, &t->rollback_sysfs },
	};
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		if (all[i].usec)
			out[n++] = all[i];
	return n;
}

static void timing_put(json_t *o, const char *name, const char *part, int64_t usec, bool ms)
{
	char key[32];

	snprintf(key, sizeof(key), "%s%s%s%s", name, part ? "_" : "", part ? part : "",
		 ms ? "_ms" : "");
	json_object_set_new(o, key, ms ? json_real((double)usec / 1000.0) : json_integer(usec));
}

json_t *asg_timing_to_json(const struct asg_timing *t, bool ms)
{
	struct timing_phase ph[8];
	size_t n = timing_phases(t, ph);
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++) {
		timing_put(o, ph[i].name, NULL, ph[i].usec, ms);
		if (!ph[i].w)
			continue;
		timing_put(o, ph[i].name, "override", ph[i].w->override, ms);
		timing_put(o, ph[i].name, "unbind", ph[i].w->unbind, ms);
		timing_put(o, ph[i].name, "probe", ph[i].w->probe, ms);
		timing_put(o, ph[i].name, "check", ph[i].w->check, ms);
	}
	if (o && t->total) {
		timing_put(o, "total", NULL, t->total, ms);
		if (t->passd >= 0)
			timing_put(o, "passd", NULL, t->passd, ms);
	}
	return o;
}

/*
 * For the log: "check 1.7, bind 12.1 (sysfs: override 0.5, unbind 0.8, probe 0.5, check 0.5),
 * attach 5.8, start 2.7; passd's own 11.1", in milliseconds.
 */
static void timing_format(const struct asg_timing *t, char *buf, size_t size)
{
	struct timing_phase ph[8];
	size_t n = timing_phases(t, ph), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s %.1f", i ? ", " : "",
					ph[i].name, ms(ph[i].usec));
		if (ph[i].w && len < size)
			len += (size_t)snprintf(
				buf + len, size - len,
				" (sysfs: override %.1f, unbind %.1f, probe %.1f, check %.1f)",
				ms(ph[i].w->override), ms(ph[i].w->unbind), ms(ph[i].w->probe),
				ms(ph[i].w->check));
	}
	if (t->passd >= 0 && len < size)
		snprintf(buf + len, size - len, "; passd's own %.1f", ms(t->passd));
}

void asgsvc_record(struct asgsvc *svc, const char *actor, const char *action, const char *target,
		   const char *domain, int64_t id, const char *result, const struct asg_result *res,
		   const char *error)
{
	struct pd_error err = PD_ERROR_INIT;
	_cleanup_free_ struct db_history *h = calloc(1, sizeof(*h));

	if (!h)
		return;
	snprintf(h->actor, sizeof(h->actor), "%s", actor && actor[0] ? actor : "local");
	snprintf(h->action, sizeof(h->action), "%s", action);
	snprintf(h->target, sizeof(h->target), "%s", target ? target : "");
	snprintf(h->domain, sizeof(h->domain), "%s", domain ? domain : "");
	h->assignment_id = id;
	snprintf(h->result, sizeof(h->result), "%s", result);
	snprintf(h->error, sizeof(h->error), "%s", error ? error : "");
	if (res) {
		json_t *d = json_object();
		char *s;

		moves_json(svc, res, h->drivers_before, sizeof(h->drivers_before), h->drivers_after,
			   sizeof(h->drivers_after));
		if (d) {
			json_object_set_new(d, "total_us", json_integer(res->t.total));
			if (res->t.total)
				json_object_set_new(d, "timing_us",
						    asg_timing_to_json(&res->t, false));
			if (res->rollback[0])
				json_object_set_new(d, "rollback", json_string(res->rollback));
			if (res->n_resets > 0) {
				json_t *rs = json_array();
				for (size_t i = 0; rs && i < res->n_resets; i++) {
					const struct asg_reset *r = &res->resets[i];
					json_array_append_new(
						rs, json_pack("{s:s,s:b,s:s?,s:I}", "address",
							      r->address, "attempted", r->attempted,
							      "error",
							      r->result < 0 ? strerror(-r->result) : NULL,
							      "us", (json_int_t)r->usec));
				}
				json_object_set_new(d, "resets", rs);
			}
			s = json_dumps(d, JSON_COMPACT);
			if (s && strlen(s) >= sizeof(h->detail) &&
			    json_object_del(d, "resets") == 0) {
				/* A large group's resets: the answer had them, keep the rest. */
				free(s);
				s = json_dumps(d, JSON_COMPACT);
			}
			if (s && strlen(s) < sizeof(h->detail))
				snprintf(h->detail, sizeof(h->detail), "%s", s);
			free(s);
			json_decref(d);
		}
	}
	if (db_history_add(svc->db, h, &err) < 0)
		log_warning("Recording '%s' of %s in the history failed, ignoring: %s", action,
			    target ? target : "-", err.message);
}

void asgsvc_history_note(struct asgsvc *svc, const char *actor, const char *action,
			 const char *target, const char *result, const char *error)
{
	asgsvc_record(svc, actor, action, target, NULL, 0, result, NULL, error);
}

/* @o's text in @out, "" when it is empty or too long to fit; takes @o. */
static void object_text(json_t *o, char *out, size_t size)
{
	char *s =
		o && json_object_size(o) > 0 ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	out[0] = '\0';
	if (s && strlen(s) < size)
		snprintf(out, size, "%s", s);
	free(s);
	json_decref(o);
}

static json_t *driver_json(const char *driver)
{
	return driver[0] ? json_string(driver) : json_null();
}

void asgsvc_history_sriov(struct asgsvc *svc, const char *actor, const struct sriov_plan *plan,
			  int r, const struct pd_error *err)
{
	_cleanup_free_ struct db_history *h = calloc(1, sizeof(*h));
	struct pd_error e = PD_ERROR_INIT;
	bool known = plan->writes_tried > 0; /* the worker ran: @plan says how it ended */
	const char *result;
	json_t *d;
	char *s;

	if (!h)
		return;
	/* The count read back says what changed, whatever the writes answered. */
	if (r >= 0)
		result = "done";
	else if (!known)
		result = r == -ETIMEDOUT ? "partial" : "failed"; /* timed out: it goes on */
	else if (plan->now != plan->before)
		result = "partial";
	else
		result = plan->restore_tried ? "rolled_back" : "failed";
	snprintf(h->actor, sizeof(h->actor), "%s", actor && actor[0] ? actor : "local");
	snprintf(h->action, sizeof(h->action), "sriov");
	snprintf(h->target, sizeof(h->target), "%s", plan->pf);
	snprintf(h->result, sizeof(h->result), "%s", result);
	snprintf(h->error, sizeof(h->error), "%s", r < 0 && err ? err->message : "");
	/* Any change removes every VF (directly or through 0); the new ones are in the rescan. */
	if (plan->writes_done > 0) {
		const struct pd_device *pf = inv_find_device(svc->inv, plan->pf);
		const struct pd_device *const *vfs = NULL;
		size_t n = pf && !pf->gone ? inv_device_vfs(svc->inv, pf, &vfs) : 0;
		json_t *b = json_object(), *a = json_object();

		for (size_t i = 0; b && i < plan->n_vfs; i++)
			json_object_set_new(b, plan->vfs[i].address,
					    driver_json(plan->vfs[i].driver));
		for (size_t i = 0; a && i < n; i++)
			json_object_set_new(a, vfs[i]->address, driver_json(vfs[i]->driver));
		object_text(b, h->drivers_before, sizeof(h->drivers_before));
		object_text(a, h->drivers_after, sizeof(h->drivers_after));
	}
	d = json_pack("{s:i,s:o,s:i}", "num_vfs_before", plan->before, "num_vfs_after",
		      known ? json_integer(plan->now) : json_null(), "num_vfs_wanted", plan->after);
	if (d && plan->restore_tried)
		json_object_set_new(d, "restore",
				    json_string(plan->restore_error < 0 ? "failed" : "done"));
	s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	if (s && strlen(s) < sizeof(h->detail))
		snprintf(h->detail, sizeof(h->detail), "%s", s);
	free(s);
	json_decref(d);
	if (db_history_add(svc->db, h, &e) < 0)
		log_warning("Recording the VF change of %s in the history failed, ignoring: %s",
			    plan->pf, e.message);
}

int asgsvc_history(struct asgsvc *svc, int64_t before, unsigned limit, struct asg_history **ret,
		   size_t *ret_n, struct pd_error *err)
{
	_cleanup_free_ struct db_history *rows = NULL;
	struct asg_history *out;
	size_t n;
	int r;

	r = db_history_list(svc->db, before, limit, &rows, &n, err);
	if (r < 0)
		return r;
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct asg_history *o = &out[i];
		const struct db_history *h = &rows[i];
		o->id = h->id;
		o->at = h->at;
		o->assignment_id = h->assignment_id;
		memcpy(o->actor, h->actor, sizeof(o->actor));
		memcpy(o->action, h->action, sizeof(o->action));
		memcpy(o->target, h->target, sizeof(o->target));
		memcpy(o->domain, h->domain, sizeof(o->domain));
		memcpy(o->result, h->result, sizeof(o->result));
		memcpy(o->drivers_before, h->drivers_before, sizeof(o->drivers_before));
		memcpy(o->drivers_after, h->drivers_after, sizeof(o->drivers_after));
		memcpy(o->error, h->error, sizeof(o->error));
		memcpy(o->detail, h->detail, sizeof(o->detail));
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* ---- changes of state --------------------------------------------------------------------- */

int asgsvc_set_state(struct asgsvc *svc, struct asg_assignment *a, enum asg_state state,
		     const char *reason)
{
	struct pd_error err = PD_ERROR_INIT;
	int r;

	r = db_assignment_set_state(svc->db, a->id, asg_state_to_string(state), reason, &err);
	if (r < 0)
		log_warning("Recording assignment %" PRId64 " as %s failed, the database is behind: %s",
			    a->id, asg_state_to_string(state), err.message);
	a->state = state;
	if (reason)
		snprintf(a->reason, sizeof(a->reason), "%s", reason);
	if (state == ASG_STATE_RELEASED || state == ASG_STATE_FAILED)
		a->released_at = asgsvc_wall_usec();
	inv_overlay_changed(svc->inv);
	return r;
}

int asgsvc_add(struct asgsvc *svc, struct asg_assignment *a, struct pd_error *err)
{
	struct db_assignment d;
	struct asg_assignment *p;
	int64_t id;
	int r;

	p = realloc(svc->all, (svc->n_all + 1) * sizeof(*p));
	if (!p)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	svc->all = p;
	a->created_at = asgsvc_wall_usec();
	to_db(&d, a);
	r = db_assignment_insert(svc->db, &d, &id, err);
	if (r < 0)
		return r;
	a->id = id;
	svc->all[svc->n_all++] = *a;
	inv_overlay_changed(svc->inv);
	return 0;
}

void asgsvc_quarantine(struct asgsvc *svc, const char *addr, const char *reason,
		       struct asg_result *res)
{
	struct pd_error err = PD_ERROR_INIT;
	struct asg_quar *q;

	log_warning("Quarantining device '%s': %s", addr, reason);
	events_publish("device_quarantined",
		       json_pack("{s:s, s:s, s:s?}", "address", addr, "reason", reason, "domain",
				 res && res->a.domain[0] ? res->a.domain : NULL));
	if (db_quarantine_put(svc->db, addr, reason, &err) < 0)
		log_warning("Recording the quarantine of '%s' failed, it lasts until passd stops: %s",
			    addr, err.message);
	asgsvc_record(svc, res ? res->actor : "passd", "quarantine", addr, res ? res->a.domain : NULL, res ? res->a.id : 0,
		      "done", NULL, reason);
	if (res && res->n_quarantined < ASG_MAX_DEVICES) {
		struct asg_quarantined *o = &res->quarantined[res->n_quarantined++];
		snprintf(o->address, sizeof(o->address), "%s", addr);
		snprintf(o->reason, sizeof(o->reason), "%s", reason);
	}
	for (size_t i = 0; i < svc->n_quar; i++)
		if (streq(svc->quar[i].address, addr)) {
			snprintf(svc->quar[i].reason, sizeof(svc->quar[i].reason), "%s", reason);
			inv_overlay_changed(svc->inv);
			return;
		}
	q = realloc(svc->quar, (svc->n_quar + 1) * sizeof(*q));
	if (!q)
		return; /* recorded in the database; shown after a restart */
	svc->quar = q;
	snprintf(q[svc->n_quar].address, sizeof(q[0].address), "%s", addr);
	snprintf(q[svc->n_quar].reason, sizeof(q[0].reason), "%s", reason);
	svc->n_quar++;
	inv_overlay_changed(svc->inv);
}

void asgsvc_release_failed(struct asgsvc *svc, struct asg_result *res, int r,
			   const struct pd_error *err)
{
	const struct asg_assignment *a = &res->a;
	bool have = err && pd_error_is_set(err);
	enum pd_errcode code;
	char where[192] = "";
	size_t len = 0;

	/* The binder rolled its moves back: normally every device is on vfio-pci again. */
	for (size_t i = 0; i < a->n_devices && len < sizeof(where); i++) {
		const struct pd_device *d = inv_find_device(svc->inv, a->devices[i]);
		bool gone = !d || d->gone;

		if (!gone && d->driver[0] && grp_driver_is_vfio(d->driver))
			continue;
		len += (size_t)snprintf(where + len, sizeof(where) - len, "%s%s %s%s",
					len ? ", " : "", a->devices[i],
					gone	     ? "is gone" :
					d->driver[0] ? "is on " :
						       "is on no driver",
					gone ? "" : d->driver);
	}
	/* A device the binder no longer finds left the bus: the kernel's conflict, not a 404. */
	code = have ? err->code : PD_ERR_INTERNAL;
	if (code == PD_ERR_NOT_FOUND)
		code = PD_ERR_CONFLICT;
	res->r = r;
	pd_error_set(&res->err, code, r,
		     "giving group %d back to its host drivers failed after the detach: %s; %s",
		     a->group, have ? err->message : strerror(-r),
		     where[0] ? where : "the group stays on vfio-pci");
	len = strlen(res->rollback);
	snprintf(res->rollback + len, sizeof(res->rollback) - len, "%s%s", len ? "; " : "",
		 where[0] ? "rolling the unbind back failed" : "the unbind was rolled back");
}

int asgsvc_clear(struct asgsvc *svc, const char *addr, bool dry_run, const char *actor,
		 struct pd_error *err)
{
	const char *reason = asgsvc_quarantine_reason(svc, addr);
	int r;

	if (!reason) {
		if (!inv_find_device(svc->inv, addr))
			return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "no PCI device at %s",
					    addr);
		return pd_error_set(err, PD_ERR_NOT_FOUND, -ENOENT, "device %s is not quarantined",
				    addr);
	}
	if (dry_run)
		return 0;
	r = db_quarantine_delete(svc->db, addr, err);
	if (r < 0 && r != -ENOENT)
		return r;
	log_notice("Quarantine of device '%s' cleared (was: %s)", addr, reason);
	events_publish("quarantine_cleared",
		       json_pack("{s:s, s:s, s:s}", "address", addr, "reason", reason, "actor", actor));
	asgsvc_record(svc, actor, "clear", addr, NULL, 0, "done", NULL, reason);
	for (size_t i = 0; i < svc->n_quar; i++)
		if (streq(svc->quar[i].address, addr)) {
			svc->quar[i] = svc->quar[--svc->n_quar];
			break;
		}
	inv_overlay_changed(svc->inv);
	return 0;
}

int asgsvc_check_bind(const struct asgsvc *svc, const char *addr, struct pd_error *err)
{
	const struct pd_device *d = inv_find_device(svc->inv, addr);
	const struct grp_group *g;

	if (!d || d->gone || d->iommu_group < 0)
		return 0; /* the binder says what is wrong */
	if (asgsvc_group_locked(svc, d->iommu_group))
		return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
				    "group %d has an assignment in progress; try again when it ends",
				    d->iommu_group);
	g = grp_set_find(inv_get_groups(svc->inv), d->iommu_group);
	for (size_t i = 0; g && i < g->n_devices; i++) {
		const struct asg_assignment *a = asgsvc_find_live_device(svc, g->devices[i]->address);
		if (a)
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "group %d is assigned to domain '%s' (assignment %" PRId64 "); release it first",
					    d->iommu_group, a->domain, a->id);
	}
	return 0;
}

/* ---- idempotency -------------------------------------------------------------------------- */

int asgsvc_idem_begin(struct asgsvc *svc, const char *key, const char *hash, int *ret_status,
		      char **ret_body, struct pd_error *err)
{
	char stored[65] = "";
	char *body = NULL, **p;
	int status = 0, r;

	for (size_t i = 0; i < svc->n_idem; i++)
		if (streq(svc->idem[i], key))
			return pd_error_set(err, PD_ERR_CONFLICT, -EBUSY,
					    "a request with this Idempotency-Key is in progress; retry when it has been answered");
	r = db_idempotency_get(svc->db, key, IDEM_MAX_AGE_USEC, stored, &status, &body, err);
	if (r == 0 && strlen(stored) != strlen(hash)) {
		/* Kept by an older passd (asg1, FNV-1a): not comparable, so as good as expired. */
		free(TAKE_PTR(body));
		r = -ENOENT;
	}
	if (r == 0) {
		if (!streq(stored, hash)) {
			free(body);
			return pd_error_set(err, PD_ERR_CONFLICT, -EEXIST,
					    "this Idempotency-Key was used with a different request; use a new key for a new request");
		}
		*ret_status = status;
		*ret_body = body;
		return 1;
	}
	if (r != -ENOENT)
		return r;
	p = realloc(svc->idem, (svc->n_idem + 1) * sizeof(*p));
	if (!p)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	svc->idem = p;
	p[svc->n_idem] = strdup(key);
	if (!p[svc->n_idem])
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	svc->n_idem++;
	return 0;
}

void asgsvc_idem_end(struct asgsvc *svc, const char *key, const char *hash, int status,
		     const char *body)
{
	struct pd_error err = PD_ERROR_INIT;

	/* Only an answer that created something is kept: a refusal may go another way next time. */
	if (status == 201 && body &&
	    db_idempotency_put(svc->db, key, hash, status, body, IDEM_MAX_AGE_USEC, &err) < 0)
		log_warning("Storing the answer of Idempotency-Key '%s' failed, a retry will run again: %s",
			    key, err.message);
	for (size_t i = 0; i < svc->n_idem; i++)
		if (streq(svc->idem[i], key)) {
			free(svc->idem[i]);
			svc->idem[i] = svc->idem[--svc->n_idem];
			return;
		}
}

/* ---- setup -------------------------------------------------------------------------------- */

int asgsvc_new(struct inv *inv, struct bindsvc *bs, struct domsvc *ds, struct sysfs *s,
	       struct db *db, unsigned op_timeout_ms, struct asgsvc **ret)
{
	struct asgsvc *svc = calloc(1, sizeof(*svc));
	int r;

	if (!svc)
		return -ENOMEM;
	svc->inv = inv;
	svc->bs = bs;
	svc->ds = ds;
	svc->sysfs = s;
	svc->db = db;
	svc->op_timeout_ms = op_timeout_ms;
	r = asgsvc_jobs_init(svc);
	if (r < 0) {
		free(svc);
		return r;
	}
	if (ds)
		domsvc_set_event_handler(ds, asgsvc_on_domain_event, svc);
	*ret = svc;
	return 0;
}

void asgsvc_free(struct asgsvc *svc)
{
	if (!svc)
		return;
	asgsvc_drain(svc);
	asgsvc_jobs_done(svc);
	if (svc->ds)
		domsvc_set_event_handler(svc->ds, NULL, NULL);
	inv_set_overlay(svc->inv, NULL, NULL);
	for (size_t i = 0; i < svc->n_idem; i++)
		free(svc->idem[i]);
	free(svc->idem);
	free(svc->all);
	free(svc->quar);
	free(svc->locked);
	free(svc->drift);
	free(svc);
}

int asgsvc_load(struct asgsvc *svc, struct pd_error *err)
{
	_cleanup_free_ struct db_assignment *rows = NULL;
	_cleanup_free_ struct db_quarantine *qs = NULL;
	size_t n = 0, nq = 0, live = 0;
	int r;

	r = db_assignment_list(svc->db, &rows, &n, err);
	if (r < 0)
		return r;
	r = db_quarantine_list(svc->db, &qs, &nq, err);
	if (r < 0)
		return r;
	svc->all = calloc(n ? n : 1, sizeof(*svc->all));
	svc->quar = calloc(nq ? nq : 1, sizeof(*svc->quar));
	if (!svc->all || !svc->quar)
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		from_db(&svc->all[i], &rows[i]);
		live += asg_state_is_live(svc->all[i].state);
	}
	svc->n_all = n;
	for (size_t i = 0; i < nq; i++) {
		snprintf(svc->quar[i].address, sizeof(svc->quar[i].address), "%s", qs[i].address);
		snprintf(svc->quar[i].reason, sizeof(svc->quar[i].reason), "%s", qs[i].reason);
	}
	svc->n_quar = nq;
	inv_set_overlay(svc->inv, overlay, svc);
	if (live > 0 || nq > 0)
		log_info("Assignments: %zu live, %zu quarantined devices", live, nq);
	return 0;
}

/* ---- libvirt's events --------------------------------------------------------------------- */

/* drift_found for GET /v1/events: an assignment that libvirt no longer matches. */
static void publish_drift(const struct asg_assignment *a, const char *reason)
{
	events_publish("drift_found",
		       json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "kind", "assignment", "assignment",
				 (json_int_t)a->id, "address", a->address, "domain", a->domain, "state",
				 asg_state_to_string(a->state), "reason", reason));
}

void asgsvc_on_domain_event(const struct domain_event *ev, void *userdata)
{
	struct asgsvc *svc = userdata;
	char reason[256];

	switch (ev->kind) {
	case DOMAIN_EVENT_CONNECTED:
		asgsvc_start_reconcile(svc);
		return;
	case DOMAIN_EVENT_UNDEFINED:
		for (size_t i = 0; i < svc->n_all; i++) {
			struct asg_assignment *a = &svc->all[i];
			if (!asg_state_is_live(a->state) || a->state == ASG_STATE_ORPHANED ||
			    !streq(a->domain, ev->domain) || asgsvc_group_locked(svc, a->group))
				continue;
			snprintf(reason, sizeof(reason),
				 "domain '%s' was undefined; the group stays on vfio-pci until the assignment is released",
				 a->domain);
			log_warning("Assignment %" PRId64 " of '%s': %s", a->id, a->address, reason);
			(void)asgsvc_set_state(svc, a, ASG_STATE_ORPHANED, reason);
			asgsvc_record(svc, "passd", "reconcile", a->address, a->domain, a->id, "done", NULL,
				      reason);
		}
		return;
	case DOMAIN_EVENT_DEVICE_REMOVED:
		if (ev->address[0] == '\0') {
			/* libvirt named a device passd cannot map to an address: look at all. */
			asgsvc_start_reconcile(svc);
			return;
		}
		for (size_t i = 0; i < svc->n_all; i++) {
			struct asg_assignment *a = &svc->all[i];
			bool holds = false;
			for (size_t j = 0; j < a->n_devices; j++)
				holds = holds || streq(a->devices[j], ev->address);
			if (a->state != ASG_STATE_ACTIVE || !holds || !streq(a->domain, ev->domain) ||
			    asgsvc_group_locked(svc, a->group))
				continue;
			snprintf(reason, sizeof(reason),
				 "hostdev %s was removed from domain '%s' outside passd; the group stays on vfio-pci until the assignment is released",
				 ev->address, a->domain);
			log_warning("Assignment %" PRId64 ": %s", a->id, reason);
			(void)asgsvc_set_state(svc, a, ASG_STATE_DETACHED, reason);
			publish_drift(a, reason);
			asgsvc_record(svc, "passd", "reconcile", ev->address, a->domain, a->id, "done", NULL,
				      reason);
		}
		return;
	case DOMAIN_EVENT_DISCONNECTED:
	case DOMAIN_EVENT_DEFINED:
	case DOMAIN_EVENT_STARTED:
	case DOMAIN_EVENT_STOPPED:
		return;
	}
}

void asgsvc_apply_reconcile(struct asgsvc *svc, const struct domain_info *doms, size_t n)
{
	_cleanup_free_ enum asg_state *states = calloc(svc->n_all ? svc->n_all : 1, sizeof(*states));
	struct asg_drift *drift = NULL;
	size_t nd = 0;

	if (!states || asg_reconcile(svc->all, svc->n_all, doms, n, states, &drift, &nd) < 0) {
		log_warning("Reconciling assignments with libvirt ran out of memory, skipping it");
		return;
	}
	for (size_t i = 0; i < svc->n_all; i++) {
		struct asg_assignment *a = &svc->all[i];
		char reason[256];

		if (states[i] == a->state || asgsvc_group_locked(svc, a->group))
			continue;
		if (states[i] == ASG_STATE_ORPHANED)
			snprintf(reason, sizeof(reason),
				 "domain '%s' does not exist in libvirt; the group stays on vfio-pci until the assignment is released",
				 a->domain);
		else
			snprintf(reason, sizeof(reason),
				 "a hostdev of the assignment is not in domain '%s'; the group stays on vfio-pci until the assignment is released",
				 a->domain);
		log_warning("Reconcile: assignment %" PRId64 " of '%s' is now %s: %s", a->id,
			    a->address, asg_state_to_string(states[i]), reason);
		(void)asgsvc_set_state(svc, a, states[i], reason);
		asgsvc_record(svc, "passd", "reconcile", a->address, a->domain, a->id, "done", NULL, reason);
		publish_drift(a, reason);
	}
	for (size_t i = 0; i < nd; i++)
		if (drift[i].kind == ASG_DRIFT_UNMANAGED_HOSTDEV) {
			log_notice("Reconcile: domain '%s' has hostdev %s, which passd did not add; leaving it alone",
				   drift[i].domain, drift[i].address);
			events_publish("drift_found",
				       json_pack("{s:s, s:s, s:s}", "kind", "unmanaged_hostdev",
						 "address", drift[i].address, "domain", drift[i].domain));
		}
	free(svc->drift);
	svc->drift = drift;
	svc->n_drift = nd;
	svc->drift_when = asgsvc_wall_usec();
}

size_t asgsvc_get_drift(const struct asgsvc *svc, const struct asg_drift **ret,
			int64_t *ret_when)
{
	*ret = svc->drift;
	*ret_when = svc->drift_when;
	return svc->n_drift;
}

/* ---- the answers ------------------------------------------------------------------------- */

void asgsvc_log_result(const struct asg_result *res, bool release)
{
	const struct asg_assignment *a = &res->a;
	char times[512], after[32] = "";

	if (res->r >= 0 && !res->dry_run && release && res->n_resets > 0)
		metrics_observe_op(METRICS_OP_RESET, res->t.reset);
	/* A release that ended failed has let go of the devices too: listeners hear of it. */
	if (!res->dry_run && (release ? !asg_state_is_live(a->state) : res->r >= 0))
		events_publish(release ? "device_released" : "device_assigned",
			       json_pack("{s:I, s:s, s:s, s:i, s:b, s:s}", "assignment",
					 (json_int_t)a->id, "address", a->address, "domain",
					 a->domain, "iommu_group", a->group, "started", a->started,
					 "state", asg_state_to_string(a->state)));
	if (res->r < 0) {
		if (res->t.total)
			snprintf(after, sizeof(after), " after %.1f ms", ms(res->t.total));
		log_warning("%s of device '%s' %s domain '%s' failed%s: %s%s%s",
			    release ? "Release" : "Assignment", a->address, release ? "from" : "to",
			    a->domain, after, res->err.message, res->rollback[0] ? "; " : "",
			    res->rollback);
		return;
	}
	timing_format(&res->t, times, sizeof(times));
	if (release)
		log_info("Released assignment %" PRId64
			 " of device '%s' from domain '%s' in %.1f ms: %s%s",
			 a->id, a->address, a->domain, ms(res->t.total), times,
			 res->n_quarantined ? "; devices quarantined" : "");
	else
		log_info("Assigned device '%s' (group %d, %zu devices) to domain '%s' as %" PRId64
			 " in %.1f ms: %s",
			 a->address, a->group, a->n_devices, a->domain, a->id, ms(res->t.total),
			 times);
}
