#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "json-device.h"
#include "pci-class.h"

/* A string from sysfs or the hwdb that is not valid UTF-8 becomes null, never a missing key. */
static json_t *str_or_null(const char *s)
{
	json_t *v = s && s[0] ? json_string(s) : NULL;

	return v ? v : json_null();
}

static json_t *int_or_null(int v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *reset_methods(const char *s)
{
	json_t *a = json_array();
	const char *p = s;

	while (a && *p) {
		size_t n;
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

json_t *api_device_to_json(const struct inv *inv, const struct pd_device *d)
{
	struct inv_critical crit = inv_device_critical(inv, d);
	long class = pd_device_class(d);
	const char *class_name = class >= 0 ? pci_class_name((unsigned long)class) : NULL;
	json_t *o = json_object(), *sriov;

	if (!o)
		return NULL;

	if (d->sriov_total_vfs >= 0) {
		const struct pd_device *const *vfs;
		size_t n = inv_device_vfs(inv, d, &vfs);
		json_t *a = json_array();

		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(a, json_string(vfs[i]->address));
		sriov = json_pack("{s:i,s:i,s:o*}", "total_vfs", d->sriov_total_vfs, "num_vfs",
				  d->sriov_num_vfs < 0 ? 0 : d->sriov_num_vfs, "vfs", a);
	} else {
		sriov = json_null();
	}

	json_object_set_new(o, "address", json_string(d->address));
	json_object_set_new(o, "vendor_id", str_or_null(d->vendor_id));
	json_object_set_new(o, "device_id", str_or_null(d->device_id));
	json_object_set_new(o, "subsystem_vendor_id", str_or_null(d->subsystem_vendor_id));
	json_object_set_new(o, "subsystem_device_id", str_or_null(d->subsystem_device_id));
	json_object_set_new(o, "class", str_or_null(d->class_id));
	json_object_set_new(o, "class_name", str_or_null(class_name));
	json_object_set_new(o, "vendor_name", str_or_null(d->vendor_name));
	json_object_set_new(o, "device_name", str_or_null(d->device_name));
	json_object_set_new(o, "driver", str_or_null(d->driver));
	json_object_set_new(o, "original_driver", str_or_null(d->original_driver));
	json_object_set_new(o, "driver_override", str_or_null(d->driver_override));
	json_object_set_new(o, "iommu_group", int_or_null(d->iommu_group));
	json_object_set_new(o, "numa_node", int_or_null(d->numa_node));
	json_object_set_new(o, "reset_methods", reset_methods(d->reset_methods));
	json_object_set_new(o, "sriov", sriov ? sriov : json_null());
	json_object_set_new(o, "physfn", str_or_null(d->physfn));
	json_object_set_new(o, "parent", str_or_null(d->parent));
	json_object_set_new(o, "boot_vga", d->boot_vga < 0 ? json_null() : json_boolean(d->boot_vga));
	json_object_set_new(o, "host_critical",
			    json_pack("{s:b,s:s?}", "critical", crit.critical, "reason", crit.reason));
	json_object_set_new(o, "state", json_string(inv_state_to_string(inv_device_state(inv, d))));
	json_object_set_new(o, "assignment", json_null());
	return o;
}

json_t *api_group_to_json(const struct inv *inv, const struct grp_group *g)
{
	json_t *devs = json_array(), *blk = json_array();

	for (size_t i = 0; devs && i < g->n_devices; i++)
		json_array_append_new(devs, json_string(g->devices[i]->address));
	for (size_t i = 0; blk && i < g->n_blockers; i++) {
		const struct pd_device *d = g->blockers[i].device;
		json_array_append_new(blk, json_pack("{s:s,s:s?,s:s}", "address", d->address,
						     "driver", d->driver[0] ? d->driver : NULL,
						     "reason", g->blockers[i].reason));
	}
	return json_pack("{s:i,s:o*,s:b,s:o*}", "id", g->id, "devices", devs, "viable", g->viable,
			 "blockers", blk);
}
