#!/bin/sh
test_description='the SQLite store survives restarts, marks vanished devices gone and refuses newer schemas'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is needed to inspect the database"

test_expect_success 'setup: desktop host, first start' '
	sim_new desktop && passd_start &&
	curl -sSf "$PASSD_URL/v1/devices" | jq -r ".devices[].address" >before &&
	passd_stop
'

test_expect_success 'the database is WAL, versioned, and holds every device' '
	test "$(sqlite3 passd.db "PRAGMA journal_mode")" = wal &&
	test "$(sqlite3 passd.db "PRAGMA user_version")" -ge 1 &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM device WHERE gone_at IS NULL")" -eq "$(wc -l <before)"
'

test_expect_success 'a device that disappears is marked gone, not deleted' '
	victim=$(grep -v "^0000:00:" before | tail -n 1) &&
	echo "$victim" >victim &&
	target=$(readlink -f "$TRASH/host/sys/bus/pci/devices/$victim") &&
	rm -rf "$target" "$TRASH/host/sys/bus/pci/devices/$victim" &&
	for g in "$TRASH"/host/sys/kernel/iommu_groups/*/devices/$victim; do rm -f "$g"; done &&
	passd_start &&
	api_expect 200 "/v1/devices/$victim" &&
	jq -e ".state == \"gone\" and .driver == null" body &&
	api_expect 200 "/v1/devices?state=gone" &&
	jq -e --arg v "$victim" "[.devices[] | select(.address == \$v and .state == \"gone\")] | length == 1" body &&
	api_expect 200 /v1/devices &&
	jq -e --arg v "$victim" "[.devices[] | select(.address == \$v)] | length == 0" body &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM device WHERE address = '"'"'$victim'"'"' AND gone_at IS NOT NULL")" -eq 1 &&
	passd_stop
'

test_expect_success 'the original driver is remembered across restarts and driver changes' '
	addr=$(sqlite3 passd.db "SELECT address FROM device WHERE original_driver IS NOT NULL AND class NOT LIKE '"'"'0x0604%'"'"' AND gone_at IS NULL ORDER BY address DESC LIMIT 1") &&
	drv=$(sqlite3 passd.db "SELECT original_driver FROM device WHERE address = '"'"'$addr'"'"'") &&
	test -n "$drv" &&
	dev=$(readlink -f "$TRASH/host/sys/bus/pci/devices/$addr") &&
	rm "$dev/driver" && ln -sr "$TRASH/host/sys/bus/pci/drivers/vfio-pci" "$dev/driver" &&
	passd_start &&
	api_expect 200 "/v1/devices/$addr" &&
	jq -e --arg d "$drv" ".driver == \"vfio-pci\" and .original_driver == \$d and .state == \"vfio\"" body &&
	passd_stop
'

test_expect_success 'renumbered IOMMU groups do not duplicate devices' '
	n=$(sqlite3 passd.db "SELECT count(*) FROM device") &&
	for d in "$TRASH"/host/sys/bus/pci/devices/*; do
		g=$(readlink "$d/iommu_group") || continue
		num=${g##*/}
		rm "$d/iommu_group" && ln -s "${g%/*}/$((num + 100))" "$d/iommu_group"
	done &&
	for g in "$TRASH"/host/sys/kernel/iommu_groups/*; do mv "$g" "${g%/*}/$(( ${g##*/} + 100 ))"; done &&
	passd_start &&
	test "$(sqlite3 passd.db "SELECT count(*) FROM device")" -eq "$n" &&
	api_expect 200 /v1/groups &&
	jq -e "[.groups[].id] | all(. >= 100)" body &&
	passd_stop
'

test_expect_success 'a database from a newer passd is refused, untouched' '
	cp passd.db newer.db && rm -f newer.db-wal newer.db-shm &&
	sqlite3 newer.db "PRAGMA user_version = 9999" &&
	sum=$(md5sum <newer.db) &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db newer.db \
		--listen "unix:$TRASH/n.sock" --libvirt-uri none 2>err &&
	grep -q "9999" err &&
	test "$(md5sum <newer.db)" = "$sum"
'

test_expect_success 'a file that is not a database is refused with a clear message' '
	echo "not a database" >junk.db &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db junk.db \
		--listen "unix:$TRASH/j.sock" --libvirt-uri none 2>err &&
	grep -qi "database" err
'

test_done
