/*
 * passd-sim.c - the live simulated kernel: passd-sim [OPTIONS] PROFILE MOUNTPOINT
 *
 * Serves a profile's tree (exactly what passd-simgen writes: sim-tree.c builds it, in a scratch
 * directory that is read back into memory and deleted) as a FUSE filesystem with sys/, proc/ and
 * dev/ under MOUNTPOINT, and answers writes as Linux 6.1 does: driver_override, drivers_probe,
 * drivers/NAME/{bind,unbind,new_id,remove_id}, sriov_numvfs, remove, rescan, reset. Each kernel
 * reaction is a named function below (sim_bind, sim_unbind, sim_probe, sim_override,
 * sim_sriov_set, sim_remove, sim_rescan, sim_reset) citing the kernel code it follows.
 * MOUNTPOINT/sim/ holds the control files: faults (rules, see README.md) and stats.
 *
 * FUSE (the low-level API) runs multithreaded; one mutex guards the whole model, and an
 * injected delay sleeps outside it, so a hung write never blocks another request. The kernel
 * caches lookups and attributes; every change is invalidated before the write is answered
 * (see "the kernel's caches" below).
 *
 * This program models the kernel on its own and never includes anything from daemon/.
 */
#define FUSE_USE_VERSION 35
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sim-fault.h"
#include "sim-profile.h"
#include "sim-tree.h"
#include "sim-vfs.h"

#ifndef SIM_PROFILEDIR
#define SIM_PROFILEDIR "tests/sim/profiles"
#endif

#define VFIO_MAJOR 243 /* dynamic on a real host; anything but misc (10) */

/* One PCI function of the model. */
struct mdev {
	struct sim_dev *d; /* d->driver and d->override are the live state */
	bool owned;	   /* a VF created at run time (else the profile owns d) */
	bool present;	   /* false after remove, until rescan */
	char *native;	   /* what probing binds without an override (its static ID table) */
	struct vnode *dir;
	char linked[64]; /* the driver whose drivers/NAME/ADDR link exists */
	char *reset_now; /* reset_method as written; NULL: the default, every method d->reset has */
	int boot_group;	 /* the profile's group: who shares it was not isolated from whom */
	bool bridge_enabled; /* a bridge that pci_enable_bridge() enabled for a device below it */
};

struct dynid {
	char driver[64];
	unsigned vendor, device;
};

/* A node taken out of the tree by remove, put back by rescan. */
struct stashed {
	struct vnode *node, *parent;
};

/* FUSE requests, counted in sim/stats */
enum req_kind { RQ_LOOKUP, RQ_GETATTR, RQ_READLINK, RQ_READDIR, RQ_OPEN, RQ_READ, RQ_WRITE,
		RQ_OTHER, RQ_MAX };

struct sim {
	pthread_mutex_t lock;
	struct sim_host *h;
	char *scratch; /* a private directory for sim-tree.c's output */
	bool viable_node; /* --dev-vfio=viable */

	struct vnode *root, *sys, *pci_devices, *drivers, *groups, *vfio_dir;
	struct vnode *drivers_probe, *bus_rescan, *faults_node, *stats_node;
	struct vnode *group_template; /* a group's type and reserved_regions, for new groups */

	struct mdev **devs; /* sorted by address; removed ones included */
	size_t n_devs, alloc_devs;
	struct dynid *dynids;
	size_t n_dynids;
	struct stashed *stash;
	size_t n_stash, alloc_stash;

	struct sim_faults faults;
	uint64_t delay_ms;
	unsigned long writes[SIM_OP_MAX];
	unsigned long faults_fired;
	/* atomics, updated outside the lock */
	uint64_t requests[RQ_MAX];
	uint64_t handler_ns; /* inside the FUSE handlers, injected delays excluded */
	uint64_t slept_ns;   /* the injected delays as slept (nanosleep oversleeps a little) */
	uint64_t notifies, notify_ns; /* cache invalidations sent to the kernel (in handler_ns) */
};

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* ---- helpers ------------------------------------------------------------------------------ */

static void mdev_free(struct mdev *m)
{
	if (!m)
		return;
	if (m->owned)
		simprof_dev_free(m->d);
	free(m->native);
	free(m->reset_now);
	free(m);
}

