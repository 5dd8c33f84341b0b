/* SPDX-License-Identifier: MIT */
/*
 * Netlink event source: one event socket per mapping; names are resolved
 * and groups joined through mcb_nl_ops (nlctrl.h gives the real ones).
 */
#ifndef MCB_NLSOURCE_H
#define MCB_NLSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "event.h"
#include "lib/clock.h"
#include "log.h"
#include "options.h"
#include "refill.h"

struct nl_sock;

/*
 * Resolution and membership, replaceable so tests can drive family life.
 * Each returns 0 or -errno; resolve's -ENOENT is "no such family", -ESRCH
 * "no such group".
 */
struct mcb_nl_ops {
	int (*resolve)(void *ctx, const char *family, const char *group,
		       int *family_id, uint32_t *group_id);
	int (*join)(void *ctx, int fd, uint32_t group_id);
	int (*leave)(void *ctx, int fd, uint32_t group_id);
	void *ctx;
};

enum mcb_src_state {
	MCB_SRC_WAIT_FAMILY,
	MCB_SRC_WAIT_GROUP,
	MCB_SRC_SUBSCRIBED,
};

struct mcb_src_stats {
	uint64_t received;	/* events accepted from the kernel */
	uint64_t overruns;	/* ENOBUFS on the event socket */
	uint64_t lost;		/* events missing from the kernel seq */
	uint64_t stale;		/* from a family/group id no longer ours */
	uint64_t restarts;	/* kernel seq went back: module reloaded */
	uint64_t subscriptions;
	uint64_t resubscribes;	/* subscriptions after the first */
	uint64_t rx_truncated;	/* message larger than the receive slot */
	uint64_t malformed;	/* not a valid genetlink message */
	uint64_t rx_errors;
	uint64_t refills;	/* GET_EVENTS dumps asked for missed seqs */
	uint64_t refilled;	/* events bridged from the kernel's history */
	uint64_t refill_dups;	/* events dropped: the history gave them */
	uint64_t refill_errors;	/* dumps that failed (then: announced lost) */
};

/* A GET_EVENTS dump (refill.h's mcb_refill_dump; tests fake it). */
typedef int (*mcb_refill_dump_fn)(struct mcb_refill *r, int family_id,
				  uint64_t from, uint64_t to,
				  struct mcb_refill_reply *rep,
				  mcb_refill_event_fn ev, void *ctx);

/* Called for each datagram to send: events and notices, in order. */
typedef void (*mcb_emit_fn)(void *ctx, struct mcb_nl_event *ev);

struct mcb_nlsrc {
	const struct mcb_map_cfg *cfg;
	const struct mcb_log *log;
	struct nl_sock *sk;
	int fd;
	bool is_mcbridge;
	enum mcb_src_state state;
	int family_id;		/* valid when subscribed */
	uint32_t group_id;
	bool kseq_valid;	/* kseq_next is known (mcbridge family) */
	uint64_t kseq_next;
	int rcvbuf_got;

	/*
	 * Refill (mcbridge family, unless --no-refill): a kernel seq gap is
	 * fetched from the module's history and bridged, in order, before
	 * the event after it; an overrun with no event after it, once the
	 * socket is drained.  Live events the history already gave
	 * (dup_lo..dup_hi, behind kseq_next) are dropped.
	 */
	bool refill_on;		/* off: not ours, --no-refill, or refused */
	bool refilling;		/* a dump is being bridged */
	bool overrun_open;	/* ENOBUFS since the last drained socket */
	uint64_t refill_to;	/* last seq of the dump being bridged */
	uint64_t refill_time;	/* its bridge time */
	uint64_t dup_lo, dup_hi;
	struct mcb_refill rf;
	mcb_refill_dump_fn refill_dump;

	mcb_emit_fn emit;
	void *emit_ctx;

	/* recvmmsg batch, preallocated */
	unsigned batch;
	size_t slot_size;
	struct mmsghdr *msgs;
	struct iovec *iov;
	unsigned char *bufs;
	unsigned char *cbufs;

	struct mcb_src_stats st;
};

/* Bytes per received netlink message; larger ones are dropped, counted
 * and announced as lost. */
#define MCB_NL_SLOT	(64 * 1024)

/* Event socket: non-blocking, no peek, no seq check, big receive buffer. */
int mcb_nlsrc_open(struct mcb_nlsrc *s, const struct mcb_map_cfg *cfg,
		   size_t rcvbuf, unsigned batch, const struct mcb_log *lg,
		   mcb_emit_fn emit, void *emit_ctx);
void mcb_nlsrc_close(struct mcb_nlsrc *s);

/*
 * Resolve the mapping's family and group and make the membership match:
 * leave a stale group, join the current one.  force: the family we were
 * subscribed to went away (nlctrl DEL*), so the membership is re-made and
 * the kernel seq restarts even if the new ids equal the old.
 * Returns 0 (state updated) or -errno when resolution itself failed.
 */
int mcb_nlsrc_sync(struct mcb_nlsrc *s, const struct mcb_nl_ops *ops,
		   bool force);

/*
 * Receive up to max_rounds batches.  Returns 1 when the socket may hold
 * more, 0 when drained, -errno on a receive error.
 */
int mcb_nlsrc_drain(struct mcb_nlsrc *s, unsigned max_rounds);

/* Handle one received datagram (exposed for tests). */
void mcb_nlsrc_process(struct mcb_nlsrc *s, const void *buf, size_t len,
		       bool has_group, uint32_t group, uint64_t now_ns);
/* Account and announce a receive overrun (exposed for tests). */
void mcb_nlsrc_overrun(struct mcb_nlsrc *s, uint64_t now_ns);
/* Account and announce a message too large for its slot, dropped. */
void mcb_nlsrc_truncated(struct mcb_nlsrc *s, uint64_t now_ns);
/*
 * After an overrun, the socket drained: fetch what came after the last
 * event seen (exposed for tests; mcb_nlsrc_drain calls it).
 */
void mcb_nlsrc_refill_tail(struct mcb_nlsrc *s, uint64_t now_ns);

const char *mcb_src_state_name(enum mcb_src_state st);

#endif
