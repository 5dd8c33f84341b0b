/* SPDX-License-Identifier: MIT */
/* JSON decoder: every field, escapes, numbers, attrs, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <linux/mcbridge.h>

#include "mcbridge_client.h"
#include "testenc.h"

static struct mcb_event ev;
static char buf[MCB_WIRE_MAX_DATAGRAM];

static enum mcb_err dec(const char *s)
{
	return mcb_decode(s, strlen(s), MCB_FMT_AUTO, &ev);
}

/* A JSON datagram with the fixed fields and the given tail. */
static enum mcb_err dec_tail(const char *tail)
{
	snprintf(buf, sizeof(buf),
		 "{\"kind\":\"event\",\"family\":\"mcbridge\",\"group\":\"events\","
		 "\"bridge_seq\":1,\"bridge_time_ns\":2,\"cmd\":\"event\","
		 "\"cmd_id\":1%s}\n", tail);
	return dec(buf);
}

static void netdev_every_field(void **state)
{
	struct tenc_event e;
	size_t len;

	(void)state;
	tenc_init(&e);
	e.bridge_seq = 42;
	e.bridge_time_ns = 1000000001;
	e.has_kseq = e.has_ktime = true;
	e.kernel_seq = 7;
	e.kernel_time_ns = 999999999;
	e.type = MCBRIDGE_EVENT_NETDEV;
	e.cpu = 3;
	e.ifindex = 12;
	e.ifname = "veth0";
	e.netdev_event = MCBRIDGE_NETDEV_CHANGEMTU;
	e.ifflags = 0x1043;
	e.mtu = 9000;
	len = tenc_json(&e, buf, sizeof(buf));
	assert_true(len > 0);

	assert_int_equal(mcb_decode(buf, len, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_int_equal(ev.format, MCB_FMT_JSON);
	assert_int_equal(ev.kind, MCB_KIND_EVENT);
	assert_string_equal(ev.family, "mcbridge");
	assert_string_equal(ev.group, "events");
	assert_string_equal(ev.cmd_name, "event");
	assert_int_equal(ev.cmd, MCBRIDGE_CMD_EVENT);
	assert_int_equal(ev.bridge_seq, 42);
	assert_int_equal(ev.bridge_time_ns, 1000000001);
	assert_int_equal(ev.kernel_seq, 7);
	assert_int_equal(ev.kernel_time_ns, 999999999);
	assert_int_equal(ev.type, MCBRIDGE_EVENT_NETDEV);
	assert_int_equal(ev.cpu, 3);
	assert_int_equal(ev.ifindex, 12);
	assert_string_equal(ev.ifname, "veth0");
	assert_int_equal(ev.netdev_event, MCBRIDGE_NETDEV_CHANGEMTU);
	assert_int_equal(ev.ifflags, 0x1043);
	assert_int_equal(ev.mtu, 9000);
	assert_int_equal(ev.has, MCB_HAS_CMD | MCB_HAS_CMD_NAME |
			 MCB_HAS_KERNEL_SEQ | MCB_HAS_KERNEL_TIME |
			 MCB_HAS_TYPE | MCB_HAS_CPU | MCB_HAS_IFINDEX |
			 MCB_HAS_IFNAME | MCB_HAS_NETDEV_EVENT |
			 MCB_HAS_IFFLAGS | MCB_HAS_MTU);
	assert_false(ev.truncated);
	assert_false(ev.clipped);
	assert_true(mcb_event_is_mcbridge(&ev));
}

static void module_event(void **state)
{
	(void)state;
	assert_int_equal(dec_tail(",\"type\":\"module\",\"module\":\"nf_tables\","
				  "\"module_state\":\"going\""), MCB_OK);
	assert_int_equal(ev.type, MCBRIDGE_EVENT_MODULE);
	assert_string_equal(ev.module, "nf_tables");
	assert_int_equal(ev.module_state, MCBRIDGE_MODULE_GOING);
	assert_true(ev.has & MCB_HAS_MODULE_STATE);
	assert_false(ev.has & MCB_HAS_IFNAME);
}

static void enums_as_numbers(void **state)
{
	(void)state;
	/* An encoder writes a number for a value without a name. */
	assert_int_equal(dec_tail(",\"type\":4,\"netdev_event\":99"), MCB_OK);
	assert_int_equal(ev.type, MCBRIDGE_EVENT_INJECTED);
	assert_int_equal(ev.netdev_event, 99);
	assert_int_equal(dec_tail(",\"type\":\"nosuch\""), MCB_ERR_TYPE);
}

static void string_escapes(void **state)
{
	static const char want[] = "a\"b\\c/d\b\f\n\r\t\x01" "\xc3\xa9"
		"\xe2\x82\xac" "\xf0\x9f\x98\x80" "\xef\xbf\xbd" "\xc3\xbf" "z";

	(void)state;
	assert_int_equal(dec_tail(",\"type\":\"injected\",\"text\":"
		"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001\\u00e9\\u20AC"
		"\\ud83d\\ude00\\udc00\\u00ffz\""), MCB_OK);
	assert_int_equal(ev.text_len, sizeof(want) - 1);
	assert_memory_equal(ev.text, want, sizeof(want));

	/* \u0000 is kept: the length says where the text ends. */
	assert_int_equal(dec_tail(",\"text\":\"x\\u0000y\""), MCB_OK);
	assert_int_equal(ev.text_len, 3);
	assert_memory_equal(ev.text, "x\0y", 4);

	/* Escaped keys are keys all the same. */
	assert_int_equal(dec_tail(",\"\\u0069fname\":\"lo\""), MCB_OK);
	assert_string_equal(ev.ifname, "lo");

	assert_int_equal(dec_tail(",\"text\":\"\\x41\""), MCB_ERR_SYNTAX);
	assert_int_equal(dec_tail(",\"text\":\"\\u12G4\""), MCB_ERR_SYNTAX);
	assert_int_equal(dec_tail(",\"text\":\"raw\nnewline\""), MCB_ERR_SYNTAX);
}

static void long_strings_are_clipped(void **state)
{
	char tail[700], big[600];

	(void)state;
	assert_int_equal(dec_tail(",\"ifname\":\"abcdefghijklmnopqrstuvwxyz\""),
			 MCB_OK);
	assert_true(ev.clipped);
	assert_int_equal(strlen(ev.ifname), MCB_IFNAMSIZ - 1);
	assert_memory_equal(ev.ifname, "abcdefghijklmno", MCB_IFNAMSIZ);

	/* A multi-byte character is kept whole or not at all. */
	assert_int_equal(dec_tail(",\"ifname\":\"abcdefghijklmn\\u00e9\""),
			 MCB_OK);
	assert_true(ev.clipped);
	assert_string_equal(ev.ifname, "abcdefghijklmn");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(tail, sizeof(tail), ",\"text\":\"%s\"", big);
	assert_int_equal(dec_tail(tail), MCB_OK);
	assert_int_equal(ev.text_len, MCB_TEXTSIZ - 1);
	assert_true(ev.clipped);
}

static void numbers(void **state)
{
	(void)state;
	assert_int_equal(dec_tail(",\"seq\":18446744073709551615"), MCB_OK);
	assert_true(ev.kernel_seq == UINT64_MAX);
	assert_int_equal(dec_tail(",\"seq\":0"), MCB_OK);
	assert_int_equal(ev.kernel_seq, 0);
	assert_int_equal(dec_tail(",\"seq\":18446744073709551616"),
			 MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":99999999999999999999999"),
			 MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":-1"), MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":1.5"), MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":1e3"), MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":01"), MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"mtu\":4294967295"), MCB_OK);
	assert_int_equal(ev.mtu, UINT32_MAX);
	assert_int_equal(dec_tail(",\"mtu\":4294967296"), MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"seq\":\"5\""), MCB_ERR_TYPE);
	assert_int_equal(dec_tail(",\"ifname\":5"), MCB_ERR_TYPE);
	assert_int_equal(dec_tail(",\"truncated\":1"), MCB_ERR_TYPE);
	/* Numbers of any form are fine where we do not look. */
	assert_int_equal(dec_tail(",\"future\":-1.25e-7"), MCB_OK);
	assert_int_equal(dec_tail(",\"future\":-"), MCB_ERR_SYNTAX);
}

