#!/bin/sh
test_description='SR-IOV: VFs created and removed through the API, the kernel'"'"'s order kept'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"

PF=0000:01:00.1   # igb, 7 VFs at most, none enabled
BUSY=0000:4b:00.0 # ice, 64 of 128 VFs enabled
ICE=0000:b1:00.0  # the other ice, 64 of 128 VFs enabled

writes() { sed -n 's/^writes_sriov=//p' "$TRASH/live/sim/stats"; }

test_expect_success 'setup: sriov-host on the live simulator' '
	sim_live_start sriov-host && passd_start &&
	api_expect 200 "/v1/devices/$PF" &&
	jq -e ".sriov.total_vfs == 7 and .sriov.num_vfs == 0" body
'

test_expect_success 'a dry run plans and writes nothing' '
	w=$(writes) &&
	api_expect 200 "/v1/devices/$PF/sriov?dry_run=true" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 4}" &&
	jq -e ".result == \"planned\" and .steps == [{\"write\": \"sriov_numvfs\", \"value\": 4, \"outcome\": \"planned\"}]" body &&
	jq -e ".num_vfs_before == 0 and .num_vfs_after == 4 and .vfs_removed == [] and .vfs == []" body &&
	test "$(writes)" = "$w" &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 0
'

test_expect_success '4 VFs appear, each with its PF and its own IOMMU group' '
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 4}" &&
	jq -e ".result == \"done\" and (.vfs | length) == 4 and .num_vfs_after == 4" body &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 4 &&
	api_expect 200 /v1/devices &&
	jq -e --arg pf "$PF" "[.devices[] | select(.physfn == \$pf)] | length == 4" body &&
	jq -e --arg pf "$PF" "[.devices[] | select(.physfn == \$pf) | .iommu_group] | unique | length == 4" body
'

test_expect_success 'the same count again changes nothing and writes nothing' '
	w=$(writes) &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 4}" &&
	jq -e ".result == \"unchanged\" and .steps == []" body &&
	test "$(writes)" = "$w"
'

test_expect_success '4 to 6 goes through 0, as the kernel requires' '
	w=$(writes) &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 6}" &&
	jq -e "[.steps[].value] == [0, 6] and (.vfs | length) == 6" body &&
	test "$(writes)" -eq $((w + 2))
'

test_expect_success 'a write the kernel refuses leaves the count as it was' '
	sim_fault "sriov:$PF:EIO:count=1" &&
	api_expect 500 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" &&
	jq -e ".result == \"failed\" and .error.code == \"internal\"" body &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 6
'

test_expect_success 'a VF on vfio-pci blocks its removal unless forced' '
	sim_fault clear &&
	vf=$(curl -sSf "$PASSD_URL/v1/devices/$PF" | jq -r ".sriov.vfs[-1]") &&
	api_expect 200 "/v1/devices/$vf/bind" -X POST &&
	sim_driver_is "$vf" vfio-pci &&
	api_expect 409 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" && api_error_is conflict &&
	jq -e --arg vf "$vf" ".in_use == [{\"address\": \$vf, \"reason\": \"on vfio-pci\"}]" body &&
	jq -e --arg vf "$vf" ".error.message | contains(\$vf)" body &&
	api_expect 200 "/v1/devices/$PF/sriov?dry_run=true" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" &&
	jq -e ".result == \"planned\" and (.in_use | length) == 1 and (.vfs_removed | length) == 6" body &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 6 &&
	echo "$vf" >forced_vf &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM binding b JOIN device d ON d.id = b.device_id WHERE d.address = '"'"'$vf'"'"'")" -eq 1 &&
	sim_fault "sriov:$PF:EIO:count=1" &&
	api_expect 500 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0, \"force\": true}" &&
	sim_driver_is "$vf" vfio-pci &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM binding b JOIN device d ON d.id = b.device_id WHERE d.address = '"'"'$vf'"'"'")" -eq 1 &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0, \"force\": true}" &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 0 &&
	api_expect 200 /v1/devices &&
	jq -e --arg pf "$PF" "[.devices[] | select(.physfn == \$pf)] | length == 0" body
'

test_expect_success 'the forced removal forgot the binding of the VF it took: no drift at restart' '
	test "$(sqlite3 passd.db "SELECT count(*) FROM binding b JOIN device d ON d.id = b.device_id WHERE d.address = '"'"'$(cat forced_vf)'"'"'")" -eq 0 &&
	test "$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1")" = done &&
	passd_stop && passd_start &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.drift == [] and .reconcile.reapplied == 0" body &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 0
'

test_expect_success 'bad requests: range, body, not a PF' '
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 8}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": -1}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": \"4\"}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"numvfs\": 4}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 99999999999999999999}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 70000}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1, \"forse\": true}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1, \"force\": 1}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$PF/sriov?dry_run=maybe" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1}" && api_error_is bad_request &&
	api_expect 409 "/v1/devices/0000:00:1f.4/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1}" && api_error_is conflict &&
	vf=$(curl -sSf "$PASSD_URL/v1/devices/$BUSY" | jq -r ".sriov.vfs[0]") &&
	api_expect 409 "/v1/devices/$vf/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1}" && api_error_is conflict &&
	jq -e ".error.message | contains(\"is a VF\")" body &&
	api_expect 404 "/v1/devices/0000:7e:00.0/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 1}" && api_error_is not_found
