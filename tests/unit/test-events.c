#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/events.h"

static void count_wake(void *userdata)
{
	(*(unsigned *)userdata)++;
}

static void test_events_frame_is_one_sse_event(void **state)
{
	_cleanup_(evbus_freep) struct evbus *bus = NULL;
	const char *f;
	size_t len;

	assert_int_equal(evbus_new(4, &bus), 0);
	assert_int_equal(evbus_next_seq(bus), 1);
	assert_int_equal(evbus_get(bus, 1, &f, &len), -EAGAIN);
	evbus_publish(bus, "device_bound", json_pack("{s:s}", "address", "0000:65:00.0"));
	assert_int_equal(evbus_get(bus, 1, &f, &len), 0);
	assert_int_equal(strlen(f), len);
	assert_non_null(
		strstr(f, "id: 1\nevent: device_bound\ndata: {\"id\":1,\"type\":\"device_bound\""));
	assert_non_null(strstr(f, "\"data\":{\"address\":\"0000:65:00.0\"}}\n\n"));
	/* compact JSON: the data is one line, and the frame ends after it */
	assert_ptr_equal(strchr(strstr(f, "data: "), '\n') + 2, f + len);
}

static void test_events_slow_reader_falls_off_the_ring(void **state)
{
	_cleanup_(evbus_freep) struct evbus *bus = NULL;
	const char *f;
	size_t len;

	assert_int_equal(evbus_new(4, &bus), 0);
	for (int i = 0; i < 6; i++)
		evbus_publish(bus, "x", NULL);
	/* 1 and 2 were overwritten by 5 and 6: a reader at 1 must resync. */
	assert_int_equal(evbus_get(bus, 1, &f, &len), -ESPIPE);
	assert_int_equal(evbus_get(bus, 2, &f, &len), -ESPIPE);
	assert_int_equal(evbus_get(bus, 3, &f, &len), 0);
	assert_int_equal(evbus_get(bus, 6, &f, &len), 0);
	assert_int_equal(evbus_get(bus, 7, &f, &len), -EAGAIN);
	assert_int_equal(evbus_published(bus), 6);
}

static void test_events_subscribers_are_woken_until_they_leave(void **state)
{
	_cleanup_(evbus_freep) struct evbus *bus = NULL;
	struct evbus_sub *a, *b;
	unsigned na = 0, nb = 0;

	assert_int_equal(evbus_new(8, &bus), 0);
	assert_int_equal(evbus_subscribe(bus, count_wake, &na, &a), 0);
	assert_int_equal(evbus_subscribe(bus, count_wake, &nb, &b), 0);
	assert_int_equal(evbus_subscribers(bus), 2);
	evbus_publish(bus, "x", NULL);
	evbus_unsubscribe(a);
	evbus_publish(bus, "x", NULL);
	assert_int_equal(na, 1);
	assert_int_equal(nb, 2);
	assert_int_equal(evbus_subscribers(bus), 1);
	evbus_unsubscribe(b);
}

static void test_events_publish_without_a_bus_does_nothing(void **state)
{
	evbus_set_default(NULL);
	events_publish("x", json_object()); /* no leak under ASan */
	assert_null(evbus_get_default());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_frame_is_one_sse_event),
		cmocka_unit_test(test_events_slow_reader_falls_off_the_ring),
		cmocka_unit_test(test_events_subscribers_are_woken_until_they_leave),
		cmocka_unit_test(test_events_publish_without_a_bus_does_nothing),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
