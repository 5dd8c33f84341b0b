/* SPDX-License-Identifier: MIT */
/*
 * Binary datagram decoder: struct mcb_wire_hdr (big-endian) followed by the
 * event's netlink attributes in the bridge's byte order.  Every length is
 * checked against the datagram before it is used.
 */
#include <endian.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <linux/netlink.h>

#include "mcbridge_client.h"

void mcb_nla_iter_init(struct mcb_nla_iter *it, const void *buf, size_t len,
		       bool big_endian)
{
	it->pos = buf;
	it->end = it->pos + len;
	it->big_endian = big_endian;
}

static uint16_t rd16(const unsigned char *p, bool be)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be ? be16toh(v) : le16toh(v);
}

int mcb_nla_next(struct mcb_nla_iter *it, uint16_t *type, uint16_t *flags,
		 const unsigned char **payload, uint16_t *plen)
{
	size_t left = (size_t)(it->end - it->pos);
	uint16_t len, t;

	if (left == 0)
		return 0;
	if (left < NLA_HDRLEN)
		return -1;
	/* struct nlattr is two u16s: nla_len then nla_type. */
	len = rd16(it->pos, it->big_endian);
	t = rd16(it->pos + 2, it->big_endian);
	if (len < NLA_HDRLEN || len > left)
		return -1;
	*type = t & NLA_TYPE_MASK;
	*flags = t & (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
	*payload = it->pos + NLA_HDRLEN;
	*plen = (uint16_t)(len - NLA_HDRLEN);
	/* The last attribute may come without its alignment padding. */
	size_t step = (size_t)NLA_ALIGN(len);

	it->pos += step < left ? step : left;
	return 1;
}

uint64_t mcb_nla_uint(const unsigned char *p, uint16_t len, bool big_endian)
{
	uint64_t v = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	for (uint16_t i = 0; i < len; i++) {
		uint16_t b = big_endian ? i : (uint16_t)(len - 1 - i);

		v = v << 8 | p[b];
	}
	return v;
}

/* Length of the valid UTF-8 sequence (2-4 bytes) at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
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
static bool is_text(const unsigned char *p, uint16_t len)
{
	size_t i = 0, u;

	if (len < 2 || p[len - 1] != '\0')
		return false;
	while (i < (size_t)len - 1) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			i++;
		else if (p[i] >= 0x80 && (u = utf8_len(p + i, len - 1u - i)))
			i += u;
		else
			return false;
	}
	return true;
}

static bool walks_as_nested(const unsigned char *p, uint16_t len, bool be)
{
	struct mcb_nla_iter it;
	uint16_t t, f, pl;
	const unsigned char *pp;
	int r, n = 0;

	/* Nested only when all of the payload parses as attributes. */
	mcb_nla_iter_init(&it, p, len, be);
	while ((r = mcb_nla_next(&it, &t, &f, &pp, &pl)) == 1)
		n++;
	return r == 0 && n > 0;
}

/*
 * The same choice, in the same order, as the encoder's JSON "attrs", so a
 * binary datagram renders like its JSON twin:
 *   NLA_F_NESTED and parses -> nested; length 1/2 -> u8/u16; text -> str;
 *   length 4/8 -> u32/u64; parses as attributes -> nested; else hex.
 * Nesting deeper than MCB_NLA_NEST_MAX is not looked into.
 */
enum mcb_attr_kind mcb_nla_classify(uint16_t flags, const unsigned char *p,
				    uint16_t len, bool big_endian, int depth)
{
	bool can_nest = depth < MCB_NLA_NEST_MAX &&
			walks_as_nested(p, len, big_endian);

	if ((flags & NLA_F_NESTED) && can_nest)
		return MCB_ATTR_NESTED;
	if (len == 1)
		return MCB_ATTR_U8;
	if (len == 2)
		return MCB_ATTR_U16;
	if (is_text(p, len))
		return MCB_ATTR_STR;
	if (len == 4)
		return MCB_ATTR_U32;
	if (len == 8)
		return MCB_ATTR_U64;
	/* Many families nest without NLA_F_NESTED (nla_nest_start_noflag). */
	if (can_nest)
		return MCB_ATTR_NESTED;
	return MCB_ATTR_HEX;
}

