#!/bin/sh
test_description='a passd killed at any step of a bind or unbind puts the group back when it restarts'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
grep -q "PASSD_TEST_HOOKS 1" "$top_builddir/config.h" 2>/dev/null ||
	skip_all "passd was built without test hooks (configure --enable-test-hooks)"

# state_of ADDR...: "ADDR=DRIVER/OVERRIDE" for each, from the simulated kernel.
state_of() {
	for a in "$@"; do
		d=$(readlink "$SIM_DEVICES/$a/driver" 2>/dev/null) || d=-
		printf '%s=%s/%s\n' "$a" "${d##*/}" "$(cat "$SIM_DEVICES/$a/driver_override")"
	done
}

# crash_run OP K ADDR: start passd with the crash hook, ask for OP, and report whether it
# died at step K (exit 137) or finished (then K is past the last step).
crash_run() {
	PASSD_CRASH_AT="$1:$2" passd_start || return 1
	curl -s -o /dev/null -X POST "$PASSD_URL/v1/devices/$3/$1" || :
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

# after_restart: restart passd (no hook): no intent may stay pending.
after_restart() {
	passd_start &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM intent WHERE state = 'pending'")" -eq 0 &&
	passd_stop
}

# setup_group NAME JQ_FILTER: pick a group from the API, remember its members and the state of
# each on its host drivers and on vfio-pci.
setup_group() {
	passd_start &&
	addr=$(curl -sSf "$PASSD_URL/v1/devices" | jq -r "$2") &&
	test -n "$addr" && test "$addr" != null &&
	grp=$(curl -sSf "$PASSD_URL/v1/devices/$addr" | jq .iommu_group) &&
	curl -sSf "$PASSD_URL/v1/groups/$grp" | jq -r ".devices[]" >members &&
	echo "$addr" >gpu &&
	state_of $(cat members) >host.state &&
	api_expect 200 "/v1/devices/$addr/bind" -X POST &&
	state_of $(cat members) >vfio.state &&
	api_expect 200 "/v1/devices/$addr/unbind" -X POST &&
	state_of $(cat members) >now && test_cmp host.state now &&
	! cmp -s host.state vfio.state &&
	passd_stop
}

test_expect_success 'setup: desktop host on the live simulator' '
	command -v sqlite3 >/dev/null &&
	sim_live_start desktop
'

points=0
for target in gpu bridged; do
	case $target in
	gpu) filter='[.devices[] | select((.class | startswith("0x0300")) and .boot_vga != true)][0].address' ;;
	# The group behind the PCH switch: bridges that stay on pcieport, and three endpoints.
	bridged) filter='[.devices[] | select(.driver == "xhci_hcd" and .parent != null)][0].address' ;;
	esac
	test_expect_success "$target: pick the group" "setup_group $target '$filter'"
	for op in bind unbind; do
		k=1
		while [ $k -le 20 ]; do
			test_expect_success "$target $op: killed after step $k, the restart leaves the group whole" '
				if [ '"$op"' = unbind ]; then
					passd_start && api_expect 200 "/v1/devices/$(cat gpu)/bind" -X POST &&
					passd_stop && before=vfio.state after=host.state
				else
					before=host.state after=vfio.state
				fi &&
				crash_run '"$op"' '"$k"' "$(cat gpu)" &&
				after_restart &&
				state_of $(cat members) >now &&
				last=$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1") &&
				if [ "$(cat crash.result)" = crashed ] && [ "$last" = recovered ]; then
					test_cmp "$before" now   # died midway: put back as it was
				else
					test "$last" = done &&   # died after recording the end, or finished
					test_cmp "$after" now
				fi &&
				if cmp -s now vfio.state; then
					passd_start && api_expect 200 "/v1/devices/$(cat gpu)/unbind" -X POST && passd_stop
				fi
			'
			[ "$(cat "$TRASH/crash.result" 2>/dev/null)" = crashed ] || break
			points=$((points + 1))
			k=$((k + 1))
		done
	done
done
say "crash points covered: $points"

test_expect_success 'every crash left a recovered intent, and nothing pending' '
	test "$(sqlite3 passd.db "SELECT count(*) FROM intent WHERE state = '"'"'recovered'"'"'")" -ge 16 &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM intent WHERE state = '"'"'pending'"'"'")" -eq 0 &&
	sim_live_stop
'

test_done
