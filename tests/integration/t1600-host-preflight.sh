#!/bin/sh
test_description='GET /v1/host and passctl check tell, check by check, whether the host is ready'
. "$top_srcdir/tests/lib/test-lib.sh"

# The statuses every simulated host must get, written by passd-simgen from the profile's host
# facts (not from the tree) into preflight.truth; passd reads the tree's proc/, dev/ and
# lib/modules.
start_on_host() {
	rm -f passd.db* &&
	passd_start --modules-dir "$TRASH/host/lib/modules" "$@"
}

# preflight_as_truth FILE: /v1/host in preflight.truth's format
preflight_as_truth() {
	api_expect 200 /v1/host &&
	jq -r '.checks[] | "preflight \(.id) \(.status)"' body >"$1"
}

# the answer is well formed: 8 checks with the documented ids, hints exactly where not ok, a
# summary that is the worst status and the counts
preflight_is_consistent() {
	jq -e '
		([.checks[].id] == ["cpu_virt", "firmware_dmar", "iommu_active", "kernel_cmdline",
			"interrupt_remapping", "vfio_modules", "vfio_dev", "acs_override"]) and
		([.checks[] | (.detail | type == "string" and length > 0)] | all) and
		([.checks[] | select(.status == "ok") | .hint == null] | all) and
		([.checks[] | select(.status != "ok") | (.hint | type == "string" and length > 20)] | all) and
		(.summary.ok == ([.checks[] | select(.status == "ok")] | length)) and
		(.summary.warn == ([.checks[] | select(.status == "warn")] | length)) and
		(.summary.fail == ([.checks[] | select(.status == "fail")] | length)) and
		(.summary.total == 8) and
		(.summary.ready == (.summary.fail == 0)) and
		(.summary.status == (if .summary.fail > 0 then "fail" elif .summary.warn > 0 then "warn" else "ok" end))
	' body >/dev/null || { echo "inconsistent answer:" >&2; jq . body >&2; return 1; }
}

