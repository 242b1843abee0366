/*
 * sim-profile.c - parse a host profile and derive the topology the kernel would build from it.
 *
 * Kernel facts modelled here (drivers/pci/probe.c, iov.c, pci-sysfs.c, Linux 6.x):
 *  - a function's sysfs parent is the bridge whose secondary bus it sits on, or the host bridge
 *    device pciDDDD:BB for a root bus;
 *  - a VF's routing ID is the PF's RID + First VF Offset + VF Stride * i (pci_iov_virtfn_bus(),
 *    pci_iov_virtfn_devfn()), and its sysfs parent is the PF's parent even when the VF lands on a
 *    higher bus number (pci_iov_add_virtfn() sets virtfn->dev.parent = dev->dev.parent);
 *  - a bridge's subordinate bus covers every bus below it, VF buses included;
 *  - VFs are created after boot, so they get IOMMU group numbers after every boot-time device.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-profile.h"

#define MAX_TOKENS 64

struct parser {
	struct sim_host *h;
	FILE *errf;
	const char *file;
	int line;
	size_t n_devs_alloc; /* explicit functions parsed so far live in h->devs */
	bool host_keys_seen[32];
	int host_line; /* the last host line, for checks across keys */
	int swap_line, route_line;
};

static int perr(const struct parser *p, int line, const char *fmt, ...) _printf_(3, 4);
static int perr(const struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(p->errf, "%s:%d: ", p->file, line);
	else
		fprintf(p->errf, "%s: ", p->file);
	va_start(ap, fmt);
	vfprintf(p->errf, fmt, ap);
	va_end(ap);
	fputc('\n', p->errf);
	return -EINVAL;
}

static void *xgrow(void *ptr, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc ? *alloc : 16;
	void *q;

	if (need <= *alloc)
		return ptr;
	while (n < need)
		n *= 2;
	q = realloc(ptr, n * size);
	if (!q)
		return NULL;
	memset((char *)q + *alloc * size, 0, (n - *alloc) * size);
	*alloc = n;
	return q;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* lowercase only, as the kernel prints it */
}

/* Exactly @n lowercase hex digits, then the end of @s or @stop. */
static int parse_hex_exact(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexdigit(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)d;
	}
	*ret = v;
	return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	if (s[0] == '0' && s[1])
		return -EINVAL; /* no leading zeros, no octal surprises */
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_int(const char *s, int min, int max, int *ret)
{
	unsigned v;
	bool neg = s[0] == '-';
	int r = parse_uint(neg ? s + 1 : s, (unsigned)max + (neg ? 1u : 0u), &v);

	if (r < 0)
		return r;
	if (neg ? -(long)v < min : (long)v > max)
		return -ERANGE;
	*ret = neg ? -(int)v : (int)v;
	return 0;
}

