/*
 * test-virt-xml.c - daemon/virt/xml: hostdev XML built with libxml2 and read back.
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

#include "virt/xml.h"

static void test_virt_xml_hostdev_is_exact(void **state)
{
	char *x = NULL;

	assert_int_equal(virt_xml_hostdev_new("0000:65:00.0", false, &x), 0);
	assert_string_equal(x, "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source>"
			       "<address domain=\"0x0000\" bus=\"0x65\" slot=\"0x00\" function=\"0x0\"/>"
			       "</source></hostdev>");
	free(x);
	assert_int_equal(virt_xml_hostdev_new("abcd:ff:1f.7", true, &x), 0);
	assert_string_equal(x, "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source>"
			       "<address domain=\"0xabcd\" bus=\"0xff\" slot=\"0x1f\" function=\"0x7\"/>"
			       "</source><alias name=\"ua-passd-abcd-ff-1f-7\"/></hostdev>");
	free(x);
}

static void test_virt_xml_hostdev_rejects_bad_addresses(void **state)
{
	static const char *const bad[] = {
		"", "0000:65:00.0'/><hostdev", "0000:65:00.8", "0000:65:20.0", "0000:65:00.0 ",
		"0000:65:00", "0000:6G:00.0", "'&<>\"", "0000:65:00.0\n",
	};
	char *x = NULL;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		print_message("# case %zu\n", i);
		assert_int_equal(virt_xml_hostdev_new(bad[i], false, &x), -EINVAL);
		assert_null(x);
	}
}

/* A domain whose name and other values are full of XML metacharacters, as libvirt escapes them. */
static const char domain_xml[] =
	"<domain type='test'>\n"
	"  <name>a&amp;b&lt;c&gt;&quot;d&apos;e</name>\n"
	"  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
	"  <description>&lt;hostdev mode='subsystem' type='pci'/&gt;</description>\n"
	"  <devices>\n"
	"    <disk type='file'><source file='/x'/></disk>\n"
	"    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	"      <source><address domain='0x0000' bus='0x65' slot='0x00' function='0x1'/></source>\n"
	"      <alias name='hostdev0'/>\n"
	"    </hostdev>\n"
	"    <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/></source></hostdev>\n"
	"    <hostdev mode='subsystem' type='pci'>\n"
	"      <source><address domain='0' bus='101' slot='3' function='7'/></source>\n"
	"    </hostdev>\n"
	"    <hostdev mode='subsystem' type='pci' managed='no'>\n"
	"      <source><address domain='0x0000' bus='0x1ff' slot='0x00' function='0x0'/></source>\n"
	"    </hostdev>\n"
	"  </devices>\n"
	"</domain>\n";

static void test_virt_xml_parses_hostdevs(void **state)
{
	struct virt_hostdev *h = NULL;
	char *name = NULL;
	size_t n = 0;

	assert_int_equal(virt_xml_parse_hostdevs(domain_xml, &h, &n, &name), 0);
	assert_string_equal(name, "a&b<c>\"d'e");
	/* the USB one and the one with an impossible bus are not PCI addresses passd can name */
	assert_int_equal(n, 2);
	assert_string_equal(h[0].address, "0000:65:00.1");
	assert_true(h[0].managed);
	assert_string_equal(h[0].alias, "hostdev0");
	assert_string_equal(h[1].address, "0000:65:03.7");
	assert_false(h[1].managed);
	assert_string_equal(h[1].alias, "");
	free(h);
	free(name);
}

static void test_virt_xml_parse_rejects_non_domains(void **state)
{
	static const char *const bad[] = {
		"", "<domain>", "<network/>", "not xml", "<domain><name>x</name></domain><x/>",
	};
	struct virt_hostdev *h = (void *)0x1;
	size_t n = 42;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		print_message("# case %zu\n", i);
		assert_int_equal(virt_xml_parse_hostdevs(bad[i], &h, &n, NULL), -EINVAL);
		assert_ptr_equal(h, (void *)0x1); /* ret_ untouched */
		assert_int_equal(n, 42);
	}
}

