// SPDX-License-Identifier: MIT
/* Unit tests: JSON and binary encoding of events and notices. */
#include "testutil.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#define FAM_ID 0x20

static char out[MCB_WIRE_MAX_DATAGRAM + 1];

/* Encode as JSON into out (NUL-terminated for string asserts). */
static size_t json(const struct mcb_nl_event *ev, size_t cap, bool *trunc)
{
	size_t n;

	memset(out, 0x5a, sizeof(out));
	n = mcb_encode_json(ev, out, cap, trunc);
	assert_true(n <= cap);
	/* Nothing written past the limit. */
	for (size_t i = cap; i < sizeof(out) && i < cap + 64; i++)
		assert_int_equal(out[i], 0x5a);
	out[n] = '\0';
	return n;
}

static struct nl_msg *netdev_msg(uint32_t nd_event)
{
	struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);

	assert_int_equal(nla_put(m, MCBRIDGE_ATTR_PAD, 0, NULL), 0);
	assert_int_equal(nla_put_u64(m, MCBRIDGE_ATTR_SEQ, 42), 0);
	assert_int_equal(nla_put_u64(m, MCBRIDGE_ATTR_TIMESTAMP_NS,
				     1000000000123ull), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_TYPE,
				     MCBRIDGE_EVENT_NETDEV), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_CPU, 3), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_IFINDEX, 5), 0);
	assert_int_equal(nla_put_string(m, MCBRIDGE_ATTR_IFNAME, "veth0"), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_NETDEV_EVENT, nd_event), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_IFFLAGS, 4099), 0);
	assert_int_equal(nla_put_u32(m, MCBRIDGE_ATTR_MTU, 1400), 0);
	return m;
}

static void json_netdev_all_fields(void **state)
{
	struct nl_msg *m = netdev_msg(MCBRIDGE_NETDEV_CHANGEMTU);
	struct mcb_nl_event ev;
	bool trunc = true;
	size_t n;

	(void)state;
	t_event(&ev, m, "mcbridge", "events", true);
	ev.bridge_seq = 7;
	ev.bridge_time_ns = 123;
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_false(trunc);
	assert_string_equal(out,
		"{\"kind\":\"event\",\"family\":\"mcbridge\",\"group\":\"events\","
		"\"bridge_seq\":7,\"bridge_time_ns\":123,\"cmd\":\"event\","
		"\"cmd_id\":1,\"seq\":42,\"timestamp_ns\":1000000000123,"
		"\"type\":\"netdev\",\"cpu\":3,\"ifindex\":5,\"ifname\":\"veth0\","
		"\"netdev_event\":\"changemtu\",\"ifflags\":4099,\"mtu\":1400}\n");
	assert_true(t_json_datagram(out, n));
	nlmsg_free(m);
}

static void json_netdev_event_names(void **state)
{
	static const char *const want[] = {
		NULL, "register", "unregister", "up", "down", "change",
		"rename", "changemtu", "changeaddr",
	};
	struct mcb_nl_event ev;
	bool trunc;
	char key[64];

	(void)state;
	for (uint32_t v = 1; v <= MCBRIDGE_NETDEV_MAX; v++) {
		struct nl_msg *m = netdev_msg(v);

		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		snprintf(key, sizeof(key), "\"netdev_event\":\"%s\"", want[v]);
		assert_non_null(strstr(out, key));
		nlmsg_free(m);
	}
	/* A value without a name is written as a number. */
	{
		struct nl_msg *m = netdev_msg(77);

		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		assert_non_null(strstr(out, "\"netdev_event\":77,"));
		nlmsg_free(m);
	}
}

