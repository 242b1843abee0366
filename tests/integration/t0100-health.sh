#!/bin/sh
test_description='passd starts, reports its health and refuses bad configuration'
. "$top_srcdir/tests/lib/test-lib.sh"

test_expect_success 'setup: desktop host' '
	sim_new desktop &&
	passd_start
'

test_expect_success 'health says ok with the IOMMU on and the database up' '
	api_expect 200 /v1/health &&
	jq -e ".status == \"ok\" and .iommu.enabled == true and .iommu.groups > 0 and .db.ok == true" body &&
	jq -e ".version | test(\"^[0-9]+\\\\.[0-9]+\")" body &&
	jq -e ".libvirt.connected == false and .libvirt.enabled == false" body
'

test_expect_success 'health group count is the tree'"'"'s' '
	want=$(ls "$TRASH/host/sys/kernel/iommu_groups" | wc -l) &&
	api_expect 200 /v1/health &&
	test "$(jq .iommu.groups body)" -eq "$want"
'

test_expect_success 'the unix socket answers the same API' '
	curl -sSf --unix-socket "$PASSD_SOCK" http://localhost/v1/health >uhealth &&
	jq -e ".status == \"ok\"" uhealth
'

test_expect_success 'SIGTERM stops passd cleanly and removes its socket' '
	passd_stop &&
	test ! -e "$PASSD_SOCK"
'

test_expect_success 'a host without IOMMU groups is reported as degraded, with a hint' '
	sim_new no-iommu &&
	rm -f passd.db* &&
	passd_start &&
	api_expect 200 /v1/health &&
	jq -e ".status == \"degraded\" and .iommu.enabled == false and .iommu.groups == 0" body &&
	jq -e ".iommu.hint | test(\"intel_iommu=on\")" body &&
	api_expect 200 /v1/groups &&
	jq -e ".groups == [] and .iommu_enabled == false" body &&
	passd_stop
'

test_expect_success 'an unknown option is a usage error (exit 2)' '
	test_exit_code 2 "$PASSD" --no-such-option 2>err &&
	grep -q "unknown option" err
'

test_expect_success 'a bad value is refused at startup, not replaced by a default' '
	test_exit_code 2 "$PASSD" --config /dev/null --scan-threads 0 2>err &&
	grep -q "scan-threads" err &&
	test_exit_code 2 "$PASSD" --config /dev/null --listen bogus 2>err &&
	grep -q "bad listen address" err &&
	test_exit_code 2 "$PASSD" --config /dev/null --log-level loud 2>err &&
	grep -q "log-level" err
'

test_expect_success 'a config file sets options; a bad line names its place' '
	printf "# comment\nscan-threads = 1\nbogus = 1\n" >bad.conf &&
	test_exit_code 2 "$PASSD" --config bad.conf 2>err &&
	grep -q "bad.conf:3: unknown option .bogus." err
'

test_expect_success 'a missing sysfs root fails with a clear message' '
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/nope" --db "$TRASH/x.db" \
		--listen "unix:$TRASH/x.sock" --libvirt-uri none 2>err &&
	grep -q "Cannot open sysfs root" err
'

test_expect_success 'a non-loopback TCP listener is refused without TLS and tokens' '
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/y.db" \
		--listen tcp:0.0.0.0:0 --libvirt-uri none 2>err &&
	grep -q "beyond loopback, TCP needs TLS" err &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/y.db" \
		--listen tcp:0.0.0.0:0 --libvirt-uri none --token-file "$TRASH/tokens" 2>err &&
	grep -q "beyond loopback, TCP needs TLS" err
'

test_expect_success 'a second passd does not steal a live socket' '
	passd_start &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/z.db" \
		--listen "unix:$PASSD_SOCK" --libvirt-uri none 2>err &&
	grep -q "Cannot listen" err &&
	curl -sSf --unix-socket "$PASSD_SOCK" http://localhost/v1/health >/dev/null &&
	passd_stop
'

test_done
