/* SPDX-License-Identifier: MIT */
/* mcbridge-nats command lines: defaults, groups, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "options.h"

static struct mcbn_fwd_opts o;
static struct mcbn_sub_opts so;
static char out_buf[8192], err_buf[4096];

/* Parse a NULL-terminated list after the program name; sub: the reader. */
static int vparse(bool sub, const char *first, va_list ap)
{
	char *argv[40];
	int argc = 0, r;
	FILE *out = fmemopen(out_buf, sizeof(out_buf), "w");
	FILE *err = fmemopen(err_buf, sizeof(err_buf), "w");

	assert_non_null(out);
	assert_non_null(err);
	argv[argc++] = (char *)(sub ? "sub" : "mcbridge-nats");
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	r = sub ? mcbn_sub_opts_parse(&so, argc, argv, out, err) :
		  mcbn_fwd_opts_parse(&o, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static int parse(const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = vparse(false, first, ap);
	va_end(ap);
	return r;
}

static int parse_sub(const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = vparse(true, first, ap);
	va_end(ap);
	return r;
}

static void defaults(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse("--host", "h1", NULL), MCB_OPT_RUN);
	assert_string_equal(o.conn.servers, MCBN_DEFAULT_SERVER);
	assert_int_equal(o.n_listen, 1);
	assert_string_equal(o.listen[0].where, "225.0.0.1:7788");
	assert_string_equal(o.listen[0].instance, "225.0.0.1:7788");
	inet_ntop(AF_INET, &o.listen[0].cfg.iface_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_string_equal(o.prefix, "mcbridge");
	assert_string_equal(o.host_token, "h1");
	assert_null(o.stream);
	assert_int_equal(o.payload, MCBN_PAYLOAD_JSON);
	assert_int_equal(o.buffer, 64 << 20);
	assert_int_equal(o.ack_wait_ms, 2000);
	assert_int_equal(o.max_inflight, 256);
	assert_int_equal(o.dup_window_s, 120);
	/* Without --host: the host name, as a token. */
	assert_int_equal(parse(NULL), MCB_OPT_RUN);
	assert_true(strlen(o.host_token) > 0);
	assert_null(strpbrk(o.host_token, ".*> "));
}

static void groups_and_stream(void **state)
{
	(void)state;
	assert_int_equal(parse("--host", "web1.example.com", "-l",
			       "225.0.0.2", "-l", "225.0.0.1:7789", "-l",
			       "[ff01::4d43:1]:7790", "-i", "lo", "-j", "FLEET",
			       "--replicas", "3", "--retention", "limits",
			       "--storage", "memory", "-f", "binary",
			       "--buffer", "1M", "--prefix", "fleet.events",
			       NULL), MCB_OPT_RUN);
	assert_int_equal(o.n_listen, 3);
	assert_string_equal(o.listen[0].where, "225.0.0.2:7788");
	assert_string_equal(o.listen[1].where, "225.0.0.1:7789");
	assert_string_equal(o.listen[2].where, "[ff01::4d43:1]:7790");
	assert_int_equal(o.listen[2].cfg.family, AF_INET6);
	assert_int_equal(o.listen[2].cfg.port, 7790);
	assert_true(o.listen[2].cfg.iface_index > 0);
	assert_string_equal(o.host, "web1.example.com");
	assert_string_equal(o.host_token, "web1_example_com");
	assert_string_equal(o.stream, "FLEET");
	assert_int_equal(o.replicas, 3);
	assert_int_equal(o.retention, 1);
	assert_int_equal(o.storage, 2);
	assert_int_equal(o.payload, MCBN_PAYLOAD_BINARY);
	assert_int_equal(o.buffer, 1 << 20);
	assert_string_equal(o.prefix, "fleet.events");
	assert_int_equal(parse("--host", "h", "--instance", "bridge-a", NULL),
			 MCB_OPT_RUN);
	assert_string_equal(o.listen[0].instance, "bridge-a");
}

/* Each is a usage error (exit 2) with its message. */
static void refused(void **state)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} bad[] = {
		{ { "--bogus" }, "unknown option" },
		{ { "-s", "http://x:1" }, "scheme" },
		{ { "-s", "nats://" }, "no host" },
		{ { "-s", "nats://h:99999" }, "port" },
		{ { "-s", "a,,b" }, "empty URL" },
		{ { "-s", "" }, "empty name" },
		{ { "--prefix", "a..b" }, "empty token" },
		{ { "--prefix", "a.*" }, "wildcard" },
		{ { "--prefix", "a b" }, "space" },
		{ { "--prefix", "mcbridge.>" }, "wildcard" },
		{ { "-j", "A.B" }, "not a stream name" },
		{ { "-j", "A B" }, "not a stream name" },
		{ { "--replicas", "3" }, "need --jetstream" },
		{ { "-j", "S", "--replicas", "6" }, "expected 1..5" },
		{ { "-j", "S", "--retention", "forever" }, "expected" },
		{ { "--host", "a b" }, "printable" },
		{ { "--host", "a\nb" }, "printable" },
		{ { "--instance", "a/b" }, "'/'" },
		{ { "--instance", "x", "-l", "225.0.0.1", "-l", "225.0.0.2" },
		  "one --listen" },
		{ { "-l", "10.0.0.1" }, "not an IPv4 multicast" },
		{ { "-l", "225.0.0.1:0" }, "bad port" },
		{ { "-l", "225.0.0.1:x" }, "bad port" },
		{ { "-l", "[ff01::1" }, "not an IPv6" },
		{ { "-l", "225.0.0.1", "-l", "225.0.0.1:7788" }, "twice" },
		{ { "-i", "no-such-if0" }, "no interface" },
		{ { "-b", "1K" }, "expected" },
		{ { "--nkey", "UABC" }, "--nkey-seed" },
		{ { "--tls-cert", "c.pem" }, "--tls-key" },
		{ { "--reconnect-min", "10", "--reconnect-max", "5" },
		  "reconnect" },
		{ { "--repair", "--no-repair" }, "exclude each other" },
		{ { "--repair", "--repair-addr", "x:1" }, "--repair-addr" },
		{ { "--repair", "--repair-addr", "0.0.0.0:7787" },
		  "--repair-addr" },
		{ { "stray" }, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *a = bad[i].args;
		int r = parse("--host", "h", a[0], a[1], a[2], a[3], a[4],
			      a[5], NULL);

		if (r != MCB_OPT_ERROR || !strstr(err_buf, bad[i].msg))
			fail_msg("%s %s: got %d, '%s'", a[0], a[1] ? a[1] : "",
				 r, err_buf);
		assert_non_null(strstr(err_buf, "Try 'mcbridge-nats"));
	}
}

/* Repair: on with JetStream unless --no-repair, off for core NATS
 * unless --repair; the address parsed. */
static void repair(void **state)
{
	const struct sockaddr_in *a;

	(void)state;
	assert_int_equal(parse("--host", "h", NULL), MCB_OPT_RUN);
	assert_false(o.repair);
	assert_int_equal(parse("--host", "h", "-j", "S", NULL), MCB_OPT_RUN);
	assert_true(o.repair);
	assert_int_equal(o.repair_buffer, MCB_REPAIR_DEFAULT_BUFFER);
	a = (const struct sockaddr_in *)&o.repair_to;
	assert_int_equal(a->sin_family, AF_INET);
	assert_int_equal(ntohs(a->sin_port), MCB_DEFAULT_REPAIR_PORT);
	assert_int_equal(ntohl(a->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(parse("--host", "h", "-j", "S", "--no-repair", NULL),
			 MCB_OPT_RUN);
	assert_false(o.repair);
	assert_int_equal(parse("--host", "h", "--repair", "--repair-addr",
			       "127.0.0.2:9000", NULL), MCB_OPT_RUN);
	assert_true(o.repair);
	a = (const struct sockaddr_in *)&o.repair_to;
	assert_int_equal(ntohs(a->sin_port), 9000);
	assert_int_equal(ntohl(a->sin_addr.s_addr), 0x7f000002);
}

static void help_version(void **state)
{
	(void)state;
	assert_int_equal(parse("--help", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_buf, "--jetstream"));
	assert_non_null(strstr(out_buf, "sub [OPTION]"));
	assert_int_equal(parse("--version", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_buf, "mcbridge-nats "));
	assert_int_equal(parse_sub("--help", NULL), MCB_OPT_EXIT_OK);
	assert_non_null(strstr(out_buf, "--stream"));
}

static void sub_options(void **state)
{
	(void)state;
	assert_int_equal(parse_sub(NULL), MCB_OPT_RUN);
	assert_string_equal(so.subject, "mcbridge.>");
	assert_null(so.stream);
	assert_int_equal(parse_sub("-S", "mcbridge.*.ethtool.>", "--stream",
				   "FLEET", "-c", "5", "-t", "3", "-H", NULL),
			 MCB_OPT_RUN);
	assert_string_equal(so.subject, "mcbridge.*.ethtool.>");
	assert_int_equal(so.count, 5);
	assert_true(so.human);
	assert_int_equal(parse_sub("-S", "a.>.b", NULL), MCB_OPT_ERROR);
	assert_non_null(strstr(err_buf, "whole token"));
	assert_int_equal(parse_sub("-S", "a..b", NULL), MCB_OPT_ERROR);
	assert_int_equal(parse_sub("--stream", "x.y", NULL), MCB_OPT_ERROR);
	assert_int_equal(parse_sub("-s", "ftp://h", NULL), MCB_OPT_ERROR);
	assert_non_null(strstr(err_buf, "mcbridge-nats sub"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(groups_and_stream),
		cmocka_unit_test(refused),
		cmocka_unit_test(repair),
		cmocka_unit_test(help_version),
		cmocka_unit_test(sub_options),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
