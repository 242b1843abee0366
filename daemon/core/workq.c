/*
 * workq.c - a small thread pool: one queue, a few threads started on demand, finished jobs
 * handed back to the loop thread through an eventfd (as bind-async.c does for group moves).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "workq.h"

struct job {
	workq_fn fn;
	workq_done_fn done;
	void *userdata;
	struct job *next;
};

struct workq {
	struct loop *loop;
	int event_fd;
	unsigned max_threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;	  /* workers wait for jobs */
	pthread_cond_t finished_cond; /* workq_drain waits for the last job */
	struct job *queue, **queue_tail;
	struct job *done; /* finished, newest first */
	unsigned pending;  /* queued or running */
	unsigned n_threads, idle;
	pthread_t *threads;
	bool quit;
};

static void *worker(void *userdata)
{
	struct workq *q = userdata;
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct job *j;

		while (!q->queue && !q->quit) {
			q->idle++;
			pthread_cond_wait(&q->cond, &q->lock);
			q->idle--;
		}
		if (!q->queue)
			break; /* quit, and nothing left to run */
		j = q->queue;
		q->queue = j->next;
		if (!q->queue)
			q->queue_tail = &q->queue;
		pthread_mutex_unlock(&q->lock);

		j->fn(j->userdata);

		pthread_mutex_lock(&q->lock);
		j->next = q->done;
		q->done = j;
		pthread_cond_broadcast(&q->finished_cond);
		/* A failed post only delays the answer until the next post or drain. */
		if (write(q->event_fd, &one, sizeof(one)) < 0)
			log_debug("Posting a finished job failed, ignoring: %m");
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Call @done of every finished job, oldest first, on the loop thread. */
static void dispatch(struct workq *q)
{
	struct job *list, *rev = NULL;

	pthread_mutex_lock(&q->lock);
	list = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->lock);
	while (list) {
		struct job *j = list;
		list = j->next;
		j->next = rev;
		rev = j;
	}
	while (rev) {
		struct job *j = rev;
		rev = j->next;
		pthread_mutex_lock(&q->lock);
		q->pending--;
		pthread_mutex_unlock(&q->lock);
		if (j->done)
			j->done(j->userdata);
		free(j);
	}
}

static void on_event(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct workq *q = userdata;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("Reading the job queue's eventfd failed, ignoring: %m");
	dispatch(q);
}

int workq_new(struct loop *loop, unsigned max_threads, struct workq **ret)
{
	struct workq *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	q->loop = loop;
	q->max_threads = max_threads ? max_threads : 1;
	q->queue_tail = &q->queue;
	q->threads = calloc(q->max_threads, sizeof(*q->threads));
	q->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!q->threads || q->event_fd < 0) {
		r = q->threads ? -errno : -ENOMEM;
		if (q->event_fd >= 0)
			close(q->event_fd);
		free(q->threads);
		free(q);
		return r;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->finished_cond, NULL);
	if (loop) {
		r = loop_add_io(loop, q->event_fd, EPOLLIN, on_event, q);
		if (r < 0) {
			q->loop = NULL;
			workq_free(q);
			return r;
		}
	}
	*ret = q;
	return 0;
}

int workq_submit(struct workq *q, workq_fn fn, workq_done_fn done, void *userdata)
{
	struct job *j = calloc(1, sizeof(*j));
	int r = 0;

	if (!j)
		return -ENOMEM;
	j->fn = fn;
	j->done = done;
	j->userdata = userdata;
	pthread_mutex_lock(&q->lock);
	/* A new thread when every one is busy, up to the limit; then jobs wait their turn. */
	if (q->idle == 0 && q->n_threads < q->max_threads) {
		r = -pthread_create(&q->threads[q->n_threads], NULL, worker, q);
		if (r == 0)
			q->n_threads++;
		else if (q->n_threads > 0)
			r = 0; /* the running ones will get to it */
	}
	if (r == 0) {
		*q->queue_tail = j;
		q->queue_tail = &j->next;
		q->pending++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	if (r < 0) {
		free(j);
		return -EAGAIN;
	}
	return 0;
}

void workq_drain(struct workq *q)
{
	if (!q)
		return;
	for (;;) {
		bool idle;

		pthread_mutex_lock(&q->lock);
		while (q->pending > 0 && !q->done)
			pthread_cond_wait(&q->finished_cond, &q->lock);
		idle = q->pending == 0;
		pthread_mutex_unlock(&q->lock);
		if (idle)
			return;
		dispatch(q);
	}
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	workq_drain(q);
	pthread_mutex_lock(&q->lock);
	q->quit = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	if (q->loop)
		(void)loop_remove_io(q->loop, q->event_fd); /* the loop may be freed after us */
	close(q->event_fd);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->finished_cond);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}
