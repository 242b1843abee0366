/*
 * sim-tree.h - write a host profile out as a tree with the kernel's sysfs and procfs layout.
 *
 * OUTDIR/sys (the sysfs tree), OUTDIR/proc (cmdline, cpuinfo, self/mountinfo, net/route, swaps,
 * modules, version), OUTDIR/dev/vfio/ (vfio while loaded), OUTDIR/lib/modules/RELEASE
 * (modules.dep, modules.builtin), OUTDIR/truth (the ground truth, from the profile, never from the
 * tree) and OUTDIR/preflight.truth (the expected host preflight). Files are created with open()/write() relative to directory fds, no process is forked.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "sim-profile.h"

/*
 * Write @h under @outdir, which must be absent or empty (it is created, its parent is not).
 * Returns 0, or a negative errno after printing what failed to @errf.
 */
int simtree_write(const struct sim_host *h, const char *outdir, FILE *errf);

/* Write the ground truth of @h to @f in the format of tests/fixtures/real/truth.sh. */
int simtree_write_truth(const struct sim_host *h, FILE *f);

/*
 * Write the expected host preflight of @h to @f, one "preflight ID STATUS" line per check of
 * GET /v1/host (docs/preflight.md), from the profile's host facts (not from the tree). The
 * statuses assume passd reads the tree's proc/, dev/ and lib/modules (--modules-dir).
 */
int simtree_write_preflight(const struct sim_host *h, FILE *f);

/*
 * Write only the functions @devs (endpoints such as VFs: nothing below them) and the links that
 * point at them into @outdir/sys, with their IOMMU groups; the directories holding those links are
 * created empty. The result is an overlay for a tree that has the rest (passd-sim merges it when
 * it creates VFs). Returns 0, or a negative errno after printing what failed to @errf.
 */
int simtree_write_functions(const struct sim_host *h, struct sim_dev *const *devs, size_t n,
			    const char *outdir, FILE *errf);

/* The config attribute of @d (pci_read_config()): fills @cfg, returns its size (4096 or 256). */
size_t simtree_config(const struct sim_dev *d, uint8_t cfg[4096]);

/* The uevent attribute of @d (DRIVER= when bound, then pci_uevent()); returns its length. */
int simtree_uevent(const struct sim_dev *d, char *buf, size_t size);
/*
 * What `enable` shows: 1 when a driver other than vfio-pci is bound (vfio-pci enables the device
 * only when it is opened), or for a bridge above such a device (pci_enable_bridge()).
 */
unsigned simtree_enable(const struct sim_host *h, const struct sim_dev *d);

/*
 * The target of a symlink in @link_dir pointing at @target (both relative to sys/) spelled as
 * kernfs spells it ("../../../bus/pci/drivers/NAME"). Returns 0 or -ENAMETOOLONG.
 */
int simtree_rel_target(const char *link_dir, const char *target, char *buf, size_t size);
