#!/bin/sh
# Replay the host preflight parsers' seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-preflight" "$top_srcdir/tests/fuzz/corpus/preflight"
