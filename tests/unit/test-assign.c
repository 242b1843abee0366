/*
 * test-assign.c - the assignment service's rules (core/assign-plan.c): which devices an
 * assignment takes, which conflicts refuse it, the reconcile with libvirt, and the request form
 * of Idempotency-Key.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/assign-priv.h"

/* A bind plan of one group: @addrs with @bridge marking bridges and ports. */
static struct bind_plan *plan_of(int group, const char *const *addrs, const bool *bridge,
				 size_t n)
{
	struct bind_plan *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->steps = calloc(n, sizeof(*p->steps));
	assert_non_null(p->steps);
	p->group = group;
	p->n_steps = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(p->steps[i].address, sizeof(p->steps[i].address), "%s", addrs[i]);
		p->steps[i].action = bridge[i] ? BIND_ACTION_SKIP_BRIDGE : BIND_ACTION_MOVE;
	}
	return p;
}

static void free_plan(struct bind_plan *p)
{
	free(p->steps);
	free(p);
}

static void test_assign_plan_takes_companions_not_bridges(void **state)
{
	static const char *const addrs[] = { "0000:04:00.0", "0000:05:01.0", "0000:06:00.0",
					     "0000:07:00.0", "0000:08:00.0" };
	static const bool bridge[] = { true, true, false, false, false };
	struct bind_plan *p = plan_of(12, addrs, bridge, 5);
	struct asg_assignment a = { 0 };
	struct pd_error err = PD_ERROR_INIT;

	assert_int_equal(asg_plan_devices(p, "0000:07:00.0", &a, &err), 0);
	assert_int_equal(a.group, 12);
	assert_int_equal(a.n_devices, 3);
	/* the device named first, then the companions in address order */
	assert_string_equal(a.devices[0], "0000:07:00.0");
	assert_string_equal(a.devices[1], "0000:06:00.0");
	assert_string_equal(a.devices[2], "0000:08:00.0");
	free_plan(p);
}

static void test_assign_plan_refuses_a_bridge(void **state)
{
	static const char *const addrs[] = { "0000:00:01.0", "0000:01:00.0" };
	static const bool bridge[] = { true, false };
	struct bind_plan *p = plan_of(1, addrs, bridge, 2);
	struct asg_assignment a = { 0 };
	struct pd_error err = PD_ERROR_INIT;

	assert_int_equal(asg_plan_devices(p, "0000:00:01.0", &a, &err), -EINVAL);
	assert_int_equal(err.code, PD_ERR_BAD_REQUEST);
	free_plan(p);
}

static void test_assign_plan_refuses_a_huge_group(void **state)
{
	char names[ASG_MAX_DEVICES + 1][PCI_ADDR_LEN + 1];
	const char *addrs[ASG_MAX_DEVICES + 1];
	bool bridge[ASG_MAX_DEVICES + 1] = { false };
	struct asg_assignment a = { 0 };
	struct pd_error err = PD_ERROR_INIT;
	struct bind_plan *p;

	for (int i = 0; i <= ASG_MAX_DEVICES; i++) {
		snprintf(names[i], sizeof(names[i]), "0000:%02x:00.0", i + 1);
		addrs[i] = names[i];
	}
	p = plan_of(3, addrs, bridge, ASG_MAX_DEVICES + 1);
	assert_int_equal(asg_plan_devices(p, names[0], &a, &err), -E2BIG);
	assert_int_equal(err.code, PD_ERR_NOT_VIABLE);
	free_plan(p);
}

static struct asg_assignment make(int64_t id, const char *domain, enum asg_state st, size_t n,
				  ...)
{
	struct asg_assignment a = { .id = id, .state = st, .group = 10, .n_devices = n };
	va_list ap;

	snprintf(a.domain, sizeof(a.domain), "%s", domain);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		snprintf(a.devices[i], sizeof(a.devices[i]), "%s", va_arg(ap, const char *));
	va_end(ap);
	snprintf(a.address, sizeof(a.address), "%s", a.devices[0]);
	return a;
}

