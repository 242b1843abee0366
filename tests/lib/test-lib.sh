# test-lib.sh - git-style TAP helpers for passd's integration tests.
#
#   test_description='...'
#   . "$top_srcdir/tests/lib/test-lib.sh"
#   test_expect_success 'what it shows' '
#           cmd1 &&
#           cmd2
#   '
#   test_done
#
# Each test file gets its own trash directory ($TRASH), removed at the end unless the test
# failed or PASSD_TEST_KEEP is set. Nothing here touches the real /sys: passd_start refuses
# a sysfs root that is not under $TRASH.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir LC_ALL=C

PASSD="$top_builddir/daemon/passd"
PASSCTL="$top_builddir/cli/passctl"
SIMGEN="$top_builddir/tests/sim/passd-simgen"
FIXTURES="$top_srcdir/tests/fixtures/real"

# Simulated trees are many small files: tmpfs makes them 40x faster to create than disk here.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
fi
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/passd-test.XXXXXX") || exit 99
test_count=0
test_failed=0
test_skipped=0
PASSD_PID=
SIM_PID=
SIMLIVE="$top_builddir/tests/sim/passd-sim"

# vm_guest: true only inside a tests/vm guest, whose kernel command line carries passdvm=1.
vm_guest() {
	_cl=
	read -r _cl </proc/cmdline 2>/dev/null
	case " $_cl " in *" passdvm=1 "*) return 0 ;; esac
	return 1
}

say() { printf '# %s\n' "$*"; }

cleanup() {
	passd_kill
	sim_live_stop
	if [ "$test_failed" -eq 0 ] && [ -z "${PASSD_TEST_KEEP:-}" ]; then
		rm -rf "$TRASH"
	else
		say "trash directory kept: $TRASH"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# skip_all REASON: the whole file is skipped (TAP "1..0 # SKIP").
skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	test_count=-1
	exit 0
}

# A body runs in a function of its own, as git's test_eval_: "|| return 1" in a body's loop
# fails that test, instead of returning from test_expect_success with no result line.
test_eval_() {
	eval "$1"
}

test_expect_success() {
	test_count=$((test_count + 1))
	_desc=$1
	_out="$TRASH/.out.$test_count"
	# In this shell, as git does, so that passd_start's variables reach later tests.
	cd "$TRASH" || exit 99
	if test_eval_ "$2" >"$_out" 2>&1; then
		printf 'ok %d - %s\n' "$test_count" "$_desc"
	else
		test_failed=$((test_failed + 1))
		printf 'not ok %d - %s\n' "$test_count" "$_desc"
		sed -e 's/^/#   /' "$_out" | tail -n 40
		[ -f "$TRASH/passd.log" ] && { say "passd log (tail):"; tail -n 15 "$TRASH/passd.log" | sed 's/^/#   /'; }
	fi
}

# test_skip DESC REASON: one test skipped, counted as such.
test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	printf 'ok %d # SKIP %s (%s)\n' "$test_count" "$1" "$2"
}

test_done() {
	printf '1..%d\n' "$test_count"
	[ "$test_failed" -eq 0 ]
	exit $?
}

# test_must_fail CMD...: CMD must exit non-zero, but not by a signal or a sanitizer abort.
test_must_fail() {
	"$@"
	_rc=$?
	if [ "$_rc" -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ "$_rc" -gt 128 ]; then
		echo "test_must_fail: '$*' died with status $_rc" >&2
		return 1
	fi
	return 0
}

# test_exit_code N CMD...: CMD must exit with status N.
test_exit_code() {
	_want=$1
	shift
	"$@"
	_rc=$?
	[ "$_rc" -eq "$_want" ] && return 0
	echo "expected exit code $_want from '$*', got $_rc" >&2
	return 1
}

test_cmp() {
	diff -u "$1" "$2"
}

# --- hosts -------------------------------------------------------------------------------

# sim_new PROFILE: a simulated host in $TRASH/host (sys/, proc/, dev/, truth).
sim_new() {
	rm -rf "$TRASH/host" &&
	"$SIMGEN" "$top_srcdir/tests/sim/profiles/$1.profile" "$TRASH/host" &&
	test -d "$TRASH/host/sys/bus/pci/devices"
}

# fixture_new NAME: a real kernel's sysfs copied from a QEMU guest, in $TRASH/host.
fixture_new() {
	rm -rf "$TRASH/host" && mkdir -p "$TRASH/host" &&
	tar -xJf "$FIXTURES/$1.tar.xz" -C "$TRASH/host" &&
	cp "$FIXTURES/$1.truth" "$TRASH/host/truth"
}

