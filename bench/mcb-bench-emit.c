// SPDX-License-Identifier: MIT
/*
 * mcb-bench-emit: offer events to the mcbridge module at a target rate.
 *
 *   mcb-bench-emit --tag T [--rate R] [--count N] [--duration S]
 *                  [--tick-us P] [--chunk C] [--text-len L]
 *                  [--end-tag E [--end-for S]]
 *
 * EMIT is synchronous (the kernel sends the whole burst before it replies),
 * so pacing is a loop of EMIT requests: every tick the events due so far
 * (rate x elapsed) are requested, at most C per request.  When the kernel
 * cannot keep up the emitter falls behind and offers what it can: the
 * achieved rate is what the output reports.  --rate 0 offers as fast as
 * possible (C per request, back to back).  Stops after N events, or after S
 * seconds.  Needs CAP_NET_ADMIN.  Prints one line (emitted: events the
 * kernel sent, 0 when nobody listened; offered: events requested):
 *
 *   emit tag=T rate_req=R offered=N emitted=N first_seq=S last_seq=S
 *        elapsed_ns=E requests=Q cpu_ns=NS
 *
 * (cpu_ns: CPU time of the run, without startup: in the kernel, mostly
 * building and multicasting the events).
 *
 * --end-tag E: then an end marker (one event tagged E) at once and again
 * every half second for S seconds (default 120), until killed: receivers
 * stop at the marker, and under overload one may be lost.  Doing it here
 * saves the harness starting a process while the receivers still work.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>

#include "bench.h"

struct reply {
	bool seen;
	int error;
	uint32_t emitted;
	uint64_t first_seq;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct reply *r = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MCBRIDGE_ATTR_MAX, NULL) < 0 ||
	    !tb[MCBRIDGE_ATTR_EMITTED])
		return NL_SKIP;
	r->emitted = nla_get_u32(tb[MCBRIDGE_ATTR_EMITTED]);
	r->first_seq = tb[MCBRIDGE_ATTR_FIRST_SEQ] ?
		       nla_get_u64(tb[MCBRIDGE_ATTR_FIRST_SEQ]) : 0;
	r->seen = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;

	(void)nla;
	r->error = e->error;
	return NL_STOP;
}

static void usage(void)
{
	fprintf(stderr, "usage: mcb-bench-emit --tag T [--rate R] [--count N] "
		"[--duration S] [--tick-us P] [--chunk C] [--text-len L] "
		"[--end-tag E [--end-for S]]\n");
	exit(2);
}

struct emitter {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
	struct reply r;
};

/* An EMIT request for text; count is patched in before each send. */
static struct nl_msg *build(struct emitter *e, const char *text,
			    struct nlattr **count)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, e->family, 0,
				 0, MCBRIDGE_CMD_EMIT, MCBRIDGE_GENL_VERSION) ||
	    nla_put_string(msg, MCBRIDGE_ATTR_TEXT, text) ||
	    nla_put_u32(msg, MCBRIDGE_ATTR_COUNT, 1)) {
		fprintf(stderr, "mcb-bench-emit: cannot build request\n");
		exit(1);
	}
	*count = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN,
				 MCBRIDGE_ATTR_COUNT);
	return msg;
}

/* Send k events; fills e->r with the reply.  Exits on failure. */
static void request(struct emitter *e, struct nl_msg *msg,
		    struct nlattr *count, uint32_t k)
{
	int err;

