/*
 * watch.c - self/mountinfo and swaps, read again only when the kernel says they changed.
 *
 * Both files tell a reader that their table changed since it opened the file or last polled
 * it: poll() reports POLLPRI|POLLERR (fs/proc_namespace.c mounts_poll(), a mount or unmount in
 * the namespace; mm/swapfile.c swaps_poll(), a swapon or swapoff). So the text read last is
 * kept with a descriptor opened before that read, and a reader gets the kept text back while
 * a zero-timeout poll on that descriptor says nothing happened. The poll comes before any read,
 * so a change after it is caught by the next one. Only a real proc (PROC_SUPER_MAGIC) is
 * trusted: on a simulated tree (a directory, or FUSE) a file says nothing, and is read every
 * time, as before.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "procfs-priv.h"

static const char *const watched_names[_PROCFS_WATCH_MAX] = {
	[PROCFS_WATCH_MOUNTINFO] = "self/mountinfo",
	[PROCFS_WATCH_SWAPS] = "swaps",
};

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

/* Open the descriptor that watches @w, once: only a real proc's file is kept. */
static void watch_open(struct procfs *p, struct procfs_watch *w, const char *name)
{
	struct statfs sf;
	int fd;

	w->tried = true;
	fd = openat(p->root_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return;
	}
	w->fd = fd;
}

int procfs_read_watched(struct procfs *p, enum procfs_watch_file which, char **ret_buf,
			size_t *ret_len)
{
	struct procfs_watch *w = &p->watch[which];
	const char *name = watched_names[which];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&watch_lock);
	if (!w->tried)
		watch_open(p, w, name); /* before the first read: a change after it shows */
	if (w->fd >= 0 && w->text) {
		struct pollfd pfd = { .fd = w->fd, .events = POLLPRI };
		/* 0: nothing happened; an error or a signal: read again, to be safe */
		if (poll(&pfd, 1, 0) == 0) {
			buf = malloc(w->len ? w->len : 1);
			if (!buf) {
				pthread_mutex_unlock(&watch_lock);
				return -ENOMEM;
			}
			memcpy(buf, w->text, w->len);
			*ret_buf = TAKE_PTR(buf);
			*ret_len = w->len;
			w->hits++;
			pthread_mutex_unlock(&watch_lock);
			return 0;
		}
	}
	r = procfs_read_file(p, name, &buf, &len);
	w->reads++;
	free(w->text);
	w->text = NULL;
	if (r >= 0 && w->fd >= 0) {
		w->text = malloc(len ? len : 1);
		if (w->text) { /* else no copy kept: the next call reads again */
			memcpy(w->text, buf, len);
			w->len = len;
		}
	}
	pthread_mutex_unlock(&watch_lock);
	if (r < 0)
		return r;
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

void procfs_watch_clear(struct procfs *p)
{
	for (size_t i = 0; i < _PROCFS_WATCH_MAX; i++) {
		if (p->watch[i].fd >= 0)
			close(p->watch[i].fd);
		free(p->watch[i].text);
		p->watch[i] = (struct procfs_watch){ .fd = -1 };
	}
}
