#!/bin/sh
test_description='passd lists exactly the devices and groups of every simulated host'
. "$top_srcdir/tests/lib/test-lib.sh"

for profile in desktop gpu-server sriov-host no-iommu large bench-group16; do
	test_expect_success "$profile: API devices and groups equal the tree's ground truth" '
		sim_new '"$profile"' &&
		rm -f passd.db* &&
		passd_start &&
		devices_as_truth api.truth &&
		test_cmp "$TRASH/host/truth" api.truth &&
		passd_stop
	'
done

test_expect_success 'desktop: the GPU and its audio function share a group' '
	sim_new desktop && rm -f passd.db* && passd_start &&
	api_expect 200 "/v1/devices?class=0x0300" &&
	gpu=$(jq -r "[.devices[] | select(.boot_vga != true)][0].address" body) &&
	grp=$(jq -r "[.devices[] | select(.boot_vga != true)][0].iommu_group" body) &&
	api_expect 200 "/v1/groups/$grp" &&
	jq -e --arg g "$gpu" ".devices | index(\$g) != null" body &&
	jq -e "[.members[] | .class] | any(startswith(\"0x0403\"))" body
'

test_expect_success 'desktop: the boot VGA is host-critical, with a reason' '
	api_expect 200 "/v1/devices?class=0x03" &&
	jq -e "[.devices[] | select(.boot_vga == true)] | length == 1" body &&
	jq -e "[.devices[] | select(.boot_vga == true)][0].host_critical | .critical == true and (.reason | length > 0)" body
'

test_expect_success 'desktop: class names are decoded and names come from the hwdb or are null' '
	api_expect 200 /v1/devices &&
	jq -e "[.devices[] | .class_name | type == \"string\"] | all" body &&
	jq -e "[.devices[] | .vendor_name | (. == null or type == \"string\")] | all" body &&
	passd_stop
'

test_expect_success 'sriov-host: PFs list their VFs and VFs name their PF' '
	sim_new sriov-host && rm -f passd.db* && passd_start &&
	api_expect 200 /v1/devices &&
	jq -e "[.devices[] | select(.sriov != null and .sriov.num_vfs > 0)] | length == 2" body &&
	jq -e "[.devices[] | select(.sriov != null and .sriov.num_vfs > 0) | (.sriov.vfs | length) == .sriov.num_vfs] | all" body &&
	pf=$(jq -r "[.devices[] | select(.sriov != null and .sriov.num_vfs > 0)][0].address" body) &&
	test "$(jq --arg pf "$pf" "[.devices[] | select(.physfn == \$pf)] | length" body)" -eq 64 &&
	jq -e "[.devices[] | select(.physfn != null) | .iommu_group] | length == (unique | length)" body &&
	passd_stop
'

test_expect_success 'gpu-server: NUMA nodes are reported per device' '
	sim_new gpu-server && rm -f passd.db* && passd_start &&
	api_expect 200 "/v1/devices?class=0x03" &&
	jq -e "[.devices[] | .numa_node] | unique | map(select(. != null)) | length >= 2" body &&
	passd_stop
'

test_done
