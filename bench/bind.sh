#!/bin/sh
# bind.sh [RUNS] - bind and unbind of a 16-device IOMMU group on the live simulated kernel.
#
# Prints, per operation and per device, the wall time a client sees (curl) and how it splits:
# the simulator's injected delays (sim/stats delay_ms), the time inside the simulator's FUSE
# handlers (sim/stats handler_us), an estimate of the kernel's FUSE round trips (requests x the
# round trip measured below) and what is left: passd's own time. Runs three times: without
# faults; with every unbind write hanging 5 ms, which should give back the same passd time;
# and with the simulator's kernel caching off (--cache-timeout 0), for comparison.
# Builds an optimised tree in build-bench/ (shared with discovery.sh).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
. "$here/bench/lib.sh"
bench_work bind-bench
bench_build all tests/sim/passd-sim

dev=0000:02:01.0
sys="$live/sys"

# start_sim [passd-sim options]
start_sim() { bench_sim bench-group16 "$@"; }
start_passd() { bench_passd "$live" none; }
# the sim/stats keys we use, on one line: delay_ms handler_us requests delay_slept_us
snap() { awk -F= '$1 == "delay_ms" {d = $2} $1 == "handler_us" {h = $2} $1 == "requests" {r = $2}
	$1 == "delay_slept_us" {s = $2} END {print d, h, r, s}' "$live/sim/stats"; }
health() {
	for _i in 1 2 3; do
		_h=$(curl -sS "$url/v1/health" | jq -r '"\(.inventory.last_scan_usec) \(.inventory.scan_duration_usec)"') &&
			[ -n "$_h" ] && { echo "$_h"; return 0; }
		echo "bind.sh: GET /v1/health failed, again" >&2
		sleep 0.1
	done
	tail -n 20 "$log" >&2
	exit 1
}
# median and p95 of column $1 of stdin
q() { bench_q "$1"; }

# ---- the FUSE round trip: what a request costs beyond the simulator's handler ---------------
# dash's `read` from a file: open, read, release; the same loop on tmpfs is the syscall floor.
start_sim
cp "$sys/bus/pci/devices/$dev/vendor" "$work/vendor"
rt_loop() { i=0; while [ $i -lt 3000 ]; do read -r x <"$1"; i=$((i + 1)); done; }
rt_loop "$sys/bus/pci/devices/$dev/vendor" # warm the kernel's caches
set -- $(snap); h0=$2 r0=$3
t0=$(date +%s%N); rt_loop "$sys/bus/pci/devices/$dev/vendor"; t1=$(date +%s%N)
set -- $(snap); h1=$2 r1=$3
t2=$(date +%s%N); rt_loop "$work/vendor"; t3=$(date +%s%N)
rt_us=$(echo "$t0 $t1 $t2 $t3 $h0 $h1 $r0 $r1" |
	awk '{printf "%.1f", (($2 - $1) - ($4 - $3) - ($6 - $5) * 1000) / 1000 / ($8 - $7 - 1)}')
per_read=$(echo "$t0 $t1 $t2 $t3" | awk '{printf "%.1f", (($2 - $1) - ($4 - $3)) / 1000 / 3000}')
reqs_read=$(echo "$r0 $r1" | awk '{printf "%.1f", ($2 - $1 - 1) / 3000}')

# ---- the same writes from a shell, no passd: the simulator's cost of a move -----------------
t0=$(date +%s%N)
for i in $(seq 10); do
	for a in $(seq 1 16); do
		addr=$(printf '0000:02:%02x.0' "$a")
		echo vfio-pci >"$sys/bus/pci/devices/$addr/driver_override"
		echo "$addr" >"$sys/bus/pci/drivers/e1000/unbind"
		echo "$addr" >"$sys/bus/pci/drivers_probe"
		echo "$addr" >"$sys/bus/pci/drivers/vfio-pci/unbind"
		echo >"$sys/bus/pci/devices/$addr/driver_override"
		echo "$addr" >"$sys/bus/pci/drivers_probe"
	done
done
t1=$(date +%s%N)
shell_op=$(echo "$t0 $t1" | awk '{printf "%.2f", ($2 - $1) / 1e6 / 10 / 2}')
stop

# ---- passd: RUNS binds and unbinds of the group ---------------------------------------------
# run NAME [passd-sim options]: one line per operation in $work/NAME.txt:
#   op wall_ms delay_ms handler_ms requests full_scan_ms (0: no full rescan) slept_ms
run() {
	name=$1
	shift
	start_sim "$@"
	start_passd
	startup_scan=$(health | awk '{printf "%.1f", $2 / 1000}')
	if [ "$name" = plain ]; then
		ct=$(sed -n 's/^cache_timeout=//p' "$live/sim/stats")
		http_ms=$(for i in $(seq 30); do curl -s -o /dev/null -w '%{time_total}\n' "$url/v1/health"; done |
			awk '{print $1 * 1000}' | q 1 | cut -d' ' -f1)
	fi
	n=$(curl -s -X POST "$url/v1/devices/$dev/bind?dry_run=true" |
		jq '[.devices[] | select(.action == "move")] | length')
	: >"$work/$name.txt"
	[ "$name" != plain ] || sed -n 's/^requests_//p' "$live/sim/stats" >"$work/kinds0"
	# the cost of reading sim/stats itself, which lands in the next snapshot
	set -- $(snap); set -- $(snap) "$@"; set -- $(snap) "$@"
	sh0=$(($2 - $6)) sr0=$(($3 - $7))
	for i in $(seq 0 "$runs"); do
		for op in bind unbind; do
			set -- $(health); s0=$1
			set -- $(snap); d0=$1 h0=$2 r0=$3 z0=$4
			t=$(curl -s -o "$work/out" -w '%{time_total}' -X POST "$url/v1/devices/$dev/$op")
			set -- $(snap); d1=$1 h1=$2 r1=$3 z1=$4
			jq -e '.result == "done"' "$work/out" >/dev/null || { cat "$work/out"; exit 1; }
			set -- $(health); s1=$1 sd=$2
			[ "$i" -gt 0 ] || continue # a warm-up round
			echo "$op $t $d0 $d1 $h0 $h1 $r0 $r1 $s0 $s1 $sd $sh0 $sr0 $z0 $z1" | awk '{
				printf "%s %.3f %d %.3f %d %.3f %.3f\n", $1, $2 * 1000, $4 - $3,
					($6 - $5 - $12) / 1000, $8 - $7 - $13, $10 != $9 ? $11 / 1000 : 0,
					($15 - $14) / 1000}' >>"$work/$name.txt"
		done
	done
	[ "$name" != plain ] || sed -n 's/^requests_//p' "$live/sim/stats" >"$work/kinds1"
	stop
}

