// SPDX-License-Identifier: MIT
/*
 * Netlink event source: one socket per mapping, subscribed to its group
 * through mcb_nl_ops (nlctrl.c resolves the names), drained with recvmmsg
 * and parsed with libnl's nlmsg/nla helpers.  For the mcbridge family, what
 * the socket missed is fetched from the module's history (refill.c) and
 * bridged in kernel seq order, before the event that showed the gap.
 */
#include "nlsource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/mcbridge.h>
#include <mcbridge/nla.h>

#include "mcb_attr.h"

#include "lib/sockbuf.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

const char *mcb_src_state_name(enum mcb_src_state st)
{
	switch (st) {
	case MCB_SRC_WAIT_FAMILY: return "waiting for family";
	case MCB_SRC_WAIT_GROUP: return "waiting for group";
	case MCB_SRC_SUBSCRIBED: return "subscribed";
	}
	return "?";
}

int mcb_nlsrc_open(struct mcb_nlsrc *s, const struct mcb_map_cfg *cfg,
		   size_t rcvbuf, unsigned batch, const struct mcb_log *lg,
		   mcb_emit_fn emit, void *emit_ctx)
{
	int one = 1, err;
	bool forced;
	size_t clen = CMSG_SPACE(sizeof(struct nl_pktinfo));

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->log = lg;
	s->fd = -1;
	s->rf.fd = -1;
	s->family_id = -1;
	s->state = MCB_SRC_WAIT_FAMILY;
	s->is_mcbridge = strcmp(cfg->family, MCBRIDGE_GENL_NAME) == 0;
	s->emit = emit;
	s->emit_ctx = emit_ctx;
	s->batch = batch;
	s->slot_size = MCB_NL_SLOT;

	s->sk = nl_socket_alloc();
	if (!s->sk) {
		mcb_log(lg, LOG_ERR, "nl_socket_alloc failed");
		return -ENOMEM;
	}
	/* Events are unsolicited: there is no seq to match. */
	nl_socket_disable_seq_check(s->sk);
	/* We size our own buffers: one syscall per batch, not two per msg. */
	nl_socket_disable_msg_peek(s->sk);
	err = genl_connect(s->sk);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "%s/%s: genl_connect: %s", cfg->family,
			cfg->group, nl_geterror(err));
		goto fail;
	}
	s->fd = nl_socket_get_fd(s->sk);
	err = nl_socket_set_nonblocking(s->sk);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "%s/%s: set non-blocking: %s",
			cfg->family, cfg->group, nl_geterror(err));
		goto fail;
	}
	s->rcvbuf_got = mcb_set_rcvbuf(s->fd, (int)rcvbuf, &forced);
	if (s->rcvbuf_got < 0) {
		err = s->rcvbuf_got;
		mcb_log(lg, LOG_ERR, "%s/%s: receive buffer: %s", cfg->family,
			cfg->group, strerror(-err));
		goto fail;
	}
	mcb_log(lg, LOG_INFO, "%s/%s: netlink receive buffer %d bytes "
		"(asked %zu%s)", cfg->family, cfg->group, s->rcvbuf_got,
		rcvbuf, forced ? ", SO_RCVBUFFORCE" :
		", SO_RCVBUF only: raise net.core.rmem_max or run with "
		"CAP_NET_ADMIN for more");
	/* The group each message came through, to drop stale ones. */
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_PKTINFO, &one,
		       sizeof(one)) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "%s/%s: NETLINK_PKTINFO: %s", cfg->family,
			cfg->group, strerror(errno));
		goto fail;
	}

	s->msgs = calloc(batch, sizeof(*s->msgs));
	s->iov = calloc(batch, sizeof(*s->iov));
	/* Pages are touched only by what arrives, so big slots cost little. */
	s->bufs = malloc((size_t)batch * s->slot_size);
	s->cbufs = calloc(batch, clen);
	if (!s->msgs || !s->iov || !s->bufs || !s->cbufs) {
		mcb_log(lg, LOG_ERR, "out of memory for receive buffers");
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < batch; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * s->slot_size;
		s->iov[i].iov_len = s->slot_size;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_control = s->cbufs + i * clen;
	}
	if (s->is_mcbridge && cfg->refill) {
		/* Opened now: the bridge may not open sockets later. */
		err = mcb_refill_open(&s->rf, lg);
		if (err < 0)
			goto fail;
		s->refill_dump = mcb_refill_dump;
		s->refill_on = true;
	}
	return 0;
