/* SPDX-License-Identifier: MIT */
/*
 * Kernel-side listener filters (client/filter.c): the program is built for
 * every size of filter; on real sockets joined to a multicast group on lo,
 * a filtered socket and an unfiltered reference receive the same stream of
 * crafted datagrams; the filtered one gets exactly the wanted events and
 * every notice and every datagram the filter cannot judge, and its drop
 * counter (SO_MEMINFO) counts exactly the others, which never reached it.
 * The stream ends with a sentinel notice both receive: a readiness signal,
 * no sleeping.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <cmocka.h>

#include <linux/mcbridge.h>

#include "mcbridge_client.h"
#include "testenc.h"

#define GROUP		"225.0.0.77"
#define SENTINEL_COUNT	424242
#define MAX_DGRAMS	64

static unsigned char buf[4096];

struct dgram {
	unsigned char b[2048];
	size_t len;
	bool wanted;		/* by the filter under test */
};

struct stream {
	struct dgram d[MAX_DGRAMS];
	unsigned n;
};

static void add(struct stream *s, const void *p, size_t len, bool wanted)
{
	assert_true(s->n < MAX_DGRAMS);
	assert_true(len > 0 && len <= sizeof(s->d[0].b));
	memcpy(s->d[s->n].b, p, len);
	s->d[s->n].len = len;
	s->d[s->n].wanted = wanted;
	s->n++;
}

static void add_binary(struct stream *s, const struct tenc_event *e,
		       bool wanted)
{
	add(s, buf, tenc_binary(e, buf, sizeof(buf)), wanted);
}

static void add_json(struct stream *s, const struct tenc_event *e,
		     bool wanted)
{
	add(s, buf, tenc_json(e, (char *)buf, sizeof(buf)), wanted);
}

static struct tenc_event mcb_event(uint32_t type, uint64_t seq)
{
	struct tenc_event e;

	tenc_init(&e);
	e.bridge_seq = seq;
	e.has_kseq = e.has_ktime = true;
	e.kernel_seq = seq;
	e.kernel_time_ns = 1000 + seq;
	e.type = type;
	e.cpu = 0;
	e.text = "filtered?";
	return e;
}

static struct tenc_event other_family(const char *family, uint64_t seq)
{
	static const unsigned char attrs[] = { 8, 0, 1, 0, 7, 0, 0, 0 };
	struct tenc_event e;

	tenc_init(&e);
	e.family = family;
	e.group = "monitor";
	e.cmd = 13;
	e.bridge_seq = seq;
	e.extra_attrs = attrs;
	e.extra_len = sizeof(attrs);
	return e;
}

static struct tenc_event notice(uint8_t kind, uint64_t count)
{
	struct tenc_event e;

	tenc_init(&e);
	e.kind = kind;
	e.count = count;
	return e;
}

/* Two sockets on the group: the one under test, and a reference. */
struct pair {
	int tx, f, ref;
	struct sockaddr_in to;
};

static void open_pair(struct pair *p, const struct mcb_filter *flt)
{
	struct mcb_listen_cfg cfg = { .rcvbuf = 1 << 20 };
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct in_addr lo;
	const char *what;

	inet_pton(AF_INET, GROUP, &cfg.group);
	inet_pton(AF_INET, "127.0.0.1", &cfg.iface_addr);
	lo = cfg.iface_addr;
	/* The filter goes on before the join (mcb_listen_open). */
	cfg.filter = flt;
	p->f = mcb_listen_open(&cfg, &what);
	assert_true(p->f >= 0);
	/* The reference on the same port, which the first one got. */
	assert_int_equal(getsockname(p->f, (struct sockaddr *)&sa, &sl), 0);
	cfg.port = ntohs(sa.sin_port);
	cfg.filter = NULL;
	p->ref = mcb_listen_open(&cfg, &what);
	assert_true(p->ref >= 0);

	p->tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p->tx >= 0);
	assert_int_equal(setsockopt(p->tx, IPPROTO_IP, IP_MULTICAST_IF, &lo,
				    sizeof(lo)), 0);
	/* TTL 0: this host only, as mcbridged sends. */
	assert_int_equal(setsockopt(p->tx, IPPROTO_IP, IP_MULTICAST_TTL,
				    &(unsigned char){ 0 }, 1), 0);
	memset(&p->to, 0, sizeof(p->to));
	p->to.sin_family = AF_INET;
	p->to.sin_addr = cfg.group;
	p->to.sin_port = htons(cfg.port);
}

