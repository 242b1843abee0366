# preflight-lib.sh - the host preflight (GET /v1/host) against the real kernel, sourced by
# guest/noiommu.sh and guest/preflight.sh after guest-lib.sh.
#
# preflight_expect computes each check's status from the guest's own /proc, /sys and /dev,
# independently of passd (docs/preflight.md says what each status means); preflight_tests then
# compares passd's answer with it, check by check, and looks at the hints. Builtins only, but
# for one grep of modules.dep.

# _has WORD LIST...: WORD is one of LIST.
_has() {
	_w=$1
	shift
	for _x in "$@"; do [ "$_x" = "$_w" ] && return 0; done
	return 1
}

# preflight_expect: EXPECT="cpu_virt=ok firmware_dmar=... ..." in passd's order; also sets
# PF_GROUPS (the number of IOMMU groups), PF_UNITS (the IOMMU units), PF_VENDOR, PF_CPUFLAG.
preflight_expect() {
	local flags= vendor= l cmdline st ecap u missing= unknown= unsafe=N m rel present loadable absent

	while IFS= read -r l; do
		case $l in
		vendor_id*) [ -z "$vendor" ] && vendor=${l##*: } ;;
		flags*) [ -z "$flags" ] && flags=" ${l##*: } " ;;
		esac
	done </proc/cpuinfo
	PF_VENDOR=$vendor
	read -r cmdline </proc/cmdline
	set -- $cmdline

	# cpu_virt
	case $flags in
	*" vmx "*) PF_CPUFLAG=vmx st=ok ;;
	*" svm "*) PF_CPUFLAG=svm st=ok ;;
	*" hypervisor "*) PF_CPUFLAG=- st=warn ;;
	*) PF_CPUFLAG=- st=fail ;;
	esac
	EXPECT="cpu_virt=$st"

	# the units and the groups
	PF_UNITS=
	for u in /sys/class/iommu/*; do
		[ -e "$u" ] && PF_UNITS="$PF_UNITS${PF_UNITS:+ }${u##*/}"
	done
	PF_GROUPS=0
	for u in /sys/kernel/iommu_groups/*; do
		[ -e "$u" ] && PF_GROUPS=$((PF_GROUPS + 1))
	done

	# firmware_dmar
	if [ -e /sys/firmware/acpi/tables/DMAR ] || [ -e /sys/firmware/acpi/tables/IVRS ]; then
		st=ok
	elif [ -n "$PF_UNITS" ]; then
		st=warn
	else
		st=fail
	fi
	EXPECT="$EXPECT firmware_dmar=$st"

	# iommu_active
	[ "$PF_GROUPS" -gt 0 ] && st=ok || st=fail
	EXPECT="$EXPECT iommu_active=$st"

	# kernel_cmdline: off wins; on Intel, intel_iommu=on or an IOMMU the kernel turned on itself
	if _has intel_iommu=off "$@" || _has amd_iommu=off "$@" || _has iommu=off "$@"; then
		st=fail
	elif [ "$vendor" = GenuineIntel ] && ! _has intel_iommu=on "$@" && [ "$PF_GROUPS" -eq 0 ]; then
		st=fail
	else
		st=ok
	fi
	EXPECT="$EXPECT kernel_cmdline=$st"

	# interrupt_remapping: bit 3 (IR) of each DMAR unit's ecap
	read -r unsafe </sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts 2>/dev/null
	if [ -z "$PF_UNITS" ]; then
		[ "$PF_GROUPS" -gt 0 ] && st=warn || st=fail
	else
		for u in $PF_UNITS; do
			ecap=
			case $u in dmar*) ;; *) continue ;; esac
			read -r ecap <"/sys/class/iommu/$u/intel-iommu/ecap" 2>/dev/null || { unknown=1; continue; }
			(((16#$ecap >> 3) & 1)) || missing="$missing $u"
		done
		{ _has intremap=off "$@" || _has nointremap "$@"; } && missing=all
		if [ -z "$missing" ] && [ -z "$unknown" ]; then
			st=ok
		elif [ -z "$missing" ]; then
			st=warn
		elif [ "$unsafe" = Y ] || [ "$unsafe" = 1 ]; then
			st=warn
		else
			st=fail
		fi
	fi
	EXPECT="$EXPECT interrupt_remapping=$st"

	# vfio_modules: loaded (or built in: /sys/module/NAME), else listed in modules.dep
	read -r rel </proc/sys/kernel/osrelease
	present=0 loadable=0 absent=0
	for m in vfio vfio_pci vfio_iommu_type1; do
		if [ -d "/sys/module/$m" ]; then
			present=$((present + 1))
		elif grep -q "/${m//_/[-_]}\.ko" "/lib/modules/$rel/modules.dep" 2>/dev/null; then
			loadable=$((loadable + 1))
		else
			absent=$((absent + 1))
		fi
	done
	if [ $absent -gt 0 ]; then st=fail; elif [ $loadable -gt 0 ]; then st=warn; else st=ok; fi
	EXPECT="$EXPECT vfio_modules=$st"

	# vfio_dev
	[ -c /dev/vfio/vfio ] && st=ok || st=fail
	EXPECT="$EXPECT vfio_dev=$st"

	# acs_override
	st=ok
	for l in "$@"; do case $l in pcie_acs_override=*) st=warn ;; esac; done
	EXPECT="$EXPECT acs_override=$st"
}

# preflight_get: ./host.json = GET /v1/host; HAVE="id=status ..." in its order.
preflight_get() {
	curl -sSf -o host.json "$PASSD_URL/v1/host" &&
	HAVE=$(jq -r '[.checks[] | "\(.id)=\(.status)"] | join(" ")' host.json)
}

# preflight_agrees: passd's statuses are the ones computed from the guest.
preflight_agrees() {
	preflight_expect
	preflight_get || return 1
	[ "$HAVE" = "$EXPECT" ] && return 0
	echo "passd's preflight differs from the guest's /proc and /sys:" >&2
	echo "  guest: $EXPECT" >&2
	echo "  passd: $HAVE" >&2
	jq -r '.checks[] | "  \(.id): \(.status): \(.detail)"' host.json >&2
	return 1
}

# check_is ID JQ_EXPR: the check ID of ./host.json satisfies JQ_EXPR (. is the check).
check_is() {
	jq -e --arg id "$1" ".checks[] | select(.id == \$id) | $2" host.json >/dev/null && return 0
	echo "check $1 is not '$2':" >&2
	jq --arg id "$1" '.checks[] | select(.id == $id)' host.json >&2
	return 1
}

# preflight_tests: the checks every guest makes, whatever its IOMMU.
preflight_tests() {
	test_expect_success 'GET /v1/host: every check has the status the guest'"'"'s /proc and /sys give' '
		preflight_agrees
	'

	test_expect_success 'every check that is not ok has a hint, and an ok one has none' '
		jq -e "[.checks[] | (.status == \"ok\") == (.hint == null)] | all" host.json &&
		jq -e "[.checks[] | .detail | length > 0] | all" host.json
	'

	test_expect_success 'the summary is the worst check, ready only without a failure' '
		jq -e "(.summary.fail > 0) == (.summary.ready | not) and
		       .summary.status == (if .summary.fail > 0 then \"fail\" elif .summary.warn > 0 then \"warn\" else \"ok\" end) and
		       .summary.total == (.checks | length)" host.json
	'

	test_expect_success "cpu_virt says what the guest's CPU flags say" '
		case $PF_CPUFLAG in
		vmx) check_is cpu_virt ".status == \"ok\" and (.detail | contains(\"vmx\"))" ;;
		svm) check_is cpu_virt ".status == \"ok\" and (.detail | contains(\"svm\"))" ;;
		*) check_is cpu_virt ".status != \"ok\" and (.hint | length > 0)" ;;
		esac
	'

	test_expect_success 'passctl check exits 0 when ready, 4 on a failure' '
		if jq -e .summary.ready host.json >/dev/null; then want=0; else want=4; fi &&
		test_exit_code $want passctl check >check.out &&
		grep -q iommu_active check.out
	'
}
