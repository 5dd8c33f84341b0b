// SPDX-License-Identifier: MIT
/*
 * Unit tests: netlink messages through a mapping (source -> encoder ->
 * sink) onto real loopback multicast, read back by a member socket.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/mcbridge.h>

#include "loop.h"

#define FAM 30
#define GRP 4

static int listen_fd(struct sockaddr_in *dest)
{
	struct ip_mreq mr;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rcv = 8 << 20;

	assert_true(fd >= 0);
	inet_pton(AF_INET, "225.0.0.1", &sa.sin_addr);
	/* Port 0: the kernel picks a free one; the sink sends there. */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	inet_pton(AF_INET, "225.0.0.1", &mr.imr_multiaddr);
	inet_pton(AF_INET, "127.0.0.1", &mr.imr_interface);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				    sizeof(mr)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	*dest = sa;
	return fd;
}

static struct mcb_log lg = { 0 };

static void mapping_init(struct mcb_mapping *m, struct mcb_map_cfg *cfg,
			 enum mcb_format fmt, size_t max_dgram,
			 unsigned batch)
{
	memset(m, 0, sizeof(*m));
	cfg->format = fmt;
	mcb_mapping_init(m, cfg, max_dgram, 0);
	assert_int_equal(mcb_sink_open(&m->sink, cfg, max_dgram, batch, &lg), 0);
	/* The source without a socket: fed by hand. */
	m->src.cfg = cfg;
	m->src.fd = -1;
	m->src.is_mcbridge = strcmp(cfg->family, "mcbridge") == 0;
	m->src.state = MCB_SRC_SUBSCRIBED;
	m->src.family_id = FAM;
	m->src.group_id = GRP;
	m->src.emit = mcb_mapping_emit;
	m->src.emit_ctx = m;
}

static void feed(struct mcb_mapping *m, uint64_t seq, size_t text_len)
{
	struct nl_msg *msg = nlmsg_alloc_size(70000);
	static char text[60000];

	assert_non_null(genlmsg_put(msg, 0, 0, FAM, 0, 0, MCBRIDGE_CMD_EVENT, 1));
	nla_put_u64(msg, MCBRIDGE_ATTR_SEQ, seq);
	nla_put_u32(msg, MCBRIDGE_ATTR_TYPE, MCBRIDGE_EVENT_INJECTED);
	memset(text, 'a' + (int)(seq % 26), text_len);
	assert_int_equal(nla_put(msg, MCBRIDGE_ATTR_TEXT, (int)text_len, text), 0);
	mcb_nlsrc_process(&m->src, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len,
			  true, GRP, mcb_now_ns());
	nlmsg_free(msg);
}

static uint64_t json_u64(const char *buf, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(buf, k);
	if (!p)
		return UINT64_MAX;
	return strtoull(p + strlen(k), NULL, 10);
}

