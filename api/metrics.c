/*
 * metrics.c - GET /metrics in Prometheus text format 0.0.4.
 *
 * Everything is computed at scrape time from the services' own state (devices by state,
 * groups, assignments, libvirt, the last scan), except what only happens once: request counts
 * and latencies (counted here) and operation durations (daemon/core/metrics.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assign.h"
#include "core/domains.h"
#include "core/events.h"
#include "core/groups.h"
#include "core/inventory.h"
#include "core/metrics.h"
#include "handlers.h"
#include "metrics.h"

struct req_count {
	const char *route, *method; /* static: the route table's strings, or "" */
	unsigned status;
	uint64_t n;
};

struct req_latency {
	const char *route, *method;
	struct metrics_hist h;
};

static struct req_count *counts;
static size_t n_counts;
static struct req_latency *lats;
static size_t n_lats;

/* Methods as the route table spells them, so the label set stays bounded. */
static const char *method_label(const char *m)
{
	static const char *const known[] = { "GET",    "HEAD",	"POST",	  "PUT",
					     "DELETE", "PATCH", "OPTIONS" };

	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (streq(m, known[i]))
			return known[i];
	return "other";
}

void api_metrics_request(const char *route, const char *method, unsigned status, uint64_t usec)
{
	const char *m = method_label(method ? method : "");
	size_t i;

	route = route ? route : "unmatched"; /* 404s: never the raw path, which anyone can vary */
	for (i = 0; i < n_counts; i++)
		if (counts[i].route == route && counts[i].method == m && counts[i].status == status)
			break;
	if (i == n_counts) {
		struct req_count *c = realloc(counts, (n_counts + 1) * sizeof(*c));
		if (!c)
			return; /* a lost count, not worth failing a request */
		counts = c;
		counts[n_counts++] = (struct req_count){ route, m, status, 0 };
	}
	counts[i].n++;
	for (i = 0; i < n_lats; i++)
		if (lats[i].route == route && lats[i].method == m)
			break;
	if (i == n_lats) {
		struct req_latency *l = realloc(lats, (n_lats + 1) * sizeof(*l));
		if (!l)
			return;
		lats = l;
		lats[n_lats++] = (struct req_latency){ .route = route, .method = m };
	}
	metrics_hist_observe(&lats[i].h, (double)usec / 1e6);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram's samples; @labels is "" or 'a="b",' (with its trailing comma). */
static void hist(FILE *f, const char *name, const char *labels, const struct metrics_hist *h)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->buckets[i];
		fprintf(f, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, metrics_bounds[i],
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long)h->count);
	if (labels[0]) {
		/* without the trailing comma */
		fprintf(f, "%s_sum{%.*s} %.6f\n", name, (int)strlen(labels) - 1, labels, h->sum);
		fprintf(f, "%s_count{%.*s} %llu\n", name, (int)strlen(labels) - 1, labels,
			(unsigned long long)h->count);
	} else {
		fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name,
			(unsigned long long)h->count);
	}
}

static void devices(FILE *f, const struct inv *inv)
{
	uint64_t by_state[_INV_STATE_MAX] = { 0 };

	for (size_t i = 0; i < inv_device_count(inv); i++)
		by_state[inv_device_state(inv, inv_device_at(inv, i))]++;
	for (size_t i = 0; i < inv_gone_count(inv); i++)
		by_state[INV_STATE_GONE]++;
	family(f, "passd_devices", "gauge", "PCI functions by state.");
	for (size_t s = 0; s < _INV_STATE_MAX; s++)
		fprintf(f, "passd_devices{state=\"%s\"} %llu\n",
			inv_state_to_string((enum inv_state)s), (unsigned long long)by_state[s]);
	family(f, "passd_quarantined_devices", "gauge",
	       "Devices quarantined after a failed reset or release (cleared by an admin).");
	fprintf(f, "passd_quarantined_devices %llu\n",
		(unsigned long long)by_state[INV_STATE_QUARANTINED]);
}

static void groups(FILE *f, const struct inv *inv)
{
	const struct grp_set *set = inv_get_groups(inv);
	uint64_t viable = 0, n = grp_set_count(set);

	for (size_t i = 0; i < n; i++)
		viable += grp_set_at(set, i)->viable;
	family(f, "passd_iommu_groups", "gauge",
	       "IOMMU groups by whether VFIO could use them as they are bound now.");
	fprintf(f, "passd_iommu_groups{viable=\"true\"} %llu\n", (unsigned long long)viable);
	fprintf(f, "passd_iommu_groups{viable=\"false\"} %llu\n", (unsigned long long)(n - viable));
}