static void notices(void **state)
{
	(void)state;
	assert_int_equal(dec("{\"kind\":\"overrun\",\"family\":\"mcbridge\","
			     "\"group\":\"events\",\"bridge_seq\":9,"
			     "\"bridge_time_ns\":10,\"count\":3}\n"), MCB_OK);
	assert_int_equal(ev.kind, MCB_KIND_OVERRUN);
	assert_int_equal(ev.count, 3);
	assert_int_equal(ev.bridge_seq, 9);
	assert_false(ev.has & MCB_HAS_KERNEL_SEQ);

	assert_int_equal(dec("{\"kind\":\"lost\",\"family\":\"mcbridge\","
			     "\"group\":\"events\",\"bridge_seq\":11,"
			     "\"bridge_time_ns\":12,\"count\":4,"
			     "\"kernel_seq\":100}\n"), MCB_OK);
	assert_int_equal(ev.kind, MCB_KIND_LOST);
	assert_int_equal(ev.count, 4);
	assert_int_equal(ev.kernel_seq, 100);
	assert_true(ev.has & MCB_HAS_KERNEL_SEQ);

	/* A notice without its count is not one. */
	assert_int_equal(dec("{\"kind\":\"lost\",\"family\":\"f\",\"group\":\"g\","
			     "\"bridge_seq\":1,\"bridge_time_ns\":1}"),
			 MCB_ERR_MISSING);
}