static ssize_t rx(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* 500 events, batches of 16, a gap: all arrive, in order, numbered. */
static void json_burst_in_order(void **state)
{
	struct mcb_map_cfg cfg = { .family = "mcbridge", .group = "events",
				   .ttl = 0 };
	struct mcb_mapping m;
	static char buf[70000];
	int fd;
	uint64_t want_seq = 1, kseq = 1;

	(void)state;
	fd = listen_fd(&cfg.dest);
	inet_pton(AF_INET, "127.0.0.1", &cfg.iface);
	mapping_init(&m, &cfg, MCB_FMT_JSON, MCB_WIRE_MAX_DATAGRAM, 16);
	for (uint64_t i = 1; i <= 500; i++)
		feed(&m, i == 300 ? 310 : (i > 300 ? i + 10 : i), 20);
	mcb_sink_flush(&m.sink);
	assert_true(m.sink.st.sent == 501);
	assert_true(m.sink.st.batches >= 501 / 16);
	assert_true(m.sink.st.send_errors == 0);

	for (int i = 0; i < 501; i++) {
		ssize_t n = rx(fd, buf, sizeof(buf));

		assert_true(n > 0);
		assert_true(t_json_datagram(buf, (size_t)n));
		assert_true(json_u64(buf, "bridge_seq") == want_seq);
		want_seq++;
		if (kseq == 300 && strstr(buf, "\"kind\":\"lost\"")) {
			assert_true(json_u64(buf, "count") == 10);
			assert_true(json_u64(buf, "kernel_seq") == 310);
			kseq = 310;
			continue;
		}
		assert_non_null(strstr(buf, "\"kind\":\"event\""));
		assert_true(json_u64(buf, "seq") == kseq);
		kseq++;
	}
	assert_true(kseq == 511);
	assert_true(rx(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN);
	mcb_sink_close(&m.sink);
	close(fd);
}

/* Binary datagrams, big ones cut to the limit and flagged. */
static void binary_and_truncation(void **state)
{
	struct mcb_map_cfg cfg = { .family = "mcbridge", .group = "events" };
	struct mcb_mapping m;
	static char buf[70000];
	struct mcb_wire_hdr h;
	int fd;

	(void)state;
	fd = listen_fd(&cfg.dest);
	inet_pton(AF_INET, "127.0.0.1", &cfg.iface);
	mapping_init(&m, &cfg, MCB_FMT_BINARY, 1000, 64);
	feed(&m, 1, 10);	/* fits */
	feed(&m, 2, 2000);	/* text dropped */
	feed(&m, 3, 60000);	/* bigger than any datagram */
	mcb_sink_flush(&m.sink);
	assert_true(m.truncated == 2);
	for (int i = 0; i < 3; i++) {
		ssize_t n = rx(fd, buf, sizeof(buf));

		assert_true(n >= 96 && n <= 1000);
		memcpy(&h, buf, sizeof(h));
		assert_int_equal(be32toh(h.magic), MCB_WIRE_MAGIC);
		assert_true(be64toh(h.bridge_seq) == (uint64_t)i + 1);
		assert_true(be64toh(h.kernel_seq) == (uint64_t)i + 1);
		assert_int_equal(be32toh(h.attr_len), n - 96);
		assert_int_equal(!!(be16toh(h.flags) & MCB_WIRE_F_TRUNCATED),
				 i > 0);
		if (i > 0)
			assert_true(be32toh(h.orig_len) > be32toh(h.attr_len));
	}
	mcb_sink_close(&m.sink);
	close(fd);
}

/* Datagram sizes that make every kind of run for UDP segmentation: equal
 * sizes, a shorter one ending a run, a longer one starting the next, more
 * than 64 of one size, more than 65,000 bytes of one size, single ones. */
static const struct { size_t len; unsigned count; } sink_sizes[] = {
	{ 100, 5 }, { 80, 1 }, { 100, 3 }, { 120, 2 }, { 50, 70 },
	{ 1400, 60 }, { 7, 1 }, { 1, 2 }, { 300, 1 },
};

static unsigned sink_queue(struct mcb_sink *k)
{
	unsigned n = 0;

	for (size_t s = 0; s < sizeof(sink_sizes) / sizeof(sink_sizes[0]); s++)
		for (unsigned c = 0; c < sink_sizes[s].count; c++, n++) {
			unsigned char *p = mcb_sink_reserve(k);

			for (size_t i = 0; i < sink_sizes[s].len; i++)
				p[i] = (unsigned char)(n + i);
			mcb_sink_commit(k, sink_sizes[s].len);
		}
	return n;
}

/* Every datagram arrives alone, in order, with its own length and bytes;
 * then nothing more, when last. */
static void sink_check_rx_more(int fd, unsigned total, bool last)
{
	static unsigned char buf[70000];
	unsigned n = 0;

	for (size_t s = 0; s < sizeof(sink_sizes) / sizeof(sink_sizes[0]); s++)
		for (unsigned c = 0; c < sink_sizes[s].count; c++, n++) {
			ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			assert_int_equal(got, (ssize_t)sink_sizes[s].len);
			for (size_t i = 0; i < sink_sizes[s].len; i++)
				assert_int_equal(buf[i], (unsigned char)(n + i));
		}
	assert_int_equal(n, total);
	if (last)
		assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 &&
			    errno == EAGAIN);
}

static void sink_check_rx(int fd, unsigned total)
{
	sink_check_rx_more(fd, total, true);
}

static void sink_open_local(struct mcb_sink *k, struct mcb_map_cfg *cfg,
			    int *fd)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->family, sizeof(cfg->family), "test");
	snprintf(cfg->group, sizeof(cfg->group), "sink");
	*fd = listen_fd(&cfg->dest);
	inet_pton(AF_INET, "127.0.0.1", &cfg->iface);
	assert_int_equal(mcb_sink_open(k, cfg, 2000, 1024, &lg), 0);
}

