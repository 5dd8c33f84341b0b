// SPDX-License-Identifier: MIT
/*
 * Unit tests: parsing of received netlink messages, kernel seq tracking
 * (lost / restart), stale ids after a reload, subscription state driven by
 * fake resolution, nlctrl notifications; and resolution against the real
 * nlctrl family.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/genetlink.h>

#include <linux/mcbridge.h>

#include "nlctrl.h"
#include "nlsource.h"

/* ---- a fake kernel: what resolve answers, what was joined/left ---- */

struct fake {
	int resolve_ret;
	int family_id;
	uint32_t group_id;
	uint32_t joined[16], left[16];
	int n_joined, n_left;
};

static int fake_resolve(void *ctx, const char *family, const char *group,
			int *fid, uint32_t *gid)
{
	struct fake *f = ctx;

	(void)family;
	(void)group;
	if (f->resolve_ret)
		return f->resolve_ret;
	*fid = f->family_id;
	*gid = f->group_id;
	return 0;
}

static int fake_join(void *ctx, int fd, uint32_t g)
{
	struct fake *f = ctx;

	(void)fd;
	f->joined[f->n_joined++] = g;
	return 0;
}

static int fake_leave(void *ctx, int fd, uint32_t g)
{
	struct fake *f = ctx;

	(void)fd;
	f->left[f->n_left++] = g;
	return 0;
}

/* ---- what the source emitted, copied ---- */

struct seen {
	enum mcb_wire_kind kind;
	uint8_t cmd;
	uint64_t kseq, count, time;
	bool has_kseq, has_ktime;
	uint64_t ktime;
	uint32_t attr_len;
	uint32_t first_attr_type;
};

struct rec {
	struct seen ev[64];
	int n;
};

static void record(void *ctx, struct mcb_nl_event *ev)
{
	struct rec *r = ctx;
	struct seen *s = &r->ev[r->n++];

	assert_true(r->n <= 64);
	memset(s, 0, sizeof(*s));
	s->kind = ev->kind;
	s->cmd = ev->cmd;
	s->kseq = ev->kernel_seq;
	s->has_kseq = ev->has_kernel_seq;
	s->has_ktime = ev->has_kernel_time;
	s->ktime = ev->kernel_time_ns;
	s->count = ev->count;
	s->time = ev->bridge_time_ns;
	s->attr_len = ev->attr_len;
	if (ev->attr_len >= 4) {
		struct nlattr a;

		memcpy(&a, ev->attrs, sizeof(a));
		s->first_attr_type = a.nla_type;
	}
	assert_non_null(ev->family);
	assert_non_null(ev->group);
}

static struct mcb_map_cfg cfg_mcb = { .family = "mcbridge", .group = "events" };
static struct mcb_map_cfg cfg_eth = { .family = "ethtool", .group = "monitor" };

static struct fake fk;
static struct mcb_nl_ops ops = { fake_resolve, fake_join, fake_leave, &fk };

/* A source without sockets: only the parsing and state logic. */
static void src_init(struct mcb_nlsrc *s, const struct mcb_map_cfg *cfg,
		     struct rec *r)
{
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	memset(&fk, 0, sizeof(fk));
	s->cfg = cfg;
	s->fd = -1;
	s->family_id = -1;
	s->state = MCB_SRC_WAIT_FAMILY;
	s->is_mcbridge = strcmp(cfg->family, "mcbridge") == 0;
	s->emit = record;
	s->emit_ctx = r;
}

static struct nl_msg *ev_msg(int fam, uint64_t seq)
{
	struct nl_msg *m = t_msg(fam, MCBRIDGE_CMD_EVENT);

	nla_put_u64(m, MCBRIDGE_ATTR_SEQ, seq);
	nla_put_u64(m, MCBRIDGE_ATTR_TIMESTAMP_NS, seq * 1000);
	nla_put_u32(m, MCBRIDGE_ATTR_TYPE, MCBRIDGE_EVENT_INJECTED);
	nla_put_string(m, MCBRIDGE_ATTR_TEXT, "t");
	return m;
}

/* Deliver one message as if it came through group. */
static void feed(struct mcb_nlsrc *s, int fam, uint32_t group, uint64_t seq)
{
	struct nl_msg *m = ev_msg(fam, seq);

	mcb_nlsrc_process(s, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, true,
			  group, 555);
	nlmsg_free(m);
}

static void subscribe(struct mcb_nlsrc *s, int fam, uint32_t group)
{
	fk.resolve_ret = 0;
	fk.family_id = fam;
	fk.group_id = group;
	assert_int_equal(mcb_nlsrc_sync(s, &ops, false), 0);
	assert_int_equal(s->state, MCB_SRC_SUBSCRIBED);
}

