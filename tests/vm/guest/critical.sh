#!/bin/bash
# In the guest (topology critical, t9500): the guest itself uses a virtio disk (ext4 mounted on
# /mnt/data, swap on a second partition) and an e1000e (address + default route). passd refuses
# to bind either group with 403 host_critical naming the mount, the swap and the route, shows
# the loss in a dry run, and takes them with force; unbind gives them back to their drivers.
# passd is started BEFORE the guest mounts and routes: mounts and routes raise no PCI uevent,
# so this proves a bind reads what the host uses at the time of the request.
test_description='host-critical on a real kernel: mounted disk, swap, default route'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"

DEVS=/sys/bus/pci/devices
DISK=$(vm_find 1af4:1042) # virtio-blk (modern)
NIC=$(vm_find 8086:10d3)  # e1000e
EDU=$(vm_find 1234:11e8)
[ -n "$DISK" ] && [ -n "$NIC" ] && [ -n "$EDU" ] ||
	{ echo "Bail out! topology critical not found (disk '$DISK' nic '$NIC' edu '$EDU')"; exit 1; }
DISK_G=$(vm_group "$DISK") NIC_G=$(vm_group "$NIC") EDU_G=$(vm_group "$EDU")

# The kernel's own names, found from the PCI function down (not from passd).
blk_name() {
	for _b in "$DEVS/$1"/virtio*/block/*; do
		[ -e "$_b" ] && { echo "${_b##*/}"; return 0; }
	done
	return 1
}
net_name() {
	for _n in "$DEVS/$1"/net/*; do
		[ -e "$_n" ] && { echo "${_n##*/}"; return 0; }
	done
	return 1
}

