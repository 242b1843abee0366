#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "handlers.h"

#define WEB_FILE_MAX (4 * 1024 * 1024)

static const struct {
	const char *name;
	const char *content_type;
} web_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "app.js", "text/javascript; charset=utf-8" },
	{ "style.css", "text/css; charset=utf-8" },
	{ "actions.js", "text/javascript; charset=utf-8" },
};

static int read_file(int dirfd, const char *name, struct api_blob **ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return -errno;
	r = api_read_fd(fd, WEB_FILE_MAX, &buf, &len, NULL);
	if (r < 0)
		return r;
	*ret = api_blob_from_data(buf, len);
	return *ret ? 0 : -ENOMEM;
}

int api_web_load(struct api_ctx *ctx, const char *dir)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int first = 0;

	if (dirfd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(web_files); i++) {
		struct api_file *f = &ctx->files[i];
		unsigned long h = 1469598103934665603UL;
		char tag[24];
		int r;

		f->name = web_files[i].name;
		f->content_type = web_files[i].content_type;
		r = read_file(dirfd, f->name, &f->blob);
		if (r < 0) {
			if (!first)
				first = r;
			continue;
		}
		for (size_t k = 0; k < f->blob->len; k++)
			h = (h ^ (unsigned char)f->blob->data[k]) * 1099511628211UL;
		snprintf(tag, sizeof(tag), "w%016lx", h);
		api_make_etag(f->etag, sizeof(f->etag), 0, tag);
	}
	return first;
}

void api_web_get(struct api_request *req, struct api_response *resp, const char *const *p)
{
	struct api_ctx *ctx = req->ctx;
	const char *name = streq(req->path, "/") ? "index.html" : req->path + 1;

	for (size_t i = 0; i < ELEMENTSOF(ctx->files); i++) {
		struct api_file *f = &ctx->files[i];
		if (!f->name || !streq(f->name, name))
			continue;
		if (!f->blob)
			break;
		resp->cache_control = "no-cache";
		if (api_not_modified(req, resp, f->etag))
			return;
		api_respond_blob(resp, 200, f->blob, f->content_type);
		return;
	}
	api_respond_errorf(resp, PD_ERR_NOT_FOUND,
			   "the dashboard's %s is not installed (see --web-dir)", name);
}

void api_not_implemented(struct api_request *req, struct api_response *resp, const char *const *p)
{
	api_respond_errorf(resp, PD_ERR_NOT_IMPLEMENTED,
			   "%s %s is part of the API contract but not implemented in this version",
			   req->method, req->path);
}

void api_make_etag(char *buf, size_t size, uint64_t generation, const char *tag)
{
	snprintf(buf, size, "\"g%llu-%s\"", (unsigned long long)generation, tag);
}

void api_ctx_clear(struct api_ctx *ctx)
{
	api_blob_unref(ctx->devices.blob);
	api_blob_unref(ctx->groups.blob);
	for (size_t i = 0; i < ELEMENTSOF(ctx->files); i++)
		api_blob_unref(ctx->files[i].blob);
	memset(ctx, 0, sizeof(*ctx));
}
