#!/bin/sh
test_description='host_critical comes from what the host really uses: mounts, swap, routes, console'
. "$top_srcdir/tests/lib/test-lib.sh"

# critical_list FILE: "ADDR REASON" for every critical device, in address order.
critical_list() {
	curl -sSf "$PASSD_URL/v1/devices" >devices.json &&
	jq -r '.devices[] | select(.host_critical.critical) | "\(.address) \(.host_critical.reason)"' devices.json >"$1"
}

test_expect_success 'desktop: disk, /home controller, default-route NIC, console, host bridge' '
	sim_new desktop && rm -f passd.db* && passd_start &&
	critical_list got &&
	cat >want <<-\EOF &&
	0000:00:00.0 host bridge
	0000:00:02.0 boot VGA device: the host'"'"'s console
	0000:00:17.0 holds a mounted filesystem (/dev/sda1 on /home)
	0000:00:1f.6 carries the default route (eno1)
	0000:02:00.0 holds the root filesystem (/dev/nvme0n1p2 on /); holds a mounted filesystem (/dev/nvme0n1p1 on /boot/efi); holds swap (/dev/nvme0n1p3)
	EOF
	test_cmp want got
'

test_expect_success 'desktop: the other devices are not critical and say so with a null reason' '
	jq -e "[.devices[] | select(.host_critical.critical | not) | .host_critical.reason == null] | all" devices.json &&
	jq -e "[.devices[] | select(.address == \"0000:01:00.0\" or .address == \"0000:07:00.0\")
		| .host_critical.critical] == [false, false]" devices.json &&
	api_expect 200 /v1/devices/0000:02:00.0 &&
	jq -e ".host_critical.critical == true" body &&
	passd_stop
'

test_expect_success 'desktop: unmounting /home and moving the route changes the answer after a restart' '
	grep -v " /home " "$TRASH/host/proc/self/mountinfo" >mi &&
	cp mi "$TRASH/host/proc/self/mountinfo" &&
	sed "s/^eno1\t/enp7s0\t/" "$TRASH/host/proc/net/route" >route &&
	cp route "$TRASH/host/proc/net/route" &&
	passd_start &&
	critical_list got &&
	! grep "^0000:00:17.0 " got &&
	! grep "^0000:00:1f.6 " got &&
	grep "^0000:07:00.0 carries the default route (enp7s0)$" got &&
	grep "^0000:02:00.0 holds the root filesystem" got &&
	passd_stop
'

test_expect_success 'desktop without the dev/block and class/net indexes: the forward walk finds the same' '
	sim_new desktop && rm -f passd.db* &&
	rm -rf "$TRASH/host/sys/dev/block" "$TRASH/host/sys/class/net" "$TRASH/host/sys/class/block" &&
	passd_start &&
	critical_list got &&
	test_cmp want got &&
	passd_stop
'

test_expect_success 'gpu-server: the boot NVMe, the BMC VGA and eno1; no A100 is critical' '
	sim_new gpu-server && rm -f passd.db* && passd_start &&
	critical_list got &&
	nvme=$(jq -r "[.devices[] | select(.class | startswith(\"0x0108\"))][0].address" devices.json) &&
	grep "^$nvme holds the root filesystem (/dev/nvme0n1p2 on /); holds a mounted filesystem (/dev/nvme0n1p1 on /boot/efi); holds swap (/dev/nvme0n1p3)$" got &&
	vga=$(jq -r "[.devices[] | select(.boot_vga == true)][0].address" devices.json) &&
	grep "^$vga boot VGA device: the host" got &&
	grep " carries the default route (eno1)$" got &&
	jq -e "[.devices[] | select(.vendor_id == \"0x10de\") | .host_critical.critical] | any | not" devices.json &&
	passd_stop
'

test_expect_success 'no-iommu: a swap file is charged to the disk of its filesystem' '
	sim_new no-iommu && rm -f passd.db* && passd_start &&
	critical_list got &&
	grep "^0000:02:00.0 holds the root filesystem (/dev/nvme0n1p2 on /); .*holds swap (/swapfile on /dev/nvme0n1p2)" got &&
	passd_stop
'

test_expect_success 'a real kernel copy without proc: no failure, only console and bridges' '
	fixture_new q35-vtd && rm -f passd.db* &&
	passd_start &&
	grep "Cannot open proc root" "$TRASH/passd.log" &&
	critical_list got &&
	! grep -v -e " host bridge$" -e " boot VGA device: " got &&
	passd_stop
'

test_expect_success 'proc root present but empty: a warning, no failure' '
	sim_new desktop && rm -f passd.db* &&
	rm -rf "$TRASH/host/proc" && mkdir "$TRASH/host/proc" &&
	passd_start &&
	grep "host-critical detection is incomplete" "$TRASH/passd.log" &&
	critical_list got &&
	! grep -e " holds " -e " carries " got &&
	passd_stop
'

test_done
