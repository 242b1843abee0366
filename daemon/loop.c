#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"

#define MAX_SOURCES 64

struct source {
	int fd;
	bool owned; /* the loop closes it */
	loop_io_fn fn;
	void *userdata;
};

struct loop {
	int epfd;
	struct source *sources[MAX_SOURCES];
	loop_signal_fn signal_fn;
	void *signal_userdata;
	loop_prepare_fn prepare;
	void *prepare_userdata;
	bool quit;
	int code;
};

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < MAX_SOURCES; i++) {
		if (!l->sources[i])
			continue;
		if (l->sources[i]->owned)
			close(l->sources[i]->fd);
		free(l->sources[i]);
	}
	close(l->epfd);
	free(l);
}

static int add_source(struct loop *l, int fd, bool owned, uint32_t events, loop_io_fn fn,
		      void *userdata)
{
	struct epoll_event ev = { .events = events };
	struct source *s;
	size_t slot;

	for (slot = 0; slot < MAX_SOURCES && l->sources[slot]; slot++)
		;
	if (slot == MAX_SOURCES)
		return -ENOSPC;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct source){ fd, owned, fn, userdata };
	ev.data.u64 = slot;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(s);
		return r;
	}
	l->sources[slot] = s;
	return 0;
}

int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata)
{
	return add_source(l, fd, false, events, fn, userdata);
}

int loop_remove_io(struct loop *l, int fd)
{
	for (size_t i = 0; i < MAX_SOURCES; i++) {
		struct source *s = l->sources[i];
		if (!s || s->fd != fd)
			continue;
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* fd may be closed already */
		if (s->owned)
			close(s->fd);
		free(s);
		l->sources[i] = NULL;
		return 0;
	}
	return -ENOENT;
}

static void on_signalfd(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		if (l->signal_fn)
			l->signal_fn(l, (int)si.ssi_signo, l->signal_userdata);
}

int loop_add_signals(struct loop *l, const int *signals, size_t n, loop_signal_fn fn,
		     void *userdata)
{
	sigset_t mask;
	int fd, r;

	sigemptyset(&mask);
	for (size_t i = 0; i < n; i++)
		sigaddset(&mask, signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	l->signal_fn = fn;
	l->signal_userdata = userdata;
	r = add_source(l, fd, true, EPOLLIN, on_signalfd, NULL);
	if (r < 0)
		close(fd);
	return r;
}

int loop_add_timer(struct loop *l, uint64_t interval_ms, loop_io_fn fn, void *userdata)
{
	struct itimerspec its = { 0 };
	int fd, r;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)(interval_ms / 1000);
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = add_source(l, fd, true, EPOLLIN, fn, userdata);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

void loop_set_prepare(struct loop *l, loop_prepare_fn fn, void *userdata)
{
	l->prepare = fn;
	l->prepare_userdata = userdata;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];

	while (!l->quit) {
		int timeout = l->prepare ? l->prepare(l, l->prepare_userdata) : -1;
		int n = epoll_wait(l->epfd, evs, (int)ELEMENTSOF(evs), timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->quit; i++) {
			size_t slot = (size_t)evs[i].data.u64;
			struct source *s = slot < MAX_SOURCES ? l->sources[slot] : NULL;
			if (s)
				s->fn(l, s->fd, evs[i].events, s->userdata);
		}
		/* With no event, the prepare hook's owner runs its timeouts from its next call. */
	}
	return l->code;
}

void loop_quit(struct loop *l, int code)
{
	l->quit = true;
	l->code = code;
}
