/*
 * sim-tree.h - write a host profile out as a tree with the kernel's sysfs and procfs layout.
 *
 * OUTDIR/sys (the sysfs tree), OUTDIR/proc (cmdline, cpuinfo, self/mountinfo, net/route, swaps),
 * OUTDIR/dev/vfio/ (empty) and OUTDIR/truth (the ground truth, from the profile, never from the
 * tree). Files are created with open()/write() relative to directory fds, no process is forked.
 */
#pragma once

#include <stdio.h>

#include "sim-profile.h"

/*
 * Write @h under @outdir, which must be absent or empty (it is created, its parent is not).
 * Returns 0, or a negative errno after printing what failed to @errf.
 */
int simtree_write(const struct sim_host *h, const char *outdir, FILE *errf);

/* Write the ground truth of @h to @f in the format of tests/fixtures/real/truth.sh. */
int simtree_write_truth(const struct sim_host *h, FILE *f);