static void parse_event(void **state)
{
	struct mcb_nlsrc s;
	struct rec r;

	(void)state;
	src_init(&s, &cfg_mcb, &r);
	subscribe(&s, 30, 4);
	feed(&s, 30, 4, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ev[0].kind, MCB_KIND_EVENT);
	assert_int_equal(r.ev[0].cmd, MCBRIDGE_CMD_EVENT);
	assert_true(r.ev[0].has_kseq);
	assert_true(r.ev[0].kseq == 1);
	assert_true(r.ev[0].has_ktime);
	assert_true(r.ev[0].ktime == 1000);
	assert_true(r.ev[0].time == 555);
	/* Attributes start right after the genetlink header. */
	assert_int_equal(r.ev[0].first_attr_type, MCBRIDGE_ATTR_SEQ);
	assert_int_equal(r.ev[0].attr_len, 12 + 12 + 8 + 8);
	assert_true(s.st.received == 1);
}

/* Several messages in one datagram, and control messages among them. */
static void parse_multi(void **state)
{
	struct mcb_nlsrc s;
	struct rec r;
	unsigned char buf[1024];
	size_t len = 0;
	struct nlmsghdr noop = { .nlmsg_len = NLMSG_HDRLEN,
				 .nlmsg_type = NLMSG_NOOP };

	(void)state;
	src_init(&s, &cfg_mcb, &r);
	subscribe(&s, 30, 4);
	for (uint64_t i = 1; i <= 3; i++) {
		struct nl_msg *m = ev_msg(30, i);

		memcpy(buf + len, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		len += NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
		memcpy(buf + len, &noop, sizeof(noop));
		len += NLMSG_HDRLEN;
	}
	mcb_nlsrc_process(&s, buf, len, false, 0, 1);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < 3; i++)
		assert_true(r.ev[i].kseq == (uint64_t)i + 1);
	/* A cut message is not parsed past its end. */
	mcb_nlsrc_process(&s, buf, 20, false, 0, 1);
	assert_int_equal(r.n, 3);
}

static void kernel_seq_gap_and_restart(void **state)
{
	struct mcb_nlsrc s;
	struct rec r;

	(void)state;
	src_init(&s, &cfg_mcb, &r);
	subscribe(&s, 30, 4);
	/* The first seen seq is the baseline, whatever it is. */
	feed(&s, 30, 4, 100);
	feed(&s, 30, 4, 101);
	feed(&s, 30, 4, 105);	/* 102..104 missing */
	assert_int_equal(r.n, 4);
	assert_int_equal(r.ev[0].kind, MCB_KIND_EVENT);
	assert_int_equal(r.ev[1].kind, MCB_KIND_EVENT);
	/* The notice comes before the event that revealed the gap. */
	assert_int_equal(r.ev[2].kind, MCB_KIND_LOST);
	assert_true(r.ev[2].count == 3);
	assert_true(r.ev[2].has_kseq);
	assert_true(r.ev[2].kseq == 105);
	assert_int_equal(r.ev[3].kind, MCB_KIND_EVENT);
	assert_true(r.ev[3].kseq == 105);
	assert_true(s.st.lost == 3);
	/* Lower than expected: the module restarted; not a loss. */
	feed(&s, 30, 4, 1);
	feed(&s, 30, 4, 2);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.ev[4].kind, MCB_KIND_EVENT);
	assert_true(s.st.lost == 3);
	assert_true(s.st.restarts == 1);
	/* Other families have no kernel seq: never "lost". */
	src_init(&s, &cfg_eth, &r);
	subscribe(&s, 21, 6);
	feed(&s, 21, 6, 1);
	feed(&s, 21, 6, 50);
	assert_int_equal(r.n, 2);
	assert_false(r.ev[0].has_kseq);
	assert_true(s.st.lost == 0);
}

static void overrun_notice(void **state)
{
	struct mcb_nlsrc s;
	struct rec r;

	(void)state;
	src_init(&s, &cfg_mcb, &r);
	subscribe(&s, 30, 4);
	feed(&s, 30, 4, 1);
	mcb_nlsrc_overrun(&s, 9);
	feed(&s, 30, 4, 40);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.ev[1].kind, MCB_KIND_OVERRUN);
	assert_true(r.ev[1].count == 1);
	assert_true(r.ev[1].time == 9);
	assert_int_equal(r.ev[2].kind, MCB_KIND_LOST);
	assert_true(r.ev[2].count == 38);
	assert_true(s.st.overruns == 1);
}

