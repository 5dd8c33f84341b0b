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
 *
 * Each message carries attribute 100 (u64): its number, from S (default
 * 1) up, and 101 (u64): CLOCK_MONOTONIC when sent, for latency; --pad adds
 * a string attribute 102 of that many bytes.  --rate R paces R messages a
 * second (0, the default: as fast as the socket takes them).  The message
 * is not a request (no NLM_F_REQUEST), so the kernel's side ignores it.
 * Prints at the end:
 *   emit family=F group=G count=N first=S last=S elapsed_ns=E cpu_ns=C
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "lib/num.h"

#define ATTR_NUM	100
#define ATTR_TIME	101
#define ATTR_PAD	102
#define PAD_MAX		4000
#define TICK_NS		1000000u	/* pacing step */

struct opts {
	const char *family, *group;
	uint64_t cmd, count, rate, start, pad;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: mcb-genl-emit [--family F] [--group G] "
		"[--cmd N] [--count N] [--rate R] [--start S] [--pad BYTES]\n");
	exit(2);
}

static uint64_t num(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (mcb_parse_u64(s, min, max, &v))
		usage();
	return v;
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
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ "ethtool", "monitor", 13, 1, 0, 1, 0 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->family = optarg; break;
		case 'g': o->group = optarg; break;
		case 'C': o->cmd = num(optarg, 0, 255); break;
		case 'n': o->count = num(optarg, 1, UINT32_MAX); break;
		case 'r': o->rate = num(optarg, 0, 100000000); break;
		case 's': o->start = num(optarg, 0, UINT64_MAX / 2); break;
		case 'p': o->pad = num(optarg, 0, PAD_MAX); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/* The family's id and the group's (1..32: a sockaddr_nl bit). */
static void resolve(const struct opts *o, int *fam, int *grp)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "mcb-genl-emit: generic netlink: no socket\n");
		exit(1);
	}
	*fam = genl_ctrl_resolve(sk, o->family);
	*grp = *fam < 0 ? *fam : genl_ctrl_resolve_grp(sk, o->family,
							 o->group);
	nl_socket_free(sk);
	if (*fam < 0 || *grp < 0) {
		fprintf(stderr, "mcb-genl-emit: no %s/%s\n", o->family,
			o->group);
		exit(1);
	}
	if (*grp < 1 || *grp > 32) {
		fprintf(stderr, "mcb-genl-emit: group id %d is not 1..32\n",
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
	uint64_t t0, cpu0, sent = 0;
	size_t len;
	int fam, grp, fd;

	parse(&o, argc, argv);
	resolve(&o, &fam, &grp);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("mcb-genl-emit: socket");
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
	m.nlh.nlmsg_type = (uint16_t)fam;
	m.g.cmd = (uint8_t)o.cmd;
	m.g.version = 1;
	m.a_num.nla_type = ATTR_NUM;
	m.a_num.nla_len = NLA_HDRLEN + 8;
	m.a_time.nla_type = ATTR_TIME;
	m.a_time.nla_len = NLA_HDRLEN + 8;
	t0 = clock_ns(CLOCK_MONOTONIC);
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	while (sent < o.count) {
		uint64_t due = o.count;

		if (o.rate) {
			uint64_t el = clock_ns(CLOCK_MONOTONIC) - t0;

			due = (uint64_t)((double)el * (double)o.rate / 1e9) + 1;
			if (due > o.count)
				due = o.count;
		}
		for (; sent < due; sent++) {
			m.num = o.start + sent;
			m.nlh.nlmsg_seq = (uint32_t)m.num;
			m.time = clock_ns(CLOCK_MONOTONIC);
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
		if (sent < o.count && o.rate) {
			struct timespec ts = { 0, TICK_NS };

			nanosleep(&ts, NULL);
		}
	}
	printf("emit family=%s group=%s count=%" PRIu64 " first=%" PRIu64
	       " last=%" PRIu64 " elapsed_ns=%" PRIu64 " cpu_ns=%" PRIu64 "\n",
	       o.family, o.group, o.count, o.start, o.start + o.count - 1,
	       clock_ns(CLOCK_MONOTONIC) - t0,
	       clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
	return close(fd) < 0 || fflush(stdout) != 0;
}
