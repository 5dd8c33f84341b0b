// SPDX-License-Identifier: MIT
/*
 * The repair server (bridge/repsrv.h) on a real loopback socket, with
 * made-up mappings and a clock of the test's: what a request gets back,
 * what it is refused, and that answers never outrun the buckets.
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

#include "loop.h"

#define S	1000000000ull
#define RUN	0x1234567u

static struct mcb_log lg;
static struct mcb_map_cfg cfg[2];
static struct mcb_mapping maps[2];
static struct mcb_repsrv srv;
static int cli = -1;		/* the requester's socket */
static union mcb_addr cli_addr;
static unsigned char rx[MCB_WIRE_MAX_DATAGRAM + 1];
static uint64_t t0;

/* Datagram seq of mapping i: "<i>:<seq>:" then filler to len. */
static size_t dgram(int i, uint64_t seq, size_t len, unsigned char *out)
{
	int n = snprintf((char *)out, len, "%d:%llu:", i,
			 (unsigned long long)seq);

	memset(out + n, 'x', len - (size_t)n);
	return len;
}

/* Mapping i sends to 225.0.0.1:port, has sent 1..n, keeps hist bytes. */
static void map_init(int i, unsigned port, uint64_t n, size_t len,
		     size_t hist)
{
	unsigned char d[2000];
	struct mcb_mapping *m = &maps[i];

	memset(&cfg[i], 0, sizeof(cfg[i]));
	strcpy(cfg[i].family, "ethtool");
	strcpy(cfg[i].group, "monitor");
	cfg[i].dest.sin_family = AF_INET;
	cfg[i].dest.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "225.0.0.1", &cfg[i].dest.sin_addr);
	memset(m, 0, sizeof(*m));
	m->cfg = &cfg[i];
	m->run = RUN;
	assert_int_equal(mcb_history_init(&m->hist, hist, 65507), 0);
	for (uint64_t s = 1; s <= n; s++)
		mcb_history_put(&m->hist, s, d, dgram(i, s, len, d));
	m->bridge_seq = n;
}

static int setup(void **state)
{
	union mcb_addr a = { .in = { .sin_family = AF_INET } };
	socklen_t sl = sizeof(cli_addr);
	struct timeval tv = { .tv_sec = 2 };
	int rcvbuf = 4 << 20;

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &a.in.sin_addr);
	/* Port 0: a free one. */
	assert_int_equal(mcb_repsrv_open(&srv, &a, 1 << 20, 1 << 22, &lg), 0);
	cli = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(cli >= 0);
	assert_int_equal(bind(cli, &a.sa, sizeof(a.in)), 0);
	assert_int_equal(getsockname(cli, &cli_addr.sa, &sl), 0);
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Each pump sends at most a burst: room for a few. */
	setsockopt(cli, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	t0 = mcb_now_ns();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mcb_repsrv_close(&srv);
	for (int i = 0; i < 2; i++)
		mcb_history_free(&maps[i].hist);
	close(cli);
	return 0;
}

static struct mcb_repair_msg req(uint8_t type, uint64_t first, uint64_t last,
				 uint64_t count)
{
	static uint64_t seq;
	struct mcb_repair_msg q;

	memset(&q, 0, sizeof(q));
	q.type = type;
	q.run = RUN;
	q.session = 99;
	q.req_seq = ++seq;
	q.first = first;
	q.last = last;
	q.count = count;
	q.af = 4;
	inet_pton(AF_INET, "225.0.0.1", q.addr);
	q.port = 7790;
	return q;
}

static void ask(const struct mcb_repair_msg *q, struct mcb_auth *a,
		uint64_t now)
{
	unsigned char b[256];
	size_t len = mcb_repair_encode(q, a, b, sizeof(b));

	assert_int_not_equal(len, 0);
	mcb_repsrv_request(&srv, b, len, &cli_addr, now);
}

/* The answer, pumped on a clock running as fast as the buckets allow:
 * datagram seqs resent (into seqs), the END into end.  Returns the number
 * of datagrams. */
