/* SPDX-License-Identifier: MIT */
/* Bridge sequence tracking and the latency histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mcbridge_client.h"

static struct mcb_event ev;

static enum mcb_seq_verdict seen(struct mcb_seq_tracker *t, const char *fam,
				 uint64_t seq, uint64_t *missed)
{
	mcb_event_reset(&ev);
	snprintf(ev.family, sizeof(ev.family), "%s", fam);
	snprintf(ev.group, sizeof(ev.group), "g");
	ev.bridge_seq = seq;
	return mcb_seq_check(t, &ev, missed);
}

static void gaps_and_restarts(void **state)
{
	struct mcb_seq_tracker t;
	uint64_t missed;

	(void)state;
	mcb_seq_init(&t);
	/* Joining mid-stream is not a gap. */
	assert_int_equal(seen(&t, "a", 100, &missed), MCB_SEQ_FIRST);
	assert_int_equal(missed, 0);
	assert_int_equal(seen(&t, "a", 101, &missed), MCB_SEQ_OK);
	assert_int_equal(seen(&t, "a", 105, &missed), MCB_SEQ_GAP);
	assert_int_equal(missed, 3);
	assert_int_equal(seen(&t, "a", 106, &missed), MCB_SEQ_OK);
	/* The bridge restarted: seq 1 again, nothing missed. */
	assert_int_equal(seen(&t, "a", 1, &missed), MCB_SEQ_RESTART);
	assert_int_equal(missed, 0);
	assert_int_equal(seen(&t, "a", 2, &missed), MCB_SEQ_OK);
	/* Restarted and lost the first two of the new run. */
	assert_int_equal(seen(&t, "a", 3, &missed), MCB_SEQ_OK);
	assert_int_equal(seen(&t, "a", 3, &missed), MCB_SEQ_RESTART);
	assert_int_equal(missed, 2);

	/* Streams are independent. */
	assert_int_equal(seen(&t, "b", 1, &missed), MCB_SEQ_FIRST);
	assert_int_equal(seen(&t, "a", 4, &missed), MCB_SEQ_OK);
	assert_int_equal(seen(&t, "b", 2, &missed), MCB_SEQ_OK);
	assert_int_equal(t.nstreams, 2);
}

static void late_arrivals(void **state)
{
	struct mcb_seq_tracker t;
	uint64_t missed;

	(void)state;
	mcb_seq_init(&t);
	assert_int_equal(seen(&t, "a", 200, &missed), MCB_SEQ_FIRST);
	assert_int_equal(seen(&t, "a", 204, &missed), MCB_SEQ_GAP);
	assert_int_equal(missed, 3);
	/* Reordered, not lost: each hole is filled once. */
	assert_int_equal(seen(&t, "a", 202, &missed), MCB_SEQ_LATE);
	assert_int_equal(seen(&t, "a", 201, &missed), MCB_SEQ_LATE);
	assert_int_equal(seen(&t, "a", 205, &missed), MCB_SEQ_OK);
	assert_int_equal(seen(&t, "a", 203, &missed), MCB_SEQ_LATE);
	/* A seq seen before is a new bridge run, not a late one. */
	assert_int_equal(seen(&t, "a", 202, &missed), MCB_SEQ_RESTART);
	assert_int_equal(missed, 201);
	/* The window reaches MCB_SEQ_WINDOW - 1 back; further is a restart. */
	assert_int_equal(seen(&t, "a", 202 + MCB_SEQ_WINDOW + 1, &missed), MCB_SEQ_GAP);
	assert_int_equal(seen(&t, "a", 203 + 1, &missed), MCB_SEQ_LATE);
	assert_int_equal(seen(&t, "a", 203, &missed), MCB_SEQ_RESTART);
}

/* Like seen(), with the bridge's receive time and, when not 0, a run id. */
static enum mcb_seq_verdict seen_at(struct mcb_seq_tracker *t, uint64_t seq,
				    uint64_t time_ns, uint64_t run,
				    uint64_t *missed)
{
	mcb_event_reset(&ev);
	snprintf(ev.family, sizeof(ev.family), "mcbridge");
	snprintf(ev.group, sizeof(ev.group), "events");
	ev.bridge_seq = seq;
	ev.bridge_time_ns = time_ns;
	if (run) {
		ev.run_id = run;
		ev.has |= MCB_HAS_RUN_ID;
	}
	return mcb_seq_check(t, &ev, missed);
}

