#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "limits.h"

#define NBUCKETS 1024
#define ENTRIES_MAX 4096

struct entry {
	struct entry *next;
	double tokens;
	uint64_t last_usec;
	unsigned conns;
	char key[API_IDENTITY_LEN];
};

struct api_limits {
	double rate, burst;
	unsigned conns_max;
	unsigned n;
	struct entry overflow;
	struct entry *b[NBUCKETS];
};

int api_limits_new(unsigned rate, unsigned burst, unsigned conns_max, struct api_limits **ret)
{
	struct api_limits *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->rate = rate;
	l->burst = burst ? burst : 1;
	l->conns_max = conns_max;
	l->overflow.tokens = l->burst;
	snprintf(l->overflow.key, sizeof(l->overflow.key), "overflow");
	*ret = l;
	return 0;
}

void api_limits_free(struct api_limits *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct entry *e = l->b[i], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(l);
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

static void refill(struct api_limits *l, struct entry *e, uint64_t now)
{
	if (now > e->last_usec) {
		e->tokens += (double)(now - e->last_usec) * l->rate / 1e6;
		if (e->tokens > l->burst)
			e->tokens = l->burst;
	}
	e->last_usec = now;
}

/* Drop every entry that holds no connection and has a full bucket. */
static void sweep(struct api_limits *l, uint64_t now)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct entry **pp = &l->b[i]; *pp;) {
			struct entry *e = *pp;
			refill(l, e, now);
			if (e->conns == 0 && e->tokens >= l->burst) {
				*pp = e->next;
				free(e);
				l->n--;
			} else {
				pp = &e->next;
			}
		}
}

static struct entry *get(struct api_limits *l, const char *key, uint64_t now, bool create)
{
	unsigned h = hash(key);
	struct entry *e;

	for (e = l->b[h]; e; e = e->next)
		if (streq(e->key, key))
			return e;
	if (!create)
		return NULL;
	if (l->n >= ENTRIES_MAX)
		sweep(l, now);
	if (l->n >= ENTRIES_MAX)
		return &l->overflow;
	e = calloc(1, sizeof(*e));
	if (!e)
		return &l->overflow;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->tokens = l->burst;
	e->last_usec = now;
	e->next = l->b[h];
	l->b[h] = e;
	l->n++;
	return e;
}

unsigned api_limits_take(struct api_limits *l, const char *key, uint64_t now_usec)
{
	struct entry *e = get(l, key, now_usec, true);
	double wait;

	if (l->rate == 0)
		return 0; /* rate limiting off */
	refill(l, e, now_usec);
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return 0;
	}
	wait = (1.0 - e->tokens) / l->rate;
	return wait < 1.0 ? 1 : (unsigned)(wait + 0.999);
}

int api_limits_conn_add(struct api_limits *l, const char *key, uint64_t now_usec)
{
	struct entry *e = get(l, key, now_usec, true);

	if (l->conns_max && e->conns >= l->conns_max && e != &l->overflow)
		return -EMFILE;
	e->conns++;
	return 0;
}

void api_limits_conn_del(struct api_limits *l, const char *key)
{
	struct entry *e = get(l, key, 0, false);

	if (!e)
		e = &l->overflow;
	if (e->conns > 0)
		e->conns--;
}

unsigned api_limits_size(const struct api_limits *l)
{
	return l->n;
}
