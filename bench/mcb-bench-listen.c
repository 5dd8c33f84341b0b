// SPDX-License-Identifier: MIT
/*
 * mcb-bench-listen: the multicast listener of the benchmarks.
 *
 *   mcb-bench-listen [--format json|binary|raw] [--group ADDR] [--port N]
 *                    [--rcvbuf BYTES] [--until TAG] [--timeout S] [--latency]
 *                    [--linger-us US] [--type N,...] [--family NAME]
 *                    [--no-kernel-filter] [--name NAME] [--no-gro]
 *
 * Joins the group like mcbridge-listen (mcb_listen_open), receives with
 * recvmmsg() and decodes every datagram with libmcbridge-client: the event's
 * text gives its tag, its kernel timestamp_ns the latency.  --format raw
 * takes the datagrams of mcb-bench-udpsend instead (no decoding): the
 * multicast baseline.
 *
 * "listen: ready" goes to stderr once joined.  Ends 0.1 s after the
 * datagram tagged --until once nothing more arrives, after --timeout
 * seconds or on SIGTERM, then prints one "listen tag=..." line per tag
 * (bench.h) and "listen summary [rx=NAME] received=N delivered=N
 * batches=N sleeps=N bad=N bseq_missing=N bseq_reordered=N
 * overrun_notices=N lost_events=N until_seen=0|1 cpu_ns=NS" (batches:
 * recvmmsg calls that returned datagrams; sleeps: times it waited, each a
 * wake-up; bseq: the bridge's datagram numbers; cpu_ns: CPU time used
 * since joining).  The default receive buffer is mcbridge-listen's.
 *
 * --type, --family: only those events count (delivered, and their tags'
 * lines), checked with mcb_filter_match() as mcbridge-listen does, after a
 * kernel-side filter on the socket (libmcbridge-client) unless
 * --no-kernel-filter.  The end marker passes either way.  --name NAME:
 * "rx=NAME" on the output lines.  Like mcbridge-listen, it takes a run of
 * equal-sized datagrams in one receive (UDP_GRO) and splits it, unless
 * --no-gro or a filter; batches count receives, received datagrams.
 *
 * One blocking recvmmsg() (MSG_WAITFORONE) per wakeup; receive times are
 * stamped once per call.  --linger-us: after a batch that emptied the queue,
 * sleep that long before receiving again, so that a burst queues up without
 * a wake-up per datagram (the sender's CPU pays for each).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/mcbridge.h>

#include "bench.h"
#include "mcbridge_client.h"
#include "udpraw.h"

#define SLOT	(MCB_WIRE_MAX_DATAGRAM + 1)
#define GRACE_MS	100

enum fmt { F_JSON, F_BINARY, F_RAW };

struct rx {
	enum fmt fmt;
	const char *until;
	bool until_seen;
	uint64_t received, bad, batches;	/* batches: recvmmsg calls */
	uint64_t delivered;
	struct mcb_filter filter;
	/* bridge_seq: datagrams may be reordered (the sender moved CPUs), so
	 * what is missing is the span not covered, not the forward jumps. */
	uint64_t bseq_n, bseq_min, bseq_max, bseq_back, bseq_last;
	uint64_t overrun_notices, lost_events;
	struct mcb_event ev;
	struct bench_stats st;
};

static void on_raw(struct rx *x, const unsigned char *p, size_t len,
		   uint64_t now)
{
	struct bench_raw h;
	char tag[BENCH_TAG_MAX + 1];

	if (len < sizeof(h)) {
		x->bad++;
		return;
	}
	memcpy(&h, p, sizeof(h));
	if (h.magic != BENCH_RAW_MAGIC) {
		x->bad++;
		return;
	}
	bench_tag_of(h.tag, sizeof(h.tag), tag);
	x->delivered++;
	bench_stats_add(&x->st, tag, h.seq, h.sent_ns, now, len);
	if (x->until && strcmp(tag, x->until) == 0)
		x->until_seen = true;
}

/*
 * The native benchmarks' events are mcbridge-format messages in another
 * family's group (ethtool/monitor), which the bridge forwards as generic
 * attributes: their seq, timestamp_ns and text by attribute type.
 */
