/*
 * test-procfs.c - daemon/procfs: the parsers on the kernel's text, the readers on a real tree
 * built under mkdtemp().
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cmocka.h>

#include "procfs/procfs-priv.h"
#include "procfs/procfs.h"

#define S(text) text, sizeof(text) - 1

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* ---- mountinfo ---- */

static const char mountinfo_desktop[] =
	"22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
	"23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
	"27 22 259:1 / /boot/efi rw,relatime shared:6 - vfat /dev/nvme0n1p1 rw,fmask=0077\n"
	"28 22 8:1 / /home rw,relatime shared:7 - ext4 /dev/sda1 rw,errors=remount-ro\n";

static void test_procfs_mountinfo_fields(void **state)
{
	struct procfs_mount *m = NULL;
	size_t n = 0;

	assert_int_equal(procfs_parse_mountinfo(S(mountinfo_desktop), &m, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(m[0].major, 259);
	assert_int_equal(m[0].minor, 2);
	assert_string_equal(m[0].mount_point, "/");
	assert_string_equal(m[0].root, "/");
	assert_string_equal(m[0].fstype, "ext4");
	assert_string_equal(m[0].source, "/dev/nvme0n1p2");
	assert_int_equal(m[1].major, 0);
	assert_string_equal(m[1].fstype, "sysfs");
	assert_int_equal(m[3].major, 8);
	assert_int_equal(m[3].minor, 1);
	assert_string_equal(m[3].mount_point, "/home");
	procfs_mounts_free(m, n);
}

static void test_procfs_mountinfo_escapes_and_optional_fields(void **state)
{
	static const char text[] =
		/* a space, a tab, a backslash and a newline in paths; no optional fields */
		"31 22 8:17 /data\\040dir /mnt/my\\040disk\\011x rw - ext4 /dev/sdb1 rw\n"
		"32 22 8:18 / /a\\134b\\012c rw - ext4 /dev/sd\\040c rw\n"
		/* several optional fields before the separator */
		"33 22 8:19 / /multi rw shared:3 master:1 propagate_from:2 - xfs /dev/sdc1 rw\n"
		/* a backslash not followed by three octal digits stays as it is */
		"34 22 8:20 / /odd\\09 rw - ext4 /dev/sdd rw\n";
	struct procfs_mount *m = NULL;
	size_t n = 0;

	assert_int_equal(procfs_parse_mountinfo(S(text), &m, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(m[0].root, "/data dir");
	assert_string_equal(m[0].mount_point, "/mnt/my disk\tx");
	assert_string_equal(m[1].mount_point, "/a\\b\nc");
	assert_string_equal(m[1].source, "/dev/sd c");
	assert_string_equal(m[2].mount_point, "/multi");
	assert_string_equal(m[2].fstype, "xfs");
	assert_string_equal(m[2].source, "/dev/sdc1");
	assert_string_equal(m[3].mount_point, "/odd\\09");
	procfs_mounts_free(m, n);
}

static void test_procfs_mountinfo_bind_overlay_btrfs(void **state)
{
	static const char text[] =
		/* btrfs: an anonymous device number, the subvolume as the root */
		"30 1 0:35 /@rootfs / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,subvol=/@rootfs\n"
		/* a bind mount of a directory of the root filesystem */
		"41 30 0:35 /@rootfs/srv /export rw master:3 - btrfs /dev/nvme0n1p2 rw\n"
		"42 30 259:3 /var/lib /bind rw - ext4 /dev/nvme0n1p3 rw\n"
		/* overlay: no block device behind it */
		"50 30 0:50 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a\n"
		"51 30 253:0 / /data rw - xfs /dev/mapper/vg-data rw\n";
	struct procfs_mount *m = NULL;
	size_t n = 0;

	assert_int_equal(procfs_parse_mountinfo(S(text), &m, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(m[0].major, 0);
	assert_int_equal(m[0].minor, 35);
	assert_string_equal(m[0].root, "/@rootfs");
	assert_string_equal(m[0].source, "/dev/nvme0n1p2");
	assert_string_equal(m[1].root, "/@rootfs/srv");
	assert_string_equal(m[1].mount_point, "/export");
	assert_string_equal(m[2].root, "/var/lib");
	assert_string_equal(m[3].fstype, "overlay");
	assert_string_equal(m[3].source, "overlay");
	assert_int_equal(m[4].major, 253);
	assert_string_equal(m[4].source, "/dev/mapper/vg-data");
	procfs_mounts_free(m, n);
}

static void test_procfs_mountinfo_skips_garbage(void **state)
{
	static const char text[] = "\n"
				   "garbage\n"
				   "1 2 3:4 / / - ext4\n"		     /* too short */
				   " 1 2 3:4 / / rw - a b c\n"		     /* leading blank */
				   "1 2 x:4 / / rw - a b c\n"		     /* bad major */
				   "1 2 3:4 rel / rw - a b c\n"		     /* relative root */
				   "1 2 3:4 / /\\000x rw - a b c\n"	     /* escaped NUL */
				   "1 2 3:4 / / rw - a b c \n"		     /* trailing blank */
				   "1 2 99999999999:4 / / rw - a b c\n"	     /* overflow */
				   "1 2 3:4 / / rw a b c d e\n"		     /* no separator */
				   "1  2 3:4 / / rw - a b c\n"		     /* double blank */
				   "7 1 8:2 / /ok rw - ext4 /dev/sda2 rw"; /* no final newline */
	struct procfs_mount *m = NULL;
	size_t n = 0;

	assert_int_equal(procfs_parse_mountinfo(S(text), &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].mount_point, "/ok");
	procfs_mounts_free(m, n);

	assert_int_equal(procfs_parse_mountinfo("", 0, &m, &n), 0);
	assert_non_null(m);
	assert_int_equal(n, 0);
	procfs_mounts_free(m, n);
}

/* ---- swaps ---- */

static void test_procfs_swaps_partition_and_file(void **state)
{
	static const char text[] =
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/nvme0n1p3                          partition\t244190646\t0\t\t-2\n"
		"/swap\\040file                          file\t\t1048572\t\t0\t\t-3\n"
		"/old\\040(deleted)                      file\t\t1048572\t\t0\t\t-4\n"
		"/dev/dm-1 partition 8 0\n"	/* a field short */
		"relative partition 8 0 -1\n" /* not a path */
		"/x weird 1 2 3\n";		/* unknown type */
	struct procfs_swap *s = NULL;
	size_t n = 0;

	assert_int_equal(procfs_parse_swaps(S(text), &s, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].path, "/dev/nvme0n1p3");
	assert_true(s[0].is_partition);
	assert_string_equal(s[1].path, "/swap file");
	assert_false(s[1].is_partition);
	assert_string_equal(s[2].path, "/old");
	procfs_swaps_free(s, n);

	assert_int_equal(procfs_parse_swaps(S("Filename\tType\tSize\tUsed\tPriority\n"), &s, &n), 0);
	assert_int_equal(n, 0);
	procfs_swaps_free(s, n);
}

/* ---- routes ---- */

static const char route_header[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT   \n";

static void test_procfs_route_default(void **state)
{
	char text[1024];
	char **v = NULL;

	snprintf(text, sizeof(text), "%s%s%s", route_header,
		 "eno1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0       \n",
		 "eno1\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0       \n");
	assert_int_equal(procfs_parse_route(text, strlen(text), &v), 0);
	assert_int_equal(strv_len(v), 1);
	assert_string_equal(v[0], "eno1");
	procfs_strv_free(v);
}

static void test_procfs_route_without_default(void **state)
{
	char text[1024];
	char **v = NULL;

	snprintf(text, sizeof(text), "%s%s", route_header,
		 "eno1\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
	assert_int_equal(procfs_parse_route(text, strlen(text), &v), 0);
	assert_int_equal(strv_len(v), 0);
	procfs_strv_free(v);
	assert_int_equal(procfs_parse_route("", 0, &v), 0);
	assert_int_equal(strv_len(v), 0);
	procfs_strv_free(v);
}

static void test_procfs_route_many_defaults_and_garbage(void **state)
{
	static const char text[] =
		"br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		"wwan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
		"br0\t00000000\t0201A8C0\t0003\t0\t0\t50\t00000000\t0\t0\t0\n" /* repeated */
		"down0\t00000000\t00000000\t0002\t0\t0\t0\t00000000\t0\t0\t0\n" /* not RTF_UP */
		"a/b\t00000000\t0\t1\t0\t0\t0\t0\t0\t0\t0\n"			/* not a name */
		"xxxxxxxxxxxxxxxxxxx\t00000000\t0\t1\t0\t0\t0\t0\t0\t0\t0\n"	/* too long */
		"half\t00000000\t0\t1\t0\n"					/* short */
		"bad\tZZZZZZZZ\t0\t1\t0\t0\t0\t0\t0\t0\t0\n";
	char **v = NULL;

	assert_int_equal(procfs_parse_route(S(text), &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "br0");
	assert_string_equal(v[1], "wwan0");
	procfs_strv_free(v);
}

static void test_procfs_ipv6_route_default(void **state)
{
	static const char text[] =
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"fe800000000000000000000000000001 00000400 00000001 00000000 00000003   enp3s0\n"
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
		"fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00000100 00000001 00000000 00000001   enp4s0\n";
	char **v = NULL;

	assert_int_equal(procfs_parse_ipv6_route(S(text), &v), 0);
	assert_int_equal(strv_len(v), 1);
	assert_string_equal(v[0], "enp3s0");
	procfs_strv_free(v);
}

/* ---- cmdline ---- */

static void test_procfs_cmdline_words_and_quotes(void **state)
{
	char **v = NULL;

	assert_int_equal(procfs_parse_cmdline(S("BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro  "
						"intel_iommu=on\n"),
					      &v),
			 0);
	assert_int_equal(strv_len(v), 4);
	assert_string_equal(v[1], "root=/dev/nvme0n1p2");
	assert_string_equal(v[3], "intel_iommu=on");
	procfs_strv_free(v);

	assert_int_equal(procfs_parse_cmdline(S("a \"b c\" d=\"e f\"g \"\" \"unterminated x"), &v),
			 0);
	assert_int_equal(strv_len(v), 4);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b c");
	assert_string_equal(v[2], "d=e fg");
	assert_string_equal(v[3], "unterminated x");
	procfs_strv_free(v);
}

/* ---- readers on a tree ---- */

struct fixture {
	char root[64];
	struct procfs *p;
};

static void write_file(const struct fixture *fx, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[PATH_MAX];

	assert_non_null(fx);
	strcpy(fx->root, "/tmp/test-procfs.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(path, sizeof(path), "%s/self", fx->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/net", fx->root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(procfs_new(fx->root, &fx->p), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	procfs_free(fx->p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void test_procfs_readers_on_a_tree(void **state)
{
	struct fixture *fx = *state;
	struct procfs_mount *m = NULL;
	struct procfs_swap *s = NULL;
	char **v = NULL;
	size_t n = 0;

	write_file(fx, "self/mountinfo", mountinfo_desktop);
	write_file(fx, "swaps", "Filename Type Size Used Priority\n/dev/nvme0n1p3 partition 1 0 -2\n");
	write_file(fx, "net/route",
		   "Iface\tDestination\n"
		   "eno1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
	write_file(fx, "net/ipv6_route",
		   "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		   "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eno2\n");
	write_file(fx, "cmdline", "root=/dev/nvme0n1p2 ro\n");

	assert_int_equal(procfs_read_mountinfo(fx->p, &m, &n), 0);
	assert_int_equal(n, 4);
	procfs_mounts_free(m, n);
	assert_int_equal(procfs_read_swaps(fx->p, &s, &n), 0);
	assert_int_equal(n, 1);
	procfs_swaps_free(s, n);
	assert_int_equal(procfs_read_default_routes(fx->p, &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "eno1");
	assert_string_equal(v[1], "eno2");
	procfs_strv_free(v);
	assert_int_equal(procfs_read_cmdline(fx->p, &v), 0);
	assert_int_equal(strv_len(v), 2);
	procfs_strv_free(v);
	assert_string_equal(procfs_get_root(fx->p), fx->root);

	/* not a real proc: nothing signals a change, so every read reads */
	write_file(fx, "self/mountinfo", "22 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n");
	assert_int_equal(procfs_read_mountinfo(fx->p, &m, &n), 0);
	assert_int_equal(n, 1);
	procfs_mounts_free(m, n);
	assert_int_equal(fx->p->watch[PROCFS_WATCH_MOUNTINFO].fd, -1);
	assert_int_equal(fx->p->watch[PROCFS_WATCH_MOUNTINFO].hits, 0);
}

static bool has_mount_point(const struct procfs_mount *m, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].mount_point, path) == 0)
			return true;
	return false;
}

/*
 * On the real /proc, in a mount namespace of our own: mountinfo is read once and answered from
 * the kept text until a mount or an unmount, which the next read sees at once.
 */
static void test_procfs_watch_on_real_proc(void **state)
{
	const struct procfs_watch *w;
	struct procfs_mount *m = NULL;
	struct procfs_swap *s = NULL;
	char dir[] = "/tmp/test-procfs-watch.XXXXXX";
	struct procfs *p = NULL;
	struct statfs sf;
	size_t n = 0;

	(void)state;
	if (statfs("/proc", &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		skip(); /* no real proc here */
	if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		skip(); /* no namespace of our own: mounting would touch the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(procfs_new("/proc", &p), 0);
	w = &p->watch[PROCFS_WATCH_MOUNTINFO];

	assert_int_equal(procfs_read_mountinfo(p, &m, &n), 0);
	assert_false(has_mount_point(m, n, dir));
	procfs_mounts_free(m, n);
	assert_true(w->fd >= 0);
	assert_int_equal(w->reads, 1);
	assert_int_equal(procfs_read_mountinfo(p, &m, &n), 0);
	procfs_mounts_free(m, n);
	assert_int_equal(w->reads, 1);
	assert_int_equal(w->hits, 1);

	if (mount("passd-test", dir, "tmpfs", 0, "size=64k") < 0) {
		procfs_free(p);
		(void)rmdir(dir);
		skip();
	}
	assert_int_equal(procfs_read_mountinfo(p, &m, &n), 0);
	assert_true(has_mount_point(m, n, dir));
	procfs_mounts_free(m, n);
	assert_int_equal(w->reads, 2);
	assert_int_equal(procfs_read_mountinfo(p, &m, &n), 0);
	assert_true(has_mount_point(m, n, dir));
	procfs_mounts_free(m, n);
	assert_int_equal(w->hits, 2);

	assert_int_equal(umount(dir), 0);
	assert_int_equal(procfs_read_mountinfo(p, &m, &n), 0);
	assert_false(has_mount_point(m, n, dir));
	procfs_mounts_free(m, n);
	assert_int_equal(w->reads, 3);

	/* swaps: no swapon here, but the second read is answered from the first */
	if (procfs_read_swaps(p, &s, &n) == 0) {
		procfs_swaps_free(s, n);
		assert_int_equal(procfs_read_swaps(p, &s, &n), 0);
		procfs_swaps_free(s, n);
		assert_int_equal(p->watch[PROCFS_WATCH_SWAPS].reads, 1);
		assert_int_equal(p->watch[PROCFS_WATCH_SWAPS].hits, 1);
	}
	procfs_free(p);
	assert_int_equal(rmdir(dir), 0);
}

static void test_procfs_missing_files_are_enoent(void **state)
{
	struct fixture *fx = *state;
	struct procfs_mount *m = NULL;
	struct procfs_swap *s = NULL;
	char **v = NULL;
	size_t n = 7;

	assert_int_equal(procfs_read_mountinfo(fx->p, &m, &n), -ENOENT);
	assert_null(m);
	assert_int_equal(n, 7);
	assert_int_equal(procfs_read_swaps(fx->p, &s, &n), -ENOENT);
	assert_null(s);
	assert_int_equal(procfs_read_default_routes(fx->p, &v), -ENOENT);
	assert_null(v);
	assert_int_equal(procfs_read_cmdline(fx->p, &v), -ENOENT);
	assert_null(v);
	/* IPv4 alone is enough: no ipv6_route is fine */
	write_file(fx, "net/route", "eno1\t00000000\t0\t0001\t0\t0\t0\t00000000\t0\t0\t0\n");
	assert_int_equal(procfs_read_default_routes(fx->p, &v), 0);
	assert_int_equal(strv_len(v), 1);
	procfs_strv_free(v);
}

static void test_procfs_new_rejects_missing_root(void **state)
{
	struct procfs *p = NULL;

	assert_int_equal(procfs_new("/nonexistent/passd-test-proc", &p), -ENOENT);
	assert_null(p);
	assert_int_equal(procfs_new("", &p), -EINVAL);
	procfs_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_mountinfo_fields),
		cmocka_unit_test(test_procfs_mountinfo_escapes_and_optional_fields),
		cmocka_unit_test(test_procfs_mountinfo_bind_overlay_btrfs),
		cmocka_unit_test(test_procfs_mountinfo_skips_garbage),
		cmocka_unit_test(test_procfs_swaps_partition_and_file),
		cmocka_unit_test(test_procfs_route_default),
		cmocka_unit_test(test_procfs_route_without_default),
		cmocka_unit_test(test_procfs_route_many_defaults_and_garbage),
		cmocka_unit_test(test_procfs_ipv6_route_default),
		cmocka_unit_test(test_procfs_cmdline_words_and_quotes),
		cmocka_unit_test_setup_teardown(test_procfs_readers_on_a_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procfs_missing_files_are_enoent, setup, teardown),
		cmocka_unit_test(test_procfs_new_rejects_missing_root),
		cmocka_unit_test(test_procfs_watch_on_real_proc),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
