/*
 * kmod.c - modules.dep / modules.builtin lookups and modprobe(8).
 *
 * modules.dep (depmod(8)): "kernel/drivers/vfio/pci/vfio-pci.ko.zst: kernel/drivers/vfio/..."
 * one module a line, the path relative to the release directory (absolute in old depmods).
 * modules.builtin: "kernel/drivers/vfio/vfio.ko" one a line. A module's name is the file's
 * basename up to ".ko", with '-' and '_' equivalent.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod.h"
#include "macro.h"

#define KMOD_FILE_MAX (64u << 20)

const char *kmod_availability_to_string(enum kmod_availability a)
{
	switch (a) {
	case KMOD_AVAILABILITY_UNKNOWN:
		return "unknown";
	case KMOD_AVAILABILITY_BUILTIN:
		return "builtin";
	case KMOD_AVAILABILITY_LOADABLE:
		return "loadable";
	case KMOD_AVAILABILITY_MISSING:
		return "missing";
	}
	return "unknown";
}

static bool same_name(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);

	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y)
			return false;
	}
	return true;
}

/* Does a line of @text name the module @name in its first field (up to ':' or the end)? */
static bool text_lists(const char *text, size_t len, const char *name)
{
	const char *pos = text, *end = text + len;

	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		const char *le = nl ? nl : end, *fe, *base, *ko;

		fe = memchr(pos, ':', (size_t)(le - pos));
		if (!fe)
			fe = le;
		base = pos;
		for (const char *c = pos; c < fe; c++)
			if (*c == '/')
				base = c + 1;
		ko = NULL;
		for (const char *c = base; c + 3 <= fe; c++)
			if (memcmp(c, ".ko", 3) == 0 && (c + 3 == fe || c[3] == '.')) {
				ko = c;
				break;
			}
		if (ko && same_name(base, (size_t)(ko - base), name))
			return true;
		pos = nl ? nl + 1 : end;
	}
	return false;
}

enum kmod_availability kmod_lookup_text(const char *builtin, size_t builtin_len, const char *dep,
					size_t dep_len, const char *name)
{
	if (builtin && text_lists(builtin, builtin_len, name))
		return KMOD_AVAILABILITY_BUILTIN;
	if (dep && text_lists(dep, dep_len, name))
		return KMOD_AVAILABILITY_LOADABLE;
	return KMOD_AVAILABILITY_MISSING;
}

static int read_all(int dfd, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;

		if (cap - len < 4096) {
			char *nb;
			if (cap >= KMOD_FILE_MAX)
				return -EFBIG;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		k = TFR(read(fd, buf + len, cap - len));
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static bool plain(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || streq(s, ".") || streq(s, ".."))
		return false;
	return !strchr(s, '/');
}

int kmod_lookup(const char *modules_dir, const char *release, const char *name,
		enum kmod_availability *ret)
{
	_cleanup_close_ int dfd = -1, rfd = -1;
	_cleanup_free_ char *builtin = NULL, *dep = NULL;
	size_t blen = 0, dlen = 0;
	int rb, rd;

	if (!modules_dir || !release || !plain(release, 128) || !plain(name, 63))
		return -EINVAL;
	dfd = open(modules_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rfd = openat(dfd, release, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	rb = read_all(rfd, "modules.builtin", &builtin, &blen);
	rd = read_all(rfd, "modules.dep", &dep, &dlen);
	if (rb == -ENOMEM || rd == -ENOMEM)
		return -ENOMEM;
	if (rb < 0 && rd < 0)
		return rd;
	*ret = kmod_lookup_text(rb < 0 ? NULL : builtin, blen, rd < 0 ? NULL : dep, dlen, name);
	return 0;
}

int kmod_modprobe(const char *modprobe, const char *name, int *ret_status, char *errbuf,
		  size_t errsize)
{
	int pfd[2], status;
	size_t got = 0;
	pid_t pid;

	if (!plain(name, 63) || errsize == 0)
		return -EINVAL;
	errbuf[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* The child: stdin and stdout on /dev/null, stderr into the pipe. */
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execl(modprobe, modprobe, "--", name, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[256];
		ssize_t k = TFR(read(pfd[0], tmp, sizeof(tmp)));

		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && got + 1 < errsize; i++)
			errbuf[got++] = tmp[i];
	}
	errbuf[got] = '\0';
	while (got > 0 && errbuf[got - 1] == '\n')
		errbuf[--got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(modprobe, X_OK) < 0)
		return -ENOENT;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}