fail:
	mcb_nlsrc_close(s);
	return err < 0 ? err : -EIO;
}

void mcb_nlsrc_close(struct mcb_nlsrc *s)
{
	if (s->sk)
		nl_socket_free(s->sk);	/* closes the fd */
	s->sk = NULL;
	s->fd = -1;
	mcb_refill_close(&s->rf);
	free(s->msgs);
	free(s->iov);
	free(s->bufs);
	free(s->cbufs);
	s->msgs = NULL;
	s->iov = NULL;
	s->bufs = NULL;
	s->cbufs = NULL;
}

/* Failing to leave is harmless: what still arrives is dropped as stale. */
static void leave_group(struct mcb_nlsrc *s, const struct mcb_nl_ops *ops)
{
	int err = ops->leave(ops->ctx, s->fd, s->group_id);

	if (err < 0)
		mcb_log(s->log, LOG_DEBUG, "%s/%s: leave group %u: %s",
			s->cfg->family, s->cfg->group, s->group_id,
			strerror(-err));
}

static void set_waiting(struct mcb_nlsrc *s, const struct mcb_nl_ops *ops,
			enum mcb_src_state st)
{
	if (s->state == MCB_SRC_SUBSCRIBED)
		leave_group(s, ops);
	if (s->state != st)
		mcb_log(s->log, LOG_NOTICE, "%s/%s: %s", s->cfg->family,
			s->cfg->group, mcb_src_state_name(st));
	s->state = st;
	s->family_id = -1;
	s->group_id = 0;
	s->kseq_valid = false;
}

/*
 * A new instance of the family: nothing of the old one's is a duplicate
 * or to be fetched, and its history may be on where the old one's was off.
 */
static void refill_reset(struct mcb_nlsrc *s)
{
	s->refill_on = s->refill_dump != NULL;
	s->overrun_open = false;
	s->dup_lo = 1;
	s->dup_hi = 0;
}

int mcb_nlsrc_sync(struct mcb_nlsrc *s, const struct mcb_nl_ops *ops,
		   bool force)
{
	int fid, r;
	uint32_t gid;
	bool same;

	r = ops->resolve(ops->ctx, s->cfg->family, s->cfg->group, &fid, &gid);
	if (r == -ENOENT || r == -ESRCH) {
		set_waiting(s, ops, r == -ENOENT ? MCB_SRC_WAIT_FAMILY :
			    MCB_SRC_WAIT_GROUP);
		return 0;
	}
	if (r < 0) {
		mcb_log(s->log, LOG_ERR, "%s/%s: resolve: %s", s->cfg->family,
			s->cfg->group, strerror(-r));
		return r;
	}
	same = s->state == MCB_SRC_SUBSCRIBED && s->family_id == fid &&
	       s->group_id == gid;
	if (same && !force)
		return 0;
	/* Leave the old group first: nothing may arrive from a stale id. */
	if (s->state == MCB_SRC_SUBSCRIBED && !same)
		leave_group(s, ops);
	/* A reloaded family's kernel dropped our membership even if the ids
	 * came back the same; joining again is harmless when it did not. */
	r = ops->join(ops->ctx, s->fd, gid);
	if (r < 0) {
		mcb_log(s->log, LOG_ERR, "%s/%s: join group %u: %s",
			s->cfg->family, s->cfg->group, gid, strerror(-r));
		s->state = MCB_SRC_WAIT_GROUP;
		s->family_id = -1;
		s->group_id = 0;
		return r;
	}
	if (s->st.subscriptions++ > 0)
		s->st.resubscribes++;
	mcb_log(s->log, LOG_NOTICE, "%s/%s: subscribed (family id %d, group "
		"id %u)", s->cfg->family, s->cfg->group, fid, gid);
	s->state = MCB_SRC_SUBSCRIBED;
	s->family_id = fid;
	s->group_id = gid;
	/* New subscription: the next kernel seq is the new baseline. */
	s->kseq_valid = false;
	refill_reset(s);
	return 0;
}