/* What the listener's summary would count. */
struct tally {
	uint64_t gaps, missing, restarts, late;
};

static void count(struct tally *c, enum mcb_seq_verdict v, uint64_t missed)
{
	if (v == MCB_SEQ_GAP || (v == MCB_SEQ_RESTART && missed)) {
		c->gaps++;
		c->missing += missed;
	}
	if (v == MCB_SEQ_RESTART)
		c->restarts++;
	if (v == MCB_SEQ_LATE) {
		c->late++;
		if (c->missing)
			c->missing--;
	}
}

/*
 * Issue 12: a listener joins a run at bridge_seq 31 and gets 31..47; the
 * bridge restarts and the new run sends 1..31.  All 48 datagrams arrived:
 * one restart, nothing missing, nothing late.  (It was counted as
 * gaps=1 missing=30 restarts=1 late=30: 1..30 taken as late holes of the
 * old run, then 31, seen before, as a restart having lost 30.)
 */
static void restart_is_not_loss(void **state)
{
	struct mcb_seq_tracker t;
	struct tally c = { 0 };
	uint64_t missed, time_ns = 5000000000u, n = 0;
	enum mcb_seq_verdict v;

	(void)state;
	mcb_seq_init(&t);
	for (uint64_t seq = 31; seq <= 47; seq++, n++) {
		v = seen_at(&t, seq, time_ns += 1000, 0, &missed);
		count(&c, v, missed);
	}
	time_ns += 2000000000u;		/* the restart */
	for (uint64_t seq = 1; seq <= 31; seq++, n++) {
		v = seen_at(&t, seq, time_ns += 1000, 0, &missed);
		if (seq == 1)
			assert_int_equal(v, MCB_SEQ_RESTART);
		else
			assert_int_equal(v, MCB_SEQ_OK);
		count(&c, v, missed);
	}
	assert_int_equal(n, 48);
	assert_int_equal(c.restarts, 1);
	assert_int_equal(c.gaps, 0);
	assert_int_equal(c.missing, 0);
	assert_int_equal(c.late, 0);

	/* Same run, reordered: an older seq with an older time is late. */
	assert_int_equal(seen_at(&t, 34, time_ns + 3000, 0, &missed),
			 MCB_SEQ_GAP);
	assert_int_equal(missed, 2);
	assert_int_equal(seen_at(&t, 33, time_ns + 2000, 0, &missed),
			 MCB_SEQ_LATE);
	assert_int_equal(seen_at(&t, 32, time_ns + 1000, 0, &missed),
			 MCB_SEQ_LATE);
}

/* With a run id (the epoch of a signed stream), a new run is told apart
 * even when its seqs run on past the old ones. */
static void restart_by_run_id(void **state)
{
	struct mcb_seq_tracker t;
	uint64_t missed;

	(void)state;
	mcb_seq_init(&t);
	assert_int_equal(seen_at(&t, 1, 100, 0xaaaa, &missed), MCB_SEQ_FIRST);
	assert_int_equal(seen_at(&t, 2, 200, 0xaaaa, &missed), MCB_SEQ_OK);
	/* A new run whose first datagram seen is seq 3: 2 lost of it. */
	assert_int_equal(seen_at(&t, 3, 50, 0xbbbb, &missed), MCB_SEQ_RESTART);
	assert_int_equal(missed, 2);
	assert_int_equal(seen_at(&t, 4, 60, 0xbbbb, &missed), MCB_SEQ_OK);
	/* The same run id: late, not a restart, whatever the time says. */
	assert_int_equal(seen_at(&t, 6, 80, 0xbbbb, &missed), MCB_SEQ_GAP);
	assert_int_equal(seen_at(&t, 5, 999, 0xbbbb, &missed), MCB_SEQ_LATE);
	assert_int_equal(seen_at(&t, 1, 70, 0xcccc, &missed), MCB_SEQ_RESTART);
	assert_int_equal(missed, 0);
}

static enum mcb_seq_verdict tail_at(struct mcb_seq_tracker *t, uint64_t seq,
				    uint64_t run, uint64_t *missed)
{
	mcb_event_reset(&ev);
	ev.kind = MCB_KIND_TAIL;
	snprintf(ev.family, sizeof(ev.family), "mcbridge");
	snprintf(ev.group, sizeof(ev.group), "events");
	ev.bridge_seq = seq;
	ev.bridge_time_ns = 1;
	ev.run_id = run;
	ev.has |= MCB_HAS_RUN_ID;
	return mcb_seq_check(t, &ev, missed);
}

