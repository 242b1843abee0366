#!/bin/sh
test_description='groups larger than expected (no ACS): one function moves its whole group, and the plan says what it costs'
. "$top_srcdir/tests/lib/test-lib.sh"

# Peer pain point 3: behind a switch without ACS, or in a multifunction device without ACS,
# the kernel puts several functions in one IOMMU group, and VFIO can only take the group whole.
# A user asking for one function must see everything that goes with it before anything moves.

sim_live_require

WIFI=0000:08:00.0 # iwlwifi, below an ASMedia switch without ACS: group 12, 7 functions
NIC=0000:07:00.0  # r8169, same group
USB=0000:06:00.0  # xhci_hcd, same group
AUDIO=0000:00:1f.3 # PCH audio: group 9 with the onboard NIC eno1, which carries the default route
ENO1=0000:00:1f.6

test_expect_success 'setup: desktop host on the live simulator' '
	sim_live_start desktop && passd_start &&
	api_expect 200 "/v1/devices/$WIFI" && test "$(jq .iommu_group body)" = 12
'

test_expect_success 'the plan for the Wi-Fi card names the whole group: 3 endpoints move, 4 bridges stay' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	api_expect 200 "/v1/devices/$WIFI/bind?dry_run=true" -X POST &&
	jq -e ".group == 12 and .result == \"planned\" and (.devices | length) == 7" body &&
	jq -e "[.devices[] | select(.action == \"move\") | .address] | sort == [\"$USB\", \"$NIC\", \"$WIFI\"]" body &&
	jq -e "[.devices[] | select(.action == \"bridge\")] | length == 4 and all(.harmless and .driver_after == \"pcieport\")" body &&
	jq -e "[.devices[] | select(.address == \"$NIC\")][0] | .driver_before == \"r8169\" and .driver_after == \"vfio-pci\"" body &&
	jq -e ".host_would_lose == []" body &&
	jq -e ".group_shared_because | test(\"below the bridge 0000:04:00.0 share its IOMMU group.*without ACS\")" body &&
	jq -r "[.devices[].address] | sort | .[]" body >plan.members &&
	api_expect 200 /v1/groups/12 && jq -r ".devices | sort | .[]" body >group.members &&
	test_cmp group.members plan.members &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	sim_driver_is $NIC r8169
'

test_expect_success 'a group of one multifunction device says so; a group of one endpoint says nothing' '
	api_expect 200 "/v1/devices/0000:01:00.0/bind?dry_run=true" -X POST &&
	jq -e ".group_shared_because | test(\"2 functions of the multifunction device 0000:01:00 \")" body &&
	api_expect 200 "/v1/devices/0000:02:00.0/bind?dry_run=true" -X POST &&
	jq -e ".group_shared_because == null" body
'

test_expect_success 'binding the Wi-Fi card takes the USB controller and the NIC with it' '
	passctl bind $WIFI >out &&
	sim_driver_is $WIFI vfio-pci && sim_driver_is $NIC vfio-pci && sim_driver_is $USB vfio-pci &&
	for b in 0000:04:00.0 0000:05:01.0 0000:05:03.0 0000:05:05.0; do sim_driver_is $b pcieport || return 1; done &&
	test -e "$TRASH/live/dev/vfio/12" &&
	api_expect 200 /v1/groups/12 && jq -e ".viable == true" body
'

test_expect_success 'giving back any member gives back the whole group' '
	passctl unbind $NIC >out &&
	sim_driver_is $WIFI iwlwifi && sim_driver_is $NIC r8169 && sim_driver_is $USB xhci_hcd &&
	test ! -e "$TRASH/live/dev/vfio/12"
'

test_expect_success 'the PCH audio shares its group with the NIC of the default route: the plan says so' '
	api_expect 200 "/v1/devices/$AUDIO/bind?dry_run=true" -X POST &&
	jq -e ".group == 9 and (.devices | length) == 5" body &&
	jq -e "[.devices[] | select(.address == \"$ENO1\")][0].host_critical | test(\"default route \\\\(eno1\\\\)\")" body &&
	jq -e ".host_would_lose == [{\"address\": \"$ENO1\", \"reason\": \"carries the default route (eno1)\"}]" body
'

test_expect_success 'and the bind is refused whole, naming the NIC; nothing moves' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	api_expect 403 "/v1/devices/$AUDIO/bind" -X POST && api_error_is host_critical &&
	jq -e ".error.message | contains(\"$ENO1\") and contains(\"eno1\")" body &&
	jq -e "[.devices[].outcome] | all(. == \"not_started\")" body &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	sim_driver_is $AUDIO snd_hda_intel && sim_driver_is $ENO1 e1000e &&
	passd_stop && sim_live_stop
'

test_done
