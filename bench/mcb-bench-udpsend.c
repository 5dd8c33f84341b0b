// SPDX-License-Identifier: MIT
/*
 * mcb-bench-udpsend: the multicast sender of the benchmarks.
 *
 *   mcb-bench-udpsend --tag T --count N [--size BYTES] [--rate R]
 *                     [--tick-us P] [--group ADDR] [--port N]
 *                     [--encode json|binary [--types K]]
 *                     [--end-tag E [--end-for S]]
 *
 * Sends N datagrams to the group through 127.0.0.1 with mcbridged's own
 * sink (bridge/mcsink.c: TTL 0, loop on, connected socket, runs of
 * equal-sized datagrams as one UDP_SEGMENT message), so that it sends
 * exactly as the bridge does: by default raw datagrams of BYTES bytes
 * (struct bench_raw, then padding), the multicast baseline.
 *
 * --encode: instead, the datagrams mcbridged would send for the module's
 * events (mcbridge/events, the module's layout: bench.h bench_evmsg),
 * encoded by the bridge's own encoder with bridge_seq = kernel seq =
 * 1, 2, ... and the send time as timestamp_ns; --types K: event types
 * 1..K in turn (default: all "injected").  For the listeners' side of the
 * kernel-filter benchmark, which needs the mcbridge family's types.
 *
 * --rate 0 (default) sends as fast as it can, 64 datagrams per flush like
 * mcbridged; otherwise the datagrams due each tick.  Each datagram carries
 * its send time.  Prints one line:
 *
 *   udpsend tag=T sent=N errors=N elapsed_ns=E cpu_ns=NS
 *
 * (cpu_ns: CPU time of the sending, without startup).
 *
 * --end-tag E: then one datagram tagged E (with --types, of type 1) at once
 * and every half second for S seconds (default 120), until killed: the
 * receivers' end marker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/wire.h>

#include "bench.h"
#include "event.h"
#include "mcsink.h"
#include "udpraw.h"

static void usage(void)
{
	fprintf(stderr, "usage: mcb-bench-udpsend --tag T --count N [--size B] "
		"[--rate R] [--tick-us P] [--group ADDR] [--port N] "
		"[--encode json|binary [--types K]] "
		"[--end-tag E [--end-for S]]\n");
	exit(2);
}

struct sender {
	struct mcb_sink sink;
	/* raw */
	unsigned char *tmpl;
	size_t size;
	/* --encode */
	mcb_encode_fn encode;
	struct bench_evmsg ev;
	unsigned types;		/* 0: "injected" only */
	unsigned char msg[sizeof(((struct bench_evmsg *)0)->buf)];
	uint64_t seq;
};

/* Queues datagram seq: the raw template, or an encoded event. */
static void queue(struct sender *s, uint64_t seq, uint64_t now)
{
	unsigned char *p = mcb_sink_reserve(&s->sink);
	bool trunc;
	size_t len;

	if (!s->encode) {
		memcpy(p, s->tmpl, s->size);
		memcpy(p + offsetof(struct bench_raw, seq), &seq, sizeof(seq));
		memcpy(p + offsetof(struct bench_raw, sent_ns), &now,
		       sizeof(now));
		mcb_sink_commit(&s->sink, s->size);
		return;
	}
	bench_evmsg_put(&s->ev, s->msg, seq, now, s->types ?
			(uint32_t)(1 + (seq - 1) % s->types) :
			MCBRIDGE_EVENT_INJECTED);
	{
		struct mcb_nl_event ev = {
			.kind = MCB_KIND_EVENT, .family = MCBRIDGE_GENL_NAME,
			.group = MCBRIDGE_MCGRP_EVENTS, .is_mcbridge = true,
			.cmd = MCBRIDGE_CMD_EVENT,
			.genl_version = MCBRIDGE_GENL_VERSION,
			.bridge_seq = seq, .bridge_time_ns = now,
			.has_kernel_seq = true, .has_kernel_time = true,
			.kernel_seq = seq, .kernel_time_ns = now,
			.attrs = s->msg + NLMSG_HDRLEN + GENL_HDRLEN,
			.attr_len = (uint32_t)(s->ev.len - NLMSG_HDRLEN -
					       GENL_HDRLEN),
		};

		len = s->encode(&ev, p, s->size, &trunc);
	}
	if (!len) {
		fprintf(stderr, "udpsend: cannot encode\n");
		exit(1);
	}
	mcb_sink_commit(&s->sink, len);
}

