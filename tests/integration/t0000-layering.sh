#!/bin/sh
# The dependency rules of STYLE.md 2.1, as a test so that a violation fails the suite.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
echo "1..1"
if out=$(sh "$top_srcdir/tests/check-layering.sh" "$top_srcdir" 2>&1); then
	echo "ok 1 - layers depend one way ($out)"
else
	echo "not ok 1 - layering violations"
	printf '%s\n' "$out" | sed 's/^/#   /'
	exit 1
fi
