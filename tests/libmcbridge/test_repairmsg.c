// SPDX-License-Identifier: MIT
/* Repair channel messages (mcbridge/repair.h): what is encoded parses back
 * the same; everything else is refused, with the reason. */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mcbridge/repair.h>

static struct mcb_repair_msg request(void)
{
	struct mcb_repair_msg q;

	memset(&q, 0, sizeof(q));
	q.type = MCB_REPAIR_RANGE;
	q.run = 0xdeadbeef;
	q.session = 0x0102030405060708ull;
	q.req_seq = 42;
	q.first = 1000;
	q.last = 2000;
	q.epoch = 77;
	q.af = 4;
	q.addr[0] = 225;
	q.addr[3] = 1;
	q.port = 7788;
	strcpy(q.family, "ethtool");
	strcpy(q.group, "monitor");
	return q;
}

static struct mcb_auth key(const char *k)
{
	struct mcb_key kb = { .len = 32 };
	struct mcb_auth a;

	memset(kb.bytes, 0, sizeof(kb.bytes));
	memcpy(kb.bytes, k, strlen(k));
	assert_int_equal(mcb_auth_init(&a, &kb), 0);
	return a;
}

static void request_roundtrip(void **state)
{
	struct mcb_repair_msg q = request(), p;
	unsigned char buf[256];
	uint16_t port;
	size_t len;

	(void)state;
	len = mcb_repair_encode(&q, NULL, buf, sizeof(buf));
	assert_int_equal(len, sizeof(struct mcb_repair_req));
	assert_int_equal(mcb_repair_parse_req(buf, len, NULL, &p), MCB_RP_OK);
	assert_int_equal(p.type, MCB_REPAIR_RANGE);
	assert_int_equal(p.run, q.run);
	assert_true(p.session == q.session && p.req_seq == 42);
	assert_true(p.first == 1000 && p.last == 2000 && p.epoch == 77);
	assert_int_equal(p.af, 4);
	assert_memory_equal(p.addr, q.addr, 16);
	assert_int_equal(p.port, 7788);
	assert_string_equal(p.family, "ethtool");
	assert_string_equal(p.group, "monitor");
	assert_false(p.auth);
	/* Big-endian on the wire, where wire.h says. */
	assert_int_equal(buf[0], 'M');
	assert_int_equal(buf[3], 'P');
	memcpy(&port, buf + offsetof(struct mcb_repair_req, port), 2);
	assert_int_equal(be16toh(port), 7788);
	/* An answer is no request, and a request no answer. */
	assert_int_equal(mcb_repair_parse_ans(buf, len, NULL, &p),
			 MCB_RP_MALFORMED);
	/* Too small a buffer. */
	assert_int_equal(mcb_repair_encode(&q, NULL, buf, len - 1), 0);
}

