// SPDX-License-Identifier: MIT
/* The token bucket (bridge/tbucket.h): a burst, then the rate, never more;
 * waits that are exact; no overflow however long it was idle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tbucket.h"

#define MS	1000000ull
#define S	1000000000ull

static void burst_then_rate(void **state)
{
	struct mcb_tbucket b;
	uint64_t t = 5 * S, sent = 0;

	(void)state;
	mcb_tb_init(&b, 1000000, 100000, t);	/* 1 MB/s, 100 kB burst */
	assert_true(mcb_tb_take(&b, 100000, t));
	assert_false(mcb_tb_take(&b, 1, t));
	assert_int_equal(mcb_tb_avail(&b, t), 0);
	/* 1 ms later: 1000 bytes. */
	assert_int_equal(mcb_tb_avail(&b, t + MS), 1000);
	assert_false(mcb_tb_take(&b, 1001, t + MS));
	assert_true(mcb_tb_take(&b, 1000, t + MS));
	/* Taking as fast as it allows for 10 s: 10 MB, give or take. */
	for (uint64_t now = t + MS; now <= t + 10 * S; now += 100000)
		while (mcb_tb_take(&b, 1500, now))
			sent += 1500;
	assert_true(sent <= 10 * 1000000 + 1500);
	assert_true(sent >= 10 * 1000000 - 3000);
}

static void waits(void **state)
{
	struct mcb_tbucket b;
	uint64_t t = 0, w;

	(void)state;
	mcb_tb_init(&b, 3000, 6000, t);		/* 3 kB/s */
	assert_true(mcb_tb_take(&b, 6000, t));
	w = mcb_tb_wait_ns(&b, 1500, t);
	assert_int_equal(w, 500 * MS);
	assert_false(mcb_tb_has(&b, 1500, t + w - 1));
	assert_true(mcb_tb_has(&b, 1500, t + w));
	assert_int_equal(mcb_tb_wait_ns(&b, 0, t), 0);
	/* More than the burst: the time to a full bucket, never forever
	 * (1500 of 6000 are there now). */
	w = mcb_tb_wait_ns(&b, 1000000, t + 500 * MS);
	assert_int_equal(w, 1500 * MS);
	assert_false(mcb_tb_take(&b, 1000000, t + 100 * S));
}

static void long_idle_and_limits(void **state)
{
	struct mcb_tbucket b;

	(void)state;
	/* The largest rate and burst, idle for a century: full, no more. */
	mcb_tb_init(&b, UINT64_MAX, UINT64_MAX, 0);
	assert_true(b.rate == MCB_TB_MAX_RATE);
	assert_true(mcb_tb_take(&b, MCB_TB_MAX_BURST, 0));
	assert_true(mcb_tb_avail(&b, 3155760000ull * S) == MCB_TB_MAX_BURST);
	/* Time going back changes nothing. */
	mcb_tb_init(&b, 1000, 1000, 10 * S);
	assert_true(mcb_tb_take(&b, 1000, 10 * S));
	assert_int_equal(mcb_tb_avail(&b, 5 * S), 0);
	assert_int_equal(mcb_tb_avail(&b, 11 * S), 1000);
	/* A zero rate would never refill: it is 1. */
	mcb_tb_init(&b, 0, 10, 0);
	assert_int_equal(b.rate, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(waits),
		cmocka_unit_test(long_idle_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
