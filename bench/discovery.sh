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
. "$here/bench/lib.sh"
bench_work bench
bench_build all tests/sim/passd-simgen bench/floor bench/scan-bench

"$build/tests/sim/passd-simgen" "$here/tests/sim/profiles/large.profile" "$work/host"
n=$(ls "$work/host/sys/bus/pci/devices" | wc -l)
echo "host: large profile, $n PCI functions, $(ls "$work/host/sys/kernel/iommu_groups" | wc -l) IOMMU groups; $(nproc) cores; tree on $(df -T "$work" | awk 'NR==2{print $2}')"
echo

"$build/bench/floor" "$work/host/sys" "$runs"
"$build/bench/floor" --threads 2 "$work/host/sys" "$runs"
"$build/bench/scan-bench" "$work/host/sys" "$runs" 1
"$build/bench/scan-bench" "$work/host/sys" "$runs" 2
echo

bench_passd "$work/host" none
echo "passd RSS after the startup scan: $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$pid/status) (VmHWM $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$pid/status))"

stats() { awk '{print $1 * 1000}' | bench_q 1 | awk '{printf "median %s ms  p95 %s ms  (n=%d)\n", $1, $2, $3}'; }
first=$(curl -s -o /dev/null -w '%{time_total}' "$url/v1/devices")
echo "GET /v1/devices, first after the scan (renders $n devices): $(echo "$first" | awk '{printf "%.2f ms", $1*1000}')"
bytes=$(curl -s "$url/v1/devices" | wc -c)
etag=$(curl -s -D - -o /dev/null "$url/v1/devices" | sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p')
for i in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' "$url/v1/devices"; done | stats | sed "s/^/GET \/v1\/devices 200 ($bytes bytes): /"
for i in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' -H "If-None-Match: $etag" "$url/v1/devices"; done | stats | sed 's/^/GET \/v1\/devices 304: /'
echo "(curl's time_total includes curl's own connect; each is a fresh TCP connection)"
