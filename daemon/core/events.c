#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"

struct slot {
	uint64_t seq; /* 0: empty */
	char *frame;
	size_t len;
};

struct evbus_sub {
	struct evbus *bus;
	evbus_wake_fn fn;
	void *userdata;
	struct evbus_sub *prev, *next;
};

struct evbus {
	struct slot *ring;
	size_t capacity;
	uint64_t next_seq;
	uint64_t published;
	struct evbus_sub *subs;
	size_t n_subs;
};

static struct evbus *default_bus;

int evbus_new(size_t capacity, struct evbus **ret)
{
	_cleanup_free_ struct evbus *bus = calloc(1, sizeof(*bus));

	if (!bus || capacity == 0)
		return bus ? -EINVAL : -ENOMEM;
	bus->ring = calloc(capacity, sizeof(*bus->ring));
	if (!bus->ring)
		return -ENOMEM;
	bus->capacity = capacity;
	bus->next_seq = 1;
	*ret = TAKE_PTR(bus);
	return 0;
}

void evbus_free(struct evbus *bus)
{
	if (!bus)
		return;
	if (default_bus == bus)
		default_bus = NULL;
	/* Subscribers outliving the bus keep a dangling pointer: detach them. */
	for (struct evbus_sub *s = bus->subs; s; s = s->next)
		s->bus = NULL;
	for (size_t i = 0; i < bus->capacity; i++)
		free(bus->ring[i].frame);
	free(bus->ring);
	free(bus);
}

void evbus_set_default(struct evbus *bus)
{
	default_bus = bus;
}

struct evbus *evbus_get_default(void)
{
	return default_bus;
}

static char *render(uint64_t seq, const char *type, json_t *data, size_t *ret_len)
{
	_cleanup_free_ char *json = NULL;
	struct timespec ts;
	json_t *ev;
	char *frame = NULL;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev = json_pack("{s:I, s:s, s:I, s:O}", "id", (json_int_t)seq, "type", type, "time_ms",
		       (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, "data", data);
	if (!ev)
		return NULL;
	/* Compact JSON has no newline, so the whole event is one "data:" line. */
	json = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!json)
		return NULL;
	n = asprintf(&frame, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)seq, type,
		     json);
	if (n < 0)
		return NULL;
	*ret_len = (size_t)n;
	return frame;
}

void evbus_publish(struct evbus *bus, const char *type, json_t *data)
{
	struct slot *slot;
	uint64_t seq;
	char *frame;
	size_t len = 0;

	if (!data)
		data = json_object();
	if (!bus) {
		json_decref(data);
		return;
	}
	seq = bus->next_seq++;
	frame = data ? render(seq, type, data, &len) : NULL;
	json_decref(data);
	slot = &bus->ring[seq % bus->capacity];
	free(slot->frame);
	/* A frame that could not be rendered leaves a hole: its readers resync. */
	*slot = (struct slot){ .seq = frame ? seq : 0, .frame = frame, .len = len };
	bus->published++;
	for (struct evbus_sub *s = bus->subs, *next; s; s = next) {
		next = s->next;
		s->fn(s->userdata);
	}
}

void events_publish(const char *type, json_t *data)
{
	evbus_publish(default_bus, type, data);
}

uint64_t evbus_next_seq(const struct evbus *bus)
{
	return bus->next_seq;
}

int evbus_get(const struct evbus *bus, uint64_t seq, const char **ret_frame, size_t *ret_len)
{
	const struct slot *slot;

	if (seq >= bus->next_seq)
		return -EAGAIN;
	slot = &bus->ring[seq % bus->capacity];
	if (slot->seq != seq)
		return -ESPIPE;
	*ret_frame = slot->frame;
	*ret_len = slot->len;
	return 0;
}

int evbus_subscribe(struct evbus *bus, evbus_wake_fn fn, void *userdata, struct evbus_sub **ret)
{
	struct evbus_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct evbus_sub){ .bus = bus, .fn = fn, .userdata = userdata, .next = bus->subs };
	if (bus->subs)
		bus->subs->prev = s;
	bus->subs = s;
	bus->n_subs++;
	*ret = s;
	return 0;
}

void evbus_unsubscribe(struct evbus_sub *s)
{
	if (!s)
		return;
	if (s->bus) {
		if (s->prev)
			s->prev->next = s->next;
		else
			s->bus->subs = s->next;
		if (s->next)
			s->next->prev = s->prev;
		s->bus->n_subs--;
	}
	free(s);
}

uint64_t evbus_published(const struct evbus *bus)
{
	return bus->published;
}

size_t evbus_subscribers(const struct evbus *bus)
{
	return bus->n_subs;
}