run plain
run hang5 --faults 'unbind:*:hang=5'
run nocache --cache-timeout 0 # passd-sim before it let the kernel cache

# report NAME: one row per op
report() {
	for op in bind unbind; do
		grep "^$op " "$work/$name.txt" >"$work/rows"
		set -- $(q 2 <"$work/rows"); wm=$1 wp=$2
		set -- $(q 3 <"$work/rows"); dm=$1
		set -- $(q 4 <"$work/rows"); hm=$1
		set -- $(q 5 <"$work/rows"); rm_=$1
		set -- $(q 7 <"$work/rows"); zm=$1
		# passd's own, per operation: wall - delay as slept - handler - requests x round trip
		awk -v rt="$rt_us" '{printf "%.3f\n", $2 - $7 - $4 - $5 * rt / 1000}' "$work/rows" >"$work/own"
		set -- $(q 1 <"$work/own"); om=$1 op95=$2
		awk -v rt="$rt_us" '{printf "%.3f\n", $2 - $3}' "$work/rows" >"$work/wd"
		set -- $(q 1 <"$work/wd"); wdm=$1
		scans=$(awk '$6 > 0' "$work/rows" | wc -l)
		printf '%-7s %-6s %7.2f %7.2f %6.1f %6.2f %8.2f %7.2f %5.0f %6.2f %6.2f %6.2f %9.3f %5s\n' \
			"$name" "$op" "$wm" "$wp" "$dm" "$zm" "$wdm" "$hm" "$rm_" \
			"$(echo "$rm_ $rt_us" | awk '{print $1 * $2 / 1000}')" "$om" "$op95" \
			"$(echo "$om $n" | awk '{print $1 / $2}')" "$scans/$runs"
	done
}

