// SPDX-License-Identifier: MIT
/* JSON string escaping: see jsonstr.h. */
#include "lib/jsonstr.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <mcbridge/nla.h>

static const char hexdig[] = "0123456789abcdef";

/* What a byte needs: copied as it is (0), escaped (1), or it starts a
 * UTF-8 sequence to check (2).  A table keeps the common case (printable
 * ASCII) to one load and one branch: this runs for every string the bridge
 * sends. */
enum { PLAIN, ESCAPE, MULTI };

const unsigned char mcb_json_byte_class[256] = {
	[0x00 ... 0x1f] = ESCAPE,
	['"'] = ESCAPE,
	['\\'] = ESCAPE,
	[0x7f] = ESCAPE,
	[0x80 ... 0xff] = MULTI,
};

/* The escape of the character at p, n bytes left (1 or 2 bytes: *adv),
 * into esc. */
static size_t escape(const unsigned char *p, size_t n, char esc[6],
		     size_t *adv)
{
	unsigned char c = p[0];

	*adv = 1;
	esc[0] = '\\';
	switch (c) {
	case '"': esc[1] = '"'; return 2;
	case '\\': esc[1] = '\\'; return 2;
	case '\b': esc[1] = 'b'; return 2;
	case '\f': esc[1] = 'f'; return 2;
	case '\n': esc[1] = 'n'; return 2;
	case '\r': esc[1] = 'r'; return 2;
	case '\t': esc[1] = 't'; return 2;
	}
	if (c == 0xc2 && n > 1 && p[1] >= 0x80 && p[1] < 0xa0) {
		/* a C1 control: its code point */
		c = p[1];
		*adv = 2;
	}
	memcpy(esc, "\\u00", 4);
	esc[4] = hexdig[c >> 4];
	esc[5] = hexdig[c & 15];
	return 6;
}

/* Copies what fits of the plain bytes [*run, end) to dst + *out, cut at a
 * character start; false when not all of them fitted. */
static inline bool copy_run(char *dst, size_t room, size_t *out,
			    const unsigned char *s, size_t *run, size_t end)
{
	size_t cut = *run + (room - *out);

	if (cut >= end) {
		cut = end;
	} else {
		while (cut > *run && (s[cut] & 0xc0) == 0x80)
			cut--;
	}
	memcpy(dst + *out, s + *run, cut - *run);
	*out += cut - *run;
	*run = cut;
	return cut == end;
}

size_t mcb_json_escape_from(char *dst, size_t room, const void *src,
			    size_t n, size_t *len, size_t first)
{
	const unsigned char *s = src;
	size_t i = first, run = 0, out = 0, k, adv;
	char esc[6];

	for (;;) {
		size_t u;

		while (i < n && mcb_json_byte_class[s[i]] == PLAIN)
			i++;
		if (i == n)
			break;
		if (mcb_json_byte_class[s[i]] == MULTI &&
		    (u = mcb_utf8_len(s + i, n - i)) != 0 &&
		    !(s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			i += u;
			continue;
		}
		/* The plain bytes up to here, then this one's escape. */
		if (!copy_run(dst, room, &out, s, &run, i))
			goto done;
		k = escape(s + i, n - i, esc, &adv);
		if (k > room - out)
			goto done;
		memcpy(dst + out, esc, k);
		out += k;
		i += adv;
		run = i;
	}
	copy_run(dst, room, &out, s, &run, n);
done:
	*len = out;
	return run;
}
