#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "critical.h"
#include "db/db.h"
#include "log.h"
#include "inventory.h"
#include "events.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"
#include "udev/hwdb.h"

#define NAME_CACHE_SIZE 1024 /* power of two; distinct vendor:device pairs are few */

struct name_entry {
	uint32_t key; /* vendor << 16 | device */
	bool used;
	char *vendor;
	char *device;
};

struct vf_link {
	size_t pf; /* index into devs */
	const struct pd_device *vf;
};

struct inv {
	struct sysfs *sysfs;
	struct db *db;
	struct udevw_hwdb *hwdb;
	struct procfs *procfs; /* NULL: host-critical from boot VGA and host bridges only */
	unsigned threads;

	struct pd_device *devs;
	size_t n_devs;
	struct pd_device *gone;
	size_t n_gone;
	struct grp_set *groups;
	struct vf_link *vfs; /* sorted by pf, then VF address */
	const struct pd_device **vf_ptrs;
	size_t n_vfs;
	struct crit_set *crit;
	unsigned crit_unread;

	unsigned iommu_groups;
	uint64_t generation;
	uint64_t hash;
	int64_t last_scan_usec;
	int64_t last_scan_duration_usec;

	struct name_entry names[NAME_CACHE_SIZE];

	inv_overlay_fn overlay;
	void *overlay_userdata;
};

static int64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int inv_new(struct sysfs *s, struct db *db, struct udevw_hwdb *hwdb, unsigned threads,
	    struct inv **ret)
{
	struct inv *inv = calloc(1, sizeof(*inv));

	if (!inv)
		return -ENOMEM;
	inv->sysfs = s;
	inv->db = db;
	inv->hwdb = hwdb;
	inv->threads = threads ? threads : 1;
	*ret = inv;
	return 0;
}

void inv_set_procfs(struct inv *inv, struct procfs *p)
{
	inv->procfs = p;
}

static void free_devices(struct pd_device *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_device_clear(&devs[i]);
	free(devs);
}

void inv_free(struct inv *inv)
{
	if (!inv)
		return;
	grp_set_free(inv->groups);
	crit_set_free(inv->crit);
	free(inv->vfs);
	free(inv->vf_ptrs);
	free_devices(inv->devs, inv->n_devs);
	free_devices(inv->gone, inv->n_gone);
	for (size_t i = 0; i < NAME_CACHE_SIZE; i++) {
		free(inv->names[i].vendor);
		free(inv->names[i].device);
	}
	free(inv);
}

static int parse_id(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (s[0] == '\0')
		return -EINVAL;
	v = strtoul(s, &end, 16);
	if (*end != '\0' || v > 0xffff)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Fill vendor_name and device_name from the hwdb, through a small cache. */
static int fill_names(struct inv *inv, struct pd_device *d)
{
	uint16_t vendor, device;
	struct name_entry *e = NULL;
	uint32_t key;

	if (!inv->hwdb || parse_id(d->vendor_id, &vendor) < 0 || parse_id(d->device_id, &device) < 0)
		return 0;
	key = (uint32_t)vendor << 16 | device;
	for (size_t probe = 0; probe < NAME_CACHE_SIZE; probe++) {
		struct name_entry *c = &inv->names[(key * 2654435761u + probe) & (NAME_CACHE_SIZE - 1)];
		if (!c->used || c->key == key) {
			e = c;
			break;
		}
	}

	if (e && !e->used) {
		int r = udevw_hwdb_pci_names(inv->hwdb, vendor, device, &e->vendor, &e->device);
		if (r < 0)
			return r;
		e->used = true;
		e->key = key;
	}

	if (e) {
		d->vendor_name = strdup_or_null(e->vendor);
		d->device_name = strdup_or_null(e->device);
		if ((e->vendor && !d->vendor_name) || (e->device && !d->device_name))
			return -ENOMEM;
		return 0;
	}

	/* Cache full (thousands of distinct models): look up without caching. */
	return udevw_hwdb_pci_names(inv->hwdb, vendor, device, &d->vendor_name, &d->device_name);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return s ? fnv1a(h, s, strlen(s) + 1) : fnv1a(h, "\xff", 1);
}

/* A digest of everything an API client sees, so the generation moves only on change. */
static uint64_t hash_devices(uint64_t h, const struct pd_device *devs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pd_device *d = &devs[i];
		/* The fixed-size part up to the owned pointers; records are zeroed first. */
		h = fnv1a(h, d, offsetof(struct pd_device, vendor_name));
		h = hash_str(h, d->vendor_name);
		h = hash_str(h, d->device_name);
		h = hash_str(h, d->original_driver);
		h = fnv1a(h, &d->gone, sizeof(d->gone));
	}
	return h;
}

