#!/bin/sh
test_description='100 concurrent assignments of one group to different domains: exactly one wins, 20 times over'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require

ROUNDS=${T6300_ROUNDS:-20}
CLIENTS=100

# 100 shut-off domains vm000..vm099 in libvirt's test driver.
write_node() {
	{
		echo "<node><cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu><memory>8388608</memory>"
		for n in $(seq 0 $((CLIENTS - 1))); do
			printf "<domain type='test'><name>vm%03d</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os><test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate></domain>\n" "$n"
		done
		echo "</node>"
	} >"$TRASH/node.xml"
}

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

db() {
	sqlite3 -readonly "$TRASH/passd.db" "$1"
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

test_expect_success 'setup: desktop profile live, 100 domains in the test driver' '
	sim_live_start desktop &&
	write_node &&
	passd_start --libvirt-uri "test://$TRASH/node.xml" --max-connections-per-identity 512 \
		--max-unauthenticated 512 --rate-limit 0 &&
	i=0 &&
	until curl -sS "$PASSD_URL/v1/health" | jq -e ".libvirt.connected" >/dev/null ||
		test $i -ge 100; do
		i=$((i + 1))
		sleep 0.05
	done &&
	test $i -lt 100 &&
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
