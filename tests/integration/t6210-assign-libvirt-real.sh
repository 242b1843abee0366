#!/bin/sh
test_description='assignments with a real libvirtd and QEMU (TCG): config attach and detach, and a start that fails here rolled back'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/lib/libvirt-lib.sh"

# Unique per run: libvirt names cgroups after the domain, and two runs may share the host.
DOM=asg$$

post() {
	_p=$1
	shift
	api "$_p" -X POST -H "Content-Type: application/json" "$@"
}

# config_hostdevs: the PCI hostdev addresses of the domain's persistent definition, per virsh.
config_hostdevs() {
	vsh dumpxml --inactive "$DOM" >dom-now.xml &&
	sed -n "s/.*<address domain=.0x\([0-9a-f]*\). bus=.0x\([0-9a-f]*\). slot=.0x\([0-9a-f]*\). function=.0x\([0-9a-f]*\).*/\1:\2:\3.\4/p" dom-now.xml |
		grep -v "^0000:00:" | sort
}

sim_live_require

test_expect_success 'setup: a private libvirtd, a tiny TCG domain, the desktop profile live' '
	lv_setup &&
	lv_start &&
	cat >dom.xml <<-EOF &&
	<domain type="qemu">
	  <name>$DOM</name>
	  <memory unit="MiB">64</memory>
	  <os><type arch="x86_64" machine="pc">hvm</type></os>
	  <devices><memballoon model="none"/></devices>
	</domain>
	EOF
	vsh define dom.xml >/dev/null &&
	sim_live_start desktop &&
	passd_start --libvirt-uri "$LV_URI" &&
	wait_libvirt true 5
'

test_expect_success 'assign (no start): both GPU functions become managed=no hostdevs of the definition' '
	passctl assign 0000:01:00.0 "$DOM" >out &&
	cat out &&
	config_hostdevs >hd &&
	printf "0000:01:00.0\n0000:01:00.1\n" >want &&
	test_cmp want hd &&
	grep -c "managed=.no." dom-now.xml >n &&
	test "$(cat n)" = 2 &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci
'

test_expect_success 'release: the hostdevs leave the definition, the drivers come back' '
	passctl release 0000:01:00.0 >out &&
	cat out &&
	test -z "$(config_hostdevs)" &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel
'

test_expect_success 'assign --start: libvirt refuses the start here; passd says why and undoes it all' '
	test_exit_code 1 passctl assign 0000:01:00.0 "$DOM" --start 2>err &&
	cat err &&
	grep -q "$DOM" err &&
	test -z "$(config_hostdevs)" &&
	test "$(vsh domstate "$DOM")" = "shut off" &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	test "$(db "SELECT count(*) FROM assignment WHERE state <> '\''released'\''")" = 0 &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .action == \"assign\" and .result == \"rolled_back\" and (.error | length > 0)" body
'

test_expect_success 'the same failure over the API: the error and the rollback in the answer' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"$DOM\",\"start\":true}")" = 409 &&
	api_error_is conflict &&
	jq -e "(.rollback | test(\"detached\") and test(\"host drivers\")) and (.bind | length == 2)" body &&
	echo "libvirt said: $(jq -r .error.message body)" >>"$TRASH/figures" &&
	echo "timing of the failed assignment: $(jq -c .timing body)" >>"$TRASH/figures"
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

[ -f "$TRASH/figures" ] && sed "s/^/# /" "$TRASH/figures"
test_done
