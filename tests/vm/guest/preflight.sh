#!/bin/bash
# In the guest (topology mixed with the emulated VT-d, t9710): the host preflight passes where
# the guest says it should; vfio is not loaded at boot, so the test sees passd report it
# missing (--load-modules=no), then load it itself at start (the default on the real host).
test_description='the host preflight on a real kernel with an IOMMU'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/preflight-lib.sh"

test_expect_success 'the guest boots without vfio' '
	! test -d /sys/module/vfio_pci &&
	! test -e /dev/vfio/vfio
'

test_expect_success 'with --load-modules=no: vfio_modules warns (loadable), vfio_dev fails' '
	passd_start --load-modules=no &&
	preflight_agrees &&
	check_is vfio_modules ".status == \"warn\" and (.hint | test(\"modprobe vfio-pci\"))" &&
	check_is vfio_dev ".status == \"fail\" and (.hint | test(\"modprobe vfio-pci\"))" &&
	! test -d /sys/module/vfio_pci &&
	passd_stop
'

test_expect_success 'by default on the real host passd loads vfio-pci at start' '
	passd_start &&
	test -d /sys/module/vfio_pci &&
	test -c /dev/vfio/vfio &&
	grep -q "vfio-pci" "$TRASH/passd.log"
'

preflight_tests

test_expect_success 'with the IOMMU every check is ok' '
	jq -e ".summary.status == \"ok\" and .summary.ready and .summary.fail == 0" host.json
'

test_expect_success 'the details name what the guest has: the DMAR table, its groups, its unit' '
	test -e /sys/firmware/acpi/tables/DMAR &&
	check_is firmware_dmar ".status == \"ok\" and (.detail | contains(\"DMAR\"))" &&
	check_is iommu_active ".status == \"ok\" and (.detail | contains(\"$PF_GROUPS IOMMU groups\")) and (.detail | contains(\"dmar0\"))" &&
	check_is interrupt_remapping ".status == \"ok\" and (.detail | contains(\"dmar0\") and contains(\"VT-d\"))" &&
	check_is kernel_cmdline ".status == \"ok\" and (.detail | contains(\"intel_iommu=on\"))" &&
	check_is vfio_modules ".status == \"ok\"" &&
	check_is vfio_dev ".status == \"ok\""
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
