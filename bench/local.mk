# bench/: benchmark programs (not tests), run by bench/discovery.sh.
# floor is standalone on purpose: it links no passd library, so it shares no bug or cost with passd.
noinst_PROGRAMS += bench/floor bench/scan-bench
bench_floor_SOURCES = bench/floor.c
bench_floor_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
bench_floor_LDADD = $(PTHREAD_LIBS)
bench_scan_bench_SOURCES = bench/scan-bench.c
bench_scan_bench_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
bench_scan_bench_LDADD = $(CORE_LIBS) $(JANSSON_LIBS)
EXTRA_DIST += bench/lib.sh bench/discovery.sh bench/README.md bench/vm-peers.sh bench/assign.sh \
	bench/bind.sh bench/bind-profile.sh bench/bind-ab.sh bench/vm-assign.sh bench/cpu-mark.c
