/*
 * commands.c - passctl's commands: one function each, and the table that names them with their
 * synopsis, help, the options they take and how many arguments.
 */
#include <config.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assign.h"
#include "call.h"
#include "check.h"
#include "commands.h"
#include "domains.h"
#include "events.h"
#include "http.h"
#include "output.h"
#include "pci-addr.h"
#include "util.h"

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

	r = cli_exchange(ctx, &req, &reply);
	if (r != PASSCTL_EXIT_OK)
		return r;
	/* an unhealthy passd answers 503 with the health object itself: show it, then exit 1 */
	health = json_loadb(reply.body, reply.len, 0, NULL);
	status = out_str(health, "status");
	if (!cli_status_ok(reply.status) && (!status || json_object_get(health, "error"))) {
		cli_print_refusal(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	if (!health) {
		json_decref(cli_parse_body(&reply)); /* says why */
		return PASSCTL_EXIT_REFUSED;
	}
	if (ctx->a->json) {
		cli_print_raw(&reply);
	} else {
		/* counts are a bonus: without them the health part still says what is wrong */
		r = cli_call(ctx, "GET", "/v1/devices", NULL, &devices, NULL);
		out_status(stdout, health,
			   r == PASSCTL_EXIT_OK ? out_list(devices, "devices") : NULL);
		if (r != PASSCTL_EXIT_OK)
			return r;
	}
	if (!cli_status_ok(reply.status)) {
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
		return cli_usage_error("devices", "--group needs an IOMMU group number, not '%s'",
				   ctx->a->group);
	append_query(&path, "class", ctx->a->class_code);
	append_query(&path, "driver", ctx->a->driver);
	append_query(&path, "group", ctx->a->group);
	append_query(&path, "state", ctx->a->state);
	r = cli_get(ctx, path, &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	list = out_list(body, "devices");
	if (!list)
		return cli_unexpected("no list of devices");
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

	r = cli_get(ctx, "/v1/groups", &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	list = out_list(body, "groups");
	if (!list)
		return cli_unexpected("no list of groups");
	if (members_need_drivers(list)) {
		r = cli_call(ctx, "GET", "/v1/devices", NULL, &devices, NULL);
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

	r = cli_parse_address("show", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	path = xasprintf("/v1/devices/%s", addr);
	r = cli_get(ctx, path, &body);
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

	r = cli_parse_address(argv[0], argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	path = xasprintf("/v1/devices/%s/%s%s", addr, argv[0], dry_run_query(ctx));
	done = xasprintf("%s %s: done", argv[0], addr);
	return cli_mutate(ctx, "POST", path, NULL, done);
}

/* POST or DELETE an assignment; the answer verbatim with --json, else for people. */
static int mutate_assignment(struct ctx *ctx, const char *method, const char *path,
			     const char *body, bool release)
{
	struct http_reply raw = {};
	json_auto_t *json = NULL;
	int r;

	r = cli_call(ctx, method, path, body, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json)
		cli_print_raw(&raw);
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

	r = cli_parse_address("assign", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (argv[2][0] == '\0')
		return cli_usage_error("assign", "the domain name is empty");
	req = json_pack("{s:s, s:s, s:b, s:b, s:b}", "device", addr, "domain", argv[2], "start",
			(int)ctx->a->start, "paused", (int)ctx->a->paused, "force",
			(int)ctx->a->force);
	if (!req)
		return cli_usage_error("assign", "the domain name is not valid UTF-8");
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

		r = cli_parse_address("release", arg, addr);
		if (r != PASSCTL_EXIT_OK)
			return r;
		dev_path = xasprintf("/v1/devices/%s", addr);
		r = cli_call(ctx, "GET", dev_path, NULL, &dev, NULL);
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
			return cli_unexpected("the device's assignment has no usable id");
	} else {
		if (!id_valid(arg)) {
			_cleanup_free_ char *safe = cli_sanitize(arg);

			return cli_usage_error(
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

	r = cli_get(ctx, "/v1/domains", &body);
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

		return cli_usage_error("history", "--limit must be a whole number from 1 to 500, not '%s'",
				   safe);
	}
	path = n ? xasprintf("/v1/history?limit=%ld", n) : xstrdup("/v1/history");
	r = cli_get(ctx, path, &body);
	if (r != PASSCTL_EXIT_OK || ctx->a->json)
		return r;
	return history_print(stdout, body); /* cli/assign.c */
}

static int cmd_check(struct ctx *ctx, char **argv, int argc)
{
	json_auto_t *body = NULL;
	int r;

	r = cli_get(ctx, "/v1/host", &body);
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

	r = cli_parse_address("sriov", argv[1], addr);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!cli_parse_long(argv[2], 0, 65535, &n)) {
		_cleanup_free_ char *safe = cli_sanitize(argv[2]);

		return cli_usage_error(
			"sriov",
			"the number of VFs must be a whole number from 0 to 65535, not '%s'", safe);
	}
	path = xasprintf("/v1/devices/%s/sriov%s", addr, dry_run_query(ctx));
	body = xasprintf("{\"num_vfs\":%ld}", n);
	done = xasprintf("%s now has %ld VFs", addr, n);
	return cli_mutate(ctx, "POST", path, body, done);
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
	r = cli_exchange(ctx, &req, &reply);
	fclose(printer); /* prints nothing more: an event is printed when it completes */
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!cli_status_ok(reply.status)) {
		cli_print_refusal(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}


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
	  CMD_OPT_START | CMD_OPT_PAUSED | CMD_OPT_DRY_RUN | CMD_OPT_FORCE, 2, 2, cmd_assign },
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
	{ "help", "help [COMMAND]", "this help, or a command's", NULL, 0, 0, 1, cli_cmd_help },
};

const struct command *cli_command_find(const char *name)
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

void cli_command_help(const struct command *cmd)
{
	printf("Usage: passctl [OPTIONS] %s\n\n%c%s.\n", cmd->synopsis,
	       cmd->summary[0] >= 'a' && cmd->summary[0] <= 'z' ? cmd->summary[0] - 'a' + 'A' :
								  cmd->summary[0],
	       cmd->summary + 1);
	if (cmd->help)
		printf("\n%s", cmd->help);
	printf("\nSee 'passctl --help' for the options every command takes.\n");
}

int cli_cmd_help(struct ctx *ctx, char **argv, int argc)
{
	const struct command *cmd;

	if (argc < 2) {
		print_help();
		return PASSCTL_EXIT_OK;
	}
	cmd = cli_command_find(argv[1]);
	if (!cmd) {
		_cleanup_free_ char *safe = cli_sanitize(argv[1]);

		return cli_usage_error(NULL, "unknown command '%s'", safe);
	}
	cli_command_help(cmd);
	return PASSCTL_EXIT_OK;
}
