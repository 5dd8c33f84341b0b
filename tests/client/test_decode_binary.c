/* SPDX-License-Identifier: MIT */
/* Binary decoder: header checks, attribute walking, every field. */
#include <endian.h>
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

static struct mcb_event ev;
static unsigned char buf[4096];

static struct tenc_event netdev_event(void)
{
	struct tenc_event e;

	tenc_init(&e);
	e.bridge_seq = 0x0102030405060708ull;
	e.bridge_time_ns = 123456789012ull;
	e.has_kseq = e.has_ktime = true;
	e.kernel_seq = 77;
	e.kernel_time_ns = 123456000000ull;
	e.type = MCBRIDGE_EVENT_NETDEV;
	e.cpu = 1;
	e.ifindex = 4;
	e.ifname = "dummy0";
	e.netdev_event = MCBRIDGE_NETDEV_UP;
	e.ifflags = 0x1003;
	e.mtu = 1500;
	return e;
}

/* Decode a copy of exactly len bytes, so ASan catches any overread. */
static enum mcb_err dec(const void *p, size_t len)
{
	static unsigned char copy[sizeof(buf)];
	unsigned char *exact = copy + sizeof(copy) - len;

	memmove(exact, p, len);
	return mcb_decode(exact, len, MCB_FMT_AUTO, &ev);
}

static void check_netdev(void)
{
	assert_int_equal(ev.format, MCB_FMT_BINARY);
	assert_int_equal(ev.kind, MCB_KIND_EVENT);
	assert_string_equal(ev.family, "mcbridge");
	assert_string_equal(ev.group, "events");
	assert_int_equal(ev.cmd, MCBRIDGE_CMD_EVENT);
	assert_int_equal(ev.genl_version, MCBRIDGE_GENL_VERSION);
	assert_true(ev.bridge_seq == 0x0102030405060708ull);
	assert_true(ev.bridge_time_ns == 123456789012ull);
	assert_int_equal(ev.kernel_seq, 77);
	assert_true(ev.kernel_time_ns == 123456000000ull);
	assert_int_equal(ev.type, MCBRIDGE_EVENT_NETDEV);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.ifindex, 4);
	assert_string_equal(ev.ifname, "dummy0");
	assert_int_equal(ev.netdev_event, MCBRIDGE_NETDEV_UP);
	assert_int_equal(ev.ifflags, 0x1003);
	assert_int_equal(ev.mtu, 1500);
	assert_int_equal(ev.has & ~(uint32_t)MCB_HAS_GENL_VERSION,
			 MCB_HAS_CMD | MCB_HAS_KERNEL_SEQ | MCB_HAS_KERNEL_TIME |
			 MCB_HAS_TYPE | MCB_HAS_CPU | MCB_HAS_IFINDEX |
			 MCB_HAS_IFNAME | MCB_HAS_NETDEV_EVENT |
			 MCB_HAS_IFFLAGS | MCB_HAS_MTU);
	/* The PAD attribute is skipped, nothing is left over. */
	assert_int_equal(ev.nattrs, 0);
	assert_false(ev.truncated);
}

static void netdev_every_field(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len = tenc_binary(&e, buf, sizeof(buf));

	(void)state;
	assert_int_equal(dec(buf, len), MCB_OK);
	check_netdev();
	assert_int_equal(ev.attr_len, len - MCB_WIRE_HDR_LEN);
	assert_int_equal(ev.orig_len, len - MCB_WIRE_HDR_LEN);
	assert_int_equal(ev.wire_flags, MCB_WIRE_F_KERNEL_SEQ |
			 MCB_WIRE_F_KERNEL_TIME);
}

static void big_endian_attributes(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len;

	(void)state;
	e.attr_be = true;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	check_netdev();
	assert_true(ev.wire_flags & MCB_WIRE_F_ATTR_BE);
}

