/*
 * host.c - the /proc files the host preflight reads: cpuinfo, modules and version.
 *
 * Formats, from Linux 6.x: arch/x86/kernel/cpu/proc.c show_cpuinfo() ("key\t\t: value", one
 * block per CPU, "flags\t\t: fpu vme ..." space-separated), kernel/module/procfs.c m_show()
 * ("vfio_pci 16384 0 - Live 0x0000000000000000"; the state is Live, Loading or Unloading),
 * fs/proc/version.c ("Linux version %s (%s) %s" with utsname()->release first).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs-priv.h"

/* The next line of [*pos, end) without its '\n'; NULL at the end. */
static const char *host_next_line(const char **pos, const char *end, size_t *ret_len)
{
	const char *start = *pos, *nl;

	if (start >= end)
		return NULL;
	nl = memchr(start, '\n', (size_t)(end - start));
	*ret_len = (size_t)((nl ? nl : end) - start);
	*pos = nl ? nl + 1 : end;
	return start;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Does the space-separated word list [s, s+n) hold @word? */
static bool has_word(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word), i = 0;

	while (i < n) {
		size_t start;

		while (i < n && blank(s[i]))
			i++;
		start = i;
		while (i < n && !blank(s[i]))
			i++;
		if (i - start == wl && memcmp(s + start, word, wl) == 0)
			return true;
	}
	return false;
}

/*
 * Split "key<blanks>: value" into the key (trailing blanks dropped) and the value (leading
 * blank dropped). False when the line has no ':'.
 */
static bool key_value(const char *line, size_t len, const char **k, size_t *kn, const char **v,
		      size_t *vn)
{
	const char *colon = memchr(line, ':', len);
	size_t n;

	if (!colon)
		return false;
	n = (size_t)(colon - line);
	while (n > 0 && blank(line[n - 1]))
		n--;
	*k = line;
	*kn = n;
	*v = colon + 1;
	*vn = len - (size_t)(colon + 1 - line);
	while (*vn > 0 && blank(**v)) {
		(*v)++;
		(*vn)--;
	}
	return true;
}

static bool key_is(const char *k, size_t kn, const char *want)
{
	return kn == strlen(want) && memcmp(k, want, kn) == 0;
}

int procfs_parse_cpuinfo(const char *text, size_t len, struct procfs_cpuinfo *ret)
{
	const char *pos = text, *end = text + len, *line;
	struct procfs_cpuinfo c = { .vendor = PROCFS_CPU_VENDOR_OTHER };
	unsigned with_vmx = 0, with_svm = 0, with_hv = 0;
	size_t ll;

	while ((line = host_next_line(&pos, end, &ll))) {
		const char *k, *v;
		size_t kn, vn;

		if (!key_value(line, ll, &k, &kn, &v, &vn))
			continue;
		if (key_is(k, kn, "vendor_id") && c.vendor_id[0] == '\0') {
			size_t n = vn < sizeof(c.vendor_id) - 1 ? vn : sizeof(c.vendor_id) - 1;

			while (n > 0 && blank(v[n - 1]))
				n--;
			memcpy(c.vendor_id, v, n);
			c.vendor_id[n] = '\0';
			if (memchr(c.vendor_id, '\0', n))
				c.vendor_id[0] = '\0'; /* a NUL inside: not a vendor */
			if (streq(c.vendor_id, "GenuineIntel"))
				c.vendor = PROCFS_CPU_VENDOR_INTEL;
			else if (streq(c.vendor_id, "AuthenticAMD") ||
				 streq(c.vendor_id, "HygonGenuine"))
				c.vendor = PROCFS_CPU_VENDOR_AMD;
		} else if (key_is(k, kn, "flags")) {
			c.cpus++;
			with_vmx += has_word(v, vn, "vmx");
			with_svm += has_word(v, vn, "svm");
			with_hv += has_word(v, vn, "hypervisor");
		}
	}
	c.vmx = c.cpus > 0 && with_vmx == c.cpus;
	c.svm = c.cpus > 0 && with_svm == c.cpus;
	c.hypervisor = with_hv > 0;
	*ret = c;
	return 0;
}

static bool module_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int procfs_parse_modules(const char *text, size_t len, char ***ret_names)
{
	const char *pos = text, *end = text + len, *line;
	char **v = NULL;
	size_t n = 0, cap = 0, ll;

	while ((line = host_next_line(&pos, end, &ll))) {
		const char *sp = memchr(line, ' ', ll);
		size_t nl = sp ? (size_t)(sp - line) : ll;

		if (!module_name_ok(line, nl))
			continue;
		/* "Unloading" is on its way out; Loading and Live count as there. */
		if (has_word(line, ll, "Unloading"))
			continue;
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (!nv)
				goto oom;
			v = nv;
			cap = ncap;
		}
		v[n] = strndup(line, nl);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*ret_names = v;
	return 0;
oom:
	if (v) {
		v[n] = NULL;
		procfs_strv_free(v);
	}
	return -ENOMEM;
}

int procfs_parse_version(const char *text, size_t len, char **ret_release)
{
	static const char prefix[] = "Linux version ";
	size_t pl = sizeof(prefix) - 1, i;
	char *rel;

	if (len <= pl || memcmp(text, prefix, pl) != 0)
		return -EINVAL;
	for (i = pl; i < len && !blank(text[i]) && text[i] != '\n'; i++)
		if (text[i] == '/' || text[i] == '\0')
			return -EINVAL;
	if (i == pl || i - pl > 64)
		return -EINVAL;
	rel = strndup(text + pl, i - pl);
	if (!rel)
		return -ENOMEM;
	if (streq(rel, ".") || streq(rel, "..")) {
		free(rel);
		return -EINVAL;
	}
	*ret_release = rel;
	return 0;
}

int procfs_read_cpuinfo(struct procfs *p, struct procfs_cpuinfo *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_file(p, "cpuinfo", &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_cpuinfo(buf, len, ret);
}

int procfs_read_modules(struct procfs *p, char ***ret_names)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_file(p, "modules", &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_modules(buf, len, ret_names);
}

int procfs_read_kernel_release(struct procfs *p, char **ret_release)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_file(p, "version", &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_version(buf, len, ret_release);
}
