/* SPDX-License-Identifier: MIT */
/*
 * mcb-genl-emit: a native event source.  Multicasts generic netlink
 * messages into a family's multicast group from userspace, as the kernel
 * would send its notifications, so that a bridge of that group (e.g.
 * ethtool/monitor) forwards them.  Needs CAP_NET_ADMIN; use it inside a
 * private network namespace, where nobody else listens.
 *
 *   mcb-genl-emit [--family F] [--group G] [--cmd N] [--count N]
 *                 [--rate R] [--start S] [--pad BYTES]
 *                 [--window W --watch-port P [--watch-group ADDR]]
 *
 * Each message carries attribute 100 (u64): its number, from S (default
 * 1) up, and 101 (u64): CLOCK_MONOTONIC when sent, for latency; --pad adds
 * a string attribute 102 of that many bytes.  --rate R paces R messages a
 * second (0, the default: as fast as the socket takes them).  The message
 * is not a request (no NLM_F_REQUEST), so the kernel's side ignores it.
 * --window W: joins the bridge's output, ADDR:P (default 225.0.0.1), and
 * keeps at most W messages sent but not yet seen there, so the bridge's
 * netlink socket never overflows; at the end it waits (30 s at most) until
 * all were seen, and exits 1 if they were not.  Prints at the end:
 *   emit family=F group=G count=N first=S last=S elapsed_ns=E cpu_ns=C
 * and, with --window, seen=N.
 *
 * Names, clocks, pacing and option values are the benchmark library's
 * (bench/bench.h); its messages are mcbridge's own family's, so the
 * message here is built apart.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bench/bench.h"

#define ATTR_NUM	100
#define ATTR_TIME	101
#define ATTR_PAD	102
#define PAD_MAX		4000
#define TICK_NS		1000000u	/* pacing step */
#define FAMGRP_MAX	64		/* "FAMILY/GROUP" */
/* --window: waiting for the bridge to show what was sent, at most. */
#define SEEN_TIMEOUT_NS	(30ull * 1000000000u)

struct opts {
	const char *family, *group;
	uint64_t cmd, count, rate, start, pad;
	uint64_t window, watch_port;
	const char *watch_group;
};

static void usage(void)
{
	fprintf(stderr, "usage: mcb-genl-emit [--family F] [--group G] "
		"[--cmd N] [--count N] [--rate R] [--start S] [--pad BYTES]\n"
		"                     [--window W --watch-port P "
		"[--watch-group ADDR]]\n");
	exit(2);
}

static uint64_t num(const char *opt, uint64_t min, uint64_t max)
{
	return bench_arg_u64(opt, optarg, min, max);
}

static void parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "group", required_argument, NULL, 'g' },
		{ "cmd", required_argument, NULL, 'C' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 's' },
		{ "pad", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "watch-port", required_argument, NULL, 'P' },
		{ "watch-group", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ "ethtool", "monitor", 13, 1, 0, 1, 0, 0, 0,
			    "225.0.0.1" };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->family = optarg; break;
		case 'g': o->group = optarg; break;
		case 'C': o->cmd = num("--cmd", 0, 255); break;
		case 'n': o->count = num("--count", 1, UINT32_MAX); break;
		case 'r': o->rate = num("--rate", 0, 100000000); break;
		case 's': o->start = num("--start", 0, UINT64_MAX / 2); break;
		case 'p': o->pad = num("--pad", 0, PAD_MAX); break;
		case 'w': o->window = num("--window", 1, UINT32_MAX); break;
		case 'P': o->watch_port = num("--watch-port", 1, 65535); break;
		case 'G': o->watch_group = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || (o->window && !o->watch_port))
		usage();
}

/* --window: a member of the bridge's output group; -1 on failure. */
static int watch_open(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)o->watch_port) };
	/* No read waits forever: the caller's deadline decides. */
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	int rcvbuf = 64 << 20;
	struct ip_mreq mr;

	if (fd < 0 || inet_pton(AF_INET, o->watch_group, &sa.sin_addr) != 1)
		return -1;
	mr.imr_multiaddr = sa.sin_addr;
	inet_pton(AF_INET, "127.0.0.1", &mr.imr_interface);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			sizeof(rcvbuf)) < 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			sizeof(rcvbuf)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Datagrams the bridge sent for messages (not its idle tails) read now;
 * flags 0 waits up to a second for the first. */
static uint64_t watch_read(int fd, int flags)
{
	char buf[2048];
	uint64_t n = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), flags)) > 0) {
		if (!memmem(buf, (size_t)r, "\"kind\":\"tail\"", 13))
			n++;
		flags |= MSG_DONTWAIT;
	}
	return n;
}

/* Until fewer than window messages are on their way (or all seen, at the
 * end: window 0); false after SEEN_TIMEOUT_NS without progress. */