static void close_pair(struct pair *p)
{
	close(p->tx);
	close(p->f);
	close(p->ref);
}

static uint32_t drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len), 0);
	return mem[SK_MEMINFO_DROPS];
}

static bool is_sentinel(const unsigned char *p, size_t len)
{
	struct mcb_event ev;

	return mcb_decode(p, len, MCB_FMT_AUTO, &ev) == MCB_OK &&
	       ev.kind == MCB_KIND_LOST && ev.count == SENTINEL_COUNT;
}

/* Everything the socket got up to the sentinel, in order. */
static unsigned receive(int fd, struct stream *got)
{
	got->n = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/* A bound on a readiness wait, not a pause. */
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		n = recv(fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		if (is_sentinel(buf, (size_t)n))
			return got->n;
		add(got, buf, (size_t)n, true);
	}
}

/* Send the stream and the sentinel; check both sockets. */
static void run(const struct mcb_filter *flt, const struct stream *s)
{
	struct tenc_event e = notice(MCB_KIND_LOST, SENTINEL_COUNT);
	static struct stream got;
	struct pair p;
	unsigned wanted = 0, k = 0;
	size_t len;

	open_pair(&p, flt);
	for (unsigned i = 0; i < s->n; i++) {
		assert_int_equal(sendto(p.tx, s->d[i].b, s->d[i].len, 0,
					(struct sockaddr *)&p.to,
					sizeof(p.to)), (ssize_t)s->d[i].len);
		wanted += s->d[i].wanted;
	}
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(sendto(p.tx, buf, len, 0, (struct sockaddr *)&p.to,
				sizeof(p.to)), (ssize_t)len);

	/* The reference: all of them, in order. */
	assert_int_equal(receive(p.ref, &got), s->n);
	assert_int_equal(drops(p.ref), 0);
	/* The filtered one: the wanted ones, in order, and the others never
	 * reached it: the kernel counted them as its drops. */
	assert_int_equal(receive(p.f, &got), wanted);
	for (unsigned i = 0; i < s->n; i++) {
		if (!s->d[i].wanted)
			continue;
		assert_int_equal(got.d[k].len, s->d[i].len);
		assert_memory_equal(got.d[k].b, s->d[i].b, s->d[i].len);
		k++;
	}
	assert_int_equal(drops(p.f), s->n - wanted);
	close_pair(&p);
}

/* netdev events only: other types and families dropped, notices and what
 * the filter cannot judge pass. */