static int vf_link_cmp(const void *a, const void *b)
{
	const struct vf_link *x = a, *y = b;

	if (x->pf != y->pf)
		return x->pf < y->pf ? -1 : 1;
	return strcmp(x->vf->address, y->vf->address);
}

static int dev_addr_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pd_device *)elem)->address);
}

static const struct pd_device *find_in(const struct pd_device *devs, size_t n, const char *addr)
{
	if (!devs || n == 0)
		return NULL;
	return bsearch(addr, devs, n, sizeof(*devs), dev_addr_cmp);
}

/* Index the PF-to-VF links of a device array. */
static int build_vfs(const struct pd_device *devs, size_t n, struct vf_link **ret_links,
		     const struct pd_device ***ret_ptrs, size_t *ret_n)
{
	_cleanup_free_ struct vf_link *links = NULL;
	_cleanup_free_ const struct pd_device **ptrs = NULL;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (devs[i].physfn[0] != '\0')
			m++;
	links = calloc(m ? m : 1, sizeof(*links));
	ptrs = calloc(m ? m : 1, sizeof(*ptrs));
	if (!links || !ptrs)
		return -ENOMEM;

	m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pd_device *pf;
		if (devs[i].physfn[0] == '\0')
			continue;
		pf = find_in(devs, n, devs[i].physfn);
		if (!pf)
			continue; /* a VF whose PF is not visible: nothing to link */
		links[m].pf = (size_t)(pf - devs);
		links[m].vf = &devs[i];
		m++;
	}
	qsort(links, m, sizeof(*links), vf_link_cmp);
	for (size_t i = 0; i < m; i++)
		ptrs[i] = links[i].vf;

	*ret_links = TAKE_PTR(links);
	*ret_ptrs = TAKE_PTR(ptrs);
	*ret_n = m;
	return 0;
}

/* Move the generation on when what a client sees changed since the last digest. */
static void bump_generation(struct inv *inv)
{
	uint64_t h;

	h = hash_devices(0xcbf29ce484222325ULL, inv->devs, inv->n_devs);
	h = hash_devices(h, inv->gone, inv->n_gone);
	h = fnv1a(h, &inv->iommu_groups, sizeof(inv->iommu_groups));
	for (size_t i = 0; i < crit_count(inv->crit); i++) {
		h = hash_str(h, crit_address_at(inv->crit, i));
		h = hash_str(h, crit_reason_at(inv->crit, i));
	}
	if (h != inv->hash || inv->generation == 0) {
		inv->hash = h;
		inv->generation++;
	}
}

/*
 * The database's "driver at the last sighting" for devices whose driver changed outside a
 * scan. The view is right whatever this says; a failure only leaves it to the next scan.
 */
static void record_drivers(struct inv *inv, const struct pd_device *const *devs, size_t n)
{
	struct pd_error err = PD_ERROR_INIT;

	if (n > 0 && db_devices_seen(inv->db, devs, n, &err) < 0)
		log_warning("Recording the drivers of %zu device(s) failed, the next scan will: %s",
			    n, err.message);
}