static size_t answer(struct mcb_auth *a, struct mcb_repair_msg *end,
		     uint64_t *seqs, size_t max, uint64_t now)
{
	size_t n = 0;

	for (;;) {
		uint64_t wait = mcb_repsrv_pump(&srv, now);
		struct mcb_repair_msg m;
		ssize_t r;

		while ((r = recv(cli, rx, sizeof(rx), MSG_DONTWAIT)) > 0) {
			const unsigned char *d;
			size_t pos = 0, dl;

			assert_int_equal(mcb_repair_parse_ans(rx, (size_t)r, a,
							      &m), MCB_RP_OK);
			if (m.type == MCB_REPAIR_END) {
				*end = m;
				return n;
			}
			assert_int_equal(m.run, RUN);
			while (mcb_repair_data_next(&m, &pos, &d, &dl)) {
				unsigned long long s;
				int i;

				assert_int_equal(sscanf((const char *)d,
							"%d:%llu:", &i, &s), 2);
				assert_true(n < max);
				seqs[n++] = s;
			}
		}
		if (!wait)
			fail_msg("no END (sent %llu)",
				 (unsigned long long)srv.st.messages);
		now += wait;
	}
}

static void nothing_queued(void)
{
	assert_int_equal(recv(cli, rx, sizeof(rx), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void range_lost_and_clamped(void **state)
{
	static uint64_t seqs[70000];
	struct mcb_repair_msg q, e;
	size_t n;

	(void)state;
	/* 2000 sent, 200-byte datagrams, a 64 KiB history: ~303 held. */
	map_init(0, 7790, 2000, 200, 65536);
	mcb_repsrv_set_maps(&srv, maps, 1, RUN);
	q = req(MCB_REPAIR_RANGE, 1900, 1950, 0);
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0);
	assert_int_equal(n, 51);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(seqs[k], 1900 + k);
	assert_true(e.status == MCB_REPAIR_OK && e.first == 1900 &&
		    e.last == 1950 && e.lost_first > e.lost_last);
	assert_true(e.session == 99 && e.req_seq == q.req_seq && e.run == RUN);
	assert_int_equal(e.held_first, maps[0].hist.first);
	assert_int_equal(e.held_last, 2000);
	/* From 1: the part before the oldest held is unrepairable. */
	q = req(MCB_REPAIR_RANGE, 1, 2100, 0);
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0);
	assert_int_equal(e.lost_first, 1);
	assert_int_equal(e.lost_last, maps[0].hist.first - 1);
	assert_int_equal(e.first, 1);
	assert_int_equal(e.last, 2000);		/* never sent: cut */
	assert_int_equal(n, 2000 - maps[0].hist.first + 1);
	assert_int_equal(seqs[0], maps[0].hist.first);
	assert_int_equal(seqs[n - 1], 2000);
	/* LAST and SINCE, of the current run (run 0). */
	q = req(MCB_REPAIR_LAST, 0, 0, 5);
	q.run = 0;
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0);
	assert_true(n == 5 && seqs[0] == 1996 && e.first == 1996 &&
		    e.last == 2000);
	q = req(MCB_REPAIR_SINCE, 1998, 0, 0);
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0);
	assert_true(n == 3 && seqs[0] == 1998 && e.last == 2000);
	/* Since a seq not sent yet: nothing, said so. */
	q = req(MCB_REPAIR_SINCE, 2001, 0, 0);
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0);
	assert_true(n == 0 && e.status == MCB_REPAIR_OK && e.first == 2001 &&
		    e.last == 2000);
	nothing_queued();
	mcb_history_free(&maps[0].hist);

	/* A range over MCB_REPAIR_MAX_RANGE is cut at its end. */
	map_init(0, 7790, 70000, 100, 16 << 20);
	q = req(MCB_REPAIR_RANGE, 1, 70000, 0);
	ask(&q, NULL, t0);
	n = answer(NULL, &e, seqs, 70000, t0 + 10 * S);
	assert_int_equal(n, MCB_REPAIR_MAX_RANGE);
	assert_int_equal(e.last, MCB_REPAIR_MAX_RANGE);
	mcb_history_free(&maps[0].hist);
	assert_int_equal(srv.st.refused, 0);
}

