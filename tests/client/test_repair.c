/* SPDX-License-Identifier: MIT */
/*
 * The repair engine (mcb_repair_*, client/repair.c) against a fake bridge:
 * a loopback UDP socket of the test's that reads the engine's requests and
 * answers as the test says, on the test's clock.  Every datagram delivered
 * is checked: in order, once, marked repaired when it came by the channel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <mcbridge/repair.h>

#include "lib/bytering.h"
#include "mcbridge_client.h"
#include "testenc.h"

#define MS	1000000ull
#define RUN	77u

static int srv = -1;			/* the fake bridge */
static struct sockaddr_storage srv_addr, peer;
static socklen_t peer_len;
static struct mcb_event ev;
static unsigned char dg[2048];
static uint64_t now;

/* What came out of mcb_repair_next(), in order. */
struct got {
	uint64_t seq[4096];
	bool repaired[4096];
	size_t n;
	uint64_t lost_first[8], lost_last[8];
	size_t nlost;
};

static struct got got;	/* the running test's (open_engine() clears it) */

static int setup(void **state)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&srv_addr;
	socklen_t sl = sizeof(*a);
	struct timeval tv = { .tv_sec = 2 };

	(void)state;
	srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	assert_int_equal(bind(srv, (struct sockaddr *)a, sl), 0);
	assert_int_equal(getsockname(srv, (struct sockaddr *)a, &sl), 0);
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(srv);
	return 0;
}

static struct mcb_repair *open_engine(enum mcb_repair_join join,
				      uint64_t arg, size_t buffer)
{
	struct mcb_repair_cfg c;
	struct sockaddr_in *g = (struct sockaddr_in *)&c.group;
	struct mcb_repair *r;

	memset(&c, 0, sizeof(c));
	c.server = srv_addr;
	g->sin_family = AF_INET;
	g->sin_port = htons(7788);
	inet_pton(AF_INET, "225.0.0.1", &g->sin_addr);
	c.join = join;
	c.join_arg = arg;
	c.buffer = buffer;
	assert_int_equal(mcb_repair_open(&r, &c), 0);
	now = 1000 * MS;
	memset(&got, 0, sizeof(got));
	/* What an earlier test's engine left unanswered. */
	while (recv(srv, dg, sizeof(dg), MSG_DONTWAIT) > 0)
		;
	return r;
}

/* Datagram seq of run, JSON, into dg; its length. */
static size_t make(uint64_t seq, uint32_t run, uint8_t kind)
{
	struct tenc_event e;

	tenc_init(&e);
	e.kind = kind;
	e.bridge_seq = seq;
	e.bridge_run = run;
	e.bridge_time_ns = seq * 1000;
	e.type = 3;
	e.text = "x";
	return tenc_json(&e, (char *)dg, sizeof(dg));
}

static void drain(struct mcb_repair *r, struct got *g)
{
	struct mcb_repair_item it;

	while (mcb_repair_next(r, &it, now)) {
		if (it.lost) {
			assert_true(g->nlost < 8);
			g->lost_first[g->nlost] = it.first;
			g->lost_last[g->nlost++] = it.last;
			continue;
		}
		assert_true(g->n < 4096);
		g->seq[g->n] = it.ev->bridge_seq;
		g->repaired[g->n++] = it.repaired;
	}
}

/* A datagram from the group: what the engine says, and what came out. */
static enum mcb_repair_offer offer(struct mcb_repair *r, uint64_t seq,
				   uint32_t run, uint8_t kind, struct got *g)
{
	size_t len = make(seq, run, kind);
	enum mcb_repair_offer v;

	assert_int_equal(mcb_decode(dg, len, MCB_FMT_AUTO, &ev), MCB_OK);
	v = mcb_repair_offer(r, &ev, dg, len, 0, now);
	if (v == MCB_RO_PASS) {
		g->seq[g->n] = seq;
		g->repaired[g->n++] = false;
	}
	drain(r, g);
	return v;
}

/* Run the engine's clock to its deadline; the request it sent, if any. */
static bool request(struct mcb_repair *r, struct mcb_repair_msg *q)
{
	unsigned char b[512];
	uint64_t due = mcb_repair_deadline(r);
	ssize_t n;

	if (!due)
		return false;
	if (due > now)
		now = due;
	assert_int_equal(mcb_repair_tick(r, now), 0);
	peer_len = sizeof(peer);
	n = recvfrom(srv, b, sizeof(b), MSG_DONTWAIT,
		     (struct sockaddr *)&peer, &peer_len);
	if (n < 0)
		return false;
	assert_int_equal(mcb_repair_parse_req(b, (size_t)n, NULL, q),
			 MCB_RP_OK);
	return true;
}

