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
build=${BENCH_BUILD:-$here/build-bench}
work=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/passd-bind-prof.XXXXXX")
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
echo "bench admin $(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/.curlrc"
CURL_HOME=$work
export CURL_HOME
pid= sim=
stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	pid= sim=
	if grep -qs " $work/live fuse" /proc/mounts; then fusermount3 -u "$work/live"; fi
	return 0
}
trap 'stop; rm -rf "$work"' EXIT

cd "$here"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$here/configure" -q CFLAGS="-O2 -g"
make -j2 >/dev/null 2>&1
make tests/sim/passd-sim >/dev/null 2>&1

profile="$here/tests/sim/profiles/bench-group16.profile"
dev=0000:02:01.0
live="$work/live"
sys="$live/sys"

mkdir -p "$live"
"$build/tests/sim/passd-sim" "$profile" "$live" 2>"$work/sim.log" &
sim=$!
until [ -e "$live/sim/stats" ]; do sleep 0.05; done

# start_passd WRAPPER...: passd under WRAPPER (valgrind, strace)
start_passd() {
	log="$work/passd.$(date +%s%N).log"
	rm -f "$work/passd.db"*
	"$@" "$build/daemon/passd" --config /dev/null --sysfs-root "$sys" \
		--proc-root "$live/proc" --dev-root "$live/dev" --db "$work/passd.db" \
		--listen tcp:127.0.0.1:0 --libvirt-uri none --web-dir "$here/web" \
		--rescan-interval 0 --token-file "$work/tokens" --rate-limit 0 >"$log" 2>&1 &
	pid=$!
	i=0
	until grep -qs ' ready: ' "$log"; do
		i=$((i + 1)); [ $i -lt 1200 ] || { cat "$log"; exit 1; }
		sleep 0.05
	done
	url="http://127.0.0.1:$(sed -n 's/.*Listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")"
}
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
