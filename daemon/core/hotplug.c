/*
 * hotplug.c - PCI uevents into the inventory: one device re-read for a driver change, one
 * coalesced scan for anything else (see hotplug.h).
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"
#include "hotplug.h"
#include "inventory.h"
#include "log.h"
#include "loop.h"
#include "pd-device.h"
#include "udev/monitor.h"

/* A rescan waits until no add or remove came for this long (a slot's functions, a VF batch)... */
#define QUIET_USEC (75 * 1000)
/* ...but a storm of them does not delay it more than this after the first. */
#define STORM_USEC (1000 * 1000)
/* A rescan waits for the group moves in flight, which read the devices they move, this long. */
#define BUSY_USEC (10 * 1000 * 1000)
/* How often devices of a group being moved, and rescans waiting for moves, are looked at. */
#define RETRY_USEC (100 * 1000)
/* More driver changes than this at once are a storm: one scan reads them faster. */
#define PENDING_MAX 256

struct hotplug {
	struct loop *loop;
	struct udevw_monitor *mon;
	struct inv *inv;
	struct bindsvc *bs;
	int timer_fd;

	/* Devices a uevent said changed driver, not read yet (their group is being moved). */
	char (*pending)[PCI_ADDR_LEN + 1];
	size_t n_pending;

	bool rescan;		/* a full scan is wanted */
	int64_t rescan_first;	/* CLOCK_MONOTONIC of the first uevent that wanted it */
	int64_t rescan_last;	/* ... and of the last one */
	int64_t rescan_wall;	/* CLOCK_REALTIME of the last one: a scan since then is enough */
	unsigned rescan_events; /* how many uevents it covers, for the log */
};

static int64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void want_rescan(struct hotplug *h)
{
	int64_t now = now_usec(CLOCK_MONOTONIC);

	if (!h->rescan)
		h->rescan_first = now;
	h->rescan = true;
	h->rescan_last = now;
	h->rescan_wall = now_usec(CLOCK_REALTIME);
	h->rescan_events++;
}

static void add_pending(struct hotplug *h, const char *addr)
{
	for (size_t i = 0; i < h->n_pending; i++)
		if (streq(h->pending[i], addr))
			return;
	if (h->n_pending == PENDING_MAX) {
		want_rescan(h);
		return;
	}
	memcpy(h->pending[h->n_pending++], addr, PCI_ADDR_LEN + 1);
}

/* Re-read the pending devices whose group is not being moved; the others stay pending. */
static void update_pending(struct hotplug *h)
{
	char buf[PENDING_MAX][PCI_ADDR_LEN + 1]; /* pending[] is compacted as we go */
	const char *ready[PENDING_MAX];
	size_t n = 0, kept = 0;
	int r;

	if (h->n_pending == 0)
		return;
	for (size_t i = 0; i < h->n_pending; i++) {
		const struct pd_device *d = inv_find_device(h->inv, h->pending[i]);

		if (!d || d->gone) {
			want_rescan(h); /* not in the view: only a scan can place it */
			continue;
		}
		if (bindsvc_group_busy(h->bs, d->iommu_group)) {
			/* Its mover re-reads it when done; what else changed is read after that. */
			if (kept != i)
				memcpy(h->pending[kept], h->pending[i], PCI_ADDR_LEN + 1);
			kept++;
			continue;
		}
		memcpy(buf[n], h->pending[i], PCI_ADDR_LEN + 1);
		ready[n] = buf[n];
		n++;
	}
	h->n_pending = kept;
	if (n > 0) {
		r = inv_update_devices(h->inv, ready, n);
		if (r < 0) {
			log_debug_errno(r, "Re-reading %zu device(s) was not enough: %m", n);
			want_rescan(h);
		} else {
			log_debug("PCI uevent(s): re-read %zu device(s), %d changed", n, r);
		}
	}
}

