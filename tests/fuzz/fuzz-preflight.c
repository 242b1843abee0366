/*
 * fuzz-preflight - libFuzzer target for the host preflight's parsers: cpuinfo, modules and
 * version (daemon/procfs/host.c), the ecap hex parser (daemon/sysfs/host.c) and the
 * modules.dep / modules.builtin lookup (daemon/kmod).
 *
 * The first byte picks the parser, the rest is the file's text. Properties: nothing reads past the
 * input or fails on it (only -ENOMEM, and -EINVAL where documented), and what comes back is well
 * formed (module names plain and non-empty, a release without '/', counts consistent).
 * make check replays the seed corpus through fuzz-main.c.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/kmod.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procfs_cpuinfo c;
	char **v = NULL, *rel = NULL;
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
		r = procfs_parse_cpuinfo(copy, size - 1, &c);
		if (r != 0 || c.vendor_id[sizeof(c.vendor_id) - 1] != '\0' ||
		    ((c.vmx || c.svm) && c.cpus == 0))
			abort();
		break;
	case 1:
		r = procfs_parse_modules(copy, size - 1, &v);
		for (char **s = r == 0 ? v : NULL; s && *s; s++)
			if (**s == '\0' || strlen(*s) > 63 || strpbrk(*s, " /\n"))
				abort();
		procfs_strv_free(v);
		break;
	case 2:
		r = procfs_parse_version(copy, size - 1, &rel);
		if (r == 0 && (!*rel || strchr(rel, '/') || streq(rel, "..")))
			abort();
		if (r == -EINVAL)
			r = 0;
		free(rel);
		break;
	case 3: {
		/* the lookup over the same text as both files, for a name taken from its start */
		char name[16];
		size_t n = size - 1 < sizeof(name) - 1 ? size - 1 : sizeof(name) - 1;
		enum kmod_availability a;

		memcpy(name, copy, n);
		name[n] = '\0';
		a = kmod_lookup_text(copy, size - 1, copy, size - 1, name);
		if (a != KMOD_AVAILABILITY_BUILTIN && a != KMOD_AVAILABILITY_LOADABLE &&
		    a != KMOD_AVAILABILITY_MISSING)
			abort();
		a = kmod_lookup_text(NULL, 0, copy, size - 1, "vfio_pci");
		if (a == KMOD_AVAILABILITY_BUILTIN)
			abort();
		break;
	}
	case 4: {
		/* an attribute as sysfs_read_small() hands it over: NUL-terminated */
		char attr[32];
		size_t n = size - 1 < sizeof(attr) - 1 ? size - 1 : sizeof(attr) - 1;
		uint64_t e = 42;

		memcpy(attr, copy, n);
		attr[n] = '\0';
		r = sysfs_parse_hex64(attr, &e);
		if (r == -EINVAL) {
			if (e != 42) /* untouched on failure */
				abort();
			r = 0;
		}
		break;
	}
	}
	if (r < 0 && r != -ENOMEM)
		abort();
	free(copy);
	return 0;
}
