/*
 * critical.c - the host-critical set (see critical.h).
 *
 * The work is O(mounts + swaps + routes), not O(devices): each distinct block device in use is
 * resolved once through sysfs's dev/block index to the PCI functions below it, each default
 * route's interface through class/net. Only a tree without those indexes (a plain copy of part
 * of a real sysfs) pays for a forward walk, once, below storage, network and USB functions.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critical.h"
#include "log.h"
#include "procfs/procfs.h"
#include "sysfs/children.h"

#define REASONS_MAX 4 /* per device; more are counted, not spelled */

struct crit_entry {
	char address[PCI_ADDR_LEN + 1];
	int group;
	char *reason;
};

struct crit_set {
	struct crit_entry *v;
	size_t n;
	unsigned unread;
};

/* Per-device reasons while computing, parallel to devs. */
struct dev_reasons {
	char *r[REASONS_MAX];
	size_t n, more;
};

/* The forward walk's answers, built on first need. */
struct fwd_map {
	bool built;
	struct {
		char name[SYSFS_BLOCK_NAME_MAX];
		unsigned major, minor;
		const char *addr;
	} *block;
	size_t n_block;
	struct {
		char name[SYSFS_IFNAME_MAX];
		const char *addr;
	} *net;
	size_t n_net;
};

struct ctx {
	struct sysfs *s;
	const struct pd_device *devs;
	size_t n;
	struct dev_reasons *reasons;
	struct fwd_map fwd;
	struct procfs_mount *mounts;
	size_t n_mounts;
};

static int dev_addr_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pd_device *)elem)->address);
}

static int add_reason(struct ctx *x, const char *addr, const char *fmt, ...) _printf_(3, 4);
static int add_reason(struct ctx *x, const char *addr, const char *fmt, ...)
{
	const struct pd_device *d = x->n ? bsearch(addr, x->devs, x->n, sizeof(*x->devs),
						   dev_addr_cmp) :
					   NULL;
	struct dev_reasons *dr;
	va_list ap;
	char *s;
	int k;

	if (!d)
		return 0; /* below something passd does not list: nothing to protect there */
	dr = &x->reasons[d - x->devs];
	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	for (size_t i = 0; i < dr->n; i++)
		if (streq(dr->r[i], s)) {
			free(s);
			return 0;
		}
	if (dr->n == REASONS_MAX) {
		dr->more++;
		free(s);
		return 0;
	}
	dr->r[dr->n++] = s;
	return 0;
}

/* ---- the forward walk, for trees without dev/block or class/net ---- */

static bool worth_walking(const struct pd_device *d)
{
	long class = pd_device_class(d);

	/* storage, network, and serial bus controllers (USB and Thunderbolt disks, USB NICs) */
	return class >= 0 && ((class >> 16) == 0x01 || (class >> 16) == 0x02 ||
			      (class >> 16) == 0x0c);
}

static int fwd_build(struct ctx *x)
{
	struct fwd_map *f = &x->fwd;
	size_t cap_b = 0, cap_n = 0;

	if (f->built)
		return 0;
	f->built = true;
	for (size_t i = 0; i < x->n; i++) {
		struct sysfs_children c = { 0 };
		int r;

		if (!worth_walking(&x->devs[i]))
			continue;
		r = sysfs_pci_children(x->s, x->devs[i].address, &c);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		for (size_t j = 0; j < c.n_block; j++) {
			if (f->n_block == cap_b) {
				size_t cap = cap_b ? cap_b * 2 : 16;
				void *nb = realloc(f->block, cap * sizeof(*f->block));
				if (!nb) {
					sysfs_children_clear(&c);
					return -ENOMEM;
				}
				f->block = nb;
				cap_b = cap;
			}
			memcpy(f->block[f->n_block].name, c.block[j].name, SYSFS_BLOCK_NAME_MAX);
			f->block[f->n_block].major = c.block[j].major;
			f->block[f->n_block].minor = c.block[j].minor;
			f->block[f->n_block].addr = x->devs[i].address;
			f->n_block++;
		}
		for (size_t j = 0; j < c.n_net; j++) {
			if (f->n_net == cap_n) {
				size_t cap = cap_n ? cap_n * 2 : 16;
				void *nn = realloc(f->net, cap * sizeof(*f->net));
				if (!nn) {
					sysfs_children_clear(&c);
					return -ENOMEM;
				}
				f->net = nn;
				cap_n = cap;
			}
			memcpy(f->net[f->n_net].name, c.net[j], SYSFS_IFNAME_MAX);
			f->net[f->n_net].addr = x->devs[i].address;
			f->n_net++;
		}
		sysfs_children_clear(&c);
	}
	log_debug("Host-critical: no sysfs index, walked below functions: %zu block devices, %zu interfaces",
		  f->n_block, f->n_net);
	return 0;
}

