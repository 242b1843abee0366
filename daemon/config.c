#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define DEFAULT_CONFIG_FILE "/etc/passd/passd.conf"

static FILE *errors_to; /* NULL: stderr */
#define ERRORS (errors_to ? errors_to : stderr)

void cfg_set_errors(FILE *f)
{
	errors_to = f;
}

enum cfg_type {
	CFG_PATH,   /* an absolute or relative path */
	CFG_STRING, /* free text */
	CFG_LIST,   /* repeatable: listen */
	CFG_BOOL,
	CFG_UINT,
	CFG_LEVEL,
	CFG_AUTOBOOL, /* auto, or a boolean; an int holding CFG_AUTO, 0 or 1 */
};

enum cfg_reload {
	CFG_RESTART, /* needs a restart to change */
	CFG_LIVE,    /* SIGHUP applies it */
};

struct cfg_option {
	const char *name;
	enum cfg_type type;
	size_t offset;
	const char *def;
	enum cfg_reload reload;
	unsigned min, max; /* CFG_UINT bounds */
	const char *help;
};

static const struct cfg_option options[] = {
	{ "sysfs-root", CFG_PATH, offsetof(struct cfg, sysfs_root), "/sys", CFG_RESTART, 0, 0,
	  "where sysfs is read and written" },
	{ "dev-root", CFG_PATH, offsetof(struct cfg, dev_root), "/dev", CFG_RESTART, 0, 0,
	  "where vfio/N nodes are looked for" },
	{ "proc-root", CFG_PATH, offsetof(struct cfg, proc_root), "/proc", CFG_RESTART, 0, 0,
	  "where cpuinfo, cmdline, mountinfo, swaps and net/route are read" },
	{ "db", CFG_PATH, offsetof(struct cfg, db_path), "/var/lib/passd/passd.db", CFG_RESTART, 0,
	  0, "the SQLite database" },
	{ "listen", CFG_LIST, offsetof(struct cfg, listen), "unix:/run/passd/passd.sock",
	  CFG_RESTART, 0, 0, "unix:PATH or tcp:HOST:PORT (repeatable)" },
	{ "libvirt-uri", CFG_STRING, offsetof(struct cfg, libvirt_uri), "qemu:///system",
	  CFG_RESTART, 0, 0, "libvirt connection; none runs without libvirt" },
	{ "token-file", CFG_PATH, offsetof(struct cfg, token_file), NULL, CFG_RESTART, 0, 0,
	  "bearer tokens with roles" },
	{ "web-dir", CFG_PATH, offsetof(struct cfg, web_dir), PASSD_WEBDIR, CFG_RESTART, 0, 0,
	  "the dashboard's files" },
	{ "foreground", CFG_BOOL, offsetof(struct cfg, foreground), "false", CFG_RESTART, 0, 0,
	  "stay in the foreground (passd never forks; accepted for compatibility)" },
	{ "log-level", CFG_LEVEL, offsetof(struct cfg, log_level), "info", CFG_LIVE, 0, 0,
	  "error, warning, notice, info or debug" },
	{ "scan-threads", CFG_UINT, offsetof(struct cfg, scan_threads), "2", CFG_RESTART, 1, 64,
	  "threads reading sysfs during a scan" },
	{ "rescan-interval", CFG_UINT, offsetof(struct cfg, rescan_interval_s), "30", CFG_RESTART,
	  0, 86400, "seconds between periodic rescans, 0 for none" },
	{ "op-timeout", CFG_UINT, offsetof(struct cfg, op_timeout_s), "30", CFG_RESTART, 1, 3600,
	  "seconds before a bind or unbind still waiting on the kernel is answered 503" },
	{ "load-modules", CFG_AUTOBOOL, offsetof(struct cfg, load_modules), "auto", CFG_RESTART, 0,
	  0, "run modprobe vfio-pci at start when it is missing; auto: only on the real host" },
	{ "modules-dir", CFG_PATH, offsetof(struct cfg, modules_dir), NULL, CFG_RESTART, 0, 0,
	  "where RELEASE/modules.dep says what can be loaded (default: /lib/modules on the real host, none on a simulated tree)" },
	{ "modprobe", CFG_PATH, offsetof(struct cfg, modprobe), "/sbin/modprobe", CFG_RESTART, 0,
	  0, "the program --load-modules runs" },
	{ "socket-group", CFG_STRING, offsetof(struct cfg, socket_group), "passd", CFG_RESTART, 0,
	  0, "group of the unix sockets (0660 root:GROUP); root's group when it does not exist" },
	{ "group-role", CFG_STRING, offsetof(struct cfg, group_role), "operator", CFG_RESTART, 0,
	  0, "role of socket-group's members on the unix socket: reader, operator or admin" },
	{ "allow-anonymous-loopback", CFG_STRING, offsetof(struct cfg, anonymous_loopback), "none",
	  CFG_RESTART, 0, 0, "role of loopback TCP clients without a token: none or reader" },
	{ "tls-cert", CFG_PATH, offsetof(struct cfg, tls_cert), NULL, CFG_RESTART, 0, 0,
	  "PEM certificate: tcp listeners speak TLS (needed beyond loopback)" },
	{ "tls-key", CFG_PATH, offsetof(struct cfg, tls_key), NULL, CFG_RESTART, 0, 0,
	  "PEM private key of tls-cert" },
	{ "max-connections", CFG_UINT, offsetof(struct cfg, max_connections), "1024", CFG_RESTART,
	  16, 65536, "open connections per listener" },
	{ "connection-timeout", CFG_UINT, offsetof(struct cfg, connection_timeout_s), "30",
	  CFG_RESTART, 1, 3600, "seconds an idle connection is kept" },
	{ "max-connections-per-identity", CFG_UINT, offsetof(struct cfg, connections_per_identity),
	  "32", CFG_RESTART, 1, 65536, "open connections of one token or uid" },
	{ "max-unauthenticated", CFG_UINT, offsetof(struct cfg, unauthenticated_max), "64",
	  CFG_RESTART, 1, 65536, "connections not identified yet; the oldest makes room" },
	{ "header-timeout", CFG_UINT, offsetof(struct cfg, header_timeout_s), "10", CFG_RESTART, 1,
	  3600, "seconds a new connection has to send an identified request" },
	{ "rate-limit", CFG_UINT, offsetof(struct cfg, rate_limit), "50", CFG_RESTART, 0, 1000000,
	  "requests per second per identity (429 beyond), 0 for none" },
	{ "rate-burst", CFG_UINT, offsetof(struct cfg, rate_burst), "100", CFG_RESTART, 1, 1000000,
	  "requests an identity may send at once before rate-limit applies" },
};