static void module_and_text(void **state)
{
	struct tenc_event e;
	size_t len;

	(void)state;
	tenc_init(&e);
	e.type = MCBRIDGE_EVENT_MODULE;
	e.module = "nf_tables";
	e.module_state = MCBRIDGE_MODULE_COMING;
	e.text = "hi \"there\"\n";
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_string_equal(ev.module, "nf_tables");
	assert_int_equal(ev.module_state, MCBRIDGE_MODULE_COMING);
	assert_int_equal(ev.text_len, 11);
	assert_string_equal(ev.text, "hi \"there\"\n");
	/* No kernel seq/time in the header or attributes: not claimed. */
	assert_false(ev.has & (MCB_HAS_KERNEL_SEQ | MCB_HAS_KERNEL_TIME));
}

static void seq_from_attributes_when_header_has_none(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len = tenc_binary(&e, buf, sizeof(buf));
	struct mcb_wire_hdr h;

	(void)state;
	memcpy(&h, buf, sizeof(h));
	h.flags = 0;
	h.kernel_seq = 0;
	h.kernel_time_ns = 0;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.kernel_seq, 77);
	assert_true(ev.kernel_time_ns == 123456000000ull);
}

/* The bridge run in both formats: the stream's run id, so a
 * restart is told without a key; absent from older bridges' datagrams. */
static void bridge_run_both_formats(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len;

	(void)state;
	e.bridge_run = 0xfedcba98u;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_true(ev.has & MCB_HAS_RUN_ID);
	assert_int_equal(ev.run_id, 0xfedcba98u);
	len = tenc_json(&e, (char *)buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_true(ev.has & MCB_HAS_RUN_ID);
	assert_int_equal(ev.run_id, 0xfedcba98u);

	e.bridge_run = 0;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_false(ev.has & MCB_HAS_RUN_ID);
	len = tenc_json(&e, (char *)buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_false(ev.has & MCB_HAS_RUN_ID);
}

static void notices(void **state)
{
	struct tenc_event e;
	size_t len;

	(void)state;
	tenc_init(&e);
	e.kind = MCB_KIND_LOST;
	e.count = 5;
	e.has_kseq = true;
	e.kernel_seq = 1000;
	e.bridge_seq = 3;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(len, MCB_WIRE_HDR_LEN);
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.kind, MCB_KIND_LOST);
	assert_int_equal(ev.count, 5);
	assert_int_equal(ev.kernel_seq, 1000);
	assert_true(ev.has & MCB_HAS_COUNT);

	e.kind = MCB_KIND_OVERRUN;
	e.has_kseq = false;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.kind, MCB_KIND_OVERRUN);
	assert_false(ev.has & MCB_HAS_KERNEL_SEQ);

	e.kind = 9;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_KIND);
}

static void header_checks(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len;

	(void)state;
	/* Bad magic: not ours (auto detection says "not mcbridge"). */
	e.magic = 0x4d434253;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_FORMAT);
	assert_int_equal(mcb_decode(buf, len, MCB_FMT_BINARY, &ev),
			 MCB_ERR_MAGIC);
	e.magic = 0;

	e.version = 2;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_VERSION);
	e.version = 0;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_VERSION);
	/* The version is checked before the rest of the header. */
	assert_int_equal(dec(buf, 8), MCB_ERR_VERSION);
	e.version = -1;

	e.hdr_len = 64;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_HDR_LEN);

	/* A longer header (a later extension) is skipped over. */
	e.hdr_len = 128;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	check_netdev();

	e.hdr_len = 5000;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(len, 0);	/* does not fit our buffer */
	e.hdr_len = -1;
	len = tenc_binary(&e, buf, sizeof(buf));
	{
		struct mcb_wire_hdr h;

		memcpy(&h, buf, sizeof(h));
		h.hdr_len = htobe16(4000);
		memcpy(buf, &h, sizeof(h));
	}
	assert_int_equal(dec(buf, len), MCB_ERR_TRUNCATED);

	e.attr_len_delta = 4;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_TRUNCATED);
	e.attr_len_delta = -4;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_ERR_TRAILING);
	e.attr_len_delta = 0;
}

static void every_truncation_fails(void **state)
{
	struct tenc_event e = netdev_event();
	size_t len = tenc_binary(&e, buf, sizeof(buf));

	(void)state;
	for (size_t n = 0; n < len; n++) {
		enum mcb_err err = dec(buf, n);

		if (n == 0)
			assert_int_equal(err, MCB_ERR_EMPTY);
		else if (n < 4)
			assert_int_equal(err, MCB_ERR_FORMAT);
		else
			assert_int_equal(err, MCB_ERR_TRUNCATED);
	}
	/* Cut to whole attributes and attr_len fixed up: still fine, the
	 * encoder's truncation flag says so. */
	e.truncated = true;
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_true(ev.truncated);
}

