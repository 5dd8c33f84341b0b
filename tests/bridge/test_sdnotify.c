// SPDX-License-Identifier: MIT
/* Unit tests: the READY=1 datagram to $NOTIFY_SOCKET. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* Bind a datagram socket to name (leading '@': abstract). */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					  len)), 0);
	return fd;
}

static void expect(int fd, const char *msg)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(msg));
	assert_memory_equal(buf, msg, (size_t)n);
}

static void abstract_socket(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@mcb-test-notify-%d", (int)getpid());
	fd = listener(name);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), 0);
	expect(fd, "READY=1");
	close(fd);
}

static void path_socket(void **state)
{
	char dir[] = "/tmp/mcb-notify-XXXXXX", path[128];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), 0);
	expect(fd, "READY=1");
	close(fd);
	unlink(path);
	rmdir(dir);
	/* Nobody there any more: an error, not a crash. */
	assert_true(mcb_sd_notify("READY=1") < 0);
}

static void unset_and_bad(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative", 1), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), -EAFNOSUPPORT);
	assert_int_equal(setenv("NOTIFY_SOCKET", "/x/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		1), 0);
	assert_int_equal(mcb_sd_notify("READY=1"), -ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(abstract_socket),
		cmocka_unit_test(path_socket),
		cmocka_unit_test(unset_and_bad),
	};

	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}