static const struct cfg_option *find_option(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(options); i++)
		if (streq(options[i].name, name))
			return &options[i];
	return NULL;
}

static int set_value(struct cfg *c, const struct cfg_option *o, const char *value,
		     const char *where)
{
	void *field = (char *)c + o->offset;

	switch (o->type) {
	case CFG_PATH:
	case CFG_STRING: {
		char **s = field;
		if (value[0] == '\0') {
			fprintf(ERRORS, "passd: %s: '%s' needs a value\n", where, o->name);
			return -EINVAL;
		}
		for (const char *ch = value; *ch; ch++)
			if ((unsigned char)*ch < 0x20 || *ch == 0x7f) {
				fprintf(ERRORS, "passd: %s: '%s' holds a control character\n", where,
					o->name);
				return -EINVAL;
			}
		free(*s);
		*s = strdup(value);
		return *s ? 0 : -ENOMEM;
	}
	case CFG_LIST: {
		if (c->n_listen >= CFG_MAX_LISTEN) {
			fprintf(ERRORS, "passd: %s: at most %d '%s' addresses\n", where,
				CFG_MAX_LISTEN, o->name);
			return -E2BIG;
		}
		if (strncmp(value, "unix:/", 6) != 0 && strncmp(value, "tcp:", 4) != 0) {
			fprintf(stderr,
				"passd: %s: bad listen address '%s': expected unix:/PATH or tcp:HOST:PORT\n",
				where, value);
			return -EINVAL;
		}
		c->listen[c->n_listen] = strdup(value);
		if (!c->listen[c->n_listen])
			return -ENOMEM;
		c->n_listen++;
		return 0;
	}
	case CFG_BOOL: {
		bool *b = field;
		if (streq(value, "true") || streq(value, "yes") || streq(value, "1"))
			*b = true;
		else if (streq(value, "false") || streq(value, "no") || streq(value, "0"))
			*b = false;
		else {
			fprintf(ERRORS, "passd: %s: '%s' must be true or false, not '%s'\n", where,
				o->name, value);
			return -EINVAL;
		}
		return 0;
	}
	case CFG_UINT: {
		unsigned *u = field;
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || end == value || *end != '\0' || value[0] == '-' || v < o->min ||
		    v > o->max) {
			fprintf(ERRORS, "passd: %s: '%s' must be a number from %u to %u, not '%s'\n",
				where, o->name, o->min, o->max, value);
			return -EINVAL;
		}
		*u = (unsigned)v;
		return 0;
	}
	case CFG_AUTOBOOL: {
		int *b = field;
		if (streq(value, "auto"))
			*b = CFG_AUTO;
		else if (streq(value, "true") || streq(value, "yes") || streq(value, "1"))
			*b = 1;
		else if (streq(value, "false") || streq(value, "no") || streq(value, "0"))
			*b = 0;
		else {
			fprintf(ERRORS, "passd: %s: '%s' must be auto, yes or no, not '%s'\n", where,
				o->name, value);
			return -EINVAL;
		}
		return 0;
	}
	case CFG_LEVEL: {
		enum log_level *l = field;
		if (log_parse_level(value, l) < 0) {
			fprintf(stderr,
				"passd: %s: '%s' must be error, warning, notice, info or debug, not '%s'\n",
				where, o->name, value);
			return -EINVAL;
		}
		return 0;
	}
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * "key = value" lines; '#' starts a comment line. Keys named on the command line are skipped.
 * A line too long, with a NUL byte, or a key given twice (but listen) is an error, never
 * cut or guessed at.
 */
static int parse_stream(struct cfg *c, FILE *f, const char *path, const bool *from_cli, bool *set)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	bool list_reset = false, seen[ELEMENTSOF(options)] = { false };

	while ((len = getline(&line, &cap, f)) >= 0) {
		char where[PATH_MAX + 32], *key, *value, *eq;
		const struct cfg_option *o;
		int r;

		lineno++;
		snprintf(where, sizeof(where), "%.4000s:%u", path, lineno);
		if (len > 4096) {
			fprintf(ERRORS, "passd: %s: line longer than 4096 bytes\n", where);
			return -EINVAL;
		}
		if (strlen(line) != (size_t)len) {
			fprintf(ERRORS, "passd: %s: holds a NUL byte\n", where);
			return -EINVAL;
		}
		key = trim(line);
		if (key[0] == '\0' || key[0] == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			fprintf(ERRORS, "passd: %s: expected 'key = value'\n", where);
			return -EINVAL;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		o = find_option(key);
		if (!o) {
			fprintf(ERRORS, "passd: %s: unknown option '%.64s'\n", where, key);
			return -EINVAL;
		}
		if (o->type != CFG_LIST && seen[o - options]) {
			fprintf(ERRORS, "passd: %s: '%s' is set twice\n", where, o->name);
			return -EINVAL;
		}
		seen[o - options] = true;
		if (from_cli[o - options])
			continue;
		if (o->type == CFG_LIST && !list_reset) {
			/* The file's addresses replace the default one. */
			for (unsigned i = 0; i < c->n_listen; i++)
				free(c->listen[i]);
			c->n_listen = 0;
			list_reset = true;
		}
		r = set_value(c, o, value, where);
		if (r < 0)
			return r;
		set[o - options] = true;
	}
	return 0;
}

static int parse_file(struct cfg *c, const char *path, bool must_exist, const bool *from_cli,
		      bool *set)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(ERRORS, "passd: cannot read config file '%s': %s\n", path, strerror(errno));
		return -errno;
	}
	r = parse_stream(c, f, path, from_cli, set);
	fclose(f);
	return r;
}

