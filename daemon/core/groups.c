#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"

struct grp_set {
	size_t n;
	struct grp_group *groups;
	const struct pd_device **members; /* one array for every group's devices */
	struct grp_blocker *blockers;	  /* one array for every group's blockers */
};

bool grp_driver_is_vfio(const char *driver)
{
	/* vfio-pci and its vendor variants (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) */
	if (!driver || driver[0] == '\0')
		return true;
	if (streq(driver, "vfio-pci"))
		return true;
	size_t len = strlen(driver);
	return len > 9 && streq(driver + len - 9, "_vfio_pci");
}

/*
 * The kernel lets VFIO use a group when no member is on a driver that uses the kernel's DMA API
 * (iommu_group_dma_owner_claimed, Linux >= 5.19): no driver, or one declaring
 * driver_managed_dma, which vfio-pci and its variants, pci-stub and pcieport do.
 */
static const char *blocker_reason(const struct pd_device *d)
{
	if (grp_driver_is_vfio(d->driver) || streq(d->driver, "pci-stub") ||
	    streq(d->driver, "pcieport"))
		return NULL;
	if (pd_device_is_bridge(d))
		return "bridge bound to a driver other than pcieport";
	return "bound to a host driver";
}

struct order {
	int group;
	size_t idx;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

int grp_set_build(const struct pd_device *devs, size_t n, struct grp_set **ret)
{
	_cleanup_free_ struct order *order = NULL;
	_cleanup_(grp_set_freep) struct grp_set *set = NULL;
	size_t m = 0, ngroups = 0, nblk = 0;

	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	order = calloc(n ? n : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		if (devs[i].iommu_group < 0 || devs[i].gone)
			continue;
		order[m].group = devs[i].iommu_group;
		order[m].idx = i;
		m++;
	}
	/* Input is sorted by address, so a stable order within each group is kept. */
	qsort(order, m, sizeof(*order), order_cmp);
	for (size_t i = 0; i < m; i++) {
		if (i == 0 || order[i].group != order[i - 1].group)
			ngroups++;
		if (blocker_reason(&devs[order[i].idx]))
			nblk++;
	}

	set->groups = calloc(ngroups ? ngroups : 1, sizeof(*set->groups));
	set->members = calloc(m ? m : 1, sizeof(*set->members));
	set->blockers = calloc(nblk ? nblk : 1, sizeof(*set->blockers));
	if (!set->groups || !set->members || !set->blockers)
		return -ENOMEM;

	struct grp_group *g = NULL;
	size_t b = 0;
	for (size_t i = 0; i < m; i++) {
		const struct pd_device *d = &devs[order[i].idx];
		const char *why;

		if (i == 0 || order[i].group != order[i - 1].group) {
			g = &set->groups[set->n++];
			g->id = order[i].group;
			g->devices = &set->members[i];
			g->blockers = &set->blockers[b];
			g->viable = true;
		}
		g->devices[g->n_devices++] = d;
		why = blocker_reason(d);
		if (why) {
			g->blockers[g->n_blockers].device = d;
			g->blockers[g->n_blockers].reason = why;
			g->n_blockers++;
			b++;
			g->viable = false;
		}
	}

	*ret = TAKE_PTR(set);
	return 0;
}

void grp_set_free(struct grp_set *set)
{
	if (!set)
		return;
	free(set->groups);
	free(set->members);
	free(set->blockers);
	free(set);
}

size_t grp_set_count(const struct grp_set *set)
{
	return set ? set->n : 0;
}

const struct grp_group *grp_set_at(const struct grp_set *set, size_t i)
{
	return i < set->n ? &set->groups[i] : NULL;
}

const struct grp_group *grp_set_find(const struct grp_set *set, int id)
{
	size_t lo = 0, hi = set ? set->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->groups[mid].id == id)
			return &set->groups[mid];
		if (set->groups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