static void emit_notice(struct mcb_nlsrc *s, enum mcb_wire_kind kind,
			uint64_t count, bool has_kseq, uint64_t kseq,
			uint64_t now_ns)
{
	struct mcb_nl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.family = s->cfg->family;
	ev.group = s->cfg->group;
	ev.bridge_time_ns = now_ns;
	ev.count = count;
	ev.has_kernel_seq = has_kseq;
	ev.kernel_seq = kseq;
	s->emit(s->emit_ctx, &ev);
}

void mcb_nlsrc_overrun(struct mcb_nlsrc *s, uint64_t now_ns)
{
	s->st.overruns++;
	/* What was dropped after the last event to come is fetched once
	 * the socket is drained (mcb_nlsrc_refill_tail). */
	s->overrun_open = true;
	mcb_log(s->log, LOG_WARNING, "%s/%s: netlink receive overrun, events "
		"lost", s->cfg->family, s->cfg->group);
	emit_notice(s, MCB_KIND_OVERRUN, 1, false, 0, now_ns);
}

void mcb_nlsrc_truncated(struct mcb_nlsrc *s, uint64_t now_ns)
{
	s->st.rx_truncated++;
	mcb_log(s->log, LOG_WARNING, "%s/%s: netlink message over %zu bytes "
		"dropped", s->cfg->family, s->cfg->group, s->slot_size);
	/* Loss is never silent.  For the mcbridge family the gap in the
	 * kernel seq announces it, counted once, with the seq after it. */
	if (!s->is_mcbridge)
		emit_notice(s, MCB_KIND_LOST, 1, false, 0, now_ns);
}

/*
 * The kernel seq and time: the attributes the encoders name (the rule of
 * mcb_attr_named), so that the seq tracked is the one the datagram carries.
 */
static void kernel_seq_time_walk(struct mcb_nl_event *ev)
{
	const struct mcb_attr_desc *d;
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	uint64_t taken = 0;

	mcb_nla_iter_init(&it, ev->attrs, ev->attr_len, MCB_NLA_HOST_BE);
	while (!(ev->has_kernel_seq && ev->has_kernel_time) &&
	       mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
		d = mcb_attr_named(type, flags, plen, &taken);
		if (!d)
			continue;
		/* Host order, and may be 4-aligned only. */
		if (d->id == MCBRIDGE_ATTR_SEQ) {
			memcpy(&ev->kernel_seq, pl, sizeof(ev->kernel_seq));
			ev->has_kernel_seq = true;
		} else if (d->id == MCBRIDGE_ATTR_TIMESTAMP_NS) {
			memcpy(&ev->kernel_time_ns, pl,
			       sizeof(ev->kernel_time_ns));
			ev->has_kernel_time = true;
		}
	}
}

/* nla_len and nla_type of a u64 attribute of this type, no flags. */
#define U64_ATTR(type)	((uint32_t)(NLA_HDRLEN + 8) | (uint32_t)(type) << 16)

static void kernel_seq_time(struct mcb_nl_event *ev)
{
	const unsigned char *a = ev->attrs;
	uint32_t h0, h1;

	/* The module's layout: seq, then timestamp_ns, first (no pad
	 * attributes where 64-bit access may be unaligned): the walk would
	 * take exactly these two. */
	if (ev->attr_len >= 2 * (NLA_HDRLEN + 8)) {
		memcpy(&h0, a, sizeof(h0));
		memcpy(&h1, a + NLA_HDRLEN + 8, sizeof(h1));
		if (h0 == U64_ATTR(MCBRIDGE_ATTR_SEQ) &&
		    h1 == U64_ATTR(MCBRIDGE_ATTR_TIMESTAMP_NS)) {
			memcpy(&ev->kernel_seq, a + NLA_HDRLEN, 8);
			memcpy(&ev->kernel_time_ns, a + 2 * NLA_HDRLEN + 8, 8);
			ev->has_kernel_seq = ev->has_kernel_time = true;
			return;
		}
	}
	kernel_seq_time_walk(ev);
}

static void announce_lost(struct mcb_nlsrc *s, uint64_t lost,
			  uint64_t next_seq, uint64_t now_ns)
{
	s->st.lost += lost;
	emit_notice(s, MCB_KIND_LOST, lost, true, next_seq, now_ns);
}

/* Inline: it runs for every event, and the call cost more than its body. */
static inline __attribute__((always_inline)) void
deliver(struct mcb_nlsrc *s, const struct nlmsghdr *nlh, uint64_t now_ns,
	bool from_history);