/* ---- block devices ---- */

struct blockref {
	unsigned major, minor; /* major 0: unknown, use name */
	const char *name;      /* the /dev/ name, "" when unknown */
};

/* Resolve a "/dev/..." source or swap path, or a device number, to its owners. */
static int block_owners(struct ctx *x, const struct blockref *b, struct sysfs_owners *o)
{
	unsigned maj = b->major, min = b->minor;
	int r;

	*o = (struct sysfs_owners){ 0 };
	if (maj == 0 && b->name[0]) {
		r = sysfs_block_devnum(x->s, b->name, &maj, &min);
		if (r == -ENOENT) {
			/* no class/block: the forward walk knows names too */
			r = fwd_build(x);
			if (r < 0)
				return r;
			for (size_t i = 0; i < x->fwd.n_block; i++)
				if (streq(x->fwd.block[i].name, b->name)) {
					memcpy(o->addr[o->n++], x->fwd.block[i].addr, PCI_ADDR_LEN + 1);
					break;
				}
			return 0;
		}
		if (r < 0)
			return 0;
	}
	if (maj == 0)
		return 0;
	r = sysfs_block_owners(x->s, maj, min, o);
	if (r == -ENOENT) {
		r = fwd_build(x);
		if (r < 0)
			return r;
		for (size_t i = 0; i < x->fwd.n_block; i++)
			if (x->fwd.block[i].major == maj && x->fwd.block[i].minor == min) {
				memcpy(o->addr[o->n++], x->fwd.block[i].addr, PCI_ADDR_LEN + 1);
				break;
			}
		return 0;
	}
	if (r < 0) {
		log_debug_errno(r, "Host-critical: cannot resolve block device %u:%u, ignoring: %m",
				maj, min);
		return 0;
	}
	if (o->n == 0) {
		/* a loop device: what matters is the filesystem holding its backing file */
		_cleanup_free_ char *backing = NULL;
		const struct procfs_mount *m;

		if (sysfs_block_loop_backing(x->s, maj, min, &backing) < 0)
			return 0;
		m = NULL;
		for (size_t i = 0; i < x->n_mounts; i++) {
			const char *mp = x->mounts[i].mount_point;
			size_t l = strlen(mp);
			if (strncmp(backing, mp, l) == 0 &&
			    (backing[l] == '/' || l == 1 || backing[l] == '\0') &&
			    (!m || l >= strlen(m->mount_point)))
				m = &x->mounts[i];
		}
		if (m && m->major != 0 && !(m->major == maj && m->minor == min))
			(void)sysfs_block_owners(x->s, m->major, m->minor, o);
	}
	return 0;
}

static struct blockref mount_ref(const struct procfs_mount *m)
{
	struct blockref b = { m->major, m->minor, "" };

	/* btrfs and others report an anonymous device: the source names the real one */
	if (m->major == 0 && strncmp(m->source, "/dev/", 5) == 0)
		b.name = m->source + 5;
	return b;
}

static bool same_ref(const struct blockref *a, const struct blockref *b)
{
	if (a->major != 0 || b->major != 0)
		return a->major == b->major && a->minor == b->minor;
	return a->name[0] && streq(a->name, b->name);
}

