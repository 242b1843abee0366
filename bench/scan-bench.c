/*
 * scan-bench - time passd's full discovery scan (sysfs to SQLite, groups built, ready to
 * answer) with the daemon's own code, RUNS times, and print median and p95.
 *
 *   scan-bench SYSFS_ROOT [RUNS] [THREADS]
 *
 * A proc/ beside SYSFS_ROOT (as passd-simgen writes it) is read too, so the host-critical
 * work of a scan (mounts, swaps, routes) is part of what is timed.
 *
 * Two series: "cold" opens a fresh database for every run (first boot: every device is new),
 * "warm" rescans into the same database (the restart and periodic-rescan case).
 */
#include <config.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/inventory.h"
#include "db/db.h"
#include "log.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"
#include "udev/hwdb.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? 0 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%-28s median %7.1f ms  p95 %7.1f ms  min %7.1f ms  (n=%d)\n", what, t[n / 2],
	       t[(n * 95 + 99) / 100 - 1], t[0], n);
}

static int one_scan(struct sysfs *s, struct procfs *p, struct udevw_hwdb *hw, const char *dbpath, unsigned threads,
		    struct db **dbp, double *ms)
{
	struct pd_error err = PD_ERROR_INIT;
	struct inv *inv = NULL;
	double t0;
	int r;

	t0 = now_ms();
	if (!*dbp) {
		r = db_open(dbpath, dbp, &err);
		if (r < 0) {
			fprintf(stderr, "scan-bench: %s\n", err.message);
			return r;
		}
	}
	r = inv_new(s, *dbp, hw, threads, &inv);
	if (r >= 0) {
		inv_set_procfs(inv, p);
		r = inv_scan(inv, &err);
	}
	*ms = now_ms() - t0;
	if (r < 0)
		fprintf(stderr, "scan-bench: scan failed: %s\n", err.message);
	else if (inv_device_count(inv) == 0)
		fprintf(stderr, "scan-bench: warning: no devices under this root\n");
	inv_free(inv);
	return r;
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : NULL;
	int runs = argc > 2 ? atoi(argv[2]) : 30;
	unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	char dir[] = "/tmp/scan-bench.XXXXXX", dbpath[64];
	struct sysfs *s = NULL;
	struct procfs *p = NULL;
	char proc[4096];
	struct udevw_hwdb *hw = NULL;
	double *cold, *warm;
	struct db *db = NULL;

	if (!root || runs < 1) {
		fprintf(stderr, "usage: scan-bench SYSFS_ROOT [RUNS] [THREADS]\n");
		return 2;
	}
	log_set_max_level(LOG_LEVEL_WARNING);
	if (sysfs_new(root, &s) < 0 || !mkdtemp(dir)) {
		fprintf(stderr, "scan-bench: cannot open '%s'\n", root);
		return 1;
	}
	snprintf(proc, sizeof(proc), "%s/../proc", root);
	(void)procfs_new(proc, &p); /* none: the scan runs without it, as passd would */
	(void)udevw_hwdb_new(&hw); /* names are part of the scan when a hwdb exists */
	cold = calloc((size_t)runs, sizeof(*cold));
	warm = calloc((size_t)runs, sizeof(*warm));
	if (!cold || !warm)
		return 1;

	for (int i = 0; i < runs; i++) {
		snprintf(dbpath, sizeof(dbpath), "%s/cold%d.db", dir, i);
		if (one_scan(s, p, hw, dbpath, threads, &db, &cold[i]) < 0)
			return 1;
		db_free(db);
		db = NULL;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/warm.db", dir);
	for (int i = -1; i < runs; i++) {
		double ms;
		if (one_scan(s, p, hw, dbpath, threads, &db, &ms) < 0)
			return 1;
		if (i >= 0)
			warm[i] = ms; /* the first run filled the database */
	}
	db_free(db);

	printf("passd scan, %u thread(s):\n", threads);
	report("  first boot (new database)", cold, runs);
	report("  rescan (known devices)", warm, runs);
	udevw_hwdb_free(hw);
	procfs_free(p);
	sysfs_free(s);
	free(cold);
	free(warm);
	(void)nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS); /* best effort: it is /tmp */
	return 0;
}
