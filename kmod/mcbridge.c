// SPDX-License-Identifier: GPL-2.0
/*
 * mcbridge - multicast kernel events over generic netlink
 *
 * Family "mcbridge", multicast group "events".  Sources: the netdevice
 * notifier, the module notifier, a heartbeat timer and the EMIT command.
 * Every event carries a module-wide sequence number, so a listener that sees
 * a gap knows it lost events; the history (a ring of the last events) lets
 * it fetch them again with the GET_EVENTS dump.  ABI:
 * include/uapi/linux/mcbridge.h, and the request policies in
 * mcbridge-nl-gen.h, both generated from mcbridge.yaml.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include <linux/mcbridge.h>

/* Policies and genl_ops, generated from mcbridge.yaml. */
#include "mcbridge-nl-gen.h"

/* Last: maps the newest kernel API used here onto older kernels. */
#include "compat.h"

#define MCB_HEARTBEAT_TEXT	"Hello, I am server!"
#define MCB_HEARTBEAT_MAX_MS	3600000U

/*
 * History: bytes of event records kept (module parameter history).  The
 * default holds about 200,000 injected events of a short text (80 bytes
 * each), a few seconds of the fastest bursts the test VM sees.
 */
#define MCB_HISTORY_DEFAULT	(16UL << 20)
#define MCB_HISTORY_MIN		(64UL << 10)
#define MCB_HISTORY_MAX		(1UL << 30)
/* Records start on this boundary; the buffer is a multiple of it. */
#define MCB_HIST_ALIGN		16
/*
 * The smallest record: its header and the attributes of an event with an
 * empty text.  The ring holds at most size / MCB_HIST_REC_MIN events, and
 * its index one slot for each.
 */
#define MCB_HIST_REC_MIN	64
#define MCB_HIST_NONE		U32_MAX	/* index: no record for this seq */
/* A dump puts at most this many records per hold of mcb_send_lock. */
#define MCB_HIST_BATCH		64

enum mcb_multicast_groups {
	MCB_MCGRP_EVENTS,
};

/* One event, as the sources see it, before it becomes a message. */
struct mcb_event {
	u32 type;			/* enum mcbridge_event_type */
	u64 timestamp_ns;
	u32 cpu;
	const struct net_device *dev;	/* netdev events */
	u32 netdev_event;
	const char *module_name;	/* module events */
	u32 module_state;
	const char *text;		/* heartbeat and injected events */
};

static unsigned int heartbeat_ms = 1000;
static bool listen_admin_only;
module_param(listen_admin_only, bool, 0444);
MODULE_PARM_DESC(listen_admin_only,
		 "Joining the events group needs CAP_NET_ADMIN (default: no)");

/*
 * Off, only the initial namespace's devices are reported (the family lives
 * there).  On, those of every namespace, each event naming its namespace:
 * listeners of the initial namespace then see containers' devices
 * (docs/security.md).  Fixed at load: no event is half of each.
 */
static bool all_netns;
module_param(all_netns, bool, 0444);
MODULE_PARM_DESC(all_netns,
		 "Report devices of every network namespace, with its identity "
		 "(default: no, the initial namespace's only)");

/*
 * Bytes of event records the history keeps (K, M, G suffixes), fixed at
 * load: the ring is allocated once, so the memory is bounded by it (plus
 * an index of 4 bytes per MCB_HIST_REC_MIN bytes, rounded up to a power
 * of two).  0: off, GET_EVENTS is refused.
 */
static unsigned long history = MCB_HISTORY_DEFAULT;

static int mcb_history_param_set(const char *val,
				 const struct kernel_param *kp)
{
	unsigned long long size;
	char *end;

	size = memparse(val, &end);
	if (end == val || (*end && *end != '\n'))
		return -EINVAL;
	if (size && (size < MCB_HISTORY_MIN || size > MCB_HISTORY_MAX))
		return -ERANGE;
	*(unsigned long *)kp->arg = size;
	return 0;
}

static const struct kernel_param_ops mcb_history_param_ops = {
	.set = mcb_history_param_set,
	.get = param_get_ulong,
};
module_param_cb(history, &mcb_history_param_ops, &history, 0444);
MODULE_PARM_DESC(history,
		 "Bytes of past events kept for GET_EVENTS, 0 = off (default "
		 "16M, else 64K to 1G; memory: this plus at most an eighth)");

/* Set at unload before the sources stop: no new event starts after it. */
static bool mcb_stopping;

/*
 * One event of the history: its seq and the attributes of its message as
 * multicast, byte for byte.  seq 0 is padding up to the end of the buffer
 * (len is then the bytes it covers): a record never wraps.
 */