static bool generic_fields(struct mcb_event *ev)
{
	for (unsigned i = 0; i < ev->nattrs; i++) {
		const struct mcb_attr *a = &ev->attrs[i];

		if (a->type == MCBRIDGE_ATTR_SEQ && a->kind == MCB_ATTR_U64) {
			ev->kernel_seq = a->num;
			ev->has |= MCB_HAS_KERNEL_SEQ;
		} else if (a->type == MCBRIDGE_ATTR_TIMESTAMP_NS &&
			   a->kind == MCB_ATTR_U64) {
			ev->kernel_time_ns = a->num;
			ev->has |= MCB_HAS_KERNEL_TIME;
		} else if (a->type == MCBRIDGE_ATTR_TEXT &&
			   a->kind == MCB_ATTR_STR) {
			ev->text_len = a->data_len < sizeof(ev->text) ?
				       a->data_len : sizeof(ev->text) - 1;
			memcpy(ev->text, a->data, ev->text_len);
			ev->has |= MCB_HAS_TEXT;
		}
	}
	return (ev->has & MCB_HAS_KERNEL_SEQ) != 0;
}

static void on_event(struct rx *x, const unsigned char *p, size_t len,
		     uint64_t now)
{
	struct mcb_event *ev = &x->ev;
	char tag[BENCH_TAG_MAX + 1];

	if (mcb_decode(p, len, x->fmt == F_JSON ? MCB_FMT_JSON : MCB_FMT_BINARY,
		       ev) != MCB_OK) {
		x->bad++;
		return;
	}
	/* An idle bridge's tail repeats the last bridge_seq. */
	if (ev->kind == MCB_KIND_TAIL)
		return;
	if (!x->bseq_n || ev->bridge_seq < x->bseq_min)
		x->bseq_min = ev->bridge_seq;
	if (ev->bridge_seq > x->bseq_max)
		x->bseq_max = ev->bridge_seq;
	if (x->bseq_n && ev->bridge_seq < x->bseq_last)
		x->bseq_back++;
	x->bseq_last = ev->bridge_seq;
	x->bseq_n++;
	if (ev->kind == MCB_KIND_OVERRUN) {
		x->overrun_notices++;
		return;
	}
	if (ev->kind == MCB_KIND_LOST) {
		x->lost_events += ev->count;
		return;
	}
	if (!mcb_event_is_mcbridge(ev) && !generic_fields(ev)) {
		x->bad++;
		return;
	}
	if (!(ev->has & MCB_HAS_TEXT) || !(ev->has & MCB_HAS_KERNEL_TIME)) {
		x->bad++;
		return;
	}
	bench_tag_of(ev->text, ev->text_len, tag);
	if (x->until && strcmp(tag, x->until) == 0)
		x->until_seen = true;
	else if (!mcb_filter_match(&x->filter, ev))
		return;
	x->delivered++;
	bench_stats_add(&x->st, tag, ev->kernel_seq, ev->kernel_time_ns, now,
			len);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "group", required_argument, NULL, 'g' },
		{ "port", required_argument, NULL, 'p' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "latency", no_argument, NULL, 'l' },
		{ "linger-us", required_argument, NULL, 'L' },
		{ "type", required_argument, NULL, 'y' },
		{ "family", required_argument, NULL, 'F' },
		{ "no-kernel-filter", no_argument, NULL, 'K' },
		{ "name", required_argument, NULL, 'n' },
		{ "no-gro", no_argument, NULL, 'G' },
		{ 0 }
	};
	static struct rx x;
	struct bench_mmsg m;
	struct mcb_listen_cfg cfg = { .port = MCB_DEFAULT_PORT };
	const char *what, *group = MCB_DEFAULT_GROUP, *name = NULL;
	char prefix[64];
	double timeout = 600;
	uint64_t linger_us = 0;
	uint64_t deadline, cpu0, sleeps0, rcvbuf = MCB_LISTEN_DEFAULT_RCVBUF;
	int opt, fd, got;
	bool grace = false, kernel_filter = true, gro = true;
	socklen_t olen = sizeof(got);

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "json"))
				x.fmt = F_JSON;
			else if (!strcmp(optarg, "binary"))
				x.fmt = F_BINARY;
			else if (!strcmp(optarg, "raw"))
				x.fmt = F_RAW;
			else
				goto usage;
			break;
		case 'g': group = optarg; break;
		case 'p': cfg.port = (uint16_t)bench_arg_u64("--port", optarg, 1, 65535); break;
		case 'b': rcvbuf = bench_arg_u64("--rcvbuf", optarg, 4096, 1u << 30); break;
		case 'u': x.until = bench_arg_tag("--until", optarg); break;
		case 't': timeout = bench_arg_double("--timeout", optarg, 0.1, 86400); break;
		case 'l': x.st.latency = true; break;
		case 'L': linger_us = bench_arg_u64("--linger-us", optarg, 0, 1000000); break;
		case 'y':
			for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ","))
				x.filter.types |= 1u << bench_arg_u64("--type", t, 0,
						MCB_FILTER_TYPE_OTHER);
			break;
		case 'F':
			if (mcb_filter_add_family(&x.filter, optarg) < 0)
				goto usage;
			break;
		case 'K': kernel_filter = false; break;
		case 'n': name = bench_arg_tag("--name", optarg); break;
		case 'G': gro = false; break;
		default: goto usage;
		}
	}
	if (optind != argc || inet_pton(AF_INET, group, &cfg.group) != 1)
		goto usage;
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &cfg.iface_addr);
	cfg.rcvbuf = (int)rcvbuf;
	if (kernel_filter)
		cfg.filter = &x.filter;
	cfg.gro = gro;
	fd = mcb_listen_open(&cfg, &what);
	if (fd < 0) {
		fprintf(stderr, "listen: %s: %s\n", what, strerror(errno));
		return 1;
	}
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &olen);
	if (bench_mmsg_init(&m, BENCH_BATCH, SLOT, MCB_GRO_CMSG_SPACE) < 0)
		return 1;
	fprintf(stderr, "listen: ready (%s:%u, rcvbuf %d)\n", group,
		(unsigned)cfg.port, got);

	cpu0 = bench_cpu_ns();	/* CPU after joining, not of startup */
	sleeps0 = bench_sleeps();
	deadline = bench_now_ns() + (uint64_t)(timeout * 1e9);
	bench_catch_stop();
	/* One blocking call per wakeup (MSG_WAITFORONE: at least one, then
	 * whatever is queued), woken every second to check the deadline. */
	bench_rcvtimeo(fd, 1000);
	while (!bench_stop) {
		int n = bench_mmsg_recv(&m, fd);
		uint64_t now;

		if (n < 0) {
			if (n == -EINTR)
				continue;
			if (n != -EAGAIN) {
				fprintf(stderr, "listen: recvmmsg: %s\n",
					strerror(-n));
				return 1;
			}
			/* Quiet for GRACE_MS after the marker: done. */
			if (x.until_seen || bench_now_ns() >= deadline)
				break;
			continue;
		}
		now = bench_now_ns();
		x.batches++;
		for (int i = 0; i < n; i++) {
			const unsigned char *p = bench_mmsg_buf(&m, (unsigned)i);
			size_t len = m.msgs[i].msg_len;
			/* A run (UDP_GRO): datagrams of seg bytes, the last
			 * possibly shorter. */
			size_t seg = mcb_gro_size(&m.msgs[i].msg_hdr);

			if (m.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				x.received++;
				x.bad++;
				continue;
			}
			if (!seg || seg > len)
				seg = len;
			/* At least once: an empty datagram is one too. */
			for (size_t off = 0; off == 0 || off < len; off += seg) {
				size_t k = len - off < seg ? len - off : seg;

				x.received++;
				if (x.fmt == F_RAW)
					on_raw(&x, p + off, k, now);
				else
					on_event(&x, p + off, k, now);
				if (!seg)
					break;
			}
		}
		/* After the marker, wait GRACE_MS for stragglers: the sender
		 * may have moved CPUs, so a datagram sent before the marker
		 * can still be in the other CPU's backlog. */
		if (x.until_seen && !grace) {
			bench_rcvtimeo(fd, GRACE_MS);
			grace = true;
		}
		/* A partial batch: the queue is empty.  Sleeping off the socket's
		 * wait queue lets datagrams collect without a wake-up each. */
		if (linger_us && n < BENCH_BATCH) {
			struct timespec ts = { 0, (long)linger_us * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	snprintf(prefix, sizeof(prefix), "listen%s%s", name ? " rx=" : "",
		 name ? name : "");
	bench_stats_print(stdout, prefix, &x.st);
	printf("listen summary%s%s received=%" PRIu64 " delivered=%" PRIu64
	       " batches=%" PRIu64 " sleeps=%" PRIu64
	       " bad=%" PRIu64
	       " bseq_missing=%" PRIu64 " bseq_reordered=%" PRIu64
	       " overrun_notices=%" PRIu64 " lost_events=%" PRIu64
	       " until_seen=%d cpu_ns=%" PRIu64 "\n", name ? " rx=" : "",
	       name ? name : "", x.received, x.delivered, x.batches,
	       bench_sleeps() - sleeps0, x.bad,
	       x.bseq_n ? x.bseq_max - x.bseq_min + 1 - x.bseq_n : 0,
	       x.bseq_back, x.overrun_notices, x.lost_events, x.until_seen,
	       bench_cpu_ns() - cpu0);
	bench_mmsg_free(&m);
	return 0;
usage:
	fprintf(stderr, "usage: mcb-bench-listen [--format json|binary|raw] "
		"[--group ADDR] [--port N] [--rcvbuf BYTES] [--until TAG] "
		"[--timeout S] [--latency] [--linger-us US] [--type N,...] "
		"[--family NAME] [--no-kernel-filter] [--name NAME] [--no-gro]\n");
	return 2;
}
