// SPDX-License-Identifier: MIT
/* Number and size parsing: see num.h. */
#include "lib/num.h"

#include <errno.h>
#include <stdlib.h>

/* The digits at s; *end is the first byte after them. */
static int digits(const char *s, uint64_t *v, char **end)
{
	unsigned long long x;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno)
		return -ERANGE;
	*v = x;
	return 0;
}

static int in_range(uint64_t x, uint64_t min, uint64_t max, uint64_t *v)
{
	if (x < min || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

int mcb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t x;
	char *end;
	int err = digits(s, &x, &end);

	if (err)
		return err;
	if (*end)
		return -EINVAL;
	return in_range(x, min, max, v);
}

int mcb_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned shift = 0;
	uint64_t x;
	char *end;
	int err = digits(s, &x, &end);

	if (err)
		return err;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (x > UINT64_MAX >> shift)
		return -ERANGE;
	return in_range(x << shift, min, max, v);
}
