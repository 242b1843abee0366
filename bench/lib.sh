# bench/lib.sh - what the benches share: the optimised tree, a work directory with an admin
# token, passd-sim and passd started and waited for, and the quantiles. Sourced (POSIX sh):
#   here=$(cd "$(dirname "$0")/.." && pwd)
#   . "$here/bench/lib.sh"
# bench_build works alone (the VM benches' host side); the rest wants bench_work first.
build=${BENCH_BUILD:-$here/build-bench} # BENCH_BUILD: another optimised tree

# bench_build [TARGET...]: configure $build -O2 once and make TARGETs (default: all); the build
# stays quiet unless it fails. Leaves the shell in $build.
bench_build() {
	cd "$here" || exit 1
	[ -x configure ] || autoreconf -fi >/dev/null
	mkdir -p "$build"
	cd "$build" || exit 1
	[ -f Makefile ] || "$here/configure" -q CFLAGS="-O2 -g"
	make -j2 "$@" >"$build/bench-build.log" 2>&1 ||
		{ tail -n 20 "$build/bench-build.log" >&2; echo "bench: make $* failed" >&2; exit 1; }
}

# bench_work NAME: a work directory ($work, removed at exit) on tmpfs where there is one (the
# simulator and the database are faster there, and the floor of issue 3 is measured there), an
# admin token in $work/tokens (docs/security.md) that every curl sends through
# $CURL_HOME/.curlrc, and stop() for what bench_sim and bench_passd start.
bench_work() {
	work=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/passd-$1.XXXXXX")
	live=$work/live
	token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	echo "bench admin $(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
	printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/.curlrc"
	CURL_HOME=$work
	export CURL_HOME
	pid= sim=
	trap 'stop; rm -rf "$work"' EXIT
}

# stop: passd and passd-sim, if running, and the simulator's mount.
stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	pid= sim=
	if grep -qs " $live fuse" /proc/mounts; then fusermount3 -u "$live"; fi
	return 0
}

# bench_sim PROFILE [PASSD-SIM OPTION...]: the live simulator of tests/sim/profiles/PROFILE
# mounted on $live, once it answers; sim is its pid.
bench_sim() {
	_profile=$here/tests/sim/profiles/$1.profile
	shift
	mkdir -p "$live"
	"$build/tests/sim/passd-sim" "$@" "$_profile" "$live" 2>"$work/sim.log" &
	sim=$!
	until [ -e "$live/sim/stats" ]; do sleep 0.05; done
}

# bench_passd ROOT URI [WRAPPER...]: passd (under WRAPPER: valgrind, strace) on the simulated
# host at ROOT (its sys, proc and dev, as test-lib's passd_start) with libvirt URI, a fresh
# database, any TCP port, the token, no rescans and no rate limit. Waits for its ready line (60 s:
# valgrind is slow); sets pid, log (a new one each time: the last one's ready line must not be
# taken for this one's) and url.
bench_passd() {
	_root=$1 _uri=$2
	shift 2
	log="$work/passd.$(date +%s%N).log"
	rm -f "$work/passd.db"*
	"$@" "$build/daemon/passd" --config /dev/null --sysfs-root "$_root/sys" \
		--proc-root "$_root/proc" --dev-root "$_root/dev" --db "$work/passd.db" \
		--listen tcp:127.0.0.1:0 --libvirt-uri "$_uri" --web-dir "$here/web" \
		--rescan-interval 0 --token-file "$work/tokens" --rate-limit 0 >"$log" 2>&1 &
	pid=$!
	_i=0
	until grep -qs ' ready: ' "$log"; do
		_i=$((_i + 1)); [ $_i -lt 1200 ] || { cat "$log"; exit 1; }
		sleep 0.05
	done
	url="http://127.0.0.1:$(sed -n 's/.*Listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")"
}

# bench_q COLUMN: the median and p95 of column COLUMN of stdin, two decimals each, and the count.
bench_q() {
	awk -v c="$1" '{print $c}' | sort -g |
		awk '{a[NR] = $1} END {printf "%.2f %.2f %d", a[int((NR + 1) / 2)], a[int(NR * 0.95 + 0.999)], NR}'
}
