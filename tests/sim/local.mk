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

if HAVE_FUSE
# passd-sim: the live simulated kernel (FUSE), see tests/sim/README.md
check_PROGRAMS += tests/sim/passd-sim
tests_sim_passd_sim_SOURCES = tests/sim/passd-sim.c \
	tests/sim/sim-vfs.c tests/sim/sim-vfs.h \
	tests/sim/sim-fault.c tests/sim/sim-fault.h \
	tests/sim/sim-profile.c tests/sim/sim-profile.h \
	tests/sim/sim-tree.c tests/sim/sim-tree.h
tests_sim_passd_sim_CPPFLAGS = $(AM_CPPFLAGS) $(FUSE_CFLAGS) \
	-DSIM_PROFILEDIR='"$(abs_top_srcdir)/tests/sim/profiles"'
tests_sim_passd_sim_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_sim_passd_sim_LDADD = $(FUSE_LIBS) $(PTHREAD_LIBS)

TESTS += tests/sim/t-sim-live.sh
endif
EXTRA_DIST += tests/sim/t-sim-live.sh