static int do_mounts(struct ctx *x)
{
	const struct procfs_mount *root = NULL;
	_cleanup_free_ struct blockref *done = calloc(x->n_mounts + 1, sizeof(*done));
	size_t n_done = 0;
	int r;

	if (!done)
		return -ENOMEM;
	/* The visible "/" is the last one mounted there. */
	for (size_t i = 0; i < x->n_mounts; i++)
		if (streq(x->mounts[i].mount_point, "/"))
			root = &x->mounts[i];

	for (size_t k = 0; k <= x->n_mounts; k++) {
		const struct procfs_mount *m = k == 0 ? root : &x->mounts[k - 1];
		struct sysfs_owners o;
		struct blockref b;
		bool seen = false;

		if (!m || (k > 0 && m == root))
			continue;
		b = mount_ref(m);
		if (b.major == 0 && !b.name[0])
			continue; /* tmpfs, proc, overlay, NFS: no local disk behind it */
		for (size_t i = 0; i < n_done && !seen; i++)
			seen = same_ref(&done[i], &b);
		if (seen)
			continue; /* bind mounts and subvolumes of one device */
		done[n_done++] = b;

		r = block_owners(x, &b, &o);
		if (r < 0)
			return r;
		for (size_t i = 0; i < o.n; i++) {
			if (m == root)
				r = add_reason(x, o.addr[i], "holds the root filesystem (%s on /)",
					       m->source);
			else
				r = add_reason(x, o.addr[i], "holds a mounted filesystem (%s on %s)",
					       m->source, m->mount_point);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int do_swaps(struct ctx *x, const struct procfs_swap *sw, size_t n)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		struct sysfs_owners o;
		struct blockref b = { 0, 0, "" };
		const struct procfs_mount *m = NULL;

		if (sw[i].is_partition) {
			if (strncmp(sw[i].path, "/dev/", 5) != 0)
				continue;
			b.name = sw[i].path + 5;
		} else {
			/* a swap file lives on the filesystem of the longest mount point above it */
			for (size_t j = 0; j < x->n_mounts; j++) {
				const char *mp = x->mounts[j].mount_point;
				size_t l = strlen(mp);
				if (strncmp(sw[i].path, mp, l) == 0 &&
				    (sw[i].path[l] == '/' || l == 1) &&
				    (!m || l >= strlen(m->mount_point)))
					m = &x->mounts[j];
			}
			if (!m)
				continue;
			b = mount_ref(m);
			if (b.major == 0 && !b.name[0])
				continue;
		}
		r = block_owners(x, &b, &o);
		if (r < 0)
			return r;
		for (size_t j = 0; j < o.n; j++) {
			if (m)
				r = add_reason(x, o.addr[j], "holds swap (%s on %s)", sw[i].path,
					       m->source);
			else
				r = add_reason(x, o.addr[j], "holds swap (%s)", sw[i].path);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int do_routes(struct ctx *x, char **ifaces)
{
	int r;

	for (char **ifn = ifaces; *ifn; ifn++) {
		struct sysfs_owners o = { 0 };

		r = sysfs_net_owners(x->s, *ifn, &o);
		if (r == -ENOENT) {
			r = fwd_build(x);
			if (r < 0)
				return r;
			for (size_t i = 0; i < x->fwd.n_net; i++)
				if (streq(x->fwd.net[i].name, *ifn)) {
					memcpy(o.addr[o.n++], x->fwd.net[i].addr, PCI_ADDR_LEN + 1);
					break;
				}
		} else if (r < 0) {
			log_debug_errno(r, "Host-critical: cannot resolve interface '%s', ignoring: %m",
					*ifn);
		}
		for (size_t i = 0; i < o.n; i++) {
			r = add_reason(x, o.addr[i], "carries the default route (%s)", *ifn);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

const char *crit_static_reason(const struct pd_device *d)
{
	long class = pd_device_class(d);

	if (d->boot_vga == 1)
		return "boot VGA device: the host's console";
	if (class >= 0 && (class >> 8) == 0x0600)
		return "host bridge";
	return NULL;
}

/* Join a device's reasons into one sentence list. */
static char *join(const struct dev_reasons *dr)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < dr->n; i++)
		len += strlen(dr->r[i]) + 2;
	len += dr->more ? 32 : 0;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	*p = '\0';
	for (size_t i = 0; i < dr->n; i++)
		p += sprintf(p, "%s%s", i ? "; " : "", dr->r[i]);
	if (dr->more)
		sprintf(p, "; and %zu more", dr->more);
	return s;
}

static int gather(struct ctx *x, struct procfs *p, unsigned *unread)
{
	_cleanup_(procfs_strv_freep) char **routes = NULL;
	struct procfs_swap *sw = NULL;
	size_t n_sw = 0;
	int r;

	if (!p)
		return 0;
	r = procfs_read_mountinfo(p, &x->mounts, &x->n_mounts);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_debug_errno(r, "Host-critical: cannot read mounts from '%s', ignoring: %m",
				procfs_get_root(p));
		*unread |= CRIT_UNREAD_MOUNTS;
	} else {
		r = do_mounts(x);
		if (r < 0)
			return r;
	}

	r = procfs_read_swaps(p, &sw, &n_sw);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_debug_errno(r, "Host-critical: cannot read swaps from '%s', ignoring: %m",
				procfs_get_root(p));
		*unread |= CRIT_UNREAD_SWAPS;
	} else {
		r = do_swaps(x, sw, n_sw);
		procfs_swaps_free(sw, n_sw);
		if (r < 0)
			return r;
	}

	r = procfs_read_default_routes(p, &routes);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_debug_errno(r, "Host-critical: cannot read routes from '%s', ignoring: %m",
				procfs_get_root(p));
		*unread |= CRIT_UNREAD_ROUTES;
		return 0;
	}
	return do_routes(x, routes);
}

int crit_compute(struct sysfs *s, struct procfs *p, const struct pd_device *devs, size_t n,
		 struct crit_set **ret)
{
	struct ctx x = { .s = s, .devs = devs, .n = n };
	_cleanup_(crit_set_freep) struct crit_set *c = calloc(1, sizeof(*c));
	size_t m = 0;
	int r;

	x.reasons = calloc(n ? n : 1, sizeof(*x.reasons));
	if (!c || !x.reasons) {
		free(x.reasons);
		return -ENOMEM;
	}

	r = gather(&x, p, &c->unread);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const char *st = crit_static_reason(&devs[i]);
		if (st)
			r = add_reason(&x, devs[i].address, "%s", st);
	}

	for (size_t i = 0; r >= 0 && i < n; i++)
		m += x.reasons[i].n > 0;
	if (r >= 0) {
		c->v = calloc(m ? m : 1, sizeof(*c->v));
		if (!c->v)
			r = -ENOMEM;
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct crit_entry *e;

		if (x.reasons[i].n == 0)
			continue;
		e = &c->v[c->n];
		e->reason = join(&x.reasons[i]);
		if (!e->reason) {
			r = -ENOMEM;
			break;
		}
		memcpy(e->address, devs[i].address, sizeof(e->address));
		e->group = devs[i].iommu_group;
		c->n++;
	}

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < x.reasons[i].n; j++)
			free(x.reasons[i].r[j]);
	free(x.reasons);
	free(x.fwd.block);
	free(x.fwd.net);
	procfs_mounts_free(x.mounts, x.n_mounts);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

void crit_set_free(struct crit_set *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].reason);
	free(c->v);
	free(c);
}

