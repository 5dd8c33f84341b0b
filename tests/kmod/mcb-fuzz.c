// SPDX-License-Identifier: MIT
/*
 * Throws random and mutated generic netlink messages at the mcbridge family:
 * random commands, flags (dumps among them), attribute types, lengths
 * (consistent or not), nesting, and bit-flipped copies of valid requests
 * (EMIT, and GET_EVENTS dumps of random ranges).  The kernel must answer
 * each with an error or success, never crash; the caller checks dmesg and
 * that the module still works afterwards.
 *
 * Usage: mcb-fuzz FAMILY_ID ITERATIONS [SEED]
 * Prints how many messages were sent and how the kernel answered.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>

#define MSG_MAX 1024

/* xorshift64*: reproducible from the seed, no libc state. */
static uint64_t rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

static uint32_t rnd(uint64_t *state, uint32_t bound)
{
	return (uint32_t)(rng_next(state) >> 32) % bound;
}

/* Writes attributes into buf[0..room); returns bytes used. */
static size_t random_attrs(uint64_t *rng, uint8_t *buf, size_t room, int depth)
{
	size_t used = 0;
	uint32_t n = rnd(rng, 6);

	for (uint32_t i = 0; i < n && used + NLA_HDRLEN <= room; i++) {
		struct nlattr *nla = (struct nlattr *)(buf + used);
		size_t payload = rnd(rng, 4) == 0 ? rnd(rng, 300) :
				 (size_t[]){ 0, 1, 2, 4, 8 }[rnd(rng, 5)];
		uint16_t type = rnd(rng, 4) == 0 ? (uint16_t)rnd(rng, 65536) :
						  (uint16_t)rnd(rng, MCBRIDGE_ATTR_MAX + 3);

		if (used + NLA_HDRLEN + payload > room)
			payload = room - used - NLA_HDRLEN;
		if (depth < 3 && rnd(rng, 5) == 0) {
			type |= NLA_F_NESTED;
			payload = random_attrs(rng, buf + used + NLA_HDRLEN,
					       room - used - NLA_HDRLEN, depth + 1);
		} else {
			for (size_t b = 0; b < payload; b++)
				buf[used + NLA_HDRLEN + b] = (uint8_t)rng_next(rng);
			/* Often make strings look like strings. */
			if (payload && rnd(rng, 2))
				buf[used + NLA_HDRLEN + payload - 1] = 0;
		}
		nla->nla_type = type;
		nla->nla_len = (uint16_t)(NLA_HDRLEN + payload);
		/* Sometimes lie about the length. */
		if (rnd(rng, 10) == 0)
			nla->nla_len = (uint16_t)rnd(rng, 65536);
		used += NLA_ALIGN(NLA_HDRLEN + payload);
		if (used > room)
			used = room;
	}
	return used;
}

static size_t valid_emit(uint8_t *buf, uint16_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	struct nlattr *nla;
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	uint32_t count = 2;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	gh->cmd = MCBRIDGE_CMD_EMIT;
	gh->version = 1;
	nla = (struct nlattr *)(buf + len);
	nla->nla_type = MCBRIDGE_ATTR_TEXT;
	nla->nla_len = NLA_HDRLEN + 5;
	memcpy(buf + len + NLA_HDRLEN, "fuzz", 5);
	len += NLA_ALIGN(nla->nla_len);
	nla = (struct nlattr *)(buf + len);
	nla->nla_type = MCBRIDGE_ATTR_COUNT;
	nla->nla_len = NLA_HDRLEN + 4;
	memcpy(buf + len + NLA_HDRLEN, &count, 4);
	len += NLA_ALIGN(nla->nla_len);
	return len;
}

