// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpora: corpus/fuzz_encode/ (fuzz_encode inputs: real
 * mcbridge events of each type, another family's event with nested, string
 * and binary attributes, a raw stream of two messages),
 * corpus/fuzz_decode/ (the datagrams the bridge makes of them, JSON and
 * binary, and its loss notices), corpus/fuzz_repair/ (repair requests,
 * a DATA message carrying datagrams, ENDs; plain and signed with the
 * target's key) and corpus/fuzz_refill/ (replies to a GET_EVENTS dump:
 * events with a hole and the dump's end, a refusal in NLMSG_DONE, one in
 * NLMSG_ERROR).   gen-seeds DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/repair.h>

#include "event.h"

static unsigned char a[4096];
static size_t alen;
static const char *dir;

static void put(uint16_t type, const void *p, size_t n)
{
	struct nlattr h = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	memcpy(a + alen, &h, sizeof(h));
	memcpy(a + alen + NLA_HDRLEN, p, n);
	memset(a + alen + NLA_HDRLEN + n, 0, NLA_ALIGN(n) - n);
	alen += NLA_HDRLEN + NLA_ALIGN(n);
}
static void put_u32(uint16_t t, uint32_t v) { put(t, &v, sizeof(v)); }
static void put_u64(uint16_t t, uint64_t v) { put(t, &v, sizeof(v)); }
static void put_str(uint16_t t, const char *s) { put(t, s, strlen(s) + 1); }

static void write_file(const char *sub, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		exit(1);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* One fuzz_encode seed and the two datagrams the bridge makes of it. */
static void seed(const char *name, bool mcbridge, uint8_t cmd, uint64_t kseq)
{
	static unsigned char in[8192], out[65536];
	struct mcb_nl_event ev = {
		.kind = MCB_KIND_EVENT, .family = mcbridge ? "mcbridge" : "fuzzfam",
		.group = "events", .is_mcbridge = mcbridge, .cmd = cmd,
		.genl_version = 1, .bridge_seq = 1, .bridge_time_ns = 1000,
		.has_kernel_seq = mcbridge, .kernel_seq = kseq,
		.has_kernel_time = mcbridge, .kernel_time_ns = 900,
		.attrs = a, .attr_len = (uint32_t)alen,
	};
	char fname[128];
	bool trunc;
	size_t n;

	in[0] = mcbridge ? 2 : 0;
	in[1] = cmd;
	in[2] = 1;
	memcpy(in + 3, a, alen);
	write_file("fuzz_encode", name, in, alen + 3);
	n = mcb_encode_json(&ev, out, sizeof(out), &trunc);
	snprintf(fname, sizeof(fname), "%s.json", name);
	write_file("fuzz_decode", fname, out, n);
	n = mcb_encode_binary(&ev, out, sizeof(out), &trunc);
	snprintf(fname, sizeof(fname), "%s.bin", name);
	write_file("fuzz_decode", fname, out, n);
}

/* Repair channel messages, plain and signed (fuzz_repair.c's key). */
static void repair_seeds(const void *dgram, size_t dlen)
{
	static const char k[] = "mcbridge fuzz key, 32 bytes long";
	static unsigned char out[65536];
	struct mcb_key key = { .len = sizeof(k) - 1 };
	struct mcb_auth auth;
	struct mcb_repair_msg m = {
		.type = MCB_REPAIR_RANGE, .run = 7, .session = 8, .req_seq = 9,
		.first = 1, .last = 5, .af = 4, .addr = { 225, 0, 0, 1 },
		.port = 7788, .family = "mcbridge", .group = "events",
	};
	size_t n;

	memcpy(key.bytes, k, key.len);
	if (mcb_auth_init(&auth, &key) < 0)
		exit(1);
	for (int s = 0; s < 2; s++) {
		struct mcb_auth *sign = s ? &auth : NULL;
		char name[32];

		m.type = MCB_REPAIR_RANGE;
		snprintf(name, sizeof(name), "range%s", s ? "-signed" : "");
		write_file("fuzz_repair", name, out,
			   mcb_repair_encode(&m, sign, out, sizeof(out)));
		m.type = MCB_REPAIR_LAST;
		m.count = 100;
		snprintf(name, sizeof(name), "last%s", s ? "-signed" : "");
		write_file("fuzz_repair", name, out,
			   mcb_repair_encode(&m, sign, out, sizeof(out)));
		m.type = MCB_REPAIR_END;
		m.lost_first = 1;
		m.lost_last = 2;
		m.held_first = 3;
		m.held_last = 5;
		snprintf(name, sizeof(name), "end%s", s ? "-signed" : "");
		write_file("fuzz_repair", name, out,
			   mcb_repair_encode(&m, sign, out, sizeof(out)));
	}
	m.type = MCB_REPAIR_DATA;
	n = mcb_repair_data_begin(&m, out);
	n = mcb_repair_data_add(out, n, sizeof(out), dgram, dlen);
	n = mcb_repair_data_add(out, n, sizeof(out), dgram, dlen);
	write_file("fuzz_repair", "data", out, n);
	mcb_auth_fini(&auth);
}

static void mcb_head(uint64_t seq, uint32_t type)
{
	alen = 0;
	put_u64(MCBRIDGE_ATTR_SEQ, seq);
	put_u64(MCBRIDGE_ATTR_TIMESTAMP_NS, 123456789);
	put_u32(MCBRIDGE_ATTR_TYPE, type);
	put_u32(MCBRIDGE_ATTR_CPU, 1);
}

/* Appends a netlink message (family 30, netlink seq 1) of the attributes
 * in a[] to buf; returns the new length. */
static size_t dump_msg(unsigned char *buf, size_t len, uint16_t type,
		       uint8_t cmd)
{
	struct nlmsghdr nlh = { .nlmsg_type = type, .nlmsg_seq = 1,
				.nlmsg_flags = NLM_F_MULTI };
	struct genlmsghdr g = { .cmd = cmd, .version = 1 };

	nlh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN + alen);
	memcpy(buf + len, &nlh, sizeof(nlh));
	memcpy(buf + len + NLMSG_HDRLEN, &g, sizeof(g));
	memcpy(buf + len + NLMSG_HDRLEN + GENL_HDRLEN, a, alen);
	return len + NLMSG_ALIGN(nlh.nlmsg_len);
}

