/*
 * sim-fault.c - failure injection rules of passd-sim.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sim-fault.h"

static const char *const op_names[SIM_OP_MAX] = {
	[SIM_OP_BIND] = "bind",	    [SIM_OP_UNBIND] = "unbind",	      [SIM_OP_PROBE] = "probe",
	[SIM_OP_OVERRIDE] = "override", [SIM_OP_SRIOV] = "sriov",	      [SIM_OP_REMOVE] = "remove",
	[SIM_OP_RESCAN] = "rescan", [SIM_OP_RESET] = "reset",	      [SIM_OP_NEW_ID] = "new_id",
	[SIM_OP_REMOVE_ID] = "remove_id", [SIM_OP_OTHER] = "other", [SIM_OP_ANY] = "any",
	[SIM_OP_VANISH] = "vanish",
};

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EPERM", EPERM },	{ "ENOENT", ENOENT },	{ "EIO", EIO },	      { "ENXIO", ENXIO },
	{ "EAGAIN", EAGAIN },	{ "ENOMEM", ENOMEM },	{ "EACCES", EACCES }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST },	{ "ENODEV", ENODEV },	{ "EINVAL", EINVAL }, { "ENOSPC", ENOSPC },
	{ "ENOTTY", ENOTTY },	{ "ERANGE", ERANGE },	{ "ETIMEDOUT", ETIMEDOUT },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EINTR", EINTR },
};

const char *simfault_op_name(enum sim_op op)
{
	return op < SIM_OP_MAX ? op_names[op] : "?";
}

static const char *errno_name(int err)
{
	for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "E?";
}

static int perr(char *err, size_t size, const char *fmt, ...) _printf_(3, 4);
static int perr(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "DDDD:BB:DD.F" in lowercase hex */
static bool is_addr(const char *s, size_t len)
{
	static const char pat[] = "hhhh:hh:hh.o";

	if (len != 12)
		return false;
	for (size_t i = 0; i < 12; i++) {
		char c = s[i];

		if (pat[i] == 'h' && !(isdigit((unsigned char)c) || (c >= 'a' && c <= 'f')))
			return false;
		if (pat[i] == 'o' && !(c >= '0' && c <= '7'))
			return false;
		if ((pat[i] == ':' || pat[i] == '.') && c != pat[i])
			return false;
	}
	return true;
}

static int parse_uint(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 86400000ul)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* Parse one rule "OP:SEL...:ACTION..." of @len bytes at @s. */
static int parse_rule(const char *s, size_t len, struct sim_fault *ret, char *err, size_t size)
{
	struct sim_fault f = { .op = SIM_OP_MAX };
	bool any_action = false, seen_sel = false;
	char tok[128];
	size_t pos = 0, k = 0;

	while (pos < len) {
		size_t tl;

		if (is_addr(s + pos, len - pos < 12 ? len - pos : 12) &&
		    (pos + 12 == len || s[pos + 12] == ':'))
			tl = 12;
		else
			for (tl = 0; pos + tl < len && s[pos + tl] != ':'; tl++)
				;
		if (tl == 0 || tl >= sizeof(tok))
			return perr(err, size, "'%.*s': empty or overlong field", (int)len, s);
		memcpy(tok, s + pos, tl);
		tok[tl] = '\0';
		pos += tl + (pos + tl < len ? 1 : 0);

		if (k++ == 0) {
			for (int o = 0; o < SIM_OP_MAX; o++)
				if (streq(tok, op_names[o]) && o != SIM_OP_OTHER)
					f.op = (enum sim_op)o;
			if (streq(tok, "other"))
				f.op = SIM_OP_OTHER;
			if (f.op == SIM_OP_MAX)
				return perr(err, size, "'%.*s': unknown operation '%s'", (int)len, s,
					    tok);
			continue;
		}
		if (tok[0] == 'E' && isupper((unsigned char)tok[1])) {
			size_t i;

			for (i = 0; i < ELEMENTSOF(errnos); i++)
				if (streq(tok, errnos[i].name))
					break;
			if (i == ELEMENTSOF(errnos))
				return perr(err, size, "'%.*s': unknown errno '%s'", (int)len, s, tok);
			f.err = errnos[i].err;
			any_action = true;
		} else if (streq(tok, "ignore")) {
			f.ignore = true;
			any_action = true;
		} else if (strncmp(tok, "hang=", 5) == 0) {
			if (parse_uint(tok + 5, &f.hang_ms) < 0)
				return perr(err, size, "'%.*s': bad delay '%s'", (int)len, s, tok);
			any_action = true;
		} else if (strncmp(tok, "after=", 6) == 0) {
			if (parse_uint(tok + 6, &f.after) < 0)
				return perr(err, size, "'%.*s': bad '%s'", (int)len, s, tok);
			any_action = true;
		} else if (strncmp(tok, "count=", 6) == 0) {
			if (parse_uint(tok + 6, &f.count) < 0 || f.count == 0)
				return perr(err, size, "'%.*s': bad '%s'", (int)len, s, tok);
		} else if (any_action) {
			return perr(err, size, "'%.*s': '%s' after the action", (int)len, s, tok);
		} else if (streq(tok, "*")) {
			seen_sel = true;
		} else if (is_addr(tok, tl)) {
			if (f.addr[0])
				return perr(err, size, "'%.*s': two addresses", (int)len, s);
			memcpy(f.addr, tok, tl + 1);
			seen_sel = true;
		} else {
			if (f.driver[0] || tl >= sizeof(f.driver))
				return perr(err, size, "'%.*s': bad selector '%s'", (int)len, s, tok);
			memcpy(f.driver, tok, tl + 1);
			seen_sel = true;
		}
	}
	if (f.op == SIM_OP_MAX || !seen_sel)
		return perr(err, size, "'%.*s': expected OP:TARGET:ACTION", (int)len, s);
	if (f.op == SIM_OP_VANISH) {
		if (!f.addr[0] || f.err || f.hang_ms || f.ignore)
			return perr(err, size, "'%.*s': vanish takes an address and after=N", (int)len,
				    s);
	} else if (!any_action || f.after) {
		return perr(err, size, "'%.*s': expected an errno, hang=MS or ignore", (int)len, s);
	}
	if (f.err && f.ignore)
		return perr(err, size, "'%.*s': an errno and ignore exclude each other", (int)len, s);
	*ret = f;
	return 0;
}

