/*
 * test-pci-addr.c - common/pci-addr: the one parser of PCI addresses.
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

#include "pci-addr.h"

static void test_pci_addr_parses_valid_forms(void **state)
{
	static const struct {
		const char *s;
		struct pci_addr a;
	} cases[] = {
		{ "0000:00:00.0", { 0x0000, 0x00, 0x00, 0 } },
		{ "0000:65:00.0", { 0x0000, 0x65, 0x00, 0 } },
		{ "0000:00:1f.7", { 0x0000, 0x00, 0x1f, 7 } },
		{ "ffff:ff:1f.7", { 0xffff, 0xff, 0x1f, 7 } },
		{ "10de:a0:0a.3", { 0x10de, 0xa0, 0x0a, 3 } },
		{ "0001:00:10.1", { 0x0001, 0x00, 0x10, 1 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pci_addr a = { 0xdead, 0xaa, 0xbb, 0xcc };
		char buf[PCI_ADDR_LEN + 1];

		print_message("# case %zu\n", i);
		assert_int_equal(pci_addr_parse(cases[i].s, &a), 0);
		assert_int_equal(a.domain, cases[i].a.domain);
		assert_int_equal(a.bus, cases[i].a.bus);
		assert_int_equal(a.slot, cases[i].a.slot);
		assert_int_equal(a.function, cases[i].a.function);
		assert_true(pci_addr_is_valid(cases[i].s));

		/* Formatting gives back the very same string: the canonical form. */
		pci_addr_format(&a, buf);
		assert_string_equal(buf, cases[i].s);
	}
}

static void test_pci_addr_rejects_invalid_forms(void **state)
{
	static const char *const cases[] = {
		"0000:65:00.0\n",  /* trailing newline, as read from a file */
		"0000:6A:00.0",	   /* uppercase */
		"0000:65:0A.0",	   /* uppercase slot */
		"ABCD:65:00.0",	   /* uppercase domain */
		"65:00.0",	   /* missing domain (lspci's short form) */
		"00000:65:00.0",   /* 5-digit domain (VMD) */
		"0000:65:20.0",	   /* slot 0x20 */
		"0000:65:ff.0",	   /* slot far too big */
		"0000:65:00.8",	   /* function 8 */
		"0000:65:00.a",	   /* function in hex */
		" 0000:65:00.0",   /* leading space */
		"0000:65:00.0 ",   /* trailing space */
		"0000: 65:00.0",   /* inner space */
		"0000:+5:00.0",	   /* sign */
		"+000:65:00.0",	   /* sign */
		"-000:65:00.0",	   /* sign */
		"../0000:65:00.0", /* path traversal */
		"0000:65:00.0/..", /* path traversal */
		"..",		   /* path traversal */
		"0000/65:00.0",	   /* separator */
		"0000:65.00:0",	   /* separators swapped */
		"0000-65-00-0",	   /* separators */
		"0000:65:00.00",   /* overlong */
		"0000:65:00.0000000000000000",
		"0x00:65:00.0", /* hex prefix */
		"0000:6g:00.0", /* not hex */
		"",		/* empty */
		"0000:65:00.",	/* truncated */
		"0000:65:00",	/* truncated */
		"0",		/* truncated */
		"pci0000:00",	/* a root bus, not a function */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pci_addr a = { 0xdead, 0xaa, 0xbb, 0xcc };

		print_message("# case %zu\n", i);
		assert_int_equal(pci_addr_parse(cases[i], &a), -EINVAL);
		assert_false(pci_addr_is_valid(cases[i]));
		/* ret untouched on failure */
		assert_int_equal(a.domain, 0xdead);
		assert_int_equal(a.bus, 0xaa);
		assert_int_equal(a.slot, 0xbb);
		assert_int_equal(a.function, 0xcc);
	}
}

