// SPDX-License-Identifier: MIT
/*
 * mcb-bench-nlrecv: the direct netlink subscriber of the benchmarks.
 *
 *   mcb-bench-nlrecv [--group FAMILY/GROUP] [--rcvbuf BYTES] [--until TAG]
 *                    [--timeout S] [--latency] [--mmsg]
 *
 * Joins FAMILY/GROUP (default mcbridge/events; the native benchmarks'
 * events are mcbridge-format messages in another family's group) with libnl (no MSG_PEEK, a large receive buffer)
 * and receives with nl_recvmsgs(), parsing each event with genlmsg_parse(),
 * as an application subscribing directly would.  --mmsg receives with
 * recvmmsg() instead (64 messages per call), the way mcbridged does.
 *
 * "nlrecv: ready" goes to stderr once joined.  Ends after the event tagged
 * --until (a marker sent after the measured events), --timeout seconds or
 * SIGTERM, then prints one "nlrecv tag=..." line per tag (bench.h) and
 * "nlrecv summary received=N gaps=N overruns=N until_seen=0|1 cpu_ns=NS"
 * (cpu_ns: CPU time used since joining).
 *
 * Receives block (one call per wakeup).  Receive times are stamped per
 * recvmmsg() call, and with nl_recvmsgs() every 64 messages (the clock is
 * not free in a TCG guest: at most 63 messages' work early); with
 * --latency on every message.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>

#include "bench.h"

#define STAMP_EVERY	64
#define MMSG_SLOT	16384

struct rx {
	int family;
	const char *until;
	bool until_seen;
	bool latency;
	uint64_t stamp;		/* current receive time */
	unsigned since_stamp;
	uint64_t received, last_seq, gaps, overruns;
	struct bench_stats st;
};

static struct nla_policy policy[MCBRIDGE_ATTR_MAX + 1] = {
	[MCBRIDGE_ATTR_SEQ] = { .type = NLA_U64 },
	[MCBRIDGE_ATTR_TIMESTAMP_NS] = { .type = NLA_U64 },
	[MCBRIDGE_ATTR_TYPE] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_CPU] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_TEXT] = { .type = NLA_STRING },
};

static void on_nlh(struct rx *x, struct nlmsghdr *nlh)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	char tag[BENCH_TAG_MAX + 1];
	uint64_t seq;

	if (nlh->nlmsg_type != x->family ||
	    genlmsg_parse(nlh, 0, tb, MCBRIDGE_ATTR_MAX, policy) < 0 ||
	    !tb[MCBRIDGE_ATTR_SEQ] || !tb[MCBRIDGE_ATTR_TIMESTAMP_NS] ||
	    !tb[MCBRIDGE_ATTR_TEXT])
		return;
	if (x->latency || x->since_stamp == 0)
		x->stamp = bench_now_ns();
	x->since_stamp = (x->since_stamp + 1) % STAMP_EVERY;
	seq = nla_get_u64(tb[MCBRIDGE_ATTR_SEQ]);
	if (x->received && seq > x->last_seq + 1)
		x->gaps += seq - x->last_seq - 1;
	x->last_seq = seq;
	x->received++;
	bench_tag_of(nla_data(tb[MCBRIDGE_ATTR_TEXT]),
		     (size_t)nla_len(tb[MCBRIDGE_ATTR_TEXT]), tag);
	bench_stats_add(&x->st, tag, seq,
			nla_get_u64(tb[MCBRIDGE_ATTR_TIMESTAMP_NS]), x->stamp,
			nlh->nlmsg_len);
	if (x->until && strcmp(tag, x->until) == 0)
		x->until_seen = true;
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct rx *x = arg;

	on_nlh(x, nlmsg_hdr(msg));
	return x->until_seen ? NL_STOP : NL_OK;
}

/* One blocking receive; -EAGAIN when SO_RCVTIMEO expired. */
static int rx_libnl(struct rx *x, struct nl_sock *sk)
{
	int err = nl_recvmsgs_default(sk);

	/* libnl reports the socket's ENOBUFS (overrun) as NLE_NOMEM. */
	if (err == -NLE_NOMEM) {
		x->overruns++;
		return 0;
	}
	if (err == -NLE_AGAIN)
		return -EAGAIN;
	if (err < 0 && err != -NLE_INTR) {
		fprintf(stderr, "nlrecv: receive: %s\n", nl_geterror(err));
		return -EIO;
	}
	return 0;
}

