/* SPDX-License-Identifier: MIT */
/*
 * mcb-test-send: send test datagrams to the mcbridge group, as mcbridged
 * would (IP_MULTICAST_IF, TTL 0), built by the test encoder.
 *
 *   mcb-test-send [-g GROUP] [-p PORT] [-i IFADDR] [-S] ITEM...
 *
 *   json:KEY=VAL,...   an event/notice in JSON      bin:KEY=VAL,...  binary
 *   raw:TEXT           TEXT as it is                zeros:N          N zero bytes
 *   random:N:SEED      N pseudo-random bytes
 *
 * KEYs: kind=event|overrun|lost|tail family group cmd cmdname bseq run btime
 * kseq ktime(=N|now|now-N) count type netdev state cpu ifindex ifflags mtu
 * ifname module text truncated=1 be=1 generic=1 (canned attributes of
 * another family), and to break it: magic version hdrlen attrdelta cut=N
 * (send N bytes).  n=N sends N copies, bseq and kseq counting up.
 *
 * -S: send them as mcbridged does, runs of equal-sized datagrams (the last
 * of a run may be shorter, at most 64 and 65,000 bytes) as one
 * UDP_SEGMENT message each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#include "testenc.h"

static unsigned char dgram[MCB_WIRE_MAX_DATAGRAM + 1];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "mcb-test-send: %s '%s'\n", what, arg);
	exit(2);
}

static uint64_t num(const char *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || !*v)
		die("bad number", v);
	return x;
}

static int64_t enum_val(const struct mcb_names *table, const char *v)
{
	long x = mcb_value(table, v, strlen(v));

	return x >= 0 ? x : (int64_t)num(v);
}

#define ENUM(table, v) enum_val((table), (v))

/* Attributes of a made-up family: a string, a u16, a nest, odd bytes. */
static size_t generic_attrs(unsigned char *buf, size_t cap)
{
	unsigned char inner[64];
	size_t off = 0, ioff = 0;
	uint16_t id = 0x1234;
	static const unsigned char odd[3] = { 1, 2, 3 };

	tenc_nla_u32(inner, sizeof(inner), &ioff, 1, 7, false);
	tenc_nla_str(inner, sizeof(inner), &ioff, 2, "inner", false);
	tenc_nla_str(buf, cap, &off, 2, "fam\"ily", false);
	tenc_nla(buf, cap, &off, 1, &id, sizeof(id), false);
	tenc_nla(buf, cap, &off, 6 | 0x8000 /* NLA_F_NESTED */, inner,
		 (uint16_t)ioff, false);
	tenc_nla(buf, cap, &off, 9, odd, sizeof(odd), false);
	return off;
}

struct spec {
	struct tenc_event e;
	size_t cut;
	unsigned long n;
	unsigned char generic[256];
};

