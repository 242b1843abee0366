/*
 * config.h - passd's options: one table drives the command line, passd.conf and --help.
 *
 * Precedence: command line over the file over defaults. Every value is validated; a bad one is
 * a clear error at startup, never a default chosen in silence.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "log.h"
#include "macro.h"

#define CFG_MAX_LISTEN 8

struct cfg {
	char *sysfs_root;
	char *dev_root;
	char *proc_root;
	char *db_path;
	char *listen[CFG_MAX_LISTEN];
	unsigned n_listen;
	char *libvirt_uri;
	char *token_file;
	char *web_dir;
	char *config_file;
	bool foreground;
	enum log_level log_level;
	unsigned scan_threads;
	unsigned rescan_interval_s;
	unsigned op_timeout_s;
	int load_modules;  /* CFG_AUTO (-1): yes on the real host only; 0 no; 1 yes */
	char *modules_dir; /* NULL: /lib/modules on the real host, none on a simulated tree */
	char *modprobe;
	/* Identity, transport and limits (docs/security.md). */
	char *socket_group;
	char *group_role;
	char *anonymous_loopback;
	char *tls_cert;
	char *tls_key;
	unsigned max_connections;
	unsigned connection_timeout_s;
	unsigned connections_per_identity;
	unsigned unauthenticated_max;
	unsigned header_timeout_s;
	unsigned rate_limit;
	unsigned rate_burst;
	bool list_routes; /* --list-routes: print the route table and exit */
	bool apply_bindings; /* --apply-bindings: re-apply persisted bindings and VF counts, exit */
};

#define CFG_AUTO (-1)

/*
 * Parse argv (and the config file it names, or the default one when present) into a new
 * struct cfg. Returns 0, 1 when --help or --version was handled (exit 0), or a negative errno
 * after printing a message to stderr (exit 2).
 */
int cfg_parse(int argc, char **argv, struct cfg **ret);
/* Where parse errors are printed (NULL: stderr); the fuzzer silences them. */
void cfg_set_errors(FILE *f);
/* Parse the text of a config file alone (the fuzzer's entry). */
int cfg_parse_text(const char *text, size_t len, struct cfg **ret);
/* Re-read the config file for SIGHUP: applies what may change live, warns about the rest. */
int cfg_reload(struct cfg *cur);
void cfg_free(struct cfg *c);
DEFINE_FREEP(struct cfg, cfg_free)
