/*
 * loop.h - the one epoll loop that owns passd's state (STYLE 2.7).
 *
 * Sources are descriptors with a callback; signals arrive through a signalfd and timers
 * through timerfds, so everything runs on this one thread. A "prepare" hook gives the longest
 * the loop may sleep (libmicrohttpd's timeout). Removing a source from inside its own callback
 * is safe.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct loop;

typedef void (*loop_io_fn)(struct loop *l, int fd, uint32_t events, void *userdata);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *userdata);
typedef int (*loop_prepare_fn)(struct loop *l, void *userdata);

int loop_new(struct loop **ret);
void loop_free(struct loop *l);
DEFINE_FREEP(struct loop, loop_free)

/* Watch @fd for @events (EPOLLIN...). The loop does not own @fd. */
int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata);
int loop_remove_io(struct loop *l, int fd);

/* Block @signals and deliver them through a signalfd. */
int loop_add_signals(struct loop *l, const int *signals, size_t n, loop_signal_fn fn,
		     void *userdata);

/* A periodic timer every @interval_ms; returns its timerfd (owned by the loop) or -errno. */
int loop_add_timer(struct loop *l, uint64_t interval_ms, loop_io_fn fn, void *userdata);

void loop_set_prepare(struct loop *l, loop_prepare_fn fn, void *userdata);

/* Run until loop_quit(); returns the code given to it. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);