/* A tail shows what was lost at the end of a burst; it repeats a seq
 * without harm, and another run's tail says nothing. */
static void tails(void **state)
{
	struct mcb_seq_tracker t;
	uint64_t missed;

	(void)state;
	mcb_seq_init(&t);
	/* Joined while idle: the tail is where the stream is. */
	assert_int_equal(tail_at(&t, 10, 7, &missed), MCB_SEQ_FIRST);
	assert_int_equal(seen_at(&t, 11, 100, 7, &missed), MCB_SEQ_OK);
	assert_int_equal(tail_at(&t, 11, 7, &missed), MCB_SEQ_OK);
	assert_int_equal(tail_at(&t, 11, 7, &missed), MCB_SEQ_OK);
	/* 12..14 sent, none seen: the tail says so. */
	assert_int_equal(tail_at(&t, 14, 7, &missed), MCB_SEQ_GAP);
	assert_int_equal(missed, 3);
	assert_int_equal(tail_at(&t, 14, 7, &missed), MCB_SEQ_OK);
	/* One of them late after all; the next is simply next. */
	assert_int_equal(seen_at(&t, 13, 130, 7, &missed), MCB_SEQ_LATE);
	assert_int_equal(seen_at(&t, 15, 150, 7, &missed), MCB_SEQ_OK);
	/* A tail of another run (replayed, or a bridge we do not follow). */
	assert_int_equal(tail_at(&t, 99, 8, &missed), MCB_SEQ_OK);
	assert_int_equal(missed, 0);
	assert_int_equal(seen_at(&t, 16, 160, 7, &missed), MCB_SEQ_OK);
}

static void streams_are_bounded(void **state)
{
	struct mcb_seq_tracker t;
	uint64_t missed;
	char fam[8];

	(void)state;
	mcb_seq_init(&t);
	for (int i = 0; i < MCB_MAX_STREAMS; i++) {
		snprintf(fam, sizeof(fam), "f%d", i);
		assert_int_equal(seen(&t, fam, 1, &missed), MCB_SEQ_FIRST);
	}
	assert_int_equal(seen(&t, "one-more", 1, &missed), MCB_SEQ_UNTRACKED);
	assert_int_equal(seen(&t, "f0", 2, &missed), MCB_SEQ_OK);
}

static void latency_quantiles(void **state)
{
	static struct mcb_latency l;
	uint64_t p50, p99;

	(void)state;
	mcb_lat_init(&l);
	assert_int_equal(mcb_lat_quantile(&l, 0.5), 0);
	/* 1..1000 microseconds. */
	for (int i = 1; i <= 1000; i++)
		mcb_lat_add(&l, (int64_t)i * 1000);
	mcb_lat_add(&l, -5);
	assert_int_equal(l.count, 1000);
	assert_int_equal(l.negative, 1);
	assert_int_equal(l.min, 1000);
	assert_int_equal(l.max, 1000000);
	p50 = mcb_lat_quantile(&l, 0.5);
	p99 = mcb_lat_quantile(&l, 0.99);
	/* Buckets are 1/16 of a power of two wide: within 6.25 %, never
	 * below the true value. */
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 16);
	assert_true(p99 >= 990000 && p99 <= 990000 + 990000 / 16);
	assert_int_equal(mcb_lat_quantile(&l, 1.0), 1000000);
	assert_int_equal(mcb_lat_quantile(&l, 0.0), 1000);
}

static void latency_small_and_huge(void **state)
{
	static struct mcb_latency l;

	(void)state;
	mcb_lat_init(&l);
	for (int i = 0; i < 16; i++)
		mcb_lat_add(&l, i);	/* exact below 16 ns */
	assert_int_equal(mcb_lat_quantile(&l, 0.5), 7);
	mcb_lat_add(&l, INT64_MAX);
	assert_true(mcb_lat_quantile(&l, 1.0) == (uint64_t)INT64_MAX);
	assert_int_equal(l.count, 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gaps_and_restarts),
		cmocka_unit_test(late_arrivals),
		cmocka_unit_test(restart_is_not_loss),
		cmocka_unit_test(restart_by_run_id),
		cmocka_unit_test(tails),
		cmocka_unit_test(streams_are_bounded),
		cmocka_unit_test(latency_quantiles),
		cmocka_unit_test(latency_small_and_huge),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