static void generic_attrs(void **state)
{
	const struct mcb_attr *a;

	(void)state;
	assert_int_equal(dec("{\"kind\":\"event\",\"family\":\"nlctrl\","
		"\"group\":\"notify\",\"bridge_seq\":5,\"bridge_time_ns\":6,"
		"\"cmd\":\"1\",\"cmd_id\":1,\"attrs\":["
		"{\"type\":1,\"len\":1,\"u8\":255},"
		"{\"type\":2,\"len\":2,\"u16\":65535},"
		"{\"type\":3,\"len\":4,\"u32\":4294967295},"
		"{\"type\":4,\"len\":8,\"u64\":18446744073709551615},"
		"{\"type\":5,\"len\":7,\"str\":\"n\\u00e9t\\n\"},"
		"{\"type\":6,\"len\":24,\"nested\":[{\"type\":1,\"len\":4,"
		"\"nested\":[ [ {} ] ]}, {\"type\":2,\"len\":1,\"u8\":1}]},"
		"{\"type\":7,\"len\":3,\"hex\":\"0aFF10\"}"
		"]}\n"), MCB_OK);
	assert_false(mcb_event_is_mcbridge(&ev));
	assert_string_equal(ev.family, "nlctrl");
	assert_string_equal(ev.cmd_name, "1");
	assert_true(ev.has & MCB_HAS_ATTRS);
	assert_int_equal(ev.nattrs, 7);
	assert_int_equal(ev.attrs_total, 7);
	a = ev.attrs;
	assert_int_equal(a[0].kind, MCB_ATTR_U8);
	assert_int_equal(a[0].num, 255);
	assert_int_equal(a[1].kind, MCB_ATTR_U16);
	assert_int_equal(a[1].num, 65535);
	assert_int_equal(a[2].kind, MCB_ATTR_U32);
	assert_int_equal(a[2].num, UINT32_MAX);
	assert_int_equal(a[3].kind, MCB_ATTR_U64);
	assert_true(a[3].num == UINT64_MAX);
	assert_int_equal(a[4].kind, MCB_ATTR_STR);
	assert_int_equal(a[4].type, 5);
	assert_int_equal(a[4].len, 7);
	assert_int_equal(a[4].data_len, 5);
	assert_memory_equal(a[4].data, "n\xc3\xa9t\n", 6);
	assert_int_equal(a[5].kind, MCB_ATTR_NESTED);
	assert_int_equal(a[5].data[0], '[');
	assert_int_equal(a[5].data[a[5].data_len - 1], ']');
	assert_int_equal(a[6].kind, MCB_ATTR_HEX);
	assert_int_equal(a[6].data_len, 6);
	assert_memory_equal(a[6].data, "0aFF10", 6);

	/* Out-of-range numbers, odd hex, attrs of the wrong shape. */
	assert_int_equal(dec_tail(",\"attrs\":[{\"type\":1,\"u8\":256}]"),
			 MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"attrs\":[{\"type\":70000}]"),
			 MCB_ERR_NUMBER);
	assert_int_equal(dec_tail(",\"attrs\":[{\"type\":1,\"hex\":\"abc\"}]"),
			 MCB_ERR_TYPE);
	assert_int_equal(dec_tail(",\"attrs\":[{\"len\":1}]"), MCB_ERR_MISSING);
	assert_int_equal(dec_tail(",\"attrs\":{}"), MCB_ERR_TYPE);
	assert_int_equal(dec_tail(",\"attrs\":[1]"), MCB_ERR_TYPE);
	assert_int_equal(dec_tail(",\"attrs\":[]"), MCB_OK);
	assert_int_equal(ev.nattrs, 0);
}

