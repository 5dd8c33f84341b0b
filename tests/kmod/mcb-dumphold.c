// SPDX-License-Identifier: MIT
/*
 * Starts a GET_EVENTS dump and leaves it unfinished, so the test can unload
 * the module under it.  Raw netlink: the kernel puts the dump's first skb
 * in the socket when the request arrives and the next one only when that
 * one has been read, so a dump longer than one skb stays in progress for
 * as long as nobody reads.
 *
 * Usage: mcb-dumphold FAMILY_ID FROM_SEQ
 * Prints "holding" once the dump is in progress (its first skb arrived and
 * was left unread), then waits for a line on stdin: "finish" reads the dump
 * to its NLMSG_DONE and prints "finished events=N error=E"; "close" (or end
 * of input) closes the socket with the dump unfinished and prints "closed".
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>

#define BUF_SIZE 65536

static int send_dump(int fd, uint16_t family, uint64_t from)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr gh;
		struct nlattr nla;
		uint64_t from;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = family;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.gh.cmd = MCBRIDGE_CMD_GET_EVENTS;
	req.gh.version = MCBRIDGE_GENL_VERSION;
	req.nla.nla_type = MCBRIDGE_ATTR_FROM_SEQ;
	req.nla.nla_len = NLA_HDRLEN + sizeof(from);
	req.from = from;
	return sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) < 0 ? -errno : 0;
}

/* Reads to NLMSG_DONE; returns the events read, *error the dump's error. */
static long finish(int fd, int *error)
{
	static char buf[BUF_SIZE];
	long events = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			*error = -errno;
			return events;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				memcpy(error, NLMSG_DATA(h), sizeof(*error));
				return events;
			}
			if (((struct genlmsghdr *)NLMSG_DATA(h))->cmd ==
			    MCBRIDGE_CMD_EVENT)
				events++;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	struct pollfd pfd = { .events = POLLIN };
	char line[64] = "";
	uint16_t family;
	uint64_t from;
	int fd, err, error = 0;

	if (argc != 3 || !(family = (uint16_t)strtoul(argv[1], NULL, 0)) ||
	    !(from = strtoull(argv[2], NULL, 0))) {
		fprintf(stderr, "usage: mcb-dumphold FAMILY_ID FROM_SEQ\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(self)) < 0) {
		perror("mcb-dumphold: netlink socket");
		return 1;
	}
	err = send_dump(fd, family, from);
	if (err) {
		fprintf(stderr, "mcb-dumphold: send: %s\n", strerror(-err));
		return 1;
	}
	/* The first skb is there once the request has been handled. */
	pfd.fd = fd;
	if (poll(&pfd, 1, 10000) != 1) {
		fprintf(stderr, "mcb-dumphold: no reply\n");
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || strncmp(line, "finish", 6)) {
		close(fd);
		printf("closed\n");
		return 0;
	}
	printf("finished events=%ld error=%d\n", finish(fd, &error), error);
	close(fd);
	return 0;
}
