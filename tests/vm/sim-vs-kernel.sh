# sim-vs-kernel.sh - host side of the simulator-vs-kernel tests (t9900, t9901, t9902), sourced
# after test-lib.sh:
#
#   svk_run SCENARIO PROFILE [vmrun options]
#
# runs tests/vm/sysfs-script SCENARIO in a throw-away guest on the real kernel's /sys and /dev,
# then the same program on the host against passd-sim serving PROFILE (the topology's mirror,
# tests/sim/profiles), and compares the two outputs step by step: one TAP test per step, named by
# it, failing with both lines when the simulator answered or ended differently. Every difference
# found so far is in tests/vm/SIM-VS-KERNEL.md, with how the simulator was corrected.
. "$top_srcdir/tests/vm/vm-lib.sh"

SYSFS_SCRIPT="$top_builddir/tests/vm/sysfs-script"

svk_run() {
	_scn=$1
	_prof=$2
	shift 2
	SVK_VMRUN_OPTS="$*" # blank-separated, no blanks inside an option
	vm_require
	[ -x "$SYSFS_SCRIPT" ] || skip_all "$SYSFS_SCRIPT is not built (make check builds it)"
	sim_live_require

	test_expect_success "the sequence runs on the real kernel ($SVK_VMRUN_OPTS)" '
		"$VMRUN" $SVK_VMRUN_OPTS -C "$top_builddir" -T "${PASSD_VM_TIMEOUT:-300}" -q -- \
			bash -c "echo @@begin; \"\$0\" \"\$@\"; rc=\$?; echo @@end \$rc; exit \$rc" \
			"$SYSFS_SCRIPT" "$_scn" /sys /dev >kernel.raw 2>vmrun.err ||
			{ cat kernel.raw vmrun.err; false; }
		sed -n "/^@@begin/,/^@@end/p" kernel.raw | tr -d "\r" | sed "1d;\$d" >kernel.out &&
		grep -q "^@@end 0" kernel.raw && test -s kernel.out
	'
	test_expect_success "the sequence runs on passd-sim ($_prof)" '
		sim_live_start "$_prof" &&
		"$SYSFS_SCRIPT" "$_scn" "$TRASH/live/sys" "$TRASH/live/dev" >sim.out &&
		sim_live_stop && test -s sim.out
	'
	test_expect_success "both ran the same steps" '
		cut -d: -f1 kernel.out >kernel.steps && cut -d: -f1 sim.out >sim.steps &&
		test_cmp kernel.steps sim.steps
	'
	# one test per step of the kernel's run
	while IFS= read -r _line; do
		_step=${_line%%:*}
		test_expect_success "$_step: passd-sim answers and ends as the kernel" '
			grep "^$_step: " "$TRASH/sim.out" >sim.step
			printf "%s\n" "$_line" >kernel.step
			if ! cmp -s kernel.step sim.step; then
				echo "kernel: $(cat kernel.step)"
				echo "sim:    $(cat sim.step)"
				false
			fi
		'
	done <"$TRASH/kernel.out"
}
