#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"

#define HDR offsetof(struct api_blob, data)

void jw_init(struct jw *w, size_t size_hint)
{
	memset(w, 0, sizeof(*w));
	w->cap = HDR + (size_hint < 256 ? 256 : size_hint);
	w->buf = malloc(w->cap);
	w->len = HDR;
	w->failed = !w->buf;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
	w->failed = true;
}

static bool reserve(struct jw *w, size_t n)
{
	char *nb;
	size_t cap;

	if (w->failed)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	cap = w->cap * 2;
	while (cap < w->len + n + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->failed = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc_(struct jw *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

/* Comma and key before a value. */
static void prefix(struct jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		putc_(w, ',');
	w->need_comma[w->depth] = true;
	if (key) {
		putc_(w, '"');
		put(w, key, strlen(key));
		put(w, "\":", 2);
	}
}

static void open_(struct jw *w, const char *key, char c)
{
	prefix(w, key);
	putc_(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->need_comma[++w->depth] = false;
}

static void close_(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putc_(w, c);
}

void jw_obj_open(struct jw *w, const char *key)
{
	open_(w, key, '{');
}

void jw_obj_close(struct jw *w)
{
	close_(w, '}');
}

void jw_arr_open(struct jw *w, const char *key)
{
	open_(w, key, '[');
}

void jw_arr_close(struct jw *w)
{
	close_(w, ']');
}

/* Length of the valid UTF-8 sequence at @s (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

void jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	size_t run = 0;

	if (!s || n == 0 || !valid_utf8(s, n)) {
		jw_null(w, key);
		return;
	}
	prefix(w, key);
	putc_(w, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		}
	}
	put(w, s + run, n - run);
	putc_(w, '"');
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, s ? strlen(s) : 0);
}

void jw_int(struct jw *w, const char *key, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	prefix(w, key);
	put(w, num, (size_t)n);
}

void jw_int_or_null(struct jw *w, const char *key, long long v)
{
	if (v < 0)
		jw_null(w, key);
	else
		jw_int(w, key, v);
}

void jw_bool(struct jw *w, const char *key, bool b)
{
	prefix(w, key);
	if (b)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_null(struct jw *w, const char *key)
{
	prefix(w, key);
	put(w, "null", 4);
}

struct api_blob *jw_take_blob(struct jw *w)
{
	struct api_blob *b;

	if (w->failed || w->depth != 0 || !reserve(w, 0)) {
		jw_free(w);
		return NULL;
	}
	w->buf[w->len] = '\0';
	b = (struct api_blob *)w->buf;
	b->refs = 1;
	b->len = w->len - HDR;
	w->buf = NULL;
	jw_free(w);
	return b;
}
