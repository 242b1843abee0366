#!/bin/sh
test_description='VF counts survive a reboot like bindings: VFs first, then their bindings'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"

PF=0000:01:00.1 # igb, 7 VFs at most, none enabled at boot

count() { cat "$SIM_DEVICES/$PF/sriov_numvfs"; }
wanted() { sqlite3 passd.db "SELECT w.num_vfs FROM sriov_wanted w JOIN device d ON d.id = w.device_id WHERE d.address = '$PF'"; }
# reboot: a new simulated kernel on the same profile starts from the firmware's state (0 VFs).
reboot() { passd_stop && sim_live_stop && sim_live_start sriov-host; }

test_expect_success 'setup: 3 VFs on the igb PF, the first one bound to vfio-pci' '
	sim_live_start sriov-host && passd_start &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 3}" &&
	jq -r ".vfs[0]" body >vf && test "$(cat vf)" != null &&
	test "$(wanted)" = 3 &&
	api_expect 200 "/v1/devices/$(cat vf)/bind" -X POST &&
	sim_driver_is "$(cat vf)" vfio-pci &&
	passd_stop
'

test_expect_success 'a restart with everything in place writes nothing' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	passd_start &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.vfs_reapplied == 0 and .reconcile.reapplied == 0 and .reconcile.drift == []" body
'

test_expect_success 'after a reboot the VFs come back first, then the VF binding' '
	reboot && test "$(count)" = 0 &&
	passd_start &&
	test "$(count)" = 3 &&
	sim_driver_is "$(cat vf)" vfio-pci &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.vfs_reapplied == 1 and .reconcile.reapplied == 1 and .reconcile.drift == []" body &&
	grep -q "Re-applied 3 VFs on .$PF." "$TRASH/passd.log" &&
	grep -n "Re-applied 3 VFs\|Re-applied the binding" "$TRASH/passd.log" >order &&
	head -n 1 order | grep -q "VFs" &&
	api_expect 200 "/v1/devices/$(cat vf)" && jq -e ".driver == \"vfio-pci\"" body
'

test_expect_success 'a remove and rescan of the PF loses its VFs: the restart restores them too' '
	passd_stop &&
	echo 1 >"$SIM_DEVICES/$PF/remove" && echo 1 >"$TRASH/live/sys/bus/pci/rescan" &&
	test "$(count)" = 0 &&
	passd_start &&
	test "$(count)" = 3 && sim_driver_is "$(cat vf)" vfio-pci
'

test_expect_success 'a failed re-apply is reported as drift, the count left as the kernel has it' '
	reboot && sim_fault "sriov:$PF:EIO" &&
	passd_start &&
	test "$(count)" = 0 &&
	api_expect 200 /v1/health &&
	jq -e --arg pf "$PF" "[.reconcile.drift[] | select(.address == \$pf and .kind == \"vf_count\" and (.reason | test(\"re-applying failed\")))] | length == 1" body &&
	jq -e --arg vf "$(cat vf)" "[.reconcile.drift[] | select(.address == \$vf and .kind == \"binding\")] | length == 1" body &&
	test "$(wanted)" = 3 &&
	test "$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1")" = rolled_back &&
	sim_fault clear && passd_stop && passd_start &&
	test "$(count)" = 3 && sim_driver_is "$(cat vf)" vfio-pci
'

test_expect_success 'another card in the slot is reported, and gets no VFs' '
	reboot &&
	sqlite3 passd.db "UPDATE device SET subsystem_device_id = '"'"'0xbeef'"'"' WHERE address = '"'"'$PF'"'"'" &&
	passd_start &&
	test "$(count)" = 0 &&
	api_expect 200 /v1/health &&
	jq -e --arg pf "$PF" "[.reconcile.drift[] | select(.address == \$pf and .kind == \"vf_count\" and (.reason | test(\"is there now\")))] | length == 1" body &&
	jq -e ".reconcile.vfs_reapplied == 0" body &&
	passd_stop &&
	sqlite3 passd.db "DELETE FROM sriov_wanted"
'

test_expect_success 'setting 0 forgets the count: after a reboot the PF stays without VFs' '
	passd_start &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" &&
	test "$(wanted)" = 2 &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" &&
	test -z "$(wanted)" &&
	reboot && passd_start &&
	test "$(count)" = 0 &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.vfs_reapplied == 0" body &&
	passd_stop && sim_live_stop
'

test_done
