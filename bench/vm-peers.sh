#!/bin/bash
# vm-peers.sh [REPS] - passd beside its peers on the same real kernel: one QEMU guest of the VM
# tier (topology mixed, emulated VT-d, udev coldplug) times
#   discovery: passd from exec to ready plus a GET /v1/devices (a fresh database each time),
#              a GET /v1/devices on a running passd, `virsh nodedev-list --cap pci` plus
#              `nodedev-dumpxml` of every device (one virsh, one connection, libvirtd already
#              up), and `lspci -Dvmmnnk`;
#   binding:   passd's bind and unbind of the multifunction group (2 functions) and of the group
#              behind the PCIe-to-PCI bridge (2 endpoints; the bridge stays), beside `virsh
#              nodedev-detach` / `nodedev-reattach` of the same devices (one virsh each time).
# Every figure is one client command as a user types it, exec included (~50 ms under TCG), the
# median of REPS runs (default 5), by bash's $EPOCHREALTIME. passd is measured before libvirtd
# starts, so neither daemon sees the other's uevents. A benchmark, not a test: TCG is ~10x
# slower than the host and the machine is shared; the ratios are what carries over.
#
# Host side: builds an optimised tree (BENCH_BUILD, default build-bench/, shared with bind.sh)
# and boots the guest (~2.5 min on a quiet machine, 6 min on a loaded one). In the guest
# (--guest BUILD): the measurements.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --guest ]; then
	reps=${1:-5}
	set -e
	. "$here/bench/lib.sh"
	bench_build daemon/passd
	command -v virsh >/dev/null && command -v libvirtd >/dev/null && command -v lspci >/dev/null ||
		{ echo "vm-peers: needs libvirt-daemon-system and pciutils (scripts/install-deps)" >&2; exit 2; }
	exec "$here/tests/vm/vmrun.sh" -t mixed -c udev -T 900 -q -C "$here" \
		-e "BENCH_REPS=$reps" -- /bin/bash "$here/bench/vm-peers.sh" --guest "$build"
fi

# ---- in the guest ------------------------------------------------------------------------
build=$2
reps=${BENCH_REPS:-5}
read -r cmdline </proc/cmdline
case " $cmdline " in *" passdvm=1 "*) ;; *) echo "vm-peers --guest: not in a passd VM guest" >&2; exit 2 ;; esac
export LC_ALL=C
work=/run/vm-peers
mkdir -p "$work"
url=http://127.0.0.1:7391
D=/sys/bus/pci/devices
pid=

