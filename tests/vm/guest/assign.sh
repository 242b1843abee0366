#!/bin/bash
# In the guest (topology mixed, vfio-pci loaded): the whole path of an assignment on the real
# kernel. libvirtd runs here with QEMU under TCG; `passctl assign ADDR l2 --paused` binds the
# group to vfio-pci, adds the hostdevs and starts the L2 domain paused (QEMU has opened the
# VFIO group, mapped the guest's memory and realized the devices: the device is in use, only
# the vCPUs wait), and `passctl release` gives the devices back to their native drivers.
test_description='assign and release through libvirt, with an L2 domain on real vfio-pci'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"

MF=0000:04:00.0   # e1000e at function 0 of the multifunction slot...
COMP=0000:04:00.1 # ...and edu at function 1: one group, so the companion goes along
NIC=0000:01:00.0  # e1000e alone behind a root port

# The L2 domain: no disk, no kernel (it never runs a vCPU), spare root ports for hotplug.
cat >"$TRASH/l2.xml" <<'EOF'
<domain type='qemu'>
  <name>l2</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
    <controller type='pci' index='4' model='pcie-root-port'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF

# qemu_holds ADDR: QEMU of l2 has realized a vfio-pci device for ADDR (its qdev tree: a paused
# guest has run no firmware, so `info pci` lists bus 0 only).
qemu_holds() {
	virsh -q qemu-monitor-command --hmp l2 'info qtree' >qtree 2>&1 &&
	grep -q "host = \"$1\"" qtree
}

# live_hostdevs [--inactive]: the PCI hostdev addresses of l2's live (or persistent) XML. A
# hostdev's source address is the only <address> without a type.
live_hostdevs() {
	virsh -q dumpxml "$@" l2 >l2.now.xml &&
	sed -n "s/.*<address domain='0x0000' bus='0x\(..\)' slot='0x\(..\)' function='0x\(.\)'.*/0000:\1:\2.\3/p" l2.now.xml
}

test_expect_success 'setup: libvirtd with QEMU, domain l2 defined, passd connected to it' '
	test "$(vm_driver $MF)" = e1000e &&
	test "$(vm_driver $COMP)" = - &&
	test "$(vm_driver $NIC)" = e1000e &&
	test "$(vm_group $MF)" = "$(vm_group $COMP)" &&
	_t=$EPOCHREALTIME &&
	vm_libvirtd_start &&
	echo "libvirtd answered after $(( (${EPOCHREALTIME/./} - ${_t/./}) / 1000 )) ms" >"$TRASH/libvirtd.time" &&
	virsh -q define l2.xml >/dev/null &&
	passd_start --libvirt-uri qemu:///system --op-timeout 60 &&
	_i=0 &&
	until curl -sSf -o health.json "$PASSD_URL/v1/health" &&
		jq -e ".libvirt.connected" health.json >/dev/null; do
		_i=$((_i + 1)) && test $_i -lt 100 && sleep 0.1 || return 1
	done
'

test_expect_success 'passctl assign --paused: the group on vfio-pci, l2 paused with both functions' '
	passctl --json assign $MF l2 --paused >assign.json &&
	passctl domains >domains.out &&
	cat domains.out &&
	jq -e ".state == \"active\" and .started == true and .paused == true and
		.companions == [\"$COMP\"] and (.bind | length) == 2" assign.json &&
	test "$(vm_driver $MF)" = vfio-pci &&
	test "$(vm_driver $COMP)" = vfio-pci &&
	test -c /dev/vfio/$(vm_group $MF) &&
	test "$(virsh -q domstate l2)" = paused &&
	test "$(live_hostdevs | sort | tr "\n" " ")" = "$MF $COMP " &&
	test "$(live_hostdevs --inactive | sort | tr "\n" " ")" = "$MF $COMP " &&
	api_expect 200 /v1/devices/$COMP &&
	jq -e ".state == \"assigned\" and .assignment.domain == \"l2\"" body
'

test_expect_success 'QEMU holds both: realized vfio-pci devices, the VFIO group open' '
	qemu_holds $MF &&
	qemu_holds $COMP &&
	_pid=$(cat /run/libvirt/qemu/l2.pid) &&
	_fds=$(ls -l /proc/$_pid/fd) &&
	case "$_fds" in *"/dev/vfio/$(vm_group $MF)"*) ;; *) echo "$_fds" >&2; false ;; esac
'

test_expect_success 'a group busy in QEMU is refused to everyone else (409)' '
	test "$(api /v1/devices/$COMP/unbind -X POST)" = 409 &&
	test_exit_code 1 passctl assign $COMP l2 2>err &&
	test "$(vm_driver $MF)" = vfio-pci