static void send_msg(const void *b, size_t len)
{
	assert_int_equal(sendto(srv, b, len, 0, (struct sockaddr *)&peer,
				peer_len), (ssize_t)len);
}

/* DATA with seqs first..last of run (answer range af..al), then END. */
static void reply(struct mcb_repair *r, const struct mcb_repair_msg *q,
		  uint32_t run, uint64_t af, uint64_t al, uint64_t first,
		  uint64_t last, uint64_t lf, uint64_t ll, struct got *g)
{
	static unsigned char b[MCB_WIRE_MAX_DATAGRAM];
	struct mcb_repair_msg m;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.run = run;
	m.session = q->session;
	m.req_seq = q->req_seq;
	m.first = af;
	m.last = al;
	if (first <= last) {
		len = mcb_repair_data_begin(&m, b);
		for (uint64_t s = first; s <= last; s++)
			len = mcb_repair_data_add(b, len, sizeof(b), dg,
						  make(s, run, MCB_KIND_EVENT));
		send_msg(b, len);
		while (mcb_repair_read(r, now) > 0)
			drain(r, g);
	}
	m.type = MCB_REPAIR_END;
	m.lost_first = lf;
	m.lost_last = ll;
	m.held_first = 1;
	m.held_last = al;
	len = mcb_repair_encode(&m, NULL, b, sizeof(b));
	send_msg(b, len);
	while (mcb_repair_read(r, now) > 0)
		drain(r, g);
}

static void in_order(struct got *g, uint64_t first, uint64_t last)
{
	assert_int_equal(g->n, last - first + 1);
	for (size_t i = 0; i < g->n; i++)
		if (g->seq[i] != first + i)
			fail_msg("item %zu is %llu, not %llu", i,
				 (unsigned long long)g->seq[i],
				 (unsigned long long)(first + i));
}

static void no_request(struct mcb_repair *r)
{
	struct mcb_repair_msg q;

	assert_false(request(r, &q));
}

static void passes_in_order(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	(void)state;
	for (uint64_t s = 5; s <= 9; s++)
		assert_int_equal(offer(r, s, RUN, MCB_KIND_EVENT, &got),
				 MCB_RO_PASS);
	assert_int_equal(offer(r, 7, RUN, MCB_KIND_EVENT, &got), MCB_RO_DUP);
	/* Another stream passes untouched. */
	{
		struct tenc_event e;
		size_t len;

		tenc_init(&e);
		e.family = "nlctrl";
		e.bridge_seq = 1;
		len = tenc_json(&e, (char *)dg, sizeof(dg));
		assert_int_equal(mcb_decode(dg, len, MCB_FMT_AUTO, &ev), MCB_OK);
		assert_int_equal(mcb_repair_offer(r, &ev, dg, len, 0, now),
				 MCB_RO_PASS);
	}
	in_order(&got, 5, 9);
	assert_int_equal(mcb_repair_deadline(r), 0);
	mcb_repair_close(r);
}

static void gap_repaired(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q;
	uint64_t t;

	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	assert_int_equal(offer(r, 4, RUN, MCB_KIND_EVENT, &got), MCB_RO_HELD);
	assert_int_equal(offer(r, 5, RUN, MCB_KIND_EVENT, &got), MCB_RO_HELD);
	/* Asked after a random delay within the defaults. */
	t = mcb_repair_deadline(r);
	assert_true(t >= now + MCB_REPAIR_DEFAULT_DELAY_MIN_NS &&
		    t <= now + MCB_REPAIR_DEFAULT_DELAY_MAX_NS);
	assert_int_equal(mcb_repair_tick(r, t - 1), 0);
	assert_true(request(r, &q));
	assert_true(q.type == MCB_REPAIR_RANGE && q.first == 2 &&
		    q.last == 3 && q.run == RUN && q.port == 7788 &&
		    q.af == 4 && q.addr[0] == 225);
	assert_string_equal(q.family, "mcbridge");
	assert_string_equal(q.group, "events");
	reply(r, &q, RUN, 2, 3, 2, 3, 1, 0, &got);
	in_order(&got, 1, 5);
	assert_true(got.repaired[1] && got.repaired[2]);
	assert_false(got.repaired[0] || got.repaired[3] || got.repaired[4]);
	assert_int_equal(mcb_repair_stats(r)->repaired, 2);
	assert_int_equal(mcb_repair_stats(r)->unrepairable, 0);
	assert_int_equal(mcb_repair_stats(r)->answers, 1);
	no_request(r);
	mcb_repair_close(r);
}

