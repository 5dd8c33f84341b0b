// SPDX-License-Identifier: MIT
/*
 * mcb-bench-udpsend: the raw multicast sender of the benchmarks.
 *
 *   mcb-bench-udpsend --tag T --count N [--size BYTES] [--rate R]
 *                     [--tick-us P] [--group ADDR] [--port N] [--connect]
 *                     [--gso] [--end-tag E [--end-for S]]
 *
 * Sends N datagrams of BYTES bytes (struct bench_raw, then padding) to the
 * group through 127.0.0.1 with a socket set up like mcbridged's sink (TTL
 * 0, loop on, 4 MiB send buffer).  --rate 0 (default) sends as fast as it
 * can, 64 datagrams per sendmmsg() like mcbridged; otherwise the datagrams
 * due each tick.  Each datagram carries its send time.  --connect: a
 * connected socket (the route is looked up once, not per datagram).  --gso:
 * the datagrams of a batch go as one UDP_SEGMENT message, as mcbridged
 * sends runs of equal-sized datagrams.  Prints
 * one line:
 *
 *   udpsend tag=T sent=N errors=N elapsed_ns=E cpu_ns=NS
 *
 * (cpu_ns: CPU time of the sending, without startup).
 *
 * --end-tag E: then one datagram tagged E at once and every half second
 * for S seconds (default 120), until killed: the receiver's end marker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <mcbridge/wire.h>

#include "bench.h"
#include "udpraw.h"

#define BATCH	64

static void usage(void)
{
	fprintf(stderr, "usage: mcb-bench-udpsend --tag T --count N [--size B] "
		"[--rate R] [--tick-us P] [--group ADDR] [--port N] [--connect] "
		"[--gso] [--end-tag E [--end-for S]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "tick-us", required_argument, NULL, 'k' },
		{ "group", required_argument, NULL, 'g' },
		{ "port", required_argument, NULL, 'p' },
		{ "connect", no_argument, NULL, 'C' },
		{ "gso", no_argument, NULL, 'G' },
		{ "end-tag", required_argument, NULL, 'e' },
		{ "end-for", required_argument, NULL, 'f' },
		{ 0 }
	};
	const char *end_tag = NULL;
	double end_for = 120;
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(MCB_DEFAULT_PORT) };
	struct in_addr ifa;
	const char *tag = NULL, *group = MCB_DEFAULT_GROUP;
	uint64_t count = 0, size = 256, rate = 0, tick_ns = 1000000;
	uint64_t sent = 0, errors = 0, start, next, cpu0;
	unsigned char loop = 1, ttl = 0;
	int opt, fd, sndbuf = 4 << 20;
	bool connected = false, gso = false;
	unsigned char *bufs;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'T': tag = bench_arg_tag("--tag", optarg); break;
		case 'n': count = bench_arg_u64("--count", optarg, 1, UINT32_MAX); break;
		case 's': size = bench_arg_u64("--size", optarg, sizeof(struct bench_raw), MCB_WIRE_MAX_DATAGRAM); break;
		case 'r': rate = bench_arg_u64("--rate", optarg, 0, 100000000); break;
		case 'k': tick_ns = 1000 * bench_arg_u64("--tick-us", optarg, 10, 1000000); break;
		case 'g': group = optarg; break;
		case 'p': dst.sin_port = htons((uint16_t)bench_arg_u64("--port", optarg, 1, 65535)); break;
		case 'C': connected = true; break;
		case 'G': gso = true; break;
		case 'e': end_tag = bench_arg_tag("--end-tag", optarg); break;
		case 'f': end_for = bench_arg_double("--end-for", optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (!tag || !count || optind != argc || (gso && size * BATCH > 65000) ||
	    inet_pton(AF_INET, group, &dst.sin_addr) != 1)
		usage();
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &ifa);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) {
		perror("udpsend: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Connected: the route is looked up once, not per datagram. */
	if (connected && connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("udpsend: connect");
		return 1;
	}

	bufs = calloc(BATCH, size);
	if (!bufs)
		return 1;
	for (int i = 0; i < BATCH; i++) {
		struct bench_raw h = { .magic = BENCH_RAW_MAGIC };

		strncpy(h.tag, tag, sizeof(h.tag) - 1);
		memcpy(bufs + (size_t)i * size, &h, sizeof(h));
		memset(bufs + (size_t)i * size + sizeof(h), '.', size - sizeof(h));
		iov[i].iov_base = bufs + (size_t)i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_name = connected ? NULL : &dst;
		msgs[i].msg_hdr.msg_namelen = connected ? 0 : sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	cpu0 = bench_cpu_ns();	/* CPU of the run only, not of startup */
	start = bench_now_ns();
	next = start;
	while (sent + errors < count) {
		uint64_t now = bench_now_ns(), k = count - sent - errors;
		bool behind = false;
		unsigned off = 0;

		if (rate) {
			uint64_t due = (uint64_t)((double)rate *
						  (double)(now - start) / 1e9 +
						  1e-6);

			if (due > count)
				due = count;
			k = due > sent + errors ? due - sent - errors : 0;
		}
		if (k > BATCH) {
			k = BATCH;
			behind = true;
		}
		for (unsigned i = 0; i < k; i++) {
			struct bench_raw *h = iov[i].iov_base;
			uint64_t seq = sent + errors + i + 1;

			memcpy(&h->seq, &seq, sizeof(seq));
			memcpy(&h->sent_ns, &now, sizeof(now));
		}
		if (gso && k > 1) {
			/* The batch lies back to back in bufs: one message. */
			union {
				char buf[CMSG_SPACE(sizeof(uint16_t))];
				struct cmsghdr align;
			} ctl;
			struct iovec all = { bufs, (size_t)k * size };
			struct msghdr mh = { .msg_iov = &all, .msg_iovlen = 1,
					     .msg_control = ctl.buf,
					     .msg_controllen = sizeof(ctl.buf) };
			uint16_t seg = (uint16_t)size;

			if (!connected) {
				mh.msg_name = &dst;
				mh.msg_namelen = sizeof(dst);
			}
			ctl.align.cmsg_level = SOL_UDP;
			ctl.align.cmsg_type = UDP_SEGMENT;
			ctl.align.cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(&ctl.align), &seg, sizeof(seg));
			if (sendmsg(fd, &mh, 0) < 0) {
				perror("udpsend: sendmsg");
				errors += k;
			} else {
				sent += k;
			}
			off = (unsigned)k;
		}
		while (off < k) {
			int r = sendmmsg(fd, msgs + off, (unsigned)k - off, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				errors++;	/* skip the failing one */
				off++;
				continue;
			}
			sent += (unsigned)r;
			off += (unsigned)r;
		}
		if (rate && !behind && sent + errors < count) {
			next += tick_ns;
			now = bench_now_ns();
			if (next > now)
				bench_sleep_until(next);
			else
				next = now;
		}
	}
	printf("udpsend tag=%s sent=%" PRIu64 " errors=%" PRIu64
	       " elapsed_ns=%" PRIu64 " cpu_ns=%" PRIu64 "\n", tag, sent,
	       errors, bench_now_ns() - start, bench_cpu_ns() - cpu0);
	fflush(stdout);
	if (end_tag) {
		struct bench_raw *h = iov[0].iov_base;
		uint64_t until = bench_now_ns() + (uint64_t)(end_for * 1e9);

		memset(h->tag, 0, sizeof(h->tag));
		strncpy(h->tag, end_tag, sizeof(h->tag) - 1);
		for (next = bench_now_ns(); next <= until; next += 500000000u) {
			bench_sleep_until(next);
			h->sent_ns = bench_now_ns();
			if (sendmmsg(fd, msgs, 1, 0) < 0)
				perror("udpsend: end marker");
		}
	}
	free(bufs);
	return 0;
}
