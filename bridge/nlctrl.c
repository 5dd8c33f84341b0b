// SPDX-License-Identifier: MIT
/*
 * nlctrl: resolving family and group names (GETFAMILY), joining and leaving
 * groups (the real mcb_nl_ops), and the "notify" socket that reports
 * families coming and going.
 */
#include "nlctrl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "lib/sockbuf.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

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
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)) < 0)
		return -errno;
	return 0;
}

static int sock_leave(void *ctx, int fd, uint32_t group)
{
	(void)ctx;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group,
		       sizeof(group)) < 0)
		return -errno;
	return 0;
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
	err = mcb_set_rcvbuf(c->notify_fd, MCB_CTRL_RCVBUF, &forced);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "nlctrl receive buffer: %s",
			strerror(-err));
		goto fail;
	}
	/* Joined before any mapping resolves, so no registration is missed. */
	err = ctrl_resolve(c, "nlctrl", "notify", &fid, &gid);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "cannot resolve nlctrl/notify: %s",
			strerror(-err));
		goto fail;
	}
	err = sock_join(c, c->notify_fd, gid);
	if (err < 0) {
		mcb_log(lg, LOG_ERR, "join nlctrl/notify: %s", strerror(-err));
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
		/* MSG_TRUNC: the real length, to tell a cut message. */
		ssize_t n = recv(c->notify_fd, c->buf, c->buf_size,
				 MSG_DONTWAIT | MSG_TRUNC);

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
		if ((size_t)n > c->buf_size) {
			/* What the cut notification said is unknown: as
			 * after an overrun, recheck everything. */
			c->overruns++;
			mcb_log(c->log, LOG_WARNING, "nlctrl notification of "
				"%zd bytes cut; re-resolving all mappings", n);
			cb(ctx, NULL, -1, 0);
			continue;
		}
		mcb_ctrl_process(c->buf, (size_t)n, cb, ctx);
	}
}