struct mcb_hist_rec {
	u64 seq;
	u32 len;
	u32 reserved;
	u8 data[];
};

/*
 * The history ring, written by the send path under mcb_send_lock together
 * with the seq (ring order is seq order), read by GET_EVENTS dumps under
 * the same lock.  buf, size, index and mask are set at load and freed at
 * unload, when no event is sent and no command runs; the rest is protected
 * by mcb_send_lock.  index[seq & mask] is the offset of seq's record, or
 * MCB_HIST_NONE for a seq that was skipped (its event was lost); the ring
 * never spans more than mask + 1 seqs, so a slot is never shared.
 */
struct mcb_history {
	u8 *buf;		/* NULL: history off */
	u32 size;
	u32 *index;
	u32 mask;
	u32 head;		/* offset of the next record */
	u32 tail;		/* offset of the oldest record or padding */
	u32 used;		/* bytes in use, padding included */
	u64 first;		/* oldest seq kept; older ones are gone */
};

/* Orders events: the seq a listener sees grows by one per event. */
static DEFINE_SPINLOCK(mcb_send_lock);
static u64 mcb_seq;			/* protected by mcb_send_lock */
static struct mcb_history mcb_hist;	/* see struct mcb_history */

static atomic64_t mcb_stats[__MCBRIDGE_STATS_MAX];

/* Serialises heartbeat_ms changes against module init and exit. */
static DEFINE_MUTEX(mcb_heartbeat_lock);
static bool mcb_heartbeat_ready;	/* protected by mcb_heartbeat_lock */
static struct timer_list mcb_heartbeat_timer;

static struct genl_multicast_group mcb_mcgrps[] __ro_after_init = {
	[MCB_MCGRP_EVENTS] = { .name = MCBRIDGE_MCGRP_EVENTS },
};

static struct genl_family mcb_family;

static void mcb_stat_inc(unsigned int stat)
{
	atomic64_inc(&mcb_stats[stat]);
}

static const unsigned int mcb_type_stat[__MCBRIDGE_EVENT_MAX] = {
	[MCBRIDGE_EVENT_NETDEV]		= MCBRIDGE_STATS_NETDEV,
	[MCBRIDGE_EVENT_MODULE]		= MCBRIDGE_STATS_MODULE,
	[MCBRIDGE_EVENT_HEARTBEAT]	= MCBRIDGE_STATS_HEARTBEAT,
	[MCBRIDGE_EVENT_INJECTED]	= MCBRIDGE_STATS_INJECTED,
};

static size_t mcb_event_size(const struct mcb_event *ev)
{
	size_t size = nla_total_size_64bit(sizeof(u64)) +	/* SEQ */
		      nla_total_size_64bit(sizeof(u64)) +	/* TIMESTAMP_NS */
		      nla_total_size(sizeof(u32)) +		/* TYPE */
		      nla_total_size(sizeof(u32));		/* CPU */

	switch (ev->type) {
	case MCBRIDGE_EVENT_NETDEV:
		size += nla_total_size(sizeof(u32)) +		/* IFINDEX */
			nla_total_size(IFNAMSIZ) +		/* IFNAME */
			nla_total_size(sizeof(u32)) +		/* NETDEV_EVENT */
			nla_total_size(sizeof(u32)) +		/* IFFLAGS */
			nla_total_size(sizeof(u32)) +		/* MTU */
			nla_total_size(sizeof(u32)) +		/* NETNS_INO */
			nla_total_size_64bit(sizeof(u64));	/* NETNS_COOKIE */
		break;
	case MCBRIDGE_EVENT_MODULE:
		size += nla_total_size(MODULE_NAME_LEN) +	/* MODULE_NAME */
			nla_total_size(sizeof(u32));		/* MODULE_STATE */
		break;
	default:
		size += nla_total_size(strlen(ev->text) + 1);	/* TEXT */
		break;
	}
	return size;
}

/*
 * The seq attribute is reserved here and written under mcb_send_lock, so
 * that seq order is delivery order whichever CPU sends.
 */
/* The namespace a device lives in: its inode number, and its cookie where
 * the kernel has one (unique for the boot, never reused). */
static int mcb_put_netns(struct sk_buff *skb, const struct net *net)
{
	if (nla_put_u32(skb, MCBRIDGE_ATTR_NETNS_INO, net->ns.inum))
		return -EMSGSIZE;
#ifdef HAVE_NET_COOKIE
	if (nla_put_u64_64bit(skb, MCBRIDGE_ATTR_NETNS_COOKIE, net->net_cookie,
			      MCBRIDGE_ATTR_PAD))
		return -EMSGSIZE;
#endif
	return 0;
}

