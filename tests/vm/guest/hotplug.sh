#!/bin/bash
# In the guest (topology mixed, coldplug by systemd-udevd): passd follows the real kernel's
# hotplug through its libudev monitor alone (periodic rescans off): a removed device leaves the
# API, a rescan brings it back in its group, a driver change made outside passd shows up.
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

test_expect_success 'udevd runs; passd watches its events, with periodic rescans off' '
	test -e /run/udev/control &&
	passd_start --rescan-interval 0 &&
	grep -q "Watching PCI hotplug events (udev)" passd.log &&
	grp=$(vm_group $edu) && bgrp=$(vm_group $bedu) &&
	get_expect 200 /v1/devices/$edu && jq -e ".iommu_group == $grp and .state == \"unbound\"" body
'

test_expect_success 'a device removed through sysfs leaves the API, with no rescan asked' '
	echo 1 >$DEVS/$edu/remove &&
	seen_within "remove of $edu" 20 /v1/devices "[.devices[].address] | index(\"$edu\") == null" &&
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

test_expect_success 'e1000e unbound by hand: the API shows it driverless' '
	vm_drv $nic && test $DRV = e1000e &&
	echo $nic >/sys/bus/pci/drivers/e1000e/unbind &&
	seen_within "manual unbind of $nic" 20 /v1/devices/$nic ".driver == null and .state == \"unbound\""
'

test_expect_success 'and probed back by hand: the API shows e1000e again' '
	echo $nic >/sys/bus/pci/drivers_probe &&
	vm_drv $nic && test $DRV = e1000e &&
	seen_within "manual probe of $nic" 20 /v1/devices/$nic ".driver == \"e1000e\" and .state == \"host\""
'

test_expect_success 'passd stops cleanly (no sanitizer finding)' '
	passd_stop
'

timings_show
test_done