/* Each event of a dump: a genetlink message of the family, command event. */
static void on_refill_event(void *ctx, const struct nlmsghdr *nlh)
{
	struct mcb_nlsrc *s = ctx;

	if (!genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0)) {
		s->st.malformed++;
		return;
	}
	deliver(s, nlh, s->refill_time, true);
}

/*
 * Bridge kernel seqs from..to (to 0: up to the last sent) from the
 * module's history, each through deliver() and so in order, a hole in
 * them announced lost on the way (gone from the history before we asked).
 * Returns 0 with rep filled, or -errno: then nothing more is fetched and
 * the gap is announced lost by the caller, as without a history.
 */
static int refill(struct mcb_nlsrc *s, uint64_t from, uint64_t to,
		  struct mcb_refill_reply *rep)
{
	int err;

	s->st.refills++;
	s->refilling = true;
	s->refill_to = to ? to : UINT64_MAX;
	s->refill_time = mcb_now_ns();
	err = s->refill_dump(&s->rf, s->family_id, from, to, rep,
			     on_refill_event, s);
	s->refilling = false;
	if (!err) {
		/* Live events of the range still in the socket come again. */
		s->dup_lo = from;
		s->dup_hi = rep->to;
		return 0;
	}
	s->st.refill_errors++;
	if (err == -EOPNOTSUPP || err == -EPERM) {
		/* Until the family comes back (refill_reset). */
		s->refill_on = false;
		mcb_log(s->log, LOG_NOTICE, "%s/%s: the module's history "
			"cannot be read (%s%s%s): gaps are announced lost",
			s->cfg->family, s->cfg->group, strerror(-err),
			rep->ext_msg[0] ? ": " : "", rep->ext_msg);
	} else if ((s->st.refill_errors & (s->st.refill_errors - 1)) == 0) {
		/* The 1st, 2nd, 4th, ... */
		mcb_log(s->log, LOG_WARNING, "%s/%s: refill of kernel seq "
			"%llu..: %s%s%s (%llu failed)", s->cfg->family,
			s->cfg->group, (unsigned long long)from, strerror(-err),
			rep->ext_msg[0] ? ": " : "", rep->ext_msg,
			(unsigned long long)s->st.refill_errors);
	}
	return err;
}

/*
 * Kernel seq: a gap is fetched from the history (not while bridging a
 * dump), what stays missing is announced "lost"; going back is a restart,
 * or an event the history already gave.  Returns whether to bridge seq.
 */
static inline __attribute__((always_inline)) bool
check_kseq(struct mcb_nlsrc *s, uint64_t seq, uint64_t now_ns,
		       bool from_history)
{
	struct mcb_refill_reply rep;

	if (from_history && (seq < s->kseq_next || seq > s->refill_to)) {
		s->st.refill_dups++;
		return false;
	}
	if (s->kseq_valid) {
		if (seq > s->kseq_next && s->refill_on && !from_history)
			refill(s, s->kseq_next, seq - 1, &rep);
		if (seq > s->kseq_next) {
			announce_lost(s, seq - s->kseq_next, seq, now_ns);
		} else if (seq < s->kseq_next) {
			if (seq >= s->dup_lo && seq <= s->dup_hi) {
				s->st.refill_dups++;
				return false;
			}
			s->st.restarts++;
			mcb_log(s->log, LOG_NOTICE, "%s/%s: kernel seq restarted "
				"at %llu (expected %llu)", s->cfg->family,
				s->cfg->group, (unsigned long long)seq,
				(unsigned long long)s->kseq_next);
		}
	}
	s->kseq_valid = true;
	s->kseq_next = seq + 1;
	return true;
}

/*
 * What stays missing at the end of the range is not announced here but,
 * as any gap, right before the next event bridged (one notice per gap,
 * where it is): that event may even be the live copy of one of them.
 */
void mcb_nlsrc_refill_tail(struct mcb_nlsrc *s, uint64_t now_ns)
{
	struct mcb_refill_reply rep;

	(void)now_ns;
	if (!s->overrun_open)
		return;
	s->overrun_open = false;
	if (!s->refill_on || !s->kseq_valid || s->state != MCB_SRC_SUBSCRIBED)
		return;
	refill(s, s->kseq_next, 0, &rep);
}