static void assignments(FILE *f, const struct asgsvc *svc)
{
	uint64_t by_state[_ASG_STATE_MAX] = { 0 };
	const struct asg_assignment *all = NULL;
	size_t n = svc ? asgsvc_list(svc, &all) : 0;

	for (size_t i = 0; i < n; i++)
		by_state[all[i].state]++;
	family(f, "passd_assignments", "gauge",
	       "Assignments of devices to libvirt domains by state.");
	for (size_t s = 0; s < _ASG_STATE_MAX; s++)
		fprintf(f, "passd_assignments{state=\"%s\"} %llu\n",
			asg_state_to_string((enum asg_state)s), (unsigned long long)by_state[s]);
}

static void requests(FILE *f)
{
	char labels[256];

	family(f, "passd_http_requests_total", "counter",
	       "HTTP requests answered, by route pattern, method and status.");
	for (size_t i = 0; i < n_counts; i++)
		fprintf(f,
			"passd_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %llu\n",
			counts[i].route, counts[i].method, counts[i].status,
			(unsigned long long)counts[i].n);
	family(f, "passd_http_request_duration_seconds", "histogram",
	       "Time from a request's head to its answer (to the start of a stream), by route pattern and method.");
	for (size_t i = 0; i < n_lats; i++) {
		snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",", lats[i].route,
			 lats[i].method);
		hist(f, "passd_http_request_duration_seconds", labels, &lats[i].h);
	}
}

static void operations(FILE *f)
{
	char labels[64];

	family(f, "passd_operation_duration_seconds", "histogram",
	       "Durations of group binds and unbinds, device resets and VF changes that succeeded.");
	for (size_t op = 0; op < _METRICS_OP_MAX; op++) {
		snprintf(labels, sizeof(labels), "operation=\"%s\",",
			 metrics_op_to_string((enum metrics_op)op));
		hist(f, "passd_operation_duration_seconds", labels,
		     metrics_op_hist((enum metrics_op)op));
	}
}

void api_metrics_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	struct evbus *bus = evbus_get_default();
	bool libvirt_off = streq(ctx->cfg.libvirt_uri, "none");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	family(f, "passd_build_info", "gauge", "Always 1; the version is a label.");
	fprintf(f, "passd_build_info{version=\"%s\"} 1\n", ctx->cfg.version);
	devices(f, ctx->inv);
	groups(f, ctx->inv);
	assignments(f, ctx->cfg.asgsvc);
	family(f, "passd_libvirt_connected", "gauge",
	       "1 when the libvirt connection is up, 0 when it is down or passd runs without libvirt.");
	fprintf(f, "passd_libvirt_connected %d\n",
		!libvirt_off && ctx->cfg.domsvc && domsvc_is_connected(ctx->cfg.domsvc));
	family(f, "passd_last_scan_duration_seconds", "gauge",
	       "How long the last full scan of sysfs took.");
	fprintf(f, "passd_last_scan_duration_seconds %.6f\n",
		(double)inv_last_scan_duration_usec(ctx->inv) / 1e6);
	family(f, "passd_last_scan_timestamp_seconds", "gauge", "When the last full scan ended.");
	fprintf(f, "passd_last_scan_timestamp_seconds %.3f\n",
		(double)inv_last_scan_usec(ctx->inv) / 1e6);
	operations(f);
	requests(f);
	family(f, "passd_events_published_total", "counter", "Events published on GET /v1/events.");
	fprintf(f, "passd_events_published_total %llu\n",
		(unsigned long long)(bus ? evbus_published(bus) : 0));
	family(f, "passd_event_subscribers", "gauge", "Clients following GET /v1/events.");
	fprintf(f, "passd_event_subscribers %zu\n", bus ? evbus_subscribers(bus) : 0);
	if (fclose(f) != 0 || !text) {
		free(text);
		api_respond_errorf(resp, PD_ERR_INTERNAL, "out of memory");
		return;
	}
	api_respond_blob_new(resp, 200, api_blob_from_data(text, len));
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	free(text);
}
