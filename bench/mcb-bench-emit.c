// SPDX-License-Identifier: MIT
/*
 * mcb-bench-emit: offer events to the mcbridge module at a target rate, or
 * multicast them natively into a generic netlink group.
 *
 *   mcb-bench-emit --tag T [--rate R] [--count N] [--duration S]
 *                  [--tick-us P] [--chunk C] [--text-len L]
 *                  [--native FAMILY/GROUP [--types K]]
 *                  [--end-tag E [--end-for S]]
 *
 * Module: EMIT is synchronous (the kernel sends the whole burst before it
 * replies), so pacing is a loop of EMIT requests: every tick the events
 * due so far (rate x elapsed) are requested, at most C per request.
 *
 * --native FAMILY/GROUP: no module.  This process builds the events, laid
 * out as the module lays them out (bench.h: bench_evmsg), with its own seq
 * (from 1) and timestamp_ns (CLOCK_MONOTONIC when sent), and multicasts
 * them into the group (e.g. ethtool/monitor) with sendmmsg, at most C (and
 * 64) per call.  --types K: event types 1..K in turn (default: all
 * "injected"), for listeners that filter by type.  Run it in a private
 * network namespace: nobody else sees the messages there.
 *
 * When the receivers cannot keep up the emitter falls behind and offers
 * what it can: the achieved rate is what the output reports.  --rate 0
 * offers as fast as possible.  Stops after N events, or after S seconds.
 * Needs CAP_NET_ADMIN.  Prints one line (emitted: events sent, for the
 * module 0 when nobody listened; offered: events requested):
 *
 *   emit tag=T rate_req=R offered=N emitted=N first_seq=S last_seq=S
 *        elapsed_ns=E requests=Q cpu_ns=NS
 *
 * (cpu_ns: CPU time of the run, without startup: in the kernel, mostly
 * building and multicasting the events; requests: EMIT requests or
 * sendmmsg calls).
 *
 * --end-tag E: then an end marker (one event tagged E) at once and again
 * every half second for S seconds (default 120), until killed: receivers
 * stop at the marker, and under overload one may be lost.  With --types,
 * markers are of type 1.  Doing it here
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
		"[--native FAMILY/GROUP [--types K]] "
		"[--end-tag E [--end-for S]]\n");
	exit(2);
}

/* Either source: the module's EMIT, or the native multicast. */
struct emitter {
	bool native;
	/* module */
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
	struct reply r;
	struct nl_msg *msg;
	struct nlattr *count;
	/* native */
	struct bench_genl_tx tx;
	struct bench_evmsg ev;
	uint64_t seq;
	unsigned types;		/* 1..K in turn; 0: "injected" only */
	/* totals */
	uint64_t sent, first_seq, last_seq, requests;
};

/* An EMIT request for text; count is patched in before each send. */
static void build_emit(struct emitter *e, const char *text)
{
	if (e->msg)
		nlmsg_free(e->msg);
	e->msg = nlmsg_alloc();
	if (!e->msg || !genlmsg_put(e->msg, NL_AUTO_PORT, NL_AUTO_SEQ,
				    e->family, 0, 0, MCBRIDGE_CMD_EMIT,
				    MCBRIDGE_GENL_VERSION) ||
	    nla_put_string(e->msg, MCBRIDGE_ATTR_TEXT, text) ||
	    nla_put_u32(e->msg, MCBRIDGE_ATTR_COUNT, 1)) {
		fprintf(stderr, "mcb-bench-emit: cannot build request\n");
		exit(1);
	}
	e->count = nlmsg_find_attr(nlmsg_hdr(e->msg), GENL_HDRLEN,
				   MCBRIDGE_ATTR_COUNT);
}

static void set_text(struct emitter *e, const char *text)
{
	if (!e->native)
		build_emit(e, text);
	else if (bench_evmsg_build(&e->ev, (uint16_t)e->family, text) < 0) {
		fprintf(stderr, "mcb-bench-emit: text too long\n");
		exit(1);
	}
}

/* k events through the module: one EMIT request.  Exits on failure. */
static void send_module(struct emitter *e, uint32_t k)
{
	int err;

	memcpy(nla_data(e->count), &k, sizeof(k));
	memset(&e->r, 0, sizeof(e->r));
	err = nl_send_auto(e->sk, e->msg);
	while (err >= 0 && !e->r.seen && !e->r.error)
		err = nl_recvmsgs(e->sk, e->cb);
	if (err < 0 || e->r.error || !e->r.seen) {
		fprintf(stderr, "mcb-bench-emit: EMIT failed: %s\n",
			e->r.error ? strerror(-e->r.error) : nl_geterror(err));
		exit(1);
	}
	e->requests++;
	e->sent += e->r.emitted;
	if (e->r.emitted) {
		if (!e->first_seq)
			e->first_seq = e->r.first_seq;
		e->last_seq = e->r.first_seq + e->r.emitted - 1;
	}
}

