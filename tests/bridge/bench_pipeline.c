// SPDX-License-Identifier: MIT
/*
 * Benchmark (not a test): mcbridge netlink events through parse -> encode
 * -> sendmmsg to loopback multicast, and the encoders alone.  Prints
 * events per second.  make -C bridge bench
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/mcbridge.h>

#include "loop.h"

#define N_EVENTS	1000000
#define BATCH		64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* BATCH netdev events back to back, as one recvmmsg round would give. */
static size_t build(unsigned char *buf, uint64_t seq0)
{
	size_t len = 0;

	for (int i = 0; i < BATCH; i++) {
		struct nl_msg *m = nlmsg_alloc();

		genlmsg_put(m, 0, 0, 30, 0, 0, MCBRIDGE_CMD_EVENT, 1);
		nla_put_u64(m, MCBRIDGE_ATTR_SEQ, seq0 + (uint64_t)i);
		nla_put_u64(m, MCBRIDGE_ATTR_TIMESTAMP_NS, 123456789);
		nla_put_u32(m, MCBRIDGE_ATTR_TYPE, MCBRIDGE_EVENT_NETDEV);
		nla_put_u32(m, MCBRIDGE_ATTR_CPU, 1);
		nla_put_u32(m, MCBRIDGE_ATTR_IFINDEX, 7);
		nla_put_string(m, MCBRIDGE_ATTR_IFNAME, "veth0");
		nla_put_u32(m, MCBRIDGE_ATTR_NETDEV_EVENT, MCBRIDGE_NETDEV_UP);
		nla_put_u32(m, MCBRIDGE_ATTR_IFFLAGS, 4099);
		nla_put_u32(m, MCBRIDGE_ATTR_MTU, 1500);
		memcpy(buf + len, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		len += NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
	}
	return len;
}

static void run(enum mcb_format fmt, bool send)
{
	static unsigned char buf[BATCH * 512];
	static char out[MCB_WIRE_MAX_DATAGRAM];
	struct mcb_log lg = { 0 };
	struct mcb_map_cfg cfg = { .family = "mcbridge", .group = "events" };
	struct mcb_mapping m;
	size_t len;
	double t0, dt;
	bool trunc;

	cfg.dest.sin_family = AF_INET;
	cfg.dest.sin_port = htons(7799);
	inet_pton(AF_INET, "225.0.0.1", &cfg.dest.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &cfg.iface);
	cfg.format = fmt;
	memset(&m, 0, sizeof(m));
	mcb_mapping_init(&m, &cfg, MCB_WIRE_MAX_DATAGRAM, 0);
	if (mcb_sink_open(&m.sink, &cfg, m.max_datagram, BATCH, &lg))
		exit(1);
	m.src.cfg = &cfg;
	m.src.is_mcbridge = true;
	m.src.state = MCB_SRC_SUBSCRIBED;
	m.src.family_id = 30;
	m.src.emit = mcb_mapping_emit;
	m.src.emit_ctx = &m;

	len = build(buf, 1);
	t0 = now_s();
	for (int i = 0; i < N_EVENTS / BATCH; i++) {
		if (send) {
			/* Keep the kernel seq contiguous: no lost notices. */
			m.src.kseq_valid = false;
			mcb_nlsrc_process(&m.src, buf, len, false, 0, 1);
			mcb_sink_flush(&m.sink);
		} else {
			struct mcb_nl_event ev;
			struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
			int rem = (int)len;

			for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
				struct genlmsghdr *g = nlmsg_data(nlh);

				memset(&ev, 0, sizeof(ev));
				ev.kind = MCB_KIND_EVENT;
				ev.family = "mcbridge";
				ev.group = "events";
				ev.is_mcbridge = true;
				ev.cmd = g->cmd;
				ev.attrs = genlmsg_attrdata(g, 0);
				ev.attr_len = (uint32_t)genlmsg_attrlen(g, 0);
				if (!m.encode(&ev, out, sizeof(out), &trunc))
					exit(1);
			}
		}
	}
	dt = now_s() - t0;
	printf("%-6s %-22s %9.0f events/s (%d events, %.3f s)\n",
	       mcb_format_name(fmt), send ? "parse+encode+sendmmsg" : "encode only",
	       (N_EVENTS / BATCH * BATCH) / dt, N_EVENTS / BATCH * BATCH, dt);
	mcb_sink_close(&m.sink);
}

int main(void)
{
	run(MCB_FMT_JSON, false);
	run(MCB_FMT_BINARY, false);
	run(MCB_FMT_JSON, true);
	run(MCB_FMT_BINARY, true);
	return 0;
}
