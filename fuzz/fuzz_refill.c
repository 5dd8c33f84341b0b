// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bridge's refill from the kernel's history.  The
 * input is the kernel's reply to a GET_EVENTS dump (one datagram); a source
 * of the mcbridge family sees a kernel seq gap, asks for it, and what the
 * reply parser (mcb_refill_parse) hands on goes the way of a refilled
 * event: kernel seq checks, lost notices, both encoders.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>

#include "event.h"
#include "nlsource.h"
#include "refill.h"

#define FAM	30
#define GRP	4
/* Seeds carry this netlink sequence number (fuzz/gen-seeds.c). */
#define SEQ	1

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *input;
static size_t input_len;

static int resolve(void *ctx, const char *family, const char *group,
		   int *fid, uint32_t *gid)
{
	(void)ctx;
	(void)family;
	(void)group;
	*fid = FAM;
	*gid = GRP;
	return 0;
}

static int member(void *ctx, int fd, uint32_t group)
{
	(void)ctx;
	(void)fd;
	(void)group;
	return 0;
}

static int dump(struct mcb_refill *rf, int family_id, uint64_t from,
		uint64_t to, struct mcb_refill_reply *rep,
		mcb_refill_event_fn ev, void *ctx)
{
	/* A copy: the parser must not read past what it was given. */
	uint8_t *copy = malloc(input_len ? input_len : 1);
	int r;

	(void)rf;
	(void)from;
	(void)to;
	memset(rep, 0, sizeof(*rep));
	if (!copy)
		abort();
	memcpy(copy, input, input_len);
	r = mcb_refill_parse(copy, input_len, family_id, SEQ, rep, ev, ctx);
	free(copy);
	if (r < 0 && strnlen(rep->ext_msg, sizeof(rep->ext_msg)) ==
		     sizeof(rep->ext_msg))
		abort();	/* the reason is always terminated */
	return r == 1 && rep->ended ? 0 : r < 0 ? r : -EPROTO;
}

/* Each datagram the bridge would send, encoded both ways. */
static void emit(void *ctx, struct mcb_nl_event *ev)
{
	static unsigned char out[65536];
	bool trunc;

	(void)ctx;
	if (!mcb_encode_json(ev, out, sizeof(out), &trunc) ||
	    !mcb_encode_binary(ev, out, sizeof(out), &trunc))
		abort();
}

/* A live event of the family with kernel seq kseq. */
static void live(struct mcb_nlsrc *s, uint64_t kseq)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr gh;
		struct nlattr a;
		uint64_t seq;
	} __attribute__((packed)) m = {
		.nlh = { .nlmsg_len = sizeof(m), .nlmsg_type = FAM },
		.gh = { .cmd = MCBRIDGE_CMD_EVENT, .version = 1 },
		.a = { .nla_len = NLA_HDRLEN + 8, .nla_type = MCBRIDGE_ATTR_SEQ },
		.seq = kseq,
	};

	mcb_nlsrc_process(s, &m, sizeof(m), true, GRP, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mcb_map_cfg cfg = { .family = "mcbridge",
						.group = "events" };
	struct mcb_nl_ops ops = { resolve, member, member, NULL };
	static struct mcb_nlsrc s;

	input = data;
	input_len = size;
	memset(&s, 0, sizeof(s));
	s.cfg = &cfg;
	s.fd = -1;
	s.rf.fd = -1;
	s.rf.seq = SEQ;
	s.family_id = -1;
	s.is_mcbridge = true;
	s.emit = emit;
	s.refill_dump = dump;
	if (mcb_nlsrc_sync(&s, &ops, false) || !s.refill_on)
		abort();
	live(&s, 1);
	/* The gap 2..999999: asked for, answered by the input. */
	live(&s, 1000000);
	if (s.kseq_next != 1000001)
		abort();
	/* An overrun: the tail after it, answered by the input again. */
	mcb_nlsrc_overrun(&s, 2);
	mcb_nlsrc_refill_tail(&s, 3);
	return 0;
}