int cfg_parse_text(const char *text, size_t len, struct cfg **ret)
{
	_cleanup_(cfg_freep) struct cfg *c = calloc(1, sizeof(*c));
	bool none[ELEMENTSOF(options)] = { false }, set[ELEMENTSOF(options)] = { false };
	FILE *f;
	int r;

	if (!c)
		return -ENOMEM;
	f = fmemopen((void *)text, len, "r");
	if (!f)
		return len ? -errno : -EINVAL;
	r = parse_stream(c, f, "text", none, set);
	fclose(f);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: passd [OPTION]...\n"
		     "PCI device assignment daemon: discovers PCI devices and IOMMU groups and\n"
		     "serves them over a JSON HTTP API and a dashboard.\n\n");
	for (size_t i = 0; i < ELEMENTSOF(options); i++) {
		const struct cfg_option *o = &options[i];
		char left[64];
		snprintf(left, sizeof(left), "--%s%s", o->name, o->type == CFG_BOOL ? "" : " VALUE");
		fprintf(out, "  %-26s %s%s%s%s\n", left, o->help, o->def ? " (default: " : "",
			o->def ? o->def : "", o->def ? ")" : "");
	}
	fprintf(out, "  %-26s %s\n", "--config FILE",
		"read options from FILE (default: " DEFAULT_CONFIG_FILE " when present)");
	fprintf(out, "  %-26s %s\n", "--list-routes",
		"print every API route with its least role and exit");
	fprintf(out, "  %-26s %s\n", "--apply-bindings",
		"re-apply the persisted VF counts and vfio-pci bindings, then exit (early boot)");
	fprintf(out, "  %-26s %s\n", "--help, --version", "print this or the version and exit");
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop, SIGHUP reloads the config file.\n");
}

