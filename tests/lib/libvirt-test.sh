# libvirt-test.sh - passd with libvirt's test driver (test:///PATH through the real library: its
# calls are real, their work a model's), for the tests that need domains but no libvirtd.
# Source it after test-lib.sh. libvirt-lib.sh (a private libvirtd) sources it for wait_libvirt;
# bench/assign.sh for test_driver_node.
#
# The test driver opens a fresh host from the file for every connection and passd keeps one,
# so what a test changes lasts as long as passd's connection (a reconnect starts from the file).

# test_driver_node DOMAIN...: a test-driver host (2 cores, 8 GiB) on stdout, one domain per
# DOMAIN, "NAME [OPTION...]", shut off unless an OPTION says running. OPTIONs: running (the
# driver's default state); uuid=UUID; hostdev=ADDR, a PCI hostdev passd did not add
# (managed='no'); managed=ADDR, the same with managed='yes'.
test_driver_node() {
	echo '<node>'
	echo '  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>'
	echo '  <memory>8388608</memory>'
	for _d; do
		set -f
		# shellcheck disable=SC2086 # the words of DOMAIN
		set -- $_d
		set +f
		echo "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
		echo "    <name>$1</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>"
		shift
		_state=5 _devs=
		for _o; do
			case $_o in
			running) _state= ;;
			uuid=*) echo "    <uuid>${_o#uuid=}</uuid>" ;;
			hostdev=* | managed=*)
				_a=${_o#*=} _m=no
				[ "${_o%%=*}" = hostdev ] || _m=yes
				_b=${_a#*:} _f=${_a#*.}
				_s=${_b#*:}
				_devs="$_devs      <hostdev mode='subsystem' type='pci' managed='$_m'><source><address domain='0x${_a%%:*}' bus='0x${_b%%:*}' slot='0x${_s%%.*}' function='0x$_f'/></source></hostdev>
"
				;;
			*) echo "test_driver_node: unknown option $_o" >&2; return 1 ;;
			esac
		done
		[ -z "$_devs" ] || printf '    <devices>\n%s    </devices>\n' "$_devs"
		[ -z "$_state" ] || echo "    <test:runstate>$_state</test:runstate>"
		echo '  </domain>'
	done
	echo '</node>'
}

# test_driver_passd [PASSD OPTION...]: passd_start with the host of $TRASH/node.xml, connected.
test_driver_passd() {
	passd_start --libvirt-uri "test://$TRASH/node.xml" "$@" &&
	wait_libvirt
}

# wait_libvirt [true|false [SECONDS]]: until passd's /v1/health (in ./health.json) says
# libvirt.connected is that (default true, within 5 s).
wait_libvirt() {
	_c=${1:-true}
	_n=$((${2:-5} * 20))
	_i=0
	while [ $_i -lt $_n ]; do
		curl -sS -m 2 -o health.json "$PASSD_URL/v1/health" 2>/dev/null &&
		jq -e --argjson c "$_c" ".libvirt.connected == \$c" health.json >/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "libvirt.connected is not $_c after ${2:-5} s:" >&2
	cat health.json >&2
	return 1
}

# domain_hostdevs NAME: the PCI hostdevs of a domain, one a line, from GET /v1/domains.
domain_hostdevs() {
	curl -sSf "$PASSD_URL/v1/domains" >doms.json &&
	jq -r --arg n "$1" '.domains[] | select(.name == $n) | .hostdevs[].address' doms.json
}

# domain_state NAME: its state, from GET /v1/domains.
domain_state() {
	curl -sSf "$PASSD_URL/v1/domains" >doms.json &&
	jq -r --arg n "$1" '.domains[] | select(.name == $n) | .state' doms.json
}

# db SQL: passd's database, read-only.
db() {
	sqlite3 -readonly "$TRASH/passd.db" "$1"
}