# sim_live_require: skip the file when the live simulator cannot run here.
sim_live_require() {
	[ -x "$SIMLIVE" ] || skip_all "passd-sim is not built (libfuse3-dev missing at configure time)"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse on this machine"
	[ "$(id -u)" -eq 0 ] || skip_all "FUSE mounts with allow_other need root here"
	command -v fusermount3 >/dev/null || skip_all "fusermount3 is missing (package fuse3)"
}

# sim_live_start PROFILE [passd-sim ARGS...]: a live simulated kernel mounted on $TRASH/live;
# passd_start then uses its sys/, proc/ and dev/.
sim_live_start() {
	_prof=$1
	shift
	sim_live_stop
	mkdir -p "$TRASH/live"
	"$SIMLIVE" "$@" "$top_srcdir/tests/sim/profiles/$_prof.profile" "$TRASH/live" \
		2>>"$TRASH/sim.log" &
	SIM_PID=$!
	_i=0
	while [ ! -e "$TRASH/live/sim/stats" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "sim_live_start: passd-sim did not come up:" >&2
			cat "$TRASH/sim.log" >&2
			return 1
		fi
		sleep 0.05
	done
	SYSFS_ROOT="$TRASH/live/sys"
	SIM_DEVICES="$TRASH/live/sys/bus/pci/devices"
	export SYSFS_ROOT SIM_DEVICES
}

sim_live_stop() {
	if [ -n "$SIM_PID" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
	fi
	if grep -qs " $TRASH/live fuse" /proc/mounts; then
		fusermount3 -u "$TRASH/live" 2>/dev/null || umount -l "$TRASH/live" 2>/dev/null
	fi
	return 0
}

# sim_driver_is ADDR DRIVER: the simulated kernel has ADDR on DRIVER ("-" for none).
sim_driver_is() {
	_l=$(readlink "$SIM_DEVICES/$1/driver" 2>/dev/null) || _l=-
	_l=${_l##*/}
	[ "$_l" = "$2" ] && return 0
	echo "$1 is on '$_l', expected '$2'" >&2
	return 1
}

# sim_fault RULE: arm a fault in the live simulator (tests/sim/README.md).
sim_fault() {
	echo "$1" >"$TRASH/live/sim/faults"
}

# --- the daemon --------------------------------------------------------------------------

# tokens_new: three bearer tokens in $TRASH/tokens (docs/security.md), one per role, exported
# as PASSD_TOKEN_READER, PASSD_TOKEN_OPERATOR and PASSD_TOKEN_ADMIN. Every curl of a test sends
# the admin token through $CURL_HOME/.curlrc (`curl -q ...` skips it: an anonymous request),
# and passctl sends it through PASSCTL_TOKEN.
tokens_new() {
	: >"$TRASH/tokens" || return 1
	for _role in reader operator admin; do
		_tok=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') || return 1
		printf 'test-%s %s %s\n' "$_role" "$_role" \
			"$(printf %s "$_tok" | sha256sum | cut -d' ' -f1)" >>"$TRASH/tokens" || return 1
		eval "PASSD_TOKEN_$(echo "$_role" | tr a-z A-Z)=\$_tok"
	done
	printf 'header = "Authorization: Bearer %s"\n' "$PASSD_TOKEN_ADMIN" >"$TRASH/.curlrc"
}
tokens_new || exit 99
CURL_HOME=$TRASH
PASSCTL_TOKEN=$PASSD_TOKEN_ADMIN
export PASSD_TOKEN_READER PASSD_TOKEN_OPERATOR PASSD_TOKEN_ADMIN CURL_HOME PASSCTL_TOKEN

# passd_log_ready: passd's log says ready; _port is its TCP port. Shell builtins only: in a VM
# guest a grep or sed costs 50 ms or more, taken from the passd that is starting.
passd_log_ready() {
	_ready=1 _port=
	while IFS= read -r _l; do
		case $_l in
		*"Listening on tcp:127.0.0.1:"*)
			_port=${_l##*127.0.0.1:}
			_port=${_port%%[!0-9]*}
			;;
		*" ready: "*) _ready=0 ;;
		esac
	done <"$TRASH/passd.log"
	return $_ready
}

# passd_start [ARGS...]: start passd on $TRASH/host with a TCP and a unix listener; sets
# PASSD_URL, PASSD_SOCK and PASSD_PID. Extra arguments go to passd.
passd_start() {
	case "${SYSFS_ROOT:=$TRASH/host/sys}" in
	"$TRASH"/*) ;;
	/sys) vm_guest || { echo "passd_start: refusing the real /sys outside a VM guest" >&2; return 1; } ;;
	*) echo "passd_start: refusing sysfs root '$SYSFS_ROOT' outside the trash dir" >&2; return 1 ;;
	esac
	passd_kill # left running by a test that failed half-way
	: >"$TRASH/empty.conf"
	[ -f "$TRASH/passd.log" ] && cat "$TRASH/passd.log" >>"$TRASH/passd.log.old"
	: >"$TRASH/passd.log"
	PASSD_SOCK="$TRASH/passd.sock"
	_host=${SYSFS_ROOT%/sys}
	"$PASSD" --config "$TRASH/empty.conf" --sysfs-root "$SYSFS_ROOT" \
		--proc-root "$_host/proc" --dev-root "$_host/dev" \
		--db "${PASSD_DB:-$TRASH/passd.db}" --listen tcp:127.0.0.1:0 \
		--listen "unix:$PASSD_SOCK" --libvirt-uri none --web-dir "$top_srcdir/web" \
		--token-file "$TRASH/tokens" \
		--log-level "${PASSD_LOG_LEVEL:-info}" "$@" >>"$TRASH/passd.log" 2>&1 &
	PASSD_PID=$!
	_i=0
	while [ $_i -lt 200 ]; do
		if passd_log_ready; then
			PASSD_URL="http://127.0.0.1:$_port"
			export PASSD_URL PASSD_SOCK
			return 0
		fi
		if ! kill -0 "$PASSD_PID" 2>/dev/null; then
			wait "$PASSD_PID"
			echo "passd_start: passd exited with status $? before it was ready:" >&2
			cat "$TRASH/passd.log" >&2
			PASSD_PID=
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "passd_start: passd not ready after 10 s" >&2
	return 1
}

# passd_stop: SIGTERM, and passd must exit 0 (a sanitizer finding makes it fail).
passd_stop() {
	[ -n "$PASSD_PID" ] || return 0
	kill -TERM "$PASSD_PID" 2>/dev/null
	wait "$PASSD_PID"
	_rc=$?
	PASSD_PID=
	if [ "$_rc" -ne 0 ]; then
		echo "passd exited with status $_rc" >&2
		tail -n 30 "$TRASH/passd.log" >&2
		return 1
	fi
}

passd_kill() {
	[ -n "$PASSD_PID" ] || return 0
	kill -KILL "$PASSD_PID" 2>/dev/null
	wait "$PASSD_PID" 2>/dev/null
	PASSD_PID=
}

# api PATH [CURL ARGS...]: GET over TCP; the body goes to ./body, the status to stdout.
api() {
	_path=$1
	shift
	curl -sS -o body -w '%{http_code}' "$@" "$PASSD_URL$_path"
}

# api_expect STATUS PATH [CURL ARGS...]
api_expect() {
	_want=$1
	shift
	_got=$(api "$@") || return 1
	[ "$_got" = "$_want" ] && return 0
	echo "expected HTTP $_want for $1, got $_got:" >&2
	cat body >&2
	return 1
}

# api_error_is CODE: ./body is a contract error with that code and a message.
api_error_is() {
	jq -e --arg c "$1" '.error.code == $c and (.error.message | type == "string" and length > 0)' body >/dev/null || {
		echo "body is not error '$1':" >&2
		cat body >&2
		return 1
	}
}

passctl() {
	"$PASSCTL" --socket "$PASSD_SOCK" "$@"
}

# devices_as_truth FILE: /v1/devices rendered in the truth format, device and group lines.
devices_as_truth() {
	curl -sSf "$PASSD_URL/v1/devices" >devices.json &&
	curl -sSf "$PASSD_URL/v1/groups" >groups.json &&
	jq -r '.devices[] | "\(.address) vendor=\(.vendor_id // "-") device=\(.device_id // "-") subsystem_vendor=\(.subsystem_vendor_id // "-") subsystem_device=\(.subsystem_device_id // "-") class=\(.class // "-") driver=\(.driver // "-") group=\(.iommu_group // "-") numa=\(.numa_node // -1) physfn=\(.physfn // "-")"' devices.json >"$1" &&
	jq -r '.groups | sort_by(.id)[] | "group \(.id): \(.devices | join(" "))"' groups.json >>"$1"
}