static void part_unrepairable(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q;
	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	offer(r, 10, RUN, MCB_KIND_EVENT, &got);
	assert_true(request(r, &q));
	assert_true(q.first == 2 && q.last == 9);
	/* 2..6 left the history; 7..9 come. */
	reply(r, &q, RUN, 2, 9, 7, 9, 2, 6, &got);
	assert_int_equal(got.nlost, 1);
	assert_true(got.lost_first[0] == 2 && got.lost_last[0] == 6);
	assert_int_equal(got.n, 5);
	assert_true(got.seq[0] == 1 && got.seq[1] == 7 && got.seq[3] == 9 &&
		    got.seq[4] == 10);
	assert_int_equal(mcb_repair_stats(r)->unrepairable, 5);
	mcb_repair_close(r);
}

static void no_answer_given_up(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q;
	uint64_t seqs[16];
	unsigned n = 0;

	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	offer(r, 5, RUN, MCB_KIND_EVENT, &got);
	/* Asked once, then again at each timeout, each a new request;
	 * request() runs the clock to the next deadline. */
	while (request(r, &q)) {
		assert_true(n < 16);
		seqs[n++] = q.req_seq;
		assert_true(q.first == 2 && q.last == 4);
	}
	drain(r, &got);
	assert_int_equal(n, 1 + MCB_REPAIR_DEFAULT_RETRIES);
	for (unsigned i = 1; i < n; i++)
		assert_true(seqs[i] == seqs[i - 1] + 1);
	assert_int_equal(got.nlost, 1);
	assert_true(got.lost_first[0] == 2 && got.lost_last[0] == 4);
	assert_true(got.n == 2 && got.seq[1] == 5);
	assert_int_equal(mcb_repair_stats(r)->retries,
			 MCB_REPAIR_DEFAULT_RETRIES);
	/* A late answer to an old request is not taken. */
	reply(r, &q, RUN, 2, 4, 2, 4, 1, 0, &got);
	assert_int_equal(got.n, 2);
	assert_true(mcb_repair_stats(r)->stale >= 1);
	mcb_repair_close(r);
}

static void tail_shows_the_end(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q;
	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	no_request(r);
	assert_int_equal(offer(r, 3, RUN, MCB_KIND_TAIL, &got), MCB_RO_TAIL);
	/* Another run's tail says nothing about ours. */
	assert_int_equal(offer(r, 9, RUN + 1, MCB_KIND_TAIL, &got), MCB_RO_TAIL);
	assert_true(request(r, &q));
	assert_true(q.first == 2 && q.last == 3);
	reply(r, &q, RUN, 2, 3, 2, 3, 1, 0, &got);
	in_order(&got, 1, 3);
	no_request(r);
	mcb_repair_close(r);
}

/* Loopback reorders a batch now and then: filled before asking, nothing
 * is asked. */
static void late_fills_the_hole(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	offer(r, 3, RUN, MCB_KIND_EVENT, &got);
	assert_int_equal(offer(r, 2, RUN, MCB_KIND_EVENT, &got), MCB_RO_PASS);
	in_order(&got, 1, 3);
	no_request(r);
	assert_int_equal(mcb_repair_stats(r)->requests, 0);
	mcb_repair_close(r);
}

static void bridge_restart(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q;
	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	offer(r, 2, RUN, MCB_KIND_EVENT, &got);
	offer(r, 5, RUN, MCB_KIND_EVENT, &got);	/* 3, 4 missing */
	/* The new run's third datagram: the old run's hole is lost (it
	 * is gone with its bridge), the new run's 1..2 are asked for. */
	assert_int_equal(offer(r, 3, RUN + 1, MCB_KIND_EVENT, &got),
			 MCB_RO_HELD);
	assert_int_equal(got.nlost, 1);
	assert_true(got.lost_first[0] == 3 && got.lost_last[0] == 4);
	assert_true(got.n == 3 && got.seq[2] == 5);
	assert_true(request(r, &q));
	assert_true(q.first == 1 && q.last == 2 && q.run == RUN + 1);
	reply(r, &q, RUN + 1, 1, 2, 1, 2, 1, 0, &got);
	assert_int_equal(got.n, 6);
	assert_true(got.seq[3] == 1 && got.seq[4] == 2 && got.seq[5] == 3);
	assert_true(got.repaired[3] && !got.repaired[5]);
	mcb_repair_close(r);
}