static void test_assign_live_conflicts(void **state)
{
	struct asg_assignment all[] = {
		make(1, "gpu-vm", ASG_STATE_ACTIVE, 2, "0000:01:00.0", "0000:01:00.1"),
		make(2, "old-vm", ASG_STATE_RELEASED, 1, "0000:02:00.0"),
	};
	static const struct {
		const char *device, *companion, *domain;
		int want;
		const char *words;
	} cases[] = {
		{ "0000:01:00.0", "0000:01:00.1", "other-vm", -EBUSY, "already assigned" },
		{ "0000:01:00.1", "0000:01:00.0", "other-vm", -EBUSY, "already assigned" },
		{ "0000:03:00.0", "0000:01:00.1", "other-vm", -EBUSY, "split" },
		{ "0000:03:00.0", "0000:01:00.1", "gpu-vm", -EBUSY, "already assigned" },
		{ "0000:02:00.0", NULL, "other-vm", 0, NULL }, /* released: free again */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct asg_assignment want =
			cases[i].companion ?
				make(0, cases[i].domain, ASG_STATE_ACTIVE, 2, cases[i].device,
				     cases[i].companion) :
				make(0, cases[i].domain, ASG_STATE_ACTIVE, 1, cases[i].device);
		struct pd_error err = PD_ERROR_INIT;

		assert_int_equal(asg_check_live(all, ELEMENTSOF(all), &want, &err), cases[i].want);
		if (cases[i].words) {
			assert_int_equal(err.code, PD_ERR_CONFLICT);
			assert_non_null(strstr(err.message, cases[i].words));
		}
	}
}

static void test_assign_detached_and_orphaned_still_hold(void **state)
{
	struct asg_assignment all[] = {
		make(1, "a", ASG_STATE_DETACHED, 1, "0000:01:00.0"),
		make(2, "b", ASG_STATE_ORPHANED, 1, "0000:02:00.0"),
		make(3, "c", ASG_STATE_FAILED, 1, "0000:03:00.0"),
	};
	struct asg_assignment w1 = make(0, "x", ASG_STATE_ACTIVE, 1, "0000:01:00.0");
	struct asg_assignment w2 = make(0, "x", ASG_STATE_ACTIVE, 1, "0000:02:00.0");
	struct asg_assignment w3 = make(0, "x", ASG_STATE_ACTIVE, 1, "0000:03:00.0");

	assert_int_equal(asg_check_live(all, 3, &w1, NULL), -EBUSY);
	assert_int_equal(asg_check_live(all, 3, &w2, NULL), -EBUSY);
	assert_int_equal(asg_check_live(all, 3, &w3, NULL), 0);
}

static void dom(struct domain_info *d, const char *name, size_t n, char (*hd)[PCI_ADDR_LEN + 1])
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->n_hostdevs = n;
	d->hostdevs = hd;
}

static void test_assign_foreign_hostdevs(void **state)
{
	char legacy[1][PCI_ADDR_LEN + 1] = { "0000:00:14.2" };
	struct domain_info doms[2];
	struct asg_assignment w = make(0, "gpu-vm", ASG_STATE_ACTIVE, 2, "0000:00:14.0",
				       "0000:00:14.2");
	struct pd_error err = PD_ERROR_INIT;

	dom(&doms[0], "gpu-vm", 0, NULL);
	dom(&doms[1], "legacy-vm", 1, legacy);
	assert_int_equal(asg_check_domains(doms, 2, &w, &err), -EBUSY);
	assert_non_null(strstr(err.message, "split"));
	assert_non_null(strstr(err.message, "legacy-vm"));

	/* in the target domain already, put there by someone else */
	w = make(0, "legacy-vm", ASG_STATE_ACTIVE, 2, "0000:00:14.0", "0000:00:14.2");
	err = (struct pd_error)PD_ERROR_INIT;
	assert_int_equal(asg_check_domains(doms, 2, &w, &err), -EBUSY);
	assert_non_null(strstr(err.message, "outside passd"));

	w = make(0, "gpu-vm", ASG_STATE_ACTIVE, 1, "0000:01:00.0");
	assert_int_equal(asg_check_domains(doms, 2, &w, NULL), 0);
}

