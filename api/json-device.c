#include <config.h>

#include <string.h>

#include "json-device.h"
#include "pci-class.h"

static void reset_methods(struct jw *w, const char *s)
{
	jw_arr_open(w, "reset_methods");
	while (*s) {
		size_t n;
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n > 0)
			jw_strn(w, NULL, s, n);
		s += n;
	}
	jw_arr_close(w);
}

static void sriov(struct jw *w, const struct inv *inv, const struct pd_device *d)
{
	const struct pd_device *const *vfs;
	size_t n;

	if (d->sriov_total_vfs < 0) {
		jw_null(w, "sriov");
		return;
	}
	n = inv_device_vfs(inv, d, &vfs);
	jw_obj_open(w, "sriov");
	jw_int(w, "total_vfs", d->sriov_total_vfs);
	jw_int(w, "num_vfs", d->sriov_num_vfs < 0 ? 0 : d->sriov_num_vfs);
	jw_arr_open(w, "vfs");
	for (size_t i = 0; i < n; i++)
		jw_str(w, NULL, vfs[i]->address);
	jw_arr_close(w);
	jw_obj_close(w);
}

void api_device_write(struct jw *w, const char *key, const struct inv *inv,
		      const struct pd_device *d)
{
	struct inv_critical crit = inv_device_critical(inv, d);
	struct inv_overlay ov = inv_device_overlay(inv, d);
	long class = pd_device_class(d);

	jw_obj_open(w, key);
	jw_str(w, "address", d->address);
	jw_str(w, "vendor_id", d->vendor_id);
	jw_str(w, "device_id", d->device_id);
	jw_str(w, "subsystem_vendor_id", d->subsystem_vendor_id);
	jw_str(w, "subsystem_device_id", d->subsystem_device_id);
	jw_str(w, "class", d->class_id);
	jw_str(w, "class_name", class >= 0 ? pci_class_name((unsigned long)class) : NULL);
	jw_str(w, "vendor_name", d->vendor_name);
	jw_str(w, "device_name", d->device_name);
	jw_str(w, "driver", d->driver);
	jw_str(w, "original_driver", d->original_driver);
	jw_str(w, "driver_override", d->driver_override);
	jw_int_or_null(w, "iommu_group", d->iommu_group);
	jw_int_or_null(w, "numa_node", d->numa_node);
	reset_methods(w, d->reset_methods);
	sriov(w, inv, d);
	jw_str(w, "physfn", d->physfn);
	jw_str(w, "parent", d->parent);
	if (d->boot_vga < 0)
		jw_null(w, "boot_vga");
	else
		jw_bool(w, "boot_vga", d->boot_vga);
	jw_obj_open(w, "host_critical");
	jw_bool(w, "critical", crit.critical);
	jw_str(w, "reason", crit.reason);
	jw_obj_close(w);
	jw_str(w, "state", inv_state_to_string(inv_device_state(inv, d)));
	if (ov.assignment_id > 0) {
		jw_obj_open(w, "assignment");
		jw_int(w, "id", ov.assignment_id);
		jw_str(w, "domain", ov.domain);
		jw_obj_close(w);
	} else {
		jw_null(w, "assignment");
	}
	jw_obj_close(w);
}

void api_group_write(struct jw *w, const char *key, const struct inv *inv,
		     const struct grp_group *g, bool members)
{
	jw_obj_open(w, key);
	jw_int(w, "id", g->id);
	jw_arr_open(w, "devices");
	for (size_t i = 0; i < g->n_devices; i++)
		jw_str(w, NULL, g->devices[i]->address);
	jw_arr_close(w);
	jw_bool(w, "viable", g->viable);
	jw_arr_open(w, "blockers");
	for (size_t i = 0; i < g->n_blockers; i++) {
		const struct pd_device *d = g->blockers[i].device;
		jw_obj_open(w, NULL);
		jw_str(w, "address", d->address);
		jw_str(w, "driver", d->driver);
		jw_str(w, "reason", g->blockers[i].reason);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	if (members) {
		jw_arr_open(w, "members");
		for (size_t i = 0; i < g->n_devices; i++)
			api_device_write(w, NULL, inv, g->devices[i]);
		jw_arr_close(w);
	}
	jw_obj_close(w);
}
