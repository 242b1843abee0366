# move-lib.sh - guest helpers for the tests that move IOMMU groups on the real kernel
# (bind.sh, rollback.sh, hotplug.sh). Sourced after guest-lib.sh. Shell builtins where they can:
# every fork+exec costs ~50 ms under TCG.

DEVS=/sys/bus/pci/devices
VFIO_CHECK="$top_builddir/tests/vm/vfio-check"

# vm_members GROUP: MEMBERS="ADDR ADDR ..." of /sys/kernel/iommu_groups/GROUP, sorted.
vm_members() {
	MEMBERS=
	for _m in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_m" ] && MEMBERS="$MEMBERS${MEMBERS:+ }${_m##*/}"
	done
	[ -n "$MEMBERS" ]
}

# vm_drv ADDR: DRV=the bound driver, "-" for none (cd -P instead of a readlink fork).
vm_drv() {
	DRV=-
	if [ -L "$DEVS/$1/driver" ] && cd -P "$DEVS/$1/driver" 2>/dev/null; then
		DRV=${PWD##*/}
		cd "$TRASH" || return 1
	fi
	return 0
}

# vm_bridge ADDR: true for a PCI bridge (class 0x0604xx).
vm_bridge() {
	_c=
	read -r _c <"$DEVS/$1/class" 2>/dev/null
	case $_c in 0x0604*) return 0 ;; esac
	return 1
}

# vm_state ADDR...: STATE="ADDR=DRIVER/OVERRIDE ..." as the kernel has it now.
vm_state() {
	STATE=
	for _a in "$@"; do
		vm_drv "$_a"
		_o=-
		read -r _o <"$DEVS/$_a/driver_override" 2>/dev/null || _o=gone
		[ -e "$DEVS/$_a" ] || DRV=gone
		STATE="$STATE${STATE:+ }$_a=$DRV/$_o"
	done
}

# state_is EXPECTED ADDR...: the kernel's state of ADDR... is EXPECTED (from vm_state).
state_is() {
	_want=$1
	shift
	vm_state "$@"
	[ "$STATE" = "$_want" ] && return 0
	echo "kernel state differs:" >&2
	echo "  want: $_want" >&2
	echo "  have: $STATE" >&2
	return 1
}

# http METHOD PATH [BODY]: one request to passd over bash's /dev/tcp, with no fork (curl costs
# 0.1-1 s to start in the guest); status in CODE, seconds in SECS, body in ./body.
http() {
	local t0=$EPOCHREALTIME t1 line rest= data=${3:-}
	exec 3<>"/dev/tcp/127.0.0.1/${PASSD_URL##*:}" || return 1
	# the admin token of test-lib.sh's tokens_new, as its curls send it
	printf '%s %s HTTP/1.0\r\nHost: localhost\r\n%sContent-Length: %d\r\n\r\n%s' \
		"$1" "$2" "${PASSD_TOKEN_ADMIN:+Authorization: Bearer $PASSD_TOKEN_ADMIN$'\r\n'}" \
		"${#data}" "$data" >&3
	CODE=
	IFS=' ' read -r _ CODE _ <&3
	while IFS= read -r line <&3 && [ "${line%$'\r'}" != "" ]; do :; done
	IFS= read -r -d '' rest <&3
	exec 3<&-
	printf '%s' "$rest" >body
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	printf -v SECS '%d.%06d' $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000))
	[ -n "$CODE" ] || { echo "http: no answer to $1 $2" >&2; return 1; }
}

# post PATH: POST to passd (http); CODE, SECS, ./body.
post() {
	http POST "$1"
}

# post_expect STATUS PATH, get_expect STATUS PATH: the request answers STATUS.
post_expect() {
	http POST "$2" || return 1
	[ "$CODE" = "$1" ] && return 0
	echo "expected HTTP $1 for POST $2, got $CODE:" >&2
	cat body >&2
	return 1
}

get_expect() {
	http GET "$2" || return 1
	[ "$CODE" = "$1" ] && return 0
	echo "expected HTTP $1 for GET $2, got $CODE:" >&2
	cat body >&2
	return 1
}

# api_wait SECS PATH JQ_EXPR: poll GET PATH until JQ_EXPR holds on the answer (./body).
api_wait() {
	_end=$((SECONDS + $1))
	while :; do
		http GET "$2" && jq -e "$3" body >/dev/null && return 0
		if [ $SECONDS -ge $_end ]; then
			echo "api_wait: '$3' on $2 still false after $1 s:" >&2
			head -c 2000 body >&2
			return 1
		fi
		sleep 0.2
	done
}

# timing NAME VALUE: a figure for the closing note, printed by timings_show at the end.
timing() {
	echo "$1 $2" >>"$TRASH/timings"
}

timings_show() {
	[ -f "$TRASH/timings" ] || return 0
	while read -r _l; do say "timing $_l"; done <"$TRASH/timings"
}

# api_agrees GROUP: passd's members of GROUP, with their drivers, are the kernel's now.
api_agrees() {
	_keep=$MEMBERS
	vm_members "$1" || return 1
	_now=$MEMBERS MEMBERS=$_keep _k=
	for _a in $_now; do
		vm_drv "$_a"
		_k="$_k${_k:+ }$_a=$DRV"
	done
	http GET "/v1/groups/$1" &&
	_p=$(jq -r '[.members[] | "\(.address)=\(.driver // "-")"] | join(" ")' body) || return 1
	[ "$_p" = "$_k" ] && return 0
	echo "passd and the kernel differ on group $1:" >&2
	echo "  kernel: $_k" >&2
	echo "  passd:  $_p" >&2
	return 1
}

# api_truth FILE: devices_as_truth (test-lib.sh) with one jq and no curl: /v1/devices and
# /v1/groups in the format of tests/fixtures/real/truth.sh.
api_truth() {
	http GET /v1/devices && mv body devices.json &&
	http GET /v1/groups && mv body groups.json &&
	jq -r -n --slurpfile d devices.json --slurpfile g groups.json '
		($d[0].devices[] | "\(.address) vendor=\(.vendor_id // "-") device=\(.device_id // "-") subsystem_vendor=\(.subsystem_vendor_id // "-") subsystem_device=\(.subsystem_device_id // "-") class=\(.class // "-") driver=\(.driver // "-") group=\(.iommu_group // "-") numa=\(.numa_node // -1) physfn=\(.physfn // "-")"),
		($g[0].groups | sort_by(.id)[] | "group \(.id): \(.devices | join(" "))")' >"$1"
}
