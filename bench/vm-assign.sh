#!/bin/bash
# vm-assign.sh [REPS] - one assignment on the real kernel, phase by phase, beside the same
# work done by hand with virsh.
#
# In a VM-tier guest (topology mixed: emulated VT-d, real vfio-pci) with libvirtd and QEMU
# under TCG, REPS times (default 3):
#   passd: `passctl assign MF l2 --paused` (the multifunction group: e1000e + edu), the domain
#          destroyed, `passctl release MF`; the `timing` of each answer (check, bind and its
#          sysfs writes, attach, start; detach, reset, unbind) and the wall time of passctl;
#   virsh: what an operator types for the same result: nodedev-detach x2, attach-device
#          --config x2, start --paused; then destroy, detach-device --config x2,
#          nodedev-reattach x2 (one virsh process each way, one connection).
# Medians. A benchmark, not a test: TCG is ~10x slower than the host and the machine is shared;
# what carries over is where the time goes and passd's share of it.
#
# Host side: builds an optimised tree (BENCH_BUILD, default build-bench/, shared with the other
# benches) and boots the guest (~3 min). In the guest (--guest BUILD): the measurements.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --guest ]; then
	reps=${1:-3}
	set -e
	. "$here/bench/lib.sh"
	bench_build daemon/passd cli/passctl
	command -v virsh >/dev/null && command -v libvirtd >/dev/null ||
		{ echo "vm-assign: needs libvirt-daemon-system (scripts/install-deps)" >&2; exit 2; }
	caps=${PASSD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/passd-vm}/libvirt-caps
	exec "$here/tests/vm/vmrun.sh" -t mixed -M vfio-pci -T 1200 -q -C "$here" \
		-e "BENCH_REPS=$reps" -e "PASSD_LIBVIRT_CAPS=$caps" -- \
		/bin/bash "$here/bench/vm-assign.sh" --guest "$build"
fi

# ---- in the guest ------------------------------------------------------------------------
build=$2
reps=${BENCH_REPS:-3}
read -r cmdline </proc/cmdline
case " $cmdline " in *" passdvm=1 "*) ;; *) echo "vm-assign --guest: not in a passd VM guest" >&2; exit 2 ;; esac
export LC_ALL=C
work=/run/vm-assign
mkdir -p "$work"
cd "$work"
vm_guest() { return 0; } # checked above; guest-lib.sh asks
. "$here/tests/vm/guest-lib.sh"

MF=0000:04:00.0 COMP=0000:04:00.1
lap() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); } # ms since $1
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
drivers() { echo "$(vm_driver $MF) $(vm_driver $COMP)"; }

cat >l2.xml <<'EOF'
<domain type='qemu'>
  <name>l2</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