static size_t mdev_pos(const struct sim *s, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n_devs;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->devs[mid]->d->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* bus_find_device_by_name(): sysfs_streq(), so one trailing newline is fine */
static struct mdev *find_dev(const struct sim *s, const char *buf)
{
	char name[32];
	size_t len = strcspn(buf, "\n");
	bool found;
	size_t i;

	if (len >= sizeof(name) || (buf[len] == '\n' && buf[len + 1]))
		return NULL;
	memcpy(name, buf, len);
	name[len] = '\0';
	i = mdev_pos(s, name, &found);
	if (!found || !s->devs[i]->present)
		return NULL;
	return s->devs[i];
}

static int mdev_insert(struct sim *s, struct mdev *m)
{
	bool found;
	size_t i = mdev_pos(s, m->d->name, &found);

	if (found)
		return -EEXIST;
	if (s->n_devs == s->alloc_devs) {
		size_t na = s->alloc_devs ? s->alloc_devs * 2 : 64;
		struct mdev **v = realloc(s->devs, na * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->devs = v;
		s->alloc_devs = na;
	}
	memmove(s->devs + i + 1, s->devs + i, (s->n_devs - i) * sizeof(*s->devs));
	s->devs[i] = m;
	s->n_devs++;
	return 0;
}

static void mdev_drop(struct sim *s, struct mdev *m)
{
	bool found;
	size_t i = mdev_pos(s, m->d->name, &found);

	if (found) {
		memmove(s->devs + i, s->devs + i + 1, (s->n_devs - i - 1) * sizeof(*s->devs));
		s->n_devs--;
	}
	mdev_free(m);
}

static int stash_push(struct sim *s, struct vnode *node, struct vnode *parent)
{
	if (s->n_stash == s->alloc_stash) {
		size_t na = s->alloc_stash ? s->alloc_stash * 2 : 64;
		struct stashed *v = realloc(s->stash, na * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->stash = v;
		s->alloc_stash = na;
	}
	s->stash[s->n_stash++] = (struct stashed){ node, parent };
	return 0;
}

static int put_printf(struct vnode *dir, const char *name, const char *fmt, ...) _printf_(3, 4);
static int put_printf(struct vnode *dir, const char *name, const char *fmt, ...)
{
	struct vnode *n = vnode_child(dir, name);
	char buf[256];
	va_list ap;
	int len;

	if (!n)
		return 0; /* the attribute does not exist on this function */
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -ENAMETOOLONG;
	return vnode_set_data(n, buf, (size_t)len);
}

/* A link in sys/@link_dir named @name to sys/@target, spelled as kernfs does. */
static int put_link(struct sim *s, const char *link_dir, const char *name, const char *target)
{
	struct vnode *dir = vnode_lookup(s->sys, link_dir);
	char rel[4096];
	int r;

	if (!dir)
		return -ENOENT;
	r = simtree_rel_target(link_dir, target, rel, sizeof(rel));
	if (r < 0)
		return r;
	return vnode_put_link(dir, name, rel) ? 0 : -ENOMEM;
}

/* kstrtoul()/kstrtou16() with base 0: one trailing newline allowed */
static int kstrtoul(const char *buf, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!*buf || *buf == '-' || *buf == '+' || *buf == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* kstrtobool() */
static int kstrtobool(const char *s, bool *ret)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*ret = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*ret = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*ret = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*ret = false;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}

/* ---- the state shown in the tree ------------------------------------------------------------ */

/*
 * /dev/vfio/N exists while a member of group N is bound to vfio-pci: vfio_pci_probe() ->
 * vfio_register_group_dev() creates the group's char device for the first one, whatever the
 * other members do (viability is only checked on VFIO_GROUP_GET_STATUS/open; vmlab's
 * vfio-bind.sh section 3 shows it on 6.1). With --dev-vfio=viable it exists only while the group
 * is also viable: since 5.19 (iommu_group_dma_owner_claimed()) no member may be on a driver that
 * uses the kernel's DMA API; vfio-pci, pci-stub and pcieport declare driver_managed_dma (t9200,
 * tests/vm/SIM-VS-KERNEL.md).
 */
static int update_vfio(struct sim *s, int group)
{
	bool any_vfio = false, viable = true;
	char name[16];
	struct vnode *n;

	if (group < 0)
		return 0;
	for (size_t i = 0; i < s->n_devs; i++) {
		const struct sim_dev *d = s->devs[i]->d;

		if (!s->devs[i]->present || d->group != group || !d->driver)
			continue;
		if (streq(d->driver, "vfio-pci"))
			any_vfio = true;
		else if (!streq(d->driver, "pcieport") && !streq(d->driver, "pci-stub"))
			viable = false;
	}
	snprintf(name, sizeof(name), "%d", group);
	n = vnode_child(s->vfio_dir, name);
	if (any_vfio && (viable || !s->viable_node)) {
		if (n)
			return 0;
		n = vnode_new(name, VNODE_CHR, 0600);
		if (!n)
			return -ENOMEM;
		n->rdev = makedev(VFIO_MAJOR, (unsigned)group);
		if (vnode_add(s->vfio_dir, n) < 0) {
			vnode_free(n);
			return -ENOMEM;
		}
	} else if (n) {
		vnode_remove(n);
	}
	return 0;
}

/* Rewrite what depends on the binding: enable, uevent, config, driver_override. */
static int refresh_attrs(struct mdev *m)
{
	const struct sim_dev *d = m->d;
	char buf[4096];
	uint8_t cfg[4096];
	struct vnode *n;
	int len, r;

	/* vfio-pci enables a device when it is opened, not at probe (the kernel shows 0) */
	r = put_printf(m->dir, "enable", "%u\n",
		       (d->driver && !streq(d->driver, "vfio-pci")) || m->bridge_enabled ? 1u : 0u);
	if (r < 0)
		return r;
	/* up to 4094 bytes and a newline (driver_set_override()): not through put_printf() */
	n = vnode_child(m->dir, "driver_override");
	if (n) {
		const char *o = d->override ? d->override : "(null)";
		size_t ol = strlen(o);
		_cleanup_free_ char *v = malloc(ol + 1);

		if (!v)
			return -ENOMEM;
		memcpy(v, o, ol);
		v[ol] = '\n';
		if (vnode_set_data(n, v, ol + 1) < 0)
			return -ENOMEM;
	}
	if (d->reset) {
		const char *rm = m->reset_now ? m->reset_now : d->reset;

		/* reset_method_show(): nothing at all, not even a newline, when none is left */
		r = *rm ? put_printf(m->dir, "reset_method", "%s\n", rm) :
			  put_printf(m->dir, "reset_method", "%s", "");
		if (r < 0)
			return r;
	}
	len = simtree_uevent(d, buf, sizeof(buf));
	if (len < 0)
		return len;
	n = vnode_child(m->dir, "uevent");
	if (n && vnode_set_data(n, buf, (size_t)len) < 0)
		return -ENOMEM;
	n = vnode_child(m->dir, "config");
	if (n) {
		size_t sz = simtree_config(d, cfg);

		if (vnode_set_data(n, cfg, sz) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Bind @m to @drv or unbind it (NULL): the driver core's driver_sysfs_add()/remove() make the
 * device's "driver" link and the driver's ADDR link.
 */
static int set_driver(struct sim *s, struct mdev *m, const char *drv)
{
	struct sim_dev *d = m->d;
	char *nd = NULL;
	char path[128];
	int r;

	if (drv) {
		nd = strdup(drv);
		if (!nd)
			return -ENOMEM;
	}
	free(d->driver);
	d->driver = nd;
	if (m->linked[0]) {
		struct vnode *dd = vnode_child(s->drivers, m->linked);

		if (dd)
			vnode_remove(vnode_child(dd, d->name));
		m->linked[0] = '\0';
	}
	vnode_remove(vnode_child(m->dir, "driver"));
	if (drv) {
		snprintf(path, sizeof(path), "bus/pci/drivers/%s", drv);
		if (!vnode_mkdirs(s->sys, path))
			return -ENOMEM;
		r = put_link(s, d->path, "driver", path);
		if (r >= 0)
			r = put_link(s, path, d->name, d->path);
		if (r < 0)
			return r;
		snprintf(m->linked, sizeof(m->linked), "%s", drv);
	}
	/* pci_enable_device() enables the bridges above, for good (nothing disables them) */
	for (const struct sim_dev *x = d->parent; drv && !streq(drv, "vfio-pci") && x; x = x->parent) {
		bool found;
		size_t k = mdev_pos(s, x->name, &found);
		struct mdev *xm = found ? s->devs[k] : NULL;

		if (xm && !xm->bridge_enabled) {
			xm->bridge_enabled = true;
			(void)put_printf(xm->dir, "enable", "%u\n", 1u);
		}
	}
	r = refresh_attrs(m);
	if (r >= 0)
		r = update_vfio(s, d->group);
	return r;
}

/* ---- matching and probing ------------------------------------------------------------------- */

static bool has_dynid(const struct sim *s, const char *drv, unsigned vendor, unsigned device)
{
	for (size_t i = 0; i < s->n_dynids; i++)
		if (streq(s->dynids[i].driver, drv) && s->dynids[i].vendor == vendor &&
		    s->dynids[i].device == device)
			return true;
	return false;
}

static bool driver_exists(const struct sim *s, const char *drv)
{
	struct vnode *n = vnode_child(s->drivers, drv);

	return n && n->type == VNODE_DIR;
}

/*
 * pci_match_device() (drivers/pci/pci-driver.c): with driver_override set, only that driver
 * matches (and it matches whatever its ID table says); otherwise the dynamic IDs (new_id), then
 * the static table, which the model reduces to "the function's native driver".
 */
static bool driver_matches(const struct sim *s, const struct mdev *m, const char *drv)
{
	const struct sim_dev *d = m->d;

	if (d->override)
		return streq(d->override, drv);
	if (has_dynid(s, drv, d->vendor, d->device))
		return true;
	return m->native && streq(m->native, drv);
}

/*
 * The driver's probe(). vfio_pci_probe() refuses what is not a type 0 header (bridges) and,
 * through vfio_iommu_group_get(), a function without an IOMMU group: -EINVAL, which the driver
 * core only logs ("probe of ADDR failed with error -22"). Returns 0 or a positive errno.
 */
static int driver_probe(struct sim *s, struct mdev *m, const char *drv)
{
	/*
	 * pci_device_probe() -> pci_device_can_probe(): a VF of a PF with sriov_drivers_autoprobe
	 * 0 probes only with driver_override set; -ENODEV otherwise, bind included (t9902).
	 */
	if (m->d->physfn && !m->d->physfn->autoprobe && !m->d->override)
		return ENODEV;
	if (streq(drv, "vfio-pci") && (m->d->group < 0 || m->d->bridge))
		return EINVAL;
	/*
	 * vfio_pci_core_register_device(): "Cannot bind to PF with SR-IOV enabled", -EBUSY: bind
	 * fails with it, drivers_probe hides it (t9902 bind-pf-vfio-vfs, 6.1)
	 */
	if (streq(drv, "vfio-pci") && m->d->is_pf && m->d->num_vfs > 0)
		return EBUSY;
	return -set_driver(s, m, drv);
}

/* The driver device_attach() would try first for @m, NULL for none. */
static const char *probe_candidate(const struct sim *s, const struct mdev *m)
{
	const struct sim_dev *d = m->d;

	if (d->override)
		return driver_exists(s, d->override) ? d->override : NULL;
	if (m->native && driver_exists(s, m->native))
		return m->native;
	for (size_t i = 0; i < s->n_dynids; i++)
		if (s->dynids[i].vendor == d->vendor && s->dynids[i].device == d->device)
			return s->dynids[i].driver;
	return NULL;
}

/*
 * device_attach() for an unbound function: the first driver that matches and probes wins;
 * probe failures are only logged. Returns 0 or a negative errno of the model itself.
 */
static int attach(struct sim *s, struct mdev *m)
{
	const char *drv;
	int r;

	if (m->d->driver)
		return 0;
	drv = probe_candidate(s, m);
	if (!drv)
		return 0;
	r = driver_probe(s, m, drv);
	if (r == 0 || m->d->override)
		return r < 0 ? r : 0;
	/* a failed native probe leaves the dynamic IDs to try */
	for (size_t i = 0; i < s->n_dynids; i++)
		if (s->dynids[i].vendor == m->d->vendor && s->dynids[i].device == m->d->device &&
		    driver_probe(s, m, s->dynids[i].driver) == 0)
			break;
	return 0;
}

/* ---- kernel behaviour ------------------------------------------------------------------------ */

/*
 * drivers_probe_store() (drivers/base/bus.c): -ENODEV for an unknown address; otherwise
 * bus_rescan_devices_helper() attaches an unbound device and the write succeeds even when no
 * driver took it (the no-IOMMU case in vmlab/REPORT.md).
 */
static int sim_probe(struct sim *s, struct mdev *m)
{
	if (!m)
		return -ENODEV;
	return attach(s, m);
}

/*
 * bind_store() (drivers/base/bus.c): -ENODEV unless the device exists and the driver matches it
 * (driver_override included); device_driver_attach() gives -EBUSY when it is bound already and
 * the probe's own error otherwise.
 */
static int sim_bind(struct sim *s, const char *drv, struct mdev *m)
{
	int r;

	if (!m || !driver_matches(s, m, drv))
		return -ENODEV;
	if (m->d->driver)
		return -EBUSY;
	r = driver_probe(s, m, drv);
	return r > 0 ? -r : r;
}

static int sim_sriov_disable(struct sim *s, struct mdev *pf);

/*
 * Does @drv's remove() leave SR-IOV enabled? nvme_remove() never calls pci_disable_sriov(), and
 * pci_device_remove() -> pci_iov_remove() only warns "driver left SR-IOV enabled after remove":
 * the VFs stay, with no PF driver (t9902 unbind-pf-nvme, 6.1).
 */
static bool remove_keeps_vfs(const char *drv)
{
	return streq(drv, "nvme");
}

/*
 * unbind_store() (drivers/base/bus.c): -ENODEV unless the device is bound to this driver. Most PF
 * drivers' remove() disables SR-IOV first (ice, mlx5, igb, vfio-pci do), so the VFs go; not
 * all (remove_keeps_vfs()).
 */
static int sim_unbind(struct sim *s, const char *drv, struct mdev *m)
{
	int r;

	if (!m || !m->d->driver || !streq(m->d->driver, drv))
		return -ENODEV;
	if (m->d->is_pf && m->d->num_vfs > 0 && !remove_keeps_vfs(drv)) {
		r = sim_sriov_disable(s, m);
		if (r < 0)
			return r;
	}
	return set_driver(s, m, NULL);
}

/*
 * driver_override_store() -> driver_set_override() (drivers/base/driver.c): -EINVAL from
 * PAGE_SIZE - 1 bytes on, the value ends at the first newline, an empty value clears. No
 * check that the driver exists, and no probe.
 */
static int sim_override(struct sim *s, struct mdev *m, const char *buf, size_t size)
{
	size_t len = strcspn(buf, "\n");
	char *v = NULL;

	(void)s;
	if (size >= 4095)
		return -EINVAL;
	if (len > 0) {
		v = strndup(buf, len);
		if (!v)
			return -ENOMEM;
	}
	free(m->d->override);
	m->d->override = v;
	return refresh_attrs(m);
}

static int lowest_free_group(const struct sim *s)
{
	_cleanup_free_ bool *used = NULL;
	int max = -1;

	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i]->d->group > max)
			max = s->devs[i]->d->group;
	for (size_t i = 0; i < s->groups->n_kids; i++) {
		int g = atoi(s->groups->kids[i]->name);

		if (g > max)
			max = g;
	}
	used = calloc((size_t)max + 2, sizeof(*used));
	if (!used)
		return -ENOMEM;
	/* a removed device's group was released (iommu_group_release()) */
	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i]->present && s->devs[i]->d->group >= 0)
			used[s->devs[i]->d->group] = true;
	for (size_t i = 0; i < s->groups->n_kids; i++)
		used[atoi(s->groups->kids[i]->name)] = true;
	for (int g = 0;; g++)
		if (!used[g])
			return g;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static int rm_tree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/* Put sim-tree.c's functions written under @dir (an overlay of sys/) into the tree. */
static int import_overlay(struct sim *s, const char *dir)
{
	char sys[4096];
	_cleanup_close_ int fd = -1;

	snprintf(sys, sizeof(sys), "%s/sys", dir);
	fd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return vnode_import(s->sys, fd);
}

/*
 * sriov_enable() -> pci_iov_add_virtfn() (drivers/pci/iov.c): each VF next to its PF, in a new
 * IOMMU group (iommu_group_alloc() takes the lowest free ID), bound to the VF driver when
 * sriov_drivers_autoprobe is 1.
 */
static int sim_sriov_enable(struct sim *s, struct mdev *pfm, unsigned n)
{
	struct sim_dev *pf = pfm->d;
	_cleanup_free_ struct sim_dev **vfs = calloc(n, sizeof(*vfs));
	_cleanup_free_ char *dir = NULL;
	size_t made = 0;
	int r = 0;

	if (!vfs)
		return -ENOMEM;
	if (asprintf(&dir, "%s/vfs", s->scratch) < 0)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++) {
		struct sim_dev *vf = simprof_vf_new(pf, k);
		const char *base = pf->parent ? pf->parent->path : pf->root->path;
		struct mdev *m;
		bool found;

		if (!vf) {
			r = -ENOMEM;
			break;
		}
		if (!pf->autoprobe) {
			free(vf->driver);
			vf->driver = NULL;
		}
		mdev_pos(s, vf->name, &found);
		if (found || asprintf(&vf->path, "%s/%s", base, vf->name) < 0) {
			simprof_dev_free(vf);
			r = found ? -EBUSY : -ENOMEM;
			break;
		}
		if (s->h->iommu) {
			vf->group = lowest_free_group(s);
			/* reserve it: the group dir appears only after the import */
			for (size_t j = 0; j < made; j++)
				if (vfs[j]->group >= vf->group)
					vf->group = vfs[j]->group + 1;
		}
		m = calloc(1, sizeof(*m));
		if (!m) {
			simprof_dev_free(vf);
			r = -ENOMEM;
			break;
		}
		m->d = vf;
		m->owned = true;
		m->present = true;
		m->boot_group = vf->group; /* alone: VFs are isolated (ACS, or their own bus) */
		if (pf->vf_driver && !(m->native = strdup(pf->vf_driver))) {
			mdev_free(m);
			r = -ENOMEM;
			break;
		}
		vfs[made++] = vf;
		r = mdev_insert(s, m);
		if (r < 0) {
			mdev_free(m);
			made--;
			break;
		}
	}
	if (r >= 0)
		r = simtree_write_functions(s->h, vfs, made, dir, stderr);
	if (r >= 0)
		r = import_overlay(s, dir);
	(void)rm_tree(dir); /* scratch: a leftover is harmless */
	for (size_t j = 0; j < made; j++) {
		bool found;
		struct mdev *m = s->devs[mdev_pos(s, vfs[j]->name, &found)];

		m->dir = vnode_lookup(s->sys, vfs[j]->path);
		if (m->dir)
			m->dir->owner = m;
		if (vfs[j]->driver)
			snprintf(m->linked, sizeof(m->linked), "%s", vfs[j]->driver);
		if (!m->dir && r >= 0)
			r = -EIO;
	}
	pf->num_vfs = (unsigned)made;
	(void)put_printf(pfm->dir, "sriov_numvfs", "%u\n", pf->num_vfs);
	for (size_t j = 0; j < made && r >= 0; j++)
		r = update_vfio(s, vfs[j]->group);
	return r;
}

/* Drop every link below @n (whose path is @path) pointing into one of @prefixes. */
static int sweep_links(struct sim *s, struct vnode *n, char *path, size_t plen,
		       char *const *prefixes, size_t n_prefixes, bool stash)
{
	for (size_t i = n->n_kids; i-- > 0;) {
		struct vnode *k = n->kids[i];
		size_t kl = strlen(k->name), np = plen ? plen + 1 : 0;
		int r;

		if (np + kl + 2 >= 4096)
			continue;
		if (plen)
			path[plen] = '/';
		memcpy(path + np, k->name, kl + 1);
		if (k->type == VNODE_DIR) {
			r = sweep_links(s, k, path, np + kl, prefixes, n_prefixes, stash);
			if (r < 0)
				return r;
		} else if (k->type == VNODE_LINK) {
			/* resolve ".." against the link's directory */
			char abs[8192];
			size_t al = plen;
			const char *t = k->data;

			memcpy(abs, path, plen);
			abs[al] = '\0';
			while (strncmp(t, "../", 3) == 0) {
				char *sl = strrchr(abs, '/');

				al = sl ? (size_t)(sl - abs) : 0;
				abs[al] = '\0';
				t += 3;
			}
			snprintf(abs + al, sizeof(abs) - al, "%s%s", al ? "/" : "", t);
			for (size_t p = 0; p < n_prefixes; p++) {
				size_t pl = strlen(prefixes[p]);

				if (strncmp(abs, prefixes[p], pl) != 0 ||
				    (abs[pl] != '\0' && abs[pl] != '/'))
					continue;
				/* driver and group links are remade from the state on rescan */
				if (stash && !(n->parent && n->parent == s->drivers) &&
				    !(n->parent && n->parent->parent == s->groups)) {
					vnode_detach(k);
					k->parent = NULL;
					r = stash_push(s, k, n);
					if (r < 0)
						return r;
				} else {
					vnode_remove(k);
				}
				break;
			}
		}
		path[plen] = '\0';
	}
	return 0;
}

/*
 * Take @devs out of the tree: their directories and every link pointing into them. With
 * @stash (remove) they are kept for rescan; without (VFs going away) they are freed.
 */
static int unplug(struct sim *s, struct mdev **devs, size_t n, bool stash)
{
	_cleanup_free_ char **prefixes = calloc(n + 1, sizeof(*prefixes));
	char path[4096] = "";
	int r;

	if (!prefixes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		prefixes[i] = devs[i]->d->path;
	r = sweep_links(s, s->sys, path, 0, prefixes, n, stash);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct mdev *m = devs[i];
		struct vnode *parent = m->dir ? m->dir->parent : NULL;

		m->present = false;
		m->linked[0] = '\0';
		if (!m->dir || !parent)
			continue; /* inside an ancestor's subtree, which goes as a whole */
		vnode_detach(m->dir);
		if (stash) {
			r = stash_push(s, m->dir, parent);
			if (r < 0)
				return r;
		} else {
			vnode_free(m->dir);
			m->dir = NULL;
		}
	}
	/* a group with no device left is released (iommu_group_release()) */
	for (size_t i = 0; i < n; i++) {
		char name[16];
		struct vnode *g, *gd;

		if (devs[i]->d->group < 0)
			continue;
		snprintf(name, sizeof(name), "%d", devs[i]->d->group);
		g = vnode_child(s->groups, name);
		gd = vnode_child(g, "devices");
		if (!g || (gd && gd->n_kids > 0))
			continue;
		/* released: a device coming back gets a group anew (rejoin_group()) */
		vnode_remove(g);
	}
	for (size_t i = 0; i < n; i++) {
		r = update_vfio(s, devs[i]->d->group);
		if (r < 0)
			return r;
	}
	return 0;
}

/* sriov_disable() -> pci_iov_remove_virtfn(): the VFs, their links and their groups go. */
static int sim_sriov_disable(struct sim *s, struct mdev *pfm)
{
	_cleanup_free_ struct mdev **vfs = calloc(s->n_devs + 1, sizeof(*vfs));
	size_t n = 0;
	int r;

	if (!vfs)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i]->d->physfn == pfm->d && s->devs[i]->present)
			vfs[n++] = s->devs[i];
	/* one sweep for all; VF directories are siblings of the PF, never nested */
	r = unplug(s, vfs, n, false);
	for (size_t i = 0; i < n; i++)
		mdev_drop(s, vfs[i]);
	pfm->d->num_vfs = 0;
	(void)put_printf(pfm->dir, "sriov_numvfs", "%u\n", 0u);
	return r;
}

