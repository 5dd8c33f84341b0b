// SPDX-License-Identifier: MIT
/*
 * Netlink source: subscribes to genetlink multicast groups by name with
 * libnl-3, follows family registration through nlctrl "notify", and drains
 * event sockets with recvmmsg, parsing with libnl's nlmsg/nla helpers.
 */
#include "nlsource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/mcbridge.h>
#include <mcbridge/nla.h>

#include "mcb_attr.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

uint64_t mcb_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer (vDSO, no errno):
	 * the same clock as the kernel's timestamp_ns, so they compare. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *mcb_src_state_name(enum mcb_src_state st)
{
	switch (st) {
	case MCB_SRC_WAIT_FAMILY: return "waiting for family";
	case MCB_SRC_WAIT_GROUP: return "waiting for group";
	case MCB_SRC_SUBSCRIBED: return "subscribed";
	}
	return "?";
}

/*
 * Ask for rcvbuf bytes: SO_RCVBUF through libnl (capped by rmem_max), then
 * SO_RCVBUFFORCE, which passes the cap when we have CAP_NET_ADMIN.
 * Returns what the kernel granted (it reports twice the payload size).
 */
static int set_rcvbuf(struct nl_sock *sk, int fd, size_t rcvbuf, bool *forced)
{
	int want = (int)rcvbuf, got = 0;
	socklen_t len = sizeof(got);

	*forced = false;
	if (nl_socket_set_buffer_size(sk, want, 0) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
		       sizeof(want)) == 0)
		*forced = true;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		return -1;
	return got;
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
	s->rcvbuf_got = set_rcvbuf(s->sk, s->fd, rcvbuf, &forced);
	if (s->rcvbuf_got < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "%s/%s: receive buffer: %s", cfg->family,
			cfg->group, strerror(errno));
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
	free(s->msgs);
	free(s->iov);
	free(s->bufs);
	free(s->cbufs);
	s->msgs = NULL;
	s->iov = NULL;
	s->bufs = NULL;
	s->cbufs = NULL;
}

static void set_waiting(struct mcb_nlsrc *s, const struct mcb_nl_ops *ops,
			enum mcb_src_state st)
{
	if (s->state == MCB_SRC_SUBSCRIBED &&
	    ops->leave(ops->ctx, s->fd, s->group_id) < 0)
		mcb_log(s->log, LOG_DEBUG, "%s/%s: leave group %u: %s",
			s->cfg->family, s->cfg->group, s->group_id,
			strerror(errno));
	if (s->state != st)
		mcb_log(s->log, LOG_NOTICE, "%s/%s: %s", s->cfg->family,
			s->cfg->group, mcb_src_state_name(st));
	s->state = st;
	s->family_id = -1;
	s->group_id = 0;
	s->kseq_valid = false;
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
	if (s->state == MCB_SRC_SUBSCRIBED && !same &&
	    ops->leave(ops->ctx, s->fd, s->group_id) < 0)
		mcb_log(s->log, LOG_DEBUG, "%s/%s: leave group %u: %s",
			s->cfg->family, s->cfg->group, s->group_id,
			strerror(errno));
	/* A reloaded family's kernel dropped our membership even if the ids
	 * came back the same; joining again is harmless when it did not. */
	if (ops->join(ops->ctx, s->fd, gid) < 0) {
		r = -errno;
		mcb_log(s->log, LOG_ERR, "%s/%s: join group %u: %s",
			s->cfg->family, s->cfg->group, gid, strerror(errno));
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
static void kernel_seq_time(struct mcb_nl_event *ev)
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

/* Kernel seq: a gap is announced as "lost"; going back is a restart. */
static void check_kseq(struct mcb_nlsrc *s, uint64_t seq, uint64_t now_ns)
{
	if (s->kseq_valid) {
		if (seq > s->kseq_next) {
			uint64_t lost = seq - s->kseq_next;

			s->st.lost += lost;
			emit_notice(s, MCB_KIND_LOST, lost, true, seq, now_ns);
		} else if (seq < s->kseq_next) {
			s->st.restarts++;
			mcb_log(s->log, LOG_NOTICE, "%s/%s: kernel seq restarted "
				"at %llu (expected %llu)", s->cfg->family,
				s->cfg->group, (unsigned long long)seq,
				(unsigned long long)s->kseq_next);
		}
	}
	s->kseq_valid = true;
	s->kseq_next = seq + 1;
}

void mcb_nlsrc_process(struct mcb_nlsrc *s, const void *buf, size_t len,
		       bool has_group, uint32_t group, uint64_t now_ns)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;

	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		struct genlmsghdr *g;
		struct mcb_nl_event ev;

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
		if (!genlmsg_valid_hdr(nlh, 0)) {
			s->st.malformed++;
			continue;
		}
		g = nlmsg_data(nlh);
		memset(&ev, 0, sizeof(ev));
		ev.kind = MCB_KIND_EVENT;
		ev.family = s->cfg->family;
		ev.group = s->cfg->group;
		ev.is_mcbridge = s->is_mcbridge;
		ev.cmd = g->cmd;
		ev.genl_version = g->version;
		ev.bridge_time_ns = now_ns;
		ev.attrs = genlmsg_attrdata(g, 0);
		ev.attr_len = (uint32_t)genlmsg_attrlen(g, 0);
		s->st.received++;
		if (s->is_mcbridge) {
			kernel_seq_time(&ev);
			if (ev.has_kernel_seq)
				check_kseq(s, ev.kernel_seq, now_ns);
		}
		s->emit(s->emit_ctx, &ev);
	}
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
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
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
			mcb_nlsrc_process(s, s->iov[i].iov_base,
					  s->msgs[i].msg_len, has_group, group,
					  now);
		}
		if ((unsigned)n < s->batch)
			return 0;
	}
	return 1;
}

