// SPDX-License-Identifier: MIT
/* Hexadecimal: see hex.h. */
#include "lib/hex.h"

#include <errno.h>

static const char hexdig[] = "0123456789abcdef";

void mcb_hex_encode(char *out, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[b[i] >> 4];
		out[2 * i + 1] = hexdig[b[i] & 15];
	}
}

int mcb_hex_value(unsigned char c, bool any_case)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (any_case && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mcb_hex_decode(void *out, const char *s, size_t n, bool any_case)
{
	unsigned char *b = out;

	for (size_t i = 0; i < n; i++) {
		int hi = mcb_hex_value((unsigned char)s[2 * i], any_case);
		int lo = hi < 0 ? -1 :
			 mcb_hex_value((unsigned char)s[2 * i + 1], any_case);

		if (lo < 0)
			return -EINVAL;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
