// SPDX-License-Identifier: MIT
/* Shared helpers of the benchmark programs: see bench.h. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	       1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
	       1000u;
}

void bench_rcvtimeo(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (long)(ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		perror("SO_RCVTIMEO");
}

void bench_sleep_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / 1000000000u),
		.tv_nsec = (long)(t_ns % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

uint64_t bench_arg_u64(const char *opt, const char *s, uint64_t min,
		       uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "bad %s: %s (want %" PRIu64 "..%" PRIu64 ")\n",
			opt, s, min, max);
		exit(2);
	}
	return v;
}

double bench_arg_double(const char *opt, const char *s, double min,
			double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "bad %s: %s (want %g..%g)\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

const char *bench_arg_tag(const char *opt, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BENCH_TAG_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_-") != n) {
		fprintf(stderr, "bad %s: %s (1..%d of [A-Za-z0-9_-])\n", opt,
			s, BENCH_TAG_MAX);
		exit(2);
	}
	return s;
}

void bench_make_text(char *buf, size_t len, const char *tag)
{
	size_t n = strlen(tag);

	memcpy(buf, tag, n);
	memset(buf + n, '.', len > n ? len - n : 0);
	buf[len > n ? len : n] = '\0';
}

void bench_tag_of(const char *text, size_t len, char tag[BENCH_TAG_MAX + 1])
{
	size_t n = 0;

	while (n < len && n < BENCH_TAG_MAX && text[n] && text[n] != '.') {
		tag[n] = text[n];
		n++;
	}
	tag[n] = '\0';
}

void bench_lat_add(struct bench_lat *l, int64_t ns)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "out of memory for latency samples\n");
			exit(1);
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t bench_lat_quantile(struct bench_lat *l, double q)
{
	size_t i;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_i64);
	/* Nearest rank: the smallest sample with at least q of all <= it. */
	i = (size_t)(q * (double)l->n + 0.999999);
	if (i > 0)
		i--;
	if (i >= l->n)
		i = l->n - 1;
	return l->v[i];
}

struct bench_tag *bench_stats_add(struct bench_stats *s, const char *tag,
				  uint64_t seq, uint64_t origin_ns,
				  uint64_t recv_ns, size_t bytes)
{
	struct bench_tag *t = s->last;

	if (!t || strcmp(t->tag, tag) != 0) {
		t = NULL;
		for (size_t i = 0; i < s->ntags; i++)
			if (strcmp(s->tags[i].tag, tag) == 0)
				t = &s->tags[i];
		if (!t) {
			if (s->ntags == BENCH_MAX_TAGS) {
				s->untagged++;
				return NULL;
			}
			t = &s->tags[s->ntags++];
			memset(t, 0, sizeof(*t));
			snprintf(t->tag, sizeof(t->tag), "%s", tag);
			t->origin_min = UINT64_MAX;
			t->seq_min = UINT64_MAX;
			t->recv_first = recv_ns;
		}
		s->last = t;
	}
	t->n++;
	t->bytes += bytes;
	if (origin_ns < t->origin_min)
		t->origin_min = origin_ns;
	if (seq < t->seq_min)
		t->seq_min = seq;
	if (seq > t->seq_max)
		t->seq_max = seq;
	t->recv_last = recv_ns;
	if (s->latency)
		bench_lat_add(&t->lat, (int64_t)(recv_ns - origin_ns));
	return t;
}

void bench_stats_print(FILE *out, const char *what, struct bench_stats *s)
{
	for (size_t i = 0; i < s->ntags; i++) {
		struct bench_tag *t = &s->tags[i];

		fprintf(out, "%s tag=%s n=%" PRIu64 " bytes=%" PRIu64
			" origin_min=%" PRIu64 " recv_first=%" PRIu64
			" recv_last=%" PRIu64 " seq_min=%" PRIu64
			" seq_max=%" PRIu64, what, t->tag, t->n, t->bytes,
			t->origin_min, t->recv_first, t->recv_last, t->seq_min,
			t->seq_max);
		if (s->latency)
			fprintf(out, " p50=%" PRId64 " p99=%" PRId64
				" p999=%" PRId64 " max=%" PRId64,
				bench_lat_quantile(&t->lat, 0.5),
				bench_lat_quantile(&t->lat, 0.99),
				bench_lat_quantile(&t->lat, 0.999),
				bench_lat_quantile(&t->lat, 1.0));
		fputc('\n', out);
	}
	if (s->untagged)
		fprintf(out, "%s untagged=%" PRIu64 "\n", what, s->untagged);
	fflush(out);
}