static void by_type_binary(void **state)
{
	static struct stream s;
	struct mcb_filter f = { .types = 1u << MCBRIDGE_EVENT_NETDEV };
	struct tenc_event e;
	uint64_t seq = 1;

	(void)state;
	s.n = 0;
	for (int round = 0; round < 3; round++)
		for (uint32_t t = MCBRIDGE_EVENT_NETDEV;
		     t <= MCBRIDGE_EVENT_INJECTED; t++) {
			e = mcb_event(t, seq++);
			add_binary(&s, &e, t == MCBRIDGE_EVENT_NETDEV);
		}
	e = notice(MCB_KIND_OVERRUN, 1);
	add_binary(&s, &e, true);
	e = notice(MCB_KIND_LOST, 5);
	add_binary(&s, &e, true);
	/* A kind this version does not know (a later notice): passes. */
	e = notice(9, 1);
	add_binary(&s, &e, true);
	/* Other families: not wanted (no "other" bit). */
	e = other_family("ethtool", seq++);
	add_binary(&s, &e, false);
	/* Attributes in the other byte order: the decoder judges. */
	e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
	e.attr_be = __BYTE_ORDER != __BIG_ENDIAN;
	add_binary(&s, &e, true);
	/* A type attribute past the walk's bound: passes. */
	{
		unsigned char many[8 * (MCB_FILTER_MAX_ATTRS + 1)];
		size_t off = 0;

		for (int i = 0; i < MCB_FILTER_MAX_ATTRS; i++)
			assert_true(tenc_nla_u32(many, sizeof(many), &off,
						 MCBRIDGE_ATTR_CPU, 0, false));
		assert_true(tenc_nla_u32(many, sizeof(many), &off,
					 MCBRIDGE_ATTR_TYPE,
					 MCBRIDGE_EVENT_MODULE, false));
		e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
		e.type = -1;
		e.extra_attrs = many;
		e.extra_len = off;
		e.text = NULL;
		/* the type last, after MCB_FILTER_MAX_ATTRS + 4 others */
		add_binary(&s, &e, true);
	}
	/* Malformed: a zero attribute length, an attr_len past the end, a
	 * short datagram, another version, garbage: all judged by the
	 * listener. */
	{
		static const unsigned char zero[] = { 0, 0, 3, 0, 1, 0, 0, 0 };

		e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
		e.type = -1;
		e.has_kseq = e.has_ktime = false;
		e.text = NULL;
		e.extra_attrs = zero;
		e.extra_len = sizeof(zero);
		add_binary(&s, &e, true);
	}
	e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
	e.attr_len_delta = 4000;
	add_binary(&s, &e, true);
	e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
	add(&s, buf, tenc_binary(&e, buf, sizeof(buf)) > 60 ? 60 : 0, true);
	e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
	e.version = 2;
	add_binary(&s, &e, true);
	add(&s, "Hello, I am server!", 19, true);
	add(&s, "MCB", 3, true);
	/* JSON: types cannot be filtered there, so every JSON event passes. */
	e = mcb_event(MCBRIDGE_EVENT_MODULE, seq++);
	add_json(&s, &e, true);
	/* And the types wanted come through among all this. */
	e = mcb_event(MCBRIDGE_EVENT_NETDEV, seq++);
	add_binary(&s, &e, true);
	run(&f, &s);
}

/* Several types, and "other": events of other families pass too. */
static void by_types_and_other(void **state)
{
	static struct stream s;
	struct mcb_filter f = {
		.types = 1u << MCBRIDGE_EVENT_MODULE |
			 1u << MCBRIDGE_EVENT_HEARTBEAT |
			 1u << MCB_FILTER_TYPE_OTHER,
	};
	struct tenc_event e;
	uint64_t seq = 1;

	(void)state;
	s.n = 0;
	for (uint32_t t = MCBRIDGE_EVENT_NETDEV; t <= MCBRIDGE_EVENT_INJECTED;
	     t++) {
		e = mcb_event(t, seq++);
		add_binary(&s, &e, t == MCBRIDGE_EVENT_MODULE ||
			   t == MCBRIDGE_EVENT_HEARTBEAT);
	}
	e = other_family("nlctrl", seq++);
	add_binary(&s, &e, true);
	/* A type above 30: never wanted. */
	e = mcb_event(77, seq++);
	add_binary(&s, &e, false);
	run(&f, &s);
}

/* By family, binary and JSON: the JSON event prefix is fixed. */
static void by_family(void **state)
{
	static struct stream s;
	struct mcb_filter f = { 0 };
	struct tenc_event e;
	uint64_t seq = 1;

	(void)state;
	assert_int_equal(mcb_filter_add_family(&f, "ethtool"), 0);
	assert_int_equal(mcb_filter_add_family(&f, "devlink"), 0);
	s.n = 0;
	e = mcb_event(MCBRIDGE_EVENT_NETDEV, seq++);
	add_binary(&s, &e, false);
	add_json(&s, &e, false);
	e = other_family("ethtool", seq++);
	add_binary(&s, &e, true);
	add_json(&s, &e, true);
	e = other_family("devlink", seq++);
	add_binary(&s, &e, true);
	add_json(&s, &e, true);
	/* A prefix of a wanted name, and a longer name: not wanted. */
	e = other_family("ethtoo", seq++);
	add_binary(&s, &e, false);
	add_json(&s, &e, false);
	e = other_family("ethtool2", seq++);
	add_binary(&s, &e, false);
	add_json(&s, &e, false);
	/* Notices of every family, both formats. */
	e = notice(MCB_KIND_OVERRUN, 2);
	add_binary(&s, &e, true);
	add_json(&s, &e, true);
	/* JSON not in the bridge's key order: the listener judges it. */
	add(&s, "{\"family\":\"mcbridge\",\"kind\":\"event\"}\n", 37, true);
	run(&f, &s);
}

