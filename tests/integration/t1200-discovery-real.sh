#!/bin/sh
test_description='passd reads plain copies of a real kernel'"'"'s sysfs (QEMU q35 guest)'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v xz >/dev/null || skip_all "xz is needed to unpack the fixtures"

for fx in q35-vtd q35-noiommu q35-sriov; do
	test_expect_success "$fx: API devices and groups equal what the guest kernel showed" '
		fixture_new '"$fx"' &&
		rm -f passd.db* &&
		passd_start &&
		devices_as_truth api.truth &&
		test_cmp "$TRASH/host/truth" api.truth &&
		passd_stop
	'
done

test_expect_success 'q35-vtd: the multifunction slot without ACS is one non-viable group' '
	fixture_new q35-vtd && rm -f passd.db* && passd_start &&
	grp=$(curl -sSf "$PASSD_URL/v1/devices/0000:04:00.0" | jq .iommu_group) &&
	api_expect 200 "/v1/groups/$grp" &&
	jq -e ".devices == [\"0000:04:00.0\", \"0000:04:00.1\"] and .viable == false" body &&
	jq -e "[.blockers[] | .address] == [\"0000:04:00.0\"]" body
'

test_expect_success 'q35-vtd: a driverless device alone in its group is viable' '
	grp=$(curl -sSf "$PASSD_URL/v1/devices/0000:02:00.0" | jq .iommu_group) &&
	api_expect 200 "/v1/groups/$grp" &&
	jq -e ".viable == true and .blockers == []" body
'

test_expect_success 'q35-vtd: the group behind the PCIe-to-PCI bridge holds the bridge and both devices' '
	grp=$(curl -sSf "$PASSD_URL/v1/devices/0000:06:01.0" | jq .iommu_group) &&
	api_expect 200 "/v1/groups/$grp" &&
	jq -e ".devices == [\"0000:05:00.0\", \"0000:06:01.0\", \"0000:06:02.0\"]" body &&
	api_expect 200 /v1/devices/0000:06:01.0 &&
	jq -e ".parent == \"0000:05:00.0\"" body
'

test_expect_success 'q35-vtd: reset methods, NUMA and the original driver are reported' '
	api_expect 200 /v1/devices/0000:01:00.0 &&
	jq -e ".reset_methods | type == \"array\"" body &&
	jq -e ".numa_node == null and .driver == \"e1000e\" and .original_driver == \"e1000e\"" body &&
	passd_stop
'

test_expect_success 'q35-sriov: the NVMe PF lists its two VFs' '
	fixture_new q35-sriov && rm -f passd.db* && passd_start &&
	api_expect 200 /v1/devices/0000:01:00.0 &&
	jq -e ".sriov.num_vfs == 2 and .sriov.vfs == [\"0000:01:00.1\", \"0000:01:00.2\"]" body &&
	api_expect 200 /v1/devices/0000:01:00.1 &&
	jq -e ".physfn == \"0000:01:00.0\" and .sriov == null and .driver == null and .state == \"unbound\"" body &&
	passd_stop
'

test_done
