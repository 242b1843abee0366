# tests/fuzz/: libFuzzer targets. make check replays each seed corpus through fuzz-main.c.
check_PROGRAMS += tests/fuzz/fuzz-pci-addr
tests_fuzz_fuzz_pci_addr_SOURCES = tests/fuzz/fuzz-pci-addr.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_pci_addr_LDADD = common/libcommon.a
TESTS += tests/fuzz/t-fuzz-pci-addr.sh
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/t-fuzz-pci-addr.sh
