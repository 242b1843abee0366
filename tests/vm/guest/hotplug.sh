#!/bin/bash
# In the guest (topology mixed, coldplug by systemd-udevd): passd follows the real kernel's
# hotplug through its libudev monitor alone (periodic rescans off): a removed device leaves the
# API, a rescan brings it back in its group, a driver change made outside passd shows up (new
# ETag, device_changed on the event stream) with no full rescan, and passd's own bind and unbind
# cause none either (their uevents re-read the devices moved).
test_description='hotplug through the udev monitor on the real kernel'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/move-lib.sh"

edu=0000:02:00.0 nic=0000:01:00.0 bedu=0000:06:02.0

# now_ms: milliseconds, from bash's EPOCHREALTIME (no fork).
now_ms() {
	_t=${EPOCHREALTIME/./}
	NOW=$((_t / 1000))
}

# seen_within WHAT SECS PATH JQ: api_wait, and the time it took as a figure. SECS is a bound
# for a failure, not a timing test: on a host at load 20 one poll takes 2 s.
seen_within() {
	now_ms && _t0=$NOW &&
	api_wait "$2" "$3" "$4" &&
	now_ms && timing "$1 seen by passd after" "$((NOW - _t0)) ms"
}

# rescans: how many full rescans uevents have caused so far, in RESCANS (passd's debug log).
rescans() {
	RESCANS=0
	while IFS= read -r _l; do
		case $_l in *" uevent(s), rescanning"*) RESCANS=$((RESCANS + 1)) ;; esac
	done <passd.log
}

# etag PATH: the ETag of GET PATH, in ETAG.
etag() {
	ETAG=
	curl -sS -D head -o /dev/null "$PASSD_URL$1" || return 1
	while IFS= read -r _l; do
		_l=${_l%$'\r'}
		case ${_l,,} in etag:*) ETAG=${_l#*: } ;; esac
	done <head
	[ -n "$ETAG" ] || { echo "etag: no ETag on GET $1" >&2; return 1; }
}

# sse_start: follow GET /v1/events into ./events (in the background, SSE_PID) from now on.
sse_start() {
	: >events
	curl -sS -N --max-time 120 "$PASSD_URL/v1/events" >events 2>sse.err &
	SSE_PID=$!
	_end=$((SECONDS + 20))
	until [ -s events ]; do
		kill -0 $SSE_PID 2>/dev/null && [ $SECONDS -lt $_end ] || { cat sse.err >&2; return 1; }
		sleep 0.1
	done
}

sse_stop() {
	[ -n "${SSE_PID:-}" ] && kill $SSE_PID 2>/dev/null
	wait $SSE_PID 2>/dev/null
	SSE_PID=
	return 0
}

# sse_seen TYPE TEXT SECS: an event TYPE whose data holds TEXT came on the stream within SECS.
sse_seen() {
	_end=$((SECONDS + $3))
	while :; do
		_ev=
		while IFS= read -r _l; do
			case $_l in
			"event: "*) _ev=${_l#event: } ;;
			"data: "*) [ "$_ev" = "$1" ] && case $_l in *"$2"*) return 0 ;; esac ;;
			esac
		done <events
		if [ $SECONDS -ge $_end ]; then
			echo "sse_seen: no $1 with '$2' after $3 s; the stream has:" >&2
			cat events >&2
			return 1
		fi
		sleep 0.2
	done
}

test_expect_success 'udevd runs; passd watches its events, with periodic rescans off' '
	test -e /run/udev/control &&
	PASSD_LOG_LEVEL=debug passd_start --rescan-interval 0 &&
	grep -q "Watching PCI hotplug events (udev)" passd.log &&
	grp=$(vm_group $edu) && bgrp=$(vm_group $bedu) &&
	get_expect 200 /v1/devices/$edu && jq -e ".iommu_group == $grp and .state == \"unbound\"" body
'