int inv_refresh(struct inv *inv, const struct inv_update *u, size_t n, struct pd_error *err)
{
	_cleanup_free_ const struct pd_device **moved = calloc(n ? n : 1, sizeof(*moved));
	size_t n_moved = 0;
	struct grp_set *groups = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct pd_device *d = (struct pd_device *)find_in(inv->devs, inv->n_devs, u[i].address);
		char driver[PD_DRIVER_LEN] = "", override[PD_DRIVER_LEN] = "";

		if (!d)
			return inv_scan(inv, err);
		if (u[i].driver) {
			snprintf(driver, sizeof(driver), "%s", u[i].driver);
			snprintf(override, sizeof(override), "%s", u[i].override ? u[i].override : "");
		} else {
			/* A move changes these two only; anything odd and a full scan says what is true. */
			r = sysfs_pci_get_driver(inv->sysfs, u[i].address, driver);
			if (r >= 0)
				r = sysfs_pci_get_override(inv->sysfs, u[i].address, override);
			if (r < 0)
				return inv_scan(inv, err);
		}
		if (moved && !streq(d->driver, driver))
			moved[n_moved++] = d;
		memcpy(d->driver, driver, sizeof(d->driver));
		memcpy(d->driver_override, override, sizeof(d->driver_override));
	}
	record_drivers(inv, moved, n_moved);
	/* Drivers decide viability: the groups must be rebuilt over the same records. */
	r = grp_set_build(inv->devs, inv->n_devs, &groups);
	if (r < 0)
		return inv_scan(inv, err);
	grp_set_free(inv->groups);
	inv->groups = groups;
	bump_generation(inv);
	return 0;
}

int inv_refresh_critical(struct inv *inv)
{
	struct crit_set *crit = NULL;
	int r;

	r = crit_compute(inv->sysfs, inv->procfs, inv->devs, inv->n_devs, &crit);
	if (r < 0)
		return r;
	if (crit_set_equal(crit, inv->crit)) {
		/* The usual case at a bind: hashing every device again would find the same. */
		crit_set_free(crit);
		return 0;
	}
	crit_set_free(inv->crit);
	inv->crit = crit;
	bump_generation(inv);
	return 0;
}

static json_t *device_event(const struct pd_device *d)
{
	return json_pack("{s:s, s:s?, s:o?}", "address", d->address, "driver",
			 d->driver[0] ? d->driver : NULL, "iommu_group",
			 d->iommu_group >= 0 ? json_integer(d->iommu_group) : NULL);
}

static void publish_driver_change(const char *before, const struct pd_device *d)
{
	json_t *ev = device_event(d);

	json_object_set_new(ev, "driver_before", before[0] ? json_string(before) : json_null());
	events_publish("device_changed", ev);
}

/*
 * device_added / device_removed / device_changed (driver) between two sorted views, for
 * GET /v1/events: what hotplug, a VF change or someone else's hand did to the host.
 */
static void publish_changes(const struct pd_device *old, size_t n_old, const struct pd_device *new,
			    size_t n_new)
{
	size_t i = 0, j = 0;

	while (i < n_old || j < n_new) {
		int c = i == n_old ? 1 : j == n_new ? -1 : strcmp(old[i].address, new[j].address);
		if (c < 0) {
			events_publish("device_removed", device_event(&old[i++]));
		} else if (c > 0) {
			events_publish("device_added", device_event(&new[j++]));
		} else {
			if (!streq(old[i].driver, new[j].driver))
				publish_driver_change(old[i].driver, &new[j]);
			i++, j++;
		}
	}
}

/*
 * Whether @now (just read) is the same function as @was in the view, so that only a scan's
 * per-device fields moved: identity, topology and VFs unchanged.
 */
static bool same_function(const struct pd_device *was, const struct pd_device *now)
{
	return streq(was->vendor_id, now->vendor_id) && streq(was->device_id, now->device_id) &&
	       streq(was->subsystem_vendor_id, now->subsystem_vendor_id) &&
	       streq(was->subsystem_device_id, now->subsystem_device_id) &&
	       streq(was->class_id, now->class_id) && was->iommu_group == now->iommu_group &&
	       streq(was->physfn, now->physfn) && streq(was->parent, now->parent) &&
	       was->sriov_num_vfs == now->sriov_num_vfs;
}

