/*
 * sysfs-script.c - one fixed sequence of sysfs writes, for the simulator-vs-kernel test:
 *
 *   sysfs-script SCENARIO SYSROOT DEVROOT      SCENARIO: mixed | sriov
 *
 * Runs the scenario's steps against SYSROOT (the guest's /sys, or a passd-sim mount's sys/) and
 * DEVROOT (/dev, or the mount's dev/), and prints one normalized line per step: its name, what
 * the write answered (ok, or the errno's name; "open:ENOENT" when the file is not there) and the
 * state that matters after it: each shown device's driver, driver_override and group, a group's
 * members, a PF's VFs, reset_method, and the /dev/vfio entries. tests/vm/t99*-vm-sim-vs-kernel
 * runs it in a guest on the real kernel and on the host on passd-sim with the mirrored profile,
 * and diffs the two outputs step by step. Everything is sorted and "0000:" is dropped, so the
 * lines depend on neither readdir order nor the filesystem.
 *
 * One process for the whole sequence: under TCG each exec costs ~50 ms. The scenarios touch the
 * devices of the VM topologies only, never the 9p shares 00:02.0 and 00:03.0 (the guest's root).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

struct step {
	const char *name; /* unique: names the TAP test */
	const char *file; /* below SYSROOT; "d/ADDR/x" = bus/pci/devices/ADDR/x, "drv/NAME/x" =
			     bus/pci/drivers/NAME/x, "bus/x" = bus/pci/x; NULL: no write */
	const char *data; /* written in one write(2); "@N" = N times 'a' */
	const char *show; /* BB:DD.F (a device), g:BB:DD.F (its group), pf:BB:DD.F (its VFs),
			     rm:BB:DD.F (reset_method and reset), blank-separated */
};

/* ---- the mixed topology (tests/vm/topologies/mixed.args, profile q35-mixed) ----------------- */

#define E1 "0000:01:00.0"    /* e1000e alone, group 11 */
#define EDU "0000:02:00.0"   /* edu alone, no driver, group 12 */
#define MF0 "0000:04:00.0"   /* e1000e, multifunction with MF1, group 14 */
#define MF1 "0000:04:00.1"   /* edu */
#define BR "0000:05:00.0"    /* pcie-pci-bridge, no driver, group 15 */
#define E1000 "0000:06:01.0" /* e1000 behind it */
#define EDU2 "0000:06:02.0"  /* edu behind it */