/* A GET_EVENTS dump of a random range (often a sane one). */
static size_t valid_dump(uint64_t *rng, uint8_t *buf, uint16_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	uint64_t from = rnd(rng, 2) ? rnd(rng, 4096) : rng_next(rng);
	uint64_t to = rnd(rng, 2) ? from + rnd(rng, 4096) : rng_next(rng);
	uint16_t types[2] = { MCBRIDGE_ATTR_FROM_SEQ, MCBRIDGE_ATTR_TO_SEQ };
	uint64_t vals[2] = { from, to };
	unsigned n = rnd(rng, 3);	/* from only, both, or neither */

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	gh->cmd = MCBRIDGE_CMD_GET_EVENTS;
	gh->version = 1;
	for (unsigned i = 0; i < (n == 2 ? 0 : n + 1); i++) {
		struct nlattr *nla = (struct nlattr *)(buf + len);

		nla->nla_type = types[i];
		nla->nla_len = NLA_HDRLEN + sizeof(uint64_t);
		memcpy(buf + len + NLA_HDRLEN, &vals[i], sizeof(uint64_t));
		len += NLA_ALIGN(nla->nla_len);
	}
	return len;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	unsigned long answered = 0, accepted = 0, refused = 0, sent = 0, send_err = 0;
	unsigned long iterations;
	uint8_t buf[MSG_MAX], reply[16384];
	uint64_t rng;
	uint16_t family;
	int fd, bufsize = 1 << 20;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mcb-fuzz FAMILY_ID ITERATIONS [SEED]\n");
		return 2;
	}
	family = (uint16_t)strtoul(argv[1], NULL, 0);
	iterations = strtoul(argv[2], NULL, 0);
	rng = argc == 4 ? strtoull(argv[3], NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!family || !iterations || !rng) {
		fprintf(stderr, "mcb-fuzz: bad arguments\n");
		return 2;
	}

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(self)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) < 0) {
		perror("mcb-fuzz: netlink socket");
		return 2;
	}

	for (unsigned long i = 0; i < iterations; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		struct genlmsghdr *gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
		size_t len;
		ssize_t n;

		memset(buf, 0, sizeof(buf));
		if (rnd(&rng, 4) == 0) {
			/* A valid request with a few bits flipped. */
			len = rnd(&rng, 2) ? valid_emit(buf, family) :
					     valid_dump(&rng, buf, family);
			for (uint32_t f = rnd(&rng, 4) + 1; f; f--) {
				size_t at = NLMSG_HDRLEN + rnd(&rng, (uint32_t)(len - NLMSG_HDRLEN));

				buf[at] ^= (uint8_t)(1u << rnd(&rng, 8));
			}
		} else {
			nlh->nlmsg_type = family;
			nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST |
				(rnd(&rng, 2) ? NLM_F_ACK : 0) |
				(rnd(&rng, 4) ? 0 : NLM_F_DUMP) |
				(rnd(&rng, 8) == 0 ? (uint16_t)rnd(&rng, 65536) : 0));
			gh->cmd = rnd(&rng, 3) ? (uint8_t)rnd(&rng, MCBRIDGE_CMD_MAX + 2) :
						 (uint8_t)rnd(&rng, 256);
			gh->version = rnd(&rng, 8) ? 1 : (uint8_t)rnd(&rng, 256);
			gh->reserved = rnd(&rng, 8) ? 0 : (uint16_t)rnd(&rng, 65536);
			len = NLMSG_HDRLEN + GENL_HDRLEN;
			len += random_attrs(&rng, buf + len, sizeof(buf) - len, 0);
		}
		nlh->nlmsg_seq = (uint32_t)i;
		nlh->nlmsg_len = (uint32_t)len;
		/* Sometimes a message length that disagrees with the datagram. */
		if (rnd(&rng, 20) == 0)
			nlh->nlmsg_len = (uint32_t)rnd(&rng, (uint32_t)len + 64);

		if (sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
			if (errno != EAGAIN && errno != ENOBUFS && errno != EINVAL) {
				perror("mcb-fuzz: sendto");
				return 1;
			}
			send_err++;
		} else {
			sent++;
		}
		/* Drain answers so the socket never fills. */
		while ((n = recv(fd, reply, sizeof(reply), 0)) > 0) {
			for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n)) {
				answered++;
				if (h->nlmsg_type == NLMSG_ERROR) {
					struct nlmsgerr *e = NLMSG_DATA(h);

					if (e->error)
						refused++;
					else
						accepted++;
				}
			}
		}
		if (n < 0 && errno != EAGAIN && errno != ENOBUFS) {
			perror("mcb-fuzz: recv");
			return 1;
		}
	}
	close(fd);
	printf("fuzz sent=%lu send_errors=%lu answers=%lu accepted=%lu refused=%lu\n",
	       sent, send_err, answered, accepted, refused);
	return 0;
}