static int entry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct crit_entry *)elem)->address);
}

const char *crit_reason(const struct crit_set *c, const char *addr)
{
	const struct crit_entry *e;

	if (!c || c->n == 0)
		return NULL;
	e = bsearch(addr, c->v, c->n, sizeof(*c->v), entry_cmp);
	return e ? e->reason : NULL;
}

const char *crit_group_reason(const struct crit_set *c, int group, const char **ret_addr)
{
	if (!c || group < 0)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].group == group) {
			if (ret_addr)
				*ret_addr = c->v[i].address;
			return c->v[i].reason;
		}
	return NULL;
}

size_t crit_count(const struct crit_set *c)
{
	return c ? c->n : 0;
}

const char *crit_address_at(const struct crit_set *c, size_t i)
{
	return c && i < c->n ? c->v[i].address : NULL;
}

const char *crit_reason_at(const struct crit_set *c, size_t i)
{
	return c && i < c->n ? c->v[i].reason : NULL;
}

unsigned crit_set_unread(const struct crit_set *c)
{
	return c ? c->unread : 0;
}

bool crit_set_equal(const struct crit_set *a, const struct crit_set *b)
{
	if (!a || !b)
		return a == b;
	if (a->n != b->n || a->unread != b->unread)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].group != b->v[i].group || !streq(a->v[i].address, b->v[i].address) ||
		    !streq(a->v[i].reason, b->v[i].reason))
			return false;
	return true;
}
