#!/bin/sh
test_description='a passd killed at any step of a VF change puts the old count back when it restarts'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"
grep -q "PASSD_TEST_HOOKS 1" "$top_builddir/config.h" 2>/dev/null ||
	skip_all "passd was built without test hooks (configure --enable-test-hooks)"

PF=0000:01:00.1 # igb, 7 VFs at most; its VFs come up without a driver

count() { cat "$SIM_DEVICES/$PF/sriov_numvfs"; }
q() { sqlite3 passd.db "$1"; }

# set_count N [BIND_FIRST_VF]: bring the PF to N VFs with a passd without hook (and bind its
# first VF), so that a crash run starts from a known state.
set_count() {
	passd_start &&
	if [ "$(count)" != "$1" ]; then
		api_expect 200 "/v1/devices/$PF/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": $1, \"force\": true}"
	fi &&
	if [ -n "${2:-}" ]; then
		vf=$(curl -sSf "$PASSD_URL/v1/devices/$PF" | jq -r ".sriov.vfs[0]") &&
		api_expect 200 "/v1/devices/$vf/bind" -X POST && echo "$vf" >bound
	else
		: >bound
	fi &&
	passd_stop
}

# crash_run K N: start passd with PASSD_CRASH_AT=sriov:K, ask for N VFs with force, and say
# whether it died at step K (exit 137) or finished (K is past the last step).
crash_run() {
	PASSD_CRASH_AT="sriov:$1" passd_start || return 1
	curl -s -o /dev/null -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": $2, \"force\": true}" "$PASSD_URL/v1/devices/$PF/sriov" || :
	for _t in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$PASSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PASSD_PID" 2>/dev/null; then
		passd_stop && echo finished >crash.result
		return
	fi
	wait "$PASSD_PID"
	rc=$?
	PASSD_PID=
	test "$rc" -eq 137 || { echo "passd exited $rc, not 137" >&2; return 1; }
	echo crashed >crash.result
}

# agree BEFORE AFTER: after a restart (no hook) nothing is pending; the count is BEFORE when the
# crash left the change pending (recovered), AFTER when it had recorded its end; the tree, the
# API and the wanted count agree; a VF bound before is on vfio-pci again or, when the change
# removed it, forgotten; no drift.
agree() {
	passd_start &&
	test "$(q "SELECT count(*) FROM intent WHERE state = 'pending'")" -eq 0 &&
	last=$(q "SELECT state FROM intent WHERE kind = 'sriov' ORDER BY id DESC LIMIT 1") &&
	if [ "$(cat crash.result)" = crashed ] && [ "$last" = recovered ]; then
		want=$1
	else
		test "$last" = done && want=$2
	fi &&
	test "$(count)" = "$want" &&
	test "$(ls -d "$SIM_DEVICES/$PF"/virtfn* 2>/dev/null | wc -l)" -eq "$want" &&
	api_expect 200 "/v1/devices/$PF" &&
	jq -e --argjson n "$want" ".sriov.num_vfs == \$n and (.sriov.vfs | length) == \$n" body &&
	w=$(q "SELECT w.num_vfs FROM sriov_wanted w JOIN device d ON d.id = w.device_id WHERE d.address = '$PF' AND d.gone_at IS NULL") &&
	if [ "$want" -eq 0 ]; then test -z "$w"; else test "$w" = "$want"; fi &&
	if [ -s bound ] && [ "$want" = "$1" ]; then
		sim_driver_is "$(cat bound)" vfio-pci
	fi &&
	api_expect 200 /v1/health &&
	jq -e ".reconcile.drift == []" body &&
	passd_stop
}

test_expect_success 'setup: sriov-host on the live simulator' '
	sim_live_start sriov-host
'

points=0
for case in "0 3" "3 5" "3 0" "3 0 bind" "2 4 bind"; do
	set -- $case
	before=$1 after=$2 bind=${3:-}
	k=1
	while [ $k -le 12 ]; do
		test_expect_success "$before -> $after VFs${bind:+ (first VF on vfio-pci)}: killed after step $k, the restart agrees" '
			set_count '"$before"' '"$bind"' &&
			crash_run '"$k"' '"$after"' &&
			agree '"$before"' '"$after"'
		'
		[ "$(cat "$TRASH/crash.result" 2>/dev/null)" = crashed ] || break
		points=$((points + 1))
		k=$((k + 1))
	done
done
say "crash points covered: $points"

test_expect_success 'every crash left a recovered intent, and nothing pending' '
	test "$(q "SELECT count(*) FROM intent WHERE kind = '"'"'sriov'"'"' AND state = '"'"'recovered'"'"'")" -ge 10 &&
	test "$(q "SELECT count(*) FROM intent WHERE state = '"'"'pending'"'"'")" -eq 0 &&
	sim_live_stop
'

test_done