static void refused_another_run(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 0);
	struct mcb_repair_msg q, e;
	unsigned char b[256];
	(void)state;
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	offer(r, 4, RUN, MCB_KIND_EVENT, &got);
	assert_true(request(r, &q));
	memset(&e, 0, sizeof(e));
	e.type = MCB_REPAIR_END;
	e.status = MCB_REPAIR_ST_RUN;
	e.run = RUN + 5;
	e.session = q.session;
	e.req_seq = q.req_seq;
	e.first = 1;
	send_msg(b, mcb_repair_encode(&e, NULL, b, sizeof(b)));
	assert_int_equal(mcb_repair_read(r, now), 1);
	drain(r, &got);
	assert_true(got.nlost == 1 && got.lost_first[0] == 2 &&
		    got.lost_last[0] == 3);
	assert_true(got.n == 2 && got.seq[1] == 4);
	assert_int_equal(mcb_repair_stats(r)->refused, 1);
	mcb_repair_close(r);
}

/* --last 3 with live datagrams racing the answer: history, then live, no
 * duplicate, no gap at the seam. */
static void late_join_last(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LAST, 3, 0);
	struct mcb_repair_msg q;
	(void)state;
	assert_true(request(r, &q));
	assert_true(q.type == MCB_REPAIR_LAST && q.count == 3 && q.run == 0);
	/* Sent while the bridge was answering: 10 is in both. */
	assert_int_equal(offer(r, 10, RUN, MCB_KIND_EVENT, &got), MCB_RO_HELD);
	assert_int_equal(offer(r, 11, RUN, MCB_KIND_EVENT, &got), MCB_RO_HELD);
	assert_int_equal(got.n, 0);
	reply(r, &q, RUN, 8, 10, 8, 10, 1, 0, &got);
	assert_int_equal(offer(r, 12, RUN, MCB_KIND_EVENT, &got), MCB_RO_PASS);
	in_order(&got, 8, 12);
	assert_true(got.repaired[0] && got.repaired[1]);
	assert_true(mcb_repair_stats(r)->joined);
	assert_true(mcb_repair_stats(r)->join_first == 8 &&
		    mcb_repair_stats(r)->join_last == 10);
	no_request(r);
	mcb_repair_close(r);
}

/* The reorder buffer is bounded: beyond it, dropped and asked for later,
 * nothing lost. */
static void bounded(void **state)
{
	struct mcb_repair *r = open_engine(MCB_REPAIR_JOIN_LIVE, 0, 140000);
	struct mcb_repair_msg q;
	uint64_t dropped = 0, fit;

	(void)state;
	fit = 140000 / mcb_ring_rec_size(make(3, RUN, MCB_KIND_EVENT));
	offer(r, 1, RUN, MCB_KIND_EVENT, &got);
	for (uint64_t s = 3; s < 3 + 2000; s++)
		dropped += offer(r, s, RUN, MCB_KIND_EVENT, &got) ==
			   MCB_RO_DROPPED;
	/* What the bytes hold (fewer than the 1024 slots here). */
	assert_true(fit < 1023);
	assert_int_equal(mcb_repair_stats(r)->held_max, fit);
	assert_int_equal(dropped, 2000 - fit);
	assert_int_equal(mcb_repair_stats(r)->dropped, dropped);
	/* The hole before the held ones first, then what was dropped. */
	assert_true(request(r, &q));
	assert_true(q.first == 2 && q.last == 2);
	reply(r, &q, RUN, 2, 2, 2, 2, 1, 0, &got);
	in_order(&got, 1, 2 + fit);
	assert_true(request(r, &q));
	assert_int_equal(q.first, 3 + fit);
	mcb_repair_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes_in_order),
		cmocka_unit_test(gap_repaired),
		cmocka_unit_test(part_unrepairable),
		cmocka_unit_test(no_answer_given_up),
		cmocka_unit_test(tail_shows_the_end),
		cmocka_unit_test(late_fills_the_hole),
		cmocka_unit_test(bridge_restart),
		cmocka_unit_test(refused_another_run),
		cmocka_unit_test(late_join_last),
		cmocka_unit_test(bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
