#!/bin/sh
# bind.sh [RUNS] - bind and unbind of a 16-device IOMMU group on the live simulated kernel.
#
# Prints, per operation and per device, the wall time a client sees (curl) and passd's own
# share: wall minus the simulator's injected delays (sim/stats delay_ms) and minus the
# simulator's FUSE round trips, estimated from a shell loop of the same writes with no passd.
# Builds an optimised tree in build-bench/ (shared with discovery.sh).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
build="$here/build-bench"
work=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/passd-bind-bench.XXXXXX")
pid= sim=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	grep -qs " $work/live fuse" /proc/mounts && fusermount3 -u "$work/live"
	rm -rf "$work"
}
trap cleanup EXIT

cd "$here"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$here/configure" -q CFLAGS="-O2 -g"
make -j2 >/dev/null 2>&1
make tests/sim/passd-sim >/dev/null 2>&1

mkdir -p "$work/live"
"$build/tests/sim/passd-sim" "$here/tests/sim/profiles/bench-group16.profile" "$work/live" 2>"$work/sim.log" &
sim=$!
until [ -e "$work/live/sim/stats" ]; do sleep 0.05; done
sys="$work/live/sys"

"$build/daemon/passd" --config /dev/null --sysfs-root "$sys" --proc-root "$work/live/proc" \
	--dev-root "$work/live/dev" --db "$work/passd.db" --listen tcp:127.0.0.1:0 \
	--libvirt-uri none --web-dir "$here/web" --rescan-interval 0 >"$work/passd.log" 2>&1 &
pid=$!
until grep -q ' ready: ' "$work/passd.log"; do sleep 0.05; done
url="http://127.0.0.1:$(sed -n 's/.*Listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/passd.log")"
dev=0000:02:01.0
n=$(curl -s "$url/v1/devices/$dev/bind?dry_run=true" -X POST | jq '[.devices[] | select(.action == "move")] | length')
echo "group of $dev: $n endpoints to move (and the PCIe-to-PCI bridge, which stays)"

stat() { sed -n "s/^$1=//p" "$work/live/sim/stats"; }
med() { sort -n | awk '{a[NR]=$1} END {printf "%.2f %.2f", a[int((NR+1)/2)], a[int(NR*0.95+0.999)]}'; }

: >"$work/bind.ms"
: >"$work/unbind.ms"
for i in $(seq "$runs"); do
	for op in bind unbind; do
		d0=$(stat delay_ms)
		t=$(curl -s -o "$work/out" -w '%{time_total}' -X POST "$url/v1/devices/$dev/$op")
		jq -e '.result == "done"' "$work/out" >/dev/null || { cat "$work/out"; exit 1; }
		d1=$(stat delay_ms)
		echo "$t $d0 $d1" | awk '{printf "%.3f\n", $1 * 1000 - ($3 - $2)}' >>"$work/$op.ms"
	done
done

# The simulator's own cost: the same writes from a shell, no passd (3 per device and op).
t0=$(date +%s%N)
for i in $(seq 20); do
	for a in $(seq 1 16); do
		addr=$(printf '0000:02:%02x.0' "$a")
		echo vfio-pci >"$sys/bus/pci/devices/$addr/driver_override"
		echo "$addr" >"$sys/bus/pci/drivers/e1000/unbind"
		echo "$addr" >"$sys/bus/pci/drivers_probe"
		echo >"$sys/bus/pci/devices/$addr/driver_override"
		echo "$addr" >"$sys/bus/pci/drivers/vfio-pci/unbind"
		echo "$addr" >"$sys/bus/pci/drivers_probe"
	done
done
t1=$(date +%s%N)
sim_op=$(echo "$t0 $t1" | awk '{printf "%.2f", ($2 - $1) / 1e6 / 20 / 2}')

set -- $(med <"$work/bind.ms"); bm=$1 bp=$2
set -- $(med <"$work/unbind.ms"); um=$1 up=$2
echo
printf '%-34s %10s %10s %14s %18s\n' "" "median ms" "p95 ms" "per device ms" "passd's own/device"
printf '%-34s %10s %10s %14s %18s\n' "bind, wall minus injected delays" "$bm" "$bp" \
	"$(echo "$bm $n" | awk '{printf "%.3f", $1 / $2}')" \
	"$(echo "$bm $sim_op $n" | awk '{printf "%.3f", ($1 - $2) / $3}')"
printf '%-34s %10s %10s %14s %18s\n' "unbind, wall minus injected delays" "$um" "$up" \
	"$(echo "$um $n" | awk '{printf "%.3f", $1 / $2}')" \
	"$(echo "$um $sim_op $n" | awk '{printf "%.3f", ($1 - $2) / $3}')"
echo
echo "simulator alone, the same 3 writes x $n devices from a shell: $sim_op ms per operation"
echo "(passd's own = wall - the simulator's time for the same writes. It still holds the FUSE"
echo " round trips of passd's own reads: each device's driver and override before the move and its"
echo " driver link after each probe, 3 reads a device, at the simulator's ~0.1-0.3 ms each; and"
echo " the intent log's two commits, the HTTP round trip and the worker thread)"