int inv_update_devices(struct inv *inv, const char *const *addrs, size_t n)
{
	_cleanup_free_ struct pd_device *now = NULL, *saved = NULL;
	_cleanup_free_ size_t *idx = NULL;
	_cleanup_free_ const struct pd_device **ptrs = NULL;
	struct grp_set *groups = NULL;
	struct crit_set *crit = NULL;
	size_t m = 0;
	int r;

	if (n == 0)
		return 0;
	now = calloc(n, sizeof(*now));
	saved = calloc(n, sizeof(*saved));
	idx = calloc(n, sizeof(*idx));
	ptrs = calloc(n, sizeof(*ptrs));
	if (!now || !saved || !idx || !ptrs)
		return -ENOMEM;

	/* Read everything first: the view changes only when every device could be placed. */
	for (size_t i = 0; i < n; i++) {
		const struct pd_device *d = find_in(inv->devs, inv->n_devs, addrs[i]);
		size_t k = d ? (size_t)(d - inv->devs) : 0;
		bool dup = false;

		if (!d)
			return -ESTALE;
		for (size_t j = 0; j < m; j++)
			dup = dup || idx[j] == k;
		if (dup)
			continue;
		r = sysfs_pci_read_device(inv->sysfs, addrs[i], &now[m]);
		if (r < 0)
			return -ESTALE; /* gone, or unreadable: a scan says what is true */
		if (!same_function(d, &now[m]))
			return -ESTALE;
		/* Only the sysfs part can differ; the owned strings stay with the record. */
		if (memcmp(d, &now[m], offsetof(struct pd_device, vendor_name)) == 0)
			continue;
		idx[m++] = k;
	}
	if (m == 0)
		return 0;

	/* A first host driver is the original one, as db_scan_put_device() decides. */
	for (size_t j = 0; j < m; j++) {
		const struct pd_device *d = &inv->devs[idx[j]];
		if (!d->original_driver && now[j].driver[0] && !streq(now[j].driver, "vfio-pci")) {
			now[j].original_driver = strdup(now[j].driver);
			if (!now[j].original_driver) {
				for (size_t k = 0; k < j; k++)
					free(now[k].original_driver);
				return -ENOMEM;
			}
		}
	}
	for (size_t j = 0; j < m; j++) {
		struct pd_device *d = &inv->devs[idx[j]];
		saved[j] = *d;
		memcpy(d, &now[j], offsetof(struct pd_device, vendor_name));
		if (now[j].original_driver)
			d->original_driver = now[j].original_driver; /* was NULL */
	}
	/* Drivers decide viability: the groups are rebuilt over the same records. */
	r = grp_set_build(inv->devs, inv->n_devs, &groups);
	if (r < 0) {
		for (size_t j = 0; j < m; j++) {
			free(now[j].original_driver);
			inv->devs[idx[j]] = saved[j];
		}
		return r;
	}
	grp_set_free(inv->groups);
	inv->groups = groups;
	for (size_t j = 0; j < m; j++)
		ptrs[j] = &inv->devs[idx[j]];
	record_drivers(inv, ptrs, m);
	/* A driver makes or takes a disk or an interface: what the host uses is read again. */
	if (crit_compute(inv->sysfs, inv->procfs, inv->devs, inv->n_devs, &crit) >= 0) {
		crit_set_free(inv->crit);
		inv->crit = crit;
	}
	for (size_t j = 0; j < m; j++)
		if (!streq(saved[j].driver, inv->devs[idx[j]].driver))
			publish_driver_change(saved[j].driver, &inv->devs[idx[j]]);
	bump_generation(inv);
	return (int)m;
}