for a in $MF $COMP; do
	f=${a##*.}
	cat >"hd-$f.xml" <<-EOF
	<hostdev mode='subsystem' type='pci' managed='no'>
	  <source><address domain='0x0000' bus='0x04' slot='0x00' function='0x$f'/></source>
	</hostdev>
	EOF
done

t=$EPOCHREALTIME
vm_libvirtd_start || { echo "libvirtd did not start"; exit 1; }
libvirtd_ms=$(lap "$t")
virsh -q define l2.xml >/dev/null || exit 1

token=bench-$$-$RANDOM
printf 'bench admin %s\n' "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" >tokens
: >empty.conf
"$build/daemon/passd" --config empty.conf --sysfs-root /sys --proc-root /proc --dev-root /dev \
	--db "$work/passd.db" --listen tcp:127.0.0.1:7391 --libvirt-uri qemu:///system \
	--token-file tokens --load-modules no --op-timeout 120 --log-level info >passd.log 2>&1 &
passd_pid=$!
trap 'kill $passd_pid 2>/dev/null; vm_libvirtd_stop' EXIT
export PASSCTL_TOKEN=$token
P() { "$build/cli/passctl" --url http://127.0.0.1:7391 "$@"; }
for i in $(seq 200); do
	curl -sf -H "Authorization: Bearer $token" http://127.0.0.1:7391/v1/health |
		jq -e .libvirt.connected >/dev/null 2>&1 && break
	sleep 0.1
done
before=$(drivers)
# The floor of a passctl call here: exec, libraries over 9p, one request (GET /v1/devices/MF).
: >floor.times
for ((r = 0; r < 5; r++)); do
	t=$EPOCHREALTIME
	P --json show $MF >/dev/null || exit 1
	lap "$t" >>floor.times
done
echo "# guest: $(uname -r), libvirtd answered after $libvirtd_ms ms; group of $MF: $MF $COMP ($before); $reps runs"

: >assign.times
: >release.times
for ((r = 0; r < reps; r++)); do
	t=$EPOCHREALTIME
	P --json assign $MF l2 --paused >a.json || { echo "assign failed:"; cat a.json; exit 1; }
	wall=$(lap "$t")
	[ "$(drivers)" = "vfio-pci vfio-pci" ] || { echo "after assign: $(drivers)"; exit 1; }
	jq -c --argjson w "$wall" '.timing + {passctl_wall_ms: $w}' a.json >>assign.times
	virsh -q destroy l2 >/dev/null
	t=$EPOCHREALTIME
	P --json release $MF >r.json || { echo "release failed:"; cat r.json; exit 1; }
	wall=$(lap "$t")
	[ "$(drivers)" = "$before" ] || { echo "after release: $(drivers), was $before"; exit 1; }
	jq -c --argjson w "$wall" '.timing + {passctl_wall_ms: $w}' r.json >>release.times
done
kill $passd_pid
wait $passd_pid 2>/dev/null

: >virsh-assign.times
: >virsh-release.times
ndm=pci_0000_04_00_0 ndc=pci_0000_04_00_1
for ((r = 0; r < reps; r++)); do
	t=$EPOCHREALTIME
	virsh -q "nodedev-detach $ndm; nodedev-detach $ndc; attach-device l2 hd-0.xml --config; attach-device l2 hd-1.xml --config; start l2 --paused" >/dev/null ||
		{ echo "virsh assign failed"; exit 1; }
	lap "$t" >>virsh-assign.times
	[ "$(drivers)" = "vfio-pci vfio-pci" ] || { echo "after virsh: $(drivers)"; exit 1; }
	virsh -q destroy l2 >/dev/null
	t=$EPOCHREALTIME
	virsh -q "detach-device l2 hd-0.xml --config; detach-device l2 hd-1.xml --config; nodedev-reattach $ndm; nodedev-reattach $ndc" >/dev/null ||
		{ echo "virsh release failed"; exit 1; }
	lap "$t" >>virsh-release.times
	[ "$(drivers)" = "$before" ] || { echo "after virsh release: $(drivers), was $before"; exit 1; }
done

# phases FILE: every key of the timing objects, with its median over the runs.
phases() {
	for k in $(jq -r 'keys_unsorted[]' "$1" | awk '!seen[$0]++'); do
		printf '| %s | %s |\n' "$k" "$(jq -r --arg k "$k" '.[$k] // empty' "$1" | median)"
	done
}
echo
echo "## passd assign (median of $reps, ms)"
echo "| phase | ms |"
echo "| --- | --- |"
phases assign.times
echo
echo "## passd release (median of $reps, ms)"
echo "| phase | ms |"
echo "| --- | --- |"
phases release.times
echo
pa=$(jq -r .passctl_wall_ms assign.times | median)
pr=$(jq -r .passctl_wall_ms release.times | median)
va=$(median <virsh-assign.times)
vr=$(median <virsh-release.times)
echo "## beside virsh by hand (median of $reps, ms, wall time of the command)"
echo "| operation | passctl | virsh | virsh / passctl |"
echo "| --- | --- | --- | --- |"
echo "| assign + start paused | $pa | $va | $(awk -v a="$pa" -v b="$va" 'BEGIN { printf "%.2f", b / a }') |"
echo "| release | $pr | $vr | $(awk -v a="$pr" -v b="$vr" 'BEGIN { printf "%.2f", b / a }') |"
echo "| floor: passctl show (one GET) | $(median <floor.times) | | |"
