// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bridge's netlink message -> datagram path.  The
 * input becomes netlink messages handed to mcb_nlsrc_process() as if
 * received; every resulting event and notice is encoded in JSON and binary
 * into a buffer of exactly the datagram limit (so ASan sees any overrun),
 * and must decode again with the client library.
 *
 * Input: byte 0 = flags (bit 0: the rest is a raw netlink stream, else a
 * genetlink payload: byte 1 = cmd, byte 2 = version, then attributes;
 * bit 1: the mcbridge family, else another one; bits 2-3: datagram limit),
 * then the data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "event.h"
#include "mcbridge_client.h"
#include "nlsource.h"

#define FAMILY_ID	0x1c
#define GROUP_ID	7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t caps[] = { MCB_WIRE_MAX_DATAGRAM, 4096, 512, 256 };
static size_t cap;

/* Every datagram the bridge sends must decode, as the kind it was sent
 * as, with its sequence numbers. */
static void check_client_decodes(const void *buf, size_t len, int kind,
				 uint64_t bridge_seq, bool has_kseq,
				 uint64_t kseq)
{
	static struct mcb_event ev;
	enum mcb_err err = mcb_decode(buf, len, MCB_FMT_AUTO, &ev);

	if (err != MCB_OK) {
		fprintf(stderr, "bridge datagram (%zu bytes) rejected by the "
			"client: %s\n", len, mcb_strerror(err));
		abort();
	}
	if ((int)ev.kind != kind || ev.bridge_seq != bridge_seq ||
	    (has_kseq && (!(ev.has & MCB_HAS_KERNEL_SEQ) ||
			  ev.kernel_seq != kseq))) {
		fprintf(stderr, "bridge datagram decoded with other fields: "
			"kind %d/%d bridge_seq %llu/%llu\n", (int)ev.kind, kind,
			(unsigned long long)ev.bridge_seq,
			(unsigned long long)bridge_seq);
		abort();
	}
}

struct fuzz_ctx {
	uint64_t bseq;
	struct mcb_enc_prep prep;	/* the mapping's, as loop.c makes it */
};

static void emit(void *ctx, struct mcb_nl_event *ev)
{
	static const mcb_encode_fn enc[] = { mcb_encode_json, mcb_encode_binary };
	struct fuzz_ctx *c = ctx;

	ev->bridge_seq = ++c->bseq;
	for (size_t i = 0; i < 2; i++) {
		unsigned char *buf = malloc(cap), *again = malloc(cap);
		bool trunc = false, trunc2 = false;
		size_t len, len2;

		if (!buf || !again)
			abort();
		ev->prep = NULL;
		len = enc[i](ev, buf, cap, &trunc);
		/* The mapping's prepared names give the very same bytes. */
		ev->prep = &c->prep;
		len2 = enc[i](ev, again, cap, &trunc2);
		if (len2 != len || trunc2 != trunc || memcmp(buf, again, len))
			abort();
		free(again);
		if (len > cap)
			abort();
		/* 0 is allowed only when even the fixed fields do not fit. */
		if (len == 0 && cap >= 512)
			abort();
		if (len)
			/* A truncated event may have dropped its "seq". */
			check_client_decodes(buf, len, (int)ev->kind,
					     ev->bridge_seq,
					     ev->has_kernel_seq && !trunc,
					     ev->kernel_seq);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mcb_log log = { .use_syslog = false };
	struct mcb_map_cfg cfg = { .group = "events" };
	struct mcb_nlsrc s;
	static struct fuzz_ctx fc;
	unsigned char *msg;
	size_t len;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	strcpy(cfg.family, flags & 2 ? "mcbridge" : "fuzzfam");
	cap = caps[(flags >> 2) & 3];

	memset(&s, 0, sizeof(s));
	s.cfg = &cfg;
	s.log = &log;
	s.fd = -1;
	s.is_mcbridge = flags & 2;
	s.state = MCB_SRC_SUBSCRIBED;
	s.family_id = FAMILY_ID;
	s.group_id = GROUP_ID;
	s.emit = emit;
	fc.bseq = 0;
	mcb_enc_prepare(&fc.prep, cfg.family, cfg.group, 0);
	s.emit_ctx = &fc;

	if (flags & 1) {
		/* Raw: a copy of exactly the input, so reads past it trap. */
		msg = malloc(size ? size : 1);
		if (!msg)
			abort();
		memcpy(msg, data, size);
		len = size;
	} else {
		struct nlmsghdr nlh = { .nlmsg_type = FAMILY_ID };
		struct genlmsghdr g = { 0 };
		size_t alen;

		if (size < 2)
			return 0;
		g.cmd = data[0];
		g.version = data[1];
		alen = size - 2;
		if (alen > 60000)
			return 0;
		len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
		nlh.nlmsg_len = (uint32_t)len;
		msg = malloc(len);
		if (!msg)
			abort();
		memcpy(msg, &nlh, sizeof(nlh));
		memcpy(msg + NLMSG_HDRLEN, &g, sizeof(g));
		memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN, data + 2, alen);
	}
	mcb_nlsrc_process(&s, msg, len, flags & 0x10, flags & 0x20 ? GROUP_ID : 0,
			  1000);
	/* A second pass: the kernel seq check now has a baseline. */
	mcb_nlsrc_process(&s, msg, len, false, 0, 2000);
	mcb_nlsrc_overrun(&s, 3000);
	free(msg);
	return 0;
}