/*
 * sriov_numvfs_store() (drivers/pci/pci-sysfs.c, 6.1): -EINVAL for a bad number, -ERANGE above
 * TotalVFs, success when unchanged, -ENOENT without a driver or one without sriov_configure
 * (vfio-pci's needs enable_sriov=1, off by default), -EBUSY from non-zero to another non-zero.
 */
static int sim_sriov_set(struct sim *s, struct mdev *m, const char *buf)
{
	struct sim_dev *d = m->d;
	unsigned long n;

	if (kstrtoul(buf, 0xffff, &n) < 0)
		return -EINVAL;
	if (n > d->total_vfs)
		return -ERANGE;
	if (n == d->num_vfs)
		return 0;
	if (!d->driver || streq(d->driver, "vfio-pci"))
		return -ENOENT;
	if (n == 0)
		return sim_sriov_disable(s, m);
	if (d->num_vfs)
		return -EBUSY;
	return sim_sriov_enable(s, m, (unsigned)n);
}

static bool below(const struct sim_dev *d, const char *path)
{
	size_t l = strlen(path);

	return strncmp(d->path, path, l) == 0 && (d->path[l] == '\0' || d->path[l] == '/');
}

/*
 * remove_store() (drivers/pci/pci-sysfs.c): kstrtoul, and a non-zero value removes the function
 * and everything below it (pci_stop_and_remove_bus_device_locked()); drivers are unbound first,
 * so a PF's VFs go. Kept aside for rescan.
 */
