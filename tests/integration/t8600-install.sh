#!/bin/sh
test_description='make install DESTDIR=...: every file in its place, the units pointing at it; uninstall removes them'
. "$top_srcdir/tests/lib/test-lib.sh"

[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in $top_builddir"
command -v make >/dev/null || skip_all "make is missing"

DEST=$TRASH/root
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")

test_expect_success 'make install DESTDIR= installs' '
	make -s -C "$top_builddir" install DESTDIR="$DEST" >install.log 2>&1 || { cat install.log; false; }
'

test_expect_success 'the file list' '
	(cd "$DEST" && find . -type f | sed "s|^\./|/|" | sort) >got &&
	cat got &&
	cat >want.rel <<-EOF &&
	$prefix/bin/passctl
	$prefix/sbin/passd
	$prefix/lib/tmpfiles.d/passd.conf
	$prefix/lib/sysusers.d/passd.conf
	$prefix/share/bash-completion/completions/passctl
	$prefix/share/doc/passd/examples/passd.conf.example
	$prefix/share/man/man1/passctl.1
	$prefix/share/man/man5/passd.conf.5
	$prefix/share/man/man8/passd.8
	$prefix/share/passd/web/actions.js
	$prefix/share/passd/web/app.js
	$prefix/share/passd/web/index.html
	$prefix/share/passd/web/style.css
	EOF
	for f in $(cat want.rel); do grep -qx "$f" got || { echo "missing: $f" >&2; return 1; }; done &&
	grep -q "/passd\.service$" got && grep -q "/passd-early\.service$" got
'

test_expect_success 'the units run the installed passd, and passd serves the installed dashboard' '
	unit=$(grep "/passd\.service$" got) && early=$(grep "/passd-early\.service$" got) &&
	grep -x "ExecStart=$prefix/sbin/passd --foreground" "$DEST$unit" &&
	grep -x "ExecStart=$prefix/sbin/passd --apply-bindings --foreground" "$DEST$early" &&
	"$DEST$prefix/sbin/passd" --help >help &&
	grep -F "(default: $prefix/share/passd/web)" help
'

test_expect_success 'the man pages name this version and render without warnings' '
	v=$("$DEST$prefix/sbin/passd" --version | cut -d" " -f2) &&
	for m in man1/passctl.1 man5/passd.conf.5 man8/passd.8; do
		grep -q "passd $v" "$DEST$prefix/share/man/$m" || return 1
		! grep -q "@VERSION@" "$DEST$prefix/share/man/$m" || return 1
		if command -v groff >/dev/null; then
			groff -man -ww -z "$DEST$prefix/share/man/$m" 2>warn && test_cmp /dev/null warn || return 1
		fi
	done
'

test_expect_success 'make uninstall removes every file' '
	make -s -C "$top_builddir" uninstall DESTDIR="$DEST" >uninstall.log 2>&1 &&
	(cd "$DEST" && find . -type f) >left &&
	test_cmp /dev/null left
'

test_done