/* DDDD:BB:DD.F, lowercase hex, slot <= 0x1f, function 0-7. */
static int parse_addr(const char *s, struct sim_addr *ret)
{
	unsigned dom, bus, slot, fn;

	if (strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	if (parse_hex_exact(s, 4, &dom) < 0 || parse_hex_exact(s + 5, 2, &bus) < 0 ||
	    parse_hex_exact(s + 8, 2, &slot) < 0 || slot > 0x1f)
		return -EINVAL;
	if (s[11] < '0' || s[11] > '7')
		return -EINVAL;
	fn = (unsigned)(s[11] - '0');
	ret->domain = (uint16_t)dom;
	ret->bus = (uint8_t)bus;
	ret->devfn = (uint8_t)(slot << 3 | fn);
	return 0;
}

/* VVVV:DDDD */
static int parse_id_pair(const char *s, uint16_t *ret_a, uint16_t *ret_b)
{
	unsigned a, b;

	if (strlen(s) != 9 || s[4] != ':')
		return -EINVAL;
	if (parse_hex_exact(s, 4, &a) < 0 || parse_hex_exact(s + 5, 4, &b) < 0)
		return -EINVAL;
	*ret_a = (uint16_t)a;
	*ret_b = (uint16_t)b;
	return 0;
}

/* 0x followed by exactly @n hex digits */
static int parse_0x(const char *s, size_t n, unsigned *ret)
{
	if (strlen(s) != n + 2 || s[0] != '0' || s[1] != 'x')
		return -EINVAL;
	return parse_hex_exact(s + 2, n, ret);
}

static bool valid_name(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static void addr_format(const struct sim_addr *a, char buf[static 16])
{
	snprintf(buf, 16, "%04x:%02x:%02x.%u", a->domain, a->bus, a->devfn >> 3, a->devfn & 7);
}

static int addr_cmp(const struct sim_addr *a, const struct sim_addr *b)
{
	uint32_t x = (uint32_t)a->domain << 16 | (uint32_t)a->bus << 8 | a->devfn;
	uint32_t y = (uint32_t)b->domain << 16 | (uint32_t)b->bus << 8 | b->devfn;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int devp_cmp(const void *a, const void *b)
{
	const struct sim_dev *x = *(struct sim_dev *const *)a;
	const struct sim_dev *y = *(struct sim_dev *const *)b;

	return addr_cmp(&x->addr, &y->addr);
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- tokens ------------------------------------------------------------------------------- */

struct kv {
	const char *key;
	const char *value;
};

/* Split key=value tokens; reject unknown and repeated keys. @vals is indexed like @keys. */
static int split_kv(const struct parser *p, char **tok, size_t n_tok, const char *const *keys,
		    size_t n_keys, const char **vals, const char *what)
{
	for (size_t i = 0; i < n_tok; i++) {
		char *eq = strchr(tok[i], '=');
		size_t k;

		if (!eq || eq == tok[i])
			return perr(p, p->line, "expected key=value, got '%s'", tok[i]);
		*eq = '\0';
		for (k = 0; k < n_keys; k++)
			if (streq(keys[k], tok[i]))
				break;
		if (k == n_keys)
			return perr(p, p->line, "unknown %s key '%s'", what, tok[i]);
		if (vals[k])
			return perr(p, p->line, "key '%s' given twice", tok[i]);
		if (!eq[1])
			return perr(p, p->line, "empty value for key '%s'", tok[i]);
		vals[k] = eq + 1;
	}
	return 0;
}

/* ---- host, root, driver, mount, swap, route ------------------------------------------------ */

enum host_key {
	HK_NAME,
	HK_CPU,
	HK_CPUS,
	HK_NODES,
	HK_IOMMU,
	HK_IOMMU_TYPE,
	HK_VIRT,
	HK_NVME_MULTIPATH,
	HK_FIRMWARE_TABLE,
	HK_INTREMAP,
	HK_UNSAFE_INTERRUPTS,
	HK_VFIO,
	HK_HYPERVISOR,
	HK_KERNEL,
	_HK_MAX,
};

/* clang-format off */
static const char *const host_keys[_HK_MAX] = {
	[HK_NAME] = "name",
	[HK_CPU] = "cpu",
	[HK_CPUS] = "cpus",
	[HK_NODES] = "nodes",
	[HK_IOMMU] = "iommu",
	[HK_IOMMU_TYPE] = "iommu_type",
	[HK_VIRT] = "virt",
	[HK_NVME_MULTIPATH] = "nvme_multipath",
	[HK_FIRMWARE_TABLE] = "firmware_table",
	[HK_INTREMAP] = "intremap",
	[HK_UNSAFE_INTERRUPTS] = "unsafe_interrupts",
	[HK_VFIO] = "vfio",
	[HK_HYPERVISOR] = "hypervisor",
	[HK_KERNEL] = "kernel",
};
/* clang-format on */

static int parse_onoff(const char *s, bool *ret)
{
	if (streq(s, "on"))
		*ret = true;
	else if (streq(s, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

static int do_host(struct parser *p, char **tok, size_t n)
{
	struct sim_host *h = p->h;
	const char *v[_HK_MAX] = { 0 };
	unsigned u;
	int r;

	r = split_kv(p, tok, n, host_keys, _HK_MAX, v, "host");
	if (r < 0)
		return r;
	for (size_t k = 0; k < _HK_MAX; k++) {
		if (!v[k])
			continue;
		if (p->host_keys_seen[k])
			return perr(p, p->line, "host key '%s' set twice", host_keys[k]);
		p->host_keys_seen[k] = true;
	}
	if (v[HK_NAME]) {
		if (!valid_name(v[HK_NAME], 64, "-_."))
			return perr(p, p->line, "bad host name '%s'", v[HK_NAME]);
		free(h->name);
		h->name = strdup(v[HK_NAME]);
		if (!h->name)
			return -ENOMEM;
	}
	if (v[HK_CPU]) {
		if (streq(v[HK_CPU], "intel"))
			h->cpu_vendor = SIM_CPU_VENDOR_INTEL;
		else if (streq(v[HK_CPU], "amd"))
			h->cpu_vendor = SIM_CPU_VENDOR_AMD;
		else
			return perr(p, p->line, "cpu must be 'intel' or 'amd', not '%s'",
				    v[HK_CPU]);
	}
	if (v[HK_CPUS]) {
		if (parse_uint(v[HK_CPUS], 8192, &u) < 0 || u == 0)
			return perr(p, p->line, "cpus must be 1-8192, not '%s'", v[HK_CPUS]);
		h->cpus = u;
	}
	if (v[HK_NODES]) {
		if (parse_uint(v[HK_NODES], 64, &u) < 0 || u == 0)
			return perr(p, p->line, "nodes must be 1-64, not '%s'", v[HK_NODES]);
		h->nodes = u;
	}
	if (v[HK_IOMMU] && parse_onoff(v[HK_IOMMU], &h->iommu) < 0)
		return perr(p, p->line, "iommu must be 'on' or 'off', not '%s'", v[HK_IOMMU]);
	if (v[HK_IOMMU_TYPE]) {
		static const char *const types[] = { "DMA", "DMA-FQ", "identity", "blocked",
						     "unmanaged" };
		bool ok = false;

		for (size_t i = 0; i < ELEMENTSOF(types); i++)
			ok = ok || streq(types[i], v[HK_IOMMU_TYPE]);
		if (!ok)
			return perr(p, p->line, "unknown iommu_type '%s'", v[HK_IOMMU_TYPE]);
		free(h->iommu_type);
		h->iommu_type = strdup(v[HK_IOMMU_TYPE]);
		if (!h->iommu_type)
			return -ENOMEM;
	}
	if (v[HK_VIRT] && parse_onoff(v[HK_VIRT], &h->virt) < 0)
		return perr(p, p->line, "virt must be 'on' or 'off', not '%s'", v[HK_VIRT]);
	if (v[HK_NVME_MULTIPATH] && parse_onoff(v[HK_NVME_MULTIPATH], &h->nvme_multipath) < 0)
		return perr(p, p->line, "nvme_multipath must be 'on' or 'off', not '%s'",
			    v[HK_NVME_MULTIPATH]);
	if (v[HK_FIRMWARE_TABLE] && parse_onoff(v[HK_FIRMWARE_TABLE], &h->firmware_table) < 0)
		return perr(p, p->line, "firmware_table must be 'on' or 'off', not '%s'",
			    v[HK_FIRMWARE_TABLE]);
	if (v[HK_INTREMAP] && parse_onoff(v[HK_INTREMAP], &h->intremap) < 0)
		return perr(p, p->line, "intremap must be 'on' or 'off', not '%s'", v[HK_INTREMAP]);
	if (v[HK_UNSAFE_INTERRUPTS] &&
	    parse_onoff(v[HK_UNSAFE_INTERRUPTS], &h->unsafe_interrupts) < 0)
		return perr(p, p->line, "unsafe_interrupts must be 'on' or 'off', not '%s'",
			    v[HK_UNSAFE_INTERRUPTS]);
	if (v[HK_HYPERVISOR] && parse_onoff(v[HK_HYPERVISOR], &h->hypervisor) < 0)
		return perr(p, p->line, "hypervisor must be 'on' or 'off', not '%s'",
			    v[HK_HYPERVISOR]);
	if (v[HK_VFIO]) {
		if (streq(v[HK_VFIO], "loaded"))
			h->vfio = SIM_VFIO_LOADED;
		else if (streq(v[HK_VFIO], "builtin"))
			h->vfio = SIM_VFIO_BUILTIN;
		else if (streq(v[HK_VFIO], "absent"))
			h->vfio = SIM_VFIO_ABSENT;
		else if (streq(v[HK_VFIO], "missing"))
			h->vfio = SIM_VFIO_MISSING;
		else
			return perr(p, p->line,
				    "vfio must be 'loaded', 'builtin', 'absent' or 'missing', not '%s'",
				    v[HK_VFIO]);
	}
	if (v[HK_KERNEL]) {
		if (!valid_name(v[HK_KERNEL], 64, "-_.+") || streq(v[HK_KERNEL], ".") ||
		    streq(v[HK_KERNEL], ".."))
			return perr(p, p->line, "bad kernel release '%s'", v[HK_KERNEL]);
		free(h->kernel);
		h->kernel = strdup(v[HK_KERNEL]);
		if (!h->kernel)
			return -ENOMEM;
	}
	p->host_line = p->line;
	return 0;
}

static int do_root(struct parser *p, char **tok, size_t n)
{
	struct sim_host *h = p->h;
	struct sim_root *rt, *roots;
	unsigned dom, bus;
	int numa = -1;

	if (n < 1 || n > 2)
		return perr(p, p->line, "usage: root DDDD:BB [numa=N]");
	if (strlen(tok[0]) != 7 || tok[0][4] != ':' || parse_hex_exact(tok[0], 4, &dom) < 0 ||
	    parse_hex_exact(tok[0] + 5, 2, &bus) < 0)
		return perr(p, p->line, "bad root bus '%s' (expected DDDD:BB, lowercase hex)",
			    tok[0]);
	if (n == 2) {
		if (strncmp(tok[1], "numa=", 5) != 0)
			return perr(p, p->line, "unknown root key in '%s'", tok[1]);
		if (parse_int(tok[1] + 5, -1, 63, &numa) < 0)
			return perr(p, p->line, "bad numa '%s' (expected -1..63)", tok[1] + 5);
	}
	for (size_t i = 0; i < h->n_roots; i++)
		if (h->roots[i].domain == dom && h->roots[i].bus == bus)
			return perr(p, p->line, "root %s declared twice (first at line %d)", tok[0],
				    h->roots[i].line);
	roots = realloc(h->roots, (h->n_roots + 1) * sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	h->roots = roots;
	rt = &h->roots[h->n_roots];
	*rt = (struct sim_root){
		.domain = (uint16_t)dom,
		.bus = (uint8_t)bus,
		.numa = numa,
		.index = (int)h->n_roots,
		.line = p->line,
	};
	snprintf(rt->path, sizeof(rt->path), "devices/pci%04x:%02x", dom, bus);
	h->n_roots++;
	return 0;
}

static int add_driver(struct sim_host *h, const char *name)
{
	char **d;

	for (size_t i = 0; i < h->n_drivers; i++)
		if (streq(h->drivers[i], name))
			return 0;
	d = realloc(h->drivers, (h->n_drivers + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	h->drivers = d;
	h->drivers[h->n_drivers] = strdup(name);
	if (!h->drivers[h->n_drivers])
		return -ENOMEM;
	h->n_drivers++;
	return 0;
}

static bool valid_driver(const char *s)
{
	return valid_name(s, SIM_NAME_MAX - 1, "-_");
}

static int do_driver(struct parser *p, char **tok, size_t n)
{
	if (n != 1)
		return perr(p, p->line, "usage: driver NAME");
	if (!valid_driver(tok[0]))
		return perr(p, p->line, "bad driver name '%s'", tok[0]);
	return add_driver(p->h, tok[0]);
}

static int do_mount(struct parser *p, char **tok, size_t n)
{
	struct sim_host *h = p->h;
	struct sim_mount *m;

	if (n != 3)
		return perr(p, p->line, "usage: mount BLOCKDEV MOUNTPOINT FSTYPE");
	if (tok[1][0] != '/')
		return perr(p, p->line, "mount point '%s' is not absolute", tok[1]);
	if (!valid_name(tok[2], 16, "_"))
		return perr(p, p->line, "bad file system type '%s'", tok[2]);
	for (size_t i = 0; i < h->n_mounts; i++)
		if (streq(h->mounts[i].target, tok[1]))
			return perr(p, p->line, "'%s' mounted twice (first at line %d)", tok[1],
				    h->mounts[i].line);
	m = realloc(h->mounts, (h->n_mounts + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	h->mounts = m;
	m = &h->mounts[h->n_mounts++];
	*m = (struct sim_mount){ .line = p->line };
	m->source = strdup(tok[0]);
	m->target = strdup(tok[1]);
	m->fstype = strdup(tok[2]);
	if (!m->source || !m->target || !m->fstype)
		return -ENOMEM;
	return 0;
}

static int do_swap(struct parser *p, char **tok, size_t n)
{
	if (n != 1)
		return perr(p, p->line, "usage: swap BLOCKDEV|/PATH");
	if (p->h->swap)
		return perr(p, p->line, "swap given twice");
	p->h->swap = strdup(tok[0]);
	p->swap_line = p->line;
	return p->h->swap ? 0 : -ENOMEM;
}

static int do_route(struct parser *p, char **tok, size_t n)
{
	unsigned a[4];
	char end;

	if (n != 2)
		return perr(p, p->line, "usage: route IFACE GATEWAY");
	if (p->h->route_if)
		return perr(p, p->line, "route given twice");
	if (sscanf(tok[1], "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &end) != 4 || a[0] > 255 ||
	    a[1] > 255 || a[2] > 255 || a[3] > 255)
		return perr(p, p->line, "bad gateway '%s' (expected an IPv4 address)", tok[1]);
	for (int i = 0; i < 4; i++)
		p->h->gateway[i] = (uint8_t)a[i];
	p->h->route_if = strdup(tok[0]);
	p->route_line = p->line;
	return p->h->route_if ? 0 : -ENOMEM;
}

/* ---- dev ----------------------------------------------------------------------------------- */

enum dev_key {
	DK_ID,
	DK_SUB,
	DK_CLASS,
	DK_REV,
	DK_DRIVER,
	DK_OVERRIDE,
	DK_GROUP,
	DK_NUMA,
	DK_RESET,
	DK_BOOT_VGA,
	DK_IRQ,
	DK_SECONDARY,
	DK_PORT,
	DK_SRIOV,
	DK_NUMVFS,
	DK_VF_OFFSET,
	DK_VF_STRIDE,
	DK_VF_DEVICE,
	DK_VF_SUB,
	DK_VF_DRIVER,
	DK_VF_GROUP,
	DK_VF_RESET,
	DK_AUTOPROBE,
	DK_NVME,
	DK_SATA,
	DK_PARTS,
	DK_NET,
	DK_MAC,
	DK_MULTIFUNCTION,
	_DK_MAX,
};

/* clang-format off */
static const char *const dev_keys[_DK_MAX] = {
	[DK_ID] = "id",
	[DK_SUB] = "sub",
	[DK_CLASS] = "class",
	[DK_REV] = "rev",
	[DK_DRIVER] = "driver",
	[DK_OVERRIDE] = "override",
	[DK_GROUP] = "group",
	[DK_NUMA] = "numa",
	[DK_RESET] = "reset",
	[DK_BOOT_VGA] = "boot_vga",
	[DK_IRQ] = "irq",
	[DK_SECONDARY] = "secondary",
	[DK_PORT] = "port",
	[DK_SRIOV] = "sriov",
	[DK_NUMVFS] = "numvfs",
	[DK_VF_OFFSET] = "vf_offset",
	[DK_VF_STRIDE] = "vf_stride",
	[DK_VF_DEVICE] = "vf_device",
	[DK_VF_SUB] = "vf_sub",
	[DK_VF_DRIVER] = "vf_driver",
	[DK_VF_GROUP] = "vf_group",
	[DK_VF_RESET] = "vf_reset",
	[DK_AUTOPROBE] = "autoprobe",
	[DK_NVME] = "nvme",
	[DK_SATA] = "sata",
	[DK_PARTS] = "parts",
	[DK_NET] = "net",
	[DK_MAC] = "mac",
	[DK_MULTIFUNCTION] = "multifunction",
};
/* clang-format on */

/*
 * "flr,bus" -> "flr bus". The names are the kernel's pci_reset_fn_methods[] (pci.c); the order is
 * kept, since reset_method lists them in the order they are tried and writing it may reorder them.
 */
static int parse_reset(const struct parser *p, const char *s, char **ret)
{
	static const char *const methods[] = {
		"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus",
	};
	_cleanup_free_ char *out = NULL;
	char *save = NULL, *w;
	_cleanup_free_ char *copy = strdup(s);
	unsigned seen = 0;

	if (!copy)
		return -ENOMEM;
	if (streq(s, "-")) {
		*ret = NULL;
		return 0;
	}
	out = calloc(1, strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t m;

		for (m = 0; m < ELEMENTSOF(methods); m++)
			if (streq(methods[m], w))
				break;
		if (m == ELEMENTSOF(methods))
			return perr(p, p->line, "unknown reset method '%s'", w);
		if (seen & 1u << m)
			return perr(p, p->line, "reset method '%s' listed twice", w);
		seen |= 1u << m;
		if (*out)
			strcat(out, " ");
		strcat(out, w);
	}
	if (!*out)
		return perr(p, p->line, "empty reset method list");
	*ret = TAKE_PTR(out);
	return 0;
}

static int dup_driver(const struct parser *p, const char *key, const char *v, char **ret)
{
	if (streq(v, "-")) {
		*ret = NULL;
		return 0;
	}
	if (!valid_driver(v))
		return perr(p, p->line, "bad %s name '%s'", key, v);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

static int parse_group(const struct parser *p, const char *key, const char *v, int *ret)
{
	unsigned u;

	if (streq(v, "-")) {
		*ret = -1;
		return 0;
	}
	if (parse_uint(v, 1u << 20, &u) < 0)
		return perr(p, p->line, "bad %s '%s' (expected a number or '-')", key, v);
	*ret = (int)u;
	return 0;
}

static void sim_dev_free(struct sim_dev *d)
{
	if (!d)
		return;
	free(d->driver);
	free(d->override);
	free(d->reset);
	free(d->vf_driver);
	free(d->vf_reset);
	free(d->vfs);
	free(d->path);
	free(d);
}
DEFINE_FREEP(struct sim_dev, sim_dev_free)

static int do_dev(struct parser *p, char **tok, size_t n)
{
	struct sim_host *h = p->h;
	const char *v[_DK_MAX] = { 0 };
	_cleanup_(sim_dev_freep) struct sim_dev *d = NULL;
	unsigned u;
	int r;

	if (n < 1)
		return perr(p, p->line, "usage: dev DDDD:BB:DD.F key=value...");
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->line = p->line;
	d->group = -1;
	d->vf_group = -1;
	d->boot_vga = -1;
	d->numa = -2; /* inherit from the root complex */
	d->autoprobe = true;
	d->revision = 0x01;
	if (parse_addr(tok[0], &d->addr) < 0)
		return perr(
			p, p->line,
			"bad PCI address '%s' (expected DDDD:BB:DD.F, lowercase hex, slot <= 1f, function 0-7)",
			tok[0]);
	addr_format(&d->addr, d->name);

	r = split_kv(p, tok + 1, n - 1, dev_keys, _DK_MAX, v, "dev");
	if (r < 0)
		return r;

	if (!v[DK_ID] || !v[DK_CLASS])
		return perr(p, p->line, "dev %s needs id= and class=", d->name);
	if (parse_id_pair(v[DK_ID], &d->vendor, &d->device) < 0)
		return perr(p, p->line, "bad id '%s' (expected vvvv:dddd)", v[DK_ID]);
	if (d->vendor == 0xffff || d->vendor == 0x0000)
		return perr(p, p->line, "vendor 0x%04x is not a real vendor", d->vendor);
	d->sub_vendor = d->vendor;
	d->sub_device = d->device;
	if (v[DK_SUB] && parse_id_pair(v[DK_SUB], &d->sub_vendor, &d->sub_device) < 0)
		return perr(p, p->line, "bad sub '%s' (expected vvvv:dddd)", v[DK_SUB]);
	if (parse_0x(v[DK_CLASS], 6, &u) < 0)
		return perr(p, p->line, "bad class '%s' (expected 0x and 6 hex digits)",
			    v[DK_CLASS]);
	d->class = u;
	if (v[DK_REV]) {
		if (parse_0x(v[DK_REV], 2, &u) < 0)
			return perr(p, p->line, "bad rev '%s' (expected 0x and 2 hex digits)",
				    v[DK_REV]);
		d->revision = (uint8_t)u;
	}
	if (v[DK_DRIVER] && (r = dup_driver(p, "driver", v[DK_DRIVER], &d->driver)) < 0)
		return r;
	if (v[DK_OVERRIDE] && (r = dup_driver(p, "override", v[DK_OVERRIDE], &d->override)) < 0)
		return r;
	if (v[DK_GROUP] && (r = parse_group(p, "group", v[DK_GROUP], &d->group)) < 0)
		return r;
	if (v[DK_NUMA] && parse_int(v[DK_NUMA], -1, 63, &d->numa) < 0)
		return perr(p, p->line, "bad numa '%s' (expected -1..63)", v[DK_NUMA]);
	if (v[DK_RESET] && (r = parse_reset(p, v[DK_RESET], &d->reset)) < 0)
		return r;
	if ((d->class >> 8) == 0x0300) {
		d->boot_vga = 0;
		if (v[DK_BOOT_VGA]) {
			if (!streq(v[DK_BOOT_VGA], "0") && !streq(v[DK_BOOT_VGA], "1"))
				return perr(p, p->line, "boot_vga must be 0 or 1");
			d->boot_vga = v[DK_BOOT_VGA][0] - '0';
		}
	} else if (v[DK_BOOT_VGA]) {
		/* pci_dev_attrs_are_visible(): boot_vga exists only for VGA-class devices */
		return perr(p, p->line,
			    "boot_vga on class 0x%06x: only VGA devices (0x0300xx) have it",
			    d->class);
	}
	if (v[DK_IRQ]) {
		if (parse_uint(v[DK_IRQ], 65535, &u) < 0)
			return perr(p, p->line, "bad irq '%s'", v[DK_IRQ]);
		d->irq = u;
	} else {
		d->irq = ~0u; /* chosen later */
	}

	d->bridge = (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0609;
	if (d->bridge != !!v[DK_SECONDARY])
		return perr(
			p, p->line,
			d->bridge ?
				"bridge %s needs secondary=BB (its secondary bus)" :
				"secondary= on %s, which is not a bridge (class 0x0604xx/0x0609xx)",
			d->name);
	if (d->bridge) {
		if (strlen(v[DK_SECONDARY]) != 2 || parse_hex_exact(v[DK_SECONDARY], 2, &u) < 0)
			return perr(p, p->line,
				    "bad secondary '%s' (expected BB, 2 lowercase hex digits)",
				    v[DK_SECONDARY]);
		if (u <= d->addr.bus)
			return perr(p, p->line,
				    "secondary bus %02x of %s is not above its own bus %02x", u,
				    d->name, d->addr.bus);
		d->secondary = d->subordinate = (int)u;
	}
	if (v[DK_PORT]) {
		static const char *const ports[] = {
			[SIM_PORT_ROOT] = "root",
			[SIM_PORT_UPSTREAM] = "upstream",
			[SIM_PORT_DOWNSTREAM] = "downstream",
			[SIM_PORT_PCI_BRIDGE] = "pci-bridge",
		};

		if (!d->bridge)
			return perr(p, p->line, "port= on %s, which is not a bridge", d->name);
		for (size_t k = SIM_PORT_ROOT; k < ELEMENTSOF(ports); k++)
			if (streq(ports[k], v[DK_PORT]))
				d->port = (enum sim_port)k;
		if (d->port == SIM_PORT_NONE)
			return perr(
				p, p->line,
				"port must be root, upstream, downstream or pci-bridge, not '%s'",
				v[DK_PORT]);
	}

	if (v[DK_SRIOV]) {
		if (parse_uint(v[DK_SRIOV], 65535, &u) < 0 || u == 0)
			return perr(p, p->line, "bad sriov '%s' (expected TotalVFs, 1-65535)",
				    v[DK_SRIOV]);
		d->is_pf = true;
		d->total_vfs = u;
		d->vf_offset = 1;
		d->vf_stride = 1;
		d->vf_device = d->device;
		d->vf_group = -1;
		if (v[DK_NUMVFS] && parse_uint(v[DK_NUMVFS], 65535, &d->num_vfs) < 0)
			return perr(p, p->line, "bad numvfs '%s'", v[DK_NUMVFS]);
		if (d->num_vfs > d->total_vfs)
			return perr(p, p->line, "numvfs %u > sriov (TotalVFs) %u", d->num_vfs,
				    d->total_vfs);
		if (v[DK_VF_OFFSET] &&
		    (parse_uint(v[DK_VF_OFFSET], 65535, &d->vf_offset) < 0 || d->vf_offset == 0))
			return perr(p, p->line, "bad vf_offset '%s' (1-65535)", v[DK_VF_OFFSET]);
		if (v[DK_VF_STRIDE] &&
		    (parse_uint(v[DK_VF_STRIDE], 65535, &d->vf_stride) < 0 || d->vf_stride == 0))
			return perr(p, p->line, "bad vf_stride '%s' (1-65535)", v[DK_VF_STRIDE]);
		if (v[DK_VF_DEVICE]) {
			if (strlen(v[DK_VF_DEVICE]) != 4 ||
			    parse_hex_exact(v[DK_VF_DEVICE], 4, &u) < 0)
				return perr(p, p->line, "bad vf_device '%s' (expected dddd)",
					    v[DK_VF_DEVICE]);
			d->vf_device = (uint16_t)u;
		}
		if (v[DK_VF_SUB]) {
			if (parse_id_pair(v[DK_VF_SUB], &d->vf_sub_vendor, &d->vf_sub_device) < 0)
				return perr(p, p->line, "bad vf_sub '%s' (expected vvvv:dddd)",
					    v[DK_VF_SUB]);
			d->vf_sub_set = true;
		}
		if (v[DK_AUTOPROBE]) {
			if (!streq(v[DK_AUTOPROBE], "0") && !streq(v[DK_AUTOPROBE], "1"))
				return perr(p, p->line, "autoprobe must be 0 or 1");
			d->autoprobe = v[DK_AUTOPROBE][0] == '1';
		}
		if (v[DK_VF_DRIVER] &&
		    (r = dup_driver(p, "vf_driver", v[DK_VF_DRIVER], &d->vf_driver)) < 0)
			return r;
		if (v[DK_VF_GROUP] &&
		    (r = parse_group(p, "vf_group", v[DK_VF_GROUP], &d->vf_group)) < 0)
			return r;
		if (v[DK_VF_RESET]) {
			r = parse_reset(p, v[DK_VF_RESET], &d->vf_reset);
			if (r < 0)
				return r;
		} else {
			d->vf_reset = strdup("flr"); /* every SR-IOV VF must support FLR */
			if (!d->vf_reset)
				return -ENOMEM;
		}
	} else {
		static const enum dev_key pf_only[] = { DK_NUMVFS,    DK_VF_OFFSET, DK_VF_STRIDE,
							DK_VF_DEVICE, DK_VF_SUB,    DK_VF_DRIVER,
							DK_VF_GROUP,  DK_VF_RESET,  DK_AUTOPROBE };

		for (size_t i = 0; i < ELEMENTSOF(pf_only); i++)
			if (v[pf_only[i]])
				return perr(p, p->line, "%s= needs sriov=TOTALVFS on the same line",
					    dev_keys[pf_only[i]]);
	}

	if (!!v[DK_NVME] + !!v[DK_SATA] + !!v[DK_NET] > 1)
		return perr(p, p->line, "at most one of nvme=, sata=, net= per function");
	if (v[DK_NVME]) {
		if (strncmp(v[DK_NVME], "nvme", 4) != 0 || parse_uint(v[DK_NVME] + 4, 999, &u) < 0)
			return perr(p, p->line, "bad nvme '%s' (expected nvmeN)", v[DK_NVME]);
		snprintf(d->nvme, sizeof(d->nvme), "%s", v[DK_NVME]);
	}
	if (v[DK_SATA]) {
		const char *s = v[DK_SATA];

		if (strlen(s) != 3 || s[0] != 's' || s[1] != 'd' || s[2] < 'a' || s[2] > 'p')
			return perr(p, p->line, "bad sata '%s' (expected sda..sdp)", s);
		snprintf(d->sata, sizeof(d->sata), "%s", s);
	}
	if (v[DK_PARTS]) {
		if (!v[DK_NVME] && !v[DK_SATA])
			return perr(p, p->line, "parts= needs nvme= or sata=");
		if (parse_uint(v[DK_PARTS], 15, &d->parts) < 0)
			return perr(p, p->line, "bad parts '%s' (0-15)", v[DK_PARTS]);
	} else if (v[DK_NVME] || v[DK_SATA]) {
		d->parts = v[DK_NVME] ? 3 : 1;
	}
	if (v[DK_NET]) {
		if (!valid_name(v[DK_NET], 15, "_.-") || streq(v[DK_NET], "lo"))
			return perr(p, p->line, "bad net interface name '%s'", v[DK_NET]);
		snprintf(d->net, sizeof(d->net), "%s", v[DK_NET]);
	}
	if (v[DK_MAC]) {
		unsigned m[6];
		char end;

		if (!v[DK_NET])
			return perr(p, p->line, "mac= needs net=");
		if (strlen(v[DK_MAC]) != 17 || sscanf(v[DK_MAC], "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0],
						      &m[1], &m[2], &m[3], &m[4], &m[5], &end) != 6)
			return perr(p, p->line, "bad mac '%s' (expected xx:xx:xx:xx:xx:xx)",
				    v[DK_MAC]);
		snprintf(d->mac, sizeof(d->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
	}
	/*
	 * The Header Type's multi-function bit. Function 0 gets it when its slot has others (see
	 * finish()); functions > 0 mostly carry it too, but need not (QEMU's edu added at function
	 * 1 does not), and the kernel's group for a hot-added function depends on it.
	 */
	if ((d->addr.devfn & 7) != 0)
		d->multifunction = true;
	if (v[DK_MULTIFUNCTION]) {
		if ((d->addr.devfn & 7) == 0)
			return perr(p, p->line, "multifunction= is for functions > 0 (function 0 has "
					       "the bit when its slot has other functions)");
		if (!streq(v[DK_MULTIFUNCTION], "0") && !streq(v[DK_MULTIFUNCTION], "1"))
			return perr(p, p->line, "multifunction must be 0 or 1");
		d->multifunction = v[DK_MULTIFUNCTION][0] == '1';
	}

	h->devs = xgrow(h->devs, &p->n_devs_alloc, h->n_devs + 1, sizeof(*h->devs));
	if (!h->devs)
		return -ENOMEM;
	h->devs[h->n_devs++] = TAKE_PTR(d);
	return 0;
}

/* ---- reading the file ---------------------------------------------------------------------- */

/* Cut a comment: '#' at the start or after whitespace. */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '#' && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_rest(const struct parser *p, const char *rest, const char *what, char **field)
{
	if (!*rest)
		return perr(p, p->line, "%s needs text", what);
	if (*field)
		return perr(p, p->line, "%s given twice", what);
	*field = strdup(rest);
	return *field ? 0 : -ENOMEM;
}

static int do_line(struct parser *p, char *s)
{
	char *tok[MAX_TOKENS];
	size_t n = 0;
	char *save = NULL, *rest;
	const char *kw;

	/* directives that take the rest of the line verbatim */
	rest = s + strcspn(s, " \t");
	rest = strip(rest);
	if (strncmp(s, "cmdline", 7) == 0 && (s[7] == ' ' || s[7] == '\t' || !s[7]))
		return set_rest(p, rest, "cmdline", &p->h->cmdline);
	if (strncmp(s, "cpu_model", 9) == 0 && (s[9] == ' ' || s[9] == '\t' || !s[9]))
		return set_rest(p, rest, "cpu_model", &p->h->cpu_model);

	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_TOKENS)
			return perr(p, p->line, "too many words on one line (at most %d)",
				    MAX_TOKENS);
		tok[n++] = t;
	}
	kw = tok[0];
	if (streq(kw, "host"))
		return do_host(p, tok + 1, n - 1);
	if (streq(kw, "root"))
		return do_root(p, tok + 1, n - 1);
	if (streq(kw, "dev"))
		return do_dev(p, tok + 1, n - 1);
	if (streq(kw, "driver"))
		return do_driver(p, tok + 1, n - 1);
	if (streq(kw, "mount"))
		return do_mount(p, tok + 1, n - 1);
	if (streq(kw, "swap"))
		return do_swap(p, tok + 1, n - 1);
	if (streq(kw, "route"))
		return do_route(p, tok + 1, n - 1);
	return perr(p, p->line, "unknown directive '%s'", kw);
}

static int read_profile(struct parser *p, FILE *f)
{
	_cleanup_free_ char *buf = NULL, *logical = NULL;
	size_t cap = 0, lcap = 0, llen = 0;
	int lineno = 0, start = 0;
	ssize_t len;

	while ((len = getline(&buf, &cap, f)) >= 0) {
		char *s;
		bool cont;

		lineno++;
		if (memchr(buf, '\0', (size_t)len))
			return perr(p, lineno, "NUL byte in profile");
		strip_comment(buf);
		s = strip(buf);
		cont = *s && s[strlen(s) - 1] == '\\';
		if (cont)
			s[strlen(s) - 1] = ' ';
		if (llen == 0)
			start = lineno;
		if (llen + strlen(s) + 2 > lcap) {
			char *q;

			lcap = (llen + strlen(s) + 2) * 2;
			q = realloc(logical, lcap);
			if (!q)
				return -ENOMEM;
			logical = q;
		}
		memcpy(logical + llen, s, strlen(s) + 1);
		llen += strlen(s);
		if (cont) {
			continue;
		}
		if (llen > 0) {
			int r;

			p->line = start;
			r = do_line(p, strip(logical));
			if (r < 0)
				return r;
		}
		llen = 0;
	}
	if (ferror(f))
		return perr(p, 0, "read error: %m");
	if (llen > 0)
		return perr(p, start, "line continued with '\\' at the end of the file");
	return 0;
}

/* ---- derivation and validation ------------------------------------------------------------- */

struct sim_dev *simprof_find(const struct sim_host *h, const struct sim_addr *a)
{
	size_t lo = 0, hi = h->n_devs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&h->devs[mid]->addr, a);

		if (c == 0)
			return h->devs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sim_blockdev *simprof_find_blockdev(const struct sim_host *h, const char *name)
{
	for (size_t i = 0; i < h->n_blockdevs; i++)
		if (streq(h->blockdevs[i].name, name))
			return &h->blockdevs[i];
	return NULL;
}

unsigned simprof_path_depth(const char *path)
{
	unsigned n = *path ? 1 : 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

/* Who owns bus @bus in @domain: a root complex, a bridge (by secondary bus), or nobody. */
struct bus_owner {
	uint32_t key; /* domain << 8 | bus */
	struct sim_root *root;
	struct sim_dev *bridge;
};

static int owner_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct bus_owner *)a)->key, y = ((const struct bus_owner *)b)->key;

	return x < y ? -1 : x > y ? 1 : 0;
}

static struct bus_owner *find_owner(struct bus_owner *o, size_t n, uint16_t domain, uint8_t bus)
{
	struct bus_owner k = { .key = (uint32_t)domain << 8 | bus };

	return bsearch(&k, o, n, sizeof(*o), owner_cmp);
}

static int build_path(struct sim_dev *d)
{
	const char *base;
	size_t len;

	if (d->path)
		return 0;
	if (d->parent) {
		int r = build_path(d->parent);
		if (r < 0)
			return r;
		base = d->parent->path;
	} else {
		base = d->root->path;
	}
	len = strlen(base) + 1 + strlen(d->name) + 1;
	d->path = malloc(len);
	if (!d->path)
		return -ENOMEM;
	snprintf(d->path, len, "%s/%s", base, d->name);
	return 0;
}

static bool is_ancestor(const struct sim_dev *anc, const struct sim_dev *d)
{
	for (const struct sim_dev *x = d->parent; x; x = x->parent)
		if (x == anc)
			return true;
	return false;
}

struct sim_dev *simprof_vf_new(const struct sim_dev *pf, unsigned k)
{
	unsigned rid = (unsigned)pf->addr.bus << 8 | pf->addr.devfn;
	unsigned vrid = rid + pf->vf_offset + pf->vf_stride * k;
	_cleanup_(sim_dev_freep) struct sim_dev *vf = NULL;

	if (vrid > 0xffff)
		return NULL;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return NULL;
	vf->addr.domain = pf->addr.domain;
	vf->addr.bus = (uint8_t)(vrid >> 8);
	vf->addr.devfn = (uint8_t)(vrid & 0xff);
	addr_format(&vf->addr, vf->name);
	vf->line = pf->line;
	vf->vendor = pf->vendor;
	vf->device = pf->vf_device;
	vf->sub_vendor = pf->vf_sub_set ? pf->vf_sub_vendor : pf->sub_vendor;
	vf->sub_device = pf->vf_sub_set ? pf->vf_sub_device : pf->sub_device;
	vf->class = pf->class;
	vf->revision = pf->revision;
	vf->numa = pf->numa;
	vf->boot_vga = -1;
	vf->irq = 0; /* VFs have no INTx */
	vf->group = -1;
	vf->vf_group = -1;
	vf->physfn = (struct sim_dev *)pf;
	vf->vf_index = k;
	vf->root = pf->root;
	vf->parent = pf->parent;
	vf->conventional = pf->conventional;
	if (pf->autoprobe && pf->vf_driver) {
		vf->driver = strdup(pf->vf_driver);
		if (!vf->driver)
			return NULL;
	}
	if (pf->vf_reset) {
		vf->reset = strdup(pf->vf_reset);
		if (!vf->reset)
			return NULL;
	}
	return TAKE_PTR(vf);
}

void simprof_dev_free(struct sim_dev *d)
{
	sim_dev_free(d);
}

static int expand_vfs(struct parser *p, size_t *alloc)
{
	struct sim_host *h = p->h;
	size_t n_explicit = h->n_devs;

	for (size_t i = 0; i < n_explicit; i++) {
		struct sim_dev *pf = h->devs[i];
		unsigned rid = (unsigned)pf->addr.bus << 8 | pf->addr.devfn;

		if (!pf->is_pf || pf->num_vfs == 0)
			continue;
		pf->vfs = calloc(pf->num_vfs, sizeof(*pf->vfs));
		if (!pf->vfs)
			return -ENOMEM;
		for (unsigned k = 0; k < pf->num_vfs; k++) {
			unsigned vrid = rid + pf->vf_offset + pf->vf_stride * k;
			struct sim_dev *vf;

			if (vrid > 0xffff)
				return perr(p, pf->line,
					    "VF %u of %s would be past bus ff (routing ID 0x%x)", k,
					    pf->name, vrid);
			vf = simprof_vf_new(pf, k);
			if (!vf)
				return -ENOMEM;
			pf->vfs[k] = vf;
			h->devs = xgrow(h->devs, alloc, h->n_devs + 1, sizeof(*h->devs));
			if (!h->devs) {
				sim_dev_free(vf);
				return -ENOMEM;
			}
			h->devs[h->n_devs++] = vf;
		}
	}
	return 0;
}

static int assign_groups(struct parser *p)
{
	struct sim_host *h = p->h;
	_cleanup_free_ unsigned *count = NULL;
	size_t n_used = 0;
	int next = 0;

	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		if (d->physfn)
			continue;
		if (!h->iommu && (d->group >= 0 || d->vf_group >= 0))
			return perr(p, d->line, "%s has an IOMMU group but the host has iommu=off",
				    d->name);
		if (h->iommu && d->group < 0)
			return perr(
				p, d->line,
				"%s has no group= (every function has an IOMMU group when iommu=on)",
				d->name);
		if (d->group >= next)
			next = d->group + 1;
		if (d->vf_group >= 0 && d->vf_group + (int)d->num_vfs > next)
			next = d->vf_group + (int)d->num_vfs;
	}
	if (!h->iommu)
		return 0;

	/* explicit VF group ranges first, so automatic ones go after everything explicit */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *pf = h->devs[i];

		if (!pf->is_pf)
			continue;
		for (unsigned k = 0; k < pf->num_vfs; k++)
			if (pf->vf_group >= 0)
				pf->vfs[k]->group = pf->vf_group + (int)k;
	}
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *pf = h->devs[i];

		if (!pf->is_pf || pf->vf_group >= 0)
			continue;
		for (unsigned k = 0; k < pf->num_vfs; k++)
			pf->vfs[k]->group = next++;
	}

	/* a VF group holds exactly one VF; nothing else may claim its number */
	count = calloc((size_t)next + 1, sizeof(*count));
	if (!count)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_devs; i++)
		if (h->devs[i]->group >= 0 && count[h->devs[i]->group]++ == 0)
			n_used++;
	for (size_t i = 0; i < h->n_devs; i++) {
		const struct sim_dev *d = h->devs[i];

		if (d->physfn && count[d->group] > 1)
			return perr(
				p, d->line,
				"group %d of VF %s (vf_group of %s) is shared with another function",
				d->group, d->name, d->physfn->name);
	}
	h->n_groups = (int)n_used;
	return 0;
}

static int assign_blockdevs(struct parser *p)
{
	struct sim_host *h = p->h;
	_cleanup_free_ struct sim_dev **nv = NULL;
	size_t n_nv = 0, n_bd = 0;
	unsigned minor = 0;

	nv = calloc(h->n_devs + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		if (d->nvme[0] || d->sata[0])
			n_bd += 1 + d->parts;
		if (d->nvme[0])
			nv[n_nv++] = d;
	}
	h->blockdevs = calloc(n_bd + 1, sizeof(*h->blockdevs));
	if (!h->blockdevs)
		return -ENOMEM;

	/* NVMe namespaces and partitions share the dynamic block major 259 (blkext), numbered in
	 * probe order; controllers probe in nvmeN order here. */
	for (size_t i = 0; i < n_nv; i++)
		for (size_t j = i + 1; j < n_nv; j++) {
			unsigned a = (unsigned)atoi(nv[i]->nvme + 4),
				 b = (unsigned)atoi(nv[j]->nvme + 4);

			if (a == b)
				return perr(p, nv[j]->line, "%s used twice (also at line %d)",
					    nv[j]->nvme, nv[i]->line);
			if (a > b) {
				struct sim_dev *t = nv[i];
				nv[i] = nv[j];
				nv[j] = t;
			}
		}
	for (size_t i = 0; i < n_nv; i++) {
		struct sim_dev *d = nv[i];

		for (unsigned k = 0; k <= d->parts; k++) {
			struct sim_blockdev *b = &h->blockdevs[h->n_blockdevs++];

			if (k == 0)
				snprintf(b->name, sizeof(b->name), "%sn1", d->nvme);
			else
				snprintf(b->name, sizeof(b->name), "%sn1p%u", d->nvme, k);
			b->major = 259;
			b->minor = minor++;
			b->partition = k;
			b->sectors = k == 0 ? 1953525168ull : 1953525168ull / (d->parts + 1);
			b->dev = d;
		}
	}
	/* SCSI disks: major 8, 16 minors per disk (sd.c) */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		if (!d->sata[0])
			continue;
		if (simprof_find_blockdev(h, d->sata))
			return perr(p, d->line, "%s used twice", d->sata);
		for (unsigned k = 0; k <= d->parts; k++) {
			struct sim_blockdev *b = &h->blockdevs[h->n_blockdevs++];

			if (k == 0)
				snprintf(b->name, sizeof(b->name), "%s", d->sata);
			else
				snprintf(b->name, sizeof(b->name), "%s%u", d->sata, k);
			b->major = 8;
			b->minor = (unsigned)(d->sata[2] - 'a') * 16 + k;
			b->partition = k;
			b->sectors = k == 0 ? 3907029168ull : 3907029168ull / (d->parts + 1);
			b->dev = d;
		}
	}
	return 0;
}

static int finish(struct parser *p)
{
	struct sim_host *h = p->h;
	_cleanup_free_ struct bus_owner *own = NULL;
	_cleanup_free_ struct sim_dev **bridges = NULL;
	size_t n_own = 0, n_bridges = 0, alloc = p->n_devs_alloc;
	int max_numa = -1, ifindex = 2, r;
	unsigned boot_vga_line = 0;

	if (h->n_roots == 0)
		return perr(p, 0, "no root complex: add a line 'root 0000:00'");
	if (h->n_devs == 0)
		return perr(p, 0, "no PCI functions: add 'dev' lines");
	/* Without the ACPI table the kernel finds no IOMMU (dmar_table_init(), amd_iommu_detect()) */
	if (h->iommu && !h->firmware_table)
		return perr(p, p->host_line,
			    "firmware_table=off needs iommu=off: without a DMAR/IVRS table no IOMMU comes up");
	if (h->unsafe_interrupts && h->vfio != SIM_VFIO_LOADED && h->vfio != SIM_VFIO_BUILTIN)
		return perr(p, p->host_line,
			    "unsafe_interrupts=on is a vfio_iommu_type1 parameter: it needs vfio=loaded or builtin");
	if (h->vfio != SIM_VFIO_LOADED && h->vfio != SIM_VFIO_BUILTIN)
		for (size_t i = 0; i < h->n_devs; i++) {
			const struct sim_dev *d = h->devs[i];
			if ((d->driver && streq(d->driver, "vfio-pci")) ||
			    (d->override && streq(d->override, "vfio-pci")) ||
			    (d->vf_driver && streq(d->vf_driver, "vfio-pci")))
				return perr(p, d->line,
					    "%s uses vfio-pci, but the host has vfio=absent/missing",
					    d->name);
		}

	/* duplicates among the explicit functions */
	qsort(h->devs, h->n_devs, sizeof(*h->devs), devp_cmp);
	for (size_t i = 1; i < h->n_devs; i++)
		if (addr_cmp(&h->devs[i - 1]->addr, &h->devs[i]->addr) == 0) {
			const struct sim_dev *a = h->devs[i - 1], *b = h->devs[i];
			return perr(p, a->line > b->line ? a->line : b->line,
				    "duplicate address %s (also at line %d)", a->name,
				    a->line > b->line ? b->line : a->line);
		}

	/* bus owners */
	own = calloc(h->n_roots + h->n_devs, sizeof(*own));
	bridges = calloc(h->n_devs + 1, sizeof(*bridges));
	if (!own || !bridges)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_roots; i++)
		own[n_own++] = (struct bus_owner){
			.key = (uint32_t)h->roots[i].domain << 8 | h->roots[i].bus,
			.root = &h->roots[i],
		};
	for (size_t i = 0; i < h->n_devs; i++)
		if (h->devs[i]->bridge) {
			bridges[n_bridges++] = h->devs[i];
			own[n_own++] = (struct bus_owner){
				.key = (uint32_t)h->devs[i]->addr.domain << 8 |
				       (uint32_t)h->devs[i]->secondary,
				.bridge = h->devs[i],
			};
		}
	qsort(own, n_own, sizeof(*own), owner_cmp);
	for (size_t i = 1; i < n_own; i++)
		if (own[i - 1].key == own[i].key) {
			const struct bus_owner *a = &own[i - 1], *b = &own[i];
			int la = a->root ? a->root->line : a->bridge->line;
			int lb = b->root ? b->root->line : b->bridge->line;

			return perr(p, la > lb ? la : lb,
				    "bus %04x:%02x is claimed twice (also at line %d)",
				    (unsigned)(a->key >> 8), (unsigned)(a->key & 0xff),
				    la > lb ? lb : la);
		}

	/* parents, roots, NUMA */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];
		struct bus_owner *o = find_owner(own, n_own, d->addr.domain, d->addr.bus);

		if (!o)
			return perr(p, d->line,
				    "%s: no root complex or bridge leads to bus %04x:%02x", d->name,
				    d->addr.domain, d->addr.bus);
		d->parent = o->bridge;
		d->root = o->root;
	}
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];
		struct sim_dev *x = d;

		while (!x->root)
			x = x->parent;
		d->root = x->root;
		if (d->numa == -2)
			d->numa = d->root->numa;
		if (d->numa > max_numa)
			max_numa = d->numa;
	}
	for (size_t i = 0; i < h->n_roots; i++)
		if (h->roots[i].numa > max_numa)
			max_numa = h->roots[i].numa;
	if (h->nodes == 0)
		h->nodes = max_numa < 0 ? 1 : (unsigned)max_numa + 1;
	else if (max_numa >= (int)h->nodes)
		return perr(p, 0, "NUMA node %d used but the host has nodes=%u", max_numa,
			    h->nodes);
	if (h->cpus < h->nodes)
		return perr(p, 0, "cpus=%u is fewer than the %u NUMA nodes", h->cpus, h->nodes);

	/*
	 * Bridge kinds, in address order so a parent comes first: on a root bus a root port, below
	 * a switch upstream port a downstream port, below anything else an upstream port. The
	 * pcieport driver only binds PCI Express ports (pcie_portdrv_probe()).
	 */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		d->conventional = d->parent && (d->parent->port == SIM_PORT_PCI_BRIDGE ||
						d->parent->conventional);
		if (!d->bridge || d->port != SIM_PORT_NONE)
			continue;
		if (d->conventional)
			d->port = SIM_PORT_PCI_BRIDGE;
		else if (!d->parent)
			d->port = SIM_PORT_ROOT;
		else if (d->parent->port == SIM_PORT_UPSTREAM)
			d->port = SIM_PORT_DOWNSTREAM;
		else
			d->port = SIM_PORT_UPSTREAM;
	}
	for (size_t i = 0; i < h->n_devs; i++) {
		const struct sim_dev *d = h->devs[i];

		if (d->driver && streq(d->driver, "pcieport") &&
		    (d->port == SIM_PORT_NONE || d->port == SIM_PORT_PCI_BRIDGE))
			return perr(p, d->line,
				    "pcieport binds only PCI Express ports, and %s is not one",
				    d->name);
	}

	/* function 0 must exist for the others to be found (pci_scan_slot()) */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];
		struct sim_addr f0 = d->addr;
		struct sim_dev *z;

		if ((d->addr.devfn & 7) == 0)
			continue;
		f0.devfn &= (uint8_t)~7;
		z = simprof_find(h, &f0);
		if (!z)
			return perr(
				p, d->line,
				"%s has no function 0 in its slot, so the kernel would never find it",
				d->name);
		z->multifunction = true;
	}

	/* SR-IOV: create VFs, then check their addresses */
	r = expand_vfs(p, &alloc);
	if (r < 0)
		return r;
	qsort(h->devs, h->n_devs, sizeof(*h->devs), devp_cmp);
	for (size_t i = 1; i < h->n_devs; i++)
		if (addr_cmp(&h->devs[i - 1]->addr, &h->devs[i]->addr) == 0) {
			const struct sim_dev *a = h->devs[i - 1], *b = h->devs[i];
			const struct sim_dev *vf = a->physfn ? a : b, *other = a->physfn ? b : a;

			return perr(p, vf->line, "VF %u of %s at %s collides with %s%s (line %d)",
				    vf->vf_index, vf->physfn->name, vf->name,
				    other->physfn ? "a VF of " : "the function at line ",
				    other->physfn ? other->physfn->name : "", other->line);
		}
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];
		struct bus_owner *o;

		if (!d->physfn || d->addr.bus == d->physfn->addr.bus)
			continue;
		o = find_owner(own, n_own, d->addr.domain, d->addr.bus);
		if (o)
			return perr(p, d->line,
				    "VF %u of %s lands on bus %02x, which belongs to %s",
				    d->vf_index, d->physfn->name, d->addr.bus,
				    o->root ? "a root complex" : o->bridge->name);
	}

	/* bus ranges: subordinate covers every bus below; ranges nest without overlapping */
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		for (struct sim_dev *x = d->parent; x; x = x->parent)
			if (x->subordinate < d->addr.bus)
				x->subordinate = d->addr.bus;
		for (struct sim_dev *x = d->bridge ? d->parent : NULL; x; x = x->parent)
			if (x->subordinate < d->secondary)
				x->subordinate = d->secondary;
	}
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		for (size_t b = 0; b < n_bridges; b++) {
			struct sim_dev *br = bridges[b];

			if (br->addr.domain != d->addr.domain || d->addr.bus < br->secondary ||
			    d->addr.bus > br->subordinate || is_ancestor(br, d))
				continue;
			return perr(
				p, d->line,
				"%s sits on bus %02x, inside the bus range %02x-%02x of %s (line %d), but not below it",
				d->name, d->addr.bus, br->secondary, br->subordinate, br->name,
				br->line);
		}
	}
	for (size_t i = 0; i < h->n_roots; i++)
		for (size_t b = 0; b < n_bridges; b++)
			if (bridges[b]->addr.domain == h->roots[i].domain &&
			    h->roots[i].bus >= bridges[b]->secondary &&
			    h->roots[i].bus <= bridges[b]->subordinate)
				return perr(p, h->roots[i].line,
					    "root bus %02x lies inside the bus range of %s",
					    h->roots[i].bus, bridges[b]->name);

	for (size_t i = 0; i < h->n_devs; i++) {
		r = build_path(h->devs[i]);
		if (r < 0)
			return r;
	}

	r = assign_groups(p);
	if (r < 0)
		return r;

	/* drivers, boot VGA, irq, interfaces */
	/* vfio-pci exists only while its module is loaded or built in */
	r = h->vfio == SIM_VFIO_LOADED || h->vfio == SIM_VFIO_BUILTIN ? add_driver(h, "vfio-pci") :
									  0;
	if (r >= 0)
		r = add_driver(h, "pcieport");
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->n_devs; i++) {
		struct sim_dev *d = h->devs[i];

		if (d->driver && (r = add_driver(h, d->driver)) < 0)
			return r;
		if (d->boot_vga == 1) {
			if (boot_vga_line)
				return perr(p, d->line, "a second boot_vga=1 (first at line %u)",
					    boot_vga_line);
			boot_vga_line = (unsigned)d->line;
		}
		if (d->irq == ~0u) {
			/* an MSI vector when a driver is bound, else the INTx line the BIOS routed
			 */
			d->irq = d->driver ? 120 + (unsigned)i % 400 :
					     16 + (unsigned)((d->addr.devfn >> 3) +
							     (d->addr.devfn & 7)) %
							     4;
		}
		if (d->net[0]) {
			for (size_t j = 0; j < i; j++)
				if (streq(h->devs[j]->net, d->net))
					return perr(p, d->line,
						    "interface %s used twice (also at line %d)",
						    d->net, h->devs[j]->line);
			d->ifindex = ifindex++;
			if (!d->mac[0])
				snprintf(d->mac, sizeof(d->mac), "3c:ec:ef:%02x:%02x:%02x",
					 d->addr.domain & 0xff, d->addr.bus, d->addr.devfn);
		}
	}
	qsort(h->drivers, h->n_drivers, sizeof(*h->drivers), strp_cmp);

	r = assign_blockdevs(p);
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->n_mounts; i++)
		if (!simprof_find_blockdev(h, h->mounts[i].source))
			return perr(
				p, h->mounts[i].line,
				"mount source '%s' is not a block device of this host (nvme=/sata= create them)",
				h->mounts[i].source);
	if (h->swap && h->swap[0] != '/' && !simprof_find_blockdev(h, h->swap))
		return perr(p, p->swap_line,
			    "swap '%s' is neither an absolute path nor a block device of this host",
			    h->swap);
	if (h->route_if) {
		bool found = false;

		for (size_t i = 0; i < h->n_devs; i++)
			found = found || streq(h->devs[i]->net, h->route_if);
		if (!found)
			return perr(p, p->route_line, "route via '%s': no function has net=%s",
				    h->route_if, h->route_if);
	}
	return 0;
}