static const struct step mixed[] = {
	{ "start", NULL, NULL,
	  "01:00.0 02:00.0 04:00.0 04:00.1 05:00.0 06:01.0 06:02.0 g:04:00.0 g:06:01.0" },
	{ "start-reset-methods", NULL, NULL,
	  "rm:01:00.0 rm:02:00.0 rm:04:00.1 rm:05:00.0 rm:06:01.0 rm:06:02.0" },

	/* driver_override: newline handling, length limit, no probe */
	{ "ovr-set-newline", "d/" EDU "/driver_override", "vfio-pci\n", "02:00.0" },
	{ "ovr-clear-newline", "d/" EDU "/driver_override", "\n", "02:00.0" },
	{ "ovr-set-bare", "d/" EDU "/driver_override", "vfio-pci", "02:00.0" },
	{ "ovr-set-two-lines", "d/" EDU "/driver_override", "e1000e\nvfio-pci\n", "02:00.0" },
	{ "ovr-set-4094", "d/" EDU "/driver_override", "@4094", "02:00.0" },
	{ "ovr-set-4095", "d/" EDU "/driver_override", "@4095", "02:00.0" },
	{ "ovr-set-5000", "d/" EDU "/driver_override", "@5000", "02:00.0" },
	{ "ovr-set-space", "d/" EDU "/driver_override", " vfio-pci\n", "02:00.0" },
	{ "ovr-set-nosuchdrv", "d/" EDU "/driver_override", "nosuchdrv\n", "02:00.0" },
	{ "probe-nosuchdrv", "bus/drivers_probe", EDU, "02:00.0" },

	/* drivers_probe with the override, bind and unbind errors */
	{ "ovr-set-vfio", "d/" EDU "/driver_override", "vfio-pci\n", "02:00.0" },
	{ "probe-edu-vfio", "bus/drivers_probe", EDU "\n", "02:00.0 g:02:00.0" },
	{ "probe-edu-again", "bus/drivers_probe", EDU, "02:00.0" },
	{ "bind-edu-bound", "drv/vfio-pci/bind", EDU, "02:00.0" },
	{ "unbind-edu-wrong-driver", "drv/e1000e/unbind", EDU, "02:00.0" },
	{ "unbind-edu-vfio", "drv/vfio-pci/unbind", EDU, "02:00.0" },
	{ "unbind-edu-no-driver", "drv/vfio-pci/unbind", EDU, "02:00.0" },
	{ "bind-edu-vfio", "drv/vfio-pci/bind", EDU "\n", "02:00.0" },
	{ "unbind-edu-vfio-2", "drv/vfio-pci/unbind", EDU, "02:00.0" },
	{ "ovr-clear-edu", "d/" EDU "/driver_override", "\n", "02:00.0" },
	{ "bind-edu-no-override", "drv/vfio-pci/bind", EDU, "02:00.0" },
	{ "probe-edu-no-override", "bus/drivers_probe", EDU, "02:00.0" },
	{ "bind-nonexistent", "drv/vfio-pci/bind", "0000:0f:00.0", "" },
	{ "bind-short-address", "drv/vfio-pci/bind", "02:00.0", "02:00.0" },
	{ "bind-trailing-space", "drv/vfio-pci/bind", EDU " ", "02:00.0" },
	{ "probe-nonexistent", "bus/drivers_probe", "0000:0f:00.0", "" },
	{ "unbind-nonexistent", "drv/vfio-pci/unbind", "0000:0f:00.0", "" },
	{ "bind-nosuchdrv", "drv/nosuchdrv/bind", EDU, "02:00.0" },
	{ "unbind-edu-e1000e-nodriver", "drv/e1000e/unbind", EDU, "02:00.0" },
	{ "bind-edu-e1000e", "drv/e1000e/bind", EDU, "02:00.0" },

	/* e1000e: a device with a native driver */
	{ "ovr-e1-vfio", "d/" E1 "/driver_override", "vfio-pci\n", "01:00.0" },
	{ "probe-e1-bound", "bus/drivers_probe", E1, "01:00.0" },
	{ "bind-e1-vfio-bound", "drv/vfio-pci/bind", E1, "01:00.0" },
	{ "bind-e1-e1000e-bound", "drv/e1000e/bind", E1, "01:00.0" },
	{ "unbind-e1-e1000e", "drv/e1000e/unbind", E1, "01:00.0" },
	{ "bind-e1-e1000e-override", "drv/e1000e/bind", E1, "01:00.0" },
	{ "probe-e1-vfio", "bus/drivers_probe", E1, "01:00.0" },
	{ "unbind-e1-vfio", "drv/vfio-pci/unbind", E1, "01:00.0" },
	{ "ovr-clear-e1", "d/" E1 "/driver_override", "\n", "01:00.0" },
	{ "probe-e1-native", "bus/drivers_probe", E1, "01:00.0" },
	{ "unbind-e1-e1000e-2", "drv/e1000e/unbind", E1, "01:00.0" },
	{ "bind-e1-e1000e", "drv/e1000e/bind", E1, "01:00.0" },

	/* the multifunction group: /dev/vfio/14 with one function on vfio-pci */
	{ "ovr-mf1-vfio", "d/" MF1 "/driver_override", "vfio-pci\n", "04:00.1" },
	{ "probe-mf1-vfio", "bus/drivers_probe", MF1, "04:00.0 04:00.1" },
	{ "unbind-mf0-e1000e", "drv/e1000e/unbind", MF0, "04:00.0 04:00.1" },
	{ "ovr-mf0-vfio", "d/" MF0 "/driver_override", "vfio-pci\n", "04:00.0" },
	{ "probe-mf0-vfio", "bus/drivers_probe", MF0, "04:00.0 04:00.1" },
	{ "unbind-mf1-vfio", "drv/vfio-pci/unbind", MF1, "04:00.0 04:00.1" },
	{ "unbind-mf0-vfio", "drv/vfio-pci/unbind", MF0, "04:00.0 04:00.1" },
	{ "ovr-clear-mf0", "d/" MF0 "/driver_override", "\n", "04:00.0" },
	{ "ovr-clear-mf1", "d/" MF1 "/driver_override", "\n", "04:00.1" },
	{ "probe-mf0-native", "bus/drivers_probe", MF0, "04:00.0 04:00.1" },

	/* the bridge group: vfio-pci refuses a bridge; an endpoint behind it binds */
	{ "ovr-br-vfio", "d/" BR "/driver_override", "vfio-pci\n", "05:00.0" },
	{ "probe-br-vfio", "bus/drivers_probe", BR, "05:00.0" },
	{ "bind-br-vfio", "drv/vfio-pci/bind", BR, "05:00.0" },
	{ "ovr-clear-br", "d/" BR "/driver_override", "\n", "05:00.0" },
	{ "ovr-edu2-vfio", "d/" EDU2 "/driver_override", "vfio-pci\n", "06:02.0" },
	{ "probe-edu2-vfio", "bus/drivers_probe", EDU2, "05:00.0 06:01.0 06:02.0" },
	{ "unbind-edu2-vfio", "drv/vfio-pci/unbind", EDU2, "06:02.0" },
	{ "ovr-clear-edu2", "d/" EDU2 "/driver_override", "\n", "06:02.0" },

	/* new_id grabs every unbound device of the ID */
	{ "new-id-one-field", "drv/vfio-pci/new_id", "1234", "02:00.0" },
	{ "new-id-edu", "drv/vfio-pci/new_id", "1234 11e8", "02:00.0 04:00.1 06:02.0" },
	{ "new-id-edu-again", "drv/vfio-pci/new_id", "1234 11e8", "02:00.0" },
	{ "new-id-e1000e-static", "drv/e1000e/new_id", "8086 10d3", "01:00.0" },
	{ "remove-id-edu", "drv/vfio-pci/remove_id", "1234 11e8", "02:00.0 04:00.1 06:02.0" },
	{ "remove-id-edu-again", "drv/vfio-pci/remove_id", "1234 11e8", "02:00.0" },
	{ "remove-id-one-field", "drv/vfio-pci/remove_id", "1234", "02:00.0" },
	{ "unbind-edu-newid", "drv/vfio-pci/unbind", EDU, "02:00.0" },
	{ "unbind-mf1-newid", "drv/vfio-pci/unbind", MF1, "04:00.1" },
	{ "unbind-edu2-newid", "drv/vfio-pci/unbind", EDU2, "06:02.0" },
	{ "probe-edu-after-remove-id", "bus/drivers_probe", EDU, "02:00.0" },

	/* remove + rescan forgets driver_override */
	{ "ovr-edu-vfio-2", "d/" EDU "/driver_override", "vfio-pci\n", "02:00.0" },
	{ "probe-edu-vfio-2", "bus/drivers_probe", EDU, "02:00.0" },
	{ "remove-edu-zero", "d/" EDU "/remove", "0", "02:00.0" },
	{ "remove-edu-junk", "d/" EDU "/remove", "x", "02:00.0" },
	{ "remove-edu", "d/" EDU "/remove", "1", "02:00.0 g:02:00.0" },
	{ "ovr-removed-edu", "d/" EDU "/driver_override", "vfio-pci\n", "02:00.0" },
	{ "probe-removed-edu", "bus/drivers_probe", EDU, "02:00.0" },
	{ "rescan-junk", "bus/rescan", "x", "02:00.0" },
	{ "rescan", "bus/rescan", "1", "02:00.0 g:02:00.0" },
	/* which group does a re-added function join? (its old one still has members) */
	{ "remove-mf0", "d/" MF0 "/remove", "1", "04:00.0 g:04:00.1" },
	{ "remove-edu2", "d/" EDU2 "/remove", "1", "06:02.0 g:06:01.0" },
	{ "rescan-2", "bus/rescan", "1", "04:00.0 06:02.0 g:04:00.0 g:06:01.0" },
	{ "remove-mf1", "d/" MF1 "/remove", "1", "04:00.1 g:04:00.0" },
	{ "remove-e1", "d/" E1 "/remove", "1", "01:00.0" },
	{ "autoprobe-bus-off", "bus/drivers_autoprobe", "0", "" },
	{ "rescan-autoprobe-off", "bus/rescan", "1", "01:00.0 04:00.1 g:04:00.0" },
	{ "autoprobe-bus-on", "bus/drivers_autoprobe", "1", "01:00.0" },
	{ "probe-e1-after-rescan", "bus/drivers_probe", E1, "01:00.0" },

	/* reset and reset_method */
	{ "reset-edu", "d/" EDU "/reset", "1", "02:00.0 rm:02:00.0" },
	{ "reset-edu-zero", "d/" EDU "/reset", "0", "02:00.0" },
	{ "reset-edu-two", "d/" EDU "/reset", "2", "02:00.0" },
	{ "reset-e1-bound", "d/" E1 "/reset", "1", "01:00.0 rm:01:00.0" },
	{ "reset-mf1-none", "d/" MF1 "/reset", "1", "04:00.1 rm:04:00.1" },
	{ "reset-method-edu-flr", "d/" EDU "/reset_method", "flr", "rm:02:00.0" },
	{ "reset-method-edu-junk", "d/" EDU "/reset_method", "frobnicate", "rm:02:00.0" },
	{ "reset-method-e1-bus", "d/" E1 "/reset_method", "bus\n", "rm:01:00.0" },
	{ "reset-method-e1-default", "d/" E1 "/reset_method", "default\n", "rm:01:00.0" },
	{ "reset-method-edu-off", "d/" EDU "/reset_method", "\n", "rm:02:00.0" },
	{ "reset-edu-no-method", "d/" EDU "/reset", "1", "rm:02:00.0" },
	{ "reset-method-edu-default", "d/" EDU "/reset_method", "default", "rm:02:00.0" },
	{ "sriov-numvfs-not-pf", "d/" EDU "/sriov_numvfs", "1", "02:00.0" },

	{ "end", NULL, NULL,
	  "01:00.0 02:00.0 04:00.0 04:00.1 05:00.0 06:01.0 06:02.0 g:02:00.0 g:04:00.0 "
	  "g:06:01.0" },
};

