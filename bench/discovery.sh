#!/bin/sh
# discovery.sh [RUNS] - the discovery benchmark of issue 3, on the `large` host (4096 functions).
#
# Prints, in one run on the same tree: the bare openat floor (1 and 2 threads), passd's full
# scan (sysfs to SQLite, groups built) median and p95, passd's RSS after its startup scan, and
# GET /v1/devices timings (full body and 304). Builds an optimised tree in build-bench/
# (BENCH_BUILD=DIR: another one).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
build=${BENCH_BUILD:-$here/build-bench} # BENCH_BUILD: another optimised tree
# tmpfs when there is one: the issue's floor is measured on tmpfs, and disk here is slow to fill.
work=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/passd-bench.XXXXXX")
# An admin token (docs/security.md) that every curl sends, through $CURL_HOME/.curlrc.
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
echo "bench admin $(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/.curlrc"
CURL_HOME=$work
export CURL_HOME
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
pid=

cd "$here"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$here/configure" -q CFLAGS="-O2 -g"
make -j2 >/dev/null
make tests/sim/passd-simgen bench/floor bench/scan-bench >/dev/null

"$build/tests/sim/passd-simgen" "$here/tests/sim/profiles/large.profile" "$work/host"
n=$(ls "$work/host/sys/bus/pci/devices" | wc -l)
echo "host: large profile, $n PCI functions, $(ls "$work/host/sys/kernel/iommu_groups" | wc -l) IOMMU groups; $(nproc) cores; tree on $(df -T "$work" | awk 'NR==2{print $2}')"
echo

"$build/bench/floor" "$work/host/sys" "$runs"
"$build/bench/floor" --threads 2 "$work/host/sys" "$runs"
"$build/bench/scan-bench" "$work/host/sys" "$runs" 1
"$build/bench/scan-bench" "$work/host/sys" "$runs" 2
echo

"$build/daemon/passd" --config /dev/null --sysfs-root "$work/host/sys" --proc-root "$work/host/proc" \
	--db "$work/passd.db" \
	--listen tcp:127.0.0.1:0 --libvirt-uri none --web-dir "$here/web" \
	--rescan-interval 0 --token-file "$work/tokens" --rate-limit 0 >"$work/passd.log" 2>&1 &
pid=$!
i=0
until grep -q ' ready: ' "$work/passd.log"; do
	i=$((i + 1)); [ $i -lt 400 ] || { cat "$work/passd.log"; exit 1; }
	sleep 0.05
done
url="http://127.0.0.1:$(sed -n 's/.*Listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/passd.log")"
echo "passd RSS after the startup scan: $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$pid/status) (VmHWM $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$pid/status))"

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms  p95 %.2f ms  (n=%d)\n", a[int((NR+1)/2)]*1000, a[int(NR*0.95+0.999)]*1000, NR}'; }
first=$(curl -s -o /dev/null -w '%{time_total}' "$url/v1/devices")
echo "GET /v1/devices, first after the scan (renders $n devices): $(echo "$first" | awk '{printf "%.2f ms", $1*1000}')"
bytes=$(curl -s "$url/v1/devices" | wc -c)
etag=$(curl -s -D - -o /dev/null "$url/v1/devices" | sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p')
for i in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' "$url/v1/devices"; done | stats | sed "s/^/GET \/v1\/devices 200 ($bytes bytes): /"
for i in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' -H "If-None-Match: $etag" "$url/v1/devices"; done | stats | sed 's/^/GET \/v1\/devices 304: /'
echo "(curl's time_total includes curl's own connect; each is a fresh TCP connection)"