static void test_pci_addr_rejects_null(void **state)
{
	struct pci_addr a = { 0xdead, 0xaa, 0xbb, 0xcc };

	assert_int_equal(pci_addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(pci_addr_parse_n(NULL, PCI_ADDR_LEN, &a), -EINVAL);
	assert_false(pci_addr_is_valid(NULL));
	assert_int_equal(a.domain, 0xdead);
}

static void test_pci_addr_rejects_embedded_nul(void **state)
{
	/* "0000:65:00.0" with a NUL in place of the second ':' */
	static const char s[PCI_ADDR_LEN + 1] = { '0',	'0', '0', '0', ':', '6', '5',
						  '\0', '0', '0', '.', '0', '\0' };
	/* the function digit is the NUL byte */
	static const char t[] = "0000:65:00.\0";
	struct pci_addr a = { 0xdead, 0xaa, 0xbb, 0xcc };

	assert_int_equal(sizeof(s) - 1, PCI_ADDR_LEN);
	assert_int_equal(pci_addr_parse_n(s, PCI_ADDR_LEN, &a), -EINVAL);
	assert_int_equal(pci_addr_parse_n(t, PCI_ADDR_LEN, &a), -EINVAL);
	assert_int_equal(pci_addr_parse(s, &a), -EINVAL);
	assert_int_equal(a.domain, 0xdead);
}

static void test_pci_addr_parse_n_reads_exactly_len(void **state)
{
	/* A name inside a longer string, as in a path or a URL. */
	static const char path[] = "devices/0000:65:00.1/driver";
	struct pci_addr a = { 0 };

	assert_int_equal(pci_addr_parse_n(path + 8, PCI_ADDR_LEN, &a), 0);
	assert_int_equal(a.bus, 0x65);
	assert_int_equal(a.function, 1);
	assert_int_equal(pci_addr_parse_n(path + 8, PCI_ADDR_LEN + 1, &a), -EINVAL);
	assert_int_equal(pci_addr_parse_n(path + 8, PCI_ADDR_LEN - 1, &a), -EINVAL);
	assert_int_equal(pci_addr_parse_n(path + 8, 0, &a), -EINVAL);
}

static void test_pci_addr_compare_matches_string_order(void **state)
{
	static const char *const sorted[] = {
		"0000:00:00.0", "0000:00:00.1", "0000:00:01.0", "0000:00:1f.7", "0000:01:00.0",
		"0000:65:00.0", "0000:ff:1f.7", "0001:00:00.0", "ffff:00:00.0",
	};

	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
		for (size_t j = 0; j < sizeof(sorted) / sizeof(sorted[0]); j++) {
			struct pci_addr a, b;
			int want = i < j ? -1 : i > j ? 1 : 0;
			int sc = strcmp(sorted[i], sorted[j]);

			assert_int_equal(pci_addr_parse(sorted[i], &a), 0);
			assert_int_equal(pci_addr_parse(sorted[j], &b), 0);
			assert_int_equal(pci_addr_compare(&a, &b), want);
			assert_int_equal((sc > 0) - (sc < 0), want);
		}
	}
}

static void test_pci_addr_format_all_functions_roundtrip(void **state)
{
	/* Every slot and function of one bus: format then parse is the identity. */
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			struct pci_addr a = { 0xabcd, 0xef, (uint8_t)slot, (uint8_t)fn }, b;
			char buf[PCI_ADDR_LEN + 1];

			pci_addr_format(&a, buf);
			assert_int_equal(strlen(buf), PCI_ADDR_LEN);
			assert_int_equal(pci_addr_parse(buf, &b), 0);
			assert_int_equal(pci_addr_compare(&a, &b), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_addr_parses_valid_forms),
		cmocka_unit_test(test_pci_addr_rejects_invalid_forms),
		cmocka_unit_test(test_pci_addr_rejects_null),
		cmocka_unit_test(test_pci_addr_rejects_embedded_nul),
		cmocka_unit_test(test_pci_addr_parse_n_reads_exactly_len),
		cmocka_unit_test(test_pci_addr_compare_matches_string_order),
		cmocka_unit_test(test_pci_addr_format_all_functions_roundtrip),
	};

	return cmocka_run_group_tests_name("pci-addr", tests, NULL, NULL);
}