static size_t with_attrs(const unsigned char *attrs, size_t alen,
			 const char *family)
{
	struct tenc_event e;

	tenc_init(&e);
	e.family = family;
	e.extra_attrs = attrs;
	e.extra_len = alen;
	return tenc_binary(&e, buf, sizeof(buf));
}

static void malformed_attributes(void **state)
{
	unsigned char a[64];
	size_t off = 0, len;
	struct nlattr nla;

	(void)state;
	/* nla_len below the header size. */
	nla.nla_len = 2;
	nla.nla_type = 1;
	memcpy(a, &nla, sizeof(nla));
	len = with_attrs(a, 4, "mcbridge");
	assert_int_equal(dec(buf, len), MCB_ERR_ATTR);

	/* nla_len past the end. */
	nla.nla_len = 40;
	memcpy(a, &nla, sizeof(nla));
	memset(a + 4, 0, 8);
	len = with_attrs(a, 12, "nlctrl");
	assert_int_equal(dec(buf, len), MCB_ERR_ATTR);

	/* Two stray bytes after a good attribute. */
	off = 0;
	tenc_nla_u32(a, sizeof(a), &off, MCBRIDGE_ATTR_CPU, 1, false);
	a[off++] = 0;
	a[off++] = 0;
	len = with_attrs(a, off, "mcbridge");
	assert_int_equal(dec(buf, len), MCB_ERR_ATTR);

	/* The last attribute without its padding is fine. */
	off = 0;
	tenc_nla_u32(a, sizeof(a), &off, MCBRIDGE_ATTR_CPU, 9, false);
	tenc_nla(a, sizeof(a), &off, MCBRIDGE_ATTR_IFNAME, "ab", 3, false);
	len = with_attrs(a, off - 1, "mcbridge");
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.cpu, 9);
	assert_string_equal(ev.ifname, "ab");
}

static void odd_mcbridge_attributes(void **state)
{
	unsigned char a[256];
	size_t off = 0, len;
	uint16_t small = 7;
	static const char noterm[5] = { 'e', 't', 'h', '0', 'x' };
	static const char longname[40] = "a-very-long-interface-name-indeed";

	(void)state;
	/* Wrong size for a u32: listed, not named. */
	tenc_nla(a, sizeof(a), &off, MCBRIDGE_ATTR_MTU, &small, 2, false);
	/* A repeat: the first one has the name. */
	tenc_nla_u32(a, sizeof(a), &off, MCBRIDGE_ATTR_CPU, 1, false);
	tenc_nla_u32(a, sizeof(a), &off, MCBRIDGE_ATTR_CPU, 2, false);
	/* A string without NUL, and one too long. */
	tenc_nla(a, sizeof(a), &off, MCBRIDGE_ATTR_MODULE_NAME, noterm, 5, false);
	tenc_nla(a, sizeof(a), &off, MCBRIDGE_ATTR_IFNAME, longname,
		 sizeof(longname), false);
	/* An attribute type from the future. */
	tenc_nla_u32(a, sizeof(a), &off, 200, 0xdead, false);
	len = with_attrs(a, off, "mcbridge");
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_false(ev.has & MCB_HAS_MTU);
	assert_int_equal(ev.cpu, 1);
	assert_string_equal(ev.module, "eth0x");
	assert_int_equal(strlen(ev.ifname), MCB_IFNAMSIZ - 1);
	assert_true(ev.clipped);
	assert_int_equal(ev.nattrs, 3);
	assert_int_equal(ev.attrs[0].type, MCBRIDGE_ATTR_MTU);
	assert_int_equal(ev.attrs[0].kind, MCB_ATTR_U16);
	assert_int_equal(ev.attrs[0].num, 7);
	assert_int_equal(ev.attrs[1].type, MCBRIDGE_ATTR_CPU);
	assert_int_equal(ev.attrs[1].num, 2);
	assert_int_equal(ev.attrs[2].type, 200);
	assert_int_equal(ev.attrs[2].num, 0xdead);
}