# The groups of the mixed topology (tests/vm/topologies/mixed.args): function 0 of the
# multifunction device and the e1000 behind the bridge, found by id, not by address.
find_dev() { # VENDOR:DEVICE N
	local n=$2 d v i
	for d in $D/*; do
		read -r v <"$d/vendor"
		read -r i <"$d/device"
		[ "${v#0x}:${i#0x}" = "$1" ] && { n=$((n - 1)); [ $n -eq 0 ] && { echo "${d##*/}"; return; }; }
	done
}
MF=$(find_dev 8086:10d3 2)
BR=$(find_dev 8086:100e 1)
members() { # ADDR: the endpoints of its group (bridges stay where they are)
	local m c
	for m in "$D/$1"/iommu_group/devices/*; do
		read -r c <"$m/class"
		case $c in 0x0604*) ;; *) printf '%s ' "${m##*/}" ;; esac
	done
}
MF_DEVS=$(members "$MF")
BR_DEVS=$(members "$BR")
nd() { local a=${1//[:.]/_}; echo "pci_$a"; }
drivers() { # ADDR...: "drv drv"
	local a l out=
	for a in "$@"; do
		l=$(readlink "$D/$a/driver" 2>/dev/null) || l=-
		out="$out${out:+ }${l##*/}"
	done
	echo "$out"
}

# median of the arguments (seconds, as printed by lap), in ms with one decimal
median() {
	local a=("$@") i j t n=$#
	for ((i = 1; i < n; i++)); do
		t=${a[i]}
		for ((j = i - 1; j >= 0; j--)); do
			((10#${a[j]/./} > 10#${t/./})) || break
			a[j + 1]=${a[j]}
		done
		a[j + 1]=$t
	done
	t=$((10#${a[n / 2]/./}))
	((n % 2 == 0)) && t=$(((10#${a[n / 2 - 1]/./} + t) / 2))
	t=$((t / 100))
	echo "$((t / 10)).$((t % 10))"
}
# lap T0: seconds since T0 (both $EPOCHREALTIME), 6 decimals
lap() {
	local now=$EPOCHREALTIME
	local us=$((10#${now/./} - 10#${1/./}))
	printf '%d.%06d' $((us / 1000000)) $((us % 1000000))
}

passd_up() {
	rm -f "$work/passd.db" "$work/fifo"
	mkfifo "$work/fifo"
	: >"$work/empty.conf"
	[ -f "$work/tokens" ] || { # docs/security.md: "NAME ROLE SHA256"; every curl sends it
		token=bench-$RANDOM$RANDOM$RANDOM$RANDOM
		echo "bench admin $(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
		printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/.curlrc"
		export CURL_HOME=$work
	}
	T0=$EPOCHREALTIME
	"$build/daemon/passd" --config "$work/empty.conf" --sysfs-root /sys --proc-root /proc \
		--dev-root /dev --db "$work/passd.db" --listen tcp:127.0.0.1:7391 --libvirt-uri none \
		--token-file "$work/tokens" --load-modules no --log-level info >"$work/fifo" 2>&1 &
	pid=$!
	exec 3<"$work/fifo"
	local line out=
	while :; do
		read -r line <&3 || { echo "passd did not start:$out" >&2; exit 1; }
		case $line in *" ready: "*) break ;; esac
		out="$out
  $line"
	done
	READY=$(lap "$T0")
	cat <&3 >"$work/passd.log" &
	exec 3<&-
}
passd_down() {
	[ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
	pid=
}

post() { # PATH: curl's exit status; fails on an HTTP error too
	curl -sSf -o "$work/body" -X POST "$url$1"
}

declare -A T
add() { T[$1]="${T[$1]:-} $2"; }

modprobe vfio-pci # what a host has before either daemon binds (libvirt checks /dev/vfio/vfio)
echo "# guest: $(uname -r), $(nproc) vCPU, $reps runs each; multifunction group: $MF_DEVS; bridge group: $BR_DEVS"

# ---- lspci -------------------------------------------------------------------------------
for ((r = 0; r < reps; r++)); do
	t=$EPOCHREALTIME
	lspci -Dvmmnnk >"$work/lspci.out"
	add lspci "$(lap "$t")"
done
n_lspci=$(grep -c '^Slot:' "$work/lspci.out")

# ---- passd ---------------------------------------------------------------------------------
for ((r = 0; r < reps; r++)); do
	passd_up
	t=$EPOCHREALTIME
	curl -sSf -o "$work/devices.json" "$url/v1/devices"
	get=$(lap "$t")
	add passd_ready "$READY"
	add passd_cold "$(lap "$T0")"
	add passd_get "$get"
	[ $r -lt $((reps - 1)) ] && passd_down
done
n_passd=$(grep -o '"address"' "$work/devices.json" | wc -l)
# What a client costs by itself (exec, connect, a trivial answer): the floor under each figure.
for ((r = 0; r < reps; r++)); do
	t=$EPOCHREALTIME
	curl -sSf -o "$work/health.json" "$url/v1/health"
	add passd_floor "$(lap "$t")"
done
scan_us=$(jq .inventory.scan_duration_usec "$work/health.json")
for ((r = 0; r < reps; r++)); do
	for g in MF BR; do
		eval "a=\$$g devs=\$${g}_DEVS"
		before=$(drivers $devs)
		t=$EPOCHREALTIME
		post "/v1/devices/$a/bind" || { echo "passd bind of $a failed: $(cat "$work/body")"; exit 1; }
		add "passd_bind_$g" "$(lap "$t")"
		[ "$(drivers $devs)" = "vfio-pci vfio-pci" ] || { echo "after passd bind: $(drivers $devs)"; exit 1; }
		t=$EPOCHREALTIME
		post "/v1/devices/$a/unbind" || { echo "passd unbind of $a failed: $(cat "$work/body")"; exit 1; }
		add "passd_unbind_$g" "$(lap "$t")"
		[ "$(drivers $devs)" = "$before" ] || { echo "after passd unbind: $(drivers $devs), was $before"; exit 1; }
	done
done
passd_down

# ---- libvirt -------------------------------------------------------------------------------
# The guest's root is a tmpfs overlay: these edits never reach the host. No systemd here:
# stdio_handler=file instead of virtlogd; root, no security driver, namespaces or cgroups.
cat >>/etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu /run/libvirt
export LIBVIRT_DEFAULT_URI=qemu:///system
t=$EPOCHREALTIME
libvirtd --daemon
until virsh version >/dev/null 2>&1; do sleep 0.2; done
libvirtd_up=$(lap "$t")
cmds="nodedev-list --cap pci"
for d in $D/*; do cmds="$cmds; nodedev-dumpxml $(nd "${d##*/}")"; done
for ((r = 0; r < reps; r++)); do
	t=$EPOCHREALTIME
	virsh -q version >/dev/null
	add virsh_floor "$(lap "$t")"
	t=$EPOCHREALTIME
	virsh -q "$cmds" >"$work/virsh.out" || { echo "virsh failed"; exit 1; }
	add virsh "$(lap "$t")"
done
n_virsh=$(grep -c '^<device>' "$work/virsh.out")
for ((r = 0; r < reps; r++)); do
	for g in MF BR; do
		eval "devs=\$${g}_DEVS"
		before=$(drivers $devs)
		det= att=
		for a in $devs; do
			det="$det${det:+; }nodedev-detach $(nd "$a")"
			att="$att${att:+; }nodedev-reattach $(nd "$a")"
		done
		t=$EPOCHREALTIME
		virsh -q "$det" >/dev/null || { echo "virsh $det failed"; exit 1; }
		add "virsh_detach_$g" "$(lap "$t")"
		[ "$(drivers $devs)" = "vfio-pci vfio-pci" ] || { echo "after nodedev-detach: $(drivers $devs)"; exit 1; }
		t=$EPOCHREALTIME
		virsh -q "$att" >/dev/null || { echo "virsh $att failed"; exit 1; }
		add "virsh_reattach_$g" "$(lap "$t")"
		[ "$(drivers $devs)" = "$before" ] || { echo "after nodedev-reattach: $(drivers $devs), was $before"; exit 1; }
	done
done

# ---- the table ---------------------------------------------------------------------------
m() { median ${T[$1]}; }
mn() { median $(printf '%s\n' ${T[$1]} | sort -n | head -n 1); } # the fastest run
ratio() { # A B: A/B with two decimals
	local a=${1/./} b=${2/./}
	local x=$((10#$a * 100 / 10#$b))
	printf '%d.%02d' $((x / 100)) $((x % 100))
}
row() { # what passd_key peer_name peer_key
	local p q p1 q1
	p=$(m "$2") q=$(m "$4") p1=$(mn "$2") q1=$(mn "$4")
	printf '| %s | %s (%s) | %s | %s (%s) | %s (%s) |\n' "$1" "$p" "$p1" "$3" "$q" "$q1" \
		"$(ratio "$q" "$p")" "$(ratio "$q1" "$p1")"
}
echo
echo "median (fastest) of $reps runs"
echo
echo "| operation | passd ms | peer | peer ms | peer / passd |"
echo "| --- | --- | --- | --- | --- |"
row "client floor: curl GET /v1/health" passd_floor "virsh version" virsh_floor
row "discovery, cold: start to ready + GET /v1/devices ($n_passd functions)" passd_cold "virsh nodedev-list + dumpxml ×$n_virsh" virsh
row "discovery, warm: GET /v1/devices" passd_get "virsh nodedev-list + dumpxml ×$n_virsh" virsh
row "discovery, cold" passd_cold "lspci -Dvmmnnk ($n_lspci functions)" lspci
row "discovery, warm" passd_get "lspci -Dvmmnnk" lspci
row "bind, multifunction group ($MF_DEVS)" passd_bind_MF "virsh nodedev-detach ×2" virsh_detach_MF
row "unbind, multifunction group" passd_unbind_MF "virsh nodedev-reattach ×2" virsh_reattach_MF
row "bind, bridge group ($BR_DEVS)" passd_bind_BR "virsh nodedev-detach ×2" virsh_detach_BR
row "unbind, bridge group" passd_unbind_BR "virsh nodedev-reattach ×2" virsh_reattach_BR
echo
echo "passd start to ready alone: $(m passd_ready) ms, of which its scan $((scan_us / 1000)) ms (scan_duration_usec);" \
	"libvirtd start to its first answer: $libvirtd_up s (once)"
