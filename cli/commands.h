/*
 * commands.h - passctl's commands and what they are handed: the parsed command line and the
 * HTTP client (private to passctl: main.c parses, commands.c runs, call.c talks to passd).
 */
#pragma once

#include <stdbool.h>

struct http_client;

#define DEFAULT_SOCKET "/run/passd/passd.sock"
#define DEFAULT_TIMEOUT_MS 60000L

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
	CMD_OPT_PAUSED = 1 << 8,
	CMD_OPT_LAST = CMD_OPT_PAUSED,
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

/* The command called @name, or NULL. */
const struct command *cli_command_find(const char *name);
/* `passctl COMMAND --help`: its synopsis, summary and help on stdout. */
void cli_command_help(const struct command *cmd);
/* `passctl help [COMMAND]`: the general help, or a command's; exit code. */
int cli_cmd_help(struct ctx *ctx, char **argv, int argc);