static void family_and_type(void **state)
{
	static struct stream s;
	struct mcb_filter f = { .types = 1u << MCBRIDGE_EVENT_INJECTED };
	struct tenc_event e;

	(void)state;
	assert_int_equal(mcb_filter_add_family(&f, "mcbridge"), 0);
	s.n = 0;
	e = mcb_event(MCBRIDGE_EVENT_INJECTED, 1);
	add_binary(&s, &e, true);
	e = mcb_event(MCBRIDGE_EVENT_NETDEV, 2);
	add_binary(&s, &e, false);
	e = other_family("ethtool", 3);
	add_binary(&s, &e, false);
	add_json(&s, &e, false);
	run(&f, &s);
}

/* The largest filter still fits (short jumps, instruction limit). */
static void build_sizes(void **state)
{
	static struct sock_filter prog[MCB_FILTER_MAX_INSNS];
	struct mcb_filter f = { .types = ~0u };
	char name[MCB_WIRE_NAMSIZ];

	(void)state;
	assert_true(mcb_filter_wants_all(&(struct mcb_filter){ 0 }));
	assert_int_equal(mcb_filter_attach(-1, &(struct mcb_filter){ 0 }), 0);
	for (int i = 0; i < MCB_FILTER_MAX_FAMILIES; i++) {
		snprintf(name, sizeof(name), "\"fam\\%09d", i);	/* escapes */
		assert_int_equal(mcb_filter_add_family(&f, name), 0);
	}
	assert_int_equal(mcb_filter_add_family(&f, "x"), -ENOSPC);
	assert_true(mcb_filter_build(&f, prog, MCB_FILTER_MAX_INSNS) > 0);
	assert_int_equal(mcb_filter_build(&f, prog, 10), -E2BIG);
	f.nfamilies = 0;
	assert_int_equal(mcb_filter_add_family(&f, ""), -EINVAL);
	assert_int_equal(mcb_filter_add_family(&f, "0123456789abcdef"),
			 -EINVAL);
	f.types = 0;
	assert_int_equal(mcb_filter_add_family(&f, "a"), 0);
	assert_true(mcb_filter_build(&f, prog, MCB_FILTER_MAX_INSNS) > 0);
}

/* The userspace check agrees with the kernel's. */
static void match(void **state)
{
	struct mcb_filter f = { .types = 1u << MCBRIDGE_EVENT_NETDEV };
	struct mcb_event ev;
	struct tenc_event e;
	size_t len;

	(void)state;
	e = mcb_event(MCBRIDGE_EVENT_NETDEV, 1);
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(mcb_decode(buf, len, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_true(mcb_filter_match(&f, &ev));
	e = mcb_event(MCBRIDGE_EVENT_MODULE, 1);
	len = tenc_json(&e, (char *)buf, sizeof(buf));
	assert_int_equal(mcb_decode(buf, len, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_false(mcb_filter_match(&f, &ev));
	e = notice(MCB_KIND_OVERRUN, 1);
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(mcb_decode(buf, len, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_true(mcb_filter_match(&f, &ev));
	e = other_family("ethtool", 1);
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(mcb_decode(buf, len, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_false(mcb_filter_match(&f, &ev));
	f.types |= 1u << MCB_FILTER_TYPE_OTHER;
	assert_true(mcb_filter_match(&f, &ev));
	assert_int_equal(mcb_filter_add_family(&f, "mcbridge"), 0);
	assert_false(mcb_filter_match(&f, &ev));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_sizes),
		cmocka_unit_test(match),
		cmocka_unit_test(by_type_binary),
		cmocka_unit_test(by_types_and_other),
		cmocka_unit_test(by_family),
		cmocka_unit_test(family_and_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
