#!/bin/sh
# bind-profile.sh [CYCLES] - where passd's own time goes in a group move, by instruction count.
#
# Runs passd under valgrind's callgrind on the live simulator's bench-group16 host (as bind.sh
# does), makes one warm-up bind/unbind cycle, then zeroes the counters and makes CYCLES more
# (default 10). Prints, per operation (one bind or one unbind of the 16-device group), the
# instructions passd executed in all and in the parts of a move worth watching: the bearer
# token check, the audit log's two records, the host-critical re-read, the bind service itself
# and SQLite. Instruction counts repeat to a few per mille on a loaded machine, where wall
# time does not; they leave out what a syscall costs in the kernel, which strace -c (printed
# after, over the same cycles) counts. Builds an optimised tree as bind.sh does.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cycles=${1:-10}
. "$here/bench/lib.sh"
bench_work bind-prof
bench_build all tests/sim/passd-sim

dev=0000:02:01.0
bench_sim bench-group16

# start_passd WRAPPER...: passd under WRAPPER (valgrind, strace)
start_passd() { bench_passd "$live" none "$@"; }
cycle() {
	for op in bind unbind; do
		curl -s -o "$work/out" -X POST "$url/v1/devices/$dev/$op"
		jq -e '.result == "done"' "$work/out" >/dev/null || { cat "$work/out"; exit 1; }
	done
}

# ---- instructions ----
start_passd valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" --dump-instr=no \
	--collect-atstart=yes
cycle
callgrind_control -z "$pid" >/dev/null
i=0
while [ $i -lt "$cycles" ]; do cycle; i=$((i + 1)); done
callgrind_control -d "$pid" >/dev/null
stop_pid=$pid
kill "$stop_pid"; wait "$stop_pid" 2>/dev/null || true
pid=
dump=$work/cg.out.1 # the dump of callgrind_control -d; cg.out is what ran after it
callgrind_annotate --inclusive=yes --threshold=100 "$dump" >"$work/incl.txt" 2>/dev/null
total=$(sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$work/incl.txt" | tr -d ,)
# incl FUNCTION: inclusive instructions of FUNCTION (0 when absent)
incl() {
	awk -v f="$1" '{ n = $1; gsub(",", "", n); s = $0; sub(/^[ 0-9,]* (\([^)]*\) )?/, "", s);
		sub(/ \[.*$/, "", s); if (s ~ ("(^|:)" f "$")) { print n; found = 1; exit } }
		END { if (!found) print 0 }' "$work/incl.txt"
}
ops=$((cycles * 2))
row() { printf '%-46s %12.0f %8.1f%%\n' "$1" "$(echo "$2 $ops" | awk '{print $1 / $2}')" \
	"$(echo "$2 $total" | awk '{print $2 ? 100 * $1 / $2 : 0}')"; }
echo "passd under callgrind, $cycles bind/unbind cycles of the 16-device group after one warm-up;"
echo "instructions per operation (one bind or one unbind), inclusive of callees"
echo
printf '%-46s %12s %9s\n' "part" "instr/op" "of all"
row "everything passd ran" "$total"
row "token check (api_tokens_check)" "$(incl api_tokens_check)"
row "  SHA-256 (nettle_sha256_digest+update)" "$(( $(incl nettle_sha256_update) + $(incl nettle_sha256_digest) ))"
row "audit: before-row (auditsvc_begin)" "$(incl auditsvc_begin)"
row "audit: after-row (auditsvc_finish)" "$(incl auditsvc_finish)"
row "host-critical re-read (inv_refresh_critical)" "$(incl inv_refresh_critical)"
row "  procfs reads (procfs_read_file)" "$(incl procfs_read_file)"
row "  mountinfo parse (procfs_parse_mountinfo)" "$(incl procfs_parse_mountinfo)"
row "the move: planning + sysfs writes (bindsvc_*)" "$(( $(incl bindsvc_plan) + $(incl bindsvc_execute_locked) ))"
row "group check (bindsvc_check_group)" "$(incl bindsvc_check_group)"
row "inventory refresh after a move (inv_refresh)" "$(incl inv_refresh)"
row "SQLite commits (sqlite3_step)" "$(incl sqlite3_step)"
row "HTTP (MHD_run)" "$(incl MHD_run)"
echo
if [ -n "${BENCH_KEEP:-}" ]; then cp "$dump" "$BENCH_KEEP"; echo "callgrind output kept in $BENCH_KEEP"; fi

# ---- syscalls ----
start_passd env
cycle
strace -f -c -qq -o "$work/strace.txt" -p "$pid" &
st=$!
sleep 1 # attached to every thread
i=0
while [ $i -lt "$cycles" ]; do cycle; i=$((i + 1)); done
kill -INT "$st"; wait "$st" 2>/dev/null || true
[ -z "${BENCH_KEEP:-}" ] || cp "$work/strace.txt" "$BENCH_KEEP.strace"
echo "syscalls per operation over the same $cycles cycles (strace -f -c), the top 14 by time:"
sed -n '3,$p' "$work/strace.txt" | grep -v -e '^-' -e total | sort -k2 -g -r | head -n 14 |
	awk -v n="$ops" '{printf "  %-14s %7.1f calls %8.1f us\n", $NF, $4 / n, $2 * 1e6 / n}'
