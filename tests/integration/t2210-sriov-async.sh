#!/bin/sh
test_description='a hung sriov_numvfs write stalls only the PF and its VFs, never the API'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"

PF=0000:01:00.1 # igb, 7 VFs at most, none enabled; its VFs come up without a driver
ICE=0000:4b:00.0 # ice, 64 VFs on iavf

ms() { date +%s%3N; }
count() { cat "$SIM_DEVICES/$1/sriov_numvfs"; }

test_expect_success 'setup: sriov-host on the live simulator, 1 s operation timeout' '
	sim_live_start sriov-host && passd_start --op-timeout 1 &&
	other=$(curl -sSf "$PASSD_URL/v1/devices/$ICE" | jq -r ".sriov.vfs[0]") &&
	test "$other" != null && echo "$other" >other
'

test_expect_success 'a hung write: health and a bind elsewhere answer at once, the PF is busy' '
	sim_fault "sriov:$PF:hang=5000:count=1" &&
	t0=$(ms) &&
	{ curl -s -o hung.body -w "%{http_code}" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" "$PASSD_URL/v1/devices/$PF/sriov" >hung.code & } &&
	hung=$! &&
	sleep 0.3 &&
	t1=$(ms) && api_expect 200 /v1/health && t2=$(ms) &&
	test $((t2 - t1)) -lt 1000 &&
	t1=$(ms) && api_expect 200 "/v1/devices/$(cat other)/bind" -X POST && t2=$(ms) &&
	test $((t2 - t1)) -lt 1000 &&
	sim_driver_is "$(cat other)" vfio-pci &&
	api_expect 409 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 3}" && api_error_is conflict &&
	api_expect 409 "/v1/devices/$PF/bind" -X POST && api_error_is conflict &&
	wait $hung &&
	t3=$(ms) &&
	test "$(cat hung.code)" = 503 &&
	jq -e ".error.code == \"unavailable\" and (.error.message | test(\"VF change\"))" hung.body &&
	test $((t3 - t0)) -lt 4500
'

test_expect_success 'the hung change completes when the kernel answers, and unlocks the PF' '
	i=0 && while [ $i -lt 100 ] && ! grep -q "late VF change finished" "$TRASH/passd.log"; do
		sleep 0.1; i=$((i + 1)); done &&
	grep -q "late VF change finished" "$TRASH/passd.log" &&
	test "$(count $PF)" = 2 &&
	api_expect 200 "/v1/devices/$PF" &&
	jq -e ".sriov.num_vfs == 2 and (.sriov.vfs | length) == 2" body &&
	test "$(sqlite3 passd.db "SELECT state FROM intent WHERE kind = '"'"'sriov'"'"' ORDER BY id DESC LIMIT 1")" = done &&
	api_expect 200 "/v1/devices/$(cat other)/unbind" -X POST
'

test_expect_success 'a VF change locks the groups of the VFs it removes' '
	curl -sSf "$PASSD_URL/v1/devices/$PF" | jq -r ".sriov.vfs[]" >vfs &&
	test "$(wc -l <vfs)" -eq 2 &&
	sim_fault "sriov:$PF:hang=4000:count=1" &&
	{ curl -s -o chg.body -w "%{http_code}" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" "$PASSD_URL/v1/devices/$PF/sriov" >chg.code & } &&
	chg=$! &&
	sleep 0.3 &&
	api_expect 409 "/v1/devices/$(sed -n 2p vfs)/bind" -X POST && api_error_is conflict &&
	jq -e ".error.message | test(\"in progress\")" body &&
	wait $chg && test "$(cat chg.code)" = 503 &&
	i=0 && while [ $i -lt 100 ] && [ "$(count $PF)" != 0 ]; do sleep 0.1; i=$((i + 1)); done &&
	test "$(count $PF)" = 0
'

test_expect_success 'a bind running on a VF makes a change of its PF a 409' '
	passd_stop && passd_start --op-timeout 60 &&
	api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 2}" &&
	vf=$(jq -r ".vfs[0]" body) &&
	sim_fault "probe:$vf:hang=1500:count=1" &&
	{ curl -s -o bnd.body -w "%{http_code}" -X POST "$PASSD_URL/v1/devices/$vf/bind" >bnd.code & } &&
	bnd=$! &&
	sleep 0.3 &&
	api_expect 409 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0, \"force\": true}" &&
	api_error_is conflict &&
	jq -e --arg vf "$vf" ".error.message | contains(\$vf)" body &&
	test "$(count $PF)" = 2 &&
	wait $bnd && test "$(cat bnd.code)" = 200 &&
	sim_driver_is "$vf" vfio-pci
'

test_expect_success 'SIGTERM during a VF change lets it finish before passd exits' '
	sim_fault "sriov:$PF:hang=1000:count=1" &&
	{ curl -s -o term.body -w "%{http_code}" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0, \"force\": true}" "$PASSD_URL/v1/devices/$PF/sriov" >term.code & } &&
	term=$! &&
	sleep 0.3 &&
	passd_stop &&
	wait $term &&
	test "$(cat term.code)" = 200 &&
	test "$(count $PF)" = 0 &&
	test "$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1")" = done &&
	sim_live_stop
'

test_done
