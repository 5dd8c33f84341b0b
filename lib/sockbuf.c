// SPDX-License-Identifier: MIT
/* Receive buffer set-up: see sockbuf.h. */
#include "lib/sockbuf.h"

#include <errno.h>
#include <sys/socket.h>

int mcb_set_rcvbuf(int fd, int bytes, bool *forced)
{
	int got = 0;
	socklen_t len = sizeof(got);

	*forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
			     sizeof(bytes)) == 0;
	if (!*forced && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes,
				   sizeof(bytes)) < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		return -errno;
	return got;
}