/* k <= BENCH_BATCH events natively: one sendmmsg.  Exits on failure. */
static void send_native(struct emitter *e, uint32_t k)
{
	uint64_t now = bench_now_ns();
	int r;

	for (uint32_t i = 0; i < k; i++) {
		uint64_t seq = ++e->seq;

		bench_evmsg_put(&e->ev, bench_genl_tx_slot(&e->tx, i), seq, now,
				e->types ? (uint32_t)(1 + (seq - 1) % e->types) :
					   MCBRIDGE_EVENT_INJECTED);
	}
	r = bench_genl_tx_send(&e->tx, k, e->ev.len);
	if (r < 0) {
		fprintf(stderr, "mcb-bench-emit: send: %s\n", strerror(-r));
		exit(1);
	}
	e->requests++;
	e->sent += k;
	if (!e->first_seq)
		e->first_seq = e->seq - k + 1;
	e->last_seq = e->seq;
}

static void send_events(struct emitter *e, uint64_t k)
{
	if (!e->native) {
		send_module(e, (uint32_t)k);
		return;
	}
	while (k) {
		uint32_t n = k > BENCH_BATCH ? BENCH_BATCH : (uint32_t)k;

		send_native(e, n);
		k -= n;
	}
}

static void send_marker(void *ctx)
{
	send_events(ctx, 1);
}

static void open_module(struct emitter *e)
{
	e->sk = nl_socket_alloc();
	e->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!e->sk || !e->cb || genl_connect(e->sk) < 0) {
		fprintf(stderr, "mcb-bench-emit: cannot open generic netlink\n");
		exit(1);
	}
	e->family = genl_ctrl_resolve(e->sk, MCBRIDGE_GENL_NAME);
	if (e->family < 0) {
		fprintf(stderr, "mcb-bench-emit: family %s not found\n",
			MCBRIDGE_GENL_NAME);
		exit(1);
	}
	/* One reply per request, matched by order: no ACK, no seq check. */
	nl_socket_disable_auto_ack(e->sk);
	nl_cb_set(e->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, NULL, NULL);
	nl_cb_set(e->cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &e->r);
	nl_cb_err(e->cb, NL_CB_CUSTOM, on_error, &e->r);
}

static void open_native(struct emitter *e, const char *spec)
{
	uint16_t fid;
	uint32_t gid;

	if (bench_genl_resolve(spec, &fid, &gid) < 0 ||
	    bench_genl_tx_open(&e->tx, gid, sizeof(e->ev.buf)) < 0)
		exit(1);
	e->family = fid;
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
		{ "native", required_argument, NULL, 'N' },
		{ "types", required_argument, NULL, 'y' },
		{ "end-tag", required_argument, NULL, 'e' },
		{ "end-for", required_argument, NULL, 'f' },
		{ 0 }
	};
	static struct emitter e;
	const char *tag = NULL, *end_tag = NULL, *native = NULL;
	uint64_t rate = 0, count = 0, tick_ns = 1000000, chunk = 0;
	uint64_t text_len = BENCH_TEXT_LEN, done = 0, start, deadline = 0;
	uint64_t cpu0, types = 0;
	double duration = 0, end_for = 120;
	char text[MCBRIDGE_TEXT_MAX + 1];
	struct bench_pacer pc;
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
		case 'N': native = optarg; break;
		case 'y': types = bench_arg_u64("--types", optarg, 1, MCBRIDGE_EVENT_MAX); break;
		case 'e': end_tag = bench_arg_tag("--end-tag", optarg); break;
		case 'f': end_for = bench_arg_double("--end-for", optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (!tag || optind != argc || (!count && !duration) ||
	    text_len <= strlen(tag) || (end_tag && text_len <= strlen(end_tag)) ||
	    (types && !native))
		usage();
	if (!count)
		count = rate ? (uint64_t)((double)rate * duration + 0.5) : UINT32_MAX;
	e.native = native != NULL;
	if (!chunk)
		chunk = e.native ? BENCH_BATCH : 1000;
	e.types = (unsigned)types;
	if (e.native)
		open_native(&e, native);
	else
		open_module(&e);
	bench_make_text(text, text_len, tag);
	set_text(&e, text);

	cpu0 = bench_cpu_ns();	/* CPU of the run only, not of startup */
	start = bench_now_ns();
	if (duration)
		deadline = start + (uint64_t)(duration * 1e9);
	bench_pacer_start(&pc, rate, count, tick_ns, chunk);
	while (done < count) {
		uint64_t k;

		if (deadline && bench_now_ns() >= deadline)
			break;
		k = bench_pacer_due(&pc, done);
		if (k) {
			send_events(&e, k);
			done += k;
		}
		if (done < count)
			bench_pacer_wait(&pc);
	}
	printf("emit tag=%s rate_req=%" PRIu64 " offered=%" PRIu64
	       " emitted=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64
	       " elapsed_ns=%" PRIu64 " requests=%" PRIu64 " cpu_ns=%" PRIu64
	       "\n", tag, rate, done, e.sent, e.first_seq, e.last_seq,
	       bench_now_ns() - start, e.requests, bench_cpu_ns() - cpu0);
	fflush(stdout);
	if (end_tag) {
		bench_make_text(text, text_len, end_tag);
		set_text(&e, text);
		/* Markers of type 1 only, which type-filtering receivers of
		 * the benchmarks want. */
		if (e.types)
			e.types = 1;
		bench_end_markers(end_for, send_marker, &e);
	}
	if (e.msg)
		nlmsg_free(e.msg);
	if (e.cb)
		nl_cb_put(e.cb);
	if (e.sk)
		nl_socket_free(e.sk);
	bench_genl_tx_close(&e.tx);
	return 0;
}
