// SPDX-License-Identifier: MIT
/*
 * The one JSON string writer (lib/jsonstr.h), which the bridge's encoder
 * and the listener's renderer both use: every kind of byte, and output
 * that fills up (never a cut escape or character).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jsonstr.h"

static char out[1024];

static const char *esc(const void *s, size_t n)
{
	size_t len;

	assert_int_equal(mcb_json_escape_into(out, sizeof(out) - 1, s, n, &len),
			 n);
	out[len] = '\0';
	return out;
}

static void every_kind_of_byte(void **state)
{
	static const char in[] =
		"q\"b\\s/\b\f\n\r\t\x01\x1f\x7f" "\0nul"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"	/* valid */
		"\xc2\x9b\xc2\x85\xc2\xa0"		/* C1 controls, NBSP */
		"\xff\xfe" "\xc0\xaf" "\xed\xa0\x80"	/* never valid */
		"\xf4\x90\x80\x80" "\xe2\x82";		/* > U+10FFFF, cut */

	(void)state;
	assert_string_equal(esc(in, sizeof(in) - 1),
		"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f" "\\u0000nul"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
		"\\u009b\\u0085\xc2\xa0"
		"\\u00ff\\u00fe\\u00c0\\u00af\\u00ed\\u00a0\\u0080"
		"\\u00f4\\u0090\\u0080\\u0080\\u00e2\\u0082");
	/* A lone C1 lead byte is not a C1 control: one byte, escaped. */
	assert_string_equal(esc("\xc2X\xc2\xcc\xc2", 5),
			    "\\u00c2X\\u00c2\\u00cc\\u00c2");
	assert_string_equal(esc("plain", 5), "plain");
	assert_string_equal(esc("", 0), "");
}

/* Whatever the room, what was written is a prefix of the whole escaped
 * form that ends between characters, and it says how much input it took. */
static void fills_up_whole(void **state)
{
	static const char in[] = "ab\"\xc3\xa9" "c\x01\xe2\x82\xac" "d\\";
	char whole[128], part[128];
	size_t wlen, plen, used;

	(void)state;
	used = mcb_json_escape_into(whole, sizeof(whole), in, sizeof(in) - 1,
				    &wlen);
	assert_int_equal(used, sizeof(in) - 1);
	for (size_t room = 0; room <= wlen; room++) {
		size_t again;

		memset(part, 0, sizeof(part));
		used = mcb_json_escape_into(part, room, in, sizeof(in) - 1,
					    &plen);
		assert_true(plen <= room);
		assert_memory_equal(part, whole, plen);
		/* The rest of the input escapes to the rest of the output. */
		mcb_json_escape_into(part + plen, sizeof(part) - plen,
				     in + used, sizeof(in) - 1 - used, &again);
		assert_int_equal(plen + again, wlen);
		assert_memory_equal(part, whole, wlen);
		if (room == wlen)
			assert_int_equal(used, sizeof(in) - 1);
		else
			assert_true(used < sizeof(in) - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_of_byte),
		cmocka_unit_test(fills_up_whole),
	};

	return cmocka_run_group_tests_name("jsonstr", tests, NULL, NULL);
}