static void test_assign_reconcile_rule(void **state)
{
	char vm1[1][PCI_ADDR_LEN + 1] = { "0000:01:00.0" };		   /* 01:00.1 vanished */
	char vm3[2][PCI_ADDR_LEN + 1] = { "0000:03:00.0", "0000:09:00.0" }; /* 09: not ours */
	struct asg_assignment all[] = {
		make(1, "vm1", ASG_STATE_ACTIVE, 2, "0000:01:00.0", "0000:01:00.1"),
		make(2, "vm2", ASG_STATE_ACTIVE, 1, "0000:02:00.0"), /* vm2 undefined */
		make(3, "vm3", ASG_STATE_ACTIVE, 1, "0000:03:00.0"),
		make(4, "vm1", ASG_STATE_RELEASED, 1, "0000:05:00.0"),
	};
	struct domain_info doms[2];
	enum asg_state st[4];
	struct asg_drift *drift = NULL;
	size_t n = 0;

	dom(&doms[0], "vm1", 1, vm1);
	dom(&doms[1], "vm3", 2, vm3);
	assert_int_equal(asg_reconcile(all, 4, doms, 2, st, &drift, &n), 0);
	assert_int_equal(st[0], ASG_STATE_DETACHED);
	assert_int_equal(st[1], ASG_STATE_ORPHANED);
	assert_int_equal(st[2], ASG_STATE_ACTIVE);
	assert_int_equal(st[3], ASG_STATE_RELEASED);
	assert_int_equal(n, 3);
	assert_int_equal(drift[0].kind, ASG_DRIFT_MISSING_HOSTDEV);
	assert_string_equal(drift[0].address, "0000:01:00.1");
	assert_int_equal(drift[0].assignment_id, 1);
	assert_int_equal(drift[1].kind, ASG_DRIFT_MISSING_DOMAIN);
	assert_string_equal(drift[1].domain, "vm2");
	assert_int_equal(drift[2].kind, ASG_DRIFT_UNMANAGED_HOSTDEV);
	assert_string_equal(drift[2].address, "0000:09:00.0");
	assert_int_equal(drift[2].assignment_id, 0);
	free(drift);
}

static void test_assign_request_canonical(void **state)
{
	struct asg_request a = { .device = "0000:01:00.0", .domain = "gpu-vm", .start = true };
	struct asg_request b = a;
	char ca[ASG_REQUEST_CANON_MAX], cb[ASG_REQUEST_CANON_MAX];
	size_t n;

	/* api/ hashes this form; t6200 checks the stored SHA-256 against sha256sum of it. */
	n = asg_request_canonical(&a, ca);
	assert_string_equal(
		ca, "asg2\ndevice=0000:01:00.0\ndomain=gpu-vm\nstart=1\nforce=0\ndry_run=0\n");
	assert_int_equal(n, strlen(ca));
	asg_request_canonical(&b, cb);
	assert_string_equal(ca, cb); /* the same request, however its JSON was spelled */

	static const struct asg_request others[] = {
		{ .device = "0000:01:00.1", .domain = "gpu-vm", .start = true },
		{ .device = "0000:01:00.0", .domain = "gpu-vm2", .start = true },
		{ .device = "0000:01:00.0", .domain = "gpu-vm", .start = false },
		{ .device = "0000:01:00.0", .domain = "gpu-vm", .start = true, .force = true },
		{ .device = "0000:01:00.0", .domain = "gpu-vm", .start = true, .dry_run = true },
		{ .device = "0000:01:00.0", .domain = "gpu-vm", .start = true, .paused = true },
	};
	for (size_t i = 0; i < ELEMENTSOF(others); i++) {
		asg_request_canonical(&others[i], cb);
		assert_string_not_equal(ca, cb);
	}

	/* The longest request fits whole. */
	memset(b.domain, 'x', DOMAIN_NAME_MAX);
	b.domain[DOMAIN_NAME_MAX] = '\0';
	b.paused = b.force = b.dry_run = true;
	n = asg_request_canonical(&b, cb);
	assert_true(n < ASG_REQUEST_CANON_MAX - 1);
	assert_non_null(strstr(cb, "\npaused=1\n"));
}

static void test_assign_state_names(void **state)
{
	for (int s = 0; s < _ASG_STATE_MAX; s++) {
		enum asg_state back;
		assert_int_equal(asg_state_from_string(asg_state_to_string((enum asg_state)s), &back),
				 0);
		assert_int_equal(back, s);
	}
	assert_true(asg_state_is_live(ASG_STATE_ORPHANED));
	assert_false(asg_state_is_live(ASG_STATE_RELEASED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_plan_takes_companions_not_bridges),
		cmocka_unit_test(test_assign_plan_refuses_a_bridge),
		cmocka_unit_test(test_assign_plan_refuses_a_huge_group),
		cmocka_unit_test(test_assign_live_conflicts),
		cmocka_unit_test(test_assign_detached_and_orphaned_still_hold),
		cmocka_unit_test(test_assign_foreign_hostdevs),
		cmocka_unit_test(test_assign_reconcile_rule),
		cmocka_unit_test(test_assign_request_canonical),
		cmocka_unit_test(test_assign_state_names),
	};

	return cmocka_run_group_tests_name("assign", tests, NULL, NULL);
}
