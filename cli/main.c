/*
 * passctl - the command-line client of passd.
 *
 * It speaks HTTP only (STYLE 2.1): it parses the command line, sends one or two requests and
 * prints the answer as tables for people or verbatim JSON for scripts. Its exit code is the
 * contract's: 0 done, 1 refused by the server, 2 usage error, 3 daemon unreachable.
 *
 * This file parses the options and runs main(); the commands are in commands.c, and what a
 * command sends to passd goes through call.c.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "commands.h"
#include "http.h"
#include "util.h"

#define MAX_TIMEOUT_S 86400.0

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
	case CMD_OPT_PAUSED:
		return "--paused";
	}
	return "?";
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

				return cli_usage_error(
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
			a->used |= CMD_OPT_PAUSED;
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
				return cli_usage_error(NULL, "option '--%s' needs an argument",
						   opt_name(optopt));
			return cli_usage_error(NULL, "option '-%c' needs an argument", optopt);
		default: {
			_cleanup_free_ char *safe = NULL;

			if (optopt > 0 && optopt < 0x100 && optopt != '?') {
				char s[2] = { (char)optopt, 0 };

				safe = cli_sanitize(s);
				return cli_usage_error(NULL, "unknown option '-%s'", safe);
			}
			safe = cli_sanitize(argv[optind - 1]);
			return cli_usage_error(NULL, "unknown option '%s'", safe);
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
		return cli_usage_error(NULL, "--socket and --url cannot be used together");
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
			return cli_usage_error(NULL, "the token holds control characters");
		if (cfg.socket_path) {
			safe = cli_sanitize(cfg.socket_path);
			return cli_usage_error(NULL, "invalid socket path '%s'", safe);
		}
		safe = cli_sanitize(url);
		return cli_usage_error(
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
		cmd = cli_command_find(a.pos[0]);
		if (!cmd) {
			_cleanup_free_ char *safe = cli_sanitize(a.pos[0]);

			r = cli_usage_error(NULL, "unknown command '%s'", safe);
			goto out;
		}
	}
	if (a.help) {
		if (cmd && !streq(cmd->name, "help"))
			cli_command_help(cmd);
		else
			r = cli_cmd_help(&ctx, a.pos, a.npos);
		goto out;
	}
	if (!cmd) {
		r = cli_usage_error(NULL, "no command given");
		goto out;
	}
	for (unsigned bit = 1; bit <= CMD_OPT_LAST; bit <<= 1)
		if ((a.used & bit) && !(cmd->opts & bit)) {
			r = cli_usage_error(cmd->name, "option '%s' does not apply to '%s'",
					cmd_opt_name(bit), cmd->name);
			goto out;
		}
	if (a.npos - 1 < cmd->min_args || a.npos - 1 > cmd->max_args) {
		r = cli_usage_error(cmd->name, "%s arguments for '%s'; usage: passctl %s",
				a.npos - 1 < cmd->min_args ? "missing" : "too many", cmd->name,
				cmd->synopsis);
		goto out;
	}
	if (streq(cmd->name, "help")) {
		r = cli_cmd_help(&ctx, a.pos, a.npos);
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