static void sink_segmented_runs(void **state)
{
	struct mcb_map_cfg cfg;
	struct mcb_sink k;
	unsigned n;
	int fd;

	(void)state;
	sink_open_local(&k, &cfg, &fd);
	n = sink_queue(&k);
	assert_int_equal(mcb_sink_flush(&k), 0);
	assert_true(k.gso);	/* loopback offloads UDP segmentation */
	assert_true(k.st.sent == n);
	assert_true(k.st.send_errors == 0);
	sink_check_rx(fd, n);
	mcb_sink_close(&k);
	close(fd);
}

/* A socket that cannot segment (SO_NO_CHECK: the kernel refuses it) falls
 * back to one message per datagram, losing none and sending none twice. */
static void sink_segmentation_refused(void **state)
{
	struct mcb_map_cfg cfg;
	struct mcb_sink k;
	unsigned n;
	int fd, one = 1;

	(void)state;
	sink_open_local(&k, &cfg, &fd);
	assert_int_equal(setsockopt(k.fd, SOL_SOCKET, SO_NO_CHECK, &one,
				    sizeof(one)), 0);
	n = sink_queue(&k);
	assert_int_equal(mcb_sink_flush(&k), 0);
	assert_false(k.gso);
	assert_true(k.st.sent == n);
	assert_true(k.st.send_errors == 0);
	sink_check_rx(fd, n);
	/* And the next flush goes one by one from the start. */
	n = sink_queue(&k);
	assert_int_equal(mcb_sink_flush(&k), 0);
	assert_true(k.st.sent == 2 * n);
	sink_check_rx(fd, n);
	mcb_sink_close(&k);
	close(fd);
}

/*
 * The sending thread (mcb_sink_queue): the smallest queue (two chunks)
 * with twenty flushes of every kind of run, so that the reader waits for
 * chunks to come back; all arrive in order, the counters say so after a
 * sync, and a close sends what was handed over before it.
 */
static void sink_queued_thread(void **state)
{
	struct mcb_map_cfg cfg;
	struct mcb_sink_stats st;
	struct mcb_sink k;
	unsigned n = 0;
	int fd;

	(void)state;
	sink_open_local(&k, &cfg, &fd);
	assert_int_equal(mcb_sink_queue(&k, 1), 0);
	assert_int_equal(mcb_sink_queue(&k, 1), -EALREADY);
	for (int r = 0; r < 20; r++) {
		n = sink_queue(&k);
		assert_int_equal(mcb_sink_flush(&k), 0);
	}
	mcb_sink_sync(&k);
	st = mcb_sink_stats(&k);
	assert_true(st.sent == 20 * n);
	assert_true(st.send_errors == 0);
	for (int r = 0; r < 20; r++)
		sink_check_rx_more(fd, n, r == 19);
	n = sink_queue(&k);
	assert_int_equal(mcb_sink_flush(&k), 0);
	mcb_sink_close(&k);
	assert_true(k.st.sent == 21 * n);
	sink_check_rx(fd, n);
	close(fd);
}

/* An interface address that is not on this host is refused up front. */
static void bad_interface(void **state)
{
	struct mcb_map_cfg cfg = { .family = "x", .group = "y" };
	struct mcb_sink k;

	(void)state;
	cfg.dest.sin_family = AF_INET;
	inet_pton(AF_INET, "225.0.0.1", &cfg.dest.sin_addr);
	inet_pton(AF_INET, "192.0.2.77", &cfg.iface);
	assert_int_equal(mcb_sink_open(&k, &cfg, 1000, 4, &lg), -EADDRNOTAVAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_burst_in_order),
		cmocka_unit_test(binary_and_truncation),
		cmocka_unit_test(bad_interface),
		cmocka_unit_test(sink_segmented_runs),
		cmocka_unit_test(sink_segmentation_refused),
		cmocka_unit_test(sink_queued_thread),
	};

	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
