/*
 * test-domsvc.c - core/domains against the real libvirt library: test:///default, whose state
 * lives in this process while a connection to it is open (each test gets a fresh one).
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/domains.h"
#include "loop.h"
#include "virt/virt.h"

struct fixture {
	struct loop *loop;
	struct domsvc *ds;
};

static bool wait_connected(struct domsvc *ds, bool want)
{
	for (int i = 0; i < 500; i++) {
		if (domsvc_is_connected(ds) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(loop_new(&fx->loop), 0);
	assert_int_equal(domsvc_new(fx->loop, "test:///default", &fx->ds), 0);
	assert_true(wait_connected(fx->ds, true));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	domsvc_free(fx->ds);
	loop_free(fx->loop);
	free(fx);
	return 0;
}

static void test_domsvc_name_validation(void **state)
{
	static const char *const good[] = {
		"test", "gpu-vm", "web.1", "a_b+c:d", "_x", "A9",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", /* 64 */
	};
	static const char *const bad[] = {
		"", ".x", "-x", "a b", "a/b", "a<b", "a&b", "a'b", "a\"b", "a>b", "a\nb", "a\tb",
		"caf\xc3\xa9", "a%2Fb", "a\\b",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm", /* 65 */
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		print_message("# good %zu\n", i);
		assert_true(domain_name_is_valid(good[i]));
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		print_message("# bad %zu\n", i);
		assert_false(domain_name_is_valid(bad[i]));
	}
	assert_false(domain_name_is_valid(NULL));
}

static void test_domsvc_none_is_unavailable(void **state)
{
	struct pd_error err = PD_ERROR_INIT;
	struct domain_info *list = (void *)0x1;
	struct loop *l = NULL;
	struct domsvc *ds = NULL;
	size_t n = 7;
	char buf[64] = "x";

	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(domsvc_new(l, "none", &ds), 0);
	assert_false(domsvc_is_connected(ds));
	assert_string_equal(domsvc_get_uri(ds), "none");
	domsvc_get_last_error(ds, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(domsvc_list(ds, &list, &n, &err), -ENOTCONN);
	assert_int_equal(err.code, PD_ERR_LIBVIRT_UNAVAILABLE);
	assert_ptr_equal(list, (void *)0x1); /* ret_ untouched */
	assert_int_equal(n, 7);
	domsvc_free(ds);
	loop_free(l);
}

static void test_domsvc_unreachable_retries(void **state)
{
	struct pd_error err = PD_ERROR_INIT;
	struct loop *l = NULL;
	struct domsvc *ds = NULL;
	char buf[512];

	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(domsvc_new(l, "qemu:///system?socket=/nonexistent/passd-test-sock", &ds),
			 0);
	usleep(500000); /* 100 + 200 ms of backoff: at least 3 attempts */
	assert_false(domsvc_is_connected(ds));
	assert_true(domsvc_get_retries(ds) >= 2);
	domsvc_get_last_error(ds, buf, sizeof(buf));
	assert_non_null(strstr(buf, "passd-test-sock"));
	assert_int_equal(domsvc_start(ds, "x", false, &err), -ENOTCONN);
	assert_int_equal(err.code, PD_ERR_LIBVIRT_UNAVAILABLE);
	domsvc_free(ds);
	loop_free(l);
}

static void test_domsvc_lookup_and_errors(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct domain_info d = { 0 };
	const char *bad_addr[] = { "0000:65:00.8" };

	assert_int_equal(domsvc_lookup(fx->ds, "test", &d, &err), 0);
	assert_string_equal(d.name, "test");
	assert_int_equal(d.state, DOMAIN_STATE_RUNNING);
	assert_true(d.persistent);
	assert_int_equal(d.n_hostdevs, 0);
	domain_info_done(&d);

	assert_int_equal(domsvc_lookup(fx->ds, "nope", &d, &err), -ENOENT);
	assert_int_equal(err.code, PD_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "'nope'"));

	err = (struct pd_error)PD_ERROR_INIT;
	assert_int_equal(domsvc_lookup(fx->ds, "a<b", &d, &err), -EINVAL);
	assert_int_equal(err.code, PD_ERR_BAD_REQUEST);

	err = (struct pd_error)PD_ERROR_INIT;
	assert_int_equal(domsvc_attach(fx->ds, "test", bad_addr, 1, &err), -EINVAL);
	assert_int_equal(err.code, PD_ERR_BAD_REQUEST);
}

/* The hostdevs of test's persistent config, through a second connection (same test state). */
static size_t config_hostdevs(struct virt_hostdev **ret)
{
	struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	size_t n = 0;

	assert_int_equal(virt_conn_open("test:///default", NULL, NULL, NULL, &c, &verr), 0);
	assert_int_equal(virt_domain_get_hostdevs(c, "test", true, ret, &n, &verr), 0);
	virt_conn_unref(c);
	return n;
}

