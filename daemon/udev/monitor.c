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

int udevw_monitor_drain(struct udevw_monitor *m)
{
	struct udev_device *d;
	int n = 0;

	/* The fd is non-blocking (libudev sets it so): receive returns NULL when drained. */
	while ((d = udev_monitor_receive_device(m->mon))) {
		const char *action = udev_device_get_action(d);
		if (action && (streq(action, "add") || streq(action, "remove") ||
			       streq(action, "bind") || streq(action, "unbind") ||
			       streq(action, "change")))
			n++;
		udev_device_unref(d);
	}
	return n;
}
