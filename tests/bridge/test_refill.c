// SPDX-License-Identifier: MIT
/*
 * Unit tests of the GET_EVENTS reply parser (bridge/refill.c): events and
 * the dump's last message, errors with their reasons, replies to other
 * requests, malformed datagrams; and a dump against the real kernel, which
 * refuses it for a family without the command.
 */
#include "testutil.h"

#include <errno.h>
#include <linux/genetlink.h>

#include <linux/mcbridge.h>

#include "refill.h"

#define FAM	30

struct buf {
	unsigned char b[4096];
	size_t len;
};

static void put(struct buf *d, const void *p, size_t len)
{
	assert_true(d->len + NLMSG_ALIGN(len) <= sizeof(d->b));
	memcpy(d->b + d->len, p, len);
	memset(d->b + d->len + len, 0, NLMSG_ALIGN(len) - len);
	d->len += NLMSG_ALIGN(len);
}

static void put_nl(struct buf *d, struct nl_msg *m, uint32_t seq)
{
	nlmsg_hdr(m)->nlmsg_seq = seq;
	put(d, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
}

static void put_event(struct buf *d, uint32_t seq, uint64_t kseq)
{
	struct nl_msg *m = t_msg(FAM, MCBRIDGE_CMD_EVENT);

	nla_put_u64(m, MCBRIDGE_ATTR_SEQ, kseq);
	put_nl(d, m, seq);
}

static void put_end(struct buf *d, uint32_t seq, uint64_t from, uint64_t to,
		    uint64_t first)
{
	struct nl_msg *m = t_msg(FAM, MCBRIDGE_CMD_GET_EVENTS);

	nla_put_u64(m, MCBRIDGE_ATTR_FROM_SEQ, from);
	nla_put_u64(m, MCBRIDGE_ATTR_TO_SEQ, to);
	nla_put_u64(m, MCBRIDGE_ATTR_HISTORY_FIRST, first);
	put_nl(d, m, seq);
}

/* NLMSG_DONE with an error and, when msg is given, its reason. */
static void put_done(struct buf *d, uint32_t seq, int err, const char *msg)
{
	unsigned char b[256];
	struct nlmsghdr h = { .nlmsg_type = NLMSG_DONE, .nlmsg_seq = seq,
			      .nlmsg_flags = NLM_F_MULTI };
	size_t len = NLMSG_HDRLEN + sizeof(err);

	memcpy(b + NLMSG_HDRLEN, &err, sizeof(err));
	if (msg) {
		struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + strlen(msg) + 1),
				    .nla_type = NLMSGERR_ATTR_MSG };

		h.nlmsg_flags |= NLM_F_ACK_TLVS;
		memcpy(b + len, &a, NLA_HDRLEN);
		memcpy(b + len + NLA_HDRLEN, msg, strlen(msg) + 1);
		len += NLA_ALIGN(a.nla_len);
	}
	h.nlmsg_len = (uint32_t)len;
	memcpy(b, &h, NLMSG_HDRLEN);
	put(d, b, len);
}

struct seen {
	uint64_t kseq[16];
	int n;
};

static void on_event(void *ctx, const struct nlmsghdr *nlh)
{
	struct seen *s = ctx;
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a = genlmsg_attrdata(g, 0);

	assert_int_equal(g->cmd, MCBRIDGE_CMD_EVENT);
	assert_int_equal(nla_type(a), MCBRIDGE_ATTR_SEQ);
	assert_true(s->n < 16);
	s->kseq[s->n++] = nla_get_u64(a);
}

static int parse(struct buf *d, uint32_t seq, struct mcb_refill_reply *rep,
		 struct seen *s)
{
	memset(rep, 0, sizeof(*rep));
	memset(s, 0, sizeof(*s));
	return mcb_refill_parse(d->b, d->len, FAM, seq, rep, on_event, s);
}