static int set_defaults(struct sim_host *h)
{
	if (!h->name && !(h->name = strdup("sim")))
		return -ENOMEM;
	if (!h->iommu_type && !(h->iommu_type = strdup("DMA")))
		return -ENOMEM;
	if (!h->cpu_model) {
		h->cpu_model = strdup(h->cpu_vendor == SIM_CPU_VENDOR_AMD ?
					      "AMD EPYC 7763 64-Core Processor" :
					      "Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz");
		if (!h->cpu_model)
			return -ENOMEM;
	}
	if (!h->kernel && !(h->kernel = strdup("6.1.0-13-amd64")))
		return -ENOMEM;
	if (!h->cmdline) {
		char buf[512];
		const char *root = "/dev/sda1";

		for (size_t i = 0; i < h->n_mounts; i++)
			if (streq(h->mounts[i].target, "/"))
				root = h->mounts[i].source;
		snprintf(buf, sizeof(buf), "BOOT_IMAGE=/vmlinuz root=%s%s ro%s",
			 root[0] == '/' ? "" : "/dev/", root,
			 !h->iommu			     ? "" :
			 h->cpu_vendor == SIM_CPU_VENDOR_AMD ? " amd_iommu=on iommu=pt" :
							       " intel_iommu=on iommu=pt");
		h->cmdline = strdup(buf);
		if (!h->cmdline)
			return -ENOMEM;
	}
	return 0;
}

