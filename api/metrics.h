/*
 * metrics.h - the HTTP side of GET /metrics (private to api/): requests by route, method and
 * status, with a latency histogram per route. Loop thread only.
 */
#pragma once

#include <stdint.h>

/* Count one answer; @route is the route table's pattern (static), or NULL for no route. */
void api_metrics_request(const char *route, const char *method, unsigned status, uint64_t usec);