/* ---- the sriov topology (tests/vm/topologies/sriov.args, profile q35-sriov) ------------------ */

#define PF "0000:01:00.0" /* QEMU NVMe as an SR-IOV PF, TotalVFs 4, on nvme */
#define VF0 "0000:01:00.1"
#define VF1 "0000:01:00.2"

static const struct step sriov[] = {
	/* the real guest boots with no VFs; the sim's profile is the state after these two */
	{ "autoprobe-off", "d/" PF "/sriov_drivers_autoprobe", "0", "" },
	{ "numvfs-2", "d/" PF "/sriov_numvfs", "2", "pf:01:00.0 01:00.1 01:00.2" },

	{ "start", NULL, NULL, "01:00.0 01:00.1 01:00.2 02:00.0 pf:01:00.0 g:01:00.1 g:01:00.2" },
	{ "numvfs-2-again", "d/" PF "/sriov_numvfs", "2", "pf:01:00.0" },
	{ "numvfs-3-busy", "d/" PF "/sriov_numvfs", "3", "pf:01:00.0" },
	{ "numvfs-5-range", "d/" PF "/sriov_numvfs", "5", "pf:01:00.0" },
	{ "numvfs-junk", "d/" PF "/sriov_numvfs", "x", "pf:01:00.0" },
	{ "numvfs-negative", "d/" PF "/sriov_numvfs", "-1", "pf:01:00.0" },
	{ "numvfs-70000", "d/" PF "/sriov_numvfs", "70000", "pf:01:00.0" },
	{ "vf-reset-methods", NULL, NULL, "rm:01:00.0 rm:01:00.1" },
	{ "vf-remove-file", "d/" VF0 "/remove", "1", "01:00.1" },
	{ "probe-vf-autoprobe-off", "bus/drivers_probe", VF0, "01:00.1" },
	{ "bind-vf-nvme-autoprobe-off", "drv/nvme/bind", VF0, "01:00.1" },
	{ "ovr-vf-vfio", "d/" VF0 "/driver_override", "vfio-pci\n", "01:00.1" },
	{ "probe-vf-vfio", "bus/drivers_probe", VF0, "01:00.1 g:01:00.1" },
	{ "numvfs-0-vf-on-vfio", "d/" PF "/sriov_numvfs", "0", "pf:01:00.0 01:00.1 01:00.2" },
	{ "numvfs-0-again", "d/" PF "/sriov_numvfs", "0", "pf:01:00.0" },
	{ "autoprobe-junk", "d/" PF "/sriov_drivers_autoprobe", "x", "pf:01:00.0" },
	{ "autoprobe-on-word", "d/" PF "/sriov_drivers_autoprobe", "on", "pf:01:00.0" },
	{ "autoprobe-off-2", "d/" PF "/sriov_drivers_autoprobe", "0\n", "pf:01:00.0" },
	{ "numvfs-1", "d/" PF "/sriov_numvfs", "1\n", "pf:01:00.0 01:00.1 g:01:00.1" },
	{ "ovr-vf-vfio-2", "d/" VF0 "/driver_override", "vfio-pci\n", "01:00.1" },
	{ "autoprobe-on", "d/" PF "/sriov_drivers_autoprobe", "1", "pf:01:00.0" },
	{ "probe-vf-vfio-2", "bus/drivers_probe", VF0, "01:00.1" },
	{ "unbind-vf-vfio", "drv/vfio-pci/unbind", VF0, "01:00.1" },
	{ "autoprobe-off-3", "d/" PF "/sriov_drivers_autoprobe", "0", "pf:01:00.0" },
	{ "unbind-pf-nvme", "drv/nvme/unbind", PF, "01:00.0 pf:01:00.0 01:00.1" },
	{ "numvfs-0-pf-unbound", "d/" PF "/sriov_numvfs", "0", "pf:01:00.0 01:00.1" },
	{ "numvfs-2-pf-unbound", "d/" PF "/sriov_numvfs", "2", "pf:01:00.0" },
	{ "ovr-pf-vfio-vfs", "d/" PF "/driver_override", "vfio-pci\n", "01:00.0" },
	{ "bind-pf-vfio-vfs", "drv/vfio-pci/bind", PF, "01:00.0 pf:01:00.0" },
	{ "probe-pf-vfio-vfs", "bus/drivers_probe", PF, "01:00.0 pf:01:00.0" },
	{ "ovr-clear-pf-vfs", "d/" PF "/driver_override", "\n", "01:00.0" },
	{ "bind-pf-nvme", "drv/nvme/bind", PF, "01:00.0 pf:01:00.0" },
	{ "numvfs-0-rebound", "d/" PF "/sriov_numvfs", "0", "pf:01:00.0 01:00.1" },
	{ "ovr-pf-vfio", "d/" PF "/driver_override", "vfio-pci\n", "01:00.0" },
	{ "unbind-pf-nvme-2", "drv/nvme/unbind", PF, "01:00.0" },
	{ "probe-pf-vfio", "bus/drivers_probe", PF, "01:00.0 g:01:00.0" },
	{ "numvfs-2-pf-vfio", "d/" PF "/sriov_numvfs", "2", "pf:01:00.0" },
	{ "unbind-pf-vfio", "drv/vfio-pci/unbind", PF, "01:00.0" },
	{ "ovr-clear-pf", "d/" PF "/driver_override", "\n", "01:00.0" },
	{ "probe-pf-native", "bus/drivers_probe", PF, "01:00.0" },
	{ "numvfs-2-end", "d/" PF "/sriov_numvfs", "2", "pf:01:00.0 01:00.1 01:00.2 g:01:00.1 g:01:00.2" },
	{ "numvfs-0-end", "d/" PF "/sriov_numvfs", "0", "pf:01:00.0" },
	{ "end", NULL, NULL, "01:00.0 02:00.0 pf:01:00.0" },
};

