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
#include "mcb_attr.h"

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
	*outlen = n;
}

/*
 * A named mcbridge attribute (mcb_attr_named) into its field.  The
 * header's copies of seq and timestamp win: a field already present is
 * left as it is.
 */
static void store_named(struct mcb_event *ev, const struct mcb_attr_desc *d,
			const unsigned char *p, uint16_t len, bool be)
{
	char *field = (char *)ev + d->field_off;
	uint64_t v;
	uint32_t v32;

	if (ev->has & d->has)
		return;
	ev->has |= d->has;
	switch (d->type) {
	case MCB_AT_U32:
		v32 = (uint32_t)mcb_nla_uint(p, len, be);
		memcpy(field, &v32, sizeof(v32));
		break;
	case MCB_AT_U64:
		v = mcb_nla_uint(p, len, be);
		memcpy(field, &v, sizeof(v));
		break;
	case MCB_AT_STRING:
		copy_nla_str(ev, field, d->field_size, p, len,
			     (size_t *)((char *)ev + d->len_off));
		break;
	}
}

static enum mcb_err parse_attrs(struct mcb_event *ev, const unsigned char *p,
				size_t len, bool attr_be)
{
	bool mcbridge = mcb_event_is_mcbridge(ev) && ev->kind == MCB_KIND_EVENT;
	struct mcb_nla_iter it;
	const unsigned char *pl;
	const struct mcb_attr_desc *d;
	uint16_t type, flags, plen;
	uint64_t taken = 0;
	int r;

	mcb_nla_iter_init(&it, p, len, attr_be);
	while ((r = mcb_nla_next(&it, &type, &flags, &pl, &plen)) == 1) {
		/* NLA_F_NET_BYTEORDER: this payload is big-endian anyway. */
		bool be = attr_be || (flags & NLA_F_NET_BYTEORDER);
		struct mcb_attr *a;

		if (mcbridge && type == MCBRIDGE_ATTR_PAD)
			continue;	/* alignment filler for the u64s */
		if (mcbridge &&
		    (d = mcb_attr_named(type, flags, plen, &taken))) {
			store_named(ev, d, pl, plen, be);
			continue;
		}
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
	size_t body;
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
	h.flags = be16toh(h.flags);
	/* An authenticated datagram ends in its epoch and MAC (wire.h);
	 * checking them is mcb_auth_verify's job, not the decoder's. */
	body = len - h.hdr_len;
	if (h.flags & MCB_WIRE_F_AUTH) {
		if (body < sizeof(struct mcb_wire_auth))
			return MCB_ERR_TRUNCATED;
		body -= sizeof(struct mcb_wire_auth);
	}
	if (h.attr_len > body)
		return MCB_ERR_TRUNCATED;
	if (h.attr_len < body)
		return MCB_ERR_TRAILING;
	if (h.kind != MCB_KIND_EVENT && h.kind != MCB_KIND_OVERRUN &&
	    h.kind != MCB_KIND_LOST && h.kind != MCB_KIND_TAIL)
		return MCB_ERR_KIND;

	ev->kind = h.kind;
	ev->wire_flags = h.flags;
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
	if ((ev->wire_flags & MCB_WIRE_F_RUN) && h.run) {
		ev->bridge_run = be32toh(h.run);
		ev->run_id = ev->bridge_run;
		ev->has |= MCB_HAS_RUN_ID;
	}
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
