/*
 * events.h - `passctl events`: GET /v1/events (server-sent events) one line per event.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/*
 * A stream to hand to the HTTP client: what is written to it is parsed as server-sent events
 * and each event printed to @out as it completes, one line for people ("12:00:01 device_bound
 * 0000:65:00.0 iommu_group=7 devices=0000:65:00.0,0000:65:00.1"), or with @json its JSON
 * object on one line. Comments (the keep-alives) print nothing. fclose() it when done.
 */
FILE *events_printer_new(FILE *out, bool json);
