#!/bin/sh
test_description='bind and unbind plan the whole IOMMU group, refuse what they must, and roll back'
. "$top_srcdir/tests/lib/test-lib.sh"

# A static tree answers no writes (the live simulator does): here a bind can only be planned,
# refused, or rolled back when the probe binds nothing, which is exactly what a real kernel
# without an IOMMU does with the same writes.

test_expect_success 'setup: desktop host' '
	sim_new desktop && passd_start &&
	gpu=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0300" | jq -r "[.devices[] | select(.boot_vga != true)][0].address") &&
	echo "$gpu" >gpu &&
	cp -a "$TRASH/host/sys" "$TRASH/sys.before"
'

test_expect_success 'a dry run plans every device of the group and touches nothing' '
	api_expect 200 "/v1/devices/$(cat gpu)/bind?dry_run=true" -X POST &&
	jq -e ".dry_run == true and .result == \"planned\" and .operation == \"bind\"" body &&
	grp=$(jq .group body) &&
	curl -sSf "$PASSD_URL/v1/groups/$grp" | jq -c "[.devices[]]" >members &&
	jq -c "[.devices[].address]" body >planned &&
	test_cmp members planned &&
	jq -e "[.devices[] | select(.harmless | not) | .driver_after == \"vfio-pci\"] | all" body &&
	jq -e "[.devices[] | .outcome == \"planned\"] | all" body &&
	jq -e "[.devices[] | has(\"timing\")] | any | not" body &&
	diff -r --no-dereference "$TRASH/sys.before" "$TRASH/host/sys"
'

test_expect_success 'bridges and ports in a group are planned as harmless and stay put' '
	bridge_group=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0604" | jq -r "[.devices[] | select(.iommu_group != null)][0].address") &&
	api_expect 200 "/v1/devices/$bridge_group/bind?dry_run=true" -X POST &&
	jq -e "[.devices[] | select(.address == \"$bridge_group\")][0] | .harmless == true and .action == \"bridge\" and .driver_after == .driver_before" body
'

test_expect_success 'a host-critical group is refused with 403 host_critical and the reason' '
	vga=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0300" | jq -r "[.devices[] | select(.boot_vga == true)][0].address") &&
	api_expect 200 "/v1/devices/$vga/bind?dry_run=true" -X POST &&
	jq -e ".host_would_lose | length >= 1" body &&
	api_expect 403 "/v1/devices/$vga/bind" -X POST &&
	api_error_is host_critical &&
	jq -e ".error.message | test(\"console\")" body &&
	jq -e "[.devices[] | .outcome == \"not_started\"] | all" body &&
	diff -r --no-dereference "$TRASH/sys.before" "$TRASH/host/sys"
'

test_expect_success 'a probe that binds nothing rolls the whole group back (409 not_viable)' '
	api_expect 409 "/v1/devices/$(cat gpu)/bind" -X POST &&
	api_error_is not_viable &&
	jq -e ".result == \"failed\"" body &&
	jq -e "[.devices[] | .outcome] | all(. == \"rolled_back\" or . == \"not_started\")" body &&
	jq -e "[.devices[] | select(.outcome == \"rolled_back\")] | length >= 1" body &&
	api_expect 200 "/v1/devices/$(cat gpu)" &&
	jq -e ".driver == \"nvidia\" and .driver_override == null and .state == \"host\"" body
'

test_expect_success 'bad input: address, query and body' '
	api_expect 400 "/v1/devices/0000:01:00.0x/bind" -X POST && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$(cat gpu)/bind?dry_run=maybe" -X POST && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$(cat gpu)/bind?force=1" -X POST && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$(cat gpu)/bind" -X POST -H "Content-Type: application/json" -d "{\"forse\": true}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$(cat gpu)/bind" -X POST -H "Content-Type: application/json" -d "{\"force\": 1}" && api_error_is bad_request &&
	api_expect 400 "/v1/devices/$(cat gpu)/bind" -X POST -H "Content-Type: application/json" -d "not json" && api_error_is bad_request &&
	api_expect 404 "/v1/devices/0000:7f:00.0/bind" -X POST && api_error_is not_found &&
	api_expect 405 "/v1/devices/$(cat gpu)/bind" && api_error_is method_not_allowed
'

test_expect_success 'an unbind of a group already on its host drivers changes nothing' '
	api_expect 200 "/v1/devices/$(cat gpu)/unbind" -X POST &&
	jq -e ".result == \"unchanged\" and ([.devices[] | .action] | all(. == \"keep\" or . == \"bridge\"))" body &&
	passd_stop
'

test_expect_success 'without an IOMMU a bind is refused as not viable, before any write' '
	sim_new no-iommu && rm -f passd.db* && passd_start &&
	cp -a "$TRASH/host/sys" "$TRASH/sys.noiommu" &&
	dev=$(curl -sSf "$PASSD_URL/v1/devices" | jq -r ".devices[-1].address") &&
	api_expect 409 "/v1/devices/$dev/bind" -X POST && api_error_is not_viable &&
	jq -e ".error.message | test(\"intel_iommu=on\")" body &&
	diff -r --no-dereference "$TRASH/sys.noiommu" "$TRASH/host/sys" &&
	passd_stop
'

test_expect_success 'passctl bind --dry-run prints the plan; a refusal exits 1' '
	sim_new desktop && rm -f passd.db* && passd_start &&
	passctl bind --dry-run "$(cat gpu)" >out &&
	grep -q "$(cat gpu)" out &&
	vga=$(curl -sSf "$PASSD_URL/v1/devices?class=0x0300" | jq -r "[.devices[] | select(.boot_vga == true)][0].address") &&
	test_exit_code 1 passctl bind "$vga" 2>err &&
	grep -q "host_critical" err &&
	passd_stop
'

test_done
