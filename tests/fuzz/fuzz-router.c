/*
 * fuzz-router - libFuzzer target for the whole request router, in process and without
 * sockets: route table, roles, query and body decoding, and every handler, on an inventory
 * of a simulated host (PASSD_FUZZ_SYSFS, else a two-device tree made in a temporary
 * directory). The server.c functions handlers call are replaced here, so libmicrohttpd is not
 * involved: it is fuzzed upstream (OSS-Fuzz libmicrohttpd2).
 *
 * Input: "METHOD PATH[?k=v&...]\n", header lines "Name: value\n", an empty line, the body.
 * "X-Role: reader|operator|admin|none" picks the caller (admin by default). Every request that
 * is not a GET gets dry_run=true, so that nothing is moved on the tree between inputs.
 * Properties: never crashes or leaks, always answers a status from 200 to 599, and any error
 * status has the contract's JSON body.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/handlers.h"
#include "api/routes.h"
#include "core/bind.h"
#include "core/inventory.h"
#include "db/db.h"
#include "log.h"
#include "sysfs/sysfs.h"

#define MAX_KV 16

struct fz {
	const char *qk[MAX_KV], *qv[MAX_KV];
	size_t nq;
	const char *hk[MAX_KV], *hv[MAX_KV];
	size_t nh;
	struct api_response deferred;
	bool deferred_used;
};

/* --- what server.c gives handlers --------------------------------------------------------- */

const char *api_request_query(const struct api_request *req, const char *key)
{
	const struct fz *f = req->conn;

	for (size_t i = 0; i < f->nq; i++)
		if (streq(f->qk[i], key))
			return f->qv[i];
	return NULL;
}

const char *api_request_header(const struct api_request *req, const char *key)
{
	const struct fz *f = req->conn;

	for (size_t i = 0; i < f->nh; i++)
		if (strcasecmp(f->hk[i], key) == 0)
			return f->hv[i];
	return NULL;
}

int api_request_query_foreach(const struct api_request *req,
			      int (*fn)(const char *key, const char *value, void *userdata),
			      void *userdata)
{
	const struct fz *f = req->conn;

	for (size_t i = 0; i < f->nq; i++) {
		int r = fn(f->qk[i], f->qv[i], userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

struct api_deferred *api_request_defer(struct api_request *req)
{
	struct fz *f = req->conn;

	f->deferred_used = true;
	f->deferred = (struct api_response){ .status = 500 };
	return (struct api_deferred *)f;
}

void api_request_undefer(struct api_request *req)
{
	((struct fz *)req->conn)->deferred_used = false;
}

struct api_response *api_deferred_response(struct api_deferred *d)
{
	return &((struct fz *)d)->deferred;
}

void api_deferred_resume(struct api_deferred *d)
{
}

void api_stream_wake(struct api_stream *s)
{
}

/* --- the host ---------------------------------------------------------------------------- */

static struct api_ctx ctx;
static struct sysfs *fs;
static struct db *db;

static int put(const char *root, const char *rel, const char *text)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		return -errno;
	}
	return close(fd);
}

static void attr(const char *root, const char *dir, const char *name, const char *text)
{
	char rel[1024];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	(void)put(root, rel, text);
}

static void mk(const char *root, const char *rel)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
}

static void ln(const char *root, const char *target, const char *rel)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	(void)symlink(target, p);
}

/* A GPU and its audio function in IOMMU group 1, the GPU on a host driver. */
static const char *make_tree(void)
{
	static char root[] = "/tmp/passd-fuzz-router.XXXXXX";
	static const char *const devs[] = { "0000:01:00.0", "0000:01:00.1" };
	static const char *const cls[] = { "0x030000", "0x040300" };
	char rel[512], tgt[512];

	if (!mkdtemp(root))
		return NULL;
	mk(root, "bus/pci/drivers/nouveau");
	mk(root, "bus/pci/drivers/vfio-pci");
	mk(root, "bus/pci/devices");
	mk(root, "kernel/iommu_groups/1/devices");
	for (int i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:01.0/%s", devs[i]);
		mk(root, rel);
		attr(root, rel, "vendor", "0x10de\n");
		attr(root, rel, "device", "0x1b80\n");
		attr(root, rel, "subsystem_vendor", "0x1043\n");
		attr(root, rel, "subsystem_device", "0x8591\n");
		attr(root, rel, "class", cls[i]);
		attr(root, rel, "driver_override", "(null)\n");
		attr(root, rel, "numa_node", "-1\n");
		snprintf(tgt, sizeof(tgt), "../../../devices/pci0000:00/0000:00:01.0/%s", devs[i]);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s", devs[i]);
		ln(root, tgt, rel);
		snprintf(tgt, sizeof(tgt), "../../../../devices/pci0000:00/0000:00:01.0/%s",
			 devs[i]);
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/1/devices/%s", devs[i]);
		ln(root, tgt, rel);
		snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:01.0/%s/iommu_group",
			 devs[i]);
		ln(root, "../../../../kernel/iommu_groups/1", rel);
	}
	ln(root, "../../../../bus/pci/drivers/nouveau",
	   "devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver");
	return root;
}

