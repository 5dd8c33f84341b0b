// SPDX-License-Identifier: MIT
/*
 * mcb-genl-emit: a native event source for tests and benchmarks on a host
 * whose kernel cannot load the module.  Inside a private network namespace
 * (unshare -n) a root process may multicast its own messages into a
 * generic netlink group, and nobody outside sees them: here
 * ETHTOOL_MSG_FEATURES_NTF-shaped messages into ethtool/monitor, each
 * numbered in its header nest (ETHTOOL_A_HEADER_DEV_INDEX = the event's
 * number, so a receiver can check order and completeness by content).
 *
 *   mcb-genl-emit --count N [--start K] [--rate R]
 *                 [--window W --watch-port P [--watch-group ADDR]]
 *
 * --rate: at most R events per second (paced every millisecond);
 * --window: joins ADDR:P (the bridge's output, default 225.0.0.1) and keeps
 * at most W events sent but not yet seen there, so the bridge's netlink
 * socket never overflows; at the end it waits until all are seen.  Exit 0
 * when all were sent (and seen), 1 otherwise; prints "emitted N seen N".
 */
#include <arpa/inet.h>
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
#include <netinet/in.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#define ETHTOOL_MSG_FEATURES_NTF	13
#define ETHTOOL_A_FEATURES_HEADER	1
#define ETHTOOL_A_HEADER_DEV_INDEX	1
#define ETHTOOL_A_HEADER_DEV_NAME	2
#define BATCH				64
/* Waiting for the bridge to show what was sent: this long at most. */
#define SEEN_TIMEOUT_NS			(30ull * 1000000000u)

/* One message: nlmsghdr, genlmsghdr, header nest {u32 index, "mcb-emit"}. */
struct msg {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	struct nlattr nest;
	struct nlattr a_idx;
	uint32_t idx;
	struct nlattr a_name;
	char name[12];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t arg(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !*s || v > max) {
		fprintf(stderr, "mcb-genl-emit: bad %s '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

/* The family and group ids, by name through nlctrl. */
static int resolve(int *fid, int *gid)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r = -1;

	if (sk && genl_connect(sk) == 0) {
		*fid = genl_ctrl_resolve(sk, "ethtool");
		*gid = genl_ctrl_resolve_grp(sk, "ethtool", "monitor");
		r = *fid > 0 && *gid > 0 ? 0 : -1;
	}
	if (sk)
		nl_socket_free(sk);
	return r;
}

/* The bridge's output: a member of group:port; -1 on failure. */
static int watch_open(const char *group, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct ip_mreq mr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	int rcvbuf = 64 << 20;
	/* No read waits forever: the caller's deadline decides. */
	struct timeval tv = { .tv_sec = 1 };

	if (fd < 0 || inet_pton(AF_INET, group, &sa.sin_addr) != 1)
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

/* Datagrams of events (not tails: an idle bridge sends those) read now. */
static uint64_t watch_read(int fd, int flags)
{
	static char buf[65536];
	uint64_t n = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), flags)) > 0) {
		if (!memmem(buf, (size_t)r, "\"kind\":\"tail\"", 13))
			n++;
		flags |= MSG_DONTWAIT;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "watch-port", required_argument, NULL, 'p' },
		{ "watch-group", required_argument, NULL, 'g' },
		{ 0 }
	};
	static struct msg m[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	uint64_t count = 0, start = 1, rate = 0, window = 0, sent = 0, seen = 0;
	uint64_t t0, deadline;
	const char *group = "225.0.0.1";
	unsigned port = 0;
	int fid, gid, fd, wfd = -1, opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': count = arg("--count", optarg, UINT32_MAX); break;
		case 's': start = arg("--start", optarg, UINT32_MAX); break;
		case 'r': rate = arg("--rate", optarg, 100000000); break;
		case 'w': window = arg("--window", optarg, UINT32_MAX); break;
		case 'p': port = (unsigned)arg("--watch-port", optarg, 65535); break;
		case 'g': group = optarg; break;
		default: return 2;
		}
	}
	if (!count || optind != argc || (window && !port)) {
		fprintf(stderr, "usage: mcb-genl-emit --count N [--start K] "
			"[--rate R] [--window W --watch-port P "
			"[--watch-group ADDR]]\n");
		return 2;
	}
	if (resolve(&fid, &gid) < 0 || gid > 32) {
		fprintf(stderr, "mcb-genl-emit: no ethtool/monitor group "
			"addressable by nl_groups\n");
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("mcb-genl-emit: netlink socket");
		return 1;
	}
	if (window && (wfd = watch_open(group, port)) < 0) {
		perror("mcb-genl-emit: watch socket");
		return 1;
	}
	dst.nl_groups = 1u << (gid - 1);
	for (unsigned i = 0; i < BATCH; i++) {
		struct msg *p = &m[i];

		memset(p, 0, sizeof(*p));
		p->nlh.nlmsg_len = sizeof(*p);
		p->nlh.nlmsg_type = (uint16_t)fid;
		p->g.cmd = ETHTOOL_MSG_FEATURES_NTF;
		p->g.version = 1;
		p->nest.nla_len = (uint16_t)(sizeof(*p) - offsetof(struct msg,
								    nest));
		p->nest.nla_type = NLA_F_NESTED | ETHTOOL_A_FEATURES_HEADER;
		p->a_idx.nla_len = NLA_HDRLEN + sizeof(uint32_t);
		p->a_idx.nla_type = ETHTOOL_A_HEADER_DEV_INDEX;
		p->a_name.nla_len = NLA_HDRLEN + 9;
		p->a_name.nla_type = ETHTOOL_A_HEADER_DEV_NAME;
		memcpy(p->name, "mcb-emit", 9);
		iov[i].iov_base = p;
		iov[i].iov_len = sizeof(*p);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &dst;
		mm[i].msg_hdr.msg_namelen = sizeof(dst);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns();
	deadline = t0 + SEEN_TIMEOUT_NS;
	while (sent < count) {
		uint64_t k = count - sent < BATCH ? count - sent : BATCH;
		int r;

		if (rate) {
			/* Not before its time: event i at t0 + i / rate. */
			uint64_t due = t0 + sent * 1000000000u / rate;
			uint64_t t = now_ns();

			if (due > t) {
				struct timespec ts = {
					.tv_sec = (time_t)((due - t) / 1000000000u),
					.tv_nsec = (long)((due - t) % 1000000000u),
				};
				nanosleep(&ts, NULL);
			}
			if (k > rate / 1000 + 1)
				k = rate / 1000 + 1;
		}
		if (window) {
			seen += watch_read(wfd, MSG_DONTWAIT);
			while (sent + k > seen + window) {
				if (now_ns() > deadline)
					goto out;
				seen += watch_read(wfd, 0);
			}
			deadline = now_ns() + SEEN_TIMEOUT_NS;
		}
		for (unsigned i = 0; i < k; i++)
			m[i].idx = (uint32_t)(start + sent + i);
		r = sendmmsg(fd, mm, (unsigned)k, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("mcb-genl-emit: sendmmsg");
			return 1;
		}
		sent += (uint64_t)r;
	}
	if (window) {
		deadline = now_ns() + SEEN_TIMEOUT_NS;
		while (seen < sent && now_ns() < deadline)
			seen += watch_read(wfd, 0);
	}
out:
	printf("emitted %" PRIu64 " seen %" PRIu64 "\n", sent, seen);
	return sent == count && (!window || seen >= sent) ? 0 : 1;
}
