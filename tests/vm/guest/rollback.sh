#!/bin/bash
# In the guest (topology mixed, vfio-pci loaded): a group move that fails half-way on the real
# kernel puts every device back, and so does a passd killed half-way once it restarts.
test_description='rollback and crash recovery on the real kernel'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/move-lib.sh"

grep -q "PASSD_TEST_HOOKS 1" "$top_builddir/config.h" 2>/dev/null ||
	skip_all "passd was built without test hooks (configure --enable-test-hooks)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing (scripts/install-deps installs it)"

# The group behind the pcie-pci-bridge: the bridge (stays), e1000 (moved first), edu (second).
bridge=0000:05:00.0 nic=0000:06:01.0 edu=0000:06:02.0
PAUSED="$TRASH/paused"

# pause_wait: wait (10 s at most) until passd reached its PASSD_PAUSE_AT point.
pause_wait() {
	_i=0
	while [ ! -e "$PAUSED" ]; do
		_i=$((_i + 1))
		[ $_i -le 200 ] || { echo "passd never paused" >&2; return 1; }
		sleep 0.05
	done
}

test_expect_success 'setup: the bridged group, as the host has it' '
	grp=$(vm_group $edu) && vm_members $grp &&
	test "$MEMBERS" = "$bridge $nic $edu" &&
	vm_state $MEMBERS && host=$STATE &&
	state_is "$bridge=-/(null) $nic=e1000/(null) $edu=-/(null)" $MEMBERS
'

# Side effects of this bind: 1 intent, 2-4 e1000 (override, unbind, probe), 5-6 edu (override,
# probe), 7 the result record. After 4, e1000 is on vfio-pci and edu not yet touched; after 5,
# edu has its override too.
for k in 4 5; do
	test_expect_success "bind paused after step $k; edu is removed from the bus" '
		PASSD_PAUSE_AT=bind:'$k':$PAUSED passd_start &&
		{ { http POST /v1/devices/$edu/bind; echo "$CODE" >code; } & } &&
		cpid=$! &&
		pause_wait &&
		vm_drv $nic && test $DRV = vfio-pci &&
		echo 1 >$DEVS/$edu/remove &&
		test ! -e $DEVS/$edu &&
		rm "$PAUSED" && wait $cpid &&
		code=$(cat code) && cp body answer.'$k'
	'

	test_expect_success "step $k: the answer is a conflict naming edu; e1000 rolled back" '
		cat body && echo " (HTTP $code)" &&
		test "$code" = 409 &&
		jq -e --arg e $edu --arg n $nic ".result == \"failed\" and
			.error.code == \"conflict\" and (.error.message | contains(\$e + \" vanished\")) and
			(.devices[] | select(.address == \$n) | .outcome == \"rolled_back\") and
			(.devices[] | select(.address == \$e) | .outcome ==
				(if '$k' == 4 then \"not_started\" else \"gone\" end))" body &&
		test "$(sqlite3 passd.db "SELECT state FROM intent ORDER BY id DESC LIMIT 1")" = rolled_back
	'

	test_expect_success "step $k: every device still there is back on its original driver" '
		state_is "$bridge=-/(null) $nic=e1000/(null)" $bridge $nic &&
		test ! -e /dev/vfio/$grp &&
		api_wait 20 /v1/devices "[.devices[].address] | index(\"$edu\") == null" &&
		api_agrees $grp
	'

	test_expect_success "step $k: rescan brings edu back clean, in the same group" '
		echo 1 >/sys/bus/pci/rescan &&
		test "$(vm_group $edu)" = $grp &&
		state_is "$host" $MEMBERS &&
		api_wait 20 /v1/groups/$grp "[.members[].address] | index(\"$edu\") != null" &&
		api_agrees $grp &&
		passd_stop
	'
done

# agree BINDINGS: the API's whole device list equals the kernel's /sys (truth.sh), and so do the
# drivers in the database; BINDINGS bindings are recorded and no intent is left pending.
agree() {
	bash "$FIXTURES/truth.sh" /sys >kernel.truth &&
	api_truth api.truth &&
	test_cmp kernel.truth api.truth || return 1
	_k=
	for _d in $DEVS/*; do
		vm_drv "${_d##*/}"
		_k="$_k${_k:+ }${_d##*/}=$DRV"
	done
	printf '%s\n%s\n0\n' "$_k" "$1" >db.want
	sqlite3 passd.db "SELECT group_concat(a, ' ') FROM (SELECT address || '=' ||
		coalesce(driver, '-') AS a FROM device WHERE gone_at IS NULL ORDER BY address);
		SELECT count(*) FROM binding; SELECT count(*) FROM intent WHERE state = 'pending';" >db.have &&
	test_cmp db.want db.have
}

# crash_bind K: passd killed (exit 137) right after the K-th side effect of the group bind.
crash_bind() {
	PASSD_CRASH_AT=bind:$1 passd_start || return 1
	(http POST /v1/devices/$edu/bind) 2>/dev/null # a subshell: passd dies mid-request
	_i=0
	while kill -0 "$PASSD_PID" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le 100 ] || { echo "passd did not die at bind:$1" >&2; return 1; }
		sleep 0.05
	done
	wait "$PASSD_PID"
	_rc=$?
	PASSD_PID=
	[ $_rc -eq 137 ] || { echo "passd exited $_rc, not 137" >&2; return 1; }
	vm_state $MEMBERS
	say "killed after step $1: $STATE"
}

# 3: e1000 off its driver, not yet on vfio-pci; 4: e1000 moved; 5: edu's override written.
for k in 3 4 5; do
	test_expect_success "SIGKILL after step $k of the group bind: the restart rolls it back" '
		crash_bind '$k' &&
		passd_start &&
		grep -q "interrupted by a crash" passd.log &&
		state_is "$host" $MEMBERS &&
		agree 0 &&
		passd_stop
	'
done

test_expect_success 'SIGKILL after the result record (step 7): the bind stands, DB and tree agree' '
	crash_bind 7 &&
	want="$bridge=-/(null) $nic=vfio-pci/vfio-pci $edu=vfio-pci/vfio-pci" &&
	state_is "$want" $MEMBERS &&
	passd_start &&
	state_is "$want" $MEMBERS &&
	agree 2 &&
	post_expect 200 /v1/devices/$edu/unbind &&
	state_is "$host" $MEMBERS &&
	agree 0 &&
	passd_stop
'

for k in 4 5; do [ -f "$TRASH/answer.$k" ] && say "answer when removed after step $k: $(cat "$TRASH/answer.$k")"; done
test_done