static void set_tag(struct sender *s, const char *tag)
{
	struct bench_raw h = { .magic = BENCH_RAW_MAGIC };
	char text[BENCH_TEXT_LEN + 1];

	if (s->encode) {
		bench_make_text(text, BENCH_TEXT_LEN, tag);
		if (bench_evmsg_build(&s->ev, 0, text) < 0)
			exit(1);
		return;
	}
	strncpy(h.tag, tag, sizeof(h.tag) - 1);
	memcpy(s->tmpl, &h, sizeof(h));
	memset(s->tmpl + sizeof(h), '.', s->size - sizeof(h));
}

static void send_marker(void *ctx)
{
	struct sender *s = ctx;

	queue(s, s->seq + 1, bench_now_ns());
	if (mcb_sink_flush(&s->sink))
		fprintf(stderr, "udpsend: end marker not sent\n");
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
		{ "encode", required_argument, NULL, 'E' },
		{ "types", required_argument, NULL, 'y' },
		{ "end-tag", required_argument, NULL, 'e' },
		{ "end-for", required_argument, NULL, 'f' },
		{ 0 }
	};
	const char *end_tag = NULL;
	double end_for = 120;
	struct mcb_map_cfg cfg = {
		.family = "bench", .group = "udpsend", .ttl = 0,
		.dest = { .sin_family = AF_INET,
			  .sin_port = htons(MCB_DEFAULT_PORT) },
	};
	struct mcb_log lg = { 0 };
	static struct sender sd;
	struct mcb_sink *sink = &sd.sink;
	struct bench_pacer pc;
	const char *tag = NULL, *group = MCB_DEFAULT_GROUP;
	uint64_t count = 0, size = 256, rate = 0, tick_ns = 1000000;
	uint64_t sent = 0, errors = 0, start, cpu0;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'T': tag = bench_arg_tag("--tag", optarg); break;
		case 'n': count = bench_arg_u64("--count", optarg, 1, UINT32_MAX); break;
		case 's': size = bench_arg_u64("--size", optarg, sizeof(struct bench_raw), MCB_WIRE_MAX_DATAGRAM); break;
		case 'r': rate = bench_arg_u64("--rate", optarg, 0, 100000000); break;
		case 'k': tick_ns = 1000 * bench_arg_u64("--tick-us", optarg, 10, 1000000); break;
		case 'g': group = optarg; break;
		case 'p': cfg.dest.sin_port = htons((uint16_t)bench_arg_u64("--port", optarg, 1, 65535)); break;
		case 'E':
			if (!strcmp(optarg, "json"))
				sd.encode = mcb_encode_json;
			else if (!strcmp(optarg, "binary"))
				sd.encode = mcb_encode_binary;
			else
				usage();
			break;
		case 'y': sd.types = (unsigned)bench_arg_u64("--types", optarg, 1, MCBRIDGE_EVENT_MAX); break;
		case 'e': end_tag = bench_arg_tag("--end-tag", optarg); break;
		case 'f': end_for = bench_arg_double("--end-for", optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (!tag || !count || optind != argc || (sd.types && !sd.encode) ||
	    inet_pton(AF_INET, group, &cfg.dest.sin_addr) != 1)
		usage();
	if (sd.encode)
		size = MCB_WIRE_MAX_DATAGRAM;	/* the encoder's room */
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &cfg.iface);
	if (mcb_sink_open(sink, &cfg, size, BENCH_BATCH, &lg) < 0)
		return 1;

	sd.size = size;
	sd.tmpl = malloc(size);
	if (!sd.tmpl)
		return 1;
	set_tag(&sd, tag);

	cpu0 = bench_cpu_ns();	/* CPU of the run only, not of startup */
	start = bench_now_ns();
	/* Unpaced: 64 datagrams per flush, like mcbridged. */
	bench_pacer_start(&pc, rate, count, tick_ns, BENCH_BATCH);
	while (sent + errors < count) {
		uint64_t now = bench_now_ns(), k = bench_pacer_due(&pc, sent + errors);

		for (uint64_t i = 0; i < k; i++)
			queue(&sd, sent + errors + i + 1, now);
		mcb_sink_flush(sink);
		sent = sink->st.sent;
		errors = sink->st.send_errors;
		if (sent + errors < count)
			bench_pacer_wait(&pc);
	}
	printf("udpsend tag=%s sent=%" PRIu64 " errors=%" PRIu64
	       " elapsed_ns=%" PRIu64 " cpu_ns=%" PRIu64 "\n", tag, sent,
	       errors, bench_now_ns() - start, bench_cpu_ns() - cpu0);
	fflush(stdout);
	if (end_tag) {
		set_tag(&sd, end_tag);
		if (sd.types)
			sd.types = 1;
		sd.seq = count;
		bench_end_markers(end_for, send_marker, &sd);
	}
	mcb_sink_close(sink);
	free(sd.tmpl);
	return 0;
}