/* ---- nlctrl ---- */

struct resolve_arg {
	const char *group;
	int family_id;
	int64_t group_id;
	bool done;
};

static int resolve_ack(struct nl_msg *msg, void *arg)
{
	struct resolve_arg *ra = arg;

	(void)msg;
	ra->done = true;
	return NL_STOP;
}

static int resolve_valid(struct nl_msg *msg, void *arg)
{
	struct resolve_arg *ra = arg;
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlattr *g;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[CTRL_ATTR_FAMILY_ID])
		ra->family_id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return NL_OK;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];

		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g, NULL) < 0 ||
		    !gb[CTRL_ATTR_MCAST_GRP_NAME] || !gb[CTRL_ATTR_MCAST_GRP_ID])
			continue;
		if (nla_strcmp(gb[CTRL_ATTR_MCAST_GRP_NAME], ra->group) == 0)
			ra->group_id = nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return NL_OK;
}

/* One GETFAMILY round trip gives both ids, and tells which one is missing. */
static int ctrl_resolve(void *ctx, const char *family, const char *group,
			int *family_id, uint32_t *group_id)
{
	struct mcb_ctrl *c = ctx;
	struct resolve_arg ra = { group, -1, -1, false };
	struct nl_msg *msg;
	int err;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, family) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = nl_socket_modify_cb(c->req, NL_CB_VALID, NL_CB_CUSTOM,
				  resolve_valid, &ra);
	if (err >= 0)
		err = nl_socket_modify_cb(c->req, NL_CB_ACK, NL_CB_CUSTOM,
					  resolve_ack, &ra);
	if (err >= 0)
		err = nl_send_auto(c->req, msg);
	nlmsg_free(msg);
	/* The reply and the ACK may come in separate reads: read until the
	 * ACK, which leaves nothing queued for the next request. */
	while (err >= 0 && !ra.done)
		err = nl_recvmsgs_default(c->req);
	if (err == -NLE_OBJ_NOTFOUND)
		return -ENOENT;
	if (err < 0) {
		mcb_log(c->log, LOG_ERR, "resolve %s: %s", family,
			nl_geterror(err));
		return -EIO;
	}
	if (ra.family_id < 0)
		return -ENOENT;
	if (ra.group_id < 0)
		return -ESRCH;
	*family_id = ra.family_id;
	*group_id = (uint32_t)ra.group_id;
	return 0;
}

static int sock_join(void *ctx, int fd, uint32_t group)
{
	(void)ctx;
	return setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			  sizeof(group));
}

static int sock_leave(void *ctx, int fd, uint32_t group)
{
	(void)ctx;
	return setsockopt(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group,
			  sizeof(group));
}

