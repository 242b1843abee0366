/*
 * main.c - passd's composition root: parse the configuration, build every object, wire them
 * into the loop, run, tear down in reverse.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "config.h"
#include "core/audit.h"
#include "core/assign.h"
#include "core/bind.h"
#include "core/domains.h"
#include "core/events.h"
#include "core/hotplug.h"
#include "core/inventory.h"
#include "core/preflight.h"
#include "core/workq.h"
#include "db/db.h"
#include "log.h"
#include "loop.h"
#include "procfs/procfs.h"
#include "sysfs/sysfs.h"
#include "udev/hwdb.h"
#include "udev/monitor.h"

struct passd {
	struct cfg *cfg;
	struct loop *loop;
	struct sysfs *sysfs;
	struct procfs *procfs;
	struct udevw_hwdb *hwdb;
	struct udevw_monitor *monitor;
	struct hotplug *hotplug;
	struct db *db;
	struct inv *inv;
	struct bindsvc *bindsvc;
	struct preflight *preflight;
	struct domsvc *domsvc;
	struct workq *workq;
	struct asgsvc *asgsvc;
	struct auditsvc *audit;
	struct api_server *api;
	struct evbus *events;
	int exit_code;
};

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, when systemd set it. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	socklen_t len;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_debug("sd_notify '%s' failed, ignoring: %m", state);
}

static void on_watchdog(struct loop *l, int fd, uint32_t events, void *userdata)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	notify("WATCHDOG=1");
}

/*
 * WatchdogSec= of the unit: systemd sets WATCHDOG_USEC (and WATCHDOG_PID, which must be us)
 * and kills passd when no WATCHDOG=1 came for that long. The loop pings at half the
 * interval, so a loop stuck in a callback is what the watchdog catches.
 */
static int arm_watchdog(struct passd *p)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;
	int r;

	if (!usec)
		return 0;
	if (pid && strtoull(pid, NULL, 10) != (unsigned long long)getpid())
		return 0; /* meant for another process (a wrapper) */
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || end == usec || *end || v < 2000) {
		log_warning("Ignoring WATCHDOG_USEC='%s': not a number of microseconds >= 2000", usec);
		return 0;
	}
	r = loop_add_timer(p->loop, v / 2000, on_watchdog, p);
	if (r < 0)
		return log_error_errno(r, "Cannot arm the watchdog timer: %m");
	log_debug("Watchdog: pinging systemd every %llu ms", v / 2000);
	return 0;
}

static int setup_preflight(struct passd *p);

/*
 * The binding service, and the host as the database says it should be: what a crashed passd
 * left half-done is finished, then VF counts and bindings are re-applied.
 */
static int start_bindings(struct passd *p)
{
	struct pd_error err = PD_ERROR_INIT;
	unsigned recovered = 0;
	int r;

	r = bindsvc_new(p->sysfs, p->db, p->inv, &p->bindsvc);
	if (r < 0)
		return log_error_errno(r, "Cannot create the binding service: %m");
	r = bindsvc_recover(p->bindsvc, &recovered);
	if (r < 0)
		return r; /* logged */
	if (recovered > 0 && inv_scan(p->inv, &err) < 0)
		return -EIO; /* logged */
	r = bindsvc_reconcile(p->bindsvc);
	if (r < 0)
		return r; /* logged */
	return 0;
}

/*
 * passd --apply-bindings (passd-early.service, before libvirtd and the network): finish what
 * a crashed passd left half-done, re-apply the VF counts and vfio-pci bindings passd keeps,
 * so no host driver holds a device that belongs on vfio-pci after a reboot. No API, no
 * libvirt. Exits 0 when the reconcile ran (drift is logged, not an error), 1 when it could not.
 */
