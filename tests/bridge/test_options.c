// SPDX-License-Identifier: MIT
/* Unit tests: command line parsing and its errors. */
#include "testutil.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "options.h"

static struct mcb_options opt;
static char *out_text, *err_text;

/* Parse a NULL-terminated argument list; capture what was printed. */
static enum mcb_opt_result parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	size_t olen, elen;
	FILE *out, *err;
	enum mcb_opt_result r;

	free(out_text);
	free(err_text);
	out = open_memstream(&out_text, &olen);
	err = open_memstream(&err_text, &elen);
	assert_non_null(out);
	assert_non_null(err);
	argv[argc++] = "mcbridged";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	r = mcb_options_parse(&opt, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void assert_dest(const struct mcb_map_cfg *m, const char *addr,
			unsigned port)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &m->dest.sin_addr, a, sizeof(a));
	assert_string_equal(a, addr);
	assert_int_equal(ntohs(m->dest.sin_port), port);
	assert_int_equal(m->dest.sin_family, AF_INET);
}

static void defaults(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(NULL), MCB_OPT_RUN);
	assert_int_equal(opt.n_maps, 1);
	assert_string_equal(opt.maps[0].family, "mcbridge");
	assert_string_equal(opt.maps[0].group, "events");
	assert_dest(&opt.maps[0], "225.0.0.1", 7788);
	inet_ntop(AF_INET, &opt.maps[0].iface, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(opt.maps[0].ttl, 0);
	assert_int_equal(opt.maps[0].format, MCB_FMT_JSON);
	assert_int_equal(opt.rcvbuf, MCB_BRIDGE_DEFAULT_RCVBUF);
	assert_int_equal(opt.send_queue, 0);
	assert_int_equal(opt.max_datagram, 65507);
	assert_int_equal(opt.batch, 64);
	assert_false(opt.use_syslog);
	assert_string_equal(err_text, "");
}

static void maps(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse("--map", "ethtool/monitor",
			       "-m", "nlctrl/notify=239.1.2.3:9000,format=binary",
			       "--map=thermal/event=:7000,ttl=3,iface=127.0.0.2",
			       "--map", "netdev/mgmt=226.1.1.1",
			       "--port", "7777", "--format", "binary",
			       "--ttl", "1", "--group", "224.0.0.251", NULL),
			 MCB_OPT_RUN);
	/* With --map, no default mapping. */
	assert_int_equal(opt.n_maps, 4);
	assert_string_equal(opt.maps[0].family, "ethtool");
	assert_string_equal(opt.maps[0].group, "monitor");
	/* Defaults apply whatever their position. */
	assert_dest(&opt.maps[0], "224.0.0.251", 7777);
	assert_int_equal(opt.maps[0].format, MCB_FMT_BINARY);
	assert_int_equal(opt.maps[0].ttl, 1);
	assert_dest(&opt.maps[1], "239.1.2.3", 9000);
	assert_int_equal(opt.maps[1].format, MCB_FMT_BINARY);
	assert_dest(&opt.maps[2], "224.0.0.251", 7000);
	assert_int_equal(opt.maps[2].ttl, 3);
	inet_ntop(AF_INET, &opt.maps[2].iface, a, sizeof(a));
	assert_string_equal(a, "127.0.0.2");
	assert_dest(&opt.maps[3], "226.1.1.1", 7777);

	/* --default-map adds mcbridge/events as well, first. */
	assert_int_equal(parse("-D", "-m", "ethtool/monitor=:7789", NULL),
			 MCB_OPT_RUN);
	assert_int_equal(opt.n_maps, 2);
	assert_string_equal(opt.maps[0].family, "mcbridge");
	assert_string_equal(opt.maps[1].family, "ethtool");
	assert_dest(&opt.maps[1], "225.0.0.1", 7789);
	assert_int_equal(opt.maps[1].format, MCB_FMT_JSON);
}

