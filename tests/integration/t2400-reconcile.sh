#!/bin/sh
test_description='bindings survive a restart and a reboot; drift is reported, never rewritten'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

test_expect_success 'setup: bind the GPU group on the live simulator' '
	sim_live_start desktop && passd_start &&
	gpu=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0300" | jq -r "[.devices[] | select(.boot_vga != true)][0].address") &&
	echo "$gpu" >gpu &&
	grp=$(curl -sSf "$PASSD_URL/v1/devices/$gpu" | jq .iommu_group) &&
	curl -sSf "$PASSD_URL/v1/groups/$grp" | jq -r ".devices[]" >members &&
	api_expect 200 "/v1/devices/$gpu/bind" -X POST &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM binding")" -eq 2 &&
	passd_stop
'

test_expect_success 'a restart with the bindings in place changes nothing' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	passd_start &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.reapplied == 0 and .reconcile.drift == []" body &&
	passd_stop
'

test_expect_success 'after a "reboot" (remove and rescan forget the override) the group is bound again' '
	for a in $(cat members); do echo 1 >"$SIM_DEVICES/$a/remove" || return 1; done &&
	echo 1 >"$TRASH/live/sys/bus/pci/rescan" &&
	sim_driver_is "$(cat gpu)" nvidia &&
	passd_start &&
	for a in $(cat members); do sim_driver_is "$a" vfio-pci || return 1; done &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.reapplied >= 1 and .reconcile.drift == []" body &&
	grep -q "Re-applied the binding" "$TRASH/passd.log" &&
	passd_stop
'

test_expect_success 'a device moved to vfio-pci by hand is reported as drift and left alone' '
	passd_start &&
	lone=$(curl -sSf "$PASSD_URL/v1/devices?driver=none" | jq -r "[.devices[] | select(.iommu_group != null and (.class | startswith(\"0x06\") | not))][0].address") &&
	passd_stop &&
	test "$lone" != null &&
	echo vfio-pci >"$SIM_DEVICES/$lone/driver_override" &&
	echo "$lone" >"$TRASH/live/sys/bus/pci/drivers_probe" &&
	sim_driver_is "$lone" vfio-pci &&
	passd_start &&
	api_expect 200 /v1/health &&
	jq -e --arg a "$lone" "[.reconcile.drift[] | select(.address == \$a)] | length == 1" body &&
	sim_driver_is "$lone" vfio-pci &&
	passd_stop
'

test_expect_success 'an unbind forgets the binding: after a reboot the group stays on the host' '
	passd_start &&
	api_expect 200 "/v1/devices/$(cat gpu)/unbind" -X POST &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM binding")" -eq 0 &&
	passd_stop &&
	for a in $(cat members); do echo 1 >"$SIM_DEVICES/$a/remove" || return 1; done &&
	echo 1 >"$TRASH/live/sys/bus/pci/rescan" &&
	passd_start &&
	sim_driver_is "$(cat gpu)" nvidia &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.reapplied == 0" body &&
	passd_stop && sim_live_stop
'

test_done