static int sim_remove(struct sim *s, struct mdev *m)
{
	_cleanup_free_ struct mdev **gone = calloc(s->n_devs + 1, sizeof(*gone));
	char *path = m->d->path;
	size_t n = 0;
	int r;

	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_devs; i++) {
		struct mdev *x = s->devs[i];

		if (x->present && below(x->d, path) && x->d->is_pf && x->d->num_vfs > 0) {
			r = sim_sriov_disable(s, x);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i]->present && below(s->devs[i]->d, path))
			gone[n++] = s->devs[i];
	r = unplug(s, gone, n, true);
	return r;
}

static struct mdev *mdev_of(const struct sim *s, const struct sim_dev *d)
{
	bool found;
	size_t i = mdev_pos(s, d->name, &found);

	return found ? s->devs[i] : NULL;
}

/* Put @m in group @g: kernel/iommu_groups/g (made like the others when new) and the links. */
static int put_in_group(struct sim *s, struct mdev *m, int g)
{
	char path[64], name[16];
	struct vnode *gd;

	snprintf(name, sizeof(name), "%d", g);
	if (!vnode_child(s->groups, name)) {
		gd = vnode_mkdirs(s->groups, name);
		if (!gd || !vnode_mkdirs(gd, "devices"))
			return -ENOMEM;
		for (size_t i = 0; s->group_template && i < s->group_template->n_kids; i++) {
			const struct vnode *t = s->group_template->kids[i];

			if (t->type == VNODE_FILE && !vnode_put_file(gd, t->name, t->mode, t->data, t->len))
				return -ENOMEM;
		}
	}
	m->d->group = g;
	snprintf(path, sizeof(path), "kernel/iommu_groups/%d/devices", g);
	{
		int r = put_link(s, path, m->d->name, m->d->path);

		snprintf(path, sizeof(path), "kernel/iommu_groups/%d", g);
		if (r >= 0)
			r = put_link(s, m->d->path, "iommu_group", path);
		return r;
	}
}

/*
 * The group a function re-added by a rescan gets: pci_device_group() (drivers/iommu/iommu.c)
 * runs from device_add(), during the scan. It joins the group of an upstream bridge it is not
 * isolated from (a PCIe-to-PCI bridge it aliases to, a switch port without ACS), else that of a
 * function of its slot it is not isolated from, but only when its own header says
 * multi-function: pci_scan_slot() marks functions > 0 multi-function only after adding them, so
 * a function > 0 whose header lacks the bit (QEMU's edu at 04:00.1 in the VM tier) gets a group
 * of its own, the lowest free number (seen on 6.1 by t9900, rescan-autoprobe-off). "Not
 * isolated" is modelled as "shared the group in the profile".
 */
static int rejoin_group(struct sim *s, struct mdev *m)
{
	const struct sim_dev *d = m->d;
	int g = -1;

	if (d->group < 0)
		return 0;
	for (const struct sim_dev *x = d->parent; x && g < 0; x = x->parent) {
		const struct mdev *xm = mdev_of(s, x);

		if (xm && xm->present && xm->boot_group == m->boot_group)
			g = x->group;
	}
	for (size_t i = 0; g < 0 && d->multifunction && i < s->n_devs; i++) {
		const struct mdev *o = s->devs[i];

		if (o != m && o->present && o->boot_group == m->boot_group &&
		    o->d->addr.domain == d->addr.domain && o->d->addr.bus == d->addr.bus &&
		    (o->d->addr.devfn >> 3) == (d->addr.devfn >> 3))
			g = o->d->group;
	}
	if (g < 0) {
		m->d->group = -1; /* its old number counts as free */
		g = lowest_free_group(s); /* iommu_group_alloc() */
	}
	if (g < 0)
		return g;
	return put_in_group(s, m, g);
}

/*
 * rescan_store() (drivers/pci/pci-sysfs.c) -> pci_rescan_bus(): removed functions come back as
 * new devices, in address order: a group each (rejoin_group()), driver_override gone (pdev is
 * new), their native driver probes them.
 */
