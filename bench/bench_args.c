// SPDX-License-Identifier: MIT
/* Option values and tagged event texts: see bench.h. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
