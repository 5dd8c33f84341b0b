/* SPDX-License-Identifier: MIT */
/* Decoder entry point: pick the format of a datagram, shared helpers. */
#include <endian.h>
#include <string.h>

#include <linux/mcbridge.h>

#include "mcbridge_client.h"

static const char *const err_text[MCB_ERR__COUNT] = {
	[MCB_OK] = "ok",
	[MCB_ERR_EMPTY] = "empty datagram",
	[MCB_ERR_FORMAT] = "not an mcbridge datagram",
	[MCB_ERR_MAGIC] = "bad magic",
	[MCB_ERR_VERSION] = "unsupported wire version",
	[MCB_ERR_HDR_LEN] = "bad header length",
	[MCB_ERR_TRUNCATED] = "truncated",
	[MCB_ERR_TRAILING] = "trailing bytes",
	[MCB_ERR_ATTR] = "malformed netlink attribute",
	[MCB_ERR_SYNTAX] = "malformed JSON",
	[MCB_ERR_DEPTH] = "JSON nested too deep",
	[MCB_ERR_NUMBER] = "bad number",
	[MCB_ERR_TYPE] = "field of the wrong type",
	[MCB_ERR_KIND] = "unknown kind",
	[MCB_ERR_MISSING] = "required field missing",
};

const char *mcb_strerror(enum mcb_err err)
{
	if ((unsigned)err < MCB_ERR__COUNT && err_text[err])
		return err_text[err];
	return "unknown error";
}

void mcb_event_reset(struct mcb_event *ev)
{
	/* Only the head matters: arrays are filled together with their
	 * lengths, so clearing 6 KiB of attrs and arena per datagram is
	 * not needed. */
	memset(ev, 0, offsetof(struct mcb_event, attrs));
	ev->arena_used = 0;
}

bool mcb_event_is_mcbridge(const struct mcb_event *ev)
{
	return strcmp(ev->family, MCBRIDGE_GENL_NAME) == 0;
}

static bool looks_binary(const unsigned char *p, size_t len)
{
	uint32_t magic;

	if (len < sizeof(magic))
		return false;
	memcpy(&magic, p, sizeof(magic));
	return be32toh(magic) == MCB_WIRE_MAGIC;
}

static bool looks_json(const unsigned char *p, size_t len)
{
	/* The encoder starts with '{'; tolerate leading JSON whitespace
	 * from hand-made senders. */
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '{')
			return true;
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	}
	return false;
}

enum mcb_err mcb_decode(const void *buf, size_t len, enum mcb_format expect,
			struct mcb_event *ev)
{
	const unsigned char *p = buf;

	mcb_event_reset(ev);
	if (len == 0)
		return MCB_ERR_EMPTY;
	switch (expect) {
	case MCB_FMT_JSON:
		return mcb_decode_json(buf, len, ev);
	case MCB_FMT_BINARY:
		return mcb_decode_binary(buf, len, ev);
	case MCB_FMT_AUTO:
		break;
	}
	if (looks_binary(p, len))
		return mcb_decode_binary(buf, len, ev);
	if (looks_json(p, len))
		return mcb_decode_json(buf, len, ev);
	return MCB_ERR_FORMAT;
}
