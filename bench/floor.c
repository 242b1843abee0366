/*
 * floor.c - the physical floor of a PCI discovery scan: a bare loop that reads exactly the
 * attributes and links that sysfs_pci_scan() (daemon/sysfs/pci.c) reads, with the same
 * syscalls and nothing else: no validation, no parsing beyond what decides the next syscall,
 * no allocation per device. passd's scan is judged against this number.
 *
 *   bench/floor ROOT [RUNS] [--threads N]
 *
 * ROOT is a sysfs root (/sys, or a simulated tree's sys/ directory). RUNS defaults to 30; a warm-up
 * run comes first and is not counted. --threads N splits the sorted address list into N
 * contiguous chunks, as the scan does. Prints
 *   floor: median X ms p95 Y ms
 * and a second line with the device count, the syscalls per device and the median CPU time of
 * the process (all threads): on a busy machine wall time swings, CPU time much less.
 *
 * Deliberately standalone (no passd library): it must not share a bug or a cost with passd.
 * Keep the per-device sequence in step with read_device() when that changes.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#else
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME_LEN 13 /* "0000:65:00.0" */

struct chunk {
	int root;
	char (*names)[NAME_LEN];
	size_t begin, end;
	unsigned long syscalls;
	pthread_t thread;
};

/* openat + read + close; returns the byte count read, or -1 when the open failed. */
static ssize_t attr(int dfd, const char *name, char *buf, size_t size, unsigned long *sc)
{
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	(*sc)++;
	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	*sc += 2;
	return n;
}

static ssize_t link_at(int dfd, const char *name, char *buf, size_t size, unsigned long *sc)
{
	(*sc)++;
	return readlinkat(dfd, name, buf, size);
}

static void *run_chunk(void *userdata)
{
	struct chunk *c = userdata;
	char path[64], buf[128], lbuf[512];

	for (size_t i = c->begin; i < c->end; i++) {
		ssize_t n;
		int dfd;

		snprintf(path, sizeof(path), "bus/pci/devices/%s", c->names[i]);
		dfd = openat(c->root, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		c->syscalls++;
		if (dfd < 0)
			continue;

		attr(dfd, "vendor", buf, sizeof(buf), &c->syscalls);
		attr(dfd, "device", buf, sizeof(buf), &c->syscalls);
		attr(dfd, "subsystem_vendor", buf, sizeof(buf), &c->syscalls);
		attr(dfd, "subsystem_device", buf, sizeof(buf), &c->syscalls);
		n = attr(dfd, "class", buf, sizeof(buf), &c->syscalls);
		/* boot_vga exists for VGA classes only (pci_is_vga()); unknown class: try anyway */
		int vga = n < 8 || !strncmp(buf, "0x0300", 6) || !strncmp(buf, "0x0001", 6);
		attr(dfd, "numa_node", buf, sizeof(buf), &c->syscalls);
		attr(dfd, "driver_override", buf, sizeof(buf), &c->syscalls);
		attr(dfd, "reset_method", buf, sizeof(buf), &c->syscalls);
		/* a VF (physfn link) has no sriov_* files */
		if (link_at(dfd, "physfn", lbuf, sizeof(lbuf), &c->syscalls) < 0 &&
		    attr(dfd, "sriov_totalvfs", buf, sizeof(buf), &c->syscalls) >= 0)
			attr(dfd, "sriov_numvfs", buf, sizeof(buf), &c->syscalls);
		if (vga)
			attr(dfd, "boot_vga", buf, sizeof(buf), &c->syscalls);
		link_at(dfd, "driver", lbuf, sizeof(lbuf), &c->syscalls);
		link_at(dfd, "iommu_group", lbuf, sizeof(lbuf), &c->syscalls);
		link_at(c->root, path, lbuf, sizeof(lbuf), &c->syscalls); /* the parent */
		close(dfd);
		c->syscalls++;
	}
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b); /* fixed-width lowercase hex: string order is address order */
}

static int is_addr(const char *s)
{
	static const char form[] = "hhhh:hh:hh.h";

	for (size_t i = 0; i < sizeof(form); i++) {
		char c = s[i];

		if (form[i] == 'h' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) :
				     c != form[i])
			return 0;
	}
	return 1;
}

/* One scan: list, sort, read. Returns the device count, or -1. */
static long scan(int root, unsigned nthreads, unsigned long *syscalls)
{
	struct chunk chunks[64];
	char(*names)[NAME_LEN] = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(root, "bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd)))
		return -1;
	while ((de = readdir(dir))) {
		if (!is_addr(de->d_name))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			names = realloc(names, alloc * NAME_LEN);
			if (!names)
				return -1;
		}
		memcpy(names[n++], de->d_name, NAME_LEN);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, NAME_LEN, name_cmp);

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	for (unsigned i = 0; i < nthreads; i++) {
		chunks[i] = (struct chunk){ .root = root,
					    .names = names,
					    .begin = n * i / nthreads,
					    .end = n * (i + 1) / nthreads };
		if (i > 0 && pthread_create(&chunks[i].thread, NULL, run_chunk, &chunks[i]) != 0)
			return -1;
	}
	run_chunk(&chunks[0]);
	*syscalls = chunks[0].syscalls;
	for (unsigned i = 1; i < nthreads; i++) {
		pthread_join(chunks[i].thread, NULL);
		*syscalls += chunks[i].syscalls;
	}
	free(names);
	return (long)n;
}

static double now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: floor ROOT [RUNS] [--threads N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *root_path = NULL;
	unsigned long syscalls = 0;
	unsigned nthreads = 1;
	int runs = 30, have_runs = 0;
	double *t, *cpu;
	long n = 0;
	int root;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--threads")) {
			if (++i >= argc)
				usage();
			nthreads = (unsigned)strtoul(argv[i], &end, 10);
			if (*end || nthreads < 1 || nthreads > 64)
				usage();
		} else if (!root_path) {
			root_path = argv[i];
		} else if (!have_runs) {
			runs = (int)strtol(argv[i], &end, 10);
			if (*end || runs < 1)
				usage();
			have_runs = 1;
		} else {
			usage();
		}
	}
	if (!root_path)
		usage();

	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "floor: %s: %s\n", root_path, strerror(errno));
		return 1;
	}
	t = calloc((size_t)runs, sizeof(*t));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	if (!t || !cpu || scan(root, nthreads, &syscalls) < 0) { /* warm-up: dentries, page cache */
		fprintf(stderr, "floor: cannot scan %s/bus/pci/devices\n", root_path);
		return 1;
	}
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);

		n = scan(root, nthreads, &syscalls);
		t[r] = now_ms(CLOCK_MONOTONIC) - t0;
		cpu[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (n < 0)
			return 1;
	}
	qsort(t, (size_t)runs, sizeof(*t), double_cmp);
	qsort(cpu, (size_t)runs, sizeof(*cpu), double_cmp);
	printf("floor: median %.1f ms p95 %.1f ms\n", t[runs / 2], t[(runs * 95 + 99) / 100 - 1]);
	printf("floor: %ld devices, %u thread(s), %.1f syscalls per device, ", n, nthreads,
	       n ? (double)syscalls / (double)n : 0.0);
	printf("min %.1f ms, cpu median %.1f ms, %d runs\n", t[0], cpu[runs / 2], runs);
	free(t);
	free(cpu);
	close(root);
	return 0;
}
