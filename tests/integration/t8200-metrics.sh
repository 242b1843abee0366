#!/bin/sh
test_description='GET /metrics: Prometheus text format that a strict checker accepts, and numbers that follow the host'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

GPU=0000:01:00.0 # desktop: nvidia, with its audio function in group 10
LINT="$top_srcdir/tests/lib/prom-lint.awk"

# metric LINE-PREFIX: the value of the one sample that starts with it.
metric() {
	awk -v p="$1" 'index($0, p " ") == 1 { print $NF; n++ } END { exit n != 1 }' metrics.txt
}

test_expect_success 'setup: desktop on the live simulator' '
	sim_live_start desktop && passd_start --rescan-interval 0
'

test_expect_success 'the checker refuses what is wrong' '
	printf "# TYPE a counter\na 1\n" >bad1 && test_must_fail awk -f "$LINT" bad1 &&
	printf "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n" >bad2 &&
	test_must_fail awk -f "$LINT" bad2 &&
	printf "# TYPE g gauge\ng{a=\"x} 1\n" >bad3 && test_must_fail awk -f "$LINT" bad3 &&
	printf "# TYPE g gauge\ng 1\n# TYPE f gauge\nf 1\ng{a=\"y\"} 2\n" >bad4 && test_must_fail awk -f "$LINT" bad4
'

test_expect_success '/metrics is text format 0.0.4 and passes the checker' '
	curl -sSf -D head -o metrics.txt "$PASSD_URL/metrics" &&
	grep -qi "^content-type: text/plain; version=0.0.4" head &&
	awk -f "$LINT" metrics.txt
'

test_expect_success 'devices by state add up to the inventory' '
	curl -sSf "$PASSD_URL/v1/devices" >devices.json &&
	total=$(jq ".devices | length" devices.json) &&
	sum=$(awk "/^passd_devices\\{/ { s += \$NF } END { print s }" metrics.txt) &&
	test "$sum" = "$total" &&
	test "$(metric "passd_devices{state=\"host\"}")" = "$(jq "[.devices[] | select(.state == \"host\")] | length" devices.json)" &&
	groups=$(curl -sSf "$PASSD_URL/v1/groups" | jq ".groups | length") &&
	v=$(metric "passd_iommu_groups{viable=\"true\"}") && nv=$(metric "passd_iommu_groups{viable=\"false\"}") &&
	test $((v + nv)) = "$groups" &&
	test "$(metric passd_libvirt_connected)" = 0 &&
	test "$(metric passd_quarantined_devices)" = 0
'

test_expect_success 'a bind shows in devices, groups, its histogram and the request counts' '
	v0=$(metric "passd_iommu_groups{viable=\"true\"}") &&
	api_expect 200 "/v1/devices/$GPU/bind" -X POST &&
	curl -sSf -o metrics.txt "$PASSD_URL/metrics" && awk -f "$LINT" metrics.txt &&
	test "$(metric "passd_devices{state=\"vfio\"}")" = 2 &&
	test "$(metric "passd_iommu_groups{viable=\"true\"}")" -ge "$v0" &&
	test "$(metric "passd_operation_duration_seconds_count{operation=\"bind\"}")" = 1 &&
	test "$(metric "passd_operation_duration_seconds_bucket{operation=\"bind\",le=\"+Inf\"}")" = 1 &&
	test "$(metric "passd_http_requests_total{route=\"/v1/devices/*/bind\",method=\"POST\",status=\"200\"}")" = 1 &&
	test "$(metric "passd_http_request_duration_seconds_count{route=\"/v1/devices/*/bind\",method=\"POST\"}")" = 1 &&
	! grep -q "route=\"/v1/devices/$GPU" metrics.txt
'

test_expect_success 'unknown paths are counted as unmatched, never by their path' '
	api_expect 404 /no/such/thing-$$ &&
	curl -sSf -o metrics.txt "$PASSD_URL/metrics" &&
	metric "passd_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}" >n &&
	test "$(cat n)" -ge 1 &&
	! grep -q "thing-$$" metrics.txt
'

test_expect_success 'a reader token may scrape; no token may not' '
	code=$(curl -q -sS -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $PASSD_TOKEN_READER" "$PASSD_URL/metrics") &&
	test "$code" = 200 &&
	code=$(curl -q -sS -o /dev/null -w "%{http_code}" "$PASSD_URL/metrics") &&
	test "$code" = 401
'

test_expect_success 'unbind, and passd stops cleanly' '
	api_expect 200 "/v1/devices/$GPU/unbind" -X POST &&
	curl -sSf -o metrics.txt "$PASSD_URL/metrics" && awk -f "$LINT" metrics.txt &&
	test "$(metric "passd_operation_duration_seconds_count{operation=\"unbind\"}")" = 1 &&
	passd_stop
'

test_done