static void numbers(void **state)
{
	(void)state;
	assert_int_equal(parse("--rcvbuf", "16M", "-s", "1000", "-b", "1",
			       "--syslog", "-v", NULL), MCB_OPT_RUN);
	assert_int_equal(opt.rcvbuf, 16 << 20);
	assert_int_equal(opt.max_datagram, 1000);
	assert_int_equal(opt.batch, 1);
	assert_true(opt.use_syslog);
	assert_true(opt.verbose);
	assert_int_equal(parse("-r", "65536", NULL), MCB_OPT_RUN);
	assert_int_equal(opt.rcvbuf, 65536);
	assert_int_equal(parse("-r", "8k", NULL), MCB_OPT_RUN);
	assert_int_equal(opt.rcvbuf, 8192);
	assert_int_equal(parse("--send-queue", "0", "-q", "1M", NULL),
			 MCB_OPT_RUN);
	assert_int_equal(opt.send_queue, 1 << 20);
	assert_int_equal(parse("--send-queue", "0", NULL), MCB_OPT_RUN);
	assert_int_equal(opt.send_queue, 0);
	assert_int_equal(parse("--send-queue", "17G", NULL), MCB_OPT_ERROR);
	assert_int_equal(parse("--max-datagram", "65507", NULL), MCB_OPT_RUN);
	assert_int_equal(parse("--max-datagram", "256", NULL), MCB_OPT_RUN);
}

static void help_version(void **state)
{
	(void)state;
	assert_int_equal(parse("--help", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_text, "Usage: mcbridged"));
	assert_non_null(strstr(out_text, "--map FAMILY/GROUP"));
	assert_non_null(strstr(out_text, "(7788)"));
	assert_int_equal(parse("-V", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_text, "mcbridged " MCB_VERSION));
	assert_string_equal(err_text, "");
}

/* Each bad command line: error, and a message naming the problem. */
static void errors(void **state)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-x" }, "unknown option '-x'" },
		/* In a cluster: the option itself, not the argument before. */
		{ { "-xD" }, "unknown option '-x'" },
		{ { "-vDx" }, "unknown option '-x'" },
		{ { "--syslog", "-Dx" }, "unknown option '-x'" },
		{ { "-Dp" }, "option '-p' needs a value" },
		{ { "--port" }, "option '--port' needs a value" },
		{ { "--verbose=1" }, "option '--verbose' takes no value" },
		{ { "--bogus=1" }, "unknown option '--bogus'" },
		{ { "--map" }, "needs a value" },
		{ { "extra" }, "unexpected argument 'extra'" },
		{ { "--map", "ethtool" }, "expected FAMILY/GROUP" },
		{ { "--map", "/monitor" }, "expected FAMILY/GROUP" },
		{ { "--map", "ethtool/" }, "expected FAMILY/GROUP" },
		{ { "--map", "averyveryverylongname/g" }, "1..15 characters" },
		{ { "--map", "e/g=10.0.0.1:1" }, "not an IPv4 multicast address" },
		{ { "--map", "e/g=nothere:1" }, "not an IPv4 address" },
		{ { "--map", "e/g=225.0.0.1:0" }, "bad port" },
		{ { "--map", "e/g=225.0.0.1:65536" }, "bad port" },
		{ { "--map", "e/g=225.0.0.1:x" }, "bad port" },
		{ { "--map", "e/g=" }, "empty destination" },
		{ { "--map", "e/g,format=xml" }, "format must be json or binary" },
		{ { "--map", "e/g,ttl=256" }, "ttl must be 0..255" },
		{ { "--map", "e/g,iface=lo" }, "iface 'lo' is not an IPv4" },
		{ { "--map", "e/g,colour=red" }, "unknown key 'colour'" },
		{ { "--map", "e/g,format" }, "expected key=value" },
		{ { "-m", "e/g", "-m", "e/g" }, "given twice" },
		{ { "--port", "0" }, "--port '0'" },
		{ { "--port", "-1" }, "--port '-1'" },
		{ { "--ttl", "300" }, "--ttl '300'" },
		{ { "--group", "127.0.0.1" }, "not an IPv4 multicast address" },
		{ { "--iface", "localhost" }, "not an IPv4 address" },
		{ { "--format", "yaml" }, "expected json or binary" },
		{ { "--rcvbuf", "1" }, "--rcvbuf '1'" },
		{ { "--rcvbuf", "3T" }, "--rcvbuf '3T'" },
		{ { "--rcvbuf", "4G" }, "--rcvbuf '4G'" },
		{ { "--max-datagram", "100" }, "--max-datagram '100'" },
		{ { "--max-datagram", "65508" }, "--max-datagram '65508'" },
		{ { "--batch", "0" }, "--batch '0'" },
		{ { "--batch", "5000" }, "--batch '5000'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;
		enum mcb_opt_result r = parse(a[0], a[1], a[2], a[3], NULL);

		if (r != MCB_OPT_ERROR || !strstr(err_text, cases[i].msg))
			fail_msg("case %zu (%s %s): result %d, message '%s'",
				 i, a[0], a[1] ? a[1] : "", r, err_text);
	}
}

