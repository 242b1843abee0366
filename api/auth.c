#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "auth.h"
#include "file.h"

#define TOKEN_FILE_MAX (1024 * 1024)
#define TOKENS_MAX 4096
#define TOKEN_NAME_MAX 64
#define TOKEN_MAX 512 /* the longest bearer token we hash */

struct token {
	char name[TOKEN_NAME_MAX + 1];
	enum api_role role;
	uint8_t hash[SHA256_DIGEST_SIZE];
};

struct api_tokens {
	size_t n;
	struct token t[];
};

static const char *const role_names[_API_ROLE_MAX] = {
	[API_ROLE_UNSET] = "unset",   [API_ROLE_ANONYMOUS] = "public",
	[API_ROLE_READER] = "reader", [API_ROLE_OPERATOR] = "operator",
	[API_ROLE_ADMIN] = "admin",
};

const char *api_role_to_string(enum api_role role)
{
	return (unsigned)role < _API_ROLE_MAX ? role_names[role] : "unset";
}

int api_role_from_string(const char *s, enum api_role *ret)
{
	for (enum api_role r = API_ROLE_READER; r < _API_ROLE_MAX; r++)
		if (streq(s, role_names[r])) {
			*ret = r;
			return 0;
		}
	return -EINVAL;
}

void api_sha256_hex(const void *data, size_t len, char out[static 65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > TOKEN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '@'))
			return false;
	}
	return true;
}

/* Split @line into at most 4 fields at blanks; returns how many. */
static size_t fields(char *line, char *f[4])
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			return 5;
		f[n++] = w;
	}
	return n;
}

int api_tokens_parse(const char *text, size_t len, struct api_tokens **ret, char *errbuf,
		     size_t errsize)
{
	_cleanup_free_ struct api_tokens *t = NULL;
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + len;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256], *f[4], *s;
		size_t nf;
		struct token *tk;

		lineno++;
		if (ll >= sizeof(line)) {
			snprintf(errbuf, errsize, "line %zu: longer than %zu characters", lineno,
				 sizeof(line) - 1);
			return -EINVAL;
		}
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		if (ll > 0 && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (strlen(line) != ll) {
			snprintf(errbuf, errsize, "line %zu: holds a NUL byte", lineno);
			return -EINVAL;
		}
		for (s = line; *s; s++)
			if ((unsigned char)*s < 0x20 && *s != '\t')
				break;
		if (*s) {
			snprintf(errbuf, errsize, "line %zu: holds a control character", lineno);
			return -EINVAL;
		}
		s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		nf = fields(s, f);
		if (nf != 3) {
			snprintf(errbuf, errsize, "line %zu: expected 'NAME ROLE SHA256-HEX'",
				 lineno);
			return -EINVAL;
		}
		if (!name_ok(f[0], strlen(f[0]))) {
			snprintf(errbuf, errsize,
				 "line %zu: bad name: 1 to %d of A-Z a-z 0-9 - _ . @", lineno,
				 TOKEN_NAME_MAX);
			return -EINVAL;
		}
		if (t->n >= TOKENS_MAX) {
			snprintf(errbuf, errsize, "line %zu: more than %d tokens", lineno,
				 TOKENS_MAX);
			return -EINVAL;
		}
		if (t->n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct api_tokens *nt = realloc(t, sizeof(*t) + nc * sizeof(struct token));
			if (!nt)
				return -ENOMEM;
			t = nt;
			cap = nc;
		}
		tk = &t->t[t->n];
		memset(tk, 0, sizeof(*tk));
		if (api_role_from_string(f[1], &tk->role) < 0) {
			snprintf(errbuf, errsize,
				 "line %zu: role must be reader, operator or admin", lineno);
			return -EINVAL;
		}
		if (strlen(f[2]) != 2 * SHA256_DIGEST_SIZE) {
			snprintf(
				errbuf, errsize,
				"line %zu: the hash must be 64 lowercase hex digits (sha256sum of the token)",
				lineno);
			return -EINVAL;
		}
		for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
			int hi = hexval(f[2][2 * i]), lo = hexval(f[2][2 * i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(
					errbuf, errsize,
					"line %zu: the hash must be 64 lowercase hex digits (sha256sum of the token)",
					lineno);
				return -EINVAL;
			}
			tk->hash[i] = (uint8_t)(hi << 4 | lo);
		}
		for (size_t i = 0; i < t->n; i++)
			if (streq(t->t[i].name, f[0])) {
				snprintf(errbuf, errsize, "line %zu: name '%s' is used twice",
					 lineno, f[0]);
				return -EINVAL;
			}
		snprintf(tk->name, sizeof(tk->name), "%s", f[0]);
		t->n++;
	}
	*ret = TAKE_PTR(t);
	return 0;
}

int api_tokens_load(const char *path, struct api_tokens **ret, char *errbuf, size_t errsize)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len;
	int r;

	r = fd < 0 ? -errno : api_read_fd(fd, TOKEN_FILE_MAX, &buf, &len, &st);
	if (r == -EINVAL) {
		snprintf(errbuf, errsize, "not a regular file of at most %d bytes", TOKEN_FILE_MAX);
		return r;
	}
	if (r < 0) {
		snprintf(errbuf, errsize, "%s", strerror(-r));
		return r;
	}
	/* Whoever can write the file can make themselves admin. */
	if (st.st_mode & S_IWOTH) {
		snprintf(errbuf, errsize, "anyone can write it (chmod o-w)");
		return -EPERM;
	}
	return api_tokens_parse(buf, len, ret, errbuf, errsize);
}

void api_tokens_free(struct api_tokens *t)
{
	if (!t)
		return;
	/* Hashes are not secrets, but there is no reason to leave them in freed memory. */
	explicit_bzero(t->t, t->n * sizeof(struct token));
	free(t);
}

size_t api_tokens_count(const struct api_tokens *t)
{
	return t ? t->n : 0;
}

/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool b64token(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			   (s[i] >= '0' && s[i] <= '9') || strchr("-._~+/", s[i])))
		i++;
	if (i == 0)
		return false;
	while (i < len && s[i] == '=')
		i++;
	return i == len;
}

int api_tokens_check(const struct api_tokens *t, const char *authorization,
		     struct api_identity *ret)
{
	uint8_t h[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	const struct token *found = NULL;
	const char *tok;
	size_t len;

	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return -EINVAL;
	tok = authorization + 7;
	tok += strspn(tok, " ");
	len = strlen(tok);
	while (len > 0 && tok[len - 1] == ' ')
		len--;
	if (len == 0 || len > TOKEN_MAX || !b64token(tok, len))
		return -EINVAL;
	if (!t)
		return -EACCES;
	sha256_init(&c);
	sha256_update(&c, len, (const uint8_t *)tok);
	sha256_digest(&c, sizeof(h), h);
	/* Every entry is compared, and in constant time: the answer's timing says nothing. */
	for (size_t i = 0; i < t->n; i++) {
		bool eq = memeql_sec(h, t->t[i].hash, sizeof(h));
		found = eq ? &t->t[i] : found;
	}
	explicit_bzero(h, sizeof(h));
	if (!found)
		return -EACCES;
	ret->role = found->role;
	snprintf(ret->name, sizeof(ret->name), "token:%s", found->name);
	return 0;
}