/* Arm the timer for the next thing due, or disarm it when nothing is. */
static void arm(struct hotplug *h)
{
	struct itimerspec its = { 0 };
	int64_t due = 0;

	if (h->n_pending > 0)
		due = now_usec(CLOCK_MONOTONIC) + RETRY_USEC;
	if (h->rescan) {
		int64_t now = now_usec(CLOCK_MONOTONIC);
		int64_t at = h->rescan_last + QUIET_USEC;

		if (at > h->rescan_first + STORM_USEC)
			at = h->rescan_first + STORM_USEC;
		/* Waiting for a move (run_rescan()): look again shortly, not at once. */
		if (bindsvc_any_busy(h->bs) && now < h->rescan_first + BUSY_USEC &&
		    at < now + RETRY_USEC)
			at = now + RETRY_USEC;
		if (due == 0 || at < due)
			due = at;
	}
	if (due > 0) {
		its.it_value.tv_sec = (time_t)(due / 1000000);
		its.it_value.tv_nsec = (long)(due % 1000000) * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1; /* zero would disarm */
	}
	if (timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warning("Cannot arm the uevent timer, relying on periodic rescans: %m");
}

static void run_rescan(struct hotplug *h)
{
	struct pd_error err = PD_ERROR_INIT;
	int64_t now = now_usec(CLOCK_MONOTONIC);

	if (now < h->rescan_first + STORM_USEC && now < h->rescan_last + QUIET_USEC)
		return; /* not quiet yet */
	if (bindsvc_any_busy(h->bs) && now < h->rescan_first + BUSY_USEC)
		return; /* a scan would read the devices being moved: after the move */
	h->rescan = false;
	h->n_pending = 0; /* the scan reads them too */
	if (inv_last_scan_usec(h->inv) > h->rescan_wall) {
		log_debug("%u PCI uevent(s): a scan since then has seen them", h->rescan_events);
		h->rescan_events = 0;
		return;
	}
	log_debug("%u PCI uevent(s), rescanning", h->rescan_events);
	h->rescan_events = 0;
	(void)inv_scan(h->inv, &err); /* logs; the previous view stays on failure */
}

static void on_timer(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct hotplug *h = userdata;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	update_pending(h);
	if (h->rescan)
		run_rescan(h);
	arm(h);
}

static void on_uevent(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct hotplug *h = userdata;
	struct udevw_event ev;

	while (udevw_monitor_receive(h->mon, &ev) > 0) {
		switch (ev.action) {
		case UDEVW_ACTION_BIND:
		case UDEVW_ACTION_UNBIND:
		case UDEVW_ACTION_CHANGE:
			if (ev.address[0] != '\0') {
				add_pending(h, ev.address);
				break;
			}
			want_rescan(h);
			break;
		case UDEVW_ACTION_ADD:
		case UDEVW_ACTION_REMOVE:
		case UDEVW_ACTION_OTHER:
			want_rescan(h);
			break;
		}
	}
	/* A driver change shows at once; a device the view lacks waits for the rescan. */
	update_pending(h);
	arm(h);
}

int hotplug_new(struct loop *l, struct udevw_monitor *mon, struct inv *inv, struct bindsvc *bs,
		struct hotplug **ret)
{
	struct hotplug *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->loop = l;
	h->mon = mon;
	h->inv = inv;
	h->bs = bs;
	h->timer_fd = -1;
	h->pending = calloc(PENDING_MAX, sizeof(*h->pending));
	if (!h->pending) {
		r = -ENOMEM;
		goto fail;
	}
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->timer_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_add_io(l, h->timer_fd, EPOLLIN, on_timer, h);
	if (r < 0)
		goto fail;
	r = loop_add_io(l, udevw_monitor_get_fd(mon), EPOLLIN, on_uevent, h);
	if (r < 0) {
		(void)loop_remove_io(l, h->timer_fd);
		goto fail;
	}
	*ret = h;
	return 0;

fail:
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	free(h->pending);
	free(h);
	return r;
}

void hotplug_free(struct hotplug *h)
{
	if (!h)
		return;
	(void)loop_remove_io(h->loop, udevw_monitor_get_fd(h->mon));
	(void)loop_remove_io(h->loop, h->timer_fd);
	close(h->timer_fd);
	free(h->pending);
	free(h);
}