static void many_attrs_are_capped(void **state)
{
	char tail[8192];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(tail + n, sizeof(tail) - n, ",\"attrs\":[");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n,
				      "%s{\"type\":%d,\"len\":4,\"u32\":%d}",
				      i ? "," : "", i, i * 2);
	snprintf(tail + n, sizeof(tail) - n, "]");
	assert_int_equal(dec_tail(tail), MCB_OK);
	assert_int_equal(ev.nattrs, MCB_EVENT_MAX_ATTRS);
	assert_int_equal(ev.attrs_total, 100);
	assert_int_equal(ev.attrs[63].num, 126);
}

static void arena_full_clips_strings(void **state)
{
	static char tail[40000];
	char s[1001];
	size_t n = 0;

	(void)state;
	memset(s, 's', 1000);
	s[1000] = '\0';
	n += (size_t)snprintf(tail + n, sizeof(tail) - n, ",\"attrs\":[");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n,
				      "%s{\"type\":%d,\"len\":1001,\"str\":\"%s\"}",
				      i ? "," : "", i, s);
	snprintf(tail + n, sizeof(tail) - n, "]");
	assert_int_equal(dec_tail(tail), MCB_OK);
	assert_int_equal(ev.nattrs, 10);
	assert_false(ev.attrs[0].clipped);
	assert_int_equal(ev.attrs[0].data_len, 1000);
	assert_true(ev.attrs[9].clipped);
	assert_true(ev.arena_used <= sizeof(ev.arena));
}

static void unknown_keys_skipped(void **state)
{
	(void)state;
	assert_int_equal(dec_tail(",\"new\":{\"a\":[1,2,{\"b\":null}],\"c\":true},"
				  "\"also\":[[],{}],\"s\":\"\\\"}\",\"f\":false,"
				  "\"n\":null,\"mtu\":1500"), MCB_OK);
	assert_int_equal(ev.mtu, 1500);
	/* Key order does not matter, whitespace is allowed. */
	assert_int_equal(dec(" \t\r\n{ \"cmd_id\" : 1 , \"bridge_time_ns\":2,"
			     "\"group\":\"g\",\"bridge_seq\":3,\"family\":\"f\","
			     "\"kind\" : \"event\" }\r\n\n"), MCB_OK);
	assert_int_equal(ev.bridge_seq, 3);
	assert_string_equal(ev.family, "f");
}

static void depth_is_bounded(void **state)
{
	char tail[300];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(tail, sizeof(tail), ",\"deep\":");
	for (int i = 0; i < 100; i++)
		tail[n++] = '[';
	for (int i = 0; i < 100; i++)
		tail[n++] = ']';
	tail[n] = '\0';
	assert_int_equal(dec_tail(tail), MCB_ERR_DEPTH);

	n = (size_t)snprintf(tail, sizeof(tail), ",\"ok\":");
	for (int i = 0; i < 20; i++)
		tail[n++] = '[';
	for (int i = 0; i < 20; i++)
		tail[n++] = ']';
	tail[n] = '\0';
	assert_int_equal(dec_tail(tail), MCB_OK);
}

