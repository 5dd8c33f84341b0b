// SPDX-License-Identifier: MIT
/* Token bucket: see tbucket.h. */
#include "tbucket.h"

#define NS	1000000000ull

void mcb_tb_init(struct mcb_tbucket *b, uint64_t rate, uint64_t burst,
		 uint64_t now_ns)
{
	if (rate == 0)
		rate = 1;
	if (rate > MCB_TB_MAX_RATE)
		rate = MCB_TB_MAX_RATE;
	if (burst > MCB_TB_MAX_BURST)
		burst = MCB_TB_MAX_BURST;
	b->rate = rate;
	b->cap = burst * NS;
	b->level = b->cap;
	b->last_ns = now_ns;
}

static void refill(struct mcb_tbucket *b, uint64_t now_ns)
{
	uint64_t dt;

	if (now_ns <= b->last_ns)
		return;
	dt = now_ns - b->last_ns;
	b->last_ns = now_ns;
	/* Past the time to fill up, the bucket is full: no overflow. */
	if (dt >= (b->cap - b->level) / b->rate + 1)
		b->level = b->cap;
	else
		b->level += dt * b->rate;
	if (b->level > b->cap)
		b->level = b->cap;
}

bool mcb_tb_has(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns)
{
	refill(b, now_ns);
	return n <= MCB_TB_MAX_BURST && n * NS <= b->level;
}

bool mcb_tb_take(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns)
{
	if (!mcb_tb_has(b, n, now_ns))
		return false;
	b->level -= n * NS;
	return true;
}

uint64_t mcb_tb_avail(struct mcb_tbucket *b, uint64_t now_ns)
{
	refill(b, now_ns);
	return b->level / NS;
}

uint64_t mcb_tb_wait_ns(struct mcb_tbucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t want;

	refill(b, now_ns);
	want = n > MCB_TB_MAX_BURST ? b->cap : n * NS;
	if (want > b->cap)
		want = b->cap;
	if (want <= b->level)
		return 0;
	/* Rounded up: asking again then finds the tokens there. */
	return (want - b->level + b->rate - 1) / b->rate;
}