int inv_scan(struct inv *inv, struct pd_error *err)
{
	struct pd_device *devs = NULL, *gone = NULL;
	size_t n = 0, n_gone = 0, n_links = 0;
	struct grp_set *groups = NULL;
	struct crit_set *crit = NULL;
	struct vf_link *links = NULL;
	const struct pd_device **ptrs = NULL;
	unsigned ngroups = 0, newly_gone = 0;
	int64_t t0 = now_usec(CLOCK_MONOTONIC);
	int r;

	r = sysfs_pci_scan(inv->sysfs, inv->threads, &devs, &n);
	if (r < 0) {
		pd_error_set(err, PD_ERR_INTERNAL, r, "cannot read PCI devices from %s: %s",
			     sysfs_get_root(inv->sysfs), strerror(-r));
		return log_error_errno(r, "Scan of '%s' failed: %m", sysfs_get_root(inv->sysfs));
	}
	r = sysfs_iommu_group_count(inv->sysfs, &ngroups);
	if (r < 0) {
		log_debug_errno(r, "Cannot count IOMMU groups, assuming none: %m");
		ngroups = 0;
	}

	for (size_t i = 0; i < n; i++) {
		r = fill_names(inv, &devs[i]);
		if (r < 0) {
			pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
			goto fail;
		}
	}

	r = db_scan_begin(inv->db, now_usec(CLOCK_REALTIME), err);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		r = db_scan_put_device(inv->db, &devs[i], &devs[i].original_driver, err);
		if (r < 0) {
			db_scan_abort(inv->db);
			goto fail;
		}
	}
	r = db_scan_commit(inv->db, &newly_gone, err);
	if (r < 0) {
		db_scan_abort(inv->db);
		goto fail;
	}
	r = db_list_gone(inv->db, &gone, &n_gone, err);
	if (r < 0)
		goto fail;

	r = grp_set_build(devs, n, &groups);
	if (r < 0) {
		pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		goto fail;
	}
	r = build_vfs(devs, n, &links, &ptrs, &n_links);
	if (r < 0) {
		pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		goto fail;
	}
	r = crit_compute(inv->sysfs, inv->procfs, devs, n, &crit);
	if (r < 0) {
		pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		goto fail;
	}
	if (crit_set_unread(crit) & ~inv->crit_unread)
		log_warning("Cannot read%s%s%s under proc root '%s': host-critical detection is incomplete",
			    crit_set_unread(crit) & CRIT_UNREAD_MOUNTS ? " mounts" : "",
			    crit_set_unread(crit) & CRIT_UNREAD_SWAPS ? " swaps" : "",
			    crit_set_unread(crit) & CRIT_UNREAD_ROUTES ? " routes" : "",
			    procfs_get_root(inv->procfs));
	inv->crit_unread = crit_set_unread(crit);

	/* Swap the new view in; nothing can fail from here on. */
	if (inv->last_scan_usec != 0) /* the first scan is no news */
		publish_changes(inv->devs, inv->n_devs, devs, n);
	grp_set_free(inv->groups);
	crit_set_free(inv->crit);
	free(inv->vfs);
	free(inv->vf_ptrs);
	free_devices(inv->devs, inv->n_devs);
	free_devices(inv->gone, inv->n_gone);
	inv->crit = crit;
	inv->devs = devs;
	inv->n_devs = n;
	inv->gone = gone;
	inv->n_gone = n_gone;
	inv->groups = groups;
	inv->vfs = links;
	inv->vf_ptrs = ptrs;
	inv->n_vfs = n_links;
	inv->iommu_groups = ngroups;

	bump_generation(inv);
	inv->last_scan_usec = now_usec(CLOCK_REALTIME);
	inv->last_scan_duration_usec = now_usec(CLOCK_MONOTONIC) - t0;

	if (newly_gone > 0)
		log_notice("%u device(s) disappeared since the last scan, marked gone", newly_gone);
	log_debug("Scanned %zu PCI functions, %u IOMMU groups in %lld us", n, ngroups,
		  (long long)inv->last_scan_duration_usec);
	return 0;

fail:
	grp_set_free(groups);
	crit_set_free(crit);
	free(links);
	free(ptrs);
	free_devices(devs, n);
	free_devices(gone, n_gone);
	return log_error_errno(r, "Scan failed: %s", err ? err->message : "");
}

uint64_t inv_generation(const struct inv *inv)
{
	return inv->generation;
}

bool inv_iommu_enabled(const struct inv *inv)
{
	return inv->iommu_groups > 0;
}

unsigned inv_iommu_group_count(const struct inv *inv)
{
	return inv->iommu_groups;
}

int64_t inv_last_scan_usec(const struct inv *inv)
{
	return inv->last_scan_usec;
}

int64_t inv_last_scan_duration_usec(const struct inv *inv)
{
	return inv->last_scan_duration_usec;
}

size_t inv_device_count(const struct inv *inv)
{
	return inv->n_devs;
}