/* Waiting, subscribing, reload with new ids, with the same ids, stale. */
static void family_life(void **state)
{
	struct mcb_nlsrc s;
	struct rec r;

	(void)state;
	src_init(&s, &cfg_mcb, &r);
	fk.resolve_ret = -ENOENT;
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, false), 0);
	assert_int_equal(s.state, MCB_SRC_WAIT_FAMILY);
	assert_int_equal(fk.n_joined, 0);
	/* Nothing is bridged while waiting. */
	feed(&s, 30, 4, 1);
	assert_int_equal(r.n, 0);
	assert_true(s.st.stale == 1);

	/* The module is loaded. */
	subscribe(&s, 30, 4);
	assert_int_equal(fk.n_joined, 1);
	assert_int_equal(fk.joined[0], 4);
	feed(&s, 30, 4, 1);
	feed(&s, 30, 4, 2);
	assert_int_equal(r.n, 2);
	/* Same ids again without force: nothing to do. */
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, false), 0);
	assert_int_equal(fk.n_joined, 1);
	assert_int_equal(fk.n_left, 0);

	/* Reloaded with new ids: leave the old group, join the new. */
	subscribe(&s, 31, 5);
	assert_int_equal(fk.n_left, 1);
	assert_int_equal(fk.left[0], 4);
	assert_int_equal(fk.n_joined, 2);
	assert_int_equal(fk.joined[1], 5);
	assert_true(s.st.resubscribes == 1);
	/* Left over from the old instance: dropped by family id ... */
	feed(&s, 30, 4, 3);
	/* ... or by group, even with the right family id. */
	feed(&s, 31, 4, 3);
	assert_int_equal(r.n, 2);
	assert_true(s.st.stale == 3);
	/* The new instance counts from 1 again: a new baseline, no loss. */
	feed(&s, 31, 5, 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ev[2].kind, MCB_KIND_EVENT);
	assert_true(s.st.lost == 0);

	/* Reloaded with the same ids (DELFAMILY seen): join again. */
	feed(&s, 31, 5, 2);
	feed(&s, 31, 5, 3);
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, true), 0);
	assert_int_equal(fk.n_joined, 3);
	assert_int_equal(fk.joined[2], 5);
	assert_int_equal(fk.n_left, 1);
	feed(&s, 31, 5, 7);	/* new baseline: not a gap */
	assert_int_equal(r.n, 6);
	assert_int_equal(r.ev[5].kind, MCB_KIND_EVENT);
	assert_true(s.st.lost == 0);

	/* Unloaded: leave, wait. */
	fk.resolve_ret = -ENOENT;
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, true), 0);
	assert_int_equal(s.state, MCB_SRC_WAIT_FAMILY);
	assert_int_equal(fk.n_left, 2);
	assert_int_equal(fk.left[1], 5);
	feed(&s, 31, 5, 8);
	assert_int_equal(r.n, 6);

	/* Family without our group. */
	subscribe(&s, 40, 9);
	fk.resolve_ret = -ESRCH;
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, false), 0);
	assert_int_equal(s.state, MCB_SRC_WAIT_GROUP);
	assert_int_equal(fk.left[fk.n_left - 1], 9);

	/* Resolution failing for another reason keeps the state. */
	subscribe(&s, 40, 9);
	fk.resolve_ret = -EIO;
	assert_int_equal(mcb_nlsrc_sync(&s, &ops, false), -EIO);
	assert_int_equal(s.state, MCB_SRC_SUBSCRIBED);
}

/* ---- nlctrl notifications ---- */

struct fam_note {
	char name[16];
	int id;
	uint8_t cmd;
	bool all;
};

struct fam_rec {
	struct fam_note n[8];
	int count;
};

static void on_family(void *ctx, const char *family, int id, uint8_t cmd)
{
	struct fam_rec *r = ctx;
	struct fam_note *n = &r->n[r->count++];

	n->all = family == NULL;
	if (family)
		strcpy(n->name, family);
	n->id = id;
	n->cmd = cmd;
}

static struct nl_msg *ctrl_msg(uint8_t cmd, const char *name, int id)
{
	struct nl_msg *m = t_msg(GENL_ID_CTRL, cmd);

	if (name)
		nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name);
	if (id >= 0)
		nla_put_u16(m, CTRL_ATTR_FAMILY_ID, (uint16_t)id);
	return m;
}

