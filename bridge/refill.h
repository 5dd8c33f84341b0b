/* SPDX-License-Identifier: MIT */
/*
 * Refill from the kernel's history: a GET_EVENTS dump of the mcbridge
 * family, on a netlink socket of its own, of a range of kernel seqs the
 * event socket missed (nlsource.c decides which).  The parser of the reply
 * is a function of its own, for the fuzzer.
 */
#ifndef MCB_REFILL_H
#define MCB_REFILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct nlmsghdr;

/* What a dump said besides its events. */
struct mcb_refill_reply {
	bool ended;		/* its last message (the range) arrived */
	uint64_t from, to;	/* the range it covered */
	uint64_t history_first;	/* the oldest seq the kernel still holds */
	uint64_t events;	/* event messages handed on */
	char ext_msg[128];	/* the kernel's reason for an error, or "" */
};

/*
 * Called for each event message of a dump, in the kernel's order: a
 * complete genetlink message (nlmsg_len checked) of the family, command
 * MCBRIDGE_CMD_EVENT, its attributes as the kernel multicast them.
 */
typedef void (*mcb_refill_event_fn)(void *ctx, const struct nlmsghdr *nlh);

/*
 * One datagram of the reply to dump request seq of family_id: each event
 * message goes to ev, the dump's last message into rep.  Returns 1 at the
 * dump's end (NLMSG_DONE without error), 0 when more is to come, -errno
 * when the kernel refused the request or ended the dump with an error (its
 * reason in rep->ext_msg, when it gave one), -EPROTO when the datagram is
 * malformed.  Messages of another request or family are skipped.
 */
int mcb_refill_parse(const void *buf, size_t len, int family_id, uint32_t seq,
		     struct mcb_refill_reply *rep, mcb_refill_event_fn ev,
		     void *ctx);

struct mcb_refill {
	int fd;			/* -1 until opened (again) */
	uint32_t seq;		/* of the last request */
	unsigned char *buf;	/* MCB_REFILL_BUF bytes */
	const struct mcb_log *log;
};

/* Receive buffer: a dump skb is at most 32 KiB. */
#define MCB_REFILL_BUF		(64 * 1024)
/* A dump that stalls this long is abandoned (the kernel answers at once). */
#define MCB_REFILL_TIMEOUT_MS	2000

/* The socket and its buffer.  Returns 0 or -errno (logged). */
int mcb_refill_open(struct mcb_refill *r, const struct mcb_log *lg);
void mcb_refill_close(struct mcb_refill *r);

/*
 * Dump kernel seqs from..to of family_id (to 0: up to the last event sent
 * when the kernel gets the request), each event to ev as it arrives.
 * Returns 0 with rep filled, or -errno (rep->ext_msg may say why):
 * -EOPNOTSUPP when the module keeps no history (history=0, or a module
 * without GET_EVENTS), -EPERM when reading it needs CAP_NET_ADMIN
 * (listen_admin_only), -ETIMEDOUT, -EPROTO.  After a failure part of the
 * range may have gone to ev; the socket is closed and opened again on the
 * next call, so that no rest of the failed dump arrives there.
 */
int mcb_refill_dump(struct mcb_refill *r, int family_id, uint64_t from,
		    uint64_t to, struct mcb_refill_reply *rep,
		    mcb_refill_event_fn ev, void *ctx);

#endif