/* ---- running and printing ------------------------------------------------------------------- */

static const char *sysroot, *devroot;

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOTTY: return "ENOTTY";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: break;
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* "d/ADDR/x", "drv/NAME/x", "bus/x" -> a path below SYSROOT */
static void sys_path(char *out, size_t size, const char *f)
{
	if (strncmp(f, "d/", 2) == 0)
		snprintf(out, size, "%s/bus/pci/devices/%s", sysroot, f + 2);
	else if (strncmp(f, "drv/", 4) == 0)
		snprintf(out, size, "%s/bus/pci/drivers/%s", sysroot, f + 4);
	else if (strncmp(f, "bus/", 4) == 0)
		snprintf(out, size, "%s/bus/pci/%s", sysroot, f + 4);
	else
		snprintf(out, size, "%s/%s", sysroot, f);
}

static void do_write(const struct step *s, FILE *out)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!s->file) {
		fputs("-", out);
		return;
	}
	if (s->data[0] == '@') {
		len = strtoul(s->data + 1, NULL, 10);
		buf = malloc(len);
		if (!buf)
			abort();
		memset(buf, 'a', len);
	} else {
		len = strlen(s->data);
		buf = strdup(s->data);
		if (!buf)
			abort();
	}
	sys_path(path, sizeof(path), s->file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "open:%s", errname(errno));
		return;
	}
	if (write(fd, buf, len) < 0)
		fputs(errname(errno), out);
	else
		fputs("ok", out);
}

