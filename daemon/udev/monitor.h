/*
 * monitor.h - PCI hotplug events from the kernel, through libudev's netlink monitor.
 *
 * Registered before the first enumeration (libvirt's order), so no device can appear between
 * the scan and the watch unnoticed. Only the real /sys has events: with a simulated tree the
 * daemon rescans periodically instead. Never logs above debug.
 */
#pragma once

#include "macro.h"
#include "pci-addr.h"

struct udevw_monitor; /* opaque */

/* The uevent actions of a PCI device (the kernel's kobject_action names). */
enum udevw_action {
	UDEVW_ACTION_ADD,    /* a function appeared (hotplug, a rescan, a VF created) */
	UDEVW_ACTION_REMOVE, /* a function went away */
	UDEVW_ACTION_BIND,   /* a driver bound to it (KOBJ_BIND, kernel >= 4.14) */
	UDEVW_ACTION_UNBIND, /* its driver let it go */
	UDEVW_ACTION_CHANGE, /* something else about it changed (sriov_numvfs, a reset...) */
	UDEVW_ACTION_OTHER,  /* move, online, offline, or an action newer than this code */
};

struct udevw_event {
	enum udevw_action action;
	char address[PCI_ADDR_LEN + 1]; /* canonical; "" when the name is not a PCI address */
};

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
 * Take the next pending event: 1 with *ret filled, 0 when none is left (the descriptor is
 * non-blocking). An event with no action is skipped. *ret is untouched when 0 is returned.
 */
int udevw_monitor_receive(struct udevw_monitor *m, struct udevw_event *ret);

const char *udevw_action_to_string(enum udevw_action a);
