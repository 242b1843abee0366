#!/bin/sh
test_description='a release whose group cannot go back to its host drivers ends failed: the devices leave the domain and stay on vfio-pci, free for the operator'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
. "$top_srcdir/tests/lib/libvirt-test.sh"

post() { # post PATH [CURL ARGS...]: status to stdout, body to ./body
	_p=$1
	shift
	api "$_p" -X POST -H "Content-Type: application/json" "$@"
}

# assign_gpu: the GPU and its HDMI audio (group 10) to gpu-vm; the new id in $id.
assign_gpu() {
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\"}")" = 201 &&
	id=$(jq -r .id body) &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci &&
	test "$(domain_hostdevs gpu-vm | wc -l)" = 2
}

# libvirt's test driver cannot detach from a running domain (t6200): gpu-vm stays shut off, so
# every release gets past its detach and on to the unbind, where the simulator's faults bite.
test_expect_success 'setup: the desktop profile live, a test-driver host, the GPU assigned' '
	sim_live_start desktop &&
	test_driver_node gpu-vm >"$TRASH/node.xml" &&
	test_driver_passd &&
	assign_gpu
'

test_expect_success 'the audio function'\''s driver refuses it back: the release answers the failure' '
	sim_fault "probe:snd_hda_intel:ignore" &&
	code=$(api "/v1/assignments/$id" -X DELETE) &&
	cat body &&
	test "$code" = 500 &&
	api_error_is internal &&
	jq -e ".state == \"failed\" and .returned_to_host == false and (.released | type == \"string\")" body &&
	jq -e ".reason | test(\"0000:01:00.1 did not go back to snd_hda_intel\") and test(\"stays on vfio-pci\")" body &&
	jq -e ".error.message == .reason" body &&
	jq -e "[.unbind[].outcome] == [\"rolled_back\", \"rolled_back\"]" body
'

test_expect_success 'end state: hostdevs out of the domain, the group on vfio-pci, nothing holds it' '
	test -z "$(domain_hostdevs gpu-vm)" &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci &&
	test "$(db "SELECT state, released_at IS NOT NULL FROM assignment WHERE id = $id")" = "failed|1" &&
	db "SELECT reason FROM assignment WHERE id = $id" | grep -q "snd_hda_intel" &&
	api_expect 200 "/v1/assignments/$id" &&
	jq -e ".state == \"failed\" and (.reason | test(\"snd_hda_intel\"))" body &&
	api_expect 200 /v1/devices/0000:01:00.1 &&
	jq -e ".state != \"assigned\" and .assignment == null and .driver == \"vfio-pci\"" body
'

test_expect_success 'the history says partial, with the error and the drivers as they are' '
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .action == \"release\" and .result == \"partial\" and .assignment_id == $id" body &&
	jq -e ".history[0].error | test(\"snd_hda_intel\")" body &&
	jq -e ".history[0].drivers_after == {\"0000:01:00.0\": \"vfio-pci\", \"0000:01:00.1\": \"vfio-pci\"}" body
'

test_expect_success 'a failed assignment cannot be released again (409)' '
	test "$(api "/v1/assignments/$id" -X DELETE)" = 409 &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"already failed\")" body
'

test_expect_success 'the devices are free: assigned again, then released home once the driver takes them' '
	sim_fault clear &&
	old=$id &&
	assign_gpu &&
	test "$id" != "$old" &&
	test "$(api "/v1/assignments/$id" -X DELETE)" = 200 &&
	jq -e ".state == \"released\" and .returned_to_host == true" body &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	test "$(db "SELECT state FROM assignment WHERE id = $old")" = failed
'

test_expect_success 'when the rollback fails too, the reason names the device left on no driver' '
	assign_gpu &&
	sim_fault "probe:snd_hda_intel:ignore probe:0000:01:00.1:vfio-pci:ignore" &&
	test_exit_code 1 passctl release "$id" 2>err &&
	cat err &&
	grep -q "0000:01:00.1 is on no driver" err &&
	api_expect 200 "/v1/assignments/$id" &&
	jq -e ".state == \"failed\" and (.reason | test(\"0000:01:00.1 is on no driver\"))" body &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 - &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .result == \"partial\" and .drivers_after[\"0000:01:00.1\"] == null" body
'

test_expect_success 'the operator gives the group back with an unbind once the driver is fixed' '
	sim_fault clear &&
	test "$(post /v1/devices/0000:01:00.0/unbind)" = 200 &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
