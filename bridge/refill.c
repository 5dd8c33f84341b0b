// SPDX-License-Identifier: MIT
/*
 * GET_EVENTS dumps of the kernel's history (refill.h): a raw netlink
 * socket, one request at a time, read to its NLMSG_DONE.  Every length of
 * the reply is checked before use: the parser is fuzzed (fuzz/fuzz_refill.c).
 */
#include "refill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/nla.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The extended ack's message, from TLVs at tlvs..end, into rep. */
static void ext_ack_msg(const unsigned char *tlvs, const unsigned char *end,
			struct mcb_refill_reply *rep)
{
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;

	mcb_nla_iter_init(&it, tlvs, (size_t)(end - tlvs), MCB_NLA_HOST_BE);
	while (mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
		if (type == NLMSGERR_ATTR_MSG && plen)
			snprintf(rep->ext_msg, sizeof(rep->ext_msg), "%.*s",
				 (int)strnlen((const char *)pl, plen),
				 (const char *)pl);
	}
}

/* A kernel error is -1..-4095 (-MAX_ERRNO); anything else is garbage,
 * which callers would negate (INT_MIN cannot be). */
static int kernel_error(int err)
{
	return err < 0 && err >= -4095 ? err : -EPROTO;
}

/* The dump's last message: the range it covered, where the ring starts. */
static int parse_end(const unsigned char *attrs, size_t len,
		     struct mcb_refill_reply *rep)
{
	bool from = false, to = false, first = false;
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	uint64_t v;
	int r;

	mcb_nla_iter_init(&it, attrs, len, MCB_NLA_HOST_BE);
	while ((r = mcb_nla_next(&it, &type, &flags, &pl, &plen)) == 1) {
		if (plen != sizeof(v))
			continue;
		memcpy(&v, pl, sizeof(v));
		switch (type) {
		case MCBRIDGE_ATTR_FROM_SEQ:
			rep->from = v;
			from = true;
			break;
		case MCBRIDGE_ATTR_TO_SEQ:
			rep->to = v;
			to = true;
			break;
		case MCBRIDGE_ATTR_HISTORY_FIRST:
			rep->history_first = v;
			first = true;
			break;
		}
	}
	if (r < 0 || !from || !to || !first)
		return -EPROTO;
	rep->ended = true;
	return 0;
}

int mcb_refill_parse(const void *buf, size_t len, int family_id, uint32_t seq,
		     struct mcb_refill_reply *rep, mcb_refill_event_fn ev,
		     void *ctx)
{
	const unsigned char *p = buf;
	size_t off = 0;

	while (len - off >= NLMSG_HDRLEN) {
		/* Messages start 4-aligned in a datagram, as the header. */
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);
		const unsigned char *data = p + off + NLMSG_HDRLEN;
		const unsigned char *end;
		uint32_t mlen = nlh->nlmsg_len;
		int err;

		if (mlen < NLMSG_HDRLEN || mlen > len - off)
			return -EPROTO;
		end = p + off + mlen;
		off += NLMSG_ALIGN(mlen) < len - off ? NLMSG_ALIGN(mlen) :
						       len - off;
		if (nlh->nlmsg_seq != seq)
			continue;	/* not ours: an earlier request's */
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_DONE:
			/* The dump's status, then (NLM_F_ACK_TLVS) why. */
			if (mlen < NLMSG_HDRLEN + sizeof(err))
				return -EPROTO;
			memcpy(&err, data, sizeof(err));
			if (err > 0)
				return -EPROTO;
			if (err < 0) {
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					ext_ack_msg(data + sizeof(err), end, rep);
				return kernel_error(err);
			}
			return 1;
		case NLMSG_ERROR: {
			struct nlmsgerr e;
			const unsigned char *tlvs;

			/* The request refused; a dump has no ack of success. */
			if (mlen < NLMSG_HDRLEN + sizeof(e))
				return -EPROTO;
			memcpy(&e, data, sizeof(e));
			if (e.error >= 0)
				return -EPROTO;
			/* TLVs after the echoed request, unless capped. */
			tlvs = data + sizeof(e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
				if (e.msg.nlmsg_len < NLMSG_HDRLEN ||
				    e.msg.nlmsg_len - NLMSG_HDRLEN >
				    (size_t)(end - tlvs))
					return kernel_error(e.error);
				tlvs += e.msg.nlmsg_len - NLMSG_HDRLEN;
			}
			if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
				ext_ack_msg(tlvs, end, rep);
			return kernel_error(e.error);
		}
		}
		if (nlh->nlmsg_type != family_id)
			continue;
		if (mlen < NLMSG_HDRLEN + GENL_HDRLEN)
			return -EPROTO;
		switch (((const struct genlmsghdr *)data)->cmd) {
		case MCBRIDGE_CMD_EVENT:
			rep->events++;
			ev(ctx, nlh);
			break;
		case MCBRIDGE_CMD_GET_EVENTS:
			if (parse_end(data + GENL_HDRLEN,
				      mlen - NLMSG_HDRLEN - GENL_HDRLEN, rep) < 0)
				return -EPROTO;
			break;
		}
	}
	return off == len ? 0 : -EPROTO;
}

