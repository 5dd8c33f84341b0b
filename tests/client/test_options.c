/* SPDX-License-Identifier: MIT */
/* mcbridge-listen's command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <cmocka.h>

#include <linux/mcbridge.h>

#include "listen.h"

static struct listen_opts o;
static char out_buf[4096], err_buf[4096];

/* Parse a NULL-terminated list of arguments after the program name. */
static int parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	FILE *out = fmemopen(out_buf, sizeof(out_buf), "w");
	FILE *err = fmemopen(err_buf, sizeof(err_buf), "w");
	int r;

	assert_non_null(out);
	assert_non_null(err);
	argv[argc++] = (char *)"mcbridge-listen";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	r = listen_opts_parse(&o, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void defaults(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(NULL), OPTS_RUN);
	inet_ntop(AF_INET, &o.cfg.group, a, sizeof(a));
	assert_string_equal(a, "225.0.0.1");
	inet_ntop(AF_INET, &o.cfg.iface_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(o.cfg.iface_index, 0);
	assert_int_equal(o.cfg.port, 7788);
	assert_int_equal(o.cfg.rcvbuf, MCB_LISTEN_DEFAULT_RCVBUF);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.timeout_ms, 0);
	assert_int_equal(o.format, MCB_FMT_AUTO);
	assert_int_equal(o.filter.types, 0);
	assert_false(o.human);
	assert_false(o.latency);
	assert_int_equal(o.ready_fd, -1);
	assert_int_equal(o.linger_us, 0);
}

static void every_option(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse("--group", "239.1.2.3", "--port", "9000",
			       "--interface", "127.0.0.2", "--count", "5",
			       "--timeout", "1.5", "--format", "binary",
			       "--type", "netdev,injected,other", "--human",
			       "--latency", "--rcvbuf", "8M", "--ready-fd", "7",
			       "--linger-us", "100000", NULL), OPTS_RUN);
	inet_ntop(AF_INET, &o.cfg.group, a, sizeof(a));
	assert_string_equal(a, "239.1.2.3");
	inet_ntop(AF_INET, &o.cfg.iface_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.2");
	assert_int_equal(o.cfg.port, 9000);
	assert_int_equal(o.count, 5);
	assert_int_equal(o.timeout_ms, 1500);
	assert_int_equal(o.format, MCB_FMT_BINARY);
	assert_int_equal(o.filter.types, (1u << MCBRIDGE_EVENT_NETDEV) |
			 (1u << MCBRIDGE_EVENT_INJECTED) |
			 (1u << MCB_TYPE_OTHER));
	assert_true(o.human);
	assert_true(o.latency);
	assert_int_equal(o.cfg.rcvbuf, 8 << 20);
	assert_int_equal(o.ready_fd, 7);
	assert_int_equal(o.linger_us, 100000);

	assert_int_equal(parse("-g", "224.0.0.9", "-p", "1", "-c", "0", "-t",
			       "0", "-f", "json", "-T", "3", "-H", "-l", "-r",
			       "64k", NULL), OPTS_RUN);
	assert_int_equal(o.format, MCB_FMT_JSON);
	assert_int_equal(o.filter.types, 1u << 3);
	assert_int_equal(o.cfg.rcvbuf, 64 << 10);
	assert_int_equal(o.timeout_ms, 0);
	assert_int_equal(o.count, 0);
	/* Not 0 (no limit) by rounding down. */
	assert_int_equal(parse("-t", "0.0001", NULL), OPTS_RUN);
	assert_int_equal(o.timeout_ms, 1);
}

static void interface_by_name(void **state)
{
	(void)state;
	assert_int_equal(parse("-i", "lo", NULL), OPTS_RUN);
	assert_int_equal(o.cfg.iface_index, if_nametoindex("lo"));
	assert_true(o.cfg.iface_index > 0);
	assert_int_equal(parse("-i", "no-such-if0", NULL), OPTS_USAGE);
	assert_non_null(strstr(err_buf, "no-such-if0"));
}

static void bad_arguments(void **state)
{
	static const char *const bad[][3] = {
		{ "--port", "0" }, { "--port", "65536" }, { "--port", "x" },
		{ "--count", "-1" }, { "--count", "1x" },
		{ "--timeout", "-1" }, { "--timeout", "abc" },
		{ "--timeout", "nan" }, { "--format", "xml" },
		{ "--type", "bogus" }, { "--type", "" }, { "--type", "," },
		{ "--type", "31" },
		{ "--group", "127.0.0.1" }, { "--group", "not-an-ip" },
		{ "--rcvbuf", "0" }, { "--rcvbuf", "99999M" },
		{ "--ready-fd", "-3" }, { "--linger-us", "100001" },
		{ "--linger-us", "-1" }, { "--linger-us", "1ms" },
		{ "--bogus" }, { "-x" },
		{ "extra-arg" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_buf[0] = '\0';
		if (parse(bad[i][0], bad[i][1], NULL) != OPTS_USAGE)
			fail_msg("accepted: %s %s", bad[i][0],
				 bad[i][1] ? bad[i][1] : "");
		assert_non_null(strstr(err_buf, "mcbridge-listen: "));
		assert_non_null(strstr(err_buf, "--help"));
	}
	/* A missing argument is named. */
	assert_int_equal(parse("--count", NULL), OPTS_USAGE);
	assert_non_null(strstr(err_buf, "--count"));
}

/* The offending option is named, also inside a cluster ("-xH" named the
 * program before). */
static void bad_option_named(void **state)
{
	static const struct {
		const char *args[3];
		const char *msg;
	} cases[] = {
		{ { "-x" }, "unknown option '-x'" },
		{ { "-xH" }, "unknown option '-x'" },
		{ { "-Hlx" }, "unknown option '-x'" },
		{ { "--human", "-Hx" }, "unknown option '-x'" },
		{ { "-HR" }, "unknown option '-R'" },
		{ { "--bogus=1" }, "unknown option '--bogus'" },
		{ { "-Hc" }, "option '-c' needs an argument" },
		{ { "--count" }, "option '--count' needs an argument" },
		{ { "--human=1" }, "option '--human' takes no argument" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;

		err_buf[0] = '\0';
		if (parse(a[0], a[1], NULL) != OPTS_USAGE ||
		    !strstr(err_buf, cases[i].msg))
			fail_msg("case %zu (%s %s): message '%s'", i, a[0],
				 a[1] ? a[1] : "", err_buf);
	}
}

static void help_and_version(void **state)
{
	(void)state;
	assert_int_equal(parse("--help", NULL), OPTS_EXIT_OK);
	assert_non_null(strstr(out_buf, "Usage: mcbridge-listen"));
	assert_non_null(strstr(out_buf, "--latency"));
	assert_non_null(strstr(out_buf, "--ready-fd"));
	/* 0 is "no limit", as parsed (every_option), and said so. */
	assert_non_null(strstr(out_buf, "exit after N printed events (0: no "
			       "limit"));
	assert_non_null(strstr(out_buf, "exit after S seconds, fractions "
			       "allowed (0: no\n                         limit"));
	assert_int_equal(parse("-V", NULL), OPTS_EXIT_OK);
	assert_non_null(strstr(out_buf, "mcbridge-listen " MCB_VERSION));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_option),
		cmocka_unit_test(interface_by_name),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(bad_option_named),
		cmocka_unit_test(help_and_version),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