static void generic_classification(void **state)
{
	unsigned char a[512], inner[64];
	size_t off = 0, ioff = 0, len;
	uint8_t u8 = 200;
	uint16_t u16 = 60000;
	uint64_t u64 = 0x1122334455667788ull;
	uint32_t netorder = htobe32(0x01020304);
	static const unsigned char odd[5] = { 0, 1, 2, 0xff, 0x10 };
	static const unsigned char bad_utf8[4] = { 'a', 0xff, 'b', 0 };

	(void)state;
	tenc_nla_u32(inner, sizeof(inner), &ioff, 1, 5, false);
	tenc_nla(a, sizeof(a), &off, 1, &u8, 1, false);
	tenc_nla(a, sizeof(a), &off, 2, &u16, 2, false);
	tenc_nla_u32(a, sizeof(a), &off, 3, 70000, false);
	tenc_nla(a, sizeof(a), &off, 4, &u64, 8, false);
	tenc_nla_str(a, sizeof(a), &off, 5, "nlctrl", false);
	tenc_nla_str(a, sizeof(a), &off, 6, "abc", false);	/* 4 bytes: text */
	tenc_nla(a, sizeof(a), &off, 7 | NLA_F_NESTED, inner,
		 (uint16_t)ioff, false);
	tenc_nla(a, sizeof(a), &off, 8, inner, (uint16_t)ioff, false);
	tenc_nla(a, sizeof(a), &off, 9, odd, sizeof(odd), false);
	tenc_nla(a, sizeof(a), &off, 10 | NLA_F_NET_BYTEORDER, &netorder, 4,
		 false);
	tenc_nla(a, sizeof(a), &off, 11, bad_utf8, 4, false);
	len = with_attrs(a, off, "nlctrl");
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_false(ev.has & MCB_HAS_TYPE);
	assert_int_equal(ev.nattrs, 11);
	assert_int_equal(ev.attrs[0].kind, MCB_ATTR_U8);
	assert_int_equal(ev.attrs[0].num, 200);
	assert_int_equal(ev.attrs[1].kind, MCB_ATTR_U16);
	assert_int_equal(ev.attrs[1].num, 60000);
	assert_int_equal(ev.attrs[2].kind, MCB_ATTR_U32);
	assert_int_equal(ev.attrs[2].num, 70000);
	assert_int_equal(ev.attrs[3].kind, MCB_ATTR_U64);
	assert_true(ev.attrs[3].num == 0x1122334455667788ull);
	assert_int_equal(ev.attrs[4].kind, MCB_ATTR_STR);
	assert_int_equal(ev.attrs[4].data_len, 7);
	assert_memory_equal(ev.attrs[4].data, "nlctrl", 7);
	assert_int_equal(ev.attrs[5].kind, MCB_ATTR_STR);
	assert_int_equal(ev.attrs[6].kind, MCB_ATTR_NESTED);
	assert_int_equal(ev.attrs[6].type, 7);
	assert_int_equal(ev.attrs[7].kind, MCB_ATTR_U64); /* 8 bytes */
	assert_int_equal(ev.attrs[8].kind, MCB_ATTR_HEX);
	assert_int_equal(ev.attrs[9].kind, MCB_ATTR_U32);
	assert_int_equal(ev.attrs[9].num, 0x01020304);
	assert_int_equal(ev.attrs[10].kind, MCB_ATTR_U32);	/* not text */
}

static void nested_without_flag(void **state)
{
	unsigned char a[128], inner[64];
	size_t off = 0, ioff = 0, len;

	(void)state;
	tenc_nla_u32(inner, sizeof(inner), &ioff, 1, 5, false);
	tenc_nla_str(inner, sizeof(inner), &ioff, 2, "x", false);
	tenc_nla(a, sizeof(a), &off, 3, inner, (uint16_t)ioff, false);
	len = with_attrs(a, off, "nlctrl");
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.nattrs, 1);
	assert_int_equal(ev.attrs[0].len, 16);
	assert_int_equal(ev.attrs[0].kind, MCB_ATTR_NESTED);
}

