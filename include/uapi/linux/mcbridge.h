/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mcbridge: generic netlink family that multicasts kernel events.
 *
 * This is the one definition of the family's ABI, included by the kernel
 * module and by userspace.  Documentation/netlink/specs-style description:
 * kmod/mcbridge.yaml (checked against this header by the tests).
 *
 * Every event is a MCBRIDGE_CMD_EVENT message on multicast group "events"
 * carrying MCBRIDGE_ATTR_SEQ, MCBRIDGE_ATTR_TIMESTAMP_NS, MCBRIDGE_ATTR_TYPE
 * and MCBRIDGE_ATTR_CPU, plus the attributes of its type.
 */
#ifndef _UAPI_LINUX_MCBRIDGE_H
#define _UAPI_LINUX_MCBRIDGE_H

#define MCBRIDGE_GENL_NAME		"mcbridge"
#define MCBRIDGE_GENL_VERSION		1
#define MCBRIDGE_MCGRP_EVENTS		"events"

/* Longest MCBRIDGE_ATTR_TEXT accepted by EMIT, in bytes, without the NUL. */
#define MCBRIDGE_TEXT_MAX		255
/*
 * Largest MCBRIDGE_ATTR_COUNT accepted by one EMIT request.  A request runs
 * with generic netlink's lock held for reading: a family registration on
 * the system waits for it, and every later genetlink request behind that.
 * The cap bounds that stall; larger bursts are several requests.
 */
#define MCBRIDGE_EMIT_MAX_COUNT		65536

enum mcbridge_cmd {
	MCBRIDGE_CMD_UNSPEC,
	MCBRIDGE_CMD_EVENT,		/* notification on group "events" */
	MCBRIDGE_CMD_EMIT,		/* inject events; needs CAP_NET_ADMIN */
	MCBRIDGE_CMD_GET_STATS,		/* reply: MCBRIDGE_ATTR_STATS */

	__MCBRIDGE_CMD_MAX,
	MCBRIDGE_CMD_MAX = __MCBRIDGE_CMD_MAX - 1
};

enum mcbridge_event_type {
	MCBRIDGE_EVENT_UNSPEC,
	MCBRIDGE_EVENT_NETDEV,		/* netdevice notifier */
	MCBRIDGE_EVENT_MODULE,		/* module notifier */
	MCBRIDGE_EVENT_HEARTBEAT,	/* timer, every heartbeat_ms */
	MCBRIDGE_EVENT_INJECTED,	/* MCBRIDGE_CMD_EMIT */

	__MCBRIDGE_EVENT_MAX,
	MCBRIDGE_EVENT_MAX = __MCBRIDGE_EVENT_MAX - 1
};

/* MCBRIDGE_ATTR_NETDEV_EVENT: stable values, not the kernel's NETDEV_* */
enum mcbridge_netdev_event {
	MCBRIDGE_NETDEV_UNSPEC,
	MCBRIDGE_NETDEV_REGISTER,
	MCBRIDGE_NETDEV_UNREGISTER,
	MCBRIDGE_NETDEV_UP,
	MCBRIDGE_NETDEV_DOWN,
	MCBRIDGE_NETDEV_CHANGE,		/* carrier or operstate changed */
	MCBRIDGE_NETDEV_RENAME,
	MCBRIDGE_NETDEV_CHANGEMTU,
	MCBRIDGE_NETDEV_CHANGEADDR,

	__MCBRIDGE_NETDEV_MAX,
	MCBRIDGE_NETDEV_MAX = __MCBRIDGE_NETDEV_MAX - 1
};

/* MCBRIDGE_ATTR_MODULE_STATE */
enum mcbridge_module_state {
	MCBRIDGE_MODULE_UNSPEC,
	MCBRIDGE_MODULE_COMING,
	MCBRIDGE_MODULE_LIVE,
	MCBRIDGE_MODULE_GOING,

	__MCBRIDGE_MODULE_MAX,
	MCBRIDGE_MODULE_MAX = __MCBRIDGE_MODULE_MAX - 1
};

enum mcbridge_attr {
	MCBRIDGE_ATTR_UNSPEC,
	MCBRIDGE_ATTR_PAD,
	MCBRIDGE_ATTR_SEQ,		/* u64: module-wide, +1 per event sent */
	MCBRIDGE_ATTR_TIMESTAMP_NS,	/* u64: CLOCK_MONOTONIC at the event */
	MCBRIDGE_ATTR_TYPE,		/* u32: enum mcbridge_event_type */
	MCBRIDGE_ATTR_CPU,		/* u32: CPU that saw the event */
	MCBRIDGE_ATTR_IFINDEX,		/* u32 */
	MCBRIDGE_ATTR_IFNAME,		/* string */
	MCBRIDGE_ATTR_NETDEV_EVENT,	/* u32: enum mcbridge_netdev_event */
	MCBRIDGE_ATTR_IFFLAGS,		/* u32: IFF_* of the device */
	MCBRIDGE_ATTR_MTU,		/* u32 */
	MCBRIDGE_ATTR_MODULE_NAME,	/* string */
	MCBRIDGE_ATTR_MODULE_STATE,	/* u32: enum mcbridge_module_state */
	MCBRIDGE_ATTR_TEXT,		/* string: heartbeat and injected text */
	MCBRIDGE_ATTR_COUNT,		/* u32: EMIT burst size (default 1) */
	MCBRIDGE_ATTR_STATS,		/* nest: enum mcbridge_stats_attr */
	MCBRIDGE_ATTR_FIRST_SEQ,	/* u64: EMIT reply, seq of first event */
	MCBRIDGE_ATTR_EMITTED,		/* u32: EMIT reply, events sent */

	__MCBRIDGE_ATTR_MAX,
	MCBRIDGE_ATTR_MAX = __MCBRIDGE_ATTR_MAX - 1
};

/* Counters in MCBRIDGE_ATTR_STATS, all u64. */
enum mcbridge_stats_attr {
	MCBRIDGE_STATS_UNSPEC,
	MCBRIDGE_STATS_PAD,
	MCBRIDGE_STATS_NETDEV,		/* events sent, per type */
	MCBRIDGE_STATS_MODULE,
	MCBRIDGE_STATS_HEARTBEAT,
	MCBRIDGE_STATS_INJECTED,
	MCBRIDGE_STATS_NO_LISTENER,	/* events not built: nobody listened */
	MCBRIDGE_STATS_ALLOC_FAILED,	/* skb allocation failed */
	MCBRIDGE_STATS_SIZE_FAILED,	/* event did not fit its message */
	MCBRIDGE_STATS_UNDELIVERED,	/* built, but no listener took it */
	MCBRIDGE_STATS_LAST_SEQ,	/* seq of the last event sent */

	__MCBRIDGE_STATS_MAX,
	MCBRIDGE_STATS_MAX = __MCBRIDGE_STATS_MAX - 1
};

#endif /* _UAPI_LINUX_MCBRIDGE_H */
