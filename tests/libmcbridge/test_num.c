// SPDX-License-Identifier: MIT
/* Number and size parsing (lib/num.h): the rules every program shares. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/hex.h"
#include "lib/num.h"

static void numbers(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mcb_parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mcb_parse_u64("18446744073709551615", 0, UINT64_MAX,
				       &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(mcb_parse_u64("18446744073709551616", 0, UINT64_MAX,
				       &v), -ERANGE);
	assert_int_equal(mcb_parse_u64("11", 0, 10, &v), -ERANGE);
	assert_int_equal(mcb_parse_u64("0", 1, 10, &v), -ERANGE);
	for (const char *const *s = (const char *const[]){ "", "-1", "+1",
		" 1", "\t1", "1 ", "0x10", "1k", "x", NULL }; *s; s++)
		if (mcb_parse_u64(*s, 0, UINT64_MAX, &v) != -EINVAL)
			fail_msg("accepted '%s'", *s);
	assert_int_equal(mcb_parse_u64(NULL, 0, 1, &v), -EINVAL);
}

static void sizes(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mcb_parse_size("8k", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(mcb_parse_size("8K", 0, UINT64_MAX, &v), 0);
	assert_int_equal(mcb_parse_size("3m", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 3 << 20);
	assert_int_equal(mcb_parse_size("2G", 0, UINT64_MAX, &v), 0);
	assert_true(v == 2ull << 30);
	assert_int_equal(mcb_parse_size("4096", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mcb_parse_size("4G", 0, INT32_MAX, &v), -ERANGE);
	assert_int_equal(mcb_parse_size("17179869184G", 0, UINT64_MAX, &v),
			 -ERANGE);
	for (const char *const *s = (const char *const[]){ "", "k", "3T",
		"1kk", "1 k", "-1k", "1.5M", NULL }; *s; s++)
		if (mcb_parse_size(*s, 0, UINT64_MAX, &v) != -EINVAL)
			fail_msg("accepted '%s'", *s);
}

static void hex(void **state)
{
	unsigned char b[3];
	char h[7] = { 0 };

	(void)state;
	mcb_hex_encode(h, "\x00\xab\xff", 3);
	assert_string_equal(h, "00abff");
	assert_int_equal(mcb_hex_decode(b, "00abff", 3, false), 0);
	assert_memory_equal(b, "\x00\xab\xff", 3);
	assert_int_equal(mcb_hex_decode(b, "00ABff", 3, false), -EINVAL);
	assert_int_equal(mcb_hex_decode(b, "00ABff", 3, true), 0);
	assert_memory_equal(b, "\x00\xab\xff", 3);
	assert_int_equal(mcb_hex_decode(b, "00ag", 2, true), -EINVAL);
	assert_int_equal(mcb_hex_decode(b, "0", 1, true), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers),
		cmocka_unit_test(sizes),
		cmocka_unit_test(hex),
	};

	return cmocka_run_group_tests_name("num", tests, NULL, NULL);
}