test_expect_success 'a device removed through sysfs leaves the API, with no rescan asked' '
	rescans && n=$RESCANS &&
	echo 1 >$DEVS/$edu/remove &&
	seen_within "remove of $edu" 20 /v1/devices "[.devices[].address] | index(\"$edu\") == null" &&
	rescans && test $RESCANS -gt $n &&
	get_expect 200 /v1/devices/$edu && jq -e ".state == \"gone\"" body &&
	get_expect 404 /v1/groups/$grp
'

test_expect_success 'a bus rescan brings it back, in the same group' '
	echo 1 >/sys/bus/pci/rescan &&
	test "$(vm_group $edu)" = $grp &&
	seen_within "rescan of $edu" 20 /v1/devices/$edu ".state == \"unbound\" and .iommu_group == $grp" &&
	get_expect 200 /v1/groups/$grp && jq -e ".devices == [\"$edu\"]" body
'

test_expect_success 'a member removed from a group of three: the group shrinks, then grows back' '
	vm_members $bgrp && all=$MEMBERS &&
	echo 1 >$DEVS/$bedu/remove &&
	seen_within "remove of $bedu" 20 /v1/groups/$bgrp "[.members[].address] | index(\"$bedu\") == null" &&
	api_agrees $bgrp &&
	echo 1 >/sys/bus/pci/rescan &&
	seen_within "rescan of $bedu" 20 /v1/groups/$bgrp "(.devices | length) == 3" &&
	vm_members $bgrp && test "$MEMBERS" = "$all" &&
	api_agrees $bgrp
'

test_expect_success 'e1000e unbound by hand: driverless in the API, new ETags, an event, no rescan' '
	vm_drv $nic && test $DRV = e1000e &&
	etag /v1/devices/$nic && one=$ETAG && etag /v1/devices && list=$ETAG &&
	rescans && n=$RESCANS && sse_start &&
	echo $nic >/sys/bus/pci/drivers/e1000e/unbind &&
	seen_within "manual unbind of $nic" 20 /v1/devices/$nic ".driver == null and .state == \"unbound\"" &&
	etag /v1/devices/$nic && test "$ETAG" != "$one" &&
	etag /v1/devices && test "$ETAG" != "$list" &&
	code=$(curl -sS -o /dev/null -w "%{http_code}" -H "If-None-Match: $list" "$PASSD_URL/v1/devices") &&
	test "$code" = 200 &&
	sse_seen device_changed "\"driver_before\":\"e1000e\"" 20 &&
	rescans && test $RESCANS = $n
'

test_expect_success 'and probed back by hand: e1000e again in the API and on the stream, no rescan' '
	etag /v1/devices/$nic && one=$ETAG &&
	rescans && n=$RESCANS &&
	echo $nic >/sys/bus/pci/drivers_probe &&
	vm_drv $nic && test $DRV = e1000e &&
	seen_within "manual probe of $nic" 20 /v1/devices/$nic ".driver == \"e1000e\" and .state == \"host\"" &&
	etag /v1/devices/$nic && test "$ETAG" != "$one" &&
	sse_seen device_changed "\"driver\":\"e1000e\"" 20 &&
	rescans && test $RESCANS = $n
'

test_expect_success 'a bind and an unbind through passd answer with no rescan, then or after' '
	rescans && n=$RESCANS &&
	post_expect 200 /v1/devices/$nic/bind && timing "bind of $nic answered in" "$SECS s" &&
	vm_drv $nic && test $DRV = vfio-pci &&
	get_expect 200 /v1/devices/$nic && jq -e ".driver == \"vfio-pci\" and .state == \"vfio\"" body &&
	post_expect 200 /v1/devices/$nic/unbind && timing "unbind of $nic answered in" "$SECS s" &&
	vm_drv $nic && test $DRV = e1000e &&
	sse_seen device_unbound "$nic" 20 &&
	sleep 1 && get_expect 200 /v1/devices/$nic && jq -e ".driver == \"e1000e\" and .state == \"host\"" body &&
	rescans && test $RESCANS = $n &&
	grep -q "PCI uevent(s): re-read" passd.log &&
	sse_stop
'

test_expect_success 'passd stops cleanly (no sanitizer finding)' '
	passd_stop
'

timings_show
test_done