'

test_expect_success '64 VFs to 4 goes through 0; the dry run names the VFs that go' '
	w=$(writes) &&
	api_expect 200 "/v1/devices/$ICE/sriov?dry_run=true" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 4}" &&
	jq -e "[.steps[] | [.value, .outcome]] == [[0, \"planned\"], [4, \"planned\"]]" body &&
	jq -e "(.vfs_removed | length) == 64 and .num_vfs_after == 4 and .in_use == []" body &&
	test "$(writes)" = "$w" && test "$(cat "$SIM_DEVICES/$ICE/sriov_numvfs")" = 64 &&
	api_expect 200 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 4}" &&
	jq -e ".result == \"done\" and .num_vfs_before == 64 and .num_vfs_after == 4" body &&
	jq -e "[.steps[] | [.value, .outcome]] == [[0, \"done\"], [4, \"done\"]]" body &&
	test "$(writes)" -eq $((w + 2)) &&
	test "$(cat "$SIM_DEVICES/$ICE/sriov_numvfs")" = 4 &&
	jq -r ".vfs[]" body >vfs && test "$(wc -l <vfs)" -eq 4 &&
	api_expect 200 /v1/devices &&
	jq -e --arg pf "$ICE" "[.devices[] | select(.physfn == \$pf) | .iommu_group] | (length == 4 and all(. != null) and (unique | length) == 4)" body &&
	for vf in $(cat vfs); do sim_driver_is "$vf" iavf || return 1; done &&
	grep -q "PF .$ICE.: 64 -> 4 VFs" "$TRASH/passd.log"
'

test_expect_success 'a failed second write (after 0) puts the previous count back' '
	sim_fault "sriov:$ICE:hang=1:count=1 sriov:$ICE:EBUSY:count=1" &&
	api_expect 409 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 8}" && api_error_is conflict &&
	jq -e ".result == \"failed\" and .num_vfs_before == 4 and .num_vfs_after == 4" body &&
	jq -e "[.steps[] | [.value, .outcome]] == [[0, \"done\"], [8, \"failed\"]]" body &&
	jq -e ".restore == {\"value\": 4, \"outcome\": \"done\"} and (.vfs | length) == 4" body &&
	test "$(cat "$SIM_DEVICES/$ICE/sriov_numvfs")" = 4 &&
	api_expect 200 "/v1/devices/$ICE" && jq -e ".sriov.num_vfs == 4 and (.sriov.vfs | length) == 4" body
'

test_expect_success 'a failed first write changes nothing and restores nothing' '
	w=$(writes) &&
	sim_fault "sriov:$ICE:EBUSY:count=1" &&
	api_expect 409 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" && api_error_is conflict &&
	jq -e "[.steps[] | .outcome] == [\"failed\", \"not_started\"] and .restore == null" body &&
	test "$(writes)" -eq $((w + 1)) &&
	test "$(cat "$SIM_DEVICES/$ICE/sriov_numvfs")" = 4
'

test_expect_success 'a PF without its host driver, or on vfio-pci, is a 409 saying so' '
	echo "$ICE" >"$SYSFS_ROOT/bus/pci/drivers/ice/unbind" &&
	sim_driver_is "$ICE" - &&
	w=$(writes) &&
	api_expect 409 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" && api_error_is conflict &&
	jq -e ".error.message | contains(\"host driver\")" body &&
	test "$(writes)" = "$w" &&
	echo "$ICE" >"$SYSFS_ROOT/bus/pci/drivers_probe" && sim_driver_is "$ICE" ice &&
	api_expect 200 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" &&
	w=$(writes) &&
	api_expect 200 "/v1/devices/$ICE/bind" -X POST && sim_driver_is "$ICE" vfio-pci &&
	api_expect 409 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" && api_error_is conflict &&
	jq -e ".error.message | contains(\"vfio-pci\")" body &&
	test "$(writes)" = "$w" &&
	api_expect 200 "/v1/devices/$ICE/unbind" -X POST && sim_driver_is "$ICE" ice &&
	api_expect 200 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" &&
	jq -e ".result == \"unchanged\"" body
'

test_expect_success 'passctl sriov, with --dry-run' '
	passctl sriov --dry-run "$BUSY" 32 >out &&
	grep -q "dry run" out &&
	test_exit_code 2 passctl sriov "$BUSY" many 2>err &&
	test "$(cat "$SIM_DEVICES/$BUSY/sriov_numvfs")" = 64 &&
	passctl sriov "$BUSY" 32 >out &&
	test "$(cat "$SIM_DEVICES/$BUSY/sriov_numvfs")" = 32 &&
	test_exit_code 1 passctl sriov "$BUSY" 500 2>err &&
	passd_stop && sim_live_stop
'

test_done
