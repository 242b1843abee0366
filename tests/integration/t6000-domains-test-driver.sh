#!/bin/sh
test_description='GET /v1/domains, start and stop through the libvirt test driver, and no libvirt'
. "$top_srcdir/tests/lib/test-lib.sh"

. "$top_srcdir/tests/lib/libvirt-test.sh"

post() { # post PATH [CURL ARGS...]: POST over TCP; body to ./body, status to stdout
	_p=$1
	shift
	api "$_p" -X POST "$@"
}

test_expect_success 'setup: a test-driver host with two domains' '
	sim_new desktop &&
	test_driver_node "gpu-vm uuid=182ae403-bc76-4452-84e4-3d348ec3ed1e hostdev=0000:65:00.0 managed=0000:65:00.1" \
		"web.1 running" >"$TRASH/node.xml" &&
	test_driver_passd
'

test_expect_success 'health says libvirt is connected, with its URI and no error' '
	api_expect 200 /v1/health &&
	jq -e --arg u "test://$TRASH/node.xml" ".status == \"ok\" and .libvirt.enabled == true and .libvirt.connected == true and .libvirt.uri == \$u and .libvirt.error == null and .libvirt.retries == 0" body
'

test_expect_success 'GET /v1/domains lists them by name with state, persistence and hostdevs' '
	api_expect 200 /v1/domains &&
	jq -e "[.domains[].name] == [\"gpu-vm\", \"web.1\"]" body &&
	jq -e ".domains[0] | .state == \"shutoff\" and .persistent == true and .uuid == \"182ae403-bc76-4452-84e4-3d348ec3ed1e\"" body &&
	jq -e ".domains[0].hostdevs == [{\"address\":\"0000:65:00.0\",\"managed\":false},{\"address\":\"0000:65:00.1\",\"managed\":true}]" body &&
	jq -e ".domains[1] | .state == \"running\" and .hostdevs == []" body
'

test_expect_success 'passctl domains prints a table, and --json the answer' '
	passctl domains >out &&
	head -n 1 out | grep -q "^NAME  *STATE  *PERSISTENT  *HOSTDEVS  *UUID" &&
	grep -q "^gpu-vm  *shutoff  *yes  *0000:65:00.0, 0000:65:00.1 (managed)  *182ae403" out &&
	grep -q "^web.1  *running  *yes  *-" out &&
	passctl --json domains >out.json &&
	jq -e "[.domains[].name] == [\"gpu-vm\", \"web.1\"]" out.json
'

test_expect_success 'a dry-run start says what it would do and changes nothing' '
	test "$(post "/v1/domains/gpu-vm/start?dry_run=true")" = 200 &&
	jq -e ".action == \"start\" and .dry_run == true and .result == \"planned\" and .domain.state == \"shutoff\"" body &&
	api_expect 200 /v1/domains &&
	jq -e ".domains[0].state == \"shutoff\"" body
'

test_expect_success 'start runs the domain; a second start is unchanged' '
	test "$(post /v1/domains/gpu-vm/start)" = 200 &&
	jq -e ".action == \"start\" and .result == \"done\" and .state_before == \"shutoff\" and .domain.state == \"running\" and (.duration_ms | type == \"number\")" body &&
	api_expect 200 /v1/domains &&
	jq -e ".domains[0].state == \"running\"" body &&
	test "$(post /v1/domains/gpu-vm/start)" = 200 &&
	jq -e ".result == \"unchanged\" and .domain.state == \"running\"" body
'

test_expect_success 'stop forces it off; a second stop is unchanged' '
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	jq -e ".action == \"stop\" and .result == \"done\" and .state_before == \"running\" and .domain.state == \"shutoff\"" body &&
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	jq -e ".result == \"unchanged\"" body
'

test_expect_success 'start paused, with a JSON body' '
	test "$(post /v1/domains/gpu-vm/start -H "Content-Type: application/json" -d "{\"paused\":true}")" = 200 &&
	jq -e ".result == \"done\" and .domain.state == \"paused\"" body &&
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	jq -e ".domain.state == \"shutoff\"" body
'