static bool watch_wait(int fd, uint64_t sent, uint64_t window, uint64_t *seen)
{
	uint64_t deadline = bench_now_ns() + SEEN_TIMEOUT_NS;

	*seen += watch_read(fd, MSG_DONTWAIT);
	while (sent - *seen > (window ? window - 1 : 0)) {
		uint64_t n = watch_read(fd, 0);

		if (n)
			deadline = bench_now_ns() + SEEN_TIMEOUT_NS;
		else if (bench_now_ns() > deadline)
			return false;
		*seen += n;
	}
	return true;
}

/* The family's id and the group's (1..32: a sockaddr_nl bit). */
static void resolve(const struct opts *o, uint16_t *fam, uint32_t *grp)
{
	char fg[FAMGRP_MAX];

	if ((size_t)snprintf(fg, sizeof(fg), "%s/%s", o->family, o->group) >=
	    sizeof(fg) || bench_genl_resolve(fg, fam, grp) < 0) {
		fprintf(stderr, "mcb-genl-emit: no %s/%s\n", o->family,
			o->group);
		exit(1);
	}
	if (*grp < 1 || *grp > 32) {
		fprintf(stderr, "mcb-genl-emit: group id %u is not 1..32\n",
			*grp);
		exit(1);
	}
}

/* One message: nlmsghdr, genlmsghdr, then the attributes in place. */
struct msg {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	struct nlattr a_num;
	uint64_t num;
	struct nlattr a_time;
	uint64_t time;
	struct nlattr a_pad;
	char pad[PAD_MAX + 4];
} __attribute__((packed));

int main(int argc, char **argv)
{
	struct opts o;
	struct msg m;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct bench_pacer pace;
	uint64_t t0, cpu0, sent = 0, seen = 0;
	size_t len;
	uint16_t fam;
	uint32_t grp;
	int fd, wfd = -1;

	parse(&o, argc, argv);
	resolve(&o, &fam, &grp);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("mcb-genl-emit: socket");
		return 1;
	}
	if (o.window && (wfd = watch_open(&o)) < 0) {
		perror("mcb-genl-emit: --watch-port");
		return 1;
	}
	to.nl_groups = 1u << (grp - 1);
	memset(&m, 0, sizeof(m));
	len = offsetof(struct msg, a_pad);
	if (o.pad) {
		m.a_pad.nla_type = ATTR_PAD;
		m.a_pad.nla_len = (uint16_t)(NLA_HDRLEN + o.pad + 1);
		memset(m.pad, 'x', o.pad);
		len += NLA_ALIGN(m.a_pad.nla_len);
	}
	m.nlh.nlmsg_len = (uint32_t)len;
	m.nlh.nlmsg_type = fam;
	m.g.cmd = (uint8_t)o.cmd;
	m.g.version = 1;
	m.a_num.nla_type = ATTR_NUM;
	m.a_num.nla_len = NLA_HDRLEN + 8;
	m.a_time.nla_type = ATTR_TIME;
	m.a_time.nla_len = NLA_HDRLEN + 8;
	t0 = bench_now_ns();
	cpu0 = bench_cpu_ns();
	bench_pacer_start(&pace, o.rate, o.count, TICK_NS, o.count);
	while (sent < o.count) {
		uint64_t due = sent + bench_pacer_due(&pace, sent);

		for (; sent < due; sent++) {
			if (o.window && !watch_wait(wfd, sent, o.window, &seen))
				goto unseen;
			m.num = o.start + sent;
			m.nlh.nlmsg_seq = (uint32_t)m.num;
			m.time = bench_now_ns();
			if (sendto(fd, &m, len, 0, (struct sockaddr *)&to,
				   sizeof(to)) != (ssize_t)len) {
				if (errno == ENOBUFS || errno == EAGAIN ||
				    errno == EINTR) {
					sent--;	/* again */
					continue;
				}
				perror("mcb-genl-emit: sendto");
				return 1;
			}
		}
		if (sent < o.count)
			bench_pacer_wait(&pace);
	}
	if (o.window && !watch_wait(wfd, sent, 0, &seen)) {
unseen:
		fprintf(stderr, "mcb-genl-emit: %" PRIu64 " sent, %" PRIu64
			" seen from the bridge\n", sent, seen);
		return 1;
	}
	printf("emit family=%s group=%s count=%" PRIu64 " first=%" PRIu64
	       " last=%" PRIu64 " elapsed_ns=%" PRIu64 " cpu_ns=%" PRIu64,
	       o.family, o.group, o.count, o.start, o.start + o.count - 1,
	       bench_now_ns() - t0,
	       bench_cpu_ns() - cpu0);
	if (o.window)
		printf(" seen=%" PRIu64, seen);
	putchar('\n');
	return close(fd) < 0 || fflush(stdout) != 0;
}
