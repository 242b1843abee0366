/*
 * virt-priv.h - what the files of daemon/virt share.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt.h"

struct virt_conn {
	virConnectPtr vc;
	unsigned users; /* atomic; the last one closes */
	int cb_lifecycle;
	int cb_removed;
	bool cb_close;
	virt_close_fn on_close;
	virt_event_fn on_event;
	void *userdata;
	struct virt_conn *next_closed; /* freed after the event thread stops */
};

/*
 * libvirt's last error of this thread into @err, as a negative errno (see virt.h); @vc, when
 * given, turns an error of a dead connection into -ENOTCONN. Resets the error.
 */
int virt_error_take(virConnectPtr vc, struct virt_error *err);
/* Fill @err with our own message. Returns @r. */
int virt_error_set(struct virt_error *err, int r, const char *message);
