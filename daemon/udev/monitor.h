/*
 * monitor.h - PCI hotplug events from the kernel, through libudev's netlink monitor.
 *
 * Registered before the first enumeration (libvirt's order), so no device can appear between
 * the scan and the watch unnoticed. Only the real /sys has events: with a simulated tree the
 * daemon rescans periodically instead. Never logs above debug.
 */
#pragma once

#include "macro.h"

struct udevw_monitor; /* opaque */

/*
 * Watch the "pci" subsystem on @source: "udev" (after udevd processed the event) or "kernel"
 * (raw uevents, for hosts without udevd). Returns 0 or a negative errno.
 */
int udevw_monitor_new(const char *source, struct udevw_monitor **ret);
void udevw_monitor_free(struct udevw_monitor *m);
DEFINE_FREEP(struct udevw_monitor, udevw_monitor_free)

/* The descriptor to watch for input. */
int udevw_monitor_get_fd(const struct udevw_monitor *m);

/*
 * Drain pending events; returns how many PCI devices were added, removed or changed driver
 * ("add", "remove", "bind", "unbind", "change"), 0 when none, or a negative errno.
 */
int udevw_monitor_drain(struct udevw_monitor *m);