/* One event message, live or from the history: to the emitter, in order. */
static inline __attribute__((always_inline)) void
deliver(struct mcb_nlsrc *s, const struct nlmsghdr *nlh, uint64_t now_ns,
	bool from_history)
{
	/* The caller checked nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN. */
	const struct genlmsghdr *g = (const struct genlmsghdr *)
		((const unsigned char *)nlh + NLMSG_HDRLEN);
	struct mcb_nl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = MCB_KIND_EVENT;
	ev.family = s->cfg->family;
	ev.group = s->cfg->group;
	ev.is_mcbridge = s->is_mcbridge;
	ev.cmd = g->cmd;
	ev.genl_version = g->version;
	ev.bridge_time_ns = now_ns;
	ev.attrs = (const unsigned char *)g + GENL_HDRLEN;
	ev.attr_len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	if (!from_history)
		s->st.received++;
	if (s->is_mcbridge) {
		kernel_seq_time(&ev);
		if (ev.has_kernel_seq &&
		    !check_kseq(s, ev.kernel_seq, now_ns, from_history))
			return;
	}
	if (from_history)
		s->st.refilled++;
	s->emit(s->emit_ctx, &ev);
}

/* mcb_nlsrc_process(), inline into the drain: it runs per message. */
static inline __attribute__((always_inline)) void
process(struct mcb_nlsrc *s, const void *buf, size_t len, bool has_group,
	uint32_t group, uint64_t now_ns)
{
	const unsigned char *p = buf;
	size_t rem = len;

	/* NLMSG_OK / NLMSG_NEXT, inline: this runs for every event. */
	while (rem >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > rem)
			break;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		p += step < rem ? step : rem;
		rem -= step < rem ? step : rem;
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;	/* NOOP / ERROR / DONE: not events */
		/* Only the current family id and group: anything else is left
		 * over from before a reload and must not be bridged. */
		if (s->state != MCB_SRC_SUBSCRIBED ||
		    nlh->nlmsg_type != s->family_id ||
		    (has_group && group != s->group_id)) {
			s->st.stale++;
			continue;
		}
		if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
			s->st.malformed++;
			continue;
		}
		deliver(s, nlh, now_ns, false);
	}
}

void mcb_nlsrc_process(struct mcb_nlsrc *s, const void *buf, size_t len,
		       bool has_group, uint32_t group, uint64_t now_ns)
{
	process(s, buf, len, has_group, group, now_ns);
}

static bool pktinfo_group(struct msghdr *mh, uint32_t *group)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_NETLINK &&
		    c->cmsg_type == NETLINK_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct nl_pktinfo))) {
			struct nl_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*group = pi.group;
			return true;
		}
	}
	return false;
}

int mcb_nlsrc_drain(struct mcb_nlsrc *s, unsigned max_rounds)
{
	size_t clen = CMSG_SPACE(sizeof(struct nl_pktinfo));

	for (unsigned round = 0; round < max_rounds; round++) {
		uint64_t now;
		int n;

		for (unsigned i = 0; i < s->batch; i++) {
			s->msgs[i].msg_hdr.msg_controllen = clen;
			s->msgs[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(s->fd, s->msgs, s->batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				mcb_nlsrc_refill_tail(s, mcb_now_ns());
				return 0;
			}
			if (errno == ENOBUFS) {
				/* The kernel dropped events for us; the queue
				 * is usable again, so announce and go on. */
				mcb_nlsrc_overrun(s, mcb_now_ns());
				continue;
			}
			s->st.rx_errors++;
			mcb_log(s->log, LOG_ERR, "%s/%s: recvmmsg: %s",
				s->cfg->family, s->cfg->group, strerror(errno));
			return -errno;
		}
		now = mcb_now_ns();
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &s->msgs[i].msg_hdr;
			uint32_t group = 0;
			bool has_group;

			if (mh->msg_flags & MSG_TRUNC) {
				mcb_nlsrc_truncated(s, now);
				continue;
			}
			has_group = pktinfo_group(mh, &group);
			process(s, s->iov[i].iov_base, s->msgs[i].msg_len,
				has_group, group, now);
		}
		if ((unsigned)n < s->batch) {
			mcb_nlsrc_refill_tail(s, now);
			return 0;
		}
	}
	return 1;
}
