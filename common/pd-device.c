#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pd-device.h"

void pd_device_init(struct pd_device *d)
{
	memset(d, 0, sizeof(*d));
	d->iommu_group = -1;
	d->numa_node = -1;
	d->sriov_total_vfs = -1;
	d->sriov_num_vfs = -1;
	d->boot_vga = -1;
}

void pd_device_clear(struct pd_device *d)
{
	if (!d)
		return;
	free(d->vendor_name);
	free(d->device_name);
	free(d->original_driver);
	pd_device_init(d);
}

long pd_device_class(const struct pd_device *d)
{
	char *end;
	long v;

	if (d->class_id[0] == '\0')
		return -1;
	v = strtol(d->class_id, &end, 16);
	if (*end != '\0' || v < 0 || v > 0xffffff)
		return -1;
	return v;
}

bool pd_device_is_bridge(const struct pd_device *d)
{
	long c = pd_device_class(d);

	return c >= 0 && (c >> 8) == 0x0604;
}
