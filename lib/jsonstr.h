/* SPDX-License-Identifier: MIT */
/*
 * The one JSON string writer (RFC 8259), used by the bridge's encoder and
 * the listener's renderer alike: '"', '\' and \b \f \n \r \t as two-byte
 * escapes; other C0 controls, DEL, C1 controls (U+0080..U+009F: they act on
 * terminals) and every byte that is not part of valid UTF-8 as \u00XX; the
 * rest of valid UTF-8 as it is.  Writes into the caller's buffer, allocates
 * nothing.
 */
#ifndef MCB_LIB_JSONSTR_H
#define MCB_LIB_JSONSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes that are not copied as they are: 1 escaped, 2 the start of a
 * UTF-8 sequence to check (jsonstr.c). */
extern const unsigned char mcb_json_byte_class[256];

/*
 * No byte of the 8 in x needs a look: none below 0x20, '"', '\\', DEL or
 * above.  Word at a time (the classic "has a zero byte" tests): a borrow
 * or carry may only flag a word that has such a byte already, or one after
 * it, and a flagged word is looked at byte by byte.
 */
static inline bool mcb_json_plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return !(((x - ones * 0x20) & ~x & high) |
		 ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
		 (((x + ones) | x) & high));
}

/* mcb_json_escape_into() from the first byte that is not plain ASCII. */
size_t mcb_json_escape_from(char *dst, size_t room, const void *s, size_t n,
			    size_t *len, size_t first);

/*
 * The escaped form of the n bytes at s (no quotes) at dst, which has room
 * bytes.  Returns how many bytes of s were written whole - n unless dst
 * filled up, and then never part of an escape or of a UTF-8 character -
 * and sets *len to the bytes written.  Inline for the common case, plain
 * ASCII that fits: every string the bridge sends comes here.
 */
static inline size_t mcb_json_escape_into(char *dst, size_t room,
					  const void *s, size_t n,
					  size_t *len)
{
	const unsigned char *p = s;
	size_t i = 0;
	uint64_t x;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, sizeof(x));
		if (!mcb_json_plain8(x))
			break;
	}
	while (i < n && !mcb_json_byte_class[p[i]])
		i++;
	if (i < n || n > room)
		return mcb_json_escape_from(dst, room, s, n, len, i);
	memcpy(dst, s, n);
	*len = n;
	return n;
}

#endif /* MCB_LIB_JSONSTR_H */
