// SPDX-License-Identifier: MIT
/*
 * Sends malformed requests to the mcbridge family and checks that each is
 * refused with the expected error and an extack message.  Raw netlink, so
 * that every byte of the request is under the test's control.  A GET_EVENTS
 * dump is refused by an error message, or (kernels whose dump start has no
 * extack) by the error in its NLMSG_DONE: both count.
 *
 * Usage: mcb-badinput FAMILY_ID
 * Prints one "ok"/"FAIL" line per case and exits 1 if any case failed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>

#define BUF_SIZE 8192

struct request {
	char buf[BUF_SIZE];
	size_t len;
};

static void req_init(struct request *req, uint16_t family, uint8_t cmd)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req->buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(req->buf + NLMSG_HDRLEN);

	memset(req, 0, sizeof(*req));
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	gh->cmd = cmd;
	gh->version = MCBRIDGE_GENL_VERSION;
	req->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Appends an attribute with any length; @declared_len overrides nla_len. */
static void req_put(struct request *req, uint16_t type, const void *data,
		    size_t len, int declared_len)
{
	struct nlattr *nla = (struct nlattr *)(req->buf + req->len);

	nla->nla_type = type;
	nla->nla_len = declared_len >= 0 ? (uint16_t)declared_len :
					    (uint16_t)(NLA_HDRLEN + len);
	memcpy(req->buf + req->len + NLA_HDRLEN, data, len);
	req->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void req_put_str(struct request *req, uint16_t type, const char *s)
{
	req_put(req, type, s, strlen(s) + 1, -1);
}

static void req_put_u32(struct request *req, uint16_t type, uint32_t v)
{
	req_put(req, type, &v, sizeof(v), -1);
}

static void req_put_u64(struct request *req, uint16_t type, uint64_t v)
{
	req_put(req, type, &v, sizeof(v), -1);
}

/* A GET_EVENTS dump request. */
static void req_dump(struct request *req, uint16_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req->buf;

	req_init(req, family, MCBRIDGE_CMD_GET_EVENTS);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
}

/* The extended ack TLVs from off on: the message into ext_msg. */
static void ext_ack_msg(const struct nlmsghdr *h, size_t off, char *ext_msg,
			size_t ext_len)
{
	while ((h->nlmsg_flags & NLM_F_ACK_TLVS) &&
	       off + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *tlv = (const struct nlattr *)((const char *)h + off);

		if (tlv->nla_len < NLA_HDRLEN || off + tlv->nla_len > h->nlmsg_len)
			break;
		if (tlv->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(ext_msg, ext_len, "%.*s",
				 (int)(tlv->nla_len - NLA_HDRLEN),
				 (const char *)tlv + NLA_HDRLEN);
		off += NLA_ALIGN(tlv->nla_len);
	}
}

/* Sends @req and returns the kernel's error (0 for success). */
static int transact(int fd, struct request *req, char *ext_msg, size_t ext_len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req->buf;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char reply[BUF_SIZE];
	ssize_t n;

	nlh->nlmsg_len = (uint32_t)req->len;
	ext_msg[0] = '\0';
	if (sendto(fd, req->buf, req->len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		perror("sendto");
		exit(2);
	}
	for (;;) {
		n = recv(fd, reply, sizeof(reply), 0);
		if (n < 0) {
			perror("recv");
			exit(2);
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct nlmsgerr *err;
			int done_err;

			if (h->nlmsg_type == NLMSG_DONE &&
			    h->nlmsg_len >= NLMSG_HDRLEN + sizeof(done_err)) {
				/* A dump's end: its error, then the TLVs. */
				memcpy(&done_err, NLMSG_DATA(h), sizeof(done_err));
				ext_ack_msg(h, NLMSG_HDRLEN + sizeof(done_err),
					    ext_msg, ext_len);
				return done_err;
			}
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;	/* a reply before the ack */
			err = NLMSG_DATA(h);
			/* Capped acks: the TLVs follow the request header. */
			ext_ack_msg(h, NLMSG_HDRLEN + sizeof(*err), ext_msg,
				    ext_len);
			return err->error;
		}
	}
}

static int failures;

/*
 * Every refusal by the module's policy or code must say why (@need_msg); the
 * genetlink core refuses unknown commands itself, with no message in 6.1.
 */
static void expect_msg(const char *name, int fd, struct request *req, int want,
		       bool need_msg)
{
	char ext[256];
	int got = transact(fd, req, ext, sizeof(ext));

	if (got == -want && (!need_msg || ext[0])) {
		printf("ok   %-34s %s (%s)\n", name, want ? strerror(want) : "accepted", ext);
		return;
	}
	printf("FAIL %-34s want %s with a message, got %s (%s)\n", name,
	       want ? strerror(want) : "success", got ? strerror(-got) : "success",
	       ext[0] ? ext : "no message");
	failures++;
}

static void expect(const char *name, int fd, struct request *req, int want)
{
	expect_msg(name, fd, req, want, want != 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	char long_text[MCBRIDGE_TEXT_MAX + 2];
	struct request req;
	uint16_t family;
	uint64_t u64 = 1;
	uint16_t u16 = 1;
	int one = 1, fd;

	if (argc != 2 || !(family = (uint16_t)strtoul(argv[1], NULL, 0))) {
		fprintf(stderr, "usage: mcb-badinput FAMILY_ID\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(self)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		perror("netlink socket");
		return 2;
	}

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	expect("emit without text", fd, &req, EINVAL);

	memset(long_text, 'x', sizeof(long_text));
	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put(&req, MCBRIDGE_ATTR_TEXT, long_text, sizeof(long_text), -1);
	expect("emit text over the maximum", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put(&req, MCBRIDGE_ATTR_TEXT, "abc", 3, -1);
	expect("emit text without NUL", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put(&req, MCBRIDGE_ATTR_COUNT, &u64, sizeof(u64), -1);
	expect("emit count as u64", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put(&req, MCBRIDGE_ATTR_COUNT, &u16, sizeof(u16), -1);
	expect("emit count as u16", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put_u32(&req, MCBRIDGE_ATTR_COUNT, 0);
	expect("emit count 0", fd, &req, ERANGE);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put_u32(&req, MCBRIDGE_ATTR_COUNT, MCBRIDGE_EMIT_MAX_COUNT + 1);
	expect("emit count over the bound", fd, &req, ERANGE);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put_u32(&req, 200, 1);
	expect("emit unknown attribute type", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	req_put(&req, MCBRIDGE_ATTR_SEQ, &u64, sizeof(u64), -1);
	expect("emit attribute outside its policy", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put(&req, MCBRIDGE_ATTR_TEXT, "t", 2, 64);
	expect("emit attribute length past message", fd, &req, EINVAL);

	req_init(&req, family, MCBRIDGE_CMD_GET_STATS);
	req_put_u32(&req, MCBRIDGE_ATTR_COUNT, 1);
	expect("get-stats with an attribute", fd, &req, EINVAL);

	req_init(&req, family, 99);
	expect_msg("unknown command", fd, &req, EOPNOTSUPP, false);

	req_init(&req, family, MCBRIDGE_CMD_EVENT);
	expect_msg("event command sent to the kernel", fd, &req, EOPNOTSUPP, false);

	req_dump(&req, family);
	expect("get-events without from-seq", fd, &req, EINVAL);

	req_dump(&req, family);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, 0);
	expect("get-events from-seq 0", fd, &req, ERANGE);

	req_dump(&req, family);
	req_put_u32(&req, MCBRIDGE_ATTR_FROM_SEQ, 1);
	expect("get-events from-seq as u32", fd, &req, EINVAL);

	req_dump(&req, family);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, 10);
	req_put_u64(&req, MCBRIDGE_ATTR_TO_SEQ, 9);
	expect("get-events to-seq before from-seq", fd, &req, EINVAL);

	req_dump(&req, family);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, 1);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "t");
	expect("get-events attribute outside its policy", fd, &req, EINVAL);

	req_dump(&req, family);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, 1);
	req_put_u32(&req, 200, 1);
	expect("get-events unknown attribute type", fd, &req, EINVAL);

	/* Without NLM_F_DUMP: the family has no doit for it. */
	req_init(&req, family, MCBRIDGE_CMD_GET_EVENTS);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, 1);
	expect_msg("get-events as a do request", fd, &req, EOPNOTSUPP, false);

	/* A valid dump of an empty range ends with NLMSG_DONE, error 0. */
	req_dump(&req, family);
	req_put_u64(&req, MCBRIDGE_ATTR_FROM_SEQ, UINT64_MAX - 1);
	expect("get-events of a range not sent yet", fd, &req, 0);

	/* A valid request on the same socket still works afterwards. */
	req_init(&req, family, MCBRIDGE_CMD_EMIT);
	req_put_str(&req, MCBRIDGE_ATTR_TEXT, "after bad input");
	expect("emit after bad input", fd, &req, 0);

	close(fd);
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
