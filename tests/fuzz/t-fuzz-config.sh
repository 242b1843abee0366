#!/bin/sh
# Replay the config seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-config" "$top_srcdir/tests/fuzz/corpus/config"
