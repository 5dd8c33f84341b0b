/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the benchmark programs (bench/): clocks, option values,
 * event texts that carry a run tag, and per-tag receive statistics with
 * exact latency percentiles.
 *
 * Every event of a benchmark step carries the text TAG followed by '.'
 * padding to a fixed length, so all steps have the same event size and a
 * receiver can account each step separately.
 */
#ifndef MCB_BENCH_H
#define MCB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_TAG_MAX		15	/* bytes of a tag, without the NUL */
#define BENCH_MAX_TAGS		64
#define BENCH_TEXT_LEN		32	/* default event text length */

/* CLOCK_MONOTONIC in ns: the clock of the kernel's timestamp_ns. */
uint64_t bench_now_ns(void);
/* CPU time (user + system) this process used so far, in ns. */
uint64_t bench_cpu_ns(void);
/* Sleep until the CLOCK_MONOTONIC time t_ns. */
void bench_sleep_until(uint64_t t_ns);

/* SO_RCVTIMEO of fd: how long a blocking receive waits (0: forever). */
void bench_rcvtimeo(int fd, unsigned ms);

/* Option values; exit(2) with a message on a bad one. */
uint64_t bench_arg_u64(const char *opt, const char *s, uint64_t min,
		       uint64_t max);
double bench_arg_double(const char *opt, const char *s, double min,
			double max);
/* A tag: 1..BENCH_TAG_MAX bytes of [A-Za-z0-9_-]. */
const char *bench_arg_tag(const char *opt, const char *s);

/* TAG, then '.' up to len bytes (len > strlen(tag)); NUL-terminated. */
void bench_make_text(char *buf, size_t len, const char *tag);
/* The tag of an event text: the bytes before the first '.' (or all). */
void bench_tag_of(const char *text, size_t len, char tag[BENCH_TAG_MAX + 1]);

/* Latency samples in ns, kept whole for exact percentiles. */
struct bench_lat {
	int64_t *v;
	size_t n, cap;
};

void bench_lat_add(struct bench_lat *l, int64_t ns);
/* Sorts in place; q in (0, 1]; 0 when empty. */
int64_t bench_lat_quantile(struct bench_lat *l, double q);

/* What one receiver saw of one tag. */
struct bench_tag {
	char tag[BENCH_TAG_MAX + 1];
	uint64_t n;		/* events/datagrams received */
	uint64_t bytes;		/* datagram bytes received */
	uint64_t origin_min;	/* earliest origin time (kernel or sender) */
	uint64_t recv_first;	/* receive stamps of the first and last */
	uint64_t recv_last;
	uint64_t seq_min, seq_max;
	struct bench_lat lat;
};

struct bench_stats {
	bool latency;		/* keep every sample of recv - origin */
	size_t ntags;
	struct bench_tag tags[BENCH_MAX_TAGS];
	struct bench_tag *last;	/* lookup cache: tags come in runs */
	uint64_t untagged;	/* beyond BENCH_MAX_TAGS */
};

/* Account one received event of tag: origin = its kernel/sender time. */
struct bench_tag *bench_stats_add(struct bench_stats *s, const char *tag,
				  uint64_t seq, uint64_t origin_ns,
				  uint64_t recv_ns, size_t bytes);

/*
 * One line per tag on out:
 *   tag=T n=N bytes=B origin_min=NS recv_first=NS recv_last=NS
 *   seq_min=S seq_max=S [p50=NS p99=NS p999=NS max=NS]  (prefixed by what)
 */
void bench_stats_print(FILE *out, const char *what, struct bench_stats *s);

#endif
