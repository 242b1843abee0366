/*
 * passd-flood - hostile clients for the limit tests (tests/integration/t72*.sh).
 *
 *   passd-flood idle HOST PORT N SECONDS    open N connections, send nothing, hold them;
 *                                           prints "opened N closed_by_server M"
 *   passd-flood slowloris HOST PORT SECONDS a request head at one byte per 200 ms; prints
 *                                           "closed_after_ms T" (or "still_open")
 *   passd-flood raw HOST PORT FILE          send FILE as is, print what comes back until
 *                                           the server closes (5 s at most)
 *   passd-flood keepalive HOST PORT N TOKEN STOPFILE
 *                                           open N connections, send one GET /v1/health
 *                                           with the bearer TOKEN on each and read its
 *                                           answer; print "opened N ok M" (M answered 200);
 *                                           hold them, idle, until STOPFILE exists (60 s at
 *                                           most); print "still_open K" and close them
 *
 * Talks to a numeric IPv4 address only; a test tool, not a library.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dial(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The server closed it: readable with EOF or an error. */
static int closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR | POLLRDHUP))
		return 1;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int idle(const char *host, int port, int n, int seconds)
{
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	int *fds = calloc((size_t)n, sizeof(int)), opened = 0, gone = 0;

	if (!fds)
		return 1;
	(void)setrlimit(RLIMIT_NOFILE, &rl); /* root may; else as many as allowed */
	for (int i = 0; i < n; i++) {
		fds[i] = dial(host, port);
		if (fds[i] >= 0)
			opened++;
	}
	sleep((unsigned)seconds);
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		gone += closed(fds[i]);
		close(fds[i]);
	}
	printf("opened %d closed_by_server %d\n", opened, gone);
	free(fds);
	return 0;
}

static int slowloris(const char *host, int port, int seconds)
{
	static const char head[] =
		"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int fd = dial(host, port);
	long long t0 = now_ms();
	size_t i = 0;

	if (fd < 0) {
		perror("connect");
		return 1;
	}
	while (now_ms() - t0 < seconds * 1000LL) {
		if (closed(fd) || send(fd, &head[i % (sizeof(head) - 1)], 1, MSG_NOSIGNAL) < 0) {
			printf("closed_after_ms %lld\n", now_ms() - t0);
			close(fd);
			return 0;
		}
		i++;
		usleep(200 * 1000);
	}
	printf("still_open\n");
	close(fd);
	return 0;
}

static int raw(const char *host, int port, const char *file)
{
	char buf[65536];
	FILE *f = fopen(file, "rb");
	size_t n;
	int fd = dial(host, port);
	long long t0 = now_ms();

	if (!f || fd < 0) {
		perror(file);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
			break; /* the server may answer and close before reading it all */
	fclose(f);
	(void)shutdown(fd, SHUT_WR);
	while (now_ms() - t0 < 5000) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&p, 1, 200) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		fwrite(buf, 1, (size_t)r, stdout);
	}
	close(fd);
	return 0;
}

/* One keep-alive request on @fd: the status of its answer, read whole, or -1. */
static int request(int fd, const char *token)
{
	char buf[8192], *end, *cl;
	size_t have = 0, want;
	long long t0 = now_ms();
	int status;

	snprintf(buf, sizeof(buf),
		 "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
		 token);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
			if (have >= want)
				break;
		}
		if (have == sizeof(buf) - 1 || now_ms() - t0 > 5000 || poll(&p, 1, 200) < 0)
			return -1;
		if (!p.revents)
			continue;
		r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	return status;
}

static int keepalive(const char *host, int port, int n, const char *token, const char *stop)
{
	int *fds = calloc((size_t)n, sizeof(int)), opened = 0, ok = 0, open_ = 0;
	long long t0;

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = dial(host, port);
		if (fds[i] < 0)
			continue;
		opened++;
		if (request(fds[i], token) == 200)
			ok++;
	}
	printf("opened %d ok %d\n", opened, ok);
	fflush(stdout);
	t0 = now_ms();
	while (access(stop, F_OK) != 0 && now_ms() - t0 < 60000)
		usleep(50 * 1000);
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		open_ += !closed(fds[i]);
		close(fds[i]);
	}
	printf("still_open %d\n", open_);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "idle") == 0)
		return idle(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 5 && strcmp(argv[1], "slowloris") == 0)
		return slowloris(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "raw") == 0)
		return raw(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 7 && strcmp(argv[1], "keepalive") == 0)
		return keepalive(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
	fprintf(stderr,
		"usage: passd-flood idle HOST PORT N SECONDS | slowloris HOST PORT SECONDS | raw HOST PORT FILE\n"
		"       | keepalive HOST PORT N TOKEN STOPFILE\n");
	return 2;
}
