/*
 * passctl - the command-line client of passd.
 *
 * It speaks HTTP only (STYLE 2.1): it parses the command line, sends one or two requests and
 * prints the answer as tables for people or verbatim JSON for scripts. Its exit code is the
 * contract's: 0 done, 1 refused by the server, 2 usage error, 3 daemon unreachable.
 */
#include <config.h>

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assign.h"
#include "check.h"
#include "domains.h"
#include "events.h"
#include "http.h"
#include "output.h"
#include "pci-addr.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/passd/passd.sock"
#define DEFAULT_TIMEOUT_MS 60000L
#define MAX_TIMEOUT_S 86400.0

/* Options that belong to some commands only. */
enum cmd_opt {
	CMD_OPT_DRY_RUN = 1 << 0,
	CMD_OPT_START = 1 << 1,
	CMD_OPT_CLASS = 1 << 2,
	CMD_OPT_DRIVER = 1 << 3,
	CMD_OPT_GROUP = 1 << 4,
	CMD_OPT_STATE = 1 << 5,
	CMD_OPT_FORCE = 1 << 6,
	CMD_OPT_LIMIT = 1 << 7,
};

enum {
	ARG_SOCKET = 0x100,
	ARG_URL,
	ARG_TOKEN,
	ARG_JSON,
	ARG_TIMEOUT,
	ARG_DRY_RUN,
	ARG_START,
	ARG_CLASS,
	ARG_DRIVER,
	ARG_GROUP,
	ARG_STATE,
	ARG_FORCE,
	ARG_LIMIT,
	ARG_PAUSED,
};

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, ARG_SOCKET },
	{ "url", required_argument, NULL, ARG_URL },
	{ "token", required_argument, NULL, ARG_TOKEN },
	{ "json", no_argument, NULL, ARG_JSON },
	{ "timeout", required_argument, NULL, ARG_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "dry-run", no_argument, NULL, ARG_DRY_RUN },
	{ "start", no_argument, NULL, ARG_START },
	{ "paused", no_argument, NULL, ARG_PAUSED },
	{ "class", required_argument, NULL, ARG_CLASS },
	{ "driver", required_argument, NULL, ARG_DRIVER },
	{ "group", required_argument, NULL, ARG_GROUP },
	{ "state", required_argument, NULL, ARG_STATE },
	{ "force", no_argument, NULL, ARG_FORCE },
	{ "limit", required_argument, NULL, ARG_LIMIT },
	{},
};

struct args {
	const char *socket, *url, *token;
	bool json, help, version, dry_run, start, paused, force;
	const char *class_code, *driver, *group, *state, *limit;
	long timeout_ms;
	bool timeout_given;
	unsigned used; /* enum cmd_opt bits given on the command line */
	char **pos;    /* the command and its arguments */
	int npos;
};

struct ctx {
	struct http_client *http;
	const struct args *a;
};

struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *help; /* more for `passctl help NAME`, or NULL */
	unsigned opts;	  /* enum cmd_opt bits it accepts */
	int min_args, max_args;
	int (*run)(struct ctx *ctx, char **argv, int argc);
};

static const struct command *find_command(const char *name);

static const char *opt_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static const char *cmd_opt_name(unsigned bit)
{
	switch ((enum cmd_opt)bit) {
	case CMD_OPT_DRY_RUN:
		return "--dry-run";
	case CMD_OPT_START:
		return "--start";
	case CMD_OPT_CLASS:
		return "--class";
	case CMD_OPT_DRIVER:
		return "--driver";
	case CMD_OPT_GROUP:
		return "--group";
	case CMD_OPT_STATE:
		return "--state";
	case CMD_OPT_FORCE:
		return "--force";
	case CMD_OPT_LIMIT:
		return "--limit";
	}
	return "?";
}

/* A usage error: the message, a pointer to help, and exit code 2. */
static int usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("passctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "Try 'passctl %s --help' for more information.\n", cmd);
	else
		fputs("Try 'passctl --help' for more information.\n", stderr);
	return PASSCTL_EXIT_USAGE;
}