void simfault_clear(struct sim_faults *f)
{
	free(f->v);
	*f = (struct sim_faults){ 0 };
}

int simfault_parse(struct sim_faults *f, const char *spec, char *err, size_t errsize)
{
	_cleanup_free_ struct sim_fault *v = NULL;
	size_t n = 0, alloc = 0;
	bool clear = false;
	const char *s = spec;

	for (;;) {
		size_t len;
		struct sim_fault r;

		s += strspn(s, " \t\n;");
		if (!*s)
			break;
		len = strcspn(s, " \t\n;");
		if (len == 5 && strncmp(s, "clear", 5) == 0) {
			clear = true;
			n = 0;
			s += len;
			continue;
		}
		if (parse_rule(s, len, &r, err, errsize) < 0)
			return -EINVAL;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 8;
			struct sim_fault *nv = realloc(v, na * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			v = nv;
			alloc = na;
		}
		v[n++] = r;
		s += len;
	}
	if (clear)
		f->n = 0;
	if (n) {
		if (f->n + n > f->alloc) {
			size_t na = f->n + n + 8;
			struct sim_fault *nv = realloc(f->v, na * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			f->v = nv;
			f->alloc = na;
		}
		memcpy(f->v + f->n, v, n * sizeof(*v));
		f->n += n;
	}
	return 0;
}

static void drop(struct sim_faults *f, size_t i)
{
	memmove(f->v + i, f->v + i + 1, (f->n - i - 1) * sizeof(*f->v));
	f->n--;
}

bool simfault_match(struct sim_faults *f, enum sim_op op, const char *addr, const char *driver,
		    struct sim_fault *ret)
{
	for (size_t i = 0; i < f->n; i++) {
		struct sim_fault *r = &f->v[i];

		if (r->op == SIM_OP_VANISH || (r->op != op && r->op != SIM_OP_ANY))
			continue;
		if (r->addr[0] && (!addr || !streq(r->addr, addr)))
			continue;
		if (r->driver[0] && (!driver || !streq(r->driver, driver)))
			continue;
		*ret = *r;
		if (r->count && --r->count == 0)
			drop(f, i);
		return true;
	}
	return false;
}

bool simfault_vanish(struct sim_faults *f, const char *addr)
{
	for (size_t i = 0; i < f->n; i++) {
		struct sim_fault *r = &f->v[i];

		if (r->op != SIM_OP_VANISH || !streq(r->addr, addr))
			continue;
		if (r->after > 0) {
			r->after--;
			return false;
		}
		drop(f, i);
		return true;
	}
	return false;
}

void simfault_print(const struct sim_faults *f, FILE *out)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct sim_fault *r = &f->v[i];

		fprintf(out, "%s:%s%s%s", op_names[r->op], r->addr[0] ? r->addr : "",
			r->addr[0] && r->driver[0] ? ":" : "", r->driver);
		if (!r->addr[0] && !r->driver[0])
			fputc('*', out);
		if (r->hang_ms)
			fprintf(out, ":hang=%u", r->hang_ms);
		if (r->err)
			fprintf(out, ":%s", errno_name(r->err));
		if (r->ignore)
			fputs(":ignore", out);
		if (r->op == SIM_OP_VANISH)
			fprintf(out, ":after=%u", r->after);
		if (r->count)
			fprintf(out, ":count=%u", r->count);
		fputc('\n', out);
	}
}