static void json_module_and_types(void **state)
{
	static const char *const types[] = {
		NULL, "netdev", "module", "heartbeat", "injected",
	};
	static const char *const states[] = { NULL, "coming", "live", "going" };
	struct mcb_nl_event ev;
	bool trunc;
	char want[128];

	(void)state;
	for (uint32_t t = 1; t <= MCBRIDGE_EVENT_MAX; t++) {
		struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);

		nla_put_u32(m, MCBRIDGE_ATTR_TYPE, t);
		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		snprintf(want, sizeof(want), "\"cmd_id\":1,\"type\":\"%s\"}\n",
			 types[t]);
		assert_non_null(strstr(out, want));
		nlmsg_free(m);
	}
	for (uint32_t s = 1; s <= MCBRIDGE_MODULE_MAX; s++) {
		struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);

		nla_put_u32(m, MCBRIDGE_ATTR_TYPE, MCBRIDGE_EVENT_MODULE);
		nla_put_string(m, MCBRIDGE_ATTR_MODULE_NAME, "dummy");
		nla_put_u32(m, MCBRIDGE_ATTR_MODULE_STATE, s);
		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		snprintf(want, sizeof(want), "\"type\":\"module\",\"module\":"
			 "\"dummy\",\"module_state\":\"%s\"}\n", states[s]);
		assert_non_null(strstr(out, want));
		nlmsg_free(m);
	}
	/* Other commands by name, unknown ones as the number in a string. */
	{
		struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_GET_STATS);

		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		assert_non_null(strstr(out, "\"cmd\":\"get-stats\",\"cmd_id\":3}"));
		nlmsg_free(m);
		m = t_msg(FAM_ID, 200);
		t_event(&ev, m, "mcbridge", "events", true);
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		assert_non_null(strstr(out, "\"cmd\":\"200\",\"cmd_id\":200}"));
		nlmsg_free(m);
	}
}

/* Text with every kind of byte that needs care in JSON. */
static void json_escaping(void **state)
{
	static const unsigned char text[] =
		"q\"b\\s/\b\f\n\r\t\x01\x1f\x7f"
		"\0nul"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"	/* valid: e-acute, euro, emoji */
		"\xff\xfe"				/* never valid */
		"\xc0\xaf"				/* overlong '/' */
		"\xed\xa0\x80"				/* surrogate */
		"\xf4\x90\x80\x80"			/* > U+10FFFF */
		"\xe2\x82";				/* cut short */
	struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);
	struct mcb_nl_event ev;
	bool trunc;
	size_t n;

	(void)state;
	/* sizeof includes the final NUL, which is the terminator. */
	assert_int_equal(nla_put(m, MCBRIDGE_ATTR_TEXT, sizeof(text), text), 0);
	t_event(&ev, m, "mcbridge", "events", true);
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_true(t_json_datagram(out, n));
	assert_non_null(strstr(out,
		"\"text\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f"
		"\\u0000nul"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
		"\\u00ff\\u00fe"
		"\\u00c0\\u00af"
		"\\u00ed\\u00a0\\u0080"
		"\\u00f4\\u0090\\u0080\\u0080"
		"\\u00e2\\u0082\"}\n"));
	nlmsg_free(m);

	/* A string without its NUL keeps every byte; the family name too is
	 * escaped. */
	m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);
	assert_int_equal(nla_put(m, MCBRIDGE_ATTR_IFNAME, 3, "a\"b"), 0);
	t_event(&ev, m, "mcbridge", "ev\"s", true);
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_true(t_json_datagram(out, n));
	assert_non_null(strstr(out, "\"group\":\"ev\\\"s\""));
	assert_non_null(strstr(out, "\"ifname\":\"a\\\"b\"}"));
	nlmsg_free(m);
}

/* Attributes without a key, of the wrong size, or repeated: in "attrs". */
static void json_mcbridge_unnamed(void **state)
{
	struct nl_msg *m = t_msg(FAM_ID, MCBRIDGE_CMD_EVENT);
	struct nlattr *nest;
	struct mcb_nl_event ev;
	bool trunc;
	size_t n;

	(void)state;
	nla_put_u64(m, MCBRIDGE_ATTR_SEQ, 9);
	nla_put_string(m, MCBRIDGE_ATTR_IFNAME, "a");
	nla_put_string(m, MCBRIDGE_ATTR_IFNAME, "b");
	nla_put_u16(m, MCBRIDGE_ATTR_MTU, 1500);	/* wrong size */
	nla_put_u32(m, MCBRIDGE_ATTR_COUNT, 10);
	nest = nla_nest_start(m, MCBRIDGE_ATTR_STATS);
	nla_put_u64(m, MCBRIDGE_STATS_NETDEV, 5);
	nla_nest_end(m, nest);
	nla_put_u32(m, 99, 1);
	t_event(&ev, m, "mcbridge", "events", true);
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_true(t_json_datagram(out, n));
	assert_string_equal(out,
		"{\"kind\":\"event\",\"family\":\"mcbridge\",\"group\":\"events\","
		"\"bridge_seq\":0,\"bridge_time_ns\":0,\"cmd\":\"event\","
		"\"cmd_id\":1,\"seq\":9,\"ifname\":\"a\",\"attrs\":["
		"{\"type\":7,\"len\":2,\"u16\":98},"	/* "b": 2 bytes */
		"{\"type\":10,\"len\":2,\"u16\":1500},"
		"{\"type\":14,\"len\":4,\"u32\":10},"
		"{\"type\":15,\"len\":12,\"nested\":[{\"type\":2,\"len\":8,"
		"\"u64\":5}]},"
		"{\"type\":99,\"len\":4,\"u32\":1}]}\n");
	nlmsg_free(m);
}