static void required_fields(void **state)
{
	static const char *const keys[] = { "kind", "family", "group",
					    "bridge_seq", "bridge_time_ns" };
	static const char *const vals[] = { "\"event\"", "\"f\"", "\"g\"",
					    "1", "2" };

	(void)state;
	for (size_t skip = 0; skip < 5; skip++) {
		size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"cmd_id\":1");

		for (size_t k = 0; k < 5; k++)
			if (k != skip)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
						      ",\"%s\":%s", keys[k],
						      vals[k]);
		snprintf(buf + n, sizeof(buf) - n, "}");
		assert_int_equal(dec(buf), MCB_ERR_MISSING);
	}
	/* An event needs its command. */
	assert_int_equal(dec("{\"kind\":\"event\",\"family\":\"f\",\"group\":\"g\","
			     "\"bridge_seq\":1,\"bridge_time_ns\":2}"),
			 MCB_ERR_MISSING);
	assert_int_equal(dec("{}"), MCB_ERR_MISSING);
}

static void bad_kind_and_trailing(void **state)
{
	(void)state;
	assert_int_equal(dec("{\"kind\":\"party\",\"family\":\"f\"}"),
			 MCB_ERR_KIND);
	assert_int_equal(dec_tail(",\"truncated\":true"), MCB_OK);
	assert_true(ev.truncated);
	snprintf(buf, sizeof(buf), "{\"kind\":\"event\",\"family\":\"f\","
		 "\"group\":\"g\",\"bridge_seq\":1,\"bridge_time_ns\":2,"
		 "\"cmd_id\":1}\nX");
	assert_int_equal(dec(buf), MCB_ERR_TRAILING);
	snprintf(buf, sizeof(buf), "{\"kind\":\"event\",\"family\":\"f\","
		 "\"group\":\"g\",\"bridge_seq\":1,\"bridge_time_ns\":2,"
		 "\"cmd_id\":1}{}");
	assert_int_equal(dec(buf), MCB_ERR_TRAILING);
	assert_int_equal(dec("{\"kind\" \"event\"}"), MCB_ERR_SYNTAX);
	assert_int_equal(dec("{\"kind\":\"event\",}"), MCB_ERR_SYNTAX);
	assert_int_equal(dec("{kind:1}"), MCB_ERR_SYNTAX);
	assert_int_equal(dec_tail(",\"x\":tru"), MCB_ERR_SYNTAX);
}

/* Every prefix of a datagram is an error, and a clean one. */
static void every_truncation_fails(void **state)
{
	static char full[4096];
	int n;

	(void)state;
	n = snprintf(full, sizeof(full),
		     "{\"kind\":\"event\",\"family\":\"mcbridge\","
		     "\"group\":\"events\",\"bridge_seq\":1,"
		     "\"bridge_time_ns\":2,\"cmd\":\"event\",\"cmd_id\":1,"
		     "\"seq\":3,\"type\":\"injected\",\"text\":\"h\\u00e9\\\"\","
		     "\"attrs\":[{\"type\":1,\"len\":4,\"nested\":[]}]}\n");
	assert_int_equal(mcb_decode(full, (size_t)n, MCB_FMT_AUTO, &ev), MCB_OK);
	for (int len = 0; len < n - 1; len++) {
		/* A copy of just the prefix, so ASan sees any overread. */
		char *cut = test_malloc((size_t)len + 1);
		enum mcb_err err;

		memcpy(cut, full, (size_t)len);
		err = mcb_decode(cut, (size_t)len, MCB_FMT_AUTO, &ev);
		if (err == MCB_OK)
			fail_msg("prefix of %d bytes decoded", len);
		if (len > 1)
			assert_int_equal(err, MCB_ERR_TRUNCATED);
		test_free(cut);
	}
}

