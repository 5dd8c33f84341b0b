// SPDX-License-Identifier: MIT
/* Unicast endpoints (lib/mcaddr.h's mcb_hostport_parse): the forms the
 * repair options take, and the ones they refuse. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/mcaddr.h"

static union mcb_addr def(void)
{
	union mcb_addr d = { .in = { .sin_family = AF_INET } };

	inet_pton(AF_INET, "127.0.0.1", &d.in.sin_addr);
	d.in.sin_port = htons(7787);
	return d;
}

static void forms(void **state)
{
	static const struct { const char *s, *want; } ok[] = {
		{ "7790", "127.0.0.1:7790" },
		{ ":7790", "127.0.0.1:7790" },
		{ "10.1.2.3:1", "10.1.2.3:1" },
		{ "[::1]:7787", "[::1]:7787" },
		{ "[fe80::1]:65535", "[fe80::1]:65535" },
	};
	static const char *const bad[] = {
		"", ":", "0", "65536", "x:1", "::1:7787", "[::1]", "[::1]:",
		"10.1.2.3", "10.1.2.3:x", "[10.1.2.3]:1x", "[::1]x:1",
		"127.0.0.1:-1", "127.0.0.1: 5",
	};
	union mcb_addr d = def(), a;
	char buf[MCB_ADDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&a, 0xa5, sizeof(a));
		if (mcb_hostport_parse(ok[i].s, &d, &a) != 0)
			fail_msg("refused '%s'", ok[i].s);
		assert_string_equal(mcb_addr_str(&a, buf), ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = d;
		if (mcb_hostport_parse(bad[i], &d, &a) == 0)
			fail_msg("accepted '%s'", bad[i]);
		/* Refused: left as it was. */
		assert_memory_equal(&a, &d, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
