/*
 * procfs.h - the only code in passd that reads procfs.
 *
 * Every path is relative to the root given to procfs_new() ("/proc" in production, a simulated
 * host's proc/ in tests) and is opened with openat() on that root's descriptor. The parsers are
 * pure functions over a buffer (not NUL-terminated), so unit tests and fuzzers feed them text;
 * the readers only add the file. Parsing is strict and forgiving at once: a malformed line is
 * skipped, never a failure. Functions return 0 or a negative errno and never log above debug.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

struct procfs; /* opaque */

/* One line of self/mountinfo (fs/proc_namespace.c, show_mountinfo()). Strings unescaped. */
struct procfs_mount {
	unsigned major, minor; /* st_dev of the filesystem; major 0 for anonymous (tmpfs, btrfs) */
	char *root;	       /* the mount's root inside its filesystem ("/" or a subvolume/bind) */
	char *mount_point;
	char *fstype; /* "ext4", "fuse.sshfs" */
	char *source; /* "/dev/nvme0n1p2", "tmpfs", "none" */
};

/* One line of swaps (mm/swapfile.c, swap_show()). */
struct procfs_swap {
	char *path;	   /* unescaped; a "(deleted)" suffix is dropped */
	bool is_partition; /* Type "partition"; else a file */
};

/* Open @root (a directory). Returns 0, -ENOENT/-ENOTDIR/-EACCES, or -ENOMEM. */
int procfs_new(const char *root, struct procfs **ret);
void procfs_free(struct procfs *p);
DEFINE_FREEP(struct procfs, procfs_free)

/* The root as given to procfs_new(); borrowed. */
const char *procfs_get_root(const struct procfs *p);

/* Free an array returned by the functions below (NULL accepted). */
void procfs_mounts_free(struct procfs_mount *v, size_t n);
void procfs_swaps_free(struct procfs_swap *v, size_t n);
/* Free a NULL-terminated array of strings (NULL accepted). */
void procfs_strv_free(char **v);
DEFINE_FREEP(char *, procfs_strv_free)

/*
 * Parse mountinfo text (@len bytes, NUL not required). *ret_v is owned by the caller and
 * non-NULL even when *ret_n is 0. Octal escapes (\040 for a space) are decoded; lines that do
 * not have the format, or decode to a NUL byte, are skipped. Returns 0 or -ENOMEM (ret_ untouched).
 */
int procfs_parse_mountinfo(const char *text, size_t len, struct procfs_mount **ret_v,
			   size_t *ret_n);

/* Parse swaps text (header line skipped). As procfs_parse_mountinfo(). */
int procfs_parse_swaps(const char *text, size_t len, struct procfs_swap **ret_v, size_t *ret_n);

/*
 * The interfaces that carry an IPv4 default route (destination and mask 00000000, RTF_UP) in
 * net/route text, once each, in table order: a NULL-terminated array, empty when there is no
 * default route. Interface names that could not be a kernel name are skipped. 0 or -ENOMEM.
 */
int procfs_parse_route(const char *text, size_t len, char ***ret_ifaces);

/*
 * The IPv6 default routes of net/ipv6_route (destination ::/0, RTF_UP, not via "lo", which is
 * how the kernel lists its unreachable placeholder), as procfs_parse_route().
 */
int procfs_parse_ipv6_route(const char *text, size_t len, char ***ret_ifaces);

/*
 * Split cmdline text into words as the kernel's next_arg() does: blanks separate, double
 * quotes group and are removed. A NULL-terminated array. 0 or -ENOMEM.
 */
int procfs_parse_cmdline(const char *text, size_t len, char ***ret_words);

/*
 * Read and parse ROOT/self/mountinfo, ROOT/swaps, ROOT/net/route (+ net/ipv6_route when
 * present) and ROOT/cmdline. Each returns what its parser does, or the open/read error
 * (-ENOENT when the file is missing), or -EFBIG for a file over 16 MiB.
 */
int procfs_read_mountinfo(struct procfs *p, struct procfs_mount **ret_v, size_t *ret_n);
int procfs_read_swaps(struct procfs *p, struct procfs_swap **ret_v, size_t *ret_n);
int procfs_read_default_routes(struct procfs *p, char ***ret_ifaces);
int procfs_read_cmdline(struct procfs *p, char ***ret_words);

/* ---- host facts for the preflight (host.c) ---- */

enum procfs_cpu_vendor {
	PROCFS_CPU_VENDOR_OTHER,
	PROCFS_CPU_VENDOR_INTEL, /* vendor_id GenuineIntel */
	PROCFS_CPU_VENDOR_AMD,	 /* vendor_id AuthenticAMD (or HygonGenuine, AMD-V alike) */
};

/* What cpuinfo says about hardware virtualization (arch/x86/kernel/cpu/proc.c show_cpuinfo()). */
struct procfs_cpuinfo {
	enum procfs_cpu_vendor vendor;
	char vendor_id[16];  /* as printed, "" when no line had it */
	unsigned cpus;	     /* "flags" lines seen, one per online CPU */
	bool vmx, svm;	     /* on every CPU (the kernel clears vmx when the firmware locked it off) */
	bool hypervisor;     /* the "hypervisor" flag: this host is a virtual machine */
};

/*
 * Parse cpuinfo text: the vendor from the first vendor_id line, the flags of every processor
 * block. Lines that do not look like "key<TAB>: value" are skipped. Returns 0 (never fails);
 * *ret is always written.
 */
int procfs_parse_cpuinfo(const char *text, size_t len, struct procfs_cpuinfo *ret);

/*
 * The names of the modules in modules text (kernel/module/procfs.c m_show(): "NAME SIZE REFS
 * DEPS STATE ADDR"), in file order, those being unloaded left out. A NULL-terminated array;
 * names that are not [A-Za-z0-9_-] are skipped. 0 or -ENOMEM.
 */
int procfs_parse_modules(const char *text, size_t len, char ***ret_names);

/*
 * The release in version text ("Linux version 6.1.0-13-amd64 (...) ..."), which is what
 * uname -r prints and names /lib/modules/RELEASE. A new string; -EINVAL when the text does not
 * start that way or the release holds a '/', -ENOMEM.
 */
int procfs_parse_version(const char *text, size_t len, char **ret_release);

/* Read and parse ROOT/cpuinfo, ROOT/modules and ROOT/version; as the readers above. */
int procfs_read_cpuinfo(struct procfs *p, struct procfs_cpuinfo *ret);
int procfs_read_modules(struct procfs *p, char ***ret_names);
int procfs_read_kernel_release(struct procfs *p, char **ret_release);