static void many_attrs_are_capped(void **state)
{
	unsigned char a[1024];
	size_t off = 0, len;

	(void)state;
	for (uint16_t i = 0; i < 100; i++)
		tenc_nla_u32(a, sizeof(a), &off, i, i, false);
	len = with_attrs(a, off, "nlctrl");
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_int_equal(ev.nattrs, MCB_EVENT_MAX_ATTRS);
	assert_int_equal(ev.attrs_total, 100);
}

static void full_width_names(void **state)
{
	struct tenc_event e;
	size_t len;

	(void)state;
	tenc_init(&e);
	e.family = "0123456789abcdefXYZ";	/* 16 bytes, no NUL */
	e.group = "g";
	len = tenc_binary(&e, buf, sizeof(buf));
	assert_int_equal(dec(buf, len), MCB_OK);
	assert_string_equal(ev.family, "0123456789abcde");
	assert_true(ev.clipped);
	assert_string_equal(ev.group, "g");
}

static void nla_iterator(void **state)
{
	unsigned char a[64];
	size_t off = 0;
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type = 0, flags = 0, plen = 0;

	(void)state;
	tenc_nla_u32(a, sizeof(a), &off, 5 | NLA_F_NESTED, 42, true);
	mcb_nla_iter_init(&it, a, off, true);
	assert_int_equal(mcb_nla_next(&it, &type, &flags, &pl, &plen), 1);
	assert_int_equal(type, 5);
	assert_int_equal(flags, NLA_F_NESTED);
	assert_int_equal(plen, 4);
	assert_int_equal(mcb_nla_uint(pl, plen, true), 42);
	assert_int_equal(mcb_nla_next(&it, &type, &flags, &pl, &plen), 0);
	/* Read in the wrong byte order the length is nonsense. */
	mcb_nla_iter_init(&it, a, off, false);
	assert_int_equal(mcb_nla_next(&it, &type, &flags, &pl, &plen), -1);
	assert_int_equal(mcb_nla_uint(pl, 3, true), 0);
}

static void mutations_do_not_crash(void **state)
{
	static unsigned char base[1024], m[1024];
	unsigned char a[256];
	size_t off = 0, len;
	struct tenc_event e = netdev_event();
	uint32_t x = 777;
	int ok = 0;

	(void)state;
	tenc_nla_str(a, sizeof(a), &off, 30, "generic", false);
	tenc_nla_u32(a, sizeof(a), &off, 31 | NLA_F_NESTED, 1, false);
	e.extra_attrs = a;
	e.extra_len = off;
	len = tenc_binary(&e, base, sizeof(base));
	for (int i = 0; i < 50000; i++) {
		int flips;

		memcpy(m, base, len);
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		flips = 1 + (int)(x % 3);
		for (int f = 0; f < flips; f++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			/* Mostly in the attributes, where the lengths are. */
			m[MCB_WIRE_HDR_LEN - 48 + x % (uint32_t)(len - 48)] =
				(unsigned char)(x >> 8);
		}
		if (dec(m, len) == MCB_OK) {
			ok++;
			assert_true(strlen(ev.ifname) < sizeof(ev.ifname));
			assert_true(ev.nattrs <= MCB_EVENT_MAX_ATTRS);
			for (unsigned k = 0; k < ev.nattrs; k++)
				assert_true(ev.attrs[k].data_len <= len);
		}
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netdev_every_field),
		cmocka_unit_test(big_endian_attributes),
		cmocka_unit_test(module_and_text),
		cmocka_unit_test(seq_from_attributes_when_header_has_none),
		cmocka_unit_test(bridge_run_both_formats),
		cmocka_unit_test(notices),
		cmocka_unit_test(header_checks),
		cmocka_unit_test(every_truncation_fails),
		cmocka_unit_test(malformed_attributes),
		cmocka_unit_test(odd_mcbridge_attributes),
		cmocka_unit_test(generic_classification),
		cmocka_unit_test(nested_without_flag),
		cmocka_unit_test(many_attrs_are_capped),
		cmocka_unit_test(full_width_names),
		cmocka_unit_test(nla_iterator),
		cmocka_unit_test(mutations_do_not_crash),
	};

	return cmocka_run_group_tests_name("decode_binary", tests, NULL, NULL);
}