/* Other families: typed generic attributes. */
static void json_foreign(void **state)
{
	struct nl_msg *m = t_msg(0x15, 13);
	struct nlattr *nest, *inner;
	struct mcb_nl_event ev;
	bool trunc;
	size_t n;
	static const unsigned char blob[5] = { 1, 2, 0xab, 0, 0xff };
	static const unsigned char badstr[4] = { 'a', 0x01, 'b', 0 };

	(void)state;
	nla_put_u8(m, 1, 200);
	nla_put_u16(m, 2, 65535);
	nla_put_u32(m, 3, 4000000000u);
	nla_put_u64(m, 4, 18446744073709551615ull);
	nla_put_string(m, 5, "eth0");
	nla_put(m, 6, sizeof(blob), blob);
	nla_put_flag(m, 7);
	nla_put_u16(m, 8 | NLA_F_NET_BYTEORDER, htobe16(8080));
	nest = nla_nest_start(m, 9);	/* libnl sets NLA_F_NESTED */
	nla_put_u32(m, 1, 1);
	inner = nla_nest_start(m, 2);
	nla_put_string(m, 1, "x\"y");
	nla_nest_end(m, inner);
	nla_nest_end(m, nest);
	nla_put(m, 10, sizeof(badstr), badstr);	/* control char: not str */
	nla_put_string(m, 11, "ab");		/* len 3: str */
	nla_put(m, 12, 2, "a");			/* len 2: a u16 */
	t_event(&ev, m, "ethtool", "monitor", false);
	ev.bridge_seq = 1;
	ev.bridge_time_ns = 2;
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_false(trunc);
	assert_true(t_json_datagram(out, n));
	assert_string_equal(out,
		"{\"kind\":\"event\",\"family\":\"ethtool\",\"group\":\"monitor\","
		"\"bridge_seq\":1,\"bridge_time_ns\":2,\"cmd\":\"13\","
		"\"cmd_id\":13,\"attrs\":["
		"{\"type\":1,\"len\":1,\"u8\":200},"
		"{\"type\":2,\"len\":2,\"u16\":65535},"
		"{\"type\":3,\"len\":4,\"u32\":4000000000},"
		"{\"type\":4,\"len\":8,\"u64\":18446744073709551615},"
		"{\"type\":5,\"len\":5,\"str\":\"eth0\"},"
		"{\"type\":6,\"len\":5,\"hex\":\"0102ab00ff\"},"
		"{\"type\":7,\"len\":0,\"hex\":\"\"},"
		"{\"type\":8,\"len\":2,\"u16\":8080},"
		"{\"type\":9,\"len\":20,\"nested\":["
		"{\"type\":1,\"len\":4,\"u32\":1},"
		"{\"type\":2,\"len\":8,\"nested\":[{\"type\":1,\"len\":4,"
		"\"str\":\"x\\\"y\"}]}]},"
		"{\"type\":10,\"len\":4,\"u32\":6422881},"
		"{\"type\":11,\"len\":3,\"str\":\"ab\"},"
		"{\"type\":12,\"len\":2,\"u16\":97}]}\n");
	nlmsg_free(m);
}

