/*
 * hwdb.c - PCI vendor and device names from the udev hardware database.
 *
 * The names come from systemd's hwdb.d/20-pci-vendor-model.hwdb (generated from pci.ids), whose
 * keys are "pci:v0000VVVV*" (ID_VENDOR_FROM_DATABASE) and "pci:v0000VVVVd0000DDDD*"
 * (ID_MODEL_FROM_DATABASE), hex in upper case. Matching is fnmatch() of those patterns against
 * the string we pass, so "pci:v0000VVVVd0000DDDD*" matches both the vendor and the device
 * entries (the '*' at our end matches the patterns' '*'), while the subsystem entries
 * ("...sv0000SSSSsd0000SSSS*") do not match: one lookup gives both names.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "hwdb.h"

struct udevw_hwdb {
	struct udev *udev;
	struct udev_hwdb *hwdb;
};

int udevw_hwdb_new(struct udevw_hwdb **ret)
{
	_cleanup_(udevw_hwdb_freep) struct udevw_hwdb *h = NULL;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->udev = udev_new();
	if (!h->udev)
		return -ENOMEM;
	/*
	 * NULL when no valid hwdb.bin is installed (systemd-hwdb update never ran): -ENOENT for
	 * callers, whatever libudev's errno says, unless it is out of memory.
	 */
	errno = 0;
	h->hwdb = udev_hwdb_new(h->udev);
	if (!h->hwdb)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;

	*ret = TAKE_PTR(h);
	return 0;
}

void udevw_hwdb_free(struct udevw_hwdb *h)
{
	if (!h)
		return;
	udev_hwdb_unref(h->hwdb);
	udev_unref(h->udev);
	free(h);
}

int udevw_hwdb_pci_names(struct udevw_hwdb *h, uint16_t vendor, uint16_t device, char **ret_vendor,
			 char **ret_device)
{
	_cleanup_free_ char *v = NULL, *d = NULL;
	struct udev_list_entry *e;
	char modalias[sizeof("pci:v00000000d00000000*")];

	(void)snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08X*", vendor, device);
	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(h->hwdb, modalias, 0)) {
		const char *name = udev_list_entry_get_name(e);
		const char *value = udev_list_entry_get_value(e);

		if (!name || !value || !*value)
			continue;
		/* each name comes once: sd-hwdb already resolved overlapping matches */
		if (streq(name, "ID_VENDOR_FROM_DATABASE") && !v) {
			v = strdup(value);
			if (!v)
				return -ENOMEM;
		} else if (streq(name, "ID_MODEL_FROM_DATABASE") && !d) {
			d = strdup(value);
			if (!d)
				return -ENOMEM;
		}
	}

	*ret_vendor = TAKE_PTR(v);
	*ret_device = TAKE_PTR(d);
	return 0;
}