static void test_virt_xml_add_and_remove_round_trip(void **state)
{
	char *added = NULL, *again = NULL, *removed = NULL, *name = NULL;
	struct virt_hostdev *h = NULL;
	bool changed = false;
	size_t n = 0;

	assert_int_equal(virt_xml_add_hostdev(domain_xml, "0000:66:00.0", &added, &changed), 0);
	assert_true(changed);
	assert_int_equal(virt_xml_parse_hostdevs(added, &h, &n, &name), 0);
	assert_string_equal(name, "a&b<c>\"d'e"); /* the rest of the domain survives */
	assert_int_equal(n, 3);
	assert_string_equal(h[2].address, "0000:66:00.0");
	assert_false(h[2].managed);
	assert_string_equal(h[2].alias, "ua-passd-0000-66-00-0");
	assert_non_null(strstr(added, "<description>&lt;hostdev"));
	free(h);
	free(name);

	/* already there: unchanged, in either spelling of the address */
	assert_int_equal(virt_xml_add_hostdev(added, "0000:65:03.7", &again, &changed), 0);
	assert_false(changed);
	free(again);

	assert_int_equal(virt_xml_remove_hostdev(added, "0000:65:00.1", &removed, &changed), 0);
	assert_true(changed);
	assert_int_equal(virt_xml_parse_hostdevs(removed, &h, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].address, "0000:65:03.7");
	assert_string_equal(h[1].address, "0000:66:00.0");
	free(h);
	free(added);

	assert_int_equal(virt_xml_remove_hostdev(removed, "0000:99:00.0", &again, &changed), 0);
	assert_false(changed);
	free(again);
	free(removed);
}

static void test_virt_xml_add_creates_devices(void **state)
{
	char *x = NULL;
	struct virt_hostdev *h = NULL;
	bool changed = false;
	size_t n = 0;

	assert_int_equal(virt_xml_add_hostdev("<domain type='qemu'><name>v</name></domain>",
					      "0000:00:02.0", &x, &changed),
			 0);
	assert_true(changed);
	assert_int_equal(virt_xml_parse_hostdevs(x, &h, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].address, "0000:00:02.0");
	free(h);
	free(x);
	assert_int_equal(virt_xml_add_hostdev(domain_xml, "0000:66:00.0'", &x, &changed), -EINVAL);
}

static void test_virt_alias_round_trip(void **state)
{
	static const char *const bad[] = {
		"hostdev0", "ua-passd-", "ua-passd-0000-65-00-8", "ua-passd-0000:65:00.0",
		"ua-other-0000-65-00-0", "ua-passd-0000-65-00-0-", NULL,
	};
	char alias[VIRT_ALIAS_MAX], addr[PCI_ADDR_LEN + 1] = "untouched";

	virt_alias_from_address("0000:65:00.1", alias);
	assert_string_equal(alias, "ua-passd-0000-65-00-1");
	assert_int_equal(virt_alias_to_address(alias, addr), 0);
	assert_string_equal(addr, "0000:65:00.1");
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char out[PCI_ADDR_LEN + 1] = "untouched";
		print_message("# case %zu\n", i);
		assert_int_equal(virt_alias_to_address(bad[i], out), -EINVAL);
		assert_string_equal(out, "untouched");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_xml_hostdev_is_exact),
		cmocka_unit_test(test_virt_xml_hostdev_rejects_bad_addresses),
		cmocka_unit_test(test_virt_xml_parses_hostdevs),
		cmocka_unit_test(test_virt_xml_parse_rejects_non_domains),
		cmocka_unit_test(test_virt_xml_add_and_remove_round_trip),
		cmocka_unit_test(test_virt_xml_add_creates_devices),
		cmocka_unit_test(test_virt_alias_round_trip),
	};

	return cmocka_run_group_tests_name("virt-xml", tests, NULL, NULL);
}
