#!/bin/sh
# bind-ab.sh [-r ROUNDS] [-d DBDIR] NAME=BUILD[,VAR=VALUE...]... - passds side by side, interleaved.
#
# On a loaded machine two runs of bind.sh minutes apart differ by more than most changes do.
# This starts one live simulator (bench-group16, the passd-sim of the first BUILD) and one passd
# per variant on its own copy, then makes ROUNDS rounds (default 40, after one warm-up): in each
# round every variant, in an order that rotates, binds and unbinds the 16-device group. Load
# that comes and goes hits every variant alike. Prints per variant and operation curl's median
# and p95 wall time, and passd's CPU time (user + system, every thread; bench/cpu-mark.c reads
# getrusage() in passd around each operation), with each median's difference to the first
# variant, per operation and per device. CPU time leaves out waiting (the simulator, FUSE round
# trips, the scheduler) and is the steadier figure on a loaded machine. BUILD is an optimised build tree (configure CFLAGS=-O2, no sanitizers); VAR=VALUE
# pairs go to that passd's environment. Options a BUILD's passd does not know (older trees)
# are left out. The databases live in a tmpfs (as bind.sh's do) unless -d puts them in DBDIR:
# a directory on a real disk, where SQLite's fsyncs cost what they cost on a host.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=40
dbdir=
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-d) dbdir=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: bind-ab.sh [-r ROUNDS] [-d DBDIR] NAME=BUILD[,VAR=VALUE...]..." >&2; exit 2; }
work=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/passd-bind-ab.XXXXXX")
[ -z "$dbdir" ] || dbdir=$(mktemp -d "$dbdir/passd-bind-ab-db.XXXXXX")
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
echo "bench admin $(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/.curlrc"
CURL_HOME=$work
export CURL_HOME
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	for p in $pids; do wait "$p" 2>/dev/null || :; done
	for m in "$work"/v*/live; do
		if grep -qs " $m fuse" /proc/mounts; then fusermount3 -u "$m"; fi
	done
	rm -rf "$work"
	[ -z "$dbdir" ] || rm -rf "$dbdir"
}
trap cleanup EXIT

profile="$here/tests/sim/profiles/bench-group16.profile"
dev=0000:02:01.0
cc -O2 -shared -fPIC -pthread -o "$work/cpu-mark.so" "$here/bench/cpu-mark.c"
first_build=$(echo "$1" | sed 's/^[^=]*=//; s/,.*//')
simbin="$first_build/tests/sim/passd-sim"
[ -x "$simbin" ] || make -C "$first_build" tests/sim/passd-sim >/dev/null

k=0
names=
for v in "$@"; do
	k=$((k + 1))
	name=${v%%=*}
	rest=${v#*=}
	build=${rest%%,*}
	envs=$(echo "$rest" | awk -F, '{for (i = 2; i <= NF; i++) print $i}')
	d="$work/v$k"
	mkdir -p "$d/live"
	"$simbin" "$profile" "$d/live" 2>"$d/sim.log" &
	pids="$pids $!"
	until [ -e "$d/live/sim/stats" ]; do sleep 0.05; done
	help=$("$build/daemon/passd" --help 2>&1 || :)
	extra=
	case $help in *--token-file*) extra="$extra --token-file $work/tokens" ;; esac
	case $help in *--rate-limit*) extra="$extra --rate-limit 0" ;; esac
	# shellcheck disable=SC2086 # $envs and $extra are lists of words
	env $envs LD_PRELOAD="$work/cpu-mark.so" CPU_MARK_FIFO="$d/mark" "$build/daemon/passd" --config /dev/null --sysfs-root "$d/live/sys" \
		--proc-root "$d/live/proc" --dev-root "$d/live/dev" --db "${dbdir:-$d}/passd$k.db" \
		--listen tcp:127.0.0.1:0 --libvirt-uri none --web-dir "$here/web" \
		--rescan-interval 0 $extra >"$d/passd.log" 2>&1 &
	pids="$pids $!"
	i=0
	until grep -qs ' ready: ' "$d/passd.log"; do
		i=$((i + 1)); [ $i -lt 400 ] || { cat "$d/passd.log"; exit 1; }
		sleep 0.05
	done
	sed -n 's/.*Listening on tcp:127\.0\.0\.1:\([0-9]*\).*/http:\/\/127.0.0.1:\1/p' "$d/passd.log" |
		head -n 1 >"$d/url"
	echo "$name" >"$d/name"
	names="$names $name"
	: >"$d/times"
	: >"$d/cpu"