for f in "$top_srcdir"/tests/sim/profiles/*.profile; do
	profile=$(basename "$f" .profile)
	test_expect_success "$profile: GET /v1/host equals the profile's preflight truth" '
		sim_new '"$profile"' &&
		start_on_host &&
		preflight_as_truth api.preflight &&
		test_cmp "$TRASH/host/preflight.truth" api.preflight &&
		preflight_is_consistent &&
		if grep -q " fail$" api.preflight; then want=4; else want=0; fi &&
		test_exit_code $want passctl check >check.out &&
		grep -q "^STATUS  *CHECK  *DETAIL$" check.out &&
		for id in $(sed -n "s/^preflight \([a-z_]*\) \(warn\|fail\)$/\1/p" api.preflight); do
			grep -A1 -E "^(warn|fail) +$id " check.out | grep -q "^ *hint: " ||
				{ echo "no hint under $id" >&2; cat check.out >&2; return 1; }
		done &&
		passd_stop
	'
done

test_expect_success 'bios-vtd-off: the hints send the user to the firmware, then to GRUB' '
	sim_new bios-vtd-off && start_on_host &&
	api_expect 200 /v1/host &&
	jq -e ".checks[] | select(.id == \"firmware_dmar\") | .hint | test(\"Enable VT-d \\\\(Intel Virtualization Technology for Directed I/O\\\\) in the firmware setup\")" body &&
	jq -e ".checks[] | select(.id == \"iommu_active\") | .hint | test(\"firmware_dmar\")" body &&
	jq -e ".checks[] | select(.id == \"kernel_cmdline\") | .hint | test(\"add intel_iommu=on\"; \"i\") and test(\"GRUB_CMDLINE_LINUX\") and test(\"update-grub\")" body &&
	jq -e ".summary.ready == false and .summary.status == \"fail\"" body
'

test_expect_success 'bios-vtd-off: passctl check prints the hint and exits 4, --json too' '
	test_exit_code 4 passctl check >out &&
	grep -q "^ *hint: Enable VT-d" out &&
	grep -q "^Not ready" out &&
	test_exit_code 4 passctl check --json >out.json &&
	jq -S . out.json >a && jq -S . body >b && test_cmp b a
'

test_expect_success 'bios-vtd-off: a bind is refused by passd, naming the IOMMU and the fix' '
	api_expect 409 /v1/devices/0000:01:00.0/bind -X POST &&
	api_error_is not_viable &&
	jq -e ".error.message | test(\"IOMMU\") and test(\"intel_iommu=on\")" body
'

test_expect_success 'no-intremap: warnings only, so ready, and passctl check exits 0' '
	passd_stop && sim_new no-intremap && start_on_host &&
	api_expect 200 /v1/host &&
	jq -e ".summary.status == \"warn\" and .summary.ready == true and .summary.warn == 2" body &&
	jq -e ".checks[] | select(.id == \"interrupt_remapping\") | .detail | test(\"allow_unsafe_interrupts=Y\")" body &&
	jq -e ".checks[] | select(.id == \"acs_override\") | .detail | test(\"downstream,multifunction\")" body &&
	test_exit_code 0 passctl check >out &&
	grep -q "^Ready" out
'

test_expect_success 'no-vfio: the missing modules and node are failures with their own hints' '
	passd_stop && sim_new no-vfio && start_on_host &&
	api_expect 200 /v1/host &&
	jq -e ".checks[] | select(.id == \"vfio_modules\") | .detail | test(\"6.1.0-custom has no such module\")" body &&
	jq -e ".checks[] | select(.id == \"vfio_dev\") | .hint | test(\"vfio_modules\")" body &&
	jq -e ".checks[] | select(.id == \"cpu_virt\") | .hint | test(\"VT-x\")" body
'

test_expect_success 'without --modules-dir passd cannot tell whether a module could be loaded' '
	passd_stop && rm -f passd.db* && passd_start &&
	api_expect 200 /v1/host &&
	jq -e ".checks[] | select(.id == \"vfio_modules\") | .status == \"warn\" and (.detail | test(\"could not tell\"))" body
'

test_expect_success 'amd-ok: AMD-V, IVRS, ivhd units and built-in vfio are all ok' '
	passd_stop && sim_new amd-ok && start_on_host &&
	api_expect 200 /v1/host &&
	jq -e ".summary.status == \"ok\"" body &&
	jq -e ".checks[] | select(.id == \"cpu_virt\") | .detail | test(\"svm\")" body &&
	jq -e ".checks[] | select(.id == \"firmware_dmar\") | .detail | test(\"IVRS\")" body &&
	jq -e ".checks[] | select(.id == \"vfio_modules\") | .detail | test(\"vfio \\\\(built in\\\\)\")" body
'

test_expect_success 'a VM without nested virtualization: cpu_virt warns, with the nested hint' '
	passd_stop &&
	printf "%s\n" "host cpu=intel virt=off hypervisor=on" "root 0000:00" \
		"dev 0000:00:00.0 id=8086:29c0 class=0x060000 group=0" \
		"dev 0000:00:02.0 id=8086:10d3 class=0x020000 driver=e1000e group=1" >vm.profile &&
	rm -rf "$TRASH/host" && "$SIMGEN" -q vm.profile "$TRASH/host" &&
	grep -qx "preflight cpu_virt warn" "$TRASH/host/preflight.truth" &&
	start_on_host &&
	preflight_as_truth api.preflight &&
	test_cmp "$TRASH/host/preflight.truth" api.preflight &&
	jq -e ".checks[] | select(.id == \"cpu_virt\") | (.detail | test(\"virtual machine\")) and (.hint | test(\"nested\"))" body &&
	test_exit_code 0 passctl check >out
'

test_expect_success 'load-modules=yes on a simulated tree is ignored: modprobe never runs' '
	passd_stop && sim_new no-vfio &&
	printf "#!/bin/sh\ntouch \"%s/modprobe-ran\"\n" "$TRASH" >fake-modprobe && chmod +x fake-modprobe &&
	start_on_host --load-modules=yes --modprobe "$TRASH/fake-modprobe" &&
	grep -q "load-modules=yes ignored" passd.log &&
	test ! -e "$TRASH/modprobe-ran"
'

test_expect_success 'a bad --load-modules value is refused at startup (exit 2)' '
	test_exit_code 2 "$PASSD" --config /dev/null --load-modules=maybe 2>err &&
	grep -q "must be auto, yes or no" err
'

test_expect_success 'the route: GET and HEAD only, no query, an ETag that gives 304' '
	api_expect 405 /v1/host -X POST && api_error_is method_not_allowed &&
	api_expect 405 /v1/host -X DELETE &&
	api_expect 404 /v1/host/checks && api_error_is not_found &&
	api_expect 400 "/v1/host?verbose=1" && api_error_is bad_request &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -I "$PASSD_URL/v1/host")" = 200 &&
	etag=$(curl -sS -D - -o /dev/null "$PASSD_URL/v1/host" | tr -d "\r" | sed -n "s/^[Ee][Tt][Aa][Gg]: //p") &&
	test -n "$etag" &&
	api_expect 304 /v1/host -H "If-None-Match: $etag"
'

test_expect_success 'the answer follows the host: loading vfio changes it at once' '
	passd_stop && sim_new no-intremap && start_on_host &&
	api_expect 200 /v1/host &&
	jq -e ".checks[] | select(.id == \"vfio_dev\") | .status == \"ok\"" body &&
	rm "$TRASH/host/dev/vfio/vfio" &&
	api_expect 200 /v1/host &&
	jq -e ".checks[] | select(.id == \"vfio_dev\") | .status == \"fail\"" body
'

test_expect_success 'q35-vtd (a real kernel'"'"'s copied sysfs): groups ok, the rest could not be told' '
	passd_stop && fixture_new q35-vtd && rm -f passd.db* &&
	SYSFS_ROOT="$TRASH/host/sys" passd_start &&
	api_expect 200 /v1/host &&
	preflight_is_consistent &&
	jq -e ".checks[] | select(.id == \"iommu_active\") | .status == \"ok\"" body &&
	jq -e ".checks[] | select(.id == \"firmware_dmar\") | .status == \"warn\" and (.detail | test(\"could not tell\"))" body &&
	jq -e ".checks[] | select(.id == \"interrupt_remapping\") | .status == \"warn\"" body
'

if [ -x "$SIMLIVE" ] && [ -c /dev/fuse ] && [ "$(id -u)" -eq 0 ] && command -v fusermount3 >/dev/null; then
	for profile in bios-vtd-off no-intremap; do
		test_expect_success "$profile on the live simulator: the same preflight" '
			passd_stop && sim_live_start '"$profile"' &&
			"$SIMGEN" --preflight '"$profile"' >want &&
			rm -f passd.db* &&
			passd_start --modules-dir "$TRASH/live/lib/modules" &&
			preflight_as_truth got &&
			test_cmp want got &&
			preflight_is_consistent
		'
	done
	test_expect_success 'no-iommu on the live simulator: bind answers 409 naming the IOMMU, nothing moves' '
		passd_stop && sim_live_start no-iommu && rm -f passd.db* && passd_start &&
		api_expect 409 /v1/devices/0000:01:00.0/bind -X POST &&
		api_error_is not_viable &&
		jq -e ".error.message | test(\"no IOMMU group\") and test(\"intel_iommu=on\")" body &&
		sim_driver_is 0000:01:00.0 amdgpu &&
		sim_driver_is 0000:01:00.1 snd_hda_intel &&
		test_exit_code 1 passctl bind 0000:01:00.0 2>err &&
		grep -q "IOMMU" err
	'
else
	test_skip "live simulator checks" "passd-sim needs root, /dev/fuse and fusermount3"
fi

test_expect_success 'stop' '
	passd_stop
'

test_done
