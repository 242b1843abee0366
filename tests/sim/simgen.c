/*
 * simgen.c - passd-simgen PROFILE OUTDIR: write a simulated host's sysfs/procfs tree.
 *
 * PROFILE is a path, or the name of a profile shipped in tests/sim/profiles/ ("desktop" stands for
 * tests/sim/profiles/desktop.profile).
 * On success the only output is a one-line summary on stderr (-q drops it). A bad profile is
 * reported as "FILE:LINE: message" and the exit status is 1; a usage error exits with 2.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim-profile.h"
#include "sim-tree.h"

#ifndef SIM_PROFILEDIR
#define SIM_PROFILEDIR "tests/sim/profiles"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: passd-simgen [-q] PROFILE OUTDIR\n"
		"       passd-simgen --truth PROFILE   (print the ground truth only)\n"
		"       passd-simgen --preflight PROFILE   (print the expected host preflight only)\n"
		"PROFILE is a file, or the NAME of %s/NAME.profile.\n",
		SIM_PROFILEDIR);
}

static char *resolve_profile(const char *arg)
{
	char *p = NULL;

	if (strchr(arg, '/') || access(arg, F_OK) == 0)
		return strdup(arg);
	if (asprintf(&p, "%s/%s.profile", SIM_PROFILEDIR, arg) < 0)
		return NULL;
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return strdup(arg); /* let the loader say it is missing */
}

int main(int argc, char **argv)
{
	_cleanup_(simprof_freep) struct sim_host *h = NULL;
	_cleanup_free_ char *profile = NULL;
	bool quiet = false, truth_only = false, preflight_only = false;
	struct timespec t0, t1;
	int i = 1, r;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "-q")) {
			quiet = true;
		} else if (streq(argv[i], "--truth")) {
			truth_only = true;
		} else if (streq(argv[i], "--preflight")) {
			preflight_only = true;
		} else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "passd-simgen: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if ((truth_only && preflight_only) || argc - i != (truth_only || preflight_only ? 1 : 2)) {
		usage(stderr);
		return 2;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	profile = resolve_profile(argv[i]);
	if (!profile) {
		fprintf(stderr, "passd-simgen: out of memory\n");
		return 1;
	}
	r = simprof_load(profile, stderr, &h);
	if (r < 0)
		return 1;
	if (truth_only || preflight_only) {
		r = truth_only ? simtree_write_truth(h, stdout) : simtree_write_preflight(h, stdout);
		return r < 0 || fflush(stdout) != 0 ? 1 : 0;
	}
	r = simtree_write(h, argv[i + 1], stderr);
	if (r < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet)
		fprintf(stderr,
			"passd-simgen: %s: %zu functions, %d IOMMU groups, %zu drivers in %.2fs -> %s\n",
			h->name, h->n_devs, h->n_groups, h->n_drivers,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			argv[i + 1]);
	return 0;
}