static int apply_defaults(struct cfg *c, const bool *set)
{
	for (size_t i = 0; i < ELEMENTSOF(options); i++) {
		const struct cfg_option *o = &options[i];
		int r;
		if (set[i] || !o->def)
			continue;
		if (o->type == CFG_LIST && c->n_listen > 0)
			continue;
		r = set_value(c, o, o->def, "default");
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_parse(int argc, char **argv, struct cfg **ret)
{
	_cleanup_(cfg_freep) struct cfg *c = calloc(1, sizeof(*c));
	struct option longopts[ELEMENTSOF(options) + 6];
	bool from_cli[ELEMENTSOF(options)] = { false }, file_set[ELEMENTSOF(options)];
	const char *config_file = NULL;
	size_t n = 0;
	int r, opt;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(options); i++)
		longopts[n++] = (struct option){ options[i].name,
						 options[i].type == CFG_BOOL ? optional_argument
									     : required_argument,
						 NULL, (int)(256 + i) };
	longopts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	longopts[n++] = (struct option){ "list-routes", no_argument, NULL, 'R' };
	longopts[n++] = (struct option){ "apply-bindings", no_argument, NULL, 'A' };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ 0 };

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 1;
		} else if (opt == 'V') {
			printf("passd %s\n", PACKAGE_VERSION);
			return 1;
		} else if (opt == 'c') {
			config_file = optarg;
		} else if (opt == 'R') {
			c->list_routes = true;
		} else if (opt == 'A') {
			c->apply_bindings = true;
		} else if (opt >= 256 && opt < 256 + (int)ELEMENTSOF(options)) {
			const struct cfg_option *o = &options[opt - 256];
			r = set_value(c, o, o->type == CFG_BOOL && !optarg ? "true" : optarg,
				      "command line");
			if (r < 0)
				return r;
			from_cli[opt - 256] = true;
		} else if (opt == ':') {
			fprintf(ERRORS, "passd: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		} else {
			fprintf(ERRORS, "passd: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(ERRORS, "passd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}

	c->config_file = strdup(config_file ? config_file : DEFAULT_CONFIG_FILE);
	if (!c->config_file)
		return -ENOMEM;
	/* What the file or the command line set is not overwritten by a default. */
	memcpy(file_set, from_cli, sizeof(file_set));
	r = parse_file(c, c->config_file, config_file != NULL, from_cli, file_set);
	if (r < 0)
		return r;
	r = apply_defaults(c, file_set);
	if (r < 0)
		return r;
	if (c->scan_threads == 0)
		c->scan_threads = 2;
	*ret = TAKE_PTR(c);
	return 0;
}

int cfg_reload(struct cfg *cur)
{
	_cleanup_(cfg_freep) struct cfg *c = calloc(1, sizeof(*c));
	bool none[ELEMENTSOF(options)] = { false }, set[ELEMENTSOF(options)] = { false };
	int r;

	if (!c)
		return -ENOMEM;
	c->log_level = LOG_LEVEL_INFO;
	r = parse_file(c, cur->config_file, false, none, set);
	if (r < 0)
		return r; /* the old configuration stays */
	/* Only what the file says changes; the command line's choices stay. */
	if (set[find_option("log-level") - options] && c->log_level != cur->log_level) {
		cur->log_level = c->log_level;
		log_set_max_level(c->log_level);
	}
	for (size_t i = 0; i < ELEMENTSOF(options); i++) {
		const struct cfg_option *o = &options[i];
		if (o->reload == CFG_RESTART && (o->type == CFG_PATH || o->type == CFG_STRING)) {
			char *nv = *(char **)((char *)c + o->offset);
			char *ov = *(char **)((char *)cur + o->offset);
			if (nv && (!ov || !streq(nv, ov)))
				log_warning("Config option '%s' changed in '%s': needs restart, ignoring",
					    o->name, cur->config_file);
		}
	}
	return 0;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->sysfs_root);
	free(c->dev_root);
	free(c->proc_root);
	free(c->db_path);
	for (unsigned i = 0; i < c->n_listen; i++)
		free(c->listen[i]);
	free(c->libvirt_uri);
	free(c->token_file);
	free(c->web_dir);
	free(c->config_file);
	free(c->modules_dir);
	free(c->modprobe);
	free(c->socket_group);
	free(c->group_role);
	free(c->anonymous_loopback);
	free(c->tls_cert);
	free(c->tls_key);
	free(c);
}
