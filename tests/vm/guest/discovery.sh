#!/bin/bash
# In the guest: what passd reports is what the real kernel's /sys says.
#   discovery.sh [mixed|sriov|noiommu]
# mixed: the mixed topology (t9100 adds a root complex on NUMA node 1); sriov: VFs created by
# writing sriov_numvfs before passd starts, then removed while it runs; noiommu: booted without
# the IOMMU, so no groups at all and every device still listed.
test_description='discovery on a real kernel equals /sys'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/vm/guest/move-lib.sh"
mode=${1:-mixed}

# kernel_groups: the `passctl groups` table the kernel's /sys calls for, one normalised line
# per group "ID VIABLE N ADDR (DRIVER), ...", then "blocker GROUP ADDR (DRIVER)" lines. A group
# is viable when no member is on a driver that uses the DMA API (Linux >= 5.19): none,
# vfio-pci and its variants, pci-stub and pcieport are allowed. Groups in numeric order.
kernel_groups() {
	local -a members=()
	local gd dd g a line viable n blk
	for gd in /sys/kernel/iommu_groups/*; do
		g=${gd##*/}
		for dd in "$gd"/devices/*; do
			[ -e "$dd" ] && members[g]+=" ${dd##*/}"
		done
	done
	blk=
	for g in "${!members[@]}"; do
		line= viable=yes n=0
		for a in ${members[g]}; do
			vm_drv "$a"
			n=$((n + 1))
			case $DRV in
			- | vfio-pci | *_vfio_pci | pci-stub | pcieport) ;;
			*) viable=no blk="${blk}blocker $g $a ($DRV)"$'\n' ;;
			esac
			[ "$DRV" = - ] && DRV="no driver"
			line="$line${line:+, }$a ($DRV)"
		done
		echo "$g $viable $n $line"
	done
	printf '%s' "$blk"
}

# passctl_groups: `passctl groups` normalised the same way (columns split on blanks).
passctl_groups() {
	local id viable n rest g
	passctl groups >groups.txt || return 1
	{
		read -r _header
		while read -r id viable n rest; do
			[ -z "$id" ] && break
			echo "$id $viable $n $rest"
		done
		while read -r line; do
			case $line in
			"group "*" is not viable:") g=${line#group }; g=${g%% *} ;;
			*" ("*"): "*) echo "blocker $g ${line%%): *})" ;;
			esac
		done
	} <groups.txt
}

if [ "$mode" = sriov ]; then
	pf=$(vm_find 1b36:0010) || pf=
	test_expect_success 'sriov: 4 VFs made by writing sriov_numvfs, before passd starts' '
		test -n "$pf" && test "$(vm_read $DEVS/$pf/sriov_totalvfs)" = 4 &&
		echo 0 >$DEVS/$pf/sriov_drivers_autoprobe &&
		echo 4 >$DEVS/$pf/sriov_numvfs &&
		test -L $DEVS/$pf/virtfn3
	'
fi

test_expect_success 'passd starts on the real /sys' '
	passd_start --rescan-interval 0
'

test_expect_success 'every device and group equals the kernel (truth.sh on /sys)' '
	bash "$FIXTURES/truth.sh" /sys >kernel.truth &&
	api_truth api.truth &&
	test_cmp kernel.truth api.truth
'

test_expect_success 'passctl groups is /sys/kernel/iommu_groups: members, drivers, viability, blockers' '
	kernel_groups >groups.kernel &&
	passctl_groups >groups.passctl &&
	test_cmp groups.kernel groups.passctl &&
	if [ $mode != noiommu ]; then
		set -- /sys/kernel/iommu_groups/* &&
		test "$(grep -c "^[0-9]* yes [0-9]" groups.kernel)" -gt 0 &&
		test "$(grep -c "^[0-9]* no [0-9]" groups.kernel)" -gt 0 &&
		test "$(grep -c "^[0-9]" groups.kernel)" -eq $# &&
		grep -q "^blocker " groups.kernel
	fi
'

test_expect_success 'passctl --json groups has exactly the kernel groups and members' '
	passctl --json groups >groups.json &&
	jq -r ".groups | sort_by(.id)[] | \"group \(.id): \(.devices | join(\" \"))\"" groups.json >groups.api &&
	grep "^group " kernel.truth >groups.truth || : &&
	test_cmp groups.truth groups.api
'

case $mode in
mixed)
	test_expect_success 'mixed: devices behind the second root complex are on NUMA node 1' '
		n=0 && for d in $DEVS/*; do
			[ "$(vm_read $d/numa_node)" = 1 ] && n=$((n + 1))
		done &&
		test $n -ge 2 &&
		test "$(grep -c " numa=1 " api.truth)" -eq $n
	'
	;;
sriov)
	test_expect_success 'sriov: the PF lists its 4 VFs, each VF names the PF and has its own group' '
		vfs= && for i in 0 1 2 3; do
			cd -P $DEVS/$pf/virtfn$i && vfs="$vfs${vfs:+ }${PWD##*/}" && cd "$TRASH" || exit 1
		done &&
		get_expect 200 /v1/devices/$pf &&
		jq -e --arg v "$vfs" ".sriov.num_vfs == 4 and .sriov.total_vfs == 4 and
			(.sriov.vfs | join(\" \")) == \$v" body &&
		http GET /v1/devices && mv body devices.json &&
		jq -e --arg v "$vfs" --arg pf $pf "[.devices[] | select(.physfn == \$pf)] |
			length == 4 and ([.[].address] | join(\" \")) == \$v and
			([.[].iommu_group] | unique | length) == 4" devices.json
	'
	test_expect_success 'sriov: VFs removed by writing 0 leave the API (kernel uevents, no rescan asked)' '
		echo 0 >$DEVS/$pf/sriov_numvfs &&
		api_wait 20 /v1/devices "[.devices[] | select(.physfn != null)] | length == 0" &&
		bash "$FIXTURES/truth.sh" /sys >kernel.truth &&
		api_truth api.truth &&
		test_cmp kernel.truth api.truth
	'
	;;
noiommu)
	test_expect_success 'noiommu: no groups anywhere, every device still listed' '
		test -z "$(ls /sys/kernel/iommu_groups)" &&
		jq -e ".groups == [] and .iommu_enabled == false" groups.json &&
		test "$(grep -c " group=- " kernel.truth)" -eq "$(grep -c "^0000:" kernel.truth)" &&
		test "$(grep -c "^0000:" api.truth)" -ge 20 &&
		test ! -s groups.passctl
	'
	;;
esac

test_expect_success 'passd stops cleanly (no sanitizer finding)' '
	passd_stop
'

test_done