/* NLMSG_DONE or NLMSG_ERROR (capped) with error err and a reason. */
static size_t dump_end(unsigned char *buf, size_t len, uint16_t type, int err)
{
	struct nlmsghdr nlh = { .nlmsg_type = type, .nlmsg_seq = 1,
				.nlmsg_flags = NLM_F_ACK_TLVS |
				(type == NLMSG_ERROR ? NLM_F_CAPPED : NLM_F_MULTI) };
	struct nlmsgerr e = { .error = err, .msg = { .nlmsg_len = NLMSG_HDRLEN } };
	size_t head = type == NLMSG_ERROR ? sizeof(e) : sizeof(err);

	alen = 0;
	if (err)
		put_str(NLMSGERR_ATTR_MSG, "mcbridge: history is off");
	nlh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + head + alen);
	memcpy(buf + len, &nlh, sizeof(nlh));
	if (type == NLMSG_ERROR)
		memcpy(buf + len + NLMSG_HDRLEN, &e, sizeof(e));
	else
		memcpy(buf + len + NLMSG_HDRLEN, &err, sizeof(err));
	memcpy(buf + len + NLMSG_HDRLEN + head, a, alen);
	return len + NLMSG_ALIGN(nlh.nlmsg_len);
}

static void refill_seeds(void)
{
	static unsigned char buf[8192];
	size_t len = 0;

	/* Events 5, 6 and 8 (7 left the history), the range, the end. */
	for (uint64_t q = 5; q <= 8; q++) {
		if (q == 7)
			continue;
		mcb_head(q, MCBRIDGE_EVENT_INJECTED);
		put_str(MCBRIDGE_ATTR_TEXT, "refill");
		len = dump_msg(buf, len, 30, MCBRIDGE_CMD_EVENT);
	}
	alen = 0;
	put_u64(MCBRIDGE_ATTR_FROM_SEQ, 2);
	put_u64(MCBRIDGE_ATTR_TO_SEQ, 8);
	put_u64(MCBRIDGE_ATTR_HISTORY_FIRST, 5);
	len = dump_msg(buf, len, 30, MCBRIDGE_CMD_GET_EVENTS);
	len = dump_end(buf, len, NLMSG_DONE, 0);
	write_file("fuzz_refill", "dump", buf, len);
	write_file("fuzz_refill", "refused-done", buf,
		   dump_end(buf, 0, NLMSG_DONE, -95));
	write_file("fuzz_refill", "refused-error", buf,
		   dump_end(buf, 0, NLMSG_ERROR, -95));
}