	memcpy(nla_data(count), &k, sizeof(k));
	memset(&e->r, 0, sizeof(e->r));
	err = nl_send_auto(e->sk, msg);
	while (err >= 0 && !e->r.seen && !e->r.error)
		err = nl_recvmsgs(e->sk, e->cb);
	if (err < 0 || e->r.error || !e->r.seen) {
		fprintf(stderr, "mcb-bench-emit: EMIT failed: %s\n",
			e->r.error ? strerror(-e->r.error) : nl_geterror(err));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 'T' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "tick-us", required_argument, NULL, 'k' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "text-len", required_argument, NULL, 'l' },
		{ "end-tag", required_argument, NULL, 'e' },
		{ "end-for", required_argument, NULL, 'f' },
		{ 0 }
	};
	const char *tag = NULL, *end_tag = NULL;
	uint64_t rate = 0, count = 0, tick_ns = 1000000, chunk = 1000;
	uint64_t text_len = BENCH_TEXT_LEN, done = 0, sent = 0, requests = 0;
	uint64_t first_seq = 0, last_seq = 0, start, deadline = 0, next, cpu0;
	double duration = 0, end_for = 120;
	char text[MCBRIDGE_TEXT_MAX + 1];
	struct emitter e;
	struct nl_msg *msg;
	struct nlattr *cnt;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'T': tag = bench_arg_tag("--tag", optarg); break;
		case 'r': rate = bench_arg_u64("--rate", optarg, 0, 100000000); break;
		case 'n': count = bench_arg_u64("--count", optarg, 1, UINT32_MAX); break;
		case 'd': duration = bench_arg_double("--duration", optarg, 0.001, 3600); break;
		case 'k': tick_ns = 1000 * bench_arg_u64("--tick-us", optarg, 10, 1000000); break;
		case 'c': chunk = bench_arg_u64("--chunk", optarg, 1, MCBRIDGE_EMIT_MAX_COUNT); break;
		case 'l': text_len = bench_arg_u64("--text-len", optarg, 1, MCBRIDGE_TEXT_MAX); break;
		case 'e': end_tag = bench_arg_tag("--end-tag", optarg); break;
		case 'f': end_for = bench_arg_double("--end-for", optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (!tag || optind != argc || (!count && !duration) ||
	    text_len <= strlen(tag) || (end_tag && text_len <= strlen(end_tag)))
		usage();
	if (!count)
		count = rate ? (uint64_t)((double)rate * duration + 0.5) : UINT32_MAX;
	bench_make_text(text, text_len, tag);

	e.sk = nl_socket_alloc();
	e.cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!e.sk || !e.cb || genl_connect(e.sk) < 0) {
		fprintf(stderr, "mcb-bench-emit: cannot open generic netlink\n");
		return 1;
	}
	e.family = genl_ctrl_resolve(e.sk, MCBRIDGE_GENL_NAME);
	if (e.family < 0) {
		fprintf(stderr, "mcb-bench-emit: family %s not found\n",
			MCBRIDGE_GENL_NAME);
		return 1;
	}
	/* One reply per request, matched by order: no ACK, no seq check. */
	nl_socket_disable_auto_ack(e.sk);
	nl_cb_set(e.cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, NULL, NULL);
	nl_cb_set(e.cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &e.r);
	nl_cb_err(e.cb, NL_CB_CUSTOM, on_error, &e.r);
	/* Built once; only the count changes between requests. */
	msg = build(&e, text, &cnt);

	cpu0 = bench_cpu_ns();	/* CPU of the run only, not of startup */
	start = bench_now_ns();
	next = start;
	if (duration)
		deadline = start + (uint64_t)(duration * 1e9);
	while (done < count) {
		uint64_t now = bench_now_ns(), k;
		bool behind = false;

		if (deadline && now >= deadline)
			break;
		if (rate) {
			/* The epsilon: a tick of exactly 1/rate is one event. */
			uint64_t due = (uint64_t)((double)rate *
						  (double)(now - start) / 1e9 +
						  1e-6);

			if (due > count)
				due = count;
			k = due > done ? due - done : 0;
		} else {
			k = count - done;
		}
		if (k > chunk) {
			k = chunk;
			behind = true;
		}
		if (k) {
			request(&e, msg, cnt, (uint32_t)k);
			requests++;
			sent += e.r.emitted;
			if (e.r.emitted) {
				if (!first_seq)
					first_seq = e.r.first_seq;
				last_seq = e.r.first_seq + e.r.emitted - 1;
			}
			done += k;
		}
		if (rate && !behind) {
			next += tick_ns;
			now = bench_now_ns();
			if (next > now)
				bench_sleep_until(next);
			else
				next = now;	/* behind: no burst of sleeps */
		}
	}
	printf("emit tag=%s rate_req=%" PRIu64 " offered=%" PRIu64
	       " emitted=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64
	       " elapsed_ns=%" PRIu64 " requests=%" PRIu64 " cpu_ns=%" PRIu64
	       "\n", tag, rate, done, sent, first_seq, last_seq,
	       bench_now_ns() - start, requests, bench_cpu_ns() - cpu0);
	fflush(stdout);
	nlmsg_free(msg);
	if (end_tag) {
		uint64_t until = bench_now_ns() + (uint64_t)(end_for * 1e9);

		bench_make_text(text, text_len, end_tag);
		msg = build(&e, text, &cnt);
		for (next = bench_now_ns(); next <= until; next += 500000000u) {
			bench_sleep_until(next);
			request(&e, msg, cnt, 1);
		}
		nlmsg_free(msg);
	}
	nl_cb_put(e.cb);
	nl_socket_free(e.sk);
	return 0;
}
