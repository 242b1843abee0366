#!/bin/sh
# Replay the router seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-router" "$top_srcdir/tests/fuzz/corpus/router"
