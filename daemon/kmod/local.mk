# daemon/kmod/: the only code that reads the modules directory or runs modprobe(8). Depends on
# common/ only.
noinst_LIBRARIES += daemon/kmod/libkmodw.a
daemon_kmod_libkmodw_a_SOURCES = daemon/kmod/kmod.c daemon/kmod/kmod.h
