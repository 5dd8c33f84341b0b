/* SPDX-License-Identifier: MIT */
/* nlctrl: name resolution, group membership and family notifications. */
#ifndef MCB_NLCTRL_H
#define MCB_NLCTRL_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "nlsource.h"

/* Receive buffer of the notify socket. */
#define MCB_CTRL_RCVBUF	(1 << 20)

struct mcb_ctrl {
	const struct mcb_log *log;
	struct nl_sock *req;	/* synchronous GETFAMILY requests */
	struct nl_sock *notify;	/* joined to nlctrl/notify */
	int notify_fd;
	unsigned char *buf;
	size_t buf_size;
	uint64_t overruns;
};

int mcb_ctrl_open(struct mcb_ctrl *c, const struct mcb_log *lg);
void mcb_ctrl_close(struct mcb_ctrl *c);

/* The real mcb_nl_ops, with ctx = struct mcb_ctrl *. */
void mcb_ctrl_ops(struct mcb_ctrl *c, struct mcb_nl_ops *ops);

/*
 * A family changed: cmd is CTRL_CMD_NEWFAMILY, DELFAMILY, NEWMCAST_GRP or
 * DELMCAST_GRP.  family == NULL means notifications were lost (overrun):
 * every mapping must be checked.
 */
typedef void (*mcb_family_fn)(void *ctx, const char *family, int family_id,
			      uint8_t cmd);

/* Read all pending notifications.  Returns 0 or -errno. */
int mcb_ctrl_drain(struct mcb_ctrl *c, mcb_family_fn cb, void *ctx);

/* Parse one datagram of nlctrl notifications (exposed for tests). */
void mcb_ctrl_process(const void *buf, size_t len, mcb_family_fn cb,
		      void *ctx);

#endif /* MCB_NLCTRL_H */
