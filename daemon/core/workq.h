/*
 * workq.h - blocking calls on worker threads, their answers on the loop thread (workq_).
 *
 * For services whose calls block on something outside passd (libvirt: a domain start under
 * TCG takes seconds, a hung libvirtd takes forever), so the loop that serves the API never
 * waits. A job's @fn runs on one of a few worker threads; its @done runs afterwards on the loop
 * thread (through an eventfd the queue watches itself). The API suspends the request meanwhile.
 * Jobs must not touch loop-owned state in @fn.
 */
#pragma once

#include "macro.h"

struct loop;
struct workq;

typedef void (*workq_fn)(void *userdata);	   /* on a worker thread */
typedef void (*workq_done_fn)(void *userdata); /* on the loop thread, after @fn */

/* Up to @max_threads workers, started as jobs come; watched by @loop. Returns 0 or -errno. */
int workq_new(struct loop *loop, unsigned max_threads, struct workq **ret);
/* Runs workq_drain(), then stops the workers. */
void workq_free(struct workq *q);
DEFINE_FREEP(struct workq, workq_free)

/* Queue a job; -ENOMEM or -EAGAIN (no thread could be started), and @done is then never called. */
int workq_submit(struct workq *q, workq_fn fn, workq_done_fn done, void *userdata);
/* At shutdown, on the loop thread: wait until every queued job ran, and call its @done. */
void workq_drain(struct workq *q);
