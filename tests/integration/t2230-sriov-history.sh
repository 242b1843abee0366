#!/bin/sh
test_description='SR-IOV: every VF change that ran is in the history, with its counts, its VFs and who asked'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

PF=0000:01:00.1 # igb, 7 VFs at most, none enabled; its VFs come up without a driver
ICE=0000:4b:00.0 # ice, 64 of 128 VFs enabled, on iavf

sriov() { # sriov ADDR N [QUERY]: status to stdout, body to ./body
	api "/v1/devices/$1/sriov${3:-}" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": $2}"
}

# last: the newest history entry in ./last.
last() {
	api_expect 200 "/v1/history?limit=1" && jq .history[0] body >last
}

test_expect_success 'setup: sriov-host on the live simulator, 1 s operation timeout' '
	sim_live_start sriov-host && passd_start --op-timeout 1 &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history == []" body
'

test_expect_success 'dry runs, refusals and a count already there are not recorded' '
	test "$(sriov $ICE 4 "?dry_run=true")" = 200 &&
	test "$(sriov $ICE 64)" = 200 &&
	jq -e ".result == \"unchanged\"" body &&
	test "$(sriov $ICE 999)" = 400 &&
	api_expect 200 "/v1/history" &&
	jq -e ".history == []" body
'

test_expect_success '0 to 3: done, by whom, the VFs after with their drivers' '
	test "$(sriov $PF 3)" = 200 &&
	last &&
	jq -e --arg pf $PF ".action == \"sriov\" and .target == \$pf and .result == \"done\" and .actor == \"token:test-admin\" and .error == null" last &&
	jq -e ".detail == {\"num_vfs_before\": 0, \"num_vfs_after\": 3, \"num_vfs_wanted\": 3}" last &&
	jq -e ".drivers_before == null and (.drivers_after | length) == 3 and ([.drivers_after[]] | all(. == null))" last &&
	curl -sSf "$PASSD_URL/v1/devices/$PF" | jq -S "[.sriov.vfs[] | {(.): null}] | add" >want &&
	jq -S .drivers_after last >got &&
	test_cmp want got
'

test_expect_success '64 to 2 through 0: the 64 VFs removed on iavf, the 2 new ones' '
	test "$(sriov $ICE 2)" = 200 &&
	last &&
	jq -e ".target == \"$ICE\" and .result == \"done\" and .detail.num_vfs_before == 64 and .detail.num_vfs_after == 2" last &&
	jq -e "(.drivers_before | length) == 64 and ([.drivers_before[]] | unique) == [\"iavf\"]" last &&
	jq -e "(.drivers_after | length) == 2 and ([.drivers_after[]] | unique) == [\"iavf\"]" last
'

test_expect_success 'a first write the kernel refuses: failed, nothing changed' '
	sim_fault "sriov:$ICE:EBUSY:count=1" &&
	test "$(sriov $ICE 4)" = 409 &&
	last &&
	jq -e ".result == \"failed\" and (.error | test(\"busy\")) and .detail.num_vfs_after == 2 and .drivers_before == null" last
'

test_expect_success 'a second write refused after 0: the old count put back, rolled_back' '
	sim_fault "sriov:$ICE:hang=1:count=1 sriov:$ICE:EBUSY:count=1" &&
	test "$(sriov $ICE 8)" = 409 &&
	last &&
	jq -e ".result == \"rolled_back\" and .detail == {\"num_vfs_before\": 2, \"num_vfs_after\": 2, \"num_vfs_wanted\": 8, \"restore\": \"done\"}" last &&
	jq -e "(.drivers_after | length) == 2" last
'

test_expect_success 'a change past --op-timeout: partial, the count not known yet' '
	sim_fault "sriov:$PF:hang=1500:count=1" &&
	test "$(sriov $PF 0)" = 503 &&
	last &&
	jq -e ".result == \"partial\" and (.error | test(\"has not finished\")) and .detail == {\"num_vfs_before\": 3, \"num_vfs_after\": null, \"num_vfs_wanted\": 0}" last &&
	i=0 && while [ $i -lt 50 ] && ! grep -q "late VF change finished" "$TRASH/passd.log"; do
		sleep 0.1; i=$((i + 1)); done &&
	test "$(cat "$SIM_DEVICES/$PF/sriov_numvfs")" = 0
'

test_expect_success 'passctl history shows them' '
	passctl history --limit 10 >out &&
	grep -q sriov out &&
	grep -q "$ICE" out
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