static int bad_address(const char *cmd, const char *s)
{
	_cleanup_free_ char *safe = cli_sanitize(s);

	return usage_error(
		cmd,
		"invalid PCI address '%s': expected DDDD:BB:DD.F in lowercase hex, e.g. 0000:65:00.0",
		safe);
}

/* Check @s as a PCI address and write its canonical form to @buf; exit code on error. */
static int parse_address(const char *cmd, const char *s, char buf[static PCI_ADDR_LEN + 1])
{
	struct pci_addr a;

	if (pci_addr_parse(s, &a) < 0)
		return bad_address(cmd, s);
	pci_addr_format(&a, buf);
	return PASSCTL_EXIT_OK;
}

/* Print the server's refusal: its {"error":{"code","message"}}, or what we can say without it. */
static void print_refusal(const struct http_reply *r)
{
	json_auto_t *body = json_loadb(r->body, r->len, 0, NULL);
	json_t *error = json_object_get(body, "error");
	const char *message = out_str(error, "message"), *code = out_str(error, "code");
	_cleanup_free_ char *m = cli_sanitize(message), *c = cli_sanitize(code);

	if (message && code)
		cli_error("%s (%s)", m, c);
	else if (message)
		cli_error("%s (HTTP %ld)", m, r->status);
	else
		cli_error("passd answered HTTP %ld without an error message", r->status);
	if (r->status == 401)
		fputs("hint: pass --token TOKEN or set PASSCTL_TOKEN\n", stderr);
}

static void print_unreachable_hint(struct ctx *ctx)
{
	fputs("hint: is passd running? Start it with 'systemctl start passd', or point passctl at it with --socket PATH or --url URL.\n",
	      stderr);
}

/*
 * One exchange. Returns 0 with *ret filled for any complete answer, whatever its status;
 * otherwise prints why and returns the exit code (3 when passd could not be reached).
 */
