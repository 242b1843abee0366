/*
 * fuzz-procfs - libFuzzer target for the procfs parsers (mountinfo, swaps, net/route,
 * net/ipv6_route, cmdline).
 *
 * The first byte picks the parser, the rest is the file's text. Properties: no parser reads
 * past the input or fails on it (only -ENOMEM is allowed), what they return is well formed
 * (mount points and swap paths absolute, interface names short and slash-free, no empty word).
 * make check replays the seed corpus through fuzz-main.c.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ifaces(char **v)
{
	for (char **s = v; *s; s++)
		if (**s == '\0' || strlen(*s) > 15 || strchr(*s, '/'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procfs_mount *m = NULL;
	struct procfs_swap *sw = NULL;
	char **v = NULL;
	size_t n = 0;
	char *copy;
	int r = 0;

	if (size == 0)
		return 0;
	/* An exact-size heap copy without a NUL, so ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);

	switch (data[0] % 5) {
	case 0:
		r = procfs_parse_mountinfo(copy, size - 1, &m, &n);
		for (size_t i = 0; r == 0 && i < n; i++)
			if (m[i].mount_point[0] != '/' || m[i].root[0] != '/' || !m[i].fstype ||
			    !m[i].source)
				abort();
		procfs_mounts_free(m, n);
		break;
	case 1:
		r = procfs_parse_swaps(copy, size - 1, &sw, &n);
		for (size_t i = 0; r == 0 && i < n; i++)
			if (sw[i].path[0] != '/')
				abort();
		procfs_swaps_free(sw, n);
		break;
	case 2:
		r = procfs_parse_route(copy, size - 1, &v);
		if (r == 0)
			check_ifaces(v);
		procfs_strv_free(v);
		break;
	case 3:
		r = procfs_parse_ipv6_route(copy, size - 1, &v);
		if (r == 0)
			check_ifaces(v);
		procfs_strv_free(v);
		break;
	case 4:
		r = procfs_parse_cmdline(copy, size - 1, &v);
		for (char **s = r == 0 ? v : NULL; s && *s; s++)
			if (**s == '\0')
				abort();
		procfs_strv_free(v);
		break;
	}
	if (r < 0 && r != -ENOMEM)
		abort();
	free(copy);
	return 0;
}