'

test_expect_success 'passctl assign into the running domain: the NIC is hot-added' '
	passctl --json assign $NIC l2 >hotplug.json &&
	jq -e ".state == \"active\" and .started == false" hotplug.json &&
	test "$(vm_driver $NIC)" = vfio-pci &&
	qemu_holds $NIC
'

test_expect_success 'a release the paused guest cannot complete is a 409 that unbinds nothing' '
	test_exit_code 1 passctl release $NIC 2>err &&
	cat err &&
	grep -q "has not let go of $NIC" err &&
	test "$(vm_driver $NIC)" = vfio-pci &&
	qemu_holds $NIC &&
	api_expect 200 /v1/devices/$NIC &&
	jq -e ".state == \"assigned\"" body
'

test_expect_success 'with l2 stopped, passctl release gives every device back to its native driver' '
	test "$(api /v1/domains/l2/stop -X POST)" = 200 &&
	test "$(virsh -q domstate l2)" = "shut off" &&
	passctl --json release $NIC >release-nic.json &&
	test "$(vm_driver $NIC)" = e1000e &&
	passctl --json release $MF >release.json &&
	jq -e ".state == \"released\" and .returned_to_host == true" release.json &&
	test "$(vm_driver $MF)" = e1000e &&
	test "$(vm_driver $COMP)" = - &&
	test ! -e /dev/vfio/$(vm_group $MF) &&
	test -z "$(live_hostdevs --inactive)" &&
	test -d /sys/class/net/$(ls /sys/bus/pci/devices/$MF/net)
'

# The L2 guest that runs: a bare PVH kernel (tests/vm/l2-edu.S) that finds edu on its PCI bus,
# reads its identity and liveness registers through the passed-through BAR0, prints them on the
# serial port and powers off through ACPI's PM1a control port (on_poweroff: destroy).
EDU=0000:02:00.0
cat >"$TRASH/l2run.xml" <<EOF
<domain type='qemu'>
  <name>l2run</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$top_builddir/tests/vm/l2-edu.elf</kernel>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='file'><source path='$TRASH/l2run.console'/><target port='0'/></serial>
  </devices>
</domain>
EOF

test_expect_success 'passctl assign --start: the L2 guest reads edu through the passed-through BAR' '
	test -r "$top_builddir/tests/vm/l2-edu.elf" &&
	virsh -q define l2run.xml >/dev/null &&
	passctl --json assign $EDU l2run --start >run.json &&
	jq -e ".state == \"active\" and .started == true and (.paused | not)" run.json &&
	test "$(vm_driver $EDU)" = vfio-pci &&
	_t=$SECONDS &&
	while test "$(virsh -q domstate l2run)" = running; do
		test $((SECONDS - _t)) -lt 120 || {
			echo "L2 still running after 120 s; its console:" >&2
			cat l2run.console >&2
			return 1
		}
		sleep 0.2
	done &&
	cat l2run.console &&
	grep -q "^L2: edu ident=0x010000ED liveness=0xEDCBA987" l2run.console
'

test_expect_success 'the L2 domain powered off; passctl release gives edu back (no driver)' '
	test "$(virsh -q domstate l2run)" = "shut off" &&
	api_expect 200 /v1/domains &&
	jq -e ".domains[] | select(.name == \"l2run\") | .state == \"shutoff\"" body &&
	passctl release $EDU &&
	test "$(vm_driver $EDU)" = - &&
	test ! -e /dev/vfio/$(vm_group $EDU)
'

test_expect_success 'the history has the whole story; the timing of one assignment' '
	api_expect 200 "/v1/history?limit=10" &&
	jq -e "[.history[] | select(.target == \"$MF\") | .action + \":\" + .result] ==
		[\"release:done\", \"assign:done\"]" body &&
	jq -e "[.history[] | select(.target == \"$NIC\") | .action + \":\" + .result] ==
		[\"release:done\", \"release:failed\", \"assign:done\"]" body &&
	jq -e ".timing.total_ms > 0 and .timing.start_ms > 0" assign.json
'
# The breakdown on the real kernel, for the log (bench/vm-assign.sh takes medians).
[ -f "$TRASH/libvirtd.time" ] && echo "# $(cat "$TRASH/libvirtd.time")"
for _f in assign hotplug release run; do
	[ -f "$TRASH/$_f.json" ] && printf '# %s timing: %s\n' "$_f" "$(jq -c .timing "$TRASH/$_f.json")"
done

test_expect_success 'passd stops cleanly' '
	passd_stop &&
	vm_libvirtd_stop
'

test_done