static void request_malformed(void **state)
{
	struct mcb_repair_msg q = request(), p;
	unsigned char buf[256], bad[256];
	size_t len = mcb_repair_encode(&q, NULL, buf, sizeof(buf));
	static const struct { size_t off; unsigned char v; } breaks[] = {
		{ 0, 'X' },		/* magic */
		{ 4, 2 },		/* version */
		{ 5, 9 },		/* type */
		{ 5, MCB_REPAIR_DATA },	/* an answer type */
		{ 6, 1 },		/* status in a request */
		{ 7, 0x80 },		/* unknown flag */
		{ 12, 1 },		/* reserved */
		{ 64 + 4, 1 },		/* IPv4 address beyond its 4 bytes */
		{ offsetof(struct mcb_repair_req, af), 5 },	/* family */
		{ offsetof(struct mcb_repair_req, reserved) + 4, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		memcpy(bad, buf, len);
		bad[breaks[i].off] = breaks[i].v;
		if (mcb_repair_parse_req(bad, len, NULL, &p) !=
		    MCB_RP_MALFORMED)
			fail_msg("break %zu accepted", i);
	}
	/* A family name without its NUL. */
	memcpy(bad, buf, len);
	memset(bad + offsetof(struct mcb_repair_req, family), 'a', 16);
	assert_int_equal(mcb_repair_parse_req(bad, len, NULL, &p),
			 MCB_RP_MALFORMED);
	/* Bytes after the name's NUL: not the one form. */
	memcpy(bad, buf, len);
	bad[offsetof(struct mcb_repair_req, group) + 15] = '@';
	assert_int_equal(mcb_repair_parse_req(bad, len, NULL, &p),
			 MCB_RP_MALFORMED);
	/* Every length but the right one. */
	for (size_t n = 0; n < len + 40; n++)
		if (n != len && mcb_repair_parse_req(buf, n, NULL, &p) ==
		    MCB_RP_OK)
			fail_msg("length %zu accepted", n);
}

static void request_auth(void **state)
{
	struct mcb_auth a = key("the key of the test, 32 bytes ok"),
			b = key("another key entirely, 32 bytes!!");
	struct mcb_repair_msg q = request(), p;
	unsigned char buf[256], bad[256];
	size_t len, plain;

	(void)state;
	plain = mcb_repair_encode(&q, NULL, buf, sizeof(buf));
	/* Unsigned, to a bridge with a key. */
	assert_int_equal(mcb_repair_parse_req(buf, plain, &a, &p),
			 MCB_RP_UNSIGNED);
	len = mcb_repair_encode(&q, &a, buf, sizeof(buf));
	assert_int_equal(len, plain + MCB_WIRE_MAC_LEN);
	assert_int_equal(mcb_repair_parse_req(buf, len, &a, &p), MCB_RP_OK);
	assert_true(p.auth);
	/* Without a key the MAC is skipped. */
	assert_int_equal(mcb_repair_parse_req(buf, len, NULL, &p), MCB_RP_OK);
	/* Another key: forged. */
	assert_int_equal(mcb_repair_parse_req(buf, len, &b, &p),
			 MCB_RP_BAD_MAC);
	/* Any bit changed: altered. */
	for (size_t i = 0; i < len; i++) {
		enum mcb_repair_parse r;

		memcpy(bad, buf, len);
		bad[i] ^= 0x04;
		r = mcb_repair_parse_req(bad, len, &a, &p);
		if (r == MCB_RP_OK)
			fail_msg("byte %zu altered, accepted", i);
	}
	/* The flag cleared: a signed request passed off as unsigned. */
	memcpy(bad, buf, len);
	bad[7] = 0;
	assert_int_not_equal(mcb_repair_parse_req(bad, len, &a, &p),
			     MCB_RP_OK);
	assert_int_not_equal(mcb_repair_parse_req(bad, plain, &a, &p),
			     MCB_RP_OK);
	mcb_auth_fini(&a);
	mcb_auth_fini(&b);
}

static void end_roundtrip(void **state)
{
	struct mcb_auth a = key("the key of the test, 32 bytes ok");
	struct mcb_repair_msg e, p;
	unsigned char buf[256];
	size_t len;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.type = MCB_REPAIR_END;
	e.status = MCB_REPAIR_ST_RUN;
	e.run = 5;
	e.session = 6;
	e.req_seq = 7;
	e.first = 10;
	e.last = 20;
	e.lost_first = 10;
	e.lost_last = 12;
	e.held_first = 13;
	e.held_last = 99;
	for (int signed_ = 0; signed_ < 2; signed_++) {
		struct mcb_auth *k = signed_ ? &a : NULL;

		len = mcb_repair_encode(&e, k, buf, sizeof(buf));
		assert_int_equal(len, sizeof(struct mcb_repair_end) +
				 (signed_ ? MCB_WIRE_MAC_LEN : 0));
		assert_int_equal(mcb_repair_parse_ans(buf, len, k, &p),
				 MCB_RP_OK);
		assert_true(p.type == MCB_REPAIR_END && p.status == 1 &&
			    p.run == 5 && p.session == 6 && p.req_seq == 7);
		assert_true(p.first == 10 && p.last == 20 &&
			    p.lost_first == 10 && p.lost_last == 12 &&
			    p.held_first == 13 && p.held_last == 99);
		assert_int_equal(mcb_repair_parse_req(buf, len, NULL, &p),
				 MCB_RP_MALFORMED);
	}
	/* A listener with a key refuses an unsigned END. */
	len = mcb_repair_encode(&e, NULL, buf, sizeof(buf));
	assert_int_equal(mcb_repair_parse_ans(buf, len, &a, &p),
			 MCB_RP_UNSIGNED);
	mcb_auth_fini(&a);
}

static void data_records(void **state)
{
	static unsigned char buf[MCB_WIRE_MAX_DATAGRAM];
	static unsigned char big[MCB_WIRE_MAX_DATAGRAM];
	struct mcb_repair_msg m, p;
	const unsigned char *d;
	size_t len, dl, pos = 0;
	uint32_t count;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = MCB_REPAIR_DATA;
	m.run = 3;
	m.first = 100;
	m.last = 199;
	len = mcb_repair_data_begin(&m, buf);
	assert_int_equal(len, sizeof(struct mcb_repair_data));
	/* Records of 1..9 bytes: padding to 4 each. */
	for (size_t n = 1; n <= 9; n++) {
		char rec[16];

		memset(rec, (int)n, n);
		len = mcb_repair_data_add(buf, len, sizeof(buf), rec, n);
		assert_int_not_equal(len, 0);
	}
	assert_int_equal(mcb_repair_parse_ans(buf, len, NULL, &p), MCB_RP_OK);
	assert_true(p.type == MCB_REPAIR_DATA && p.run == 3 &&
		    p.first == 100 && p.last == 199 && p.count == 9);
	for (size_t n = 1; n <= 9; n++) {
		assert_true(mcb_repair_data_next(&p, &pos, &d, &dl));
		assert_int_equal(dl, n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(d[i], n);
	}
	assert_false(mcb_repair_data_next(&p, &pos, &d, &dl));
	/* The count must match the records, records must fill it. */
	memcpy(&count, buf + offsetof(struct mcb_repair_data, count), 4);
	count = htobe32(be32toh(count) + 1);
	memcpy(buf + offsetof(struct mcb_repair_data, count), &count, 4);
	assert_int_equal(mcb_repair_parse_ans(buf, len, NULL, &p),
			 MCB_RP_MALFORMED);
	count = htobe32(be32toh(count) - 1);
	memcpy(buf + offsetof(struct mcb_repair_data, count), &count, 4);
	assert_int_equal(mcb_repair_parse_ans(buf, len - 4, NULL, &p),
			 MCB_RP_MALFORMED);
	assert_int_equal(mcb_repair_parse_ans(buf, len + 4, NULL, &p),
			 MCB_RP_MALFORMED);
	/* A record length past the end. */
	buf[sizeof(struct mcb_repair_data) + 3] = 200;
	assert_int_equal(mcb_repair_parse_ans(buf, len, NULL, &p),
			 MCB_RP_MALFORMED);
	/* The largest record fits a message of its own, one byte more not. */
	len = mcb_repair_data_begin(&m, buf);
	assert_int_equal(mcb_repair_data_add(buf, len, sizeof(buf), big,
					     MCB_REPAIR_MAX_RECORD + 1), 0);
	len = mcb_repair_data_add(buf, len, sizeof(buf), big,
				  MCB_REPAIR_MAX_RECORD - 3);
	assert_true(len > 0 && len <= MCB_WIRE_MAX_DATAGRAM);
	assert_int_equal(mcb_repair_parse_ans(buf, len, NULL, &p), MCB_RP_OK);
	/* No room left: refused, the message unchanged. */
	assert_int_equal(mcb_repair_data_add(buf, len, sizeof(buf), big, 8),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_roundtrip),
		cmocka_unit_test(request_malformed),
		cmocka_unit_test(request_auth),
		cmocka_unit_test(end_roundtrip),
		cmocka_unit_test(data_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
