/*
 * test-hwdb.c - daemon/udev/hwdb against the system's hwdb.bin.
 *
 * The hwdb is the machine's, not ours, so the tests that need a name skip (saying why) when
 * there is no hwdb, and the ids they use are ones pci.ids has carried for decades.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "udev/hwdb.h"

static int setup(void **state)
{
	struct udevw_hwdb *h = NULL;
	int r = udevw_hwdb_new(&h);

	if (r < 0 && r != -ENOENT)
		return -1;
	*state = h; /* NULL: no hwdb on this machine */
	return 0;
}

static int teardown(void **state)
{
	udevw_hwdb_free(*state);
	return 0;
}

static struct udevw_hwdb *need_hwdb(void **state)
{
	if (!*state) {
		print_message(
			"# SKIP: no udev hwdb on this machine (hwdb.bin missing; run 'systemd-hwdb update')\n");
		skip();
	}
	return *state;
}

static void test_hwdb_new_gives_hwdb_or_enoent(void **state)
{
	struct udevw_hwdb *h = (struct udevw_hwdb *)0x1;
	int r = udevw_hwdb_new(&h);

	if (r == 0) {
		assert_non_null(h);
		assert_ptr_not_equal(h, (struct udevw_hwdb *)0x1);
		udevw_hwdb_free(h);
	} else {
		assert_int_equal(r, -ENOENT);
		assert_ptr_equal(h, (struct udevw_hwdb *)0x1); /* ret_ untouched */
	}
	udevw_hwdb_free(NULL);
}

static void test_hwdb_known_vendor_and_device(void **state)
{
	struct udevw_hwdb *h = need_hwdb(state);
	static const struct {
		uint16_t vendor, device;
		const char *vendor_name, *device_name; /* NULL: device name not checked */
	} cases[] = {
		{ 0x8086, 0xffff, "Intel Corporation", NULL },
		{ 0x10de, 0xffff, "NVIDIA Corporation", NULL },
		{ 0x1af4, 0x1000, "Red Hat, Inc.", "Virtio network device" },
		{ 0x1af4, 0x1001, "Red Hat, Inc.", "Virtio block device" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = NULL, *d = NULL;

		print_message("# %04x:%04x\n", cases[i].vendor, cases[i].device);
		assert_int_equal(udevw_hwdb_pci_names(h, cases[i].vendor, cases[i].device, &v, &d),
				 0);
		assert_non_null(v);
		assert_string_equal(v, cases[i].vendor_name);
		if (cases[i].device_name) {
			assert_non_null(d);
			assert_string_equal(d, cases[i].device_name);
		}
		free(v);
		free(d);
	}
}

static void test_hwdb_known_vendor_unknown_device(void **state)
{
	struct udevw_hwdb *h = need_hwdb(state);
	char *v = NULL, *d = (char *)0x1;

	/* 8086:ffff is no Intel device: a vendor name and a NULL device name. */
	assert_int_equal(udevw_hwdb_pci_names(h, 0x8086, 0xffff, &v, &d), 0);
	assert_non_null(v);
	assert_null(d);
	free(v);
}

static void test_hwdb_subsystem_entries_do_not_leak_in(void **state)
{
	struct udevw_hwdb *h = need_hwdb(state);
	char *v = NULL, *d = NULL;

	/*
	 * 8086:1237 has its own entry and subsystem entries ("...sv00001AF4sd00001100*": "440FX -
	 * 82441FX PMC [Natoma] (Qemu virtual machine)"): the device's own name must win.
	 */
	assert_int_equal(udevw_hwdb_pci_names(h, 0x8086, 0x1237, &v, &d), 0);
	assert_non_null(v);
	assert_non_null(d);
	assert_string_equal(v, "Intel Corporation");
	assert_null(strchr(d, '('));
	assert_non_null(strstr(d, "440FX"));
	free(v);
	free(d);
}

static void test_hwdb_unknown_ids_give_null_names(void **state)
{
	struct udevw_hwdb *h = *state;
	static const struct {
		uint16_t vendor, device;
	} cases[] = {
		/* Vendor 0000 is invalid (PCI Local Bus spec: the id is never 0000 or ffff). */
		{ 0x0000, 0x0000 },
		{ 0x0000, 0xfffe },
		/* 0xfffe is "VMWare Inc (temporary ID)" in pci.ids, but has no device fffe. */
		{ 0xfffe, 0xfffe },
	};

	if (!h) {
		/* Without a hwdb there is nothing to look up in; udevw_hwdb_new() said so. */
		print_message("# SKIP: no udev hwdb on this machine\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = (char *)0x1, *d = (char *)0x1;

		print_message("# %04x:%04x\n", cases[i].vendor, cases[i].device);
		assert_int_equal(udevw_hwdb_pci_names(h, cases[i].vendor, cases[i].device, &v, &d),
				 0);
		assert_null(d);
		if (cases[i].vendor == 0x0000)
			assert_null(v);
		free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hwdb_new_gives_hwdb_or_enoent),
		cmocka_unit_test_setup_teardown(test_hwdb_known_vendor_and_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hwdb_known_vendor_unknown_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hwdb_subsystem_entries_do_not_leak_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hwdb_unknown_ids_give_null_names, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("hwdb", tests, NULL, NULL);
}