static void auto_detection(void **state)
{
	struct tenc_event e;
	unsigned char bin[512];
	size_t blen;

	(void)state;
	tenc_init(&e);
	blen = tenc_binary(&e, bin, sizeof(bin));
	assert_int_equal(mcb_decode(bin, blen, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_int_equal(ev.format, MCB_FMT_BINARY);
	/* --format json does not take binary, and the other way round. */
	assert_int_not_equal(mcb_decode(bin, blen, MCB_FMT_JSON, &ev), MCB_OK);
	assert_int_equal(dec_tail(""), MCB_OK);
	assert_int_equal(mcb_decode(buf, strlen(buf), MCB_FMT_BINARY, &ev),
			 MCB_ERR_MAGIC);
	assert_int_equal(mcb_decode(buf, strlen(buf), MCB_FMT_JSON, &ev),
			 MCB_OK);

	assert_int_equal(dec("Hello, I am server!"), MCB_ERR_FORMAT);
	assert_int_equal(mcb_decode("", 0, MCB_FMT_AUTO, &ev), MCB_ERR_EMPTY);
	assert_int_equal(dec("   "), MCB_ERR_FORMAT);
	assert_int_equal(dec("[1]"), MCB_ERR_FORMAT);
	assert_string_equal(mcb_strerror(MCB_ERR_FORMAT),
			    "not an mcbridge datagram");
	assert_string_equal(mcb_strerror((enum mcb_err)999), "unknown error");
}

/* Deterministic mutations of a good datagram: no crash, no overread
 * (under ASan), and never an OK with an unterminated string. */
static void mutations_do_not_crash(void **state)
{
	static char base[1024], m[1024];
	uint32_t x = 12345;
	int n, ok = 0;

	(void)state;
	n = snprintf(base, sizeof(base),
		     "{\"kind\":\"event\",\"family\":\"nlctrl\",\"group\":\"notify\","
		     "\"bridge_seq\":1,\"bridge_time_ns\":2,\"cmd\":\"1\","
		     "\"cmd_id\":1,\"text\":\"a\\u00e9\\n\",\"attrs\":[{\"type\":1,"
		     "\"len\":4,\"nested\":[{\"type\":2,\"len\":2,\"u16\":3}]},"
		     "{\"type\":2,\"len\":2,\"hex\":\"0a0b\"}]}\n");
	for (int i = 0; i < 20000; i++) {
		int flips;
		char *copy;

		memcpy(m, base, (size_t)n);
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		flips = 1 + (int)(x % 4);
		for (int f = 0; f < flips; f++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			m[x % (uint32_t)n] = (char)(x >> 8);
		}
		copy = test_malloc((size_t)n);
		memcpy(copy, m, (size_t)n);
		if (mcb_decode(copy, (size_t)n, MCB_FMT_AUTO, &ev) == MCB_OK) {
			ok++;
			assert_true(strlen(ev.family) < sizeof(ev.family));
			assert_true(strlen(ev.text) < sizeof(ev.text));
		}
		test_free(copy);
	}
	/* Some mutations land in string contents and still decode. */
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netdev_every_field),
		cmocka_unit_test(module_event),
		cmocka_unit_test(enums_as_numbers),
		cmocka_unit_test(string_escapes),
		cmocka_unit_test(long_strings_are_clipped),
		cmocka_unit_test(numbers),
		cmocka_unit_test(notices),
		cmocka_unit_test(generic_attrs),
		cmocka_unit_test(many_attrs_are_capped),
		cmocka_unit_test(arena_full_clips_strings),
		cmocka_unit_test(unknown_keys_skipped),
		cmocka_unit_test(depth_is_bounded),
		cmocka_unit_test(required_fields),
		cmocka_unit_test(bad_kind_and_trailing),
		cmocka_unit_test(every_truncation_fails),
		cmocka_unit_test(auto_detection),
		cmocka_unit_test(mutations_do_not_crash),
	};

	return cmocka_run_group_tests_name("decode_json", tests, NULL, NULL);
}
