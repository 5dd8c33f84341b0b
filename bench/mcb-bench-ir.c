// SPDX-License-Identifier: MIT
/*
 * mcb-bench-ir: the bridge's userspace path per event, for callgrind.
 *
 *   mcb-bench-ir --format json|binary --events N [--text-len L]
 *                [--history BYTES]
 *
 * Sets up one mapping as mcbridged does (its option parser gives the
 * defaults: batch, datagram limit, receive buffer, send queue), with the
 * real netlink source socket and the real multicast sink.  Then, per batch,
 * it sends mcbridge event messages, laid out as the module lays them out
 * (bench.h: bench_evmsg), by netlink unicast to the source socket, and runs
 * what mcbridged runs when that socket wakes it up: bridge_wakeup() =
 * mcb_nlsrc_drain() + mcb_sink_flush() (bridge/loop.c): recvmmsg, parsing,
 * the sequence check, encoding, and the hand-over to the sink's sending
 * thread, which runs sink_thread(): sendmmsg (inline, without a send
 * queue).  Count instructions in those two only:
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *            '--toggle-collect=bridge_wakeup*' \
 *            '--toggle-collect=sink_thread*' mcb-bench-ir ...
 *
 * (the '*': the compiler may clone them as bridge_wakeup.constprop.0).  The
 * default mapping: plain datagrams, no --key, no history unless --history
 * (what keeping each datagram for the repair channel costs).  Netlink
 * unicast between two
 * user sockets needs CAP_NET_ADMIN.  The datagrams go to 225.0.0.1 on a
 * free port nobody joined.  Prints
 * "ir format=F events=N received=N sent=N lost=N netlink_bytes=B
 * datagram_bytes=B" and exits 1 if any event was not bridged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/mcbridge.h>

#include "bench.h"
#include "loop.h"

/* Any genetlink id: the source is told it is the family's. */
#define FAKE_FAMILY_ID	42
/* Same as bridge/loop.c. */
#define DRAIN_ROUNDS	16
/* Kernel and bridge sequence numbers start here, as in a bridge that has
 * run for a while: JSON costs per digit, and this way the digits do not
 * change during a run, so the count per event does not depend on N. */
#define SEQ_BASE	1000000000u

/* What mcbridged does for a readable event socket (bridge/loop.c). */
__attribute__((noinline))
static void bridge_wakeup(struct mcb_mapping *m)
{
	mcb_nlsrc_drain(&m->src, DRAIN_ROUNDS);
	mcb_sink_flush(&m->sink);
}

static void usage(void)
{
	fprintf(stderr, "usage: mcb-bench-ir --format json|binary --events N "
		"[--text-len L] [--history BYTES]\n");
	exit(2);
}

