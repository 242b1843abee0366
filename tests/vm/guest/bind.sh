#!/bin/bash
# In the guest (topology mixed, vfio-pci loaded by vmrun -M): passd binds and unbinds every kind
# of IOMMU group on the real kernel, the kernel's own VFIO uAPI (vfio-check) agrees, and a partial
# group is judged as the kernel judges it.
test_description='bind and unbind on real vfio-pci'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/move-lib.sh"

# NAME ADDR VENDOR:DEVICE: each group of the mixed topology, named by the device asked for.
targets='
edu 0000:02:00.0 1234:11e8
e1000e 0000:01:00.0 8086:10d3
multifunction 0000:04:00.1 1234:11e8
bridged 0000:06:02.0 1234:11e8
nvme 0000:03:00.0 1b36:0010
'

test_expect_success 'the mixed topology is there, vfio-pci is loaded, passd starts' '
	echo "$targets" | while read -r name addr id; do
		[ -z "$name" ] && continue
		v=$(vm_read $DEVS/$addr/vendor) d=$(vm_read $DEVS/$addr/device) &&
		test "${v#0x}:${d#0x}" = "$id" || { echo "$name: $addr is $v:$d" >&2; exit 1; }
	done &&
	{ test -x "$VFIO_CHECK" || { echo "no $VFIO_CHECK: make tests/vm/vfio-check" >&2; false; }; } &&
	test -c /dev/vfio/vfio &&
	test -d /sys/bus/pci/drivers/vfio-pci &&
	passd_start
'

# The state a bind must reach: every endpoint on vfio-pci with the override, bridges untouched.
want_bound() {
	WANT=
	for _a in $MEMBERS; do
		if vm_bridge "$_a"; then
			vm_state "$_a"
			WANT="$WANT${WANT:+ }$STATE"
		else
			WANT="$WANT${WANT:+ }$_a=vfio-pci/vfio-pci"
		fi
	done
}

# check_answer RESULT OUTCOME: ./body is a bind/unbind answer for the whole group ($MEMBERS),
# with that result, and every device that moves with that outcome.
check_answer() {
	jq -e --arg r "$1" --arg o "$2" --arg m "$MEMBERS" --argjson g "$grp" '
		.result == $r and .group == $g and
		([.devices[].address] | join(" ")) == $m and
		([.devices[] | select(.action == "move") | .outcome] | all(. == $o)) and
		([.devices[] | select(.action == "bridge")] | all(.outcome == "unchanged"))' body >/dev/null || {
		echo "unexpected answer (want result $1, outcomes $2, members $MEMBERS):" >&2
		cat body >&2
		return 1
	}
}

echo "$targets" | while read -r name addr id; do [ -n "$name" ] && echo "$name $addr"; done >targets.list
while read -r name addr; do
	test_expect_success "$name: bind moves the whole group to vfio-pci" '
		grp=$(vm_group '$addr') && vm_members $grp &&
		vm_state $MEMBERS && before=$STATE &&
		echo "$before" >before.'$name' &&
		post_expect 200 /v1/devices/'$addr'/bind &&
		timing "bind '$name' ($(set -- $MEMBERS; echo $#) devices)" "${SECS}s" &&
		check_answer done done &&
		want_bound && state_is "$WANT" $MEMBERS &&
		test -c /dev/vfio/$grp &&
		api_agrees $grp
	'
	test_expect_success "$name: the kernel finds the group viable and opens every device" '
		"$VFIO_CHECK" $grp >vfio.out; rc=$?; cat vfio.out;
		test $rc -eq 0 &&
		grep -qx "group $grp viable 1 flags 0x1" vfio.out &&
		n=0 && for a in $MEMBERS; do vm_bridge $a || n=$((n + 1)); done &&
		test "$(grep -c "^device .* open " vfio.out)" -eq $n &&
		get_expect 200 /v1/groups/$grp &&
		jq -e ".viable == true and .blockers == []" body
	'
	test_expect_success "$name: a second bind answers unchanged and moves nothing" '
		post_expect 200 /v1/devices/'$addr'/bind &&
		jq -e ".result == \"unchanged\" and ([.devices[].outcome] | all(. == \"unchanged\"))" body &&
		state_is "$WANT" $MEMBERS
	'
	test_expect_success "$name: unbind gives every device its driver back, /dev/vfio/N goes" '
		post_expect 200 /v1/devices/'$addr'/unbind &&
		timing "unbind '$name'" "${SECS}s" &&
		check_answer done done &&
		state_is "$(cat before.'$name')" $MEMBERS &&
		test ! -e /dev/vfio/$grp &&
		api_agrees $grp
	'
