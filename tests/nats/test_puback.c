/* SPDX-License-Identifier: MIT */
/* JetStream publish acknowledgements, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "puback.h"

static struct mcbn_puback pa;

static enum mcbn_ack_kind parse(const char *s)
{
	mcbn_puback_parse(s, strlen(s), &pa);
	return pa.kind;
}

static void stored(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"stream\":\"FLEET\",\"seq\":42}"),
			 MCBN_ACK_STORED);
	assert_int_equal(pa.seq, 42);
	assert_string_equal(pa.stream, "FLEET");
	/* Spaces, other keys, in any order. */
	assert_int_equal(parse(" { \"seq\" : 7 , \"domain\":\"d\", \"x\":[1,"
			       "{\"y\":null},-2.5e3,true], \"stream\":\"S\" } "),
			 MCBN_ACK_STORED);
	assert_int_equal(pa.seq, 7);
	assert_int_equal(parse("{\"stream\":\"S\",\"seq\":3,\"duplicate\":"
			       "false}"), MCBN_ACK_STORED);
	assert_int_equal(parse("{\"stream\":\"S\",\"seq\":18446744073709551615}"),
			 MCBN_ACK_STORED);
	assert_int_equal(pa.seq, UINT64_MAX);
}

static void duplicate(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"stream\":\"FLEET\",\"seq\":9,"
			       "\"duplicate\":true}"), MCBN_ACK_DUPLICATE);
	assert_int_equal(pa.seq, 9);
}

static void error(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"error\":{\"code\":503,\"err_code\":10077,"
			       "\"description\":\"JetStream system temporarily "
			       "unavailable\"}}"), MCBN_ACK_ERROR);
	assert_int_equal(pa.code, 503);
	assert_int_equal(pa.err_code, 10077);
	assert_string_equal(pa.text, "JetStream system temporarily unavailable");
	/* An error wins over a seq. */
	assert_int_equal(parse("{\"stream\":\"S\",\"seq\":1,\"error\":{"
			       "\"code\":400}}"), MCBN_ACK_ERROR);
	/* A long description is cut, terminated. */
	{
		char big[600] = "{\"error\":{\"code\":500,\"description\":\"";
		size_t n = strlen(big);

		memset(big + n, 'x', 400);
		strcpy(big + n + 400, "\"}}");
		assert_int_equal(parse(big), MCBN_ACK_ERROR);
		assert_int_equal(strlen(pa.text), sizeof(pa.text) - 1);
	}
}

static void malformed(void **state)
{
	static const char *const bad[] = {
		"", "{", "}", "[]", "null", "{\"stream\":\"S\"}",
		"{\"seq\":1}", "{\"stream\":\"S\",\"seq\":}",
		"{\"stream\":\"S\",\"seq\":1", "{\"stream\":\"S\",\"seq\":1}x",
		"{\"stream\":\"S\",\"seq\":-1}",
		"{\"stream\":\"S\",\"seq\":18446744073709551616}",
		"{\"stream\":\"S\",\"seq\":1,\"duplicate\":1}",
		"{\"stream\":S,\"seq\":1}", "{\"stream\":\"S\n\",\"seq\":1}",
		"{\"error\":[]}", "{\"error\":{\"code\":\"x\"}}",
		"{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]],\"stream\":\"S\",\"seq\":1}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":tru}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i]);
		if (pa.kind != MCBN_ACK_MALFORMED)
			fail_msg("'%s' parsed as %d", bad[i], pa.kind);
	}
	/* Not NUL-terminated: only len bytes are read. */
	mcbn_puback_parse("{\"stream\":\"S\",\"seq\":1}garbage", 22, &pa);
	assert_int_equal(pa.kind, MCBN_ACK_STORED);
	mcbn_puback_parse("{\"stream\":\"S\",\"seq\":1}", 21, &pa);
	assert_int_equal(pa.kind, MCBN_ACK_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stored),
		cmocka_unit_test(duplicate),
		cmocka_unit_test(error),
		cmocka_unit_test(malformed),
	};

	return cmocka_run_group_tests_name("puback", tests, NULL, NULL);
}
