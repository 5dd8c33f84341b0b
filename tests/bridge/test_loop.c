// SPDX-License-Identifier: MIT
/*
 * Unit tests: the loop's handling of family notifications, with a real
 * netlink event socket fed by unicast from a second socket and fake
 * resolution: an nlctrl overrun re-joins.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
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

static struct mcb_log lg = { false, false };
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
	m->cfg = &cfg;
	m->max_datagram = MCB_WIRE_MAX_DATAGRAM;
	m->encode = mcb_encode_json;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctrl_overrun_rejoins),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