test_expect_success 'an unknown domain is a 404 not_found naming it' '
	test "$(post /v1/domains/nope/start)" = 404 &&
	api_error_is not_found &&
	jq -e ".error.message | test(\"nope\")" body &&
	test "$(post /v1/domains/nope/stop)" = 404 &&
	api_error_is not_found
'

test_expect_success 'invalid names are a 400 before libvirt is asked' '
	long=$(printf "%065d" 0) &&
	for n in "a%3Cb" "a%26b" ".hidden" "-x" "a%20b" "a%2Fb" "a%27b" "$long"; do
		test "$(post "/v1/domains/$n/start")" = 400 &&
		api_error_is bad_request || { echo "name $n" >&2; return 1; }
	done &&
	test "$(post /v1/domains/a%00b/stop)" = 400
'

test_expect_success 'bodies that are not what a route takes are refused' '
	test "$(post /v1/domains/gpu-vm/start -H "Content-Type: application/json" -d "{\"bogus\":1}")" = 400 &&
	api_error_is bad_request &&
	test "$(post /v1/domains/gpu-vm/stop -H "Content-Type: application/json" -d "{\"paused\":true}")" = 400 &&
	api_error_is bad_request &&
	test "$(post /v1/domains/gpu-vm/start -H "Content-Type: application/json" -d "{\"paused\":1}")" = 400
'

test_expect_success 'GET only on the list, POST only on start and stop' '
	test "$(post /v1/domains)" = 405 &&
	api_expect 405 /v1/domains/gpu-vm/start
'

test_expect_success 'passd stops cleanly with libvirt connected' '
	passd_stop
'

test_expect_success 'test:///default shows its built-in running domain' '
	rm -f passd.db* &&
	passd_start --libvirt-uri test:///default &&
	wait_libvirt true &&
	api_expect 200 /v1/domains &&
	jq -e ".domains == [{\"name\":\"test\",\"uuid\":\"6695eb01-f6a4-8304-79aa-97f2502e193f\",\"state\":\"running\",\"persistent\":true,\"hostdevs\":[]}]" body &&
	passd_stop
'

test_expect_success 'without libvirt (none) domains answer 503 and health stays ok' '
	rm -f passd.db* &&
	passd_start --libvirt-uri none &&
	api_expect 503 /v1/domains &&
	api_error_is libvirt_unavailable &&
	jq -e ".error.message | test(\"without libvirt\")" body &&
	test "$(post /v1/domains/gpu-vm/start)" = 503 &&
	api_error_is libvirt_unavailable &&
	test_exit_code 1 passctl domains 2>err &&
	grep -q "without libvirt" err &&
	api_expect 200 /v1/health &&
	jq -e ".status == \"ok\" and .libvirt.enabled == false and .libvirt.connected == false" body &&
	passd_stop
'

test_expect_success 'an unreachable libvirt: degraded, retried, 503, and reads keep working' '
	rm -f passd.db* &&
	passd_start --libvirt-uri "qemu:///system?socket=$TRASH/no-such-socket" &&
	api_expect 200 /v1/health &&
	jq -e ".status == \"degraded\" and .libvirt.enabled == true and .libvirt.connected == false" body &&
	sleep 1 &&
	api_expect 200 /v1/health &&
	jq -e ".libvirt.retries >= 2 and (.libvirt.error | test(\"no-such-socket\"))" body &&
	api_expect 503 /v1/domains &&
	api_error_is libvirt_unavailable &&
	jq -e ".error.message | test(\"not connected\")" body &&
	test "$(post /v1/domains/x/stop)" = 503 &&
	api_expect 200 /v1/devices &&
	grep -c "Cannot connect to libvirt" "$TRASH/passd.log" >count &&
	test "$(cat count)" = 1 &&
	passd_stop
'

test_done