static int sim_rescan(struct sim *s)
{
	int r = 0;

	for (size_t i = 0; i < s->n_stash; i++)
		(void)vnode_add(s->stash[i].parent, s->stash[i].node);
	s->n_stash = 0;
	for (size_t i = 0; i < s->n_devs && r >= 0; i++) {
		struct mdev *m = s->devs[i];

		if (m->present)
			continue;
		m->present = true;
		free(m->d->override);
		m->d->override = NULL;
		free(m->reset_now); /* a new pci_dev: pci_init_reset_methods() */
		m->reset_now = NULL;
		r = rejoin_group(s, m);
		if (r >= 0)
			r = set_driver(s, m, NULL);
		if (r >= 0)
			r = attach(s, m);
	}
	return r;
}

/*
 * reset_store() (drivers/pci/pci-sysfs.c): kstrtoul, only 1, then pci_reset_function(), which
 * is -ENOTTY once reset_method has been emptied (the file stays: it exists when the device had
 * a method at enumeration). Otherwise the model's reset succeeds.
 */
static int sim_reset(struct sim *s, struct mdev *m, const char *buf)
{
	unsigned long v;

	(void)s;
	if (kstrtoul(buf, ~0ul, &v) < 0 || v != 1)
		return -EINVAL;
	if (m->reset_now && !*m->reset_now)
		return -ENOTTY;
	return 0;
}

/* sysfs_streq(): equal, but for one trailing newline on either side */
static bool sysfs_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	if (*a == *b)
		return true;
	return (*a == '\n' && !a[1] && !*b) || (*b == '\n' && !b[1] && !*a);
}

/* Is @name (a word) in the blank-separated list @list? */
static bool word_in(const char *list, const char *name, size_t len)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " ");

		if (l == len && strncmp(p, name, len) == 0)
			return true;
		p += l;
		p += strspn(p, " ");
	}
	return false;
}

/*
 * reset_method_store() (drivers/pci/pci-sysfs.c, 6.1): "" disables every method, "default"
 * brings back what the device supports, else a blank-separated list, in the order to try, of
 * methods the device supports: anything else is -EINVAL and changes nothing.
 */
static int sim_reset_method(struct mdev *m, const char *buf)
{
	_cleanup_free_ char *now = calloc(1, strlen(buf) + 1);
	size_t len = 0;

	if (!now)
		return -ENOMEM;
	if (sysfs_streq(buf, "")) {
		free(m->reset_now);
		m->reset_now = TAKE_PTR(now);
		return refresh_attrs(m);
	}
	if (sysfs_streq(buf, "default")) {
		free(m->reset_now);
		m->reset_now = NULL;
		return refresh_attrs(m);
	}
	for (const char *p = buf; *p;) {
		size_t l = strcspn(p, " ");
		const char *w = p;
		size_t wl = l;

		p += l;
		if (*p)
			p++;
		/* strim(): blanks and newlines around the name */
		while (wl && strchr(" \t\n", *w)) {
			w++;
			wl--;
		}
		while (wl && strchr(" \t\n", w[wl - 1]))
			wl--;
		if (!wl)
			continue;
		if (!word_in(m->d->reset, w, wl))
			return -EINVAL; /* "Unsupported reset method" */
		if (len)
			now[len++] = ' ';
		memcpy(now + len, w, wl);
		len += wl;
	}
	now[len] = '\0';
	free(m->reset_now);
	m->reset_now = TAKE_PTR(now);
	return refresh_attrs(m);
}

/*
 * new_id_store() (drivers/pci/pci-driver.c): "VVVV DDDD [SV SD CLASS MASK [DATA]]", -EINVAL with
 * fewer than two fields, -EEXIST when the driver already matches that ID; then
 * pci_add_dynid() -> driver_attach() binds EVERY unbound matching device, which is why passd
 * must never use it. remove_id_store(): -ENODEV when the ID is not there.
 */
