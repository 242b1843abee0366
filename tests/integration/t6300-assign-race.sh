#!/bin/sh
test_description='100 concurrent assignments of one group to different domains: exactly one wins, 20 times over'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
. "$top_srcdir/tests/lib/libvirt-test.sh"

ROUNDS=${T6300_ROUNDS:-20}
CLIENTS=100

# One curl process, CLIENTS transfers at once (-Z), each its own POST to another domain. Each
# block starts with "next" (but the first), which also resets the .curlrc header, so the token
# is repeated.
write_requests() {
	: >reqs.cfg
	for n in $(seq 0 $((CLIENTS - 1))); do
		[ "$n" -eq 0 ] || echo next >>reqs.cfg
		cat >>reqs.cfg <<-EOF
		url = "$PASSD_URL/v1/assignments"
		request = "POST"
		header = "Authorization: Bearer $PASSD_TOKEN_ADMIN"
		header = "Content-Type: application/json"
		data = "{\"device\":\"0000:01:00.0\",\"domain\":\"$(printf vm%03d "$n")\"}"
		output = "/dev/null"
		write-out = "%{http_code}\n"
		EOF
	done
}

# One round: the burst, then what the API, the database, the simulator and libvirt say, then
# the release and the same four again.
round() {
	curl -q -sS -Z --parallel-max "$CLIENTS" --parallel-immediate -K reqs.cfg >codes 2>curl.err &&
	sort codes | uniq -c | sed "s/^ *//" >counts &&
	printf "1 201\n%d 409\n" $((CLIENTS - 1)) >want &&
	test_cmp want counts &&
	test "$(db "SELECT count(*) FROM assignment WHERE state = 'active'")" = 1 &&
	id=$(db "SELECT id FROM assignment WHERE state = 'active'") &&
	dom=$(db "SELECT domain FROM assignment WHERE state = 'active'") &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci &&
	curl -sSf "$PASSD_URL/v1/domains" >doms.json &&
	jq -r ".domains[] | select(.hostdevs != []) | \"\(.name) \([.hostdevs[].address] | join(\" \"))\"" doms.json >held &&
	echo "$dom 0000:01:00.0 0000:01:00.1" >want_held &&
	test_cmp want_held held &&
	curl -sS -o rel.json -w "%{http_code}" -X DELETE "$PASSD_URL/v1/assignments/$id" >code &&
	test "$(cat code)" = 200 &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	curl -sSf "$PASSD_URL/v1/domains" >doms.json &&
	jq -e "[.domains[].hostdevs[]] == []" doms.json >/dev/null &&
	test "$(db "SELECT count(*) FROM assignment WHERE state <> 'released'")" = 0
}

# 100 shut-off domains vm000..vm099 in libvirt's test driver.
test_expect_success 'setup: desktop profile live, 100 domains in the test driver' '
	sim_live_start desktop &&
	test_driver_node $(seq -f vm%03g 0 $((CLIENTS - 1))) >"$TRASH/node.xml" &&
	test_driver_passd --max-connections-per-identity 512 --max-unauthenticated 512 --rate-limit 0 &&
	write_requests
'

test_expect_success "$ROUNDS rounds of $CLIENTS concurrent POSTs: one 201, the rest 409; DB, sim and libvirt agree" '
	start=$(date +%s) &&
	r=1 &&
	ok=1 &&
	while [ $r -le $ROUNDS ]; do
		if ! round; then
			echo "round $r failed" >&2
			ok=0
			break
		fi
		r=$((r + 1))
	done &&
	test $ok = 1 &&
	echo "$ROUNDS rounds in $(($(date +%s) - start)) s" &&
	test "$(db "SELECT count(*) FROM assignment")" = "$ROUNDS" &&
	test "$(db "SELECT count(DISTINCT domain) FROM assignment")" -ge 1
'

test_expect_success 'the losers changed nothing: history holds one assign and one release per round' '
	test "$(db "SELECT count(*) FROM history WHERE kind = '\''assign'\''")" = "$ROUNDS" &&
	test "$(db "SELECT count(*) FROM history WHERE kind = '\''release'\''")" = "$ROUNDS" &&
	test "$(db "SELECT count(*) FROM history WHERE result <> '\''done'\''")" = 0
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

test_done