/* nlctrl nests without NLA_F_NESTED are still shown as nested. */
static void json_foreign_unflagged_nest(void **state)
{
	struct nl_msg *m = t_msg(0x10, 1);
	struct mcb_nl_event ev;
	unsigned char nest[24];
	struct nlattr a;
	uint32_t v = 7;
	bool trunc;

	(void)state;
	/* Two u32 attributes = 16 bytes, plus a third = 24: length not 4/8. */
	for (int i = 0; i < 3; i++) {
		a.nla_len = 8;
		a.nla_type = (uint16_t)(i + 1);
		memcpy(nest + i * 8, &a, 4);
		memcpy(nest + i * 8 + 4, &v, 4);
	}
	nla_put(m, 6, sizeof(nest), nest);
	t_event(&ev, m, "nlctrl", "notify", false);
	json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_non_null(strstr(out, "\"attrs\":[{\"type\":6,\"len\":24,"
		"\"nested\":[{\"type\":1,\"len\":4,\"u32\":7},{\"type\":2,"
		"\"len\":4,\"u32\":7},{\"type\":3,\"len\":4,\"u32\":7}]}]}\n"));
	nlmsg_free(m);
}

/* An overrun notice of ethtool/monitor, bridge_seq 5 at time 6. */
static void overrun_notice(struct mcb_nl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = MCB_KIND_OVERRUN;
	ev->family = "ethtool";
	ev->group = "monitor";
	ev->bridge_seq = 5;
	ev->bridge_time_ns = 6;
	ev->count = 1;
}

static void json_notices(void **state)
{
	struct mcb_nl_event ev;
	bool trunc;

	(void)state;
	overrun_notice(&ev);
	json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_string_equal(out, "{\"kind\":\"overrun\",\"family\":\"ethtool\","
		"\"group\":\"monitor\",\"bridge_seq\":5,\"bridge_time_ns\":6,"
		"\"count\":1}\n");
	ev.kind = MCB_KIND_LOST;
	ev.family = "mcbridge";
	ev.group = "events";
	ev.count = 3;
	ev.has_kernel_seq = true;
	ev.kernel_seq = 11;
	json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_string_equal(out, "{\"kind\":\"lost\",\"family\":\"mcbridge\","
		"\"group\":\"events\",\"bridge_seq\":5,\"bridge_time_ns\":6,"
		"\"count\":3,\"kernel_seq\":11}\n");
	assert_false(trunc);
}

/* Numbers at every digit-count boundary, written exactly. */
static void json_numbers(void **state)
{
	static const uint64_t values[] = {
		0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 4099, 65535,
		1000000000123ull, 9999999999999999999ull,
		10000000000000000000ull, 18446744073709551615ull,
	};
	struct mcb_nl_event ev;
	char want[256];
	bool trunc;

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = MCB_KIND_OVERRUN;
		ev.family = "f";
		ev.group = "g";
		ev.bridge_seq = values[i];
		ev.bridge_time_ns = values[(i + 1) % (sizeof(values) /
						     sizeof(values[0]))];
		ev.count = values[i] / 10;
		json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
		snprintf(want, sizeof(want), "{\"kind\":\"overrun\","
			 "\"family\":\"f\",\"group\":\"g\","
			 "\"bridge_seq\":%llu,\"bridge_time_ns\":%llu,"
			 "\"count\":%llu}\n",
			 (unsigned long long)ev.bridge_seq,
			 (unsigned long long)ev.bridge_time_ns,
			 (unsigned long long)ev.count);
		assert_string_equal(out, want);
	}
}