done
n=$k

one() { # one VARIANT-INDEX ROUND
	d="$work/v$1"
	url=$(cat "$d/url")
	for op in bind unbind; do
		echo "$op-$2 a" >"$d/mark"
		t=$(curl -s -o "$d/out" -w '%{time_total}' -X POST "$url/v1/devices/$dev/$op")
		echo "$op-$2 b" >"$d/mark"
		jq -e '.result == "done"' "$d/out" >/dev/null || { echo "$(cat "$d/name"): $(cat "$d/out")" >&2; exit 1; }
		[ "$2" -eq 0 ] || echo "$op $t" >>"$d/times"
	done
}
r=0
while [ $r -le "$rounds" ]; do
	j=0
	while [ $j -lt "$n" ]; do
		one $(((r + j) % n + 1)) "$r"
		j=$((j + 1))
	done
	r=$((r + 1))
done

# the marks: "cpu-mark: OP-ROUND a|b USER SYS" -> "OP CPU_MS" per operation, warm-up left out
k=1
while [ $k -le "$n" ]; do
	awk '$1 == "cpu-mark:" { split($2, w, "-"); if (w[2] == 0) next;
		if ($3 == "a") t0[$2] = $4 + $5; else print w[1], ($4 + $5 - t0[$2]) / 1000 }' \
		"$work/v$k/passd.log" >"$work/v$k/cpu"
	k=$((k + 1))
done
q() { sort -g | awk '{a[NR] = $1} END {printf "%.3f %.3f", a[int((NR + 1) / 2)], a[int(NR * 0.95 + 0.999)]}'; }
echo "bench-group16 (16 devices moved per operation), $rounds interleaved rounds after a warm-up,"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); databases on $(df -T "${dbdir:-$work}" | awk 'NR == 2 {print $2}')"
printf '%-14s %-6s | %8s %8s %8s %8s | %8s %8s %8s %8s\n' "" "" "wall" "" "" "" "passd" "CPU" "" ""
printf '%-14s %-6s | %8s %8s %8s %8s | %8s %8s %8s %8s\n' variant op median p95 "vs 1st" "/device" \
	median p95 "vs 1st" "/device"
for op in bind unbind; do
	base= cbase=
	k=1
	while [ $k -le "$n" ]; do
		d="$work/v$k"
		set -- $(awk -v o="$op" '$1 == o {print $2 * 1000}' "$d/times" | q)
		[ -n "$base" ] || base=$1
		w50=$1 w95=$2
		set -- $(awk -v o="$op" '$1 == o {print $2}' "$d/cpu" | q)
		[ -n "$cbase" ] || cbase=$1
		printf '%-14s %-6s | %8.2f %8.2f %+8.2f %+8.3f | %8.2f %8.2f %+8.2f %+8.3f\n' \
			"$(cat "$d/name")" "$op" "$w50" "$w95" "$(echo "$w50 $base" | awk '{print $1 - $2}')" \
			"$(echo "$w50 $base" | awk '{print ($1 - $2) / 16}')" "$1" "$2" \
			"$(echo "$1 $cbase" | awk '{print $1 - $2}')" "$(echo "$1 $cbase" | awk '{print ($1 - $2) / 16}')"
		k=$((k + 1))
	done
done
echo "ms per operation of 16 devices; vs 1st: the median's difference to the first variant, and"
echo "/device that divided by 16. passd CPU: user + system time of every passd thread during the"
echo "request (getrusage through bench/cpu-mark.c)."