/* The first line of a file, without its newline; false when it cannot be read. */
static bool read_line(const char *path, char *out, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, out, size - 1);
	if (n < 0)
		return false;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return true;
}

/* The last component of a link's target, "-" when there is no link. */
static void link_base(const char *path, char *out, size_t size)
{
	char t[PATH_MAX];
	ssize_t n = readlink(path, t, sizeof(t) - 1);
	const char *b;

	if (n < 0) {
		snprintf(out, size, "-");
		return;
	}
	t[n] = '\0';
	b = strrchr(t, '/');
	snprintf(out, size, "%.*s", (int)size - 1, b ? b + 1 : t);
}

static const char *short_addr(const char *a)
{
	return strncmp(a, "0000:", 5) == 0 ? a + 5 : a;
}

/* Entries of a directory starting with @prefix (with @digits: numbers only), sorted, joined. */
static void list_dir(const char *dir, const char *prefix, bool digits, bool strip_domain,
		     char *out, size_t size)
{
	char names[64][64];
	size_t n = 0, len = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)) && n < ELEMENTSOF(names)) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    (digits && strspn(e->d_name, "0123456789") != strlen(e->d_name)))
			continue;
		snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	}
	closedir(d);
	/* insertion sort; numbers by length first, so 9 < 10 */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			size_t la = strlen(names[j - 1]), lb = strlen(names[j]);
			char tmp[64];

			if (digits ? la < lb || (la == lb && strcmp(names[j - 1], names[j]) <= 0) :
				     strcmp(names[j - 1], names[j]) <= 0)
				break;
			memcpy(tmp, names[j], sizeof(tmp));
			memcpy(names[j], names[j - 1], sizeof(tmp));
			memcpy(names[j - 1], tmp, sizeof(tmp));
		}
	for (size_t i = 0; i < n && len + 1 < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "",
					strip_domain ? short_addr(names[i]) : names[i]);
}