int mcb_refill_open(struct mcb_refill *r, const struct mcb_log *lg)
{
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	struct timeval tv = {
		.tv_sec = MCB_REFILL_TIMEOUT_MS / 1000,
		.tv_usec = MCB_REFILL_TIMEOUT_MS % 1000 * 1000,
	};
	int one = 1, err;

	r->log = lg;
	if (!r->buf) {
		r->buf = malloc(MCB_REFILL_BUF);
		if (!r->buf) {
			mcb_log(lg, LOG_ERR, "out of memory for the refill buffer");
			return -ENOMEM;
		}
	}
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (r->fd < 0 ||
	    bind(r->fd, (struct sockaddr *)&self, sizeof(self)) < 0 ||
	    /* The reason of a refusal, without the echoed request. */
	    setsockopt(r->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(r->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "refill socket: %s", strerror(-err));
		mcb_refill_close(r);
		return err;
	}
	return 0;
}

/* The socket only: a dump in progress there ends with it. */
static void refill_close_fd(struct mcb_refill *r)
{
	if (r->fd >= 0 && close(r->fd) < 0)
		mcb_log(r->log, LOG_DEBUG, "close refill socket: %s",
			strerror(errno));
	r->fd = -1;
}

void mcb_refill_close(struct mcb_refill *r)
{
	refill_close_fd(r);
	free(r->buf);
	r->buf = NULL;
}

static int send_request(struct mcb_refill *r, int family_id, uint64_t from,
			uint64_t to)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr gh;
		struct {
			struct nlattr nla;
			uint64_t v;
		} __attribute__((packed)) a[2];
	} req;
	size_t len = sizeof(req);

	_Static_assert(sizeof(req.a[0]) == NLA_HDRLEN + 8, "attribute layout");
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = (uint16_t)family_id;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = ++r->seq;
	req.gh.cmd = MCBRIDGE_CMD_GET_EVENTS;
	req.gh.version = MCBRIDGE_GENL_VERSION;
	req.a[0].nla.nla_type = MCBRIDGE_ATTR_FROM_SEQ;
	req.a[0].nla.nla_len = NLA_HDRLEN + sizeof(uint64_t);
	req.a[0].v = from;
	req.a[1].nla.nla_type = MCBRIDGE_ATTR_TO_SEQ;
	req.a[1].nla.nla_len = NLA_HDRLEN + sizeof(uint64_t);
	req.a[1].v = to;
	if (!to)
		len -= sizeof(req.a[1]);
	req.nlh.nlmsg_len = (uint32_t)len;
	if (sendto(r->fd, &req, len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

int mcb_refill_dump(struct mcb_refill *r, int family_id, uint64_t from,
		    uint64_t to, struct mcb_refill_reply *rep,
		    mcb_refill_event_fn ev, void *ctx)
{
	int err;

	memset(rep, 0, sizeof(*rep));
	if (r->fd < 0) {
		err = mcb_refill_open(r, r->log);
		if (err < 0)
			return err;
	}
	err = send_request(r, family_id, from, to);
	while (!err) {
		ssize_t n = recv(r->fd, r->buf, MCB_REFILL_BUF, MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno == EAGAIN || errno == EWOULDBLOCK ?
			      -ETIMEDOUT : -errno;
		} else if ((size_t)n > MCB_REFILL_BUF) {
			err = -EMSGSIZE;
		} else {
			err = mcb_refill_parse(r->buf, (size_t)n, family_id,
					       r->seq, rep, ev, ctx);
			if (err == 1)
				return rep->ended ? 0 : -EPROTO;
		}
	}
	/* Whatever is left of this dump must not meet the next one. */
	refill_close_fd(r);
	return err;
}
