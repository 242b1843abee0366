#!/bin/sh
# t-sim-live.sh - passd-sim serves passd-simgen's tree live and answers writes as Linux does.
#
# TAP. Starts passd-sim on the desktop, sriov-host and no-iommu profiles (on /dev/shm when it can)
# and drives it with plain shell: echo, cat, readlink. Every mount is unmounted by the trap.
# Needs root and /dev/fuse; skips with the reason otherwise.

set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SIM="$top_builddir/tests/sim/passd-sim"
SIMGEN="$top_builddir/tests/sim/passd-simgen"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$T/err" ] && sed -e 's/^/#   /' "$T/err" | head -n 20
	return 0
}
check() {
	_d=$1
	shift
	if "$@" 2>"$T/err"; then ok "$_d"; else not_ok "$_d"; fi
}

if [ ! -x "$SIM" ] || [ ! -x "$SIMGEN" ]; then
	echo "1..0 # SKIP passd-sim or passd-simgen is not built"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP FUSE mounts need root here"
	exit 0
fi
if [ ! -c /dev/fuse ]; then
	echo "1..0 # SKIP /dev/fuse is missing"
	exit 0
fi
command -v fusermount3 >/dev/null 2>&1 || { echo "1..0 # SKIP fusermount3 is missing"; exit 0; }
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/t-sim-live.XXXXXX") || exit 99
PID=
MP=

