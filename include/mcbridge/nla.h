/* SPDX-License-Identifier: MIT */
/*
 * Netlink attributes as the wire format carries them, shared by the encoder
 * (bridge/) and the decoder (client/) so that both walk them, read them and
 * classify them by one set of rules:
 *
 * - walking with bounds checks, in either byte order (binary datagrams say
 *   which with MCB_WIRE_F_ATTR_BE); the last attribute may lack its padding;
 * - how an attribute of a family without a schema appears in the JSON
 *   "attrs" list (include/mcbridge/wire.h), decided in this order:
 *     NLA_F_NESTED set and the payload parses as attributes -> "nested"
 *     length 1 or 2                                         -> "u8" / "u16"
 *     printable UTF-8 text ending in its only NUL           -> "str"
 *     length 4 or 8                                         -> "u32" / "u64"
 *     parses exactly as attributes (many families nest
 *     without NLA_F_NESTED, e.g. nlctrl)                    -> "nested"
 *     anything else                                         -> "hex"
 *   Numbers honour NLA_F_NET_BYTEORDER; nesting deeper than MCB_NLA_NEST_MAX
 *   is not looked into.
 */
#ifndef MCBRIDGE_NLA_H
#define MCBRIDGE_NLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

#define MCB_NLA_NEST_MAX	8

/* Byte order of attributes this host's kernel writes. */
#define MCB_NLA_HOST_BE		(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

/* How a generic attribute's value is shown in JSON "attrs". */
enum mcb_attr_kind {
	MCB_ATTR_U8 = 1,
	MCB_ATTR_U16,
	MCB_ATTR_U32,
	MCB_ATTR_U64,
	MCB_ATTR_STR,
	MCB_ATTR_NESTED,
	MCB_ATTR_HEX,
};

/* The JSON key of each kind in an "attrs" entry ("u8", ..., "hex"). */
const char *mcb_attr_kind_key(enum mcb_attr_kind kind);

struct mcb_nla_iter {
	const unsigned char *pos, *end;
	bool big_endian;
};

static inline void mcb_nla_iter_init(struct mcb_nla_iter *it, const void *buf,
				     size_t len, bool big_endian)
{
	it->pos = buf;
	it->end = it->pos + len;
	it->big_endian = big_endian;
}

static inline uint16_t mcb_nla_rd16(const unsigned char *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

/*
 * Next attribute: returns 1 with its type (without flags), flags
 * (NLA_F_NESTED, NLA_F_NET_BYTEORDER), payload and payload length; 0 at the
 * clean end; -1 when the rest is malformed.
 */
static inline int mcb_nla_next(struct mcb_nla_iter *it, uint16_t *type,
			       uint16_t *flags, const unsigned char **payload,
			       uint16_t *plen)
{
	size_t left = (size_t)(it->end - it->pos), step;
	uint16_t len, t;

	if (left == 0)
		return 0;
	if (left < NLA_HDRLEN)
		return -1;
	/* struct nlattr is two u16s: nla_len then nla_type. */
	len = mcb_nla_rd16(it->pos, it->big_endian);
	t = mcb_nla_rd16(it->pos + 2, it->big_endian);
	if (len < NLA_HDRLEN || len > left)
		return -1;
	*type = t & NLA_TYPE_MASK;
	*flags = t & (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
	*payload = it->pos + NLA_HDRLEN;
	*plen = (uint16_t)(len - NLA_HDRLEN);
	step = (size_t)NLA_ALIGN(len);
	it->pos += step < left ? step : left;
	return 1;
}

/* An unsigned payload of 1, 2, 4 or 8 bytes in the given order; else 0. */
static inline uint64_t mcb_nla_uint(const unsigned char *p, uint16_t len,
				    bool big_endian)
{
	uint64_t v = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	for (uint16_t i = 0; i < len; i++)
		v = v << 8 | p[big_endian ? i : len - 1u - i];
	return v;
}

/* Length of the valid UTF-8 sequence (2-4 bytes) at p, or 0 (RFC 3629). */
static inline size_t mcb_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* Second-byte limits exclude overlongs, surrogates, > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Non-empty printable UTF-8 text ending in its only NUL. */
static inline bool mcb_nla_is_text(const unsigned char *p, uint16_t len)
{
	size_t i = 0, u;

	if (len < 2 || p[len - 1] != '\0')
		return false;
	while (i < (size_t)len - 1) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			i++;
		else if (p[i] >= 0x80 && (u = mcb_utf8_len(p + i, len - 1u - i)))
			i += u;
		else
			return false;
	}
	return true;
}

/* Does all of the payload parse as one or more attributes? */
static inline bool mcb_nla_is_nested(const unsigned char *p, uint16_t len,
				     bool big_endian)
{
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t t, f, n;
	int r, count = 0;

	mcb_nla_iter_init(&it, p, len, big_endian);
	while ((r = mcb_nla_next(&it, &t, &f, &pl, &n)) == 1)
		count++;
	return r == 0 && count > 0;
}

static inline enum mcb_attr_kind mcb_nla_classify(uint16_t flags,
						  const unsigned char *p,
						  uint16_t len, bool big_endian,
						  int depth)
{
	/* The rules above in their order; the walk of the payload as
	 * attributes, the costly one, only where its answer decides. */
	bool nested_flag = flags & NLA_F_NESTED;

	if (nested_flag && depth < MCB_NLA_NEST_MAX &&
	    mcb_nla_is_nested(p, len, big_endian))
		return MCB_ATTR_NESTED;
	if (len == 1)
		return MCB_ATTR_U8;
	if (len == 2)
		return MCB_ATTR_U16;
	if (mcb_nla_is_text(p, len))
		return MCB_ATTR_STR;
	if (len == 4)
		return MCB_ATTR_U32;
	if (len == 8)
		return MCB_ATTR_U64;
	/* With the flag, the walk above already said no. */
	if (!nested_flag && depth < MCB_NLA_NEST_MAX &&
	    mcb_nla_is_nested(p, len, big_endian))
		return MCB_ATTR_NESTED;
	return MCB_ATTR_HEX;
}

#endif /* MCBRIDGE_NLA_H */
