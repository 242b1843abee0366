/*
 * metrics.h - durations of the operations passd runs, for GET /metrics (metrics_).
 *
 * Prometheus histograms with fixed buckets: observing is a few additions, and what is kept
 * does not grow. Process-wide like the event bus (events.h), for the same reason: a
 * measurement is a side note of a service, not part of its interface. Loop thread only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define METRICS_BUCKETS 12

/* Upper bounds in seconds, the same for every histogram: 1 ms to 60 s. */
extern const double metrics_bounds[METRICS_BUCKETS];

struct metrics_hist {
	uint64_t buckets[METRICS_BUCKETS]; /* observations in (bound[i-1], bound[i]] */
	uint64_t count;			   /* all observations, the +Inf bucket */
	double sum;			   /* seconds */
};

enum metrics_op {
	METRICS_OP_BIND,   /* a group moved to vfio-pci */
	METRICS_OP_UNBIND, /* a group given back */
	METRICS_OP_RESET,  /* the reset of a release */
	METRICS_OP_SRIOV,  /* a VF change */
	_METRICS_OP_MAX,
};

void metrics_hist_observe(struct metrics_hist *h, double seconds);

/* Record one operation of @usec microseconds (negative values are ignored). */
void metrics_observe_op(enum metrics_op op, int64_t usec);
const struct metrics_hist *metrics_op_hist(enum metrics_op op);
const char *metrics_op_to_string(enum metrics_op op);
