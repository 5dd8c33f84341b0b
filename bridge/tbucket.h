/* SPDX-License-Identifier: MIT */
/*
 * Token bucket in bytes: rate bytes per second, at most burst saved up.
 * Paces the repair channel's answers per requester and in total.
 */
#ifndef MCB_TBUCKET_H
#define MCB_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

/* Limits that keep the arithmetic in 64 bits: tokens are kept in
 * byte-nanoseconds, at most burst * 1e9. */
#define MCB_TB_MAX_RATE		(1ull << 34)	/* 16 GiB/s */
#define MCB_TB_MAX_BURST	(1ull << 33)

struct mcb_tbucket {
	uint64_t rate;		/* bytes per second, > 0 */
	uint64_t cap;		/* burst in byte-ns */
	uint64_t level;		/* tokens in byte-ns */
	uint64_t last_ns;	/* of the last refill */
};

/* Starts full. */
void mcb_tb_init(struct mcb_tbucket *b, uint64_t rate, uint64_t burst,
		 uint64_t now_ns);
/* Take n bytes if there are that many now. */
bool mcb_tb_take(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns);
/* Whether n bytes are there now, without taking them. */
bool mcb_tb_has(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns);
/* Whole bytes there now. */
uint64_t mcb_tb_avail(struct mcb_tbucket *b, uint64_t now_ns);
/* Nanoseconds until n bytes are there (0: now; n above burst: never
 * reached, the time to a full bucket). */
uint64_t mcb_tb_wait_ns(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns);

#endif /* MCB_TBUCKET_H */