static int exchange(struct ctx *ctx, const struct http_request *req, struct http_reply *ret)
{
	struct http_failure fail = {};

	if (http_client_do(ctx->http, req, ret, &fail) < 0) {
		cli_error("%s", fail.message);
		if (fail.unreachable) {
			print_unreachable_hint(ctx);
			return PASSCTL_EXIT_UNREACHABLE;
		}
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}

/* The body of @r as JSON (null when empty), or NULL after saying why it is unusable. */
static json_t *parse_body(const struct http_reply *r)
{
	json_error_t jerr;
	json_t *json;

	if (r->len == 0)
		return json_null();
	json = json_loadb(r->body, r->len, JSON_DECODE_ANY, &jerr);
	if (!json)
		cli_error("the answer from passd is not valid JSON: %s (line %d, column %d)",
			  jerr.text, jerr.line, jerr.column);
	return json;
}

static bool status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/*
 * Send one request. On a 2xx answer returns 0, with the parsed body in *ret_json (JSON null for
 * an empty body) and the raw answer in *ret_raw when asked for. Otherwise prints why and returns
 * the exit code.
 */
static int call(struct ctx *ctx, const char *method, const char *path, const char *body,
		json_t **ret_json, struct http_reply *ret_raw)
{
	const struct http_request req = { .method = method, .path = path, .body = body };
	struct http_reply reply = {};
	json_t *json;
	int r;

	r = exchange(ctx, &req, &reply);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!status_ok(reply.status)) {
		print_refusal(&reply);
		http_reply_clear(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	json = parse_body(&reply);
	if (!json) {
		http_reply_clear(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	*ret_json = json;
	if (ret_raw)
		*ret_raw = reply;
	else
		http_reply_clear(&reply);
	return PASSCTL_EXIT_OK;
}

/* --json: the server's body as it came, so no field is lost on the way. */
static void print_raw(const struct http_reply *r)
{
	if (r->len == 0)
		return;
	fwrite(r->body, 1, r->len, stdout);
	if (r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

static int unexpected(const char *what)
{
	cli_error("unexpected answer from passd: %s", what);
	return PASSCTL_EXIT_REFUSED;
}

/* GET @path and print it with --json; the parsed body in *ret_json for tables otherwise. */
static int get(struct ctx *ctx, const char *path, json_t **ret_json)
{
	struct http_reply raw = {};
	json_t *json = NULL;
	int r;

	r = call(ctx, "GET", path, NULL, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json)
		print_raw(&raw);
	http_reply_clear(&raw);
	*ret_json = json;
	return PASSCTL_EXIT_OK;
}

/* A mutating request: prints the answer verbatim with --json, or for people. */
static int mutate(struct ctx *ctx, const char *method, const char *path, const char *body,
		  const char *done)
{
	struct http_reply raw = {};
	json_auto_t *json = NULL;
	int r;

	r = call(ctx, method, path, body, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json) {
		print_raw(&raw);
	} else {
		if (ctx->a->dry_run)
			puts("dry run, nothing was changed:");
		if (json_is_null(json) || (json_is_object(json) && json_object_size(json) == 0))
			puts(done);
		else
			out_generic(stdout, json);
	}
	http_reply_clear(&raw);
	return PASSCTL_EXIT_OK;
}

static const char *dry_run_query(struct ctx *ctx)
{
	return ctx->a->dry_run ? "?dry_run=true" : "";
}

static int cmd_status(struct ctx *ctx, char **argv, int argc)
{
	const struct http_request req = { .method = "GET", .path = "/v1/health" };
	_cleanup_(http_reply_clear) struct http_reply reply = {};
	json_auto_t *health = NULL, *devices = NULL;
	const char *status;
	int r;

	r = exchange(ctx, &req, &reply);
	if (r != PASSCTL_EXIT_OK)
		return r;
	/* an unhealthy passd answers 503 with the health object itself: show it, then exit 1 */
	health = json_loadb(reply.body, reply.len, 0, NULL);
	status = out_str(health, "status");
	if (!status_ok(reply.status) && (!status || json_object_get(health, "error"))) {
		print_refusal(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	if (!health) {
		json_decref(parse_body(&reply)); /* says why */
		return PASSCTL_EXIT_REFUSED;
	}
	if (ctx->a->json) {
		print_raw(&reply);
	} else {
		/* counts are a bonus: without them the health part still says what is wrong */
		r = call(ctx, "GET", "/v1/devices", NULL, &devices, NULL);
		out_status(stdout, health,
			   r == PASSCTL_EXIT_OK ? out_list(devices, "devices") : NULL);
		if (r != PASSCTL_EXIT_OK)
			return r;
	}
	if (!status_ok(reply.status)) {
		_cleanup_free_ char *safe = cli_sanitize(status);

		cli_error("passd is not healthy: status '%s' (HTTP %ld)", safe, reply.status);
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}

static void append_query(char **path, const char *key, const char *value)
{
	_cleanup_free_ char *escaped = NULL;
	char *p;

	if (!value)
		return;
	escaped = http_escape(value);
	p = xasprintf("%s%c%s=%s", *path, strchr(*path, '?') ? '&' : '?', key, escaped);
	free(*path);
	*path = p;
}

static int cmd_devices(struct ctx *ctx, char **argv, int argc)
{
	_cleanup_free_ char *path = xstrdup("/v1/devices");
	json_auto_t *body = NULL;
	json_t *list;
	long group;
	int r;

	if (ctx->a->group && !cli_parse_long(ctx->a->group, 0, INT_MAX, &group))
		return usage_error("devices", "--group needs an IOMMU group number, not '%s'",
				   ctx->a->group);
	append_query(&path, "class", ctx->a->class_code);
	append_query(&path, "driver", ctx->a->driver);
	append_query(&path, "group", ctx->a->group);
	append_query(&path, "state", ctx->a->state);
	r = get(ctx, path, &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	list = out_list(body, "devices");
	if (!list)
		return unexpected("no list of devices");
	out_devices(stdout, list);
	return PASSCTL_EXIT_OK;
}

static bool members_need_drivers(const json_t *groups)
{
	size_t i, j;
	json_t *g, *m;

	json_array_foreach(groups, i, g)
		json_array_foreach(json_object_get(g, "devices"), j, m)
			if (json_is_string(m))
				return true;
	return false;
}

static int cmd_groups(struct ctx *ctx, char **argv, int argc)
{
	json_auto_t *body = NULL, *devices = NULL;
	json_t *list;
	int r;

	r = get(ctx, "/v1/groups", &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	list = out_list(body, "groups");
	if (!list)
		return unexpected("no list of groups");
	if (members_need_drivers(list)) {
		r = call(ctx, "GET", "/v1/devices", NULL, &devices, NULL);
		if (r != PASSCTL_EXIT_OK)
			return r;
	}
	out_groups(stdout, list, out_list(devices, "devices"));
	return PASSCTL_EXIT_OK;
}

static int cmd_show(struct ctx *ctx, char **argv, int argc)
{
	char addr[PCI_ADDR_LEN + 1];
	_cleanup_free_ char *path = NULL;
	json_auto_t *body = NULL;
	int r;

	r = parse_address("show", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	path = xasprintf("/v1/devices/%s", addr);
	r = get(ctx, path, &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	if (json_is_object(body))
		out_device(stdout, body);
	else
		out_generic(stdout, body);
	return PASSCTL_EXIT_OK;
}

static int cmd_bind_unbind(struct ctx *ctx, char **argv, int argc)
{
	char addr[PCI_ADDR_LEN + 1];
	_cleanup_free_ char *path = NULL, *done = NULL;
	int r;

	r = parse_address(argv[0], argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	path = xasprintf("/v1/devices/%s/%s%s", addr, argv[0], dry_run_query(ctx));
	done = xasprintf("%s %s: done", argv[0], addr);
	return mutate(ctx, "POST", path, NULL, done);
}

/* POST or DELETE an assignment; the answer verbatim with --json, else for people. */
static int mutate_assignment(struct ctx *ctx, const char *method, const char *path,
			     const char *body, bool release)
{
	struct http_reply raw = {};
	json_auto_t *json = NULL;
	int r;

	r = call(ctx, method, path, body, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json)
		print_raw(&raw);
	else
		r = assign_print(stdout, json, release); /* cli/assign.c */
	http_reply_clear(&raw);
	return r;
}

static int cmd_assign(struct ctx *ctx, char **argv, int argc)
{
	char addr[PCI_ADDR_LEN + 1];
	_cleanup_free_ char *path = NULL, *body = NULL;
	json_auto_t *req = NULL;
	int r;

	r = parse_address("assign", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (argv[2][0] == '\0')
		return usage_error("assign", "the domain name is empty");
	req = json_pack("{s:s, s:s, s:b, s:b, s:b}", "device", addr, "domain", argv[2], "start",
			(int)ctx->a->start, "paused", (int)ctx->a->paused, "force",
			(int)ctx->a->force);
	if (!req)
		return usage_error("assign", "the domain name is not valid UTF-8");
	body = json_dumps(req, JSON_COMPACT);
	if (!body) {
		fputs("passctl: out of memory\n", stderr);
		abort();
	}
	path = xasprintf("/v1/assignments%s", dry_run_query(ctx));
	return mutate_assignment(ctx, "POST", path, body, false);
}

/* An assignment id as the server hands it out: a number or a plain token, nothing to escape. */
static bool id_valid(const char *s)
{
	if (!s[0] || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z') && *s != '-' && *s != '_')
			return false;
	return true;
}

static int cmd_release(struct ctx *ctx, char **argv, int argc)
{
	_cleanup_free_ char *id = NULL, *path = NULL;
	const char *arg = argv[1];
	int r;

	if (strchr(arg, ':') || strchr(arg, '.')) {
		char addr[PCI_ADDR_LEN + 1];
		_cleanup_free_ char *dev_path = NULL;
		json_auto_t *dev = NULL;
		json_t *a, *aid;

		r = parse_address("release", arg, addr);
		if (r != PASSCTL_EXIT_OK)
			return r;
		dev_path = xasprintf("/v1/devices/%s", addr);
		r = call(ctx, "GET", dev_path, NULL, &dev, NULL);
		if (r != PASSCTL_EXIT_OK)
			return r;
		a = json_object_get(dev, "assignment");
		aid = json_object_get(a, "id");
		if (json_is_integer(aid))
			id = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(aid));
		else if (json_is_string(aid) && id_valid(json_string_value(aid)))
			id = xstrdup(json_string_value(aid));
		else if (json_is_null(a) || !a) {
			cli_error("device %s is not assigned to any domain", addr);
			return PASSCTL_EXIT_REFUSED;
		} else
			return unexpected("the device's assignment has no usable id");
	} else {
		if (!id_valid(arg)) {
			_cleanup_free_ char *safe = cli_sanitize(arg);

			return usage_error(
				"release",
				"'%s' is neither a PCI address (DDDD:BB:DD.F) nor an assignment id",
				safe);
		}
		id = xstrdup(arg);
	}
	path = xasprintf("/v1/assignments/%s%s", id, dry_run_query(ctx));
	return mutate_assignment(ctx, "DELETE", path, NULL, true);
}

static int cmd_domains(struct ctx *ctx, char **argv, int argc)
{
	json_auto_t *body = NULL;
	int r;

	r = get(ctx, "/v1/domains", &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	return domains_print(stdout, body); /* cli/domains.c */
}

static int cmd_history(struct ctx *ctx, char **argv, int argc)
{
	_cleanup_free_ char *path = NULL;
	json_auto_t *body = NULL;
	long n = 0;
	int r;

	if (ctx->a->limit && !cli_parse_long(ctx->a->limit, 1, 500, &n)) {
		_cleanup_free_ char *safe = cli_sanitize(ctx->a->limit);

		return usage_error("history", "--limit must be a whole number from 1 to 500, not '%s'",
				   safe);
	}
	path = n ? xasprintf("/v1/history?limit=%ld", n) : xstrdup("/v1/history");
	r = get(ctx, path, &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	return history_print(stdout, body); /* cli/assign.c */
}

static int cmd_check(struct ctx *ctx, char **argv, int argc)
{
	json_auto_t *body = NULL;
	int r;

	r = get(ctx, "/v1/host", &body);
	if (r != PASSCTL_EXIT_OK)
		return r;
	return check_report(body, ctx->a->json, stdout); /* cli/check.c */
}

static int cmd_sriov(struct ctx *ctx, char **argv, int argc)
{
	char addr[PCI_ADDR_LEN + 1];
	_cleanup_free_ char *path = NULL, *body = NULL, *done = NULL;
	long n;
	int r;

	r = parse_address("sriov", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!cli_parse_long(argv[2], 0, 65535, &n)) {
		_cleanup_free_ char *safe = cli_sanitize(argv[2]);

		return usage_error(
			"sriov",
			"the number of VFs must be a whole number from 0 to 65535, not '%s'", safe);
	}
	path = xasprintf("/v1/devices/%s/sriov%s", addr, dry_run_query(ctx));
	body = xasprintf("{\"num_vfs\":%ld}", n);
	done = xasprintf("%s now has %ld VFs", addr, n);
	return mutate(ctx, "POST", path, body, done);
}

static int cmd_events(struct ctx *ctx, char **argv, int argc)
{
	FILE *printer = events_printer_new(stdout, ctx->a->json); /* cli/events.c */
	const struct http_request req = {
		.method = "GET",
		.path = "/v1/events",
		.stream = printer,
		.accept = "text/event-stream",
		/* a quiet stream is normal; an explicit --timeout bounds how long we follow it */
		.no_timeout = !ctx->a->timeout_given,
	};
	_cleanup_(http_reply_clear) struct http_reply reply = {};
	int r;

	if (!printer) {
		cli_error("cannot set up the event printer: %m");
		return PASSCTL_EXIT_REFUSED;
	}
	r = exchange(ctx, &req, &reply);
	fclose(printer); /* prints nothing more: an event is printed when it completes */
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!status_ok(reply.status)) {
		print_refusal(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}

static int cmd_help(struct ctx *ctx, char **argv, int argc);

static const struct command commands[] = {
	{ "status", "status", "daemon health, IOMMU, libvirt, and device counts by state",
	  "Shows GET /v1/health and counts the devices of GET /v1/devices by state.\n"
	  "With --json, prints the /v1/health answer only.\n",
	  0, 0, 0, cmd_status },
	{ "devices", "devices [FILTERS]", "list PCI functions",
	  "Filters, passed to the server and combined:\n"
	  "  --class C    class code, e.g. 0x030000\n"
	  "  --driver D   bound driver, e.g. nvidia or vfio-pci\n"
	  "  --group N    IOMMU group number\n"
	  "  --state S    host, vfio, assigned, unbound, quarantined or gone\n",
	  CMD_OPT_CLASS | CMD_OPT_DRIVER | CMD_OPT_GROUP | CMD_OPT_STATE, 0, 0, cmd_devices },
	{ "groups", "groups", "list IOMMU groups, their members and viability", NULL, 0, 0, 0,
	  cmd_groups },
	{ "show", "show ADDR", "everything passd knows about one device",
	  "ADDR is a PCI address DDDD:BB:DD.F in lowercase hex, e.g. 0000:65:00.0.\n", 0, 1, 1,
	  cmd_show },
	{ "bind", "bind ADDR [--dry-run]", "bind the device's whole IOMMU group to vfio-pci",
	  "Answers with every device touched. --dry-run shows the plan and changes nothing.\n",
	  CMD_OPT_DRY_RUN, 1, 1, cmd_bind_unbind },
	{ "unbind", "unbind ADDR [--dry-run]",
	  "give the device's group back to the drivers it had before",
	  "--dry-run shows the plan and changes nothing.\n", CMD_OPT_DRY_RUN, 1, 1,
	  cmd_bind_unbind },
	{ "assign", "assign ADDR DOMAIN [--start|--paused] [--dry-run] [--force]",
	  "pass the device through to a libvirt domain",
	  "The device's whole IOMMU group goes to vfio-pci; its other endpoints (a GPU's audio\n"
	  "function) go to the same domain. --start also starts the domain, --paused starts it\n"
	  "with its vCPUs paused. --dry-run shows the plan and changes nothing. --force takes a group the host needs (its disk, network).\n",
	  CMD_OPT_START | CMD_OPT_DRY_RUN | CMD_OPT_FORCE, 2, 2, cmd_assign },
	{ "release", "release ADDR|ID [--dry-run]", "end an assignment",
	  "Takes the assignment's id, or the address of the assigned device.\n"
	  "--dry-run shows the plan and changes nothing.\n",
	  CMD_OPT_DRY_RUN, 1, 1, cmd_release },
	{ "domains", "domains", "libvirt domains and their host devices", NULL, 0, 0, 0,
	  cmd_domains },
	{ "check", "check", "the host preflight: IOMMU, kernel options, vfio modules",
	  "Exits 0 when every check is ok or warn, 4 when one failed (the host is not ready).\n", 0, 0,
	  0, cmd_check },
	{ "sriov", "sriov PF N [--dry-run]", "create (or with N=0 remove) the VFs of a PF",
	  "--dry-run shows the plan and changes nothing.\n", CMD_OPT_DRY_RUN, 2, 2, cmd_sriov },
	{ "history", "history [--limit N]", "assignment and binding history",
	  "Newest first; --limit N (1 to 500, default 50) entries.\n", CMD_OPT_LIMIT, 0, 0,
	  cmd_history },
	{ "events", "events", "follow server-sent events until interrupted",
	  "One line per event as it comes: time, type, device, then the rest as key=value;\n"
	  "with --json, each event's JSON object on one line. With --timeout SECS, stops after\n"
	  "SECS seconds and exits 0.\n",
	  0, 0, 0, cmd_events },
	{ "help", "help [COMMAND]", "this help, or a command's", NULL, 0, 0, 1, cmd_help },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_help(void)
{
	printf("Usage: passctl [OPTIONS] COMMAND [ARGS]\n"
	       "\n"
	       "Talk to passd, the PCI passthrough daemon.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		printf("  %-40s %s\n", commands[i].synopsis, commands[i].summary);
	printf("\n"
	       "Options:\n"
	       "  --socket PATH   talk to passd over this unix socket (default " DEFAULT_SOCKET
	       ")\n"
	       "  --url URL       talk to passd over TCP, e.g. http://127.0.0.1:7480\n"
	       "  --token TOKEN   send 'Authorization: Bearer TOKEN'\n"
	       "  --json          print the server's JSON answer as it is, for scripts\n"
	       "  --timeout SECS  give up after SECS seconds (default %ld)\n"
	       "  -h, --help      show this help, or a command's with 'passctl COMMAND --help'\n"
	       "  -V, --version   show the version\n"
	       "\n"
	       "Environment: PASSCTL_URL (used when neither --socket nor --url is given),\n"
	       "PASSCTL_TOKEN (used when --token is not given).\n"
	       "\n"
	       "Exit status: 0 done, 1 refused by the server, 2 usage error, 3 cannot reach passd.\n",
	       DEFAULT_TIMEOUT_MS / 1000);
}

static void print_command_help(const struct command *cmd)
{
	printf("Usage: passctl [OPTIONS] %s\n\n%c%s.\n", cmd->synopsis,
	       cmd->summary[0] >= 'a' && cmd->summary[0] <= 'z' ? cmd->summary[0] - 'a' + 'A' :
								  cmd->summary[0],
	       cmd->summary + 1);
	if (cmd->help)
		printf("\n%s", cmd->help);
	printf("\nSee 'passctl --help' for the options every command takes.\n");
}

static int cmd_help(struct ctx *ctx, char **argv, int argc)
{
	const struct command *cmd;

	if (argc < 2) {
		print_help();
		return PASSCTL_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		_cleanup_free_ char *safe = cli_sanitize(argv[1]);

		return usage_error(NULL, "unknown command '%s'", safe);
	}
	print_command_help(cmd);
	return PASSCTL_EXIT_OK;
}

static int parse_timeout(const char *s, long *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > MAX_TIMEOUT_S ||
	    (*s < '0' || *s > '9'))
		return -EINVAL;
	*ret = (long)(v * 1000.0 + 0.999); /* round up: 0.0001 s is 1 ms, not none */
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int c;

	a->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	a->timeout_ms = DEFAULT_TIMEOUT_MS;
	opterr = 0;
	/* "-": options and arguments in any order, whatever POSIXLY_CORRECT says; ":": we report */
	while ((c = getopt_long(argc, argv, "-:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 1:
			a->pos[a->npos++] = optarg;
			break;
		case 'h':
			a->help = true;
			break;
		case 'V':
			a->version = true;
			break;
		case ARG_SOCKET:
			a->socket = optarg;
			break;
		case ARG_URL:
			a->url = optarg;
			break;
		case ARG_TOKEN:
			a->token = optarg;
			break;
		case ARG_JSON:
			a->json = true;
			break;
		case ARG_TIMEOUT:
			if (parse_timeout(optarg, &a->timeout_ms) < 0) {
				_cleanup_free_ char *safe = cli_sanitize(optarg);

				return usage_error(
					NULL,
					"--timeout needs a number of seconds above 0, not '%s'",
					safe);
			}
			a->timeout_given = true;
			break;
		case ARG_DRY_RUN:
			a->dry_run = true;
			a->used |= CMD_OPT_DRY_RUN;
			break;
		case ARG_START:
			a->start = true;
			a->used |= CMD_OPT_START;
			break;
		case ARG_PAUSED: /* start, with the vCPUs paused: QEMU holds the devices */
			a->start = a->paused = true;
			a->used |= CMD_OPT_START;
			break;
		case ARG_CLASS:
			a->class_code = optarg;
			a->used |= CMD_OPT_CLASS;
			break;
		case ARG_DRIVER:
			a->driver = optarg;
			a->used |= CMD_OPT_DRIVER;
			break;
		case ARG_GROUP:
			a->group = optarg;
			a->used |= CMD_OPT_GROUP;
			break;
		case ARG_STATE:
			a->state = optarg;
			a->used |= CMD_OPT_STATE;
			break;
		case ARG_FORCE:
			a->force = true;
			a->used |= CMD_OPT_FORCE;
			break;
		case ARG_LIMIT:
			a->limit = optarg;
			a->used |= CMD_OPT_LIMIT;
			break;
		case ':':
			if (optopt >= 0x100)
				return usage_error(NULL, "option '--%s' needs an argument",
						   opt_name(optopt));
			return usage_error(NULL, "option '-%c' needs an argument", optopt);
		default: {
			_cleanup_free_ char *safe = NULL;

			if (optopt > 0 && optopt < 0x100 && optopt != '?') {
				char s[2] = { (char)optopt, 0 };

				safe = cli_sanitize(s);
				return usage_error(NULL, "unknown option '-%s'", safe);
			}
			safe = cli_sanitize(argv[optind - 1]);
			return usage_error(NULL, "unknown option '%s'", safe);
		}
		}
	}
	for (; optind < argc; optind++) /* after "--" */
		a->pos[a->npos++] = argv[optind];
	return PASSCTL_EXIT_OK;
}

/* Where to connect: --socket, --url, $PASSCTL_URL, then the default socket. */
static int make_client(const struct args *a, struct http_client **ret)
{
	struct http_client_config cfg = { .timeout_ms = a->timeout_ms };
	const char *url = a->url, *what = "--url";
	int r;

	if (a->socket && a->url)
		return usage_error(NULL, "--socket and --url cannot be used together");
	if (!a->socket && !url) {
		url = getenv("PASSCTL_URL");
		what = "PASSCTL_URL";
		if (url && !url[0])
			url = NULL;
	}
	if (a->socket)
		cfg.socket_path = a->socket;
	else if (url && strncmp(url, "unix:", 5) == 0)
		cfg.socket_path = url + 5;
	else if (url)
		cfg.url = url;
	else
		cfg.socket_path = DEFAULT_SOCKET;
	cfg.token = a->token ? a->token : getenv("PASSCTL_TOKEN");

	r = http_client_new(&cfg, ret);
	if (r == -EINVAL) {
		_cleanup_free_ char *safe = NULL;

		if (cfg.token && strpbrk(cfg.token, "\r\n\t"))
			return usage_error(NULL, "the token holds control characters");
		if (cfg.socket_path) {
			safe = cli_sanitize(cfg.socket_path);
			return usage_error(NULL, "invalid socket path '%s'", safe);
		}
		safe = cli_sanitize(url);
		return usage_error(
			NULL,
			"invalid %s '%s': expected http://HOST:PORT, https://HOST:PORT or unix:PATH",
			what, safe);
	}
	if (r < 0) {
		cli_error("cannot set up the HTTP client: %s", strerror(-r));
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct args a = {};
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	const struct command *cmd = NULL;
	struct ctx ctx = { .a = &a };
	int r;

	r = parse_args(argc, argv, &a);
	if (r != PASSCTL_EXIT_OK)
		goto out;
	if (a.version) {
		printf("passctl %s\n", PACKAGE_VERSION);
		goto out;
	}
	if (a.npos > 0) {
		cmd = find_command(a.pos[0]);
		if (!cmd) {
			_cleanup_free_ char *safe = cli_sanitize(a.pos[0]);

			r = usage_error(NULL, "unknown command '%s'", safe);
			goto out;
		}
	}
	if (a.help) {
		if (cmd && !streq(cmd->name, "help"))
			print_command_help(cmd);
		else
			r = cmd_help(&ctx, a.pos, a.npos);
		goto out;
	}
	if (!cmd) {
		r = usage_error(NULL, "no command given");
		goto out;
	}
	for (unsigned bit = 1; bit <= CMD_OPT_STATE; bit <<= 1)
		if ((a.used & bit) && !(cmd->opts & bit)) {
			r = usage_error(cmd->name, "option '%s' does not apply to '%s'",
					cmd_opt_name(bit), cmd->name);
			goto out;
		}
	if (a.npos - 1 < cmd->min_args || a.npos - 1 > cmd->max_args) {
		r = usage_error(cmd->name, "%s arguments for '%s'; usage: passctl %s",
				a.npos - 1 < cmd->min_args ? "missing" : "too many", cmd->name,
				cmd->synopsis);
		goto out;
	}
	if (streq(cmd->name, "help")) {
		r = cmd_help(&ctx, a.pos, a.npos);
		goto out;
	}
	r = make_client(&a, &http);
	if (r != PASSCTL_EXIT_OK)
		goto out;
	ctx.http = http;
	r = cmd->run(&ctx, a.pos, a.npos);
out:
	free(a.pos);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output: %m");
		if (r == PASSCTL_EXIT_OK)
			r = PASSCTL_EXIT_REFUSED;
	}
	return r;
}