static int mcb_event_fill(struct sk_buff *skb, const struct mcb_event *ev,
			  struct nlattr **seq_attr)
{
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &mcb_family, 0, MCBRIDGE_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;

	*seq_attr = nla_reserve_64bit(skb, MCBRIDGE_ATTR_SEQ, sizeof(u64),
				      MCBRIDGE_ATTR_PAD);
	if (!*seq_attr ||
	    nla_put_u64_64bit(skb, MCBRIDGE_ATTR_TIMESTAMP_NS,
			      ev->timestamp_ns, MCBRIDGE_ATTR_PAD) ||
	    nla_put_u32(skb, MCBRIDGE_ATTR_TYPE, ev->type) ||
	    nla_put_u32(skb, MCBRIDGE_ATTR_CPU, ev->cpu))
		goto nla_put_failure;

	switch (ev->type) {
	case MCBRIDGE_EVENT_NETDEV:
		if (nla_put_u32(skb, MCBRIDGE_ATTR_IFINDEX, ev->dev->ifindex) ||
		    nla_put_string(skb, MCBRIDGE_ATTR_IFNAME, ev->dev->name) ||
		    nla_put_u32(skb, MCBRIDGE_ATTR_NETDEV_EVENT,
				ev->netdev_event) ||
		    nla_put_u32(skb, MCBRIDGE_ATTR_IFFLAGS, ev->dev->flags) ||
		    nla_put_u32(skb, MCBRIDGE_ATTR_MTU, ev->dev->mtu) ||
		    (all_netns && mcb_put_netns(skb, dev_net(ev->dev))))
			goto nla_put_failure;
		break;
	case MCBRIDGE_EVENT_MODULE:
		if (nla_put_string(skb, MCBRIDGE_ATTR_MODULE_NAME,
				   ev->module_name) ||
		    nla_put_u32(skb, MCBRIDGE_ATTR_MODULE_STATE,
				ev->module_state))
			goto nla_put_failure;
		break;
	default:
		if (nla_put_string(skb, MCBRIDGE_ATTR_TEXT, ev->text))
			goto nla_put_failure;
		break;
	}

