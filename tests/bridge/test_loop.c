// SPDX-License-Identifier: MIT
/*
 * Unit tests: the loop's handling of family notifications, with a real
 * netlink event socket fed by unicast from a second socket and fake
 * resolution: an nlctrl overrun re-joins, a family that keeps streaming
 * cannot hold the loop in one drain, and an oversized message is announced;
 * an nlctrl notification too big for the buffer counts as an overrun.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "loop.h"

#define FAM	30
#define GRP	0	/* unicast arrives with group 0 in its pktinfo */
#define BATCH	2

struct fake {
	int joins, leaves;
};

static int fake_resolve(void *ctx, const char *family, const char *group,
			int *fid, uint32_t *gid)
{
	(void)ctx;
	(void)family;
	(void)group;
	*fid = FAM;
	*gid = GRP;
	return 0;
}

static int fake_join(void *ctx, int fd, uint32_t g)
{
	(void)fd;
	(void)g;
	((struct fake *)ctx)->joins++;
	return 0;
}

static int fake_leave(void *ctx, int fd, uint32_t g)
{
	(void)fd;
	(void)g;
	((struct fake *)ctx)->leaves++;
	return 0;
}

static struct mcb_log lg = { 0 };
static struct fake fk;
static struct mcb_map_cfg cfg = { .family = "ethtool", .group = "monitor" };

/* One subscribed mapping on a real socket; sends go to a dead port. */
static void loop_init(struct mcb_loop *l)
{
	struct mcb_mapping *m = &l->maps[0];

	memset(l, 0, sizeof(*l));
	memset(&fk, 0, sizeof(fk));
	l->log = &lg;
	l->ops = (struct mcb_nl_ops){ fake_resolve, fake_join, fake_leave,
				      &fk };
	cfg.dest.sin_family = AF_INET;
	cfg.dest.sin_port = htons(9);
	inet_pton(AF_INET, "225.0.0.1", &cfg.dest.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &cfg.iface);
	mcb_mapping_init(m, &cfg, MCB_WIRE_MAX_DATAGRAM, 0);
	assert_int_equal(mcb_sink_open(&m->sink, &cfg, m->max_datagram, BATCH,
				       &lg), 0);
	assert_int_equal(mcb_nlsrc_open(&m->src, &cfg, 8 << 20, BATCH, &lg,
					mcb_mapping_emit, m), 0);
	m->open = true;
	l->n_maps = 1;
	assert_int_equal(mcb_nlsrc_sync(&m->src, &l->ops, false), 0);
	assert_int_equal(m->src.state, MCB_SRC_SUBSCRIBED);
	assert_int_equal(fk.joins, 1);
}

static void loop_done(struct mcb_loop *l)
{
	mcb_sink_close(&l->maps[0].sink);
	mcb_nlsrc_close(&l->maps[0].src);
}

/* Queue n genetlink messages of family FAM on the source's socket, with
 * text as a string attribute when given. */