static void show_device(const char *addr, FILE *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], drv[256], grp[64], ovr[8192], pf[64], en[32];
	char ue[4096], *ud;
	struct stat st;
	size_t ol;

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/0000:%s", sysroot, addr);
	if (lstat(dir, &st) < 0) {
		fprintf(out, " %s=gone", addr);
		return;
	}
	snprintf(path, sizeof(path), "%s/driver", dir);
	link_base(path, drv, sizeof(drv));
	snprintf(path, sizeof(path), "%s/iommu_group", dir);
	link_base(path, grp, sizeof(grp));
	snprintf(path, sizeof(path), "%s/driver_override", dir);
	if (!read_line(path, ovr, sizeof(ovr)))
		snprintf(ovr, sizeof(ovr), "?%s", errname(errno));
	ol = strlen(ovr);
	if (ol > 32 && strspn(ovr, "a") == ol)
		snprintf(ovr, sizeof(ovr), "a*%zu", ol);
	/* enable counts pci_enable_device() calls; uevent's DRIVER= follows the binding */
	snprintf(path, sizeof(path), "%s/enable", dir);
	if (!read_line(path, en, sizeof(en)))
		snprintf(en, sizeof(en), "?");
	snprintf(path, sizeof(path), "%s/uevent", dir);
	ue[0] = '\0';
	{
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, ue, sizeof(ue) - 1) : -1;

		ue[n > 0 ? n : 0] = '\0';
	}
	ud = strncmp(ue, "DRIVER=", 7) == 0 ? ue + 7 : strstr(ue, "\nDRIVER=");
	if (ud && ud != ue + 7)
		ud += 8;
	if (ud)
		ud[strcspn(ud, "\n")] = '\0';
	fprintf(out, " %s=drv:%s,ovr:%s,grp:%s,en:%s,ue:%s", addr, drv, ovr, grp, en, ud ? ud : "-");
	snprintf(path, sizeof(path), "%s/physfn", dir);
	if (lstat(path, &st) == 0) {
		link_base(path, pf, sizeof(pf));
		fprintf(out, ",physfn:%s", short_addr(pf));
	}
}