/* --key and --user are taken as given: the files and accounts are checked
 * at startup (tests/security). */
static void key_user(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), MCB_OPT_RUN);
	assert_null(opt.key_file);
	assert_null(opt.user);
	assert_int_equal(parse("--key", "/k", "--user", "daemon", NULL),
			 MCB_OPT_RUN);
	assert_string_equal(opt.key_file, "/k");
	assert_string_equal(opt.user, "daemon");
	assert_int_equal(parse("-k", "/k2", "-u", "nobody", NULL), MCB_OPT_RUN);
	assert_string_equal(opt.key_file, "/k2");
	assert_string_equal(opt.user, "nobody");
	assert_int_equal(parse("--user", "", NULL), MCB_OPT_ERROR);
	assert_non_null(strstr(err_text, "--user: empty name"));
	assert_int_equal(parse("--key", NULL), MCB_OPT_ERROR);
	/* The MAC trailer needs room beside the fixed fields. */
	assert_int_equal(parse("--key", "/k", "--max-datagram", "256", NULL),
			 MCB_OPT_ERROR);
	assert_non_null(strstr(err_text, "with --key"));
	assert_int_equal(parse("--max-datagram", "256", NULL), MCB_OPT_RUN);
	assert_int_equal(parse("--help", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_text, "--key FILE"));
	assert_non_null(strstr(out_text, "--user NAME"));
}

static void too_many_maps(void **state)
{
	char specs[MCB_MAX_MAPS + 1][32];
	char *argv[2 * (MCB_MAX_MAPS + 1) + 1];
	int argc = 0;
	FILE *null = fopen("/dev/null", "w");

	(void)state;
	argv[argc++] = "mcbridged";
	for (int i = 0; i <= MCB_MAX_MAPS; i++) {
		snprintf(specs[i], sizeof(specs[i]), "f%d/g", i);
		argv[argc++] = "-m";
		argv[argc++] = specs[i];
	}
	assert_int_equal(mcb_options_parse(&opt, argc, argv, null, null),
			 MCB_OPT_ERROR);
	assert_int_equal(mcb_options_parse(&opt, argc - 2, argv, null, null),
			 MCB_OPT_RUN);
	assert_int_equal(opt.n_maps, MCB_MAX_MAPS);
	fclose(null);
}

static int teardown(void **state)
{
	(void)state;
	free(out_text);
	free(err_text);
	out_text = err_text = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(maps),
		cmocka_unit_test(numbers),
		cmocka_unit_test(help_version),
		cmocka_unit_test(errors),
		cmocka_unit_test(too_many_maps),
		cmocka_unit_test(key_user),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, teardown);
}
