#include <config.h>

#include "metrics.h"

const double metrics_bounds[METRICS_BUCKETS] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
						 0.25,	0.5,   1,    2.5,   10,	  60 };

static struct metrics_hist ops[_METRICS_OP_MAX];

void metrics_hist_observe(struct metrics_hist *h, double seconds)
{
	for (size_t i = 0; i < METRICS_BUCKETS; i++)
		if (seconds <= metrics_bounds[i]) {
			h->buckets[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;
}

void metrics_observe_op(enum metrics_op op, int64_t usec)
{
	if (usec < 0 || op >= _METRICS_OP_MAX)
		return;
	metrics_hist_observe(&ops[op], (double)usec / 1e6);
}

const struct metrics_hist *metrics_op_hist(enum metrics_op op)
{
	return &ops[op];
}

const char *metrics_op_to_string(enum metrics_op op)
{
	switch (op) {
	case METRICS_OP_BIND:
		return "bind";
	case METRICS_OP_UNBIND:
		return "unbind";
	case METRICS_OP_RESET:
		return "reset";
	case METRICS_OP_SRIOV:
		return "sriov";
	case _METRICS_OP_MAX:
		break;
	}
	return "unknown";
}
