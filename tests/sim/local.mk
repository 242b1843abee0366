# tests/sim/: the simulated host. Links common/ only, never daemon/ (it models the kernel on its own).
check_PROGRAMS += tests/sim/passd-simgen
tests_sim_passd_simgen_SOURCES = tests/sim/simgen.c
tests_sim_passd_simgen_LDADD = common/libcommon.a
EXTRA_DIST += tests/sim/profiles