int main(int argc, char **argv)
{
	static unsigned char out[65536], raw[8192];
	static const enum mcb_wire_kind notices[] = { MCB_KIND_LOST, MCB_KIND_OVERRUN };
	unsigned char nest[64];
	size_t nlen, rlen;
	bool trunc;

	if (argc != 2)
		return 2;
	dir = argv[1];

	mcb_head(10, MCBRIDGE_EVENT_NETDEV);
	put_u32(MCBRIDGE_ATTR_IFINDEX, 3);
	put_str(MCBRIDGE_ATTR_IFNAME, "eth0");
	put_u32(MCBRIDGE_ATTR_NETDEV_EVENT, 3);
	put_u32(MCBRIDGE_ATTR_IFFLAGS, 0x1003);
	put_u32(MCBRIDGE_ATTR_MTU, 1500);
	seed("netdev", true, MCBRIDGE_CMD_EVENT, 10);

	mcb_head(11, MCBRIDGE_EVENT_MODULE);
	put_str(MCBRIDGE_ATTR_MODULE_NAME, "veth");
	put_u32(MCBRIDGE_ATTR_MODULE_STATE, 1);
	seed("module", true, MCBRIDGE_CMD_EVENT, 11);

	mcb_head(12, MCBRIDGE_EVENT_HEARTBEAT);
	put_str(MCBRIDGE_ATTR_TEXT, "Hello, I am server!");
	seed("heartbeat", true, MCBRIDGE_CMD_EVENT, 12);

	mcb_head(13, MCBRIDGE_EVENT_INJECTED);
	put_str(MCBRIDGE_ATTR_TEXT, "quote \" backslash \\ tab \t \xff\xfe bytes");
	seed("injected", true, MCBRIDGE_CMD_EVENT, 13);

	/* Another family: numbers of each width, a string, bytes, a nest. */
	alen = 0;
	put_u32(1, 7);
	put(2, "\x01\x02", 2);
	put_u64(3, 1ull << 40);
	put_str(4, "name");
	put(5, "\x00\xff\x10", 3);
	nlen = alen;
	memcpy(nest, a, nlen);
	alen = 0;
	put_u32(1, 7);
	put_str(4, "name");
	put(5, "\x00\xff\x10", 3);
	put(6 | NLA_F_NESTED, nest, nlen > sizeof(nest) ? 0 : nlen);
	seed("generic", false, 3, 0);

	/* A raw stream: two mcbridge messages with a seq gap between. */
	rlen = 0;
	for (int i = 0; i < 2; i++) {
		struct nlmsghdr nlh = { .nlmsg_type = 0x1c };
		struct genlmsghdr g = { .cmd = MCBRIDGE_CMD_EVENT, .version = 1 };

		mcb_head(i ? 20 : 14, MCBRIDGE_EVENT_INJECTED);
		put_str(MCBRIDGE_ATTR_TEXT, "raw");
		nlh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN + alen);
		memcpy(raw + 1 + rlen, &nlh, sizeof(nlh));
		memcpy(raw + 1 + rlen + NLMSG_HDRLEN, &g, sizeof(g));
		memcpy(raw + 1 + rlen + NLMSG_HDRLEN + GENL_HDRLEN, a, alen);
		rlen += NLMSG_ALIGN(nlh.nlmsg_len);
	}
	raw[0] = 1 | 2;
	write_file("fuzz_encode", "raw-gap", raw, rlen + 1);

	for (size_t i = 0; i < 2; i++) {
		struct mcb_nl_event ev = {
			.kind = notices[i], .family = "mcbridge", .group = "events",
			.bridge_seq = 5, .count = 6, .has_kernel_seq = i == 0,
			.kernel_seq = 20,
		};
		const char *name = i ? "overrun" : "lost";
		char fname[64];
		size_t n;

		n = mcb_encode_json(&ev, out, sizeof(out), &trunc);
		snprintf(fname, sizeof(fname), "%s.json", name);
		write_file("fuzz_decode", fname, out, n);
		n = mcb_encode_binary(&ev, out, sizeof(out), &trunc);
		snprintf(fname, sizeof(fname), "%s.bin", name);
		write_file("fuzz_decode", fname, out, n);
		if (i == 0)
			repair_seeds(out, n);
	}
	refill_seeds();
	return 0;
}
