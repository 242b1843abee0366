#!/bin/sh
test_description='bind and unbind move whole groups on a live simulated kernel, or nothing'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

test_expect_success 'setup: desktop host on the live simulator' '
	sim_live_start desktop && passd_start &&
	gpu=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0300" | jq -r "[.devices[] | select(.boot_vga != true)][0].address") &&
	echo "$gpu" >gpu &&
	api_expect 200 "/v1/devices/$gpu" && grp=$(jq .iommu_group body) && echo "$grp" >grp &&
	curl -sSf "$PASSD_URL/v1/groups/$grp" | jq -r ".devices[]" >members &&
	test "$(wc -l <members)" -eq 2 &&
	sim_driver_is "$(sed -n 1p members)" nvidia &&
	sim_driver_is "$(sed -n 2p members)" snd_hda_intel
'

test_expect_success 'bind moves the GPU and its audio function to vfio-pci together' '
	api_expect 200 "/v1/devices/$(cat gpu)/bind" -X POST &&
	jq -e ".result == \"done\" and ([.devices[] | .outcome] | all(. == \"done\"))" body &&
	for a in $(cat members); do sim_driver_is "$a" vfio-pci || return 1; done &&
	test "$(cat "$SIM_DEVICES/$(cat gpu)/driver_override")" = vfio-pci &&
	test -e "$TRASH/live/dev/vfio/$(cat grp)" &&
	cp body bind.json
'

test_expect_success 'each moved device has its time in sysfs, by kind of access; the log sums them up' '
	jq -e "[.devices[] | .timing | .override_ms > 0 and .unbind_ms > 0 and .probe_ms > 0 and .check_ms > 0] == [true, true]" bind.json &&
	grep -q "Bound group $(cat grp) (2 devices) in [0-9.]* ms: override [0-9.]*, unbind [0-9.]*, probe [0-9.]*, check [0-9.]*; $(sed -n 1p members) nvidia -> vfio-pci, " "$TRASH/passd.log"
'

test_expect_success 'the API follows: both devices are state vfio and the group is viable' '
	api_expect 200 "/v1/groups/$(cat grp)" &&
	jq -e ".viable == true and ([.members[] | .state] | all(. == \"vfio\"))" body &&
	jq -e "[.members[] | .original_driver] == [\"nvidia\", \"snd_hda_intel\"]" body
'

test_expect_success 'bind is idempotent' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	api_expect 200 "/v1/devices/$(cat gpu)/bind" -X POST &&
	jq -e ".result == \"unchanged\"" body &&
	jq -e "[.devices[] | has(\"timing\")] | any | not" body &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w"
'

test_expect_success 'unbind gives every device back to its original driver and clears the override' '
	api_expect 200 "/v1/devices/$(sed -n 2p members)/unbind" -X POST &&
	jq -e ".result == \"done\"" body &&
	sim_driver_is "$(sed -n 1p members)" nvidia &&
	sim_driver_is "$(sed -n 2p members)" snd_hda_intel &&
	test "$(cat "$SIM_DEVICES/$(cat gpu)/driver_override")" = "(null)" &&
	test ! -e "$TRASH/live/dev/vfio/$(cat grp)" &&
	api_expect 200 "/v1/devices/$(cat gpu)/unbind" -X POST &&
	jq -e ".result == \"unchanged\"" body
'

test_expect_success 'a probe failing on the second device rolls the first one back' '
	second=$(sed -n 2p members) &&
	sim_fault "probe:$second:ignore:count=1" &&
	api_expect 409 "/v1/devices/$(cat gpu)/bind" -X POST &&
	api_error_is not_viable &&
	jq -e "[.devices[] | .outcome] == [\"rolled_back\", \"rolled_back\"]" body &&
	jq -e "[.devices[] | .timing.override_ms > 0 and .timing.probe_ms > 0] == [true, true]" body &&
	grep -q "Group $(cat grp) bind ended after [0-9.]* ms, rolled back: override " "$TRASH/passd.log" &&
	sim_driver_is "$(sed -n 1p members)" nvidia &&
	sim_driver_is "$second" snd_hda_intel &&
	test "$(cat "$SIM_DEVICES/$(cat gpu)/driver_override")" = "(null)" &&
	test "$(cat "$SIM_DEVICES/$second/driver_override")" = "(null)"
'

test_expect_success 'a host driver that refuses to let go (EBUSY) is a 409 conflict, rolled back' '
	second=$(sed -n 2p members) &&
	sim_fault "unbind:$second:EBUSY:count=1" &&
	api_expect 409 "/v1/devices/$(cat gpu)/bind" -X POST &&
	api_error_is conflict &&
	sim_driver_is "$(sed -n 1p members)" nvidia &&
	sim_driver_is "$second" snd_hda_intel