static void refusals(void **state)
{
	static const struct { uint8_t type; uint64_t first, last, count;
			      uint32_t run; unsigned port; int status; } c[] = {
		{ MCB_REPAIR_RANGE, 1, 5, 0, RUN + 1, 7790, MCB_REPAIR_ST_RUN },
		/* A range names its run: 0 is no run. */
		{ MCB_REPAIR_RANGE, 1, 5, 0, 0, 7790, MCB_REPAIR_ST_RUN },
		{ MCB_REPAIR_LAST, 0, 0, 5, RUN + 1, 7790, MCB_REPAIR_ST_RUN },
		{ MCB_REPAIR_RANGE, 1, 5, 0, RUN, 7791, MCB_REPAIR_ST_NO_MAPPING },
		{ MCB_REPAIR_RANGE, 6, 5, 0, RUN, 7790, MCB_REPAIR_ST_BAD },
		{ MCB_REPAIR_RANGE, 0, 5, 0, RUN, 7790, MCB_REPAIR_ST_BAD },
		{ MCB_REPAIR_LAST, 0, 0, 0, RUN, 7790, MCB_REPAIR_ST_BAD },
		{ MCB_REPAIR_SINCE, 0, 0, 0, RUN, 7790, MCB_REPAIR_ST_BAD },
	};
	static uint64_t seqs[16];
	struct mcb_repair_msg q, e;

	(void)state;
	map_init(0, 7790, 10, 100, 65536);
	map_init(1, 7792, 10, 100, 65536);
	mcb_repsrv_set_maps(&srv, maps, 2, RUN);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		q = req(c[i].type, c[i].first, c[i].last, c[i].count);
		q.run = c[i].run;
		q.port = (uint16_t)c[i].port;
		ask(&q, NULL, t0 + i * S);
		assert_int_equal(answer(NULL, &e, seqs, 16, t0 + i * S), 0);
		if (e.status != c[i].status)
			fail_msg("case %zu: status %d", i, e.status);
		assert_true(e.first > e.last);
	}
	/* Signed mapping: the epoch is part of the run. */
	maps[0].sign = mcb_auth_sign;
	maps[0].epoch = 1111;
	q = req(MCB_REPAIR_RANGE, 1, 5, 0);
	q.epoch = 2222;
	ask(&q, NULL, t0 + 20 * S);
	answer(NULL, &e, seqs, 16, t0 + 20 * S);
	assert_int_equal(e.status, MCB_REPAIR_ST_RUN);
	q.epoch = 1111;
	ask(&q, NULL, t0 + 21 * S);
	assert_int_equal(answer(NULL, &e, seqs, 16, t0 + 21 * S), 5);
	maps[0].sign = NULL;
	/* Two mappings to one destination: names decide, none is vague. */
	cfg[1].dest.sin_port = htons(7790);
	strcpy(cfg[1].group, "other");
	q = req(MCB_REPAIR_RANGE, 1, 5, 0);
	ask(&q, NULL, t0 + 22 * S);
	answer(NULL, &e, seqs, 16, t0 + 22 * S);
	assert_int_equal(e.status, MCB_REPAIR_ST_AMBIGUOUS);
	strcpy(q.family, "ethtool");
	strcpy(q.group, "other");
	ask(&q, NULL, t0 + 23 * S);
	assert_int_equal(answer(NULL, &e, seqs, 16, t0 + 23 * S), 5);
	assert_int_equal(e.status, MCB_REPAIR_OK);
	assert_int_equal(srv.st.refused, 10);
	nothing_queued();
	for (int i = 0; i < 2; i++)
		mcb_history_free(&maps[i].hist);
}

/* However often one asks, answers stay within the requester's bucket:
 * its burst, then its rate. */