	genlmsg_end(skb, hdr);
	return 0;

nla_put_failure:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* ---- history: the ring of the last events (struct mcb_history) ---- */

static u32 mcb_hist_rec_size(u32 len)
{
	return ALIGN(sizeof(struct mcb_hist_rec) + len, MCB_HIST_ALIGN);
}

static struct mcb_hist_rec *mcb_hist_at(u32 off)
{
	return (struct mcb_hist_rec *)(mcb_hist.buf + off);
}

/* Drops the oldest record, or the padding before it.  Needs used > 0. */
static void mcb_hist_evict(void)
{
	struct mcb_history *h = &mcb_hist;
	struct mcb_hist_rec *rec = mcb_hist_at(h->tail);
	u32 size = rec->len;

	if (rec->seq) {
		size = mcb_hist_rec_size(rec->len);
		h->first = rec->seq + 1;
	}
	h->tail += size;
	if (h->tail == h->size)
		h->tail = 0;
	h->used -= size;
}

/* Free bytes from head on, without wrapping. */
static u32 mcb_hist_room(void)
{
	struct mcb_history *h = &mcb_hist;

	if (!h->used) {
		h->head = 0;
		h->tail = 0;
		return h->size;
	}
	if (h->head > h->tail)
		return h->size - h->head;
	return h->tail - h->head;	/* 0 when full */
}

/*
 * Keeps seq's event (@len bytes of attributes at @data), or notes that seq
 * has none (@data NULL: its event was lost), dropping the oldest records
 * to make room.  Called under mcb_send_lock for every seq, in order.
 */
static void mcb_hist_add(u64 seq, const void *data, u32 len)
{
	struct mcb_history *h = &mcb_hist;
	struct mcb_hist_rec *rec;
	u32 size = mcb_hist_rec_size(len), room;

	if (!h->buf)
		return;
	/* The index spans mask + 1 seqs: older ones leave the ring. */
	if (seq - h->first > h->mask) {
		u64 oldest = seq - h->mask;

		while (h->used) {
			rec = mcb_hist_at(h->tail);
			if (rec->seq >= oldest)
				break;
			mcb_hist_evict();
		}
		h->first = max(h->first, oldest);
	}
	/* Never more than a quarter of the ring for one event. */
	if (!data || size > h->size / 4) {
		h->index[seq & h->mask] = MCB_HIST_NONE;
		goto out;
	}
	while ((room = mcb_hist_room()) < size) {
		if (h->head > h->tail) {
			/* Too little before the end: pad it, go on at 0. */
			rec = mcb_hist_at(h->head);
			rec->seq = 0;
			rec->len = room;
			h->used += room;
			h->head = 0;
		} else {
			mcb_hist_evict();
		}
	}
	rec = mcb_hist_at(h->head);
	rec->seq = seq;
	rec->len = len;
	rec->reserved = 0;
	memcpy(rec->data, data, len);
	h->index[seq & h->mask] = h->head;
	h->head += size;
	if (h->head == h->size)
		h->head = 0;
	h->used += size;
out:
	atomic64_set(&mcb_stats[MCBRIDGE_STATS_HISTORY_FIRST], h->first);
}

/* seq's record while the ring holds it, under mcb_send_lock; else NULL. */
static const struct mcb_hist_rec *mcb_hist_find(u64 seq)
{
	struct mcb_history *h = &mcb_hist;
	struct mcb_hist_rec *rec;
	u32 off;

	if (seq < h->first || seq > mcb_seq)
		return NULL;
	off = h->index[seq & h->mask];
	if (off == MCB_HIST_NONE)
		return NULL;
	rec = mcb_hist_at(off);
	return rec->seq == seq ? rec : NULL;
}

static int mcb_hist_init(void)
{
	struct mcb_history *h = &mcb_hist;
	u32 size = rounddown(history, MCB_HIST_ALIGN), slots;

	if (!size)
		return 0;
	slots = roundup_pow_of_two(size / MCB_HIST_REC_MIN);
	h->buf = kvmalloc(size, GFP_KERNEL);
	h->index = kvmalloc_array(slots, sizeof(*h->index), GFP_KERNEL);
	if (!h->buf || !h->index) {
		kvfree(h->buf);
		kvfree(h->index);
		h->buf = NULL;
		h->index = NULL;
		return -ENOMEM;
	}
	/* Every slot MCB_HIST_NONE. */
	memset(h->index, 0xff, slots * sizeof(*h->index));
	h->size = size;
	h->mask = slots - 1;
	h->first = 1;
	atomic64_set(&mcb_stats[MCBRIDGE_STATS_HISTORY_FIRST], h->first);
	return 0;
}

static void mcb_hist_free(void)
{
	kvfree(mcb_hist.buf);
	kvfree(mcb_hist.index);
	mcb_hist.buf = NULL;
	mcb_hist.index = NULL;
}

/* A failed event still takes a seq, so listeners see the loss as a gap. */
static void mcb_seq_skip(void)
{
	spin_lock_bh(&mcb_send_lock);
	mcb_seq++;
	mcb_hist_add(mcb_seq, NULL, 0);
	spin_unlock_bh(&mcb_send_lock);
}

/*
 * Build and multicast one event.  @gfp is for the allocation only; the
 * broadcast runs under mcb_send_lock and so is always atomic.
 * Returns 0 when the event was sent (or nobody listened: -ESRCH is not an
 * error for the sources), -ENOMEM or -EMSGSIZE when it was lost.
 */
static int mcb_event_send(const struct mcb_event *ev, gfp_t gfp, u64 *seqp)
{
	struct genlmsghdr *ghdr;
	struct nlattr *seq_attr;
	struct sk_buff *skb;
	u64 seq;
	int err;

	if (!genl_has_listeners(&mcb_family, &init_net, MCB_MCGRP_EVENTS)) {
		mcb_stat_inc(MCBRIDGE_STATS_NO_LISTENER);
		return -ESRCH;
	}

	skb = genlmsg_new(mcb_event_size(ev), gfp);
	if (!skb) {
		mcb_stat_inc(MCBRIDGE_STATS_ALLOC_FAILED);
		mcb_seq_skip();
		return -ENOMEM;
	}

	err = mcb_event_fill(skb, ev, &seq_attr);
	if (err) {
		nlmsg_free(skb);
		mcb_stat_inc(MCBRIDGE_STATS_SIZE_FAILED);
		mcb_seq_skip();
		return err;
	}

	ghdr = nlmsg_data(nlmsg_hdr(skb));
	spin_lock_bh(&mcb_send_lock);
	seq = ++mcb_seq;
	memcpy(nla_data(seq_attr), &seq, sizeof(seq));
	/* Kept before the multicast consumes the message. */
	mcb_hist_add(seq, genlmsg_data(ghdr), genlmsg_len(ghdr));
	err = genlmsg_multicast(&mcb_family, skb, 0, MCB_MCGRP_EVENTS,
				GFP_ATOMIC);
	atomic64_set(&mcb_stats[MCBRIDGE_STATS_LAST_SEQ], seq);
	spin_unlock_bh(&mcb_send_lock);

	if (seqp)
		*seqp = seq;
	/* Loss at a listener (full socket) shows there as a seq gap. */
	if (err)
		mcb_stat_inc(MCBRIDGE_STATS_UNDELIVERED);
	mcb_stat_inc(mcb_type_stat[ev->type]);
	return 0;
}

static void mcb_event_init(struct mcb_event *ev, u32 type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->timestamp_ns = ktime_get_ns();
	ev->cpu = raw_smp_processor_id();
}

/* Heartbeat: a timer, so it runs in softirq context and allocates atomically. */

static void mcb_heartbeat_fn(struct timer_list *timer)
{
	unsigned int period = READ_ONCE(heartbeat_ms);
	struct mcb_event ev;

	mcb_event_init(&ev, MCBRIDGE_EVENT_HEARTBEAT);
	ev.text = MCB_HEARTBEAT_TEXT;
	mcb_event_send(&ev, GFP_ATOMIC, NULL);

	if (period)
		mod_timer(timer, jiffies + msecs_to_jiffies(period));
}

static int mcb_heartbeat_set(const char *val, const struct kernel_param *kp)
{
	unsigned int period;
	int err;

	err = kstrtouint(val, 0, &period);
	if (err)
		return err;
	if (period > MCB_HEARTBEAT_MAX_MS)
		return -ERANGE;

	mutex_lock(&mcb_heartbeat_lock);
	WRITE_ONCE(heartbeat_ms, period);
	/* Before init and after exit only the value changes. */
	if (mcb_heartbeat_ready) {
		if (period)
			mod_timer(&mcb_heartbeat_timer,
				  jiffies + msecs_to_jiffies(period));
		else
			timer_delete_sync(&mcb_heartbeat_timer);
	}
	mutex_unlock(&mcb_heartbeat_lock);
	return 0;
}

static const struct kernel_param_ops mcb_heartbeat_ops = {
	.set = mcb_heartbeat_set,
	.get = param_get_uint,
};
module_param_cb(heartbeat_ms, &mcb_heartbeat_ops, &heartbeat_ms, 0644);
MODULE_PARM_DESC(heartbeat_ms,
		 "Heartbeat period in ms, 0 = off (default 1000, max 3600000)");

static void mcb_heartbeat_start(void)
{
	unsigned int period;

	mutex_lock(&mcb_heartbeat_lock);
	timer_setup(&mcb_heartbeat_timer, mcb_heartbeat_fn, 0);
	mcb_heartbeat_ready = true;
	period = READ_ONCE(heartbeat_ms);
	if (period)
		mod_timer(&mcb_heartbeat_timer,
			  jiffies + msecs_to_jiffies(period));
	mutex_unlock(&mcb_heartbeat_lock);
}

static void mcb_heartbeat_stop(void)
{
	mutex_lock(&mcb_heartbeat_lock);
	mcb_heartbeat_ready = false;
	timer_shutdown_sync(&mcb_heartbeat_timer);
	mutex_unlock(&mcb_heartbeat_lock);
}

/* Netdevice notifier: process context under RTNL, may sleep. */

static u32 mcb_netdev_event_map(unsigned long event)
{
	switch (event) {
	case NETDEV_REGISTER:
		return MCBRIDGE_NETDEV_REGISTER;
	case NETDEV_UNREGISTER:
		return MCBRIDGE_NETDEV_UNREGISTER;
	case NETDEV_UP:
		return MCBRIDGE_NETDEV_UP;
	case NETDEV_DOWN:
		return MCBRIDGE_NETDEV_DOWN;
	case NETDEV_CHANGE:
		return MCBRIDGE_NETDEV_CHANGE;
	case NETDEV_CHANGENAME:
		return MCBRIDGE_NETDEV_RENAME;
	case NETDEV_CHANGEMTU:
		return MCBRIDGE_NETDEV_CHANGEMTU;
	case NETDEV_CHANGEADDR:
		return MCBRIDGE_NETDEV_CHANGEADDR;
	default:
		return MCBRIDGE_NETDEV_UNSPEC;
	}
}

static int mcb_netdev_notify(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	u32 netdev_event = mcb_netdev_event_map(event);
	struct mcb_event ev;

	/* The family lives in init_net: unless told otherwise, report what
	 * its listeners can see. */
	if (!netdev_event ||
	    (!all_netns && !net_eq(dev_net(dev), &init_net)) ||
	    READ_ONCE(mcb_stopping))
		return NOTIFY_DONE;

	mcb_event_init(&ev, MCBRIDGE_EVENT_NETDEV);
	ev.dev = dev;
	ev.netdev_event = netdev_event;
	mcb_event_send(&ev, GFP_KERNEL, NULL);
	return NOTIFY_DONE;
}

static struct notifier_block mcb_netdev_nb = {
	.notifier_call = mcb_netdev_notify,
};

/* Module notifier: process context, may sleep. */

static u32 mcb_module_state_map(unsigned long state)
{
	switch (state) {
	case MODULE_STATE_COMING:
		return MCBRIDGE_MODULE_COMING;
	case MODULE_STATE_LIVE:
		return MCBRIDGE_MODULE_LIVE;
	case MODULE_STATE_GOING:
		return MCBRIDGE_MODULE_GOING;
	default:
		return MCBRIDGE_MODULE_UNSPEC;
	}
}

static int mcb_module_notify(struct notifier_block *nb, unsigned long state,
			     void *data)
{
	u32 module_state = mcb_module_state_map(state);
	struct module *mod = data;
	struct mcb_event ev;

	if (!module_state || READ_ONCE(mcb_stopping))
		return NOTIFY_DONE;

	mcb_event_init(&ev, MCBRIDGE_EVENT_MODULE);
	ev.module_name = mod->name;
	ev.module_state = module_state;
	mcb_event_send(&ev, GFP_KERNEL, NULL);
	return NOTIFY_DONE;
}

static struct notifier_block mcb_module_nb = {
	.notifier_call = mcb_module_notify,
};

/* Generic netlink commands */

static int mcb_emit_reply_fill(struct sk_buff *msg, struct genl_info *info,
			       u32 emitted, u64 first_seq)
{
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &mcb_family, 0, MCBRIDGE_CMD_EMIT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, MCBRIDGE_ATTR_EMITTED, emitted) ||
	    nla_put_u64_64bit(msg, MCBRIDGE_ATTR_FIRST_SEQ, first_seq,
			      MCBRIDGE_ATTR_PAD)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/*
 * EMIT: a burst of @count injected events.  Either every event of the burst
 * was sent (or nobody listened) and the reply says how many were sent, or
 * the request fails: a partial burst is never reported as success.
 */
static int mcbridge_nl_emit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	u32 count = 1, emitted = 0, i;
	u64 seq, first_seq = 0;
	struct mcb_event ev;
	struct sk_buff *msg;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, MCBRIDGE_ATTR_TEXT)) {
		NL_SET_ERR_MSG_MOD(extack, "missing text attribute");
		return -EINVAL;
	}
	if (info->attrs[MCBRIDGE_ATTR_COUNT])
		count = nla_get_u32(info->attrs[MCBRIDGE_ATTR_COUNT]);

	/* Allocated first, so a burst never ends in a lost reply. */
	msg = genlmsg_new(nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	for (i = 0; i < count; i++) {
		if (READ_ONCE(mcb_stopping)) {
			NL_SET_ERR_MSG_MOD(extack, "module is unloading, burst cut short");
			err = -ESHUTDOWN;
			goto err_free;
		}
		if (fatal_signal_pending(current)) {
			NL_SET_ERR_MSG_MOD(extack, "interrupted, burst cut short");
			err = -EINTR;
			goto err_free;
		}

		mcb_event_init(&ev, MCBRIDGE_EVENT_INJECTED);
		ev.text = nla_data(info->attrs[MCBRIDGE_ATTR_TEXT]);
		err = mcb_event_send(&ev, GFP_KERNEL, &seq);
		if (err == -ESRCH) {
			err = 0;
		} else if (err) {
			NL_SET_ERR_MSG_MOD(extack, "event allocation failed, burst cut short");
			goto err_free;
		} else {
			if (!emitted)
				first_seq = seq;
			emitted++;
		}
		cond_resched();
	}

	err = mcb_emit_reply_fill(msg, info, emitted, first_seq);
	if (err)
		goto err_free;
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static int mcb_stats_fill(struct sk_buff *msg)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(msg, MCBRIDGE_ATTR_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = MCBRIDGE_STATS_PAD + 1; i < __MCBRIDGE_STATS_MAX; i++) {
		if (nla_put_u64_64bit(msg, i, atomic64_read(&mcb_stats[i]),
				      MCBRIDGE_STATS_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int mcbridge_nl_get_stats_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(nla_total_size(0) + __MCBRIDGE_STATS_MAX *
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &mcb_family, 0,
				MCBRIDGE_CMD_GET_STATS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = mcb_stats_fill(msg);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/*
 * GET_EVENTS: a dump of the history from from-seq to to-seq.  Its state
 * lives in cb->ctx between the skbs of the dump.
 */
struct mcb_dump_ctx {
	u64 from;		/* as asked */
	u64 last;		/* last seq of the dump */
	u64 next;		/* next seq to look for */
	bool checked;		/* request checked and the range fixed */
	bool ended;		/* the last message is in */
};

static struct mcb_dump_ctx *mcb_dump_ctx(struct netlink_callback *cb)
{
	NL_ASSERT_CTX_FITS(struct mcb_dump_ctx);
	return (struct mcb_dump_ctx *)cb->ctx;
}

/*
 * Who may read the history and what was asked.  The range ends at to-seq
 * or at the last event sent now: a dump never chases a stream that
 * outruns it.
 */
static int mcb_get_events_check(struct netlink_callback *cb,
				struct netlink_ext_ack *extack)
{
	struct nlattr **attrs = genl_info_dump(cb)->attrs;
	struct mcb_dump_ctx *ctx = mcb_dump_ctx(cb);
	u64 to = U64_MAX;

	/* Readable by whoever may listen to the events themselves. */
	if (listen_admin_only && !netlink_capable(cb->skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_MOD(extack, "listen_admin_only: reading the history needs CAP_NET_ADMIN");
		return -EPERM;
	}
	if (!mcb_hist.buf) {
		NL_SET_ERR_MSG_MOD(extack, "history is off (module parameter history=0)");
		return -EOPNOTSUPP;
	}
	if (NL_REQ_ATTR_CHECK(extack, NULL, attrs, MCBRIDGE_ATTR_FROM_SEQ)) {
		NL_SET_ERR_MSG_MOD(extack, "missing from-seq attribute");
		return -EINVAL;
	}
	ctx->from = nla_get_u64(attrs[MCBRIDGE_ATTR_FROM_SEQ]);
	if (attrs[MCBRIDGE_ATTR_TO_SEQ]) {
		to = nla_get_u64(attrs[MCBRIDGE_ATTR_TO_SEQ]);
		if (to < ctx->from) {
			NL_SET_BAD_ATTR(extack, attrs[MCBRIDGE_ATTR_TO_SEQ]);
			NL_SET_ERR_MSG_MOD(extack, "to-seq is before from-seq");
			return -EINVAL;
		}
	}
	spin_lock_bh(&mcb_send_lock);
	ctx->last = min(to, mcb_seq);
	spin_unlock_bh(&mcb_send_lock);
	ctx->next = ctx->from;
	ctx->checked = true;
	mcb_stat_inc(MCBRIDGE_STATS_HISTORY_DUMPS);
	return 0;
}

/*
 * Checked here, where an error refuses the request with its message; where
 * start() has no extack (compat.h), by the first dumpit instead, whose
 * error ends the dump with the message in NLMSG_DONE.
 */
static int mcbridge_nl_get_events_start(struct netlink_callback *cb)
{
	if (!MCB_DUMP_START_EXTACK)
		return 0;
	return mcb_get_events_check(cb, cb->extack);
}

/* A record as the event message it was, under mcb_send_lock. */
static int mcb_hist_rec_fill(struct sk_buff *skb, struct netlink_callback *cb,
			     const struct mcb_hist_rec *rec)
{
	void *hdr;

	if (skb_tailroom(skb) < nlmsg_total_size(GENL_HDRLEN + rec->len))
		return -EMSGSIZE;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mcb_family, NLM_F_MULTI, MCBRIDGE_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	skb_put_data(skb, rec->data, rec->len);
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Up to MCB_HIST_BATCH seqs of the range into @skb under one hold of the
 * lock, so senders wait for a few records only.  Seqs the ring no longer
 * holds are skipped: the caller sees them missing.  -EMSGSIZE: skb full.
 */
static int mcb_hist_dump_batch(struct sk_buff *skb, struct netlink_callback *cb,
			       struct mcb_dump_ctx *ctx)
{
	const struct mcb_hist_rec *rec;
	unsigned int i, dumped = 0;
	int err = 0;

	spin_lock_bh(&mcb_send_lock);
	if (ctx->next < mcb_hist.first)
		ctx->next = mcb_hist.first;
	for (i = 0; i < MCB_HIST_BATCH && ctx->next <= ctx->last; i++) {
		rec = mcb_hist_find(ctx->next);
		if (rec) {
			err = mcb_hist_rec_fill(skb, cb, rec);
			if (err)
				break;
			dumped++;
		}
		ctx->next++;
	}
	spin_unlock_bh(&mcb_send_lock);
	atomic64_add(dumped, &mcb_stats[MCBRIDGE_STATS_HISTORY_DUMPED]);
	return err;
}

/* The dump's last message: the range it covered and where the ring starts. */
static int mcb_get_events_end_fill(struct sk_buff *skb,
				   struct netlink_callback *cb,
				   const struct mcb_dump_ctx *ctx, u64 first)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mcb_family, NLM_F_MULTI, MCBRIDGE_CMD_GET_EVENTS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, MCBRIDGE_ATTR_FROM_SEQ, ctx->from,
			      MCBRIDGE_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, MCBRIDGE_ATTR_TO_SEQ, ctx->last,
			      MCBRIDGE_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, MCBRIDGE_ATTR_HISTORY_FIRST, first,
			      MCBRIDGE_ATTR_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int mcbridge_nl_get_events_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	struct mcb_dump_ctx *ctx = mcb_dump_ctx(cb);
	u64 first;
	int err;

	if (!ctx->checked) {
		err = mcb_get_events_check(cb, cb->extack);
		if (err)
			return err;
	}
	if (ctx->ended)
		return 0;
	while (ctx->next <= ctx->last) {
		err = mcb_hist_dump_batch(skb, cb, ctx);
		if (err)
			/* Full: the rest goes in the next skb. */
			return skb->len ?: err;
	}
	spin_lock_bh(&mcb_send_lock);
	first = mcb_hist.first;
	spin_unlock_bh(&mcb_send_lock);
	if (mcb_get_events_end_fill(skb, cb, ctx, first))
		return skb->len ?: -EMSGSIZE;
	ctx->ended = true;
	/* NLMSG_DONE follows, in this skb when it fits. */
	return 0;
}

static struct genl_family mcb_family __ro_after_init = {
	.name		= MCBRIDGE_GENL_NAME,
	.version	= MCBRIDGE_GENL_VERSION,
	.maxattr	= MCBRIDGE_ATTR_MAX,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= mcbridge_nl_ops,
	.n_ops		= ARRAY_SIZE(mcbridge_nl_ops),
	.mcgrps		= mcb_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mcb_mcgrps),
};

static int __init mcb_init(void)
{
	int err;

	if (listen_admin_only) {
		/* Zero where the core cannot check it (compat.h). */
		if (!GENL_MCAST_CAP_NET_ADMIN) {
			pr_err("listen_admin_only needs a kernel with GENL_MCAST_CAP_NET_ADMIN\n");
			return -EOPNOTSUPP;
		}
		mcb_mcgrps[MCB_MCGRP_EVENTS].flags = GENL_MCAST_CAP_NET_ADMIN;
	}

	err = mcb_hist_init();
	if (err) {
		pr_err("cannot allocate the history (%lu bytes): history=0 turns it off\n",
		       history);
		return err;
	}

	/* The sink first, then the sources that feed it. */
	err = genl_register_family(&mcb_family);
	if (err)
		goto err_hist;

	err = register_netdevice_notifier(&mcb_netdev_nb);
	if (err)
		goto err_family;

	err = register_module_notifier(&mcb_module_nb);
	if (err)
		goto err_netdev;

	mcb_heartbeat_start();
	pr_info("family %s ready, heartbeat %u ms, history %u bytes%s\n",
		MCBRIDGE_GENL_NAME, READ_ONCE(heartbeat_ms), mcb_hist.size,
		listen_admin_only ? ", listening needs CAP_NET_ADMIN" : "");
	return 0;

err_netdev:
	unregister_netdevice_notifier(&mcb_netdev_nb);
err_family:
	genl_unregister_family(&mcb_family);
err_hist:
	mcb_hist_free();
	return err;
}

static void __exit mcb_exit(void)
{
	/* Stops running bursts and the notifier replays of unregistration. */
	WRITE_ONCE(mcb_stopping, true);

	mcb_heartbeat_stop();
	unregister_module_notifier(&mcb_module_nb);
	unregister_netdevice_notifier(&mcb_netdev_nb);
	/*
	 * Waits for running commands; listeners are detached, not freed.  No
	 * dump runs here: an unfinished one holds a reference on the module,
	 * which cannot be unloaded (rmmod: in use) before its socket has read
	 * it to the end or closed.
	 */
	genl_unregister_family(&mcb_family);
	mcb_hist_free();
}

module_init(mcb_init);
module_exit(mcb_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Generic netlink multicast of kernel events");
MODULE_VERSION(MCB_VERSION);
MODULE_ALIAS_GENL_FAMILY(MCBRIDGE_GENL_NAME);
