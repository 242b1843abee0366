#!/bin/sh
test_description='a device without a reset method: shown as such, and binding does not depend on a reset'
. "$top_srcdir/tests/lib/test-lib.sh"

# Peer pain point 4: GPUs (and their audio functions) that cannot be reset hang the VM or the
# host. passd shows what the kernel can do (reset_method) before anything is bound, and never
# resets on its own: VFIO resets a device when a VM opens it, so a bind or unbind must neither
# write reset nor fail because a reset would.

sim_live_require

GPU=0000:01:00.0   # GeForce: neither FLR nor PM reset, and no bus reset (it shares its bus)
AUDIO=0000:01:00.1 # its HDMI audio function, same
NVME=0000:02:00.0  # the boot disk: flr and bus

stat_of() { sed -n "s/^$1=//p" "$TRASH/live/sim/stats"; }

test_expect_success 'setup: desktop host on the live simulator' '
	sim_live_start desktop && passd_start
'

test_expect_success 'the device JSON says which devices have no reset method' '
	test ! -e "$SIM_DEVICES/$GPU/reset_method" &&
	api_expect 200 "/v1/devices/$GPU" && jq -e ".reset_methods == []" body &&
	api_expect 200 "/v1/devices/$AUDIO" && jq -e ".reset_methods == []" body &&
	api_expect 200 "/v1/devices/$NVME" && jq -e ".reset_methods == [\"flr\", \"bus\"]" body &&
	api_expect 200 /v1/devices &&
	jq -e "[.devices[] | select(.iommu_group == 10) | .reset_methods] == [[], []]" body
'

test_expect_success 'the bind plan warns about each device that cannot be reset, and only those' '
	api_expect 200 "/v1/devices/$GPU/bind?dry_run=true" -X POST &&
	jq -e "[.devices[].warnings | length] == [1, 1]" body &&
	jq -e "all(.devices[]; .warnings[0] | test(\"no reset method\"))" body &&
	api_expect 200 "/v1/devices/$NVME/bind?dry_run=true" -X POST &&
	jq -e "all(.devices[]; .warnings == [])" body
'

test_expect_success 'with every reset failing, the GPU group still binds: passd writes no reset' '
	sim_fault "reset:*:EIO" &&
	r0=$(stat_of writes_reset) && f0=$(stat_of faults_fired) &&
	api_expect 200 "/v1/devices/$GPU/bind" -X POST &&
	jq -e ".result == \"done\" and ([.devices[].outcome] | all(. == \"done\"))" body &&
	sim_driver_is $GPU vfio-pci && sim_driver_is $AUDIO vfio-pci &&
	test -e "$TRASH/live/dev/vfio/10" &&
	test "$(stat_of writes_reset)" = "$r0" && test "$(stat_of faults_fired)" = "$f0"
'

test_expect_success 'and gives it back to nvidia and snd_hda_intel the same way' '
	api_expect 200 "/v1/devices/$GPU/unbind" -X POST &&
	sim_driver_is $GPU nvidia && sim_driver_is $AUDIO snd_hda_intel &&
	test "$(stat_of writes_reset)" = "${r0:-0}" &&
	test ! -e "$TRASH/live/dev/vfio/10"
'

test_expect_success 'the simulated kernel does fail a reset when asked (the fault is live)' '
	test "$(stat_of writes_reset)" = 0 &&
	test_must_fail sh -c "echo 1 >\"$SIM_DEVICES/$NVME/reset\"" 2>err &&
	test "$(stat_of writes_reset)" = 1 &&
	passd_stop && sim_live_stop
'

test_done
