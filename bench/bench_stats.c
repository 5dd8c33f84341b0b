// SPDX-License-Identifier: MIT
/* Per-tag receive statistics and latency percentiles: see bench.h. */
#include "bench.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
