#!/bin/bash
# In the guest (topology mixed without the vIOMMU, t9700): the kernel's own answer to a vfio-pci
# bind is silent here (drivers_probe succeeds, the device stays unbound); passd's must be a
# clear error naming the missing IOMMU, with nothing changed. Then the preflight must fail
# where the guest says it should, with hints.
test_description='no IOMMU: a clear refusal, nothing changed, and the preflight says why'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/preflight-lib.sh"

DEVS=/sys/bus/pci/devices
EDU=$(vm_find 1234:11e8)     # alone, no driver
E1000E=$(vm_find 8086:10d3)  # alone, on e1000e
MF=$(vm_find 8086:10d3 2)    # function 0 of the multifunction device
BRIDGED=$(vm_find 8086:100e) # the e1000 behind the PCIe-to-PCI bridge
[ -n "$EDU" ] && [ -n "$E1000E" ] && [ -n "$MF" ] && [ -n "$BRIDGED" ] ||
	{ echo "Bail out! topology mixed not found"; exit 1; }

# all_state: ALL="ADDR=DRIVER/OVERRIDE ..." for every PCI function, from /sys. No fork per
# device (cd -P instead of readlink): it runs after every request.
all_state() {
	ALL=
	for _d in "$DEVS"/*; do
		_o= _drv=-
		read -r _o <"$_d/driver_override" 2>/dev/null
		[ -L "$_d/driver" ] && cd -P "$_d/driver" 2>/dev/null && _drv=${PWD##*/}
		ALL="$ALL ${_d##*/}=$_drv/$_o"
	done
	cd "$TRASH"
}

unchanged() {
	_before=$ALL_BEFORE
	all_state
	[ "$ALL" = "$_before" ] && return 0
	echo "the kernel's drivers changed:" >&2
	echo "  before: $_before" >&2
	echo "  now:    $ALL" >&2
	return 1
}

test_expect_success 'the guest has no IOMMU: no groups, no units' '
	! test -e /sys/kernel/iommu_groups/0 &&
	! test -e "$DEVS/$EDU/iommu_group" &&
	test -c /dev/vfio/vfio &&
	all_state && ALL_BEFORE=$ALL
'

test_expect_success 'the kernel alone: drivers_probe succeeds and binds nothing' '
	echo vfio-pci >"$DEVS/$EDU/driver_override" &&
	echo "$EDU" >/sys/bus/pci/drivers_probe &&
	test "$(vm_driver "$EDU")" = - &&
	echo >"$DEVS/$EDU/driver_override" &&
	unchanged
'

test_expect_success 'passd starts, degraded: no IOMMU' '
	passd_start &&
	curl -sSf -o body "$PASSD_URL/v1/health" &&
	jq -e ".status == \"degraded\" and .iommu.enabled == false and (.iommu.hint | length > 0)" body
'

for a in "$EDU" "$E1000E" "$MF" "$BRIDGED"; do
	test_expect_success "bind of $a: 409 not_viable naming the IOMMU, nothing changed" '
		api_expect 409 "/v1/devices/'"$a"'/bind" -X POST &&
		jq -e ".error.code == \"not_viable\" and
		       (.error.message | test(\"IOMMU\") and test(\"intel_iommu=on\"))" body &&
		unchanged
	'
done

test_expect_success 'a dry run is refused the same way, and a forced bind too' '
	api_expect 409 "/v1/devices/$EDU/bind?dry_run=true" -X POST &&
	api_error_is not_viable &&
	api_expect 409 "/v1/devices/$E1000E/bind" -X POST -H "Content-Type: application/json" -d "{\"force\": true}" &&
	api_error_is not_viable &&
	unchanged
'

test_expect_success 'passctl bind fails with the same message' '
	test_must_fail passctl bind "$EDU" 2>err &&
	grep -q IOMMU err &&
	unchanged
'

preflight_tests

test_expect_success 'without the IOMMU: firmware_dmar and iommu_active fail, with hints' '
	test ! -e /sys/firmware/acpi/tables/DMAR &&
	check_is firmware_dmar ".status == \"fail\" and (.hint | test(\"firmware setup\"))" &&
	check_is iommu_active ".status == \"fail\" and (.hint | test(\"firmware_dmar\"))" &&
	check_is interrupt_remapping ".status == \"fail\" and (.hint | test(\"iommu_active\"))"
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
