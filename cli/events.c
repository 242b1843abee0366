#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "events.h"
#include "util.h"

struct printer {
	FILE *out;
	bool json;
	char *line; /* the line being read */
	size_t len, size;
	char *data; /* the event's data lines so far, joined with newlines */
	char type[64];
};

/* A scalar, fit for a terminal. */
static void print_value(FILE *out, json_t *v)
{
	_cleanup_free_ char *s = NULL;

	if (json_is_string(v)) {
		s = cli_sanitize(json_string_value(v));
	} else if (json_is_null(v)) {
		s = xstrdup("-");
	} else {
		char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		s = cli_sanitize(d);
		free(d);
	}
	fputs(s, out);
}

/* "HH:MM:SS TYPE [ADDRESS] key=value ..." */
static void print_human(struct printer *p, json_t *ev)
{
	json_t *data = json_object_get(ev, "data");
	json_t *t = json_object_get(ev, "time_ms");
	const char *type = json_string_value(json_object_get(ev, "type"));
	_cleanup_free_ char *ctype = cli_sanitize(type ? type : p->type);
	char when[16] = "--:--:--";
	const char *key;
	json_t *v;

	if (json_is_integer(t)) {
		time_t secs = (time_t)(json_integer_value(t) / 1000);
		struct tm tm;
		if (localtime_r(&secs, &tm))
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	fprintf(p->out, "%s %s", when, ctype);
	v = json_object_get(data, "address");
	if (json_is_string(v)) {
		fputc(' ', p->out);
		print_value(p->out, v);
	}
	json_object_foreach(data, key, v) {
		_cleanup_free_ char *ckey = NULL;
		if (streq(key, "address"))
			continue;
		if (json_is_array(v)) {
			if (json_array_size(v) == 0)
				continue;
		} else if (json_is_object(v)) {
			continue;
		}
		ckey = cli_sanitize(key);
		fprintf(p->out, " %s=", ckey);
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				const char *a =
					json_is_object(e) ?
						json_string_value(json_object_get(e, "address")) :
						json_string_value(e);
				_cleanup_free_ char *c = cli_sanitize(a ? a : "?");
				fprintf(p->out, "%s%s", i ? "," : "", c);
			}
		} else {
			print_value(p->out, v);
		}
	}
	fputc('\n', p->out);
}

static void dispatch(struct printer *p)
{
	json_t *ev;

	if (!p->data) {
		p->type[0] = '\0';
		return;
	}
	if (p->json) {
		/* The data line is the event's JSON object already; one line each. */
		fprintf(p->out, "%s\n", p->data);
	} else {
		ev = json_loads(p->data, 0, NULL);
		if (ev)
			print_human(p, ev);
		else
			fprintf(p->out, "%s (unreadable data)\n", p->type[0] ? p->type : "message");
		json_decref(ev);
	}
	fflush(p->out);
	free(p->data);
	p->data = NULL;
	p->type[0] = '\0';
}

/* One line of the stream (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
static void feed_line(struct printer *p, char *line)
{
	char *value;

	if (line[0] == '\0') {
		dispatch(p);
		return;
	}
	if (line[0] == ':')
		return; /* a comment: the keep-alive */
	value = strchr(line, ':');
	if (value) {
		*value++ = '\0';
		if (*value == ' ')
			value++;
	} else {
		value = line + strlen(line);
	}
	if (streq(line, "event")) {
		snprintf(p->type, sizeof(p->type), "%s", value);
	} else if (streq(line, "data")) {
		char *d = p->data ? xasprintf("%s\n%s", p->data, value) : xstrdup(value);
		free(p->data);
		p->data = d;
	}
}

static ssize_t printer_write(void *cookie, const char *buf, size_t n)
{
	struct printer *p = cookie;

	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\r')
			continue;
		if (p->len + 1 >= p->size) {
			p->size = p->size ? p->size * 2 : 256;
			p->line = xrealloc(p->line, p->size);
		}
		if (c == '\n') {
			p->line[p->len] = '\0';
			feed_line(p, p->line);
			p->len = 0;
			continue;
		}
		p->line[p->len++] = c;
	}
	return (ssize_t)n;
}

static int printer_close(void *cookie)
{
	struct printer *p = cookie;

	free(p->line);
	free(p->data);
	free(p);
	return 0;
}

FILE *events_printer_new(FILE *out, bool json)
{
	static const cookie_io_functions_t io = { .write = printer_write, .close = printer_close };
	struct printer *p = xcalloc(1, sizeof(*p));
	FILE *f;

	p->out = out;
	p->json = json;
	f = fopencookie(p, "w", io);
	if (!f) {
		free(p);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0); /* each event as soon as it is complete */
	return f;
}