static int sim_new_id(struct sim *s, const char *drv, const char *buf, bool remove)
{
	unsigned v, dv, sv, sd, cls, mask;
	unsigned long data;
	int fields = sscanf(buf, "%x %x %x %x %x %x %lx", &v, &dv, &sv, &sd, &cls, &mask, &data);

	if (fields < 2)
		return -EINVAL;
	if (remove) {
		for (size_t i = 0; i < s->n_dynids; i++)
			if (streq(s->dynids[i].driver, drv) && s->dynids[i].vendor == v &&
			    s->dynids[i].device == dv) {
				memmove(s->dynids + i, s->dynids + i + 1,
					(s->n_dynids - i - 1) * sizeof(*s->dynids));
				s->n_dynids--;
				return 0;
			}
		return -ENODEV;
	}
	if (fields != 7) {
		if (has_dynid(s, drv, v, dv))
			return -EEXIST;
		for (size_t i = 0; i < s->n_devs; i++)
			if (s->devs[i]->native && streq(s->devs[i]->native, drv) &&
			    s->devs[i]->d->vendor == v && s->devs[i]->d->device == dv)
				return -EEXIST;
	}
	{
		struct dynid *nv = realloc(s->dynids, (s->n_dynids + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->dynids = nv;
		s->dynids[s->n_dynids] = (struct dynid){ .vendor = v, .device = dv };
		snprintf(s->dynids[s->n_dynids].driver, sizeof(s->dynids[0].driver), "%s", drv);
		s->n_dynids++;
	}
	for (size_t i = 0; i < s->n_devs; i++) {
		struct mdev *m = s->devs[i];

		if (m->present && !m->d->driver && m->d->vendor == v && m->d->device == dv &&
		    driver_matches(s, m, drv))
			(void)driver_probe(s, m, drv); /* failures are only logged */
	}
	return 0;
}

/* ---- writes: classification, faults, dispatch ------------------------------------------------ */

struct req {
	enum sim_op op;
	struct vnode *node;
	struct mdev *m;	    /* the function concerned, NULL when none or unknown */
	const char *driver; /* the driver concerned, NULL when none */
	bool addr_arg;	    /* the payload names the function (bind, unbind, drivers_probe) */
	bool control;	    /* sim/faults */
};

static void classify(struct sim *s, struct vnode *n, const char *buf, struct req *q)
{
	struct vnode *p = n->parent;

	*q = (struct req){ .op = SIM_OP_OTHER, .node = n };
	if (n == s->faults_node) {
		q->control = true;
	} else if (n == s->drivers_probe) {
		q->op = SIM_OP_PROBE;
		q->addr_arg = true;
	} else if (n == s->bus_rescan || streq(n->name, "rescan")) {
		q->op = SIM_OP_RESCAN;
	} else if (p && p->parent == s->drivers) {
		q->driver = p->name;
		if (streq(n->name, "bind") || streq(n->name, "unbind")) {
			q->op = streq(n->name, "bind") ? SIM_OP_BIND : SIM_OP_UNBIND;
			q->addr_arg = true;
		} else if (streq(n->name, "new_id")) {
			q->op = SIM_OP_NEW_ID;
		} else if (streq(n->name, "remove_id")) {
			q->op = SIM_OP_REMOVE_ID;
		}
	} else if (p && p->owner) {
		q->m = p->owner;
		if (streq(n->name, "driver_override"))
			q->op = SIM_OP_OVERRIDE;
		else if (streq(n->name, "sriov_numvfs"))
			q->op = SIM_OP_SRIOV;
		else if (streq(n->name, "remove"))
			q->op = SIM_OP_REMOVE;
		else if (streq(n->name, "reset"))
			q->op = SIM_OP_RESET;
	}
	if (q->addr_arg)
		q->m = find_dev(s, buf);
	if (q->m && !q->driver) {
		if (q->op == SIM_OP_PROBE)
			q->driver = q->m->d->driver ? NULL : probe_candidate(s, q->m);
		else if (q->op == SIM_OP_OVERRIDE)
			q->driver = NULL;
		else
			q->driver = q->m->d->driver;
	}
}

static int dispatch(struct sim *s, const struct req *q, const char *buf, size_t size)
{
	struct mdev *m = q->m;

	switch (q->op) {
	case SIM_OP_PROBE:
		return sim_probe(s, m);
	case SIM_OP_BIND:
		return sim_bind(s, q->driver, m);
	case SIM_OP_UNBIND:
		return sim_unbind(s, q->driver, m);
	case SIM_OP_OVERRIDE:
		return sim_override(s, m, buf, size);
	case SIM_OP_SRIOV:
		return sim_sriov_set(s, m, buf);
	case SIM_OP_REMOVE: {
		unsigned long v;

		if (kstrtoul(buf, ~0ul, &v) < 0)
			return -EINVAL;
		return v ? sim_remove(s, m) : 0;
	}
	case SIM_OP_RESCAN: {
		unsigned long v;

		if (kstrtoul(buf, ~0ul, &v) < 0)
			return -EINVAL;
		return v ? sim_rescan(s) : 0;
	}
	case SIM_OP_RESET:
		return sim_reset(s, m, buf);
	case SIM_OP_NEW_ID:
	case SIM_OP_REMOVE_ID:
		return sim_new_id(s, q->driver, buf, q->op == SIM_OP_REMOVE_ID);
	case SIM_OP_OTHER:
		if (m && m->d->reset && streq(q->node->name, "reset_method"))
			return sim_reset_method(m, buf);
		if (m && streq(q->node->name, "sriov_drivers_autoprobe")) {
			bool b;

			if (kstrtobool(buf, &b) < 0)
				return -EINVAL;
			m->d->autoprobe = b;
			return put_printf(m->dir, "sriov_drivers_autoprobe", "%u\n", b ? 1u : 0u);
		}
		return 0; /* other writable attributes: accepted, not modelled */
	case SIM_OP_ANY:
	case SIM_OP_VANISH:
	case SIM_OP_MAX:
		break;
	}
	return -EINVAL;
}

static int control_write(struct sim *s, const char *buf)
{
	char err[256];
	int r = simfault_parse(&s->faults, buf, err, sizeof(err));

	if (r == -EINVAL)
		fprintf(stderr, "passd-sim: faults: %s\n", err);
	return r;
}

/* ---- the kernel's caches --------------------------------------------------------------------- */

/*
 * The FUSE kernel caches lookups (dentries, negative ones too) and attributes for
 * cache_timeout seconds; every change to the tree that it may have cached is reported to it:
 * sim-vfs calls note_change() for an entry appearing or going away in a directory the kernel
 * knows, or a known link getting a new target. The notes are queued under the model's lock and
 * sent by the same request after it drops the lock (the kernel takes the directory's i_rwsem
 * to invalidate an entry, and a lookup holding it may be waiting for our lock), before the
 * request is answered: when write(2) returns, no removed `driver` link or /dev/vfio/N is left
 * in the kernel's cache. File contents are never cached (direct_io, a constant st_size).
 */
static double cache_timeout = 3600;
static struct fuse_session *the_se;

struct note {
	uint64_t parent; /* 0: the inode @ino changed */
	uint64_t ino;
	char name[256];
};

struct notes {
	struct note *v;
	size_t n, alloc;
};

static struct notes pending; /* under the model's lock */

static void note_change(const struct vnode *dir, const char *name, const struct vnode *n)
{
	struct note *x;

	if (pending.n == pending.alloc) {
		size_t na = pending.alloc ? pending.alloc * 2 : 16;
		struct note *v = realloc(pending.v, na * sizeof(*v));

		if (!v) {
			/* a change the kernel does not hear of would be a stale cache: stop instead */
			fprintf(stderr, "passd-sim: out of memory queueing a cache invalidation\n");
			abort();
		}
		pending.v = v;
		pending.alloc = na;
	}
	x = &pending.v[pending.n++];
	x->parent = dir ? dir->ino : 0;
	x->ino = n ? n->ino : 0;
	snprintf(x->name, sizeof(x->name), "%s", name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send the notes taken from `pending` (without the model's lock). */
static void send_notes(struct sim *s, struct notes *t)
{
	uint64_t t0 = now_ns();

	for (size_t i = 0; i < t->n; i++) {
		const struct note *x = &t->v[i];

		/* -ENOENT: the kernel has nothing cached under that name; nothing to do */
		if (x->parent)
			(void)fuse_lowlevel_notify_inval_entry(the_se, x->parent, x->name,
							       strlen(x->name));
		else
			(void)fuse_lowlevel_notify_inval_inode(the_se, x->ino, 0, 0);
	}
	if (t->n) {
		__atomic_fetch_add(&s->notifies, t->n, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->notify_ns, now_ns() - t0, __ATOMIC_RELAXED);
	}
	free(t->v);
	*t = (struct notes){ 0 };
}

/*
 * The node of inode @ino, NULL when it was freed or is no longer in the tree (removed, or
 * inside a removed directory): kernfs answers ENOENT for those.
 */
static struct vnode *node_of(struct sim *s, uint64_t ino)
{
	struct vnode *n = ino == FUSE_ROOT_ID ? s->root : vnode_by_ino(ino);

	return n && vnode_attached(n, s->root) ? n : NULL;
}

static int sim_write(struct sim *s, uint64_t ino, const char *data, size_t size, uint64_t *slept)
{
	_cleanup_free_ char *buf = strndup(data, size);
	struct notes notes;
	struct sim_fault f;
	bool faulted = false;
	struct req q;
	struct vnode *n;
	int r;

	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (!n) {
		r = -ENODEV; /* kernfs: the attribute went away while open */
		goto out;
	}
	classify(s, n, buf, &q);
	if (q.control) {
		r = control_write(s, buf);
		goto out;
	}
	s->writes[q.op]++;
	if (q.m && simfault_vanish(&s->faults, q.m->d->name)) {
		s->faults_fired++;
		(void)sim_remove(s, q.m);
		r = -ENODEV;
		goto out;
	}
	faulted = simfault_match(&s->faults, q.op, q.m ? q.m->d->name : NULL, q.driver, &f);
	if (faulted) {
		s->faults_fired++;
		if (f.hang_ms) {
			struct timespec ts = { f.hang_ms / 1000, (long)(f.hang_ms % 1000) * 1000000 };
			uint64_t t0;

			s->delay_ms += f.hang_ms;
			pthread_mutex_unlock(&s->lock);
			t0 = now_ns();
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
			*slept += now_ns() - t0;
			pthread_mutex_lock(&s->lock);
			/* the world may have changed while we slept */
			n = node_of(s, ino);
			if (!n) {
				r = -ENODEV;
				goto out;
			}
			classify(s, n, buf, &q);
		}
		if (f.err) {
			r = -f.err;
			goto out;
		}
		if (f.ignore) {
			r = 0;
			goto out;
		}
	}
	r = dispatch(s, &q, buf, size);
out:
	/* this request's changes: reported before it is answered */
	notes = pending;
	pending = (struct notes){ 0 };
	pthread_mutex_unlock(&s->lock);
	send_notes(s, &notes);
	return r < 0 ? r : (int)size;
}

static const char *const req_kind_name[RQ_MAX] = { "lookup", "getattr", "readlink", "readdir",
						   "open", "read", "write", "other" };

static void format_stats(struct sim *s, FILE *f)
{
	unsigned long total = 0;
	uint64_t reqs = 0;

	for (int o = 0; o < SIM_OP_ANY; o++)
		total += s->writes[o];
	fprintf(f, "delay_ms=%" PRIu64 "\n", s->delay_ms);
	fprintf(f, "faults_fired=%lu\n", s->faults_fired);
	fprintf(f, "writes=%lu\n", total);
	for (int o = 0; o < SIM_OP_ANY; o++)
		fprintf(f, "writes_%s=%lu\n", simfault_op_name((enum sim_op)o), s->writes[o]);
	for (int k = 0; k < RQ_MAX; k++)
		reqs += __atomic_load_n(&s->requests[k], __ATOMIC_RELAXED);
	/* the request reading this file is counted when it is answered, after this */
	fprintf(f, "requests=%" PRIu64 "\n", reqs);
	for (int k = 0; k < RQ_MAX; k++)
		fprintf(f, "requests_%s=%" PRIu64 "\n", req_kind_name[k],
			__atomic_load_n(&s->requests[k], __ATOMIC_RELAXED));
	fprintf(f, "handler_us=%" PRIu64 "\n",
		__atomic_load_n(&s->handler_ns, __ATOMIC_RELAXED) / 1000);
	fprintf(f, "delay_slept_us=%" PRIu64 "\n",
		__atomic_load_n(&s->slept_ns, __ATOMIC_RELAXED) / 1000);
	fprintf(f, "notifies=%" PRIu64 "\n", __atomic_load_n(&s->notifies, __ATOMIC_RELAXED));
	fprintf(f, "notify_us=%" PRIu64 "\n",
		__atomic_load_n(&s->notify_ns, __ATOMIC_RELAXED) / 1000);
	fprintf(f, "cache_timeout=%g\n", cache_timeout);
}

/* Fill a control file's contents before it is read. */
static int refresh_control(struct sim *s, struct vnode *n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (n != s->stats_node && n != s->faults_node)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	if (n == s->stats_node)
		format_stats(s, f);
	else
		simfault_print(&s->faults, f);
	if (fclose(f) != 0)
		return -ENOMEM;
	r = vnode_set_data(n, buf, len);
	return r;
}

/* ---- FUSE (low level: inode numbers are the vnodes', so changes can be invalidated) -------- */

static time_t start_time;

/* The time spent in a handler (injected delays excluded), counted before it answers. */
static void account(struct sim *s, enum req_kind k, uint64_t t0, uint64_t slept)
{
	__atomic_fetch_add(&s->requests[k], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->handler_ns, now_ns() - t0 - slept, __ATOMIC_RELAXED);
	if (slept)
		__atomic_fetch_add(&s->slept_ns, slept, __ATOMIC_RELAXED);
}

/*
 * sysfs reports PAGE_SIZE for every attribute and the real size for binary ones (config); a
 * constant size also keeps the kernel's cached attributes right when contents change.
 */
static void fill_stat(const struct vnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_nlink = 1;
	st->st_atime = st->st_mtime = st->st_ctime = start_time;
	switch (n->type) {
	case VNODE_DIR:
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
		break;
	case VNODE_FILE:
		st->st_mode = S_IFREG | n->mode;
		st->st_size = streq(n->name, "config") || n->len > 4096 ? (off_t)n->len : 4096;
		break;
	case VNODE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)n->len;
		break;
	case VNODE_CHR:
		st->st_mode = S_IFCHR | n->mode;
		st->st_rdev = n->rdev;
		break;
	}
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	/* link targets in the page cache too: a new target invalidates the link's inode */
	if (cache_timeout > 0 && (conn->capable & FUSE_CAP_CACHE_SYMLINKS))
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct sim *s = fuse_req_userdata(req);
	struct fuse_entry_param e = { .attr_timeout = cache_timeout,
				      .entry_timeout = cache_timeout };
	uint64_t t0 = now_ns();
	struct vnode *p, *n;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	p = node_of(s, parent);
	if (!p)
		r = ENOENT;
	else if (p->type != VNODE_DIR)
		r = ENOTDIR;
	else if ((n = vnode_child(p, name))) {
		/* from now on, changes to it (and below it) are reported */
		n->known = true;
		e.ino = n->ino;
		e.generation = 1;
		fill_stat(n, &e.attr);
	}
	/* else a negative entry (ino 0), cached too: an entry appearing is reported */
	pthread_mutex_unlock(&s->lock);
	account(s, RQ_LOOKUP, t0, 0);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_entry(req, &e);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req); /* inode numbers are never reused: nothing to count */
}

static void ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static void reply_attr(fuse_req_t req, enum req_kind k, fuse_ino_t ino)
{
	struct sim *s = fuse_req_userdata(req);
	uint64_t t0 = now_ns();
	struct stat st;
	struct vnode *n;

	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (n) {
		(void)refresh_control(s, n);
		fill_stat(n, &st);
	}
	pthread_mutex_unlock(&s->lock);
	account(s, k, t0, 0);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, cache_timeout);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	reply_attr(req, RQ_GETATTR, ino);
}

/* O_TRUNC on a sysfs attribute is accepted and means nothing */
static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	(void)fi;
	reply_attr(req, RQ_OTHER, ino);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct sim *s = fuse_req_userdata(req);
	uint64_t t0 = now_ns();
	char target[4096];
	struct vnode *n;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (!n)
		r = ENOENT;
	else if (n->type != VNODE_LINK)
		r = EINVAL;
	else
		snprintf(target, sizeof(target), "%s", n->data);
	pthread_mutex_unlock(&s->lock);
	account(s, RQ_READLINK, t0, 0);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_readlink(req, target);
}

/* A directory's listing, taken whole at opendir and served from there. */
struct dirbuf {
	char *p;
	size_t size;
};

static int dirbuf_add(fuse_req_t req, struct dirbuf *b, const char *name, const struct vnode *n)
{
	struct stat st = { .st_ino = n->ino };
	size_t old = b->size;
	char *p;

	fill_stat(n, &st);
	b->size += fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	p = realloc(b->p, b->size);
	if (!p)
		return -ENOMEM;
	b->p = p;
	fuse_add_direntry(req, b->p + old, b->size - old, name, &st, (off_t)b->size);
	return 0;
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sim *s = fuse_req_userdata(req);
	struct dirbuf *b = calloc(1, sizeof(*b));
	uint64_t t0 = now_ns();
	struct vnode *n;
	int r = 0;

	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (!n)
		r = -ENOENT;
	else if (n->type != VNODE_DIR)
		r = -ENOTDIR;
	else {
		r = dirbuf_add(req, b, ".", n);
		if (r >= 0)
			r = dirbuf_add(req, b, "..", n->parent ? n->parent : n);
		for (size_t i = 0; i < n->n_kids && r >= 0; i++)
			r = dirbuf_add(req, b, n->kids[i]->name, n->kids[i]);
	}
	pthread_mutex_unlock(&s->lock);
	account(s, RQ_READDIR, t0, 0);
	if (r < 0) {
		free(b->p);
		free(b);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)b;
	if (fuse_reply_open(req, fi) == -ENOENT) { /* interrupted */
		free(b->p);
		free(b);
	}
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	const struct dirbuf *b = (const struct dirbuf *)(uintptr_t)fi->fh;
	_cleanup_free_ char *chunk = NULL;
	size_t c;

	(void)ino;
	if (off < 0 || (size_t)off >= b->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	/*
	 * A copy: once the kernel has the reply, releasedir may free @b on another thread while
	 * this one is still in writev() (ASan's writev interceptor reads the buffer after the call).
	 */
	c = MIN(size, b->size - (size_t)off);
	chunk = malloc(c);
	if (!chunk) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(chunk, b->p + off, c);
	fuse_reply_buf(req, chunk, c);
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;

	(void)ino;
	free(b->p);
	free(b);
	fuse_reply_err(req, 0);
}

/*
 * kernfs_fop_open() with KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK (sysfs): even root gets -EACCES
 * opening for writing a file without any write bit, or for reading one without a read bit.
 */
static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sim *s = fuse_req_userdata(req);
	int acc = fi->flags & O_ACCMODE, r = 0;
	uint64_t t0 = now_ns();
	struct vnode *n;

	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (!n)
		r = ENOENT;
	else if (n->type == VNODE_DIR)
		r = EISDIR;
	else if (n->type == VNODE_CHR)
		r = ENXIO;
	else if ((acc != O_RDONLY && !(n->mode & 0222)) || (acc != O_WRONLY && !(n->mode & 0444)))
		r = EACCES;
	pthread_mutex_unlock(&s->lock);
	account(s, RQ_OPEN, t0, 0);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	fi->direct_io = 1; /* contents change under every write: never in the page cache */
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct sim *s = fuse_req_userdata(req);
	uint64_t t0 = now_ns();
	_cleanup_free_ char *buf = NULL;
	struct vnode *n;
	size_t c = 0;
	int r = 0;

	(void)fi;
	pthread_mutex_lock(&s->lock);
	n = node_of(s, ino);
	if (!n) {
		r = ENODEV;
	} else {
		(void)refresh_control(s, n);
		if (off >= 0 && (size_t)off < n->len) {
			c = MIN(size, n->len - (size_t)off);
			buf = malloc(c);
			if (buf)
				memcpy(buf, n->data + off, c);
			else
				r = ENOMEM;
		}
	}
	pthread_mutex_unlock(&s->lock);
	account(s, RQ_READ, t0, 0);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_buf(req, buf, c);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct sim *s = fuse_req_userdata(req);
	uint64_t t0 = now_ns(), slept = 0;
	int r;

	(void)off; /* sysfs_kf_write() hands every write to ->store() whole */
	(void)fi;
	r = sim_write(s, ino, buf, size, &slept);
	account(s, RQ_WRITE, t0, slept);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EACCES); /* kernfs directories have no ->create */
}

