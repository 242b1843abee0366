#!/bin/sh
test_description='VFs made with passctl, and the VFs bound to vfio-pci, are back after a reboot'
. "$top_srcdir/tests/lib/test-lib.sh"

# Peer pain point 12: VF counts set by hand are gone after a reboot (or come back as the
# firmware's), and so are the VFs handed to VMs. Here the E810's firmware enables 64 VFs at
# boot; the user wants 8, two of them on vfio-pci. A reboot is a new simulated kernel on the
# same profile: 64 VFs on iavf again, no override.

sim_live_require

ICE=0000:4b:00.0 # ice, 64 of 128 VFs at boot, VFs on iavf

count() { cat "$SIM_DEVICES/$ICE/sriov_numvfs"; }

test_expect_success 'setup: passctl sets 8 VFs and binds two of them' '
	sim_live_start sriov-host && passd_start &&
	test "$(count)" = 64 &&
	passctl sriov $ICE 8 >out &&
	test "$(count)" = 8 &&
	passctl --json show $ICE >show.json &&
	jq -r ".sriov.vfs[]" show.json >vfs && test "$(wc -l <vfs)" -eq 8 &&
	passctl bind "$(sed -n 1p vfs)" >out && passctl bind "$(sed -n 5p vfs)" >out &&
	sim_driver_is "$(sed -n 1p vfs)" vfio-pci && sim_driver_is "$(sed -n 5p vfs)" vfio-pci &&
	passd_stop
'

test_expect_success 'reboot: the firmware brings 64 VFs back, none on vfio-pci' '
	sim_live_stop && sim_live_start sriov-host &&
	test "$(count)" = 64 && sim_driver_is "$(sed -n 1p vfs)" iavf
'

test_expect_success 'passd puts 8 VFs back, then the two bindings, and reports no drift' '
	passd_start &&
	test "$(count)" = 8 &&
	n=0 && for vf in $(cat vfs); do
		test -e "$SIM_DEVICES/$vf/physfn" || return 1
		n=$((n + 1))
	done && test $n -eq 8 &&
	sim_driver_is "$(sed -n 1p vfs)" vfio-pci && sim_driver_is "$(sed -n 5p vfs)" vfio-pci &&
	for i in 2 3 4 6 7 8; do sim_driver_is "$(sed -n ${i}p vfs)" iavf || return 1; done &&
	passctl --json status >status.json &&
	jq -e ".reconcile.vfs_reapplied == 1 and .reconcile.reapplied == 2 and .reconcile.drift == []" status.json &&
	passctl --json show $ICE >show.json &&
	jq -e ".sriov.num_vfs == 8" show.json &&
	jq -r ".sriov.vfs[]" show.json >vfs.now && test_cmp vfs vfs.now
'

test_expect_success 'giving the VFs back and removing them: the next reboot keeps the firmware count' '
	passctl unbind "$(sed -n 1p vfs)" >out && passctl unbind "$(sed -n 5p vfs)" >out &&
	passctl sriov $ICE 0 >out && test "$(count)" = 0 &&
	passd_stop && sim_live_stop && sim_live_start sriov-host &&
	passd_start &&
	test "$(count)" = 64 &&
	passctl --json status >status.json &&
	jq -e ".reconcile.vfs_reapplied == 0 and .reconcile.reapplied == 0" status.json &&
	passd_stop && sim_live_stop
'

test_done
