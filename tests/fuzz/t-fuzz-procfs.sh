#!/bin/sh
# Replay the procfs parsers' seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-procfs" "$top_srcdir/tests/fuzz/corpus/procfs"
