/* SPDX-License-Identifier: MIT */
/* Subject tokens, subject checks and coverage; server URL lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "subject.h"
#include "url.h"

static void tokens(void **state)
{
	char t[16];

	(void)state;
	assert_int_equal(mcbn_token(t, sizeof(t), "ethtool", 7), 7);
	assert_string_equal(t, "ethtool");
	/* Every separator, wildcard, space and control becomes '_'. */
	mcbn_token(t, sizeof(t), "a.b*c>d e\n\x1b", 11);
	assert_string_equal(t, "a_b_c_d_e__");
	mcbn_token(t, sizeof(t), "web1.example", 12);
	assert_string_equal(t, "web1_example");
	/* Bytes of UTF-8 too: one '_' each. */
	mcbn_token(t, sizeof(t), "h\xc3\xa9", 3);
	assert_string_equal(t, "h__");
	/* Empty: a token still. */
	assert_int_equal(mcbn_token(t, sizeof(t), "", 0), 1);
	assert_string_equal(t, "_");
	/* Cut to fit, terminated. */
	assert_int_equal(mcbn_token(t, 4, "abcdef", 6), 3);
	assert_string_equal(t, "abc");
	/* A NUL inside counts as a byte like any other. */
	mcbn_token(t, sizeof(t), "a\0b", 3);
	assert_string_equal(t, "a_b");
}

static void subjects(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(mcbn_subject_check("mcbridge", false, why,
					    sizeof(why)), 0);
	assert_int_equal(mcbn_subject_check("fleet.events", false, why,
					    sizeof(why)), 0);
	assert_int_equal(mcbn_subject_check("mcbridge.>", true, why,
					    sizeof(why)), 0);
	assert_int_equal(mcbn_subject_check("mcbridge.*.ethtool.>", true, why,
					    sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("", false, why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a..b", false, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check(".a", false, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a.", false, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a b", false, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a\tb", false, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a.*", false, why,
						sizeof(why)), 0);
	assert_non_null(strstr(why, "wildcard"));
	assert_int_not_equal(mcbn_subject_check("a.>.b", true, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a.b*", true, why,
						sizeof(why)), 0);
	assert_int_not_equal(mcbn_subject_check("a.\x7f", true, why,
						sizeof(why)), 0);
}

static void coverage(void **state)
{
	const char *p = "mcbridge.h1.*.*.*";

	(void)state;
	assert_true(mcbn_subject_covers(">", p));
	assert_true(mcbn_subject_covers("mcbridge.>", p));
	assert_true(mcbn_subject_covers("mcbridge.h1.>", p));
	assert_true(mcbn_subject_covers("mcbridge.*.>", p));
	assert_true(mcbn_subject_covers("mcbridge.*.*.*.*", p));
	assert_true(mcbn_subject_covers("mcbridge.h1.*.*.*", p));
	assert_false(mcbn_subject_covers("mcbridge.h2.>", p));
	assert_false(mcbn_subject_covers("mcbridge.h1.ethtool.>", p));
	assert_false(mcbn_subject_covers("mcbridge.*.*.*", p));
	assert_false(mcbn_subject_covers("mcbridge.*.*.*.*.*", p));
	assert_false(mcbn_subject_covers("other.>", p));
	assert_false(mcbn_subject_covers("mcbridge", p));
	/* A '>' of the pattern needs one in the filter. */
	assert_false(mcbn_subject_covers("mcbridge.*", "mcbridge.>"));
	assert_true(mcbn_subject_covers("mcbridge.>", "mcbridge.>"));
	/* Literals match literals only. */
	assert_true(mcbn_subject_covers("a.b", "a.b"));
	assert_false(mcbn_subject_covers("a.bc", "a.b"));
}

static void stream_names(void **state)
{
	(void)state;
	assert_true(mcbn_stream_name_ok("FLEET"));
	assert_true(mcbn_stream_name_ok("fleet-events_2"));
	assert_false(mcbn_stream_name_ok(""));
	assert_false(mcbn_stream_name_ok("a.b"));
	assert_false(mcbn_stream_name_ok("a*"));
	assert_false(mcbn_stream_name_ok("a>"));
	assert_false(mcbn_stream_name_ok("a b"));
	assert_false(mcbn_stream_name_ok("a/b"));
}

static void urls(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(mcbn_urls_check("nats://127.0.0.1:4222", why,
					 sizeof(why)), 0);
	assert_int_equal(mcbn_urls_check("nats://a:1,tls://b.example:2,c", why,
					 sizeof(why)), 0);
	assert_int_equal(mcbn_urls_check("nats://user:pw@host:4222", why,
					 sizeof(why)), 0);
	assert_int_equal(mcbn_urls_check("nats://[::1]:4222", why,
					 sizeof(why)), 0);
	assert_int_equal(mcbn_urls_check("localhost", why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("", why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("http://host:4222", why,
					     sizeof(why)), 0);
	assert_non_null(strstr(why, "scheme"));
	assert_int_not_equal(mcbn_urls_check("nats://", why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://host:", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://host:0", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://host:65536", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://host:42x", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://ho st:1", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("a,,b", why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("a,", why, sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://[::1", why,
					     sizeof(why)), 0);
	assert_int_not_equal(mcbn_urls_check("nats://[]:1", why,
					     sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokens),
		cmocka_unit_test(subjects),
		cmocka_unit_test(coverage),
		cmocka_unit_test(stream_names),
		cmocka_unit_test(urls),
	};

	return cmocka_run_group_tests_name("subject", tests, NULL, NULL);
}