static void paced(void **state)
{
	static uint64_t seqs[70000];
	uint64_t bytes0 = srv.st.bytes, now = t0 + 100 * S, wait;
	struct mcb_repair_msg q;
	unsigned asked = 0;

	(void)state;
	/* 1 MiB/s per requester: 2000 datagrams of 1000 bytes, 2 MB. */
	map_init(0, 7790, 2000, 1000, 4 << 20);
	mcb_repsrv_set_maps(&srv, maps, 1, RUN);
	for (int i = 0; i < 100; i++) {
		/* A request every 10 ms (within the request rate),
		 * each replacing the last. */
		q = req(MCB_REPAIR_RANGE, 1, 2000, 0);
		ask(&q, NULL, now);
		asked++;
		wait = mcb_repsrv_pump(&srv, now);
		assert_true(wait > 0);		/* still pending */
		now += 10000000;
		while (recv(cli, rx, sizeof(rx), MSG_DONTWAIT) > 0)
			;
	}
	/* 1 s: at most the burst (131014 bytes) and 1 MiB. */
	assert_true(srv.st.bytes - bytes0 <= 131014 + (1 << 20) + 65507);
	assert_true(srv.st.bytes - bytes0 >= (1 << 20) / 2);
	assert_int_equal(srv.st.superseded >= asked - 1, true);
	/* Left alone, it finishes. */
	while ((wait = mcb_repsrv_pump(&srv, now)))
		now += wait;
	assert_int_equal(mcb_repsrv_pending(&srv), 0);
	while (recv(cli, rx, sizeof(rx), MSG_DONTWAIT) > 0)
		;
	(void)seqs;
	/* A burst of requests at one instant: the request rate's burst
	 * is taken, the rest dropped unanswered. */
	{
		uint64_t thr = srv.st.throttled;

		now += 10 * S;
		for (int i = 0; i < MCB_REPAIR_REQ_BURST + 10; i++) {
			q = req(MCB_REPAIR_RANGE, 1, 1, 0);
			ask(&q, NULL, now);
		}
		assert_int_equal(srv.st.throttled - thr, 10);
	}
	mcb_repsrv_pump(&srv, now + S);
	while (recv(cli, rx, sizeof(rx), MSG_DONTWAIT) > 0)
		;
	mcb_history_free(&maps[0].hist);
}

static void signed_requests(void **state)
{
	struct mcb_key k = { .len = 32 }, k2 = { .len = 32 };
	struct mcb_auth a, b;
	static uint64_t seqs[16];
	struct mcb_repair_msg q, e;
	unsigned char buf[256];
	size_t len;
	uint64_t now = t0 + 1000 * S;

	(void)state;
	memset(k.bytes, 'k', sizeof(k.bytes));
	memset(k2.bytes, 'j', sizeof(k2.bytes));
	assert_int_equal(mcb_auth_init(&a, &k), 0);
	assert_int_equal(mcb_auth_init(&b, &k2), 0);
	map_init(0, 7790, 10, 100, 65536);
	mcb_repsrv_set_maps(&srv, maps, 1, RUN);
	srv.auth = &a;
	q = req(MCB_REPAIR_RANGE, 2, 4, 0);
	/* Unsigned, forged, altered: dropped, counted, unanswered. */
	ask(&q, NULL, now);
	ask(&q, &b, now);
	len = mcb_repair_encode(&q, &a, buf, sizeof(buf));
	buf[40] ^= 1;
	mcb_repsrv_request(&srv, buf, len, &cli_addr, now);
	buf[40] ^= 1;
	mcb_repsrv_pump(&srv, now);
	nothing_queued();
	assert_int_equal(srv.st.unsigned_, 1);
	assert_int_equal(srv.st.bad_mac, 2);
	/* Honest: answered, the END signed. */
	mcb_repsrv_request(&srv, buf, len, &cli_addr, now);
	assert_int_equal(answer(&a, &e, seqs, 16, now), 3);
	assert_true(e.auth);
	/* The same request again: a replay. */
	mcb_repsrv_request(&srv, buf, len, &cli_addr, now);
	mcb_repsrv_pump(&srv, now);
	nothing_queued();
	assert_int_equal(srv.st.replayed, 1);
	srv.auth = NULL;
	mcb_auth_fini(&a);
	mcb_auth_fini(&b);
	mcb_history_free(&maps[0].hist);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range_lost_and_clamped),
		cmocka_unit_test(refusals),
		cmocka_unit_test(paced),
		cmocka_unit_test(signed_requests),
	};

	lg.use_syslog = false;
	return cmocka_run_group_tests(tests, setup, teardown);
}