static const struct fuse_lowlevel_ops ll_ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.setattr = ll_setattr,
	.readlink = ll_readlink,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.releasedir = ll_releasedir,
	.open = ll_open,
	.read = ll_read,
	.write = ll_write,
	.create = ll_create,
};

/* ---- setup --------------------------------------------------------------------------------- */

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
	return strdup(arg);
}

static void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_devs; i++)
		mdev_free(s->devs[i]);
	free(s->devs);
	for (size_t i = 0; i < s->n_stash; i++)
		vnode_free(s->stash[i].node);
	free(s->stash);
	free(s->dynids);
	vnode_free(s->group_template);
	vnode_free(s->root);
	simprof_free(s->h);
	simfault_clear(&s->faults);
	if (s->scratch) {
		(void)rm_tree(s->scratch);
		free(s->scratch);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}
DEFINE_FREEP(struct sim, sim_free)

static int sim_build(struct sim *s)
{
	_cleanup_free_ char *tree = NULL;
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	_cleanup_close_ int fd = -1;
	struct vnode *proc, *simdir, *lib;
	int r;

	if (asprintf(&s->scratch, "%s/passd-sim.XXXXXX", tmp ? tmp : "/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(s->scratch)) {
		r = -errno;
		free(s->scratch);
		s->scratch = NULL;
		return r;
	}
	if (asprintf(&tree, "%s/tree", s->scratch) < 0)
		return -ENOMEM;
	r = simtree_write(s->h, tree, stderr);
	if (r < 0)
		return r;
	s->root = vnode_new("", VNODE_DIR, 0755);
	if (!s->root)
		return -ENOMEM;
	s->sys = vnode_mkdirs(s->root, "sys");
	proc = vnode_mkdirs(s->root, "proc");
	lib = vnode_mkdirs(s->root, "lib");
	s->vfio_dir = vnode_mkdirs(s->root, "dev/vfio");
	simdir = vnode_mkdirs(s->root, "sim");
	if (!s->sys || !proc || !lib || !s->vfio_dir || !simdir)
		return -ENOMEM;
	fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	{
		_cleanup_close_ int sfd = openat(fd, "sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int pfd = openat(fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int lfd = openat(fd, "lib", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (sfd < 0 || pfd < 0 || lfd < 0)
			return -errno;
		r = vnode_import(s->sys, sfd);
		if (r >= 0)
			r = vnode_import(proc, pfd);
		/* lib/modules/RELEASE: what modprobe could load (read-only facts) */
		if (r >= 0)
			r = vnode_import(lib, lfd);
		if (r < 0)
			return r;
	}
	(void)rm_tree(tree);

	/* procfs is read-only for our purposes */
	s->pci_devices = vnode_lookup(s->sys, "bus/pci/devices");
	s->drivers = vnode_lookup(s->sys, "bus/pci/drivers");
	s->groups = vnode_lookup(s->sys, "kernel/iommu_groups");
	s->drivers_probe = vnode_lookup(s->sys, "bus/pci/drivers_probe");
	s->bus_rescan = vnode_lookup(s->sys, "bus/pci/rescan");
	s->faults_node = vnode_put_file(simdir, "faults", 0644, "", 0);
	s->stats_node = vnode_put_file(simdir, "stats", 0444, "", 0);
	if (!s->pci_devices || !s->drivers || !s->groups || !s->drivers_probe || !s->bus_rescan ||
	    !s->faults_node || !s->stats_node)
		return -EIO;
	if (s->h->vfio == SIM_VFIO_LOADED || s->h->vfio == SIM_VFIO_BUILTIN) {
		/* /dev/vfio/vfio: the container device, there while vfio is loaded (misc 10:196) */
		struct vnode *c = vnode_new("vfio", VNODE_CHR, 0666);

		if (!c)
			return -ENOMEM;
		c->rdev = makedev(10, 196);
		if (vnode_add(s->vfio_dir, c) < 0) {
			vnode_free(c);
			return -ENOMEM;
		}
	}

	for (size_t i = 0; i < s->h->n_devs; i++) {
		struct sim_dev *d = s->h->devs[i];
		struct mdev *m = calloc(1, sizeof(*m));
		const char *native = d->physfn ? d->physfn->vf_driver : d->driver;

		if (!m)
			return -ENOMEM;
		m->d = d;
		m->present = true;
		m->boot_group = d->group;
		m->bridge_enabled = d->bridge && simtree_enable(s->h, d);
		/* vfio-pci has no static IDs: a function the profile puts there got it by override */
		if (native && !streq(native, "vfio-pci") && !(m->native = strdup(native))) {
			mdev_free(m);
			return -ENOMEM;
		}
		m->dir = vnode_lookup(s->sys, d->path);
		if (d->driver)
			snprintf(m->linked, sizeof(m->linked), "%s", d->driver);
		r = m->dir ? mdev_insert(s, m) : -EIO;
		if (r < 0) {
			mdev_free(m);
			return r;
		}
		m->dir->owner = m;
	}
	for (size_t i = 0; i < s->n_devs; i++) {
		r = update_vfio(s, s->devs[i]->d->group);
		if (r < 0)
			return r;
	}
	/* a copy of a group's files, for groups made at run time */
	if (s->groups->n_kids > 0) {
		const struct vnode *g = s->groups->kids[0];

		s->group_template = vnode_new("group", VNODE_DIR, 0755);
		if (!s->group_template)
			return -ENOMEM;
		for (size_t i = 0; i < g->n_kids; i++)
			if (g->kids[i]->type == VNODE_FILE &&
			    !vnode_put_file(s->group_template, g->kids[i]->name, g->kids[i]->mode,
					    g->kids[i]->data, g->kids[i]->len))
				return -ENOMEM;
	}
	return 0;
}

static int write_stats_file(struct sim *s, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	format_stats(s, f);
	return fclose(f) == 0 ? 0 : -errno;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: passd-sim [--faults SPEC]... [--stats FILE] [--dev-vfio=kernel|viable]\n"
		"                 [--cache-timeout SEC] PROFILE MOUNTPOINT\n"
		"Serves PROFILE's tree (a file, or NAME for %s/NAME.profile) as a live\n"
		"simulated kernel under MOUNTPOINT/{sys,proc,dev}, with MOUNTPOINT/sim/{faults,stats},\n"
		"until SIGTERM or SIGINT.\n",
		SIM_PROFILEDIR);
}

int main(int argc, char **argv)
{
	_cleanup_(sim_freep) struct sim *s = NULL;
	_cleanup_free_ char *profile = NULL;
	const char *stats = NULL, *mountpoint;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config lc = { .clone_fd = 0, .max_idle_threads = 16 };
	struct fuse_session *se;
	int i, r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	pthread_mutex_init(&s->lock, NULL);
	start_time = time(NULL);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		char err[256];

		if (streq(argv[i], "--faults") && i + 1 < argc) {
			if (simfault_parse(&s->faults, argv[++i], err, sizeof(err)) < 0) {
				fprintf(stderr, "passd-sim: --faults: %s\n", err);
				return 2;
			}
		} else if (streq(argv[i], "--stats") && i + 1 < argc) {
			stats = argv[++i];
		} else if (streq(argv[i], "--cache-timeout") && i + 1 < argc) {
			char *end;

			cache_timeout = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(cache_timeout >= 0)) {
				fprintf(stderr, "passd-sim: --cache-timeout: not a number of seconds\n");
				return 2;
			}
		} else if (streq(argv[i], "--dev-vfio=viable")) {
			s->viable_node = true;
		} else if (streq(argv[i], "--dev-vfio=kernel")) {
			s->viable_node = false;
		} else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argc - i != 2) {
		usage(stderr);
		return 2;
	}
	profile = resolve_profile(argv[i]);
	mountpoint = argv[i + 1];
	if (!profile)
		return 1;
	r = simprof_load(profile, stderr, &s->h);
	if (r < 0)
		return 1;
	r = sim_build(s);
	if (r < 0) {
		fprintf(stderr, "passd-sim: cannot build the tree: %s\n", strerror(-r));
		return 1;
	}
	if (cache_timeout > 0)
		vnode_set_change_hook(note_change);
	s->root->known = true;

	if (fuse_opt_add_arg(&args, "passd-sim") < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, geteuid() == 0 ?
						"fsname=passd-sim,subtype=passd-sim,allow_other" :
						"fsname=passd-sim,subtype=passd-sim") < 0)
		return 1;
	se = fuse_session_new(&args, &ll_ops, sizeof(ll_ops), s);
	fuse_opt_free_args(&args);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) != 0) {
		fuse_session_destroy(se);
		return 1;
	}
	if (fuse_session_mount(se, mountpoint) != 0) {
		fuse_remove_signal_handlers(se);
		fuse_session_destroy(se);
		return 1;
	}
	the_se = se;
	fprintf(stderr, "passd-sim: %s on %s: %zu functions\n", profile, mountpoint, s->n_devs);
	r = fuse_session_loop_mt(se, &lc);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	vnode_set_change_hook(NULL);
	free(pending.v);
	pending = (struct notes){ 0 };
	if (stats) {
		int k = write_stats_file(s, stats);

		if (k < 0)
			fprintf(stderr, "passd-sim: cannot write '%s': %s\n", stats, strerror(-k));
	}
	/* the signal handlers end the loop with the signal's number: a clean stop */
	return r >= 0 ? 0 : 1;
}