/* Every limit from too small to enough: well-formed, whole attributes. */
static void json_truncation_sweep(void **state)
{
	struct nl_msg *m = netdev_msg(MCBRIDGE_NETDEV_UP);
	struct nl_msg *f = t_msg(0x15, 2);
	char full[4096], text[256];
	struct mcb_nl_event ev;
	size_t full_len, n;
	bool trunc;

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	nla_put_string(m, MCBRIDGE_ATTR_TEXT, text);
	nla_put_u32(m, 50, 1);	/* generic: exercises the "attrs" part */
	for (int i = 0; i < 20; i++)
		nla_put_string(f, i + 1, "some text that takes room");

	for (int which = 0; which < 2; which++) {
		if (which == 0)
			t_event(&ev, m, "mcbridge", "events", true);
		else
			t_event(&ev, f, "ethtool", "monitor", false);
		full_len = json(&ev, sizeof(full), &trunc);
		assert_false(trunc);
		memcpy(full, out, full_len);
		for (size_t cap = 0; cap <= full_len + 2; cap++) {
			n = json(&ev, cap, &trunc);
			if (n == 0) {
				/* Only when not even the fixed fields fit. */
				assert_true(cap < 200);
				continue;
			}
			assert_true(t_json_datagram(out, n));
			if (cap >= full_len) {
				assert_false(trunc);
				assert_int_equal(n, full_len);
				assert_memory_equal(out, full, n);
				continue;
			}
			assert_true(trunc);
			assert_non_null(strstr(out, ",\"truncated\":true}\n"));
			/* Fixed fields always kept. */
			assert_non_null(strstr(out, "\"cmd_id\":"));
			/* A prefix of the full object, cut between attributes. */
			{
				char *t = strstr(out, ",\"truncated\"");
				size_t keep = (size_t)(t - out);

				if (out[keep - 1] == ']')
					keep--;	/* closed "attrs" list */
				assert_memory_equal(out, full, keep);
				assert_true(full[keep] == ',' || full[keep] == '}'
					    || full[keep] == ']');
			}
		}
	}
	/* The default limit with a 255-byte text is not a truncation. */
	t_event(&ev, m, "mcbridge", "events", true);
	json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_false(trunc);
	/* With 400 bytes the text cannot fit: dropped, flagged. */
	n = json(&ev, 400, &trunc);
	assert_true(trunc);
	assert_null(strstr(out, "\"text\""));
	assert_non_null(strstr(out, "\"mtu\":1400,\"truncated\":true}\n"));
	nlmsg_free(m);
	nlmsg_free(f);
}

/* An event too big for even the largest datagram. */
static void json_oversized_event(void **state)
{
	struct nl_msg *m = nlmsg_alloc_size(200000);
	struct mcb_nl_event ev;
	static char big[4000];
	bool trunc;
	size_t n;

	(void)state;
	assert_non_null(genlmsg_put(m, 0, 0, 0x15, 0, 0, 1, 1));
	memset(big, 0xee, sizeof(big));	/* hex: 2 chars per byte */
	for (int i = 0; i < 40; i++)
		assert_int_equal(nla_put(m, 1, sizeof(big), big), 0);
	t_event(&ev, m, "ethtool", "monitor", false);
	n = json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_true(trunc);
	assert_true(n <= MCB_WIRE_MAX_DATAGRAM);
	assert_true(n > MCB_WIRE_MAX_DATAGRAM - 8100);	/* filled up */
	assert_true(t_json_datagram(out, n));
	nlmsg_free(m);
}

static uint16_t rd16(const void *p) { uint16_t v; memcpy(&v, p, 2); return be16toh(v); }
static uint32_t rd32(const void *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }
static uint64_t rd64(const void *p) { uint64_t v; memcpy(&v, p, 8); return be64toh(v); }

