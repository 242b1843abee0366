/*
 * kmod.h - kernel modules: whether one can be loaded, and loading it with modprobe(8).
 *
 * The only code in passd that reads the modules directory (/lib/modules/RELEASE) or runs a
 * program. No libkmod: modules.dep and modules.builtin are plain text (kmod's depmod writes them,
 * one module path a line), and loading runs /sbin/modprobe so the distribution's options and
 * blacklists in /etc/modprobe.d apply. Functions return 0 or a negative errno and never log.
 */
#pragma once

#include <stddef.h>

enum kmod_availability {
	KMOD_AVAILABILITY_UNKNOWN,  /* no modules directory to look in */
	KMOD_AVAILABILITY_BUILTIN,  /* modules.builtin lists it */
	KMOD_AVAILABILITY_LOADABLE, /* modules.dep lists it */
	KMOD_AVAILABILITY_MISSING,  /* the directory is there and lists it nowhere */
};

const char *kmod_availability_to_string(enum kmod_availability a);

/*
 * Look @name up ("vfio_pci" or "vfio-pci": '-' and '_' are the same to the kernel) in
 * @modules_dir/@release/modules.builtin and modules.dep. -ENOENT when neither file exists there
 * (the caller cannot tell), -EINVAL for a bad name or release, else 0 with *ret set.
 */
int kmod_lookup(const char *modules_dir, const char *release, const char *name,
		enum kmod_availability *ret);

/*
 * The same lookup over the texts of modules.builtin (@builtin) and modules.dep (@dep), either
 * NULL when absent; for tests and fuzzing. Never fails.
 */
enum kmod_availability kmod_lookup_text(const char *builtin, size_t builtin_len, const char *dep,
					size_t dep_len, const char *name);

/*
 * Run "@modprobe @name" and wait for it; *ret_status is its exit status (0 loaded), and up to
 * @errsize - 1 bytes of its stderr go to @errbuf (NUL-terminated, may be empty). Returns 0 when
 * it ran (whatever its status), or the errno of pipe/fork/waitpid; -ENOENT when @modprobe cannot
 * be executed (reported through the exit status 127 by the child, turned into -ENOENT here).
 */
int kmod_modprobe(const char *modprobe, const char *name, int *ret_status, char *errbuf,
		  size_t errsize);
