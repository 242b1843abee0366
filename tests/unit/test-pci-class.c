/*
 * test-pci-class.c - common/pci-class: class codes to names.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pci-class.h"

struct class_case {
	unsigned long code;
	const char *name; /* NULL: unknown */
};

static void check_cases(const struct class_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = pci_class_name(cases[i].code);

		print_message("# 0x%06lx\n", cases[i].code);
		if (cases[i].name)
			assert_string_equal(got, cases[i].name);
		else
			assert_null(got);
	}
}

static void test_pci_class_known_codes(void **state)
{
	static const struct class_case cases[] = {
		{ 0x010601, "AHCI 1.0" },
		{ 0x010802, "NVM Express" },
		{ 0x020000, "Ethernet controller" },
		{ 0x030000, "VGA compatible controller" },
		{ 0x030200, "3D controller" },
		{ 0x040300, "Audio device" },
		{ 0x060000, "Host bridge" },
		{ 0x060100, "ISA bridge" },
		{ 0x060400, "PCI bridge" },
		{ 0x060401, "PCI bridge (subtractive decode)" },
		{ 0x0c0330, "XHCI" },
		{ 0x0c0320, "EHCI" },
		{ 0x0c0500, "SMBus" },
		{ 0x120000, "Processing accelerators" },
		{ 0x020700, "Infiniband controller" },
		{ 0x010700, "Serial Attached SCSI controller" },
		{ 0x010400, "RAID bus controller" },
		{ 0x088000, "System peripheral" },
		{ 0x0c0400, "Fibre Channel" },
		{ 0x050000, "RAM memory" },
		{ 0x070002, "Serial controller (16550)" },
		{ 0x080600, "IOMMU" },
		{ 0xffff00, "Unassigned class" },
		{ 0x000000, "Non-VGA unclassified device" },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_pci_class_every_base_class_is_named(void **state)
{
	static const unsigned known[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
					  0x10, 0x11, 0x12, 0x13, 0x40, 0xff };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		/* subclass 0xfe is defined nowhere: the base class answers */
		const char *name = pci_class_name((unsigned long)known[i] << 16 | 0xfe00);

		print_message("# base 0x%02x\n", known[i]);
		assert_non_null(name);
		assert_true(strlen(name) > 0);
	}
}

static void test_pci_class_most_specific_match_wins(void **state)
{
	static const struct class_case cases[] = {
		/* prog-if known */
		{ 0x0c0330, "XHCI" },
		/* prog-if unknown: the subclass */
		{ 0x0c03ff, "USB controller" },
		{ 0x010800, "Non-Volatile memory controller" },
		{ 0x0108ff, "Non-Volatile memory controller" },
		/* prog-if 00 only qualifies the subclass: the subclass */
		{ 0x060400, "PCI bridge" },
		{ 0x010600, "SATA controller" },
		/* subclass unknown: the base class */
		{ 0x01ffff, "Mass storage controller" },
		{ 0x0c7700, "Serial bus controller" },
		{ 0x067f01, "Bridge" },
		/* base class without subclass names */
		{ 0x130000, "Non-Essential Instrumentation" },
		{ 0x400000, "Coprocessor" },
		{ 0xff0000, "Unassigned class" },
		/* the catch-all subclass 0x80 */
		{ 0x028000, "Network controller" },
		{ 0x068000, "Bridge" },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_pci_class_unknown_base_class_is_null(void **state)
{
	static const struct class_case cases[] = {
		{ 0x140000, NULL },   { 0x3f0000, NULL }, { 0x41ffff, NULL },
		{ 0xfe0000, NULL },   { 0x800000, NULL }, { 0x1000000, NULL }, /* 25 bits */
		{ 0xffffffff, NULL },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_pci_class_all_codes_consistent(void **state)
{
	/* Over the whole 24-bit space: a code has a name exactly when its base class has one. */
	for (unsigned long base = 0; base < 256; base++) {
		const char *base_name = pci_class_name(base << 16 | 0xfefe);

		for (unsigned long low = 0; low < 0x10000; low++) {
			const char *name = pci_class_name(base << 16 | low);

			if ((name == NULL) != (base_name == NULL))
				fail_msg("0x%06lx: name %s but base class %s", base << 16 | low,
					 name ? name : "(null)", base_name ? base_name : "(null)");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_class_known_codes),
		cmocka_unit_test(test_pci_class_every_base_class_is_named),
		cmocka_unit_test(test_pci_class_most_specific_match_wins),
		cmocka_unit_test(test_pci_class_unknown_base_class_is_null),
		cmocka_unit_test(test_pci_class_all_codes_consistent),
	};

	return cmocka_run_group_tests_name("pci-class", tests, NULL, NULL);
}
