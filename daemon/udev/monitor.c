#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "monitor.h"

struct udevw_monitor {
	struct udev *udev;
	struct udev_monitor *mon;
};

int udevw_monitor_new(const char *source, struct udevw_monitor **ret)
{
	_cleanup_(udevw_monitor_freep) struct udevw_monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->udev = udev_new();
	if (!m->udev)
		return -ENOMEM;
	m->mon = udev_monitor_new_from_netlink(m->udev, source);
	if (!m->mon)
		return -errno ? -errno : -EIO;
	if (udev_monitor_filter_add_match_subsystem_devtype(m->mon, "pci", NULL) < 0)
		return -EIO;
	if (udev_monitor_enable_receiving(m->mon) < 0)
		return errno ? -errno : -EIO;
	*ret = TAKE_PTR(m);
	return 0;
}

void udevw_monitor_free(struct udevw_monitor *m)
{
	if (!m)
		return;
	udev_monitor_unref(m->mon);
	udev_unref(m->udev);
	free(m);
}

int udevw_monitor_get_fd(const struct udevw_monitor *m)
{
	return udev_monitor_get_fd(m->mon);
}

static const char *const action_names[] = {
	[UDEVW_ACTION_ADD] = "add",	  [UDEVW_ACTION_REMOVE] = "remove",
	[UDEVW_ACTION_BIND] = "bind",	  [UDEVW_ACTION_UNBIND] = "unbind",
	[UDEVW_ACTION_CHANGE] = "change", [UDEVW_ACTION_OTHER] = "other",
};

const char *udevw_action_to_string(enum udevw_action a)
{
	return (unsigned)a < ELEMENTSOF(action_names) ? action_names[a] : "other";
}

static enum udevw_action action_from_string(const char *s)
{
	for (size_t i = 0; i < UDEVW_ACTION_OTHER; i++)
		if (streq(s, action_names[i]))
			return (enum udevw_action)i;
	return UDEVW_ACTION_OTHER;
}

int udevw_monitor_receive(struct udevw_monitor *m, struct udevw_event *ret)
{
	struct udev_device *d;

	/* The fd is non-blocking (libudev sets it so): receive returns NULL when drained. */
	while ((d = udev_monitor_receive_device(m->mon))) {
		const char *action = udev_device_get_action(d);
		/* A PCI device's name is its address (the last part of DEVPATH). */
		const char *name = udev_device_get_sysname(d);
		struct pci_addr a;

		if (!action) {
			udev_device_unref(d);
			continue;
		}
		*ret = (struct udevw_event){ .action = action_from_string(action) };
		if (name && pci_addr_parse(name, &a) == 0)
			pci_addr_format(&a, ret->address);
		udev_device_unref(d);
		return 1;
	}
	return 0;
}