done <targets.list

test_expect_success 'native drivers are back: e1000e, nvme, e1000' '
	vm_drv 0000:01:00.0 && test $DRV = e1000e &&
	vm_drv 0000:04:00.0 && test $DRV = e1000e &&
	vm_drv 0000:03:00.0 && test $DRV = nvme &&
	vm_drv 0000:06:01.0 && test $DRV = e1000 &&
	vm_drv 0000:02:00.0 && test $DRV = - &&
	vm_drv 0000:05:00.0 && test $DRV = -
'

# A partial group, made by hand: fn1 of the multifunction slot on vfio-pci, fn0 still on e1000e.
fn0=0000:04:00.0 fn1=0000:04:00.1
test_expect_success 'partial group: fn1 alone on vfio-pci through sysfs' '
	grp=$(vm_group $fn1) &&
	echo vfio-pci >$DEVS/$fn1/driver_override &&
	echo $fn1 >/sys/bus/pci/drivers_probe &&
	vm_drv $fn1 && test $DRV = vfio-pci &&
	vm_drv $fn0 && test $DRV = e1000e &&
	test -c /dev/vfio/$grp
'

test_expect_success 'partial group: passd says not viable, blocked by fn0 on e1000e' '
	api_wait 20 /v1/groups/$grp ".members[] | select(.address == \"$fn1\") | .driver == \"vfio-pci\"" &&
	jq -e --arg a $fn0 ".viable == false and
		(.blockers | length) == 1 and .blockers[0].address == \$a and
		.blockers[0].driver == \"e1000e\" and (.blockers[0].reason | length > 0)" body
'

test_expect_success 'partial group: the kernel agrees (VFIO_GROUP_GET_STATUS not viable)' '
	"$VFIO_CHECK" $grp >vfio.out; rc=$?; cat vfio.out;
	test $rc -eq 3 && grep -qx "group $grp viable 0 flags 0x0" vfio.out
'

# pci-stub, like vfio-pci and pcieport, declares driver_managed_dma: the kernel lets VFIO use a
# group with a member on it (Linux >= 5.19, iommu_group_dma_owner_claimed).
test_expect_success 'partial group: fn0 moved to pci-stub by hand' '
	modprobe pci-stub &&
	echo pci-stub >$DEVS/$fn0/driver_override &&
	echo $fn0 >/sys/bus/pci/drivers/e1000e/unbind &&
	echo $fn0 >/sys/bus/pci/drivers_probe &&
	vm_drv $fn0 && test $DRV = pci-stub
'

test_expect_success 'partial group on vfio-pci + pci-stub: the kernel and passd say viable' '
	"$VFIO_CHECK" $grp >vfio.out; cat vfio.out;
	grep -qx "group $grp viable 1 flags 0x1" vfio.out &&
	grep -q "^error VFIO_GROUP_GET_DEVICE_FD $fn0" vfio.out &&
	api_wait 20 /v1/groups/$grp ".members[] | select(.address == \"$fn0\") | .driver == \"pci-stub\"" &&
	jq -e ".viable == true and .blockers == []" body
'

test_expect_success 'partial group: fn0 back on e1000e by hand' '
	echo >$DEVS/$fn0/driver_override &&
	echo $fn0 >/sys/bus/pci/drivers/pci-stub/unbind &&
	echo $fn0 >/sys/bus/pci/drivers_probe &&
	vm_drv $fn0 && test $DRV = e1000e &&
	api_wait 20 /v1/groups/$grp ".viable == false"
'

test_expect_success 'partial group: passd bind completes it, the kernel then finds it viable' '
	post_expect 200 /v1/devices/$fn0/bind &&
	jq -e --arg a $fn0 --arg b $fn1 ".result == \"done\" and
		(.devices[] | select(.address == \$a) | .action == \"move\" and .outcome == \"done\") and
		(.devices[] | select(.address == \$b) | .action == \"keep\" and .outcome == \"unchanged\")" body &&
	"$VFIO_CHECK" $grp >vfio.out; rc=$?; cat vfio.out; test $rc -eq 0
'

test_expect_success 'partial group: unbind puts fn0 on e1000e and fn1 on no driver' '
	post_expect 200 /v1/devices/$fn0/unbind &&
	state_is "$fn0=e1000e/(null) $fn1=-/(null)" $fn0 $fn1 &&
	test ! -e /dev/vfio/$grp
'

test_expect_success 'passd stops cleanly (no sanitizer finding)' '
	passd_stop
'

timings_show
test_done