void mcb_ctrl_ops(struct mcb_ctrl *c, struct mcb_nl_ops *ops)
{
	ops->resolve = ctrl_resolve;
	ops->join = sock_join;
	ops->leave = sock_leave;
	ops->ctx = c;
}

int mcb_ctrl_open(struct mcb_ctrl *c, const struct mcb_log *lg)
{
	int err, fid;
	uint32_t gid;
	bool forced;

	memset(c, 0, sizeof(*c));
	c->log = lg;
	c->notify_fd = -1;
	c->buf_size = MCB_NL_SLOT;
	c->buf = malloc(c->buf_size);
	c->req = nl_socket_alloc();
	c->notify = nl_socket_alloc();
	if (!c->buf || !c->req || !c->notify) {
		mcb_log(lg, LOG_ERR, "out of memory for control sockets");
		err = -ENOMEM;
		goto fail;
	}
	err = genl_connect(c->req);
	if (err < 0)
		goto nlfail;
	nl_socket_disable_seq_check(c->notify);
	nl_socket_disable_msg_peek(c->notify);
	err = genl_connect(c->notify);
	if (err < 0)
		goto nlfail;
	err = nl_socket_set_nonblocking(c->notify);
	if (err < 0)
		goto nlfail;
	c->notify_fd = nl_socket_get_fd(c->notify);
	/* Family changes come in bursts at boot; keep them all. */
	if (set_rcvbuf(c->notify, c->notify_fd, 1u << 20, &forced) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "nlctrl receive buffer: %s",
			strerror(errno));
		goto fail;
	}
	/* Joined before any mapping resolves, so no registration is missed. */
	err = ctrl_resolve(c, "nlctrl", "notify", &fid, &gid);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "cannot resolve nlctrl/notify: %s",
			strerror(-err));
		goto fail;
	}
	if (sock_join(c, c->notify_fd, gid) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "join nlctrl/notify: %s", strerror(errno));
		goto fail;
	}
	return 0;
nlfail:
	mcb_log(lg, LOG_ERR, "control socket: %s", nl_geterror(err));
	err = -EIO;
fail:
	mcb_ctrl_close(c);
	return err;
}

void mcb_ctrl_close(struct mcb_ctrl *c)
{
	if (c->req)
		nl_socket_free(c->req);
	if (c->notify)
		nl_socket_free(c->notify);
	free(c->buf);
	c->req = NULL;
	c->notify = NULL;
	c->buf = NULL;
	c->notify_fd = -1;
}

void mcb_ctrl_process(const void *buf, size_t len, mcb_family_fn cb,
		      void *ctx)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;

	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		struct nlattr *tb[CTRL_ATTR_MAX + 1];
		struct genlmsghdr *g;
		char name[MCB_WIRE_NAMSIZ];
		int fid = -1;

		if (nlh->nlmsg_type != GENL_ID_CTRL ||
		    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
			continue;
		g = nlmsg_data(nlh);
		if (g->cmd != CTRL_CMD_NEWFAMILY &&
		    g->cmd != CTRL_CMD_DELFAMILY &&
		    g->cmd != CTRL_CMD_NEWMCAST_GRP &&
		    g->cmd != CTRL_CMD_DELMCAST_GRP)
			continue;
		if (!tb[CTRL_ATTR_FAMILY_NAME])
			continue;
		nla_strlcpy(name, tb[CTRL_ATTR_FAMILY_NAME], sizeof(name));
		if (tb[CTRL_ATTR_FAMILY_ID] &&
		    nla_len(tb[CTRL_ATTR_FAMILY_ID]) >= 2)
			fid = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
		cb(ctx, name, fid, g->cmd);
	}
}

int mcb_ctrl_drain(struct mcb_ctrl *c, mcb_family_fn cb, void *ctx)
{
	for (;;) {
		ssize_t n = recv(c->notify_fd, c->buf, c->buf_size,
				 MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				/* Lost notifications: recheck everything. */
				c->overruns++;
				mcb_log(c->log, LOG_WARNING, "nlctrl notify "
					"overrun; re-resolving all mappings");
				cb(ctx, NULL, -1, 0);
				continue;
			}
			mcb_log(c->log, LOG_ERR, "nlctrl recv: %s",
				strerror(errno));
			return -errno;
		}
		mcb_ctrl_process(c->buf, (size_t)n, cb, ctx);
	}
}
