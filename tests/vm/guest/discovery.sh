#!/bin/bash
# In the guest: what passd reports is what the real kernel's /sys says.
test_description='discovery on a real kernel equals /sys'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"

test_expect_success 'passd starts on the real /sys' '
	passd_start
'

test_expect_success 'every device and group equals the kernel (truth.sh on /sys)' '
	bash "$FIXTURES/truth.sh" /sys >kernel.truth &&
	devices_as_truth api.truth &&
	test_cmp kernel.truth api.truth
'

test_done