/* A free UDP port, kept bound (not joined) so nobody else takes it. */
static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("mcb-bench-ir: UDP port");
		exit(1);
	}
	return ntohs(sa.sin_port);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'n' },
		{ "text-len", required_argument, NULL, 'l' },
		{ "history", required_argument, NULL, 'H' },
		{ 0 }
	};
	static struct mcb_options o;
	static struct mcb_mapping m;
	struct mcb_log lg = { 0 };
	const char *format = NULL;
	uint64_t events = 0, text_len = BENCH_TEXT_LEN, seq = 0, dgram_bytes;
	uint64_t history = 0;
	char text[MCBRIDGE_TEXT_MAX + 1], port[8];
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	struct mmsghdr *msgs;
	struct iovec *iov;
	unsigned char *bufs;
	static struct bench_evmsg tmpl;
	struct mcb_sink_stats st;
	size_t mlen;
	int opt, tx;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'n': events = bench_arg_u64("--events", optarg, 1, 100000000); break;
		case 'l': text_len = bench_arg_u64("--text-len", optarg, 1, MCBRIDGE_TEXT_MAX); break;
		case 'H': history = bench_arg_u64("--history", optarg, 0, 1u << 30); break;
		default: usage();
		}
	}
	if (!format || !events || optind != argc)
		usage();

	/* The daemon's own defaults for one mapping in this format. */
	snprintf(port, sizeof(port), "%u", (unsigned)free_port());
	{
		char *av[] = { "mcbridged", "--format", (char *)format,
			       "--port", port, NULL };

		if (mcb_options_parse(&o, 5, av, stdout, stderr) != MCB_OPT_RUN)
			return 2;
	}
	/* a 10-digit run, as mcb_loop_init draws */
	mcb_mapping_init(&m, &o.maps[0], o.max_datagram, 0xadcb9e3bu);
	if (mcb_history_init(&m.hist, history, o.max_datagram) < 0 ||
	    mcb_sink_open(&m.sink, m.cfg, o.max_datagram, o.batch, &lg) < 0 ||
	    (o.send_queue && mcb_sink_queue(&m.sink, o.send_queue) < 0) ||
	    mcb_nlsrc_open(&m.src, m.cfg, o.rcvbuf, o.batch, &lg,
			   mcb_mapping_emit, &m) < 0)
		return 1;
	/* Subscribed as far as the source knows.  Unicast arrives with
	 * NETLINK_PKTINFO group 0, so that is "our" group. */
	m.src.state = MCB_SRC_SUBSCRIBED;
	m.src.family_id = FAKE_FAMILY_ID;
	m.src.group_id = 0;
	m.bridge_seq = SEQ_BASE;

	/* One event message as the module builds it; seq and time patched. */
	bench_make_text(text, text_len, "ir");
	if (bench_evmsg_build(&tmpl, FAKE_FAMILY_ID, text) < 0) {
		fprintf(stderr, "mcb-bench-ir: cannot build the event\n");
		return 1;
	}
	mlen = tmpl.len;

	tx = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (tx < 0) {
		perror("mcb-bench-ir: netlink socket");
		return 1;
	}
	dst.nl_pid = nl_socket_get_local_port(m.src.sk);
	msgs = calloc(o.batch, sizeof(*msgs));
	iov = calloc(o.batch, sizeof(*iov));
	bufs = calloc(o.batch, NLMSG_ALIGN(mlen));
	if (!msgs || !iov || !bufs)
		return 1;
	for (unsigned i = 0; i < o.batch; i++) {
		iov[i].iov_base = bufs + i * NLMSG_ALIGN(mlen);
		iov[i].iov_len = mlen;
		memcpy(iov[i].iov_base, tmpl.buf, mlen);
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	/* Full batches, one wakeup each: what a busy bridge sees. */
	while (seq < events) {
		unsigned k = events - seq < o.batch ? (unsigned)(events - seq) :
						      o.batch;
		uint64_t now = bench_now_ns();
		int r;

		for (unsigned i = 0; i < k; i++)
			bench_evmsg_put(&tmpl, iov[i].iov_base, SEQ_BASE + ++seq,
					now, MCBRIDGE_EVENT_INJECTED);
		for (unsigned done = 0; done < k; done += (unsigned)r) {
			r = sendmmsg(tx, msgs + done, k - done, 0);
			if (r < 0) {
				perror("mcb-bench-ir: sendmmsg to the source");
				return 1;
			}
		}
		bridge_wakeup(&m);
	}
	dgram_bytes = 0;
	{
		/* One more event, to report the datagram size. */
		bool trunc;
		struct mcb_nl_event ev = {
			.kind = MCB_KIND_EVENT, .family = m.cfg->family,
			.group = m.cfg->group, .prep = &m.prep,
			.is_mcbridge = true,
			.cmd = MCBRIDGE_CMD_EVENT,
			.genl_version = MCBRIDGE_GENL_VERSION,
			.bridge_seq = SEQ_BASE + seq,
			.bridge_time_ns = bench_now_ns(),
			.has_kernel_seq = true, .has_kernel_time = true,
			.kernel_seq = SEQ_BASE + seq,
			.kernel_time_ns = bench_now_ns(),
			.attrs = tmpl.buf + NLMSG_HDRLEN + GENL_HDRLEN,
			.attr_len = (uint32_t)(mlen - NLMSG_HDRLEN -
					       GENL_HDRLEN),
		};
		static unsigned char out[MCB_WIRE_MAX_DATAGRAM];

		dgram_bytes = m.encode(&ev, out, sizeof(out), &trunc);
	}
	mcb_sink_sync(&m.sink);
	st = mcb_sink_stats(&m.sink);
	printf("ir format=%s events=%" PRIu64 " received=%" PRIu64
	       " sent=%" PRIu64 " lost=%" PRIu64 " netlink_bytes=%zu"
	       " datagram_bytes=%" PRIu64 "\n", format, events,
	       m.src.st.received, st.sent, m.src.st.lost, mlen,
	       dgram_bytes);
	close(tx);
	mcb_nlsrc_close(&m.src);
	mcb_sink_close(&m.sink);
	mcb_history_free(&m.hist);
	return m.src.st.received == events && st.sent == events &&
	       !m.src.st.lost ? 0 : 1;
}
