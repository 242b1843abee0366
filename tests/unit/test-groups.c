/*
 * test-groups - IOMMU groups and their VFIO viability (daemon/core/groups.c).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/groups.h"

static void dev(struct pd_device *d, const char *addr, const char *class_id, const char *driver,
		int group)
{
	pd_device_init(d);
	snprintf(d->address, sizeof(d->address), "%s", addr);
	snprintf(d->class_id, sizeof(d->class_id), "%s", class_id);
	snprintf(d->driver, sizeof(d->driver), "%s", driver);
	d->iommu_group = group;
}

static void test_groups_members_are_collected_by_id(void **state)
{
	struct pd_device d[5];
	struct grp_set *set = NULL;
	const struct grp_group *g;

	dev(&d[0], "0000:00:00.0", "0x060000", "", 0);
	dev(&d[1], "0000:01:00.0", "0x030000", "vfio-pci", 7);
	dev(&d[2], "0000:01:00.1", "0x040300", "vfio-pci", 7);
	dev(&d[3], "0000:02:00.0", "0x020000", "e1000e", 3);
	dev(&d[4], "0000:03:00.0", "0x020000", "e1000e", -1); /* no IOMMU group */

	assert_int_equal(grp_set_build(d, 5, &set), 0);
	assert_int_equal(grp_set_count(set), 3);
	assert_int_equal(grp_set_at(set, 0)->id, 0);
	assert_int_equal(grp_set_at(set, 1)->id, 3);
	assert_int_equal(grp_set_at(set, 2)->id, 7);
	g = grp_set_find(set, 7);
	assert_non_null(g);
	assert_int_equal(g->n_devices, 2);
	assert_string_equal(g->devices[0]->address, "0000:01:00.0");
	assert_string_equal(g->devices[1]->address, "0000:01:00.1");
	assert_true(g->viable);
	assert_int_equal(g->n_blockers, 0);
	assert_null(grp_set_find(set, 5));
	assert_null(grp_set_find(set, -1));
	grp_set_free(set);
}

static void test_groups_host_driver_blocks(void **state)
{
	struct pd_device d[2];
	struct grp_set *set = NULL;
	const struct grp_group *g;

	dev(&d[0], "0000:04:00.0", "0x020000", "e1000e", 14);
	dev(&d[1], "0000:04:00.1", "0x00ff00", "", 14);
	assert_int_equal(grp_set_build(d, 2, &set), 0);
	g = grp_set_find(set, 14);
	assert_false(g->viable);
	assert_int_equal(g->n_blockers, 1);
	assert_ptr_equal(g->blockers[0].device, &d[0]);
	assert_non_null(g->blockers[0].reason);
	grp_set_free(set);
}

static void test_groups_bridges_on_pcieport_or_none_are_allowed(void **state)
{
	struct pd_device d[4];
	struct grp_set *set = NULL;

	dev(&d[0], "0000:05:00.0", "0x060400", "", 15);		/* pcie-pci bridge, no driver */
	dev(&d[1], "0000:06:01.0", "0x020000", "vfio-pci", 15);
	dev(&d[2], "0000:06:02.0", "0x00ff00", "", 15);
	dev(&d[3], "0000:00:1c.0", "0x060400", "pcieport", 15);
	assert_int_equal(grp_set_build(d, 4, &set), 0);
	assert_true(grp_set_find(set, 15)->viable);
	grp_set_free(set);

	/* A bridge on some other driver is a blocker. */
	snprintf(d[0].driver, sizeof(d[0].driver), "shpchp");
	assert_int_equal(grp_set_build(d, 4, &set), 0);
	assert_false(grp_set_find(set, 15)->viable);
	assert_int_equal(grp_set_find(set, 15)->n_blockers, 1);
	grp_set_free(set);
}

/* pci-stub declares driver_managed_dma: the real kernel finds such a group viable (tests/vm). */
static void test_groups_pci_stub_does_not_block(void **state)
{
	struct pd_device d[3];
	struct grp_set *set = NULL;

	dev(&d[0], "0000:04:00.0", "0x020000", "pci-stub", 14);
	dev(&d[1], "0000:04:00.1", "0x00ff00", "vfio-pci", 14);
	dev(&d[2], "0000:05:00.0", "0x060400", "pci-stub", 14);
	assert_int_equal(grp_set_build(d, 3, &set), 0);
	assert_true(grp_set_find(set, 14)->viable);
	assert_int_equal(grp_set_find(set, 14)->n_blockers, 0);
	grp_set_free(set);
}

static void test_groups_vfio_variant_drivers_count_as_vfio(void **state)
{
	static const struct {
		const char *driver;
		bool vfio;
	} cases[] = {
		{ "", true },	      { "vfio-pci", true },	   { "mlx5_vfio_pci", true },
		{ "e1000e", false },  { "vfio", false },	   { "_vfio_pci", false },
		{ "pcieport", false }, { "vfio-pci-foo", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(grp_driver_is_vfio(cases[i].driver), cases[i].vfio);
}

static void test_groups_empty_inventory(void **state)
{
	struct grp_set *set = NULL;

	assert_int_equal(grp_set_build(NULL, 0, &set), 0);
	assert_int_equal(grp_set_count(set), 0);
	assert_null(grp_set_find(set, 0));
	grp_set_free(set);
	grp_set_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_members_are_collected_by_id),
		cmocka_unit_test(test_groups_host_driver_blocks),
		cmocka_unit_test(test_groups_bridges_on_pcieport_or_none_are_allowed),
		cmocka_unit_test(test_groups_pci_stub_does_not_block),
		cmocka_unit_test(test_groups_vfio_variant_drivers_count_as_vfio),
		cmocka_unit_test(test_groups_empty_inventory),
	};

	return cmocka_run_group_tests_name("groups", tests, NULL, NULL);
}
