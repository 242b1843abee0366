#!/bin/sh
# assign.sh [RUNS] - the breakdown of one assignment and one release on the live simulator.
#
# passd on passd-sim with libvirt's test driver (through the real libvirt library): RUNS times,
# POST /v1/assignments {device, domain, "start": true}, stop the domain (the test driver cannot
# detach from a running one), DELETE /v1/assignments/ID. Prints the medians and p95 of every key
# of the answers' `timing` (docs/assignments.md, Timing), and how each operation splits between
# the kernel (the group move's sysfs accesses, the resets), libvirt and passd's own share
# (passd_ms), beside the wall time curl saw. Two hosts: desktop (the GPU 0000:01:00.0 and its
# HDMI audio function) and bench-group16 (16 e1000 endpoints behind a PCIe-to-PCI bridge).
# Builds an optimised tree in build-bench/ (shared with bind.sh and discovery.sh).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
. "$here/bench/lib.sh"
bench_work assign-bench
bench_build all tests/sim/passd-sim
. "$here/tests/lib/libvirt-test.sh"

test_driver_node bench-vm >"$work/node.xml"

start() { # start PROFILE: passd-sim, then passd with the test driver, ready and connected
	bench_sim "$1"
	bench_passd "$live" "test://$work/node.xml"
	i=0
	until curl -sS "$url/v1/health" | jq -e '.libvirt.connected == true' >/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "assign.sh: libvirt not connected" >&2; exit 1; }
		sleep 0.05
	done
}

# run NAME PROFILE DEVICE: RUNS assign/release cycles after one warm-up cycle (its first group
# move opens the workers' database connection); one line of JSON per answer, with curl's time,
# in $work/NAME.assign and $work/NAME.release.
run() {
	name=$1 dev=$3
	start "$2"
	: >"$work/$name.assign"
	: >"$work/$name.release"
	n=0
	for i in $(seq 0 "$runs"); do
		t=$(curl -sS -o "$work/out" -w '%{time_total}' -X POST -H 'Content-Type: application/json' \
			-d "{\"device\":\"$dev\",\"domain\":\"bench-vm\",\"start\":true}" "$url/v1/assignments")
		jq -e '.id and .started' "$work/out" >/dev/null || { cat "$work/out"; exit 1; }
		id=$(jq .id "$work/out")
		n=$(jq '.devices | length' "$work/out")
		[ "$i" -eq 0 ] || jq -c --argjson t "$t" '.timing + {wall_ms: ($t * 1000)}' "$work/out" >>"$work/$name.assign"
		curl -sSf -o /dev/null -X POST "$url/v1/domains/bench-vm/stop"
		t=$(curl -sS -o "$work/out" -w '%{time_total}' -X DELETE "$url/v1/assignments/$id")
		jq -e '.state == "released" and .returned_to_host' "$work/out" >/dev/null || { cat "$work/out"; exit 1; }
		[ "$i" -eq 0 ] || jq -c --argjson t "$t" '.timing + {wall_ms: ($t * 1000)}' "$work/out" >>"$work/$name.release"
	done
	grep -E "Assigned device|Released assignment" "$log" | tail -n 2 | sed 's/^<[0-9]>/  log: /' >"$work/$name.log"
	stop
	echo "$n" >"$work/$name.n"
}

# report FILE: one row per timing key (in the answer's order), then the split of the total.
report() {
	jq -rs '
		def med: sort | .[(length - 1) / 2 | floor];
		def p95: sort | .[(length * 0.95 | ceil) - 1];
		def row($k; $v): "  \($k | . + " " * (22 - length)) \($v | med | . * 100 | round / 100 | tostring | " " * (8 - length) + .) \($v | p95 | . * 100 | round / 100 | tostring | " " * (8 - length) + .)";
		. as $all |
		"  \("key" | . + " " * (22 - length))   median      p95",
		(reduce ($all[] | keys_unsorted[]) as $k ([]; if any(.[]; . == $k) then . else . + [$k] end) |
			.[] | . as $k | row($k; [$all[][$k] | select(. != null)])),
		"  split of total_ms:",
		row("  sysfs (kernel)"; [$all[] | [to_entries[] | select(.key | test("^(bind|unbind|rollback)_(override|unbind|probe|check)_ms$")) | .value] | add]),
		row("  resets (kernel)"; [$all[] | .reset_ms // 0]),
		row("  libvirt"; [$all[] | .total_ms - .passd_ms - (.reset_ms // 0) - ([to_entries[] | select(.key | test("^(bind|unbind|rollback)_(override|unbind|probe|check)_ms$")) | .value] | add)]),
		row("  passd"; [$all[] | .passd_ms]),
		row("  passd per device"; [$all[] | .passd_ms / $n])
	' --argjson n "$2" "$1"
}

run desktop desktop 0000:01:00.0
run group16 bench-group16 0000:02:01.0

echo "passd-sim on $(df -T "$work" | awk 'NR==2{print $2}'), libvirt's test driver (test:///, the real library);"
echo "$(nproc) cores; $runs assign/stop/release cycles per host after one warm-up cycle."
echo "Milliseconds per operation: median and p95 of each key of the answer's timing (wall_ms:"
echo "curl's time_total). The split: sysfs = the *_override/_unbind/_probe/_check keys, libvirt ="
echo "total - passd - sysfs - resets (lookup, list, attach, start, detach), passd = passd_ms."
for name in desktop group16; do
	nd=$(cat "$work/$name.n")
	echo
	echo "$name ($nd devices): assign --start"
	report "$work/$name.assign" "$nd"
	echo "$name ($nd devices): release (domain stopped)"
	report "$work/$name.release" "$nd"
	cat "$work/$name.log"
done