static void events_and_end(void **state)
{
	struct mcb_refill_reply rep;
	struct seen s;
	struct buf d = { .len = 0 };

	(void)state;
	put_event(&d, 7, 11);
	/* Another request's (stale) and another family's: skipped. */
	put_event(&d, 6, 99);
	{
		struct nl_msg *m = t_msg(FAM + 1, MCBRIDGE_CMD_EVENT);

		nla_put_u64(m, MCBRIDGE_ATTR_SEQ, 98);
		put_nl(&d, m, 7);
	}
	put_event(&d, 7, 12);
	assert_int_equal(parse(&d, 7, &rep, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.kseq[0] == 11 && s.kseq[1] == 12);
	assert_false(rep.ended);
	put_end(&d, 7, 10, 12, 11);
	put_done(&d, 7, 0, NULL);
	assert_int_equal(parse(&d, 7, &rep, &s), 1);
	assert_int_equal(s.n, 2);
	assert_true(rep.ended && rep.events == 2);
	assert_true(rep.from == 10 && rep.to == 12 && rep.history_first == 11);
}

static void errors(void **state)
{
	struct mcb_refill_reply rep;
	struct seen s;
	struct buf d = { .len = 0 };
	unsigned char b[128];
	struct nlmsghdr h = { .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = 3,
			      .nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS };
	struct nlmsgerr e = { .error = -EOPNOTSUPP,
			      .msg = { .nlmsg_len = NLMSG_HDRLEN } };
	struct nlattr a = { .nla_len = NLA_HDRLEN + 4,
			    .nla_type = NLMSGERR_ATTR_MSG };
	size_t len = NLMSG_HDRLEN;

	(void)state;
	/* The request refused at its start: an error with its reason. */
	memcpy(b + len, &e, sizeof(e));
	len += sizeof(e);
	memcpy(b + len, &a, sizeof(a));
	memcpy(b + len + NLA_HDRLEN, "off", 4);
	len += NLA_ALIGN(a.nla_len);
	h.nlmsg_len = (uint32_t)len;
	memcpy(b, &h, NLMSG_HDRLEN);
	put(&d, b, len);
	assert_int_equal(parse(&d, 3, &rep, &s), -EOPNOTSUPP);
	assert_string_equal(rep.ext_msg, "off");
	/* ... at its first dumpit: the error in NLMSG_DONE. */
	d.len = 0;
	put_done(&d, 3, -EINVAL, "mcbridge: to-seq is before from-seq");
	assert_int_equal(parse(&d, 3, &rep, &s), -EINVAL);
	assert_string_equal(rep.ext_msg, "mcbridge: to-seq is before from-seq");
	/* An error no kernel sends (the fuzzer's: it was negated). */
	d.len = 0;
	put_done(&d, 3, INT32_MIN, NULL);
	assert_int_equal(parse(&d, 3, &rep, &s), -EPROTO);
	d.len = 0;
	put_done(&d, 3, -5000, NULL);
	assert_int_equal(parse(&d, 3, &rep, &s), -EPROTO);
	/* A positive status or a success ack is no answer to a dump. */
	d.len = 0;
	put_done(&d, 3, 5, NULL);
	assert_int_equal(parse(&d, 3, &rep, &s), -EPROTO);
	d.len = 0;
	e.error = 0;
	memcpy(b + NLMSG_HDRLEN, &e, sizeof(e));
	put(&d, b, NLMSG_HDRLEN + sizeof(e));
	((struct nlmsghdr *)d.b)->nlmsg_len = NLMSG_HDRLEN + sizeof(e);
	assert_int_equal(parse(&d, 3, &rep, &s), -EPROTO);
	assert_int_equal(s.n, 0);
}

static void malformed(void **state)
{
	struct mcb_refill_reply rep;
	struct seen s;
	struct buf d = { .len = 0 };
	struct nlmsghdr *h;

	(void)state;
	put_event(&d, 1, 5);
	h = (struct nlmsghdr *)d.b;
	/* Longer than the datagram, shorter than a header. */
	h->nlmsg_len = (uint32_t)d.len + 4;
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
	h->nlmsg_len = NLMSG_HDRLEN - 1;
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
	/* An event without its genetlink header. */
	h->nlmsg_len = NLMSG_HDRLEN + 2;
	d.len = NLMSG_ALIGN(h->nlmsg_len);
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
	/* Bytes after the last message that are no message. */
	d.len = 0;
	put_event(&d, 1, 5);
	d.len += 8;
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
	assert_int_equal(s.n, 1);
	/* A last message without its range. */
	d.len = 0;
	{
		struct nl_msg *m = t_msg(FAM, MCBRIDGE_CMD_GET_EVENTS);

		nla_put_u64(m, MCBRIDGE_ATTR_FROM_SEQ, 1);
		nla_put_u32(m, MCBRIDGE_ATTR_TO_SEQ, 2);
		nla_put_u64(m, MCBRIDGE_ATTR_HISTORY_FIRST, 1);
		put_nl(&d, m, 1);
	}
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
	/* A DONE too short for its status. */
	d.len = 0;
	put_done(&d, 1, 0, NULL);
	((struct nlmsghdr *)d.b)->nlmsg_len = NLMSG_HDRLEN;
	d.len = NLMSG_HDRLEN;
	assert_int_equal(parse(&d, 1, &rep, &s), -EPROTO);
}

/* The real kernel: nlctrl has no dump for our command number; the answer
 * is an error, at once, and the socket works for the next request. */
static void real_socket(void **state)
{
	struct mcb_refill rf = { .fd = -1 };
	struct mcb_refill_reply rep;
	struct seen s = { .n = 0 };

	(void)state;
	assert_int_equal(mcb_refill_open(&rf, NULL), 0);
	assert_true(rf.fd >= 0);
	assert_true(mcb_refill_dump(&rf, GENL_ID_CTRL, 1, 0, &rep, on_event, &s) < 0);
	assert_true(rf.fd < 0);		/* closed after the failure ... */
	assert_true(mcb_refill_dump(&rf, GENL_ID_CTRL, 1, 5, &rep, on_event, &s) < 0);
	assert_int_equal(s.n, 0);	/* ... and opened again for this one */
	mcb_refill_close(&rf);
	assert_null(rf.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_and_end),
		cmocka_unit_test(errors),
		cmocka_unit_test(malformed),
		cmocka_unit_test(real_socket),
	};

	return cmocka_run_group_tests_name("refill", tests, NULL, NULL);
}