static int setup(void)
{
	struct pd_error err = PD_ERROR_INIT;
	const char *root = getenv("PASSD_FUZZ_SYSFS");
	static char dbpath[4096]; /* the handlers keep pointing at it */
	struct inv *inv = NULL;
	struct bindsvc *bs = NULL;

	log_set_max_level(LOG_LEVEL_ERR);
	if (!root)
		root = make_tree();
	if (!root || sysfs_new(root, &fs) < 0)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/passd-fuzz-router-%d.db",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	(void)unlink(dbpath);
	if (db_open(dbpath, &db, &err) < 0 || inv_new(fs, db, NULL, 1, &inv) < 0 ||
	    inv_scan(inv, &err) < 0 || bindsvc_new(fs, db, inv, &bs) < 0)
		return -1;
	ctx.inv = inv;
	ctx.bindsvc = bs;
	ctx.cfg = (struct api_config){ .version = "fuzz",
				       .libvirt_uri = "none",
				       .db_path = dbpath,
				       .web_dir = PASSD_SRC_WEBDIR,
				       .op_timeout_ms = 1000 };
	(void)api_web_load(&ctx, PASSD_SRC_WEBDIR);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;

/* libFuzzer calls this once, outside the per-input timeout: the first scan takes a while. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ready = setup() == 0 ? 1 : -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { 0 };
	struct api_identity id = { API_ROLE_ADMIN, "token:fuzz" };
	struct api_response resp = { .status = 0 };
	struct api_request req = { .ctx = &ctx, .identity = &id, .conn = &f };
	char *text, *line, *body, *sp, *q, *save = NULL;
	bool get;

	if (!ready)
		ready = setup() == 0 ? 1 : -1;
	if (ready < 0)
		abort(); /* no host to route on: the harness is broken, not passd */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	body = strstr(text, "\n\n");
	if (body) {
		*body = '\0';
		body += 2;
	}
	line = strtok_r(text, "\n", &save);
	if (!line || !(sp = strchr(line, ' ')) || sp == line) {
		free(text);
		return 0;
	}
	*sp = '\0';
	req.method = line;
	req.path = sp + 1;
	q = strchr(sp + 1, '?');
	if (q) {
		*q++ = '\0';
		for (char *kv = strtok_r(q, "&", &q); kv && f.nq < MAX_KV - 1;
		     kv = strtok_r(NULL, "&", &q)) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq++ = '\0';
			f.qk[f.nq] = kv;
			f.qv[f.nq++] = eq;
		}
	}
	for (char *h = strtok_r(NULL, "\n", &save); h && f.nh < MAX_KV;
	     h = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(h, ':');
		if (!c)
			continue;
		*c++ = '\0';
		f.hk[f.nh] = h;
		f.hv[f.nh++] = c + strspn(c, " ");
	}
	get = streq(req.method, "GET") || streq(req.method, "HEAD");
	if (!get) {
		/* Replace any dry_run: nothing may change the tree between inputs. */
		for (size_t i = 0; i < f.nq; i++)
			if (streq(f.qk[i], "dry_run"))
				f.qk[i] = "dry_run", f.qv[i] = "true";
		if (!api_request_query(&req, "dry_run")) {
			f.qk[f.nq] = "dry_run";
			f.qv[f.nq++] = "true";
		}
	}
	{
		const char *role = api_request_header(&req, "X-Role");
		if (role && api_role_from_string(role, &id.role) < 0)
			id.role = API_ROLE_ANONYMOUS;
	}
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	api_route(&req, &resp);
	if (f.deferred_used) {
		/* A handler deferred: a dry run must not, but take its answer if it did. */
		api_blob_unref(resp.body);
		resp = f.deferred;
	}
	if (resp.stream) {
		/* A streamed answer (events): one read, as the first write to a client would be. */
		char buf[4096];
		(void)resp.stream->read(resp.stream_cls, NULL, buf, sizeof(buf), false);
		if (resp.stream->free)
			resp.stream->free(resp.stream_cls);
	}
	if (resp.status < 200 || resp.status > 599)
		abort();
	if (resp.status >= 400 && (!resp.body || !strstr(resp.body->data, "\"error\"")))
		abort();
	api_blob_unref(resp.body);
	free(text);
	return 0;
}