static void parse_spec(char *kv, struct spec *s)
{
	char *save = NULL;

	tenc_init(&s->e);
	s->cut = 0;
	s->n = 1;
	for (char *tok = strtok_r(kv, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		struct tenc_event *e = &s->e;

		if (!v)
			die("expected KEY=VALUE, got", tok);
		*v++ = '\0';
		if (!strcmp(tok, "kind")) {
			e->kind = !strcmp(v, "event") ? MCB_KIND_EVENT :
				  !strcmp(v, "overrun") ? MCB_KIND_OVERRUN :
				  !strcmp(v, "lost") ? MCB_KIND_LOST :
				  !strcmp(v, "tail") ? MCB_KIND_TAIL :
				  (uint8_t)num(v);
		} else if (!strcmp(tok, "family")) {
			e->family = v;
		} else if (!strcmp(tok, "group")) {
			e->group = v;
		} else if (!strcmp(tok, "cmd")) {
			e->cmd = (uint8_t)num(v);
		} else if (!strcmp(tok, "cmdname")) {
			e->cmd_name = v;
		} else if (!strcmp(tok, "bseq")) {
			e->bridge_seq = num(v);
		} else if (!strcmp(tok, "run")) {
			e->bridge_run = (uint32_t)num(v);
		} else if (!strcmp(tok, "btime")) {
			e->bridge_time_ns = num(v);
		} else if (!strcmp(tok, "kseq")) {
			e->has_kseq = true;
			e->kernel_seq = num(v);
		} else if (!strcmp(tok, "ktime")) {
			e->has_ktime = true;
			if (!strcmp(v, "now"))
				e->kernel_time_ns = now_ns();
			else if (!strncmp(v, "now-", 4))
				e->kernel_time_ns = now_ns() - num(v + 4);
			else
				e->kernel_time_ns = num(v);
		} else if (!strcmp(tok, "count")) {
			e->count = num(v);
		} else if (!strcmp(tok, "type")) {
			e->type = ENUM(mcb_event_type_names, v);
		} else if (!strcmp(tok, "netdev")) {
			e->netdev_event = ENUM(mcb_netdev_event_names, v);
		} else if (!strcmp(tok, "state")) {
			e->module_state = ENUM(mcb_module_state_names, v);
		} else if (!strcmp(tok, "cpu")) {
			e->cpu = (int64_t)num(v);
		} else if (!strcmp(tok, "ifindex")) {
			e->ifindex = (int64_t)num(v);
		} else if (!strcmp(tok, "ifflags")) {
			e->ifflags = (int64_t)num(v);
		} else if (!strcmp(tok, "mtu")) {
			e->mtu = (int64_t)num(v);
		} else if (!strcmp(tok, "ifname")) {
			e->ifname = v;
		} else if (!strcmp(tok, "module")) {
			e->module = v;
		} else if (!strcmp(tok, "text")) {
			e->text = v;
		} else if (!strcmp(tok, "truncated")) {
			e->truncated = num(v) != 0;
		} else if (!strcmp(tok, "be")) {
			e->attr_be = num(v) != 0;
		} else if (!strcmp(tok, "generic")) {
			e->extra_len = generic_attrs(s->generic,
						     sizeof(s->generic));
			e->extra_attrs = s->generic;
			e->json_attrs = "[{\"type\":2,\"len\":8,\"str\":\"fam\\\"ily\"},"
				"{\"type\":1,\"len\":2,\"u16\":4660},"
				"{\"type\":6,\"len\":20,\"nested\":["
				"{\"type\":1,\"len\":4,\"u32\":7},"
				"{\"type\":2,\"len\":6,\"str\":\"inner\"}]},"
				"{\"type\":9,\"len\":3,\"hex\":\"010203\"}]";
		} else if (!strcmp(tok, "magic")) {
			e->magic = (uint32_t)num(v);
		} else if (!strcmp(tok, "version")) {
			e->version = (int)num(v);
		} else if (!strcmp(tok, "hdrlen")) {
			e->hdr_len = (int)num(v);
		} else if (!strcmp(tok, "attrdelta")) {
			e->attr_len_delta = strtoll(v, NULL, 0);
		} else if (!strcmp(tok, "cut")) {
			s->cut = num(v);
		} else if (!strcmp(tok, "n")) {
			s->n = num(v);
		} else {
			die("unknown key", tok);
		}
	}
}

/* -S: datagrams held back to back until the end, then sent as runs. */
static struct {
	bool on;
	unsigned char buf[1 << 20];
	size_t used;
	size_t len[4096];
	unsigned n;
} runs;

static void send_one(int fd, const struct sockaddr_in *to, const void *buf,
		     size_t len)
{
	if (runs.on) {
		if (runs.n == 4096 || sizeof(runs.buf) - runs.used < len)
			die("too many for -S", "");
		memcpy(runs.buf + runs.used, buf, len);
		runs.used += len;
		runs.len[runs.n++] = len;
		return;
	}
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		   sizeof(*to)) != (ssize_t)len) {
		perror("mcb-test-send: sendto");
		exit(1);
	}
}

