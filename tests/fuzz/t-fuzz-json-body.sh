#!/bin/sh
# Replay the json-body seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-json-body" "$top_srcdir/tests/fuzz/corpus/json-body"