void simprof_free(struct sim_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_devs; i++)
		sim_dev_free(h->devs[i]);
	free(h->devs);
	for (size_t i = 0; i < h->n_drivers; i++)
		free(h->drivers[i]);
	free(h->drivers);
	for (size_t i = 0; i < h->n_mounts; i++) {
		free(h->mounts[i].source);
		free(h->mounts[i].target);
		free(h->mounts[i].fstype);
	}
	free(h->mounts);
	free(h->blockdevs);
	free(h->roots);
	free(h->file);
	free(h->name);
	free(h->iommu_type);
	free(h->cmdline);
	free(h->cpu_model);
	free(h->kernel);
	free(h->swap);
	free(h->route_if);
	free(h);
}

int simprof_load(const char *path, FILE *errf, struct sim_host **ret)
{
	_cleanup_(simprof_freep) struct sim_host *h = NULL;
	struct parser p = { .errf = errf, .file = path };
	FILE *f;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cpu_vendor = SIM_CPU_VENDOR_INTEL;
	h->cpus = 8;
	h->iommu = true;
	h->virt = true;
	h->firmware_table = true;
	h->intremap = true;
	h->vfio = SIM_VFIO_LOADED;
	h->file = strdup(path);
	if (!h->file)
		return -ENOMEM;
	p.h = h;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		fprintf(errf, "%s: cannot open: %s\n", path, strerror(-r));
		return r;
	}
	r = read_profile(&p, f);
	fclose(f);
	if (r < 0)
		return r;
	r = finish(&p);
	if (r < 0)
		return r;
	r = set_defaults(h);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(h);
	return 0;
}
