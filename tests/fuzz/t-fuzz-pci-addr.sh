#!/bin/sh
# Replay the PCI address parser's seed corpus (under ASan/UBSan in CI).
exec "$top_builddir/tests/fuzz/fuzz-pci-addr" "$top_srcdir/tests/fuzz/corpus/pci-addr"