static void show_group(const char *addr, FILE *out)
{
	char path[PATH_MAX], grp[64], members[1024];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:%s/iommu_group", sysroot, addr);
	link_base(path, grp, sizeof(grp));
	if (streq(grp, "-")) {
		fprintf(out, " g(%s)=-", addr);
		return;
	}
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%s/devices", sysroot, grp);
	list_dir(path, "", false, true, members, sizeof(members));
	fprintf(out, " g%s=[%s]", grp, members);
}

static void show_pf(const char *addr, FILE *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], numvfs[64], total[64], autop[64], links[1024];
	size_t len = 0;
	char names[1024];

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/0000:%s", sysroot, addr);
	snprintf(path, sizeof(path), "%s/sriov_numvfs", dir);
	if (!read_line(path, numvfs, sizeof(numvfs)))
		snprintf(numvfs, sizeof(numvfs), "?");
	snprintf(path, sizeof(path), "%s/sriov_totalvfs", dir);
	if (!read_line(path, total, sizeof(total)))
		snprintf(total, sizeof(total), "?");
	snprintf(path, sizeof(path), "%s/sriov_drivers_autoprobe", dir);
	if (!read_line(path, autop, sizeof(autop)))
		snprintf(autop, sizeof(autop), "?");
	list_dir(dir, "virtfn", false, false, names, sizeof(names));
	links[0] = '\0';
	for (char *save = NULL, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char target[64];

		snprintf(path, sizeof(path), "%s/%s", dir, t);
		link_base(path, target, sizeof(target));
		len += (size_t)snprintf(links + len, sizeof(links) - len, "%s%s->%s",
					len ? "," : "", t, short_addr(target));
		if (len >= sizeof(links))
			break;
	}
	fprintf(out, " pf(%s)=numvfs:%s,total:%s,autoprobe:%s,[%s]", addr, numvfs, total, autop,
		links);
}

static void show_reset(const char *addr, FILE *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], rm[256];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/0000:%s", sysroot, addr);
	snprintf(path, sizeof(path), "%s/reset_method", dir);
	if (!read_line(path, rm, sizeof(rm)))
		snprintf(rm, sizeof(rm), "?%s", errname(errno));
	fprintf(out, " rm(%s)=[%s]", addr, rm);
	snprintf(path, sizeof(path), "%s/reset", dir);
	fprintf(out, ",reset:%s", stat(path, &st) == 0 ? "yes" : "no");
}

static void show_vfio(FILE *out)
{
	char dir[PATH_MAX], groups[1024], path[PATH_MAX + 16];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/vfio", devroot);
	snprintf(path, sizeof(path), "%s/vfio", dir);
	list_dir(dir, "", true, false, groups, sizeof(groups));
	fprintf(out, " | vfio=%s[%s]", stat(path, &st) == 0 && S_ISCHR(st.st_mode) ? "ctl" : "-",
		groups);
}

static void run(const struct step *steps, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		_cleanup_free_ char *show = strdup(s->show);

		if (!show)
			abort();
		fprintf(out, "%s: ", s->name);
		do_write(s, out);
		fputs(" |", out);
		for (char *save = NULL, *t = strtok_r(show, " ", &save); t;
		     t = strtok_r(NULL, " ", &save)) {
			if (strncmp(t, "g:", 2) == 0)
				show_group(t + 2, out);
			else if (strncmp(t, "pf:", 3) == 0)
				show_pf(t + 3, out);
			else if (strncmp(t, "rm:", 3) == 0)
				show_reset(t + 3, out);
			else
				show_device(t, out);
		}
		show_vfio(out);
		fputc('\n', out);
		fflush(out);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sysfs-script mixed|sriov SYSROOT DEVROOT\n");
		return 2;
	}
	sysroot = argv[2];
	devroot = argv[3];
	if (streq(argv[1], "mixed"))
		run(mixed, ELEMENTSOF(mixed), stdout);
	else if (streq(argv[1], "sriov"))
		run(sriov, ELEMENTSOF(sriov), stdout);
	else {
		fprintf(stderr, "sysfs-script: unknown scenario '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}
