/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mcbridge.c is written to the newest kernel API; this header, included
 * once after its kernel headers, maps it onto older kernels.  The feature
 * probes in Kbuild define HAVE_* from the headers of the kernel being built
 * against: stable and distribution kernels backport APIs, so a version
 * number alone would be wrong (6.1.84 has timer_delete_sync(), 6.1.0 has
 * not).
 *
 * Each shim names the kernel release and commit that made it necessary.
 * To support a new kernel: build against its headers (kmod/kernels.list),
 * and when an API changed, write the code to the new one and add its old
 * form here behind a probe in Kbuild.
 */
#ifndef MCB_COMPAT_H
#define MCB_COMPAT_H

#include <linux/netlink.h>
#include <linux/timer.h>
#include <net/genetlink.h>

/*
 * v6.2, commit 9b13df3fb64e ("timers: Rename del_timer_sync() to
 * timer_delete_sync()"); the old name is gone since v6.15, commit
 * 8fa7292fee5c ("treewide: Switch/rename to timer_delete[_sync]()").
 */
#ifndef HAVE_TIMER_DELETE_SYNC
#define timer_delete_sync(timer) del_timer_sync(timer)
#endif

/*
 * v6.2, commit f571faf6e443 ("timers: Provide timer_shutdown[_sync]()").
 * Before it, deleting is enough here: the timer re-arms itself only from its
 * own callback, which timer_delete_sync() waits for before it deletes, and
 * the only other arming path (the heartbeat_ms setter) is shut out under
 * mcb_heartbeat_lock before mcb_heartbeat_stop() deletes.
 */
#ifndef HAVE_TIMER_SHUTDOWN_SYNC
#define timer_shutdown_sync(timer) timer_delete_sync(timer)
#endif

/*
 * v6.7, commit 4d54cc32112d ("genetlink: add CAP_NET_ADMIN test for
 * multicast bind"), in 6.1.y since 6.1.68.  Without it the core cannot
 * restrict who joins a group: listen_admin_only=1 is then refused at load
 * time rather than silently ignored (see mcb_init()).
 */
#ifndef HAVE_GENL_MCAST_CAP_NET_ADMIN
#undef GENL_MCAST_CAP_NET_ADMIN		/* defined only under MCB_ALL_SHIMS */
#define GENL_MCAST_CAP_NET_ADMIN	0
#endif

/*
 * v6.2, commit "netlink: support extack in dump ->start()": before it a
 * dump's start() has no extack, so a request it refused would get no
 * message.  There, the GET_EVENTS request is checked by the first dumpit
 * instead, whose error and message end the dump in NLMSG_DONE.
 */
#ifdef HAVE_DUMP_START_EXTACK
#define MCB_DUMP_START_EXTACK	1
#else
#define MCB_DUMP_START_EXTACK	0
#endif

/*
 * NL_ASSERT_CTX_FITS() is the newer name (in 7.3, not in 6.12) of v6.2's
 * NL_ASSERT_DUMP_CTX_FITS(); cb->ctx itself is in 6.1.  Before either,
 * the same check by hand.
 */
#ifndef HAVE_NL_ASSERT_CTX_FITS
#undef NL_ASSERT_CTX_FITS		/* defined only under MCB_ALL_SHIMS */
#define NL_ASSERT_CTX_FITS(type_name) \
	BUILD_BUG_ON(sizeof(type_name) > sizeof_field(struct netlink_callback, ctx))
#endif

/*
 * v6.6, commits "genetlink: add struct genl_info to struct
 * genl_dumpit_info" and "genetlink: add genl_info_dump() helper": before
 * them a dump's parsed request attributes are genl_dumpit_info's own attrs.
 * This genl_info_dump() gives that member only, under the same name.
 */
#ifndef HAVE_GENL_INFO_DUMP
struct mcb_genl_info_dump {
	struct nlattr **attrs;
};

static inline const struct mcb_genl_info_dump *
mcb_genl_info_dump(struct netlink_callback *cb)
{
	return container_of(&genl_dumpit_info(cb)->attrs,
			    struct mcb_genl_info_dump, attrs);
}
#define genl_info_dump(cb)	mcb_genl_info_dump(cb)
#endif

#endif /* MCB_COMPAT_H */
