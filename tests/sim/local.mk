# tests/sim/: the simulated host. Never links or includes daemon/ (it models the kernel on its own);
# from common/ it uses the header-only macro.h, so it does not need libcommon.a either.
check_PROGRAMS += tests/sim/passd-simgen
tests_sim_passd_simgen_SOURCES = tests/sim/simgen.c \
	tests/sim/sim-profile.c tests/sim/sim-profile.h \
	tests/sim/sim-tree.c tests/sim/sim-tree.h
tests_sim_passd_simgen_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSIM_PROFILEDIR='"$(abs_top_srcdir)/tests/sim/profiles"'
tests_sim_passd_simgen_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_sim_passd_simgen_LDADD = $(PTHREAD_LIBS)

TESTS += tests/sim/t-simgen.sh
EXTRA_DIST += tests/sim/profiles tests/sim/README.md tests/sim/t-simgen.sh
