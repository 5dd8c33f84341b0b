// SPDX-License-Identifier: MIT
/*
 * Binary wire format (include/mcbridge/wire.h): struct mcb_wire_hdr in
 * big-endian, then the event's netlink attributes as received.
 */
#include "event.h"

#include <endian.h>
#include <string.h>
#include <linux/netlink.h>
#include <mcbridge/nla.h>

size_t mcb_encode_binary(const struct mcb_nl_event *ev, void *buf, size_t cap,
			 bool *truncated)
{
	struct mcb_wire_hdr h;
	const unsigned char *a = ev->attrs;
	size_t keep = 0, room;
	uint16_t flags = 0;

	*truncated = false;
	if (cap < MCB_WIRE_HDR_LEN)
		return 0;
	room = cap - MCB_WIRE_HDR_LEN;

	/* Keep whole attributes only: stop before the first that overflows. */
	if (ev->kind == MCB_KIND_EVENT) {
		struct mcb_nla_iter it;
		const unsigned char *pl;
		uint16_t type, aflags, plen;

		/* A malformed tail ends the walk: it is not forwarded. */
		mcb_nla_iter_init(&it, a, ev->attr_len, MCB_NLA_HOST_BE);
		while (mcb_nla_next(&it, &type, &aflags, &pl, &plen) == 1) {
			size_t end = (size_t)(pl - a) + plen;
			size_t next = (size_t)(it.pos - a);

			if (end > room)
				break;
			/* The padding too when it fits, so the next header
			 * stays aligned for the decoder. */
			keep = next <= room ? next : end;
		}
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

	memset(&h, 0, sizeof(h));
	h.magic = htobe32(MCB_WIRE_MAGIC);
	h.version = MCB_WIRE_VERSION;
	h.kind = (uint8_t)ev->kind;
	h.hdr_len = htobe16(MCB_WIRE_HDR_LEN);
	h.flags = htobe16(flags);
	h.cmd = ev->kind == MCB_KIND_EVENT ? ev->cmd : 0;
	h.genl_version = ev->kind == MCB_KIND_EVENT ? ev->genl_version : 0;
	h.attr_len = htobe32((uint32_t)keep);
	h.orig_len = htobe32(ev->kind == MCB_KIND_EVENT ? ev->attr_len : 0);
	h.bridge_seq = htobe64(ev->bridge_seq);
	h.bridge_time_ns = htobe64(ev->bridge_time_ns);
	h.run = htobe32(ev->bridge_run);
	h.kernel_seq = htobe64(ev->has_kernel_seq ? ev->kernel_seq : 0);
	h.kernel_time_ns = htobe64(ev->has_kernel_time ? ev->kernel_time_ns : 0);
	h.count = htobe64(ev->kind == MCB_KIND_EVENT ? 0 : ev->count);
	/* strncpy: NUL-padded fixed field, as the format says. */
	strncpy(h.family, ev->family, sizeof(h.family) - 1);
	strncpy(h.group, ev->group, sizeof(h.group) - 1);

	memcpy(buf, &h, sizeof(h));
	if (keep)
		memcpy((unsigned char *)buf + sizeof(h), a, keep);
	*truncated = keep < ev->attr_len && ev->kind == MCB_KIND_EVENT;
	return sizeof(h) + keep;
}