/* The runs mcbridged's sink makes (bridge/mcsink.c), one message each. */
static void send_runs(int fd, const struct sockaddr_in *to)
{
	size_t pos = 0;

	for (unsigned i = 0; i < runs.n;) {
		size_t seg = runs.len[i], total = seg;
		unsigned j = i + 1;
		union {
			char b[CMSG_SPACE(sizeof(uint16_t))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov;
		struct msghdr mh = { .msg_name = (void *)to,
				     .msg_namelen = sizeof(*to),
				     .msg_iov = &iov, .msg_iovlen = 1 };

		while (j < runs.n && j - i < 64 && runs.len[j] <= seg &&
		       total + runs.len[j] <= 65000) {
			total += runs.len[j++];
			if (runs.len[j - 1] < seg)
				break;
		}
		iov.iov_base = runs.buf + pos;
		iov.iov_len = total;
		if (j - i > 1) {
			uint16_t gso = (uint16_t)seg;
			struct cmsghdr *c = &ctl.align;

			mh.msg_control = ctl.b;
			mh.msg_controllen = sizeof(ctl.b);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso));
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
		}
		if (sendmsg(fd, &mh, 0) != (ssize_t)total) {
			perror("mcb-test-send: sendmsg UDP_SEGMENT");
			exit(1);
		}
		pos += total;
		i = j;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(MCB_DEFAULT_PORT) };
	struct in_addr iface;
	unsigned char ttl = MCB_DEFAULT_TTL;
	int fd, c;
	static struct spec s;

	inet_pton(AF_INET, MCB_DEFAULT_GROUP, &to.sin_addr);
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &iface);
	while ((c = getopt(argc, argv, "g:p:i:S")) != -1) {
		switch (c) {
		case 'S':
			runs.on = true;
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &to.sin_addr) != 1)
				die("bad group", optarg);
			break;
		case 'p':
			to.sin_port = htons((uint16_t)num(optarg));
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &iface) != 1)
				die("bad interface address", optarg);
			break;
		default:
			return 2;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface,
		       sizeof(iface)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl)) < 0) {
		perror("mcb-test-send: socket");
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		char *item = argv[i];

		if (!strncmp(item, "raw:", 4)) {
			send_one(fd, &to, item + 4, strlen(item + 4));
		} else if (!strncmp(item, "zeros:", 6)) {
			size_t n = num(item + 6);

			if (n > sizeof(dgram))
				die("too big", item);
			memset(dgram, 0, n);
			send_one(fd, &to, dgram, n);
		} else if (!strncmp(item, "random:", 7)) {
			char *colon = strchr(item + 7, ':');
			size_t n;
			uint32_t x;

			if (!colon)
				die("expected random:N:SEED, got", item);
			*colon = '\0';
			n = num(item + 7);
			x = (uint32_t)num(colon + 1) | 1;
			if (n > sizeof(dgram))
				die("too big", item);
			for (size_t k = 0; k < n; k++) {
				x ^= x << 13; x ^= x >> 17; x ^= x << 5;
				dgram[k] = (unsigned char)x;
			}
			send_one(fd, &to, dgram, n);
		} else if (!strncmp(item, "json:", 5) ||
			   !strncmp(item, "bin:", 4)) {
			bool json = item[0] == 'j';

			parse_spec(item + (json ? 5 : 4), &s);
			for (unsigned long k = 0; k < s.n; k++) {
				size_t len = json ?
					tenc_json(&s.e, (char *)dgram, sizeof(dgram)) :
					tenc_binary(&s.e, dgram, sizeof(dgram));

				if (!len)
					die("does not fit", item);
				if (s.cut && s.cut < len)
					len = s.cut;
				send_one(fd, &to, dgram, len);
				s.e.bridge_seq++;
				s.e.kernel_seq++;
			}
		} else {
			die("unknown item", item);
		}
	}
	if (runs.on)
		send_runs(fd, &to);
	return close(fd) < 0;
}