# post PATH [CURL ARGS]: CODE=HTTP status, ./body the answer.
post() {
	_p=$1
	shift
	CODE=$(curl -sS -o body -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@" \
		"$PASSD_URL$_p")
}

post_expect() {
	_want=$1
	shift
	post "$@" || return 1
	[ "$CODE" = "$_want" ] && return 0
	echo "expected HTTP $_want for POST $1, got $CODE:" >&2
	cat body >&2
	return 1
}

driver_is() {
	_d=$(vm_driver "$1")
	[ "$_d" = "$2" ] && return 0
	echo "$1 is on '$_d', expected '$2'" >&2
	return 1
}

test_expect_success 'passd starts while the guest uses neither device' '
	passd_start &&
	curl -sSf -o body "$PASSD_URL/v1/devices" &&
	jq -e --arg d "$DISK" --arg n "$NIC" \
		"[.devices[] | select(.address == \$d or .address == \$n) | .host_critical.critical] == [false, false]" body
'

test_expect_success 'the guest mounts ext4 from the disk and swaps on it' '
	VDA=$(blk_name "$DISK") &&
	printf "n\np\n1\n\n+40M\nn\np\n2\n\n\nw\n" | busybox fdisk "/dev/$VDA" >fdisk.log 2>&1 &&
	test -b "/dev/${VDA}1" && test -b "/dev/${VDA}2" &&
	mkfs.ext4 -q "/dev/${VDA}1" &&
	mkdir -p /mnt/data &&
	mount -t ext4 "/dev/${VDA}1" /mnt/data &&
	mkswap "/dev/${VDA}2" >/dev/null &&
	swapon "/dev/${VDA}2" &&
	grep -q "^/dev/${VDA}2 " /proc/swaps
'

test_expect_success 'the guest routes through the NIC' '
	ETH=$(net_name "$NIC") &&
	ip addr add 10.0.2.15/24 dev "$ETH" &&
	ip link set "$ETH" up &&
	ip route add default via 10.0.2.2 dev "$ETH" &&
	grep -q "^$ETH	00000000	" /proc/net/route
'

test_expect_success 'binding the disk group is refused: 403 host_critical naming the mount and swap' '
	post_expect 403 "/v1/devices/$DISK/bind" &&
	api_error_is host_critical &&
	jq -e --arg m "holds a mounted filesystem (/dev/${VDA}1 on /mnt/data)" \
		--arg s "holds swap (/dev/${VDA}2)" \
		"(.error.message | contains(\$m)) and .result == \"failed\" and
		 (.host_would_lose[0].reason | contains(\$m) and contains(\$s)) and
		 ([.devices[].outcome] | all(. == \"not_started\"))" body &&
	driver_is "$DISK" virtio-pci &&
	test ! -e "/dev/vfio/$DISK_G" &&
	test -b "/dev/$VDA"
'

test_expect_success 'binding the NIC group is refused: 403 host_critical naming the route' '
	post_expect 403 "/v1/devices/$NIC/bind" &&
	api_error_is host_critical &&
	jq -e --arg r "carries the default route ($ETH)" \
		"(.error.message | contains(\$r)) and .host_would_lose[0].address == \"$NIC\"" body &&
	driver_is "$NIC" e1000e &&
	test ! -e "/dev/vfio/$NIC_G"
'

test_expect_success 'GET /v1/devices now says both are critical, and the edu is not' '
	curl -sSf -o body "$PASSD_URL/v1/devices" &&
	jq -e --arg d "$DISK" --arg n "$NIC" --arg e "$EDU" --arg m "/mnt/data" --arg r "($ETH)" "
		(.devices[] | select(.address == \$d) | .host_critical | .critical and (.reason | contains(\$m))) and
		(.devices[] | select(.address == \$n) | .host_critical | .critical and (.reason | contains(\$r))) and
		(.devices[] | select(.address == \$e) | .host_critical.critical | not)" body
'

test_expect_success 'a passd started after the mount sees it at once' '
	passd_stop &&
	passd_start &&
	curl -sSf -o body "$PASSD_URL/v1/devices/$DISK" &&
	jq -e --arg s "holds swap (/dev/${VDA}2)" ".host_critical.critical and (.host_critical.reason | contains(\$s))" body
'

test_expect_success 'dry_run shows what the host would lose and touches nothing' '
	post_expect 200 "/v1/devices/$DISK/bind?dry_run=true" &&
	jq -e --arg d "$DISK" --arg m "/mnt/data" \
		".dry_run and .result == \"planned\" and (.host_would_lose | length) == 1 and
		 .host_would_lose[0].address == \$d and (.host_would_lose[0].reason | contains(\$m)) and
		 .devices[0].action == \"move\" and .devices[0].outcome == \"planned\"" body &&
	post_expect 200 "/v1/devices/$NIC/bind?dry_run=true" &&
	jq -e "(.host_would_lose[0].reason | contains(\"default route\"))" body &&
	driver_is "$DISK" virtio-pci && driver_is "$NIC" e1000e
'

test_expect_success 'the edu, which the host does not use, binds without force' '
	post_expect 200 "/v1/devices/$EDU/bind" &&
	jq -e ".result == \"done\" and .host_would_lose == []" body &&
	test -c "/dev/vfio/$EDU_G" &&
	post_expect 200 "/v1/devices/$EDU/unbind" &&
	driver_is "$EDU" -
'

test_expect_success 'force takes the NIC; unbind gives it back to e1000e' '
	post_expect 200 "/v1/devices/$NIC/bind" -d "{\"force\": true}" &&
	jq -e ".result == \"done\" and (.host_would_lose | length) == 1" body &&
	driver_is "$NIC" vfio-pci &&
	test -c "/dev/vfio/$NIC_G" &&
	! grep -q "^$ETH	" /proc/net/route &&
	post_expect 200 "/v1/devices/$NIC/unbind" &&
	jq -e ".result == \"done\" and .devices[0].driver_after == \"e1000e\"" body &&
	driver_is "$NIC" e1000e &&
	test ! -e "/dev/vfio/$NIC_G" &&
	net_name "$NIC" >/dev/null
'

test_expect_success 'force takes the disk under its mount and swap; unbind brings the disk back' '
	post_expect 200 "/v1/devices/$DISK/bind" -d "{\"force\": true}" &&
	jq -e ".result == \"done\" and .devices[0].host_critical != null" body &&
	driver_is "$DISK" vfio-pci &&
	test -c "/dev/vfio/$DISK_G" &&
	! blk_name "$DISK" >/dev/null &&
	post_expect 200 "/v1/devices/$DISK/unbind" &&
	driver_is "$DISK" virtio-pci &&
	test ! -e "/dev/vfio/$DISK_G" &&
	blk_name "$DISK" >/dev/null
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