stop_sim() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
		rc=$?
		PID=
	fi
	if [ -n "$MP" ] && grep -qs " $MP fuse" /proc/mounts; then
		fusermount3 -u "$MP" 2>/dev/null || umount -l "$MP" 2>/dev/null
	fi
	return 0
}
trap 'stop_sim; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# start_sim NAME PROFILE [OPTIONS...]: mount on $T/NAME, wait until it answers
start_sim() {
	name=$1
	prof=$2
	shift 2
	MP=$T/$name
	mkdir -p "$MP"
	"$SIM" "$@" "$prof" "$MP" 2>"$T/$name.log" &
	PID=$!
	i=0
	while [ ! -e "$MP/sim/stats" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$PID" 2>/dev/null; then
			cat "$T/$name.log" >&2
			return 1
		fi
		sleep 0.05
	done
	S=$MP/sys
	D=$S/bus/pci/devices
}

drv() { l=$(readlink "$D/$1/driver") && echo "${l##*/}" || echo none; }
grp() { l=$(readlink "$D/$1/iommu_group") && echo "${l##*/}"; }
bind_vfio() {
	echo vfio-pci >"$D/$1/driver_override" &&
		{ [ ! -e "$D/$1/driver" ] || echo "$1" >"$D/$1/driver/unbind"; } &&
		echo "$1" >"$S/bus/pci/drivers_probe"
}
unbind_restore() {
	{ [ ! -e "$D/$1/driver" ] || echo "$1" >"$D/$1/driver/unbind"; } &&
		echo >"$D/$1/driver_override" &&
		echo "$1" >"$S/bus/pci/drivers_probe"
}
# expect_errno ERRTEXT CMD...: the command fails with that strerror text
expect_err() {
	_e=$1
	shift
	if "$@" 2>"$T/out"; then
		echo "succeeded, expected '$_e'" >&2
		return 1
	fi
	grep -q "$_e" "$T/out" || { cat "$T/out" >&2; return 1; }
}
# write one line with coreutils printf, whose error message carries strerror (dash's echo does not)
w() { env printf '%s\n' "$1" >"$2"; }
is() { [ "$1" = "$2" ] || { echo "got '$1', expected '$2'" >&2; return 1; }; }

# listing of a tree: paths, link targets and file contents (sys, proc and lib)
dump() {
	(cd "$1" && find sys proc lib | sort | while read -r p; do
		if [ -L "$p" ]; then
			echo "$p -> $(readlink "$p")"
		elif [ -f "$p" ] && [ -r "$p" ] && [ "${p##*/}" != config ]; then
			echo "$p: $(cat "$p" 2>/dev/null | head -c 300 | od -An -c | tr -s ' \n' ' ')"
		else
			echo "$p"
		fi
	done)
}

# ---- desktop: the same tree, bind/unbind, errors --------------------------------------------

start_sim desktop desktop
check "desktop: passd-sim mounts" test -d "$D/0000:01:00.0"
"$SIMGEN" -q desktop "$T/gen-desktop"
dump "$T/gen-desktop" >"$T/gen.txt"
dump "$MP" >"$T/live.txt"
check "desktop: live tree equals passd-simgen's (paths, links, contents)" cmp "$T/gen.txt" "$T/live.txt"
check "desktop: /dev/vfio/vfio exists" test -c "$MP/dev/vfio/vfio"

gpu=0000:01:00.0 aud=0000:01:00.1
check "desktop: GPU and audio share a group" is "$(grp $gpu)" "$(grp $aud)"
g=$(grp $gpu)
bind_vfio $aud 2>"$T/err"
check "desktop: audio on vfio-pci" is "$(drv $aud)" vfio-pci
check "desktop: driver link on the driver side" test -L "$S/bus/pci/drivers/vfio-pci/$aud"
check "desktop: snd_hda_intel lost its link" test ! -e "$S/bus/pci/drivers/snd_hda_intel/$aud"
check "desktop: uevent says DRIVER=vfio-pci" grep -qx DRIVER=vfio-pci "$D/$aud/uevent"
check "desktop: /dev/vfio/$g appears as soon as one member is on vfio-pci (kernel)" \
	test -c "$MP/dev/vfio/$g"
bind_vfio $gpu 2>"$T/err"
check "desktop: GPU on vfio-pci too" is "$(drv $gpu)" vfio-pci
check "desktop: override reads back" is "$(cat $D/$gpu/driver_override)" vfio-pci
check "desktop: bind to a bound device is EBUSY" \
	expect_err "busy" w $gpu "$S/bus/pci/drivers/vfio-pci/bind"
check "desktop: unbind from the wrong driver is ENODEV" \
	expect_err "No such device" w $gpu "$S/bus/pci/drivers/nvidia/unbind"
check "desktop: bind against the override is ENODEV" \
	expect_err "No such device" w 0000:02:00.0 "$S/bus/pci/drivers/vfio-pci/bind"
check "desktop: drivers_probe of an unknown address is ENODEV" \
	expect_err "No such device" w 0000:42:00.0 "$S/bus/pci/drivers_probe"
check "desktop: writing a read-only attribute is EACCES, even for root" \
	expect_err "Permission denied" w 1 "$D/$gpu/vendor"
check "desktop: reading bind is EACCES" expect_err "Permission denied" cat "$S/bus/pci/drivers/vfio-pci/bind"
check "desktop: remove with a non-number is EINVAL" expect_err "Invalid argument" w x "$D/$gpu/remove"
unbind_restore $gpu 2>"$T/err"
check "desktop: unbind+clear+probe returns the GPU to nvidia" is "$(drv $gpu)" nvidia
check "desktop: override cleared" is "$(cat $D/$gpu/driver_override)" "(null)"
unbind_restore $aud 2>"$T/err"
check "desktop: audio back on snd_hda_intel" is "$(drv $aud)" snd_hda_intel
check "desktop: /dev/vfio/$g gone" test ! -e "$MP/dev/vfio/$g"

# The kernel caches lookups, attributes and link targets (passd-sim --cache-timeout, default
# 3600 s); passd-sim invalidates what a write changes before the write returns. Each check
# below first puts the old answer in the cache, then looks right after the write.
lookups() { sed -n 's/^requests_lookup=//p' "$MP/sim/stats"; }
# prime PATH...: walk into each and stat it last (a readdir marks the attributes stale: atime)
prime() { for _p; do ls "$_p/" >/dev/null && stat -L "$_p" >/dev/null; done; }
warm() {
	readlink "$D/$aud/driver" >/dev/null
	test -e "$S/bus/pci/drivers/snd_hda_intel/$aud"
	test -e "$S/bus/pci/drivers/vfio-pci/$aud"
	test -e "$MP/dev/vfio/$g"
	cat "$D/$aud/driver_override" "$D/$aud/enable" >/dev/null
	lookups >/dev/null
}
warm
warm
l0=$(lookups)
warm
check "cache: on, a second walk of the same paths sends no lookup" is "$(lookups)" "$l0"
check "cache: sim/stats shows the timeout" grep -qx cache_timeout=3600 "$MP/sim/stats"
echo vfio-pci >"$D/$aud/driver_override"
check "cache: driver_override reads back at once" is "$(cat "$D/$aud/driver_override")" vfio-pci
echo "$aud" >"$S/bus/pci/drivers/snd_hda_intel/unbind"
check "cache: after unbind, readlink driver fails at once" sh -c "! readlink '$D/$aud/driver'"
check "cache: ... the driver's link to it is gone at once" \
	test ! -e "$S/bus/pci/drivers/snd_hda_intel/$aud"
check "cache: ... enable reads 0 at once" is "$(cat "$D/$aud/enable")" 0
warm
echo "$aud" >"$S/bus/pci/drivers_probe"
check "cache: after the bind, ls /dev/vfio shows $g at once" sh -c "ls '$MP/dev/vfio' | grep -qx $g"
check "cache: ... and /dev/vfio/$g is found by name (no stale negative entry)" \
	test -c "$MP/dev/vfio/$g"
check "cache: ... driver links to vfio-pci at once" is "$(drv $aud)" vfio-pci
check "cache: ... vfio-pci's link to it at once" test -L "$S/bus/pci/drivers/vfio-pci/$aud"
warm
echo "$aud" >"$S/bus/pci/drivers/vfio-pci/unbind"
check "cache: after unbind from vfio-pci, /dev/vfio/$g is gone at once" test ! -e "$MP/dev/vfio/$g"
check "cache: ... and not listed" sh -c "! ls '$MP/dev/vfio' | grep -qx $g"
echo >"$D/$aud/driver_override"
check "cache: a cleared driver_override reads (null) at once" \
	is "$(cat "$D/$aud/driver_override")" "(null)"
echo "$aud" >"$S/bus/pci/drivers_probe"
check "cache: back on snd_hda_intel" is "$(drv $aud)" snd_hda_intel

# new_id binds every unbound device of that ID
echo "$aud" >"$S/bus/pci/drivers/snd_hda_intel/unbind"
check "desktop: new_id binds the unbound device of that ID" \
	sh -c "echo '10de 228b' >'$S/bus/pci/drivers/vfio-pci/new_id' && test \"\$(readlink '$D/$aud/driver')\" != ''"
check "desktop: new_id of a known ID is EEXIST" expect_err "exists" w "10de 228b" "$S/bus/pci/drivers/vfio-pci/new_id"
check "desktop: remove_id" w "10de 228b" "$S/bus/pci/drivers/vfio-pci/remove_id"
check "desktop: remove_id again is ENODEV" expect_err "No such device" w "10de 228b" "$S/bus/pci/drivers/vfio-pci/remove_id"
echo "$aud" >"$S/bus/pci/drivers/vfio-pci/unbind"
echo "$aud" >"$S/bus/pci/drivers_probe"

# remove/rescan forgets driver_override
nv=0000:02:00.0
echo vfio-pci >"$D/$nv/driver_override"
nvdir=$(readlink -f "$D/$nv")
prime "$D/$nv" "$S/kernel/iommu_groups/11/devices/$nv" "$S/dev/block/259:0"
echo 1 >"$D/$nv/remove"
check "remove: the bus/pci/devices entry is gone at once (it was cached)" test ! -e "$D/$nv"
check "remove: ... its directory too" test ! -e "$nvdir"
check "remove: ... and what was below it" test ! -e "$S/dev/block/259:0"
check "remove: its group is released" test ! -e "$S/kernel/iommu_groups/11"
echo 1 >"$S/bus/pci/rescan"
check "rescan: the function is back in its group" is "$(grp $nv)" 11
check "rescan: driver_override forgotten" is "$(cat $D/$nv/driver_override)" "(null)"
check "rescan: native driver bound" is "$(drv $nv)" nvme
check "rescan: block device back below it" test -e "$S/dev/block/259:0"
check "reset succeeds where there is a method" w 1 "$D/0000:00:1f.6/reset"
check "reset 2 is EINVAL" expect_err "Invalid argument" w 2 "$D/0000:00:1f.6/reset"

# faults
w "unbind:$gpu:EBUSY:count=1" "$MP/sim/faults"
check "fault: unbind fails once with EBUSY" expect_err "busy" w $gpu "$S/bus/pci/drivers/nvidia/unbind"
check "fault: then works" w $gpu "$S/bus/pci/drivers/nvidia/unbind"
w "bind:vfio-pci:*:ENODEV" "$MP/sim/faults"
echo vfio-pci >"$D/$gpu/driver_override"
check "fault: bind to vfio-pci fails with ENODEV" expect_err "No such device" w $gpu "$S/bus/pci/drivers/vfio-pci/bind"
w clear "$MP/sim/faults"
check "fault: clear empties the rule list" is "$(cat "$MP/sim/faults")" ""
w "probe:$gpu:ignore:count=1" "$MP/sim/faults"
check "fault: ignored probe succeeds" w $gpu "$S/bus/pci/drivers_probe"
check "fault: ... and binds nothing" is "$(drv $gpu)" none
w "override:$gpu:ignore:count=1 reset:0000:00:1f.6:EIO:count=1" "$MP/sim/faults"
echo >"$D/$gpu/driver_override"
check "fault: ignored override keeps the old value" is "$(cat $D/$gpu/driver_override)" vfio-pci
check "fault: reset fails with EIO" expect_err "Input/output error" w 1 "$D/0000:00:1f.6/reset"
echo >"$D/$gpu/driver_override"
echo $gpu >"$S/bus/pci/drivers_probe"
check "fault setup: GPU back on nvidia" is "$(drv $gpu)" nvidia

w "unbind:nvidia:hang=800:count=1" "$MP/sim/faults"
t0=$(date +%s%N)
(echo $gpu >"$S/bus/pci/drivers/nvidia/unbind") &
bg=$!
sleep 0.1
cat "$D/$aud/vendor" >/dev/null
t1=$(date +%s%N)
check "fault: a read during a hung unbind answers promptly" test $(((t1 - t0) / 1000000)) -lt 500
wait $bg
t2=$(date +%s%N)
check "fault: the hung unbind took its delay" test $(((t2 - t0) / 1000000)) -ge 750
check "fault: ... then unbound" is "$(drv $gpu)" none
check "stats: delay_ms counts the injected delay" grep -qx delay_ms=800 "$MP/sim/stats"
echo $gpu >"$S/bus/pci/drivers_probe"

w "vanish:$aud:after=1" "$MP/sim/faults"
check "fault: vanish lets one more write through" w vfio-pci "$D/$aud/driver_override"
check "fault: the next write finds it gone (ENODEV)" expect_err "No such device" w "" "$D/$aud/driver_override"
check "fault: the function vanished" test ! -e "$D/$aud"
echo 1 >"$S/bus/pci/rescan"
check "fault: rescan brings it back on its driver" is "$(drv $aud)" snd_hda_intel
check "fault: a bad rule is EINVAL" expect_err "Invalid argument" w "unbind:nope" "$MP/sim/faults"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "SIGTERM: exit status 0" is $rc 0
check "SIGTERM: unmounted" sh -c "! grep -qs ' $MP fuse' /proc/mounts"
check "SIGTERM: mountpoint empty" is "$(ls -A "$MP")" ""

# ---- sriov-host: VFs ---------------------------------------------------------------------------

start_sim sriov sriov-host --stats "$T/stats"
pf=0000:4b:00.0
check "sriov: 64 VFs from the profile" is "$(cat $D/$pf/sriov_numvfs)" 64
check "sriov: 64 -> 4 is EBUSY" expect_err "busy" w 4 "$D/$pf/sriov_numvfs"
check "sriov: above TotalVFs is ERANGE" expect_err "out of range" w 200 "$D/$pf/sriov_numvfs"
check "sriov: not a number is EINVAL" expect_err "Invalid argument" w x "$D/$pf/sriov_numvfs"
vf0=$(readlink "$D/$pf/virtfn0")
vf0=${vf0##*/}
vf0dir=$(readlink -f "$D/$vf0")
prime "$D/$vf0" "$vf0dir" "$S/bus/pci/drivers/iavf/$vf0" "$D/$pf/virtfn0"
check "sriov: 0 works" w 0 "$D/$pf/sriov_numvfs"
check "sriov: VFs gone" test ! -e "$D/$pf/virtfn0"
check "sriov: a VF's bus/pci/devices entry is gone at once (it was cached)" test ! -e "$D/$vf0"
check "sriov: ... its directory too" test ! -e "$vf0dir"
check "sriov: ... and iavf's link to it" test ! -e "$S/bus/pci/drivers/iavf/$vf0"
check "sriov: VF groups released" test "$(ls "$S/kernel/iommu_groups" | wc -l)" -eq 78
check "sriov: then 8 works" w 8 "$D/$pf/sriov_numvfs"
vf=$(readlink "$D/$pf/virtfn0")
vf=${vf##*/}
check "sriov: virtfn0 -> a VF next to the PF" test -d "$D/$vf"
check "sriov: VF physfn link" is "$(readlink "$D/$vf/physfn")" "../$pf"
check "sriov: VF has its own group" is "$(ls "$S/kernel/iommu_groups/$(grp $vf)/devices")" "$vf"
check "sriov: VF on iavf (autoprobe)" is "$(drv $vf)" iavf
check "sriov: 8 -> 4 is EBUSY" expect_err "busy" w 4 "$D/$pf/sriov_numvfs"
bind_vfio $vf 2>"$T/err"
check "sriov: a VF binds to vfio-pci" test -c "$MP/dev/vfio/$(grp $vf)"
check "sriov: VFs on vfio-pci can be removed" w 0 "$D/$pf/sriov_numvfs"
check "sriov: ... and their /dev/vfio node goes" sh -c "test \$(ls '$MP/dev/vfio' | wc -l) -eq 1"
stop_sim
check "stats: --stats FILE written at exit" grep -qx writes_sriov=7 "$T/stats"

# ---- no-iommu ----------------------------------------------------------------------------------

start_sim noiommu no-iommu
nic=0000:00:1f.6
bind_vfio $nic 2>"$T/err"
check "no-iommu: drivers_probe succeeds" w $nic "$S/bus/pci/drivers_probe"
check "no-iommu: ... but the device stays unbound" is "$(drv $nic)" none
check "no-iommu: drivers/vfio-pci/bind is EINVAL" expect_err "Invalid argument" w $nic "$S/bus/pci/drivers/vfio-pci/bind"
check "no-iommu: no group node in /dev/vfio" is "$(ls "$MP/dev/vfio")" vfio
stop_sim

# ---- the preflight's facts live: a host without vfio, one with VT-d off -------------------------

start_sim novfio no-vfio
"$SIMGEN" -q no-vfio "$T/gen-novfio"
dump "$T/gen-novfio" >"$T/gen.txt"
dump "$MP" >"$T/live.txt"
check "no-vfio: live tree equals passd-simgen's (sys, proc, lib)" cmp "$T/gen.txt" "$T/live.txt"
check "no-vfio: no /dev/vfio/vfio, no vfio-pci driver" \
	sh -c "[ -z \"\$(ls '$MP/dev/vfio')\" ] && [ ! -e '$S/bus/pci/drivers/vfio-pci' ]"
nic=0000:00:1f.6
echo vfio-pci >"$D/$nic/driver_override"
echo $nic >"$S/bus/pci/drivers/e1000e/unbind"
check "no-vfio: probing with an override to a driver that is not there binds nothing" \
	w $nic "$S/bus/pci/drivers_probe"
check "no-vfio: ... and the device stays unbound" is "$(drv $nic)" none
stop_sim

start_sim biosoff bios-vtd-off
check "bios-vtd-off: no DMAR among the ACPI tables, no IOMMU unit" \
	sh -c "[ -e '$S/firmware/acpi/tables/APIC' ] && [ ! -e '$S/firmware/acpi/tables/DMAR' ] && [ -z \"\$(ls '$S/class/iommu')\" ]"
check "bios-vtd-off: lib/modules lists vfio-pci (loadable)" \
	grep -q '^kernel/drivers/vfio/pci/vfio-pci.ko.xz:' "$MP/lib/modules/6.1.0-13-amd64/modules.dep"
stop_sim

echo "1..$n"
[ "$failed" -eq 0 ]
