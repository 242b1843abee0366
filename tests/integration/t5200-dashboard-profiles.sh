#!/bin/sh
test_description='the dashboard shows every group of other hosts: a real kernel tree, SR-IOV, no IOMMU, 4096 functions'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/web/web-lib.sh"

web_require

# A real kernel's tree first: it needs no simulator.
test_expect_success 'real q35 guest with VT-d' '
	fixture_new q35-vtd &&
	rm -f passd.db* &&
	web_run_passd q35-vtd.tap --truth "$TRASH/host/truth"
'
web_report q35-vtd.tap q35-vtd

# no-iommu: the banner that says how to turn the IOMMU on, and the devices without a group.
# large: 4096 functions must render within the budget, and 304 polls must not rebuild them.
for profile in sriov-host no-iommu large; do
	test_expect_success "simulated $profile host" '
		sim_new $profile &&
		rm -f passd.db* &&
		web_run_passd $profile.tap --truth "$TRASH/host/truth" --render-budget 8000
	'
	web_report $profile.tap $profile
done

test_done