/* A netlink string: up to the first NUL, clipped to the field. */
static void copy_nla_str(struct mcb_event *ev, char *out, size_t cap,
			 const unsigned char *p, uint16_t len, size_t *outlen)
{
	const unsigned char *nul = memchr(p, '\0', len);
	size_t n = nul ? (size_t)(nul - p) : len;

	if (n >= cap) {
		n = cap - 1;
		ev->clipped = true;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	if (outlen)
		*outlen = n;
}

/*
 * Store an mcbridge attribute in its named field.  Like the encoder's JSON,
 * only the first attribute of each type with the right size gets a name;
 * repeats, odd sizes and unknown types are left for the generic list.
 */
static bool mcbridge_attr(struct mcb_event *ev, uint16_t type, uint16_t flags,
			  const unsigned char *p, uint16_t len, bool be,
			  uint32_t *named)
{
	uint32_t *u32 = NULL;
	uint32_t bit = 0;
	uint16_t want = 4;

	if (type >= 32 || (flags & NLA_F_NESTED) || (*named & (1u << type)))
		return false;
	switch (type) {
	case MCBRIDGE_ATTR_SEQ:
	case MCBRIDGE_ATTR_TIMESTAMP_NS:
		want = 8;
		break;
	case MCBRIDGE_ATTR_TYPE: u32 = &ev->type; bit = MCB_HAS_TYPE; break;
	case MCBRIDGE_ATTR_CPU: u32 = &ev->cpu; bit = MCB_HAS_CPU; break;
	case MCBRIDGE_ATTR_IFINDEX: u32 = &ev->ifindex; bit = MCB_HAS_IFINDEX; break;
	case MCBRIDGE_ATTR_NETDEV_EVENT:
		u32 = &ev->netdev_event; bit = MCB_HAS_NETDEV_EVENT; break;
	case MCBRIDGE_ATTR_IFFLAGS: u32 = &ev->ifflags; bit = MCB_HAS_IFFLAGS; break;
	case MCBRIDGE_ATTR_MTU: u32 = &ev->mtu; bit = MCB_HAS_MTU; break;
	case MCBRIDGE_ATTR_MODULE_STATE:
		u32 = &ev->module_state; bit = MCB_HAS_MODULE_STATE; break;
	case MCBRIDGE_ATTR_IFNAME:
		copy_nla_str(ev, ev->ifname, sizeof(ev->ifname), p, len, NULL);
		bit = MCB_HAS_IFNAME;
		want = 0;
		break;
	case MCBRIDGE_ATTR_MODULE_NAME:
		copy_nla_str(ev, ev->module, sizeof(ev->module), p, len, NULL);
		bit = MCB_HAS_MODULE;
		want = 0;
		break;
	case MCBRIDGE_ATTR_TEXT:
		copy_nla_str(ev, ev->text, sizeof(ev->text), p, len,
			     &ev->text_len);
		bit = MCB_HAS_TEXT;
		want = 0;
		break;
	default:
		return false;
	}
	if (want && len != want)
		return false;
	*named |= 1u << type;
	if (u32)
		*u32 = (uint32_t)mcb_nla_uint(p, len, be);
	ev->has |= bit;
	/* The header's copies of seq and timestamp win; these fill in when
	 * it has none. */
	if (type == MCBRIDGE_ATTR_SEQ && !(ev->has & MCB_HAS_KERNEL_SEQ)) {
		ev->kernel_seq = mcb_nla_uint(p, len, be);
		ev->has |= MCB_HAS_KERNEL_SEQ;
	} else if (type == MCBRIDGE_ATTR_TIMESTAMP_NS &&
		   !(ev->has & MCB_HAS_KERNEL_TIME)) {
		ev->kernel_time_ns = mcb_nla_uint(p, len, be);
		ev->has |= MCB_HAS_KERNEL_TIME;
	}
	return true;
}

static enum mcb_err parse_attrs(struct mcb_event *ev, const unsigned char *p,
				size_t len, bool attr_be)
{
	bool mcbridge = mcb_event_is_mcbridge(ev) && ev->kind == MCB_KIND_EVENT;
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	uint32_t named = 0;
	int r;

	mcb_nla_iter_init(&it, p, len, attr_be);
	while ((r = mcb_nla_next(&it, &type, &flags, &pl, &plen)) == 1) {
		/* NLA_F_NET_BYTEORDER: this payload is big-endian anyway. */
		bool be = attr_be || (flags & NLA_F_NET_BYTEORDER);
		struct mcb_attr *a;

		if (mcbridge && type == MCBRIDGE_ATTR_PAD)
			continue;	/* alignment filler for the u64s */
		if (mcbridge && mcbridge_attr(ev, type, flags, pl, plen, be,
					      &named))
			continue;
		ev->has |= MCB_HAS_ATTRS;
		ev->attrs_total++;
		if (ev->nattrs >= MCB_EVENT_MAX_ATTRS)
			continue;
		a = &ev->attrs[ev->nattrs++];
		memset(a, 0, sizeof(*a));
		a->type = type;
		a->len = plen;
		a->nla_flags = flags;
		a->kind = (uint8_t)mcb_nla_classify(flags, pl, plen, attr_be, 0);
		a->data = (const char *)pl;
		a->data_len = plen;
		if (a->kind >= MCB_ATTR_U8 && a->kind <= MCB_ATTR_U64)
			a->num = mcb_nla_uint(pl, plen, be);
	}
	return r < 0 ? MCB_ERR_ATTR : MCB_OK;
}

/* A NUL-padded name of MCB_WIRE_NAMSIZ bytes; 16 bytes without a NUL are
 * one too many for GENL_NAMSIZ, so the last is dropped. */
static void copy_name(struct mcb_event *ev, char *out, const char *in)
{
	const char *nul = memchr(in, '\0', MCB_WIRE_NAMSIZ);
	size_t n = nul ? (size_t)(nul - in) : MCB_WIRE_NAMSIZ - 1;

	if (!nul)
		ev->clipped = true;
	memcpy(out, in, n);
	out[n] = '\0';
}

enum mcb_err mcb_decode_binary(const void *buf, size_t len,
			       struct mcb_event *ev)
{
	const unsigned char *p = buf;
	struct mcb_wire_hdr h;
	bool be;

	mcb_event_reset(ev);
	ev->format = MCB_FMT_BINARY;
	if (len == 0)
		return MCB_ERR_EMPTY;
	if (len < sizeof(h.magic))
		return MCB_ERR_FORMAT;
	memcpy(&h.magic, p, sizeof(h.magic));
	if (be32toh(h.magic) != MCB_WIRE_MAGIC)
		return MCB_ERR_MAGIC;
	if (len <= offsetof(struct mcb_wire_hdr, version))
		return MCB_ERR_TRUNCATED;
	/* The version decides the layout, so it is checked before the
	 * rest of the header is read. */
	if (p[offsetof(struct mcb_wire_hdr, version)] != MCB_WIRE_VERSION)
		return MCB_ERR_VERSION;
	if (len < sizeof(h))
		return MCB_ERR_TRUNCATED;
	memcpy(&h, p, sizeof(h));	/* aligned copy of the header */

	h.hdr_len = be16toh(h.hdr_len);
	if (h.hdr_len < MCB_WIRE_HDR_LEN)
		return MCB_ERR_HDR_LEN;
	if (h.hdr_len > len)
		return MCB_ERR_TRUNCATED;
	h.attr_len = be32toh(h.attr_len);
	if (h.attr_len > len - h.hdr_len)
		return MCB_ERR_TRUNCATED;
	if (h.attr_len < len - h.hdr_len)
		return MCB_ERR_TRAILING;
	if (h.kind != MCB_KIND_EVENT && h.kind != MCB_KIND_OVERRUN &&
	    h.kind != MCB_KIND_LOST)
		return MCB_ERR_KIND;

	ev->kind = h.kind;
	ev->wire_flags = be16toh(h.flags);
	ev->truncated = ev->wire_flags & MCB_WIRE_F_TRUNCATED;
	ev->cmd = h.cmd;
	ev->genl_version = h.genl_version;
	ev->has |= MCB_HAS_GENL_VERSION;
	if (ev->kind == MCB_KIND_EVENT)
		ev->has |= MCB_HAS_CMD;
	else
		ev->has |= MCB_HAS_COUNT;
	ev->attr_len = h.attr_len;
	ev->orig_len = be32toh(h.orig_len);
	ev->bridge_seq = be64toh(h.bridge_seq);
	ev->bridge_time_ns = be64toh(h.bridge_time_ns);
	ev->count = be64toh(h.count);
	if (ev->wire_flags & MCB_WIRE_F_KERNEL_SEQ) {
		ev->kernel_seq = be64toh(h.kernel_seq);
		ev->has |= MCB_HAS_KERNEL_SEQ;
	}
	if (ev->wire_flags & MCB_WIRE_F_KERNEL_TIME) {
		ev->kernel_time_ns = be64toh(h.kernel_time_ns);
		ev->has |= MCB_HAS_KERNEL_TIME;
	}
	copy_name(ev, ev->family, h.family);
	copy_name(ev, ev->group, h.group);

	be = ev->wire_flags & MCB_WIRE_F_ATTR_BE;
	return parse_attrs(ev, p + h.hdr_len, h.attr_len, be);
}