echo "host: bench-group16 (one IOMMU group: a PCIe-to-PCI bridge and $n e1000 endpoints); $(nproc) cores;"
echo "passd-sim on $(df -T "$work" | awk 'NR==2{print $2}'), kernel cache timeout ${ct}s (0: no caching);"
echo "$runs bind/unbind cycles of $dev after one warm-up cycle; passd's startup scan: $startup_scan ms"
echo
echo "FUSE round trip from a shell loop: $rt_us us a request beyond the handler (dash's 'read' of"
echo "a sysfs file: $per_read us more than on tmpfs, $reqs_read requests: open, one read a byte)"
echo "the same 6 writes x $n devices from a shell, no passd: $shell_op ms per operation"
echo "FUSE requests per device and operation in the plain run: $(paste -d= "$work/kinds0" "$work/kinds1" |
	awk -F= -v k=$((runs * 2 + 2)) -v n="$n" '{printf "%s %.1f, ", $1, ($4 - $2) / k / n}' | sed 's/, $//')"
echo "(reading sim/stats between operations adds about 2 of them)"
# The round trip again, from passd's own requests: the nocache run makes the same moves with
# ~8x the requests (lookups), so (wall - handler) grows by (extra requests) x round trip.
med_of() { awk -v c="$2" '{print $c}' "$work/$1.txt" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
rt_us=$(echo "$(med_of plain 2) $(med_of plain 4) $(med_of plain 5) $(med_of nocache 2) $(med_of nocache 4) $(med_of nocache 5)" |
	awk '{printf "%.1f", (($4 - $5) - ($1 - $2)) * 1000 / ($6 - $3)}')
echo "FUSE round trip from plain vs nocache (used below): $rt_us us a request"
echo
printf '%-7s %-6s %7s %7s %6s %6s %8s %7s %5s %6s %6s %6s %9s %5s\n' \
	"run" "op" "wall" "p95" "delay" "slept" "wall-dly" "handler" "reqs" "rt est" "passd" "p95" "passd/dev" "scans"
name=plain; report
name=hang5; report
name=nocache; report
echo
echo "milliseconds per operation (one operation moves all $n devices), medians unless p95."
echo "wall: curl's time_total (HTTP, passd, the simulator). delay: injected (sim/stats delay_ms),"
echo "slept: the same as slept (delay_slept_us: nanosleep wakes late). wall-dly: wall - delay."
echo "handler: inside passd-sim's FUSE handlers (handler_us; model, lock waits, invalidations)."
echo "reqs: FUSE requests the operation made; rt est: reqs x the round trip from plain vs nocache"
echo "(the kernel's share, an estimate: it takes a lookup to cost what passd's opens and writes do,"
echo "and makes nocache's passd column equal plain's). passd: wall - slept - handler - rt est, i.e."
echo "passd's code, its syscalls short of the FUSE round trip, SQLite, HTTP and curl (an HTTP"
echo "request to passd that does nothing, GET /v1/health: $http_ms ms). scans: operations followed by a full"
echo "rescan (GET /v1/health last_scan_usec moved). Runs: plain; hang5, every unbind write hangs"
echo "5 ms (--faults 'unbind:*:hang=5'); nocache, passd-sim --cache-timeout 0 (no kernel caching,"
echo "every path component looked up again, as before the simulator cached)."