static void stream(struct mcb_nlsrc *s, int n, const char *text)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(to);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	assert_true(fd >= 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&to, &len), 0);
	for (int i = 0; i < n; i++) {
		struct nl_msg *m = t_msg(FAM, 1);

		if (text) {
			nlmsg_free(m);
			m = nlmsg_alloc_size(strlen(text) + 4096);
			assert_non_null(m);
			assert_non_null(genlmsg_put(m, 0, 0, FAM, 0, 0, 1, 1));
			assert_int_equal(nla_put_string(m, 2, text), 0);
		}
		assert_int_equal(nla_put_u32(m, 1, (uint32_t)i), 0);
		assert_int_equal(sendto(fd, nlmsg_hdr(m),
					nlmsg_hdr(m)->nlmsg_len, 0,
					(struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
	}
	assert_int_equal(close(fd), 0);
}

/* Notifications lost: every subscribed mapping is joined again, even with
 * the same ids, since its family may have been reloaded meanwhile. */
static void ctrl_overrun_rejoins(void **state)
{
	struct mcb_loop l;
	struct mcb_mapping *m = &l.maps[0];

	(void)state;
	loop_init(&l);
	mcb_loop_on_family(&l, NULL, -1, 0);
	assert_true(m->check);
	assert_true(m->force);
	assert_int_equal(mcb_loop_families(&l), 0);
	assert_int_equal(fk.joins, 2);
	assert_int_equal(fk.leaves, 0);
	assert_true(m->src.st.resubscribes == 1);
	assert_false(m->check);
	assert_false(m->force);

	/* Another family's news: ours is only re-resolved, not re-joined. */
	mcb_loop_on_family(&l, "other", 40, CTRL_CMD_DELFAMILY);
	mcb_loop_on_family(&l, "ethtool", FAM, CTRL_CMD_NEWMCAST_GRP);
	assert_true(m->check);
	assert_false(m->force);
	assert_int_equal(mcb_loop_families(&l), 0);
	assert_int_equal(fk.joins, 2);
	loop_done(&l);
}

static int ctrl_calls, ctrl_lost;

static void count_family(void *ctx, const char *family, int family_id,
			 uint8_t cmd)
{
	(void)ctx;
	(void)family_id;
	(void)cmd;
	ctrl_calls++;
	if (!family)
		ctrl_lost++;
}

/*
 * A notification longer than the buffer (a family with very many ops) is
 * cut by recv: it must not be parsed as if whole, nor dropped silently,
 * but handled as lost notifications (every mapping rechecked).  A datagram
 * socket pair stands in for the notify socket: MSG_TRUNC works the same.
 */
static void ctrl_cut_notification_rechecks(void **state)
{
	static unsigned char big[MCB_NL_SLOT + 4096];
	struct mcb_ctrl c = { .log = &lg, .buf_size = MCB_NL_SLOT };
	int sv[2], sndbuf = 4 * (int)sizeof(big);

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	c.notify_fd = sv[0];
	c.buf = malloc(c.buf_size);
	assert_non_null(c.buf);
	memset(big, 0, sizeof(big));
	assert_int_equal(send(sv[1], big, sizeof(big), 0), (ssize_t)sizeof(big));
	ctrl_calls = ctrl_lost = 0;
	assert_int_equal(mcb_ctrl_drain(&c, count_family, NULL), 0);
	assert_int_equal(ctrl_calls, 1);
	assert_int_equal(ctrl_lost, 1);
	assert_true(c.overruns == 1);
	free(c.buf);
	close(sv[0]);
	close(sv[1]);
}

#define MCB_DRAIN_ROUNDS	16	/* as in loop.c */

/*
 * A family that streams while its notification is handled: each call
 * drains a bounded amount and says more is pending, so the loop serves
 * signals and other mappings in between; nothing is lost,
 * and the sync happens once the queue is drained.
 */
static void family_drain_bounded(void **state)
{
	const int per_call = MCB_DRAIN_ROUNDS * BATCH, total = 5 * per_call;
	struct mcb_loop l;
	struct mcb_mapping *m = &l.maps[0];
	int calls = 0, r;

	(void)state;
	loop_init(&l);
	stream(&m->src, total, NULL);
	mcb_loop_on_family(&l, "ethtool", FAM, CTRL_CMD_NEWMCAST_GRP);
	r = mcb_loop_families(&l);
	assert_int_equal(r, 1);
	assert_true(m->src.st.received == (uint64_t)per_call);
	assert_true(m->check);
	assert_int_equal(fk.joins, 1);
	while (r > 0) {
		uint64_t before = m->src.st.received;

		r = mcb_loop_families(&l);
		assert_true(m->src.st.received - before <= (uint64_t)per_call);
		assert_true(++calls < 10);
	}
	assert_int_equal(r, 0);
	assert_true(m->src.st.received == (uint64_t)total);
	assert_true(m->src.st.stale == 0 && m->src.st.overruns == 0);
	assert_true(m->sink.st.sent == (uint64_t)total);
	assert_true(m->bridge_seq == (uint64_t)total);
	assert_false(m->check);
	loop_done(&l);
}

struct kinds {
	enum mcb_wire_kind kind[8];
	uint64_t count[8];
	bool has_kseq[8];
	int n;
};

static void record(void *ctx, struct mcb_nl_event *ev)
{
	struct kinds *k = ctx;

	assert_true(k->n < 8);
	k->kind[k->n] = ev->kind;
	k->count[k->n] = ev->count;
	k->has_kseq[k->n] = ev->has_kernel_seq;
	k->n++;
}

/* A message over the 64 KiB slot is dropped, and said so downstream, in
 * its place among the others. */
static void oversized_announced(void **state)
{
	struct mcb_loop l;
	struct mcb_nlsrc *s = &l.maps[0].src;
	struct kinds k = { .n = 0 };
	static char big[MCB_NL_SLOT + 1000];

	(void)state;
	loop_init(&l);
	s->emit = record;
	s->emit_ctx = &k;
	memset(big, 'x', sizeof(big) - 1);
	stream(s, 1, NULL);
	stream(s, 1, big);
	stream(s, 1, NULL);
	assert_int_equal(mcb_nlsrc_drain(s, 4), 0);
	assert_int_equal(k.n, 3);
	assert_int_equal(k.kind[0], MCB_KIND_EVENT);
	assert_int_equal(k.kind[1], MCB_KIND_LOST);
	assert_true(k.count[1] == 1);
	assert_false(k.has_kseq[1]);
	assert_int_equal(k.kind[2], MCB_KIND_EVENT);
	assert_true(s->st.rx_truncated == 1 && s->st.received == 2);
	loop_done(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctrl_overrun_rejoins),
		cmocka_unit_test(family_drain_bounded),
		cmocka_unit_test(oversized_announced),
		cmocka_unit_test(ctrl_cut_notification_rechecks),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
