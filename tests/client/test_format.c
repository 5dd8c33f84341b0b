/* SPDX-License-Identifier: MIT */
/* Rendering: JSON lines (the same for JSON and binary input), human lines,
 * and safe printing of what is not an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <linux/mcbridge.h>
#include <linux/netlink.h>

#include "mcbridge_client.h"
#include "testenc.h"

static struct mcb_event ev, ev2;
static char out[65536];
static unsigned char bin[4096];
static char json[4096];

/* Run a renderer into out[] and return it. */
#define CAPTURE(call) do {						\
		FILE *f_ = fmemopen(out, sizeof(out), "w");		\
		FILE *fp = f_;						\
		assert_non_null(f_);					\
		call;							\
		assert_int_equal(fclose(f_), 0);			\
	} while (0)

static struct tenc_event netdev(void)
{
	struct tenc_event e;

	tenc_init(&e);
	e.bridge_seq = 9;
	e.bridge_time_ns = 1000;
	e.has_kseq = e.has_ktime = true;
	e.kernel_seq = 5;
	e.kernel_time_ns = 900;
	e.type = MCBRIDGE_EVENT_NETDEV;
	e.cpu = 0;
	e.ifindex = 2;
	e.ifname = "eth\"0";
	e.netdev_event = MCBRIDGE_NETDEV_DOWN;
	e.ifflags = 4098;
	e.mtu = 1500;
	return e;
}

static const char netdev_line[] =
	"{\"kind\":\"event\",\"family\":\"mcbridge\",\"group\":\"events\","
	"\"cmd\":\"event\",\"cmd_id\":1,\"bridge_seq\":9,\"bridge_time_ns\":1000,"
	"\"seq\":5,\"timestamp_ns\":900,\"type\":\"netdev\",\"cpu\":0,"
	"\"ifindex\":2,\"ifname\":\"eth\\\"0\",\"netdev_event\":\"down\","
	"\"ifflags\":4098,\"mtu\":1500}\n";

static void json_line_same_for_both_formats(void **state)
{
	struct tenc_event e = netdev();
	size_t blen = tenc_binary(&e, bin, sizeof(bin));
	size_t jlen = tenc_json(&e, json, sizeof(json));

	(void)state;
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_string_equal(out, netdev_line);
	assert_int_equal(mcb_decode(json, jlen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_string_equal(out, netdev_line);
}

static void json_line_decodes_back(void **state)
{
	struct tenc_event e;
	size_t blen;
	struct mcb_render_extra extra = { .has_latency = true,
					  .latency_ns = 12345 };

	(void)state;
	tenc_init(&e);
	e.bridge_seq = 3;
	e.type = MCBRIDGE_EVENT_INJECTED;
	e.text = "tab\there \x01 \xff\xfe caf\xc3\xa9";
	e.module = "m";
	e.module_state = MCBRIDGE_MODULE_LIVE;
	e.truncated = true;
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, &extra));
	/* Bytes that are not UTF-8 become \u00XX, like the encoder. */
	assert_non_null(strstr(out, "\"text\":\"tab\\there \\u0001 \\u00ff\\u00fe "
				    "caf\xc3\xa9\""));
	assert_non_null(strstr(out, "\"truncated\":true"));
	assert_non_null(strstr(out, "\"latency_ns\":12345}"));
	assert_non_null(strstr(out, "\"module_state\":\"live\""));
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);

	assert_int_equal(mcb_decode(out, strlen(out), MCB_FMT_AUTO, &ev2),
			 MCB_OK);
	assert_int_equal(ev2.bridge_seq, 3);
	assert_int_equal(ev2.type, MCBRIDGE_EVENT_INJECTED);
	assert_string_equal(ev2.module, "m");
	assert_true(ev2.truncated);
	/* \u00ff decodes to U+00FF: a lossy, documented round trip. */
	assert_string_equal(ev2.text, "tab\there \x01 \xc3\xbf\xc3\xbe caf\xc3\xa9");
}

static void notices_render(void **state)
{
	struct tenc_event e;
	size_t blen;

	(void)state;
	tenc_init(&e);
	e.kind = MCB_KIND_LOST;
	e.bridge_seq = 4;
	e.bridge_time_ns = 8;
	e.count = 2;
	e.has_kseq = true;
	e.kernel_seq = 50;
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_string_equal(out, "{\"kind\":\"lost\",\"family\":\"mcbridge\","
			    "\"group\":\"events\",\"bridge_seq\":4,"
			    "\"bridge_time_ns\":8,\"kernel_seq\":50,"
			    "\"count\":2}\n");
	CAPTURE(mcb_render_human(fp, &ev, NULL));
	assert_string_equal(out, "LOST mcbridge/events #4 count=2 "
			    "kernel_seq=50\n");
}