static void test_domsvc_attach_detach_config(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct domain_info d = { 0 };
	struct virt_hostdev *h = NULL;
	const char *two[] = { "0000:65:00.0", "0000:65:00.1" };
	const char *one[] = { "0000:65:00.1" };

	assert_int_equal(domsvc_stop(fx->ds, "test", &err), 0);
	assert_int_equal(domsvc_attach(fx->ds, "test", two, 2, &err), 0);
	assert_int_equal(domsvc_lookup(fx->ds, "test", &d, &err), 0);
	assert_int_equal(d.state, DOMAIN_STATE_SHUTOFF);
	assert_int_equal(d.n_hostdevs, 2);
	assert_string_equal(d.hostdevs[0], "0000:65:00.0");
	assert_string_equal(d.hostdevs[1], "0000:65:00.1");
	assert_false(d.hostdev_managed[0]);
	domain_info_done(&d);

	/* idempotent */
	assert_int_equal(domsvc_attach(fx->ds, "test", two, 2, &err), 0);
	assert_int_equal(config_hostdevs(&h), 2);
	free(h);

	assert_int_equal(domsvc_detach(fx->ds, "test", one, 1, &err), 0);
	assert_int_equal(domsvc_detach(fx->ds, "test", one, 1, &err), 0); /* absent: not an error */
	assert_int_equal(config_hostdevs(&h), 1);
	assert_string_equal(h[0].address, "0000:65:00.0");
	free(h);

	/* the config is what the next start runs with */
	assert_int_equal(domsvc_start(fx->ds, "test", false, &err), 0);
	assert_int_equal(domsvc_lookup(fx->ds, "test", &d, &err), 0);
	assert_int_equal(d.state, DOMAIN_STATE_RUNNING);
	assert_int_equal(d.n_hostdevs, 1);
	assert_string_equal(d.hostdevs[0], "0000:65:00.0");
	domain_info_done(&d);
}

static void test_domsvc_attach_running_rolls_back(void **state)
{
	struct fixture *fx = *state;
	struct pd_error err = PD_ERROR_INIT;
	struct virt_hostdev *h = NULL;
	const char *addr[] = { "0000:66:00.0" };

	/* Running: the config change works (redefine), the live one cannot (test driver): undone. */
	assert_int_equal(domsvc_attach(fx->ds, "test", addr, 1, &err), -EOPNOTSUPP);
	assert_int_equal(err.code, PD_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "not supported"));
	assert_int_equal(config_hostdevs(&h), 0);
	free(h);
}

/* Events: a small state machine on the loop, one step per timer tick. */
struct ev_run {
	struct fixture *fx;
	int step;
	int ticks;
	enum domain_event_kind seen[16];
	size_t n_seen;
	char domain[16][DOMAIN_NAME_MAX + 1];
};

static void on_domain_event(const struct domain_event *ev, void *userdata)
{
	struct ev_run *er = userdata;

	if (er->n_seen < ELEMENTSOF(er->seen)) {
		strcpy(er->domain[er->n_seen], ev->domain);
		er->seen[er->n_seen++] = ev->kind;
	}
}

static bool seen(const struct ev_run *er, enum domain_event_kind k)
{
	for (size_t i = 0; i < er->n_seen; i++)
		if (er->seen[i] == k)
			return true;
	return false;
}

static void on_tick(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct ev_run *er = userdata;
	uint64_t t;

	if (read(fd, &t, sizeof(t)) < 0)
		return;
	if (++er->ticks > 300) { /* 3 s */
		loop_quit(l, -ETIMEDOUT);
		return;
	}
	switch (er->step) {
	case 0:
		assert_int_equal(domsvc_stop(er->fx->ds, "test", NULL), 0);
		er->step++;
		break;
	case 1:
		if (!seen(er, DOMAIN_EVENT_STOPPED))
			break;
		assert_int_equal(domsvc_start(er->fx->ds, "test", false, NULL), 0);
		er->step++;
		break;
	case 2:
		if (seen(er, DOMAIN_EVENT_STARTED))
			loop_quit(l, 0);
		break;
	}
}

static void test_domsvc_events_reach_the_loop(void **state)
{
	struct fixture *fx = *state;
	struct ev_run er = { .fx = fx };

	domsvc_set_event_handler(fx->ds, on_domain_event, &er);
	assert_true(loop_add_timer(fx->loop, 10, on_tick, &er) >= 0);
	assert_int_equal(loop_run(fx->loop), 0);
	/* CONNECTED was queued before the loop ran; then the two lifecycle events of "test" */
	assert_int_equal(er.seen[0], DOMAIN_EVENT_CONNECTED);
	assert_string_equal(er.domain[0], "");
	assert_true(seen(&er, DOMAIN_EVENT_STOPPED));
	assert_true(seen(&er, DOMAIN_EVENT_STARTED));
	for (size_t i = 1; i < er.n_seen; i++)
		assert_string_equal(er.domain[i], "test");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domsvc_name_validation),
		cmocka_unit_test(test_domsvc_none_is_unavailable),
		cmocka_unit_test(test_domsvc_unreachable_retries),
		cmocka_unit_test_setup_teardown(test_domsvc_lookup_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domsvc_attach_detach_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domsvc_attach_running_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_domsvc_events_reach_the_loop, setup, teardown),
	};

	return cmocka_run_group_tests_name("domsvc", tests, NULL, NULL);
}
