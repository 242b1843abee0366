/*
 * cpu-mark.c - an LD_PRELOAD library for benchmarks: the CPU time a daemon spent between marks.
 *
 * Loaded into passd (LD_PRELOAD=.../cpu-mark.so CPU_MARK_FIFO=PATH), it starts one thread that
 * reads lines from the FIFO PATH (created here) and, for each, writes to stderr
 * "cpu-mark: LINE user_us sys_us" from getrusage(RUSAGE_SELF): every thread of the process,
 * those that have ended included, at microsecond resolution. Two marks around a benchmark's
 * operations give the CPU time passd itself spent on them, whatever the machine's load made
 * of the wall time. Not linked into anything; bench/bind-ab.sh builds it with cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void *reader(void *arg)
{
	const char *path = arg;
	char line[128];
	sigset_t all;

	/* The daemon reads its signals from a signalfd: none may land here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		FILE *f = fopen(path, "re"); /* blocks until a writer opens it */
		if (!f)
			return NULL;
		while (fgets(line, sizeof(line), f)) {
			struct rusage ru;
			line[strcspn(line, "\n")] = '\0';
			getrusage(RUSAGE_SELF, &ru);
			fprintf(stderr, "cpu-mark: %s %lld %lld\n", line,
				(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
				(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
			fflush(stderr);
		}
		fclose(f);
	}
}

__attribute__((constructor)) static void cpu_mark_init(void)
{
	const char *path = getenv("CPU_MARK_FIFO");
	pthread_attr_t a;
	pthread_t t;

	if (!path || (mkfifo(path, 0600) < 0 && errno != EEXIST))
		return;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &a, reader, (void *)path);
	pthread_attr_destroy(&a);
}
