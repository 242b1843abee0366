/*
 * hotplug.h - following the kernel's PCI uevents into the inventory (hotplug_).
 *
 * A driver change (bind, unbind, change) of a known device re-reads that device only
 * (inv_update_devices()): passd's own moves cause two uevents per device, and a whole scan for
 * each would keep the loop, and every API answer, waiting. An add, a remove, or anything not
 * understood asks for a full scan, coalesced: it runs once the uevents have been quiet for a
 * moment (or a storm has lasted long enough), and after the group moves in flight, for a while.
 * A device whose group passd is moving is not read until the move is over: reading it can wait
 * on the kernel's device lock for as long as a hung driver holds it. Loop thread only.
 */
#pragma once

#include "macro.h"

struct loop;
struct udevw_monitor;
struct inv;
struct bindsvc;
struct hotplug; /* opaque */

/*
 * Watch @mon on @l and keep @inv up to date; @bs says which groups are being moved. Borrows
 * all four, which must outlive the service. Returns 0 or a negative errno.
 */
int hotplug_new(struct loop *l, struct udevw_monitor *mon, struct inv *inv, struct bindsvc *bs,
		struct hotplug **ret);
/* Stops watching; call before the loop is freed. Accepts NULL. */
void hotplug_free(struct hotplug *h);
DEFINE_FREEP(struct hotplug, hotplug_free)