/* Attributes of another family: binary rendering equals the JSON the
 * encoder would write for them. */
static void generic_attrs_render(void **state)
{
	unsigned char a[256], inner[64];
	size_t off = 0, ioff = 0, blen;
	uint16_t id = 0x1234;
	static const unsigned char odd[3] = { 1, 2, 3 };
	struct tenc_event e;
	static const char want_attrs[] =
		"\"attrs\":[{\"type\":2,\"len\":4,\"str\":\"fam\"},"
		"{\"type\":1,\"len\":2,\"u16\":4660},"
		"{\"type\":6,\"len\":20,\"nested\":[{\"type\":1,\"len\":4,"
		"\"u32\":7},{\"type\":2,\"len\":6,\"str\":\"inner\"}]},"
		"{\"type\":9,\"len\":3,\"hex\":\"010203\"}]}\n";

	(void)state;
	tenc_nla_u32(inner, sizeof(inner), &ioff, 1, 7, false);
	tenc_nla_str(inner, sizeof(inner), &ioff, 2, "inner", false);
	tenc_nla_str(a, sizeof(a), &off, 2, "fam", false);
	tenc_nla(a, sizeof(a), &off, 1, &id, sizeof(id), false);
	tenc_nla(a, sizeof(a), &off, 6 | NLA_F_NESTED, inner, (uint16_t)ioff,
		 false);
	tenc_nla(a, sizeof(a), &off, 9, odd, sizeof(odd), false);
	tenc_init(&e);
	e.family = "nlctrl";
	e.group = "notify";
	e.cmd = 3;
	e.extra_attrs = a;
	e.extra_len = off;
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_non_null(strstr(out, "\"family\":\"nlctrl\",\"group\":\"notify\","
				    "\"cmd\":\"3\",\"cmd_id\":3,"));
	assert_non_null(strstr(out, want_attrs));

	/* The same list sent as JSON renders the same (whitespace gone). */
	snprintf(json, sizeof(json),
		 "{\"kind\":\"event\",\"family\":\"nlctrl\",\"group\":\"notify\","
		 "\"bridge_seq\":0,\"bridge_time_ns\":0,\"cmd\":\"3\",\"cmd_id\":3,"
		 "\"attrs\":[{\"type\":2,\"len\":4,\"str\":\"fam\"},"
		 "{\"type\":1,\"len\":2,\"u16\":4660},"
		 "{\"type\":6,\"len\":20,\"nested\":[ {\"type\":1, \"len\":4,"
		 "\"u32\":7},\n{\"type\":2,\"len\":6,\"str\":\"inner\"}]},"
		 "{\"type\":9,\"len\":3,\"hex\":\"010203\"}]}\n");
	assert_int_equal(mcb_decode(json, strlen(json), MCB_FMT_AUTO, &ev),
			 MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_non_null(strstr(out, want_attrs));

	CAPTURE(mcb_render_human(fp, &ev, NULL));
	assert_string_equal(out, "event nlctrl/notify #0 cmd=3 2:\"fam\" "
			    "1:4660 6:{20 bytes} 9:<3 bytes>\n");
}

static void deep_nesting_is_bounded(void **state)
{
	unsigned char a[2][512];
	size_t len = 0;
	int cur = 0;

	(void)state;
	/* 20 levels of nests: rendered as a tree up to a depth, then hex. */
	tenc_nla_u32(a[cur], sizeof(a[cur]), &len, 1, 1, false);
	for (int i = 0; i < 20; i++) {
		size_t n = 0;

		tenc_nla(a[!cur], sizeof(a[!cur]), &n, 1 | NLA_F_NESTED,
			 a[cur], (uint16_t)len, false);
		cur = !cur;
		len = n;
	}
	{
		struct tenc_event e;
		size_t blen;

		tenc_init(&e);
		e.family = "deep";
		e.extra_attrs = a[cur];
		e.extra_len = len;
		blen = tenc_binary(&e, bin, sizeof(bin));
		assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	}
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_non_null(strstr(out, "\"hex\":\""));
	/* What we print is JSON we can read back. */
	assert_int_equal(mcb_decode(out, strlen(out), MCB_FMT_JSON, &ev2),
			 MCB_OK);
}

static void json_escape(void **state)
{
	static const char in[] = "q\"b\\n\n\r\t\x1f\x7f" "\xc3\xa9" "\xe2\x82"
		"\xed\xa0\x80" "\xf0\x9f\x98\x80" "\xc0\xaf";

	(void)state;
	CAPTURE(mcb_json_escape(fp, in, sizeof(in) - 1));
	assert_string_equal(out, "q\\\"b\\\\n\\n\\r\\t\\u001f\\u007f"
			    "\xc3\xa9" "\\u00e2\\u0082"
			    "\\u00ed\\u00a0\\u0080" "\xf0\x9f\x98\x80"
			    "\\u00c0\\u00af");
	CAPTURE(mcb_json_escape(fp, "a\0b", 3));
	assert_string_equal(out, "a\\u0000b");
}

/* Whatever bytes a JSON datagram's strings hold, in nested values too, the
 * line printed is ASCII-escaped where it is not valid UTF-8 or a control. */
static void json_output_never_raw(void **state)
{
	const char *p;

	(void)state;
	CAPTURE(mcb_json_escape(fp, "a\xc2\x9b[2Jb\xc2\xa0", 9));
	assert_string_equal(out, "a\\u009b[2Jb\xc2\xa0");

	snprintf(json, sizeof(json),
		 "{\"kind\":\"event\",\"family\":\"x\",\"group\":\"g\","
		 "\"bridge_seq\":1,\"bridge_time_ns\":0,\"cmd\":\"1\","
		 "\"attrs\":[{\"type\":1,\"len\":4,\"nested\":[{\"type\":2,"
		 "\"len\":9,\"str\":\"\x9b\xff\xc2\x85\x7f\\u0007\xc3\xa9\"}]}]}\n");
	assert_int_equal(mcb_decode(json, strlen(json), MCB_FMT_AUTO, &ev),
			 MCB_OK);
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_non_null(strstr(out, "\"str\":\"\\u009b\\u00ff\\u0085"
			       "\\u007f\\u0007\xc3\xa9\"}"));
	for (p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("raw control byte 0x%02x", (unsigned char)*p);
	/* And it reads back. */
	assert_int_equal(mcb_decode(out, strlen(out), MCB_FMT_JSON, &ev2),
			 MCB_OK);
}

static void raw_datagrams_print_safely(void **state)
{
	static const unsigned char junk[] = { 'H', 'i', 0, 0x1b, '[', '2',
					      'J', 0xff, '"', '\\', '\n' };
	char big[300];

	(void)state;
	CAPTURE(mcb_print_raw(fp, "Hello, I am server!", 19, 120));
	assert_string_equal(out, "\"Hello, I am server!\"");
	CAPTURE(mcb_print_raw(fp, junk, sizeof(junk), 120));
	assert_string_equal(out, "\"Hi\\x00\\x1b[2J\\xff\\\"\\\\\\n\"");
	memset(big, 'A', sizeof(big));
	CAPTURE(mcb_print_raw(fp, big, sizeof(big), 10));
	assert_string_equal(out, "\"AAAAAAAAAA\"...");
}

static void human_line(void **state)
{
	struct tenc_event e = netdev();
	size_t blen;
	struct mcb_render_extra extra = { .has_latency = true,
					  .latency_ns = 15300 };

	(void)state;
	e.ifname = "ev\x1b[31mil";
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_human(fp, &ev, &extra));
	/* No raw escape sequence reaches a terminal. */
	assert_null(strchr(out, 0x1b));
	assert_string_equal(out, "event mcbridge/events #9 netdev down "
			    "ifname=\"ev\\x1b[31mil\" ifindex=2 mtu=1500 "
			    "flags=0x1002 seq=5 cpu=0 latency=15.3us\n");

	e.ifname = NULL;
	e.type = MCBRIDGE_EVENT_MODULE;
	e.netdev_event = e.ifindex = e.mtu = e.ifflags = -1;
	e.module = "snd";
	e.module_state = 17;	/* no name */
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	CAPTURE(mcb_render_human(fp, &ev, NULL));
	assert_string_equal(out, "event mcbridge/events #9 module 17 "
			    "module=\"snd\" seq=5 cpu=0\n");
	CAPTURE(mcb_render_json(fp, &ev, NULL));
	assert_non_null(strstr(out, "\"module_state\":17"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_line_same_for_both_formats),
		cmocka_unit_test(json_line_decodes_back),
		cmocka_unit_test(notices_render),
		cmocka_unit_test(generic_attrs_render),
		cmocka_unit_test(deep_nesting_is_bounded),
		cmocka_unit_test(json_escape),
		cmocka_unit_test(json_output_never_raw),
		cmocka_unit_test(raw_datagrams_print_safely),
		cmocka_unit_test(human_line),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
