// SPDX-License-Identifier: GPL-2.0
/*
 * mcbridge - multicast kernel events over generic netlink
 *
 * Family "mcbridge", multicast group "events".  Sources: the netdevice
 * notifier, the module notifier, a heartbeat timer and the EMIT command.
 * Every event carries a module-wide sequence number, so a listener that sees
 * a gap knows it lost events.  ABI: include/uapi/linux/mcbridge.h, and
 * the request policies in mcbridge-nl-gen.h, both generated from
 * mcbridge.yaml.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
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

/* Set at unload before the sources stop: no new event starts after it. */
static bool mcb_stopping;

/* Orders events: the seq a listener sees grows by one per event. */
static DEFINE_SPINLOCK(mcb_send_lock);
static u64 mcb_seq;			/* protected by mcb_send_lock */

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

/* A failed event still takes a seq, so listeners see the loss as a gap. */
static void mcb_seq_skip(void)
{
	spin_lock_bh(&mcb_send_lock);
	mcb_seq++;
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

	spin_lock_bh(&mcb_send_lock);
	seq = ++mcb_seq;
	memcpy(nla_data(seq_attr), &seq, sizeof(seq));
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

	/* The sink first, then the sources that feed it. */
	err = genl_register_family(&mcb_family);
	if (err)
		return err;

	err = register_netdevice_notifier(&mcb_netdev_nb);
	if (err)
		goto err_family;

	err = register_module_notifier(&mcb_module_nb);
	if (err)
		goto err_netdev;

	mcb_heartbeat_start();
	pr_info("family %s ready, heartbeat %u ms%s\n", MCBRIDGE_GENL_NAME,
		READ_ONCE(heartbeat_ms),
		listen_admin_only ? ", listening needs CAP_NET_ADMIN" : "");
	return 0;

err_netdev:
	unregister_netdevice_notifier(&mcb_netdev_nb);
err_family:
	genl_unregister_family(&mcb_family);
	return err;
}

static void __exit mcb_exit(void)
{
	/* Stops running bursts and the notifier replays of unregistration. */
	WRITE_ONCE(mcb_stopping, true);

	mcb_heartbeat_stop();
	unregister_module_notifier(&mcb_module_nb);
	unregister_netdevice_notifier(&mcb_netdev_nb);
	/* Waits for running commands; listeners are detached, not freed. */
	genl_unregister_family(&mcb_family);
}

module_init(mcb_init);
module_exit(mcb_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Generic netlink multicast of kernel events");
MODULE_VERSION(MCB_VERSION);
MODULE_ALIAS_GENL_FAMILY(MCBRIDGE_GENL_NAME);
