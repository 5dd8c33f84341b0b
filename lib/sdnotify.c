// SPDX-License-Identifier: MIT
/* sd_notify(3) protocol: one AF_UNIX datagram to $NOTIFY_SOCKET. */
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Connected by mcb_sd_notify_connect(), before privileges are dropped. */
static int notify_fd = -1;

/* $NOTIFY_SOCKET as an address: 1, or 0 when unset, or -errno. */
static int notify_addr(struct sockaddr_un *sa, socklen_t *salen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;	/* e.g. vsock: not supported */
	if (len > sizeof(sa->sun_path) - (path[0] == '/'))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';	/* abstract: the name is exact */
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return 1;
}

int mcb_sd_notify_connect(void)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, r = notify_addr(&sa, &salen);

	if (r <= 0 || notify_fd >= 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The socket's permissions are checked here, not on each send. */
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	notify_fd = fd;
	return 0;
}

static int send_state(int fd, const char *state, const struct sockaddr_un *sa,
		      socklen_t salen)
{
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			   (const struct sockaddr *)sa, sa ? salen : 0);

	if (n < 0)
		return -errno;
	return (size_t)n == strlen(state) ? 0 : -EMSGSIZE;
}

int mcb_sd_notify(const char *state)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, err = notify_addr(&sa, &salen);

	if (err <= 0)
		return err;
	if (notify_fd >= 0)
		return send_state(notify_fd, state, NULL, 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = send_state(fd, state, &sa, salen);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}
