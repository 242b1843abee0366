/*
 * procfs.c - the root of the proc tree, its readers and the pure parsers of its text files.
 *
 * Formats, from Linux 6.x: fs/proc_namespace.c show_mountinfo() (fields separated by one space,
 * " \t\n\\" in paths escaped as \ooo by seq_path/mangle), mm/swapfile.c swap_show() (a header
 * line, then the escaped path padded with blanks and the type "partition" or "file"),
 * net/ipv4/fib_trie.c fib_route_seq_show() (tab-separated, addresses and flags in hex),
 * net/ipv6/route.c ipv6_route_seq_show() (space-separated 32-digit hex addresses, the device name
 * padded to 8), init/main.c and lib/cmdline.c next_arg() for cmdline.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs-priv.h"

#define PROCFS_FILE_MAX (16u << 20)
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define RTF_UP 0x0001

int procfs_new(const char *root, struct procfs **ret)
{
	_cleanup_free_ struct procfs *p = NULL;
	_cleanup_close_ int fd = -1;

	if (!root || !*root)
		return -EINVAL;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->root = strdup(root);
	if (!p->root)
		return -ENOMEM;
	p->root_fd = TAKE_FD(fd);
	for (size_t i = 0; i < _PROCFS_WATCH_MAX; i++)
		p->watch[i].fd = -1;
	*ret = TAKE_PTR(p);
	return 0;
}

void procfs_free(struct procfs *p)
{
	if (!p)
		return;
	procfs_watch_clear(p);
	if (p->root_fd >= 0)
		close(p->root_fd);
	free(p->root);
	free(p);
}

const char *procfs_get_root(const struct procfs *p)
{
	return p->root;
}

void procfs_mounts_free(struct procfs_mount *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].root);
		free(v[i].mount_point);
		free(v[i].fstype);
		free(v[i].source);
	}
	free(v);
}

void procfs_swaps_free(struct procfs_swap *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void procfs_strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

/* ---- small text tools ---- */

/* The next line of [*pos, end) without its '\n'; NULL at the end. */
static const char *next_line(const char **pos, const char *end, size_t *ret_len)
{
	const char *start = *pos, *nl;

	if (start >= end)
		return NULL;
	nl = memchr(start, '\n', (size_t)(end - start));
	*ret_len = (size_t)((nl ? nl : end) - start);
	*pos = nl ? nl + 1 : end;
	return start;
}

struct tok {
	const char *s;
	size_t n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Split @line into at most @max tokens. With @single, fields are separated by exactly one space
 * (mountinfo: an empty field makes the line malformed, returned as -1); otherwise runs of blanks
 * separate. Returns the number of tokens, or -1.
 */
static int split(const char *line, size_t len, bool single, struct tok *t, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		size_t start;

		if (!single)
			while (i < len && is_blank(line[i]))
				i++;
		if (i >= len)
			break;
		if (n == max)
			return -1;
		start = i;
		while (i < len && !(single ? line[i] == ' ' : is_blank(line[i])))
			i++;
		if (i == start)
			return -1; /* two spaces in a row, or a leading one */
		t[n].s = line + start;
		t[n].n = i - start;
		n++;
		if (single && i < len) {
			i++; /* the separator */
			if (i == len)
				return -1; /* a trailing space */
		}
	}
	return n;
}

