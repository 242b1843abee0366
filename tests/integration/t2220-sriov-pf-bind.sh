#!/bin/sh
test_description='binding an SR-IOV PF whose VFs are enabled: the real kernel refuses it, passd says why'
# vfio-pci refuses a PF with VFs enabled (EBUSY from vfio_pci_core_register_device(), which
# drivers_probe hides), and nvme leaves the VFs enabled when it lets go of the PF: seen on the
# real kernel by t9902, modelled by passd-sim (tests/vm/SIM-VS-KERNEL.md). q35-sriov is the VM
# tier's SR-IOV guest: QEMU's NVMe PF 01:00.0 on nvme with 2 driverless VFs.
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

PF=0000:01:00.0

test_expect_success 'setup: the sriov guest on the live simulator' '
	sim_live_start q35-sriov && passd_start &&
	api_expect 200 "/v1/devices/$PF" && jq -e ".sriov.num_vfs == 2" body &&
	sim_driver_is $PF nvme
'

test_expect_success 'the dry run warns that the PF has VFs' '
	api_expect 200 "/v1/devices/$PF/bind?dry_run=true" -X POST &&
	jq -e ".devices[0].warnings | any(test(\"2 VFs enabled\"))" body
'

test_expect_success 'a bind of the PF with VFs enabled is a 409 conflict before any write, even forced' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	api_expect 409 "/v1/devices/$PF/bind" -X POST -H "Content-Type: application/json" \
		-d "{\"force\": true}" &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"2 VFs enabled\") and test(\"num_vfs 0\")" body &&
	jq -e "[.devices[] | .outcome] == [\"not_started\"]" body &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	sim_driver_is $PF nvme &&
	test "$(cat "$SIM_DEVICES/$PF/driver_override")" = "(null)" &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 2 &&
	test -e "$SIM_DEVICES/0000:01:00.1" && test -e "$SIM_DEVICES/0000:01:00.2"
'

test_expect_success 'with the VFs removed first, the PF binds and comes back to nvme' '
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" \
		-d "{\"num_vfs\": 0}" &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 0 &&
	api_expect 200 "/v1/devices/$PF/bind" -X POST &&
	sim_driver_is $PF vfio-pci &&
	api_expect 200 "/v1/devices/$PF/unbind" -X POST &&
	sim_driver_is $PF nvme
'

test_done
