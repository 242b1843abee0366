#!/bin/sh
# Replay the tokens seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-tokens" "$top_srcdir/tests/fuzz/corpus/tokens"