static int apply_bindings(struct passd *p)
{
	struct pd_error err = PD_ERROR_INIT;
	int r;

	r = sysfs_new(p->cfg->sysfs_root, &p->sysfs);
	if (r < 0)
		return log_error_errno(r, "Cannot open sysfs root '%s': %m", p->cfg->sysfs_root);
	r = procfs_new(p->cfg->proc_root, &p->procfs);
	if (r < 0)
		log_warning("Cannot open proc root '%s', ignoring: %s", p->cfg->proc_root,
			    strerror(-r));
	if (access(p->cfg->db_path, F_OK) < 0) {
		log_info("No database at '%s': nothing to apply", p->cfg->db_path);
		return 0;
	}
	r = db_open(p->cfg->db_path, &p->db, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot open database: %s", err.message);
	r = inv_new(p->sysfs, p->db, NULL, p->cfg->scan_threads, &p->inv);
	if (r < 0)
		return log_error_errno(r, "Cannot create the inventory: %m");
	inv_set_procfs(p->inv, p->procfs);
	/* Early in boot vfio-pci may not be loaded yet: the preflight loads it (real /sys only). */
	r = setup_preflight(p);
	if (r < 0)
		return r; /* logged */
	r = inv_scan(p->inv, &err);
	if (r < 0)
		return r; /* logged */
	r = start_bindings(p);
	if (r < 0)
		return r; /* logged */
	log_info("Applied bindings: %u VF count(s) and %u binding(s) re-applied, %zu drift(s)",
		 bindsvc_get_vfs_reapplied(p->bindsvc), bindsvc_get_reapplied(p->bindsvc),
		 bindsvc_get_drift(p->bindsvc, &(const struct bind_drift *){ NULL }));
	return 0;
}

static void on_signal(struct loop *l, int signo, void *userdata)
{
	struct passd *p = userdata;
	int r;

	if (signo == SIGHUP) {
		notify("RELOADING=1");
		r = cfg_reload(p->cfg);
		if (r < 0)
			log_warning("Reloading '%s' failed, keeping the old configuration",
				    p->cfg->config_file);
		else
			log_info("Configuration reloaded from '%s'", p->cfg->config_file);
		notify("READY=1");
		return;
	}
	log_info("Received %s, stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
	loop_quit(l, 0);
}

static void on_api_fd(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct passd *p = userdata;

	for (size_t i = 0; i < api_server_fd_count(p->api); i++)
		if (api_server_fd(p->api, i) == fd)
			api_server_dispatch(p->api, i);
}

static int on_prepare(struct loop *l, void *userdata)
{
	struct passd *p = userdata;

	/* Cheap (an epoll_wait of 0 per daemon) and runs MHD's own timeouts. */
	api_server_dispatch_all(p->api);
	return api_server_timeout_ms(p->api);
}

static void on_rescan(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct passd *p = userdata;
	struct pd_error err = PD_ERROR_INIT;
	uint64_t ticks;
	uint64_t gen = inv_generation(p->inv);

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	/* A scan reads the devices a move has in hand, and can hang with a hung driver: next tick. */
	if (bindsvc_any_busy(p->bindsvc))
		return;
	if (inv_scan(p->inv, &err) < 0)
		return; /* logged; the previous view stays */
	if (inv_generation(p->inv) != gen)
		log_info("Rescan found changes: %zu devices, %u IOMMU groups",
			 inv_device_count(p->inv), inv_iommu_group_count(p->inv));
}

static void on_bind_event(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct passd *p = userdata;

	bindsvc_dispatch(p->bindsvc);
}

static void on_assign_event(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct passd *p = userdata;

	asgsvc_dispatch(p->asgsvc);
}

static void on_bind_tick(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct passd *p = userdata;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	bindsvc_dispatch(p->bindsvc); /* expires answers past --op-timeout */
	if (p->asgsvc)
		asgsvc_dispatch(p->asgsvc);
}

/*
 * Hotplug events exist for the real /sys only. Registered before the first scan so nothing
 * can appear in between unnoticed; a simulated tree is rescanned periodically instead.
 */
static int watch_uevents(struct passd *p)
{
	_cleanup_free_ char *real = realpath(p->cfg->sysfs_root, NULL);
	const char *source;
	int r;

	if (!real || !streq(real, "/sys"))
		return 0;
	source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	r = udevw_monitor_new(source, &p->monitor);
	if (r < 0) {
		log_warning("Cannot watch PCI hotplug events, relying on periodic rescans: %s",
			    strerror(-r));
		return 0;
	}
	log_info("Watching PCI hotplug events (%s)", source);
	return 0;
}

/*
 * Once the inventory and the binder exist: uevents are read from here on (those since
 * watch_uevents() wait in the socket). A driver change re-reads its device, the rest rescans.
 */
static int follow_uevents(struct passd *p)
{
	int r;

	if (!p->monitor)
		return 0;
	r = hotplug_new(p->loop, p->monitor, p->inv, p->bindsvc, &p->hotplug);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the udev monitor: %m");
	return 0;
}

static bool is_real_sysfs(const char *root)
{
	_cleanup_free_ char *real = realpath(root, NULL);

	return real && streq(real, "/sys");
}

/*
 * The preflight, and the modules it may load first: only on the real host (never on a
 * simulated tree, whatever --load-modules says: modprobe would change this machine, not the
 * simulated one). Then one line per check that is not ok, so the journal says what is missing.
 */
static int setup_preflight(struct passd *p)
{
	bool real = is_real_sysfs(p->cfg->sysfs_root);
	const char *mdir = p->cfg->modules_dir ? p->cfg->modules_dir : real ? "/lib/modules" : NULL;
	bool load = p->cfg->load_modules == CFG_AUTO ? real : p->cfg->load_modules == 1;
	struct preflight_report rep;
	int r;

	r = preflight_new(p->sysfs, p->procfs, p->cfg->dev_root, mdir, &p->preflight);
	if (r < 0)
		return log_error_errno(r, "Cannot create the host preflight: %m");
	if (load && !real)
		log_warning("load-modules=yes ignored: sysfs root '%s' is not this machine's /sys",
			    p->cfg->sysfs_root);
	else if (load)
		(void)preflight_load_modules(p->preflight, p->cfg->modprobe); /* logs; the check shows it */
	if (preflight_run(p->preflight, &rep) < 0)
		return log_error_errno(-ENOMEM, "Cannot run the host preflight: %m");
	for (size_t i = 0; i < _PREFLIGHT_CHECK_MAX; i++) {
		const struct preflight_check *c = &rep.checks[i];

		if (c->status == PREFLIGHT_STATUS_FAIL)
			log_warning("Host preflight: %s failed: %s", preflight_check_id_to_string(c->id),
				    c->detail);
		else if (c->status == PREFLIGHT_STATUS_WARN)
			log_notice("Host preflight: %s: %s", preflight_check_id_to_string(c->id),
				   c->detail);
	}
	return 0;
}

static int ensure_parent_dir(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void passd_teardown(struct passd *p)
{
	/* In-flight group moves finish or roll back and get their answers before MHD stops. */
	if (p->bindsvc)
		bindsvc_drain(p->bindsvc);
	/*
	 * An assignment alternates between its own workers and the binder's (check, bind,
	 * attach, rollback; release, unbind): drain both until a whole chain has run out.
	 */
	for (int i = 0; p->asgsvc && i < 3; i++) {
		asgsvc_drain(p->asgsvc);
		if (p->bindsvc)
			bindsvc_drain(p->bindsvc);
	}
	/* Domain requests in flight (a start, a stop) get their answers too. */
	workq_drain(p->workq);
	hotplug_free(p->hotplug); /* before the binder, the inventory, the monitor, the loop */
	if (p->api)
		api_server_dispatch_all(p->api);
	api_server_free(p->api);
	evbus_set_default(NULL);
	evbus_free(p->events); /* after the API: its streams read the bus */
	workq_free(p->workq);
	asgsvc_free(p->asgsvc);
	domsvc_free(p->domsvc);
	auditsvc_free(p->audit);
	bindsvc_free(p->bindsvc);
	preflight_free(p->preflight);
	inv_free(p->inv);
	db_free(p->db);
	udevw_hwdb_free(p->hwdb);
	udevw_monitor_free(p->monitor);
	procfs_free(p->procfs);
	sysfs_free(p->sysfs);
	loop_free(p->loop);
	cfg_free(p->cfg);
}

/* The unix sockets' group: socket-group, or root's when it does not exist (with a warning). */
static long socket_gid(const char *name)
{
	struct group *g = getgrnam(name);

	if (g)
		return (long)g->gr_gid;
	log_warning("Group '%s' does not exist: the unix sockets are 0660 root:root, so only root can use them (create the group, or set socket-group)",
		    name);
	return 0;
}

static int passd_setup(struct passd *p)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	struct pd_error err = PD_ERROR_INIT;
	struct api_config acfg;
	int r;

	r = loop_new(&p->loop);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop: %m");
	r = loop_add_signals(p->loop, signals, ELEMENTSOF(signals), on_signal, p);
	if (r < 0)
		return log_error_errno(r, "Cannot watch signals: %m");
	r = evbus_new(EVBUS_CAPACITY, &p->events);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event bus: %m");
	evbus_set_default(p->events);

	/* First, so the first libvirt connection is made while the host is scanned. */
	r = domsvc_new(p->loop, p->cfg->libvirt_uri, &p->domsvc);
	if (r < 0)
		return log_error_errno(r, "Cannot start the libvirt domain service: %m");
	r = workq_new(p->loop, 4, &p->workq);
	if (r < 0)
		return log_error_errno(r, "Cannot start the job queue: %m");

	r = sysfs_new(p->cfg->sysfs_root, &p->sysfs);
	if (r < 0)
		return log_error_errno(r, "Cannot open sysfs root '%s': %m", p->cfg->sysfs_root);

	r = procfs_new(p->cfg->proc_root, &p->procfs);
	if (r < 0)
		log_warning("Cannot open proc root '%s', ignoring: %s. Host-critical devices are then known only from boot VGA and host bridges, not from mounts, swap or routes",
			    p->cfg->proc_root, strerror(-r));

	r = udevw_hwdb_new(&p->hwdb);
	if (r < 0)
		log_notice("No udev hardware database, device names will be null: %s", strerror(-r));

	if (streq(p->cfg->db_path, "/var/lib/passd/passd.db"))
		(void)ensure_parent_dir(p->cfg->db_path); /* db_open reports what matters */
	r = db_open(p->cfg->db_path, &p->db, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot open database: %s", err.message);

	/* Before the first scan, so a vfio-pci loaded here is seen by it. */
	r = setup_preflight(p);
	if (r < 0)
		return r;
	r = watch_uevents(p);
	if (r < 0)
		return r;
	r = inv_new(p->sysfs, p->db, p->hwdb, p->cfg->scan_threads, &p->inv);
	if (r < 0)
		return log_error_errno(r, "Cannot create the inventory: %m");
	inv_set_procfs(p->inv, p->procfs);
	r = inv_scan(p->inv, &err);
	if (r < 0)
		return r; /* logged */

	acfg = (struct api_config){
		.version = PACKAGE_VERSION,
		.libvirt_uri = p->cfg->libvirt_uri,
		.db_path = p->cfg->db_path,
		.web_dir = p->cfg->web_dir,
		.op_timeout_ms = p->cfg->op_timeout_s * 1000,
		.preflight = p->preflight,
		.domsvc = p->domsvc,
		.workq = p->workq,
		.connection_limit = p->cfg->max_connections,
		.connection_timeout_s = p->cfg->connection_timeout_s,
		.security = {
			.token_file = p->cfg->token_file,
			.tls_cert = p->cfg->tls_cert,
			.tls_key = p->cfg->tls_key,
			.socket_gid = socket_gid(p->cfg->socket_group),
			.group_role = p->cfg->group_role,
			.anonymous_loopback = p->cfg->anonymous_loopback,
			.connections_per_identity = p->cfg->connections_per_identity,
			.unauthenticated_max = p->cfg->unauthenticated_max,
			.header_timeout_s = p->cfg->header_timeout_s,
			.rate = p->cfg->rate_limit,
			.burst = p->cfg->rate_burst,
		},
	};
	r = auditsvc_new(p->db, &p->audit);
	if (r < 0)
		return r; /* logged */
	acfg.security.audit = p->audit;
	r = start_bindings(p);
	if (r < 0)
		return r; /* logged */
	r = follow_uevents(p);
	if (r < 0)
		return r; /* logged */
	r = asgsvc_new(p->inv, p->bindsvc, p->domsvc, p->sysfs, p->db, acfg.op_timeout_ms,
		       &p->asgsvc);
	if (r < 0)
		return log_error_errno(r, "Cannot create the assignment service: %m");
	r = asgsvc_load(p->asgsvc, &err);
	if (r < 0)
		return log_error_errno(r, "Cannot load the assignments: %s", err.message);
	acfg.asgsvc = p->asgsvc;
	r = api_server_new(&acfg, p->inv, p->bindsvc, &p->api);
	if (r < 0)
		return log_error_errno(r, "Cannot create the API server: %m");
	for (unsigned i = 0; i < p->cfg->n_listen; i++) {
		_cleanup_free_ char *desc = NULL;
		const char *spec = p->cfg->listen[i];

		if (strncmp(spec, "unix:/run/passd/", 16) == 0)
			(void)ensure_parent_dir(spec + 5); /* the default place; bind reports errors */
		r = api_server_listen(p->api, spec, &desc);
		if (r == -EPERM)
			return log_error_errno(r,
					       "Refusing to listen on '%s': beyond loopback, TCP needs TLS (tls-cert, tls-key) and a token-file",
					       spec);
		if (r == -EINVAL)
			return log_error_errno(r, "Bad listen address '%s'", spec);
		if (r < 0)
			return log_error_errno(r, "Cannot listen on '%s': %m", spec);
		log_info("Listening on %s", desc);
	}
	for (size_t i = 0; i < api_server_fd_count(p->api); i++) {
		r = loop_add_io(p->loop, api_server_fd(p->api, i), EPOLLIN, on_api_fd, p);
		if (r < 0)
			return log_error_errno(r, "Cannot watch the API sockets: %m");
	}
	loop_set_prepare(p->loop, on_prepare, p);
	r = loop_add_io(p->loop, bindsvc_get_event_fd(p->bindsvc), EPOLLIN, on_bind_event, p);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the binding workers: %m");
	r = loop_add_io(p->loop, asgsvc_get_event_fd(p->asgsvc), EPOLLIN, on_assign_event, p);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the assignment workers: %m");
	r = loop_add_timer(p->loop, 250, on_bind_tick, p);
	if (r < 0)
		return log_error_errno(r, "Cannot arm the binding timer: %m");
	r = arm_watchdog(p);
	if (r < 0)
		return r; /* logged */

	if (p->cfg->rescan_interval_s > 0) {
		r = loop_add_timer(p->loop, (uint64_t)p->cfg->rescan_interval_s * 1000, on_rescan, p);
		if (r < 0)
			return log_error_errno(r, "Cannot arm the rescan timer: %m");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct passd p = { 0 };
	int r;

	r = cfg_parse(argc, argv, &p.cfg);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	log_set_max_level(p.cfg->log_level);
	if (p.cfg->list_routes) {
		api_routes_print(stdout);
		cfg_free(p.cfg);
		return EXIT_SUCCESS;
	}
	signal(SIGPIPE, SIG_IGN);

	if (p.cfg->apply_bindings) {
		r = apply_bindings(&p);
		passd_teardown(&p);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}

	r = passd_setup(&p);
	if (r < 0) {
		passd_teardown(&p);
		return EXIT_FAILURE;
	}

	log_info("passd %s ready: %zu PCI functions, %u IOMMU groups%s, sysfs '%s', database '%s'",
		 PACKAGE_VERSION, inv_device_count(p.inv), inv_iommu_group_count(p.inv),
		 inv_iommu_enabled(p.inv) ? "" : " (no IOMMU active)", p.cfg->sysfs_root,
		 p.cfg->db_path);
	notify("READY=1");

	r = loop_run(p.loop);
	notify("STOPPING=1");
	if (r < 0)
		log_error_errno(r, "Event loop failed: %m");
	passd_teardown(&p);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
