// SPDX-License-Identifier: MIT
/*
 * Binary wire format (include/mcbridge/wire.h): struct mcb_wire_hdr in
 * big-endian, then the event's netlink attributes as received.
 *
 * Per datagram: one walk over the attributes' headers (whole ones only are
 * kept) and the header's fields; the names come prepared (event.h).
 */
#include "event.h"

#include <endian.h>
#include <string.h>
#include <linux/netlink.h>

/*
 * Bytes of whole, well-formed attributes at a that fit in room: stops
 * before the first that does not fit and at a malformed tail (which is not
 * forwarded).  The padding of the last kept one too when it fits, so that
 * a header after it would stay aligned for the decoder.  The rules of
 * mcb_nla_next(), in host order: this walk runs for every datagram.
 */
static size_t whole_attrs(const unsigned char *a, size_t len, size_t room)
{
	size_t off = 0, keep = 0;

	/* All fit (nearly always): only the framing is checked, and what is
	 * kept is what was walked. */
	if (len <= room) {
		while (len - off >= NLA_HDRLEN) {
			uint16_t alen;

			memcpy(&alen, a + off, sizeof(alen));
			if (alen < NLA_HDRLEN || alen > len - off)
				break;
			off += NLA_ALIGN(alen);
			if (off > len)
				off = len;
		}
		return off;
	}
	while (len - off >= NLA_HDRLEN) {
		uint16_t alen;
		size_t end, next;

		memcpy(&alen, a + off, sizeof(alen));	/* nla_len */
		if (alen < NLA_HDRLEN || alen > len - off)
			break;
		end = off + alen;
		if (end > room)
			break;
		next = off + NLA_ALIGN(alen);
		if (next > len)
			next = len;
		keep = next <= room ? next : end;
		off = next;
	}
	return keep;
}

/* A name into its NUL-padded field (strncpy's result, without the call). */
static void put_name(char dst[MCB_WIRE_NAMSIZ], const char *name)
{
	size_t i = 0;

	for (; i < MCB_WIRE_NAMSIZ - 1 && name[i]; i++)
		dst[i] = name[i];
	memset(dst + i, 0, MCB_WIRE_NAMSIZ - i);
}

size_t mcb_encode_binary(const struct mcb_nl_event *ev, void *buf, size_t cap,
			 bool *truncated)
{
	struct mcb_wire_hdr h;
	bool event = ev->kind == MCB_KIND_EVENT;
	size_t keep = 0;
	uint16_t flags = 0;

	*truncated = false;
	if (cap < MCB_WIRE_HDR_LEN)
		return 0;
	if (event) {
		keep = whole_attrs(ev->attrs, ev->attr_len,
				   cap - MCB_WIRE_HDR_LEN);
		if (keep < ev->attr_len)
			flags |= MCB_WIRE_F_TRUNCATED;
	}
	if (ev->has_kernel_seq)
		flags |= MCB_WIRE_F_KERNEL_SEQ;
	if (ev->has_kernel_time)
		flags |= MCB_WIRE_F_KERNEL_TIME;
	if (ev->bridge_run)
		flags |= MCB_WIRE_F_RUN;
#if __BYTE_ORDER == __BIG_ENDIAN
	flags |= MCB_WIRE_F_ATTR_BE;
#endif

	h.magic = htobe32(MCB_WIRE_MAGIC);
	h.version = MCB_WIRE_VERSION;
	h.kind = (uint8_t)ev->kind;
	h.hdr_len = htobe16(MCB_WIRE_HDR_LEN);
	h.flags = htobe16(flags);
	h.cmd = event ? ev->cmd : 0;
	h.genl_version = event ? ev->genl_version : 0;
	h.attr_len = htobe32((uint32_t)keep);
	h.orig_len = htobe32(event ? ev->attr_len : 0);
	h.run = htobe32(ev->bridge_run);
	h.bridge_seq = htobe64(ev->bridge_seq);
	h.bridge_time_ns = htobe64(ev->bridge_time_ns);
	h.kernel_seq = htobe64(ev->has_kernel_seq ? ev->kernel_seq : 0);
	h.kernel_time_ns = htobe64(ev->has_kernel_time ? ev->kernel_time_ns : 0);
	h.count = htobe64(event ? 0 : ev->count);
	if (ev->prep) {
		memcpy(h.family, ev->prep->family, sizeof(h.family));
		memcpy(h.group, ev->prep->group, sizeof(h.group));
	} else {
		put_name(h.family, ev->family);
		put_name(h.group, ev->group);
	}
	_Static_assert(sizeof(h) == MCB_WIRE_HDR_LEN, "no padding to clear");

	memcpy(buf, &h, sizeof(h));
	if (keep)
		memcpy((unsigned char *)buf + sizeof(h), ev->attrs, keep);
	*truncated = keep < ev->attr_len && event;
	return sizeof(h) + keep;
}
