/*
 * events.h - the event bus behind GET /v1/events (evbus_).
 *
 * Services publish {type, data} when the state a client sees changes: a device appears or
 * goes, a group moves between drivers, an assignment is made or released, a device is
 * quarantined, a domain changes state, reconcile finds drift. The bus renders each event once
 * as a server-sent-events frame and keeps the last EVBUS_CAPACITY of them in a ring: readers
 * keep only a cursor, so a slow reader costs no memory; one that falls a ring behind gets a
 * "resync" event and carries on from the newest.
 *
 * One bus per process, set by main.c: publishing is a side note to a state change, like a log
 * line, and threading a handle through every service for it would change every constructor.
 * Without a bus (unit tests), publishing does nothing. Loop thread only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "macro.h"

#define EVBUS_CAPACITY 1024

struct evbus;
struct evbus_sub;

/* Called after each publish, so a reader waiting for events can be woken. */
typedef void (*evbus_wake_fn)(void *userdata);

int evbus_new(size_t capacity, struct evbus **ret);
void evbus_free(struct evbus *bus);
DEFINE_FREEP(struct evbus, evbus_free)

/* The process's bus (borrowed; NULL to unset). */
void evbus_set_default(struct evbus *bus);
struct evbus *evbus_get_default(void);

/*
 * Publish @type (a static snake_case name) with @data (stolen; NULL for {}) on the default
 * bus. The event gets the next sequence number and the time. Never fails visibly: an event
 * that cannot be rendered is dropped and the next reader gets "resync". Does not log.
 */
void events_publish(const char *type, json_t *data);
void evbus_publish(struct evbus *bus, const char *type, json_t *data);

/* The sequence number the next event will have (events start at 1). */
uint64_t evbus_next_seq(const struct evbus *bus);

/*
 * The frame of event @seq ("id: N\nevent: T\ndata: {...}\n\n", borrowed until the next
 * publish): 0; -EAGAIN when @seq is not published yet; -ESPIPE when it fell off the ring.
 */
int evbus_get(const struct evbus *bus, uint64_t seq, const char **ret_frame, size_t *ret_len);

/* Wake @fn after every publish until evbus_unsubscribe(). */
int evbus_subscribe(struct evbus *bus, evbus_wake_fn fn, void *userdata, struct evbus_sub **ret);
void evbus_unsubscribe(struct evbus_sub *sub);

/* Counters for /metrics: events published, and readers that had to resync. */
uint64_t evbus_published(const struct evbus *bus);
size_t evbus_subscribers(const struct evbus *bus);