static bool tok_eq(const struct tok *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

static int octal(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* Decode \ooo escapes into a new string. -EINVAL when one decodes to NUL (or over 0377). */
static int unescape(const struct tok *t, char **ret)
{
	_cleanup_free_ char *out = malloc(t->n + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		if (t->s[i] == '\0')
			return -EINVAL;
		if (t->s[i] == '\\' && i + 3 < t->n && octal(t->s[i + 1]) >= 0 &&
		    octal(t->s[i + 2]) >= 0 && octal(t->s[i + 3]) >= 0) {
			int v = octal(t->s[i + 1]) * 64 + octal(t->s[i + 2]) * 8 + octal(t->s[i + 3]);
			if (v == 0 || v > 0xff)
				return -EINVAL;
			out[o++] = (char)v;
			i += 3;
			continue;
		}
		out[o++] = t->s[i];
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* A decimal number that fits in unsigned, digits only. */
static bool parse_uint(const struct tok *t, unsigned *ret)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > 10)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* Hex digits only (either case), at most 8. */
static bool parse_hex32(const struct tok *t, uint32_t *ret)
{
	uint32_t v = 0;

	if (t->n == 0 || t->n > 8)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		char c = t->s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					       -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return true;
}

static bool all_char(const struct tok *t, char c)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->s[i] != c)
			return false;
	return t->n > 0;
}

/* A name the kernel's dev_valid_name() accepts: 1..15 bytes, no '/', ':' or blank, not . or .. */
static bool valid_ifname(const struct tok *t)
{
	if (t->n == 0 || t->n > IFNAME_MAX || tok_eq(t, ".") || tok_eq(t, ".."))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

/* A growing NULL-terminated array of strings. */
struct strv_builder {
	char **v;
	size_t n, cap;
};

static int strv_push_tok(struct strv_builder *b, const struct tok *t, bool unique)
{
	char *s;

	if (unique)
		for (size_t i = 0; i < b->n; i++)
			if (strlen(b->v[i]) == t->n && memcmp(b->v[i], t->s, t->n) == 0)
				return 0;
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		char **nv = realloc(b->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = cap;
	}
	s = strndup(t->s, t->n);
	if (!s)
		return -ENOMEM;
	b->v[b->n++] = s;
	b->v[b->n] = NULL;
	return 0;
}

static int strv_finish(struct strv_builder *b, int r, char ***ret)
{
	if (r >= 0 && !b->v) {
		b->v = calloc(1, sizeof(char *));
		if (!b->v)
			r = -ENOMEM;
	}
	if (r < 0) {
		procfs_strv_free(b->v);
		return r;
	}
	*ret = b->v;
	return 0;
}

/* Grow an array of @size-byte elements to hold one more. */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* ---- mountinfo ---- */

/* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
static int parse_mount_line(const char *line, size_t len, struct procfs_mount *m)
{
	struct tok t[32];
	int n = split(line, len, true, t, (int)ELEMENTSOF(t));
	const char *colon;
	struct tok maj, min;
	int sep = -1, r;

	if (n < 10)
		return -EINVAL;
	for (int i = 6; i < n; i++)
		if (tok_eq(&t[i], "-")) {
			sep = i;
			break;
		}
	if (sep < 0 || n - sep < 4)
		return -EINVAL;

	colon = memchr(t[2].s, ':', t[2].n);
	if (!colon)
		return -EINVAL;
	maj = (struct tok){ t[2].s, (size_t)(colon - t[2].s) };
	min = (struct tok){ colon + 1, t[2].n - maj.n - 1 };
	if (!parse_uint(&maj, &m->major) || !parse_uint(&min, &m->minor))
		return -EINVAL;
	if (t[3].s[0] != '/' || t[4].s[0] != '/')
		return -EINVAL;

	r = unescape(&t[3], &m->root);
	if (r >= 0)
		r = unescape(&t[4], &m->mount_point);
	if (r >= 0)
		r = unescape(&t[sep + 1], &m->fstype);
	if (r >= 0)
		r = unescape(&t[sep + 2], &m->source);
	return r;
}

int procfs_parse_mountinfo(const char *text, size_t len, struct procfs_mount **ret_v,
			   size_t *ret_n)
{
	const char *pos = text, *end = text + len, *line;
	struct procfs_mount *v = NULL;
	size_t n = 0, cap = 0, ll;
	int r = 0;

	while ((line = next_line(&pos, end, &ll))) {
		struct procfs_mount m = { 0 };

		r = grow((void **)&v, n, &cap, sizeof(*v));
		if (r < 0)
			break;
		r = parse_mount_line(line, ll, &m);
		if (r < 0) {
			free(m.root);
			free(m.mount_point);
			free(m.fstype);
			free(m.source);
			if (r == -ENOMEM)
				break;
			r = 0;
			continue; /* malformed: skipped */
		}
		v[n++] = m;
	}
	if (r >= 0 && !v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			r = -ENOMEM;
	}
	if (r < 0) {
		procfs_mounts_free(v, n);
		return r;
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/* ---- swaps ---- */

/* "/dev/nvme0n1p3                          partition	244190646	0		-2" */
static int parse_swap_line(const char *line, size_t len, struct procfs_swap *s)
{
	struct tok t[8];
	int n = split(line, len, false, t, (int)ELEMENTSOF(t));
	unsigned dummy;
	size_t plen;
	int r;

	/* Path, Type, Size, Used, Priority; "(deleted)" may follow the path of a removed file. */
	if (n == 6 && tok_eq(&t[1], "(deleted)")) {
		t[1] = t[2];
		t[2] = t[3];
		t[3] = t[4];
		n = 4;
	} else if (n != 5) {
		return -EINVAL;
	}
	if (t[0].s[0] != '/' || !parse_uint(&t[2], &dummy) || !parse_uint(&t[3], &dummy))
		return -EINVAL;
	if (tok_eq(&t[1], "partition"))
		s->is_partition = true;
	else if (tok_eq(&t[1], "file"))
		s->is_partition = false;
	else
		return -EINVAL;
	r = unescape(&t[0], &s->path);
	if (r < 0)
		return r;
	plen = strlen(s->path);
	if (plen > 10 && streq(s->path + plen - 10, " (deleted)"))
		s->path[plen - 10] = '\0';
	return 0;
}

int procfs_parse_swaps(const char *text, size_t len, struct procfs_swap **ret_v, size_t *ret_n)
{
	const char *pos = text, *end = text + len, *line;
	struct procfs_swap *v = NULL;
	size_t n = 0, cap = 0, ll;
	int r = 0;

	while ((line = next_line(&pos, end, &ll))) {
		struct procfs_swap s = { 0 };

		if (ll >= 8 && memcmp(line, "Filename", 8) == 0)
			continue; /* the header */
		r = grow((void **)&v, n, &cap, sizeof(*v));
		if (r < 0)
			break;
		r = parse_swap_line(line, ll, &s);
		if (r < 0) {
			free(s.path);
			if (r == -ENOMEM)
				break;
			r = 0;
			continue;
		}
		v[n++] = s;
	}
	if (r >= 0 && !v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			r = -ENOMEM;
	}
	if (r < 0) {
		procfs_swaps_free(v, n);
		return r;
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/* ---- routes ---- */

/* Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT */
int procfs_parse_route(const char *text, size_t len, char ***ret_ifaces)
{
	const char *pos = text, *end = text + len, *line;
	struct strv_builder b = { 0 };
	size_t ll;
	int r = 0;

	while (r >= 0 && (line = next_line(&pos, end, &ll))) {
		struct tok t[12];
		uint32_t dest, flags, mask;
		int n = split(line, ll, false, t, (int)ELEMENTSOF(t));

		if (n != 11 || !parse_hex32(&t[1], &dest) || !parse_hex32(&t[3], &flags) ||
		    !parse_hex32(&t[7], &mask))
			continue; /* the header, or malformed */
		if (dest != 0 || mask != 0 || !(flags & RTF_UP) || !valid_ifname(&t[0]))
			continue;
		r = strv_push_tok(&b, &t[0], true);
	}
	return strv_finish(&b, r, ret_ifaces);
}

/* dest(32) dest_plen(2) src(32) src_plen(2) next_hop(32) metric(8) refcnt use flags(8) device */
int procfs_parse_ipv6_route(const char *text, size_t len, char ***ret_ifaces)
{
	const char *pos = text, *end = text + len, *line;
	struct strv_builder b = { 0 };
	size_t ll;
	int r = 0;

	while (r >= 0 && (line = next_line(&pos, end, &ll))) {
		struct tok t[12];
		uint32_t plen, flags;
		int n = split(line, ll, false, t, (int)ELEMENTSOF(t));

		if (n != 10 || t[0].n != 32 || t[2].n != 32 || t[4].n != 32 || t[8].n != 8 ||
		    !parse_hex32(&t[1], &plen) || !parse_hex32(&t[8], &flags))
			continue;
		if (!all_char(&t[0], '0') || plen != 0 || !(flags & RTF_UP) || tok_eq(&t[9], "lo") ||
		    !valid_ifname(&t[9]))
			continue;
		r = strv_push_tok(&b, &t[9], true);
	}
	return strv_finish(&b, r, ret_ifaces);
}

/* ---- cmdline ---- */

int procfs_parse_cmdline(const char *text, size_t len, char ***ret_words)
{
	struct strv_builder b = { 0 };
	_cleanup_free_ char *word = malloc(len + 1);
	size_t i = 0;
	int r = 0;

	if (!word)
		return -ENOMEM;
	while (r >= 0 && i < len) {
		bool quoted = false;
		size_t w = 0;

		while (i < len && (is_blank(text[i]) || text[i] == '\n'))
			i++;
		if (i >= len)
			break;
		for (; i < len; i++) {
			char c = text[i];
			if (c == '\0')
				break;
			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (is_blank(c) || c == '\n'))
				break;
			word[w++] = c;
		}
		if (i < len && text[i] == '\0')
			i = len; /* the kernel's string ends here */
		if (w > 0) {
			struct tok t = { word, w };
			r = strv_push_tok(&b, &t, false);
		}
	}
	return strv_finish(&b, r, ret_words);
}

/* ---- readers ---- */

int procfs_read_file(struct procfs *p, const char *name, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	fd = openat(p->root_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;

		if (cap - len < 4096) {
			char *nb;
			if (cap >= PROCFS_FILE_MAX)
				return -EFBIG;
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		/* proc files report size 0: read until EOF, as the seq_file interface wants. */
		k = TFR(read(fd, buf + len, cap - len));
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int procfs_read_mountinfo(struct procfs *p, struct procfs_mount **ret_v, size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_watched(p, PROCFS_WATCH_MOUNTINFO, &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_mountinfo(buf, len, ret_v, ret_n);
}

int procfs_read_swaps(struct procfs *p, struct procfs_swap **ret_v, size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_watched(p, PROCFS_WATCH_SWAPS, &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_swaps(buf, len, ret_v, ret_n);
}

int procfs_read_default_routes(struct procfs *p, char ***ret_ifaces)
{
	_cleanup_free_ char *buf = NULL, *buf6 = NULL;
	_cleanup_(procfs_strv_freep) char **v4 = NULL;
	_cleanup_(procfs_strv_freep) char **v6 = NULL;
	struct strv_builder b = { 0 };
	size_t len, len6;
	int r = procfs_read_file(p, "net/route", &buf, &len);

	if (r < 0)
		return r;
	r = procfs_parse_route(buf, len, &v4);
	if (r < 0)
		return r;
	/* IPv6 is optional (ipv6.disable=1, or a profile that describes IPv4 only). */
	if (procfs_read_file(p, "net/ipv6_route", &buf6, &len6) < 0) {
		*ret_ifaces = TAKE_PTR(v4);
		return 0;
	}
	r = procfs_parse_ipv6_route(buf6, len6, &v6);
	if (r < 0)
		return r;
	for (char **s = v4; r >= 0 && *s; s++)
		r = strv_push_tok(&b, &(struct tok){ *s, strlen(*s) }, true);
	for (char **s = v6; r >= 0 && *s; s++)
		r = strv_push_tok(&b, &(struct tok){ *s, strlen(*s) }, true);
	return strv_finish(&b, r, ret_ifaces);
}

int procfs_read_cmdline(struct procfs *p, char ***ret_words)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = procfs_read_file(p, "cmdline", &buf, &len);

	if (r < 0)
		return r;
	return procfs_parse_cmdline(buf, len, ret_words);
}