static void binary_event(void **state)
{
	struct nl_msg *m = netdev_msg(MCBRIDGE_NETDEV_UP);
	struct mcb_nl_event ev;
	struct mcb_wire_hdr h;
	bool trunc = true;
	size_t n;

	(void)state;
	t_event(&ev, m, "mcbridge", "events", true);
	ev.bridge_seq = 0x0102030405060708ull;
	ev.bridge_time_ns = 99;
	ev.has_kernel_seq = true;
	ev.kernel_seq = 42;
	ev.has_kernel_time = true;
	ev.kernel_time_ns = 1000000000123ull;
	n = mcb_encode_binary(&ev, out, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_false(trunc);
	assert_int_equal(n, 96 + ev.attr_len);
	memcpy(&h, out, sizeof(h));
	assert_int_equal(rd32(&h.magic), MCB_WIRE_MAGIC);
	assert_memory_equal(out, "MCBR", 4);
	assert_int_equal(h.version, MCB_WIRE_VERSION);
	assert_int_equal(h.kind, MCB_KIND_EVENT);
	assert_int_equal(rd16(&h.hdr_len), 96);
	assert_int_equal(rd16(&h.flags),
			 MCB_WIRE_F_KERNEL_SEQ | MCB_WIRE_F_KERNEL_TIME |
			 (__BYTE_ORDER == __BIG_ENDIAN ? MCB_WIRE_F_ATTR_BE : 0));
	assert_int_equal(h.cmd, MCBRIDGE_CMD_EVENT);
	assert_int_equal(h.genl_version, 1);
	assert_int_equal(rd32(&h.attr_len), ev.attr_len);
	assert_int_equal(rd32(&h.orig_len), ev.attr_len);
	assert_int_equal(rd32(&h.run), 0);	/* no run: none sent */
	/* Byte order on the wire, checked byte by byte. */
	assert_memory_equal(out + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(rd64(&h.bridge_seq) == 0x0102030405060708ull);
	assert_true(rd64(&h.bridge_time_ns) == 99);
	assert_true(rd64(&h.kernel_seq) == 42);
	assert_true(rd64(&h.kernel_time_ns) == 1000000000123ull);
	assert_true(rd64(&h.count) == 0);
	assert_memory_equal(h.family, "mcbridge\0\0\0\0\0\0\0\0", 16);
	assert_memory_equal(h.group, "events\0\0\0\0\0\0\0\0\0\0", 16);
	assert_memory_equal(out + 96, ev.attrs, ev.attr_len);
	nlmsg_free(m);
}

/* The bridge run: MCB_WIRE_F_RUN and hdr.run in binary, "bridge_run" right
 * after "bridge_time_ns" in JSON. */
static void bridge_run_both_formats(void **state)
{
	struct mcb_nl_event ev;
	struct mcb_wire_hdr h;
	bool trunc;

	(void)state;
	overrun_notice(&ev);
	ev.bridge_run = 0x01020304;
	json(&ev, MCB_WIRE_MAX_DATAGRAM, &trunc);
	assert_string_equal(out, "{\"kind\":\"overrun\",\"family\":\"ethtool\","
		"\"group\":\"monitor\",\"bridge_seq\":5,\"bridge_time_ns\":6,"
		"\"bridge_run\":16909060,\"count\":1}\n");
	assert_int_equal(mcb_encode_binary(&ev, out, MCB_WIRE_MAX_DATAGRAM,
					   &trunc), 96);
	memcpy(&h, out, sizeof(h));
	assert_true(rd16(&h.flags) & MCB_WIRE_F_RUN);
	assert_memory_equal(out + 20, "\x01\x02\x03\x04", 4);
}

static void binary_notice(void **state)
{
	struct mcb_nl_event ev;
	struct mcb_wire_hdr h;
	bool trunc;
	size_t n;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MCB_KIND_LOST;
	ev.family = "mcbridge";
	ev.group = "events";
	ev.bridge_seq = 3;
	ev.count = 17;
	ev.has_kernel_seq = true;
	ev.kernel_seq = 100;
	n = mcb_encode_binary(&ev, out, 96, &trunc);
	assert_int_equal(n, 96);
	memcpy(&h, out, sizeof(h));
	assert_int_equal(h.kind, MCB_KIND_LOST);
	assert_int_equal(rd16(&h.flags) & ~MCB_WIRE_F_ATTR_BE,
			 MCB_WIRE_F_KERNEL_SEQ);
	assert_true(rd64(&h.count) == 17);
	assert_true(rd64(&h.kernel_seq) == 100);
	assert_int_equal(rd32(&h.attr_len), 0);
	assert_int_equal(h.cmd, 0);
	/* Too small for the header: nothing. */
	assert_int_equal(mcb_encode_binary(&ev, out, 95, &trunc), 0);
}

static void binary_truncation(void **state)
{
	struct nl_msg *m = t_msg(0x15, 2);
	struct mcb_nl_event ev;
	struct mcb_wire_hdr h;
	bool trunc;
	size_t n;

	(void)state;
	for (int i = 0; i < 10; i++)
		nla_put_string(m, i + 1, "0123456789");	/* 4+11 -> 16 each */
	t_event(&ev, m, "ethtool", "monitor", false);
	assert_int_equal(ev.attr_len, 160);
	for (size_t cap = 96; cap <= 96 + 170; cap++) {
		n = mcb_encode_binary(&ev, out, cap, &trunc);
		assert_true(n <= cap);
		memcpy(&h, out, sizeof(h));
		assert_int_equal(rd32(&h.orig_len), 160);
		assert_int_equal(rd32(&h.attr_len), n - 96);
		assert_memory_equal(out + 96, ev.attrs, n - 96);
		if (cap >= 96 + 160) {
			assert_false(trunc);
			assert_int_equal(n, 96 + 160);
			assert_int_equal(rd16(&h.flags) & MCB_WIRE_F_TRUNCATED, 0);
		} else {
			size_t a = n - 96;

			assert_true(trunc);
			assert_int_equal(rd16(&h.flags) & MCB_WIRE_F_TRUNCATED,
					 MCB_WIRE_F_TRUNCATED);
			/* Whole attributes: 15 bytes of data, 16 with pad;
			 * the last one's padding only if it fits. */
			assert_true(a % 16 == 0 || a % 16 == 15);
			assert_true(cap - 96 - a < 16);
		}
	}
	nlmsg_free(m);
}

/*
 * The names a mapping prepares once (mcb_enc_prepare) give the bytes the
 * encoders write without them: every kind, families that need escaping, a
 * command and a run other than the prepared ones, both formats, and limits
 * that cut the datagram short.
 */
static void prepared_names_same_bytes(void **state)
{
	static const char *const fams[][2] = {
		{ "mcbridge", "events" }, { "ethtool", "monitor" },
		{ "a\"b\\c", "\x01\x7f\xc3" }, { "0123456789abcde", "g" },
	};
	static unsigned char a[MCB_WIRE_MAX_DATAGRAM], b[MCB_WIRE_MAX_DATAGRAM];
	struct nl_msg *m = netdev_msg(MCBRIDGE_NETDEV_UP);
	struct mcb_enc_prep prep;
	mcb_encode_fn enc[] = { mcb_encode_json, mcb_encode_binary };

	(void)state;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		bool mcb = strcmp(fams[f][0], "mcbridge") == 0;

		mcb_enc_prepare(&prep, fams[f][0], fams[f][1], 3000000000u);
		assert_true(prep.ready);
		for (int kind = MCB_KIND_EVENT; kind <= MCB_KIND_LOST; kind++)
		for (int cmd = 0; cmd < 3; cmd++)
		for (uint32_t run = 0; run < 2; run++)
		for (size_t e = 0; e < 2; e++)
		for (size_t cap = 96; cap <= 4096; cap = cap * 2 + 1) {
			struct mcb_nl_event ev;
			bool ta, tb;
			size_t na, nb;

			t_event(&ev, m, fams[f][0], fams[f][1], mcb);
			ev.kind = (enum mcb_wire_kind)kind;
			ev.cmd = (uint8_t)(MCBRIDGE_CMD_EVENT + cmd - 1);
			ev.bridge_seq = 1234567890123ull;
			ev.bridge_time_ns = 99;
			ev.bridge_run = run ? 3000000000u : 17;
			ev.count = 5;
			na = enc[e](&ev, a, cap, &ta);
			ev.prep = &prep;
			nb = enc[e](&ev, b, cap, &tb);
			assert_int_equal(na, nb);
			assert_int_equal(ta, tb);
			assert_memory_equal(a, b, na);
		}
	}
	nlmsg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_netdev_all_fields),
		cmocka_unit_test(json_netdev_event_names),
		cmocka_unit_test(json_module_and_types),
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(json_mcbridge_unnamed),
		cmocka_unit_test(json_foreign),
		cmocka_unit_test(json_foreign_unflagged_nest),
		cmocka_unit_test(json_notices),
		cmocka_unit_test(json_numbers),
		cmocka_unit_test(json_truncation_sweep),
		cmocka_unit_test(json_oversized_event),
		cmocka_unit_test(binary_event),
		cmocka_unit_test(bridge_run_both_formats),
		cmocka_unit_test(binary_notice),
		cmocka_unit_test(binary_truncation),
		cmocka_unit_test(prepared_names_same_bytes),
	};

	return cmocka_run_group_tests_name("encode", tests, NULL, NULL);
}