static int rx_mmsg(struct rx *x, int fd, struct bench_mmsg *m)
{
	/* At least one message, then whatever is queued. */
	int n = bench_mmsg_recv(m, fd);

	if (n < 0) {
		if (n == -ENOBUFS) {
			x->overruns++;
			return 0;
		}
		if (n == -EAGAIN || n == -EINTR)
			return -EAGAIN;
		fprintf(stderr, "nlrecv: recvmmsg: %s\n", strerror(-n));
		return -EIO;
	}
	x->stamp = bench_now_ns();
	x->since_stamp = 1;	/* this batch is stamped */
	for (int i = 0; i < n && !x->until_seen; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)bench_mmsg_buf(m, (unsigned)i);
		int rem = (int)m->msgs[i].msg_len;

		for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
			on_nlh(x, nlh);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "latency", no_argument, NULL, 'l' },
		{ "mmsg", no_argument, NULL, 'm' },
		{ 0 }
	};
	static struct rx x;
	struct bench_mmsg m;
	const char *group = MCBRIDGE_GENL_NAME "/" MCBRIDGE_MCGRP_EVENTS;
	uint16_t fid;
	uint32_t gid;
	uint64_t rcvbuf = 4u << 20, deadline, cpu0;
	double timeout = 600;
	bool use_mmsg = false;
	struct nl_sock *sk;
	int opt, fd, rb, got;
	socklen_t len = sizeof(got);

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'g': group = optarg; break;
		case 'b': rcvbuf = bench_arg_u64("--rcvbuf", optarg, 4096, 1u << 30); break;
		case 'u': x.until = bench_arg_tag("--until", optarg); break;
		case 't': timeout = bench_arg_double("--timeout", optarg, 0.1, 86400); break;
		case 'l': x.latency = true; break;
		case 'm': use_mmsg = true; break;
		default:
			fprintf(stderr, "usage: mcb-bench-nlrecv [--group FAMILY/GROUP] "
				"[--rcvbuf BYTES] [--until TAG] [--timeout S] "
				"[--latency] [--mmsg]\n");
			return 2;
		}
	}
	x.st.latency = x.latency;

	if (bench_genl_resolve(group, &fid, &gid) < 0)
		return 1;
	x.family = fid;
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "nlrecv: cannot open generic netlink\n");
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_disable_msg_peek(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, &x);
	fd = nl_socket_get_fd(sk);
	rb = (int)rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)) < 0)
		perror("nlrecv: SO_RCVBUF");
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	if (nl_socket_add_membership(sk, (int)gid) < 0) {
		fprintf(stderr, "nlrecv: cannot join %s\n", group);
		return 1;
	}
	if (use_mmsg && bench_mmsg_init(&m, BENCH_BATCH, MMSG_SLOT, 0) < 0)
		return 1;
	fprintf(stderr, "nlrecv: ready (rcvbuf %d, %s)\n", got,
		use_mmsg ? "recvmmsg" : "nl_recvmsgs");

	cpu0 = bench_cpu_ns();	/* CPU after joining, not of startup */
	deadline = bench_now_ns() + (uint64_t)(timeout * 1e9);
	bench_catch_stop();
	/* Blocking receives, woken every second to check the deadline. */
	bench_rcvtimeo(fd, 1000);
	while (!x.until_seen && !bench_stop) {
		int r = use_mmsg ? rx_mmsg(&x, fd, &m) : rx_libnl(&x, sk);

		if (r == -EIO)
			return 1;
		if (r == -EAGAIN && bench_now_ns() >= deadline)
			break;
	}
	bench_stats_print(stdout, "nlrecv", &x.st);
	printf("nlrecv summary received=%" PRIu64 " gaps=%" PRIu64
	       " overruns=%" PRIu64 " until_seen=%d cpu_ns=%" PRIu64 "\n", x.received, x.gaps,
	       x.overruns, x.until_seen, bench_cpu_ns() - cpu0);
	nl_socket_free(sk);
	if (use_mmsg)
		bench_mmsg_free(&m);
	return 0;
}