'

test_expect_success 'a device that vanishes mid-bind leaves the rest as they were' '
	first=$(sed -n 1p members) && second=$(sed -n 2p members) &&
	sim_fault "vanish:$second:after=0" &&
	api_expect 409 "/v1/devices/$(cat gpu)/bind" -X POST && api_error_is conflict &&
	jq -e --arg a "$second" ".error.message | contains(\$a + \" vanished\")" body &&
	sim_driver_is "$first" nvidia &&
	echo 1 >"$TRASH/live/sys/bus/pci/rescan" &&
	sim_driver_is "$second" snd_hda_intel
'

test_expect_success 'one that vanishes after its first write is gone, not a failed rollback' '
	first=$(sed -n 1p members) && second=$(sed -n 2p members) &&
	sim_fault "vanish:$second:after=1" &&
	api_expect 409 "/v1/devices/$(cat gpu)/bind" -X POST && api_error_is conflict &&
	jq -e --arg a "$first" --arg b "$second" "
		(.devices[] | select(.address == \$a) | .outcome == \"rolled_back\") and
		(.devices[] | select(.address == \$b) | .outcome == \"gone\")" body &&
	sim_driver_is "$first" nvidia &&
	test "$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1")" = rolled_back &&
	echo 1 >"$TRASH/live/sys/bus/pci/rescan" &&
	sim_driver_is "$second" snd_hda_intel
'

test_expect_success 'a group holding a mounted disk is refused unless forced' '
	api_expect 200 "/v1/devices?class=0x0108" &&
	nvme=$(jq -r "[.devices[] | select(.host_critical.critical)][0].address" body) &&
	test "$nvme" != null &&
	api_expect 403 "/v1/devices/$nvme/bind" -X POST && api_error_is host_critical &&
	sim_driver_is "$nvme" nvme &&
	api_expect 200 "/v1/devices/$nvme/bind" -X POST -H "Content-Type: application/json" -d "{\"force\": true}" &&
	sim_driver_is "$nvme" vfio-pci &&
	grep -q "Forced" "$TRASH/passd.log" &&
	api_expect 200 "/v1/devices/$nvme/unbind" -X POST &&
	sim_driver_is "$nvme" nvme
'

test_expect_success 'an endpoint with no driver goes to vfio-pci and back to none' '
	api_expect 200 "/v1/devices?driver=none" &&
	lone=$(jq -r "[.devices[] | select(.iommu_group != null and (.class | startswith(\"0x0604\") | not))][0].address" body) &&
	test "$lone" != null &&
	api_expect 200 "/v1/devices/$lone/bind?dry_run=true" -X POST &&
	if jq -e ".host_would_lose | length == 0" body >/dev/null; then
		api_expect 200 "/v1/devices/$lone/bind" -X POST &&
		sim_driver_is "$lone" vfio-pci &&
		api_expect 200 "/v1/devices/$lone/unbind" -X POST &&
		sim_driver_is "$lone" -
	fi
'

test_expect_success 'a host driver that will not take its device back: the group stays on vfio-pci' '
	api_expect 200 "/v1/devices/$(cat gpu)/bind" -X POST &&
	second=$(sed -n 2p members) &&
	sim_fault "probe:$second:ignore:count=1" &&
	test_must_fail_code=$(api "/v1/devices/$(cat gpu)/unbind" -X POST) &&
	test "$test_must_fail_code" -ge 400 &&
	jq -e "[.devices[] | .outcome] | all(. == \"rolled_back\" or . == \"not_started\")" body &&
	for a in $(cat members); do sim_driver_is "$a" vfio-pci || return 1; done &&
	test "$(cat "$SIM_DEVICES/$second/driver_override")" = vfio-pci &&
	api_expect 200 "/v1/devices/$(cat gpu)/unbind" -X POST &&
	sim_driver_is "$second" snd_hda_intel
'

test_expect_success 'passd never writes new_id (it would grab every device of the model)' '
	grep -qx "writes_new_id=0" "$TRASH/live/sim/stats" ||
	! grep -q "^writes_new_id=" "$TRASH/live/sim/stats"
'

test_expect_success 'passctl bind and unbind, over the unix socket' '
	passctl bind "$(cat gpu)" >out &&
	sim_driver_is "$(cat gpu)" vfio-pci &&
	passctl unbind "$(cat gpu)" >out &&
	sim_driver_is "$(cat gpu)" nvidia &&
	passd_stop && sim_live_stop
'

test_done