const struct pd_device *inv_device_at(const struct inv *inv, size_t i)
{
	return i < inv->n_devs ? &inv->devs[i] : NULL;
}

size_t inv_gone_count(const struct inv *inv)
{
	return inv->n_gone;
}

const struct pd_device *inv_gone_at(const struct inv *inv, size_t i)
{
	return i < inv->n_gone ? &inv->gone[i] : NULL;
}

const struct pd_device *inv_find_device(const struct inv *inv, const char *addr)
{
	const struct pd_device *d = find_in(inv->devs, inv->n_devs, addr);

	if (d)
		return d;
	/* gone records are sorted by address too (db_list_gone) but may repeat one: scan. */
	for (size_t i = 0; i < inv->n_gone; i++)
		if (streq(inv->gone[i].address, addr))
			return &inv->gone[i];
	return NULL;
}

size_t inv_device_vfs(const struct inv *inv, const struct pd_device *pf,
		      const struct pd_device *const **ret_vfs)
{
	size_t idx, lo = 0, hi = inv->n_vfs, first;

	if (!inv->devs || pf < inv->devs || pf >= inv->devs + inv->n_devs) {
		*ret_vfs = NULL;
		return 0;
	}
	idx = (size_t)(pf - inv->devs);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (inv->vfs[mid].pf < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < inv->n_vfs && inv->vfs[lo].pf == idx)
		lo++;
	*ret_vfs = inv->vf_ptrs + first;
	return lo - first;
}

static const char *const state_names[_INV_STATE_MAX] = {
	[INV_STATE_HOST] = "host",	     [INV_STATE_VFIO] = "vfio",
	[INV_STATE_ASSIGNED] = "assigned",   [INV_STATE_UNBOUND] = "unbound",
	[INV_STATE_QUARANTINED] = "quarantined", [INV_STATE_GONE] = "gone",
};

const char *inv_state_to_string(enum inv_state s)
{
	return (unsigned)s < _INV_STATE_MAX ? state_names[s] : "unknown";
}

int inv_state_from_string(const char *s, enum inv_state *ret)
{
	for (size_t i = 0; i < _INV_STATE_MAX; i++)
		if (streq(s, state_names[i])) {
			*ret = (enum inv_state)i;
			return 0;
		}
	return -EINVAL;
}

void inv_set_overlay(struct inv *inv, inv_overlay_fn fn, void *userdata)
{
	inv->overlay = fn;
	inv->overlay_userdata = userdata;
	inv->generation++;
}

void inv_overlay_changed(struct inv *inv)
{
	inv->generation++;
}

struct inv_overlay inv_device_overlay(const struct inv *inv, const struct pd_device *d)
{
	struct inv_overlay ov = { 0 };

	if (inv->overlay)
		inv->overlay(d->address, &ov, inv->overlay_userdata);
	return ov;
}

enum inv_state inv_device_state(const struct inv *inv, const struct pd_device *d)
{
	struct inv_overlay ov;

	if (d->gone)
		return INV_STATE_GONE;
	ov = inv_device_overlay(inv, d);
	if (ov.quarantined)
		return INV_STATE_QUARANTINED;
	if (ov.assignment_id > 0)
		return INV_STATE_ASSIGNED;
	if (d->driver[0] == '\0')
		return INV_STATE_UNBOUND;
	if (grp_driver_is_vfio(d->driver))
		return INV_STATE_VFIO;
	return INV_STATE_HOST;
}

struct inv_critical inv_device_critical(const struct inv *inv, const struct pd_device *d)
{
	const char *reason;

	/* Present devices: from real use, computed at the scan; gone ones hold nothing. */
	if (inv->crit && !d->gone)
		reason = crit_reason(inv->crit, d->address);
	else
		reason = crit_static_reason(d);
	return (struct inv_critical){ reason != NULL, reason };
}

const struct crit_set *inv_get_critical(const struct inv *inv)
{
	return inv->crit;
}

const struct grp_set *inv_get_groups(const struct inv *inv)
{
	return inv->groups;
}

bool inv_db_ok(const struct inv *inv)
{
	return db_ping(inv->db) == 0;
}