static void ctrl_notifications(void **state)
{
	static const struct { uint8_t cmd; const char *name; int id; } in[] = {
		{ CTRL_CMD_NEWFAMILY, "mcbridge", 33 },
		{ CTRL_CMD_NEWMCAST_GRP, "mcbridge", 33 },
		{ CTRL_CMD_GETFAMILY, "mcbridge", 33 },	/* not a change */
		{ CTRL_CMD_DELMCAST_GRP, "mcbridge", 33 },
		{ CTRL_CMD_DELFAMILY, "mcbridge", -1 },
		{ CTRL_CMD_NEWFAMILY, NULL, 34 },	/* no name: ignored */
	};
	struct fam_rec r = { 0 };
	unsigned char buf[2048];
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct nl_msg *m = ctrl_msg(in[i].cmd, in[i].name, in[i].id);

		memcpy(buf + len, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		len += NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
	}
	/* Not from nlctrl: ignored. */
	{
		struct nl_msg *m = t_msg(0x30, CTRL_CMD_NEWFAMILY);

		nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "evil");
		memcpy(buf + len, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		len += NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
	}
	mcb_ctrl_process(buf, len, on_family, &r);
	assert_int_equal(r.count, 4);
	assert_string_equal(r.n[0].name, "mcbridge");
	assert_int_equal(r.n[0].id, 33);
	assert_int_equal(r.n[0].cmd, CTRL_CMD_NEWFAMILY);
	assert_int_equal(r.n[1].cmd, CTRL_CMD_NEWMCAST_GRP);
	assert_int_equal(r.n[2].cmd, CTRL_CMD_DELMCAST_GRP);
	assert_int_equal(r.n[3].cmd, CTRL_CMD_DELFAMILY);
	assert_int_equal(r.n[3].id, -1);
	assert_false(r.n[0].all);
}

/* ---- against the running kernel's nlctrl ---- */

static void real_resolve_and_subscribe(void **state)
{
	struct mcb_log lg = { 0 };
	struct mcb_ctrl c;
	struct mcb_nl_ops real;
	struct mcb_nlsrc s;
	struct rec r;
	struct mcb_map_cfg cfg = { .family = "nlctrl", .group = "notify" };
	struct mcb_map_cfg none = { .family = "mcb-no-such", .group = "x" };
	struct mcb_map_cfg nogrp = { .family = "nlctrl", .group = "nothing" };
	int fid;
	uint32_t gid;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(mcb_ctrl_open(&c, &lg), 0);
	mcb_ctrl_ops(&c, &real);
	/* Repeated requests stay in step with their replies. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(real.resolve(real.ctx, "nlctrl", "notify",
					      &fid, &gid), 0);
		assert_int_equal(fid, GENL_ID_CTRL);
		assert_int_equal(real.resolve(real.ctx, "mcb-no-such", "x",
					      &fid, &gid), -ENOENT);
		assert_int_equal(real.resolve(real.ctx, "nlctrl", "nothing",
					      &fid, &gid), -ESRCH);
	}

	assert_int_equal(mcb_nlsrc_open(&s, &cfg, 1 << 20, 4, &lg, record, &r),
			 0);
	assert_true(s.rcvbuf_got >= 1 << 20);
	assert_int_equal(mcb_nlsrc_sync(&s, &real, false), 0);
	assert_int_equal(s.state, MCB_SRC_SUBSCRIBED);
	assert_int_equal(s.family_id, GENL_ID_CTRL);
	/* Nothing pending: drained at once. */
	assert_int_equal(mcb_nlsrc_drain(&s, 4), 0);
	mcb_nlsrc_close(&s);

	assert_int_equal(mcb_nlsrc_open(&s, &none, 1 << 16, 4, &lg, record, &r),
			 0);
	assert_int_equal(mcb_nlsrc_sync(&s, &real, false), 0);
	assert_int_equal(s.state, MCB_SRC_WAIT_FAMILY);
	mcb_nlsrc_close(&s);
	assert_int_equal(mcb_nlsrc_open(&s, &nogrp, 1 << 16, 4, &lg, record,
					&r), 0);
	assert_int_equal(mcb_nlsrc_sync(&s, &real, false), 0);
	assert_int_equal(s.state, MCB_SRC_WAIT_GROUP);
	mcb_nlsrc_close(&s);
	/* No notifications expected, and reading them works. */
	assert_int_equal(mcb_ctrl_drain(&c, on_family, &(struct fam_rec){ 0 }),
			 0);
	mcb_ctrl_close(&c);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_event),
		cmocka_unit_test(parse_multi),
		cmocka_unit_test(kernel_seq_gap_and_restart),
		cmocka_unit_test(overrun_notice),
		cmocka_unit_test(family_life),
		cmocka_unit_test(ctrl_notifications),
		cmocka_unit_test(real_resolve_and_subscribe),
	};

	return cmocka_run_group_tests_name("nlsource", tests, NULL, NULL);
}
